// SPDX-License-Identifier: Apache-2.0
/*
 * digest.c - CRC32C (Castagnoli, slicing-by-8 in software), MD5 and
 * SHA-256 through OpenSSL's EVP interface, and the base64 and hex forms
 * the catalog and GCS use.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lyb/digest.h"

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static void x2k_init(void);

static void crc_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc_table[j][i] =
				(crc_table[j - 1][i] >> 8) ^
				crc_table[0][crc_table[j - 1][i] & 0xff];
}

#if defined(__x86_64__)
#include <nmmintrin.h>
static int have_sse42;

/*
 * The CPU's own CRC32C instruction: several times the tables' speed. One
 * chain of it waits for each result (3 cycles), so long buffers run three
 * lanes of CRC_LANE bytes at once and join them: the register after lane
 * A then lane B is A's shifted over B's length in zero bytes, XOR B's from
 * zero, and the shift over CRC_LANE zero bytes is linear, four table
 * lookups (crc_shift, made at start with the instruction itself).
 */
#define CRC_LANE 8192
static uint32_t crc_shift[4][256];

__attribute__((target("sse4.2"))) static uint64_t
crc_run(uint64_t c, const unsigned char *p, size_t len)
{
	uint64_t v;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
	}
	for (; len; p++, len--)
		c = _mm_crc32_u8((uint32_t)c, *p);
	return c;
}

static uint64_t crc_lane_shift(uint64_t c)
{
	return crc_shift[0][c & 0xff] ^ crc_shift[1][(c >> 8) & 0xff] ^
	       crc_shift[2][(c >> 16) & 0xff] ^ crc_shift[3][(c >> 24) & 0xff];
}

static void crc_shift_init(void)
{
	static const unsigned char zeros[CRC_LANE];
	unsigned k, b;

	for (k = 0; k < 4; k++)
		for (b = 0; b < 256; b++)
			crc_shift[k][b] = (uint32_t)crc_run(
				(uint64_t)b << (8 * k), zeros, CRC_LANE);
}

__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = ~crc, c1, c2, v;
	size_t i;

	for (; len >= 3 * CRC_LANE; p += 3 * CRC_LANE, len -= 3 * CRC_LANE) {
		c1 = c2 = 0;
		for (i = 0; i < CRC_LANE; i += 8) {
			memcpy(&v, p + i, 8);
			c = _mm_crc32_u64(c, v);
			memcpy(&v, p + CRC_LANE + i, 8);
			c1 = _mm_crc32_u64(c1, v);
			memcpy(&v, p + 2 * CRC_LANE + i, 8);
			c2 = _mm_crc32_u64(c2, v);
		}
		c = crc_lane_shift(crc_lane_shift(c) ^ c1) ^ c2;
	}
	return ~(uint32_t)crc_run(c, p, len);
}
#endif

static void crc_once_init(void)
{
	crc_init();
	x2k_init();
#if defined(__x86_64__)
	__builtin_cpu_init();
	have_sse42 = __builtin_cpu_supports("sse4.2");
	if (have_sse42)
		crc_shift_init();
#endif
}

uint64_t lyb_fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

uint64_t lyb_fnv1a_str(const char *s)
{
	uint64_t h = LYB_FNV1A_INIT;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

uint32_t lyb_crc32c_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	pthread_once(&crc_once, crc_once_init);
#if defined(__x86_64__)
	if (have_sse42)
		return crc_hw(crc, p, len);
#endif
	crc = ~crc;
	while (len >= 8) {
		uint32_t lo =
			crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
			       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);

		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][p[4]] ^ crc_table[2][p[5]] ^
		      crc_table[1][p[6]] ^ crc_table[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

/*
 * CRC combination: crc(A B) = crc(A) times x^(8 len(B)) mod P, XOR crc(B).
 * Polynomials over GF(2) in the CRC's reflected form (bit 31 is x^0), with
 * x^(2^k) mod P for each k kept in a table, so a shift over n bytes is one
 * product per set bit of n (about a microsecond) rather than squaring 32x32
 * matrices (about twenty).
 */
#define CRC_POLY 0x82f63b78u
#define X2K_MAX 67		    /* 3 + 64: any byte count */
static uint32_t x2k_table[X2K_MAX]; /* x^(2^k) mod P */

/* a times b mod P */
static uint32_t mult_modp(uint32_t a, uint32_t b)
{
	uint32_t m = 1u << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ CRC_POLY : b >> 1;
	}
	return p;
}

