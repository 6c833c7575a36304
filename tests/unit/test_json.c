// SPDX-License-Identifier: Apache-2.0
/*
 * test_json.c - the two JSON encodings of decode.h, value by value: one
 * record {"v": value} per case, hand-encoded Avro, decoded through
 * lyb_decode_avro() both as plain JSON (data.jsonl) and as the Avro JSON
 * encoding (data.avro.json). Covers every logical type at its edges
 * (before 1970, past the year 9999, outside the day), negative and long
 * decimals, bytes and fixed, unions that are unwrapped and unions that
 * keep their branch name, logical types nested in arrays, maps, unions
 * and named records, and logicalTypes that do not apply (ignored).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_file.h"
#include "check.h"
#include "lyb/decode.h"

/*
 * A value in a tiny notation, space-separated: "l:N" a zigzag long (int,
 * long, a union's branch, a length), "s:TEXT" a string or bytes (length,
 * then TEXT), "x:HEX" bytes given in hex (length, then the bytes), "r:HEX"
 * raw bytes (fixed), "d:F" a double.
 */
static void put_value(struct avro_file *f, const char *spec)
{
	char tok[512];
	const char *p = spec;

	while (*p) {
		size_t n = strcspn(p, " "), i;
		unsigned char raw[256];

		if (n >= sizeof(tok))
			abort();
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		while (*p == ' ')
			p++;
		if (tok[0] == 'l') {
			avro_put_long(f, strtoll(tok + 2, NULL, 10));
		} else if (tok[0] == 's') {
			avro_put_long(f, (int64_t)strlen(tok + 2));
			avro_put(f, tok + 2, strlen(tok + 2));
		} else if (tok[0] == 'x' || tok[0] == 'r') {
			for (i = 0; tok[2 + 2 * i]; i++) {
				char h[3] = {tok[2 + 2 * i], tok[3 + 2 * i], 0};

				raw[i] = (unsigned char)strtoul(h, NULL, 16);
			}
			if (tok[0] == 'x')
				avro_put_long(f, (int64_t)i);
			avro_put(f, raw, i);
		} else if (tok[0] == 'd') {
			double d = strtod(tok + 2, NULL);

			avro_put(f, &d, 8); /* little-endian hosts */
		}
	}
}

struct lines {
	char text[4096];
	size_t len;
};

static int collect(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;

	if (len >= sizeof(l->text) - l->len)
		return -E2BIG;
	memcpy(l->text + l->len, line, len);
	l->len += len;
	l->text[l->len] = '\0';
	return 0;
}

static struct avro_file file;

/*
 * lyb_avro_decode_sizes() on @file's one block: one decoding, the length
 * of both lines (@plain and @avro as check_case() has them, with
 * {"v":...} and '\n'; NULL: that encoding fails).
 */
static void check_sizes(const char *type, const char *schema, const char *plain,
			const char *avro)
{
	struct lyb_avro_decoder *d = NULL;
	uint64_t json[2] = {0, 0}, want[2];
	char err[512] = "";
	int rc;

	if (!plain || !avro)
		return;
	/* as check_case() wants them: the line, or {"v":...} */
	want[LYB_JSON_PLAIN] = strlen(plain) + (*plain == '{' && !type ? 1 : 7);
	want[LYB_JSON_AVRO] = strlen(avro) + (*avro == '{' && !type ? 1 : 7);
	rc = lyb_avro_decoder_new(schema, strlen(schema), LYB_JSON_PLAIN, &d,
				  err, sizeof(err));
	if (rc == 0)
		rc = lyb_avro_decode_sizes(d, file.b, file.len, file.data_start,
					   0, file.data_start,
					   1u << LYB_JSON_PLAIN |
						   1u << LYB_JSON_AVRO,
					   json, err, sizeof(err));
	lyb_avro_decoder_free(d);
	if (rc != 0 || json[0] != want[0] || json[1] != want[1]) {
		fprintf(stderr,
			"sizes of %s: got (%d %s) %llu %llu want %llu %llu\n",
			schema, rc, err, (unsigned long long)json[0],
			(unsigned long long)json[1],
			(unsigned long long)want[0],
			(unsigned long long)want[1]);
		check_failures++;
	}
}

/*
 * Decodes the record {"v": @value} of type @type (or of the whole
 * @schema, when given) both ways and checks the lines.
 */
