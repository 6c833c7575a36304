// SPDX-License-Identifier: Apache-2.0
/*
 * portal.c - the JSON API of the Lybrary portal (portal.h, docs/api.md):
 * routing of /api/v1/ paths, validation of every parameter, the answers
 * built from one catalog snapshot with the field names of info.json, and
 * the access actions through lyb_acl_change() and the audit log.
 *
 * Input is hostile: path segments are checked with the catalog's own name,
 * date and id validators before any lookup; numbers go through strtoull
 * with range checks; bodies are bounded, parsed with duplicate keys
 * rejected, and only strings of bounded length are taken from them.
 */
#include <errno.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "catalog_impl.h"
#include "lyb/digest.h"
#include "lyb/freshness.h"
#include "lyb/log.h"
#include "lyb/portal.h"

#define SEGS_MAX 8
#define NSS_BUF_MAX (1u << 20)

struct lyb_portal {
	struct lyb_catalog *cat;
	struct lyb_acl *acl;
	struct lyb_audit *audit;
	char *mount;
	char *audit_path;
	unsigned char secret[32]; /* CSRF tokens; fixed for the process */
};

int lyb_portal_new(struct lyb_catalog *cat, struct lyb_acl *acl,
		   struct lyb_audit *audit, const struct lyb_portal_opts *o,
		   struct lyb_portal **out)
{
	struct lyb_portal *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->cat = cat;
	p->acl = acl;
	p->audit = audit;
	p->mount = strdup(o->mount ? o->mount : "/lyb");
	p->audit_path = o->audit_path ? strdup(o->audit_path) : NULL;
	if (!p->mount || (o->audit_path && !p->audit_path))
		goto out_free;
	if (getrandom(p->secret, sizeof(p->secret), 0) !=
	    (ssize_t)sizeof(p->secret))
		goto out_free;
	*out = p;
	return 0;
out_free:
	lyb_portal_free(p);
	return -ENOMEM;
}

void lyb_portal_free(struct lyb_portal *p)
{
	if (!p)
		return;
	free(p->mount);
	free(p->audit_path);
	explicit_bzero(p->secret, sizeof(p->secret));
	free(p);
}

/* --- identity --- */

/* A hand-made identity for a user without a local account. */
static int ident_bare(const char *login, const char *domain,
		      struct lyb_ident **out)
{
	struct lyb_ident *id = calloc(1, sizeof(*id));

	if (!id)
		return -ENOMEM;
	atomic_init(&id->refs, 1);
	id->uid = (uid_t)-1;
	id->gid = (gid_t)-1;
	snprintf(id->user, sizeof(id->user), "user:%s@%s", login, domain);
	snprintf(id->display, sizeof(id->display), "%s@%s", login, domain);
	/* domain: is every local account (acl.h): not someone without one */
	id->domain[0] = '\0';
	id->groups = calloc(1, sizeof(*id->groups));
	if (!id->groups) {
		free(id);
		return -ENOMEM;
	}
	*out = id;
	return 0;
}

int lyb_portal_ident(struct lyb_acl *acl, const char *value,
		     struct lyb_ident **out)
{
	const char *domain = lyb_acl_domain(acl), *at;
	char login[64], want[LYB_PRINCIPAL_MAX];
	gid_t groups[LYB_ACL_MAX_GROUPS];
	struct passwd pw, *pres = NULL;
	size_t cap = 1024, n, i;
	char *buf = NULL, *nb;
	int rc, ng;

	*out = NULL;
	if (strncmp(value, "accounts.google.com:", 20) == 0)
		value += 20; /* Google IAP */
	at = strchr(value, '@');
	if (!at || at == value || (size_t)(at - value) >= sizeof(login) ||
	    strcasecmp(at + 1, domain) != 0)
		return -EINVAL;
	n = (size_t)(at - value);
	for (i = 0; i < n; i++) {
		char c = value[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return -EINVAL;
		login[i] = c;
	}
	login[n] = '\0';
	if (login[0] == '-' || login[0] == '.')
		return -EINVAL;
	snprintf(want, sizeof(want), "user:%s@%s", login, domain);
	if (!lyb_principal_valid(want))
		return -EINVAL;
	for (;;) {
		nb = realloc(buf, cap);
		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		rc = getpwnam_r(login, &pw, buf, cap, &pres);
		if (rc != ERANGE || cap >= NSS_BUF_MAX)
			break;
		cap *= 2;
	}
	if (!pres) {
		free(buf);
		/* as acl.c: a failing NSS is an error, not an unknown user */
		if (rc != 0 && rc != ENOENT && rc != ESRCH && rc != EBADF &&
		    rc != EPERM)
			return -rc;
		return ident_bare(login, domain, out);
	}
	ng = LYB_ACL_MAX_GROUPS;
	if (getgrouplist(login, pw.pw_gid, groups, &ng) < 0)
		ng = 0; /* more than we consider: the primary group only */
	rc = lyb_acl_ident(acl, pw.pw_uid, pw.pw_gid, groups, (size_t)ng, out);
	free(buf);
	if (rc)
		return rc;
	if (strcmp((*out)->user, want) != 0) {
		/* a second name for the uid: act under the name given */
		lyb_ident_unref(*out);
		return ident_bare(login, domain, out);
	}
	return 0;
}

void lyb_portal_csrf(const struct lyb_portal *p, const struct lyb_ident *id,
		     char out[LYB_PORTAL_CSRF_LEN + 1])
{
	unsigned char md[32];
	struct lyb_digest *d = NULL;
	size_t len = sizeof(md);

	out[0] = '\0';
	if (lyb_digest_new(LYB_DIGEST_SHA256, &d))
		return;
	if (lyb_digest_update(d, p->secret, sizeof(p->secret)) == 0 &&
	    lyb_digest_update(d, "csrf\n", 5) == 0 &&
	    lyb_digest_update(d, id->user, strlen(id->user)) == 0 &&
	    lyb_digest_final(d, md, &len) == 0 && len == sizeof(md))
		lyb_hex_encode(md, sizeof(md), out);
	lyb_digest_free(d);
}

/* --- answers --- */

static int resp_json(struct lyb_portal_resp *resp, int status, json_t *o)
{
	char *text;

	if (!o)
		return -ENOMEM;
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!text)
		return -ENOMEM;
	resp->status = status;
	resp->type = "application/json";
	resp->len = strlen(text);
	resp->body = text;
	if (resp->len > LYB_PORTAL_RESP_MAX) {
		free(text);
		resp->body = NULL;
		return -ENOMEM;
	}
	return 0;
}

