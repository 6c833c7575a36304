// SPDX-License-Identifier: Apache-2.0
/*
 * store.c - URL resolution, the registry of open stores, key validation,
 * and argument checks in front of the backends (store_file.c for file://,
 * store_gcs.c for gs://).
 *
 * Stores are shared: every location in the catalog that names the same
 * bucket uses one store (one connection pool, one credential cache). The
 * registry is a short list under one mutex; stores stay registered until
 * their last reference goes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/clock.h"
#include "lyb/digest.h"
#include "lyb/log.h"
#include "lyb/metrics.h"
#include "lyb/pagecrc.h"
#include "store_impl.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lyb_store *registry; /* under registry_lock */

int lyb_store_key_valid(const char *key)
{
	const char *p = key, *comp = key;
	size_t len = strlen(key);

	if (len == 0 || len > 4096 || key[0] == '/')
		return 0;
	for (;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - comp);

			if (n == 0 || n > 1024 || (n == 1 && comp[0] == '.') ||
			    (n == 2 && comp[0] == '.' && comp[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			comp = p + 1;
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			return 0;
		}
	}
}

char *lyb_store_key_join(const char *prefix, const char *name)
{
	size_t pl = strlen(prefix), nl = strlen(name);
	char *k = malloc(pl + nl + 2);

	if (!k)
		return NULL;
	if (pl == 0) {
		memcpy(k, name, nl + 1);
		return k;
	}
	memcpy(k, prefix, pl);
	k[pl] = '/';
	memcpy(k + pl + 1, name, nl + 1);
	return k;
}

/* Splits "scheme://bucket/key" into its parts; key loses trailing '/'. */
static int parse_url(const char *url, char *scheme, size_t scheme_len,
		     char **bucket, char **key)
{
	const char *sep = strstr(url, "://"), *b, *slash;
	size_t n;

	if (!sep || (size_t)(sep - url) >= scheme_len || sep == url)
		return -EINVAL;
	memcpy(scheme, url, (size_t)(sep - url));
	scheme[sep - url] = '\0';
	b = sep + 3;
	slash = strchr(b, '/');
	if (!slash)
		slash = b + strlen(b);
	*bucket = strndup(b, (size_t)(slash - b));
	if (*slash == '/')
		slash++;
	n = strlen(slash);
	while (n > 0 && slash[n - 1] == '/')
		n--;
	*key = strndup(slash, n);
	if (!*bucket || !*key) {
		free(*bucket);
		free(*key);
		return -ENOMEM;
	}
	return 0;
}

int lyb_store_resolve(const char *url, struct lyb_store **store, char **key)
{
	char scheme[16], id[512], *bucket = NULL, *k = NULL;
	struct lyb_store *s;
	int rc;

	rc = parse_url(url, scheme, sizeof(scheme), &bucket, &k);
	if (rc)
		return rc;
	rc = -EINVAL;
	if (strcmp(scheme, "file") == 0) {
		/* file:///abs/dir: the authority must be empty */
		if (bucket[0] != '\0')
			goto out_free;
	} else if (strcmp(scheme, "gs") == 0) {
		if (bucket[0] == '\0' || strlen(bucket) > 222)
			goto out_free;
	} else {
		rc = -ENOTSUP;
		goto out_free;
	}
	if (k[0] != '\0' && !lyb_store_key_valid(k))
		goto out_free;
	snprintf(id, sizeof(id), "%s:%s", scheme, bucket);

	pthread_mutex_lock(&registry_lock);
	for (s = registry; s; s = s->next) {
		if (strcmp(s->id, id) == 0) {
			atomic_fetch_add(&s->refs, 1);
			break;
		}
	}
	if (!s) {
		rc = scheme[0] == 'f' ? lyb_store_file_new(bucket, &s)
				      : lyb_store_gcs_new(bucket, &s);
		if (rc == 0) {
			s->id = strdup(id);
			if (!s->id) {
				s->ops->destroy(s);
				rc = -ENOMEM;
			} else {
				atomic_init(&s->refs, 1);
				s->next = registry;
				registry = s;
			}
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (!s) {
		if (rc == -ENOTSUP)
			lyb_log(LYB_LOG_ERR,
				"%s: the %s:// store is not available", url,
				scheme);
		goto out_free;
	}
	*store = s;
	*key = k;
	k = NULL;
	rc = 0;
out_free:
	free(bucket);
	free(k);
	return rc;
}

struct lyb_store *lyb_store_ref(struct lyb_store *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void lyb_store_unref(struct lyb_store *s)
{
	struct lyb_store **pp;

	if (!s)
		return;
	pthread_mutex_lock(&registry_lock);
	if (atomic_fetch_sub(&s->refs, 1) != 1) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	free(s->id);
	s->ops->destroy(s);
}

const char *lyb_store_scheme(const struct lyb_store *s)
{
	return s->ops->scheme;
}

/* Counts and times every store request in one place. */
static int measured(struct lyb_store *s, enum lyb_store_op op, double t0,
		    int rc, uint64_t bytes)
{
	lyb_metrics_store(op, s->ops->scheme, rc, bytes, lyb_mono() - t0);
	return rc;
}

int lyb_store_stat(struct lyb_store *s, const char *key,
		   struct lyb_object_info *info)
{
	double t0 = lyb_mono();

	if (!lyb_store_key_valid(key))
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	return measured(s, LYB_OP_STAT, t0, s->ops->stat(s, key, info), 0);
}

int lyb_store_list(struct lyb_store *s, const char *prefix,
		   lyb_store_list_cb cb, void *arg)
{
	double t0 = lyb_mono();

	if (prefix[0] != '\0' && !lyb_store_key_valid(prefix))
		return -EINVAL;
	return measured(s, LYB_OP_LIST, t0, s->ops->list(s, prefix, cb, arg),
			0);
}

int lyb_store_get(struct lyb_store *s, const char *key, size_t max, char **data,
		  size_t *len, int64_t *generation)
{
	double t0 = lyb_mono();
	int64_t gen;
	int rc;

	if (!lyb_store_key_valid(key))
		return -EINVAL;
	rc = s->ops->get(s, key, max, data, len,
			 generation ? generation : &gen);
	return measured(s, LYB_OP_GET, t0, rc, rc ? 0 : *len);
}

int lyb_store_put_like(struct lyb_store *s, const char *key, const void *data,
		       size_t len, int64_t if_generation,
		       int64_t *new_generation, const char *like)
{
	double t0 = lyb_mono();
	int64_t gen;
	int rc;

	if (!lyb_store_key_valid(key) || if_generation < -1 ||
	    (like && !lyb_store_key_valid(like)))
		return -EINVAL;
	rc = s->ops->put(s, key, data, len, if_generation,
			 new_generation ? new_generation : &gen, like);
	return measured(s, LYB_OP_PUT, t0, rc, rc ? 0 : len);
}

int lyb_store_put(struct lyb_store *s, const char *key, const void *data,
		  size_t len, int64_t if_generation, int64_t *new_generation)
{
	return lyb_store_put_like(s, key, data, len, if_generation,
				  new_generation, NULL);
}

void lyb_store_lock_holder(struct lyb_store *s, const char *key, char *out,
			   size_t outlen)
{
	snprintf(out, outlen, "another writer");
	if (s->ops->lock_holder && lyb_store_key_valid(key))
		s->ops->lock_holder(s, key, out, outlen);
}

/* The cache's identity of an object: SHA-256 of store, key, generation. */
static int cache_id(const struct lyb_store *s, const char *key,
		    int64_t generation, unsigned char *id)
{
	unsigned char md[64];
	struct lyb_digest *d;
	char gen[32];
	size_t n = sizeof(md);
	int rc;

	rc = lyb_digest_new(LYB_DIGEST_SHA256, &d);
	if (rc)
		return rc;
	snprintf(gen, sizeof(gen), "%lld", (long long)generation);
	rc = lyb_digest_update(d, s->id, strlen(s->id) + 1);
	if (!rc)
		rc = lyb_digest_update(d, key, strlen(key) + 1);
	if (!rc)
		rc = lyb_digest_update(d, gen, strlen(gen));
	if (!rc)
		rc = lyb_digest_final(d, md, &n);
	lyb_digest_free(d);
	if (!rc)
		memcpy(id, md, LYB_CACHE_ID_LEN);
	return rc;
}

/*
 * Mixes what the catalog expects of the object into its cache identity:
 * blocks fetched unchecked, or checked against other checksums (another
 * catalog entry naming the same object), are never served as checked
 * against these, and a mismatch with one entry's checksums never marks
 * another's blocks corrupt.
 */
static void cache_id_mix(struct lyb_reader *r, const char *tag,
			 const void *data, size_t n)
{
	unsigned char md[64];
	struct lyb_digest *d;
	size_t len = sizeof(md);
	int rc;

	if (!r->cacheable)
		return;
	rc = lyb_digest_new(LYB_DIGEST_SHA256, &d);
	if (rc == 0) {
		rc = lyb_digest_update(d, r->cache_id, sizeof(r->cache_id));
		if (!rc)
			rc = lyb_digest_update(d, tag, strlen(tag) + 1);
		if (!rc)
			rc = lyb_digest_update(d, data, n);
		if (!rc)
			rc = lyb_digest_final(d, md, &len);
		lyb_digest_free(d);
	}
	if (rc == 0)
		memcpy(r->cache_id, md, sizeof(r->cache_id));
	else
		r->cacheable = 0; /* read around the cache, still checked */
}

int lyb_reader_open(struct lyb_store *s, const char *key, int64_t generation,
		    uint64_t size, struct lyb_reader **out)
{
	double t0 = lyb_mono();
	struct lyb_reader *r;
	size_t n;
	int rc;

	if (!lyb_store_key_valid(key))
		return -EINVAL;
	rc = s->ops->reader_open(s, key, generation, size, out);
	if (rc == 0) {
		r = *out;
		r->store = lyb_store_ref(s);
		atomic_init(&r->refs, 1);
		r->size = size;
		r->cacheable = generation > 0 && size != UINT64_MAX &&
			       cache_id(s, key, generation, r->cache_id) == 0;
		n = strlen(s->id) + strlen(key) + 2;
		r->name = malloc(n);
		if (r->name)
			snprintf(r->name, n, "%s/%s", s->id, key);
	}
	return measured(s, LYB_OP_OPEN, t0, rc, 0);
}

/* One request to the backend, counted and timed. */
static int backend_pread(void *arg, void *buf, size_t len, uint64_t off,
			 size_t *got)
{
	struct lyb_reader *r = arg;
	double t0 = lyb_mono();
	int rc;

	*got = 0;
	rc = r->store->ops->reader_pread(r, buf, len, off, got);
	return measured(r->store, LYB_OP_READ, t0, rc, rc ? 0 : *got);
}

static void reader_hold(void *arg)
{
	atomic_fetch_add(&((struct lyb_reader *)arg)->refs, 1);
}

static void reader_release(void *arg)
{
	struct lyb_reader *r = arg;
	struct lyb_store *s;

	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	if (r->pages_key) {
		lyb_reader_close(r->pages);
		pthread_mutex_destroy(&r->pages_lock);
		free(r->pages_key);
	}
	free(r->name);
	free(r->block_crc32c);
	s = r->store;
	s->ops->reader_close(r);
	lyb_store_unref(s);
}

/* @r's sidecar is not offered again, for @rc (the first reason stays). */
static void pages_off(struct lyb_reader *r, int rc)
{
	int none = 0;

	if (atomic_compare_exchange_strong(&r->pages_rc, &none, rc))
		lyb_log(LYB_LOG_DEBUG,
			"%s: its page CRCs cannot be used (%s): small reads of "
			"this open file fetch whole blocks",
			r->name ? r->name : r->pages_key, strerror(-rc));
}

/* The cache's @pages_bad: a row of @arg's sidecar did not check. */
static void pages_bad(void *arg)
{
	pages_off(arg, -EBADMSG);
}

/*
 * Reads @r's page CRC sidecar (the cache's @pages), opening it on first
 * use. Once it fails to open or read, or a row of it does not check
 * (pages_bad), it is offered no more: every read of this open file goes
 * by whole blocks, as without one, and pays no request for it.
 */
static int pages_pread(void *arg, void *buf, size_t len, uint64_t off,
		       size_t *got)
{
	struct lyb_reader *r = arg;
	int rc;

	*got = 0;
	pthread_mutex_lock(&r->pages_lock);
	rc = atomic_load(&r->pages_rc);
	if (rc == 0 && !r->pages) {
		rc = lyb_reader_open(r->store, r->pages_key, r->pages_gen,
				     lyb_pagecrc_size(r->size), &r->pages);
		if (rc == 0)
			lyb_reader_direct(r->pages); /* rows: checked */
	}
	pthread_mutex_unlock(&r->pages_lock);
	if (rc == 0) /* r->pages is set, and stays till the last release */
		rc = lyb_reader_pread(r->pages, buf, len, off, got);
	if (rc == 0 && *got != len)
		rc = -EIO;
	if (rc)
		pages_off(r, rc);
	return rc;
}

/* @r as the cache's source of its bytes. */
static void reader_src(struct lyb_reader *r, struct lyb_cache_src *src)
{
	memset(src, 0, sizeof(*src));
	memcpy(src->id, r->cache_id, sizeof(src->id));
	src->size = r->size;
	src->name = r->name;
	src->has_crc32c = r->has_crc32c;
	src->crc32c = r->crc32c;
	src->has_md5 = r->has_md5;
	memcpy(src->md5, r->md5, sizeof(src->md5));
	src->block_crc32c = r->block_crc32c;
	src->block_crc_size = r->block_crc_size;
	src->fetch = backend_pread;
	if (r->pages_key && r->block_crc32c && !atomic_load(&r->pages_rc)) {
		src->pages = pages_pread;
		src->pages_bad = pages_bad;
	}
	src->hold = reader_hold;
	src->release = reader_release;
	src->arg = r;
}

int lyb_reader_pread(struct lyb_reader *r, void *buf, size_t len, uint64_t off,
		     size_t *got)
{
	struct lyb_cache_src src;

	*got = 0;
	if (len == 0)
		return 0;
	if (!r->cacheable && (!r->block_crc32c || r->size == UINT64_MAX))
		return backend_pread(r, buf, len, off, got);
	reader_src(r, &src);
	/* not pinned: checked block by block, never cached */
	if (!r->cacheable)
		return lyb_cache_pread_uncached(&src, buf, len, off, got);
	return lyb_cache_pread(&src, buf, len, off, got);
}

int lyb_reader_pread_spans(struct lyb_reader *r, size_t len, uint64_t off,
			   struct lyb_spans *sp)
{
	struct lyb_cache_src src;
	size_t got;
	char *buf;
	int rc;

	if (len == 0)
		return 0;
	if (r->cacheable) {
		reader_src(r, &src);
		return lyb_cache_pread_spans(&src, len, off, sp);
	}
	buf = lyb_spans_mem(sp, len, 0);
	rc = buf ? lyb_reader_pread(r, buf, len, off, &got) : -ENOMEM;
	if (rc == 0)
		rc = lyb_spans_add(sp, buf, got);
	if (rc)
		lyb_spans_release(sp);
	return rc;
}

void lyb_reader_direct(struct lyb_reader *r)
{
	r->cacheable = 0;
}

void lyb_reader_expect_crc32c(struct lyb_reader *r, const char *crc32c_b64)
{
	r->has_crc32c = lyb_crc32c_from_b64(crc32c_b64, &r->crc32c) == 0;
	if (r->has_crc32c)
		cache_id_mix(r, "crc32c", &r->crc32c, sizeof(r->crc32c));
}

void lyb_reader_expect_md5(struct lyb_reader *r, const char *md5_b64)
{
	unsigned char md5[LYB_MD5_B64_LEN];
	int n = lyb_base64_decode(md5_b64, strlen(md5_b64), md5, sizeof(md5));

	r->has_md5 = n == (int)sizeof(r->md5);
	if (r->has_md5) {
		memcpy(r->md5, md5, sizeof(r->md5));
		cache_id_mix(r, "md5", r->md5, sizeof(r->md5));
	}
}

int lyb_reader_expect_pages(struct lyb_reader *r, const char *key,
			    int64_t generation)
{
	char *copy = strdup(key);

	if (!copy)
		return -ENOMEM;
	if (!r->pages_key)
		pthread_mutex_init(&r->pages_lock, NULL);
	free(r->pages_key);
	r->pages_key = copy;
	r->pages_gen = generation;
	return 0;
}

int lyb_reader_expect_blocks(struct lyb_reader *r, const uint32_t *crcs,
			     uint64_t n, uint64_t block_size)
{
	uint32_t *copy;

	if (block_size == 0 || n != (r->size + block_size - 1) / block_size)
		return -EINVAL;
	copy = malloc((n ? n : 1) * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, crcs, n * sizeof(*copy));
	free(r->block_crc32c);
	r->block_crc32c = copy;
	r->block_crc_size = block_size;
	cache_id_mix(r, "blocks", copy, n * sizeof(*copy));
	return 0;
}

int lyb_reader_cache_id(const struct lyb_reader *r,
			unsigned char id[LYB_CACHE_ID_LEN])
{
	if (!r->cacheable)
		return -ENOENT;
	memcpy(id, r->cache_id, LYB_CACHE_ID_LEN);
	return 0;
}

void lyb_reader_close(struct lyb_reader *r)
{
	if (r)
		reader_release(r);
}

int lyb_reader_read_fn(void *reader, uint64_t off, void *buf, size_t len,
		       size_t *got)
{
	return lyb_reader_pread(reader, buf, len, off, got);
}
