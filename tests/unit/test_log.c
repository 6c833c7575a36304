// SPDX-License-Identifier: Apache-2.0
/*
 * test_log.c - lyb_log() (log.c): level names both ways, messages above
 * the level dropped, the exact line ("PREFIX: LEVEL: message\n"), a
 * message longer than the line buffer cut to one line, errno preserved,
 * and the "<N>" priority when stderr is the journal stream
 * $JOURNAL_STREAM names. Stderr goes to a temporary file meanwhile.
 * The log file (log=FILE): the exact line with its UTC time, lines as
 * written, errors also on stderr, the refusals of lyb_log_open_file(), a
 * reopen after a rename, a reopen refused, and a file that stops taking
 * lines (RLIMIT_FSIZE, as a full disk would): counted, on stderr instead,
 * and the next line on a line of its own, after a reopen of the same file
 * too.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "lyb/clock.h"
#include "lyb/log.h"

static char path[64];
static int saved_stderr = -1;

/* Sends stderr to a fresh temporary file. */
static void capture(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_log.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	if (saved_stderr < 0)
		saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Restores stderr; returns what was written (caller frees). */
static char *captured(void)
{
	static char buf[8192];
	FILE *f;
	size_t n;

	dup2(saved_stderr, STDERR_FILENO);
	f = fopen(path, "rb");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	unlink(path);
	return strdup(buf);
}

static void test_levels(void)
{
	static const struct {
		const char *name;
		int rc;
		enum lyb_log_level level;
	} v[] = {
		{"err", 0, LYB_LOG_ERR},   {"error", 0, LYB_LOG_ERR},
		{"warn", 0, LYB_LOG_WARN}, {"warning", 0, LYB_LOG_WARN},
		{"info", 0, LYB_LOG_INFO}, {"debug", 0, LYB_LOG_DEBUG},
		{"", -EINVAL, 0},	   {"ERR", -EINVAL, 0},
		{"infos", -EINVAL, 0},	   {"3", -EINVAL, 0},
	};
	enum lyb_log_level level;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		level = (enum lyb_log_level)99;
		CHECK_RC(lyb_log_parse_level(v[i].name, &level), v[i].rc);
		if (v[i].rc == 0)
			CHECK_RC(level, v[i].level);
		else
			CHECK_RC(level, 99);
	}
	CHECK_RC(lyb_log_get_level(), LYB_LOG_INFO); /* the default */
}

