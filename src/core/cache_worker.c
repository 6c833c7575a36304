// SPDX-License-Identifier: Apache-2.0
/*
 * cache_worker.c - fetching one block, for a reader or for read-ahead,
 * and the worker threads that run the read-ahead queue (cache.h).
 *
 * A block is fetched by whoever made it (lyb_cache_blk_new: a reader, or
 * a worker for the job read-ahead queued), with no lock held: from the
 * disk tier when it has the block, else from the source, and checked
 * against its trusted CRC32C before it turns READY under cache.lock
 * (cache_impl.h), so every way out of the cache serves checked bytes.
 *
 * A block a reader waits for (the first of a file, a random read) is
 * fetched in parts at once, one range each, when workers are idle: on a
 * link that caps each connection, a 1 MiB block in four 256 KiB ranges
 * arrives in a quarter of the time after the first byte. The reader
 * fetches the first part itself and takes back any part no worker has
 * started, so it never waits on a busy pool; the block is checked whole
 * once every part is in, as any other.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "cache_impl.h"
#include "lyb/clock.h"
#include "lyb/digest.h"
#include "lyb/log.h"
#include "lyb/pagecrc.h"

static struct lyb_cache *const c = &lyb_cache;

enum part_state { PART_QUEUED, PART_RUNNING, PART_DONE };

/* One range of a block a reader waits for; lives on the reader's stack. */
struct lyb_cache_part {
	const struct lyb_cache_src *src; /* the reader's, alive till DONE */
	char *buf;
	size_t len, got;
	uint64_t off;
	int rc;
	enum part_state state;	     /* lock */
	struct lyb_cache_part *next; /* lock: on c->parts while QUEUED */
};

static void part_run(struct lyb_cache_part *p)
{
	p->got = 0;
	p->rc = p->src->fetch(p->src->arg, p->buf, p->len, p->off, &p->got);
	if (p->rc == 0 && p->got != p->len)
		p->rc = -EIO; /* the size was promised */
}

/* Takes the oldest queued part off the queue, or NULL. Under lock. */
static struct lyb_cache_part *part_take(void)
{
	struct lyb_cache_part **pp = &c->parts, *p;

	if (!*pp)
		return NULL;
	while ((*pp)->next)
		pp = &(*pp)->next;
	p = *pp;
	*pp = NULL;
	c->nqueued--;
	p->state = PART_RUNNING;
	return p;
}

/* Takes @p back off the queue: 1 if it was still there. Under lock. */
static int part_unqueue(struct lyb_cache_part *p)
{
	struct lyb_cache_part **pp;

	for (pp = &c->parts; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			c->nqueued--;
			p->state = PART_RUNNING;
			return 1;
		}
	return 0;
}

/*
 * Runs @part[0] on this thread and queues @part[1..@n) for idle workers,
 * taking back and running any part no worker has started, so it never
 * waits on a busy pool; returns when all are done: 0 or the first error.
 * The caller has started the workers.
 */
static int run_parts(struct lyb_cache_part *part, unsigned n)
{
	struct lyb_cache_part *mine[LYB_CACHE_PARTS_MAX];
	unsigned i, nmine = 0;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	for (i = 1; i < n; i++) {
		part[i].state = PART_QUEUED;
		part[i].next = c->parts;
		c->parts = &part[i];
		c->nqueued++;
		pthread_cond_signal(&c->work);
	}
	pthread_mutex_unlock(&c->lock);
	part_run(&part[0]);
	pthread_mutex_lock(&c->lock);
	for (i = 1; i < n; i++)
		if (part_unqueue(&part[i]))
			mine[nmine++] = &part[i]; /* no worker came: ours */
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < nmine; i++)
		part_run(mine[i]);
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < nmine; i++)
		mine[i]->state = PART_DONE;
	for (i = 1; i < n; i++)
		while (part[i].state != PART_DONE)
			pthread_cond_wait(&c->done, &c->lock);
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < n && rc == 0; i++)
		rc = part[i].rc;
	return rc;
}

/*
 * Fetches @want bytes at @off of @src into @buf: in one range, or for a
 * @reader in up to c->nparts ranges at once, as many as there are idle
 * workers to take the others.
 */
