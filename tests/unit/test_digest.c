// SPDX-License-Identifier: Apache-2.0
/*
 * test_digest.c - checksums and hashes (digest.c) against published
 * vectors: CRC32C (RFC 3720 B.4), MD5 (RFC 1321), SHA-256 (FIPS 180-2),
 * FNV-1a, base64 (RFC 4648 section 10) and base64url, hex, GCS's base64
 * form of a CRC32C both ways, and lyb_crc32c_combine() against the CRC of
 * the concatenation at every split and against itself at 64-bit lengths.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lyb/digest.h"

static void test_crc32c(void)
{
	static const struct {
		const char *what;
		unsigned char data[48];
		size_t len;
		uint32_t crc;
	} v[] = {
		{"empty", {0}, 0, 0},
		{"123456789", "123456789", 9, 0xe3069283},
		{"32 zeros", {0}, 32, 0x8a9136aa},
		{"32 x 0xff",
		 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		 32,
		 0x62a8ab43},
		{"0..31",
		 {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
		  11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
		  22, 23, 24, 25, 26, 27, 28, 29, 30, 31},
		 32,
		 0x46dd794e},
		{"31..0",
		 {31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21,
		  20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10,
		  9,  8,  7,  6,  5,  4,  3,  2,  1,  0},
		 32,
		 0x113fdb5c},
	};
	size_t i, k;
	uint32_t crc;

	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		if (lyb_crc32c_update(0, v[i].data, v[i].len) != v[i].crc) {
			fprintf(stderr, "crc32c(%s) = %08x, want %08x\n",
				v[i].what,
				lyb_crc32c_update(0, v[i].data, v[i].len),
				v[i].crc);
			check_failures++;
		}
		/* byte by byte, and in two pieces, gives the same */
		for (k = 0; k <= v[i].len; k++) {
			crc = lyb_crc32c_update(0, v[i].data, k);
			crc = lyb_crc32c_update(crc, v[i].data + k,
						v[i].len - k);
			CHECK(crc == v[i].crc);
		}
	}
}

static void test_combine(void)
{
	unsigned char data[3000];
	uint32_t whole, a, b;
	size_t i, k;
	static const size_t splits[] = {0,    1,    2,	  3,	7,    64,
					1000, 1023, 1024, 1025, 2999, 3000};

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + (i >> 3));
	whole = lyb_crc32c_update(0, data, sizeof(data));
	for (i = 0; i < sizeof(splits) / sizeof(*splits); i++) {
		k = splits[i];
		a = lyb_crc32c_update(0, data, k);
		b = lyb_crc32c_update(0, data + k, sizeof(data) - k);
		if (lyb_crc32c_combine(a, b, sizeof(data) - k) != whole) {
			fprintf(stderr, "combine at %zu: %08x, want %08x\n", k,
				lyb_crc32c_combine(a, b, sizeof(data) - k),
				whole);
			check_failures++;
		}
	}
	/* nothing appended changes nothing */
	CHECK(lyb_crc32c_combine(0xe3069283, 0, 0) == 0xe3069283);
	CHECK(lyb_crc32c_combine(0, 0xe3069283, 9) == 0xe3069283);
	/* with crc2 0 it shifts crc1 over len2 bytes: two shifts are one over
	 * their sum, up to lengths no buffer here could hold (every bit of a
	 * 64-bit length) */
	{
		static const uint64_t l1[] = {1, 4096, 1ull << 40, ~0ull >> 2},
				      l2[] = {3, 65536, (1ull << 41) + 7,
					      ~0ull >> 2};

		for (i = 0; i < 4; i++)
			CHECK(lyb_crc32c_combine(
				      lyb_crc32c_combine(whole, 0, l1[i]), 0,
				      l2[i]) ==
			      lyb_crc32c_combine(whole, 0, l1[i] + l2[i]));
	}
}

/*
 * A buffer long enough for the three-lane loop, with an odd tail: its CRC
 * in one call equals the CRC updated in short pieces (one lane) and the
 * two halves joined by lyb_crc32c_combine() (powers of x, no lane tables).
 */
