// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_text.c - untrusted text (text.h) against any bytes. The UTF-8
 * check must agree with jansson's, which decides whether a string can be
 * stored in a catalog document at all; a line lyb_text_check() accepts
 * has no NUL or control byte; and what lyb_text_escape() and
 * lyb_text_fput() print is valid UTF-8 with no control character, C1
 * control or direction override left, whatever went in.
 */
#include <jansson.h>
#include <stdio.h>

#include "fuzz.h"
#include "lyb/text.h"

static void must(int cond)
{
	if (!cond)
		abort();
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
	json_t *j;
	size_t i, memlen = 0;
	FILE *f;
	int rc;

	/* jansson refuses exactly what we call invalid UTF-8 */
	j = json_stringn(s, size);
	must((j != NULL) == lyb_text_utf8_valid(s, size));
	json_decref(j);

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
