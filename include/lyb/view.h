/* SPDX-License-Identifier: Apache-2.0 */
/*
 * view.h - MNT/<dataset>/<date>/<version>/data.jsonl and data.avro.json:
 * every record of a version as JSON lines, in manifest order, decoded
 * lazily from the version's gs copy (Avro) or, without one, its snow
 * export. data.jsonl is decode.h's plain JSON (LYB_JSON_PLAIN);
 * data.avro.json the Avro JSON encoding (LYB_JSON_AVRO), of a gs copy
 * only. An export's lines are the same in both.
 *
 * The size is exact before a byte is read: `lyb publish` decodes each
 * object once and records the total and a sparse index in the catalog
 * for each encoding (struct lyb_jsonl: every few hundred KiB of Avro, a
 * mark saying where decoding may start and which JSON byte it yields):
 * `jsonl`, the Avro JSON encoding's (data.avro.json, and an export's
 * lines), and `jsonl_plain`, data.jsonl's of a gs copy. A version
 * published without one (an older lyb, a document written by hand) gets
 * it computed on first need (decoding the whole version once) and cached
 * in memory, per DataSet, version id and encoding, for the newest 4,096
 * (older entries are evicted and computed again when next needed). A read finds
 * its mark by binary search, fetches that run of blocks with one ranged read,
 * decodes it and copies out the bytes asked for; up to 8 MiB of the run's
 * JSON from the offset read is kept per open file (never the whole run,
 * which may decode to far more), so sequential reads decode a run of
 * normal size once. Every decode applies decode.h's limits.
 *
 * A run that decodes to a different number of bytes than the index says,
 * a corrupt block or an unknown codec is -EIO, with a log line naming the
 * version, the object and the block: never bytes that differ from the
 * promised size.
 *
 * Thread safety: every function may be called from any thread. The
 * in-memory index cache is shared (a mutex never held across I/O;
 * concurrent first uses of one version wait for a single computation). A
 * struct lyb_view_file has one owner but may be read concurrently: its
 * reads are serialized by its own lock, held while it fetches and decodes.
 */
#ifndef LYB_VIEW_H
#define LYB_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include "lyb/catalog.h"
#include "lyb/decode.h"

/* The copy data.jsonl is decoded from: gs when there is one, else snow. */
const struct lyb_location *lyb_view_source(const struct lyb_version *v);

/*
 * Decodes every object of @loc once and builds its index for @enc (the
 * catalog records LYB_JSON_AVRO's): @out gets the
 * exact byte count and the marks (free with lyb_view_jsonl_clear());
 * @schema (may be NULL) the first object's writer schema, for gs, which
 * the caller frees, also after a failure past the first header. A
 * decoding failure is -EBADMSG with the object and block in @err; a store
 * failure its errno.
 */
int lyb_view_index(const struct lyb_location *loc, enum lyb_json_enc enc,
		   struct lyb_jsonl *out, char **schema, char *err,
		   size_t errlen);
void lyb_view_jsonl_clear(struct lyb_jsonl *jl);

/*
 * The same index built object by object, so that objects can be read in
 * any order or in parallel (publish.h) and each is decoded once for every
 * encoding. A part holds one object's marks, `at` counted from the
 * object's first JSON byte; joined in object order they are exactly the
 * index lyb_view_index() builds.
 */
/* How far apart marks are for a location of @total bytes of objects. */
uint64_t lyb_view_spacing(uint64_t total);

struct lyb_view_part {
	struct lyb_jsonl jl; /* bytes: the object's JSON */
	size_t cap;
	uint64_t object, spacing;
	uint64_t run_off, run_json; /* the run being built */
	int in_run;
};
void lyb_view_part_init(struct lyb_view_part *p, uint64_t object,
			uint64_t spacing);
/* Block @block at @off decoded to @json bytes: may start a run. */
int lyb_view_part_add(struct lyb_view_part *p, uint64_t block, uint64_t off,
		      uint64_t json);
/* The object ended (drops a run without JSON). */
void lyb_view_part_end(struct lyb_view_part *p);
/* Appends @p to @jl (@cap: the size of jl->marks, 0 at first). */
int lyb_view_part_join(struct lyb_jsonl *jl, size_t *cap,
		       const struct lyb_view_part *p);
void lyb_view_part_clear(struct lyb_view_part *p);

/* What one pass over one object found. */
struct lyb_view_scan {
	int64_t rows;		      /* Avro: the records its blocks claim */
	struct lyb_view_part part[2]; /* by enum lyb_json_enc, as asked */
	char *schema;		      /* Avro: its writer schema, owned */
	int decode_rc;		      /* 0, or why there is no index: */
	char why[512];		      /* its reason */
};

/*
 * Reads the Avro object @object of @size bytes through @read once, in
 * order (header, then each block whole: lyb_avro_next_read()), decodes
 * each block once and adds it to the parts of the encodings in @encs (bit
 * 1 << enc). Returns 0, -EBADMSG (with @err) when the file does not frame
 * (not Avro, a bad block header or sync marker, truncated), or the
 * reader's error. Data that frames but does not decode is 0 with
 * @sc->decode_rc -EBADMSG and the reason; past a decoding limit (decode.h)
 * -EOVERFLOW, and the pass stops there. After -EBADMSG it goes on framing
 * (and counting rows) to the end when @keep_framing, else it stops. Free
 * @sc with lyb_view_scan_clear(), whatever was returned.
 */
int lyb_view_scan_avro(lyb_read_fn read, void *arg, uint64_t size,
		       uint64_t object, uint64_t spacing, unsigned encs,
		       int keep_framing, struct lyb_view_scan *sc, char *err,
		       size_t errlen);
/* The same for an export file (one mark, at its start; rows not counted). */
int lyb_view_scan_export(lyb_read_fn read, void *arg, uint64_t size,
			 enum lyb_export_format format, uint64_t object,
			 unsigned encs, struct lyb_view_scan *sc);
void lyb_view_scan_clear(struct lyb_view_scan *sc);

/*
 * The exact size of @v's data.jsonl (LYB_JSON_PLAIN) or data.avro.json
 * (LYB_JSON_AVRO; -ENOENT without a gs copy): from the catalog, or computed
 * (which reads and decodes the whole version) and cached. -EIO when it cannot
 * be decoded (logged once per version).
 */
int lyb_view_size(const struct lyb_dataset *ds, const struct lyb_version *v,
		  enum lyb_json_enc enc, uint64_t *size);

/*
 * The writer schema of @v (the first gs object's), as JSON text the
 * caller frees: from the catalog, or from the cache above. -ENOENT when
 * @v has no gs copy.
 */
int lyb_view_schema(const struct lyb_dataset *ds, const struct lyb_version *v,
		    char **schema);

struct lyb_view_file;
/*
 * Opens @v's data.jsonl or data.avro.json (@enc, as above). Takes a reference
 * on @ds (so @v stays valid while the file is open); fetches nothing until the
 * first read.
 */
int lyb_view_open(struct lyb_dataset *ds, const struct lyb_version *v,
		  enum lyb_json_enc enc, struct lyb_view_file **out);
uint64_t lyb_view_file_size(const struct lyb_view_file *f);
/*
 * Reads up to @len bytes at @off; *@got < @len only at the end. -EIO for
 * data that does not decode to what the index promised (logged), or the
 * store's error.
 */
int lyb_view_read(struct lyb_view_file *f, void *buf, size_t len, uint64_t off,
		  size_t *got);
void lyb_view_close(struct lyb_view_file *f); /* accepts NULL */

#endif
