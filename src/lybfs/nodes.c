// SPDX-License-Identifier: Apache-2.0
/*
 * nodes.c - the inode table (nodes.h): two hash tables of nodes, by inode
 * number and by path, and the two ways the kernel is told to drop what it
 * cached: every node that can change after a catalog change, and the
 * inodes opened on an object the block cache found corrupt.
 *
 * Locking: t->lock protects both hash tables and every nlookup and cache
 * id; t->inval.lock the queue of corrupt inodes. Order: t->lock, then
 * t->inval.lock (corrupt_hook takes both).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lyb/digest.h"
#include "lyb/log.h"
#include "lybfs.h"

#define NBUCKETS 65536u

int lybfs_nodes_init(struct lybfs_nodes *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->inval.lock, NULL);
	pthread_cond_init(&t->inval.cond, NULL);
	t->next_ino = FUSE_ROOT_ID + 1;
	t->by_ino = calloc(NBUCKETS, sizeof(*t->by_ino));
	t->by_path = calloc(NBUCKETS, sizeof(*t->by_path));
	t->root = calloc(1, sizeof(*t->root) + 1);
	if (!t->by_ino || !t->by_path || !t->root) {
		free(t->by_ino);
		free(t->by_path);
		free(t->root);
		t->by_ino = t->by_path = NULL;
		t->root = NULL;
		return -ENOMEM;
	}
	t->root->ino = FUSE_ROOT_ID;
	t->root->nlookup = 1; /* the root is never forgotten */
	t->root->can_change = 1;
	t->by_ino[t->root->ino % NBUCKETS] = t->root;
	t->by_path[lyb_fnv1a_str("") % NBUCKETS] = t->root;
	return 0;
}

void lybfs_nodes_destroy(struct lybfs_nodes *t)
{
	struct lybfs_node *n, *next;
	size_t i;

	for (i = 0; t->by_ino && i < NBUCKETS; i++)
		for (n = t->by_ino[i]; n; n = next) {
			next = n->next_ino;
			free(n);
		}
	free(t->by_ino);
	free(t->by_path);
	pthread_cond_destroy(&t->inval.cond);
	pthread_mutex_destroy(&t->inval.lock);
	pthread_mutex_destroy(&t->lock);
	memset(t, 0, sizeof(*t));
}

struct lybfs_node *lybfs_node_get(struct lybfs_nodes *t, uint64_t ino)
{
	struct lybfs_node *n;

	pthread_mutex_lock(&t->lock);
	for (n = t->by_ino[ino % NBUCKETS]; n && n->ino != ino; n = n->next_ino)
		;
	pthread_mutex_unlock(&t->lock);
	return n;
}

struct lybfs_node *lybfs_node_lookup(struct lybfs_nodes *t, const char *path,
				     int can_change)
{
	uint64_t h = lyb_fnv1a_str(path) % NBUCKETS;
	size_t len = strlen(path);
	struct lybfs_node *n;

	pthread_mutex_lock(&t->lock);
	for (n = t->by_path[h]; n && strcmp(n->path, path); n = n->next_path)
		;
	if (!n) {
		n = malloc(sizeof(*n) + len + 1);
		if (!n)
			goto out_unlock;
		memcpy(n->path, path, len + 1);
		n->ino = t->next_ino++;
		n->nlookup = 0;
		n->can_change = can_change;
		n->has_cache_id = 0;
		n->next_path = t->by_path[h];
		t->by_path[h] = n;
		n->next_ino = t->by_ino[n->ino % NBUCKETS];
		t->by_ino[n->ino % NBUCKETS] = n;
	}
	n->nlookup++;
out_unlock:
	pthread_mutex_unlock(&t->lock);
	return n;
}

void lybfs_node_forget(struct lybfs_nodes *t, uint64_t ino, uint64_t count)
{
	struct lybfs_node **pp, *n;

	pthread_mutex_lock(&t->lock);
	for (pp = &t->by_ino[ino % NBUCKETS]; *pp && (*pp)->ino != ino;
	     pp = &(*pp)->next_ino)
		;
	n = *pp;
	if (!n || n == t->root)
		goto out_unlock;
	if (n->nlookup > count) {
		n->nlookup -= count;
		goto out_unlock;
	}
	*pp = n->next_ino;
	for (pp = &t->by_path[lyb_fnv1a_str(n->path) % NBUCKETS]; *pp != n;
	     pp = &(*pp)->next_path)
		;
	*pp = n->next_path;
	free(n);
out_unlock:
	pthread_mutex_unlock(&t->lock);
}

