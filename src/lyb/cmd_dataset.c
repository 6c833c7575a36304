// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_dataset.c - `lyb dataset create DATASET --owner group:TEAM ...`:
 * builds a struct lyb_dataset from the options and creates it in the
 * catalog (and the catalog itself when there is none yet).
 *
 * The schema file is checked with avro-c, which must accept it as an Avro
 * schema, and stored as compact JSON. The SLO is "FREQUENCY HH:MM [UTC]"
 * (also "FREQUENCY by HH:MM"); only UTC deadlines exist for now. Upstream
 * DataSets must already exist in the catalog.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lyb/freshness.h"
#include "lyb/schema.h"

#define SCHEMA_FILE_MAX (1u << 20)
#define TEXT_MAX 4096 /* description, channel, pm */
#define LIST_MAX 1024 /* readers, upstream */

struct create_opts {
	const char *owner, *description, *channel, *pm, *schema_file, *slo;
	const char *format;
	struct lyb_opt_list readers, upstream;
};

#define O struct create_opts
static const struct lyb_opt create_opts[] = {
	LYB_STRING("owner", 'o', O, owner, "group:TEAM",
		   "the owner team (required)", NULL),
	LYB_STRING("description", 'd', O, description, "TEXT", "what it is",
		   NULL),
	LYB_STRING("channel", 'c', O, channel, "CHANNEL",
		   "the team's chat channel", NULL),
	LYB_STRING("pm", 'p', O, pm, "HANDLE", "its product manager", NULL),
	LYB_STRING("schema", 's', O, schema_file, "FILE",
		   "its Avro schema (.avsc)", NULL),
	LYB_STRING("slo", 'S', O, slo, "SLO",
		   "delivery SLO: \"daily 08:00\" (daily, hourly, weekly)",
		   NULL),
	LYB_STRING("format", 'f', O, format, "FORMAT", "its data format",
		   "avro"),
	LYB_LIST("reader", 'r', O, readers, "PRINCIPAL",
		 "may read it (repeatable)", LIST_MAX),
	LYB_LIST("upstream", 'u', O, upstream, "DATASET",
		 "computed from it (repeatable)", LIST_MAX),
	{0},
};
#undef O

/* Reads a schema file, checks it (lyb_schema_check), returns compact JSON. */
static int schema_load(const char *path, char **out)
{
	char what[4200], err[512], *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	snprintf(what, sizeof(what), "reading schema %s", path);
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		lyb_cli_fail(what, "%s", strerror(-rc));
		return rc;
	}
	text = malloc(SCHEMA_FILE_MAX + 1);
	if (!text) {
		rc = -ENOMEM;
		lyb_cli_fail(what, "%s", strerror(ENOMEM));
		goto out_close;
	}
	len = fread(text, 1, SCHEMA_FILE_MAX + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		lyb_cli_fail(what, "%s", strerror(EIO));
		goto out_close;
	}
	if (len > SCHEMA_FILE_MAX) {
		rc = -EFBIG;
		lyb_cli_fail(what, "larger than %u bytes", SCHEMA_FILE_MAX);
		goto out_close;
	}
	snprintf(what, sizeof(what), "schema %s", path);
	rc = lyb_schema_check(text, len, out, err, sizeof(err));
	if (rc)
		lyb_cli_fail(what, "%s",
			     rc == -ENOMEM ? strerror(ENOMEM) : err);
out_close:
	free(text);
	fclose(f);
	return rc;
}

