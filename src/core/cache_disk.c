// SPDX-License-Identifier: Apache-2.0
/*
 * cache_disk.c - the block cache's disk tier (cache.h): blocks kept
 * across restarts, under a quota.
 *
 * DIR/<hex id>-<index> holds a block followed by a trailer (magic, the
 * object id, block index, length, CRC32C of the bytes). All its I/O is
 * relative to one descriptor of DIR, opened once without following links;
 * a file is written under a fresh temporary name (O_EXCL|O_NOFOLLOW,
 * 0600) and renamed. The trailer is checked on every load, and then the
 * bytes against the catalog's block CRC32C, so a block torn by a crash,
 * swapped for another or planted is never served: it is deleted and
 * fetched again.
 *
 * Its index has a lock of its own, "cache_disk.lock", a leaf (see
 * cache_impl.h for the order): the memory tier never waits for a quota
 * eviction's scan or an unlink. Reads and writes of block files happen
 * without it; the unlink of an evicted or rejected file and the rename
 * that publishes a written one happen under it, so the index and the
 * directory always agree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache_impl.h"
#include "lyb/digest.h"
#include "lyb/log.h"

#define DISK_MAGIC 0x4342594cu /* "LYBC" */
#define DISK_VERSION 2u

/* A block file in the index. */
struct dent {
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t index;
	uint64_t bytes; /* on disk, trailer included */
	uint64_t stamp;
	struct dent *next;
};

static struct {
	pthread_mutex_t lock; /* "cache_disk.lock" */
	/* set by lyb_cache_disk_open() before any read, read-only after */
	char *dir;
	int dirfd; /* of dir, opened once without following links */
	uint64_t cap;
	/* under lock */
	uint64_t used; /* files, and the reservations of files being written */
	struct dent *table[LYB_CACHE_NBUCKETS];
	uint64_t clock, tmp_seq;
	/* statistics, atomics */
	atomic_uint_fast64_t hits, rejected;
} disk = {.lock = PTHREAD_MUTEX_INITIALIZER, .dirfd = -1};

/* After a block's bytes: which block they are, and their CRC32C. */
struct trailer {
	uint32_t magic, version;
	unsigned char id[LYB_CACHE_ID_LEN];
	uint64_t index;
	uint32_t len, crc;
};

/* The index entry of a block, or where to put one. Under lock. */
static struct dent **dent_slot(const unsigned char *id, uint64_t index)
{
	struct dent **p = &disk.table[lyb_cache_hash(id, index)];

	for (; *p; p = &(*p)->next)
		if ((*p)->index == index &&
		    memcmp((*p)->id, id, LYB_CACHE_ID_LEN) == 0)
			break;
	return p;
}

/* The file name of a block, relative to disk.dirfd. */
static void disk_name(char *out, size_t cap, const unsigned char *id,
		      uint64_t index)
{
	char hex[2 * LYB_CACHE_ID_LEN + 1];

	lyb_hex_encode(id, LYB_CACHE_ID_LEN, hex);
	snprintf(out, cap, "%s-%llu", hex, (unsigned long long)index);
}

/* Forgets and deletes entry *@p. Under lock. */
static void dent_drop(struct dent **p)
{
	struct dent *d = *p;
	char name[64];

	disk_name(name, sizeof(name), d->id, d->index);
	unlinkat(disk.dirfd, name, 0);
	disk.used -= d->bytes;
	*p = d->next;
	free(d);
}

/* Makes room for @bytes by deleting the least recently used. Under lock. */
static void disk_evict(uint64_t bytes)
{
	struct dent **oldest, **p;
	unsigned i;

	while (disk.used + bytes > disk.cap && disk.used > 0) {
		oldest = NULL;
		for (i = 0; i < LYB_CACHE_NBUCKETS; i++)
			for (p = &disk.table[i]; *p; p = &(*p)->next)
				if (!oldest || (*p)->stamp < (*oldest)->stamp)
					oldest = p;
		if (!oldest)
			break;
		dent_drop(oldest);
	}
}

/*
 * Reads block @index of object @id, @want bytes, into @data and its CRC32C
 * into *@crc; 0, -ENOENT, or -EBADMSG for a file that is not that block
 * (torn, swapped, planted). Lock not held.
 */
