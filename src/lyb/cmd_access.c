// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_access.c - the access-request workflow from the shell:
 *
 *   lyb access request DATASET [--reason TEXT]
 *   lyb access list [--json] DATASET
 *   lyb access grant DATASET PRINCIPAL
 *   lyb access revoke DATASET PRINCIPAL
 *
 * Changes are compare-and-swap updates of the DataSet's catalog document
 * (lyb_acl_change), each recorded in its access history. With a control
 * socket ($LYB_CONTROL, `control = PATH`, or the running mount's own,
 * found in its settings: mounts.h), the mount applies them and takes the
 * caller's identity from the kernel (SO_PEERCRED), once this process has
 * checked who answers (peer_trusted);
 * without one, this process writes the catalog itself as who getuid(),
 * getgid() and getgroups() say, which needs write access to the catalog
 * store (docs/operations.md: identity on each path).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lyb/freshness.h"
#include "lyb/text.h"

/*
 * Whether the peer of @fd may answer for a mount: root, this user, or the
 * owner of the directory that holds the socket (a daemon's own runtime
 * directory, mounts.h). Anyone else could have bound a socket at @path
 * in a directory they can write, and would read the request and forge the
 * answer. 0, or -EPERM with @err filled.
 */
static int peer_trusted(int fd, const char *path, char *err, size_t errlen)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		snprintf(err, errlen, "control socket %s: no peer credentials",
			 path);
		return -EPERM;
	}
	if (cred.uid == 0 || cred.uid == geteuid())
		return 0;
	snprintf(dir, sizeof(dir), "%.*s",
		 slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	if (stat(dir, &st) == 0 && st.st_uid == cred.uid)
		return 0;
	snprintf(err, errlen,
		 "control socket %s: answered by uid %u, neither root nor the "
		 "owner of %s: not trusted",
		 path, (unsigned)cred.uid, dir);
	return -EPERM;
}

/*
 * Sends one change to the mount's control socket (src/lybfs/control.c);
 * the daemon takes the caller's identity from the kernel. On success
 * @who gets the user principal it acted as.
 */
static int via_socket(const char *path, const char *verb, const char *name,
		      const char *arg, char *who, size_t wholen, char *err,
		      size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char line[8192], *p;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	/* a symbolic link there was planted: never follow it */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: not a socket%s", path,
			 S_ISLNK(st.st_mode) ? " (a symbolic link: not "
					       "following it)"
					     : "");
		return -ENOTSOCK;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	snprintf(line, sizeof(line), "%s\t%s\t%s\n", verb, name,
		 arg ? arg : "");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		snprintf(err, errlen,
			 "control socket %s: %s (is lybfs running with "
			 "-o control=%s?)",
			 path, strerror(errno), path);
		goto out_close;
	}
	rc = peer_trusted(fd, path, err, errlen);
	if (rc)
		goto out_close;
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: %s", path,
			 strerror(errno));
		goto out_close;
	}
	while (len < sizeof(line) - 1 &&
	       (n = read(fd, line + len, sizeof(line) - 1 - len)) > 0)
		len += (size_t)n;
	line[len] = '\0';
	p = strchr(line, '\n');
	if (p)
		*p = '\0';
	if (strncmp(line, "ok\t", 3) == 0) {
		lyb_text_escape(line + 3, who, wholen);
	} else if (strncmp(line, "error\t", 6) == 0) {
		snprintf(err, errlen, "%s", line + 6);
		rc = -EPERM;
	} else {
		snprintf(err, errlen, "control socket %s: no answer", path);
		rc = -EPROTO;
	}
out_close:
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * After a change written to the catalog directly failed for want of
 * rights: why no mount was asked to write it, and what to do.
 */
