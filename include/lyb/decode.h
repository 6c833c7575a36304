/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decode.h - records as JSON lines: Avro container blocks decoded with
 * avro-c, and Snowflake export files (JSON lines, or CSV with a header
 * row) streamed line by line.
 *
 * The JSON follows the Avro specification's JSON encoding: records are
 * objects in field order; unions are null or {"<type name>": value}
 * (named types by full name); bytes and fixed are strings whose code
 * points are the byte values (U+0000..U+00FF); enums are their symbol;
 * logical types are encoded as their underlying type (a date is its int,
 * a decimal its bytes). JSON has no NaN or infinities: those floats are
 * the strings "NaN", "Infinity" and "-Infinity". Floats and doubles are
 * written as the shortest decimal that reads back exactly, with a ".0"
 * when integral.
 *
 * Reentrant; input is untrusted and every failure is -EBADMSG with the
 * reason in @err.
 */
#ifndef LYB_DECODE_H
#define LYB_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "lyb/avro.h"
#include "lyb/buf.h"
#include "lyb/export.h"

/* Called with each record as one JSON line (with its '\n'); return 0 to
 * go on, 1 to stop, or -errno. */
typedef int (*lyb_line_cb)(void *arg, const char *line, size_t len);

/*
 * Decodes the records of an Avro container file read through @read, in
 * file order, calling @cb for each, until @cb stops or the file ends.
 * Reads only the header and the blocks it decodes.
 */
int lyb_decode_avro(lyb_read_fn read, void *arg, uint64_t size, lyb_line_cb cb,
		    void *cbarg, char *err, size_t errlen);

/*
 * Streams an export file's records as JSON lines: JSON exports line by
 * line (decompressed when gzip), CSV records as objects keyed by the
 * header row, every value a string.
 */
int lyb_decode_export(lyb_read_fn read, void *arg, uint64_t size,
		      enum lyb_export_format format, lyb_line_cb cb,
		      void *cbarg, char *err, size_t errlen);

#endif
