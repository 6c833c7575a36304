// SPDX-License-Identifier: Apache-2.0
/*
 * opts.c - the option parser of `lyb` (opts.h): one loop over argv for
 * every command and lyb's own options, driven by the commands' tables,
 * and the help and completion lists printed from them.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/text.h"
#include "opts.h"

#define HELP_COLUMN 26 /* where an option's help starts */

struct parse {
	const struct lyb_optset *sets;
	const char *cmd;
	char *err;
	size_t errlen;
};

/* "@cmd @opt: why"; returns @rc. */
static int fail(const struct parse *p, int rc, const char *opt, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));
static int fail(const struct parse *p, int rc, const char *opt, const char *fmt,
		...)
{
	size_t n;
	va_list ap;

	snprintf(p->err, p->errlen, "%s%s%.200s: ", p->cmd ? p->cmd : "",
		 p->cmd ? " " : "", opt);
	n = strlen(p->err);
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return rc;
}

static const struct lyb_opt *find(const struct parse *p, const char *name,
				  size_t len, char shortname, void **base)
{
	const struct lyb_optset *s;
	const struct lyb_opt *o;

	for (s = p->sets; s->opts; s++)
		for (o = s->opts; o->name; o++)
			if (name ? strlen(o->name) == len &&
					    strncmp(o->name, name, len) == 0
				 : o->shortname == shortname) {
				*base = s->base;
				return o;
			}
	return NULL;
}

/* The @i-th long name of all the tables, for lyb_text_nearest(). */
static const char *nth_name(const void *arg, size_t i)
{
	const struct lyb_optset *s;
	const struct lyb_opt *o;

	for (s = arg; s->opts; s++)
		for (o = s->opts; o->name; o++)
			if (i-- == 0)
				return o->name;
	return NULL;
}

/* The one long name that starts with @word, else NULL. */
static const char *completes(const struct parse *p, const char *word)
{
	const char *name, *found = NULL;
	size_t i;

	for (i = 0; (name = nth_name(p->sets, i)); i++)
		if (strncmp(name, word, strlen(word)) == 0) {
			if (found)
				return NULL;
			found = name;
		}
	return found;
}

static int unknown(const struct parse *p, const char *opt)
{
	const char *near = NULL;

	if (strncmp(opt, "--", 2) == 0) {
		near = lyb_text_nearest(opt + 2, nth_name, p->sets);
		if (!near && opt[2])
			near = completes(p, opt + 2);
	}
	if (near)
		return fail(p, -EINVAL, opt,
			    "unknown option (did you mean --%s?)", near);
	return fail(p, -EINVAL, opt, "unknown option (see lyb %s%s--help)",
		    p->cmd ? p->cmd : "", p->cmd ? " " : "");
}

static int int_parse(const struct parse *p, const struct lyb_opt *o,
		     const char *opt, const char *val, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < o->min || v > o->max) {
		if (o->max == LONG_MAX)
			return fail(p, -EINVAL, opt,
				    "\"%.200s\": expected an integer >= %ld",
				    val, o->min);
		return fail(p, -EINVAL, opt,
			    "\"%.200s\": expected an integer from %ld to %ld",
			    val, o->min, o->max);
	}
	*out = v;
	return 0;
}

/* Stores @val (NULL for a flag) into @o's field of @base. */
static int set(const struct parse *p, const struct lyb_opt *o, void *base,
	       const char *opt, const char *val)
{
	char *field = (char *)base + o->off;
	struct lyb_opt_list *l;
	const char **v;

	switch (o->kind) {
	case LYB_OPT_FLAG:
		*(int *)field = 1;
		return 0;
	case LYB_OPT_STRING:
		*(const char **)field = val;
		return 0;
	case LYB_OPT_INT:
		return int_parse(p, o, opt, val, (long *)field);
	case LYB_OPT_LIST:
		l = (struct lyb_opt_list *)field;
		if (l->n >= (size_t)o->max)
			return fail(p, -E2BIG, opt, "more than %ld given",
				    o->max);
		v = realloc(l->v, (l->n + 1) * sizeof(*v));
		if (!v)
			return fail(p, -ENOMEM, opt, "%s", strerror(ENOMEM));
		v[l->n++] = val;
		l->v = v;
		return 0;
	}
	return fail(p, -EINVAL, opt, "not a kind of option");
}

