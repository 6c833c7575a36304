/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog.h - the Lybrary catalog: DataSets, their dated versions and
 * where each version's bytes live (docs/catalog.md is the format).
 *
 * The catalog is a set of JSON documents under a root URL (file:// or
 * gs://), one per DataSet. A struct lyb_catalog loads them into immutable
 * snapshots: a struct lyb_snap is never modified after it is published,
 * so readers walk it without locks; lyb_catalog_refresh() builds a new one
 * (re-reading only changed documents, sharing unchanged DataSets) and
 * swaps it in. Writers update one document with a compare-and-swap on its
 * generation, so concurrent publishers never lose each other's versions.
 *
 * Ownership: snapshots and DataSets are refcounted. A pointer into a
 * DataSet (versions, locations, objects, strings) stays valid while the
 * caller holds a reference to the DataSet or to a snapshot containing it.
 *
 * Thread safety: lyb_catalog_* may be called from any thread; a snapshot
 * and the DataSets in it are read-only and may be shared freely.
 */
#ifndef LYB_CATALOG_H
#define LYB_CATALOG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "lyb/clock.h"
#include "lyb/digest.h"

#define LYB_NAME_MAX 255 /* a DataSet name */
#define LYB_ID_MIN 6	 /* version ids: lower-case hex */
#define LYB_ID_MAX 64
#define LYB_DOC_MAX (64u << 20) /* largest catalog document read */
#define LYB_PRINCIPAL_LEN 256	/* longest principal, in bytes */
/*
 * Unknown top-level fields of one document, all of them together as
 * compact JSON: past it the document does not load (nor may it be
 * written), so no writer makes every daemon hold megabytes it never uses.
 */
#define LYB_DOC_EXTRA_MAX (64u << 10)
/*
 * access.history entries a writer keeps: a change past it drops the
 * oldest and counts them in access.history_dropped (each change is in the
 * audit log too). Readers load a longer history all the same.
 */
#define LYB_DOC_HISTORY_MAX 10000

enum lyb_loc_kind { LYB_LOC_GS = 0, LYB_LOC_SNOW = 1, LYB_LOC_COUNT };

/* One file of a location's manifest. */
struct lyb_object {
	char *name; /* relative to the location; a valid store key */
	uint64_t size;
	int64_t generation;
	int64_t rows;			     /* -1 when unknown */
	char crc32c[LYB_CRC32C_B64_LEN + 1]; /* base64 big-endian, or "" */
	char md5[LYB_MD5_B64_LEN + 1];	     /* base64, or "" */
	/*
	 * CRC32C of each LYB_BLOCK_SIZE block, recorded at publish: exactly
	 * lyb_object_nblocks() entries, or NULL (a format 1 catalog, whose
	 * objects are then verified whole before any byte is served).
	 */
	uint32_t *block_crc32c;
	/* The generation of its page CRC sidecar (pagecrc.h), beside it
	 * under lyb_pagecrc_key(name); 0 when it has none. Only with
	 * block_crc32c, to which the sidecar's rows chain. */
	int64_t page_crc_gen;
};

/* Every object's bytes are checksummed in blocks of this size. */
#define LYB_BLOCK_SIZE (1u << 20)
/* The number of LYB_BLOCK_SIZE blocks of an object of @size bytes. */
#define lyb_object_nblocks(size) \
	(((size) + LYB_BLOCK_SIZE - 1) / LYB_BLOCK_SIZE)

/*
 * The data.jsonl view of a location (view.h), recorded at publish: a
 * sparse index of where decoding may start. Mark i covers the blocks from
 * @off in object @object up to the next mark in the same object (or the
 * object's end) and decodes to the JSON bytes [at, next mark's at, or
 * bytes). For exports a mark is a whole object (block 0, off 0).
 */
struct lyb_jsonl_mark {
	uint64_t object; /* index into the location's sorted objects */
	uint64_t block;	 /* index of the first block within that object */
	uint64_t off;	 /* its byte offset in the object */
	uint64_t at;	 /* its first JSON byte in data.jsonl */
};

struct lyb_jsonl {
	int recorded;	/* 0: not in the catalog (computed on first need) */
	uint64_t bytes; /* the exact size of the JSON lines */
	size_t nmarks;
	struct lyb_jsonl_mark *marks; /* by at, strictly ascending */
};

/* One copy of a version's data. */
struct lyb_location {
	enum lyb_loc_kind kind;
	char *url;	   /* gs: the object prefix; snow: the export prefix */
	char *table;	   /* snow: "snow://db/table/version"; gs: NULL */
	char *format;	   /* "avro", "json" or "csv" */
	char *compression; /* "gzip" or "none" for exports; NULL for avro */
	size_t nobjects;
	struct lyb_object *objects; /* sorted by name, names unique */
	struct lyb_jsonl jsonl; /* the Avro JSON lines' index (data.avro.json;
				 * an export's lines, data.jsonl), when
				 * recorded */
	struct lyb_jsonl jsonl_plain; /* gs: data.jsonl's (plain JSON) */
	char *schema; /* gs: the first object's writer schema (JSON), or NULL */
};

/* An upstream version a version was computed from. */
struct lyb_vref {
	char *dataset;
	char date[LYB_DATE_LEN + 1];
	char id[LYB_ID_MAX + 1];
};

struct lyb_version {
	char date[LYB_DATE_LEN + 1];
	char id[LYB_ID_MAX + 1];
	char digest[LYB_SHA256_HEX_LEN + 1]; /* the content digest */
	int64_t published;		     /* seconds since the epoch */
	char *producer;			     /* principal or free text */
	int64_t rows;			     /* -1 when unknown */
	uint64_t bytes;
	size_t nupstream;
	struct lyb_vref *upstream;
	size_t nlocations;
	struct lyb_location *locations; /* at most one per kind, by kind */
};

/* The versions of one partition date (derived when a DataSet loads). */
struct lyb_date {
	char date[LYB_DATE_LEN + 1];
	size_t first, count;		  /* versions[first .. first+count) */
	const struct lyb_version *latest; /* the last published */
};

/* A pending request for read access (docs/catalog.md, "access"). */
struct lyb_access_request {
	char *principal; /* who asked: a user: principal */
	char *reason;	 /* free text, or NULL */
	int64_t since;	 /* when */
};

/* One change to who may read a DataSet, kept in its history (the newest). */
struct lyb_access_change {
	int64_t time;
	char *by;	 /* who did it: a user: principal */
	char *action;	 /* "request", "grant" or "revoke" */
	char *principal; /* whom it is about */
	char *reason;	 /* free text, or NULL */
};

struct lyb_f2; /* format 2: where a DataSet's pages are (catalog2.c) */

struct lyb_dataset {
	atomic_int refs;
	char *name;
	char *description;
	char *owner;	     /* the owner team: a group principal */
	char *channel;	     /* contact channel, may be NULL */
	char *pm;	     /* product manager handle, may be NULL */
	char *slo_frequency; /* "daily", "hourly", "weekly", or NULL */
	char *slo_deadline;  /* "HH:MM", or NULL */
	char *slo_timezone;  /* "UTC" unless stated */
	char *data_format;   /* "avro" unless stated */
	char *schema;	     /* Avro schema, compact JSON, or NULL */
	int64_t created;
	size_t nreaders;
	char **readers; /* principals */
	size_t nupstream;
	char **upstream; /* DataSet names */
	size_t nrequests;
	struct lyb_access_request *requests; /* pending, oldest first */
	size_t nhistory;
	struct lyb_access_change *history; /* oldest first */
	int64_t history_dropped; /* older entries dropped from it, in all */
	size_t nversions;
	struct lyb_version *versions; /* by date, then published, then id */
	size_t ndates;
	struct lyb_date *dates; /* ascending */
	int64_t updated;	/* the newest publish time, or created */
	int64_t generation;	/* of the document it was read from */
	char *extra; /* unknown top-level fields, compact JSON, or NULL */
	/*
	 * Both formats: the totals and the newest version (latest_date ""
	 * when there is none), whatever of the versions is loaded.
	 */
	uint64_t count_versions, count_dates;
	char latest_date[LYB_DATE_LEN + 1];
	char latest_id[LYB_ID_MAX + 1];
	int64_t latest_published, latest_rows;
	uint64_t latest_bytes;
	int64_t latest_first; /* the first publish time of latest_date */
	/*
	 * Format 2: a card, whose versions load on demand through @f2
	 * (lyb_dataset_dates(), lyb_dataset_part()); versions[] is empty.
	 * NULL: versions[] holds the versions (all of them, or with @partial
	 * those of the dates a part was made for).
	 */
	struct lyb_f2 *f2;
	int partial;
};

/* One date of a DataSet, summarised (both formats). */
struct lyb_date_sum {
	char date[LYB_DATE_LEN + 1];
	uint64_t count;
	char latest[LYB_ID_MAX + 1]; /* the last published */
	int64_t published;	     /* its publish time */
	int64_t first;		     /* the first publish time of the date */
};

/* A DataSet's dates, ascending; refcounted, read-only once made. */
struct lyb_datelist {
	atomic_int refs;
	size_t n;
	struct lyb_date_sum *d;
};

/*
 * The dates of @ds. Format 2 reads its dates tree (cached, bounded by
 * catalog_mem); format 1 summarises versions[]. -EBADMSG/-EIO when the
 * pages do not load (logged).
 */
int lyb_dataset_dates(struct lyb_dataset *ds, struct lyb_datelist **out);
const struct lyb_date_sum *lyb_datelist_find(const struct lyb_datelist *l,
					     const char *date);
void lyb_datelist_unref(struct lyb_datelist *l); /* accepts NULL */

/*
 * @ds with the versions of @date loaded (@date NULL: every version, for
 * tools that print them all): a DataSet whose versions[], dates[] and
 * lookups work as in format 1. Format 1 returns @ds itself. A reference:
 * release with lyb_dataset_unref().
 */
int lyb_dataset_part(struct lyb_dataset *ds, const char *date,
		     struct lyb_dataset **out);

/*
 * A DataSet document the refresh listed but could not load: what it
 * serves for that DataSet is no longer what the catalog says (a
 * revocation may be in it). docs/catalog.md, "How readers load it".
 */
struct lyb_bad_doc {
	char name[LYB_NAME_MAX + 1]; /* from the document's file name */
	char reason[256];	     /* the parser's or the store's reason */
	int64_t since;		     /* when it was first found unloadable */
	int definite; /* 1: it does not parse or is too large; 0: a read
			 failed (maybe transient) */
};

struct lyb_snap {
	atomic_int refs;
	int format;	 /* 1 or 2 */
	uint64_t serial; /* grows with every change the catalog sees */
	int64_t loaded;	 /* when this snapshot was built */
	size_t ndatasets;
	struct lyb_dataset **datasets; /* sorted by name */
	size_t nbad;
	struct lyb_bad_doc *bad; /* sorted by name */
};

/* --- names (1 valid, 0 not) --- */
int lyb_name_valid(const char *name); /* namespace.Name */
/* lyb_date_valid(): clock.h */
int lyb_id_valid(const char *id); /* 6..64 lower-case hex */
/* user:, group:, domain:, at most LYB_PRINCIPAL_LEN bytes in all */
int lyb_principal_valid(const char *p);

/* --- documents --- */

/*
 * Parses and validates a DataSet document. On failure returns -EBADMSG
 * and writes "what: why" (with line and column for JSON syntax) to @err.
 */
int lyb_dataset_parse(const char *json, size_t len, struct lyb_dataset **out,
		      char *err, size_t errlen);
/* Serialises @ds as its catalog document (canonical, indented). */
int lyb_dataset_format(const struct lyb_dataset *ds, char **json);
/* The DataSet card shown in MNT/<ds>/.lyb/info.json. */
int lyb_dataset_card(const struct lyb_snap *snap, const struct lyb_dataset *ds,
		     char **json);
/* The version record shown in MNT/<ds>/<date>/<id>/.lyb/info.json. */
int lyb_version_record(const struct lyb_dataset *ds,
		       const struct lyb_version *v, char **json);

struct lyb_dataset *lyb_dataset_ref(struct lyb_dataset *ds);
void lyb_dataset_unref(struct lyb_dataset *ds); /* accepts NULL */

/* --- lookups in a loaded DataSet or snapshot (NULL when absent) --- */
struct lyb_dataset *lyb_snap_find(const struct lyb_snap *snap,
				  const char *name);
const struct lyb_date *lyb_dataset_find_date(const struct lyb_dataset *ds,
					     const char *date);
/* Finds @id within @date, or in any date when @date is NULL. */
const struct lyb_version *lyb_dataset_find_version(const struct lyb_dataset *ds,
						   const char *date,
						   const char *id);
const struct lyb_date *lyb_dataset_latest_date(const struct lyb_dataset *ds);
const struct lyb_location *lyb_version_location(const struct lyb_version *v,
						enum lyb_loc_kind kind);
const struct lyb_object *lyb_location_find(const struct lyb_location *loc,
					   const char *name);
const char *lyb_loc_kind_name(enum lyb_loc_kind kind); /* "gs", "snow" */
int lyb_loc_kind_parse(const char *s, enum lyb_loc_kind *kind);
/* The full URL of one object: location url + "/" + name. Caller frees. */
char *lyb_object_url(const struct lyb_location *loc,
		     const struct lyb_object *o);

struct lyb_reader;
/*
 * Opens object @o of location @loc for ranged reads, pinned to its
 * generation and size (store.h). The store's reason is logged.
 */
int lyb_object_open(const struct lyb_location *loc, const struct lyb_object *o,
		    struct lyb_reader **r);

/*
 * Calls @cb for each DataSet that lists @name as upstream, by name.
 */
void lyb_snap_downstream(const struct lyb_snap *snap, const char *name,
			 void (*cb)(void *arg, const struct lyb_dataset *ds),
			 void *arg);

/* The unloadable document of DataSet @name, or NULL when it loaded. */
const struct lyb_bad_doc *lyb_snap_find_bad(const struct lyb_snap *snap,
					    const char *name);

void lyb_snap_unref(struct lyb_snap *snap); /* accepts NULL */

/* --- the catalog --- */
struct lyb_catalog;

/*
 * Opens the catalog at @url. With @create (1 or 2: the format), an empty
 * catalog is made when none exists; otherwise (0) a root without a
 * catalog marker is -ENOENT. Nothing but the marker is read until the
 * first refresh.
 */
#define LYB_CATALOG_NEW 2 /* the format of new catalogs */
int lyb_catalog_open(const char *url, int create, struct lyb_catalog **out);
/* The catalog's format as last seen: 1 or 2. */
int lyb_catalog_format(struct lyb_catalog *cat);
/* Bounds the format 2 page cache (catalog_mem). */
void lyb_catalog_set_mem(struct lyb_catalog *cat, size_t bytes);
/* Store requests the format 2 code made, for benchmarks. */
uint64_t lyb_catalog_requests(struct lyb_catalog *cat);

/*
 * One DataSet, read directly (not from a snapshot): its document in
 * format 1, its newest commit in format 2, with its access history. For
 * writers and tools that need one DataSet: no cost grows with the
 * catalog. -ENOENT when there is none.
 */
int lyb_catalog_get(struct lyb_catalog *cat, const char *name,
		    struct lyb_dataset **out, char *err, size_t errlen);

/*
 * Converts a format 1 catalog to format 2 in place (docs/catalog.md,
 * "Compatibility"): readers keep working throughout, a crash leaves a
 * catalog both formats' readers read, and a rerun continues. 0 when it
 * is (now) format 2.
 */
int lyb_catalog_upgrade(struct lyb_catalog *cat, char *err, size_t errlen);
/* Writes a format 2 checkpoint as of the journal's tail. */
int lyb_catalog_checkpoint(struct lyb_catalog *cat, char *err, size_t errlen);
/*
 * Writes whole DataSet @ds (versions and all) into a format 2 catalog as
 * its first commit, announced. -EEXIST when it exists.
 */
int lyb_catalog_import(struct lyb_catalog *cat, const struct lyb_dataset *ds,
		       char *err, size_t errlen);
void lyb_catalog_close(struct lyb_catalog *cat); /* accepts NULL */
const char *lyb_catalog_url(const struct lyb_catalog *cat);

/*
 * Re-reads changed documents and publishes a new snapshot. A document that
 * fails to load is logged, its previous version kept (or it stays absent)
 * and it is listed in the snapshot's @bad: one bad document never hides
 * the others, and the mount denies the data of that DataSet. *@changed (may be
 * NULL) tells whether the snapshot changed.
 */
int lyb_catalog_refresh(struct lyb_catalog *cat, int *changed);
/* The current snapshot, with a reference. Never NULL after a refresh. */
struct lyb_snap *lyb_catalog_snap(struct lyb_catalog *cat);

/*
 * Creates a DataSet from @ds (its versions must be empty). -EEXIST when a
 * DataSet of that name exists.
 */
int lyb_catalog_create(struct lyb_catalog *cat, const struct lyb_dataset *ds,
		       char *err, size_t errlen);

/*
 * Read-modify-write of one DataSet document with a generation check,
 * retried when another writer got there first. @mutate changes @draft (a
 * private, mutable copy) and returns 0 to write it, 1 to write nothing,
 * or -errno to fail.
 */
typedef int (*lyb_catalog_mutate_fn)(void *arg, struct lyb_dataset *draft,
				     char *err, size_t errlen);
int lyb_catalog_update(struct lyb_catalog *cat, const char *name,
		       lyb_catalog_mutate_fn mutate, void *arg, char *err,
		       size_t errlen);

/*
 * lyb_catalog_update() for a change that only takes access away (a
 * revoke, a declined request): when the document would be over
 * LYB_DOC_MAX, the oldest access.history entries are dropped (counted in
 * history_dropped) until it fits, so the size cap can never keep a
 * reader in. Only the newest history entry is never dropped.
 */
int lyb_catalog_update_shrinking(struct lyb_catalog *cat, const char *name,
				 lyb_catalog_mutate_fn mutate, void *arg,
				 char *err, size_t errlen);

/*
 * Drops the oldest access.history entries of @ds until at most @keep
 * remain, adding their count to history_dropped. Returns how many.
 */
size_t lyb_dataset_history_trim(struct lyb_dataset *ds, size_t keep);

/*
 * Adds @v (date, locations, counters, upstream filled in; id, digest and
 * published computed here) to DataSet @name. Publishing the same content
 * for the same date again returns the existing id with *@existed = 1.
 * Takes ownership of nothing: @v is copied.
 */
int lyb_catalog_publish(struct lyb_catalog *cat, const char *name,
			const struct lyb_version *v, char id[LYB_ID_MAX + 1],
			int *existed, char *err, size_t errlen);

/* Content digest of a version (hex SHA-256 of its canonical manifest). */
int lyb_version_digest(const struct lyb_version *v,
		       char out[LYB_SHA256_HEX_LEN + 1]);

/* Frees what a DataSet owns (not @ds itself), for one built by hand. */
void lyb_dataset_clear(struct lyb_dataset *ds);
/* Frees what an access request or change owns (not the struct). */
void lyb_access_request_clear(struct lyb_access_request *r);
void lyb_access_change_clear(struct lyb_access_change *c);
/* Frees what a struct lyb_version owns (not @v itself). */
void lyb_version_clear(struct lyb_version *v);
void lyb_location_clear(struct lyb_location *loc);

#endif