static void no_socket_hint(struct lyb_cli *cli, const char *name,
			   const char *who)
{
	const char *env = getenv("LYB_CONTROL");

	if (env)
		lyb_cli_fail("no control socket", "LYB_CONTROL is empty");
	else if (cli->conf.control)
		lyb_cli_fail("no control socket",
			     "the mount%s%s has none (control = none)",
			     cli->mounted ? " on " : "",
			     cli->mounted ? cli->mount.mountpoint : "");
	else
		lyb_cli_fail("no control socket", "%s", cli->mount_why);
	fprintf(stderr,
		"lyb: without one, changes are written to the catalog "
		"directly, which needs write access to it; an owner or admin "
		"can grant you: lyb access grant %s %s\n",
		name, who[0] ? who : "user:LOGIN@DOMAIN");
}

/* Replaces tabs and line breaks of a free-text reason with spaces. */
static void flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n' || *s == '\r')
			*s = ' ';
}

static void time_text(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 21, "?");
}

/* A catalog string, escaped (lyb_text_fput): any writer chose its bytes. */
static void put(const char *s)
{
	lyb_text_fput(stdout, s ? s : "");
}

static void list(const struct lyb_dataset *ds)
{
	char t[21];
	size_t i;

	printf("DataSet: ");
	put(ds->name);
	printf("\nOwner:   ");
	put(ds->owner);
	printf(" (members may grant and revoke)\nReaders:\n");
	if (!ds->nreaders)
		printf("  (none)\n");
	for (i = 0; i < ds->nreaders; i++) {
		printf("  ");
		put(ds->readers[i]);
		printf("\n");
	}
	printf("Pending requests:\n");
	if (!ds->nrequests)
		printf("  (none)\n");
	for (i = 0; i < ds->nrequests; i++) {
		const struct lyb_access_request *r = &ds->requests[i];

		time_text(r->since, t);
		printf("  ");
		put(r->principal);
		printf("  since %s", t);
		if (r->reason) {
			printf("  reason: ");
			put(r->reason);
		}
		printf("\n");
	}
	printf("History:\n");
	if (ds->history_dropped)
		printf("  (%lld older changes dropped from the document; see "
		       "the mount's audit log)\n",
		       (long long)ds->history_dropped);
	if (!ds->nhistory)
		printf("  (none)\n");
	for (i = 0; i < ds->nhistory; i++) {
		const struct lyb_access_change *h = &ds->history[i];
		char action[32];

		time_text(h->time, t);
		printf("  %s  %-7s ", t,
		       lyb_text_escape(h->action, action, sizeof(action)));
		put(h->principal);
		printf("  by ");
		put(h->by);
		if (h->reason) {
			printf("  reason: ");
			put(h->reason);
		}
		printf("\n");
	}
}

/*
 * Refuses a reason that could not be stored or shown safely: too long,
 * not UTF-8, or with a control character left after flatten().
 */
static int reason_check(const char *reason)
{
	char why[96];

	if (strlen(reason) > LYB_ACL_REASON_MAX) {
		lyb_cli_fail("--reason", "longer than %d bytes",
			     LYB_ACL_REASON_MAX);
		return -EINVAL;
	}
	if (lyb_text_check(reason, strlen(reason), 0, why, sizeof(why))) {
		lyb_cli_fail("--reason",
			     "must be UTF-8 text without control characters "
			     "(%s)",
			     why);
		return -EINVAL;
	}
	return 0;
}

static int usage_fail(void)
{
	lyb_cli_fail("access", "usage: lyb access request|list|grant|revoke "
			       "DATASET [PRINCIPAL] (see lyb help access)");
	return -EINVAL;
}

struct access_opts {
	const char *reason;
	int json;
};

static const struct lyb_opt access_opts[] = {
	LYB_STRING("reason", 'r', struct access_opts, reason, "TEXT",
		   "request: why you need it", NULL),
	LYB_FLAG("json", 0, struct access_opts, json,
		 "list: one JSON document (fields: docs/cli.md)"),
	{0},
};

