// SPDX-License-Identifier: Apache-2.0
/*
 * ll.c - the FUSE low-level operations: maps kernel requests onto the
 * tree of fs.h over the current catalog snapshot.
 *
 * Inodes: one node per path the kernel has looked up, found by inode
 * number or by path. A node's nlookup equals the kernel's lookup count
 * (lookup ++, forget -= n) and the node is freed when it reaches zero, as
 * in libfuse's passthrough_ll; inode numbers are never reused. Nodes hold
 * only their path, never pointers into a snapshot: every request resolves
 * the path against the snapshot current at that moment.
 *
 * Locking: node_lock protects both hash tables and every nlookup. It is
 * never held across catalog or store I/O, nor while talking to the
 * kernel. A node's path is immutable and the node lives at least as long
 * as a request on it (the kernel holds the inode meanwhile), so requests
 * read it unlocked.
 *
 * Access control: opendir and open of a DataSet's data ask access.c,
 * which decides for the calling uid and audits; names, attributes and
 * metadata stay visible to all (the kernel shares its caches between
 * users). Never FUSE's no-open/no-opendir shortcuts: every open reaches
 * us, even of a page-cached file.
 *
 * Everything that would write answers EROFS.
 *
 * Corruption: when the block cache finds an object's bytes do not match
 * the catalog (cache.h), it calls corrupt_hook(), which queues the inodes
 * opened on that object; the invalidator thread then tells the kernel to
 * drop their cached pages. Never from the request's own thread: the
 * kernel waits there for pages the request itself holds locked.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>

#include "lyb/cache.h"
#include "lyb/fs.h"
#include "lyb/log.h"
#include "lyb/metrics.h"
#include "lyb/store.h"
#include "lyb/view.h"
#include "lybfs.h"

#define NBUCKETS 65536u
#define UNKNOWN_INO 0xffffffffu /* d_ino when readdir does not know it */

struct node {
	uint64_t ino;
	uint64_t nlookup; /* under node_lock */
	int has_cache_id; /* under node_lock: an object opened once */
	unsigned char cache_id[LYB_CACHE_ID_LEN]; /* its cache identity */
	struct node *next_ino;			  /* under node_lock */
	struct node *next_path;			  /* under node_lock */
	char path[];				  /* immutable */
};

static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;
static struct node **by_ino, **by_path;	     /* under node_lock */
static uint64_t next_ino = FUSE_ROOT_ID + 1; /* under node_lock */
static struct node *root;

/* An open directory: its listing, taken at opendir. */
struct dir_handle {
	char *path; /* the directory's, for readdirplus's lookups */
	size_t n;
	char **names;
	mode_t *modes;
};

/* An open file: a store reader, data.jsonl, or a generated file's bytes. */
struct open_file {
	struct lyb_reader *reader;
	struct lyb_view_file *view;
	uint64_t size;
	char *data;
};

/*
 * Open file and directory handles. fi->fh is a slot number and generation,
 * never a pointer: a RELEASE can reach us while another thread still
 * serves a READ of the same file (the kernel sends it once the reader is
 * gone, e.g. killed mid-read), so the object lives until both are done.
 * handle_lock guards the table, every slot's refs and closed flag and the
 * per-uid counts; it is a leaf and never held across I/O.
 *
 * Limits: a uid holds at most max_per_uid handles (EMFILE beyond), and
 * all uids together at most max_total (ENFILE beyond), which main.c sets
 * below the descriptor limit: an open file:// object holds a descriptor
 * for as long as it is open, so that what is left (the reserve) always
 * serves the daemon's own work (catalog refresh, audit log, disk cache,
 * control socket, NSS). A slot is taken before the open does any work
 * (handle_reserve) and given its object after (handle_attach).
 */
struct handle {
	void *obj; /* NULL: free, or reserved and not attached yet */
	void (*free_fn)(void *obj);
	uint32_t gen; /* bumped on reuse: a stale fh never matches */
	int refs;     /* requests using obj */
	int closed;   /* released: free at refs == 0 */
	int used;     /* reserved or attached */
	uid_t uid;    /* who opened it, charged in uid_opens */
	size_t next_free;
};

