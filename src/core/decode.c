// SPDX-License-Identifier: Apache-2.0
/*
 * decode.c - records as JSON lines (see decode.h).
 *
 * Avro: avro-c decodes; to decode one block without reading the whole
 * file, the header's bytes and that block are put together in memory and
 * handed to avro-c's file reader through fmemopen(3), so every codec
 * avro-c knows (null, deflate, snappy, lzma) works through its public
 * API. The JSON encoder is ours, so that its choices are the documented
 * ones.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <zlib.h>

#include "lyb/decode.h"

#define DEPTH_MAX 64
#define LINE_MAX_BYTES (64u << 20) /* one record's JSON, or one CSV record */
#define CHUNK (256u << 10)
#define CSV_COLUMNS_MAX 4096

static int failf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/*
 * avro-c's allocator, with a cap. avro-c takes string, bytes and codec
 * lengths from the file and asks for that much memory before it reads the
 * bytes (1.11's read_string: malloc(len + 1) for any len in the data), so
 * a corrupt length asked for up to 2^64 bytes. Nothing avro-c allocates
 * for a valid file is larger than the largest block we accept; a larger
 * request is refused, and avro-c reports it as a decoding error.
 */
static void *avro_capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	(void)osize;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	if (nsize > (size_t)LYB_AVRO_MAX_BLOCK)
		return NULL;
	return realloc(ptr, nsize);
}

/* before main(), so no thread can be inside avro-c while it changes */
__attribute__((constructor)) static void avro_alloc_init(void)
{
	avro_set_allocator(avro_capped_alloc, NULL);
}

/* A JSON string of @len bytes; @latin1 maps each byte to U+00XX. */
static int json_string(struct lyb_buf *b, const char *s, size_t len, int latin1)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	int rc = lyb_buf_add(b, "\"", 1);

	for (i = 0; i < len && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = "\\u00";

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			rc = lyb_buf_add(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f || (latin1 && c >= 0x80)) {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			rc = lyb_buf_add(b, esc, 6);
		} else {
			rc = lyb_buf_add(b, &s[i], 1);
		}
	}
	return rc ? rc : lyb_buf_add(b, "\"", 1);
}

/* The shortest decimal that reads back as exactly @d (as Python's repr). */
static int json_double(struct lyb_buf *b, double d)
{
	char text[32];
	int digits;

	if (isnan(d))
		return lyb_buf_addstr(b, "\"NaN\"");
	if (isinf(d))
		return lyb_buf_addstr(b,
				      d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	for (digits = 15; digits <= 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, d);
		if (strtod(text, NULL) == d)
			break;
	}
	/* keep it a JSON number that reads as a float: 1 -> 1.0 */
	if (!strpbrk(text, ".eEn"))
		return lyb_buf_printf(b, "%s.0", text);
	return lyb_buf_addstr(b, text);
}

/* The full name of a union branch's type, for {"name": value}. */
static int branch_name(struct lyb_buf *b, avro_schema_t s)
{
	const char *name = avro_schema_type_name(s), *ns = NULL;

	if (is_avro_named_type(s))
		ns = avro_schema_namespace(s);
	if (ns && *ns)
		return lyb_buf_printf(b, "\"%s.%s\":", ns, name);
	return lyb_buf_printf(b, "\"%s\":", name);
}

