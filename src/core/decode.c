// SPDX-License-Identifier: Apache-2.0
/*
 * decode.c - records as JSON lines (see decode.h).
 *
 * Avro: avro-c decodes; to decode one block without reading the whole
 * file, the header's bytes and that block are put together in memory and
 * handed to avro-c's file reader through fmemopen(3), so every codec
 * avro-c knows (null, deflate, snappy, lzma) works through its public
 * API. The same path decodes a run of blocks from the middle of a file
 * (lyb_avro_decode_blocks(), for the data.jsonl view). The JSON encoder
 * is ours, so that its choices are the documented
 * ones.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <lzma.h>
#include <zlib.h>

#include "lyb/decode.h"
#include "lyb/schema.h"

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

static void json_width_init(void);

/* before main(), so no thread can be inside avro-c while it changes (nor
 * read the encoder's table) */
__attribute__((constructor)) static void avro_alloc_init(void)
{
	avro_set_allocator(avro_capped_alloc, NULL);
	json_width_init();
}

/*
 * Where the encoder writes: a line buffer, or nowhere (@b NULL), only
 * counting the bytes it would write, within the same cap: publish needs
 * the size of each encoding, not the text. Counting measures both
 * encodings in one walk of the value: @mask says which of them the next
 * bytes belong to (where they differ, encode() narrows it).
 */
struct jout {
	struct lyb_buf *b;
	size_t len[2]; /* counting: the bytes so far, per lyb_json_enc */
	unsigned mask; /* counting: the encodings (1 << enc) being counted */
};

#define ENC_PLAIN (1u << LYB_JSON_PLAIN)
#define ENC_AVRO (1u << LYB_JSON_AVRO)

static int out_count(struct jout *o, size_t n)
{
	unsigned e;

	for (e = 0; e < 2; e++) {
		if (!(o->mask & (1u << e)))
			continue;
		/* as lyb_buf_add() past the line's cap */
		if (n > LINE_MAX_BYTES - o->len[e])
			return -E2BIG;
		o->len[e] += n;
	}
	return 0;
}

static inline int out_add(struct jout *o, const void *p, size_t n)
{
	struct lyb_buf *b = o->b;

	if (!b)
		return out_count(o, n);
	if (b->data && n < b->cap - b->len && n <= b->max - b->len) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return lyb_buf_add(b, p, n);
}

static int out_addstr(struct jout *o, const char *s)
{
	return out_add(o, s, strlen(s));
}

/* a string literal, its length known at compile time */
#define out_lit(o, s) out_add((o), (s), sizeof(s) - 1)

/* Whether byte @c is written as it is in a JSON string. */
static int json_plain_byte(unsigned char c, int latin1)
{
	return c >= 0x20 && c != '"' && c != '\\' && c != 0x7f &&
	       !(latin1 && c >= 0x80);
}

/* The bytes json_string() writes for each byte, without and with @latin1. */
static unsigned char json_width[2][256];

static void json_width_init(void)
{
	int l, c;

	for (l = 0; l < 2; l++)
		for (c = 0; c < 256; c++)
			json_width[l][c] = json_plain_byte((unsigned char)c, l)
						   ? 1
					   : c == '"' || c == '\\' ? 2
								   : 6;
}

/*
 * A JSON string of @len bytes; @latin1 maps each byte to U+00XX. Runs of
 * bytes that need no escape go in with one copy.
 */
static int json_string(struct jout *o, const char *s, size_t len, int latin1)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run, n;
	int rc;

	if (!o->b) { /* counting: what the writing below would write */
		const unsigned char *w = json_width[latin1 != 0];

		for (n = 2; i < len; i++)
			n += w[(unsigned char)s[i]];
		return out_count(o, n);
	}
	rc = out_add(o, "\"", 1);

	while (rc == 0 && i < len) {
		unsigned char c;
		char esc[7] = "\\u00";

		for (run = i; run < len &&
			      json_plain_byte((unsigned char)s[run], latin1);
		     run++)
			;
		if (run > i)
			rc = out_add(o, s + i, run - i);
		if (rc || run == len)
			break;
		c = (unsigned char)s[run];
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			rc = out_add(o, esc, 2);
		} else {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			rc = out_add(o, esc, 6);
		}
		i = run + 1;
	}
	return rc ? rc : out_add(o, "\"", 1);
}

/* An integer in decimal (printf's %lld, without printf). */
static int json_integer(struct jout *o, int64_t v)
{
	char text[24], *p = text + sizeof(text);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return out_add(o, p, (size_t)(text + sizeof(text) - p));
}

