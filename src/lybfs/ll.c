// SPDX-License-Identifier: Apache-2.0
/*
 * ll.c - the FUSE low-level operations: maps kernel requests onto the
 * tree of fs.h over the current catalog snapshot, and fs.h's answers onto
 * replies. What an entry is, how it opens and reads and what may change
 * are fs.c's to say; the inodes (nodes.c) and handles (handles.c) are
 * tables in struct lybfs. Errors are -errno throughout and become the
 * kernel's positive errno in one place, reply_err().
 *
 * Access control: opendir and open of a DataSet's data ask access.c,
 * which decides for the calling uid and audits; names, attributes and
 * metadata stay visible to all (the kernel shares its caches between
 * users). Never FUSE's no-open/no-opendir shortcuts: every open reaches
 * us, even of a page-cached file.
 *
 * Everything that would write answers EROFS.
 *
 * Corruption: an open of an object records its block cache identity in
 * its node, so that when the cache finds the object's bytes do not match
 * the catalog (cache.h), nodes.c can have the kernel drop their pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>

#include "lyb/cache.h"
#include "lyb/clock.h"
#include "lyb/fs.h"
#include "lyb/log.h"
#include "lyb/metrics.h"
#include "lyb/store.h"
#include "lybfs.h"

#define UNKNOWN_INO 0xffffffffu /* d_ino when readdir does not know it */

/* An open directory: its listing, taken at opendir. */
struct dir_handle {
	char *path; /* the directory's, for readdirplus's lookups */
	size_t n;
	char **names;
	mode_t *modes;
};

static struct lybfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* --- helpers --- */

static char *child_path(const struct lybfs_node *parent, const char *name)
{
	return lyb_store_key_join(parent->path, name);
}

static void fill_stat(const struct lybfs *fs, const struct lyb_fs_entry *e,
		      fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = e->mode;
	st->st_nlink = S_ISDIR(e->mode) ? 2 : 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = (off_t)e->size;
	st->st_blksize = 1 << 20;
	st->st_blocks = (blkcnt_t)((e->size + 511) / 512);
	st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec =
		(time_t)e->mtime;
}

static double ttl_of(const struct lybfs *fs, const struct lyb_fs_entry *e)
{
	if (e->volatile_content)
		return 0; /* status, metrics, health: fresh on every stat */
	return e->immutable ? fs->ttl_immutable : fs->cfg.ttl;
}

/* Resolves @path; returns 0 with a snapshot reference in *@snap. */
static int resolve(struct lybfs *fs, const char *path, struct lyb_snap **snap,
		   struct lyb_fs_entry *e)
{
	int rc;

	*snap = lyb_catalog_snap(fs->cat);
	rc = lyb_fs_resolve(*snap, path, e);
	if (rc) {
		lyb_fs_entry_release(e);
		lyb_snap_unref(*snap);
		*snap = NULL;
	}
	return rc;
}

/* Drops what resolve() returned. */
static void done(struct lyb_snap *snap, struct lyb_fs_entry *e)
{
	lyb_fs_entry_release(e);
	lyb_snap_unref(snap);
}

/* Resolves the node of a request's inode; -ESTALE when it is forgotten. */
static int resolve_node(struct lybfs *fs, const struct lybfs_node *n,
			struct lyb_snap **snap, struct lyb_fs_entry *e)
{
	return n ? resolve(fs, n->path, snap, e) : -ESTALE;
}

/* --- requests --- */

/*
 * Answers @neg_errno, 0 or -errno, to @req: the one place the sign flips
 * (the kernel takes errno positive). A positive value is a bug of ours,
 * logged and answered EIO rather than as an errno nobody meant.
 */
static void reply_err(fuse_req_t req, int neg_errno)
{
	if (neg_errno > 0) {
		lyb_log(LYB_LOG_ERR,
			"bug: error %d replied with its sign "
			"flipped: answering EIO",
			neg_errno);
		neg_errno = -EIO;
	}
	fuse_reply_err(req, -neg_errno);
}