static int fetch_source(const struct lyb_cache_src *src, char *buf, size_t want,
			uint64_t off, int reader, size_t *got)
{
	struct lyb_cache_part part[LYB_CACHE_PARTS_MAX];
	unsigned n = 1, i;
	size_t each = want;
	int rc;

	if (reader && c->nparts > 1 && want >= 2 * LYB_CACHE_PART_MIN) {
		n = (unsigned)(want / LYB_CACHE_PART_MIN);
		if (n > c->nparts)
			n = c->nparts;
		pthread_mutex_lock(&c->lock);
		if (!c->stop && lyb_cache_workers_start(n - 1) == 0) {
			unsigned idle = c->started - c->busy;

			idle = idle > c->nqueued ? idle - c->nqueued : 0;
			if (n > idle + 1)
				n = idle + 1;
		} else {
			n = 1;
		}
		pthread_mutex_unlock(&c->lock);
		each = (want + n - 1) / n;
		each = (each + 4095) & ~(size_t)4095;
	}
	if (n == 1) {
		*got = 0;
		return src->fetch(src->arg, buf, want, off, got);
	}
	for (i = 0; i < n && i * each < want; i++)
		part[i] = (struct lyb_cache_part){
			.src = src,
			.buf = buf + i * each,
			.len = want - i * each < each ? want - i * each : each,
			.off = off + i * each};
	rc = run_parts(part, i);
	*got = 0;
	while (rc == 0 && i--)
		*got += part[i].got;
	return rc;
}

static atomic_int_fast64_t page_warned = -10; /* lyb_mono() seconds */

int lyb_cache_fetch_pages(const struct lyb_cache_src *src, char *dst,
			  size_t len, uint64_t off)
{
	uint64_t first = off / LYB_PAGECRC_PAGE * LYB_PAGECRC_PAGE,
		 end = off + len, at;
	size_t n;
	unsigned char row[LYB_PAGECRC_ROW];
	uint32_t pages[LYB_PAGECRC_FANOUT];
	struct lyb_cache_src rows = {.fetch = src->pages, .arg = src->arg};
	struct lyb_cache_part part[2];
	unsigned np;
	char *buf;
	int rc;

	end = (end + LYB_PAGECRC_PAGE - 1) / LYB_PAGECRC_PAGE *
	      LYB_PAGECRC_PAGE;
	if (end > src->size)
		end = src->size;
	n = (size_t)(end - first);
	buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	part[0] = (struct lyb_cache_part){
		.src = src, .buf = buf, .len = n, .off = first};
	part[1] = (struct lyb_cache_part){.src = &rows,
					  .buf = (char *)row,
					  .len = sizeof(row),
					  .off = lyb_pagecrc_row_off(off)};
	pthread_mutex_lock(&c->lock);
	rc = c->stop ? -ECANCELED : lyb_cache_workers_start(1);
	pthread_mutex_unlock(&c->lock);
	if (rc == 0)
		rc = run_parts(part, 2);
	if (part[1].rc) /* its sidecar could not be read */
		rc = -EBADMSG;
	if (rc == 0 &&
	    lyb_pagecrc_row_check(row, src->size, off,
				  src->block_crc32c[off / LYB_PAGECRC_BLOCK],
				  pages, &np) != 0)
		rc = -EBADMSG;
	for (at = first; rc == 0 && at < end; at += LYB_PAGECRC_PAGE)
		if (lyb_crc32c_update(0, buf + (at - first),
				      end - at < LYB_PAGECRC_PAGE
					      ? (size_t)(end - at)
					      : LYB_PAGECRC_PAGE) !=
		    pages[at % LYB_PAGECRC_SUB / LYB_PAGECRC_PAGE])
			rc = -EBADMSG;
	if (rc == -EBADMSG) {
		int_fast64_t now = (int_fast64_t)lyb_mono(),
			     last = atomic_load(&page_warned);
		uint64_t bad = atomic_fetch_add(&c->page_rejected, 1) + 1;

		if (src->pages_bad) /* a pinned sidecar stays what it is */
			src->pages_bad(src->arg);
		if (now - last >= 10 && /* at most every 10 s */
		    atomic_compare_exchange_strong(&page_warned, &last, now))
			lyb_log(LYB_LOG_WARN,
				"%s: its page CRC sidecar could not be read, "
				"or its row for offset %llu does not check "
				"against the catalog's block CRC32C, or a "
				"page against it: reading whole blocks (%llu "
				"rows rejected in all)",
				src->name ? src->name : "an object",
				(unsigned long long)off,
				(unsigned long long)bad);
	}
	if (rc == 0) {
		memcpy(dst, buf + (off - first), len);
		atomic_fetch_add(&c->page_reads, 1);
		atomic_fetch_add(&c->direct_bytes, len);
	}
	free(buf);
	return rc;
}

