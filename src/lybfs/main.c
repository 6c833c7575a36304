// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - the lybfs daemon: options, the mount, the catalog refresh
 * thread, and an orderly unmount on SIGTERM, SIGINT or SIGHUP.
 *
 *   lybfs [-f] [-d] -o catalog=URL[,refresh=SEC,...] MOUNTPOINT
 *   mount -t fuse.lybfs CATALOG_URL MOUNTPOINT -o allow_other
 *
 * As mount.fuse3 runs us as "lybfs SOURCE MOUNTPOINT -o ...", a first
 * positional argument is taken as the catalog URL when catalog= is unset.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "lyb/cache.h"
#include "lyb/gcs.h"
#include "lyb/log.h"
#include "lyb/metrics.h"
#include "lybfs.h"

#define DEFAULT_CATALOG "file:///var/lib/lyb/catalog"

static struct lybfs lybfs;
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static int stopping; /* under stop_lock */

#define OPT(t, p)                                      \
	{                                              \
		t, offsetof(struct lybfs_config, p), 1 \
	}
static const struct fuse_opt lybfs_opts[] = {
	OPT("catalog=%s", catalog_url),
	OPT("refresh=%lf", refresh),
	OPT("ttl=%lf", ttl),
	OPT("log_level=%s", log_level),
	OPT("gcs_endpoint=%s", gcs_endpoint),
	OPT("gcs_credentials=%s", gcs_credentials),
	OPT("cache_mem=%s", cache_mem),
	OPT("cache_dir=%s", cache_dir),
	OPT("cache_size=%s", cache_size),
	OPT("readahead=%s", readahead),
	FUSE_OPT_END,
};

static char *positional[2];
static int npositional;

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;
	if (npositional == 2) {
		fprintf(stderr, "lybfs: unexpected argument: %s\n", arg);
		return -1;
	}
	positional[npositional++] = strdup(arg);
	return 0;
}

/* "123", "64K", "256M", "10G" (powers of 1024) into @out; 0 or -EINVAL. */
static int parse_size(const char *name, const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	}
	if (errno || end == s || *end || v == 0 || v > (~0ull >> shift) ||
	    s[0] == '-') {
		fprintf(stderr, "lybfs: %s=%s: expected a size like 512M\n",
			name, s);
		return -EINVAL;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

/*
 * Lets the kernel send reads of up to 1 MiB: its read-ahead for a FUSE
 * mount starts at 128 KiB. Best effort, through the mount's bdi (found in
 * /proc/self/mountinfo: asking the mount itself would call into us).
 */
static void set_kernel_readahead(const char *mnt, unsigned kb)
{
	char line[4096], path[128], want[4100];
	unsigned major, minor;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = 0;

	if (!f)
		return;
	snprintf(want, sizeof(want), " %s ", mnt);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) &&
			sscanf(line, "%*d %*d %u:%u", &major, &minor) == 2;
	fclose(f);
	if (!found)
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb",
		 major, minor);
	f = fopen(path, "we");
	if (!f) {
		lyb_log(LYB_LOG_DEBUG, "%s: %s (kernel read-ahead stays)", path,
			strerror(errno));
		return;
	}
	fprintf(f, "%u\n", kb);
	if (fclose(f) != 0)
		lyb_log(LYB_LOG_DEBUG, "%s: %s", path, strerror(errno));
}

static void usage(const char *prog)
{
	printf("usage: %s [options] [CATALOG_URL] MOUNTPOINT\n\n"
	       "Mounts the Lybrary catalog read-only: one directory per "
	       "DataSet,\nits dates, versions and their gs/ and snow/ "
	       "copies.\n\n"
	       "lybfs options:\n"
	       "    -o catalog=URL       file:///abs/dir or "
	       "gs://bucket/prefix\n"
	       "                         (default: $LYB_CATALOG, then " DEFAULT_CATALOG
	       ")\n"
	       "    -o refresh=SECONDS   catalog refresh interval "
	       "(default 2)\n"
	       "    -o ttl=SECONDS       kernel cache time for names that "
	       "can change (default 1)\n"
	       "    -o log_level=LEVEL   err, warn, info or debug "
	       "(default info)\n"
	       "    -o gcs_endpoint=URL  GCS JSON API endpoint (default: "
	       "$STORAGE_EMULATOR_HOST,\n"
	       "                         then https://storage.googleapis.com)\n"
	       "    -o gcs_credentials=FILE|anonymous\n"
	       "                         a service-account or authorized_user "
	       "file\n"
	       "                         (default: Application Default "
	       "Credentials)\n"
	       "    -o cache_mem=SIZE    memory block cache cap (default 256M)\n"
	       "    -o cache_dir=DIR     also keep blocks on disk, in DIR "
	       "(mode 0700)\n"
	       "    -o cache_size=SIZE   disk cache quota (default 10G)\n"
	       "    -o readahead=SIZE    largest read-ahead window per stream "
	       "(default 64M)\n\n",
	       prog);
}

