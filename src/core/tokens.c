// SPDX-License-Identifier: Apache-2.0
/*
 * tokens.c - the token bucket of tokens.h: the tokens are brought up to
 * date lazily, at each use, from the time of the previous one; a clock
 * that goes back (it should not: callers pass a monotonic one) refills
 * nothing.
 */
#include "lyb/tokens.h"

void lyb_tokens_init(struct lyb_tokens *t, double burst, double now)
{
	t->tokens = burst;
	t->at = now;
}

static double level(const struct lyb_tokens *t, double rate, double burst,
		    double now)
{
	double v = t->tokens;

	if (now > t->at)
		v += (now - t->at) * rate;
	return v > burst ? burst : v;
}

int lyb_tokens_take(struct lyb_tokens *t, double rate, double burst, double now)
{
	t->tokens = level(t, rate, burst, now);
	if (now > t->at)
		t->at = now;
	if (t->tokens < 1)
		return 0;
	t->tokens -= 1;
	return 1;
}

int lyb_tokens_full(const struct lyb_tokens *t, double rate, double burst,
		    double now)
{
	return level(t, rate, burst, now) >= burst;
}

double lyb_tokens_wait(const struct lyb_tokens *t, double rate, double now)
{
	double v = t->tokens;

	if (now > t->at)
		v += (now - t->at) * rate;
	if (v >= 1)
		return 0;
	return rate > 0 ? (1 - v) / rate : 1e9;
}
