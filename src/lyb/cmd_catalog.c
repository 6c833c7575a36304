// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_catalog.c - `lyb catalog`: the catalog as a whole.
 *   lyb catalog format             prints 1 or 2 (and "upgrading")
 *   lyb catalog init [--format N]  makes an empty catalog (default 2)
 *   lyb catalog upgrade            converts format 1 to 2, in place
 *   lyb catalog checkpoint         writes a format 2 checkpoint
 * docs/catalog.md describes both formats and the upgrade.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct catalog_opts {
	long format;
};

static const struct lyb_opt catalog_opts[] = {
	LYB_INT("format", 0, struct catalog_opts, format, "1|2",
		"init: the new catalog's format (default " LYB_OPT_STR(
			LYB_CATALOG_NEW) ")",
		NULL, 1, 2),
	{0},
};

static int catalog(struct lyb_cli *cli, const void *opts, int argc, char **argv)
{
	const struct catalog_opts *o = opts;
	struct lyb_catalog *cat = NULL;
	const char *sub = argc >= 2 ? argv[1] : "";
	char err[1024] = "", what[64];
	int rc, format = o->format ? (int)o->format : LYB_CATALOG_NEW;

	if (strcmp(sub, "help") == 0) {
		lyb_cli_usage("catalog", 0);
		return 0;
	}
	if (strcmp(sub, "format") && strcmp(sub, "init") &&
	    strcmp(sub, "upgrade") && strcmp(sub, "checkpoint")) {
		lyb_cli_fail("catalog", "%s",
			     argc < 2 ? "missing subcommand (format, init, "
					"upgrade, checkpoint)"
				      : "unknown subcommand");
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "catalog %s", sub);
	if (argc > 2) {
		lyb_cli_fail(what, "too many arguments");
		return -EINVAL;
	}
	if (o->format && strcmp(sub, "init") != 0) {
		lyb_cli_fail("--format", "only for lyb catalog init");
		return -EINVAL;
	}
	rc = lyb_cli_open_one(cli, strcmp(sub, "init") == 0 ? format : 0, &cat);
	if (rc)
		return rc;
	if (strcmp(sub, "format") == 0 || strcmp(sub, "init") == 0) {
		printf("%d\n", lyb_catalog_format(cat));
	} else if (strcmp(sub, "upgrade") == 0) {
		rc = lyb_catalog_upgrade(cat, err, sizeof(err));
		if (rc == 0)
			lyb_cli_note(cli, "%s is format 2",
				     lyb_catalog_url(cat));
	} else {
		rc = lyb_catalog_checkpoint(cat, err, sizeof(err));
	}
	if (rc)
		lyb_cli_fail(what, "%s", err[0] ? err : strerror(-rc));
	lyb_catalog_close(cat);
	return rc;
}

const struct lyb_cmd lyb_cmd_catalog = {"catalog", catalog, catalog_opts,
					sizeof(struct catalog_opts),
					"format|init|upgrade|checkpoint"};
