// SPDX-License-Identifier: Apache-2.0
/*
 * view.c - data.jsonl, the records of a version as JSON lines (see
 * view.h): building the sparse index, the in-memory index cache for
 * versions published without one, and ranged reads through it.
 *
 * A mark starts a run of whole Avro blocks; runs are cut every `spacing`
 * bytes of Avro (at least 256 KiB, more for large versions so that a
 * version has about a thousand marks) or after 4 MiB of JSON, so that a
 * read decodes little and the index stays small in the catalog. Exports
 * cannot be entered in the middle (gzip has no restart points), so their
 * marks are whole objects, and a read decodes the object from its start
 * up to a window past the offset asked for.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/avro.h"
#include "lyb/decode.h"
#include "lyb/log.h"
#include "lyb/store.h"
#include "lyb/view.h"

#define SPACING_MIN (256u << 10)
#define MARKS_TARGET 1024
#define RUN_JSON_MAX (4u << 20) /* cut a run after this much JSON */
/* JSON kept per decode, from the offset read on */
#define READ_WINDOW (8u << 20)
#define LINE_MAX_BYTES (64u << 20) /* one record's JSON (decode.c) */
/* hard cap: the JSON one open file holds, a window and the line ending it */
#define RUN_DECODED_MAX (READ_WINDOW + LINE_MAX_BYTES)
#define CACHE_MAX 4096			 /* versions in the index cache */
#define RUN_READ_MAX ((uint64_t)3 << 30) /* Avro bytes of one run */

const struct lyb_location *lyb_view_source(const struct lyb_version *v)
{
	const struct lyb_location *loc = lyb_version_location(v, LYB_LOC_GS);

	return loc ? loc : lyb_version_location(v, LYB_LOC_SNOW);
}

void lyb_view_jsonl_clear(struct lyb_jsonl *jl)
{
	free(jl->marks);
	memset(jl, 0, sizeof(*jl));
}

static enum lyb_export_format export_format(const struct lyb_location *loc)
{
	return loc->format && strcmp(loc->format, "csv") == 0 ? LYB_EXPORT_CSV
							      : LYB_EXPORT_JSON;
}

static const char *view_name(enum lyb_json_enc enc)
{
	return enc == LYB_JSON_AVRO ? "data.avro.json" : "data.jsonl";
}

/* --- building the index --- */

uint64_t lyb_view_spacing(uint64_t total)
{
	uint64_t spacing = total / MARKS_TARGET;

	return spacing < SPACING_MIN ? SPACING_MIN : spacing;
}

void lyb_view_part_init(struct lyb_view_part *p, uint64_t object,
			uint64_t spacing)
{
	memset(p, 0, sizeof(*p));
	p->object = object;
	p->spacing = spacing;
}

void lyb_view_part_clear(struct lyb_view_part *p)
{
	lyb_view_jsonl_clear(&p->jl);
	p->cap = 0;
}