static void test_lines(void)
{
	char long_msg[3000], *out;
	size_t n;

	unsetenv("JOURNAL_STREAM");
	capture();
	lyb_log(LYB_LOG_ERR, "open %s: %s", "x", "denied");
	lyb_log(LYB_LOG_WARN, "w");
	lyb_log(LYB_LOG_INFO, "i");
	lyb_log(LYB_LOG_DEBUG, "dropped at the default level");
	lyb_log_set_level(LYB_LOG_WARN);
	lyb_log(LYB_LOG_INFO, "dropped");
	lyb_log_set_level(LYB_LOG_DEBUG);
	lyb_log(LYB_LOG_DEBUG, "d");
	lyb_log_set_prefix("lybfs");
	errno = EPIPE;
	lyb_log(LYB_LOG_ERR, "e");
	CHECK_RC(errno, EPIPE);
	out = captured();
	CHECK_STR(out, "lyb: error: open x: denied\n"
		       "lyb: warning: w\n"
		       "lyb: info: i\n"
		       "lyb: debug: d\n"
		       "lybfs: error: e\n");
	free(out);

	/* too long for one line buffer: cut, still one line */
	memset(long_msg, 'm', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	capture();
	lyb_log(LYB_LOG_ERR, "%s", long_msg);
	out = captured();
	n = strlen(out);
	CHECK_RC(n, 2047);
	CHECK(strncmp(out, "lybfs: error: mmm", 17) == 0);
	CHECK(out[n - 1] == '\n' && strchr(out, '\n') == out + n - 1);
	free(out);
}

static void test_journal(void)
{
	char js[64], *out;
	struct stat st;

	capture();
	CHECK_RC(fstat(STDERR_FILENO, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	/* looked at once, at the first line logged: in a child, so that
	 * the lines below are plain */
	fflush(NULL);
	if (fork() == 0) {
		lyb_log(LYB_LOG_WARN, "to the journal");
		_exit(0);
	}
	wait(NULL);
	out = captured();
	unsetenv("JOURNAL_STREAM");
	CHECK_STR(out, "<4>lyb: warning: to the journal\n");
	free(out);
}

/* The file's line, exactly: time to the millisecond, prefix, pid, level. */
static void test_file_line(void)
{
	struct timespec t = {0, 0};
	char out[128], big[256];
	int n;

	n = lyb_log_file_line(out, sizeof(out), &t, 42, "lybfs", LYB_LOG_ERR,
			      "catalog unreachable");
	CHECK_STR(out, "1970-01-01T00:00:00.000Z lybfs[42]: error: catalog "
		       "unreachable\n");
	CHECK_RC(n, strlen(out));
	t.tv_sec = 1606780800 + 3600 + 62; /* 2020-12-01T01:01:02Z */
	t.tv_nsec = 999999999;		   /* cut, not rounded */
	lyb_log_file_line(out, sizeof(out), &t, 7, "lyb", LYB_LOG_WARN, "w");
	CHECK_STR(out, "2020-12-01T01:01:02.999Z lyb[7]: warning: w\n");
	t.tv_nsec = 5000000;
	lyb_log_file_line(out, sizeof(out), &t, 7, "lyb", LYB_LOG_DEBUG, "");
	CHECK_STR(out, "2020-12-01T01:01:02.005Z lyb[7]: debug: \n");
	/* too long: one line of cap - 1 bytes, the newline last */
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = lyb_log_file_line(out, 64, &t, 7, "lyb", LYB_LOG_INFO, big);
	CHECK_RC(n, 63);
	CHECK(strlen(out) == 63 && out[62] == '\n' &&
	      strchr(out, '\n') == out + 62);
	CHECK_RC(lyb_log_file_line(out, 63, &t, 7, "lyb", LYB_LOG_INFO, "x"),
		 -EINVAL);
}

/*
 * Sends stderr to a pipe (a file would be under RLIMIT_FSIZE too); what
 * is written must fit in the pipe. captured_pipe() restores stderr and
 * returns it (caller frees).
 */
static int pipe_rd = -1;
static void capture_pipe(void)
{
	int p[2];

	if (pipe(p) != 0)
		abort();
	if (saved_stderr < 0)
		saved_stderr = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	pipe_rd = p[0];
}

static char *captured_pipe(void)
{
	static char buf[8192];
	ssize_t n;

	dup2(saved_stderr, STDERR_FILENO);
	n = read(pipe_rd, buf, sizeof(buf) - 1);
	close(pipe_rd);
	buf[n > 0 ? n : 0] = '\0';
	return strdup(buf);
}

/* The whole file at @p (static buffer; "" when missing). */
static const char *slurp(const char *p)
{
	static char buf[16384];
	FILE *f = fopen(p, "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Each line of @text is "TIME PREFIX[PID]: ..." with TIME within 60 s. */
static int lines_stamped(const char *text)
{
	char prefix[64], stamp[21];
	const char *l = text;
	int64_t t;
	int n = 0;

	snprintf(prefix, sizeof(prefix), " lyb[%ld]: ", (long)getpid());
	for (; *l; l = strchr(l, '\n') + 1, n++) {
		if (strlen(l) < 25 || l[19] != '.' || l[23] != 'Z' ||
		    strncmp(l + 24, prefix, strlen(prefix)) != 0)
			return -1;
		memcpy(stamp, l, 19);
		memcpy(stamp + 19, "Z", 2);
		if (lyb_time_parse(stamp, &t) != 0 || t < time(NULL) - 60 ||
		    t > time(NULL) + 60 || !strchr(l, '\n'))
			return -1;
	}
	return n;
}

static void test_file(void)
{
	char d[] = "/tmp/test_log_file.XXXXXX", p[128], q[128], *err;
	const char *text;
	struct rlimit was, rl;
	struct stat st;
	uint64_t errors;
	int torn;

	CHECK(mkdtemp(d) != NULL);
	snprintf(p, sizeof(p), "%s/lybfs.log", d);
	snprintf(q, sizeof(q), "%s/other", d);
	lyb_log_set_prefix("lyb");
	lyb_log_set_level(LYB_LOG_INFO);

	/* what lyb_log_open_file() refuses, leaving it as it was */
	CHECK_RC(symlink(q, p), 0);
	capture();
	CHECK_RC(lyb_log_to_file(p), -ELOOP);
	err = captured();
	CHECK(strstr(err, "lyb: error: log file ") &&
	      strstr(err, ": is a symbolic link: refusing to follow it"));
	free(err);
	CHECK(access(q, F_OK) != 0); /* no target created */
	unlink(p);
	CHECK_RC(mkfifo(p, 0600), 0);
	CHECK_RC(lyb_log_open_file("log file", p, 0640, &torn), -EPERM);
	unlink(p);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	chmod(p, 0620);
	CHECK_RC(lyb_log_open_file("log file", p, 0640, &torn), -EPERM);
	chmod(p, 0600);
	CHECK_RC(link(p, q), 0);
	CHECK_RC(lyb_log_open_file("log file", p, 0640, &torn), -EPERM);
	unlink(q);
	unlink(p);

	/* lines as written, stamped; errors on stderr as well */
	capture();
	CHECK_RC(lyb_log_to_file(p), 0);
	CHECK_RC(stat(p, &st), 0);
	CHECK_RC(st.st_mode & 07777, 0640);
	lyb_log(LYB_LOG_INFO, "one %d", 1);
	lyb_log(LYB_LOG_DEBUG, "dropped");
	lyb_log(LYB_LOG_ERR, "two");
	err = captured();
	CHECK_STR(err, "lyb: error: two\n");
	free(err);
	text = slurp(p);
	CHECK_RC(lines_stamped(text), 2);
	CHECK(strstr(text, "]: info: one 1\n") &&
	      strstr(text, "]: error: two\n"));

	/* rotation: renamed, asked to reopen; the next line is in a new file */
	CHECK_RC(rename(p, q), 0);
	lyb_log_request_reopen();
	lyb_log(LYB_LOG_INFO, "three");
	text = slurp(p);
	CHECK_RC(lines_stamped(text), 2);
	CHECK(strstr(text, "]: info: log file ") &&
	      strstr(text, " reopened\n") && strstr(text, "]: info: three\n"));
	CHECK(strstr(slurp(q), "three") == NULL);
	/* a reopen refused: the file open before stays in use */
	CHECK_RC(rename(p, q), 0);
	CHECK_RC(symlink("/nonexistent", p), 0);
	capture();
	lyb_log_request_reopen();
	lyb_log_reopen_due();
	lyb_log(LYB_LOG_INFO, "four");
	err = captured();
	CHECK(strstr(err, "is a symbolic link") && strstr(err, "not reopened"));
	free(err);
	CHECK(strstr(slurp(q), "]: info: four\n") != NULL);
	unlink(p);
	lyb_log_request_reopen();
	lyb_log_reopen_due();
	CHECK_RC(lines_stamped(slurp(p)), 1); /* "reopened" */

	/* the file stops taking lines: on stderr instead, and counted */
	errors = lyb_log_file_errors();
	signal(SIGXFSZ, SIG_IGN);
	CHECK_RC(getrlimit(RLIMIT_FSIZE, &was), 0);
	CHECK_RC(stat(p, &st), 0);
	rl = was;
	rl.rlim_cur = (rlim_t)st.st_size + 10; /* 10 bytes of the next line */
	CHECK_RC(setrlimit(RLIMIT_FSIZE, &rl), 0);
	capture_pipe();
	lyb_log(LYB_LOG_INFO, "five");
	lyb_log(LYB_LOG_INFO, "six");
	rl.rlim_cur = was.rlim_cur;
	CHECK_RC(setrlimit(RLIMIT_FSIZE, &rl), 0);
	lyb_log_request_reopen(); /* the same file: it still ends mid-line */
	lyb_log(LYB_LOG_INFO, "seven");
	err = captured_pipe();
	CHECK_RC(lyb_log_file_errors(), errors + 2);
	CHECK(strstr(err, ": File too large: its lines go here until it takes "
			  "them again\n") != NULL);
	CHECK(strstr(err, "lyb: info: five\nlyb: info: six\n") != NULL);
	CHECK(strstr(err, "takes lines again") != NULL);
	CHECK(strstr(err, "seven") == NULL);
	free(err);
	/* the torn line stays torn; the next one starts on its own line */
	text = slurp(p);
	CHECK(strstr(text, "reopened\n") != NULL);
	text = strstr(text, "reopened\n") + 9;
	CHECK_RC(strlen(text) > 10 && text[10] == '\n', 1);
	CHECK_RC(lines_stamped(text + 11), 2); /* reopened, seven */
	CHECK(strstr(text, "]: info: seven\n") != NULL);
	signal(SIGXFSZ, SIG_DFL);

	unlink(p);
	unlink(q);
	rmdir(d);
}

int main(void)
{
	test_journal(); /* before anything logs in this process */
	test_levels();
	test_lines();
	test_file_line();
	test_file(); /* last: the log file stays */
	return check_failures ? 1 : 0;
}
