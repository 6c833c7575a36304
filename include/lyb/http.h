/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - one HTTP request at a time per thread, over libcurl.
 *
 * The only module that includes curl. Every thread gets its own easy
 * handle (created on first use, freed when the thread exits); all of them
 * share DNS answers and TLS sessions. With HTTP/1.1 (the default) each
 * thread keeps its own warm connections; with HTTP/2 every request of the
 * process is multiplexed over shared connections (lyb_http_set_version).
 * TLS peer and host verification are always on for https; redirects are
 * never followed.
 *
 * A request completes (returns 0) whenever an HTTP status arrived and the
 * whole body was taken; the caller maps statuses to errors. Transport
 * failures come back as -errno: -ETIMEDOUT (connect, stall or overall
 * timeout), -ECONNRESET (reset, truncated or empty answer),
 * -ECONNREFUSED, -EHOSTUNREACH (name resolution), -EPROTO (TLS failure,
 * including verification), -E2BIG (body over the cap), -EBADMSG (a ranged
 * answer that is not the range asked for), -EINVAL, -ENOMEM, -EIO.
 *
 * Thread safety: lyb_http_do() may be called from any number of threads.
 */
#ifndef LYB_HTTP_H
#define LYB_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "lyb/buf.h"

struct lyb_http_req {
	const char *method;	    /* "GET", "POST", "PUT", "DELETE" */
	const char *url;	    /* never logged: it may be a capability */
	const char *const *headers; /* "Name: value", NULL-terminated */
	const void *body;	    /* request body, may be NULL */
	size_t body_len;
	uint64_t range_off; /* with range_len > 0: bytes off..off+len-1 */
	uint64_t range_len;
	struct lyb_buf *body_out;    /* a 2xx body goes here (capped), or */
	void *sink;		     /* into this buffer, at most sink_len */
	size_t sink_len;	     /* bytes (the range length when ranged) */
	unsigned timeout_ms;	     /* whole request; 0: none */
	unsigned connect_timeout_ms; /* 0: 10 s */
	unsigned
		stall_ms; /* no byte moved for this long: -ETIMEDOUT; 0: 20 s */
};

struct lyb_http_resp {
	long status;
	/*
	 * Bytes of the body (of the requested range, when ranged) stored in
	 * @sink, also after a transport error: they are right, the rest is
	 * missing. A 200 answer to a ranged request is cut to the range.
	 */
	size_t got;
	int64_t content_length;		    /* -1 when unknown */
	int64_t cr_start, cr_end, cr_total; /* Content-Range; -1 absent/'*' */
	int64_t goog_generation;	    /* x-goog-generation; 0 absent */
	char range[64];	     /* Range (resumable upload status) */
	char location[2048]; /* Location; never log it */
	char error[512];     /* start of a non-2xx body, for logs */
};

enum lyb_http_version {
	LYB_HTTP_1_1, /* a connection per thread, one request at a time */
	/* multiplexed: HTTP/2 streams over shared connections, 16 at most
	 * on one, where TLS (ALPN) offers HTTP/2; HTTP/1.1 otherwise */
	LYB_HTTP_2,
};

/* Sets how every later request goes; call it before the first one.
 * -EINVAL for an unknown version. (No HTTP/2 without TLS: Debian 12's
 * libcurl 7.88 breaks a reused prior-knowledge connection, curl #10634.) */
int lyb_http_set_version(enum lyb_http_version v);

/* The CA certificates (a PEM file) that https peers are checked against
 * in place of the system's; NULL: the system's. Copied; call it before the
 * first request. 0 or -ENOMEM. */
int lyb_http_set_ca_file(const char *path);

/* Performs @req; fills @resp (cleared first). See above for errors. */
int lyb_http_do(const struct lyb_http_req *req, struct lyb_http_resp *resp);

/*
 * Appends @s percent-encoded to @b: every byte except the unreserved
 * A-Z a-z 0-9 - . _ ~ becomes %XX, so '/' is %2F. Serves path segments,
 * query values and form bodies alike.
 */
int lyb_http_escape(struct lyb_buf *b, const char *s);

#endif
