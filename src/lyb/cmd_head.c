// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_head.c - `lyb head [-n N] [--avro-json] DATASET [DATE [gs|snow]]`:
 * the first N records (default 10) of the latest version of DATE
 * (default: the latest date), as JSON lines (plain JSON, or the Avro
 * JSON encoding: decode.h), from the chosen copy (default: gs when there
 * is one). Only the blocks and bytes needed are read.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lyb/decode.h"
#include "lyb/store.h"

struct head {
	long left;
	enum lyb_json_enc enc;
};

static int print_line(void *arg, const char *line, size_t len)
{
	struct head *h = arg;

	if (h->left <= 0)
		return 1;
	fwrite(line, 1, len, stdout);
	return --h->left > 0 ? 0 : 1;
}

/* Prints records of @loc's objects, in manifest order, until done. */
static int head_location(const struct lyb_location *loc, struct head *h)
{
	char err[512] = "", what[4200];
	struct lyb_reader *r;
	size_t i;
	int rc = 0;

	for (i = 0; i < loc->nobjects && h->left > 0 && rc == 0; i++) {
		const struct lyb_object *o = &loc->objects[i];

		snprintf(what, sizeof(what), "%s/%s", loc->url, o->name);
		rc = lyb_object_open(loc, o, &r);
		if (rc) {
			lyb_cli_fail(what, "%s", strerror(-rc));
			break;
		}
		if (loc->kind == LYB_LOC_GS)
			rc = lyb_decode_avro(lyb_reader_read_fn, r, o->size,
					     h->enc, print_line, h, err,
					     sizeof(err));
		else
			rc = lyb_decode_export(lyb_reader_read_fn, r, o->size,
					       strcmp(loc->format, "csv")
						       ? LYB_EXPORT_JSON
						       : LYB_EXPORT_CSV,
					       print_line, h, err, sizeof(err));
		lyb_reader_close(r);
		if (rc)
			lyb_cli_fail(what, "%s", err[0] ? err : strerror(-rc));
	}
	return rc;
}

struct head_opts {
	long lines;
	int avro_json;
};

static const struct lyb_opt head_opts[] = {
	LYB_INT("lines", 'n', struct head_opts, lines, "N",
		"the number of records", "10", 0, LONG_MAX),
	LYB_FLAG("avro-json", 0, struct head_opts, avro_json,
		 "the Avro JSON encoding, as in data.avro.json"),
	{0},
};

static int head(struct lyb_cli *cli, const void *opts, int argc, char **argv)
{
	const struct head_opts *o = opts;
	struct lyb_catalog *cat = NULL;
	struct lyb_snap *snap = NULL;
	const struct lyb_location *loc = NULL;
	const struct lyb_date *d;
	struct lyb_dataset *ds = NULL;
	struct head h = {o->lines,
			 o->avro_json ? LYB_JSON_AVRO : LYB_JSON_PLAIN};
	const char *name;
	enum lyb_loc_kind kind;
	int rc;

	if (argc < 2 || argc > 4) {
		lyb_cli_fail("head", "usage: lyb head [-n N] [--avro-json] "
				     "DATASET [DATE [gs|snow]]");
		return -EINVAL;
	}
	name = lyb_cli_dataset_arg(argv[1]);
	if (!name)
		return -EINVAL;
	if (argc - 1 == 3 && lyb_loc_kind_parse(argv[3], &kind) != 0) {
		lyb_cli_fail(argv[3], "expected gs or snow");
		return -EINVAL;
	}
	rc = lyb_cli_confine(cli);
	if (rc == 0)
		rc = lyb_cli_open(cli, 0, &cat, &snap);
	if (rc)
		return rc;
	ds = lyb_snap_find(snap, name);
	rc = lyb_cli_dataset(cat, snap, name,
			     argc - 1 >= 2		? argv[2]
			     : ds && ds->latest_date[0] ? ds->latest_date
							: NULL,
			     &ds);
	if (rc)
		goto out_close;
	rc = lyb_cli_may_read(cli, ds);
	if (rc)
		goto out_close;
	rc = -ENOENT;
	d = argc - 1 >= 2 ? lyb_dataset_find_date(ds, argv[2])
			  : lyb_dataset_latest_date(ds);
	if (!d) {
		lyb_cli_fail(name, "no partition %s",
			     argc - 1 >= 2 ? argv[2] : "yet");
		goto out_close;
	}
	if (argc - 1 == 3)
		loc = lyb_version_location(d->latest, kind);
	else if (!(loc = lyb_version_location(d->latest, LYB_LOC_GS)))
		loc = lyb_version_location(d->latest, LYB_LOC_SNOW);
	if (!loc) {
		lyb_cli_fail(name, "%s/%s has no %s copy", d->date,
			     d->latest->id, argv[3]);
		goto out_close;
	}
	rc = head_location(loc, &h);
out_close:
	lyb_dataset_unref(ds);
	lyb_snap_unref(snap);
	lyb_catalog_close(cat);
	return rc;
}

const struct lyb_cmd lyb_cmd_head = {"head", head, head_opts,
				     sizeof(struct head_opts),
				     "DATASET DATE gs|snow"};
