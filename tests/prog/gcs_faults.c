// SPDX-License-Identifier: Apache-2.0
/*
 * gcs_faults.c - the GCS client against a server that fails on
 * purpose (tests/integration/gcs_fault_server.py, started by
 * t_gcs_faults.sh). Skips unless $LYB_TEST_GCS_FAULTS is its host:port.
 *
 * Proves: 5xx/429/408 and resets are retried, an interrupted ranged read
 * resumes where it stopped, a stall is cut short, the deadline ends with
 * -EIO and no bytes, answers for the wrong range, size or generation are
 * refused, 4xx are not retried, chunked resumable uploads resume after a
 * lost chunk, and preconditions map to -EAGAIN.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "lyb/gcs.h"
#include "lyb/http.h"

#define SIZE 300000
#define B "bkt"
#define OBJ "dir/obj a+b"

static char base[128];
static unsigned char data[SIZE];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* POST/GET to the control endpoints; the answer goes to @out (may be NULL). */
static int control(const char *method, const char *path, const char *body,
		   size_t len, struct lyb_buf *out)
{
	char url[256];
	struct lyb_http_req req = {.method = method,
				   .url = url,
				   .body = body,
				   .body_len = len,
				   .body_out = out};
	struct lyb_http_resp r;
	int rc;

	snprintf(url, sizeof(url), "%s%s", base, path);
	rc = lyb_http_do(&req, &r);
	return rc ? rc : r.status == 200 ? 0 : -EIO;
}

static void faults(const char *json)
{
	CHECK_RC(control("POST", "/_faults", json, strlen(json), NULL), 0);
}

/* How many requests the server saw since the last faults(). */
static int requests(const char *must_contain)
{
	struct lyb_buf b;
	const char *p;
	int n = 0;

	lyb_buf_init(&b, 1 << 20);
	CHECK_RC(control("GET", "/_log", NULL, 0, &b), 0);
	for (p = b.data; p && (p = strstr(p, "\"method\"")); p++)
		n++;
	if (must_contain && (!b.data || !strstr(b.data, must_contain))) {
		fprintf(stderr, "request log lacks %s: %s\n", must_contain,
			b.data ? b.data : "");
		n = -1;
	}
	lyb_buf_free(&b);
	return n;
}

static int64_t put_fixture(void)
{
	struct lyb_buf b;
	int64_t gen = 0;

	lyb_buf_init(&b, 4096);
	CHECK_RC(control("POST", "/_object?b=" B "&n=dir%2Fobj%20a%2Bb",
			 (const char *)data, SIZE, &b),
		 0);
	if (b.data && strstr(b.data, "\"generation\": \""))
		gen = strtoll(strstr(b.data, "\"generation\": \"") + 15, NULL,
			      10);
	lyb_buf_free(&b);
	return gen;
}

static unsigned char buf[SIZE + 100];

/* A read of [off, off+len) that must come back byte-exact. */
static void read_ok(struct lyb_gcs *g, int64_t gen, size_t off, size_t len)
{
	size_t got = 0, want = off + len > SIZE ? SIZE - off : len;

	memset(buf, 0xEE, sizeof(buf));
	CHECK_RC(lyb_gcs_read(g, B, OBJ, gen, SIZE, off, buf, len, &got), 0);
	CHECK(got == want);
	CHECK(memcmp(buf, data + off, want) == 0);
}

static void test_reads(struct lyb_gcs *g, int64_t gen)
{
	struct lyb_object_info info;
	size_t got = 1;
	double t;

	faults("[\"503\", \"429\", \"500\", \"408\"]");
	read_ok(g, gen, 1000, 200000);
	CHECK(requests(NULL) == 5);

	/* a reset after 100000 bytes: the retry asks for the rest only */
	faults("[\"reset:100000\"]");
	read_ok(g, gen, 5000, 250000);
	CHECK(requests("bytes=105000-254999") == 2);

	/* resets again and again, each time a little further */
	faults("[\"reset:1000\", \"reset:30000\", \"reset:0\", \"reset:7\"]");
	read_ok(g, 0, 0, SIZE);
	CHECK(requests("bytes=31000-299999") == 5);

	/* a stall: cut after stall_ms (1 s), then resumed */
	faults("[\"stall:30\"]");
	t = now();
	read_ok(g, gen, 0, 100000);
	CHECK(now() - t < 6);
	CHECK(requests("bytes=50000-99999") == 2);

	/* a whole object for a ranged request: only the range is used */
	faults("[\"full200\"]");
	read_ok(g, gen, 123456, 1000);

	/* the deadline (3 s): -EIO, no bytes */
	faults("[\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\","
	       "\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\","
	       "\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\"]");
	t = now();
	CHECK_RC(lyb_gcs_read(g, B, OBJ, gen, SIZE, 0, buf, 1000, &got), -EIO);
	CHECK(got == 0);
	CHECK(now() - t > 2.5 && now() - t < 5);
	CHECK(requests(NULL) > 3);

	/* progress that never completes ends at the deadline too */
	faults("[\"reset:10\",\"reset:10\",\"reset:10\",\"reset:10\",\"reset:10\","
	       "\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\","
	       "\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\",\"503\"]");
	got = 1;
	CHECK_RC(lyb_gcs_read(g, B, OBJ, gen, SIZE, 0, buf, 1000, &got), -EIO);
	CHECK(got == 0);

	/* wrong answers are refused, not retried into success */
	faults("[\"wrongrange\"]");
	CHECK_RC(lyb_gcs_read(g, B, OBJ, gen, SIZE, 10, buf, 100, &got),
		 -EBADMSG);
	faults("[\"gen\"]");
	CHECK_RC(lyb_gcs_read(g, B, OBJ, gen, SIZE, 10, buf, 100, &got), -EIO);
	faults("[]");
	CHECK_RC(lyb_gcs_read(g, B, OBJ, gen, SIZE - 1, 10, buf, 100, &got),
		 -EIO);
	CHECK_RC(lyb_gcs_read(g, B, OBJ, gen + 1, SIZE, 10, buf, 100, &got),
		 -EIO); /* that generation is gone */

	/* 4xx: no retry */
	faults("[\"404\", \"503\"]");
	CHECK_RC(lyb_gcs_read(g, B, OBJ, 0, SIZE, 0, buf, 10, &got), -ENOENT);
	CHECK(requests(NULL) == 1);
	faults("[\"403\"]");
	CHECK_RC(lyb_gcs_stat(g, B, OBJ, &info), -EACCES);
	CHECK(requests(NULL) == 1);
	faults("[\"401\", \"401\"]"); /* one fresh token, then give up */
	CHECK_RC(lyb_gcs_stat(g, B, OBJ, &info), -EACCES);
	CHECK(requests(NULL) == 2);
	faults("[\"badjson\"]");
	CHECK_RC(lyb_gcs_stat(g, B, OBJ, &info), -EBADMSG);
	faults("[\"503\", \"reset:0\"]");
	CHECK_RC(lyb_gcs_stat(g, B, OBJ, &info), 0);
	CHECK(info.size == SIZE && info.generation == gen);
}

