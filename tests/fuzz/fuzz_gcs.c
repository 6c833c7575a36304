// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_gcs.c - what a GCS server (or a token endpoint) answers: any bytes
 * as an object resource, a listing page, an OAuth token answer and a
 * resumable session's Range header, through the parsers the live client
 * uses (gcs_impl.h). What they accept must be consistent: a generation
 * > 0, sizes that fit an int64, checksums of their exact length or "",
 * keys that are NUL-free strings, a next page token only when asked for.
 * The bytes also plant a size, a generation and a name into documents
 * built here, which must come back exactly as written (or be refused
 * when they are out of range or not UTF-8).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "fuzz.h"
#include "gcs_impl.h"
#include "lyb/store.h"

#define FAIL(...)                                          \
	do {                                               \
		fprintf(stderr, "fuzz_gcs: " __VA_ARGS__); \
		fputc('\n', stderr);                       \
		abort();                                   \
	} while (0)

static void check_info(const struct lyb_object_info *o)
{
	size_t c = strlen(o->crc32c), m = strlen(o->md5);

	if (o->generation <= 0 || o->size > (uint64_t)INT64_MAX)
		FAIL("accepted generation %" PRId64 " size %" PRIu64,
		     o->generation, o->size);
	if ((c && c != LYB_CRC32C_B64_LEN) || (m && m != LYB_MD5_B64_LEN))
		FAIL("checksums of %zu and %zu characters", c, m);
}

struct page {
	size_t calls, stop_at, prefixes, items, valid;
	int items_started;
	const uint8_t *want; /* a planted name, or NULL */
	size_t wantlen;
};

static int on_entry(void *arg, const struct lyb_object_info *o)
{
	struct page *p = arg;

	if (!o->key)
		FAIL("an entry without a key");
	(void)strlen(o->key); /* NUL-terminated, readable */
	if (o->generation == 0) {
		/* prefixes come first, and carry nothing else */
		if (p->items_started || o->size || o->mtime || o->crc32c[0] ||
		    o->md5[0])
			FAIL("a prefix after items, or with object fields");
		p->prefixes++;
	} else {
		check_info(o);
		p->items_started = 1;
		p->items++;
		if (p->want && (strlen(o->key) != p->wantlen ||
				memcmp(o->key, p->want, p->wantlen) != 0))
			FAIL("a planted name of %zu bytes read as %zu bytes",
			     p->wantlen, strlen(o->key));
	}
	/* what store_gcs.c would pass on */
	p->valid += lyb_store_key_valid(o->key);
	if (++p->calls == p->stop_at)
		return -EINTR;
	return 0;
}

static void fuzz_object(const char *text, size_t len)
{
	struct lyb_object_info o = {0}, again = {0};
	char why[320], doc[512];
	int rc, n;

	rc = lyb_gcs_parse_object(text, len, &o, why, sizeof(why));
	if (rc == -EBADMSG && !why[0])
		FAIL("object rejected without a reason");
	if (rc != 0 && rc != -EBADMSG && rc != -ENOMEM)
		FAIL("object: unexpected %d", rc);
	if (rc)
		return;
	if (why[0])
		FAIL("object accepted with a reason: %s", why);
	if (o.key)
		FAIL("object parse set a key");
	check_info(&o);
	/* what was accepted reads back the same when written plainly */
	n = snprintf(doc, sizeof(doc),
		     "{\"size\": \"%" PRIu64 "\", \"generation\": \"%" PRId64
		     "\", \"crc32c\": \"%s\", \"md5Hash\": \"%s\"}",
		     o.size, o.generation, o.crc32c, o.md5);
	if (lyb_gcs_parse_object(doc, (size_t)n, &again, why, sizeof(why)))
		FAIL("own rendering rejected: %s: %s", doc, why);
	if (again.size != o.size || again.generation != o.generation ||
	    strcmp(again.crc32c, o.crc32c) || strcmp(again.md5, o.md5))
		FAIL("object does not round-trip: %s", doc);
}

static void fuzz_list(const char *text, size_t len, size_t stop_at)
{
	struct page p = {.stop_at = stop_at};
	char why[320], *next = NULL;
	int rc;

	rc = lyb_gcs_parse_list_page(text, len, on_entry, &p, &next, why,
				     sizeof(why));
	if (rc == -EINTR && (stop_at == 0 || p.calls != stop_at))
		FAIL("list: -EINTR without the callback asking");
	if (rc == -EBADMSG && !why[0])
		FAIL("list rejected without a reason");
	if (rc != 0 && rc != -EBADMSG && rc != -ENOMEM && rc != -EINTR)
		FAIL("list: unexpected %d", rc);
	if (rc && next)
		FAIL("list failed (%d) but gave a next page token", rc);
	if (next && !next[0])
		FAIL("an empty next page token");
	if (p.valid > p.calls)
		FAIL("more valid keys than entries");
	free(next);
}

