// SPDX-License-Identifier: Apache-2.0
/*
 * test_export.c - Snowflake unload files (export.c): format detection
 * from names, and row counting, table driven: JSON lines (blank and
 * space-only lines are not rows, a last line without its newline is),
 * CSV (the header row, quoted newlines and escaped quotes, CRLF, an
 * unterminated quote), the same texts gzip-compressed (detected by magic,
 * one member or several), corrupt gzip, and a file shorter than its size.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "lyb/export.h"

struct mem {
	const unsigned char *data;
	size_t len;
};

static int mem_read(void *arg, uint64_t off, void *buf, size_t len, size_t *got)
{
	const struct mem *m = arg;

	*got = off < m->len ? m->len - (size_t)off : 0;
	if (*got > len)
		*got = len;
	if (*got)
		memcpy(buf, m->data + off, *got);
	return 0;
}

static void test_detect(void)
{
	static const struct {
		const char *name;
		int rc;
		enum lyb_export_format format;
		int gzip;
	} v[] = {
		{"data_0_0_0.json", 0, LYB_EXPORT_JSON, 0},
		{"data_0_0_0.json.gz", 0, LYB_EXPORT_JSON, 1},
		{"x.jsonl", 0, LYB_EXPORT_JSON, 0},
		{"x.ndjson.gz", 0, LYB_EXPORT_JSON, 1},
		{"a/b/x.csv", 0, LYB_EXPORT_CSV, 0},
		{"x.csv.gz", 0, LYB_EXPORT_CSV, 1},
		{".json", -EINVAL, 0, 0}, /* no name before the suffix */
		{".csv.gz", -EINVAL, 0, 1},
		{".gz", -EINVAL, 0, 1},
		{"", -EINVAL, 0, 0},
		{"x.gz", -EINVAL, 0, 1},
		{"x.avro", -EINVAL, 0, 0},
		{"x.JSON", -EINVAL, 0, 0},
		{"x.json.gz.tmp", -EINVAL, 0, 0},
		{"x.csvx", -EINVAL, 0, 0},
	};
	enum lyb_export_format format;
	size_t i;
	int gzip, rc;

	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		format = (enum lyb_export_format)7;
		gzip = 7;
		rc = lyb_export_detect(v[i].name, &format, &gzip);
		if (rc != v[i].rc || gzip != v[i].gzip ||
		    (rc == 0 && format != v[i].format)) {
			fprintf(stderr, "detect \"%s\": %d format %d gzip %d\n",
				v[i].name, rc, (int)format, gzip);
			check_failures++;
		}
	}
	CHECK_STR(lyb_export_format_name(LYB_EXPORT_JSON), "json");
	CHECK_STR(lyb_export_format_name(LYB_EXPORT_CSV), "csv");
}

static const struct count_case {
	enum lyb_export_format format;
	const char *text;
	int rc;
	int64_t rows;
} counts[] = {
	{LYB_EXPORT_JSON, "", 0, 0},
	{LYB_EXPORT_JSON, "{\"a\":1}\n", 0, 1},
	{LYB_EXPORT_JSON, "{\"a\":1}\n{\"a\":2}\n", 0, 2},
	{LYB_EXPORT_JSON, "{\"a\":1}\n{\"a\":2}", 0, 2}, /* no last newline */
	{LYB_EXPORT_JSON, "\n\n{}\n\n", 0, 1},
	{LYB_EXPORT_JSON, "   \n \r\n{}\r\n", 0, 1},
	{LYB_EXPORT_JSON, "{\"s\":\"a\\\"b\"}\n", 0, 1},
	{LYB_EXPORT_JSON, "  ", 0, 0},
	{LYB_EXPORT_CSV, "", 0, 0},
	{LYB_EXPORT_CSV, "a,b\n", 0, 0}, /* the header alone */
	{LYB_EXPORT_CSV, "a,b\n1,2\n3,4\n", 0, 2},
	{LYB_EXPORT_CSV, "a,b\n1,2\n3,4", 0, 2},
	{LYB_EXPORT_CSV, "a,b\r\n1,2\r\n", 0, 1},
	{LYB_EXPORT_CSV, "a,b\n\"x\ny\",2\n", 0, 1}, /* a quoted newline */
	{LYB_EXPORT_CSV, "a,b\n\"x\"\"\ny\",2\n3,4\n", 0, 2},
	{LYB_EXPORT_CSV, "a\n \n", 0, 1}, /* a space is a CSV value */
	{LYB_EXPORT_CSV, "a,b\n\"x\n", -EBADMSG, 0},
};