static void check_case(const char *type, const char *schema, const char *value,
		       const char *plain, const char *avro)
{
	char s[2048], want[2048], err[512] = "";
	struct avro_file data;
	struct lines got;
	int rc;

	if (!schema) {
		snprintf(s, sizeof(s),
			 "{\"type\":\"record\",\"name\":\"R\",\"namespace\":"
			 "\"ns\",\"fields\":[{\"name\":\"v\",\"type\":%s}]}",
			 type);
		schema = s;
	}
	avro_header(&file, schema, NULL);
	data.len = 0;
	put_value(&data, value);
	avro_block(&file, 1, data.b, data.len);
	check_sizes(type, schema, plain, avro);
	for (int enc = 0; enc < 2; enc++) {
		const char *w = enc ? avro : plain;

		got.len = 0;
		got.text[0] = '\0';
		rc = lyb_decode_avro(avro_file_read, &file, file.len,
				     enc ? LYB_JSON_AVRO : LYB_JSON_PLAIN,
				     collect, &got, err, sizeof(err));
		if (!w)
			continue;
		if (*w == '{' && type == NULL)
			snprintf(want, sizeof(want), "%s\n", w);
		else
			snprintf(want, sizeof(want), "{\"v\":%s}\n", w);
		if (rc != 0 || strcmp(got.text, want) != 0) {
			fprintf(stderr, "%s %s = %s: got (%d %s) %s want %s",
				enc ? "avro" : "plain", type ? type : schema,
				value, rc, err, got.text, want);
			check_failures++;
		}
	}
}

#define TS_MS "{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}"
#define DATE "{\"type\":\"int\",\"logicalType\":\"date\"}"
#define DEC(p, s)                                                        \
	"{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":" \
	"" #p ",\"scale\":" #s "}"

