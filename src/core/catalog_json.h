/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_json.h - the JSON side of the catalog grammar, shared by
 * catalog_json.c and catalog2.c (private; the only catalog files that
 * include jansson).
 */
#ifndef LYB_CATALOG_JSON_H
#define LYB_CATALOG_JSON_H

#include <jansson.h>

#include "catalog_impl.h"

/*
 * Format 2 (catalog2.c) stores the same grammar in parts: a card is a
 * format 1 document with "lybrary": 2 and no versions, a version entry of
 * a page is a format 1 version with generations as strings.
 */
int lyb_card_from_json(json_t *doc, struct lyb_dataset **out, char *err,
		       size_t errlen);
/* The card as JSON (NULL: out of memory or not UTF-8); with @history its
 * access history too. */
json_t *lyb_card_to_json(const struct lyb_dataset *ds, int history);
int lyb_version_from_json(json_t *o, struct lyb_version *v, char *err,
			  size_t errlen);
json_t *lyb_version_to_json(const struct lyb_version *v);
/* jansson's reason without the input's bytes. */
const char *lyb_json_reason(json_error_t *jerr);

#endif
