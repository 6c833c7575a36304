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

/*
 * Decode amplification: what one block may decode to, against its data
 * bytes (compressed, when it has a codec). A record may encode to no
 * bytes at all (a record of no fields or only nulls), so a 118-byte file
 * can claim 4e8 records and 1.2 GB of JSON; these caps refuse that while
 * leaving room for real data compressed 1000:1 (deflate's best).
 *
 * Records claimed: at most LYB_AVRO_RECORDS_PER_BYTE per data byte plus
 * LYB_AVRO_RECORDS_FREE, checked on the block header before any decoding.
 * JSON decoded: at most LYB_AVRO_JSON_PER_BYTE per data byte plus
 * LYB_AVRO_JSON_FREE, and never more than LYB_AVRO_BLOCK_JSON_MAX,
 * checked as the block decodes (decode.c).
 */
#define LYB_AVRO_RECORDS_PER_BYTE 1024
#define LYB_AVRO_RECORDS_FREE 1024
#define LYB_AVRO_JSON_PER_BYTE 4096
#define LYB_AVRO_JSON_FREE ((uint64_t)1 << 20)
#define LYB_AVRO_BLOCK_JSON_MAX ((uint64_t)256 << 20)

/*
 * Decompressed data: avro-c inflates a whole block into one buffer (and
 * avro-c 1.11.1 crashes when that buffer cannot grow), so a 1 MB deflate
 * block of zeros took 1 GiB, and a few MB more would have killed the
 * process. A compressed block may decompress to at most
 * LYB_AVRO_INFLATED_MAX bytes; decode.c measures that (deflate: inflated
 * into a small scratch buffer and counted; snappy: its length header;
 * xz: decoded and counted) before avro-c sees the block.
 */
#define LYB_AVRO_INFLATED_MAX ((uint64_t)64 << 20)

/* The most records a block of @size data bytes may claim. */
int64_t lyb_avro_records_max(int64_t size);
/* The most JSON bytes a block of @size data bytes may decode to. */
uint64_t lyb_avro_json_max(int64_t size);

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
 * is too short; -EBADMSG for negative or oversized values; -ERANGE (with
 * @count and @size set) for more records than lyb_avro_records_max().
 */
int lyb_avro_block_parse(const void *buf, size_t len, int64_t *count,
			 int64_t *size, size_t *hdrlen);

/* Reads up to @len bytes at @off; *@got < @len only at end of file. */
typedef int (*lyb_read_fn)(void *arg, uint64_t off, void *buf, size_t len,
			   size_t *got);

/* A container file being walked block by block. */
struct lyb_avro_file {
	lyb_read_fn read;
	void *arg;
	uint64_t size;
	struct lyb_avro_header h;
	unsigned char *head; /* the file's first h.data_start bytes */
	uint64_t off;	     /* where the next block starts */
	uint64_t block;	     /* its index */
};

/* One block's framing: [off, off + total) is header, data and sync. */
struct lyb_avro_block {
	uint64_t index;
	uint64_t off;
	int64_t count;
	int64_t size; /* data bytes, after hdrlen header bytes */
	size_t hdrlen;
	size_t total; /* hdrlen + size + 16 */
};

/*
 * Reads and parses the header of a container file of @size bytes. -EBADMSG
 * (reason in @err) when it is not one. Release with lyb_avro_close().
 */
int lyb_avro_open(lyb_read_fn read, void *arg, uint64_t size,
		  struct lyb_avro_file *f, char *err, size_t errlen);
/*
 * Frames the next block and checks its sync marker, reading only the
 * block header and the marker. Returns 0, 1 at the end of the file, or
 * -EBADMSG naming the block and offset in @err (also for a block that
 * claims more records than lyb_avro_records_max()).
 */
int lyb_avro_next(struct lyb_avro_file *f, struct lyb_avro_block *b, char *err,
		  size_t errlen);
/*
 * Like lyb_avro_next(), but reads the whole block for decoding: *@mem
 * (grown as needed to *@cap bytes; the caller frees it) then holds the
 * file's first h.data_start bytes followed by the block's b->total bytes,
 * as lyb_avro_decode_blocks() takes them. Two reads in order, the block
 * header's first bytes and then the block, so that a buffered sequential
 * reader reads each byte of the file once.
 */
int lyb_avro_next_read(struct lyb_avro_file *f, struct lyb_avro_block *b,
		       unsigned char **mem, size_t *cap, char *err,
		       size_t errlen);
void lyb_avro_close(struct lyb_avro_file *f);

/*
 * Counts the records of a container file of @size bytes by walking its
 * block headers and checking each sync marker, without decoding. Returns
 * 0, -EBADMSG (with @err) for a malformed or truncated file, or the
 * reader's error.
 */
int lyb_avro_count(lyb_read_fn read, void *arg, uint64_t size, int64_t *rows,
		   char *err, size_t errlen);

#endif
