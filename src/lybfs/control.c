// SPDX-License-Identifier: Apache-2.0
/*
 * control.c - the mount's control socket: `lyb access request|grant|
 * revoke` of ordinary users go through here when the catalog is writable
 * only by the daemon's account.
 *
 * A Unix stream socket (-o control=PATH, by default RUN/KEY.sock of the
 * mount's runtime directory, mounts.h; mode 0666). The caller is who
 * the kernel says is at the other end (SO_PEERCRED: uid, gid, pid;
 * SO_PEERGROUPS: supplementary groups), never what the request says. One
 * request per connection, one line each way:
 *
 *   -> VERB \t DATASET \t ARG \n      VERB: request, grant or revoke;
 *                                     ARG: the reason, or the principal
 *   <- ok \t USER-PRINCIPAL \n   or   error \t MESSAGE \n
 *
 * The change is applied with lyb_acl_change() (a CAS update of the
 * catalog document) under the caller's identity and audited; the mount
 * sees it at its next refresh.
 *
 * Every local account can connect, so the socket is hostile input. One
 * thread serves every client from a poll() loop over non-blocking
 * sockets, so no client can hold it by sending slowly:
 *
 *  - at most CONTROL_MAX_CLIENTS connections at once, and at most
 *    CONTROL_MAX_PER_UID of them from one uid; a connection past either is
 *    answered `error` and closed at once;
 *  - a whole-request deadline: the line must be complete within
 *    CONTROL_DEADLINE_S of the accept, whatever arrives meanwhile, else
 *    `error` and the connection is closed;
 *  - the line is at most LINE_MAX_LEN - 1 bytes, valid UTF-8 with no NUL
 *    and no control character but its two tab separators
 *    (lyb_text_check); anything else is answered `error` with the byte at
 *    fault, and audited (op "control", decision deny).
 *
 * Changes are applied one at a time in that thread, and each reads,
 * parses and writes the DataSet's whole document (seconds for tens of
 * MB), so processing time is what one account could take from others:
 *
 *  - what the mount's snapshot can refuse (no such DataSet, not an owner
 *    or admin, a reader already, a request pending already ...) is
 *    refused from it, with lyb_acl_change()'s own checks and texts
 *    (lyb_acl_check), reading nothing; the rest is checked again on the
 *    fresh document, so the snapshot only ever refuses early;
 *  - a change that reaches the catalog spends a token of its uid's
 *    budget (CHANGE_RATE a second, bursts of CHANGE_BURST), else it is
 *    answered `busy: too many changes from uid N, retry in S s`;
 *  - complete lines wait their turn, round-robin over the uids with a
 *    line waiting (serve_next), so a change waits for at most one change
 *    of each other uid, not for everything that arrived before it.
 *
 * A slow catalog store delays the others by its own I/O timeouts, a slow
 * client by nothing.
 *
 * Ownership of PATH: a lock file PATH.lock (mode 0600, owned by the
 * daemon's account, flock'd for the daemon's lifetime) says a live lybfs
 * serves PATH; a second lybfs given the same path refuses to start, and
 * so it does when anything answers a connect() to an existing socket
 * there. A daemon unlinks PATH at exit only when it is still the socket it
 * bound (same device and inode).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lyb/clock.h"
#include "lyb/log.h"
#include "lyb/text.h"
#include "lyb/tokens.h"
#include "lybfs.h"

#define LINE_MAX_LEN 8192      /* a request line, its newline included */
#define CONTROL_MAX_CLIENTS 64 /* connections served at once */
#define CONTROL_MAX_PER_UID 8  /* ... of them from one uid */
#define CONTROL_DEADLINE_S 5   /* from accept to a complete request */
#define ACCEPT_BURST 16	       /* accepts per turn of the loop */
/* changes that reach the catalog, per uid: a token bucket (tokens.h) */
#define CHANGE_RATE 0.5	 /* a second, sustained: one per 2 s */
#define CHANGE_BURST 10	 /* at once */
#define CHANGE_UIDS 1024 /* uids with a budget of their own */

