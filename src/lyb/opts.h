/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opts.h - the one option parser of `lyb` (private to src/lyb/).
 *
 * A command describes its options as a table of struct lyb_opt, each row
 * naming a field of the command's own options struct (offsetof, as in
 * libfuse's fuse_opt); lyb_opts_parse() reads argv into it. The help of a
 * command (lyb_opts_help()) and shell completion (`lyb help --options`,
 * lyb_opts_list()) are printed from the same tables, so they cannot drift
 * from what is parsed.
 *
 * The grammar is getopt_long's without abbreviations: "--name=VALUE" or
 * "--name VALUE", "-x VALUE" or "-xVALUE", flags grouped ("-vh"),
 * options and arguments in any order, "--" ends the options, "-" is an
 * argument. A long name is matched whole: a prefix is an unknown option,
 * so a new option never changes what an old command line means. A value
 * is the next argument even when it starts with '-'.
 *
 * Ownership: string values point into argv; the arrays of LYB_OPT_LIST
 * fields are the caller's to release with lyb_opts_free(). No global
 * state; not thread safe (the CLI is single-threaded).
 */
#ifndef LYB_OPTS_H
#define LYB_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum lyb_opt_kind {
	LYB_OPT_FLAG,	/* int: 1 when given */
	LYB_OPT_STRING, /* const char *: the value, the last one given wins */
	LYB_OPT_LIST,	/* struct lyb_opt_list: every value, at most .max */
	LYB_OPT_INT,	/* long: a decimal integer from .min to .max */
};

struct lyb_opt_list {
	const char **v;
	size_t n;
};

struct lyb_opt {
	const char *name; /* the long name without "--"; NULL ends a table */
	char shortname;	  /* the one-letter name, or 0 */
	enum lyb_opt_kind kind;
	size_t off;	  /* where the value goes, in the table's struct */
	const char *arg;  /* the value's name in the help ("URL"); "a|b"
			   * lists the choices for completion */
	const char *help; /* one short line */
	const char *def;  /* STRING, INT: the value when not given, or NULL */
	long min, max;	  /* INT: the range; LIST: at most max values */
};

/*
 * Rows of a table, for field @f of struct type @T; the field's type is
 * checked (a compile error when it is not what the kind stores).
 */
#define LYB_OPT_OFF(T, f, type) \
	(offsetof(T, f) + 0 * sizeof((type *){&((T *)0)->f}))
#define LYB_FLAG(name, s, T, f, help)                                      \
	{                                                                  \
		name, s, LYB_OPT_FLAG, LYB_OPT_OFF(T, f, int), NULL, help, \
			NULL, 0, 0                                         \
	}
#define LYB_STRING(name, s, T, f, arg, help, def)                              \
	{                                                                      \
		name, s, LYB_OPT_STRING, LYB_OPT_OFF(T, f, const char *), arg, \
			help, def, 0, 0                                        \
	}
#define LYB_LIST(name, s, T, f, arg, help, max)                                \
	{                                                                      \
		name, s, LYB_OPT_LIST, LYB_OPT_OFF(T, f, struct lyb_opt_list), \
			arg, help, NULL, 0, max                                \
	}
#define LYB_INT(name, s, T, f, arg, help, def, min, max)                       \
	{                                                                      \
		name, s, LYB_OPT_INT, LYB_OPT_OFF(T, f, long), arg, help, def, \
			min, max                                               \
	}

/* @x's value as a string constant: a default in a help text. */
#define LYB_OPT_STR(x) LYB_OPT_STR_(x)
#define LYB_OPT_STR_(x) #x

/* A table and the struct its offsets point into. */
struct lyb_optset {
	const struct lyb_opt *opts; /* NULL ends an array of sets */
	void *base;
};

/*
 * Sets the defaults of every table of @sets, then reads the options of
 * @argv[1..@argc - 1] (@argv[0] is the command) into them; a name is
 * looked up in the tables in order. The other arguments are moved to
 * @argv[1..*@nargs], in order. With @stop, the first argument ends the
 * options (lyb's own options, before the command).
 *
 * Returns 0; else "@cmd OPTION: why" in @err (no "@cmd " when NULL) and
 * -EINVAL (an unknown option, a value missing, given to a flag, or not an
 * integer of the range), -E2BIG (a list over its max) or -ENOMEM:
 *   ls --lat: unknown option (did you mean --late?)
 *   ls --xyzzy: unknown option (see lyb ls --help)
 *   head -n: "x": expected an integer >= 0
 * Values given up to the error stay set; lyb_opts_free() still applies.
 */
int lyb_opts_parse(const struct lyb_optset *sets, const char *cmd, int stop,
		   int argc, char **argv, int *nargs, char *err, size_t errlen);

/* Frees the arrays of the LYB_OPT_LIST fields of @sets; NULL is fine. */
void lyb_opts_free(const struct lyb_optset *sets);

/*
 * Prints one line per option of @opts on @out:
 *   "  -n, --lines N           the number of records (default 10)"
 */
void lyb_opts_help(FILE *out, const struct lyb_opt *opts);

/*
 * Prints each name of each option of @opts on a line of its own, with the
 * value's name after a space when it takes one ("--lines N", "-n N"):
 * what shell completion reads.
 */
void lyb_opts_list(FILE *out, const struct lyb_opt *opts);

#endif
