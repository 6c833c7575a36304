// SPDX-License-Identifier: Apache-2.0
/*
 * handles.c - the table of open file and directory handles (handles.h):
 * slots reused through a free list, a generation per slot so a stale fh
 * never matches, request references, and the per-uid counts behind the
 * handle limits.
 *
 * Locking: h->lock guards the slots, every slot's refs and closed flag and
 * the per-uid counts; it is a leaf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "handles.h"

struct lybfs_handle {
	void *obj; /* NULL: free, or reserved and not attached yet */
	void (*free_fn)(void *obj);
	uint32_t gen; /* bumped on reuse: a stale fh never matches */
	int refs;     /* requests using obj */
	int closed;   /* released: free at refs == 0 */
	uid_t uid;    /* who opened it, charged in uid_opens */
	size_t next_free;
};

struct lybfs_uid_open {
	uid_t uid;
	size_t n;
	struct lybfs_uid_open *next;
};

void lybfs_handles_init(struct lybfs_handles *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->free_head = SIZE_MAX;
	h->max_per_uid = h->max_total = SIZE_MAX;
}

void lybfs_handles_limit(struct lybfs_handles *h, size_t per_uid, size_t total)
{
	h->max_per_uid = per_uid ? per_uid : SIZE_MAX;
	h->max_total = total ? total : SIZE_MAX;
}

void lybfs_handles_destroy(struct lybfs_handles *h)
{
	struct lybfs_uid_open *u, *next;
	size_t i;

	for (i = 0; i < h->nslots; i++)
		if (h->slots[i].obj)
			h->slots[i].free_fn(h->slots[i].obj);
	for (i = 0; i < LYBFS_UID_SLOTS; i++)
		for (u = h->uid_opens[i]; u; u = next) {
			next = u->next;
			free(u);
		}
	free(h->slots);
	pthread_mutex_destroy(&h->lock);
	memset(h, 0, sizeof(*h));
}

static struct lybfs_uid_open **uid_open_find(struct lybfs_handles *h, uid_t uid)
{
	struct lybfs_uid_open **pp = &h->uid_opens[uid % LYBFS_UID_SLOTS];

	while (*pp && (*pp)->uid != uid)
		pp = &(*pp)->next;
	return pp;
}

static void free_slot(struct lybfs_handles *h, size_t i)
{
	struct lybfs_handle *s = &h->slots[i];
	struct lybfs_uid_open **pp = uid_open_find(h, s->uid), *u = *pp;

	if (s->obj)
		s->free_fn(s->obj);
	s->obj = NULL;
	s->gen++;
	s->next_free = h->free_head;
	h->free_head = i;
	h->nused--;
	if (u && --u->n == 0) {
		*pp = u->next;
		free(u);
	}
}

/* Doubles the table (64 slots at first). 0 or -ENOMEM. */
static int grow(struct lybfs_handles *h)
{
	size_t n = h->nslots ? h->nslots * 2 : 64, i;
	struct lybfs_handle *t;

	t = n <= UINT32_MAX ? realloc(h->slots, n * sizeof(*t)) : NULL;
	if (!t)
		return -ENOMEM;
	h->slots = t;
	for (i = n; i-- > h->nslots;) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].next_free = h->free_head;
		h->free_head = i;
	}
	h->nslots = n;
	return 0;
}

int lybfs_handle_reserve(struct lybfs_handles *h, uid_t uid, uint64_t *fh,
			 size_t *held)
{
	struct lybfs_uid_open **pp, *u;
	struct lybfs_handle *s;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	pp = uid_open_find(h, uid);
	u = *pp;
	*held = u ? u->n : 0;
	if (*held >= h->max_per_uid) {
		rc = -EMFILE;
		goto out_unlock;
	}
	if (h->nused >= h->max_total) {
		rc = -ENFILE;
		goto out_unlock;
	}
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		u->uid = uid;
		*pp = u;
	}
	if (h->free_head == SIZE_MAX && (rc = grow(h)) != 0) {
		if (u->n == 0) {
			*pp = u->next;
			free(u);
		}
		goto out_unlock;
	}
	i = h->free_head;
	s = &h->slots[i];
	h->free_head = s->next_free;
	s->obj = NULL;
	s->refs = 0;
	s->closed = 0;
	s->uid = uid;
	u->n++;
	h->nused++;
	*held = u->n;
	*fh = (uint64_t)s->gen << 32 | i;
out_unlock:
	pthread_mutex_unlock(&h->lock);
	return rc;
}

void lybfs_handle_attach(struct lybfs_handles *h, uint64_t fh, void *obj,
			 void (*free_fn)(void *))
{
	size_t i = (size_t)(fh & UINT32_MAX);

	pthread_mutex_lock(&h->lock);
	h->slots[i].free_fn = free_fn;
	h->slots[i].obj = obj;
	pthread_mutex_unlock(&h->lock);
}

void lybfs_handle_cancel(struct lybfs_handles *h, uint64_t fh)
{
	size_t i = (size_t)(fh & UINT32_MAX);

	pthread_mutex_lock(&h->lock);
	free_slot(h, i);
	pthread_mutex_unlock(&h->lock);
}

/* The slot of @fh if it is attached, open and of @fh's generation. */
static struct lybfs_handle *live_slot(struct lybfs_handles *h, uint64_t fh)
{
	size_t i = (size_t)(fh & UINT32_MAX);
	struct lybfs_handle *s = i < h->nslots ? &h->slots[i] : NULL;

	return s && s->obj && !s->closed && s->gen == (uint32_t)(fh >> 32)
		       ? s
		       : NULL;
}

void *lybfs_handle_get(struct lybfs_handles *h, uint64_t fh)
{
	struct lybfs_handle *s;
	void *obj = NULL;

	pthread_mutex_lock(&h->lock);
	s = live_slot(h, fh);
	if (s) {
		s->refs++;
		obj = s->obj;
	}
	pthread_mutex_unlock(&h->lock);
	return obj;
}

void lybfs_handle_put(struct lybfs_handles *h, uint64_t fh)
{
	size_t i = (size_t)(fh & UINT32_MAX);

	pthread_mutex_lock(&h->lock);
	if (--h->slots[i].refs == 0 && h->slots[i].closed)
		free_slot(h, i);
	pthread_mutex_unlock(&h->lock);
}

void lybfs_handle_close(struct lybfs_handles *h, uint64_t fh)
{
	struct lybfs_handle *s;

	pthread_mutex_lock(&h->lock);
	s = live_slot(h, fh);
	if (s) {
		s->closed = 1;
		if (s->refs == 0)
			free_slot(h, (size_t)(fh & UINT32_MAX));
	}
	pthread_mutex_unlock(&h->lock);
}
