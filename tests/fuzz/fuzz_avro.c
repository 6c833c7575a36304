// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_avro.c - Avro container files: any bytes as a whole file through
 * the header parser, the block walker (lyb_avro_open/next), the record
 * counter and the record decoder, in both JSON encodings. The walker and
 * the counter must agree, and so must the encodings on how many records
 * decode (their JSON differs in size, so a JSON limit may stop one
 * earlier: that is the only difference allowed).
 */
#include <errno.h>
#include <stdio.h>

#include "fuzz.h"
#include "lyb/avro.h"
#include "lyb/decode.h"

/* stop decoding after this many records: enough to cover every type */
#define LINES_MAX 10000

static int on_line(void *arg, const char *line, size_t len)
{
	size_t *n = arg;

	if (len == 0 || line[len - 1] != '\n') {
		fprintf(stderr, "fuzz_avro: a line without its newline\n");
		abort();
	}
	return ++*n >= LINES_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_mem m = {data, size};
	struct lyb_avro_header h;
	struct lyb_avro_file f;
	struct lyb_avro_block b;
	int64_t rows = -1, walked = 0, count, bsize;
	size_t need, hdrlen, lines = 0, n_avro;
	char err[512];
	int rc, walk_rc = 0;

	fuzz_quiet();
	memset(&h, 0, sizeof(h));
	if (lyb_avro_header_parse(data, size, &h, &need, err, sizeof(err)) == 0)
		lyb_avro_header_clear(&h);
	lyb_avro_block_parse(data, size, &count, &bsize, &hdrlen);

	if (lyb_avro_open(fuzz_mem_read, &m, size, &f, err, sizeof(err)) == 0) {
		while ((walk_rc = lyb_avro_next(&f, &b, err, sizeof(err))) ==
		       0) {
			if (b.off + b.total > size || b.count < 0) {
				fprintf(stderr,
					"fuzz_avro: block %llu "
					"outside the file\n",
					(unsigned long long)b.index);
				abort();
			}
			walked += b.count;
		}
		lyb_avro_close(&f);
	} else {
		walk_rc = -EBADMSG;
	}
	rc = lyb_avro_count(fuzz_mem_read, &m, size, &rows, err, sizeof(err));
	if ((rc == 0) != (walk_rc == 1) || (rc == 0 && rows != walked)) {
		fprintf(stderr, "fuzz_avro: count %d/%lld, walk %d/%lld\n", rc,
			(long long)rows, walk_rc, (long long)walked);
		abort();
	}
	/* both encodings: they decode alike, and must fail alike */
	rc = lyb_decode_avro(fuzz_mem_read, &m, size, LYB_JSON_PLAIN, on_line,
			     &lines, err, sizeof(err));
	n_avro = 0;
	walk_rc = lyb_decode_avro(fuzz_mem_read, &m, size, LYB_JSON_AVRO,
				  on_line, &n_avro, err, sizeof(err));
	if (rc != -EOVERFLOW && walk_rc != -EOVERFLOW &&
	    (rc != walk_rc || lines != n_avro)) {
		fprintf(stderr,
			"fuzz_avro: plain %d (%zu lines), avro %d (%zu lines)\n",
			rc, lines, walk_rc, n_avro);
		abort();
	}
	return 0;
}