static void test_logical(void)
{
	/* date */
	check_case(DATE, NULL, "l:18262", "\"2020-01-01\"", "18262");
	check_case(DATE, NULL, "l:-1", "\"1969-12-31\"", "-1");
	check_case(DATE, NULL, "l:11016", "\"2000-02-29\"", "11016");
	check_case(DATE, NULL, "l:-719528", "\"0000-01-01\"", "-719528");
	check_case(DATE, NULL, "l:2932896", "\"9999-12-31\"", "2932896");
	check_case(DATE, NULL, "l:2932897", "2932897", "2932897");
	check_case(DATE, NULL, "l:-719529", "-719529", "-719529");
	/* timestamps */
	check_case(TS_MS, NULL, "l:1599091200123",
		   "\"2020-09-03T00:00:00.123Z\"", "1599091200123");
	check_case(TS_MS, NULL, "l:-1", "\"1969-12-31T23:59:59.999Z\"", "-1");
	check_case(TS_MS, NULL, "l:0", "\"1970-01-01T00:00:00.000Z\"", "0");
	check_case(TS_MS, NULL, "l:9223372036854775807", "9223372036854775807",
		   "9223372036854775807");
	check_case(TS_MS, NULL, "l:-9223372036854775808",
		   "-9223372036854775808", "-9223372036854775808");
	check_case("{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}",
		   NULL, "l:1599091200123456",
		   "\"2020-09-03T00:00:00.123456Z\"", "1599091200123456");
	check_case("{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}",
		   NULL, "l:-1", "\"1969-12-31T23:59:59.999999Z\"", "-1");
	check_case("{\"type\":\"long\",\"logicalType\":"
		   "\"local-timestamp-millis\"}",
		   NULL, "l:86399999", "\"1970-01-01T23:59:59.999\"",
		   "86399999");
	check_case("{\"type\":\"long\",\"logicalType\":"
		   "\"local-timestamp-micros\"}",
		   NULL, "l:1", "\"1970-01-01T00:00:00.000001\"", "1");
	/* times of day */
	check_case("{\"type\":\"int\",\"logicalType\":\"time-millis\"}", NULL,
		   "l:45296789", "\"12:34:56.789\"", "45296789");
	check_case("{\"type\":\"int\",\"logicalType\":\"time-millis\"}", NULL,
		   "l:86400000", "86400000", "86400000");
	check_case("{\"type\":\"int\",\"logicalType\":\"time-millis\"}", NULL,
		   "l:-1", "-1", "-1");
	check_case("{\"type\":\"long\",\"logicalType\":\"time-micros\"}", NULL,
		   "l:45296789012", "\"12:34:56.789012\"", "45296789012");
	/* decimals: two's complement, big-endian */
	check_case(DEC(9, 2), NULL, "x:fb2e", "\"-12.34\"", "\"\\u00fb.\"");
	check_case(DEC(9, 2), NULL, "x:05", "\"0.05\"", "\"\\u0005\"");
	check_case(DEC(9, 2), NULL, "x:", "\"0.00\"", "\"\"");
	check_case(DEC(9, 0), NULL, "x:0080", "\"128\"", "\"\\u0000\\u0080\"");
	check_case(DEC(9, 0), NULL, "x:80", "\"-128\"", "\"\\u0080\"");
	check_case(DEC(9, 0), NULL, "x:ff", "\"-1\"", "\"\\u00ff\"");
	check_case(DEC(9, 3), NULL, "x:ff", "\"-0.001\"", "\"\\u00ff\"");
	check_case(DEC(40, 0), NULL, "x:0100000000000000000000000000000000",
		   "\"340282366920938463463374607431768211456\"", NULL);
	check_case(DEC(40, 10), NULL, "x:0100000000000000000000000000000000",
		   "\"34028236692093846346337460743.1768211456\"", NULL);
	check_case(DEC(40, 0), NULL, "x:ff00000000000000000000000000000000",
		   "\"-340282366920938463463374607431768211456\"", NULL);
	check_case("{\"type\":\"fixed\",\"name\":\"D\",\"size\":4,"
		   "\"logicalType\":\"decimal\",\"precision\":10}",
		   NULL, "r:7fffffff", "\"2147483647\"",
		   "\"\\u007f\\u00ff\\u00ff\\u00ff\"");
	/* past LYB_SCHEMA_DECIMAL_PRECISION_MAX: its bytes */
	check_case(DEC(155, 0), NULL, "x:05", "\"BQ==\"", "\"\\u0005\"");
	/* more than 64 bytes: its bytes */
	check_case(
		DEC(154, 0), NULL,
		"x:0102030405060708091011121314151617181920212223242526272829"
		"303132333435363738394041424344454647484950515253545556575859"
		"6061626364656667",
		"\"AQIDBAUGBwgJEBESExQVFhcYGSAhIiMkJSYnKCkwMTIzNDU2Nzg5QEFCQ"
		"0RFRkdISVBRUlNUVVZXWFlgYWJjZGVmZw==\"",
		NULL);
	/* uuid: the string it is */
	check_case("{\"type\":\"string\",\"logicalType\":\"uuid\"}", NULL,
		   "s:4a2f6ab8-06d4-4f43-9b53-1f55e8d2b8a0",
		   "\"4a2f6ab8-06d4-4f43-9b53-1f55e8d2b8a0\"",
		   "\"4a2f6ab8-06d4-4f43-9b53-1f55e8d2b8a0\"");
	/* logical types that do not apply are ignored */
	check_case("{\"type\":\"string\",\"logicalType\":\"date\"}", NULL,
		   "s:x", "\"x\"", "\"x\"");
	check_case("{\"type\":\"long\",\"logicalType\":\"date\"}", NULL, "l:1",
		   "1", "1");
	check_case("{\"type\":\"int\",\"logicalType\":\"timestamp-millis\"}",
		   NULL, "l:1", "1", "1");
	check_case("{\"type\":\"bytes\",\"logicalType\":\"decimal\","
		   "\"precision\":2,\"scale\":3}",
		   NULL, "x:05", "\"BQ==\"", "\"\\u0005\"");
	check_case("{\"type\":\"bytes\",\"logicalType\":\"decimal\"}", NULL,
		   "x:05", "\"BQ==\"", "\"\\u0005\"");
	check_case("{\"type\":\"long\",\"logicalType\":\"nonsense\"}", NULL,
		   "l:1", "1", "1");
}

static void test_plain_types(void)
{
	check_case("\"bytes\"", NULL, "x:00ff", "\"AP8=\"",
		   "\"\\u0000\\u00ff\"");
	check_case("\"bytes\"", NULL, "x:", "\"\"", "\"\"");
	check_case("\"bytes\"", NULL, "x:616263", "\"YWJj\"", "\"abc\"");
	check_case("\"bytes\"", NULL, "x:61", "\"YQ==\"", "\"a\"");
	check_case("{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}", NULL,
		   "r:6162", "\"YWI=\"", "\"ab\"");
	check_case("\"string\"", NULL, "s:a\"b", "\"a\\\"b\"", "\"a\\\"b\"");
	check_case("\"string\"", NULL, "s:a\\b\tc\x7f",
		   "\"a\\\\b\\u0009c\\u007f\"", "\"a\\\\b\\u0009c\\u007f\"");
	check_case("\"double\"", NULL, "d:1.5", "1.5", "1.5");
	check_case("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\","
		   "\"B\"]}",
		   NULL, "l:1", "\"B\"", "\"B\"");
	check_case("\"boolean\"", NULL, "r:01", "true", "true");
}

