// SPDX-License-Identifier: Apache-2.0
/*
 * test_cache.c - the block cache against a synthetic source: exact bytes
 * on every path, one fetch per block for concurrent readers, failures
 * that return no bytes, the memory cap, read-ahead, per-block
 * verification, a block a reader waits for fetched in parts at once, a
 * disk tier directory that is not safe, and a block being copied out
 * while other reads go on and evict.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache_impl.h"
#include "check.h"
#include "lyb/cache.h"
#include "lyb/digest.h"
#include "lyb/pagecrc.h"

#define BS (64 * 1024)
#define SIZE (40 * BS + 123) /* a short last block */

static atomic_int fetches, fetched_bytes;
static atomic_int fail_at_block = -1; /* fetches of this block fail */
static atomic_int short_by;	      /* the source lies about its size */
static atomic_int slow_us;

static unsigned char byte_at(uint64_t off)
{
	return (unsigned char)((off * 2654435761u) >> 13);
}

static int fetch(void *arg, void *buf, size_t len, uint64_t off, size_t *got)
{
	size_t i;

	(void)arg;
	atomic_fetch_add(&fetches, 1);
	if (atomic_load(&slow_us))
		usleep((useconds_t)atomic_load(&slow_us));
	if (atomic_load(&fail_at_block) >= 0 &&
	    off / BS <= (uint64_t)atomic_load(&fail_at_block) &&
	    (off + len - 1) / BS >= (uint64_t)atomic_load(&fail_at_block))
		return -EIO;
	if (off + len > SIZE - (uint64_t)atomic_load(&short_by))
		len = off >= SIZE - (uint64_t)atomic_load(&short_by)
			      ? 0
			      : SIZE - atomic_load(&short_by) - off;
	for (i = 0; i < len; i++)
		((unsigned char *)buf)[i] = byte_at(off + i);
	atomic_fetch_add(&fetched_bytes, (int)len);
	*got = len;
	return 0;
}

static struct lyb_cache_src src_for(int n)
{
	struct lyb_cache_src s = {.size = SIZE, .fetch = fetch};

	memset(s.id, n, sizeof(s.id));
	return s;
}

static int exact(const unsigned char *buf, uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != byte_at(off + i))
			return 0;
	return 1;
}

static void test_sequential(void)
{
	struct lyb_cache_src s = src_for(1);
	unsigned char buf[20000];
	uint64_t off;
	size_t got;
	int ok = 1;

	for (off = 0; off < SIZE; off += got) {
		CHECK_RC(lyb_cache_pread(&s, buf, sizeof(buf), off, &got), 0);
		if (got == 0)
			break;
		ok &= exact(buf, off, got);
	}
	CHECK(ok);
	CHECK(off == SIZE);
	CHECK_RC(lyb_cache_pread(&s, buf, 10, SIZE, &got), 0);
	CHECK(got == 0);
}

struct reader_arg {
	int id;
	uint64_t off;
	int ok;
};

static void *reader(void *p)
{
	struct reader_arg *a = p;
	struct lyb_cache_src s = src_for(a->id);
	unsigned char buf[BS];
	size_t got = 0;
	uint64_t off;

	a->ok = 1;
	/* continue a stream that exists, so the reads go through blocks */
	for (off = a->off; off < a->off + 4 * BS; off += BS) {
		if (lyb_cache_pread(&s, buf, BS, off, &got) != 0 || got != BS ||
		    !exact(buf, off, got))
			a->ok = 0;
	}
	return NULL;
}

