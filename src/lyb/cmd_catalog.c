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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_common(struct lyb_cli *cli, const char *what, int argc,
			char **argv, int *format)
{
	static const struct option opts[] = {
		LYB_CLI_LONGOPTS,
		{"format", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	int c, done = 0;

	while ((c = getopt_long(argc, argv, LYB_CLI_SHORTOPTS, opts, NULL)) !=
	       -1) {
		if (c == 'F' && format) {
			if (strcmp(optarg, "1") && strcmp(optarg, "2")) {
				lyb_cli_fail("--format", "expected 1 or 2");
				return -EINVAL;
			}
			*format = optarg[0] - '0';
			continue;
		}
		if (lyb_cli_common_opt(cli, what, c, optarg, &done)) {
			if (done)
				return done < 0 ? done : 1;
			continue;
		}
		lyb_cli_bad_option(what, c, argv);
		return -EINVAL;
	}
	if (optind != argc) {
		lyb_cli_fail(what, "too many arguments");
		return -EINVAL;
	}
	return 0;
}

int lyb_cmd_catalog(struct lyb_cli *cli, int argc, char **argv)
{
	struct lyb_catalog *cat = NULL;
	const char *sub = argc >= 2 ? argv[1] : "";
	char err[1024] = "", what[64];
	int rc, format = LYB_CATALOG_NEW;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 ||
	    strcmp(sub, "help") == 0) {
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
	rc = parse_common(cli, what, argc - 1, argv + 1,
			  strcmp(sub, "init") == 0 ? &format : NULL);
	if (rc)
		return rc < 0 ? rc : 0;
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
