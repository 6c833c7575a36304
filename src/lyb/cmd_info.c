// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_info.c - `lyb info DATASET`: the DataSet card for a terminal.
 *
 * Name and URI, description, owner and contact, the delivery SLO and how
 * today's delivery stands against it, format and copies, readers,
 * counters and the latest version, upstream and downstream DataSets, and
 * the schema as an indented list of fields (lyb_schema_describe). --json
 * prints the card of .lyb/info.json with the same additions (json.c).
 *
 * LYB_NOW (seconds since the epoch, or YYYY-MM-DDTHH:MM:SSZ) overrides the
 * clock for the delivery status, so that tests can pin it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lyb/buf.h"
#include "lyb/freshness.h"
#include "lyb/schema.h"
#include "lyb/text.h"

#define LABEL_W 13
#define SCHEMA_TEXT_MAX (1u << 20)

static void label(const char *name)
{
	printf("%-*s", LABEL_W, name);
}

/* --- times and sizes --- */

static void time_text(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, 32, "%" PRId64, t);
}

static void grouped(uint64_t v, char out[32])
{
	char digits[24];
	size_t n, i, o = 0;

	snprintf(digits, sizeof(digits), "%" PRIu64, v);
	n = strlen(digits);
	for (i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

static void size_text(uint64_t bytes, char out[64])
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	char exact[32];
	double v = (double)bytes;
	int u = -1;

	grouped(bytes, exact);
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, 64, "%s bytes", exact);
	else
		snprintf(out, 64, "%.1f %s (%s bytes)", v, units[u], exact);
}

/* --- the schema --- */

/* A string from the catalog, with every control character made visible. */
static void out(const char *s)
{
	lyb_text_fput(stdout, s);
}

static void schema_print(const struct lyb_dataset *ds)
{
	struct lyb_buf b;

	label("Schema:");
	if (!ds->schema) {
		printf("none\n");
		return;
	}
	lyb_buf_init(&b, SCHEMA_TEXT_MAX);
	if (lyb_schema_describe(ds->schema, LABEL_W + 2, &b) == 0) {
		char *line = b.data, *nl;

		/* names and docs are the writer's: each line escaped */
		for (; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			out(line);
			putchar('\n');
			if (!nl)
				break;
		}
	} else
		printf("unreadable\n");
	lyb_buf_free(&b);
}

/* --- the card --- */

static void list_print(const char *name, char **items, size_t n)
{
	size_t i;

	label(name);
	if (n == 0)
		printf("none");
	for (i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		out(items[i]);
	}
	putchar('\n');
}

struct downstream {
	size_t n;
};

static void downstream_one(void *arg, const struct lyb_dataset *ds)
{
	struct downstream *d = arg;

	printf("%s", d->n++ ? ", " : "");
	out(ds->name);
}

static void location_print(const struct lyb_location *loc)
{
	const char *kind = lyb_loc_kind_name(loc->kind);
	char size[64];
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < loc->nobjects; i++)
		bytes += loc->objects[i].size;
	size_text(bytes, size);
	printf("%*s%-5s ", LABEL_W + 2, "", kind);
	out(loc->table ? loc->table : loc->url);
	if (loc->table) {
		printf(" (export ");
		out(loc->url);
		putchar(')');
	}
	printf(": %zu file%s, %s", loc->nobjects, loc->nobjects == 1 ? "" : "s",
	       size);
	if (loc->format) {
		printf(", ");
		out(loc->format);
		if (loc->compression && strcmp(loc->compression, "none")) {
			putchar(' ');
			out(loc->compression);
		}
	}
	putchar('\n');
}

static void latest_print(const struct lyb_dataset *ds)
{
	const struct lyb_date *d = lyb_dataset_latest_date(ds);
	const struct lyb_version *v;
	char rows[32], size[64], when[32];
	size_t i;

	label("Counters:");
	if (!d) {
		printf("none (no version yet)\n");
		label("Latest:");
		printf("none\n");
		return;
	}
	v = d->latest;
	size_text(v->bytes, size);
	if (v->rows >= 0) {
		grouped((uint64_t)v->rows, rows);
		printf("%s rows, %s in the latest version\n", rows, size);
	} else {
		printf("rows unknown, %s in the latest version\n", size);
	}
	time_text(v->published, when);
	label("Latest:");
	printf("%s/%s, published %s by ", v->date, v->id, when);
	out(v->producer ? v->producer : "unknown");
	putchar('\n');
	printf("%*s%zu date%s, %zu version%s in all\n", LABEL_W, "", ds->ndates,
	       ds->ndates == 1 ? "" : "s", ds->nversions,
	       ds->nversions == 1 ? "" : "s");
	for (i = 0; i < v->nlocations; i++)
		location_print(&v->locations[i]);
	for (i = 0; i < v->nupstream; i++) {
		printf("%*s%s ", LABEL_W + 2, "", i ? "    " : "from");
		out(v->upstream[i].dataset);
		putchar('@');
		out(v->upstream[i].date);
		putchar('/');
		out(v->upstream[i].id);
		putchar('\n');
	}
}

