/* SPDX-License-Identifier: Apache-2.0 */
/*
 * version_fixture.h - one version to publish, for the catalog tests
 * (test_catalog.c, test_catalog2.c): a single gs object whose size, rows
 * and publish time come from @n, so each call makes a distinct version.
 * The object and location are static: one version at a time, valid until
 * the next call.
 */
#ifndef LYB_TEST_VERSION_FIXTURE_H
#define LYB_TEST_VERSION_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "lyb/catalog.h"

static void make_version(struct lyb_version *v, const char *date, int n)
{
	static struct lyb_object obj;
	static struct lyb_location loc;
	static char name[32];

	memset(v, 0, sizeof(*v));
	snprintf(v->date, sizeof(v->date), "%s", date);
	snprintf(name, sizeof(name), "part-%d.avro", n);
	memset(&obj, 0, sizeof(obj));
	obj.name = name;
	obj.size = (uint64_t)n;
	obj.rows = n;
	snprintf(obj.crc32c, sizeof(obj.crc32c), "AAAAAA==");
	loc.kind = LYB_LOC_GS;
	loc.url = "file:///nonexistent/data";
	loc.format = "avro";
	loc.nobjects = 1;
	loc.objects = &obj;
	v->nlocations = 1;
	v->locations = &loc;
	v->rows = n;
	v->bytes = (uint64_t)n;
	v->published = 1600000000 + n;
	v->producer = "user:test@example.com";
}

#endif