double lyb_cache_fetch_block(const struct lyb_cache_src *src, struct blk *b,
			     int reader, int *report)
{
	double t0, took = 0;
	uint64_t off = b->index * c->bs;
	size_t want =
		src->size - off < c->bs ? (size_t)(src->size - off) : c->bs;
	size_t got = 0;
	uint32_t crc = 0, expect = 0;
	int rc = -ENOENT, check, bad = 0, disk = lyb_cache_disk_on();

	check = lyb_cache_checked(src);
	if (check && !lyb_cache_trusted_crc(src, b->index, &expect)) {
		rc = -ESTALE; /* its record went: the reader starts again */
		goto out_done;
	}
	if (disk)
		rc = lyb_cache_disk_load(b->id, b->index, want, b->data,
					 check ? &expect : NULL, src->name);
	if (rc == 0) {
		got = want;
	} else {
		t0 = lyb_mono();
		rc = fetch_source(src, b->data, want, off, reader, &got);
		took = lyb_mono() - t0;
		if (rc == 0 && got != want)
			rc = -EIO; /* the size was promised */
		if (rc == 0 && (check || disk))
			crc = lyb_crc32c_update(0, b->data, got);
		if (rc == 0 && check && crc != expect) {
			bad = 1;
			rc = -EIO;
		}
		if (rc == 0 && disk)
			lyb_cache_disk_store(b->id, b->index, b->data, got,
					     crc);
	}
out_done:
	pthread_mutex_lock(&c->lock);
	b->len = got;
	b->err = rc;
	b->state = BLK_READY; /* @data and @len never change from here */
	if (rc)
		lyb_cache_blk_unlist(b); /* the next reader tries again */
	if (rc == 0 && check)
		atomic_fetch_add(&c->blocks_verified, 1);
	if (bad && lyb_cache_found_corrupt(src, b->index))
		*report = 1;
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
	if (bad && disk)
		lyb_cache_disk_purge(src->id,
				     lyb_cache_nblocks(src->size, c->bs));
	return rc ? 0 : took;
}

static void *worker(void *arg)
{
	struct lyb_cache_part *p;
	struct job *j;
	int report, stop;

	(void)arg;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		p = part_take(); /* a reader waits for it: first */
		if (p) {
			c->busy++;
			pthread_mutex_unlock(&c->lock);
			part_run(p);
			pthread_mutex_lock(&c->lock);
			c->busy--;
			p->state = PART_DONE;
			pthread_cond_broadcast(&c->done);
			continue;
		}
		j = lyb_cache_job_take(c->stop);
		if (!j && c->stop)
			break;
		if (!j) {
			pthread_cond_wait(&c->work, &c->lock);
			continue;
		}
		stop = c->stop;
		c->busy++;
		pthread_mutex_unlock(&c->lock);
		report = 0;
		if (!stop)
			j->took = lyb_cache_fetch_block(&j->src, j->b, 0,
							&report);
		if (report)
			lyb_cache_report_corrupt(j->src.id);
		if (j->src.release)
			j->src.release(j->src.arg);
		pthread_mutex_lock(&c->lock);
		c->busy--;
		lyb_cache_job_done(j);
		if (j->b->state == BLK_FETCHING) { /* stopping: never fetched */
			j->b->state = BLK_READY;
			j->b->err = -ECANCELED;
			lyb_cache_blk_unlist(j->b);
			pthread_cond_broadcast(&c->done);
		}
		lyb_cache_blk_put(j->b);
		free(j);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * As the work grows, not all at once: a thread is made for each fetch
 * that would otherwise wait for one, so the first read of a mount does
 * not make 48 threads before its own fetch. On first use, so a daemon
 * that forks after lyb_cache_init() still has them.
 */
int lyb_cache_workers_start(unsigned more)
{
	uint64_t need = (uint64_t)c->busy + c->njobs + c->nqueued + more;

	if (need > c->nworkers)
		need = c->nworkers;
	if (!c->workers)
		c->workers = calloc(c->nworkers, sizeof(*c->workers));
	if (!c->workers)
		return -ENOMEM;
	while (c->started < need &&
	       pthread_create(&c->workers[c->started], NULL, worker, NULL) == 0)
		c->started++;
	return c->started ? 0 : -EAGAIN;
}

void lyb_cache_workers_stop(void)
{
	unsigned i, n;

	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	n = c->started;
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < n; i++)
		pthread_join(c->workers[i],
			     NULL); /* @workers stays till here */
	pthread_mutex_lock(&c->lock);
	free(c->workers);
	c->workers = NULL;
	c->started = 0;
	pthread_mutex_unlock(&c->lock);
}
