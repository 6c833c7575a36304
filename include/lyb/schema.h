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
 * Checks that @text is an Avro schema (JSON, accepted by avro-c, within
 * lyb_schema_bound()'s limits, a record's field names unique) and
 * returns it as compact JSON in *@compact. -EBADMSG with the reason
 * (JSON line and column, or avro-c's) in @err.
 */
int lyb_schema_check(const char *text, size_t len, char **compact, char *err,
		     size_t errlen);

/*
 * 1 when @a and @b are the same schema: the same JSON document, white
 * space and the order of object members aside; else 0 (also when either
 * is not JSON).
 */
int lyb_schema_same(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Whether data written with schema @writer can be read with schema
 * @reader, by the schema resolution of the Avro specification: equal
 * types, or a promotion (int to long, float or double; long to float or
 * double; float to double; string and bytes both ways); records of the
 * same name (without namespace) whose reader fields are each in the
 * writer's, resolving, or have a default (writer fields the reader lacks
 * are skipped); enums of the same name whose writer symbols are all the
 * reader's, unless the reader's has a default; fixed of the same name
 * and size; arrays and maps by their items and values; a writer union
 * whose every branch resolves; a reader union whose first branch that
 * matches the writer's type resolves. Aliases are not followed; a record
 * with two fields of one name resolves with nothing. Returns
 * 0, or -EBADMSG with where and why in @err ("field tier: enum Tier: the
 * writer's symbol ... "), also when either is not a schema; -EOVERFLOW
 * when either is past lyb_schema_bound()'s limits (no decoder reads it).
 */
int lyb_schema_resolve(const char *writer, size_t wlen, const char *reader,
		       size_t rlen, char *err, size_t errlen);

/*
 * Describes @schema (compact JSON) for a terminal: a first line with the
 * top-level type, then one line per field, "name: type  -- doc",
 * indented by @indent, nested records below their field. -EBADMSG when
 * @schema is not JSON.
 */
int lyb_schema_describe(const char *schema, int indent, struct lyb_buf *out);

/*
 * The logical types of a writer schema, for decode.h's plain JSON: a
 * tree parallel to the schema (a record's fields in order, an array's
 * items and a map's values as sub[0], a union's branches), each node
 * saying how its values are written. Named types are one node however
 * often they are referenced, so the plan is never larger than the
 * schema's text. A logicalType that does not apply to its type (a date
 * on a string, a decimal whose scale is past its precision) is ignored,
 * as the Avro specification says.
 */
enum lyb_logical {
	LYB_LOGICAL_NONE,
	LYB_LOGICAL_DATE,	 /* int: days since 1970-01-01 */
	LYB_LOGICAL_TIME_MS,	 /* int: ms since midnight */
	LYB_LOGICAL_TIME_US,	 /* long: us since midnight */
	LYB_LOGICAL_TS_MS,	 /* long: ms since the epoch, UTC */
	LYB_LOGICAL_TS_US,	 /* long: us since the epoch, UTC */
	LYB_LOGICAL_LOCAL_TS_MS, /* long: local-timestamp-millis */
	LYB_LOGICAL_LOCAL_TS_US, /* long: local-timestamp-micros */
	LYB_LOGICAL_DECIMAL,	 /* bytes or fixed: the unscaled integer */
};

/*
 * A decimal of a larger precision is not read as a decimal (its bytes
 * are written as bytes): 154 digits are what 64 bytes hold.
 */
#define LYB_SCHEMA_DECIMAL_PRECISION_MAX 154

struct lyb_plan_node {
	enum lyb_logical logical;
	int scale; /* LYB_LOGICAL_DECIMAL */
	size_t n;
	struct lyb_plan_node **sub;
};

struct lyb_plan;
/*
 * Builds the plan of @text (a writer schema avro-c accepted). -EBADMSG
 * when @text is not JSON. *@root belongs to *@out.
 */
int lyb_schema_plan(const char *text, size_t len, struct lyb_plan **out,
		    const struct lyb_plan_node **root);
void lyb_schema_plan_free(struct lyb_plan *p); /* accepts NULL */

#endif
