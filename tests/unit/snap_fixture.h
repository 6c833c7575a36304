/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snap_fixture.h - a small catalog snapshot in memory, for tests that
 * need one without a store: three DataSets (one with an SLO, lineage, two
 * dates, a gs copy with a nested object and a snow export), parsed as the
 * catalog parses them. Shared by tests/unit/test_fs.c and
 * tests/fuzz/fuzz_path.c; test_fs.c asserts what each path resolves to,
 * so changing a document here means changing its tables.
 */
#ifndef LYB_TEST_SNAP_FIXTURE_H
#define LYB_TEST_SNAP_FIXTURE_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/catalog.h"

static const char *const fixture_docs[] = {
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

static int fixture_cmp_ds(const void *a, const void *b)
{
	return strcmp((*(struct lyb_dataset *const *)a)->name,
		      (*(struct lyb_dataset *const *)b)->name);
}

/*
 * Fills @snap with the @n DataSets of @ds (parsed, owned by the caller),
 * sorted by name as lyb_snap_find() expects.
 */
static void fixture_snap_of(struct lyb_snap *snap, struct lyb_dataset **ds,
			    size_t n)
{
	qsort(ds, n, sizeof(ds[0]), fixture_cmp_ds);
	memset(snap, 0, sizeof(*snap));
	atomic_init(&snap->refs, 1);
	snap->serial = 1;
	snap->ndatasets = n;
	snap->datasets = ds;
}

/* The snapshot of fixture_docs, built once. */
static struct lyb_snap *fixture_snapshot(void)
{
	static struct lyb_snap snap;
	static struct lyb_dataset
		*ds[sizeof(fixture_docs) / sizeof(fixture_docs[0])];
	char err[512];
	size_t i;

	if (snap.datasets)
		return &snap;
	for (i = 0; i < sizeof(fixture_docs) / sizeof(fixture_docs[0]); i++) {
		if (lyb_dataset_parse(fixture_docs[i], strlen(fixture_docs[i]),
				      &ds[i], err, sizeof(err))) {
			fprintf(stderr, "snap_fixture: document %zu: %s\n", i,
				err);
			abort();
		}
	}
	fixture_snap_of(&snap, ds, i);
	return &snap;
}

#endif