static void log_from_fuse(enum fuse_log_level level, const char *fmt,
			  va_list ap)
{
	char buf[1024];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	lyb_log(level <= FUSE_LOG_ERR	    ? LYB_LOG_ERR
		: level <= FUSE_LOG_WARNING ? LYB_LOG_WARN
		: level <= FUSE_LOG_INFO    ? LYB_LOG_INFO
					    : LYB_LOG_DEBUG,
		"fuse: %s", buf);
}

/* Re-reads the catalog every cfg.refresh seconds until told to stop. */
static void *refresh_main(void *arg)
{
	struct lybfs *fs = arg;
	int failing = 0;

	pthread_mutex_lock(&stop_lock);
	while (!stopping) {
		struct timespec until;
		int changed = 0, rc;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)fs->cfg.refresh;
		until.tv_nsec += (long)((fs->cfg.refresh -
					 (double)(time_t)fs->cfg.refresh) *
					1e9);
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (!stopping &&
		       pthread_cond_timedwait(&stop_cond, &stop_lock, &until) !=
			       ETIMEDOUT)
			;
		if (stopping)
			break;
		pthread_mutex_unlock(&stop_lock);
		rc = lyb_catalog_refresh(fs->cat, &changed);
		lyb_metrics_refresh(rc, NULL);
		if (rc && !failing)
			lyb_log(LYB_LOG_WARN,
				"catalog unreachable (%s): serving what is "
				"already known",
				strerror(-rc));
		else if (!rc && failing)
			lyb_log(LYB_LOG_INFO, "catalog reachable again");
		failing = rc != 0;
		if (changed)
			lybfs_nodes_invalidate(fs->se);
		pthread_mutex_lock(&stop_lock);
	}
	pthread_mutex_unlock(&stop_lock);
	return NULL;
}

/*
 * A mountpoint must be a directory, and not a dead FUSE mount left by a
 * killed daemon. stat() can still succeed there from the kernel's
 * attribute cache; statfs() always asks the daemon, so it sees ENOTCONN.
 */
