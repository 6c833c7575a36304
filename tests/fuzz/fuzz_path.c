// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_path.c - paths from the kernel: any bytes (split at NUL into
 * several paths) resolved against a small in-memory snapshot, on their
 * own and under a DataSet, date, version and location; what resolves is
 * listed, its children resolved, its xattrs and contents rendered. The
 * name validators see every path too.
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

static const char *const docs[] = {
	"{\"lybrary\": 1, \"name\": \"artist-metadata.DominantGenres\","
	" \"owner\": {\"team\": \"group:artist-metadata\"},"
	" \"slo\": {\"frequency\": \"daily\", \"deadline\": \"08:00\"},"
	" \"schema\": {\"type\": \"record\", \"name\": \"G\", \"fields\":"
	" [{\"name\": \"id\", \"type\": \"string\"}]},"
	" \"readers\": [\"group:analysts\"],"
	" \"upstream\": [\"artist-metadata.Artists\"],"
	" \"created\": \"2020-09-01T00:00:00Z\", \"versions\": ["
	" {\"date\": \"2020-09-03\", \"id\": \"922d6e\", \"digest\": "
	"\"922d6e0000000000000000000000000000000000000000000000000000000001\","
	" \"published\": \"2020-09-03T07:30:00Z\", \"rows\": 10, \"bytes\": 300,"
	" \"upstream\": [{\"dataset\": \"artist-metadata.Artists\","
	" \"date\": \"2020-09-03\", \"version\": \"abcdef\"}],"
	" \"locations\": {\"gs\": {\"url\": \"gs://b/2020/09/03/922d6e\","
	" \"format\": \"avro\", \"objects\": ["
	" {\"name\": \"part-1.avro\", \"size\": 200, \"generation\": 7,"
	" \"crc32c\": \"AAAAAA==\", \"rows\": 6},"
	" {\"name\": \"a/b/c.avro\", \"size\": 100, \"generation\": 5}]},"
	" \"snow\": {\"table\": \"snow://a/dominant_genres/922d6e\","
	" \"url\": \"file:///srv/export/922d6e\", \"format\": \"json\","
	" \"compression\": \"gzip\", \"objects\": [{\"name\":"
	" \"data_0_0_0.json.gz\", \"size\": 50, \"generation\": 1}]}}},"
	" {\"date\": \"2020-09-01\", \"id\": \"912ec8\", \"digest\": "
	"\"912ec80000000000000000000000000000000000000000000000000000000002\","
	" \"published\": \"2020-09-01T07:00:00Z\", \"bytes\": 1,"
	" \"locations\": {\"gs\": {\"url\": \"gs://b/2020/09/01/912ec8\","
	" \"format\": \"avro\", \"objects\": [{\"name\": \"p.avro\","
	" \"size\": 1}]}}}]}",
	"{\"lybrary\": 1, \"name\": \"artist-metadata.Artists\","
	" \"owner\": {\"team\": \"group:artist-metadata\"},"
	" \"created\": \"2020-08-01T00:00:00Z\"}",
	"{\"lybrary\": 1, \"name\": \"a.B\", \"owner\": {\"team\": \"group:t\"},"
	" \"created\": \"2024-02-29T23:59:59Z\"}",
};

static const char *const prefixes[] = {
	"",
	"artist-metadata.DominantGenres/",
	"artist-metadata.DominantGenres/2020-09-03/",
	"artist-metadata.DominantGenres/2020-09-03/922d6e/",
	"artist-metadata.DominantGenres/2020-09-03/922d6e/gs/",
	"artist-metadata.DominantGenres/2020-09-03/922d6e/gs/a/",
	"artist-metadata.DominantGenres/.lyb/",
};

static int cmp_ds(const void *a, const void *b)
{
	return strcmp((*(struct lyb_dataset *const *)a)->name,
		      (*(struct lyb_dataset *const *)b)->name);
}

/* The snapshot, built once, sorted by name as lyb_snap_find() expects. */
static struct lyb_snap *snapshot(void)
{
	static struct lyb_snap snap;
	static struct lyb_dataset *ds[sizeof(docs) / sizeof(docs[0])];
	char err[512];
	size_t i;

	if (snap.datasets)
		return &snap;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		if (lyb_dataset_parse(docs[i], strlen(docs[i]), &ds[i], err,
				      sizeof(err))) {
			fprintf(stderr, "fuzz_path: document %zu: %s\n", i,
				err);
			abort();
		}
	}
	qsort(ds, i, sizeof(ds[0]), cmp_ds);
	atomic_init(&snap.refs, 1);
	snap.serial = 1;
	snap.ndatasets = i;
	snap.datasets = ds;
	return &snap;
}

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
	char *data;
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
	if (e.kind == LYB_FS_FILE && lyb_fs_content(snap, &e, &data, &len) == 0)
		free(data);
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
	snap = snapshot();
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