static void test_crc32c_long(void)
{
	size_t n = 100 * 1024 + 13, i, k;
	unsigned char *data = malloc(n);
	uint32_t whole, pieces = 0;

	for (i = 0; i < n; i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 11);
	whole = lyb_crc32c_update(0, data, n);
	for (i = 0; i < n; i += k) {
		k = n - i < 1000 ? n - i : 1000;
		pieces = lyb_crc32c_update(pieces, data + i, k);
	}
	CHECK(whole == pieces);
	k = 3 * 8192 + 5;
	CHECK(lyb_crc32c_combine(lyb_crc32c_update(0, data, k),
				 lyb_crc32c_update(0, data + k, n - k),
				 n - k) == whole);
	/* from a running CRC too */
	CHECK(lyb_crc32c_update(lyb_crc32c_update(0, data, 7), data + 7,
				n - 7) == whole);
	free(data);
}

static void test_crc32c_b64(void)
{
	static const struct {
		uint32_t crc;
		const char *b64;
	} v[] = {
		{0, "AAAAAA=="},
		{0xe3069283, "4waSgw=="},
		{0xffffffff, "/////w=="},
		{0x01020304, "AQIDBA=="},
	};
	static const char *const bad[] = {
		"",	     "AAAAAA=",	     "AAAAAA===", "AAAAAAA=",
		"AAAA",	     "AAAAAAAA",     "AAAAA!==",  "AAAAAB==",
		"AAAAAA==x", "AAAAAAAAAA==",
	};
	char out[LYB_CRC32C_B64_LEN + 1];
	uint32_t crc;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		lyb_crc32c_to_b64(v[i].crc, out);
		CHECK_STR(out, v[i].b64);
		crc = 1;
		CHECK_RC(lyb_crc32c_from_b64(v[i].b64, &crc), 0);
		CHECK(crc == v[i].crc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		crc = 7;
		if (lyb_crc32c_from_b64(bad[i], &crc) != -EINVAL || crc != 7) {
			fprintf(stderr, "crc32c from \"%s\" accepted\n",
				bad[i]);
			check_failures++;
		}
	}
	CHECK_RC(lyb_crc32c_from_b64(NULL, &crc), -EINVAL);
}

static void hash_hex(enum lyb_digest_alg alg, const char *text, char *hex)
{
	struct lyb_digest *d = NULL;
	unsigned char out[32];
	size_t n = 0;

	hex[0] = '\0';
	if (lyb_digest_new(alg, &d) != 0)
		return;
	/* in two pieces, to use update twice */
	if (lyb_digest_update(d, text, strlen(text) / 2) == 0 &&
	    lyb_digest_update(d, text + strlen(text) / 2,
			      strlen(text) - strlen(text) / 2) == 0 &&
	    lyb_digest_final(d, out, &n) == 0)
		lyb_hex_encode(out, n, hex);
	lyb_digest_free(d);
}