static int defaults(const struct parse *p)
{
	const struct lyb_optset *s;
	const struct lyb_opt *o;
	int rc;

	for (s = p->sets; s->opts; s++)
		for (o = s->opts; o->name; o++)
			if (o->def && (o->kind == LYB_OPT_STRING ||
				       o->kind == LYB_OPT_INT)) {
				rc = set(p, o, s->base, o->name, o->def);
				if (rc)
					return rc;
			}
	return 0;
}

/* "--name[=value]" at @argv[*i]; a value may be the next argument. */
static int long_opt(const struct parse *p, int argc, char **argv, int *i)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	char opt[80];
	const struct lyb_opt *o;
	void *base;

	snprintf(opt, sizeof(opt), "--%.*s", (int)(len < 70 ? len : 70), name);
	o = find(p, name, len, 0, &base);
	if (!o)
		return unknown(p, opt);
	if (o->kind == LYB_OPT_FLAG) {
		if (eq)
			return fail(p, -EINVAL, opt, "takes no value");
		return set(p, o, base, opt, NULL);
	}
	if (eq)
		return set(p, o, base, opt, eq + 1);
	if (*i + 1 >= argc)
		return fail(p, -EINVAL, opt, "needs a value");
	return set(p, o, base, opt, argv[++*i]);
}

/* "-x", "-xy" (flags), "-xVALUE" or "-x VALUE" at @argv[*i]. */
static int short_opts(const struct parse *p, int argc, char **argv, int *i)
{
	const char *c;
	char opt[3] = "-";
	const struct lyb_opt *o;
	void *base;
	int rc;

	for (c = argv[*i] + 1; *c; c++) {
		opt[1] = *c;
		o = find(p, NULL, 0, *c, &base);
		if (!o)
			return unknown(p, opt);
		if (o->kind == LYB_OPT_FLAG) {
			rc = set(p, o, base, opt, NULL);
			if (rc)
				return rc;
			continue;
		}
		if (c[1])
			return set(p, o, base, opt, c + 1);
		if (*i + 1 >= argc)
			return fail(p, -EINVAL, opt, "needs a value");
		return set(p, o, base, opt, argv[++*i]);
	}
	return 0;
}

int lyb_opts_parse(const struct lyb_optset *sets, const char *cmd, int stop,
		   int argc, char **argv, int *nargs, char *err, size_t errlen)
{
	struct parse p = {sets, cmd, err, errlen};
	int i, out = 1, args_only = 0, rc;

	*nargs = 0;
	rc = defaults(&p);
	/* positional arguments are moved down to argv[out]: out <= i, and a
	 * value is read from argv[i + 1], never yet overwritten */
	for (i = 1; i < argc && rc == 0; i++) {
		char *a = argv[i];

		if (args_only || a[0] != '-' || a[1] == '\0') {
			argv[out++] = a;
			args_only |= stop;
		} else if (strcmp(a, "--") == 0) {
			args_only = 1;
		} else if (a[1] == '-') {
			rc = long_opt(&p, argc, argv, &i);
		} else {
			rc = short_opts(&p, argc, argv, &i);
		}
	}
	*nargs = out - 1;
	return rc;
}

void lyb_opts_free(const struct lyb_optset *sets)
{
	const struct lyb_opt *o;

	for (; sets && sets->opts; sets++)
		for (o = sets->opts; o->name; o++)
			if (o->kind == LYB_OPT_LIST) {
				struct lyb_opt_list *l =
					(struct lyb_opt_list *)((char *)sets
									->base +
								o->off);

				free(l->v);
				l->v = NULL;
				l->n = 0;
			}
}

void lyb_opts_help(FILE *out, const struct lyb_opt *opts)
{
	char left[128];
	const struct lyb_opt *o;

	for (o = opts; o && o->name; o++) {
		snprintf(left, sizeof(left), "%c%c%c --%s%s%s",
			 o->shortname ? '-' : ' ',
			 o->shortname ? o->shortname : ' ',
			 o->shortname ? ',' : ' ', o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		if (strlen(left) > HELP_COLUMN - 4)
			fprintf(out, "  %s\n%*s", left, HELP_COLUMN, "");
		else
			fprintf(out, "  %-*s", HELP_COLUMN - 2, left);
		fputs(o->help, out);
		if (o->def)
			fprintf(out, " (default %s)", o->def);
		fputc('\n', out);
	}
}

void lyb_opts_list(FILE *out, const struct lyb_opt *opts)
{
	const struct lyb_opt *o;

	for (o = opts; o && o->name; o++) {
		fprintf(out, "--%s%s%s\n", o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
		if (o->shortname)
			fprintf(out, "-%c%s%s\n", o->shortname,
				o->arg ? " " : "", o->arg ? o->arg : "");
	}
}
