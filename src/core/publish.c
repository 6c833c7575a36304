// SPDX-License-Identifier: Apache-2.0
/*
 * publish.c - building a location manifest from objects in a store.
 *
 * Objects whose base name starts with '_' or '.' (job markers such as
 * _SUCCESS, checksum side files) are not data and are left out. The scan
 * lists the objects, then, with up to `jobs` objects at a time on worker
 * threads:
 *
 * 1. (gs) reads each object's header, so that writer schemas that differ,
 *    or that the DataSet's schema cannot read, are refused before any
 *    data is read, every such object named;
 * 2. reads each object once, in order, through a window of
 *    LYB_PUBLISH_WINDOW bytes (one ranged read of the store each): the
 *    bytes give the CRC32C of each 1 MiB block (LYB_BLOCK_SIZE), which
 *    the daemon checks before serving any byte of a block, and the
 *    object's crc32c and md5 when the store reported none (GCS does: then
 *    the blocks must add up to its crc32c, so that an object changing
 *    under the scan is not published); the Avro framing gives the rows;
 *    each block is decoded once for both data.jsonl indexes (view.h).
 *    Exports are read a second time to be decoded.
 *
 * The calling thread waits, and reports progress. Workers share nothing
 * but the counters (atomics) and the count of objects done (under lock);
 * each writes only its own object's slot.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lyb/avro.h"
#include "lyb/export.h"
#include "lyb/pagecrc.h"
#include "lyb/publish.h"
#include "lyb/schema.h"
#include "lyb/store.h"
#include "lyb/view.h"

/* distinct writer schemas told apart when finding the most common one */
#define SCHEMA_GROUPS_MAX 16
#define BOTH (1u << LYB_JSON_PLAIN | 1u << LYB_JSON_AVRO)

/* One object's slot: what the workers found. */
struct job {
	char *key;    /* its store key */
	char *schema; /* gs: its writer schema (the header's) */
	size_t schema_len;
	int rc;	       /* 0, or why it is refused: */
	char *why;     /* the reason (also for decode_rc) */
	int decode_rc; /* -EBADMSG: it does not decode (no index) */
	struct lyb_view_part part[2]; /* by enum lyb_json_enc */
};

enum phase { PHASE_HEADERS, PHASE_DATA };