/* Collects lines of any length. */
struct big {
	char *text;
	size_t len;
};

static int collect_big(void *arg, const char *line, size_t len)
{
	struct big *b = arg;
	char *grown = realloc(b->text, b->len + len + 1);

	if (!grown)
		return -ENOMEM;
	b->text = grown;
	memcpy(b->text + b->len, line, len);
	b->len += len;
	b->text[b->len] = '\0';
	return 0;
}

/* The shortest %.15g..%.17g text that reads back, as a JSON float. */
static void double_want(double d, char *out, size_t len)
{
	int digits;

	for (digits = 15; digits <= 17; digits++) {
		snprintf(out, len, "%.*g", digits, d);
		if (strtod(out, NULL) == d)
			break;
	}
	if (!strpbrk(out, ".eEn"))
		strncat(out, ".0", len - strlen(out) - 1);
}

/*
 * Doubles by the thousand, decoded and compared with the printf loop the
 * encoder's fast path stands in for: decimals of 1 to 17 digits at every
 * scale, integers, random bit patterns, and the edges of the fast path.
 */
static void test_doubles(void)
{
	static struct avro_file data;
	static double v[4000];
	struct big got = {0};
	unsigned seed = 12345;
	char err[256] = "", want[64], *line, *nl;
	int round, i, k, bad = 0;

	for (round = 0; round < 8 && !bad; round++) {
		for (i = 0; i < 4000; i++) {
			uint64_t m = 0, bits = 0;
			int digits = 1 + rand_r(&seed) % 17;

			for (k = 0; k < digits; k++)
				m = m * 10 + (uint64_t)(rand_r(&seed) % 10);
			k = rand_r(&seed) % 23 - 2;
			if (round % 4 == 3) {
				for (k = 0; k < 4; k++)
					bits = bits << 16 |
					       (uint64_t)(rand_r(&seed) &
							  0xffff);
				memcpy(&v[i], &bits, 8);
				if (isnan(v[i]) || isinf(v[i]))
					v[i] = 0.5;
			} else {
				v[i] = k < 0 ? (double)m * 10 : (double)m;
				if (k > 0)
					v[i] /= pow(10, k);
			}
			if (rand_r(&seed) % 2)
				v[i] = -v[i];
		}
		v[0] = -0.0;
		v[1] = 1e-4;
		v[2] = 1e15 - 1;
		v[3] = 999999999999999.9;
		v[4] = 0.00010000000000000002;
		v[5] = 123456789012345.6;
		avro_header(&file,
			    "{\"type\":\"record\",\"name\":\"R\",\"fields\":"
			    "[{\"name\":\"v\",\"type\":\"double\"}]}",
			    NULL);
		data.len = 0;
		avro_put(&data, v, sizeof(v)); /* little-endian hosts */
		avro_block(&file, 4000, data.b, data.len);
		got.len = 0;
		CHECK_RC(lyb_decode_avro(avro_file_read, &file, file.len,
					 LYB_JSON_PLAIN, collect_big, &got, err,
					 sizeof(err)),
			 0);
		line = got.text;
		for (i = 0; i < 4000 && line && !bad; i++) {
			nl = strchr(line, '\n');
			double_want(v[i], want, sizeof(want));
			if (!nl || strncmp(line, "{\"v\":", 5) ||
			    (size_t)(nl - line - 6) != strlen(want) ||
			    strncmp(line + 5, want, strlen(want))) {
				fprintf(stderr,
					"double %.17g: got %.*s want %s\n",
					v[i], nl ? (int)(nl - line) : 40, line,
					want);
				bad = ++check_failures;
			}
			line = nl ? nl + 1 : NULL;
		}
		CHECK(i == 4000);
	}
	free(got.text);
}