/* How many handles one uid holds. */
struct uid_open {
	uid_t uid;
	size_t n;
	struct uid_open *next;
};

#define UID_SLOTS 256

static pthread_mutex_t handle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle *handles;		      /* under handle_lock */
static size_t nhandles, free_head = SIZE_MAX; /* under handle_lock */
static size_t nused;			      /* under handle_lock */
static struct uid_open *uid_opens[UID_SLOTS]; /* under handle_lock */
static size_t max_per_uid = SIZE_MAX, max_total = SIZE_MAX; /* set once */

void lybfs_handles_limit(size_t per_uid, size_t total)
{
	max_per_uid = per_uid ? per_uid : SIZE_MAX;
	max_total = total ? total : SIZE_MAX;
}

static struct uid_open **uid_open_find(uid_t uid)
{
	struct uid_open **pp = &uid_opens[uid % UID_SLOTS];

	while (*pp && (*pp)->uid != uid)
		pp = &(*pp)->next;
	return pp;
}

static void handle_free_slot(size_t i)
{
	struct uid_open **pp = uid_open_find(handles[i].uid), *u = *pp;

	if (handles[i].obj)
		handles[i].free_fn(handles[i].obj);
	handles[i].obj = NULL;
	handles[i].used = 0;
	handles[i].gen++;
	handles[i].next_free = free_head;
	free_head = i;
	nused--;
	if (u && --u->n == 0) {
		*pp = u->next;
		free(u);
	}
}

/*
 * Takes a slot for an open by @uid; its fh goes to *@fh and the number of
 * handles @uid then holds to *@held. -EMFILE when @uid holds max_per_uid,
 * -ENFILE when all do max_total, -ENOMEM.
 */
static int handle_reserve(uid_t uid, uint64_t *fh, size_t *held)
{
	struct uid_open **pp, *u;
	struct handle *t;
	size_t i, n;
	int rc = 0;

	pthread_mutex_lock(&handle_lock);
	pp = uid_open_find(uid);
	u = *pp;
	*held = u ? u->n : 0;
	if (*held >= max_per_uid) {
		rc = -EMFILE;
		goto out_unlock;
	}
	if (nused >= max_total) {
		rc = -ENFILE;
		goto out_unlock;
	}
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		u->uid = uid;
		*pp = u;
	}
	if (free_head == SIZE_MAX) {
		n = nhandles ? nhandles * 2 : 64;
		t = n <= UINT32_MAX ? realloc(handles, n * sizeof(*t)) : NULL;
		if (!t) {
			rc = -ENOMEM;
			if (u->n == 0) {
				*pp = u->next;
				free(u);
			}
			goto out_unlock;
		}
		handles = t;
		for (i = n; i-- > nhandles;) {
			memset(&handles[i], 0, sizeof(handles[i]));
			handles[i].next_free = free_head;
			free_head = i;
		}
		nhandles = n;
	}
	i = free_head;
	free_head = handles[i].next_free;
	handles[i].obj = NULL;
	handles[i].refs = 0;
	handles[i].closed = 0;
	handles[i].used = 1;
	handles[i].uid = uid;
	u->n++;
	nused++;
	*held = u->n;
	*fh = (uint64_t)handles[i].gen << 32 | i;
out_unlock:
	pthread_mutex_unlock(&handle_lock);
	return rc;
}

/* Gives the reserved slot @fh its object, for handle_get from now on. */
static void handle_attach(uint64_t fh, void *obj, void (*free_fn)(void *))
{
	size_t i = (size_t)(fh & UINT32_MAX);

	pthread_mutex_lock(&handle_lock);
	handles[i].free_fn = free_fn;
	handles[i].obj = obj;
	pthread_mutex_unlock(&handle_lock);
}

/* Gives back a slot reserved for an open that failed. */
static void handle_cancel(uint64_t fh)
{
	size_t i = (size_t)(fh & UINT32_MAX);

	pthread_mutex_lock(&handle_lock);
	handle_free_slot(i);
	pthread_mutex_unlock(&handle_lock);
}

