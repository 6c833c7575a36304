// SPDX-License-Identifier: Apache-2.0
/*
 * log.c - lyb_log(): one line per message, to stderr ("lybfs: error: ...")
 * or syslog. Each line goes out in one write(2), so lines from concurrent
 * threads never interleave. When stderr is the systemd journal
 * ($JOURNAL_STREAM names it), lines start with "<N>", the syslog level,
 * which journald takes as the priority (sd-daemon(3)).
 *
 * lyb_log_open_file() opens the audit log (audit.c): a file only the
 * daemon may write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "lyb/log.h"

static atomic_int log_level = LYB_LOG_INFO;
static atomic_int use_syslog;
static const char *log_prefix = "lyb";
static atomic_int to_journal = -1; /* -1: not looked at yet */

/* Whether stderr is the stream $JOURNAL_STREAM ("DEV:INODE") names. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void lyb_log_set_level(enum lyb_log_level level)
{
	atomic_store(&log_level, (int)level);
}

enum lyb_log_level lyb_log_get_level(void)
{
	return (enum lyb_log_level)atomic_load(&log_level);
}

void lyb_log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	atomic_store(&use_syslog, 1);
}

void lyb_log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

static const char *level_name(enum lyb_log_level level)
{
	switch (level) {
	case LYB_LOG_ERR:
		return "error";
	case LYB_LOG_WARN:
		return "warning";
	case LYB_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

int lyb_log_parse_level(const char *s, enum lyb_log_level *out)
{
	static const struct {
		const char *name;
		enum lyb_log_level level;
	} names[] = {{"err", LYB_LOG_ERR},   {"error", LYB_LOG_ERR},
		     {"warn", LYB_LOG_WARN}, {"warning", LYB_LOG_WARN},
		     {"info", LYB_LOG_INFO}, {"debug", LYB_LOG_DEBUG}};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

/* Why @path could not be opened, in words: what is there instead. */
static void explain_open(const char *what, const char *path, int err)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		lyb_log(LYB_LOG_ERR,
			"%s %s: is a symbolic link: refusing to follow it "
			"(remove it)",
			what, path);
		return;
	}
	if (lstat(path, &st) == 0 && st.st_uid != geteuid()) {
		lyb_log(LYB_LOG_ERR,
			"%s %s: %s; it is owned by uid %u, not by this "
			"daemon's uid %u: refusing it (remove it, and keep the "
			"log in a directory only uid %u can write)",
			what, path, strerror(err), (unsigned)st.st_uid,
			(unsigned)geteuid(), (unsigned)geteuid());
		return;
	}
	lyb_log(LYB_LOG_ERR, "%s %s: %s", what, path, strerror(err));
}

int lyb_log_open_file(const char *what, const char *path, mode_t mode,
		      int *torn)
{
	struct stat st;
	char last = '\n';
	int fd, rc = -EPERM;

	fd = open(path,
		  O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY |
			  O_NONBLOCK | O_CLOEXEC,
		  mode);
	if (fd < 0) {
		rc = -errno;
		explain_open(what, path, -rc);
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		lyb_log(LYB_LOG_ERR, "%s %s: %s", what, path, strerror(-rc));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		lyb_log(LYB_LOG_ERR, "%s %s: not a regular file: refusing it",
			what, path);
		goto out_close;
	}
	if (st.st_uid != geteuid()) {
		lyb_log(LYB_LOG_ERR,
			"%s %s: owned by uid %u, not by this daemon's uid %u: "
			"refusing it (another account created it; remove it, "
			"and keep the log in a directory only uid %u can "
			"write)",
			what, path, (unsigned)st.st_uid, (unsigned)geteuid(),
			(unsigned)geteuid());
		goto out_close;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		lyb_log(LYB_LOG_ERR,
			"%s %s: mode %04o lets others write to it: refusing "
			"it (its lines could be forged)",
			what, path, (unsigned)(st.st_mode & 07777));
		goto out_close;
	}
	if (st.st_nlink != 1) {
		lyb_log(LYB_LOG_ERR,
			"%s %s: has %lu names (hard links): refusing it", what,
			path, (unsigned long)st.st_nlink);
		goto out_close;
	}
	/* ours: what @mode does not allow is taken away, by descriptor */
	if ((st.st_mode & 07777 & ~mode) &&
	    fchmod(fd, st.st_mode & 07777 & mode) != 0)
		lyb_log(LYB_LOG_WARN, "%s %s: chmod %04o: %s", what, path,
			(unsigned)(st.st_mode & 07777 & mode), strerror(errno));
	*torn = st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
		last != '\n';
	return fd;
out_close:
	close(fd);
	return rc;
}

void lyb_log(enum lyb_log_level level, const char *fmt, ...)
{
	char line[2048], pri[8] = "";
	va_list ap;
	int n, saved = errno;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	if (atomic_load(&use_syslog)) {
		vsyslog((int)level, fmt, ap);
		va_end(ap);
		errno = saved;
		return;
	}
	if (atomic_load(&to_journal) < 0)
		atomic_store(&to_journal, stderr_is_journal());
	if (atomic_load(&to_journal))
		snprintf(pri, sizeof(pri), "<%d>", (int)level);
	n = snprintf(line, sizeof(line), "%s%s: %s: ", pri, log_prefix,
		     level_name(level));
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2; /* cut, but still one line */
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}
