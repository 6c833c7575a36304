// SPDX-License-Identifier: Apache-2.0
/*
 * gcs.c - the Google Cloud Storage JSON API client (see include/lyb/gcs.h).
 *
 * Each API call is a struct call: one logical operation on one object,
 * with a deadline. call_send() makes one attempt with a fresh token and
 * call_retry() decides, sleeps and says whether to go again; call_end()
 * maps the last answer to an errno. Reads and resumable uploads loop
 * around these themselves because their next attempt depends on the
 * progress of the last one.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gcs_impl.h"
#include "lyb/auth.h"
#include "lyb/buf.h"
#include "lyb/clock.h"
#include "lyb/digest.h"
#include "lyb/gcs.h"
#include "lyb/http.h"
#include "lyb/log.h"

#define DEFAULT_ENDPOINT "https://storage.googleapis.com"
#define URL_MAX (16 * 1024)
#define JSON_MAX (32 * 1024 * 1024) /* one listing page or metadata */
#define CHUNK_UNIT (256 * 1024)
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

struct lyb_gcs {
	atomic_int refs;
	char *endpoint; /* without a trailing '/' */
	struct lyb_auth *auth;
	unsigned deadline_ms, stall_ms;
	size_t chunk_size;
};

struct call {
	struct lyb_gcs *g;
	const char *op, *bucket, *name; /* for logs */
	double deadline;		/* monotonic seconds */
	unsigned delay_ms;		/* next backoff */
	int attempts;
	int reauthed;	/* a 401 already got a fresh token */
	int transient;	/* the last failure was worth retrying */
	int retried;	/* some attempt failed transiently */
	int auth_rc;	/* the last attempt failed getting a token */
	char last[160]; /* what the last transient failure was */
};

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lyb_gcs *default_gcs;	  /* under default_lock */
static struct lyb_gcs_config default_cfg; /* under default_lock */
static char *default_strs[2];		  /* owned copies for default_cfg */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The object (or prefix) a call is about, for logs. */
static const char *obj_name(const struct call *c)
{
	return c->name ? c->name : "";
}

/* ---- client ---- */

int lyb_gcs_new(const struct lyb_gcs_config *cfg, struct lyb_gcs **out)
{
	static const struct lyb_gcs_config none;
	const char *emu = getenv("STORAGE_EMULATOR_HOST");
	const char *ep, *creds;
	struct lyb_gcs *g;
	size_t n;
	int rc;

	if (!cfg)
		cfg = &none;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	atomic_init(&g->refs, 1);
	g->deadline_ms = cfg->deadline_ms ? cfg->deadline_ms : 30000;
	g->stall_ms = cfg->stall_ms ? cfg->stall_ms : 20000;
	g->chunk_size = cfg->chunk_size ? cfg->chunk_size : 32 * CHUNK_UNIT;
	if (g->chunk_size % CHUNK_UNIT) {
		rc = -EINVAL;
		goto out_free;
	}
	ep = cfg->endpoint;
	creds = cfg->credentials;
	if ((!ep || !*ep) && emu && *emu) {
		if (asprintf(&g->endpoint, "%s%s",
			     strstr(emu, "://") ? "" : "http://", emu) < 0)
			g->endpoint = NULL;
		if (!creds)
			creds = "anonymous";
	} else {
		g->endpoint = strdup(ep && *ep ? ep : DEFAULT_ENDPOINT);
	}
	if (!g->endpoint) {
		rc = -ENOMEM;
		goto out_free;
	}
	n = strlen(g->endpoint);
	while (n > 0 && g->endpoint[n - 1] == '/')
		g->endpoint[--n] = '\0';
	if (strncmp(g->endpoint, "http://", 7) != 0 &&
	    strncmp(g->endpoint, "https://", 8) != 0) {
		lyb_log(LYB_LOG_ERR, "gcs endpoint %s: not an http(s) url",
			g->endpoint);
		rc = -EINVAL;
		goto out_free;
	}
	rc = lyb_auth_new(creds, &g->auth);
	if (rc)
		goto out_free;
	*out = g;
	return 0;
out_free:
	free(g->endpoint);
	free(g);
	return rc;
}

struct lyb_gcs *lyb_gcs_ref(struct lyb_gcs *g)
{
	atomic_fetch_add(&g->refs, 1);
	return g;
}

void lyb_gcs_unref(struct lyb_gcs *g)
{
	int last;

	if (!g)
		return;
	pthread_mutex_lock(&default_lock);
	last = atomic_fetch_sub(&g->refs, 1) == 1;
	if (last && default_gcs == g)
		default_gcs = NULL;
	pthread_mutex_unlock(&default_lock);
	if (!last)
		return;
	lyb_auth_free(g->auth);
	free(g->endpoint);
	free(g);
}

