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
 * (magic, the object id, block index, length, CRC32C of the bytes). All
 * its I/O is relative to one descriptor of DIR, opened once without
 * following links; a file is written under a fresh temporary name
 * (O_EXCL|O_NOFOLLOW, 0600) and renamed. The trailer is checked on every
 * load, and then the bytes against the catalog's block CRC32C, so a block
 * torn by a crash, swapped for another or planted is never served: it is
 * deleted and fetched again.
 *
 * Verification (cache.h, Integrity): the trusted CRC32C of block i is the
 * catalog's (src->block_crc32c), or for an object with only a whole
 * checksum the one computed by the pass that checked it whole, kept in
 * its struct vrec. fetch_block() never marks a block READY without
 * comparing it with that CRC, so every path out of the cache (hits,
 * read-ahead, bounce buffers when the cap is reached) serves only checked
 * bytes.
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
#define DISK_VERSION 2u
#define VBUCKETS 1024
#define MAX_VRECS 4096	     /* objects with a verification record */
#define MAX_VCRCS (4u << 20) /* block CRCs they keep: 16 MiB, 4 TiB of data */
#define MAX_RETRIES 3	     /* a record evicted under a reader: start again */
#define DEFAULT_WORKERS 48   /* read-ahead fetches in flight, all streams */
#define BUSY_SECONDS 0.2     /* a stream that read since shares the workers */
#define STREAM_INFLIGHT 32   /* of one stream: the other workers are others' */

enum vstate { V_NONE, V_CHECKING, V_GOOD, V_BAD };

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

/*
 * A read stream. Its window grows like TCP's slow start: 2 blocks once it
 * has read one in order, doubled each time the reader has consumed a
 * whole window since it last grew. @inflight and @running count its
 * queued and running read-ahead jobs; @epoch changes when the slot is
 * given to another stream, so jobs of the old one no longer count.
 */
struct stream {
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t seq;	   /* bytes read in order so far */
	uint64_t next;	   /* where the next sequential read starts */
	uint64_t window;   /* read-ahead bytes */
	uint64_t grown_at; /* @next when @window last grew */
	uint64_t used;	   /* stamp, for replacing the oldest */
	uint64_t epoch;
	unsigned inflight, running;
	double at; /* monotonic seconds of its last read */
	int live;
};

struct job {
	struct lyb_cache_src src; /* holds src.arg */
	struct blk *b;		  /* holds a reference */
	struct stream *s;	  /* whose read-ahead, while @epoch matches */
	uint64_t epoch;
	struct job *next;
};

/*
 * What is known of one object's bytes. An object with only a whole
 * checksum is V_GOOD once a pass over all of it matched; @crcs are then
 * its trusted block CRC32Cs. V_BAD: it did not match, reads answer EIO.
 */
