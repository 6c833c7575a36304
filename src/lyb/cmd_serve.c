// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_serve.c - `lyb serve`: the Lybrary portal over HTTP (docs/api.md,
 * docs/operations.md "The portal").
 *
 *   lyb serve [--listen ADDR:PORT] [--trust-proxy ADDR]... [--user-header
 *             NAME] [--static DIR] [--mount PATH] [--refresh SEC]
 *             [--max-connections N]
 *
 * The HTTP glue only: libmicrohttpd parses the protocol (the only file
 * that includes <microhttpd.h>), this file decides whom to believe (the
 * proxy's user header, only from a --trust-proxy address), bounds bodies,
 * serves the pages from one static directory by a fixed name pattern, and
 * hands /api/v1/ to lyb_portal_handle() (src/core/portal.c). A thread
 * refreshes the catalog snapshot every --refresh seconds, as lybfs does,
 * so a publish, grant or revoke shows on the next page load.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lyb/audit.h"
#include "lyb/config.h"
#include "lyb/log.h"
#include "lyb/portal.h"

#ifndef LYB_PORTAL_STATIC
#define LYB_PORTAL_STATIC "/usr/local/share/lyb/portal"
#endif

#define TRUST_MAX 16		   /* --trust-proxy addresses */
#define STATIC_FILE_MAX (4u << 20) /* one page asset */
#define CONN_DEFAULT 256	   /* --max-connections */
#define CONN_MEMORY (64u << 10)	   /* a connection's buffer: headers, URL */
#define CONN_TIMEOUT 30		   /* seconds idle before a connection closes */
#define POOL_THREADS 4

struct serve {
	struct lyb_portal *portal;
	struct lyb_catalog *cat;
	struct lyb_acl *acl;
	struct lyb_audit *audit;
	const char *user_header;
	int static_fd;
	double refresh;
	size_t ntrust;
	struct sockaddr_storage trust[TRUST_MAX];
	/* the refresh thread's stop signal */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop; /* under lock */
};

/* One request's state across the access handler's calls. */
struct conn {
	char *body;
	size_t len;
	int too_big;
};

static int parse_addr(const char *s, struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)sa)->sin_addr) == 1) {
		sa->ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)sa)->sin6_addr) ==
	    1) {
		sa->ss_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* Whether the peer of @c is a configured proxy. */
static int peer_trusted(const struct serve *s, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	struct in6_addr a6;
	struct in_addr a4;
	int fam;
	size_t i;

	if (!sa)
		return 0;
	fam = sa->sa_family;
	if (fam == AF_INET) {
		a4 = ((const struct sockaddr_in *)sa)->sin_addr;
	} else if (fam == AF_INET6) {
		a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			fam = AF_INET;
			memcpy(&a4, &a6.s6_addr[12], 4);
		}
	} else {
		return 0;
	}
	for (i = 0; i < s->ntrust; i++) {
		const struct sockaddr_storage *t = &s->trust[i];

		if (t->ss_family != fam)
			continue;
		if (fam == AF_INET &&
		    memcmp(&((const struct sockaddr_in *)t)->sin_addr, &a4,
			   sizeof(a4)) == 0)
			return 1;
		if (fam == AF_INET6 &&
		    memcmp(&((const struct sockaddr_in6 *)t)->sin6_addr, &a6,
			   sizeof(a6)) == 0)
			return 1;
	}
	return 0;
}

static void add_headers(struct MHD_Response *r, int api)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	MHD_add_response_header(
		r, "Content-Security-Policy",
		"default-src 'none'; script-src 'self'; style-src 'self'; "
		"img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
		"form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(r, "Cache-Control",
				api ? "no-store" : "no-cache");
}

static enum MHD_Result reply(struct MHD_Connection *c, int status,
			     const char *type, char *body, size_t len, int api)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	add_headers(r, api);
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, int status,
				  const char *msg)
{
	char *b;
	int n;

	b = malloc(512);
	if (!b)
		return MHD_NO;
	n = snprintf(b, 512, "{\"error\":{\"status\":%d,\"message\":\"%s\"}}",
		     status, msg);
	return reply(c, status, "application/json", b, (size_t)n, 1);
}

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".png", "image/png"},
		{".svg", "image/svg+xml"},
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/*
 * A file of the static directory by name: [A-Za-z0-9_-]+ and one known
 * extension, so no path can leave the directory; opened without
 * following links, regular files only.
 */
