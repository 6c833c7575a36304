// SPDX-License-Identifier: Apache-2.0
/*
 * test_fs.c - the tree lybfs shows (fs.c), over the in-memory snapshot of
 * snap_fixture.h, without FUSE: what every kind of path resolves to (kind,
 * mode, size, link target, immutability, whether the ACL gates it), the
 * paths that do not exist, what each directory lists, the extended
 * attributes with and without digests, the generated files' contents,
 * and open files (lyb_fs_open()): what each kind of entry opens as, what
 * a failure to open or a short read answers. The fixture's objects live
 * nowhere, so what needs their bytes answers -EIO; the open files' tests
 * add a second snapshot whose objects are files in a temporary directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avro_file.h"
#include "catalog_impl.h"
#include "check.h"
#include "lyb/catalog.h"
#include "lyb/digest.h"
#include "lyb/fs.h"
#include "lyb/log.h"
#include "lyb/store.h"
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
	int immutable;	  /* in a version's tree: the mount never has the
			   * kernel drop what it cached of it */
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

/* --- open files --- */

/*
 * The second snapshot: DataSet t.Open, one date, two versions.
 *   aaaaaa: gs/a.avro (pinned to its generation: the block cache's),
 *           snow/d.json.gz (not pinned: read straight from the store)
 *   bbbbbb: gs/missing.avro (no such file), snow/x.gz (outside file_roots)
 */
#define TO "t.Open/2020-09-03/aaaaaa"
#define TB "t.Open/2020-09-03/bbbbbb"
#define TO_JSON "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n"