static int load_file(const unsigned char *id, uint64_t index, size_t want,
		     char *data, uint32_t *crc)
{
	char name[64];
	struct trailer t;
	struct stat st;
	ssize_t n;
	int fd, ok;

	disk_name(name, sizeof(name), id, index);
	fd = openat(disk.dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	*crc = 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	     st.st_size == (off_t)(want + sizeof(t));
	n = ok ? pread(fd, data, want, 0) : -1;
	ok = ok && n == (ssize_t)want &&
	     pread(fd, &t, sizeof(t), (off_t)want) == (ssize_t)sizeof(t) &&
	     t.magic == DISK_MAGIC && t.version == DISK_VERSION &&
	     memcmp(t.id, id, LYB_CACHE_ID_LEN) == 0 && t.index == index &&
	     t.len == want;
	if (ok) {
		*crc = lyb_crc32c_update(0, data, want);
		ok = t.crc == *crc;
	}
	close(fd);
	if (!ok) {
		lyb_log(LYB_LOG_WARN,
			"cache %s/%s: torn or corrupt block, or another "
			"block's: fetching it again",
			disk.dir, name);
		return -EBADMSG;
	}
	return 0;
}

int lyb_cache_disk_has(const unsigned char *id, uint64_t index)
{
	int has;

	if (!lyb_cache_disk_on())
		return 0;
	pthread_mutex_lock(&disk.lock);
	has = *dent_slot(id, index) != NULL;
	pthread_mutex_unlock(&disk.lock);
	return has;
}

int lyb_cache_disk_load(const unsigned char *id, uint64_t index, size_t want,
			char *data, const uint32_t *expect, const char *name)
{
	struct dent **p;
	uint32_t crc = 0;
	int rc;

	pthread_mutex_lock(&disk.lock);
	p = dent_slot(id, index);
	if (*p)
		(*p)->stamp = ++disk.clock; /* recently used */
	rc = *p ? 0 : -ENOENT;
	pthread_mutex_unlock(&disk.lock);
	if (rc)
		return rc;
	rc = load_file(id, index, want, data, &crc);
	if (rc == 0 && expect && crc != *expect) {
		lyb_log(LYB_LOG_WARN,
			"cache %s: a block of %s on disk does not "
			"match its block CRC32C, fetching it again",
			disk.dir, name ? name : "an object");
		rc = -EBADMSG;
	}
	if (rc == 0) {
		atomic_fetch_add(&disk.hits, 1);
		return 0;
	}
	if (rc == -EBADMSG)
		atomic_fetch_add(&disk.rejected, 1);
	pthread_mutex_lock(&disk.lock);
	p = dent_slot(id, index);
	if (*p)
		dent_drop(p);
	pthread_mutex_unlock(&disk.lock);
	return rc;
}

void lyb_cache_disk_store(const unsigned char *id, uint64_t index,
			  const char *data, size_t len, uint32_t crc)
{
	struct trailer t;
	char name[64], tmp[64];
	struct dent *d, **p;
	uint64_t seq;
	int fd, ok;

	memset(&t, 0, sizeof(t));
	t.magic = DISK_MAGIC;
	t.version = DISK_VERSION;
	memcpy(t.id, id, LYB_CACHE_ID_LEN);
	t.index = index;
	t.len = (uint32_t)len;
	t.crc = crc;
	pthread_mutex_lock(&disk.lock);
	p = dent_slot(id, index);
	if (*p) { /* another fetch stored it */
		pthread_mutex_unlock(&disk.lock);
		return;
	}
	disk_evict(len + sizeof(t));
	disk.used += len + sizeof(t); /* reserved: concurrent writers
				       * must not all fit in one gap */
	seq = ++disk.tmp_seq;
	pthread_mutex_unlock(&disk.lock);

	disk_name(name, sizeof(name), id, index);
	snprintf(tmp, sizeof(tmp), "tmp.%d.%llu", (int)getpid(),
		 (unsigned long long)seq);
	fd = openat(disk.dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, data, len) == (ssize_t)len &&
	     write(fd, &t, sizeof(t)) == (ssize_t)sizeof(t);
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	d = ok ? calloc(1, sizeof(*d)) : NULL;
	pthread_mutex_lock(&disk.lock);
	p = dent_slot(id, index);
	if (d && !*p && renameat(disk.dirfd, tmp, disk.dirfd, name) == 0) {
		memcpy(d->id, id, sizeof(d->id));
		d->index = index;
		d->bytes = len + sizeof(t); /* the reservation becomes it */
		d->stamp = ++disk.clock;
		*p = d;
		d = NULL;
	} else {
		disk.used -= len + sizeof(t);
		if (fd >= 0)
			unlinkat(disk.dirfd, tmp, 0);
	}
	pthread_mutex_unlock(&disk.lock);
	free(d);
}

void lyb_cache_disk_purge(const unsigned char *id, uint64_t nblocks)
{
	struct dent **p;
	uint64_t i;

	pthread_mutex_lock(&disk.lock);
	for (i = 0; i < nblocks; i++) {
		p = dent_slot(id, i);
		if (*p)
			dent_drop(p);
	}
	pthread_mutex_unlock(&disk.lock);
}

/*
 * Registers the blocks a previous run left; deletes temporaries. Before
 * any read: nothing else uses the index yet.
 */
static int disk_scan(void)
{
	char hex[2 * LYB_CACHE_ID_LEN + 1];
	unsigned long long index;
	unsigned char id[LYB_CACHE_ID_LEN];
	struct dirent *e;
	struct dent *d, **p;
	struct stat st;
	unsigned i, v;
	DIR *dir;
	int fd;

	fd = dup(disk.dirfd);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		if (strncmp(e->d_name, "tmp.", 4) == 0) {
			/* a write cut short by a crash */
			unlinkat(disk.dirfd, e->d_name, 0);
			continue;
		}
		if (sscanf(e->d_name, "%32[0-9a-f]-%llu", hex, &index) != 2 ||
		    strlen(hex) != 2 * LYB_CACHE_ID_LEN ||
		    fstatat(disk.dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
			    0 ||
		    !S_ISREG(st.st_mode))
			continue;
		for (i = 0; i < LYB_CACHE_ID_LEN; i++) {
			sscanf(hex + 2 * i, "%2x", &v);
			id[i] = (unsigned char)v;
		}
		p = dent_slot(id, index);
		if (*p)
			continue;
		d = calloc(1, sizeof(*d));
		if (!d)
			break;
		memcpy(d->id, id, sizeof(id));
		d->index = index;
		d->bytes = (uint64_t)st.st_size;
		d->stamp = (uint64_t)st.st_mtime; /* older runs first */
		*p = d;
		disk.used += d->bytes;
	}
	closedir(dir);
	disk.clock = (uint64_t)time(NULL);
	disk_evict(0);
	return 0;
}

/*
 * Checks one directory on the way to the cache: owned by root or us, and
 * writable by no one else unless sticky. 0 or -EPERM (logged).
 */
static int dir_safe(const char *path, const struct stat *st, int is_cache)
{
	const char *why = NULL;

	if (!S_ISDIR(st->st_mode))
		why = "not a directory (a symbolic link or a file)";
	else if (is_cache && st->st_uid != geteuid())
		why = "owned by another user";
	else if (is_cache && (st->st_mode & 077))
		why = "group or others have permissions on it (want 0700)";
	else if (!is_cache && st->st_uid != 0 && st->st_uid != geteuid())
		why = "a parent directory is owned by another user";
	else if (!is_cache && (st->st_mode & (S_IWGRP | S_IWOTH)) &&
		 !(st->st_mode & S_ISVTX))
		why = "a parent directory is writable by others and not sticky";
	if (!why)
		return 0;
	lyb_log(LYB_LOG_ERR, "cache_dir %s: refused: %s is %s", disk.dir, path,
		why);
	return -EPERM;
}

/*
 * Opens the disk tier directory, creating it 0700 if missing, and refuses
 * one another account could write or read (cache.h). Sets disk.dirfd.
 */
static int dir_open(void)
{
	struct stat st, fst;
	char *parent, *real = NULL, *slash;
	int rc = 0;

	/* every directory above it, up to /, before anything is created */
	parent = strdup(disk.dir);
	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (slash)
		slash[slash == parent ? 1 : 0] = '\0';
	real = slash ? realpath(parent, NULL) : NULL;
	free(parent);
	if (!real)
		return slash ? -errno : -EINVAL;
	for (;;) {
		if (stat(real, &fst) != 0)
			rc = -errno;
		else
			rc = dir_safe(real, &fst, 0);
		slash = strrchr(real, '/');
		if (rc || !slash || strcmp(real, "/") == 0)
			break;
		slash[slash == real ? 1 : 0] = '\0';
	}
	free(real);
	if (rc)
		return rc;
	if (lstat(disk.dir, &st) != 0) {
		if (errno != ENOENT || mkdir(disk.dir, 0700) != 0 ||
		    lstat(disk.dir, &st) != 0)
			return -errno;
	}
	rc = dir_safe(disk.dir, &st, 1);
	if (rc)
		return rc;
	disk.dirfd =
		open(disk.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (disk.dirfd < 0)
		return -errno;
	/* what was checked is what was opened */
	if (fstat(disk.dirfd, &fst) != 0 || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino || dir_safe(disk.dir, &fst, 1) != 0) {
		lyb_log(LYB_LOG_ERR,
			"cache_dir %s: refused: changed while "
			"checked",
			disk.dir);
		close(disk.dirfd);
		disk.dirfd = -1;
		return -EPERM;
	}
	return 0;
}

int lyb_cache_disk_open(const char *dir, uint64_t cap)
{
	int rc;

	disk.dir = strdup(dir);
	if (!disk.dir)
		return -ENOMEM;
	disk.cap = cap;
	rc = dir_open();
	if (rc == 0)
		rc = disk_scan();
	if (rc == 0)
		return 0;
	lyb_log(LYB_LOG_ERR, "cache dir %s: %s", dir, strerror(-rc));
	lyb_cache_disk_close();
	return rc;
}

void lyb_cache_disk_close(void)
{
	struct dent *d;
	unsigned i;

	for (i = 0; i < LYB_CACHE_NBUCKETS; i++)
		while ((d = disk.table[i])) {
			disk.table[i] = d->next;
			free(d);
		}
	if (disk.dirfd >= 0)
		close(disk.dirfd);
	disk.dirfd = -1;
	free(disk.dir);
	disk.dir = NULL;
	disk.used = 0;
}

int lyb_cache_disk_on(void)
{
	return disk.dir != NULL;
}

void lyb_cache_disk_stats(struct lyb_cache_stats *out)
{
	pthread_mutex_lock(&disk.lock);
	out->disk_bytes = disk.used;
	pthread_mutex_unlock(&disk.lock);
	out->disk_cap = disk.dir ? disk.cap : 0;
	out->disk_hits = atomic_load(&disk.hits);
	out->disk_rejected = atomic_load(&disk.rejected);
}
