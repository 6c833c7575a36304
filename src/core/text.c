// SPDX-License-Identifier: Apache-2.0
/*
 * text.c - checking and escaping untrusted text (text.h). One UTF-8
 * decoder serves both, so what the check accepts is exactly what the
 * printer copies unescaped (less the characters it always escapes).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lyb/text.h"

/*
 * The length (1 to 4) of the valid UTF-8 sequence at @s, which has @left
 * bytes, with its code point in *@cp; 0 when the bytes there are not
 * valid UTF-8 (the caller treats the first byte alone as bad).
 */
static size_t utf8_seq(const unsigned char *s, size_t left, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0; /* a continuation byte, 0xc0, 0xc1 or 0xf5-0xff */
	}
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int lyb_text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = utf8_seq(p + i, len - i, &cp);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

static int is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* Invisible characters that reorder or break what follows them. */
static int is_invisible_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

int lyb_text_check(const char *s, size_t len, unsigned flags, char *why,
		   size_t whylen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = utf8_seq(p + i, len - i, &cp);
		if (!n) {
			if (why)
				snprintf(why, whylen,
					 "byte %zu (0x%02x) is not valid UTF-8",
					 i + 1, p[i]);
			return -EILSEQ;
		}
		if (cp == 0) {
			if (why)
				snprintf(why, whylen, "byte %zu is a NUL",
					 i + 1);
			return -EINVAL;
		}
		if (is_control(cp) && !(cp == '\t' && (flags & LYB_TEXT_TAB))) {
			if (why)
				snprintf(why, whylen,
					 "byte %zu is the control character "
					 "0x%02x",
					 i + 1, (unsigned)cp);
			return -EINVAL;
		}
		i += n;
	}
	return 0;
}

/*
 * The printable form of the unit at *@p (one character or one bad byte)
 * into @piece (at least 8 bytes); advances *@p. Returns its length.
 */
static size_t next_piece(const unsigned char **p, size_t left, char *piece)
{
	uint32_t cp;
	size_t n = utf8_seq(*p, left, &cp);

	if (!n) {
		snprintf(piece, 8, "\\x%02x", **p);
		*p += 1;
		return 4;
	}
	*p += n;
	if (cp == '\\') {
		memcpy(piece, "\\\\", 3);
		return 2;
	}
	if (cp < 0x20 || cp == 0x7f) {
		snprintf(piece, 8, "\\x%02x", (unsigned)cp);
		return 4;
	}
	if (is_control(cp) || is_invisible_control(cp)) {
		snprintf(piece, 8, "\\u%04x", (unsigned)cp);
		return 6;
	}
	memcpy(piece, *p - n, n);
	piece[n] = '\0';
	return n;
}

void lyb_text_fput(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	char piece[8];
	size_t n;

	while (p < end) {
		n = next_piece(&p, (size_t)(end - p), piece);
		fwrite(piece, 1, n, f);
	}
}

char *lyb_text_escape(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	char piece[8];
	size_t n, len = 0;

	if (!cap)
		return out;
	while (p < end) {
		n = next_piece(&p, (size_t)(end - p), piece);
		if (n >= cap - len)
			break;
		memcpy(out + len, piece, n);
		len += n;
	}
	out[len] = '\0';
	return out;
}

#define NEAREST_LEN_MAX 64

/* Optimal string alignment distance (a swap of neighbours costs 1). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t d[NEAREST_LEN_MAX + 1][NEAREST_LEN_MAX + 1];
	size_t n = strlen(a), m = strlen(b), i, j, best;

	for (i = 0; i <= n; i++)
		d[i][0] = i;
	for (j = 0; j <= m; j++)
		d[0][j] = j;
	for (i = 1; i <= n; i++)
		for (j = 1; j <= m; j++) {
			int ca = tolower((unsigned char)a[i - 1]),
			    cb = tolower((unsigned char)b[j - 1]);

			best = d[i - 1][j - 1] + (ca != cb);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 &&
			    ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

const char *lyb_text_nearest(const char *word,
			     const char *(*name)(const void *arg, size_t i),
			     const void *arg)
{
	size_t n = strlen(word), limit, dist, best = SIZE_MAX, i;
	const char *found = NULL, *s;

	if (n > NEAREST_LEN_MAX)
		return NULL;
	limit = n <= 3 ? 1 : n <= 7 ? 2 : 3;
	for (i = 0; (s = name(arg, i)); i++) {
		if (strlen(s) > NEAREST_LEN_MAX)
			continue;
		dist = edit_distance(word, s);
		if (dist <= limit && dist < best) {
			best = dist;
			found = s;
		}
	}
	return found;
}