/* Writes @v as exactly @n decimal digits at @p (zero-padded); past @p. */
static char *put_digits(char *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/*
 * %.15g of @d, without printf, for a @d of at most 15 significant digits
 * in [1e-4, 1e15) (where %g is not exponential): m / 10^k == d for an
 * integer m < 2^53 and the smallest k. Both m and 10^k are exact doubles
 * and IEEE division rounds correctly, so the decimal m * 10^-k reads back
 * (strtod also rounds correctly) as @d, and %.15g, rounding @d's exact
 * value to 15 digits, writes those digits: the same text. 0 when @d is
 * not such a number (the caller uses printf).
 */
static size_t double_short(double d, char *text)
{
	/* the powers of ten that are exact doubles */
	static const double p10[] = {1e0,  1e1,	 1e2,  1e3,  1e4,  1e5,
				     1e6,  1e7,	 1e8,  1e9,  1e10, 1e11,
				     1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
				     1e18, 1e19, 1e20, 1e21, 1e22};
	double a = fabs(d), m = 0;
	char digits[24], *p = text;
	int k, x, n = 0, i;
	uint64_t u;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	for (x = 0; x < 15 && a >= p10[x + 1]; x++)
		;
	if (a < 1)
		for (x = -1; a * p10[-x] < 1; x--)
			;
	/* 15 significant digits: k up to 14 - x (x >= -5: k <= 19) */
	for (k = 0; k <= 14 - x; k++) {
		m = nearbyint(a * p10[k]);
		if (m < 9007199254740992.0 && m / p10[k] == a)
			break;
	}
	if (k > 14 - x)
		return 0;
	for (u = (uint64_t)m; u; u /= 10)
		digits[n++] = (char)('0' + u % 10);
	if (d < 0)
		*p++ = '-';
	if (n <= k) { /* 0.000ddd */
		*p++ = '0';
		*p++ = '.';
		for (i = 0; i < k - n; i++)
			*p++ = '0';
	}
	for (i = n - 1; i >= 0; i--) {
		*p++ = digits[i];
		if (i == k && i)
			*p++ = '.';
	}
	return (size_t)(p - text);
}

/* The shortest decimal that reads back as exactly @d (as Python's repr). */
static int json_double(struct jout *o, double d)
{
	char text[40];
	size_t n;
	int digits;

	if (isnan(d))
		return out_lit(o, "\"NaN\"");
	if (isinf(d))
		return d > 0 ? out_lit(o, "\"Infinity\"")
			     : out_lit(o, "\"-Infinity\"");
	n = double_short(d, text);
	for (digits = 15; n == 0 && digits <= 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, d);
		if (strtod(text, NULL) == d)
			n = strlen(text);
	}
	/* keep it a JSON number that reads as a float: 1 -> 1.0 */
	text[n] = '\0';
	if (!strpbrk(text, ".eEn")) {
		memcpy(text + n, ".0", 3); /* %.17g takes 24 bytes at most */
		n += 2;
	}
	return out_add(o, text, n);
}

/* The full name of a union branch's type, for {"name": value}. */
static int branch_name(struct jout *o, avro_schema_t s)
{
	const char *name = avro_schema_type_name(s), *ns = NULL;
	int rc;

	if (is_avro_named_type(s))
		ns = avro_schema_namespace(s);
	rc = out_add(o, "\"", 1);
	if (rc == 0 && ns && *ns)
		rc = out_addstr(o, ns);
	if (rc == 0 && ns && *ns)
		rc = out_add(o, ".", 1);
	if (rc == 0)
		rc = out_addstr(o, name);
	return rc ? rc : out_add(o, "\":", 2);
}

/* Plain JSON (decode.h): how values of a type may look, for unions. */
#define KIND_BOOL 1
#define KIND_NUM 2
#define KIND_STR 4
#define KIND_OBJ 8
#define KIND_ARR 16

static const struct lyb_plan_node *plan_sub(const struct lyb_plan_node *node,
					    size_t i)
{
	return node && i < node->n ? node->sub[i] : NULL;
}

static int json_kinds(avro_schema_t s, const struct lyb_plan_node *node)
{
	if (s && is_avro_link(s))
		s = avro_schema_link_target(s);
	if (!s)
		return ~0;
	switch (avro_typeof(s)) {
	case AVRO_NULL:
		return 0;
	case AVRO_BOOLEAN:
		return KIND_BOOL;
	case AVRO_INT32:
	case AVRO_INT64:
		/* a time past the years 0000..9999 falls back to its number */
		return node && node->logical != LYB_LOGICAL_NONE
			       ? KIND_NUM | KIND_STR
			       : KIND_NUM;
	case AVRO_FLOAT:
	case AVRO_DOUBLE:
		return KIND_NUM | KIND_STR; /* "NaN" */
	case AVRO_STRING:
	case AVRO_BYTES:
	case AVRO_FIXED:
	case AVRO_ENUM:
		return KIND_STR;
	case AVRO_RECORD:
	case AVRO_MAP:
		return KIND_OBJ;
	case AVRO_ARRAY:
		return KIND_ARR;
	default:
		return ~0;
	}
}

/*
 * Whether a union's values are written {"branch": value} in plain JSON:
 * when two of its non-null branches could write the same kind of JSON
 * value (["int", "long"], two records, a string and a double's "NaN"),
 * so that the JSON alone does not say which branch it is. A property of
 * the schema, never of the value: a column keeps one shape.
 */
static int union_tagged(avro_schema_t u, const struct lyb_plan_node *node)
{
	size_t i, n = avro_schema_union_size(u);
	int seen = 0, k;

	for (i = 0; i < n; i++) {
		k = json_kinds(avro_schema_union_branch(u, (int)i),
			       plan_sub(node, i));
		if (seen & k)
			return 1;
		seen |= k;
	}
	return 0;
}

