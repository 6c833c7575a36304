// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - the lybfs daemon: options and the configuration file, the
 * mount, logging, readiness for systemd, the catalog refresh thread, and
 * an orderly unmount on SIGTERM or SIGINT (SIGHUP reopens the audit log
 * and log=FILE: access.c), and the metrics endpoint (metrics_http.c).
 *
 *   lybfs [-f] [-d] [-o config=PATH] -o catalog=URL[,refresh=SEC,...] MNT
 *   mount -t fuse.lybfs CATALOG_URL MOUNTPOINT -o allow_other
 *
 * Settings, later ones winning: the defaults, the configuration file
 * (-o config=PATH, else $LYB_CONFIG, else /etc/lyb/lyb.conf; see
 * lyb/config.h), then for the catalog $LYB_CATALOG and a positional
 * CATALOG_URL (mount.fuse3 runs us as "lybfs SOURCE MOUNTPOINT -o ..."),
 * then the -o options.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lyb/cache.h"
#include "lyb/config.h"
#include "lyb/gcs.h"
#include "lyb/log.h"
#include "lyb/metrics.h"
#include "lyb/mounts.h"
#include "lyb/notify.h"
#include "lyb/store.h"
#include "lybfs.h"

#define SETTINGS_MAX 64 /* -o KEY=VALUE options on one command line */
/*
 * Descriptors kept for the daemon's own work, never for handles: catalog
 * refresh (directory walk and a document), audit log, disk cache files,
 * control socket, syslog, NSS, GCS connections, /dev/fuse; plus a few per
 * worker thread for what each does during one request.
 */
#define FD_RESERVE 256
#define FD_RESERVE_PER_THREAD 4
#define DEFAULT_MAX_THREADS                               \
	10 /* libfuse's, when -o max_threads is not given \
	    */

static struct lybfs lybfs;
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static int stopping; /* under stop_lock */

/*
 * -o config=PATH is lybfs's own; every other -o KEY=VALUE whose KEY is a
 * configuration key (lyb_config_is_opt) is kept, in order, for
 * config_read(); the libfuse and kernel options below go on to libfuse;
 * anything else is refused here, in lybfs's words, with the nearest
 * known name (libfuse's own message would name neither).
 */
enum { KEY_CONFIG_FILE = 1 };
static const struct fuse_opt lybfs_opts[] = {
	FUSE_OPT_KEY("config=", KEY_CONFIG_FILE),
	FUSE_OPT_END,
};

/* libfuse's and the kernel's options that lybfs passes on: flags... */
static const char *const fuse_flags[] = {
	"-h",
	"--help",
	"-V",
	"--version",
	"-d",
	"--debug",
	"-f",
	"-s",
	"debug",
	"allow_other",
	"allow_root",
	"auto_unmount",
	"clone_fd",
	"ro",
	"suid",
	"nosuid",
	"dev",
	"nodev",
	"exec",
	"noexec",
	"async",
	"sync",
	"dirsync",
	"atime",
	"noatime",
	"diratime",
	"nodiratime",
	"relatime",
	"norelatime",
	"strictatime",
	"nostrictatime",
	"lazytime",
	"nolazytime",
	NULL,
};
/* ...and NAME=VALUE options */
static const char *const fuse_values[] = {
	"fsname",      "subtype",	   "max_read", "blksize",
	"max_threads", "max_idle_threads", "context",  "fscontext",
	"defcontext",  "rootcontext",	   NULL,
};
/* Options lybfs refuses, and why. */
static const struct {
	const char *name, *why;
} refused[] = {
	{"default_permissions",
	 "the kernel would then answer permission checks (access(2), "
	 "test -r) from file modes, which say every file is readable, "
	 "instead of asking lybfs, whose ACLs decide"},
	{"rw", "lybfs is read-only (every write answers EROFS); give ro or "
	       "nothing (mount(8) adds rw unless the fstab line says ro)"},
};

