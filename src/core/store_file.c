// SPDX-License-Identifier: Apache-2.0
/*
 * store_file.c - the file:// object store: keys are absolute paths
 * without their leading '/'.
 *
 * Generations are modification times in nanoseconds. Writes (catalog
 * documents) take an flock(2) on ".lyb-writers.lock" in the object's
 * directory, check the precondition, write a temporary file, fsync it,
 * stamp it with a modification time strictly greater than the old one, and
 * rename(2) it into place (link(2) when creating, so even an unlocked
 * writer cannot replace an existing object): readers see the old or the
 * new document, never a mix, and two writers never both succeed against
 * the same generation.
 *
 * The lock cannot be taken hostage by a reader: it is created mode 0600
 * (widened to 0660 and the directory's group when the directory is
 * group-writable, 0666 only in a world-writable one), so only accounts
 * that may write the directory can open it, and flock(2) needs an open
 * descriptor. A writer holding it forever blocks the others for at most
 * LOCK_WAIT_MS each: they poll with LOCK_NB and then fail with -EBUSY
 * ("catalog busy: lock held by pid N (uid U)"). The old ".lyb-lock"
 * (mode 0644, openable by anyone) is no longer used. docs/catalog.md
 * ("Invariants") is the protocol, docs/operations.md the threat model.
 *
 * Names starting with ".lyb-" are our own lock and temporary files and
 * are never listed. Thread safety: no shared mutable state besides the
 * kernel's and the roots (set once at start-up); file descriptors are per
 * reader.
 *
 * Confinement: data (lyb_reader_open(): what the mount serves, what lyb
 * head and lyb publish read) is opened only beneath one of the roots the
 * operator configured (lyb_store_file_confine()), whatever a catalog
 * document says. The key is matched against the roots lexically (keys
 * have no "." or ".." components), then the rest is resolved from a
 * directory descriptor of the root with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), or where the kernel lacks
 * openat2 (before Linux 5.6) one O_NOFOLLOW openat() per component: no
 * symlink, magic link or ".." below a root is followed, so a catalog
 * writer who can create files under a root still cannot make the daemon
 * open anything outside it. The catalog's own documents (get, put, stat,
 * list) are not data and are not confined: their URL is the operator's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lyb/buf.h"
#include "lyb/clock.h"
#include "lyb/log.h"
#include "store_impl.h"

#define LIST_MAX_KEYS 10000000
#define LOCK_NAME ".lyb-writers.lock"
#define LOCK_WAIT_MS 10000 /* then a held write lock is -EBUSY */

/*
 * The roots, as keys ("" is "/"), set once before any thread starts.
 * Until lyb_store_file_confine() succeeds no data is readable at all.
 */
static char *roots[LYB_STORE_FILE_ROOTS_MAX];
static size_t nroots;
static int force_walk; /* tests: as if the kernel had no openat2 */

void lyb_store_file_force_walk(int on)
{
	force_walk = on;
}

struct file_reader {
	struct lyb_reader base;
	int fd;
};

/*
 * A file's generation: its mtime in nanoseconds. Any account can date its
 * own files past 2262 or before 1677, where the count overflows: those
 * saturate (INT64_MAX, INT64_MIN) instead of being undefined behaviour.
 */
static int64_t mtime_ns(const struct stat *st)
{
	int64_t ns;

	if (__builtin_mul_overflow((int64_t)st->st_mtim.tv_sec,
				   (int64_t)1000000000, &ns) ||
	    __builtin_add_overflow(ns, (int64_t)st->st_mtim.tv_nsec, &ns))
		return st->st_mtim.tv_sec < 0 ? INT64_MIN : INT64_MAX;
	return ns;
}

/* "/" + key, the path of an object. */
static char *key_path(const char *key)
{
	size_t n = strlen(key);
	char *p = malloc(n + 2);

	if (!p)
		return NULL;
	p[0] = '/';
	memcpy(p + 1, key, n + 1);
	return p;
}

static void fill_info(struct lyb_object_info *info, const struct stat *st)
{
	info->size = (uint64_t)st->st_size;
	info->generation = mtime_ns(st);
	info->mtime = st->st_mtim.tv_sec;
	info->crc32c[0] = '\0';
	info->md5[0] = '\0';
}

static int file_stat(struct lyb_store *s, const char *key,
		     struct lyb_object_info *info)
{
	struct stat st;
	char *path = key_path(key);
	int rc = 0;

