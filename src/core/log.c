// SPDX-License-Identifier: Apache-2.0
/*
 * log.c - lyb_log(): one line per message, to stderr ("lybfs: error: ...")
 * or syslog, or to a file of its own (log=FILE) with a timestamp. Each
 * line goes out in one write(2), so lines from concurrent threads never
 * interleave. When stderr is the systemd journal ($JOURNAL_STREAM names
 * it), lines start with "<N>", the syslog level, which journald takes as
 * the priority (sd-daemon(3)).
 *
 * The log file keeps one descriptor number for its life: a reopen (after
 * SIGHUP, for rotation) opens the path anew and dup3()s the new file onto
 * that number, so a thread writing meanwhile writes whole lines to the old
 * file or the new one, never to a closed or reused descriptor.
 * lyb_log_open_file() is also the audit log's opener (audit.c): both are
 * files only the daemon may write.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lyb/clock.h"
#include "lyb/log.h"

#define LINE_MAX_BYTES 2048 /* one line, newline included, cut beyond */

static atomic_int log_level = LYB_LOG_INFO;
static atomic_int use_syslog;
static const char *log_prefix = "lyb";
static atomic_int to_journal = -1; /* -1: not looked at yet */

/* The log file (log=FILE): its descriptor never changes once set. */
static atomic_int file_fd = -1;
static char file_path[PATH_MAX]; /* set under reopen_lock */
static pthread_mutex_t reopen_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t reopen_gen; /* bumped by a signal */
static atomic_int file_gen;		 /* reopen_gen last opened */
static atomic_uint_fast64_t file_errors; /* lines the file refused */
static atomic_int file_failing;		 /* the last write failed */
static atomic_int file_torn;		 /* the file may end mid-line */

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

/*
 * Opens file_path and puts it at file_fd's number (or makes it file_fd);
 * under reopen_lock. 0 or -errno, logged.
 */
static int file_open_locked(void)
{
	int torn, fd = lyb_log_open_file("log file", file_path, 0640, &torn),
		  old;

	if (fd < 0)
		return fd;
	old = atomic_load(&file_fd);
	if (old < 0) {
		atomic_store(&file_fd, fd);
	} else {
		if (dup3(fd, old, O_CLOEXEC) < 0) {
			int rc = -errno;

			close(fd);
			return rc;
		}
		close(fd);
	}
	atomic_store(&file_torn, torn); /* the same file again, maybe */
	return 0;
}

int lyb_log_to_file(const char *path)
{
	static char was[sizeof(file_path)]; /* under reopen_lock */
	int rc;

	if (strlen(path) >= sizeof(file_path)) {
		lyb_log(LYB_LOG_ERR, "log file %.200s...: path too long", path);
		return -ENAMETOOLONG;
	}
	pthread_mutex_lock(&reopen_lock);
	memcpy(was, file_path, sizeof(was));
	snprintf(file_path, sizeof(file_path), "%s", path);
	atomic_store(&file_gen, (int)reopen_gen);
	rc = file_open_locked();
	if (rc) /* a file open before stays, with its path */
		memcpy(file_path, was, sizeof(was));
	pthread_mutex_unlock(&reopen_lock);
	return rc;
}

void lyb_log_request_reopen(void)
{
	reopen_gen = reopen_gen + 1;
}

void lyb_log_reopen_due(void)
{
	int gen = (int)reopen_gen, rc;

	if (atomic_load(&file_fd) < 0 || atomic_load(&file_gen) == gen)
		return;
	/* one thread reopens; the others write to the file open meanwhile */
	if (pthread_mutex_trylock(&reopen_lock) != 0)
		return;
	gen = (int)reopen_gen;
	if (atomic_load(&file_gen) == gen) {
		pthread_mutex_unlock(&reopen_lock);
		return;
	}
	atomic_store(&file_gen, gen); /* before logging: no recursion */
	rc = file_open_locked();
	pthread_mutex_unlock(&reopen_lock);
	if (rc)
		lyb_log(LYB_LOG_ERR,
			"log file %s: not reopened: still writing to the file "
			"open before",
			file_path);
	else
		lyb_log(LYB_LOG_INFO, "log file %s reopened", file_path);
}

uint64_t lyb_log_file_errors(void)
{
	return (uint64_t)atomic_load(&file_errors);
}

