// SPDX-License-Identifier: Apache-2.0
/*
 * test_avro.c - the Avro container framing (avro.c) on small hand-made
 * byte strings: header parsing (schema, codec, sync, data start; "need
 * more" with a length that will do; what is not a header), block headers
 * (zig-zag longs, bounds, the records-per-byte cap), walking a file block
 * by block with exact offsets and sizes, counting records, and the
 * truncations and sync mismatches that make a file malformed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "avro_file.h"
#include "check.h"
#include "lyb/avro.h"

static struct avro_file f;

static void test_header(void)
{
	struct lyb_avro_header h;
	char err[256];
	size_t need = 0, len;

	avro_header(&f, AVRO_LONGS, NULL);
	len = f.len;
	CHECK_RC(lyb_avro_header_parse(f.b, len, &h, &need, err, sizeof(err)),
		 0);
	CHECK_STR(h.schema, AVRO_LONGS);
	CHECK_RC(h.schema_len, strlen(AVRO_LONGS));
	CHECK_STR(h.codec, "null"); /* none named */
	CHECK(memcmp(h.sync, avro_sync, 16) == 0);
	CHECK_RC(h.data_start, len);
	lyb_avro_header_clear(&h);
	CHECK(h.schema == NULL);

	avro_header(&f, AVRO_LONGS, "deflate");
	CHECK_RC(lyb_avro_header_parse(f.b, f.len, &h, &need, err, sizeof(err)),
		 0);
	CHECK_STR(h.codec, "deflate");
	CHECK_RC(h.data_start, f.len);
	lyb_avro_header_clear(&h);

	/* every proper prefix needs more; the length asked for will do */
	for (len = 0; len < f.len; len++) {
		need = 0;
		if (lyb_avro_header_parse(f.b, len, &h, &need, err,
					  sizeof(err)) != -EAGAIN ||
		    need < f.len || need > LYB_AVRO_MAX_HEADER) {
			fprintf(stderr, "header prefix of %zu: need %zu\n", len,
				need);
			check_failures++;
			break;
		}
	}
	CHECK_RC(need, 64u << 10);

	/* not headers */
	CHECK_RC(lyb_avro_header_parse("Obj\x02", 4, &h, &need, err,
				       sizeof(err)),
		 -EBADMSG);
	CHECK_STR(err, "not an Avro container (bad magic)");
	avro_header(&f, AVRO_LONGS, NULL);
	memcpy(f.b + 6, "avro.schemx", 11); /* the only key renamed */
	CHECK_RC(lyb_avro_header_parse(f.b, f.len, &h, &need, err, sizeof(err)),
		 -EBADMSG);
	CHECK_STR(err, "header: no avro.schema");
	avro_header(&f, AVRO_LONGS, "a-codec-name-of-more-than-31-bytes");
	CHECK_RC(lyb_avro_header_parse(f.b, f.len, &h, &need, err, sizeof(err)),
		 -EBADMSG);
	CHECK_STR(err, "header: codec name too long");
	/* a negative key length */
	f.len = 0;
	avro_put(&f, "Obj\x01", 4);
	avro_put_long(&f, 1);
	avro_put_long(&f, -3);
	CHECK_RC(lyb_avro_header_parse(f.b, f.len, &h, &need, err, sizeof(err)),
		 -EBADMSG);
	CHECK_STR(err, "header: bad metadata key length");
	/* a varint of more than 64 bits */
	f.len = 0;
	avro_put(&f, "Obj\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 15);
	CHECK_RC(lyb_avro_header_parse(f.b, f.len, &h, &need, err, sizeof(err)),
		 -EBADMSG);
	CHECK_STR(err, "header: bad varint");
}

