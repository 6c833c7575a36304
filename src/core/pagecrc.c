// SPDX-License-Identifier: Apache-2.0
/*
 * pagecrc.c - an object's page CRCs (see include/lyb/pagecrc.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/digest.h"
#include "lyb/pagecrc.h"

static const char magic[8] = "LYBPCRC1";

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t nblocks(uint64_t size)
{
	return (size + LYB_PAGECRC_BLOCK - 1) / LYB_PAGECRC_BLOCK;
}

/* How many of @unit bytes start in [@start, @size) within @span bytes. */
static unsigned units(uint64_t size, uint64_t start, uint64_t span,
		      uint64_t unit)
{
	uint64_t left = size > start ? size - start : 0;

	if (left > span)
		left = span;
	return (unsigned)((left + unit - 1) / unit);
}

/* The length of unit @i of @unit bytes from @start, in an object of @size. */
static uint64_t unit_len(uint64_t size, uint64_t start, unsigned i,
			 uint64_t unit)
{
	uint64_t at = start + (uint64_t)i * unit;

	return size - at < unit ? size - at : unit;
}

uint64_t lyb_pagecrc_size(uint64_t size)
{
	return LYB_PAGECRC_HEADER +
	       nblocks(size) * LYB_PAGECRC_FANOUT * LYB_PAGECRC_ROW;
}

uint64_t lyb_pagecrc_row_off(uint64_t off)
{
	return LYB_PAGECRC_HEADER + off / LYB_PAGECRC_SUB * LYB_PAGECRC_ROW;
}

/* @crcs[0..@n) chained as consecutive pieces of @unit bytes from @start. */
static uint32_t chain(const uint32_t *crcs, unsigned n, uint64_t size,
		      uint64_t start, uint64_t unit)
{
	uint32_t c = n ? crcs[0] : 0;
	unsigned i;

	for (i = 1; i < n; i++)
		c = lyb_crc32c_combine(c, crcs[i],
				       unit_len(size, start, i, unit));
	return c;
}

unsigned char *lyb_pagecrc_build(const uint32_t *pages, uint64_t size)
{
	uint64_t len = lyb_pagecrc_size(size), b, start, sstart;
	uint32_t subs[LYB_PAGECRC_FANOUT];
	unsigned char *p, *row;
	unsigned nsub, npg, s, k;

	if (len > SIZE_MAX)
		return NULL;
	p = calloc(1, (size_t)len);
	if (!p)
		return NULL;
	memcpy(p, magic, sizeof(magic));
	put32(p + 8, (uint32_t)(size >> 32));
	put32(p + 12, (uint32_t)size);
	put32(p + 16, LYB_PAGECRC_BLOCK);
	put32(p + 20, LYB_PAGECRC_SUB);
	put32(p + 24, LYB_PAGECRC_PAGE);
	for (b = 0; b < nblocks(size); b++) {
		start = b * LYB_PAGECRC_BLOCK;
		nsub = units(size, start, LYB_PAGECRC_BLOCK, LYB_PAGECRC_SUB);
		memset(subs, 0, sizeof(subs));
		for (s = 0; s < nsub; s++) {
			sstart = start + (uint64_t)s * LYB_PAGECRC_SUB;
			npg = units(size, sstart, LYB_PAGECRC_SUB,
				    LYB_PAGECRC_PAGE);
			subs[s] = chain(pages + sstart / LYB_PAGECRC_PAGE, npg,
					size, sstart, LYB_PAGECRC_PAGE);
		}
		for (s = 0; s < nsub; s++) {
			row = p +
			      lyb_pagecrc_row_off(
				      start + (uint64_t)s * LYB_PAGECRC_SUB);
			sstart = start + (uint64_t)s * LYB_PAGECRC_SUB;
			npg = units(size, sstart, LYB_PAGECRC_SUB,
				    LYB_PAGECRC_PAGE);
			for (k = 0; k < LYB_PAGECRC_FANOUT; k++)
				put32(row + 4 * k, subs[k]);
			for (k = 0; k < npg; k++)
				put32(row + 64 + 4 * k,
				      pages[sstart / LYB_PAGECRC_PAGE + k]);
		}
	}
	return p;
}

int lyb_pagecrc_row_check(const unsigned char *row, uint64_t size, uint64_t off,
			  uint32_t block_crc,
			  uint32_t pages[LYB_PAGECRC_FANOUT], unsigned *n)
{
	uint32_t subs[LYB_PAGECRC_FANOUT];
	uint64_t start = off / LYB_PAGECRC_BLOCK * LYB_PAGECRC_BLOCK;
	uint64_t sstart = off / LYB_PAGECRC_SUB * LYB_PAGECRC_SUB;
	unsigned nsub, npg, s = (unsigned)((sstart - start) / LYB_PAGECRC_SUB);
	unsigned k;

	if (off >= size)
		return -EBADMSG;
	nsub = units(size, start, LYB_PAGECRC_BLOCK, LYB_PAGECRC_SUB);
	npg = units(size, sstart, LYB_PAGECRC_SUB, LYB_PAGECRC_PAGE);
	for (k = 0; k < LYB_PAGECRC_FANOUT; k++) {
		subs[k] = get32(row + 4 * k);
		pages[k] = get32(row + 64 + 4 * k);
		if ((k >= nsub && subs[k]) || (k >= npg && pages[k]))
			return -EBADMSG; /* slots past the end hold zeros */
	}
	if (chain(subs, nsub, size, start, LYB_PAGECRC_SUB) != block_crc ||
	    chain(pages, npg, size, sstart, LYB_PAGECRC_PAGE) != subs[s])
		return -EBADMSG;
	*n = npg;
	return 0;
}

int lyb_pagecrc_check(const unsigned char *p, size_t len, uint64_t size,
		      const uint32_t *blocks)
{
	uint32_t pages[LYB_PAGECRC_FANOUT];
	uint64_t b, off;
	unsigned s, nsub, n, k;

	if (len != lyb_pagecrc_size(size) || memcmp(p, magic, sizeof(magic)) ||
	    ((uint64_t)get32(p + 8) << 32 | get32(p + 12)) != size ||
	    get32(p + 16) != LYB_PAGECRC_BLOCK ||
	    get32(p + 20) != LYB_PAGECRC_SUB ||
	    get32(p + 24) != LYB_PAGECRC_PAGE || get32(p + 28))
		return -EBADMSG;
	for (b = 0; b < nblocks(size); b++) {
		nsub = units(size, b * LYB_PAGECRC_BLOCK, LYB_PAGECRC_BLOCK,
			     LYB_PAGECRC_SUB);
		for (s = 0; s < LYB_PAGECRC_FANOUT; s++) {
			off = b * LYB_PAGECRC_BLOCK +
			      (uint64_t)s * LYB_PAGECRC_SUB;
			if (s < nsub) {
				if (lyb_pagecrc_row_check(
					    p + lyb_pagecrc_row_off(off), size,
					    off, blocks[b], pages, &n))
					return -EBADMSG;
				continue;
			}
			for (k = 0; k < LYB_PAGECRC_ROW; k++)
				if (p[lyb_pagecrc_row_off(off) + k])
					return -EBADMSG;
		}
	}
	return 0;
}

char *lyb_pagecrc_key(const char *key)
{
	const char *slash = strrchr(key, '/');
	int dir = slash ? (int)(slash - key) + 1 : 0;
	size_t len = strlen(key) + sizeof(".lybcrc") + 1;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "%.*s.%s.lybcrc", dir, key, key + dir);
	return s;
}