const char *lyb_gcs_endpoint(const struct lyb_gcs *g)
{
	return g->endpoint;
}

int lyb_gcs_set_default(const struct lyb_gcs_config *cfg)
{
	char *ep = NULL, *cr = NULL;
	int rc = 0;

	if ((cfg->endpoint && !(ep = strdup(cfg->endpoint))) ||
	    (cfg->credentials && !(cr = strdup(cfg->credentials)))) {
		free(ep);
		return -ENOMEM;
	}
	pthread_mutex_lock(&default_lock);
	if (default_gcs) {
		rc = -EBUSY;
	} else {
		free(default_strs[0]);
		free(default_strs[1]);
		default_strs[0] = ep;
		default_strs[1] = cr;
		default_cfg = *cfg;
		default_cfg.endpoint = ep;
		default_cfg.credentials = cr;
		ep = cr = NULL;
	}
	pthread_mutex_unlock(&default_lock);
	free(ep);
	free(cr);
	return rc;
}

int lyb_gcs_default(struct lyb_gcs **out)
{
	int rc = 0;

	pthread_mutex_lock(&default_lock);
	if (default_gcs)
		atomic_fetch_add(&default_gcs->refs, 1);
	else
		rc = lyb_gcs_new(&default_cfg, &default_gcs);
	if (rc == 0)
		*out = default_gcs;
	pthread_mutex_unlock(&default_lock);
	return rc;
}

/* ---- one call: attempts, retries, errors ---- */

static void call_init(struct call *c, struct lyb_gcs *g, const char *op,
		      const char *bucket, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->g = g;
	c->op = op;
	c->bucket = bucket;
	c->name = name;
	c->deadline = lyb_mono() + g->deadline_ms / 1000.0;
	c->delay_ms = BACKOFF_FIRST_MS;
}

/* One attempt of @req with the token and @extra headers (NULL-ended). */
static int call_send(struct call *c, struct lyb_http_req *req,
		     const char *const *extra, struct lyb_http_resp *resp)
{
	const char *hdrs[8];
	char auth[2200];
	double left = c->deadline - lyb_mono();
	size_t n = 0;
	int rc;

	c->attempts++;
	c->auth_rc = 0;
	memset(resp, 0, sizeof(*resp));
	rc = lyb_auth_header(c->g->auth, auth, sizeof(auth));
	if (rc) {
		c->auth_rc = rc;
		return rc;
	}
	if (auth[0])
		hdrs[n++] = auth;
	while (extra && *extra && n < sizeof(hdrs) / sizeof(hdrs[0]) - 1)
		hdrs[n++] = *extra++;
	hdrs[n] = NULL;
	req->headers = hdrs;
	req->timeout_ms = left > 0.001 ? (unsigned)(left * 1000) + 1 : 1;
	req->stall_ms = c->g->stall_ms;
	rc = lyb_http_do(req, resp);
	explicit_bzero(auth, sizeof(auth));
	req->headers = NULL;
	return rc;
}

static int transient_errno(int rc)
{
	return rc == -ETIMEDOUT || rc == -ECONNRESET || rc == -ECONNREFUSED ||
	       rc == -EHOSTUNREACH || rc == -EIO;
}

/*
 * After an attempt: 1 to go again (having slept the backoff), 0 to stop.
 * @progress resets the backoff (a read that moved forward).
 */
static int call_retry(struct call *c, int rc, const struct lyb_http_resp *r,
		      int progress)
{
	static _Thread_local unsigned seed;
	unsigned sleep;
	double left;
	long st = r->status;

	if (c->auth_rc)
		c->transient = transient_errno(c->auth_rc);
	else if (rc)
		c->transient = transient_errno(rc);
	else
		c->transient = st == 408 || st == 429 || st >= 500 ||
			       (st == 401 && !c->reauthed);
	if (!c->transient)
		return 0;
	c->retried = 1;
	if (c->auth_rc)
		snprintf(c->last, sizeof(c->last), "getting a token: %s",
			 strerror(-c->auth_rc));
	else if (rc)
		snprintf(c->last, sizeof(c->last), "%s", strerror(-rc));
	else
		snprintf(c->last, sizeof(c->last), "http %ld", st);
	if (!rc && st == 401) {
		c->reauthed = 1;
		lyb_auth_invalidate(c->g->auth);
		return 1;
	}
	if (progress)
		c->delay_ms = BACKOFF_FIRST_MS;
	left = c->deadline - lyb_mono();
	if (left <= 0)
		return 0;
	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed;
	/* full jitter over the upper half: [delay/2, delay] */
	sleep = c->delay_ms / 2 +
		(unsigned)rand_r(&seed) % (c->delay_ms / 2 + 1);
	if (sleep > left * 1000)
		sleep = (unsigned)(left * 1000);
	lyb_log(LYB_LOG_DEBUG, "gs://%s/%s: %s: %s, retry %d in %u ms",
		c->bucket, obj_name(c), c->op, c->last, c->attempts, sleep);
	sleep_ms(sleep);
	c->delay_ms = c->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
						       : c->delay_ms * 2;
	return lyb_mono() < c->deadline;
}

