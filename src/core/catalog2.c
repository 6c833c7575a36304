// SPDX-License-Identifier: Apache-2.0
/*
 * catalog2.c - catalog format 2: the catalog at company scale
 * (docs/catalog.md, "Format 2").
 *
 * Under ROOT/v2/:
 *   datasets/<ns>/<Name>/<seq>.json   a DataSet's commits, create-if-absent
 *   datasets/<ns>/<Name>/head.json    hint: the newest commit's seq
 *   datasets/<ns>/<Name>/p/<h2>/<sha256>.json   its pages (immutable,
 *                                     named by the SHA-256 of their bytes)
 *   journal/<G>.json                  announcements: DataSet X has commit N
 *   checkpoints/<G>.json, p/...       every DataSet's head as of entry G
 *   checkpoints/last.json             hint: the newest checkpoint's G
 *
 * A DataSet's versions live in three copy-on-write B+trees of JSON pages
 * (dates, versions, digests); a commit names their roots and carries the
 * card (the format 1 document without versions). A mount reads the newest
 * checkpoint and the journal after it, keeping only cards; a DataSet's
 * pages are read when a path reaches them, verified by their name, and
 * kept in a bounded LRU. Every writer validates each object with the
 * reader's own parser before it stores it.
 *
 * Thread safety: struct lyb_cat2 is used under catalog.c's locks for
 * refresh and by one writer at a time per call; the page cache has its own
 * mutex and may be used from any thread (lazy loads run in FUSE workers).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog_json.h"
#include "lyb/digest.h"
#include "lyb/clock.h"
#include "lyb/log.h"
#include "lyb/store.h"

#define PAGE_MAX (4u << 20)	/* largest page read */
#define LEAF_BYTES (512u << 10) /* a leaf splits past this */
#define ENTRY_MAX (1u << 20)	/* one version's entry */
#define COMMIT_MAX (1u << 20)	/* one commit */
#define CARD_MAX (64u << 10)	/* a card, as the checkpoint holds it */
#define ANNOUNCE_MAX 1024	/* one journal entry */
#define TREE_DEPTH 8		/* levels of a tree, at most */
#define HISTORY_INLINE 256	/* access changes kept in the commit */
#define HISTORY_SHOWN 10000	/* read back from history pages */
#define JOURNAL_BATCH 4096	/* entries applied per refresh */
#define CKPT_PAGE 256		/* cards per checkpoint page */
#define CKPT_PAGES_MAX 100000	/* 25.6 million DataSets */
#define WRITE_ATTEMPTS 64
#define RETRY_MAX 1024 /* commits whose read failed, read again */
#define HOLES_MAX 16   /* journal holes polled after a jump */
#define CACHE_DEFAULT (64u << 20)

#define HASH_LEN LYB_SHA256_HEX_LEN
/* bumped when pages or commits change shape (bench-catalog.sh regenerates) */
#define LAYOUT_REVISION 1

/* --- the page cache: an LRU of loaded objects, bounded in bytes --- */

struct citem {
	char key[LYB_NAME_MAX + 96];
	size_t cost;
	void *obj;
	void (*release)(void *obj);
	struct citem *prev, *next; /* LRU, newest first */
	struct citem *hnext;	   /* hash chain */
};

struct lyb_f2cache {
	atomic_int refs;
	pthread_mutex_t mu;
	size_t max, used, nbuckets;
	struct citem **buckets;
	struct citem *head, *tail;
	uint64_t hits, misses;
};

static struct lyb_f2cache *cache_new(size_t max)
{
	struct lyb_f2cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nbuckets = 4096;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->mu, NULL);
	c->max = max;
	return c;
}

static void lru_unlink(struct lyb_f2cache *c, struct citem *it)
{
	if (it->prev)
		it->prev->next = it->next;
	else
		c->head = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		c->tail = it->prev;
	it->prev = it->next = NULL;
}

static void lru_push(struct lyb_f2cache *c, struct citem *it)
{
	it->next = c->head;
	it->prev = NULL;
	if (c->head)
		c->head->prev = it;
	c->head = it;
	if (!c->tail)
		c->tail = it;
}

static void item_drop(struct lyb_f2cache *c, struct citem *it)
{
	struct citem **pp = &c->buckets[lyb_fnv1a_str(it->key) % c->nbuckets];

	while (*pp != it)
		pp = &(*pp)->hnext;
	*pp = it->hnext;
	lru_unlink(c, it);
	c->used -= it->cost;
	it->release(it->obj);
	free(it);
}

/* The object cached under @key, with a reference taken by @ref, or NULL. */
static void *cache_get(struct lyb_f2cache *c, const char *key,
		       void *(*ref)(void *))
{
	struct citem *it;
	void *obj = NULL;

	pthread_mutex_lock(&c->mu);
	for (it = c->buckets[lyb_fnv1a_str(key) % c->nbuckets]; it;
	     it = it->hnext)
		if (strcmp(it->key, key) == 0)
			break;
	if (it) {
		lru_unlink(c, it);
		lru_push(c, it);
		obj = ref(it->obj);
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->mu);
	return obj;
}

/*
 * Caches @obj (the cache takes a reference with @ref) and evicts the
 * least recently used past the bound; callers keep their own references,
 * so an evicted object lives on until they drop them.
 */
static void cache_put(struct lyb_f2cache *c, const char *key, void *obj,
		      size_t cost, void *(*ref)(void *),
		      void (*release)(void *))
{
	struct citem *it = calloc(1, sizeof(*it)), *old;
	size_t b;

	if (!it || strlen(key) >= sizeof(it->key) || cost > c->max / 2) {
		free(it); /* too large to keep: the caller's copy serves */
		return;
	}
	snprintf(it->key, sizeof(it->key), "%s", key);
	it->cost = cost;
	it->release = release;
	b = lyb_fnv1a_str(key) % c->nbuckets;
	pthread_mutex_lock(&c->mu);
	for (old = c->buckets[b]; old; old = old->hnext)
		if (strcmp(old->key, key) == 0)
			break;
	if (old) { /* another thread loaded it too */
		pthread_mutex_unlock(&c->mu);
		free(it);
		return;
	}
	it->obj = ref(obj);
	it->hnext = c->buckets[b];
	c->buckets[b] = it;
	lru_push(c, it);
	c->used += cost;
	while (c->used > c->max && c->tail && c->tail != it)
		item_drop(c, c->tail);
	pthread_mutex_unlock(&c->mu);
}

