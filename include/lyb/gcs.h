/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gcs.h - a Google Cloud Storage client over the JSON API.
 *
 * Object metadata, paginated listing, ranged media downloads pinned to a
 * generation, whole-object reads, uploads (media, multipart, resumable in
 * chunks) with ifGenerationMatch preconditions, and deletes. Names are
 * percent-encoded as path segments (so '/' is %2F).
 *
 * Every call retries what Google's own clients retry (HTTP 408, 429, 5xx,
 * connection resets, refused connections, timeouts and stalls) with
 * exponential backoff and jitter, within an overall deadline per call; an
 * interrupted ranged read resumes where it stopped, pinned to the
 * generation it started with. 4xx answers are not retried, except one
 * fresh token after a 401.
 *
 * Errors: -ENOENT no such object or bucket, -EACCES 401/403 (bucket and
 * object logged), -EAGAIN a precondition failed (412), -EFBIG larger than
 * the caller's cap, -EBADMSG the server answered nonsense (logged with
 * what was wrong), -EIO retries exhausted at the deadline, the object
 * changed under a pinned read, or another failure (logged). A failed
 * read never hands out partial bytes as a success.
 *
 * Thread safety: a struct lyb_gcs is refcounted and every function may be
 * called from any thread.
 */
#ifndef LYB_GCS_H
#define LYB_GCS_H

#include <stddef.h>
#include <stdint.h>
#include "lyb/store.h"

struct lyb_gcs;

struct lyb_gcs_config {
	/*
	 * "https://storage.googleapis.com" when NULL, unless
	 * $STORAGE_EMULATOR_HOST is set ("host:port" or "http://host:port").
	 */
	const char *endpoint;
	/*
	 * As lyb_auth_new()'s @spec (auth.h): NULL for Application Default
	 * Credentials, "anonymous", or a key file. NULL with an emulator
	 * endpoint from $STORAGE_EMULATOR_HOST means anonymous.
	 */
	const char *credentials;
	unsigned deadline_ms; /* per call, all retries included; 0: 30 s */
	unsigned stall_ms;    /* no byte for this long: retry; 0: 20 s */
	size_t chunk_size; /* resumable chunks, a multiple of 256 KiB; 0: 8 MiB
			    */
};

enum lyb_gcs_upload {
	LYB_GCS_UPLOAD_AUTO, /* multipart up to chunk_size, else resumable */
	LYB_GCS_UPLOAD_MEDIA,
	LYB_GCS_UPLOAD_MULTIPART,
	LYB_GCS_UPLOAD_RESUMABLE,
};

/* @cfg may be NULL (all defaults). */
int lyb_gcs_new(const struct lyb_gcs_config *cfg, struct lyb_gcs **out);
struct lyb_gcs *lyb_gcs_ref(struct lyb_gcs *g);
void lyb_gcs_unref(struct lyb_gcs *g); /* accepts NULL */
/* The endpoint in use, e.g. "https://storage.googleapis.com". */
const char *lyb_gcs_endpoint(const struct lyb_gcs *g);

/*
 * The process-wide client shared by all gs:// stores (one token cache,
 * one set of connections). lyb_gcs_set_default() sets its configuration
 * (copied) and must come before the first lyb_gcs_default(): -EBUSY after.
 */
int lyb_gcs_set_default(const struct lyb_gcs_config *cfg);
int lyb_gcs_default(struct lyb_gcs **out); /* a new reference */

/* Object metadata; @info->key is left NULL. */
int lyb_gcs_stat(struct lyb_gcs *g, const char *bucket, const char *name,
		 struct lyb_object_info *info);

/*
 * Calls @cb for each object whose name starts with @prefix, in name order,
 * fetching pages of @page_size (0: the server's default). With a
 * @delimiter (NULL: none) each common prefix is passed too, as an entry
 * with generation 0 (objects have one > 0). @cb's non-zero return stops
 * the listing and is returned.
 */
int lyb_gcs_list(struct lyb_gcs *g, const char *bucket, const char *prefix,
		 const char *delimiter, unsigned page_size,
		 lyb_store_list_cb cb, void *arg);

/*
 * Reads up to @len bytes at @off of generation @generation (0: the live
 * one, pinned at the first answer) into @buf. @size is the object's size
 * as the caller knows it (UINT64_MAX: unknown): a server answering with
 * another size or generation gives -EIO. *@got < @len only at the end.
 */
int lyb_gcs_read(struct lyb_gcs *g, const char *bucket, const char *name,
		 int64_t generation, uint64_t size, uint64_t off, void *buf,
		 size_t len, size_t *got);

/* A whole object of at most @max bytes, NUL-terminated; caller frees. */
int lyb_gcs_get(struct lyb_gcs *g, const char *bucket, const char *name,
		size_t max, char **data, size_t *len, int64_t *generation);

/*
 * Uploads @data as object @name. @if_generation: -1 unconditional, 0 only
 * if absent, > 0 only if that is the live generation. The server's
 * checksums are compared with ours. @generation gets the new generation.
 */
int lyb_gcs_put(struct lyb_gcs *g, const char *bucket, const char *name,
		const void *data, size_t len, int64_t if_generation,
		enum lyb_gcs_upload how, int64_t *generation);

/* Deletes @name (@if_generation as for lyb_gcs_put, -1 or > 0). */
int lyb_gcs_delete(struct lyb_gcs *g, const char *bucket, const char *name,
		   int64_t if_generation);

#endif
