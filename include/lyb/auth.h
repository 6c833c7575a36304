/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h - OAuth2 access tokens for Google Cloud Storage.
 *
 * lyb_auth_new() finds credentials in Application Default Credentials
 * order:
 *   1. $GOOGLE_APPLICATION_CREDENTIALS: a service-account key (an RS256
 *      JWT signed with its private key, exchanged at its token_uri) or an
 *      "authorized_user" file (a refresh token);
 *   2. the gcloud file ~/.config/gcloud/application_default_credentials.json
 *      ($CLOUDSDK_CONFIG instead of ~/.config/gcloud when set);
 *   3. the GCE metadata server ($GCE_METADATA_HOST, else 169.254.169.254),
 *      when it answers with "Metadata-Flavor: Google";
 *   4. none: anonymous requests (public buckets), with a warning.
 * @spec NULL or "" means the above; "anonymous" forces anonymous; anything
 * else is the path of a key or authorized_user file.
 *
 * Tokens are cached and shared by all threads, refreshed ahead of expiry
 * (5 minutes, or half the lifetime of a short-lived token) by one thread
 * while the others keep using the current token; they are never logged.
 *
 * Errors: -ENOENT a named file is missing, -EBADMSG a credentials file or
 * token answer is malformed, -EACCES the token endpoint refused, -EIO or a
 * transport error from http.h when it could not be reached.
 */
#ifndef LYB_AUTH_H
#define LYB_AUTH_H

#include <stddef.h>

struct lyb_auth;

int lyb_auth_new(const char *spec, struct lyb_auth **out);
void lyb_auth_free(struct lyb_auth *a); /* accepts NULL */

/* "service_account", "authorized_user", "metadata" or "anonymous" */
const char *lyb_auth_kind(const struct lyb_auth *a);

/*
 * Writes the header line "Authorization: Bearer TOKEN" into @hdr, or ""
 * for anonymous credentials. -ENAMETOOLONG if @cap is too small.
 */
int lyb_auth_header(struct lyb_auth *a, char *hdr, size_t cap);

/* Drops the cached token (after a 401), so the next call fetches one. */
void lyb_auth_invalidate(struct lyb_auth *a);

#endif
