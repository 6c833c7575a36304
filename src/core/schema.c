// SPDX-License-Identifier: Apache-2.0
/*
 * schema.c - Avro schemas: validation with avro-c and a readable
 * description (see schema.h). Descriptions walk the schema's JSON, depth
 * and width capped, so a hostile schema cannot run away.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "lyb/schema.h"

#define DEPTH_MAX 32
#define NESTED_MAX 16
#define ENUM_SHOWN 8

int lyb_schema_check(const char *text, size_t len, char **compact, char *err,
		     size_t errlen)
{
	avro_schema_t schema = NULL;
	json_error_t jerr;
	json_t *json;
	int rc = 0;

	json = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!json) {
		snprintf(err, errlen, "line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return -EBADMSG;
	}
	if (avro_schema_from_json_length(text, len, &schema) != 0) {
		const char *why = avro_strerror();

		snprintf(err, errlen, "not a valid Avro schema: %s",
			 why && why[0] ? why : "rejected by avro-c");
		rc = -EBADMSG;
		goto out_json;
	}
	avro_schema_decref(schema);
	*compact = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER |
					    JSON_ENCODE_ANY);
	if (!*compact)
		rc = -ENOMEM;
out_json:
	json_decref(json);
	return rc;
}

/* Records met while describing one type, to list their fields after it. */
struct nested {
	json_t *rec[NESTED_MAX];
	size_t n;
};

static const char *json_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void type_text(struct lyb_buf *b, json_t *t, struct nested *nest,
		      int depth);

static void named_text(struct lyb_buf *b, const char *kind, json_t *t)
{
	const char *name = json_str(t, "name");

	lyb_buf_printf(b, "%s%s%s", kind, name ? " " : "", name ? name : "");
}

static void object_text(struct lyb_buf *b, json_t *t, struct nested *nest,
			int depth)
{
	json_t *type = json_object_get(t, "type"), *syms, *sym;
	const char *kind = json_string_value(type), *logical;
	size_t i;

	if (!kind) { /* {"type": {...}} or {"type": [...]} */
		type_text(b, type, nest, depth + 1);
		return;
	}
	if (strcmp(kind, "record") == 0 || strcmp(kind, "error") == 0) {
		named_text(b, kind, t);
		if (nest->n < NESTED_MAX)
			nest->rec[nest->n++] = t;
	} else if (strcmp(kind, "enum") == 0) {
		named_text(b, "enum", t);
		lyb_buf_addstr(b, " {");
		syms = json_object_get(t, "symbols");
		for (i = 0; i < json_array_size(syms); i++) {
			sym = json_array_get(syms, i);
			if (i == ENUM_SHOWN) {
				lyb_buf_addstr(b, ", ...");
				break;
			}
			lyb_buf_printf(b, "%s%s", i ? ", " : "",
				       json_string_value(sym)
					       ? json_string_value(sym)
					       : "?");
		}
		lyb_buf_addstr(b, "}");
	} else if (strcmp(kind, "array") == 0) {
		lyb_buf_addstr(b, "array of ");
		type_text(b, json_object_get(t, "items"), nest, depth + 1);
	} else if (strcmp(kind, "map") == 0) {
		lyb_buf_addstr(b, "map of ");
		type_text(b, json_object_get(t, "values"), nest, depth + 1);
	} else if (strcmp(kind, "fixed") == 0) {
		named_text(b, "fixed", t);
		lyb_buf_printf(b, " (%" JSON_INTEGER_FORMAT " bytes)",
			       json_integer_value(json_object_get(t, "size")));
	} else {
		lyb_buf_addstr(b, kind);
	}
	logical = json_str(t, "logicalType");
	if (logical)
		lyb_buf_printf(b, " (%s)", logical);
}

/* A one-line description of Avro type @t; records go to @nest. */
static void type_text(struct lyb_buf *b, json_t *t, struct nested *nest,
		      int depth)
{
	size_t i;

	if (depth > DEPTH_MAX) {
		lyb_buf_addstr(b, "...");
		return;
	}
	if (json_is_string(t)) {
		lyb_buf_addstr(b, json_string_value(t));
	} else if (json_is_array(t)) { /* a union */
		for (i = 0; i < json_array_size(t); i++) {
			if (i)
				lyb_buf_addstr(b, " | ");
			type_text(b, json_array_get(t, i), nest, depth + 1);
		}
	} else if (json_is_object(t)) {
		object_text(b, t, nest, depth);
	} else {
		lyb_buf_addstr(b, "?");
	}
}

static void fields_text(struct lyb_buf *b, json_t *rec, int indent, int depth)
{
	json_t *fields = json_object_get(rec, "fields");
	size_t i, j;

	if (depth > DEPTH_MAX)
		return;
	for (i = 0; i < json_array_size(fields); i++) {
		json_t *f = json_array_get(fields, i);
		struct nested nest = {.n = 0};
		const char *name = json_str(f, "name"),
			   *doc = json_str(f, "doc");

		lyb_buf_printf(b, "%*s%s: ", indent, "", name ? name : "?");
		type_text(b, json_object_get(f, "type"), &nest, depth + 1);
		if (doc)
			lyb_buf_printf(b, "  -- %s", doc);
		lyb_buf_addstr(b, "\n");
		for (j = 0; j < nest.n; j++)
			fields_text(b, nest.rec[j], indent + 4, depth + 1);
	}
}

int lyb_schema_describe(const char *schema, int indent, struct lyb_buf *out)
{
	struct nested nest = {.n = 0};
	json_t *s = json_loads(schema, JSON_DECODE_ANY, NULL);
	size_t i;

	if (!s)
		return -EBADMSG;
	type_text(out, s, &nest, 0);
	lyb_buf_addstr(out, "\n");
	for (i = 0; i < nest.n; i++)
		fields_text(out, nest.rec[i], indent, 1);
	json_decref(s);
	return 0;
}
