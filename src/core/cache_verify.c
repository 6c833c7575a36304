// SPDX-License-Identifier: Apache-2.0
/*
 * cache_verify.c - what the cache knows of an object's bytes (cache.h,
 * Integrity): the trusted CRC32C of each block, whole-object checks of
 * objects that have only a whole checksum, and what happens when bytes
 * do not match.
 *
 * The trusted CRC32C of block i is the catalog's (src->block_crc32c), or
 * for an object with only a whole checksum the one computed by the pass
 * that checked it whole, kept in its struct vrec. lyb_cache_fetch_block()
 * never marks a block READY without comparing it with that CRC, so every
 * path out of the cache (hits, read-ahead, bounce buffers when the cap is
 * reached) serves only checked bytes. The records are under cache.lock
 * (cache_impl.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cache_impl.h"
#include "lyb/digest.h"
#include "lyb/log.h"

#define MAX_VRECS 4096	     /* objects with a verification record */
#define MAX_VCRCS (4u << 20) /* block CRCs they keep: 16 MiB, 4 TiB of data */

static struct lyb_cache *const c = &lyb_cache;

static void vrec_free(struct vrec *v)
{
	if (v->crcs)
		c->nvcrcs -= v->nblocks;
	free(v->crcs);
	free(v);
}

static struct vrec **vrec_slot(const unsigned char *id)
{
	struct vrec **p =
		&c->vtable[lyb_cache_hash(id, 0) % LYB_CACHE_VBUCKETS];

	for (; *p; p = &(*p)->next)
		if (memcmp((*p)->id, id, LYB_CACHE_ID_LEN) == 0)
			break;
	return p;
}

/* Forgets the least recently used record not being checked; 0 if none. */
static int vrec_evict(void)
{
	struct vrec **oldest = NULL, **p, *v;
	unsigned i;

	for (i = 0; i < LYB_CACHE_VBUCKETS; i++)
		for (p = &c->vtable[i]; *p; p = &(*p)->next)
			if ((*p)->state != V_CHECKING &&
			    (!oldest || (*p)->stamp < (*oldest)->stamp))
				oldest = p;
	if (!oldest)
		return 0;
	v = *oldest;
	*oldest = v->next;
	vrec_free(v);
	c->nvrecs--;
	return 1;
}

/* The record of @src, created if needed; NULL out of memory. */
static struct vrec *vrec_get(const struct lyb_cache_src *src)
{
	struct vrec **p = vrec_slot(src->id), *v;

	if (*p) {
		(*p)->stamp = ++c->clock;
		return *p;
	}
	if (c->nvrecs >= MAX_VRECS)
		vrec_evict();
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	memcpy(v->id, src->id, sizeof(v->id));
	v->nblocks = lyb_cache_nblocks(src->size, c->bs);
	v->stamp = ++c->clock;
	p = vrec_slot(src->id);
	*p = v;
	c->nvrecs++;
	return v;
}

void lyb_cache_verify_clear(void)
{
	struct vrec *v;
	unsigned i;

	for (i = 0; i < LYB_CACHE_VBUCKETS; i++)
		while ((v = c->vtable[i])) {
			c->vtable[i] = v->next;
			vrec_free(v);
		}
	c->nvrecs = 0;
	c->nvcrcs = 0;
}

int lyb_cache_per_block(const struct lyb_cache_src *src)
{
	return src->block_crc32c && src->block_crc_size == c->bs;
}

int lyb_cache_checked(const struct lyb_cache_src *src)
{
	return lyb_cache_per_block(src) || src->has_crc32c || src->has_md5;
}

