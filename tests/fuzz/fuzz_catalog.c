// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_catalog.c - catalog documents: any bytes through
 * lyb_dataset_parse(); a document it accepts must format, parse again to
 * the same canonical form, and render its card and version records. The
 * catalog marker check gets the same bytes.
 */
#include <stdio.h>

#include "catalog_impl.h"
#include "fuzz.h"
#include "lyb/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lyb_dataset *ds = NULL, *again = NULL;
	struct lyb_snap snap = {0};
	char err[512], *text, *out = NULL, *out2 = NULL, *json = NULL;
	size_t i;

	fuzz_quiet();
	text = fuzz_strndup(data, size);
	if (!text)
		return 0;
	{
		int f, u;
		lyb_catalog_marker_check(text, size, &f, &u, err, sizeof(err));
	}
	if (lyb_dataset_parse(text, size, &ds, err, sizeof(err)) != 0)
		goto free_text;
	if (lyb_dataset_format(ds, &out) != 0)
		goto unref_ds;
	if (lyb_dataset_parse(out, strlen(out), &again, err, sizeof(err))) {
		fprintf(stderr,
			"fuzz_catalog: formatted document rejected: %s\n", err);
		abort();
	}
	if (lyb_dataset_format(again, &out2) == 0 && strcmp(out, out2) != 0) {
		fprintf(stderr, "fuzz_catalog: format is not canonical\n");
		abort();
	}
	atomic_init(&snap.refs, 1);
	snap.ndatasets = 1;
	snap.datasets = &ds;
	if (lyb_dataset_card(&snap, ds, &json) == 0)
		free(json);
	for (i = 0; i < ds->nversions; i++) {
		json = NULL;
		if (lyb_version_record(ds, &ds->versions[i], &json) == 0)
			free(json);
		lyb_dataset_find_version(ds, ds->versions[i].date,
					 ds->versions[i].id);
	}
	free(out2);
	lyb_dataset_unref(again);
	free(out);
unref_ds:
	lyb_dataset_unref(ds);
free_text:
	free(text);
	return 0;
}
