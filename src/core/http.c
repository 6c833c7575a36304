// SPDX-License-Identifier: Apache-2.0
/*
 * http.c - HTTP requests over libcurl (see include/lyb/http.h).
 *
 * One easy handle per thread (a pthread key whose destructor frees it), so
 * each worker keeps its own warm connections without locking. All handles
 * share one CURLSH for DNS answers and TLS sessions, with one mutex per
 * kind of shared data. Connections themselves are not shared between
 * threads: libcurl does not support sharing its connection cache between
 * concurrent transfers of different threads.
 *
 * Multiplexed (LYB_HTTP_2): one thread runs every transfer
 * of the process in one multi handle, whose connections carry HTTP/2
 * streams, at most MUX_STREAMS on one, more connections past that; the
 * calling thread hands its easy handle over and sleeps until the transfer
 * is done, so the callbacks below run on that thread while the caller
 * waits and lyb_http_do() stays one blocking call.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lyb/clock.h"
#include "lyb/http.h"
#include "lyb/log.h"

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static int http_init_rc;
static pthread_key_t easy_key;
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static enum lyb_http_version http_version; /* lyb_http_set_version() */
static char *http_ca_file;		   /* lyb_http_set_ca_file() */

#define MUX_STREAMS 16 /* HTTP/2 streams on one connection */

/* A transfer handed to the multiplexing thread. */
struct mux_job {
	CURL *easy;
	CURLcode cc;
	int done;
	pthread_cond_t cv;
	struct mux_job *next; /* mux.queue, then the thread's live list */
};

static struct {
	pthread_mutex_t lock;
	CURLM *multi;	       /* lock (to start); the thread's after */
	struct mux_job *queue; /* lock: to be added */
	int started;	       /* lock: pthread_atfork() was called */
} mux = {.lock = PTHREAD_MUTEX_INITIALIZER};

enum body_mode { BODY_NONE, BODY_ERROR, BODY_SINK, BODY_BUF };

struct xfer {
	const struct lyb_http_req *req;
	struct lyb_http_resp *resp;
	CURL *easy;
	enum body_mode mode;
	int started;
	long status;   /* known once the body starts */
	uint64_t skip; /* bytes to drop before the range (200 answers) */
	size_t errlen; /* bytes in resp->error */
	int done;      /* stopped on purpose: the range is complete */
	int abort_rc;  /* why the write callback stopped the transfer */
	curl_off_t last_bytes; /* bytes moved at @last_move */
	double last_move;      /* monotonic seconds */
	double stall;	       /* seconds without a byte that end it */
};

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *p)
{
	pthread_mutex_lock(&share_locks[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *p)
{
	pthread_mutex_unlock(&share_locks[d]);
}

static void easy_free(void *easy)
{
	curl_easy_cleanup(easy);
}

static void http_init(void)
{
	int i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    pthread_key_create(&easy_key, easy_free) != 0) {
		http_init_rc = -ENOMEM;
		return;
	}
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_locks[i], NULL);
	share = curl_share_init();
	if (!share)
		return; /* works, just without sharing */
	curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

static CURL *thread_easy(void)
{
	CURL *easy;

	pthread_once(&http_once, http_init);
	if (http_init_rc)
		return NULL;
	easy = pthread_getspecific(easy_key);
	if (easy) {
		curl_easy_reset(easy); /* keeps connections and sessions */
		return easy;
	}
	easy = curl_easy_init();
	if (easy && pthread_setspecific(easy_key, easy) != 0) {
		curl_easy_cleanup(easy);
		easy = NULL;
	}
	return easy;
}

int lyb_http_escape(struct lyb_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			rc = lyb_buf_add(b, s, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			rc = lyb_buf_add(b, e, 3);
		}
	}
	return rc;
}

