/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h - the few assertions the unit tests need. A failed check prints
 * where and what, counts, and the test goes on; main returns non-zero if
 * any failed.
 */
#ifndef LYB_TEST_CHECK_H
#define LYB_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
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

/*
 * Makes a fresh directory NAME-XXXXXX for a test's files in @buf: under
 * $LYB_TEST_TMP when set and usable (a tmpfs, say, to take the file
 * store's fsyncs out of a run), else under /tmp. 0, or -1 when neither
 * works.
 */
static inline int test_mkdtemp(char *buf, size_t len, const char *name)
{
	const char *base = getenv("LYB_TEST_TMP");

	if (base && *base &&
	    (size_t)snprintf(buf, len, "%s/%s-XXXXXX", base, name) < len &&
	    mkdtemp(buf))
		return 0;
	if ((size_t)snprintf(buf, len, "/tmp/%s-XXXXXX", name) >= len)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

#endif
