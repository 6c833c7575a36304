// SPDX-License-Identifier: Apache-2.0
/*
 * gen_catalog.c - writes a synthetic catalog for bench/bench-catalog.sh:
 * NDATASETS DataSets of NVERSIONS versions each, PER_DAY versions a day
 * (1 daily, 24 hourly), 1 to 4 objects per version with sizes, checksums
 * and block CRC32Cs, through the catalog's own writers: format 2 by
 * lyb_catalog_import() (then one checkpoint), format 1 by
 * lyb_dataset_format() and the store, exactly what lyb writes.
 *
 *   lyb-gen-catalog [--format 1|2] [--jobs N] URL NDATASETS NVERSIONS [PER_DAY]
 *
 * Deterministic: the same arguments give the same catalog.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog_impl.h"
#include "lyb/digest.h"
#include "lyb/log.h"
#include "lyb/store.h"

#define DAY 86400
#define START 1420070400 /* 2015-01-01T00:00:00Z */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void date_of(int64_t t, char out[LYB_DATE_LEN + 1])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, LYB_DATE_LEN + 1, "%Y-%m-%d", &tm);
}

static int cmp_digest_idx(const void *a, const void *b, void *arg)
{
	const struct lyb_version *v = arg;

	return strcmp(v[*(const size_t *)a].digest,
		      v[*(const size_t *)b].digest);
}

static size_t lcp(const char *a, const char *b)
{
	size_t n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

/* Unique ids: the shortest even-length prefix, from 6, no neighbour shares */
static int assign_ids(struct lyb_version *v, size_t n)
{
	size_t *ix = malloc((n + 1) * sizeof(*ix)), i;

	if (!ix)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), cmp_digest_idx, v);
	for (i = 0; i < n; i++) {
		size_t need = 0, len;

		if (i > 0)
			need = lcp(v[ix[i]].digest, v[ix[i - 1]].digest) + 1;
		if (i + 1 < n) {
			len = lcp(v[ix[i]].digest, v[ix[i + 1]].digest) + 1;
			if (len > need)
				need = len;
		}
		len = need < LYB_ID_MIN ? LYB_ID_MIN : (need + 1) & ~(size_t)1;
		memcpy(v[ix[i]].id, v[ix[i]].digest, len);
		v[ix[i]].id[len] = '\0';
	}
	free(ix);
	return 0;
}

static int make_dataset(size_t k, size_t nversions, unsigned per_day,
			struct lyb_dataset **out)
{
	struct lyb_dataset *ds = calloc(1, sizeof(*ds));
	char name[64], buf[256];
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (k * 0x100000001b3ull);
	size_t i, j;
	int rc = -ENOMEM;

	if (!ds)
		return -ENOMEM;
	atomic_init(&ds->refs, 1);
	snprintf(name, sizeof(name), "team%03zu.Set%05zu", k % 100, k);
	snprintf(buf, sizeof(buf), "group:team%03zu", k % 100);
	ds->name = strdup(name);
	ds->owner = strdup(buf);
	ds->description = strdup("A synthetic DataSet of the catalog "
				 "benchmark, one of many like it.");
	ds->slo_frequency = strdup(per_day > 1 ? "hourly" : "daily");
	ds->slo_deadline = strdup("08:00");
	ds->schema = strdup("{\"type\":\"record\",\"name\":\"Row\",\"fields\":"
			    "[{\"name\":\"id\",\"type\":\"string\"},{\"name\":"
			    "\"n\",\"type\":\"long\"}]}");
	ds->readers = calloc(3, sizeof(char *));
	ds->created = START;
	ds->versions = calloc(nversions + 1, sizeof(*ds->versions));
	if (!ds->name || !ds->owner || !ds->description || !ds->readers ||
	    !ds->versions || !ds->slo_frequency || !ds->slo_deadline ||
	    !ds->schema)
		goto out;
	snprintf(buf, sizeof(buf), "group:readers%03zu", (k + 1) % 100);
	ds->readers[0] = strdup(buf);
	ds->readers[1] = strdup("domain:thecompany.com");
	ds->nreaders = 2;
	for (i = 0; i < nversions; i++) {
		struct lyb_version *v = &ds->versions[i];
		struct lyb_location *loc;
		int64_t t = START + (int64_t)(i / per_day) * DAY +
			    (per_day > 1 ? (int64_t)(i % per_day) * 3600
					 : 7 * 3600);
		size_t nobj = 1 + rnd(&seed) % 4;

		ds->nversions = i + 1;
		date_of(t, v->date);
		v->published = t + 3000;
		v->producer = strdup("user:pipeline@thecompany.com");
		v->locations = calloc(1, sizeof(*v->locations));
		if (!v->producer || !v->locations)
			goto out;
		v->nlocations = 1;
		loc = &v->locations[0];
		loc->kind = LYB_LOC_GS;
		snprintf(buf, sizeof(buf), "gs://data-team%03zu/%s/%s/%zu",
			 k % 100, name, v->date, i);
		loc->url = strdup(buf);
		loc->format = strdup("avro");
		loc->objects = calloc(nobj, sizeof(*loc->objects));
		if (!loc->url || !loc->format || !loc->objects)
			goto out;
		v->rows = 0;
		for (j = 0; j < nobj; j++) {
			struct lyb_object *o = &loc->objects[j];
			uint64_t nb, b;
			unsigned char md5[16];

			snprintf(buf, sizeof(buf), "part-%05zu.avro", j);
			o->name = strdup(buf);
			o->size = (1u << 20) + rnd(&seed) % (3u << 20);
			o->generation = 1600000000000000 +
					(int64_t)(rnd(&seed) % 1000000);
			o->rows = (int64_t)(o->size / 100);
			lyb_crc32c_to_b64((uint32_t)rnd(&seed), o->crc32c);
			for (b = 0; b < 16; b++)
				md5[b] = (unsigned char)rnd(&seed);
			lyb_base64_encode(md5, 16, o->md5);
			nb = lyb_object_nblocks(o->size);
			o->block_crc32c = malloc(nb * sizeof(uint32_t));
			if (!o->name || !o->block_crc32c)
				goto out;
			for (b = 0; b < nb; b++)
				o->block_crc32c[b] = (uint32_t)rnd(&seed);
			loc->nobjects = j + 1;
			v->rows += o->rows;
			v->bytes += o->size;
		}
		rc = lyb_version_digest(v, v->digest);
		if (rc)
			goto out;
	}
	rc = assign_ids(ds->versions, ds->nversions);
	if (rc == 0)
		rc = lyb_dataset_index(ds);
out:
	if (rc) {
		lyb_dataset_unref(ds);
		return rc;
	}
	*out = ds;
	return 0;
}

