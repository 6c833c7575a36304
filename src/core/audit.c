// SPDX-License-Identifier: Apache-2.0
/*
 * audit.c - the audit log (audit.h): JSON lines built with jansson, each
 * appended with a single write(2) and cut back when it fails part way,
 * limited per uid by a token bucket whose drops are summarised in the log,
 * opened only when the file is ours alone, reopened on request for
 * rotation, and read back for `lyb audit`.
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
#include "lyb/clock.h"
#include "lyb/log.h"
#include "lyb/metrics.h"
#include "lyb/tokens.h"

#define UID_SLOTS 256	/* hash chains of the per-uid buckets */
#define FLUSH_AFTER 1.0 /* seconds before a drop summary is due */
#define SCAN_EVERY 0.25 /* seconds between looks for summaries due */
#define AUDIT_MODE 0600 /* lyb_log_open_file(): it names who read what */

/* One uid's token bucket and what it dropped since its last summary. */
struct bucket {
	uid_t uid;
	struct lyb_tokens tb; /* lines it may write now (tokens.h) */
	uint64_t dropped;     /* lines not written, not yet summarised */
	uint64_t allowed;     /* ... of which were allowed accesses */
	double dropped_at;    /* monotonic: the first of them */
	char since[32];	      /* wall time of the first of them */
	struct bucket *next;
};

struct lyb_audit {
	pthread_mutex_t lock; /* everything below but path; a leaf */
	int fd;
	unsigned gen;	   /* reopen_gen when last opened */
	int torn;	   /* the file may end inside a line */
	size_t npending;   /* buckets with drops not yet summarised */
	double scanned_at; /* when flush_due last looked */
	size_t nbuckets;
	struct bucket *slots[UID_SLOTS];
	struct bucket other; /* uids beyond LYB_AUDIT_UIDS_MAX share it */
	char *path;
};

static volatile sig_atomic_t reopen_gen; /* bumped by SIGHUP */

static double (*clock_fn)(void) = lyb_mono;

void lyb_audit_set_clock(double (*now)(void))
{
	clock_fn = now ? now : lyb_mono;
}

void lyb_audit_request_reopen(void)
{
	reopen_gen = reopen_gen + 1;
}