static int encode(struct lyb_buf *b, avro_value_t *v, int depth)
{
	avro_value_t child;
	const char *name;
	const void *p;
	size_t size, i;
	int32_t i32;
	int64_t i64;
	double d;
	float f;
	int rc = 0, e;

	if (depth > DEPTH_MAX)
		return -EBADMSG;
	switch (avro_value_get_type(v)) {
	case AVRO_NULL:
		return lyb_buf_addstr(b, "null");
	case AVRO_BOOLEAN:
		avro_value_get_boolean(v, &e);
		return lyb_buf_addstr(b, e ? "true" : "false");
	case AVRO_INT32:
		avro_value_get_int(v, &i32);
		return lyb_buf_printf(b, "%d", (int)i32);
	case AVRO_INT64:
		avro_value_get_long(v, &i64);
		return lyb_buf_printf(b, "%lld", (long long)i64);
	case AVRO_FLOAT:
		avro_value_get_float(v, &f);
		return json_double(b, (double)f);
	case AVRO_DOUBLE:
		avro_value_get_double(v, &d);
		return json_double(b, d);
	case AVRO_STRING:
		avro_value_get_string(v, (const char **)&p, &size);
		return json_string(b, p, size ? size - 1 : 0, 0);
	case AVRO_BYTES:
		avro_value_get_bytes(v, &p, &size);
		return json_string(b, p, size, 1);
	case AVRO_FIXED:
		avro_value_get_fixed(v, &p, &size);
		return json_string(b, p, size, 1);
	case AVRO_ENUM:
		avro_value_get_enum(v, &e);
		name = avro_schema_enum_get(avro_value_get_schema(v), e);
		return json_string(b, name ? name : "", name ? strlen(name) : 0,
				   0);
	case AVRO_ARRAY:
	case AVRO_MAP:
	case AVRO_RECORD:
		avro_value_get_size(v, &size);
		rc = lyb_buf_addstr(
			b, avro_value_get_type(v) == AVRO_ARRAY ? "[" : "{");
		for (i = 0; i < size && rc == 0; i++) {
			name = NULL;
			if (avro_value_get_by_index(v, i, &child, &name))
				return -EBADMSG;
			if (i)
				rc = lyb_buf_addstr(b, ",");
			if (rc == 0 && name) {
				rc = json_string(b, name, strlen(name), 0);
				if (rc == 0)
					rc = lyb_buf_addstr(b, ":");
			}
			if (rc == 0)
				rc = encode(b, &child, depth + 1);
		}
		if (rc)
			return rc;
		return lyb_buf_addstr(
			b, avro_value_get_type(v) == AVRO_ARRAY ? "]" : "}");
	case AVRO_UNION:
		if (avro_value_get_current_branch(v, &child))
			return -EBADMSG;
		if (avro_value_get_type(&child) == AVRO_NULL)
			return lyb_buf_addstr(b, "null");
		if ((rc = lyb_buf_addstr(b, "{")) ||
		    (rc = branch_name(b, avro_value_get_schema(&child))) ||
		    (rc = encode(b, &child, depth + 1)))
			return rc;
		return lyb_buf_addstr(b, "}");
	default:
		return -EBADMSG;
	}
}

/*
 * avro-c 1.11 accepts a fixed type of negative size in a writer schema
 * and then crashes building a value class for it; such a schema is
 * refused here first. Named-type references (links) are not followed:
 * the named type was checked where it was defined.
 */
static int schema_sane(avro_schema_t s, int depth)
{
	size_t i, n;

	if (!s || depth > DEPTH_MAX)
		return 0;
	switch (avro_typeof(s)) {
	case AVRO_FIXED:
		return avro_schema_fixed_size(s) >= 0;
	case AVRO_RECORD:
		n = avro_schema_record_size(s);
		for (i = 0; i < n; i++)
			if (!schema_sane(avro_schema_record_field_get_by_index(
						 s, (int)i),
					 depth + 1))
				return 0;
		return 1;
	case AVRO_ARRAY:
		return schema_sane(avro_schema_array_items(s), depth + 1);
	case AVRO_MAP:
		return schema_sane(avro_schema_map_values(s), depth + 1);
	case AVRO_UNION:
		n = avro_schema_union_size(s);
		for (i = 0; i < n; i++)
			if (!schema_sane(avro_schema_union_branch(s, (int)i),
					 depth + 1))
				return 0;
		return 1;
	default:
		return 1;
	}
}

/* One file's decoding state: avro-c's class and value, made once. */
struct avro_decoder {
	avro_value_iface_t *iface;
	avro_value_t value;
	struct lyb_buf line;
};

/*
 * Decodes one block: @mem holds the header's bytes, then the block.
 * avro-c 1.11 leaks the writer schema of every generic class it makes
 * (the class keeps a reference it never drops), so the class is made
 * once per file, from the first block's reader, not once per block.
 */
static int decode_block(struct avro_decoder *dec, char *mem, size_t len,
			uint64_t block, lyb_line_cb cb, void *cbarg, char *err,
			size_t errlen)
{
	avro_file_reader_t reader = NULL;
	FILE *fp;
	int rc = 0, r;

	fp = fmemopen(mem, len, "rb");
	if (!fp)
		return -errno;
	/* from here avro-c owns @fp and closes it, on failure too */
	if (avro_file_reader_fp(fp, "block", 1, &reader))
		return failf(err, errlen, "block %llu: %s",
			     (unsigned long long)block, avro_strerror());
	if (!dec->iface) {
		if (!schema_sane(avro_file_reader_get_writer_schema(reader),
				 0)) {
			rc = failf(err, errlen,
				   "writer schema: a fixed type of negative "
				   "size, or nested too deep");
			goto out_reader;
		}
		dec->iface = avro_generic_class_from_schema(
			avro_file_reader_get_writer_schema(reader));
		if (!dec->iface ||
		    avro_generic_value_new(dec->iface, &dec->value)) {
			avro_value_iface_decref(dec->iface);
			dec->iface = NULL;
			rc = failf(err, errlen, "block %llu: %s",
				   (unsigned long long)block, avro_strerror());
			goto out_reader;
		}
	}
	while ((r = avro_file_reader_read_value(reader, &dec->value)) == 0) {
		lyb_buf_reset(&dec->line);
		rc = encode(&dec->line, &dec->value, 0);
		if (rc == 0)
			rc = lyb_buf_add(&dec->line, "\n", 1);
		if (rc) {
			rc = failf(err, errlen,
				   "block %llu: a record could not be encoded",
				   (unsigned long long)block);
			break;
		}
		rc = cb(cbarg, dec->line.data, dec->line.len);
		if (rc)
			break;
	}
	if (rc == 0 && r != EOF)
		rc = failf(err, errlen, "block %llu: %s",
			   (unsigned long long)block, avro_strerror());
out_reader:
	avro_file_reader_close(reader);
	return rc;
}