static int json_base64(struct jout *o, const unsigned char *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[1024];
	size_t i, k = 0;
	int rc;

	if (!o->b) /* counting: quotes and four per three bytes, padded */
		return out_count(o, 2 + (n + 2) / 3 * 4);
	rc = out_add(o, "\"", 1);

	for (i = 0; i < n && rc == 0; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		q[k++] = abc[w >> 18];
		q[k++] = abc[(w >> 12) & 63];
		q[k++] = i + 1 < n ? abc[(w >> 6) & 63] : '=';
		q[k++] = i + 2 < n ? abc[w & 63] : '=';
		if (k == sizeof(q) || i + 3 >= n) {
			rc = out_add(o, q, k);
			k = 0;
		}
	}
	return rc ? rc : out_add(o, "\"", 1);
}

/* Rounds toward minus infinity, for times before 1970. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return a % b < 0 ? q - 1 : q;
}

/* The civil date of day @z since 1970-01-01 (H. Hinnant's algorithm). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Days before 0000-01-01 and after 9999-12-31 (RFC 3339's years). */
#define DAY_MIN (-719528)
#define DAY_MAX 2932896

/*
 * A date, time or timestamp as RFC 3339 text; 1 when it is outside the
 * years 0000..9999 or a day (it is then written as its number).
 */
