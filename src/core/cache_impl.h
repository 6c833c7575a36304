/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache_impl.h - what the files of the block cache share (private to
 * lyb_core; cache.h has the API and its promises).
 *
 * One concern a file:
 *   cache.c         the API, the block table, the LRU and the memory cap:
 *                   what every read goes through
 *   cache_stream.c  read streams: classifying a read, the read-ahead
 *                   window (slow start), queueing its blocks, and which
 *                   queued fetch a free worker takes (the fair share)
 *   cache_worker.c  fetching one block (disk tier, source, check) and the
 *                   worker threads that fetch read-ahead
 *   cache_verify.c  what is known of an object's bytes: the trusted block
 *                   CRC32Cs, whole-object checks, corruption found
 *   cache_disk.c    the disk tier: its own state under its own lock
 *
 * Locks. Blocks, streams, the job queue and the verification records are
 * one state machine and share one mutex, struct lyb_cache's @lock
 * ("cache.lock"), and its two conditions: read-ahead creates a block and
 * queues its job in one step under the memory cap, a job names a block
 * and a stream, a fetch looks up the block's trusted CRC32C, a corrupt
 * object's blocks are dropped from the table, and readers of a block and
 * of an object being checked whole wait on the same condition. Split,
 * they would need an order between four locks on every read. The disk
 * tier shares nothing with them but block identities: its index is looked
 * up and updated around file I/O and its quota eviction scans the whole
 * index, so it has its own lock in cache_disk.c ("cache_disk.lock"), a
 * leaf. The two are never held together (no order between them): a
 * corrupt object is dropped from memory under cache.lock, then from disk
 * under cache_disk.lock. Statistics are atomics, under no lock. Neither
 * lock is held across a fetch, a read or write of a block file, or a copy
 * of block bytes; what is done under cache_disk.lock is the unlink of an
 * evicted or rejected file and the rename that publishes a written one.
 *
 * Pins. A block with @refs > 0 is pinned: it is off the LRU, and eviction
 * takes only blocks on the LRU, so no pinned block is ever freed; a purge
 * (corruption) only unlinks it from the table, and the last lyb_cache_blk_put
 * frees it. A READY block never changes: its fetcher writes @data and @len
 * before it turns READY under cache.lock, and nobody writes them after, so
 * a reader that saw it READY under the lock and holds a pin copies its bytes
 * with the lock released.
 *
 * Memory. Every block counts one block size in @used from
 * lyb_cache_blk_new() to its free, fetching, pinned or on the LRU; a new
 * block evicts LRU blocks until it fits, or is not made (the reader reads
 * around the cache, into a buffer of its own): @used never exceeds @cap.
 * A block's bytes are a slot of @slab, one mapping of @cap / @bs slots:
 * a block that fits always finds a free one.
 */
#ifndef LYB_CACHE_IMPL_H
#define LYB_CACHE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "lyb/cache.h"

#define LYB_CACHE_NBUCKETS 65536	/* the block table and the disk index */
#define LYB_CACHE_NSTREAMS 256		/* recent read streams, all objects */
#define LYB_CACHE_VBUCKETS 1024		/* the verification records */
#define LYB_CACHE_PARTS_MAX 16		/* lyb_cache_config.parts */
#define LYB_CACHE_PART_MIN (256 * 1024) /* the shortest part of a block */

enum blk_state { BLK_FETCHING, BLK_READY };

/*
 * A block in memory. Beside each field: "lock" (cache.lock), "fixed" (set
 * when it is made, never changed), or "fetcher" (written by its fetcher
 * alone, with no lock, while FETCHING; read by whoever holds a pin once
 * it is READY: see Pins).
 */
struct blk {
	unsigned char id[LYB_CACHE_ID_LEN]; /* fixed */
	uint64_t index;			    /* fixed */
	enum blk_state state;		    /* lock */
	int err;	/* lock: of the fetch, when it failed */
	int refs;	/* lock: pins, readers and fetcher */
	int prefetched; /* lock: fetched ahead, not read yet */
	size_t len; /* lock, set with READY: valid bytes (short at the end) */
	char *data; /* fetcher: block_size bytes */
	struct blk *hnext;		 /* lock: hash chain */
	struct blk *lru_prev, *lru_next; /* lock: when refs == 0, READY, ok */
	int in_table;			 /* lock */
};

