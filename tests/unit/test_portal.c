// SPDX-License-Identifier: Apache-2.0
/*
 * test_portal.c - the portal's request handling without HTTP
 * (src/core/portal.c): routing and parameter validation, the CSRF rules
 * of a POST, the workflow's checks through the API, and the mapping of
 * the proxy's e-mail header to principals.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lyb/acl.h"
#include "lyb/audit.h"
#include "lyb/catalog.h"
#include "lyb/portal.h"

struct kv {
	const char *k, *v;
};

static const char *param(void *arg, const char *key)
{
	const struct kv *p;

	for (p = arg; p && p->k; p++)
		if (strcmp(p->k, key) == 0)
			return p->v;
	return NULL;
}

static struct lyb_ident *ident(const char *user, const char *group)
{
	struct lyb_ident *id = calloc(1, sizeof(*id));

	atomic_init(&id->refs, 1);
	snprintf(id->user, sizeof(id->user), "user:%s@example.com", user);
	snprintf(id->display, sizeof(id->display), "%s@example.com", user);
	snprintf(id->domain, sizeof(id->domain), "domain:example.com");
	id->groups = calloc(2, sizeof(char *));
	if (group)
		id->groups[id->ngroups++] = strdup(group);
	return id;
}

/* One request; returns the status, the body in *@body (caller frees). */
static int call(struct lyb_portal *p, const char *method, const char *path,
		const struct kv *params, const struct lyb_ident *id,
		const char *body, const char *ctype, const char *csrf,
		const char *origin, char **out)
{
	struct lyb_portal_req req = {
		.method = method,
		.path = path,
		.param = param,
		.param_arg = (void *)params,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.content_type = ctype,
		.origin = origin,
		.host = "portal.example.com",
		.csrf = csrf,
		.id = id,
	};
	struct lyb_portal_resp resp;

	if (lyb_portal_handle(p, &req, &resp) != 0)
		return -1;
	if (out)
		*out = resp.body;
	else
		free(resp.body);
	return resp.status;
}

static int get(struct lyb_portal *p, const char *path, const struct kv *kv)
{
	return call(p, "GET", path, kv, NULL, NULL, NULL, NULL, NULL, NULL);
}

static int post(struct lyb_portal *p, const char *path,
		const struct lyb_ident *id, const char *body)
{
	char token[LYB_PORTAL_CSRF_LEN + 1];

	lyb_portal_csrf(p, id, token);
	return call(p, "POST", path, NULL, id, body, "application/json", token,
		    "https://portal.example.com", NULL);
}