/* Answers @neg_errno (-errno), counting it against @op. */
static void fail(fuse_req_t req, enum lyb_fuse_op op, double t0, int neg_errno)
{
	lyb_metrics_fuse(op, neg_errno, lyb_mono() - t0);
	reply_err(req, neg_errno);
}

/* Counts a success of @op; the caller replies. */
static void ok(enum lyb_fuse_op op, double t0)
{
	lyb_metrics_fuse(op, 0, lyb_mono() - t0);
}

/*
 * A handle slot for the caller of @req, who opens @path (@e) with @op.
 * A refusal by a limit is counted, logged (at most every 10 s) and, for
 * gated data, audited as a denial.
 */
static int reserve_for(fuse_req_t req, struct lybfs *fs, const char *op,
		       const char *path, const struct lyb_fs_entry *e,
		       uint64_t *fh)
{
	static atomic_llong last_warned;
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	char why[160];
	long long now = (long long)time(NULL), then;
	size_t held;
	int rc = lybfs_handle_reserve(&fs->handles, ctx->uid, fh, &held);

	if (rc != -EMFILE && rc != -ENFILE)
		return rc;
	lyb_metrics_open_refused(rc == -EMFILE);
	if (rc == -EMFILE)
		snprintf(why, sizeof(why),
			 "too many open files: uid %u holds %zu through the "
			 "mount (max_open_per_uid %zu)",
			 (unsigned)ctx->uid, held, fs->handles.max_per_uid);
	else
		snprintf(why, sizeof(why),
			 "too many open files: the mount holds %zu (the "
			 "daemon's descriptor limit less its reserve)",
			 fs->handles.max_total);
	then = atomic_load(&last_warned);
	if (now - then >= 10 &&
	    atomic_compare_exchange_strong(&last_warned, &then, now))
		lyb_log(LYB_LOG_WARN, "%s %s: %s", op, path, why);
	lybfs_access_refused(req, fs, op, path, e, why);
	return rc;
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	double t0 = lyb_mono();
	struct lybfs *fs = fs_of(req);
	struct fuse_entry_param ep = {0};
	struct lybfs_node *p = lybfs_node_get(&fs->nodes, parent), *n;
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	char *path;
	int rc;

	if (!p) {
		fail(req, LYB_FOP_LOOKUP, t0, -ESTALE);
		return;
	}
	path = child_path(p, name);
	if (!path) {
		fail(req, LYB_FOP_LOOKUP, t0, -ENOMEM);
		return;
	}
	rc = resolve(fs, path, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_LOOKUP, t0, rc);
		goto out_path;
	}
	n = lybfs_node_lookup(&fs->nodes, path, !e.immutable);
	if (!n) {
		fail(req, LYB_FOP_LOOKUP, t0, -ENOMEM);
		goto out_snap;
	}
	ep.ino = n->ino;
	ep.attr_timeout = ep.entry_timeout = ttl_of(fs, &e);
	fill_stat(fs, &e, n->ino, &ep.attr);
	ok(LYB_FOP_LOOKUP, t0);
	if (fuse_reply_entry(req, &ep) != 0)
		lybfs_node_forget(&fs->nodes, n->ino,
				  1); /* the kernel never got it */
out_snap:
	done(snap, &e);
out_path:
	free(path);
}

static void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct lybfs *fs = fs_of(req);

	lybfs_node_forget(&fs->nodes, ino, nlookup);
	fuse_reply_none(req);
}

static void ll_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	struct lybfs *fs = fs_of(req);
	size_t i;

	for (i = 0; i < count; i++)
		lybfs_node_forget(&fs->nodes, forgets[i].ino,
				  forgets[i].nlookup);
	fuse_reply_none(req);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	double t0 = lyb_mono();
	struct lybfs *fs = fs_of(req);
	struct lybfs_node *n = lybfs_node_get(&fs->nodes, ino);
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	struct stat st;
	int rc;

	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_GETATTR, t0, rc);
		return;
	}
	fill_stat(fs, &e, ino, &st);
	ok(LYB_FOP_GETATTR, t0);
	fuse_reply_attr(req, &st, ttl_of(fs, &e));
	done(snap, &e);
}