struct scan {
	struct lyb_store *store;
	struct lyb_location *loc;
	const struct lyb_publish_opts *opts;
	size_t prefix_len; /* key prefix length including its '/' */
	struct job *jobs;  /* one per loc->objects[i] */
	size_t cap;
	int have_format; /* snow: the first file's format */
	enum lyb_export_format format;
	int gzip;
	uint64_t total, spacing;
	double t0;
	/* a pass over the objects */
	enum phase phase;
	atomic_size_t next;	    /* the next object to take */
	atomic_uint_fast64_t bytes; /* read in order so far */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t done;	     /* under lock: objects finished in this pass */
	int pages;	     /* write page CRC sidecars (lyb_publish_opts) */
	size_t pages_failed; /* under lock: sidecars not written */
	char pages_why[320]; /* under lock: the first one's reason */
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_marker(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base ? base + 1 : name;
	return base[0] == '_' || base[0] == '.';
}

/* Refuses the object of @j (the first reason given stays). */
static int refuse(struct job *j, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct job *j, int rc, const char *fmt, ...)
{
	va_list ap;

	if (j->rc)
		return j->rc;
	j->rc = rc;
	va_start(ap, fmt);
	if (vasprintf(&j->why, fmt, ap) < 0)
		j->why = NULL;
	va_end(ap);
	return rc;
}

static void job_clear(struct job *j)
{
	free(j->key);
	free(j->schema);
	free(j->why);
	lyb_view_part_clear(&j->part[LYB_JSON_PLAIN]);
	lyb_view_part_clear(&j->part[LYB_JSON_AVRO]);
}

/* --- listing --- */

static int list_one(void *arg, const struct lyb_object_info *info)
{
	struct scan *sc = arg;
	struct lyb_location *loc = sc->loc;
	const char *name = info->key + sc->prefix_len;
	enum lyb_export_format f;
	struct lyb_object *o;
	struct job *j;
	int gz;

	if (is_marker(name))
		return 0;
	if (loc->nobjects == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 16;
		struct lyb_object *objs =
			realloc(loc->objects, cap * sizeof(*objs));
		struct job *jobs;

		if (!objs)
			return -ENOMEM;
		loc->objects = objs;
		jobs = realloc(sc->jobs, cap * sizeof(*jobs));
		if (!jobs)
			return -ENOMEM;
		sc->jobs = jobs;
		sc->cap = cap;
	}
	o = &loc->objects[loc->nobjects];
	j = &sc->jobs[loc->nobjects];
	memset(o, 0, sizeof(*o));
	memset(j, 0, sizeof(*j));
	o->name = strdup(name);
	j->key = strdup(info->key);
	loc->nobjects++;
	if (!o->name || !j->key)
		return -ENOMEM;
	o->size = info->size;
	o->generation = info->generation;
	o->rows = -1;
	memcpy(o->crc32c, info->crc32c, sizeof(o->crc32c));
	memcpy(o->md5, info->md5, sizeof(o->md5));
	sc->total += info->size;
	if (loc->kind == LYB_LOC_GS)
		return 0;
	if (lyb_export_detect(name, &f, &gz))
		refuse(j, -EBADMSG,
		       "not a .json, .json.gz, .csv or .csv.gz file");
	else if (sc->have_format && (f != sc->format || gz != sc->gzip))
		refuse(j, -EBADMSG, "its format differs from the other files");
	else if (!sc->have_format) {
		sc->have_format = 1;
		sc->format = f;
		sc->gzip = gz;
	}
	return 0;
}

/* --- reading an object once, in order --- */

/*
 * A buffered sequential reader (a lyb_read_fn): reads go through a window
 * of LYB_PUBLISH_WINDOW bytes, each refill one read of the store, and
 * every byte read in order is fed to the checksums. A read behind the
 * window reads again (an export's second pass); one past the bytes read
 * reads the gap first, so that the checksums see every byte.
 */
struct stream {
	struct lyb_reader *r;
	uint64_t size;
	unsigned char *win;
	uint64_t wstart;
	size_t wlen;
	uint64_t fed; /* bytes [0, fed) went into the checksums */
	uint32_t *blocks, cur, all;
	uint32_t *pages, pcur;	/* each page's CRC32C, when wanted */
	struct lyb_digest *md5; /* when the store reported no sums */
	atomic_uint_fast64_t *bytes;
};

/* The page CRCs (pagecrc.h) of the @n bytes at @p, fed from st->fed. */
static void feed_pages(struct stream *st, const unsigned char *p, size_t n)
{
	uint64_t at = st->fed, in;
	size_t k;

	while (n) {
		in = at % LYB_PAGECRC_PAGE;
		k = n < LYB_PAGECRC_PAGE - in ? n
					      : (size_t)(LYB_PAGECRC_PAGE - in);
		st->pcur = lyb_crc32c_update(st->pcur, p, k);
		at += k;
		p += k;
		n -= k;
		if (at % LYB_PAGECRC_PAGE == 0 || at == st->size) {
			st->pages[(at - 1) / LYB_PAGECRC_PAGE] = st->pcur;
			st->pcur = 0;
		}
	}
}

static int feed(struct stream *st, const unsigned char *p, size_t n)
{
	uint64_t in, i;
	size_t k;
	int rc;

	atomic_fetch_add(st->bytes, n);
	if (st->pages)
		feed_pages(st, p, n);
	while (n) {
		in = st->fed % LYB_BLOCK_SIZE;
		k = n < LYB_BLOCK_SIZE - in ? n : (size_t)(LYB_BLOCK_SIZE - in);
		st->cur = lyb_crc32c_update(st->cur, p, k);
		if (st->md5 && (rc = lyb_digest_update(st->md5, p, k)))
			return rc;
		st->fed += k;
		p += k;
		n -= k;
		if (st->fed % LYB_BLOCK_SIZE && st->fed != st->size)
			continue;
		i = (st->fed - 1) / LYB_BLOCK_SIZE;
		st->blocks[i] = st->cur;
		st->all = i ? lyb_crc32c_combine(st->all, st->cur,
						 st->fed - i * LYB_BLOCK_SIZE)
			    : st->cur;
		st->cur = 0;
	}
	return 0;
}

/* Reads exactly @n bytes at @off from the store; feeds the new ones. */
static int fetch(struct stream *st, unsigned char *buf, size_t n, uint64_t off)
{
	size_t got;
	int rc = lyb_reader_pread(st->r, buf, n, off, &got);

	if (rc == 0 && got != n)
		rc = -EIO; /* shorter than it said */
	if (rc || off > st->fed || off + n <= st->fed)
		return rc;
	return feed(st, buf + (st->fed - off), (size_t)(off + n - st->fed));
}

static int stream_read(void *arg, uint64_t off, void *buf, size_t len,
		       size_t *got)
{
	struct stream *st = arg;
	unsigned char *out = buf;
	uint64_t start;
	size_t k;
	int rc;

	*got = 0;
	if (off >= st->size)
		return 0;
	if (len > st->size - off)
		len = (size_t)(st->size - off);
	while (len) {
		if (off >= st->wstart && off < st->wstart + st->wlen) {
			k = (size_t)(st->wstart + st->wlen - off);
			k = k < len ? k : len;
			memcpy(out, st->win + (off - st->wstart), k);
		} else if (off == st->fed && len >= LYB_PUBLISH_WINDOW) {
			/* a block larger than the window: straight in */
			k = LYB_PUBLISH_WINDOW;
			rc = fetch(st, out, k, off);
			if (rc)
				return rc;
		} else {
			start = off <= st->fed ? off : st->fed;
			k = st->size - start < LYB_PUBLISH_WINDOW
				    ? (size_t)(st->size - start)
				    : LYB_PUBLISH_WINDOW;
			st->wlen = 0;
			rc = fetch(st, st->win, k, start);
			if (rc)
				return rc;
			st->wstart = start;
			st->wlen = k;
			continue;
		}
		off += k;
		out += k;
		len -= k;
		*got += k;
	}
	return 0;
}

static int stream_open(struct stream *st, struct scan *sc, size_t i)
{
	const struct lyb_object *o = &sc->loc->objects[i];
	uint64_t nblocks = lyb_object_nblocks(o->size);
	size_t wcap = o->size < LYB_PUBLISH_WINDOW ? (size_t)o->size
						   : LYB_PUBLISH_WINDOW;
	int rc;

	memset(st, 0, sizeof(*st));
	st->size = o->size;
	st->bytes = &sc->bytes;
	st->win = malloc(wcap ? wcap : 1);
	st->blocks = calloc(nblocks ? nblocks : 1, sizeof(*st->blocks));
	if (!st->win || !st->blocks)
		return -ENOMEM;
	if (sc->pages && o->size > LYB_PAGECRC_BLOCK &&
	    o->size <= LYB_PUBLISH_PAGES_MAX) {
		st->pages = calloc((size_t)((o->size + LYB_PAGECRC_PAGE - 1) /
					    LYB_PAGECRC_PAGE),
				   sizeof(*st->pages));
		if (!st->pages)
			return -ENOMEM;
	}
	if (!o->crc32c[0] && !o->md5[0]) {
		rc = lyb_digest_new(LYB_DIGEST_MD5, &st->md5);
		if (rc)
			return rc;
	}
	rc = lyb_reader_open(sc->store, sc->jobs[i].key, o->generation, o->size,
			     &st->r);
	if (rc == 0)
		lyb_reader_direct(st->r); /* read once, checked here */
	return rc;
}

/*
 * Reads what the parsers left (normally nothing) and sets the object's
 * checksums: computed when the store had none, else checked (-EAGAIN:
 * the bytes are not those the store described).
 */
static int stream_finish(struct stream *st, struct lyb_object *o)
{
	unsigned char md5[32];
	size_t n = sizeof(md5);
	uint32_t crc;
	int rc = 0;

	while (rc == 0 && st->fed < st->size) {
		size_t k = st->size - st->fed < LYB_PUBLISH_WINDOW
				   ? (size_t)(st->size - st->fed)
				   : LYB_PUBLISH_WINDOW;

		st->wlen = 0;
		rc = fetch(st, st->win, k, st->fed);
	}
	if (rc)
		return rc;
	if (st->md5) {
		rc = lyb_digest_final(st->md5, md5, &n);
		if (rc)
			return rc;
		lyb_crc32c_to_b64(st->all, o->crc32c);
		lyb_base64_encode(md5, n, o->md5);
	} else if (o->crc32c[0] &&
		   (lyb_crc32c_from_b64(o->crc32c, &crc) || crc != st->all)) {
		return -EAGAIN; /* changed while read, or a bad checksum */
	}
	o->block_crc32c = st->blocks;
	st->blocks = NULL;
	return 0;
}

static void stream_close(struct stream *st)
{
	lyb_reader_close(st->r);
	lyb_digest_free(st->md5);
	free(st->blocks);
	free(st->pages);
	free(st->win);
}

/*
 * Writes object @i's page CRC sidecar beside it, checked first as a
 * reader checks it and readable by no one who may not read the object
 * (lyb_store_put_like), or keeps the one there when it holds the same
 * bytes (the same data published again writes nothing), and records its
 * generation. A failure costs its readers whole blocks on small reads,
 * nothing else: it is counted for a warning, not fatal.
 */
static void write_pages(struct scan *sc, size_t i, const uint32_t *pages)
{
	struct lyb_object *o = &sc->loc->objects[i];
	const char *like = sc->jobs[i].key;
	uint64_t len = lyb_pagecrc_size(o->size);
	unsigned char *p = lyb_pagecrc_build(pages, o->size);
	char *key = lyb_pagecrc_key(like), *old = NULL;
	struct lyb_object_info info;
	size_t oldlen = 0;
	int64_t gen = 0;
	int rc = !p || !key ? -ENOMEM : 0, tries = 0;

	if (rc == 0 &&
	    lyb_pagecrc_check(p, (size_t)len, o->size, o->block_crc32c) != 0)
		rc = -EBADMSG; /* never: what a reader would refuse */
	/* there already with the same bytes: kept; else written over what
	 * was read (another writer first: read again, once) */
	while (rc == 0) {
		free(old);
		old = NULL;
		rc = lyb_store_get(sc->store, key, (size_t)len, &old, &oldlen,
				   &gen);
		if (rc == 0 && oldlen == len &&
		    memcmp(old, p, (size_t)len) == 0)
			break;
		if (rc == -EFBIG) { /* larger than ours: its generation */
			memset(&info, 0, sizeof(info));
			rc = lyb_store_stat(sc->store, key, &info);
			gen = info.generation;
			free(info.key);
		} else if (rc == -ENOENT) {
			rc = 0;
			gen = 0;
		}
		if (rc == 0)
			rc = lyb_store_put_like(sc->store, key, p, (size_t)len,
						gen, &gen, like);
		if (rc != -EAGAIN || ++tries == 2)
			break;
		rc = 0;
	}
	if (rc == 0 && gen > 0) {
		o->page_crc_gen = gen;
	} else {
		pthread_mutex_lock(&sc->lock);
		if (sc->pages_failed++ == 0)
			snprintf(sc->pages_why, sizeof(sc->pages_why), "%s: %s",
				 key ? key : o->name, strerror(rc ? -rc : EIO));
		pthread_mutex_unlock(&sc->lock);
	}
	free(old);
	free(key);
	free(p);
}

/* Why a reader or a read failed, for the object's line. */
static void store_failed(struct scan *sc, struct job *j, int rc,
			 const char *err)
{
	if (rc == -EACCES && strcmp(lyb_store_scheme(sc->store), "file") == 0)
		refuse(j, rc,
		       "a symlink, or outside the file:// data roots "
		       "(file_roots): not published");
	else if (rc == -EAGAIN)
		refuse(j, rc,
		       "its bytes do not match the store's crc32c (changed "
		       "while published?)");
	else
		refuse(j, rc, "%s", err && err[0] ? err : strerror(-rc));
}

/* Pass 1 (gs): the writer schema from the header. */
static void read_header(struct scan *sc, size_t i)
{
	const struct lyb_object *o = &sc->loc->objects[i];
	struct job *j = &sc->jobs[i];
	struct lyb_avro_file f;
	struct lyb_reader *r = NULL;
	char err[512] = "";
	int rc;

	rc = lyb_reader_open(sc->store, j->key, o->generation, o->size, &r);
	if (rc == 0)
		lyb_reader_direct(r);
	if (rc == 0)
		rc = lyb_avro_open(lyb_reader_read_fn, r, o->size, &f, err,
				   sizeof(err));
	lyb_reader_close(r);
	if (rc) {
		store_failed(sc, j, rc, err);
		return;
	}
	j->schema = f.h.schema;
	j->schema_len = f.h.schema_len;
	f.h.schema = NULL;
	lyb_avro_close(&f);
}

/* Pass 2: the whole object, once. */
static void read_data(struct scan *sc, size_t i)
{
	struct lyb_object *o = &sc->loc->objects[i];
	struct job *j = &sc->jobs[i];
	struct lyb_view_scan vs;
	struct stream st;
	char err[512] = "";
	int rc;

	memset(&vs, 0, sizeof(vs));
	rc = stream_open(&st, sc, i);
	if (rc == 0 && sc->loc->kind == LYB_LOC_GS) {
		rc = lyb_view_scan_avro(stream_read, &st, o->size, i,
					sc->spacing, BOTH, 1, &vs, err,
					sizeof(err));
		o->rows = vs.rows;
	} else if (rc == 0) {
		rc = lyb_export_count_rows(stream_read, &st, o->size,
					   sc->format, &o->rows, err,
					   sizeof(err));
		if (rc == 0)
			rc = lyb_view_scan_export(stream_read, &st, o->size,
						  sc->format, i,
						  1u << LYB_JSON_AVRO, &vs);
	}
	if (rc == 0 && vs.decode_rc == -EOVERFLOW) {
		/* built to hurt readers: refused, the rest need not be read */
		refuse(j, vs.decode_rc, "%s", vs.why);
		goto out_close;
	}
	if (rc == 0 && vs.decode_rc == -ENOMEM)
		rc = -ENOMEM;
	if (rc == 0)
		rc = stream_finish(&st, o);
	if (rc) {
		store_failed(sc, j, rc, err);
		goto out_close;
	}
	if (st.pages)
		write_pages(sc, i, st.pages);
	if (vs.decode_rc) {
		j->decode_rc = vs.decode_rc;
		j->why = strdup(vs.why[0] ? vs.why : strerror(-vs.decode_rc));
		if (!j->why)
			refuse(j, -ENOMEM, "%s", strerror(ENOMEM));
	}
	j->part[LYB_JSON_PLAIN] = vs.part[LYB_JSON_PLAIN];
	j->part[LYB_JSON_AVRO] = vs.part[LYB_JSON_AVRO];
	memset(vs.part, 0, sizeof(vs.part));
out_close:
	lyb_view_scan_clear(&vs);
	stream_close(&st);
}

/* --- running a pass on worker threads --- */

static void *worker(void *arg)
{
	struct scan *sc = arg;
	size_t i;

	while ((i = atomic_fetch_add(&sc->next, 1)) < sc->loc->nobjects) {
		if (sc->phase == PHASE_HEADERS)
			read_header(sc, i);
		else if (!sc->jobs[i].rc)
			read_data(sc, i);
		pthread_mutex_lock(&sc->lock);
		sc->done++;
		pthread_cond_signal(&sc->cond);
		pthread_mutex_unlock(&sc->lock);
	}
	return NULL;
}

static void report(struct scan *sc, size_t done, int last)
{
	struct lyb_publish_progress p = {
		.phase = sc->phase == PHASE_HEADERS ? "headers" : "data",
		.objects = sc->loc->nobjects,
		.objects_done = done,
		.bytes = sc->total,
		.bytes_done = atomic_load(&sc->bytes),
		.seconds = now_mono() - sc->t0,
		.done = last,
	};

	if (sc->opts && sc->opts->progress)
		sc->opts->progress(sc->opts->progress_arg, &p);
}

/* Runs @phase over every object; reports progress while it waits. */
static int run_pass(struct scan *sc, enum phase phase)
{
	unsigned jobs = sc->opts && sc->opts->jobs ? sc->opts->jobs
						   : LYB_PUBLISH_JOBS_DEFAULT;
	size_t n = sc->loc->nobjects, started = 0, i, done = 0;
	pthread_t *threads;
	struct timespec ts;
	double last;

	if (jobs > LYB_PUBLISH_JOBS_MAX)
		jobs = LYB_PUBLISH_JOBS_MAX;
	if (jobs > n)
		jobs = (unsigned)n;
	threads = calloc(jobs ? jobs : 1, sizeof(*threads));
	if (!threads)
		return -ENOMEM;
	sc->phase = phase;
	atomic_store(&sc->next, 0);
	sc->done = 0;
	for (i = 0; i < jobs; i++) {
		if (pthread_create(&threads[i], NULL, worker, sc) != 0)
			break;
		started++;
	}
	if (started == 0) /* no thread: this one does the work */
		worker(sc);
	report(sc, 0, 0);
	last = now_mono();
	pthread_mutex_lock(&sc->lock);
	while (sc->done < n) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += LYB_PUBLISH_PROGRESS_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
		done = sc->done;
		if (done == n ||
		    now_mono() - last < LYB_PUBLISH_PROGRESS_MS / 1e3)
			continue;
		pthread_mutex_unlock(&sc->lock);
		report(sc, done, 0);
		last = now_mono();
		pthread_mutex_lock(&sc->lock);
	}
	pthread_mutex_unlock(&sc->lock);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	return 0;
}

