// SPDX-License-Identifier: Apache-2.0
/*
 * fs.c - the lybfs tree over a catalog snapshot (see fs.h): path
 * resolution, directory listings, generated files, open files (whatever
 * their kind: the object reader, view or bytes behind them, and what a
 * failure of each means to the reader) and extended attributes. Knows
 * nothing about FUSE; src/lybfs/ll.c maps it to the kernel.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog_impl.h"
#include "lyb/freshness.h"
#include "lyb/fs.h"
#include "lyb/log.h"
#include "lyb/metrics.h"
#include "lyb/store.h"
#include "lyb/view.h"

#define DIR_MODE (S_IFDIR | 0555)
#define FILE_MODE (S_IFREG | 0444)
#define LINK_MODE (S_IFLNK | 0777)
#define NAME_MAX_LEN 255

/*
 * Copies the next component of *@p into @buf and advances past it.
 * Returns its length, 0 at the end, or -ENAMETOOLONG.
 */
static int next_component(const char **p, char buf[NAME_MAX_LEN + 1])
{
	const char *s = *p, *end = strchr(s, '/');
	size_t n = end ? (size_t)(end - s) : strlen(s);

	if (n > NAME_MAX_LEN)
		return -ENAMETOOLONG;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*p = end ? end + 1 : s + n;
	return (int)n;
}

static void set_dir(struct lyb_fs_entry *e, enum lyb_fs_kind kind,
		    int64_t mtime)
{
	e->kind = kind;
	e->mode = DIR_MODE;
	e->mtime = mtime;
}

/* Resolves the path @sub inside location @loc. */
static int resolve_in_location(const struct lyb_location *loc, const char *sub,
			       struct lyb_fs_entry *e)
{
	size_t n = strlen(sub), i;
	const struct lyb_object *o;

	e->sub = sub;
	if (n == 0)
		return 0; /* the location directory itself */
	o = lyb_location_find(loc, sub);
	if (o) {
		e->kind = LYB_FS_OBJECT;
		e->mode = FILE_MODE;
		e->obj = o;
		e->size = o->size;
		return 0;
	}
	/* a directory when some object name continues with sub + "/" */
	for (i = 0; i < loc->nobjects; i++) {
		const char *name = loc->objects[i].name;

		if (strncmp(name, sub, n) == 0 && name[n] == '/') {
			e->kind = LYB_FS_SUBDIR;
			return 0;
		}
	}
	return -ENOENT;
}