int lyb_decode_avro(lyb_read_fn read, void *arg, uint64_t size, lyb_line_cb cb,
		    void *cbarg, char *err, size_t errlen)
{
	struct avro_decoder dec = {.iface = NULL};
	struct lyb_avro_file f;
	struct lyb_avro_block b;
	size_t got;
	char *mem = NULL, *grown;
	int rc;

	rc = lyb_avro_open(read, arg, size, &f, err, errlen);
	if (rc)
		return rc;
	lyb_buf_init(&dec.line, LINE_MAX_BYTES);
	/* each block is decoded from the header's bytes followed by it */
	while ((rc = lyb_avro_next(&f, &b, err, errlen)) == 0) {
		grown = realloc(mem, f.h.data_start + b.total);
		if (!grown) {
			rc = -ENOMEM;
			break;
		}
		mem = grown;
		memcpy(mem, f.head, f.h.data_start);
		rc = read(arg, b.off, mem + f.h.data_start, b.total, &got);
		if (rc == 0 && got != b.total)
			rc = failf(err, errlen, "block %llu: truncated",
				   (unsigned long long)b.index);
		if (rc == 0)
			rc = decode_block(&dec, mem, f.h.data_start + b.total,
					  b.index, cb, cbarg, err, errlen);
		if (rc)
			break;
	}
	if (dec.iface) {
		avro_value_decref(&dec.value);
		avro_value_iface_decref(dec.iface);
	}
	lyb_buf_free(&dec.line);
	lyb_avro_close(&f);
	free(mem);
	return rc == 1 ? 0 : rc;
}

/* --- exports --- */

struct splitter {
	enum lyb_export_format format;
	struct lyb_buf field, line, out;
	char **header;
	size_t ncols, col;
	int in_quote, quote_seen, have_header;
	lyb_line_cb cb;
	void *cbarg;
};

static int emit_json_line(struct splitter *s)
{
	size_t n = s->line.len;
	int rc;

	while (n && (s->line.data[n - 1] == '\r' || s->line.data[n - 1] == ' '))
		n--;
	if (n == 0)
		return 0;
	lyb_buf_reset(&s->out);
	rc = lyb_buf_add(&s->out, s->line.data, n);
	if (rc == 0)
		rc = lyb_buf_add(&s->out, "\n", 1);
	return rc ? rc : s->cb(s->cbarg, s->out.data, s->out.len);
}

/* A CSV field ended: keep it as a header name or add it to the object. */
static int end_field(struct splitter *s)
{
	int rc = 0;

	if (!s->have_header) {
		char **h;

		if (s->ncols == CSV_COLUMNS_MAX)
			return -E2BIG;
		h = realloc(s->header, (s->ncols + 1) * sizeof(*h));
		if (!h)
			return -ENOMEM;
		s->header = h;
		h[s->ncols] = lyb_buf_steal(&s->field, NULL);
		lyb_buf_init(&s->field, LINE_MAX_BYTES);
		s->ncols++;
		return h[s->ncols - 1] ? 0 : -ENOMEM;
	}
	if (s->col < s->ncols) {
		rc = lyb_buf_addstr(&s->out, s->col ? "," : "{");
		if (rc == 0)
			rc = json_string(&s->out, s->header[s->col],
					 strlen(s->header[s->col]), 0);
		if (rc == 0)
			rc = lyb_buf_addstr(&s->out, ":");
		if (rc == 0)
			rc = json_string(&s->out,
					 s->field.data ? s->field.data : "",
					 s->field.len, 0);
	}
	s->col++;
	lyb_buf_reset(&s->field);
	return rc;
}

