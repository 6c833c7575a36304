// SPDX-License-Identifier: Apache-2.0
/*
 * test_config.c - the configuration file: a good file with every key,
 * comments and blanks; each kind of error names FILE:LINE and the key;
 * the size caps; -o style lyb_config_set() over a loaded file; every key
 * of the table, with a good and a bad value, through lyb_config_set_opt(),
 * the path lybfs's -o KEY=VALUE takes; inline comments; the nearest key
 * for "did you mean"; log=FILE; the addresses metrics_listen (and lyb
 * serve --listen) take.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "lyb/config.h"

static char dir[] = "/tmp/lyb-test-config.XXXXXX";
static char path[sizeof(dir) + 16];

static void put(const char *text, size_t len)
{
	FILE *f = fopen(path, "we");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

/* Loads @text into a fresh config; returns the result, fills @err. */
static int load(const char *text, struct lyb_config *cfg,
		struct lyb_config_err *err)
{
	put(text, strlen(text));
	lyb_config_free(cfg);
	lyb_config_init(cfg);
	memset(err, 0, sizeof(*err));
	return lyb_config_load(cfg, path, err);
}

/* @text fails with -EINVAL at line @line, and the reason mentions @why. */
static void expect_error(const char *text, unsigned int line, const char *why)
{
	struct lyb_config cfg;
	struct lyb_config_err err;
	char where[sizeof(path) + 16];

	lyb_config_init(&cfg);
	CHECK_RC(load(text, &cfg, &err), -EINVAL);
	snprintf(where, sizeof(where), "%s:%u", path, line);
	CHECK_STR(err.where, where);
	if (!strstr(err.why, why)) {
		fprintf(stderr, "error '%s' does not mention '%s'\n", err.why,
			why);
		check_failures++;
	}
	lyb_config_free(&cfg);
}

static void test_good(void)
{
	struct lyb_config cfg;
	struct lyb_config_err err;

	lyb_config_init(&cfg);
	CHECK(cfg.refresh == 2 && cfg.ttl == 1);
	CHECK(cfg.log_level == LYB_LOG_INFO && cfg.log == LYB_CONFIG_LOG_AUTO);
	CHECK(!cfg.catalog && !cfg.allow_other && cfg.given == 0);

	CHECK_RC(load("# lybfs and lyb\n"
		      "\n"
		      "catalog = gs://bucket/prefix\n"
		      "   refresh=0.5   \n"
		      "\t# indented comment\n"
		      "ttl = 0\r\n"
		      "log_level = debug\n"
		      "log = syslog\n"
		      "allow_other = yes", /* no final newline */
		      &cfg, &err),
		 0);
	CHECK_STR(cfg.catalog, "gs://bucket/prefix");
	CHECK(cfg.refresh == 0.5);
	CHECK(cfg.ttl == 0);
	CHECK(cfg.log_level == LYB_LOG_DEBUG);
	CHECK(cfg.log == LYB_CONFIG_LOG_SYSLOG);
	CHECK(cfg.allow_other == 1);
	CHECK(cfg.given ==
	      (LYB_CONFIG_CATALOG | LYB_CONFIG_REFRESH | LYB_CONFIG_TTL |
	       LYB_CONFIG_LOG_LEVEL | LYB_CONFIG_LOG | LYB_CONFIG_ALLOW_OTHER));

	/* -o options go through the same setter and override the file */
	CHECK_RC(lyb_config_set(&cfg, "refresh", "7", &err), 0);
	CHECK(cfg.refresh == 7);
	CHECK_RC(lyb_config_set(&cfg, "catalog", "/var/lib/x", &err), 0);
	CHECK_STR(cfg.catalog, "file:///var/lib/x");
	CHECK_RC(lyb_config_set(&cfg, "log", "stderr", &err), 0);
	CHECK(cfg.log == LYB_CONFIG_LOG_STDERR);
	CHECK_RC(lyb_config_set(&cfg, "nope", "1", &err), -ENOENT);
	CHECK(strstr(err.why, "unknown key 'nope'") != NULL);
	CHECK_RC(lyb_config_set(&cfg, "ttl", "-1", &err), -EINVAL);
	CHECK(cfg.ttl == 0); /* a bad value changes nothing */
	/* a count: whole numbers in range only */
	CHECK(cfg.max_open_per_uid == LYB_CONFIG_OPEN_PER_UID_DEFAULT);
	CHECK_RC(lyb_config_set(&cfg, "max_open_per_uid", "200", &err), 0);
	CHECK(cfg.max_open_per_uid == 200);
	CHECK_RC(lyb_config_set(&cfg, "max_open_per_uid", "0", &err), -EINVAL);
	CHECK_RC(lyb_config_set(&cfg, "max_open_per_uid", "-5", &err), -EINVAL);
	CHECK_RC(lyb_config_set(&cfg, "max_open_per_uid", "12x", &err),
		 -EINVAL);
	CHECK_RC(lyb_config_set(&cfg, "max_open_per_uid", "2000000", &err),
		 -EINVAL);
	CHECK_RC(lyb_config_set(&cfg, "max_open_per_uid",
				"99999999999999999999999", &err),
		 -EINVAL);
	CHECK(strstr(err.why, "whole number") != NULL);
	CHECK(cfg.max_open_per_uid == 200);
	lyb_config_free(&cfg);

	/* the store and cache keys */
	CHECK_RC(load("gcs_endpoint = http://127.0.0.1:4443\n"
		      "gcs_credentials = anonymous\n"
		      "cache_mem = 512M\n"
		      "cache_dir = /var/cache/lybfs\n"
		      "cache_size = 2g\n"
		      "readahead = 4096\n",
		      &cfg, &err),
		 0);
	CHECK_STR(cfg.gcs_endpoint, "http://127.0.0.1:4443");
	CHECK_STR(cfg.gcs_credentials, "anonymous");
	CHECK(cfg.cache_mem == 512ull << 20);
	CHECK_STR(cfg.cache_dir, "/var/cache/lybfs");
	CHECK(cfg.cache_size == 2ull << 30);
	CHECK(cfg.readahead == 4096);
	CHECK_RC(lyb_config_set(&cfg, "cache_mem", "1T", &err), 0);
	CHECK(cfg.cache_mem == 1ull << 40);
	lyb_config_free(&cfg);

	/* an empty file and a comments-only file are fine */
	CHECK_RC(load("", &cfg, &err), 0);
	CHECK(cfg.given == 0);
	CHECK_RC(load("# nothing\n\n  \n", &cfg, &err), 0);
	CHECK(cfg.given == 0);
	lyb_config_free(&cfg);
	lyb_config_free(NULL);
}

