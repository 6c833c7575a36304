// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_head.c - `lyb head [-n N] [--avro-json] DATASET [DATE [gs|snow]]`:
 * the first N records (default 10) of the latest version of DATE
 * (default: the latest date), as JSON lines (plain JSON, or the Avro
 * JSON encoding: decode.h), from the chosen copy (default: gs when there
 * is one). Only the blocks and bytes needed are read.
 */
#include <errno.h>
#include <getopt.h>
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

int lyb_cmd_head(struct lyb_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		LYB_CLI_LONGOPTS,
		{"lines", required_argument, NULL, 'n'},
		{"avro-json", no_argument, NULL, 'J'},
		{NULL, 0, NULL, 0},
	};
	struct lyb_catalog *cat = NULL;
	struct lyb_snap *snap = NULL;
	const struct lyb_location *loc = NULL;
	const struct lyb_date *d;
	struct lyb_dataset *ds = NULL;
	struct head h = {10, LYB_JSON_PLAIN};
	const char *name;
	enum lyb_loc_kind kind;
	int c, done = 0, rc;
	char *end;

	while ((c = getopt_long(argc, argv, LYB_CLI_SHORTOPTS "n:", opts,
				NULL)) != -1) {
		if (c == 'J') {
			h.enc = LYB_JSON_AVRO;
			continue;
		}
		if (c == 'n') {
			errno = 0;
			h.left = strtol(optarg, &end, 10);
			if (errno || *end || h.left < 0) {
				lyb_cli_fail("-n",
					     "\"%s\": expected a number "
					     "of records",
					     optarg);
				return -EINVAL;
			}
			continue;
		}
		if (lyb_cli_common_opt(cli, "head", c, optarg, &done)) {
			if (done)
				return done < 0 ? done : 0;
			continue;
		}
		lyb_cli_bad_option("head", c, argv);
		return -EINVAL;
	}
	if (argc - optind < 1 || argc - optind > 3) {
		lyb_cli_fail("head", "usage: lyb head [-n N] [--avro-json] "
				     "DATASET [DATE [gs|snow]]");
		return -EINVAL;
	}
	name = lyb_cli_dataset_arg(argv[optind]);
	if (!name)
		return -EINVAL;
	if (argc - optind == 3 &&
	    lyb_loc_kind_parse(argv[optind + 2], &kind) != 0) {
		lyb_cli_fail(argv[optind + 2], "expected gs or snow");
		return -EINVAL;
	}
	rc = lyb_cli_confine(cli);
	if (rc == 0)
		rc = lyb_cli_open(cli, 0, &cat, &snap);
	if (rc)
		return rc;
	ds = lyb_snap_find(snap, name);
	rc = lyb_cli_dataset(cat, snap, name,
			     argc - optind >= 2		? argv[optind + 1]
			     : ds && ds->latest_date[0] ? ds->latest_date
							: NULL,
			     &ds);
	if (rc)
		goto out_close;
	rc = lyb_cli_may_read(cli, ds);
	if (rc)
		goto out_close;
	rc = -ENOENT;
	d = argc - optind >= 2 ? lyb_dataset_find_date(ds, argv[optind + 1])
			       : lyb_dataset_latest_date(ds);
	if (!d) {
		lyb_cli_fail(name, "no partition %s",
			     argc - optind >= 2 ? argv[optind + 1] : "yet");
		goto out_close;
	}
	if (argc - optind == 3)
		loc = lyb_version_location(d->latest, kind);
	else if (!(loc = lyb_version_location(d->latest, LYB_LOC_GS)))
		loc = lyb_version_location(d->latest, LYB_LOC_SNOW);
	if (!loc) {
		lyb_cli_fail(name, "%s/%s has no %s copy", d->date,
			     d->latest->id, argv[optind + 2]);
		goto out_close;
	}
	rc = head_location(loc, &h);
out_close:
	lyb_dataset_unref(ds);
	lyb_snap_unref(snap);
	lyb_catalog_close(cat);
	return rc;
}
