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
 * through whole blocks and, once a stream has read one block in order,
 * keep a read-ahead window of blocks fetched by worker threads, several
 * at once: like TCP's slow start it starts at 2 blocks and doubles each
 * time the reader has consumed a whole window, up to readahead_max and a
 * share of the memory cap, with at most two fetches per worker of one
 * stream queued or running. A free worker takes the queued fetch of the
 * stream with the fewest running, never one of a stream already running
 * its fair share of the workers, so streams share them. A reader whose block
 * was being fetched ahead and failed fetches it again itself, once,
 * before answering the error. The first block a reader asks for is
 * fetched by the reader, never queued behind read-ahead.
 * Other reads of an object without a checksum fetch exactly the bytes
 * asked, unless they are cached already; with one, they fetch (and
 * check) the whole blocks they touch.
 *
 * Concurrent readers of one block wait for one fetch, never start a
 * second. When every block is in use and the cap is reached, a read is
 * served directly from the source, uncached: memory never exceeds the cap.
 *
 * Integrity: no byte of an object with a checksum leaves the cache
 * unverified. When the catalog recorded a CRC32C per block (@block_crc32c,
 * blocks of @block_crc_size bytes equal to the cache's block size), every
 * block is checked when it enters memory, from the source or the disk
 * tier, before any of its bytes is served; random reads then fetch the
 * whole blocks they touch. Except with a page CRC sidecar (@pages): a read
 * that starts a stream (a random read) past the object's first byte,
 * within one 64 KiB sub-block of a block neither in memory nor on disk,
 * fetches just its 4 KiB pages and the sidecar's row for them at once,
 * checks the row up to the block's CRC32C and each page against it, and is
 * served uncached; a row or page that does not check falls back to the
 * whole block. A block that does not match answers -EIO (each later read
 * of it is fetched and checked again), and the object's blocks are dropped
 * from memory and disk. For an object with only a whole-object CRC32C or
 * MD5 (format 1 catalogs), the first read streams the whole object from
 * the source and checks it before serving any byte; the per-block CRC32Cs
 * computed on the way then check every block as above. Such an object that
 * does not match is corrupt: every later read answers -EIO. An object
 * without any checksum is served as the store answers it (the stores check
 * size and generation). Each corruption found is logged, counted, and
 * reported to the hook set with lyb_cache_on_corrupt() (the daemon drops
 * the kernel's cached pages of the file).
 *
 * Disk tier blocks carry their identity (object id, block index, length)
 * and a CRC32C of their bytes; a torn, swapped or planted file is deleted
 * and the block fetched again.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef LYB_CACHE_H
#define LYB_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define LYB_CACHE_ID_LEN 16

struct lyb_cache_config {
	uint64_t mem_bytes;	/* memory tier cap; 0: 256 MiB */
	size_t block_size;	/* 0: 1 MiB (a power of two, 64 KiB..16 MiB) */
	uint64_t readahead_max; /* largest window; 0: 64 MiB */
	unsigned workers;	/* parallel read-ahead fetches; 0: 48 */
	unsigned parts;		/* ranges at once for a block a reader
				 * waits for; 0: 4, 1: one (see
				 * lyb_cache_pread) */
	const char *dir;	/* disk tier directory (see lyb_cache_init) */
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
	int has_md5; /* else its MD5 is known: verify it */
	unsigned char md5[16];
	/* CRC32C of each @block_crc_size bytes, or NULL; kept alive with
	 * @arg. Used when @block_crc_size is the cache's block size. */
	const uint32_t *block_crc32c;
	uint64_t block_crc_size;
	int (*fetch)(void *arg, void *buf, size_t len, uint64_t off,
		     size_t *got);
	/* Reads the object's page CRC sidecar (pagecrc.h) as @fetch reads
	 * the object, or NULL when it has none; needs @block_crc32c. Once a
	 * row of it did not check, @pages_bad (may be NULL) is called: the
	 * source should offer @pages no more. */
	int (*pages)(void *arg, void *buf, size_t len, uint64_t off,
		     size_t *got);
	void (*pages_bad)(void *arg);
	void (*hold)(void *arg);
	void (*release)(void *arg);
	void *arg;
};

/*
 * Starts the process-wide cache; reads bypass it until this is called.
 * The worker threads start with the first read-ahead, so a daemon may
 * fork after this.
 * The disk tier directory is created (0700) if missing. An existing one
 * must be a directory, not a symbolic link, owned by the effective user,
 * without group or other permissions, and every directory above it must
 * be owned by root or that user and writable by no one else unless it is
 * sticky (like ssh's StrictModes); else -EPERM, with the reason logged.
 * Blocks found there are reused once checked. -EINVAL for a bad size,
 * -EBUSY while started (or a block of the last one is still pinned), or
 * an errno from the directory.
 */
int lyb_cache_init(const struct lyb_cache_config *cfg);

/*
 * Sets the function called (from any thread, no lock held) when an
 * object's bytes are found not to match its checksum, with the object's
 * id; NULL clears it. Set it before the first read.
 */
void lyb_cache_on_corrupt(void (*fn)(void *arg, const unsigned char *id),
			  void *arg);

/* Stops the workers and frees every block (the disk tier stays). */
void lyb_cache_shutdown(void);

/*
 * Reads up to @len bytes at @off of @src into @buf, straight from the
 * source while the cache is not started (or stopped), then through
 * lyb_cache_pread_uncached(). *@got < @len only at
 * the object's end. An error never returns partial bytes as success.
 */
int lyb_cache_pread(const struct lyb_cache_src *src, void *buf, size_t len,
		    uint64_t off, size_t *got);

/*
 * Reads around the cache (a process without it, such as `lyb head`, or an
 * object not pinned to a generation), still checking every block it
 * touches against @src's block CRC32Cs (in @block_crc_size blocks, at
 * most 16 MiB) before copying any byte: -EIO on a mismatch. Without them,
 * straight from the source (a whole-object check needs the cache).
 */
int lyb_cache_pread_uncached(const struct lyb_cache_src *src, void *buf,
			     size_t len, uint64_t off, size_t *got);

/*
 * A read answered in place: up to LYB_SPANS_MAX pieces, in order, @total
 * bytes in all. A piece is either bytes of a cached block, pinned (never
 * evicted, never changed) until lyb_spans_release(), or part of @mem, a
 * buffer of the read's own for what was not served from a block (the
 * cache not started, no room, an object read around it). The pieces are
 * iovecs the daemon hands to the kernel as they are (fuse_reply_iov), so a
 * block's bytes are copied once, into the reader's pages, not first into a
 * reply buffer. Zero it before the first use.
 */
#define LYB_SPANS_MAX 32
struct lyb_spans {
	unsigned n;
	struct iovec v[LYB_SPANS_MAX];
	size_t total;
	unsigned npins;
	void *pins[LYB_SPANS_MAX]; /* the blocks held */
	char *mem;		   /* NULL, or the read's own buffer */
};

/*
 * lyb_cache_pread() answering in @sp (zeroed, or released) rather than
 * copying into a buffer: the same checks, the same errors; on an error
 * @sp holds nothing. Release it with lyb_spans_release() after use.
 */
int lyb_cache_pread_spans(const struct lyb_cache_src *src, size_t len,
			  uint64_t off, struct lyb_spans *sp);

/*
 * @len bytes of @sp's own buffer (allocated on first use, @cap bytes in
 * all, the whole read's size), for the piece starting @done bytes into
 * the read; NULL when out of memory. What is written there becomes a piece
 * with lyb_spans_add().
 */
char *lyb_spans_mem(struct lyb_spans *sp, size_t cap, size_t done);

/* Appends @len bytes at @p as the next piece (merged with the last one
 * when they touch; nothing when @len is 0). -ENOBUFS when @sp is full. */
int lyb_spans_add(struct lyb_spans *sp, const char *p, size_t len);

/* Copies @sp's bytes to @buf (sp->total of them). */
void lyb_spans_copy(const struct lyb_spans *sp, void *buf);

/* Unpins @sp's blocks and frees its buffer; @sp is zeroed. */
void lyb_spans_release(struct lyb_spans *sp);

struct lyb_cache_stats {
	uint64_t hits, misses;	/* blocks found / fetched for a reader */
	uint64_t prefetched;	/* blocks fetched ahead */
	uint64_t direct_bytes;	/* random reads served around the cache */
	uint64_t page_reads;	/* reads checked by page (sidecar rows) */
	uint64_t page_rejected; /* rows or pages that did not check */
	uint64_t mem_bytes, mem_cap;
	uint64_t disk_bytes, disk_cap;
	uint64_t disk_hits;
	uint64_t verified, corrupt; /* objects checked whole; mismatches */
	uint64_t blocks_verified;   /* blocks checked against the catalog */
	uint64_t disk_rejected;	    /* disk tier files torn, swapped, planted */
};
void lyb_cache_stats(struct lyb_cache_stats *out);

#endif
