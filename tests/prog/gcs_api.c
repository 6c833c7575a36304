// SPDX-License-Identifier: Apache-2.0
/*
 * gcs_api.c - the GCS client and the gs:// store against a real GCS
 * JSON API server (the Firebase Storage emulator started by
 * tests/integration/t_gcs_emulator.sh). Skips unless
 * $STORAGE_EMULATOR_HOST is set.
 *
 * Every call: uploads of each kind, metadata, listing over several pages
 * and with a delimiter, whole and ranged byte-exact reads, deletes, names
 * with spaces, UTF-8, '+', '%' and '/', and the same through lyb_store_*.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lyb/digest.h"
#include "lyb/gcs.h"
#include "lyb/store.h"

static char bucket[64];

static const char *const names[] = {
	"plain.bin",
	"dir/sub dir/a b.avro",
	"\xc3\xbcn\xc3\xaf"
	"c/c\xc3\xb8"
	"d\xc3\xa9.bin", /* UTF-8: ünïc/cødé.bin */
	"plus+sign+",
	"pct%2Fnot%20a%slash",
	"q?x=1&y=#frag",
	"tilde~star*(x)!",
	"semi;colon,comma'@$",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static unsigned char *make_data(size_t n, unsigned seed)
{
	unsigned char *d = malloc(n ? n : 1);
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		d[i] = (unsigned char)(seed >> 16);
	}
	return d;
}

static void digests(const unsigned char *d, size_t n, char *crc, char *md5)
{
	struct lyb_digest *dg;
	unsigned char raw[32];
	size_t rl = sizeof(raw);

	lyb_crc32c_to_b64(lyb_crc32c_update(0, d, n), crc);
	lyb_digest_new(LYB_DIGEST_MD5, &dg);
	lyb_digest_update(dg, d, n);
	lyb_digest_final(dg, raw, &rl);
	lyb_digest_free(dg);
	lyb_base64_encode(raw, rl, md5);
}

struct seen {
	char keys[64][256];
	int n, prefixes;
};

static int collect(void *arg, const struct lyb_object_info *o)
{
	struct seen *s = arg;

	if (o->generation == 0)
		s->prefixes++;
	if (s->n < 64)
		snprintf(s->keys[s->n++], 256, "%s", o->key);
	return 0;
}

static int stop_at_three(void *arg, const struct lyb_object_info *o)
{
	return ++*(int *)arg == 3 ? -ECANCELED : 0;
}

static void check_object(struct lyb_gcs *g, const char *name,
			 const unsigned char *d, size_t n, int64_t gen)
{
	struct lyb_object_info info = {0};
	char crc[16], md5[32], *whole = NULL;
	unsigned char *buf = malloc(n + 16);
	size_t len = 0, got = 0, i;
	int64_t g2 = 0;
	static const size_t offs[] = {0, 1, 255, 4096, 262143, 262144, 999999};

	CHECK_RC(lyb_gcs_stat(g, bucket, name, &info), 0);
	CHECK(info.size == n);
	CHECK(info.generation == gen);
	CHECK(info.mtime > 1600000000);
	digests(d, n, crc, md5);
	CHECK_STR(info.crc32c, crc);
	CHECK_STR(info.md5, md5);

	CHECK_RC(lyb_gcs_get(g, bucket, name, n, &whole, &len, &g2), 0);
	CHECK(len == n && whole && memcmp(whole, d, n) == 0);
	CHECK(g2 == gen);
	free(whole);
	if (n > 0)
		CHECK_RC(lyb_gcs_get(g, bucket, name, n - 1, &whole, &len, &g2),
			 -EFBIG);

	/* ranges inside, across the end, at the end; known and unknown size */
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		size_t off = offs[i], want = 70000;

		if (off > n)
			continue;
		want = off + want > n ? n - off : want;
		memset(buf, 0xAA, n + 16);
		CHECK_RC(lyb_gcs_read(g, bucket, name, gen, n, off, buf, 70000,
				      &got),
			 0);
		CHECK(got == want && memcmp(buf, d + off, want) == 0);
		CHECK_RC(lyb_gcs_read(g, bucket, name, 0, UINT64_MAX, off, buf,
				      70000, &got),
			 0);
		CHECK(got == want && memcmp(buf, d + off, want) == 0);
	}
	CHECK_RC(lyb_gcs_read(g, bucket, name, gen, n, n, buf, 10, &got), 0);
	CHECK(got == 0);
	/* a size that is not the object's: the object changed */
	if (n > 10)
		CHECK_RC(lyb_gcs_read(g, bucket, name, gen, n + 5, 0, buf, 10,
				      &got),
			 -EIO);
	free(buf);
}