static void test_uploads(struct lyb_gcs *g)
{
	static unsigned char big[700000];
	char *back = NULL;
	size_t len = 0, i;
	int64_t gen = 0, gen2 = 0;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 31 + (i >> 11));
	/* chunked (256 KiB): the second chunk is stored but its answer lost */
	faults("[\"ok\", \"ok\", \"commitreset\", \"503\"]");
	CHECK_RC(lyb_gcs_put(g, B, "up/big", big, sizeof(big), 0,
			     LYB_GCS_UPLOAD_RESUMABLE, &gen),
		 0);
	CHECK(gen > 0);
	CHECK(requests("bytes */700000") >= 6);
	CHECK_RC(lyb_gcs_get(g, B, "up/big", sizeof(big), &back, &len, &gen2),
		 0);
	CHECK(len == sizeof(big) && back && memcmp(back, big, len) == 0);
	CHECK(gen2 == gen);
	free(back);

	/* preconditions */
	faults("[]");
	CHECK_RC(lyb_gcs_put(g, B, "up/big", "x", 1, 0, LYB_GCS_UPLOAD_AUTO,
			     &gen2),
		 -EAGAIN);
	CHECK_RC(lyb_gcs_put(g, B, "up/big", "x", 1, gen + 1,
			     LYB_GCS_UPLOAD_MEDIA, &gen2),
		 -EAGAIN);
	CHECK_RC(lyb_gcs_put(g, B, "up/big", "x", 1, gen,
			     LYB_GCS_UPLOAD_MULTIPART, &gen2),
		 0);
	CHECK(gen2 > gen);
	/* stored, but the answer was a 503: the retry's 412 is our own win */
	faults("[\"commit503\"]");
	CHECK_RC(lyb_gcs_put(g, B, "up/big", "yz", 2, gen2,
			     LYB_GCS_UPLOAD_MULTIPART, &gen),
		 0);
	CHECK(gen > gen2);
	CHECK(requests(NULL) == 3); /* upload, upload (412), stat */
	/* a 412 after a retry that was not ours stays -EAGAIN */
	faults("[\"503\"]");
	CHECK_RC(lyb_gcs_put(g, B, "up/big", "other", 5, gen2,
			     LYB_GCS_UPLOAD_MEDIA, &gen),
		 -EAGAIN);
	faults("[\"500\"]");
	CHECK_RC(lyb_gcs_delete(g, B, "up/big", -1), 0);
	CHECK_RC(lyb_gcs_delete(g, B, "up/big", -1), -ENOENT);
}

int main(void)
{
	const char *srv = getenv("LYB_TEST_GCS_FAULTS");
	struct lyb_gcs_config cfg = {.credentials = "anonymous",
				     .deadline_ms = 3000,
				     .stall_ms = 1000,
				     .chunk_size = 256 * 1024};
	struct lyb_gcs *g = NULL;
	int64_t gen;
	size_t i;

	if (!srv || !*srv) {
		printf("SKIP: LYB_TEST_GCS_FAULTS is not set (run "
		       "tests/integration/t_gcs_faults.sh)\n");
		return 77;
	}
	snprintf(base, sizeof(base), "http://%s", srv);
	for (i = 0; i < SIZE; i++)
		data[i] = (unsigned char)((i * 7) ^ (i >> 8));
	cfg.endpoint = base;
	CHECK_RC(lyb_gcs_new(&cfg, &g), 0);
	if (!g)
		return 1;
	gen = put_fixture();
	CHECK(gen > 0);
	test_reads(g, gen);
	test_uploads(g);
	lyb_gcs_unref(g);
	if (check_failures)
		fprintf(stderr, "%d checks failed\n", check_failures);
	return check_failures ? 1 : 0;
}