/* The object of @fh with a reference, or NULL if it is gone. */
static void *handle_get(uint64_t fh)
{
	size_t i = (size_t)(fh & UINT32_MAX);
	void *obj = NULL;

	pthread_mutex_lock(&handle_lock);
	if (i < nhandles && handles[i].obj && !handles[i].closed &&
	    handles[i].gen == (uint32_t)(fh >> 32)) {
		handles[i].refs++;
		obj = handles[i].obj;
	}
	pthread_mutex_unlock(&handle_lock);
	return obj;
}

static void handle_put(uint64_t fh)
{
	size_t i = (size_t)(fh & UINT32_MAX);

	pthread_mutex_lock(&handle_lock);
	if (--handles[i].refs == 0 && handles[i].closed)
		handle_free_slot(i);
	pthread_mutex_unlock(&handle_lock);
}

/* The kernel is done with @fh: its object goes once no request uses it. */
static void handle_close(uint64_t fh)
{
	size_t i = (size_t)(fh & UINT32_MAX);

	pthread_mutex_lock(&handle_lock);
	if (i < nhandles && handles[i].obj && !handles[i].closed &&
	    handles[i].gen == (uint32_t)(fh >> 32)) {
		handles[i].closed = 1;
		if (handles[i].refs == 0)
			handle_free_slot(i);
	}
	pthread_mutex_unlock(&handle_lock);
}

static struct lybfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

int lybfs_nodes_init(void)
{
	by_ino = calloc(NBUCKETS, sizeof(*by_ino));
	by_path = calloc(NBUCKETS, sizeof(*by_path));
	root = calloc(1, sizeof(*root) + 1);
	if (!by_ino || !by_path || !root)
		return -ENOMEM;
	root->ino = FUSE_ROOT_ID;
	root->nlookup = 1; /* the root is never forgotten */
	by_ino[root->ino % NBUCKETS] = root;
	by_path[hash_str("") % NBUCKETS] = root;
	return 0;
}

void lybfs_nodes_destroy(void)
{
	size_t i;

	for (i = 0; by_ino && i < NBUCKETS; i++) {
		struct node *n = by_ino[i], *next;

		for (; n; n = next) {
			next = n->next_ino;
			free(n);
		}
	}
	free(by_ino);
	free(by_path);
	by_ino = by_path = NULL;
	root = NULL;
}

static struct node *node_get(fuse_ino_t ino)
{
	struct node *n;

	pthread_mutex_lock(&node_lock);
	for (n = by_ino[ino % NBUCKETS]; n && n->ino != ino; n = n->next_ino)
		;
	pthread_mutex_unlock(&node_lock);
	return n;
}

/* Finds or creates the node for @path and counts one lookup. */
static struct node *node_lookup(const char *path)
{
	uint64_t h = hash_str(path) % NBUCKETS;
	size_t len = strlen(path);
	struct node *n;

	pthread_mutex_lock(&node_lock);
	for (n = by_path[h]; n && strcmp(n->path, path); n = n->next_path)
		;
	if (!n) {
		n = malloc(sizeof(*n) + len + 1);
		if (!n)
			goto out_unlock;
		memcpy(n->path, path, len + 1);
		n->ino = next_ino++;
		n->nlookup = 0;
		n->has_cache_id = 0;
		n->next_path = by_path[h];
		by_path[h] = n;
		n->next_ino = by_ino[n->ino % NBUCKETS];
		by_ino[n->ino % NBUCKETS] = n;
	}
	n->nlookup++;
out_unlock:
	pthread_mutex_unlock(&node_lock);
	return n;
}

static void node_forget(fuse_ino_t ino, uint64_t count)
{
	struct node **pp, *n;

	pthread_mutex_lock(&node_lock);
	for (pp = &by_ino[ino % NBUCKETS]; *pp && (*pp)->ino != ino;
	     pp = &(*pp)->next_ino)
		;
	n = *pp;
	if (!n || n == root)
		goto out_unlock;
	if (n->nlookup > count) {
		n->nlookup -= count;
		goto out_unlock;
	}
	*pp = n->next_ino;
	for (pp = &by_path[hash_str(n->path) % NBUCKETS]; *pp != n;
	     pp = &(*pp)->next_path)
		;
	*pp = n->next_path;
	free(n);
out_unlock:
	pthread_mutex_unlock(&node_lock);
}

