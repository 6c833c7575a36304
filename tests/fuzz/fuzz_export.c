// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_export.c - Snowflake export files: any bytes as a JSON-lines and
 * as a CSV export, plain or gzip (detected from the magic), through the
 * row counter and the record decoder.
 */
#include <stdio.h>

#include "fuzz.h"
#include "lyb/decode.h"
#include "lyb/export.h"

#define LINES_MAX 100000

static int on_line(void *arg, const char *line, size_t len)
{
	size_t *n = arg;

	if (len == 0 || line[len - 1] != '\n') {
		fprintf(stderr, "fuzz_export: a line without its newline\n");
		abort();
	}
	return ++*n >= LINES_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum lyb_export_format formats[] = {LYB_EXPORT_JSON,
							 LYB_EXPORT_CSV};
	struct fuzz_mem m = {data, size};
	char err[512];
	int64_t rows;
	size_t i, lines;

	fuzz_quiet();
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		lines = 0;
		lyb_export_count_rows(fuzz_mem_read, &m, size, formats[i],
				      &rows, err, sizeof(err));
		lyb_decode_export(fuzz_mem_read, &m, size, formats[i], on_line,
				  &lines, err, sizeof(err));
	}
	return 0;
}