static int in_list(const char *const *list, const char *name, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && strncmp(*list, name, n) == 0)
			return 1;
	return 0;
}

/*
 * 0 when -o @arg (or a bare "-x" option) is one lybfs passes to libfuse;
 * else -1, with lybfs's reason logged.
 */
static int fuse_opt_check(const char *arg)
{
	static const char
		*names[sizeof(fuse_flags) / sizeof(fuse_flags[0]) +
		       sizeof(fuse_values) / sizeof(fuse_values[0]) + 2];
	const char *eq = strchr(arg, '='), *near;
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg), i, k = 0;
	char word[65];

	if (eq ? in_list(fuse_values, arg, n) : in_list(fuse_flags, arg, n))
		return 0;
	for (i = 0; !eq && lyb_config_key_name(i); i++)
		if (strcmp(lyb_config_key_name(i), arg) == 0 ||
		    strcmp(arg, "config") == 0) {
			lyb_log(LYB_LOG_ERR,
				"-o %s: needs a value (-o %s=VALUE; see lybfs "
				"--help)",
				arg, arg);
			return -1;
		}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strlen(refused[i].name) == n &&
		    strncmp(refused[i].name, arg, n) == 0) {
			lyb_log(LYB_LOG_ERR, "-o %s: refused: %s",
				refused[i].name, refused[i].why);
			return -1;
		}
	for (i = 0; fuse_flags[i]; i++)
		if (fuse_flags[i][0] != '-')
			names[k++] = fuse_flags[i];
	for (i = 0; fuse_values[i]; i++)
		names[k++] = fuse_values[i];
	names[k++] = "config";
	names[k] = NULL;
	snprintf(word, sizeof(word), "%.*s", (int)(n < 64 ? n : 64), arg);
	near = arg[0] == '-' ? NULL : lyb_config_nearest(word, names);
	if (arg[0] == '-')
		lyb_log(LYB_LOG_ERR,
			"%.200s: unknown option (see lybfs --help)", arg);
	else if (near)
		lyb_log(LYB_LOG_ERR,
			"-o %.200s: unknown option; did you mean %s? (see "
			"lybfs --help)",
			arg, near);
	else
		lyb_log(LYB_LOG_ERR,
			"-o %.200s: unknown option (see lybfs --help)", arg);
	return -1;
}

static char *positional[2];
static int npositional;
static char *settings[SETTINGS_MAX]; /* "KEY=VALUE" from -o */
static int nsettings;
static char *config_file;     /* from -o config= */
static int catalog_defaulted; /* no catalog given: the default is used */

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	if (key == KEY_CONFIG_FILE) {
		free(config_file);
		config_file = strdup(arg + strlen("config="));
		return config_file ? 0 : -1;
	}
	if (key == FUSE_OPT_KEY_OPT) {
		if (!lyb_config_is_opt(arg))
			return fuse_opt_check(arg) == 0 ? 1 : -1;
		if (nsettings == SETTINGS_MAX) {
			fprintf(stderr, "lybfs: too many -o options\n");
			return -1;
		}
		settings[nsettings] = strdup(arg);
		return settings[nsettings++] ? 0 : -1;
	}
	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;
	if (npositional == 2) {
		fprintf(stderr, "lybfs: unexpected argument: %s\n", arg);
		return -1;
	}
	positional[npositional++] = strdup(arg);
	return 0;
}

/* What lyb_mounts_each() found mounted on @mnt, if anything. */
struct mounted {
	const char *mnt;
	char type[64], source[PATH_MAX], dev[32];
};

static int mounted_cb(void *arg, const struct lyb_mounts_line *l)
{
	struct mounted *m = arg;

	if (strcmp(l->mountpoint, m->mnt) != 0)
		return 0;
	snprintf(m->type, sizeof(m->type), "%s", l->type);
	snprintf(m->source, sizeof(m->source), "%s", l->source);
	snprintf(m->dev, sizeof(m->dev), "%s", l->dev);
	return 1;
}