__attribute__((format(printf, 3, 4))) static int
resp_err(struct lyb_portal_resp *resp, int status, const char *fmt, ...)
{
	char msg[2048]; /* a 403 with the request command for long names */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return resp_json(resp, status,
			 json_pack("{s:{s:i, s:s}}", "error", "status", status,
				   "message", msg));
}

/* json_string() that turns NULL into null */
static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jtime(int64_t t)
{
	char buf[21];

	lyb_time_format(t, buf);
	return json_string(buf);
}

/* Sets @key to @v (stolen); 1 on failure, for rc |= ... */
static int put(json_t *o, const char *key, json_t *v)
{
	return !v || json_object_set_new(o, key, v) != 0;
}

static int add(json_t *a, json_t *v)
{
	return !v || json_array_append_new(a, v) != 0;
}

/*
 * Query parameter @key as an integer in [@min, @max], or @def when absent.
 * 0, or -EINVAL with the error answered.
 */
static int param_uint(const struct lyb_portal_req *req,
		      struct lyb_portal_resp *resp, const char *key,
		      unsigned long long min, unsigned long long max,
		      unsigned long long def, size_t *out, int *answered)
{
	const char *s = req->param ? req->param(req->param_arg, key) : NULL;
	unsigned long long v;
	char *end;

	*out = (size_t)def;
	if (!s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	/* strtoull takes spaces and signs: only digits are a number here */
	if (*s < '0' || *s > '9' || *end || errno || v < min || v > max) {
		*answered = 1;
		resp_err(resp, 400, "%s: expected an integer from %llu to %llu",
			 key, min, max);
		return -EINVAL;
	}
	*out = (size_t)v;
	return 0;
}

static int paging(const struct lyb_portal_req *req,
		  struct lyb_portal_resp *resp, size_t *offset, size_t *limit,
		  int *answered)
{
	if (param_uint(req, resp, "offset", 0, 1000000000ull, 0, offset,
		       answered))
		return -EINVAL;
	return param_uint(req, resp, "limit", 1, LYB_PORTAL_PAGE_MAX,
			  LYB_PORTAL_PAGE_DEFAULT, limit, answered);
}

/* --- search --- */

/* 1 when some field "name" in compact Avro schema JSON @schema contains @q */
static int schema_names_match(const char *schema, const char *q)
{
	static const char key[] = "\"name\":\"";
	const char *s = schema, *end;
	char name[LYB_NAME_MAX + 1];
	size_t n;

	while ((s = strstr(s, key))) {
		s += sizeof(key) - 1;
		end = s;
		while (*end && *end != '"') {
			if (*end == '\\' && end[1])
				end++;
			end++;
		}
		n = (size_t)(end - s);
		if (n < sizeof(name)) {
			memcpy(name, s, n);
			name[n] = '\0';
			if (strcasestr(name, q))
				return 1;
		}
		s = end;
	}
	return 0;
}

static int ds_matches(const struct lyb_dataset *ds, const char *q)
{
	if (!q || !*q)
		return 1;
	return strcasestr(ds->name, q) ||
	       (ds->description && strcasestr(ds->description, q)) ||
	       (ds->owner && strcasestr(ds->owner, q)) ||
	       (ds->channel && strcasestr(ds->channel, q)) ||
	       (ds->pm && strcasestr(ds->pm, q)) ||
	       (ds->schema && schema_names_match(ds->schema, q));
}

static json_t *freshness_json(const struct lyb_freshness *f)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return NULL;
	rc |= put(o, "state", json_string(lyb_freshness_state_name(f->state)));
	rc |= put(o, "summary", json_string(f->summary));
	if (f->expected[0]) {
		rc |= put(o, "expected", json_string(f->expected));
		rc |= put(o, "deadline", jtime(f->deadline));
		rc |= put(o, "delivered",
			  f->delivered ? jtime(f->delivered) : json_null());
		rc |= put(o, "late_by", json_integer(f->late_by));
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *summary_json(const struct lyb_portal *p,
			    const struct lyb_dataset *ds, int64_t now)
{
	struct lyb_freshness f;
	char uri[LYB_NAME_MAX + 8];
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return NULL;
	snprintf(uri, sizeof(uri), "lyb://%s", ds->name);
	lyb_freshness_check(ds, now, &f);
	rc |= put(o, "name", json_string(ds->name));
	rc |= put(o, "uri", json_string(uri));
	rc |= put(o, "description", jstr(ds->description));
	rc |= put(o, "owner",
		  json_pack("{s:o, s:o, s:o}", "team", jstr(ds->owner),
			    "channel", jstr(ds->channel), "pm", jstr(ds->pm)));
	rc |= put(o, "updated", jtime(ds->updated));
	rc |= put(o, "versions", json_integer((json_int_t)ds->count_versions));
	rc |= put(o, "status", json_string(lyb_freshness_state_name(f.state)));
	if (ds->latest_date[0])
		rc |= put(o, "latest",
			  json_pack("{s:s, s:s, s:o}", "date", ds->latest_date,
				    "version", ds->latest_id, "published",
				    jtime(ds->latest_published)));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	(void)p;
	return o;
}

static int by_updated(const void *a, const void *b)
{
	const struct lyb_dataset *x = *(struct lyb_dataset *const *)a;
	const struct lyb_dataset *y = *(struct lyb_dataset *const *)b;

	if (x->updated != y->updated)
		return x->updated > y->updated ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int api_datasets(struct lyb_portal *p, const struct lyb_snap *snap,
			const struct lyb_portal_req *req,
			struct lyb_portal_resp *resp)
{
	const char *q = req->param ? req->param(req->param_arg, "q") : NULL;
	const char *sort =
		req->param ? req->param(req->param_arg, "sort") : NULL;
	struct lyb_dataset **list = NULL;
	size_t offset, limit, total = 0, i;
	int answered = 0, rc = 0;
	int64_t now = lyb_now();
	json_t *o, *a;

	if (paging(req, resp, &offset, &limit, &answered))
		return 0;
	if (q && strlen(q) > LYB_PORTAL_QUERY_MAX)
		return resp_err(resp, 400, "q: longer than %d bytes",
				LYB_PORTAL_QUERY_MAX);
	if (sort && strcmp(sort, "name") != 0 && strcmp(sort, "recent") != 0)
		return resp_err(resp, 400, "sort: expected name or recent");
	list = malloc((snap->ndatasets + 1) * sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (i = 0; i < snap->ndatasets; i++)
		if (ds_matches(snap->datasets[i], q))
			list[total++] = snap->datasets[i];
	if (sort && strcmp(sort, "recent") == 0)
		qsort(list, total, sizeof(*list), by_updated);
	o = json_object();
	a = json_array();
	if (!o || !a) {
		json_decref(o);
		json_decref(a);
		free(list);
		return -ENOMEM;
	}
	for (i = offset; i < total && i < offset + limit && rc == 0; i++)
		rc |= add(a, summary_json(p, list[i], now));
	free(list);
	rc |= put(o, "total", json_integer((json_int_t)total));
	rc |= put(o, "offset", json_integer((json_int_t)offset));
	rc |= put(o, "limit", json_integer((json_int_t)limit));
	rc |= put(o, "datasets", a);
	if (rc) {
		json_decref(o);
		return -ENOMEM;
	}
	return resp_json(resp, 200, o);
}

/* --- one DataSet --- */

/*
 * The delivery of the last LYB_PORTAL_DELIVERY_DAYS due partitions, newest
 * first, each judged by the SLO rule of freshness.h as of its own day.
 */
static json_t *delivery_json(const struct lyb_dataset *ds, int64_t now)
{
	json_t *a = json_array();
	struct lyb_freshness f;
	int i, rc = 0;

	if (!a)
		return NULL;
	for (i = 0; i < LYB_PORTAL_DELIVERY_DAYS && rc == 0; i++) {
		lyb_freshness_check(ds, now - (int64_t)i * 86400, &f);
		if (!f.expected[0])
			break; /* no SLO, or one the rule does not check */
		if (f.state == LYB_FRESH_MISSING) {
			/* as of now, not as of that day */
			f.late_by = now - f.deadline;
			snprintf(f.summary, sizeof(f.summary),
				 "missing: %s was due at %s UTC", f.expected,
				 ds->slo_deadline);
		}
		rc |= add(a, freshness_json(&f));
	}
	if (rc) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *access_state(struct lyb_portal *p, const struct lyb_dataset *ds,
			    const struct lyb_ident *id)
{
	char why[LYB_PRINCIPAL_MAX + 64], cmd[LYB_NAME_MAX + 64];
	json_t *o = json_object(), *reqs;
	const struct lyb_access_request *r = NULL;
	int rc = 0, manage = 0;
	size_t i;

	if (!o)
		return NULL;
	snprintf(cmd, sizeof(cmd), "lyb access request %s --reason \"...\"",
		 ds->name);
	rc |= put(o, "dataset", json_string(ds->name));
	rc |= put(o, "request_command", json_string(cmd));
	if (!id) {
		rc |= put(o, "authenticated", json_false());
		rc |= put(o, "user", json_null());
		rc |= put(o, "state", json_string("anonymous"));
		rc |= put(o, "can_manage", json_false());
		goto out;
	}
	rc |= put(o, "authenticated", json_true());
	rc |= put(o, "user", jstr(id->user[0] ? id->user : NULL));
	if (lyb_acl_can_read(p->acl, id, ds, why, sizeof(why))) {
		rc |= put(o, "state", json_string("granted"));
		rc |= put(o, "why", json_string(why));
	} else {
		for (i = 0; i < ds->nrequests && id->user[0]; i++)
			if (strcmp(ds->requests[i].principal, id->user) == 0)
				r = &ds->requests[i];
		if (r) {
			rc |= put(o, "state", json_string("pending"));
			rc |= put(o, "since", jtime(r->since));
			rc |= put(o, "reason", jstr(r->reason));
		} else {
			rc |= put(o, "state", json_string("none"));
		}
	}
	manage = lyb_acl_can_manage(p->acl, id, ds, NULL, 0);
	rc |= put(o, "can_manage", json_boolean(manage));
	if (manage) {
		reqs = json_array();
		for (i = 0; reqs && i < ds->nrequests; i++)
			rc |= add(reqs,
				  json_pack("{s:s, s:o, s:o}", "principal",
					    ds->requests[i].principal, "reason",
					    jstr(ds->requests[i].reason),
					    "since",
					    jtime(ds->requests[i].since)));
		rc |= put(o, "requests", reqs);
	}
out:
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Answers 200 with the record @text (formatted by lyb_core; freed here)
 * and, under "portal", the caller's extras @portal (taken here; NULL or a
 * nonzero @rc from filling it means it could not be built).
 */
static int resp_record(struct lyb_portal_resp *resp, char *text, json_t *portal,
		       int rc)
{
	json_t *o = json_loads(text, 0, NULL);

	free(text);
	if (!o || !portal || rc) {
		json_decref(portal);
		json_decref(o);
		return -ENOMEM;
	}
	if (json_object_set_new(o, "portal", portal)) { /* takes portal */
		json_decref(o);
		return -ENOMEM;
	}
	return resp_json(resp, 200, o);
}

static int api_card(struct lyb_portal *p, const struct lyb_snap *snap,
		    const struct lyb_dataset *ds,
		    const struct lyb_portal_req *req,
		    struct lyb_portal_resp *resp)
{
	char *text = NULL, path[4096 + LYB_NAME_MAX], cmd[LYB_NAME_MAX + 32];
	int64_t now = lyb_now();
	struct lyb_freshness f;
	json_t *portal;
	int rc = lyb_dataset_card(snap, ds, &text);

	if (rc)
		return rc;
	portal = json_object();
	lyb_freshness_check(ds, now, &f);
	snprintf(path, sizeof(path), "%s/%s", p->mount, ds->name);
	rc |= put(portal, "mount_path", json_string(path));
	snprintf(cmd, sizeof(cmd), "lyb head -n 10 %s", ds->name);
	rc |= put(portal, "head_command", json_string(cmd));
	rc |= put(portal, "freshness", freshness_json(&f));
	rc |= put(portal, "delivery", delivery_json(ds, now));
	rc |= put(portal, "access", access_state(p, ds, req->id));
	rc |= put(portal, "pending_requests",
		  json_integer((json_int_t)ds->nrequests));
	return resp_record(resp, text, portal, rc);
}

/* The copies of @v as in the version record, objects counted, not listed */
static json_t *locations_json(const struct lyb_version *v)
{
	json_t *o = json_object();
	size_t i;
	int rc = 0;

	for (i = 0; o && i < v->nlocations && rc == 0; i++) {
		const struct lyb_location *l = &v->locations[i];

		rc |= put(o, lyb_loc_kind_name(l->kind),
			  json_pack("{s:s, s:o, s:s, s:o, s:I}", "url", l->url,
				    "table", jstr(l->table), "format",
				    l->format, "compression",
				    jstr(l->compression), "object_count",
				    (json_int_t)l->nobjects));
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *version_summary(const struct lyb_version *v)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I}", "date", v->date,
			      "id", v->id, "digest", v->digest, "published",
			      jtime(v->published), "producer",
			      jstr(v->producer), "bytes", (json_int_t)v->bytes);

	if (o && v->rows >= 0 && put(o, "rows", json_integer(v->rows))) {
		json_decref(o);
		return NULL;
	}
	if (o && put(o, "locations", locations_json(v))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The dates of @ds, newest first, each with its count and latest version */
static int api_dates(struct lyb_portal *p, struct lyb_dataset *ds,
		     const struct lyb_portal_req *req,
		     struct lyb_portal_resp *resp)
{
	struct lyb_datelist *l = NULL;
	size_t offset, limit, i, k;
	int answered = 0, rc = 0;
	json_t *o, *a;

	if (paging(req, resp, &offset, &limit, &answered))
		return 0;
	if (lyb_dataset_dates(ds, &l))
		return resp_err(resp, 503, "the dates of %s do not load",
				ds->name);
	o = json_object();
	a = json_array();
	if (!o || !a)
		goto out_fail;
	/* a page of dates: only their own versions are loaded */
	for (k = offset; k < l->n && k < offset + limit && rc == 0; k++) {
		const struct lyb_date_sum *d = &l->d[l->n - 1 - k];
		struct lyb_dataset *part = NULL;
		const struct lyb_version *v = NULL;
		json_t *j = json_object();

		rc |= add(a, j);
		if (rc)
			break;
		if (lyb_dataset_part(ds, d->date, &part) == 0)
			v = lyb_dataset_find_version(part, d->date, d->latest);
		rc |= put(j, "date", json_string(d->date));
		rc |= put(j, "count", json_integer((json_int_t)d->count));
		rc |= put(j, "latest", v ? version_summary(v) : json_null());
		lyb_dataset_unref(part);
	}
	rc |= put(o, "dataset", json_string(ds->name));
	rc |= put(o, "total", json_integer((json_int_t)l->n));
	rc |= put(o, "offset", json_integer((json_int_t)offset));
	rc |= put(o, "limit", json_integer((json_int_t)limit));
	rc |= put(o, "dates", a);
	a = NULL;
	if (rc)
		goto out_fail;
	(void)p;
	(void)i;
	lyb_datelist_unref(l);
	return resp_json(resp, 200, o);
out_fail:
	lyb_datelist_unref(l);
	json_decref(a);
	json_decref(o);
	return -ENOMEM;
}

/* The versions of one date, newest first */
static int api_date(const struct lyb_dataset *ds, const struct lyb_date *d,
		    const struct lyb_portal_req *req,
		    struct lyb_portal_resp *resp)
{
	size_t offset, limit, k;
	int answered = 0, rc = 0;
	json_t *o, *a;

	if (paging(req, resp, &offset, &limit, &answered))
		return 0;
	o = json_object();
	a = json_array();
	if (!o || !a)
		goto out_fail;
	for (k = offset; k < d->count && k < offset + limit && rc == 0; k++)
		rc |= add(a,
			  version_summary(
				  &ds->versions[d->first + d->count - 1 - k]));
	rc |= put(o, "dataset", json_string(ds->name));
	rc |= put(o, "date", json_string(d->date));
	rc |= put(o, "latest", json_string(d->latest->id));
	rc |= put(o, "total", json_integer((json_int_t)d->count));
	rc |= put(o, "offset", json_integer((json_int_t)offset));
	rc |= put(o, "limit", json_integer((json_int_t)limit));
	rc |= put(o, "versions", a);
	a = NULL;
	if (rc)
		goto out_fail;
	return resp_json(resp, 200, o);
out_fail:
	json_decref(a);
	json_decref(o);
	return -ENOMEM;
}

static int api_version(struct lyb_portal *p, const struct lyb_dataset *ds,
		       const struct lyb_version *v,
		       struct lyb_portal_resp *resp)
{
	char *text = NULL, path[4096 + LYB_NAME_MAX + 96];
	char uri[LYB_NAME_MAX + 96];
	json_t *portal;
	int rc = lyb_version_record(ds, v, &text);

	if (rc)
		return rc;
	portal = json_object();
	snprintf(path, sizeof(path), "%s/%s/%s/%s", p->mount, ds->name, v->date,
		 v->id);
	snprintf(uri, sizeof(uri), "lyb://%s/%s/%s", ds->name, v->date, v->id);
	rc |= put(portal, "mount_path", json_string(path));
	rc |= put(portal, "uri", json_string(uri));
	rc |= put(
		portal, "latest_of_date",
		json_boolean(lyb_dataset_find_date(ds, v->date)->latest == v));
	return resp_record(resp, text, portal, rc);
}

/* --- lineage --- */

struct lineage {
	const struct lyb_snap *snap;
	json_t *nodes, *edges, *seen; /* seen: name -> level */
	size_t count;
	int truncated, rc;
	/* the current frontier's neighbours, collected by lyb_snap_downstream
	 */
	const char **next;
	size_t nnext, capnext;
};

static int node_add(struct lineage *l, const char *name, int level)
{
	const struct lyb_dataset *ds;
	json_t *n;

	if (json_object_get(l->seen, name))
		return 0;
	if (l->count >= LYB_PORTAL_LINEAGE_MAX) {
		l->truncated = 1;
		return 1;
	}
	ds = lyb_snap_find(l->snap, name);
	n = json_pack("{s:s, s:i, s:b, s:o}", "name", name, "level", level,
		      "exists", ds != NULL, "owner",
		      jstr(ds ? ds->owner : NULL));
	if (add(l->nodes, n) ||
	    json_object_set_new(l->seen, name, json_integer(level))) {
		l->rc = -ENOMEM;
		return -1;
	}
	l->count++;
	return 0;
}

static void edge_add(struct lineage *l, const char *from, const char *to)
{
	if (add(l->edges, json_pack("{s:s, s:s}", "from", from, "to", to)))
		l->rc = -ENOMEM;
}

static void collect_name(struct lineage *l, const char *name)
{
	const char **n;

	if (l->nnext == l->capnext) {
		l->capnext = l->capnext ? l->capnext * 2 : 16;
		n = realloc(l->next, l->capnext * sizeof(*n));
		if (!n) {
			l->rc = -ENOMEM;
			return;
		}
		l->next = n;
	}
	l->next[l->nnext++] = name;
}

static void collect_down(void *arg, const struct lyb_dataset *ds)
{
	collect_name(arg, ds->name);
}

/*
 * Breadth-first from @root, @depth levels up (@dir -1: upstream) or down
 * (+1). Names point into the snapshot, which outlives this call.
 */
static void lineage_walk(struct lineage *l, const char *root, size_t depth,
			 int dir)
{
	const char **frontier = NULL, **nf;
	size_t nfront = 1, lvl, i, j;

	frontier = malloc(sizeof(*frontier));
	if (!frontier) {
		l->rc = -ENOMEM;
		return;
	}
	frontier[0] = root;
	for (lvl = 1; lvl <= depth && nfront && l->rc == 0; lvl++) {
		size_t nn = 0, cap = 0;

		nf = NULL;
		for (i = 0; i < nfront && l->rc == 0; i++) {
			const struct lyb_dataset *ds =
				lyb_snap_find(l->snap, frontier[i]);

			if (!ds)
				continue;
			l->nnext = 0;
			if (dir < 0) {
				for (j = 0; j < ds->nupstream; j++)
					collect_name(l, ds->upstream[j]);
			} else {
				lyb_snap_downstream(l->snap, ds->name,
						    collect_down, l);
			}
			for (j = 0; j < l->nnext && l->rc == 0; j++) {
				const char *n = l->next[j];
				int fresh = !json_object_get(l->seen, n);

				if (dir < 0)
					edge_add(l, n, frontier[i]);
				else
					edge_add(l, frontier[i], n);
				if (!fresh)
					continue;
				if (node_add(l, n, dir * (int)lvl))
					break;
				if (nn == cap) {
					const char **g;

					cap = cap ? cap * 2 : 16;
					g = realloc(nf, cap * sizeof(*g));
					if (!g) {
						l->rc = -ENOMEM;
						break;
					}
					nf = g;
				}
				nf[nn++] = n;
			}
		}
		free(frontier);
		frontier = nf;
		nfront = nn;
	}
	free(frontier);
}

static int api_lineage(const struct lyb_snap *snap,
		       const struct lyb_dataset *ds,
		       const struct lyb_portal_req *req,
		       struct lyb_portal_resp *resp)
{
	struct lineage l = {.snap = snap};
	int answered = 0, rc = 0;
	size_t depth;
	json_t *o;

	if (param_uint(req, resp, "depth", 1, LYB_PORTAL_DEPTH_MAX, 2, &depth,
		       &answered))
		return 0;
	l.nodes = json_array();
	l.edges = json_array();
	l.seen = json_object();
	if (!l.nodes || !l.edges || !l.seen)
		l.rc = -ENOMEM;
	if (l.rc == 0)
		node_add(&l, ds->name, 0);
	if (l.rc == 0)
		lineage_walk(&l, ds->name, depth, -1);
	if (l.rc == 0)
		lineage_walk(&l, ds->name, depth, 1);
	free(l.next);
	json_decref(l.seen);
	if (l.rc) {
		json_decref(l.nodes);
		json_decref(l.edges);
		return l.rc;
	}
	o = json_object();
	if (!o) {
		json_decref(l.nodes);
		json_decref(l.edges);
		return -ENOMEM;
	}
	rc |= put(o, "dataset", json_string(ds->name));
	rc |= put(o, "depth", json_integer((json_int_t)depth));
	rc |= put(o, "truncated", json_boolean(l.truncated));
	rc |= put(o, "nodes", l.nodes);
	rc |= put(o, "edges", l.edges);
	if (rc) {
		json_decref(o);
		return -ENOMEM;
	}
	return resp_json(resp, 200, o);
}

/* --- access actions --- */

static int csrf_ok(struct lyb_portal *p, const struct lyb_portal_req *req,
		   struct lyb_portal_resp *resp)
{
	char want[LYB_PORTAL_CSRF_LEN + 1];
	unsigned diff = 0;
	size_t i, hl;

	if (!req->content_type ||
	    strncasecmp(req->content_type, "application/json", 16) != 0 ||
	    (req->content_type[16] && req->content_type[16] != ';' &&
	     req->content_type[16] != ' ')) {
		resp_err(resp, 415, "expected Content-Type: application/json");
		return 0;
	}
	if (req->sec_fetch_site && strcmp(req->sec_fetch_site, "same-origin") &&
	    strcmp(req->sec_fetch_site, "none")) {
		resp_err(resp, 403, "cross-site request refused (%s)",
			 "Sec-Fetch-Site");
		return 0;
	}
	if (req->origin) {
		const char *o = req->origin;

		if (strncmp(o, "https://", 8) == 0)
			o += 8;
		else if (strncmp(o, "http://", 7) == 0)
			o += 7;
		else
			o = NULL;
		hl = req->host ? strlen(req->host) : 0;
		if (!o || !hl || strcasecmp(o, req->host) != 0) {
			resp_err(resp, 403, "cross-site request refused (%s)",
				 "Origin");
			return 0;
		}
	}
	lyb_portal_csrf(p, req->id, want);
	if (!req->csrf || strlen(req->csrf) != LYB_PORTAL_CSRF_LEN ||
	    !want[0]) {
		resp_err(resp, 403, "missing or bad X-Lyb-CSRF token");
		return 0;
	}
	for (i = 0; i < LYB_PORTAL_CSRF_LEN; i++)
		diff |= (unsigned char)(req->csrf[i] ^ want[i]);
	if (diff) {
		resp_err(resp, 403, "missing or bad X-Lyb-CSRF token");
		return 0;
	}
	return 1;
}

static int errno_status(int rc)
{
	switch (rc) {
	case -EPERM:
	case -EACCES:
		return 403;
	case -EALREADY:
	case -EEXIST:
		return 409;
	case -ENOENT:
		return 404;
	case -EINVAL:
	case -E2BIG:
		return 400;
	case -EAGAIN:
	case -EBUSY:
		return 503;
	default:
		return 500;
	}
}

/* The audit line of a portal decision by @req's caller (signed in) */
static void audit_event(const struct lyb_portal_req *req, const char *op,
			const char *dataset, struct lyb_audit_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->uid = req->id->uid;
	ev->pid = getpid();
	ev->principal = req->id->user[0] ? req->id->user : req->id->display;
	ev->comm = "lyb-portal";
	ev->op = op;
	ev->dataset = dataset;
}

/*
 * The gate of what is for @ds's readers (its dates, versions and version
 * records): 0 when the caller may read @ds; otherwise 1 with the answer
 * in @resp, 401 for an anonymous caller and 403 with the mount's words
 * and the way to request access for a signed-in one (-ENOMEM when that
 * answer cannot be built). Every decision on a signed-in caller is
 * audited, as the mount audits its opendir.
 */
static int readers_only(struct lyb_portal *p, const struct lyb_dataset *ds,
			const char *date, const char *version,
			const struct lyb_portal_req *req,
			struct lyb_portal_resp *resp)
{
	char why[LYB_PRINCIPAL_MAX + 64], hint[1024];
	char denied[LYB_PRINCIPAL_MAX + LYB_NAME_MAX + 128];
	struct lyb_audit_event ev;
	int ok, rc;

	if (!req->id) {
		rc = resp_err(resp, 401,
			      "sign in to see the versions of %s: they are for "
			      "its readers",
			      ds->name);
		return rc ? rc : 1;
	}
	ok = lyb_acl_can_read(p->acl, req->id, ds, why, sizeof(why));
	audit_event(req, "list", ds->name, &ev);
	ev.date = date;
	ev.version = version;
	ev.path = "";
	ev.allowed = ok;
	ev.reason = why;
	if (p->audit)
		lyb_audit_write(p->audit, &ev);
	if (ok)
		return 0;
	lyb_acl_denied_text(req->id, ds->name, denied, sizeof(denied));
	lyb_acl_request_hint(req->id, ds, hint, sizeof(hint));
	rc = resp_err(resp, 403, "%s. %s", denied, hint);
	return rc ? rc : 1;
}

static int api_change(struct lyb_portal *p, const char *name, const char *verb,
		      const struct lyb_portal_req *req,
		      struct lyb_portal_resp *resp)
{
	struct lyb_audit_event ev;
	const char *arg = NULL;
	char err[1024] = "";
	json_error_t jerr;
	json_t *body, *v;
	int rc;

	if (!req->id)
		return resp_err(
			resp, 401,
			"sign in through the portal's proxy to %s access",
			verb);
	if (!csrf_ok(p, req, resp))
		return 0;
	if (!req->body || req->body_len > LYB_PORTAL_BODY_MAX)
		return resp_err(resp, 400, "expected a JSON object body");
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!body || !json_is_object(body)) {
		json_decref(body);
		return resp_err(resp, 400, "body: expected a JSON object");
	}
	v = json_object_get(body, strcmp(verb, "request") == 0 ? "reason"
							       : "principal");
	if (v && !json_is_string(v)) {
		json_decref(body);
		return resp_err(resp, 400, "%s: expected a string",
				strcmp(verb, "request") == 0 ? "reason"
							     : "principal");
	}
	arg = v ? json_string_value(v) : NULL;
	if (arg && strlen(arg) != json_string_length(v)) {
		json_decref(body);
		return resp_err(resp, 400, "a NUL byte in the body");
	}
	if (arg && strcmp(verb, "request") == 0 && !*arg)
		arg = NULL;
	if (strcmp(verb, "request") != 0 && !arg) {
		json_decref(body);
		return resp_err(resp, 400, "principal: required");
	}
	rc = lyb_acl_change(p->cat, p->acl, req->id, verb, name, arg, err,
			    sizeof(err));
	if (rc && !err[0])
		snprintf(err, sizeof(err), "%s", strerror(-rc));
	audit_event(req, verb, name, &ev);
	ev.path = arg && strcmp(verb, "request") != 0 ? arg : "";
	ev.allowed = rc == 0;
	ev.reason = rc ? err : arg && strcmp(verb, "request") == 0 ? arg : "";
	if (p->audit)
		lyb_audit_write(p->audit, &ev);
	if (rc) {
		json_decref(body);
		return resp_err(resp, errno_status(rc), "%s", err);
	}
	/* show the change on the next load, not a refresh period later */
	lyb_catalog_refresh(p->cat, NULL);
	rc = resp_json(
		resp, 200,
		json_pack("{s:b, s:s, s:s, s:s, s:o}", "ok", 1, "action", verb,
			  "dataset", name, "by", req->id->user, "principal",
			  jstr(strcmp(verb, "request") == 0 ? req->id->user
							    : arg)));
	json_decref(body);
	return rc;
}

/* --- audit trail --- */

struct audit_ring {
	json_t *ring[LYB_PORTAL_AUDIT_MAX];
	size_t n, total;
};

static int audit_cb(void *arg, const struct lyb_audit_record *r)
{
	struct audit_ring *a = arg;
	json_t *o = json_pack(
		"{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"time", r->time, "uid", (json_int_t)r->uid, "principal",
		r->principal, "comm", r->comm, "op", r->op, "date", r->date,
		"version", r->version, "location", r->location, "path", r->path,
		"decision", r->decision, "reason", r->reason);
	size_t slot = a->total % LYB_PORTAL_AUDIT_MAX;

	if (!o)
		return 1;
	json_decref(a->ring[slot]);
	a->ring[slot] = o;
	a->total++;
	if (a->n < LYB_PORTAL_AUDIT_MAX)
		a->n++;
	return 0;
}

static int api_audit(struct lyb_portal *p, const struct lyb_dataset *ds,
		     const struct lyb_portal_req *req,
		     struct lyb_portal_resp *resp)
{
	struct audit_ring *ring;
	size_t bad = 0, i;
	json_t *o, *hist, *log;
	int rc = 0, lr = -ENOENT;

	if (!req->id)
		return resp_err(resp, 401, "sign in to see the audit trail");
	if (!lyb_acl_can_manage(p->acl, req->id, ds, NULL, 0))
		return resp_err(resp, 403,
				"%s is not an owner of %s (owners and admins "
				"see its audit trail)",
				req->id->display, ds->name);
	ring = calloc(1, sizeof(*ring));
	o = json_object();
	hist = json_array();
	log = json_array();
	if (!ring || !o || !hist || !log)
		goto out_fail;
	for (i = 0; i < ds->nhistory && rc == 0; i++) {
		const struct lyb_access_change *c = &ds->history[i];

		rc |= add(hist, json_pack("{s:o, s:s, s:s, s:s, s:o}", "time",
					  jtime(c->time), "by", c->by, "action",
					  c->action, "principal", c->principal,
					  "reason", jstr(c->reason)));
	}
	if (p->audit_path)
		lr = lyb_audit_read(p->audit_path, ds->name, audit_cb, ring,
				    &bad);
	for (i = 0; i < ring->n && rc == 0; i++) {
		size_t slot =
			(ring->total - ring->n + i) % LYB_PORTAL_AUDIT_MAX;

		rc |= add(log, ring->ring[slot]);
		ring->ring[slot] = NULL;
	}
	rc |= put(o, "dataset", json_string(ds->name));
	rc |= put(o, "history", hist);
	hist = NULL;
	rc |= put(o, "log", log);
	log = NULL;
	rc |= put(o, "log_lines", json_integer((json_int_t)ring->total));
	rc |= put(o, "log_readable", json_boolean(lr == 0));
	if (rc)
		goto out_fail;
	for (i = 0; i < LYB_PORTAL_AUDIT_MAX; i++)
		json_decref(ring->ring[i]);
	free(ring);
	return resp_json(resp, 200, o);
out_fail:
	if (ring)
		for (i = 0; i < LYB_PORTAL_AUDIT_MAX; i++)
			json_decref(ring->ring[i]);
	free(ring);
	json_decref(hist);
	json_decref(log);
	json_decref(o);
	return -ENOMEM;
}

/* --- the caller --- */

static int api_me(struct lyb_portal *p, const struct lyb_portal_req *req,
		  struct lyb_portal_resp *resp)
{
	char token[LYB_PORTAL_CSRF_LEN + 1];
	json_t *o, *g;
	size_t i;
	int rc = 0;

	if (!req->id)
		return resp_json(resp, 200,
				 json_pack("{s:b, s:n, s:n, s:[], s:n}",
					   "authenticated", 0, "user",
					   "display", "groups", "csrf"));
	lyb_portal_csrf(p, req->id, token);
	o = json_object();
	g = json_array();
	for (i = 0; g && i < req->id->ngroups; i++)
		rc |= add(g, json_string(req->id->groups[i]));
	if (!o)
		rc = 1;
	else {
		rc |= put(o, "authenticated", json_true());
		rc |= put(o, "user",
			  jstr(req->id->user[0] ? req->id->user : NULL));
		rc |= put(o, "display", json_string(req->id->display));
		rc |= put(o, "groups", g);
		g = NULL;
		rc |= put(o, "csrf", json_string(token));
	}
	if (rc) {
		json_decref(g);
		json_decref(o);
		return -ENOMEM;
	}
	return resp_json(resp, 200, o);
}

static int api_inbox(struct lyb_portal *p, const struct lyb_snap *snap,
		     const struct lyb_portal_req *req,
		     struct lyb_portal_resp *resp)
{
	json_t *o, *a;
	size_t i, j, total = 0;
	int rc = 0;

	if (!req->id)
		return resp_err(resp, 401, "sign in to see your inbox");
	o = json_object();
	a = json_array();
	if (!o || !a)
		goto out_fail;
	for (i = 0; i < snap->ndatasets && rc == 0; i++) {
		const struct lyb_dataset *ds = snap->datasets[i];

		if (!ds->nrequests ||
		    !lyb_acl_can_manage(p->acl, req->id, ds, NULL, 0))
			continue;
		for (j = 0; j < ds->nrequests && rc == 0; j++) {
			const struct lyb_access_request *r = &ds->requests[j];

			if (total++ >= LYB_PORTAL_PAGE_MAX)
				continue;
			rc |= add(a,
				  json_pack("{s:s, s:s, s:o, s:o}", "dataset",
					    ds->name, "principal", r->principal,
					    "reason", jstr(r->reason), "since",
					    jtime(r->since)));
		}
	}
	rc |= put(o, "total", json_integer((json_int_t)total));
	rc |= put(o, "requests", a);
	a = NULL;
	if (rc)
		goto out_fail;
	return resp_json(resp, 200, o);
out_fail:
	json_decref(a);
	json_decref(o);
	return -ENOMEM;
}

/* --- routing --- */

/* Splits @path into at most SEGS_MAX non-empty segments, in @buf. */
static int split(const char *path, char *buf, size_t buflen,
		 char *seg[SEGS_MAX], size_t *nseg)
{
	size_t n = strlen(path);
	char *s, *e;

	*nseg = 0;
	if (n >= buflen)
		return -E2BIG;
	memcpy(buf, path, n + 1);
	for (s = buf; *s;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		if (*nseg == SEGS_MAX)
			return -E2BIG;
		e = strchr(s, '/');
		seg[(*nseg)++] = s;
		if (!e)
			break;
		*e = '\0';
		s = e + 1;
	}
	return 0;
}

static int route(struct lyb_portal *p, const struct lyb_snap *snap,
		 const struct lyb_portal_req *req, char **seg, size_t nseg,
		 struct lyb_portal_resp *resp)
{
	int get = strcmp(req->method, "GET") == 0 ||
		  strcmp(req->method, "HEAD") == 0;
	int post = strcmp(req->method, "POST") == 0, rc;
	struct lyb_dataset *ds, *hold = NULL;
	const struct lyb_version *v;
	const struct lyb_date *d;

	if (nseg == 1 && !get &&
	    (strcmp(seg[0], "me") == 0 || strcmp(seg[0], "inbox") == 0 ||
	     strcmp(seg[0], "datasets") == 0))
		return resp_err(resp, 405, "GET only");
	if (nseg == 1 && strcmp(seg[0], "me") == 0 && get)
		return api_me(p, req, resp);
	if (nseg == 1 && strcmp(seg[0], "inbox") == 0 && get)
		return api_inbox(p, snap, req, resp);
	if (nseg == 1 && strcmp(seg[0], "datasets") == 0 && get)
		return api_datasets(p, snap, req, resp);
	if (nseg < 2 || strcmp(seg[0], "datasets") != 0)
		return resp_err(resp, 404, "no such API endpoint");
	if (!lyb_name_valid(seg[1]))
		return resp_err(resp, 400,
				"not a DataSet name (namespace.Name)");
	ds = lyb_snap_find(snap, seg[1]);
	if (!ds)
		return resp_err(resp, 404, "no DataSet %s", seg[1]);
	if (nseg == 4 && strcmp(seg[2], "access") == 0 &&
	    (strcmp(seg[3], "request") == 0 || strcmp(seg[3], "grant") == 0 ||
	     strcmp(seg[3], "revoke") == 0)) {
		if (!post)
			return resp_err(resp, 405, "POST only");
		return api_change(p, ds->name, seg[3], req, resp);
	}
	if (!get)
		return resp_err(resp, 405, "GET only");
	if (nseg == 2)
		return api_card(p, snap, ds, req, resp);
	/* one rule with the mount: the card is public, versions are the
	 * readers' (docs/operations.md, What is public) */
	if (nseg == 3 && strcmp(seg[2], "dates") == 0)
		return (rc = readers_only(p, ds, NULL, NULL, req, resp))
			       ? (rc < 0 ? rc : 0)
			       : api_dates(p, ds, req, resp);
	if (nseg == 3 && strcmp(seg[2], "lineage") == 0)
		return api_lineage(snap, ds, req, resp);
	if (nseg == 3 && strcmp(seg[2], "access") == 0) {
		json_t *a = access_state(p, ds, req->id);

		return a ? resp_json(resp, 200, a) : -ENOMEM;
	}
	if (nseg == 3 && strcmp(seg[2], "audit") == 0) {
		char err[512];

		/* a format 2 card has no history: its head commit does,
		 * loaded only for those who may see it (the card has the
		 * owner that decides) */
		if (!ds->f2 || !req->id ||
		    !lyb_acl_can_manage(p->acl, req->id, ds, NULL, 0))
			return api_audit(p, ds, req, resp);
		if (lyb_catalog_get(p->cat, ds->name, &hold, err, sizeof(err)))
			return resp_err(resp, 503, "%s", err);
		rc = api_audit(p, hold, req, resp);
		lyb_dataset_unref(hold);
		return rc;
	}
	if ((nseg == 4 && strcmp(seg[2], "dates") == 0) ||
	    (nseg == 5 && strcmp(seg[2], "versions") == 0)) {
		if (!lyb_date_valid(seg[3]))
			return resp_err(resp, 400, "not a date (YYYY-MM-DD)");
		if (nseg == 5 && !lyb_id_valid(seg[4]))
			return resp_err(resp, 400,
					"expected versions/YYYY-MM-DD/ID");
		rc = readers_only(p, ds, seg[3], nseg == 5 ? seg[4] : NULL, req,
				  resp);
		if (rc)
			return rc < 0 ? rc : 0;
		if (lyb_dataset_part(ds, seg[3], &hold))
			return resp_err(resp, 503,
					"the versions of %s do not "
					"load",
					ds->name);
		if (nseg == 4) {
			d = lyb_dataset_find_date(hold, seg[3]);
			rc = d ? api_date(hold, d, req, resp)
			       : resp_err(resp, 404, "%s has no date %s",
					  ds->name, seg[3]);
		} else {
			v = lyb_dataset_find_version(hold, seg[3], seg[4]);
			rc = v ? api_version(p, hold, v, resp)
			       : resp_err(resp, 404, "%s has no version %s/%s",
					  ds->name, seg[3], seg[4]);
		}
		lyb_dataset_unref(hold);
		return rc;
	}
	return resp_err(resp, 404, "no such API endpoint");
}

int lyb_portal_handle(struct lyb_portal *p, const struct lyb_portal_req *req,
		      struct lyb_portal_resp *resp)
{
	char buf[1024], *seg[SEGS_MAX];
	struct lyb_snap *snap;
	size_t nseg;
	int rc;

	memset(resp, 0, sizeof(*resp));
	if (strncmp(req->path, "/api/v1/", 8) != 0)
		return resp_err(resp, 404, "no such API endpoint");
	if (split(req->path + 8, buf, sizeof(buf), seg, &nseg))
		return resp_err(resp, 414, "path too long");
	snap = lyb_catalog_snap(p->cat);
	if (!snap)
		return resp_err(resp, 503, "the catalog is not loaded yet");
	rc = route(p, snap, req, seg, nseg, resp);
	lyb_snap_unref(snap);
	return rc;
}
