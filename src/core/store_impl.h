/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_impl.h - what a store backend implements (private to lyb_core).
 *
 * store.c owns the registry, refcounts and argument checks; a backend
 * fills a struct lyb_store_ops and embeds struct lyb_store as the first
 * member of its own state. Backends: store_file.c (file://) and
 * store_gcs.c (gs://). Keys reaching a backend are already validated.
 */
#ifndef LYB_STORE_IMPL_H
#define LYB_STORE_IMPL_H

#include <stdatomic.h>
#include "lyb/cache.h"
#include "lyb/store.h"

struct lyb_store_ops {
	const char *scheme;
	int (*stat)(struct lyb_store *s, const char *key,
		    struct lyb_object_info *info);
	int (*list)(struct lyb_store *s, const char *prefix,
		    lyb_store_list_cb cb, void *arg);
	int (*get)(struct lyb_store *s, const char *key, size_t max,
		   char **data, size_t *len, int64_t *generation);
	/* @like: NULL, or the key whose access the new object gets */
	int (*put)(struct lyb_store *s, const char *key, const void *data,
		   size_t len, int64_t if_generation, int64_t *new_generation,
		   const char *like);
	int (*reader_open)(struct lyb_store *s, const char *key,
			   int64_t generation, uint64_t size,
			   struct lyb_reader **out);
	int (*reader_pread)(struct lyb_reader *r, void *buf, size_t len,
			    uint64_t off, size_t *got);
	void (*reader_close)(struct lyb_reader *r);
	void (*destroy)(struct lyb_store *s);
	/* optional: lyb_store_lock_holder() */
	void (*lock_holder)(struct lyb_store *s, const char *key, char *out,
			    size_t outlen);
};

struct lyb_store {
	const struct lyb_store_ops *ops;
	atomic_int refs;
	char *id;		/* registry key: "file:" or "gs:BUCKET" */
	struct lyb_store *next; /* registry list, under the registry lock */
};

/* A backend's reader embeds this as its first member. */
/*
 * The generic part of every reader, set by lyb_reader_open() after the
 * backend's reader_open (backends embed it first and zero it).
 */
struct lyb_reader {
	struct lyb_store *store; /* holds a reference */
	atomic_int refs;	 /* the owner and queued read-ahead */
	uint64_t size;
	int cacheable; /* pinned to a generation: blocks never change */
	int has_crc32c;
	uint32_t crc32c;
	int has_md5;
	unsigned char md5[16];
	uint32_t *block_crc32c; /* per block_crc_size bytes, or NULL */
	uint64_t block_crc_size;
	char *name; /* "gs:bucket/key", for logs */
	unsigned char cache_id[LYB_CACHE_ID_LEN];
	/* its page CRC sidecar (lyb_reader_expect_pages), or NULL */
	char *pages_key;
	int64_t pages_gen;
	pthread_mutex_t pages_lock; /* opens @pages */
	struct lyb_reader *pages;   /* opened on first use, then fixed */
	atomic_int pages_rc;	    /* it could not be read or check: why */
};

/* Tests only: 1 makes file:// data open by the per-component walk that
 * stands in for openat2(2) on kernels before 5.6. */
void lyb_store_file_force_walk(int on);

/* Backend constructors: @bucket is "" for file://. */
int lyb_store_file_new(const char *bucket, struct lyb_store **out);
int lyb_store_gcs_new(const char *bucket, struct lyb_store **out);

#endif
