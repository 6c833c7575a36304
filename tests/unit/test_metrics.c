// SPDX-License-Identifier: Apache-2.0
/*
 * test_metrics.c - MNT/.lyb/metrics and MNT/.lyb/health (metrics.c):
 * exact Prometheus lines for request counters by op and result, bytes,
 * gauges, latency histograms (cumulative buckets, an upper bound is
 * inclusive, +Inf, sum and count), the catalog gauges of a snapshot
 * (DataSets, versions, overdue against the SLO at $LYB_NOW, bad
 * documents), and the health text: "ok", and the line for each problem
 * (store errors but not ENOENT/EFBIG, audit failures, catalog refresh
 * failures and the out-of-descriptors variant, unloadable documents).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lyb/buf.h"
#include "lyb/fs.h"
#include "lyb/metrics.h"
#include "snap_fixture.h"

static char *render(const struct lyb_snap *snap, int health)
{
	struct lyb_metrics_catalog fig;
	struct lyb_buf b;

	lyb_buf_init(&b, 1u << 20);
	CHECK_RC(lyb_fs_catalog_figures(snap, &fig), 0);
	if (health)
		CHECK_RC(lyb_health_render(&fig, &b), 0);
	else
		CHECK_RC(lyb_metrics_render(&fig, &b), 0);
	free((void *)fig.bad);
	return lyb_buf_steal(&b, NULL);
}

/* Checks that @text has the whole line @line. */
#define HAS_LINE(text, line) CHECK(has_line(text, line))

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	fprintf(stderr, "no line \"%s\"\n", line);
	return 0;
}

static void test_counters(const struct lyb_snap *snap)
{
	char *t;

	t = render(snap, 0);
	HAS_LINE(t, "# TYPE lyb_store_requests_total counter");
	HAS_LINE(t, "lyb_store_requests_total{op=\"get\",result=\"ok\"} 0");
	HAS_LINE(t, "lyb_store_bytes_total 0");
	HAS_LINE(t, "lyb_open_files 0");
	free(t);

	lyb_metrics_store(LYB_OP_GET, "gs", 0, 100, 0.0003);
	lyb_metrics_store(LYB_OP_GET, "gs", 0, 23, 0.0003);
	lyb_metrics_store(LYB_OP_READ, "file", -ENOENT, 0, 0.00001);
	lyb_metrics_fuse(LYB_FOP_READ, 0, 0.001); /* on a bound: in it */
	lyb_metrics_fuse(LYB_FOP_READ, -EACCES, 10);
	lyb_metrics_served(4096);
	lyb_metrics_open_files(2);
	lyb_metrics_open_files(-1);
	lyb_metrics_audit(0, 0);
	lyb_metrics_audit(0, 1);
	lyb_metrics_open_refused(1);
	lyb_metrics_open_refused(1);
	lyb_metrics_open_refused(0);
	t = render(snap, 0);
	HAS_LINE(t, "lyb_store_requests_total{op=\"get\",result=\"ok\"} 2");
	HAS_LINE(t, "lyb_store_requests_total{op=\"get\",result=\"error\"} 0");
	HAS_LINE(t, "lyb_store_requests_total{op=\"read\",result=\"error\"} 1");
	HAS_LINE(t, "lyb_store_bytes_total 123");
	HAS_LINE(t, "lyb_store_request_duration_seconds_bucket{op=\"get\","
		    "le=\"0.00025\"} 0");
	HAS_LINE(t, "lyb_store_request_duration_seconds_bucket{op=\"get\","
		    "le=\"0.0005\"} 2");
	HAS_LINE(t, "lyb_store_request_duration_seconds_bucket{op=\"get\","
		    "le=\"5\"} 2");
	HAS_LINE(t, "lyb_store_request_duration_seconds_bucket{op=\"get\","
		    "le=\"+Inf\"} 2");
	HAS_LINE(t, "lyb_store_request_duration_seconds_sum{op=\"get\"} "
		    "0.000600000");
	HAS_LINE(t, "lyb_store_request_duration_seconds_count{op=\"get\"} 2");
	HAS_LINE(t, "lyb_store_request_duration_seconds_bucket{op=\"read\","
		    "le=\"0.0001\"} 1");
	HAS_LINE(t, "lyb_fuse_requests_total{op=\"read\",result=\"ok\"} 1");
	HAS_LINE(t, "lyb_fuse_requests_total{op=\"read\",result=\"error\"} 1");
	HAS_LINE(t, "lyb_fuse_request_duration_seconds_bucket{op=\"read\","
		    "le=\"0.0005\"} 0");
	HAS_LINE(t, "lyb_fuse_request_duration_seconds_bucket{op=\"read\","
		    "le=\"0.001\"} 1");
	HAS_LINE(t, "lyb_fuse_request_duration_seconds_bucket{op=\"read\","
		    "le=\"5\"} 1");
	HAS_LINE(t, "lyb_fuse_request_duration_seconds_bucket{op=\"read\","
		    "le=\"+Inf\"} 2");
	HAS_LINE(t, "lyb_fuse_request_duration_seconds_count{op=\"read\"} 2");
	HAS_LINE(t, "lyb_served_bytes_total 4096");
	HAS_LINE(t, "lyb_open_files 1");
	HAS_LINE(t, "lyb_audit_lines_total{result=\"written\"} 1");
	HAS_LINE(t, "lyb_audit_lines_total{result=\"failed\"} 0");
	HAS_LINE(t, "lyb_audit_lines_total{result=\"dropped\"} 1");
	HAS_LINE(t, "lyb_open_refused_total{limit=\"per_uid\"} 2");
	HAS_LINE(t, "lyb_open_refused_total{limit=\"total\"} 1");
	free(t);

	/* neither a missing object nor one over the cap is a store error */
	t = render(snap, 1);
	CHECK_STR(t, "ok\n");
	free(t);
	lyb_metrics_store(LYB_OP_GET, "gs", -EFBIG, 0, 0.1);
	t = render(snap, 1);
	CHECK_STR(t, "ok\n");
	free(t);
}

