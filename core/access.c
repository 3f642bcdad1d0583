/*
 * access.c - client key check.  Candidates are looked at in the original's
 * order; the first that equals a configured key wins.  Keys never leave this
 * file: not in logs, not in error bodies (only "Missing API key" /
 * "Invalid API key").
 */
#include "core/access.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/config.h"
#include "core/conn.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/http_req.h"
#include "core/parse.h"

static const char *const sample_keys[] = {
	"your-api-key-1", "your-api-key-2", "your-api-key-3", "test-api-key-01", NULL,
};

bool access_is_sample_key(const char *key)
{
	for (int i = 0; sample_keys[i]; i++)
		if (strcmp(key, sample_keys[i]) == 0)
			return true;
	return false;
}

bool access_has_real_keys(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->api_keys.n; i++)
		if (!access_is_sample_key(cfg->api_keys.v[i]))
			return true;
	return false;
}

static bool key_matches(const struct config *cfg, const char *cand, size_t n)
{
	unsigned char want[DIGEST_SHA256_LEN], got[DIGEST_SHA256_LEN];
	int hit = 0;

	digest_sha256(cand, n, got);
	/* Compare digests against every key, without stopping early. */
	for (size_t i = 0; i < cfg->api_keys.n; i++) {
		const char *k = cfg->api_keys.v[i];
		digest_sha256(k, strlen(k), want);
		hit |= CRYPTO_memcmp(want, got, sizeof(got)) == 0;
	}
	OPENSSL_cleanse(got, sizeof(got));
	OPENSSL_cleanse(want, sizeof(want));
	return hit;
}

int access_client(struct conn *c, struct apierr *e)
{
	const struct http_request *r = c->req;
	const char *cand[5];
	size_t ncand = 0;
	const char *h;
	bool any = false;

	if (c->cfg.api_keys.n == 0) {
		if (c->local_loopback)
			return 0;
		return apierr_set(e, -EACCES, 403, "permission_error",
				  "no api-keys are configured: only loopback clients are served");
	}
	h = http_req_header(r, "authorization");
	if (h && *h) {
		const char *sp = strchr(h, ' ');
		if (sp && strn_caseeq(h, (size_t)(sp - h), "bearer"))
			h = sp + 1;
		while (*h == ' ')
			h++;
		cand[ncand++] = h;
	}
	if ((h = http_req_header(r, "x-goog-api-key")) && *h)
		cand[ncand++] = h;
	if ((h = http_req_header(r, "x-api-key")) && *h)
		cand[ncand++] = h;
	if ((h = http_req_query(r, "key", &c->req_arena)) && *h)
		cand[ncand++] = h;
	if ((h = http_req_query(r, "auth_token", &c->req_arena)) && *h)
		cand[ncand++] = h;
	for (size_t i = 0; i < ncand; i++) {
		any = true;
		if (key_matches(&c->cfg, cand[i], strlen(cand[i]))) {
			/* A stable, non-secret handle on who called (prompt caches). */
			digest_sha256_hex(cand[i], strlen(cand[i]), 16, c->client_key_id);
			return 0;
		}
	}
	if (!any)
		return apierr_set(e, -EACCES, 401, "authentication_error", "Missing API key");
	return apierr_set(e, -EACCES, 401, "authentication_error", "Invalid API key");
}