static void set_link(struct lyb_fs_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_link(struct lyb_fs_entry *e, const char *fmt, ...)
{
	va_list ap;

	e->kind = LYB_FS_LINK;
	e->mode = LINK_MODE;
	va_start(ap, fmt);
	vsnprintf(e->link, sizeof(e->link), fmt, ap);
	va_end(ap);
	e->size = strlen(e->link);
}

/* Sizes a generated file by generating it (they are small). */
static int set_file(const struct lyb_snap *snap, struct lyb_fs_entry *e,
		    enum lyb_fs_file file)
{
	char *data;
	size_t len;
	int rc;

	e->kind = LYB_FS_FILE;
	e->file = file;
	e->mode = FILE_MODE;
	e->volatile_content = file != LYB_FILE_INFO && file != LYB_FILE_SCHEMA;
	if (file == LYB_FILE_ACCESS)
		return 0; /* per caller: size 0, served with direct_io */
	rc = lyb_fs_content(snap, e, &data, &len);
	if (rc)
		return rc;
	free(data);
	e->size = len;
	return 0;
}

/* The upstream version of DataSet @name that @v consumed (the first). */
static const struct lyb_vref *consumed(const struct lyb_version *v,
				       const char *name)
{
	size_t i;

	for (i = 0; i < v->nupstream; i++)
		if (strcmp(v->upstream[i].dataset, name) == 0)
			return &v->upstream[i];
	return NULL;
}

static int lists_upstream(const struct lyb_dataset *ds, const char *name)
{
	size_t i;

	for (i = 0; i < ds->nupstream; i++)
		if (strcmp(ds->upstream[i], name) == 0)
			return 1;
	return 0;
}

/* A DataSet with a schema, or a version with an Avro copy. */
static int has_schema(const struct lyb_fs_entry *e)
{
	if (e->v)
		return lyb_version_location(e->v, LYB_LOC_GS) != NULL;
	return e->ds->schema != NULL;
}

/* Resolves what is under a .lyb directory: @p is the rest of the path. */
static int resolve_meta(const struct lyb_snap *snap, const char *p,
			struct lyb_fs_entry *e)
{
	char c[NAME_MAX_LEN + 1];
	const struct lyb_dataset *other;
	const struct lyb_vref *r;
	int n;

	e->kind = LYB_FS_META;
	if ((n = next_component(&p, c)) <= 0)
		return n;
	if (!e->ds) { /* MNT/.lyb */
		if (*p)
			return -ENOENT;
		if (strcmp(c, "metrics") == 0)
			return set_file(snap, e, LYB_FILE_METRICS);
		if (strcmp(c, "health") == 0)
			return set_file(snap, e, LYB_FILE_HEALTH);
		return -ENOENT;
	}
	if (strcmp(c, "info.json") == 0 && !*p)
		return set_file(snap, e, LYB_FILE_INFO);
	if (strcmp(c, "status") == 0 && !*p && !e->v)
		return set_file(snap, e, LYB_FILE_STATUS);
	if (strcmp(c, "access") == 0 && !*p && !e->v)
		return set_file(snap, e, LYB_FILE_ACCESS);
	if (strcmp(c, "schema.avsc") == 0 && !*p && has_schema(e))
		return set_file(snap, e, LYB_FILE_SCHEMA);
	if (strcmp(c, "upstream") == 0)
		e->downstream = 0;
	else if (strcmp(c, "downstream") == 0 && !e->v)
		e->downstream = 1;
	else
		return -ENOENT;
	e->kind = LYB_FS_LINEAGE;
	if ((n = next_component(&p, c)) <= 0)
		return n;
	if (*p)
		return -ENOENT;
	if (e->v) {
		r = consumed(e->v, c);
		if (!r)
			return -ENOENT;
		set_link(e, "../../../../../%s/%s/%s", r->dataset, r->date,
			 r->id);
		return 0;
	}
	if (e->downstream) {
		other = lyb_snap_find(snap, c);
		if (!other || !lists_upstream(other, e->ds->name))
			return -ENOENT;
	} else if (!lists_upstream(e->ds, c)) {
		return -ENOENT;
	}
	set_link(e, "../../../%s", c);
	return 0;
}

int lyb_fs_catalog_figures(const struct lyb_snap *snap,
			   struct lyb_metrics_catalog *fig)
{
	struct lyb_metrics_bad *bad;
	int64_t now = lyb_now();
	size_t i;

	memset(fig, 0, sizeof(*fig));
	bad = calloc(snap->nbad + 1, sizeof(*bad));
	if (!bad)
		return -ENOMEM;
	for (i = 0; i < snap->ndatasets; i++) {
		struct lyb_freshness f;

		fig->versions += snap->datasets[i]->count_versions;
		lyb_freshness_check(snap->datasets[i], now, &f);
		fig->overdue += (uint64_t)lyb_freshness_overdue(&f);
	}
	for (i = 0; i < snap->nbad; i++) {
		bad[i].name = snap->bad[i].name;
		bad[i].reason = snap->bad[i].reason;
		bad[i].since = snap->bad[i].since;
		bad[i].definite = snap->bad[i].definite;
	}
	fig->datasets = snap->ndatasets;
	fig->loaded = snap->loaded;
	fig->nbad = snap->nbad;
	fig->bad = bad;
	return 0;
}

void lyb_fs_entry_release(struct lyb_fs_entry *e)
{
	lyb_dataset_unref(e->hold_part);
	lyb_datelist_unref(e->hold_dates);
	e->hold_part = NULL;
	e->hold_dates = NULL;
}

int lyb_fs_resolve(const struct lyb_snap *snap, const char *path,
		   struct lyb_fs_entry *e)
{
	char c[NAME_MAX_LEN + 1];
	const struct lyb_date *d;
	const char *p = path;
	enum lyb_loc_kind kind;
	int n;

	memset(e, 0, sizeof(*e));
	if (strlen(path) > LYB_FS_PATH_MAX)
		return -ENAMETOOLONG;
	set_dir(e, LYB_FS_ROOT, snap->loaded);
	if ((n = next_component(&p, c)) <= 0)
		return n;
	if (strcmp(c, ".lyb") == 0)
		return resolve_meta(snap, p, e);
	e->ds = lyb_snap_find(snap, c);
	if (!e->ds)
		return -ENOENT;
	set_dir(e, LYB_FS_DATASET, e->ds->updated);
	if ((n = next_component(&p, c)) <= 0)
		return n;

	if (strcmp(c, ".lyb") == 0)
		return resolve_meta(snap, p, e);
	if (strcmp(c, "latest") == 0) {
		if (!e->ds->latest_date[0] || *p)
			return -ENOENT;
		set_link(e, "%s/latest", e->ds->latest_date);
		return 0;
	}
	if (e->ds->f2) {
		/* a card: the date from its dates, its versions on demand */
		const struct lyb_date_sum *s;

		if (!lyb_date_valid(c))
			return -ENOENT;
		n = lyb_dataset_dates(e->ds, &e->hold_dates);
		if (n)
			return n == -ENOMEM ? n : -EIO;
		s = lyb_datelist_find(e->hold_dates, c);
		if (!s)
			return -ENOENT;
		e->dsum = *s;
		set_dir(e, LYB_FS_DATE, s->published);
		if ((n = next_component(&p, c)) <= 0)
			return n;
		if (strcmp(c, "latest") == 0) {
			if (*p)
				return -ENOENT;
			set_link(e, "%s", s->latest);
			return 0;
		}
		n = lyb_dataset_part(e->ds, e->dsum.date, &e->hold_part);
		if (n)
			return n == -ENOMEM ? n : -EIO;
		e->ds = e->hold_part;
		d = lyb_dataset_find_date(e->ds, e->dsum.date);
		if (!d)
			return -EIO; /* its dates and versions disagree */
		e->date = d;
	} else {
		d = lyb_dataset_find_date(e->ds, c);
		if (!d)
			return -ENOENT;
		e->date = d;
		e->dsum.count = d->count;
		memcpy(e->dsum.date, d->date, sizeof(d->date));
		memcpy(e->dsum.latest, d->latest->id, sizeof(d->latest->id));
		e->dsum.published = d->latest->published;
		set_dir(e, LYB_FS_DATE, d->latest->published);
		if ((n = next_component(&p, c)) <= 0)
			return n;

		if (strcmp(c, "latest") == 0) {
			if (*p)
				return -ENOENT;
			set_link(e, "%s", d->latest->id);
			return 0;
		}
	}
	e->v = lyb_dataset_find_version(e->ds, d->date, c);
	if (!e->v)
		return -ENOENT;
	set_dir(e, LYB_FS_VERSION, e->v->published);
	e->immutable = 1;
	if ((n = next_component(&p, c)) <= 0)
		return n;

	if (strcmp(c, ".lyb") == 0)
		return resolve_meta(snap, p, e);
	if (strcmp(c, "data.jsonl") == 0 || strcmp(c, "data.avro.json") == 0) {
		if (*p)
			return -ENOENT;
		e->kind = LYB_FS_VIEW;
		e->mode = FILE_MODE;
		e->view_avro = c[5] == 'a';
		return lyb_view_size(e->ds, e->v,
				     e->view_avro ? LYB_JSON_AVRO
						  : LYB_JSON_PLAIN,
				     &e->size);
	}
	if (lyb_loc_kind_parse(c, &kind) != 0)
		return -ENOENT;
	e->loc = lyb_version_location(e->v, kind);
	if (!e->loc)
		return -ENOENT;
	e->kind = LYB_FS_LOCATION;
	return resolve_in_location(e->loc, p, e);
}

static int list_location(const struct lyb_location *loc, const char *sub,
			 lyb_fs_dirent_cb cb, void *arg)
{
	size_t n = strlen(sub), i;
	char last[NAME_MAX_LEN + 1] = "";
	int rc;

	for (i = 0; i < loc->nobjects; i++) {
		const char *name = loc->objects[i].name, *rest, *slash;
		char child[NAME_MAX_LEN + 1];
		size_t len;

		if (n) {
			if (strncmp(name, sub, n) != 0 || name[n] != '/')
				continue;
			rest = name + n + 1;
		} else {
			rest = name;
		}
		slash = strchr(rest, '/');
		len = slash ? (size_t)(slash - rest) : strlen(rest);
		if (len > NAME_MAX_LEN)
			continue; /* no kernel could look it up */
		memcpy(child, rest, len);
		child[len] = '\0';
		/* names under one directory are contiguous when sorted */
		if (strcmp(child, last) == 0)
			continue;
		memcpy(last, child, len + 1);
		rc = cb(arg, child, slash ? DIR_MODE : FILE_MODE);
		if (rc)
			return rc;
	}
	return 0;
}

struct downstream_ctx {
	lyb_fs_dirent_cb cb;
	void *arg;
	int rc;
};

static void add_downstream(void *arg, const struct lyb_dataset *ds)
{
	struct downstream_ctx *c = arg;

	if (c->rc == 0)
		c->rc = c->cb(c->arg, ds->name, LINK_MODE);
}

/* Orders indexes into a version's upstream by DataSet, then by index. */
static int cmp_vref_index(const void *a, const void *b, void *arg)
{
	const struct lyb_vref *u = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(u[x].dataset, u[y].dataset);

	return c ? c : x < y ? -1 : x > y;
}

/*
 * A version's upstream links: one per DataSet (its first entry, as
 * consumed() resolves it), in catalog order. Found by sorting, so a
 * version listing 10^5 upstream entries lists in O(n log n): comparing
 * each with all before it held a FUSE worker for minutes per readdir.
 */
static int list_consumed(const struct lyb_version *v, lyb_fs_dirent_cb cb,
			 void *arg)
{
	size_t n = v->nupstream, i, *ix;
	unsigned char *first;
	int rc = 0;

	if (n == 0)
		return 0;
	ix = malloc(n * sizeof(*ix));
	first = calloc(n, 1);
	if (!ix || !first) {
		free(ix);
		free(first);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), cmp_vref_index, v->upstream);
	for (i = 0; i < n; i++)
		first[ix[i]] = i == 0 || strcmp(v->upstream[ix[i - 1]].dataset,
						v->upstream[ix[i]].dataset);
	for (i = 0; i < n && rc == 0; i++)
		if (first[i])
			rc = cb(arg, v->upstream[i].dataset, LINK_MODE);
	free(ix);
	free(first);
	return rc;
}