static int json_time(struct jout *o, enum lyb_logical lt, int64_t x)
{
	char text[40], *p = text;
	int64_t unit, day, y, sec;
	unsigned m, d;
	int ndig;

	*p++ = '"';
	switch (lt) {
	case LYB_LOGICAL_DATE:
		if (x < DAY_MIN || x > DAY_MAX)
			return 1;
		civil(x, &y, &m, &d);
		p = put_digits(p, (uint64_t)y, 4);
		*p++ = '-';
		p = put_digits(p, m, 2);
		*p++ = '-';
		p = put_digits(p, d, 2);
		*p++ = '"';
		return out_add(o, text, (size_t)(p - text));
	case LYB_LOGICAL_TIME_MS:
	case LYB_LOGICAL_TIME_US:
		unit = lt == LYB_LOGICAL_TIME_MS ? 1000 : 1000000;
		ndig = lt == LYB_LOGICAL_TIME_MS ? 3 : 6;
		if (x < 0 || x >= 86400 * unit)
			return 1;
		sec = x / unit;
		break;
	default:
		unit = lt == LYB_LOGICAL_TS_MS || lt == LYB_LOGICAL_LOCAL_TS_MS
			       ? 1000
			       : 1000000;
		ndig = unit == 1000 ? 3 : 6;
		sec = floor_div(x, unit);
		day = floor_div(sec, 86400);
		if (day < DAY_MIN || day > DAY_MAX)
			return 1;
		civil(day, &y, &m, &d);
		sec -= day * 86400;
		p = put_digits(p, (uint64_t)y, 4);
		*p++ = '-';
		p = put_digits(p, m, 2);
		*p++ = '-';
		p = put_digits(p, d, 2);
		*p++ = 'T';
		break;
	}
	p = put_digits(p, (uint64_t)(sec / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (uint64_t)(sec / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (uint64_t)(sec % 60), 2);
	*p++ = '.';
	p = put_digits(p, (uint64_t)(x - floor_div(x, unit) * unit), ndig);
	if (lt == LYB_LOGICAL_TS_MS || lt == LYB_LOGICAL_TS_US)
		*p++ = 'Z';
	*p++ = '"';
	return out_add(o, text, (size_t)(p - text));
}

/* Decimals of more bytes are written as bytes (decode.h). */
#define DECIMAL_BYTES_MAX 64

/*
 * A decimal's exact text: @p is its unscaled value, a big-endian two's
 * complement integer of @n bytes; 1 when longer than DECIMAL_BYTES_MAX.
 */
static int json_decimal(struct jout *o, const unsigned char *p, size_t n,
			int scale)
{
	unsigned char mag[DECIMAL_BYTES_MAX];
	char digits[DECIMAL_BYTES_MAX * 3 + LYB_SCHEMA_DECIMAL_PRECISION_MAX];
	char text[sizeof(digits) + 4];
	size_t i, nd = 0, lead = 0;
	int neg, carry, k;

	if (n > DECIMAL_BYTES_MAX)
		return 1;
	neg = n && (p[0] & 0x80);
	memcpy(mag, p, n);
	if (neg) { /* the magnitude: invert and add one */
		for (i = 0; i < n; i++)
			mag[i] = (unsigned char)~mag[i];
		for (i = n, carry = 1; i-- > 0 && carry;) {
			carry = mag[i] == 0xff;
			mag[i]++;
		}
	}
	/* base 256 to decimal, nine digits a pass */
	while (lead < n) {
		uint64_t rem = 0;

		for (i = lead; i < n; i++) {
			uint64_t cur = rem << 8 | mag[i];

			mag[i] = (unsigned char)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		while (lead < n && mag[lead] == 0)
			lead++;
		for (k = 0; k < 9 && (lead < n || rem); k++) {
			digits[nd++] = (char)('0' + rem % 10);
			rem /= 10;
		}
	}
	/* at least one digit before the point */
	while (nd <= (size_t)scale && nd < sizeof(digits))
		digits[nd++] = '0';
	/* most significant first, with the point, between quotes */
	text[k = 0] = '"';
	if (neg)
		text[++k] = '-';
	for (i = nd; i-- > 0;) {
		text[++k] = digits[i];
		if (scale && i == (size_t)scale)
			text[++k] = '.';
	}
	text[++k] = '"';
	return out_add(o, text, (size_t)k + 1);
}

/*
 * @x, of logical type @lt (plain JSON only: @encs must hold ENC_PLAIN
 * for it to apply), as RFC 3339 text in plain JSON and as its number
 * otherwise, or everywhere when json_time() cannot write it.
 */
static int encode_time(struct jout *o, unsigned encs, enum lyb_logical lt,
		       int64_t x)
{
	int rc;

	if (lt != LYB_LOGICAL_NONE) {
		o->mask = ENC_PLAIN;
		rc = json_time(o, lt, x);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			if (!(encs & ENC_AVRO))
				return 0;
			o->mask = ENC_AVRO;
		} else {
			o->mask = encs;
		}
	}
	return json_integer(o, x);
}

/*
 * Bytes or fixed: a decimal's text (plain JSON, @lt a decimal), else
 * base64 in plain JSON and a string of code points U+0000..U+00FF in the
 * Avro JSON encoding.
 */
static int encode_bytes(struct jout *o, unsigned encs, enum lyb_logical lt,
			int scale, const void *p, size_t size)
{
	int rc = 1;

	if (lt == LYB_LOGICAL_DECIMAL) {
		o->mask = ENC_PLAIN;
		rc = json_decimal(o, p, size, scale);
		if (rc < 0)
			return rc;
	}
	if (rc > 0 && (encs & ENC_PLAIN)) { /* no decimal written */
		o->mask = ENC_PLAIN;
		rc = json_base64(o, p, size);
		if (rc)
			return rc;
	}
	if (!(encs & ENC_AVRO))
		return 0;
	o->mask = ENC_AVRO;
	return json_string(o, p, size, 1);
}

/*
 * One value as JSON in the encodings @encs (ENC_PLAIN: plain JSON with
 * @node its type's logical types, NULL: none; ENC_AVRO: the Avro JSON
 * encoding; both in decode.h). Writing takes one; counting both at once.
 */
static int encode(struct jout *o, avro_value_t *v,
		  const struct lyb_plan_node *node, unsigned encs, int depth)
{
	enum lyb_logical lt =
		(encs & ENC_PLAIN) && node ? node->logical : LYB_LOGICAL_NONE;
	avro_value_t child;
	const char *name;
	const void *p;
	size_t size, i;
	unsigned tagged;
	int32_t i32;
	int64_t i64;
	double d;
	float f;
	int rc = 0, e;
	avro_type_t t;

	if (depth > DEPTH_MAX)
		return -EBADMSG;
	o->mask = encs;
	switch ((t = avro_value_get_type(v))) {
	case AVRO_NULL:
		return out_lit(o, "null");
	case AVRO_BOOLEAN:
		avro_value_get_boolean(v, &e);
		return e ? out_lit(o, "true") : out_lit(o, "false");
	case AVRO_INT32:
		avro_value_get_int(v, &i32);
		return encode_time(o, encs,
				   lt == LYB_LOGICAL_DATE ||
						   lt == LYB_LOGICAL_TIME_MS
					   ? lt
					   : LYB_LOGICAL_NONE,
				   i32);
	case AVRO_INT64:
		avro_value_get_long(v, &i64);
		return encode_time(o, encs,
				   lt >= LYB_LOGICAL_TIME_US &&
						   lt <= LYB_LOGICAL_LOCAL_TS_US
					   ? lt
					   : LYB_LOGICAL_NONE,
				   i64);
	case AVRO_FLOAT:
		avro_value_get_float(v, &f);
		return json_double(o, (double)f);
	case AVRO_DOUBLE:
		avro_value_get_double(v, &d);
		return json_double(o, d);
	case AVRO_STRING:
		avro_value_get_string(v, (const char **)&p, &size);
		return json_string(o, p, size ? size - 1 : 0, 0);
	case AVRO_BYTES:
	case AVRO_FIXED:
		if (t == AVRO_BYTES)
			avro_value_get_bytes(v, &p, &size);
		else
			avro_value_get_fixed(v, &p, &size);
		return encode_bytes(
			o, encs,
			lt == LYB_LOGICAL_DECIMAL ? lt : LYB_LOGICAL_NONE,
			node ? node->scale : 0, p, size);
	case AVRO_ENUM:
		avro_value_get_enum(v, &e);
		name = avro_schema_enum_get(avro_value_get_schema(v), e);
		return json_string(o, name ? name : "", name ? strlen(name) : 0,
				   0);
	case AVRO_ARRAY:
	case AVRO_MAP:
	case AVRO_RECORD:
		avro_value_get_size(v, &size);
		rc = t == AVRO_ARRAY ? out_lit(o, "[") : out_lit(o, "{");
		for (i = 0; i < size && rc == 0; i++) {
			name = NULL;
			if (avro_value_get_by_index(v, i, &child, &name))
				return -EBADMSG;
			if (i)
				rc = out_lit(o, ",");
			if (rc == 0 && name) {
				rc = json_string(o, name, strlen(name), 0);
				if (rc == 0)
					rc = out_lit(o, ":");
			}
			if (rc == 0)
				rc = encode(o, &child,
					    plan_sub(node,
						     t == AVRO_RECORD ? i : 0),
					    encs, depth + 1);
			o->mask = encs;
		}
		if (rc)
			return rc;
		return t == AVRO_ARRAY ? out_lit(o, "]") : out_lit(o, "}");
	case AVRO_UNION:
		if (avro_value_get_discriminant(v, &e) ||
		    avro_value_get_current_branch(v, &child))
			return -EBADMSG;
		if (avro_value_get_type(&child) == AVRO_NULL)
			return out_lit(o, "null");
		/* {"branch": value} in the Avro JSON encoding; plain JSON
		 * only where the branches' values could be confused */
		tagged = encs & ENC_AVRO;
		if ((encs & ENC_PLAIN) &&
		    union_tagged(avro_value_get_schema(v), node))
			tagged |= ENC_PLAIN;
		if (tagged) {
			o->mask = tagged;
			if ((rc = out_lit(o, "{")) ||
			    (rc = branch_name(o,
					      avro_value_get_schema(&child))))
				return rc;
		}
		rc = encode(o, &child, plan_sub(node, (size_t)e), encs,
			    depth + 1);
		if (rc || !tagged)
			return rc;
		o->mask = tagged;
		return out_lit(o, "}");
	default:
		return -EBADMSG;
	}
}

/*
 * avro-c's generic classes, one per writer schema, made once per process
 * and never freed: avro-c 1.11 leaks the writer schema of every class it
 * frees (the class keeps a reference it never drops), so a daemon that
 * made a class per open file would grow without bound. A class is
 * immutable once made, and its refcount atomic, so decoders on any thread
 * share it. Past CLASSES_MAX schemas a decoder makes its own.
 */
#define CLASSES_MAX 256

struct class_entry {
	char *schema; /* the writer schema text, the key */
	size_t len;
	avro_value_iface_t *iface;
	struct lyb_plan *plan; /* its logical types, for plain JSON */
	const struct lyb_plan_node *root;
};

static pthread_mutex_t class_lock = PTHREAD_MUTEX_INITIALIZER;
static struct class_entry classes[CLASSES_MAX]; /* under class_lock */
static size_t nclasses;				/* under class_lock */

struct lyb_avro_decoder {
	avro_value_iface_t *iface;
	struct lyb_plan *own_plan; /* when not in classes[] */
	const struct lyb_plan_node *root;
	int plain; /* LYB_JSON_PLAIN */
	avro_value_t value;
	struct lyb_buf line;
};

/*
 * A class for @schema, or -errno with the reason in @err: what avro-c
 * cannot parse is -EBADMSG; a schema past the nesting limits
 * (lyb_schema_bound(): avro-c recurses per level of data, a recursive
 * type would let the data overflow the stack) -EOVERFLOW, before avro-c
 * decodes anything with it.
 */
static int class_make(const char *schema, size_t len,
		      avro_value_iface_t **iface, char *err, size_t errlen)
{
	avro_schema_t s;
	char why[256];
	int rc;

	*iface = NULL;
	if (avro_schema_from_json_length(schema, len, &s))
		return failf(err, errlen, "writer schema: %s", avro_strerror());
	rc = lyb_schema_bound(s, why, sizeof(why));
	if (rc == 0) {
		*iface = avro_generic_class_from_schema(s);
		if (!*iface)
			rc = failf(err, errlen, "writer schema: %s",
				   avro_strerror());
	} else if (rc != -ENOMEM) {
		snprintf(err, errlen, "writer schema refused: %s", why);
	}
	avro_schema_decref(s);
	return rc;
}

int lyb_avro_decoder_new(const char *schema, size_t len, enum lyb_json_enc enc,
			 struct lyb_avro_decoder **out, char *err,
			 size_t errlen)
{
	struct lyb_avro_decoder *d = calloc(1, sizeof(*d));
	size_t i;
	int rc = 0;

	if (!d)
		return -ENOMEM;
	d->plain = enc == LYB_JSON_PLAIN;
	pthread_mutex_lock(&class_lock);
	for (i = 0; i < nclasses; i++)
		if (classes[i].len == len &&
		    memcmp(classes[i].schema, schema, len) == 0)
			break;
	if (i < nclasses) {
		d->iface = avro_value_iface_incref(classes[i].iface);
		d->root = classes[i].root;
	} else {
		rc = class_make(schema, len, &d->iface, err, errlen);
		/* avro-c parsed it, so it is JSON: only memory may fail */
		if (rc == 0 &&
		    lyb_schema_plan(schema, len, &d->own_plan, &d->root) != 0)
			rc = -ENOMEM;
		if (rc == 0 && nclasses < CLASSES_MAX) {
			classes[nclasses].schema = malloc(len + 1);
			if (classes[nclasses].schema) {
				memcpy(classes[nclasses].schema, schema, len);
				classes[nclasses].len = len;
				classes[nclasses].iface =
					avro_value_iface_incref(d->iface);
				classes[nclasses].plan = d->own_plan;
				classes[nclasses].root = d->root;
				d->own_plan = NULL; /* the table's now */
				nclasses++;
			}
		}
	}
	pthread_mutex_unlock(&class_lock);
	if (rc) {
		if (d->iface)
			avro_value_iface_decref(d->iface);
		free(d);
		return rc;
	}
	if (avro_generic_value_new(d->iface, &d->value)) {
		avro_value_iface_decref(d->iface);
		lyb_schema_plan_free(d->own_plan);
		free(d);
		return failf(err, errlen, "writer schema: %s", avro_strerror());
	}
	lyb_buf_init(&d->line, LINE_MAX_BYTES);
	*out = d;
	return 0;
}

void lyb_avro_decoder_free(struct lyb_avro_decoder *d)
{
	if (!d)
		return;
	avro_value_decref(&d->value);
	avro_value_iface_decref(d->iface);
	lyb_schema_plan_free(d->own_plan);
	lyb_buf_free(&d->line);
	free(d);
}

/* Which block of @mem holds record @n (counting from 0): its index. */
static uint64_t block_of(const unsigned char *mem, size_t len,
			 size_t data_start, uint64_t first, int64_t n)
{
	size_t pos = data_start, hdrlen;
	int64_t count, size;
	uint64_t k = first;

	while (pos < len && lyb_avro_block_parse(mem + pos, len - pos, &count,
						 &size, &hdrlen) == 0) {
		if (n < count || (uint64_t)size + 16 > len - pos - hdrlen)
			break;
		n -= count;
		pos += hdrlen + (size_t)size + 16;
		k++;
	}
	return k;
}

/*
 * The block being decoded, for the per-block limits: records decoded are
 * counted against the block headers in memory, so each block's JSON is
 * known as it grows.
 */
struct blockpos {
	const unsigned char *mem;
	size_t len, pos;	    /* where the next block header is */
	uint64_t index;		    /* the current block's */
	uint64_t off;		    /* its offset in the file, for messages */
	uint64_t mem_off;	    /* file offset of mem[data_start] */
	size_t data_start;	    /* where blocks start in mem */
	int64_t left;		    /* records of it not decoded yet */
	int64_t size;		    /* its data bytes */
	uint64_t json[2], json_max; /* JSON so far by encoding, its cap */
};

/* Moves to the block holding the next record. -EBADMSG past the last. */
static int block_advance(struct blockpos *bp)
{
	size_t hdrlen;
	int64_t count, size;

	while (bp->left == 0) {
		if (bp->pos >= bp->len ||
		    lyb_avro_block_parse(bp->mem + bp->pos, bp->len - bp->pos,
					 &count, &size, &hdrlen) != 0 ||
		    (uint64_t)size + 16 > bp->len - bp->pos - hdrlen)
			return -EBADMSG;
		bp->index++;
		bp->off = bp->mem_off + (bp->pos - bp->data_start);
		bp->pos += hdrlen + (size_t)size + 16;
		bp->left = count;
		bp->size = size;
		bp->json[0] = bp->json[1] = 0;
		bp->json_max = lyb_avro_json_max(size);
	}
	return 0;
}

#define SCRATCH (64u << 10)

/*
 * How many bytes @n bytes of raw deflate data inflate to, counted into a
 * scratch buffer up to just past LYB_AVRO_INFLATED_MAX: 0, or -EOVERFLOW
 * when more. Corrupt data is left for avro-c to report.
 */
static int deflate_check(const unsigned char *p, size_t n, uint64_t *out)
{
	unsigned char *scratch = malloc(SCRATCH);
	z_stream z = {0};
	int zrc = Z_OK, rc = 0;

	*out = 0;
	if (!scratch)
		return -ENOMEM;
	if (inflateInit2(&z, -15) != Z_OK) {
		free(scratch);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)(uintptr_t)p;
	while (zrc == Z_OK) {
		size_t chunk = n > UINT32_MAX ? UINT32_MAX : n;

		if (z.avail_in == 0 && n) {
			z.avail_in = (uInt)chunk;
			n -= chunk;
		}
		z.next_out = scratch;
		z.avail_out = SCRATCH;
		zrc = inflate(&z, Z_NO_FLUSH);
		*out += SCRATCH - z.avail_out;
		if (*out > LYB_AVRO_INFLATED_MAX) {
			rc = -EOVERFLOW;
			break;
		}
		if (zrc == Z_BUF_ERROR && z.avail_in == 0 && n == 0)
			break; /* truncated: avro-c says so */
		if (zrc == Z_BUF_ERROR)
			zrc = Z_OK;
	}
	inflateEnd(&z);
	free(scratch);
	return rc;
}

/*
 * The same for avro-c's "lzma" codec: raw LZMA2 with the default preset's
 * options (as avro-c decodes it), counted into the scratch buffer.
 */
static int xz_check(const unsigned char *p, size_t n, uint64_t *out)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	lzma_options_lzma opt;
	lzma_filter filters[2];
	unsigned char *scratch;
	lzma_ret lr;
	int rc = 0;

	*out = 0;
	if (lzma_lzma_preset(&opt, LZMA_PRESET_DEFAULT))
		return -ENOMEM;
	filters[0].id = LZMA_FILTER_LZMA2;
	filters[0].options = &opt;
	filters[1].id = LZMA_VLI_UNKNOWN;
	filters[1].options = NULL;
	scratch = malloc(SCRATCH);
	if (!scratch)
		return -ENOMEM;
	if (lzma_raw_decoder(&strm, filters) != LZMA_OK) {
		free(scratch);
		return -ENOMEM;
	}
	strm.next_in = p;
	strm.avail_in = n;
	do {
		strm.next_out = scratch;
		strm.avail_out = SCRATCH;
		lr = lzma_code(&strm, LZMA_FINISH);
		*out += SCRATCH - strm.avail_out;
		if (*out > LYB_AVRO_INFLATED_MAX) {
			rc = -EOVERFLOW;
			break;
		}
	} while (lr == LZMA_OK); /* else the end, or an error for avro-c */
	lzma_end(&strm);
	free(scratch);
	return rc;
}

/* Snappy's own header: the uncompressed length, a little-endian varint. */
static int snappy_check(const unsigned char *p, size_t n, uint64_t *out)
{
	unsigned int shift;
	size_t i;

	*out = 0;
	for (i = 0, shift = 0; i < n && i < 5; i++, shift += 7) {
		*out |= (uint64_t)(p[i] & 0x7f) << shift;
		if (!(p[i] & 0x80))
			break;
	}
	return *out > LYB_AVRO_INFLATED_MAX ? -EOVERFLOW : 0;
}

/*
 * Refuses a block whose data decompresses to more than
 * LYB_AVRO_INFLATED_MAX, before avro-c allocates for it.
 */
static int inflated_check(const char *codec, const unsigned char *p, size_t n,
			  uint64_t k, char *err, size_t errlen)
{
	uint64_t out = 0;
	int rc = 0;

	if (strcmp(codec, "deflate") == 0)
		rc = deflate_check(p, n, &out);
	else if (strcmp(codec, "snappy") == 0)
		rc = snappy_check(p, n, &out);
	else if (strcmp(codec, "lzma") == 0)
		rc = xz_check(p, n, &out);
	if (rc == -EOVERFLOW)
		snprintf(err, errlen,
			 "block %llu: its %zu bytes of %s data decompress to "
			 "more than %llu MiB",
			 (unsigned long long)k, n, codec,
			 (unsigned long long)(LYB_AVRO_INFLATED_MAX >> 20));
	return rc;
}

/*
 * Checks the framing of every block in @mem before avro-c decodes any:
 * a block that claims more records than its bytes can hold is refused
 * here (avro-c would produce them all, from nothing).
 */
static int blocks_check(const unsigned char *mem, size_t len, size_t data_start,
			uint64_t first_block, char *err, size_t errlen)
{
	struct lyb_avro_header h;
	size_t pos = data_start, hdrlen, need;
	int64_t count, size;
	uint64_t k = first_block;
	int rc;

	rc = lyb_avro_header_parse(mem, data_start, &h, &need, err, errlen);
	if (rc)
		return rc == -EAGAIN ? failf(err, errlen, "truncated header")
				     : rc;
	while (rc == 0 && pos < len) {
		rc = lyb_avro_block_parse(mem + pos, len - pos, &count, &size,
					  &hdrlen);
		if (rc == -ERANGE) {
			rc = failf(err, errlen,
				   "block %llu: claims %lld records in %lld "
				   "bytes (at most %d per byte + %d)",
				   (unsigned long long)k, (long long)count,
				   (long long)size, LYB_AVRO_RECORDS_PER_BYTE,
				   LYB_AVRO_RECORDS_FREE);
			break;
		}
		if (rc || (uint64_t)size + 16 > len - pos - hdrlen) {
			rc = failf(err, errlen,
				   "block %llu: truncated or bad block header",
				   (unsigned long long)k);
			break;
		}
		rc = inflated_check(h.codec, mem + pos + hdrlen, (size_t)size,
				    k, err, errlen);
		pos += hdrlen + (size_t)size + 16;
		k++;
	}
	lyb_avro_header_clear(&h);
	return rc;
}

/* What a decoded record goes to: lines, or the sizes of its encodings. */
struct emit {
	lyb_line_cb cb; /* its line in the decoder's encoding, or */
	void *cbarg;
	unsigned encs;	/* with cb NULL: the encodings measured, */
	uint64_t *json; /* whose sizes are added here */
};

/*
 * Encodes the record in @d->value in the encodings @encs, with its '\n':
 * into @d->line (@count 0: one encoding), or (@count) only counted. Its
 * length in each goes to @len[enc].
 */
static int encode_line(struct lyb_avro_decoder *d, struct blockpos *bp,
		       unsigned encs, int count, size_t len[2], char *err,
		       size_t errlen)
{
	struct jout o = {count ? NULL : &d->line, {0, 0}, encs};
	unsigned enc;
	int rc;

	if (!count)
		lyb_buf_reset(&d->line);
	rc = encode(&o, &d->value, d->root, encs, 0);
	o.mask = encs;
	if (rc == 0)
		rc = out_lit(&o, "\n");
	if (rc)
		return failf(err, errlen,
			     "block %llu: a record could not be encoded",
			     (unsigned long long)bp->index);
	for (enc = 0; enc <= LYB_JSON_AVRO; enc++) {
		if (!(encs & (1u << enc)))
			continue;
		len[enc] = count ? o.len[enc] : d->line.len;
		bp->json[enc] += len[enc];
		if (bp->json[enc] > bp->json_max)
			break;
	}
	if (enc > LYB_JSON_AVRO)
		return 0;
	snprintf(err, errlen,
		 "block %llu (offset %llu): decodes to more than %llu bytes of "
		 "JSON from %lld bytes (at most %d per byte + %llu, %llu MiB a "
		 "block)",
		 (unsigned long long)bp->index, (unsigned long long)bp->off,
		 (unsigned long long)bp->json_max, (long long)bp->size,
		 LYB_AVRO_JSON_PER_BYTE, (unsigned long long)LYB_AVRO_JSON_FREE,
		 (unsigned long long)(LYB_AVRO_BLOCK_JSON_MAX >> 20));
	return -EOVERFLOW;
}

static int decode_mem(struct lyb_avro_decoder *d, const void *mem, size_t len,
		      size_t data_start, uint64_t first_block,
		      uint64_t first_off, const struct emit *e, char *err,
		      size_t errlen)
{
	struct blockpos bp = {.mem = mem,
			      .len = len,
			      .pos = data_start,
			      .index = first_block - 1,
			      .mem_off = first_off,
			      .data_start = data_start};
	enum lyb_json_enc enc, own = d->plain ? LYB_JSON_PLAIN : LYB_JSON_AVRO;
	avro_file_reader_t reader = NULL;
	int64_t n = 0;
	size_t linelen[2] = {0, 0};
	FILE *fp;
	int rc, r;

	rc = blocks_check(mem, len, data_start, first_block, err, errlen);
	if (rc)
		return rc;
	/* read-only: fmemopen(3) does not write a stream opened "rb" */
	fp = fmemopen((void *)(uintptr_t)mem, len, "rb");
	if (!fp)
		return -errno;
	/* from here avro-c owns @fp and closes it, on failure too */
	if (avro_file_reader_fp(fp, "block", 1, &reader))
		return failf(err, errlen, "block %llu: %s",
			     (unsigned long long)first_block, avro_strerror());
	while ((r = avro_file_reader_read_value(reader, &d->value)) == 0) {
		if (block_advance(&bp)) {
			rc = failf(err, errlen,
				   "block %llu: more records than its header "
				   "says",
				   (unsigned long long)bp.index);
			break;
		}
		n++;
		bp.left--;
		if (e->cb) {
			rc = encode_line(d, &bp, 1u << own, 0, linelen, err,
					 errlen);
			if (rc == 0)
				rc = e->cb(e->cbarg, d->line.data, d->line.len);
		} else if (e->encs) { /* both in one walk */
			rc = encode_line(d, &bp, e->encs, 1, linelen, err,
					 errlen);
			for (enc = 0; enc <= LYB_JSON_AVRO && rc == 0; enc++)
				if (e->encs & (1u << enc))
					e->json[enc] += linelen[enc];
		}
		if (rc)
			break;
	}
	if (rc == 0 && r != EOF)
		rc = failf(err, errlen, "block %llu: %s",
			   (unsigned long long)block_of(mem, len, data_start,
							first_block, n),
			   avro_strerror());
	avro_file_reader_close(reader);
	return rc;
}

int lyb_avro_decode_blocks(struct lyb_avro_decoder *d, const void *mem,
			   size_t len, size_t data_start, uint64_t first_block,
			   uint64_t first_off, lyb_line_cb cb, void *cbarg,
			   char *err, size_t errlen)
{
	struct emit e = {.cb = cb, .cbarg = cbarg};

	return decode_mem(d, mem, len, data_start, first_block, first_off, &e,
			  err, errlen);
}

int lyb_avro_decode_sizes(struct lyb_avro_decoder *d, const void *mem,
			  size_t len, size_t data_start, uint64_t first_block,
			  uint64_t first_off, unsigned encs, uint64_t json[2],
			  char *err, size_t errlen)
{
	struct emit e = {.encs = encs, .json = json};

	return decode_mem(d, mem, len, data_start, first_block, first_off, &e,
			  err, errlen);
}

int lyb_decode_avro(lyb_read_fn read, void *arg, uint64_t size,
		    enum lyb_json_enc enc, lyb_line_cb cb, void *cbarg,
		    char *err, size_t errlen)
{
	struct lyb_avro_decoder *dec = NULL;
	struct lyb_avro_file f;
	struct lyb_avro_block b;
	unsigned char *mem = NULL;
	size_t cap = 0;
	int rc;

	rc = lyb_avro_open(read, arg, size, &f, err, errlen);
	if (rc)
		return rc;
	rc = lyb_avro_decoder_new(f.h.schema, f.h.schema_len, enc, &dec, err,
				  errlen);
	/* each block is decoded from the header's bytes followed by it */
	while (rc == 0 &&
	       (rc = lyb_avro_next_read(&f, &b, &mem, &cap, err, errlen)) == 0)
		rc = lyb_avro_decode_blocks(dec, mem, f.h.data_start + b.total,
					    f.h.data_start, b.index, b.off, cb,
					    cbarg, err, errlen);
	lyb_avro_decoder_free(dec);
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
		struct jout o = {&s->out, {0, 0}, ENC_PLAIN};

		rc = s->col ? out_lit(&o, ",") : out_lit(&o, "{");
		if (rc == 0)
			rc = json_string(&o, s->header[s->col],
					 strlen(s->header[s->col]), 0);
		if (rc == 0)
			rc = out_lit(&o, ":");
		if (rc == 0)
			rc = json_string(&o, s->field.data ? s->field.data : "",
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
