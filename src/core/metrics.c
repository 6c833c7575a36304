// SPDX-License-Identifier: Apache-2.0
/*
 * metrics.c - counters, latency histograms and health (see metrics.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lyb/cache.h"
#include "lyb/clock.h"
#include "lyb/log.h"
#include "lyb/metrics.h"

#define NBUCKETS 12
static const double bucket_le[NBUCKETS] = {0.0001, 0.00025, 0.0005, 0.001,
					   0.0025, 0.005,   0.01,   0.05,
					   0.1,	   0.5,	    1,	    5};
#define HEALTH_WINDOW 300 /* seconds a store error stays in the health */

struct histogram {
	atomic_uint_fast64_t buckets[NBUCKETS + 1]; /* the last is +Inf */
	atomic_uint_fast64_t sum_ns;
};

static const char *const store_op_names[LYB_STORE_OPS] = {
	"stat", "list", "get", "put", "open", "read"};
static const char *const fuse_op_names[LYB_FUSE_OPS] = {
	"lookup", "getattr", "readdir", "open", "read", "xattr"};

static struct {
	atomic_uint_fast64_t store_requests[LYB_STORE_OPS][2]; /* ok, error */
	atomic_uint_fast64_t store_bytes;
	struct histogram store_latency[LYB_STORE_OPS];
	atomic_uint_fast64_t fuse_requests[LYB_FUSE_OPS][2];
	struct histogram fuse_latency[LYB_FUSE_OPS];
	atomic_uint_fast64_t served_bytes;
	atomic_int_fast64_t open_files;
	atomic_uint_fast64_t refreshes[2];
	atomic_uint_fast64_t audit_lines[3];  /* written, failed, dropped */
	atomic_uint_fast64_t open_refused[2]; /* total, per uid */
	atomic_int_fast64_t
		refresh_ok_at; /* wall seconds of the last success */
	atomic_int_fast64_t refresh_started_at; /* of the one running, or 0 */
} m;

#define REFRESH_SLOW_S 60 /* a refresh running longer shows in health */

/* Health: what went wrong, and since when. */
static pthread_mutex_t health_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t catalog_failing_since; /* under health_lock; 0 = healthy */
static char catalog_error[256];	      /* under health_lock */
static int64_t store_error_at;	      /* under health_lock */
static uint64_t store_errors;	      /* under health_lock */
static char store_error[256];	      /* under health_lock */
static int catalog_rc;		      /* under health_lock */
static int64_t audit_error_at;	      /* under health_lock */
static char audit_error[128];	      /* under health_lock */

static void observe(struct histogram *h, double seconds)
{
	int i;

	for (i = 0; i < NBUCKETS && seconds > bucket_le[i]; i++)
		;
	atomic_fetch_add(&h->buckets[i], 1);
	atomic_fetch_add(&h->sum_ns, (uint_fast64_t)(seconds * 1e9));
}

void lyb_metrics_store(enum lyb_store_op op, const char *scheme, int rc,
		       uint64_t bytes, double seconds)
{
	atomic_fetch_add(&m.store_requests[op][rc != 0], 1);
	atomic_fetch_add(&m.store_bytes, bytes);
	observe(&m.store_latency[op], seconds);
	/*
	 * a missing object is an answer, not a failing store; so is one
	 * larger than the caller reads (a catalog document over its cap is
	 * reported as such, lyb_health_render)
	 */
	if (rc == 0 || rc == -ENOENT || rc == -EFBIG)
		return;
	pthread_mutex_lock(&health_lock);
	store_error_at = (int64_t)time(NULL);
	store_errors++;
	snprintf(store_error, sizeof(store_error), "%s %s: %s", scheme,
		 store_op_names[op], strerror(-rc));
	pthread_mutex_unlock(&health_lock);
}

void lyb_metrics_fuse(enum lyb_fuse_op op, int rc, double seconds)
{
	atomic_fetch_add(&m.fuse_requests[op][rc != 0], 1);
	observe(&m.fuse_latency[op], seconds);
}

