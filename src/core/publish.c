// SPDX-License-Identifier: Apache-2.0
/*
 * publish.c - building a location manifest from objects in a store.
 *
 * Objects whose base name starts with '_' or '.' (job markers such as
 * _SUCCESS, checksum side files) are not data and are left out. Stores
 * that report checksums (GCS) are trusted for them; otherwise each object
 * is read once to compute crc32c and md5. Every object is read once for
 * the CRC32C of each 1 MiB block (LYB_BLOCK_SIZE), which the daemon checks
 * before serving any byte of a block. Then each object is decoded
 * once to record the exact size and block index of data.jsonl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/avro.h"
#include "lyb/export.h"
#include "lyb/log.h"
#include "lyb/publish.h"
#include "lyb/store.h"
#include "lyb/view.h"

#define CHUNK (1u << 20)

struct scan {
	struct lyb_store *store;
	size_t prefix_len; /* key prefix length including its '/' */
	struct lyb_location *loc;
	size_t cap;
	char *err;
	size_t errlen;
	int have_format;
	enum lyb_export_format format;
	int gzip;
};

static int is_marker(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base ? base + 1 : name;
	return base[0] == '_' || base[0] == '.';
}

/*
 * Reads the whole object once for the CRC32C of each LYB_BLOCK_SIZE
 * block, and its crc32c and md5 when the store reported none. When it
 * did report a crc32c, the blocks must add up to it: an object changing
 * under the scan is not published.
 */
static int checksum(struct lyb_reader *r, uint64_t size, struct lyb_object *o)
{
	unsigned char *buf = malloc(CHUNK), md5[16];
	uint64_t nblocks = lyb_object_nblocks(size), off = 0, i;
	struct lyb_digest *d = NULL;
	uint32_t crc = 0, all = 0, *blocks;
	size_t got, n;
	int rc, want_sums = !o->crc32c[0] && !o->md5[0];

	blocks = calloc(nblocks ? nblocks : 1, sizeof(*blocks));
	if (!buf || !blocks) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = want_sums ? lyb_digest_new(LYB_DIGEST_MD5, &d) : 0;
	for (i = 0; rc == 0 && i < nblocks; i++, off += got) {
		n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		rc = lyb_reader_pread(r, buf, n, off, &got);
		if (rc == 0 && got != n)
			rc = -EIO; /* shorter than it said */
		if (rc)
			break;
		blocks[i] = lyb_crc32c_update(0, buf, got);
		all = i ? lyb_crc32c_combine(all, blocks[i], got) : blocks[i];
		if (d)
			rc = lyb_digest_update(d, buf, got);
	}
	if (rc == 0 && d)
		rc = lyb_digest_final(d, md5, &n);
	if (rc == 0 && want_sums) {
		lyb_crc32c_to_b64(all, o->crc32c);
		lyb_base64_encode(md5, n, o->md5);
	} else if (rc == 0 && o->crc32c[0] &&
		   (lyb_crc32c_from_b64(o->crc32c, &crc) != 0 || crc != all)) {
		rc = -EAGAIN; /* changed while read, or a bad checksum */
	}
	if (rc == 0) {
		o->block_crc32c = blocks;
		blocks = NULL;
	}
out_free:
	lyb_digest_free(d);
	free(blocks);
	free(buf);
	return rc;
}

static int scan_one(void *arg, const struct lyb_object_info *info)
{
	struct scan *sc = arg;
	struct lyb_location *loc = sc->loc;
	const char *name = info->key + sc->prefix_len;
	struct lyb_reader *r = NULL;
	struct lyb_object *o;
	char why[256] = "";
	int rc;

	if (is_marker(name))
		return 0;
	if (loc->nobjects == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 16;
		struct lyb_object *objs =
			realloc(loc->objects, cap * sizeof(*objs));

		if (!objs)
			return -ENOMEM;
		loc->objects = objs;
		sc->cap = cap;
	}
	o = &loc->objects[loc->nobjects];
	memset(o, 0, sizeof(*o));
	o->name = strdup(name);
	if (!o->name)
		return -ENOMEM;
	loc->nobjects++;
	o->size = info->size;
	o->generation = info->generation;
	o->rows = -1;
	memcpy(o->crc32c, info->crc32c, sizeof(o->crc32c));
	memcpy(o->md5, info->md5, sizeof(o->md5));

	rc = lyb_reader_open(sc->store, info->key, info->generation, info->size,
			     &r);
	if (rc == -EACCES && strcmp(lyb_store_scheme(sc->store), "file") == 0)
		snprintf(why, sizeof(why),
			 "a symlink, or outside the file:// data roots "
			 "(file_roots): not published");
	if (rc)
		goto out_fail;
	rc = checksum(r, info->size, o);
	if (rc == -EAGAIN)
		snprintf(why, sizeof(why),
			 "its bytes do not match the store's crc32c (changed "
			 "while published?)");
	if (rc)
		goto out_fail;
	if (loc->kind == LYB_LOC_GS) {
		rc = lyb_avro_count(lyb_reader_read_fn, r, info->size, &o->rows,
				    why, sizeof(why));
	} else {
		enum lyb_export_format f;
		int gz;

		rc = lyb_export_detect(name, &f, &gz);
		if (rc) {
			snprintf(why, sizeof(why),
				 "not a .json, .json.gz, .csv or .csv.gz file");
			rc = -EBADMSG;
			goto out_fail;
		}
		if (sc->have_format && (f != sc->format || gz != sc->gzip)) {
			snprintf(why, sizeof(why),
				 "its format differs from the other files");
			rc = -EBADMSG;
			goto out_fail;
		}
		sc->have_format = 1;
		sc->format = f;
		sc->gzip = gz;
		rc = lyb_export_count_rows(lyb_reader_read_fn, r, info->size, f,
					   &o->rows, why, sizeof(why));
	}
out_fail:
	if (rc)
		snprintf(sc->err, sc->errlen, "%s: %s", info->key,
			 why[0] ? why : strerror(-rc));
	lyb_reader_close(r);
	return rc;
}