/*
 * Lets the kernel send reads of up to 1 MiB: its read-ahead for a FUSE
 * mount is 128 KiB, and the kernel sets it again when it gets our INIT
 * answer, so this runs after that (refresh thread). Best effort, through
 * the mount's bdi, found in /proc/self/mountinfo (asking the mount itself
 * would call into us).
 */
static void set_kernel_readahead(const char *mnt, unsigned kb)
{
	struct mounted m = {.mnt = mnt};
	unsigned major, minor, now = 0;
	char path[128];
	FILE *f;

	if (lyb_mounts_each(NULL, mounted_cb, &m) <= 0 ||
	    sscanf(m.dev, "%u:%u", &major, &minor) != 2)
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb",
		 major, minor);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%u", &now) != 1)
			now = 0;
		fclose(f);
	}
	if (now >= kb)
		return;
	f = fopen(path, "we");
	if (!f) {
		lyb_log(LYB_LOG_DEBUG, "%s: %s (kernel read-ahead stays)", path,
			strerror(errno));
		return;
	}
	fprintf(f, "%u\n", kb);
	if (fclose(f) != 0)
		lyb_log(LYB_LOG_DEBUG, "%s: %s", path, strerror(errno));
	else
		lyb_log(LYB_LOG_DEBUG, "%s: %u", path, kb);
}

static void usage(const char *prog)
{
	printf("usage: %s [options] [CATALOG_URL] MOUNTPOINT\n\n"
	       "Mounts the Lybrary catalog read-only: one directory per "
	       "DataSet,\nits dates, versions and their gs/ and snow/ "
	       "copies.\n\n"
	       "lybfs options (also keys of the configuration file, "
	       "KEY = VALUE):\n",
	       prog);
	lyb_config_print_help(stdout);
	printf("    -o config=PATH           the configuration file (default:\n"
	       "                             $LYB_CONFIG, then " LYB_CONFIG_PATH
	       ")\n\n");
	printf("-o options override the file. See lybfs(8).\n\n");
}

/*
 * Fills @conf: the configuration file, $LYB_CATALOG, the positional
 * CATALOG_URL, then the -o options. Errors are logged; returns 0 or -errno.
 */
static int config_read(struct lyb_config *conf)
{
	const char *env = getenv("LYB_CATALOG"), *path;
	struct lyb_config_err err;
	int i, rc, named = 1;

	err.where[0] = err.why[0] = '\0';
	path = config_file ? config_file : lyb_config_path(&named);
	rc = lyb_config_load(conf, path, &err);
	if (rc == -ENOENT && !named)
		rc = 0; /* only the default file may be missing */
	if (rc)
		goto out_fail;
	if (npositional == 2) {
		snprintf(err.where, sizeof(err.where), "CATALOG_URL argument");
		rc = lyb_config_set(conf, "catalog", positional[0], &err);
	} else if (env && env[0]) {
		snprintf(err.where, sizeof(err.where), "$LYB_CATALOG");
		rc = lyb_config_set(conf, "catalog", env, &err);
	}
	if (rc)
		goto out_fail;
	for (i = 0; i < nsettings; i++) {
		rc = lyb_config_set_opt(conf, settings[i], &err);
		if (rc)
			goto out_fail;
	}
	if (!conf->catalog) {
		catalog_defaulted = 1;
		rc = lyb_config_set(conf, "catalog", LYB_CONFIG_DEFAULT_CATALOG,
				    &err);
	}
	if (rc)
		goto out_fail;
	return 0;
out_fail:
	lyb_log(LYB_LOG_ERR, "%s: %s", err.where, err.why);
	return rc;
}

/*
 * libfuse writes some messages in pieces ("unknown option(s): `", "-o ",
 * "x'\n"): pieces are collected per thread until a newline ends the line.
 */
