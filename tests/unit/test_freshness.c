// SPDX-License-Identifier: Apache-2.0
/*
 * test_freshness.c - delivery against the SLO (freshness.c), table
 * driven: which partition is due at a given time, on time / late by how
 * long / missing for how long, deadlines at and around midnight, the
 * first publish of a date counting (not the latest), the SLOs the rule
 * does not check, the exact summary lines, and $LYB_NOW.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_impl.h"
#include "check.h"
#include "lyb/catalog.h"
#include "lyb/freshness.h"

/* One version: its date and when it was published. */
struct pub {
	const char *date, *published;
};

static int64_t T(const char *rfc3339)
{
	int64_t t = -1;

	if (lyb_time_parse(rfc3339, &t) != 0) {
		fprintf(stderr, "bad time in the test: %s\n", rfc3339);
		abort();
	}
	return t;
}

/*
 * A DataSet with SLO @slo (the JSON of the "slo" member, or NULL) and the
 * versions @pubs (NULL-terminated), parsed as the catalog would.
 */
static struct lyb_dataset *dataset(const char *slo, const struct pub *pubs)
{
	char doc[8192], err[512];
	struct lyb_dataset *ds = NULL;
	size_t n = 0, i;

	n += (size_t)snprintf(doc + n, sizeof(doc) - n,
			      "{\"lybrary\": 1, \"name\": \"t.F\", \"owner\": "
			      "{\"team\": \"group:t\"}, \"created\": "
			      "\"2020-01-01T00:00:00Z\"%s%s, \"versions\": [",
			      slo ? ", \"slo\": " : "", slo ? slo : "");
	for (i = 0; pubs && pubs[i].date; i++)
		n += (size_t)snprintf(
			doc + n, sizeof(doc) - n,
			"%s{\"date\": \"%s\", \"id\": \"%06zx\", \"digest\": "
			"\"%06zx%058d\", \"published\": \"%s\", \"bytes\": 1, "
			"\"locations\": {\"gs\": {\"url\": \"gs://b/x\", "
			"\"format\": \"avro\", \"objects\": [{\"name\": "
			"\"p.avro\", \"size\": 1}]}}}",
			i ? ", " : "", pubs[i].date, i + 0xa00000, i + 0xa00000,
			0, pubs[i].published);
	snprintf(doc + n, sizeof(doc) - n, "]}");
	if (lyb_dataset_parse(doc, strlen(doc), &ds, err, sizeof(err))) {
		fprintf(stderr, "test document: %s\n%s\n", err, doc);
		abort();
	}
	return ds;
}

static const struct pub daily[] = {
	{"2020-09-01", "2020-09-01T07:00:00Z"}, /* on time */
	{"2020-09-02", "2020-09-02T10:15:00Z"}, /* 2h15m late */
	{"2020-09-03", "2020-09-03T09:00:00Z"}, /* a re-publish, later */
	{"2020-09-03", "2020-09-03T07:30:00Z"}, /* the first: on time */
	{"2020-09-04", "2020-09-04T08:00:00Z"}, /* exactly at the deadline */
	{"2020-09-05", "2020-09-05T08:00:01Z"}, /* one second late */
	{"2020-09-06", "2020-09-08T09:00:00Z"}, /* two days late */
	{NULL, NULL},
};

struct fresh_case {
	const char *now;
	enum lyb_fresh_state state;
	const char *expected, *deadline, *delivered; /* NULL: 0 */
	int64_t late_by;
	const char *summary;
};

