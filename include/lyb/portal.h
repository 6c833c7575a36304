/* SPDX-License-Identifier: Apache-2.0 */
/*
 * portal.h - the Lybrary portal's request handling (docs/api.md), apart
 * from HTTP: `lyb serve` (src/lyb/cmd_serve.c) parses HTTP with
 * libmicrohttpd, decides whom to trust, serves the static pages and hands
 * every /api/v1/ request here as a struct lyb_portal_req. What comes back
 * is a status, a content type and a body; nothing here does network I/O,
 * so it is unit-tested without a server (tests/unit/test_portal.c).
 *
 * Identity: the caller is who the authenticating proxy says
 * (lyb_portal_ident() maps its e-mail header to the principals the mount
 * uses), or nobody: an anonymous caller reads the public metadata (what
 * .lyb/ shows every account) and may change nothing. Access changes go
 * through lyb_acl_change() (the checks and history of `lyb access`) and
 * are written to the audit log. The portal never serves data bytes.
 *
 * CSRF: a POST must carry a JSON content type, the caller's token
 * (lyb_portal_csrf(): a SHA-256 of a per-process secret and the user
 * principal) in X-Lyb-CSRF, and, when the browser sends them, an Origin
 * of this host and a Sec-Fetch-Site of same-origin.
 *
 * Errors: functions return 0 or -errno (-ENOMEM, -EINVAL for input that
 * is not valid). Thread safety: a struct lyb_portal is immutable after
 * lyb_portal_new() and lyb_portal_handle() may run on many threads at
 * once; each call takes its own catalog snapshot.
 */
#ifndef LYB_PORTAL_H
#define LYB_PORTAL_H

#include <stddef.h>

#include "lyb/acl.h"
#include "lyb/audit.h"
#include "lyb/catalog.h"

#define LYB_PORTAL_BODY_MAX (16u << 10) /* a POST body */
#define LYB_PORTAL_PAGE_MAX 500		/* items per page of a listing */
#define LYB_PORTAL_PAGE_DEFAULT 50	/* items per page without limit= */
#define LYB_PORTAL_QUERY_MAX 256	/* a search string */
#define LYB_PORTAL_DEPTH_MAX 8		/* lineage levels each way */
#define LYB_PORTAL_LINEAGE_MAX 500	/* DataSets in one lineage answer */
#define LYB_PORTAL_DELIVERY_DAYS 14	/* days of delivery history */
#define LYB_PORTAL_AUDIT_MAX 1000	/* audit lines in one answer */
#define LYB_PORTAL_CSRF_LEN 64		/* hex characters of a token */
#define LYB_PORTAL_RESP_MAX (64u << 20) /* one answer's JSON */

struct lyb_portal;

struct lyb_portal_opts {
	const char *mount;	/* where lybfs mounts, for paths: "/lyb" */
	const char *audit_path; /* the audit log read back, may be NULL */
};

/*
 * A portal over @cat (already refreshed once) with policy @acl, writing
 * access changes to @audit (may be NULL). Borrows all three; copies @o.
 */
int lyb_portal_new(struct lyb_catalog *cat, struct lyb_acl *acl,
		   struct lyb_audit *audit, const struct lyb_portal_opts *o,
		   struct lyb_portal **out);
void lyb_portal_free(struct lyb_portal *p); /* accepts NULL */

/*
 * The identity the proxy's header @value names: "alice@DOMAIN" (IAP's
 * "accounts.google.com:alice@DOMAIN" too), DOMAIN being the policy's.
 * A local account of that name gives its groups and domain: (NSS, like
 * the mount); without one the identity is the user principal alone.
 * -EINVAL when @value is no such e-mail address; -errno when NSS fails.
 */
int lyb_portal_ident(struct lyb_acl *acl, const char *value,
		     struct lyb_ident **out);

/* The CSRF token of @id (NUL-terminated hex) into @out. */
void lyb_portal_csrf(const struct lyb_portal *p, const struct lyb_ident *id,
		     char out[LYB_PORTAL_CSRF_LEN + 1]);

struct lyb_portal_req {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* the URL path without the query: "/api/v1/..." */
	/* the value of query parameter @key, or NULL */
	const char *(*param)(void *arg, const char *key);
	void *param_arg;
	const char *body; /* may be NULL */
	size_t body_len;
	/* request headers, NULL when absent */
	const char *content_type, *origin, *host, *sec_fetch_site, *csrf;
	const struct lyb_ident *id; /* NULL: anonymous */
};

struct lyb_portal_resp {
	int status;	  /* HTTP status */
	const char *type; /* content type (static) */
	char *body;	  /* the caller frees */
	size_t len;
};

/* Answers one API request. -ENOMEM only; everything else is a status. */
int lyb_portal_handle(struct lyb_portal *p, const struct lyb_portal_req *req,
		      struct lyb_portal_resp *resp);

#endif
