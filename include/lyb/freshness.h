/* SPDX-License-Identifier: Apache-2.0 */
/*
 * freshness.h - is a DataSet's delivery on time against its SLO?
 *
 * The rule, for a daily SLO "by HH:MM" in UTC: partition D is due at
 * HH:MM UTC on day D. At time T the expected partition is the newest D
 * whose deadline is not after T (today's once today's deadline has
 * passed, else yesterday's). It is on time when its first version was
 * published by the deadline, late (by how long) when it came after, and
 * missing (overdue by how long) when there is none. Other frequencies
 * and time zones are reported as not checked, never guessed.
 *
 * Reentrant. The clock is clock.h's lyb_now().
 */
#ifndef LYB_FRESHNESS_H
#define LYB_FRESHNESS_H

#include <stddef.h>
#include <stdint.h>
#include "lyb/catalog.h"
#include "lyb/clock.h"

enum lyb_fresh_state {
	LYB_FRESH_NO_SLO,    /* no SLO defined */
	LYB_FRESH_UNCHECKED, /* an SLO this rule does not cover */
	LYB_FRESH_ON_TIME,
	LYB_FRESH_LATE,
	LYB_FRESH_MISSING,
};

struct lyb_freshness {
	enum lyb_fresh_state state;
	char expected[LYB_DATE_LEN + 1]; /* the partition that is due */
	int64_t deadline;		 /* when it was due */
	int64_t delivered;		 /* its first publish, 0 if missing */
	int64_t late_by;		 /* seconds past the deadline, or 0 */
	char summary[192];		 /* one line for people */
};

void lyb_freshness_check(const struct lyb_dataset *ds, int64_t now,
			 struct lyb_freshness *f);
/* "on-time", "late", "missing", "no-slo" or "unchecked" */
const char *lyb_freshness_state_name(enum lyb_fresh_state state);
/* 1 when the DataSet is late or missing now */
int lyb_freshness_overdue(const struct lyb_freshness *f);

#endif