void lybfs_nodes_invalidate(struct fuse_session *se)
{
	uint64_t *inos = NULL;
	size_t n = 0, cap = 0, i;
	struct node *nd;

	pthread_mutex_lock(&node_lock);
	for (i = 0; i < NBUCKETS; i++) {
		for (nd = by_ino[i]; nd; nd = nd->next_ino) {
			/* depth < 3 (root, DataSet, date, their latest and
			 * .lyb) is what changes; version trees never do */
			const char *p = nd->path;
			int depth = *p ? 1 : 0;

			for (; *p; p++)
				depth += *p == '/';
			if (depth > 3)
				continue;
			if (n == cap) {
				uint64_t *x;

				cap = cap ? cap * 2 : 256;
				x = realloc(inos, cap * sizeof(*x));
				if (!x)
					break;
				inos = x;
			}
			inos[n++] = nd->ino;
		}
	}
	pthread_mutex_unlock(&node_lock);
	for (i = 0; i < n; i++)
		fuse_lowlevel_notify_inval_inode(se, inos[i], 0, 0);
	free(inos);
}

/* --- dropping the kernel's pages of corrupt objects --- */

#define INVAL_MAX 1024 /* inodes queued; more are dropped (and logged) */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct fuse_session *se;
	uint64_t inos[INVAL_MAX];
	unsigned n, stop, started;
	pthread_t thread;
} inval = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* Remembers which object @n's opens read, for corrupt_hook(). */
static void node_set_cache_id(struct node *n, const struct lyb_reader *r)
{
	unsigned char id[LYB_CACHE_ID_LEN];

	if (lyb_reader_cache_id(r, id) != 0)
		return;
	pthread_mutex_lock(&node_lock);
	memcpy(n->cache_id, id, sizeof(id));
	n->has_cache_id = 1;
	pthread_mutex_unlock(&node_lock);
}

/* lyb_cache_on_corrupt(): queues every inode opened on object @id. */
static void corrupt_hook(void *arg, const unsigned char *id)
{
	unsigned i, lost = 0;
	struct node *nd;

	(void)arg;
	pthread_mutex_lock(&node_lock);
	pthread_mutex_lock(&inval.lock);
	for (i = 0; by_ino && i < NBUCKETS; i++)
		for (nd = by_ino[i]; nd; nd = nd->next_ino) {
			if (!nd->has_cache_id ||
			    memcmp(nd->cache_id, id, LYB_CACHE_ID_LEN) != 0)
				continue;
			if (inval.n < INVAL_MAX)
				inval.inos[inval.n++] = nd->ino;
			else
				lost++;
		}
	pthread_cond_signal(&inval.cond);
	pthread_mutex_unlock(&inval.lock);
	pthread_mutex_unlock(&node_lock);
	if (lost)
		lyb_log(LYB_LOG_WARN,
			"%u inodes of a corrupt object keep their page cache",
			lost);
}

static void *inval_main(void *arg)
{
	uint64_t ino;

	(void)arg;
	pthread_mutex_lock(&inval.lock);
	for (;;) {
		while (!inval.n && !inval.stop)
			pthread_cond_wait(&inval.cond, &inval.lock);
		if (inval.stop)
			break;
		ino = inval.inos[--inval.n];
		pthread_mutex_unlock(&inval.lock);
		fuse_lowlevel_notify_inval_inode(inval.se, ino, 0, 0);
		lyb_log(LYB_LOG_INFO,
			"inode %llu: dropped the kernel's cached pages of a "
			"corrupt object",
			(unsigned long long)ino);
		pthread_mutex_lock(&inval.lock);
	}
	pthread_mutex_unlock(&inval.lock);
	return NULL;
}

