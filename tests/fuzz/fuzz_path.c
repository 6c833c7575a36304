// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_path.c - paths from the kernel: any bytes (split at NUL into
 * several paths) resolved against a small in-memory snapshot, on their
 * own and under a DataSet, date, version and location; what resolves is
 * listed, its children resolved, its xattrs and contents rendered (a
 * generated file through an open file, as the mount reads it). The name
 * validators see every path too.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "catalog_impl.h"
#include "fuzz.h"
#include "lyb/catalog.h"
#include "lyb/export.h"
#include "lyb/fs.h"
#include "lyb/store.h"
#include "snap_fixture.h"

static const char *const prefixes[] = {
	"",
	"artist-metadata.DominantGenres/",
	"artist-metadata.DominantGenres/2020-09-03/",
	"artist-metadata.DominantGenres/2020-09-03/922d6e/",
	"artist-metadata.DominantGenres/2020-09-03/922d6e/gs/",
	"artist-metadata.DominantGenres/2020-09-03/922d6e/gs/a/",
	"artist-metadata.DominantGenres/.lyb/",
};

struct walk {
	const struct lyb_snap *snap;
	const char *dir;
	int depth;
};

static void visit(const struct lyb_snap *snap, const char *path, int depth);

static int on_dirent(void *arg, const char *name, mode_t mode)
{
	struct walk *w = arg;
	char child[LYB_FS_PATH_MAX + 512];

	snprintf(child, sizeof(child), "%s%s%s", w->dir, *w->dir ? "/" : "",
		 name);
	visit(w->snap, child, w->depth + 1);
	return 0;
}

static int on_xattr(void *arg, const char *name, const char *value)
{
	size_t *n = arg;

	*n += strlen(name) + strlen(value);
	return 0;
}

static void visit(const struct lyb_snap *snap, const char *path, int depth)
{
	struct lyb_fs_entry e;
	struct walk w = {snap, path, depth};
	struct lyb_fs_open_file *f;
	char buf[512];
	size_t len, n = 0;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = lyb_fs_resolve(snap, path, &e);
	if (rc == 0 && strlen(path) > LYB_FS_PATH_MAX) {
		fprintf(stderr, "fuzz_path: a path of %zu bytes resolved\n",
			strlen(path));
		abort();
	}
	if (rc != 0)
		return;
	lyb_fs_xattrs(&e, 1, on_xattr, &n);
	/* generated files only: objects and views would reach a store */
	if (lyb_fs_openable(&e) == 0 && e.kind == LYB_FS_FILE &&
	    lyb_fs_open(snap, &e, NULL, NULL, &f) == 0) {
		lyb_fs_read(f, buf, sizeof(buf), lyb_fs_file_size(f) / 2, &len);
		lyb_fs_file_close(f);
	}
	/* one level of children: enough to reach every kind of node */
	if ((e.mode & S_IFMT) == S_IFDIR && depth < 1)
		lyb_fs_readdir(snap, &e, on_dirent, &w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct lyb_snap *snap;
	char *text, *p, *end, *path;
	enum lyb_export_format format;
	size_t i, plen, max;
	int gzip;

	fuzz_quiet();
	snap = fixture_snapshot();
	text = fuzz_strndup(data, size);
	if (!text)
		return 0;
	max = size + 128;
	path = malloc(max);
	if (!path)
		goto free_text;
	for (p = text, end = text + size; p <= end; p += strlen(p) + 1) {
		lyb_name_valid(p);
		lyb_date_valid(p);
		lyb_id_valid(p);
		lyb_principal_valid(p);
		lyb_store_key_valid(p);
		lyb_export_detect(p, &format, &gzip);
		for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
			plen = strlen(prefixes[i]);
			memcpy(path, prefixes[i], plen);
			memcpy(path + plen, p, strlen(p) + 1);
			visit(snap, path, 0);
		}
	}
	free(path);
free_text:
	free(text);
	return 0;
}
