/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gcs_impl.h - how gcs.c and auth.c read what a server answered (private
 * to lyb_core, and to tests/fuzz/fuzz_gcs.c).
 *
 * Pure functions over bytes: no network, no logging, no state. The live
 * calls in gcs.c and auth.c parse every answer through these, so the fuzz
 * harness exercises the same code the network reaches. Every answer is
 * hostile: any bytes give 0 or an errno, never a crash.
 *
 * @why (@whylen bytes, may be 0) gets what was wrong when the answer was
 * rejected (-EBADMSG), "" otherwise; the caller logs it with its context.
 * Thread safety: all of them may be called from any thread.
 */
#ifndef LYB_GCS_IMPL_H
#define LYB_GCS_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "lyb/store.h"

/*
 * An object resource (metadata, or the answer to a finished upload):
 * size and generation (> 0) are required, as GCS's decimal strings;
 * updated, crc32c and md5Hash are optional (0 and "" when absent or
 * malformed). @out->key is not touched. 0, -EBADMSG or -ENOMEM.
 */
int lyb_gcs_parse_object(const char *json, size_t len,
			 struct lyb_object_info *out, char *why, size_t whylen);

/*
 * A listing page: @cb gets each of "prefixes" (generation 0) and then
 * each of "items" (parsed as by lyb_gcs_parse_object, key = its name);
 * the keys are the server's and are not validated (store_gcs.c skips
 * invalid ones). @cb's non-zero return stops and is returned.
 * *@next_token gets a copy of a non-empty "nextPageToken" (caller
 * frees), else NULL; it is only set when 0 is returned.
 */
int lyb_gcs_parse_list_page(const char *json, size_t len, lyb_store_list_cb cb,
			    void *arg, char **next_token, char *why,
			    size_t whylen);

/*
 * A resumable session's Range header value ("" or "bytes=0-N"): the next
 * byte offset the session wants (0 for "", else N + 1). 0 or -EBADMSG.
 */
int lyb_gcs_parse_upload_range(const char *range, size_t *next);

/*
 * An OAuth token answer (auth.c): "access_token" (printable, shorter than
 * @cap) into @tok and "expires_in" (> 0 seconds) into @ttl. 0 or -EBADMSG.
 */
int lyb_auth_parse_token(const char *json, size_t len, char *tok, size_t cap,
			 double *ttl, char *why, size_t whylen);

#endif