static enum MHD_Result serve_static(struct serve *s, struct MHD_Connection *c,
				    const char *name)
{
	const char *type = content_type(name);
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct stat st;
	const char *p;
	int fd;

	for (p = name; *p && *p != '.'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return reply_text(c, 404, "no such page");
	if (p == name || !type || strchr(p + 1, '.') || strlen(name) > 64)
		return reply_text(c, 404, "no such page");
	fd = openat(s->static_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return reply_text(c, 404, "no such page");
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > STATIC_FILE_MAX) {
		close(fd);
		return reply_text(c, 404, "no such page");
	}
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	add_headers(r, 0);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* The page routes of the single-page app: all answer index.html. */
static int is_page(const char *url)
{
	return strcmp(url, "/") == 0 || strcmp(url, "/inbox") == 0 ||
	       strncmp(url, "/d/", 3) == 0;
}

static const char *param(void *arg, const char *key)
{
	return MHD_lookup_connection_value(arg, MHD_GET_ARGUMENT_KIND, key);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result serve_api(struct serve *s, struct MHD_Connection *c,
				 const char *url, const char *method,
				 struct conn *st)
{
	struct lyb_portal_req req = {0};
	struct lyb_portal_resp resp;
	struct lyb_ident *id = NULL;
	const char *who = NULL;
	enum MHD_Result ret;
	int rc;

	const char *host = header(c, "Host");
	int trusted = peer_trusted(s, c);

	if (trusted) {
		who = header(c, s->user_header);
		/* the browser's host, when the proxy rewrote Host */
		if (header(c, "X-Forwarded-Host"))
			host = header(c, "X-Forwarded-Host");
	}
	if (who) {
		rc = lyb_portal_ident(s->acl, who, &id);
		if (rc == -EINVAL)
			return reply_text(c, 403,
					  "the proxy's user header names no "
					  "user of this domain");
		if (rc)
			return reply_text(c, 500, "identity lookup failed");
	}
	req.method = method;
	req.path = url;
	req.param = param;
	req.param_arg = c;
	req.body = st->body;
	req.body_len = st->len;
	req.content_type = header(c, "Content-Type");
	req.origin = header(c, "Origin");
	req.host = host;
	req.sec_fetch_site = header(c, "Sec-Fetch-Site");
	req.csrf = header(c, "X-Lyb-CSRF");
	req.id = id;
	rc = lyb_portal_handle(s->portal, &req, &resp);
	lyb_ident_unref(id);
	if (rc)
		return reply_text(c, 500, "out of memory");
	ret = reply(c, resp.status, resp.type, resp.body, resp.len, 1);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct serve *s = cls;
	struct conn *st = *con_cls;
	const char *cl;

	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		cl = header(c, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > LYB_PORTAL_BODY_MAX)
			st->too_big = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!st->too_big &&
		    st->len + *upload_size <= LYB_PORTAL_BODY_MAX) {
			char *nb =
				realloc(st->body, st->len + *upload_size + 1);

			if (!nb)
				return MHD_NO;
			st->body = nb;
			memcpy(st->body + st->len, upload, *upload_size);
			st->len += *upload_size;
			st->body[st->len] = '\0';
		} else {
			st->too_big = 1;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (st->too_big)
		return reply_text(c, 413, "request body too large");
	if (strncmp(url, "/api/", 5) == 0)
		return serve_api(s, c, url, method, st);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_text(c, 405, "GET only");
	if (is_page(url))
		return serve_static(s, c, "index.html");
	if (strncmp(url, "/static/", 8) == 0)
		return serve_static(s, c, url + 8);
	return reply_text(c, 404, "no such page");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct conn *st = *con_cls;

	if (st) {
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decoding of the path and query, in place, as libmicrohttpd's
 * own except that "%00" stays as it is: a NUL would cut a name short
 * behind the validators' back ("app.js%00.html").
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *r = s, *w = s;
	int hi, lo;

	while (*r) {
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 &&
		    (lo = hexval(r[2])) >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	lyb_log(LYB_LOG_INFO, "http: %s", msg);
}

/* Re-reads the catalog every s->refresh seconds until told to stop. */
static void *refresh_main(void *arg)
{
	struct serve *s = arg;
	struct timespec until;
	int rc;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)s->refresh;
		until.tv_nsec +=
			(long)((s->refresh - (double)(time_t)s->refresh) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!s->stop && pthread_cond_timedwait(&s->cond, &s->lock,
							  &until) != ETIMEDOUT)
			;
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->lock);
		rc = lyb_catalog_refresh(s->cat, NULL);
		if (rc)
			lyb_log(LYB_LOG_WARN, "catalog refresh: %s",
				strerror(-rc));
		lyb_audit_flush(s->audit); /* the rate limit's drop summaries */
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int usage_fail(const char *what)
{
	lyb_cli_fail("serve", "%s (see lyb help serve)", what);
	return -EINVAL;
}

struct serve_opts {
	const char *listen, *user_header, *dir, *mount, *refresh;
	struct lyb_opt_list trust;
	long maxconn;
};

#define O struct serve_opts
static const struct lyb_opt serve_opts[] = {
	LYB_STRING("listen", 0, O, listen, "ADDR:PORT", "where to listen",
		   "127.0.0.1:8080"),
	LYB_LIST("trust-proxy", 0, O, trust, "ADDR",
		 "believe the user header from ADDR (repeatable)", TRUST_MAX),
	LYB_STRING("user-header", 0, O, user_header, "NAME",
		   "the header with the user's e-mail", "X-Forwarded-Email"),
	LYB_STRING("static", 0, O, dir, "DIR", "the portal's pages",
		   LYB_PORTAL_STATIC),
	LYB_STRING("mount", 0, O, mount, "PATH",
		   "where lybfs mounts (default: the running mount's, else "
		   "/lyb)",
		   NULL),
	LYB_STRING("refresh", 0, O, refresh, "SEC",
		   "re-read the catalog every SEC seconds", "2"),
	LYB_INT("max-connections", 0, O, maxconn, "N", "connections at once",
		LYB_OPT_STR(CONN_DEFAULT), 1, 10000),
	{0},
};
#undef O

static int serve_cmd(struct lyb_cli *cli, const void *opts, int argc,
		     char **argv)
{
	const struct serve_opts *o = opts;
	struct serve s = {.user_header = o->user_header, .static_fd = -1};
	const char *listen = o->listen, *dir = o->dir;
	struct lyb_portal_opts po = {
		.mount = o->mount ? o->mount : lyb_cli_mountpoint(cli)};
	struct sockaddr_storage sa;
	struct lyb_snap *snap = NULL;
	struct lyb_ident *me = NULL;
	struct lyb_audit *audit = NULL;
	struct MHD_Daemon *d = NULL;
	unsigned long maxconn = (unsigned long)o->maxconn;
	pthread_t refresher;
	int rc, sig, have_thread = 0;
	sigset_t set;
	char *end;

	(void)argv;
	for (s.ntrust = 0; s.ntrust < o->trust.n; s.ntrust++)
		if (parse_addr(o->trust.v[s.ntrust], &s.trust[s.ntrust]))
			return usage_fail("--trust-proxy: expected an IPv4 or "
					  "IPv6 address");
	if (po.mount[0] != '/')
		return usage_fail("--mount: an absolute path");
	errno = 0;
	s.refresh = strtod(o->refresh, &end);
	if (!*o->refresh || *end || errno || !(s.refresh >= 0.1) ||
	    s.refresh > 3600)
		return usage_fail("--refresh: 0.1 to 3600 seconds");
	if (argc != 1)
		return usage_fail("no arguments expected");
	if (lyb_config_parse_listen(listen, &sa))
		return usage_fail("--listen: expected ADDR:PORT");
	s.static_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.static_fd < 0) {
		lyb_cli_fail(dir, "the portal's pages: %s", strerror(errno));
		return -errno;
	}
	rc = lyb_cli_open(cli, 0, &s.cat, &snap);
	if (rc)
		goto out_close;
	lyb_snap_unref(snap);
	rc = lyb_cli_acl(cli, &s.acl, &me);
	if (rc)
		goto out_cat;
	lyb_ident_unref(me);
	po.audit_path = lyb_cli_audit_path(cli);
	rc = lyb_audit_open(po.audit_path, &audit);
	if (rc) {
		lyb_cli_fail(po.audit_path, "the audit log: %s", strerror(-rc));
		goto out_acl;
	}
	s.audit = audit;
	rc = lyb_portal_new(s.cat, s.acl, audit, &po, &s.portal);
	if (rc) {
		lyb_cli_fail("serve", "%s", strerror(-rc));
		goto out_audit;
	}
	/* every thread started from here inherits the blocked signals */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			MHD_USE_ERROR_LOG |
			(sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, handle, &s, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)POOL_THREADS, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)maxconn, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)CONN_TIMEOUT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)CONN_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, completed,
		NULL, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	if (!d) {
		lyb_cli_fail(listen,
			     "cannot serve HTTP here (address in use?)");
		rc = -EADDRINUSE;
		goto out_portal;
	}
	if (pthread_create(&refresher, NULL, refresh_main, &s) == 0)
		have_thread = 1;
	printf("lyb serve: the portal is at http://%s/\n", listen);
	fflush(stdout);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			lyb_audit_request_reopen();
			continue;
		}
		break;
	}
	rc = 0;
	MHD_stop_daemon(d);
	if (have_thread) {
		pthread_mutex_lock(&s.lock);
		s.stop = 1;
		pthread_cond_signal(&s.cond);
		pthread_mutex_unlock(&s.lock);
		pthread_join(refresher, NULL);
	}
out_portal:
	pthread_mutex_destroy(&s.lock);
	pthread_cond_destroy(&s.cond);
	lyb_portal_free(s.portal);
out_audit:
	lyb_audit_close(audit);
out_acl:
	lyb_acl_free(s.acl);
out_cat:
	lyb_catalog_close(s.cat);
out_close:
	close(s.static_fd);
	return rc;
}

const struct lyb_cmd lyb_cmd_serve = {"serve", serve_cmd, serve_opts,
				      sizeof(struct serve_opts), ""};
