// SPDX-License-Identifier: Apache-2.0
/*
 * schema.c - Avro schemas: validation with avro-c and a readable
 * description (see schema.h). Descriptions walk the schema's JSON, depth
 * and width capped, so a hostile schema cannot run away.
 *
 * lyb_schema_bound() is the nesting limit every decoder applies before
 * avro-c sees a schema's data: avro-c (and our encoder) recurse once per
 * level of a value, so a schema whose values can nest without bound (a
 * record that contains itself) or deeper than LYB_SCHEMA_DEPTH_MAX lets
 * a small file overflow any thread's stack. It walks avro-c's parsed
 * schema, following named-type references, each record once (its height
 * is remembered), so a schema that reuses a type many times costs its
 * size, not its expansion.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "lyb/schema.h"

#define DEPTH_MAX 32
#define NESTED_MAX 16
#define ENUM_SHOWN 8

/* A record met on the walk: being walked (height 0) or done. */
struct named {
	avro_schema_t s;
	int height; /* levels from the record down, 0 while walking it */
};

struct bound {
	struct named *rec;
	size_t n, cap;
	int unique; /* lyb_schema_check(): a record's field names unique */
	char *err;
	size_t errlen;
};

/*
 * The Avro specification wants a record's field names unique; avro-c does
 * not check (the later field shadows the earlier one in lookups by name).
 */
static int fields_unique(avro_schema_t s, char *err, size_t errlen)
{
	size_t i, n = avro_schema_record_size(s);

	for (i = 0; i < n; i++) {
		const char *name = avro_schema_record_field_name(s, (int)i);

		if (name &&
		    avro_schema_record_field_get_index(s, name) != (int)i) {
			snprintf(err, errlen,
				 "record %s has two fields named %s",
				 avro_schema_type_name(s), name);
			return -EBADMSG;
		}
	}
	return 0;
}

static int too_deep(struct bound *w)
{
	snprintf(w->err, w->errlen,
		 "nested deeper than %d levels (records, arrays, maps and "
		 "unions each count one)",
		 LYB_SCHEMA_DEPTH_MAX);
	return -EOVERFLOW;
}

static int bound_walk(struct bound *w, avro_schema_t s, int depth);

/* Walks @s's children at @depth + 1; the deepest one's height + 1. */
static int bound_children(struct bound *w, avro_schema_t s, int depth)
{
	size_t i, n;
	int h = 0, r;

	switch (avro_typeof(s)) {
	case AVRO_RECORD:
		n = avro_schema_record_size(s);
		for (i = 0; i < n; i++) {
			r = bound_walk(w,
				       avro_schema_record_field_get_by_index(
					       s, (int)i),
				       depth + 1);
			if (r < 0)
				return r;
			h = r > h ? r : h;
		}
		return h + 1;
	case AVRO_ARRAY:
		r = bound_walk(w, avro_schema_array_items(s), depth + 1);
		return r < 0 ? r : r + 1;
	case AVRO_MAP:
		r = bound_walk(w, avro_schema_map_values(s), depth + 1);
		return r < 0 ? r : r + 1;
	case AVRO_UNION:
		n = avro_schema_union_size(s);
		for (i = 0; i < n; i++) {
			r = bound_walk(w, avro_schema_union_branch(s, (int)i),
				       depth + 1);
			if (r < 0)
				return r;
			h = r > h ? r : h;
		}
		return h + 1;
	default:
		return 1;
	}
}