int lybfs_invalidator_start(struct fuse_session *se)
{
	inval.se = se;
	inval.stop = 0;
	if (pthread_create(&inval.thread, NULL, inval_main, NULL) != 0)
		return -EAGAIN;
	inval.started = 1;
	lyb_cache_on_corrupt(corrupt_hook, NULL);
	return 0;
}

void lybfs_invalidator_stop(void)
{
	lyb_cache_on_corrupt(NULL, NULL);
	if (!inval.started)
		return;
	pthread_mutex_lock(&inval.lock);
	inval.stop = 1;
	pthread_cond_signal(&inval.cond);
	pthread_mutex_unlock(&inval.lock);
	pthread_join(inval.thread, NULL);
	inval.started = 0;
}

/* --- helpers --- */

static char *child_path(const struct node *parent, const char *name)
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
static int resolve_node(struct lybfs *fs, const struct node *n,
			struct lyb_snap **snap, struct lyb_fs_entry *e)
{
	return n ? resolve(fs, n->path, snap, e) : -ESTALE;
}

/* --- requests --- */

/* Answers an error, counting it against @op. */
static void fail(fuse_req_t req, enum lyb_fuse_op op, double t0, int err)
{
	lyb_metrics_fuse(op, err, lyb_metrics_clock() - t0);
	fuse_reply_err(req, err);
}

/* Counts a success of @op; the caller replies. */
static void ok(enum lyb_fuse_op op, double t0)
{
	lyb_metrics_fuse(op, 0, lyb_metrics_clock() - t0);
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
	int rc = handle_reserve(ctx->uid, fh, &held);

	if (rc != -EMFILE && rc != -ENFILE)
		return rc;
	lyb_metrics_open_refused(rc == -EMFILE);
	if (rc == -EMFILE)
		snprintf(why, sizeof(why),
			 "too many open files: uid %u holds %zu through the "
			 "mount (max_open_per_uid %zu)",
			 (unsigned)ctx->uid, held, max_per_uid);
	else
		snprintf(why, sizeof(why),
			 "too many open files: the mount holds %zu (the "
			 "daemon's descriptor limit less its reserve)",
			 max_total);
	then = atomic_load(&last_warned);
	if (now - then >= 10 &&
	    atomic_compare_exchange_strong(&last_warned, &then, now))
		lyb_log(LYB_LOG_WARN, "%s %s: %s", op, path, why);
	lybfs_access_refused(req, fs, op, path, e, why);
	return rc;
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	double t0 = lyb_metrics_clock();
	struct lybfs *fs = fs_of(req);
	struct fuse_entry_param ep = {0};
	struct node *p = node_get(parent), *n;
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	char *path;
	int rc;

	if (!p) {
		fail(req, LYB_FOP_LOOKUP, t0, ESTALE);
		return;
	}
	path = child_path(p, name);
	if (!path) {
		fail(req, LYB_FOP_LOOKUP, t0, ENOMEM);
		return;
	}
	rc = resolve(fs, path, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_LOOKUP, t0, -rc);
		goto out_path;
	}
	n = node_lookup(path);
	if (!n) {
		fail(req, LYB_FOP_LOOKUP, t0, ENOMEM);
		goto out_snap;
	}
	ep.ino = n->ino;
	ep.attr_timeout = ep.entry_timeout = ttl_of(fs, &e);
	fill_stat(fs, &e, n->ino, &ep.attr);
	ok(LYB_FOP_LOOKUP, t0);
	if (fuse_reply_entry(req, &ep) != 0)
		node_forget(n->ino, 1); /* the kernel never got it */
out_snap:
	done(snap, &e);
out_path:
	free(path);
}