static void test_errors(void)
{
	char *big, *line;
	struct lyb_config cfg;
	struct lyb_config_err err;
	size_t n;

	expect_error("catalog = file:///x\nfrobnicate = 1\n", 2,
		     "unknown key 'frobnicate'");
	expect_error("# c\nrefresh = 1\nno equals sign here\n", 3,
		     "expected KEY = VALUE");
	expect_error("ttl = 1\n\nttl = 2\n", 3,
		     "ttl: given twice (first on "
		     "line 1)");
	expect_error("refresh = soon\n", 1, "refresh: expected seconds");
	expect_error("refresh = 0.01\n", 1, "refresh: expected seconds");
	expect_error("refresh = 1e9\n", 1, "refresh: expected seconds");
	expect_error("ttl = nan\n", 1, "ttl: expected seconds");
	expect_error("ttl = 5s\n", 1, "ttl: expected seconds");
	expect_error("log_level = loud\n", 1, "log_level: expected err, warn");
	expect_error("log = journal\n", 1, "log: expected stderr or syslog");
	expect_error("allow_other = maybe\n", 1, "allow_other: expected yes");
	expect_error("cache_mem = lots\n", 1, "cache_mem: expected a size");
	expect_error("cache_mem = 0\n", 1, "cache_mem: expected a size");
	expect_error("cache_size = -5G\n", 1, "cache_size: expected a size");
	expect_error("readahead = 64MB\n", 1, "readahead: expected a size");
	expect_error("readahead = 99999999999T\n", 1, "readahead: expected");
	expect_error("cache_dir = cache\n", 1,
		     "cache_dir: expected an absolute");
	expect_error("\n\ncatalog =\n", 3, "catalog: empty value");
	expect_error("catalog = relative/dir\n", 1, "catalog: 'relative/dir'");
	expect_error("catalog = file:///x\n = 3\n", 2, "unknown key ''");
	/* keys are exact: no case folding, no -o spelling */
	expect_error("Catalog = file:///x\n", 1, "unknown key 'Catalog'");
	expect_error("config = /etc/other.conf\n", 1, "unknown key 'config'");

	/* a NUL byte */
	lyb_config_init(&cfg);
	put("ttl = 1\nrefresh\0 = 2\n", 22);
	CHECK_RC(lyb_config_load(&cfg, path, &err), -EINVAL);
	CHECK(strstr(err.where, ":2") && strstr(err.why, "NUL"));

	/* a line over the cap */
	n = LYB_CONFIG_LINE_MAX + 16;
	line = malloc(n + 32);
	CHECK(line != NULL);
	memcpy(line, "# ok\ncatalog = file:///", 23);
	memset(line + 23, 'a', n);
	memcpy(line + 23 + n, "\n", 2);
	put(line, strlen(line));
	CHECK_RC(lyb_config_load(&cfg, path, &err), -EINVAL);
	CHECK(strstr(err.where, ":2") && strstr(err.why, "longer than"));
	free(line);

	/* a file over the cap, even of comments */
	n = LYB_CONFIG_FILE_MAX + 1;
	big = malloc(n);
	CHECK(big != NULL);
	memset(big, '\n', n);
	big[0] = '#';
	put(big, n);
	CHECK_RC(lyb_config_load(&cfg, path, &err), -EFBIG);
	CHECK_STR(err.where, path);
	CHECK(strstr(err.why, "larger than") != NULL);
	free(big);

	/* missing file, and a directory */
	CHECK_RC(lyb_config_load(&cfg, "/nonexistent/lyb.conf", &err), -ENOENT);
	CHECK_STR(err.where, "/nonexistent/lyb.conf");
	CHECK_RC(lyb_config_load(&cfg, dir, &err), -EINVAL);
	CHECK(strstr(err.why, "not a regular file") != NULL);
	lyb_config_free(&cfg);
}

