/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.h - the audit log: one JSON line per access decision.
 *
 *   {"time":"2026-11-25T18:00:00.123Z","uid":1001,
 *    "principal":"user:alice@thecompany.com","pid":4242,"comm":"cat",
 *    "op":"open","dataset":"a.B","date":"2020-09-03","version":"922d6e",
 *    "location":"gs","path":"a.B/2020-09-03/922d6e/gs/part-00000.avro",
 *    "decision":"allow","reason":"reader user:alice@thecompany.com"}
 *
 * The file is opened O_APPEND, created mode 0600 (and set to 0600 when it
 * exists), and each line is written with one write(2) while holding the
 * log's lock, so lines from different threads never interleave and a
 * crash never leaves half a line behind a whole one. A SIGHUP (or
 * lyb_audit_request_reopen()) makes the next write reopen the path, for
 * rotation by rename.
 *
 * Thread safety: lyb_audit_write() may be called from any thread; the
 * lock is a leaf, held across the one local write(2) only.
 */
#ifndef LYB_AUDIT_H
#define LYB_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LYB_AUDIT_DEFAULT_PATH "/var/log/lybfs-audit.log"
#define LYB_AUDIT_LINE_MAX (64u << 10) /* longest line read back */

struct lyb_audit_event {
	uid_t uid;
	pid_t pid;
	const char *principal; /* the user principal, or "uid N" */
	const char *comm;      /* NULL: read from /proc/<pid>/comm */
	const char *op;	       /* "open", "opendir", ... */
	const char *dataset;
	const char *date;     /* may be NULL */
	const char *version;  /* may be NULL */
	const char *location; /* "gs", "snow", or NULL */
	const char *path;     /* relative to the mount */
	int allowed;
	const char *reason;
};

struct lyb_audit;

/* Opens (creates) the log at @path; the error is logged. */
int lyb_audit_open(const char *path, struct lyb_audit **out);
void lyb_audit_close(struct lyb_audit *a); /* accepts NULL */
/* Appends one line; -errno when it could not be written whole. */
int lyb_audit_write(struct lyb_audit *a, const struct lyb_audit_event *ev);

/*
 * Asks every open log to reopen its path before its next line. Async-
 * signal-safe; lyb_audit_catch_sighup() makes SIGHUP call it.
 */
void lyb_audit_request_reopen(void);
int lyb_audit_catch_sighup(void);

/* One line read back; strings are "" when absent. */
struct lyb_audit_record {
	char time[32];
	long long uid, pid;
	const char *principal, *comm, *op, *dataset, *date, *version;
	const char *location, *path, *decision, *reason;
};

/*
 * Reads the log at @path and calls @cb with each line of DataSet @dataset
 * (NULL: all). A line that does not parse is skipped and counted in
 * *@bad. @cb returns non-zero to stop.
 */
typedef int (*lyb_audit_cb)(void *arg, const struct lyb_audit_record *r);
int lyb_audit_read(const char *path, const char *dataset, lyb_audit_cb cb,
		   void *arg, size_t *bad);

#endif
