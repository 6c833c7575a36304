// SPDX-License-Identifier: Apache-2.0
/*
 * clock.c - the one notion of time every module shares: now (which
 * tests fix with $LYB_NOW), RFC 3339 UTC text and calendar dates. It
 * depends on nothing else of lybfs, so any layer may use it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lyb/clock.h"

int lyb_date_valid(const char *d)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int y, m, day, i;

	if (strlen(d) != LYB_DATE_LEN || d[4] != '-' || d[7] != '-')
		return 0;
	for (i = 0; i < LYB_DATE_LEN; i++)
		if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
			return 0;
	y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 +
	    (d[3] - '0');
	m = (d[5] - '0') * 10 + (d[6] - '0');
	day = (d[8] - '0') * 10 + (d[9] - '0');
	if (y < 1000 || m < 1 || m > 12 || day < 1 || day > mdays[m - 1])
		return 0;
	if (m == 2 && day == 29)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return 1;
}

void lyb_time_format(int64_t t, char out[21])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 21, "1970-01-01T00:00:00Z");
}

int lyb_time_parse(const char *s, int64_t *out)
{
	/* the exact shape, digit by digit: sscanf alone takes "+8" or "-1" */
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm tm = {0};
	char date[11];
	int i;

	if (strlen(s) != 20)
		return -EINVAL;
	for (i = 0; i < 20; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9'
				    : s[i] != shape[i])
			return -EINVAL;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!lyb_date_valid(date))
		return -EINVAL;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int64_t lyb_now(void)
{
	const char *env = getenv("LYB_NOW");
	int64_t t;
	char *end;

	if (env && *env) {
		long long v = strtoll(env, &end, 10);

		if (*end == '\0' && v >= 0)
			return v;
		if (lyb_time_parse(env, &t) == 0)
			return t;
	}
	return (int64_t)time(NULL);
}

double lyb_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
