// SPDX-License-Identifier: Apache-2.0
/*
 * test_catalog2.c - catalog format 2 against a hostile catalog writer, on
 * a file:// catalog in a temporary directory: forged, garbage, huge and
 * many journal entries; a commit that does not parse or names another
 * DataSet (its DataSet fails closed, the others keep working, a
 * checkpoint refuses to hide it); pages whose bytes lie or whose entries
 * lie; tree splits (5,000 versions read back in order, every page under
 * the caps); concurrent publishers; a writer killed mid-publish; a revoke
 * racing publishes.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "version_fixture.h"
#include "lyb/catalog.h"

static char root[] = "/tmp/lyb-test-catalog2-XXXXXX";
static char url[512];

static int put_file(const char *rel, const char *text, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f)
		return -1;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* The journal's tail: the last entry that exists. */
static unsigned long long journal_tail(void)
{
	char path[1024];
	unsigned long long g = 0;
	struct stat st;

	for (;;) {
		snprintf(path, sizeof(path), "%s/v2/journal/%020llu.json", root,
			 g + 1);
		if (stat(path, &st) != 0)
			return g;
		g++;
	}
}

static void announce(unsigned long long g, const char *name,
		     unsigned long long commit)
{
	char rel[64], text[256];
	int n;

	snprintf(rel, sizeof(rel), "v2/journal/%020llu.json", g);
	n = snprintf(text, sizeof(text),
		     "{\"lybrary\":2,\"kind\":\"announce\",\"seq\":%llu,"
		     "\"dataset\":\"%s\",\"commit\":%llu}\n",
		     g, name, commit);
	CHECK(put_file(rel, text, (size_t)n) == 0);
}

static int count_versions(struct lyb_catalog *cat, const char *name,
			  const char *date)
{
	struct lyb_snap *snap = lyb_catalog_snap(cat);
	struct lyb_dataset *ds = lyb_snap_find(snap, name), *p = NULL;
	int n = -1;

	if (ds && lyb_dataset_part(ds, date, &p) == 0) {
		n = (int)p->nversions;
		lyb_dataset_unref(p);
	}
	lyb_snap_unref(snap);
	return n;
}

static int is_bad(struct lyb_catalog *cat, const char *name, int *definite)
{
	struct lyb_snap *snap = lyb_catalog_snap(cat);
	const struct lyb_bad_doc *b = lyb_snap_find_bad(snap, name);
	int r = b != NULL;

	if (b && definite)
		*definite = b->definite;
	lyb_snap_unref(snap);
	return r;
}

static int add_reader(void *arg, struct lyb_dataset *ds, char *err,
		      size_t errlen)
{
	char **r = realloc(ds->readers, (ds->nreaders + 1) * sizeof(*r));

	(void)err;
	(void)errlen;
	if (!r)
		return -ENOMEM;
	ds->readers = r;
	r[ds->nreaders] = strdup(arg);
	if (!r[ds->nreaders])
		return -ENOMEM;
	ds->nreaders++;
	return 0;
}

static int drop_reader(void *arg, struct lyb_dataset *ds, char *err,
		       size_t errlen)
{
	size_t i;

	(void)err;
	(void)errlen;
	for (i = 0; i < ds->nreaders; i++)
		if (strcmp(ds->readers[i], arg) == 0) {
			free(ds->readers[i]);
			ds->readers[i] = ds->readers[--ds->nreaders];
			return 0;
		}
	return 1;
}

static int has_reader(struct lyb_catalog *cat, const char *name,
		      const char *who)
{
	struct lyb_snap *snap = lyb_catalog_snap(cat);
	struct lyb_dataset *ds = lyb_snap_find(snap, name);
	size_t i;
	int r = 0;

	for (i = 0; ds && i < ds->nreaders; i++)
		r |= strcmp(ds->readers[i], who) == 0;
	lyb_snap_unref(snap);
	return r;
}

