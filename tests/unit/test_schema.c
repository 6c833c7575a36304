// SPDX-License-Identifier: Apache-2.0
/*
 * test_schema.c - Avro schema checking and description.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lyb/schema.h"

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
	char *compact = NULL, err[256];
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
	lyb_buf_init(&b, 1 << 20);
	CHECK_RC(lyb_schema_describe("nope", 0, &b), -EBADMSG);
	lyb_buf_free(&b);
	return check_failures ? 1 : 0;
}