/* The height of @s met at @depth (the top is 1), or -errno. */
static int bound_walk(struct bound *w, avro_schema_t s, int depth)
{
	struct named *grown;
	size_t i;
	int h;

	if (!s)
		return -EBADMSG;
	if (is_avro_link(s))
		s = avro_schema_link_target(s);
	if (!s)
		return -EBADMSG;
	if (depth > LYB_SCHEMA_DEPTH_MAX)
		return too_deep(w);
	if (is_avro_fixed(s) && avro_schema_fixed_size(s) < 0) {
		/* avro-c 1.11 accepts it, then crashes making a class */
		snprintf(w->err, w->errlen, "fixed %s has a negative size",
			 avro_schema_type_name(s));
		return -EBADMSG;
	}
	if (!is_avro_record(s))
		return bound_children(w, s, depth);
	for (i = 0; i < w->n && w->rec[i].s != s; i++)
		;
	if (i < w->n) {
		if (w->rec[i].height == 0) {
			snprintf(w->err, w->errlen,
				 "record %s contains itself (recursive types "
				 "are not decoded)",
				 avro_schema_type_name(s));
			return -EOVERFLOW;
		}
		if (depth + w->rec[i].height - 1 > LYB_SCHEMA_DEPTH_MAX)
			return too_deep(w);
		return w->rec[i].height;
	}
	if (w->n == LYB_SCHEMA_RECORDS_MAX) {
		snprintf(w->err, w->errlen, "more than %d records",
			 LYB_SCHEMA_RECORDS_MAX);
		return -EOVERFLOW;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;

		grown = realloc(w->rec, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		w->rec = grown;
		w->cap = cap;
	}
	w->rec[w->n++] = (struct named){.s = s, .height = 0};
	if (w->unique && fields_unique(s, w->err, w->errlen))
		return -EBADMSG;
	h = bound_children(w, s, depth);
	if (h > 0)
		w->rec[i].height = h;
	return h;
}

static int bound_run(struct avro_obj_t *schema, int unique, char *err,
		     size_t errlen)
{
	struct bound w = {.unique = unique, .err = err, .errlen = errlen};
	int rc;

	if (errlen)
		err[0] = '\0';
	rc = bound_walk(&w, schema, 1);
	free(w.rec);
	if (rc == -EBADMSG && err[0] == '\0')
		snprintf(err, errlen, "a type avro-c could not resolve");
	return rc < 0 ? rc : 0;
}

int lyb_schema_bound(struct avro_obj_t *schema, char *err, size_t errlen)
{
	return bound_run(schema, 0, err, errlen);
}

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
	rc = bound_run(schema, 1, err, errlen);
	avro_schema_decref(schema);
	if (rc == -ENOMEM)
		goto out_json;
	if (rc) {
		rc = -EBADMSG;
		goto out_json;
	}
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

/* --- the plan of logical types (schema.h) --- */

#define PLAN_DEPTH_MAX (4 * LYB_SCHEMA_DEPTH_MAX)
/*
 * Name comparisons one plan may make resolving references (a reference
 * is compared with every name registered before it): a hostile schema of
 * 16 MiB could otherwise make millions of references to thousands of
 * names. Past it, references resolve to no logical types. Real schemas
 * make a few thousand.
 */
#define PLAN_LOOKUPS_MAX (1u << 26)

struct plan_name {
	char *name; /* full name */
	struct lyb_plan_node *node;
};

struct lyb_plan {
	struct lyb_plan_node **nodes; /* every node, for freeing */
	size_t n, cap;
	struct plan_name *names;
	size_t nnames, namecap;
	struct lyb_plan_node *none; /* shared by every plain leaf */
	struct lyb_plan_node *root;
	size_t compares; /* against PLAN_LOOKUPS_MAX */
	int rc;
};

static struct lyb_plan_node *plan_alloc(struct lyb_plan *p, size_t nsub)
{
	struct lyb_plan_node *node, **grown;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		grown = realloc(p->nodes, cap * sizeof(*grown));
		if (!grown)
			goto out_nomem;
		p->nodes = grown;
		p->cap = cap;
	}
	node = calloc(1, sizeof(*node));
	if (!node)
		goto out_nomem;
	if (nsub) {
		node->sub = calloc(nsub, sizeof(*node->sub));
		if (!node->sub) {
			free(node);
			goto out_nomem;
		}
	}
	node->n = nsub;
	p->nodes[p->n++] = node;
	return node;
out_nomem:
	p->rc = -ENOMEM;
	return NULL;
}

/* "<ns>.<name>", or @name when it has a dot or there is no namespace. */
static char *full_name(const char *name, const char *ns)
{
	size_t n;
	char *out;

	if (strchr(name, '.') || !ns || !*ns)
		return strdup(name);
	n = strlen(ns) + strlen(name) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s.%s", ns, name);
	return out;
}

