// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_portal.c - the portal's API (portal.h) with any request: the input
 * is a flags byte, then NUL-separated the path, the query (k=v&k=v) and
 * the body. Flags: 1 POST (else GET), 2 a signed-in caller (else
 * anonymous), 4 that caller's valid CSRF token, 8 an owner, 16 an Origin
 * header. Every answer must be valid JSON with a status; a valid POST may
 * change the small catalog in a temporary directory, which is fine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "lyb/acl.h"
#include "lyb/catalog.h"
#include "lyb/portal.h"

static const char *const docs[][2] = {
	{"artist-metadata.DominantGenres",
	 "{\"lybrary\": 1, \"name\": \"artist-metadata.DominantGenres\","
	 " \"owner\": {\"team\": \"group:owners\"},"
	 " \"slo\": {\"frequency\": \"daily\", \"deadline\": \"08:00\"},"
	 " \"schema\": {\"type\": \"record\", \"name\": \"G\", \"fields\":"
	 " [{\"name\": \"artist_id\", \"type\": \"string\"}]},"
	 " \"readers\": [\"group:analysts\"],"
	 " \"upstream\": [\"artist-metadata.Artists\", \"gone.Missing\"],"
	 " \"created\": \"2020-09-01T00:00:00Z\", \"versions\": ["
	 " {\"date\": \"2020-09-03\", \"id\": \"922d6e\", \"digest\": "
	 "\"922d6e0000000000000000000000000000000000000000000000000000000001\","
	 " \"published\": \"2020-09-03T07:30:00Z\", \"rows\": 10, \"bytes\": 300,"
	 " \"locations\": {\"gs\": {\"url\": \"gs://b/2020/09/03/922d6e\","
	 " \"format\": \"avro\", \"objects\": ["
	 " {\"name\": \"part-1.avro\", \"size\": 200, \"generation\": 7}]}}}]}"},
	{"artist-metadata.Artists",
	 "{\"lybrary\": 1, \"name\": \"artist-metadata.Artists\","
	 " \"owner\": {\"team\": \"group:owners\"},"
	 " \"upstream\": [\"artist-metadata.DominantGenres\"],"
	 " \"created\": \"2020-08-01T00:00:00Z\"}"},
};

static struct lyb_portal *portal;
static struct lyb_ident *user, *owner;
static char root[] = "/tmp/lyb-fuzz-portal.XXXXXX";

static void remove_root(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_portal: could not remove %s\n", root);
}

static struct lyb_ident *ident(const char *name, const char *group)
{
	struct lyb_ident *id = calloc(1, sizeof(*id));

	if (!id)
		abort();
	atomic_init(&id->refs, 1);
	snprintf(id->user, sizeof(id->user), "user:%s@example.com", name);
	snprintf(id->display, sizeof(id->display), "%s@example.com", name);
	snprintf(id->domain, sizeof(id->domain), "domain:example.com");
	id->groups = calloc(2, sizeof(char *));
	if (!id->groups)
		abort();
	if (group)
		id->groups[id->ngroups++] = strdup(group);
	return id;
}

static void setup(void)
{
	struct lyb_portal_opts po = {.mount = "/lyb"};
	struct lyb_catalog *cat;
	struct lyb_acl *acl;
	char url[64], path[256];
	size_t i;
	FILE *f;

	if (!mkdtemp(root) || atexit(remove_root))
		abort();
	snprintf(url, sizeof(url), "file://%s", root);
	if (lyb_catalog_open(url, 1, &cat))
		abort();
	snprintf(path, sizeof(path), "%s/datasets", root);
	mkdir(path, 0755);
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		snprintf(path, sizeof(path), "%s/datasets/%s.json", root,
			 docs[i][0]);
		f = fopen(path, "w");
		if (!f || fputs(docs[i][1], f) < 0 || fclose(f))
			abort();
	}
	if (lyb_catalog_refresh(cat, NULL) ||
	    lyb_acl_new("example.com", NULL, 0, 0, &acl) ||
	    lyb_portal_new(cat, acl, NULL, &po, &portal))
		abort();
	user = ident("alice", NULL);
	owner = ident("olga", "group:owners");
}

/* The query "k=v&k=v" (in place) as the parameter getter's table. */
struct query {
	size_t n;
	const char *k[16], *v[16];
};

static const char *param(void *arg, const char *key)
{
	const struct query *q = arg;
	size_t i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->k[i], key) == 0)
			return q->v[i];
	return NULL;
}

static void parse_query(char *s, struct query *q)
{
	char *amp, *eq;

	q->n = 0;
	while (s && *s && q->n < 16) {
		amp = strchr(s, '&');
		if (amp)
			*amp = '\0';
		eq = strchr(s, '=');
		if (eq)
			*eq = '\0';
		q->k[q->n] = s;
		q->v[q->n++] = eq ? eq + 1 : "";
		s = amp ? amp + 1 : NULL;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char token[LYB_PORTAL_CSRF_LEN + 1], *text, *path, *query, *body;
	struct lyb_portal_req req = {0};
	struct lyb_portal_resp resp;
	const struct lyb_ident *id;
	struct query q;
	unsigned flags;

	fuzz_quiet();
	if (!portal)
		setup();
	if (size < 1)
		return 0;
	flags = data[0];
	text = fuzz_strndup(data + 1, size - 1);
	if (!text)
		return 0;
	path = text;
	query = path + strlen(path) + 1 <= text + size - 1
			? path + strlen(path) + 1
			: NULL;
	body = query && query + strlen(query) + 1 <= text + size - 1
		       ? query + strlen(query) + 1
		       : NULL;
	parse_query(query, &q);
	id = flags & 2 ? (flags & 8 ? owner : user) : NULL;
	req.method = flags & 1 ? "POST" : "GET";
	req.path = path;
	req.param = param;
	req.param_arg = &q;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.content_type = "application/json";
	req.host = "portal.example.com";
	req.origin = flags & 16 ? "https://portal.example.com" : NULL;
	if (id && (flags & 4)) {
		lyb_portal_csrf(portal, id, token);
		req.csrf = token;
	}
	req.id = id;
	if (lyb_portal_handle(portal, &req, &resp) == 0) {
		if (resp.status < 200 || resp.status > 599 || !resp.body ||
		    resp.body[0] != '{' || resp.len != strlen(resp.body)) {
			fprintf(stderr, "fuzz_portal: a bad answer %d\n",
				resp.status);
			abort();
		}
		free(resp.body);
	}
	free(text);
	return 0;
}