/* Format 1: the document, as lyb writes it. */
static int write_f1(struct lyb_catalog *cat, const char *url,
		    const struct lyb_dataset *ds)
{
	struct lyb_store *st;
	char *prefix, *key, *text, rel[LYB_NAME_MAX + 32];
	int rc;

	(void)cat;
	rc = lyb_store_resolve(url, &st, &prefix);
	if (rc)
		return rc;
	rc = lyb_dataset_format(ds, &text);
	snprintf(rel, sizeof(rel), "datasets/%s.json", ds->name);
	key = lyb_store_key_join(prefix, rel);
	if (rc == 0)
		rc = key ? lyb_store_put(st, key, text, strlen(text), -1, NULL)
			 : -ENOMEM;
	if (rc == 0)
		free(text);
	free(key);
	free(prefix);
	lyb_store_unref(st);
	return rc;
}

static int run(const char *url, int format, size_t first, size_t step, size_t n,
	       size_t nversions, unsigned per_day)
{
	struct lyb_catalog *cat;
	char err[1024];
	size_t k;
	int rc;

	rc = lyb_catalog_open(url, format, &cat);
	if (rc)
		return rc;
	for (k = first; k < n && rc == 0; k += step) {
		struct lyb_dataset *ds;

		rc = make_dataset(k, nversions, per_day, &ds);
		if (rc)
			break;
		err[0] = '\0';
		rc = format == 2 ? lyb_catalog_import(cat, ds, err, sizeof(err))
				 : write_f1(cat, url, ds);
		if (rc == -EEXIST)
			rc = 0; /* made by an earlier, interrupted run */
		if (rc)
			fprintf(stderr, "lyb-gen-catalog: %s: %s\n", ds->name,
				err[0] ? err : strerror(-rc));
		lyb_dataset_unref(ds);
		if (first == 0 && k % 1000 == 0)
			fprintf(stderr, "lyb-gen-catalog: %zu/%zu\n", k, n);
	}
	lyb_catalog_close(cat);
	return rc;
}

int main(int argc, char **argv)
{
	struct lyb_catalog *cat;
	int format = 2, jobs = 1, i, rc = 0, status;
	unsigned per_day = 1;
	char err[1024] = "";
	size_t n, nv;

	while (argc > 2 && strncmp(argv[1], "--", 2) == 0) {
		if (strcmp(argv[1], "--format") == 0)
			format = strcmp(argv[2], "1") == 0 ? 1 : 2;
		else if (strcmp(argv[1], "--jobs") == 0)
			jobs = strtol(argv[2], NULL, 10) > 0
				       ? (int)strtol(argv[2], NULL, 10)
				       : 1;
		argc -= 2;
		argv += 2;
	}
	if (argc < 4) {
		fprintf(stderr,
			"usage: lyb-gen-catalog [--format 1|2] [--jobs N] "
			"URL NDATASETS NVERSIONS [PER_DAY]\n");
		return 2;
	}
	lyb_log_set_level(LYB_LOG_WARN);
	n = strtoul(argv[2], NULL, 10);
	nv = strtoul(argv[3], NULL, 10);
	if (argc > 4)
		per_day = (unsigned)strtoul(argv[4], NULL, 10);
	if (per_day == 0)
		per_day = 1;
	rc = lyb_catalog_open(argv[1], format, &cat); /* the marker, once */
	if (rc) {
		fprintf(stderr, "lyb-gen-catalog: %s: %s\n", argv[1],
			strerror(-rc));
		return 1;
	}
	lyb_catalog_close(cat);
	for (i = 0; i < jobs; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(run(argv[1], format, (size_t)i, (size_t)jobs, n,
				  nv, per_day)
				      ? 1
				      : 0);
		if (pid < 0)
			return 1;
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			rc = 1;
	if (rc == 0 && format == 2) {
		rc = lyb_catalog_open(argv[1], 0, &cat);
		if (rc == 0) {
			rc = lyb_catalog_checkpoint(cat, err, sizeof(err));
			lyb_catalog_close(cat);
		}
		if (rc)
			fprintf(stderr, "lyb-gen-catalog: checkpoint: %s\n",
				err[0] ? err : strerror(-rc));
	}
	return rc ? 1 : 0;
}
