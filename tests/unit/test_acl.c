// SPDX-License-Identifier: Apache-2.0
/*
 * test_acl.c - principals from uids and gids, the read policy, the
 * request/grant/revoke workflow and its catalog form, and the audit log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lyb/acl.h"
#include "lyb/audit.h"

static const char doc[] =
	"{\"lybrary\": 1, \"name\": \"a.B\", \"created\": "
	"\"2020-09-01T00:00:00Z\", \"owner\": {\"team\": \"group:owners\"},"
	" \"readers\": [\"user:alice@example.com\", \"group:analysts\"]}";

/* An identity made by hand: no NSS involved. */
static struct lyb_ident *ident(const char *user, const char *g1, const char *g2)
{
	struct lyb_ident *id = calloc(1, sizeof(*id));

	atomic_init(&id->refs, 1);
	snprintf(id->user, sizeof(id->user), "user:%s@example.com", user);
	snprintf(id->display, sizeof(id->display), "%s@example.com", user);
	snprintf(id->domain, sizeof(id->domain), "domain:example.com");
	id->groups = calloc(3, sizeof(char *));
	if (g1)
		id->groups[id->ngroups++] = strdup(g1);
	if (g2)
		id->groups[id->ngroups++] = strdup(g2);
	return id;
}

static int audit_row(void *arg, const struct lyb_audit_record *r)
{
	struct lyb_audit_record *out = arg;

	out->uid = r->uid;
	out->pid = r->pid;
	snprintf(out->time, sizeof(out->time), "%s", r->decision);
	return 0;
}

static void test_mapping(void)
{
	struct lyb_ident *id = NULL;
	struct lyb_acl *acl;
	gid_t none[1] = {0};
	char *admins[] = {"user:root@example.com"}, *bad[] = {"root"};

	/* root maps like anyone else: user:root@DOMAIN, group:root */
	CHECK_RC(lyb_ident_new(0, 0, none, 1, "example.com", &id), 0);
	CHECK_STR(id->user, "user:root@example.com");
	CHECK_STR(id->display, "root@example.com");
	CHECK_STR(id->domain, "domain:example.com");
	CHECK(id->ngroups == 1); /* the gid and a repeated group, once */
	CHECK(lyb_ident_has(id, "group:root"));
	CHECK(lyb_ident_has(id, "domain:example.com"));
	CHECK(!lyb_ident_has(id, "user:root@other.com"));
	lyb_ident_unref(id);

	/* a uid without a passwd entry has no user principal */
	CHECK_RC(lyb_ident_new(3999999, 3999999, NULL, 0, "example.com", &id),
		 0);
	CHECK_STR(id->user, "");
	CHECK_STR(id->display, "uid 3999999");
	CHECK(id->ngroups == 0);
	/* ... nor domain: (which means "a local account") */
	CHECK_STR(id->domain, "");
	CHECK(!lyb_ident_has(id, "domain:example.com"));
	CHECK(!lyb_ident_has(id, ""));
	lyb_ident_unref(id);
	/* its kernel-held gids still count */
	CHECK_RC(lyb_ident_new(3999999, 0, NULL, 0, "example.com", &id), 0);
	CHECK(lyb_ident_has(id, "group:root"));
	CHECK(!lyb_ident_has(id, "domain:example.com"));
	lyb_ident_unref(id);

	CHECK_RC(lyb_acl_new("bad domain", NULL, 0, 1, &acl), -EINVAL);
	CHECK_RC(lyb_acl_new("example.com", bad, 1, 1, &acl), -EINVAL);
	CHECK_RC(lyb_acl_new("example.com", admins, 1, 10, &acl), 0);
	/* the cache answers the same identity for the same request */
	{
		struct lyb_ident *a = NULL, *b = NULL;

		CHECK_RC(lyb_acl_ident(acl, 0, 0, NULL, 0, &a), 0);
		CHECK_RC(lyb_acl_ident(acl, 0, 0, NULL, 0, &b), 0);
		CHECK(a && a == b);
		lyb_ident_unref(a);
		lyb_ident_unref(b);
	}
	lyb_acl_free(acl);
}

