// SPDX-License-Identifier: Apache-2.0
/*
 * test_mounts.c - the running mounts' runtime files (mounts.h): the names
 * (escaped mount points, the runtime directory), a mount's settings
 * written and found through a mountinfo file, and every reason lyb passes
 * a mount over: another account's mount, a planted symbolic link, a file
 * or directory others can write, another catalog, two mounts at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lyb/mounts.h"

static char dir[] = "/tmp/lyb-test-mounts.XXXXXX";
static char run[sizeof(dir) + 8], info[sizeof(dir) + 16];

static void test_names(void)
{
	char out[LYB_MOUNTS_KEY_MAX + 1], big[400];

	CHECK_RC(lyb_mounts_key("/lyb", out, sizeof(out)), 0);
	CHECK_STR(out, "lyb");
	CHECK_RC(lyb_mounts_key("/", out, sizeof(out)), 0);
	CHECK_STR(out, "-");
	CHECK_RC(lyb_mounts_key("/srv/my lyb/", out, sizeof(out)), 0);
	CHECK_STR(out, "srv-my\\x20lyb");
	CHECK_RC(lyb_mounts_key("/tmp/lyb-it.Ab9/mnt", out, sizeof(out)), 0);
	CHECK_STR(out, "tmp-lyb\\x2dit.Ab9-mnt");
	/* as systemd-escape --path writes them */
	CHECK_RC(lyb_mounts_key("/a/.b/c.d", out, sizeof(out)), 0);
	CHECK_STR(out, "a-.b-c.d");
	CHECK_RC(lyb_mounts_key("/.x", out, sizeof(out)), 0);
	CHECK_STR(out, "\\x2ex");
	CHECK_RC(lyb_mounts_key("/a\nb", out, sizeof(out)), 0);
	CHECK_STR(out, "a\\x0ab");
	CHECK_RC(lyb_mounts_key("/lyb", out, 3), -ENAMETOOLONG);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	CHECK_RC(lyb_mounts_key(big, out, sizeof(out)), -ENAMETOOLONG);

	unsetenv("LYB_RUN_DIR");
	CHECK_RC(lyb_mounts_run_dir(0, out, sizeof(out)), 0);
	CHECK_STR(out, "/run/lybfs");
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	CHECK_RC(lyb_mounts_run_dir(1000, out, sizeof(out)), 0);
	CHECK_STR(out, "/run/user/1000/lybfs");
	unsetenv("XDG_RUNTIME_DIR");
	CHECK_RC(lyb_mounts_run_dir(1000, out, sizeof(out)), -ENOENT);
	setenv("LYB_RUN_DIR", "run/lybfs", 1);
	CHECK_RC(lyb_mounts_run_dir(0, out, sizeof(out)), -EINVAL);
	setenv("LYB_RUN_DIR", run, 1);
	CHECK_RC(lyb_mounts_run_dir(1000, out, sizeof(out)), 0);
	CHECK_STR(out, run);
}

/* Writes the mountinfo file: @lines, each "MOUNTPOINT TYPE USER_ID". */
static void put_mountinfo(const char *const *lines, size_t n)
{
	FILE *f = fopen(info, "we");
	char mp[256], type[64];
	size_t i;
	long uid;

	if (!f)
		exit(2);
	for (i = 0; i < n; i++) {
		if (sscanf(lines[i], "%255s %63s %ld", mp, type, &uid) != 3)
			exit(2);
		fprintf(f,
			"%zu 27 0:%zu / %s ro,nosuid,nodev,relatime shared:1 "
			"- %s lybfs ro,user_id=%ld,group_id=0,allow_other\n",
			40 + i, 40 + i, mp, type, uid);
	}
	fclose(f);
}

static void publish(const char *mountpoint, const char *catalog,
		    struct lyb_mounts_file *out)
{
	struct lyb_config cfg;
	struct lyb_config_err err;
	char key[LYB_MOUNTS_KEY_MAX + 1], opt[512], why[256] = "";

