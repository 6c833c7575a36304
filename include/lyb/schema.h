/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema.h - Avro schemas as the catalog keeps them: checked with avro-c,
 * stored as compact JSON, described for people.
 *
 * One of the two modules that include avro-c (decode.c, which decodes
 * records, is the other). Reentrant; results belong to the caller.
 */
#ifndef LYB_SCHEMA_H
#define LYB_SCHEMA_H

#include <stddef.h>
#include "lyb/buf.h"

/*
 * How deep a value may nest: records, arrays, maps and unions each count
 * one level, the top-level type is level 1. avro-c and the JSON encoder
 * recurse per level of a value, so this bounds their stack use.
 */
#define LYB_SCHEMA_DEPTH_MAX 32
/* Distinct record types in one schema (the walk below remembers each). */
#define LYB_SCHEMA_RECORDS_MAX 4096

struct avro_obj_t; /* avro-c's avro_schema_t, without including avro.h */

/*
 * The limits every decoder applies to a writer schema before decoding
 * data with it: 0; -EOVERFLOW when a value could nest deeper than
 * LYB_SCHEMA_DEPTH_MAX, when a record contains itself (a recursive
 * type: its values nest as deep as the data says, so it is refused), or
 * past LYB_SCHEMA_RECORDS_MAX records; -EBADMSG for a type avro-c
 * accepts but cannot decode (a fixed of negative size). The reason is in
 * @err. Linear in the schema's size.
 */
int lyb_schema_bound(struct avro_obj_t *schema, char *err, size_t errlen);

/*
 * Checks that @text is an Avro schema (JSON, accepted by avro-c, and
 * within lyb_schema_bound()'s limits) and
 * returns it as compact JSON in *@compact. -EBADMSG with the reason
 * (JSON line and column, or avro-c's) in @err.
 */
int lyb_schema_check(const char *text, size_t len, char **compact, char *err,
		     size_t errlen);

/*
 * Describes @schema (compact JSON) for a terminal: a first line with the
 * top-level type, then one line per field, "name: type  -- doc",
 * indented by @indent, nested records below their field. -EBADMSG when
 * @schema is not JSON.
 */
int lyb_schema_describe(const char *schema, int indent, struct lyb_buf *out);

#endif
