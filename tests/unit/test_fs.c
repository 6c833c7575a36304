// SPDX-License-Identifier: Apache-2.0
/*
 * test_fs.c - the tree lybfs shows (fs.c), over the in-memory snapshot of
 * snap_fixture.h, without FUSE: what every kind of path resolves to (kind,
 * mode, size, link target, immutability, whether the ACL gates it), the
 * paths that do not exist, what each directory lists, the extended
 * attributes with and without digests, and the generated files' contents.
 * Nothing here reads a store: the fixture's objects live nowhere, so what
 * needs their bytes answers -EIO.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog_impl.h"
#include "check.h"
#include "lyb/catalog.h"
#include "lyb/fs.h"
#include "lyb/log.h"
#include "snap_fixture.h"

#define DG "artist-metadata.DominantGenres"
#define AR "artist-metadata.Artists"
#define V3 DG "/2020-09-03/922d6e"

enum { D = 1, F, L }; /* the file type a path must have */

struct resolve_case {
	const char *path;
	int rc;
	enum lyb_fs_kind kind;
	int type;	  /* D, F or L */
	int gated;	  /* lyb_fs_gated() */
	int immutable;	  /* in a version's tree */
	const char *link; /* LYB_FS_LINK: the target */
	long long size;	  /* -1: not checked here (generated files) */
};