/* Forged, garbage, huge and many journal entries: ignored, nothing lost */
static void test_journal(struct lyb_catalog *cat)
{
	char err[512], id[LYB_ID_MAX + 1], big[4096];
	unsigned long long g = journal_tail();
	struct lyb_version v;
	int existed, i;

	announce(++g, "ns.Ghost", 1);	/* a DataSet that does not exist */
	announce(++g, "ns.A", 1000000); /* a commit far ahead */
	announce(++g, "ns.A", 0);	/* commit 0 */
	announce(++g, "nope", 1);	/* not a name */
	CHECK(put_file("v2/journal/00000000000000000000.json", "x", 1) == 0);
	{
		char rel[64];

		snprintf(rel, sizeof(rel), "v2/journal/%020llu.json", ++g);
		CHECK(put_file(rel, "{not json", 9) == 0);
		memset(big, ' ', sizeof(big));
		memcpy(big, "{\"lybrary\":2}", 13);
		snprintf(rel, sizeof(rel), "v2/journal/%020llu.json", ++g);
		CHECK(put_file(rel, big, sizeof(big)) == 0); /* huge */
		/* the same entry twice, and one of another seq */
		snprintf(rel, sizeof(rel), "v2/journal/%020llu.json", ++g);
		{
			const char *dup = "{\"lybrary\":2,\"seq\":1,"
					  "\"dataset\":\"ns.A\",\"commit\":1}";

			CHECK(put_file(rel, dup, strlen(dup)) == 0);
		}
	}
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(count_versions(cat, "ns.A", NULL) == 1);
	CHECK(count_versions(cat, "ns.B", NULL) == 1);
	CHECK(!is_bad(cat, "ns.A", NULL) && !is_bad(cat, "ns.Ghost", NULL));

	/* 10,000 forged entries at once, then a real publish after them */
	for (i = 0; i < 10000; i++)
		announce(++g, i % 2 ? "ns.A" : "ns.Ghost", 5000000 + i);
	make_version(&v, "2020-01-02", 2);
	CHECK_RC(lyb_catalog_publish(cat, "ns.B", &v, id, &existed, err,
				     sizeof(err)),
		 0);
	for (i = 0; i < 5; i++)
		CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(count_versions(cat, "ns.B", NULL) == 2);
	CHECK(count_versions(cat, "ns.A", NULL) == 1);
	CHECK(!is_bad(cat, "ns.A", NULL));
}

