// SPDX-License-Identifier: Apache-2.0
/*
 * test_log.c - lyb_log() (log.c): level names both ways, messages above
 * the level dropped, the exact line ("PREFIX: LEVEL: message\n"), a
 * message longer than the line buffer cut to one line, errno preserved,
 * and the "<N>" priority when stderr is the journal stream
 * $JOURNAL_STREAM names. Stderr goes to a temporary file meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
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

int main(void)
{
	test_journal(); /* before anything logs in this process */
	test_levels();
	test_lines();
	return check_failures ? 1 : 0;
}
