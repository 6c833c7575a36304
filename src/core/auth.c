// SPDX-License-Identifier: Apache-2.0
/*
 * auth.c - Application Default Credentials and their access tokens (see
 * include/lyb/auth.h). Service-account JWTs are signed here with OpenSSL;
 * token requests go through http.h.
 *
 * The token is shared by all threads under @lock. One thread refreshes it
 * at a time, without holding the lock across the network: the others keep
 * using the current token while it is valid, or wait on @cond.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gcs_impl.h"
#include "lyb/auth.h"
#include "lyb/buf.h"
#include "lyb/clock.h"
#include "lyb/digest.h"
#include "lyb/http.h"
#include "lyb/log.h"

#define GOOGLE_TOKEN_URI "https://oauth2.googleapis.com/token"
#define SCOPE "https://www.googleapis.com/auth/devstorage.read_write"
#define TOKEN_MAX 2048
#define ANSWER_MAX (64 * 1024)
#define FILE_MAX (64 * 1024)

enum auth_kind { AUTH_ANON, AUTH_SA, AUTH_USER, AUTH_META };

struct lyb_auth {
	enum auth_kind kind;
	char *token_uri; /* the metadata server's token URL for AUTH_META */
	char *email;	 /* AUTH_SA */
	char *key_id;	 /* AUTH_SA, may be NULL */
	EVP_PKEY *key;	 /* AUTH_SA */
	char *client_id, *client_secret, *refresh_token; /* AUTH_USER */

	pthread_mutex_t lock;
	pthread_cond_t cond;	 /* refreshing went to 0 */
	char token[TOKEN_MAX];	 /* under lock; "" none */
	double expiry, renew_at; /* under lock; monotonic seconds */
	int refreshing;		 /* under lock */
};

static char *dup_field(json_t *j, const char *name, const char *def)
{
	const char *v = json_string_value(json_object_get(j, name));

	if (!v || !*v)
		v = def;
	return v ? strdup(v) : NULL;
}

/* base64url of @n bytes appended to @b. */
static int add_b64url(struct lyb_buf *b, const void *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	int rc;

	if (!out)
		return -ENOMEM;
	lyb_base64url_encode(p, n, out);
	rc = lyb_buf_addstr(b, out);
	free(out);
	return rc;
}

static int add_b64url_json(struct lyb_buf *b, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc;

	if (!s)
		return -ENOMEM;
	rc = add_b64url(b, s, strlen(s));
	free(s);
	return rc;
}

/* The signed JWT assertion of a service account, appended to @b. */
static int make_jwt(struct lyb_auth *a, struct lyb_buf *b)
{
	size_t start = b->len; /* the signature covers only the JWT */
	time_t now = time(NULL);
	json_t *hdr, *claims;
	EVP_MD_CTX *md;
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	int rc;

	hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	if (hdr && a->key_id)
		json_object_set_new(hdr, "kid", json_string(a->key_id));
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", a->email,
			   "scope", SCOPE, "aud", a->token_uri, "iat",
			   (json_int_t)now, "exp", (json_int_t)now + 3600);
	rc = add_b64url_json(b, hdr);
	if (!rc)
		rc = lyb_buf_addstr(b, ".");
	if (!rc)
		rc = add_b64url_json(b, claims);
	json_decref(hdr);
	json_decref(claims);
	if (rc)
		return rc;
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, a->key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)b->data + start,
			   b->len - start) != 1) {
		lyb_log(LYB_LOG_ERR,
			"sign service account jwt: openssl failed");
		rc = -EINVAL;
	}
	EVP_MD_CTX_free(md);
	if (!rc)
		rc = lyb_buf_addstr(b, ".");
	if (!rc)
		rc = add_b64url(b, sig, siglen);
	return rc;
}

static int add_form(struct lyb_buf *b, const char *name, const char *value)
{
	int rc = lyb_buf_printf(b, "%s%s=", b->len ? "&" : "", name);

	return rc ? rc : lyb_http_escape(b, value);
}