/* A commit that does not parse, or is another DataSet's: fails closed */
static void test_bad_commit(struct lyb_catalog *cat)
{
	char err[512], id[LYB_ID_MAX + 1], cmd[1200];
	unsigned long long g = journal_tail();
	struct lyb_catalog *fresh;
	struct lyb_version v;
	int existed, definite = 0;

	/* ns.A is at commit 2 (create, publish): plant a garbage commit 3 */
	CHECK(put_file("v2/datasets/ns/A/000000000003.json",
		       "{\"lybrary\":", 11) == 0);
	announce(++g, "ns.A", 3);
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(is_bad(cat, "ns.A", &definite) && definite);
	CHECK(!is_bad(cat, "ns.B", NULL));
	CHECK(count_versions(cat, "ns.B", NULL) == 2);
	/* it stays bad at the next refreshes (the entry was consumed) */
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(is_bad(cat, "ns.A", &definite) && definite);
	/* a new mount sees it bad too */
	CHECK_RC(lyb_catalog_open(url, 0, &fresh), 0);
	CHECK_RC(lyb_catalog_refresh(fresh, NULL), 0);
	CHECK(is_bad(fresh, "ns.A", &definite) && definite);
	CHECK(!is_bad(fresh, "ns.B", NULL));
	/* a checkpoint would hide it from new mounts: refused */
	CHECK_RC(lyb_catalog_checkpoint(fresh, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "ns.A") != NULL);
	lyb_catalog_close(fresh);
	/* a writer refuses to build on it */
	make_version(&v, "2020-01-03", 3);
	CHECK(lyb_catalog_publish(cat, "ns.A", &v, id, &existed, err,
				  sizeof(err)) < 0);

	/* the operator removes it: the next commit loads, A is good again */
	snprintf(cmd, sizeof(cmd),
		 "rm -f %s/v2/datasets/ns/A/000000000003.json", root);
	CHECK(system(cmd) == 0);
	CHECK_RC(lyb_catalog_publish(cat, "ns.A", &v, id, &existed, err,
				     sizeof(err)),
		 0);
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(!is_bad(cat, "ns.A", NULL));
	CHECK(count_versions(cat, "ns.A", NULL) == 2);

	/* commit 4 of A is a copy of B's: names another DataSet */
	snprintf(cmd, sizeof(cmd),
		 "cp %s/v2/datasets/ns/B/000000000003.json "
		 "%s/v2/datasets/ns/A/000000000004.json",
		 root, root);
	CHECK(system(cmd) == 0);
	announce(journal_tail() + 1, "ns.A", 4);
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(is_bad(cat, "ns.A", &definite) && definite);
	CHECK(count_versions(cat, "ns.B", NULL) == 2);
	snprintf(cmd, sizeof(cmd),
		 "rm -f %s/v2/datasets/ns/A/000000000004.json", root);
	CHECK(system(cmd) == 0);
	make_version(&v, "2020-01-04", 4);
	CHECK_RC(lyb_catalog_publish(cat, "ns.A", &v, id, &existed, err,
				     sizeof(err)),
		 0);
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(!is_bad(cat, "ns.A", NULL));
}

/*
 * An entry planted far past the journal's tail, where a writer probing
 * from the checkpoint lands: writers append after it, leaving a hole no
 * writer fills. Readers must not stop at the hole (every mount would
 * stop seeing changes, revocations included), and must still see a
 * writer that appends at the old tail.
 */
static void test_journal_hole(struct lyb_catalog *cat)
{
	char err[512], id[LYB_ID_MAX + 1];
	unsigned long long t = journal_tail(), p = 1;
	struct lyb_catalog *stale, *fresh;
	struct lyb_version v;
	int existed, i, before_b = count_versions(cat, "ns.B", NULL),
			before_a = count_versions(cat, "ns.A", NULL);

	CHECK_RC(lyb_catalog_open(url, 0, &stale), 0);
	CHECK_RC(lyb_catalog_refresh(stale, NULL), 0); /* at the tail */
	while (p - 1 <= t + 1) /* a writer probes 1, 3, 7, ..., 2^k - 1 */
		p *= 2;
	announce(p - 1, "ns.Ghost", 1);
	/* a writer that starts from the checkpoint appends after it */
	CHECK_RC(lyb_catalog_open(url, 0, &fresh), 0);
	make_version(&v, "2020-02-01", 20);
	CHECK_RC(lyb_catalog_publish(fresh, "ns.B", &v, id, &existed, err,
				     sizeof(err)),
		 0);
	lyb_catalog_close(fresh);
	CHECK(journal_tail() == t); /* the hole */
	for (i = 0; i < 32; i++)
		CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(count_versions(cat, "ns.B", NULL) == before_b + 1);
	/* a writer that appends at the old tail fills the hole: seen too */
	make_version(&v, "2020-02-02", 21);
	CHECK_RC(lyb_catalog_publish(stale, "ns.A", &v, id, &existed, err,
				     sizeof(err)),
		 0);
	CHECK(journal_tail() == t + 1);
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(count_versions(cat, "ns.A", NULL) == before_a + 1);
	lyb_catalog_close(stale);
	/* a new mount (no checkpoint) gets past the hole too */
	CHECK_RC(lyb_catalog_open(url, 0, &fresh), 0);
	for (i = 0; i < 5; i++) /* no wait for the idle check */
		CHECK_RC(lyb_catalog_refresh(fresh, NULL), 0);
	CHECK(count_versions(fresh, "ns.B", NULL) == before_b + 1);
	CHECK(count_versions(fresh, "ns.A", NULL) == before_a + 1);
	lyb_catalog_close(fresh);
}

