// SPDX-License-Identifier: Apache-2.0
/*
 * control.c - the mount's control socket: `lyb access request|grant|
 * revoke` of ordinary users go through here when the catalog is writable
 * only by the daemon's account.
 *
 * A Unix stream socket (-o control=PATH, mode 0666). The caller is who
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
 * sees it at its next refresh. Connections are served one at a time by
 * one thread, each with a 5 s timeout, so a client that stalls delays
 * others by at most that.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lyb/log.h"
#include "lybfs.h"

#define LINE_MAX_LEN 8192
#define IO_TIMEOUT_S 5

static int listen_fd = -1;
static int stop_pipe[2] = {-1, -1};
static pthread_t server;
static int started;

int lybfs_control_open(struct lybfs *fs)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = fs->cfg.control;
	struct stat st;
	int fd;

	if (!path)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		lyb_log(LYB_LOG_ERR, "control=%s: path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* a socket left by a daemon that died is ours to replace */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, 0666) != 0 || listen(fd, 16) != 0) {
		int rc = -errno;

		lyb_log(LYB_LOG_ERR, "control socket %s: %s", path,
			strerror(-rc));
		close(fd);
		return rc;
	}
	if (pipe2(stop_pipe, O_CLOEXEC) != 0) {
		int rc = -errno;

		close(fd);
		unlink(path);
		return rc;
	}
	listen_fd = fd;
	lyb_log(LYB_LOG_INFO, "control socket %s", path);
	return 0;
}

static void reply(int fd, const char *status, const char *text)
{
	char line[LINE_MAX_LEN];
	int n = snprintf(line, sizeof(line), "%s\t%s\n", status, text);

	if (n > 0 && (size_t)n < sizeof(line))
		(void)!write(fd, line, (size_t)n);
}

/* Reads one line (without its newline) into @buf; 0 or -errno. */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1) {
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPROTO;
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len)) {
			*strchr(buf, '\n') = '\0';
			return 0;
		}
	}
	return -E2BIG;
}

static void serve(struct lybfs *fs, int fd)
{
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	struct lyb_audit_event ev = {0};
	gid_t groups[LYB_ACL_MAX_GROUPS];
	socklen_t len = sizeof(struct ucred);
	char line[LINE_MAX_LEN], err[1024] = "";
	char *verb, *name, *arg, *tab;
	struct lyb_ident *id = NULL;
	struct ucred cred;
	size_t ngroups = 0;
	int rc;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		reply(fd, "error", "no peer credentials");
		return;
	}
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		ngroups = len / sizeof(gid_t);
	rc = read_line(fd, line, sizeof(line));
	if (rc) {
		reply(fd, "error", "expected VERB\\tDATASET\\tARG\\n");
		return;
	}
	verb = line;
	name = strchr(verb, '\t');
	if (!name) {
		reply(fd, "error", "expected VERB\\tDATASET\\tARG\\n");
		return;
	}
	*name++ = '\0';
	arg = NULL;
	tab = strchr(name, '\t');
	if (tab) {
		*tab = '\0';
		arg = tab[1] ? tab + 1 : NULL;
	}
	rc = lyb_acl_ident(fs->acl, cred.uid, cred.gid, groups, ngroups, &id);
	if (rc) {
		reply(fd, "error", strerror(-rc));
		return;
	}
	rc = lyb_acl_change(fs->cat, fs->acl, id, verb, name, arg, err,
			    sizeof(err));
	if (rc && !err[0])
		snprintf(err, sizeof(err), "%s", strerror(-rc));
	ev.uid = cred.uid;
	ev.pid = cred.pid;
	ev.principal = id->user[0] ? id->user : id->display;
	ev.op = verb;
	ev.dataset = name;
	ev.path = arg && strcmp(verb, "request") != 0 ? arg : "";
	ev.allowed = rc == 0;
	ev.reason = rc ? err : arg && strcmp(verb, "request") == 0 ? arg : "";
	lyb_audit_write(fs->audit, &ev);
	if (rc)
		reply(fd, "error", err);
	else
		reply(fd, "ok", id->user);
	lyb_ident_unref(id);
}

static void *server_main(void *arg)
{
	struct lybfs *fs = arg;
	struct pollfd p[2] = {{.fd = listen_fd, .events = POLLIN},
			      {.fd = stop_pipe[0], .events = POLLIN}};

	for (;;) {
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			lyb_log(LYB_LOG_ERR, "control socket: poll: %s",
				strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(fs, fd);
		close(fd);
	}
	return NULL;
}

void lybfs_control_start(struct lybfs *fs)
{
	if (listen_fd < 0 || started)
		return;
	if (pthread_create(&server, NULL, server_main, fs) == 0)
		started = 1;
	else
		lyb_log(LYB_LOG_ERR, "control socket: no thread");
}

void lybfs_control_stop(struct lybfs *fs)
{
	if (started) {
		(void)!write(stop_pipe[1], "x", 1);
		pthread_join(server, NULL);
		started = 0;
	}
	if (listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
		unlink(fs->cfg.control);
	}
	if (stop_pipe[0] >= 0) {
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		stop_pipe[0] = stop_pipe[1] = -1;
	}
}
