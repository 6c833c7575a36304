// SPDX-License-Identifier: Apache-2.0
/*
 * cache.c - the shared block cache and read-ahead (see cache.h).
 *
 * Everything below is under one mutex, @c.lock, never held across I/O:
 * a block being fetched is in the table as FETCHING, so a second reader
 * waits on @c.done instead of fetching it again. Blocks not referenced by
 * a reader sit on an LRU list; the memory cap counts every block's bytes,
 * fetching ones included.
 *
 * Disk tier: DIR/<hex id>-<index> holds a block followed by a trailer
 * (magic, length, CRC32C of the bytes). It is written under a temporary
 * name and renamed, and the trailer is checked on every load, so a block
 * torn by a crash is never served: it is deleted and fetched again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lyb/cache.h"
#include "lyb/digest.h"
#include "lyb/log.h"

#define NBUCKETS 65536
#define NSTREAMS 256	       /* recent read streams, all objects */
#define DISK_MAGIC 0x4342594cu /* "LYBC" */
#define VBUCKETS 1024
#define MAX_VRECS 4096 /* objects being verified at once */
#define WHOLE_MAX 1    /* blocks: smaller objects are checked before use */

enum blk_state { BLK_FETCHING, BLK_READY };

struct blk {
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t index;
	enum blk_state state;
	int err;	   /* of the fetch, when it failed */
	int refs;	   /* readers and the fetcher using it */
	int prefetched;	   /* fetched ahead and not read yet */
	size_t len;	   /* valid bytes (short at the object's end) */
	char *data;	   /* block_size bytes */
	struct blk *hnext; /* hash chain */
	struct blk *lru_prev, *lru_next; /* when refs == 0 and READY */
	int in_table;
};

struct stream {
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t seq;	  /* bytes read in order so far */
	uint64_t crc_pos; /* next byte the running CRC32C expects, or ~0 */
	uint32_t crc;	  /* of crc_pos's block, from its start to crc_pos */
	uint64_t next;	  /* where the next sequential read starts */
	uint64_t window;  /* read-ahead bytes */
	uint64_t used;	  /* stamp, for replacing the oldest */
	double at;	  /* monotonic seconds of its last read */
	int live;
};

struct job {
	struct lyb_cache_src src; /* holds src.arg */
	struct blk *b;		  /* holds a reference */
	struct job *next;
};

/* The CRC32C check of one object, built block by block. */
struct vrec {
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t size, nblocks, nhave, stamp;
	uint32_t expect;
	uint32_t *crcs;	     /* per block; freed once checked */
	unsigned char *have; /* per block */
	int state;	     /* 0 checking, 1 good, -1 corrupt */
	struct vrec *next;
};

struct dent {
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t index;
	uint64_t bytes; /* on disk, trailer included */
	uint64_t stamp;
	struct dent *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t done; /* a fetch finished */
	pthread_cond_t work; /* a job was queued, or stop */
	int active, stop;
	size_t bs;
	uint64_t cap, used, ra_max;
	struct blk *table[NBUCKETS];
	struct blk lru; /* sentinel: lru.lru_next is the oldest */
	struct stream streams[NSTREAMS];
	uint64_t clock;
	struct job *jobs, **jobs_tail;
	unsigned nworkers, started; /* started: threads running */
	pthread_t *workers;
	/* disk tier, under lock too (file I/O is done outside it) */
	char *dir;
	uint64_t disk_cap, disk_used;
	struct dent *dtable[NBUCKETS];
	uint64_t tmp_seq;
	/* integrity */
	struct vrec *vtable[VBUCKETS];
	unsigned nvrecs;
	/* statistics */
	uint64_t hits, misses, prefetched, direct_bytes, disk_hits;
	uint64_t verified, corrupt;
} c = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .done = PTHREAD_COND_INITIALIZER,
       .work = PTHREAD_COND_INITIALIZER};

static unsigned hash(const unsigned char *id, uint64_t index)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	h ^= index * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return (unsigned)(h % NBUCKETS);
}

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
	b->lru_prev = c.lru.lru_prev;
	b->lru_next = &c.lru;
	c.lru.lru_prev->lru_next = b;
	c.lru.lru_prev = b;
}