/* --- the verdicts --- */

/*
 * The objects refused (or, @warn, those that do not decode) as one
 * message: "@one: URL: why" for one (just "URL: why" when @one is ""),
 * else "N of M objects @many:" and a line per object, as many as @errlen
 * holds. Returns how many there are.
 */
static size_t list_bad(struct scan *sc, char *err, size_t errlen,
		       const char *one, const char *many, int warn)
{
	const struct lyb_location *loc = sc->loc;
	size_t i, n = 0, shown = 0, pos;
	int w;

	for (i = 0; i < loc->nobjects; i++)
		n += warn ? sc->jobs[i].decode_rc != 0 : sc->jobs[i].rc != 0;
	if (n == 0)
		return 0;
	w = n == 1 ? snprintf(err, errlen, "%s%s", one, one[0] ? ": " : "")
		   : snprintf(err, errlen, "%zu of %zu objects %s:", n,
			      loc->nobjects, many);
	pos = w > 0 && (size_t)w < errlen ? (size_t)w : 0;
	for (i = 0; i < loc->nobjects; i++) {
		const struct job *j = &sc->jobs[i];
		int rc = warn ? j->decode_rc : j->rc;

		if (!rc)
			continue;
		/* keep room to say how many more there are */
		if (n > 1 && errlen - pos < 64)
			break;
		w = snprintf(err + pos, errlen - pos, "%s%s/%s: %s",
			     n == 1 ? "" : "\n  ", loc->url,
			     loc->objects[i].name,
			     j->why ? j->why : strerror(-rc));
		if (w < 0 || (size_t)w >= errlen - pos) {
			err[pos] = '\0';
			break;
		}
		pos += (size_t)w;
		shown++;
	}
	if (shown < n && n > 1)
		snprintf(err + pos, errlen - pos, "\n  ... and %zu more",
			 n - shown);
	return n;
}

