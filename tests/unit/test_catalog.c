// SPDX-License-Identifier: Apache-2.0
/*
 * test_catalog.c - the catalog: names, documents (every file under
 * tests/data/catalog/valid must load and round-trip; every one under
 * invalid/ must be rejected with the message in its .err file), and a
 * file:// catalog under concurrent publishers.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog_impl.h"
#include "check.h"
#include "version_fixture.h"
#include "lyb/acl.h"
#include "lyb/buf.h"
#include "lyb/catalog.h"
#include "lyb/log.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	*len = (size_t)n;
	fclose(f);
	return buf;
}

static void test_names(void)
{
	CHECK(lyb_name_valid("artist-metadata.DominantGenres"));
	CHECK(lyb_name_valid("a.B"));
	CHECK(lyb_name_valid("a_1.b-2"));
	CHECK(!lyb_name_valid("nodot"));
	CHECK(!lyb_name_valid(".lyb"));
	CHECK(!lyb_name_valid("a."));
	CHECK(!lyb_name_valid("a.b.c"));
	CHECK(!lyb_name_valid(".."));
	CHECK(!lyb_name_valid("a/b.c"));
	CHECK(!lyb_name_valid("a b.c"));
	CHECK(!lyb_name_valid("a.b\n"));
	CHECK(!lyb_name_valid(""));

	CHECK(lyb_date_valid("2020-09-03"));
	CHECK(lyb_date_valid("2020-02-29"));
	CHECK(lyb_date_valid("2000-02-29"));
	CHECK(!lyb_date_valid("1900-02-29"));
	CHECK(!lyb_date_valid("2021-02-29"));
	CHECK(!lyb_date_valid("2020-02-30"));
	CHECK(!lyb_date_valid("2020-13-01"));
	CHECK(!lyb_date_valid("2020-00-10"));
	CHECK(!lyb_date_valid("2020-9-3"));
	CHECK(!lyb_date_valid("2020-09-03x"));

	CHECK(lyb_id_valid("912ec8"));
	CHECK(!lyb_id_valid("912ec"));
	CHECK(!lyb_id_valid("912EC8"));
	CHECK(!lyb_id_valid("912ecg"));

	CHECK(lyb_principal_valid("user:alice@thecompany.com"));
	CHECK(lyb_principal_valid("group:artist-metadata"));
	CHECK(lyb_principal_valid("domain:thecompany.com"));
	CHECK(!lyb_principal_valid("user:alice"));
	CHECK(!lyb_principal_valid("user:@x.com"));
	CHECK(!lyb_principal_valid("group:"));
	CHECK(!lyb_principal_valid("team:x"));
	CHECK(!lyb_principal_valid("group:a b"));
}

static void test_valid_documents(const char *dir)
{
	struct lyb_dataset *ds, *again;
	const struct lyb_version *v;
	const struct lyb_date *d;
	char path[4096], err[512], *text, *out, *out2;
	size_t len;

	snprintf(path, sizeof(path), "%s/catalog/valid/full.json", dir);
	text = slurp(path, &len);
	CHECK(text != NULL);
	CHECK_RC(lyb_dataset_parse(text, len, &ds, err, sizeof(err)), 0);
	free(text);
	CHECK_STR(ds->name, "artist-metadata.DominantGenres");
	CHECK_STR(ds->owner, "group:artist-metadata");
	CHECK_STR(ds->slo_deadline, "08:00");
	CHECK(ds->nreaders == 3 && ds->nupstream == 1);
	CHECK(ds->nversions == 3 && ds->ndates == 2);
	/* versions sort by date, then publish time */
	CHECK_STR(ds->versions[0].id, "912ec8");
	CHECK_STR(ds->versions[1].id, "a1b2c3");
	d = lyb_dataset_find_date(ds, "2020-09-03");
	CHECK(d && d->count == 2);
	CHECK_STR(d->latest->id, "922d6e");
	CHECK(lyb_dataset_latest_date(ds) == d);
	CHECK(lyb_dataset_find_date(ds, "2020-09-02") == NULL);
	v = lyb_dataset_find_version(ds, "2020-09-03", "922d6e");
	CHECK(v && v->rows == 10 && v->nlocations == 2);
	CHECK(lyb_dataset_find_version(ds, "2020-09-01", "922d6e") == NULL);
	CHECK(lyb_dataset_find_version(ds, NULL, "912ec8") != NULL);
	/* manifests sort by name */
	CHECK_STR(lyb_version_location(v, LYB_LOC_GS)->objects[0].name,
		  "part-0.avro");
	CHECK(lyb_location_find(lyb_version_location(v, LYB_LOC_GS),
				"part-1.avro")
		      ->generation == 7);
	/* block CRC32Cs: one per MiB, parsed strictly, absent when not given */
	CHECK(lyb_location_find(lyb_version_location(v, LYB_LOC_GS),
				"part-1.avro")
		      ->block_crc32c[0] == 0x0a1b2c3du);
	CHECK(lyb_location_find(lyb_version_location(v, LYB_LOC_GS),
				"part-0.avro")
		      ->block_crc32c == NULL);
	CHECK_STR(lyb_version_location(v, LYB_LOC_SNOW)->table,
		  "snow://artist-metadata/dominant_genres/922d6e");

	/* format -> parse -> format is stable, unknown fields survive */
	CHECK_RC(lyb_dataset_format(ds, &out), 0);
	CHECK(strstr(out, "\"x-future-field\"") != NULL);
	CHECK(strstr(out, "\"block_crc32c\": \"0a1b2c3d\"") != NULL);
	CHECK_RC(lyb_dataset_parse(out, strlen(out), &again, err, sizeof(err)),
		 0);
	CHECK_RC(lyb_dataset_format(again, &out2), 0);
	CHECK_STR(out, out2);
	free(out);
	free(out2);

	CHECK_RC(lyb_dataset_card(NULL, ds, &out), 0);
	CHECK(strstr(out, "\"uri\": \"lyb://artist-metadata.DominantGenres\""));
	CHECK(strstr(out, "\"version\": \"922d6e\""));
	free(out);
	CHECK_RC(lyb_version_record(ds, v, &out), 0);
	CHECK(strstr(out, "lyb://artist-metadata.DominantGenres/2020-09-03/"
			  "922d6e"));
	free(out);
	lyb_dataset_unref(again);
	lyb_dataset_unref(ds);

	snprintf(path, sizeof(path), "%s/catalog/valid/minimal.json", dir);
	text = slurp(path, &len);
	CHECK_RC(lyb_dataset_parse(text, len, &ds, err, sizeof(err)), 0);
	CHECK(ds->nversions == 0 && lyb_dataset_latest_date(ds) == NULL);
	free(text);
	lyb_dataset_unref(ds);
}