	if (!path)
		return -ENOMEM;
	if (stat(path, &st) != 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -ENOENT;
	else
		fill_info(info, &st);
	free(path);
	return rc;
}

struct key_list {
	char **keys;
	size_t n, cap;
};

static int key_list_add(struct key_list *l, char *key)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **k;

		if (cap > LIST_MAX_KEYS)
			return -E2BIG;
		k = realloc(l->keys, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		l->keys = k;
		l->cap = cap;
	}
	l->keys[l->n++] = key;
	return 0;
}

/* Collects the keys of regular files under directory @key, recursively. */
static int collect(const char *key, struct key_list *l, int depth)
{
	char *path = key_path(key);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (!path)
		return -ENOMEM;
	if (depth > 64) {
		rc = -ELOOP;
		goto out_path;
	}
	d = opendir(path);
	if (!d) {
		rc = -errno;
		goto out_path;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		char *child;

		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0 ||
		     strncmp(de->d_name, ".lyb-", 5) == 0))
			continue;
		child = lyb_store_key_join(key, de->d_name);
		if (!child) {
			rc = -ENOMEM;
			break;
		}
		if (!lyb_store_key_valid(child) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			free(child);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = collect(child, l, depth + 1);
			free(child);
		} else if (S_ISREG(st.st_mode) ||
			   (S_ISLNK(st.st_mode) &&
			    fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			    S_ISREG(st.st_mode))) {
			rc = key_list_add(l, child);
			if (rc)
				free(child);
		} else {
			free(child);
		}
	}
	if (rc == 0 && errno != 0)
		rc = -errno;
	closedir(d);
out_path:
	free(path);
	return rc;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int file_list(struct lyb_store *s, const char *prefix,
		     lyb_store_list_cb cb, void *arg)
{
	struct key_list l = {0};
	size_t i;
	int rc;

	rc = collect(prefix, &l, 0);
	if (rc)
		goto out_free;
	if (l.n > 1)
		qsort(l.keys, l.n, sizeof(*l.keys), cmp_keys);
	for (i = 0; i < l.n && rc == 0; i++) {
		struct lyb_object_info info = {.key = l.keys[i]};

		rc = file_stat(s, l.keys[i], &info);
		if (rc == -ENOENT) { /* removed while we listed */
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = cb(arg, &info);
	}
out_free:
	for (i = 0; i < l.n; i++)
		free(l.keys[i]);
	free(l.keys);
	return rc;
}

static int read_all(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

static int file_get(struct lyb_store *s, const char *key, size_t max,
		    char **data, size_t *len, int64_t *generation)
{
	char *path = key_path(key), *buf = NULL;
	struct stat st;
	size_t got;
	int fd, rc;

	if (!path)
		return -ENOMEM;
	/*
	 * A catalog writer could make a document a symlink to any file the
	 * root daemon can read; its first bytes would then reach a parser
	 * error in the log. A document is a regular file of the catalog's.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ELOOP ? -ENOENT : -errno;
		goto out_path;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -ENOENT;
		goto out_close;
	}
	if ((uint64_t)st.st_size > max) {
		rc = -EFBIG;
		goto out_close;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out_close;
	}
	rc = read_all(fd, buf, (size_t)st.st_size, 0, &got);
	if (rc == 0 && got != (size_t)st.st_size)
		rc = -EIO; /* shrank under us: writers rename, so not ours */
	if (rc) {
		free(buf);
		goto out_close;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	*generation = mtime_ns(&st);
out_close:
	close(fd);
out_path:
	free(path);
	return rc;
}

/* mkdir -p for the parent directories of @path. */
static int make_parents(char *path)
{
	char *p;

	for (p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			int rc = -errno;

			*p = '/';
			return rc;
		}
		*p = '/';
	}
	return 0;
}

static int write_full(int fd, const void *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

/*
 * Who holds the flock on @st's inode, from /proc/locks ("pid 123 (uid
 * 0)"), for the "catalog busy" message; "another process" when unknown.
 */
static void lock_holder(const struct stat *st, char *out, size_t outlen)
{
	char line[256], want[64], status[64], *p;
	FILE *f = fopen("/proc/locks", "re");
	long pid = -1;

	if (!f)
		return;
	snprintf(want, sizeof(want), ":%llu ", (unsigned long long)st->st_ino);
	while (pid < 0 && fgets(line, sizeof(line), f)) {
		if (!strstr(line, "FLOCK") || strstr(line, "->") ||
		    !(p = strstr(line, want)))
			continue;
		*p = '\0'; /* "N: FLOCK  ADVISORY  WRITE PID MAJ:MIN" */
		p = strrchr(line, ' ');
		if (!p)
			continue;
		*p = '\0';
		p = strrchr(line, ' ');
		if (p)
			pid = strtol(p + 1, NULL, 10);
	}
	fclose(f);
	if (pid <= 0)
		return;
	snprintf(status, sizeof(status), "/proc/%ld/status", pid);
	f = fopen(status, "re");
	snprintf(out, outlen, "pid %ld", pid);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Uid:", 4) == 0) {
			snprintf(out, outlen, "pid %ld (uid %ld)", pid,
				 strtol(line + 4, NULL, 10));
			break;
		}
	}
	fclose(f);
}

/*
 * The mode a lock file in directory @dst gets: read-write for the classes
 * of accounts that may write the directory, nothing for the others, so
 * whoever cannot write the catalog cannot open (and flock) its lock.
 */
static mode_t lock_mode(const struct stat *dst)
{
	mode_t m = 0600;

	if (dst->st_mode & S_IWGRP)
		m |= 0060;
	if (dst->st_mode & S_IWOTH)
		m |= 0006;
	return m;
}

/*
 * Opens and exclusively flocks the writers' lock of directory @dir within
 * LOCK_WAIT_MS. -EBUSY (with the holder in @err) when it stays held.
 */
static int lock_dir(const char *dir, int *out, char *err, size_t errlen)
{
	char lock[4200];
	struct stat dst, st;
	double start;
	unsigned int delay_ms = 1;
	int fd, rc;

	snprintf(lock, sizeof(lock), "%s/" LOCK_NAME, dir);
	if (stat(dir, &dst) != 0)
		return -errno;
	/* O_EXCL first: a new lock is never openable by others, even briefly */
	fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd >= 0) {
		if (dst.st_mode & S_IWGRP)
			(void)!fchown(fd, (uid_t)-1, dst.st_gid);
		if (fchmod(fd, lock_mode(&dst)) != 0)
			lyb_log(LYB_LOG_WARN, "%s: chmod: %s", lock,
				strerror(errno));
	} else if (errno == EEXIST) {
		fd = open(lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out_close;
	}
	if ((st.st_mode & 0777 & ~lock_mode(&dst)) && st.st_uid == geteuid())
		(void)!fchmod(fd, st.st_mode & 0777 & lock_mode(&dst));
	start = lyb_mono();
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = -errno;
			goto out_close;
		}
		if ((lyb_mono() - start) * 1000 >= LOCK_WAIT_MS) {
			char who[96];

			snprintf(who, sizeof(who), "another process");
			lock_holder(&st, who, sizeof(who));
			snprintf(err, errlen,
				 "catalog busy: lock held by %s for more "
				 "than %d s (%s)",
				 who, LOCK_WAIT_MS / 1000, lock);
			rc = -EBUSY;
			goto out_close;
		}
		usleep(delay_ms * 1000);
		if (delay_ms < 64)
			delay_ms *= 2;
	}
	*out = fd;
	return 0;