static int list_lineage(const struct lyb_snap *snap,
			const struct lyb_fs_entry *dir, lyb_fs_dirent_cb cb,
			void *arg)
{
	struct downstream_ctx c = {cb, arg, 0};
	size_t i;
	int rc = 0;

	if (dir->v)
		return list_consumed(dir->v, cb, arg);
	if (!dir->downstream) {
		for (i = 0; i < dir->ds->nupstream && rc == 0; i++)
			rc = cb(arg, dir->ds->upstream[i], LINK_MODE);
		return rc;
	}
	lyb_snap_downstream(snap, dir->ds->name, add_downstream, &c);
	return c.rc;
}

int lyb_fs_readdir(const struct lyb_snap *snap, const struct lyb_fs_entry *dir,
		   lyb_fs_dirent_cb cb, void *arg)
{
	const struct lyb_date *d;
	size_t i;
	int rc = 0;

	switch (dir->kind) {
	case LYB_FS_ROOT:
		rc = cb(arg, ".lyb", DIR_MODE);
		for (i = 0; i < snap->ndatasets && rc == 0; i++)
			rc = cb(arg, snap->datasets[i]->name, DIR_MODE);
		return rc;
	case LYB_FS_DATASET: {
		struct lyb_datelist *l;

		rc = lyb_dataset_dates(dir->ds, &l);
		if (rc)
			return rc == -ENOMEM ? rc : -EIO;
		rc = cb(arg, ".lyb", DIR_MODE);
		if (rc == 0 && l->n)
			rc = cb(arg, "latest", LINK_MODE);
		for (i = 0; i < l->n && rc == 0; i++)
			rc = cb(arg, l->d[i].date, DIR_MODE);
		lyb_datelist_unref(l);
		return rc;
	}
	case LYB_FS_META:
		if (!dir->ds) {
			rc = cb(arg, "health", FILE_MODE);
			return rc ? rc : cb(arg, "metrics", FILE_MODE);
		}
		if (!dir->v)
			rc = cb(arg, "access", FILE_MODE);
		if (rc == 0)
			rc = cb(arg, "info.json", FILE_MODE);
		if (rc == 0 && has_schema(dir))
			rc = cb(arg, "schema.avsc", FILE_MODE);
		if (rc == 0 && !dir->v)
			rc = cb(arg, "status", FILE_MODE);
		if (rc == 0)
			rc = cb(arg, "upstream", DIR_MODE);
		if (rc == 0 && !dir->v)
			rc = cb(arg, "downstream", DIR_MODE);
		return rc;
	case LYB_FS_LINEAGE:
		return list_lineage(snap, dir, cb, arg);
	case LYB_FS_DATE: {
		struct lyb_dataset *part;

		rc = lyb_dataset_part(dir->ds, dir->dsum.date, &part);
		if (rc)
			return rc == -ENOMEM ? rc : -EIO;
		d = lyb_dataset_find_date(part, dir->dsum.date);
		rc = cb(arg, "latest", LINK_MODE);
		for (i = d ? d->first : 0;
		     d && i < d->first + d->count && rc == 0; i++)
			rc = cb(arg, part->versions[i].id, DIR_MODE);
		lyb_dataset_unref(part);
		return d ? rc : -EIO;
	}
	case LYB_FS_VERSION:
		rc = cb(arg, ".lyb", DIR_MODE);
		if (rc == 0)
			rc = cb(arg, "data.jsonl", FILE_MODE);
		if (rc == 0 && lyb_version_location(dir->v, LYB_LOC_GS))
			rc = cb(arg, "data.avro.json", FILE_MODE);
		for (i = 0; i < dir->v->nlocations && rc == 0; i++)
			rc = cb(arg,
				lyb_loc_kind_name(dir->v->locations[i].kind),
				DIR_MODE);
		return rc;
	case LYB_FS_LOCATION:
	case LYB_FS_SUBDIR:
		return list_location(dir->loc, dir->sub, cb, arg);
	default:
		return -ENOTDIR;
	}
}