static const struct fresh_case daily_cases[] = {
	{"2020-09-01T09:00:00Z", LYB_FRESH_ON_TIME, "2020-09-01",
	 "2020-09-01T08:00:00Z", "2020-09-01T07:00:00Z", 0,
	 "on time: 2020-09-01 was delivered at 2020-09-01 07:00 UTC, "
	 "deadline 08:00 UTC"},
	/* before today's deadline, yesterday's is the one due */
	{"2020-09-02T07:59:59Z", LYB_FRESH_ON_TIME, "2020-09-01",
	 "2020-09-01T08:00:00Z", "2020-09-01T07:00:00Z", 0, NULL},
	/* at the deadline, today's is due (and still missing) */
	{"2020-09-07T08:00:00Z", LYB_FRESH_MISSING, "2020-09-07",
	 "2020-09-07T08:00:00Z", NULL, 0,
	 "missing: 2020-09-07 was due at 08:00 UTC, 0h 00m ago"},
	{"2020-09-07T10:14:59Z", LYB_FRESH_MISSING, "2020-09-07",
	 "2020-09-07T08:00:00Z", NULL, 8099,
	 "missing: 2020-09-07 was due at 08:00 UTC, 2h 14m ago"},
	{"2020-09-02T12:00:00Z", LYB_FRESH_LATE, "2020-09-02",
	 "2020-09-02T08:00:00Z", "2020-09-02T10:15:00Z", 8100,
	 "late by 2h 15m: 2020-09-02 was delivered at 2020-09-02 10:15 UTC, "
	 "deadline 08:00 UTC"},
	/* the first publish of a date counts, not the latest */
	{"2020-09-03T23:59:59Z", LYB_FRESH_ON_TIME, "2020-09-03",
	 "2020-09-03T08:00:00Z", "2020-09-03T07:30:00Z", 0, NULL},
	/* delivered exactly at the deadline is on time */
	{"2020-09-04T08:00:00Z", LYB_FRESH_ON_TIME, "2020-09-04",
	 "2020-09-04T08:00:00Z", "2020-09-04T08:00:00Z", 0, NULL},
	{"2020-09-05T08:30:00Z", LYB_FRESH_LATE, "2020-09-05",
	 "2020-09-05T08:00:00Z", "2020-09-05T08:00:01Z", 1,
	 "late by 0h 00m: 2020-09-05 was delivered at 2020-09-05 08:00 UTC, "
	 "deadline 08:00 UTC"},
	/* a day or more is written in days and hours */
	{"2020-09-06T09:00:00Z", LYB_FRESH_LATE, "2020-09-06",
	 "2020-09-06T08:00:00Z", "2020-09-08T09:00:00Z", 2 * 86400 + 3600,
	 "late by 2d 01h: 2020-09-06 was delivered at 2020-09-08 09:00 UTC, "
	 "deadline 08:00 UTC"},
	/* after the newest partition: missing, never the last one found */
	{"2020-09-07T07:59:00Z", LYB_FRESH_LATE, "2020-09-06",
	 "2020-09-06T08:00:00Z", "2020-09-08T09:00:00Z", 2 * 86400 + 3600,
	 NULL},
	{"2020-09-07T21:59:00Z", LYB_FRESH_MISSING, "2020-09-07",
	 "2020-09-07T08:00:00Z", NULL, 13 * 3600 + 59 * 60,
	 "missing: 2020-09-07 was due at 08:00 UTC, 13h 59m ago"},
	/* before the first partition */
	{"2020-08-31T12:00:00Z", LYB_FRESH_MISSING, "2020-08-31", NULL, NULL,
	 4 * 3600, NULL},
	/* a leap day */
	{"2020-02-29T08:00:00Z", LYB_FRESH_MISSING, "2020-02-29",
	 "2020-02-29T08:00:00Z", NULL, 0, NULL},
	{"2020-03-01T07:00:00Z", LYB_FRESH_MISSING, "2020-02-29", NULL, NULL,
	 23 * 3600, "missing: 2020-02-29 was due at 08:00 UTC, 23h 00m ago"},
	/* new year */
	{"2021-01-01T07:59:59Z", LYB_FRESH_MISSING, "2020-12-31",
	 "2020-12-31T08:00:00Z", NULL, 86399, NULL},
};

