// SPDX-License-Identifier: Apache-2.0
/*
 * cache_stream.c - read streams and read-ahead (cache.h): which reads are
 * sequential, how far ahead each stream reads (a window that grows like
 * TCP's slow start), how many of its fetches run at once (a limit that
 * follows their times, like TCP Vegas), the queue of read-ahead fetches,
 * and which of them a free worker takes so that streams share the
 * workers.
 *
 * Everything here is under cache.lock (cache_impl.h): the stream table,
 * the job queue, and the blocks read-ahead creates.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_impl.h"
#include "lyb/clock.h"

#define BUSY_SECONDS 0.2   /* a stream that read since shares the workers */
#define LIMIT_START 4	   /* a new stream's fetches at once */
#define LIMIT_MIN 2	   /* never fewer: one arriving, one asked */
#define QUEUE_SLACK 0.0002 /* seconds of a fetch's time that are noise */
/*
 * How far from a stream's next offset a read still continues it. The
 * kernel sends a sequential reader's read-ahead as up to 12 background
 * requests at once (FUSE's max_background) of up to 1 MiB, answered by
 * several threads: under load they arrive several blocks out of order
 * (seen: 4 behind, 2 ahead). Were each such read a new stream, a reader
 * would split into streams that start their read-ahead afresh and halve
 * each other's share of the workers. So a stream that reads ahead and
 * read within the last second takes reads up to REORDER_BYTES behind
 * its next offset, and ahead of it reads longer than REORDER_SMALL (the
 * kernel's read-ahead; a random reader's reads are smaller, and the
 * page path serves them); any other stream, and reads of an idle one,
 * within a block.
 */
#define REORDER_BYTES (16u << 20)
#define REORDER_SMALL (64u << 10)
#define LATELY_SECONDS 1.0 /* a stream that read since reads ahead lately */

static struct lyb_cache *const c = &lyb_cache;

/* The stream @j reads ahead for, if its slot still holds it. */
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
 * blocks the memory cap allows, so the scan is too.
 */
struct job *lyb_cache_job_take(int any)
{
	struct job **p, **best = NULL, *j;
	struct stream *s;
	unsigned run, best_run = UINT32_MAX, fair, busy = 0, i;
	double now;

