// SPDX-License-Identifier: Apache-2.0
/*
 * metrics_http.c - MNT/.lyb/metrics over HTTP, for scrapers that read an
 * endpoint rather than a file (-o metrics_listen=ADDR:PORT; off by
 * default). GET or HEAD /metrics answers the text .lyb/metrics holds, from
 * the same code (lyb_fs_content() on the same path); any other path is
 * 404, any other method 405.
 *
 * HTTP parsing is libmicrohttpd's. It runs in external-polling mode from
 * this file's one thread, apart from FUSE's workers: a client of the
 * endpoint can hold that thread's attention, never a FUSE request. The
 * socket is bound before mounting (a taken or foreign address fails the
 * start); the thread starts after daemonizing. Every limit protects the
 * daemon from a hostile client (docs/operations.md, "Limits"):
 *
 *   METRICS_CONN_MAX connections at once; more are closed when accepted
 *   METRICS_MEMORY bytes per connection for the request line and headers
 *   METRICS_IDLE seconds without a byte, and METRICS_DEADLINE seconds from
 *   accept in all (a client that trickles bytes is cut off then; the
 *   deadline is this file's: the idle timeout alone would let a byte every
 *   few seconds hold a connection for hours)
 *   no request body is read, no connection is kept alive
 *
 * The connection table and the deadline are this thread's alone: they
 * change only in libmicrohttpd's callbacks, which run inside MHD_run()
 * here, and connections are cut off between two MHD_run() calls, so a
 * descriptor shut down is always one libmicrohttpd still holds open.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lyb/log.h"
#include "lybfs.h"

#define METRICS_CONN_MAX 16	   /* connections at once */
#define METRICS_MEMORY (16u << 10) /* per connection: request and headers */
#define METRICS_IDLE 5		   /* seconds without a byte */
#define METRICS_DEADLINE 10.0	   /* seconds from accept to the end */
#define METRICS_LOG_EVERY 60.0	   /* seconds between libmicrohttpd's lines */
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct slot {
	struct MHD_Connection *c; /* NULL: free */
	int fd;
	double since; /* monotonic; INFINITY once shut down */
};

static struct {
	struct lybfs *fs;
	int listen_fd; /* bound by _open(); libmicrohttpd's once started */
	int family;    /* of listen_fd */
	int wake[2];   /* a byte ends the thread */
	struct MHD_Daemon *d;
	pthread_t thread;
	int running;
	/* the serving thread's alone */
	struct slot slots[2 * METRICS_CONN_MAX];
	double logged_at;
	unsigned long unlogged;
} mh = {.listen_fd = -1, .wake = {-1, -1}};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int lybfs_metrics_open(struct lybfs *fs)
{
	const char *at = fs->cfg.metrics_listen;
	struct sockaddr_storage sa;
	int fd, one = 1, rc;

	if (!at)
		return 0;
	if (lyb_config_parse_listen(at, &sa) != 0)
		return -EINVAL; /* the configuration checked it */
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		goto out_errno;
	/* bind only where told: [::] is not also 0.0.0.0 */
	if (sa.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
		goto out_errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa,
		 sa.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					  : sizeof(struct sockaddr_in)) != 0 ||
	    listen(fd, METRICS_CONN_MAX) != 0)
		goto out_errno;
	mh.fs = fs;
	mh.listen_fd = fd;
	mh.family = sa.ss_family;
	lyb_log(LYB_LOG_DEBUG, "metrics_listen=%s: serving GET /metrics", at);
	return 0;
out_errno:
	rc = -errno;
	lyb_log(LYB_LOG_ERR, "metrics_listen=%s: %s", at, strerror(-rc));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* libmicrohttpd's messages, at most one a minute: a client can cause them. */
static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	double now = mono();
	char msg[512];

	if (mh.logged_at && now - mh.logged_at < METRICS_LOG_EVERY) {
		mh.unlogged++;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	if (mh.unlogged)
		lyb_log(LYB_LOG_INFO, "metrics_listen: %s (and %lu more)", msg,
			mh.unlogged);
	else
		lyb_log(LYB_LOG_INFO, "metrics_listen: %s", msg);
	mh.logged_at = now;
	mh.unlogged = 0;
}

/* Keeps the table of open connections, for the deadline. */
static void notify(void *cls, struct MHD_Connection *c, void **ctx,
		   enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct slot *s = *ctx;
	size_t i;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (s)
			s->c = NULL;
		*ctx = NULL;
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (i = 0; i < sizeof(mh.slots) / sizeof(mh.slots[0]); i++)
		if (!mh.slots[i].c)
			break;
	if (!ci)
		return;
	if (i == sizeof(mh.slots) / sizeof(mh.slots[0])) {
		shutdown(ci->connect_fd, SHUT_RDWR); /* never: the limit */
		return;
	}
	mh.slots[i].c = c;
	mh.slots[i].fd = ci->connect_fd;
	mh.slots[i].since = mono();
	*ctx = &mh.slots[i];
}