/* "PREFIX: LEVEL: MSG\n" (after "<N>" for the journal) to stderr. */
static void to_stderr(enum lyb_log_level level, const char *msg)
{
	char line[LINE_MAX_BYTES], pri[8] = "";
	size_t n;

	if (atomic_load(&to_journal) < 0)
		atomic_store(&to_journal, stderr_is_journal());
	if (atomic_load(&to_journal))
		snprintf(pri, sizeof(pri), "<%d>", (int)level);
	snprintf(line, sizeof(line), "%s%s: %s: %s", pri, log_prefix,
		 level_name(level), msg);
	n = strlen(line);
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2; /* cut, but still one line */
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

int lyb_log_file_line(char *out, size_t cap, const struct timespec *when,
		      long pid, const char *prefix, enum lyb_log_level level,
		      const char *msg)
{
	char stamp[21];
	size_t n;

	if (cap < 64)
		return -EINVAL;
	lyb_time_format((int64_t)when->tv_sec, stamp);
	/* "YYYY-MM-DDTHH:MM:SS" ".mmm" "Z" */
	snprintf(out, cap, "%.19s.%03ldZ %s[%ld]: %s: %s", stamp,
		 when->tv_nsec / 1000000 % 1000, prefix, pid, level_name(level),
		 msg);
	n = strlen(out);
	if (n >= cap - 1)
		n = cap - 2; /* cut, but still one line */
	out[n++] = '\n';
	out[n] = '\0';
	return (int)n;
}

/*
 * Appends the line for @msg to the log file: 0 when it took all of it,
 * else -errno (counted; the caller writes it elsewhere).
 */
static int to_file(int fd, enum lyb_log_level level, const char *msg)
{
	char buf[LINE_MAX_BYTES + 1], *line = buf + 1;
	struct timespec now;
	ssize_t put;
	size_t n;
	int torn = atomic_load(&file_torn), err;

	clock_gettime(CLOCK_REALTIME, &now);
	n = (size_t)lyb_log_file_line(line, LINE_MAX_BYTES, &now,
				      (long)getpid(), log_prefix, level, msg);
	if (torn) { /* a line cut short before: start on a new one */
		*--line = '\n';
		n++;
	}
	put = write(fd, line, n);
	err = put < 0 ? errno : 0;
	if (put > 0 && (size_t)put < n) { /* the rest, or why it fails */
		ssize_t more = write(fd, line + put, n - (size_t)put);

		if (more < 0)
			err = errno;
		else
			put += more;
	}
	if (put == (ssize_t)n) {
		if (torn)
			atomic_store(&file_torn, 0);
		return 0;
	}
	if (!err)
		err = EIO;
	if (put > 0 || torn)
		atomic_store(&file_torn, 1);
	atomic_fetch_add(&file_errors, 1);
	return -err;
}

/* Where a line goes when not to the file: syslog once told, else stderr. */
static void to_other(enum lyb_log_level level, const char *msg)
{
	if (atomic_load(&use_syslog))
		syslog((int)level, "%s", msg);
	else
		to_stderr(level, msg);
}

void lyb_log(enum lyb_log_level level, const char *fmt, ...)
{
	char msg[LINE_MAX_BYTES], why[PATH_MAX + 256];
	va_list ap;
	int saved = errno, fd, rc;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fd = atomic_load(&file_fd);
	if (fd < 0) {
		to_other(level, msg);
		errno = saved;
		return;
	}
	lyb_log_reopen_due();
	rc = to_file(fd, level, msg);
	if (rc == 0 && atomic_exchange(&file_failing, 0)) {
		snprintf(why, sizeof(why),
			 "log file %s: takes lines again (%llu went elsewhere "
			 "so far: lyb_log_write_errors_total)",
			 file_path, (unsigned long long)lyb_log_file_errors());
		to_other(LYB_LOG_INFO, why);
	}
	if (rc && !atomic_exchange(&file_failing, 1)) {
		snprintf(why, sizeof(why),
			 "log file %s: %s: its lines go here until it takes "
			 "them again",
			 file_path, strerror(-rc));
		to_other(LYB_LOG_ERR, why);
	}
	/* the file failed, or an error while stderr is still the terminal */
	if (rc || (level == LYB_LOG_ERR && !atomic_load(&use_syslog)))
		to_other(level, msg);
	errno = saved;
}
