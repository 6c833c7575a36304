/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acl.h - who may read a DataSet: the caller's identity as principals, the
 * read policy, and the changes of the access-request workflow.
 *
 * Identity: a uid, gid and supplementary gids, as the kernel reports them
 * for the calling process (the mount: fuse_req_ctx and fuse_req_getgroups;
 * the CLI: getuid, getgid and getgroups), never anything the caller
 * states. They map to principals (docs/catalog.md):
 *
 *   user:<login name>@<domain>   from the passwd entry of the uid
 *   group:<name>                 for the gid and each supplementary gid
 *   domain:<domain>              every local account (a uid with a
 *                                passwd entry)
 *
 * A uid without a passwd entry has neither user: nor domain:, only the
 * group: principals of its gids.
 *
 * Policy: a DataSet is readable by a caller holding one of its `readers`
 * principals, by members of its owner group, and by the configured
 * admins; everything else is denied. root has no special case: make it an
 * admin (user:root@<domain>) to let it read.
 *
 * Thread safety: a struct lyb_acl may be used from any thread; its
 * identity cache is under its own lock, a leaf never held across NSS
 * lookups. A struct lyb_ident is immutable and refcounted.
 */
#ifndef LYB_ACL_H
#define LYB_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lyb/catalog.h"

#define LYB_ACL_DEFAULT_DOMAIN "thecompany.com"
#define LYB_ACL_MAX_GROUPS 1024 /* supplementary groups considered */
#define LYB_ACL_MAX_ADMINS 64	/* configured admin principals */
#define LYB_ACL_REASON_MAX 4096 /* an access request's reason */
/* pending access.requests of one DataSet; the next request is refused */
#define LYB_ACL_REQUESTS_MAX 1000
#define LYB_ACL_IDENT_TTL 10.0 /* seconds an identity is cached */
#define LYB_PRINCIPAL_MAX 260  /* "user:" + name + "@" + domain */

struct lyb_ident {
	atomic_int refs;
	uid_t uid;
	gid_t gid;
	char user[LYB_PRINCIPAL_MAX]; /* "user:alice@dom", "" without passwd */
	char display[LYB_PRINCIPAL_MAX]; /* "alice@dom", or "uid 1234" */
	char domain[LYB_PRINCIPAL_MAX];	 /* "domain:dom", "" without passwd */
	size_t ngroups;
	char **groups; /* "group:NAME" for the gid and each supplementary */
};

/*
 * Builds the identity of @uid/@gid/@groups (NSS lookups: passwd, group).
 * A gid without a group entry, or whose name is not a valid principal, is
 * left out; a uid without a passwd entry has no user and no domain
 * principal.
 */
int lyb_ident_new(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
		  const char *domain, struct lyb_ident **out);
/* The identity of this process (getuid, getgid, getgroups). */
int lyb_ident_self(const char *domain, struct lyb_ident **out);
struct lyb_ident *lyb_ident_ref(struct lyb_ident *id);
void lyb_ident_unref(struct lyb_ident *id); /* accepts NULL */
/* 1 when @id holds principal @p (user:, group: or domain:), else 0. */
int lyb_ident_has(const struct lyb_ident *id, const char *p);

struct lyb_acl;

/*
 * A policy: the domain principals are made in and the admin principals
 * (copied; each must be a valid principal, else -EINVAL). @ttl is how
 * long lyb_acl_ident() caches an identity (0: never).
 */
int lyb_acl_new(const char *domain, char *const *admins, size_t nadmins,
		double ttl, struct lyb_acl **out);
void lyb_acl_free(struct lyb_acl *acl); /* accepts NULL */
const char *lyb_acl_domain(const struct lyb_acl *acl);

/* lyb_ident_new() through the cache, keyed by uid, gid and groups. */
int lyb_acl_ident(struct lyb_acl *acl, uid_t uid, gid_t gid,
		  const gid_t *groups, size_t ngroups, struct lyb_ident **out);

/*
 * Whether @id may read @ds: 1 allowed, 0 denied. @why (may be NULL) gets
 * the reason, e.g. "reader group:analysts", "owner group:artist-metadata",
 * "admin user:root@thecompany.com" or "not a reader".
 */
