// SPDX-License-Identifier: Apache-2.0
/*
 * catalog_json.c - catalog documents to and from JSON (the only catalog
 * code that includes jansson).
 *
 * Documents never contain NUL in strings (jansson refuses "\u0000" unless
 * asked), so C string functions see whole values. Parsing is strict about
 * what it knows: every field is type-checked and
 * validated, and the first problem is reported as "path: why", e.g.
 * "versions[3].locations.gs.objects[0].size: expected a non-negative
 * integer", or jansson's line and column for a syntax error. Unknown
 * top-level fields are kept verbatim and written back, so an older lyb
 * never drops what a newer one added. docs/catalog.md is the format.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "catalog_json.h"
#include "lyb/store.h"
#include "lyb/text.h"

#define MAX_TEXT 65536 /* descriptions and other free text */
#define MAX_URL 4096
#define MAX_ITEMS 10000000 /* versions, objects, readers */
#define COUNT_MAX                                                   \
	((int64_t)1 << 53) /* sizes and counters: exact in any JSON \
			    */

static const char *const known_fields[] = {
	"lybrary",  "name",   "description", "owner",	 "slo",
	"format",   "schema", "readers",     "upstream", "created",
	"versions", "access", NULL};

/* The unknown top-level fields of a document, kept as compact JSON. */
struct extra_holder {
	char *json;
};

struct perr {
	char *buf;
	size_t len;
};

static int fail(struct perr *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct perr *e, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->buf && e->len) {
		n = snprintf(e->buf, e->len, "%s: ", path);
		if (n >= 0 && (size_t)n < e->len) {
			va_start(ap, fmt);
			vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EBADMSG;
}

/* --- parsing helpers: each takes the JSON path for its error --- */

static int get_string(json_t *o, const char *key, int required, size_t max,
		      char **out, const char *path, struct perr *e)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(e, path, "missing field \"%s\"", key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(e, path, "\"%s\": expected a string", key);
	s = json_string_value(v);
	if (json_string_length(v) > max)
		return fail(e, path, "\"%s\": longer than %zu bytes", key, max);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* Copies a string field into a fixed buffer, checking it with @valid. */
static int get_fixed(json_t *o, const char *key, char *out, size_t cap,
		     int (*valid)(const char *), const char *path,
		     struct perr *e)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!v)
		return fail(e, path, "missing field \"%s\"", key);
	if (!json_is_string(v))
		return fail(e, path, "\"%s\": expected a string", key);
	s = json_string_value(v);
	if (json_string_length(v) >= cap || (valid && !valid(s)))
		return fail(e, path, "\"%s\": invalid value \"%.80s\"", key, s);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int get_int(json_t *o, const char *key, int required, int64_t min,
		   int64_t max, int64_t *out, const char *path, struct perr *e)
{
	json_t *v = json_object_get(o, key);

	*out = min; /* the default when absent: 0, or -1 for "unknown" */
	if (!v || json_is_null(v)) {
		if (required)
			return fail(e, path, "missing field \"%s\"", key);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return fail(e, path,
			    "\"%s\": expected an integer from %lld to %lld",
			    key, (long long)min, (long long)max);
	*out = json_integer_value(v);
	return 0;
}

/*
 * A generation: GCS's JSON form, a string of decimal digits (what format 2
 * writes: a 64-bit number does not survive jq or JavaScript), or an
 * integer (format 1).
 */
static int get_gen(json_t *o, const char *key, int64_t *out, const char *path,
		   struct perr *e)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!v || !json_is_string(v))
		return get_int(o, key, 0, 0, INT64_MAX, out, path, e);
	s = json_string_value(v);
	n = strlen(s);
	if (n == 0 || n > 19 || strspn(s, "0123456789") != n ||
	    (n == 19 && strcmp(s, "9223372036854775807") > 0) ||
	    (n > 1 && s[0] == '0'))
		return fail(e, path,
			    "\"%s\": expected a generation (decimal digits)",
			    key);
	*out = (int64_t)strtoull(s, NULL, 10);
	return 0;
}

static int get_time(json_t *o, const char *key, int64_t *out, const char *path,
		    struct perr *e)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return fail(e, path, "missing field \"%s\"", key);
	if (!json_is_string(v) || lyb_time_parse(json_string_value(v), out))
		return fail(e, path,
			    "\"%s\": expected a UTC time like "
			    "2020-09-03T07:00:00Z",
			    key);
	return 0;
}

static int is_b64(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		      (c == '=' && i >= len - 2)))
			return 0;
	}
	return 1;
}

static int get_checksum(json_t *o, const char *key, char *out, size_t len,
			const char *path, struct perr *e)
{
	json_t *v = json_object_get(o, key);

	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !is_b64(json_string_value(v), len))
		return fail(e, path,
			    "\"%s\": expected %zu characters of base64", key,
			    len);
	memcpy(out, json_string_value(v), len + 1);
	return 0;
}

/*
 * Gets "block_crc32c": 8 lower-case hex characters per LYB_BLOCK_SIZE
 * block of the object, exactly lyb_object_nblocks(@size) of them (so its
 * length is bounded by the object's size and the document's). Missing:
 * NULL (format 1). An object of 0 bytes has "".
 */
static int get_block_crcs(json_t *o, uint64_t size, uint32_t **out,
			  const char *path, struct perr *e)
{
	json_t *v = json_object_get(o, "block_crc32c");
	uint64_t n = lyb_object_nblocks(size), i, k;
	const char *s;
	uint32_t x;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) != n * 8)
		return fail(e, path,
			    "\"block_crc32c\": expected %llu characters of hex "
			    "(8 per MiB of \"size\")",
			    (unsigned long long)(n * 8));
	*out = malloc((n ? n : 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	s = json_string_value(v);
	for (i = 0; i < n; i++) {
		for (x = 0, k = 0; k < 8; k++) {
			char c = s[i * 8 + k];

			if (c >= '0' && c <= '9')
				x = x << 4 | (uint32_t)(c - '0');
			else if (c >= 'a' && c <= 'f')
				x = x << 4 | (uint32_t)(c - 'a' + 10);
			else
				return fail(e, path,
					    "\"block_crc32c\": expected "
					    "lower-case hex");
		}
		(*out)[i] = x;
	}
	return 0;
}

/* Gets an array of at most MAX_ITEMS; a missing one is empty. */
static int get_array(json_t *o, const char *key, int required, json_t **out,
		     const char *path, struct perr *e)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(e, path, "missing field \"%s\"", key);
		return 0;
	}
	if (!json_is_array(v))
		return fail(e, path, "\"%s\": expected an array", key);
	if (json_array_size(v) > MAX_ITEMS)
		return fail(e, path, "\"%s\": more than %d items", key,
			    MAX_ITEMS);
	*out = v;
	return 0;
}

