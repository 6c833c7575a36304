/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h - the few assertions the unit tests need. A failed check prints
 * where and what, counts, and the test goes on; main returns non-zero if
 * any failed.
 */
#ifndef LYB_TEST_CHECK_H
#define LYB_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_RC(expr, want)                                            \
	do {                                                            \
		long long got_ = (long long)(expr);                     \
		if (got_ != (long long)(want)) {                        \
			fprintf(stderr,                                 \
				"%s:%d: %s returned %lld, want %lld\n", \
				__FILE__, __LINE__, #expr, got_,        \
				(long long)(want));                     \
			check_failures++;                               \
		}                                                       \
	} while (0)

#define CHECK_STR(got, want)                                                  \
	do {                                                                  \
		const char *g_ = (got), *w_ = (want);                         \
		if (!g_ || strcmp(g_, w_) != 0) {                             \
			fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)", \
				w_);                                          \
			check_failures++;                                     \
		}                                                             \
	} while (0)

#endif
