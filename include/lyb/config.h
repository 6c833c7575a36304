/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - the configuration file (/etc/lyb/lyb.conf) that lybfs and lyb
 * share, and the one parser of its keys.
 *
 * The file is lines of `KEY = VALUE`; blank lines and lines whose first
 * non-blank character is '#' are ignored, and so is a '#' after a blank
 * and the rest of its line (an inline comment: `refresh = 5  # seconds`;
 * a '#' inside a value, `a#b`, stays). The keys are the -o options of
 * lybfs (catalog, refresh, ttl, log_level, log, allow_other, gcs_endpoint,
 * gcs_credentials, gcs_timeout, gcs_http, gcs_ca_file, cache_mem, catalog_mem,
 * cache_dir, cache_size, readahead, domain, admin, audit, control,
 * acl_max_stale, max_open_per_uid, file_roots, metrics_listen); `admin` alone
 * may repeat (its principals add up), every other key is given once. `lybfs -o
 * KEY=VALUE` goes through the same lyb_config_set() (by lyb_config_set_opt()),
 * so a value means the same in both places and the option overrides the file.
 * Parsing is strict: an unknown key, a key given twice, a bad value, a
 * line without '=', a NUL byte, a line over LYB_CONFIG_LINE_MAX or a file
 * over LYB_CONFIG_FILE_MAX is an error naming FILE:LINE and the key.
 *
 * Ownership: a struct lyb_config owns its strings; lyb_config_free()
 * releases them (the struct itself is the caller's). Not thread safe: a
 * configuration is read once at start-up, before any thread starts.
 */
#ifndef LYB_CONFIG_H
#define LYB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lyb/acl.h"
#include "lyb/log.h"

#define LYB_CONFIG_PATH "/etc/lyb/lyb.conf" /* unless $LYB_CONFIG */
#define LYB_CONFIG_NONE "none" /* control = none: no control socket */
/* where a root daemon keeps its runtime files, unless $LYB_RUN_DIR */
#define LYB_RUN_DIR_DEFAULT "/run/lybfs"
#define LYB_CONFIG_FILE_MAX (64 * 1024)
#define LYB_CONFIG_LINE_MAX 4096
#define LYB_CONFIG_DEFAULT_CATALOG "file:///var/lib/lyb/catalog"
#define LYB_CONFIG_ADMINS_MAX LYB_ACL_MAX_ADMINS /* admin principals */
#define LYB_CONFIG_OPEN_PER_UID_DEFAULT 1024	 /* max_open_per_uid */
#define LYB_CONFIG_OPEN_PER_UID_MAX (1u << 20)

/*
 * Where lybfs logs. AUTO: stderr with -f, syslog once daemonized. FILE:
 * log_file (log.h: lyb_log_to_file()).
 */
enum lyb_config_log {
	LYB_CONFIG_LOG_AUTO = 0,
	LYB_CONFIG_LOG_STDERR,
	LYB_CONFIG_LOG_SYSLOG,
	LYB_CONFIG_LOG_FILE,
};

/* One bit per key in lyb_config.given. */
enum lyb_config_key {
	LYB_CONFIG_CATALOG = 1u << 0,
	LYB_CONFIG_REFRESH = 1u << 1,
	LYB_CONFIG_TTL = 1u << 2,
	LYB_CONFIG_LOG_LEVEL = 1u << 3,
	LYB_CONFIG_LOG = 1u << 4,
	LYB_CONFIG_ALLOW_OTHER = 1u << 5,
	LYB_CONFIG_GCS_ENDPOINT = 1u << 6,
	LYB_CONFIG_GCS_CREDENTIALS = 1u << 7,
	LYB_CONFIG_CACHE_MEM = 1u << 8,
	LYB_CONFIG_CACHE_DIR = 1u << 9,
	LYB_CONFIG_CACHE_SIZE = 1u << 10,
	LYB_CONFIG_READAHEAD = 1u << 11,
	LYB_CONFIG_GCS_TIMEOUT = 1u << 12,
	LYB_CONFIG_DOMAIN = 1u << 13,
	LYB_CONFIG_ADMIN = 1u << 14,
	LYB_CONFIG_AUDIT = 1u << 15,
	LYB_CONFIG_CONTROL = 1u << 16,
	LYB_CONFIG_ACL_MAX_STALE = 1u << 17,
	LYB_CONFIG_MAX_OPEN_PER_UID = 1u << 18,
	LYB_CONFIG_FILE_ROOTS = 1u << 19,
	LYB_CONFIG_CATALOG_MEM = 1u << 20,
	LYB_CONFIG_METRICS_LISTEN = 1u << 21,
	LYB_CONFIG_GCS_HTTP = 1u << 22,
	LYB_CONFIG_GCS_CA_FILE = 1u << 23,
};

struct lyb_config {
	char *catalog;	/* catalog URL; NULL until given */
	double refresh; /* seconds between catalog refreshes */
	double ttl;	/* kernel cache seconds for changing names */
	enum lyb_log_level log_level; /* messages above it are dropped */
	enum lyb_config_log log;      /* stderr, syslog, a file or auto */
	char *log_file;		      /* LYB_CONFIG_LOG_FILE: the path */
	int allow_other;	      /* every user may use the mount */
	char *gcs_endpoint;    /* NULL: $STORAGE_EMULATOR_HOST or Google */
	char *gcs_credentials; /* a key file or "anonymous"; NULL: ADC */
	double gcs_timeout;    /* seconds per GCS call; 0: the default */
	char *gcs_http;	       /* "1.1" or "2"; NULL: 1.1 */
	char *gcs_ca_file;     /* PEM CA certificates; NULL: the system's */
	uint64_t cache_mem;    /* bytes; 0: the cache's default */
	uint64_t catalog_mem;  /* format 2 page cache bytes; 0: default */
	char *cache_dir;       /* absolute; NULL: no disk cache */
	uint64_t cache_size;   /* disk cache bytes; 0: the default */
	uint64_t readahead;    /* bytes; 0: the default */
	char *domain;	       /* NULL: the ACL default */
	char *audit;	       /* audit log path; NULL: the default */
	char *control; /* control socket path or "none"; NULL: the default */
	double acl_max_stale;	   /* seconds a stale catalog decides access */
	unsigned max_open_per_uid; /* handles one uid may hold open */
	char *file_roots;	   /* "/a:/b" or "none"; NULL: the default */
	char *metrics_listen;	   /* "ADDR:PORT" for GET /metrics; NULL: off */
	char *admins[LYB_CONFIG_ADMINS_MAX + 1]; /* admin principals */
	size_t nadmins;
	unsigned int given; /* LYB_CONFIG_* bits of keys set */
};

/* What went wrong, for "WHERE: WHY" (WHERE is FILE:LINE, FILE or -o). */
struct lyb_config_err {
	char where[LYB_CONFIG_LINE_MAX + 32];
	char why[256];
};

/* Sets every key to its default; given is 0. Cannot fail. */
void lyb_config_init(struct lyb_config *cfg);
/* Releases the strings of @cfg (NULL is fine); @cfg may be re-initialized. */
void lyb_config_free(struct lyb_config *cfg);

/*
 * Sets @key to @value (both NUL-terminated, already trimmed). Returns 0,
 * -ENOENT for an unknown key or -EINVAL for a bad value, with @err->why
 * filled (@err->where is left alone). A key set again replaces the value.
 */
int lyb_config_set(struct lyb_config *cfg, const char *key, const char *value,
		   struct lyb_config_err *err);

/*
 * Reads the file at @path into @cfg, over what is there. A missing file is
 * -ENOENT, which callers treat as "no configuration" unless the path was
 * named explicitly. Returns 0 or -errno (-EINVAL: a syntax or value
 * error, -EFBIG: over the size cap) with @err filled.
 */
int lyb_config_load(struct lyb_config *cfg, const char *path,
		    struct lyb_config_err *err);

/*
 * As lyb_config_load(), from the open file @fd (named @name in errors),
 * or from the @len bytes of @text.
 */
int lyb_config_load_fd(struct lyb_config *cfg, int fd, const char *name,
		       struct lyb_config_err *err);
int lyb_config_load_text(struct lyb_config *cfg, const char *text, size_t len,
			 const char *name, struct lyb_config_err *err);

/*
 * The keys of @keys_mask (LYB_CONFIG_* bits) that @cfg has given, as the
 * text of a configuration file ("KEY = VALUE" lines, admin once per
 * principal) in *@text (the caller frees it). Only keys with text values
 * (URLs, paths, strings, roots, admin) can be written: another is
 * -EINVAL. The text is read back with lyb_config_load_text() before it
 * is returned: a value that would not read back the same (one holding
 * " #", which starts a comment) is -EINVAL, naming the key in @err.
 */
int lyb_config_write(const struct lyb_config *cfg, unsigned int keys_mask,
		     char **text, size_t *len, struct lyb_config_err *err);

/*
 * Copies into @dst each key of @keys_mask that @src has given and @dst
 * has not, so that @dst's own keys win. Text keys and admin only
 * (-EINVAL for another); 0 or -ENOMEM.
 */
int lyb_config_fill(struct lyb_config *dst, const struct lyb_config *src,
		    unsigned int keys_mask);

/*
 * The path to read: $LYB_CONFIG if set and not empty (*@named = 1: that
 * file must exist), else LYB_CONFIG_PATH (*@named = 0: it may be missing).
 */
const char *lyb_config_path(int *named);

/*
 * Sets one -o option, @opt "KEY=VALUE", as lybfs does: @err->where is
 * "-o OPT", then as lyb_config_set() (-ENOENT also when there is no '=').
 */
int lyb_config_set_opt(struct lyb_config *cfg, const char *opt,
		       struct lyb_config_err *err);
/*
 * 1 when the -o option @opt is "KEY=..." for a key of the table (lybfs
 * keeps it for lyb_config_set_opt()), else 0 (an option for libfuse).
 */
int lyb_config_is_opt(const char *opt);
/* The name of the @i-th key, from 0; NULL past the last. */
const char *lyb_config_key_name(size_t i);
/*
 * The known name nearest to @word (case-insensitive, edit distance with
 * transpositions, at most 1 for names of up to 3 characters, 2 up to 7,
 * else 3): the keys of the table and the NULL-ended @extra (may be NULL).
 * NULL when none is that near, or @word is longer than 64 characters.
 * For "did you mean KEY?".
 */
const char *lyb_config_nearest(const char *word, const char *const *extra);

/*
 * Parses a listening address: "ADDR:PORT", "[ADDR6]:PORT" or "PORT" alone
 * (127.0.0.1), with a numeric IPv4 or IPv6 address (no host names: where
 * to listen is never a DNS answer) and a port from 1 to 65535. 0 or
 * -EINVAL. For metrics_listen and `lyb serve --listen`.
 */
struct sockaddr_storage;
int lyb_config_parse_listen(const char *s, struct sockaddr_storage *sa);

/* Prints one line per key, "    -o KEY=VALUE  what (default ...)", on @out. */
void lyb_config_print_help(FILE *out);

/*
 * Hands the gcs_* keys to the process-wide GCS client (gcs.h) and its
 * HTTP (gcs_http, gcs_ca_file: http.h); call before the first gs://
 * access. 0, -ENOMEM, -EBUSY when too late, or -errno when gcs_ca_file
 * cannot be opened; @err->why says which.
 */
int lyb_config_apply_gcs(const struct lyb_config *cfg,
			 struct lyb_config_err *err);

/*
 * Confines file:// data to the file_roots of @cfg, or by default to the
 * catalog @catalog_url's own tree when it is file:// (store.h:
 * lyb_store_file_confine()). 0 or -errno.
 */
int lyb_config_apply_file_roots(const struct lyb_config *cfg,
				const char *catalog_url);

#endif