/*
 * A read stream (cache_stream.c), under cache.lock. Its window grows like
 * TCP's slow start: 2 blocks once it has read one in order, doubled each
 * time the reader has consumed a whole window since it last grew.
 * @inflight and @running count its queued and running read-ahead jobs;
 * @epoch changes when the slot is given to another stream, so jobs of the
 * old one no longer count.
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
	/* how many of its fetches may run at once (cache_stream.c) */
	unsigned limit;
	double base, base_old; /* the quickest fetch, this second and last */
	double base_at;	       /* when @base's second began */
	double avg;	       /* of the fetches' times, about the last 4 */
	int shrunk;	       /* it shrank once: grows by one a round */
	unsigned acked;	       /* fetches ended since it last grew */
};

/* A queued or running read-ahead fetch; owned by the queue, then by the
 * worker that took it. */
struct job {
	struct lyb_cache_src src; /* holds src.arg */
	struct blk *b;		  /* holds a pin */
	struct stream *s;	  /* whose read-ahead, while @epoch matches */
	uint64_t epoch;
	double took;	  /* seconds its fetch from the source took, or 0 */
	struct job *next; /* the queue, under cache.lock */
};

enum vstate { V_NONE, V_CHECKING, V_GOOD, V_BAD };

/*
 * What is known of one object's bytes (cache_verify.c), under cache.lock.
 * An object with only a whole checksum is V_GOOD once a pass over all of
 * it matched; @crcs are then its trusted block CRC32Cs. V_BAD: it did not
 * match, reads answer EIO.
 */
struct vrec {
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t nblocks, stamp;
	enum vstate state;
	int reported;	/* the corruption was logged and reported */
	uint32_t *crcs; /* V_GOOD: per block */
	struct vrec *next;
};

/* small reads by page (cache.c, by_page): blocks whose reads are counted,
 * and page reads of one block before the next read of it takes the block */
#define LYB_CACHE_PAGE_SLOTS 1024
#define LYB_CACHE_PAGE_READS_MAX 4

/*
 * The process-wide cache but its disk tier (cache_disk.c keeps that).
 * Beside each field: "lock" (cache.lock), "init" (set by lyb_cache_init()
 * before any read, read-only after), or "atomic" (no lock).
 */
struct lyb_cache {
	pthread_mutex_t lock; /* "cache.lock" */
	pthread_cond_t done;  /* lock: a fetch or a whole-object check ended */
	pthread_cond_t work;  /* lock: a job was queued, a share has room, or
			       * stop */
	size_t bs;	      /* init: the block size */
	uint64_t cap;	      /* init: the memory cap */
	uint64_t ra_max;      /* init: the largest read-ahead window */
	unsigned nworkers;    /* init: worker threads to start */
	unsigned nparts;      /* init: ranges of a block a reader waits for */

	/* the cache (cache.c) */
	int active;	      /* lock: reads use the cache */
	char *slab;	      /* lock: @cap / @bs block slots, or NULL */
	char *slab_map;	      /* lock: the mapping that holds them */
	size_t slab_maplen;   /* lock */
	uint32_t *slots_free; /* lock: a stack of free slot numbers */
	size_t nslots_free;   /* lock */
	int stop;	      /* lock: the workers stop */
	uint64_t used;	      /* lock: bytes of blocks */
	struct blk *table[LYB_CACHE_NBUCKETS]; /* lock: all but failed ones */
	struct blk lru; /* lock: sentinel, lru.lru_next the oldest unpinned */
	uint64_t clock; /* lock: stamps of streams and records */

	/* read streams and the read-ahead queue (cache_stream.c) */
	struct stream streams[LYB_CACHE_NSTREAMS]; /* lock */
	uint64_t epochs;			   /* lock: the last epoch */
	struct job *jobs, **jobs_tail;		   /* lock: oldest first */
	uint64_t njobs;				   /* lock: how many */

	/* the workers (cache_worker.c) */
	unsigned started; /* lock: threads running */
	unsigned busy;	  /* lock: workers running a job or a part */
	struct lyb_cache_part *parts; /* lock: parts queued for a worker */
	unsigned nqueued;	      /* lock: how many */
	pthread_t *workers;	      /* lock: their ids, @nworkers of them */

