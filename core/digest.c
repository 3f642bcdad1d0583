/*
 * digest.c - SHA-256 through OpenSSL's low-level functions (deprecated in
 * 3.0 but present, and free of provider initialisation; see digest.h).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/digest.h"

#include <openssl/sha.h>

void digest_sha256(const void *p, size_t n, unsigned char out[DIGEST_SHA256_LEN])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, p, n);
	SHA256_Final(out, &c);
}

void digest_sha256_hex(const void *p, size_t n, size_t nbytes, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[DIGEST_SHA256_LEN];

	if (nbytes > DIGEST_SHA256_LEN)
		nbytes = DIGEST_SHA256_LEN;
	digest_sha256(p, n, md);
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * nbytes] = 0;
}