void lyb_metrics_served(uint64_t bytes)
{
	atomic_fetch_add(&m.served_bytes, bytes);
}

void lyb_metrics_open_files(int delta)
{
	atomic_fetch_add(&m.open_files, delta);
}

void lyb_metrics_audit(int rc, int dropped)
{
	atomic_fetch_add(&m.audit_lines[dropped ? 2 : rc ? 1 : 0], 1);
	if (!rc)
		return;
	pthread_mutex_lock(&health_lock);
	audit_error_at = (int64_t)time(NULL);
	snprintf(audit_error, sizeof(audit_error), "%s", strerror(-rc));
	pthread_mutex_unlock(&health_lock);
}

void lyb_metrics_open_refused(int per_uid)
{
	atomic_fetch_add(&m.open_refused[per_uid != 0], 1);
}

int64_t lyb_metrics_catalog_failing_since(void)
{
	int64_t t;

	pthread_mutex_lock(&health_lock);
	t = catalog_failing_since;
	pthread_mutex_unlock(&health_lock);
	return t;
}

int64_t lyb_metrics_catalog_ok_at(void)
{
	return atomic_load(&m.refresh_ok_at);
}

void lyb_metrics_refresh_start(void)
{
	atomic_store(&m.refresh_started_at, (int64_t)time(NULL));
}

void lyb_metrics_refresh(int rc, const char *err)
{
	int64_t now = (int64_t)time(NULL);

	atomic_store(&m.refresh_started_at, 0);
	atomic_fetch_add(&m.refreshes[rc != 0], 1);
	pthread_mutex_lock(&health_lock);
	if (rc == 0) {
		atomic_store(&m.refresh_ok_at, now);
		catalog_failing_since = 0;
	} else {
		if (!catalog_failing_since)
			catalog_failing_since = now;
		catalog_rc = rc;
		snprintf(catalog_error, sizeof(catalog_error), "%s",
			 err ? err : strerror(-rc));
	}
	pthread_mutex_unlock(&health_lock);
}

static void render_histogram(struct lyb_buf *out, const char *name,
			     const char *label, const char *value,
			     struct histogram *h)
{
	uint64_t cum = 0;
	int i;

	for (i = 0; i <= NBUCKETS; i++) {
		cum += atomic_load(&h->buckets[i]);
		if (i < NBUCKETS)
			lyb_buf_printf(out,
				       "%s_bucket{%s=\"%s\",le=\"%g\"} %llu\n",
				       name, label, value, bucket_le[i],
				       (unsigned long long)cum);
		else
			lyb_buf_printf(
				out, "%s_bucket{%s=\"%s\",le=\"+Inf\"} %llu\n",
				name, label, value, (unsigned long long)cum);
	}
	lyb_buf_printf(out, "%s_sum{%s=\"%s\"} %.9f\n", name, label, value,
		       (double)atomic_load(&h->sum_ns) / 1e9);
	lyb_buf_printf(out, "%s_count{%s=\"%s\"} %llu\n", name, label, value,
		       (unsigned long long)cum);
}

/* A counter family with op and result labels. */
static void render_requests(struct lyb_buf *out, const char *name,
			    const char *help, const char *const *ops, int nops,
			    atomic_uint_fast64_t (*counts)[2])
{
	int i, r;

	lyb_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help,
		       name);
	for (i = 0; i < nops; i++)
		for (r = 0; r < 2; r++)
			lyb_buf_printf(
				out, "%s{op=\"%s\",result=\"%s\"} %llu\n", name,
				ops[i], r ? "error" : "ok",
				(unsigned long long)atomic_load(&counts[i][r]));
}