static int access_cmd(struct lyb_cli *cli, const void *opts, int argc,
		      char **argv)
{
	const struct access_opts *o = opts;
	struct {
		const char *verb;
		const char *principal;
		char *reason;
	} ch = {0};
	const char *arg, *control;
	char who[LYB_PRINCIPAL_MAX] = "";
	struct lyb_catalog *cat = NULL;
	struct lyb_snap *snap = NULL;
	struct lyb_acl *acl = NULL;
	struct lyb_ident *me = NULL;
	struct lyb_dataset *ds;
	char err[1024] = "", what[LYB_NAME_MAX + 64], safe[2048];
	char owner[LYB_PRINCIPAL_MAX * 4], reason[LYB_ACL_REASON_MAX + 1];
	const char *name;
	int rc, nargs = argc - 1;

	if (nargs < 2)
		return usage_fail();
	ch.verb = argv[1];
	if (strcmp(ch.verb, "request") == 0 || strcmp(ch.verb, "list") == 0) {
		if (nargs != 2)
			return usage_fail();
	} else if (strcmp(ch.verb, "grant") == 0 ||
		   strcmp(ch.verb, "revoke") == 0) {
		if (nargs != 3)
			return usage_fail();
		ch.principal = argv[3];
	} else {
		return usage_fail();
	}
	if (o->reason && strcmp(ch.verb, "request") != 0) {
		lyb_cli_fail("--reason", "only for lyb access request");
		return -EINVAL;
	}
	if (o->json && strcmp(ch.verb, "list") != 0) {
		lyb_cli_fail("--json", "only for lyb access list");
		return -EINVAL;
	}
	if (o->reason) { /* before anything is read or sent */
		if (strlen(o->reason) >= sizeof(reason))
			return reason_check(o->reason); /* too long */
		memcpy(reason, o->reason, strlen(o->reason) + 1);
		ch.reason = reason;
		flatten(ch.reason);
		rc = reason_check(ch.reason);
		if (rc)
			return rc;
	}
	name = lyb_cli_dataset_arg(argv[2]);
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
		struct lyb_dataset *full = NULL;

		/* the history: format 2 mounts and snapshots keep cards */
		rc = lyb_catalog_get(cat, name, &full, err, sizeof(err));
		if (rc == 0 && o->json)
			rc = lyb_json_access(full);
		else if (rc == 0)
			list(full);
		else
			lyb_cli_fail(name, "%s", err);
		lyb_dataset_unref(full);
		goto out_close;
	}
	arg = ch.principal ? ch.principal : ch.reason;
	control = lyb_cli_control_path(cli);
	if (control) {
		rc = via_socket(control, ch.verb, name, arg, who, sizeof(who),
				err, sizeof(err));
	} else {
		rc = lyb_cli_acl(cli, &acl, &me);
		if (rc)
			goto out_close;
		snprintf(who, sizeof(who), "%s", me->user);
		rc = lyb_acl_change(cat, acl, me, ch.verb, name, arg, err,
				    sizeof(err));
	}
	if (rc) {
		/* the daemon's or the catalog's words: shown escaped */
		lyb_cli_fail(what, "%s",
			     lyb_text_escape(err[0] ? err : strerror(-rc), safe,
					     sizeof(safe)));
		if (!control && (rc == -EACCES || rc == -EPERM || rc == -EROFS))
			no_socket_hint(cli, name, who);
		goto out_acl;
	}
	if (strcmp(ch.verb, "request") == 0)
		printf("Requested read access to %s as %s; an owner (%s) or "
		       "an admin can grant it with:\n  lyb access grant %s "
		       "%s\n",
		       name, who,
		       lyb_text_escape(ds->owner ? ds->owner : "", owner,
				       sizeof(owner)),
		       name, who);
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

const struct lyb_cmd lyb_cmd_access = {
	"access", access_cmd, access_opts, sizeof(struct access_opts),
	"request|list|grant|revoke DATASET PRINCIPAL"};
