// SPDX-License-Identifier: Apache-2.0
/*
 * mounts.c - the running mounts of this host (mounts.h): the runtime
 * directory and its file names, the daemon writing its settings there,
 * and lyb finding them through /proc/self/mountinfo. Every file is opened
 * relative to a directory descriptor that was checked, never by following
 * a symbolic link.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lyb/buf.h"
#include "lyb/mounts.h"

#define WHY_MAX 1024 /* what lyb_mounts_find() says it passed over */

int lyb_mounts_run_dir(uid_t uid, char *out, size_t len)
{
	const char *env = getenv("LYB_RUN_DIR"), *xdg;
	int n;

	if (env && env[0]) {
		if (env[0] != '/')
			return -EINVAL;
		n = snprintf(out, len, "%s", env);
	} else if (uid == 0) {
		n = snprintf(out, len, "%s", LYB_RUN_DIR_DEFAULT);
	} else {
		xdg = getenv("XDG_RUNTIME_DIR");
		if (!xdg || xdg[0] != '/')
			return -ENOENT;
		n = snprintf(out, len, "%s/lybfs", xdg);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lyb_mounts_key(const char *mountpoint, char *out, size_t len)
{
	const char *p = mountpoint;
	size_t o = 0, max = len < LYB_MOUNTS_KEY_MAX + 1
				    ? len
				    : LYB_MOUNTS_KEY_MAX + 1;
	int first = 1;

	while (*p == '/')
		p++;
	if (!*p) /* the root itself */
		return snprintf(out, len, "-") < (int)len ? 0 : -ENAMETOOLONG;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		char esc[5];
		size_t n;

		if (c == '/') {
			if (p[1] == '\0' || p[1] == '/')
				continue; /* a trailing or doubled '/' */
			esc[0] = '-';
			n = 1;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == ':' || c == '_' ||
			   (c == '.' && !first)) {
			esc[0] = (char)c;
			n = 1;
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			n = 4;
		}
		if (o + n >= max)
			return -ENAMETOOLONG;
		memcpy(out + o, esc, n);
		o += n;
		first = 0; /* only a leading '.' is escaped */
	}
	out[o] = '\0';
	return 0;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int lyb_mounts_each(const char *mountinfo, lyb_mounts_cb cb, void *arg)
{
	FILE *in = fopen(mountinfo ? mountinfo : "/proc/self/mountinfo", "re");
	char *line = NULL, *p, *f[5], *sep, *type, *source, *opts;
	size_t cap = 0;
	ssize_t n;
	int rc = 0, i;

	if (!in)
		return -errno;
	while (rc == 0 && (n = getline(&line, &cap, in)) > 0) {
		if (n > LYB_MOUNTS_LINE_MAX)
			continue;
		line[strcspn(line, "\n")] = '\0';
		p = line;
		/* id parent dev root mountpoint, then options ... " - " */
		for (i = 0; i < 5; i++) {
			f[i] = strsep(&p, " ");
			if (!f[i] || !p)
				break;
		}
		if (i < 5 || !(sep = strstr(p, " - ")))
			continue;
		sep += 3;
		type = strsep(&sep, " ");
		source = sep ? strsep(&sep, " ") : NULL;
		opts = sep ? sep : "";
		if (!type || !source)
			continue;
		unescape(f[4]);
		unescape(source);
		rc = cb(arg, &(struct lyb_mounts_line){.dev = f[2],
						       .mountpoint = f[4],
						       .type = type,
						       .source = source,
						       .super_opts = opts});
	}
	free(line);
	fclose(in);
	return rc;
}

int lyb_mounts_prepare(const char *dir, char *why, size_t whylen)
{
	struct stat st;
	int made, fd, rc = 0;

	made = mkdir(dir, 0755) == 0;
	if (!made && errno != EEXIST) {
		rc = -errno;
		snprintf(why, whylen, "cannot make it: %s", strerror(errno));
		return rc;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "%s",
			 errno == ELOOP || errno == ENOTDIR
				 ? "not a directory (a symbolic link?)"
				 : strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
	} else if (st.st_uid != geteuid()) {
		rc = -EPERM;
		snprintf(why, whylen,
			 "owned by uid %u, not by this daemon's uid %u",
			 (unsigned)st.st_uid, (unsigned)geteuid());
	} else if (made && fchmod(fd, 0755) != 0) { /* whatever the umask */
		rc = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
	} else if (!made && (st.st_mode & 022)) {
		rc = -EPERM;
		snprintf(why, whylen,
			 "writable by others (mode %03o): another account "
			 "could plant files there",
			 (unsigned)(st.st_mode & 0777));
	}
	close(fd);
	return rc;
}

int lyb_mounts_publish(const char *dir, const char *key,
		       const struct lyb_config *cfg, struct lyb_mounts_file *f,
		       char *why, size_t whylen)
{
	struct lyb_config_err err = {{0}, {0}};
	char tmp[LYB_MOUNTS_KEY_MAX + 32], name[LYB_MOUNTS_KEY_MAX + 8];
	char *text = NULL, head[LYB_MOUNTS_KEY_MAX + 128];
	struct lyb_buf b;
	struct stat st;
	size_t len = 0;
	int dfd, fd, rc, n;

	memset(f, 0, sizeof(*f));
	rc = lyb_config_write(cfg, LYB_MOUNTS_KEYS, &text, &len, &err);
	if (rc) {
		snprintf(why, whylen, "%s", err.why);
		return rc;
	}
	snprintf(name, sizeof(name), "%s.conf", key);
	snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid());
	n = snprintf(f->path, sizeof(f->path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(f->path)) {
		free(text);
		snprintf(why, whylen, "%s", strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	snprintf(head, sizeof(head),
		 "# the settings of the lybfs mount %s (pid %ld), for lyb: "
		 "see lybfs(8)\n",
		 key, (long)getpid());
	lyb_buf_init(&b, LYB_CONFIG_FILE_MAX);
	rc = lyb_buf_addstr(&b, head);
	if (rc == 0)
		rc = lyb_buf_add(&b, text, len);
	free(text);
	if (rc) {
		lyb_buf_free(&b);
		snprintf(why, whylen, "%s", strerror(-rc));
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		goto out_fail;
	}
	(void)unlinkat(dfd, tmp, 0); /* left by a daemon of this pid */
	fd = openat(dfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out_dir;
	}
	if (fchmod(fd, 0644) != 0 || fstat(fd, &st) != 0)
		rc = -errno;
	else if (write(fd, b.data, b.len) != (ssize_t)b.len)
		rc = -EIO; /* a short write of 64 KiB at most: the disk */
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dfd, tmp, dfd, name) != 0)
		rc = -errno;
	if (rc) {
		(void)unlinkat(dfd, tmp, 0);
		goto out_dir;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->written = 1;
out_dir:
	close(dfd);
out_fail:
	lyb_buf_free(&b);
	if (rc)
		snprintf(why, whylen, "%s", strerror(-rc));
	return rc;
}

void lyb_mounts_withdraw(struct lyb_mounts_file *f)
{
	struct stat st;

	if (!f->written)
		return;
	if (lstat(f->path, &st) == 0 && st.st_dev == f->dev &&
	    st.st_ino == f->ino)
		unlink(f->path);
	f->written = 0;
}

void lyb_mount_clear(struct lyb_mount *m)
{
	lyb_config_free(&m->cfg);
	memset(m, 0, sizeof(*m));
	lyb_config_init(&m->cfg);
}

/* The user_id=N of FUSE super block options; -1 without one. */
static long long user_id(const char *opts)
{
	const char *p = opts;
	char *end;
	long long v;

	while (p && *p) {
		if (strncmp(p, "user_id=", 8) == 0) {
			errno = 0;
			v = strtoll(p + 8, &end, 10);
			if (errno || end == p + 8 || (*end && *end != ',') ||
			    v < 0)
				return -1;
			return v;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return -1;
}

/* "file:///a/b/" and "file:///a/b" are one catalog. */
static int same_catalog(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);

	while (n > 1 && a[n - 1] == '/')
		n--;
	while (m > 1 && b[m - 1] == '/')
		m--;
	return n == m && strncmp(a, b, n) == 0;
}

struct find_ctx {
	const char *catalog;
	struct lyb_mount *m; /* the first found */
	int found;
	struct lyb_buf why;
};

/* Notes why @mnt was passed over, for lyb -v. */
static void passed(struct find_ctx *c, const char *mnt, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void passed(struct find_ctx *c, const char *mnt, const char *fmt, ...)
{
	va_list ap;

	(void)lyb_buf_printf(&c->why, "%s%.200s: ", c->why.len ? "; " : "",
			     mnt);
	va_start(ap, fmt);
	(void)lyb_buf_vprintf(&c->why, fmt, ap);
	va_end(ap);
}

/*
 * Reads the settings of the mount on @mnt made by @uid into @out, after
 * the checks of mounts.h. 0, or -errno with the reason noted.
 */
static int read_settings(struct find_ctx *c, const char *mnt, uid_t uid,
			 struct lyb_mount *out)
{
	char dir[PATH_MAX], key[LYB_MOUNTS_KEY_MAX + 1], name[PATH_MAX];
	struct lyb_config_err err = {{0}, {0}};
	struct stat st;
	int dfd, fd, rc;

	rc = lyb_mounts_run_dir(uid, dir, sizeof(dir));
	if (rc) {
		passed(c, mnt, "%s", "no runtime directory for its uid");
		return rc;
	}
	rc = lyb_mounts_key(mnt, key, sizeof(key));
	if (rc) {
		passed(c, mnt, "%s", "mount point too long for a file name");
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		passed(c, mnt, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	snprintf(name, sizeof(name), "%s/%s.conf", dir, key);
	if (fstat(dfd, &st) != 0 || st.st_uid != uid || (st.st_mode & 022)) {
		passed(c, mnt,
		       "%s: not a directory of the daemon's uid "
		       "that only it can write",
		       dir);
		close(dfd);
		return -EPERM;
	}
	fd = openat(dfd, name + strlen(dir) + 1,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			passed(c, mnt, "no settings in %s", dir);
		else
			passed(c, mnt, "%s: %s", name, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
	    (st.st_mode & 022)) {
		passed(c, mnt,
		       "%s: not a file of the daemon's uid that only "
		       "it can write",
		       name);
		close(fd);
		return -EPERM;
	}
	lyb_mount_clear(out);
	rc = lyb_config_load_fd(&out->cfg, fd, name, &err);
	close(fd);
	if (rc == 0 && !out->cfg.catalog)
		rc = -EINVAL;
	if (rc) {
		passed(c, mnt, "%s: %s", err.where,
		       err.why[0] ? err.why : "no catalog");
		return rc;
	}
	snprintf(out->mountpoint, sizeof(out->mountpoint), "%s", mnt);
	snprintf(out->settings, sizeof(out->settings), "%s", name);
	out->uid = uid;
	return 0;
}

static int find_one(void *arg, const struct lyb_mounts_line *l)
{
	struct find_ctx *c = arg;
	const char *mnt = l->mountpoint;
	struct lyb_mount m;
	long long uid;

	if (strcmp(l->type, "fuse.lybfs") != 0)
		return 0;
	uid = user_id(l->super_opts);
	if (uid < 0) {
		passed(c, mnt, "%s", "no user_id in its options");
		return 0;
	}
	if (uid != 0 && (uid_t)uid != geteuid()) {
		passed(c, mnt, "mounted by uid %lld, not by root or you", uid);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	lyb_config_init(&m.cfg);
	if (read_settings(c, mnt, (uid_t)uid, &m) != 0) {
		lyb_config_free(&m.cfg);
		return 0;
	}
	if (c->catalog && !same_catalog(c->catalog, m.cfg.catalog)) {
		lyb_config_free(&m.cfg);
		return 0;
	}
	if (c->found++) {
		passed(c, mnt, "%s", "another mount was found first");
		lyb_config_free(&m.cfg);
		return c->catalog ? 1 : 0;
	}
	lyb_mount_clear(c->m);
	*c->m = m;
	return c->catalog ? 1 : 0; /* the first of that catalog will do */
}

int lyb_mounts_find(const char *mountinfo, const char *catalog,
		    struct lyb_mount *m, char *why, size_t whylen)
{
	struct find_ctx c = {.catalog = catalog, .m = m};
	int rc;

	memset(m, 0, sizeof(*m));
	lyb_config_init(&m->cfg);
	lyb_buf_init(&c.why, WHY_MAX);
	rc = lyb_mounts_each(mountinfo, find_one, &c);
	if (rc < 0) {
		snprintf(why, whylen, "%s: %s",
			 mountinfo ? mountinfo : "/proc/self/mountinfo",
			 strerror(-rc));
	} else if (!c.found) {
		rc = -ENOENT;
		snprintf(why, whylen, "no running lybfs mount%s%s%s%s%s",
			 catalog ? " of " : "", catalog ? catalog : "",
			 c.why.len ? " (passed over: " : "",
			 c.why.len ? c.why.data : "", c.why.len ? ")" : "");
	} else if (c.found > 1 && !catalog) {
		rc = -EEXIST;
		snprintf(why, whylen,
			 "%d lybfs mounts are running (%s first): name the "
			 "catalog with --catalog or in the configuration file",
			 c.found, m->mountpoint);
		lyb_mount_clear(m);
	} else {
		rc = 0;
		why[0] = '\0';
	}
	lyb_buf_free(&c.why);
	return rc;
}
