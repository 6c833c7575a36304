// SPDX-License-Identifier: Apache-2.0
/*
 * test_publish.c - turning objects in a file:// store into a manifest
 * (publish.c): objects sorted by name (recursively, markers "_*" and
 * ".*" skipped), sizes, generations, crc32c, md5 and block CRC32Cs
 * computed from the bytes, rows counted (Avro block headers, export
 * lines), the data.jsonl index and writer schema recorded; Avro that
 * frames but does not decode published with a warning and no index; and
 * the refusals: nothing there, not Avro, mixed or unknown export
 * formats, outside file_roots, bad URLs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avro_file.h"
#include "check.h"
#include "lyb/catalog.h"
#include "lyb/digest.h"
#include "lyb/log.h"
#include "lyb/publish.h"
#include "lyb/store.h"
#include "lyb/view.h"

static char dir[64];

static void put(const char *rel, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

static void sub(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (mkdir(path, 0755) != 0)
		abort();
}

static int scan(enum lyb_loc_kind kind, const char *rel,
		struct lyb_location *loc, char *err, size_t errlen)
{
	char url[256];

	snprintf(url, sizeof(url), "file://%s/%s", dir, rel);
	return lyb_publish_scan(
		kind, url, kind == LYB_LOC_SNOW ? "snow://db/t/abcdef" : NULL,
		NULL, loc, err, errlen);
}

static void check_sums(const struct lyb_object *o, const struct avro_file *f)
{
	struct lyb_digest *d = NULL;
	unsigned char md5[16];
	char b64[25];
	size_t n = 0;
	uint32_t crc = lyb_crc32c_update(0, f->b, f->len);

	CHECK_RC(o->size, f->len);
	CHECK(o->generation > 0);
	lyb_crc32c_to_b64(crc, b64);
	CHECK_STR(o->crc32c, b64);
	CHECK(o->block_crc32c && o->block_crc32c[0] == crc);
	if (lyb_digest_new(LYB_DIGEST_MD5, &d) == 0) {
		lyb_digest_update(d, f->b, f->len);
		lyb_digest_final(d, md5, &n);
		lyb_base64_encode(md5, n, b64);
		CHECK_STR(o->md5, b64);
		lyb_digest_free(d);
	}
}

static void test_gs(void)
{
	static struct avro_file a, b, c, bad;
	struct avro_file none = {.len = 0};
	struct lyb_location loc;
	char err[1024], want[256];

	avro_header(&a, AVRO_LONGS, NULL);
	avro_block_longs(&a, 0, 3);
	avro_block_longs(&a, 3, 6);
	avro_header(&b, AVRO_LONGS, "null");
	avro_block_longs(&b, 6, 10);
	avro_header(&c, AVRO_LONGS, NULL);
	avro_block(&c, 0, none.b, 0);
	sub("v1");
	sub("v1/sub");
	put("v1/b.avro", b.b, b.len);
	put("v1/a.avro", a.b, a.len);
	put("v1/sub/c.avro", c.b, c.len);
	put("v1/_SUCCESS", "", 0);
	put("v1/.part.crc", "junk", 4);

	CHECK_RC(scan(LYB_LOC_GS, "v1/", &loc, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(loc.kind == LYB_LOC_GS);
	snprintf(want, sizeof(want), "file://%s/v1", dir);
	CHECK_STR(loc.url, want);
	CHECK(loc.table == NULL && loc.compression == NULL);
	CHECK_STR(loc.format, "avro");
	CHECK_RC(loc.nobjects, 3);
	if (loc.nobjects == 3) {
		CHECK_STR(loc.objects[0].name, "a.avro");
		CHECK_STR(loc.objects[1].name, "b.avro");
		CHECK_STR(loc.objects[2].name, "sub/c.avro");
		CHECK_RC(loc.objects[0].rows, 6);
		CHECK_RC(loc.objects[1].rows, 4);
		CHECK_RC(loc.objects[2].rows, 0);
		check_sums(&loc.objects[0], &a);
		check_sums(&loc.objects[1], &b);
		check_sums(&loc.objects[2], &c);
	}
	/* the view index: 10 lines of {"n":K}, one run per object with
	 * records */
	CHECK_RC(loc.jsonl.recorded, 1);
	CHECK_RC(loc.jsonl.bytes, 80);
	CHECK_RC(loc.jsonl.nmarks, 2);
	if (loc.jsonl.nmarks == 2)
		CHECK(loc.jsonl.marks[1].object == 1 &&
		      loc.jsonl.marks[1].at == 48);
	CHECK_STR(loc.schema, AVRO_LONGS);
	lyb_location_clear(&loc);

	/* frames, but a record does not decode: published, no index */
	avro_header(&bad, AVRO_LONGS, NULL);
	avro_block(&bad, 1, "\x80", 1); /* a varint that never ends */
	sub("v2");
	put("v2/p.avro", bad.b, bad.len);
	CHECK_RC(scan(LYB_LOC_GS, "v2", &loc, err, sizeof(err)), 0);
	CHECK(strncmp(err, "no data.jsonl index, its reads will fail: ", 42) ==
	      0);
	CHECK_RC(loc.nobjects, 1);
	CHECK_RC(loc.jsonl.recorded, 0);
	if (loc.nobjects == 1)
		CHECK_RC(loc.objects[0].rows, 1);
	lyb_location_clear(&loc);

	/* not Avro */
	sub("v3");
	put("v3/p.avro", "not avro", 8);
	CHECK_RC(scan(LYB_LOC_GS, "v3", &loc, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "file://%s/v3/p.avro: not an Avro container (bad magic)", dir);
	CHECK_STR(err, want);
	CHECK(loc.nobjects == 0 && loc.url == NULL);

	/* nothing there (markers are not data) */
	sub("v4");
	put("v4/_SUCCESS", "", 0);
	CHECK_RC(scan(LYB_LOC_GS, "v4", &loc, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "file://%s/v4: no objects there", dir);
	CHECK_STR(err, want);
}

static void test_snow(void)
{
	struct lyb_location loc;
	char err[1024], want[256];

	sub("e1");
	put("e1/data_0_0_1.json", "{\"a\":1}\n{\"a\":2}\n", 16);
	put("e1/data_0_0_0.json", "{\"a\":0}\n", 8);
	CHECK_RC(scan(LYB_LOC_SNOW, "e1", &loc, err, sizeof(err)), 0);
	CHECK_STR(loc.table, "snow://db/t/abcdef");
	CHECK_STR(loc.format, "json");
	CHECK_STR(loc.compression, "none");
	CHECK_RC(loc.nobjects, 2);
	if (loc.nobjects == 2) {
		CHECK_STR(loc.objects[0].name, "data_0_0_0.json");
		CHECK_RC(loc.objects[0].rows, 1);
		CHECK_RC(loc.objects[1].rows, 2);
	}
	CHECK_RC(loc.jsonl.recorded, 1);
	CHECK_RC(loc.jsonl.nmarks, 2);
	CHECK(loc.schema == NULL);
	lyb_location_clear(&loc);

	sub("e2");
	put("e2/a.csv", "x,y\n1,2\n", 8);
	CHECK_RC(scan(LYB_LOC_SNOW, "e2", &loc, err, sizeof(err)), 0);
	CHECK_STR(loc.format, "csv");
	if (loc.nobjects == 1)
		CHECK_RC(loc.objects[0].rows, 1);
	lyb_location_clear(&loc);

	put("e2/b.json", "{}\n", 3);
	CHECK_RC(scan(LYB_LOC_SNOW, "e2", &loc, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "file://%s/e2/b.json: its format differs from the other files",
		 dir);
	CHECK_STR(err, want);

	sub("e3");
	put("e3/a.parquet", "PAR1", 4);
	CHECK_RC(scan(LYB_LOC_SNOW, "e3", &loc, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "file://%s/e3/a.parquet: not a .json, .json.gz, .csv or "
		 ".csv.gz file",
		 dir);
	CHECK_STR(err, want);
}

/* Compares the index publish recorded with the one lyb_view_index() builds. */
static void check_index(const struct lyb_location *loc)
{
	struct lyb_jsonl jl;
	char err[1024] = "";
	int enc;

	for (enc = 0; enc < 2; enc++) {
		const struct lyb_jsonl *got =
			enc == LYB_JSON_PLAIN ? &loc->jsonl_plain : &loc->jsonl;

		CHECK_RC(lyb_view_index(loc, (enum lyb_json_enc)enc, &jl, NULL,
					err, sizeof(err)),
			 0);
		CHECK(got->recorded && got->bytes == jl.bytes &&
		      got->nmarks == jl.nmarks);
		if (got->nmarks == jl.nmarks && got->nmarks)
			CHECK(memcmp(got->marks, jl.marks,
				     jl.nmarks * sizeof(*jl.marks)) == 0);
		lyb_view_jsonl_clear(&jl);
	}
}

/* An Avro file of strings of 1000 bytes: blocks of @per records, and one
 * of @big records (0: none) in the middle, past the publish window. */
#define STRINGS                                                      \
	"{\"type\":\"record\",\"name\":\"S\",\"fields\":[{\"name\":" \
	"\"s\",\"type\":\"string\"}]}"

static size_t put_strings(const char *rel, int blocks, int per, int big)
{
	static struct avro_file h, rec;
	char path[256], text[1000];
	size_t len;
	FILE *f;
	int b, i, n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "wb");
	if (!f)
		abort();
	avro_header(&h, STRINGS, NULL);
	fwrite(h.b, 1, h.len, f);
	for (b = 0; b < blocks; b++) {
		n = b == blocks / 2 && big ? big : per;
		rec.len = 0;
		avro_put_long(&rec, n);
		avro_put_long(&rec, (int64_t)n * 1002);
		fwrite(rec.b, 1, rec.len, f);
		for (i = 0; i < n; i++) {
			memset(text, 'a' + (b + i) % 26, sizeof(text));
			rec.len = 0;
			avro_put_long(&rec, sizeof(text));
			fwrite(rec.b, 1, rec.len, f);
			fwrite(text, 1, sizeof(text), f);
		}
		fwrite(avro_sync, 1, 16, f);
	}
	len = (size_t)ftell(f);
	fclose(f);
	return len;
}

static void progress(void *arg, const struct lyb_publish_progress *p)
{
	struct lyb_publish_progress *last = arg;

	CHECK(p->objects_done <= p->objects && p->bytes_done <= p->bytes);
	*last = *p;
}

/*
 * Objects larger than the read window, one with a block larger than it,
 * read by several workers: the same checksums and index as reading them
 * one by one.
 */
static void test_large(void)
{
	struct lyb_publish_progress last = {0};
	struct lyb_publish_opts opts = {
		.jobs = 3, .progress = progress, .progress_arg = &last};
	struct lyb_location loc;
	char err[1024], url[256], path[256];
	size_t len[4];
	int i;

	sub("big");
	len[0] = put_strings("big/a.avro", 21, 500, 10000);
	len[1] = put_strings("big/b.avro", 3, 100, 0);
	len[2] = put_strings("big/c.avro", 30, 400, 0);
	len[3] = put_strings("big/d.avro", 1, 1, 0);
	snprintf(url, sizeof(url), "file://%s/big", dir);
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, url, NULL, &opts, &loc, err,
				  sizeof(err)),
		 0);
	CHECK_STR(err, "");
	CHECK_RC(loc.nobjects, 4);
	CHECK(last.done && strcmp(last.phase, "data") == 0 &&
	      last.objects == 4 && last.objects_done == 4 &&
	      last.bytes == len[0] + len[1] + len[2] + len[3] &&
	      last.bytes_done == last.bytes);
	for (i = 0; i < 4 && loc.nobjects == 4; i++) {
		const struct lyb_object *o = &loc.objects[i];
		unsigned char *data = malloc(len[i]);
		uint64_t k, nb = lyb_object_nblocks(len[i]);
		char b64[25];
		FILE *f;

		snprintf(path, sizeof(path), "%s/big/%s", dir, o->name);
		f = fopen(path, "rb");
		if (!data || !f || fread(data, 1, len[i], f) != len[i])
			abort();
		fclose(f);
		CHECK_RC(o->size, len[i]);
		lyb_crc32c_to_b64(lyb_crc32c_update(0, data, len[i]), b64);
		CHECK_STR(o->crc32c, b64);
		for (k = 0; k < nb && o->block_crc32c; k++) {
			size_t n = k + 1 < nb ? LYB_BLOCK_SIZE
					      : len[i] - k * LYB_BLOCK_SIZE;

			CHECK(o->block_crc32c[k] ==
			      lyb_crc32c_update(0, data + k * LYB_BLOCK_SIZE,
						n));
		}
		free(data);
	}
	if (loc.nobjects == 4) {
		CHECK_RC(loc.objects[0].rows, 20 * 500 + 10000);
		CHECK_RC(loc.objects[3].rows, 1);
	}
	check_index(&loc);
	CHECK_STR(loc.schema, STRINGS);
	lyb_location_clear(&loc);
}

