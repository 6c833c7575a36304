// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_text.c - untrusted text (text.h) against any bytes. The UTF-8
 * check must agree with a second, independent formulation of RFC 3629
 * (the Unicode table of well-formed byte sequences), which is also what
 * jansson accepts in a catalog document; a line lyb_text_check() accepts
 * has no NUL or control byte; and what lyb_text_escape() and
 * lyb_text_fput() print is valid UTF-8 with no control character, C1
 * control or direction override left, whatever went in.
 */
#include <stdio.h>

#include "fuzz.h"
#include "lyb/text.h"

static void must(int cond)
{
	if (!cond)
		abort();
}

/* Unicode 15, table 3-7: the well-formed UTF-8 byte sequences. */
static int ref_valid(const uint8_t *s, size_t n)
{
	size_t i = 0, need, k;
	uint8_t b, lo, hi;

	while (i < n) {
		b = s[i];
		lo = 0x80;
		hi = 0xbf;
		if (b <= 0x7f) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			need = 1;
		} else if (b == 0xe0) {
			need = 2;
			lo = 0xa0;
		} else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef) {
			need = 2;
		} else if (b == 0xed) {
			need = 2;
			hi = 0x9f;
		} else if (b == 0xf0) {
			need = 3;
			lo = 0x90;
		} else if (b >= 0xf1 && b <= 0xf3) {
			need = 3;
		} else if (b == 0xf4) {
			need = 3;
			hi = 0x8f;
		} else {
			return 0;
		}
		if (n - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += need + 1;
	}
	return 1;
}

/* What a terminal must never receive raw. */
static void printable(const char *s, size_t len)
{
	size_t i;

	must(lyb_text_utf8_valid(s, len));
	must(lyb_text_check(s, len, 0, NULL, 0) == 0);
	for (i = 0; i + 2 < len; i++)
		must(!((unsigned char)s[i] == 0xe2 &&
		       (unsigned char)s[i + 1] == 0x80 &&
		       (unsigned char)s[i + 2] >= 0xa8 &&
		       (unsigned char)s[i + 2] <= 0xae));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char why[128], *str, out[512], *mem = NULL;
	size_t i, memlen = 0;
	FILE *f;
	int rc;

	must(ref_valid(data, size) == lyb_text_utf8_valid(s, size));

	rc = lyb_text_check(s, size, LYB_TEXT_TAB, why, sizeof(why));
	if (rc == 0)
		for (i = 0; i < size; i++)
			must(data[i] == '\t' ||
			     (data[i] >= 0x20 && data[i] != 0x7f));
	else
		must(why[0] != '\0');

	/* the printers see the input as C strings (up to its first NUL) */
	str = malloc(size + 1);
	if (!str)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';
	lyb_text_escape(str, out, sizeof(out));
	printable(out, strlen(out));
	f = open_memstream(&mem, &memlen);
	if (f) {
		lyb_text_fput(f, str);
		fclose(f);
		printable(mem, memlen);
		/* the buffer form is a prefix of the stream form */
		must(strncmp(mem, out, strlen(out)) == 0);
		free(mem);
	}
	free(str);
	return 0;
}