	if (!c->jobs)
		return NULL;
	now = lyb_mono();
	for (i = 0; i < LYB_CACHE_NSTREAMS; i++) {
		s = &c->streams[i];
		busy += s->live && (s->inflight ||
				    (s->window && now - s->at < BUSY_SECONDS));
	}
	fair = c->nworkers / (busy ? busy : 1);
	if (fair == 0)
		fair = 1; /* more streams than workers: one each */
	if (any)
		fair = UINT32_MAX;
	for (p = &c->jobs; *p; p = &(*p)->next) {
		s = job_stream(*p);
		run = s ? s->running : 0;
		if (run < best_run && run < fair && (!s || run < s->limit)) {
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
	c->njobs--;
	if (!j->next)
		c->jobs_tail = best;
	j->next = NULL;
	if (job_stream(j))
		j->s->running++;
	return j;
}

/*
 * A stream's limit of fetches at once follows how long they take, as
 * TCP Vegas follows round trips. While fetches take about as long as the
 * quickest lately (@base, the least of this second's and the last's),
 * the path has room and the limit grows: by one as each fetch ends at
 * first (slow start: it doubles each round), by one a round (@limit
 * fetches) once it has had to shrink. When they take several times that
 * on average, they queue behind each other (on loopback the CPUs are
 * the path; or a saturated link) and it shrinks by one as each ends. The
 * average (@avg, over about the last 4) keeps one slow range from
 * reading as queueing.
 */
static void limit_update(struct stream *s, double took)
{
	double now = lyb_mono(), base;
	unsigned cap = 2 * c->nworkers;

	if (now - s->base_at > 1.0) {
		s->base_old = s->base;
		s->base = 0;
		s->base_at = now;
	}
	if (s->base == 0 || took < s->base)
		s->base = took;
	base = s->base_old && s->base_old < s->base ? s->base_old : s->base;
	s->avg = s->avg ? s->avg + (took - s->avg) / 4 : took;
	if (s->avg <= 2 * base + QUEUE_SLACK && s->limit < cap) {
		if (!s->shrunk || ++s->acked >= s->limit) {
			s->limit++;
			s->acked = 0;
		}
	} else if (s->avg > 4 * base + QUEUE_SLACK && s->limit > LIMIT_MIN) {
		s->limit--;
		s->shrunk = 1;
		s->acked = 0;
	}
}

void lyb_cache_job_done(struct job *j)
{
	if (!job_stream(j))
		return;
	j->s->running--;
	j->s->inflight--;
	if (j->took > 0)
		limit_update(j->s, j->took);
	pthread_cond_signal(&c->work); /* its share has room */
}

/*
 * Queues read-ahead of blocks [first, last] for stream @s, at most two
 * fetches per worker queued or running at once (the next read queues the
 * rest): a stream alone may keep every worker busy, with a worker's next
 * fetch queued while one range is slow and its reader waits on it, and
 * lyb_cache_job_take() gives each of several streams its fair share.
 */
void lyb_cache_prefetch(const struct lyb_cache_src *src, struct stream *s,
			uint64_t first, uint64_t last)
{
	uint64_t i, nblocks = lyb_cache_nblocks(src->size, c->bs);
	unsigned cap = 2 * c->nworkers;
	struct blk *b;
	struct job *j;

	if (last >= nblocks)
		last = nblocks ? nblocks - 1 : 0;
	if (first > last || s->inflight >= cap ||
	    lyb_cache_workers_start(
		    (unsigned)(last - first < cap ? last - first + 1 : cap)) !=
		    0)
		return; /* nothing to do; or no read-ahead, reads still work */
	for (i = first; i <= last && i < nblocks; i++) {
		if (s->inflight >= cap)
			return;
		if (lyb_cache_blk_find(src->id, i))
			continue;
		b = lyb_cache_blk_new(src->id, i, 1);
		if (!b)
			return; /* full of unread read-ahead: enough */
		j = calloc(1, sizeof(*j));
		if (!j) {
			lyb_cache_blk_unlist(b);
			lyb_cache_blk_put(b);
			return;
		}
		j->src = *src;
		j->b = b;
		j->s = s;
		j->epoch = s->epoch;
		s->inflight++;
		if (src->hold)
			src->hold(src->arg);
		*c->jobs_tail = j;
		c->jobs_tail = &j->next;
		c->njobs++;
		atomic_fetch_add(&c->prefetched, 1);
		pthread_cond_signal(&c->work);
	}
}

/*
 * Finds the stream a read at @off continues (the nearest within a block
 * of where it stands, or for a stream reading ahead as REORDER_BYTES
 * says), or starts one.
 * Returns LYB_READ_AHEAD for a sequential read of a stream that has read
 * a block's worth in order, with the window to read ahead; else
 * LYB_READ_YOUNG where a young stream left off, LYB_READ_NEW anywhere
 * else (cache_impl.h). Like the
 * kernel's, read-ahead waits for evidence: `head` reads a little and
 * stops, and random reads that happen to land near a young stream add
 * only their own few bytes to it (behind a stream reading ahead they
 * join it, in blocks it mostly read already).
 */
int lyb_cache_classify(const struct lyb_cache_src *src, uint64_t off,
		       size_t len, uint64_t *window, struct stream **sp)
{
	struct stream *s, *hit = NULL, *oldest = NULL;
	uint64_t share, behind, ahead, d, hit_d = 0;
	unsigned i, active = 0;
	int at_next, lately;
	double now = lyb_mono();

	for (i = 0; i < LYB_CACHE_NSTREAMS; i++) {
		s = &c->streams[i];
		if (!s->live) {
			if (!oldest || oldest->live)
				oldest = s;
			continue;
		}
		if (!oldest || (oldest->live && s->used < oldest->used))
			oldest = s;
		lately = s->window && now - s->at < LATELY_SECONDS;
		active += lately; /* reading ahead lately */
		if (memcmp(s->id, src->id, LYB_CACHE_ID_LEN) != 0)
			continue;
		/* the nearest, as far as REORDER_BYTES says */
		behind = ahead = c->bs;
		if (lately && REORDER_BYTES > c->bs) {
			behind = REORDER_BYTES;
			ahead = len > REORDER_SMALL ? REORDER_BYTES : c->bs;
		}
		if (off + behind < s->next || off > s->next + ahead)
			continue;
		d = off > s->next ? off - s->next : s->next - off;
		if (!hit || d < hit_d) {
			hit = s;
			hit_d = d;
		}
	}
	*window = 0;
	*sp = NULL;
	if (hit) {
		s = hit;
		at_next = off <= s->next && off + len >= s->next;
		if (off + len > s->next)
			s->next = off + len;
		s->used = ++c->clock;
		s->at = now;
		s->seq += len;
		if (s->seq < c->bs) /* too young to read ahead */
			return at_next ? LYB_READ_YOUNG : LYB_READ_NEW;
		/* streams reading ahead share the cache: each gets at most
		 * half its fair part, so they never crowd each other out */
		active += s->window ? 0 : 1;
		share = c->cap / (2 * (active ? active : 1));
		if (share < 2 * c->bs)
			share = 2 * c->bs;
		if (!s->window) {
			s->window = 2 * c->bs;
			s->grown_at = s->next;
		} else if (s->next >= s->grown_at + s->window) {
			s->window *= 2; /* a whole window consumed */
			s->grown_at = s->next;
		}
		if (s->window > c->ra_max)
			s->window = c->ra_max;
		if (s->window > share)
			s->window = share;
		*window = s->window;
		*sp = s;
		return LYB_READ_AHEAD;
	}
	memcpy(oldest->id, src->id, LYB_CACHE_ID_LEN);
	oldest->seq = len;
	oldest->next = off + len;
	oldest->window = 0;
	oldest->epoch = ++c->epochs; /* its jobs no longer count */
	oldest->inflight = oldest->running = 0;
	oldest->limit = LIMIT_START;
	oldest->base = oldest->base_old = oldest->avg = 0;
	oldest->shrunk = oldest->acked = 0;
	oldest->base_at = now;
	oldest->used = ++c->clock;
	oldest->at = now;
	oldest->live = 1;
	return LYB_READ_NEW;
}