static void ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct lybfs *fs = fs_of(req);
	struct lybfs_node *n = lybfs_node_get(&fs->nodes, ino);
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	int rc;

	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		reply_err(req, rc);
		return;
	}
	/* a date's latest and a version's lineage name versions: for
	 * readers (fs.h); asked without an audit line, as access(2) is */
	if (e.kind != LYB_FS_LINK)
		rc = -EINVAL;
	else if (lyb_fs_gated(&e))
		rc = lybfs_access_check(req, fs, NULL, n->path, &e);
	if (rc)
		reply_err(req, rc);
	else
		fuse_reply_readlink(req, e.link);
	done(snap, &e);
}

static void dir_handle_free(void *obj)
{
	struct dir_handle *d = obj;
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->path);
	free(d->names);
	free(d->modes);
	free(d);
}

static int dir_add(void *arg, const char *name, mode_t mode)
{
	struct dir_handle *d = arg;
	char **names;
	mode_t *modes;

	/* capacity: 16, then doubling */
	if (d->n == 0 || (d->n >= 16 && (d->n & (d->n - 1)) == 0)) {
		size_t cap = d->n ? d->n * 2 : 16;

		names = realloc(d->names, cap * sizeof(*names));
		if (!names)
			return -ENOMEM;
		d->names = names;
		modes = realloc(d->modes, cap * sizeof(*modes));
		if (!modes)
			return -ENOMEM;
		d->modes = modes;
	}
	d->names[d->n] = strdup(name);
	if (!d->names[d->n])
		return -ENOMEM;
	d->modes[d->n++] = mode;
	return 0;
}

static void ll_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	double t0 = lyb_mono();
	struct lybfs *fs = fs_of(req);
	struct lybfs_node *n = lybfs_node_get(&fs->nodes, ino);
	struct dir_handle *d;
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	int rc;

	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_READDIR, t0, rc);
		return;
	}
	rc = !S_ISDIR(e.mode)
		     ? -ENOTDIR
		     : reserve_for(req, fs, "opendir", n->path, &e, &fi->fh);
	if (rc) {
		done(snap, &e);
		fail(req, LYB_FOP_READDIR, t0, rc);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (d)
		d->path = strdup(n->path);
	rc = !d || !d->path ? -ENOMEM : 0;
	if (rc == 0)
		rc = lybfs_access_check(req, fs, "opendir", n->path, &e);
	if (rc == 0)
		rc = dir_add(d, ".", S_IFDIR);
	if (rc == 0)
		rc = dir_add(d, "..", S_IFDIR);
	if (rc == 0)
		rc = lyb_fs_readdir(snap, &e, dir_add, d);
	done(snap, &e);
	if (rc) {
		lybfs_handle_cancel(&fs->handles, fi->fh);
		dir_handle_free(d);
		fail(req, LYB_FOP_READDIR, t0, rc);
		return;
	}
	lybfs_handle_attach(&fs->handles, fi->fh, d, dir_handle_free);
	ok(LYB_FOP_READDIR, t0);
	fi->cache_readdir = e.immutable;
	fi->keep_cache = e.immutable;
	if (fuse_reply_open(req, fi) != 0)
		lybfs_handle_close(&fs->handles, fi->fh);
}

/*
 * One directory's entries from @off. With @plus (READDIRPLUS), each comes
 * with its attributes, so `ls -l` of 10,000 dates is a few requests
 * instead of one LOOKUP per name: every entry but "." and ".." then
 * counts as a lookup (nlookup + 1), undone when it does not fit.
 */
static void reply_dir(fuse_req_t req, size_t size, off_t off,
		      struct fuse_file_info *fi, int plus)
{
	struct lybfs *fs = fs_of(req);
	struct dir_handle *d = lybfs_handle_get(&fs->handles, fi->fh);
	struct fuse_entry_param ep;
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	struct lybfs_node *n;
	size_t used = 0, i, len;
	char *buf, *path;