out_close:
	close(fd);
	return rc;
}

/* The directory of the object at @path ("/" + key). */
static void dir_of(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');

	snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
	if (dir[0] == '\0')
		snprintf(dir, dirlen, "/");
}

static void file_lock_holder(struct lyb_store *s, const char *key, char *out,
			     size_t outlen)
{
	char *path = key_path(key), dir[4096], lock[4200];
	struct stat st;

	if (!path)
		return;
	dir_of(path, dir, sizeof(dir));
	snprintf(lock, sizeof(lock), "%s/" LOCK_NAME, dir);
	if (stat(lock, &st) == 0)
		lock_holder(&st, out, outlen);
	free(path);
}

/*
 * The mode a derived object gets (lyb_store_put_like): @like's permission
 * bits and group on @fd, or owner-only when the group cannot be given or
 * @like is not a regular file; 0644 without @like (catalog documents).
 */
static mode_t mode_like(int fd, const char *like)
{
	char *path = like ? key_path(like) : NULL;
	struct stat st;
	mode_t mode = 0600;

	if (!like)
		return 0644;
	if (path && lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		mode = st.st_mode & 0666;
		if (fchown(fd, (uid_t)-1, st.st_gid) != 0)
			mode &= 0600;
	}
	free(path);
	return mode;
}

