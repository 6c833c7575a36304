/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lybfs.h - what the daemon's main.c and ll.c share. Only src/lybfs/
 * includes fuse_lowlevel.h.
 */
#ifndef LYBFS_H
#define LYBFS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "lyb/catalog.h"

/* What main.c took from struct lyb_config (owned there). */
struct lybfs_config {
	const char *catalog_url;
	double refresh;	      /* seconds between catalog refreshes */
	double ttl;	      /* entry/attr timeout for things that change */
	double ttl_immutable; /* ... for version trees */
};

struct lybfs {
	struct lybfs_config cfg;
	struct lyb_catalog *cat;
	struct fuse_session *se;
	uid_t uid;
	gid_t gid;
};

extern const struct fuse_lowlevel_ops lybfs_ll_ops;

/* The inode table. */
int lybfs_nodes_init(void);
void lybfs_nodes_destroy(void);
/*
 * Tells the kernel to drop what it cached for every inode that can change
 * (the root, DataSets, dates, `latest` and DataSet metadata). Called by
 * the refresh thread after the catalog changed; never from a request.
 */
void lybfs_nodes_invalidate(struct fuse_session *se);

#endif