static struct lyb_f2cache *cache_ref(struct lyb_f2cache *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

static void cache_unref(struct lyb_f2cache *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	while (c->head)
		item_drop(c, c->head);
	free(c->buckets);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void *json_ref_fn(void *o)
{
	return json_incref(o);
}

static void json_release_fn(void *o)
{
	json_decref(o);
}

static void *ds_ref_fn(void *o)
{
	return lyb_dataset_ref(o);
}

static void ds_release_fn(void *o)
{
	lyb_dataset_unref(o);
}

static void *dl_ref_fn(void *o)
{
	struct lyb_datelist *l = o;

	atomic_fetch_add(&l->refs, 1);
	return l;
}

static void dl_release_fn(void *o)
{
	lyb_datelist_unref(o);
}

/* --- where things are --- */

struct tree {
	char root[HASH_LEN + 1]; /* "" when empty */
	uint64_t count;
};

enum { T_DATES, T_VERSIONS, T_DIGESTS, T_COUNT };
static const char *const tree_name[T_COUNT] = {"dates", "versions", "digests"};
static const size_t tree_fanout[T_COUNT] = {1024, 1024, 4096};

/* An announced change: DataSet @name has commit @seq (the newest seen). */
struct change {
	char name[LYB_NAME_MAX + 1];
	uint64_t seq;
};

/*
 * A hole in the journal the reader jumped over: entries next + 1 .. end - 1
 * were absent while the journal went on past them. Honest writers never
 * make one (each writes entry N + 1 after seeing N); a hostile one that
 * plants an entry past the tail does, and writers that probe from the
 * checkpoint then append after it. Polled at every refresh, for a writer
 * that appends at the old tail.
 */
struct hole {
	uint64_t next, end;
};

/* A DataSet's head in format 2 (immutable, owned by its card). */
struct lyb_f2 {
	struct lyb_store *store;
	char *prefix; /* ROOT/v2/datasets/<ns>/<Name> */
	struct lyb_f2cache *cache;
	uint64_t seq;
	struct tree t[T_COUNT];
	char history_prev[HASH_LEN + 1];
	uint64_t ordinal; /* versions ever added: orders same-second ones */
};

struct lyb_cat2 {
	struct lyb_store *store;
	char *root; /* ROOT/v2 */
	char *url;
	struct lyb_f2cache *cache;
	uint64_t journal;  /* entries applied: the next is journal + 1 */
	uint64_t tail;	   /* the last entry this writer announced */
	int loaded;	   /* the checkpoint has been read */
	uint64_t requests; /* store requests made, for the benchmark */
	char *marker;	   /* ROOT/lybrary.json */
	unsigned idle;	   /* idle refreshes since the marker was looked at */
	struct change *retry; /* commits whose read failed: read again */
	size_t nretry;
	struct hole holes[HOLES_MAX]; /* journal holes jumped over */
	size_t nholes;
	int caught_up; /* read the journal to its end once */
	int more;      /* the last refresh stopped at JOURNAL_BATCH */
};

/*
 * An idle poll cannot tell an idle catalog from one whose root vanished
 * (both answer 404): every MARKER_EVERY idle refreshes also look at the
 * marker (one minute at the default refresh of 2 s).
 */
#define MARKER_EVERY 30

void lyb_f2_free(struct lyb_f2 *f)
{
	if (!f)
		return;
	lyb_store_unref(f->store);
	cache_unref(f->cache);
	free(f->prefix);
	free(f);
}

static char *ds_prefix(const struct lyb_cat2 *c, const char *name)
{
	char rel[LYB_NAME_MAX + 32];
	const char *dot = strchr(name, '.');

	if (!dot)
		return NULL;
	snprintf(rel, sizeof(rel), "datasets/%.*s/%s", (int)(dot - name), name,
		 dot + 1);
	return lyb_store_key_join(c->root, rel);
}

static char *seq_key(const char *prefix, uint64_t seq)
{
	char rel[32];

	snprintf(rel, sizeof(rel), "%012llu.json", (unsigned long long)seq);
	return lyb_store_key_join(prefix, rel);
}

static char *page_key(const char *prefix, const char *hash)
{
	char rel[HASH_LEN + 16];

	snprintf(rel, sizeof(rel), "p/%.2s/%s.json", hash, hash);
	return lyb_store_key_join(prefix, rel);
}

static char *journal_key(const struct lyb_cat2 *c, uint64_t g)
{
	char rel[48];

	snprintf(rel, sizeof(rel), "journal/%020llu.json",
		 (unsigned long long)g);
	return lyb_store_key_join(c->root, rel);
}

static int is_hash(const char *s)
{
	return s && strlen(s) == HASH_LEN &&
	       strspn(s, "0123456789abcdef") == HASH_LEN;
}

static void sha256_hex(const void *data, size_t len, char out[HASH_LEN + 1])
{
	struct lyb_digest *d;
	unsigned char raw[32];
	size_t n;

	out[0] = '\0';
	if (lyb_digest_new(LYB_DIGEST_SHA256, &d))
		return;
	if (lyb_digest_update(d, data, len) == 0 &&
	    lyb_digest_final(d, raw, &n) == 0)
		lyb_hex_encode(raw, n, out);
	lyb_digest_free(d);
}

/* Parses @text strictly; "" reason on success. */
static json_t *parse_text(const char *text, size_t len, char *err,
			  size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!o)
		snprintf(err, errlen, "line %d column %d: %s", jerr.line,
			 jerr.column, lyb_json_reason(&jerr));
	return o;
}

static int get_u64(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EBADMSG;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* A hash field: a page name, or null/absent for "" when @optional. */
static int get_hash(json_t *o, const char *key, int optional,
		    char out[HASH_LEN + 1])
{
	json_t *v = json_object_get(o, key);

	out[0] = '\0';
	if ((!v || json_is_null(v)) && optional)
		return 0;
	if (!is_hash(json_string_value(v)))
		return -EBADMSG;
	memcpy(out, json_string_value(v), HASH_LEN + 1);
	return 0;
}

/* --- pages --- */

/*
 * A page: {"lybrary": 2, "kind": K, "level": L, "entries": [...]}, every
 * entry an object with a string "k" (its key), strictly ascending; an
 * inner entry (level > 0) is {"k": first key below, "n": entries below,
 * "p": page}. Checked the same way by readers and by writers.
 */
static int page_check(json_t *p, const char *kind, char *err, size_t errlen)
{
	json_t *entries = json_object_get(p, "entries"), *e;
	const char *prev = NULL;
	uint64_t level, n;
	size_t i;

	if (!json_is_object(p) ||
	    json_integer_value(json_object_get(p, "lybrary")) != 2 ||
	    !json_is_string(json_object_get(p, "kind")) ||
	    strcmp(json_string_value(json_object_get(p, "kind")), kind) ||
	    get_u64(p, "level", &level) || level >= TREE_DEPTH ||
	    !json_is_array(entries) || json_array_size(entries) == 0) {
		snprintf(err, errlen, "not a %s page", kind);
		return -EBADMSG;
	}
	json_array_foreach(entries, i, e)
	{
		const char *k = json_string_value(json_object_get(e, "k"));
		char h[HASH_LEN + 1];

		if (!json_is_object(e) || !k || strlen(k) > 256 ||
		    (prev && strcmp(prev, k) >= 0)) {
			snprintf(err, errlen,
				 "%s page: entries[%zu]: a missing, long or "
				 "unordered key",
				 kind, i);
			return -EBADMSG;
		}
		if (level > 0 &&
		    (get_u64(e, "n", &n) || get_hash(e, "p", 0, h))) {
			snprintf(err, errlen,
				 "%s page: entries[%zu]: bad child", kind, i);
			return -EBADMSG;
		}
		prev = k;
	}
	return 0;
}

/*
 * Reads page @hash of the DataSet at @f (verified by its name), kept in
 * the page cache with @keep (not for pages read once into something that
 * is cached itself: a checkpoint's cards, a DataSet's dates list).
 */
static int page_load(const struct lyb_f2 *f, const char *kind, const char *hash,
		     int keep, json_t **out)
{
	char ckey[HASH_LEN + 16], err[256], h[HASH_LEN + 1], *key, *text = NULL;
	size_t len;
	json_t *p;
	int rc;

	snprintf(ckey, sizeof(ckey), "p:%s", hash);
	*out = cache_get(f->cache, ckey, json_ref_fn);
	if (*out)
		return 0;
	key = page_key(f->prefix, hash);
	if (!key)
		return -ENOMEM;
	rc = lyb_store_get(f->store, key, PAGE_MAX, &text, &len, NULL);
	if (rc) {
		lyb_log(LYB_LOG_ERR, "catalog: %s: %s", key, strerror(-rc));
		free(key);
		return rc == -ENOENT || rc == -EFBIG ? -EBADMSG : rc;
	}
	sha256_hex(text, len, h);
	if (strcmp(h, hash) != 0) {
		lyb_log(LYB_LOG_ERR,
			"catalog: %s: its bytes do not match its name "
			"(SHA-256 %s): refused",
			key, h);
		rc = -EBADMSG;
		goto out;
	}
	p = parse_text(text, len, err, sizeof(err));
	if (p && (rc = page_check(p, kind, err, sizeof(err))) != 0) {
		json_decref(p);
		p = NULL;
	}
	if (!p) {
		lyb_log(LYB_LOG_ERR, "catalog: %s: %s", key, err);
		rc = -EBADMSG;
		goto out;
	}
	if (keep)
		cache_put(f->cache, ckey, p, len * 6, json_ref_fn,
			  json_release_fn);
	*out = p;
	rc = 0;
out:
	free(text);
	free(key);
	return rc;
}

static int page_get(const struct lyb_f2 *f, const char *kind, const char *hash,
		    json_t **out)
{
	return page_load(f, kind, hash, 1, out);
}

/* Serialises @obj as stored: compact, in insertion order. */
static char *obj_text(json_t *obj, size_t *len)
{
	char *t = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (t)
		*len = strlen(t);
	return t;
}

/*
 * Stores page @p (reference stolen) of @kind under its content name, after
 * checking the exact bytes with the reader's checks. A page that exists is
 * the same bytes: nothing to do.
 */
static int page_put(const struct lyb_f2 *f, const char *kind, json_t *p,
		    char hash[HASH_LEN + 1], char *err, size_t errlen)
{
	char *text, *key = NULL;
	json_t *back;
	size_t len = 0;
	int rc;

	text = obj_text(p, &len);
	json_decref(p);
	if (!text)
		return -ENOMEM;
	if (len > PAGE_MAX) {
		snprintf(err, errlen,
			 "refusing to write a %s page of %zu bytes: over the "
			 "%u MiB every reader reads at most",
			 kind, len, PAGE_MAX >> 20);
		rc = -EFBIG;
		goto out;
	}
	back = parse_text(text, len, err, errlen);
	rc = back ? page_check(back, kind, err, errlen) : -EBADMSG;
	json_decref(back);
	if (rc)
		goto out;
	sha256_hex(text, len, hash);
	key = page_key(f->prefix, hash);
	rc = key ? lyb_store_put(f->store, key, text, len, 0, NULL) : -ENOMEM;
	if (rc == -EAGAIN)
		rc = 0; /* content-addressed: the same bytes are there */
	if (rc)
		snprintf(err, errlen, "writing %s: %s", key ? key : kind,
			 strerror(-rc));
out:
	free(key);
	free(text);
	return rc;
}

static json_t *page_new(const char *kind, uint64_t level, json_t *entries)
{
	return json_pack("{s:i, s:s, s:I, s:o}", "lybrary", 2, "kind", kind,
			 "level", (json_int_t)level, "entries", entries);
}

static const char *ekey(json_t *e)
{
	return json_string_value(json_object_get(e, "k"));
}

static size_t entry_bytes(json_t *e)
{
	return json_dumpb(e, NULL, 0, JSON_COMPACT) + 1;
}

/* --- trees --- */

/* The index of the child of inner @entries to descend for @key. */
static size_t child_for(json_t *entries, const char *key)
{
	size_t lo = 0, hi = json_array_size(entries);

	while (hi - lo > 1) { /* the last child whose first key <= key */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ekey(json_array_get(entries, mid)), key) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The first index of leaf @entries whose key is >= @key. */
static size_t lower_bound(json_t *entries, const char *key)
{
	size_t lo = 0, hi = json_array_size(entries);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ekey(json_array_get(entries, mid)), key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

typedef int (*entry_cb)(void *arg, json_t *entry);

/*
 * Calls @cb for each leaf entry with @lo <= key < @hi (@hi NULL: to the
 * end), in order. @cb returns 0 to go on, 1 to stop, or -errno.
 */
static int tree_range_at(const struct lyb_f2 *f, int t, const char *hash,
			 int depth, const char *lo, const char *hi, entry_cb cb,
			 void *arg)
{
	json_t *p, *entries;
	size_t i, n;
	uint64_t level = 0;
	int rc = 0;

	if (depth >= TREE_DEPTH)
		return -EBADMSG;
	rc = page_load(f, tree_name[t], hash, t != T_DATES, &p);
	if (rc)
		return rc;
	entries = json_object_get(p, "entries");
	n = json_array_size(entries);
	get_u64(p, "level", &level);
	if (level == 0) {
		for (i = lo ? lower_bound(entries, lo) : 0; i < n && rc == 0;
		     i++) {
			json_t *e = json_array_get(entries, i);

			if (hi && strcmp(ekey(e), hi) >= 0) {
				rc = 1;
				break;
			}
			rc = cb(arg, e);
		}
	} else {
		for (i = lo ? child_for(entries, lo) : 0; i < n && rc == 0;
		     i++) {
			json_t *e = json_array_get(entries, i);

			if (hi && strcmp(ekey(e), hi) >= 0) {
				rc = 1;
				break;
			}
			rc = tree_range_at(
				f, t,
				json_string_value(json_object_get(e, "p")),
				depth + 1, lo, hi, cb, arg);
		}
	}
	json_decref(p);
	return rc;
}

static int tree_range(const struct lyb_f2 *f, int t, const char *lo,
		      const char *hi, entry_cb cb, void *arg)
{
	int rc;

	if (!f->t[t].root[0])
		return 0;
	rc = tree_range_at(f, t, f->t[t].root, 0, lo, hi, cb, arg);
	return rc == 1 ? 0 : rc;
}

struct find_arg {
	const char *key;
	json_t *found;
};

static int find_cb(void *arg, json_t *e)
{
	struct find_arg *a = arg;

	if (strcmp(ekey(e), a->key) == 0)
		a->found = json_incref(e);
	return 1;
}

/* The leaf entry of key @key (a new reference), or NULL (*rc 0 when absent) */
static json_t *tree_find(const struct lyb_f2 *f, int t, const char *key,
			 int *rc)
{
	struct find_arg a = {key, NULL};

	*rc = tree_range(f, t, key, NULL, find_cb, &a);
	return a.found;
}

/* What a subtree hands its parent: one or two entries that replace it. */
struct split {
	json_t *entries; /* array of inner entries */
};

static json_t *inner_entry(const char *k, uint64_t n, const char *hash)
{
	return json_pack("{s:s, s:I, s:s}", "k", k, "n", (json_int_t)n, "p",
			 hash);
}

static uint64_t entries_count(json_t *entries, uint64_t level)
{
	uint64_t n = 0, x;
	size_t i;
	json_t *e;

	if (level == 0)
		return json_array_size(entries);
	json_array_foreach(entries, i, e) if (get_u64(e, "n", &x) == 0) n += x;
	return n;
}

/*
 * Writes @entries (a full node's worth or more) as one or more pages of
 * @level, split by count and bytes, appending their inner entries to
 * @up. An append-only workload (@tail_insert) fills the left page.
 */
static int write_node(const struct lyb_f2 *f, int t, uint64_t level,
		      json_t *entries, int tail_insert, json_t *up, char *err,
		      size_t errlen)
{
	size_t n = json_array_size(entries), i, start = 0, bytes = 0, total = 0;
	size_t fan = level ? 1024 : tree_fanout[t], *eb = NULL;
	int rc = 0;

	/* sizes only where they can matter: a node past a quarter of a leaf */
	if (n > 64 || level == 0) {
		eb = malloc((n + 1) * sizeof(*eb));
		if (!eb)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			total += eb[i] =
				entry_bytes(json_array_get(entries, i));
	}
	if (n > fan || total > LEAF_BYTES) {
		/* pieces of at most @fan entries and LEAF_BYTES; split in
		 * halves unless appending, so random inserts leave room */
		size_t piece_n = tail_insert ? fan : (n + 1) / 2;
		size_t piece_b = tail_insert ? LEAF_BYTES : total / 2 + 1;

		if (piece_n > fan)
			piece_n = fan;
		for (i = 0; i <= n && rc == 0; i++) {
			size_t sz = i < n ? eb[i] : 0;

			if (i == n || (i > start && (i - start >= piece_n ||
						     bytes + sz > piece_b))) {
				json_t *part = json_array(), *pg;
				char h[HASH_LEN + 1];
				size_t j;

				for (j = start; j < i; j++)
					json_array_append(
						part,
						json_array_get(entries, j));
				pg = page_new(tree_name[t], level,
					      json_incref(part));
				rc = pg ? page_put(f, tree_name[t], pg, h, err,
						   errlen)
					: -ENOMEM;
				if (rc == 0 &&
				    json_array_append_new(
					    up,
					    inner_entry(
						    ekey(json_array_get(entries,
									start)),
						    entries_count(part, level),
						    h)))
					rc = -ENOMEM;
				json_decref(part);
				start = i;
				bytes = 0;
			}
			bytes += sz;
		}
		free(eb);
		return rc;
	}
	free(eb);
	{
		json_t *pg =
			page_new(tree_name[t], level, json_incref(entries));
		char h[HASH_LEN + 1];

		rc = pg ? page_put(f, tree_name[t], pg, h, err, errlen)
			: -ENOMEM;
		if (rc == 0 &&
		    json_array_append_new(
			    up, inner_entry(ekey(json_array_get(entries, 0)),
					    entries_count(entries, level), h)))
			rc = -ENOMEM;
	}
	return rc;
}

/*
 * Puts @entry (a reference stolen) into the subtree at @hash: inserted,
 * or with @replace replacing the entry of the same key (-EEXIST without).
 * Appends the subtree's new inner entries (one, or more after a split)
 * to @up. *@level gets the subtree's level.
 */
static int tree_put_at(const struct lyb_f2 *f, int t, const char *hash,
		       int depth, json_t *entry, int replace, json_t *up,
		       uint64_t *levelp, char *err, size_t errlen)
{
	json_t *p, *entries;
	const char *key = ekey(entry);
	uint64_t level = 0;
	size_t i, n;
	int rc, tail;

	if (depth >= TREE_DEPTH) {
		json_decref(entry);
		return -EBADMSG;
	}
	rc = page_get(f, tree_name[t], hash, &p);
	if (rc) {
		json_decref(entry);
		return rc;
	}
	get_u64(p, "level", &level);
	*levelp = level;
	entries = json_copy(json_object_get(p, "entries"));
	json_decref(p);
	if (!entries) {
		json_decref(entry);
		return -ENOMEM;
	}
	n = json_array_size(entries);
	if (level == 0) {
		i = lower_bound(entries, key);
		tail = i == n;
		if (i < n &&
		    strcmp(ekey(json_array_get(entries, i)), key) == 0) {
			if (!replace) {
				json_decref(entry);
				json_decref(entries);
				return -EEXIST;
			}
			rc = json_array_set_new(entries, i, entry);
		} else {
			rc = json_array_insert_new(entries, i, entry);
		}
	} else {
		json_t *sub = json_array();
		uint64_t sublevel;

		i = child_for(entries, key);
		tail = i == n - 1;
		rc = sub ? tree_put_at(
				   f, t,
				   json_string_value(json_object_get(
					   json_array_get(entries, i), "p")),
				   depth + 1, entry, replace, sub, &sublevel,
				   err, errlen)
			 : -ENOMEM;
		if (rc == 0) {
			size_t j;

			json_array_remove(entries, i);
			for (j = 0; j < json_array_size(sub) && rc == 0; j++)
				rc = json_array_insert(entries, i + j,
						       json_array_get(sub, j));
		} else if (!sub) {
			json_decref(entry);
		}
		json_decref(sub);
	}
	if (rc == 0)
		rc = write_node(f, t, level, entries, tail, up, err, errlen);
	json_decref(entries);
	return rc < 0 ? rc : rc ? -ENOMEM : 0;
}

/* Puts @entry (stolen) into tree @t of @f, updating its root and count. */
static int tree_put(struct lyb_f2 *f, int t, json_t *entry, int replace,
		    char *err, size_t errlen)
{
	json_t *up = json_array();
	uint64_t level = 0;
	int rc, existed = 0;

	if (!up || !entry) {
		json_decref(entry);
		json_decref(up);
		return -ENOMEM;
	}
	if (replace) {
		json_t *old = tree_find(f, t, ekey(entry), &rc);

		existed = old != NULL;
		json_decref(old);
		if (rc) {
			json_decref(entry);
			json_decref(up);
			return rc;
		}
	}
	if (!f->t[t].root[0]) {
		json_t *one = json_array();

		rc = one && !json_array_append_new(one, entry)
			     ? write_node(f, t, 0, one, 1, up, err, errlen)
			     : -ENOMEM;
		json_decref(one);
	} else {
		rc = tree_put_at(f, t, f->t[t].root, 0, entry, replace, up,
				 &level, err, errlen);
	}
	/* a root that split grows the tree by a level */
	while (rc == 0 && json_array_size(up) > 1) {
		json_t *next = json_array();

		level++;
		rc = next ? write_node(f, t, level, up, 1, next, err, errlen)
			  : -ENOMEM;
		json_decref(up);
		up = next;
		if (level >= TREE_DEPTH)
			rc = -E2BIG;
	}
	if (rc == 0) {
		memcpy(f->t[t].root,
		       json_string_value(
			       json_object_get(json_array_get(up, 0), "p")),
		       HASH_LEN + 1);
		if (!existed)
			f->t[t].count++;
	}
	json_decref(up);
	return rc;
}

/* Builds tree @t of @f from @entries (sorted, unique keys; stolen). */
static int tree_build(struct lyb_f2 *f, int t, json_t *entries, char *err,
		      size_t errlen)
{
	uint64_t level = 0;
	json_t *up;
	int rc = 0;

	f->t[t].root[0] = '\0';
	f->t[t].count = json_array_size(entries);
	if (!json_array_size(entries)) {
		json_decref(entries);
		return 0;
	}
	for (;;) {
		up = json_array();
		rc = up ? write_node(f, t, level, entries, 1, up, err, errlen)
			: -ENOMEM;
		json_decref(entries);
		entries = up;
		if (rc || json_array_size(up) <= 1)
			break;
		if (++level >= TREE_DEPTH) {
			rc = -E2BIG;
			break;
		}
	}
	if (rc == 0)
		memcpy(f->t[t].root,
		       json_string_value(
			       json_object_get(json_array_get(up, 0), "p")),
		       HASH_LEN + 1);
	json_decref(entries);
	return rc;
}

/* --- entries --- */

static int cmp_vptr_digest(const void *a, const void *b)
{
	return strcmp((*(const struct lyb_version *const *)a)->digest,
		      (*(const struct lyb_version *const *)b)->digest);
}

static void version_key(const struct lyb_version *v, uint64_t ordinal,
			char *out, size_t len)
{
	snprintf(out, len, "%s/%020lld/%012llu", v->date,
		 (long long)v->published, (unsigned long long)ordinal);
}

static json_t *version_entry(const struct lyb_version *v, uint64_t ordinal)
{
	char k[64];
	json_t *o = lyb_version_to_json(v);

	if (!o)
		return NULL;
	version_key(v, ordinal, k, sizeof(k));
	return json_pack("{s:s, s:o}", "k", k, "v", o);
}

static json_t *date_entry(const char *date, uint64_t count, const char *id,
			  int64_t published, int64_t first)
{
	return json_pack("{s:s, s:I, s:s, s:I, s:I}", "k", date, "count",
			 (json_int_t)count, "latest", id, "published",
			 (json_int_t)published, "first", (json_int_t)first);
}

static json_t *digest_entry(const struct lyb_version *v)
{
	return json_pack("{s:s, s:s, s:s}", "k", v->digest, "id", v->id, "date",
			 v->date);
}

/* --- commits --- */

static json_t *tree_json(const struct tree *t)
{
	return json_pack("{s:o, s:I}", "root",
			 t->root[0] ? json_string(t->root) : json_null(),
			 "count", (json_int_t)t->count);
}

/*
 * A commit: the card with its recent history, the trees and the newest
 * version. With @for_checkpoint, the card without history (what every
 * mount keeps).
 */
static json_t *commit_json(const struct lyb_dataset *ds, int for_checkpoint,
			   const char *change, const char *by)
{
	const struct lyb_f2 *f = ds->f2;
	json_t *o, *card = lyb_card_to_json(ds, !for_checkpoint), *latest;
	char when[21];

	if (!card)
		return NULL;
	if (ds->latest_date[0])
		latest =
			json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "date",
				  ds->latest_date, "id", ds->latest_id,
				  "published", (json_int_t)ds->latest_published,
				  "rows", (json_int_t)ds->latest_rows, "bytes",
				  (json_int_t)ds->latest_bytes, "first",
				  (json_int_t)ds->latest_first);
	else
		latest = json_null();
	lyb_time_format(lyb_now(), when);
	o = json_pack("{s:i, s:s, s:s, s:I, s:o, s:{s:o, s:o, s:o}, s:o, s:I, "
		      "s:I, s:o}",
		      "lybrary", 2, "kind", "commit", "dataset", ds->name,
		      "seq", (json_int_t)f->seq, "card", card, "trees", "dates",
		      tree_json(&f->t[T_DATES]), "versions",
		      tree_json(&f->t[T_VERSIONS]), "digests",
		      tree_json(&f->t[T_DIGESTS]), "latest", latest, "ordinal",
		      (json_int_t)f->ordinal, "updated",
		      (json_int_t)ds->updated, "history_prev",
		      f->history_prev[0] ? json_string(f->history_prev)
					 : json_null());
	if (o && !for_checkpoint && change) {
		json_object_set_new(o, "change", json_string(change));
		json_object_set_new(o, "by", json_string(by ? by : ""));
		json_object_set_new(o, "time", json_string(when));
	}
	return o;
}

static int get_tree(json_t *trees, int t, struct tree *out)
{
	json_t *o = json_object_get(trees, tree_name[t]);

	if (!json_is_object(o) || get_hash(o, "root", 1, out->root) ||
	    get_u64(o, "count", &out->count) ||
	    (out->count == 0) != (out->root[0] == '\0'))
		return -EBADMSG;
	return 0;
}

/*
 * A commit (or a checkpoint entry) into a card: @name and @seq are what
 * the reader expected (seq 0: any).
 */
static int commit_parse(struct lyb_cat2 *c, json_t *o, const char *name,
			uint64_t seq, struct lyb_dataset **out, char *err,
			size_t errlen)
{
	struct lyb_dataset *ds = NULL;
	struct lyb_f2 *f;
	json_t *latest, *trees;
	uint64_t got, x;
	int t, rc;

	if (!json_is_object(o) ||
	    json_integer_value(json_object_get(o, "lybrary")) != 2 ||
	    !json_is_string(json_object_get(o, "kind")) ||
	    strcmp(json_string_value(json_object_get(o, "kind")), "commit") ||
	    !json_is_string(json_object_get(o, "dataset")) ||
	    strcmp(json_string_value(json_object_get(o, "dataset")), name) ||
	    get_u64(o, "seq", &got) || got == 0 || (seq && got != seq)) {
		snprintf(err, errlen,
			 "not commit %llu of %s (kind, dataset or seq)",
			 (unsigned long long)seq, name);
		return -EBADMSG;
	}
	rc = lyb_card_from_json(json_object_get(o, "card"), &ds, err, errlen);
	if (rc)
		return rc;
	if (strcmp(ds->name, name) != 0) {
		snprintf(err, errlen, "card: name \"%s\" is not %s", ds->name,
			 name);
		lyb_dataset_unref(ds);
		return -EBADMSG;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		lyb_dataset_unref(ds);
		return -ENOMEM;
	}
	ds->f2 = f;
	f->store = lyb_store_ref(c->store);
	f->cache = cache_ref(c->cache);
	f->prefix = ds_prefix(c, name);
	f->seq = got;
	trees = json_object_get(o, "trees");
	rc = f->prefix ? 0 : -ENOMEM;
	for (t = 0; t < T_COUNT && rc == 0; t++)
		rc = get_tree(trees, t, &f->t[t]);
	if (rc == 0)
		rc = get_hash(o, "history_prev", 1, f->history_prev);
	if (rc == 0 && json_object_get(o, "ordinal"))
		rc = get_u64(o, "ordinal", &f->ordinal);
	if (rc == 0 && json_object_get(o, "updated") &&
	    get_u64(o, "updated", &x) == 0)
		ds->updated = (int64_t)x;
	latest = json_object_get(o, "latest");
	if (rc == 0 && latest && !json_is_null(latest)) {
		const char *d =
			json_string_value(json_object_get(latest, "date"));
		const char *id =
			json_string_value(json_object_get(latest, "id"));
		json_t *r = json_object_get(latest, "rows");

		uint64_t first = 0;

		if (!d || !lyb_date_valid(d) || !id || !lyb_id_valid(id) ||
		    get_u64(latest, "published", &x) ||
		    get_u64(latest, "first", &first) ||
		    get_u64(latest, "bytes", &ds->latest_bytes)) {
			rc = -EBADMSG;
		} else {
			memcpy(ds->latest_date, d, LYB_DATE_LEN + 1);
			snprintf(ds->latest_id, sizeof(ds->latest_id), "%s",
				 id);
			ds->latest_published = (int64_t)x;
			ds->latest_first = (int64_t)first;
			ds->latest_rows =
				json_is_integer(r) ? json_integer_value(r) : -1;
		}
	}
	if (rc == 0 && (f->t[T_VERSIONS].count == 0) != (!ds->latest_date[0]))
		rc = -EBADMSG;
	if (rc) {
		if (rc == -EBADMSG)
			snprintf(err, errlen,
				 "commit %llu of %s: bad trees, latest or "
				 "history_prev",
				 (unsigned long long)got, name);
		lyb_dataset_unref(ds);
		return rc;
	}
	ds->count_versions = f->t[T_VERSIONS].count;
	ds->count_dates = f->t[T_DATES].count;
	ds->generation = (int64_t)got;
	if (ds->updated < ds->created)
		ds->updated = ds->created;
	*out = ds;
	return 0;
}

/* Reads commit @seq of DataSet @name. -ENOENT when there is none. */
static int commit_read(struct lyb_cat2 *c, const char *name, uint64_t seq,
		       struct lyb_dataset **out, char *err, size_t errlen)
{
	char *prefix = ds_prefix(c, name), *key = NULL, *text = NULL;
	size_t len;
	json_t *o;
	int rc;

	key = prefix ? seq_key(prefix, seq) : NULL;
	free(prefix);
	if (!key)
		return -ENOMEM;
	c->requests++;
	rc = lyb_store_get(c->store, key, COMMIT_MAX, &text, &len, NULL);
	if (rc) {
		snprintf(err, errlen, "%s: %s", key,
			 rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		if (rc == -EFBIG)
			rc = -EBADMSG;
		goto out;
	}
	o = parse_text(text, len, err, errlen);
	rc = o ? commit_parse(c, o, name, seq, out, err, errlen) : -EBADMSG;
	json_decref(o);
out:
	free(text);
	free(key);
	return rc;
}

/*
 * Numbered objects: a DataSet's commits under its prefix, the journal's
 * entries under the root. Both are dense (N + 1 is made only after N is
 * seen), so one probe finds the last of a run for either.
 */
typedef char *(*numbered_key_fn)(const void *base, uint64_t n);

static char *commit_key_of(const void *prefix, uint64_t n)
{
	return seq_key(prefix, n);
}

static char *journal_key_of(const void *c, uint64_t n)
{
	return journal_key(c, n);
}

/* 1 if numbered object @n exists, 0 if not, or -errno (one stat). */
static int numbered_exists(struct lyb_cat2 *c, numbered_key_fn key_of,
			   const void *base, uint64_t n)
{
	struct lyb_object_info info;
	char *key = key_of(base, n);
	int rc;

	if (!key)
		return -ENOMEM;
	c->requests++;
	rc = lyb_store_stat(c->store, key, &info);
	free(key);
	if (rc == 0) {
		free(info.key);
		return 1;
	}
	return rc == -ENOENT ? 0 : rc;
}

/*
 * The last of the run of numbered objects from @lo (which exists, or is
 * 0): probing forward exponentially and bisecting, O(log distance) stats.
 */
static int numbered_last(struct lyb_cat2 *c, numbered_key_fn key_of,
			 const void *base, uint64_t lo, uint64_t *last)
{
	uint64_t hi, step = 1;
	int rc;

	for (;;) { /* lo exists (or is 0); find a hi that does not */
		rc = numbered_exists(c, key_of, base, lo + step);
		if (rc < 0)
			return rc;
		if (!rc)
			break;
		lo += step;
		if (step < (1ull << 30))
			step *= 2;
	}
	hi = lo + step;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		rc = numbered_exists(c, key_of, base, mid);
		if (rc < 0)
			return rc;
		if (rc)
			lo = mid;
		else
			hi = mid;
	}
	*last = lo;
	return 0;
}

static int commit_exists(struct lyb_cat2 *c, const char *prefix, uint64_t seq)
{
	return numbered_exists(c, commit_key_of, prefix, seq);
}

/* The newest commit at or after @lo (which exists, or is 0). */
static int commit_last(struct lyb_cat2 *c, const char *prefix, uint64_t lo,
		       uint64_t *seq)
{
	return numbered_last(c, commit_key_of, prefix, lo, seq);
}

/*
 * The newest commit of DataSet @name (0: none): from the head hint, then
 * probing forward exponentially and bisecting, O(log distance) stats.
 */
static int head_find(struct lyb_cat2 *c, const char *name, uint64_t *seq)
{
	char *prefix = ds_prefix(c, name), *key, *text = NULL;
	uint64_t lo = 0;
	size_t len;
	json_t *o;
	int rc;

	if (!prefix)
		return -ENOMEM;
	key = lyb_store_key_join(prefix, "head.json");
	c->requests++;
	if (key && lyb_store_get(c->store, key, 256, &text, &len, NULL) == 0) {
		o = json_loadb(text, len, 0, NULL);
		if (get_u64(o, "seq", &lo) || lo > (1ull << 40))
			lo = 0;
		json_decref(o);
		free(text);
	}
	free(key);
	if (lo && (rc = commit_exists(c, prefix, lo)) <= 0) {
		if (rc < 0)
			goto out;
		lo = 0; /* a hint ahead of the commits: start over */
	}
	rc = commit_last(c, prefix, lo, seq);
out:
	free(prefix);
	return rc;
}

/* --- the journal --- */

static int announce_parse(const char *text, size_t len, uint64_t g,
			  char name[LYB_NAME_MAX + 1], uint64_t *seq)
{
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const char *n = json_string_value(json_object_get(o, "dataset"));
	uint64_t got = 0;
	int rc = -EBADMSG;

	if (o && json_integer_value(json_object_get(o, "lybrary")) == 2 && n &&
	    lyb_name_valid(n) && get_u64(o, "seq", &got) == 0 && got == g &&
	    get_u64(o, "commit", seq) == 0 && *seq > 0) {
		snprintf(name, LYB_NAME_MAX + 1, "%s", n);
		rc = 0;
	}
	json_decref(o);
	return rc;
}

static int journal_exists(struct lyb_cat2 *c, uint64_t g)
{
	return numbered_exists(c, journal_key_of, c, g);
}

/* Reads the checkpoint hint: the newest checkpoint's G, 0 when none. */
static uint64_t last_checkpoint(struct lyb_cat2 *c)
{
	char *key = lyb_store_key_join(c->root, "checkpoints/last.json");
	char *text = NULL;
	uint64_t g = 0;
	size_t len;
	json_t *o;

	c->requests++;
	if (key && lyb_store_get(c->store, key, 256, &text, &len, NULL) == 0) {
		o = json_loadb(text, len, 0, NULL);
		if (get_u64(o, "seq", &g))
			g = 0;
		json_decref(o);
		free(text);
	}
	free(key);
	return g;
}

/*
 * The journal's tail seen from entry @lo (which should exist; 0 when
 * none): probing forward exponentially and bisecting.
 */
static int journal_tail(struct lyb_cat2 *c, uint64_t lo, uint64_t *tail)
{
	int rc;

	if (lo && (rc = journal_exists(c, lo)) <= 0) {
		if (rc < 0)
			return rc;
		lo = 0;
	}
	return numbered_last(c, journal_key_of, c, lo, tail);
}

/*
 * Appends an announcement of commit @seq of @name: at the journal's tail,
 * found from the newest checkpoint by exponential probing and bisection;
 * on a lost race, the next free entry.
 */
static int announce(struct lyb_cat2 *c, const char *name, uint64_t seq,
		    char *err, size_t errlen)
{
	uint64_t lo = c->journal > c->tail ? c->journal : c->tail;
	char text[ANNOUNCE_MAX], *key;
	int rc, attempt;

	if (lo == 0)
		lo = last_checkpoint(c);
	for (attempt = 0; attempt < 1000; attempt++) {
		rc = journal_tail(c, lo, &lo);
		if (rc)
			return rc;
		snprintf(text, sizeof(text),
			 "{\"lybrary\":2,\"kind\":\"announce\",\"seq\":%llu,"
			 "\"dataset\":\"%s\",\"commit\":%llu}\n",
			 (unsigned long long)(lo + 1), name,
			 (unsigned long long)seq);
		key = journal_key(c, lo + 1);
		if (!key)
			return -ENOMEM;
		c->requests++;
		rc = lyb_store_put(c->store, key, text, strlen(text), 0, NULL);
		free(key);
		if (rc == 0) {
			c->tail = lo + 1;
			return 0;
		}
		if (rc != -EAGAIN) {
			snprintf(err, errlen, "announcing %s: %s", name,
				 strerror(-rc));
			return rc;
		}
		lo++; /* someone took it: the next one */
	}
	snprintf(err, errlen, "announcing %s: the journal is too busy", name);
	return -EAGAIN;
}

/* --- the catalog --- */

int lyb_cat2_open(struct lyb_store *store, const char *prefix, const char *url,
		  struct lyb_cat2 **out)
{
	struct lyb_cat2 *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->store = lyb_store_ref(store);
	c->root = lyb_store_key_join(prefix, "v2");
	c->url = strdup(url);
	c->cache = cache_new(CACHE_DEFAULT);
	c->marker = lyb_store_key_join(prefix, "lybrary.json");
	if (!c->root || !c->url || !c->cache || !c->marker) {
		lyb_cat2_close(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void lyb_cat2_close(struct lyb_cat2 *c)
{
	if (!c)
		return;
	lyb_store_unref(c->store);
	cache_unref(c->cache);
	free(c->root);
	free(c->url);
	free(c->marker);
	free(c->retry);
	free(c);
}

void lyb_cat2_set_mem(struct lyb_cat2 *c, size_t bytes)
{
	pthread_mutex_lock(&c->cache->mu);
	c->cache->max = bytes;
	while (c->cache->used > c->cache->max && c->cache->tail)
		item_drop(c->cache, c->cache->tail);
	pthread_mutex_unlock(&c->cache->mu);
}

int lyb_cat2_more(const struct lyb_cat2 *c)
{
	return c->more;
}

uint64_t lyb_cat2_requests(const struct lyb_cat2 *c)
{
	return c->requests;
}

/* A growing, sorted set of cards (the snapshot being built). */
struct cards {
	struct lyb_dataset **ds;
	size_t n, cap;
};

static int cards_add(struct cards *s, struct lyb_dataset *ds)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct lyb_dataset **d = realloc(s->ds, cap * sizeof(*d));

		if (!d) {
			lyb_dataset_unref(ds);
			return -ENOMEM;
		}
		s->ds = d;
		s->cap = cap;
	}
	s->ds[s->n++] = ds;
	return 0;
}

static int cmp_card(const void *a, const void *b)
{
	return strcmp((*(struct lyb_dataset *const *)a)->name,
		      (*(struct lyb_dataset *const *)b)->name);
}

/* Reads checkpoint @g into @s (cards sorted by name). */
static int checkpoint_read(struct lyb_cat2 *c, uint64_t g, struct cards *s)
{
	char rel[48], *key, *text = NULL, err[256];
	struct lyb_f2 pages = {0};
	json_t *o, *list, *h;
	size_t len, i;
	int rc;

	snprintf(rel, sizeof(rel), "checkpoints/%020llu.json",
		 (unsigned long long)g);
	key = lyb_store_key_join(c->root, rel);
	if (!key)
		return -ENOMEM;
	c->requests++;
	rc = lyb_store_get(c->store, key, PAGE_MAX, &text, &len, NULL);
	if (rc) {
		lyb_log(LYB_LOG_ERR, "catalog: %s: %s", key, strerror(-rc));
		free(key);
		return rc;
	}
	o = parse_text(text, len, err, sizeof(err));
	free(text);
	list = json_object_get(o, "pages");
	if (!o ||
	    json_integer_value(json_object_get(o, "seq")) != (json_int_t)g ||
	    !json_is_array(list) || json_array_size(list) > CKPT_PAGES_MAX) {
		lyb_log(LYB_LOG_ERR, "catalog: %s: not a checkpoint", key);
		json_decref(o);
		free(key);
		return -EBADMSG;
	}
	pages.store = c->store;
	pages.cache = c->cache;
	pages.prefix = lyb_store_key_join(c->root, "checkpoints");
	rc = pages.prefix ? 0 : -ENOMEM;
	json_array_foreach(list, i, h)
	{
		json_t *p = NULL, *e;
		size_t j;

		if (rc)
			break;
		if (!is_hash(json_string_value(h))) {
			rc = -EBADMSG;
			break;
		}
		rc = page_load(&pages, "cards", json_string_value(h), 0, &p);
		json_array_foreach(json_object_get(p, "entries"), j, e)
		{
			struct lyb_dataset *ds;
			const char *name = ekey(e);

			if (rc)
				break;
			if (!lyb_name_valid(name)) {
				rc = -EBADMSG;
				break;
			}
			rc = commit_parse(c, json_object_get(e, "commit"), name,
					  0, &ds, err, sizeof(err));
			if (rc == 0)
				rc = cards_add(s, ds);
			else
				lyb_log(LYB_LOG_ERR, "catalog: %s: %s: %s", key,
					name, err);
		}
		json_decref(p);
	}
	free(pages.prefix);
	json_decref(o);
	free(key);
	if (rc == 0 && s->n > 1)
		qsort(s->ds, s->n, sizeof(*s->ds), cmp_card);
	for (i = 1; rc == 0 && i < s->n; i++)
		if (strcmp(s->ds[i - 1]->name, s->ds[i]->name) == 0)
			rc = -EBADMSG;
	return rc;
}

static struct lyb_dataset *cards_find(const struct cards *s, const char *name)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int k = strcmp(s->ds[mid]->name, name);

		if (k == 0)
			return s->ds[mid];
		if (k < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_change(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	int k = strcmp(x->name, y->name);

	return k ? k : x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

/*
 * The DataSets whose newest announced commit does not load (the
 * snapshot's bad list, sorted by name at the end): the mount fails their
 * data closed, as it does for format 1's bad documents (lybfs/access.c),
 * since the commit it cannot read may be a revocation.
 */
struct badset {
	struct lyb_bad_doc *b;
	size_t n, cap;
	int changed;
};

static struct lyb_bad_doc *bad_find(struct badset *bs, const char *name)
{
	size_t i;

	for (i = 0; i < bs->n; i++)
		if (strcmp(bs->b[i].name, name) == 0)
			return &bs->b[i];
	return NULL;
}

static int bad_add(struct badset *bs, const struct lyb_snap *old,
		   const char *name, const char *why, int definite)
{
	const struct lyb_bad_doc *prev =
		old ? lyb_snap_find_bad(old, name) : NULL;
	struct lyb_bad_doc *b = bad_find(bs, name);

	if (!b) {
		if (bs->n == bs->cap) {
			size_t cap = bs->cap ? bs->cap * 2 : 8;
			struct lyb_bad_doc *nb =
				realloc(bs->b, cap * sizeof(*nb));

			if (!nb)
				return -ENOMEM;
			bs->b = nb;
			bs->cap = cap;
		}
		b = &bs->b[bs->n++];
		memset(b, 0, sizeof(*b));
		snprintf(b->name, sizeof(b->name), "%s", name);
		b->since = prev ? prev->since : (int64_t)time(NULL);
	}
	if (b->definite != definite || strncmp(b->reason, why, 255) != 0)
		bs->changed = 1;
	snprintf(b->reason, sizeof(b->reason), "%s", why);
	b->definite = definite;
	return 0;
}

static void bad_remove(struct badset *bs, const char *name)
{
	struct lyb_bad_doc *b = bad_find(bs, name);

	if (!b)
		return;
	*b = bs->b[--bs->n];
	bs->changed = 1;
}

static int cmp_bad2(const void *a, const void *b)
{
	return strcmp(((const struct lyb_bad_doc *)a)->name,
		      ((const struct lyb_bad_doc *)b)->name);
}

/* Remembers commit @seq of @name to read again (a read failed). */
static void retry_set(struct lyb_cat2 *c, const char *name, uint64_t seq)
{
	size_t i;

	for (i = 0; i < c->nretry; i++)
		if (strcmp(c->retry[i].name, name) == 0) {
			if (c->retry[i].seq < seq)
				c->retry[i].seq = seq;
			return;
		}
	if (c->nretry == RETRY_MAX)
		return; /* still bad: fails closed after acl_max_stale */
	if (!c->retry && !(c->retry = calloc(RETRY_MAX, sizeof(*c->retry))))
		return;
	snprintf(c->retry[c->nretry].name, sizeof(c->retry[0].name), "%s",
		 name);
	c->retry[c->nretry++].seq = seq;
}

static void retry_clear(struct lyb_cat2 *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nretry; i++)
		if (strcmp(c->retry[i].name, name) == 0) {
			c->retry[i] = c->retry[--c->nretry];
			return;
		}
}

/*
 * Reads the journal after entry *@g (up to @end, exclusive, when not 0)
 * until an entry is absent, appending announcements to @ch; *@g is the
 * last entry read. At most JOURNAL_BATCH entries per refresh, counting
 * the ones that are not announcements (garbage costs a read too).
 */
static int journal_run(struct lyb_cat2 *c, uint64_t *g, uint64_t end,
		       struct change *ch, size_t *nch, size_t *reads)
{
	int rc = 0;

	while (*reads < JOURNAL_BATCH && (!end || *g + 1 < end)) {
		char *key = journal_key(c, *g + 1), *text = NULL;
		size_t len;

		if (!key)
			return -ENOMEM;
		c->requests++;
		(*reads)++;
		rc = lyb_store_get(c->store, key, ANNOUNCE_MAX, &text, &len,
				   NULL);
		if (rc == -ENOENT) {
			free(key);
			return 0;
		}
		if (rc == 0 && announce_parse(text, len, *g + 1, ch[*nch].name,
					      &ch[*nch].seq) == 0)
			(*nch)++;
		else if (rc == 0 || rc == -EFBIG)
			lyb_log(LYB_LOG_WARN,
				"catalog: %s: not an announcement: ignored",
				key);
		free(text);
		free(key);
		if (rc && rc != -EFBIG)
			return rc; /* keep g: retried at the next refresh */
		rc = 0;
		(*g)++;
	}
	return rc;
}

/*
 * The journal's tail as a writer finds it (journal_tail(), from the newest
 * checkpoint). When it is past *@g while entry *@g + 1 is absent, there is
 * a hole a writer could never fill by appending at the tail (announce()):
 * the reader remembers the hole, and jumps to the start of the run of
 * entries that ends at the tail (at most JOURNAL_BATCH back), so one
 * planted entry does not stop every mount from seeing new commits.
 */
static int journal_hole(struct lyb_cat2 *c, uint64_t *g)
{
	uint64_t tail, start;
	int rc;

	rc = journal_tail(c, last_checkpoint(c), &tail);
	if (rc || tail <= *g + 1)
		return rc;
	if ((rc = journal_exists(c, *g + 1)) != 0)
		return rc < 0 ? rc : 0; /* no hole: the run goes on */
	for (start = tail; start > *g + 1 && tail - start < JOURNAL_BATCH;
	     start--) {
		rc = journal_exists(c, start - 1);
		if (rc < 0)
			return rc;
		if (!rc)
			break;
	}
	lyb_log(LYB_LOG_ERR,
		"catalog: journal entries %llu to %llu are missing while the "
		"journal goes on to %llu (one was planted past the tail?): "
		"reading on from %llu",
		(unsigned long long)(*g + 1), (unsigned long long)(start - 1),
		(unsigned long long)tail, (unsigned long long)start);
	if (c->nholes == HOLES_MAX) {
		lyb_log(LYB_LOG_ERR,
			"catalog: more than %d journal holes: no longer "
			"polling the oldest",
			HOLES_MAX);
		memmove(c->holes, c->holes + 1,
			(HOLES_MAX - 1) * sizeof(*c->holes));
		c->nholes--;
	}
	c->holes[c->nholes].next = *g;
	c->holes[c->nholes++].end = start;
	*g = start - 1;
	return 0;
}

/*
 * The commit of DataSet @name to read, given its announced commits @cand
 * (@m of them, newest first) and the one the mount has (@have): the
 * newest announced one that exists, by bisection over them (O(log m)
 * stats: a forged announcement of a commit far ahead hides nothing), and
 * then the newest after it (one stat when it is the head: a commit whose
 * writer died before announcing it is found at the DataSet's next
 * announcement). 0 when none exists.
 */
static int newest_commit(struct lyb_cat2 *c, const char *name,
			 const struct change *cand, size_t m, uint64_t have,
			 uint64_t *seq)
{
	char *prefix = ds_prefix(c, name);
	size_t lo = 0, hi = m;
	int rc = 0;

	*seq = 0;
	if (!prefix)
		return -ENOMEM;
	/* one candidate (the usual case): no stat of it; commit_last()
	 * probes past it, and a read that finds nothing ignores it */
	if (m == 1)
		hi = 0;
	while (lo < hi) { /* the first (newest) that exists */
		size_t mid = lo + (hi - lo) / 2;

		rc = commit_exists(c, prefix, cand[mid].seq);
		if (rc < 0)
			goto out;
		if (rc)
			hi = mid;
		else
			lo = mid + 1;
	}
	rc = 0;
	if (lo < m && cand[lo].seq > have)
		rc = commit_last(c, prefix, cand[lo].seq, seq);
out:
	free(prefix);
	return rc;
}

int lyb_cat2_refresh(struct lyb_cat2 *c, const struct lyb_snap *old,
		     struct lyb_snap **out)
{
	struct cards s = {0};
	struct badset bs = {0};
	struct change *ch = NULL;
	struct lyb_snap *snap;
	size_t nch = 0, reads = 0, i, j;
	uint64_t g = c->journal;
	int rc = 0, any;

	*out = NULL;
	if (!old)
		c->loaded = 0;
	if (!c->loaded) {
		c->nretry = 0;
		c->nholes = 0;
		c->caught_up = 0;
		g = last_checkpoint(c);
		if (g > 0 && (rc = checkpoint_read(c, g, &s)) != 0)
			goto out;
		c->journal = g;
	} else {
		for (i = 0; i < old->ndatasets; i++)
			if ((rc = cards_add(&s,
					    lyb_dataset_ref(old->datasets[i]))))
				goto out;
		/* still bad until a newer commit of theirs loads */
		for (i = 0; i < old->nbad; i++)
			if ((rc = bad_add(&bs, old, old->bad[i].name,
					  old->bad[i].reason,
					  old->bad[i].definite)))
				goto out;
		bs.changed = 0;
	}
	/* the journal after what we have: one GET that 404s when idle */
	ch = calloc(JOURNAL_BATCH + RETRY_MAX, sizeof(*ch));
	if (!ch) {
		rc = -ENOMEM;
		goto out;
	}
	/* commits whose read failed before: read again */
	for (i = 0; i < c->nretry; i++)
		ch[nch++] = c->retry[i];
	rc = journal_run(c, &g, 0, ch, &nch, &reads);
	if (rc)
		goto out;
	/* then the holes left behind, for writers that fill them */
	for (i = 0; i < c->nholes && reads < JOURNAL_BATCH; i++) {
		rc = journal_run(c, &c->holes[i].next, c->holes[i].end, ch,
				 &nch, &reads);
		if (rc)
			goto out;
	}
	for (i = 0; i < c->nholes;) /* a hole filled up to its end: done */
		if (c->holes[i].next + 1 >= c->holes[i].end)
			c->holes[i] = c->holes[--c->nholes];
		else
			i++;
	if (nch == c->nretry && c->loaded && ++c->idle >= MARKER_EVERY) {
		struct lyb_object_info info;
		uint64_t at = g;

		c->requests++;
		rc = lyb_store_stat(c->store, c->marker, &info);
		if (rc == 0) {
			free(info.key);
			c->idle = 0;

			rc = journal_hole(c, &g);
			if (rc == 0 && g != at)
				rc = journal_run(c, &g, 0, ch, &nch, &reads);
			if (rc)
				goto out;
		} else {
			rc = rc == -ENOENT ? -EIO : rc; /* the root is gone */
			goto out;
		}
	}
	/* a new mount looks for a hole once it has caught up */
	if (!c->caught_up && reads < JOURNAL_BATCH) {
		uint64_t at = g;

		rc = journal_hole(c, &g);
		if (rc == 0 && g != at)
			rc = journal_run(c, &g, 0, ch, &nch, &reads);
		if (rc)
			goto out;
		c->caught_up = 1;
	}
	c->more = reads >= JOURNAL_BATCH;
	any = !c->loaded;
	/* the newest announced commit of each DataSet, read once */
	if (nch > 1)
		qsort(ch, nch, sizeof(*ch), cmp_change);
	for (i = 0; i < nch; i = j) {
		struct lyb_dataset *cur, *ds;
		size_t k;
		char err[512];
		uint64_t seq = 0;

		for (j = i + 1; j < nch && strcmp(ch[j].name, ch[i].name) == 0;
		     j++)
			;
		cur = cards_find(&s, ch[i].name);
		if (cur && cur->f2 && cur->f2->seq >= ch[i].seq)
			continue; /* nothing newer than what we have */
		rc = newest_commit(c, ch[i].name, ch + i, j - i,
				   cur && cur->f2 ? cur->f2->seq : 0, &seq);
		if (rc == 0 && seq == 0)
			rc = -ENOENT;
		if (rc)
			snprintf(err, sizeof(err),
				 "%s: no announced commit (the newest: %llu) "
				 "is there: %s",
				 ch[i].name, (unsigned long long)ch[i].seq,
				 strerror(-rc));
		else
			rc = commit_read(c, ch[i].name, seq, &ds, err,
					 sizeof(err));
		if (rc == -ENOMEM)
			goto out;
		if (rc == -ENOENT) {
			/* announcements carry no authority: one of a commit
			 * that is not there is forged (or garbled), ignored */
			lyb_log(LYB_LOG_WARN,
				"catalog: announced but absent: %s", err);
			retry_clear(c, ch[i].name);
			rc = 0;
			continue;
		}
		if (rc) {
			/* the DataSet's own newest commit does not load: it
			 * may revoke, so its data fails closed (at once when
			 * it is definitely bad, after acl_max_stale when the
			 * read failed, read again at every refresh) */
			int definite = rc == -EBADMSG;

			lyb_log(LYB_LOG_ERR, "catalog: %s", err);
			if (definite)
				retry_clear(c, ch[i].name);
			else
				retry_set(c, ch[i].name, seq ? seq : ch[i].seq);
			rc = bad_add(&bs, old, ch[i].name, err, definite);
			if (rc)
				goto out;
			continue;
		}
		retry_clear(c, ch[i].name);
		bad_remove(&bs, ch[i].name);
		/* mounts keep cards, not history: freed, not just forgotten
		 * (every announcement of a DataSet with history leaked it) */
		for (k = 0; k < ds->nhistory; k++)
			lyb_access_change_clear(&ds->history[k]);
		free(ds->history);
		ds->history = NULL;
		ds->nhistory = 0;
		if (cur) {
			for (k = 0; s.ds[k] != cur; k++)
				;
			lyb_dataset_unref(cur);
			s.ds[k] = ds;
		} else {
			if ((rc = cards_add(&s, ds)))
				goto out;
			qsort(s.ds, s.n, sizeof(*s.ds), cmp_card);
		}
		any = 1;
	}
	c->journal = g;
	c->loaded = 1;
	if (!any && !bs.changed)
		goto out;
	snap = calloc(1, sizeof(*snap));
	if (!snap) {
		rc = -ENOMEM;
		goto out;
	}
	atomic_init(&snap->refs, 1);
	snap->format = 2;
	snap->datasets = s.ds;
	snap->ndatasets = s.n;
	s.ds = NULL;
	s.n = 0;
	if (bs.n > 1)
		qsort(bs.b, bs.n, sizeof(*bs.b), cmp_bad2);
	snap->bad = bs.b;
	snap->nbad = bs.n;
	bs.b = NULL;
	*out = snap;
out:
	for (i = 0; i < s.n; i++)
		lyb_dataset_unref(s.ds[i]);
	free(s.ds);
	free(bs.b);
	free(ch);
	return rc;
}

/* --- lazy loads: a DataSet's dates, and the versions of one date --- */

struct dates_arg {
	struct lyb_datelist *l;
	size_t cap;
};

static int dates_cb(void *arg, json_t *e)
{
	struct dates_arg *a = arg;
	struct lyb_date_sum *d;
	const char *id = json_string_value(json_object_get(e, "latest"));
	uint64_t count, pub, first;

	if (a->l->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct lyb_date_sum *nd = realloc(a->l->d, cap * sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		a->l->d = nd;
		a->cap = cap;
	}
	if (!lyb_date_valid(ekey(e)) || !id || !lyb_id_valid(id) ||
	    get_u64(e, "count", &count) || count == 0 ||
	    get_u64(e, "published", &pub) || get_u64(e, "first", &first))
		return -EBADMSG;
	d = &a->l->d[a->l->n++];
	memcpy(d->date, ekey(e), LYB_DATE_LEN + 1);
	d->count = count;
	snprintf(d->latest, sizeof(d->latest), "%s", id);
	d->published = (int64_t)pub;
	d->first = (int64_t)first;
	return 0;
}

int lyb_f2_dates(struct lyb_dataset *ds, struct lyb_datelist **out)
{
	struct lyb_f2 *f = ds->f2;
	struct dates_arg a = {0};
	char ckey[HASH_LEN + 16];
	int rc;

	snprintf(ckey, sizeof(ckey), "d:%s", f->t[T_DATES].root);
	*out = cache_get(f->cache, ckey, dl_ref_fn);
	if (*out)
		return 0;
	a.l = calloc(1, sizeof(*a.l));
	if (!a.l)
		return -ENOMEM;
	atomic_init(&a.l->refs, 1);
	rc = tree_range(f, T_DATES, NULL, NULL, dates_cb, &a);
	if (rc) {
		lyb_log(LYB_LOG_ERR, "catalog: %s: its dates do not load: %s",
			ds->name, strerror(-rc));
		lyb_datelist_unref(a.l);
		return rc;
	}
	if (f->t[T_DATES].root[0])
		cache_put(f->cache, ckey, a.l,
			  sizeof(*a.l) + a.l->n * sizeof(*a.l->d), dl_ref_fn,
			  dl_release_fn);
	*out = a.l;
	return 0;
}

struct part_arg {
	struct lyb_dataset *p;
	size_t cap;
	int rc;
	char err[256];
};

static int part_cb(void *arg, json_t *e)
{
	struct part_arg *a = arg;
	struct lyb_version *v;

	if (a->p->nversions == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct lyb_version *nv =
			realloc(a->p->versions, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		a->p->versions = nv;
		a->cap = cap;
	}
	v = &a->p->versions[a->p->nversions];
	if (lyb_version_from_json(json_object_get(e, "v"), v, a->err,
				  sizeof(a->err)))
		return -EBADMSG;
	/* its key says where it is: a version filed under another date
	 * would be served under a path that is not its own */
	if (strncmp(ekey(e), v->date, LYB_DATE_LEN) != 0 ||
	    ekey(e)[LYB_DATE_LEN] != '/') {
		snprintf(a->err, sizeof(a->err),
			 "the version of %s is filed under key %.40s", v->date,
			 ekey(e));
		lyb_version_clear(v);
		return -EBADMSG;
	}
	a->p->nversions++;
	return 0;
}

/*
 * A copy of card @ds with the versions of @date loaded (all of them when
 * @date is NULL: for writers and tools, not for the mount).
 */
static int part_build(struct lyb_dataset *ds, const char *date,
		      struct lyb_dataset **out)
{
	struct part_arg a = {0};
	char lo[16], hi[16];
	int rc;

	rc = lyb_card_copy(ds, &a.p);
	if (rc)
		return rc;
	a.p->partial = 1;
	if (date) {
		snprintf(lo, sizeof(lo), "%s/", date);
		snprintf(hi, sizeof(hi), "%s0", date); /* '0' follows '/' */
	}
	rc = tree_range(ds->f2, T_VERSIONS, date ? lo : NULL, date ? hi : NULL,
			part_cb, &a);
	if (rc == 0)
		rc = lyb_dataset_index(a.p);
	if (rc) {
		lyb_log(LYB_LOG_ERR,
			"catalog: %s: versions of %s do not load: %s%s%s",
			ds->name, date ? date : "every date", strerror(-rc),
			a.err[0] ? ": " : "", a.err);
		lyb_dataset_unref(a.p);
		return rc;
	}
	*out = a.p;
	return 0;
}

int lyb_f2_part(struct lyb_dataset *ds, const char *date,
		struct lyb_dataset **out)
{
	struct lyb_f2 *f = ds->f2;
	char ckey[LYB_NAME_MAX + 64];
	size_t cost, i;
	int rc;

	/* by commit, not by tree root: a part carries the card (readers),
	 * which a grant or revoke changes without touching the versions */
	snprintf(ckey, sizeof(ckey), "v:%s:%llu:%s", ds->name,
		 (unsigned long long)f->seq, date ? date : "*");
	*out = cache_get(f->cache, ckey, ds_ref_fn);
	if (*out)
		return 0;
	rc = part_build(ds, date, out);
	if (rc)
		return rc;
	cost = 4096;
	for (i = 0; i < (*out)->nversions; i++)
		cost += 2048 + (*out)->versions[i].nlocations * 1024;
	if (date)
		cache_put(f->cache, ckey, *out, cost, ds_ref_fn, ds_release_fn);
	return 0;
}

/* --- writes --- */

/* The head of DataSet @name with its recent history: for a writer. */
int lyb_cat2_get(struct lyb_cat2 *c, const char *name, struct lyb_dataset **out,
		 char *err, size_t errlen)
{
	uint64_t seq = 0;
	int rc;

	if (!lyb_name_valid(name)) {
		snprintf(err, errlen, "invalid DataSet name");
		return -EINVAL;
	}
	rc = head_find(c, name, &seq);
	if (rc) {
		snprintf(err, errlen, "finding the head of %s: %s", name,
			 strerror(-rc));
		return rc;
	}
	if (seq == 0) {
		snprintf(err, errlen, "no such DataSet: %s", name);
		return -ENOENT;
	}
	rc = commit_read(c, name, seq, out, err, errlen);
	if (rc == -ENOENT) /* raced with nothing: commits are never removed */
		rc = -EIO;
	return rc;
}

/* Writes the head hint of @ds (best effort: a hint is never trusted). */
static void head_hint(struct lyb_cat2 *c, const struct lyb_dataset *ds)
{
	char *key = lyb_store_key_join(ds->f2->prefix, "head.json"), text[64];

	snprintf(text, sizeof(text), "{\"seq\":%llu}\n",
		 (unsigned long long)ds->f2->seq);
	c->requests++;
	if (key)
		lyb_store_put(c->store, key, text, strlen(text), -1, NULL);
	free(key);
}

/*
 * Writes @ds (with ds->f2->seq the next number) as a commit: the history
 * past HISTORY_INLINE spills to a page first; the exact bytes go through
 * the reader's parser; then create-if-absent. -EAGAIN: another writer
 * made that commit first. Then the hint and the announcement.
 */
static int commit_write(struct lyb_cat2 *c, struct lyb_dataset *ds,
			const char *change, const char *by, char *err,
			size_t errlen)
{
	struct lyb_f2 *f = ds->f2;
	struct lyb_dataset *back = NULL;
	char *text = NULL, *key = NULL, *card = NULL;
	size_t len = 0, cardlen = 0;
	json_t *o;
	int rc;

	if (ds->nhistory > HISTORY_INLINE) {
		size_t spill = ds->nhistory - HISTORY_INLINE / 2, i;
		struct lyb_dataset tmp = {0};
		json_t *a, *h, *pg;
		char hash[HASH_LEN + 1];

		tmp.name = ds->name;
		tmp.owner = ds->owner;
		tmp.history = ds->history;
		tmp.nhistory = spill;
		a = lyb_card_to_json(&tmp, 1);
		h = json_object_get(json_object_get(a, "access"), "history");
		pg = h ? json_pack("{s:i, s:s, s:i, s:[{s:s, s:O, s:o}]}",
				   "lybrary", 2, "kind", "history", "level", 0,
				   "entries", "k", "h", "history", h, "prev",
				   f->history_prev[0]
					   ? json_string(f->history_prev)
					   : json_null())
		       : NULL;
		json_decref(a);
		rc = pg ? page_put(f, "history", pg, hash, err, errlen)
			: -ENOMEM;
		if (rc)
			return rc;
		memcpy(f->history_prev, hash, sizeof(hash));
		for (i = 0; i < spill; i++)
			lyb_access_change_clear(&ds->history[i]);
		memmove(ds->history, ds->history + spill,
			(ds->nhistory - spill) * sizeof(*ds->history));
		ds->nhistory -= spill;
	}
	o = commit_json(ds, 1, NULL, NULL);
	card = o ? obj_text(o, &cardlen) : NULL;
	json_decref(o);
	if (!card) {
		snprintf(err, errlen,
			 "refusing to write DataSet %s: a field "
			 "is not UTF-8 text",
			 ds->name);
		return -EILSEQ;
	}
	free(card);
	if (cardlen > CARD_MAX) {
		snprintf(err, errlen,
			 "refusing to write DataSet %s: its card would be %zu "
			 "bytes, over the %u KiB every mount keeps at most",
			 ds->name, cardlen, CARD_MAX >> 10);
		return -EFBIG;
	}
	o = commit_json(ds, 0, change, by);
	text = o ? obj_text(o, &len) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	/* the gate: the reader's size cap and parser, on the exact bytes */
	rc = -EBADMSG;
	if (len > COMMIT_MAX) {
		snprintf(err, errlen,
			 "refusing to write DataSet %s: the commit would be "
			 "%zu bytes, over 1 MiB",
			 ds->name, len);
		rc = -EFBIG;
	} else if ((o = parse_text(text, len, err, errlen)) != NULL) {
		char perr[512] = "";

		rc = commit_parse(c, o, ds->name, f->seq, &back, perr,
				  sizeof(perr));
		json_decref(o);
		if (rc)
			snprintf(err, errlen,
				 "refusing to write DataSet %s: %s", ds->name,
				 perr);
		lyb_dataset_unref(back);
	}
	if (rc)
		goto out;
	key = seq_key(f->prefix, f->seq);
	c->requests++;
	rc = key ? lyb_store_put(c->store, key, text, len, 0, NULL) : -ENOMEM;
	if (rc == -EAGAIN)
		goto out; /* lost the race: the caller redoes it */
	if (rc) {
		snprintf(err, errlen, "writing %s: %s", key, strerror(-rc));
		goto out;
	}
	head_hint(c, ds);
	rc = announce(c, ds->name, f->seq, err, errlen);
	if (rc)
		lyb_log(LYB_LOG_WARN,
			"catalog: %s: committed but not announced (%s): "
			"mounts see it at its next change",
			ds->name, err);
	rc = 0;
out:
	free(key);
	free(text);
	return rc;
}

/* A new, empty head for DataSet @ds (commit 1). */
static int f2_init(struct lyb_cat2 *c, struct lyb_dataset *ds)
{
	struct lyb_f2 *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->store = lyb_store_ref(c->store);
	f->cache = cache_ref(c->cache);
	f->prefix = ds_prefix(c, ds->name);
	f->seq = 1;
	lyb_f2_free(ds->f2);
	ds->f2 = f;
	return f->prefix ? 0 : -ENOMEM;
}

int lyb_cat2_create(struct lyb_cat2 *c, const struct lyb_dataset *src,
		    char *err, size_t errlen)
{
	struct lyb_dataset *ds = NULL;
	int rc;

	if (src->nversions) {
		snprintf(err, errlen, "a new DataSet has no versions");
		return -EINVAL;
	}
	rc = lyb_card_copy(src, &ds);
	if (rc == 0)
		rc = f2_init(c, ds);
	if (rc == 0)
		rc = commit_write(c, ds, "create", NULL, err, errlen);
	if (rc == -EAGAIN) {
		rc = -EEXIST;
		snprintf(err, errlen, "DataSet %s already exists", src->name);
	}
	lyb_dataset_unref(ds);
	return rc;
}

static void backoff(int attempt, unsigned int *seed)
{
	if (attempt)
		usleep(1000 *
		       (1 + rand_r(seed) % (5 << (attempt < 6 ? attempt : 6))));
}

/* The history entries of @ds before its inline ones, newest chunk last. */
int lyb_cat2_history(struct lyb_dataset *ds)
{
	char prev[HASH_LEN + 1];
	size_t loaded = 0;
	int rc = 0;

	if (!ds->f2)
		return 0;
	memcpy(prev, ds->f2->history_prev, sizeof(prev));
	while (prev[0] && loaded < HISTORY_SHOWN && rc == 0) {
		json_t *p, *e, *doc;
		struct lyb_dataset *older = NULL;
		char err[256];

		rc = page_get(ds->f2, "history", prev, &p);
		if (rc)
			break;
		e = json_array_get(json_object_get(p, "entries"), 0);
		doc = json_pack("{s:i, s:s, s:{s:s}, s:{s:O}}", "lybrary", 2,
				"name", ds->name, "owner", "team", ds->owner,
				"access", "history",
				json_object_get(e, "history"));
		rc = doc ? lyb_card_from_json(doc, &older, err, sizeof(err))
			 : -ENOMEM;
		json_decref(doc);
		if (rc == 0) {
			struct lyb_access_change *h = realloc(
				older->history,
				(older->nhistory + ds->nhistory) * sizeof(*h));

			if (!h) {
				rc = -ENOMEM;
			} else {
				memcpy(h + older->nhistory, ds->history,
				       ds->nhistory * sizeof(*h));
				free(ds->history);
				ds->history = h;
				ds->nhistory += older->nhistory;
				loaded += older->nhistory;
				older->history = NULL;
				older->nhistory = 0;
			}
		}
		lyb_dataset_unref(older);
		if (rc == 0 && get_hash(e, "prev", 1, prev))
			rc = -EBADMSG;
		json_decref(p);
	}
	return rc;
}

int lyb_cat2_update(struct lyb_cat2 *c, const char *name,
		    lyb_catalog_mutate_fn mutate, void *arg, char *err,
		    size_t errlen)
{
	unsigned int seed = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	int rc = -EAGAIN, attempt;

	for (attempt = 0; attempt < WRITE_ATTEMPTS && rc == -EAGAIN;
	     attempt++) {
		struct lyb_dataset *ds = NULL;

		backoff(attempt, &seed);
		rc = lyb_cat2_get(c, name, &ds, err, errlen);
		if (rc)
			break;
		rc = mutate(arg, ds, err, errlen);
		if (rc == 0 && ds->nversions) {
			snprintf(err, errlen, "versions are added by publish");
			rc = -EINVAL;
		}
		if (rc == 0) {
			ds->f2->seq++;
			rc = commit_write(c, ds, "access", NULL, err, errlen);
		} else if (rc == 1) {
			rc = 0;
		}
		lyb_dataset_unref(ds);
	}
	if (rc == -EAGAIN)
		snprintf(err, errlen, "too many concurrent writers to %s",
			 name);
	return rc;
}

struct taken_arg {
	const char *id;
	int taken;
};

static int taken_cb(void *arg, json_t *e)
{
	struct taken_arg *a = arg;
	const char *id = json_string_value(json_object_get(e, "id"));

	if (id && strcmp(id, a->id) == 0) {
		a->taken = 1;
		return 1;
	}
	return 0;
}

/* Adds @v to @ds's trees (id chosen here); *@existed when already there. */
static int add_version(struct lyb_dataset *ds, const struct lyb_version *v,
		       char id[LYB_ID_MAX + 1], int *existed, char *err,
		       size_t errlen)
{
	struct lyb_f2 *f = ds->f2;
	struct lyb_version nv = *v;
	struct lyb_datelist *dl = NULL;
	json_t *e, *de;
	size_t idlen = LYB_ID_MIN;
	uint64_t count = 0;
	int rc;

	e = tree_find(f, T_DIGESTS, v->digest, &rc);
	if (rc)
		return rc;
	if (e) {
		snprintf(id, LYB_ID_MAX + 1, "%s",
			 json_string_value(json_object_get(e, "id")));
		json_decref(e);
		*existed = 1;
		return 1;
	}
	/* the shortest prefix of the digest, from 6, no other version has */
	for (;;) {
		char lo[LYB_ID_MAX + 1], hi[LYB_ID_MAX + 2];
		struct taken_arg a = {lo, 0};

		memcpy(lo, v->digest, idlen);
		lo[idlen] = '\0';
		snprintf(hi, sizeof(hi), "%s~", lo);
		rc = tree_range(f, T_DIGESTS, lo, hi, taken_cb, &a);
		if (rc)
			return rc;
		if (!a.taken || idlen >= LYB_ID_MAX)
			break;
		idlen += 2;
	}
	memcpy(nv.id, v->digest, idlen);
	nv.id[idlen] = '\0';
	memcpy(id, nv.id, idlen + 1);
	*existed = 0;

	de = tree_find(f, T_DATES, v->date, &rc);
	if (rc)
		return rc;
	{
		uint64_t pub = 0, first = 0;
		char keep[LYB_ID_MAX + 1];

		snprintf(keep, sizeof(keep), "%s", nv.id);
		if (de) {
			get_u64(de, "count", &count);
			get_u64(de, "published", &pub);
			get_u64(de, "first", &first);
			/* the date's latest is the last published */
			if ((int64_t)pub > nv.published)
				snprintf(keep, sizeof(keep), "%s",
					 json_string_value(json_object_get(
						 de, "latest")));
			json_decref(de);
		}
		if (!de || (int64_t)first > nv.published)
			first = (uint64_t)nv.published;
		if ((int64_t)pub < nv.published)
			pub = (uint64_t)nv.published;
		de = date_entry(v->date, count + 1, keep, (int64_t)pub,
				(int64_t)first);
	}
	f->ordinal++;
	e = version_entry(&nv, f->ordinal);
	if (e && entry_bytes(e) > ENTRY_MAX) {
		snprintf(err, errlen,
			 "refusing to publish: the version's record would be "
			 "%zu bytes, over %u KiB",
			 entry_bytes(e), ENTRY_MAX >> 10);
		json_decref(e);
		json_decref(de);
		return -EFBIG;
	}
	if ((rc = tree_put(f, T_VERSIONS, e, 0, err, errlen)) ||
	    (rc = tree_put(f, T_DIGESTS, digest_entry(&nv), 0, err, errlen)) ||
	    (rc = tree_put(f, T_DATES, de, 1, err, errlen))) {
		if (rc == -EEXIST)
			rc = -EAGAIN;
		return rc;
	}
	if (ds->latest_date[0] && strcmp(nv.date, ds->latest_date) == 0 &&
	    nv.published < ds->latest_first)
		ds->latest_first = nv.published;
	if (!ds->latest_date[0] || strcmp(nv.date, ds->latest_date) > 0)
		ds->latest_first = nv.published;
	if (!ds->latest_date[0] || strcmp(nv.date, ds->latest_date) > 0 ||
	    (strcmp(nv.date, ds->latest_date) == 0 &&
	     nv.published >= ds->latest_published)) {
		memcpy(ds->latest_date, nv.date, sizeof(nv.date));
		memcpy(ds->latest_id, nv.id, sizeof(nv.id));
		ds->latest_published = nv.published;
		ds->latest_rows = nv.rows;
		ds->latest_bytes = nv.bytes;
	}
	if (nv.published > ds->updated)
		ds->updated = nv.published;
	lyb_datelist_unref(dl);
	return 0;
}

int lyb_cat2_publish(struct lyb_cat2 *c, const char *name,
		     const struct lyb_version *v, char id[LYB_ID_MAX + 1],
		     int *existed, char *err, size_t errlen)
{
	unsigned int seed = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	int rc = -EAGAIN, attempt;

	for (attempt = 0; attempt < WRITE_ATTEMPTS && rc == -EAGAIN;
	     attempt++) {
		struct lyb_dataset *ds = NULL;
		char change[LYB_DATE_LEN + LYB_ID_MAX + 16];

		backoff(attempt, &seed);
		rc = lyb_cat2_get(c, name, &ds, err, errlen);
		if (rc)
			break;
		rc = add_version(ds, v, id, existed, err, errlen);
		if (rc == 0) {
			ds->f2->seq++;
			snprintf(change, sizeof(change), "publish %s %s",
				 v->date, id);
			rc = commit_write(c, ds, change, v->producer, err,
					  errlen);
		} else if (rc == 1) {
			rc = 0;
		}
		lyb_dataset_unref(ds);
	}
	if (rc == -EAGAIN)
		snprintf(err, errlen, "too many concurrent writers to %s",
			 name);
	return rc;
}

/*
 * Writes a whole DataSet (a format 1 document, versions and all) as
 * commit 1: its trees built bottom-up. For `lyb catalog upgrade` and the
 * benchmark's generator. -EEXIST when the DataSet has a commit already.
 */
int lyb_cat2_import(struct lyb_cat2 *c, const struct lyb_dataset *src,
		    int announce_it, char *err, size_t errlen)
{
	struct lyb_dataset *ds = NULL;
	json_t *dates = json_array(), *vers = json_array(),
	       *digs = json_array();
	struct lyb_version **byd = NULL;
	size_t i;
	int rc;

	if (!dates || !vers || !digs) {
		rc = -ENOMEM;
		goto out;
	}
	rc = lyb_card_copy(src, &ds);
	if (rc == 0)
		rc = f2_init(c, ds);
	if (rc)
		goto out;
	for (i = 0; i < src->ndates && rc == 0; i++) {
		const struct lyb_date *d = &src->dates[i];

		rc = json_array_append_new(
			     dates,
			     date_entry(d->date, d->count, d->latest->id,
					d->latest->published,
					src->versions[d->first].published))
			     ? -ENOMEM
			     : 0;
	}
	for (i = 0; i < src->nversions && rc == 0; i++) {
		json_t *e = version_entry(&src->versions[i], i + 1);

		if (e && entry_bytes(e) > ENTRY_MAX) {
			snprintf(err, errlen, "%s: version %s is too large",
				 src->name, src->versions[i].id);
			json_decref(e);
			rc = -EFBIG;
			break;
		}
		rc = json_array_append_new(vers, e) ? -ENOMEM : 0;
	}
	/* digests sorted by digest */
	byd = malloc((src->nversions + 1) * sizeof(*byd));
	if (!byd && rc == 0)
		rc = -ENOMEM;
	for (i = 0; i < src->nversions && rc == 0; i++)
		byd[i] = &src->versions[i];
	if (rc == 0 && src->nversions > 1)
		qsort(byd, src->nversions, sizeof(*byd), cmp_vptr_digest);
	for (i = 0; i < src->nversions && rc == 0; i++)
		rc = json_array_append_new(digs, digest_entry(byd[i])) ? -ENOMEM
								       : 0;
	if (rc)
		goto out;
	rc = tree_build(ds->f2, T_DATES, dates, err, errlen);
	dates = NULL;
	if (rc == 0)
		rc = tree_build(ds->f2, T_VERSIONS, vers, err, errlen);
	vers = NULL;
	if (rc == 0)
		rc = tree_build(ds->f2, T_DIGESTS, digs, err, errlen);
	digs = NULL;
	if (rc)
		goto out;
	ds->f2->ordinal = src->nversions;
	if (src->ndates) {
		const struct lyb_date *d = lyb_dataset_latest_date(src);

		memcpy(ds->latest_date, d->date, sizeof(ds->latest_date));
		memcpy(ds->latest_id, d->latest->id, sizeof(ds->latest_id));
		ds->latest_published = d->latest->published;
		ds->latest_rows = d->latest->rows;
		ds->latest_bytes = d->latest->bytes;
		ds->latest_first = src->versions[d->first].published;
	}
	ds->updated = src->updated;
	if (announce_it) {
		rc = commit_write(c, ds, "import", NULL, err, errlen);
	} else { /* the caller writes a checkpoint: no announcement */
		json_t *o = commit_json(ds, 0, "import", NULL);
		size_t len = 0;
		char *text = o ? obj_text(o, &len) : NULL, *key;

		json_decref(o);
		key = seq_key(ds->f2->prefix, 1);
		rc = text && key
			     ? lyb_store_put(c->store, key, text, len, 0, NULL)
			     : -ENOMEM;
		free(text);
		free(key);
		if (rc == 0)
			head_hint(c, ds);
	}
	if (rc == -EAGAIN) {
		snprintf(err, errlen, "%s: already in format 2", src->name);
		rc = -EEXIST;
	}
out:
	free(byd);
	json_decref(dates);
	json_decref(vers);
	json_decref(digs);
	lyb_dataset_unref(ds);
	return rc;
}

/*
 * Writes a checkpoint of every DataSet as of the journal's current tail
 * (the one @snap was built at, from lyb_cat2_refresh): pages of CKPT_PAGE
 * cards, unchanged ones shared with the last checkpoint by their names.
 */
int lyb_cat2_checkpoint(struct lyb_cat2 *c, const struct lyb_snap *snap,
			char *err, size_t errlen)
{
	struct lyb_f2 pages = {0};
	json_t *list = json_array(), *entries = NULL, *o;
	char rel[48], *key = NULL, *text = NULL;
	size_t i, len = 0;
	int rc = 0;

	/* a checkpoint of the last good card of a DataSet whose newest
	 * commit does not load would hide that commit from new mounts */
	if (snap->nbad) {
		snprintf(err, errlen,
			 "not writing a checkpoint: the newest commit of %s "
			 "does not load (%s)",
			 snap->bad[0].name, snap->bad[0].reason);
		json_decref(list);
		return -EBADMSG;
	}
	pages.store = c->store;
	pages.cache = c->cache;
	pages.prefix = lyb_store_key_join(c->root, "checkpoints");
	if (!list || !pages.prefix) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i <= snap->ndatasets && rc == 0; i++) {
		if (entries && (i == snap->ndatasets ||
				json_array_size(entries) == CKPT_PAGE)) {
			char h[HASH_LEN + 1];

			rc = page_put(&pages, "cards",
				      page_new("cards", 0, entries), h, err,
				      errlen);
			entries = NULL;
			if (rc == 0 &&
			    json_array_append_new(list, json_string(h)))
				rc = -ENOMEM;
		}
		if (i == snap->ndatasets || rc)
			break;
		if (!entries && !(entries = json_array())) {
			rc = -ENOMEM;
			break;
		}
		o = commit_json(snap->datasets[i], 1, NULL, NULL);
		if (!o || json_array_append_new(
				  entries, json_pack("{s:s, s:o}", "k",
						     snap->datasets[i]->name,
						     "commit", o)))
			rc = -ENOMEM;
	}
	json_decref(entries);
	if (rc)
		goto out;
	o = json_pack("{s:i, s:s, s:I, s:I, s:O}", "lybrary", 2, "kind",
		      "checkpoint", "seq", (json_int_t)c->journal, "datasets",
		      (json_int_t)snap->ndatasets, "pages", list);
	text = o ? obj_text(o, &len) : NULL;
	json_decref(o);
	snprintf(rel, sizeof(rel), "checkpoints/%020llu.json",
		 (unsigned long long)c->journal);
	key = lyb_store_key_join(c->root, rel);
	rc = text && key ? lyb_store_put(c->store, key, text, len, 0, NULL)
			 : -ENOMEM;
	if (rc == -EAGAIN)
		rc = 0; /* one for this G exists: the same heads */
	free(key);
	free(text);
	if (rc) {
		snprintf(err, errlen, "writing the checkpoint: %s",
			 strerror(-rc));
		goto out;
	}
	{
		char hint[64];

		snprintf(hint, sizeof(hint), "{\"seq\":%llu}\n",
			 (unsigned long long)c->journal);
		key = lyb_store_key_join(c->root, "checkpoints/last.json");
		rc = key ? lyb_store_put(c->store, key, hint, strlen(hint), -1,
					 NULL)
			 : -ENOMEM;
		free(key);
		if (rc)
			snprintf(err, errlen,
				 "writing checkpoints/last.json: %s",
				 strerror(-rc));
	}
out:
	free(pages.prefix);
	json_decref(list);
	return rc;
}
