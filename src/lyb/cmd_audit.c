// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_audit.c - `lyb audit [--file PATH] [--json] [DATASET]`: the mount's
 * audit log (audit.h) as a table (or JSON: json.c), oldest first,
 * optionally of one DataSet. The log is `audit = PATH` of the
 * configuration file, else the daemon's default; it is mode 0600, so this
 * is for the account that runs lybfs. Lines the daemon did not write
 * (over its per-uid rate) show as their summary.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lyb/audit.h"
#include "lyb/text.h"

/*
 * One line of the table. Every field is escaped (lyb_text_escape): the
 * reasons and principals in the log came from local users.
 */
static int row(void *arg, const struct lyb_audit_record *r)
{
	char where[512], ewhere[2048], principal[1024], comm[256], op[128];
	char decision[64], when[160], reason[4 * 4096 + 64], what[160];

	if (strcmp(r->op, "dropped") == 0) {
		/* a summary: lines over the rate limit, counted */
		snprintf(what, sizeof(what),
			 "%lld line(s) of uid %lld not written since %s "
			 "(%lld allowed)",
			 r->count, r->uid, r->since, r->allowed);
		printf("%-24s | %-6s | %-34s | %-6s %-15s | %-8s | %-50s | "
		       "%s\n",
		       lyb_text_escape(r->time, when, sizeof(when)), "-", "",
		       "", "", r->op,
		       lyb_text_escape(what, ewhere, sizeof(ewhere)),
		       lyb_text_escape(r->reason, reason, sizeof(reason)));
		(*(size_t *)arg)++;
		return 0;
	}
	snprintf(where, sizeof(where), "%s%s%s%s%s%s%s", r->dataset,
		 r->date[0] ? "/" : "", r->date, r->version[0] ? "/" : "",
		 r->version, r->location[0] ? "/" : "", r->location);
	printf("%-24s | %-6s | %-34s | %-6lld %-15s | %-8s | %-50s | %s\n",
	       lyb_text_escape(r->time, when, sizeof(when)),
	       lyb_text_escape(r->decision, decision, sizeof(decision)),
	       lyb_text_escape(r->principal, principal, sizeof(principal)),
	       r->pid, lyb_text_escape(r->comm, comm, sizeof(comm)),
	       lyb_text_escape(r->op, op, sizeof(op)),
	       lyb_text_escape(where, ewhere, sizeof(ewhere)),
	       lyb_text_escape(r->reason, reason, sizeof(reason)));
	(*(size_t *)arg)++;
	return 0;
}

struct audit_opts {
	const char *file;
	int json;
};

static const struct lyb_opt audit_opts[] = {
	LYB_STRING("file", 'f', struct audit_opts, file, "PATH",
		   "the audit log to read", NULL),
	LYB_FLAG("json", 0, struct audit_opts, json,
		 "one JSON document (fields: docs/cli.md)"),
	{0},
};

static int audit(struct lyb_cli *cli, const void *opts, int argc, char **argv)
{
	const struct audit_opts *o = opts;
	const char *path = o->file, *name = NULL;
	struct lyb_json_list l = {0};
	size_t bad = 0, n = 0;
	int rc;

	if (argc > 2) {
		lyb_cli_fail("audit", "usage: lyb audit [--file PATH] "
				      "[DATASET]");
		return -EINVAL;
	}
	if (argc > 1) {
		name = lyb_cli_dataset_arg(argv[1]);
		if (!name)
			return -EINVAL;
	}
	if (!path)
		path = lyb_cli_audit_path(cli);
	if (o->json) {
		l.path = path;
		l.dataset = name;
		rc = lyb_audit_read(path, name, lyb_json_audit_record, &l,
				    &bad);
		if (rc == 0 && l.rc == 0)
			rc = lyb_json_audit_end(&l, bad);
		else if (l.started)
			lyb_json_audit_end(&l, bad); /* stdout stays JSON */
		if (rc && !l.rc)
			lyb_cli_fail(path, "%s", strerror(-rc));
		return rc ? rc : l.rc;
	}
	printf("%-24s | %-6s | %-34s | %-6s %-15s | %-8s | %-50s | %s\n",
	       "Time", "Result", "Principal", "PID", "Command", "Op",
	       "DataSet/Date/Version/Location", "Reason");
	rc = lyb_audit_read(path, name, row, &n, &bad);
	if (rc) {
		lyb_cli_fail(path, "%s", strerror(-rc));
		return rc;
	}
	if (bad)
		fprintf(stderr, "lyb: %s: %zu line(s) could not be read\n",
			path, bad);
	return 0;
}

const struct lyb_cmd lyb_cmd_audit = {"audit", audit, audit_opts,
				      sizeof(struct audit_opts), "DATASET"};
