// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_access.c - the access-request workflow from the shell:
 *
 *   lyb access request DATASET [--reason TEXT]
 *   lyb access list DATASET
 *   lyb access grant DATASET PRINCIPAL
 *   lyb access revoke DATASET PRINCIPAL
 *
 * The caller is who getuid(), getgid() and getgroups() say (acl.h), never
 * a name given on the command line. Changes are compare-and-swap updates
 * of the DataSet's catalog document (lyb_catalog_update), each recorded in
 * its access history; the policy (who may grant) is acl.c's. Writing needs
 * write access to the catalog store: see docs/operations.md for what that
 * means for identity on a shared catalog.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lyb/freshness.h"

struct change {
	const char *verb; /* "request", "grant" or "revoke" */
	const struct lyb_acl *acl;
	const struct lyb_ident *me;
	const char *principal; /* grant, revoke */
	const char *reason;    /* request */
};

static int mutate(void *arg, struct lyb_dataset *draft, char *err,
		  size_t errlen)
{
	struct change *c = arg;
	int64_t now = lyb_now();

	if (strcmp(c->verb, "request") == 0)
		return lyb_acl_request(c->acl, draft, c->me, c->reason, now,
				       err, errlen);
	if (strcmp(c->verb, "grant") == 0)
		return lyb_acl_grant(c->acl, draft, c->me, c->principal, now,
				     err, errlen);
	return lyb_acl_revoke(c->acl, draft, c->me, c->principal, now, err,
			      errlen);
}

static void time_text(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 21, "?");
}

static void list(const struct lyb_dataset *ds)
{
	char t[21];
	size_t i;

	printf("DataSet: %s\nOwner:   %s (members may grant and revoke)\n",
	       ds->name, ds->owner);
	printf("Readers:\n");
	if (!ds->nreaders)
		printf("  (none)\n");
	for (i = 0; i < ds->nreaders; i++)
		printf("  %s\n", ds->readers[i]);
	printf("Pending requests:\n");
	if (!ds->nrequests)
		printf("  (none)\n");
	for (i = 0; i < ds->nrequests; i++) {
		const struct lyb_access_request *r = &ds->requests[i];

		time_text(r->since, t);
		printf("  %s  since %s%s%s\n", r->principal, t,
		       r->reason ? "  reason: " : "",
		       r->reason ? r->reason : "");
	}
	printf("History:\n");
	if (!ds->nhistory)
		printf("  (none)\n");
	for (i = 0; i < ds->nhistory; i++) {
		const struct lyb_access_change *h = &ds->history[i];

		time_text(h->time, t);
		printf("  %s  %-7s %s  by %s%s%s\n", t, h->action, h->principal,
		       h->by, h->reason ? "  reason: " : "",
		       h->reason ? h->reason : "");
	}
}

static int usage_fail(void)
{
	lyb_cli_fail("access", "usage: lyb access request|list|grant|revoke "
			       "DATASET [PRINCIPAL] (see lyb help access)");
	return -EINVAL;
}

int lyb_cmd_access(struct lyb_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		LYB_CLI_LONGOPTS,
		{"reason", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	struct change ch = {0};
	struct lyb_catalog *cat = NULL;
	struct lyb_snap *snap = NULL;
	struct lyb_acl *acl = NULL;
	struct lyb_ident *me = NULL;
	struct lyb_dataset *ds;
	char err[1024] = "", what[LYB_NAME_MAX + 64];
	const char *name;
	int c, done = 0, rc, nargs;

	while ((c = getopt_long(argc, argv, LYB_CLI_SHORTOPTS "r:", opts,
				NULL)) != -1) {
		if (c == 'r') {
			ch.reason = optarg;
			continue;
		}
		if (lyb_cli_common_opt(cli, "access", c, optarg, &done)) {
			if (done)
				return done < 0 ? done : 0;
			continue;
		}
		lyb_cli_bad_option("access", c, argv);
		return -EINVAL;
	}
	nargs = argc - optind;
	if (nargs < 2)
		return usage_fail();
	ch.verb = argv[optind];
	if (strcmp(ch.verb, "request") == 0 || strcmp(ch.verb, "list") == 0) {
		if (nargs != 2)
			return usage_fail();
	} else if (strcmp(ch.verb, "grant") == 0 ||
		   strcmp(ch.verb, "revoke") == 0) {
		if (nargs != 3)
			return usage_fail();
		ch.principal = argv[optind + 2];
	} else {
		return usage_fail();
	}
	if (ch.reason && strcmp(ch.verb, "request") != 0) {
		lyb_cli_fail("--reason", "only for lyb access request");
		return -EINVAL;
	}
	name = lyb_cli_dataset_arg(argv[optind + 1]);
	if (!name)
		return -EINVAL;
	snprintf(what, sizeof(what), "access %s %s", ch.verb, name);

	rc = lyb_cli_open(cli, 0, &cat, &snap);
	if (rc)
		return rc;
	ds = lyb_snap_find(snap, name);
	if (!ds) {
		lyb_cli_fail(name, "no such DataSet in %s",
			     lyb_catalog_url(cat));
		rc = -ENOENT;
		goto out_close;
	}
	if (strcmp(ch.verb, "list") == 0) {
		list(ds);
		goto out_close;
	}
	rc = lyb_cli_acl(cli, &acl, &me);
	if (rc)
		goto out_close;
	ch.acl = acl;
	ch.me = me;
	rc = lyb_catalog_update(cat, name, mutate, &ch, err, sizeof(err));
	if (rc) {
		lyb_cli_fail(what, "%s", err[0] ? err : strerror(-rc));
		goto out_acl;
	}
	if (strcmp(ch.verb, "request") == 0)
		printf("Requested read access to %s as %s; an owner (%s) or "
		       "an admin can grant it with:\n  lyb access grant %s "
		       "%s\n",
		       name, me->display, ds->owner, name, me->user);
	else
		printf("%s %s %s on %s\n",
		       strcmp(ch.verb, "grant") == 0 ? "Granted" : "Revoked",
		       ch.principal,
		       strcmp(ch.verb, "grant") == 0 ? "read access" : "access",
		       name);
out_acl:
	lyb_ident_unref(me);
	lyb_acl_free(acl);
out_close:
	lyb_snap_unref(snap);
	lyb_catalog_close(cat);
	return rc;
}