static int url_valid(const char *url)
{
	return (strncmp(url, "gs://", 5) == 0 && url[5] != '\0' &&
		url[5] != '/') ||
	       (strncmp(url, "file:///", 8) == 0);
}

/* Orders indexes into a string array by string, then by index. */
static int cmp_str_index(const void *a, const void *b, void *arg)
{
	char *const *s = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(s[x], s[y]);

	return c ? c : x < y ? -1 : x > y;
}

/*
 * The first repeated string of @s[0..@n) (its later index in *@dup), by
 * sorting: an array of MAX_ITEMS is checked in O(n log n), never the
 * O(n^2) of comparing each with all before it (10^5 readers were minutes
 * of a refresh that holds every DataSet's ACL). 1 when there is one.
 */
static int find_duplicate(char **s, size_t n, size_t *dup, int *nomem)
{
	size_t *ix, i;
	int found = 0;

	*nomem = 0;
	if (n < 2)
		return 0;
	ix = malloc(n * sizeof(*ix));
	if (!ix) {
		*nomem = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), cmp_str_index, s);
	for (i = 1; i < n; i++) {
		if (strcmp(s[ix[i - 1]], s[ix[i]]) != 0)
			continue;
		/* report the earliest second occurrence, as before */
		if (!found || ix[i] < *dup)
			*dup = ix[i];
		found = 1;
	}
	free(ix);
	return found;
}

static int get_strings(json_t *o, const char *key, int (*valid)(const char *),
		       char ***out, size_t *n, const char *path, struct perr *e)
{
	json_t *a, *v;
	size_t i, dup = 0;
	char sub[128];
	int rc, nomem;

	*out = NULL;
	*n = 0;
	rc = get_array(o, key, 0, &a, path, e);
	if (rc || !a)
		return rc;
	*out = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*out)
		return -ENOMEM;
	json_array_foreach(a, i, v)
	{
		snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, key, i);
		if (!json_is_string(v) || !valid(json_string_value(v)))
			return fail(e, sub, "invalid value");
		(*out)[*n] = strdup(json_string_value(v));
		if (!(*out)[*n])
			return -ENOMEM;
		(*n)++;
	}
	if (find_duplicate(*out, *n, &dup, &nomem)) {
		snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, key, dup);
		return fail(e, sub, "duplicate \"%s\"", (*out)[dup]);
	}
	return nomem ? -ENOMEM : 0;
}

static int cmp_objects(const void *a, const void *b)
{
	return strcmp(((const struct lyb_object *)a)->name,
		      ((const struct lyb_object *)b)->name);
}

/* The recorded data.jsonl index of a location (docs/catalog.md). */
/* The index under @key ("jsonl" or "jsonl_plain") into @jl. */
static int parse_jsonl(json_t *o, const char *key, struct lyb_location *loc,
		       struct lyb_jsonl *jl, const char *path, struct perr *e)
{
	json_t *j = json_object_get(o, key), *idx, *m, *x;
	struct lyb_jsonl_mark *mk, *prev = NULL;
	int64_t bytes, val[4];
	char sub[200];
	size_t i, k;
	int rc;

	if (!j || json_is_null(j))
		return 0;
	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	if (!json_is_object(j))
		return fail(e, sub, "expected an object");
	if ((rc = get_int(j, "bytes", 1, 0, COUNT_MAX, &bytes, sub, e)) ||
	    (rc = get_array(j, "index", 1, &idx, sub, e)))
		return rc;
	jl->marks = calloc(json_array_size(idx) + 1, sizeof(*jl->marks));
	if (!jl->marks)
		return -ENOMEM;
	json_array_foreach(idx, i, m)
	{
		snprintf(sub, sizeof(sub), "%s.%s.index[%zu]", path, key, i);
		if (!json_is_array(m) || json_array_size(m) != 4)
			return fail(e, sub,
				    "expected [object, block, offset, at]");
		for (k = 0; k < 4; k++) {
			x = json_array_get(m, k);
			if (!json_is_integer(x) || json_integer_value(x) < 0 ||
			    json_integer_value(x) > COUNT_MAX)
				return fail(e, sub, "expected integers >= 0");
			val[k] = json_integer_value(x);
		}
		mk = &jl->marks[i];
		mk->object = (uint64_t)val[0];
		mk->block = (uint64_t)val[1];
		mk->off = (uint64_t)val[2];
		mk->at = (uint64_t)val[3];
		if (mk->object >= loc->nobjects ||
		    mk->off >= loc->objects[mk->object].size)
			return fail(e, sub, "outside the objects");
		if (mk->at >= (uint64_t)bytes)
			return fail(e, sub, "at or past %s.bytes", key);
		if (prev ? mk->at <= prev->at || mk->object < prev->object ||
				    (mk->object == prev->object &&
				     (mk->off <= prev->off ||
				      mk->block <= prev->block))
			 : mk->at != 0)
			return fail(e, sub, "out of order");
		prev = mk;
		jl->nmarks = i + 1;
	}
	if (jl->nmarks == 0 && bytes != 0)
		return fail(e, path, "\"%s\": bytes without an index", key);
	jl->bytes = (uint64_t)bytes;
	jl->recorded = 1;
	return 0;
}

static int parse_location(json_t *o, enum lyb_loc_kind kind,
			  struct lyb_location *loc, const char *path,
			  struct perr *e)
{
	json_t *objs, *v;
	char sub[160];
	size_t i;
	int rc;