static void test_path_and_help(void)
{
	char *help = NULL;
	size_t len = 0;
	int named = -1;
	FILE *f;

	unsetenv("LYB_CONFIG");
	CHECK_STR(lyb_config_path(&named), "/etc/lyb/lyb.conf");
	CHECK(named == 0);
	setenv("LYB_CONFIG", "", 1);
	CHECK_STR(lyb_config_path(&named), "/etc/lyb/lyb.conf");
	CHECK(named == 0);
	setenv("LYB_CONFIG", "/srv/lyb.conf", 1);
	CHECK_STR(lyb_config_path(&named), "/srv/lyb.conf");
	CHECK(named == 1);

	f = open_memstream(&help, &len);
	CHECK(f != NULL);
	lyb_config_print_help(f);
	fclose(f);
	CHECK(strstr(help, "-o catalog=URL") != NULL);
	CHECK(strstr(help, "-o refresh=SECONDS") != NULL);
	CHECK(strstr(help, "-o ttl=SECONDS") != NULL);
	CHECK(strstr(help, "-o log_level=LEVEL") != NULL);
	CHECK(strstr(help, "-o log=stderr|syslog") != NULL);
	CHECK(strstr(help, "-o allow_other=yes|no") != NULL);
	free(help);
}

/*
 * Every key: a good value and a bad one. A key of the table without a row
 * here fails the test, so a new key cannot go untested.
 */
