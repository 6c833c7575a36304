/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema.h - Avro schemas as the catalog keeps them: checked with avro-c,
 * stored as compact JSON, described for people.
 *
 * The only module that includes avro-c. Reentrant; results belong to the
 * caller.
 */
#ifndef LYB_SCHEMA_H
#define LYB_SCHEMA_H

#include <stddef.h>
#include "lyb/buf.h"

/*
 * Checks that @text is an Avro schema (JSON, and accepted by avro-c) and
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