/* Every page file under @dir: at most @max bytes; counts them. */
static int pages_under(const char *dir, size_t max, size_t *npages)
{
	char cmd[1200], line[1200];
	FILE *f;
	int ok = 1;

	snprintf(cmd, sizeof(cmd), "find %s -path '*/p/*' -name '*.json'", dir);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		struct stat st;

		line[strcspn(line, "\n")] = '\0';
		if (stat(line, &st) != 0 || (size_t)st.st_size > max)
			ok = 0;
		(*npages)++;
	}
	pclose(f);
	return ok;
}

/*
 * Tree splits: 1,100 versions (past one leaf's 1,024; LYB_TEST_SPLITS=5000 for
 * more) published one by one into one DataSet (over many dates, some out of
 * order) all read back, in order, and no page is over the leaf size by more
 * than one entry.
 */
static void test_splits(struct lyb_catalog *cat, int n)
{
	char err[512], id[LYB_ID_MAX + 1], dir[600];
	struct lyb_dataset spec = {0}, *ds, *p = NULL;
	struct lyb_datelist *dl = NULL;
	struct lyb_snap *snap;
	struct lyb_version v;
	size_t npages = 0, i, total = 0;
	int existed, k, order = 1;

	spec.name = "ns.Big";
	spec.owner = "group:team";
	spec.created = 1600000000;
	CHECK_RC(lyb_catalog_create(cat, &spec, err, sizeof(err)), 0);
	for (k = 0; k < n; k++) {
		char date[16];
		/* 50 dates; every 7th version lands on an older date */
		int d = k % 7 == 3 ? (k / 100) / 2 : k / 100;

		snprintf(date, sizeof(date), "2021-%02d-%02d", 1 + d / 28,
			 1 + d % 28);
		make_version(&v, date, 10000 + k);
		v.published = 1600000000 + k;
		if (lyb_catalog_publish(cat, "ns.Big", &v, id, &existed, err,
					sizeof(err)) != 0 ||
		    existed) {
			CHECK(!"publish");
			fprintf(stderr, "version %d: %s\n", k, err);
			break;
		}
	}
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	snap = lyb_catalog_snap(cat);
	ds = lyb_snap_find(snap, "ns.Big");
	CHECK(ds && ds->count_versions == (uint64_t)n);
	CHECK(ds && lyb_dataset_dates(ds, &dl) == 0);
	for (i = 0; dl && i < dl->n; i++) {
		size_t j;

		total += dl->d[i].count;
		if (i)
			order &= strcmp(dl->d[i - 1].date, dl->d[i].date) < 0;
		CHECK(lyb_dataset_part(ds, dl->d[i].date, &p) == 0);
		if (!p)
			continue;
		CHECK(p->nversions == dl->d[i].count);
		for (j = 0; j < p->nversions; j++) {
			CHECK_STR(p->versions[j].date, dl->d[i].date);
			if (j) /* in publish order within a date */
				order &= p->versions[j - 1].published <=
					 p->versions[j].published;
		}
		lyb_dataset_unref(p);
		p = NULL;
	}
	CHECK(total == (size_t)n);
	CHECK(order);
	/* every version, in order */
	CHECK(ds && lyb_dataset_part(ds, NULL, &p) == 0);
	CHECK(p && p->nversions == (size_t)n);
	lyb_dataset_unref(p);
	lyb_datelist_unref(dl);
	lyb_snap_unref(snap);
	snprintf(dir, sizeof(dir), "%s/v2/datasets/ns/Big", root);
	CHECK(pages_under(dir, (512u << 10) + (1u << 20), &npages));
	CHECK(npages > 3); /* it did split */
}

