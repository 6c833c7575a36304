// SPDX-License-Identifier: Apache-2.0
/*
 * test_cli_opts.c - the option parser of `lyb` (src/lyb/opts.c): each
 * command line of the table below is parsed against a command's table and
 * the common one, and what it filled in (or its error) is compared with
 * the expected text; then the help and completion lists printed from the
 * tables.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "opts.h"

struct cmd {
	int late, json;
	const char *file, *mode;
	long lines, format;
	struct lyb_opt_list reader;
};

struct common {
	const char *catalog;
	int verbose, help;
};

static const struct lyb_opt cmd_opts[] = {
	LYB_FLAG("late", 0, struct cmd, late, "only late ones"),
	LYB_FLAG("json", 'j', struct cmd, json, "JSON"),
	LYB_STRING("file", 'f', struct cmd, file, "PATH", "the file", NULL),
	LYB_STRING("mode", 0, struct cmd, mode, "MODE", "the mode", "fast"),
	LYB_INT("lines", 'n', struct cmd, lines, "N", "how many", "10", 0,
		LONG_MAX),
	LYB_INT("format", 0, struct cmd, format, "1|2", "the format", NULL, 1,
		2),
	LYB_LIST("reader", 'r', struct cmd, reader, "user:NAME@DOMAIN",
		 "may read it (repeatable)", 2),
	{0},
};

static const struct lyb_opt common_opts[] = {
	LYB_STRING("catalog", 'C', struct common, catalog, "URL", "the catalog",
		   NULL),
	LYB_FLAG("verbose", 'v', struct common, verbose, "say more"),
	LYB_FLAG("help", 'h', struct common, help, "show this help"),
	{0},
};

/* What a parse filled in, as one line. */
static void render(const struct cmd *c, const struct common *g, char **argv,
		   int nargs, char *out, size_t len)
{
	size_t n;
	int i;

	n = (size_t)snprintf(out, len,
			     "late=%d json=%d file=%s mode=%s lines=%ld "
			     "format=%ld reader=",
			     c->late, c->json, c->file ? c->file : "-",
			     c->mode ? c->mode : "-", c->lines, c->format);
	for (i = 0; i < (int)c->reader.n && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? "," : "",
				      c->reader.v[i]);
	if (n < len)
		n += (size_t)snprintf(out + n, len - n, " C=%s v=%d h=%d args=",
				      g->catalog ? g->catalog : "-", g->verbose,
				      g->help);
	for (i = 1; i <= nargs && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s",
				      i > 1 ? "," : "", argv[i]);
}

#define DEF "mode=fast lines=10 format=0"

