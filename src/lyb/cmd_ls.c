// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_ls.c - `lyb ls [--late] [--json] [DATASET]`: the DataSets of the catalog
 * (with --late, only those late or missing now, with why), or the
 * partition dates of one DataSet as the table of the user story:
 *
 *   Date        |  Version Count  |  Latest Version  |  Location
 *   ==========================================================...
 *   2020-09-01  |        1        |     912ec8       |   gs://...
 *               |                 |                  |   snow://...
 *
 * One row per date with the latest version's first location, then one
 * continuation row per further location (gs shows its URL, snow its
 * snow:// table). The '=' rule is as long as the longest line; the
 * version column widens only for ids longer than 12 characters. --json
 * prints the same as JSON (json.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lyb/freshness.h"
#include "lyb/text.h"

#define DATE_W 12  /* "2020-09-01  " */
#define COUNT_W 17 /* "  Version Count  " */
#define ID_W 18	   /* "  Latest Version  " */
#define ID_INDENT 5
#define HEADER_LOC "  Location"

static const char *location_text(const struct lyb_location *loc)
{
	if (loc->kind == LYB_LOC_SNOW && loc->table)
		return loc->table;
	return loc->url;
}

static void put_spaces(size_t n)
{
	while (n--)
		putchar(' ');
}

static void put_rule(size_t n)
{
	while (n--)
		putchar('=');
	putchar('\n');
}

static void put_row(const char *date, size_t count, const char *id, size_t id_w,
		    const char *location)
{
	char num[32] = "";
	size_t n, left;

	printf("%-*s|", DATE_W, date);
	if (count)
		snprintf(num, sizeof(num), "%zu", count);
	n = strlen(num);
	left = n < COUNT_W ? (COUNT_W - n) / 2 : 0;
	put_spaces(left);
	fputs(num, stdout);
	put_spaces(n + left < COUNT_W ? COUNT_W - n - left : 1);
	putchar('|');
	if (id[0]) {
		put_spaces(ID_INDENT);
		printf("%-*s", (int)(id_w - ID_INDENT), id);
	} else {
		put_spaces(id_w);
	}
	printf("|   ");
	lyb_text_fput(stdout, location); /* a catalog writer's URL */
	putchar('\n');
}

static int ls_dataset(const struct lyb_dataset *ds)
{
	size_t i, j, id_w = ID_W, line, longest;

	/* widths first: the version column and the rule depend on them */
	for (i = 0; i < ds->ndates; i++) {
		size_t n = strlen(ds->dates[i].latest->id) + ID_INDENT + 1;

		if (n > id_w)
			id_w = n;
	}
	longest = DATE_W + 1 + COUNT_W + 1 + id_w + 1 + strlen(HEADER_LOC);
	for (i = 0; i < ds->ndates; i++) {
		const struct lyb_version *v = ds->dates[i].latest;

		for (j = 0; j < v->nlocations; j++) {
			line = DATE_W + 1 + COUNT_W + 1 + id_w + 1 + 3 +
			       strlen(location_text(&v->locations[j]));
			if (line > longest)
				longest = line;
		}
	}

	printf("%-*s|  Version Count  |  %-*s|" HEADER_LOC "\n", DATE_W, "Date",
	       (int)(id_w - 2), "Latest Version");
	put_rule(longest);
	for (i = 0; i < ds->ndates; i++) {
		const struct lyb_date *d = &ds->dates[i];
		const struct lyb_version *v = d->latest;

		put_row(d->date, d->count, v->id, id_w,
			v->nlocations ? location_text(&v->locations[0]) : "");
		for (j = 1; j < v->nlocations; j++)
			put_row("", 0, "", id_w,
				location_text(&v->locations[j]));
	}
	return 0;
}

struct ls_opts {
	int late, json;
};

static const struct lyb_opt ls_opts[] = {
	LYB_FLAG("late", 0, struct ls_opts, late,
		 "only DataSets late or missing now, and why"),
	LYB_FLAG("json", 0, struct ls_opts, json,
		 "one JSON document (fields: docs/cli.md)"),
	{0},
};

static int ls(struct lyb_cli *cli, const void *opts, int argc, char **argv)
{
	const struct ls_opts *o = opts;
	struct lyb_catalog *cat = NULL;
	struct lyb_snap *snap = NULL;
	struct lyb_dataset *ds = NULL;
	const char *name = NULL;
	int rc, late = o->late;
	int64_t now = lyb_now();
	size_t i;

	if (argc - 1 > (late ? 0 : 1)) {
		lyb_cli_fail("ls", "too many arguments (usage: lyb ls "
				   "[DATASET])");
		return -EINVAL;
	}
	if (argc > 1) {
		name = lyb_cli_dataset_arg(argv[1]);
		if (!name)
			return -EINVAL;
	}

	rc = lyb_cli_open(cli, 0, &cat, &snap);
	if (rc)
		return rc;
	if (!name && o->json) {
		rc = lyb_json_datasets(lyb_catalog_url(cat), snap, now, late);
		goto out_close;
	}
	if (!name) {
		for (i = 0; i < snap->ndatasets; i++) {
			struct lyb_freshness f;

			lyb_freshness_check(snap->datasets[i], now, &f);
			if (!late)
				printf("%s\n", snap->datasets[i]->name);
			else if (lyb_freshness_overdue(&f))
				printf("%s  %s\n", snap->datasets[i]->name,
				       f.summary);
		}
		goto out_close;
	}
	rc = lyb_cli_dataset(cat, snap, name, NULL, &ds);
	if (rc)
		goto out_close;
	rc = lyb_cli_may_read(cli, ds);
	if (rc == 0)
		rc = o->json ? lyb_json_dates(ds) : ls_dataset(ds);
	lyb_dataset_unref(ds);
out_close:
	lyb_snap_unref(snap);
	lyb_catalog_close(cat);
	return rc;
}

const struct lyb_cmd lyb_cmd_ls = {"ls", ls, ls_opts, sizeof(struct ls_opts),
				   "DATASET"};
