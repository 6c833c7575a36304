// SPDX-License-Identifier: Apache-2.0
/*
 * avro.c - the Avro object container framing (see avro.h), read by hand:
 * every length comes from untrusted storage and is checked before use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/avro.h"

#define FIRST_READ (64u << 10)

/* Reads one zig-zag varint long. 0, -EAGAIN (need more) or -EBADMSG. */
static int read_long(const unsigned char *p, size_t len, size_t *pos,
		     int64_t *out)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	for (;;) {
		unsigned char b;

		if (*pos >= len)
			return -EAGAIN;
		if (shift > 63)
			return -EBADMSG;
		b = p[(*pos)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	*out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
	return 0;
}

static int bad(char *err, size_t errlen, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", why);
	return -EBADMSG;
}

void lyb_avro_header_clear(struct lyb_avro_header *h)
{
	free(h->schema);
	memset(h, 0, sizeof(*h));
}

int lyb_avro_header_parse(const void *buf, size_t len,
			  struct lyb_avro_header *h, size_t *need, char *err,
			  size_t errlen)
{
	const unsigned char *p = buf;
	size_t pos = 4;
	int64_t count;
	int rc;

	memset(h, 0, sizeof(*h));
	snprintf(h->codec, sizeof(h->codec), "null");
	if (len < 4)
		goto out_more;
	if (memcmp(p, "Obj\x01", 4) != 0)
		return bad(err, errlen, "not an Avro container (bad magic)");
	for (;;) {
		rc = read_long(p, len, &pos, &count);
		if (rc)
			goto out_rc;
		if (count == 0)
			break;
		if (count < 0) {
			int64_t bytes;

			if (count == INT64_MIN) {
				rc = bad(err, errlen, "header: bad map block");
				goto out_clear;
			}
			count = -count;
			rc = read_long(p, len, &pos, &bytes);
			if (rc)
				goto out_rc;
		}
		while (count-- > 0) {
			const unsigned char *key, *val;
			int64_t klen, vlen;

			if ((rc = read_long(p, len, &pos, &klen)))
				goto out_rc;
			if (klen < 0 || (uint64_t)klen > LYB_AVRO_MAX_HEADER) {
				rc = bad(err, errlen,
					 "header: bad metadata key length");
				goto out_clear;
			}
			if ((uint64_t)klen > len - pos)
				goto out_more;
			key = p + pos;
			pos += (size_t)klen;
			if ((rc = read_long(p, len, &pos, &vlen)))
				goto out_rc;
			if (vlen < 0 || (uint64_t)vlen > LYB_AVRO_MAX_HEADER) {
				rc = bad(err, errlen,
					 "header: bad metadata value length");
				goto out_clear;
			}
			if ((uint64_t)vlen > len - pos)
				goto out_more;
			val = p + pos;
			pos += (size_t)vlen;
			if (klen == 11 && memcmp(key, "avro.schema", 11) == 0) {
				free(h->schema);
				h->schema = malloc((size_t)vlen + 1);
				if (!h->schema)
					return -ENOMEM;
				memcpy(h->schema, val, (size_t)vlen);
				h->schema[vlen] = '\0';
				h->schema_len = (size_t)vlen;
			} else if (klen == 10 &&
				   memcmp(key, "avro.codec", 10) == 0) {
				if ((size_t)vlen >= sizeof(h->codec)) {
					rc = bad(err, errlen,
						 "header: codec name too long");
					goto out_clear;
				}
				memcpy(h->codec, val, (size_t)vlen);
				h->codec[vlen] = '\0';
			}
		}
	}
	if (len - pos < 16)
		goto out_more;
	memcpy(h->sync, p + pos, 16);
	h->data_start = pos + 16;
	if (!h->schema) {
		lyb_avro_header_clear(h);
		return bad(err, errlen, "header: no avro.schema");
	}
	return 0;
out_clear: /* a bad header, perhaps after the schema was copied */
	lyb_avro_header_clear(h);
	return rc;
out_rc:
	if (rc != -EAGAIN) {
		lyb_avro_header_clear(h);
		return bad(err, errlen, "header: bad varint");
	}
out_more:
	lyb_avro_header_clear(h);
	if (len >= LYB_AVRO_MAX_HEADER)
		return bad(err, errlen, "header: larger than 16 MiB");
	*need = len < FIRST_READ / 2 ? FIRST_READ : len * 2;
	if (*need > LYB_AVRO_MAX_HEADER)
		*need = LYB_AVRO_MAX_HEADER;
	return -EAGAIN;
}

int64_t lyb_avro_records_max(int64_t size)
{
	if (size < 0)
		return LYB_AVRO_RECORDS_FREE;
	if (size > LYB_AVRO_MAX_BLOCK)
		size = LYB_AVRO_MAX_BLOCK; /* no overflow below */
	return size * LYB_AVRO_RECORDS_PER_BYTE + LYB_AVRO_RECORDS_FREE;
}

uint64_t lyb_avro_json_max(int64_t size)
{
	uint64_t max;

	if (size < 0)
		size = 0;
	if (size > LYB_AVRO_MAX_BLOCK)
		size = LYB_AVRO_MAX_BLOCK;
	max = (uint64_t)size * LYB_AVRO_JSON_PER_BYTE + LYB_AVRO_JSON_FREE;
	return max < LYB_AVRO_BLOCK_JSON_MAX ? max : LYB_AVRO_BLOCK_JSON_MAX;
}

int lyb_avro_block_parse(const void *buf, size_t len, int64_t *count,
			 int64_t *size, size_t *hdrlen)
{
	size_t pos = 0;
	int rc;

	if ((rc = read_long(buf, len, &pos, count)) ||
	    (rc = read_long(buf, len, &pos, size)))
		return rc;
	if (*count < 0 || *size < 0 || *size > LYB_AVRO_MAX_BLOCK)
		return -EBADMSG;
	*hdrlen = pos;
	return *count > lyb_avro_records_max(*size) ? -ERANGE : 0;
}

/* Reads exactly @len bytes at @off, or fails with -EBADMSG (truncated). */
static int read_exact(lyb_read_fn read, void *arg, uint64_t off, void *buf,
		      size_t len)
{
	size_t got;
	int rc = read(arg, off, buf, len, &got);

	if (rc)
		return rc;
	return got == len ? 0 : -EBADMSG;
}

int lyb_avro_open(lyb_read_fn read, void *arg, uint64_t size,
		  struct lyb_avro_file *f, char *err, size_t errlen)
{
	size_t want = FIRST_READ, got, need;
	unsigned char *grown;
	int rc;

	memset(f, 0, sizeof(*f));
	f->read = read;
	f->arg = arg;
	f->size = size;
	/* the header, read in growing steps */
	for (;;) {
		if (want > size)
			want = (size_t)size;
		grown = realloc(f->head, want ? want : 1);
		if (!grown) {
			rc = -ENOMEM;
			goto out_fail;
		}
		f->head = grown;
		rc = read(arg, 0, f->head, want, &got);
		if (rc)
			goto out_fail;
		rc = lyb_avro_header_parse(f->head, got, &f->h, &need, err,
					   errlen);
		if (rc != -EAGAIN)
			break;
		if (got < want || want == size) { /* the file ends first */
			rc = bad(err, errlen, "truncated header");
			goto out_fail;
		}
		want = need;
	}
	if (rc)
		goto out_fail;
	f->off = f->h.data_start;
	return 0;
out_fail:
	free(f->head);
	f->head = NULL;
	return rc;
}

/* Frames the block at f->off from its header's bytes: 0, 1 at the end. */
static int frame(struct lyb_avro_file *f, struct lyb_avro_block *b, char *err,
		 size_t errlen)
{
	unsigned char bh[20];
	uint64_t left = f->size - f->off;
	size_t n = left < sizeof(bh) ? (size_t)left : sizeof(bh);
	int rc;

	if (f->off >= f->size)
		return 1;
	b->index = f->block;
	b->off = f->off;
	rc = read_exact(f->read, f->arg, f->off, bh, n);
	if (rc == 0)
		rc = lyb_avro_block_parse(bh, n, &b->count, &b->size,
					  &b->hdrlen);
	if (rc == 0 && (uint64_t)b->size + 16 > left - b->hdrlen)
		rc = -EBADMSG;
	if (rc == -ERANGE) {
		snprintf(err, errlen,
			 "block %llu at offset %llu: claims %lld records in "
			 "%lld bytes (at most %d per byte + %d)",
			 (unsigned long long)b->index,
			 (unsigned long long)b->off, (long long)b->count,
			 (long long)b->size, LYB_AVRO_RECORDS_PER_BYTE,
			 LYB_AVRO_RECORDS_FREE);
		return -EBADMSG;
	}
	if (rc == -EBADMSG || rc == -EAGAIN) {
		snprintf(err, errlen,
			 "block %llu at offset %llu: truncated or bad block "
			 "header",
			 (unsigned long long)b->index,
			 (unsigned long long)b->off);
		return -EBADMSG;
	}
	if (rc)
		return rc;
	b->total = b->hdrlen + (size_t)b->size + 16;
	return 0;
}

/* Checks the block's sync marker and moves past the block. */
static int framed(struct lyb_avro_file *f, const struct lyb_avro_block *b,
		  const unsigned char *sync, char *err, size_t errlen)
{
	if (memcmp(sync, f->h.sync, 16) != 0) {
		snprintf(err, errlen,
			 "block %llu at offset %llu: sync marker mismatch",
			 (unsigned long long)b->index,
			 (unsigned long long)b->off);
		return -EBADMSG;
	}
	f->off += b->total;
	f->block++;
	return 0;
}

int lyb_avro_next(struct lyb_avro_file *f, struct lyb_avro_block *b, char *err,
		  size_t errlen)
{
	unsigned char sync[16];
	int rc = frame(f, b, err, errlen);

	if (rc == 0)
		rc = read_exact(f->read, f->arg, f->off + b->total - 16, sync,
				16);
	return rc ? rc : framed(f, b, sync, err, errlen);
}

int lyb_avro_next_read(struct lyb_avro_file *f, struct lyb_avro_block *b,
		       unsigned char **mem, size_t *cap, char *err,
		       size_t errlen)
{
	size_t hs = (size_t)f->h.data_start, need;
	unsigned char *grown;
	int rc = frame(f, b, err, errlen);

	if (rc)
		return rc;
	need = hs + b->total;
	if (need > *cap) {
		grown = realloc(*mem, need);
		if (!grown)
			return -ENOMEM;
		*mem = grown;
		*cap = need;
	}
	memcpy(*mem, f->head, hs);
	rc = read_exact(f->read, f->arg, b->off, *mem + hs, b->total);
	if (rc == -EBADMSG) {
		snprintf(err, errlen, "block %llu at offset %llu: truncated",
			 (unsigned long long)b->index,
			 (unsigned long long)b->off);
		return rc;
	}
	return rc ? rc : framed(f, b, *mem + need - 16, err, errlen);
}

void lyb_avro_close(struct lyb_avro_file *f)
{
	lyb_avro_header_clear(&f->h);
	free(f->head);
	f->head = NULL;
}

int lyb_avro_count(lyb_read_fn read, void *arg, uint64_t size, int64_t *rows,
		   char *err, size_t errlen)
{
	struct lyb_avro_file f;
	struct lyb_avro_block b;
	int64_t total = 0;
	int rc;

	rc = lyb_avro_open(read, arg, size, &f, err, errlen);
	if (rc)
		return rc;
	while ((rc = lyb_avro_next(&f, &b, err, errlen)) == 0)
		total += b.count;
	lyb_avro_close(&f);
	if (rc < 0)
		return rc;
	*rows = total;
	return 0;
}