static char tmp[64];
static struct avro_file obj_a;
static const char obj_d[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static void put_file(const char *sub, const void *data, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, sub);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

static struct lyb_snap *open_snapshot(void)
{
	static struct lyb_snap snap;
	static struct lyb_dataset *ds[1];
	char doc[4096], err[512], path[128], ca[9], cd[9];
	struct stat st;

	snprintf(tmp, sizeof(tmp), "/tmp/test_fs.XXXXXX");
	if (!mkdtemp(tmp))
		abort();
	snprintf(path, sizeof(path), "%s/gs", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/snow", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/gs:%s/snow", tmp, tmp);
	if (lyb_store_file_confine(path, NULL) != 0)
		abort();
	avro_header(&obj_a, AVRO_LONGS, NULL);
	avro_block_longs(&obj_a, 0, 3);
	put_file("gs/a.avro", obj_a.b, obj_a.len);
	put_file("snow/d.json.gz", obj_d, sizeof(obj_d) - 1);
	snprintf(path, sizeof(path), "%s/gs/a.avro", tmp);
	if (stat(path, &st) != 0)
		abort();
	lyb_crc32c_to_b64(lyb_crc32c_update(0, obj_a.b, obj_a.len), ca);
	lyb_crc32c_to_b64(lyb_crc32c_update(0, obj_d, sizeof(obj_d) - 1), cd);
	snprintf(
		doc, sizeof(doc),
		"{\"lybrary\": 1, \"name\": \"t.Open\", \"owner\": {\"team\":"
		" \"group:t\"}, \"created\": \"2020-01-01T00:00:00Z\","
		" \"versions\": [{\"date\": \"2020-09-03\", \"id\": \"aaaaaa\","
		" \"digest\": \"aaaaaa%058d\", \"published\":"
		" \"2020-09-03T07:00:00Z\", \"bytes\": %zu, \"locations\":"
		" {\"gs\": {\"url\": \"file://%s/gs\", \"format\": \"avro\","
		" \"objects\": [{\"name\": \"a.avro\", \"size\": %zu,"
		" \"generation\": %lld, \"crc32c\": \"%s\"}]},"
		" \"snow\": {\"table\": \"snow://a/b/c\", \"url\":"
		" \"file://%s/snow\", \"format\": \"json\", \"compression\":"
		" \"gzip\", \"objects\": [{\"name\": \"d.json.gz\", \"size\":"
		" %zu, \"crc32c\": \"%s\"}]}}},"
		" {\"date\": \"2020-09-03\", \"id\": \"bbbbbb\", \"digest\":"
		" \"bbbbbb%058d\", \"published\": \"2020-09-03T06:00:00Z\","
		" \"bytes\": 10, \"locations\": {\"gs\": {\"url\":"
		" \"file://%s/gs\", \"format\": \"avro\", \"objects\":"
		" [{\"name\": \"missing.avro\", \"size\": 10, \"crc32c\":"
		" \"AAAAAA==\"}]}, \"snow\": {\"table\": \"snow://a/b/d\","
		" \"url\": \"file://%s/out\", \"format\": \"json\","
		" \"compression\": \"gzip\", \"objects\": [{\"name\": \"x.gz\","
		" \"size\": 5, \"crc32c\": \"AAAAAA==\"}]}}}]}",
		0, obj_a.len, tmp, obj_a.len,
		(long long)st.st_mtim.tv_sec * 1000000000ll +
			st.st_mtim.tv_nsec,
		ca, tmp, sizeof(obj_d) - 1, cd, 0, tmp, tmp);
	if (lyb_dataset_parse(doc, strlen(doc), &ds[0], err, sizeof(err))) {
		fprintf(stderr, "open test document: %s\n%s\n", err, doc);
		abort();
	}
	fixture_snap_of(&snap, ds, 1);
	return &snap;
}

static int renders; /* calls of render_access() */

/* The mount's part: a file rendered for its caller. */
static int render_access(void *arg, const struct lyb_fs_entry *e, char **data,
			 size_t *len)
{
	renders++;
	if (arg)
		return *(const int *)arg;
	*data = strdup(e->ds->name);
	*len = strlen(e->ds->name);
	return *data ? 0 : -ENOMEM;
}

/* What an open file's bytes must be. */
enum { GEN = 1, RENDERED, OBJ_A, OBJ_D, JSON };

struct open_case {
	int fixture; /* 1: the fixture's snapshot, 0: the open test's */
	const char *path;
	int openable; /* lyb_fs_openable() */
	int rc;	      /* lyb_fs_open() */
	int bytes;    /* GEN: lyb_fs_content()'s; ... */
	int cache_id; /* lyb_fs_file_cache_id() */
	int immutable;
};

static const struct open_case open_cases[] = {
	/* directories and links do not open */
	{1, "", -EISDIR, -EISDIR, 0, 0, 0},
	{1, DG, -EISDIR, -EISDIR, 0, 0, 0},
	{1, DG "/2020-09-03", -EISDIR, -EISDIR, 0, 0, 0},
	{1, V3, -EISDIR, -EISDIR, 0, 0, 1},
	{1, V3 "/gs/a", -EISDIR, -EISDIR, 0, 0, 1},
	{1, DG "/latest", -EINVAL, -EINVAL, 0, 0, 0},
	{1, DG "/2020-09-03/latest", -EINVAL, -EINVAL, 0, 0, 0},
	{1, DG "/.lyb/upstream/" AR, -EINVAL, -EINVAL, 0, 0, 0},
	/* generated files: their bytes, generated at open */
	{1, ".lyb/metrics", 0, 0, GEN, -ENOENT, 0},
	{1, ".lyb/health", 0, 0, GEN, -ENOENT, 0},
	{1, DG "/.lyb/status", 0, 0, GEN, -ENOENT, 0},
	{1, DG "/.lyb/info.json", 0, 0, GEN, -ENOENT, 0},
	{1, DG "/.lyb/schema.avsc", 0, 0, GEN, -ENOENT, 0},
	{1, V3 "/.lyb/info.json", 0, 0, GEN, -ENOENT, 1},
	{1, DG "/.lyb/access", 0, 0, RENDERED, -ENOENT, 0},
	/* objects the catalog cannot vouch for, or whose store fails: EIO */
	{1, V3 "/gs/a/b/c.avro", 0, -EIO, 0, 0, 1},
	{1, V3 "/snow/data_0_0_0.json.gz", 0, -EIO, 0, 0, 1},
	{0, TB "/gs/missing.avro", 0, -EIO, 0, 0, 1},
	/* but a denial is the store's to say */
	{0, TB "/snow/x.gz", 0, -EACCES, 0, 0, 1},
	/* objects: a reader, pinned (cached) or not */
	{0, TO "/gs/a.avro", 0, 0, OBJ_A, 0, 1},
	{0, TO "/snow/d.json.gz", 0, 0, OBJ_D, -ENOENT, 1},
	/* views */
	{0, TO "/data.jsonl", 0, 0, JSON, -ENOENT, 1},
	{0, TO "/data.avro.json", 0, 0, JSON, -ENOENT, 1},
	{0, TO "/.lyb/info.json", 0, 0, GEN, -ENOENT, 1},
	{0, "t.Open/.lyb/status", 0, 0, GEN, -ENOENT, 0},
};

/* Checks @f reads as @want (@len bytes), whole and in pieces. */
static void check_bytes(const char *path, struct lyb_fs_open_file *f,
			const char *want, size_t len)
{
	size_t got = 12345, off, step;
	char *buf = malloc(len + 10);

	if (!buf)
		abort();
	CHECK_RC(lyb_fs_file_size(f), len);
	CHECK_RC(lyb_fs_read(f, buf, len + 10, 0, &got), 0);
	if (got != len || memcmp(buf, want, len) != 0) {
		fprintf(stderr, "read \"%s\": %zu bytes, want %zu\n", path, got,
			len);
		check_failures++;
	}
	for (step = 1; step < 9; step += 3)
		for (off = 0; off < len; off += step) {
			CHECK_RC(lyb_fs_read(f, buf, step, off, &got), 0);
			CHECK_RC(got, off + step <= len ? step : len - off);
			CHECK(memcmp(buf, want + off, got) == 0);
		}
	/* at and past the end: nothing, and no error */
	CHECK_RC(lyb_fs_read(f, buf, 10, len, &got), 0);
	CHECK_RC(got, 0);
	CHECK_RC(lyb_fs_read(f, buf, 10, UINT64_MAX, &got), 0);
	CHECK_RC(got, 0);
	free(buf);
}

static void test_open(const struct lyb_snap *fixture,
		      const struct lyb_snap *snap)
{
	unsigned char id[LYB_CACHE_ID_LEN];
	const struct open_case *c;
	const struct lyb_snap *s;
	struct lyb_fs_open_file *f;
	struct lyb_fs_entry e;
	char *data = NULL;
	size_t i, len = 0;
	int rc, was;

	for (i = 0; i < sizeof(open_cases) / sizeof(*open_cases); i++) {
		c = &open_cases[i];
		s = c->fixture ? fixture : snap;
		if (lyb_fs_resolve(s, c->path, &e) != 0) {
			fprintf(stderr, "open \"%s\": does not resolve\n",
				c->path);
			check_failures++;
			lyb_fs_entry_release(&e);
			continue;
		}
		CHECK_RC(e.immutable, c->immutable);
		CHECK_RC(lyb_fs_openable(&e), c->openable);
		was = renders;
		f = (void *)&f; /* must be set to NULL on failure */
		rc = lyb_fs_open(s, &e, render_access, NULL, &f);
		if (rc != c->rc) {
			fprintf(stderr, "open \"%s\": %d, want %d\n", c->path,
				rc, c->rc);
			check_failures++;
		}
		/* only the per-caller file asks the caller */
		CHECK_RC(renders - was, c->bytes == RENDERED);
		if (rc) {
			CHECK(f == NULL);
			lyb_fs_entry_release(&e);
			continue;
		}
		CHECK_RC(lyb_fs_file_cache_id(f, id), c->cache_id);
		switch (c->bytes) {
		case GEN:
			CHECK_RC(lyb_fs_content(s, &e, &data, &len), 0);
			check_bytes(c->path, f, data, len);
			free(data);
			break;
		case RENDERED:
			check_bytes(c->path, f, e.ds->name, strlen(e.ds->name));
			break;
		case OBJ_A:
			check_bytes(c->path, f, (const char *)obj_a.b,
				    obj_a.len);
			break;
		case OBJ_D:
			check_bytes(c->path, f, obj_d, sizeof(obj_d) - 1);
			break;
		case JSON:
			check_bytes(c->path, f, TO_JSON, strlen(TO_JSON));
			break;
		}
		lyb_fs_file_close(f);
		lyb_fs_entry_release(&e);
	}
	lyb_fs_file_close(NULL);

	/* without a renderer, or when it fails: the per-caller file fails */
	CHECK_RC(lyb_fs_resolve(fixture, DG "/.lyb/access", &e), 0);
	CHECK_RC(lyb_fs_open(fixture, &e, NULL, NULL, &f), -EINVAL);
	rc = -ENFILE;
	CHECK_RC(lyb_fs_open(fixture, &e, render_access, &rc, &f), -ENFILE);
	CHECK(f == NULL);
}

/*
 * The catalog promised more bytes than the store has (the file shrank
 * after the open): a read that comes up short is -EIO, never fewer bytes;
 * what the store still has reads.
 */
static void test_short_read(const struct lyb_snap *snap)
{
	char path[128], buf[64];
	struct lyb_fs_open_file *f = NULL;
	struct lyb_fs_entry e;
	size_t got = 12345, len = sizeof(obj_d) - 1;

	CHECK_RC(lyb_fs_resolve(snap, TO "/snow/d.json.gz", &e), 0);
	CHECK_RC(lyb_fs_open(snap, &e, NULL, NULL, &f), 0);
	lyb_fs_entry_release(&e);
	if (!f)
		return;
	snprintf(path, sizeof(path), "%s/snow/d.json.gz", tmp);
	CHECK_RC(truncate(path, (off_t)len - 4), 0);
	CHECK_RC(lyb_fs_read(f, buf, sizeof(buf), 0, &got), -EIO);
	CHECK_RC(got, 0);
	CHECK_RC(lyb_fs_read(f, buf, 4, len - 4, &got), -EIO);
	CHECK_RC(lyb_fs_read(f, buf, len - 4, 0, &got), 0);
	CHECK_RC(got, len - 4);
	CHECK(memcmp(buf, obj_d, got) == 0);
	lyb_fs_file_close(f);
	put_file("snow/d.json.gz", obj_d, len);
}

static void cleanup(void)
{
	static const char *const files[] = {"gs/a.avro", "snow/d.json.gz", "gs",
					    "snow", ""};
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, files[i]);
		remove(path);
	}
}

int main(void)
{
	const struct lyb_snap *snap, *open_snap;

	/* the fixture's objects are nowhere: the -EIO cases log */
	lyb_log_set_level((enum lyb_log_level)(LYB_LOG_ERR - 1));
	setenv("LYB_NOW", "2020-09-03T09:00:00Z", 1);
	snap = fixture_snapshot();
	test_resolve(snap);
	test_entries(snap);
	test_readdir(snap);
	test_xattrs(snap);
	test_content(snap);
	open_snap = open_snapshot();
	test_open(snap, open_snap);
	test_short_read(open_snap);
	cleanup();
	return check_failures ? 1 : 0;
}
