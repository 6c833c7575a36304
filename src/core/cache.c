// SPDX-License-Identifier: Apache-2.0
/*
 * cache.c - the block cache's API (cache.h), its block table, the LRU
 * and the memory cap: what every cached read goes through.
 *
 * The cache is split over five files behind cache_impl.h, which says what
 * each holds, which lock guards every field (cache.lock here, and
 * cache_disk.lock for the disk tier), the lock order, and why a reader may
 * copy a block's bytes without the lock. A reader takes cache.lock to find
 * or make a block and pin it, waits on @done while it is FETCHING (a second
 * reader never fetches it again), and copies its bytes with the lock
 * released.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cache_impl.h"
#include "lyb/digest.h"
#include "lyb/log.h"
#include "lyb/pagecrc.h"

#define DEFAULT_WORKERS 48 /* read-ahead fetches in flight, all streams */
#define DEFAULT_PARTS 4	   /* ranges at once of a block a reader waits for */
#define MAX_RETRIES 3	   /* a record evicted under a reader: start again */

struct lyb_cache lyb_cache = {.lock = PTHREAD_MUTEX_INITIALIZER,
			      .done = PTHREAD_COND_INITIALIZER,
			      .work = PTHREAD_COND_INITIALIZER};

static struct lyb_cache *const c = &lyb_cache;

/* ---- the block table and the LRU, under lock ---- */

static void lru_unlink(struct blk *b)
{
	if (!b->lru_next)
		return;
	b->lru_prev->lru_next = b->lru_next;
	b->lru_next->lru_prev = b->lru_prev;
	b->lru_prev = b->lru_next = NULL;
}

static void lru_append(struct blk *b)
{
	b->lru_prev = c->lru.lru_prev;
	b->lru_next = &c->lru;
	c->lru.lru_prev->lru_next = b;
	c->lru.lru_prev = b;
}

struct blk *lyb_cache_blk_find(const unsigned char *id, uint64_t index)
{
	struct blk *b;

	for (b = c->table[lyb_cache_hash(id, index)]; b; b = b->hnext)
		if (b->index == index && memcmp(b->id, id, sizeof(b->id)) == 0)
			return b;
	return NULL;
}

void lyb_cache_blk_unlist(struct blk *b)
{
	struct blk **p = &c->table[lyb_cache_hash(b->id, b->index)];

	for (; *p; p = &(*p)->hnext)
		if (*p == b) {
			*p = b->hnext;
			break;
		}
	b->in_table = 0;
}

/*
 * The blocks' bytes: one mapping of the cap's worth of block slots, made
 * at lyb_cache_init() and touched only as blocks fill it, in transparent
 * huge pages where the kernel gives them. A slot freed is taken again by
 * the next block, so a stream that reads on and evicts writes to pages
 * already mapped, where a malloc of each block gave memory back and took
 * it again (a page fault and a zeroed page per 4 KiB). @used never
 * exceeds @cap, so a slot is always free for a block that fits. Under
 * AddressSanitizer a free slot is poisoned. Under lock.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SLOT_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SLOT_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SLOT_POISON(p, n) ((void)(p), (void)(n))
#define SLOT_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
#define SLAB_ALIGN (2u << 20) /* a huge page */