static void plan_register(struct lyb_plan *p, const char *name,
			  struct lyb_plan_node *node)
{
	struct plan_name *grown;

	if (p->nnames == p->namecap) {
		size_t cap = p->namecap ? p->namecap * 2 : 8;

		grown = realloc(p->names, cap * sizeof(*grown));
		if (!grown) {
			p->rc = -ENOMEM;
			return;
		}
		p->names = grown;
		p->namecap = cap;
	}
	p->names[p->nnames].name = strdup(name);
	if (!p->names[p->nnames].name) {
		p->rc = -ENOMEM;
		return;
	}
	p->names[p->nnames++].node = node;
}

/* A reference by name: the node of a record or decimal fixed, or none. */
static struct lyb_plan_node *plan_lookup(struct lyb_plan *p, const char *name,
					 const char *ns)
{
	char *full = full_name(name, ns);
	size_t i;

	if (!full) {
		p->rc = -ENOMEM;
		return p->none;
	}
	for (i = 0; i < p->nnames && p->compares < PLAN_LOOKUPS_MAX; i++) {
		p->compares++;
		if (strcmp(p->names[i].name, full) == 0 ||
		    strcmp(p->names[i].name, name) == 0)
			break;
	}
	free(full);
	return i < p->nnames && p->compares < PLAN_LOOKUPS_MAX
		       ? p->names[i].node
		       : p->none;
}

/*
 * A node without logical types below it is written like a plain one: it
 * is dropped (it was the last allocated, its children after it are gone
 * already) and the shared none node stands for it, so that a plan holds
 * only the paths to logical types and costs little for schemas that
 * have none.
 */
static struct lyb_plan_node *plan_prune(struct lyb_plan *p,
					struct lyb_plan_node *node)
{
	size_t i;

	if (node->logical != LYB_LOGICAL_NONE)
		return node;
	for (i = 0; i < node->n; i++)
		if (node->sub[i] && node->sub[i] != p->none)
			return node;
	if (p->n && p->nodes[p->n - 1] == node) {
		p->n--;
		free(node->sub);
		free(node);
	}
	return p->none;
}