static const struct {
	const char *key, *good, *bad;
	unsigned int bit;
} every_key[] = {
	{"catalog", "gs://bucket/p", "relative/dir", LYB_CONFIG_CATALOG},
	{"refresh", "7", "0.01", LYB_CONFIG_REFRESH},
	{"ttl", "5", "-1", LYB_CONFIG_TTL},
	{"log_level", "debug", "loud", LYB_CONFIG_LOG_LEVEL},
	{"log", "syslog", "journal", LYB_CONFIG_LOG},
	{"allow_other", "yes", "maybe", LYB_CONFIG_ALLOW_OTHER},
	{"gcs_endpoint", "http://127.0.0.1:4443", "", LYB_CONFIG_GCS_ENDPOINT},
	{"gcs_credentials", "anonymous", "", LYB_CONFIG_GCS_CREDENTIALS},
	{"gcs_timeout", "10", "0", LYB_CONFIG_GCS_TIMEOUT},
	{"gcs_http", "2", "h2c", LYB_CONFIG_GCS_HTTP},
	{"gcs_ca_file", "/etc/ssl/ca.pem", "ca.pem", LYB_CONFIG_GCS_CA_FILE},
	{"cache_mem", "512M", "lots", LYB_CONFIG_CACHE_MEM},
	{"catalog_mem", "128M", "lots", LYB_CONFIG_CATALOG_MEM},
	{"cache_dir", "/var/cache/lybfs", "cache", LYB_CONFIG_CACHE_DIR},
	{"cache_size", "2G", "-5G", LYB_CONFIG_CACHE_SIZE},
	{"readahead", "4096", "64MB", LYB_CONFIG_READAHEAD},
	{"domain", "example.com", "", LYB_CONFIG_DOMAIN},
	{"admin", "user:root@example.com,domain:example.com", "root",
	 LYB_CONFIG_ADMIN},
	{"acl_max_stale", "60", "86401", LYB_CONFIG_ACL_MAX_STALE},
	{"audit", "/var/log/a.log", "a.log", LYB_CONFIG_AUDIT},
	{"control", "/run/lyb.sock", "lyb.sock", LYB_CONFIG_CONTROL},
	{"file_roots", "/srv/data:/srv/more", "srv", LYB_CONFIG_FILE_ROOTS},
	{"max_open_per_uid", "200", "0", LYB_CONFIG_MAX_OPEN_PER_UID},
	{"metrics_listen", "127.0.0.1:9110", "localhost:9110",
	 LYB_CONFIG_METRICS_LISTEN},
};
#define NEVERY (sizeof(every_key) / sizeof(every_key[0]))

static void test_every_key(void)
{
	struct lyb_config fresh, cfg;
	struct lyb_config_err err;
	char opt[256], where[300], why[80], *help = NULL;
	size_t i, j, len = 0;
	unsigned int bits = 0;
	FILE *f;

	f = open_memstream(&help, &len);
	CHECK(f != NULL);
	lyb_config_print_help(f);
	fclose(f);
	/* the table's keys are exactly the rows above, each in --help */
	for (i = 0; lyb_config_key_name(i); i++) {
		for (j = 0; j < NEVERY; j++)
			if (strcmp(every_key[j].key, lyb_config_key_name(i)) ==
			    0)
				break;
		if (j == NEVERY) {
			fprintf(stderr, "key '%s' has no row in every_key[]\n",
				lyb_config_key_name(i));
			check_failures++;
		}
		snprintf(opt, sizeof(opt),
			 "    -o %s=", lyb_config_key_name(i));
		CHECK(strstr(help, opt) != NULL);
	}
	CHECK(i == NEVERY);
	free(help);

	lyb_config_init(&fresh);
	for (i = 0; i < NEVERY; i++) {
		const char *k = every_key[i].key;

		CHECK((bits & every_key[i].bit) == 0); /* one bit per key */
		bits |= every_key[i].bit;

		/* good: -o KEY=GOOD sets the key, and only it */
		snprintf(opt, sizeof(opt), "%s=%s", k, every_key[i].good);
		CHECK(lyb_config_is_opt(opt) == 1);
		lyb_config_init(&cfg);
		CHECK_RC(lyb_config_set_opt(&cfg, opt, &err), 0);
		snprintf(where, sizeof(where), "-o %s", opt);
		CHECK_STR(err.where, where);
		CHECK(cfg.given == every_key[i].bit);
		CHECK(memcmp(&cfg, &fresh,
			     offsetof(struct lyb_config, given)) != 0);
		lyb_config_free(&cfg);

		/* bad: -EINVAL naming the option and the key, nothing set */
		snprintf(opt, sizeof(opt), "%s=%s", k, every_key[i].bad);
		CHECK(lyb_config_is_opt(opt) == 1);
		lyb_config_init(&cfg);
		CHECK_RC(lyb_config_set_opt(&cfg, opt, &err), -EINVAL);
		snprintf(where, sizeof(where), "-o %s", opt);
		CHECK_STR(err.where, where);
		snprintf(why, sizeof(why), "%s: ", k);
		if (strncmp(err.why, why, strlen(why)) != 0) {
			fprintf(stderr, "-o %s: error '%s' does not name %s\n",
				opt, err.why, k);
			check_failures++;
		}
		CHECK(memcmp(&cfg, &fresh, sizeof(cfg)) == 0);
		lyb_config_free(&cfg);
	}
	lyb_config_free(&fresh);

	/* what is not KEY=VALUE of the table is libfuse's, or unknown */
	CHECK(lyb_config_is_opt("allow_other") == 0);
	CHECK(lyb_config_is_opt("fsname=x") == 0);
	CHECK(lyb_config_is_opt("config=/etc/x.conf") == 0);
	CHECK(lyb_config_is_opt("tt=1") == 0);
	CHECK(lyb_config_is_opt("ttlx=1") == 0);
	CHECK(lyb_config_is_opt("=1") == 0);
	lyb_config_init(&cfg);
	CHECK_RC(lyb_config_set_opt(&cfg, "nope=1", &err), -ENOENT);
	CHECK(strstr(err.why, "unknown key 'nope'") != NULL);
	CHECK_RC(lyb_config_set_opt(&cfg, "ttl", &err), -ENOENT);
	CHECK(strstr(err.why, "unknown key 'ttl'") != NULL);
	CHECK(cfg.given == 0);

	/* the defaults come from the table; free walks it back to them */
	CHECK(cfg.refresh == 2 && cfg.ttl == 1 && cfg.acl_max_stale == 300);
	CHECK(cfg.max_open_per_uid == LYB_CONFIG_OPEN_PER_UID_DEFAULT);
	CHECK(cfg.log_level == LYB_LOG_INFO && cfg.gcs_timeout == 0);
	CHECK_RC(lyb_config_set_opt(&cfg, "catalog=/srv/cat", &err), 0);
	CHECK_RC(lyb_config_set_opt(&cfg, "admin=user:a@x.com", &err), 0);
	CHECK_RC(lyb_config_set_opt(&cfg, "file_roots=none", &err), 0);
	lyb_config_free(&cfg);
	CHECK(!cfg.catalog && !cfg.file_roots && cfg.nadmins == 0);
}