static int parse_i64(const char *s, char **end, int64_t *out)
{
	long long v;

	errno = 0;
	v = strtoll(s, end, 10);
	if (errno || *end == s || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* "bytes A-B/T", where A-B or T may be an asterisk. */
static void parse_content_range(const char *v, struct lyb_http_resp *r)
{
	char *e;
	int64_t a, b, t;

	if (strncasecmp(v, "bytes ", 6) != 0)
		return;
	v += 6;
	if (*v == '*') {
		e = (char *)v + 1;
	} else {
		if (parse_i64(v, &e, &a) || *e != '-' ||
		    parse_i64(e + 1, &e, &b) || b < a)
			return;
		r->cr_start = a;
		r->cr_end = b;
	}
	if (*e == '/' && e[1] != '*' && parse_i64(e + 1, &e, &t) == 0)
		r->cr_total = t;
}

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct lyb_http_resp *r = x->resp;
	size_t len = size * n, nl;
	char line[2100], *v, *e;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): forget the last one */
		r->cr_start = r->cr_end = r->cr_total = -1;
		r->goog_generation = 0;
		r->range[0] = r->location[0] = '\0';
		return len;
	}
	nl = len < sizeof(line) ? len : sizeof(line) - 1;
	memcpy(line, p, nl);
	while (nl > 0 && (line[nl - 1] == '\n' || line[nl - 1] == '\r' ||
			  line[nl - 1] == ' ' || line[nl - 1] == '\t'))
		nl--;
	line[nl] = '\0';
	v = strchr(line, ':');
	if (!v)
		return len;
	*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	if (strcasecmp(line, "content-range") == 0)
		parse_content_range(v, r);
	else if (strcasecmp(line, "x-goog-generation") == 0)
		parse_i64(v, &e, &r->goog_generation);
	else if (strcasecmp(line, "range") == 0)
		copy_value(r->range, sizeof(r->range), v, strlen(v));
	else if (strcasecmp(line, "location") == 0)
		copy_value(r->location, sizeof(r->location), v, strlen(v));
	return len;
}

/* Decides where the body goes once the status and headers are known. */
static int body_start(struct xfer *x)
{
	const struct lyb_http_req *q = x->req;
	struct lyb_http_resp *r = x->resp;
	long status = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	x->status = status;
	x->started = 1;
	if (status < 200 || status > 299) {
		x->mode = BODY_ERROR;
	} else if (q->range_len > 0) {
		if (status == 206 && r->cr_start != (int64_t)q->range_off) {
			x->abort_rc = -EBADMSG;
			return -1;
		}
		if (status != 206 && status != 200) {
			x->abort_rc = -EBADMSG;
			return -1;
		}
		x->skip = status == 200 ? q->range_off : 0;
		x->mode = BODY_SINK;
	} else {
		x->mode = q->sink	? BODY_SINK
			  : q->body_out ? BODY_BUF
					: BODY_NONE;
	}
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct lyb_http_resp *r = x->resp;
	size_t len = size * n, take;
	int rc;

	if (!x->started && body_start(x) != 0)
		return 0;
	switch (x->mode) {
	case BODY_ERROR:
		take = sizeof(r->error) - 1 - x->errlen;
		take = len < take ? len : take;
		memcpy(r->error + x->errlen, p, take);
		x->errlen += take;
		r->error[x->errlen] = '\0';
		return len;
	case BODY_BUF:
		rc = lyb_buf_add(x->req->body_out, p, len);
		if (rc) {
			x->abort_rc = rc;
			return 0;
		}
		return len;
	case BODY_SINK:
		if (x->skip >= len) {
			x->skip -= len;
			return len;
		}
		p += x->skip;
		len -= x->skip;
		x->skip = 0;
		take = x->req->sink_len - r->got;
		if (len > take) {
			if (x->req->range_len > 0 && x->status != 206) {
				x->done =
					1; /* a whole object cut to the range */
			} else {
				x->abort_rc =
					x->req->range_len ? -EBADMSG : -E2BIG;
				return 0;
			}
			len = take;
		}
		memcpy((char *)x->req->sink + r->got, p, len);
		r->got += len;
		return x->done ? 0 : size * n;
	default:
		return len;
	}
}

/*
 * Ends a transfer that moved no byte for @stall seconds (curl's own
 * low-speed check averages over seconds and misses a stall after a burst).
 */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;
	double now = lyb_mono();

	if (dlnow + ulnow != x->last_bytes) {
		x->last_bytes = dlnow + ulnow;
		x->last_move = now;
		return 0;
	}
	if (now - x->last_move < x->stall)
		return 0;
	x->abort_rc = -ETIMEDOUT;
	return 1;
}

