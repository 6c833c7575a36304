/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nodes.h - the daemon's inode table (nodes.c), kept in struct lybfs: one
 * node per path the kernel has looked up, found by inode number or by
 * path, and what tells the kernel to drop what it cached of them.
 *
 * A node's nlookup equals the kernel's lookup count (lookup ++, forget -=
 * n) and the node is freed when it reaches zero, as in libfuse's
 * passthrough_ll; inode numbers are never reused. Nodes hold only their
 * path and what fs.h said of it when it was first looked up, never
 * pointers into a snapshot: every request resolves the path against the
 * snapshot current at that moment.
 *
 * Thread safety: every function may be called from any thread. A node's
 * path, inode number and can_change are immutable and the node lives at
 * least as long as a request on it (the kernel holds the inode
 * meanwhile), so requests read them unlocked. Lock order: lock, then
 * inval.lock; neither is held across catalog or store I/O, nor while
 * talking to the kernel.
 */
#ifndef LYBFS_NODES_H
#define LYBFS_NODES_H

#include <pthread.h>
#include <stdint.h>

#include "lyb/cache.h"

#define LYBFS_INVAL_MAX 1024 /* corrupt inodes queued; more are dropped */

struct fuse_session;

struct lybfs_node {
	uint64_t ino;
	uint64_t nlookup;			  /* under lock */
	int can_change;				  /* !lyb_fs_entry.immutable */
	int has_cache_id;			  /* under lock: opened once */
	unsigned char cache_id[LYB_CACHE_ID_LEN]; /* under lock: its object's */
	struct lybfs_node *next_ino;		  /* under lock */
	struct lybfs_node *next_path;		  /* under lock */
	char path[];
};

struct lybfs_nodes {
	pthread_mutex_t lock;
	struct lybfs_node **by_ino, **by_path; /* under lock */
	uint64_t next_ino;		       /* under lock */
	struct lybfs_node *root;	       /* never forgotten */
	/* inodes of corrupt objects, for the invalidator thread */
	struct {
		pthread_mutex_t lock;
		pthread_cond_t cond;
		struct fuse_session *se;
		uint64_t inos[LYBFS_INVAL_MAX]; /* under inval.lock */
		unsigned n, stop;		/* under inval.lock */
		int started;
		pthread_t thread;
	} inval;
};

/* An empty table but for the root. 0 or -ENOMEM. */
int lybfs_nodes_init(struct lybfs_nodes *t);
/* Frees every node: call when no request runs. */
void lybfs_nodes_destroy(struct lybfs_nodes *t);

/* The node of inode @ino, or NULL when the kernel forgot it. */
struct lybfs_node *lybfs_node_get(struct lybfs_nodes *t, uint64_t ino);
/*
 * Finds or creates the node for @path and counts one lookup; @can_change
 * (the entry is not immutable, fs.h) is kept when the node is created.
 * NULL when out of memory.
 */
struct lybfs_node *lybfs_node_lookup(struct lybfs_nodes *t, const char *path,
				     int can_change);
/* The kernel forgot @count lookups of @ino. */
void lybfs_node_forget(struct lybfs_nodes *t, uint64_t ino, uint64_t count);
/* Remembers which object (cache.h identity) @n's opens read. */
void lybfs_node_set_cache_id(struct lybfs_nodes *t, struct lybfs_node *n,
			     const unsigned char id[LYB_CACHE_ID_LEN]);

/*
 * Tells the kernel to drop what it cached for every node that can change
 * (the root, DataSets, dates, `latest` and DataSet metadata: all but a
 * version's tree). Called by the refresh thread after the catalog
 * changed; never from a request.
 */
void lybfs_nodes_invalidate(struct lybfs_nodes *t, struct fuse_session *se);

/*
 * Starts (after daemonizing) and stops the thread that drops the kernel's
 * cached pages of files whose object the block cache found corrupt
 * (lyb_cache_on_corrupt()): never from the request's own thread, as the
 * kernel waits there for pages the request itself holds locked.
 */
int lybfs_invalidator_start(struct lybfs_nodes *t, struct fuse_session *se);
void lybfs_invalidator_stop(struct lybfs_nodes *t);

#endif