static void test_policy(void)
{
	char *admins[] = {"group:lyb-admins"}, why[512], err[512];
	struct lyb_ident *alice = ident("alice", NULL, NULL),
			 *bob = ident("bob", "group:staff", NULL),
			 *carol = ident("carol", "group:owners", NULL),
			 *dave = ident("dave", "group:analysts", NULL),
			 *eve = ident("eve", "group:lyb-admins", NULL);
	struct lyb_dataset *ds = NULL, *back = NULL;
	struct lyb_acl *acl = NULL;
	char *text = NULL;
	size_t len;

	CHECK_RC(lyb_acl_new("example.com", admins, 1, 0, &acl), 0);
	CHECK_RC(lyb_dataset_parse(doc, strlen(doc), &ds, err, sizeof(err)), 0);
	if (!ds || !acl)
		return;

	CHECK(lyb_acl_can_read(acl, alice, ds, why, sizeof(why)));
	CHECK_STR(why, "reader user:alice@example.com");
	CHECK(lyb_acl_can_read(acl, dave, ds, why, sizeof(why)));
	CHECK_STR(why, "reader group:analysts");
	CHECK(lyb_acl_can_read(acl, carol, ds, why, sizeof(why)));
	CHECK_STR(why, "owner group:owners");
	CHECK(lyb_acl_can_read(acl, eve, ds, why, sizeof(why)));
	CHECK_STR(why, "admin group:lyb-admins");
	CHECK(!lyb_acl_can_read(acl, bob, ds, why, sizeof(why)));
	CHECK_STR(why, "not a reader");
	CHECK(!lyb_acl_can_manage(acl, alice, ds, NULL, 0));
	CHECK(lyb_acl_can_manage(acl, carol, ds, NULL, 0));
	CHECK(lyb_acl_can_manage(acl, eve, ds, NULL, 0));

	lyb_acl_denied_text(bob, ds->name, why, sizeof(why));
	CHECK_STR(why, "Access denied. User bob@example.com does not have "
		       "read access to DataSet a.B");
	CHECK_RC(lyb_acl_state_text(acl, bob, ds, &text, &len), 0);
	CHECK(text && strstr(text, "access: none\n"));
	free(text);

	/* the workflow */
	CHECK_RC(lyb_acl_request(acl, ds, alice, NULL, 100, err, sizeof(err)),
		 -EALREADY);
	/* a reason is UTF-8 text without control characters, or refused */
	CHECK_RC(lyb_acl_request(acl, ds, bob, "\xff\xfe", 100, err,
				 sizeof(err)),
		 -EILSEQ);
	CHECK(strstr(err, "not valid UTF-8") != NULL);
	CHECK_RC(lyb_acl_request(acl, ds, bob, "\x1b[2Jhi", 100, err,
				 sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "control character 0x1b") != NULL);
	CHECK(ds->nrequests == 0 && ds->nhistory == 0);
	CHECK_RC(lyb_acl_request(acl, ds, bob, "study", 100, err, sizeof(err)),
		 0);
	CHECK_RC(lyb_acl_request(acl, ds, bob, "again", 101, err, sizeof(err)),
		 -EALREADY);
	CHECK(ds->nrequests == 1);
	CHECK_RC(lyb_acl_state_text(acl, bob, ds, &text, &len), 0);
	CHECK(text &&
	      strstr(text, "access: pending since 1970-01-01T00:01:40Z"));
	free(text);
	CHECK_RC(lyb_acl_grant(acl, ds, bob, "user:bob@example.com", 102, err,
			       sizeof(err)),
		 -EPERM);
	CHECK(strstr(err, "may not change who reads"));
	CHECK_RC(lyb_acl_grant(acl, ds, alice, "user:bob@example.com", 102, err,
			       sizeof(err)),
		 -EPERM);
	CHECK_RC(lyb_acl_grant(acl, ds, carol, "bob", 102, err, sizeof(err)),
		 -EINVAL);
	CHECK_RC(lyb_acl_grant(acl, ds, carol, "user:bob@example.com", 103, err,
			       sizeof(err)),
		 0);
	CHECK(ds->nrequests == 0);
	CHECK(lyb_acl_can_read(acl, bob, ds, NULL, 0));
	CHECK_RC(lyb_acl_grant(acl, ds, eve, "user:bob@example.com", 104, err,
			       sizeof(err)),
		 -EALREADY);
	CHECK_RC(lyb_acl_revoke(acl, ds, eve, "user:bob@example.com", 105, err,
				sizeof(err)),
		 0);
	CHECK(!lyb_acl_can_read(acl, bob, ds, NULL, 0));
	CHECK_RC(lyb_acl_revoke(acl, ds, eve, "user:bob@example.com", 106, err,
				sizeof(err)),
		 -ENOENT);
	CHECK(ds->nhistory == 3);
	CHECK_STR(ds->history[0].action, "request");
	CHECK_STR(ds->history[0].by, "user:bob@example.com");
	CHECK_STR(ds->history[0].reason, "study");
	CHECK_STR(ds->history[1].action, "grant");
	CHECK_STR(ds->history[1].by, "user:carol@example.com");
	CHECK_STR(ds->history[2].action, "revoke");
	CHECK_STR(ds->history[2].by, "user:eve@example.com");
	CHECK(ds->history[2].time == 105);

	/* the catalog form keeps it all */
	CHECK_RC(lyb_acl_request(acl, ds, bob, "again", 107, err, sizeof(err)),
		 0);
	CHECK_RC(lyb_dataset_format(ds, &text), 0);
	CHECK(text && strstr(text, "\"access\""));
	CHECK_RC(lyb_dataset_parse(text, strlen(text), &back, err, sizeof(err)),
		 0);
	free(text);
	if (back) {
		CHECK(back->nhistory == 4 && back->nrequests == 1);
		CHECK_STR(back->requests[0].principal, "user:bob@example.com");
		CHECK(back->requests[0].since == 107);
		CHECK_STR(back->history[3].reason, "again");
		lyb_dataset_unref(back);
	}
	lyb_dataset_unref(ds);

	/* what a reader refuses */
	{
		static const char *const bad[] = {
			"\"access\": []",
			"\"access\": {\"requests\": [{\"principal\": \"bob\", "
			"\"since\": \"2020-09-01T00:00:00Z\"}]}",
			"\"access\": {\"history\": [{\"time\": "
			"\"2020-09-01T00:00:00Z\", \"by\": \"user:a@b\", "
			"\"action\": \"steal\", \"principal\": \"user:a@b\"}]}",
			"\"access\": {\"history\": [{\"by\": \"user:a@b\", "
			"\"action\": \"grant\", \"principal\": \"user:a@b\"}]}",
		};
		char buf[1024];
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(buf, sizeof(buf), "%.*s, %s}",
				 (int)(strlen(doc) - 1), doc, bad[i]);
			back = NULL;
			CHECK_RC(lyb_dataset_parse(buf, strlen(buf), &back, err,
						   sizeof(err)),
				 -EBADMSG);
			CHECK(strncmp(err, "access", 6) == 0);
			lyb_dataset_unref(back);
		}
	}
	lyb_ident_unref(alice);
	lyb_ident_unref(bob);
	lyb_ident_unref(carol);
	lyb_ident_unref(dave);
	lyb_ident_unref(eve);
	lyb_acl_free(acl);
}

