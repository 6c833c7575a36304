// SPDX-License-Identifier: Apache-2.0
/*
 * catalog.c - the catalog: names, lookups, snapshots, refresh, and safe
 * writes (documents are encoded by catalog_json.c).
 *
 * Layout under the root URL (docs/catalog.md):
 *   lybrary.json                  the marker: {"lybrary": 1}
 *   datasets/<namespace.Name>.json  one document per DataSet
 *
 * Refresh lists datasets/, re-reads only documents whose generation
 * changed, and publishes a new immutable snapshot; a document that fails
 * to parse is logged once per generation and its last good form is kept.
 *
 * Locking: @refresh_lock serialises refreshes; @lock protects @snap (the
 * pointer swap and taking a reference) and is never held across I/O.
 * Lock order: refresh_lock before lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog_impl.h"
#include "lyb/clock.h"
#include "lyb/log.h"
#include "lyb/pagecrc.h"
#include "lyb/store.h"

#define UPDATE_ATTEMPTS 64

struct bad_doc {
	char *key;
	int64_t generation;
};

struct lyb_catalog {
	char *url;
	struct lyb_store *store;
	char *prefix; /* key prefix of the catalog root, "" at a bucket root */
	pthread_mutex_t refresh_lock;
	pthread_mutex_t lock;
	struct lyb_snap *snap; /* under lock */
	uint64_t serial;       /* under refresh_lock */
	struct bad_doc *bad;   /* under refresh_lock: documents that failed */
	size_t nbad;
	int format;	     /* 1 or 2, as the marker last said */
	int upgrading;	     /* format 1 marked for upgrade: no writes */
	struct lyb_cat2 *c2; /* format 2 (catalog2.c) */
	int64_t marker_gen;  /* of the marker last read */
	size_t mem;	     /* catalog_mem, for a c2 made later */
};

/* --- names --- */

