/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h - what lybfs counts, and its health, for MNT/.lyb/metrics (the
 * Prometheus text format) and MNT/.lyb/health.
 *
 * One process-wide set of counters and latency histograms, updated with
 * atomics from any thread; health text is kept under a mutex that is
 * never held across I/O. Rendering takes a snapshot for the catalog
 * gauges.
 */
#ifndef LYB_METRICS_H
#define LYB_METRICS_H

#include <stdint.h>
#include "lyb/buf.h"

enum lyb_store_op {
	LYB_OP_STAT,
	LYB_OP_LIST,
	LYB_OP_GET,
	LYB_OP_PUT,
	LYB_OP_OPEN,
	LYB_OP_READ,
	LYB_STORE_OPS
};

enum lyb_fuse_op {
	LYB_FOP_LOOKUP,
	LYB_FOP_GETATTR,
	LYB_FOP_READDIR,
	LYB_FOP_OPEN,
	LYB_FOP_READ,
	LYB_FOP_XATTR,
	LYB_FUSE_OPS
};

/* A store request finished with @rc after @seconds, moving @bytes. */
void lyb_metrics_store(enum lyb_store_op op, const char *scheme, int rc,
		       uint64_t bytes, double seconds);
/* A FUSE request finished with @rc after @seconds. */
void lyb_metrics_fuse(enum lyb_fuse_op op, int rc, double seconds);
void lyb_metrics_served(uint64_t bytes);
void lyb_metrics_open_files(int delta);
/*
 * An audit line: written (@rc 0, @dropped 0), failed (@rc -errno: also
 * in the health for a while) or dropped by the rate limit (@dropped 1).
 */
void lyb_metrics_audit(int rc, int dropped);
/*
 * An open or opendir refused by a handle limit: @per_uid (max_open_per_uid,
 * EMFILE) or the daemon's total (ENFILE).
 */
void lyb_metrics_open_refused(int per_uid);
/* A periodic catalog refresh starts (health shows one running > 60 s). */
void lyb_metrics_refresh_start(void);
/* A catalog refresh finished; @err describes a failure (rc != 0). */
void lyb_metrics_refresh(int rc, const char *err);
/* Since when (wall seconds) refreshes fail; 0 while the catalog reads. */
int64_t lyb_metrics_catalog_failing_since(void);
/*
 * When (wall seconds) the last catalog refresh that succeeded finished;
 * 0 before the first. Unlike failing_since it also ages while a refresh
 * runs and never finishes (a hung store, a hostile document).
 */
int64_t lyb_metrics_catalog_ok_at(void);

/* A DataSet whose catalog entry does not load (for the health text). */
struct lyb_metrics_bad {
	const char *name, *reason;
	int64_t since;
	int definite; /* its data is denied at once, not after acl_max_stale */
};

/*
 * What the texts say of the catalog: the caller (fs.c, which knows the
 * catalog; metrics knows nothing above the store) counts it.
 */
struct lyb_metrics_catalog {
	size_t datasets;
	uint64_t versions, overdue;
	int64_t loaded; /* when the snapshot was built */
	size_t nbad;
	const struct lyb_metrics_bad *bad;
};

int lyb_metrics_render(const struct lyb_metrics_catalog *cat,
		       struct lyb_buf *out);
/* "ok\n", or one line per problem. */
int lyb_health_render(const struct lyb_metrics_catalog *cat,
		      struct lyb_buf *out);

#endif