static void card_print(const struct lyb_snap *snap,
		       const struct lyb_dataset *ds, int64_t now)
{
	struct downstream down = {0};
	const struct lyb_date *d = lyb_dataset_latest_date(ds);
	const char *format = ds->data_format ? ds->data_format : "avro";
	size_t i;

	printf("%s\n", ds->name);
	label("URI:");
	printf("lyb://%s\n", ds->name);
	label("Description:");
	out(ds->description && ds->description[0] ? ds->description : "none");
	putchar('\n');
	label("Owner:");
	out(ds->owner);
	putchar('\n');
	label("Contact:");
	if (ds->channel || ds->pm) {
		if (ds->channel) {
			printf("channel ");
			out(ds->channel);
		}
		if (ds->pm) {
			printf("%sPM ", ds->channel ? ", " : "");
			out(ds->pm);
		}
		putchar('\n');
	} else {
		printf("none\n");
	}
	label("SLO:");
	if (ds->slo_frequency && ds->slo_deadline) {
		out(ds->slo_frequency);
		printf(" by ");
		out(ds->slo_deadline);
		putchar(' ');
		out(ds->slo_timezone ? ds->slo_timezone : "UTC");
		putchar('\n');
	} else
		printf("none defined\n");
	{
		struct lyb_freshness f;

		lyb_freshness_check(ds, now, &f);
		label("Delivery:");
		printf("%s\n", f.summary);
	}
	label("Format:");
	out(format);
	if (d) {
		const struct lyb_version *v = d->latest;

		printf("; the latest version is in");
		for (i = 0; i < v->nlocations; i++)
			printf("%s%s", i ? " and " : " ",
			       v->locations[i].kind == LYB_LOC_SNOW
				       ? "Snowflake (snow)"
				       : "GCS (gs)");
	}
	putchar('\n');
	list_print("Readers:", ds->readers, ds->nreaders);
	list_print("Upstream:", ds->upstream, ds->nupstream);
	label("Downstream:");
	lyb_snap_downstream(snap, ds->name, downstream_one, &down);
	printf("%s\n", down.n ? "" : "none");
	latest_print(ds);
	schema_print(ds);
}

struct info_opts {
	int json;
};

static const struct lyb_opt info_opts[] = {
	LYB_FLAG("json", 0, struct info_opts, json,
		 "one JSON document (fields: docs/cli.md)"),
	{0},
};

static int info(struct lyb_cli *cli, const void *opts, int argc, char **argv)
{
	const struct info_opts *o = opts;
	struct lyb_catalog *cat = NULL;
	struct lyb_snap *snap = NULL;
	struct lyb_dataset *ds = NULL;
	const char *name;
	int rc;
	int64_t now;

	if (argc != 2) {
		lyb_cli_fail("info", "expected one DataSet (usage: lyb info "
				     "DATASET)");
		return -EINVAL;
	}
	name = lyb_cli_dataset_arg(argv[1]);
	if (!name)
		return -EINVAL;
	now = lyb_now();
	rc = lyb_cli_open(cli, 0, &cat, &snap);
	if (rc)
		return rc;
	rc = lyb_cli_dataset(cat, snap, name, NULL, &ds);
	if (rc == 0 && o->json)
		rc = lyb_json_card(snap, ds, now);
	else if (rc == 0)
		card_print(snap, ds, now);
	lyb_dataset_unref(ds);
	lyb_snap_unref(snap);
	lyb_catalog_close(cat);
	return rc;
}

const struct lyb_cmd lyb_cmd_info = {"info", info, info_opts,
				     sizeof(struct info_opts), "DATASET"};
