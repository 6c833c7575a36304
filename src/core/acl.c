// SPDX-License-Identifier: Apache-2.0
/*
 * acl.c - identities, the read policy and the access-request workflow
 * (acl.h). Identities come from NSS (getpwuid_r, getgrgid_r) and are
 * cached for a few seconds, keyed by everything the kernel told us, so a
 * changed group membership shows once the process has it and the cache
 * entry expired.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog_impl.h"
#include "lyb/acl.h"
#include "lyb/buf.h"
#include "lyb/clock.h"
#include "lyb/digest.h"
#include "lyb/freshness.h"
#include "lyb/text.h"

#define CACHE_SLOTS 256
#define NSS_BUF_MAX (1u << 20)

struct cache_slot {
	uint64_t key;	      /* hash of uid, gid, groups */
	double expires;	      /* CLOCK_MONOTONIC seconds */
	struct lyb_ident *id; /* NULL: empty */
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t *groups; /* sorted */
};

struct lyb_acl {
	char *domain;
	size_t nadmins;
	char **admins;
	double ttl;
	pthread_mutex_t lock;		      /* the cache; a leaf */
	struct cache_slot cache[CACHE_SLOTS]; /* under lock */
};

/* --- identities --- */

/*
 * Whether getpwuid_r/getgrgid_r's @rc means "no such entry": 0, or one of
 * the errors their manual lists for a name that is not found. Anything
 * else (EMFILE, ENFILE, EIO, ENOMEM, EAGAIN, ...) is a lookup that could
 * not be made, which must never be taken for an unknown account.
 */
static int nss_not_found(int rc)
{
	return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF ||
	       rc == EPERM;
}

/*
 * The name of user @id (or of group @id when @group), by getpwuid_r or
 * getgrgid_r with a buffer grown to NSS_BUF_MAX, into @out. Returns 0,
 * -ENOENT when there is no such entry (or it does not fit @out), or
 * -errno when NSS could not answer (e.g. -EMFILE: out of descriptors).
 */
static int nss_name(int group, unsigned id, char *out, size_t outlen)
{
	size_t cap = 1024;
	struct passwd pw, *pres = NULL;
	struct group gr, *gres = NULL;
	const char *name = NULL;
	char *buf = NULL, *nb;
	int rc;

	for (;;) {
		nb = realloc(buf, cap);
		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		rc = group ? getgrgid_r((gid_t)id, &gr, buf, cap, &gres)
			   : getpwuid_r((uid_t)id, &pw, buf, cap, &pres);
		if (rc != ERANGE || cap >= NSS_BUF_MAX)
			break;
		cap *= 2;
	}
	name = group ? (gres ? gres->gr_name : NULL)
		     : (pres ? pres->pw_name : NULL);
	if (!name) {
		free(buf);
		return nss_not_found(rc) ? -ENOENT : -rc;
	}
	rc = strlen(name) < outlen ? 0 : -ENOENT;
	if (rc == 0)
		memcpy(out, name, strlen(name) + 1);
	free(buf);
	return rc;
}

static int user_name(uid_t uid, char *out, size_t outlen)
{
	return nss_name(0, uid, out, outlen);
}

static int group_name(gid_t gid, char *out, size_t outlen)
{
	return nss_name(1, gid, out, outlen);
}

static int add_group(struct lyb_ident *id, gid_t gid)
{
	char name[LYB_PRINCIPAL_MAX], p[LYB_PRINCIPAL_MAX + 8];
	size_t i;
	int rc = group_name(gid, name, sizeof(name));

	if (rc)
		return rc == -ENOENT ? 0 : rc; /* unknown: not a principal */
	snprintf(p, sizeof(p), "group:%s", name);
	if (!lyb_principal_valid(p))
		return 0;
	for (i = 0; i < id->ngroups; i++)
		if (strcmp(id->groups[i], p) == 0)
			return 0;
	id->groups[id->ngroups] = strdup(p);
	if (!id->groups[id->ngroups])
		return -ENOMEM;
	id->ngroups++;
	return 0;
}

