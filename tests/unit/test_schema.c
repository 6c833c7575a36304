// SPDX-License-Identifier: Apache-2.0
/*
 * test_schema.c - Avro schema checking and description, sameness, and
 * schema resolution (a writer's data read with a reader's schema): each
 * rule of the specification one way and the other, defaults, unions,
 * named types reused and nested, and the message naming where it fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lyb/schema.h"

/* resolve(writer, reader): lyb_schema_resolve's answer, message in err */
static char err[512];

static int resolve(const char *w, const char *r)
{
	return lyb_schema_resolve(w, strlen(w), r, strlen(r), err, sizeof(err));
}

#define REC(fields) \
	"{\"type\":\"record\",\"name\":\"R\",\"fields\":[" fields "]}"
#define V(fields) "{\"type\":\"record\",\"name\":\"V\",\"fields\":[" fields "]}"
#define F(name, type) "{\"name\":\"" name "\",\"type\":" type "}"

static void test_resolve(void)
{
	static const char *const ok[][2] = {
		{"\"int\"", "\"int\""},
		{"\"int\"", "\"long\""},
		{"\"int\"", "\"double\""},
		{"\"long\"", "\"float\""},
		{"\"float\"", "\"double\""},
		{"\"string\"", "\"bytes\""},
		{"\"bytes\"", "\"string\""},
		{"\"int\"", "[\"null\",\"string\",\"long\"]"},
		{"[\"null\",\"int\"]", "[\"null\",\"long\"]"},
		{"{\"type\":\"array\",\"items\":\"int\"}",
		 "{\"type\":\"array\",\"items\":\"long\"}"},
		{"{\"type\":\"map\",\"values\":\"float\"}",
		 "{\"type\":\"map\",\"values\":\"double\"}"},
		/* a writer field the reader lacks is skipped; a reader field
		 * the writer lacks needs a default; order does not matter */
		{REC(F("a", "\"int\"") "," F("b", "\"string\"")),
		 REC(F("b", "\"string\""))},
		{REC(F("a", "\"int\"")),
		 REC("{\"name\":\"c\",\"type\":\"string\",\"default\":\"\"},"
		     "{\"name\":\"a\",\"type\":\"long\"},"
		     "{\"name\":\"n\",\"type\":[\"null\",\"int\"],"
		     "\"default\":null}")},
		/* same name without the namespace */
		{"{\"type\":\"record\",\"name\":\"x.R\",\"fields\":[]}",
		 "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"y\","
		 "\"fields\":[]}"},
		{"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}",
		 "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"B\",\"A\"]}"},
		{"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"C\"]}",
		 "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"U\"],"
		 "\"default\":\"U\"}"},
		{"{\"type\":\"fixed\",\"name\":\"H\",\"size\":4}",
		 "{\"type\":\"fixed\",\"name\":\"H\",\"size\":4}"},
	};
	/* a named type reused: the default is found through the reference */
	const char *nested_w = REC(
		F("g", "{\"type\":\"record\",\"name\":\"G\",\"namespace\":"
		       "\"n\",\"fields\":[" F(
			       "s", "\"double\"") "]}") "," F("h", "\"n.G\""));
	const char *nested_r = REC(F(
		"g",
		"{\"type\":\"record\",\"name\":\"G\",\"namespace\":"
		"\"n\",\"fields\":[" F(
			"s",
			"\"double\"") ","
				      "{\"name\":\"t\",\"type\":\"int\",\"default\":0}]}") "," F("h",
												 "\"n.G\""));
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (resolve(ok[i][0], ok[i][1]) != 0) {
			fprintf(stderr, "%s as %s: %s\n", ok[i][0], ok[i][1],
				err);
			check_failures++;
		}
	CHECK_RC(resolve(nested_w, nested_r), 0);

	/* and what does not resolve, with where */
	CHECK_RC(resolve("\"long\"", "\"int\""), -EBADMSG);
	CHECK_STR(err, "the writer's long cannot be read as int");
	CHECK_RC(resolve("\"double\"", "\"float\""), -EBADMSG);
	CHECK_RC(resolve("\"string\"", "\"int\""), -EBADMSG);
	CHECK_RC(resolve("[\"null\",\"string\"]", "\"string\""), -EBADMSG);
	CHECK_STR(err, "the writer's union branch null: the writer's null "
		       "cannot be read as string");
	CHECK_RC(resolve("\"string\"", "[\"null\",\"int\"]"), -EBADMSG);
	CHECK_STR(err, "the writer's string is in none of the reader's union "
		       "branches");
	CHECK_RC(resolve(REC(F("a", "\"int\"")),
			 REC(F("a", "\"int\"") "," F("b", "\"int\""))),
		 -EBADMSG);
	CHECK_STR(err, "field b: not in the writer's record R, and the "
		       "reader's has no default");
	CHECK_RC(resolve(REC(F("a",
			       "{\"type\":\"array\",\"items\":\"string\"}")),
			 REC(F("a", "{\"type\":\"array\",\"items\":\"int\"}"))),
		 -EBADMSG);
	CHECK_STR(err, "field a: array items: the writer's string cannot be "
		       "read as int");
	CHECK_RC(resolve("{\"type\":\"record\",\"name\":\"A\",\"fields\":[]}",
			 "{\"type\":\"record\",\"name\":\"B\",\"fields\":[]}"),
		 -EBADMSG);
	CHECK_RC(
		resolve("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":"
			"[\"A\",\"C\"]}",
			"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}"),
		-EBADMSG);
	CHECK_STR(err, "enum E: the writer's symbol C is not the reader's, "
		       "and the reader's enum has no default");
	CHECK_RC(resolve("{\"type\":\"fixed\",\"name\":\"H\",\"size\":4}",
			 "{\"type\":\"fixed\",\"name\":\"H\",\"size\":8}"),
		 -EBADMSG);
	/* the default must be the reader's, in the nested record */
	CHECK_RC(resolve(nested_r, nested_w), 0);
	CHECK_RC(resolve(REC(F("m", "{\"type\":\"map\",\"values\":" V("") "}")),
			 REC(F("m", "{\"type\":\"map\",\"values\":" V(
					    F("z", "\"int\"")) "}"))),
		 -EBADMSG);
	CHECK_STR(err, "field m: map values: field z: not in the writer's "
		       "record V, and the reader's has no default");
	CHECK_RC(resolve("{\"type\":", "\"int\""), -EBADMSG);
	CHECK(strncmp(err, "the writer schema: ", 19) == 0);
	/* two fields of one name: avro-c takes it, resolution does not */
	CHECK_RC(resolve(REC(F("a", "\"int\"") "," F("a", "\"string\"")),
			 REC(F("a", "\"string\""))),
		 -EBADMSG);
	CHECK_STR(err, "record R has two fields named a");
	/* past the decoding limits: no decoder reads it, -EOVERFLOW */
	CHECK_RC(resolve("{\"type\":\"record\",\"name\":\"L\",\"fields\":["
			 "{\"name\":\"n\",\"type\":[\"null\",\"L\"]}]}",
			 "\"int\""),
		 -EOVERFLOW);
	CHECK(strstr(err, "the writer schema: record L contains itself"));
}

