// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_schema.c - Avro schemas: any bytes through lyb_schema_check() and
 * lyb_schema_describe(); a schema that passes the check must describe,
 * and its compact form must pass the check again unchanged.
 */
#include <stdio.h>

#include "fuzz.h"
#include "lyb/buf.h"
#include "lyb/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
	}
	free(again);
	free(compact);
	lyb_buf_free(&b);
	free(text);
	return 0;
}