int lyb_ident_new(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
		  const char *domain, struct lyb_ident **out)
{
	char name[LYB_PRINCIPAL_MAX] = "";
	struct lyb_ident *id;
	size_t i;
	int rc = 0, local;

	if (ngroups > LYB_ACL_MAX_GROUPS)
		ngroups = LYB_ACL_MAX_GROUPS;
	id = calloc(1, sizeof(*id));
	if (!id)
		return -ENOMEM;
	atomic_init(&id->refs, 1);
	id->uid = uid;
	id->gid = gid;
	rc = user_name(uid, name, sizeof(name));
	if (rc && rc != -ENOENT)
		goto out_free; /* NSS failed: not the same as no account */
	rc = 0;
	local = name[0] != '\0';
	if (local && strlen(name) + strlen(domain) + 7 < sizeof(id->user)) {
		snprintf(id->user, sizeof(id->user), "user:%s@%s", name,
			 domain);
		if (!lyb_principal_valid(id->user))
			id->user[0] = '\0';
	}
	/*
	 * domain: means "a local account": a uid without a passwd entry (a
	 * container's, a deleted account's, one made up with setpriv) is
	 * none, so it gets neither principal; only the group: principals of
	 * the gids the kernel says it holds.
	 */
	if (local)
		snprintf(id->domain, sizeof(id->domain), "domain:%s", domain);
	if (id->user[0])
		snprintf(id->display, sizeof(id->display), "%s", id->user + 5);
	else
		snprintf(id->display, sizeof(id->display), "uid %u",
			 (unsigned)uid);
	id->groups = calloc(ngroups + 1, sizeof(*id->groups));
	if (!id->groups) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = add_group(id, gid);
	for (i = 0; i < ngroups && rc == 0; i++)
		rc = add_group(id, groups[i]);
	if (rc)
		goto out_free;
	*out = id;
	return 0;
out_free:
	atomic_store(&id->refs, 1);
	lyb_ident_unref(id);
	return rc;
}

int lyb_ident_self(const char *domain, struct lyb_ident **out)
{
	gid_t groups[LYB_ACL_MAX_GROUPS];
	int n = getgroups(LYB_ACL_MAX_GROUPS, groups);

	if (n < 0)
		n = 0; /* more than we consider: only the primary group */
	return lyb_ident_new(getuid(), getgid(), groups, (size_t)n, domain,
			     out);
}

struct lyb_ident *lyb_ident_ref(struct lyb_ident *id)
{
	atomic_fetch_add(&id->refs, 1);
	return id;
}

void lyb_ident_unref(struct lyb_ident *id)
{
	size_t i;

	if (!id || atomic_fetch_sub(&id->refs, 1) != 1)
		return;
	for (i = 0; i < id->ngroups; i++)
		free(id->groups[i]);
	free(id->groups);
	free(id);
}

int lyb_ident_has(const struct lyb_ident *id, const char *p)
{
	size_t i;

	if (id->user[0] && strcmp(id->user, p) == 0)
		return 1;
	if (id->domain[0] && strcmp(id->domain, p) == 0)
		return 1;
	for (i = 0; i < id->ngroups; i++)
		if (strcmp(id->groups[i], p) == 0)
			return 1;
	return 0;
}

/* --- the policy --- */

int lyb_acl_new(const char *domain, char *const *admins, size_t nadmins,
		double ttl, struct lyb_acl **out)
{
	char p[LYB_PRINCIPAL_MAX + 8];
	struct lyb_acl *acl;
	size_t i;

	if (!domain || !*domain)
		domain = LYB_ACL_DEFAULT_DOMAIN;
	snprintf(p, sizeof(p), "domain:%s", domain);
	if (strlen(domain) > 200 || !lyb_principal_valid(p) ||
	    nadmins > LYB_ACL_MAX_ADMINS)
		return -EINVAL;
	for (i = 0; i < nadmins; i++)
		if (!lyb_principal_valid(admins[i]))
			return -EINVAL;
	acl = calloc(1, sizeof(*acl));
	if (!acl)
		return -ENOMEM;
	pthread_mutex_init(&acl->lock, NULL);
	acl->ttl = ttl;
	acl->domain = strdup(domain);
	acl->admins = calloc(nadmins + 1, sizeof(*acl->admins));
	if (!acl->domain || !acl->admins)
		goto out_free;
	for (; acl->nadmins < nadmins; acl->nadmins++) {
		acl->admins[acl->nadmins] = strdup(admins[acl->nadmins]);
		if (!acl->admins[acl->nadmins])
			goto out_free;
	}
	*out = acl;
	return 0;
out_free:
	lyb_acl_free(acl);
	return -ENOMEM;
}

