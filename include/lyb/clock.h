/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h - time, for every layer (clock.c depends on nothing).
 *
 * lyb_now() honours $LYB_NOW (seconds, or an RFC 3339 UTC time) so that
 * tests and demos can fix the clock. Reentrant.
 */
#ifndef LYB_CLOCK_H
#define LYB_CLOCK_H

#include <stdint.h>

#define LYB_DATE_LEN 10 /* YYYY-MM-DD */

/* Seconds since the epoch, or $LYB_NOW. */
int64_t lyb_now(void);
/*
 * Seconds on CLOCK_MONOTONIC: for every timeout, deadline, rate and
 * duration (never steps, never $LYB_NOW).
 */
double lyb_mono(void);
/*
 * RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" <-> seconds since the epoch. The
 * parser takes exactly that shape (a real date, 00-23:00-59:00-60, no
 * signs, spaces or fractions) or answers -EINVAL.
 */
void lyb_time_format(int64_t t, char out[21]);
int lyb_time_parse(const char *s, int64_t *out);
/* 1 if @date is a real calendar date written YYYY-MM-DD, else 0. */
int lyb_date_valid(const char *date);

#endif
