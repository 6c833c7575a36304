// SPDX-License-Identifier: Apache-2.0
/*
 * config.c - /etc/lyb/lyb.conf and the -o options of lybfs: one table of
 * keys, one value parser per kind, one strict line reader. Adding a key
 * is one row in keys[] (and a field in struct lyb_config): the row names
 * the field (by offset), its kind, range and default, and setting,
 * defaults, freeing, --help and lybfs's -o options all walk the table.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lyb/buf.h"
#include "lyb/catalog.h"
#include "lyb/config.h"
#include "lyb/gcs.h"
#include "lyb/http.h"
#include "lyb/store.h"
#include "lyb/text.h"

/* What a value is, and the type of the field at the row's offset. */
enum kind {
	KIND_URL,      /* a catalog URL or absolute path, char * */
	KIND_SECONDS,  /* from min to max, double */
	KIND_LEVEL,    /* enum lyb_log_level */
	KIND_LOG,      /* enum lyb_config_log; a path also sets log_file */
	KIND_BOOL,     /* int */
	KIND_STRING,   /* char * */
	KIND_PATH,     /* an absolute path, char * */
	KIND_SIZE,     /* "512M" etc., uint64_t */
	KIND_ADMINS,   /* principals, comma-separated; repeatable, they add up;
			* admins[] and nadmins (no offset) */
	KIND_COUNT,    /* a whole number from min to max, unsigned */
	KIND_ROOTS,    /* "none" or absolute directories, ':'-separated;
			* char * */
	KIND_PATH_OFF, /* an absolute path, or "none"; char * */
	KIND_LISTEN,   /* a numeric address and port (lyb_config_parse_listen),
			* char * */
	KIND_HTTP,     /* "1.1" or "2" (parse_http), char * */
};

#define AT(field) offsetof(struct lyb_config, field)
#define STR_(x) #x
#define STR(x) STR_(x) /* a number macro as a string */

