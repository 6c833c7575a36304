// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_status.c - `lyb status [MOUNTPOINT]`: a running mount's health and
 * its main figures, read from MOUNTPOINT/.lyb/health and .lyb/metrics
 * (default: lyb_cli_mountpoint()). Exits non-zero when the mount is not
 * healthy or not there. --json prints the same as JSON (json.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lyb/buf.h"
#include "lyb/text.h"

#define LINE_MAX_LEN 4096
#define HEALTH_MAX (64u << 10) /* the health text kept for --json */

struct status_opts {
	int json;
};

static const struct lyb_opt status_opts[] = {
	LYB_FLAG("json", 0, struct status_opts, json,
		 "one JSON document (fields: docs/cli.md)"),
	{0},
};

/* Metrics worth a line, unlabelled or summed over their labels. */
static const char *const shown[] = {
	"lyb_catalog_datasets",	   "lyb_catalog_versions",
	"lyb_catalog_age_seconds", "lyb_datasets_overdue",
	"lyb_open_files",	   "lyb_served_bytes_total",
	"lyb_store_bytes_total",   "lyb_store_requests_total",
	"lyb_fuse_requests_total", NULL};

static FILE *open_in(const char *mnt, const char *name, const char **why)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/.lyb/%s", mnt, name);
	f = fopen(path, "re");
	if (!f)
		*why = strerror(errno);
	return f;
}

static int status(struct lyb_cli *cli, const void *opts, int argc, char **argv)
{
	const struct status_opts *o = opts;
	double sums[sizeof(shown) / sizeof(shown[0])] = {0};
	const char *mnt, *why = "";
	char line[LINE_MAX_LEN];
	struct lyb_buf health;
	int healthy = 1, rc = 0, full = 0;
	size_t i;
	FILE *f;

	if (argc > 2) {
		lyb_cli_fail("status", "expected at most a mountpoint");
		return -EINVAL;
	}
	mnt = argc > 1 ? argv[1] : lyb_cli_mountpoint(cli);

	f = open_in(mnt, "health", &why);
	if (!f) {
		lyb_cli_fail(mnt, "not a lybfs mount (%s)", why);
		return -ENOENT;
	}
	lyb_buf_init(&health, HEALTH_MAX);
	if (!o->json)
		printf("%s: ", mnt);
	while (fgets(line, sizeof(line), f)) {
		healthy &= strcmp(line, "ok\n") == 0;
		if (!o->json) { /* may quote a store's error: escaped */
			line[strcspn(line, "\n")] = '\0';
			lyb_text_fput(stdout, line);
			putchar('\n');
		} else if (!full && lyb_buf_addstr(&health, line) != 0)
			full = 1; /* what fits of an overlong text is shown */
	}
	fclose(f);

	f = open_in(mnt, "metrics", &why);
	if (!f) {
		lyb_cli_fail(mnt, "reading metrics: %s", why);
		lyb_buf_free(&health);
		return -EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		char *value = strrchr(line, ' ');
		size_t n = strcspn(line, "{ ");

		if (line[0] == '#' || !value)
			continue;
		for (i = 0; shown[i]; i++)
			if (strlen(shown[i]) == n &&
			    strncmp(line, shown[i], n) == 0)
				sums[i] += strtod(value + 1, NULL);
	}
	fclose(f);
	if (o->json)
		rc = lyb_json_status(mnt, healthy,
				     health.data ? health.data : "", shown,
				     sums);
	else
		for (i = 0; shown[i]; i++)
			printf("  %-26s %.0f\n", shown[i], sums[i]);
	lyb_buf_free(&health);
	if (rc)
		return rc;
	return healthy ? 0 : -EIO;
}

const struct lyb_cmd lyb_cmd_status = {"status", status, status_opts,
				       sizeof(struct status_opts), "DIR"};
