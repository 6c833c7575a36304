// SPDX-License-Identifier: Apache-2.0
/*
 * fs.c - the lybfs tree over a catalog snapshot (see fs.h): path
 * resolution, directory listings, generated files and extended
 * attributes. Knows nothing about FUSE; src/lybfs/ll.c maps it to the
 * kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lyb/fs.h"

#define DIR_MODE (S_IFDIR | 0555)
#define FILE_MODE (S_IFREG | 0444)
#define LINK_MODE (S_IFLNK | 0777)
#define NAME_MAX_LEN 255

/*
 * Copies the next component of *@p into @buf and advances past it.
 * Returns its length, 0 at the end, or -ENAMETOOLONG.
 */
static int next_component(const char **p, char buf[NAME_MAX_LEN + 1])
{
	const char *s = *p, *end = strchr(s, '/');
	size_t n = end ? (size_t)(end - s) : strlen(s);

	if (n > NAME_MAX_LEN)
		return -ENAMETOOLONG;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*p = end ? end + 1 : s + n;
	return (int)n;
}

static void set_dir(struct lyb_fs_entry *e, enum lyb_fs_kind kind,
		    int64_t mtime)
{
	e->kind = kind;
	e->mode = DIR_MODE;
	e->mtime = mtime;
}

/* Resolves the path @sub inside location @loc. */
static int resolve_in_location(const struct lyb_location *loc, const char *sub,
			       struct lyb_fs_entry *e)
{
	size_t n = strlen(sub), i;
	const struct lyb_object *o;

	e->sub = sub;
	if (n == 0)
		return 0; /* the location directory itself */
	o = lyb_location_find(loc, sub);
	if (o) {
		e->kind = LYB_FS_OBJECT;
		e->mode = FILE_MODE;
		e->obj = o;
		e->size = o->size;
		return 0;
	}
	/* a directory when some object name continues with sub + "/" */
	for (i = 0; i < loc->nobjects; i++) {
		const char *name = loc->objects[i].name;

		if (strncmp(name, sub, n) == 0 && name[n] == '/') {
			e->kind = LYB_FS_SUBDIR;
			return 0;
		}
	}
	return -ENOENT;
}

int lyb_fs_resolve(const struct lyb_snap *snap, const char *path,
		   struct lyb_fs_entry *e)
{
	char c[NAME_MAX_LEN + 1];
	const struct lyb_date *d;
	const char *p = path;
	enum lyb_loc_kind kind;
	int n, rc;

	memset(e, 0, sizeof(*e));
	if (strlen(path) > LYB_FS_PATH_MAX)
		return -ENAMETOOLONG;
	set_dir(e, LYB_FS_ROOT, snap->loaded);
	if ((n = next_component(&p, c)) <= 0)
		return n;
	e->ds = lyb_snap_find(snap, c);
	if (!e->ds)
		return -ENOENT;
	set_dir(e, LYB_FS_DATASET, e->ds->updated);
	if ((n = next_component(&p, c)) <= 0)
		return n;

	if (strcmp(c, ".lyb") == 0)
		goto meta;
	if (strcmp(c, "latest") == 0) {
		d = lyb_dataset_latest_date(e->ds);
		if (!d || *p)
			return -ENOENT;
		e->kind = LYB_FS_LATEST;
		e->mode = LINK_MODE;
		snprintf(e->link, sizeof(e->link), "%s/latest", d->date);
		e->size = strlen(e->link);
		return 0;
	}
	d = lyb_dataset_find_date(e->ds, c);
	if (!d)
		return -ENOENT;
	e->date = d;
	set_dir(e, LYB_FS_DATE, d->latest->published);
	if ((n = next_component(&p, c)) <= 0)
		return n;

	if (strcmp(c, "latest") == 0) {
		if (*p)
			return -ENOENT;
		e->kind = LYB_FS_LATEST;
		e->mode = LINK_MODE;
		snprintf(e->link, sizeof(e->link), "%s", d->latest->id);
		e->size = strlen(e->link);
		return 0;
	}
	e->v = lyb_dataset_find_version(e->ds, d->date, c);
	if (!e->v)
		return -ENOENT;
	set_dir(e, LYB_FS_VERSION, e->v->published);
	e->immutable = 1;
	if ((n = next_component(&p, c)) <= 0)
		return n;

	if (strcmp(c, ".lyb") == 0)
		goto meta;
	if (lyb_loc_kind_parse(c, &kind) != 0)
		return -ENOENT;
	e->loc = lyb_version_location(e->v, kind);
	if (!e->loc)
		return -ENOENT;
	e->kind = LYB_FS_LOCATION;
	return resolve_in_location(e->loc, p, e);

meta:
	e->kind = LYB_FS_META;
	if ((n = next_component(&p, c)) <= 0)
		return n;
	if (strcmp(c, "info.json") != 0 || *p)
		return -ENOENT;
	{
		char *data;
		size_t len;

		e->kind = LYB_FS_INFO;
		e->mode = FILE_MODE;
		rc = lyb_fs_content(snap, e, &data, &len);
		if (rc)
			return rc;
		free(data);
		e->size = len;
	}
	return 0;
}

