/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs.h - the tree lybfs shows, over a catalog snapshot, without FUSE.
 *
 *   .lyb/metrics, .lyb/health        LYB_FS_META, LYB_FS_FILE (no DataSet)
 *   <dataset>/                       LYB_FS_DATASET
 *   <dataset>/.lyb/info.json, status LYB_FS_META, LYB_FS_FILE
 *   <dataset>/.lyb/access            LYB_FS_FILE: the caller's own access
 *   <dataset>/.lyb/schema.avsc       the DataSet's schema, when it has one
 *   <dataset>/.lyb/upstream/<ds> -> ../../../<ds>     LYB_FS_LINEAGE, LINK
 *   <dataset>/.lyb/downstream/<ds> -> ../../../<ds>
 *   <dataset>/latest -> <date>/latest    LYB_FS_LINK
 *   <dataset>/<date>/                LYB_FS_DATE
 *   <dataset>/<date>/latest -> <id>  LYB_FS_LINK
 *   <dataset>/<date>/<id>/           LYB_FS_VERSION
 *   <dataset>/<date>/<id>/.lyb/info.json, schema.avsc (writer schema)
 *   <dataset>/<date>/<id>/data.jsonl LYB_FS_VIEW (view.h), plain JSON
 *   <dataset>/<date>/<id>/data.avro.json LYB_FS_VIEW, Avro JSON (gs only)
 *   <dataset>/<date>/<id>/.lyb/upstream/<ds> -> ../../../../../<ds>/<date>/<id>
 *   <dataset>/<date>/<id>/gs|snow/   LYB_FS_LOCATION
 *   .../gs/<dir>/<object>            LYB_FS_SUBDIR, LYB_FS_OBJECT
 *
 * A path is relative to the mount root, components joined by '/', "" for
 * the root. Everything is resolved from names on each call, so a node
 * never holds pointers into an older snapshot.
 *
 * Ownership: pointers in a struct lyb_fs_entry point into @snap, into what
 * the entry holds (hold_*: format 2 loads) and into @path for @sub, and are
 * valid while the caller keeps @snap and @path and until
 * lyb_fs_entry_release(). Reentrant. An open file (lyb_fs_open()) owns
 * what it reads and outlives the snapshot it was opened in.
 *
 * Errors: 0 or -errno, as each function lists.
 */
#ifndef LYB_FS_H
#define LYB_FS_H

#include <stdint.h>
#include <sys/types.h>
#include "lyb/cache.h"
#include "lyb/catalog.h"

#define LYB_FS_PATH_MAX 8192

enum lyb_fs_kind {
	LYB_FS_ROOT,
	LYB_FS_DATASET,
	LYB_FS_META,
	LYB_FS_FILE,
	LYB_FS_LINEAGE,
	LYB_FS_LINK,
	LYB_FS_DATE,
	LYB_FS_VERSION,
	LYB_FS_LOCATION,
	LYB_FS_SUBDIR,
	LYB_FS_OBJECT,
	LYB_FS_VIEW, /* data.jsonl: open and read it through view.h */
};

/* The generated files. */
enum lyb_fs_file {
	LYB_FILE_INFO,	  /* info.json: the DataSet card or version record */
	LYB_FILE_STATUS,  /* status: delivery against the SLO */
	LYB_FILE_METRICS, /* the daemon's metrics, Prometheus text */
	LYB_FILE_HEALTH,  /* "ok", or what is wrong */
	LYB_FILE_ACCESS,  /* the caller's access state (acl.h): size 0,
			   * rendered per caller by the mount, not here */
	LYB_FILE_SCHEMA,  /* schema.avsc: the DataSet's, or a version's writer's
			   */
};

struct lyb_fs_entry {
	enum lyb_fs_kind kind;
	enum lyb_fs_file file; /* LYB_FS_FILE */
	int downstream;	       /* LYB_FS_LINEAGE: downstream, not upstream */
	int volatile_content;  /* FILE: changes without the catalog changing */
	int view_avro;	       /* VIEW: data.avro.json, not data.jsonl */
	mode_t mode;	       /* S_IFDIR|0555, S_IFREG|0444 or S_IFLNK|0777 */
	uint64_t size;
	int64_t mtime;
	int immutable; /* in a version's tree: never changes while it exists,
			* so nothing the kernel cached of it needs dropping */
	struct lyb_dataset *ds;
	const struct lyb_date *date;
	const struct lyb_version *v;
	const struct lyb_location *loc;
	const struct lyb_object *obj;
	const char *sub; /* SUBDIR and OBJECT: the path inside the location */
	char link[LYB_NAME_MAX + LYB_DATE_LEN + LYB_ID_MAX + 32]; /* LINK */
	struct lyb_date_sum dsum; /* DATE and below: the date's summary */
	/*
	 * Format 2: what the entry holds loaded (a DataSet's dates; the
	 * part with the date's versions, which @ds then points to), released
	 * by lyb_fs_entry_release().
	 */
	struct lyb_datelist *hold_dates;
	struct lyb_dataset *hold_part;
};

/*
 * Resolves @path. -ENOENT, -ENAMETOOLONG, or -ENOMEM. The size of a
 * data.jsonl, or of a version's schema.avsc, not recorded in the catalog
 * is computed here on first need (view.h), which reads the store: -EIO
 * when that data cannot be decoded.
 */
int lyb_fs_resolve(const struct lyb_snap *snap, const char *path,
		   struct lyb_fs_entry *e);

/*
 * The catalog's figures for the metrics and health texts (metrics.h):
 * DataSets, versions, overdue against their SLO now, those that do not
 * load. Free fig->bad (its strings point into @snap).
 */
struct lyb_metrics_catalog;
int lyb_fs_catalog_figures(const struct lyb_snap *snap,
			   struct lyb_metrics_catalog *fig);

