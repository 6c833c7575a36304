/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz.h - what the harnesses share: the libFuzzer entry point, quiet
 * logging, and a lyb_read_fn over bytes in memory.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput(); it is linked
 * either with libFuzzer or with driver.c (tests/fuzz/CMakeLists.txt).
 * Harnesses must leak nothing and accept any bytes: a crash, sanitizer
 * report, leak or hang is a bug in lyb_core.
 */
#ifndef LYB_FUZZ_H
#define LYB_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_mem {
	const uint8_t *data;
	size_t len;
};

/* lyb_read_fn over @arg, a struct fuzz_mem */
static inline int fuzz_mem_read(void *arg, uint64_t off, void *buf, size_t len,
				size_t *got)
{
	const struct fuzz_mem *m = arg;

	if (off >= m->len) {
		*got = 0;
		return 0;
	}
	if (len > m->len - off)
		len = (size_t)(m->len - off);
	memcpy(buf, m->data + off, len);
	*got = len;
	return 0;
}

/* A NUL-terminated copy of the input (NULs inside are kept); NULL if out
 * of memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* Errors are expected by the thousand: only crashes should be heard. */
static inline void fuzz_quiet(void)
{
	static int done;

	if (!done) {
		lyb_log_set_level(LYB_LOG_ERR);
		done = 1;
	}
}

#endif