static void render_cache(struct lyb_buf *out)
{
	struct lyb_cache_stats c;

	lyb_cache_stats(&c);
	lyb_buf_printf(
		out,
		"# HELP lyb_cache_blocks_total Block cache lookups for "
		"readers, by result.\n"
		"# TYPE lyb_cache_blocks_total counter\n"
		"lyb_cache_blocks_total{result=\"hit\"} %llu\n"
		"lyb_cache_blocks_total{result=\"miss\"} %llu\n"
		"# HELP lyb_cache_prefetched_blocks_total Blocks fetched "
		"ahead of sequential readers.\n"
		"# TYPE lyb_cache_prefetched_blocks_total counter\n"
		"lyb_cache_prefetched_blocks_total %llu\n"
		"# HELP lyb_cache_disk_hits_total Blocks loaded from the "
		"disk cache.\n"
		"# TYPE lyb_cache_disk_hits_total counter\n"
		"lyb_cache_disk_hits_total %llu\n"
		"# HELP lyb_cache_verified_objects_total Objects whose "
		"checksum was checked whole (no block CRC32Cs).\n"
		"# TYPE lyb_cache_verified_objects_total counter\n"
		"lyb_cache_verified_objects_total %llu\n"
		"# HELP lyb_cache_corrupt_objects_total Objects whose bytes "
		"did not match the catalog's CRC32C.\n"
		"# TYPE lyb_cache_corrupt_objects_total counter\n"
		"lyb_cache_corrupt_objects_total %llu\n"
		"# HELP lyb_cache_verified_blocks_total Blocks checked "
		"against their CRC32C before use.\n"
		"# TYPE lyb_cache_verified_blocks_total counter\n"
		"lyb_cache_verified_blocks_total %llu\n"
		"# HELP lyb_cache_disk_rejected_total Disk cache files that "
		"were torn, another block's, or did not match.\n"
		"# TYPE lyb_cache_disk_rejected_total counter\n"
		"lyb_cache_disk_rejected_total %llu\n"
		"# HELP lyb_cache_direct_bytes_total Bytes of random reads "
		"served around the cache.\n"
		"# TYPE lyb_cache_direct_bytes_total counter\n"
		"lyb_cache_direct_bytes_total %llu\n"
		"# HELP lyb_cache_page_reads_total Small reads checked by "
		"page against a page CRC sidecar, not a whole block.\n"
		"# TYPE lyb_cache_page_reads_total counter\n"
		"lyb_cache_page_reads_total %llu\n"
		"# HELP lyb_cache_page_rejected_total Sidecar rows or pages "
		"that did not check (the whole block was read instead).\n"
		"# TYPE lyb_cache_page_rejected_total counter\n"
		"lyb_cache_page_rejected_total %llu\n"
		"# HELP lyb_cache_bytes Bytes held by the cache, by tier.\n"
		"# TYPE lyb_cache_bytes gauge\n"
		"lyb_cache_bytes{tier=\"memory\"} %llu\n"
		"lyb_cache_bytes{tier=\"disk\"} %llu\n"
		"# HELP lyb_cache_capacity_bytes The cache's caps, by tier.\n"
		"# TYPE lyb_cache_capacity_bytes gauge\n"
		"lyb_cache_capacity_bytes{tier=\"memory\"} %llu\n"
		"lyb_cache_capacity_bytes{tier=\"disk\"} %llu\n",
		(unsigned long long)c.hits, (unsigned long long)c.misses,
		(unsigned long long)c.prefetched,
		(unsigned long long)c.disk_hits, (unsigned long long)c.verified,
		(unsigned long long)c.corrupt,
		(unsigned long long)c.blocks_verified,
		(unsigned long long)c.disk_rejected,
		(unsigned long long)c.direct_bytes,
		(unsigned long long)c.page_reads,
		(unsigned long long)c.page_rejected,
		(unsigned long long)c.mem_bytes,
		(unsigned long long)c.disk_bytes, (unsigned long long)c.mem_cap,
		(unsigned long long)c.disk_cap);
}

