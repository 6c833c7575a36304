// SPDX-License-Identifier: Apache-2.0
/*
 * test_text.c - untrusted text: the UTF-8 check against the RFC 3629
 * edge cases, the control-character check a control-socket request line
 * and a reason go through, and the escaping every printer of catalog
 * strings uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lyb/text.h"

static int valid(const char *s)
{
	return lyb_text_utf8_valid(s, strlen(s));
}

static void test_utf8(void)
{
	CHECK(valid(""));
	CHECK(valid("plain ascii"));
	CHECK(valid("caf\xc3\xa9"));	       /* U+00E9 */
	CHECK(valid("\xe2\x82\xac"));	       /* U+20AC */
	CHECK(valid("\xf0\x9f\x98\x80"));      /* U+1F600 */
	CHECK(valid("\xf4\x8f\xbf\xbf"));      /* U+10FFFF */
	CHECK(!valid("\xff"));		       /* never in UTF-8 */
	CHECK(!valid("\xfe\xff"));	       /* a BOM in UTF-16 */
	CHECK(!valid("\x80"));		       /* a lone continuation */
	CHECK(!valid("\xc3"));		       /* cut short */
	CHECK(!valid("\xe2\x82"));	       /* cut short */
	CHECK(!valid("\xc0\xaf"));	       /* overlong '/' */
	CHECK(!valid("\xc1\xbf"));	       /* overlong */
	CHECK(!valid("\xe0\x80\xaf"));	       /* overlong '/' */
	CHECK(!valid("\xf0\x80\x80\xaf"));     /* overlong '/' */
	CHECK(!valid("\xed\xa0\x80"));	       /* surrogate U+D800 */
	CHECK(!valid("\xed\xbf\xbf"));	       /* surrogate U+DFFF */
	CHECK(!valid("\xf4\x90\x80\x80"));     /* U+110000 */
	CHECK(!valid("\xf8\x88\x80\x80\x80")); /* 5 bytes */
	CHECK(!valid("ok\xc3\x28"));	       /* bad continuation */
	CHECK(lyb_text_utf8_valid("a\0b", 3)); /* NUL is UTF-8 */
}

static void test_check(void)
{
	char why[128];
	char all[2];
	int c, bad = 0;

	CHECK_RC(lyb_text_check("grant\tt.A\tuser:a@b", 18, LYB_TEXT_TAB, why,
				sizeof(why)),
		 0);
	CHECK_RC(lyb_text_check("a\tb", 3, 0, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "byte 2 is the control character 0x09");
	CHECK_RC(lyb_text_check("x\0\n", 3, LYB_TEXT_TAB, why, sizeof(why)),
		 -EINVAL);
	CHECK_STR(why, "byte 2 is a NUL");
	CHECK_RC(lyb_text_check("ab\xff", 3, 0, why, sizeof(why)), -EILSEQ);
	CHECK_STR(why, "byte 3 (0xff) is not valid UTF-8");
	CHECK_RC(lyb_text_check("\xc2\x9b", 2, 0, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "byte 1 is the control character 0x9b");
	CHECK_RC(lyb_text_check("caf\xc3\xa9 \xe2\x82\xac", 9, 0, NULL, 0), 0);
	/* the class: every C0 byte and DEL is refused, every other ASCII not */
	for (c = 1; c < 0x80; c++) {
		all[0] = (char)c;
		all[1] = '\0';
		if ((lyb_text_check(all, 1, 0, NULL, 0) != 0) !=
		    (c < 0x20 || c == 0x7f))
			bad++;
	}
	CHECK_RC(bad, 0);
}

static void test_escape(void)
{
	char out[256];

	CHECK_STR(lyb_text_escape("genre study", out, sizeof(out)),
		  "genre study");
	CHECK_STR(lyb_text_escape("\x1b[2J\x1b]0;pwned\x07", out, sizeof(out)),
		  "\\x1b[2J\\x1b]0;pwned\\x07");
	CHECK_STR(lyb_text_escape("a\nb\tc\rd\x7f", out, sizeof(out)),
		  "a\\x0ab\\x09c\\x0dd\\x7f");
	CHECK_STR(lyb_text_escape("\xc2\x9b"
				  "31m",
				  out, sizeof(out)),
		  "\\u009b31m");
	CHECK_STR(lyb_text_escape("abc\xe2\x80\xae"
				  "fdp.exe",
				  out, sizeof(out)),
		  "abc\\u202efdp.exe");
	CHECK_STR(lyb_text_escape("\xff\xfe ok", out, sizeof(out)),
		  "\\xff\\xfe ok");
	CHECK_STR(lyb_text_escape("\xed\xa0\x80", out, sizeof(out)),
		  "\\xed\\xa0\\x80");
	CHECK_STR(lyb_text_escape("back\\slash", out, sizeof(out)),
		  "back\\\\slash");
	CHECK_STR(lyb_text_escape("caf\xc3\xa9", out, sizeof(out)),
		  "caf\xc3\xa9");
	/* cut at a whole escape, never inside one */
	CHECK_STR(lyb_text_escape("ab\x1b", out, 6), "ab");
	CHECK_STR(lyb_text_escape("ab\x1b", out, 7), "ab\\x1b");
	CHECK_STR(lyb_text_escape("\xe2\x82\xac", out, 3), "");
}

static void test_fput(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	lyb_text_fput(f, "r\x1b[31m\xc2\x9b\xff\n");
	fclose(f);
	CHECK_STR(buf, "r\\x1b[31m\\u009b\\xff\\x0a");
	free(buf);
}

int main(void)
{
	test_utf8();
	test_check();
	test_escape();
	test_fput();
	return check_failures ? 1 : 0;
}