struct vrec {
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t nblocks, stamp;
	enum vstate state;
	int reported;	/* the corruption was logged and reported */
	uint32_t *crcs; /* V_GOOD: per block */
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
	uint64_t clock, epochs;
	struct job *jobs, **jobs_tail;
	unsigned nworkers, started; /* started: threads running */
	pthread_t *workers;
	/* disk tier, under lock too (file I/O is done outside it) */
	char *dir;
	int dirfd; /* of dir, opened once without following links */
	uint64_t disk_cap, disk_used;
	struct dent *dtable[NBUCKETS];
	uint64_t tmp_seq;
	/* integrity */
	struct vrec *vtable[VBUCKETS];
	unsigned nvrecs;
	uint64_t nvcrcs; /* block CRCs kept in V_GOOD records */
	void (*corrupt_fn)(void *arg, const unsigned char *id);
	void *corrupt_arg;
	/* statistics */
	uint64_t hits, misses, prefetched, direct_bytes, disk_hits;
	uint64_t verified, corrupt, blocks_verified, disk_rejected;
} c = {.dirfd = -1,
       .lock = PTHREAD_MUTEX_INITIALIZER,
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

/* The file name of a block, relative to c.dirfd. */
static void disk_name(char *out, size_t cap, const unsigned char *id,
		      uint64_t index)
{
	char hex[2 * LYB_CACHE_ID_LEN + 1];

	lyb_hex_encode(id, LYB_CACHE_ID_LEN, hex);
	snprintf(out, cap, "%s-%llu", hex, (unsigned long long)index);
}

/* Forgets and deletes entry *@p. Under lock. */
static void dent_drop(struct dent **p)
{
	struct dent *d = *p;
	char name[64];

	disk_name(name, sizeof(name), d->id, d->index);
	unlinkat(c.dirfd, name, 0);
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

/* After a block's bytes: which block they are, and their CRC32C. */
struct trailer {
	uint32_t magic, version;
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t index;
	uint32_t len, crc;
};

/*
 * Loads block @index of object @id from disk into @data and its CRC32C
 * into *@crc; 0, -ENOENT, or -EBADMSG for a file that is not that block
 * (torn, swapped, planted). Lock not held.
 */
static int disk_load(const unsigned char *id, uint64_t index, size_t want,
		     char *data, uint32_t *crc)
{
	char name[64];
	struct trailer t;
	struct stat st;
	ssize_t n;
	int fd, ok;

	disk_name(name, sizeof(name), id, index);
	fd = openat(c.dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	*crc = 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	     st.st_size == (off_t)(want + sizeof(t));
	n = ok ? pread(fd, data, want, 0) : -1;
	ok = ok && n == (ssize_t)want &&
	     pread(fd, &t, sizeof(t), (off_t)want) == (ssize_t)sizeof(t) &&
	     t.magic == DISK_MAGIC && t.version == DISK_VERSION &&
	     memcmp(t.id, id, LYB_CACHE_ID_LEN) == 0 && t.index == index &&
	     t.len == want;
	if (ok) {
		*crc = lyb_crc32c_update(0, data, want);
		ok = t.crc == *crc;
	}
	close(fd);
	if (!ok) {
		lyb_log(LYB_LOG_WARN,
			"cache %s/%s: torn or corrupt block, or another "
			"block's: fetching it again",
			c.dir, name);
		return -EBADMSG;
	}
	return 0;
}

/* Writes a checked block to the disk tier (best effort). Lock not held. */
static void disk_store(const unsigned char *id, uint64_t index,
		       const char *data, size_t len, uint32_t crc)
{
	struct trailer t;
	char name[64], tmp[64];
	struct dent *d, **p;
	uint64_t seq;
	int fd, ok;

	memset(&t, 0, sizeof(t));
	t.magic = DISK_MAGIC;
	t.version = DISK_VERSION;
	memcpy(t.id, id, LYB_CACHE_ID_LEN);
	t.index = index;
	t.len = (uint32_t)len;
	t.crc = crc;
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

	disk_name(name, sizeof(name), id, index);
	snprintf(tmp, sizeof(tmp), "tmp.%d.%llu", (int)getpid(),
		 (unsigned long long)seq);
	fd = openat(c.dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, data, len) == (ssize_t)len &&
	     write(fd, &t, sizeof(t)) == (ssize_t)sizeof(t);
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	d = ok ? calloc(1, sizeof(*d)) : NULL;
	pthread_mutex_lock(&c.lock);
	p = dent_slot(id, index);
	if (d && !*p && renameat(c.dirfd, tmp, c.dirfd, name) == 0) {
		memcpy(d->id, id, sizeof(d->id));
		d->index = index;
		d->bytes = len + sizeof(t); /* the reservation becomes it */
		d->stamp = ++c.clock;
		*p = d;
		d = NULL;
	} else {
		c.disk_used -= len + sizeof(t);
		if (fd >= 0)
			unlinkat(c.dirfd, tmp, 0);
	}
	pthread_mutex_unlock(&c.lock);
	free(d);
}

/* Registers the blocks a previous run left; deletes temporaries. */
static int disk_scan(void)
{
	char hex[2 * LYB_CACHE_ID_LEN + 1];
	unsigned long long index;
	unsigned char id[LYB_CACHE_ID_LEN];
	struct dirent *e;
	struct dent *d, **p;
	struct stat st;
	unsigned i, v;
	DIR *dir;
	int fd;

	fd = dup(c.dirfd);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		if (strncmp(e->d_name, "tmp.", 4) == 0) {
			/* a write cut short by a crash */
			unlinkat(c.dirfd, e->d_name, 0);
			continue;
		}
		if (sscanf(e->d_name, "%32[0-9a-f]-%llu", hex, &index) != 2 ||
		    strlen(hex) != 2 * LYB_CACHE_ID_LEN ||
		    fstatat(c.dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
			    0 ||
		    !S_ISREG(st.st_mode))
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

/*
 * Checks one directory on the way to the cache: owned by root or us, and
 * writable by no one else unless sticky. 0 or -EPERM (logged).
 */
static int dir_safe(const char *path, const struct stat *st, int is_cache)
{
	const char *why = NULL;

	if (!S_ISDIR(st->st_mode))
		why = "not a directory (a symbolic link or a file)";
	else if (is_cache && st->st_uid != geteuid())
		why = "owned by another user";
	else if (is_cache && (st->st_mode & 077))
		why = "group or others have permissions on it (want 0700)";
	else if (!is_cache && st->st_uid != 0 && st->st_uid != geteuid())
		why = "a parent directory is owned by another user";
	else if (!is_cache && (st->st_mode & (S_IWGRP | S_IWOTH)) &&
		 !(st->st_mode & S_ISVTX))
		why = "a parent directory is writable by others and not sticky";
	if (!why)
		return 0;
	lyb_log(LYB_LOG_ERR, "cache_dir %s: refused: %s is %s", c.dir, path,
		why);
	return -EPERM;
}

/*
 * Opens the disk tier directory, creating it 0700 if missing, and refuses
 * one another account could write or read (cache.h). Sets c.dirfd.
 */
static int dir_open(void)
{
	struct stat st, fst;
	char *parent, *real = NULL, *slash;
	int rc = 0;

	/* every directory above it, up to /, before anything is created */
	parent = strdup(c.dir);
	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (slash)
		slash[slash == parent ? 1 : 0] = '\0';
	real = slash ? realpath(parent, NULL) : NULL;
	free(parent);
	if (!real)
		return slash ? -errno : -EINVAL;
	for (;;) {
		if (stat(real, &fst) != 0)
			rc = -errno;
		else
			rc = dir_safe(real, &fst, 0);
		slash = strrchr(real, '/');
		if (rc || !slash || strcmp(real, "/") == 0)
			break;
		slash[slash == real ? 1 : 0] = '\0';
	}
	free(real);
	if (rc)
		return rc;
	if (lstat(c.dir, &st) != 0) {
		if (errno != ENOENT || mkdir(c.dir, 0700) != 0 ||
		    lstat(c.dir, &st) != 0)
			return -errno;
	}
	rc = dir_safe(c.dir, &st, 1);
	if (rc)
		return rc;
	c.dirfd = open(c.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c.dirfd < 0)
		return -errno;
	/* what was checked is what was opened */
	if (fstat(c.dirfd, &fst) != 0 || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino || dir_safe(c.dir, &fst, 1) != 0) {
		lyb_log(LYB_LOG_ERR,
			"cache_dir %s: refused: changed while "
			"checked",
			c.dir);
		close(c.dirfd);
		c.dirfd = -1;
		return -EPERM;
	}
	return 0;
}

/* ---- integrity ---- */

static void vrec_free(struct vrec *v)
{
	if (v->crcs)
		c.nvcrcs -= v->nblocks;
	free(v->crcs);
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

/* Forgets the least recently used record not being checked; 0 if none. */
static int vrec_evict(void)
{
	struct vrec **oldest = NULL, **p, *v;
	unsigned i;

	for (i = 0; i < VBUCKETS; i++)
		for (p = &c.vtable[i]; *p; p = &(*p)->next)
			if ((*p)->state != V_CHECKING &&
			    (!oldest || (*p)->stamp < (*oldest)->stamp))
				oldest = p;
	if (!oldest)
		return 0;
	v = *oldest;
	*oldest = v->next;
	vrec_free(v);
	c.nvrecs--;
	return 1;
}

/* The record of @src, created if needed; NULL out of memory. Under lock. */
static struct vrec *vrec_get(const struct lyb_cache_src *src)
{
	struct vrec **p = vrec_slot(src->id), *v;

	if (*p) {
		(*p)->stamp = ++c.clock;
		return *p;
	}
	if (c.nvrecs >= MAX_VRECS)
		vrec_evict();
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	memcpy(v->id, src->id, sizeof(v->id));
	v->nblocks = (src->size + c.bs - 1) / c.bs;
	v->stamp = ++c.clock;
	p = vrec_slot(src->id);
	*p = v;
	c.nvrecs++;
	return v;
}

/* 1 if the catalog gave @src's block CRC32Cs in the cache's block size. */
static int per_block(const struct lyb_cache_src *src)
{
	return src->block_crc32c && src->block_crc_size == c.bs;
}

/* 1 if @src has a checksum: its bytes are verified before use. */
static int checked(const struct lyb_cache_src *src)
{
	return per_block(src) || src->has_crc32c || src->has_md5;
}

/*
 * The trusted CRC32C of block @index of a checked @src into *@crc: 1, or
 * 0 when there is none yet (its whole-object record was evicted). Under
 * lock.
 */
static int trusted_crc(const struct lyb_cache_src *src, uint64_t index,
		       uint32_t *crc)
{
	struct vrec *v;

	if (per_block(src)) {
		*crc = src->block_crc32c[index];
		return 1;
	}
	v = *vrec_slot(src->id);
	if (!v || v->state != V_GOOD || index >= v->nblocks)
		return 0;
	*crc = v->crcs[index];
	return 1;
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
 * Records that @src's bytes do not match its checksum (@index: the block,
 * or UINT64_MAX for the whole object): counted, its blocks dropped from
 * both tiers, logged once. Returns 1 when the hook should be told. Under
 * lock.
 */
static int found_corrupt(const struct lyb_cache_src *src, uint64_t index)
{
	struct vrec *v = vrec_get(src);
	const char *name = src->name ? src->name : "an object";

	purge(src->id, (src->size + c.bs - 1) / c.bs);
	if (v && !per_block(src))
		v->state = V_BAD;
	if (v && v->reported)
		return 0;
	if (v)
		v->reported = 1;
	c.corrupt++; /* objects, not reads of them */
	if (index == UINT64_MAX)
		lyb_log(LYB_LOG_ERR,
			"%s: its bytes do not match the catalog's checksum: "
			"reads answer EIO",
			name);
	else
		lyb_log(LYB_LOG_ERR,
			"%s: block %llu (bytes %llu..) does not match the "
			"catalog's block_crc32c: reads of it answer EIO",
			name, (unsigned long long)index,
			(unsigned long long)(index * c.bs));
	return 1;
}

/* Tells the hook (lyb_cache_on_corrupt). Lock not held. */
static void report_corrupt(const unsigned char *id)
{
	void (*fn)(void *, const unsigned char *);
	void *arg;

	pthread_mutex_lock(&c.lock);
	fn = c.corrupt_fn;
	arg = c.corrupt_arg;
	pthread_mutex_unlock(&c.lock);
	if (fn)
		fn(arg, id);
}

/* 1 if @src was found corrupt as a whole. Under lock. */
static int corrupt(const struct lyb_cache_src *src)
{
	struct vrec *v = *vrec_slot(src->id);

	return v && v->state == V_BAD;
}

/*
 * Reads all of an object that has only a whole checksum from its source
 * and compares; on a match keeps its block CRC32Cs as the trusted ones.
 * Readers of it meanwhile wait. 0 when verified, -EIO when corrupt (or
 * an error of the source). Under lock; drops it while reading.
 */
static int verify_whole(const struct lyb_cache_src *src, int *report)
{
	uint64_t nblocks = (src->size + c.bs - 1) / c.bs, i, off;
	unsigned char md5[64];
	struct lyb_digest *d = NULL;
	uint32_t all = 0, *crcs = NULL;
	struct vrec *v;
	size_t want, got, n = sizeof(md5);
	char *buf = NULL;
	int rc = 0, match;

	for (;;) {
		v = vrec_get(src);
		if (!v)
			return -ENOMEM;
		if (v->state == V_GOOD)
			return 0;
		if (v->state == V_BAD)
			return -EIO;
		if (v->state == V_NONE)
			break;
		pthread_cond_wait(&c.done, &c.lock); /* another reader checks */
	}
	v->state = V_CHECKING;
	pthread_mutex_unlock(&c.lock);

	crcs = calloc(nblocks ? nblocks : 1, sizeof(*crcs));
	buf = malloc(c.bs);
	if (!crcs || !buf)
		rc = -ENOMEM;
	if (rc == 0 && !src->has_crc32c)
		rc = lyb_digest_new(LYB_DIGEST_MD5, &d);
	for (i = 0, off = 0; rc == 0 && i < nblocks; i++, off += want) {
		want = src->size - off < c.bs ? (size_t)(src->size - off)
					      : c.bs;
		got = 0;
		rc = src->fetch(src->arg, buf, want, off, &got);
		if (rc == 0 && got != want)
			rc = -EIO; /* the size was promised */
		if (rc)
			break;
		crcs[i] = lyb_crc32c_update(0, buf, want);
		all = i ? lyb_crc32c_combine(all, crcs[i], want) : crcs[i];
		if (d)
			rc = lyb_digest_update(d, buf, want);
	}
	if (rc == 0 && d)
		rc = lyb_digest_final(d, md5, &n);
	match = rc == 0 &&
		(src->has_crc32c ? all == src->crc32c
				 : n == 16 && memcmp(md5, src->md5, 16) == 0);
	lyb_digest_free(d);
	free(buf);

	pthread_mutex_lock(&c.lock);
	v = *vrec_slot(src->id); /* V_CHECKING records are never evicted */
	if (rc) {
		v->state = V_NONE; /* the source failed: try again later */
		free(crcs);
	} else if (match) {
		while (c.nvcrcs + nblocks > MAX_VCRCS && vrec_evict())
			;
		v = *vrec_slot(src->id);
		v->state = V_GOOD;
		v->crcs = crcs;
		c.nvcrcs += v->nblocks;
		c.verified++;
	} else {
		free(crcs);
		v->state = V_NONE;
		*report = found_corrupt(src, UINT64_MAX);
		rc = -EIO;
	}
	pthread_cond_broadcast(&c.done);
	return rc;
}

/* ---- fetching ---- */

/*
 * Fills @b (FETCHING, referenced) from disk or @src, checked against the
 * block's trusted CRC32C when @src has a checksum; lock not held. Sets
 * *@report when a corruption should be reported.
 */
static void fetch_block(const struct lyb_cache_src *src, struct blk *b,
			int *report)
{
	uint64_t off = b->index * c.bs;
	size_t want = src->size - off < c.bs ? (size_t)(src->size - off) : c.bs;
	size_t got = 0;
	uint32_t crc = 0, expect = 0;
	int rc = -ENOENT, from_disk = 0, check, have = 0, bad = 0;

	pthread_mutex_lock(&c.lock);
	check = checked(src);
	if (check)
		have = trusted_crc(src, b->index, &expect);
	if (c.dir) {
		struct dent *d = *dent_slot(b->id, b->index);

		if (d)
			d->stamp = ++c.clock; /* recently used */
		from_disk = d != NULL;
	}
	pthread_mutex_unlock(&c.lock);
	if (check && !have) {
		rc = -ESTALE; /* its record went: the reader starts again */
		goto out_done;
	}
	if (from_disk) {
		rc = disk_load(b->id, b->index, want, b->data, &crc);
		if (rc == 0 && check && crc != expect) {
			lyb_log(LYB_LOG_WARN,
				"cache %s: a block of %s on disk does not "
				"match its block CRC32C, fetching it again",
				c.dir, src->name ? src->name : "an object");
			rc = -EBADMSG;
		}
		if (rc) {
			pthread_mutex_lock(&c.lock);
			c.disk_rejected += rc == -EBADMSG;
			if (*dent_slot(b->id, b->index))
				dent_drop(dent_slot(b->id, b->index));
			pthread_mutex_unlock(&c.lock);
		}
	}
	if (rc == 0) {
		got = want;
	} else {
		from_disk = 0;
		rc = src->fetch(src->arg, b->data, want, off, &got);
		if (rc == 0 && got != want)
			rc = -EIO; /* the size was promised */
		if (rc == 0 && (check || c.dir))
			crc = lyb_crc32c_update(0, b->data, got);
		if (rc == 0 && check && crc != expect) {
			bad = 1;
			rc = -EIO;
		}
		if (rc == 0 && c.dir)
			disk_store(b->id, b->index, b->data, got, crc);
	}
out_done:
	pthread_mutex_lock(&c.lock);
	b->len = got;
	b->err = rc;
	b->state = BLK_READY;
	if (rc)
		table_remove(b); /* the next reader tries again */
	else if (from_disk)
		c.disk_hits++;
	if (rc == 0 && check)
		c.blocks_verified++;
	if (bad && found_corrupt(src, b->index))
		*report = 1;
	pthread_cond_broadcast(&c.done);
	pthread_mutex_unlock(&c.lock);
}

/* The stream @j reads ahead for, if its slot still holds it. Under lock. */
static struct stream *job_stream(const struct job *j)
{
	return j->s && j->s->epoch == j->epoch ? j->s : NULL;
}

/*
 * Takes the queued job whose stream has the fewest fetches running, the
 * oldest of those, or NULL when every queued job's stream already runs
 * its fair share of the workers (the workers over the streams with
 * read-ahead queued or running, or that read in the last BUSY_SECONDS: a
 * reader between two reads still counts): a stream with a long queue of slow
 * ranges never holds every worker, so another's next fetch starts as soon as it
 * is queued. @any (stopping): whatever is queued. The queue is bounded by the
 * blocks the memory cap allows, so the scan is too. Under lock.
 */
static struct job *job_take(int any)
{
	struct job **p, **best = NULL, *j;
	struct stream *s;
	unsigned run, best_run = UINT32_MAX, fair, busy = 0, i;
	struct timespec ts;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	for (i = 0; i < NSTREAMS; i++) {
		s = &c.streams[i];
		busy += s->live && (s->inflight ||
				    (s->window && now - s->at < BUSY_SECONDS));
	}
	fair = c.nworkers / (busy ? busy : 1);
	if (fair == 0)
		fair = 1; /* more streams than workers: one each */
	if (any)
		fair = UINT32_MAX;
	for (p = &c.jobs; *p; p = &(*p)->next) {
		s = job_stream(*p);
		run = s ? s->running : 0;
		if (run < best_run && run < fair) {
			best = p;
			best_run = run;
			if (run == 0)
				break;
		}
	}
	if (!best)
		return NULL;
	j = *best;
	*best = j->next;
	if (!j->next)
		c.jobs_tail = best;
	j->next = NULL;
	return j;
}

static void *worker(void *arg)
{
	struct job *j;
	int report;

	(void)arg;
	pthread_mutex_lock(&c.lock);
	for (;;) {
		j = c.jobs ? job_take(c.stop) : NULL;
		if (!j && c.stop)
			break;
		if (!j) {
			pthread_cond_wait(&c.work, &c.lock);
			continue;
		}
		if (job_stream(j))
			j->s->running++;
		pthread_mutex_unlock(&c.lock);
		report = 0;
		if (!c.stop)
			fetch_block(&j->src, j->b, &report);
		if (report)
			report_corrupt(j->src.id);
		if (j->src.release)
			j->src.release(j->src.arg);
		pthread_mutex_lock(&c.lock);
		if (job_stream(j)) {
			j->s->running--;
			j->s->inflight--;
			pthread_cond_signal(&c.work); /* its share has room */
		}
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

/*
 * Queues read-ahead of blocks [first, last] for stream @s, at most
 * STREAM_INFLIGHT of its fetches queued or running at once (the next
 * read queues the rest). Under lock.
 */
static void prefetch(const struct lyb_cache_src *src, struct stream *s,
		     uint64_t first, uint64_t last)
{
	uint64_t i, nblocks = (src->size + c.bs - 1) / c.bs;
	struct blk *b;
	struct job *j;

	if (start_workers() != 0)
		return; /* no read-ahead, reads still work */
	if (last >= nblocks)
		last = nblocks ? nblocks - 1 : 0;
	for (i = first; i <= last && i < nblocks; i++) {
		if (s->inflight >= STREAM_INFLIGHT)
			return;
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
		j->s = s;
		j->epoch = s->epoch;
		s->inflight++;
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
		    uint64_t *window, struct stream **sp)
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
	*sp = NULL;
	if (hit) {
		s = hit;
		if (off + len > s->next)
			s->next = off + len;
		s->used = ++c.clock;
		s->at = now;
		s->seq += len;
		if (s->seq < c.bs)
			return 0; /* too young to read ahead */
		/* streams reading ahead share the cache: each gets at most
		 * half its fair part, so they never crowd each other out */
		active += s->window ? 0 : 1;
		share = c.cap / (2 * (active ? active : 1));
		if (share < 2 * c.bs)
			share = 2 * c.bs;
		if (!s->window) {
			s->window = 2 * c.bs;
			s->grown_at = s->next;
		} else if (s->next >= s->grown_at + s->window) {
			s->window *= 2; /* a whole window consumed */
			s->grown_at = s->next;
		}
		if (s->window > c.ra_max)
			s->window = c.ra_max;
		if (s->window > share)
			s->window = share;
		*window = s->window;
		*sp = s;
		return 1;
	}
	memcpy(oldest->id, src->id, LYB_CACHE_ID_LEN);
	oldest->seq = len;
	oldest->next = off + len;
	oldest->window = 0;
	oldest->epoch = ++c.epochs; /* its jobs no longer count */
	oldest->inflight = oldest->running = 0;
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
	c.nworkers = cfg->workers ? cfg->workers : DEFAULT_WORKERS;
	if ((c.bs & (c.bs - 1)) || c.bs < 65536 || c.bs > (16u << 20) ||
	    c.cap < 4 * c.bs || c.nworkers > 64)
		return -EINVAL;
	if (c.ra_max > c.cap / 2)
		c.ra_max = c.cap / 2; /* read-ahead never fills the cache */
	c.lru.lru_next = c.lru.lru_prev = &c.lru;
	memset(c.streams, 0, sizeof(c.streams));
	c.jobs = NULL;
	c.jobs_tail = &c.jobs;
	c.stop = 0;
	if (cfg->dir) {
		c.dir = strdup(cfg->dir);
		if (!c.dir)
			return -ENOMEM;
		c.disk_cap = cfg->disk_bytes ? cfg->disk_bytes : 10ull << 30;
		rc = dir_open();
		if (rc == 0)
			rc = disk_scan();
		if (rc)
			goto out_dir;
	}
	c.started = 0;
	c.active = 1;
	return 0;
out_dir:
	lyb_log(LYB_LOG_ERR, "cache dir %s: %s", cfg->dir, strerror(-rc));
	if (c.dirfd >= 0)
		close(c.dirfd);
	c.dirfd = -1;
	free(c.dir);
	c.dir = NULL;
	return rc;
}

void lyb_cache_on_corrupt(void (*fn)(void *arg, const unsigned char *id),
			  void *arg)
{
	pthread_mutex_lock(&c.lock);
	c.corrupt_fn = fn;
	c.corrupt_arg = arg;
	pthread_mutex_unlock(&c.lock);
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
	c.nvcrcs = 0;
	if (c.dirfd >= 0)
		close(c.dirfd);
	c.dirfd = -1;
	free(c.dir);
	c.dir = NULL;
	c.disk_used = 0;
}

/* Reads around the cache, for objects without a checksum only. */
static int direct(const struct lyb_cache_src *src, void *buf, size_t len,
		  uint64_t off, size_t *got)
{
	int rc = src->fetch(src->arg, buf, len, off, got);

	pthread_mutex_lock(&c.lock);
	c.direct_bytes += rc ? 0 : *got;
	pthread_mutex_unlock(&c.lock);
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
	size_t at = (size_t)(pos - index * c.bs);

	memset(&tmp, 0, sizeof(tmp));
	memcpy(tmp.id, src->id, sizeof(tmp.id));
	tmp.index = index;
	tmp.state = BLK_FETCHING;
	tmp.refs = 1;
	tmp.data = malloc(c.bs);
	if (!tmp.data)
		return -ENOMEM;
	fetch_block(src, &tmp, report);
	*got = 0;
	if (tmp.err == 0 && tmp.len > at) {
		*got = tmp.len - at < n ? tmp.len - at : n;
		memcpy(dst, tmp.data + at, *got);
	}
	pthread_mutex_lock(&c.lock);
	c.direct_bytes += *got;
	pthread_mutex_unlock(&c.lock);
	free(tmp.data);
	return tmp.err ? tmp.err : *got ? 0 : -EIO;
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

/* lyb_cache_pread() on a started cache; -ESTALE: start again. */
static int cached_pread(const struct lyb_cache_src *src, void *buf, size_t len,
			uint64_t off, size_t *got, int *report)
{
	uint64_t end = off + len, window, i, pos;
	struct stream *s;
	struct blk *b;
	size_t n, done = 0;
	int rc = 0, fetch, check, retried, retried_once = 0;

	pthread_mutex_lock(&c.lock);
	if (corrupt(src)) {
		pthread_mutex_unlock(&c.lock);
		lyb_log(LYB_LOG_DEBUG, "%s: read refused: known corrupt",
			src->name ? src->name : "an object");
		return -EIO;
	}
	check = checked(src);
	/* an object with only a whole checksum is checked whole before any
	 * of its bytes is served */
	if (check && !per_block(src)) {
		rc = verify_whole(src, report);
		if (rc) {
			pthread_mutex_unlock(&c.lock);
			return rc == -EIO || rc == -ENOMEM ? rc : -EIO;
		}
	}
	if (!classify(src, off, len, &window, &s) && !check &&
	    !all_cached(src, off, end)) {
		pthread_mutex_unlock(&c.lock);
		return direct(src, buf, len, off, got);
	}
	if (window)
		prefetch(src, s, end / c.bs, (end + window - 1) / c.bs);
	for (i = off / c.bs; i * c.bs < end; i += !retried) {
		pos = off + done;
		n = (size_t)((i + 1) * c.bs < end ? (i + 1) * c.bs - pos
						  : end - pos);
		fetch = 0;
		retried = 0;
		b = table_find(src->id, i);
		if (b) {
			b->refs++;
			lru_unlink(b);
			c.hits++;
		} else {
			b = blk_new(src->id, i, 0);
			if (!b) { /* every block in use: read around */
				pthread_mutex_unlock(&c.lock);
				rc = check ? bounce(src, i, (char *)buf + done,
						    pos, n, &n, report)
					   : direct(src, (char *)buf + done, n,
						    pos, &n);
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
			fetch_block(src, b, report);
			pthread_mutex_lock(&c.lock);
		}
		while (b->state == BLK_FETCHING)
			pthread_cond_wait(&c.done, &c.lock);
		rc = b->err;
		if (rc && !fetch && rc != -ESTALE && rc != -ECANCELED &&
		    !retried_once) {
			/* another's fetch failed (read-ahead, often): the
			 * failed block left the table, so fetch it again for
			 * this reader, once, rather than answer its error */
			blk_put(b);
			retried_once = 1;
			retried = 1;
			continue;
		}
		if (rc == 0) {
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
	pthread_mutex_unlock(&c.lock);
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

int lyb_cache_pread(const struct lyb_cache_src *src, void *buf, size_t len,
		    uint64_t off, size_t *got)
{
	int rc, report = 0, tries = 0, active;

	*got = 0;
	if (off >= src->size || len == 0)
		return 0;
	if (len > src->size - off)
		len = (size_t)(src->size - off);
	pthread_mutex_lock(&c.lock);
	active = c.active;
	pthread_mutex_unlock(&c.lock);
	if (!active)
		return lyb_cache_pread_uncached(src, buf, len, off, got);
	do
		rc = cached_pread(src, buf, len, off, got, &report);
	while (rc == -ESTALE && ++tries < MAX_RETRIES);
	if (report)
		report_corrupt(src->id);
	if (rc == -ESTALE || rc == -EBADMSG)
		rc = -EIO;
	if (rc)
		*got = 0;
	return rc;
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
	out->blocks_verified = c.blocks_verified;
	out->disk_rejected = c.disk_rejected;
	pthread_mutex_unlock(&c.lock);
}