static int file_put(struct lyb_store *s, const char *key, const void *data,
		    size_t len, int64_t if_generation, int64_t *new_generation,
		    const char *like)
{
	char *path = key_path(key), dir[4096], tmp[4200], err[512];
	struct timespec now, times[2];
	struct stat st;
	int64_t cur = 0, gen;
	int lfd = -1, fd = -1, dfd = -1, rc;

	if (!path)
		return -ENOMEM;
	rc = make_parents(path);
	if (rc)
		goto out_path;
	dir_of(path, dir, sizeof(dir));
	snprintf(tmp, sizeof(tmp), "%s/.lyb-tmp-XXXXXX", dir);

	err[0] = '\0';
	/* a create needs no lock: link(2) never replaces (format 2 writes
	 * only creates, so no account can hold its writers up) */
	rc = if_generation == 0 ? 0 : lock_dir(dir, &lfd, err, sizeof(err));
	if (rc) {
		lyb_log(LYB_LOG_ERR, "%s: %s", path,
			err[0] ? err : strerror(-rc));
		goto out_path;
	}
	if (stat(path, &st) == 0)
		cur = mtime_ns(&st);
	else if (errno != ENOENT) {
		rc = -errno;
		goto out_lock;
	}
	if (if_generation >= 0 && if_generation != cur) {
		rc = -EAGAIN;
		goto out_lock;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		goto out_lock;
	}
	rc = write_full(fd, data, len);
	if (rc == 0 && fchmod(fd, mode_like(fd, like)) != 0)
		rc = -errno;
	/* the new generation is strictly greater than the one replaced */
	clock_gettime(CLOCK_REALTIME, &now);
	gen = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (gen <= cur && cur == INT64_MAX && rc == 0)
		rc = -EOVERFLOW; /* dated past 2262: no later generation */
	else if (gen <= cur)
		gen = cur + 1;
	times[0].tv_sec = times[1].tv_sec = gen / 1000000000;
	times[0].tv_nsec = times[1].tv_nsec = gen % 1000000000;
	if (rc == 0 && futimens(fd, times) != 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (rc == 0 && if_generation == 0) {
		/* create: link(2) never replaces, whatever else holds a lock */
		if (link(tmp, path) != 0)
			rc = errno == EEXIST ? -EAGAIN : -errno;
		unlink(tmp);
	} else if (rc == 0 && rename(tmp, path) != 0) {
		rc = -errno;
	}
	if (rc) {
		unlink(tmp);
		goto out_fd;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	*new_generation = gen;
out_fd:
	close(fd);
out_lock:
	if (lfd >= 0)
		close(lfd); /* releases the flock */
out_path:
	free(path);
	return rc;
}

static void roots_clear(void)
{
	while (nroots)
		free(roots[--nroots]);
}

/* Adds the absolute directory [@dir, @dir + @n) to the roots. */
static int root_add(const char *dir, size_t n)
{
	char *k;

	if (n == 0 || dir[0] != '/')
		return -EINVAL;
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (nroots == LYB_STORE_FILE_ROOTS_MAX)
		return -E2BIG;
	k = strndup(dir + 1, n - 1); /* keys have no leading '/' */
	if (!k)
		return -ENOMEM;
	if (k[0] != '\0' && !lyb_store_key_valid(k)) {
		free(k);
		return -EINVAL;
	}
	roots[nroots++] = k;
	return 0;
}

int lyb_store_file_confine(const char *list, const char *catalog_url)
{
	const char *p, *colon;
	int rc = 0;

	roots_clear();
	if (!list) { /* the default: the catalog's own tree, if file:// */
		if (!catalog_url || strncmp(catalog_url, "file:///", 8) != 0)
			return 0;
		p = catalog_url + 7;
		rc = root_add(p, strlen(p));
		if (rc)
			roots_clear();
		return rc;
	}
	if (strcmp(list, "none") == 0)
		return 0;
	for (p = list; rc == 0; p = colon + 1) {
		colon = strchr(p, ':');
		rc = root_add(p, colon ? (size_t)(colon - p) : strlen(p));
		if (!colon)
			break;
	}
	if (rc)
		roots_clear();
	return rc;
}

/* The longest root @key is under, or NULL; *@rest is the part below it. */
static const char *root_of(const char *key, const char **rest)
{
	const char *best = NULL;
	size_t i, n, best_n = 0;

	for (i = 0; i < nroots; i++) {
		n = strlen(roots[i]);
		if (n == 0) { /* "/" */
			if (!best) {
				best = roots[i];
				*rest = key;
			}
			continue;
		}
		if (strncmp(key, roots[i], n) == 0 && key[n] == '/' &&
		    (!best || n > best_n)) {
			best = roots[i];
			best_n = n;
			*rest = key + n + 1;
		}
	}
	return best;
}

int lyb_store_file_allowed(const char *key)
{
	const char *rest;
	size_t i;

	for (i = 0; i < nroots; i++) /* the root itself */
		if (strcmp(key, roots[i]) == 0)
			return 1;
	return root_of(key, &rest) != NULL;
}

size_t lyb_store_file_roots(char *buf, size_t len)
{
	size_t i, at = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < nroots && at < len; i++) {
		int n = snprintf(buf + at, len - at, "%s/%s", i ? ":" : "",
				 roots[i]);

		if (n < 0)
			break;
		at += (size_t)n;
	}
	return nroots;
}

/* openat(2) of @rest below @dfd one component at a time, never following
 * a symlink: for kernels without openat2(2). @rest has no "." or "..". */
static int open_walk(int dfd, const char *rest, int flags)
{
	char comp[1025];
	const char *p = rest, *slash;
	int fd = dup(dfd), next;

	if (fd < 0)
		return -errno;
	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);

		if (n >= sizeof(comp)) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp,
			      O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return errno == ENOTDIR ? -ELOOP : -errno;
		fd = next;
		p = slash + 1;
	}
	next = openat(fd, p, flags | O_NOFOLLOW);
	close(fd);
	return next < 0 ? -errno : next;
}