/* Printable start of an error body, for logs. */
static const char *clean_error(struct lyb_http_resp *r)
{
	char *p;

	for (p = r->error; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	return r->error;
}

/* Maps the end of a call to 0 (2xx) or an errno, logging failures. */
static int call_end(struct call *c, int rc, struct lyb_http_resp *r)
{
	long st = r->status;

	if (c->transient) {
		lyb_log(LYB_LOG_ERR,
			"gs://%s/%s: %s: gave up after %d attempts in %.1f s: "
			"%s",
			c->bucket, obj_name(c), c->op, c->attempts,
			c->g->deadline_ms / 1000.0, c->last);
		return -EIO;
	}
	if (c->auth_rc)
		return c->auth_rc;
	if (rc) {
		lyb_log(LYB_LOG_ERR, "gs://%s/%s: %s: %s", c->bucket,
			obj_name(c), c->op,
			rc == -EPROTO ? "tls handshake or certificate failed"
				      : strerror(-rc));
		return rc == -EPROTO ? -EIO : rc;
	}
	if (st >= 200 && st <= 299)
		return 0;
	if (st == 404)
		return -ENOENT;
	if (st == 412)
		return -EAGAIN;
	if (st == 401 || st == 403) {
		lyb_log(LYB_LOG_ERR,
			"gs://%s/%s: %s: permission denied (http %ld, "
			"credentials: %s): %.200s",
			c->bucket, obj_name(c), c->op, st,
			lyb_auth_kind(c->g->auth), clean_error(r));
		return -EACCES;
	}
	lyb_log(LYB_LOG_ERR, "gs://%s/%s: %s: http %ld: %.200s", c->bucket,
		obj_name(c), c->op, st, clean_error(r));
	return st == 400 ? -EINVAL : -EIO;
}

/* Appends "/b/BUCKET/o[/NAME]" to @u. */
static int add_path(struct lyb_buf *u, const char *bucket, const char *name)
{
	int rc = lyb_buf_addstr(u, "/b/");

	if (!rc)
		rc = lyb_http_escape(u, bucket);
	if (!rc)
		rc = lyb_buf_addstr(u, "/o");
	if (!rc && name) {
		rc = lyb_buf_addstr(u, "/");
		if (!rc)
			rc = lyb_http_escape(u, name);
	}
	return rc;
}

static int make_url(struct lyb_buf *u, struct lyb_gcs *g, const char *api,
		    const char *bucket, const char *name)
{
	int rc;

	lyb_buf_init(u, URL_MAX);
	rc = lyb_buf_printf(u, "%s%s", g->endpoint, api);
	if (!rc)
		rc = add_path(u, bucket, name);
	return rc == -E2BIG ? -ENAMETOOLONG : rc;
}

/* ---- answers (gcs_impl.h) ---- */

static int bad_json(const struct call *c, const char *what)
{
	lyb_log(LYB_LOG_ERR, "gs://%s/%s: %s: bad answer: %s", c->bucket,
		obj_name(c), c->op, what);
	return -EBADMSG;
}

/* Logs what a parser rejected (not what a list callback returned). */
static int parsed(const struct call *c, int rc, const char *why)
{
	if (rc && why[0])
		bad_json(c, why);
	return rc;
}

static int reject(char *why, size_t whylen, const char *what)
{
	if (whylen)
		snprintf(why, whylen, "%s", what);
	return -EBADMSG;
}

static json_t *load_json(const char *json, size_t len, char *why, size_t whylen)
{
	json_error_t e;
	json_t *j;

	if (whylen)
		why[0] = '\0';
	j = json_loadb(json ? json : "", len, 0, &e);
	if (!j) {
		if (whylen)
			snprintf(why, whylen, "json line %d column %d: %s",
				 e.line, e.column, e.text);
	} else if (!json_is_object(j)) {
		reject(why, whylen, "json is not an object");
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* A decimal string field (GCS sends int64s as strings). */
static int get_num(json_t *o, const char *field, int64_t *out)
{
	const char *s = json_string_value(json_object_get(o, field));
	char *end;
	long long v;

	if (!s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* A checksum of @len base64 characters, kept only if it decodes. */
static void get_b64(json_t *o, const char *field, char *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, field));
	unsigned char raw[32];
	int n = s && strlen(s) == len
			? lyb_base64_decode(s, len, raw, sizeof(raw))
			: -1;

	if (n > 0 && (size_t)n == len / 4 * 3 - (s[len - 1] == '=') -
					  (s[len - 2] == '='))
		memcpy(out, s, len + 1);
	else
		out[0] = '\0';
}

/* RFC 3339 "2020-09-03T12:00:00.123Z" to seconds; 0 if unparsable. */
static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	char *end;

	if (!s)
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	return end ? (int64_t)timegm(&tm) : 0;
}

/* Fills @info from an object resource. */
static int object_from(json_t *o, struct lyb_object_info *info, char *why,
		       size_t whylen)
{
	int64_t size;

	if (get_num(o, "size", &size) ||
	    get_num(o, "generation", &info->generation) ||
	    info->generation <= 0)
		return reject(why, whylen,
			      "object without a valid size or generation");
	info->size = (uint64_t)size;
	info->mtime =
		parse_time(json_string_value(json_object_get(o, "updated")));
	get_b64(o, "crc32c", info->crc32c, LYB_CRC32C_B64_LEN);
	get_b64(o, "md5Hash", info->md5, LYB_MD5_B64_LEN);
	return 0;
}

int lyb_gcs_parse_object(const char *json, size_t len,
			 struct lyb_object_info *out, char *why, size_t whylen)
{
	json_t *j = load_json(json, len, why, whylen);
	int rc;

	if (!j)
		return -EBADMSG;
	rc = object_from(j, out, why, whylen);
	json_decref(j);
	return rc;
}

/* Passes one page's prefixes and items to @cb. */
static int list_page(json_t *j, lyb_store_list_cb cb, void *arg, char *why,
		     size_t whylen)
{
	json_t *items = json_object_get(j, "items");
	json_t *prefixes = json_object_get(j, "prefixes"), *v;
	size_t i;
	int rc = 0;

	if ((items && !json_is_array(items)) ||
	    (prefixes && !json_is_array(prefixes)))
		return reject(why, whylen, "items or prefixes is not an array");
	json_array_foreach(prefixes, i, v)
	{
		struct lyb_object_info info = {0};

		info.key = (char *)json_string_value(v);
		if (!info.key)
			return reject(why, whylen, "a prefix is not a string");
		rc = cb(arg, &info);
		if (rc)
			return rc;
	}
	json_array_foreach(items, i, v)
	{
		struct lyb_object_info info = {0};

		info.key =
			(char *)json_string_value(json_object_get(v, "name"));
		if (!info.key)
			return reject(why, whylen, "an item has no name");
		rc = object_from(v, &info, why, whylen);
		if (!rc)
			rc = cb(arg, &info);
		if (rc)
			return rc;
	}
	return 0;
}

int lyb_gcs_parse_list_page(const char *json, size_t len, lyb_store_list_cb cb,
			    void *arg, char **next_token, char *why,
			    size_t whylen)
{
	json_t *j = load_json(json, len, why, whylen);
	const char *next;
	int rc;

	*next_token = NULL;
	if (!j)
		return -EBADMSG;
	rc = list_page(j, cb, arg, why, whylen);
	next = json_string_value(json_object_get(j, "nextPageToken"));
	if (!rc && next && *next && !(*next_token = strdup(next)))
		rc = -ENOMEM;
	json_decref(j);
	return rc;
}

/* ---- metadata and listing ---- */

/* GET of a JSON document with retries; the body ends up in @b. */
static int get_json(struct call *c, const char *url, struct lyb_buf *b)
{
	struct lyb_http_req req = {.method = "GET", .url = url, .body_out = b};
	struct lyb_http_resp r;
	int rc;

	do {
		lyb_buf_reset(b);
		rc = call_send(c, &req, NULL, &r);
	} while (call_retry(c, rc, &r, 0));
	return call_end(c, rc == -E2BIG ? -EBADMSG : rc, &r);
}

int lyb_gcs_stat(struct lyb_gcs *g, const char *bucket, const char *name,
		 struct lyb_object_info *info)
{
	struct lyb_buf u, b;
	struct call c;
	char why[320];
	int rc;

	call_init(&c, g, "stat", bucket, name);
	lyb_buf_init(&b, JSON_MAX);
	rc = make_url(&u, g, "/storage/v1", bucket, name);
	if (!rc)
		rc = get_json(&c, u.data, &b);
	if (!rc)
		rc = parsed(&c,
			    lyb_gcs_parse_object(b.data, b.len, info, why,
						 sizeof(why)),
			    why);
	lyb_buf_free(&u);
	lyb_buf_free(&b);
	return rc;
}

static int add_query(struct lyb_buf *u, const char *name, const char *value)
{
	int rc;

	if (!value)
		return 0;
	rc = lyb_buf_printf(u, "%c%s=", strchr(u->data, '?') ? '&' : '?', name);
	return rc ? rc : lyb_http_escape(u, value);
}

int lyb_gcs_list(struct lyb_gcs *g, const char *bucket, const char *prefix,
		 const char *delimiter, unsigned page_size,
		 lyb_store_list_cb cb, void *arg)
{
	struct lyb_buf u, b;
	char *token = NULL, *next, num[16], why[320];
	struct call c;
	int rc;

	lyb_buf_init(&u, URL_MAX);
	lyb_buf_init(&b, JSON_MAX);
	snprintf(num, sizeof(num), "%u", page_size);
	do {
		call_init(&c, g, "list", bucket, prefix);
		rc = make_url(&u, g, "/storage/v1", bucket, NULL);
		if (!rc)
			rc = add_query(&u, "prefix",
				       prefix && *prefix ? prefix : NULL);
		if (!rc)
			rc = add_query(&u, "delimiter", delimiter);
		if (!rc)
			rc = add_query(&u, "maxResults",
				       page_size ? num : NULL);
		if (!rc)
			rc = add_query(&u, "pageToken", token);
		if (!rc)
			rc = get_json(&c, u.data, &b);
		next = NULL;
		if (!rc)
			rc = parsed(&c,
				    lyb_gcs_parse_list_page(b.data, b.len, cb,
							    arg, &next, why,
							    sizeof(why)),
				    why);
		if (next && token && strcmp(next, token) == 0)
			rc = bad_json(&c, "the same nextPageToken twice");
		free(token);
		token = rc ? NULL : next;
		if (rc)
			free(next);
		lyb_buf_free(&u);
	} while (!rc && token);
	lyb_buf_free(&b);
	return rc;
}

/* ---- downloads ---- */

static int changed(const struct call *c, const char *what)
{
	lyb_log(LYB_LOG_ERR, "gs://%s/%s: %s: the object changed: %s",
		c->bucket, obj_name(c), c->op, what);
	return -EIO;
}

/*
 * Checks a download answer against what we know and pins the generation.
 * Returns 0 if its body bytes may be used.
 */
static int check_media(const struct call *c, const struct lyb_http_resp *r,
		       int64_t *gen, uint64_t size)
{
	if (r->status != 200 && r->status != 206)
		return 0;
	if (r->goog_generation > 0) {
		if (*gen > 0 && r->goog_generation != *gen)
			return changed(c, "another generation answered");
		*gen = r->goog_generation;
	}
	if (size == UINT64_MAX)
		return 0;
	if (r->status == 206 && r->cr_total >= 0 &&
	    (uint64_t)r->cr_total != size)
		return changed(c, "its size differs");
	if (r->status == 200 && r->content_length >= 0 &&
	    (uint64_t)r->content_length != size)
		return changed(c, "its size differs");
	return 0;
}

static int media_url(struct lyb_buf *u, struct call *c, int64_t gen)
{
	int rc = make_url(u, c->g, "/download/storage/v1", c->bucket, c->name);

	if (!rc)
		rc = lyb_buf_addstr(u, "?alt=media");
	if (!rc && gen > 0)
		rc = lyb_buf_printf(u, "&generation=%lld", (long long)gen);
	return rc;
}

/* Stored bytes exactly: no decompressive transcoding of gzip objects. */
static const char *const media_hdrs[] = {"Accept-Encoding: gzip", NULL};

int lyb_gcs_read(struct lyb_gcs *g, const char *bucket, const char *name,
		 int64_t generation, uint64_t size, uint64_t off, void *buf,
		 size_t len, size_t *got)
{
	struct lyb_http_req req = {.method = "GET"};
	struct lyb_http_resp r;
	struct lyb_buf u = {0};
	struct call c;
	size_t done = 0;
	int64_t gen = generation;
	int rc = 0, eof = 0, again;

	*got = 0;
	if (size != UINT64_MAX) {
		if (off >= size)
			return 0;
		if (len > size - off)
			len = (size_t)(size - off);
	}
	call_init(&c, g, "read", bucket, name);
	while (done < len && !eof) {
		lyb_buf_free(&u);
		rc = media_url(&u, &c, gen);
		if (rc)
			break;
		req.url = u.data;
		req.range_off = off + done;
		req.range_len = len - done;
		req.sink = (char *)buf + done;
		req.sink_len = len - done;
		rc = call_send(&c, &req, media_hdrs, &r);
		if (!c.auth_rc && check_media(&c, &r, &gen, size)) {
			rc = -EIO;
			break;
		}
		if (rc == -EBADMSG) {
			bad_json(&c, "a range other than the one asked for");
			break;
		}
		done += r.got; /* right bytes, even if the rest failed */
		if (rc == 0 && r.status == 416) {
			eof = 1;
		} else if (rc == 0 && (r.status == 200 || r.status == 206)) {
			/* a short complete answer ends at the object's end */
			eof = r.status == 200 ||
			      (r.cr_total >= 0 && r.cr_end + 1 >= r.cr_total);
			if (!eof && r.got == 0) {
				rc = bad_json(&c, "an empty partial answer");
				break;
			}
			c.delay_ms = BACKOFF_FIRST_MS;
			continue;
		}
		again = call_retry(&c, rc, &r, r.got > 0);
		if (!again) {
			rc = call_end(&c, rc, &r);
			if (rc == 0 && r.status != 416)
				rc = -EIO;
			if (rc)
				break;
		}
	}
	lyb_buf_free(&u);
	if (rc == 0 && eof && size != UINT64_MAX && done < len)
		rc = changed(&c, "it is shorter than its size");
	if (rc)
		return rc == -ENOENT && generation > 0 ? changed(&c, "gone")
						       : rc;
	*got = done;
	return 0;
}

int lyb_gcs_get(struct lyb_gcs *g, const char *bucket, const char *name,
		size_t max, char **data, size_t *len, int64_t *generation)
{
	struct lyb_http_req req = {.method = "GET"};
	struct lyb_http_resp r;
	struct lyb_buf u, b;
	struct call c;
	int rc;

	call_init(&c, g, "get", bucket, name);
	lyb_buf_init(&b, max);
	rc = media_url(&u, &c, 0);
	if (rc)
		goto out_free;
	req.url = u.data;
	req.body_out = &b;
	do {
		lyb_buf_reset(&b);
		rc = call_send(&c, &req, media_hdrs, &r);
	} while (rc != -E2BIG && call_retry(&c, rc, &r, 0));
	if (rc == -E2BIG) {
		rc = -EFBIG;
		goto out_free;
	}
	rc = call_end(&c, rc, &r);
	if (rc)
		goto out_free;
	if (r.goog_generation <= 0) {
		rc = bad_json(&c, "no x-goog-generation header");
		goto out_free;
	}
	*generation = r.goog_generation;
	*data = lyb_buf_steal(&b, len);
	if (!*data)
		rc = -ENOMEM;
out_free:
	lyb_buf_free(&u);
	lyb_buf_free(&b);
	return rc;
}

/* ---- uploads ---- */

struct upload {
	struct call c;
	const unsigned char *data;
	size_t len;
	char crc[LYB_CRC32C_B64_LEN + 1], md5[LYB_MD5_B64_LEN + 1];
	char *meta; /* the object resource we send, JSON */
	struct lyb_buf url, answer;
};

static int upload_prepare(struct upload *up, const char *name)
{
	struct lyb_digest *d;
	unsigned char md5[32];
	size_t n = sizeof(md5);
	json_t *m;
	int rc;

	lyb_crc32c_to_b64(lyb_crc32c_update(0, up->data, up->len), up->crc);
	rc = lyb_digest_new(LYB_DIGEST_MD5, &d);
	if (rc)
		return rc;
	rc = lyb_digest_update(d, up->data, up->len);
	if (!rc)
		rc = lyb_digest_final(d, md5, &n);
	lyb_digest_free(d);
	if (rc)
		return rc;
	lyb_base64_encode(md5, n, up->md5);
	m = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "contentType",
		      "application/octet-stream", "crc32c", up->crc, "md5Hash",
		      up->md5);
	up->meta = m ? json_dumps(m, JSON_COMPACT) : NULL;
	json_decref(m);
	return up->meta ? 0 : -ENOMEM;
}

static int upload_url(struct upload *up, const char *type,
		      int64_t if_generation)
{
	int rc = make_url(&up->url, up->c.g, "/upload/storage/v1", up->c.bucket,
			  NULL);

	if (!rc)
		rc = lyb_buf_printf(&up->url, "?uploadType=%s", type);
	if (!rc)
		rc = add_query(&up->url, "name", up->c.name);
	if (!rc && if_generation >= 0)
		rc = lyb_buf_printf(&up->url, "&ifGenerationMatch=%lld",
				    (long long)if_generation);
	return rc;
}

/* Sends one whole request with retries; 0 when it answered 2xx. */
static int send_retrying(struct upload *up, struct lyb_http_req *req,
			 const char *const *hdrs, struct lyb_http_resp *r)
{
	int rc;

	req->body_out = &up->answer;
	do {
		lyb_buf_reset(&up->answer);
		rc = call_send(&up->c, req, hdrs, r);
	} while (call_retry(&up->c, rc, r, 0));
	return call_end(&up->c, rc == -E2BIG ? -EBADMSG : rc, r);
}

static int put_media(struct upload *up)
{
	static const char *const hdrs[] = {
		"Content-Type: application/octet-stream", NULL};
	struct lyb_http_req req = {.method = "POST",
				   .url = up->url.data,
				   .body = up->data,
				   .body_len = up->len};
	struct lyb_http_resp r;

	return send_retrying(up, &req, hdrs, &r);
}

static int put_multipart(struct upload *up)
{
	char boundary[40], ctype[96];
	const char *hdrs[] = {ctype, NULL};
	struct lyb_http_req req = {.method = "POST", .url = up->url.data};
	struct lyb_http_resp r;
	struct lyb_buf body;
	unsigned salt = 0;
	int rc;

	/* a boundary that does not occur in the data */
	do {
		snprintf(boundary, sizeof(boundary), "lyb_%s_%u", up->crc,
			 salt++);
	} while (memmem(up->data, up->len, boundary, strlen(boundary)));
	snprintf(ctype, sizeof(ctype),
		 "Content-Type: multipart/related; boundary=%s", boundary);
	lyb_buf_init(&body, up->len + strlen(up->meta) + 512);
	rc = lyb_buf_printf(&body,
			    "--%s\r\nContent-Type: application/json; "
			    "charset=UTF-8\r\n\r\n%s\r\n--%s\r\nContent-Type: "
			    "application/octet-stream\r\n\r\n",
			    boundary, up->meta, boundary);
	if (!rc)
		rc = lyb_buf_add(&body, up->data, up->len);
	if (!rc)
		rc = lyb_buf_printf(&body, "\r\n--%s--\r\n", boundary);
	if (!rc) {
		req.body = body.data;
		req.body_len = body.len;
		rc = send_retrying(up, &req, hdrs, &r);
	}
	lyb_buf_free(&body);
	return rc;
}

/* Where a resumable session stands: the next byte it wants, or done. */
int lyb_gcs_parse_upload_range(const char *range, size_t *next)
{
	unsigned long long b;
	char *end;

	if (range[0] == '\0') {
		*next = 0;
		return 0;
	}
	/* strictly "bytes=0-N": sscanf's %llu took "-1" and wrapped past
	 * ULLONG_MAX, and N = SIZE_MAX made the next offset 0 */
	if (strncmp(range, "bytes=0-", 8) != 0 || range[8] < '0' ||
	    range[8] > '9')
		return -EBADMSG;
	errno = 0;
	b = strtoull(range + 8, &end, 10);
	if (errno || *end || b >= SIZE_MAX)
		return -EBADMSG;
	*next = (size_t)b + 1;
	return 0;
}

static int put_resumable(struct upload *up)
{
	static const char *const init_hdrs[] = {
		"Content-Type: application/json; charset=UTF-8",
		"X-Upload-Content-Type: application/octet-stream", NULL};
	struct lyb_http_req req = {.method = "POST",
				   .url = up->url.data,
				   .body = up->meta,
				   .body_len = strlen(up->meta)};
	struct lyb_http_resp r;
	char crange[96], *session;
	const char *hdrs[] = {crange, NULL};
	size_t off = 0, n, ep_len = strlen(up->c.g->endpoint);
	int rc, query = 0;

	rc = send_retrying(up, &req, init_hdrs, &r);
	if (rc)
		return rc;
	/* the session URL gets our token: it must be on our endpoint */
	if (strncmp(r.location, up->c.g->endpoint, ep_len) != 0 ||
	    r.location[ep_len] != '/')
		return bad_json(&up->c, "a resumable session elsewhere");
	session = strdup(r.location);
	if (!session)
		return -ENOMEM;
	req.method = "PUT";
	req.url = session;
	req.body_out = &up->answer;
	for (;;) {
		n = up->len - off < up->c.g->chunk_size ? up->len - off
							: up->c.g->chunk_size;
		/* after a failure, or with all sent: ask what the session has
		 */
		if (query || off >= up->len) {
			n = 0;
			snprintf(crange, sizeof(crange),
				 "Content-Range: bytes */%zu", up->len);
		} else {
			snprintf(crange, sizeof(crange),
				 "Content-Range: bytes %zu-%zu/%zu", off,
				 off + n - 1, up->len);
		}
		req.body = up->data + off;
		req.body_len = n;
		lyb_buf_reset(&up->answer);
		rc = call_send(&up->c, &req, hdrs, &r);
		if (rc == 0 && r.status == 308) {
			if (lyb_gcs_parse_upload_range(r.range, &off) ||
			    off > up->len) {
				rc = bad_json(&up->c, "a bad upload Range");
				break;
			}
			query = 0;
			up->c.delay_ms = BACKOFF_FIRST_MS;
			continue;
		}
		if (rc == -E2BIG || !call_retry(&up->c, rc, &r, 0)) {
			rc = call_end(&up->c, rc == -E2BIG ? -EBADMSG : rc, &r);
			break;
		}
		query = 1;
	}
	free(session);
	return rc;
}

/* Checks the object resource a finished upload answered with. */
static int upload_result(struct upload *up, int64_t *generation)
{
	struct lyb_object_info info = {0};
	char why[320];
	int rc;

	rc = lyb_gcs_parse_object(up->answer.data, up->answer.len, &info, why,
				  sizeof(why));
	if (rc)
		return parsed(&up->c, rc, why);
	if (info.size != up->len ||
	    (info.crc32c[0] && strcmp(info.crc32c, up->crc) != 0) ||
	    (info.md5[0] && strcmp(info.md5, up->md5) != 0)) {
		lyb_log(LYB_LOG_ERR,
			"gs://%s/%s: put: the stored object differs from what "
			"was sent (size %llu, crc32c %s, md5 %s)",
			up->c.bucket, up->c.name, (unsigned long long)info.size,
			info.crc32c, info.md5);
		return -EIO;
	}
	*generation = info.generation;
	return 0;
}

int lyb_gcs_put(struct lyb_gcs *g, const char *bucket, const char *name,
		const void *data, size_t len, int64_t if_generation,
		enum lyb_gcs_upload how, int64_t *generation)
{
	struct upload up = {.data = data, .len = len};
	struct lyb_object_info info;
	static const char *const types[] = {"multipart", "media", "multipart",
					    "resumable"};
	int rc;

	if (how == LYB_GCS_UPLOAD_AUTO && len > g->chunk_size)
		how = LYB_GCS_UPLOAD_RESUMABLE;
	call_init(&up.c, g, "put", bucket, name);
	lyb_buf_init(&up.answer, JSON_MAX);
	rc = upload_prepare(&up, name);
	if (!rc)
		rc = upload_url(&up, types[how], if_generation);
	if (rc)
		goto out_free;
	if (how == LYB_GCS_UPLOAD_MEDIA)
		rc = put_media(&up);
	else if (how == LYB_GCS_UPLOAD_RESUMABLE)
		rc = put_resumable(&up);
	else
		rc = put_multipart(&up);
	if (rc == 0) {
		rc = upload_result(&up, generation);
	} else if (rc == -EAGAIN && up.c.retried &&
		   lyb_gcs_stat(g, bucket, name, &info) == 0 &&
		   info.size == len && strcmp(info.md5, up.md5) == 0 &&
		   strcmp(info.crc32c, up.crc) == 0) {
		/* our own earlier attempt won before its answer got lost */
		*generation = info.generation;
		rc = 0;
	}
out_free:
	free(up.meta);
	lyb_buf_free(&up.url);
	lyb_buf_free(&up.answer);
	return rc;
}

int lyb_gcs_delete(struct lyb_gcs *g, const char *bucket, const char *name,
		   int64_t if_generation)
{
	struct lyb_http_req req = {.method = "DELETE"};
	struct lyb_http_resp r;
	struct lyb_buf u;
	struct call c;
	int rc;

	call_init(&c, g, "delete", bucket, name);
	rc = make_url(&u, g, "/storage/v1", bucket, name);
	if (!rc && if_generation > 0)
		rc = lyb_buf_printf(&u, "?ifGenerationMatch=%lld",
				    (long long)if_generation);
	if (!rc) {
		req.url = u.data;
		do {
			rc = call_send(&c, &req, NULL, &r);
		} while (call_retry(&c, rc, &r, 0));
		rc = call_end(&c, rc, &r);
		/* a retried delete that had worked the first time */
		if (rc == -ENOENT && c.retried)
			rc = 0;
	}
	lyb_buf_free(&u);
	return rc;
}
