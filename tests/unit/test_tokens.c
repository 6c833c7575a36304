// SPDX-License-Identifier: Apache-2.0
/*
 * test_tokens.c - the token bucket shared by the audit log's line budget
 * and the control socket's change budget: the burst, the refill rate,
 * the cap at the burst, the wait it reports, a clock that goes back.
 */
#include "check.h"
#include "lyb/tokens.h"

static void test_burst_and_rate(void)
{
	struct lyb_tokens t;
	int i, n = 0;

	lyb_tokens_init(&t, 10, 100.0);
	CHECK(lyb_tokens_full(&t, 0.5, 10, 100.0));
	for (i = 0; i < 20; i++)
		n += lyb_tokens_take(&t, 0.5, 10, 100.0);
	CHECK_RC(n, 10); /* the burst, then nothing */
	CHECK(!lyb_tokens_full(&t, 0.5, 10, 100.0));
	/* one token per 2 s */
	CHECK(lyb_tokens_wait(&t, 0.5, 100.0) > 1.99);
	CHECK(lyb_tokens_wait(&t, 0.5, 100.0) < 2.01);
	CHECK(lyb_tokens_wait(&t, 0.5, 101.0) > 0.99);
	CHECK_RC(lyb_tokens_take(&t, 0.5, 10, 101.0), 0);
	CHECK_RC(lyb_tokens_take(&t, 0.5, 10, 102.0), 1);
	CHECK_RC(lyb_tokens_take(&t, 0.5, 10, 102.0), 0);
	/* 60 s of refill: 30 tokens, capped at the burst */
	CHECK(lyb_tokens_full(&t, 0.5, 10, 162.0));
	CHECK(lyb_tokens_wait(&t, 0.5, 162.0) == 0);
	n = 0;
	for (i = 0; i < 20; i++)
		n += lyb_tokens_take(&t, 0.5, 10, 162.0);
	CHECK_RC(n, 10);
}

static void test_clock_back(void)
{
	struct lyb_tokens t;

	lyb_tokens_init(&t, 1, 50.0);
	CHECK_RC(lyb_tokens_take(&t, 1, 1, 50.0), 1);
	/* a clock going back refills nothing, and nothing later twice */
	CHECK_RC(lyb_tokens_take(&t, 1, 1, 10.0), 0);
	CHECK_RC(lyb_tokens_take(&t, 1, 1, 50.5), 0);
	CHECK_RC(lyb_tokens_take(&t, 1, 1, 51.0), 1);
}

int main(void)
{
	test_burst_and_rate();
	test_clock_back();
	return check_failures ? 1 : 0;
}
