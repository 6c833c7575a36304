/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro_file.h - Avro object container files built by hand in memory, for
 * tests that need exact framing: a header naming a schema (and a codec,
 * when given), then blocks of already-encoded record bytes, each followed
 * by the sync marker. The offsets of what was written are kept so tests
 * can assert exact block offsets.
 */
#ifndef LYB_TEST_AVRO_FILE_H
#define LYB_TEST_AVRO_FILE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define AVRO_FILE_MAX (64u << 10)
#define AVRO_FILE_BLOCKS 16

struct avro_file {
	unsigned char b[AVRO_FILE_MAX];
	size_t len;
	size_t data_start;		    /* the end of the header */
	size_t block_off[AVRO_FILE_BLOCKS]; /* where each block starts */
	size_t nblocks;
};

static const unsigned char avro_sync[16] = "0123456789abcdef";

static inline void avro_put(struct avro_file *f, const void *p, size_t n)
{
	if (f->len + n > sizeof(f->b))
		abort();
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

/* Avro's zig-zag varint long. */
static inline void avro_put_long(struct avro_file *f, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	unsigned char c;

	do {
		c = z & 0x7f;
		z >>= 7;
		if (z)
			c |= 0x80;
		avro_put(f, &c, 1);
	} while (z);
}

/* Starts @f: magic, metadata {avro.schema[, avro.codec]}, sync marker. */
static inline void avro_header(struct avro_file *f, const char *schema,
			       const char *codec)
{
	memset(f, 0, sizeof(*f));
	avro_put(f, "Obj\x01", 4);
	avro_put_long(f, codec ? 2 : 1);
	avro_put_long(f, 11);
	avro_put(f, "avro.schema", 11);
	avro_put_long(f, (int64_t)strlen(schema));
	avro_put(f, schema, strlen(schema));
	if (codec) {
		avro_put_long(f, 10);
		avro_put(f, "avro.codec", 10);
		avro_put_long(f, (int64_t)strlen(codec));
		avro_put(f, codec, strlen(codec));
	}
	avro_put_long(f, 0);
	avro_put(f, avro_sync, 16);
	f->data_start = f->len;
}

/* Appends a block of @count records encoded in @data. */
static inline void avro_block(struct avro_file *f, int64_t count,
			      const void *data, size_t n)
{
	if (f->nblocks < AVRO_FILE_BLOCKS)
		f->block_off[f->nblocks] = f->len;
	f->nblocks++;
	avro_put_long(f, count);
	avro_put_long(f, (int64_t)n);
	avro_put(f, data, n);
	avro_put(f, avro_sync, 16);
}

/* A block of the records {"n": from} .. {"n": to - 1} of schema LONGS. */
#define AVRO_LONGS                                                   \
	"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":" \
	"\"n\",\"type\":\"long\"}]}"

static inline void avro_block_longs(struct avro_file *f, int64_t from,
				    int64_t to)
{
	struct avro_file data;
	int64_t i;

	data.len = 0;
	for (i = from; i < to; i++)
		avro_put_long(&data, i);
	avro_block(f, to - from, data.b, data.len);
}

/* lyb_read_fn over a struct avro_file */
static inline int avro_file_read(void *arg, uint64_t off, void *buf, size_t len,
				 size_t *got)
{
	const struct avro_file *f = arg;

	*got = off < f->len ? f->len - (size_t)off : 0;
	if (*got > len)
		*got = len;
	if (*got)
		memcpy(buf, f->b + off, *got);
	return 0;
}

#endif