static int end_record(struct splitter *s)
{
	int rc;

	if (s->col == 0 && s->field.len == 0) /* a blank line */
		return 0;
	rc = end_field(s);
	if (rc)
		return rc;
	if (!s->have_header) {
		s->have_header = 1;
	} else if (s->col > 1 || s->out.len > 1) {
		rc = lyb_buf_addstr(&s->out, s->col ? "}\n" : "{}\n");
		if (rc == 0)
			rc = s->cb(s->cbarg, s->out.data, s->out.len);
	}
	s->col = 0;
	lyb_buf_reset(&s->out);
	return rc;
}

static int split(struct splitter *s, const unsigned char *p, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		char c = (char)p[i];

		if (s->format == LYB_EXPORT_JSON) {
			if (c == '\n') {
				rc = emit_json_line(s);
				lyb_buf_reset(&s->line);
			} else {
				rc = lyb_buf_add(&s->line, &c, 1);
			}
			continue;
		}
		if (s->in_quote) {
			if (c == '"') {
				s->in_quote = 0;
				s->quote_seen = 1;
			} else {
				rc = lyb_buf_add(&s->field, &c, 1);
			}
		} else if (c == '"') {
			if (s->quote_seen) /* "" inside quotes */
				rc = lyb_buf_add(&s->field, &c, 1);
			s->in_quote = 1;
		} else if (c == ',') {
			rc = end_field(s);
		} else if (c == '\n') {
			rc = end_record(s);
		} else if (c != '\r') {
			rc = lyb_buf_add(&s->field, &c, 1);
		}
		if (c != '"')
			s->quote_seen = 0;
	}
	return rc;
}

int lyb_decode_export(lyb_read_fn read, void *arg, uint64_t size,
		      enum lyb_export_format format, lyb_line_cb cb,
		      void *cbarg, char *err, size_t errlen)
{
	struct splitter s = {.format = format, .cb = cb, .cbarg = cbarg};
	unsigned char *in = malloc(CHUNK), *out = malloc(CHUNK);
	z_stream z = {0};
	uint64_t off = 0;
	int gzip = -1, zrc = Z_OK, rc = 0;
	size_t i;

	lyb_buf_init(&s.field, LINE_MAX_BYTES);
	lyb_buf_init(&s.line, LINE_MAX_BYTES);
	lyb_buf_init(&s.out, LINE_MAX_BYTES);
	if (!in || !out) {
		rc = -ENOMEM;
		goto out_free;
	}
	while (off < size && rc == 0) {
		size_t got;

		rc = read(arg, off, in, CHUNK, &got);
		if (rc == 0 && got == 0)
			rc = failf(err, errlen, "shorter than its size");
		if (rc)
			break;
		if (gzip < 0) {
			gzip = got >= 2 && in[0] == 0x1f && in[1] == 0x8b;
			if (gzip && inflateInit2(&z, 15 + 32) != Z_OK) {
				gzip = 0;
				rc = -ENOMEM;
				break;
			}
		}
		off += got;
		if (!gzip) {
			rc = split(&s, in, got);
			continue;
		}
		z.next_in = in;
		z.avail_in = (uInt)got;
		while (z.avail_in > 0 && rc == 0) {
			if (zrc == Z_STREAM_END && inflateReset(&z) != Z_OK)
				zrc = Z_DATA_ERROR;
			else {
				z.next_out = out;
				z.avail_out = CHUNK;
				zrc = inflate(&z, Z_NO_FLUSH);
			}
			if (zrc != Z_OK && zrc != Z_STREAM_END) {
				rc = failf(err, errlen, "corrupt gzip data");
				break;
			}
			rc = split(&s, out, CHUNK - z.avail_out);
		}
	}
	if (rc == 0 && gzip > 0 && zrc != Z_STREAM_END)
		rc = failf(err, errlen, "truncated gzip data");
	/* a last record without its newline */
	if (rc == 0 && format == LYB_EXPORT_JSON && s.line.len)
		rc = emit_json_line(&s);
	else if (rc == 0 && format == LYB_EXPORT_CSV && (s.field.len || s.col))
		rc = end_record(&s);
	if (rc == 0 && s.in_quote)
		rc = failf(err, errlen, "unterminated quoted CSV field");
	if (rc == -E2BIG)
		rc = failf(err, errlen, "a record longer than %u bytes",
			   LINE_MAX_BYTES);
out_free:
	if (gzip > 0)
		inflateEnd(&z);
	for (i = 0; i < s.ncols; i++)
		free(s.header[i]);
	free(s.header);
	lyb_buf_free(&s.field);
	lyb_buf_free(&s.line);
	lyb_buf_free(&s.out);
	free(in);
	free(out);
	return rc == 1 ? 0 : rc;
}
