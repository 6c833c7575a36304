// SPDX-License-Identifier: Apache-2.0
/*
 * test_buf.c - the capped growing buffer (buf.c): exactly @max bytes fit
 * and one more is -E2BIG with nothing added, whether it comes by add,
 * addstr or printf (short or longer than printf's stack buffer); the
 * allocation never exceeds max + 1; the data stays NUL-terminated; reset
 * keeps the memory; steal hands it over (an empty buffer gives "").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lyb/buf.h"

static void test_cap(void)
{
	static const size_t maxes[] = {0, 1, 5, 255, 256, 257, 511, 1000};
	struct lyb_buf b;
	size_t i, k;

	for (i = 0; i < sizeof(maxes) / sizeof(*maxes); i++) {
		size_t max = maxes[i];

		lyb_buf_init(&b, max);
		CHECK(b.data == NULL && b.len == 0 && b.max == max);
		/* one byte at a time up to the cap */
		for (k = 0; k < max; k++)
			CHECK_RC(lyb_buf_add(&b, "x", 1), 0);
		CHECK_RC(b.len, max);
		CHECK(b.cap <= max + 1);
		CHECK_RC(lyb_buf_add(&b, "y", 1), -E2BIG);
		CHECK_RC(b.len, max);
		/* adding nothing is always fine */
		CHECK_RC(lyb_buf_add(&b, "", 0), 0);
		if (max) {
			CHECK(b.data[max] == '\0');
			CHECK(strspn(b.data, "x") == max);
		}
		lyb_buf_free(&b);
		CHECK(b.data == NULL && b.len == 0);
	}
}

static void test_add(void)
{
	struct lyb_buf b;
	char big[300];

	lyb_buf_init(&b, 10);
	CHECK_RC(lyb_buf_addstr(&b, "hello"), 0);
	CHECK_STR(b.data, "hello");
	/* all or nothing: 6 more would pass 10 */
	CHECK_RC(lyb_buf_addstr(&b, "world!"), -E2BIG);
	CHECK_STR(b.data, "hello");
	CHECK_RC(lyb_buf_addstr(&b, "world"), 0);
	CHECK_STR(b.data, "helloworld");
	CHECK_RC(b.len, 10);
	/* a size that would wrap is refused too */
	CHECK_RC(lyb_buf_add(&b, "x", (size_t)-1), -E2BIG);
	lyb_buf_reset(&b);
	CHECK(b.len == 0 && b.data && b.data[0] == '\0' && b.cap > 0);
	CHECK_RC(lyb_buf_add(&b, "abc\0def", 7), 0); /* bytes, not text */
	CHECK_RC(b.len, 7);
	CHECK(memcmp(b.data, "abc\0def", 8) == 0);
	lyb_buf_free(&b);

	/* printf: the cap applies to the formatted length */
	lyb_buf_init(&b, 12);
	CHECK_RC(lyb_buf_printf(&b, "%d-%s", 42, "abc"), 0);
	CHECK_STR(b.data, "42-abc");
	CHECK_RC(lyb_buf_printf(&b, "%07d", 5), -E2BIG);
	CHECK_STR(b.data, "42-abc");
	CHECK_RC(lyb_buf_printf(&b, "%06d", 5), 0);
	CHECK_STR(b.data, "42-abc000005");
	lyb_buf_free(&b);

	/* longer than vprintf's 512-byte stack buffer */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	lyb_buf_init(&b, 1000);
	CHECK_RC(lyb_buf_printf(&b, "%s|%s", big, big), 0);
	CHECK_RC(b.len, 599);
	CHECK(b.data[299] == '|' && b.data[598] == 'z' && !b.data[599]);
	CHECK_RC(lyb_buf_printf(&b, "%s|%s", big, big), -E2BIG);
	CHECK_RC(b.len, 599);
	lyb_buf_free(&b);
}

static void test_steal(void)
{
	struct lyb_buf b;
	size_t len = 99;
	char *s;

	lyb_buf_init(&b, 100);
	s = lyb_buf_steal(&b, &len);
	CHECK_STR(s, "");
	CHECK_RC(len, 0);
	free(s);
	CHECK_RC(lyb_buf_addstr(&b, "abc"), 0);
	s = lyb_buf_steal(&b, &len);
	CHECK_STR(s, "abc");
	CHECK_RC(len, 3);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0 && b.max == 100);
	free(s);
	/* the buffer is usable again */
	CHECK_RC(lyb_buf_addstr(&b, "d"), 0);
	s = lyb_buf_steal(&b, NULL);
	CHECK_STR(s, "d");
	free(s);
}

int main(void)
{
	test_cap();
	test_add();
	test_steal();
	return check_failures ? 1 : 0;
}
