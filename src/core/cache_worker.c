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
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "cache_impl.h"
#include "lyb/digest.h"

static struct lyb_cache *const c = &lyb_cache;

void lyb_cache_fetch_block(const struct lyb_cache_src *src, struct blk *b,
			   int *report)
{
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
		rc = src->fetch(src->arg, b->data, want, off, &got);
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
}

static void *worker(void *arg)
{
	struct job *j;
	int report, stop;

	(void)arg;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		j = lyb_cache_job_take(c->stop);
		if (!j && c->stop)
			break;
		if (!j) {
			pthread_cond_wait(&c->work, &c->lock);
			continue;
		}
		stop = c->stop;
		pthread_mutex_unlock(&c->lock);
		report = 0;
		if (!stop)
			lyb_cache_fetch_block(&j->src, j->b, &report);
		if (report)
			lyb_cache_report_corrupt(j->src.id);
		if (j->src.release)
			j->src.release(j->src.arg);
		pthread_mutex_lock(&c->lock);
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
 * On first use, so a daemon that forks after lyb_cache_init() still has
 * them.
 */
int lyb_cache_workers_start(void)
{
	if (c->started)
		return 0;
	if (!c->workers)
		c->workers = calloc(c->nworkers, sizeof(*c->workers));
	if (!c->workers)
		return -ENOMEM;
	while (c->started < c->nworkers &&
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