static int json_int(json_t *o, const char *key, json_int_t dflt,
		    json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* The logical type of {"type": @type, "logicalType": ...}, when valid. */
static enum lyb_logical plan_logical(json_t *t, const char *type, int *scale)
{
	static const struct {
		const char *name, *type;
		enum lyb_logical logical;
	} known[] = {
		{"date", "int", LYB_LOGICAL_DATE},
		{"time-millis", "int", LYB_LOGICAL_TIME_MS},
		{"time-micros", "long", LYB_LOGICAL_TIME_US},
		{"timestamp-millis", "long", LYB_LOGICAL_TS_MS},
		{"timestamp-micros", "long", LYB_LOGICAL_TS_US},
		{"local-timestamp-millis", "long", LYB_LOGICAL_LOCAL_TS_MS},
		{"local-timestamp-micros", "long", LYB_LOGICAL_LOCAL_TS_US},
	};
	const char *lt = json_str(t, "logicalType");
	json_int_t precision, sc;
	size_t i;

	if (!lt)
		return LYB_LOGICAL_NONE;
	if (strcmp(lt, "decimal") == 0) {
		if (strcmp(type, "bytes") && strcmp(type, "fixed"))
			return LYB_LOGICAL_NONE;
		if (json_int(t, "precision", -1, &precision) ||
		    json_int(t, "scale", 0, &sc) || precision < 1 ||
		    precision > LYB_SCHEMA_DECIMAL_PRECISION_MAX || sc < 0 ||
		    sc > precision)
			return LYB_LOGICAL_NONE;
		*scale = (int)sc;
		return LYB_LOGICAL_DECIMAL;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(lt, known[i].name) == 0 &&
		    strcmp(type, known[i].type) == 0)
			return known[i].logical;
	return LYB_LOGICAL_NONE;
}

static struct lyb_plan_node *plan_walk(struct lyb_plan *p, json_t *t,
				       const char *ns, int depth);

/* A record, enum or fixed: its namespace for what it contains. */
static char *named_ns(json_t *t, const char *ns)
{
	const char *name = json_str(t, "name"), *own = json_str(t, "namespace");
	const char *dot = name ? strrchr(name, '.') : NULL;

	if (dot)
		return strndup(name, (size_t)(dot - name));
	return strdup(own ? own : ns ? ns : "");
}

static struct lyb_plan_node *plan_object(struct lyb_plan *p, json_t *t,
					 const char *ns, int depth)
{
	json_t *type = json_object_get(t, "type"), *fields, *f;
	const char *name = json_str(t, "name");
	struct lyb_plan_node *node;
	char *inner = NULL, *full;
	const char *ty;
	size_t i;
	int scale = 0;
	enum lyb_logical logical;

	if (!json_is_string(type))
		return type ? plan_walk(p, type, ns, depth + 1) : p->none;
	ty = json_string_value(type);
	if (strcmp(ty, "record") == 0 || strcmp(ty, "error") == 0) {
		fields = json_object_get(t, "fields");
		node = plan_alloc(p, json_array_size(fields));
		inner = named_ns(t, ns);
		if (!node || !inner) {
			p->rc = -ENOMEM;
			free(inner);
			return p->none;
		}
		json_array_foreach(fields, i, f)
		{
			node->sub[i] = plan_walk(p, json_object_get(f, "type"),
						 inner, depth + 1);
		}
		/* after its fields: a record never contains itself (the
		 * schema passed lyb_schema_bound()), and a pruned one needs
		 * no name (an unknown name is none) */
		node = plan_prune(p, node);
		if (node != p->none && name &&
		    (full = full_name(name, inner))) {
			plan_register(p, full, node);
			free(full);
		}
		free(inner);
		return node;
	}
	if (strcmp(ty, "array") == 0 || strcmp(ty, "map") == 0) {
		node = plan_alloc(p, 1);
		if (!node)
			return p->none;
		node->sub[0] = plan_walk(
			p,
			json_object_get(t, ty[0] == 'a' ? "items" : "values"),
			ns, depth + 1);
		return plan_prune(p, node);
	}
	logical = plan_logical(t, ty, &scale);
	if (logical == LYB_LOGICAL_NONE)
		return strcmp(ty, "fixed") && strcmp(ty, "enum")
			       ? plan_lookup(p, ty, ns) /* or a primitive */
			       : p->none;
	node = plan_alloc(p, 0);
	if (!node)
		return p->none;
	node->logical = logical;
	node->scale = scale;
	if (strcmp(ty, "fixed") == 0 && name) {
		inner = named_ns(t, ns);
		full = inner ? full_name(name, inner) : NULL;
		if (full)
			plan_register(p, full, node);
		else
			p->rc = -ENOMEM;
		free(full);
		free(inner);
	}
	return node;
}

static struct lyb_plan_node *plan_walk(struct lyb_plan *p, json_t *t,
				       const char *ns, int depth)
{
	struct lyb_plan_node *node;
	json_t *b;
	size_t i;

	if (depth > PLAN_DEPTH_MAX || p->rc)
		return p->none;
	if (json_is_string(t))
		return plan_lookup(p, json_string_value(t), ns);
	if (json_is_object(t))
		return plan_object(p, t, ns, depth);
	if (!json_is_array(t))
		return p->none;
	node = plan_alloc(p, json_array_size(t));
	if (!node)
		return p->none;
	json_array_foreach(t, i, b)
	{
		node->sub[i] = plan_walk(p, b, ns, depth + 1);
	}
	return plan_prune(p, node);
}

int lyb_schema_plan(const char *text, size_t len, struct lyb_plan **out,
		    const struct lyb_plan_node **root)
{
	struct lyb_plan *p = calloc(1, sizeof(*p));
	json_t *json;
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	json = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	if (!json) {
		free(p);
		return -EBADMSG;
	}
	p->none = plan_alloc(p, 0);
	if (p->none)
		p->root = plan_walk(p, json, "", 1);
	json_decref(json);
	rc = p->rc;
	if (rc) {
		lyb_schema_plan_free(p);
		return rc;
	}
	*out = p;
	*root = p->root;
	return 0;
}

void lyb_schema_plan_free(struct lyb_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->nodes[i]->sub);
		free(p->nodes[i]);
	}
	for (i = 0; i < p->nnames; i++)
		free(p->names[i].name);
	free(p->nodes);
	free(p->names);
	free(p);
}

