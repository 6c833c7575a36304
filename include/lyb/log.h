/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - the one logging entry point of lybfs and lyb.
 *
 * Every module logs through lyb_log(); libfuse's own messages are routed
 * into it by the daemon. Messages are lower case, say what failed first,
 * and never contain tokens, keys or signed URLs.
 *
 * Where lines go: stderr by default, syslog after lyb_log_use_syslog(),
 * or a file after lyb_log_to_file() (log=FILE), each line there stamped
 * with the UTC time to the millisecond, the prefix, the pid and the level
 * (lyb_log_file_line()). With a file, errors also go to stderr until
 * lyb_log_use_syslog() (so a start that fails says why on the terminal),
 * and a line the file does not take (disk full, EIO, a size limit) goes
 * to stderr or syslog instead, counted (lyb_log_file_errors()); the next
 * line the file takes starts on a line of its own.
 *
 * Thread safety: all functions may be called from any thread; a message is
 * written with one write(2) so lines from different threads never mix.
 */
#ifndef LYB_LOG_H
#define LYB_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum lyb_log_level {
	LYB_LOG_ERR = 3,
	LYB_LOG_WARN = 4,
	LYB_LOG_INFO = 6,
	LYB_LOG_DEBUG = 7,
};

/* Messages above @level are dropped. Default: LYB_LOG_INFO. */
void lyb_log_set_level(enum lyb_log_level level);
enum lyb_log_level lyb_log_get_level(void);

/* Send messages to syslog(3) (ident @ident) instead of stderr. */
void lyb_log_use_syslog(const char *ident);

/* Prefix for stderr lines, e.g. "lybfs" or "lyb". Not copied. */
void lyb_log_set_prefix(const char *prefix);

void lyb_log(enum lyb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parses "err", "warn", "info", "debug"; returns 0 or -EINVAL. */
int lyb_log_parse_level(const char *s, enum lyb_log_level *out);

/*
 * Sends messages to the file at @path (opened by lyb_log_open_file(),
 * created 0640), as above. 0, or -errno with the reason logged (-ELOOP: a
 * symbolic link, -EPERM: not a regular file of ours alone).
 */
int lyb_log_to_file(const char *path);
/*
 * Asks for the log file to be opened again at its path, for rotation by
 * rename: done by the next lyb_log() or lyb_log_reopen_due(), with the
 * checks of lyb_log_open_file(); a path that fails them is logged and the
 * file open before stays in use. Async-signal-safe (SIGHUP calls it:
 * lyb_audit_catch_sighup()).
 */
void lyb_log_request_reopen(void);
/* Does the reopen asked for, if any; for a timer (the refresh thread). */
void lyb_log_reopen_due(void);
/* Lines the log file did not take, since the start. */
uint64_t lyb_log_file_errors(void);

/*
 * The line the log file gets for @msg, at @when, into @out (@cap >= 64
 * bytes), newline-ended and cut to one line of at most @cap - 1 bytes:
 *   2026-11-25T18:40:59.894Z lybfs[4242]: error: catalog unreachable
 * Returns its length, or -EINVAL. Pure.
 */
int lyb_log_file_line(char *out, size_t cap, const struct timespec *when,
		      long pid, const char *prefix, enum lyb_log_level level,
		      const char *msg);

/*
 * Opens @path to append lines to, for a log only this daemon may write
 * (the log file; the audit log, audit.c). @what names it in messages
 * ("log file PATH: ..."). Opened O_RDWR|O_APPEND|O_CREAT|O_NOFOLLOW|
 * O_NONBLOCK|O_CLOEXEC, created with @mode, then checked through the
 * descriptor: a regular file owned by this euid, not writable by group or
 * others, with one link; bits beyond @mode are taken away by fchmod().
 * Returns the descriptor, with whether the file ends inside a line (a
 * write cut short) in *@torn; or -ELOOP (@path is a symbolic link), -EPERM
 * (it fails a check; left as it was) or -errno, with the reason logged.
 */
int lyb_log_open_file(const char *what, const char *path, mode_t mode,
		      int *torn);

#endif