void lyb_acl_free(struct lyb_acl *acl)
{
	size_t i;

	if (!acl)
		return;
	for (i = 0; i < CACHE_SLOTS; i++) {
		lyb_ident_unref(acl->cache[i].id);
		free(acl->cache[i].groups);
	}
	for (i = 0; i < acl->nadmins; i++)
		free(acl->admins[i]);
	free(acl->admins);
	free(acl->domain);
	pthread_mutex_destroy(&acl->lock);
	free(acl);
}

const char *lyb_acl_domain(const struct lyb_acl *acl)
{
	return acl->domain;
}

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

int lyb_acl_ident(struct lyb_acl *acl, uid_t uid, gid_t gid,
		  const gid_t *groups, size_t ngroups, struct lyb_ident **out)
{
	uint64_t h = LYB_FNV1A_INIT;
	struct lyb_ident *id, *old = NULL;
	struct cache_slot *s;
	gid_t *sorted;
	double now = lyb_mono();
	int rc;

	if (ngroups > LYB_ACL_MAX_GROUPS)
		ngroups = LYB_ACL_MAX_GROUPS;
	sorted = malloc((ngroups + 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	if (ngroups)
		memcpy(sorted, groups, ngroups * sizeof(*sorted));
	qsort(sorted, ngroups, sizeof(*sorted), cmp_gid);
	h = lyb_fnv1a(h, &uid, sizeof(uid));
	h = lyb_fnv1a(h, &gid, sizeof(gid));
	h = lyb_fnv1a(h, sorted, ngroups * sizeof(*sorted));
	s = &acl->cache[h % CACHE_SLOTS];

	pthread_mutex_lock(&acl->lock);
	if (s->id && s->key == h && s->expires > now && s->uid == uid &&
	    s->gid == gid && s->ngroups == ngroups &&
	    (!ngroups ||
	     memcmp(s->groups, sorted, ngroups * sizeof(*sorted)) == 0)) {
		*out = lyb_ident_ref(s->id);
		pthread_mutex_unlock(&acl->lock);
		free(sorted);
		return 0;
	}
	pthread_mutex_unlock(&acl->lock);

	/* NSS may be slow (LDAP): never under the lock */
	rc = lyb_ident_new(uid, gid, sorted, ngroups, acl->domain, &id);
	if (rc) {
		free(sorted);
		return rc;
	}
	*out = lyb_ident_ref(id);
	if (acl->ttl <= 0) {
		lyb_ident_unref(id);
		free(sorted);
		return 0;
	}
	pthread_mutex_lock(&acl->lock);
	old = s->id;
	free(s->groups);
	s->id = id;
	s->key = h;
	s->expires = now + acl->ttl;
	s->uid = uid;
	s->gid = gid;
	s->ngroups = ngroups;
	s->groups = sorted;
	pthread_mutex_unlock(&acl->lock);
	lyb_ident_unref(old);
	return 0;
}

static int is_admin(const struct lyb_acl *acl, const struct lyb_ident *id,
		    char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < acl->nadmins; i++) {
		if (lyb_ident_has(id, acl->admins[i])) {
			if (why)
				snprintf(why, whylen, "admin %s",
					 acl->admins[i]);
			return 1;
		}
	}
	return 0;
}

static int is_owner(const struct lyb_ident *id, const struct lyb_dataset *ds,
		    char *why, size_t whylen)
{
	if (ds->owner && lyb_ident_has(id, ds->owner)) {
		if (why)
			snprintf(why, whylen, "owner %s", ds->owner);
		return 1;
	}
	return 0;
}

static int is_reader(const struct lyb_ident *id, const struct lyb_dataset *ds,
		     char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < ds->nreaders; i++) {
		if (lyb_ident_has(id, ds->readers[i])) {
			if (why)
				snprintf(why, whylen, "reader %s",
					 ds->readers[i]);
			return 1;
		}
	}
	return 0;
}

int lyb_acl_can_read(const struct lyb_acl *acl, const struct lyb_ident *id,
		     const struct lyb_dataset *ds, char *why, size_t whylen)
{
	if (is_reader(id, ds, why, whylen) || is_owner(id, ds, why, whylen) ||
	    is_admin(acl, id, why, whylen))
		return 1;
	if (why)
		snprintf(why, whylen, "not a reader");
	return 0;
}

int lyb_acl_can_manage(const struct lyb_acl *acl, const struct lyb_ident *id,
		       const struct lyb_dataset *ds, char *why, size_t whylen)
{
	if (is_owner(id, ds, why, whylen) || is_admin(acl, id, why, whylen))
		return 1;
	if (why)
		snprintf(why, whylen, "not in the owner group %s nor an admin",
			 ds->owner ? ds->owner : "(none)");
	return 0;
}

