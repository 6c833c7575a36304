/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the commands of the `lyb` tool share (private to src/lyb/).
 *
 * main.c parses the global options, finds the catalog URL and dispatches
 * to one lyb_cmd_<name>() per command. A command returns 0 or -errno; on
 * failure it has already printed its one line "lyb: <what failed>: <why>"
 * on stderr, and main exits 1.
 *
 * Messages of the core (lyb_log) are silenced unless -v is given, so that
 * an error is one line; only loading the catalog shows warnings (a
 * catalog document that failed to parse) without -v.
 *
 * Not thread safe: the CLI is single-threaded.
 */
#ifndef LYB_CLI_H
#define LYB_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "lyb/acl.h"
#include "lyb/catalog.h"
#include "lyb/config.h"
#include "lyb/mounts.h"

struct lyb_cli {
	char *catalog_url; /* from --catalog, else found by lyb_cli_open() */
	int verbose;
	/* the configuration file, read once when first needed; conf is all
	 * defaults when it could not be read */
	int config_done;
	const char *config_path;
	struct lyb_config conf; /* zeroed until read; main frees it */
	/* the running mount whose settings filled what the file left unset
	 * (mounts.h), when one was found; else why none was */
	int mounted;
	unsigned int filled; /* the LYB_CONFIG_* keys it filled */
	struct lyb_mount mount;
	char mount_why[1024];
};

/* Prints "lyb: <what>: <why>" on stderr (@fmt formats the why). */
void lyb_cli_fail(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "lyb: <message>" on stderr, only with -v. */
void lyb_cli_note(const struct lyb_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Opens the catalog (making an empty one with @create), refreshes it and
 * returns its current snapshot. Both are the caller's to release
 * (lyb_snap_unref(), lyb_catalog_close()); on failure nothing is returned
 * and the error has been printed.
 */
/*
 * Opens the catalog without reading it (@snap NULL): for commands that
 * need one DataSet (lyb_catalog_get()), whatever the catalog's size.
 */
int lyb_cli_open_one(struct lyb_cli *cli, int create, struct lyb_catalog **cat);
/*
 * DataSet @name of @snap with the versions of @date (NULL: all) loaded
 * (lyb_dataset_part()); says why not. A reference.
 */
int lyb_cli_dataset(struct lyb_catalog *cat, struct lyb_snap *snap,
		    const char *name, const char *date,
		    struct lyb_dataset **out);
int lyb_cli_open(struct lyb_cli *cli, int create, struct lyb_catalog **cat,
		 struct lyb_snap **snap);

/*
 * Confines file:// data the way the daemon does (file_roots of the
 * configuration file, else the catalog's own tree: store.h); a command
 * that reads data (publish, head) calls it first: until then no file://
 * data opens. The configuration file must then be valid.
 */
int lyb_cli_confine(struct lyb_cli *cli);

/*
 * Options every command accepts besides its own: -C/--catalog URL,
 * -v/--verbose, -h/--help. Returns 1 when @c was one of them (for -h the
 * command's help is printed and *@done set), else 0.
 */
#define LYB_CLI_SHORTOPTS ":C:vh"
/* clang-format off */
#define LYB_CLI_LONGOPTS \
	{"catalog", required_argument, NULL, 'C'}, \
	{"verbose", no_argument, NULL, 'v'}, \
	{"help", no_argument, NULL, 'h'}
/* clang-format on */
int lyb_cli_common_opt(struct lyb_cli *cli, const char *cmd, int c,
		       const char *arg, int *done);
/* Prints the error for getopt's '?' or ':' answer in command @cmd. */
void lyb_cli_bad_option(const char *cmd, int c, char **argv);

/*
 * The policy from the configuration file (domain, admins) and the
 * caller's identity from getuid/getgid/getgroups; both the caller's.
 */
int lyb_cli_acl(struct lyb_cli *cli, struct lyb_acl **acl,
		struct lyb_ident **me);
/*
 * 0 when the caller may read @ds; else prints "Access denied. User ...
 * does not have read access to DataSet ..." on stderr and how to ask
 * (lyb_acl_request_hint), -EACCES.
 */
int lyb_cli_may_read(struct lyb_cli *cli, const struct lyb_dataset *ds);
/*
 * The mount's control socket for access changes: $LYB_CONTROL, else
 * `control = PATH`; NULL to write the catalog directly.
 */
const char *lyb_cli_control_path(struct lyb_cli *cli);
/* The audit log to read: `audit = PATH`, else the daemon's default. */
const char *lyb_cli_audit_path(struct lyb_cli *cli);

/*
 * Accepts "NAME" or "lyb://NAME" naming a DataSet; returns NAME, or NULL
 * with the error printed.
 */
const char *lyb_cli_dataset_arg(const char *arg);

/* Prints the help of command @cmd (NULL: the overview) on @out. */
void lyb_cli_usage(const char *cmd, int to_stderr);

/* The commands. @argv[0] is the command name; getopt state is reset. */
int lyb_cmd_ls(struct lyb_cli *cli, int argc, char **argv);
int lyb_cmd_info(struct lyb_cli *cli, int argc, char **argv);
int lyb_cmd_dataset(struct lyb_cli *cli, int argc, char **argv);
int lyb_cmd_publish(struct lyb_cli *cli, int argc, char **argv);
int lyb_cmd_status(struct lyb_cli *cli, int argc, char **argv);
int lyb_cmd_head(struct lyb_cli *cli, int argc, char **argv);
int lyb_cmd_access(struct lyb_cli *cli, int argc, char **argv);
int lyb_cmd_audit(struct lyb_cli *cli, int argc, char **argv);
int lyb_cmd_serve(struct lyb_cli *cli, int argc, char **argv);
int lyb_cmd_catalog(struct lyb_cli *cli, int argc, char **argv);

#endif
