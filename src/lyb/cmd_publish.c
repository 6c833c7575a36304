// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_publish.c - `lyb publish DATASET DATE --gs URL [--snow TABLE=URL]
 * [--upstream DATASET@DATE/VERSION]... [--producer TEXT] [--jobs N]
 * [--quiet] [--no-page-crcs]`: registers a version from objects a
 * pipeline has already written, and writes each large object's page CRC
 * sidecar beside it (publish.h) unless --no-page-crcs.
 *
 * Each location is scanned (lyb_publish_scan: manifest, checksums, row
 * counts, writer schemas checked against the DataSet's), --jobs objects
 * at a time. While it reads, a line on stderr says how far it is
 * (objects, bytes, rate), only when stderr is a terminal and not
 * --quiet; it ends with a summary line. The version's rows are the sum over the
 * gs objects when all are known, else over the snow export; its bytes are the
 * size of the gs location, or of the snow export when there is no gs copy.
 * Upstream versions must exist in the catalog. The catalog derives the id from
 * the content, so the same bytes published again print the same id.
 *
 * A snow table given as snow://DB/TABLE (no version part) is completed
 * with the version id, as in snow://artist-metadata/dominant_genres/912ec8.
 * The id is predicted from the content digest the way the catalog assigns
 * it against the current snapshot; only a concurrent publish of another
 * version whose digest shares the first six hex digits could make the two
 * differ, and then only the table's name is affected.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lyb/publish.h"

#define UPSTREAM_MAX 1024
#define PRODUCER_MAX 1024
#define TABLE_MAX 1024
#define SCAN_ERR_MAX (16u << 10) /* every refused object, one line each */

struct publish_opts {
	const char *gs;
	const char *snow; /* TABLE=URL */
	const char *producer;
	struct lyb_opt_list upstream;
	long jobs;
	int quiet;
	int no_page_crcs;
};

static const struct lyb_opt publish_opts[] = {
	LYB_STRING("gs", 'g', struct publish_opts, gs, "URL",
		   "its Avro objects: gs://BUCKET/PREFIX or file:///DIR", NULL),
	LYB_STRING("snow", 's', struct publish_opts, snow, "SNOW_TABLE=URL",
		   "its Snowflake table and export files", NULL),
	LYB_LIST("upstream", 'u', struct publish_opts, upstream,
		 "DATASET@DATE/VERSION", "the version it was computed from",
		 UPSTREAM_MAX),
	LYB_STRING("producer", 'p', struct publish_opts, producer, "TEXT",
		   "who made it (default: user:LOGIN@HOST)", NULL),
	LYB_INT("jobs", 'j', struct publish_opts, jobs, "N",
		"objects read at a time", LYB_OPT_STR(LYB_PUBLISH_JOBS_DEFAULT),
		1, LYB_PUBLISH_JOBS_MAX),
	LYB_FLAG("quiet", 'q', struct publish_opts, quiet,
		 "no progress on a terminal"),
	LYB_FLAG("no-page-crcs", 0, struct publish_opts, no_page_crcs,
		 "write no page CRC sidecars beside the objects"),
	{0},
};

/* The progress line of one location scan, on a terminal. */
struct progress {
	const char *url;
	int shown; /* a line is on the terminal */
};

/* @n bytes for people: "812 KiB", "3.4 MiB", "1.2 GiB". */
static void human(uint64_t n, char *out, size_t len)
{
	if (n < (1u << 20))
		snprintf(out, len, "%llu KiB", (unsigned long long)(n >> 10));
	else if (n < (1u << 30))
		snprintf(out, len, "%.1f MiB", (double)n / (1u << 20));
	else
		snprintf(out, len, "%.1f GiB", (double)n / (1u << 30));
}

static void progress_show(void *arg, const struct lyb_publish_progress *p)
{
	struct progress *pr = arg;
	char done[32], total[32];
	double mbs =
		p->seconds > 0 ? (double)p->bytes_done / 1e6 / p->seconds : 0;

	human(p->bytes_done, done, sizeof(done));
	human(p->bytes, total, sizeof(total));
	if (p->done) {
		if (pr->shown)
			fprintf(stderr,
				"\rlyb: %s: %zu object%s, %s in %.1f s (%.1f "
				"MB/s)\033[K\n",
				pr->url, p->objects, p->objects == 1 ? "" : "s",
				done, p->seconds, mbs);
		pr->shown = 0;
	} else if (strcmp(p->phase, "headers") == 0) {
		fprintf(stderr, "\rlyb: %s: headers %zu/%zu\033[K", pr->url,
			p->objects_done, p->objects);
		pr->shown = 1;
	} else {
		fprintf(stderr,
			"\rlyb: %s: %zu/%zu objects, %s of %s, %.1f MB/s\033[K",
			pr->url, p->objects_done, p->objects, done, total, mbs);
		pr->shown = 1;
	}
	fflush(stderr);
}

/* "DS@YYYY-MM-DD/ID" or "lyb://DS/YYYY-MM-DD/ID" */
static int vref_parse(const char *arg, struct lyb_vref *r)
{
	const char *s = arg, *sep, *date;
	size_t n;

	if (strncmp(s, "lyb://", 6) == 0) {
		s += 6;
		sep = strchr(s, '/');
	} else {
		sep = strchr(s, '@');
	}
	if (!sep)
		goto out_bad;
	n = (size_t)(sep - s);
	date = sep + 1;
	if (n == 0 || n > LYB_NAME_MAX || strlen(date) < LYB_DATE_LEN + 2 ||
	    date[LYB_DATE_LEN] != '/' ||
	    strlen(date + LYB_DATE_LEN + 1) > LYB_ID_MAX)
		goto out_bad;
	r->dataset = strndup(s, n);
	if (!r->dataset) {
		lyb_cli_fail("--upstream", "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	memcpy(r->date, date, LYB_DATE_LEN);
	r->date[LYB_DATE_LEN] = '\0';
	memcpy(r->id, date + LYB_DATE_LEN + 1,
	       strlen(date + LYB_DATE_LEN + 1) + 1);
	if (!lyb_name_valid(r->dataset) || !lyb_date_valid(r->date) ||
	    !lyb_id_valid(r->id))
		goto out_bad;
	return 0;
out_bad:
	lyb_cli_fail("--upstream",
		     "\"%s\": expected DATASET@YYYY-MM-DD/VERSION", arg);
	return -EINVAL;
}

static int upstream_fill(const struct publish_opts *o, struct lyb_catalog *cat,
			 struct lyb_version *v)
{
	size_t i, j;
	int rc;

	if (o->upstream.n == 0)
		return 0;
	v->upstream = calloc(o->upstream.n, sizeof(*v->upstream));
	if (!v->upstream) {
		lyb_cli_fail("--upstream", "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (i = 0; i < o->upstream.n; i++) {
		struct lyb_vref *r = &v->upstream[i];
		struct lyb_dataset *up = NULL, *part = NULL;
		char err[512];

		v->nupstream = i + 1; /* so that a partial parse is freed */
		rc = vref_parse(o->upstream.v[i], r);
		if (rc)
			return rc;
		rc = lyb_catalog_get(cat, r->dataset, &up, err, sizeof(err));
		if (rc) {
			lyb_cli_fail("--upstream", "%s",
				     rc == -ENOENT ? "no such DataSet" : err);
			return rc;
		}
		rc = lyb_dataset_part(up, r->date, &part);
		lyb_dataset_unref(up);
		if (rc) {
			lyb_cli_fail("--upstream",
				     "%s: its versions do not "
				     "load: %s",
				     r->dataset, strerror(-rc));
			return rc;
		}
		rc = lyb_dataset_find_version(part, r->date, r->id) ? 0
								    : -ENOENT;
		lyb_dataset_unref(part);
		if (rc) {
			lyb_cli_fail("--upstream", "%s@%s/%s: no such version",
				     r->dataset, r->date, r->id);
			return -ENOENT;
		}
		for (j = 0; j < i; j++)
			if (strcmp(r->dataset, v->upstream[j].dataset) == 0 &&
			    strcmp(r->date, v->upstream[j].date) == 0 &&
			    strcmp(r->id, v->upstream[j].id) == 0) {
				lyb_cli_fail("--upstream", "%s is given twice",
					     o->upstream.v[i]);
				return -EINVAL;
			}
	}
	return 0;
}

/*
 * Splits TABLE=URL. The table is snow://DB/TABLE/VERSION or snow://DB/TABLE
 * (*@complete = 1: the version id is appended once known).
 */
static int snow_arg_parse(const char *arg, char **table, const char **url,
			  int *complete)
{
	const char *eq, *p;
	size_t n, parts = 1;

	*complete = 0;
	if (strncmp(arg, "snow://", 7) != 0)
		goto out_bad;
	eq = strchr(arg, '=');
	if (!eq || eq[1] == '\0')
		goto out_bad;
	n = (size_t)(eq - arg);
	if (n > TABLE_MAX)
		goto out_bad;
	for (p = arg + 7; p < eq; p++) {
		if (*p == '/') {
			if (p == arg + 7 || p[-1] == '/' || p + 1 == eq)
				goto out_bad;
			parts++;
		} else if (!((*p >= 'a' && *p <= 'z') ||
			     (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-' ||
			     *p == '_' || *p == '.' || *p == '$')) {
			goto out_bad;
		}
	}
	if (parts != 2 && parts != 3)
		goto out_bad;
	*complete = parts == 2;
	*table = strndup(arg, n);
	if (!*table) {
		lyb_cli_fail("--snow", "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	*url = eq + 1;
	return 0;
out_bad:
	lyb_cli_fail("--snow", "\"%s\": expected snow://DB/TABLE[/VERSION]=URL",
		     arg);
	return -EINVAL;
}

/*
 * The id the catalog will give @digest in @ds: that of a version with the
 * same digest, else the shortest prefix from LYB_ID_MIN characters, two
 * at a time, that no other version's id equals (catalog.c's rule).
 */
static void id_predict(const struct lyb_dataset *ds, const char *digest,
		       char id[LYB_ID_MAX + 1])
{
	size_t i, n = LYB_ID_MIN;

	for (i = 0; i < ds->nversions; i++) {
		if (strcmp(ds->versions[i].digest, digest) == 0) {
			memcpy(id, ds->versions[i].id, LYB_ID_MAX + 1);
			return;
		}
	}
	for (;;) {
		for (i = 0; i < ds->nversions; i++)
			if (strlen(ds->versions[i].id) == n &&
			    strncmp(ds->versions[i].id, digest, n) == 0)
				break;
		if (i == ds->nversions || n >= LYB_ID_MAX)
			break;
		n += 2;
	}
	memcpy(id, digest, n);
	id[n] = '\0';
}

static int table_complete(const struct lyb_dataset *ds, struct lyb_version *v,
			  struct lyb_location *snow)
{
	char digest[LYB_SHA256_HEX_LEN + 1], id[LYB_ID_MAX + 1], *t;
	size_t n;
	int rc;

	rc = lyb_version_digest(v, digest);
	if (rc) {
		lyb_cli_fail("computing the version digest", "%s",
			     strerror(-rc));
		return rc;
	}
	id_predict(ds, digest, id);
	n = strlen(snow->table) + 1 + strlen(id) + 1;
	t = malloc(n);
	if (!t) {
		lyb_cli_fail("--snow", "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	snprintf(t, n, "%s/%s", snow->table, id);
	free(snow->table);
	snow->table = t;
	return 0;
}

/* "user:LOGIN@HOST", else $USER, else "unknown". */
static char *producer_default(void)
{
	const struct passwd *pw = getpwuid(geteuid());
	const char *login = pw && pw->pw_name ? pw->pw_name : getenv("USER");
	char host[256], *s;
	size_t n;

	if (!login || !login[0])
		return strdup("unknown");
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		return strdup(login);
	host[sizeof(host) - 1] = '\0';
	n = strlen("user:") + strlen(login) + 1 + strlen(host) + 1;
	s = malloc(n);
	if (s)
		snprintf(s, n, "user:%s@%s", login, host);
	return s;
}

/* Sums rows (-1 if any is unknown) and sizes of one location. */
static void location_sums(const struct lyb_location *loc, int64_t *rows,
			  uint64_t *bytes)
{
	size_t i;

	*rows = 0;
	*bytes = 0;
	for (i = 0; i < loc->nobjects; i++) {
		if (loc->objects[i].rows < 0 || *rows < 0)
			*rows = -1;
		else
			*rows += loc->objects[i].rows;
		*bytes += loc->objects[i].size;
	}
}

static int location_scan(enum lyb_loc_kind kind, const char *url,
			 const char *table, const struct publish_opts *o,
			 const char *schema, struct lyb_location *loc)
{
	struct progress pr = {.url = url};
	struct lyb_publish_opts po = {.jobs = (unsigned)o->jobs,
				      .no_page_crcs = o->no_page_crcs,
				      .schema = schema};
	char *err = malloc(SCAN_ERR_MAX), what[64];
	int rc;

	if (!err) {
		lyb_cli_fail(url, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (!o->quiet && isatty(STDERR_FILENO)) {
		po.progress = progress_show;
		po.progress_arg = &pr;
	}
	err[0] = '\0';
	rc = lyb_publish_scan(kind, url, table, &po, loc, err, SCAN_ERR_MAX);
	if (rc) {
		snprintf(what, sizeof(what), "scanning the %s location",
			 lyb_loc_kind_name(kind));
		lyb_cli_fail(what, "%s", err[0] ? err : strerror(-rc));
	} else if (err[0]) {
		fprintf(stderr, "lyb: warning: %s\n", err);
	}
	free(err);
	return rc;
}

static int publish(struct lyb_cli *cli, const char *name, const char *date,
		   const struct publish_opts *o)
{
	struct lyb_catalog *cat = NULL;
	struct lyb_dataset *ds = NULL;
	struct lyb_version v;
	struct lyb_location *gs = NULL, *snow = NULL;
	char *table = NULL, err[1024], what[LYB_NAME_MAX + 64];
	char id[LYB_ID_MAX + 1];
	const char *snow_url = NULL;
	int complete = 0, existed = 0, rc;
	int64_t gs_rows = -1, snow_rows = -1;
	uint64_t gs_bytes = 0, snow_bytes = 0;

	memset(&v, 0, sizeof(v));
	memcpy(v.date, date, LYB_DATE_LEN + 1);
	if (o->snow) {
		rc = snow_arg_parse(o->snow, &table, &snow_url, &complete);
		if (rc)
			return rc;
	}
	v.producer = o->producer ? strdup(o->producer) : producer_default();
	v.locations = calloc(LYB_LOC_COUNT, sizeof(*v.locations));
	if (!v.producer || !v.locations) {
		lyb_cli_fail("publish", "%s", strerror(ENOMEM));
		rc = -ENOMEM;
		goto out_free;
	}

	rc = lyb_cli_confine(cli);
	if (rc == 0)
		rc = lyb_cli_open_one(cli, 0, &cat);
	if (rc)
		goto out_free;
	rc = lyb_catalog_get(cat, name, &ds, err, sizeof(err));
	if (rc == -ENOENT) {
		lyb_cli_fail(name,
			     "no such DataSet in %s (create it with `lyb "
			     "dataset create`)",
			     lyb_catalog_url(cat));
		goto out_close;
	}
	if (rc) {
		lyb_cli_fail(name, "%s", err);
		goto out_close;
	}
	rc = upstream_fill(o, cat, &v);
	if (rc)
		goto out_close;

	/* locations in kind order: gs first, then snow */
	if (o->gs) {
		gs = &v.locations[v.nlocations];
		rc = location_scan(LYB_LOC_GS, o->gs, NULL, o, ds->schema, gs);
		if (rc)
			goto out_close;
		v.nlocations++;
		location_sums(gs, &gs_rows, &gs_bytes);
		lyb_cli_note(cli, "gs %s: %zu object%s", gs->url, gs->nobjects,
			     gs->nobjects == 1 ? "" : "s");
	}
	if (o->snow) {
		snow = &v.locations[v.nlocations];
		rc = location_scan(LYB_LOC_SNOW, snow_url, table, o, NULL,
				   snow);
		if (rc)
			goto out_close;
		v.nlocations++;
		location_sums(snow, &snow_rows, &snow_bytes);
		lyb_cli_note(cli, "snow %s: %zu file%s", snow->url,
			     snow->nobjects, snow->nobjects == 1 ? "" : "s");
	}
	if (gs && snow && gs_rows >= 0 && snow_rows >= 0 &&
	    gs_rows != snow_rows)
		lyb_cli_note(cli,
			     "the gs copy has %lld rows, the snow export "
			     "%lld",
			     (long long)gs_rows, (long long)snow_rows);
	v.rows = gs_rows >= 0 ? gs_rows : snow_rows;
	v.bytes = gs ? gs_bytes : snow_bytes;
	if (complete) {
		struct lyb_dataset *all = NULL;

		/* the id to come: from every version (format 2 loads them) */
		rc = lyb_dataset_part(ds, NULL, &all);
		if (rc == 0)
			rc = table_complete(all, &v, snow);
		lyb_dataset_unref(all);
		if (rc)
			goto out_close;
	}

	snprintf(what, sizeof(what), "publishing %s %s", name, date);
	err[0] = '\0';
	rc = lyb_catalog_publish(cat, name, &v, id, &existed, err, sizeof(err));
	if (rc) {
		lyb_cli_fail(what, "%s", err[0] ? err : strerror(-rc));
		goto out_close;
	}
	if (existed)
		lyb_cli_note(cli,
			     "%s %s: the same content is already version "
			     "%s",
			     name, date, id);
	printf("%s\n", id);