static void test_catalog_gauges(const struct lyb_snap *snap)
{
	char *t;

	setenv("LYB_NOW", "2020-09-03T09:00:00Z", 1); /* delivered on time */
	t = render(snap, 0);
	HAS_LINE(t, "lyb_catalog_datasets 3");
	HAS_LINE(t, "lyb_catalog_versions 2");
	HAS_LINE(t, "lyb_datasets_overdue 0");
	HAS_LINE(t, "lyb_catalog_bad_documents 0");
	HAS_LINE(t, "lyb_catalog_refreshes_total{result=\"ok\"} 0");
	free(t);
	setenv("LYB_NOW", "2020-09-05T09:00:00Z", 1); /* 2020-09-05 missing */
	t = render(snap, 0);
	HAS_LINE(t, "lyb_datasets_overdue 1");
	free(t);
	unsetenv("LYB_NOW");
}

/* Checks @t is one line starting with @head and ending with @tail. */
static void one_line(const char *t, const char *head, const char *tail)
{
	size_t n = strlen(t), h = strlen(head), k = strlen(tail);

	if (n < h + k || strncmp(t, head, h) != 0 ||
	    strcmp(t + n - k, tail) != 0 || strchr(t, '\n') != t + n - 1) {
		fprintf(stderr, "health \"%s\", want \"%s...%s\"\n", t, head,
			tail);
		check_failures++;
	}
}

static void test_health(struct lyb_snap *snap)
{
	struct lyb_bad_doc bad = {.name = "a.Broken",
				  .reason = "line 1: not JSON",
				  .since = 1599120000,
				  .definite = 1};
	char *t;

	lyb_metrics_refresh(-EIO, "gs get: timed out");
	t = render(snap, 1);
	one_line(t, "catalog unreachable since ",
		 ": gs get: timed out (serving the last catalog read)\n");
	free(t);
	lyb_metrics_refresh(-EMFILE, NULL);
	t = render(snap, 1);
	one_line(t, "catalog not refreshed since ",
		 ": this daemon is out of file descriptors: Too many open "
		 "files (serving the last catalog read)\n");
	free(t);
	CHECK(lyb_metrics_catalog_failing_since() > 0);
	lyb_metrics_refresh(0, NULL);
	CHECK_RC(lyb_metrics_catalog_failing_since(), 0);
	CHECK(lyb_metrics_catalog_ok_at() > 0);
	t = render(snap, 1);
	CHECK_STR(t, "ok\n");
	free(t);
	t = render(snap, 0);
	HAS_LINE(t, "lyb_catalog_refreshes_total{result=\"ok\"} 1");
	HAS_LINE(t, "lyb_catalog_refreshes_total{result=\"error\"} 2");
	free(t);

	/* an unloadable document */
	snap->nbad = 1;
	snap->bad = &bad;
	t = render(snap, 1);
	CHECK_STR(t, "catalog document of a.Broken does not load since "
		     "2020-09-03T08:00:00Z: line 1: not JSON (its data is "
		     "denied)\n");
	free(t);
	bad.definite = 0;
	t = render(snap, 1);
	CHECK_STR(t, "catalog document of a.Broken does not load since "
		     "2020-09-03T08:00:00Z: line 1: not JSON (its data is "
		     "denied after acl_max_stale)\n");
	free(t);
	t = render(snap, 0);
	HAS_LINE(t, "lyb_catalog_bad_documents 1");
	free(t);
	snap->nbad = 0;
	snap->bad = NULL;

	/* store and audit failures stay in the health for a while */
	lyb_metrics_store(LYB_OP_READ, "gs", -EIO, 0, 0.1);
	t = render(snap, 1);
	one_line(t, "store errors: 1 so far, the last at ",
		 ": gs read: Input/output error\n");
	free(t);
	lyb_metrics_audit(-ENOSPC, 0);
	t = render(snap, 1);
	CHECK(strstr(t, "\naudit log not writable, the last time at ") != NULL);
	CHECK(strstr(t, ": No space left on device (opens of data are denied "
			"meanwhile)\n") != NULL);
	free(t);
	t = render(snap, 0);
	HAS_LINE(t, "lyb_audit_lines_total{result=\"failed\"} 1");
	free(t);
}

int main(void)
{
	struct lyb_snap *snap = fixture_snapshot();

	test_counters(snap);
	test_catalog_gauges(snap);
	test_health(snap);
	return check_failures ? 1 : 0;
}