static void test_invalid_documents(const char *dir)
{
	char path[4096], err[512];
	struct lyb_dataset *ds = NULL;
	struct dirent *de;
	int cases = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/catalog/invalid", dir);
	d = opendir(path);
	CHECK(d != NULL);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name), len, elen;
		char *text, *want;

		if (n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/catalog/invalid/%s", dir,
			 de->d_name);
		text = slurp(path, &len);
		memcpy(path + strlen(path) - 4, "err", 4);
		want = slurp(path, &elen);
		CHECK(text && want);
		err[0] = '\0';
		if (lyb_dataset_parse(text, len, &ds, err, sizeof(err)) !=
			    -EBADMSG ||
		    !strstr(err, want)) {
			fprintf(stderr, "%s: got \"%s\", want \"%s\"\n",
				de->d_name, err, want);
			CHECK(0);
		}
		cases++;
		free(text);
		free(want);
	}
	closedir(d);
	CHECK(cases >= 30);
	printf("invalid documents rejected: %d\n", cases);
}

static int set_long_reader(void *arg, struct lyb_dataset *ds, char *err,
			   size_t errlen)
{
	char **r = realloc(ds->readers, (ds->nreaders + 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	ds->readers = r;
	r[ds->nreaders] = strdup(arg);
	if (!r[ds->nreaders])
		return -ENOMEM;
	ds->nreaders++;
	return 0;
}

static int set_description(void *arg, struct lyb_dataset *ds, char *err,
			   size_t errlen)
{
	free(ds->description);
	ds->description = strdup(arg);
	return ds->description ? 0 : -ENOMEM;
}

static char *read_doc(const char *root, const char *name)
{
	char path[600], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/datasets/%s.json", root, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/*
 * Whatever a mutation does, a document no reader parses is never
 * written: the gate parses the exact bytes with the reader's limits.
 */
static void test_write_gate(struct lyb_catalog *cat, const char *root)
{
	char err[512], *before, *after, big[70000], p[400];

	before = read_doc(root, "ns.Other");
	CHECK(before != NULL);
	/* a reader over a reader's field cap, bypassing every early check */
	snprintf(p, sizeof(p), "domain:%0300d", 0);
	memset(p + 7, 'x', 300);
	CHECK_RC(lyb_catalog_update(cat, "ns.Other", set_long_reader, p, err,
				    sizeof(err)),
		 -EBADMSG);
	CHECK(strncmp(err, "refusing to write DataSet ns.Other: ", 36) == 0);
	/* one byte over the limit is no principal; exactly the limit is */
	p[LYB_PRINCIPAL_LEN + 1] = '\0';
	CHECK(!lyb_principal_valid(p));
	p[LYB_PRINCIPAL_LEN] = '\0';
	CHECK(lyb_principal_valid(p));
	CHECK_RC(lyb_catalog_update(cat, "ns.Other", set_long_reader, p, err,
				    sizeof(err)),
		 0);
	free(before);
	before = read_doc(root, "ns.Other");
	/* free text over the 64 KiB cap */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_RC(lyb_catalog_update(cat, "ns.Other", set_description, big, err,
				    sizeof(err)),
		 -EBADMSG);
	CHECK(strstr(err, "refusing to write DataSet ns.Other") &&
	      strstr(err, "description"));
	after = read_doc(root, "ns.Other");
	CHECK(before && after && strcmp(before, after) == 0);
	free(before);
	free(after);
}

static void test_file_catalog(void)
{
	char root[] = "/tmp/lyb-test-catalog-XXXXXX", url[512], err[512];
	char id[LYB_ID_MAX + 1], id2[LYB_ID_MAX + 1], cmd[600];
	struct lyb_dataset spec = {0};
	struct lyb_catalog *cat;
	struct lyb_snap *snap;
	struct lyb_dataset *ds;
	struct lyb_version v;
	int existed, changed, i, status;
	const int writers = 8;

	CHECK(mkdtemp(root) != NULL);
	snprintf(url, sizeof(url), "file://%s", root);
	CHECK_RC(lyb_catalog_open(url, 0, &cat), -ENOENT);
	CHECK_RC(lyb_catalog_open(url, 1, &cat), 0);

	spec.name = "ns.Data";
	spec.owner = "group:team";
	spec.created = 1600000000;
	CHECK_RC(lyb_catalog_create(cat, &spec, err, sizeof(err)), 0);
	CHECK_RC(lyb_catalog_create(cat, &spec, err, sizeof(err)), -EEXIST);

	make_version(&v, "2020-09-03", 1);
	CHECK_RC(lyb_catalog_publish(cat, "ns.Data", &v, id, &existed, err,
				     sizeof(err)),
		 0);
	CHECK(!existed && strlen(id) == 6);
	/* the same content again: the same id, no second version */
	CHECK_RC(lyb_catalog_publish(cat, "ns.Data", &v, id2, &existed, err,
				     sizeof(err)),
		 0);
	CHECK(existed);
	CHECK_STR(id, id2);
	CHECK_RC(lyb_catalog_publish(cat, "ns.Nope", &v, id2, &existed, err,
				     sizeof(err)),
		 -ENOENT);
	CHECK(strstr(err, "no such DataSet"));
	memcpy(v.date, "2020-02-30", sizeof(v.date));
	CHECK_RC(lyb_catalog_publish(cat, "ns.Data", &v, id2, &existed, err,
				     sizeof(err)),
		 -EINVAL);

	/* two versions of one date published in the same second: latest
	 * is the one published last, whatever their ids */
	{
		char a[LYB_ID_MAX + 1], b[LYB_ID_MAX + 1];
		const struct lyb_date *d;
		int k;

		for (k = 0; k < 6; k++) {
			make_version(&v, "2020-01-01", 200 + k);
			v.published = 1600000000;
			CHECK_RC(lyb_catalog_publish(cat, "ns.Data", &v,
						     k % 2 ? b : a, &existed,
						     err, sizeof(err)),
				 0);
			CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
			snap = lyb_catalog_snap(cat);
			ds = lyb_snap_find(snap, "ns.Data");
			d = ds ? lyb_dataset_find_date(ds, "2020-01-01") : NULL;
			CHECK(d && d->count == (size_t)k + 1);
			CHECK_STR(d ? d->latest->id : "", k % 2 ? b : a);
			lyb_snap_unref(snap);
		}
	}

	/* concurrent publishers, each in its own process */
	for (i = 0; i < writers; i++) {
		if (fork() == 0) {
			struct lyb_catalog *c;
			char cid[LYB_ID_MAX + 1];
			int ex;

			make_version(&v, i % 2 ? "2020-09-04" : "2020-09-05",
				     100 + i);
			if (lyb_catalog_open(url, 0, &c) ||
			    lyb_catalog_publish(c, "ns.Data", &v, cid, &ex, err,
						sizeof(err)))
				_exit(1);
			lyb_catalog_close(c);
			_exit(0);
		}
	}
	for (i = 0; i < writers; i++) {
		CHECK(wait(&status) > 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_RC(lyb_catalog_refresh(cat, &changed), 0);
	CHECK(changed);
	snap = lyb_catalog_snap(cat);
	ds = lyb_snap_find(snap, "ns.Data");
	CHECK(ds && ds->nversions == (size_t)(7 + writers) && ds->ndates == 4);
	CHECK(lyb_dataset_find_version(ds, "2020-09-03", id) != NULL);
	lyb_snap_unref(snap);

	/* nothing changed: the same snapshot stays */
	CHECK_RC(lyb_catalog_refresh(cat, &changed), 0);
	CHECK(!changed);

	/* a broken document keeps its last good form and hides nothing */
	spec.name = "ns.Other";
	CHECK_RC(lyb_catalog_create(cat, &spec, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd),
		 "printf '{\"lybrary\": 1,' > %s/datasets/ns.Data.json", root);
	CHECK(system(cmd) == 0);
	CHECK_RC(lyb_catalog_refresh(cat, &changed), 0);
	snap = lyb_catalog_snap(cat);
	CHECK(snap->ndatasets == 2);
	ds = lyb_snap_find(snap, "ns.Data");
	CHECK(ds && ds->nversions == (size_t)(7 + writers));
	/* ...is listed as unloadable (the mount denies its data) */
	CHECK(snap->nbad == 1 && lyb_snap_find_bad(snap, "ns.Data") &&
	      lyb_snap_find_bad(snap, "ns.Data")->definite &&
	      !lyb_snap_find_bad(snap, "ns.Other"));
	lyb_snap_unref(snap);
	/* ...and a writer refuses to build on it */
	make_version(&v, "2020-09-06", 7);
	CHECK_RC(lyb_catalog_publish(cat, "ns.Data", &v, id2, &existed, err,
				     sizeof(err)),
		 -EBADMSG);

	test_write_gate(cat, root);
	/* the writers' lock: only writers may open it (flock needs a fd) */
	{
		struct stat st;

		snprintf(cmd, sizeof(cmd), "%s/datasets/.lyb-writers.lock",
			 root);
		CHECK(stat(cmd, &st) == 0 && (st.st_mode & 0007) == 0);
	}

	lyb_catalog_close(cat);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}

/*
 * A catalog writer's document with 200,000 readers (6 MB, far under
 * LYB_DOC_MAX) parses in well under a second, and a duplicate among them
 * is still found and named: the duplicate check was O(n^2), so such a
 * document held the refresh (every DataSet's ACL, revocations included)
 * for minutes, and 2 million for a day.
 */
static void test_many_readers(void)
{
	const size_t n = 200000;
	struct lyb_dataset *ds = NULL;
	struct lyb_buf b;
	struct timespec t0, t1;
	char err[512];
	size_t i, len;
	char *text;
	double secs;

	lyb_buf_init(&b, 64u << 20);
	lyb_buf_printf(&b, "{\"lybrary\": 1, \"name\": \"a.Many\", "
			   "\"owner\": {\"team\": \"group:x\"}, "
			   "\"created\": \"2026-01-01T00:00:00Z\", "
			   "\"readers\": [");
	for (i = 0; i < n; i++)
		lyb_buf_printf(&b, "%s\"user:u%zu@thecompany.com\"",
			       i ? ", " : "", i);
	lyb_buf_printf(&b, "]}");
	text = lyb_buf_steal(&b, &len);
	CHECK(text != NULL);
	if (!text)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RC(lyb_dataset_parse(text, len, &ds, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(secs < 5.0);
	CHECK(ds && ds->nreaders == n);
	lyb_dataset_unref(ds);
	ds = NULL;
	/* the last reader repeats the 100,000th: named at its index */
	memcpy(strrchr(text, '"') - strlen("u199999@thecompany.com"),
	       "u100000@thecompany.com", strlen("u100000@thecompany.com"));
	CHECK(lyb_dataset_parse(text, len, &ds, err, sizeof(err)) != 0);
	CHECK(strstr(err, "readers[199999]") != NULL);
	CHECK(strstr(err, "duplicate \"user:u100000@thecompany.com\"") != NULL);
	lyb_dataset_unref(ds);
	free(text);
}

/* A document of the minimal fields plus @extra (top-level JSON members). */
static char *doc_with(const char *extra)
{
	struct lyb_buf b;
	size_t len;

	lyb_buf_init(&b, 1u << 20);
	lyb_buf_printf(&b,
		       "{\"lybrary\": 1, \"name\": \"a.B\", \"owner\": "
		       "{\"team\": \"group:team\"}, \"created\": "
		       "\"2026-01-01T00:00:00Z\"%s}",
		       extra);
	return lyb_buf_steal(&b, &len);
}

/* One unknown field "x-pad" whose compact JSON object is @total bytes. */
static char *padded_field(size_t total)
{
	const size_t frame = strlen("{\"x-pad\":\"\"}");
	char *pad = malloc(total + 16), *text;

	if (!pad)
		return NULL;
	memcpy(pad, ", \"x-pad\": \"", 12);
	memset(pad + 12, 'p', total - frame);
	memcpy(pad + 12 + total - frame, "\"", 2);
	text = doc_with(pad);
	free(pad);
	return text;
}

/*
 * Unknown top-level fields are kept in memory by every daemon: at most
 * LYB_DOC_EXTRA_MAX of them in all, or the document does not load.
 */
static void test_extra_cap(void)
{
	struct lyb_dataset *ds = NULL;
	char err[512], *text, *two;

	text = padded_field(LYB_DOC_EXTRA_MAX);
	CHECK(text != NULL);
	CHECK_RC(lyb_dataset_parse(text, strlen(text), &ds, err, sizeof(err)),
		 0);
	CHECK(ds && ds->extra && strlen(ds->extra) == LYB_DOC_EXTRA_MAX);
	lyb_dataset_unref(ds);
	ds = NULL;
	free(text);
	text = padded_field(LYB_DOC_EXTRA_MAX + 1024);
	CHECK_RC(lyb_dataset_parse(text, strlen(text), &ds, err, sizeof(err)),
		 -EBADMSG);
	CHECK(ds == NULL);
	CHECK(strstr(err, "unknown top-level fields take 66560 bytes, over "
			  "the cap of 65536 bytes") &&
	      strstr(err, "LYB_DOC_EXTRA_MAX"));
	free(text);
	/* the cap is on all of them together, not on each */
	two = malloc(70000);
	if (!two)
		return;
	memcpy(two, ", \"x-a\": \"", 10);
	memset(two + 10, 'a', 33000);
	memcpy(two + 33010, "\", \"x-b\": \"", 11);
	memset(two + 33021, 'b', 33000);
	memcpy(two + 66021, "\"", 2);
	text = doc_with(two);
	free(two);
	CHECK_RC(lyb_dataset_parse(text, strlen(text), &ds, err, sizeof(err)),
		 -EBADMSG);
	CHECK(strstr(err, "LYB_DOC_EXTRA_MAX") != NULL);
	free(text);
}

static void make_ident(struct lyb_ident *id, const char *user, char **groups,
		       size_t ngroups)
{
	memset(id, 0, sizeof(*id));
	atomic_init(&id->refs, 1);
	snprintf(id->user, sizeof(id->user), "user:%s@example.com", user);
	snprintf(id->display, sizeof(id->display), "%s@example.com", user);
	snprintf(id->domain, sizeof(id->domain), "domain:example.com");
	id->groups = groups;
	id->ngroups = ngroups;
}

/*
 * At most LYB_ACL_REQUESTS_MAX pending requests, and the newest
 * LYB_DOC_HISTORY_MAX history entries, the dropped ones counted.
 */
static void test_access_caps(void)
{
	char *admins[] = {"group:lyb-admins"}, *owners[] = {"group:team"};
	char err[512], name[32], *text = NULL, *out = NULL;
	struct lyb_dataset *ds = NULL, *back = NULL;
	struct lyb_ident who, owner;
	struct lyb_acl *acl = NULL;
	int64_t now = 0;
	int i, round;

	CHECK_RC(lyb_acl_new("example.com", admins, 1, 0, &acl), 0);
	text = doc_with("");
	CHECK_RC(lyb_dataset_parse(text, strlen(text), &ds, err, sizeof(err)),
		 0);
	free(text);
	if (!acl || !ds)
		return;
	make_ident(&owner, "carol", owners, 1);
	for (round = 0; round < 6; round++) {
		for (i = 0; i < LYB_ACL_REQUESTS_MAX; i++) {
			snprintf(name, sizeof(name), "u%d", i);
			make_ident(&who, name, NULL, 0);
			CHECK_RC(lyb_acl_request(acl, ds, &who, "study", now++,
						 err, sizeof(err)),
				 0);
		}
		if (round == 0) {
			/* one more is refused, with what to do */
			make_ident(&who, "late", NULL, 0);
			CHECK_RC(lyb_acl_request(acl, ds, &who, "study", 0, err,
						 sizeof(err)),
				 -ENOSPC);
			CHECK(strstr(err, "too many pending requests on "
					  "DataSet a.B; ask an owner"));
			CHECK(ds->nrequests == LYB_ACL_REQUESTS_MAX);
		}
		for (i = 0; i < LYB_ACL_REQUESTS_MAX; i++) {
			snprintf(name, sizeof(name), "user:u%d@example.com", i);
			CHECK_RC(lyb_acl_revoke(acl, ds, &owner, name, now++,
						err, sizeof(err)),
				 0);
		}
	}
	/* 12,000 changes: the newest 10,000 kept, oldest first */
	CHECK(ds->nrequests == 0);
	CHECK(ds->nhistory == LYB_DOC_HISTORY_MAX);
	CHECK(ds->history_dropped == 12000 - LYB_DOC_HISTORY_MAX);
	CHECK(ds->history[0].time == 12000 - LYB_DOC_HISTORY_MAX);
	CHECK_STR(ds->history[0].action, "request");
	CHECK(ds->history[LYB_DOC_HISTORY_MAX - 1].time == 11999);
	CHECK_STR(ds->history[LYB_DOC_HISTORY_MAX - 1].action, "revoke");
	/* the count is in the document and reads back */
	CHECK_RC(lyb_dataset_format(ds, &out), 0);
	CHECK(out && strstr(out, "\"history_dropped\": 2000"));
	CHECK_RC(lyb_dataset_parse(out, strlen(out), &back, err, sizeof(err)),
		 0);
	CHECK(back && back->history_dropped == 2000 &&
	      back->nhistory == LYB_DOC_HISTORY_MAX);
	free(out);
	lyb_dataset_unref(back);
	lyb_dataset_unref(ds);
	lyb_acl_free(acl);
}

/*
 * A DataSet whose document is within 64 bytes of LYB_DOC_MAX: a grant
 * would take it over and is refused, a revoke is written all the same,
 * with the oldest history dropped to fit.
 */
static void test_revoke_at_cap(void)
{
	char root[] = "/tmp/lyb-test-cap-XXXXXX", url[512], err[512], cmd[600];
	char *admins[] = {"group:lyb-admins"}, *owners[] = {"group:team"};
	char *readers[] = {"user:bob@example.com"}, *reason, *text, *doc;
	struct lyb_dataset spec = {0}, *back = NULL;
	struct lyb_access_change *h;
	struct lyb_catalog *cat = NULL;
	struct lyb_acl *acl = NULL;
	struct lyb_ident owner;
	size_t i, n, len, one, want = LYB_DOC_MAX - 64;

	CHECK(mkdtemp(root) != NULL);
	snprintf(url, sizeof(url), "file://%s", root);
	CHECK_RC(lyb_catalog_open(url, 1, &cat), 0);
	CHECK_RC(lyb_acl_new("example.com", admins, 1, 0, &acl), 0);
	n = LYB_DOC_MAX / 60200 + 1;
	h = calloc(n, sizeof(*h));
	reason = malloc(65537);
	if (!cat || !acl || !h || !reason)
		return;
	memset(reason, 'r', 65536);
	reason[65536] = '\0';
	spec.name = "ns.Big";
	spec.owner = "group:team";
	spec.created = 1600000000;
	spec.readers = readers;
	spec.nreaders = 1;
	spec.history = h;
	for (i = 0; i < n; i++) {
		h[i].time = 1600000000 + (int64_t)i;
		h[i].by = "user:carol@example.com";
		h[i].action = "request";
		h[i].principal = "user:x@example.com";
		h[i].reason = reason + 65536 - 60000;
	}
	/* as many entries as fit, then the description to the byte */
	spec.description = reason + 65535;
	spec.nhistory = 1;
	CHECK_RC(lyb_dataset_format(&spec, &text), 0);
	len = strlen(text);
	free(text);
	spec.nhistory = 2;
	CHECK_RC(lyb_dataset_format(&spec, &text), 0);
	one = strlen(text) - len; /* what one more entry takes */
	free(text);
	spec.nhistory = 1 + (want - len) / one;
	CHECK(spec.nhistory <= n);
	len += (spec.nhistory - 1) * one;
	CHECK(want - len < 65535);
	spec.description -= want - len;
	CHECK_RC(lyb_dataset_format(&spec, &text), 0);
	CHECK(strlen(text) == want);
	free(text);
	CHECK_RC(lyb_catalog_create(cat, &spec, err, sizeof(err)), 0);

	make_ident(&owner, "carol", owners, 1);
	CHECK_RC(lyb_acl_change(cat, acl, &owner, "grant", "ns.Big",
				"user:dan@example.com", err, sizeof(err)),
		 -EFBIG);
	CHECK(strstr(err, "refusing to write DataSet ns.Big"));
	CHECK_RC(lyb_acl_change(cat, acl, &owner, "revoke", "ns.Big",
				"user:bob@example.com", err, sizeof(err)),
		 0);
	doc = read_doc(root, "ns.Big");
	CHECK(doc && strlen(doc) <= LYB_DOC_MAX);
	CHECK(doc && lyb_dataset_parse(doc, strlen(doc), &back, err,
				       sizeof(err)) == 0);
	if (back) {
		CHECK(back->nreaders == 0);
		CHECK(back->history_dropped >= 1);
		CHECK(back->nhistory + (size_t)back->history_dropped ==
		      spec.nhistory + 1);
		CHECK_STR(back->history[back->nhistory - 1].action, "revoke");
		CHECK(back->history[0].time ==
		      1600000000 + back->history_dropped);
	}
	lyb_dataset_unref(back);
	free(doc);
	free(reason);
	free(h);
	lyb_acl_free(acl);
	lyb_catalog_close(cat);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	const char *dir = getenv("LYB_TEST_DATA");

	if (!dir) {
		fprintf(stderr, "LYB_TEST_DATA is not set\n");
		return 1;
	}
	lyb_log_set_level(LYB_LOG_WARN);
	test_names();
	test_valid_documents(dir);
	test_invalid_documents(dir);
	test_many_readers();
	test_extra_cap();
	test_access_caps();
	test_revoke_at_cap();
	test_file_catalog();
	return check_failures ? 1 : 0;
}