/* --- sameness and resolution (schema.h) --- */

int lyb_schema_same(const char *a, size_t alen, const char *b, size_t blen)
{
	json_t *ja, *jb;
	int same;

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 1;
	ja = json_loadb(a, alen, JSON_DECODE_ANY, NULL);
	jb = json_loadb(b, blen, JSON_DECODE_ANY, NULL);
	same = ja && jb && json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return same;
}

/*
 * Comparisons one resolution may make: named types are compared once per
 * pair (remembered), so real schemas take a few thousand; a hostile pair
 * that reuses types in many combinations stops here.
 */
#define RESOLVE_STEPS_MAX (1u << 20)

/* A named type of the reader's JSON: where its fields' defaults are. */
struct rs_named {
	char *name; /* full name */
	json_t *def;
};

struct rs_pair {
	avro_schema_t w, r;
};

struct resolver {
	struct rs_named *names;
	size_t nnames, namecap;
	struct rs_pair *seen;
	size_t nseen, seencap;
	size_t steps;
	int rc;
	char *err;
	size_t errlen;
};

static int rs_fail(struct resolver *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int rs_fail(struct resolver *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Puts "@what: " in front of the reason a nested resolution gave. */
static int rs_within(struct resolver *x, int rc, const char *kind,
		     const char *what)
{
	char *tail;

	if (rc != -EBADMSG || !x->errlen)
		return rc;
	tail = strdup(x->err);
	if (!tail)
		return -ENOMEM;
	snprintf(x->err, x->errlen, "%s%s%s: %s", kind, what[0] ? " " : "",
		 what, tail);
	free(tail);
	return rc;
}

/* Records the reader's named types, with the namespaces they are in. */
static void rs_collect(struct resolver *x, json_t *t, const char *ns, int depth)
{
	json_t *type, *f;
	const char *ty, *name;
	struct rs_named *grown;
	char *inner, *full;
	size_t i;

	if (depth > PLAN_DEPTH_MAX || x->rc)
		return;
	if (json_is_array(t)) {
		json_array_foreach(t, i, f)
		{
			rs_collect(x, f, ns, depth + 1);
		}
		return;
	}
	type = json_object_get(t, "type");
	if (!json_is_string(type)) {
		if (type)
			rs_collect(x, type, ns, depth + 1);
		return;
	}
	ty = json_string_value(type);
	if (strcmp(ty, "array") == 0 || strcmp(ty, "map") == 0) {
		rs_collect(
			x,
			json_object_get(t, ty[0] == 'a' ? "items" : "values"),
			ns, depth + 1);
		return;
	}
	name = json_str(t, "name");
	if (!name || (strcmp(ty, "record") && strcmp(ty, "error") &&
		      strcmp(ty, "enum") && strcmp(ty, "fixed")))
		return;
	inner = named_ns(t, ns);
	full = inner ? full_name(name, inner) : NULL;
	if (full && x->nnames == x->namecap) {
		size_t cap = x->namecap ? x->namecap * 2 : 8;

		grown = realloc(x->names, cap * sizeof(*grown));
		if (grown) {
			x->names = grown;
			x->namecap = cap;
		}
	}
	if (!full || x->nnames == x->namecap) {
		x->rc = -ENOMEM;
		free(full);
		free(inner);
		return;
	}
	x->names[x->nnames++] = (struct rs_named){full, t};
	json_array_foreach(json_object_get(t, "fields"), i, f)
	{
		rs_collect(x, json_object_get(f, "type"), inner, depth + 1);
	}
	free(inner);
}

/* The reader's JSON definition of named type @s, or NULL. */
static json_t *rs_def(struct resolver *x, avro_schema_t s)
{
	const char *name = avro_schema_name(s), *ns = avro_schema_namespace(s);
	char *full = full_name(name ? name : "", ns);
	json_t *def = NULL;
	size_t i;

	for (i = 0; full && i < x->nnames && !def; i++)
		if (strcmp(x->names[i].name, full) == 0)
			def = x->names[i].def;
	free(full);
	return def;
}

/* Whether reader record @r's field @field has a default. */
static int rs_has_default(struct resolver *x, avro_schema_t r,
			  const char *field)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(rs_def(x, r), "fields"), i, f)
	{
		const char *name = json_str(f, "name");

		if (name && strcmp(name, field) == 0)
			return json_object_get(f, "default") != NULL;
	}
	return 0;
}