/*
 * One writer schema for the location (the most common, ties to the
 * first object's), and the DataSet's schema able to read it: the objects
 * whose schema differs, or all when it cannot be read, are refused.
 */
static void check_schemas(struct scan *sc)
{
	struct {
		size_t first, count;
	} g[SCHEMA_GROUPS_MAX] = {{0, 0}};
	struct job *jobs = sc->jobs, *ref;
	size_t ng = 0, i, k, best = 0, *group;
	const char *dataset = sc->opts ? sc->opts->schema : NULL;
	char why[512];
	int rc;

	group = calloc(sc->loc->nobjects, sizeof(*group));
	if (!group) {
		refuse(&jobs[0], -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	for (i = 0; i < sc->loc->nobjects; i++) {
		for (k = 0; k < ng; k++)
			if (lyb_schema_same(jobs[i].schema, jobs[i].schema_len,
					    jobs[g[k].first].schema,
					    jobs[g[k].first].schema_len))
				break;
		if (k == ng && ng < SCHEMA_GROUPS_MAX) {
			g[k].first = i;
			g[k].count = 0;
			ng++;
		}
		group[i] = k; /* SCHEMA_GROUPS_MAX: one of too many */
		if (k < ng)
			g[k].count++;
	}
	for (k = 1; k < ng; k++)
		if (g[k].count > g[best].count)
			best = k;
	ref = &jobs[g[best].first];
	for (i = 0; i < sc->loc->nobjects; i++)
		if (group[i] != best)
			refuse(&jobs[i], -EBADMSG,
			       "its writer schema differs from that of %s "
			       "(and %zu other object%s)",
			       sc->loc->objects[g[best].first].name,
			       g[best].count - 1,
			       g[best].count == 2 ? "" : "s");
	free(group);
	/* a schema past the decoding limits (-EOVERFLOW) is refused, with
	 * its reason, by the data pass */
	rc = dataset ? lyb_schema_resolve(ref->schema, ref->schema_len, dataset,
					  strlen(dataset), why, sizeof(why))
		     : 0;
	if (rc == 0 || rc == -EOVERFLOW)
		return;
	for (i = 0; i < sc->loc->nobjects; i++)
		if (!jobs[i].rc)
			refuse(&jobs[i], rc,
			       "its writer schema cannot be read with the "
			       "DataSet's schema: %s",
			       why);
}

/* The indexes, from the parts in object order; a warning when none. */
static int join(struct scan *sc, char *warn, size_t warnlen)
{
	struct lyb_location *loc = sc->loc;
	size_t i, cap[2] = {0, 0};
	int rc = 0;

	if (list_bad(sc, warn, warnlen,
		     "no data.jsonl index, its reads will fail",
		     "do not decode: no data.jsonl index, its reads will fail",
		     1))
		return 0;
	for (i = 0; i < loc->nobjects && rc == 0; i++) {
		rc = lyb_view_part_join(&loc->jsonl, &cap[0],
					&sc->jobs[i].part[LYB_JSON_AVRO]);
		if (rc == 0 && loc->kind == LYB_LOC_GS)
			rc = lyb_view_part_join(
				&loc->jsonl_plain, &cap[1],
				&sc->jobs[i].part[LYB_JSON_PLAIN]);
	}
	loc->jsonl.recorded = rc == 0;
	loc->jsonl_plain.recorded = rc == 0 && loc->kind == LYB_LOC_GS;
	return rc;
}

static int scan_objects(struct scan *sc, char *err, size_t errlen)
{
	struct lyb_location *loc = sc->loc;
	size_t i;
	int rc = 0;

	if (loc->kind == LYB_LOC_GS) {
		rc = run_pass(sc, PHASE_HEADERS);
		if (rc)
			return rc;
		for (i = 0; i < loc->nobjects && !sc->jobs[i].rc; i++)
			;
		if (i == loc->nobjects)
			check_schemas(sc);
	}
	for (i = 0; i < loc->nobjects && !sc->jobs[i].rc; i++)
		;
	if (i == loc->nobjects)
		rc = run_pass(sc, PHASE_DATA);
	report(sc, loc->nobjects, 1);
	if (rc)
		return rc;
	for (i = 0; i < loc->nobjects && !sc->jobs[i].rc; i++)
		;
	if (i < loc->nobjects) {
		rc = sc->jobs[i].rc;
		if (!list_bad(sc, err, errlen, "", "refused", 0))
			snprintf(err, errlen, "%s", strerror(-rc));
		return rc;
	}
	if (loc->kind == LYB_LOC_GS) {
		/* the location's one writer schema */
		loc->schema =
			strndup(sc->jobs[0].schema, sc->jobs[0].schema_len);
		if (!loc->schema)
			return -ENOMEM;
	}
	return join(sc, err, errlen);
}

int lyb_publish_scan(enum lyb_loc_kind kind, const char *url, const char *table,
		     const struct lyb_publish_opts *opts,
		     struct lyb_location *loc, char *err, size_t errlen)
{
	struct scan sc = {.loc = loc,
			  .opts = opts,
			  .pages = !opts || !opts->no_page_crcs};
	char *prefix = NULL;
	size_t n, i;
	int rc;

	memset(loc, 0, sizeof(*loc));
	loc->kind = kind;
	err[0] = '\0';
	sc.t0 = now_mono();
	atomic_init(&sc.next, 0);
	atomic_init(&sc.bytes, 0);
	pthread_mutex_init(&sc.lock, NULL);
	pthread_cond_init(&sc.cond, NULL);
	rc = lyb_store_resolve(url, &sc.store, &prefix);
	if (rc) {
		snprintf(err, errlen, "%s: %s", url,
			 rc == -ENOTSUP ? "unsupported URL scheme"
					: "not a valid URL");
		goto out_destroy;
	}
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	loc->url = strndup(url, n);
	loc->table = table ? strdup(table) : NULL;
	if (!loc->url || (table && !loc->table)) {
		rc = -ENOMEM;
		goto out_fail;
	}
	if (strcmp(lyb_store_scheme(sc.store), "file") == 0 &&
	    !lyb_store_file_allowed(prefix)) {
		char roots[512];

		rc = -EACCES;
		snprintf(err, errlen,
			 "%s: outside the file:// data roots (file_roots: "
			 "%s); publish only data under them",
			 url,
			 lyb_store_file_roots(roots, sizeof(roots)) ? roots
								    : "none");
		goto out_fail;
	}
	sc.prefix_len = prefix[0] ? strlen(prefix) + 1 : 0;
	rc = lyb_store_list(sc.store, prefix, list_one, &sc);
	if (rc == 0 && loc->nobjects == 0)
		rc = -ENOENT;
	if (rc) {
		snprintf(err, errlen, "%s: %s", loc->url,
			 rc == -ENOENT ? "no objects there" : strerror(-rc));
		goto out_fail;
	}
	sc.spacing = lyb_view_spacing(sc.total);
	rc = scan_objects(&sc, err, errlen);
	if (rc)
		goto out_fail;
	if (kind == LYB_LOC_GS) {
		loc->format = strdup("avro");
	} else {
		loc->format = strdup(lyb_export_format_name(sc.format));
		loc->compression = strdup(sc.gzip ? "gzip" : "none");
	}
	if (!loc->format || (kind == LYB_LOC_SNOW && !loc->compression))
		rc = -ENOMEM;
	if (rc == 0 && sc.pages_failed) {
		size_t used = strlen(err);

		snprintf(err + used, errlen - used,
			 "%spage CRCs not written for %zu object%s (%s): "
			 "small reads of %s fetch whole 1 MiB blocks",
			 used ? "\n" : "", sc.pages_failed,
			 sc.pages_failed == 1 ? "" : "s", sc.pages_why,
			 sc.pages_failed == 1 ? "it" : "them");
	}
out_fail:
	for (i = 0; i < loc->nobjects && sc.jobs; i++)
		job_clear(&sc.jobs[i]);
	free(sc.jobs);
	if (rc) {
		if (rc == -ENOMEM && !err[0])
			snprintf(err, errlen, "%s", strerror(ENOMEM));
		lyb_location_clear(loc);
		loc->kind = kind;
	}
	free(prefix);
	lyb_store_unref(sc.store);
out_destroy:
	pthread_cond_destroy(&sc.cond);
	pthread_mutex_destroy(&sc.lock);
	return rc;
}
