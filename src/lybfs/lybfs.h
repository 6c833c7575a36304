/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lybfs.h - what the daemon's files share: struct lybfs, the daemon's
 * state, and the functions of access.c and control.c; the inode and
 * handle tables have their own headers (nodes.h, handles.h). Only
 * src/lybfs/ includes fuse_lowlevel.h.
 */
#ifndef LYBFS_H
#define LYBFS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <stdatomic.h>

#include "lyb/acl.h"
#include "lyb/audit.h"
#include "lyb/catalog.h"
#include "lyb/config.h"
#include "lyb/fs.h"
#include "handles.h"
#include "nodes.h"

struct lybfs {
	struct lyb_config cfg; /* the settings (main.c fills and frees it) */
	double ttl_immutable;  /* entry/attr timeout for version trees */
	struct lyb_catalog *cat;
	struct fuse_session *se;
	uid_t uid;
	gid_t gid;
	struct lyb_acl *acl;	 /* who may read what (access.c) */
	struct lyb_audit *audit; /* every decision, one line each */
	const char *mountpoint;
	atomic_int inited;	  /* the kernel's INIT was answered (ll_init) */
	struct lybfs_nodes nodes; /* the inodes the kernel knows */
	struct lybfs_handles handles; /* open files and directories */
};

extern const struct fuse_lowlevel_ops lybfs_ll_ops;

/*
 * Access control (access.c). lybfs_access_start() builds the policy and
 * opens the audit log from the settings (domain, admin, audit) and makes
 * SIGHUP reopen it (call it after fuse_set_signal_handlers()); _stop()
 * undoes it.
 */
int lybfs_access_start(struct lybfs *fs);
void lybfs_access_stop(struct lybfs *fs);
/*
 * The control socket (control.c), when -o control=PATH: _open() binds it
 * (before mounting, so a bad path fails the start), _start() serves it
 * from a thread (after daemonizing: the init callback), _stop() ends it.
 */
int lybfs_control_open(struct lybfs *fs);
void lybfs_control_start(struct lybfs *fs);
void lybfs_control_stop(struct lybfs *fs);
/*
 * The metrics endpoint (metrics_http.c), when -o metrics_listen=ADDR:PORT:
 * _open() binds it (before mounting: a taken address fails the start),
 * _start() serves it from a thread of its own (after daemonizing), _stop()
 * ends it (also when never opened or started).
 */
int lybfs_metrics_open(struct lybfs *fs);
void lybfs_metrics_start(struct lybfs *fs);
void lybfs_metrics_stop(void);
/*
 * The caller of @req as an identity (uid, gid and supplementary groups
 * from the kernel), with a reference.
 */
int lybfs_caller(fuse_req_t req, struct lybfs *fs, struct lyb_ident **id);
/*
 * Decides whether the caller of @req may @op ("open", "opendir") @e at
 * @path, audits the decision, and returns 0 or -EACCES. Entries that are
 * not gated (lyb_fs_gated) pass without a decision. @op NULL: access(2),
 * answered the same way but not audited (no data is read).
 */
int lybfs_access_check(fuse_req_t req, struct lybfs *fs, const char *op,
		       const char *path, const struct lyb_fs_entry *e);
/*
 * Audits that @op of gated @e at @path by the caller of @req was refused
 * before any access decision, because of @why (a handle limit). Entries
 * that are not gated are not audited.
 */
void lybfs_access_refused(fuse_req_t req, struct lybfs *fs, const char *op,
			  const char *path, const struct lyb_fs_entry *e,
			  const char *why);

#endif