static const struct key {
	const char *name;
	enum lyb_config_key bit;
	enum kind kind;
	double min, max; /* KIND_SECONDS, KIND_COUNT */
	const char *arg, *help;
	size_t off;	 /* the field; every kind but KIND_ADMINS */
	const char *def; /* the default, as a value; NULL: zero */
} keys[] = {
	{"catalog", LYB_CONFIG_CATALOG, KIND_URL, 0, 0, "URL",
	 "the catalog: file:///abs/dir (or /abs/dir) or gs://bucket/prefix; "
	 "$LYB_CATALOG overrides the file's (default " LYB_CONFIG_DEFAULT_CATALOG
	 ")",
	 AT(catalog), NULL},
	{"refresh", LYB_CONFIG_REFRESH, KIND_SECONDS, 0.1, 86400, "SECONDS",
	 "catalog refresh interval, 0.1 to 86400 (default 2)", AT(refresh),
	 "2"},
	{"ttl", LYB_CONFIG_TTL, KIND_SECONDS, 0, 86400, "SECONDS",
	 "kernel cache time for names that can change, 0 to 86400 "
	 "(default 1)",
	 AT(ttl), "1"},
	{"log_level", LYB_CONFIG_LOG_LEVEL, KIND_LEVEL, 0, 0, "LEVEL",
	 "err, warn, info or debug (default info; debug with -d)",
	 AT(log_level), "info"},
	{"log", LYB_CONFIG_LOG, KIND_LOG, 0, 0, "stderr|syslog|FILE",
	 "where messages go: FILE is an absolute path, lines with a UTC time, "
	 "reopened on SIGHUP (default: stderr with -f, syslog once "
	 "daemonized)",
	 AT(log), NULL},
	{"allow_other", LYB_CONFIG_ALLOW_OTHER, KIND_BOOL, 0, 0, "yes|no",
	 "let every user use the mount (needs root or user_allow_other "
	 "in /etc/fuse.conf; -o allow_other alone means yes; default no)",
	 AT(allow_other), NULL},
	{"gcs_endpoint", LYB_CONFIG_GCS_ENDPOINT, KIND_STRING, 0, 0, "URL",
	 "GCS JSON API endpoint (default: $STORAGE_EMULATOR_HOST, then "
	 "https://storage.googleapis.com)",
	 AT(gcs_endpoint), NULL},
	{"gcs_credentials", LYB_CONFIG_GCS_CREDENTIALS, KIND_STRING, 0, 0,
	 "FILE|anonymous",
	 "a service-account or authorized_user file (default: Application "
	 "Default Credentials)",
	 AT(gcs_credentials), NULL},
	{"gcs_timeout", LYB_CONFIG_GCS_TIMEOUT, KIND_SECONDS, 0.1, 3600,
	 "SECONDS",
	 "give up on a GCS call after this long, retries included; readers "
	 "get EIO (default 30)",
	 AT(gcs_timeout), NULL},
	{"gcs_http", LYB_CONFIG_GCS_HTTP, KIND_HTTP, 0, 0, "1.1|2",
	 "HTTP to GCS: 1.1, a connection per worker (default); 2, HTTP/2 "
	 "where TLS offers it, every request multiplexed over shared "
	 "connections",
	 AT(gcs_http), NULL},
	{"gcs_ca_file", LYB_CONFIG_GCS_CA_FILE, KIND_PATH, 0, 0, "FILE",
	 "check the GCS endpoint's TLS certificate against these CA "
	 "certificates (PEM) in place of the system's",
	 AT(gcs_ca_file), NULL},
	{"cache_mem", LYB_CONFIG_CACHE_MEM, KIND_SIZE, 0, 0, "SIZE",
	 "memory block cache cap, e.g. 512M (default 256M)", AT(cache_mem),
	 NULL},
	{"catalog_mem", LYB_CONFIG_CATALOG_MEM, KIND_SIZE, 0, 0, "SIZE",
	 "format 2 catalogs: memory for the DataSets' pages a path has "
	 "reached, e.g. 128M (default 64M)",
	 AT(catalog_mem), NULL},
	{"cache_dir", LYB_CONFIG_CACHE_DIR, KIND_PATH, 0, 0, "DIR",
	 "also keep blocks on disk, in DIR (an absolute path, mode 0700)",
	 AT(cache_dir), NULL},
	{"cache_size", LYB_CONFIG_CACHE_SIZE, KIND_SIZE, 0, 0, "SIZE",
	 "disk cache quota (default 10G)", AT(cache_size), NULL},
	{"domain", LYB_CONFIG_DOMAIN, KIND_STRING, 0, 0, "DOMAIN",
	 "callers are user:LOGIN@DOMAIN and domain:DOMAIN (default "
	 "thecompany.com)",
	 AT(domain), NULL},
	{"admin", LYB_CONFIG_ADMIN, KIND_ADMINS, 0, 0, "PRINCIPAL[,...]",
	 "may read and grant on every DataSet; repeatable", 0, NULL},
	{"acl_max_stale", LYB_CONFIG_ACL_MAX_STALE, KIND_SECONDS, 0, 86400,
	 "SECONDS",
	 "how long access decisions trust a catalog that cannot be read; "
	 "after that, opens of data are denied (default 300)",
	 AT(acl_max_stale), "300"},
	{"audit", LYB_CONFIG_AUDIT, KIND_PATH, 0, 0, "PATH",
	 "the audit log, one JSON line per decision (default "
	 "/var/log/lybfs-audit.log)",
	 AT(audit), NULL},
	{"control", LYB_CONFIG_CONTROL, KIND_PATH_OFF, 0, 0, "PATH|none",
	 "the Unix socket through which ordinary users' lyb access "
	 "requests reach the daemon (default: " LYB_RUN_DIR_DEFAULT
	 "/MOUNT.sock, lybfs(8); none: no socket)",
	 AT(control), NULL},
	{"file_roots", LYB_CONFIG_FILE_ROOTS, KIND_ROOTS, 0, 0, "DIR[:DIR...]",
	 "serve file:// data only from beneath these directories, never "
	 "through a symlink or '..' (\"none\": no file:// data; default: "
	 "the catalog's own directory when it is file://, else none)",
	 AT(file_roots), NULL},
	{"readahead", LYB_CONFIG_READAHEAD, KIND_SIZE, 0, 0, "SIZE",
	 "largest read-ahead window per stream (default 64M)", AT(readahead),
	 NULL},
	{"max_open_per_uid", LYB_CONFIG_MAX_OPEN_PER_UID, KIND_COUNT, 1,
	 LYB_CONFIG_OPEN_PER_UID_MAX, "N",
	 "files and directories one uid may hold open through the mount; "
	 "more get EMFILE (default 1024)",
	 AT(max_open_per_uid), STR(LYB_CONFIG_OPEN_PER_UID_DEFAULT)},
	{"metrics_listen", LYB_CONFIG_METRICS_LISTEN, KIND_LISTEN, 0, 0,
	 "ADDR:PORT",
	 "also serve .lyb/metrics over HTTP, GET /metrics, on this numeric "
	 "address (127.0.0.1:9110, [::1]:9110; 0.0.0.0 is every network; "
	 "default: off)",
	 AT(metrics_listen), NULL},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The field of @k in @cfg. */
#define FIELD(cfg, k, type) ((type *)(void *)((char *)(cfg) + (k)->off))

/* A gcs_http value ("1.1", "2") as *@v (may be NULL): 0 or -EINVAL. */
static int parse_http(const char *s, enum lyb_http_version *v)
{
	static const struct {
		const char *name;
		enum lyb_http_version v;
	} names[] = {{"1.1", LYB_HTTP_1_1}, {"2", LYB_HTTP_2}};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			if (v)
				*v = names[i].v;
			return 0;
		}
	return -EINVAL;
}

