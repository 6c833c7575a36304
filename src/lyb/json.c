// SPDX-License-Identifier: Apache-2.0
/*
 * json.c - the --json output of `lyb ls`, `ls DATASET`, `info`, `status`,
 * `access list` and `audit`: one JSON document on stdout, its fields
 * stable and documented (docs/cli.md). The only file of the CLI that
 * includes <jansson.h>, so that every string is escaped by jansson, never
 * by hand.
 *
 * Field names are those of the portal's API (docs/api.md) and of the
 * mount's .lyb/info.json where they show the same thing; optional fields
 * are null when not set, never missing. Output is ASCII (everything else
 * as \uXXXX), so no stored string can reach a terminal raw. Lists that
 * grow with the catalog or the log (ls, audit) are written one item per
 * line as they are made, not built in memory first.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lyb/freshness.h"
#include "lyb/text.h"

#define DOC_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)
#define ITEM_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)
#define ESCAPED_MAX 16384 /* a string that is not UTF-8, escaped */

/*
 * A string, null for NULL. Catalog and audit strings were parsed by
 * jansson and are UTF-8; anything else (a URL given on the command line,
 * a file of the mount) that is not is shown escaped (lyb_text_escape).
 */
static json_t *jstr(const char *s)
{
	char *esc;
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	esc = malloc(ESCAPED_MAX);
	if (!esc)
		return NULL;
	j = json_string(lyb_text_escape(s, esc, ESCAPED_MAX));
	free(esc);
	return j;
}

/* The audit log's "" for a field a line lacks is null here. */
static json_t *jfield(const char *s)
{
	return jstr(s && s[0] ? s : NULL);
}

static json_t *jtime(int64_t t)
{
	char buf[21];

	lyb_time_format(t, buf);
	return json_string(buf);
}

/* Sets @key to @v (taken); 1 on failure, for rc |= ... */
static int put(json_t *o, const char *key, json_t *v)
{
	return !o || !v || json_object_set_new(o, key, v) != 0;
}

static int add(json_t *a, json_t *v)
{
	return !a || !v || json_array_append_new(a, v) != 0;
}