static void log_from_fuse(enum fuse_log_level level, const char *fmt,
			  va_list ap)
{
	static _Thread_local char line[1024];
	static _Thread_local size_t used;
	const char *msg;
	int n;

	n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
	if (n < 0)
		return;
	used += (size_t)n < sizeof(line) - used ? (size_t)n
						: sizeof(line) - used - 1;
	if (used && line[used - 1] != '\n' && used < sizeof(line) - 1)
		return; /* more to come */
	if (used && line[used - 1] == '\n')
		line[--used] = '\0';
	msg = strncmp(line, "fuse: ", 6) == 0 ? line + 6 : line;
	lyb_log(level <= FUSE_LOG_ERR	    ? LYB_LOG_ERR
		: level <= FUSE_LOG_WARNING ? LYB_LOG_WARN
		: level <= FUSE_LOG_INFO    ? LYB_LOG_INFO
					    : LYB_LOG_DEBUG,
		"fuse: %s", msg);
	used = 0;
}

/* Re-reads the catalog every cfg.refresh seconds until told to stop. */
static void *refresh_main(void *arg)
{
	struct lybfs *fs = arg;
	int failing = 0, i;

	/* once the kernel has our INIT answer (it resets read-ahead then) */
	for (i = 0; i < 500 && !atomic_load(&fs->inited); i++)
		usleep(10000);
	usleep(20000);
	set_kernel_readahead(fs->mountpoint, 1024);

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
		lyb_metrics_refresh_start();
		rc = lyb_catalog_refresh(fs->cat, &changed);
		lyb_metrics_refresh(rc, NULL);
		lyb_audit_flush(fs->audit); /* drop summaries due */
		lyb_log_reopen_due();	    /* log=FILE, after a SIGHUP */
		if ((rc == -EMFILE || rc == -ENFILE) && !failing)
			lyb_log(LYB_LOG_ERR,
				"catalog refresh: this daemon is out of file "
				"descriptors (%s), not the catalog: serving "
				"what is already known",
				strerror(-rc));
		else if (rc && !failing)
			lyb_log(LYB_LOG_WARN,
				"catalog unreachable (%s): serving what is "
				"already known",
				strerror(-rc));
		else if (!rc && failing)
			lyb_log(LYB_LOG_INFO, "catalog reachable again");
		failing = rc != 0;
		if (changed) {
			lybfs_nodes_invalidate(&fs->nodes, fs->se);
			malloc_trim(0); /* parsing peaks; the snapshot stays */
		}
		pthread_mutex_lock(&stop_lock);
	}
	pthread_mutex_unlock(&stop_lock);
	return NULL;
}

/*
 * Raises the descriptor limit to its hard limit and sets the limits of the
 * handle table @h (handles.h): max_open_per_uid per uid, and for all together
 * the limit less a reserve, so no number of opens can take the descriptors the
 * daemon's own work needs (an open file:// object holds one for as long as it
 * is open; a directory or a gs:// object none, but they count the same).
 */
static void set_fd_limits(struct lybfs_handles *h, unsigned per_uid,
			  int max_threads)
{
	size_t reserve = FD_RESERVE, total;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		lyb_log(LYB_LOG_WARN, "RLIMIT_NOFILE: %s", strerror(errno));
		rl.rlim_cur = 1024;
	} else if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			lyb_log(LYB_LOG_WARN,
				"raising RLIMIT_NOFILE to %llu: %s",
				(unsigned long long)rl.rlim_max,
				strerror(errno));
			rl.rlim_cur = was;
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 30))
		rl.rlim_cur = 1u << 30;
	reserve += FD_RESERVE_PER_THREAD *
		   (size_t)(max_threads > 0 && max_threads <= 100000
				    ? max_threads
				    : DEFAULT_MAX_THREADS);
	total = (size_t)rl.rlim_cur > 2 * reserve
			? (size_t)rl.rlim_cur - reserve
			: (size_t)rl.rlim_cur / 2;
	lybfs_handles_limit(h, per_uid, total);
	lyb_log(LYB_LOG_DEBUG,
		"descriptors: limit %llu; open handles at most %zu per uid, "
		"%zu in all",
		(unsigned long long)rl.rlim_cur, (size_t)per_uid, total);
}