static int list_location(const struct lyb_location *loc, const char *sub,
			 lyb_fs_dirent_cb cb, void *arg)
{
	size_t n = strlen(sub), i;
	char last[NAME_MAX_LEN + 1] = "";
	int rc;

	for (i = 0; i < loc->nobjects; i++) {
		const char *name = loc->objects[i].name, *rest, *slash;
		char child[NAME_MAX_LEN + 1];
		size_t len;

		if (n) {
			if (strncmp(name, sub, n) != 0 || name[n] != '/')
				continue;
			rest = name + n + 1;
		} else {
			rest = name;
		}
		slash = strchr(rest, '/');
		len = slash ? (size_t)(slash - rest) : strlen(rest);
		if (len > NAME_MAX_LEN)
			continue; /* no kernel could look it up */
		memcpy(child, rest, len);
		child[len] = '\0';
		/* names under one directory are contiguous when sorted */
		if (strcmp(child, last) == 0)
			continue;
		memcpy(last, child, len + 1);
		rc = cb(arg, child, slash ? DIR_MODE : FILE_MODE);
		if (rc)
			return rc;
	}
	return 0;
}

int lyb_fs_readdir(const struct lyb_snap *snap, const struct lyb_fs_entry *dir,
		   lyb_fs_dirent_cb cb, void *arg)
{
	const struct lyb_date *d;
	size_t i;
	int rc = 0;

	switch (dir->kind) {
	case LYB_FS_ROOT:
		for (i = 0; i < snap->ndatasets && rc == 0; i++)
			rc = cb(arg, snap->datasets[i]->name, DIR_MODE);
		return rc;
	case LYB_FS_DATASET:
		rc = cb(arg, ".lyb", DIR_MODE);
		if (rc == 0 && dir->ds->ndates)
			rc = cb(arg, "latest", LINK_MODE);
		for (i = 0; i < dir->ds->ndates && rc == 0; i++)
			rc = cb(arg, dir->ds->dates[i].date, DIR_MODE);
		return rc;
	case LYB_FS_META:
		return cb(arg, "info.json", FILE_MODE);
	case LYB_FS_DATE:
		d = dir->date;
		rc = cb(arg, "latest", LINK_MODE);
		for (i = d->first; i < d->first + d->count && rc == 0; i++)
			rc = cb(arg, dir->ds->versions[i].id, DIR_MODE);
		return rc;
	case LYB_FS_VERSION:
		rc = cb(arg, ".lyb", DIR_MODE);
		for (i = 0; i < dir->v->nlocations && rc == 0; i++)
			rc = cb(arg,
				lyb_loc_kind_name(dir->v->locations[i].kind),
				DIR_MODE);
		return rc;
	case LYB_FS_LOCATION:
	case LYB_FS_SUBDIR:
		return list_location(dir->loc, dir->sub, cb, arg);
	default:
		return -ENOTDIR;
	}
}

int lyb_fs_content(const struct lyb_snap *snap, const struct lyb_fs_entry *e,
		   char **data, size_t *len)
{
	int rc;

	if (e->kind != LYB_FS_INFO)
		return -EINVAL;
	rc = e->v ? lyb_version_record(e->ds, e->v, data)
		  : lyb_dataset_card(snap, e->ds, data);
	if (rc == 0)
		*len = strlen(*data);
	return rc;
}

/* Builds "lyb://ds[/date[/id[/loc[/sub]]]]" for @e into @buf. */
static void entry_uri(const struct lyb_fs_entry *e, char *buf, size_t len)
{
	const char *date = e->v ? e->v->date : e->date ? e->date->date : NULL;
	int n = snprintf(buf, len, "lyb://%s", e->ds->name);

	if (date && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "/%s", date);
	if (e->v && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "/%s", e->v->id);
	if (e->loc && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "/%s",
			      lyb_loc_kind_name(e->loc->kind));
	if (e->sub && e->sub[0] && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "/%s", e->sub);
}

static int64_t location_rows(const struct lyb_location *loc)
{
	int64_t rows = 0;
	size_t i;

	for (i = 0; i < loc->nobjects; i++) {
		if (loc->objects[i].rows < 0)
			return -1;
		rows += loc->objects[i].rows;
	}
	return rows;
}

int lyb_fs_xattrs(const struct lyb_fs_entry *e, lyb_fs_xattr_cb cb, void *arg)
{
	char buf[LYB_FS_PATH_MAX + 512], num[32];
	int64_t rows = -1;
	int rc;

	if (!e->ds)
		return 0; /* the root has none */
	entry_uri(e, buf, sizeof(buf));
	if ((rc = cb(arg, "user.lyb.uri", buf)) ||
	    (rc = cb(arg, "user.lyb.owner", e->ds->owner)))
		return rc;
	if (!e->v)
		return 0;
	if ((rc = cb(arg, "user.lyb.version", e->v->id)))
		return rc;
	if (e->obj) {
		char *url = lyb_object_url(e->loc, e->obj);

		if (!url)
			return -ENOMEM;
		rc = cb(arg, "user.lyb.location", url);
		free(url);
		if (rc)
			return rc;
		rows = e->obj->rows;
	} else if (e->loc && e->kind == LYB_FS_LOCATION) {
		rc = cb(arg, "user.lyb.location",
			e->loc->table ? e->loc->table : e->loc->url);
		if (rc == 0 && e->loc->table)
			rc = cb(arg, "user.lyb.export", e->loc->url);
		if (rc)
			return rc;
		rows = location_rows(e->loc);
	} else if (e->kind == LYB_FS_VERSION) {
		rows = e->v->rows;
	}
	if (rows >= 0) {
		snprintf(num, sizeof(num), "%lld", (long long)rows);
		if ((rc = cb(arg, "user.lyb.rows", num)))
			return rc;
	}
	if (!e->obj)
		return 0;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)e->obj->size);
	if ((rc = cb(arg, "user.lyb.size", num)))
		return rc;
	if (e->obj->crc32c[0] &&
	    (rc = cb(arg, "user.lyb.crc32c", e->obj->crc32c)))
		return rc;
	if (e->obj->md5[0] && (rc = cb(arg, "user.lyb.md5", e->obj->md5)))
		return rc;
	return 0;
}