int lyb_metrics_render(const struct lyb_metrics_catalog *cat,
		       struct lyb_buf *out)
{
	int64_t now = (int64_t)time(NULL),
		ok_at = atomic_load(&m.refresh_ok_at);
	size_t i;

	render_requests(out, "lyb_store_requests_total",
			"Requests to the object stores, by operation and "
			"result.",
			store_op_names, LYB_STORE_OPS, m.store_requests);
	lyb_buf_printf(out,
		       "# HELP lyb_store_bytes_total Bytes read from and "
		       "written to the object stores.\n"
		       "# TYPE lyb_store_bytes_total counter\n"
		       "lyb_store_bytes_total %llu\n",
		       (unsigned long long)atomic_load(&m.store_bytes));
	lyb_buf_addstr(out, "# HELP lyb_store_request_duration_seconds "
			    "Latency of object store requests.\n"
			    "# TYPE lyb_store_request_duration_seconds "
			    "histogram\n");
	for (i = 0; i < LYB_STORE_OPS; i++)
		render_histogram(out, "lyb_store_request_duration_seconds",
				 "op", store_op_names[i], &m.store_latency[i]);
	render_requests(out, "lyb_fuse_requests_total",
			"File system requests, by operation and result.",
			fuse_op_names, LYB_FUSE_OPS, m.fuse_requests);
	lyb_buf_addstr(out, "# HELP lyb_fuse_request_duration_seconds "
			    "Latency of file system requests.\n"
			    "# TYPE lyb_fuse_request_duration_seconds "
			    "histogram\n");
	for (i = 0; i < LYB_FUSE_OPS; i++)
		render_histogram(out, "lyb_fuse_request_duration_seconds", "op",
				 fuse_op_names[i], &m.fuse_latency[i]);
	lyb_buf_printf(
		out,
		"# HELP lyb_served_bytes_total Bytes returned to readers.\n"
		"# TYPE lyb_served_bytes_total counter\n"
		"lyb_served_bytes_total %llu\n"
		"# HELP lyb_open_files Files open through the mount.\n"
		"# TYPE lyb_open_files gauge\n"
		"lyb_open_files %lld\n"
		"# HELP lyb_audit_lines_total Audit log lines, by result "
		"(dropped: over the per-uid rate, counted in a summary "
		"line).\n"
		"# TYPE lyb_audit_lines_total counter\n"
		"lyb_audit_lines_total{result=\"written\"} %llu\n"
		"lyb_audit_lines_total{result=\"failed\"} %llu\n"
		"lyb_audit_lines_total{result=\"dropped\"} %llu\n"
		"# HELP lyb_log_write_errors_total Lines the log file "
		"(log=FILE) did not take; each went to stderr or syslog "
		"instead.\n"
		"# TYPE lyb_log_write_errors_total counter\n"
		"lyb_log_write_errors_total %llu\n"
		"# HELP lyb_open_refused_total Opens refused by a handle "
		"limit, by limit.\n"
		"# TYPE lyb_open_refused_total counter\n"
		"lyb_open_refused_total{limit=\"per_uid\"} %llu\n"
		"lyb_open_refused_total{limit=\"total\"} %llu\n"
		"# HELP lyb_catalog_refreshes_total Catalog refreshes, by "
		"result.\n"
		"# TYPE lyb_catalog_refreshes_total counter\n"
		"lyb_catalog_refreshes_total{result=\"ok\"} %llu\n"
		"lyb_catalog_refreshes_total{result=\"error\"} %llu\n"
		"# HELP lyb_catalog_age_seconds Seconds since the catalog "
		"was last read successfully.\n"
		"# TYPE lyb_catalog_age_seconds gauge\n"
		"lyb_catalog_age_seconds %lld\n"
		"# HELP lyb_catalog_datasets DataSets in the catalog.\n"
		"# TYPE lyb_catalog_datasets gauge\n"
		"lyb_catalog_datasets %zu\n"
		"# HELP lyb_catalog_versions Versions in the catalog.\n"
		"# TYPE lyb_catalog_versions gauge\n"
		"lyb_catalog_versions %llu\n"
		"# HELP lyb_datasets_overdue DataSets late or missing against "
		"their SLO.\n"
		"# TYPE lyb_datasets_overdue gauge\n"
		"lyb_datasets_overdue %llu\n"
		"# HELP lyb_catalog_bad_documents DataSet documents that do "
		"not load (their data is denied).\n"
		"# TYPE lyb_catalog_bad_documents gauge\n"
		"lyb_catalog_bad_documents %zu\n",
		(unsigned long long)atomic_load(&m.served_bytes),
		(long long)atomic_load(&m.open_files),
		(unsigned long long)atomic_load(&m.audit_lines[0]),
		(unsigned long long)atomic_load(&m.audit_lines[1]),
		(unsigned long long)atomic_load(&m.audit_lines[2]),
		(unsigned long long)lyb_log_file_errors(),
		(unsigned long long)atomic_load(&m.open_refused[1]),
		(unsigned long long)atomic_load(&m.open_refused[0]),
		(unsigned long long)atomic_load(&m.refreshes[0]),
		(unsigned long long)atomic_load(&m.refreshes[1]),
		(long long)(ok_at ? now - ok_at : now - cat->loaded),
		cat->datasets, (unsigned long long)cat->versions,
		(unsigned long long)cat->overdue, cat->nbad);
	render_cache(out);
	return 0;
}