static void x2k_init(void)
{
	int k;

	x2k_table[0] = 1u << 30; /* x^1 */
	for (k = 1; k < X2K_MAX; k++)
		x2k_table[k] = mult_modp(x2k_table[k - 1], x2k_table[k - 1]);
}

uint32_t lyb_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	uint32_t x = 1u << 31; /* x^0 */
	unsigned k = 3;	       /* bits: 8 a byte */

	pthread_once(&crc_once, crc_once_init);
	for (; len2; len2 >>= 1, k++)
		if (len2 & 1)
			x = mult_modp(x2k_table[k], x);
	return mult_modp(x, crc1) ^ crc2;
}

struct lyb_digest {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

int lyb_digest_new(enum lyb_digest_alg alg, struct lyb_digest **out)
{
	struct lyb_digest *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->md = alg == LYB_DIGEST_MD5 ? EVP_md5() : EVP_sha256();
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, d->md, NULL) != 1) {
		lyb_digest_free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

int lyb_digest_update(struct lyb_digest *d, const void *data, size_t len)
{
	return EVP_DigestUpdate(d->ctx, data, len) == 1 ? 0 : -EIO;
}

int lyb_digest_final(struct lyb_digest *d, unsigned char *out, size_t *outlen)
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(d->ctx, out, &n) != 1 ||
	    EVP_DigestInit_ex(d->ctx, d->md, NULL) != 1)
		return -EIO;
	*outlen = n;
	return 0;
}

void lyb_digest_free(struct lyb_digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void encode(const unsigned char *in, size_t n, char *out,
		   const char *alphabet, int pad)
{
	size_t i;
	char *o = out;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = alphabet[in[i] >> 2];
		*o++ = alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = alphabet[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*o++ = alphabet[in[i + 2] & 63];
	}
	if (i < n) {
		*o++ = alphabet[in[i] >> 2];
		if (i + 1 < n) {
			*o++ = alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*o++ = alphabet[(in[i + 1] & 15) << 2];
		} else {
			*o++ = alphabet[(in[i] & 3) << 4];
			if (pad)
				*o++ = '=';
		}
		if (pad)
			*o++ = '=';
	}
	*o = '\0';
}

void lyb_base64_encode(const unsigned char *in, size_t n, char *out)
{
	encode(in, n, out, b64, 1);
}

void lyb_base64url_encode(const unsigned char *in, size_t n, char *out)
{
	encode(in, n, out, b64url, 0);
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int lyb_base64_decode(const char *in, size_t n, unsigned char *out,
		      size_t outcap)
{
	uint32_t acc = 0;
	size_t i, len = 0;
	int bits = 0;

	while (n > 0 && in[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len == outcap)
				return -EINVAL;
			out[len++] = (unsigned char)(acc >> bits);
		}
	}
	/* leftover bits must be zero padding, and fewer than a byte */
	if (bits >= 6 || (acc & ((1u << bits) - 1)))
		return -EINVAL;
	return (int)len;
}

void lyb_hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void lyb_crc32c_to_b64(uint32_t crc, char out[LYB_CRC32C_B64_LEN + 1])
{
	unsigned char be[4] = {(unsigned char)(crc >> 24),
			       (unsigned char)(crc >> 16),
			       (unsigned char)(crc >> 8), (unsigned char)crc};

	lyb_base64_encode(be, 4, out);
}

int lyb_crc32c_from_b64(const char *text, uint32_t *out)
{
	unsigned char be[4];

	if (!text || strlen(text) != LYB_CRC32C_B64_LEN ||
	    lyb_base64_decode(text, LYB_CRC32C_B64_LEN, be, sizeof(be)) != 4)
		return -EINVAL;
	*out = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 |
	       (uint32_t)be[2] << 8 | be[3];
	return 0;
}