static void test_unions(void)
{
	/* one non-null branch: the value */
	check_case("[\"null\",\"string\"]", NULL, "l:1 s:SE", "\"SE\"",
		   "{\"string\":\"SE\"}");
	check_case("[\"null\",\"string\"]", NULL, "l:0", "null", "null");
	check_case("[\"string\",\"null\"]", NULL, "l:0 s:SE", "\"SE\"",
		   "{\"string\":\"SE\"}");
	check_case("[\"null\"," TS_MS "]", NULL, "l:1 l:0",
		   "\"1970-01-01T00:00:00.000Z\"", "{\"long\":0}");
	check_case("[\"null\",\"bytes\"]", NULL, "l:1 x:00ff", "\"AP8=\"",
		   "{\"bytes\":\"\\u0000\\u00ff\"}");
	/* several non-null branches, told apart by their JSON: the value */
	check_case("[\"null\",\"string\",\"long\",\"boolean\"]", NULL,
		   "l:2 l:5", "5", "{\"long\":5}");
	check_case("[\"null\",\"string\",\"long\",\"boolean\"]", NULL,
		   "l:1 s:5", "\"5\"", "{\"string\":\"5\"}");
	check_case("[\"long\",{\"type\":\"array\",\"items\":\"long\"}]", NULL,
		   "l:1 l:1 l:4 l:0", "[4]", "{\"array\":[4]}");
	/* ...or not: the branch by name, for every value of the union */
	check_case("[\"null\",\"int\",\"long\"]", NULL, "l:2 l:5",
		   "{\"long\":5}", "{\"long\":5}");
	check_case("[\"null\",\"int\",\"long\"]", NULL, "l:1 l:5",
		   "{\"int\":5}", "{\"int\":5}");
	check_case("[\"string\",\"double\"]", NULL, "l:1 d:1.5",
		   "{\"double\":1.5}", "{\"double\":1.5}");
	check_case("[\"string\"," TS_MS "]", NULL, "l:1 l:0",
		   "{\"long\":\"1970-01-01T00:00:00.000Z\"}", "{\"long\":0}");
	check_case("[\"null\",\"string\",{\"type\":\"enum\",\"name\":\"E\","
		   "\"symbols\":[\"A\"]}]",
		   NULL, "l:2 l:0", "{\"ns.E\":\"A\"}", "{\"ns.E\":\"A\"}");
	check_case("[{\"type\":\"record\",\"name\":\"A\",\"fields\":[]},"
		   "{\"type\":\"record\",\"name\":\"B\",\"namespace\":\"o\","
		   "\"fields\":[]}]",
		   NULL, "l:1", "{\"o.B\":{}}", "{\"o.B\":{}}");
}

static void test_nested(void)
{
	/* arrays and maps of logical types */
	check_case("{\"type\":\"array\",\"items\":" DATE "}", NULL,
		   "l:2 l:0 l:1 l:0", "[\"1970-01-01\",\"1970-01-02\"]",
		   "[0,1]");
	check_case("{\"type\":\"map\",\"values\":" DEC(5, 1) "}", NULL,
		   "l:1 s:k x:0c l:0", "{\"k\":\"1.2\"}",
		   "{\"k\":\"\\u000c\"}");
	/* a named record referenced again: one plan, the same rendering */
	check_case(
		NULL,
		"{\"type\":\"record\",\"name\":\"Top\",\"namespace\":\"a\","
		"\"fields\":[{\"name\":\"x\",\"type\":{\"type\":\"record\","
		"\"name\":\"T\",\"namespace\":\"b\",\"fields\":[{\"name\":"
		"\"t\",\"type\":" TS_MS "}]}},{\"name\":\"y\",\"type\":"
		"[\"null\",\"b.T\"]},{\"name\":\"z\",\"type\":{\"type\":"
		"\"fixed\",\"name\":\"M\",\"size\":1,\"logicalType\":"
		"\"decimal\",\"precision\":3,\"scale\":1}},{\"name\":\"w\","
		"\"type\":\"a.M\"}]}",
		"l:0 l:1 l:1000 r:0b r:f5",
		"{\"x\":{\"t\":\"1970-01-01T00:00:00.000Z\"},\"y\":{\"t\":"
		"\"1970-01-01T00:00:01.000Z\"},\"z\":\"1.1\",\"w\":\"-1.1\"}",
		"{\"x\":{\"t\":0},\"y\":{\"b.T\":{\"t\":1000}},\"z\":"
		"\"\\u000b\",\"w\":\"\\u00f5\"}");
}

int main(void)
{
	test_logical();
	test_plain_types();
	test_doubles();
	test_unions();
	test_nested();
	if (check_failures)
		fprintf(stderr, "%d checks failed\n", check_failures);
	return check_failures != 0;
}