static int owns_string(const struct key *k)
{
	return k->kind == KIND_URL || k->kind == KIND_STRING ||
	       k->kind == KIND_PATH || k->kind == KIND_ROOTS ||
	       k->kind == KIND_PATH_OFF || k->kind == KIND_LISTEN ||
	       k->kind == KIND_HTTP;
}

void lyb_config_init(struct lyb_config *cfg)
{
	struct lyb_config_err err;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	/* the defaults are values of kinds that allocate nothing */
	for (i = 0; i < NKEYS; i++)
		if (keys[i].def && !owns_string(&keys[i]))
			(void)lyb_config_set(cfg, keys[i].name, keys[i].def,
					     &err);
	cfg->given = 0;
}

void lyb_config_free(struct lyb_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < NKEYS; i++) {
		if (owns_string(&keys[i])) {
			free(*FIELD(cfg, &keys[i], char *));
			*FIELD(cfg, &keys[i], char *) = NULL;
		} else if (keys[i].kind == KIND_ADMINS) {
			while (cfg->nadmins)
				free(cfg->admins[--cfg->nadmins]);
		} else if (keys[i].kind == KIND_LOG) {
			free(cfg->log_file);
			cfg->log_file = NULL;
		}
	}
}

const char *lyb_config_path(int *named)
{
	const char *env = getenv("LYB_CONFIG");

	*named = env && env[0];
	return *named ? env : LYB_CONFIG_PATH;
}

