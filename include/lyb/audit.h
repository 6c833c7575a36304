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
 * The file is opened O_APPEND|O_NOFOLLOW and must then be a regular file
 * owned by this process's euid, not writable by group or others, with one
 * link (else lyb_audit_open() refuses it: another account made it, or it
 * is a link to something else); it is made mode 0600 at most through
 * the open descriptor, never by path (lyb_log_open_file(), log.h). A
 * SIGHUP (or lyb_audit_request_reopen()) makes the next write reopen the
 * path, for rotation by rename, with the same checks; a path that fails
 * them keeps the old file in use.
 *
 * Each line is written with one write(2) while holding the log's lock, so
 * lines from different threads never interleave. A write that fails part
 * way (ENOSPC, EIO, EFBIG) is cut back to where it started; if even that
 * fails, the next line starts with a newline, so a torn line never glues
 * to the next record (and lyb_audit_read() recovers records glued by
 * older versions).
 *
 * Rate: each uid may write LYB_AUDIT_RATE lines a second, in bursts of up
 * to LYB_AUDIT_BURST (a token bucket per uid). Lines over it are not
 * written but counted, per uid, and summarised in the log itself by one
 * line {"op":"dropped","uid":U,"count":N,"allowed":A,"since":T} (and in
 * the metrics), at most one a second per uid: written by the first
 * lyb_audit_write() or lyb_audit_flush() a second or more after the first
 * drop it counts (about a quarter of a second later at most), or at
 * close. Nothing is lost silently, and one process flooding denied opens
 * cannot fill the disk faster than RATE lines (and one summary) a second.
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
#define LYB_AUDIT_RATE 100	       /* lines a second per uid, sustained */
#define LYB_AUDIT_BURST 1000	       /* lines per uid in a burst */
#define LYB_AUDIT_UIDS_MAX 4096	       /* uids with a bucket of their own */

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

/*
 * Opens (creates) the log at @path; the error is logged. -EPERM when the
 * file fails the checks above, -ELOOP when @path is a symbolic link.
 */
int lyb_audit_open(const char *path, struct lyb_audit **out);
/* Writes the pending drop summaries, then closes; accepts NULL. */
void lyb_audit_close(struct lyb_audit *a);
/*
 * Appends one line; -errno when it could not be written whole (nothing of
 * it stays in the file then). A line over the uid's rate is counted, not
 * written, and that is 0: the summary line records it.
 */
int lyb_audit_write(struct lyb_audit *a, const struct lyb_audit_event *ev);
/* Writes the summaries of drops a second old or more; for a timer. */
void lyb_audit_flush(struct lyb_audit *a);
/* Tests only: the monotonic clock (seconds) the rate is measured by. */
void lyb_audit_set_clock(double (*now)(void));

/*
 * Asks every open log to reopen its path before its next line. Async-
 * signal-safe; lyb_audit_catch_sighup() makes SIGHUP call it, and
 * lyb_log_request_reopen() for the log file (log.h).
 */
void lyb_audit_request_reopen(void);
int lyb_audit_catch_sighup(void);

/* One line read back; strings are "" when absent. */
struct lyb_audit_record {
	char time[32];
	long long uid, pid;
	const char *principal, *comm, *op, *dataset, *date, *version;
	const char *location, *path, *decision, *reason;
	long long count, allowed; /* op "dropped": lines not written */
	const char *since;	  /* op "dropped": the first of them */
};

/*
 * Reads the log at @path and calls @cb with each line of DataSet @dataset
 * (NULL: all; drop summaries are shown with every DataSet). A line that
 * does not parse is skipped and counted in *@bad; a whole record glued
 * after a torn one on the same line is still read. @cb returns non-zero
 * to stop.
 */
typedef int (*lyb_audit_cb)(void *arg, const struct lyb_audit_record *r);
int lyb_audit_read(const char *path, const char *dataset, lyb_audit_cb cb,
		   void *arg, size_t *bad);

#endif