static int check_mountpoint(const char *mnt)
{
	struct statfs sf;
	struct stat st;

	if (statfs(mnt, &sf) != 0 || stat(mnt, &st) != 0) {
		int err = errno;

		if (err == ENOTCONN)
			lyb_log(LYB_LOG_ERR,
				"mountpoint %s: a previous lybfs died there; "
				"run `fusermount3 -u %s` first",
				mnt, mnt);
		else
			lyb_log(LYB_LOG_ERR, "mountpoint %s: %s", mnt,
				strerror(err));
		return -err;
	}
	if (!S_ISDIR(st.st_mode)) {
		lyb_log(LYB_LOG_ERR, "mountpoint %s: not a directory", mnt);
		return -ENOTDIR;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct lybfs *fs = &lybfs;
	struct fuse_cmdline_opts opts = {0};
	struct fuse_loop_config *loop = NULL;
	enum lyb_log_level level;
	pthread_t refresher;
	int rc = 1, started = 0;

	lyb_log_set_prefix("lybfs");
	fuse_set_log_func(log_from_fuse);
	fs->cfg.refresh = 2;
	fs->cfg.ttl = 1;
	fs->cfg.ttl_immutable = 3600;
	if (fuse_opt_parse(&args, &fs->cfg, lybfs_opts, opt_proc) != 0)
		return 2;
	if (npositional == 2 && !fs->cfg.catalog_url)
		fs->cfg.catalog_url = strdup(positional[0]);
	if (npositional)
		fuse_opt_add_arg(&args, positional[npositional - 1]);
	if (fuse_parse_cmdline(&args, &opts) != 0)
		return 2;
	if (opts.show_version) {
		printf("lybfs %s\nFUSE library version %s\n", LYB_VERSION,
		       fuse_pkgversion());
		rc = 0;
		goto out_args;
	}
	if (opts.show_help) {
		usage(argv[0]);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		rc = 0;
		goto out_args;
	}
	if (!opts.mountpoint) {
		fprintf(stderr, "lybfs: no mountpoint given (see lybfs "
				"--help)\n");
		rc = 2;
		goto out_args;
	}
	if (fs->cfg.log_level) {
		if (lyb_log_parse_level(fs->cfg.log_level, &level) != 0) {
			fprintf(stderr, "lybfs: log_level: expected err, warn, "
					"info or debug\n");
			rc = 2;
			goto out_args;
		}
		lyb_log_set_level(level);
	}
	if (opts.debug)
		lyb_log_set_level(LYB_LOG_DEBUG);
	if (fs->cfg.refresh < 0.1 || fs->cfg.refresh > 86400 ||
	    fs->cfg.ttl < 0 || fs->cfg.ttl > 86400) {
		fprintf(stderr, "lybfs: refresh must be 0.1..86400 and ttl "
				"0..86400 seconds\n");
		rc = 2;
		goto out_args;
	}
	if (!fs->cfg.catalog_url) {
		const char *env = getenv("LYB_CATALOG");

		fs->cfg.catalog_url =
			strdup(env && *env ? env : DEFAULT_CATALOG);
	}
	if (fs->cfg.gcs_endpoint || fs->cfg.gcs_credentials) {
		struct lyb_gcs_config gcfg = {.endpoint = fs->cfg.gcs_endpoint,
					      .credentials =
						      fs->cfg.gcs_credentials};

		if (lyb_gcs_set_default(&gcfg) != 0) {
			fprintf(stderr, "lybfs: gcs options: out of memory\n");
			rc = 1;
			goto out_args;
		}
	}
	{
		struct lyb_cache_config ccfg = {.dir = fs->cfg.cache_dir};

		if (parse_size("cache_mem", fs->cfg.cache_mem,
			       &ccfg.mem_bytes) ||
		    parse_size("cache_size", fs->cfg.cache_size,
			       &ccfg.disk_bytes) ||
		    parse_size("readahead", fs->cfg.readahead,
			       &ccfg.readahead_max)) {
			rc = 2;
			goto out_args;
		}
		if (fs->cfg.cache_dir && fs->cfg.cache_dir[0] != '/') {
			fprintf(stderr, "lybfs: cache_dir must be an absolute "
					"path\n");
			rc = 2;
			goto out_args;
		}
		if (lyb_cache_init(&ccfg) != 0) {
			fprintf(stderr, "lybfs: cache: cache_mem must hold at "
					"least 4 blocks (4M), cache_dir must "
					"be usable\n");
			rc = 2;
			goto out_args;
		}
	}
	fs->uid = getuid();
	fs->gid = getgid();
	if (check_mountpoint(opts.mountpoint) != 0)
		goto out_args;

	/* read the catalog before mounting: a bad URL fails here, loudly */
	if (lyb_catalog_open(fs->cfg.catalog_url, 0, &fs->cat) != 0)
		goto out_args;
	if (lyb_catalog_refresh(fs->cat, NULL) != 0) {
		lyb_log(LYB_LOG_ERR, "catalog %s: could not be read",
			fs->cfg.catalog_url);
		goto out_catalog;
	}
	if (lybfs_nodes_init() != 0)
		goto out_nodes;

	fuse_opt_add_arg(&args, "-oro,fsname=lybfs,subtype=lybfs");
	fs->se = fuse_session_new(&args, &lybfs_ll_ops, sizeof(lybfs_ll_ops),
				  fs);
	if (!fs->se)
		goto out_nodes;
	if (fuse_set_signal_handlers(fs->se) != 0)
		goto out_session;
	if (fuse_session_mount(fs->se, opts.mountpoint) != 0)
		goto out_signals;
	set_kernel_readahead(opts.mountpoint, 1024);
	if (fuse_daemonize(opts.foreground) != 0)
		goto out_unmount;
	/* threads start after daemonizing: fork keeps only the caller */
	if (pthread_create(&refresher, NULL, refresh_main, fs) == 0)
		started = 1;
	lyb_log(LYB_LOG_INFO, "mounted %s on %s", fs->cfg.catalog_url,
		opts.mountpoint);
	if (opts.singlethread) {
		rc = fuse_session_loop(fs->se);
	} else {
		loop = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(loop, opts.clone_fd);
		/* libfuse 3.14 leaves these at UINT_MAX unless given, and
		 * complains when handed that back */
		if (opts.max_threads > 0 && opts.max_threads <= 100000)
			fuse_loop_cfg_set_max_threads(loop, opts.max_threads);
		if (opts.max_idle_threads <= 100000)
			fuse_loop_cfg_set_idle_threads(loop,
						       opts.max_idle_threads);
		rc = fuse_session_loop_mt(fs->se, loop);
		fuse_loop_cfg_destroy(loop);
	}
	rc = rc != 0;
	if (started) {
		pthread_mutex_lock(&stop_lock);
		stopping = 1;
		pthread_cond_signal(&stop_cond);
		pthread_mutex_unlock(&stop_lock);
		pthread_join(refresher, NULL);
	}
	lyb_log(LYB_LOG_INFO, "unmounting %s", opts.mountpoint);
out_unmount:
	fuse_session_unmount(fs->se);
out_signals:
	fuse_remove_signal_handlers(fs->se);
out_session:
	fuse_session_destroy(fs->se);
out_nodes:
	lybfs_nodes_destroy();
out_catalog:
	lyb_catalog_close(fs->cat);
out_args:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	free(fs->cfg.catalog_url);
	free(fs->cfg.log_level);
	lyb_cache_shutdown();
	free(fs->cfg.gcs_endpoint);
	free(fs->cfg.gcs_credentials);
	free(fs->cfg.cache_mem);
	free(fs->cfg.cache_dir);
	free(fs->cfg.cache_size);
	free(fs->cfg.readahead);
	free(positional[0]);
	free(positional[1]);
	return rc;
}