/* How many entries @mnt has besides . and .. (0 when unreadable). */
static size_t dir_entries(const char *mnt)
{
	DIR *d = opendir(mnt);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/*
 * A mountpoint must be a directory, and not a dead FUSE mount left by a
 * killed daemon. stat() can still succeed there from the kernel's
 * attribute cache; statfs() always asks the daemon, so it sees ENOTCONN.
 * Nothing may be mounted there already: a second lybfs would stack on the
 * first (the kernel allows it) and hide it, and a mount of anything else
 * is hidden the same way. A directory with files in it mounts, with a
 * warning: they are hidden while lybfs is mounted.
 */
static int check_mountpoint(const char *mnt)
{
	char canon[PATH_MAX];
	struct mounted m = {.mnt = canon};
	struct statfs sf;
	struct stat st;
	size_t n;
	int rc;

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
	if (!realpath(mnt, canon)) {
		rc = -errno;
		lyb_log(LYB_LOG_ERR, "mountpoint %s: %s", mnt, strerror(-rc));
		return rc;
	}
	rc = lyb_mounts_each(NULL, mounted_cb, &m);
	if (rc < 0)
		lyb_log(LYB_LOG_WARN,
			"/proc/self/mountinfo: %s (not checking whether %s "
			"is mounted already)",
			strerror(-rc), mnt);
	if (rc > 0 && strcmp(m.type, "fuse.lybfs") == 0) {
		lyb_log(LYB_LOG_ERR,
			"mountpoint %s: lybfs is already mounted there (%s); "
			"unmount it first (fusermount3 -u %s)",
			mnt, m.source, mnt);
		return -EBUSY;
	}
	if (rc > 0) {
		lyb_log(LYB_LOG_ERR,
			"mountpoint %s: %s (%s) is mounted there; lybfs mounts "
			"on a directory of its own, not over another mount",
			mnt, m.type, m.source);
		return -EBUSY;
	}
	n = dir_entries(mnt);
	if (n)
		lyb_log(LYB_LOG_WARN,
			"mountpoint %s is not empty: its %zu entr%s hidden "
			"while lybfs is mounted",
			mnt, n, n == 1 ? "y is" : "ies are");
	return 0;
}

/*
 * `lybfs CATALOG` alone: the one argument is taken as the mount point.
 * When it is a catalog (a URL, or a directory with lybrary.json or
 * datasets/ in it), say
 * what is missing rather than mount on it.
 */
static int looks_like_catalog(const char *arg)
{
	char sub[PATH_MAX];
	struct stat st;

	if (strstr(arg, "://"))
		return 1;
	snprintf(sub, sizeof(sub), "%s/lybrary.json", arg);
	if (stat(sub, &st) == 0)
		return 1;
	snprintf(sub, sizeof(sub), "%s/datasets", arg);
	return stat(sub, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The mount's runtime files (mounts.h): without control=, its control
 * socket is RUN/KEY.sock, and once mounted its settings for lyb are
 * RUN/KEY.conf. Without a usable RUN (a user without $XDG_RUNTIME_DIR, a
 * directory that fails its checks) the mount runs without either, and
 * says so; it never fails for them.
 */
static char run_dir[PATH_MAX], run_key[LYB_MOUNTS_KEY_MAX + 1];
static struct lyb_mounts_file run_settings;

static int runtime_prepare(struct lyb_config *conf, const char *mountpoint)
{
	struct sockaddr_un sa;
	struct lyb_config_err err;
	char why[256], canon[PATH_MAX], sock[PATH_MAX + LYB_MOUNTS_KEY_MAX + 8];
	int rc;

	rc = lyb_mounts_run_dir(geteuid(), run_dir, sizeof(run_dir));
	if (rc == 0)
		rc = realpath(mountpoint, canon) ? 0 : -errno;
	if (rc == 0)
		rc = lyb_mounts_key(canon, run_key, sizeof(run_key));
	if (rc) {
		lyb_log(rc == -ENOENT ? LYB_LOG_DEBUG : LYB_LOG_WARN,
			"no runtime directory (%s): lyb will not find this "
			"mount by itself%s",
			rc == -ENOENT	? "not root, and no $XDG_RUNTIME_DIR"
			: rc == -EINVAL ? "$LYB_RUN_DIR is not an absolute path"
					: strerror(-rc),
			conf->control ? "" : ", and it has no control socket");
		run_dir[0] = '\0';
		return 0;
	}
	rc = lyb_mounts_prepare(run_dir, why, sizeof(why));
	if (rc) {
		lyb_log(LYB_LOG_WARN,
			"runtime directory %s: %s: lyb will not find this "
			"mount by itself%s",
			run_dir, why,
			conf->control ? "" : ", and it has no control socket");
		run_dir[0] = '\0';
		return 0;
	}
	if (conf->control)
		return 0;
	snprintf(sock, sizeof(sock), "%s/%s.sock", run_dir, run_key);
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		lyb_log(LYB_LOG_WARN,
			"%s: too long for a socket: no control socket (give "
			"control=PATH)",
			sock);
		return 0;
	}
	rc = lyb_config_set(conf, "control", sock, &err);
	if (rc)
		lyb_log(LYB_LOG_ERR, "control=%s: %s", sock, err.why);
	return rc;
}

/* Leaves the settings for lyb in RUN/KEY.conf, once mounted. */
static void runtime_publish(struct lyb_config *conf)
{
	struct lyb_config_err err;
	char why[256];

	if (!run_dir[0])
		return;
	/* a mount without a socket says so: lyb then writes the catalog */
	if (!conf->control &&
	    lyb_config_set(conf, "control", LYB_CONFIG_NONE, &err) != 0)
		return;
	if (lyb_mounts_publish(run_dir, run_key, conf, &run_settings, why,
			       sizeof(why)) != 0)
		lyb_log(LYB_LOG_WARN,
			"%s/%s.conf: %s: lyb will not find this mount's "
			"settings by itself",
			run_dir, run_key, why);
	else
		lyb_log(LYB_LOG_DEBUG, "settings for lyb: %s",
			run_settings.path);
}

/* After a catalog failure: when none was given, say so. */
static void catalog_hint(void)
{
	if (catalog_defaulted)
		lyb_log(LYB_LOG_ERR,
			"no catalog was given, so the default %s was tried: "
			"give one as -o catalog=URL, as CATALOG_URL before the "
			"mount point, in $LYB_CATALOG, or as catalog = URL in "
			"the configuration file",
			LYB_CONFIG_DEFAULT_CATALOG);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct lybfs *fs = &lybfs;
	struct fuse_cmdline_opts opts = {0};
	struct fuse_loop_config *loop = NULL;
	struct lyb_config *conf = &fs->cfg;
	struct lyb_config_err cerr;
	pthread_t refresher;
	int rc = 1, started = 0, i;

	lyb_log_set_prefix("lybfs");
	fuse_set_log_func(log_from_fuse);
	lyb_config_init(conf);
	lybfs_handles_init(&fs->handles);
	fs->ttl_immutable = 3600;
	if (fuse_opt_parse(&args, NULL, lybfs_opts, opt_proc) != 0) {
		rc = 2;
		goto out_args;
	}
	if (npositional == 1 && looks_like_catalog(positional[0])) {
		fprintf(stderr,
			"lybfs: %s is a catalog, and no mount point is given: "
			"lybfs [options] [CATALOG_URL] MOUNTPOINT (or -o "
			"catalog=URL MOUNTPOINT)\n",
			positional[0]);
		rc = 2;
		goto out_args;
	}
	if (npositional)
		fuse_opt_add_arg(&args, positional[npositional - 1]);
	if (fuse_parse_cmdline(&args, &opts) != 0) {
		rc = 2;
		goto out_args;
	}
	if (opts.show_version) {
		printf("lybfs %s\nFUSE library version %s\n", LYB_VERSION,
		       fuse_pkgversion());
		rc = 0;
		goto out_args;
	}
	if (opts.show_help) {
		usage(argv[0]);
		fuse_cmdline_help();
		/* not fuse_lowlevel_help(): its allow_other is above already */
		printf("    -o allow_root          allow access by root (and the "
		       "daemon's user)\n"
		       "    -o auto_unmount        unmount when the daemon "
		       "dies\n"
		       "    -o ro, fsname=, subtype=, max_read=, noatime, "
		       "nodev, ... are passed on;\n"
		       "    -o rw and default_permissions are refused "
		       "(lybfs(8))\n");
		rc = 0;
		goto out_args;
	}
	if (!opts.mountpoint) {
		fprintf(stderr, "lybfs: no mountpoint given (see lybfs "
				"--help)\n");
		rc = 2;
		goto out_args;
	}
	if (config_read(conf) != 0) {
		rc = 2;
		goto out_args;
	}
	lyb_log_set_level(opts.debug ? LYB_LOG_DEBUG : conf->log_level);
	if (conf->log == LYB_CONFIG_LOG_SYSLOG)
		lyb_log_use_syslog("lybfs");
	if (conf->log == LYB_CONFIG_LOG_FILE &&
	    lyb_log_to_file(conf->log_file) != 0)
		goto out_args;
	if (conf->allow_other)
		fuse_opt_add_arg(&args, "-oallow_other");
	if (lyb_config_apply_gcs(conf, &cerr) != 0) {
		lyb_log(LYB_LOG_ERR, "%s", cerr.why);
		rc = 1;
		goto out_args;
	}
	if (lyb_config_apply_file_roots(conf, conf->catalog) != 0) {
		lyb_log(LYB_LOG_ERR, "file_roots: out of memory");
		rc = 1;
		goto out_args;
	}
	{
		char roots[1024];
		size_t n = lyb_store_file_roots(roots, sizeof(roots));

		lyb_log(LYB_LOG_DEBUG, "file:// data: %s",
			n ? roots : "none (file_roots)");
	}
	{
		struct lyb_cache_config ccfg = {
			.dir = conf->cache_dir,
			.mem_bytes = conf->cache_mem,
			.disk_bytes = conf->cache_size,
			.readahead_max = conf->readahead,
		};

		if (lyb_cache_init(&ccfg) != 0) {
			lyb_log(LYB_LOG_ERR,
				"cache: cache_mem must hold at least 4 blocks "
				"(4M), cache_dir must be usable and safe (see "
				"above)");
			rc = 2;
			goto out_args;
		}
	}
	fs->uid = getuid();
	fs->gid = getgid();
	set_fd_limits(&fs->handles, fs->cfg.max_open_per_uid, opts.max_threads);
	if (check_mountpoint(opts.mountpoint) != 0)
		goto out_args;

	/* read the catalog before mounting: a bad URL fails here, loudly */
	if (lyb_catalog_open(fs->cfg.catalog, 0, &fs->cat) != 0) {
		catalog_hint();
		goto out_args;
	}
	lyb_catalog_set_mem(fs->cat, fs->cfg.catalog_mem
					     ? (size_t)fs->cfg.catalog_mem
					     : (size_t)64 << 20);
	if (lyb_catalog_refresh(fs->cat, NULL) != 0) {
		lyb_log(LYB_LOG_ERR, "catalog %s: could not be read",
			fs->cfg.catalog);
		catalog_hint();
		goto out_catalog;
	}
	lyb_metrics_refresh(0, NULL); /* the ACLs' age counts from here */
	/* give back what parsing the documents took beyond the snapshot */
	malloc_trim(0);
	if (lybfs_nodes_init(&fs->nodes) != 0)
		goto out_nodes;

	if (runtime_prepare(conf, opts.mountpoint) != 0)
		goto out_nodes;
	fuse_opt_add_arg(&args, "-oro,fsname=lybfs,subtype=lybfs");
	fs->se = fuse_session_new(&args, &lybfs_ll_ops, sizeof(lybfs_ll_ops),
				  fs);
	if (!fs->se)
		goto out_nodes;
	/* libfuse only handles signals that are not ignored; a daemon started
	 * in the background by a shell inherits SIGINT ignored, and SIGINT
	 * must still unmount cleanly */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (fuse_set_signal_handlers(fs->se) != 0)
		goto out_session;
	if (lybfs_access_start(fs) != 0) /* SIGHUP: reopen the audit log */
		goto out_signals;
	if (lybfs_metrics_open(fs) != 0)
		goto out_signals;
	if (fuse_session_mount(fs->se, opts.mountpoint) != 0)
		goto out_signals;
	fs->mountpoint = opts.mountpoint;
	if (fuse_daemonize(opts.foreground) != 0)
		goto out_unmount;
	/* a daemon's stderr is /dev/null from here on (syslog also takes
	 * what log=FILE cannot) */
	if ((conf->log == LYB_CONFIG_LOG_AUTO ||
	     conf->log == LYB_CONFIG_LOG_FILE) &&
	    !opts.foreground)
		lyb_log_use_syslog("lybfs");
	/* threads start after daemonizing: fork keeps only the caller */
	if (pthread_create(&refresher, NULL, refresh_main, fs) == 0)
		started = 1;
	lybfs_metrics_start(fs);
	if (lybfs_invalidator_start(&fs->nodes, fs->se) != 0)
		lyb_log(LYB_LOG_WARN, "no thread to drop the page cache of "
				      "corrupt files: they answer EIO only "
				      "where not cached");
	lyb_log(LYB_LOG_INFO, "mounted %s on %s", fs->cfg.catalog,
		opts.mountpoint);
	runtime_publish(conf);
	/* requests queue in the kernel until the loop below serves them */
	rc = lyb_notify("READY=1");
	if (rc)
		lyb_log(LYB_LOG_WARN, "telling systemd we are ready: %s",
			strerror(-rc));
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
	/* libfuse reports the signal that ended the loop: asked to stop,
	 * we stopped, which is success (systemd counts 1 as a failure) */
	rc = rc != 0 && rc != SIGTERM && rc != SIGINT;
	lyb_notify("STOPPING=1");
	lyb_mounts_withdraw(&run_settings);
	if (started) {
		pthread_mutex_lock(&stop_lock);
		stopping = 1;
		pthread_cond_signal(&stop_cond);
		pthread_mutex_unlock(&stop_lock);
		pthread_join(refresher, NULL);
	}
	lybfs_invalidator_stop(&fs->nodes);
	lyb_log(LYB_LOG_INFO, "unmounting %s", opts.mountpoint);
out_unmount:
	fuse_session_unmount(fs->se);
out_signals:
	lybfs_metrics_stop();
	lybfs_access_stop(fs);
	fuse_remove_signal_handlers(fs->se);
out_session:
	fuse_session_destroy(fs->se);
out_nodes:
	lybfs_handles_destroy(&fs->handles);
	lybfs_nodes_destroy(&fs->nodes);
out_catalog:
	lyb_catalog_close(fs->cat);
out_args:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	lyb_cache_shutdown();
	lyb_config_free(conf);
	free(config_file);
	for (i = 0; i < nsettings; i++)
		free(settings[i]);
	free(positional[0]);
	free(positional[1]);
	return rc;
}