	if (!d) {
		reply_err(req, -EBADF);
		return;
	}
	buf = malloc(size);
	if (!buf) {
		lybfs_handle_put(&fs->handles, fi->fh);
		reply_err(req, -ENOMEM);
		return;
	}
	for (i = (size_t)off; i < d->n; i++) {
		memset(&ep, 0, sizeof(ep));
		ep.attr.st_ino = UNKNOWN_INO;
		ep.attr.st_mode = d->modes[i];
		n = NULL;
		if (plus && i >= 2) { /* "." and "..": no lookup */
			path = lyb_store_key_join(d->path, d->names[i]);
			if (!path || resolve(fs, path, &snap, &e) != 0) {
				free(path);
				continue; /* gone since opendir */
			}
			n = lybfs_node_lookup(&fs->nodes, path, !e.immutable);
			free(path);
			if (n) {
				ep.ino = n->ino;
				ep.attr_timeout = ep.entry_timeout =
					ttl_of(fs, &e);
				fill_stat(fs, &e, n->ino, &ep.attr);
			}
			done(snap, &e);
			if (!n)
				break;
		}
		len = plus ? fuse_add_direntry_plus(req, buf + used,
						    size - used, d->names[i],
						    &ep, (off_t)(i + 1))
			   : fuse_add_direntry(req, buf + used, size - used,
					       d->names[i], &ep.attr,
					       (off_t)(i + 1));
		if (len > size - used) {
			if (n)
				lybfs_node_forget(&fs->nodes, n->ino, 1);
			break;
		}
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
	lybfs_handle_put(&fs->handles, fi->fh);
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	reply_dir(req, size, off, fi, 0);
}

static void ll_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	reply_dir(req, size, off, fi, 1);
}

static void ll_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct lybfs *fs = fs_of(req);

	lybfs_handle_close(&fs->handles, fi->fh);
	reply_err(req, 0);
}

/*
 * MNT/<ds>/.lyb/access: the caller's own state, rendered for them
 * (lyb_fs_render_cb; @arg is the request).
 */
static int access_content(void *arg, const struct lyb_fs_entry *e, char **data,
			  size_t *len)
{
	fuse_req_t req = arg;
	struct lybfs *fs = fs_of(req);
	struct lyb_ident *id;
	int rc = lybfs_caller(req, fs, &id);

	if (rc)
		return rc;
	rc = lyb_acl_state_text(fs->acl, id, e->ds, data, len);
	lyb_ident_unref(id);
	return rc;
}

static void open_file_free(void *obj)
{
	lyb_fs_file_close(obj);
	lyb_metrics_open_files(-1);
}

static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	double t0 = lyb_mono();
	struct lybfs *fs = fs_of(req);
	struct lybfs_node *n = lybfs_node_get(&fs->nodes, ino);
	unsigned char id[LYB_CACHE_ID_LEN];
	struct lyb_fs_open_file *f = NULL;
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	int rc;

	if (!n) {
		fail(req, LYB_FOP_OPEN, t0, -ESTALE);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fail(req, LYB_FOP_OPEN, t0, -EROFS);
		return;
	}
	rc = resolve(fs, n->path, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_OPEN, t0, rc);
		return;
	}
	/* before any work, and before the store opens a descriptor */
	rc = lyb_fs_openable(&e);
	if (rc == 0)
		rc = reserve_for(req, fs, "open", n->path, &e, &fi->fh);
	if (rc) {
		done(snap, &e);
		fail(req, LYB_FOP_OPEN, t0, rc);
		return;
	}
	rc = lybfs_access_check(req, fs, "open", n->path, &e); /* audited */
	if (rc == 0)
		rc = lyb_fs_open(snap, &e, access_content, req, &f);
	done(snap, &e);
	if (rc) {
		lybfs_handle_cancel(&fs->handles, fi->fh);
		fail(req, LYB_FOP_OPEN, t0, rc);
		return;
	}
	if (lyb_fs_file_cache_id(f, id) == 0)
		lybfs_node_set_cache_id(&fs->nodes, n, id);
	lyb_metrics_open_files(1);
	lybfs_handle_attach(&fs->handles, fi->fh, f, open_file_free);
	ok(LYB_FOP_OPEN, t0);
	fi->keep_cache = e.immutable && !e.volatile_content;
	/* a generated file may change size: never cut it at a stale st_size */
	fi->direct_io = !fi->keep_cache;
	if (fuse_reply_open(req, fi) != 0)
		lybfs_handle_close(&fs->handles, fi->fh);
}

