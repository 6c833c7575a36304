// SPDX-License-Identifier: Apache-2.0
/*
 * test_store.c - object stores: key validation, joining and URL
 * resolution (store.c); compare-and-swap writes and generations of
 * file:// (store_file.c: create only if absent, replace only at the
 * generation read, unconditional; generations strictly increase; a failed
 * precondition changes nothing); and file:// data confinement: the
 * file_roots list and its default, and opens of data through a symlinked
 * directory, a symlinked file, a FIFO, a path under no root and legit
 * files, with openat2(2) and with the per-component walk that replaces it
 * on old kernels.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lyb/config.h"
#include "lyb/store.h"
#include "store_impl.h"

static char dir[64], key[4200];

/* The key of @rel under the temporary directory. */
static const char *key_of(const char *rel)
{
	snprintf(key, sizeof(key), "%s/%s", dir + 1, rel);
	return key;
}

static void put(const char *rel, const char *text)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Opens data @rel as the mount would: 0 and the first byte, or -errno. */
static int open_data(struct lyb_store *s, const char *rel, char *first)
{
	struct lyb_object_info info;
	struct lyb_reader *r;
	size_t got = 0;
	int rc;

	rc = lyb_store_stat(s, key_of(rel), &info);
	if (rc)
		info.size = 1, info.generation = 0;
	rc = lyb_reader_open(s, key_of(rel), 0, info.size, &r);
	if (rc)
		return rc;
	rc = lyb_reader_pread(r, first, 1, 0, &got);
	lyb_reader_close(r);
	return rc ? rc : got == 1 ? 0 : -EIO;
}

static void test_roots_list(void)
{
	struct lyb_config cfg;
	struct lyb_config_err err;
	char buf[256];

	CHECK_RC(lyb_store_file_confine("/a/b:/c/", NULL), 0);
	CHECK(lyb_store_file_roots(buf, sizeof(buf)) == 2);
	CHECK_STR(buf, "/a/b:/c");
	CHECK(lyb_store_file_allowed("a/b"));
	CHECK(lyb_store_file_allowed("a/b/x/y"));
	CHECK(lyb_store_file_allowed("c/x"));
	CHECK(!lyb_store_file_allowed("a/bc/x"));
	CHECK(!lyb_store_file_allowed("a"));
	CHECK(!lyb_store_file_allowed("etc/shadow"));
	/* the default: the catalog's tree, or nothing for gs:// */
	CHECK_RC(lyb_store_file_confine(NULL, "file:///srv/cat"), 0);
	CHECK(lyb_store_file_allowed("srv/cat/data/x"));
	CHECK(!lyb_store_file_allowed("srv/other"));
	CHECK_RC(lyb_store_file_confine(NULL, "gs://bucket/cat"), 0);
	CHECK(lyb_store_file_roots(buf, sizeof(buf)) == 0);
	CHECK_RC(lyb_store_file_confine("none", "file:///srv/cat"), 0);
	CHECK(!lyb_store_file_allowed("srv/cat/x"));
	/* malformed lists allow nothing */
	CHECK_RC(lyb_store_file_confine("/a:relative", NULL), -EINVAL);
	CHECK(!lyb_store_file_allowed("a/x"));
	CHECK_RC(lyb_store_file_confine("/a/../etc", NULL), -EINVAL);
	CHECK_RC(lyb_store_file_confine("/a::/b", NULL), -EINVAL);
	/* the configuration key checks the same way */
	lyb_config_init(&cfg);
	CHECK_RC(lyb_config_set(&cfg, "file_roots", "/srv/a:/srv/b", &err), 0);
	CHECK_RC(lyb_config_set(&cfg, "file_roots", "none", &err), 0);
	CHECK_RC(lyb_config_set(&cfg, "file_roots", "srv", &err), -EINVAL);
	CHECK_RC(lyb_config_set(&cfg, "file_roots", "/srv/./a", &err), -EINVAL);
	CHECK_RC(lyb_config_set(&cfg, "file_roots", "/a:", &err), -EINVAL);
	lyb_config_free(&cfg);
}