int lyb_name_valid(const char *name)
{
	const char *p, *dot = NULL;

	for (p = name; *p; p++) {
		if (*p == '.') {
			if (dot)
				return 0;
			dot = p;
		} else if (!((*p >= 'a' && *p <= 'z') ||
			     (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-' ||
			     *p == '_')) {
			return 0;
		}
	}
	return dot && dot != name && dot[1] != '\0' &&
	       (size_t)(p - name) <= LYB_NAME_MAX;
}

int lyb_id_valid(const char *id)
{
	size_t n = strspn(id, "0123456789abcdef");

	return n == strlen(id) && n >= LYB_ID_MIN && n <= LYB_ID_MAX;
}

static int ident_valid(const char *s, int allow_at)
{
	size_t n = 0;
	int at = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (c == '@' && allow_at && !at && n > 0) {
			at = 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	return n > 0 && n <= 250 && (!allow_at || (at && s[n - 1] != '@'));
}

int lyb_principal_valid(const char *p)
{
	/* the same bound wherever a principal is stored (catalog_json.c) */
	if (strnlen(p, LYB_PRINCIPAL_LEN + 1) > LYB_PRINCIPAL_LEN)
		return 0;
	if (strncmp(p, "user:", 5) == 0)
		return ident_valid(p + 5, 1);
	if (strncmp(p, "group:", 6) == 0)
		return ident_valid(p + 6, 0);
	if (strncmp(p, "domain:", 7) == 0)
		return ident_valid(p + 7, 0);
	return 0;
}

const char *lyb_loc_kind_name(enum lyb_loc_kind kind)
{
	return kind == LYB_LOC_GS ? "gs" : "snow";
}

int lyb_loc_kind_parse(const char *s, enum lyb_loc_kind *kind)
{
	if (strcmp(s, "gs") == 0)
		*kind = LYB_LOC_GS;
	else if (strcmp(s, "snow") == 0)
		*kind = LYB_LOC_SNOW;
	else
		return -EINVAL;
	return 0;
}

/* --- DataSets in memory --- */

void lyb_location_clear(struct lyb_location *loc)
{
	size_t i;

	for (i = 0; i < loc->nobjects; i++) {
		free(loc->objects[i].name);
		free(loc->objects[i].block_crc32c);
	}
	free(loc->objects);
	free(loc->jsonl.marks);
	free(loc->jsonl_plain.marks);
	free(loc->schema);
	free(loc->url);
	free(loc->table);
	free(loc->format);
	free(loc->compression);
	memset(loc, 0, sizeof(*loc));
}

void lyb_version_clear(struct lyb_version *v)
{
	size_t i;

	for (i = 0; i < v->nupstream; i++)
		free(v->upstream[i].dataset);
	free(v->upstream);
	for (i = 0; i < v->nlocations; i++)
		lyb_location_clear(&v->locations[i]);
	free(v->locations);
	free(v->producer);
	memset(v, 0, sizeof(*v));
}

static void free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void lyb_access_request_clear(struct lyb_access_request *r)
{
	free(r->principal);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

void lyb_access_change_clear(struct lyb_access_change *c)
{
	free(c->by);
	free(c->action);
	free(c->principal);
	free(c->reason);
	memset(c, 0, sizeof(*c));
}

size_t lyb_dataset_history_trim(struct lyb_dataset *ds, size_t keep)
{
	size_t i, drop;

	if (ds->nhistory <= keep)
		return 0;
	drop = ds->nhistory - keep;
	for (i = 0; i < drop; i++)
		lyb_access_change_clear(&ds->history[i]);
	memmove(ds->history, ds->history + drop, keep * sizeof(*ds->history));
	ds->nhistory = keep;
	ds->history_dropped += (int64_t)drop;
	return drop;
}

void lyb_dataset_clear(struct lyb_dataset *ds)
{
	size_t i;

	for (i = 0; i < ds->nrequests; i++)
		lyb_access_request_clear(&ds->requests[i]);
	free(ds->requests);
	for (i = 0; i < ds->nhistory; i++)
		lyb_access_change_clear(&ds->history[i]);
	free(ds->history);

	for (i = 0; i < ds->nversions; i++)
		lyb_version_clear(&ds->versions[i]);
	free(ds->versions);
	free(ds->dates);
	lyb_f2_free(ds->f2);
	free_strings(ds->readers, ds->nreaders);
	free_strings(ds->upstream, ds->nupstream);
	free(ds->name);
	free(ds->description);
	free(ds->owner);
	free(ds->channel);
	free(ds->pm);
	free(ds->slo_frequency);
	free(ds->slo_deadline);
	free(ds->slo_timezone);
	free(ds->data_format);
	free(ds->schema);
	free(ds->extra);
	memset(ds, 0, sizeof(*ds));
}

void lyb_dataset_destroy(struct lyb_dataset *ds)
{
	if (!ds)
		return;
	lyb_dataset_clear(ds);
	free(ds);
}

struct lyb_dataset *lyb_dataset_ref(struct lyb_dataset *ds)
{
	atomic_fetch_add(&ds->refs, 1);
	return ds;
}

void lyb_dataset_unref(struct lyb_dataset *ds)
{
	if (ds && atomic_fetch_sub(&ds->refs, 1) == 1)
		lyb_dataset_destroy(ds);
}

/*
 * Versions sort by date, then publish time; versions published within the
 * same second keep their document order, which is the order they were
 * appended in, so `latest` is always the last one published.
 */
static int cmp_version_index(const void *a, const void *b, void *arg)
{
	const struct lyb_version *vs = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(vs[i].date, vs[j].date);

	if (c)
		return c;
	if (vs[i].published != vs[j].published)
		return vs[i].published < vs[j].published ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int sort_versions(struct lyb_dataset *ds)
{
	struct lyb_version *sorted;
	size_t *idx, i;

	if (ds->nversions < 2)
		return 0;
	idx = malloc(ds->nversions * sizeof(*idx));
	sorted = malloc(ds->nversions * sizeof(*sorted));
	if (!idx || !sorted) {
		free(idx);
		free(sorted);
		return -ENOMEM;
	}
	for (i = 0; i < ds->nversions; i++)
		idx[i] = i;
	qsort_r(idx, ds->nversions, sizeof(*idx), cmp_version_index,
		ds->versions);
	for (i = 0; i < ds->nversions; i++)
		sorted[i] = ds->versions[idx[i]];
	free(ds->versions);
	ds->versions = sorted;
	free(idx);
	return 0;
}

int lyb_dataset_index(struct lyb_dataset *ds)
{
	struct lyb_date *d = NULL;
	size_t i, n = 0;
	int rc;

	rc = sort_versions(ds);
	if (rc)
		return rc;
	if (!ds->partial) {
		ds->updated = ds->created;
		for (i = 0; i < ds->nversions; i++)
			if (ds->versions[i].published > ds->updated)
				ds->updated = ds->versions[i].published;
	}
	free(ds->dates);
	ds->dates = NULL;
	ds->ndates = 0;
	for (i = 0; i < ds->nversions; i++)
		if (i == 0 ||
		    strcmp(ds->versions[i].date, ds->versions[i - 1].date))
			n++;
	if (n == 0)
		return 0;
	ds->dates = calloc(n, sizeof(*ds->dates));
	if (!ds->dates)
		return -ENOMEM;
	for (i = 0; i < ds->nversions; i++) {
		if (i == 0 ||
		    strcmp(ds->versions[i].date, ds->versions[i - 1].date)) {
			d = &ds->dates[ds->ndates++];
			memcpy(d->date, ds->versions[i].date, sizeof(d->date));
			d->first = i;
		}
		d->count++;
		d->latest = &ds->versions[i];
	}
	if (!ds->partial && !ds->f2) {
		const struct lyb_version *v = ds->dates[ds->ndates - 1].latest;

		ds->count_versions = ds->nversions;
		ds->count_dates = ds->ndates;
		memcpy(ds->latest_date, v->date, sizeof(v->date));
		memcpy(ds->latest_id, v->id, sizeof(v->id));
		ds->latest_published = v->published;
		ds->latest_rows = v->rows;
		ds->latest_bytes = v->bytes;
		ds->latest_first =
			ds->versions[ds->dates[ds->ndates - 1].first].published;
	}
	return 0;
}

int lyb_dataset_dates(struct lyb_dataset *ds, struct lyb_datelist **out)
{
	struct lyb_datelist *l;
	size_t i;

	if (ds->f2)
		return lyb_f2_dates(ds, out);
	l = calloc(1, sizeof(*l));
	if (!l || !(l->d = calloc(ds->ndates + 1, sizeof(*l->d)))) {
		free(l);
		return -ENOMEM;
	}
	atomic_init(&l->refs, 1);
	for (i = 0; i < ds->ndates; i++) {
		struct lyb_date_sum *s = &l->d[i];

		memcpy(s->date, ds->dates[i].date, sizeof(s->date));
		s->count = ds->dates[i].count;
		memcpy(s->latest, ds->dates[i].latest->id, sizeof(s->latest));
		s->published = ds->dates[i].latest->published;
		s->first = ds->versions[ds->dates[i].first].published;
	}
	l->n = ds->ndates;
	*out = l;
	return 0;
}

static int cmp_date_sum(const void *key, const void *elem)
{
	return strcmp(key, ((const struct lyb_date_sum *)elem)->date);
}

const struct lyb_date_sum *lyb_datelist_find(const struct lyb_datelist *l,
					     const char *date)
{
	return l->n ? bsearch(date, l->d, l->n, sizeof(*l->d), cmp_date_sum)
		    : NULL;
}

void lyb_datelist_unref(struct lyb_datelist *l)
{
	if (!l || atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	free(l->d);
	free(l);
}

int lyb_dataset_part(struct lyb_dataset *ds, const char *date,
		     struct lyb_dataset **out)
{
	if (ds->f2)
		return lyb_f2_part(ds, date, out);
	*out = lyb_dataset_ref(ds);
	return 0;
}

/* --- lookups --- */

static int cmp_name_ds(const void *key, const void *elem)
{
	return strcmp(key, (*(struct lyb_dataset *const *)elem)->name);
}

struct lyb_dataset *lyb_snap_find(const struct lyb_snap *snap, const char *name)
{
	struct lyb_dataset **p;

	if (!snap || snap->ndatasets == 0)
		return NULL;
	p = bsearch(name, snap->datasets, snap->ndatasets,
		    sizeof(*snap->datasets), cmp_name_ds);
	return p ? *p : NULL;
}

static int cmp_date(const void *key, const void *elem)
{
	return strcmp(key, ((const struct lyb_date *)elem)->date);
}

const struct lyb_date *lyb_dataset_find_date(const struct lyb_dataset *ds,
					     const char *date)
{
	if (ds->ndates == 0)
		return NULL;
	return bsearch(date, ds->dates, ds->ndates, sizeof(*ds->dates),
		       cmp_date);
}

const struct lyb_version *lyb_dataset_find_version(const struct lyb_dataset *ds,
						   const char *date,
						   const char *id)
{
	size_t i, first = 0, count = ds->nversions;

	if (date) {
		const struct lyb_date *d = lyb_dataset_find_date(ds, date);

		if (!d)
			return NULL;
		first = d->first;
		count = d->count;
	}
	for (i = first; i < first + count; i++)
		if (strcmp(ds->versions[i].id, id) == 0)
			return &ds->versions[i];
	return NULL;
}

const struct lyb_date *lyb_dataset_latest_date(const struct lyb_dataset *ds)
{
	return ds->ndates ? &ds->dates[ds->ndates - 1] : NULL;
}

const struct lyb_location *lyb_version_location(const struct lyb_version *v,
						enum lyb_loc_kind kind)
{
	size_t i;

	for (i = 0; i < v->nlocations; i++)
		if (v->locations[i].kind == kind)
			return &v->locations[i];
	return NULL;
}

static int cmp_name_obj(const void *key, const void *elem)
{
	return strcmp(key, ((const struct lyb_object *)elem)->name);
}

const struct lyb_object *lyb_location_find(const struct lyb_location *loc,
					   const char *name)
{
	if (loc->nobjects == 0)
		return NULL;
	return bsearch(name, loc->objects, loc->nobjects, sizeof(*loc->objects),
		       cmp_name_obj);
}

char *lyb_object_url(const struct lyb_location *loc, const struct lyb_object *o)
{
	size_t n = strlen(loc->url);

	while (n > 0 && loc->url[n - 1] == '/')
		n--;
	{
		size_t len = n + 1 + strlen(o->name) + 1;
		char *s = malloc(len);

		if (s)
			snprintf(s, len, "%.*s/%s", (int)n, loc->url, o->name);
		return s;
	}
}

int lyb_object_open(const struct lyb_location *loc, const struct lyb_object *o,
		    struct lyb_reader **r)
{
	struct lyb_store *store;
	char *prefix, *key;
	int rc;

	/* bytes nothing can verify are not served (the catalog writer's
	 * word is all there is): a checksum is what ties them to the
	 * publish */
	if (!o->crc32c[0] && !o->md5[0]) {
		lyb_log(LYB_LOG_ERR,
			"open %s/%s: the catalog records neither crc32c nor "
			"md5 for it: not served",
			loc->url, o->name);
		return -EIO;
	}
	rc = lyb_store_resolve(loc->url, &store, &prefix);
	if (rc) {
		lyb_log(LYB_LOG_ERR, "open %s/%s: %s", loc->url, o->name,
			rc == -EINVAL ? "not a valid location URL"
				      : strerror(-rc));
		return rc;
	}
	key = lyb_store_key_join(prefix, o->name);
	rc = key ? lyb_reader_open(store, key, o->generation, o->size, r)
		 : -ENOMEM;
	if (rc == 0 && o->crc32c[0])
		lyb_reader_expect_crc32c(*r, o->crc32c);
	if (rc == 0 && o->md5[0])
		lyb_reader_expect_md5(*r, o->md5);
	if (rc == 0 && o->block_crc32c) {
		rc = lyb_reader_expect_blocks(*r, o->block_crc32c,
					      lyb_object_nblocks(o->size),
					      LYB_BLOCK_SIZE);
		if (rc == 0 && o->page_crc_gen > 0) {
			char *pk = lyb_pagecrc_key(key);

			rc = pk ? lyb_reader_expect_pages(*r, pk,
							  o->page_crc_gen)
				: -ENOMEM;
			free(pk);
		}
		if (rc) {
			lyb_reader_close(*r);
			*r = NULL;
		}
	}
	if (rc)
		lyb_log(LYB_LOG_ERR, "open %s/%s: %s", loc->url, o->name,
			strerror(-rc));
	free(key);
	free(prefix);
	lyb_store_unref(store);
	return rc;
}

void lyb_snap_downstream(const struct lyb_snap *snap, const char *name,
			 void (*cb)(void *arg, const struct lyb_dataset *ds),
			 void *arg)
{
	size_t i, j;

	for (i = 0; i < snap->ndatasets; i++) {
		const struct lyb_dataset *ds = snap->datasets[i];

		for (j = 0; j < ds->nupstream; j++)
			if (strcmp(ds->upstream[j], name) == 0) {
				cb(arg, ds);
				break;
			}
	}
}

static int cmp_name_bad(const void *key, const void *elem)
{
	return strcmp(key, ((const struct lyb_bad_doc *)elem)->name);
}

const struct lyb_bad_doc *lyb_snap_find_bad(const struct lyb_snap *snap,
					    const char *name)
{
	if (!snap->nbad)
		return NULL;
	return bsearch(name, snap->bad, snap->nbad, sizeof(*snap->bad),
		       cmp_name_bad);
}

void lyb_snap_unref(struct lyb_snap *snap)
{
	size_t i;

	if (!snap || atomic_fetch_sub(&snap->refs, 1) != 1)
		return;
	for (i = 0; i < snap->ndatasets; i++)
		lyb_dataset_unref(snap->datasets[i]);
	free(snap->datasets);
	free(snap->bad);
	free(snap);
}

/* --- the catalog --- */

static char *doc_key(const struct lyb_catalog *cat, const char *name)
{
	char rel[LYB_NAME_MAX + 32];

	snprintf(rel, sizeof(rel), "datasets/%s.json", name);
	return lyb_store_key_join(cat->prefix, rel);
}

int lyb_catalog_open(const char *url, int create, struct lyb_catalog **out)
{
	struct lyb_catalog *cat;
	char *key = NULL, *text = NULL, err[256];
	size_t len;
	int rc;

	cat = calloc(1, sizeof(*cat));
	if (!cat)
		return -ENOMEM;
	pthread_mutex_init(&cat->refresh_lock, NULL);
	pthread_mutex_init(&cat->lock, NULL);
	cat->url = strdup(url);
	cat->snap = calloc(1, sizeof(*cat->snap));
	if (!cat->url || !cat->snap) {
		rc = -ENOMEM;
		goto out_fail;
	}
	atomic_init(&cat->snap->refs, 1);
	rc = lyb_store_resolve(url, &cat->store, &cat->prefix);
	if (rc) {
		lyb_log(LYB_LOG_ERR, "catalog %s: %s", url,
			rc == -ENOTSUP ? "unsupported URL scheme"
				       : "not a file:/// or gs:// URL");
		goto out_fail;
	}
	key = lyb_store_key_join(cat->prefix, "lybrary.json");
	if (!key) {
		rc = -ENOMEM;
		goto out_fail;
	}
	rc = lyb_store_get(cat->store, key, 4096, &text, &len, NULL);
	if (rc == -ENOENT && create) {
		const char *m =
			create == 1 ? lyb_catalog_marker : lyb_catalog_marker2;

		rc = lyb_store_put(cat->store, key, m, strlen(m), 0, NULL);
		if (rc == -EAGAIN) /* created by someone else meanwhile */
			rc = lyb_store_get(cat->store, key, 4096, &text, &len,
					   NULL);
		else if (rc == 0)
			rc = (text = strdup(m)) ? 0 : -ENOMEM, len = strlen(m);
	}
	if (rc) {
		lyb_log(LYB_LOG_ERR, "catalog %s: %s", url,
			rc == -ENOENT ? "no catalog here (lybrary.json is "
					"missing)"
				      : strerror(-rc));
		goto out_fail;
	}
	rc = lyb_catalog_marker_check(text, len, &cat->format, &cat->upgrading,
				      err, sizeof(err));
	if (rc) {
		lyb_log(LYB_LOG_ERR, "catalog %s: %s", url, err);
		goto out_fail;
	}
	cat->snap->format = cat->format;
	if (cat->format == 2 &&
	    (rc = lyb_cat2_open(cat->store, cat->prefix, url, &cat->c2)))
		goto out_fail;
	free(key);
	free(text);
	*out = cat;
	return 0;
out_fail:
	free(key);
	free(text);
	lyb_catalog_close(cat);
	return rc;
}

void lyb_catalog_close(struct lyb_catalog *cat)
{
	size_t i;

	if (!cat)
		return;
	lyb_snap_unref(cat->snap);
	lyb_cat2_close(cat->c2);
	for (i = 0; i < cat->nbad; i++)
		free(cat->bad[i].key);
	free(cat->bad);
	lyb_store_unref(cat->store);
	pthread_mutex_destroy(&cat->refresh_lock);
	pthread_mutex_destroy(&cat->lock);
	free(cat->prefix);
	free(cat->url);
	free(cat);
}

const char *lyb_catalog_url(const struct lyb_catalog *cat)
{
	return cat->url;
}

struct lyb_snap *lyb_catalog_snap(struct lyb_catalog *cat)
{
	struct lyb_snap *s;

	pthread_mutex_lock(&cat->lock);
	s = cat->snap;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&cat->lock);
	return s;
}

struct refresh_ctx {
	struct lyb_catalog *cat;
	struct lyb_snap *old, *new;
	size_t cap, badcap;
	size_t dir_len; /* length of the "datasets/" key prefix */
};

/*
 * Lists DataSet @name as unloadable in the new snapshot, since when the
 * previous snapshot first listed it (or now).
 */
static int add_bad(struct refresh_ctx *c, const char *name, const char *why,
		   int definite)
{
	const struct lyb_bad_doc *prev = lyb_snap_find_bad(c->old, name);
	struct lyb_bad_doc *b;

	if (c->new->nbad == c->badcap) {
		size_t cap = c->badcap ? c->badcap * 2 : 8;

		b = realloc(c->new->bad, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		c->new->bad = b;
		c->badcap = cap;
	}
	b = &c->new->bad[c->new->nbad++];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	if (why)
		snprintf(b->reason, sizeof(b->reason), "%s", why);
	else if (prev)
		memcpy(b->reason, prev->reason, sizeof(b->reason));
	else
		snprintf(b->reason, sizeof(b->reason), "does not load");
	b->definite = definite;
	b->since = prev ? prev->since : (int64_t)time(NULL);
	return 0;
}

static int cmp_bad(const void *a, const void *b)
{
	return strcmp(((const struct lyb_bad_doc *)a)->name,
		      ((const struct lyb_bad_doc *)b)->name);
}

/* Was this generation of @key already found bad? Remember it if not. */
static int seen_bad(struct lyb_catalog *cat, const char *key, int64_t gen,
		    int remember)
{
	size_t i;

	for (i = 0; i < cat->nbad; i++) {
		if (strcmp(cat->bad[i].key, key) == 0) {
			if (cat->bad[i].generation == gen)
				return 1;
			if (remember)
				cat->bad[i].generation = gen;
			return 0;
		}
	}
	if (remember) {
		struct bad_doc *b =
			realloc(cat->bad, (cat->nbad + 1) * sizeof(*b));
		char *k = strdup(key);

		if (b)
			cat->bad = b;
		if (b && k) {
			b[cat->nbad].key = k;
			b[cat->nbad++].generation = gen;
		} else {
			free(k);
		}
	}
	return 0;
}

static int refresh_one(void *arg, const struct lyb_object_info *o)
{
	struct refresh_ctx *c = arg;
	const char *base = o->key + c->dir_len;
	char name[LYB_NAME_MAX + 1], err[512], *text = NULL;
	struct lyb_dataset *old, *ds = NULL;
	size_t n = strlen(base), len;
	int64_t gen;
	int rc;

	if (n < 6 || n - 5 > LYB_NAME_MAX || strcmp(base + n - 5, ".json") ||
	    strchr(base, '/'))
		return 0;
	memcpy(name, base, n - 5);
	name[n - 5] = '\0';
	if (!lyb_name_valid(name)) {
		if (!seen_bad(c->cat, o->key, o->generation, 1))
			lyb_log(LYB_LOG_WARN,
				"catalog: %s: ignored: not a "
				"valid DataSet name",
				o->key);
		return 0;
	}
	old = lyb_snap_find(c->old, name);
	if (old && old->generation == o->generation) {
		ds = lyb_dataset_ref(old);
		goto out_add;
	}
	if (seen_bad(c->cat, o->key, o->generation, 0)) {
		rc = add_bad(c, name, NULL, 1);
		if (rc)
			return rc;
		goto out_keep_old;
	}
	rc = lyb_store_get(c->cat->store, o->key, LYB_DOC_MAX, &text, &len,
			   &gen);
	if (rc == -ENOENT)
		return 0; /* deleted since the listing */
	if (rc == -EFBIG) {
		/* the same answer until it is rewritten: remember it */
		snprintf(err, sizeof(err), "larger than the %u MiB read limit",
			 LYB_DOC_MAX >> 20);
		seen_bad(c->cat, o->key, o->generation, 1);
		lyb_log(LYB_LOG_ERR, "catalog: %s: %s%s", o->key, err,
			old ? " (its data is denied)" : "");
		rc = add_bad(c, name, err, 1);
		if (rc)
			return rc;
		goto out_keep_old;
	}
	if (rc) {
		lyb_log(LYB_LOG_ERR, "catalog: %s: %s", o->key, strerror(-rc));
		rc = add_bad(c, name, strerror(-rc), 0);
		if (rc)
			return rc;
		goto out_keep_old;
	}
	rc = lyb_dataset_parse(text, len, &ds, err, sizeof(err));
	free(text);
	if (rc == 0 && strcmp(ds->name, name) != 0) {
		snprintf(err, sizeof(err),
			 "name: \"%s\" does not match the "
			 "document name",
			 ds->name);
		lyb_dataset_unref(ds);
		ds = NULL;
		rc = -EBADMSG;
	}
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		seen_bad(c->cat, o->key, gen, 1);
		lyb_log(LYB_LOG_ERR, "catalog: %s: %s%s", o->key, err,
			old ? " (serving the previous names, denying its "
			      "data)"
			    : "");
		rc = add_bad(c, name, err, 1);
		if (rc)
			return rc;
		goto out_keep_old;
	}
	ds->generation = gen;
	goto out_add;
out_keep_old:
	if (!old)
		return 0;
	ds = lyb_dataset_ref(old);
out_add:
	if (c->new->ndatasets == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct lyb_dataset **d =
			realloc(c->new->datasets, cap * sizeof(*d));

		if (!d) {
			lyb_dataset_unref(ds);
			return -ENOMEM;
		}
		c->new->datasets = d;
		c->cap = cap;
	}
	c->new->datasets[c->new->ndatasets++] = ds;
	return 0;
}

static int cmp_ds(const void *a, const void *b)
{
	return strcmp((*(struct lyb_dataset *const *)a)->name,
		      (*(struct lyb_dataset *const *)b)->name);
}

/*
 * A catalog whose DataSets all vanished at once is more likely gone
 * (unmounted disk, deleted prefix, wrong credentials) than emptied: unless
 * its marker is still there, that is an error and the last snapshot
 * stays.
 */
static int check_marker(struct lyb_catalog *cat)
{
	struct lyb_object_info info;
	char *key = lyb_store_key_join(cat->prefix, "lybrary.json");
	int rc;

	if (!key)
		return -ENOMEM;
	rc = lyb_store_stat(cat->store, key, &info);
	free(key);
	if (rc == -ENOENT)
		return -EIO; /* the root is gone, not empty */
	return rc ? rc : -ENOENT;
}

/* Installs @snap (a reference passed) as the current snapshot. */
static void install(struct lyb_catalog *cat, struct lyb_snap *snap)
{
	snap->loaded = (int64_t)time(NULL);
	snap->serial = ++cat->serial;
	pthread_mutex_lock(&cat->lock);
	lyb_snap_unref(cat->snap);
	cat->snap = snap;
	pthread_mutex_unlock(&cat->lock);
}

/*
 * Reads the marker again: the format, and whether a format 1 catalog is
 * being upgraded. Switches to format 2 when it has become that.
 */
static int reread_marker(struct lyb_catalog *cat)
{
	char *key = lyb_store_key_join(cat->prefix, "lybrary.json"), *text;
	struct lyb_object_info info;
	char err[256];
	int rc, fmt, upgrading;
	int64_t gen;
	size_t len;

	if (!key)
		return -ENOMEM;
	/* a stat first: the marker is read again only when it changed */
	rc = lyb_store_stat(cat->store, key, &info);
	if (rc == 0) {
		free(info.key);
		if (info.generation == cat->marker_gen) {
			free(key);
			return 0;
		}
	}
	rc = lyb_store_get(cat->store, key, 4096, &text, &len, &gen);
	free(key);
	if (rc)
		return rc;
	cat->marker_gen = gen;
	rc = lyb_catalog_marker_check(text, len, &fmt, &upgrading, err,
				      sizeof(err));
	free(text);
	if (rc)
		return rc;
	if (fmt == 2 && !cat->c2 &&
	    (rc = lyb_cat2_open(cat->store, cat->prefix, cat->url, &cat->c2)))
		return rc;
	if (fmt == 2 && cat->mem)
		lyb_cat2_set_mem(cat->c2, cat->mem);
	if (fmt != cat->format)
		lyb_log(LYB_LOG_INFO, "catalog %s: now format %d", cat->url,
			fmt);
	cat->format = fmt;
	cat->upgrading = upgrading;
	return 0;
}

/* Journal batches (4,096 entries each) one refresh reads at most. */
#define LYB_CAT2_CATCHUP 256

static int refresh2(struct lyb_catalog *cat, int *changed)
{
	struct lyb_snap *old, *snap = NULL;
	int rc, n;

	pthread_mutex_lock(&cat->refresh_lock);
	old = lyb_catalog_snap(cat);
	/* a mount that was reading format 1 starts format 2 from scratch */
	rc = lyb_cat2_refresh(cat->c2, old->format == 2 ? old : NULL, &snap);
	/* behind by more than a batch (a new mount, a burst): read on before
	 * installing, so no caller works from a partly read journal (a CLI
	 * would miss DataSets, a mount would serve ACLs a later entry
	 * changed), up to LYB_CAT2_CATCHUP batches a refresh */
	for (n = 1; rc == 0 && lyb_cat2_more(cat->c2) && n < LYB_CAT2_CATCHUP;
	     n++) {
		struct lyb_snap *next = NULL;

		rc = lyb_cat2_refresh(cat->c2,
				      snap		 ? snap
				      : old->format == 2 ? old
							 : NULL,
				      &next);
		if (next) {
			lyb_snap_unref(snap);
			snap = next;
		}
	}
	if (n > 1)
		lyb_log(LYB_LOG_WARN,
			"catalog %s: read %d batches of the journal in one "
			"refresh%s; a recent checkpoint (lyb catalog "
			"checkpoint) makes that one",
			cat->url, n,
			lyb_cat2_more(cat->c2) ? ", and more remain" : "");
	if (rc)
		lyb_log(LYB_LOG_DEBUG, "catalog %s: refresh failed: %s",
			cat->url, strerror(-rc));
	if (snap)
		install(cat, snap);
	if (changed)
		*changed = snap != NULL;
	lyb_snap_unref(old);
	pthread_mutex_unlock(&cat->refresh_lock);
	return rc;
}

int lyb_catalog_refresh(struct lyb_catalog *cat, int *changed)
{
	struct refresh_ctx c = {.cat = cat};
	char *dir;
	int rc, same;
	size_t i;

	if (cat->format == 1 && reread_marker(cat) == 0 && cat->format == 2)
		return refresh2(cat, changed);
	if (cat->format == 2)
		return refresh2(cat, changed);

	dir = lyb_store_key_join(cat->prefix, "datasets");
	if (!dir)
		return -ENOMEM;
	c.dir_len = strlen(dir) + 1;
	pthread_mutex_lock(&cat->refresh_lock);
	c.old = lyb_catalog_snap(cat);
	c.new = calloc(1, sizeof(*c.new));
	if (!c.new) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	atomic_init(&c.new->refs, 1);
	rc = lyb_store_list(cat->store, dir, refresh_one, &c);
	if ((rc == -ENOENT || (rc == 0 && c.new->ndatasets == 0)) &&
	    c.old->ndatasets > 0)
		rc = check_marker(cat); /* emptied, or the root is gone? */
	if (rc == -ENOENT)		/* no DataSets yet */
		rc = 0;
	if (rc) {
		lyb_log(LYB_LOG_DEBUG, "catalog %s: refresh failed: %s",
			cat->url, strerror(-rc));
		lyb_snap_unref(c.new);
		goto out_unlock;
	}
	if (c.new->ndatasets > 1)
		qsort(c.new->datasets, c.new->ndatasets,
		      sizeof(*c.new->datasets), cmp_ds);
	if (c.new->nbad > 1)
		qsort(c.new->bad, c.new->nbad, sizeof(*c.new->bad), cmp_bad);
	same = c.new->ndatasets == c.old->ndatasets;
	if (c.new->nbad != c.old->nbad)
		same = 0;
	for (i = 0; same && i < c.new->ndatasets; i++)
		same = c.new->datasets[i] == c.old->datasets[i];
	for (i = 0; same && i < c.new->nbad; i++) /* zeroed: memcmp is exact */
		same = memcmp(&c.new->bad[i], &c.old->bad[i],
			      sizeof(c.new->bad[i])) == 0;
	c.new->format = 1;
	if (same)
		lyb_snap_unref(c.new);
	else
		install(cat, c.new);
	if (changed)
		*changed = !same;
out_unlock:
	lyb_snap_unref(c.old);
	pthread_mutex_unlock(&cat->refresh_lock);
	free(dir);
	return rc;
}

/*
 * The write gate, the one place every catalog writer passes (create,
 * update: publish, request, grant, revoke, and whatever else mutates a
 * document): the exact bytes about to be stored go through the reader's
 * own checks, so no writer can leave a DataSet that readers refuse. That
 * is the reader's size cap (LYB_DOC_MAX, what lyb_store_get is given at
 * refresh), lyb_dataset_parse with every field and item cap, and the
 * name-matches-file check of refresh_one. -EFBIG or -EBADMSG (-ENOMEM)
 * with "refusing to write DataSet NAME: reason" in @err.
 */
static int doc_gate(const char *name, const char *text, size_t len, char *err,
		    size_t errlen)
{
	struct lyb_dataset *check = NULL;
	char perr[512] = "out of memory";
	int rc;

	if (len > LYB_DOC_MAX) {
		snprintf(err, errlen,
			 "refusing to write DataSet %s: the document would be "
			 "%zu bytes, over the %u MiB every reader reads at "
			 "most",
			 name, len, LYB_DOC_MAX >> 20);
		return -EFBIG;
	}
	rc = lyb_dataset_parse(text, len, &check, perr, sizeof(perr));
	if (rc == 0 && strcmp(check->name, name) != 0) {
		snprintf(perr, sizeof(perr),
			 "name: \"%s\" does not match the document name",
			 check->name);
		rc = -EBADMSG;
	}
	lyb_dataset_unref(check);
	if (rc)
		snprintf(err, errlen, "refusing to write DataSet %s: %s", name,
			 perr);
	return rc;
}

/* The message of a failed put: -EBUSY is the file store's lock wait. */
static void put_error(struct lyb_catalog *cat, const char *key, int rc,
		      char *err, size_t errlen)
{
	char who[96];

	if (rc == -EBUSY) {
		lyb_store_lock_holder(cat->store, key, who, sizeof(who));
		snprintf(err, errlen,
			 "writing %s: catalog busy: lock held by %s, gave "
			 "up waiting",
			 key, who);
	} else {
		snprintf(err, errlen, "writing %s: %s", key, strerror(-rc));
	}
}

/*
 * Before a write: the marker again (one small read), so no writer writes
 * format 1 into a catalog that is being, or has been, upgraded.
 */
static int write_format(struct lyb_catalog *cat, char *err, size_t errlen)
{
	int rc = reread_marker(cat);

	if (rc) {
		snprintf(err, errlen, "reading the catalog marker: %s",
			 strerror(-rc));
		return rc;
	}
	if (cat->format == 1 && cat->upgrading) {
		snprintf(err, errlen,
			 "the catalog is being upgraded to format 2 (lyb "
			 "catalog upgrade): retry when it is done");
		return -EBUSY;
	}
	return cat->format;
}

int lyb_catalog_create(struct lyb_catalog *cat, const struct lyb_dataset *ds,
		       char *err, size_t errlen)
{
	char *text = NULL, *key = NULL;
	int rc;

	rc = write_format(cat, err, errlen);
	if (rc < 0)
		return rc;
	if (rc == 2)
		return lyb_cat2_create(cat->c2, ds, err, errlen);

	if (ds->nversions) {
		snprintf(err, errlen, "a new DataSet has no versions");
		return -EINVAL;
	}
	if (!lyb_name_valid(ds->name)) {
		snprintf(err, errlen, "invalid DataSet name");
		return -EINVAL;
	}
	rc = lyb_dataset_format(ds, &text);
	if (rc) {
		snprintf(err, errlen, "%s", strerror(-rc));
		goto out_free;
	}
	/* what we write must read back: the same checks as every reader */
	rc = doc_gate(ds->name, text, strlen(text), err, errlen);
	if (rc)
		goto out_free;
	key = doc_key(cat, ds->name);
	rc = key ? lyb_store_put(cat->store, key, text, strlen(text), 0, NULL)
		 : -ENOMEM;
	if (rc == -EAGAIN) {
		rc = -EEXIST;
		snprintf(err, errlen, "DataSet %s already exists", ds->name);
	} else if (rc) {
		put_error(cat, key ? key : ds->name, rc, err, errlen);
	}
out_free:
	free(key);
	free(text);
	return rc;
}

/*
 * The bytes one history entry takes in a document at the least (its
 * strings unescaped, its keys and time without indentation): dropping
 * entries worth @excess of these frees at least @excess bytes.
 */
static size_t history_entry_min(const struct lyb_access_change *c)
{
	return 60 + (c->by ? strlen(c->by) : 0) +
	       (c->action ? strlen(c->action) : 0) +
	       (c->principal ? strlen(c->principal) : 0) +
	       (c->reason ? strlen(c->reason) + 10 : 0);
}

/*
 * Formats @draft; with @shrink, a text over LYB_DOC_MAX is made to fit by
 * dropping the oldest history entries (never the newest: the change
 * itself). Each pass drops at least the excess, so it ends in a pass or
 * two; what still does not fit is left to doc_gate to refuse.
 */
static int format_fitting(struct lyb_dataset *draft, int shrink, char **text)
{
	size_t len, excess, freed, drop;
	int rc;

	for (;;) {
		rc = lyb_dataset_format(draft, text);
		if (rc)
			return rc;
		len = strlen(*text);
		if (!shrink || len <= LYB_DOC_MAX || draft->nhistory <= 1)
			return 0;
		excess = len - LYB_DOC_MAX;
		for (drop = 0, freed = 0;
		     drop < draft->nhistory - 1 && freed < excess; drop++)
			freed += history_entry_min(&draft->history[drop]);
		free(*text);
		*text = NULL;
		lyb_dataset_history_trim(draft, draft->nhistory - drop);
	}
}

static int update(struct lyb_catalog *cat, const char *name,
		  lyb_catalog_mutate_fn mutate, void *arg, int shrink,
		  char *err, size_t errlen)
{
	char *key, *text = NULL, perr[512];
	struct lyb_dataset *draft = NULL;
	unsigned int seed = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	int64_t gen;
	size_t len;
	int rc = -EAGAIN, attempt;

	if (!lyb_name_valid(name)) {
		snprintf(err, errlen, "invalid DataSet name");
		return -EINVAL;
	}
	key = doc_key(cat, name);
	if (!key)
		return -ENOMEM;
	for (attempt = 0; attempt < UPDATE_ATTEMPTS && rc == -EAGAIN;
	     attempt++) {
		if (attempt) /* someone else wrote first: back off, re-read */
			usleep(1000 *
			       (1 + rand_r(&seed) % (5 << (attempt < 6 ? attempt
								       : 6))));
		rc = lyb_store_get(cat->store, key, LYB_DOC_MAX, &text, &len,
				   &gen);
		if (rc == -ENOENT) {
			snprintf(err, errlen, "no such DataSet: %s", name);
			break;
		}
		if (rc) {
			snprintf(err, errlen, "reading %s: %s", key,
				 strerror(-rc));
			break;
		}
		rc = lyb_dataset_parse(text, len, &draft, perr, sizeof(perr));
		free(text);
		text = NULL;
		if (rc) {
			snprintf(err, errlen, "%s: %s", key, perr);
			break;
		}
		rc = mutate(arg, draft, err, errlen);
		if (rc == 0) {
			rc = format_fitting(draft, shrink, &text);
			if (rc)
				snprintf(err, errlen, "%s", strerror(-rc));
			if (rc == 0)
				rc = doc_gate(name, text, strlen(text), err,
					      errlen);
			if (rc == 0) {
				rc = lyb_store_put(cat->store, key, text,
						   strlen(text), gen, NULL);
				if (rc && rc != -EAGAIN)
					put_error(cat, key, rc, err, errlen);
			}
			free(text);
			text = NULL;
		} else if (rc == 1) {
			rc = 0;
		}
		lyb_dataset_unref(draft);
		draft = NULL;
	}
	if (rc == -EAGAIN)
		snprintf(err, errlen, "too many concurrent writers to %s", key);
	free(key);
	return rc;
}

int lyb_catalog_update(struct lyb_catalog *cat, const char *name,
		       lyb_catalog_mutate_fn mutate, void *arg, char *err,
		       size_t errlen)
{
	int rc = write_format(cat, err, errlen);

	if (rc < 0)
		return rc;
	if (rc == 2)
		return lyb_cat2_update(cat->c2, name, mutate, arg, err, errlen);
	return update(cat, name, mutate, arg, 0, err, errlen);
}

/* In format 2 a commit holds a bounded history (older in pages): no
 * change, revoke or other, can be kept out by a size cap. */
int lyb_catalog_update_shrinking(struct lyb_catalog *cat, const char *name,
				 lyb_catalog_mutate_fn mutate, void *arg,
				 char *err, size_t errlen)
{
	int rc = write_format(cat, err, errlen);

	if (rc < 0)
		return rc;
	if (rc == 2)
		return lyb_cat2_update(cat->c2, name, mutate, arg, err, errlen);
	return update(cat, name, mutate, arg, 1, err, errlen);
}

int lyb_version_digest(const struct lyb_version *v,
		       char out[LYB_SHA256_HEX_LEN + 1])
{
	struct lyb_digest *d;
	unsigned char raw[32];
	char line[8192];
	size_t i, j, rawlen;
	int rc;

	rc = lyb_digest_new(LYB_DIGEST_SHA256, &d);
	if (rc)
		return rc;
	snprintf(line, sizeof(line), "lyb-version-1\ndate %s\n", v->date);
	rc = lyb_digest_update(d, line, strlen(line));
	for (i = 0; i < LYB_LOC_COUNT && rc == 0; i++) {
		const struct lyb_location *loc = lyb_version_location(v, i);

		if (!loc)
			continue;
		snprintf(line, sizeof(line), "location %s\n",
			 lyb_loc_kind_name(i));
		rc = lyb_digest_update(d, line, strlen(line));
		for (j = 0; j < loc->nobjects && rc == 0; j++) {
			const struct lyb_object *o = &loc->objects[j];

			snprintf(line, sizeof(line), "%s\t%llu\t%s\t%s\n",
				 o->name, (unsigned long long)o->size,
				 o->crc32c, o->md5);
			rc = lyb_digest_update(d, line, strlen(line));
		}
	}
	if (rc == 0)
		rc = lyb_digest_final(d, raw, &rawlen);
	if (rc == 0)
		lyb_hex_encode(raw, rawlen, out);
	lyb_digest_free(d);
	return rc;
}

struct publish_arg {
	const struct lyb_version *v;
	char *id;
	int *existed;
};

static int publish_mutate(void *arg, struct lyb_dataset *ds, char *err,
			  size_t errlen)
{
	struct publish_arg *p = arg;
	struct lyb_version *vs, nv;
	size_t i, idlen = LYB_ID_MIN;
	int rc;

	for (i = 0; i < ds->nversions; i++) {
		if (strcmp(ds->versions[i].digest, p->v->digest) == 0) {
			memcpy(p->id, ds->versions[i].id, LYB_ID_MAX + 1);
			*p->existed = 1;
			return 1;
		}
	}
	/* the shortest prefix of the digest, from 6, no other version has */
	for (;;) {
		for (i = 0; i < ds->nversions; i++)
			if (strlen(ds->versions[i].id) == idlen &&
			    strncmp(ds->versions[i].id, p->v->digest, idlen) ==
				    0)
				break;
		if (i == ds->nversions || idlen >= LYB_ID_MAX)
			break;
		idlen += 2;
	}
	rc = lyb_version_copy(p->v, &nv);
	if (rc) {
		snprintf(err, errlen, "copying the version: %s", strerror(-rc));
		return rc;
	}
	memcpy(nv.id, p->v->digest, idlen);
	nv.id[idlen] = '\0';
	vs = realloc(ds->versions, (ds->nversions + 1) * sizeof(*vs));
	if (!vs) {
		lyb_version_clear(&nv);
		return -ENOMEM;
	}
	ds->versions = vs;
	ds->versions[ds->nversions++] = nv;
	memcpy(p->id, nv.id, LYB_ID_MAX + 1);
	*p->existed = 0;
	return lyb_dataset_index(ds);
}

int lyb_catalog_publish(struct lyb_catalog *cat, const char *name,
			const struct lyb_version *v, char id[LYB_ID_MAX + 1],
			int *existed, char *err, size_t errlen)
{
	struct lyb_version draft = *v; /* shallow: only scalars change */
	struct publish_arg p = {&draft, id, existed};
	int rc;

	if (!lyb_date_valid(v->date)) {
		snprintf(err, errlen, "invalid date \"%s\"", v->date);
		return -EINVAL;
	}
	if (v->nlocations == 0) {
		snprintf(err, errlen, "a version needs at least one location");
		return -EINVAL;
	}
	rc = lyb_version_digest(v, draft.digest);
	if (rc)
		return rc;
	/* a provisional id so the copy validates; the real one is chosen
	 * against the document under the compare-and-swap */
	memcpy(draft.id, draft.digest, LYB_ID_MAX);
	draft.id[LYB_ID_MAX] = '\0';
	if (draft.published == 0)
		draft.published = lyb_now();
	rc = write_format(cat, err, errlen);
	if (rc < 0)
		return rc;
	if (rc == 2)
		return lyb_cat2_publish(cat->c2, name, &draft, id, existed, err,
					errlen);
	return update(cat, name, publish_mutate, &p, 0, err, errlen);
}

int lyb_catalog_format(struct lyb_catalog *cat)
{
	return cat->format;
}

void lyb_catalog_set_mem(struct lyb_catalog *cat, size_t bytes)
{
	cat->mem = bytes;
	if (cat->c2)
		lyb_cat2_set_mem(cat->c2, bytes);
}

uint64_t lyb_catalog_requests(struct lyb_catalog *cat)
{
	return cat->c2 ? lyb_cat2_requests(cat->c2) : 0;
}

int lyb_catalog_get(struct lyb_catalog *cat, const char *name,
		    struct lyb_dataset **out, char *err, size_t errlen)
{
	char *key, *text = NULL;
	size_t len;
	int64_t gen;
	int rc;

	if (cat->format == 2) {
		rc = lyb_cat2_get(cat->c2, name, out, err, errlen);
		if (rc == 0 && (rc = lyb_cat2_history(*out)) != 0) {
			snprintf(err, errlen, "%s: its history does not load",
				 name);
			lyb_dataset_unref(*out);
		}
		return rc;
	}
	if (!lyb_name_valid(name)) {
		snprintf(err, errlen, "invalid DataSet name");
		return -EINVAL;
	}
	key = doc_key(cat, name);
	if (!key)
		return -ENOMEM;
	rc = lyb_store_get(cat->store, key, LYB_DOC_MAX, &text, &len, &gen);
	if (rc == -ENOENT)
		snprintf(err, errlen, "no such DataSet: %s", name);
	else if (rc)
		snprintf(err, errlen, "reading %s: %s", key, strerror(-rc));
	else if ((rc = lyb_dataset_parse(text, len, out, err, errlen)) == 0)
		(*out)->generation = gen;
	free(text);
	free(key);
	return rc;
}

int lyb_catalog_import(struct lyb_catalog *cat, const struct lyb_dataset *ds,
		       char *err, size_t errlen)
{
	if (cat->format != 2) {
		snprintf(err, errlen, "importing needs a format 2 catalog");
		return -EINVAL;
	}
	return lyb_cat2_import(cat->c2, ds, 1, err, errlen);
}

int lyb_catalog_checkpoint(struct lyb_catalog *cat, char *err, size_t errlen)
{
	struct lyb_snap *snap;
	int rc;

	if (cat->format != 2) {
		snprintf(err, errlen, "checkpoints are for format 2 catalogs");
		return -EINVAL;
	}
	rc = lyb_catalog_refresh(cat, NULL);
	if (rc) {
		snprintf(err, errlen, "reading the catalog: %s", strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&cat->refresh_lock);
	snap = lyb_catalog_snap(cat);
	rc = lyb_cat2_checkpoint(cat->c2, snap, err, errlen);
	lyb_snap_unref(snap);
	pthread_mutex_unlock(&cat->refresh_lock);
	return rc;
}

/* Sets the marker to @text over generation @gen (compare-and-swap). */
static int marker_swap(struct lyb_catalog *cat, const char *text, int64_t gen)
{
	char *key = lyb_store_key_join(cat->prefix, "lybrary.json");
	int rc;

	if (!key)
		return -ENOMEM;
	rc = lyb_store_put(cat->store, key, text, strlen(text), gen, NULL);
	free(key);
	return rc;
}

struct upgrade_ctx {
	struct lyb_catalog *cat;
	size_t dir_len, done;
	char *err;
	size_t errlen;
};

static int upgrade_one(void *arg, const struct lyb_object_info *o)
{
	struct upgrade_ctx *u = arg;
	const char *base = o->key + u->dir_len;
	char name[LYB_NAME_MAX + 1], perr[512];
	struct lyb_dataset *ds = NULL;
	size_t n = strlen(base);
	int rc;

	if (n < 6 || n - 5 > LYB_NAME_MAX || strcmp(base + n - 5, ".json") ||
	    strchr(base, '/'))
		return 0;
	memcpy(name, base, n - 5);
	name[n - 5] = '\0';
	if (!lyb_name_valid(name))
		return 0; /* never a DataSet to readers either */
	rc = lyb_catalog_get(u->cat, name, &ds, perr, sizeof(perr));
	if (rc == -ENOENT)
		return 0;
	if (rc == 0 && strcmp(ds->name, name) != 0)
		rc = -EBADMSG;
	if (rc) {
		snprintf(u->err, u->errlen,
			 "DataSet %s does not load (%s): fix or remove it, "
			 "then run the upgrade again",
			 name, rc == -EBADMSG ? perr : strerror(-rc));
		lyb_dataset_unref(ds);
		return rc;
	}
	rc = lyb_cat2_import(u->cat->c2, ds, 1, perr, sizeof(perr));
	lyb_dataset_unref(ds);
	if (rc == -EEXIST) /* a rerun: written before */
		rc = 0;
	if (rc)
		snprintf(u->err, u->errlen, "converting %s: %s", name, perr);
	u->done++;
	return rc;
}

int lyb_catalog_upgrade(struct lyb_catalog *cat, char *err, size_t errlen)
{
	struct upgrade_ctx u = {cat, 0, 0, err, errlen};
	char *key = lyb_store_key_join(cat->prefix, "lybrary.json"), *text;
	char *dir = NULL;
	int rc, fmt, upgrading;
	int64_t gen;
	size_t len;

	if (!key)
		return -ENOMEM;
	rc = lyb_store_get(cat->store, key, 4096, &text, &len, &gen);
	free(key);
	if (rc) {
		snprintf(err, errlen, "reading lybrary.json: %s",
			 strerror(-rc));
		return rc;
	}
	rc = lyb_catalog_marker_check(text, len, &fmt, &upgrading, err, errlen);
	free(text);
	if (rc)
		return rc;
	if (fmt == 2) {
		cat->format = 2;
		return 0; /* done already: idempotent */
	}
	/* 1: writers of format 1 stop; readers read on */
	if (!upgrading) {
		rc = marker_swap(cat, lyb_catalog_marker_upgrading, gen);
		if (rc) {
			snprintf(err, errlen, "marking the catalog: %s",
				 rc == -EAGAIN ? "it changed meanwhile, retry"
					       : strerror(-rc));
			return rc;
		}
	}
	if (!cat->c2 &&
	    (rc = lyb_cat2_open(cat->store, cat->prefix, cat->url, &cat->c2)))
		return rc;
	/* 2: every DataSet as commit 1, announced (a rerun skips those
	 * written, and announcing twice is harmless) */
	dir = lyb_store_key_join(cat->prefix, "datasets");
	if (!dir)
		return -ENOMEM;
	u.dir_len = strlen(dir) + 1;
	rc = lyb_store_list(cat->store, dir, upgrade_one, &u);
	free(dir);
	if (rc == -ENOENT)
		rc = 0;
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "listing datasets/: %s",
				 strerror(-rc));
		return rc;
	}
	/* 3: a checkpoint of them all; 4: the switch */
	cat->format = 2;
	rc = lyb_catalog_checkpoint(cat, err, errlen);
	if (rc) {
		cat->format = 1;
		return rc;
	}
	key = lyb_store_key_join(cat->prefix, "lybrary.json");
	rc = key && lyb_store_get(cat->store, key, 4096, &text, &len, &gen) == 0
		     ? 0
		     : -EIO;
	free(key);
	if (rc == 0) {
		free(text);
		rc = marker_swap(cat, lyb_catalog_marker2, gen);
	}
	if (rc) {
		cat->format = 1;
		snprintf(err, errlen, "switching the marker to 2: %s",
			 strerror(-rc));
		return rc;
	}
	lyb_log(LYB_LOG_INFO, "catalog %s: upgraded %zu DataSets to format 2",
		cat->url, u.done);
	return 0;
}
