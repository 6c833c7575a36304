// SPDX-License-Identifier: Apache-2.0
/*
 * audit.c - the audit log (audit.h): JSON lines built with jansson, each
 * appended with a single write(2), reopened on request for rotation, and
 * read back for `lyb audit`.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lyb/audit.h"
#include "lyb/log.h"

struct lyb_audit {
	pthread_mutex_t lock; /* fd, generation; a leaf */
	int fd;		      /* under lock */
	unsigned gen;	      /* under lock: reopen_gen when last opened */
	char *path;
};

static volatile sig_atomic_t reopen_gen; /* bumped by SIGHUP */

void lyb_audit_request_reopen(void)
{
	reopen_gen = reopen_gen + 1;
}

static void on_sighup(int sig)
{
	lyb_audit_request_reopen();
}

int lyb_audit_catch_sighup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	return sigaction(SIGHUP, &sa, NULL) ? -errno : 0;
}

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		int rc = -errno;

		lyb_log(LYB_LOG_ERR, "audit log %s: %s", path, strerror(-rc));
		return rc;
	}
	/* an existing file is made private too: it names who read what */
	if (fchmod(fd, 0600) != 0)
		lyb_log(LYB_LOG_WARN, "audit log %s: chmod 0600: %s", path,
			strerror(errno));
	return fd;
}

int lyb_audit_open(const char *path, struct lyb_audit **out)
{
	struct lyb_audit *a = calloc(1, sizeof(*a));
	int fd;

	if (!a)
		return -ENOMEM;
	a->path = strdup(path);
	if (!a->path) {
		free(a);
		return -ENOMEM;
	}
	fd = open_log(path);
	if (fd < 0) {
		free(a->path);
		free(a);
		return fd;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->fd = fd;
	a->gen = (unsigned)reopen_gen;
	*out = a;
	return 0;
}

void lyb_audit_close(struct lyb_audit *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

static void read_comm(pid_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	out[n] = '\0';
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
}

/* comm is the process's to set: keep printable ASCII only */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static void now_text(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char base[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

static int set_opt_str(json_t *o, const char *key, const char *s)
{
	return json_object_set_new(o, key, s ? json_string(s) : json_null());
}

/* The line for @ev, with its newline; caller frees. */
static char *event_line(const struct lyb_audit_event *ev, size_t *len)
{
	char when[32], comm[64];
	json_t *o = json_object();
	char *text, *line = NULL;
	int rc = 0;

	if (!o)
		return NULL;
	now_text(when);
	if (!ev->comm)
		read_comm(ev->pid, comm, sizeof(comm));
	rc |= json_object_set_new(o, "time", json_string(when));
	rc |= json_object_set_new(o, "uid", json_integer(ev->uid));
	rc |= set_opt_str(o, "principal", ev->principal);
	rc |= json_object_set_new(o, "pid", json_integer(ev->pid));
	if (ev->comm)
		snprintf(comm, sizeof(comm), "%s", ev->comm);
	sanitize(comm);
	rc |= json_object_set_new(o, "comm", json_string(comm));
	rc |= set_opt_str(o, "op", ev->op);
	rc |= set_opt_str(o, "dataset", ev->dataset);
	rc |= set_opt_str(o, "date", ev->date);
	rc |= set_opt_str(o, "version", ev->version);
	rc |= set_opt_str(o, "location", ev->location);
	rc |= set_opt_str(o, "path", ev->path);
	rc |= json_object_set_new(o, "decision",
				  json_string(ev->allowed ? "allow" : "deny"));
	rc |= set_opt_str(o, "reason", ev->reason);
	text = rc ? NULL
		  : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
					  JSON_ENSURE_ASCII);
	json_decref(o);
	if (!text)
		return NULL;
	*len = strlen(text);
	line = malloc(*len + 2);
	if (line) {
		memcpy(line, text, *len);
		line[(*len)++] = '\n';
		line[*len] = '\0';
	}
	free(text);
	return line;
}

int lyb_audit_write(struct lyb_audit *a, const struct lyb_audit_event *ev)
{
	size_t len;
	char *line = event_line(ev, &len);
	ssize_t n;
	int rc = 0, fd;

	if (!line)
		return -ENOMEM;
	pthread_mutex_lock(&a->lock);
	if (a->gen != (unsigned)reopen_gen) {
		a->gen = (unsigned)reopen_gen;
		fd = open_log(a->path);
		if (fd >= 0) {
			close(a->fd);
			a->fd = fd;
			lyb_log(LYB_LOG_INFO, "audit log %s reopened", a->path);
		}
	}
	n = write(a->fd, line, len);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len)
		rc = -ENOSPC;
	pthread_mutex_unlock(&a->lock);
	if (rc)
		lyb_log(LYB_LOG_ERR, "audit log %s: %s", a->path,
			strerror(-rc));
	free(line);
	return rc;
}

/* --- reading it back --- */

static const char *get_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int lyb_audit_read(const char *path, const char *dataset, lyb_audit_cb cb,
		   void *arg, size_t *bad)
{
	struct lyb_audit_record r;
	size_t cap = 0;
	char *line = NULL;
	ssize_t n;
	FILE *f;
	int rc = 0;

	*bad = 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		json_t *o;

		if ((size_t)n > LYB_AUDIT_LINE_MAX) {
			(*bad)++;
			continue;
		}
		o = json_loadb(line, (size_t)n, 0, NULL);
		if (!json_is_object(o)) {
			json_decref(o);
			(*bad)++;
			continue;
		}
		memset(&r, 0, sizeof(r));
		snprintf(r.time, sizeof(r.time), "%s", get_str(o, "time"));
		r.uid = json_integer_value(json_object_get(o, "uid"));
		r.pid = json_integer_value(json_object_get(o, "pid"));
		r.principal = get_str(o, "principal");
		r.comm = get_str(o, "comm");
		r.op = get_str(o, "op");
		r.dataset = get_str(o, "dataset");
		r.date = get_str(o, "date");
		r.version = get_str(o, "version");
		r.location = get_str(o, "location");
		r.path = get_str(o, "path");
		r.decision = get_str(o, "decision");
		r.reason = get_str(o, "reason");
		if (!dataset || strcmp(dataset, r.dataset) == 0)
			rc = cb(arg, &r);
		json_decref(o);
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	free(line);
	fclose(f);
	return rc < 0 ? rc : 0;
}
