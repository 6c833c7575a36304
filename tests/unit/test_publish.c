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
		loc, err, errlen);
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
		 "%s/v3/p.avro: not an Avro container (bad magic)", dir + 1);
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
		 "%s/e2/b.json: its format differs from the other files",
		 dir + 1);
	CHECK_STR(err, want);

	sub("e3");
	put("e3/a.parquet", "PAR1", 4);
	CHECK_RC(scan(LYB_LOC_SNOW, "e3", &loc, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "%s/e3/a.parquet: not a .json, .json.gz, .csv or .csv.gz "
		 "file",
		 dir + 1);
	CHECK_STR(err, want);
}

static void test_refusals(void)
{
	struct lyb_location loc;
	char err[1024], url[256];

	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, "s3://b/x", NULL, &loc, err,
				  sizeof(err)),
		 -ENOTSUP);
	CHECK_STR(err, "s3://b/x: unsupported URL scheme");
	CHECK_RC(lyb_publish_scan(LYB_LOC_GS, "file:///a/../b", NULL, &loc, err,
				  sizeof(err)),
		 -EINVAL);
	CHECK_STR(err, "file:///a/../b: not a valid URL");
	/* outside the data roots */
	CHECK_RC(lyb_store_file_confine("none", NULL), 0);
	snprintf(url, sizeof(url), "file://%s/v1", dir);
	CHECK_RC(
		lyb_publish_scan(LYB_LOC_GS, url, NULL, &loc, err, sizeof(err)),
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
	test_refusals();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return check_failures ? 1 : 0;
}