/* log=FILE: an absolute path, kept; anything else refused. */
static void test_log_file(void)
{
	struct lyb_config cfg;
	struct lyb_config_err err;

	lyb_config_init(&cfg);
	CHECK_RC(lyb_config_set(&cfg, "log", "/var/log/lybfs.log", &err), 0);
	CHECK(cfg.log == LYB_CONFIG_LOG_FILE);
	CHECK_STR(cfg.log_file, "/var/log/lybfs.log");
	CHECK_RC(lyb_config_set(&cfg, "log", "lybfs.log", &err), -EINVAL);
	CHECK(strstr(err.why, "absolute path") != NULL);
	CHECK(cfg.log == LYB_CONFIG_LOG_FILE); /* unchanged */
	CHECK_RC(lyb_config_set(&cfg, "log", "syslog", &err), 0);
	CHECK(cfg.log == LYB_CONFIG_LOG_SYSLOG && !cfg.log_file);
	CHECK_RC(lyb_config_set(&cfg, "log", "/a", &err), 0);
	CHECK_RC(lyb_config_set(&cfg, "log", "/b", &err), 0);
	CHECK_STR(cfg.log_file, "/b");
	lyb_config_free(&cfg);
	CHECK(!cfg.log_file);
}

/* Listening addresses: numeric, with a port; off by default. */
static void test_listen(void)
{
	static const char *const good[] = {
		"127.0.0.1:9110", "[::1]:9110", "0.0.0.0:1",
		"[::]:65535",	  "9110",	"::1:9110",
	};
	static const char *const bad[] = {
		"localhost:9110", "127.0.0.1:0",   "127.0.0.1:65536",
		"127.0.0.1:",	  "[::1]9110",	   "127.0.0.1:+80",
		"1.2.3.4:80x",	  "1.2.3:80",	   "[::1:9110",
		":9110",	  "127.0.0.1: 80", "999.0.0.1:80",
	};
	struct lyb_config cfg;
	struct lyb_config_err err;
	struct sockaddr_storage sa;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (lyb_config_parse_listen(good[i], &sa) != 0) {
			fprintf(stderr, "listen '%s' refused\n", good[i]);
			check_failures++;
		}
	CHECK_RC(lyb_config_parse_listen("[::1]:9110", &sa), 0);
	CHECK(sa.ss_family == AF_INET6);
	CHECK(ntohs(((struct sockaddr_in6 *)&sa)->sin6_port) == 9110);
	CHECK_RC(lyb_config_parse_listen("9110", &sa), 0);
	CHECK(sa.ss_family == AF_INET &&
	      ((struct sockaddr_in *)&sa)->sin_addr.s_addr ==
		      htonl(INADDR_LOOPBACK));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lyb_config_parse_listen(bad[i], &sa) != -EINVAL) {
			fprintf(stderr, "listen '%s' taken\n", bad[i]);
			check_failures++;
		}

	lyb_config_init(&cfg);
	CHECK(!cfg.metrics_listen); /* off by default */
	CHECK_RC(lyb_config_set(&cfg, "metrics_listen", "[::1]:9110", &err), 0);
	CHECK_STR(cfg.metrics_listen, "[::1]:9110");
	CHECK_RC(lyb_config_set(&cfg, "metrics_listen", "host:1", &err),
		 -EINVAL);
	CHECK(strstr(err.why, "numeric") != NULL);
	CHECK_STR(cfg.metrics_listen, "[::1]:9110"); /* unchanged */
	lyb_config_free(&cfg);
	CHECK(!cfg.metrics_listen);
}

