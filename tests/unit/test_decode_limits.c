// SPDX-License-Identifier: Apache-2.0
/*
 * test_decode_limits.c - the limits that keep a hostile Avro file from
 * hurting the process that decodes it: schema nesting and recursion
 * (lyb_schema_bound, through lyb_schema_check and the decoder), records
 * claimed per block byte, and JSON decoded per block byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avro_file.h"
#include "check.h"
#include "lyb/avro.h"
#include "lyb/decode.h"
#include "lyb/schema.h"

static int count_lines(void *arg, const char *line, size_t len)
{
	(void)line;
	(void)len;
	++*(size_t *)arg;
	return 0;
}

/* A record nested @levels deep (the top record is level 1), in @out. */
static void nested_schema(char *out, size_t outlen, int levels)
{
	struct lyb_buf b;
	int i;

	lyb_buf_init(&b, 1 << 20);
	for (i = 1; i < levels; i++)
		lyb_buf_printf(&b,
			       "{\"type\":\"record\",\"name\":\"D%d\","
			       "\"fields\":[{\"name\":\"f\",\"type\":",
			       i);
	lyb_buf_addstr(&b, "\"int\"");
	for (i = 1; i < levels; i++)
		lyb_buf_addstr(&b, "}]}");
	snprintf(out, outlen, "%s", b.data);
	lyb_buf_free(&b);
}

static int check(const char *schema, char *err, size_t errlen)
{
	char *compact = NULL;
	int rc =
		lyb_schema_check(schema, strlen(schema), &compact, err, errlen);

	free(compact);
	return rc;
}

static int decoder(const char *schema, char *err, size_t errlen)
{
	struct lyb_avro_decoder *d = NULL;
	int rc = lyb_avro_decoder_new(schema, strlen(schema), LYB_JSON_AVRO, &d,
				      err, errlen);

	lyb_avro_decoder_free(d);
	return rc;
}

static void test_schema_bound(void)
{
	static const char *recursive[] = {
		/* the list of issue 12 */
		"{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":"
		"\"next\",\"type\":[\"null\",\"L\"]}]}",
		/* through an array, a map */
		"{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":"
		"\"kids\",\"type\":{\"type\":\"array\",\"items\":\"T\"}}]}",
		"{\"type\":\"record\",\"name\":\"M\",\"fields\":[{\"name\":"
		"\"m\",\"type\":{\"type\":\"map\",\"values\":\"M\"}}]}",
		/* A contains B contains A, with namespaces */
		"{\"type\":\"record\",\"name\":\"A\",\"namespace\":\"x\","
		"\"fields\":[{\"name\":\"b\",\"type\":{\"type\":\"record\","
		"\"name\":\"B\",\"namespace\":\"y\",\"fields\":[{\"name\":"
		"\"a\",\"type\":[\"null\",\"x.A\"]}]}}]}",
	};
	char schema[8192], err[256];
	struct lyb_buf b;
	size_t i;

	for (i = 0; i < sizeof(recursive) / sizeof(*recursive); i++) {
		err[0] = '\0';
		CHECK_RC(check(recursive[i], err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "contains itself"));
		CHECK_RC(decoder(recursive[i], err, sizeof(err)), -EOVERFLOW);
		CHECK(strstr(err, "contains itself"));
	}
	nested_schema(schema, sizeof(schema), LYB_SCHEMA_DEPTH_MAX);
	CHECK_RC(check(schema, err, sizeof(err)), 0);
	CHECK_RC(decoder(schema, err, sizeof(err)), 0);
	nested_schema(schema, sizeof(schema), LYB_SCHEMA_DEPTH_MAX + 1);
	CHECK_RC(check(schema, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "nested deeper than 32 levels"));
	CHECK_RC(decoder(schema, err, sizeof(err)), -EOVERFLOW);

	/* a type reused at every level: 2^30 paths, walked in 30 steps;
	 * its depth is counted where it is reused, too */
	lyb_buf_init(&b, 1 << 20);
	lyb_buf_addstr(&b, "{\"type\":\"record\",\"name\":\"R0\",\"fields\":"
			   "[{\"name\":\"x\",\"type\":\"int\"}]}");
	for (i = 1; i <= 30; i++) {
		struct lyb_buf n;

		lyb_buf_init(&n, 1 << 20);
		lyb_buf_printf(&n,
			       "{\"type\":\"record\",\"name\":\"R%zu\","
			       "\"fields\":[{\"name\":\"a\",\"type\":%s},"
			       "{\"name\":\"b\",\"type\":\"R%zu\"}]}",
			       i, b.data, i - 1);
		lyb_buf_free(&b);
		b = n;
	}
	CHECK_RC(check(b.data, err, sizeof(err)), 0);
	lyb_buf_free(&b);
	/* R1 defined deep, then reused at the top past the limit */
	nested_schema(schema, sizeof(schema), LYB_SCHEMA_DEPTH_MAX);
	{
		char two[20000];

		snprintf(two, sizeof(two),
			 "{\"type\":\"record\",\"name\":\"Top\",\"fields\":["
			 "{\"name\":\"deep\",\"type\":%s},"
			 "{\"name\":\"again\",\"type\":{\"type\":\"array\","
			 "\"items\":\"D1\"}}]}",
			 schema);
		CHECK_RC(check(two, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "nested deeper"));
	}
	/* a fixed of negative size: avro-c parses it, then would crash */
	CHECK_RC(decoder("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", err,
			 sizeof(err)),
		 -EBADMSG);
}