void lyb_acl_denied_text(const struct lyb_ident *id, const char *dataset,
			 char *buf, size_t len)
{
	snprintf(buf, len,
		 "Access denied. User %s does not have read access to "
		 "DataSet %s",
		 id->display, dataset);
}

static const struct lyb_access_request *
find_request(const struct lyb_dataset *ds, const char *principal)
{
	size_t i;

	for (i = 0; i < ds->nrequests; i++)
		if (strcmp(ds->requests[i].principal, principal) == 0)
			return &ds->requests[i];
	return NULL;
}

/* The one command that asks for read access to @ds, for every message. */
#define REQUEST_COMMAND "lyb access request %s --reason \"...\""

void lyb_acl_request_hint(const struct lyb_ident *id,
			  const struct lyb_dataset *ds, char *buf, size_t len)
{
	const struct lyb_access_request *r =
		id->user[0] ? find_request(ds, id->user) : NULL;
	char since[21];

	if (r) {
		lyb_time_format(r->since, since);
		snprintf(buf, len,
			 "Your request of %s is pending: an owner (%s) or an "
			 "admin grants it with: lyb access grant %s %s",
			 since, ds->owner ? ds->owner : "none", ds->name,
			 id->user);
	} else if (!id->user[0]) {
		snprintf(buf, len,
			 "%s has no user name, so it cannot request access",
			 id->display);
	} else {
		snprintf(buf, len, "Request it with: " REQUEST_COMMAND,
			 ds->name);
	}
}

int lyb_acl_state_text(const struct lyb_acl *acl, const struct lyb_ident *id,
		       const struct lyb_dataset *ds, char **text, size_t *len)
{
	const struct lyb_access_request *r;
	char why[LYB_PRINCIPAL_MAX + 64], since[21];
	struct lyb_buf b;

	lyb_buf_init(&b, 1 << 16);
	lyb_buf_printf(&b, "user: %s\n", id->display);
	if (lyb_acl_can_read(acl, id, ds, why, sizeof(why))) {
		lyb_buf_printf(&b, "access: granted (%s)\n", why);
	} else if (id->user[0] && (r = find_request(ds, id->user))) {
		lyb_time_format(r->since, since);
		lyb_buf_printf(&b, "access: pending since %s\n", since);
	} else {
		lyb_buf_printf(&b,
			       "access: none\nrequest: " REQUEST_COMMAND "\n",
			       ds->name);
	}
	*text = lyb_buf_steal(&b, len);
	return *text ? 0 : -ENOMEM;
}

/* --- the workflow --- */