/* The status file: delivery against the SLO, one "key: value" a line. */
static int status_text(const struct lyb_dataset *ds, struct lyb_buf *b)
{
	struct lyb_freshness f;
	char deadline[21], delivered[21];

	lyb_freshness_check(ds, lyb_now(), &f);
	lyb_buf_printf(b, "state: %s\n", lyb_freshness_state_name(f.state));
	if (ds->slo_frequency)
		lyb_buf_printf(b, "slo: %s by %s %s\n", ds->slo_frequency,
			       ds->slo_deadline,
			       ds->slo_timezone ? ds->slo_timezone : "UTC");
	if (f.state >= LYB_FRESH_ON_TIME) {
		lyb_time_format(f.deadline, deadline);
		lyb_buf_printf(b, "expected: %s\ndeadline: %s\n", f.expected,
			       deadline);
		if (f.delivered) {
			lyb_time_format(f.delivered, delivered);
			lyb_buf_printf(b, "delivered: %s\n", delivered);
		}
		lyb_buf_printf(b, "late_by_seconds: %lld\n",
			       (long long)f.late_by);
	}
	return lyb_buf_printf(b, "summary: %s\n", f.summary);
}

/* schema.avsc: the schema's JSON text and a newline. */
static int schema_text(const struct lyb_fs_entry *e, char **data, size_t *len)
{
	char *text = NULL, *out;
	size_t n;
	int rc = 0;

	if (e->v)
		rc = lyb_view_schema(e->ds, e->v, &text);
	else if (e->ds->schema)
		text = strdup(e->ds->schema);
	else
		rc = -ENOENT;
	if (rc)
		return rc;
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	out = realloc(text, n + 2);
	if (!out) {
		free(text);
		return -ENOMEM;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	*data = out;
	*len = n + 1;
	return 0;
}

int lyb_fs_content(const struct lyb_snap *snap, const struct lyb_fs_entry *e,
		   char **data, size_t *len)
{
	struct lyb_buf b;
	int rc;

	if (e->kind != LYB_FS_FILE || e->file == LYB_FILE_ACCESS)
		return -EINVAL;
	if (e->file == LYB_FILE_INFO) {
		rc = e->v ? lyb_version_record(e->ds, e->v, data)
			  : lyb_dataset_card(snap, e->ds, data);
		if (rc == 0)
			*len = strlen(*data);
		return rc;
	}
	if (e->file == LYB_FILE_SCHEMA)
		return schema_text(e, data, len);
	lyb_buf_init(&b, 16u << 20);
	if (e->file == LYB_FILE_STATUS) {
		rc = status_text(e->ds, &b);
	} else {
		struct lyb_metrics_catalog fig;

		rc = lyb_fs_catalog_figures(snap, &fig);
		if (rc == 0)
			rc = e->file == LYB_FILE_METRICS
				     ? lyb_metrics_render(&fig, &b)
				     : lyb_health_render(&fig, &b);
		free((void *)fig.bad);
	}
	if (rc) {
		lyb_buf_free(&b);
		return rc;
	}
	*data = lyb_buf_steal(&b, len);
	return *data ? 0 : -ENOMEM;
}

/* An open file: exactly one of reader, view and data is behind it. */
struct lyb_fs_open_file {
	struct lyb_reader *reader;  /* an object */
	struct lyb_view_file *view; /* data.jsonl, data.avro.json */
	char *data;		    /* a generated file's bytes */
	uint64_t size;
	char *name; /* reader, view: the lyb:// URI, for messages */
};

static void entry_uri(const struct lyb_fs_entry *e, char *buf, size_t len);

int lyb_fs_openable(const struct lyb_fs_entry *e)
{
	if (S_ISDIR(e->mode))
		return -EISDIR;
	switch (e->kind) {
	case LYB_FS_OBJECT:
	case LYB_FS_VIEW:
	case LYB_FS_FILE:
		return 0;
	default:
		return -EINVAL;
	}
}

/* Names @f for the messages of its reads: @e's URI and, for a view, file. */
static int file_name(struct lyb_fs_open_file *f, const struct lyb_fs_entry *e)
{
	char uri[LYB_FS_PATH_MAX + 512], name[sizeof(uri) + 32];

	entry_uri(e, uri, sizeof(uri));
	snprintf(name, sizeof(name), "%s%s", uri,
		 e->kind != LYB_FS_VIEW ? ""
		 : e->view_avro		? "/data.avro.json"
					: "/data.jsonl");
	f->name = strdup(name);
	return f->name ? 0 : -ENOMEM;
}

int lyb_fs_open(const struct lyb_snap *snap, const struct lyb_fs_entry *e,
		lyb_fs_render_cb render, void *arg,
		struct lyb_fs_open_file **out)
{
	struct lyb_fs_open_file *f;
	size_t len = 0;
	int rc = lyb_fs_openable(e);

	*out = NULL;
	if (rc)
		return rc;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (e->kind == LYB_FS_OBJECT) {
		f->size = e->size;
		rc = lyb_object_open(e->loc, e->obj, &f->reader);
		/* the store's reason is logged; the reader gets EIO, except
		 * for a denial, which is the store's to say */
		if (rc && rc != -EACCES && rc != -ENOMEM)
			rc = -EIO;
	} else if (e->kind == LYB_FS_VIEW) {
		rc = lyb_view_open(e->ds, e->v,
				   e->view_avro ? LYB_JSON_AVRO
						: LYB_JSON_PLAIN,
				   &f->view);
		if (rc == 0)
			f->size = lyb_view_file_size(f->view);
	} else if (e->file == LYB_FILE_ACCESS) {
		rc = render ? render(arg, e, &f->data, &len) : -EINVAL;
		f->size = len;
	} else {
		rc = lyb_fs_content(snap, e, &f->data, &len);
		f->size = len;
	}
	if (rc == 0 && (f->reader || f->view))
		rc = file_name(f, e);
	if (rc) {
		lyb_fs_file_close(f);
		return rc;
	}
	*out = f;
	return 0;
}

int lyb_fs_read_spans(struct lyb_fs_open_file *f, size_t len, uint64_t off,
		      struct lyb_spans *sp)
{
	size_t got = 0;
	char *buf;
	int rc;

	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = (size_t)(f->size - off);
	if (!f->reader && !f->view)
		return lyb_spans_add(sp, f->data + off, len);
	if (f->view) {
		buf = lyb_spans_mem(sp, len, 0);
		rc = buf ? lyb_view_read(f->view, buf, len, off, &got)
			 : -ENOMEM;
		if (rc == 0)
			rc = lyb_spans_add(sp, buf, got);
	} else {
		rc = lyb_reader_pread_spans(f->reader, len, off, sp);
	}
	if (rc == 0 && sp->total != len) {
		lyb_log(LYB_LOG_ERR,
			"read of %s: short read at %llu (%zu of %zu bytes): "
			"the catalog promised more bytes than the store has",
			f->name, (unsigned long long)off, sp->total, len);
		rc = -EIO;
	}
	if (rc) {
		lyb_spans_release(sp);
		return rc == -EACCES ? -EACCES : -EIO;
	}
	return 0;
}

int lyb_fs_read(struct lyb_fs_open_file *f, void *buf, size_t len, uint64_t off,
		size_t *got)
{
	struct lyb_spans sp;
	int rc;

	memset(&sp, 0, sizeof(sp));
	*got = 0;
	rc = lyb_fs_read_spans(f, len, off, &sp);
	if (rc == 0) {
		lyb_spans_copy(&sp, buf);
		*got = sp.total;
	}
	lyb_spans_release(&sp);
	return rc;
}

uint64_t lyb_fs_file_size(const struct lyb_fs_open_file *f)
{
	return f->size;
}

int lyb_fs_file_cache_id(const struct lyb_fs_open_file *f,
			 unsigned char id[LYB_CACHE_ID_LEN])
{
	return f->reader ? lyb_reader_cache_id(f->reader, id) : -ENOENT;
}

void lyb_fs_file_close(struct lyb_fs_open_file *f)
{
	if (!f)
		return;
	lyb_reader_close(f->reader);
	lyb_view_close(f->view);
	free(f->data);
	free(f->name);
	free(f);
}

int lyb_fs_gated(const struct lyb_fs_entry *e)
{
	if (!e->ds)
		return 0;
	if (e->dsum.date[0]) /* a date, and everything in it */
		return 1;
	switch (e->kind) {
	case LYB_FS_META:
	case LYB_FS_LINEAGE:
	case LYB_FS_LINK: /* latest -> DATE/latest, lineage -> ../../../DS */
		return 0;
	case LYB_FS_FILE:
		/* the card's files: info.json, status, access, schema.avsc */
		return e->file != LYB_FILE_INFO && e->file != LYB_FILE_STATUS &&
		       e->file != LYB_FILE_ACCESS && e->file != LYB_FILE_SCHEMA;
	default: /* the DataSet's own listing: its dates */
		return 1;
	}
}

/* Builds "lyb://ds[/date[/id[/loc[/sub]]]]" for @e into @buf. */
static void entry_uri(const struct lyb_fs_entry *e, char *buf, size_t len)
{
	const char *date = e->v		     ? e->v->date
			   : e->dsum.date[0] ? e->dsum.date
					     : NULL;
	int n = snprintf(buf, len, "lyb://%s", e->ds->name);

	if (date && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "/%s", date);
	if (e->v && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "/%s", e->v->id);
	if (e->loc && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "/%s",
			      lyb_loc_kind_name(e->loc->kind));
	if (e->sub && e->sub[0] && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "/%s", e->sub);
}

static int64_t location_rows(const struct lyb_location *loc)
{
	int64_t rows = 0;
	size_t i;

	for (i = 0; i < loc->nobjects; i++) {
		if (loc->objects[i].rows < 0)
			return -1;
		rows += loc->objects[i].rows;
	}
	return rows;
}

int lyb_fs_xattrs_gated(const struct lyb_fs_entry *e)
{
	return e->v != NULL;
}

int lyb_fs_xattr_is_digest(const char *name)
{
	return strcmp(name, "user.lyb.crc32c") == 0 ||
	       strcmp(name, "user.lyb.md5") == 0;
}

int lyb_fs_xattrs(const struct lyb_fs_entry *e, int reader, lyb_fs_xattr_cb cb,
		  void *arg)
{
	char buf[LYB_FS_PATH_MAX + 512], num[32];
	int64_t rows = -1;
	int rc;

	if (!e->ds)
		return 0; /* the root has none */
	if (lyb_fs_xattrs_gated(e) && !reader)
		return 0; /* a version's: for its readers */
	entry_uri(e, buf, sizeof(buf));
	if ((rc = cb(arg, "user.lyb.uri", buf)) ||
	    (rc = cb(arg, "user.lyb.owner", e->ds->owner)))
		return rc;
	if (e->kind == LYB_FS_DATASET) {
		struct lyb_freshness f;

		lyb_freshness_check(e->ds, lyb_now(), &f);
		return cb(arg, "user.lyb.freshness", f.summary);
	}
	if (!e->v)
		return 0;
	if ((rc = cb(arg, "user.lyb.version", e->v->id)))
		return rc;
	if (e->obj) {
		char *url = lyb_object_url(e->loc, e->obj);

		if (!url)
			return -ENOMEM;
		rc = cb(arg, "user.lyb.location", url);
		free(url);
		if (rc)
			return rc;
		rows = e->obj->rows;
	} else if (e->loc && e->kind == LYB_FS_LOCATION) {
		rc = cb(arg, "user.lyb.location",
			e->loc->table ? e->loc->table : e->loc->url);
		if (rc == 0 && e->loc->table)
			rc = cb(arg, "user.lyb.export", e->loc->url);
		if (rc)
			return rc;
		rows = location_rows(e->loc);
	} else if (e->kind == LYB_FS_VERSION || e->kind == LYB_FS_VIEW) {
		rows = e->v->rows;
	}
	if (rows >= 0) {
		snprintf(num, sizeof(num), "%lld", (long long)rows);
		if ((rc = cb(arg, "user.lyb.rows", num)))
			return rc;
	}
	if (!e->obj)
		return 0;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)e->obj->size);
	if ((rc = cb(arg, "user.lyb.size", num)))
		return rc;
	if (!reader) /* lyb_fs_xattr_is_digest(): for readers only */
		return 0;
	if (e->obj->crc32c[0] &&
	    (rc = cb(arg, "user.lyb.crc32c", e->obj->crc32c)))
		return rc;
	if (e->obj->md5[0] && (rc = cb(arg, "user.lyb.md5", e->obj->md5)))
		return rc;
	return 0;
}