static void test_client(struct lyb_gcs *g)
{
	static const enum lyb_gcs_upload how[] = {
		LYB_GCS_UPLOAD_MEDIA, LYB_GCS_UPLOAD_MULTIPART,
		LYB_GCS_UPLOAD_RESUMABLE, LYB_GCS_UPLOAD_AUTO};
	struct lyb_object_info info;
	struct seen s;
	size_t sizes[NNAMES], i;
	unsigned char *d;
	int64_t gen;
	int n;

	for (i = 0; i < NNAMES; i++) {
		/*
		 * the big one goes resumable, in four chunks of at most 256
		 * KiB (the client's chunk_size below), which the emulator's
		 * wrapper takes as GCS does (scripts/gcs-emulator.js)
		 */
		sizes[i] = i == 2 ? 1000000 : i == 3 ? 0 : 1000 + 7919 * i;
		d = make_data(sizes[i], (unsigned)i);
		gen = 0;
		CHECK_RC(lyb_gcs_put(g, bucket, names[i], d, sizes[i], -1,
				     how[i % 4], &gen),
			 0);
		CHECK(gen > 0);
		check_object(g, names[i], d, sizes[i], gen);
		free(d);
	}

	/* everything, 3 per page: several pages, name order, all names */
	memset(&s, 0, sizeof(s));
	CHECK_RC(lyb_gcs_list(g, bucket, "", NULL, 3, collect, &s), 0);
	CHECK(s.n == (int)NNAMES && s.prefixes == 0);
	for (i = 1; i < (size_t)s.n; i++)
		CHECK(strcmp(s.keys[i - 1], s.keys[i]) < 0);
	for (i = 0; i < NNAMES; i++) {
		int found = 0, k;

		for (k = 0; k < s.n; k++)
			found |= strcmp(s.keys[k], names[i]) == 0;
		CHECK(found);
	}
	n = 0;
	CHECK_RC(lyb_gcs_list(g, bucket, "", NULL, 2, stop_at_three, &n),
		 -ECANCELED);
	CHECK(n == 3);

	/* a prefix, and a delimiter giving common prefixes */
	memset(&s, 0, sizeof(s));
	CHECK_RC(lyb_gcs_list(g, bucket, "dir/", NULL, 1, collect, &s), 0);
	CHECK(s.n == 1);
	CHECK_STR(s.keys[0], "dir/sub dir/a b.avro");
	memset(&s, 0, sizeof(s));
	CHECK_RC(lyb_gcs_list(g, bucket, "dir/", "/", 0, collect, &s), 0);
	CHECK(s.n == 1 && s.prefixes == 1);
	CHECK_STR(s.keys[0], "dir/sub dir/");
	memset(&s, 0, sizeof(s));
	CHECK_RC(lyb_gcs_list(g, bucket, "nothing-here/", NULL, 0, collect, &s),
		 0);
	CHECK(s.n == 0);

	/* missing objects and buckets, deletes */
	CHECK_RC(lyb_gcs_stat(g, bucket, "no/such object", &info), -ENOENT);
	CHECK_RC(lyb_gcs_read(g, bucket, "no/such object", 0, UINT64_MAX, 0,
			      &info, 1, &i),
		 -ENOENT);
	CHECK_RC(lyb_gcs_delete(g, bucket, names[0], -1), 0);
	CHECK_RC(lyb_gcs_stat(g, bucket, names[0], &info), -ENOENT);
	CHECK_RC(lyb_gcs_delete(g, bucket, names[0], -1), -ENOENT);
}