static json_t *strings(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;
	int rc = 0;

	for (i = 0; a && i < n; i++)
		rc |= add(a, jstr(v[i]));
	if (rc) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static int nomem(void)
{
	lyb_cli_fail("writing JSON", "%s", strerror(ENOMEM));
	return -ENOMEM;
}

/* Writes @o (taken) with @flags; NULL is out of memory. */
static int dump(json_t *o, size_t flags)
{
	int rc;

	if (!o)
		return nomem();
	rc = json_dumpf(o, stdout, flags);
	json_decref(o);
	if (rc == 0)
		return 0;
	if (ferror(stdout)) {
		lyb_cli_fail("writing the output", "%s", strerror(errno));
		return -EIO;
	}
	return nomem();
}

/* Prints @o (taken) as a document. */
static int print(json_t *o, size_t flags)
{
	int rc = dump(o, flags);

	if (rc == 0)
		putchar('\n');
	return rc;
}

/* Prints each member of @o (taken) as @lead "KEY": VALUE @after. */
static int members(json_t *o, const char *lead, const char *after)
{
	const char *key;
	json_t *v;
	int rc;

	if (!o)
		return nomem();
	json_object_foreach(o, key, v)
	{
		/* keys are this file's literals: no escaping needed */
		printf("%s\"%s\": ", lead, key);
		rc = dump(json_incref(v), ITEM_FLAGS | JSON_ENCODE_ANY);
		if (rc) {
			json_decref(o);
			return rc;
		}
		fputs(after, stdout);
	}
	json_decref(o);
	return 0;
}

/*
 * A document whose list member (ls's DataSets, audit's records) is
 * printed item by item: stream_begin() prints the members of @head
 * (taken) and opens list @key, stream_item() prints one item (taken),
 * stream_end() closes the list and prints the members of @tail (taken).
 */

static int stream_begin(struct lyb_json_list *s, json_t *head, const char *key)
{
	int rc;

	s->n = 0;
	fputs("{\n", stdout);
	rc = members(head, "  ", ",\n");
	if (rc)
		return rc;
	printf("  \"%s\": [", key);
	return 0;
}

static int stream_item(struct lyb_json_list *s, json_t *o)
{
	if (!o)
		return nomem();
	fputs(s->n++ ? ",\n    " : "\n    ", stdout);
	return dump(o, ITEM_FLAGS);
}

static int stream_end(struct lyb_json_list *s, json_t *tail)
{
	int rc;

	fputs(s->n ? "\n  ]" : "]", stdout);
	rc = members(tail, ",\n  ", "");
	if (rc == 0)
		fputs("\n}\n", stdout);
	return rc;
}

/* --- freshness and versions --- */

static json_t *freshness_json(const struct lyb_freshness *f)
{
	json_t *o = json_object();
	int rc = 0, due = f->expected[0] != '\0';

	rc |= put(o, "state", json_string(lyb_freshness_state_name(f->state)));
	rc |= put(o, "summary", jstr(f->summary));
	rc |= put(o, "expected", due ? json_string(f->expected) : json_null());
	rc |= put(o, "deadline", due ? jtime(f->deadline) : json_null());
	rc |= put(o, "delivered",
		  due && f->delivered ? jtime(f->delivered) : json_null());
	rc |= put(o, "late_by", due ? json_integer(f->late_by) : json_null());
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *locations_json(const struct lyb_version *v)
{
	json_t *o = json_object();
	size_t i;
	int rc = 0;

	for (i = 0; o && i < v->nlocations && rc == 0; i++) {
		const struct lyb_location *l = &v->locations[i];
		json_t *j = json_object();
		uint64_t bytes = 0;
		size_t k;

		for (k = 0; k < l->nobjects; k++)
			bytes += l->objects[k].size;
		rc |= put(o, lyb_loc_kind_name(l->kind), j);
		rc |= put(j, "url", jstr(l->url));
		rc |= put(j, "table", jstr(l->table));
		rc |= put(j, "format", jstr(l->format));
		rc |= put(j, "compression", jstr(l->compression));
		rc |= put(j, "object_count",
			  json_integer((json_int_t)l->nobjects));
		rc |= put(j, "object_bytes", json_integer((json_int_t)bytes));
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *version_json(const struct lyb_version *v)
{
	json_t *o = json_object(), *up = json_array();
	size_t i;
	int rc = 0;

	rc |= put(o, "date", json_string(v->date));
	rc |= put(o, "id", json_string(v->id));
	rc |= put(o, "digest", json_string(v->digest));
	rc |= put(o, "published", jtime(v->published));
	rc |= put(o, "producer", jstr(v->producer));
	rc |= put(o, "rows",
		  v->rows >= 0 ? json_integer(v->rows) : json_null());
	rc |= put(o, "bytes", json_integer((json_int_t)v->bytes));
	for (i = 0; up && i < v->nupstream; i++)
		rc |= add(up, json_pack("{s:o, s:s, s:s}", "dataset",
					jstr(v->upstream[i].dataset), "date",
					v->upstream[i].date, "id",
					v->upstream[i].id));
	rc |= put(o, "upstream", up);
	rc |= put(o, "locations", locations_json(v));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* --- lyb ls --- */

static json_t *summary_json(const struct lyb_dataset *ds,
			    const struct lyb_freshness *f)
{
	char uri[LYB_NAME_MAX + 8];
	json_t *o = json_object(), *latest = json_null();
	int rc = 0;

	snprintf(uri, sizeof(uri), "lyb://%s", ds->name);
	if (ds->latest_date[0])
		latest = json_pack("{s:s, s:s, s:o}", "date", ds->latest_date,
				   "version", ds->latest_id, "published",
				   jtime(ds->latest_published));
	rc |= put(o, "name", json_string(ds->name));
	rc |= put(o, "uri", json_string(uri));
	rc |= put(o, "description", jstr(ds->description));
	rc |= put(o, "owner",
		  json_pack("{s:o, s:o, s:o}", "team", jstr(ds->owner),
			    "channel", jstr(ds->channel), "pm", jstr(ds->pm)));
	rc |= put(o, "created", jtime(ds->created));
	rc |= put(o, "updated", jtime(ds->updated));
	rc |= put(o, "dates", json_integer((json_int_t)ds->count_dates));
	rc |= put(o, "versions", json_integer((json_int_t)ds->count_versions));
	rc |= put(o, "latest", latest);
	rc |= put(o, "freshness", freshness_json(f));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int lyb_json_datasets(const char *catalog, const struct lyb_snap *snap,
		      int64_t now, int late)
{
	struct lyb_freshness f;
	struct lyb_json_list st;
	size_t i;
	int rc;

	rc = stream_begin(&st, json_pack("{s:o}", "catalog", jstr(catalog)),
			  "datasets");
	for (i = 0; i < snap->ndatasets && rc == 0; i++) {
		lyb_freshness_check(snap->datasets[i], now, &f);
		if (!late || lyb_freshness_overdue(&f))
			rc = stream_item(&st,
					 summary_json(snap->datasets[i], &f));
	}
	return rc ? rc : stream_end(&st, json_object());
}

/* --- lyb ls DATASET --- */

int lyb_json_dates(const struct lyb_dataset *ds)
{
	json_t *o = json_object(), *a = json_array();
	size_t i;
	int rc = 0;

	rc |= put(o, "dataset", json_string(ds->name));
	for (i = 0; a && i < ds->ndates; i++)
		rc |= add(a, json_pack("{s:s, s:I, s:o}", "date",
				       ds->dates[i].date, "count",
				       (json_int_t)ds->dates[i].count, "latest",
				       version_json(ds->dates[i].latest)));
	rc |= put(o, "dates", a);
	if (rc) {
		json_decref(o);
		return nomem();
	}
	return print(o, DOC_FLAGS);
}

/* --- lyb info --- */

/* Sets @key of @o to null when the card left it out (not set). */
static int null_missing(json_t *o, const char *key)
{
	return !o || (!json_object_get(o, key) &&
		      json_object_set_new(o, key, json_null()) != 0);
}

int lyb_json_card(const struct lyb_snap *snap, const struct lyb_dataset *ds,
		  int64_t now)
{
	const struct lyb_date *d = lyb_dataset_latest_date(ds);
	struct lyb_freshness f;
	char *text = NULL;
	json_t *o;
	int rc;

	/* the card of .lyb/info.json and the portal, as it is */
	if (lyb_dataset_card(snap, ds, &text))
		return nomem();
	o = json_loads(text, 0, NULL);
	free(text);
	lyb_freshness_check(ds, now, &f);
	rc = null_missing(o, "description") | null_missing(o, "slo") |
	     null_missing(o, "schema") | null_missing(o, "latest");
	if (json_is_object(json_object_get(o, "latest")))
		rc |= null_missing(json_object_get(o, "latest"), "rows");
	rc |= null_missing(json_object_get(o, "owner"), "channel");
	rc |= null_missing(json_object_get(o, "owner"), "pm");
	rc |= put(o, "freshness", freshness_json(&f));
	rc |= put(o, "latest_version",
		  d ? version_json(d->latest) : json_null());
	if (rc) {
		json_decref(o);
		return nomem();
	}
	return print(o, DOC_FLAGS);
}

/* --- lyb access list --- */

int lyb_json_access(const struct lyb_dataset *ds)
{
	json_t *o = json_object(), *reqs = json_array(), *hist = json_array();
	size_t i;
	int rc = 0;

	for (i = 0; reqs && i < ds->nrequests; i++) {
		const struct lyb_access_request *r = &ds->requests[i];

		rc |= add(reqs, json_pack("{s:o, s:o, s:o}", "principal",
					  jstr(r->principal), "since",
					  jtime(r->since), "reason",
					  jstr(r->reason)));
	}
	for (i = 0; hist && i < ds->nhistory; i++) {
		const struct lyb_access_change *h = &ds->history[i];

		rc |= add(hist,
			  json_pack("{s:o, s:o, s:o, s:o, s:o}", "time",
				    jtime(h->time), "action", jstr(h->action),
				    "principal", jstr(h->principal), "by",
				    jstr(h->by), "reason", jstr(h->reason)));
	}
	rc |= put(o, "dataset", json_string(ds->name));
	rc |= put(o, "owner", jstr(ds->owner));
	rc |= put(o, "readers", strings(ds->readers, ds->nreaders));
	rc |= put(o, "requests", reqs);
	rc |= put(o, "history", hist);
	rc |= put(o, "history_dropped", json_integer(ds->history_dropped));
	if (rc) {
		json_decref(o);
		return nomem();
	}
	return print(o, DOC_FLAGS);
}

/* --- lyb status --- */

int lyb_json_status(const char *mnt, int healthy, const char *health,
		    const char *const *names, const double *values)
{
	json_t *o = json_object(), *lines = json_array(), *m = json_object();
	const char *p = health, *nl;
	char line[4096];
	size_t i, n;
	int rc = 0;

	while (lines && *p) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s",
			 (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		rc |= add(lines, jstr(line));
		p += n + (nl != NULL);
	}
	for (i = 0; m && names[i]; i++)
		rc |= put(m, names[i],
			  isfinite(values[i]) && fabs(values[i]) < 9e15
				  ? json_integer((json_int_t)llround(values[i]))
				  : json_null());
	rc |= put(o, "mount", jstr(mnt));
	rc |= put(o, "healthy", json_boolean(healthy));
	rc |= put(o, "health", lines);
	rc |= put(o, "metrics", m);
	if (rc) {
		json_decref(o);
		return nomem();
	}
	return print(o, DOC_FLAGS);
}

/* --- lyb audit --- */

static int audit_begin(struct lyb_json_list *l)
{
	l->started = 1;
	return stream_begin(l,
			    json_pack("{s:o, s:o}", "file", jstr(l->path),
				      "dataset", jstr(l->dataset)),
			    "records");
}

int lyb_json_audit_record(void *arg, const struct lyb_audit_record *r)
{
	struct lyb_json_list *st = arg;
	json_t *o;

	if (!st->started && (st->rc = audit_begin(st)))
		return 1;
	if (strcmp(r->op, "dropped") == 0)
		o = json_pack("{s:o, s:I, s:s, s:I, s:I, s:o, s:o}", "time",
			      jfield(r->time), "uid", (json_int_t)r->uid, "op",
			      r->op, "count", (json_int_t)r->count, "allowed",
			      (json_int_t)r->allowed, "since", jfield(r->since),
			      "reason", jfield(r->reason));
	else
		o = json_pack("{s:o, s:I, s:o, s:I, s:o, s:o, s:o, s:o, s:o,"
			      " s:o, s:o, s:o, s:o}",
			      "time", jfield(r->time), "uid",
			      (json_int_t)r->uid, "principal",
			      jfield(r->principal), "pid", (json_int_t)r->pid,
			      "comm", jfield(r->comm), "op", jfield(r->op),
			      "dataset", jfield(r->dataset), "date",
			      jfield(r->date), "version", jfield(r->version),
			      "location", jfield(r->location), "path",
			      jfield(r->path), "decision", jfield(r->decision),
			      "reason", jfield(r->reason));
	st->rc = stream_item(st, o);
	return st->rc ? 1 : 0; /* non-zero stops the read */
}

int lyb_json_audit_end(struct lyb_json_list *st, size_t bad)
{
	int rc = st->started ? 0 : audit_begin(st);

	if (rc)
		return rc;
	return stream_end(st,
			  json_pack("{s:I}", "unreadable", (json_int_t)bad));
}
