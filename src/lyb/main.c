// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - the `lyb` command line tool: global options, the catalog URL
 * and its configuration file, and dispatch to one function per command
 * (cmd_*.c).
 *
 * The settings are the configuration file's ($LYB_CONFIG, else
 * /etc/lyb/lyb.conf), then, for each key it does not set, the running
 * mount's (mounts.h: the mount of lyb's catalog, else the only one), so
 * that lyb and the mount agree without flags. The catalog URL is, first
 * found: --catalog URL, $LYB_CATALOG, the file's `catalog = URL`, the
 * only running mount's, then file:///var/lib/lyb/catalog. An absolute
 * path is taken as the file:// URL of that directory.
 *
 * The same settings give access control its keys: `domain = NAME`
 * (users are user:LOGIN@NAME), `admin = PRINCIPAL` (repeatable),
 * `audit = PATH` (the daemon's audit log, for `lyb audit`) and
 * `control = PATH` (the mount's control socket, for `lyb access`).
 *
 * Exit status: 0 on success, 1 on any error (one line on stderr).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lyb/audit.h"
#include "lyb/cache.h"
#include "lyb/config.h"
#include "lyb/store.h"
#include "lyb/log.h"
#include "lyb/mounts.h"

#define DEFAULT_CONFIG LYB_CONFIG_PATH
#define DEFAULT_CATALOG LYB_CONFIG_DEFAULT_CATALOG
#ifndef LYB_PORTAL_STATIC
#define LYB_PORTAL_STATIC "/usr/local/share/lyb/portal"
#endif
#define LYB_PORTAL_STATIC_TEXT LYB_PORTAL_STATIC

/* lyb_log level that drops every message (ERR is the lowest level). */
#define LOG_QUIET ((enum lyb_log_level)(LYB_LOG_ERR - 1))

void lyb_cli_fail(const char *what, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "lyb: %s: %s\n", what, why);
}

void lyb_cli_note(const struct lyb_cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (!cli->verbose)
		return;
	va_start(ap, fmt);
	fputs("lyb: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void log_quiet(const struct lyb_cli *cli, int quiet)
{
	if (cli->verbose)
		lyb_log_set_level(LYB_LOG_DEBUG);
	else
		lyb_log_set_level(quiet ? LOG_QUIET : LYB_LOG_WARN);
}

/* "/abs/dir" -> "file:///abs/dir"; anything else is copied. */
static char *url_from_arg(const char *arg);

/*
 * The running mount whose settings fill what the file leaves unset
 * (mounts.h): the mount of the catalog lyb was given (--catalog,
 * $LYB_CATALOG, the file's `catalog`), else the only mount there is,
 * whose catalog then is lyb's. Finding none is not an error: why is kept
 * for the messages that need a mount (lyb access).
 */
static int mount_settings(struct lyb_cli *cli)
{
	const char *env = getenv("LYB_CATALOG");
	char *want = NULL;
	int rc;

	if (cli->catalog_url)
		want = strdup(cli->catalog_url);
	else if (env && env[0])
		want = url_from_arg(env);
	else if (cli->conf.catalog)
		want = strdup(cli->conf.catalog);
	if ((cli->catalog_url || (env && env[0]) || cli->conf.catalog) && !want)
		return -ENOMEM;
	rc = lyb_mounts_find(NULL, want, &cli->mount, cli->mount_why,
			     sizeof(cli->mount_why));
	free(want);
	if (rc) {
		lyb_cli_note(cli, "settings: %s", cli->mount_why);
		return 0;
	}
	cli->mounted = 1;
	cli->filled = cli->conf.given;
	rc = lyb_config_fill(&cli->conf, &cli->mount.cfg, LYB_MOUNTS_KEYS);
	cli->filled = cli->conf.given & ~cli->filled;
	if (rc == 0)
		lyb_cli_note(cli,
			     "settings not in %s: those of the mount on %s "
			     "(%s)",
			     cli->config_path, cli->mount.mountpoint,
			     cli->mount.settings);
	return rc;
}

/*
 * Reads the configuration file once (lyb/config.h: the same file and keys
 * as lybfs, strictly checked): the catalog, the ACL settings (domain,
 * admin, audit, control) and the gcs_* settings; then fills what it does
 * not set from the running mount's settings (mount_settings). Only a file
 * named by $LYB_CONFIG must exist.
 */
static int config_read(struct lyb_cli *cli)
{
	struct lyb_config_err err;
	const char *path;
	int named, rc;

	if (cli->config_done)
		return 0;
	cli->config_done = 1;
	path = lyb_config_path(&named);
	cli->config_path = path;
	lyb_config_init(&cli->conf);
	lyb_mount_clear(&cli->mount);
	rc = lyb_config_load(&cli->conf, path, &err);
	if (rc == -ENOENT && !named)
		rc = 0;
	else if (rc)
		lyb_cli_fail(err.where, "%s", err.why);
	if (rc == 0)
		rc = mount_settings(cli);
	if (rc == 0) {
		rc = lyb_config_apply_gcs(&cli->conf, &err);
		if (rc)
			lyb_cli_fail("the settings", "%s", err.why);
	} else if (rc == -ENOMEM) {
		lyb_cli_fail("reading the settings", "%s", strerror(ENOMEM));
	}
	if (rc) { /* keep nothing of a file that failed */
		lyb_config_free(&cli->conf);
		lyb_config_init(&cli->conf);
	}
	return rc;
}

/* "/abs/dir" -> "file:///abs/dir"; anything else is copied. */
static char *url_from_arg(const char *arg)
{
	size_t n = strlen(arg) + sizeof("file://");
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s", arg[0] == '/' ? "file://" : "", arg);
	return s;
}

/* Fills cli->catalog_url when --catalog did not. */
static int catalog_url_find(struct lyb_cli *cli)
{
	const char *env = getenv("LYB_CATALOG");
	int rc;

	if (cli->catalog_url)
		return 0;
	if (env && env[0]) {
		cli->catalog_url = url_from_arg(env);
		lyb_cli_note(cli, "catalog %s (from LYB_CATALOG)", env);
	} else {
		rc = config_read(cli);
		if (rc)
			return rc;
		if (cli->conf.catalog) {
			lyb_cli_note(cli, "catalog %s (from %s)",
				     cli->conf.catalog,
				     cli->filled & LYB_CONFIG_CATALOG
					     ? cli->mount.settings
					     : cli->config_path);
			cli->catalog_url = url_from_arg(cli->conf.catalog);
		} else {
			lyb_cli_note(cli, "catalog %s (the default)",
				     DEFAULT_CATALOG);
			cli->catalog_url = strdup(DEFAULT_CATALOG);
		}
	}
	if (!cli->catalog_url) {
		lyb_cli_fail("finding the catalog", "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

int lyb_cli_acl(struct lyb_cli *cli, struct lyb_acl **acl,
		struct lyb_ident **me)
{
	int rc = config_read(cli);

	*acl = NULL;
	*me = NULL;
	if (rc)
		return rc;
	rc = lyb_acl_new(cli->conf.domain, cli->conf.admins, cli->conf.nadmins,
			 0, acl);
	if (rc) {
		lyb_cli_fail("access control", "domain %s: %s",
			     cli->conf.domain ? cli->conf.domain : "",
			     rc == -EINVAL ? "not a valid domain name"
					   : strerror(-rc));
		return rc;
	}
	rc = lyb_ident_self(lyb_acl_domain(*acl), me);
	if (rc) {
		lyb_cli_fail("who am I", "%s", strerror(-rc));
		lyb_acl_free(*acl);
		*acl = NULL;
	}
	return rc;
}

int lyb_cli_may_read(struct lyb_cli *cli, const struct lyb_dataset *ds)
{
	struct lyb_acl *acl;
	struct lyb_ident *me;
	char text[LYB_NAME_MAX + 3 * LYB_PRINCIPAL_MAX + 160];
	int rc = lyb_cli_acl(cli, &acl, &me);

	if (rc)
		return rc;
	if (!lyb_acl_can_read(acl, me, ds, NULL, 0)) {
		lyb_acl_denied_text(me, ds->name, text, sizeof(text));
		fprintf(stderr, "%s\n", text);
		lyb_acl_request_hint(me, ds, text, sizeof(text));
		fprintf(stderr, "%s\n", text);
		rc = -EACCES;
	}
	lyb_ident_unref(me);
	lyb_acl_free(acl);
	return rc;
}

const char *lyb_cli_control_path(struct lyb_cli *cli)
{
	const char *env = getenv("LYB_CONTROL");

	if (env)
		return env[0] ? env : NULL; /* empty: write the catalog */
	if (config_read(cli) == 0 && cli->conf.control &&
	    strcmp(cli->conf.control, LYB_CONFIG_NONE) != 0)
		return cli->conf.control;
	return NULL;
}

const char *lyb_cli_audit_path(struct lyb_cli *cli)
{
	if (config_read(cli) == 0 && cli->conf.audit)
		return cli->conf.audit;
	return LYB_AUDIT_DEFAULT_PATH;
}

const char *lyb_cli_mountpoint(struct lyb_cli *cli)
{
	if (config_read(cli) == 0 && cli->mounted)
		return cli->mount.mountpoint;
	return LYB_CLI_MOUNT_DEFAULT;
}

static const char *open_why(int rc, const char *url)
{
	switch (rc) {
	case -ENOENT:
		return "no catalog here (lybrary.json is missing; `lyb "
		       "dataset create` makes one)";
	case -EINVAL:
		return "not a file:///ABSOLUTE/PATH or gs://BUCKET/PREFIX URL";
	case -ENOTSUP:
		return strncmp(url, "gs://", 5) == 0
			       ? "the gs:// store is not available in this build"
			       : "unsupported URL scheme (use file:// or gs://)";
	case -EBADMSG:
		return "lybrary.json is not a valid catalog marker";
	default:
		return strerror(-rc);
	}
}

int lyb_cli_open_one(struct lyb_cli *cli, int create, struct lyb_catalog **cat)
{
	char what[LYB_NAME_MAX + 4096];
	int rc;

	*cat = NULL;
	rc = catalog_url_find(cli);
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "opening catalog %s", cli->catalog_url);
	rc = lyb_catalog_open(cli->catalog_url, create, cat);
	if (rc)
		lyb_cli_fail(what, "%s", open_why(rc, cli->catalog_url));
	return rc;
}

int lyb_cli_dataset(struct lyb_catalog *cat, struct lyb_snap *snap,
		    const char *name, const char *date,
		    struct lyb_dataset **out)
{
	struct lyb_dataset *ds = lyb_snap_find(snap, name);
	int rc;

	*out = NULL;
	if (!ds) {
		lyb_cli_fail(name, "no such DataSet in %s",
			     lyb_catalog_url(cat));
		return -ENOENT;
	}
	rc = lyb_dataset_part(ds, date, out);
	if (rc)
		lyb_cli_fail(name, "its versions do not load: %s",
			     strerror(-rc));
	return rc;
}

int lyb_cli_open(struct lyb_cli *cli, int create, struct lyb_catalog **cat,
		 struct lyb_snap **snap)
{
	struct lyb_catalog *c = NULL;
	char what[LYB_NAME_MAX + 4096];
	int rc;

	*cat = NULL;
	*snap = NULL;
	rc = catalog_url_find(cli);
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "opening catalog %s", cli->catalog_url);
	rc = lyb_catalog_open(cli->catalog_url, create, &c);
	if (rc) {
		lyb_cli_fail(what, "%s", open_why(rc, cli->catalog_url));
		return rc;
	}
	/* warnings about documents that fail to load are worth showing */
	log_quiet(cli, 0);
	rc = lyb_catalog_refresh(c, NULL);
	log_quiet(cli, 1);
	if (rc) {
		snprintf(what, sizeof(what), "reading catalog %s",
			 cli->catalog_url);
		lyb_cli_fail(what, "%s", strerror(-rc));
		lyb_catalog_close(c);
		return rc;
	}
	*cat = c;
	*snap = lyb_catalog_snap(c);
	return 0;
}

int lyb_cli_confine(struct lyb_cli *cli)
{
	int rc = catalog_url_find(cli);

	if (rc == 0)
		rc = config_read(cli);
	if (rc)
		return rc;
	rc = lyb_config_apply_file_roots(&cli->conf, cli->catalog_url);
	if (rc)
		lyb_cli_fail("file_roots", "%s", strerror(-rc));
	return rc;
}

const char *lyb_cli_dataset_arg(const char *arg)
{
	const char *name = arg;

	if (strncmp(name, "lyb://", 6) == 0)
		name += 6;
	if (!lyb_name_valid(name)) {
		lyb_cli_fail(arg,
			     "not a DataSet name (namespace.Name: letters, "
			     "digits, '-', '_' and one '.')");
		return NULL;
	}
	return name;
}

/* The options every command takes, and lyb's own before the command. */
struct common {
	const char *catalog;
	int verbose, help, version;
};

static const struct lyb_opt common_opts[] = {
	LYB_STRING("catalog", 'C', struct common, catalog, "URL",
		   "the catalog (file:///DIR or gs://BUCKET/PREFIX)", NULL),
	LYB_FLAG("verbose", 'v', struct common, verbose, "say more"),
	LYB_FLAG("help", 'h', struct common, help, "show this help"),
	{0},
};

static const struct lyb_opt version_opts[] = {
	LYB_FLAG("version", 'V', struct common, version, "show the version"),
	{0},
};

/* Applies -C and -v. */
static int common_apply(struct lyb_cli *cli, const struct common *c)
{
	if (c->catalog) {
		free(cli->catalog_url);
		cli->catalog_url = url_from_arg(c->catalog);
		if (!cli->catalog_url) {
			lyb_cli_fail("--catalog", "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
	}
	if (c->verbose) {
		cli->verbose = 1;
		log_quiet(cli, 1);
	}
	return 0;
}

static const struct {
	const char *name;
	const char *text;
} usages[] = {
	{"ls", "usage: lyb [OPTIONS] ls [--late] [--json] [DATASET]\n"
	       "\n"
	       "Without DATASET, lists the DataSets of the catalog, one per\n"
	       "line; with --late, only those whose expected partition is\n"
	       "late or missing now, and why. With DATASET (namespace.Name\n"
	       "or lyb://namespace.Name), prints one row per partition date:\n"
	       "its number of versions, the latest version and where that\n"
	       "version's data lives. --json prints either as JSON\n"
	       "(docs/cli.md).\n"},
	{"status",
	 "usage: lyb [OPTIONS] status [--json] [MOUNTPOINT]\n"
	 "\n"
	 "Shows a running mount's health (MOUNTPOINT/.lyb/health) and\n"
	 "its main figures from .lyb/metrics; MOUNTPOINT defaults to\n"
	 "the running mount lyb's settings come from, else /lyb. Exits\n"
	 "non-zero unless the mount is healthy.\n"},
	{"info",
	 "usage: lyb [OPTIONS] info [--json] DATASET\n"
	 "\n"
	 "Prints the DataSet card: owner and contact, delivery SLO and\n"
	 "whether today's delivery is on time, schema, readers,\n"
	 "counters, format, upstream and downstream DataSets, and the\n"
	 "latest version.\n"},
	{"dataset",
	 "usage: lyb [OPTIONS] dataset create DATASET --owner group:TEAM\n"
	 "           [--description TEXT] [--channel CHANNEL] [--pm HANDLE]\n"
	 "           [--schema FILE.avsc] [--slo \"daily 08:00\"] "
	 "[--format avro]\n"
	 "           [--reader PRINCIPAL]... [--upstream DATASET]...\n"
	 "\n"
	 "Creates a DataSet (and the catalog, if there is none yet). The\n"
	 "schema must be a valid Avro schema; the SLO is FREQUENCY HH:MM\n"
	 "[UTC] with FREQUENCY daily, hourly or weekly. Readers are\n"
	 "principals (user:NAME@DOMAIN, group:NAME, domain:NAME); upstream\n"
	 "DataSets must exist.\n"},
	{"publish",
	 "usage: lyb [OPTIONS] publish DATASET DATE [--gs URL]\n"
	 "           [--snow SNOW_TABLE=URL] [--upstream DATASET@DATE/VERSION]...\n"
	 "           [--producer TEXT] [--jobs N] [--quiet]\n"
	 "\n"
	 "Registers a new version of DATASET for partition DATE (YYYY-MM-DD)\n"
	 "from objects already stored: --gs names the Avro objects (a\n"
	 "gs://BUCKET/PREFIX or file:///DIR), --snow the Snowflake table\n"
	 "(snow://DB/TABLE/VERSION, or snow://DB/TABLE to end it with the\n"
	 "version id) and where its export files are. At least one of them\n"
	 "is needed. Every object is read once, N at a time (default 4, at\n"
	 "most 64); the Avro objects must share one writer schema, which\n"
	 "the DataSet's schema (if it has one) must be able to read. On a\n"
	 "terminal a line on stderr shows the progress, unless --quiet.\n"
	 "Prints the version id; the same bytes published again give the\n"
	 "same id and no new version.\n"},
	{"access",
	 "usage: lyb [OPTIONS] access request DATASET [--reason TEXT]\n"
	 "       lyb [OPTIONS] access list [--json] DATASET\n"
	 "       lyb [OPTIONS] access grant DATASET PRINCIPAL\n"
	 "       lyb [OPTIONS] access revoke DATASET PRINCIPAL\n"
	 "\n"
	 "Asks for read access to DATASET as yourself (your Unix account:\n"
	 "user:LOGIN@DOMAIN), shows its readers, pending requests and the\n"
	 "history of changes, or, for members of its owner group and admins,\n"
	 "grants or revokes a principal (user:NAME@DOMAIN, group:NAME or\n"
	 "domain:NAME). Every change is recorded in the DataSet's history.\n"
	 "Changes go through the running mount's control socket, which\n"
	 "takes your identity from the kernel; without one, lyb writes the\n"
	 "catalog itself (which needs write access to it). DOMAIN, admins\n"
	 "and the socket come from the configuration file, else from the\n"
	 "mount's settings (lyb(1), CONFIGURATION).\n"},
	{"catalog",
	 "usage: lyb [OPTIONS] catalog format\n"
	 "       lyb [OPTIONS] catalog init [--format 1|2]\n"
	 "       lyb [OPTIONS] catalog upgrade\n"
	 "       lyb [OPTIONS] catalog checkpoint\n"
	 "\n"
	 "format prints the catalog's format (1 or 2). init makes an empty\n"
	 "catalog, format 2 unless told (lyb dataset create makes one too).\n"
	 "upgrade converts a format 1 catalog to format 2 in place: mounts\n"
	 "keep reading it throughout and switch at their next refresh, a\n"
	 "crash leaves a catalog both formats read, running it again\n"
	 "finishes it, and version ids do not change. checkpoint records\n"
	 "every DataSet's head so that mounts start from it (run it from a\n"
	 "timer on the catalog's own account).\n"},
	{"audit",
	 "usage: lyb [OPTIONS] audit [--file PATH] [--json] [DATASET]\n"
	 "\n"
	 "Shows the mount's audit log as a table: every open and listing of\n"
	 "data, allowed or denied, with who, which process and why. PATH is\n"
	 "`audit = PATH` of the configuration file, else " LYB_AUDIT_DEFAULT_PATH
	 ".\n"},
	{"head",
	 "usage: lyb [OPTIONS] head [-n N] [--avro-json] DATASET [DATE "
	 "[gs|snow]]\n"
	 "\n"
	 "Prints the first N records (default 10) of a DataSet's latest\n"
	 "version of DATE (default: the latest date) as JSON lines, from\n"
	 "the gs copy (Avro) or the snow copy (a Snowflake export);\n"
	 "without gs|snow, whichever the version has, gs first. Avro is\n"
	 "plain JSON, as in data.jsonl; --avro-json prints the Avro JSON\n"
	 "encoding, as in data.avro.json (docs/json.md).\n"},
	{"serve",
	 "usage: lyb [OPTIONS] serve [--listen ADDR:PORT] [--trust-proxy ADDR]...\n"
	 "           [--user-header NAME] [--static DIR] [--mount PATH]\n"
	 "           [--refresh SEC] [--max-connections N]\n"
	 "\n"
	 "Serves the Lybrary portal: DataSet pages and the JSON API under\n"
	 "/api/v1/ (docs/api.md), at ADDR:PORT (default 127.0.0.1:8080).\n"
	 "The user is the e-mail in header NAME (default X-Forwarded-Email),\n"
	 "believed only from a --trust-proxy address (an authenticating\n"
	 "proxy); without it pages are public metadata, read-only. DIR holds\n"
	 "the pages (default " LYB_PORTAL_STATIC_TEXT "); PATH is where lybfs\n"
	 "mounts (default: the running mount's, else /lyb); the catalog\n"
	 "is re-read every SEC seconds\n"
	 "(default 2). Stops on SIGINT or SIGTERM; SIGHUP reopens the audit\n"
	 "log.\n"},
	{"help",
	 "usage: lyb help [--options] [COMMAND]\n"
	 "\n"
	 "Prints the overview, or the help of COMMAND. --options lists\n"
	 "lyb's (or COMMAND's) options, one name per line with its\n"
	 "value's name, then \"arg WORD\" for each argument in order\n"
	 "(a|b: one of these): what shell completion reads.\n"},
};

static int cmd_help(struct lyb_cli *cli, const void *opts, int argc,
		    char **argv);

struct help_opts {
	int options;
};

static const struct lyb_opt help_opts[] = {
	LYB_FLAG("options", 0, struct help_opts, options,
		 "list options and arguments, for completion"),
	{0},
};

static const struct lyb_cmd help_cmd = {"help", cmd_help, help_opts,
					sizeof(struct help_opts), "COMMAND"};

static const struct lyb_cmd *const commands[] = {
	&lyb_cmd_ls,	 &lyb_cmd_info,	   &lyb_cmd_dataset, &lyb_cmd_publish,
	&lyb_cmd_status, &lyb_cmd_head,	   &lyb_cmd_access,  &lyb_cmd_audit,
	&lyb_cmd_serve,	 &lyb_cmd_catalog, &help_cmd,
};

static const struct lyb_cmd *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

void lyb_cli_usage(const char *cmd, int to_stderr)
{
	FILE *out = to_stderr ? stderr : stdout;
	const struct lyb_cmd *c = cmd ? cmd_find(cmd) : NULL;
	size_t i;

	for (i = 0; c && i < sizeof(usages) / sizeof(usages[0]); i++) {
		if (strcmp(usages[i].name, cmd) == 0) {
			fputs(usages[i].text, out);
			if (c->opts) {
				fputs("\nOptions:\n", out);
				lyb_opts_help(out, c->opts);
			}
			fputs("\nOptions of every command:\n", out);
			lyb_opts_help(out, common_opts);
			return;
		}
	}
	fputs("usage: lyb [--catalog URL] [-v] COMMAND [ARGS]\n"
	      "\n"
	      "Commands:\n"
	      "  ls [--late] [DATASET]  list DataSets (--late: only late ones),\n"
	      "                       or the versions of one\n"
	      "  info DATASET         show a DataSet's card\n"
	      "  head [-n N] [--avro-json] DATASET [DATE [gs|snow]]\n"
	      "                       the first records, as JSON lines\n"
	      "  status [MOUNTPOINT]  a mount's health and figures\n"
	      "  access request|list|grant|revoke DATASET [PRINCIPAL]\n"
	      "                       ask for, show and manage read access\n"
	      "  audit [DATASET]      the mount's audit log\n"
	      "  dataset create ...   create a DataSet\n"
	      "  serve [--listen ADDR:PORT] ...\n"
	      "                       serve the portal (pages and JSON API)\n"
	      "  publish DATASET DATE [--gs URL] [--snow TABLE=URL] ...\n"
	      "                       register a new version\n"
	      "  catalog format|init|upgrade|checkpoint\n"
	      "                       the catalog's format, its upgrade to 2\n"
	      "  help [COMMAND]       show help\n"
	      "\n"
	      "Options:\n",
	      out);
	lyb_opts_help(out, common_opts);
	lyb_opts_help(out, version_opts);
	fputs("\n"
	      "The catalog is --catalog, else $LYB_CATALOG, else `catalog = "
	      "URL`\n"
	      "in $LYB_CONFIG or " DEFAULT_CONFIG
	      ", else the running mount's,\n"
	      "else " DEFAULT_CATALOG ". What the file does not set is\n"
	      "taken from the running mount's settings (lyb -v says "
	      "which).\n",
	      out);
}

/* lyb help --options [COMMAND]: what completion reads (its help says) */
static void options_list(const struct lyb_cmd *c)
{
	const char *a;
	size_t i, n;

	if (c) {
		lyb_opts_list(stdout, c->opts);
		lyb_opts_list(stdout, common_opts);
		for (a = c->args; *a; a += n + strspn(a + n, " ")) {
			n = strcspn(a, " ");
			printf("arg %.*s\n", (int)n, a);
		}
		return;
	}
	lyb_opts_list(stdout, common_opts);
	lyb_opts_list(stdout, version_opts);
	fputs("arg ", stdout);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("%s%s", i ? "|" : "", commands[i]->name);
	putchar('\n');
}

static int cmd_help(struct lyb_cli *cli, const void *opts, int argc,
		    char **argv)
{
	const struct help_opts *o = opts;

	(void)cli;
	if (argc > 2) {
		lyb_cli_fail("help", "too many arguments");
		return -EINVAL;
	}
	if (argc == 2 && !cmd_find(argv[1])) {
		lyb_cli_fail("help", "unknown command %s", argv[1]);
		return -EINVAL;
	}
	if (o->options)
		options_list(argc == 2 ? cmd_find(argv[1]) : NULL);
	else
		lyb_cli_usage(argc == 2 ? argv[1] : NULL, 0);
	return 0;
}

/*
 * Reads @cmd's options and runs it; @argv[0] is its name. The struct its
 * table fills is zeroed, and its lists freed after.
 */
static int cmd_run(struct lyb_cli *cli, const struct lyb_cmd *cmd, int argc,
		   char **argv)
{
	struct common c = {0};
	void *o = calloc(1, cmd->size ? cmd->size : 1);
	struct lyb_optset sets[] = {
		{cmd->opts, o}, {common_opts, &c}, {NULL, NULL}};
	char err[512];
	int nargs, rc;

	if (!o) {
		lyb_cli_fail(cmd->name, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = lyb_opts_parse(cmd->opts ? sets : sets + 1, cmd->name, 0, argc,
			    argv, &nargs, err, sizeof(err));
	if (rc)
		fprintf(stderr, "lyb: %s\n", err);
	if (rc == 0)
		rc = common_apply(cli, &c);
	if (rc == 0 && c.help)
		lyb_cli_usage(cmd->name, 0);
	else if (rc == 0)
		rc = cmd->run(cli, o, nargs + 1, argv);
	lyb_opts_free(sets);
	free(o);
	return rc;
}

int main(int argc, char **argv)
{
	struct common g = {0};
	const struct lyb_optset sets[] = {
		{common_opts, &g}, {version_opts, &g}, {NULL, NULL}};
	const struct lyb_cmd *cmd;
	struct lyb_cli cli = {0};
	char err[512];
	int done = 0, cache, nargs;

	lyb_log_set_prefix("lyb");
	log_quiet(&cli, 1);
	/* stop at the command, whose options are its own */
	done = lyb_opts_parse(sets, NULL, 1, argc, argv, &nargs, err,
			      sizeof(err));
	if (done) {
		fprintf(stderr, "lyb: %s\n", err);
		goto out;
	}
	done = common_apply(&cli, &g);
	if (done)
		goto out;
	if (g.help) {
		lyb_cli_usage(NULL, 0);
		goto out;
	}
	if (g.version) {
		printf("lyb %s\n", LYB_VERSION);
		goto out;
	}
	if (nargs == 0) {
		lyb_cli_usage(NULL, 1);
		done = -EINVAL;
		goto out;
	}
	cmd = cmd_find(argv[1]);
	if (!cmd) {
		lyb_cli_fail(argv[1], "unknown command (see lyb --help)");
		done = -EINVAL;
		goto out;
	}
	/* a small memory cache: what `lyb head` and publish's decoding read
	 * is checked block by block there, as in the daemon (cache.h) */
	cache = lyb_cache_init(
			&(struct lyb_cache_config){.mem_bytes = 32u << 20,
						   .readahead_max = 8u << 20,
						   .workers = 4}) == 0;
	done = cmd_run(&cli, cmd, nargs, argv + 1);
	if (cache)
		lyb_cache_shutdown();
out:
	free(cli.catalog_url);
	lyb_config_free(&cli.conf);
	lyb_config_free(&cli.mount.cfg);
	if ((fflush(stdout) != 0 || ferror(stdout)) && done >= 0) {
		lyb_cli_fail("writing the output", "%s", strerror(errno));
		done = -EIO;
	}
	return done < 0 ? 1 : 0;
}