/* Like http.c's Range header: at most 63 bytes, NUL-terminated. */
static void fuzz_range(const char *text, size_t len)
{
	char range[64];
	size_t next = 12345;
	int rc;

	if (len >= sizeof(range))
		len = sizeof(range) - 1;
	memcpy(range, text, len);
	range[len] = '\0';
	rc = lyb_gcs_parse_upload_range(range, &next);
	if (rc != 0 && rc != -EBADMSG)
		FAIL("range: unexpected %d", rc);
	if (rc == 0 && range[0] && next == 0)
		FAIL("range \"%s\" accepted as nothing uploaded", range);
	if (rc == 0 && !range[0] && next != 0)
		FAIL("an empty range is not offset 0");
}

static void fuzz_token(const char *text, size_t len)
{
	char tok[64], why[320];
	double ttl = 0;
	size_t i, n;
	int rc;

	memset(tok, 'x', sizeof(tok));
	rc = lyb_auth_parse_token(text, len, tok, sizeof(tok), &ttl, why,
				  sizeof(why));
	if (rc == -EBADMSG && !why[0])
		FAIL("token rejected without a reason");
	if (rc != 0 && rc != -EBADMSG)
		FAIL("token: unexpected %d", rc);
	if (rc)
		return;
	n = strnlen(tok, sizeof(tok));
	if (n == 0 || n == sizeof(tok) || !(ttl > 0))
		FAIL("token of %zu bytes, ttl %f accepted", n, ttl);
	for (i = 0; i < n; i++)
		if (tok[i] <= ' ' || tok[i] >= 0x7f)
			FAIL("token with byte 0x%02x accepted",
			     (unsigned char)tok[i]);
}

static uint64_t take64(const uint8_t *d, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && i < n; i++)
		v = v << 8 | d[i];
	return v;
}

/*
 * Plants two numbers from the input as size and generation and the rest
 * as an item's name (escaped only where JSON requires it), and checks
 * that they come back as written or are refused for the right reason.
 */
static void fuzz_planted(const uint8_t *data, size_t size)
{
	uint64_t sz = take64(data, size),
		 gen = take64(data + 8, size > 8 ? size - 8 : 0);
	const uint8_t *name = size > 16 ? data + 16 : data;
	size_t nlen = size > 16 ? size - 16 : 0, i, n = 0, cap;
	struct page p = {0};
	struct lyb_object_info o = {0};
	char why[320], *doc, *next = NULL;
	int rc, has_nul = 0;
	int64_t sgen = (int64_t)gen;

	/* big ones must be refused, not wrapped */
	cap = 256 + nlen * 6;
	doc = malloc(cap);
	if (!doc)
		return;
	n = (size_t)snprintf(doc, cap,
			     "{\"size\": \"%" PRIu64
			     "\", \"generation\": \"%" PRId64 "\"}",
			     sz, sgen);
	rc = lyb_gcs_parse_object(doc, n, &o, why, sizeof(why));
	if ((sz <= (uint64_t)INT64_MAX && sgen > 0) != (rc == 0))
		FAIL("size %" PRIu64 " generation %" PRId64 ": %d", sz, sgen,
		     rc);
	if (rc == 0 && (o.size != sz || o.generation != sgen))
		FAIL("planted %" PRIu64 "/%" PRId64 " read as %" PRIu64
		     "/%" PRId64,
		     sz, sgen, o.size, o.generation);

	n = (size_t)snprintf(doc, cap,
			     "{\"items\": [{\"size\": \"1\", \"generation\": "
			     "\"1\", \"name\": \"");
	for (i = 0; i < nlen; i++) {
		uint8_t b = name[i];

		has_nul |= b == 0;
		if (b < 0x20 || b == '"' || b == '\\' || b == 0x7f)
			n += (size_t)snprintf(doc + n, cap - n, "\\u%04x", b);
		else
			doc[n++] = (char)b;
	}
	n += (size_t)snprintf(doc + n, cap - n, "\"}]}");
	p.want = name;
	p.wantlen = nlen;
	rc = lyb_gcs_parse_list_page(doc, n, on_entry, &p, &next, why,
				     sizeof(why));
	if (rc == 0 && has_nul)
		FAIL("a name with NUL accepted");
	if (rc == 0 && p.items != 1)
		FAIL("one item planted, %zu listed", p.items);
	free(next);
	free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	fuzz_quiet();
	text = fuzz_strndup(data, size);
	if (!text)
		return 0;
	fuzz_object(text, size);
	fuzz_list(text, size, 0);
	fuzz_list(text, size, 1 + (size % 3));
	fuzz_range(text, size);
	fuzz_token(text, size);
	fuzz_planted(data, size);
	free(text);
	return 0;
}