static const struct {
	const char *argv[10]; /* after the command's name */
	int stop;	      /* stop at the first argument */
	int rc;
	const char *want; /* render()'s line, or the error */
} cases[] = {
	/* nothing given: the defaults */
	{{NULL},
	 0,
	 0,
	 "late=0 json=0 file=- " DEF " reader= C=- v=0 h=0 args="},
	{{"a", "b"},
	 0,
	 0,
	 "late=0 json=0 file=- " DEF " reader= C=- v=0 h=0 args=a,b"},
	/* flags, long and short, grouped, in any order among arguments */
	{{"x", "--late", "y", "-jv"},
	 0,
	 0,
	 "late=1 json=1 file=- " DEF " reader= C=- v=1 h=0 args=x,y"},
	{{"-vj", "--json"},
	 0,
	 0,
	 "late=0 json=1 file=- " DEF " reader= C=- v=1 h=0 args="},
	/* values: --name=V, --name V, -xV, -x V, grouped after flags */
	{{"--file=a=b", "--catalog", "c"},
	 0,
	 0,
	 "late=0 json=0 file=a=b " DEF " reader= C=c v=0 h=0 args="},
	{{"-fP", "-C", "u"},
	 0,
	 0,
	 "late=0 json=0 file=P " DEF " reader= C=u v=0 h=0 args="},
	{{"-vjfP"},
	 0,
	 0,
	 "late=0 json=1 file=P " DEF " reader= C=- v=1 h=0 args="},
	{{"--file="},
	 0,
	 0,
	 "late=0 json=0 file= " DEF " reader= C=- v=0 h=0 args="},
	/* a value is the next argument even when it looks like an option */
	{{"--file", "--late"},
	 0,
	 0,
	 "late=0 json=0 file=--late " DEF " reader= C=- v=0 h=0 args="},
	/* the last value wins; lists keep every one */
	{{"-f", "a", "--file", "b", "-r", "x", "--reader=y"},
	 0,
	 0,
	 "late=0 json=0 file=b " DEF " reader=x,y C=- v=0 h=0 args="},
	/* integers and their ranges; a default is overridden */
	{{"-n", "0", "--format=2", "--mode", "slow"},
	 0,
	 0,
	 "late=0 json=0 file=- mode=slow lines=0 format=2 reader= C=- v=0 "
	 "h=0 args="},
	{{"-n5"},
	 0,
	 0,
	 "late=0 json=0 file=- mode=fast lines=5 format=0 reader= C=- v=0 "
	 "h=0 args="},
	/* "--" ends the options, "-" is an argument */
	{{"--late", "--", "--json", "-v", "-"},
	 0,
	 0,
	 "late=1 json=0 file=- " DEF " reader= C=- v=0 h=0 args=--json,-v,-"},
	{{"-"},
	 0,
	 0,
	 "late=0 json=0 file=- " DEF " reader= C=- v=0 h=0 args=-"},
	/* stop: lyb's own options end at the command */
	{{"-v", "ls", "--late", "-x"},
	 1,
	 0,
	 "late=0 json=0 file=- " DEF " reader= C=- v=1 h=0 args=ls,--late,-x"},
	{{"ls", "--", "x"},
	 1,
	 0,
	 "late=0 json=0 file=- " DEF " reader= C=- v=0 h=0 args=ls,--,x"},
	/* errors: unknown names, with the nearest known one if near */
	{{"--lat"},
	 0,
	 -EINVAL,
	 "ls --lat: unknown option (did you mean --late?)"},
	{{"--jsno"},
	 0,
	 -EINVAL,
	 "ls --jsno: unknown option (did you mean --json?)"},
	{{"--catalgo=x"},
	 0,
	 -EINVAL,
	 "ls --catalgo: unknown option (did you mean --catalog?)"},
	{{"--VERBOSE"},
	 0,
	 -EINVAL,
	 "ls --VERBOSE: unknown option (did you mean --verbose?)"},
	{{"--xyzzy"},
	 0,
	 -EINVAL,
	 "ls --xyzzy: unknown option (see lyb ls --help)"},
	/* no abbreviations: a prefix is not the option, but is named */
	{{"--verb"},
	 0,
	 -EINVAL,
	 "ls --verb: unknown option (did you mean --verbose?)"},
	{{"--l"}, 0, -EINVAL, "ls --l: unknown option (see lyb ls --help)"},
	{{"--"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaa"},
	 0,
	 -EINVAL,
	 "ls --"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaa: unknown option (see lyb ls --help)"},
	{{"-x"}, 0, -EINVAL, "ls -x: unknown option (see lyb ls --help)"},
	{{"-vx"}, 0, -EINVAL, "ls -x: unknown option (see lyb ls --help)"},
	/* values missing, or given to a flag */
	{{"--file"}, 0, -EINVAL, "ls --file: needs a value"},
	{{"a", "-C"}, 0, -EINVAL, "ls -C: needs a value"},
	{{"-vf"}, 0, -EINVAL, "ls -f: needs a value"},
	{{"--late=yes"}, 0, -EINVAL, "ls --late: takes no value"},
	/* integers */
	{{"-n", "x"}, 0, -EINVAL, "ls -n: \"x\": expected an integer >= 0"},
	{{"-n", "-1"}, 0, -EINVAL, "ls -n: \"-1\": expected an integer >= 0"},
	{{"--lines="},
	 0,
	 -EINVAL,
	 "ls --lines: \"\": expected an integer >= 0"},
	{{"-n", "5x"}, 0, -EINVAL, "ls -n: \"5x\": expected an integer >= 0"},
	{{"-n", "99999999999999999999999"},
	 0,
	 -EINVAL,
	 "ls -n: \"99999999999999999999999\": expected an integer >= 0"},
	{{"--format", "3"},
	 0,
	 -EINVAL,
	 "ls --format: \"3\": expected an integer from 1 to 2"},
	/* a list past its max */
	{{"-r", "a", "-r", "b", "-r", "c"},
	 0,
	 -E2BIG,
	 "ls -r: more than 2 given"},
};

static void test_cases(void)
{
	struct lyb_optset sets[3];
	char *argv[12], err[256], got[512];
	size_t i;
	int j, argc, nargs, rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cmd c = {0};
		struct common g = {0};

		sets[0] = (struct lyb_optset){cmd_opts, &c};
		sets[1] = (struct lyb_optset){common_opts, &g};
		sets[2] = (struct lyb_optset){NULL, NULL};
		argv[0] = "ls";
		for (j = 0, argc = 1; cases[i].argv[j]; j++)
			argv[argc++] = (char *)cases[i].argv[j];
		argv[argc] = NULL;
		err[0] = '\0';
		rc = lyb_opts_parse(sets, "ls", cases[i].stop, argc, argv,
				    &nargs, err, sizeof(err));
		if (rc == 0)
			render(&c, &g, argv, nargs, got, sizeof(got));
		if (rc != cases[i].rc ||
		    strcmp(rc ? err : got, cases[i].want) != 0) {
			fprintf(stderr,
				"case %zu: rc %d, got \"%s\"\n"
				"           want %d, \"%s\"\n",
				i, rc, rc ? err : got, cases[i].rc,
				cases[i].want);
			check_failures++;
		}
		lyb_opts_free(sets);
		CHECK(c.reader.v == NULL && c.reader.n == 0);
	}
}

/* lyb's own options: no command in the messages */
static void test_no_cmd(void)
{
	struct common g = {0};
	struct lyb_optset sets[] = {{common_opts, &g}, {NULL, NULL}};
	char *argv[] = {"lyb", "--bogus", "ls", NULL}, err[256];
	int nargs;

	CHECK_RC(lyb_opts_parse(sets, NULL, 1, 3, argv, &nargs, err,
				sizeof(err)),
		 -EINVAL);
	CHECK_STR(err, "--bogus: unknown option (see lyb --help)");
	/* an empty table set parses arguments only */
	sets[0].opts = NULL;
	argv[1] = "a";
	CHECK_RC(lyb_opts_parse(sets, NULL, 0, 3, argv, &nargs, err,
				sizeof(err)),
		 0);
	CHECK_RC(nargs, 2);
	lyb_opts_free(NULL);
}

static char *printed(void (*fn)(FILE *, const struct lyb_opt *),
		     const struct lyb_opt *opts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, opts);
	fclose(f);
	return buf;
}

static void test_help(void)
{
	char *s = printed(lyb_opts_help, cmd_opts);

	CHECK_STR(s, "      --late              only late ones\n"
		     "  -j, --json              JSON\n"
		     "  -f, --file PATH         the file\n"
		     "      --mode MODE         the mode (default fast)\n"
		     "  -n, --lines N           how many (default 10)\n"
		     "      --format 1|2        the format\n"
		     "  -r, --reader user:NAME@DOMAIN\n"
		     "                          may read it (repeatable)\n");
	free(s);
	s = printed(lyb_opts_list, cmd_opts);
	CHECK_STR(s,
		  "--late\n--json\n-j\n--file PATH\n-f PATH\n--mode MODE\n"
		  "--lines N\n-n N\n--format 1|2\n--reader user:NAME@DOMAIN\n"
		  "-r user:NAME@DOMAIN\n");
	free(s);
}

int main(void)
{
	test_cases();
	test_no_cmd();
	test_help();
	return check_failures ? 1 : 0;
}