static int count_keys(void *arg, const struct lyb_object_info *o)
{
	(*(int *)arg)++;
	return 0;
}

/* The same objects through the gs:// store. */
static void test_store(void)
{
	struct lyb_store *st = NULL;
	struct lyb_reader *r = NULL;
	struct lyb_object_info info;
	char url[128], *key = NULL, *k, *data = NULL, buf[64];
	size_t len = 0, got = 0;
	int64_t gen = 0, gen2 = 0;
	int n = 0;

	snprintf(url, sizeof(url), "gs://%s/cat/alog", bucket);
	CHECK_RC(lyb_store_resolve(url, &st, &key), 0);
	if (!st)
		return;
	CHECK_STR(key, "cat/alog");
	CHECK_STR(lyb_store_scheme(st), "gs");
	k = lyb_store_key_join(key, "datasets/x y+z.json");
	CHECK_RC(lyb_store_put(st, k, "{\"a\": 1}", 8, 0, &gen), 0);
	CHECK(gen > 0);
	CHECK_RC(lyb_store_get(st, k, 1024, &data, &len, &gen2), 0);
	CHECK(len == 8 && data && strcmp(data, "{\"a\": 1}") == 0);
	CHECK(gen2 == gen);
	free(data);
	CHECK_RC(lyb_store_stat(st, k, &info), 0);
	CHECK(info.size == 8 && info.generation == gen);
	CHECK_RC(lyb_store_put(st, k, "{\"a\": 22}", 9, gen, &gen2), 0);
	CHECK_RC(lyb_store_put(st, "cat/alogue", "x", 1, -1, NULL), 0);
	CHECK_RC(lyb_store_list(st, key, count_keys, &n), 0);
	CHECK(n == 1); /* not "cat/alogue" */
	CHECK_RC(lyb_reader_open(st, k, gen2, 9, &r), 0);
	if (r) {
		CHECK_RC(lyb_reader_pread(r, buf, sizeof(buf), 2, &got), 0);
		CHECK(got == 7 && memcmp(buf, "a\": 22}", 7) == 0);
		lyb_reader_close(r);
	}
	CHECK_RC(lyb_store_stat(st, "cat/none", &info), -ENOENT);
	free(k);
	free(key);
	lyb_store_unref(st);
	CHECK_RC(lyb_store_resolve("gs://Bad_Bucket!/x", &st, &key), -EINVAL);
}

int main(void)
{
	const char *emu = getenv("STORAGE_EMULATOR_HOST");
	struct lyb_gcs_config cfg = {.deadline_ms = 20000,
				     .chunk_size = 256 << 10};
	struct lyb_gcs *g = NULL;
	char ep[256];

	if (!emu || !*emu) {
		printf("SKIP: STORAGE_EMULATOR_HOST is not set (run "
		       "tests/integration/t_gcs_emulator.sh)\n");
		return 77;
	}
	snprintf(bucket, sizeof(bucket), "lyb-test-%d", (int)getpid());
	CHECK_RC(lyb_gcs_new(&cfg, &g), 0);
	if (!g)
		return 1;
	test_client(g);
	lyb_gcs_unref(g);

	/* the explicit endpoint (trailing '/' tolerated) wins over the env */
	snprintf(ep, sizeof(ep), "%s%s/", strstr(emu, "://") ? "" : "http://",
		 emu);
	cfg.endpoint = ep;
	cfg.credentials = "anonymous";
	setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:1", 1);
	CHECK_RC(lyb_gcs_new(&cfg, &g), 0);
	if (g) {
		struct lyb_object_info info;

		CHECK_RC(lyb_gcs_stat(g, bucket, names[1], &info), 0);
		lyb_gcs_unref(g);
	}
	setenv("STORAGE_EMULATOR_HOST", emu, 1);

	test_store();
	if (check_failures)
		fprintf(stderr, "%d checks failed\n", check_failures);
	return check_failures ? 1 : 0;
}