	loc->kind = kind;
	if (!json_is_object(o))
		return fail(e, path, "expected an object");
	rc = get_string(o, "url", 1, MAX_URL, &loc->url, path, e);
	if (rc)
		return rc;
	if (!url_valid(loc->url))
		return fail(e, path, "\"url\": not a gs:// or file:/// URL");
	if (kind == LYB_LOC_SNOW) {
		rc = get_string(o, "table", 1, MAX_URL, &loc->table, path, e);
		if (rc)
			return rc;
		if (strncmp(loc->table, "snow://", 7) != 0)
			return fail(e, path, "\"table\": not a snow:// id");
		rc = get_string(o, "compression", 0, 16, &loc->compression,
				path, e);
		if (rc)
			return rc;
		if (loc->compression && strcmp(loc->compression, "gzip") &&
		    strcmp(loc->compression, "none"))
			return fail(e, path,
				    "\"compression\": expected gzip "
				    "or none");
	}
	rc = get_string(o, "format", 1, 16, &loc->format, path, e);
	if (rc)
		return rc;
	if (strcmp(loc->format, kind == LYB_LOC_GS ? "avro" : "json") &&
	    (kind == LYB_LOC_GS || strcmp(loc->format, "csv")))
		return fail(e, path, "\"format\": unsupported format \"%.16s\"",
			    loc->format);
	rc = get_array(o, "objects", 1, &objs, path, e);
	if (rc)
		return rc;
	loc->objects = calloc(json_array_size(objs) + 1, sizeof(*loc->objects));
	if (!loc->objects)
		return -ENOMEM;
	json_array_foreach(objs, i, v)
	{
		struct lyb_object *ob = &loc->objects[i];
		int64_t size, gen;

		snprintf(sub, sizeof(sub), "%s.objects[%zu]", path, i);
		if (!json_is_object(v))
			return fail(e, sub, "expected an object");
		loc->nobjects = i + 1;
		ob->rows = -1;
		rc = get_string(v, "name", 1, 4096, &ob->name, sub, e);
		if (rc)
			return rc;
		if (!lyb_store_key_valid(ob->name))
			return fail(e, sub, "\"name\": invalid object name");
		if ((rc = get_int(v, "size", 1, 0, COUNT_MAX, &size, sub, e)) ||
		    (rc = get_gen(v, "generation", &gen, sub, e)) ||
		    (rc = get_int(v, "rows", 0, -1, COUNT_MAX, &ob->rows, sub,
				  e)) ||
		    (rc = get_checksum(v, "crc32c", ob->crc32c,
				       LYB_CRC32C_B64_LEN, sub, e)) ||
		    (rc = get_checksum(v, "md5", ob->md5, LYB_MD5_B64_LEN, sub,
				       e)) ||
		    (rc = get_block_crcs(v, (uint64_t)size, &ob->block_crc32c,
					 sub, e)) ||
		    (rc = get_gen(v, "page_crc32c", &ob->page_crc_gen, sub, e)))
			return rc;
		if (!ob->block_crc32c)
			ob->page_crc_gen = 0; /* nothing to check it by */
		ob->size = (uint64_t)size;
		ob->generation = gen;
	}
	if (loc->nobjects > 1)
		qsort(loc->objects, loc->nobjects, sizeof(*loc->objects),
		      cmp_objects);
	for (i = 1; i < loc->nobjects; i++)
		if (strcmp(loc->objects[i - 1].name, loc->objects[i].name) == 0)
			return fail(e, path, "duplicate object \"%.200s\"",
				    loc->objects[i].name);
	v = json_object_get(o, "schema");
	if (kind == LYB_LOC_GS && v && !json_is_null(v)) {
		if (!json_is_object(v) && !json_is_array(v) &&
		    !json_is_string(v))
			return fail(e, path,
				    "\"schema\": expected an Avro "
				    "schema");
		loc->schema = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
						    JSON_ENCODE_ANY);
		if (!loc->schema)
			return -ENOMEM;
	}
	rc = parse_jsonl(o, "jsonl", loc, &loc->jsonl, path, e);
	if (rc == 0 && kind == LYB_LOC_GS)
		rc = parse_jsonl(o, "jsonl_plain", loc, &loc->jsonl_plain, path,
				 e);
	return rc;
}

static int parse_version(json_t *o, struct lyb_version *v, const char *path,
			 struct perr *e)
{
	json_t *locs, *ups, *x;
	char sub[160];
	int64_t bytes;
	size_t i;
	int k, rc;

	if (!json_is_object(o))
		return fail(e, path, "expected an object");
	if ((rc = get_fixed(o, "date", v->date, sizeof(v->date), lyb_date_valid,
			    path, e)) ||
	    (rc = get_fixed(o, "id", v->id, sizeof(v->id), lyb_id_valid, path,
			    e)) ||
	    (rc = get_fixed(o, "digest", v->digest, sizeof(v->digest), NULL,
			    path, e)) ||
	    (rc = get_time(o, "published", &v->published, path, e)) ||
	    (rc = get_string(o, "producer", 0, 1024, &v->producer, path, e)) ||
	    (rc = get_int(o, "rows", 0, -1, COUNT_MAX, &v->rows, path, e)) ||
	    (rc = get_int(o, "bytes", 0, 0, COUNT_MAX, &bytes, path, e)))
		return rc;
	v->bytes = (uint64_t)bytes;
	if (strlen(v->digest) != LYB_SHA256_HEX_LEN ||
	    strspn(v->digest, "0123456789abcdef") != LYB_SHA256_HEX_LEN)
		return fail(e, path, "\"digest\": expected 64 hex characters");
	if (strncmp(v->digest, v->id, strlen(v->id)) != 0)
		return fail(e, path, "\"id\": not a prefix of the digest");

	rc = get_array(o, "upstream", 0, &ups, path, e);
	if (rc)
		return rc;
	if (ups) {
		v->upstream =
			calloc(json_array_size(ups) + 1, sizeof(*v->upstream));
		if (!v->upstream)
			return -ENOMEM;
		json_array_foreach(ups, i, x)
		{
			struct lyb_vref *r = &v->upstream[i];

			snprintf(sub, sizeof(sub), "%s.upstream[%zu]", path, i);
			if (!json_is_object(x))
				return fail(e, sub, "expected an object");
			v->nupstream = i + 1;
			if ((rc = get_string(x, "dataset", 1, LYB_NAME_MAX,
					     &r->dataset, sub, e)) ||
			    (rc = get_fixed(x, "date", r->date, sizeof(r->date),
					    lyb_date_valid, sub, e)) ||
			    (rc = get_fixed(x, "version", r->id, sizeof(r->id),
					    lyb_id_valid, sub, e)))
				return rc;
			if (!lyb_name_valid(r->dataset))
				return fail(e, sub,
					    "\"dataset\": invalid name");
		}
	}