struct client {
	int fd; /* -1: a free slot */
	struct ucred cred;
	double deadline; /* CLOCK_MONOTONIC seconds */
	uint64_t ready;	 /* 0: reading; else its line's turn, in arrival */
	size_t len;
	char buf[LINE_MAX_LEN + 1];
};

/* One uid's budget of changes that reach the catalog. */
struct budget {
	uid_t uid;
	int used; /* 0: a free slot */
	struct lyb_tokens tb;
};

/* All of it belongs to the serving thread once started. */
static struct {
	int listen_fd;
	int lock_fd;
	int stop_pipe[2];
	dev_t dev; /* the socket file we bound */
	ino_t ino;
	char *path;
	pthread_t server;
	int started;
	struct client *clients; /* CONTROL_MAX_CLIENTS of them */
	uint64_t arrivals;	/* complete lines so far */
	uid_t last_uid;		/* whose line was served last */
	struct budget budgets[CHANGE_UIDS];
	struct budget other; /* uids past CHANGE_UIDS share it */
} ctl = {.listen_fd = -1, .lock_fd = -1, .stop_pipe = {-1, -1}};

/*
 * Takes PATH.lock: 0, or -EADDRINUSE when a live lybfs holds it, or
 * another -errno; the error is logged.
 */
static int take_lock(const char *path)
{
	char lock[PATH_MAX], pid[32] = "";
	struct stat st;
	ssize_t n;
	int fd;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    sizeof(lock))
		return -ENAMETOOLONG;
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int rc = -errno;

		lyb_log(LYB_LOG_ERR, "control=%s: lock file %s: %s", path, lock,
			strerror(-rc));
		return rc;
	}
	/* one another account made could be held by it forever */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		lyb_log(LYB_LOG_ERR,
			"control=%s: lock file %s is not a file of this "
			"account (uid %u): remove it, and keep the socket in "
			"a directory only the daemon's account can write",
			path, lock, (unsigned)geteuid());
		close(fd);
		return -EPERM;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int rc = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;

		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		lyb_log(LYB_LOG_ERR,
			"control=%s: in use by another lybfs%s%s%s; not "
			"starting (give each mount its own control=)",
			path, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
		close(fd);
		return rc;
	}
	ctl.lock_fd = fd;
	return 0;
}

static void write_pid(void)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (ctl.lock_fd >= 0 && ftruncate(ctl.lock_fd, 0) == 0)
		(void)!pwrite(ctl.lock_fd, pid, (size_t)n, 0);
}

/*
 * With the lock held, what is at @path: nothing (0), a socket nobody
 * serves (removed, 0), or something live or not a socket (-errno).
 */