static struct blk *table_find(const unsigned char *id, uint64_t index)
{
	struct blk *b;

	for (b = c.table[hash(id, index)]; b; b = b->hnext)
		if (b->index == index && memcmp(b->id, id, sizeof(b->id)) == 0)
			return b;
	return NULL;
}

static void table_remove(struct blk *b)
{
	struct blk **p = &c.table[hash(b->id, b->index)];

	for (; *p; p = &(*p)->hnext)
		if (*p == b) {
			*p = b->hnext;
			break;
		}
	b->in_table = 0;
}

static void blk_free(struct blk *b)
{
	c.used -= c.bs;
	free(b->data);
	free(b);
}

/* Frees the oldest unused block; 0 if there was none. Under lock. */
static int evict_one(int spare_prefetched)
{
	struct blk *b;

	for (b = c.lru.lru_next; b != &c.lru; b = b->lru_next) {
		if (spare_prefetched && b->prefetched)
			continue;
		lru_unlink(b);
		table_remove(b);
		blk_free(b);
		return 1;
	}
	return 0;
}

/*
 * A new FETCHING block with one reference, in the table; NULL when the cap
 * cannot make room (or out of memory). Read-ahead (@ahead) never evicts
 * blocks fetched ahead that nobody has read yet. Under lock.
 */
static struct blk *blk_new(const unsigned char *id, uint64_t index, int ahead)
{
	struct blk *b;
	unsigned h;

	while (c.used + c.bs > c.cap)
		if (!evict_one(ahead))
			return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->data = malloc(c.bs);
	if (!b->data) {
		free(b);
		return NULL;
	}
	c.used += c.bs;
	memcpy(b->id, id, sizeof(b->id));
	b->index = index;
	b->state = BLK_FETCHING;
	b->refs = 1;
	b->prefetched = ahead;
	h = hash(id, index);
	b->hnext = c.table[h];
	c.table[h] = b;
	b->in_table = 1;
	return b;
}

/* Drops a reference; an unused block goes to the LRU or away. Under lock. */
static void blk_put(struct blk *b)
{
	if (--b->refs > 0)
		return;
	if (b->in_table && b->state == BLK_READY && !b->err)
		lru_append(b);
	else
		blk_free(b);
}

/* ---- disk tier ---- */

static struct dent **dent_slot(const unsigned char *id, uint64_t index)
{
	struct dent **p = &c.dtable[hash(id, index)];

	for (; *p; p = &(*p)->next)
		if ((*p)->index == index &&
		    memcmp((*p)->id, id, LYB_CACHE_ID_LEN) == 0)
			break;
	return p;
}

static void disk_path(char *out, size_t cap, const unsigned char *id,
		      uint64_t index)
{
	char hex[2 * LYB_CACHE_ID_LEN + 1];

	lyb_hex_encode(id, LYB_CACHE_ID_LEN, hex);
	snprintf(out, cap, "%s/%s-%llu", c.dir, hex, (unsigned long long)index);
}

/* Forgets and deletes entry *@p. Under lock. */
static void dent_drop(struct dent **p)
{
	struct dent *d = *p;
	char path[4096];

	disk_path(path, sizeof(path), d->id, d->index);
	unlink(path);
	c.disk_used -= d->bytes;
	*p = d->next;
	free(d);
}

/* Makes room for @bytes by deleting the least recently used. Under lock. */
static void disk_evict(uint64_t bytes)
{
	struct dent **oldest, **p;
	unsigned i;

	while (c.disk_used + bytes > c.disk_cap && c.disk_used > 0) {
		oldest = NULL;
		for (i = 0; i < NBUCKETS; i++)
			for (p = &c.dtable[i]; *p; p = &(*p)->next)
				if (!oldest || (*p)->stamp < (*oldest)->stamp)
					oldest = p;
		if (!oldest)
			break;
		dent_drop(oldest);
	}
}

struct trailer {
	uint32_t magic, len, crc, pad;
};

