// SPDX-License-Identifier: Apache-2.0
/*
 * access.c - the daemon's side of access control: the options, the
 * caller's identity from the FUSE request (never from anything the caller
 * can set), and the decision at open and opendir, audited.
 *
 * Every decision on gated data (lyb_fs_gated) is audited, allow and deny:
 * one line per open and opendir. Reads of an open file are neither checked
 * nor audited again: the open was the decision (POSIX semantics, so a file
 * opened before a revocation stays readable until closed). When the audit
 * line cannot be written the access is denied: no read goes unrecorded
 * (a line over the uid's audit rate is counted in a summary line instead,
 * which is a record: audit.h). An identity NSS cannot look up is an error
 * (ENFILE, EIO), never "not a reader".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lyb/log.h"
#include "lyb/metrics.h"
#include "lybfs.h"

#define AUDIT_MAX_REFRESH 30.0 /* the documented bound on grant latency */

int lybfs_access_start(struct lybfs *fs)
{
	const char *audit =
		fs->cfg.audit ? fs->cfg.audit : LYB_AUDIT_DEFAULT_PATH;
	size_t i;
	int rc;

	rc = lyb_acl_new(fs->cfg.domain, fs->cfg.admins, fs->cfg.nadmins,
			 LYB_ACL_IDENT_TTL, &fs->acl);
	if (rc) {
		lyb_log(LYB_LOG_ERR, "domain=%s: not a valid domain name",
			fs->cfg.domain ? fs->cfg.domain : "");
		return rc;
	}
	rc = lyb_audit_open(audit, &fs->audit);
	if (rc) {
		lyb_log(LYB_LOG_ERR,
			"cannot open the audit log (set it with -o audit=PATH)");
		goto out_acl;
	}
	rc = lyb_audit_catch_sighup();
	if (rc)
		goto out_audit;
	rc = lybfs_control_open(fs);
	if (rc)
		goto out_audit;
	if (fs->cfg.refresh > AUDIT_MAX_REFRESH)
		lyb_log(LYB_LOG_WARN,
			"refresh=%g: grants and revocations take effect only "
			"after that many seconds (keep it at most %g)",
			fs->cfg.refresh, AUDIT_MAX_REFRESH);
	/* debug: before daemonizing, stderr is for errors only */
	lyb_log(LYB_LOG_DEBUG,
		"access control: domain %s, %zu admin(s), "
		"audit log %s",
		lyb_acl_domain(fs->acl), fs->cfg.nadmins, audit);
	for (i = 0; i < fs->cfg.nadmins; i++)
		lyb_log(LYB_LOG_DEBUG, "admin: %s", fs->cfg.admins[i]);
	return 0;
out_audit:
	lyb_audit_close(fs->audit);
	fs->audit = NULL;
out_acl:
	lyb_acl_free(fs->acl);
	fs->acl = NULL;
	return rc;
}

void lybfs_access_stop(struct lybfs *fs)
{
	lybfs_control_stop(fs);
	lyb_audit_close(fs->audit);
	lyb_acl_free(fs->acl);
	fs->audit = NULL;
	fs->acl = NULL;
}

int lybfs_caller(fuse_req_t req, struct lybfs *fs, struct lyb_ident **id)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t groups[LYB_ACL_MAX_GROUPS];
	int n;

	/* the kernel's view of the calling thread (/proc/PID/task/TID) */
	n = fuse_req_getgroups(req, LYB_ACL_MAX_GROUPS, groups);
	if (n < 0) {
		lyb_log(LYB_LOG_DEBUG, "groups of pid %d: %s", (int)ctx->pid,
			strerror(-n));
		n = 0; /* the primary group still counts */
	} else if (n > LYB_ACL_MAX_GROUPS) {
		n = LYB_ACL_MAX_GROUPS;
	}
	return lyb_acl_ident(fs->acl, ctx->uid, ctx->gid, groups, (size_t)n,
			     id);
}

/*
 * A DataSet whose current catalog document does not load is served from
 * its last good form for names and metadata, but its ACL may be the one a
 * revocation replaced: data fails closed at once when the document is
 * definitely bad (it does not parse, it is too large), and after
 * acl_max_stale when reading it failed (maybe transiently), like a
 * catalog that cannot be read at all.
 */
