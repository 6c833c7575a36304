/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens.h - a token bucket: at most @burst events at once, refilled at
 * @rate tokens a second. The audit log's per-uid line budget and the
 * control socket's per-uid change budget are made of it.
 *
 * The bucket is plain data with no lock: its owner serialises access
 * (the audit log under its lock, the control socket in its one thread).
 * Time is whatever monotonic clock, in seconds, the owner passes in.
 */
#ifndef LYB_TOKENS_H
#define LYB_TOKENS_H

struct lyb_tokens {
	double tokens; /* events allowed now, up to the burst */
	double at;     /* when tokens was last brought up to date */
};

/* A full bucket at @now. */
void lyb_tokens_init(struct lyb_tokens *t, double burst, double now);
/* Refills @t up to @now; takes one token if there is one (1), else 0. */
int lyb_tokens_take(struct lyb_tokens *t, double rate, double burst,
		    double now);
/* 1 when @t would be full at @now (as if never used), else 0. */
int lyb_tokens_full(const struct lyb_tokens *t, double rate, double burst,
		    double now);
/* Seconds from @now until @t has a token again (0: it has one now). */
double lyb_tokens_wait(const struct lyb_tokens *t, double rate, double now);

#endif