int lyb_auth_parse_token(const char *json, size_t len, char *tok, size_t cap,
			 double *ttl, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *j;
	const char *t;
	json_int_t exp;
	size_t n, i;
	int rc = 0;

	if (whylen)
		why[0] = '\0';
	j = json_loadb(json ? json : "", len, 0, &jerr);
	t = json_string_value(json_object_get(j, "access_token"));
	exp = json_integer_value(json_object_get(j, "expires_in"));
	n = t ? strlen(t) : 0;
	for (i = 0; i < n && t[i] > ' ' && t[i] < 0x7f; i++)
		;
	if (!j || n == 0 || i != n || n >= cap || exp <= 0) {
		if (whylen)
			snprintf(why, whylen, "%s",
				 !j ? jerr.text
				    : "no usable access_token/expires_in");
		rc = -EBADMSG;
	} else {
		memcpy(tok, t, n + 1);
		*ttl = (double)exp;
	}
	json_decref(j);
	return rc;
}

/* Asks for a new token; writes it to @tok and its lifetime to @ttl. */
static int fetch_token(struct lyb_auth *a, char *tok, size_t cap, double *ttl,
		       unsigned timeout_ms)
{
	const char *meta_hdrs[] = {"Metadata-Flavor: Google", NULL};
	const char *form_hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded", NULL};
	struct lyb_http_req req = {.url = a->token_uri,
				   .timeout_ms = timeout_ms};
	struct lyb_http_resp resp;
	struct lyb_buf form, answer;
	char why[JSON_ERROR_TEXT_LENGTH + 40];
	int rc = 0;

	lyb_buf_init(&form, 64 * 1024);
	lyb_buf_init(&answer, ANSWER_MAX);
	if (a->kind == AUTH_META) {
		req.method = "GET";
		req.headers = meta_hdrs;
	} else {
		req.method = "POST";
		req.headers = form_hdrs;
		if (a->kind == AUTH_SA) {
			rc = add_form(&form, "grant_type",
				      "urn:ietf:params:oauth:grant-type:jwt-"
				      "bearer");
			if (!rc)
				rc = lyb_buf_addstr(&form, "&assertion=");
			if (!rc)
				rc = make_jwt(a, &form);
		} else {
			rc = add_form(&form, "grant_type", "refresh_token");
			if (!rc)
				rc = add_form(&form, "client_id", a->client_id);
			if (!rc)
				rc = add_form(&form, "client_secret",
					      a->client_secret);
			if (!rc)
				rc = add_form(&form, "refresh_token",
					      a->refresh_token);
		}
		req.body = form.data;
		req.body_len = form.len;
	}
	req.body_out = &answer;
	if (!rc)
		rc = lyb_http_do(&req, &resp);
	if (rc) {
		lyb_log(LYB_LOG_WARN, "get access token (%s): %s",
			lyb_auth_kind(a), strerror(-rc));
		goto out_free;
	}
	if (resp.status != 200) {
		/* OAuth error bodies name the problem, never a secret */
		lyb_log(LYB_LOG_ERR, "get access token (%s): http %ld: %.200s",
			lyb_auth_kind(a), resp.status, resp.error);
		rc = resp.status >= 500 || resp.status == 429 ? -EIO : -EACCES;
		goto out_free;
	}
	rc = lyb_auth_parse_token(answer.data, answer.len, tok, cap, ttl, why,
				  sizeof(why));
	if (rc)
		lyb_log(LYB_LOG_ERR, "get access token (%s): bad answer: %s",
			lyb_auth_kind(a), why);
out_free:
	if (form.data)
		explicit_bzero(form.data, form.len);
	if (answer.data)
		explicit_bzero(answer.data, answer.len);
	lyb_buf_free(&form);
	lyb_buf_free(&answer);
	return rc;
}

