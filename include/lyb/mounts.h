/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mounts.h - the running lybfs mounts of this host, as `lyb` finds them
 * without being told: each mount leaves its settings for its clients, and
 * its control socket, in a runtime directory.
 *
 *   RUN/KEY.conf        the mount's settings for lyb (LYB_MOUNTS_KEYS:
 *                       catalog, domain, admin, audit, control,
 *                       file_roots) as lyb.conf lines; mode 0644
 *   RUN/KEY.sock        its control socket, unless control= says otherwise
 *   RUN/KEY.sock.lock   the socket's lock file (src/lybfs/control.c)
 *
 * RUN is $LYB_RUN_DIR when set (an absolute path: tests give each mount
 * its own), else LYB_RUN_DIR_DEFAULT (/run/lybfs) for a daemon running as
 * root, else $XDG_RUNTIME_DIR/lybfs for a user's own mount. KEY is the
 * mount point escaped as `systemd-escape --path` does: "/lyb" is "lyb",
 * "/srv/my lyb" is "srv-my\x20lyb".
 *
 * Trust: lyb believes a mount only as far as the kernel vouches for it.
 * It considers the fuse.lybfs mounts of /proc/self/mountinfo whose
 * user_id (the uid that mounted them, which fusermount3 cannot forge) is
 * root or lyb's own uid; for each, RUN must be a directory (not a
 * symbolic link) owned by that uid and writable by it alone, and
 * KEY.conf a regular file owned by that uid, writable by it alone, and
 * opened without following a symbolic link. A mount of another ordinary
 * account, or files that fail a check, are passed over (the reason is
 * kept for `lyb -v`). A control socket found this way is a path like any
 * other: its client checks who answers (SO_PEERCRED, cmd_access.c).
 *
 * Reentrant; the daemon's and the client's halves share nothing but the
 * files.
 */
#ifndef LYB_MOUNTS_H
#define LYB_MOUNTS_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "lyb/config.h"

/* The keys a mount leaves for its clients. */
#define LYB_MOUNTS_KEYS                                              \
	(LYB_CONFIG_CATALOG | LYB_CONFIG_DOMAIN | LYB_CONFIG_ADMIN | \
	 LYB_CONFIG_AUDIT | LYB_CONFIG_CONTROL | LYB_CONFIG_FILE_ROOTS)
#define LYB_MOUNTS_KEY_MAX 255 /* an escaped mount point, as a file name */
/* a mountinfo line; a longer one is skipped */
#define LYB_MOUNTS_LINE_MAX (64 * 1024)

/*
 * The runtime directory of a daemon running as @uid: $LYB_RUN_DIR, else
 * LYB_RUN_DIR_DEFAULT for root, else $XDG_RUNTIME_DIR/lybfs. 0, -ENOENT
 * when there is none (a user without XDG_RUNTIME_DIR), -EINVAL when the
 * variable is not an absolute path, -ENAMETOOLONG.
 */
int lyb_mounts_run_dir(uid_t uid, char *out, size_t len);

/* @mountpoint (absolute, canonical) escaped into @out; -ENAMETOOLONG. */
int lyb_mounts_key(const char *mountpoint, char *out, size_t len);

/* One line of mountinfo, escapes undone. */
struct lyb_mounts_line {
	const char *dev;	/* "MAJOR:MINOR" */
	const char *mountpoint; /* as the kernel shows it: canonical */
	const char *type;	/* "fuse.lybfs" */
	const char *source;
	const char *super_opts; /* "ro,user_id=0,group_id=0,..." */
};

/*
 * Calls @cb with each mount of @mountinfo (NULL: /proc/self/mountinfo).
 * A non-zero return of @cb stops the walk and is returned; otherwise 0,
 * or -errno when the file cannot be read.
 */
typedef int (*lyb_mounts_cb)(void *arg, const struct lyb_mounts_line *l);
int lyb_mounts_each(const char *mountinfo, lyb_mounts_cb cb, void *arg);

/* --- the daemon's half --- */

/*
 * Makes @dir (mode 0755) when missing, and checks it is a directory of
 * this process's effective uid that no one else can write, and not a
 * symbolic link. 0, or -errno with @why filled.
 */
int lyb_mounts_prepare(const char *dir, char *why, size_t whylen);

/* What lyb_mounts_publish() wrote, so that only that file is removed. */
struct lyb_mounts_file {
	char path[PATH_MAX];
	dev_t dev;
	ino_t ino;
	int written;
};

/*
 * Writes @dir/@key.conf: the LYB_MOUNTS_KEYS of @cfg (lyb_config_write),
 * through a new file renamed into place, so a reader sees the old file or
 * the whole new one. 0, or -errno with @why filled.
 */
int lyb_mounts_publish(const char *dir, const char *key,
		       const struct lyb_config *cfg, struct lyb_mounts_file *f,
		       char *why, size_t whylen);
/* Removes the file of @f if it is still the one written. */
void lyb_mounts_withdraw(struct lyb_mounts_file *f);

/* --- the client's half --- */

struct lyb_mount {
	char mountpoint[PATH_MAX];
	char settings[PATH_MAX]; /* RUN/KEY.conf */
	uid_t uid;		 /* the daemon's: who mounted it */
	struct lyb_config cfg;	 /* its settings; lyb_mount_clear() frees */
};

/*
 * Finds the mount of @catalog (a URL; NULL: the only mount there is),
 * reading @mountinfo (NULL: /proc/self/mountinfo). 0 with @m filled;
 * -ENOENT when none qualifies, -EEXIST when @catalog is NULL and several
 * do; @why then says what was found and passed over, for people.
 */
int lyb_mounts_find(const char *mountinfo, const char *catalog,
		    struct lyb_mount *m, char *why, size_t whylen);
void lyb_mount_clear(struct lyb_mount *m);

#endif