/*
 * Opens data @key read-only beneath its root. -EACCES (logged) when it is
 * under no root or its path below the root has a symlink or leaves it.
 */
static int open_confined(const char *key)
{
	const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};
	char rootpath[4098];
	const char *root, *rest = NULL;
	int dfd, fd;

	root = root_of(key, &rest);
	if (!root || rest[0] == '\0') {
		lyb_log(LYB_LOG_ERR,
			"/%s: outside the file:// data roots (file_roots): "
			"not served",
			key);
		return -EACCES;
	}
	snprintf(rootpath, sizeof(rootpath), "/%s", root);
	dfd = open(rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = force_walk
		     ? -1
		     : (int)syscall(SYS_openat2, dfd, rest, &how, sizeof(how));
	if (fd < 0 && (force_walk || errno == ENOSYS))
		fd = open_walk(dfd, rest, flags);
	else if (fd < 0)
		fd = -errno;
	close(dfd);
	if (fd == -ELOOP || fd == -EXDEV) {
		lyb_log(LYB_LOG_ERR,
			"/%s: a symlink or a path out of the file:// data "
			"root %s: not served",
			key, rootpath);
		return -EACCES;
	}
	return fd;
}

static int file_reader_open(struct lyb_store *s, const char *key,
			    int64_t generation, uint64_t size,
			    struct lyb_reader **out)
{
	struct file_reader *r;
	char *path = key_path(key);
	struct stat st;
	int rc = 0;

	if (!path)
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = -ENOMEM;
		goto out_path;
	}
	r->fd = open_confined(key);
	if (r->fd < 0) {
		rc = r->fd;
		goto out_free;
	}
	if (fstat(r->fd, &st) != 0) {
		rc = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -ENOENT;
		goto out_close;
	}
	if ((uint64_t)st.st_size != size ||
	    (generation > 0 && mtime_ns(&st) != generation)) {
		lyb_log(LYB_LOG_ERR,
			"%s: changed since it was published (size %lld, "
			"catalog says %llu)",
			path, (long long)st.st_size, (unsigned long long)size);
		rc = -EIO;
		goto out_close;
	}
	*out = &r->base;
	goto out_path;
out_close:
	close(r->fd);
out_free:
	free(r);
out_path:
	free(path);
	return rc;
}

static int file_reader_pread(struct lyb_reader *base, void *buf, size_t len,
			     uint64_t off, size_t *got)
{
	struct file_reader *r = (struct file_reader *)base;

	return read_all(r->fd, buf, len, off, got);
}

static void file_reader_close(struct lyb_reader *base)
{
	struct file_reader *r = (struct file_reader *)base;

	close(r->fd);
	free(r);
}

static void file_destroy(struct lyb_store *s)
{
	free(s);
}

static const struct lyb_store_ops file_ops = {
	.scheme = "file",
	.stat = file_stat,
	.list = file_list,
	.get = file_get,
	.put = file_put,
	.reader_open = file_reader_open,
	.reader_pread = file_reader_pread,
	.reader_close = file_reader_close,
	.destroy = file_destroy,
	.lock_holder = file_lock_holder,
};

int lyb_store_file_new(const char *bucket, struct lyb_store **out)
{
	struct lyb_store *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->ops = &file_ops;
	*out = s;
	return 0;
}