/* Prints @text from column @col, wrapped before column 80. */
static void print_wrapped(FILE *out, const char *text, int col)
{
	int at = col;

	while (*text) {
		int n = (int)strcspn(text, " ");

		if (at > col && at + 1 + n > 79) {
			fprintf(out, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%.*s", n, text);
		at += n;
		text += n;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

void lyb_config_print_help(FILE *out)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		char opt[64];

		snprintf(opt, sizeof(opt), "%s=%s", keys[i].name, keys[i].arg);
		if (strlen(opt) > 21)
			fprintf(out, "    -o %s\n%29s", opt, "");
		else
			fprintf(out, "    -o %-21s ", opt);
		print_wrapped(out, keys[i].help, 29);
	}
}

static const struct key *key_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

const char *lyb_config_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

/* The keys of the table, then the NULL-ended extra names. */
static const char *nearest_name(const void *arg, size_t i)
{
	const char *const *extra = arg;

	if (i < NKEYS)
		return keys[i].name;
	return extra ? extra[i - NKEYS] : NULL;
}

const char *lyb_config_nearest(const char *word, const char *const *extra)
{
	return lyb_text_nearest(word, nearest_name, extra);
}

int lyb_config_is_opt(const char *opt)
{
	const char *eq = strchr(opt, '=');
	size_t i, n;

	if (!eq)
		return 0;
	n = (size_t)(eq - opt);
	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == n &&
		    strncmp(keys[i].name, opt, n) == 0)
			return 1;
	return 0;
}

static int bad(struct lyb_config_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct lyb_config_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->why, sizeof(err->why), fmt, ap);
	va_end(ap);
	return rc;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* "123", "64K", "256M", "10G", "1T" (powers of 1024), not 0. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	const char *units = "KMGT", *u;
	char *end;
	int shift = 0;

	if (!(s[0] >= '0' && s[0] <= '9'))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	u = *end ? strchr(units, *end & ~0x20) : NULL;
	if (u) {
		shift = 10 * (int)(u - units + 1);
		end++;
	}
	if (errno || *end || v == 0 || v > (~0ull >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* "none", or absolute directories separated by ':' with valid names. */
static int roots_check(const char *value, struct lyb_config_err *err)
{
	const char *p = value, *colon;
	size_t n, count = 0;
	char one[LYB_CONFIG_LINE_MAX];

	if (strcmp(value, "none") == 0)
		return 0;
	do {
		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		if (n >= sizeof(one))
			n = sizeof(one) - 1;
		memcpy(one, p, n);
		one[n] = '\0';
		while (n > 1 && one[n - 1] == '/')
			one[--n] = '\0';
		if (one[0] != '/' || (n > 1 && !lyb_store_key_valid(one + 1)))
			return bad(err, -EINVAL,
				   "file_roots: expected absolute directories "
				   "separated by ':' (no '.' or '..'), got "
				   "'%.200s'",
				   one);
		if (++count > LYB_STORE_FILE_ROOTS_MAX)
			return bad(err, -EINVAL, "file_roots: more than %d",
				   LYB_STORE_FILE_ROOTS_MAX);
		p = colon ? colon + 1 : NULL;
	} while (p);
	return 0;
}

int lyb_config_parse_listen(const char *s, struct sockaddr_storage *sa)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	char host[64] = "127.0.0.1";
	const char *port = s, *colon;
	unsigned long v;
	char *end;

	memset(sa, 0, sizeof(*sa));
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon || (size_t)(colon - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(colon - s - 1));
		host[colon - s - 1] = '\0';
		port = colon + 2;
	} else if ((colon = strrchr(s, ':'))) {
		if ((size_t)(colon - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	}
	errno = 0;
	v = strtoul(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end || errno || v == 0 ||
	    v > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)v);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)v);
		return 0;
	}
	return -EINVAL;
}

/* Appends the comma-separated principals of @value to cfg->admins. */
static int add_admins(struct lyb_config *cfg, const char *value,
		      struct lyb_config_err *err)
{
	char one[LYB_CONFIG_LINE_MAX];
	const char *p = value, *comma;
	size_t n;

	do {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n >= sizeof(one))
			n = sizeof(one) - 1;
		memcpy(one, p, n);
		one[n] = '\0';
		if (!lyb_principal_valid(one))
			return bad(err, -EINVAL,
				   "admin: expected user:, group: or domain: "
				   "principals, got '%.64s'",
				   one);
		if (cfg->nadmins == LYB_CONFIG_ADMINS_MAX)
			return bad(err, -EINVAL, "admin: more than %d",
				   LYB_CONFIG_ADMINS_MAX);
		cfg->admins[cfg->nadmins] = strdup(one);
		if (!cfg->admins[cfg->nadmins])
			return bad(err, -ENOMEM, "admin: %s", strerror(ENOMEM));
		cfg->nadmins++;
		p = comma ? comma + 1 : NULL;
	} while (p);
	return 0;
}