static void on_sighup(int sig)
{
	lyb_audit_request_reopen();
	lyb_log_request_reopen(); /* log=FILE rotates the same way */
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

int lyb_audit_open(const char *path, struct lyb_audit **out)
{
	struct lyb_audit *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	a->path = strdup(path);
	if (!a->path) {
		free(a);
		return -ENOMEM;
	}
	a->fd = lyb_log_open_file("audit log", path, AUDIT_MODE, &a->torn);
	rc = a->fd < 0 ? a->fd : 0;
	if (rc) {
		free(a->path);
		free(a);
		return rc;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->gen = (unsigned)reopen_gen;
	a->other.uid = (uid_t)-1;
	lyb_tokens_init(&a->other.tb, LYB_AUDIT_BURST, clock_fn());
	*out = a;
	return 0;
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

/*
 * @o as a line: a newline, the JSON text, a newline. *@len counts from
 * the JSON text (the leading newline is for after a torn line). NULL when
 * out of memory; the caller frees.
 */
static char *json_line(json_t *o, size_t *len)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
					   JSON_ENSURE_ASCII),
	     *line = NULL;

	if (!text)
		return NULL;
	*len = strlen(text);
	line = malloc(*len + 3);
	if (line) {
		line[0] = '\n';
		memcpy(line + 1, text, *len);
		line[1 + (*len)++] = '\n';
		line[1 + *len] = '\0';
	}
	free(text);
	return line;
}

/* The line for @ev (see json_line); caller frees. */
static char *event_line(const struct lyb_audit_event *ev, size_t *len)
{
	char when[32], comm[64];
	json_t *o = json_object();
	char *line = NULL;
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
	if (rc == 0)
		line = json_line(o, len);
	json_decref(o);
	return line;
}

/*
 * Appends @line (from json_line) with one write(2); under a->lock. A
 * write that fails part way is cut back to the size before it; when that
 * cannot be done either, the next line starts on a line of its own.
 */
static int append(struct lyb_audit *a, const char *line, size_t len)
{
	const char *p = a->torn ? line : line + 1;
	size_t n = a->torn ? len + 1 : len;
	struct stat st;
	off_t before = -1;
	ssize_t got;
	int rc;

	if (fstat(a->fd, &st) == 0)
		before = st.st_size;
	got = write(a->fd, p, n);
	if (got >= 0 && (size_t)got == n) {
		a->torn = 0;
		return 0;
	}
	rc = got < 0 ? -errno : -ENOSPC;
	if (before < 0 || fstat(a->fd, &st) != 0)
		a->torn = 1;
	else if (st.st_size > before && ftruncate(a->fd, before) != 0)
		a->torn = 1;
	return rc;
}

/* Takes one of @b's tokens if it can (1), else 0. */
static int bucket_take(struct bucket *b, double now)
{
	return lyb_tokens_take(&b->tb, LYB_AUDIT_RATE, LYB_AUDIT_BURST, now);
}

/* Whether @b is as if never used: full, nothing pending. */
static int bucket_idle(struct bucket *b, double now)
{
	return b->dropped == 0 &&
	       lyb_tokens_full(&b->tb, LYB_AUDIT_RATE, LYB_AUDIT_BURST, now);
}

/* Frees the idle buckets; under a->lock. */
static void prune(struct lyb_audit *a, double now)
{
	struct bucket **pp, *b;
	size_t i;

	for (i = 0; i < UID_SLOTS; i++) {
		for (pp = &a->slots[i]; (b = *pp);) {
			if (bucket_idle(b, now)) {
				*pp = b->next;
				free(b);
				a->nbuckets--;
			} else {
				pp = &b->next;
			}
		}
	}
}

/* The bucket of @uid, made full if new; under a->lock. */
static struct bucket *bucket_of(struct lyb_audit *a, uid_t uid, double now)
{
	struct bucket **head = &a->slots[uid % UID_SLOTS], *b;

	for (b = *head; b; b = b->next)
		if (b->uid == uid)
			return b;
	if (a->nbuckets >= LYB_AUDIT_UIDS_MAX)
		prune(a, now);
	if (a->nbuckets >= LYB_AUDIT_UIDS_MAX)
		return &a->other;
	b = calloc(1, sizeof(*b));
	if (!b)
		return &a->other;
	b->uid = uid;
	lyb_tokens_init(&b->tb, LYB_AUDIT_BURST, now);
	b->next = *head;
	*head = b;
	a->nbuckets++;
	return b;
}

/* Writes @b's drop summary and clears it; under a->lock. */
static int summarise(struct lyb_audit *a, struct bucket *b)
{
	char when[32], why[128];
	json_t *o = json_object();
	char *line = NULL;
	size_t len;
	int rc = 0;

	if (!o)
		return -ENOMEM;
	now_text(when);
	snprintf(why, sizeof(why),
		 "over %d lines a second (bursts of %d) for this uid: "
		 "counted, not written",
		 LYB_AUDIT_RATE, LYB_AUDIT_BURST);
	rc |= json_object_set_new(o, "time", json_string(when));
	rc |= json_object_set_new(
		o, "uid",
		json_integer(b == &a->other ? -1 : (json_int_t)b->uid));
	rc |= json_object_set_new(o, "op", json_string("dropped"));
	rc |= json_object_set_new(o, "count",
				  json_integer((json_int_t)b->dropped));
	rc |= json_object_set_new(o, "allowed",
				  json_integer((json_int_t)b->allowed));
	rc |= json_object_set_new(o, "since", json_string(b->since));
	rc |= json_object_set_new(o, "reason", json_string(why));
	if (rc == 0)
		line = json_line(o, &len);
	json_decref(o);
	if (!line)
		return -ENOMEM;
	rc = append(a, line, len);
	free(line);
	if (rc)
		return rc;
	b->dropped = b->allowed = 0;
	a->npending--;
	return 0;
}

/* Summarises the drops due (@all: every one); under a->lock. */
static void flush_due(struct lyb_audit *a, double now, int all)
{
	struct bucket *b;
	size_t i;

	if (a->npending == 0 || (!all && now - a->scanned_at < SCAN_EVERY))
		return;
	a->scanned_at = now;
	for (i = 0; i <= UID_SLOTS && a->npending; i++) {
		for (b = i < UID_SLOTS ? a->slots[i] : &a->other; b;
		     b = i < UID_SLOTS ? b->next : NULL) {
			if (!b->dropped ||
			    (!all && now - b->dropped_at < FLUSH_AFTER))
				continue;
			if (summarise(a, b) != 0)
				return; /* the counts stay for next time */
		}
	}
}

/* Reopens the path if a SIGHUP asked; under a->lock. */
static void maybe_reopen(struct lyb_audit *a)
{
	int fd, torn;

	if (a->gen == (unsigned)reopen_gen)
		return;
	a->gen = (unsigned)reopen_gen;
	fd = lyb_log_open_file("audit log", a->path, AUDIT_MODE, &torn);
	if (fd < 0) {
		lyb_log(LYB_LOG_ERR,
			"audit log %s: not reopened: still "
			"writing to the file open before",
			a->path);
		return;
	}
	close(a->fd);
	a->fd = fd;
	a->torn = torn;
	lyb_log(LYB_LOG_INFO, "audit log %s reopened", a->path);
}

int lyb_audit_write(struct lyb_audit *a, const struct lyb_audit_event *ev)
{
	double now = clock_fn();
	struct bucket *b;
	size_t len;
	char *line = event_line(ev, &len);
	int rc = 0;

	if (!line)
		return -ENOMEM;
	pthread_mutex_lock(&a->lock);
	maybe_reopen(a);
	b = bucket_of(a, ev->uid, now);
	if (!bucket_take(b, now)) {
		if (b->dropped++ == 0) {
			b->dropped_at = now;
			now_text(b->since);
			a->npending++;
		}
		b->allowed += ev->allowed != 0;
		lyb_metrics_audit(0, 1);
		goto out_flush;
	}
	if (b->dropped && now - b->dropped_at >= FLUSH_AFTER)
		summarise(a, b); /* at most one a second per uid */
	rc = append(a, line, len);
	lyb_metrics_audit(rc, 0);
out_flush:
	flush_due(a, now, 0);
	pthread_mutex_unlock(&a->lock);
	if (rc)
		lyb_log(LYB_LOG_ERR, "audit log %s: %s", a->path,
			strerror(-rc));
	free(line);
	return rc;
}

void lyb_audit_flush(struct lyb_audit *a)
{
	double now;

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	maybe_reopen(a);
	now = clock_fn();
	a->scanned_at = now - SCAN_EVERY; /* a timer: always look */
	flush_due(a, now, 0);
	pthread_mutex_unlock(&a->lock);
}

void lyb_audit_close(struct lyb_audit *a)
{
	struct bucket *b, *next;
	size_t i;

	if (!a)
		return;
	flush_due(a, clock_fn(), 1);
	for (i = 0; i < UID_SLOTS; i++)
		for (b = a->slots[i]; b; b = next) {
			next = b->next;
			free(b);
		}
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

/* --- reading it back --- */

static const char *get_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Calls @cb with the record @o if it is of @dataset; returns @cb's. */
static int deliver(json_t *o, const char *dataset, lyb_audit_cb cb, void *arg)
{
	struct lyb_audit_record r;

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
	r.count = json_integer_value(json_object_get(o, "count"));
	r.allowed = json_integer_value(json_object_get(o, "allowed"));
	r.since = get_str(o, "since");
	if (dataset && strcmp(r.op, "dropped") != 0 &&
	    strcmp(dataset, r.dataset) != 0)
		return 0;
	return cb(arg, &r);
}

/*
 * The record of @line, or NULL. A line that does not parse may be a torn
 * record with a whole one glued after it (a log written before torn lines
 * were cut back): a record starts with {"time": and JSON escapes every
 * quote inside a string, so that text starts a record wherever it is.
 */
static json_t *parse_line(const char *line, size_t n, size_t *bad)
{
	static const char start[] = "{\"time\":";
	const char *p = line, *end = line + n;
	json_t *o;

	for (;;) {
		o = json_loadb(p, (size_t)(end - p), 0, NULL);
		if (json_is_object(o))
			return o;
		json_decref(o);
		(*bad)++;
		p = memmem(p + 1, (size_t)(end - p - 1), start,
			   sizeof(start) - 1);
		if (!p)
			return NULL;
	}
}

int lyb_audit_read(const char *path, const char *dataset, lyb_audit_cb cb,
		   void *arg, size_t *bad)
{
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
		if (n == 1 && line[0] == '\n')
			continue; /* the line break after a torn line */
		o = parse_line(line, (size_t)n, bad);
		if (!o)
			continue;
		rc = deliver(o, dataset, cb, arg);
		json_decref(o);
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	free(line);
	fclose(f);
	return rc < 0 ? rc : 0;
}
