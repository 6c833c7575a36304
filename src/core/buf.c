// SPDX-License-Identifier: Apache-2.0
/*
 * buf.c - a growing, always NUL-terminated byte buffer with a hard cap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/buf.h"

void lyb_buf_init(struct lyb_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int lyb_buf_add(struct lyb_buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len || b->len + n < b->len)
		return -E2BIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *d;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int lyb_buf_addstr(struct lyb_buf *b, const char *s)
{
	return lyb_buf_add(b, s, strlen(s));
}

int lyb_buf_vprintf(struct lyb_buf *b, const char *fmt, va_list ap)
{
	char small[512], *big;
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return lyb_buf_add(b, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (!big)
		return -ENOMEM;
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	rc = lyb_buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

int lyb_buf_printf(struct lyb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = lyb_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void lyb_buf_reset(struct lyb_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *lyb_buf_steal(struct lyb_buf *b, size_t *len)
{
	char *d = b->data;

	if (len)
		*len = b->len;
	if (!d)
		d = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void lyb_buf_free(struct lyb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