static void test_coalescing(void)
{
	struct lyb_cache_src s = src_for(2);
	struct reader_arg args[8];
	pthread_t t[8];
	unsigned char b[16];
	size_t got;
	int i, before;

	/* start a stream at 0 so later reads are sequential */
	CHECK_RC(lyb_cache_pread(&s, b, sizeof(b), 0, &got), 0);
	atomic_store(&slow_us, 20000);
	before = atomic_load(&fetched_bytes);
	for (i = 0; i < 8; i++) {
		args[i] = (struct reader_arg){.id = 2, .off = 0};
		CHECK_RC(pthread_create(&t[i], NULL, reader, &args[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CHECK(args[i].ok);
	}
	atomic_store(&slow_us, 0);
	usleep(200000); /* read-ahead in flight */
	/* 8 readers of the same 4 blocks: each block fetched once, plus
	 * whatever was read ahead (at most the whole object) */
	CHECK(atomic_load(&fetched_bytes) - before <= SIZE);
}

static void test_failures(void)
{
	struct lyb_cache_src s = src_for(3);
	unsigned char buf[3 * BS];
	size_t got = 77;

	atomic_store(&fail_at_block, 5);
	/* a read that includes a failing block returns no bytes */
	CHECK_RC(lyb_cache_pread(&s, buf, 3 * BS, 4 * BS, &got), -EIO);
	CHECK_RC(lyb_cache_pread(&s, buf, 16, 0, &got), 0);
	CHECK_RC(lyb_cache_pread(&s, buf, 3 * BS, 16, &got), 0); /* seq */
	CHECK_RC(lyb_cache_pread(&s, buf, 3 * BS, 3 * BS + 16, &got), -EIO);
	atomic_store(&fail_at_block, -1);
	/* the failure is not cached: the next read fetches again */
	CHECK_RC(lyb_cache_pread(&s, buf, 3 * BS, 4 * BS, &got), 0);
	CHECK(got == 3 * BS && exact(buf, 4 * BS, got));

	/* a source shorter than promised is an error, never a short read */
	s = src_for(4);
	atomic_store(&short_by, 1000);
	CHECK_RC(lyb_cache_pread(&s, buf, 16, 0, &got), 0);
	{
		uint64_t off;
		size_t n = 0;
		int rc = 0;

		for (off = 16; off < SIZE && rc == 0; off += n)
			rc = lyb_cache_pread(&s, buf, BS, off, &n);
		CHECK_RC(rc, -EIO);
	}
	atomic_store(&short_by, 0);
}

static void test_cap(void)
{
	struct lyb_cache_stats st;
	unsigned char buf[BS];
	size_t got;
	int i;

	/* many objects read sequentially through a small cache */
	for (i = 10; i < 30; i++) {
		struct lyb_cache_src s = src_for(i);
		uint64_t off;

		for (off = 0; off < 8 * BS; off += BS)
			CHECK_RC(lyb_cache_pread(&s, buf, BS, off, &got), 0);
		lyb_cache_stats(&st);
		CHECK(st.mem_bytes <= st.mem_cap);
	}
	lyb_cache_stats(&st);
	CHECK(st.prefetched > 0);
	CHECK(st.hits > 0);
}

/* CRC32C of the whole synthetic object, computed independently. */
static uint32_t object_crc(void)
{
	static unsigned char all[SIZE];
	uint64_t i;

	for (i = 0; i < SIZE; i++)
		all[i] = byte_at(i);
	return lyb_crc32c_update(0, all, SIZE);
}

static void test_crc(void)
{
	const char *v = "123456789";
	uint32_t a = lyb_crc32c_update(0, v, 4),
		 b = lyb_crc32c_update(0, v + 4, 5);
	uint32_t x;

	CHECK(lyb_crc32c_update(0, v, 9) == 0xe3069283u); /* RFC 3720 check */
	CHECK(lyb_crc32c_combine(a, b, 5) == 0xe3069283u);
	CHECK(lyb_crc32c_combine(a, 0, 0) == a);
	CHECK_RC(lyb_crc32c_from_b64("4waSgw==", &x), 0);
	CHECK(x == 0xe3069283u);
	CHECK_RC(lyb_crc32c_from_b64("4waSg", &x), -EINVAL);
}

/* Reads @s start to end in 20000-byte steps; returns the first error. */
static int read_all(struct lyb_cache_src *s)
{
	unsigned char buf[20000];
	uint64_t off = 0;
	size_t got = 1;
	int rc = 0;

	while (rc == 0 && got && off < s->size) {
		rc = lyb_cache_pread(s, buf, sizeof(buf), off, &got);
		off += got;
	}
	return rc;
}

static void test_integrity(void)
{
	struct lyb_cache_stats st0, st;
	struct lyb_cache_src good = src_for(40), bad = src_for(41),
			     small = src_for(42);
	unsigned char buf[64];
	size_t got;

	lyb_cache_stats(&st0);
	good.has_crc32c = 1;
	good.crc32c = object_crc();
	CHECK_RC(read_all(&good), 0);
	usleep(100000);
	lyb_cache_stats(&st);
	CHECK(st.verified == st0.verified + 1);
	CHECK_RC(lyb_cache_pread(&good, buf, sizeof(buf), 100, &got), 0);

	/* the catalog's checksum disagrees: once seen whole, reads fail */
	bad.has_crc32c = 1;
	bad.crc32c = object_crc() ^ 1;
	(void)read_all(&bad);
	usleep(100000);
	lyb_cache_stats(&st);
	CHECK(st.corrupt == st0.corrupt + 1);
	CHECK_RC(lyb_cache_pread(&bad, buf, sizeof(buf), 100, &got), -EIO);
	CHECK_RC(lyb_cache_pread(&bad, buf, sizeof(buf), 0, &got), -EIO);

	/* a small object is checked before its first byte is served */
	small.size = BS - 5;
	small.has_crc32c = 1;
	small.crc32c = 12345;
	CHECK_RC(lyb_cache_pread(&small, buf, sizeof(buf), 10, &got), -EIO);
	{
		static unsigned char all[BS - 5];
		uint64_t i;

		for (i = 0; i < sizeof(all); i++)
			all[i] = byte_at(i);
		small = src_for(43);
		small.size = sizeof(all);
		small.has_crc32c = 1;
		small.crc32c = lyb_crc32c_update(0, all, sizeof(all));
	}
	CHECK_RC(lyb_cache_pread(&small, buf, sizeof(buf), 10, &got), 0);
	CHECK(got == sizeof(buf) && exact(buf, 10, got));
}

static atomic_int hook_calls;
static unsigned char hook_id[LYB_CACHE_ID_LEN];

static void on_corrupt(void *arg, const unsigned char *id)
{
	(void)arg;
	memcpy(hook_id, id, LYB_CACHE_ID_LEN);
	atomic_fetch_add(&hook_calls, 1);
}

/* The CRC32C of each block of the synthetic object. */
static uint32_t *block_crcs(void)
{
	static uint32_t crcs[(SIZE + BS - 1) / BS];
	static unsigned char blk[BS];
	uint64_t i, j, n;

	for (i = 0; i < sizeof(crcs) / sizeof(crcs[0]); i++) {
		n = SIZE - i * BS < BS ? SIZE - i * BS : BS;
		for (j = 0; j < n; j++)
			blk[j] = byte_at(i * BS + j);
		crcs[i] = lyb_crc32c_update(0, blk, n);
	}
	return crcs;
}

/* Per-block CRC32Cs: random reads fetch and check whole blocks. */
static void test_blocks(void)
{
	struct lyb_cache_src s = src_for(50), bad = src_for(51),
			     md5 = src_for(52);
	static uint32_t wrong[(SIZE + BS - 1) / BS];
	struct lyb_cache_stats st0, st;
	unsigned char buf[100];
	int before;
	size_t got;

	lyb_cache_on_corrupt(on_corrupt, NULL);
	lyb_cache_stats(&st0);
	s.block_crc32c = block_crcs();
	s.block_crc_size = BS;
	before = atomic_load(&fetched_bytes);
	CHECK_RC(lyb_cache_pread(&s, buf, sizeof(buf), 5 * BS + 7, &got), 0);
	CHECK(got == sizeof(buf) && exact(buf, 5 * BS + 7, got));
	CHECK(atomic_load(&fetched_bytes) - before == BS); /* its block */
	CHECK_RC(lyb_cache_pread(&s, buf, sizeof(buf), SIZE - 50, &got), 0);
	CHECK(got == 50 && exact(buf, SIZE - 50, got));

	/* one block's CRC disagrees: that block answers EIO, each time;
	 * the others are still served, checked */
	memcpy(wrong, block_crcs(), sizeof(wrong));
	wrong[7] ^= 1;
	bad.block_crc32c = wrong;
	bad.block_crc_size = BS;
	CHECK_RC(lyb_cache_pread(&bad, buf, sizeof(buf), 7 * BS + 3, &got),
		 -EIO);
	CHECK(got == 0);
	CHECK(atomic_load(&hook_calls) == 1 &&
	      memcmp(hook_id, bad.id, LYB_CACHE_ID_LEN) == 0);
	CHECK_RC(lyb_cache_pread(&bad, buf, sizeof(buf), 7 * BS + 3, &got),
		 -EIO);
	CHECK_RC(lyb_cache_pread(&bad, buf, sizeof(buf), 3 * BS, &got), 0);
	CHECK(got == sizeof(buf) && exact(buf, 3 * BS, got));
	/* a read across into the bad block returns nothing */
	CHECK_RC(lyb_cache_pread(&bad, buf, sizeof(buf), 7 * BS - 10, &got),
		 -EIO);
	lyb_cache_stats(&st);
	CHECK(st.corrupt == st0.corrupt + 1);
	CHECK(st.blocks_verified > st0.blocks_verified);

	/* around the cache (not pinned, or no cache): checked all the same */
	CHECK_RC(lyb_cache_pread_uncached(&s, buf, sizeof(buf), 6 * BS - 20,
					  &got),
		 0);
	CHECK(got == sizeof(buf) && exact(buf, 6 * BS - 20, got));
	CHECK_RC(lyb_cache_pread_uncached(&bad, buf, sizeof(buf), 7 * BS + 9,
					  &got),
		 -EIO);
	CHECK(got == 0);

	/* only an MD5 (format 1): checked whole before the first byte */
	md5.has_md5 = 1;
	memset(md5.md5, 7, sizeof(md5.md5));
	CHECK_RC(lyb_cache_pread(&md5, buf, sizeof(buf), 9 * BS, &got), -EIO);
	CHECK_RC(lyb_cache_pread(&md5, buf, sizeof(buf), 0, &got), -EIO);
	lyb_cache_on_corrupt(NULL, NULL);
}

/* A disk tier directory that is a symbolic link is refused. */
static void test_dir(void)
{
	char base[] = "/tmp/lyb-test-cache.XXXXXX", dir[64], link[64];
	struct lyb_cache_config cfg = {.mem_bytes = 16 * BS, .block_size = BS};

	CHECK(mkdtemp(base) != NULL);
	snprintf(dir, sizeof(dir), "%s/real", base);
	snprintf(link, sizeof(link), "%s/link", base);
	CHECK(mkdir(dir, 0700) == 0 && symlink(dir, link) == 0);
	cfg.dir = link;
	CHECK_RC(lyb_cache_init(&cfg), -EPERM);
	CHECK(chmod(dir, 0750) == 0);
	cfg.dir = dir;
	CHECK_RC(lyb_cache_init(&cfg), -EPERM);
	unlink(link);
	rmdir(dir);
	rmdir(base);
}

/* ---- many fetches in flight (issue #17) ---- */

#define NBLK 64
#define NSIZE (NBLK * BS + 77)

/*
 * A source with a network's manners: every fetch waits (a jitter that
 * reorders completions, or a long wait for one block or from one block
 * on), and one read-ahead fetch of a chosen block can fail once.
 */
struct net_obj {
	int jitter_us;		 /* each fetch waits 0..jitter_us */
	int slow_block, slow_ms; /* that block waits slow_ms (-1: none) */
	int slow_from;		 /* blocks from here wait slow_ms (-1) */
	atomic_int fail_once;	 /* a worker's fetch of it fails, once (-1) */
	pthread_t reader;	 /* the reader's thread (fail_once spares it) */
	atomic_int running, peak; /* fetches at once, and the most seen */
	atomic_int done_after;	  /* fetches of blocks > slow_block done */
	atomic_int after_at_slow; /* done_after when slow_block returned */
	atomic_int slow_started;  /* fetches from slow_from that started */
	atomic_int slow_done;	  /* and that returned */
	atomic_uint seed;
	int latency_us; /* each fetch waits that, however many run */
	int serial_us;	/* each holds the one link that long, in turn */
	pthread_mutex_t link;
	int peak_from;	      /* once this many fetches returned: */
	atomic_int late_peak; /* the most at once since */
	atomic_int returned;  /* fetches that returned */
};

/* Raises *@max to @v if @v is more (fetches at once, from any thread). */
static void raise_to(atomic_int *max, int v)
{
	int m = atomic_load(max);

	while (v > m && !atomic_compare_exchange_weak(max, &m, v))
		;
}

static int net_fetch(void *arg, void *buf, size_t len, uint64_t off,
		     size_t *got)
{
	struct net_obj *o = arg;
	int blk = (int)(off / BS), now, rc = 0;
	unsigned r;
	size_t i;

	now = atomic_fetch_add(&o->running, 1) + 1;
	raise_to(&o->peak, now);
	if (atomic_load(&o->returned) >= o->peak_from)
		raise_to(&o->late_peak, now);
	if (o->latency_us)
		usleep((useconds_t)o->latency_us);
	if (o->serial_us) {
		pthread_mutex_lock(&o->link);
		usleep((useconds_t)o->serial_us);
		pthread_mutex_unlock(&o->link);
	}
	r = atomic_fetch_add(&o->seed, 2654435761u) * 2246822519u;
	if (o->jitter_us)
		usleep((useconds_t)((r >> 8) % (unsigned)o->jitter_us));
	if (blk == o->slow_block ||
	    (o->slow_from >= 0 && blk >= o->slow_from)) {
		if (o->slow_from >= 0 && blk >= o->slow_from)
			atomic_fetch_add(&o->slow_started, 1);
		usleep((useconds_t)o->slow_ms * 1000);
		if (o->slow_from >= 0 && blk >= o->slow_from)
			atomic_fetch_add(&o->slow_done, 1);
	}
	if (blk == atomic_load(&o->fail_once) &&
	    !pthread_equal(pthread_self(), o->reader)) {
		atomic_store(&o->fail_once, -1);
		rc = -EIO; /* a transient error of one read-ahead range */
	}
	if (rc == 0) {
		for (i = 0; i < len; i++)
			((unsigned char *)buf)[i] = byte_at(off + i);
		*got = len;
	}
	if (o->slow_block >= 0 && blk > o->slow_block)
		atomic_fetch_add(&o->done_after, 1);
	if (blk == o->slow_block)
		atomic_store(&o->after_at_slow, atomic_load(&o->done_after));
	atomic_fetch_sub(&o->running, 1);
	atomic_fetch_add(&o->returned, 1);
	return rc;
}

/* The CRC32C of each @bs bytes of the object of @size bytes, into @crcs. */
static void block_crcs_of(uint32_t *crcs, uint64_t size, size_t bs)
{
	unsigned char *blk = malloc(bs);
	uint64_t i, j, n;

	CHECK(blk != NULL);
	for (i = 0; blk && i * bs < size; i++) {
		n = size - i * bs < bs ? size - i * bs : bs;
		for (j = 0; j < n; j++)
			blk[j] = byte_at(i * bs + j);
		crcs[i] = lyb_crc32c_update(0, blk, n);
	}
	free(blk);
}

static const uint32_t *net_crcs(void)
{
	static uint32_t crcs[(NSIZE + BS - 1) / BS];
	static int made; /* once: later streams' workers read them */

	if (!made)
		block_crcs_of(crcs, NSIZE, BS);
	made = 1;
	return crcs;
}

static void net_init(struct net_obj *o)
{
	memset(o, 0, sizeof(*o));
	o->slow_block = o->slow_from = -1;
	atomic_store(&o->fail_once, -1);
	pthread_mutex_init(&o->link, NULL);
	o->peak_from = INT_MAX;
	o->reader = pthread_self();
}

static struct lyb_cache_src net_src(int n, struct net_obj *o)
{
	struct lyb_cache_src s = {.size = NSIZE,
				  .fetch = net_fetch,
				  .arg = o,
				  .block_crc32c = net_crcs(),
				  .block_crc_size = BS};

	memset(s.id, n, sizeof(s.id));
	return s;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the whole object in order, @chunk bytes a call; 1 if exact. */
static int net_read_all(struct lyb_cache_src *s, struct net_obj *o,
			size_t chunk)
{
	static _Thread_local unsigned char buf[3 * BS];
	uint64_t off;
	size_t got;
	int rc;

	o->reader = pthread_self();
	for (off = 0; off < NSIZE; off += got) {
		rc = lyb_cache_pread(s, buf, chunk, off, &got);
		if (rc != 0) {
			fprintf(stderr, "read at %llu: %d\n",
				(unsigned long long)off, rc);
			return 0;
		}
		if (got == 0 || !exact(buf, off, got))
			return 0;
	}
	return off == NSIZE;
}

struct net_reader {
	struct lyb_cache_src s;
	struct net_obj *o;
	size_t chunk;
	int ok;
	double took;
};

static void *net_reader_main(void *p)
{
	struct net_reader *r = p;
	double t0 = mono();

	r->ok = net_read_all(&r->s, r->o, r->chunk);
	r->took = mono() - t0;
	return NULL;
}

/*
 * Byte-exact under reordered completion: three streams read at once,
 * every fetch delayed at random (completions arrive out of order), every
 * block checked against its CRC32C. Several fetches of one stream run at
 * once, never more than the workers (8) plus the reader's own.
 */
static void test_inflight_reordered(void)
{
	static struct net_obj o[3];
	struct net_reader r[3];
	pthread_t t[3];
	size_t chunks[3] = {BS / 4, BS, 3 * BS};
	int i;

	for (i = 0; i < 3; i++) {
		net_init(&o[i]);
		o[i].jitter_us = 8000;
		r[i] = (struct net_reader){.s = net_src(100 + i, &o[i]),
					   .o = &o[i],
					   .chunk = chunks[i]};
		CHECK(pthread_create(&t[i], NULL, net_reader_main, &r[i]) == 0);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		CHECK(r[i].ok);
		CHECK(atomic_load(&o[i].peak) >= 3);
		CHECK(atomic_load(&o[i].peak) <= 9);
	}
	/* and again from the cache, still exact */
	for (i = 0; i < 3; i++)
		CHECK(net_read_all(&r[i].s, &o[i], BS));
}

/*
 * One read-ahead range among many fails once, while the reader waits for
 * it: the reader fetches that block again itself instead of answering
 * the read-ahead's EIO.
 */
static void test_inflight_retry(void)
{
	static struct net_obj o;
	struct lyb_cache_src s;

	net_init(&o);
	o.jitter_us = 2000;
	o.slow_block = 20; /* the reader is waiting on it when it fails */
	o.slow_ms = 200;
	atomic_store(&o.fail_once, 20);
	s = net_src(110, &o);
	CHECK(net_read_all(&s, &o, BS / 2));
	CHECK(atomic_load(&o.fail_once) == -1); /* it did fail once */
}

/*
 * A slow range (block 24 takes 600 ms) does not stall the ones after
 * it: they are fetched while the reader waits (counted when the slow
 * one returns, not timed: the time is printed, for a reader).
 */
static void test_inflight_slow(void)
{
	static struct net_obj o;
	struct lyb_cache_src s;
	double t0, took;

	net_init(&o);
	o.jitter_us = 3000;
	o.slow_block = 24;
	o.slow_ms = 600;
	s = net_src(111, &o);
	t0 = mono();
	CHECK(net_read_all(&s, &o, BS));
	took = mono() - t0;
	fprintf(stderr,
		"slow block: read in %.0f ms, %d later blocks fetched "
		"meanwhile\n",
		took * 1000, atomic_load(&o.after_at_slow));
	CHECK(atomic_load(&o.after_at_slow) >= 8);
}

/*
 * Fair sharing: stream A has a full window of slow fetches (every
 * worker busy with A). A stream B that starts then is served by the
 * next free worker, not after A's whole queue, and keeps its share of
 * the workers from then on (A never takes them all back). Counted, not
 * timed: when B is done, A's slow fetches returned are about one round
 * of the workers (8, a few more on a loaded machine), where B waiting
 * behind A's queue (up to 32 fetches) would have seen 24 or more.
 */
static void test_inflight_fair(void)
{
	static struct net_obj a, b;
	struct net_reader ra, rb;
	pthread_t ta;
	double t0;
	int n;

	net_init(&a);
	a.slow_from = 24;
	a.slow_ms = 300;
	net_init(&b);
	b.jitter_us = 1000;
	ra = (struct net_reader){.s = net_src(120, &a), .o = &a, .chunk = BS};
	rb = (struct net_reader){.s = net_src(121, &b), .o = &b, .chunk = BS};
	CHECK(pthread_create(&ta, NULL, net_reader_main, &ra) == 0);
	t0 = mono();
	while (atomic_load(&a.slow_started) < 8 && mono() - t0 < 5)
		usleep(1000); /* every worker is on A's slow blocks */
	net_reader_main(&rb);
	n = atomic_load(&a.slow_done);
	fprintf(stderr,
		"fair: B read in %.0f ms while A was slow (%d of A's slow "
		"fetches returned meanwhile)\n",
		rb.took * 1000, n);
	CHECK(rb.ok);
	CHECK(n < 20);
	pthread_join(ta, NULL);
	CHECK(ra.ok);
}

/*
 * The kernel sends a sequential reader's read-ahead as several requests
 * of up to 1 MiB at once, answered by several threads, so they arrive a
 * few out of order (seen: 4 behind, 2 ahead). They stay one stream,
 * which reads ahead from its second read on. Not absorbed: a small read
 * ahead of it (a random reader's), a read behind it once it is idle, a
 * read far from it, a read a few blocks from a young stream. Were each
 * out-of-order read a new stream, the reader would split into streams
 * that start afresh and halve each other's share of the workers.
 */
static void test_streams_reordered(void)
{
	static const int order[] = {0,	1, 2,  3,  6,  4,  7,  5,  10, 8,
				    11, 9, 14, 12, 15, 13, 17, 16, 20, 18};
	const uint64_t mib = 1 << 20;
	static struct net_obj o;
	struct lyb_cache_src s;
	struct stream *sp, *first = NULL;
	uint64_t window;
	int kind, i, same = 1, ahead = 0,
		     n = (int)(sizeof(order) / sizeof(order[0]));

	net_init(&o);
	s = net_src(140, &o);
	s.size = 1024 * mib; /* classified only: never fetched */
	pthread_mutex_lock(&lyb_cache.lock);
	for (i = 0; i < n; i++) {
		kind = lyb_cache_classify(&s, (uint64_t)order[i] * mib, mib,
					  &window, &sp);
		if (i == 0)
			continue;
		if (!first)
			first = sp;
		same &= sp != NULL && sp == first;
		ahead += kind == LYB_READ_AHEAD && window > 0;
	}
	CHECK(same);
	CHECK(ahead == n - 1);
	/* the kernel's read 3 MiB ahead: the same stream (next: 21 MiB) */
	kind = lyb_cache_classify(&s, 24 * mib, mib, &window, &sp);
	CHECK(kind == LYB_READ_AHEAD && sp == first);
	/* a random reader's 4 KiB 3 MiB ahead (next: 25 MiB): its own */
	kind = lyb_cache_classify(&s, 28 * mib, 4096, &window, &sp);
	CHECK(kind == LYB_READ_NEW && sp == NULL);
	/* idle for 2 s: 3 MiB behind is not the same reader */
	first->at -= 2;
	kind = lyb_cache_classify(&s, 22 * mib, mib, &window, &sp);
	CHECK(kind == LYB_READ_NEW && sp == NULL);
	/* far from every stream */
	kind = lyb_cache_classify(&s, 60 * mib, 4096, &window, &sp);
	CHECK(kind == LYB_READ_NEW && sp == NULL);
	/* 3 blocks from that young stream: random reads stay apart */
	kind = lyb_cache_classify(&s, 60 * mib + 3 * BS, 4096, &window, &sp);
	CHECK(kind == LYB_READ_NEW && sp == NULL);
	pthread_mutex_unlock(&lyb_cache.lock);
}

/*
 * The limit of a stream's fetches at once follows its path. A source
 * that serves one range at a time (a saturated link; loopback, where the
 * CPUs are the link: each range waits for the ones before it) ends with
 * a few running, not every worker; one whose ranges take the same time
 * however many run (a network's latency) keeps every worker busy.
 * Counted once half of each object's fetches returned: the limit has
 * moved by then.
 */
static void test_inflight_adapts(void)
{
	static struct net_obj q, l;
	struct lyb_cache_src sq, sl;

	usleep(300 * 1000); /* earlier tests' streams no longer share */
	net_init(&q);
	q.serial_us = 1000;
	q.peak_from = NBLK / 2;
	sq = net_src(130, &q);
	CHECK(net_read_all(&sq, &q, BS));
	usleep(300 * 1000);
	net_init(&l);
	l.latency_us = 4000;
	l.peak_from = NBLK / 2;
	sl = net_src(131, &l);
	CHECK(net_read_all(&sl, &l, BS));
	fprintf(stderr,
		"adapts: at most %d fetches at once from a serial source, "
		"%d from a latency-bound one (8 workers)\n",
		atomic_load(&q.late_peak), atomic_load(&l.late_peak));
	CHECK(atomic_load(&q.late_peak) <= 5);
	CHECK(atomic_load(&l.late_peak) >= 6);
}

/* ---- a block a reader waits for, in parts (cache_worker.c) ---- */

#define PBS (1024 * 1024) /* the daemon's block size: four 256 KiB parts */
#define PSIZE (3 * PBS + 5)

/*
 * A source every fetch of which takes 40 ms, recording each range and
 * how many ran at once; it can fail the range at @fail_off once, or flip
 * a byte of it.
 */
struct part_obj {
	atomic_int n, running, peak;
	atomic_ullong offs[64], lens[64];
	atomic_llong fail_off, flip_off; /* -1: none */
};

static int part_fetch(void *arg, void *buf, size_t len, uint64_t off,
		      size_t *got)
{
	struct part_obj *o = arg;
	int k = atomic_fetch_add(&o->n, 1), now;
	size_t i;

	if (k < 64) {
		atomic_store(&o->offs[k], off);
		atomic_store(&o->lens[k], len);
	}
	now = atomic_fetch_add(&o->running, 1) + 1;
	raise_to(&o->peak, now);
	usleep(40000);
	atomic_fetch_sub(&o->running, 1);
	if ((long long)off == atomic_load(&o->fail_off)) {
		atomic_store(&o->fail_off, -1);
		return -EIO;
	}
	if (off + len > PSIZE)
		len = off >= PSIZE ? 0 : PSIZE - off;
	for (i = 0; i < len; i++)
		((unsigned char *)buf)[i] = byte_at(off + i);
	if ((long long)off == atomic_load(&o->flip_off)) {
		atomic_store(&o->flip_off, -1);
		((unsigned char *)buf)[len / 2] ^= 1;
	}
	*got = len;
	return 0;
}

static const uint32_t *part_crcs(void)
{
	static uint32_t crcs[(PSIZE + PBS - 1) / PBS];
	static int made;

	if (!made)
		block_crcs_of(crcs, PSIZE, PBS);
	made = 1;
	return crcs;
}

static struct lyb_cache_src part_src(int n, struct part_obj *o)
{
	struct lyb_cache_src s = {.size = PSIZE,
				  .fetch = part_fetch,
				  .arg = o,
				  .block_crc32c = part_crcs(),
				  .block_crc_size = PBS};

	memset(o, 0, sizeof(*o));
	atomic_store(&o->fail_off, -1);
	atomic_store(&o->flip_off, -1);
	memset(s.id, n, sizeof(s.id));
	return s;
}

/* 1 if fetches [@from, @o->n) are exactly the block at @blk in @parts
 * ranges of equal length, in any order. */
static int parts_cover(struct part_obj *o, int from, uint64_t blk, int parts)
{
	uint64_t each = PBS / (uint64_t)parts, seen = 0;
	int i, k;

	if (atomic_load(&o->n) - from != parts)
		return 0;
	for (i = from; i < from + parts; i++) {
		if (atomic_load(&o->lens[i]) != each ||
		    (atomic_load(&o->offs[i]) - blk * PBS) % each)
			return 0;
		k = (int)((atomic_load(&o->offs[i]) - blk * PBS) / each);
		if (k < 0 || k >= parts || (seen & (1u << k)))
			return 0;
		seen |= 1u << k;
	}
	return 1;
}

/*
 * A random read of one 4 KiB on a fresh cache: its 1 MiB block comes in
 * four 256 KiB ranges fetched at once (the workers start for them), and
 * the bytes are exact; the short last block is one range. A part that
 * fails fails the read with nothing cached, and the next read fetches
 * it again; a part with a wrong byte fails the block's check (EIO).
 */
static void test_parts(void)
{
	static struct part_obj o, bad;
	static unsigned char buf[8192];
	struct lyb_cache_src s, t;
	size_t got;

	s = part_src(130, &o);
	CHECK_RC(lyb_cache_pread(&s, buf, 4096, PBS + 100, &got), 0);
	CHECK(got == 4096 && exact(buf, PBS + 100, got));
	CHECK(parts_cover(&o, 0, 1, 4));
	CHECK(atomic_load(&o.peak) >= 2); /* at once, not one after another */
	fprintf(stderr, "parts: %d fetches, %d at once\n", atomic_load(&o.n),
		atomic_load(&o.peak));
	/* cached: no fetch */
	CHECK_RC(lyb_cache_pread(&s, buf, 4096, PBS + 8192, &got), 0);
	CHECK(got == 4096 && exact(buf, PBS + 8192, got));
	CHECK(atomic_load(&o.n) == 4);
	/* the short last block (5 bytes): one range */
	CHECK_RC(lyb_cache_pread(&s, buf, 4096, 3 * PBS, &got), 0);
	CHECK(got == 5 && exact(buf, 3 * PBS, got));
	CHECK(atomic_load(&o.n) == 5 && atomic_load(&o.lens[4]) == 5);
	/* a worker's part fails: EIO, nothing kept; then read again */
	atomic_store(&o.fail_off, 2 * PBS + PBS / 2);
	CHECK_RC(lyb_cache_pread(&s, buf, 4096, 2 * PBS, &got), -EIO);
	CHECK(atomic_load(&o.fail_off) == -1); /* that part was fetched */
	CHECK_RC(lyb_cache_pread(&s, buf, 4096, 2 * PBS, &got), 0);
	CHECK(got == 4096 && exact(buf, 2 * PBS, got));
	CHECK(parts_cover(&o, atomic_load(&o.n) - 4, 2, 4));
	/* a worker's part with a flipped byte: the block's CRC32C fails */
	t = part_src(131, &bad);
	atomic_store(&bad.flip_off, PBS / 4);
	CHECK_RC(lyb_cache_pread(&t, buf, 4096, 0, &got), -EIO);
	CHECK(atomic_load(&bad.flip_off) == -1);
}

/* lyb_cache_config.parts = 1: a block in one range, as read-ahead's. */
static void test_parts_off(void)
{
	static struct part_obj o;
	static unsigned char buf[4096];
	struct lyb_cache_src s = part_src(132, &o);
	size_t got;

	CHECK_RC(lyb_cache_pread(&s, buf, 4096, PBS + 1, &got), 0);
	CHECK(got == 4096 && exact(buf, PBS + 1, got));
	CHECK(parts_cover(&o, 0, 1, 1));
}

/* ---- small reads checked by page (a page CRC sidecar) ---- */

#define GSIZE (4 * PBS + 12345)

/* The object's bytes come from byte_at() with one byte flipped at
 * @flip (-1: none); its sidecar from @side, with the rows' reads failing
 * while @rows_fail. Bytes of each are counted. */
static struct {
	unsigned char *side;
	atomic_llong flip;
	atomic_int rows_fail;
	atomic_llong data_bytes, row_bytes;
	atomic_int bad_calls; /* pages_bad */
} pg;

static void pg_bad(void *arg)
{
	(void)arg;
	atomic_fetch_add(&pg.bad_calls, 1);
}

static int pg_fetch(void *arg, void *buf, size_t len, uint64_t off, size_t *got)
{
	size_t i;

	(void)arg;
	if (off + len > GSIZE)
		len = off >= GSIZE ? 0 : GSIZE - off;
	for (i = 0; i < len; i++)
		((unsigned char *)buf)[i] = byte_at(off + i);
	if (atomic_load(&pg.flip) >= (long long)off &&
	    atomic_load(&pg.flip) < (long long)(off + len))
		((unsigned char *)buf)[atomic_load(&pg.flip) - off] ^= 1;
	atomic_fetch_add(&pg.data_bytes, (long long)len);
	*got = len;
	return 0;
}

static int pg_rows(void *arg, void *buf, size_t len, uint64_t off, size_t *got)
{
	(void)arg;
	if (atomic_load(&pg.rows_fail))
		return -EIO;
	if (off + len > lyb_pagecrc_size(GSIZE))
		return -EIO;
	memcpy(buf, pg.side + off, len);
	atomic_fetch_add(&pg.row_bytes, (long long)len);
	*got = len;
	return 0;
}

static struct lyb_cache_src pg_src(int n)
{
	static uint32_t crcs[(GSIZE + PBS - 1) / PBS];
	struct lyb_cache_src s = {.size = GSIZE,
				  .fetch = pg_fetch,
				  .pages = pg_rows,
				  .pages_bad = pg_bad,
				  .block_crc32c = crcs,
				  .block_crc_size = PBS};

	block_crcs_of(crcs, GSIZE, PBS);
	memset(s.id, n, sizeof(s.id));
	return s;
}

static void pg_make(void)
{
	static uint32_t pages[(GSIZE + 4095) / 4096];
	static unsigned char page[4096];
	uint64_t i, j, n;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		n = GSIZE - i * 4096 < 4096 ? GSIZE - i * 4096 : 4096;
		for (j = 0; j < n; j++)
			page[j] = byte_at(i * 4096 + j);
		pages[i] = lyb_crc32c_update(0, page, n);
	}
	pg.side = lyb_pagecrc_build(pages, GSIZE);
	atomic_store(&pg.flip, -1);
}

/* A read through @s, byte-exact, and what it pulled of each. */
static int pg_read(struct lyb_cache_src *s, size_t len, uint64_t off,
		   long long *data, long long *rows)
{
	static unsigned char buf[PBS];
	long long d0 = atomic_load(&pg.data_bytes),
		  r0 = atomic_load(&pg.row_bytes);
	size_t got = 0;
	int rc = lyb_cache_pread(s, buf, len, off, &got);

	*data = atomic_load(&pg.data_bytes) - d0;
	*rows = atomic_load(&pg.row_bytes) - r0;
	if (rc == 0 && (got != len || !exact(buf, off, len)))
		rc = -EILSEQ; /* never: wrong bytes */
	return rc;
}

/*
 * With a page CRC sidecar, a read that starts a stream within one 64 KiB
 * sub-block pulls its 4 KiB pages and one 128-byte row, checked, not its
 * 1 MiB block; one that continues the stream, crosses a sub-block or
 * finds its block cached goes by blocks, and so does a block's fifth read
 * by page (then cached). A row that does not chain, rows that cannot be
 * read, or a page that does not match its row: counted, the source told
 * (pages_bad), and the whole block is read instead, which answers the
 * bytes, or EIO for a bad one.
 */
static void test_pages(void)
{
	struct lyb_cache_src s = pg_src(140);
	struct lyb_cache_stats st0, st;
	long long d, r;
	uint64_t at;
	int n = 141;

	pg_make();
	CHECK(pg.side != NULL);
	if (!pg.side)
		return;
	lyb_cache_stats(&st0);
	/* one page, aligned */
	at = 2 * PBS + 5 * 65536 + 3 * 4096;
	CHECK_RC(pg_read(&s, 4096, at, &d, &r), 0);
	CHECK(d == 4096 && r == 128);
	fprintf(stderr, "pages: a 4 KiB read pulled %lld + %lld bytes\n", d, r);
	/* the next read of that stream: its block, whole */
	CHECK_RC(pg_read(&s, 4096, at + 4096, &d, &r), 0);
	CHECK(d == PBS && r == 0);
	/* a block in memory: nothing fetched */
	CHECK_RC(pg_read(&s, 100, 2 * PBS + 9 * 65536, &d, &r), 0);
	CHECK(d == 0 && r == 0);
	/* each next read starts a stream of another object (the same bytes)
	 * unaligned, across a page boundary: two pages */
	s = pg_src(n++);
	CHECK_RC(pg_read(&s, 1000, 3 * PBS + 65536 + 4000, &d, &r), 0);
	CHECK(d == 8192 && r == 128);
	/* the object's short last page */
	s = pg_src(n++);
	CHECK_RC(pg_read(&s, 100, GSIZE - 100, &d, &r), 0);
	CHECK(d == 4096 + 12345 % 4096 && r == 128); /* two pages */
	lyb_cache_stats(&st);
	CHECK(st.page_reads == st0.page_reads + 3);
	/* at the object's start (head, a header): the block */
	s = pg_src(n++);
	CHECK_RC(pg_read(&s, 4096, 0, &d, &r), 0);
	CHECK(d == PBS && r == 0);
	/* across two sub-blocks: the block */
	s = pg_src(n++);
	CHECK_RC(pg_read(&s, 100, PBS + 65536 - 50, &d, &r), 0);
	CHECK(d == PBS && r == 0);

	/* a row that does not chain: the block, exact */
	s = pg_src(n++);
	pg.side[lyb_pagecrc_row_off(70000) + 70] ^= 4;
	CHECK_RC(pg_read(&s, 4096, 70000, &d, &r), 0);
	CHECK(d == 8192 + PBS && r == 128); /* its two pages, then */
	pg.side[lyb_pagecrc_row_off(70000) + 70] ^= 4;
	lyb_cache_stats(&st);
	CHECK(st.page_rejected == st0.page_rejected + 1);
	/* rows that cannot be read: the block */
	s = pg_src(n++);
	atomic_store(&pg.rows_fail, 1);
	CHECK_RC(pg_read(&s, 4096, 2 * PBS + 4096, &d, &r), 0);
	CHECK(d == 4096 + PBS && r == 0); /* the page came, the row not */
	atomic_store(&pg.rows_fail, 0);
	lyb_cache_stats(&st);
	CHECK(st.page_rejected == st0.page_rejected + 2);
	CHECK(atomic_load(&pg.bad_calls) == 2); /* the source is told */
	/* a page that is not what its row says: the block, which does not
	 * match either: EIO, never the bytes */
	s = pg_src(n++);
	at = 3 * PBS + 7 * 65536 + 100;
	atomic_store(&pg.flip, (long long)at + 5);
	CHECK_RC(pg_read(&s, 200, at, &d, &r), -EIO);
	atomic_store(&pg.flip, -1);
	lyb_cache_stats(&st);
	CHECK(st.page_rejected == st0.page_rejected + 3);

	/* a block read here and there: 4 reads by page, then the block */
	s = pg_src(n++);
	for (at = 0; at < 4; at++) {
		CHECK_RC(pg_read(&s, 4096, PBS + (2 + 3 * at) * 65536, &d, &r),
			 0);
		CHECK(d == 4096 && r == 128);
	}
	CHECK_RC(pg_read(&s, 4096, PBS + 14 * 65536, &d, &r), 0);
	CHECK(d == PBS && r == 0);
	CHECK_RC(pg_read(&s, 4096, PBS + 15 * 65536, &d, &r), 0);
	CHECK(d == 0 && r == 0); /* then cached */
	free(pg.side);
}

/* ---- a block being copied out (cache_impl.h, Pins) ---- */

#define PIN_OBJS 9 /* X, and 8 objects another reader goes through */

static int pin_nums[PIN_OBJS];
static uint32_t pin_crcs[PIN_OBJS];
static struct lyb_cache_src pin_s[PIN_OBJS];

/* One block per object, each object's bytes its own. */
static unsigned char pin_byte(int n, uint64_t off)
{
	return byte_at(off) ^ (unsigned char)(n * 37 + 1);
}

static int pin_fetch(void *arg, void *buf, size_t len, uint64_t off,
		     size_t *got)
{
	int n = *(const int *)arg;
	size_t i;

	for (i = 0; i < len; i++)
		((unsigned char *)buf)[i] = pin_byte(n, off + i);
	*got = len;
	return 0;
}

static int pin_exact(int n, const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pin_byte(n, i))
			return 0;
	return 1;
}

static unsigned char *pin_page; /* the part of the buffer that faults */
static size_t pin_len;
static atomic_int pin_in_copy, pin_other_done, pin_other_during;

/*
 * The copy into the reader's buffer faults halfway: this waits there (up
 * to 5 s) for the other reader to go through its blocks, then lets the
 * copy go on.
 */
static void pin_segv(int sig, siginfo_t *si, void *uc)
{
	unsigned char *a = si->si_addr;
	struct timespec ms = {0, 1000000};
	int i;

	(void)uc;
	if (a < pin_page || a >= pin_page + pin_len) {
		signal(sig, SIG_DFL); /* a real fault: dies on return */
		return;
	}
	atomic_store(&pin_in_copy, 1);
	for (i = 0; i < 5000 && !atomic_load(&pin_other_done); i++)
		nanosleep(&ms, NULL);
	atomic_store(&pin_other_during, atomic_load(&pin_other_done));
	mprotect(pin_page, pin_len, PROT_READ | PROT_WRITE);
}

static void *pin_other_main(void *p)
{
	static unsigned char buf[BS];
	struct lyb_cache_stats st;
	int *ok = p, n;
	size_t got;

	while (!atomic_load(&pin_in_copy))
		usleep(1000);
	*ok = 1;
	for (n = 1; n < PIN_OBJS; n++) {
		if (lyb_cache_pread(&pin_s[n], buf, BS, 0, &got) != 0 ||
		    got != BS || !pin_exact(n, buf, BS))
			*ok = 0;
		lyb_cache_stats(&st);
		if (st.mem_bytes > st.mem_cap)
			*ok = 0;
	}
	atomic_store(&pin_other_done, 1);
	return NULL;
}

/*
 * A cache of 4 blocks. Reader A copies object X's cached block into a
 * buffer whose second half faults, so A stops in the middle of the copy;
 * meanwhile reader B reads 8 other objects' blocks, which needs eviction.
 * B is not held up (the copy runs without the lock), A still gets X's
 * exact bytes and X's block is still cached after (a pinned block is not
 * evicted or reused), and memory stays under the cap.
 */
static void test_pinned_copy(void)
{
	static unsigned char blk[BS];
	struct lyb_cache_stats st0, st;
	struct sigaction sa, old;
	unsigned char *buf;
	int n, other_ok = 0;
	pthread_t t;
	size_t got;

	if ((BS / 2) % (size_t)sysconf(_SC_PAGESIZE) != 0) {
		fprintf(stderr, "pinned copy: pages larger than BS / 2, "
				"not run\n");
		return;
	}
	for (n = 0; n < PIN_OBJS; n++) {
		pin_nums[n] = n;
		pin_fetch(&pin_nums[n], blk, BS, 0, &got);
		pin_crcs[n] = lyb_crc32c_update(0, blk, BS);
		pin_s[n] = (struct lyb_cache_src){.size = BS,
						  .fetch = pin_fetch,
						  .arg = &pin_nums[n],
						  .block_crc32c = &pin_crcs[n],
						  .block_crc_size = BS};
		memset(pin_s[n].id, 200 + n, LYB_CACHE_ID_LEN);
	}
	buf = mmap(NULL, BS, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	if (buf == MAP_FAILED)
		return;
	CHECK_RC(lyb_cache_pread(&pin_s[0], buf, BS, 0, &got), 0);
	CHECK(got == BS && pin_exact(0, buf, BS)); /* X's block, cached */
	memset(buf, 0, BS);

	pin_page = buf + BS / 2;
	pin_len = BS / 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = pin_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGSEGV, &sa, &old) == 0);
	CHECK(mprotect(pin_page, pin_len, PROT_NONE) == 0);
	CHECK(pthread_create(&t, NULL, pin_other_main, &other_ok) == 0);
	CHECK_RC(lyb_cache_pread(&pin_s[0], buf, BS, 0, &got), 0);
	pthread_join(t, NULL);
	sigaction(SIGSEGV, &old, NULL);
	CHECK(atomic_load(&pin_in_copy));      /* A stopped mid-copy */
	CHECK(atomic_load(&pin_other_during)); /* and B went on meanwhile */
	CHECK(other_ok);
	CHECK(got == BS && pin_exact(0, buf, BS));

	lyb_cache_stats(&st0);
	CHECK_RC(lyb_cache_pread(&pin_s[0], buf, BS, 0, &got), 0);
	lyb_cache_stats(&st);
	CHECK(got == BS && pin_exact(0, buf, BS));
	CHECK(st.hits == st0.hits + 1 && st.misses == st0.misses);
	CHECK(st.mem_bytes <= st.mem_cap);
	munmap(buf, BS);
}

/*
 * A read answered in place (lyb_cache_pread_spans): the pieces of an
 * object checked per block are the cached blocks' own bytes, pinned while held,
 * so reads of another object in a cache with no room left go around them and
 * evict none; released, the blocks are hits again. A read of more blocks than
 * pieces, and one that fails, answer as the copying read does.
 */
static void test_spans(void)
{
	struct lyb_cache_src s = src_for(30), t = src_for(31);
	struct lyb_cache_stats st0, st;
	struct lyb_spans sp, big;
	unsigned char *buf = malloc(SIZE);
	uint64_t off;
	size_t got;
	int ok = 1;

	/* checked per block: any read goes through whole blocks */
	s.block_crc32c = block_crcs();
	s.block_crc_size = BS;
	memset(&sp, 0, sizeof(sp));
	CHECK_RC(lyb_cache_pread_spans(&s, 2 * BS, BS / 2, &sp), 0);
	/* three blocks pinned; pieces of neighbouring slots merge */
	CHECK(sp.total == 2 * BS && sp.n >= 1 && sp.n <= 3 && sp.npins == 3 &&
	      !sp.mem);
	lyb_spans_copy(&sp, buf);
	CHECK(exact(buf, BS / 2, 2 * BS));
	/* three of the four blocks pinned: another object reads around */
	for (off = 0; off < 8 * BS; off += got) {
		CHECK_RC(lyb_cache_pread(&t, buf, BS, off, &got), 0);
		ok &= got == BS && exact(buf, off, BS);
	}
	CHECK(ok);
	lyb_cache_stats(&st);
	CHECK(st.mem_bytes <= st.mem_cap);
	memset(buf, 0, 2 * BS);
	lyb_spans_copy(&sp, buf);
	CHECK(exact(buf, BS / 2, 2 * BS));
	lyb_spans_release(&sp);
	CHECK(sp.n == 0 && sp.npins == 0 && sp.total == 0);
	lyb_cache_stats(&st0);
	CHECK_RC(lyb_cache_pread_spans(&s, BS, BS, &sp), 0);
	lyb_cache_stats(&st);
	CHECK(st.hits == st0.hits + 1 && st.misses == st0.misses);
	CHECK(sp.n == 1 && sp.npins == 1 && sp.total == BS);
	lyb_spans_release(&sp);
	/* more blocks than pieces: one buffer of the read's own */
	memset(&big, 0, sizeof(big));
	CHECK_RC(lyb_cache_pread_spans(&s, SIZE, 0, &big), 0);
	CHECK(big.total == SIZE && big.n == 1 && big.npins == 0 && big.mem);
	CHECK(exact((const unsigned char *)big.v[0].iov_base, 0, SIZE));
	lyb_spans_release(&big);
	/* past the end: nothing; a failed fetch: an error and nothing held */
	CHECK_RC(lyb_cache_pread_spans(&s, 10, SIZE, &sp), 0);
	CHECK(sp.n == 0 && sp.total == 0);
	t = src_for(32);
	atomic_store(&fail_at_block, 1);
	CHECK_RC(lyb_cache_pread_spans(&t, 2 * BS, 0, &sp), -EIO);
	atomic_store(&fail_at_block, -1);
	CHECK(sp.n == 0 && sp.npins == 0 && !sp.mem && sp.total == 0);
	lyb_cache_stats(&st);
	CHECK(st.mem_bytes <= st.mem_cap);
	free(buf);
}

int main(void)
{
	struct lyb_cache_config cfg = {.mem_bytes = 16 * BS,
				       .block_size = BS,
				       .readahead_max = 4 * BS,
				       .workers = 4};

	CHECK_RC(lyb_cache_init(&(struct lyb_cache_config){.block_size = 1000}),
		 -EINVAL);
	CHECK_RC(lyb_cache_init(&cfg), 0);
	test_sequential();
	test_coalescing();
	test_failures();
	test_cap();
	test_crc();
	lyb_cache_shutdown();
	/* integrity with room for whole objects */
	cfg.mem_bytes = 64 * BS;
	cfg.readahead_max = 8 * BS;
	CHECK_RC(lyb_cache_init(&cfg), 0);
	test_integrity();
	test_blocks();
	lyb_cache_shutdown();
	/* a network's shape: many fetches in flight, 8 workers */
	cfg.mem_bytes = 256 * BS;
	cfg.readahead_max = 64 * BS;
	cfg.workers = 8;
	CHECK_RC(lyb_cache_init(&cfg), 0);
	test_inflight_reordered();
	test_inflight_retry();
	test_inflight_slow();
	test_inflight_fair();
	test_inflight_adapts();
	test_streams_reordered();
	lyb_cache_shutdown();
	/* the daemon's 1 MiB blocks: a reader's block in parts */
	cfg = (struct lyb_cache_config){
		.mem_bytes = 16 * PBS, .block_size = PBS, .workers = 4};
	CHECK_RC(lyb_cache_init(&cfg), 0);
	test_parts();
	test_pages();
	lyb_cache_shutdown();
	cfg.parts = 1;
	CHECK_RC(lyb_cache_init(&cfg), 0);
	test_parts_off();
	lyb_cache_shutdown();
	cfg.parts = 17;
	CHECK_RC(lyb_cache_init(&cfg), -EINVAL);
	/* the smallest cache: a block being copied out stays */
	cfg = (struct lyb_cache_config){0};
	cfg.block_size = BS;
	cfg.mem_bytes = 4 * BS;
	cfg.readahead_max = 2 * BS;
	cfg.workers = 4;
	CHECK_RC(lyb_cache_init(&cfg), 0);
	test_pinned_copy();
	test_spans();
	lyb_cache_shutdown();
	test_dir();
	if (check_failures)
		fprintf(stderr, "%d checks failed\n", check_failures);
	return check_failures ? 1 : 0;
}