/*
 * Files any account can date outside the nanosecond range (2400, 1600):
 * their generation saturates instead of overflowing (UBSan found
 * mtime_ns() overflowing at every open and listing of such a file), and
 * a put over a document dated 2400 fails rather than wrap.
 */
static void test_far_mtimes(void)
{
	struct timespec ts[2] = {{.tv_sec = 13569465600LL}, {0}};
	struct lyb_object_info info;
	struct lyb_store *s;
	char url[128], *prefix;

	ts[1] = ts[0];
	put("root/ok/far.json", "{}");
	snprintf(url, sizeof(url), "%s/root/ok/far.json", dir);
	CHECK(utimensat(AT_FDCWD, url, ts, 0) == 0);
	snprintf(url, sizeof(url), "file://%s", dir);
	CHECK_RC(lyb_store_resolve(url, &s, &prefix), 0);
	free(prefix);
	CHECK_RC(lyb_store_stat(s, key_of("root/ok/far.json"), &info), 0);
	CHECK(info.generation == INT64_MAX);
	CHECK_RC(lyb_store_put(s, key_of("root/ok/far.json"), "[]", 2,
			       INT64_MAX, NULL),
		 -EOVERFLOW);
	ts[0].tv_sec = ts[1].tv_sec = -11676096000LL; /* 1600 */
	snprintf(url, sizeof(url), "%s/root/ok/far.json", dir);
	CHECK(utimensat(AT_FDCWD, url, ts, 0) == 0);
	CHECK_RC(lyb_store_stat(s, key_of("root/ok/far.json"), &info), 0);
	/* INT64_MIN, or 1901 where the file system clamps (ext4) */
	CHECK(info.generation < 0);
	lyb_store_unref(s);
}

static void test_opens(int walk)
{
	char root[128], url[128], first = 0, path[256], target[256];
	struct lyb_store *s;
	char *prefix;

	lyb_store_file_force_walk(walk);
	snprintf(root, sizeof(root), "%s/root", dir);
	CHECK_RC(lyb_store_file_confine(root, NULL), 0);
	snprintf(url, sizeof(url), "file://%s", dir);
	CHECK_RC(lyb_store_resolve(url, &s, &prefix), 0);
	free(prefix);

	CHECK_RC(open_data(s, "root/ok/a.txt", &first), 0);
	CHECK(first == 'A');
	CHECK_RC(open_data(s, "root/ok/hard.txt", &first), 0);
	CHECK(first == 'A');
	CHECK_RC(open_data(s, "secret/pin.txt", &first), -EACCES);
	CHECK_RC(open_data(s, "root/evil/pin.txt", &first), -EACCES);
	CHECK_RC(open_data(s, "root/ok/link.txt", &first), -EACCES);
	CHECK_RC(open_data(s, "root/ok/inner.txt", &first), -EACCES);
	CHECK_RC(open_data(s, "root/ok/fifo", &first), -ENOENT); /* no hang */
	CHECK_RC(open_data(s, "root/ok/missing", &first), -ENOENT);
	/* the store's own keys refuse ".." */
	snprintf(path, sizeof(path), "%s/root/../secret/pin.txt", dir + 1);
	CHECK(!lyb_store_key_valid(path));
	/* a symlink in the root's own path is the operator's: followed */
	snprintf(target, sizeof(target), "%s/alias", dir);
	CHECK_RC(lyb_store_file_confine(target, NULL), 0);
	CHECK_RC(open_data(s, "alias/ok/a.txt", &first), 0);
	lyb_store_unref(s);
	lyb_store_file_force_walk(0);
}