/* An inline "# comment" after a blank ends the value; a '#' inside stays. */
static void test_inline_comments(void)
{
	struct lyb_config cfg;
	struct lyb_config_err err;

	lyb_config_init(&cfg);
	CHECK_RC(load("catalog = gs://b/p   # the bucket\n"
		      "refresh = 5 # seconds\n"
		      "log_level = debug\t# chatty\n"
		      "domain = thecompany.com#notacomment\n"
		      "admin = user:a@thecompany.com #\n"
		      "audit = /var/log/lyb#1/audit.log\n",
		      &cfg, &err),
		 0);
	CHECK_STR(cfg.catalog, "gs://b/p");
	CHECK(cfg.refresh == 5);
	CHECK(cfg.log_level == LYB_LOG_DEBUG);
	CHECK_STR(cfg.domain, "thecompany.com#notacomment");
	CHECK_STR(cfg.audit, "/var/log/lyb#1/audit.log");
	lyb_config_free(&cfg);
	/* a comment where the value would be: no value */
	expect_error("refresh = # none\n", 1, "refresh");
	/* a comment where the key would be: the line needs '=' still */
	expect_error("catalog = gs://b/p\nrefresh # = 5\n", 2,
		     "expected KEY = VALUE");
}

static void test_nearest(void)
{
	static const char *const extra[] = {"fsname", "noatime", NULL};
	struct lyb_config cfg;
	struct lyb_config_err err;

	CHECK_STR(lyb_config_nearest("refersh", NULL), "refresh");
	CHECK_STR(lyb_config_nearest("refrsh", NULL), "refresh");
	CHECK_STR(lyb_config_nearest("REFRESH", NULL), "refresh");
	CHECK_STR(lyb_config_nearest("catalgo", NULL), "catalog");
	CHECK_STR(lyb_config_nearest("alow_other", NULL), "allow_other");
	CHECK_STR(lyb_config_nearest("cache-mem", NULL), "cache_mem");
	CHECK_STR(lyb_config_nearest("cache_szie", NULL), "cache_size");
	CHECK_STR(lyb_config_nearest("tll", NULL), "ttl");
	CHECK_STR(lyb_config_nearest("fsnme", extra), "fsname");
	CHECK_STR(lyb_config_nearest("noatim", extra), "noatime");
	CHECK(lyb_config_nearest("fsnme", NULL) == NULL);
	CHECK(lyb_config_nearest("xyzzy", NULL) == NULL);
	CHECK(lyb_config_nearest("", NULL) == NULL);
	CHECK(lyb_config_nearest("abc", NULL) == NULL);
	CHECK(lyb_config_nearest(
		      "refreshrefreshrefreshrefreshrefreshrefreshrefreshrefresh"
		      "refreshrefresh",
		      NULL) == NULL);
	/* the file's and -o's unknown-key errors say it too */
	lyb_config_init(&cfg);
	CHECK_RC(lyb_config_set(&cfg, "refersh", "5", &err), -ENOENT);
	CHECK(strstr(err.why, "unknown key 'refersh'; did you mean refresh?") !=
	      NULL);
	CHECK_RC(lyb_config_set(&cfg, "frobnicate", "5", &err), -ENOENT);
	CHECK(strstr(err.why, "did you mean") == NULL);
	lyb_config_free(&cfg);
	expect_error("refersh = 5\n", 1, "did you mean refresh?");
}

