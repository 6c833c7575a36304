/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_impl.h - what catalog.c and catalog_json.c share (private).
 */
#ifndef LYB_CATALOG_IMPL_H
#define LYB_CATALOG_IMPL_H

#include "lyb/catalog.h"

#define LYB_CATALOG_FORMAT 1

/* Sorts versions and rebuilds the per-date index. 0 or -ENOMEM. */
int lyb_dataset_index(struct lyb_dataset *ds);
/* Frees everything @ds owns and @ds itself, ignoring the refcount. */
void lyb_dataset_destroy(struct lyb_dataset *ds);
/* A deep, mutable copy with refcount 1 (through the document form). */
int lyb_dataset_copy(const struct lyb_dataset *ds, struct lyb_dataset **out);
/* Deep copy of one version. */
int lyb_version_copy(const struct lyb_version *src, struct lyb_version *dst);

/* RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" <-> seconds since the epoch. */
void lyb_time_format(int64_t t, char out[21]);
int lyb_time_parse(const char *s, int64_t *out);

/* The marker document ROOT/lybrary.json: checks it, or writes one. */
int lyb_catalog_marker_check(const char *text, size_t len, char *err,
			     size_t errlen);
extern const char lyb_catalog_marker[];

#endif
