// SPDX-License-Identifier: Apache-2.0
/*
 * test_store.c - file:// data confinement (store_file.c): the file_roots
 * list and its default, and opens of data through a symlinked directory,
 * a symlinked file, a FIFO, a path under no root and legit files, with
 * openat2(2) and with the per-component walk that replaces it on old
 * kernels.
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

	test_roots_list();
	test_opens(0);
	test_opens(1);
	test_far_mtimes();

	snprintf(t, sizeof(t), "rm -rf '%s'", dir);
	if (system(t) != 0)
		return 2;
	return check_failures ? 1 : 0;
}