static const struct resolve_case cases[] = {
	{"", 0, LYB_FS_ROOT, D, 0, 0, NULL, 0},
	{".lyb", 0, LYB_FS_META, D, 0, 0, NULL, 0},
	{".lyb/metrics", 0, LYB_FS_FILE, F, 0, 0, NULL, -1},
	{".lyb/health", 0, LYB_FS_FILE, F, 0, 0, NULL, -1},
	{".lyb/info.json", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{".lyb/metrics/x", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{".lyb/health/x", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{"nope.X", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{"..", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{".", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{"artist-metadata", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{"ARTIST-METADATA.DOMINANTGENRES", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG, 0, LYB_FS_DATASET, D, 1, 0, NULL, 0}, /* its listing: dates */
	{DG "/", 0, LYB_FS_DATASET, D, 1, 0, NULL, 0},
	{DG "/.lyb", 0, LYB_FS_META, D, 0, 0, NULL, 0},
	{DG "/.lyb/info.json", 0, LYB_FS_FILE, F, 0, 0, NULL, -1},
	{DG "/.lyb/status", 0, LYB_FS_FILE, F, 0, 0, NULL, -1},
	{DG "/.lyb/access", 0, LYB_FS_FILE, F, 0, 0, NULL, 0},
	{DG "/.lyb/schema.avsc", 0, LYB_FS_FILE, F, 0, 0, NULL, -1},
	{DG "/.lyb/info.json/x", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/.lyb/metrics", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/.lyb/nope", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{"a.B/.lyb/schema.avsc", -ENOENT, 0, 0, 0, 0, NULL, 0}, /* no schema */
	{DG "/.lyb/upstream", 0, LYB_FS_LINEAGE, D, 0, 0, NULL, 0},
	{DG "/.lyb/upstream/" AR, 0, LYB_FS_LINK, L, 0, 0, "../../../" AR,
	 (long long)sizeof("../../../" AR) - 1},
	{DG "/.lyb/upstream/a.B", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/.lyb/upstream/" AR "/x", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/.lyb/downstream", 0, LYB_FS_LINEAGE, D, 0, 0, NULL, 0},
	{DG "/.lyb/downstream/" AR, -ENOENT, 0, 0, 0, 0, NULL,
	 0}, /* AR does not list DG */
	{AR "/.lyb/downstream/" DG, 0, LYB_FS_LINK, L, 0, 0, "../../../" DG,
	 (long long)sizeof("../../../" DG) - 1},
	{AR "/.lyb/downstream/a.B", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{AR "/.lyb/upstream/" DG, -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/latest", 0, LYB_FS_LINK, L, 0, 0, "2020-09-03/latest", 17},
	{DG "/latest/922d6e", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{"a.B/latest", -ENOENT, 0, 0, 0, 0, NULL, 0}, /* no versions */
	{DG "/2020-09-03", 0, LYB_FS_DATE, D, 1, 0, NULL, 0},
	{DG "/2020-09-01", 0, LYB_FS_DATE, D, 1, 0, NULL, 0},
	{DG "/2020-09-02", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/2020-9-3", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/2020-09-03/latest", 0, LYB_FS_LINK, L, 1, 0, "922d6e", 6},
	{DG "/2020-09-01/latest", 0, LYB_FS_LINK, L, 1, 0, "912ec8", 6},
	{DG "/2020-09-03/latest/gs", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3, 0, LYB_FS_VERSION, D, 1, 1, NULL, 0},
	{DG "/2020-09-01/922d6e", -ENOENT, 0, 0, 0, 0, NULL,
	 0}, /* the id under another date */
	{DG "/2020-09-03/912ec8", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/2020-09-03/922d6", -ENOENT, 0, 0, 0, 0, NULL,
	 0}, /* a prefix is not the id */
	{V3 "/.lyb", 0, LYB_FS_META, D, 1, 1, NULL, 0},
	{V3 "/.lyb/info.json", 0, LYB_FS_FILE, F, 1, 1, NULL, -1},
	{V3 "/.lyb/status", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/.lyb/access", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/.lyb/downstream", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/.lyb/upstream", 0, LYB_FS_LINEAGE, D, 1, 1, NULL, 0},
	{V3 "/.lyb/upstream/" AR, 0, LYB_FS_LINK, L, 1, 1,
	 "../../../../../" AR "/2020-09-03/abcdef",
	 (long long)sizeof("../../../../../" AR "/2020-09-03/abcdef") - 1},
	{V3 "/.lyb/upstream/a.B", -ENOENT, 0, 0, 0, 0, NULL, 0},
	/* the writer schema and data.jsonl need the objects' bytes */
	{V3 "/.lyb/schema.avsc", -EIO, 0, 0, 0, 0, NULL, 0},
	{V3 "/data.jsonl", -EIO, 0, 0, 0, 0, NULL, 0},
	{V3 "/data.jsonl/x", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/gs", 0, LYB_FS_LOCATION, D, 1, 1, NULL, 0},
	{V3 "/snow", 0, LYB_FS_LOCATION, D, 1, 1, NULL, 0},
	{V3 "/s3", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/GS", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/2020-09-01/912ec8/snow", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/gs/part-1.avro", 0, LYB_FS_OBJECT, F, 1, 1, NULL, 200},
	{V3 "/gs/a", 0, LYB_FS_SUBDIR, D, 1, 1, NULL, 0},
	{V3 "/gs/a/b", 0, LYB_FS_SUBDIR, D, 1, 1, NULL, 0},
	{V3 "/gs/a/b/c.avro", 0, LYB_FS_OBJECT, F, 1, 1, NULL, 100},
	{V3 "/gs/a/b/c", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/gs/a/b/c.avr", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/gs/a/", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/gs/b", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/gs/part-1.avro/x", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{V3 "/snow/data_0_0_0.json.gz", 0, LYB_FS_OBJECT, F, 1, 1, NULL, 50},
	{V3 "/snow/part-1.avro", -ENOENT, 0, 0, 0, 0, NULL, 0},
	{DG "/2020-09-01/912ec8/gs/p.avro", 0, LYB_FS_OBJECT, F, 1, 1, NULL, 1},
};

static int type_of(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return (mode & 07777) == 0555 ? D : 0;
	case S_IFREG:
		return (mode & 07777) == 0444 ? F : 0;
	case S_IFLNK:
		return (mode & 07777) == 0777 ? L : 0;
	}
	return 0;
}

static void test_resolve(const struct lyb_snap *snap)
{
	const struct resolve_case *c;
	struct lyb_fs_entry e;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		c = &cases[i];
		rc = lyb_fs_resolve(snap, c->path, &e);
		if (rc != c->rc) {
			fprintf(stderr, "resolve \"%s\": %d, want %d\n",
				c->path, rc, c->rc);
			check_failures++;
			continue;
		}
		if (rc)
			continue;
		if (e.kind != c->kind || type_of(e.mode) != c->type ||
		    lyb_fs_gated(&e) != c->gated ||
		    e.immutable != c->immutable ||
		    (c->size >= 0 && e.size != (uint64_t)c->size) ||
		    (c->link && strcmp(e.link, c->link) != 0) ||
		    (!c->link && e.link[0])) {
			fprintf(stderr,
				"resolve \"%s\": kind %d mode %o gated %d "
				"immutable %d size %llu link \"%s\"\n",
				c->path, (int)e.kind, (unsigned)e.mode,
				lyb_fs_gated(&e), e.immutable,
				(unsigned long long)e.size, e.link);
			check_failures++;
		}
	}
}

/* Details the table does not hold. */
static void test_entries(const struct lyb_snap *snap)
{
	char path[LYB_FS_PATH_MAX + 2];
	const struct lyb_dataset *dg = lyb_snap_find(snap, DG);
	struct lyb_fs_entry e;
	int64_t t;

	CHECK_RC(lyb_fs_resolve(snap, DG, &e), 0);
	CHECK(e.ds == dg && !e.date && !e.v && !e.loc && !e.obj);
	CHECK_RC(lyb_time_parse("2020-09-03T07:30:00Z", &t), 0);
	CHECK_RC(e.mtime, t); /* the newest publish */
	CHECK_RC(lyb_fs_resolve(snap, DG "/2020-09-01", &e), 0);
	CHECK_RC(lyb_time_parse("2020-09-01T07:00:00Z", &t), 0);
	CHECK_RC(e.mtime, t);
	CHECK_STR(e.date->date, "2020-09-01");

	CHECK_RC(lyb_fs_resolve(snap, V3 "/gs/a/b/c.avro", &e), 0);
	CHECK_STR(e.sub, "a/b/c.avro");
	CHECK_STR(e.obj->name, "a/b/c.avro");
	CHECK_STR(e.v->id, "922d6e");
	CHECK(e.loc->kind == LYB_LOC_GS);
	CHECK_RC(lyb_fs_resolve(snap, V3 "/gs/a/b", &e), 0);
	CHECK_STR(e.sub, "a/b");
	CHECK(e.obj == NULL);
	CHECK_RC(lyb_fs_resolve(snap, V3 "/snow", &e), 0);
	CHECK(e.loc->kind == LYB_LOC_SNOW);
	CHECK_STR(e.sub, "");

	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/downstream", &e), 0);
	CHECK_RC(e.downstream, 1);
	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/upstream", &e), 0);
	CHECK_RC(e.downstream, 0);

	/* generated files: which change without the catalog changing */
	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/status", &e), 0);
	CHECK(e.file == LYB_FILE_STATUS && e.volatile_content);
	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/access", &e), 0);
	CHECK(e.file == LYB_FILE_ACCESS && e.volatile_content && !e.size);
	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/info.json", &e), 0);
	CHECK(e.file == LYB_FILE_INFO && !e.volatile_content);
	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/schema.avsc", &e), 0);
	CHECK(e.file == LYB_FILE_SCHEMA && !e.volatile_content);
	CHECK_RC(lyb_fs_resolve(snap, ".lyb/metrics", &e), 0);
	CHECK(e.file == LYB_FILE_METRICS && e.volatile_content && !e.ds);
	CHECK_RC(lyb_fs_resolve(snap, ".lyb/health", &e), 0);
	CHECK(e.file == LYB_FILE_HEALTH && e.volatile_content);

	/* lengths: a whole path, and one component */
	memset(path, 'a', sizeof(path));
	path[LYB_FS_PATH_MAX + 1] = '\0';
	CHECK_RC(lyb_fs_resolve(snap, path, &e), -ENAMETOOLONG);
	path[256] = '\0';
	CHECK_RC(lyb_fs_resolve(snap, path, &e), -ENAMETOOLONG);
	path[255] = '\0';
	CHECK_RC(lyb_fs_resolve(snap, path, &e), -ENOENT);
	snprintf(path, sizeof(path), "%s/%0256d", DG, 0);
	CHECK_RC(lyb_fs_resolve(snap, path, &e), -ENAMETOOLONG);
	snprintf(path, sizeof(path), "%s/%0255d", DG, 0);
	CHECK_RC(lyb_fs_resolve(snap, path, &e), -ENOENT);
	/* inside a location the rest is one object name, matched whole */
	snprintf(path, sizeof(path), "%s/gs/%0300d", V3, 0);
	CHECK_RC(lyb_fs_resolve(snap, path, &e), -ENOENT);
}

/* A listing as "name/" (directory), "name@" (link) or "name", spaced. */
struct listing {
	char text[1024];
	size_t len;
	int stop_after; /* return 1 from the callback after this many */
	int n;
};

static int on_dirent(void *arg, const char *name, mode_t mode)
{
	struct listing *l = arg;
	int type = type_of(mode);

	l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len,
				   "%s%s%s", l->len ? " " : "", name,
				   type == D   ? "/"
				   : type == L ? "@"
					       : "");
	return ++l->n == l->stop_after ? 42 : 0;
}

static void test_readdir(const struct lyb_snap *snap)
{
	static const struct {
		const char *path, *want;
	} dirs[] = {
		{"", ".lyb/ a.B/ " AR "/ " DG "/"},
		{".lyb", "health metrics"},
		{DG, ".lyb/ latest@ 2020-09-01/ 2020-09-03/"},
		{"a.B", ".lyb/"},
		{DG "/.lyb",
		 "access info.json schema.avsc status upstream/ downstream/"},
		{"a.B/.lyb", "access info.json status upstream/ downstream/"},
		{DG "/.lyb/upstream", AR "@"},
		{DG "/.lyb/downstream", ""},
		{AR "/.lyb/downstream", DG "@"},
		{AR "/.lyb/upstream", ""},
		{DG "/2020-09-03", "latest@ 922d6e/"},
		{V3, ".lyb/ data.jsonl data.avro.json gs/ snow/"},
		{DG "/2020-09-01/912ec8",
		 ".lyb/ data.jsonl data.avro.json gs/"},
		{V3 "/.lyb", "info.json schema.avsc upstream/"},
		{V3 "/.lyb/upstream", AR "@"},
		{V3 "/gs", "a/ part-1.avro"},
		{V3 "/gs/a", "b/"},
		{V3 "/gs/a/b", "c.avro"},
		{V3 "/snow", "data_0_0_0.json.gz"},
	};
	struct lyb_fs_entry e;
	struct listing l;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		memset(&l, 0, sizeof(l));
		CHECK_RC(lyb_fs_resolve(snap, dirs[i].path, &e), 0);
		CHECK_RC(lyb_fs_readdir(snap, &e, on_dirent, &l), 0);
		if (strcmp(l.text, dirs[i].want) != 0) {
			fprintf(stderr, "readdir \"%s\": \"%s\", want \"%s\"\n",
				dirs[i].path, l.text, dirs[i].want);
			check_failures++;
		}
	}
	/* not directories */
	CHECK_RC(lyb_fs_resolve(snap, V3 "/gs/part-1.avro", &e), 0);
	CHECK_RC(lyb_fs_readdir(snap, &e, on_dirent, &l), -ENOTDIR);
	CHECK_RC(lyb_fs_resolve(snap, DG "/latest", &e), 0);
	CHECK_RC(lyb_fs_readdir(snap, &e, on_dirent, &l), -ENOTDIR);
	/* a callback's non-zero return stops the listing and is returned */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	CHECK_RC(lyb_fs_resolve(snap, "", &e), 0);
	CHECK_RC(lyb_fs_readdir(snap, &e, on_dirent, &l), 42);
	CHECK_STR(l.text, ".lyb/ a.B/");
}

static int on_xattr(void *arg, const char *name, const char *value)
{
	struct listing *l = arg;

	l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len,
				   "%s=%s\n", name, value);
	return 0;
}

static void test_xattrs(const struct lyb_snap *snap)
{
	static const struct {
		const char *path;
		int digests;
		const char *want;
	} cases_x[] = {
		{"", 1, ""},
		{".lyb/metrics", 1, ""},
		{DG, 1,
		 "user.lyb.uri=lyb://" DG "\n"
		 "user.lyb.owner=group:artist-metadata\n"
		 "user.lyb.freshness=on time: 2020-09-03 was delivered at "
		 "2020-09-03 07:30 UTC, deadline 08:00 UTC\n"},
		{"a.B", 1,
		 "user.lyb.uri=lyb://a.B\nuser.lyb.owner=group:t\n"
		 "user.lyb.freshness=no SLO defined\n"},
		{DG "/2020-09-03", 1,
		 "user.lyb.uri=lyb://" DG "/2020-09-03\n"
		 "user.lyb.owner=group:artist-metadata\n"},
		{V3, 1,
		 "user.lyb.uri=lyb://" V3 "\n"
		 "user.lyb.owner=group:artist-metadata\n"
		 "user.lyb.version=922d6e\nuser.lyb.rows=10\n"},
		/* no rows: an object's count is unknown */
		{V3 "/gs", 1,
		 "user.lyb.uri=lyb://" V3 "/gs\n"
		 "user.lyb.owner=group:artist-metadata\n"
		 "user.lyb.version=922d6e\n"
		 "user.lyb.location=gs://b/2020/09/03/922d6e\n"},
		{V3 "/snow", 1,
		 "user.lyb.uri=lyb://" V3 "/snow\n"
		 "user.lyb.owner=group:artist-metadata\n"
		 "user.lyb.version=922d6e\n"
		 "user.lyb.location=snow://a/dominant_genres/922d6e\n"
		 "user.lyb.export=file:///srv/export/922d6e\n"},
		{V3 "/gs/a", 1,
		 "user.lyb.uri=lyb://" V3 "/gs/a\n"
		 "user.lyb.owner=group:artist-metadata\n"
		 "user.lyb.version=922d6e\n"},
		{V3 "/gs/part-1.avro", 1,
		 "user.lyb.uri=lyb://" V3 "/gs/part-1.avro\n"
		 "user.lyb.owner=group:artist-metadata\n"
		 "user.lyb.version=922d6e\n"
		 "user.lyb.location=gs://b/2020/09/03/922d6e/part-1.avro\n"
		 "user.lyb.rows=6\nuser.lyb.size=200\n"
		 "user.lyb.crc32c=AAAAAA==\n"},
		/* a version's attributes only for who may read the data,
		 * the DataSet's and its dates' for everyone */
		{V3 "/gs/part-1.avro", 0, ""},
		{V3 "/gs/a/b/c.avro", 0, ""},
		{V3, 0, ""},
		{V3 "/.lyb/upstream/" AR, 0, ""},
		{DG "/2020-09-03", 0,
		 "user.lyb.uri=lyb://" DG "/2020-09-03\n"
		 "user.lyb.owner=group:artist-metadata\n"},
		{DG, 0,
		 "user.lyb.uri=lyb://" DG "\n"
		 "user.lyb.owner=group:artist-metadata\n"
		 "user.lyb.freshness=on time: 2020-09-03 was delivered at "
		 "2020-09-03 07:30 UTC, deadline 08:00 UTC\n"},
		{V3 "/gs/a/b/c.avro", 1,
		 "user.lyb.uri=lyb://" V3 "/gs/a/b/c.avro\n"
		 "user.lyb.owner=group:artist-metadata\n"
		 "user.lyb.version=922d6e\n"
		 "user.lyb.location=gs://b/2020/09/03/922d6e/a/b/c.avro\n"
		 "user.lyb.size=100\n"},
		{V3 "/.lyb/upstream/" AR, 1,
		 "user.lyb.uri=lyb://" V3 "\n"
		 "user.lyb.owner=group:artist-metadata\n"
		 "user.lyb.version=922d6e\n"},
	};
	struct lyb_fs_entry e;
	struct listing l;
	size_t i;

	for (i = 0; i < sizeof(cases_x) / sizeof(*cases_x); i++) {
		memset(&l, 0, sizeof(l));
		CHECK_RC(lyb_fs_resolve(snap, cases_x[i].path, &e), 0);
		CHECK_RC(lyb_fs_xattrs(&e, cases_x[i].digests, on_xattr, &l),
			 0);
		if (strcmp(l.text, cases_x[i].want) != 0) {
			fprintf(stderr, "xattrs \"%s\" (%d):\n%s--- want:\n%s",
				cases_x[i].path, cases_x[i].digests, l.text,
				cases_x[i].want);
			check_failures++;
		}
	}
	CHECK_RC(lyb_fs_resolve(snap, V3 "/gs/part-1.avro", &e), 0);
	CHECK(lyb_fs_xattrs_gated(&e));
	CHECK_RC(lyb_fs_resolve(snap, V3, &e), 0);
	CHECK(lyb_fs_xattrs_gated(&e));
	CHECK_RC(lyb_fs_resolve(snap, DG "/2020-09-03", &e), 0);
	CHECK(!lyb_fs_xattrs_gated(&e));
	CHECK_RC(lyb_fs_resolve(snap, DG, &e), 0);
	CHECK(!lyb_fs_xattrs_gated(&e));
	CHECK(lyb_fs_xattr_is_digest("user.lyb.crc32c"));
	CHECK(lyb_fs_xattr_is_digest("user.lyb.md5"));
	CHECK(!lyb_fs_xattr_is_digest("user.lyb.size"));
	CHECK(!lyb_fs_xattr_is_digest("user.lyb.crc32c2"));
}

static void test_content(const struct lyb_snap *snap)
{
	const struct lyb_dataset *dg = lyb_snap_find(snap, DG);
	struct lyb_fs_entry e;
	char *data, *card, want[512];
	size_t len;

	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/status", &e), 0);
	CHECK_RC(lyb_fs_content(snap, &e, &data, &len), 0);
	CHECK_STR(data, "state: on-time\n"
			"slo: daily by 08:00 UTC\n"
			"expected: 2020-09-03\n"
			"deadline: 2020-09-03T08:00:00Z\n"
			"delivered: 2020-09-03T07:30:00Z\n"
			"late_by_seconds: 0\n"
			"summary: on time: 2020-09-03 was delivered at "
			"2020-09-03 07:30 UTC, deadline 08:00 UTC\n");
	CHECK(len == strlen(data) && e.size == len);
	free(data);

	CHECK_RC(lyb_fs_resolve(snap, "a.B/.lyb/status", &e), 0);
	CHECK_RC(lyb_fs_content(snap, &e, &data, &len), 0);
	CHECK_STR(data, "state: no-slo\nsummary: no SLO defined\n");
	CHECK(e.size == len);
	free(data);

	/* the DataSet's schema and a newline */
	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/schema.avsc", &e), 0);
	CHECK_RC(lyb_fs_content(snap, &e, &data, &len), 0);
	snprintf(want, sizeof(want), "%s\n", dg->schema);
	CHECK_STR(data, want);
	CHECK(e.size == len && len == strlen(dg->schema) + 1);
	free(data);

	/* info.json is the card, sized exactly */
	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/info.json", &e), 0);
	CHECK_RC(lyb_fs_content(snap, &e, &data, &len), 0);
	CHECK_RC(lyb_dataset_card(snap, dg, &card), 0);
	CHECK_STR(data, card);
	CHECK(e.size == len && len == strlen(card));
	free(card);
	free(data);
	CHECK_RC(lyb_fs_resolve(snap, V3 "/.lyb/info.json", &e), 0);
	CHECK_RC(lyb_fs_content(snap, &e, &data, &len), 0);
	CHECK_RC(lyb_version_record(dg, e.v, &card), 0);
	CHECK_STR(data, card);
	CHECK(e.size == len);
	free(card);
	free(data);

	CHECK_RC(lyb_fs_resolve(snap, ".lyb/metrics", &e), 0);
	CHECK_RC(lyb_fs_content(snap, &e, &data, &len), 0);
	CHECK(len == strlen(data) && len > 0);
	free(data);

	/* access is rendered per caller by the mount; not files: EINVAL */
	CHECK_RC(lyb_fs_resolve(snap, DG "/.lyb/access", &e), 0);
	CHECK_RC(lyb_fs_content(snap, &e, &data, &len), -EINVAL);
	CHECK_RC(lyb_fs_resolve(snap, DG, &e), 0);
	CHECK_RC(lyb_fs_content(snap, &e, &data, &len), -EINVAL);
	CHECK_RC(lyb_fs_resolve(snap, V3 "/gs/part-1.avro", &e), 0);
	CHECK_RC(lyb_fs_content(snap, &e, &data, &len), -EINVAL);
}

int main(void)
{
	const struct lyb_snap *snap;

	/* the fixture's objects are nowhere: the -EIO cases log */
	lyb_log_set_level((enum lyb_log_level)(LYB_LOG_ERR - 1));
	setenv("LYB_NOW", "2020-09-03T09:00:00Z", 1);
	snap = fixture_snapshot();
	test_resolve(snap);
	test_entries(snap);
	test_readdir(snap);
	test_xattrs(snap);
	test_content(snap);
	return check_failures ? 1 : 0;
}