static void create(struct lyb_catalog *cat, const char *name);

/* Runs bash @script in ns/P's prefix ($R: the v2 root); 0 on success. */
static int in_p(const char *script)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
		 "cd %s/v2/datasets/ns/P && export R=%s/v2 && bash -euc '%s'",
		 root, root, script);
	return system(cmd);
}

/*
 * Pages that lie, in commits that parse: a version filed under another
 * date's key, a chain of inner pages deeper than the cap, a page whose
 * bytes do not match its name. Every path below them fails (-EBADMSG),
 * none serves another date's version, nothing crashes.
 */
static void test_pages(struct lyb_catalog *cat)
{
	struct lyb_dataset *ds, *p;
	struct lyb_snap *snap;
	struct lyb_version v;
	char err[512], id[LYB_ID_MAX + 1];
	int existed, i;
	/* new commit N + 1 of ns.P with versions root $h, announced */
	const char *commit =
		"c=$(ls 0*.json | sort | tail -1); n=$((10#${c%.json} + 1)); "
		"jq -c --arg h $h --argjson n $n "
		"\".trees.versions.root = \\$h | .seq = \\$n\" $c "
		"> $(printf %012d $n).json; "
		/* at the tail, past the hole test_journal_hole left */
		"g=$(ls $R/journal | sort | tail -1); g=$((10#${g%.json} + 1)); "
		"printf \"{\\\"lybrary\\\":2,\\\"seq\\\":$g,"
		"\\\"dataset\\\":\\\"ns.P\\\",\\\"commit\\\":$n}\" "
		"> $R/journal/$(printf %020d $g).json";
	char script[3072];

	create(cat, "ns.P");
	make_version(&v, "2020-03-01", 77);
	CHECK_RC(lyb_catalog_publish(cat, "ns.P", &v, id, &existed, err,
				     sizeof(err)),
		 0);
	/* misfiled: the leaf's entry for 2020-03-01 holds a 2020-03-05 one */
	snprintf(script, sizeof(script),
		 "c=$(ls 0*.json | sort | tail -1); "
		 "r=$(jq -r .trees.versions.root $c); "
		 "jq -c \".entries[0].v.date = \\\"2020-03-05\\\"\" "
		 "p/${r:0:2}/$r.json > ../x; "
		 "h=$(sha256sum ../x | cut -c1-64); mkdir -p p/${h:0:2}; "
		 "mv ../x p/${h:0:2}/$h.json; %s",
		 commit);
	CHECK(in_p(script) == 0);
	for (i = 0; i < 3; i++)
		CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	snap = lyb_catalog_snap(cat);
	ds = lyb_snap_find(snap, "ns.P");
	CHECK(ds && ds->f2 != NULL);
	p = NULL;
	CHECK(ds && lyb_dataset_part(ds, "2020-03-01", &p) < 0);
	lyb_dataset_unref(p);
	p = NULL;
	CHECK(ds && (lyb_dataset_part(ds, "2020-03-05", &p) < 0 ||
		     p->nversions == 0));
	lyb_dataset_unref(p);
	lyb_snap_unref(snap);

	/* 9 inner pages, each the only child of the one above */
	snprintf(script, sizeof(script),
		 "c=$(ls 0*.json | sort | tail -1); "
		 "h=$(jq -r .trees.versions.root $c); "
		 "k=$(jq -r \".entries[0].k\" p/${h:0:2}/$h.json); "
		 "for i in 1 2 3 4 5 6 7 8 9; do "
		 "printf \"{\\\"lybrary\\\":2,\\\"kind\\\":"
		 "\\\"versions\\\",\\\"level\\\":1,"
		 "\\\"entries\\\":[{\\\"k\\\":\\\"$k\\\","
		 "\\\"n\\\":1,\\\"p\\\":\\\"$h\\\"}]}\" "
		 "> ../x; h=$(sha256sum ../x | cut -c1-64); "
		 "mkdir -p p/${h:0:2}; mv ../x p/${h:0:2}/$h.json; done; %s",
		 commit);
	CHECK(in_p(script) == 0);
	for (i = 0; i < 3; i++)
		CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	snap = lyb_catalog_snap(cat);
	ds = lyb_snap_find(snap, "ns.P");
	p = NULL;
	CHECK(ds && lyb_dataset_part(ds, "2020-03-01", &p) == -EBADMSG);
	lyb_dataset_unref(p);
	lyb_snap_unref(snap);

	/* a page whose bytes are not its name: a fresh view refuses it */
	CHECK(in_p("c=$(ls 0*.json | sort | tail -1); "
		   "h=$(jq -r .trees.versions.root $c); "
		   "printf x >> p/${h:0:2}/$h.json") == 0);
	{
		struct lyb_catalog *c;

		CHECK_RC(lyb_catalog_open(url, 0, &c), 0);
		CHECK_RC(lyb_catalog_refresh(c, NULL), 0);
		snap = lyb_catalog_snap(c);
		ds = lyb_snap_find(snap, "ns.P");
		p = NULL;
		CHECK(ds && lyb_dataset_part(ds, "2020-03-01", &p) == -EBADMSG);
		lyb_dataset_unref(p);
		lyb_snap_unref(snap);
		lyb_catalog_close(c);
	}
}

