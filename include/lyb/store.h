/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h - object stores behind catalog locations and the catalog itself.
 *
 * A store is a flat namespace of byte objects addressed by key. A URL
 * names a store and a key prefix:
 *   file:///abs/dir/x   -> the local file system, key "abs/dir/x"
 *   gs://bucket/a/b     -> GCS bucket "bucket", key "a/b"
 * Keys never start with '/', never contain "." or ".." components, empty
 * components, NUL or control characters (lyb_store_key_valid()).
 *
 * Every object has a generation: GCS's object generation, or for files the
 * modification time in nanoseconds, which catalog writes under the store's
 * lock make strictly increasing. Reads may be pinned to a generation so an
 * immutable version never changes under a reader.
 *
 * Thread safety: a struct lyb_store is refcounted and every function may
 * be called from any thread. A struct lyb_reader has one owner at a time
 * but lyb_reader_pread() may be called concurrently.
 *
 * Errors: 0 or -errno. -ENOENT no such object, -EACCES denied, -EAGAIN a
 * precondition failed (someone else wrote first), -EBUSY a put waited too
 * long for the store's write lock (file://), -EIO the store failed
 * (after retries), -EBADMSG the store answered nonsense, -ENOTSUP the URL
 * scheme is not available.
 */
#ifndef LYB_STORE_H
#define LYB_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "lyb/cache.h"
#include "lyb/digest.h"

struct lyb_store;
struct lyb_reader;

struct lyb_object_info {
	char *key; /* owned by the callee for list callbacks */
	uint64_t size;
	int64_t generation;
	int64_t mtime;			     /* seconds since the epoch */
	char crc32c[LYB_CRC32C_B64_LEN + 1]; /* "" when the store has none */
	char md5[LYB_MD5_B64_LEN + 1];	     /* "" when the store has none */
};

/*
 * Resolves @url to a store (shared, refcounted: release with
 * lyb_store_unref()) and a newly allocated key prefix without a trailing
 * slash ("" for a bucket root). -EINVAL for a malformed URL, -ENOTSUP for
 * an unknown scheme.
 */
int lyb_store_resolve(const char *url, struct lyb_store **store, char **key);
struct lyb_store *lyb_store_ref(struct lyb_store *s);
void lyb_store_unref(struct lyb_store *s); /* accepts NULL */
/* "file" or "gs" */
const char *lyb_store_scheme(const struct lyb_store *s);

/*
 * file:// data confinement (store_file.c). Data objects (lyb_reader_open())
 * of the file:// store open only beneath one of the roots, resolved
 * without following any symlink, magic link or ".." below the root; any
 * other key answers -EACCES, logged. @list is the `file_roots` setting:
 * absolute directories separated by ':' (at most LYB_STORE_FILE_ROOTS_MAX),
 * or "none"; NULL means the default: the catalog's own directory when
 * @catalog_url is file:///..., else none. Until this succeeds no file://
 * data is readable. Not thread safe: call at start-up, before any
 * reader opens. -EINVAL for a malformed list (nothing is then allowed),
 * -E2BIG for too many roots.
 */
#define LYB_STORE_FILE_ROOTS_MAX 64
int lyb_store_file_confine(const char *list, const char *catalog_url);
/* 1 if the file:// key @key (a path without its '/') is a root or under one. */
int lyb_store_file_allowed(const char *key);
/* The roots as "/a:/b" into @buf (cut at @len); returns how many. */
size_t lyb_store_file_roots(char *buf, size_t len);

/* 1 if @key is a valid key (see above), else 0. */
int lyb_store_key_valid(const char *key);
/* Joins prefix and name with one '/', or returns name when prefix is "". */
char *lyb_store_key_join(const char *prefix, const char *name);

int lyb_store_stat(struct lyb_store *s, const char *key,
		   struct lyb_object_info *info);

/*
 * Calls @cb for every object whose key starts with @prefix + "/" (or
 * every object when @prefix is ""), recursively, in key order. @cb
 * returns 0 to go on or a negative errno to stop with that error.
 */
typedef int (*lyb_store_list_cb)(void *arg, const struct lyb_object_info *o);
int lyb_store_list(struct lyb_store *s, const char *prefix,
		   lyb_store_list_cb cb, void *arg);

/*
 * Reads a whole object of at most @max bytes into a NUL-terminated buffer
 * the caller frees. -EFBIG when larger than @max. @generation may be NULL.
 */
int lyb_store_get(struct lyb_store *s, const char *key, size_t max, char **data,
		  size_t *len, int64_t *generation);