static void check_document(struct lybfs *fs, const char *name, char *why,
			   size_t whylen, int *allowed)
{
	struct lyb_snap *snap = lyb_catalog_snap(fs->cat);
	const struct lyb_bad_doc *bad = lyb_snap_find_bad(snap, name);
	int64_t age = bad ? (int64_t)time(NULL) - bad->since : 0;

	if (bad && (bad->definite || (double)age > fs->cfg.acl_max_stale)) {
		*allowed = 0;
		snprintf(why, whylen,
			 "its catalog document does not load (%.120s) for "
			 "%lld s: failing closed",
			 bad->reason, (long long)age);
	}
	lyb_snap_unref(snap);
}

/* Fills the where of @ev from @e and @path. */
static void event_where(struct lyb_audit_event *ev, const char *path,
			const struct lyb_fs_entry *e)
{
	ev->dataset = e->ds->name;
	ev->date = e->v ? e->v->date : e->date ? e->date->date : NULL;
	ev->version = e->v ? e->v->id : NULL;
	ev->location = e->loc ? lyb_loc_kind_name(e->loc->kind) : NULL;
	ev->path = path;
}

/*
 * Audits a denial made before any ACL decision (@why); @principal NULL:
 * "uid N". The access is denied whether or not the line is written.
 */
static void audit_refusal(fuse_req_t req, struct lybfs *fs, const char *op,
			  const char *path, const struct lyb_fs_entry *e,
			  const char *principal, const char *why)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct lyb_audit_event ev = {0};
	char uid[32];

	snprintf(uid, sizeof(uid), "uid %u", (unsigned)ctx->uid);
	ev.uid = ctx->uid;
	ev.pid = ctx->pid;
	ev.principal = principal ? principal : uid;
	ev.op = op;
	event_where(&ev, path, e);
	ev.allowed = 0;
	ev.reason = why;
	lyb_audit_write(fs->audit, &ev);
}

void lybfs_access_refused(fuse_req_t req, struct lybfs *fs, const char *op,
			  const char *path, const struct lyb_fs_entry *e,
			  const char *why)
{
	if (lyb_fs_gated(e) && op)
		audit_refusal(req, fs, op, path, e, NULL, why);
}

int lybfs_access_check(fuse_req_t req, struct lybfs *fs, const char *op,
		       const char *path, const struct lyb_fs_entry *e)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct lyb_audit_event ev = {0};
	char why[LYB_PRINCIPAL_MAX + 64];
	struct lyb_ident *id;
	int64_t ok_at, age;
	int rc;

	if (!lyb_fs_gated(e))
		return 0;
	rc = lybfs_caller(req, fs, &id);
	if (rc) {
		/* NSS could not answer (out of descriptors, LDAP down): that
		 * is not "not a reader", and the caller is told so */
		lyb_log(LYB_LOG_ERR, "identity of uid %u: %s",
			(unsigned)ctx->uid, strerror(-rc));
		snprintf(why, sizeof(why),
			 "the identity of uid %u could not be looked up: %s",
			 (unsigned)ctx->uid, strerror(-rc));
		if (op)
			audit_refusal(req, fs, op, path, e, NULL, why);
		return rc == -EMFILE || rc == -ENFILE ? -ENFILE
		       : rc == -ENOMEM		      ? -ENOMEM
						      : -EIO;
	}
	ev.allowed = lyb_acl_can_read(fs->acl, id, e->ds, why, sizeof(why));
	/*
	 * The age of the last catalog read that completed, not of the first
	 * failure: a refresh that never finishes (a hung store, a document
	 * that takes hours to check) fails nothing, and a revocation may be
	 * waiting behind it as surely as behind an unreadable catalog.
	 */
	ok_at = lyb_metrics_catalog_ok_at();
	age = ok_at ? (int64_t)time(NULL) - ok_at : 0;
	if (ev.allowed && (double)age > fs->cfg.acl_max_stale) {
		ev.allowed = 0;
		snprintf(why, sizeof(why),
			 "the catalog has not been read for %lld s "
			 "(acl_max_stale %g s): failing closed",
			 (long long)age, fs->cfg.acl_max_stale);
	}
	if (ev.allowed)
		check_document(fs, e->ds->name, why, sizeof(why), &ev.allowed);
	if (!op) { /* access(2): a question, not an access */
		lyb_ident_unref(id);
		return ev.allowed ? 0 : -EACCES;
	}
	ev.uid = ctx->uid;
	ev.pid = ctx->pid;
	ev.principal = id->user[0] ? id->user : id->display;
	ev.op = op;
	event_where(&ev, path, e);
	ev.reason = why;
	rc = lyb_audit_write(fs->audit, &ev);
	lyb_ident_unref(id);
	return ev.allowed && rc == 0 ? 0 : -EACCES;
}
