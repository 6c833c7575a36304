/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.h - a growing byte buffer with a hard cap.
 *
 * Anything that grows from remote input (HTTP bodies, catalog documents,
 * decompressed data) goes through a lyb_buf whose @max bounds it, as
 * curl's dynbuf does. The data is always NUL-terminated (the terminator is
 * not counted in @len), so text can be handed to parsers directly.
 *
 * Ownership: the buffer owns @data; lyb_buf_steal() hands it to the
 * caller. Not thread safe: one owner at a time.
 */
#ifndef LYB_BUF_H
#define LYB_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct lyb_buf {
	char *data; /* NULL until the first byte is added */
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len */
};

void lyb_buf_init(struct lyb_buf *b, size_t max);
/* Returns 0, -ENOMEM, or -E2BIG when len would pass max (nothing added). */
int lyb_buf_add(struct lyb_buf *b, const void *p, size_t n);
int lyb_buf_addstr(struct lyb_buf *b, const char *s);
int lyb_buf_printf(struct lyb_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int lyb_buf_vprintf(struct lyb_buf *b, const char *fmt, va_list ap);
void lyb_buf_reset(struct lyb_buf *b); /* len = 0, memory kept */
/* Returns the data (never NULL: an empty buffer gives ""), caller frees. */
char *lyb_buf_steal(struct lyb_buf *b, size_t *len);
void lyb_buf_free(struct lyb_buf *b);

#endif