/*
 * Decodes every object once for the data.jsonl index (view.h). Data that
 * does not decode (corrupt, or a codec avro-c lacks) is still published:
 * its bytes are what they are; data.jsonl then answers EIO, and @warn
 * says so now. Data past the decoding limits (a writer schema nested too
 * deep or recursive, a block decoding to more JSON than its bytes allow:
 * -EOVERFLOW, see decode.h) is refused: it is built to hurt readers, and
 * these are the checks and limits the daemon applies to every read.
 */
static int index_view(struct lyb_location *loc, char *warn, size_t warnlen)
{
	char why[1024] = "";
	int rc;

	/* the Avro JSON encoding's: see view.h */
	rc = lyb_view_index(loc, LYB_JSON_AVRO, &loc->jsonl,
			    loc->kind == LYB_LOC_GS ? &loc->schema : NULL, why,
			    sizeof(why));
	if (rc == -EOVERFLOW) {
		snprintf(warn, warnlen, "refused, past a decoding limit: %s",
			 why[0] ? why : strerror(-rc));
		return rc;
	}
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		snprintf(warn, warnlen,
			 "no data.jsonl index, its reads will fail: %s",
			 why[0] ? why : strerror(-rc));
		return 0;
	}
	/* and the plain JSON's (data.jsonl of a gs copy): a second pass,
	 * so that its exact size is known before the first read too */
	if (loc->kind == LYB_LOC_GS) {
		rc = lyb_view_index(loc, LYB_JSON_PLAIN, &loc->jsonl_plain,
				    NULL, why, sizeof(why));
		if (rc == -ENOMEM || rc == -EOVERFLOW)
			return rc;
		if (rc)
			snprintf(warn, warnlen,
				 "no data.jsonl index, its reads will fail: "
				 "%s",
				 why[0] ? why : strerror(-rc));
	}
	return 0;
}

int lyb_publish_scan(enum lyb_loc_kind kind, const char *url, const char *table,
		     struct lyb_location *loc, char *err, size_t errlen)
{
	struct scan sc = {.loc = loc, .err = err, .errlen = errlen};
	char *prefix = NULL;
	size_t n;
	int rc;

	memset(loc, 0, sizeof(*loc));
	loc->kind = kind;
	err[0] = '\0';
	rc = lyb_store_resolve(url, &sc.store, &prefix);
	if (rc) {
		snprintf(err, errlen, "%s: %s", url,
			 rc == -ENOTSUP ? "unsupported URL scheme"
					: "not a valid URL");
		return rc;
	}
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	loc->url = strndup(url, n);
	loc->table = table ? strdup(table) : NULL;
	if (!loc->url || (table && !loc->table)) {
		rc = -ENOMEM;
		goto out_fail;
	}
	if (strcmp(lyb_store_scheme(sc.store), "file") == 0 &&
	    !lyb_store_file_allowed(prefix)) {
		char roots[512];

		rc = -EACCES;
		snprintf(err, errlen,
			 "%s: outside the file:// data roots (file_roots: "
			 "%s); publish only data under them",
			 url,
			 lyb_store_file_roots(roots, sizeof(roots)) ? roots
								    : "none");
		goto out_fail;
	}
	sc.prefix_len = prefix[0] ? strlen(prefix) + 1 : 0;
	rc = lyb_store_list(sc.store, prefix, scan_one, &sc);
	if (rc == 0 && loc->nobjects == 0)
		rc = -ENOENT;
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", url,
				 rc == -ENOENT ? "no objects there"
					       : strerror(-rc));
		goto out_fail;
	}
	if (kind == LYB_LOC_GS) {
		loc->format = strdup("avro");
	} else {
		loc->format = strdup(lyb_export_format_name(sc.format));
		loc->compression = strdup(sc.gzip ? "gzip" : "none");
	}
	if (!loc->format || (kind == LYB_LOC_SNOW && !loc->compression))
		rc = -ENOMEM;
	if (rc == 0)
		rc = index_view(loc, err, errlen);
out_fail:
	if (rc) {
		lyb_location_clear(loc);
		loc->kind = kind;
	}
	free(prefix);
	lyb_store_unref(sc.store);
	return rc;
}