static void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	node_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void ll_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		node_forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	double t0 = lyb_metrics_clock();
	struct lybfs *fs = fs_of(req);
	struct node *n = node_get(ino);
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	struct stat st;
	int rc;

	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_GETATTR, t0, -rc);
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
	struct node *n = node_get(ino);
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	int rc;

	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	/* a date's latest and a version's lineage name versions: for
	 * readers (fs.h); asked without an audit line, as access(2) is */
	if (e.kind != LYB_FS_LINK)
		rc = -EINVAL;
	else if (lyb_fs_gated(&e))
		rc = lybfs_access_check(req, fs, NULL, n->path, &e);
	if (rc)
		fuse_reply_err(req, -rc);
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
	double t0 = lyb_metrics_clock();
	struct lybfs *fs = fs_of(req);
	struct node *n = node_get(ino);
	struct dir_handle *d;
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	int rc;

	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_READDIR, t0, -rc);
		return;
	}
	rc = !S_ISDIR(e.mode)
		     ? -ENOTDIR
		     : reserve_for(req, fs, "opendir", n->path, &e, &fi->fh);
	if (rc) {
		done(snap, &e);
		fail(req, LYB_FOP_READDIR, t0, -rc);
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
		handle_cancel(fi->fh);
		dir_handle_free(d);
		fail(req, LYB_FOP_READDIR, t0, -rc);
		return;
	}
	handle_attach(fi->fh, d, dir_handle_free);
	ok(LYB_FOP_READDIR, t0);
	fi->cache_readdir = e.immutable;
	fi->keep_cache = e.immutable;
	if (fuse_reply_open(req, fi) != 0)
		handle_close(fi->fh);
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
	struct dir_handle *d = handle_get(fi->fh);
	struct fuse_entry_param ep;
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	struct node *n;
	size_t used = 0, i, len;
	char *buf, *path;

	if (!d) {
		fuse_reply_err(req, EBADF);
		return;
	}
	buf = malloc(size);
	if (!buf) {
		handle_put(fi->fh);
		fuse_reply_err(req, ENOMEM);
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
			n = node_lookup(path);
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
				node_forget(n->ino, 1);
			break;
		}
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
	handle_put(fi->fh);
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
	handle_close(fi->fh);
	fuse_reply_err(req, 0);
}

/* MNT/<ds>/.lyb/access: the caller's own state, rendered for them. */
static int access_content(fuse_req_t req, struct lybfs *fs,
			  const struct lyb_fs_entry *e, char **data,
			  size_t *len)
{
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
	struct open_file *fh = obj;

	lyb_reader_close(fh->reader);
	lyb_view_close(fh->view);
	free(fh->data);
	free(fh);
	lyb_metrics_open_files(-1);
}