/*
 * The settings a mount leaves for lyb: written and read back alike,
 * refused when a value would not read back, filled into what a file
 * left unset; control = none.
 */
static void test_write_fill(void)
{
	const unsigned int keys = LYB_CONFIG_CATALOG | LYB_CONFIG_ADMIN |
				  LYB_CONFIG_CONTROL | LYB_CONFIG_AUDIT |
				  LYB_CONFIG_DOMAIN;
	struct lyb_config cfg, back, mine;
	struct lyb_config_err err;
	char *text = NULL;
	size_t len = 0;

	lyb_config_init(&cfg);
	CHECK_RC(lyb_config_set_opt(&cfg, "catalog=/srv/cat", &err), 0);
	CHECK_RC(lyb_config_set_opt(&cfg, "admin=user:a@x.com,group:g", &err),
		 0);
	CHECK_RC(lyb_config_set_opt(&cfg, "control=none", &err), 0);
	CHECK_STR(cfg.control, LYB_CONFIG_NONE);
	CHECK_RC(lyb_config_set_opt(&cfg, "refresh=5", &err), 0);
	CHECK_RC(lyb_config_write(&cfg, keys, &text, &len, &err), 0);
	/* given keys of the mask only, admin once per principal */
	CHECK_STR(text, "catalog = file:///srv/cat\nadmin = user:a@x.com\n"
			"admin = group:g\ncontrol = none\n");
	CHECK(len == strlen(text));
	lyb_config_init(&back);
	CHECK_RC(lyb_config_load_text(&back, text, len, "t", &err), 0);
	CHECK_STR(back.catalog, "file:///srv/cat");
	CHECK(back.nadmins == 2 &&
	      back.given == (keys & ~(unsigned)(LYB_CONFIG_AUDIT |
						LYB_CONFIG_DOMAIN)));
	free(text);
	/* a key whose value is not text cannot be written */
	CHECK_RC(lyb_config_write(&cfg, LYB_CONFIG_REFRESH, &text, &len, &err),
		 -EINVAL);
	CHECK(strstr(err.why, "refresh") != NULL);
	/* " #" would start a comment when read back: refused */
	CHECK_RC(lyb_config_set_opt(&cfg, "audit=/var/log/a #1.log", &err), 0);
	CHECK_RC(lyb_config_write(&cfg, keys, &text, &len, &err), -EINVAL);
	CHECK(strstr(err.why, "audit: its value does not read back") != NULL);
	CHECK(text == NULL);

	/* fill: the file's own keys win, the rest comes from the mount */
	lyb_config_init(&mine);
	CHECK_RC(lyb_config_set_opt(&mine, "admin=user:me@x.com", &err), 0);
	CHECK_RC(lyb_config_fill(&mine, &cfg, keys), 0);
	CHECK(mine.nadmins == 1);
	CHECK_STR(mine.admins[0], "user:me@x.com");
	CHECK_STR(mine.catalog, "file:///srv/cat");
	CHECK_STR(mine.control, "none");
	CHECK_STR(mine.audit, "/var/log/a #1.log");
	CHECK(mine.given == (LYB_CONFIG_ADMIN | LYB_CONFIG_CATALOG |
			     LYB_CONFIG_CONTROL | LYB_CONFIG_AUDIT));
	CHECK(mine.refresh == 2); /* not in the mask */
	CHECK_RC(lyb_config_fill(&mine, &cfg, LYB_CONFIG_REFRESH), -EINVAL);
	lyb_config_free(&mine);

	/* control is an absolute path or none */
	CHECK_RC(lyb_config_set_opt(&back, "control=run/x.sock", &err),
		 -EINVAL);
	CHECK(strstr(err.why, "an absolute path or none") != NULL);
	lyb_config_free(&back);
	lyb_config_free(&cfg);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/lyb.conf", dir);
	test_good();
	test_errors();
	test_path_and_help();
	test_every_key();
	test_inline_comments();
	test_nearest();
	test_write_fill();
	test_log_file();
	test_listen();
	unlink(path);
	rmdir(dir);
	return check_failures ? 1 : 0;
}