static void test_block_header(void)
{
	static const struct {
		unsigned char b[12];
		size_t len;
		int rc;
		int64_t count, size;
		size_t hdrlen;
	} v[] = {
		{{0x00, 0x00}, 2, 0, 0, 0, 2},
		{{0x06, 0x0a}, 2, 0, 3, 5, 2},
		{{0x80, 0x01, 0x02}, 3, 0, 64, 1, 3},
		{{0x06}, 1, -EAGAIN, 0, 0, 0},
		{{0x80}, 1, -EAGAIN, 0, 0, 0},
		{{0x01, 0x02}, 2, -EBADMSG, 0, 0, 0}, /* count -1 */
		{{0x02, 0x01}, 2, -EBADMSG, 0, 0, 0}, /* size -1 */
		/* size 2^31 + 1: larger than a block may be */
		{{0x02, 0x82, 0x80, 0x80, 0x80, 0x10}, 6, -EBADMSG, 0, 0, 0},
		/* 1025 records in 0 bytes: one more than the free allowance */
		{{0x82, 0x10, 0x00}, 3, -ERANGE, 1025, 0, 0},
		{{0x80, 0x10, 0x00}, 3, 0, 1024, 0, 3},
	};
	int64_t count, size;
	size_t i, hdrlen;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		count = size = -7;
		hdrlen = 0;
		rc = lyb_avro_block_parse(v[i].b, v[i].len, &count, &size,
					  &hdrlen);
		if (rc != v[i].rc ||
		    (rc == 0 && (count != v[i].count || size != v[i].size ||
				 hdrlen != v[i].hdrlen)) ||
		    (rc == -ERANGE && count != v[i].count)) {
			fprintf(stderr,
				"block header %zu: rc %d count %lld size %lld "
				"hdrlen %zu\n",
				i, rc, (long long)count, (long long)size,
				hdrlen);
			check_failures++;
		}
	}
	/* the caps' arithmetic */
	CHECK_RC(lyb_avro_records_max(-1), LYB_AVRO_RECORDS_FREE);
	CHECK_RC(lyb_avro_records_max(0), 1024);
	CHECK_RC(lyb_avro_records_max(10), 10 * 1024 + 1024);
	CHECK_RC(lyb_avro_records_max(INT64_MAX),
		 LYB_AVRO_MAX_BLOCK * 1024 + 1024);
	CHECK(lyb_avro_json_max(0) == LYB_AVRO_JSON_FREE);
	CHECK(lyb_avro_json_max(-5) == LYB_AVRO_JSON_FREE);
	CHECK(lyb_avro_json_max(100) == 100 * 4096 + LYB_AVRO_JSON_FREE);
	CHECK(lyb_avro_json_max(INT64_MAX) == LYB_AVRO_BLOCK_JSON_MAX);
}

/* Walks @f; returns what lyb_avro_next ended with, blocks in @out. */
static int walk(struct lyb_avro_block *out, size_t *n, char *err, size_t errlen)
{
	struct lyb_avro_file af;
	int rc;

	*n = 0;
	rc = lyb_avro_open(avro_file_read, &f, f.len, &af, err, errlen);
	if (rc)
		return rc;
	CHECK_RC(af.off, f.data_start);
	while ((rc = lyb_avro_next(&af, &out[*n], err, errlen)) == 0)
		++*n;
	lyb_avro_close(&af);
	return rc;
}

static void test_walk(void)
{
	struct lyb_avro_block b[8];
	struct avro_file none = {.len = 0};
	char err[256], want[64];
	int64_t rows = -1;
	size_t n, i, full;

	avro_header(&f, AVRO_LONGS, NULL);
	avro_block_longs(&f, 0, 3);   /* 3 one-byte longs */
	avro_block(&f, 0, none.b, 0); /* empty */
	avro_block_longs(&f, 64, 74); /* 10 two-byte longs */
	full = f.len;
	CHECK_RC(walk(b, &n, err, sizeof(err)), 1);
	CHECK_RC(n, 3);
	for (i = 0; i < n && i < 3; i++) {
		CHECK_RC(b[i].index, i);
		CHECK_RC(b[i].off, f.block_off[i]);
	}
	CHECK(b[0].count == 3 && b[0].size == 3 && b[0].hdrlen == 2);
	CHECK_RC(b[0].total, 2 + 3 + 16);
	CHECK(b[1].count == 0 && b[1].size == 0 && b[1].total == 18);
	CHECK(b[2].count == 10 && b[2].size == 20 && b[2].total == 38);
	CHECK_RC(b[2].off + b[2].total, full);
	CHECK_RC(lyb_avro_count(avro_file_read, &f, f.len, &rows, err,
				sizeof(err)),
		 0);
	CHECK_RC(rows, 13);

	/* a header alone: no blocks, no rows */
	f.len = f.data_start;
	CHECK_RC(walk(b, &n, err, sizeof(err)), 1);
	CHECK_RC(n, 0);
	CHECK_RC(lyb_avro_count(avro_file_read, &f, f.len, &rows, err,
				sizeof(err)),
		 0);
	CHECK_RC(rows, 0);

	/* cut anywhere inside a block: malformed, naming the block */
	for (f.len = f.block_off[2] + 1; f.len < full; f.len++) {
		CHECK_RC(walk(b, &n, err, sizeof(err)), -EBADMSG);
		CHECK_RC(n, 2);
	}
	CHECK(strstr(err, "block 2 at offset") != NULL);
	f.len = full;
	CHECK_RC(lyb_avro_count(avro_file_read, &f, full - 1, &rows, err,
				sizeof(err)),
		 -EBADMSG);

	/* a sync marker that does not match the header's */
	f.b[full - 1] ^= 1;
	CHECK_RC(walk(b, &n, err, sizeof(err)), -EBADMSG);
	CHECK_RC(n, 2);
	snprintf(want, sizeof(want),
		 "block 2 at offset %zu: sync marker mismatch", f.block_off[2]);
	CHECK_STR(err, want);
	f.b[full - 1] ^= 1;

	/* a header cut short is not a header */
	CHECK_RC(lyb_avro_count(avro_file_read, &f, f.data_start - 1, &rows,
				err, sizeof(err)),
		 -EBADMSG);
	CHECK_STR(err, "truncated header");
}

int main(void)
{
	test_header();
	test_block_header();
	test_walk();
	return check_failures ? 1 : 0;
}
