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
 * Reentrant (each call runs its own worker threads, joined before it
 * returns); everything it returns is owned by the caller.
 */
#ifndef LYB_PUBLISH_H
#define LYB_PUBLISH_H

#include <stddef.h>
#include <stdint.h>
#include "lyb/catalog.h"

/*
 * How a scan runs. Objects are read by up to @jobs worker threads at
 * once, each through a window of LYB_PUBLISH_WINDOW bytes (one ranged
 * read of the store per window): memory is about @jobs times the window
 * plus the largest Avro block being decoded, whatever the objects' sizes.
 */
#define LYB_PUBLISH_JOBS_DEFAULT 4
#define LYB_PUBLISH_JOBS_MAX 64
#define LYB_PUBLISH_WINDOW (8u << 20)
#define LYB_PUBLISH_PROGRESS_MS 250

struct lyb_publish_progress {
	const char *phase; /* "headers" (gs: every object's), then "data" */
	size_t objects, objects_done; /* of this phase */
	uint64_t bytes, bytes_done;   /* object bytes, and read in order */
	double seconds;		      /* since the scan started */
	int done;		      /* the last call */
};

struct lyb_publish_opts {
	unsigned jobs;	    /* 0: LYB_PUBLISH_JOBS_DEFAULT; at most _MAX */
	const char *schema; /* the DataSet's Avro schema, or NULL */
	/* on the calling thread, every LYB_PUBLISH_PROGRESS_MS or so while
	 * objects are read, and once at the end (done); may be NULL */
	void (*progress)(void *arg, const struct lyb_publish_progress *p);
	void *progress_arg;
	/* do not write page CRC sidecars beside the objects (see below) */
	int no_page_crcs;
};

/* Objects larger than this get no page CRC sidecar: while an object is
 * read its page CRCs (4 bytes a 4 KiB page) are held in memory, then its
 * sidecar and the one found there (2 KiB a MiB each): at most 20 MiB a
 * job. */
#define LYB_PUBLISH_PAGES_MAX (4ull << 30)

/*
 * Fills @loc (kind, url, format, compression, objects sorted by name)
 * from the objects under @url, reading each object once in full (gs
 * objects' headers once more first). For LYB_LOC_SNOW, @table is the
 * snow:// table id and the export format is inferred from the file
 * names, which must all agree. @opts may be NULL.
 *
 * An empty prefix is -ENOENT. The objects that are not what the location
 * says (not Avro under gs, not JSON/CSV under snow), that fail to read,
 * or (gs) whose writer schema differs from the location's most common
 * one (lyb_schema_same()), or that the DataSet's schema (@opts->schema)
 * cannot read (lyb_schema_resolve()), or past a decoding limit
 * (decode.h), are refused, every one named in @err by its URL with the
 * reason ("URL: why" for one; a count and a line each for several):
 * -EBADMSG, or the store's error. @err should hold a few KiB.
 *
 * Each object is also decoded once for the data.jsonl indexes
 * (loc->jsonl, loc->jsonl_plain, loc->schema: the location's writer
 * schema; view.h); data that does not decode is still published, without
 * an index: then the call succeeds with the reason in @err, a warning.
 *
 * Each object over 1 MiB (up to LYB_PUBLISH_PAGES_MAX) also gets its page
 * CRC sidecar (pagecrc.h) written beside it, under lyb_pagecrc_key(), and
 * its generation recorded (page_crc32c), so that a small read of it can
 * be checked without its whole block; one already there with the same
 * bytes is kept. A sidecar that cannot be written (no write access to the
 * data, a server without uploads) is a warning in @err, never a failure.
 */
int lyb_publish_scan(enum lyb_loc_kind kind, const char *url, const char *table,
		     const struct lyb_publish_opts *opts,
		     struct lyb_location *loc, char *err, size_t errlen);

#endif