static int curl_errno(CURLcode c)
{
	switch (c) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return -ECONNRESET;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return -EPROTO;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static void set_options(CURL *e, const struct lyb_http_req *q,
			struct curl_slist *hdrs, struct xfer *x)
{
	if (share)
		curl_easy_setopt(e, CURLOPT_SHARE, share);
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (http_ca_file) { /* in place of the system's: its directory too */
		curl_easy_setopt(e, CURLOPT_CAINFO, http_ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	switch (http_version) {
	case LYB_HTTP_1_1:
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
				 CURL_HTTP_VERSION_1_1);
		break;
	case LYB_HTTP_2: /* where TLS's ALPN offers it, else 1.1 */
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
				 CURL_HTTP_VERSION_2TLS);
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
		break;
	}
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 q->connect_timeout_ms ? (long)q->connect_timeout_ms
					       : 10000L);
	x->stall = (q->stall_ms ? q->stall_ms : 20000) / 1000.0;
	x->last_move = lyb_mono();
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
	if (q->timeout_ms)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)q->timeout_ms);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	if (strcmp(q->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(q->method, "DELETE") == 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)q->body_len);
		if (strcmp(q->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
	}
}

static int add_header(struct curl_slist **list, const char *h)
{
	struct curl_slist *t = curl_slist_append(*list, h);

	if (!t)
		return -ENOMEM;
	*list = t;
	return 0;
}

int lyb_http_set_version(enum lyb_http_version v)
{
	if (v != LYB_HTTP_1_1 && v != LYB_HTTP_2)
		return -EINVAL;
	http_version = v;
	return 0;
}

int lyb_http_set_ca_file(const char *path)
{
	char *copy = path ? strdup(path) : NULL;

	if (path && !copy)
		return -ENOMEM;
	free(http_ca_file);
	http_ca_file = copy;
	return 0;
}

/* Hands @j back to its caller with @cc (the thread's, no lock held). */
static void mux_finish(struct mux_job *j, CURLcode cc)
{
	pthread_mutex_lock(&mux.lock);
	j->cc = cc;
	j->done = 1; /* the caller owns the handle again */
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&mux.lock);
}

/* Unlinks @j from the thread's list of transfers in the multi handle. */
static void mux_unlive(struct mux_job **live, struct mux_job *j)
{
	for (; *live; live = &(*live)->next)
		if (*live == j) {
			*live = j->next;
			return;
		}
}

/*
 * The multiplexing thread: adds what is queued, runs, hands back. If the
 * multi handle itself fails, every transfer in it is handed back failed
 * (a caller never waits for a transfer that cannot end), and the thread
 * pauses before trying again rather than spin.
 */
static void *mux_run(void *arg)
{
	struct mux_job *j, *next, *live = NULL;
	CURLMsg *m;
	CURLMcode mc;
	int running, left;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mux.lock);
		j = mux.queue;
		mux.queue = NULL;
		pthread_mutex_unlock(&mux.lock);
		for (; j; j = next) {
			next = j->next;
			curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
			if (curl_multi_add_handle(mux.multi, j->easy) !=
			    CURLM_OK) {
				mux_finish(j, CURLE_OUT_OF_MEMORY);
				continue;
			}
			j->next = live;
			live = j;
		}
		mc = curl_multi_perform(mux.multi, &running);
		while ((m = curl_multi_info_read(mux.multi, &left))) {
			CURLcode cc = m->data.result;
			CURL *e = m->easy_handle;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
			curl_multi_remove_handle(mux.multi, e);
			mux_unlive(&live, j);
			mux_finish(j, cc);
		}
		if (mc == CURLM_OK)
			mc = curl_multi_poll(mux.multi, NULL, 0, 1000, NULL);
		if (mc != CURLM_OK) {
			lyb_log(LYB_LOG_ERR,
				"http: the multiplexing thread: %s",
				curl_multi_strerror(mc));
			for (j = live; j; j = next) {
				next = j->next;
				curl_multi_remove_handle(mux.multi, j->easy);
				mux_finish(j, CURLE_OUT_OF_MEMORY);
			}
			live = NULL;
			nanosleep(&(struct timespec){.tv_nsec = 100000000},
				  NULL);
		}
	}
	return NULL;
}

