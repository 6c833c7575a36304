// SPDX-License-Identifier: Apache-2.0
/*
 * store_gcs.c - the gs:// object store: one bucket of Google Cloud
 * Storage through the process-wide GCS client (gcs.h), so every bucket
 * shares one token cache and one set of connections.
 *
 * Keys are object names. Generations are GCS object generations; readers
 * are pinned to theirs, and their opening costs no request: the size and
 * generation the catalog recorded are checked against every answer.
 * Object names that are not valid keys (empty components, "." or "..",
 * control characters) are skipped when listing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/gcs.h"
#include "lyb/log.h"
#include "store_impl.h"

struct gcs_store {
	struct lyb_store base;
	struct lyb_gcs *gcs;
	char *bucket;
};

struct gcs_reader {
	struct lyb_reader base;
	char *key;
	int64_t generation;
	uint64_t size;
};

struct list_ctx {
	lyb_store_list_cb cb;
	void *arg;
};

static struct gcs_store *to_gcs(struct lyb_store *s)
{
	return (struct gcs_store *)s;
}

static int gcs_stat(struct lyb_store *s, const char *key,
		    struct lyb_object_info *info)
{
	return lyb_gcs_stat(to_gcs(s)->gcs, to_gcs(s)->bucket, key, info);
}

static int list_one(void *arg, const struct lyb_object_info *o)
{
	struct list_ctx *l = arg;

	if (!lyb_store_key_valid(o->key))
		return 0;
	return l->cb(l->arg, o);
}

static int gcs_list(struct lyb_store *s, const char *prefix,
		    lyb_store_list_cb cb, void *arg)
{
	struct list_ctx l = {cb, arg};
	char *p = prefix[0] ? lyb_store_key_join(prefix, "") : strdup("");
	int rc;

	if (!p)
		return -ENOMEM;
	rc = lyb_gcs_list(to_gcs(s)->gcs, to_gcs(s)->bucket, p, NULL, 0,
			  list_one, &l);
	free(p);
	return rc;
}

static int gcs_get(struct lyb_store *s, const char *key, size_t max,
		   char **data, size_t *len, int64_t *generation)
{
	return lyb_gcs_get(to_gcs(s)->gcs, to_gcs(s)->bucket, key, max, data,
			   len, generation);
}

static int gcs_put(struct lyb_store *s, const char *key, const void *data,
		   size_t len, int64_t if_generation, int64_t *new_generation,
		   const char *like)
{
	(void)like; /* the bucket's access control covers every object */
	return lyb_gcs_put(to_gcs(s)->gcs, to_gcs(s)->bucket, key, data, len,
			   if_generation, LYB_GCS_UPLOAD_AUTO, new_generation);
}

static int gcs_reader_open(struct lyb_store *s, const char *key,
			   int64_t generation, uint64_t size,
			   struct lyb_reader **out)
{
	struct gcs_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->key = strdup(key);
	if (!r->key) {
		free(r);
		return -ENOMEM;
	}
	r->generation = generation;
	r->size = size;
	*out = &r->base;
	return 0;
}

static int gcs_reader_pread(struct lyb_reader *base, void *buf, size_t len,
			    uint64_t off, size_t *got)
{
	struct gcs_reader *r = (struct gcs_reader *)base;
	struct gcs_store *s = to_gcs(base->store);

	return lyb_gcs_read(s->gcs, s->bucket, r->key, r->generation, r->size,
			    off, buf, len, got);
}

static void gcs_reader_close(struct lyb_reader *base)
{
	struct gcs_reader *r = (struct gcs_reader *)base;

	free(r->key);
	free(r);
}

static void gcs_destroy(struct lyb_store *s)
{
	lyb_gcs_unref(to_gcs(s)->gcs);
	free(to_gcs(s)->bucket);
	free(s);
}

static const struct lyb_store_ops gcs_ops = {
	.scheme = "gs",
	.stat = gcs_stat,
	.list = gcs_list,
	.get = gcs_get,
	.put = gcs_put,
	.reader_open = gcs_reader_open,
	.reader_pread = gcs_reader_pread,
	.reader_close = gcs_reader_close,
	.destroy = gcs_destroy,
};

/* GCS bucket names: 3..222 of a-z 0-9 - _ . */
static int bucket_valid(const char *b)
{
	size_t n = strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789-_.");

	return n >= 3 && n <= 222 && b[n] == '\0';
}

int lyb_store_gcs_new(const char *bucket, struct lyb_store **out)
{
	struct gcs_store *s;
	int rc;

	if (!bucket_valid(bucket)) {
		lyb_log(LYB_LOG_ERR, "gs://%s: not a valid bucket name",
			bucket);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->bucket = strdup(bucket);
	if (!s->bucket) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = lyb_gcs_default(&s->gcs);
	if (rc)
		goto out_free;
	s->base.ops = &gcs_ops;
	*out = &s->base;
	return 0;
out_free:
	free(s->bucket);
	free(s);
	return rc;
}
