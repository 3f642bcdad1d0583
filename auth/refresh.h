/*
 * refresh.h - the token lifecycle of auth-dir credentials, decided by each
 * process for itself (no daemon): before a credential is used, and after an
 * upstream 401, auth_ensure_fresh() makes sure its access token is fresh.
 *
 * The protocol (the invariants the refresh race tests check):
 *   1. Fast path, no lock: re-read the file; if it is not due (below), use
 *      it.  Nothing is written, nothing is called.
 *   2. Due (or forced): take auth_lock() (auth/store.h), re-read the file
 *      under the lock and decide again - another process may have
 *      refreshed while we waited; then we use its token and make no call.
 *   3. Still due: one call to the provider's token endpoint.  On success
 *      the rotated tokens are written (auth_save: merged, fsync, rename)
 *      BEFORE the lock is released and before the token is used; a process
 *      killed at any point leaves the old file or the new one.  A refresh
 *      token the endpoint did not rotate is kept.
 *   4. Permanent failure (the endpoint says invalid_grant,
 *      refresh_token_reused, refresh_token_expired, invalid_client,
 *      unauthorized_client, access_denied): "disabled": true and
 *      "disabled_reason" written, one log line (label and reason, never a
 *      token), -EACCES.  A disabled file is never refreshed again nor
 *      selected: no loop.  `cliproxy auth list` shows it; a new login (or
 *      removing the two members) re-enables it.
 *   5. Transient failure (transport, timeout, 5xx, 429, a 2xx without a
 *      token, any other 4xx): the old tokens stay; refresh_failures += 1,
 *      refresh_retry_at = now + backoff (AUTH_BACKOFF_MIN_S doubling per
 *      failure up to AUTH_BACKOFF_MAX_S) and refresh_error are written, and
 *      no process calls the endpoint for that credential before
 *      refresh_retry_at (unless forced by a 401).  A success clears them.
 *
 * A credential is due when (now = time(NULL)):
 *   - it has an expiry and now >= expiry - lead, where lead is
 *     auth_refresh_lead(kind), or half the token's lifetime (expiry -
 *     last_refresh) when that is shorter: a token never stays due right
 *     after its refresh, or
 *   - refresh_interval_seconds is set and now >= last_refresh + interval;
 * never when it is disabled, has no refresh token, or its kind has no
 * refresh (auth_can_refresh).  A credential without a known expiry is not
 * due (only a 401 refreshes it).
 *
 * Endpoints: every OAuth URL can be pointed elsewhere with an environment
 * variable CLIPROXY_<PROVIDER>_<ENDPOINT>_URL (tests point them at local
 * mocks); auth_env_url() is the one place that reads them.
 */
#ifndef CLIPROXY_AUTH_REFRESH_H
#define CLIPROXY_AUTH_REFRESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/store.h"
#include "core/err.h"

struct arena;
struct buf;
struct config;
struct json;

/* ---- Public OAuth clients (SPEC §3.3-3.6; public values, not secrets) --- */
#define AUTH_GEMINI_CLIENT_ID "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com"
#define AUTH_GEMINI_CLIENT_SECRET "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"
#define AUTH_CODEX_CLIENT_ID "app_EMoamEEZ73f0CkXaXp7hrann"
#define AUTH_CLAUDE_CLIENT_ID "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
#define AUTH_QWEN_CLIENT_ID "f0304373b74a44d2b584a3fb70ca9e56"

/* Default token endpoints and their environment overrides. */
#define AUTH_GEMINI_TOKEN_URL "https://oauth2.googleapis.com/token"
#define AUTH_GEMINI_TOKEN_URL_ENV "CLIPROXY_GEMINI_TOKEN_URL"
#define AUTH_CODEX_TOKEN_URL "https://auth.openai.com/oauth/token"
#define AUTH_CODEX_TOKEN_URL_ENV "CLIPROXY_CODEX_TOKEN_URL"
#define AUTH_CLAUDE_TOKEN_URL "https://api.anthropic.com/v1/oauth/token"
#define AUTH_CLAUDE_TOKEN_URL_ENV "CLIPROXY_CLAUDE_TOKEN_URL"
#define AUTH_QWEN_TOKEN_URL "https://chat.qwen.ai/api/v1/oauth2/token"
#define AUTH_QWEN_TOKEN_URL_ENV "CLIPROXY_QWEN_TOKEN_URL"

/* Refresh lead times (seconds before expiry): SPEC §3.3-3.6, §3.10.  Google
   documents none (its client refreshes ~10 s early): we take 5 min so a
   token never expires in the middle of a request's first upstream call. */
#define AUTH_LEAD_GEMINI_S (5 * 60)
#define AUTH_LEAD_CODEX_S (5 * 24 * 3600)
#define AUTH_LEAD_CLAUDE_S (4 * 3600)
#define AUTH_LEAD_QWEN_S (20 * 60)
#define AUTH_LEAD_DEFAULT_S (5 * 60)

/* Transient-failure backoff: 60 s, 120 s, ... at most 15 min. */
#define AUTH_BACKOFF_MIN_S 60
#define AUTH_BACKOFF_MAX_S (15 * 60)
/* Whole token call (connect + answer). */
#define AUTH_TOKEN_TIMEOUT_MS (30 * 1000)
/* Largest token endpoint answer kept. */
#define AUTH_TOKEN_BODY_MAX (64 * 1024)

