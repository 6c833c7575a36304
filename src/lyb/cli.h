/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the commands of the `lyb` tool share (private to src/lyb/).
 *
 * main.c parses lyb's own options, finds the catalog URL and dispatches
 * to one struct lyb_cmd per command, after reading the command's options
 * from its table (opts.h) into a struct of its own. A command returns 0 or
 * -errno; on failure it has already printed its one line "lyb: <what
 * failed>: <why>" on stderr, and main exits 1.
 *
 * Messages of the core (lyb_log) are silenced unless -v is given, so that
 * an error is one line; only loading the catalog shows warnings (a
 * catalog document that failed to parse) without -v.
 *
 * Not thread safe: the CLI is single-threaded.
 */
#ifndef LYB_CLI_H
#define LYB_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "lyb/acl.h"
#include "lyb/audit.h"
#include "lyb/catalog.h"
#include "lyb/config.h"
#include "lyb/mounts.h"
#include "opts.h"

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
 * The mount point commands show and read by default: the running mount
 * lyb's settings came from (mounts.h), else LYB_CLI_MOUNT_DEFAULT.
 */
#define LYB_CLI_MOUNT_DEFAULT "/lyb"
const char *lyb_cli_mountpoint(struct lyb_cli *cli);

/*
 * Accepts "NAME" or "lyb://NAME" naming a DataSet; returns NAME, or NULL
 * with the error printed.
 */
const char *lyb_cli_dataset_arg(const char *arg);

/*
 * --json (json.c, docs/cli.md): each prints one JSON document on stdout
 * and returns 0, or -ENOMEM with the error printed.
 */
/* lyb ls: the DataSets of @snap (@late: only those overdue at @now). */
int lyb_json_datasets(const char *catalog, const struct lyb_snap *snap,
		      int64_t now, int late);
/* lyb ls DATASET: its dates, each with its latest version. */
int lyb_json_dates(const struct lyb_dataset *ds);
/* lyb info: the card, its freshness at @now and its latest version. */
int lyb_json_card(const struct lyb_snap *snap, const struct lyb_dataset *ds,
		  int64_t now);
/* lyb access list: readers, pending requests, history. */
int lyb_json_access(const struct lyb_dataset *ds);
/*
 * lyb status: the health text @health (lines) and the metrics @names
 * (NULL-ended) with their @values.
 */
int lyb_json_status(const char *mnt, int healthy, const char *health,
		    const char *const *names, const double *values);
/*
 * lyb audit: lyb_json_audit_record() is the lyb_audit_read() callback,
 * with a list of the log's @path and @dataset (may be NULL) as its @arg;
 * the document starts with the first record (so nothing is printed when
 * the log cannot be read) and lyb_json_audit_end() ends it. @rc is the
 * callback's error.
 */
struct lyb_json_list {
	const char *path, *dataset;
	size_t n;
	int started, rc;
};
int lyb_json_audit_record(void *arg, const struct lyb_audit_record *r);
int lyb_json_audit_end(struct lyb_json_list *l, size_t bad);

/* Prints the help of command @cmd (NULL: the overview) on @out. */
void lyb_cli_usage(const char *cmd, int to_stderr);

/*
 * A command. Its options (besides -C/--catalog, -v/--verbose and
 * -h/--help, which main.c handles) are read from @opts into a zeroed
 * struct of @size bytes, which @run gets as @opts; @argv[1..@argc - 1]
 * are its other arguments, in order, and @argv[0] its name.
 */
struct lyb_cmd {
	const char *name;
	int (*run)(struct lyb_cli *cli, const void *opts, int argc,
		   char **argv);
	const struct lyb_opt *opts; /* NULL: none of its own */
	size_t size;
	/*
	 * Its arguments, for shell completion (`lyb help --options`): words
	 * in order, each "a|b" (one of these; a lower-case word is itself),
	 * DATASET, DIR, COMMAND or another upper-case name (anything).
	 */
	const char *args;
};

extern const struct lyb_cmd lyb_cmd_ls, lyb_cmd_info, lyb_cmd_dataset,
	lyb_cmd_publish, lyb_cmd_status, lyb_cmd_head, lyb_cmd_access,
	lyb_cmd_audit, lyb_cmd_serve, lyb_cmd_catalog;

#endif