static void create(struct lyb_catalog *cat, const char *name)
{
	struct lyb_dataset spec = {0};
	char err[512];

	spec.name = (char *)name;
	spec.owner = "group:team";
	spec.created = 1600000000;
	CHECK_RC(lyb_catalog_create(cat, &spec, err, sizeof(err)), 0);
}

/* Publishes versions @first.. of @name until killed or @n are done. */
static void publisher(const char *name, int first, int n)
{
	struct lyb_catalog *c;
	struct lyb_version v;
	char err[512], id[LYB_ID_MAX + 1];
	int k, existed, bad = 0;

	if (lyb_catalog_open(url, 0, &c))
		_exit(2);
	for (k = 0; k < n; k++) {
		make_version(&v, k % 2 ? "2022-01-01" : "2022-01-02",
			     first + k);
		if (lyb_catalog_publish(c, name, &v, id, &existed, err,
					sizeof(err)) ||
		    existed)
			bad = 1;
	}
	lyb_catalog_close(c);
	_exit(bad);
}

/* A new mount's view of @name: every version loads; how many. */
static int fresh_count(const char *name)
{
	struct lyb_catalog *c;
	int n = -1, rc = 0, i;

	if (lyb_catalog_open(url, 0, &c))
		return -1;
	for (i = 0; i < 8 && rc == 0; i++) /* 4,096 entries a refresh */
		rc = lyb_catalog_refresh(c, NULL);
	if (rc == 0 && !is_bad(c, name, NULL))
		n = count_versions(c, name, NULL);
	lyb_catalog_close(c);
	return n;
}

/*
 * Writers at once: 8 parallel publishes of distinct content give 8
 * versions; a writer killed at random points of a publish loop leaves
 * the catalog readable with only whole versions; a revoke racing
 * publishes is never lost.
 */