static void test_audit(void)
{
	char dir[] = "/tmp/lyb-test-audit.XXXXXX", path[256], old[300];
	struct lyb_audit_event ev = {
		.uid = 1001,
		.pid = getpid(),
		.principal = "user:bob@example.com",
		.op = "open",
		.dataset = "a.B",
		.date = "2020-09-03",
		.version = "922d6e",
		.location = "gs",
		.path = "a.B/2020-09-03/922d6e/gs/p\"art\n.avro",
		.allowed = 0,
		.reason = "not a reader",
	};
	struct lyb_audit_record r;
	struct lyb_audit *a = NULL;
	struct stat st;
	size_t bad = 9;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	CHECK_RC(lyb_audit_open(path, &a), 0);
	if (!a)
		return;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_RC(lyb_audit_write(a, &ev), 0);
	ev.allowed = 1;
	ev.dataset = "c.D";
	CHECK_RC(lyb_audit_write(a, &ev), 0);

	memset(&r, 0, sizeof(r));
	CHECK_RC(lyb_audit_read(path, "a.B", audit_row, &r, &bad), 0);
	CHECK(bad == 0);
	CHECK(r.uid == 1001 && r.pid == getpid());
	CHECK_STR(r.time, "deny");

	/* rotation: rename, ask to reopen, the next line starts a new file */
	CHECK(rename(path, old) == 0);
	lyb_audit_request_reopen();
	CHECK_RC(lyb_audit_write(a, &ev), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	memset(&r, 0, sizeof(r));
	CHECK_RC(lyb_audit_read(path, NULL, audit_row, &r, &bad), 0);
	CHECK_STR(r.time, "allow");
	lyb_audit_close(a);
	unlink(path);
	unlink(old);
	rmdir(dir);
}

int main(void)
{
	test_mapping();
	test_policy();
	test_audit();
	return check_failures ? 1 : 0;
}