static avro_schema_t rs_deref(avro_schema_t s)
{
	return s && is_avro_link(s) ? avro_schema_link_target(s) : s;
}

/* A named type's name without its namespace. */
static const char *rs_base(avro_schema_t s)
{
	const char *name = avro_schema_name(s), *dot;

	if (!name)
		return "";
	dot = strrchr(name, '.');
	return dot ? dot + 1 : name;
}

/* Avro's promotions: int to long, float or double; long to float or
 * double; float to double; string and bytes both ways. */
static int rs_promotes(avro_type_t w, avro_type_t r)
{
	switch (w) {
	case AVRO_INT32:
		return r == AVRO_INT64 || r == AVRO_FLOAT || r == AVRO_DOUBLE;
	case AVRO_INT64:
		return r == AVRO_FLOAT || r == AVRO_DOUBLE;
	case AVRO_FLOAT:
		return r == AVRO_DOUBLE;
	case AVRO_STRING:
		return r == AVRO_BYTES;
	case AVRO_BYTES:
		return r == AVRO_STRING;
	default:
		return 0;
	}
}

/* The specification's "match": what decides a reader union's branch. */
static int rs_match(avro_schema_t w, avro_schema_t r)
{
	avro_type_t wt = avro_typeof(w), rt = avro_typeof(r);

	if (wt != rt)
		return rs_promotes(wt, rt);
	switch (wt) {
	case AVRO_RECORD:
	case AVRO_ENUM:
		return strcmp(rs_base(w), rs_base(r)) == 0;
	case AVRO_FIXED:
		return strcmp(rs_base(w), rs_base(r)) == 0 &&
		       avro_schema_fixed_size(w) == avro_schema_fixed_size(r);
	default:
		return 1;
	}
}

static int rs_walk(struct resolver *x, avro_schema_t w, avro_schema_t r);

static int rs_record(struct resolver *x, avro_schema_t w, avro_schema_t r)
{
	struct rs_pair *grown;
	size_t i, n = avro_schema_record_size(r);
	int wi, rc;

	for (i = 0; i < x->nseen; i++)
		if (x->seen[i].w == w && x->seen[i].r == r)
			return 0; /* compared already, or being compared */
	if (x->nseen == x->seencap) {
		size_t cap = x->seencap ? x->seencap * 2 : 16;

		grown = realloc(x->seen, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		x->seen = grown;
		x->seencap = cap;
	}
	x->seen[x->nseen++] = (struct rs_pair){w, r};
	if (fields_unique(w, x->err, x->errlen) ||
	    fields_unique(r, x->err, x->errlen))
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		const char *name = avro_schema_record_field_name(r, (int)i);

		if (!name)
			return rs_fail(x, "a field without a name");
		wi = avro_schema_record_field_get_index(w, name);
		if (wi < 0) {
			if (rs_has_default(x, r, name))
				continue;
			return rs_fail(x,
				       "field %s: not in the writer's record "
				       "%s, and the reader's has no default",
				       name, rs_base(w));
		}
		rc = rs_walk(x, avro_schema_record_field_get_by_index(w, wi),
			     avro_schema_record_field_get_by_index(r, (int)i));
		if (rc)
			return rs_within(x, rc, "field", name);
	}
	return 0;
}

static int rs_enum(struct resolver *x, avro_schema_t w, avro_schema_t r)
{
	const json_t *dflt = json_object_get(rs_def(x, r), "default");
	int i, n = avro_schema_enum_number_of_symbols(w);

	if (json_is_string(dflt))
		return 0; /* unknown symbols read as the reader's default */
	for (i = 0; i < n; i++) {
		const char *sym = avro_schema_enum_get(w, i);

		if (sym && avro_schema_enum_get_by_name(r, sym) < 0)
			return rs_fail(x,
				       "enum %s: the writer's symbol %s is not "
				       "the reader's, and the reader's enum "
				       "has no default",
				       rs_base(r), sym);
	}
	return 0;
}