int lyb_config_set(struct lyb_config *cfg, const char *name, const char *value,
		   struct lyb_config_err *err)
{
	const struct key *k = key_find(name);
	struct sockaddr_storage sa;
	enum lyb_log_level level;
	char *end, *s;
	unsigned long count;
	uint64_t size;
	double d;
	int b, rc;

	if (!k) {
		const char *near = lyb_config_nearest(name, NULL);

		return bad(err, -ENOENT, "unknown key '%.64s'%s%s%s", name,
			   near ? "; did you mean " : "", near ? near : "",
			   near ? "?" : "");
	}
	if (value[0] == '\0')
		return bad(err, -EINVAL, "%s: empty value", k->name);
	switch (k->kind) {
	case KIND_URL:
		if (strncmp(value, "file:///", 8) != 0 &&
		    strncmp(value, "gs://", 5) != 0 && value[0] != '/')
			return bad(
				err, -EINVAL,
				"%s: '%.200s' is not a file:///ABSOLUTE/PATH "
				"or gs://BUCKET/PREFIX URL",
				k->name, value);
		/* an absolute path is the file:// URL of that directory */
		s = malloc(strlen(value) + sizeof("file://"));
		if (s)
			snprintf(s, strlen(value) + sizeof("file://"), "%s%s",
				 value[0] == '/' ? "file://" : "", value);
		if (!s)
			return bad(err, -ENOMEM, "%s: %s", k->name,
				   strerror(ENOMEM));
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = s;
		break;
	case KIND_SECONDS:
		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(d) ||
		    d < k->min || d > k->max) {
			return bad(err, -EINVAL,
				   "%s: expected seconds from %g to %g, got "
				   "'%.64s'",
				   k->name, k->min, k->max, value);
		}
		*FIELD(cfg, k, double) = d;
		break;
	case KIND_LEVEL:
		if (lyb_log_parse_level(value, &level) != 0)
			return bad(err, -EINVAL,
				   "%s: expected err, warn, info or debug, got "
				   "'%.64s'",
				   k->name, value);
		*FIELD(cfg, k, enum lyb_log_level) = level;
		break;
	case KIND_LOG:
		s = NULL;
		if (strcmp(value, "stderr") == 0) {
			*FIELD(cfg, k, enum lyb_config_log) =
				LYB_CONFIG_LOG_STDERR;
		} else if (strcmp(value, "syslog") == 0) {
			*FIELD(cfg, k, enum lyb_config_log) =
				LYB_CONFIG_LOG_SYSLOG;
		} else if (value[0] == '/') {
			s = strdup(value);
			if (!s)
				return bad(err, -ENOMEM, "%s: %s", k->name,
					   strerror(ENOMEM));
			*FIELD(cfg, k, enum lyb_config_log) =
				LYB_CONFIG_LOG_FILE;
		} else {
			return bad(err, -EINVAL,
				   "%s: expected stderr or syslog, or the "
				   "absolute path of a file, got '%.64s'",
				   k->name, value);
		}
		free(cfg->log_file);
		cfg->log_file = s;
		break;
	case KIND_BOOL:
		if (parse_bool(value, &b) != 0)
			return bad(err, -EINVAL,
				   "%s: expected yes or no, got '%.64s'",
				   k->name, value);
		*FIELD(cfg, k, int) = b;
		break;
	case KIND_HTTP:
		if (parse_http(value, NULL) != 0)
			return bad(err, -EINVAL,
				   "%s: expected 1.1 or 2, got '%.64s'",
				   k->name, value);
		goto string;
	case KIND_LISTEN:
		if (lyb_config_parse_listen(value, &sa) != 0)
			return bad(err, -EINVAL,
				   "%s: expected a numeric ADDR:PORT "
				   "(127.0.0.1:9110, [::1]:9110), got '%.64s'",
				   k->name, value);
		goto string;
	case KIND_ROOTS:
		rc = roots_check(value, err);
		if (rc)
			return rc;
		goto string;
	case KIND_PATH_OFF:
		if (strcmp(value, LYB_CONFIG_NONE) == 0)
			goto string;
		/* fall through */
	case KIND_PATH:
		if (value[0] != '/')
			return bad(
				err, -EINVAL,
				"%s: expected an absolute path%s, got '%.200s'",
				k->name,
				k->kind == KIND_PATH_OFF ? " or none" : "",
				value);
		/* fall through */
	case KIND_STRING:
	string:
		s = strdup(value);
		if (!s)
			return bad(err, -ENOMEM, "%s: %s", k->name,
				   strerror(ENOMEM));
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = s;
		break;
	case KIND_ADMINS:
		rc = add_admins(cfg, value, err);
		if (rc)
			return rc;
		break;
	case KIND_COUNT:
		errno = 0;
		count = strtoul(value, &end, 10);
		if (errno || end == value || *end || value[0] < '0' ||
		    value[0] > '9' || (double)count < k->min ||
		    (double)count > k->max)
			return bad(err, -EINVAL,
				   "%s: expected a whole number from %g to %g, "
				   "got '%.64s'",
				   k->name, k->min, k->max, value);
		*FIELD(cfg, k, unsigned) = (unsigned)count;
		break;
	case KIND_SIZE:
		if (parse_size(value, &size) != 0)
			return bad(err, -EINVAL,
				   "%s: expected a size like 512M, got '%.64s'",
				   k->name, value);
		*FIELD(cfg, k, uint64_t) = size;
		break;
	}
	cfg->given |= k->bit;
	return 0;
}

