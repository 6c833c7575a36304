/* SPDX-License-Identifier: Apache-2.0 */
/*
 * handles.h - the daemon's open file and directory handles (handles.c),
 * kept in struct lybfs.
 *
 * fi->fh is a slot number and a generation, never a pointer: a RELEASE
 * can reach the daemon while another thread still serves a READ of the
 * same file (the kernel sends it once the reader is gone, e.g. killed
 * mid-read), so the object lives until both are done.
 *
 * Limits: a uid holds at most max_per_uid handles (-EMFILE beyond), and
 * all uids together at most max_total (-ENFILE beyond), which main.c sets
 * below the descriptor limit: an open file:// object holds a descriptor
 * for as long as it is open, so that what is left (the reserve) always
 * serves the daemon's own work (catalog refresh, audit log, disk cache,
 * control socket, NSS). A slot is taken before an open does any work
 * (lybfs_handle_reserve) and given its object after (lybfs_handle_attach).
 *
 * Thread safety: every function may be called from any thread. The
 * table's lock is a leaf and never held across I/O; an object's free
 * function runs under it, so it must not block.
 */
#ifndef LYBFS_HANDLES_H
#define LYBFS_HANDLES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LYBFS_UID_SLOTS 256

struct lybfs_handle;   /* a slot (handles.c) */
struct lybfs_uid_open; /* how many handles one uid holds (handles.c) */

struct lybfs_handles {
	pthread_mutex_t lock;
	struct lybfs_handle *slots;			   /* under lock */
	size_t nslots, free_head, nused;		   /* under lock */
	struct lybfs_uid_open *uid_opens[LYBFS_UID_SLOTS]; /* under lock */
	size_t max_per_uid, max_total; /* set before mounting, then read only */
};

/* An empty table without limits; cannot fail. */
void lybfs_handles_init(struct lybfs_handles *h);
/* Frees the table and every object still in it: call when no request runs. */
void lybfs_handles_destroy(struct lybfs_handles *h);
/*
 * The limits: at most @per_uid open files and directories per uid and
 * @total for all; 0: none. Call once, before mounting.
 */
void lybfs_handles_limit(struct lybfs_handles *h, size_t per_uid, size_t total);

/*
 * Takes a slot for an open by @uid; its fh goes to *@fh and the number of
 * handles @uid then holds to *@held (on -EMFILE: what it holds). -EMFILE
 * when @uid holds max_per_uid, -ENFILE when all do max_total, -ENOMEM.
 */
int lybfs_handle_reserve(struct lybfs_handles *h, uid_t uid, uint64_t *fh,
			 size_t *held);
/* Gives the reserved slot @fh its object, freed by @free_fn at the end. */
void lybfs_handle_attach(struct lybfs_handles *h, uint64_t fh, void *obj,
			 void (*free_fn)(void *obj));
/* Gives back a slot reserved for an open that failed. */
void lybfs_handle_cancel(struct lybfs_handles *h, uint64_t fh);
/* The object of @fh with a reference (lybfs_handle_put()), or NULL. */
void *lybfs_handle_get(struct lybfs_handles *h, uint64_t fh);
void lybfs_handle_put(struct lybfs_handles *h, uint64_t fh);
/* The kernel is done with @fh: its object goes once no request uses it. */
void lybfs_handle_close(struct lybfs_handles *h, uint64_t fh);

#endif
