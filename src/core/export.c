// SPDX-License-Identifier: Apache-2.0
/*
 * export.c - Snowflake unload files: format detection and row counting,
 * streamed in chunks (gzip inflated with zlib as it goes, never held whole).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "lyb/export.h"

#define CHUNK (256u << 10)

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int lyb_export_detect(const char *name, enum lyb_export_format *format,
		      int *gzip)
{
	static const struct {
		const char *suffix;
		enum lyb_export_format format;
	} kinds[] = {{".json", LYB_EXPORT_JSON},
		     {".jsonl", LYB_EXPORT_JSON},
		     {".ndjson", LYB_EXPORT_JSON},
		     {".csv", LYB_EXPORT_CSV}};
	char base[64];
	size_t i, n = strlen(name);

	*gzip = ends_with(name, ".gz");
	if (*gzip)
		n -= 3;
	if (n == 0)
		return -EINVAL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t m = strlen(kinds[i].suffix);

		if (n > m && m < sizeof(base) &&
		    memcmp(name + n - m, kinds[i].suffix, m) == 0) {
			*format = kinds[i].format;
			return 0;
		}
	}
	return -EINVAL;
}

const char *lyb_export_format_name(enum lyb_export_format format)
{
	return format == LYB_EXPORT_CSV ? "csv" : "json";
}

/* Counts records in decompressed text, carrying state between chunks. */
struct counter {
	enum lyb_export_format format;
	int64_t records;
	int in_line;  /* bytes seen since the last record end */
	int in_quote; /* CSV: inside a double-quoted field */
};

static void count_text(struct counter *c, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = p[i];

		if (c->format == LYB_EXPORT_CSV && ch == '"') {
			/* "" inside quotes toggles twice: an escaped quote */
			c->in_quote = !c->in_quote;
			c->in_line = 1;
		} else if (ch == '\n' && !c->in_quote) {
			if (c->in_line)
				c->records++;
			c->in_line = 0;
		} else if (ch != '\r' &&
			   (c->format == LYB_EXPORT_CSV || ch != ' ')) {
			c->in_line = 1;
		}
	}
}

int lyb_export_count_rows(lyb_read_fn read, void *arg, uint64_t size,
			  enum lyb_export_format format, int64_t *rows,
			  char *err, size_t errlen)
{
	struct counter c = {.format = format};
	unsigned char *in = malloc(CHUNK), *out = malloc(CHUNK);
	z_stream z = {0};
	uint64_t off = 0;
	int gzip = -1, zrc = Z_OK, rc = 0, zinit = 0;

	if (!in || !out) {
		rc = -ENOMEM;
		goto out_free;
	}
	while (off < size) {
		size_t got;

		rc = read(arg, off, in, CHUNK, &got);
		if (rc)
			goto out_free;
		if (got == 0) {
			snprintf(err, errlen, "shorter than its size");
			rc = -EBADMSG;
			goto out_free;
		}
		if (gzip < 0) {
			gzip = got >= 2 && in[0] == 0x1f && in[1] == 0x8b;
			if (gzip) {
				if (inflateInit2(&z, 15 + 32) != Z_OK) {
					rc = -ENOMEM;
					goto out_free;
				}
				zinit = 1;
			}
		}
		off += got;
		if (!gzip) {
			count_text(&c, in, got);
			continue;
		}
		z.next_in = in;
		z.avail_in = (uInt)got;
		while (z.avail_in > 0) {
			if (zrc == Z_STREAM_END) {
				/* another gzip member follows */
				if (inflateReset(&z) != Z_OK)
					goto out_corrupt;
			}
			z.next_out = out;
			z.avail_out = CHUNK;
			zrc = inflate(&z, Z_NO_FLUSH);
			if (zrc != Z_OK && zrc != Z_STREAM_END &&
			    zrc != Z_BUF_ERROR)
				goto out_corrupt;
			count_text(&c, out, CHUNK - z.avail_out);
			if (zrc == Z_BUF_ERROR && z.avail_out == CHUNK)
				goto out_corrupt;
		}
	}
	if (gzip > 0) {
		/* drain what inflate still holds */
		while (zrc == Z_OK) {
			z.next_out = out;
			z.avail_out = CHUNK;
			zrc = inflate(&z, Z_FINISH);
			count_text(&c, out, CHUNK - z.avail_out);
			if (zrc == Z_BUF_ERROR && z.avail_out == CHUNK)
				break;
		}
		if (zrc != Z_STREAM_END)
			goto out_corrupt;
	}
	if (c.in_line)
		c.records++; /* a last line without its newline */
	if (c.in_quote) {
		snprintf(err, errlen, "unterminated quoted CSV field");
		rc = -EBADMSG;
		goto out_free;
	}
	if (format == LYB_EXPORT_CSV && c.records > 0)
		c.records--; /* the header row */
	*rows = c.records;
	goto out_free;
out_corrupt:
	snprintf(err, errlen, "corrupt gzip data%s%s", z.msg ? ": " : "",
		 z.msg ? z.msg : "");
	rc = -EBADMSG;
out_free:
	if (zinit)
		inflateEnd(&z);
	free(in);
	free(out);
	return rc;
}