static int clear_path(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		lyb_log(LYB_LOG_ERR, "control=%s: exists and is not a socket",
			path);
		return -EEXIST;
	}
	/* non-blocking: a full backlog must not hang us (EAGAIN: live) */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0
		     ? 0
		     : -errno;
	close(fd);
	if (rc == -ECONNREFUSED) { /* left by a daemon that died */
		if (unlink(path) != 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	lyb_log(LYB_LOG_ERR,
		"control=%s: another process serves this socket (%s); not "
		"starting",
		path, rc ? strerror(-rc) : "it accepted a connection");
	return -EADDRINUSE;
}

static void release_lock(void)
{
	if (ctl.lock_fd >= 0)
		close(ctl.lock_fd); /* the lock goes with the last fd */
	ctl.lock_fd = -1;
}

/* Unlinks the socket only if it is still the one we bound. */
static void unlink_ours(void)
{
	struct stat st;

	if (!ctl.path)
		return;
	if (lstat(ctl.path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == ctl.dev && st.st_ino == ctl.ino)
		unlink(ctl.path);
	else
		lyb_log(LYB_LOG_WARN,
			"control socket %s was removed or replaced: left alone",
			ctl.path);
}

int lybfs_control_open(struct lybfs *fs)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = fs->cfg.control;
	struct stat st;
	size_t i;
	int fd, rc;

	if (!path || strcmp(path, LYB_CONFIG_NONE) == 0)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		lyb_log(LYB_LOG_ERR, "control=%s: path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = take_lock(path);
	if (rc)
		return rc;
	rc = clear_path(path, &sa);
	if (rc)
		goto out_lock;
	ctl.path = strdup(path);
	ctl.clients = calloc(CONTROL_MAX_CLIENTS, sizeof(*ctl.clients));
	if (!ctl.path || !ctl.clients) {
		rc = -ENOMEM;
		goto out_mem;
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		ctl.clients[i].fd = -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		goto out_mem;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		lyb_log(LYB_LOG_ERR, "control socket %s: %s", path,
			strerror(-rc));
		goto out_close;
	}
	if (lstat(path, &st) != 0 || chmod(path, 0666) != 0 ||
	    listen(fd, CONTROL_MAX_CLIENTS) != 0 ||
	    pipe2(ctl.stop_pipe, O_CLOEXEC) != 0) {
		rc = -errno;
		lyb_log(LYB_LOG_ERR, "control socket %s: %s", path,
			strerror(-rc));
		unlink(path); /* just bound, under our lock */
		goto out_close;
	}
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	ctl.listen_fd = fd;
	write_pid();
	lyb_log(LYB_LOG_DEBUG, "control socket %s", path);
	return 0;
out_close:
	close(fd);
out_mem:
	free(ctl.clients);
	free(ctl.path);
	ctl.clients = NULL;
	ctl.path = NULL;
out_lock:
	release_lock();
	return rc;
}

/* One reply line, never blocking: a client that does not read loses it. */
static void reply(int fd, const char *status, const char *text)
{
	char line[LINE_MAX_LEN];
	int n, i;

	n = snprintf(line, sizeof(line), "%s\t%s\n", status, text);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	/* the protocol is one line: nothing in @text may break it */
	for (i = (int)strlen(status) + 1; i < n - 1; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	(void)!send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->ready = 0;
}

/* Audits a request refused before it reached the workflow. */
static void audit_refused(struct lybfs *fs, const struct client *c,
			  const char *why)
{
	struct lyb_audit_event ev = {0};
	struct lyb_ident *id = NULL;

	ev.uid = c->cred.uid;
	ev.pid = c->cred.pid;
	if (lyb_acl_ident(fs->acl, c->cred.uid, c->cred.gid, NULL, 0, &id) == 0)
		ev.principal = id->user[0] ? id->user : id->display;
	ev.op = "control";
	ev.allowed = 0;
	ev.reason = why;
	lyb_audit_write(fs->audit, &ev);
	lyb_ident_unref(id);
}

/* Refuses @c's request with @why: an error reply, audited, closed. */
static void refuse(struct lybfs *fs, struct client *c, const char *why)
{
	reply(c->fd, "error", why);
	audit_refused(fs, c, why);
	client_close(c);
}

/*
 * The budget of @uid, made full if new. Past CHANGE_UIDS uids in use, a
 * full (idle) one is reused; if none is, the newcomers share one.
 */
static struct budget *budget_of(uid_t uid, double now)
{
	struct budget *free_slot = NULL, *idle = NULL, *b;
	size_t i;

	for (i = 0; i < CHANGE_UIDS; i++) {
		b = &ctl.budgets[i];
		if (b->used && b->uid == uid)
			return b;
		if (!b->used && !free_slot)
			free_slot = b;
		if (b->used && !idle &&
		    lyb_tokens_full(&b->tb, CHANGE_RATE, CHANGE_BURST, now))
			idle = b;
	}
	b = free_slot ? free_slot : idle;
	if (!b) {
		if (!ctl.other.used) {
			ctl.other.used = 1;
			lyb_tokens_init(&ctl.other.tb, CHANGE_BURST, now);
		}
		return &ctl.other;
	}
	b->used = 1;
	b->uid = uid;
	lyb_tokens_init(&b->tb, CHANGE_BURST, now);
	return b;
}

/*
 * Whether @id's change can be answered from the mount's snapshot, without
 * reading the catalog document (which may be megabytes to parse): 1 with
 * *@rc and @err set, else 0. It only ever refuses, with the checks and
 * texts of lyb_acl_change() (lyb_acl_check); what it lets through is
 * checked again against the fresh document.
 */
static int snap_decides(struct lybfs *fs, const struct lyb_ident *id,
			const char *verb, const char *name, const char *arg,
			int *rc, char *err, size_t errlen)
{
	struct lyb_snap *snap;
	struct lyb_dataset *ds = NULL;
	int decided = 0;

	/* a bad verb, principal or name: as lyb_acl_change refuses them */
	*rc = lyb_acl_check(fs->acl, NULL, id, verb, arg, err, errlen);
	if (*rc)
		return 1;
	if (!lyb_name_valid(name)) {
		snprintf(err, errlen, "invalid DataSet name");
		*rc = -EINVAL;
		return 1;
	}
	snap = lyb_catalog_snap(fs->cat);
	if (!snap)
		return 0;
	ds = lyb_snap_find(snap, name);
	if (ds) {
		*rc = lyb_acl_check(fs->acl, ds, id, verb, arg, err, errlen);
		decided = *rc != 0;
	} else if (!lyb_snap_find_bad(snap, name)) {
		/* its document may be new: then it is seen at the refresh */
		snprintf(err, errlen, "no such DataSet: %s", name);
		*rc = -ENOENT;
		decided = 1;
	}
	lyb_snap_unref(snap);
	return decided;
}

/* Serves the complete, checked request line of @c. */
static void serve_line(struct lybfs *fs, struct client *c, char *line)
{
	struct lyb_audit_event ev = {0};
	gid_t groups[LYB_ACL_MAX_GROUPS];
	socklen_t len = sizeof(groups);
	char err[1024] = "";
	char *verb, *name, *arg, *tab;
	struct lyb_ident *id = NULL;
	struct budget *bud;
	size_t ngroups = 0;
	double now;
	int rc, known;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		ngroups = len / sizeof(gid_t);
	verb = line;
	name = strchr(verb, '\t');
	if (!name) {
		refuse(fs, c, "expected VERB\\tDATASET\\tARG\\n");
		return;
	}
	*name++ = '\0';
	arg = NULL;
	tab = strchr(name, '\t');
	if (tab) {
		*tab = '\0';
		arg = tab[1] ? tab + 1 : NULL;
		if (arg && strchr(arg, '\t')) {
			refuse(fs, c,
			       "expected VERB\\tDATASET\\tARG\\n (a tab in "
			       "ARG)");
			return;
		}
	}
	rc = lyb_acl_ident(fs->acl, c->cred.uid, c->cred.gid, groups, ngroups,
			   &id);
	if (rc) {
		reply(c->fd, "error", strerror(-rc));
		client_close(c);
		return;
	}
	if (!snap_decides(fs, id, verb, name, arg, &rc, err, sizeof(err))) {
		now = lyb_mono();
		bud = budget_of(c->cred.uid, now);
		if (lyb_tokens_take(&bud->tb, CHANGE_RATE, CHANGE_BURST, now)) {
			rc = lyb_acl_change(fs->cat, fs->acl, id, verb, name,
					    arg, err, sizeof(err));
		} else {
			snprintf(err, sizeof(err),
				 "busy: too many changes from uid %u, retry "
				 "in %.0f s",
				 (unsigned)c->cred.uid,
				 lyb_tokens_wait(&bud->tb, CHANGE_RATE, now) +
					 0.5);
			rc = -EBUSY;
		}
	}
	if (rc && !err[0])
		snprintf(err, sizeof(err), "%s", strerror(-rc));
	ev.uid = c->cred.uid;
	ev.pid = c->cred.pid;
	ev.principal = id->user[0] ? id->user : id->display;
	/*
	 * The verb and name are the client's: only a real verb becomes the
	 * op and only a valid name the dataset, so no line can pass for an
	 * "open" of a file (the refusal's reason still quotes them).
	 */
	known = strcmp(verb, "request") == 0 || strcmp(verb, "grant") == 0 ||
		strcmp(verb, "revoke") == 0;
	ev.op = known ? verb : "control";
	ev.dataset = known && lyb_name_valid(name) ? name : NULL;
	ev.path = known && arg && strcmp(verb, "request") != 0 ? arg : "";
	ev.allowed = rc == 0;
	ev.reason = rc ? err : arg && strcmp(verb, "request") == 0 ? arg : "";
	lyb_audit_write(fs->audit, &ev);
	if (rc)
		reply(c->fd, "error", err);
	else
		reply(c->fd, "ok", id->user);
	lyb_ident_unref(id);
	client_close(c);
}

/*
 * Reads what @c sent; refuses it, or marks it ready (its turn comes in
 * serve_next) once the line is complete and checked.
 */
static void client_read(struct lybfs *fs, struct client *c)
{
	char why[160], what[128];
	char *nl;
	ssize_t n;

	n = read(c->fd, c->buf + c->len, LINE_MAX_LEN - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		client_close(c);
		return;
	}
	if (n == 0) {
		if (c->len)
			refuse(fs, c, "incomplete request: no newline");
		else
			client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	nl = memchr(c->buf, '\n', c->len);
	if (!nl) {
		if (c->len < LINE_MAX_LEN)
			return; /* more to come, before the deadline */
		snprintf(why, sizeof(why),
			 "request longer than %d bytes: refused",
			 LINE_MAX_LEN - 1);
		refuse(fs, c, why);
		return;
	}
	*nl = '\0';
	/* the line as a class: NUL, controls, bad UTF-8; tabs separate */
	if (lyb_text_check(c->buf, (size_t)(nl - c->buf), LYB_TEXT_TAB, what,
			   sizeof(what))) {
		snprintf(why, sizeof(why), "bad request line: %s", what);
		refuse(fs, c, why);
		return;
	}
	c->ready = ++ctl.arrivals;
}

/*
 * Serves one ready line, round-robin over uids: the first uid after the
 * one served last (in uid order, wrapping) that has a line ready, and of
 * its lines the oldest. Between two lines of one uid every other uid with
 * a line ready has one served, however many lines each has queued.
 * Returns 1 when a line was served, 0 when none was ready.
 */
static int serve_next(struct lybfs *fs)
{
	struct client *best = NULL, *c;
	int after, best_after = 0;
	size_t i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		c = &ctl.clients[i];
		if (c->fd < 0 || !c->ready)
			continue;
		after = c->cred.uid > ctl.last_uid;
		if (!best || after > best_after ||
		    (after == best_after && (c->cred.uid < best->cred.uid ||
					     (c->cred.uid == best->cred.uid &&
					      c->ready < best->ready)))) {
			best = c;
			best_after = after;
		}
	}
	if (!best)
		return 0;
	ctl.last_uid = best->cred.uid;
	serve_line(fs, best, best->buf);
	return 1;
}

static struct client *client_slot(void)
{
	size_t i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl.clients[i].fd < 0)
			return &ctl.clients[i];
	return NULL;
}

static size_t clients_of(uid_t uid)
{
	size_t i, n = 0;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl.clients[i].fd >= 0 && ctl.clients[i].cred.uid == uid)
			n++;
	return n;
}

/*
 * Accepts what is waiting; each connection gets a slot or an error.
 * Returns 1 when out of descriptors (accepting must pause), else 0.
 */
static int accept_some(void)
{
	socklen_t len = sizeof(struct ucred);
	struct ucred cred;
	struct client *c;
	char why[160];
	int i, fd;

	for (i = 0; i < ACCEPT_BURST; i++) {
		fd = accept4(ctl.listen_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return errno == EMFILE || errno == ENFILE ||
			       errno == ENOBUFS || errno == ENOMEM;
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
			reply(fd, "error", "no peer credentials");
			close(fd);
			continue;
		}
		c = client_slot();
		if (!c || clients_of(cred.uid) >= CONTROL_MAX_PER_UID) {
			if (!c)
				snprintf(why, sizeof(why),
					 "busy: %d requests in progress, try "
					 "again",
					 CONTROL_MAX_CLIENTS);
			else
				snprintf(why, sizeof(why),
					 "too many connections from uid %u "
					 "(at most %d at a time)",
					 (unsigned)cred.uid,
					 CONTROL_MAX_PER_UID);
			reply(fd, "error", why);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->cred = cred;
		c->len = 0;
		c->deadline = lyb_mono() + CONTROL_DEADLINE_S;
	}
	return 0;
}

static void *server_main(void *arg)
{
	struct pollfd p[2 + CONTROL_MAX_CLIENTS];
	struct client *slot[CONTROL_MAX_CLIENTS];
	struct lybfs *fs = arg;
	char why[96];
	size_t i, n, nready;
	double now, next, pause = 0;
	int timeout;

	snprintf(why, sizeof(why), "request not complete within %d s",
		 CONTROL_DEADLINE_S);
	for (;;) {
		p[0] = (struct pollfd){.fd = ctl.stop_pipe[0],
				       .events = POLLIN};
		p[1] = (struct pollfd){.fd = ctl.listen_fd, .events = POLLIN};
		n = 0;
		nready = 0;
		next = 0;
		/* out of descriptors: a readable listener would spin us */
		if (pause && pause > lyb_mono()) {
			p[1].fd = -1;
			next = pause;
		}
		for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
			struct client *c = &ctl.clients[i];

			if (c->fd < 0)
				continue;
			if (c->ready) { /* read whole: waits for its turn */
				nready++;
				continue;
			}
			p[2 + n] =
				(struct pollfd){.fd = c->fd, .events = POLLIN};
			slot[n++] = c;
			if (!next || c->deadline < next)
				next = c->deadline;
		}
		timeout = -1;
		if (nready) {
			timeout = 0;
		} else if (next) {
			double ms = (next - lyb_mono()) * 1000.0 + 1.0;

			timeout = ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
		}
		if (poll(p, 2 + n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			lyb_log(LYB_LOG_ERR, "control socket: poll: %s",
				strerror(errno));
			break;
		}
		if (p[0].revents)
			break;
		for (i = 0; i < n; i++)
			if (p[2 + i].revents && slot[i]->fd >= 0)
				client_read(fs, slot[i]);
		now = lyb_mono();
		for (i = 0; i < n; i++)
			if (slot[i]->fd >= 0 && !slot[i]->ready &&
			    slot[i]->deadline <= now)
				refuse(fs, slot[i], why);
		if (p[1].revents && accept_some())
			pause = now + 0.1;
		/* one change a turn: then read and accept what came meanwhile
		 */
		serve_next(fs);
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl.clients[i].fd >= 0)
			client_close(&ctl.clients[i]);
	return NULL;
}

void lybfs_control_start(struct lybfs *fs)
{
	if (ctl.listen_fd < 0 || ctl.started)
		return;
	write_pid(); /* after daemonizing: the pid that serves */
	if (pthread_create(&ctl.server, NULL, server_main, fs) == 0)
		ctl.started = 1;
	else
		lyb_log(LYB_LOG_ERR, "control socket: no thread");
}

void lybfs_control_stop(struct lybfs *fs)
{
	(void)fs;
	if (ctl.started) {
		(void)!write(ctl.stop_pipe[1], "x", 1);
		pthread_join(ctl.server, NULL);
		ctl.started = 0;
	}
	if (ctl.listen_fd >= 0) {
		close(ctl.listen_fd);
		ctl.listen_fd = -1;
		unlink_ours(); /* before the lock goes: nobody rebinds yet */
	}
	release_lock();
	if (ctl.stop_pipe[0] >= 0) {
		close(ctl.stop_pipe[0]);
		close(ctl.stop_pipe[1]);
		ctl.stop_pipe[0] = ctl.stop_pipe[1] = -1;
	}
	free(ctl.clients);
	free(ctl.path);
	ctl.clients = NULL;
	ctl.path = NULL;
}