	locs = json_object_get(o, "locations");
	if (!json_is_object(locs) || json_object_size(locs) == 0)
		return fail(e, path,
			    "\"locations\": expected a non-empty "
			    "object");
	v->locations = calloc(LYB_LOC_COUNT, sizeof(*v->locations));
	if (!v->locations)
		return -ENOMEM;
	{
		const char *key;

		json_object_foreach(locs, key, x)
		{
			enum lyb_loc_kind kind;

			if (lyb_loc_kind_parse(key, &kind))
				return fail(e, path,
					    "\"locations\": unknown location "
					    "\"%.32s\"",
					    key);
		}
	}
	for (k = 0; k < LYB_LOC_COUNT; k++) {
		x = json_object_get(locs, lyb_loc_kind_name(k));
		if (!x)
			continue;
		snprintf(sub, sizeof(sub), "%s.locations.%s", path,
			 lyb_loc_kind_name(k));
		rc = parse_location(x, k, &v->locations[v->nlocations++], sub,
				    e);
		if (rc)
			return rc;
	}
	return 0;
}

static int deadline_valid(const char *s)
{
	return strlen(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' &&
	       s[1] >= '0' && s[1] <= '9' && s[3] >= '0' && s[3] <= '5' &&
	       s[4] >= '0' && s[4] <= '9' && (s[0] < '2' || s[1] <= '3');
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Version ids are unique within a DataSet, whatever their dates. */
static int check_unique_ids(const struct lyb_dataset *ds, struct perr *e)
{
	const char **ids;
	size_t i;
	int rc = 0;

	if (ds->nversions < 2)
		return 0;
	ids = malloc(ds->nversions * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (i = 0; i < ds->nversions; i++)
		ids[i] = ds->versions[i].id;
	qsort(ids, ds->nversions, sizeof(*ids), cmp_strp);
	for (i = 1; i < ds->nversions && rc == 0; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			rc = fail(e, "versions", "duplicate version id %s",
				  ids[i]);
	free(ids);
	return rc;
}

static int action_valid(const char *a)
{
	return strcmp(a, "request") == 0 || strcmp(a, "grant") == 0 ||
	       strcmp(a, "revoke") == 0;
}

/* "access": {"requests": [...], "history": [...]} (docs/catalog.md). */
static int parse_access(json_t *root, struct lyb_dataset *ds, struct perr *e)
{
	json_t *access = json_object_get(root, "access"), *a, *v;
	char sub[64];
	size_t i;
	int rc;

	if (!access || json_is_null(access))
		return 0;
	if (!json_is_object(access))
		return fail(e, "access", "expected an object");
	rc = get_array(access, "requests", 0, &a, "access", e);
	if (rc)
		return rc;
	if (a) {
		ds->requests =
			calloc(json_array_size(a) + 1, sizeof(*ds->requests));
		if (!ds->requests)
			return -ENOMEM;
		json_array_foreach(a, i, v)
		{
			struct lyb_access_request *r = &ds->requests[i];

			snprintf(sub, sizeof(sub), "access.requests[%zu]", i);
			ds->nrequests = i + 1;
			if (!json_is_object(v))
				return fail(e, sub, "expected an object");
			if ((rc = get_string(v, "principal", 1,
					     LYB_PRINCIPAL_LEN, &r->principal,
					     sub, e)) ||
			    (rc = get_string(v, "reason", 0, MAX_TEXT,
					     &r->reason, sub, e)) ||
			    (rc = get_time(v, "since", &r->since, sub, e)))
				return rc;
			if (!lyb_principal_valid(r->principal))
				return fail(e, sub, "invalid principal");
		}
	}
	rc = get_int(access, "history_dropped", 0, 0, COUNT_MAX,
		     &ds->history_dropped, "access", e);
	if (rc)
		return rc;
	rc = get_array(access, "history", 0, &a, "access", e);
	if (rc || !a)
		return rc;
	ds->history = calloc(json_array_size(a) + 1, sizeof(*ds->history));
	if (!ds->history)
		return -ENOMEM;
	json_array_foreach(a, i, v)
	{
		struct lyb_access_change *c = &ds->history[i];

		snprintf(sub, sizeof(sub), "access.history[%zu]", i);
		ds->nhistory = i + 1;
		if (!json_is_object(v))
			return fail(e, sub, "expected an object");
		if ((rc = get_time(v, "time", &c->time, sub, e)) ||
		    (rc = get_string(v, "by", 1, LYB_PRINCIPAL_LEN, &c->by, sub,
				     e)) ||
		    (rc = get_string(v, "action", 1, 16, &c->action, sub, e)) ||
		    (rc = get_string(v, "principal", 1, LYB_PRINCIPAL_LEN,
				     &c->principal, sub, e)) ||
		    (rc = get_string(v, "reason", 0, MAX_TEXT, &c->reason, sub,
				     e)))
			return rc;
		if (!action_valid(c->action))
			return fail(e, sub,
				    "\"action\": expected request, grant or "
				    "revoke");
		if (!lyb_principal_valid(c->principal))
			return fail(e, sub, "invalid principal");
	}
	return 0;
}

static int parse_doc(json_t *root, struct lyb_dataset *ds, int fmt_want,
		     struct perr *e)
{
	json_t *owner, *slo, *schema, *versions, *v, *extra = NULL;
	const char *key;
	char sub[64];
	int64_t fmt;
	size_t i;
	int rc;

	if (!json_is_object(root))
		return fail(e, "document", "expected a JSON object");
	rc = get_int(root, "lybrary", 1, 0, INT32_MAX, &fmt, "document", e);
	if (rc)
		return rc;
	if (fmt != fmt_want)
		return fail(e, "lybrary", "unsupported format version %lld",
			    (long long)fmt);
	if ((rc = get_string(root, "name", 1, LYB_NAME_MAX, &ds->name,
			     "document", e)))
		return rc;
	if (!lyb_name_valid(ds->name))
		return fail(e, "name", "invalid DataSet name \"%.80s\"",
			    ds->name);
	if ((rc = get_string(root, "description", 0, MAX_TEXT, &ds->description,
			     "document", e)) ||
	    (rc = get_string(root, "format", 0, 32, &ds->data_format,
			     "document", e)) ||
	    (rc = get_time(root, "created", &ds->created, "document", e)))
		return rc;

	owner = json_object_get(root, "owner");
	if (!json_is_object(owner))
		return fail(e, "owner", "expected an object with a \"team\"");
	if ((rc = get_string(owner, "team", 1, LYB_PRINCIPAL_LEN, &ds->owner,
			     "owner", e)) ||
	    (rc = get_string(owner, "channel", 0, 256, &ds->channel, "owner",
			     e)) ||
	    (rc = get_string(owner, "pm", 0, 256, &ds->pm, "owner", e)))
		return rc;
	if (strncmp(ds->owner, "group:", 6) != 0 ||
	    !lyb_principal_valid(ds->owner))
		return fail(e, "owner.team", "expected a group:NAME principal");

	slo = json_object_get(root, "slo");
	if (slo && !json_is_null(slo)) {
		if (!json_is_object(slo))
			return fail(e, "slo", "expected an object");
		if ((rc = get_string(slo, "frequency", 1, 32,
				     &ds->slo_frequency, "slo", e)) ||
		    (rc = get_string(slo, "deadline", 1, 5, &ds->slo_deadline,
				     "slo", e)) ||
		    (rc = get_string(slo, "timezone", 0, 64, &ds->slo_timezone,
				     "slo", e)))
			return rc;
		if (strcmp(ds->slo_frequency, "daily") &&
		    strcmp(ds->slo_frequency, "hourly") &&
		    strcmp(ds->slo_frequency, "weekly"))
			return fail(e, "slo.frequency",
				    "expected daily, hourly or weekly");
		if (!deadline_valid(ds->slo_deadline))
			return fail(e, "slo.deadline", "expected HH:MM");
	}

	schema = json_object_get(root, "schema");
	if (schema && !json_is_null(schema)) {
		if (!json_is_object(schema) && !json_is_array(schema) &&
		    !json_is_string(schema))
			return fail(e, "schema", "expected an Avro schema");
		ds->schema =
			json_dumps(schema, JSON_COMPACT | JSON_PRESERVE_ORDER |
						   JSON_ENCODE_ANY);
		if (!ds->schema)
			return -ENOMEM;
	}
	if ((rc = get_strings(root, "readers", lyb_principal_valid,
			      &ds->readers, &ds->nreaders, "document", e)) ||
	    (rc = get_strings(root, "upstream", lyb_name_valid, &ds->upstream,
			      &ds->nupstream, "document", e)) ||
	    (rc = parse_access(root, ds, e)))
		return rc;

	rc = get_array(root, "versions", 0, &versions, "document", e);
	if (rc)
		return rc;
	if (versions && fmt_want != LYB_CATALOG_FORMAT &&
	    json_array_size(versions))
		return fail(e, "versions",
			    "a format 2 card keeps its versions in pages");
	if (versions) {
		ds->versions = calloc(json_array_size(versions) + 1,
				      sizeof(*ds->versions));
		if (!ds->versions)
			return -ENOMEM;
		json_array_foreach(versions, i, v)
		{
			snprintf(sub, sizeof(sub), "versions[%zu]", i);
			ds->nversions = i + 1;
			rc = parse_version(v, &ds->versions[i], sub, e);
			if (rc)
				return rc;
		}
	}
	rc = lyb_dataset_index(ds);
	if (rc)
		return rc;
	rc = check_unique_ids(ds, e);
	if (rc)
		return rc;

	json_object_foreach(root, key, v)
	{
		const char *const *k;

		for (k = known_fields; *k && strcmp(*k, key); k++)
			;
		if (*k)
			continue;
		if (!extra && !(extra = json_object()))
			return -ENOMEM;
		json_object_set(extra, key, v);
	}
	if (extra) {
		/* measured without building the text: it may be 64 MiB */
		size_t n = json_dumpb(extra, NULL, 0,
				      JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (n > LYB_DOC_EXTRA_MAX) {
			json_decref(extra);
			return fail(e, "document",
				    "unknown top-level fields take %zu bytes, "
				    "over the cap of %u bytes for all of them "
				    "(LYB_DOC_EXTRA_MAX)",
				    n, LYB_DOC_EXTRA_MAX);
		}
		ds->extra =
			json_dumps(extra, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(extra);
		if (!ds->extra)
			return -ENOMEM;
	}
	return 0;
}

/*
 * jansson's reason without its "near '<token>'": the token is the input's
 * own bytes, and a document may be anything a writer pointed us at.
 */
static const char *json_reason(json_error_t *jerr)
{
	char *near = strstr(jerr->text, " near ");

	if (near)
		*near = '\0';
	return jerr->text;
}

int lyb_dataset_parse(const char *text, size_t len, struct lyb_dataset **out,
		      char *err, size_t errlen)
{
	struct perr e = {err, errlen};
	struct lyb_dataset *ds;
	json_error_t jerr;
	json_t *root;
	int rc;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(&e, "json", "line %d column %d: %s", jerr.line,
			    jerr.column, json_reason(&jerr));
	ds = calloc(1, sizeof(*ds));
	if (!ds) {
		rc = -ENOMEM;
		goto out_root;
	}
	atomic_init(&ds->refs, 1);
	rc = parse_doc(root, ds, LYB_CATALOG_FORMAT, &e);
	if (rc) {
		lyb_dataset_destroy(ds);
		goto out_root;
	}
	*out = ds;
out_root:
	json_decref(root);
	return rc;
}

/* --- formatting --- */

/* Sets @key to the string @s unless @s is NULL; 0 or -ENOMEM. */
static int set_str(json_t *o, const char *key, const char *s)
{
	if (!s)
		return 0;
	return json_object_set_new(o, key, json_string(s)) ? -ENOMEM : 0;
}

static int set_int(json_t *o, const char *key, int64_t v)
{
	return json_object_set_new(o, key, json_integer(v)) ? -ENOMEM : 0;
}

/* Sets a generation: get_gen()'s string form when @as_str, else a number. */
static int set_gen(json_t *o, const char *key, int64_t gen, int as_str)
{
	char g[24];

	if (!as_str)
		return set_int(o, key, gen);
	snprintf(g, sizeof(g), "%lld", (long long)gen);
	return set_str(o, key, g);
}

/* Sets "block_crc32c" (get_block_crcs()'s form). */
static int set_block_crcs(json_t *o, const struct lyb_object *ob)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t n = lyb_object_nblocks(ob->size), i;
	char *s = malloc(n * 8 + 1);
	int k, rc;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		for (k = 0; k < 8; k++)
			s[i * 8 + k] =
				hex[(ob->block_crc32c[i] >> (28 - 4 * k)) & 15];
	s[n * 8] = '\0';
	rc = json_object_set_new(o, "block_crc32c", json_stringn(s, n * 8))
		     ? -ENOMEM
		     : 0;
	free(s);
	return rc;
}

static int set_time(json_t *o, const char *key, int64_t t)
{
	char buf[21];

	lyb_time_format(t, buf);
	return set_str(o, key, buf);
}

static int set_strings(json_t *o, const char *key, char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (!a)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			return -ENOMEM;
		}
	return json_object_set_new(o, key, a) ? -ENOMEM : 0;
}

/* The data.jsonl index; @full: with its marks (the document form). */
static int jsonl_json(json_t *o, const char *key, const struct lyb_jsonl *jl,
		      int full)
{
	json_t *j, *idx;
	size_t i;

	if (!jl->recorded)
		return 0;
	j = json_object();
	idx = json_array();
	if (!j || !idx || json_object_set_new(o, key, j)) {
		json_decref(j);
		json_decref(idx);
		return -ENOMEM;
	}
	if (set_int(j, "bytes", (int64_t)jl->bytes)) {
		json_decref(idx);
		return -ENOMEM;
	}
	if (!full) {
		json_decref(idx);
		return set_int(j, "marks", (int64_t)jl->nmarks);
	}
	if (json_object_set_new(j, "index", idx))
		return -ENOMEM;
	for (i = 0; i < jl->nmarks; i++) {
		const struct lyb_jsonl_mark *m = &jl->marks[i];

		if (json_array_append_new(idx, json_pack("[IIII]",
							 (json_int_t)m->object,
							 (json_int_t)m->block,
							 (json_int_t)m->off,
							 (json_int_t)m->at)))
			return -ENOMEM;
	}
	return 0;
}

static json_t *location_json(const struct lyb_location *loc, int full,
			     int gen_str)
{
	json_t *o = json_object(), *objs = json_array();
	size_t i;
	int rc = 0;

	if (!o || !objs)
		goto out_fail;
	rc |= set_str(o, "url", loc->url);
	rc |= set_str(o, "table", loc->table);
	rc |= set_str(o, "format", loc->format);
	rc |= set_str(o, "compression", loc->compression);
	for (i = 0; i < loc->nobjects && rc == 0; i++) {
		const struct lyb_object *ob = &loc->objects[i];
		json_t *j = json_object();

		if (!j || json_array_append_new(objs, j))
			goto out_fail;
		rc |= set_str(j, "name", ob->name);
		rc |= set_int(j, "size", (int64_t)ob->size);
		rc |= set_gen(j, "generation", ob->generation, gen_str);
		/* checksums are data (an oracle for small files): only the
		 * stored form, which the catalog store's access guards, has
		 * them; the record shown to everyone in the mount does not */
		if (full && ob->crc32c[0])
			rc |= set_str(j, "crc32c", ob->crc32c);
		if (full && ob->md5[0])
			rc |= set_str(j, "md5", ob->md5);
		if (ob->block_crc32c)
			rc |= set_block_crcs(j, ob);
		if (ob->page_crc_gen > 0)
			rc |= set_gen(j, "page_crc32c", ob->page_crc_gen,
				      gen_str);
		if (ob->rows >= 0)
			rc |= set_int(j, "rows", ob->rows);
	}
	if (rc || json_object_set_new(o, "objects", objs))
		goto out_fail_o;
	if (full && loc->schema) {
		json_t *sc = json_loads(loc->schema, JSON_DECODE_ANY, NULL);

		if (!sc || json_object_set_new(o, "schema", sc))
			goto out_fail_o;
	}
	if (jsonl_json(o, "jsonl", &loc->jsonl, full) ||
	    jsonl_json(o, "jsonl_plain", &loc->jsonl_plain, full))
		goto out_fail_o;
	return o;
out_fail:
	json_decref(objs);
out_fail_o:
	json_decref(o);
	return NULL;
}

/* The version as stored in the document (and, with @uri, shown). */
static json_t *version_json(const char *dataset, const struct lyb_version *v,
			    int gen_str)
{
	json_t *o = json_object(), *ups = json_array(), *locs = json_object();
	size_t i;
	int rc = 0;

	if (!o || !ups || !locs)
		goto out_fail;
	if (dataset) {
		char uri[LYB_NAME_MAX + 96];

		snprintf(uri, sizeof(uri), "lyb://%s/%s/%s", dataset, v->date,
			 v->id);
		rc |= set_str(o, "uri", uri);
		rc |= set_str(o, "dataset", dataset);
	}
	rc |= set_str(o, "date", v->date);
	rc |= set_str(o, "id", v->id);
	if (!dataset) /* derived from the checksums: not shown either */
		rc |= set_str(o, "digest", v->digest);
	rc |= set_time(o, "published", v->published);
	rc |= set_str(o, "producer", v->producer);
	if (v->rows >= 0)
		rc |= set_int(o, "rows", v->rows);
	rc |= set_int(o, "bytes", (int64_t)v->bytes);
	for (i = 0; i < v->nupstream && rc == 0; i++) {
		json_t *r = json_pack("{s:s, s:s, s:s}", "dataset",
				      v->upstream[i].dataset, "date",
				      v->upstream[i].date, "version",
				      v->upstream[i].id);

		if (!r || json_array_append_new(ups, r))
			goto out_fail;
	}
	for (i = 0; i < v->nlocations && rc == 0; i++) {
		/* the shown form leaves out the index and the schema */
		json_t *l = location_json(&v->locations[i], !dataset, gen_str);

		if (!l ||
		    json_object_set_new(
			    locs, lyb_loc_kind_name(v->locations[i].kind), l))
			goto out_fail;
	}
	if (rc)
		goto out_fail;
	if (v->nupstream)
		json_object_set(o, "upstream", ups);
	if (json_object_set(o, "locations", locs))
		goto out_fail;
	json_decref(ups);
	json_decref(locs);
	return o;
out_fail:
	json_decref(o);
	json_decref(ups);
	json_decref(locs);
	return NULL;
}

/* The DataSet's own fields (no versions). */
static json_t *dataset_head_json(const struct lyb_dataset *ds, int card,
				 int fmt)
{
	json_t *o = json_object(), *owner = json_object(), *schema = NULL;
	int rc = 0;

	if (!o || !owner)
		goto out_fail;
	if (card) {
		char uri[LYB_NAME_MAX + 8];

		snprintf(uri, sizeof(uri), "lyb://%s", ds->name);
		rc |= set_str(o, "uri", uri);
	} else {
		rc |= set_int(o, "lybrary", fmt);
	}
	rc |= set_str(o, "name", ds->name);
	rc |= set_str(o, "description", ds->description);
	rc |= set_str(owner, "team", ds->owner);
	rc |= set_str(owner, "channel", ds->channel);
	rc |= set_str(owner, "pm", ds->pm);
	if (json_object_set(o, "owner", owner))
		goto out_fail;
	if (ds->slo_frequency) {
		json_t *slo = json_pack(
			"{s:s, s:s, s:s}", "frequency", ds->slo_frequency,
			"deadline", ds->slo_deadline, "timezone",
			ds->slo_timezone ? ds->slo_timezone : "UTC");

		if (!slo || json_object_set_new(o, "slo", slo))
			goto out_fail;
	}
	rc |= set_str(o, "format", ds->data_format ? ds->data_format : "avro");
	if (ds->schema) {
		schema = json_loads(ds->schema, JSON_DECODE_ANY, NULL);
		if (!schema || json_object_set_new(o, "schema", schema))
			goto out_fail;
	}
	rc |= set_strings(o, "readers", ds->readers, ds->nreaders);
	rc |= set_strings(o, "upstream", ds->upstream, ds->nupstream);
	rc |= set_time(o, "created", ds->created);
	if (rc)
		goto out_fail;
	json_decref(owner);
	return o;
out_fail:
	json_decref(owner);
	json_decref(o);
	return NULL;
}

/* Serialises and releases @o: indented, with a final newline. */
static int dump(json_t *o, char **out)
{
	char *text;
	size_t n;

	if (!o)
		return -ENOMEM;
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	*out = malloc(n + 2);
	if (*out) {
		memcpy(*out, text, n);
		memcpy(*out + n, "\n", 2);
	}
	free(text);
	return *out ? 0 : -ENOMEM;
}

/* The "access" object, or NULL with *@rc set when out of memory. */
static json_t *access_json(const struct lyb_dataset *ds, int *rc)
{
	json_t *o = json_object(), *reqs = json_array(), *hist = json_array();
	size_t i;

	if (!o || !reqs || !hist)
		goto out_fail;
	for (i = 0; i < ds->nrequests; i++) {
		const struct lyb_access_request *r = &ds->requests[i];
		json_t *j = json_object();

		if (!j || json_array_append_new(reqs, j))
			goto out_fail;
		*rc |= set_str(j, "principal", r->principal);
		*rc |= set_str(j, "reason", r->reason);
		*rc |= set_time(j, "since", r->since);
	}
	for (i = 0; i < ds->nhistory; i++) {
		const struct lyb_access_change *c = &ds->history[i];
		json_t *j = json_object();

		if (!j || json_array_append_new(hist, j))
			goto out_fail;
		*rc |= set_time(j, "time", c->time);
		*rc |= set_str(j, "by", c->by);
		*rc |= set_str(j, "action", c->action);
		*rc |= set_str(j, "principal", c->principal);
		*rc |= set_str(j, "reason", c->reason);
	}
	if (json_object_set_new(o, "requests", reqs)) {
		reqs = NULL;
		goto out_fail;
	}
	reqs = NULL;
	if (json_object_set_new(o, "history", hist)) {
		hist = NULL;
		goto out_fail;
	}
	if (ds->history_dropped)
		*rc |= json_object_set_new(
			o, "history_dropped",
			json_integer((json_int_t)ds->history_dropped));
	if (*rc)
		goto out_fail_o;
	return o;
out_fail:
	json_decref(reqs);
	json_decref(hist);
out_fail_o:
	json_decref(o);
	*rc = -ENOMEM;
	return NULL;
}

/* 1 when @s is NULL or valid UTF-8, as json_string() requires. */
static int utf8_ok(const char *s)
{
	return !s || lyb_text_utf8_valid(s, strlen(s));
}

/*
 * Whether every free-text field a user can set (a request's reason, the
 * principals, the description) can be JSON at all: json_string() refuses
 * invalid UTF-8, which must not pass for running out of memory.
 */
static int dataset_text_ok(const struct lyb_dataset *ds)
{
	size_t i;

	if (!utf8_ok(ds->name) || !utf8_ok(ds->description) ||
	    !utf8_ok(ds->owner) || !utf8_ok(ds->channel) || !utf8_ok(ds->pm))
		return 0;
	for (i = 0; i < ds->nreaders; i++)
		if (!utf8_ok(ds->readers[i]))
			return 0;
	for (i = 0; i < ds->nrequests; i++)
		if (!utf8_ok(ds->requests[i].principal) ||
		    !utf8_ok(ds->requests[i].reason))
			return 0;
	for (i = 0; i < ds->nhistory; i++)
		if (!utf8_ok(ds->history[i].by) ||
		    !utf8_ok(ds->history[i].action) ||
		    !utf8_ok(ds->history[i].principal) ||
		    !utf8_ok(ds->history[i].reason))
			return 0;
	return 1;
}

int lyb_dataset_format(const struct lyb_dataset *ds, char **out)
{
	json_t *o, *vs;
	size_t i;

	if (!dataset_text_ok(ds))
		return -EILSEQ;
	o = dataset_head_json(ds, 0, LYB_CATALOG_FORMAT);
	vs = json_array();
	if (!o || !vs)
		goto out_fail;
	for (i = 0; i < ds->nversions; i++) {
		json_t *v = version_json(NULL, &ds->versions[i], 0);

		if (!v || json_array_append_new(vs, v))
			goto out_fail;
	}
	if (json_object_set_new(o, "versions", vs))
		goto out_fail_o;
	if (ds->nrequests || ds->nhistory || ds->history_dropped) {
		int rc = 0;
		json_t *a = access_json(ds, &rc);

		if (!a || json_object_set_new(o, "access", a))
			goto out_fail_o;
	}
	if (ds->extra) {
		json_t *extra = json_loads(ds->extra, 0, NULL);

		if (!extra || json_object_update_missing(o, extra)) {
			json_decref(extra);
			goto out_fail_o;
		}
		json_decref(extra);
	}
	return dump(o, out);
out_fail:
	json_decref(vs);
out_fail_o:
	json_decref(o);
	return -ENOMEM;
}

struct downstream_arg {
	json_t *a;
	int rc;
};

static void add_downstream(void *arg, const struct lyb_dataset *ds)
{
	struct downstream_arg *d = arg;

	if (json_array_append_new(d->a, json_string(ds->name)))
		d->rc = -ENOMEM;
}

int lyb_dataset_card(const struct lyb_snap *snap, const struct lyb_dataset *ds,
		     char **out)
{
	json_t *o = dataset_head_json(ds, 1, LYB_CATALOG_FORMAT);
	struct downstream_arg d = {json_array(), 0};
	int rc = 0;

	if (!o || !d.a)
		goto out_fail;
	if (snap)
		lyb_snap_downstream(snap, ds->name, add_downstream, &d);
	if (d.rc || json_object_set(o, "downstream", d.a))
		goto out_fail;
	rc |= set_int(o, "dates", (int64_t)ds->count_dates);
	rc |= set_int(o, "versions", (int64_t)ds->count_versions);
	if (ds->latest_date[0]) {
		json_t *l = json_object();

		if (!l || json_object_set_new(o, "latest", l))
			goto out_fail;
		rc |= set_str(l, "date", ds->latest_date);
		rc |= set_str(l, "version", ds->latest_id);
		rc |= set_time(l, "published", ds->latest_published);
		if (ds->latest_rows >= 0)
			rc |= set_int(l, "rows", ds->latest_rows);
		rc |= set_int(l, "bytes", (int64_t)ds->latest_bytes);
	}
	if (rc)
		goto out_fail;
	json_decref(d.a);
	return dump(o, out);
out_fail:
	json_decref(d.a);
	json_decref(o);
	return -ENOMEM;
}

int lyb_version_record(const struct lyb_dataset *ds,
		       const struct lyb_version *v, char **out)
{
	return dump(version_json(ds->name, v, 0), out);
}

int lyb_version_copy(const struct lyb_version *src, struct lyb_version *dst)
{
	json_t *o = version_json(NULL, src, 0);
	struct perr e = {NULL, 0};
	int rc;

	memset(dst, 0, sizeof(*dst));
	if (!o)
		return -ENOMEM;
	rc = parse_version(o, dst, "version", &e);
	json_decref(o);
	if (rc)
		lyb_version_clear(dst);
	return rc;
}

int lyb_dataset_copy(const struct lyb_dataset *ds, struct lyb_dataset **out)
{
	char *text, err[256];
	int rc;

	rc = lyb_dataset_format(ds, &text);
	if (rc)
		return rc;
	rc = lyb_dataset_parse(text, strlen(text), out, err, sizeof(err));
	free(text);
	if (rc == 0)
		(*out)->generation = ds->generation;
	return rc;
}

const char lyb_catalog_marker[] = "{\n  \"lybrary\": 1\n}\n";
const char lyb_catalog_marker2[] = "{\n  \"lybrary\": 2\n}\n";
const char lyb_catalog_marker_upgrading[] =
	"{\n  \"lybrary\": 1,\n  \"upgrading\": 2\n}\n";

int lyb_catalog_marker_check(const char *text, size_t len, int *format,
			     int *upgrading, char *err, size_t errlen)
{
	struct perr e = {err, errlen};
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr), *up;
	int64_t fmt = 0;
	int rc;

	if (!root)
		return fail(&e, "lybrary.json", "line %d column %d: %s",
			    jerr.line, jerr.column, json_reason(&jerr));
	rc = json_is_object(root)
		     ? get_int(root, "lybrary", 1, 0, INT32_MAX, &fmt,
			       "lybrary.json", &e)
		     : fail(&e, "lybrary.json", "expected a JSON object");
	if (rc == 0 && fmt != 1 && fmt != 2)
		rc = fail(&e, "lybrary.json", "unsupported format version %lld",
			  (long long)fmt);
	up = root ? json_object_get(root, "upgrading") : NULL;
	if (rc == 0 && up && (fmt != 1 || json_integer_value(up) != 2))
		rc = fail(&e, "lybrary.json",
			  "\"upgrading\": expected 2, "
			  "in a format 1 catalog");
	if (rc == 0) {
		*format = (int)fmt;
		*upgrading = up != NULL;
	}
	json_decref(root);
	return rc;
}

/* --- format 2 (catalog2.c): the same grammar, as parts of pages --- */

int lyb_card_from_json(json_t *doc, struct lyb_dataset **out, char *err,
		       size_t errlen)
{
	struct perr e = {err, errlen};
	struct lyb_dataset *ds = calloc(1, sizeof(*ds));
	int rc;

	if (!ds)
		return -ENOMEM;
	atomic_init(&ds->refs, 1);
	rc = parse_doc(doc, ds, 2, &e);
	if (rc) {
		lyb_dataset_destroy(ds);
		return rc;
	}
	*out = ds;
	return 0;
}

json_t *lyb_card_to_json(const struct lyb_dataset *ds, int history)
{
	json_t *o;

	if (!dataset_text_ok(ds))
		return NULL;
	o = dataset_head_json(ds, 0, 2);
	if (!o)
		return NULL;
	if (ds->nrequests ||
	    (history && (ds->nhistory || ds->history_dropped))) {
		struct lyb_dataset shown = *ds;
		int rc = 0;
		json_t *a;

		if (!history) {
			shown.nhistory = 0;
			shown.history_dropped = 0;
		}
		a = access_json(&shown, &rc);
		if (!a || json_object_set_new(o, "access", a))
			goto out_fail;
	}
	if (ds->extra) {
		json_t *extra = json_loads(ds->extra, 0, NULL);

		if (!extra || json_object_update_missing(o, extra)) {
			json_decref(extra);
			goto out_fail;
		}
		json_decref(extra);
	}
	return o;
out_fail:
	json_decref(o);
	return NULL;
}

int lyb_version_from_json(json_t *o, struct lyb_version *v, char *err,
			  size_t errlen)
{
	struct perr e = {err, errlen};
	int rc;

	memset(v, 0, sizeof(*v));
	rc = parse_version(o, v, "version", &e);
	if (rc)
		lyb_version_clear(v);
	return rc;
}

json_t *lyb_version_to_json(const struct lyb_version *v)
{
	return version_json(NULL, v, 1);
}

const char *lyb_json_reason(json_error_t *jerr)
{
	return json_reason(jerr);
}

int lyb_card_copy(const struct lyb_dataset *ds, struct lyb_dataset **out)
{
	json_t *o = lyb_card_to_json(ds, 1);
	char err[256];
	int rc;

	if (!o)
		return -ENOMEM;
	rc = lyb_card_from_json(o, out, err, sizeof(err));
	json_decref(o);
	if (rc)
		return rc;
	(*out)->count_versions = ds->count_versions;
	(*out)->count_dates = ds->count_dates;
	memcpy((*out)->latest_date, ds->latest_date, sizeof(ds->latest_date));
	memcpy((*out)->latest_id, ds->latest_id, sizeof(ds->latest_id));
	(*out)->latest_published = ds->latest_published;
	(*out)->latest_rows = ds->latest_rows;
	(*out)->latest_bytes = ds->latest_bytes;
	(*out)->latest_first = ds->latest_first;
	(*out)->updated = ds->updated;
	(*out)->generation = ds->generation;
	return 0;
}