/* A forked child has no multiplexing thread: the next request starts one
 * (the parent's connections stay with the parent). */
static void mux_atfork_child(void)
{
	pthread_mutex_init(&mux.lock, NULL);
	mux.multi = NULL;
	mux.queue = NULL;
}

/* Under mux.lock. */
static int mux_start(void)
{
	pthread_attr_t a;
	pthread_t t;
	int rc;

	mux.multi = curl_multi_init();
	if (!mux.multi)
		return -ENOMEM;
	curl_multi_setopt(mux.multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(mux.multi, CURLMOPT_MAX_CONCURRENT_STREAMS,
			  (long)MUX_STREAMS);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &a, mux_run, NULL);
	pthread_attr_destroy(&a);
	if (rc) {
		curl_multi_cleanup(mux.multi);
		mux.multi = NULL;
		return -rc;
	}
	if (!mux.started) { /* once a process: a child inherits it */
		mux.started = 1;
		pthread_atfork(NULL, NULL, mux_atfork_child);
	}
	return 0;
}

/* curl_easy_perform(), through the multiplexing thread. */
static CURLcode mux_perform(CURL *easy)
{
	struct mux_job j = {.easy = easy};
	int rc = 0;

	pthread_cond_init(&j.cv, NULL);
	pthread_mutex_lock(&mux.lock);
	if (!mux.multi)
		rc = mux_start();
	if (rc == 0) {
		j.next = mux.queue;
		mux.queue = &j;
		curl_multi_wakeup(mux.multi);
		while (!j.done)
			pthread_cond_wait(&j.cv, &mux.lock);
	}
	pthread_mutex_unlock(&mux.lock);
	pthread_cond_destroy(&j.cv);
	return rc ? CURLE_OUT_OF_MEMORY : j.cc;
}

int lyb_http_do(const struct lyb_http_req *req, struct lyb_http_resp *resp)
{
	struct xfer x = {.req = req, .resp = resp};
	struct curl_slist *hdrs = NULL;
	const char *const *h;
	char range[64];
	curl_off_t cl = -1;
	CURLcode cc;
	int rc = 0;

	memset(resp, 0, sizeof(*resp));
	resp->cr_start = resp->cr_end = resp->cr_total = -1;
	resp->content_length = -1;
	if (req->range_len > 0 && req->sink_len < req->range_len)
		return -EINVAL;
	x.easy = thread_easy();
	if (!x.easy)
		return -ENOMEM;
	/* no "Expect: 100-continue" round trip before uploads */
	rc = add_header(&hdrs, "Expect:");
	if (!rc && req->range_len > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%llu-%llu",
			 (unsigned long long)req->range_off,
			 (unsigned long long)(req->range_off + req->range_len -
					      1));
		rc = add_header(&hdrs, range);
	}
	for (h = req->headers; !rc && h && *h; h++)
		rc = add_header(&hdrs, *h);
	if (rc)
		goto out_headers;
	set_options(x.easy, req, hdrs, &x);
	cc = http_version == LYB_HTTP_1_1 ? curl_easy_perform(x.easy)
					  : mux_perform(x.easy);
	curl_easy_getinfo(x.easy, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(x.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	resp->content_length = cl;
	if (cc == CURLE_WRITE_ERROR && x.done)
		cc = CURLE_OK;
	else if ((cc == CURLE_WRITE_ERROR || cc == CURLE_ABORTED_BY_CALLBACK) &&
		 x.abort_rc)
		rc = x.abort_rc;
	if (!rc)
		rc = curl_errno(cc);
	if (rc == -EPROTO || rc == -EIO)
		lyb_log(LYB_LOG_DEBUG, "http request failed: %s",
			curl_easy_strerror(cc));
out_headers:
	curl_slist_free_all(hdrs);
	return rc;
}