/* Loads a block from disk into @b->data; 0 or -ENOENT. Lock not held. */
static int disk_load(const unsigned char *id, uint64_t index, size_t want,
		     char *data)
{
	char path[4096];
	struct trailer t;
	ssize_t n;
	int fd, ok;

	disk_path(path, sizeof(path), id, index);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = pread(fd, data, want, 0);
	ok = n == (ssize_t)want &&
	     pread(fd, &t, sizeof(t), (off_t)want) == (ssize_t)sizeof(t) &&
	     t.magic == DISK_MAGIC && t.len == want &&
	     t.crc == lyb_crc32c_update(0, data, want);
	close(fd);
	if (!ok) {
		lyb_log(LYB_LOG_WARN,
			"cache %s: torn or corrupt block, fetching it again",
			path);
		return -EBADMSG;
	}
	return 0;
}

/* Writes a block to the disk tier (best effort). Lock not held. */
static void disk_store(const unsigned char *id, uint64_t index,
		       const char *data, size_t len)
{
	struct trailer t = {DISK_MAGIC, (uint32_t)len, 0, 0};
	char path[4096], tmp[4096];
	struct dent *d, **p;
	uint64_t seq;
	int fd, ok;

	pthread_mutex_lock(&c.lock);
	p = dent_slot(id, index);
	if (*p) { /* another fetch stored it */
		pthread_mutex_unlock(&c.lock);
		return;
	}
	disk_evict(len + sizeof(t));
	c.disk_used += len + sizeof(t); /* reserved: concurrent writers
					 * must not all fit in one gap */
	seq = ++c.tmp_seq;
	pthread_mutex_unlock(&c.lock);

	t.crc = lyb_crc32c_update(0, data, len);
	disk_path(path, sizeof(path), id, index);
	snprintf(tmp, sizeof(tmp), "%s/tmp.%d.%llu", c.dir, (int)getpid(),
		 (unsigned long long)seq);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, data, len) == (ssize_t)len &&
	     write(fd, &t, sizeof(t)) == (ssize_t)sizeof(t);
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	d = ok ? calloc(1, sizeof(*d)) : NULL;
	pthread_mutex_lock(&c.lock);
	p = dent_slot(id, index);
	if (d && !*p && rename(tmp, path) == 0) {
		memcpy(d->id, id, sizeof(d->id));
		d->index = index;
		d->bytes = len + sizeof(t); /* the reservation becomes it */
		d->stamp = ++c.clock;
		*p = d;
		d = NULL;
	} else {
		c.disk_used -= len + sizeof(t);
		unlink(tmp);
	}
	pthread_mutex_unlock(&c.lock);
	free(d);
}