int lyb_acl_can_read(const struct lyb_acl *acl, const struct lyb_ident *id,
		     const struct lyb_dataset *ds, char *why, size_t whylen);
/* Whether @id may grant and revoke on @ds: owner group members, admins. */
int lyb_acl_can_manage(const struct lyb_acl *acl, const struct lyb_ident *id,
		       const struct lyb_dataset *ds, char *why, size_t whylen);

/*
 * "Access denied. User alice@thecompany.com does not have read access to
 * DataSet artist-metadata.DominantGenres" (no newline).
 */
void lyb_acl_denied_text(const struct lyb_ident *id, const char *dataset,
			 char *buf, size_t len);
/*
 * The line that follows it: how @id gets access to @ds. "Request it
 * with: lyb access request DS --reason \"...\"", or, with a request
 * pending, "Your request of TIME is pending: an owner (OWNER) or an admin
 * grants it with: lyb access grant DS USER" (no newline).
 */
void lyb_acl_request_hint(const struct lyb_ident *id,
			  const struct lyb_dataset *ds, char *buf, size_t len);

/*
 * The caller's own state for MNT/<ds>/.lyb/access: "granted (...)",
 * "pending since ..." or "none" with the command to request. Caller frees.
 */
int lyb_acl_state_text(const struct lyb_acl *acl, const struct lyb_ident *id,
		       const struct lyb_dataset *ds, char **text, size_t *len);

/*
 * The workflow, as catalog mutations (lyb_catalog_update() drafts). Each
 * appends one entry to the history, made by @by at @now.
 *
 * request: @by asks for read access. -EALREADY when it can read already
 * or has a pending request; -EINVAL or -EILSEQ when @reason is longer
 * than LYB_ACL_REASON_MAX, has a control character or is not UTF-8
 * (lyb_text_check); -ENOSPC when @draft has LYB_ACL_REQUESTS_MAX pending
 * requests already. Anyone may request for themselves only.
 * grant: adds reader @principal and drops its pending request. -EPERM
 * unless @by may manage @draft; -EALREADY when already a reader.
 * revoke: removes reader @principal. -EPERM as for grant; -ENOENT when it
 * was no reader (a pending request of @principal is declined instead).
 * The history keeps the newest LYB_DOC_HISTORY_MAX entries
 * (lyb_dataset_history_trim). On error @err says why.
 */
int lyb_acl_request(const struct lyb_acl *acl, struct lyb_dataset *draft,
		    const struct lyb_ident *by, const char *reason, int64_t now,
		    char *err, size_t errlen);
int lyb_acl_grant(const struct lyb_acl *acl, struct lyb_dataset *draft,
		  const struct lyb_ident *by, const char *principal,
		  int64_t now, char *err, size_t errlen);
int lyb_acl_revoke(const struct lyb_acl *acl, struct lyb_dataset *draft,
		   const struct lyb_ident *by, const char *principal,
		   int64_t now, char *err, size_t errlen);

/*
 * Applies one change to DataSet @name in @cat as @me: @verb "request"
 * (@arg: the reason, may be NULL), "grant" or "revoke" (@arg: the
 * principal). A compare-and-swap update of the document
 * (lyb_catalog_update; a revoke with lyb_catalog_update_shrinking, so no
 * document size keeps a reader in). -errno with @err saying why.
 */
int lyb_acl_change(struct lyb_catalog *cat, const struct lyb_acl *acl,
		   const struct lyb_ident *me, const char *verb,
		   const char *name, const char *arg, char *err, size_t errlen);

/*
 * The checks of lyb_acl_change() against @ds as it is (e.g. a DataSet of
 * the mount's snapshot), writing nothing: 0 when the change would change
 * @ds, else the -errno and @err lyb_acl_change() would give against a
 * document like @ds. With @ds NULL, only the checks that need no DataSet
 * (the verb, the principal's presence and length). lyb_acl_change()
 * runs the same checks on the fresh document, so a caller may refuse
 * what this refuses without reading the catalog, never the reverse.
 */
int lyb_acl_check(const struct lyb_acl *acl, const struct lyb_dataset *ds,
		  const struct lyb_ident *me, const char *verb, const char *arg,
		  char *err, size_t errlen);

#endif
