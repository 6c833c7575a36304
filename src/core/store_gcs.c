// SPDX-License-Identifier: Apache-2.0
/*
 * store_gcs.c - the gs:// store. The GCS client (issue #3) is not built
 * yet: until it is, every gs:// URL fails with one clear message instead
 * of a half-working client.
 */
#include <errno.h>

#include "lyb/log.h"
#include "store_impl.h"

int lyb_store_gcs_new(const char *bucket, struct lyb_store **out)
{
	lyb_log(LYB_LOG_ERR,
		"gs://%s: this build of lybfs has no GCS client yet; use a "
		"file:// catalog and locations",
		bucket);
	return -ENOTSUP;
}