/*
 * Replies with the read's pieces where they are (fuse_reply_iov): a
 * cached block's bytes go from the cache to the kernel in one copy, with
 * no reply buffer between them. The blocks stay pinned until the reply is
 * written.
 */
static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	double t0 = lyb_mono();
	struct lybfs *fs = fs_of(req);
	struct lyb_fs_open_file *f = lybfs_handle_get(&fs->handles, fi->fh);
	struct lyb_spans sp;
	int rc;

	if (!f) {
		fail(req, LYB_FOP_READ, t0, -EBADF);
		return;
	}
	memset(&sp, 0, sizeof(sp));
	/* a negative @off is past any end: no bytes */
	rc = lyb_fs_read_spans(f, size, (uint64_t)off, &sp);
	if (rc) {
		fail(req, LYB_FOP_READ, t0, rc);
	} else {
		ok(LYB_FOP_READ, t0);
		lyb_metrics_served(sp.total);
		fuse_reply_iov(req, sp.v, (int)sp.n);
	}
	lyb_spans_release(&sp);
	lybfs_handle_put(&fs->handles, fi->fh);
}

static void ll_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct lybfs *fs = fs_of(req);

	lybfs_handle_close(&fs->handles, fi->fh);
	reply_err(req, 0);
}

static void ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv = {
		.f_bsize = 1 << 20,
		.f_frsize = 1 << 20,
		.f_namemax = 255,
		.f_flag = ST_RDONLY,
	};

	fuse_reply_statfs(req, &sv);
}

/*
 * access(2): writes are EROFS; R_OK on data answers as open would (a
 * query: not audited); nothing but directories is executable.
 */
static void ll_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct lybfs *fs = fs_of(req);
	struct lybfs_node *n = lybfs_node_get(&fs->nodes, ino);
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	int rc;

	if (mask & W_OK) {
		reply_err(req, -EROFS);
		return;
	}
	if (!(mask & (R_OK | X_OK))) {
		reply_err(req, 0);
		return;
	}
	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		reply_err(req, rc);
		return;
	}
	if ((mask & X_OK) && !S_ISDIR(e.mode))
		rc = -EACCES;
	else if (mask & R_OK)
		rc = lybfs_access_check(req, fs, NULL, n->path, &e);
	done(snap, &e);
	reply_err(req, rc);
}

struct xattr_ctx {
	const char *want; /* NULL: list them all */
	char *buf;	  /* the reply being built */
	size_t len, cap;
	int found;
};

static int xattr_collect(void *arg, const char *name, const char *value)
{
	struct xattr_ctx *x = arg;
	const char *add = x->want ? value : name;
	size_t n = strlen(add) + (x->want ? 0 : 1);

	if (x->want && strcmp(x->want, name) != 0)
		return 0;
	x->found = 1;
	if (x->len + n > x->cap) {
		size_t cap = (x->len + n) * 2;
		char *b = realloc(x->buf, cap);

		if (!b)
			return -ENOMEM;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, add, n); /* list entries keep their NUL */
	x->len += n;
	return x->want ? 1 : 0;
}