	lyb_config_init(&cfg);
	snprintf(opt, sizeof(opt), "catalog=%s", catalog);
	CHECK_RC(lyb_config_set_opt(&cfg, opt, &err), 0);
	CHECK_RC(lyb_config_set_opt(&cfg, "admin=user:root@x.com", &err), 0);
	snprintf(opt, sizeof(opt), "control=%s/x.sock", run);
	CHECK_RC(lyb_config_set_opt(&cfg, opt, &err), 0);
	CHECK_RC(lyb_config_set_opt(&cfg, "refresh=9", &err), 0);
	CHECK_RC(lyb_mounts_key(mountpoint, key, sizeof(key)), 0);
	CHECK_RC(lyb_mounts_publish(run, key, &cfg, out, why, sizeof(why)), 0);
	if (why[0])
		fprintf(stderr, "publish: %s\n", why);
	lyb_config_free(&cfg);
}

static void test_publish_find(void)
{
	struct lyb_mounts_file a, b;
	struct lyb_mount m;
	char why[2048], line[2][300], text[1024], path[600], sock[600];
	const char *lines[2] = {line[0], line[1]};
	struct stat st;
	FILE *f;
	size_t n;
	unsigned me = (unsigned)geteuid();

	CHECK_RC(lyb_mounts_prepare(run, why, sizeof(why)), 0);
	CHECK_RC(stat(run, &st), 0);
	CHECK((st.st_mode & 0777) == 0755);
	publish("/srv/a b", "file:///cat/a/", &a);
	snprintf(path, sizeof(path), "%s/srv-a\\x20b.conf", run);
	CHECK_STR(a.path, path);
	CHECK_RC(stat(path, &st), 0);
	CHECK((st.st_mode & 0777) == 0644);
	f = fopen(path, "re");
	n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = '\0';
	if (f)
		fclose(f);
	snprintf(sock, sizeof(sock), "control = %s/x.sock\n", run);
	CHECK(strstr(text, "catalog = file:///cat/a/\n") != NULL);
	CHECK(strstr(text, sock) != NULL);
	CHECK(strstr(text, "refresh") == NULL); /* not a client's key */

	/* the one mount there is; mountinfo's \040 is a space */
	snprintf(line[0], sizeof(line[0]), "/srv/a\\040b fuse.lybfs %u", me);
	put_mountinfo(lines, 1);
	CHECK_RC(lyb_mounts_find(info, NULL, &m, why, sizeof(why)), 0);
	CHECK_STR(m.mountpoint, "/srv/a b");
	CHECK_STR(m.settings, path);
	CHECK_STR(m.cfg.catalog, "file:///cat/a/");
	CHECK(m.cfg.nadmins == 1 && m.uid == me);
	lyb_mount_clear(&m);
	/* found by its catalog, trailing '/' or not; not by another */
	CHECK_RC(lyb_mounts_find(info, "file:///cat/a", &m, why, sizeof(why)),
		 0);
	lyb_mount_clear(&m);
	CHECK_RC(lyb_mounts_find(info, "file:///cat/b", &m, why, sizeof(why)),
		 -ENOENT);
	CHECK(strstr(why, "no running lybfs mount of file:///cat/b") != NULL);

	/* not a lybfs mount, or one another ordinary account made */
	snprintf(line[0], sizeof(line[0]), "/srv/a\\040b fuse.other %u", me);
	put_mountinfo(lines, 1);
	CHECK_RC(lyb_mounts_find(info, NULL, &m, why, sizeof(why)), -ENOENT);
	snprintf(line[0], sizeof(line[0]), "/srv/a\\040b fuse.lybfs %u",
		 me + 4242);
	put_mountinfo(lines, 1);
	CHECK_RC(lyb_mounts_find(info, NULL, &m, why, sizeof(why)), -ENOENT);
	CHECK(strstr(why, "not by root or you") != NULL);

	/* a mount without settings is passed over, and said so */
	snprintf(line[0], sizeof(line[0]), "/srv/a\\040b fuse.lybfs %u", me);
	snprintf(line[1], sizeof(line[1]), "/srv/c fuse.lybfs %u", me);
	put_mountinfo(lines, 2);
	CHECK_RC(lyb_mounts_find(info, NULL, &m, why, sizeof(why)), 0);
	CHECK_STR(m.mountpoint, "/srv/a b");
	lyb_mount_clear(&m);

	/* two mounts: which one is not guessed, unless by catalog */
	publish("/srv/c", "file:///cat/c", &b);
	CHECK_RC(lyb_mounts_find(info, NULL, &m, why, sizeof(why)), -EEXIST);
	CHECK(strstr(why, "2 lybfs mounts are running") != NULL);
	CHECK_RC(lyb_mounts_find(info, "file:///cat/c", &m, why, sizeof(why)),
		 0);
	CHECK_STR(m.mountpoint, "/srv/c");
	lyb_mount_clear(&m);

	/* a settings file others can write, or a planted link: passed over */
	CHECK_RC(chmod(b.path, 0664), 0);
	CHECK_RC(lyb_mounts_find(info, "file:///cat/c", &m, why, sizeof(why)),
		 -ENOENT);
	CHECK(strstr(why, "not a file of the daemon's uid") != NULL);
	CHECK_RC(unlink(b.path), 0);
	CHECK_RC(symlink(a.path, b.path), 0);
	CHECK_RC(lyb_mounts_find(info, "file:///cat/a", &m, why, sizeof(why)),
		 0); /* /srv/a b's own file */
	CHECK_STR(m.mountpoint, "/srv/a b");
	lyb_mount_clear(&m);
	CHECK_RC(lyb_mounts_find(info, "file:///cat/c", &m, why, sizeof(why)),
		 -ENOENT);
	CHECK(strstr(why, strerror(ELOOP)) != NULL);
	CHECK_RC(unlink(b.path), 0);

	/* a runtime directory others can write: nothing in it is believed */
	CHECK_RC(chmod(run, 0777), 0);
	CHECK_RC(lyb_mounts_find(info, NULL, &m, why, sizeof(why)), -ENOENT);
	CHECK(strstr(why, "only it can write") != NULL);
	CHECK_RC(lyb_mounts_prepare(run, why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "writable by others") != NULL);
	CHECK_RC(chmod(run, 0755), 0);

	/* withdrawn: only the file written, not one put there since (a
	 * daemon mounted there again) */
	publish("/srv/a b", "file:///cat/a2", &b);
	lyb_mounts_withdraw(&a);
	CHECK_RC(lyb_mounts_find(info, "file:///cat/a2", &m, why, sizeof(why)),
		 0);
	lyb_mount_clear(&m);
	lyb_mounts_withdraw(&b);
	CHECK(access(b.path, F_OK) != 0);
	CHECK_RC(lyb_mounts_find(info, NULL, &m, why, sizeof(why)), -ENOENT);
	lyb_mounts_withdraw(&b); /* done: nothing happens */
}

