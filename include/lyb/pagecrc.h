/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pagecrc.h - an object's page CRCs: the sidecar that lets a small read
 * be checked without fetching its whole block (docs/catalog.md, "Page
 * CRCs").
 *
 * The catalog trusts one CRC32C per 1 MiB block of an object
 * (block_crc32c). The sidecar holds, for every 64 KiB sub-block, the
 * CRC32C of each of its 4 KiB pages, together with its block's 16
 * sub-block CRC32Cs, in one row of 128 bytes. A reader checks a row by
 * chaining it up to the catalog (the sub-block CRCs combine to the block's
 * CRC32C, the page CRCs to their sub-block's), then each page it fetched
 * against its page CRC. A row that does not chain is never used, so a
 * wrong or planted sidecar costs a whole-block fetch, never a wrong byte;
 * its integrity is the catalog's CRC32C's, no more and no less.
 *
 * Layout, all numbers big-endian:
 *   header (32 bytes): "LYBPCRC1", the object's size (u64), the block,
 *                      sub-block and page sizes (u32 each), a zero u32;
 *   rows: for each block b, for each of its 16 sub-block slots s, 128
 *         bytes at 32 + (16 b + s) * 128: the block's 16 sub-block CRC32Cs,
 *         then sub-block s's 16 page CRC32Cs. Slots past the object's end
 *         hold zeros.
 *
 * Thread safety: the functions are reentrant.
 */
#ifndef LYB_PAGECRC_H
#define LYB_PAGECRC_H

#include <stddef.h>
#include <stdint.h>

#define LYB_PAGECRC_BLOCK (1u << 20)
#define LYB_PAGECRC_SUB (64u << 10)
#define LYB_PAGECRC_PAGE (4u << 10)
#define LYB_PAGECRC_FANOUT 16 /* sub-blocks a block, pages a sub-block */
#define LYB_PAGECRC_HEADER 32
#define LYB_PAGECRC_ROW 128

/* The sidecar's size for an object of @size bytes. */
uint64_t lyb_pagecrc_size(uint64_t size);

/* Where the row of the sub-block holding byte @off starts. */
uint64_t lyb_pagecrc_row_off(uint64_t off);

/*
 * The sidecar of an object of @size bytes from @pages, the CRC32C of each
 * of its LYB_PAGECRC_PAGE pages in order (the last may be short): a
 * buffer of lyb_pagecrc_size(@size) bytes the caller frees, or NULL when
 * out of memory.
 */
unsigned char *lyb_pagecrc_build(const uint32_t *pages, uint64_t size);

/*
 * Checks @row, the row of the sub-block holding byte @off of an object of
 * @size bytes, against @block_crc, the catalog's CRC32C of that block. 0
 * with the sub-block's page CRCs in @pages and their count in *@n when it
 * chains up to it; -EBADMSG when it does not (or @off is past the end).
 */
int lyb_pagecrc_row_check(const unsigned char *row, uint64_t size, uint64_t off,
			  uint32_t block_crc,
			  uint32_t pages[LYB_PAGECRC_FANOUT], unsigned *n);

/*
 * Checks a whole sidecar as its writer must before the catalog names it:
 * its length and header for an object of @size bytes, and every row
 * against @blocks, the object's block CRC32Cs. 0 or -EBADMSG.
 */
int lyb_pagecrc_check(const unsigned char *p, size_t len, uint64_t size,
		      const uint32_t *blocks);

/*
 * The sidecar's key for the object at @key: ".NAME.lybcrc" beside it, a
 * hidden file (Hadoop and Spark skip names starting with '.'). NULL when
 * out of memory.
 */
char *lyb_pagecrc_key(const char *key);

#endif