/*
 * Writer schemas: one per location, readable with the DataSet's; every
 * object that is not is named. Objects that do not frame are all named.
 */
static void test_schemas(void)
{
	static struct avro_file a, b;
	const char *ok = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			 "{\"name\":\"n\",\"type\":\"double\"},{\"name\":"
			 "\"m\",\"type\":\"int\",\"default\":1}]}";
	const char *bad = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
			  "{\"name\":\"n\",\"type\":\"int\"}]}";
	struct lyb_publish_opts opts = {.jobs = 2};
	struct lyb_location loc;
	char err[4096], want[1024], url[256];

	avro_header(&a, AVRO_LONGS, NULL);
	avro_block_longs(&a, 0, 3);
	avro_header(&b, STRINGS, NULL);
	sub("s1");
	put("s1/p0.avro", a.b, a.len);
	put("s1/p1.avro", b.b, b.len);
	put("s1/p2.avro", a.b, a.len);
	put("s1/p3.avro", b.b, b.len);
	put("s1/p4.avro", a.b, a.len);
	snprintf(url, sizeof(url), "file://%s/s1", dir);
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, url, NULL, &opts, &loc, err,
				  sizeof(err)),
		 -EBADMSG);
	snprintf(want, sizeof(want),
		 "2 of 5 objects refused:\n"
		 "  file://%s/s1/p1.avro: its writer schema differs from that "
		 "of p0.avro (and 2 other objects)\n"
		 "  file://%s/s1/p3.avro: its writer schema differs from that "
		 "of p0.avro (and 2 other objects)",
		 dir, dir);
	CHECK_STR(err, want);
	CHECK(loc.nobjects == 0);

	/* the same JSON written differently is the same schema */
	sub("s2");
	avro_header(&b,
		    "{ \"name\": \"R\", \"type\": \"record\", \"fields\": "
		    "[{\"type\": \"long\", \"name\": \"n\"}] }",
		    NULL);
	avro_block_longs(&b, 3, 5);
	put("s2/p0.avro", a.b, a.len);
	put("s2/p1.avro", b.b, b.len);
	snprintf(url, sizeof(url), "file://%s/s2", dir);
	opts.schema = ok; /* long read as double, m from its default */
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, url, NULL, &opts, &loc, err,
				  sizeof(err)),
		 0);
	CHECK_STR(loc.schema, AVRO_LONGS);
	lyb_location_clear(&loc);

	/* a DataSet schema that cannot read them: all named */
	opts.schema = bad;
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, url, NULL, &opts, &loc, err,
				  sizeof(err)),
		 -EBADMSG);
	snprintf(want, sizeof(want),
		 "2 of 2 objects refused:\n"
		 "  file://%s/s2/p0.avro: its writer schema cannot be read "
		 "with the DataSet's schema: field n: the writer's long cannot "
		 "be read as int\n"
		 "  file://%s/s2/p1.avro: its writer schema cannot be read "
		 "with the DataSet's schema: field n: the writer's long cannot "
		 "be read as int",
		 dir, dir);
	CHECK_STR(err, want);

	/* objects that are not Avro: every one named, before any data is
	 * read */
	sub("s3");
	put("s3/p0.avro", a.b, a.len);
	put("s3/p1.avro", "junk", 4);
	put("s3/p2.avro", "Obj\x02", 4);
	snprintf(url, sizeof(url), "file://%s/s3", dir);
	opts.schema = NULL;
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, url, NULL, &opts, &loc, err,
				  sizeof(err)),
		 -EBADMSG);
	snprintf(want, sizeof(want),
		 "2 of 3 objects refused:\n"
		 "  file://%s/s3/p1.avro: not an Avro container (bad magic)\n"
		 "  file://%s/s3/p2.avro: not an Avro container (bad magic)",
		 dir, dir);
	CHECK_STR(err, want);

	/* a message too long for the buffer says how many it left out */
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, url, NULL, &opts, &loc, err, 150),
		 -EBADMSG);
	CHECK(strstr(err, "2 of 3 objects refused:\n  file://") == err);
	CHECK(strstr(err, "\n  ... and 1 more") != NULL && strlen(err) < 150);

	/* and those whose blocks do not frame: all named too */
	sub("s4");
	put("s4/p0.avro", a.b, a.len - 1);
	put("s4/p1.avro", a.b, a.len);
	b = a;
	b.b[a.len - 1] ^= 1;
	put("s4/p2.avro", b.b, b.len);
	snprintf(url, sizeof(url), "file://%s/s4", dir);
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, url, NULL, &opts, &loc, err,
				  sizeof(err)),
		 -EBADMSG);
	snprintf(want, sizeof(want),
		 "2 of 3 objects refused:\n"
		 "  file://%s/s4/p0.avro: block 0 at offset %zu: truncated or "
		 "bad block header\n"
		 "  file://%s/s4/p2.avro: block 0 at offset %zu: sync marker "
		 "mismatch",
		 dir, a.data_start, dir, a.data_start);
	CHECK_STR(err, want);
}

static void test_refusals(void)
{
	struct lyb_location loc;
	char err[1024], url[256];

	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, "s3://b/x", NULL, NULL, &loc, err,
				  sizeof(err)),
		 -ENOTSUP);
	CHECK_STR(err, "s3://b/x: unsupported URL scheme");
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, "file:///a/../b", NULL, NULL,
				  &loc, err, sizeof(err)),
		 -EINVAL);
	CHECK_STR(err, "file:///a/../b: not a valid URL");
	/* outside the data roots */
	CHECK_RC(lyb_store_file_confine("none", NULL), 0);
	snprintf(url, sizeof(url), "file://%s/v1", dir);
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, url, NULL, NULL, &loc, err,
				  sizeof(err)),
		 -EACCES);
	CHECK(strstr(err, ": outside the file:// data roots (file_roots: "
			  "none); publish only data under them") != NULL);
}

int main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/test_publish.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	lyb_log_set_level((enum lyb_log_level)(LYB_LOG_ERR - 1));
	CHECK_RC(lyb_store_file_confine(dir, NULL), 0);
	test_gs();
	test_snow();
	test_large();
	test_schemas();
	test_refusals();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return check_failures ? 1 : 0;
}