/* getenv(env) when set and non-empty, else dflt.  The one reader of the
   CLIPROXY_*_URL overrides (B's login flows use it too). */
const char *auth_env_url(const char *env, const char *dflt);
/* The token endpoint for kind (env override, else the default); NULL for
   kinds without one. */
const char *auth_token_url(enum auth_kind kind);
/* Lead time of kind in seconds. */
int64_t auth_refresh_lead(enum auth_kind kind);
/* Kinds this build can refresh: GEMINI, CODEX, CLAUDE, QWEN. */
bool auth_can_refresh(enum auth_kind kind);
/* Due per the rules above (uses f's expiry, last_refresh, refresh_interval,
   disabled, kind; needs no secrets: refresh_token presence is not checked). */
bool auth_refresh_due(const struct auth_file *f, int64_t now);

/* Make sure f's access token is fresh and usable.
 *   cfg:     proxy-url (file proxy_url > cfg->proxy_url > environment);
 *            may be NULL.
 *   f:       at least f->path set (e.g. loaded without secrets by the
 *            registry).  On success *f is the file as it now is on disk
 *            and f->access_token is non-NULL; of the secrets only
 *            access_token is copied into `secrets` (refresh_token,
 *            id_token, client_secret and json are NULL: the work happens
 *            in a private wiped arena, so a keep-alive connection does
 *            not pile up copies of the file).  On error f's non-secret
 *            state (disabled, refresh_retry_at, ...) is the latest known.
 *   force:   the caller's upstream answered 401 with f->access_token:
 *            refresh even if not due and regardless of the backoff -
 *            unless the file, re-read under the lock, already holds a
 *            different access token (someone refreshed meanwhile: use it).
 *   a:       non-secret strings; secrets: tokens (the conn's arenas).
 *   e:       filled on error (status, type, message with the label only).
 * Returns
 *   0            token usable (fresh, refreshed, or - after a transient
 *                failure that was not forced - the old one while it has not
 *                yet expired);
 *   -EACCES      disabled (before, or by this call: permanent failure);
 *                e 401 "authentication_error";
 *   -EAGAIN      a transient failure (now or backing off) and the old token
 *                is expired or got a 401; f->refresh_retry_at says when a
 *                new attempt will be made: cool the credential down until
 *                then; e 503 "api_error";
 *   -EKEYEXPIRED expired (or forced) and no refresh token / kind without
 *                refresh; e 401;
 *   -ENOENT, -EINVAL, -EPERM, -EFBIG, -ETIMEDOUT (lock), -ENOMEM: the file
 *                is gone, unreadable or unparseable, or the lock could not
 *                be had; e 503.
 * Never called for API-key credentials.  Safe to call from many processes
 * at once: at most one token call per due credential (see above). */
int auth_ensure_fresh(const struct config *cfg, struct auth_file *f, bool force,
		      struct arena *a, struct arena *secrets, struct apierr *e);

/* ---- Token endpoint calls (refresh here; code exchange in login flows) --- */

enum auth_body { AUTH_BODY_FORM, AUTH_BODY_JSON };

/* A token endpoint's answer.  Secrets (tokens, body) in the secrets arena. */
struct auth_token {
	int status;                /* HTTP status, 0: no answer (transport) */
	const char *access_token;  /* NULL absent */
	const char *refresh_token; /* NULL: not rotated */
	const char *id_token;
	const char *token_type;
	const char *scope;
	int64_t expires_in;        /* seconds, 0 absent */
	const char *error;         /* OAuth error code: "error" (string), or
				      error.code / error.type of an object */
	const char *error_description; /* "error_description" or error.message */
	const char *what;          /* transport failure text (no URL query, no secret) */
	const char *body;          /* the whole answer, NUL-terminated */
	size_t body_len;
};

/* POST body (form or JSON) to url with Accept: application/json, through
   proxy (NULL: environment; "direct"/"none": no proxy), bounded by
   AUTH_TOKEN_TIMEOUT_MS and AUTH_TOKEN_BODY_MAX; parse the answer into
   *ret (always filled as far as known).  Returns
     0        2xx with an access_token;
     -EACCES  permanent: 400/401/403 whose error is one of the codes of
              rule 4 above;
     -EAGAIN  anything else (transport, 5xx, 429, other 4xx, 2xx without a
              token or not JSON). */
int auth_token_post(const char *url, const char *proxy, enum auth_body kind, const char *body,
		    size_t len, struct arena *a, struct arena *secrets, struct auth_token *ret);

/* Append "key=value" (with '&' when b is not empty), both
   application/x-www-form-urlencoded.  0 or -E2BIG/-ENOMEM. */
int auth_form_add(struct buf *b, const char *key, const char *value);

/* The payload of a JWT (header.payload.signature, base64url) parsed as
   JSON into *ret (root 0); nothing is verified.  0, -EINVAL, -ENOMEM. */
int auth_jwt_payload(const char *jwt, struct arena *a, struct json *ret);

/* Codex id_token claims (SPEC §3.4): "email", and under
   "https://api.openai.com/auth": chatgpt_account_id, chatgpt_plan_type.
   Each out pointer may be NULL; absent claims give NULL.  0 or -EINVAL
   (not a JWT / not JSON), -ENOMEM. */
int auth_codex_claims(const char *id_token, struct arena *a, const char **ret_email,
		      const char **ret_account_id, const char **ret_plan);

#endif