static int hhmm_valid(const char *s)
{
	return strlen(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' &&
	       s[1] >= '0' && s[1] <= '9' && s[3] >= '0' && s[3] <= '5' &&
	       s[4] >= '0' && s[4] <= '9' &&
	       (s[0] - '0') * 10 + (s[1] - '0') < 24;
}

/* Splits @s at blanks into at most @max words; returns their number. */
static size_t words_split(char *s, char **words, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (!*s)
			return n;
		if (n == max)
			return max + 1;
		words[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
}

/* "daily 08:00", "daily by 08:00", "daily 08:00 UTC" */
static int slo_parse(const char *text, struct lyb_dataset *ds)
{
	char buf[128], *w[4], *deadline;
	size_t n, i = 1;

	if (strlen(text) >= sizeof(buf))
		goto out_bad;
	memcpy(buf, text, strlen(text) + 1);
	n = words_split(buf, w, 4);
	if (n < 2 || n > 4)
		goto out_bad;
	if (strcmp(w[0], "daily") && strcmp(w[0], "hourly") &&
	    strcmp(w[0], "weekly")) {
		lyb_cli_fail("--slo",
			     "unknown frequency \"%s\" (daily, hourly "
			     "or weekly)",
			     w[0]);
		return -EINVAL;
	}
	if (strcmp(w[i], "by") == 0)
		i++;
	if (i >= n || !hhmm_valid(w[i]))
		goto out_bad;
	deadline = w[i++];
	if (i < n && strcmp(w[i], "UTC") != 0) {
		lyb_cli_fail("--slo",
			     "time zone \"%s\": only UTC is supported "
			     "for now",
			     w[i]);
		return -EINVAL;
	}
	if (i < n)
		i++;
	if (i != n)
		goto out_bad;
	ds->slo_frequency = strdup(w[0]);
	ds->slo_deadline = strdup(deadline);
	ds->slo_timezone = strdup("UTC");
	if (!ds->slo_frequency || !ds->slo_deadline || !ds->slo_timezone) {
		lyb_cli_fail("--slo", "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
out_bad:
	lyb_cli_fail("--slo",
		     "\"%s\": expected FREQUENCY HH:MM [UTC], e.g. "
		     "\"daily 08:00\"",
		     text);
	return -EINVAL;
}

static int dup_opt(char **dst, const char *src, const char *opt)
{
	if (!src)
		return 0;
	if (strlen(src) > TEXT_MAX) {
		lyb_cli_fail(opt, "longer than %d bytes", TEXT_MAX);
		return -EINVAL;
	}
	*dst = strdup(src);
	if (!*dst) {
		lyb_cli_fail(opt, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

static int strings_dup(char ***dst, size_t *n, const char **src, size_t count)
{
	size_t i;

	if (count == 0)
		return 0;
	*dst = calloc(count, sizeof(**dst));
	if (!*dst)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		(*dst)[i] = strdup(src[i]);
		if (!(*dst)[i])
			return -ENOMEM;
		*n = i + 1;
	}
	return 0;
}

static int format_valid(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-");

	return n > 0 && n <= 32 && s[n] == '\0';
}

/* Checks the options; fills @ds (allocated by the caller, refs 1). */
static int dataset_fill(const char *name, const struct create_opts *o,
			struct lyb_dataset *ds)
{
	size_t i, j;
	int rc;

	if (!o->owner) {
		lyb_cli_fail("dataset create",
			     "--owner group:TEAM is required");
		return -EINVAL;
	}
	if (strncmp(o->owner, "group:", 6) != 0 ||
	    !lyb_principal_valid(o->owner)) {
		lyb_cli_fail("--owner",
			     "\"%s\": expected group:TEAM (letters, "
			     "digits, '-', '_', '.')",
			     o->owner);
		return -EINVAL;
	}
	if (o->format && !format_valid(o->format)) {
		lyb_cli_fail("--format",
			     "\"%s\": expected a lower-case word "
			     "such as avro",
			     o->format);
		return -EINVAL;
	}
	for (i = 0; i < o->readers.n; i++) {
		if (!lyb_principal_valid(o->readers.v[i])) {
			lyb_cli_fail("--reader",
				     "\"%s\": expected "
				     "user:NAME@DOMAIN, group:NAME "
				     "or domain:NAME",
				     o->readers.v[i]);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (strcmp(o->readers.v[i], o->readers.v[j]) == 0) {
				lyb_cli_fail("--reader", "%s is given twice",
					     o->readers.v[i]);
				return -EINVAL;
			}
	}
	for (i = 0; i < o->upstream.n; i++) {
		const char *up = o->upstream.v[i];

		if (!lyb_name_valid(up)) {
			lyb_cli_fail("--upstream", "\"%s\": not a DataSet name",
				     up);
			return -EINVAL;
		}
		if (strcmp(up, name) == 0) {
			lyb_cli_fail("--upstream",
				     "a DataSet cannot be its own "
				     "upstream");
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (strcmp(up, o->upstream.v[j]) == 0) {
				lyb_cli_fail("--upstream", "%s is given twice",
					     up);
				return -EINVAL;
			}
	}

	ds->created = lyb_now();
	if ((rc = dup_opt(&ds->name, name, "DATASET")) ||
	    (rc = dup_opt(&ds->owner, o->owner, "--owner")) ||
	    (rc = dup_opt(&ds->description, o->description, "--description")) ||
	    (rc = dup_opt(&ds->channel, o->channel, "--channel")) ||
	    (rc = dup_opt(&ds->pm, o->pm, "--pm")) ||
	    (rc = dup_opt(&ds->data_format, o->format, "--format")))
		return rc;
	if (o->slo && (rc = slo_parse(o->slo, ds)))
		return rc;
	if (o->schema_file && (rc = schema_load(o->schema_file, &ds->schema)))
		return rc;
	if (strings_dup(&ds->readers, &ds->nreaders, o->readers.v,
			o->readers.n) ||
	    strings_dup(&ds->upstream, &ds->nupstream, o->upstream.v,
			o->upstream.n)) {
		lyb_cli_fail("dataset create", "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

/* Upstream DataSets must exist: a typo would otherwise go unnoticed. */
static int upstream_check(const struct create_opts *o, struct lyb_catalog *cat)
{
	struct lyb_dataset *up;
	char err[512];
	size_t i;
	int rc;

	for (i = 0; i < o->upstream.n; i++) {
		rc = lyb_catalog_get(cat, o->upstream.v[i], &up, err,
				     sizeof(err));
		lyb_dataset_unref(up);
		if (rc == -ENOENT) {
			lyb_cli_fail("--upstream", "%s: no such DataSet",
				     o->upstream.v[i]);
			return -ENOENT;
		}
		if (rc) {
			lyb_cli_fail("--upstream", "%s", err);
			return rc;
		}
	}
	return 0;
}

/* @argv[1] is the DataSet's name. */
static int dataset_create(struct lyb_cli *cli, const struct create_opts *o,
			  int argc, char **argv)
{
	struct lyb_dataset ds;
	struct lyb_catalog *cat = NULL;
	const char *name;
	char err[1024], what[LYB_NAME_MAX + 32];
	int rc = 0;

	memset(&ds, 0, sizeof(ds));
	atomic_init(&ds.refs, 1);
	if (argc != 2) {
		lyb_cli_fail("dataset create", "%s",
			     argc > 2 ? "expected one DataSet name"
				      : "missing the DataSet name");
		rc = -EINVAL;
		goto out_free;
	}
	name = lyb_cli_dataset_arg(argv[1]);
	if (!name) {
		rc = -EINVAL;
		goto out_free;
	}
	/* check what can be checked before anything is written */
	rc = dataset_fill(name, o, &ds);
	if (rc)
		goto out_free;
	rc = lyb_cli_open_one(cli, LYB_CATALOG_NEW, &cat);
	if (rc)
		goto out_free;
	rc = upstream_check(o, cat);
	if (rc)
		goto out_close;
	snprintf(what, sizeof(what), "creating DataSet %s", name);
	err[0] = '\0';
	rc = lyb_catalog_create(cat, &ds, err, sizeof(err));
	if (rc) {
		lyb_cli_fail(what, "%s", err[0] ? err : strerror(-rc));
		goto out_close;
	}
	lyb_cli_note(cli, "created %s in %s", name, lyb_catalog_url(cat));
out_close:
	lyb_catalog_close(cat);
out_free:
	lyb_dataset_clear(&ds);
	return rc;
}

static int dataset(struct lyb_cli *cli, const void *opts, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return dataset_create(cli, opts, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "help") == 0) {
		lyb_cli_usage("dataset", 0);
		return 0;
	}
	lyb_cli_fail("dataset", "%s",
		     argc < 2 ? "missing subcommand (create)"
			      : "unknown subcommand (only create exists)");
	return -EINVAL;
}

const struct lyb_cmd lyb_cmd_dataset = {"dataset", dataset, create_opts,
					sizeof(struct create_opts),
					"create NAME"};