int main(void)
{
	char root[] = "/tmp/lyb-test-portal.XXXXXX", url[64], audit_path[96];
	char err[256], token[LYB_PORTAL_CSRF_LEN + 1], other[96], *body;
	char longpath[3000];
	struct lyb_dataset spec = {0}, down = {0};
	struct lyb_portal_opts po = {.mount = "/lyb"};
	struct lyb_ident *alice = ident("alice", NULL);
	struct lyb_ident *owner = ident("olga", "group:owners");
	struct lyb_ident *id = NULL;
	struct lyb_portal *p = NULL;
	struct lyb_catalog *cat = NULL;
	struct lyb_audit *audit = NULL;
	struct lyb_acl *acl = NULL;
	char *up[] = {"ns.Data"};
	const char *req_path = "/api/v1/datasets/ns.Data/access/request";
	const char *grant_path = "/api/v1/datasets/ns.Data/access/grant";

	CHECK(mkdtemp(root) != NULL);
	snprintf(url, sizeof(url), "file://%s", root);
	snprintf(audit_path, sizeof(audit_path), "%s/audit.log", root);
	CHECK_RC(lyb_catalog_open(url, 1, &cat), 0);
	spec.name = "ns.Data";
	spec.owner = "group:owners";
	spec.description = "the <b>data</b>";
	spec.created = 1600000000;
	CHECK_RC(lyb_catalog_create(cat, &spec, err, sizeof(err)), 0);
	down.name = "ns.Down";
	down.owner = "group:others";
	down.created = 1600000000;
	down.nupstream = 1;
	down.upstream = up;
	CHECK_RC(lyb_catalog_create(cat, &down, err, sizeof(err)), 0);
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK_RC(lyb_acl_new("example.com", NULL, 0, 0, &acl), 0);
	CHECK_RC(lyb_audit_open(audit_path, &audit), 0);
	po.audit_path = audit_path;
	CHECK_RC(lyb_portal_new(cat, acl, audit, &po, &p), 0);

	/* routing and parameters */
	CHECK_RC(get(p, "/api/v1/datasets", NULL), 200);
	CHECK_RC(get(p, "/api/v1/datasets/ns.Data", NULL), 200);
	CHECK_RC(get(p, "/api/v1/datasets/ns.Nope", NULL), 404);
	CHECK_RC(get(p, "/api/v1/datasets/..", NULL), 400);
	CHECK_RC(
		get(p, "/api/v1/datasets/ns.Data/versions/2020-09-03/zz", NULL),
		400);
	CHECK_RC(get(p, "/api/v1/a/b/c/d/e/f/g/h/i", NULL), 414);
	memset(longpath, 'a', sizeof(longpath) - 1);
	memcpy(longpath, "/api/v1/", 8);
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK_RC(get(p, longpath, NULL), 414);
	CHECK_RC(get(p, "/api/v2/datasets", NULL), 404);
	{
		const struct kv bad[][2] = {
			{{"limit", "0"}, {NULL, NULL}},
			{{"limit", "501"}, {NULL, NULL}},
			{{"limit", " 5"}, {NULL, NULL}},
			{{"offset", "-1"}, {NULL, NULL}},
			{{"offset", "99999999999999999999"}, {NULL, NULL}},
			{{"sort", "size"}, {NULL, NULL}},
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECK_RC(get(p, "/api/v1/datasets", bad[i]), 400);
	}
	{
		const struct kv d[] = {{"depth", "9"}, {NULL, NULL}};
		const struct kv ok[] = {{"depth", "1"}, {NULL, NULL}};

		CHECK_RC(get(p, "/api/v1/datasets/ns.Data/lineage", d), 400);
		CHECK_RC(call(p, "GET", "/api/v1/datasets/ns.Data/lineage", ok,
			      NULL, NULL, NULL, NULL, NULL, &body),
			 200);
		CHECK(body && strstr(body, "\"from\":\"ns.Data\",\"to\":"
					   "\"ns.Down\""));
		free(body);
	}

	/* POST: the CSRF rules, in order */
	lyb_portal_csrf(p, alice, token);
	lyb_portal_csrf(p, owner, other);
	CHECK(strlen(token) == LYB_PORTAL_CSRF_LEN && strcmp(token, other));
	CHECK_RC(call(p, "POST", req_path, NULL, NULL, "{}", "application/json",
		      token, NULL, NULL),
		 401);
	CHECK_RC(call(p, "POST", req_path, NULL, alice, "{}", NULL, token, NULL,
		      NULL),
		 415);
	CHECK_RC(call(p, "POST", req_path, NULL, alice, "{}",
		      "application/jsonp", token, NULL, NULL),
		 415);
	CHECK_RC(call(p, "POST", req_path, NULL, alice, "{}",
		      "application/json", NULL, NULL, NULL),
		 403);
	CHECK_RC(call(p, "POST", req_path, NULL, alice, "{}",
		      "application/json", other, NULL, NULL),
		 403);
	CHECK_RC(call(p, "POST", req_path, NULL, alice, "{}",
		      "application/json", token, "https://evil.example.com",
		      NULL),
		 403);
	CHECK_RC(call(p, "POST", req_path, NULL, alice, "{}",
		      "application/json", token, "null", NULL),
		 403);
	CHECK_RC(call(p, "GET", req_path, NULL, alice, NULL, NULL, NULL, NULL,
		      NULL),
		 405);
	CHECK_RC(post(p, req_path, alice, "{\"reason\": 1}"), 400);
	CHECK_RC(post(p, req_path, alice, "{\"reason\":\"a\\u0000b\"}"), 400);
	CHECK_RC(post(p, req_path, alice, "not json"), 400);

	/* the workflow: request, a stranger's grant, the owner's grant */
	CHECK_RC(post(p, req_path, alice, "{\"reason\":\"study\"}"), 200);
	CHECK_RC(post(p, req_path, alice, "{}"), 409);
	CHECK_RC(post(p, grant_path, alice,
		      "{\"principal\":\"user:alice@example.com\"}"),
		 403);
	CHECK_RC(post(p, grant_path, owner, "{\"principal\":\"nobody\"}"), 400);
	CHECK_RC(post(p, grant_path, owner,
		      "{\"principal\":\"user:alice@example.com\"}"),
		 200);
	CHECK_RC(call(p, "GET", "/api/v1/datasets/ns.Data/access", NULL, alice,
		      NULL, NULL, NULL, NULL, &body),
		 200);
	CHECK(body && strstr(body, "\"state\":\"granted\""));
	free(body);
	CHECK_RC(call(p, "GET", "/api/v1/datasets/ns.Data/audit", NULL, alice,
		      NULL, NULL, NULL, NULL, NULL),
		 403);
	CHECK_RC(call(p, "GET", "/api/v1/datasets/ns.Data/audit", NULL, owner,
		      NULL, NULL, NULL, NULL, &body),
		 200);
	CHECK(body && strstr(body, "\"log_lines\":5"));
	free(body);

	/* the versions are the readers' (the mount's rule): alice now */
	{
		struct lyb_ident *carol = ident("carol", NULL);
		const char *dates = "/api/v1/datasets/ns.Data/dates";
		const char *one =
			"/api/v1/datasets/ns.Data/versions/2020-09-03/"
			"abcdef";

		CHECK_RC(get(p, dates, NULL), 401);
		CHECK_RC(get(p, one, NULL), 401);
		CHECK_RC(call(p, "GET", dates, NULL, carol, NULL, NULL, NULL,
			      NULL, &body),
			 403);
		CHECK(body && strstr(body, "Access denied. User "
					   "carol@example.com does not have "
					   "read access to DataSet ns.Data. "
					   "Request it with: lyb access "
					   "request ns.Data"));
		free(body);
		CHECK_RC(call(p, "GET", one, NULL, carol, NULL, NULL, NULL,
			      NULL, NULL),
			 403);
		CHECK_RC(call(p, "GET", dates, NULL, alice, NULL, NULL, NULL,
			      NULL, NULL),
			 200);
		CHECK_RC(call(p, "GET", one, NULL, owner, NULL, NULL, NULL,
			      NULL, NULL),
			 404);
		lyb_ident_unref(carol);
	}

	/* the proxy's header */
	CHECK_RC(lyb_portal_ident(acl, "root@example.com", &id), 0);
	CHECK(id && strcmp(id->user, "user:root@example.com") == 0 &&
	      lyb_ident_has(id, "group:root"));
	lyb_ident_unref(id);
	CHECK_RC(lyb_portal_ident(
			 acl, "accounts.google.com:No.Body@EXAMPLE.com", &id),
		 0);
	CHECK(id && strcmp(id->user, "user:no.body@example.com") == 0 &&
	      id->ngroups == 0);
	lyb_ident_unref(id);
	{
		const char *bad[] = {
			"root@other.com",  "root",
			"@example.com",	   "a b@example.com",
			"-x@example.com",  "../x@example.com",
			"a@b@example.com", "",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECK_RC(lyb_portal_ident(acl, bad[i], &id), -EINVAL);
	}

	lyb_portal_free(p);
	lyb_audit_close(audit);
	lyb_acl_free(acl);
	lyb_catalog_close(cat);
	lyb_ident_unref(alice);
	lyb_ident_unref(owner);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		CHECK_RC(system(cmd), 0);
	}
	return check_failures ? 1 : 0;
}
