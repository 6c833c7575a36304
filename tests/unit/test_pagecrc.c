// SPDX-License-Identifier: Apache-2.0
/*
 * test_pagecrc.c - page CRC sidecars (pagecrc.c): built from the page
 * CRCs of objects of every awkward size, every row chains to the block
 * CRC32C computed over the bytes and gives each page's CRC32C; a flipped
 * bit anywhere in a row, a wrong block CRC, a wrong header or length, or
 * a non-zero slot past the end is refused; the key is a hidden file
 * beside the object.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lyb/digest.h"
#include "lyb/pagecrc.h"

#define PG LYB_PAGECRC_PAGE

/* An object's bytes, page CRCs and block CRCs. */
struct obj {
	uint64_t size;
	unsigned char *data;
	uint32_t *pages, *blocks;
};

static void obj_make(struct obj *o, uint64_t size, unsigned seed)
{
	uint64_t i, np = (size + PG - 1) / PG,
		    nb = (size + LYB_PAGECRC_BLOCK - 1) / LYB_PAGECRC_BLOCK;

	o->size = size;
	o->data = malloc(size ? size : 1);
	o->pages = calloc(np ? np : 1, sizeof(uint32_t));
	o->blocks = calloc(nb ? nb : 1, sizeof(uint32_t));
	srand(seed);
	for (i = 0; i < size; i++)
		o->data[i] = (unsigned char)rand();
	for (i = 0; i < np; i++)
		o->pages[i] = lyb_crc32c_update(
			0, o->data + i * PG,
			size - i * PG < PG ? size - i * PG : PG);
	for (i = 0; i < nb; i++) {
		uint64_t at = i * LYB_PAGECRC_BLOCK;

		o->blocks[i] = lyb_crc32c_update(0, o->data + at,
						 size - at < LYB_PAGECRC_BLOCK
							 ? size - at
							 : LYB_PAGECRC_BLOCK);
	}
}

static void obj_free(struct obj *o)
{
	free(o->data);
	free(o->pages);
	free(o->blocks);
}

/* Every sub-block's row chains and names its pages' CRCs. */
static void check_rows(const struct obj *o, const unsigned char *p)
{
	uint32_t pages[LYB_PAGECRC_FANOUT];
	uint64_t off;
	unsigned n, k;
	int ok = 1;

	for (off = 0; off < o->size; off += LYB_PAGECRC_SUB) {
		uint64_t b = off / LYB_PAGECRC_BLOCK;
		uint64_t left = o->size - off;
		unsigned want =
			(unsigned)((left < LYB_PAGECRC_SUB ? left
							   : LYB_PAGECRC_SUB) +
				   PG - 1) /
			PG;

		if (lyb_pagecrc_row_check(p + lyb_pagecrc_row_off(off), o->size,
					  off, o->blocks[b], pages, &n) != 0 ||
		    n != want) {
			ok = 0;
			break;
		}
		for (k = 0; k < n; k++)
			if (pages[k] != o->pages[off / PG + k])
				ok = 0;
	}
	CHECK(ok);
}

static void test_sizes(void)
{
	static const uint64_t sizes[] = {
		0,
		1,
		PG - 1,
		PG,
		PG + 1,
		LYB_PAGECRC_SUB - 1,
		LYB_PAGECRC_SUB,
		LYB_PAGECRC_SUB + 1,
		LYB_PAGECRC_BLOCK - 1,
		LYB_PAGECRC_BLOCK,
		LYB_PAGECRC_BLOCK + 1,
		3 * LYB_PAGECRC_BLOCK + 5 * LYB_PAGECRC_SUB + 3 * PG + 17,
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct obj o;
		unsigned char *p;

		obj_make(&o, sizes[i], (unsigned)i + 1);
		p = lyb_pagecrc_build(o.pages, o.size);
		CHECK(p != NULL);
		if (!p) {
			obj_free(&o);
			continue;
		}
		CHECK_RC(lyb_pagecrc_size(o.size),
			 32 + (o.size + LYB_PAGECRC_BLOCK - 1) /
					 LYB_PAGECRC_BLOCK * 16 * 128);
		CHECK_RC(lyb_pagecrc_check(p, (size_t)lyb_pagecrc_size(o.size),
					   o.size, o.blocks),
			 0);
		check_rows(&o, p);
		/* a length or an object size that is not this one's */
		CHECK_RC(lyb_pagecrc_check(p,
					   (size_t)lyb_pagecrc_size(o.size) - 1,
					   o.size, o.blocks),
			 -EBADMSG);
		if (o.size % LYB_PAGECRC_BLOCK)
			CHECK_RC(lyb_pagecrc_check(
					 p, (size_t)lyb_pagecrc_size(o.size),
					 o.size + 1, o.blocks),
				 -EBADMSG);
		free(p);
		obj_free(&o);
	}
}