/* Registers the blocks a previous run left; deletes temporaries. */
static int disk_scan(void)
{
	char hex[2 * LYB_CACHE_ID_LEN + 1], path[4096];
	unsigned long long index;
	unsigned char id[LYB_CACHE_ID_LEN];
	struct dirent *e;
	struct dent *d, **p;
	struct stat st;
	unsigned i, v;
	DIR *dir;

	dir = opendir(c.dir);
	if (!dir)
		return -errno;
	while ((e = readdir(dir))) {
		snprintf(path, sizeof(path), "%s/%s", c.dir, e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if (strncmp(e->d_name, "tmp.", 4) == 0) {
			unlink(path); /* a write cut short by a crash */
			continue;
		}
		if (sscanf(e->d_name, "%32[0-9a-f]-%llu", hex, &index) != 2 ||
		    strlen(hex) != 2 * LYB_CACHE_ID_LEN ||
		    stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		for (i = 0; i < LYB_CACHE_ID_LEN; i++) {
			sscanf(hex + 2 * i, "%2x", &v);
			id[i] = (unsigned char)v;
		}
		p = dent_slot(id, index);
		if (*p)
			continue;
		d = calloc(1, sizeof(*d));
		if (!d)
			break;
		memcpy(d->id, id, sizeof(id));
		d->index = index;
		d->bytes = (uint64_t)st.st_size;
		d->stamp = (uint64_t)st.st_mtime; /* older runs first */
		*p = d;
		c.disk_used += d->bytes;
	}
	closedir(dir);
	c.clock = (uint64_t)time(NULL);
	disk_evict(0);
	return 0;
}

/* ---- integrity ---- */

static void vrec_free(struct vrec *v)
{
	free(v->crcs);
	free(v->have);
	free(v);
}

static struct vrec **vrec_slot(const unsigned char *id)
{
	struct vrec **p = &c.vtable[hash(id, 0) % VBUCKETS];

	for (; *p; p = &(*p)->next)
		if (memcmp((*p)->id, id, LYB_CACHE_ID_LEN) == 0)
			break;
	return p;
}

/* Forgets the least recently used record. Under lock. */
static void vrec_evict(void)
{
	struct vrec **oldest = NULL, **p, *v;
	unsigned i;

	for (i = 0; i < VBUCKETS; i++)
		for (p = &c.vtable[i]; *p; p = &(*p)->next)
			if (!oldest || (*p)->stamp < (*oldest)->stamp)
				oldest = p;
	if (!oldest)
		return;
	v = *oldest;
	*oldest = v->next;
	vrec_free(v);
	c.nvrecs--;
}

/* The record of @src, created if needed; NULL when none. Under lock. */
static struct vrec *vrec_get(const struct lyb_cache_src *src)
{
	struct vrec **p = vrec_slot(src->id), *v;

	if (*p || !src->has_crc32c) {
		if (*p)
			(*p)->stamp = ++c.clock;
		return *p;
	}
	if (c.nvrecs >= MAX_VRECS)
		vrec_evict();
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	memcpy(v->id, src->id, sizeof(v->id));
	v->size = src->size;
	v->nblocks = (src->size + c.bs - 1) / c.bs;
	v->expect = src->crc32c;
	v->stamp = ++c.clock;
	v->crcs = calloc(v->nblocks ? v->nblocks : 1, sizeof(*v->crcs));
	v->have = calloc(v->nblocks ? v->nblocks : 1, 1);
	if (!v->crcs || !v->have) {
		vrec_free(v);
		return NULL;
	}
	p = vrec_slot(src->id);
	*p = v;
	c.nvrecs++;
	return v;
}

/* Drops every cached block of a corrupt object. Under lock. */
static void purge(const unsigned char *id, uint64_t nblocks)
{
	struct dent **d;
	struct blk *b;
	uint64_t i;

	for (i = 0; i < nblocks; i++) {
		b = table_find(id, i);
		if (b) {
			table_remove(b);
			if (b->refs == 0) {
				lru_unlink(b);
				blk_free(b);
			}
		}
		if (c.dir) {
			d = dent_slot(id, i);
			if (*d)
				dent_drop(d);
		}
	}
}

/*
 * Records block @index's CRC32C; when the object is complete, compares.
 * Under lock.
 */
static void verify_block(const struct lyb_cache_src *src, uint64_t index,
			 uint32_t crc)
{
	struct vrec *v = vrec_get(src);
	uint64_t i, len;
	uint32_t all;

	if (!v || v->state || index >= v->nblocks || v->have[index])
		return;
	v->have[index] = 1;
	v->crcs[index] = crc;
	if (++v->nhave < v->nblocks)
		return;
	all = v->crcs[0];
	for (i = 1; i < v->nblocks; i++) {
		len = i == v->nblocks - 1 ? v->size - i * c.bs : c.bs;
		all = lyb_crc32c_combine(all, v->crcs[i], len);
	}
	free(v->crcs);
	free(v->have);
	v->crcs = NULL;
	v->have = NULL;
	if (all == v->expect) {
		v->state = 1;
		c.verified++;
		return;
	}
	v->state = -1;
	c.corrupt++;
	lyb_log(LYB_LOG_ERR,
		"%s: its bytes do not match the catalog's crc32c (%08x, "
		"expected %08x): reads answer EIO",
		src->name ? src->name : "an object", all, v->expect);
	purge(src->id, v->nblocks);
}

/* 1 if @src was found corrupt. Under lock. */
static int corrupt(const struct lyb_cache_src *src)
{
	struct vrec *v = *vrec_slot(src->id);

	return v && v->state < 0;
}

/* ---- fetching ---- */

/* Fills @b (FETCHING, referenced) from disk or @src; lock not held. */
static void fetch_block(const struct lyb_cache_src *src, struct blk *b)
{
	uint64_t off = b->index * c.bs;
	size_t want = src->size - off < c.bs ? (size_t)(src->size - off) : c.bs;
	size_t got = 0;
	uint32_t crc;
	int rc = -ENOENT, from_disk = 0;

	if (c.dir) {
		struct dent *d;

		pthread_mutex_lock(&c.lock);
		d = *dent_slot(b->id, b->index);
		if (d)
			d->stamp = ++c.clock; /* recently used */
		from_disk = d != NULL;
		pthread_mutex_unlock(&c.lock);
		if (from_disk) {
			rc = disk_load(b->id, b->index, want, b->data);
			if (rc) {
				pthread_mutex_lock(&c.lock);
				if (*dent_slot(b->id, b->index))
					dent_drop(dent_slot(b->id, b->index));
				pthread_mutex_unlock(&c.lock);
			}
		}
	}
	if (rc == 0) {
		got = want;
	} else {
		from_disk = 0;
		rc = src->fetch(src->arg, b->data, want, off, &got);
		if (rc == 0 && got != want)
			rc = -EIO; /* the size was promised */
		if (rc == 0 && c.dir)
			disk_store(b->id, b->index, b->data, got);
	}
	crc = rc == 0 && src->has_crc32c ? lyb_crc32c_update(0, b->data, got)
					 : 0;
	pthread_mutex_lock(&c.lock);
	b->len = got;
	b->err = rc;
	b->state = BLK_READY;
	if (rc)
		table_remove(b); /* the next reader tries again */
	else if (from_disk)
		c.disk_hits++;
	if (rc == 0 && src->has_crc32c)
		verify_block(src, b->index, crc);
	if (rc == 0 && corrupt(src)) {
		b->err = -EIO;
		if (b->in_table)
			table_remove(b);
	}
	pthread_cond_broadcast(&c.done);
	pthread_mutex_unlock(&c.lock);
}

static void *worker(void *arg)
{
	struct job *j;

	(void)arg;
	pthread_mutex_lock(&c.lock);
	for (;;) {
		while (!c.jobs && !c.stop)
			pthread_cond_wait(&c.work, &c.lock);
		if (!c.jobs)
			break;
		j = c.jobs;
		c.jobs = j->next;
		if (!c.jobs)
			c.jobs_tail = &c.jobs;
		pthread_mutex_unlock(&c.lock);
		if (!c.stop)
			fetch_block(&j->src, j->b);
		if (j->src.release)
			j->src.release(j->src.arg);
		pthread_mutex_lock(&c.lock);
		if (j->b->state == BLK_FETCHING) { /* stopping: never fetched */
			j->b->state = BLK_READY;
			j->b->err = -ECANCELED;
			table_remove(j->b);
			pthread_cond_broadcast(&c.done);
		}
		blk_put(j->b);
		free(j);
	}
	pthread_mutex_unlock(&c.lock);
	return NULL;
}

/*
 * Starts the workers on first use, so a daemon that forks after
 * lyb_cache_init() still has them. 0 or -errno. Under lock.
 */
static int start_workers(void)
{
	if (c.started)
		return 0;
	if (!c.workers)
		c.workers = calloc(c.nworkers, sizeof(*c.workers));
	if (!c.workers)
		return -ENOMEM;
	while (c.started < c.nworkers &&
	       pthread_create(&c.workers[c.started], NULL, worker, NULL) == 0)
		c.started++;
	return c.started ? 0 : -EAGAIN;
}

/* Queues read-ahead of blocks [first, last]. Under lock. */
static void prefetch(const struct lyb_cache_src *src, uint64_t first,
		     uint64_t last)
{
	uint64_t i, nblocks = (src->size + c.bs - 1) / c.bs;
	struct blk *b;
	struct job *j;

	if (start_workers() != 0)
		return; /* no read-ahead, reads still work */
	if (last >= nblocks)
		last = nblocks ? nblocks - 1 : 0;
	for (i = first; i <= last && i < nblocks; i++) {
		if (table_find(src->id, i))
			continue;
		b = blk_new(src->id, i, 1);
		if (!b)
			return; /* full of unread read-ahead: enough */
		j = calloc(1, sizeof(*j));
		if (!j) {
			table_remove(b);
			blk_put(b);
			return;
		}
		j->src = *src;
		j->b = b;
		if (src->hold)
			src->hold(src->arg);
		*c.jobs_tail = j;
		c.jobs_tail = &j->next;
		c.prefetched++;
		pthread_cond_signal(&c.work);
	}
}

/*
 * Finds the stream a read at @off continues (within a block of where it
 * stands: the kernel's read-ahead reorders a little), or starts one.
 * Returns 1 for a sequential read of a stream that has read two blocks'
 * worth in order, with the window to read ahead; else 0. Like the
 * kernel's, read-ahead waits for evidence: `head` reads a little and
 * stops, and random reads that happen to land near another stream add
 * only their own few bytes to it. Under lock.
 */
static int classify(const struct lyb_cache_src *src, uint64_t off, size_t len,
		    uint64_t *window)
{
	struct stream *s, *hit = NULL, *oldest = NULL;
	struct timespec ts;
	uint64_t share;
	unsigned i, active = 0;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	for (i = 0; i < NSTREAMS; i++) {
		s = &c.streams[i];
		if (!s->live) {
			if (!oldest || oldest->live)
				oldest = s;
			continue;
		}
		if (!oldest || (oldest->live && s->used < oldest->used))
			oldest = s;
		if (s->window && now - s->at < 1.0)
			active++; /* reading ahead lately */
		/* the kernel's read-ahead may reorder a little */
		if (!hit && memcmp(s->id, src->id, LYB_CACHE_ID_LEN) == 0 &&
		    off + c.bs >= s->next && off <= s->next + c.bs)
			hit = s;
	}
	*window = 0;
	if (hit) {
		s = hit;
		if (off + len > s->next)
			s->next = off + len;
		s->used = ++c.clock;
		s->at = now;
		s->seq += len;
		if (s->seq < 2 * c.bs)
			return 0; /* too young to read ahead */
		/* streams reading ahead share the cache: each gets at most
		 * half its fair part, so they never crowd each other out */
		active += s->window ? 0 : 1;
		share = c.cap / (2 * (active ? active : 1));
		if (share < 2 * c.bs)
			share = 2 * c.bs;
		s->window = s->window ? s->window * 2 : 2 * c.bs;
		if (s->window > c.ra_max)
			s->window = c.ra_max;
		if (s->window > share)
			s->window = share;
		*window = s->window;
		return 1;
	}
	memcpy(oldest->id, src->id, LYB_CACHE_ID_LEN);
	oldest->seq = len;
	/* a stream from a block's start checksums what it reads directly */
	oldest->crc_pos = off % c.bs == 0 ? off : UINT64_MAX;
	oldest->crc = 0;
	oldest->next = off + len;
	oldest->window = 0;
	oldest->used = ++c.clock;
	oldest->at = now;
	oldest->live = 1;
	return 0;
}

/* ---- the API ---- */

int lyb_cache_init(const struct lyb_cache_config *cfg)
{
	struct lyb_cache_config d = {0};
	int rc;

	if (!cfg)
		cfg = &d;
	c.bs = cfg->block_size ? cfg->block_size : 1 << 20;
	c.cap = cfg->mem_bytes ? cfg->mem_bytes : 256ull << 20;
	c.ra_max = cfg->readahead_max ? cfg->readahead_max : 64ull << 20;
	c.nworkers = cfg->workers ? cfg->workers : 8;
	if ((c.bs & (c.bs - 1)) || c.bs < 65536 || c.bs > (16u << 20) ||
	    c.cap < 4 * c.bs || c.nworkers > 64)
		return -EINVAL;
	if (c.ra_max > c.cap / 2)
		c.ra_max = c.cap / 2; /* read-ahead never fills the cache */
	c.lru.lru_next = c.lru.lru_prev = &c.lru;
	c.jobs = NULL;
	c.jobs_tail = &c.jobs;
	c.stop = 0;
	if (cfg->dir) {
		c.dir = strdup(cfg->dir);
		if (!c.dir)
			return -ENOMEM;
		c.disk_cap = cfg->disk_bytes ? cfg->disk_bytes : 10ull << 30;
		if (mkdir(c.dir, 0700) != 0 && errno != EEXIST) {
			rc = -errno;
			goto out_dir;
		}
		if (chmod(c.dir, 0700) != 0) {
			rc = -errno;
			goto out_dir;
		}
		rc = disk_scan();
		if (rc)
			goto out_dir;
	}
	c.started = 0;
	c.active = 1;
	return 0;
out_dir:
	lyb_log(LYB_LOG_ERR, "cache dir %s: %s", cfg->dir, strerror(-rc));
	free(c.dir);
	c.dir = NULL;
	return rc;
}

void lyb_cache_shutdown(void)
{
	struct dent *d;
	struct blk *b;
	unsigned i;

	pthread_mutex_lock(&c.lock);
	c.stop = 1;
	c.active = 0;
	pthread_cond_broadcast(&c.work);
	pthread_mutex_unlock(&c.lock);
	for (i = 0; i < c.started; i++)
		pthread_join(c.workers[i], NULL);
	free(c.workers);
	c.workers = NULL;
	c.started = 0;
	while (c.lru.lru_next && c.lru.lru_next != &c.lru) {
		b = c.lru.lru_next;
		lru_unlink(b);
		table_remove(b);
		blk_free(b);
	}
	for (i = 0; i < NBUCKETS; i++)
		while ((d = c.dtable[i])) {
			c.dtable[i] = d->next;
			free(d);
		}
	for (i = 0; i < VBUCKETS; i++) {
		struct vrec *v;

		while ((v = c.vtable[i])) {
			c.vtable[i] = v->next;
			vrec_free(v);
		}
	}
	c.nvrecs = 0;
	free(c.dir);
	c.dir = NULL;
	c.disk_used = 0;
}

/* Reads around the cache: bytes the caller asked for, not cached. */
/*
 * Feeds bytes a stream read around the cache into its running CRC32C, so
 * the blocks a young stream reads directly are verified too (cache.h,
 * Integrity). @crcs holds the CRC of each piece of [off, off + len) cut at
 * block boundaries. Under lock.
 */
static void stream_crc(const struct lyb_cache_src *src, uint64_t off,
		       size_t len, const uint32_t *crcs)
{
	struct stream *s = NULL;
	uint64_t pos = off, end = off + len, cut;
	unsigned i;

	for (i = 0; i < NSTREAMS && !s; i++)
		if (c.streams[i].live && c.streams[i].crc_pos == off &&
		    memcmp(c.streams[i].id, src->id, LYB_CACHE_ID_LEN) == 0)
			s = &c.streams[i];
	if (!s)
		return;
	for (i = 0; pos < end; i++, pos = cut) {
		cut = (pos / c.bs + 1) * c.bs;
		if (cut > end)
			cut = end;
		s->crc = lyb_crc32c_combine(s->crc, crcs[i], cut - pos);
		if (cut % c.bs == 0 || cut == src->size) {
			verify_block(src, pos / c.bs, s->crc);
			s->crc = 0;
		}
	}
	s->crc_pos = end;
}

/* Reads around the cache: bytes the caller asked for, not cached. */
static int direct(const struct lyb_cache_src *src, void *buf, size_t len,
		  uint64_t off, size_t *got)
{
	uint32_t crcs[64];
	uint64_t pos, cut, end;
	size_t i = 0;
	int rc = src->fetch(src->arg, buf, len, off, got);

	/* checksum outside the lock, piece by block */
	end = off + (rc ? 0 : *got);
	for (pos = off; src->has_crc32c && pos < end && i < 64; pos = cut) {
		cut = (pos / c.bs + 1) * c.bs;
		if (cut > end)
			cut = end;
		crcs[i++] = lyb_crc32c_update(0, (char *)buf + (pos - off),
					      (size_t)(cut - pos));
	}
	pthread_mutex_lock(&c.lock);
	c.direct_bytes += rc ? 0 : *got;
	if (rc == 0 && src->has_crc32c && pos >= end && end > off)
		stream_crc(src, off, (size_t)(end - off), crcs);
	pthread_mutex_unlock(&c.lock);
	return rc;
}

/* 1 if every block of [off, end) is cached and ready. Under lock. */
static int all_cached(const struct lyb_cache_src *src, uint64_t off,
		      uint64_t end)
{
	uint64_t i;
	struct blk *b;

	for (i = off / c.bs; i * c.bs < end; i++) {
		b = table_find(src->id, i);
		if (!b || b->state != BLK_READY)
			return 0;
	}
	return 1;
}

int lyb_cache_pread(const struct lyb_cache_src *src, void *buf, size_t len,
		    uint64_t off, size_t *got)
{
	uint64_t end, window, i, pos, span;
	struct blk *b;
	size_t n, done = 0;
	int rc = 0, fetch, whole, wanted;

	*got = 0;
	if (off >= src->size || len == 0)
		return 0;
	if (len > src->size - off)
		len = (size_t)(src->size - off);
	end = off + len;

	pthread_mutex_lock(&c.lock);
	if (!c.active) {
		pthread_mutex_unlock(&c.lock);
		return src->fetch(src->arg, buf, len, off, got);
	}
	if (corrupt(src)) {
		pthread_mutex_unlock(&c.lock);
		lyb_log(LYB_LOG_DEBUG, "%s: read refused: known corrupt",
			src->name ? src->name : "an object");
		return -EIO;
	}
	/* a small object with a checksum is fetched and checked whole
	 * before any of its bytes are served */
	whole = src->has_crc32c && src->size <= WHOLE_MAX * c.bs;
	if (!whole) {
		if (!classify(src, off, len, &window) &&
		    !all_cached(src, off, end)) {
			pthread_mutex_unlock(&c.lock);
			return direct(src, buf, len, off, got);
		}
		if (window)
			prefetch(src, end / c.bs, (end + window - 1) / c.bs);
	}
	span = whole ? src->size : end;
	for (i = whole ? 0 : off / c.bs; i * c.bs < span; i++) {
		wanted = i * c.bs < end && (i + 1) * c.bs > off;
		pos = off + done;
		fetch = 0;
		b = table_find(src->id, i);
		if (b) {
			b->refs++;
			lru_unlink(b);
			c.hits++;
		} else {
			b = blk_new(src->id, i, 0);
			if (!b && !wanted)
				continue;
			if (!b) { /* every block in use: read around */
				pthread_mutex_unlock(&c.lock);
				n = (size_t)((i + 1) * c.bs < end
						     ? (i + 1) * c.bs - pos
						     : end - pos);
				rc = direct(src, (char *)buf + done, n, pos,
					    &n);
				pthread_mutex_lock(&c.lock);
				if (rc)
					break;
				done += n;
				continue;
			}
			c.misses++;
			fetch = 1;
		}
		if (fetch) {
			pthread_mutex_unlock(&c.lock);
			fetch_block(src, b);
			pthread_mutex_lock(&c.lock);
		}
		while (b->state == BLK_FETCHING)
			pthread_cond_wait(&c.done, &c.lock);
		rc = b->err;
		if (rc == 0 && wanted) {
			b->prefetched = 0;
			n = (size_t)(pos - i * c.bs);
			n = b->len > n ? b->len - n : 0;
			if (n > len - done)
				n = len - done;
			memcpy((char *)buf + done, b->data + (pos - i * c.bs),
			       n);
			done += n;
			if (n == 0)
				rc = -EIO; /* a block shorter than promised */
		}
		blk_put(b);
		if (rc)
			break;
	}
	if (rc == 0 && whole && corrupt(src))
		rc = -EIO;
	pthread_mutex_unlock(&c.lock);
	if (rc)
		return rc;
	*got = done;
	return 0;
}

void lyb_cache_stats(struct lyb_cache_stats *out)
{
	pthread_mutex_lock(&c.lock);
	out->hits = c.hits;
	out->misses = c.misses;
	out->prefetched = c.prefetched;
	out->direct_bytes = c.direct_bytes;
	out->mem_bytes = c.used;
	out->mem_cap = c.cap;
	out->disk_bytes = c.disk_used;
	out->disk_cap = c.dir ? c.disk_cap : 0;
	out->disk_hits = c.disk_hits;
	out->verified = c.verified;
	out->corrupt = c.corrupt;
	pthread_mutex_unlock(&c.lock);
}