static void run(const struct lyb_dataset *ds, const char *dl,
		const struct fresh_case *c, size_t n)
{
	struct lyb_freshness f;
	size_t i;

	for (i = 0; i < n; i++) {
		lyb_freshness_check(ds, T(c[i].now), &f);
		if (f.state != c[i].state ||
		    strcmp(f.expected, c[i].expected) != 0 ||
		    f.late_by != c[i].late_by ||
		    (c[i].deadline && f.deadline != T(c[i].deadline)) ||
		    f.delivered != (c[i].delivered ? T(c[i].delivered) : 0) ||
		    (c[i].summary && strcmp(f.summary, c[i].summary) != 0)) {
			fprintf(stderr,
				"deadline %s, now %s: got %s %s late_by %lld "
				"deadline %lld delivered %lld \"%s\"\n",
				dl, c[i].now, lyb_freshness_state_name(f.state),
				f.expected, (long long)f.late_by,
				(long long)f.deadline, (long long)f.delivered,
				f.summary);
			check_failures++;
		}
		CHECK(lyb_freshness_overdue(&f) ==
		      (c[i].state == LYB_FRESH_LATE ||
		       c[i].state == LYB_FRESH_MISSING));
	}
}

static void test_daily(void)
{
	struct lyb_dataset *ds = dataset(
		"{\"frequency\": \"daily\", \"deadline\": \"08:00\"}", daily);

	run(ds, "08:00", daily_cases,
	    sizeof(daily_cases) / sizeof(*daily_cases));
	lyb_dataset_unref(ds);

	/* "timezone": "UTC" stated is the same rule */
	ds = dataset("{\"frequency\": \"daily\", \"deadline\": \"08:00\", "
		     "\"timezone\": \"UTC\"}",
		     daily);
	run(ds, "08:00 UTC", daily_cases, 4);
	lyb_dataset_unref(ds);
}

/* Deadlines at midnight and just before it. */
static const struct pub night[] = {
	{"2020-09-03", "2020-09-02T23:59:00Z"}, /* before its own day */
	{"2020-09-04", "2020-09-04T00:00:00Z"},
	{"2020-09-05", "2020-09-05T00:00:01Z"},
	{NULL, NULL},
};

static const struct fresh_case midnight_cases[] = {
	{"2020-09-03T00:00:00Z", LYB_FRESH_ON_TIME, "2020-09-03",
	 "2020-09-03T00:00:00Z", "2020-09-02T23:59:00Z", 0,
	 "on time: 2020-09-03 was delivered at 2020-09-02 23:59 UTC, "
	 "deadline 00:00 UTC"},
	{"2020-09-02T23:59:59Z", LYB_FRESH_MISSING, "2020-09-02",
	 "2020-09-02T00:00:00Z", NULL, 86399,
	 "missing: 2020-09-02 was due at 00:00 UTC, 23h 59m ago"},
	{"2020-09-04T12:00:00Z", LYB_FRESH_ON_TIME, "2020-09-04",
	 "2020-09-04T00:00:00Z", "2020-09-04T00:00:00Z", 0, NULL},
	{"2020-09-05T00:00:00Z", LYB_FRESH_LATE, "2020-09-05",
	 "2020-09-05T00:00:00Z", "2020-09-05T00:00:01Z", 1, NULL},
};

static const struct fresh_case late_night_cases[] = {
	/* a 23:59 deadline: until then the day before is the one due */
	{"2020-09-03T00:10:00Z", LYB_FRESH_MISSING, "2020-09-02",
	 "2020-09-02T23:59:00Z", NULL, 11 * 60,
	 "missing: 2020-09-02 was due at 23:59 UTC, 0h 11m ago"},
	{"2020-09-03T23:58:59Z", LYB_FRESH_MISSING, "2020-09-02",
	 "2020-09-02T23:59:00Z", NULL, 86399, NULL},
	{"2020-09-03T23:59:00Z", LYB_FRESH_ON_TIME, "2020-09-03",
	 "2020-09-03T23:59:00Z", "2020-09-02T23:59:00Z", 0, NULL},
	{"2020-09-04T23:59:00Z", LYB_FRESH_ON_TIME, "2020-09-04",
	 "2020-09-04T23:59:00Z", "2020-09-04T00:00:00Z", 0, NULL},
};

