// SPDX-License-Identifier: Apache-2.0
/*
 * test_audit.c - the audit log's defences: the per-uid token bucket and
 * its drop summaries (on a clock of our own), a write that fails part way
 * leaving nothing torn (a file size limit stands in for a full disk),
 * records glued after a torn line read back, what lyb_audit_open()
 * refuses (a symbolic link, another account's file, a file others may
 * write, a second name, a FIFO), and an NSS lookup that fails for want
 * of descriptors being an error rather than an unknown account.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lyb/acl.h"
#include "lyb/audit.h"

static double fake_now;

static double fake_clock(void)
{
	return fake_now;
}

struct tally {
	size_t records, dropped_lines;
	long long dropped, allowed, dropped_uid;
};

static int count_row(void *arg, const struct lyb_audit_record *r)
{
	struct tally *t = arg;

	if (strcmp(r->op, "dropped") == 0) {
		t->dropped_lines++;
		t->dropped += r->count;
		t->allowed += r->allowed;
		t->dropped_uid = r->uid;
		CHECK(r->since[0] != '\0');
	} else {
		t->records++;
	}
	return 0;
}

static struct lyb_audit_event event(uid_t uid, int allowed)
{
	struct lyb_audit_event ev = {
		.uid = uid,
		.pid = 1,
		.principal = "user:bob@example.com",
		.comm = "test",
		.op = "open",
		.dataset = "a.B",
		.path = "a.B/2020-09-03/abc/gs/part-00000.avro",
		.allowed = allowed,
		.reason = allowed ? "reader user:bob@example.com"
				  : "not a reader",
	};

	return ev;
}

static void read_back(const char *path, struct tally *t, size_t *bad)
{
	memset(t, 0, sizeof(*t));
	CHECK_RC(lyb_audit_read(path, NULL, count_row, t, bad), 0);
}

static void test_rate(const char *dir)
{
	struct lyb_audit_event ev;
	struct lyb_audit *a;
	struct tally t;
	char path[512];
	size_t bad, i, want;

	snprintf(path, sizeof(path), "%s/rate.log", dir);
	lyb_audit_set_clock(fake_clock);
	fake_now = 1000;
	CHECK_RC(lyb_audit_open(path, &a), 0);
	/* a burst: LYB_AUDIT_BURST written, the rest counted */
	ev = event(5, 0);
	for (i = 0; i < LYB_AUDIT_BURST + 500; i++)
		CHECK_RC(lyb_audit_write(a, &ev), 0);
	/* another uid is not affected */
	ev = event(6, 1);
	CHECK_RC(lyb_audit_write(a, &ev), 0);
	read_back(path, &t, &bad);
	CHECK_RC(t.records, LYB_AUDIT_BURST + 1);
	CHECK_RC(t.dropped_lines, 0); /* not due yet */

	/* half a second refills RATE/2; the drops are not summarised yet */
	fake_now += 0.5;
	ev = event(5, 1);
	for (i = 0; i < LYB_AUDIT_RATE; i++)
		CHECK_RC(lyb_audit_write(a, &ev), 0);
	read_back(path, &t, &bad);
	CHECK_RC(t.records, LYB_AUDIT_BURST + 1 + LYB_AUDIT_RATE / 2);
	CHECK_RC(t.dropped_lines, 0);

	/* a second after the first drop, a timer writes one summary */
	fake_now += 0.49;
	lyb_audit_flush(a);
	read_back(path, &t, &bad);
	CHECK_RC(t.dropped_lines, 0);
	fake_now += 0.02;
	lyb_audit_flush(a);
	read_back(path, &t, &bad);
	CHECK_RC(t.dropped_lines, 1);
	CHECK_RC(t.dropped, 500 + LYB_AUDIT_RATE / 2);
	CHECK_RC(t.allowed, LYB_AUDIT_RATE / 2);
	CHECK_RC(t.dropped_uid, 5);

	/* sustained: RATE a second, whatever is asked (the first second
	 * comes 1.51 s after the bucket was last used), and one summary a
	 * second at most */
	for (i = 0; i < 10; i++) {
		size_t j;

		fake_now += 1;
		for (j = 0; j < 1000; j++)
			CHECK_RC(lyb_audit_write(a, &ev), 0);
	}
	/* and what is pending at close is written then */
	fake_now += 0.1;
	for (i = 0; i < 10; i++)
		CHECK_RC(lyb_audit_write(a, &ev), 0);
	lyb_audit_close(a);
	read_back(path, &t, &bad);
	CHECK_RC(bad, 0);
	want = LYB_AUDIT_BURST + 1 + LYB_AUDIT_RATE / 2 + 151 + 9 * 100 + 10;
	CHECK(t.records <= want && t.records + 1 >= want);
	CHECK(t.dropped_lines >= 10 && t.dropped_lines <= 13);
	/* every line asked for is either written or counted */
	CHECK_RC((size_t)t.dropped + t.records,
		 LYB_AUDIT_BURST + 500 + 1 + LYB_AUDIT_RATE + 10 * 1000 + 10);

	/* many uids: each has its own bucket, at most LYB_AUDIT_UIDS_MAX */
	fake_now += 100;
	CHECK_RC(lyb_audit_open(path, &a), 0);
	for (i = 0; i < LYB_AUDIT_UIDS_MAX + 10; i++) {
		ev = event((uid_t)(10000 + i), 0);
		CHECK_RC(lyb_audit_write(a, &ev), 0);
	}
	lyb_audit_close(a);
	lyb_audit_set_clock(NULL);
	unlink(path);
}