static void test_same(void)
{
	const char *a = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}";
	const char *b =
		"{ \"name\": \"R\",\n \"fields\": [], \"type\": \"record\" }";
	const char *c = "{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}";

	CHECK_RC(lyb_schema_same(a, strlen(a), a, strlen(a)), 1);
	CHECK_RC(lyb_schema_same(a, strlen(a), b, strlen(b)), 1);
	CHECK_RC(lyb_schema_same(a, strlen(a), c, strlen(c)), 0);
	CHECK_RC(lyb_schema_same(a, strlen(a), "{", 1), 0);
}

int main(void)
{
	const char *good =
		"{\"type\": \"record\", \"name\": \"R\", \"fields\": ["
		"{\"name\": \"artist_id\", \"type\": \"string\", \"doc\": \"id\"},"
		"{\"name\": \"genres\", \"type\": {\"type\": \"array\", \"items\":"
		" {\"type\": \"record\", \"name\": \"G\", \"fields\": ["
		"{\"name\": \"genre\", \"type\": \"string\"},"
		"{\"name\": \"score\", \"type\": \"double\"}]}}},"
		"{\"name\": \"day\", \"type\": {\"type\": \"int\", "
		"\"logicalType\": \"date\"}},"
		"{\"name\": \"c\", \"type\": [\"null\", \"string\"]}]}";
	char *compact = NULL;
	struct lyb_buf b;

	CHECK_RC(lyb_schema_check(good, strlen(good), &compact, err,
				  sizeof(err)),
		 0);
	CHECK(compact && !strchr(compact, '\n') && !strstr(compact, ": "));

	lyb_buf_init(&b, 1 << 20);
	CHECK_RC(lyb_schema_describe(compact, 2, &b), 0);
	CHECK(strstr(b.data, "record R\n"));
	CHECK(strstr(b.data, "  artist_id: string  -- id\n"));
	CHECK(strstr(b.data, "  genres: array of record G\n"));
	CHECK(strstr(b.data, "      score: double\n"));
	CHECK(strstr(b.data, "  day: int (date)\n"));
	CHECK(strstr(b.data, "  c: null | string\n"));
	lyb_buf_free(&b);
	free(compact);

	CHECK_RC(lyb_schema_check("{\"type\": ", 9, &compact, err, sizeof(err)),
		 -EBADMSG);
	CHECK(strstr(err, "line 1"));
	CHECK_RC(lyb_schema_check("{\"type\": \"recordz\"}", 19, &compact, err,
				  sizeof(err)),
		 -EBADMSG);
	CHECK(strstr(err, "not a valid Avro schema"));
	CHECK_RC(lyb_schema_check(
			 REC(F("a", "\"int\"") "," F("a", "\"long\"")),
			 strlen(REC(F("a", "\"int\"") "," F("a", "\"long\""))),
			 &compact, err, sizeof(err)),
		 -EBADMSG);
	CHECK_STR(err, "record R has two fields named a");
	lyb_buf_init(&b, 1 << 20);
	CHECK_RC(lyb_schema_describe("nope", 0, &b), -EBADMSG);
	lyb_buf_free(&b);
	test_same();
	test_resolve();
	return check_failures ? 1 : 0;
}