static void test_keys(void)
{
	static const struct {
		const char *key;
		int valid;
	} keys[] = {
		{"a", 1},
		{"a/b/c.avro", 1},
		{"srv/cat/.lyb-lock", 1}, /* dot files are names */
		{"a/..b/c", 1},
		{"a/b.", 1},
		{"", 0},
		{"/a", 0},
		{"a/", 0},
		{"a//b", 0},
		{".", 0},
		{"..", 0},
		{"a/./b", 0},
		{"a/../b", 0},
		{"a/..", 0},
	};
	char buf[4200], *k;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (lyb_store_key_valid(keys[i].key) != keys[i].valid) {
			fprintf(stderr, "key \"%s\": valid %d\n", keys[i].key,
				!keys[i].valid);
			check_failures++;
		}
	/* control characters, never in a key */
	CHECK(!lyb_store_key_valid("a\nb"));
	CHECK(!lyb_store_key_valid("a\tb"));
	CHECK(!lyb_store_key_valid("a\x01"));
	CHECK(!lyb_store_key_valid("a\x7f"));
	CHECK(lyb_store_key_valid("a\x80\xff")); /* other bytes are */
	/* lengths: a component of 1024 bytes, a key of 4096 */
	memset(buf, 'k', 1024);
	buf[1024] = '\0';
	CHECK(lyb_store_key_valid(buf));
	buf[1024] = 'k';
	buf[1025] = '\0';
	CHECK(!lyb_store_key_valid(buf));
	for (i = 0; i < 4096; i++)
		buf[i] = i % 100 == 99 ? '/' : 'k';
	buf[4096] = '\0';
	CHECK(lyb_store_key_valid(buf));
	buf[4096] = 'k';
	buf[4097] = '\0';
	CHECK(!lyb_store_key_valid(buf));

	k = lyb_store_key_join("a/b", "c.avro");
	CHECK_STR(k, "a/b/c.avro");
	free(k);
	k = lyb_store_key_join("", "c.avro");
	CHECK_STR(k, "c.avro");
	free(k);
}

static void test_resolve(void)
{
	static const struct {
		const char *url;
		int rc;
		const char *scheme, *prefix;
	} urls[] = {
		{"file:///srv/cat", 0, "file", "srv/cat"},
		{"file:///srv/cat/", 0, "file", "srv/cat"},
		{"file:///srv/cat///", 0, "file", "srv/cat"},
		{"file:///", 0, "file", ""},
		{"file://host/srv", -EINVAL, NULL, NULL},
		{"file:///srv//cat", -EINVAL, NULL, NULL},
		{"file:///srv/../etc", -EINVAL, NULL, NULL},
		{"file:///srv/./cat", -EINVAL, NULL, NULL},
		{"gs:///key", -EINVAL, NULL, NULL}, /* no bucket */
		{"s3://bucket/key", -ENOTSUP, NULL, NULL},
		{"/srv/cat", -EINVAL, NULL, NULL},
		{"://x", -EINVAL, NULL, NULL},
		{"averyveryverylongscheme://x", -EINVAL, NULL, NULL},
	};
	struct lyb_store *s, *again;
	char *prefix;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
		s = NULL;
		prefix = NULL;
		rc = lyb_store_resolve(urls[i].url, &s, &prefix);
		if (rc != urls[i].rc ||
		    (rc == 0 && (strcmp(lyb_store_scheme(s), urls[i].scheme) ||
				 strcmp(prefix, urls[i].prefix)))) {
			fprintf(stderr, "resolve \"%s\": %d \"%s\"\n",
				urls[i].url, rc, rc == 0 ? prefix : "");
			check_failures++;
		}
		if (rc == 0) {
			lyb_store_unref(s);
			free(prefix);
		}
	}
	/* one store per scheme and bucket, shared */
	CHECK_RC(lyb_store_resolve("file:///a", &s, &prefix), 0);
	free(prefix);
	CHECK_RC(lyb_store_resolve("file:///b/c", &again, &prefix), 0);
	free(prefix);
	CHECK(s == again);
	lyb_store_unref(again);
	lyb_store_unref(s);
}