static int mark_push(struct lyb_jsonl *jl, size_t *cap,
		     const struct lyb_jsonl_mark *m)
{
	if (jl->nmarks == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		struct lyb_jsonl_mark *grown =
			realloc(jl->marks, n * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		jl->marks = grown;
		*cap = n;
	}
	jl->marks[jl->nmarks++] = *m;
	return 0;
}

int lyb_view_part_add(struct lyb_view_part *p, uint64_t block, uint64_t off,
		      uint64_t json)
{
	struct lyb_jsonl_mark m = {p->object, block, off, p->jl.bytes};
	int rc;

	if (!p->in_run || off - p->run_off >= p->spacing ||
	    p->run_json >= RUN_JSON_MAX) {
		if (p->in_run && p->run_json == 0)
			p->jl.nmarks--; /* an empty run: merged */
		rc = mark_push(&p->jl, &p->cap, &m);
		if (rc)
			return rc;
		p->run_off = off;
		p->run_json = 0;
		p->in_run = 1;
	}
	p->run_json += json;
	p->jl.bytes += json;
	return 0;
}

void lyb_view_part_end(struct lyb_view_part *p)
{
	if (p->in_run && p->run_json == 0)
		p->jl.nmarks--;
	p->in_run = 0;
}

int lyb_view_part_join(struct lyb_jsonl *jl, size_t *cap,
		       const struct lyb_view_part *p)
{
	struct lyb_jsonl_mark m;
	size_t i;
	int rc;

	for (i = 0; i < p->jl.nmarks; i++) {
		m = p->jl.marks[i];
		m.at += jl->bytes;
		rc = mark_push(jl, cap, &m);
		if (rc)
			return rc;
	}
	jl->bytes += p->jl.bytes;
	return 0;
}

void lyb_view_scan_clear(struct lyb_view_scan *sc)
{
	lyb_view_part_clear(&sc->part[LYB_JSON_PLAIN]);
	lyb_view_part_clear(&sc->part[LYB_JSON_AVRO]);
	free(sc->schema);
	sc->schema = NULL;
}

static void scan_init(struct lyb_view_scan *sc, uint64_t object,
		      uint64_t spacing)
{
	memset(sc, 0, sizeof(*sc));
	lyb_view_part_init(&sc->part[LYB_JSON_PLAIN], object, spacing);
	lyb_view_part_init(&sc->part[LYB_JSON_AVRO], object, spacing);
}

/* A decoding failure: the index cannot be had, the framing may go on. */
static void undecodable(struct lyb_view_scan *sc, int rc, const char *why)
{
	sc->decode_rc = rc;
	snprintf(sc->why, sizeof(sc->why), "%s", why);
}

int lyb_view_scan_avro(lyb_read_fn read, void *arg, uint64_t size,
		       uint64_t object, uint64_t spacing, unsigned encs,
		       int keep_framing, struct lyb_view_scan *sc, char *err,
		       size_t errlen)
{
	struct lyb_avro_decoder *dec = NULL;
	struct lyb_avro_file f;
	struct lyb_avro_block b;
	unsigned char *mem = NULL;
	uint64_t json[2];
	size_t cap = 0;
	char why[sizeof(sc->why)] = "";
	enum lyb_json_enc enc;
	int rc;

	scan_init(sc, object, spacing);
	rc = lyb_avro_open(read, arg, size, &f, err, errlen);
	if (rc)
		return rc;
	sc->schema = strndup(f.h.schema, f.h.schema_len);
	if (!sc->schema) {
		rc = -ENOMEM;
		goto out_close;
	}
	/* the decoder's own encoding does not matter: sizes are of each */
	rc = lyb_avro_decoder_new(f.h.schema, f.h.schema_len, LYB_JSON_AVRO,
				  &dec, why, sizeof(why));
	if (rc == -EOVERFLOW || rc == -ENOMEM) {
		undecodable(sc, rc, why); /* refused: nothing more to learn */
		rc = 0;
		goto out_close;
	}
	if (rc)
		undecodable(sc, rc, why);
	while ((rc = lyb_avro_next_read(&f, &b, &mem, &cap, err, errlen)) ==
	       0) {
		sc->rows += b.count;
		if (sc->decode_rc) {
			if (!keep_framing)
				break;
			continue;
		}
		json[LYB_JSON_PLAIN] = json[LYB_JSON_AVRO] = 0;
		rc = lyb_avro_decode_sizes(dec, mem, f.h.data_start + b.total,
					   f.h.data_start, b.index, b.off, encs,
					   json, why, sizeof(why));
		for (enc = 0; rc == 0 && enc <= LYB_JSON_AVRO; enc++)
			if (encs & (1u << enc))
				rc = lyb_view_part_add(&sc->part[enc], b.index,
						       b.off, json[enc]);
		if (rc == -ENOMEM)
			break;
		if (rc) {
			undecodable(sc, rc, why);
			rc = 0;
			if (sc->decode_rc == -EOVERFLOW)
				break; /* refused */
		}
	}
	if (rc == 1)
		rc = 0;
	lyb_view_part_end(&sc->part[LYB_JSON_PLAIN]);
	lyb_view_part_end(&sc->part[LYB_JSON_AVRO]);
out_close:
	lyb_avro_decoder_free(dec);
	free(mem);
	lyb_avro_close(&f);
	return rc;
}

static int count_line(void *arg, const char *line, size_t len)
{
	(void)line;
	*(uint64_t *)arg += len;
	return 0;
}

int lyb_view_scan_export(lyb_read_fn read, void *arg, uint64_t size,
			 enum lyb_export_format format, uint64_t object,
			 unsigned encs, struct lyb_view_scan *sc)
{
	uint64_t n = 0;
	enum lyb_json_enc enc;
	char why[sizeof(sc->why)] = "";
	int rc;

	scan_init(sc, object, 0);
	rc = lyb_decode_export(read, arg, size, format, count_line, &n, why,
			       sizeof(why));
	if (rc == -EBADMSG || rc == -EOVERFLOW)
		undecodable(sc, rc, why);
	else if (rc)
		return rc;
	/* an export cannot be entered in the middle: one mark, its start */
	for (enc = 0; sc->decode_rc == 0 && enc <= LYB_JSON_AVRO; enc++) {
		if (!(encs & (1u << enc)))
			continue;
		rc = lyb_view_part_add(&sc->part[enc], 0, 0, n);
		if (rc)
			return rc;
		lyb_view_part_end(&sc->part[enc]);
	}
	return 0;
}

int lyb_view_index(const struct lyb_location *loc, enum lyb_json_enc enc,
		   struct lyb_jsonl *out, char **schema, char *err,
		   size_t errlen)
{
	struct lyb_view_scan sc;
	uint64_t total = 0, spacing;
	size_t i, cap = 0;
	char why[512];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (schema)
		*schema = NULL;
	for (i = 0; i < loc->nobjects; i++)
		total += loc->objects[i].size;
	spacing = lyb_view_spacing(total);
	for (i = 0; i < loc->nobjects && rc == 0; i++) {
		const struct lyb_object *o = &loc->objects[i];
		struct lyb_reader *r;

		why[0] = '\0';
		memset(&sc, 0, sizeof(sc));
		rc = lyb_object_open(loc, o, &r);
		if (rc == 0) {
			rc = loc->kind == LYB_LOC_GS
				     ? lyb_view_scan_avro(lyb_reader_read_fn, r,
							  o->size, i, spacing,
							  1u << enc, 0, &sc,
							  why, sizeof(why))
				     : lyb_view_scan_export(lyb_reader_read_fn,
							    r, o->size,
							    export_format(loc),
							    i, 1u << enc, &sc);
			lyb_reader_close(r);
		}
		if (schema && !*schema && sc.schema) {
			*schema = sc.schema; /* the first object's */
			sc.schema = NULL;
		}
		if (rc == 0 && sc.decode_rc) {
			rc = sc.decode_rc;
			snprintf(why, sizeof(why), "%s", sc.why);
		}
		if (rc == 0)
			rc = lyb_view_part_join(out, &cap, &sc.part[enc]);
		if (rc)
			snprintf(err, errlen, "%s/%s: %s", loc->url, o->name,
				 why[0] ? why : strerror(-rc));
		lyb_view_scan_clear(&sc);
	}
	if (rc) {
		lyb_view_jsonl_clear(out); /* the schema stays, when read */
		return rc;
	}
	out->recorded = 1;
	return 0;
}

/* --- the cache of indexes computed on first need --- */

struct cache_entry {
	struct cache_entry *next;
	char *key; /* "<dataset>/<version id>/<encoding>" */
	int state; /* BUILDING, 0 ready, or -EIO: the data does not decode */
	struct lyb_jsonl jl;
	char *schema;
};

#define BUILDING 1

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_cond = PTHREAD_COND_INITIALIZER;
static struct cache_entry *cache; /* under cache_lock, newest first */
static size_t ncache;		  /* under cache_lock */

static void entry_free(struct cache_entry *e)
{
	free(e->key);
	lyb_view_jsonl_clear(&e->jl);
	free(e->schema);
	free(e);
}

/* Drops the oldest finished entries past CACHE_MAX. Under cache_lock. */
static void cache_trim(void)
{
	struct cache_entry **pp = &cache, *e;
	size_t seen = 0;

	while ((e = *pp)) {
		if (++seen > CACHE_MAX && e->state != BUILDING) {
			*pp = e->next;
			entry_free(e);
			ncache--;
			continue;
		}
		pp = &e->next;
	}
}

static int jsonl_copy(const struct lyb_jsonl *src, struct lyb_jsonl *dst)
{
	*dst = *src;
	dst->marks = malloc((src->nmarks + 1) * sizeof(*dst->marks));
	if (!dst->marks)
		return -ENOMEM;
	if (src->nmarks)
		memcpy(dst->marks, src->marks,
		       src->nmarks * sizeof(*dst->marks));
	return 0;
}

/* Copies what was asked of a ready entry. Under cache_lock. */
static int entry_copy(const struct cache_entry *e, struct lyb_jsonl *jl,
		      uint64_t *bytes, char **schema)
{
	/* a version that does not decode may still have a readable header */
	if (e->state && !(schema && e->schema && !jl && !bytes))
		return e->state;
	if (bytes)
		*bytes = e->jl.bytes;
	if (schema) {
		*schema = e->schema ? strdup(e->schema) : NULL;
		if (e->schema && !*schema)
			return -ENOMEM;
		if (!e->schema)
			return -ENOENT;
	}
	return jl ? jsonl_copy(&e->jl, jl) : 0;
}

/*
 * The index of @v's source, computed once per process: the first caller
 * builds it without holding the lock, concurrent callers wait for it.
 */
static int cached_index(const struct lyb_dataset *ds,
			const struct lyb_version *v, enum lyb_json_enc enc,
			struct lyb_jsonl *jl, uint64_t *bytes, char **schema)
{
	const struct lyb_location *src = lyb_view_source(v);
	struct lyb_jsonl built;
	struct cache_entry *e, **pp;
	char *key, *sc = NULL, err[1024] = "";
	size_t n = strlen(ds->name) + strlen(v->id) + 4;
	int rc;

	if (!src)
		return -ENOENT;
	key = malloc(n);
	if (!key)
		return -ENOMEM;
	snprintf(key, n, "%s/%s/%d", ds->name, v->id, (int)enc);
	pthread_mutex_lock(&cache_lock);
	for (;;) {
		for (e = cache; e && strcmp(e->key, key); e = e->next)
			;
		if (!e || e->state != BUILDING)
			break;
		pthread_cond_wait(&cache_cond, &cache_lock);
	}
	if (e) {
		rc = entry_copy(e, jl, bytes, schema);
		pthread_mutex_unlock(&cache_lock);
		free(key);
		return rc;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		pthread_mutex_unlock(&cache_lock);
		free(key);
		return -ENOMEM;
	}
	e->key = key;
	e->state = BUILDING;
	e->next = cache;
	cache = e;
	ncache++;
	pthread_mutex_unlock(&cache_lock);

	lyb_log(LYB_LOG_INFO, "%s of %s/%s/%s: indexing (not in the catalog)",
		view_name(enc), ds->name, v->date, v->id);
	rc = lyb_view_index(src, enc, &built, &sc, err, sizeof(err));
	if (rc)
		lyb_log(LYB_LOG_ERR, "%s of %s/%s/%s: %s", view_name(enc),
			ds->name, v->date, v->id, err[0] ? err : strerror(-rc));

	pthread_mutex_lock(&cache_lock);
	if (rc == 0) {
		e->jl = built;
		e->schema = sc;
		e->state = 0;
		rc = entry_copy(e, jl, bytes, schema);
	} else if (rc == -EBADMSG || rc == -EOVERFLOW) {
		/* the data is immutable: remembered, never decoded again */
		e->state = -EIO;
		e->schema = sc;
		rc = entry_copy(e, jl, bytes, schema);
	} else {
		free(sc);
		/* a store or memory failure may pass: the next use retries */
		for (pp = &cache; *pp != e; pp = &(*pp)->next)
			;
		*pp = e->next;
		entry_free(e);
		ncache--;
	}
	cache_trim();
	pthread_cond_broadcast(&cache_cond);
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

static int eio(int rc)
{
	return rc == 0 || rc == -ENOMEM || rc == -EACCES ? rc : -EIO;
}

/*
 * The index recorded at publish for @enc: a gs copy has one per encoding
 * (jsonl: Avro JSON, jsonl_plain: plain JSON; versions published before
 * the plain one have only the first, and their data.jsonl is indexed on
 * first need); an export's lines are the same in both (jsonl). NULL when
 * none is recorded.
 */
static const struct lyb_jsonl *recorded(const struct lyb_location *src,
					enum lyb_json_enc enc)
{
	const struct lyb_jsonl *jl =
		src->kind == LYB_LOC_GS && enc == LYB_JSON_PLAIN
			? &src->jsonl_plain
			: &src->jsonl;

	return jl->recorded ? jl : NULL;
}

/* data.avro.json exists only for a gs copy. */
static const struct lyb_location *view_source(const struct lyb_version *v,
					      enum lyb_json_enc enc)
{
	return enc == LYB_JSON_AVRO ? lyb_version_location(v, LYB_LOC_GS)
				    : lyb_view_source(v);
}

int lyb_view_size(const struct lyb_dataset *ds, const struct lyb_version *v,
		  enum lyb_json_enc enc, uint64_t *size)
{
	const struct lyb_location *src = view_source(v, enc);

	if (!src)
		return -ENOENT;
	if (recorded(src, enc)) {
		*size = recorded(src, enc)->bytes;
		return 0;
	}
	return eio(cached_index(ds, v, enc, NULL, size, NULL));
}

int lyb_view_schema(const struct lyb_dataset *ds, const struct lyb_version *v,
		    char **schema)
{
	const struct lyb_location *gs = lyb_version_location(v, LYB_LOC_GS);
	int rc;

	if (!gs)
		return -ENOENT;
	if (gs->schema) {
		*schema = strdup(gs->schema);
		return *schema ? 0 : -ENOMEM;
	}
	rc = cached_index(ds, v, LYB_JSON_PLAIN, NULL, NULL, schema);
	return rc == -ENOENT ? rc : eio(rc);
}

/* --- reading --- */

struct lyb_view_file {
	struct lyb_dataset *ds; /* a reference: keeps v and loc valid */
	const struct lyb_version *v;
	const struct lyb_location *loc;
	enum lyb_json_enc enc;
	struct lyb_jsonl jl; /* our own copy of the index */
	pthread_mutex_t lock;
	/* under lock: the object being read */
	int have_obj;
	size_t obj;
	struct lyb_reader *r;
	struct lyb_avro_file af; /* gs: its header */
	struct lyb_avro_decoder *dec;
	unsigned char *mem; /* the header, then the run being decoded */
	size_t memcap;
	/* under lock: data.jsonl [base, base + cache.len), when cached */
	int cached;
	uint64_t base;
	struct lyb_buf cache;
};

int lyb_view_open(struct lyb_dataset *ds, const struct lyb_version *v,
		  enum lyb_json_enc enc, struct lyb_view_file **out)
{
	const struct lyb_location *src = view_source(v, enc);
	struct lyb_view_file *f;
	int rc;

	if (!src)
		return -ENOENT;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (recorded(src, enc))
		rc = jsonl_copy(recorded(src, enc), &f->jl);
	else
		rc = eio(cached_index(ds, v, enc, &f->jl, NULL, NULL));
	if (rc) {
		free(f);
		return rc;
	}
	f->ds = lyb_dataset_ref(ds);
	f->v = v;
	f->loc = src;
	f->enc = enc;
	pthread_mutex_init(&f->lock, NULL);
	lyb_buf_init(&f->cache, RUN_DECODED_MAX);
	*out = f;
	return 0;
}

uint64_t lyb_view_file_size(const struct lyb_view_file *f)
{
	return f->jl.bytes;
}

static void object_close(struct lyb_view_file *f)
{
	if (!f->have_obj)
		return;
	lyb_avro_decoder_free(f->dec);
	f->dec = NULL;
	if (f->loc->kind == LYB_LOC_GS)
		lyb_avro_close(&f->af);
	lyb_reader_close(f->r);
	f->r = NULL;
	f->have_obj = 0;
}

static int object_open(struct lyb_view_file *f, size_t i, char *why,
		       size_t whylen)
{
	const struct lyb_object *o = &f->loc->objects[i];
	int rc;

	if (f->have_obj && f->obj == i)
		return 0;
	object_close(f);
	rc = lyb_object_open(f->loc, o, &f->r);
	if (rc)
		return rc;
	if (f->loc->kind == LYB_LOC_GS) {
		rc = lyb_avro_open(lyb_reader_read_fn, f->r, o->size, &f->af,
				   why, whylen);
		if (rc == 0) {
			rc = lyb_avro_decoder_new(f->af.h.schema,
						  f->af.h.schema_len, f->enc,
						  &f->dec, why, whylen);
			if (rc)
				lyb_avro_close(&f->af);
		}
		if (rc) {
			lyb_reader_close(f->r);
			f->r = NULL;
			return rc;
		}
	}
	f->obj = i;
	f->have_obj = 1;
	return 0;
}

/* Collects decoded lines: skips @skip bytes, stops after @keep (0: all). */
struct sink {
	struct lyb_buf *b;
	uint64_t pos, skip, keep, limit;
};

static int sink_line(void *arg, const char *line, size_t len)
{
	struct sink *s = arg;
	uint64_t from;
	int rc;

	if (len > s->limit - s->pos)
		return -ERANGE; /* more than the index says */
	if (s->pos + len > s->skip) {
		from = s->skip > s->pos ? s->skip - s->pos : 0;
		rc = lyb_buf_add(s->b, line + from, len - (size_t)from);
		if (rc)
			return rc;
	}
	s->pos += len;
	return s->keep && s->b->len >= s->keep ? 1 : 0;
}

/* The last mark at or before JSON offset @off. */
static size_t mark_find(const struct lyb_jsonl *jl, uint64_t off)
{
	size_t lo = 0, hi = jl->nmarks;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (jl->marks[mid].at <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Decodes the run holding JSON offset @off into the cache. Under lock. */
static int fill(struct lyb_view_file *f, uint64_t off)
{
	size_t k = mark_find(&f->jl, off), got, hs;
	const struct lyb_jsonl_mark *m = &f->jl.marks[k],
				    *next = k + 1 < f->jl.nmarks ? m + 1 : NULL;
	const struct lyb_object *o = &f->loc->objects[m->object];
	uint64_t end_at = next ? next->at : f->jl.bytes, run_end, run_len;
	struct sink s = {.b = &f->cache, .limit = end_at - m->at};
	char why[512] = "";
	unsigned char *grown;
	int rc;

	f->cached = 0;
	lyb_buf_reset(&f->cache);
	rc = object_open(f, (size_t)m->object, why, sizeof(why));
	if (rc)
		goto out_log;
	if (f->loc->kind != LYB_LOC_GS) {
		s.skip = off - m->at;
		s.keep = READ_WINDOW;
		rc = lyb_decode_export(lyb_reader_read_fn, f->r, o->size,
				       export_format(f->loc), sink_line, &s,
				       why, sizeof(why));
		f->base = m->at + s.skip;
		goto out_check;
	}
	run_end = next && next->object == m->object ? next->off : o->size;
	run_len = run_end > m->off ? run_end - m->off : 0;
	hs = (size_t)f->af.h.data_start;
	if (run_len == 0 || run_len > RUN_READ_MAX) {
		snprintf(why, sizeof(why), "block %llu: bad run of %llu bytes",
			 (unsigned long long)m->block,
			 (unsigned long long)run_len);
		rc = -EBADMSG;
		goto out_log;
	}
	if (hs + run_len > f->memcap) {
		grown = realloc(f->mem, hs + (size_t)run_len);
		if (!grown) {
			rc = -ENOMEM;
			goto out_log;
		}
		f->mem = grown;
		f->memcap = hs + (size_t)run_len;
	}
	memcpy(f->mem, f->af.head, hs);
	rc = lyb_reader_pread(f->r, f->mem + hs, (size_t)run_len, m->off, &got);
	if (rc == 0 && got != run_len) {
		snprintf(why, sizeof(why), "block %llu: truncated",
			 (unsigned long long)m->block);
		rc = -EBADMSG;
	}
	if (rc)
		goto out_log;
	/* only a window from @off is kept: a run's JSON may be far larger
	 * than one read, up to LYB_AVRO_BLOCK_JSON_MAX a block */
	s.skip = off - m->at;
	s.keep = READ_WINDOW;
	rc = lyb_avro_decode_blocks(f->dec, f->mem, hs + (size_t)run_len, hs,
				    m->block, m->off, sink_line, &s, why,
				    sizeof(why));
	f->base = m->at + s.skip;
out_check:
	if (rc == -ERANGE || (rc == 0 && s.pos != s.limit)) {
		snprintf(why, sizeof(why),
			 "block %llu (offset %llu): decodes to %s%llu bytes, "
			 "the index says %llu",
			 (unsigned long long)m->block,
			 (unsigned long long)m->off, rc ? "more than " : "",
			 (unsigned long long)s.pos,
			 (unsigned long long)s.limit);
		rc = -EBADMSG;
	}
	if (rc == 1 || rc == 0) {
		f->cached = 1;
		return 0;
	}
out_log:
	lyb_buf_reset(&f->cache);
	lyb_log(LYB_LOG_ERR, "%s of %s/%s/%s: %s/%s: %s", view_name(f->enc),
		f->ds->name, f->v->date, f->v->id, f->loc->url, o->name,
		why[0] ? why : strerror(-rc));
	return eio(rc);
}

int lyb_view_read(struct lyb_view_file *f, void *buf, size_t len, uint64_t off,
		  size_t *got)
{
	uint64_t pos, avail;
	size_t n;
	int rc = 0;

	*got = 0;
	if (off >= f->jl.bytes)
		return 0;
	if (len > f->jl.bytes - off)
		len = (size_t)(f->jl.bytes - off);
	pthread_mutex_lock(&f->lock);
	while (*got < len) {
		pos = off + *got;
		if (!f->cached || pos < f->base ||
		    pos >= f->base + f->cache.len) {
			rc = fill(f, pos);
			if (rc)
				break;
			if (pos < f->base || pos >= f->base + f->cache.len) {
				lyb_log(LYB_LOG_ERR,
					"%s of %s/%s/%s: offset %llu "
					"is not where the index says",
					view_name(f->enc), f->ds->name,
					f->v->date, f->v->id,
					(unsigned long long)pos);
				rc = -EIO;
				break;
			}
		}
		avail = f->base + f->cache.len - pos;
		n = len - *got < avail ? len - *got : (size_t)avail;
		memcpy((char *)buf + *got, f->cache.data + (pos - f->base), n);
		*got += n;
	}
	pthread_mutex_unlock(&f->lock);
	if (rc)
		*got = 0;
	return rc;
}

void lyb_view_close(struct lyb_view_file *f)
{
	if (!f)
		return;
	object_close(f);
	free(f->mem);
	lyb_buf_free(&f->cache);
	lyb_view_jsonl_clear(&f->jl);
	pthread_mutex_destroy(&f->lock);
	lyb_dataset_unref(f->ds);
	free(f);
}