static int load_key(struct lyb_auth *a, const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);

	if (!bio)
		return -ENOMEM;
	a->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return a->key ? 0 : -EBADMSG;
}

/* Reads a service_account or authorized_user file into @a. */
static int load_file(struct lyb_auth *a, const char *path)
{
	json_error_t jerr;
	struct stat st;
	const char *type, *pem;
	json_t *j;
	int rc = -EBADMSG;

	if (stat(path, &st) != 0) {
		rc = -errno;
		lyb_log(LYB_LOG_ERR, "read credentials %s: %s", path,
			strerror(errno));
		return rc;
	}
	if (st.st_size > FILE_MAX) {
		lyb_log(LYB_LOG_ERR,
			"read credentials %s: larger than %d bytes", path,
			FILE_MAX);
		return -EBADMSG;
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		lyb_log(LYB_LOG_ERR, "read credentials %s: line %d: %s", path,
			jerr.line, jerr.text);
		return -EBADMSG;
	}
	type = json_string_value(json_object_get(j, "type"));
	if (type && strcmp(type, "service_account") == 0) {
		a->kind = AUTH_SA;
		a->email = dup_field(j, "client_email", NULL);
		a->key_id = dup_field(j, "private_key_id", NULL);
		a->token_uri = dup_field(j, "token_uri", GOOGLE_TOKEN_URI);
		pem = json_string_value(json_object_get(j, "private_key"));
		if (a->email && a->token_uri && pem)
			rc = load_key(a, pem);
	} else if (type && strcmp(type, "authorized_user") == 0) {
		a->kind = AUTH_USER;
		a->client_id = dup_field(j, "client_id", NULL);
		a->client_secret = dup_field(j, "client_secret", NULL);
		a->refresh_token = dup_field(j, "refresh_token", NULL);
		a->token_uri = dup_field(j, "token_uri", GOOGLE_TOKEN_URI);
		if (a->client_id && a->client_secret && a->refresh_token &&
		    a->token_uri)
			rc = 0;
	} else {
		lyb_log(LYB_LOG_ERR,
			"read credentials %s: type \"%s\" is not supported "
			"(service_account or authorized_user)",
			path, type ? type : "");
		rc = -ENOTSUP;
		goto out_json;
	}
	if (rc)
		lyb_log(LYB_LOG_ERR,
			"read credentials %s: a %s needs client_email and "
			"private_key (a PEM key) or client_id, client_secret "
			"and refresh_token",
			path, type);
out_json:
	json_decref(j);
	return rc;
}

/* Uses the metadata server if it hands out a token. */
static int try_metadata(struct lyb_auth *a)
{
	const char *host = getenv("GCE_METADATA_HOST");
	char url[512];
	double ttl;
	int rc;

	snprintf(url, sizeof(url),
		 "http://%s/computeMetadata/v1/instance/service-accounts/"
		 "default/token",
		 host && *host ? host : "169.254.169.254");
	a->token_uri = strdup(url);
	if (!a->token_uri)
		return -ENOMEM;
	a->kind = AUTH_META;
	if (host && *host)
		return 0; /* named explicitly: trust it, fetch when needed */
	rc = fetch_token(a, a->token, sizeof(a->token), &ttl, 2000);
	if (rc == 0) {
		a->expiry = lyb_mono() + ttl;
		a->renew_at = a->expiry - (ttl / 2 < 300 ? ttl / 2 : 300);
	}
	return rc;
}

static int find_default(struct lyb_auth *a)
{
	const char *env = getenv("GOOGLE_APPLICATION_CREDENTIALS");
	const char *cfg = getenv("CLOUDSDK_CONFIG"), *home = getenv("HOME");
	char path[4096];

	if (env && *env)
		return load_file(a, env);
	if (cfg && *cfg)
		snprintf(path, sizeof(path),
			 "%s/application_default_credentials.json", cfg);
	else
		snprintf(path, sizeof(path),
			 "%s/.config/gcloud/"
			 "application_default_credentials.json",
			 home ? home : "");
	if (access(path, F_OK) == 0)
		return load_file(a, path);
	if (try_metadata(a) == 0)
		return 0;
	free(a->token_uri);
	a->token_uri = NULL;
	a->kind = AUTH_ANON;
	lyb_log(LYB_LOG_WARN,
		"no google credentials found (GOOGLE_APPLICATION_CREDENTIALS, "
		"%s, metadata server): only public buckets will work",
		path);
	return 0;
}