static int count_cb(void *arg, const struct lyb_mounts_line *l)
{
	CHECK(l->dev && strchr(l->dev, ':') && l->mountpoint[0] == '/' &&
	      l->type[0] && l->source && l->super_opts);
	++*(int *)arg;
	return 0;
}

static void test_prepare(void)
{
	char why[256], link[sizeof(dir) + 16], file[sizeof(dir) + 16];
	int n = 0;

	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	CHECK_RC(symlink(run, link), 0);
	CHECK(lyb_mounts_prepare(link, why, sizeof(why)) < 0);
	CHECK(strstr(why, "symbolic link") != NULL);
	unlink(link);
	fclose(fopen(file, "we"));
	CHECK(lyb_mounts_prepare(file, why, sizeof(why)) < 0);
	unlink(file);
	/* the real mountinfo reads, whatever it holds */
	CHECK_RC(lyb_mounts_each(NULL, count_cb, &n), 0);
	CHECK(n > 0);
	CHECK_RC(lyb_mounts_each("/nonexistent/mountinfo", count_cb, &n),
		 -ENOENT);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(info, sizeof(info), "%s/mountinfo", dir);
	test_names();
	test_publish_find();
	test_prepare();
	unlink(info);
	rmdir(run);
	rmdir(dir);
	return check_failures ? 1 : 0;
}