static void test_hashes(void)
{
	static const char *const long_text =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const struct {
		enum lyb_digest_alg alg;
		const char *text, *hex;
	} v[] = {
		{LYB_DIGEST_MD5, "", "d41d8cd98f00b204e9800998ecf8427e"},
		{LYB_DIGEST_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72"},
		{LYB_DIGEST_MD5, "message digest",
		 "f96b697d7cb7938d525a2f31aaf161d0"},
		{LYB_DIGEST_SHA256, "",
		 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852"
		 "b855"},
		{LYB_DIGEST_SHA256, "abc",
		 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f200"
		 "15ad"},
		{LYB_DIGEST_SHA256, NULL,
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db"
		 "06c1"},
	};
	struct lyb_digest *d = NULL;
	unsigned char out[32];
	char hex[65], b64[25];
	size_t i, n = 0;

	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		hash_hex(v[i].alg, v[i].text ? v[i].text : long_text, hex);
		CHECK_STR(hex, v[i].hex);
	}
	/* final resets: the next digest starts afresh */
	CHECK_RC(lyb_digest_new(LYB_DIGEST_MD5, &d), 0);
	if (!d)
		return;
	CHECK_RC(lyb_digest_update(d, "junk", 4), 0);
	CHECK_RC(lyb_digest_final(d, out, &n), 0);
	CHECK_RC(n, 16);
	CHECK_RC(lyb_digest_final(d, out, &n), 0);
	lyb_hex_encode(out, n, hex);
	CHECK_STR(hex, "d41d8cd98f00b204e9800998ecf8427e");
	/* GCS's md5Hash form */
	lyb_base64_encode(out, n, b64);
	CHECK_STR(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
	CHECK_RC(strlen(b64), LYB_MD5_B64_LEN);
	lyb_digest_free(d);
	lyb_digest_free(NULL);
}

static void test_base64(void)
{
	static const struct {
		const char *in, *std, *url;
	} v[] = {
		{"", "", ""},
		{"f", "Zg==", "Zg"},
		{"fo", "Zm8=", "Zm8"},
		{"foo", "Zm9v", "Zm9v"},
		{"foob", "Zm9vYg==", "Zm9vYg"},
		{"fooba", "Zm9vYmE=", "Zm9vYmE"},
		{"foobar", "Zm9vYmFy", "Zm9vYmFy"},
		{"\xfb\xff", "+/8=", "-_8"},
		{"\xff\xfe\xfd", "//79", "__79"},
	};
	/* a lone last character holds 6 bits, less than a byte, whatever
	 * its value ("A" is all zero bits) */
	static const char *const bad[] = {"Z",	   "A",	    "Zm9vA",
					  "Zm9vY", "Zh==",  "Zm9=",
					  "Zm 9v", "Zm9v!", "=Zm9"};
	unsigned char out[16];
	char enc[32];
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		n = strlen(v[i].in);
		lyb_base64_encode((const unsigned char *)v[i].in, n, enc);
		CHECK_STR(enc, v[i].std);
		lyb_base64url_encode((const unsigned char *)v[i].in, n, enc);
		CHECK_STR(enc, v[i].url);
		/* both alphabets decode, padded or not */
		memset(out, 0, sizeof(out));
		CHECK_RC(lyb_base64_decode(v[i].std, strlen(v[i].std), out,
					   sizeof(out)),
			 n);
		CHECK(memcmp(out, v[i].in, n) == 0);
		memset(out, 0, sizeof(out));
		CHECK_RC(lyb_base64_decode(v[i].url, strlen(v[i].url), out,
					   sizeof(out)),
			 n);
		CHECK(memcmp(out, v[i].in, n) == 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (lyb_base64_decode(bad[i], strlen(bad[i]), out,
				      sizeof(out)) != -EINVAL) {
			fprintf(stderr, "base64 \"%s\" accepted\n", bad[i]);
			check_failures++;
		}
	}
	/* the output capacity is a hard limit */
	CHECK_RC(lyb_base64_decode("Zm9vYmFy", 8, out, 6), 6);
	CHECK_RC(lyb_base64_decode("Zm9vYmFy", 8, out, 5), -EINVAL);
	CHECK_RC(lyb_base64_decode("Zg==", 4, out, 0), -EINVAL);
}

static void test_hex(void)
{
	static const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
	char out[2 * sizeof(in) + 1];

	lyb_hex_encode(in, sizeof(in), out);
	CHECK_STR(out, "00017f80abff");
	lyb_hex_encode(in, 0, out);
	CHECK_STR(out, "");
}

/* FNV-1a 64 (draft-eastlake-fnv, its test vectors) */
static void test_fnv1a(void)
{
	static const struct {
		const char *s;
		uint64_t h;
	} v[] = {
		{"", 0xcbf29ce484222325ull},
		{"a", 0xaf63dc4c8601ec8cull},
		{"foobar", 0x85944171f73967e8ull},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK(lyb_fnv1a_str(v[i].s) == v[i].h);
		CHECK(lyb_fnv1a(LYB_FNV1A_INIT, v[i].s, strlen(v[i].s)) ==
		      v[i].h);
	}
	/* continuing is the hash of the concatenation */
	CHECK(lyb_fnv1a(lyb_fnv1a(LYB_FNV1A_INIT, "foo", 3), "bar", 3) ==
	      lyb_fnv1a_str("foobar"));
}

int main(void)
{
	test_fnv1a();
	test_crc32c();
	test_combine();
	test_crc32c_long();
	test_crc32c_b64();
	test_hashes();
	test_base64();
	test_hex();
	return check_failures ? 1 : 0;
}
