// SPDX-License-Identifier: Apache-2.0
/*
 * gcs_auth.c - access tokens against a local token endpoint and metadata
 * server (tests/integration/gcs_token_server.py, started by
 * t_gcs_auth.sh, which also sets the credentials environment).
 *
 *   gcs_auth PORT KIND [bad]
 *
 * KIND is what Application Default Credentials must find:
 * service_account, authorized_user or metadata. Proves: the token is
 * fetched once and shared by concurrent callers, renewed before it expires
 * (the server never sees an expired token), and a refused grant ("bad")
 * makes calls fail with -EACCES.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lyb/buf.h"
#include "lyb/gcs.h"
#include "lyb/http.h"
#include "lyb/log.h"

#define THREADS 8
#define CALLS 20

static char endpoint[64];

/* A number from the server's /_stats, by a "key": N search. */
static long stat_of(const char *key)
{
	char url[128], pat[64];
	struct lyb_http_req req = {.method = "GET", .url = url};
	struct lyb_http_resp r;
	struct lyb_buf b;
	const char *p;
	long v = -1;

	lyb_buf_init(&b, 1 << 16);
	req.body_out = &b;
	snprintf(url, sizeof(url), "%s/_stats", endpoint);
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	if (lyb_http_do(&req, &r) == 0 && r.status == 200 && b.data) {
		p = strstr(b.data, pat);
		v = p ? strtol(p + strlen(pat), NULL, 10) : 0;
	}
	lyb_buf_free(&b);
	return v;
}

static void *caller(void *arg)
{
	struct lyb_gcs *g = arg;
	struct lyb_object_info info;
	long bad = 0;
	int i;

	for (i = 0; i < CALLS; i++)
		if (lyb_gcs_stat(g, "bkt", "dir/obj", &info) != 0 ||
		    info.size != 5)
			bad++;
	return (void *)bad;
}

int main(int argc, char **argv)
{
	struct lyb_gcs_config cfg = {.deadline_ms = 10000};
	struct lyb_object_info info;
	struct lyb_gcs *g = NULL;
	pthread_t t[THREADS];
	const char *kind;
	void *bad;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: gcs_auth PORT KIND [bad]\n");
		return 2;
	}
	kind = argv[2];
	lyb_log_set_level(LYB_LOG_DEBUG); /* the script greps for secrets */
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%s", argv[1]);
	cfg.endpoint = endpoint;
	CHECK_RC(lyb_gcs_new(&cfg, &g), 0);
	if (!g)
		return 1;

	if (argc > 3 && strcmp(argv[3], "bad") == 0) {
		/* the token endpoint refuses: a clear EACCES, no request */
		CHECK_RC(lyb_gcs_stat(g, "bkt", "dir/obj", &info), -EACCES);
		CHECK(stat_of(kind) == 0);
		CHECK(stat_of("rejected") == 0);
		goto out;
	}

	/* concurrent first callers share one token */
	for (i = 0; i < THREADS; i++)
		CHECK_RC(pthread_create(&t[i], NULL, caller, g), 0);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &bad);
		CHECK(bad == NULL);
	}
	CHECK(stat_of(kind) == 1);

	/*
	 * The server's tokens live 4 s: renewed at half their life, so after
	 * 2.5 s the next call fetches a new one and none is ever refused.
	 */
	sleep(3);
	CHECK_RC(lyb_gcs_stat(g, "bkt", "dir/obj", &info), 0);
	CHECK(stat_of(kind) == 2);
	sleep(5); /* past expiry */
	CHECK_RC(lyb_gcs_stat(g, "bkt", "dir/obj", &info), 0);
	CHECK(stat_of(kind) == 3);
	CHECK(stat_of("rejected") == 0);
	CHECK(stat_of("bad_jwt") == 0);
out:
	lyb_gcs_unref(g);
	if (check_failures)
		fprintf(stderr, "%d checks failed\n", check_failures);
	return check_failures ? 1 : 0;
}
