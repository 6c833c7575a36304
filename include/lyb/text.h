/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text.h - untrusted text: checking it where it enters, escaping it where
 * it is printed.
 *
 * Anything a local user sends (the control socket's request line, a
 * request's reason) or a catalog writer stored (reasons, principals,
 * names) is attacker-chosen bytes. Where such text enters, it is checked
 * as a class with lyb_text_check(): valid UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF; what jansson accepts) and
 * no control characters (C0, DEL, C1). Where it is printed to a terminal,
 * lyb_text_fput() or lyb_text_escape() make every control character,
 * invisible direction override and invalid byte visible as a backslash
 * escape, so no stored string can move the cursor, retitle the terminal
 * or hide text.
 *
 * Pure functions: no state, safe from any thread.
 */
#ifndef LYB_TEXT_H
#define LYB_TEXT_H

#include <stddef.h>
#include <stdio.h>

#define LYB_TEXT_TAB 1u /* lyb_text_check(): a tab is allowed */

/* 1 when the @len bytes at @s are valid UTF-8 (a NUL counts as valid). */
int lyb_text_utf8_valid(const char *s, size_t len);

/*
 * 0 when the @len bytes at @s are valid UTF-8 without a NUL or a control
 * character (a tab allowed with LYB_TEXT_TAB); else -EILSEQ (not UTF-8)
 * or -EINVAL (a NUL or control character) with @why (may be NULL) saying
 * which byte, e.g. "byte 4 is the control character 0x1b".
 */
int lyb_text_check(const char *s, size_t len, unsigned flags, char *why,
		   size_t whylen);

/*
 * Writes the string @s to @f with these replaced: a backslash by "\\", a
 * C0 control or DEL by "\xNN" (so "\x1b" for ESC; newline and tab too), a
 * C1 control, a bidirectional override or isolate (U+202A-U+202E,
 * U+2066-U+2069) or a line/paragraph separator by "\uNNNN", and a byte
 * that is not part of valid UTF-8 by "\xNN". Everything else is copied.
 */
void lyb_text_fput(FILE *f, const char *s);

/*
 * The same into @out (@cap bytes, always NUL-terminated, cut at a whole
 * escape when it does not fit); returns @out.
 */
char *lyb_text_escape(const char *s, char *out, size_t cap);

/*
 * The name nearest to @word (case-insensitive, edit distance with
 * transpositions, at most 1 for words of up to 3 characters, 2 up to 7,
 * else 3) of those @name(@arg, 0), @name(@arg, 1), ... returns until it
 * returns NULL; the first of equally near ones. NULL when none is that
 * near, or @word (or a name, which is then skipped) is longer than 64
 * characters. For "did you mean NAME?".
 */
const char *lyb_text_nearest(const char *word,
			     const char *(*name)(const void *arg, size_t i),
			     const void *arg);

#endif
