/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache.h - the shared block cache and read-ahead for immutable objects.
 *
 * Objects pinned to a generation never change, so their bytes are cached
 * in fixed-size blocks keyed by (object identity, block index) and never
 * revalidated. One process-wide cache with a hard memory cap serves every
 * open file; an optional disk tier keeps blocks across restarts.
 *
 * Reads are classified per object: a read that continues one of the
 * object's recent read streams (several readers of one file interleaved
 * still count, each is its own stream) is sequential. Sequential reads go
 * through whole blocks and grow a read-ahead window (doubling up to
 * readahead_max) fetched by worker threads, several blocks in parallel.
 * Other reads fetch exactly the bytes asked, unless they are cached
 * already, so random access pulls no more than it reads.
 *
 * Concurrent readers of one block wait for one fetch, never start a
 * second. When every block is in use and the cap is reached, a read is
 * served directly from the source, uncached: memory never exceeds the cap.
 *
 * Integrity: when the source's CRC32C is known, every block fetched is
 * checksummed, and once all blocks of an object have passed through the
 * cache, their combined CRC32C is compared with it. An object of one
 * block or less is fetched whole on its first read and checked before any
 * byte is served; a larger one is checked when its last block arrives
 * (so `head` on a large file still fetches only its start). A
 * mismatch is logged, the object's blocks are dropped (from disk too), and
 * every later read of it answers -EIO. Parts of large objects read at
 * random are not checksummed (the stores check size and generation on
 * every answer).
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef LYB_CACHE_H
#define LYB_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define LYB_CACHE_ID_LEN 16

struct lyb_cache_config {
	uint64_t mem_bytes;	/* memory tier cap; 0: 256 MiB */
	size_t block_size;	/* 0: 1 MiB (a power of two, 64 KiB..16 MiB) */
	uint64_t readahead_max; /* largest window; 0: 64 MiB */
	unsigned workers;	/* parallel fetches; 0: 8 */
	const char *dir;	/* disk tier directory (mode 0700), or NULL */
	uint64_t disk_bytes;	/* disk tier quota; 0: 10 GiB */
};

/*
 * Where a cached object's bytes come from. @fetch reads up to @len bytes
 * at @off (short only at the end of the object). @hold/@release keep @arg
 * alive while a read-ahead fetch is queued or running (they may be NULL
 * when @arg outlives every read of the process).
 */
struct lyb_cache_src {
	unsigned char id[LYB_CACHE_ID_LEN]; /* identifies object+generation */
	uint64_t size;
	const char *name; /* for log lines, e.g. "gs:bucket/key" */
	int has_crc32c;	  /* the object's CRC32C is known: verify it */
	uint32_t crc32c;
	int (*fetch)(void *arg, void *buf, size_t len, uint64_t off,
		     size_t *got);
	void (*hold)(void *arg);
	void (*release)(void *arg);
	void *arg;
};

/*
 * Starts the process-wide cache; reads bypass it until this is called.
 * The worker threads start with the first read-ahead, so a daemon may
 * fork after this.
 * The disk tier directory is created (0700) if missing; blocks found there
 * are reused. -EINVAL for a bad size, or an errno from the directory.
 */
int lyb_cache_init(const struct lyb_cache_config *cfg);

/* Stops the workers and frees every block (the disk tier stays). */
void lyb_cache_shutdown(void);

/*
 * Reads up to @len bytes at @off of @src into @buf, straight from the
 * source while the cache is not started (or stopped). *@got < @len only at
 * the object's end. An error never returns partial bytes as success.
 */
int lyb_cache_pread(const struct lyb_cache_src *src, void *buf, size_t len,
		    uint64_t off, size_t *got);

struct lyb_cache_stats {
	uint64_t hits, misses; /* blocks found / fetched for a reader */
	uint64_t prefetched;   /* blocks fetched ahead */
	uint64_t direct_bytes; /* random reads served around the cache */
	uint64_t mem_bytes, mem_cap;
	uint64_t disk_bytes, disk_cap;
	uint64_t disk_hits;
	uint64_t verified, corrupt; /* objects checked whole, and failed */
};
void lyb_cache_stats(struct lyb_cache_stats *out);

#endif