int lyb_config_set_opt(struct lyb_config *cfg, const char *opt,
		       struct lyb_config_err *err)
{
	const char *eq = strchr(opt, '=');
	size_t n = eq ? (size_t)(eq - opt) : strlen(opt);
	char key[64];

	snprintf(err->where, sizeof(err->where), "-o %.200s", opt);
	if (!eq || n >= sizeof(key))
		return bad(err, -ENOENT, "unknown key '%.*s'",
			   (int)(n < sizeof(key) ? n : sizeof(key)), opt);
	memcpy(key, opt, n);
	key[n] = '\0';
	return lyb_config_set(cfg, key, eq + 1, err);
}

/* Blanks at both ends of [s, e) off; returns the new start, NUL-ends it. */
static char *trim(char *s, char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*e = '\0';
	return s;
}

/* Reads all of @fd, at most LYB_CONFIG_FILE_MAX bytes, NUL-ended. */
static int slurp_fd(int fd, char **out, size_t *len, struct lyb_config_err *err)
{
	struct stat st;
	size_t n = 0;
	char *buf;
	int rc = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return bad(err, -EINVAL, "not a regular file");
	buf = malloc(LYB_CONFIG_FILE_MAX + 2);
	if (!buf)
		return bad(err, -ENOMEM, "%s", strerror(ENOMEM));
	while (n <= LYB_CONFIG_FILE_MAX) {
		ssize_t got = read(fd, buf + n, LYB_CONFIG_FILE_MAX + 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = bad(err, -errno, "%s", strerror(errno));
			goto out_buf;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > LYB_CONFIG_FILE_MAX) {
		rc = bad(err, -EFBIG, "larger than %d bytes",
			 LYB_CONFIG_FILE_MAX);
		goto out_buf;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
out_buf:
	free(buf);
	return rc;
}

int lyb_config_load_text(struct lyb_config *cfg, const char *text, size_t len,
			 const char *name, struct lyb_config_err *err)
{
	unsigned int first_line[NKEYS] = {0}, lineno = 0;
	char *buf, *line, *end;
	int rc = 0;

	snprintf(err->where, sizeof(err->where), "%s", name);
	if (len > LYB_CONFIG_FILE_MAX)
		return bad(err, -EFBIG, "larger than %d bytes",
			   LYB_CONFIG_FILE_MAX);
	buf = malloc(len + 1);
	if (!buf)
		return bad(err, -ENOMEM, "%s", strerror(ENOMEM));
	if (len)
		memcpy(buf, text, len);
	buf[len] = '\0';
	for (line = buf; line < buf + len; line = end + 1) {
		const struct key *k;
		char *key, *eq, *val;

		lineno++;
		snprintf(err->where, sizeof(err->where), "%s:%u", name, lineno);
		end = memchr(line, '\n', (size_t)(buf + len - line));
		if (!end)
			end = buf + len;
		if ((size_t)(end - line) > LYB_CONFIG_LINE_MAX) {
			rc = bad(err, -EINVAL, "longer than %d bytes",
				 LYB_CONFIG_LINE_MAX);
			break;
		}
		if (memchr(line, '\0', (size_t)(end - line))) {
			rc = bad(err, -EINVAL, "contains a NUL byte");
			break;
		}
		key = trim(line, end);
		if (key[0] == '\0' || key[0] == '#')
			continue;
		/* an inline comment: a '#' after a blank, to the end */
		for (val = key + 1; *val; val++)
			if (*val == '#' &&
			    (val[-1] == ' ' || val[-1] == '\t')) {
				key = trim(key, val);
				break;
			}
		eq = strchr(key, '=');
		if (!eq) {
			rc = bad(err, -EINVAL,
				 "expected KEY = VALUE, got '%.64s'", key);
			break;
		}
		val = trim(eq + 1, eq + 1 + strlen(eq + 1));
		key = trim(key, eq);
		k = key_find(key);
		if (k && first_line[k - keys] && k->kind != KIND_ADMINS) {
			rc = bad(err, -EINVAL,
				 "%s: given twice (first on line %u)", k->name,
				 first_line[k - keys]);
			break;
		}
		rc = lyb_config_set(cfg, key, val, err);
		if (rc) {
			if (rc == -ENOENT)
				rc = -EINVAL; /* a missing file is ENOENT */
			break;
		}
		first_line[k - keys] = lineno;
	}
	free(buf);
	return rc;
}

int lyb_config_load_fd(struct lyb_config *cfg, int fd, const char *name,
		       struct lyb_config_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	snprintf(err->where, sizeof(err->where), "%s", name);
	rc = slurp_fd(fd, &buf, &len, err);
	if (rc == 0)
		rc = lyb_config_load_text(cfg, buf, len, name, err);
	free(buf);
	return rc;
}

int lyb_config_load(struct lyb_config *cfg, const char *path,
		    struct lyb_config_err *err)
{
	int fd, rc;

	snprintf(err->where, sizeof(err->where), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bad(err, -errno, "%s", strerror(errno));
	rc = lyb_config_load_fd(cfg, fd, path, err);
	close(fd);
	return rc;
}

/* Whether key @k has the same value in @a and @b. */
static int same_value(const struct key *k, const struct lyb_config *a,
		      const struct lyb_config *b)
{
	const char *x, *y;
	size_t i;

	if (k->kind == KIND_ADMINS) {
		if (a->nadmins != b->nadmins)
			return 0;
		for (i = 0; i < a->nadmins; i++)
			if (strcmp(a->admins[i], b->admins[i]) != 0)
				return 0;
		return 1;
	}
	x = *FIELD(a, k, const char *);
	y = *FIELD(b, k, const char *);
	return x && y && strcmp(x, y) == 0;
}

int lyb_config_write(const struct lyb_config *cfg, unsigned int keys_mask,
		     char **text, size_t *len, struct lyb_config_err *err)
{
	struct lyb_config back;
	struct lyb_buf b;
	size_t i, j;
	int rc = 0;

	*text = NULL;
	*len = 0;
	snprintf(err->where, sizeof(err->where), "writing settings");
	lyb_buf_init(&b, LYB_CONFIG_FILE_MAX);
	for (i = 0; i < NKEYS && rc == 0; i++) {
		const struct key *k = &keys[i];

		if (!(keys_mask & k->bit) || !(cfg->given & k->bit))
			continue;
		if (k->kind == KIND_ADMINS) {
			for (j = 0; j < cfg->nadmins && rc == 0; j++)
				rc = lyb_buf_printf(&b, "%s = %s\n", k->name,
						    cfg->admins[j]);
		} else if (owns_string(k)) {
			rc = lyb_buf_printf(&b, "%s = %s\n", k->name,
					    *FIELD(cfg, k, const char *));
		} else {
			rc = bad(err, -EINVAL, "%s: not a text value", k->name);
		}
	}
	if (rc) {
		lyb_buf_free(&b);
		return rc == -EINVAL ? rc : bad(err, rc, "%s", strerror(-rc));
	}
	/* what is written is read back as the reader will read it */
	lyb_config_init(&back);
	rc = lyb_config_load_text(&back, (const char *)b.data, b.len,
				  "settings", err);
	for (i = 0; i < NKEYS && rc == 0; i++)
		if ((keys_mask & keys[i].bit) && (cfg->given & keys[i].bit) &&
		    !same_value(&keys[i], cfg, &back))
			rc = bad(err, -EINVAL,
				 "%s: its value does not read back as written",
				 keys[i].name);
	lyb_config_free(&back);
	if (rc) {
		lyb_buf_free(&b);
		return rc;
	}
	if (!b.data && lyb_buf_add(&b, "", 0) != 0) /* nothing to write */
		rc = -ENOMEM;
	*text = rc ? NULL : lyb_buf_steal(&b, len);
	return *text ? 0 : bad(err, -ENOMEM, "%s", strerror(ENOMEM));
}

int lyb_config_fill(struct lyb_config *dst, const struct lyb_config *src,
		    unsigned int keys_mask)
{
	size_t i, j;

	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		if (!(keys_mask & k->bit) || (dst->given & k->bit) ||
		    !(src->given & k->bit))
			continue;
		if (k->kind == KIND_ADMINS) {
			for (j = 0; j < src->nadmins; j++) {
				dst->admins[j] = strdup(src->admins[j]);
				if (!dst->admins[j])
					return -ENOMEM;
				dst->nadmins = j + 1;
			}
		} else if (owns_string(k)) {
			char *s = strdup(*FIELD(src, k, const char *));

			if (!s)
				return -ENOMEM;
			*FIELD(dst, k, char *) = s;
		} else {
			return -EINVAL;
		}
		dst->given |= k->bit;
	}
	return 0;
}

int lyb_config_apply_gcs(const struct lyb_config *cfg,
			 struct lyb_config_err *err)
{
	struct lyb_gcs_config g = {.endpoint = cfg->gcs_endpoint,
				   .credentials = cfg->gcs_credentials,
				   .deadline_ms =
					   (unsigned)(cfg->gcs_timeout * 1000)};
	enum lyb_http_version v = LYB_HTTP_1_1;
	FILE *f;
	int rc;

	if (cfg->gcs_ca_file) {
		f = fopen(cfg->gcs_ca_file, "re"); /* fail now, not at a read */
		if (!f)
			return bad(err, -errno, "gcs_ca_file %s: %s",
				   cfg->gcs_ca_file, strerror(errno));
		fclose(f);
		if (lyb_http_set_ca_file(cfg->gcs_ca_file) != 0)
			return bad(err, -ENOMEM, "gcs_ca_file: %s",
				   strerror(ENOMEM));
	}
	if (cfg->gcs_http && (parse_http(cfg->gcs_http, &v) != 0 ||
			      lyb_http_set_version(v) != 0))
		return bad(err, -EINVAL, "gcs_http %s: not a version",
			   cfg->gcs_http);
	if (!cfg->gcs_endpoint && !cfg->gcs_credentials && !cfg->gcs_timeout)
		return 0;
	rc = lyb_gcs_set_default(&g);
	return rc ? bad(err, rc, "gcs options: %s", strerror(-rc)) : 0;
}

int lyb_config_apply_file_roots(const struct lyb_config *cfg,
				const char *catalog_url)
{
	return lyb_store_file_confine(cfg->file_roots, catalog_url);
}
