/*
 * digest.h - SHA-256 without OpenSSL's provider machinery.  SHA256() in
 * OpenSSL 3 goes through EVP fetching, whose first use initialises the
 * default provider: ~5 M instructions per fresh process, more than the
 * rest of a request.  The low-level implementation needs no setup.
 */
#ifndef CLIPROXY_DIGEST_H
#define CLIPROXY_DIGEST_H

#include <stddef.h>

#define DIGEST_SHA256_LEN 32

void digest_sha256(const void *p, size_t n, unsigned char out[DIGEST_SHA256_LEN]);
/* Lower-case hex of the first nbytes of SHA-256(p); out needs 2*nbytes+1. */
void digest_sha256_hex(const void *p, size_t n, size_t nbytes, char *out);

#endif