static void test_midnight(void)
{
	struct lyb_dataset *ds = dataset(
		"{\"frequency\": \"daily\", \"deadline\": \"00:00\"}", night);

	run(ds, "00:00", midnight_cases,
	    sizeof(midnight_cases) / sizeof(*midnight_cases));
	lyb_dataset_unref(ds);
	ds = dataset("{\"frequency\": \"daily\", \"deadline\": \"23:59\"}",
		     night);
	run(ds, "23:59", late_night_cases,
	    sizeof(late_night_cases) / sizeof(*late_night_cases));
	lyb_dataset_unref(ds);
}

/* What the rule does not cover is reported, never guessed. */
static void test_unchecked(void)
{
	static const struct {
		const char *slo;
		enum lyb_fresh_state state;
		const char *summary;
	} cases[] = {
		{NULL, LYB_FRESH_NO_SLO, "no SLO defined"},
		{"null", LYB_FRESH_NO_SLO, "no SLO defined"},
		{"{\"frequency\": \"hourly\", \"deadline\": \"00:10\"}",
		 LYB_FRESH_UNCHECKED,
		 "not checked: only daily SLOs in UTC are checked"},
		{"{\"frequency\": \"weekly\", \"deadline\": \"08:00\"}",
		 LYB_FRESH_UNCHECKED,
		 "not checked: only daily SLOs in UTC are checked"},
		{"{\"frequency\": \"daily\", \"deadline\": \"08:00\", "
		 "\"timezone\": \"Europe/Stockholm\"}",
		 LYB_FRESH_UNCHECKED,
		 "not checked: only daily SLOs in UTC are checked"},
		{"{\"frequency\": \"daily\", \"deadline\": \"08:00\", "
		 "\"timezone\": \"utc\"}",
		 LYB_FRESH_UNCHECKED,
		 "not checked: only daily SLOs in UTC are checked"},
	};
	struct lyb_freshness f;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct lyb_dataset *ds = dataset(cases[i].slo, daily);

		memset(&f, 0x55, sizeof(f));
		lyb_freshness_check(ds, T("2020-09-02T12:00:00Z"), &f);
		CHECK_RC(f.state, cases[i].state);
		CHECK_STR(f.summary, cases[i].summary);
		CHECK_STR(f.expected, "");
		CHECK(f.deadline == 0 && f.delivered == 0 && f.late_by == 0);
		CHECK(!lyb_freshness_overdue(&f));
		lyb_dataset_unref(ds);
	}
}

static void test_names(void)
{
	CHECK_STR(lyb_freshness_state_name(LYB_FRESH_NO_SLO), "no-slo");
	CHECK_STR(lyb_freshness_state_name(LYB_FRESH_UNCHECKED), "unchecked");
	CHECK_STR(lyb_freshness_state_name(LYB_FRESH_ON_TIME), "on-time");
	CHECK_STR(lyb_freshness_state_name(LYB_FRESH_LATE), "late");
	CHECK_STR(lyb_freshness_state_name(LYB_FRESH_MISSING), "missing");
}

static void test_now(void)
{
	int64_t before;

	setenv("LYB_NOW", "1600000000", 1);
	CHECK_RC(lyb_now(), 1600000000);
	setenv("LYB_NOW", "0", 1);
	CHECK_RC(lyb_now(), 0);
	setenv("LYB_NOW", "2020-09-03T08:00:00Z", 1);
	CHECK_RC(lyb_now(), 1599120000);
	/* anything else is the real clock */
	before = (int64_t)time(NULL);
	setenv("LYB_NOW", "-5", 1);
	CHECK(lyb_now() >= before);
	setenv("LYB_NOW", "12x", 1);
	CHECK(lyb_now() >= before);
	setenv("LYB_NOW", "", 1);
	CHECK(lyb_now() >= before);
	unsetenv("LYB_NOW");
	CHECK(lyb_now() >= before);
}

int main(void)
{
	test_daily();
	test_midnight();
	test_unchecked();
	test_names();
	test_now();
	return check_failures ? 1 : 0;
}