/* Any flipped bit of a row, or a wrong block CRC, and it does not chain. */
static void test_tamper(void)
{
	uint64_t size = 2 * LYB_PAGECRC_BLOCK + 100000;
	uint32_t pages[LYB_PAGECRC_FANOUT];
	uint64_t offs[] = {0, LYB_PAGECRC_BLOCK + 7 * LYB_PAGECRC_SUB + 5,
			   size - 1};
	unsigned char *p, *row;
	struct obj o;
	unsigned n, bit, i;
	size_t len;
	int refused = 1;

	obj_make(&o, size, 99);
	p = lyb_pagecrc_build(o.pages, size);
	CHECK(p != NULL);
	if (!p) {
		obj_free(&o);
		return;
	}
	len = (size_t)lyb_pagecrc_size(size);
	for (i = 0; i < 3; i++) {
		uint64_t off = offs[i], b = off / LYB_PAGECRC_BLOCK;

		row = p + lyb_pagecrc_row_off(off);
		CHECK_RC(lyb_pagecrc_row_check(row, size, off, o.blocks[b],
					       pages, &n),
			 0);
		CHECK_RC(lyb_pagecrc_row_check(row, size, off, o.blocks[b] ^ 1,
					       pages, &n),
			 -EBADMSG);
		for (bit = 0; bit < 8 * LYB_PAGECRC_ROW; bit++) {
			row[bit / 8] ^= (unsigned char)(1u << (bit % 8));
			if (lyb_pagecrc_row_check(row, size, off, o.blocks[b],
						  pages, &n) == 0)
				refused = 0;
			CHECK_RC(lyb_pagecrc_check(p, len, size, o.blocks),
				 -EBADMSG);
			row[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		}
	}
	CHECK(refused);
	/* past the end of the object */
	CHECK_RC(lyb_pagecrc_row_check(p + lyb_pagecrc_row_off(size - 1), size,
				       size, o.blocks[2], pages, &n),
		 -EBADMSG);
	/* the header: each of its bytes */
	for (i = 0; i < LYB_PAGECRC_HEADER; i++) {
		p[i] ^= 0x40;
		CHECK_RC(lyb_pagecrc_check(p, len, size, o.blocks), -EBADMSG);
		p[i] ^= 0x40;
	}
	/* a non-zero slot past the end: the last block's unused rows */
	p[len - 1] = 1;
	CHECK_RC(lyb_pagecrc_check(p, len, size, o.blocks), -EBADMSG);
	p[len - 1] = 0;
	CHECK_RC(lyb_pagecrc_check(p, len, size, o.blocks), 0);
	free(p);
	obj_free(&o);
}

static void test_key(void)
{
	char *k;

	CHECK_STR(k = lyb_pagecrc_key("part-00000.avro"),
		  ".part-00000.avro.lybcrc");
	free(k);
	CHECK_STR(k = lyb_pagecrc_key("a/b/part-1.avro"),
		  "a/b/.part-1.avro.lybcrc");
	free(k);
}

int main(void)
{
	test_sizes();
	test_tamper();
	test_key();
	return check_failures ? 1 : 0;
}
