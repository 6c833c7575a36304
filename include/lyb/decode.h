/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decode.h - records as JSON lines: Avro container blocks decoded with
 * avro-c, and Snowflake export files (JSON lines, or CSV with a header
 * row) streamed line by line.
 *
 * Two encodings of Avro records (docs/json.md has the full mapping, with
 * an example per type):
 *
 * LYB_JSON_PLAIN (data.jsonl, `lyb head`): the shape tools expect.
 * Records are objects in field order; a union is its value as is (null,
 * or the branch's value), except a union two of whose non-null branches
 * could write the same kind of JSON value (["int","long"], two records,
 * a string and a double), whose values are {"<type name>": value} as
 * below, always, so that a column keeps one shape; bytes and fixed are
 * base64 strings (RFC 4648, padded); logical types are text: date
 * "YYYY-MM-DD", time-millis/-micros "HH:MM:SS.fff"/".ffffff",
 * timestamp-millis/-micros RFC 3339 UTC "YYYY-MM-DDTHH:MM:SS.fffZ" (six
 * digits for micros), local-timestamp-* the same without "Z", decimal
 * its exact decimal text ("-12.30"), uuid its string. A date or time
 * outside the years 0000..9999 (or a time of day outside the day) is
 * written as its number; a decimal of more than 64 bytes as its bytes.
 *
 * LYB_JSON_AVRO (data.avro.json): the Avro specification's JSON
 * encoding: unions are null or {"<type name>": value} (named types by
 * full name); bytes and fixed are strings whose code points are the byte
 * values (U+0000..U+00FF); logical types are encoded as their underlying
 * type (a date is its int, a decimal its bytes).
 *
 * In both, enums are their symbol; JSON has no NaN or infinities: those
 * floats are the strings "NaN", "Infinity" and "-Infinity". Floats and
 * doubles are written as the shortest decimal that reads back exactly,
 * with a ".0" when integral.
 *
 * Reentrant; input is untrusted and every failure is -EBADMSG with the
 * reason in @err, except the limits below (-EOVERFLOW: the data may be
 * fine, but decoding it would cost the process more than it may spend).
 */
#ifndef LYB_DECODE_H
#define LYB_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "lyb/avro.h"
#include "lyb/buf.h"
#include "lyb/export.h"

enum lyb_json_enc {
	LYB_JSON_PLAIN,
	LYB_JSON_AVRO,
};

/* Called with each record as one JSON line (with its '\n'); return 0 to
 * go on, 1 to stop, or -errno. */
typedef int (*lyb_line_cb)(void *arg, const char *line, size_t len);

/*
 * Decodes the records of an Avro container file read through @read, in
 * file order, calling @cb for each, until @cb stops or the file ends.
 * Reads only the header and the blocks it decodes.
 */
int lyb_decode_avro(lyb_read_fn read, void *arg, uint64_t size,
		    enum lyb_json_enc enc, lyb_line_cb cb, void *cbarg,
		    char *err, size_t errlen);

/*
 * Block-level decoding, for reads that start in the middle of a file (the
 * data.jsonl view). A decoder is bound to one writer schema; avro-c's
 * generic class for it is made once per process and shared (see
 * decode.c). One owner at a time; different decoders may be used
 * concurrently. A writer schema past lyb_schema_bound()'s limits (nested
 * deeper than LYB_SCHEMA_DEPTH_MAX, or recursive) is -EOVERFLOW: no
 * decoder, so no data of it is ever handed to avro-c.
 */
struct lyb_avro_decoder;
int lyb_avro_decoder_new(const char *schema, size_t len, enum lyb_json_enc enc,
			 struct lyb_avro_decoder **out, char *err,
			 size_t errlen);
void lyb_avro_decoder_free(struct lyb_avro_decoder *d); /* accepts NULL */
/*
 * Decodes whole blocks: @mem holds a container file's first @data_start
 * bytes (its header, with the codec and sync marker) followed by @len -
 * @data_start bytes of consecutive blocks, the first being block
 * @first_block of the file, at file offset @first_off (for messages).
 * @mem is not modified. Calls @cb per record as lyb_decode_avro() does.
 * A failure names the block.
 *
 * The decode-amplification limits of avro.h are enforced here, for every
 * caller: every block header in @mem is checked before avro-c decodes
 * anything (a block claiming more records than lyb_avro_records_max() is
 * -EBADMSG), and a block whose JSON grows past lyb_avro_json_max() stops
 * the decoding at that record with -EOVERFLOW.
 */
int lyb_avro_decode_blocks(struct lyb_avro_decoder *d, const void *mem,
			   size_t len, size_t data_start, uint64_t first_block,
			   uint64_t first_off, lyb_line_cb cb, void *cbarg,
			   char *err, size_t errlen);
/*
 * The same decoding, measuring instead of calling back: each record is
 * decoded once and encoded in every encoding of @encs (bit 1 << enc, the
 * decoder's own encoding or not), and the bytes of its lines are added
 * to @json[enc] (LYB_JSON_PLAIN and LYB_JSON_AVRO). The limits apply to
 * each encoding. After a failure @json is meaningless.
 */
int lyb_avro_decode_sizes(struct lyb_avro_decoder *d, const void *mem,
			  size_t len, size_t data_start, uint64_t first_block,
			  uint64_t first_off, unsigned encs, uint64_t json[2],
			  char *err, size_t errlen);

/*
 * Streams an export file's records as JSON lines: JSON exports line by
 * line (decompressed when gzip), CSV records as objects keyed by the
 * header row, every value a string.
 */
int lyb_decode_export(lyb_read_fn read, void *arg, uint64_t size,
		      enum lyb_export_format format, lyb_line_cb cb,
		      void *cbarg, char *err, size_t errlen);

#endif
