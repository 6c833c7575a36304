// SPDX-License-Identifier: Apache-2.0
/*
 * freshness.c - delivery against the SLO (the rule is in freshness.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_impl.h"
#include "lyb/freshness.h"

const char *lyb_freshness_state_name(enum lyb_fresh_state state)
{
	static const char *const names[] = {"no-slo", "unchecked", "on-time",
					    "late", "missing"};

	return names[state];
}

int lyb_freshness_overdue(const struct lyb_freshness *f)
{
	return f->state == LYB_FRESH_LATE || f->state == LYB_FRESH_MISSING;
}

static void duration_text(int64_t s, char *out, size_t len)
{
	if (s >= 86400)
		snprintf(out, len, "%lldd %02lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
	else
		snprintf(out, len, "%lldh %02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
}

/* "YYYY-MM-DD HH:MM" in UTC */
static void when_text(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M", &tm);
}

void lyb_freshness_check(const struct lyb_dataset *ds, int64_t now,
			 struct lyb_freshness *f)
{
	const char *dl = ds->slo_deadline;
	const struct lyb_date *d;
	char when[32], dur[32];
	int64_t day;
	int minutes, found = 0;
	time_t tt;
	struct tm tm;

	memset(f, 0, sizeof(*f));
	if (!ds->slo_frequency || !dl) {
		f->state = LYB_FRESH_NO_SLO;
		snprintf(f->summary, sizeof(f->summary), "no SLO defined");
		return;
	}
	if (strcmp(ds->slo_frequency, "daily") != 0 ||
	    (ds->slo_timezone && strcmp(ds->slo_timezone, "UTC") != 0)) {
		f->state = LYB_FRESH_UNCHECKED;
		snprintf(f->summary, sizeof(f->summary),
			 "not checked: only daily SLOs in UTC are checked");
		return;
	}
	/* the catalog validated HH:MM */
	minutes = ((dl[0] - '0') * 10 + (dl[1] - '0')) * 60 +
		  (dl[3] - '0') * 10 + (dl[4] - '0');
	day = now - ((now % 86400) + 86400) % 86400;
	if (now < day + (int64_t)minutes * 60)
		day -= 86400; /* today's is not due yet */
	f->deadline = day + (int64_t)minutes * 60;
	tt = (time_t)day;
	gmtime_r(&tt, &tm);
	strftime(f->expected, sizeof(f->expected), "%Y-%m-%d", &tm);

	/* the card says most: the newest date and when it first came */
	if (!ds->latest_date[0] || strcmp(ds->latest_date, f->expected) < 0) {
		found = 0;
	} else if (strcmp(ds->latest_date, f->expected) == 0) {
		found = 1;
		f->delivered = ds->latest_first;
	} else if (!ds->f2) {
		d = lyb_dataset_find_date(ds, f->expected);
		found = d != NULL;
		/* a date's versions sort by publish time: the first came first
		 */
		if (d)
			f->delivered = ds->versions[d->first].published;
	} else {
		/* an older date of a format 2 card: its dates tree */
		struct lyb_datelist *l;
		const struct lyb_date_sum *s;

		if (lyb_dataset_dates((struct lyb_dataset *)ds, &l) == 0) {
			s = lyb_datelist_find(l, f->expected);
			found = s != NULL;
			if (s)
				f->delivered = s->first;
			lyb_datelist_unref(l);
		}
	}
	if (!found) {
		f->state = LYB_FRESH_MISSING;
		f->late_by = now - f->deadline;
		duration_text(f->late_by, dur, sizeof(dur));
		snprintf(f->summary, sizeof(f->summary),
			 "missing: %s was due at %s UTC, %s ago", f->expected,
			 dl, dur);
		return;
	}
	when_text(f->delivered, when, sizeof(when));
	if (f->delivered <= f->deadline) {
		f->state = LYB_FRESH_ON_TIME;
		snprintf(f->summary, sizeof(f->summary),
			 "on time: %s was delivered at %s UTC, deadline %s "
			 "UTC",
			 f->expected, when, dl);
		return;
	}
	f->state = LYB_FRESH_LATE;
	f->late_by = f->delivered - f->deadline;
	duration_text(f->late_by, dur, sizeof(dur));
	snprintf(f->summary, sizeof(f->summary),
		 "late by %s: %s was delivered at %s UTC, deadline %s UTC", dur,
		 f->expected, when, dl);
}
