/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export.h - files unloaded from Snowflake ("COPY INTO @stage"): JSON
 * lines or CSV with a header row, plain or gzip.
 *
 * Reentrant; no shared state. Input is untrusted: decompression output is
 * streamed, never held whole, and malformed gzip is -EBADMSG.
 */
#ifndef LYB_EXPORT_H
#define LYB_EXPORT_H

#include <stdint.h>
#include "lyb/avro.h" /* lyb_read_fn */

enum lyb_export_format { LYB_EXPORT_JSON, LYB_EXPORT_CSV };

/*
 * Infers format and compression from a file name: "x.json", "x.json.gz",
 * "x.csv", "x.csv.gz" (also .jsonl/.ndjson). Returns 0 or -EINVAL.
 */
int lyb_export_detect(const char *name, enum lyb_export_format *format,
		      int *gzip);
const char *lyb_export_format_name(enum lyb_export_format format);

/*
 * Counts data rows: non-empty lines for JSON; records for CSV (quoted
 * newlines do not end a record) minus the header row. Gzip is detected
 * from the magic bytes, not the name. Returns 0, -EBADMSG, or the
 * reader's error.
 */
int lyb_export_count_rows(lyb_read_fn read, void *arg, uint64_t size,
			  enum lyb_export_format format, int64_t *rows,
			  char *err, size_t errlen);

#endif
