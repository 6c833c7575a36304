// SPDX-License-Identifier: Apache-2.0
/*
 * test_clock.c - the one time module (clock.c), table driven: calendar
 * dates (leap years, month lengths, the exact YYYY-MM-DD shape), RFC 3339
 * UTC parsing (strict digits: no signs, spaces or short fields), the
 * formatter round trip, and $LYB_NOW as seconds or as RFC 3339 text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "lyb/clock.h"

static void test_dates(void)
{
	static const struct {
		const char *date;
		int valid;
	} v[] = {
		{"2020-09-03", 1}, {"2020-02-29", 1}, {"2000-02-29", 1},
		{"1900-02-29", 0}, {"2021-02-29", 0}, {"2021-02-28", 1},
		{"2021-04-31", 0}, {"2021-12-31", 1}, {"2021-13-01", 0},
		{"2021-00-10", 0}, {"2021-01-00", 0}, {"2021-01-32", 0},
		{"0999-01-01", 0}, {"1000-01-01", 1}, {"9999-12-31", 1},
		{"2021-1-01", 0},  {"2021-01-1", 0},  {"2021-01-011", 0},
		{"2021/01/01", 0}, {"2021-01-0a", 0}, {"+021-01-01", 0},
		{" 2021-01-0", 0}, {"", 0},	      {"latest", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (lyb_date_valid(v[i].date) != v[i].valid) {
			fprintf(stderr, "date \"%s\": want %d\n", v[i].date,
				v[i].valid);
			check_failures++;
		}
}

static void test_times(void)
{
	static const struct {
		const char *text;
		int rc;
		int64_t t;
	} v[] = {
		{"1970-01-01T00:00:00Z", 0, 0},
		{"2020-09-03T08:12:45Z", 0, 1599120765},
		{"2000-02-29T23:59:59Z", 0, 951868799},
		{"2020-09-03T08:12:60Z", 0, 1599120780}, /* a leap second */
		{"2020-09-03T24:00:00Z", -EINVAL, 0},
		{"2020-09-03T08:60:00Z", -EINVAL, 0},
		{"2020-09-03T08:12:61Z", -EINVAL, 0},
		{"2021-02-29T00:00:00Z", -EINVAL, 0},
		{"2020-09-03T+8:12:45Z", -EINVAL, 0},
		{"2020-09-03T 8:12:45Z", -EINVAL, 0},
		{"2020-09-03T08:-1:45Z", -EINVAL, 0},
		{"2020-09-03T08:12:4 Z", -EINVAL, 0},
		{"2020-09-03t08:12:45Z", -EINVAL, 0},
		{"2020-09-03T08:12:45z", -EINVAL, 0},
		{"2020-09-03T08.12.45Z", -EINVAL, 0},
		{"2020-09-03T08:12:45+00:00", -EINVAL, 0},
		{"2020-09-03T08:12:45.5Z", -EINVAL, 0},
		{"2020-09-03", -EINVAL, 0},
		{"", -EINVAL, 0},
	};
	size_t i;
	int64_t t;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t = -1;
		rc = lyb_time_parse(v[i].text, &t);
		if (rc != v[i].rc || (rc == 0 && t != v[i].t)) {
			fprintf(stderr,
				"time \"%s\": got %d %lld, want %d %lld\n",
				v[i].text, rc, (long long)t, v[i].rc,
				(long long)v[i].t);
			check_failures++;
		}
	}
}

static void test_format(void)
{
	static const int64_t v[] = {0,		1,	   59, 951868799,
				    1599120765, 4102444800 /* 2100-01-01 */};
	char out[21];
	int64_t back;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		lyb_time_format(v[i], out);
		back = -1;
		CHECK_RC(lyb_time_parse(out, &back), 0);
		CHECK_RC(back, v[i]);
	}
	lyb_time_format(1599120765, out);
	CHECK_STR(out, "2020-09-03T08:12:45Z");
}

static void test_now(void)
{
	int64_t before = (int64_t)time(NULL), t;

	unsetenv("LYB_NOW");
	t = lyb_now();
	CHECK(t >= before && t <= (int64_t)time(NULL));
	setenv("LYB_NOW", "1599120765", 1);
	CHECK_RC(lyb_now(), 1599120765);
	setenv("LYB_NOW", "2020-09-03T08:12:45Z", 1);
	CHECK_RC(lyb_now(), 1599120765);
	/* what is neither is ignored: the real clock */
	setenv("LYB_NOW", "yesterday", 1);
	CHECK(lyb_now() >= before);
	setenv("LYB_NOW", "-5", 1);
	CHECK(lyb_now() >= before);
	setenv("LYB_NOW", "12abc", 1);
	CHECK(lyb_now() >= before);
	unsetenv("LYB_NOW");
}

int main(void)
{
	test_dates();
	test_times();
	test_format();
	test_now();
	return check_failures ? 1 : 0;
}