int lyb_auth_new(const char *spec, struct lyb_auth **out)
{
	struct lyb_auth *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	if (spec && strcmp(spec, "anonymous") == 0)
		rc = 0;
	else if (spec && *spec)
		rc = load_file(a, spec);
	else
		rc = find_default(a);
	if (rc) {
		lyb_auth_free(a);
		return rc;
	}
	lyb_log(LYB_LOG_DEBUG, "google credentials: %s", lyb_auth_kind(a));
	*out = a;
	return 0;
}

void lyb_auth_free(struct lyb_auth *a)
{
	if (!a)
		return;
	EVP_PKEY_free(a->key);
	free(a->token_uri);
	free(a->email);
	free(a->key_id);
	free(a->client_id);
	if (a->client_secret)
		explicit_bzero(a->client_secret, strlen(a->client_secret));
	if (a->refresh_token)
		explicit_bzero(a->refresh_token, strlen(a->refresh_token));
	free(a->client_secret);
	free(a->refresh_token);
	explicit_bzero(a->token, sizeof(a->token));
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}

const char *lyb_auth_kind(const struct lyb_auth *a)
{
	static const char *const names[] = {"anonymous", "service_account",
					    "authorized_user", "metadata"};

	return names[a->kind];
}

/* Copies the token as a header line; called under a->lock. */
static int put_header(const struct lyb_auth *a, char *hdr, size_t cap)
{
	int n = snprintf(hdr, cap, "Authorization: Bearer %s", a->token);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int lyb_auth_header(struct lyb_auth *a, char *hdr, size_t cap)
{
	char tok[TOKEN_MAX];
	double ttl = 0, now;
	int rc;

	if (a->kind == AUTH_ANON) {
		if (cap)
			hdr[0] = '\0';
		return 0;
	}
	pthread_mutex_lock(&a->lock);
	for (;;) {
		now = lyb_mono();
		if (a->token[0] && now < a->renew_at) {
			rc = put_header(a, hdr, cap);
			goto out_unlock;
		}
		if (!a->refreshing)
			break;
		/* another thread is refreshing: use the old one while valid */
		if (a->token[0] && now < a->expiry - 10) {
			rc = put_header(a, hdr, cap);
			goto out_unlock;
		}
		pthread_cond_wait(&a->cond, &a->lock);
	}
	a->refreshing = 1;
	pthread_mutex_unlock(&a->lock);

	rc = fetch_token(a, tok, sizeof(tok), &ttl, 30000);

	pthread_mutex_lock(&a->lock);
	a->refreshing = 0;
	pthread_cond_broadcast(&a->cond);
	now = lyb_mono();
	if (rc == 0) {
		memcpy(a->token, tok, sizeof(tok));
		a->expiry = now + ttl;
		a->renew_at = a->expiry - (ttl / 2 < 300 ? ttl / 2 : 300);
	} else if (a->token[0] && now < a->expiry - 10) {
		rc = 0; /* refreshing early failed: the old one still works */
	}
	if (rc == 0)
		rc = put_header(a, hdr, cap);
out_unlock:
	pthread_mutex_unlock(&a->lock);
	explicit_bzero(tok, sizeof(tok));
	return rc;
}

void lyb_auth_invalidate(struct lyb_auth *a)
{
	pthread_mutex_lock(&a->lock);
	a->token[0] = '\0';
	a->expiry = a->renew_at = 0;
	pthread_mutex_unlock(&a->lock);
}