static void test_writers(struct lyb_catalog *cat)
{
	char err[512];
	int i, status, n, round;
	pid_t pid;

	create(cat, "ns.Conc");
	for (i = 0; i < 8; i++)
		if (fork() == 0)
			publisher("ns.Conc", 1000 * (i + 1), 1);
	for (i = 0; i < 8; i++) {
		CHECK(wait(&status) > 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK(fresh_count("ns.Conc") == 8);

	/* kill -9 mid-publish, 12 times at random points */
	create(cat, "ns.Kill");
	srand((unsigned)getpid());
	for (round = 0; round < 12; round++) {
		int before = fresh_count("ns.Kill");

		pid = fork();
		if (pid == 0)
			publisher("ns.Kill", 100000 * (round + 1), 1000);
		usleep(20000 + (useconds_t)(rand() % 150000));
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid);
		n = fresh_count("ns.Kill");
		CHECK(n >= before && n >= 0);
	}
	/* and the DataSet is not wedged: a publish after it works */
	pid = fork();
	if (pid == 0)
		publisher("ns.Kill", 9000000, 2);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	n = fresh_count("ns.Kill");
	CHECK(n >= 2);
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(count_versions(cat, "ns.Kill", NULL) == n);

	/* a revoke racing 4 publishers */
	create(cat, "ns.Race");
	CHECK_RC(lyb_catalog_update(cat, "ns.Race", add_reader,
				    "user:x@example.com", err, sizeof(err)),
		 0);
	for (i = 0; i < 4; i++)
		if (fork() == 0)
			publisher("ns.Race", 500000 + 1000 * i, 6);
	usleep(50000);
	CHECK_RC(lyb_catalog_update(cat, "ns.Race", drop_reader,
				    "user:x@example.com", err, sizeof(err)),
		 0);
	for (i = 0; i < 4; i++) {
		CHECK(wait(&status) > 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(!has_reader(cat, "ns.Race", "user:x@example.com"));
	CHECK(count_versions(cat, "ns.Race", NULL) == 24);
	{
		struct lyb_catalog *c;

		CHECK_RC(lyb_catalog_open(url, 0, &c), 0);
		CHECK_RC(lyb_catalog_refresh(c, NULL), 0);
		CHECK(!has_reader(c, "ns.Race", "user:x@example.com"));
		lyb_catalog_close(c);
	}
}

int main(void)
{
	struct lyb_dataset spec = {0};
	struct lyb_catalog *cat;
	struct lyb_version v;
	char err[512], id[LYB_ID_MAX + 1], cmd[600];
	const char *part;
	int existed;

	CHECK(mkdtemp(root) != NULL);
	snprintf(url, sizeof(url), "file://%s", root);
	CHECK_RC(lyb_catalog_open(url, 2, &cat), 0);
	CHECK(lyb_catalog_format(cat) == 2);
	spec.owner = "group:team";
	spec.created = 1600000000;
	spec.name = "ns.A";
	CHECK_RC(lyb_catalog_create(cat, &spec, err, sizeof(err)), 0);
	spec.name = "ns.B";
	CHECK_RC(lyb_catalog_create(cat, &spec, err, sizeof(err)), 0);
	make_version(&v, "2020-01-01", 1);
	CHECK_RC(lyb_catalog_publish(cat, "ns.A", &v, id, &existed, err,
				     sizeof(err)),
		 0);
	CHECK_RC(lyb_catalog_publish(cat, "ns.B", &v, id, &existed, err,
				     sizeof(err)),
		 0);
	CHECK_RC(lyb_catalog_refresh(cat, NULL), 0);
	CHECK(count_versions(cat, "ns.A", NULL) == 1);

	/* LYB_TEST_PART: "rules" (unit/test_catalog2) or "splits" (the
	 * scale test, tests/CMakeLists.txt); unset, both */
	part = getenv("LYB_TEST_PART");
	if (!part || strcmp(part, "splits") != 0) {
		test_journal(cat);
		test_bad_commit(cat);
		test_journal_hole(cat);
		test_writers(cat);
		test_pages(cat);
	}
	if (!part || strcmp(part, "rules") != 0)
		test_splits(cat,
			    getenv("LYB_TEST_SPLITS")
				    ? (int)strtol(getenv("LYB_TEST_SPLITS"),
						  NULL, 10)
				    : 1100);

	lyb_catalog_close(cat);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
	return check_failures ? 1 : 0;
}
