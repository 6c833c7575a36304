/* SPDX-License-Identifier: Apache-2.0 */
/*
 * publish.h - turning objects already in a store into a version manifest.
 *
 * `lyb publish` registers data that a pipeline has already written: this
 * module lists the objects under a URL, takes sizes, generations and
 * checksums from the store (computing crc32c and md5 by reading objects
 * when the store reports none, as the file store does), and counts rows
 * (Avro: from block headers; exports: lines or CSV records).
 *
 * Reentrant; everything it returns is owned by the caller.
 */
#ifndef LYB_PUBLISH_H
#define LYB_PUBLISH_H

#include "lyb/catalog.h"

/*
 * Fills @loc (kind, url, format, compression, objects sorted by name)
 * from the objects under @url. For LYB_LOC_SNOW, @table is the snow://
 * table id and the export format is inferred from the file names, which
 * must all agree. An empty prefix is -ENOENT; an object that is not what
 * its location says (not Avro under gs, not JSON/CSV under snow) is
 * -EBADMSG, with the object named in @err. Each object is also decoded
 * once for the data.jsonl index (loc->jsonl, loc->schema; view.h); data
 * that does not decode is still published, without an index: then the
 * call succeeds with the reason in @err, a warning.
 */
int lyb_publish_scan(enum lyb_loc_kind kind, const char *url, const char *table,
		     struct lyb_location *loc, char *err, size_t errlen);

#endif