/*
 * Releases what lyb_fs_resolve() loaded for @e (format 2 pages); call it
 * for every resolved entry, whatever the result. Idempotent.
 */
void lyb_fs_entry_release(struct lyb_fs_entry *e);

/* Calls @cb for each child of directory @dir, in a stable order. */
typedef int (*lyb_fs_dirent_cb)(void *arg, const char *name, mode_t mode);
int lyb_fs_readdir(const struct lyb_snap *snap, const struct lyb_fs_entry *dir,
		   lyb_fs_dirent_cb cb, void *arg);

/*
 * The contents of a generated file (LYB_FS_FILE); caller frees @data.
 * LYB_FILE_ACCESS depends on the caller: -EINVAL here.
 */
int lyb_fs_content(const struct lyb_snap *snap, const struct lyb_fs_entry *e,
		   char **data, size_t *len);

/*
 * Open files. lyb_fs_open() opens any file of the tree, and the caller
 * reads it without knowing what it is: an object's reader (store.h), a
 * data.jsonl or data.avro.json view (view.h), or a generated file's bytes,
 * generated once, at open. A file holds no reference to @snap: it stays
 * readable after the snapshot is gone. lyb_fs_read() may be called from
 * several threads at once on one file; lyb_fs_file_close() once, when no
 * read runs.
 */
struct lyb_fs_open_file;

/*
 * 0 if @e opens as a file, -EISDIR for a directory, -EINVAL for a link.
 * Cheap and without I/O: ask it before reserving anything for an open.
 */
int lyb_fs_openable(const struct lyb_fs_entry *e);

/*
 * Renders a file that depends on who opens it (LYB_FILE_ACCESS), which
 * only the caller knows, into *@data (the caller of lyb_fs_open() frees
 * it through lyb_fs_file_close()). 0 or -errno.
 */
typedef int (*lyb_fs_render_cb)(void *arg, const struct lyb_fs_entry *e,
				char **data, size_t *len);

/*
 * Opens @e (resolved in @snap) for reading into *@f; @render and @arg
 * render the per-caller files (NULL: they answer -EINVAL). Errors: those
 * of lyb_fs_openable(); -ENOMEM; for an object, -EACCES when its store
 * denies it and -EIO for any other failure of the store (the reason is
 * logged, the reader gets EIO); a view's errors (view.h); a generated
 * file's (lyb_fs_content(), @render).
 */
int lyb_fs_open(const struct lyb_snap *snap, const struct lyb_fs_entry *e,
		lyb_fs_render_cb render, void *arg,
		struct lyb_fs_open_file **f);

/*
 * Reads up to @len bytes at @off into @buf, *@got of them: fewer only at
 * the end of the file (none at or past it). A file that ends before the
 * size it was opened with (the catalog promised more bytes than the store
 * has) answers -EIO, logged, never a short file. Errors: -EACCES when the
 * store denies the read, -EIO for anything else.
 */
int lyb_fs_read(struct lyb_fs_open_file *f, void *buf, size_t len, uint64_t off,
		size_t *got);

/*
 * lyb_fs_read() answering in @sp (zeroed; cache.h's struct lyb_spans):
 * the pieces stay valid until lyb_spans_release(), which the caller
 * calls, and while @f is open; sp->total is *@got. On an error @sp holds
 * nothing. lybfs replies with the pieces as they are.
 */
int lyb_fs_read_spans(struct lyb_fs_open_file *f, size_t len, uint64_t off,
		      struct lyb_spans *sp);

/* The size @f was opened with: what reads stop at. */
uint64_t lyb_fs_file_size(const struct lyb_fs_open_file *f);

/*
 * The block cache's identity of an object file's bytes (cache.h), for
 * dropping what the kernel cached when the cache finds them corrupt.
 * -ENOENT for a file that is not an object or whose reads bypass the cache.
 */
int lyb_fs_file_cache_id(const struct lyb_fs_open_file *f,
			 unsigned char id[LYB_CACHE_ID_LEN]);

void lyb_fs_file_close(struct lyb_fs_open_file *f); /* accepts NULL */

/*
 * Whether @e is for the DataSet's readers only (acl.h), by the one rule
 * of what is public (docs/operations.md, "What is public"): a DataSet's
 * card is public, its versions are for its readers. Public: the
 * DataSet's directory entry, its .lyb/ (info.json, status, access,
 * schema.avsc, upstream/, downstream/) and its latest link. Gated: the
 * listing of the DataSet's directory (its dates), and every date with
 * everything in it (its listing and latest link, each version's record,
 * writer schema, lineage, locations and data). A kind added later is
 * gated unless listed here.
 */
int lyb_fs_gated(const struct lyb_fs_entry *e);

/*
 * Calls @cb with each extended attribute ("user.lyb.*") of @e and its
 * value. listxattr and getxattr both go through this one list. A
 * version's entries (lyb_fs_xattrs_gated) have attributes only for a
 * @reader (a caller who may read the DataSet, the same decision as
 * open): the version id, where the data is and what it is. The
 * attributes derived from the content (user.lyb.crc32c, user.lyb.md5:
 * lyb_fs_xattr_is_digest()) are data: with a known size they confirm a
 * guess of a small file's bytes, so getting one is audited like an open.
 */
typedef int (*lyb_fs_xattr_cb)(void *arg, const char *name, const char *value);
int lyb_fs_xattrs(const struct lyb_fs_entry *e, int reader, lyb_fs_xattr_cb cb,
		  void *arg);
/* 1 if @e's attributes are for readers only: a version and what is in it. */
int lyb_fs_xattrs_gated(const struct lyb_fs_entry *e);
/* 1 if attribute @name is derived from the content. */
int lyb_fs_xattr_is_digest(const char *name);

#endif