/* A write that fails part way leaves no part of it. */
static void test_short_write(const char *dir)
{
	struct lyb_audit_event ev = event(7, 1);
	struct lyb_audit *a;
	struct rlimit was, rl;
	struct stat st;
	struct tally t;
	char path[512];
	size_t bad;
	off_t size;

	snprintf(path, sizeof(path), "%s/short.log", dir);
	signal(SIGXFSZ, SIG_IGN);
	CHECK_RC(lyb_audit_open(path, &a), 0);
	CHECK_RC(lyb_audit_write(a, &ev), 0);
	CHECK_RC(stat(path, &st), 0);
	size = st.st_size;
	/* room for 40 more bytes: the next line is cut, as on a full disk */
	CHECK_RC(getrlimit(RLIMIT_FSIZE, &was), 0);
	rl = was;
	rl.rlim_cur = (rlim_t)size + 40;
	CHECK_RC(setrlimit(RLIMIT_FSIZE, &rl), 0);
	CHECK(lyb_audit_write(a, &ev) < 0);
	CHECK(lyb_audit_write(a, &ev) < 0);
	CHECK_RC(setrlimit(RLIMIT_FSIZE, &was), 0);
	CHECK_RC(stat(path, &st), 0);
	CHECK_RC(st.st_size, size); /* cut back */
	CHECK_RC(lyb_audit_write(a, &ev), 0);
	lyb_audit_close(a);
	read_back(path, &t, &bad);
	CHECK_RC(bad, 0);
	CHECK_RC(t.records, 2);
	unlink(path);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

static const char whole[] =
	"{\"time\":\"2026-12-01T00:00:00.000Z\",\"uid\":1,\"principal\":"
	"\"user:a@example.com\",\"pid\":2,\"comm\":\"cat\",\"op\":\"open\","
	"\"dataset\":\"a.B\",\"date\":null,\"version\":null,\"location\":null,"
	"\"path\":\"a.B/x{\\\"time\\\":\",\"decision\":\"allow\","
	"\"reason\":\"reader\"}\n";

/* Torn lines: skipped, and never the end of the record after them. */
static void test_torn(const char *dir)
{
	struct lyb_audit_event ev = event(8, 1);
	struct lyb_audit *a;
	struct tally t;
	char path[512], text[4096];
	size_t bad;

	/* a record glued after a torn one, as an older lybfs left it */
	snprintf(path, sizeof(path), "%s/torn.log", dir);
	snprintf(text, sizeof(text),
		 "%s{\"time\":\"2026-12-01T00:00:01.000Z\",\"uid\":1,\"pri%s"
		 "{\"time\":\"2026-12-01T00:00:02.000Z\",\"uid\":1,\"op\":\"o"
		 "{\"time\":\"2026-12-01T00:00:03.000Z\",\"uid\":1,\"op\":\"op"
		 "en\"}\n%s",
		 whole, whole, whole);
	write_file(path, text);
	read_back(path, &t, &bad);
	CHECK_RC(t.records, 4); /* the last fragment ends a small record */
	CHECK_RC(bad, 2);

	/* a log that ends inside a line: the next record starts anew */
	snprintf(text, sizeof(text), "%s{\"time\":\"2026-12-01T00:00:01.0",
		 whole);
	write_file(path, text);
	CHECK_RC(lyb_audit_open(path, &a), 0);
	CHECK_RC(lyb_audit_write(a, &ev), 0);
	CHECK_RC(lyb_audit_write(a, &ev), 0);
	lyb_audit_close(a);
	read_back(path, &t, &bad);
	CHECK_RC(t.records, 3);
	CHECK_RC(bad, 1);
	unlink(path);
}

/* What lyb_audit_open() refuses, leaving it as it was. */
static void test_open_checks(const char *dir)
{
	struct lyb_audit *a = NULL;
	char path[512], target[512], other[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/checks.log", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(other, sizeof(other), "%s/other", dir);

	/* a symbolic link, to a file or to nothing */
	write_file(target, "precious\n");
	chmod(target, 0644);
	CHECK_RC(symlink(target, path), 0);
	CHECK_RC(lyb_audit_open(path, &a), -ELOOP);
	CHECK_RC(stat(target, &st), 0);
	CHECK_RC(st.st_size, 9);
	CHECK_RC(st.st_mode & 07777, 0644);
	unlink(path);
	CHECK_RC(symlink(other, path), 0);
	CHECK_RC(lyb_audit_open(path, &a), -ELOOP);
	CHECK(access(other, F_OK) != 0);
	unlink(path);

	/* another account's file (when we may chown: root) */
	if (geteuid() == 0) {
		write_file(path, "");
		chmod(path, 0644);
		CHECK_RC(chown(path, 4242, 4242), 0);
		CHECK_RC(lyb_audit_open(path, &a), -EPERM);
		CHECK_RC(stat(path, &st), 0);
		CHECK_RC(st.st_size, 0);
		CHECK_RC(st.st_mode & 07777, 0644);
		CHECK_RC(st.st_uid, 4242);
		unlink(path);
	}

	/* ours, but others may write to it */
	write_file(path, "");
	chmod(path, 0622);
	CHECK_RC(lyb_audit_open(path, &a), -EPERM);
	unlink(path);

	/* a second name */
	write_file(path, "");
	CHECK_RC(link(path, other), 0);
	CHECK_RC(lyb_audit_open(path, &a), -EPERM);
	unlink(other);
	unlink(path);

	/* not a regular file */
	CHECK_RC(mkfifo(path, 0600), 0);
	CHECK_RC(lyb_audit_open(path, &a), -EPERM);
	unlink(path);

	/* ours, readable by others: made private, through the descriptor */
	write_file(path, "");
	chmod(path, 0644);
	CHECK_RC(lyb_audit_open(path, &a), 0);
	CHECK_RC(stat(path, &st), 0);
	CHECK_RC(st.st_mode & 07777, 0600);
	lyb_audit_close(a);
	unlink(path);
	unlink(target);
}

/* Out of descriptors, NSS cannot answer: an error, not "uid N". */
static void test_ident_emfile(void)
{
	struct lyb_ident *id = NULL;
	struct rlimit was, rl;
	int fds[64], n = 0, rc;

	CHECK_RC(getrlimit(RLIMIT_NOFILE, &was), 0);
	rl = was;
	rl.rlim_cur = 64;
	CHECK_RC(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (n < 64 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	rc = lyb_ident_new(0, 0, NULL, 0, "example.com", &id);
	while (n > 0)
		close(fds[--n]);
	CHECK_RC(setrlimit(RLIMIT_NOFILE, &was), 0);
	CHECK(rc == -EMFILE || rc == -ENFILE);
	if (rc == 0)
		lyb_ident_unref(id);
	/* with descriptors, root is root */
	CHECK_RC(lyb_ident_new(0, 0, NULL, 0, "example.com", &id), 0);
	if (id) {
		CHECK_STR(id->user, "user:root@example.com");
		lyb_ident_unref(id);
	}
}

int main(void)
{
	char dir[] = "/tmp/lyb-test-audit.XXXXXX";

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_rate(dir);
	test_short_write(dir);
	test_torn(dir);
	test_open_checks(dir);
	test_ident_emfile();
	rmdir(dir);
	return check_failures ? 1 : 0;
}