static void reply_xattr(fuse_req_t req, fuse_ino_t ino, const char *want,
			size_t size)
{
	double t0 = lyb_mono();
	struct lybfs *fs = fs_of(req);
	struct lybfs_node *n = lybfs_node_get(&fs->nodes, ino);
	struct xattr_ctx x = {.want = want};
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	int reader = 1, rc;

	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_XATTR, t0, rc);
		return;
	}
	/*
	 * A version's attributes are for its readers (fs.h): anyone else
	 * neither gets nor sees them (ENODATA, as for an attribute it
	 * lacks). Getting a checksum is decided and audited like an open
	 * (checksums are data); the rest, and listing, ask the question
	 * without an audit line, as access(2) does.
	 */
	if (lyb_fs_xattrs_gated(&e))
		reader = lybfs_access_check(req, fs,
					    want && lyb_fs_xattr_is_digest(want)
						    ? "getxattr"
						    : NULL,
					    n->path, &e) == 0;
	rc = lyb_fs_xattrs(&e, reader, xattr_collect, &x);
	done(snap, &e);
	if (rc < 0) {
		fail(req, LYB_FOP_XATTR, t0, rc);
	} else if (want && !x.found) {
		fail(req, LYB_FOP_XATTR, t0, -ENODATA);
	} else if (size && x.len > size) {
		fail(req, LYB_FOP_XATTR, t0, -ERANGE);
	} else {
		ok(LYB_FOP_XATTR, t0);
		if (size == 0)
			fuse_reply_xattr(req, x.len);
		else
			fuse_reply_buf(req, x.buf, x.len);
	}
	free(x.buf);
}

/*
 * Every attribute lybfs has is in the user namespace: a SELinux label,
 * POSIX ACL, capability or trusted attribute is not supported here, and
 * is answered EOPNOTSUPP before any lookup. Tools cache that answer per
 * file system (`ls -l` asks security.selinux and system.posix_acl_* once
 * a listing, not once an entry, as it does on ENODATA); ENOSYS would
 * make the kernel stop asking for user.lyb.* too.
 */
static void ll_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	if (strncmp(name, "user.", 5) != 0) {
		fail(req, LYB_FOP_XATTR, lyb_mono(), -EOPNOTSUPP);
		return;
	}
	reply_xattr(req, ino, name, size);
}

static void ll_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	reply_xattr(req, ino, NULL, size);
}

/* --- every write answers EROFS --- */

static void erofs(fuse_req_t req)
{
	reply_err(req, -EROFS);
}

static void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	erofs(req);
}

static void ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	erofs(req);
}

static void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	erofs(req);
}

static void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	erofs(req);
}

static void ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	erofs(req);
}

static void ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	erofs(req);
}

static void ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	erofs(req);
}

static void ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	erofs(req);
}

static void ll_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	erofs(req);
}

static void ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	erofs(req);
}

static void ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	erofs(req);
}

static void ll_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			 off_t length, struct fuse_file_info *fi)
{
	erofs(req);
}

/* After mounting and daemonizing: threads of our own may start now. */
static void ll_init(void *userdata, struct fuse_conn_info *conn)
{
	struct lybfs *fs = userdata;

	lybfs_control_start(fs);
	atomic_store(&fs->inited, 1);
}

const struct fuse_lowlevel_ops lybfs_ll_ops = {
	.init = ll_init,
	.lookup = ll_lookup,
	.forget = ll_forget,
	.forget_multi = ll_forget_multi,
	.getattr = ll_getattr,
	.readlink = ll_readlink,
	.opendir = ll_opendir,
	.readdir = ll_readdir,
	.readdirplus = ll_readdirplus,
	.releasedir = ll_releasedir,
	.open = ll_open,
	.read = ll_read,
	.release = ll_release,
	.statfs = ll_statfs,
	.access = ll_access,
	.getxattr = ll_getxattr,
	.listxattr = ll_listxattr,
	.setattr = ll_setattr,
	.mknod = ll_mknod,
	.mkdir = ll_mkdir,
	.unlink = ll_unlink,
	.rmdir = ll_unlink,
	.symlink = ll_symlink,
	.rename = ll_rename,
	.link = ll_link,
	.write = ll_write,
	.create = ll_create,
	.setxattr = ll_setxattr,
	.removexattr = ll_removexattr,
	.fallocate = ll_fallocate,
};
