/*
 * access.h - who may use the proxy.  Client API keys (config api-keys) are
 * taken from Authorization: Bearer, X-Goog-Api-Key, X-Api-Key, ?key= and
 * ?auth_token=, and compared in constant time (SHA-256 digests compared
 * with CRYPTO_memcmp, so neither content nor length leaks through timing).
 * With no keys configured only connections that reached us on a loopback
 * address (or a pipe) are served.
 */
#ifndef CLIPROXY_ACCESS_H
#define CLIPROXY_ACCESS_H

#include <stdbool.h>

struct conn;
struct apierr;
struct config;

/* 0 if the request may proceed; else -EACCES with e filled (401/403). */
int access_client(struct conn *c, struct apierr *e);
/* True if key is one of the README's sample keys ("your-api-key-1", ...). */
bool access_is_sample_key(const char *key);
/* True if the config has at least one usable (non-sample) client key. */
bool access_has_real_keys(const struct config *cfg);

#endif