	/* verification (cache_verify.c) */
	struct vrec *vtable[LYB_CACHE_VBUCKETS]; /* lock */
	unsigned nvrecs;			 /* lock: records in vtable */
	uint64_t nvcrcs; /* lock: block CRCs kept in V_GOOD records */
	void (*corrupt_fn)(void *arg, const unsigned char *id); /* lock */
	void *corrupt_arg;					/* lock */

	/* small reads by page (cache.c, by_page): how many each recently read
	 * block has had, direct-mapped by (object, block) */
	struct page_slot {
		unsigned char id[LYB_CACHE_ID_LEN];
		uint64_t index;
		unsigned n;
	} page_slots[LYB_CACHE_PAGE_SLOTS]; /* lock */

	/* statistics (struct lyb_cache_stats) */
	atomic_uint_fast64_t hits, misses, prefetched;		 /* atomic */
	atomic_uint_fast64_t direct_bytes;			 /* atomic */
	atomic_uint_fast64_t page_reads, page_rejected;		 /* atomic */
	atomic_uint_fast64_t verified, corrupt, blocks_verified; /* atomic */
};

/* The one cache (cache.c). */
extern struct lyb_cache lyb_cache;

static inline unsigned lyb_cache_hash(const unsigned char *id, uint64_t index)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	h ^= index * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return (unsigned)(h % LYB_CACHE_NBUCKETS);
}

/* The number of blocks of @size bytes in blocks of @bs. */
static inline uint64_t lyb_cache_nblocks(uint64_t size, size_t bs)
{
	return (size + bs - 1) / bs;
}

/* ---- the block table (cache.c), all under cache.lock ---- */

/* The block @index of object @id in the table, or NULL. */
struct blk *lyb_cache_blk_find(const unsigned char *id, uint64_t index);
/*
 * A new FETCHING block with one pin, in the table; NULL when the cap
 * cannot make room (or out of memory). Read-ahead (@ahead) never evicts
 * blocks fetched ahead that nobody has read yet.
 */
struct blk *lyb_cache_blk_new(const unsigned char *id, uint64_t index,
			      int ahead);
/* Drops a pin; an unpinned block goes to the LRU, or is freed when it
 * failed or left the table. */
void lyb_cache_blk_put(struct blk *b);
/* Takes @b out of the table (the next reader of it makes a new one). */
void lyb_cache_blk_unlist(struct blk *b);
/* Drops every block of object @id from memory (pinned ones leave the
 * table and are freed by their last pin). */
void lyb_cache_purge(const unsigned char *id, uint64_t nblocks);

/* ---- read streams and read-ahead (cache_stream.c), under cache.lock ---- */

/*
 * Finds the stream a read at @off continues, or starts one. Returns
 * LYB_READ_AHEAD for a sequential read of a stream old enough to read
 * ahead, with its window in *@window and the stream in *@sp; else
 * LYB_READ_YOUNG when it continues a young stream where it left off,
 * LYB_READ_NEW when it starts one or lands elsewhere near a young one (a
 * random read, or the first of a reader).
 */
enum { LYB_READ_NEW, LYB_READ_YOUNG, LYB_READ_AHEAD };
int lyb_cache_classify(const struct lyb_cache_src *src, uint64_t off,
		       size_t len, uint64_t *window, struct stream **sp);
/* Queues read-ahead of blocks [@first, @last] of @src for stream @s. */
void lyb_cache_prefetch(const struct lyb_cache_src *src, struct stream *s,
			uint64_t first, uint64_t last);
/*
 * Takes the next job a free worker should run and counts it running for
 * its stream, or NULL when none may run now. @any (stopping): whatever
 * is queued.
 */
struct job *lyb_cache_job_take(int any);
/* A job taken by lyb_cache_job_take() ended: uncounts it. */
void lyb_cache_job_done(struct job *j);

/* ---- fetching (cache_worker.c) ---- */

/*
 * Reads [@off, @off + @len) of @src (within one sub-block of a block with
 * a trusted CRC32C; @src->pages set) into @dst, checked by page: its 4 KiB
 * pages and the sidecar's row for them fetched at once (the row by an
 * idle worker), the row chained up to the block's CRC32C and each page
 * checked against it. 0, -EBADMSG when they do not check (counted and
 * logged: the caller reads the whole block instead), or the fetch's
 * error. Without cache.lock.
 */
int lyb_cache_fetch_pages(const struct lyb_cache_src *src, char *dst,
			  size_t len, uint64_t off);

