/* SPDX-License-Identifier: Apache-2.0 */
/*
 * digest.h - checksums and hashes: CRC32C (Castagnoli), MD5, SHA-256, and
 * the base64 forms GCS uses for them.
 *
 * GCS reports an object's crc32c as base64 of the 4 big-endian bytes and
 * its md5Hash as base64 of the 16 digest bytes; the catalog stores both in
 * exactly that form (docs/catalog.md), so a manifest entry compares equal
 * to object metadata as a string.
 *
 * Only digest.c and auth.c include OpenSSL. Thread safety: the functions
 * are reentrant; a struct lyb_digest has one owner at a time.
 */
#ifndef LYB_DIGEST_H
#define LYB_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define LYB_CRC32C_B64_LEN 8 /* "AAAAAA==" */
#define LYB_MD5_B64_LEN 24
#define LYB_SHA256_HEX_LEN 64

/*
 * FNV-1a over @len bytes, continuing from @h (LYB_FNV1A_INIT to start):
 * the one hash of the in-memory tables (inodes, pages, ACL decisions).
 * Not for anything an attacker must not forge.
 */
#define LYB_FNV1A_INIT 14695981039346656037ull
uint64_t lyb_fnv1a(uint64_t h, const void *data, size_t len);
/* lyb_fnv1a(LYB_FNV1A_INIT, s, strlen(s)) */
uint64_t lyb_fnv1a_str(const char *s);

uint32_t lyb_crc32c_update(uint32_t crc, const void *data, size_t len);
/* crc32c of a whole buffer: lyb_crc32c_update(0, data, len) */

/* The CRC32C of A followed by B, from crc(A), crc(B) and B's length. */
uint32_t lyb_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);

/* Parses GCS's base64 big-endian form ("AAAAAA=="); 0 or -EINVAL. */
int lyb_crc32c_from_b64(const char *text, uint32_t *out);

enum lyb_digest_alg { LYB_DIGEST_MD5, LYB_DIGEST_SHA256 };

struct lyb_digest; /* opaque */
int lyb_digest_new(enum lyb_digest_alg alg, struct lyb_digest **out);
int lyb_digest_update(struct lyb_digest *d, const void *data, size_t len);
/* Writes the raw digest (16 or 32 bytes) to @out; the digest is reset. */
int lyb_digest_final(struct lyb_digest *d, unsigned char *out, size_t *outlen);
void lyb_digest_free(struct lyb_digest *d);

/* Standard base64 with padding. @out must hold 4*((n+2)/3)+1 bytes. */
void lyb_base64_encode(const unsigned char *in, size_t n, char *out);
/* Decodes standard or URL-safe base64; returns decoded length or -EINVAL. */
int lyb_base64_decode(const char *in, size_t n, unsigned char *out,
		      size_t outcap);
/* base64url without padding (JWT); @out as for lyb_base64_encode. */
void lyb_base64url_encode(const unsigned char *in, size_t n, char *out);

/* Lower-case hex; @out must hold 2*n+1 bytes. */
void lyb_hex_encode(const unsigned char *in, size_t n, char *out);

/* crc32c as GCS prints it: base64 of big-endian bytes into @out[9]. */
void lyb_crc32c_to_b64(uint32_t crc, char out[LYB_CRC32C_B64_LEN + 1]);

#endif
