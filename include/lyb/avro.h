/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro.h - the Avro object container format: header, block framing, and
 * record counting without decoding.
 *
 * A container file is "Obj\x01", a metadata map (avro.schema, avro.codec),
 * a 16-byte sync marker, then blocks of {long count, long size, size bytes,
 * sync}. This module reads that framing itself (it is what a block index
 * and lazy reads need); decoding records is avro-c's job elsewhere.
 *
 * All parsers take bytes from untrusted storage: every length is checked
 * against the input and against the caps below, and a violation is
 * -EBADMSG with a reason in @err. Reentrant; no shared state.
 */
#ifndef LYB_AVRO_H
#define LYB_AVRO_H

#include <stddef.h>
#include <stdint.h>

#define LYB_AVRO_MAX_HEADER (16u << 20)	      /* header incl. schema */
#define LYB_AVRO_MAX_BLOCK ((int64_t)1 << 31) /* one block's data bytes */

struct lyb_avro_header {
	char *schema; /* the writer schema JSON, NUL-terminated, owned */
	size_t schema_len;
	char codec[32]; /* "null" when the file names none */
	unsigned char sync[16];
	uint64_t data_start; /* offset of the first block */
};

/*
 * Parses a header from the first @len bytes of a file. Returns 0;
 * -EAGAIN when the header is longer than @len (*@need is then a length
 * that will do, never more than LYB_AVRO_MAX_HEADER); -EBADMSG when the
 * bytes are not an Avro container header.
 */
int lyb_avro_header_parse(const void *buf, size_t len,
			  struct lyb_avro_header *h, size_t *need, char *err,
			  size_t errlen);
void lyb_avro_header_clear(struct lyb_avro_header *h);

/*
 * Parses a block header (two zig-zag longs) at @buf. Returns 0 with the
 * record @count, data @size and header length @hdrlen; -EAGAIN when @len
 * is too short; -EBADMSG for negative or oversized values.
 */
int lyb_avro_block_parse(const void *buf, size_t len, int64_t *count,
			 int64_t *size, size_t *hdrlen);

/* Reads up to @len bytes at @off; *@got < @len only at end of file. */
typedef int (*lyb_read_fn)(void *arg, uint64_t off, void *buf, size_t len,
			   size_t *got);

/*
 * Counts the records of a container file of @size bytes by walking its
 * block headers and checking each sync marker, without decoding. Returns
 * 0, -EBADMSG (with @err) for a malformed or truncated file, or the
 * reader's error.
 */
int lyb_avro_count(lyb_read_fn read, void *arg, uint64_t size, int64_t *rows,
		   char *err, size_t errlen);

#endif
