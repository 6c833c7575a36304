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

/* The marker document ROOT/lybrary.json: checks it, or writes one. */
int lyb_catalog_marker_check(const char *text, size_t len, int *format,
			     int *upgrading, char *err, size_t errlen);
extern const char lyb_catalog_marker[];		  /* format 1 */
extern const char lyb_catalog_marker2[];	  /* format 2 */
extern const char lyb_catalog_marker_upgrading[]; /* 1, becoming 2 */

/* A copy of card @ds: no versions, no f2; totals and latest kept. */
int lyb_card_copy(const struct lyb_dataset *ds, struct lyb_dataset **out);

/* --- format 2 (catalog2.c), driven by catalog.c --- */
struct lyb_cat2;
struct lyb_store;
int lyb_cat2_open(struct lyb_store *store, const char *prefix, const char *url,
		  struct lyb_cat2 **out);
void lyb_cat2_close(struct lyb_cat2 *c);
void lyb_cat2_set_mem(struct lyb_cat2 *c, size_t bytes);
uint64_t lyb_cat2_requests(const struct lyb_cat2 *c);
/* 1 when the last refresh stopped at its batch, the journal going on. */
int lyb_cat2_more(const struct lyb_cat2 *c);
/* The next snapshot after @old, or *@out NULL when nothing changed. */
int lyb_cat2_refresh(struct lyb_cat2 *c, const struct lyb_snap *old,
		     struct lyb_snap **out);
int lyb_cat2_get(struct lyb_cat2 *c, const char *name, struct lyb_dataset **out,
		 char *err, size_t errlen);
/* Loads the history pages behind a head from lyb_cat2_get(). */
int lyb_cat2_history(struct lyb_dataset *ds);
int lyb_cat2_create(struct lyb_cat2 *c, const struct lyb_dataset *ds, char *err,
		    size_t errlen);
int lyb_cat2_update(struct lyb_cat2 *c, const char *name,
		    lyb_catalog_mutate_fn mutate, void *arg, char *err,
		    size_t errlen);
int lyb_cat2_publish(struct lyb_cat2 *c, const char *name,
		     const struct lyb_version *v, char id[LYB_ID_MAX + 1],
		     int *existed, char *err, size_t errlen);
int lyb_cat2_import(struct lyb_cat2 *c, const struct lyb_dataset *ds,
		    int announce, char *err, size_t errlen);
int lyb_cat2_checkpoint(struct lyb_cat2 *c, const struct lyb_snap *snap,
			char *err, size_t errlen);
int lyb_f2_dates(struct lyb_dataset *ds, struct lyb_datelist **out);
int lyb_f2_part(struct lyb_dataset *ds, const char *date,
		struct lyb_dataset **out);
void lyb_f2_free(struct lyb_f2 *f);

#endif