out_close:
	lyb_dataset_unref(ds);
	lyb_catalog_close(cat);
out_free:
	lyb_version_clear(&v);
	free(table);
	return rc;
}

static int publish_cmd(struct lyb_cli *cli, const void *opts, int argc,
		       char **argv)
{
	const struct publish_opts *o = opts;
	const char *name, *date;

	if (o->producer &&
	    (strlen(o->producer) == 0 || strlen(o->producer) > PRODUCER_MAX)) {
		lyb_cli_fail("--producer", "expected 1 to %d bytes",
			     PRODUCER_MAX);
		return -EINVAL;
	}
	if (argc != 3) {
		lyb_cli_fail("publish", "expected DATASET DATE (usage: lyb "
					"publish DATASET DATE --gs URL ...)");
		return -EINVAL;
	}
	name = lyb_cli_dataset_arg(argv[1]);
	date = argv[2];
	if (!name)
		return -EINVAL;
	if (!lyb_date_valid(date)) {
		lyb_cli_fail(date, "not a date (expected YYYY-MM-DD)");
		return -EINVAL;
	}
	if (!o->gs && !o->snow) {
		lyb_cli_fail("publish", "no location: give --gs URL and/or "
					"--snow TABLE=URL");
		return -EINVAL;
	}
	return publish(cli, name, date, o);
}

const struct lyb_cmd lyb_cmd_publish = {"publish", publish_cmd, publish_opts,
					sizeof(struct publish_opts),
					"DATASET DATE"};