static void test_block_limits(void)
{
	unsigned char hdr[20];
	struct avro_file *f = malloc(sizeof(*f));
	struct lyb_buf name;
	char schema[4096], err[512];
	int64_t count, size, rows;
	size_t hdrlen, n, lines = 0;

	CHECK_RC(lyb_avro_records_max(0), LYB_AVRO_RECORDS_FREE);
	CHECK_RC(lyb_avro_records_max(10), 10 * 1024 + 1024);
	CHECK(lyb_avro_records_max(INT64_MAX) > 0);
	CHECK(lyb_avro_json_max(0) == LYB_AVRO_JSON_FREE);
	CHECK(lyb_avro_json_max(100) == 100 * 4096 + LYB_AVRO_JSON_FREE);
	CHECK(lyb_avro_json_max(INT64_MAX) == LYB_AVRO_BLOCK_JSON_MAX);

	/* the block header of issue 12: 4e8 records in 0 bytes */
	f->len = 0;
	avro_put_long(f, 400000000);
	avro_put_long(f, 0);
	memcpy(hdr, f->b, f->len);
	CHECK_RC(lyb_avro_block_parse(hdr, f->len, &count, &size, &hdrlen),
		 -ERANGE);
	CHECK(count == 400000000 && size == 0);

	/* ... in a file: refused by the walk, the count and the decoder */
	avro_header(f, "{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}",
		    NULL);
	avro_block(f, 400000000, "", 0);
	CHECK_RC(lyb_avro_count(avro_file_read, f, f->len, &rows, err,
				sizeof(err)),
		 -EBADMSG);
	CHECK(strstr(err, "block 0 at offset "));
	CHECK(strstr(err, "claims 400000000 records in 0 bytes"));
	CHECK_RC(lyb_decode_avro(avro_file_read, f, f->len, LYB_JSON_AVRO,
				 count_lines, &lines, err, sizeof(err)),
		 -EBADMSG);
	CHECK(lines == 0);

	/* at the limit, empty records decode */
	avro_header(f, "{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}",
		    NULL);
	avro_block(f, LYB_AVRO_RECORDS_FREE, "", 0);
	lines = 0;
	CHECK_RC(lyb_decode_avro(avro_file_read, f, f->len, LYB_JSON_AVRO,
				 count_lines, &lines, err, sizeof(err)),
		 0);
	CHECK(lines == LYB_AVRO_RECORDS_FREE);

	/* records of no bytes but long JSON: past the JSON per block byte */
	lyb_buf_init(&name, 1 << 20);
	for (n = 0; n < 2000; n++)
		lyb_buf_addstr(&name, "x");
	snprintf(schema, sizeof(schema),
		 "{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":"
		 "\"%s\",\"type\":\"null\"}]}",
		 name.data);
	lyb_buf_free(&name);
	avro_header(f, schema, NULL);
	avro_block(f, LYB_AVRO_RECORDS_FREE, "", 0);
	lines = 0;
	CHECK_RC(lyb_decode_avro(avro_file_read, f, f->len, LYB_JSON_AVRO,
				 count_lines, &lines, err, sizeof(err)),
		 -EOVERFLOW);
	CHECK(strstr(err, "block 0 (offset "));
	CHECK(strstr(err, "bytes of JSON from 0 bytes"));
	CHECK(lines > 0 && lines < LYB_AVRO_RECORDS_FREE);

	/* a recursive writer schema: no data is handed to avro-c */
	avro_header(f,
		    "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{"
		    "\"name\":\"next\",\"type\":[\"null\",\"L\"]}]}",
		    NULL);
	avro_block(f, 1, "\x02\x02\x00", 3);
	lines = 0;
	CHECK_RC(lyb_decode_avro(avro_file_read, f, f->len, LYB_JSON_AVRO,
				 count_lines, &lines, err, sizeof(err)),
		 -EOVERFLOW);
	CHECK(strstr(err, "contains itself"));
	free(f);
}

int main(void)
{
	test_schema_bound();
	test_block_limits();
	return check_failures ? 1 : 0;
}