/* Cuts off the connections past their deadline; between MHD_run()s. */
static void reap(void)
{
	double now = mono();
	size_t i;

	for (i = 0; i < sizeof(mh.slots) / sizeof(mh.slots[0]); i++) {
		struct slot *s = &mh.slots[i];

		if (s->c && now - s->since > METRICS_DEADLINE) {
			shutdown(s->fd, SHUT_RDWR); /* libmicrohttpd closes */
			s->since = INFINITY;
		}
	}
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status,
				  const char *text)
{
	char *body = strdup(text);

	if (!body)
		return MHD_NO;
	return reply(c, status, "text/plain; charset=utf-8", body,
		     strlen(body));
}

/* The text of .lyb/metrics, as the mount renders it; caller frees. */
static int render(char **data, size_t *len)
{
	struct lyb_snap *snap = lyb_catalog_snap(mh.fs->cat);
	struct lyb_fs_entry e;
	int rc;

	rc = lyb_fs_resolve(snap, ".lyb/metrics", &e);
	if (rc == 0)
		rc = lyb_fs_content(snap, &e, data, len);
	lyb_fs_entry_release(&e);
	lyb_snap_unref(snap);
	return rc;
}

/* Answers at the first call, headers read: no body is ever taken in. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	char *data;
	size_t len;
	int rc;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "GET or HEAD only\n");
	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND,
				  "not found: the metrics are at /metrics\n");
	rc = render(&data, &len);
	if (rc) {
		lyb_log(LYB_LOG_WARN, "metrics_listen: %s", strerror(-rc));
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "metrics unavailable\n");
	}
	return reply(c, MHD_HTTP_OK, METRICS_TYPE, data, len);
}

static void *serve_main(void *arg)
{
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(mh.d, MHD_DAEMON_INFO_EPOLL_FD);

	while (di) {
		struct pollfd p[2] = {{.fd = di->epoll_fd, .events = POLLIN},
				      {.fd = mh.wake[0], .events = POLLIN}};
		MHD_UNSIGNED_LONG_LONG wait;
		int ms = 1000; /* the deadline is checked every second */

		if (MHD_get_timeout(mh.d, &wait) == MHD_YES && wait < 1000)
			ms = (int)wait;
		if (poll(p, 2, ms) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		MHD_run(mh.d);
		reap();
	}
	return NULL;
}

void lybfs_metrics_start(struct lybfs *fs)
{
	sigset_t all, was;

	if (mh.listen_fd < 0)
		return;
	if (pipe2(mh.wake, O_CLOEXEC) != 0) {
		lyb_log(LYB_LOG_ERR, "metrics_listen: %s (not serving)",
			strerror(errno));
		return;
	}
	mh.d = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			(mh.family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, handle, NULL, MHD_OPTION_EXTERNAL_LOGGER,
		log_mhd, NULL, MHD_OPTION_LISTEN_SOCKET, mh.listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONN_MAX,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_IDLE,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_MEMORY,
		MHD_OPTION_NOTIFY_CONNECTION, notify, NULL,
		MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_END);
	if (!mh.d) {
		lyb_log(LYB_LOG_ERR,
			"metrics_listen=%s: libmicrohttpd would "
			"not start (not serving)",
			fs->cfg.metrics_listen);
		goto out_pipe;
	}
	mh.listen_fd = -1; /* libmicrohttpd's now */
	/* signals are for the other threads */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &was);
	mh.running = pthread_create(&mh.thread, NULL, serve_main, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	if (mh.running)
		return;
	lyb_log(LYB_LOG_ERR, "metrics_listen: no thread (not serving)");
	MHD_stop_daemon(mh.d);
	mh.d = NULL;
out_pipe:
	close(mh.wake[0]);
	close(mh.wake[1]);
	mh.wake[0] = mh.wake[1] = -1;
}

void lybfs_metrics_stop(void)
{
	if (mh.running) {
		if (write(mh.wake[1], "", 1) != 1)
			lyb_log(LYB_LOG_WARN, "metrics_listen: stop: %s",
				strerror(errno));
		pthread_join(mh.thread, NULL);
		mh.running = 0;
	}
	if (mh.d)
		MHD_stop_daemon(mh.d);
	mh.d = NULL;
	if (mh.listen_fd >= 0)
		close(mh.listen_fd);
	mh.listen_fd = -1;
	if (mh.wake[0] >= 0) {
		close(mh.wake[0]);
		close(mh.wake[1]);
	}
	mh.wake[0] = mh.wake[1] = -1;
}