static int history_add(struct lyb_dataset *ds, const struct lyb_ident *by,
		       const char *action, const char *principal,
		       const char *reason, int64_t now)
{
	struct lyb_access_change *h, *c;

	h = realloc(ds->history, (ds->nhistory + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	ds->history = h;
	c = &h[ds->nhistory];
	memset(c, 0, sizeof(*c));
	c->time = now;
	c->by = strdup(by->user);
	c->action = strdup(action);
	c->principal = strdup(principal);
	c->reason = reason ? strdup(reason) : NULL;
	ds->nhistory++;
	if (!c->by || !c->action || !c->principal || (reason && !c->reason))
		return -ENOMEM;
	/* the document keeps the newest; the audit log keeps every one */
	lyb_dataset_history_trim(ds, LYB_DOC_HISTORY_MAX);
	return 0;
}

static void request_drop(struct lyb_dataset *ds, const char *principal)
{
	size_t i;

	for (i = 0; i < ds->nrequests; i++) {
		if (strcmp(ds->requests[i].principal, principal) != 0)
			continue;
		lyb_access_request_clear(&ds->requests[i]);
		memmove(&ds->requests[i], &ds->requests[i + 1],
			(ds->nrequests - i - 1) * sizeof(*ds->requests));
		ds->nrequests--;
		return;
	}
}

static int reader_index(const struct lyb_dataset *ds, const char *principal)
{
	size_t i;

	for (i = 0; i < ds->nreaders; i++)
		if (strcmp(ds->readers[i], principal) == 0)
			return (int)i;
	return -1;
}

static int need_user(const struct lyb_ident *by, char *err, size_t errlen)
{
	if (by->user[0])
		return 0;
	snprintf(err, errlen, "%s has no user name to act under", by->display);
	return -EPERM;
}

/* Whether @by may request access to @ds now: 0, or -errno with @err. */
static int request_check(const struct lyb_acl *acl,
			 const struct lyb_dataset *ds,
			 const struct lyb_ident *by, const char *reason,
			 char *err, size_t errlen)
{
	char why[LYB_PRINCIPAL_MAX + 64];
	int rc = need_user(by, err, errlen);

	if (rc)
		return rc;
	if (reason && strlen(reason) > LYB_ACL_REASON_MAX) {
		snprintf(err, errlen, "the reason is longer than %d bytes",
			 LYB_ACL_REASON_MAX);
		return -EINVAL;
	}
	/* it is printed to owners' terminals and stored as JSON */
	if (reason) {
		rc = lyb_text_check(reason, strlen(reason), 0, why,
				    sizeof(why));
		if (rc) {
			snprintf(err, errlen,
				 "the reason must be UTF-8 text without "
				 "control characters: %s",
				 why);
			return rc;
		}
	}
	if (lyb_acl_can_read(acl, by, ds, why, sizeof(why))) {
		snprintf(err, errlen, "%s can read it already (%s)",
			 by->display, why);
		return -EALREADY;
	}
	if (find_request(ds, by->user)) {
		snprintf(err, errlen, "%s has a pending request already",
			 by->display);
		return -EALREADY;
	}
	if (ds->nrequests >= LYB_ACL_REQUESTS_MAX) {
		snprintf(err, errlen,
			 "too many pending requests on DataSet %s; ask an "
			 "owner (at most %d may be pending)",
			 ds->name, LYB_ACL_REQUESTS_MAX);
		return -ENOSPC;
	}
	return 0;
}

int lyb_acl_request(const struct lyb_acl *acl, struct lyb_dataset *draft,
		    const struct lyb_ident *by, const char *reason, int64_t now,
		    char *err, size_t errlen)
{
	struct lyb_access_request *r;
	int rc = request_check(acl, draft, by, reason, err, errlen);

	if (rc)
		return rc;
	r = realloc(draft->requests, (draft->nrequests + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	draft->requests = r;
	r = &r[draft->nrequests];
	memset(r, 0, sizeof(*r));
	r->since = now;
	r->principal = strdup(by->user);
	r->reason = reason && *reason ? strdup(reason) : NULL;
	draft->nrequests++;
	if (!r->principal || (reason && *reason && !r->reason))
		return -ENOMEM;
	return history_add(draft, by, "request", by->user,
			   reason && *reason ? reason : NULL, now);
}

static int check_manage(const struct lyb_acl *acl,
			const struct lyb_dataset *draft,
			const struct lyb_ident *by, const char *principal,
			char *err, size_t errlen)
{
	char why[LYB_PRINCIPAL_MAX + 64];
	int rc = need_user(by, err, errlen);

	if (rc)
		return rc;
	if (!lyb_principal_valid(principal)) {
		snprintf(err, errlen,
			 "%s: not a principal (user:NAME@DOMAIN, group:NAME "
			 "or domain:NAME)",
			 principal);
		return -EINVAL;
	}
	if (!lyb_acl_can_manage(acl, by, draft, why, sizeof(why))) {
		snprintf(err, errlen,
			 "%s may not change who reads DataSet %s (%s)",
			 by->display, draft->name, why);
		return -EPERM;
	}
	return 0;
}

/* Whether @by may grant @principal on @ds now: 0, or -errno with @err. */
static int grant_check(const struct lyb_acl *acl, const struct lyb_dataset *ds,
		       const struct lyb_ident *by, const char *principal,
		       char *err, size_t errlen)
{
	int rc = check_manage(acl, ds, by, principal, err, errlen);

	if (rc)
		return rc;
	if (reader_index(ds, principal) >= 0) {
		snprintf(err, errlen, "%s is a reader already", principal);
		return -EALREADY;
	}
	return 0;
}

int lyb_acl_grant(const struct lyb_acl *acl, struct lyb_dataset *draft,
		  const struct lyb_ident *by, const char *principal,
		  int64_t now, char *err, size_t errlen)
{
	char **readers;
	int rc = grant_check(acl, draft, by, principal, err, errlen);

	if (rc)
		return rc;
	readers = realloc(draft->readers,
			  (draft->nreaders + 1) * sizeof(*readers));
	if (!readers)
		return -ENOMEM;
	draft->readers = readers;
	readers[draft->nreaders] = strdup(principal);
	if (!readers[draft->nreaders])
		return -ENOMEM;
	draft->nreaders++;
	request_drop(draft, principal);
	return history_add(draft, by, "grant", principal, NULL, now);
}

/* Whether @by may revoke @principal on @ds now: 0, or -errno with @err. */
static int revoke_check(const struct lyb_acl *acl, const struct lyb_dataset *ds,
			const struct lyb_ident *by, const char *principal,
			char *err, size_t errlen)
{
	int rc = check_manage(acl, ds, by, principal, err, errlen);

	if (rc)
		return rc;
	if (reader_index(ds, principal) < 0 && !find_request(ds, principal)) {
		snprintf(err, errlen, "%s is no reader of %s", principal,
			 ds->name);
		return -ENOENT;
	}
	return 0;
}

int lyb_acl_revoke(const struct lyb_acl *acl, struct lyb_dataset *draft,
		   const struct lyb_ident *by, const char *principal,
		   int64_t now, char *err, size_t errlen)
{
	int rc = revoke_check(acl, draft, by, principal, err, errlen), i;

	if (rc)
		return rc;
	i = reader_index(draft, principal);
	if (i >= 0) {
		free(draft->readers[i]);
		memmove(&draft->readers[i], &draft->readers[i + 1],
			(draft->nreaders - (size_t)i - 1) *
				sizeof(*draft->readers));
		draft->nreaders--;
	}
	request_drop(draft, principal);
	return history_add(draft, by, "revoke", principal, NULL, now);
}

struct change {
	const struct lyb_acl *acl;
	const struct lyb_ident *me;
	const char *verb;
	const char *arg;
};

static int change_mutate(void *arg, struct lyb_dataset *draft, char *err,
			 size_t errlen)
{
	struct change *c = arg;
	int64_t now = lyb_now();

	if (strcmp(c->verb, "request") == 0)
		return lyb_acl_request(c->acl, draft, c->me, c->arg, now, err,
				       errlen);
	if (strcmp(c->verb, "grant") == 0)
		return lyb_acl_grant(c->acl, draft, c->me, c->arg, now, err,
				     errlen);
	return lyb_acl_revoke(c->acl, draft, c->me, c->arg, now, err, errlen);
}

/* The checks of a change that need no DataSet: 0, or -errno with @err. */
static int args_check(const char *verb, const char *arg, char *err,
		      size_t errlen)
{
	if (strcmp(verb, "request") != 0 && strcmp(verb, "grant") != 0 &&
	    strcmp(verb, "revoke") != 0) {
		snprintf(err, errlen, "%s: expected request, grant or revoke",
			 verb);
		return -EINVAL;
	}
	if (strcmp(verb, "request") != 0 && !arg) {
		snprintf(err, errlen, "%s: which principal?", verb);
		return -EINVAL;
	}
	if (strcmp(verb, "request") != 0 &&
	    strnlen(arg, LYB_PRINCIPAL_LEN + 1) > LYB_PRINCIPAL_LEN) {
		snprintf(err, errlen,
			 "%.40s...: not a principal: longer than %d bytes", arg,
			 LYB_PRINCIPAL_LEN);
		return -EINVAL;
	}
	return 0;
}

int lyb_acl_check(const struct lyb_acl *acl, const struct lyb_dataset *ds,
		  const struct lyb_ident *me, const char *verb, const char *arg,
		  char *err, size_t errlen)
{
	int rc = args_check(verb, arg, err, errlen);

	if (rc || !ds)
		return rc;
	if (strcmp(verb, "request") == 0)
		return request_check(acl, ds, me, arg, err, errlen);
	if (strcmp(verb, "grant") == 0)
		return grant_check(acl, ds, me, arg, err, errlen);
	return revoke_check(acl, ds, me, arg, err, errlen);
}

int lyb_acl_change(struct lyb_catalog *cat, const struct lyb_acl *acl,
		   const struct lyb_ident *me, const char *verb,
		   const char *name, const char *arg, char *err, size_t errlen)
{
	struct change c = {acl, me, verb, arg};
	/* refused before the catalog is even read, let alone written */
	int rc = args_check(verb, arg, err, errlen);

	if (rc)
		return rc;
	/* taking access away is never refused for the document's size */
	if (strcmp(verb, "revoke") == 0)
		return lyb_catalog_update_shrinking(cat, name, change_mutate,
						    &c, err, errlen);
	return lyb_catalog_update(cat, name, change_mutate, &c, err, errlen);
}