/*
 * Fills @b (FETCHING, pinned) from the disk tier or @src, checked against
 * the block's trusted CRC32C when @src has a checksum, then marks it
 * READY (with @b->err set on failure) and wakes its waiters. Called
 * without cache.lock. Sets *@report when a corruption should be
 * reported (lyb_cache_report_corrupt). @reader: a reader waits for it,
 * so idle workers fetch parts of it at once (struct lyb_cache_part).
 * Returns the seconds its good bytes took to come from @src; 0 when they
 * came from the disk tier, or did not come.
 */
double lyb_cache_fetch_block(const struct lyb_cache_src *src, struct blk *b,
			     int reader, int *report);
/*
 * Starts workers until there is one for each running or queued fetch
 * and @more to come (at most the configured number). 0 when any runs,
 * else -errno. Under cache.lock.
 */
int lyb_cache_workers_start(unsigned more);
/* Stops and joins the workers. Without cache.lock. */
void lyb_cache_workers_stop(void);

/* ---- verification (cache_verify.c), under cache.lock unless noted ---- */

/* 1 if the catalog gave @src's block CRC32Cs in the cache's block size. */
int lyb_cache_per_block(const struct lyb_cache_src *src);
/* 1 if @src has a checksum: its bytes are verified before use. */
int lyb_cache_checked(const struct lyb_cache_src *src);
/*
 * The trusted CRC32C of block @index of a checked @src into *@crc: 1, or
 * 0 when there is none yet (its whole-object record was evicted). Called
 * without cache.lock: takes it to read a whole-object record.
 */
int lyb_cache_trusted_crc(const struct lyb_cache_src *src, uint64_t index,
			  uint32_t *crc);
/*
 * Records that @src's bytes do not match its checksum (@index: the block,
 * or UINT64_MAX for the whole object): counted, its blocks dropped from
 * memory, logged once. Returns 1 when the hook should be told. The caller
 * then drops its blocks from the disk tier (lyb_cache_disk_purge), after
 * releasing cache.lock.
 */
int lyb_cache_found_corrupt(const struct lyb_cache_src *src, uint64_t index);
/* 1 if @src was found corrupt as a whole. */
int lyb_cache_known_corrupt(const struct lyb_cache_src *src);
/*
 * Checks an object that has only a whole checksum, once: 0 when it
 * matched (now or before), -EIO when corrupt or its source failed,
 * -ENOMEM. Drops cache.lock while reading, and to drop a corrupt
 * object's files.
 */
int lyb_cache_verify_whole(const struct lyb_cache_src *src, int *report);
/* Tells the hook (lyb_cache_on_corrupt). Without cache.lock. */
void lyb_cache_report_corrupt(const unsigned char *id);
/* Frees every record (shutdown). Under cache.lock. */
void lyb_cache_verify_clear(void);

/* ---- the disk tier (cache_disk.c), without cache.lock unless noted ---- */

/*
 * Opens the disk tier at @dir with a quota of @cap bytes, checked as
 * cache.h says, and registers the blocks found there. 0 or -errno
 * (logged). Before any read.
 */
int lyb_cache_disk_open(const char *dir, uint64_t cap);
/* Forgets the index and closes the directory (the files stay). */
void lyb_cache_disk_close(void);
/* 1 when there is a disk tier (fixed from open to close). */
int lyb_cache_disk_on(void);
/* 1 when the disk tier holds block @index of object @id. */
int lyb_cache_disk_has(const unsigned char *id, uint64_t index);
/*
 * Loads block @index of object @id, @want bytes, into @data: 0, -ENOENT
 * when the tier does not have it, -EBADMSG when its file is not that
 * block (torn, swapped, planted, or its bytes do not match *@expect
 * when @expect is not NULL): then it is deleted, logged (naming @name)
 * and counted.
 */
int lyb_cache_disk_load(const unsigned char *id, uint64_t index, size_t want,
			char *data, const uint32_t *expect, const char *name);
/* Writes a checked block with its CRC32C @crc (best effort). */
void lyb_cache_disk_store(const unsigned char *id, uint64_t index,
			  const char *data, size_t len, uint32_t crc);
/* Deletes the files of blocks [0, @nblocks) of @id. */
void lyb_cache_disk_purge(const unsigned char *id, uint64_t nblocks);
/* Fills the disk_* fields of @out. */
void lyb_cache_disk_stats(struct lyb_cache_stats *out);

#endif