static int slab_open(void)
{
	size_t n = (size_t)(c->cap / c->bs), len = n * c->bs, i;
	char *m;

	if (c->slab) /* a previous cache's, blocks still pinned */
		return -EBUSY;
	m = mmap(NULL, len + SLAB_ALIGN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	c->slab_map = m;
	c->slab_maplen = len + SLAB_ALIGN;
	c->slab = (char *)(((uintptr_t)m + SLAB_ALIGN - 1) &
			   ~(uintptr_t)(SLAB_ALIGN - 1));
	madvise(c->slab, len, MADV_HUGEPAGE); /* a hint: may be refused */
	c->slots_free = malloc(n * sizeof(*c->slots_free));
	if (!c->slots_free) {
		munmap(m, c->slab_maplen);
		c->slab = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) /* the first slots first */
		c->slots_free[i] = (uint32_t)(n - 1 - i);
	c->nslots_free = n;
	SLOT_POISON(c->slab, len);
	return 0;
}

/* Unmaps the slots once no block holds one. */
static void slab_close_if_idle(void)
{
	if (!c->slab || c->active || c->used)
		return;
	SLOT_UNPOISON(c->slab, c->slab_maplen - SLAB_ALIGN);
	munmap(c->slab_map, c->slab_maplen);
	free(c->slots_free);
	c->slab = NULL;
	c->slots_free = NULL;
	c->nslots_free = 0;
}

static char *slot_get(void)
{
	char *p;

	if (!c->nslots_free)
		return NULL; /* not while @used < @cap */
	p = c->slab + (size_t)c->slots_free[--c->nslots_free] * c->bs;
	SLOT_UNPOISON(p, c->bs);
	return p;
}

static void slot_put(char *p)
{
	SLOT_POISON(p, c->bs);
	c->slots_free[c->nslots_free++] =
		(uint32_t)((size_t)(p - c->slab) / c->bs);
}

static void blk_free(struct blk *b)
{
	c->used -= c->bs;
	slot_put(b->data);
	free(b);
	slab_close_if_idle();
}

/*
 * Frees the oldest unpinned block; 0 if there was none. The LRU holds
 * only unpinned blocks, so a block being fetched or copied is never
 * freed here.
 */
static int evict_one(int spare_prefetched)
{
	struct blk *b;

	for (b = c->lru.lru_next; b != &c->lru; b = b->lru_next) {
		if (spare_prefetched && b->prefetched)
			continue;
		lru_unlink(b);
		lyb_cache_blk_unlist(b);
		blk_free(b);
		return 1;
	}
	return 0;
}

struct blk *lyb_cache_blk_new(const unsigned char *id, uint64_t index,
			      int ahead)
{
	struct blk *b;
	unsigned h;

	while (c->used + c->bs > c->cap)
		if (!evict_one(ahead))
			return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->data = slot_get();
	if (!b->data) {
		free(b);
		return NULL;
	}
	c->used += c->bs;
	memcpy(b->id, id, sizeof(b->id));
	b->index = index;
	b->state = BLK_FETCHING;
	b->refs = 1;
	b->prefetched = ahead;
	h = lyb_cache_hash(id, index);
	b->hnext = c->table[h];
	c->table[h] = b;
	b->in_table = 1;
	return b;
}

void lyb_cache_blk_put(struct blk *b)
{
	if (--b->refs > 0)
		return;
	if (b->in_table && b->state == BLK_READY && !b->err && c->active) {
		lru_append(b);
		return;
	}
	if (b->in_table) /* the cache stopped under its last pin */
		lyb_cache_blk_unlist(b);
	blk_free(b);
}

void lyb_cache_purge(const unsigned char *id, uint64_t nblocks)
{
	struct blk *b;
	uint64_t i;

	for (i = 0; i < nblocks; i++) {
		b = lyb_cache_blk_find(id, i);
		if (!b)
			continue;
		lyb_cache_blk_unlist(b);
		if (b->refs == 0) { /* else its last pin frees it */
			lru_unlink(b);
			blk_free(b);
		}
	}
}

/* ---- the API ---- */

int lyb_cache_init(const struct lyb_cache_config *cfg)
{
	struct lyb_cache_config d = {0};
	int rc;

	if (!cfg)
		cfg = &d;
	pthread_mutex_lock(&c->lock);
	rc = c->active || c->slab ? -EBUSY : 0; /* running, or blocks live */
	pthread_mutex_unlock(&c->lock);
	if (rc)
		return rc;
	c->bs = cfg->block_size ? cfg->block_size : 1 << 20;
	c->cap = cfg->mem_bytes ? cfg->mem_bytes : 256ull << 20;
	c->ra_max = cfg->readahead_max ? cfg->readahead_max : 64ull << 20;
	c->nworkers = cfg->workers ? cfg->workers : DEFAULT_WORKERS;
	c->nparts = cfg->parts ? cfg->parts : DEFAULT_PARTS;
	if ((c->bs & (c->bs - 1)) || c->bs < 65536 || c->bs > (16u << 20) ||
	    c->cap < 4 * c->bs || c->nworkers > 64 ||
	    c->nparts > LYB_CACHE_PARTS_MAX)
		return -EINVAL;
	if (c->ra_max > c->cap / 2)
		c->ra_max = c->cap / 2; /* read-ahead never fills the cache */
	c->lru.lru_next = c->lru.lru_prev = &c->lru;
	memset(c->streams, 0, sizeof(c->streams));
	memset(c->page_slots, 0, sizeof(c->page_slots));
	c->jobs = NULL;
	c->jobs_tail = &c->jobs;
	c->njobs = 0;
	c->stop = 0;
	pthread_mutex_lock(&c->lock);
	rc = slab_open();
	pthread_mutex_unlock(&c->lock);
	if (rc)
		return rc;
	if (cfg->dir) {
		rc = lyb_cache_disk_open(cfg->dir, cfg->disk_bytes
							   ? cfg->disk_bytes
							   : 10ull << 30);
		if (rc) {
			pthread_mutex_lock(&c->lock);
			slab_close_if_idle();
			pthread_mutex_unlock(&c->lock);
			return rc;
		}
	}
	c->started = 0;
	c->active = 1;
	return 0;
}

void lyb_cache_on_corrupt(void (*fn)(void *arg, const unsigned char *id),
			  void *arg)
{
	pthread_mutex_lock(&c->lock);
	c->corrupt_fn = fn;
	c->corrupt_arg = arg;
	pthread_mutex_unlock(&c->lock);
}

void lyb_cache_shutdown(void)
{
	struct blk *b;

	pthread_mutex_lock(&c->lock);
	c->active = 0;
	pthread_mutex_unlock(&c->lock);
	lyb_cache_workers_stop();
	pthread_mutex_lock(&c->lock);
	while (c->lru.lru_next && c->lru.lru_next != &c->lru) {
		b = c->lru.lru_next;
		lru_unlink(b);
		lyb_cache_blk_unlist(b);
		blk_free(b);
	}
	lyb_cache_verify_clear();
	slab_close_if_idle(); /* else the last pin's put (not on the LRU) */
	pthread_mutex_unlock(&c->lock);
	lyb_cache_disk_close();
}

/* Reads around the cache, for objects without a checksum only. */
static int direct(const struct lyb_cache_src *src, void *buf, size_t len,
		  uint64_t off, size_t *got)
{
	int rc = src->fetch(src->arg, buf, len, off, got);

	if (rc == 0)
		atomic_fetch_add(&c->direct_bytes, *got);
	return rc;
}

/*
 * Serves [@pos, @pos + @n) of block @index of a checked object through a
 * buffer of its own when the cache has no room: the whole block is
 * fetched and checked all the same. Lock not held.
 */
static int bounce(const struct lyb_cache_src *src, uint64_t index, char *dst,
		  uint64_t pos, size_t n, size_t *got, int *report)
{
	struct blk tmp;
	size_t at = (size_t)(pos - index * c->bs);

	memset(&tmp, 0, sizeof(tmp));
	memcpy(tmp.id, src->id, sizeof(tmp.id));
	tmp.index = index;
	tmp.state = BLK_FETCHING;
	tmp.refs = 1;
	tmp.data = malloc(c->bs);
	if (!tmp.data)
		return -ENOMEM;
	lyb_cache_fetch_block(src, &tmp, 1, report);
	*got = 0;
	if (tmp.err == 0 && tmp.len > at) {
		*got = tmp.len - at < n ? tmp.len - at : n;
		memcpy(dst, tmp.data + at, *got);
	}
	atomic_fetch_add(&c->direct_bytes, *got);
	free(tmp.data);
	return tmp.err ? tmp.err : *got ? 0 : -EIO;
}

/* 1 if every block of [off, end) is cached and ready. Under lock. */
static int all_cached(const struct lyb_cache_src *src, uint64_t off,
		      uint64_t end)
{
	uint64_t i;
	struct blk *b;

	for (i = off / c->bs; i * c->bs < end; i++) {
		b = lyb_cache_blk_find(src->id, i);
		if (!b || b->state != BLK_READY)
			return 0;
	}
	return 1;
}

/*
 * 1 when a read of [@off, @off + @len) that starts a stream is served by
 * page (lyb_cache_fetch_pages): not at the object's start (where a reader
 * that goes on reads the block: head, a header), fewer than
 * LYB_CACHE_PAGE_READS_MAX of its block so far, @src has a page CRC
 * sidecar and block
 * CRC32Cs of the cache's blocks, the read lies in one 64 KiB sub-block,
 * and its block is not in memory (nor, the caller asks without the lock,
 * on disk). Under lock.
 */
static int by_page(const struct lyb_cache_src *src, uint64_t off, size_t len)
{
	uint64_t index = off / LYB_PAGECRC_BLOCK;
	struct page_slot *ps;

	if (off == 0 || !src->pages || !src->block_crc32c ||
	    src->block_crc_size != LYB_PAGECRC_BLOCK ||
	    c->bs != LYB_PAGECRC_BLOCK ||
	    off / LYB_PAGECRC_SUB != (off + len - 1) / LYB_PAGECRC_SUB ||
	    lyb_cache_blk_find(src->id, index))
		return 0;
	/* a block read here and there, again and again, is read whole:
	 * then it is cached */
	ps = &c->page_slots[lyb_fnv1a(lyb_fnv1a(LYB_FNV1A_INIT, src->id,
						LYB_CACHE_ID_LEN),
				      &index, sizeof(index)) %
			    LYB_CACHE_PAGE_SLOTS];
	if (ps->index != index || memcmp(ps->id, src->id, LYB_CACHE_ID_LEN)) {
		memcpy(ps->id, src->id, LYB_CACHE_ID_LEN);
		ps->index = index;
		ps->n = 0;
	}
	return ps->n++ < LYB_CACHE_PAGE_READS_MAX;
}

/*
 * Where the piece of a read that starts @done bytes into it goes when it
 * is not a cached block's bytes: @buf + @done, or @sp's own buffer.
 */
static char *dest(char *buf, struct lyb_spans *sp, size_t len, size_t done)
{
	return sp ? lyb_spans_mem(sp, len, done) : buf + done;
}

/*
 * lyb_cache_pread() on a started cache; -ESTALE: start again. With @sp,
 * the bytes of cached blocks are not copied: each stays pinned as a piece
 * of @sp (a read touches at most LYB_SPANS_MAX blocks here), and what is
 * read around the cache goes to @sp's own buffer.
 */
static int cached_pread(const struct lyb_cache_src *src, char *buf, size_t len,
			uint64_t off, size_t *got, int *report,
			struct lyb_spans *sp)
{
	uint64_t end = off + len, window, i, pos;
	struct stream *s;
	struct blk *b;
	size_t n, at, done = 0;
	int rc = 0, fetch, check, retried, retried_once = 0, kind;
	char *to;

	pthread_mutex_lock(&c->lock);
	if (lyb_cache_known_corrupt(src)) {
		pthread_mutex_unlock(&c->lock);
		lyb_log(LYB_LOG_DEBUG, "%s: read refused: known corrupt",
			src->name ? src->name : "an object");
		return -EIO;
	}
	check = lyb_cache_checked(src);
	/* an object with only a whole checksum is checked whole before any
	 * of its bytes is served */
	if (check && !lyb_cache_per_block(src)) {
		rc = lyb_cache_verify_whole(src, report);
		if (rc) {
			pthread_mutex_unlock(&c->lock);
			return rc == -EIO || rc == -ENOMEM ? rc : -EIO;
		}
	}
	kind = lyb_cache_classify(src, off, len, &window, &s);
	if (kind != LYB_READ_AHEAD && !check && !all_cached(src, off, end)) {
		pthread_mutex_unlock(&c->lock);
		to = dest(buf, sp, len, 0);
		rc = to ? direct(src, to, len, off, got) : -ENOMEM;
		if (rc == 0 && sp)
			rc = lyb_spans_add(sp, to, *got);
		return rc;
	}
	if (kind == LYB_READ_NEW && by_page(src, off, len)) {
		pthread_mutex_unlock(&c->lock);
		if (!lyb_cache_disk_has(src->id, off / c->bs)) {
			to = dest(buf, sp, len, 0);
			rc = to ? lyb_cache_fetch_pages(src, to, len, off)
				: -ENOMEM;
			if (rc == 0) {
				*got = len;
				return sp ? lyb_spans_add(sp, to, len) : 0;
			}
		}
		pthread_mutex_lock(&c->lock); /* else, or failed: the block */
		rc = 0;
	}
	if (window)
		lyb_cache_prefetch(src, s, end / c->bs,
				   (end + window - 1) / c->bs);
	for (i = off / c->bs; i * c->bs < end; i += !retried) {
		pos = off + done;
		n = (size_t)((i + 1) * c->bs < end ? (i + 1) * c->bs - pos
						   : end - pos);
		fetch = 0;
		retried = 0;
		b = lyb_cache_blk_find(src->id, i);
		if (b) {
			b->refs++; /* pinned: off the LRU */
			lru_unlink(b);
			atomic_fetch_add(&c->hits, 1);
		} else {
			b = lyb_cache_blk_new(src->id, i, 0);
			if (!b) { /* every block in use: read around */
				pthread_mutex_unlock(&c->lock);
				to = dest(buf, sp, len, done);
				rc = !to     ? -ENOMEM
				     : check ? bounce(src, i, to, pos, n, &n,
						      report)
					     : direct(src, to, n, pos, &n);
				if (rc == 0 && sp)
					rc = lyb_spans_add(sp, to, n);
				pthread_mutex_lock(&c->lock);
				if (rc)
					break;
				done += n;
				continue;
			}
			atomic_fetch_add(&c->misses, 1);
			fetch = 1;
		}
		if (fetch) {
			pthread_mutex_unlock(&c->lock);
			lyb_cache_fetch_block(src, b, 1, report);
			pthread_mutex_lock(&c->lock);
		}
		while (b->state == BLK_FETCHING)
			pthread_cond_wait(&c->done, &c->lock);
		rc = b->err;
		if (rc && !fetch && rc != -ESTALE && rc != -ECANCELED &&
		    !retried_once) {
			/* another's fetch failed (read-ahead, often): the
			 * failed block left the table, so fetch it again for
			 * this reader, once, rather than answer its error */
			lyb_cache_blk_put(b);
			retried_once = 1;
			retried = 1;
			continue;
		}
		if (rc == 0) {
			b->prefetched = 0;
			at = (size_t)(pos - i * c->bs);
			n = b->len > at ? b->len - at : 0;
			if (n > len - done)
				n = len - done;
			if (n && sp) {
				/* READY and pinned: the piece keeps the pin */
				rc = lyb_spans_add(sp, b->data + at, n);
				if (rc == 0) {
					sp->pins[sp->npins++] = b;
					done += n;
					continue;
				}
			} else if (n) {
				/* READY and pinned: the bytes stay as they
				 * are, copied without the lock */
				pthread_mutex_unlock(&c->lock);
				memcpy(buf + done, b->data + at, n);
				pthread_mutex_lock(&c->lock);
			}
			done += n;
			if (n == 0)
				rc = -EIO; /* a block shorter than promised */
		}
		lyb_cache_blk_put(b);
		if (rc)
			break;
	}
	pthread_mutex_unlock(&c->lock);
	if (rc)
		return rc;
	*got = done;
	return 0;
}

int lyb_cache_pread_uncached(const struct lyb_cache_src *src, void *buf,
			     size_t len, uint64_t off, size_t *got)
{
	uint64_t bs = src->block_crc_size, i, start, end;
	size_t want, n, at, done = 0, bgot;
	char *blk;
	int rc = 0;

	*got = 0;
	if (off >= src->size || len == 0)
		return 0;
	if (len > src->size - off)
		len = (size_t)(src->size - off);
	if (!src->block_crc32c || bs == 0 || bs > (16u << 20))
		return src->fetch(src->arg, buf, len, off, got);
	blk = malloc(bs);
	if (!blk)
		return -ENOMEM;
	end = off + len;
	for (i = off / bs; rc == 0 && i * bs < end; i++) {
		start = i * bs;
		want = src->size - start < bs ? (size_t)(src->size - start)
					      : (size_t)bs;
		bgot = 0;
		rc = src->fetch(src->arg, blk, want, start, &bgot);
		if (rc == 0 && bgot != want)
			rc = -EIO; /* the size was promised */
		if (rc == 0 &&
		    lyb_crc32c_update(0, blk, want) != src->block_crc32c[i]) {
			lyb_log(LYB_LOG_ERR,
				"%s: block %llu does not match the catalog's "
				"block_crc32c: reads of it answer EIO",
				src->name ? src->name : "an object",
				(unsigned long long)i);
			rc = -EIO;
		}
		if (rc)
			break;
		at = (size_t)(off + done - start);
		n = want - at < len - done ? want - at : len - done;
		memcpy((char *)buf + done, blk + at, n);
		done += n;
	}
	free(blk);
	if (rc)
		return rc;
	*got = done;
	return 0;
}

/* lyb_cache_pread() and lyb_cache_pread_spans(): @buf, or @sp. */
static int cache_pread(const struct lyb_cache_src *src, void *buf, size_t len,
		       uint64_t off, size_t *got, struct lyb_spans *sp)
{
	int rc, report = 0, tries = 0, active;

	*got = 0;
	if (off >= src->size || len == 0)
		return 0;
	if (len > src->size - off)
		len = (size_t)(src->size - off);
	pthread_mutex_lock(&c->lock);
	active = c->active;
	pthread_mutex_unlock(&c->lock);
	if (sp && (!active || len / c->bs + 2 > LYB_SPANS_MAX)) {
		/* not from the cache's blocks, or more of them than pieces:
		 * the read's own buffer, one piece */
		buf = lyb_spans_mem(sp, len, 0);
		if (!buf)
			return -ENOMEM;
		rc = cache_pread(src, buf, len, off, got, NULL);
		if (rc == 0)
			rc = lyb_spans_add(sp, buf, *got);
		return rc;
	}
	if (!active)
		return lyb_cache_pread_uncached(src, buf, len, off, got);
	do {
		rc = cached_pread(src, buf, len, off, got, &report, sp);
		if (rc && sp)
			lyb_spans_release(sp);
	} while (rc == -ESTALE && ++tries < MAX_RETRIES);
	if (report)
		lyb_cache_report_corrupt(src->id);
	if (rc == -ESTALE || rc == -EBADMSG)
		rc = -EIO;
	if (rc)
		*got = 0;
	return rc;
}

int lyb_cache_pread(const struct lyb_cache_src *src, void *buf, size_t len,
		    uint64_t off, size_t *got)
{
	return cache_pread(src, buf, len, off, got, NULL);
}

int lyb_cache_pread_spans(const struct lyb_cache_src *src, size_t len,
			  uint64_t off, struct lyb_spans *sp)
{
	size_t got;
	int rc = cache_pread(src, NULL, len, off, &got, sp);

	if (rc)
		lyb_spans_release(sp);
	return rc;
}

char *lyb_spans_mem(struct lyb_spans *sp, size_t cap, size_t done)
{
	if (!sp->mem)
		sp->mem = malloc(cap ? cap : 1);
	return sp->mem ? sp->mem + done : NULL;
}

int lyb_spans_add(struct lyb_spans *sp, const char *p, size_t len)
{
	struct iovec *last = sp->n ? &sp->v[sp->n - 1] : NULL;

	if (len == 0)
		return 0;
	if (last && (const char *)last->iov_base + last->iov_len == p) {
		last->iov_len += len;
	} else {
		if (sp->n == LYB_SPANS_MAX)
			return -ENOBUFS;
		sp->v[sp->n].iov_base = (void *)p;
		sp->v[sp->n].iov_len = len;
		sp->n++;
	}
	sp->total += len;
	return 0;
}

void lyb_spans_copy(const struct lyb_spans *sp, void *buf)
{
	size_t at = 0;
	unsigned i;

	for (i = 0; i < sp->n; i++) {
		memcpy((char *)buf + at, sp->v[i].iov_base, sp->v[i].iov_len);
		at += sp->v[i].iov_len;
	}
}

void lyb_spans_release(struct lyb_spans *sp)
{
	unsigned i;

	if (sp->npins) {
		pthread_mutex_lock(&c->lock);
		for (i = 0; i < sp->npins; i++)
			lyb_cache_blk_put(sp->pins[i]);
		pthread_mutex_unlock(&c->lock);
	}
	free(sp->mem);
	memset(sp, 0, sizeof(*sp));
}

void lyb_cache_stats(struct lyb_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	out->mem_bytes = c->used;
	pthread_mutex_unlock(&c->lock);
	out->mem_cap = c->cap;
	out->hits = atomic_load(&c->hits);
	out->misses = atomic_load(&c->misses);
	out->prefetched = atomic_load(&c->prefetched);
	out->direct_bytes = atomic_load(&c->direct_bytes);
	out->page_reads = atomic_load(&c->page_reads);
	out->page_rejected = atomic_load(&c->page_rejected);
	out->verified = atomic_load(&c->verified);
	out->corrupt = atomic_load(&c->corrupt);
	out->blocks_verified = atomic_load(&c->blocks_verified);
	lyb_cache_disk_stats(out);
}