void lybfs_node_set_cache_id(struct lybfs_nodes *t, struct lybfs_node *n,
			     const unsigned char id[LYB_CACHE_ID_LEN])
{
	pthread_mutex_lock(&t->lock);
	memcpy(n->cache_id, id, LYB_CACHE_ID_LEN);
	n->has_cache_id = 1;
	pthread_mutex_unlock(&t->lock);
}

void lybfs_nodes_invalidate(struct lybfs_nodes *t, struct fuse_session *se)
{
	uint64_t *inos = NULL;
	size_t n = 0, cap = 0, i;
	struct lybfs_node *nd;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < NBUCKETS; i++) {
		for (nd = t->by_ino[i]; nd; nd = nd->next_ino) {
			if (!nd->can_change)
				continue; /* a version's tree never does */
			if (n == cap) {
				uint64_t *x;

				cap = cap ? cap * 2 : 256;
				x = realloc(inos, cap * sizeof(*x));
				if (!x)
					break;
				inos = x;
			}
			inos[n++] = nd->ino;
		}
	}
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < n; i++)
		fuse_lowlevel_notify_inval_inode(se, inos[i], 0, 0);
	free(inos);
}

/* --- dropping the kernel's pages of corrupt objects --- */

/* lyb_cache_on_corrupt(): queues every inode opened on object @id. */
static void corrupt_hook(void *arg, const unsigned char *id)
{
	struct lybfs_nodes *t = arg;
	unsigned lost = 0;
	struct lybfs_node *nd;
	size_t i;

	pthread_mutex_lock(&t->lock);
	pthread_mutex_lock(&t->inval.lock);
	for (i = 0; t->by_ino && i < NBUCKETS; i++)
		for (nd = t->by_ino[i]; nd; nd = nd->next_ino) {
			if (!nd->has_cache_id ||
			    memcmp(nd->cache_id, id, LYB_CACHE_ID_LEN) != 0)
				continue;
			if (t->inval.n < LYBFS_INVAL_MAX)
				t->inval.inos[t->inval.n++] = nd->ino;
			else
				lost++;
		}
	pthread_cond_signal(&t->inval.cond);
	pthread_mutex_unlock(&t->inval.lock);
	pthread_mutex_unlock(&t->lock);
	if (lost)
		lyb_log(LYB_LOG_WARN,
			"%u inodes of a corrupt object keep their page cache",
			lost);
}

static void *inval_main(void *arg)
{
	struct lybfs_nodes *t = arg;
	uint64_t ino;

	pthread_mutex_lock(&t->inval.lock);
	for (;;) {
		while (!t->inval.n && !t->inval.stop)
			pthread_cond_wait(&t->inval.cond, &t->inval.lock);
		if (t->inval.stop)
			break;
		ino = t->inval.inos[--t->inval.n];
		pthread_mutex_unlock(&t->inval.lock);
		fuse_lowlevel_notify_inval_inode(t->inval.se, ino, 0, 0);
		lyb_log(LYB_LOG_INFO,
			"inode %llu: dropped the kernel's cached pages of a "
			"corrupt object",
			(unsigned long long)ino);
		pthread_mutex_lock(&t->inval.lock);
	}
	pthread_mutex_unlock(&t->inval.lock);
	return NULL;
}

int lybfs_invalidator_start(struct lybfs_nodes *t, struct fuse_session *se)
{
	t->inval.se = se;
	t->inval.stop = 0;
	if (pthread_create(&t->inval.thread, NULL, inval_main, t) != 0)
		return -EAGAIN;
	t->inval.started = 1;
	lyb_cache_on_corrupt(corrupt_hook, t);
	return 0;
}

void lybfs_invalidator_stop(struct lybfs_nodes *t)
{
	lyb_cache_on_corrupt(NULL, NULL);
	if (!t->inval.started)
		return;
	pthread_mutex_lock(&t->inval.lock);
	t->inval.stop = 1;
	pthread_cond_signal(&t->inval.cond);
	pthread_mutex_unlock(&t->inval.lock);
	pthread_join(t->inval.thread, NULL);
	t->inval.started = 0;
}