/* The CRC-32 gzip's trailer carries (IEEE 802.3, reflected). */
static uint32_t crc32_ieee(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

/*
 * @text as one gzip member, or as one member per line with @split, built
 * by hand (stored deflate blocks) so that the test needs no zlib.
 */
static size_t gzip_of(const char *text, int split, unsigned char *out,
		      size_t cap)
{
	static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0,
					       0,    0,	   0, 0, 0xff};
	const char *p = text, *end = text + strlen(text), *stop;
	size_t len = 0, n;
	uint32_t crc;

	do {
		stop = split && strchr(p, '\n') ? strchr(p, '\n') + 1 : end;
		n = (size_t)(stop - p);
		if (len + sizeof(head) + 5 + n + 8 > cap || n > 0xffff)
			return 0;
		memcpy(out + len, head, sizeof(head));
		len += sizeof(head);
		out[len++] = 1; /* BFINAL, stored */
		out[len++] = (unsigned char)n;
		out[len++] = (unsigned char)(n >> 8);
		out[len++] = (unsigned char)~n;
		out[len++] = (unsigned char)(~n >> 8);
		memcpy(out + len, p, n);
		len += n;
		crc = crc32_ieee((const unsigned char *)p, n);
		out[len++] = (unsigned char)crc;
		out[len++] = (unsigned char)(crc >> 8);
		out[len++] = (unsigned char)(crc >> 16);
		out[len++] = (unsigned char)(crc >> 24);
		out[len++] = (unsigned char)n;
		out[len++] = (unsigned char)(n >> 8);
		out[len++] = 0;
		out[len++] = 0;
		p = stop;
	} while (p < end);
	return len;
}

static void test_count(void)
{
	unsigned char gz[1024];
	struct mem m;
	char err[256];
	int64_t rows;
	size_t i;
	int split, rc;

	for (i = 0; i < sizeof(counts) / sizeof(*counts); i++) {
		const struct count_case *c = &counts[i];

		m.data = (const unsigned char *)c->text;
		m.len = strlen(c->text);
		rows = -1;
		rc = lyb_export_count_rows(mem_read, &m, m.len, c->format,
					   &rows, err, sizeof(err));
		if (rc != c->rc || (rc == 0 && rows != c->rows)) {
			fprintf(stderr, "count %s \"%s\": %d rows %lld\n",
				lyb_export_format_name(c->format), c->text, rc,
				(long long)rows);
			check_failures++;
		}
		if (!*c->text)
			continue;
		for (split = 0; split < 2; split++) {
			m.data = gz;
			m.len = gzip_of(c->text, split, gz, sizeof(gz));
			CHECK(m.len > 0);
			rows = -1;
			rc = lyb_export_count_rows(mem_read, &m, m.len,
						   c->format, &rows, err,
						   sizeof(err));
			if (rc != c->rc || (rc == 0 && rows != c->rows)) {
				fprintf(stderr,
					"count gzip%s %s \"%s\": %d rows "
					"%lld\n",
					split ? " (a member a line)" : "",
					lyb_export_format_name(c->format),
					c->text, rc, (long long)rows);
				check_failures++;
			}
		}
	}
	CHECK_RC(lyb_export_count_rows(mem_read, &m, m.len, LYB_EXPORT_CSV,
				       &rows, err, sizeof(err)),
		 -EBADMSG);
	CHECK_STR(err, "unterminated quoted CSV field");

	/* corrupt and truncated gzip */
	m.data = gz;
	m.len = gzip_of("{}\n{}\n", 0, gz, sizeof(gz));
	gz[m.len - 6] ^= 0xff; /* the CRC-32 no longer matches */
	CHECK_RC(lyb_export_count_rows(mem_read, &m, m.len, LYB_EXPORT_JSON,
				       &rows, err, sizeof(err)),
		 -EBADMSG);
	CHECK(strncmp(err, "corrupt gzip data", 17) == 0);
	m.len = gzip_of("{}\n{}\n", 0, gz, sizeof(gz));
	m.len -= 5;
	CHECK_RC(lyb_export_count_rows(mem_read, &m, m.len, LYB_EXPORT_JSON,
				       &rows, err, sizeof(err)),
		 -EBADMSG);

	/* the store has fewer bytes than the catalog says */
	m.data = (const unsigned char *)"{}\n";
	m.len = 3;
	CHECK_RC(lyb_export_count_rows(mem_read, &m, 10, LYB_EXPORT_JSON, &rows,
				       err, sizeof(err)),
		 -EBADMSG);
	CHECK_STR(err, "shorter than its size");
}

int main(void)
{
	test_detect();
	test_count();
	return check_failures ? 1 : 0;
}
