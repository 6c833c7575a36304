// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_schema.c - Avro schemas: any bytes through lyb_schema_check() and
 * lyb_schema_describe(); a schema that passes the check must describe,
 * and its compact form must pass the check again unchanged, be the same
 * schema (lyb_schema_same()) and read its own data
 * (lyb_schema_resolve() of it with itself). The bytes are also resolved
 * against a fixed record, both ways, whatever they are.
 */
#include <stdio.h>

#include "fuzz.h"
#include "lyb/buf.h"
#include "lyb/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char other[] =
		"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\","
		"\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"long\"],"
		"\"default\":null},{\"name\":\"e\",\"type\":{\"type\":"
		"\"enum\",\"name\":\"E\",\"symbols\":[\"X\"],\"default\":"
		"\"X\"}},{\"name\":\"m\",\"type\":{\"type\":\"map\","
		"\"values\":{\"type\":\"record\",\"name\":\"R2\","
		"\"fields\":[{\"name\":\"x\",\"type\":\"double\"}]}}}]}";
	char err[512], *text, *compact = NULL, *again = NULL;
	struct lyb_buf b;

	fuzz_quiet();
	text = fuzz_strndup(data, size);
	if (!text)
		return 0;
	lyb_buf_init(&b, 1u << 20);
	/* describe takes catalog-stored JSON, which is hostile too */
	lyb_schema_describe(text, 2, &b);
	lyb_buf_reset(&b);
	if (lyb_schema_check(text, size, &compact, err, sizeof(err)) == 0) {
		if (lyb_schema_describe(compact, 0, &b) != 0) {
			fprintf(stderr, "fuzz_schema: checked schema does not "
					"describe\n");
			abort();
		}
		if (lyb_schema_check(compact, strlen(compact), &again, err,
				     sizeof(err)) != 0 ||
		    strcmp(compact, again) != 0) {
			fprintf(stderr,
				"fuzz_schema: compact form not stable\n");
			abort();
		}
		if (!lyb_schema_same(text, size, compact, strlen(compact))) {
			fprintf(stderr, "fuzz_schema: compact form differs\n");
			abort();
		}
		if (lyb_schema_resolve(text, size, compact, strlen(compact),
				       err, sizeof(err)) != 0) {
			fprintf(stderr,
				"fuzz_schema: does not read itself: %s\n", err);
			abort();
		}
	}
	lyb_schema_resolve(text, size, other, strlen(other), err, sizeof(err));
	lyb_schema_resolve(other, strlen(other), text, size, err, sizeof(err));
	free(again);
	free(compact);
	lyb_buf_free(&b);
	free(text);
	return 0;
}
