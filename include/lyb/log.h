/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - the one logging entry point of lybfs and lyb.
 *
 * Every module logs through lyb_log(); libfuse's own messages are routed
 * into it by the daemon. Messages are lower case, say what failed first,
 * and never contain tokens, keys or signed URLs.
 *
 * Thread safety: all functions may be called from any thread; a message is
 * written with one write(2) so lines from different threads never mix.
 */
#ifndef LYB_LOG_H
#define LYB_LOG_H

#include <sys/types.h>

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
 * Opens @path to append lines to, for a log only this daemon may write
 * (the audit log, audit.c). @what names it in messages
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