int lyb_cache_trusted_crc(const struct lyb_cache_src *src, uint64_t index,
			  uint32_t *crc)
{
	struct vrec *v;
	int have = 0;

	if (lyb_cache_per_block(src)) {
		*crc = src->block_crc32c[index];
		return 1;
	}
	pthread_mutex_lock(&c->lock);
	v = *vrec_slot(src->id);
	if (v && v->state == V_GOOD && index < v->nblocks) {
		*crc = v->crcs[index];
		have = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return have;
}

int lyb_cache_found_corrupt(const struct lyb_cache_src *src, uint64_t index)
{
	struct vrec *v = vrec_get(src);
	const char *name = src->name ? src->name : "an object";

	lyb_cache_purge(src->id, lyb_cache_nblocks(src->size, c->bs));
	if (v && !lyb_cache_per_block(src))
		v->state = V_BAD;
	if (v && v->reported)
		return 0;
	if (v)
		v->reported = 1;
	atomic_fetch_add(&c->corrupt, 1); /* objects, not reads of them */
	if (index == UINT64_MAX)
		lyb_log(LYB_LOG_ERR,
			"%s: its bytes do not match the catalog's checksum: "
			"reads answer EIO",
			name);
	else
		lyb_log(LYB_LOG_ERR,
			"%s: block %llu (bytes %llu..) does not match the "
			"catalog's block_crc32c: reads of it answer EIO",
			name, (unsigned long long)index,
			(unsigned long long)(index * c->bs));
	return 1;
}

void lyb_cache_report_corrupt(const unsigned char *id)
{
	void (*fn)(void *, const unsigned char *);
	void *arg;

	pthread_mutex_lock(&c->lock);
	fn = c->corrupt_fn;
	arg = c->corrupt_arg;
	pthread_mutex_unlock(&c->lock);
	if (fn)
		fn(arg, id);
}

int lyb_cache_known_corrupt(const struct lyb_cache_src *src)
{
	struct vrec *v = *vrec_slot(src->id);

	return v && v->state == V_BAD;
}

/*
 * Reads all of the object from its source and compares; on a match keeps
 * its block CRC32Cs as the trusted ones. Readers of it meanwhile wait on
 * @done.
 */
int lyb_cache_verify_whole(const struct lyb_cache_src *src, int *report)
{
	uint64_t nblocks = lyb_cache_nblocks(src->size, c->bs), i, off;
	unsigned char md5[64];
	struct lyb_digest *d = NULL;
	uint32_t all = 0, *crcs = NULL;
	struct vrec *v;
	size_t want, got, n = sizeof(md5);
	char *buf = NULL;
	int rc = 0, match, bad = 0;

	for (;;) {
		v = vrec_get(src);
		if (!v)
			return -ENOMEM;
		if (v->state == V_GOOD)
			return 0;
		if (v->state == V_BAD)
			return -EIO;
		if (v->state == V_NONE)
			break;
		pthread_cond_wait(&c->done, &c->lock); /* another one checks */
	}
	v->state = V_CHECKING;
	pthread_mutex_unlock(&c->lock);

	crcs = calloc(nblocks ? nblocks : 1, sizeof(*crcs));
	buf = malloc(c->bs);
	if (!crcs || !buf)
		rc = -ENOMEM;
	if (rc == 0 && !src->has_crc32c)
		rc = lyb_digest_new(LYB_DIGEST_MD5, &d);
	for (i = 0, off = 0; rc == 0 && i < nblocks; i++, off += want) {
		want = src->size - off < c->bs ? (size_t)(src->size - off)
					       : c->bs;
		got = 0;
		rc = src->fetch(src->arg, buf, want, off, &got);
		if (rc == 0 && got != want)
			rc = -EIO; /* the size was promised */
		if (rc)
			break;
		crcs[i] = lyb_crc32c_update(0, buf, want);
		all = i ? lyb_crc32c_combine(all, crcs[i], want) : crcs[i];
		if (d)
			rc = lyb_digest_update(d, buf, want);
	}
	if (rc == 0 && d)
		rc = lyb_digest_final(d, md5, &n);
	match = rc == 0 &&
		(src->has_crc32c ? all == src->crc32c
				 : n == 16 && memcmp(md5, src->md5, 16) == 0);
	lyb_digest_free(d);
	free(buf);

	pthread_mutex_lock(&c->lock);
	v = *vrec_slot(src->id); /* V_CHECKING records are never evicted */
	if (rc) {
		v->state = V_NONE; /* the source failed: try again later */
		free(crcs);
	} else if (match) {
		while (c->nvcrcs + nblocks > MAX_VCRCS && vrec_evict())
			;
		v = *vrec_slot(src->id);
		v->state = V_GOOD;
		v->crcs = crcs;
		c->nvcrcs += v->nblocks;
		atomic_fetch_add(&c->verified, 1);
	} else {
		free(crcs);
		v->state = V_NONE;
		*report = lyb_cache_found_corrupt(src, UINT64_MAX);
		bad = 1;
		rc = -EIO;
	}
	pthread_cond_broadcast(&c->done);
	if (bad && lyb_cache_disk_on()) {
		pthread_mutex_unlock(&c->lock);
		lyb_cache_disk_purge(src->id, nblocks);
		pthread_mutex_lock(&c->lock);
	}
	return rc;
}