/* Compare-and-swap writes and generations of file:// objects. */
static void test_cas(void)
{
	struct lyb_object_info info;
	struct lyb_store *s;
	char url[128], *prefix, *data = NULL;
	int64_t g1 = 0, g2 = 0, g3 = 0, g4 = 0, got = 0;
	size_t len = 0;

	snprintf(url, sizeof(url), "file://%s/cas", dir);
	CHECK_RC(lyb_store_resolve(url, &s, &prefix), 0);
	free(prefix);

	/* create: only if absent */
	CHECK_RC(lyb_store_put(s, key_of("cas/doc"), "one", 3, 0, &g1), 0);
	CHECK(g1 > 0);
	CHECK_RC(lyb_store_put(s, key_of("cas/doc"), "two", 3, 0, &g2),
		 -EAGAIN);
	CHECK_RC(lyb_store_get(s, key_of("cas/doc"), 100, &data, &len, &got),
		 0);
	CHECK_STR(data, "one");
	CHECK(len == 3 && got == g1);
	free(data);
	CHECK_RC(lyb_store_stat(s, key_of("cas/doc"), &info), 0);
	CHECK(info.size == 3 && info.generation == g1);

	/* replace: only at the generation read, which then grows */
	CHECK_RC(lyb_store_put(s, key_of("cas/doc"), "two", 3, g1 + 1, &g2),
		 -EAGAIN);
	CHECK_RC(lyb_store_put(s, key_of("cas/doc"), "two!", 4, g1, &g2), 0);
	CHECK(g2 > g1);
	CHECK_RC(lyb_store_put(s, key_of("cas/doc"), "stale", 5, g1, &g3),
		 -EAGAIN);
	CHECK_RC(lyb_store_get(s, key_of("cas/doc"), 100, &data, &len, &got),
		 0);
	CHECK_STR(data, "two!");
	CHECK(got == g2);
	free(data);
	/* unconditional */
	CHECK_RC(lyb_store_put(s, key_of("cas/doc"), "three", 5, -1, &g3), 0);
	CHECK(g3 > g2);
	/* an object that is not there has generation 0 for a replace */
	CHECK_RC(lyb_store_put(s, key_of("cas/new"), "x", 1, g3, &g4), -EAGAIN);
	CHECK_RC(lyb_store_stat(s, key_of("cas/new"), &info), -ENOENT);

	/* reads bigger than the limit */
	CHECK_RC(lyb_store_get(s, key_of("cas/doc"), 4, &data, &len, NULL),
		 -EFBIG);
	CHECK_RC(lyb_store_get(s, key_of("cas/doc"), 5, &data, &len, NULL), 0);
	CHECK_STR(data, "three");
	free(data);
	CHECK_RC(lyb_store_get(s, key_of("cas/none"), 5, &data, &len, NULL),
		 -ENOENT);
	lyb_store_unref(s);
}

int main(void)
{
	char p[256], t[256];

	snprintf(dir, sizeof(dir), "/tmp/lyb-store.XXXXXX");
	if (!mkdtemp(dir))
		return 2;
#define AT(rel) (snprintf(p, sizeof(p), "%s/%s", dir, rel), p)
	CHECK(mkdir(AT("root"), 0755) == 0);
	CHECK(mkdir(AT("root/ok"), 0755) == 0);
	CHECK(mkdir(AT("secret"), 0700) == 0);
	put("root/ok/a.txt", "A file inside");
	put("secret/pin.txt", "4711\n");
	snprintf(t, sizeof(t), "%s/secret", dir);
	CHECK(symlink(t, AT("root/evil")) == 0);
	snprintf(t, sizeof(t), "%s/secret/pin.txt", dir);
	CHECK(symlink(t, AT("root/ok/link.txt")) == 0);
	CHECK(symlink("a.txt", AT("root/ok/inner.txt")) == 0);
	snprintf(t, sizeof(t), "%s/root/ok/a.txt", dir);
	CHECK(link(t, AT("root/ok/hard.txt")) == 0);
	CHECK(mkfifo(AT("root/ok/fifo"), 0644) == 0);
	snprintf(t, sizeof(t), "%s/root", dir);
	CHECK(symlink(t, AT("alias")) == 0);

	test_keys();
	test_resolve();
	test_cas();
	test_roots_list();
	test_opens(0);
	test_opens(1);
	test_far_mtimes();

	snprintf(t, sizeof(t), "rm -rf '%s'", dir);
	if (system(t) != 0)
		return 2;
	return check_failures ? 1 : 0;
}