static int rs_walk(struct resolver *x, avro_schema_t w, avro_schema_t r)
{
	avro_schema_t b;
	size_t i, n;
	int rc;

	w = rs_deref(w);
	r = rs_deref(r);
	if (!w || !r)
		return rs_fail(x, "a type avro-c could not resolve");
	if (++x->steps > RESOLVE_STEPS_MAX)
		return rs_fail(x,
			       "more than %u comparisons: too large to "
			       "compare",
			       RESOLVE_STEPS_MAX);
	if (is_avro_union(w)) {
		/* each branch the writer may have written must resolve */
		n = avro_schema_union_size(w);
		for (i = 0; i < n; i++) {
			b = avro_schema_union_branch(w, (int)i);
			rc = rs_walk(x, b, r);
			if (rc)
				return rs_within(
					x, rc, "the writer's union branch",
					avro_schema_type_name(rs_deref(b)));
		}
		return 0;
	}
	if (is_avro_union(r)) {
		/* the first branch that matches is the one read */
		n = avro_schema_union_size(r);
		for (i = 0; i < n; i++) {
			b = rs_deref(avro_schema_union_branch(r, (int)i));
			if (b && rs_match(w, b))
				return rs_walk(x, w, b);
		}
		return rs_fail(x,
			       "the writer's %s is in none of the reader's "
			       "union branches",
			       avro_schema_type_name(w));
	}
	if (!rs_match(w, r))
		return rs_fail(x, "the writer's %s cannot be read as %s",
			       avro_schema_type_name(w),
			       avro_schema_type_name(r));
	switch (avro_typeof(w)) {
	case AVRO_RECORD:
		return rs_record(x, w, r);
	case AVRO_ENUM:
		return rs_enum(x, w, r);
	case AVRO_ARRAY:
		rc = rs_walk(x, avro_schema_array_items(w),
			     avro_schema_array_items(r));
		return rs_within(x, rc, "array items", "");
	case AVRO_MAP:
		rc = rs_walk(x, avro_schema_map_values(w),
			     avro_schema_map_values(r));
		return rs_within(x, rc, "map values", "");
	default:
		return 0;
	}
}

/* Parses @text for resolution: avro-c's schema, within the limits. */
static int rs_parse(const char *text, size_t len, const char *whose,
		    avro_schema_t *out, char *err, size_t errlen)
{
	char why[256];
	int rc;

	if (avro_schema_from_json_length(text, len, out) != 0) {
		*out = NULL;
		snprintf(err, errlen, "the %s schema: %s", whose,
			 avro_strerror());
		return -EBADMSG;
	}
	rc = lyb_schema_bound(*out, why, sizeof(why));
	if (rc && rc != -ENOMEM)
		snprintf(err, errlen, "the %s schema: %s", whose, why);
	return rc;
}

int lyb_schema_resolve(const char *writer, size_t wlen, const char *reader,
		       size_t rlen, char *err, size_t errlen)
{
	struct resolver x = {.err = err, .errlen = errlen};
	avro_schema_t w = NULL, r = NULL;
	json_t *rj = NULL;
	size_t i;
	int rc;

	if (errlen)
		err[0] = '\0';
	rc = rs_parse(writer, wlen, "writer", &w, err, errlen);
	if (rc == 0)
		rc = rs_parse(reader, rlen, "reader", &r, err, errlen);
	if (rc == 0) {
		rj = json_loadb(reader, rlen, JSON_DECODE_ANY, NULL);
		if (rj)
			rs_collect(&x, rj, "", 1);
		rc = rj ? x.rc : -EBADMSG;
	}
	if (rc == 0)
		rc = rs_walk(&x, w, r);
	for (i = 0; i < x.nnames; i++)
		free(x.names[i].name);
	free(x.names);
	free(x.seen);
	json_decref(rj);
	if (w)
		avro_schema_decref(w);
	if (r)
		avro_schema_decref(r);
	return rc;
}