/*
 * Writes a whole object atomically: readers see the old or the new bytes,
 * never a mix. @if_generation: -1 unconditional, 0 only if the object does
 * not exist, > 0 only if its generation is that. -EAGAIN when the
 * precondition fails. The new generation goes to @new_generation (may be
 * NULL).
 */
int lyb_store_put(struct lyb_store *s, const char *key, const void *data,
		  size_t len, int64_t if_generation, int64_t *new_generation);
/*
 * lyb_store_put() of an object derived from the object @like (a page CRC
 * sidecar), which must be readable by no one who may not read @like.
 * file://: it gets @like's permission bits and group, or, when the group
 * cannot be given or @like is not a regular file, owner-only (0600);
 * gs://: the bucket's access control, as every object there.
 */
int lyb_store_put_like(struct lyb_store *s, const char *key, const void *data,
		       size_t len, int64_t if_generation,
		       int64_t *new_generation, const char *like);

/*
 * Describes who holds the write lock a put of @key waits for ("pid 12
 * (uid 0)"), after a put answered -EBUSY; "another writer" when the store
 * cannot tell or has no lock (gs://). Informational: it may be stale.
 */
void lyb_store_lock_holder(struct lyb_store *s, const char *key, char *out,
			   size_t outlen);

/*
 * Opens an object for ranged reads. @generation pins the version (0: the
 * live one); @size is the size the caller expects (from the catalog): a
 * store that can check it cheaply does, and answers -EIO on a mismatch.
 */
int lyb_reader_open(struct lyb_store *s, const char *key, int64_t generation,
		    uint64_t size, struct lyb_reader **out);
/*
 * Sends every read of @r straight to the store, never through the block
 * cache: for a reader that reads each byte once and checks the bytes
 * itself (publish.c), whose reads should stay as large as it makes them.
 * Call before reading.
 */
void lyb_reader_direct(struct lyb_reader *r);
/*
 * The object's CRC32C in GCS's base64 form, as the catalog recorded it:
 * the block cache checks the whole object against it before serving any
 * byte, unless block CRC32Cs are known (cache.h). Ignored when malformed.
 * Call before reading.
 */
void lyb_reader_expect_crc32c(struct lyb_reader *r, const char *crc32c_b64);
/* Likewise the object's MD5 in base64, checked when it has no crc32c. */
void lyb_reader_expect_md5(struct lyb_reader *r, const char *md5_b64);
/*
 * The CRC32C of each @block_size bytes of the object (@n of them, the
 * catalog's block_crc32c): the cache checks every block against it before
 * serving any of its bytes. Copied. 0 or -ENOMEM, -EINVAL when @n does
 * not fit the object's size.
 */
int lyb_reader_expect_blocks(struct lyb_reader *r, const uint32_t *crcs,
			     uint64_t n, uint64_t block_size);

/*
 * The object's page CRC sidecar (pagecrc.h): object @key of the same
 * store at @generation, whose rows let the cache check a small read by
 * page (cache.h) once block CRC32Cs are known. Opened on its first use;
 * when it cannot be read, reads go by whole blocks. Copied. 0 or -ENOMEM.
 * Call before reading.
 */
int lyb_reader_expect_pages(struct lyb_reader *r, const char *key,
			    int64_t generation);

/*
 * Reads up to @len bytes at @off into @buf. *@got < @len only at the end
 * of the object; an error never returns partial bytes as success.
 */
int lyb_reader_pread(struct lyb_reader *r, void *buf, size_t len, uint64_t off,
		     size_t *got);
/*
 * lyb_reader_pread() answering in @sp (cache.h): a cached object's blocks
 * in place, anything else in @sp's own buffer. Release @sp after use; on
 * an error it holds nothing.
 */
int lyb_reader_pread_spans(struct lyb_reader *r, size_t len, uint64_t off,
			   struct lyb_spans *sp);
void lyb_reader_close(struct lyb_reader *r); /* accepts NULL */
/*
 * The block cache's identity of the object (cache.h): its store, key,
 * generation and the checksums expected of it (so blocks checked against
 * one catalog entry's checksums are never taken for another's). -ENOENT
 * when its reads bypass the cache (not pinned to a generation).
 */
int lyb_reader_cache_id(const struct lyb_reader *r,
			unsigned char id[LYB_CACHE_ID_LEN]);

/* Adapter so a reader can feed lyb_read_fn parsers (avro.h, export.h). */
int lyb_reader_read_fn(void *reader, uint64_t off, void *buf, size_t len,
		       size_t *got);

#endif