int lyb_health_render(const struct lyb_metrics_catalog *cat,
		      struct lyb_buf *out)
{
	int64_t now = (int64_t)time(NULL);
	char when[32];
	struct tm tm;
	size_t i;
	time_t t;
	int bad = 0;

	for (i = 0; cat && i < cat->nbad; i++) {
		const struct lyb_metrics_bad *b = &cat->bad[i];

		t = (time_t)b->since;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		lyb_buf_printf(out,
			       "catalog document of %s does not load since "
			       "%s: %s (%s)\n",
			       b->name, when, b->reason,
			       b->definite ? "its data is denied"
					   : "its data is denied after "
					     "acl_max_stale");
		bad = 1;
	}

	t = (time_t)atomic_load(&m.refresh_started_at);
	if (t && now - (int64_t)t > REFRESH_SLOW_S) {
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		lyb_buf_printf(out,
			       "catalog refresh running since %s, for %lld s "
			       "(serving the last catalog read; data is denied "
			       "after acl_max_stale)\n",
			       when, (long long)(now - (int64_t)t));
		bad = 1;
	}
	pthread_mutex_lock(&health_lock);
	if (catalog_failing_since) {
		t = (time_t)catalog_failing_since;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (catalog_rc == -EMFILE || catalog_rc == -ENFILE)
			lyb_buf_printf(out,
				       "catalog not refreshed since %s: this "
				       "daemon is out of file descriptors: %s "
				       "(serving the last catalog read)\n",
				       when, catalog_error);
		else
			lyb_buf_printf(out,
				       "catalog unreachable since %s: %s "
				       "(serving the last catalog read)\n",
				       when, catalog_error);
		bad = 1;
	}
	if (store_error_at && now - store_error_at < HEALTH_WINDOW) {
		t = (time_t)store_error_at;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		lyb_buf_printf(
			out, "store errors: %llu so far, the last at %s: %s\n",
			(unsigned long long)store_errors, when, store_error);
		bad = 1;
	}
	if (audit_error_at && now - audit_error_at < HEALTH_WINDOW) {
		t = (time_t)audit_error_at;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		lyb_buf_printf(out,
			       "audit log not writable, the last time at %s: "
			       "%s (opens of data are denied meanwhile)\n",
			       when, audit_error);
		bad = 1;
	}
	pthread_mutex_unlock(&health_lock);
	if (!bad)
		lyb_buf_addstr(out, "ok\n");
	return 0;
}