static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	double t0 = lyb_metrics_clock();
	struct lybfs *fs = fs_of(req);
	struct node *n = node_get(ino);
	struct open_file *fh;
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	size_t len;
	int rc;

	if (!n) {
		fail(req, LYB_FOP_OPEN, t0, ESTALE);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fail(req, LYB_FOP_OPEN, t0, EROFS);
		return;
	}
	rc = resolve(fs, n->path, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_OPEN, t0, -rc);
		return;
	}
	/* before any work, and before the store opens a descriptor */
	rc = S_ISDIR(e.mode)
		     ? -EISDIR
		     : reserve_for(req, fs, "open", n->path, &e, &fi->fh);
	if (rc) {
		done(snap, &e);
		fail(req, LYB_FOP_OPEN, t0, -rc);
		return;
	}
	fh = calloc(1, sizeof(*fh));
	rc = fh ? lybfs_access_check(req, fs, "open", n->path, &e) : -ENOMEM;
	if (rc) {
		/* denied (audited), or out of memory */
	} else if (e.kind == LYB_FS_FILE && e.file == LYB_FILE_ACCESS) {
		rc = access_content(req, fs, &e, &fh->data, &len);
		fh->size = len;
	} else if (e.kind == LYB_FS_OBJECT) {
		fh->size = e.size;
		rc = lyb_object_open(e.loc, e.obj, &fh->reader);
		if (rc == 0)
			node_set_cache_id(n, fh->reader);
		/* the store's reason is logged; the reader gets EIO, except
		 * for a denial, which is the store's to say */
		if (rc && rc != -EACCES && rc != -ENOMEM)
			rc = -EIO;
	} else if (e.kind == LYB_FS_VIEW) {
		rc = lyb_view_open(e.ds, e.v,
				   e.view_avro ? LYB_JSON_AVRO : LYB_JSON_PLAIN,
				   &fh->view);
		fh->size = rc ? 0 : lyb_view_file_size(fh->view);
	} else if (e.kind == LYB_FS_FILE) {
		rc = lyb_fs_content(snap, &e, &fh->data, &len);
		fh->size = len;
	} else {
		rc = S_ISDIR(e.mode) ? -EISDIR : -EINVAL;
	}
	done(snap, &e);
	if (rc) {
		handle_cancel(fi->fh);
		free(fh);
		fail(req, LYB_FOP_OPEN, t0, -rc);
		return;
	}
	lyb_metrics_open_files(1);
	handle_attach(fi->fh, fh, open_file_free);
	ok(LYB_FOP_OPEN, t0);
	fi->keep_cache = e.immutable && !e.volatile_content;
	/* a generated file may change size: never cut it at a stale st_size */
	fi->direct_io = !fi->keep_cache;
	if (fuse_reply_open(req, fi) != 0)
		handle_close(fi->fh);
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	double t0 = lyb_metrics_clock();
	struct open_file *fh = handle_get(fi->fh);
	size_t got = 0;
	char *buf;
	int rc;

	if (!fh) {
		fail(req, LYB_FOP_READ, t0, EBADF);
		return;
	}
	if (off < 0 || (uint64_t)off >= fh->size) {
		ok(LYB_FOP_READ, t0);
		fuse_reply_buf(req, NULL, 0);
		goto out_put;
	}
	if (size > fh->size - (uint64_t)off)
		size = (size_t)(fh->size - (uint64_t)off);
	if (fh->data) {
		ok(LYB_FOP_READ, t0);
		lyb_metrics_served(size);
		fuse_reply_buf(req, fh->data + off, size);
		goto out_put;
	}
	buf = malloc(size);
	if (!buf) {
		fail(req, LYB_FOP_READ, t0, ENOMEM);
		goto out_put;
	}
	rc = fh->view ? lyb_view_read(fh->view, buf, size, (uint64_t)off, &got)
		      : lyb_reader_pread(fh->reader, buf, size, (uint64_t)off,
					 &got);
	if (rc == 0 && got != size) {
		/* the catalog promised more bytes than the store has */
		lyb_log(LYB_LOG_ERR, "read of inode %llu: short read at %lld",
			(unsigned long long)ino, (long long)off);
		rc = -EIO;
	}
	if (rc)
		fail(req, LYB_FOP_READ, t0, rc == -EACCES ? EACCES : EIO);
	else {
		ok(LYB_FOP_READ, t0);
		lyb_metrics_served(got);
		fuse_reply_buf(req, buf, got);
	}
	free(buf);
out_put:
	handle_put(fi->fh);
}

static void ll_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	handle_close(fi->fh);
	fuse_reply_err(req, 0);
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
	struct node *n = node_get(ino);
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	int rc;

	if (mask & W_OK) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (!(mask & (R_OK | X_OK))) {
		fuse_reply_err(req, 0);
		return;
	}
	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	if ((mask & X_OK) && !S_ISDIR(e.mode))
		rc = -EACCES;
	else if (mask & R_OK)
		rc = lybfs_access_check(req, fs, NULL, n->path, &e);
	done(snap, &e);
	fuse_reply_err(req, -rc);
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
	double t0 = lyb_metrics_clock();
	struct lybfs *fs = fs_of(req);
	struct node *n = node_get(ino);
	struct xattr_ctx x = {.want = want};
	struct lyb_fs_entry e;
	struct lyb_snap *snap;
	int reader = 1, rc;

	rc = resolve_node(fs, n, &snap, &e);
	if (rc) {
		fail(req, LYB_FOP_XATTR, t0, -rc);
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
		fail(req, LYB_FOP_XATTR, t0, -rc);
	} else if (want && !x.found) {
		fail(req, LYB_FOP_XATTR, t0, ENODATA);
	} else if (size && x.len > size) {
		fail(req, LYB_FOP_XATTR, t0, ERANGE);
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
		fail(req, LYB_FOP_XATTR, lyb_metrics_clock(), EOPNOTSUPP);
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
	fuse_reply_err(req, EROFS);
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
