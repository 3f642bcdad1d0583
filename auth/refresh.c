/*
 * refresh.c - the token lifecycle (see refresh.h for the protocol): a fast
 * unlocked look, then under the credential's flock a re-read, at most one
 * call to the token endpoint, the rotated tokens written before use, a
 * permanent failure disabling the file, a transient one backing off.
 * All work with tokens happens in a private wiped arena; only the access
 * token reaches the caller's secrets arena.
 */
#include "auth/refresh.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/log.h"

/* Scratch for one ensure_fresh: a few copies of a file and one answer. */
#define REFRESH_SCRATCH_CAP (8L * 1024 * 1024)

const char *auth_env_url(const char *env, const char *dflt)
{
	const char *v = env ? getenv(env) : NULL;

	return v && *v ? v : dflt;
}

const char *auth_token_url(enum auth_kind kind)
{
	switch (kind) {
	case AUTH_GEMINI:
		return auth_env_url(AUTH_GEMINI_TOKEN_URL_ENV, AUTH_GEMINI_TOKEN_URL);
	case AUTH_CODEX:
		return auth_env_url(AUTH_CODEX_TOKEN_URL_ENV, AUTH_CODEX_TOKEN_URL);
	case AUTH_CLAUDE:
		return auth_env_url(AUTH_CLAUDE_TOKEN_URL_ENV, AUTH_CLAUDE_TOKEN_URL);
	case AUTH_QWEN:
		return auth_env_url(AUTH_QWEN_TOKEN_URL_ENV, AUTH_QWEN_TOKEN_URL);
	default:
		return NULL;
	}
}

int64_t auth_refresh_lead(enum auth_kind kind)
{
	switch (kind) {
	case AUTH_GEMINI:
		return AUTH_LEAD_GEMINI_S;
	case AUTH_CODEX:
		return AUTH_LEAD_CODEX_S;
	case AUTH_CLAUDE:
		return AUTH_LEAD_CLAUDE_S;
	case AUTH_QWEN:
		return AUTH_LEAD_QWEN_S;
	default:
		return AUTH_LEAD_DEFAULT_S;
	}
}

bool auth_can_refresh(enum auth_kind kind)
{
	return kind == AUTH_GEMINI || kind == AUTH_CODEX || kind == AUTH_CLAUDE || kind == AUTH_QWEN;
}

bool auth_refresh_due(const struct auth_file *f, int64_t now)
{
	if (f->disabled || !auth_can_refresh(f->kind))
		return false;
	int64_t lead = auth_refresh_lead(f->kind);

	/* A token that lives shorter than twice the lead (a provider that
	   changed its lifetimes, a mock) is refreshed at half its life, not
	   on every use. */
	if (f->last_refresh > 0 && f->expiry > f->last_refresh &&
	    (f->expiry - f->last_refresh) / 2 < lead)
		lead = (f->expiry - f->last_refresh) / 2;
	if (f->expiry > 0 && now >= f->expiry - lead)
		return true;
	return f->refresh_interval > 0 && now >= f->last_refresh + f->refresh_interval;
}

/* ---- auth_ensure_fresh -------------------------------------------------- */

enum verdict { USE, REFRESH };

/* What to do with cur (see refresh.h).  used: the token that got a 401
   (force), else NULL.  USE, REFRESH, or -EACCES / -EAGAIN / -EKEYEXPIRED. */
static int decide(const struct auth_file *cur, int64_t now, bool force, const char *used)
{
	bool valid = cur->access_token && (cur->expiry == 0 || cur->expiry > now);
	bool can = cur->refresh_token && auth_can_refresh(cur->kind);

	if (cur->disabled)
		return -EACCES;
	if (force) {
		if (used && cur->access_token && strcmp(cur->access_token, used) != 0)
			return USE; /* refreshed by someone else since our 401 */
		return can ? REFRESH : -EKEYEXPIRED;
	}
	if (cur->access_token && !auth_refresh_due(cur, now))
		return USE;
	if (!can)
		return valid ? USE : -EKEYEXPIRED;
	if (cur->refresh_retry_at > now)
		return valid ? USE : -EAGAIN; /* backing off after a transient failure */
	return REFRESH;
}

/* The token request body for cur's kind into b.  0 or -errno. */
static int request_body(const struct auth_file *cur, struct buf *b, enum auth_body *ret_kind)
{
	*ret_kind = AUTH_BODY_FORM;
	switch (cur->kind) {
	case AUTH_GEMINI:
		auth_form_add(b, "client_id", cur->client_id ? cur->client_id : AUTH_GEMINI_CLIENT_ID);
		auth_form_add(b, "client_secret",
			      cur->client_secret ? cur->client_secret : AUTH_GEMINI_CLIENT_SECRET);
		auth_form_add(b, "grant_type", "refresh_token");
		auth_form_add(b, "refresh_token", cur->refresh_token);
		break;
	case AUTH_CODEX:
		auth_form_add(b, "client_id", AUTH_CODEX_CLIENT_ID);
		auth_form_add(b, "grant_type", "refresh_token");
		auth_form_add(b, "refresh_token", cur->refresh_token);
		auth_form_add(b, "scope", "openid profile email");
		break;
	case AUTH_QWEN:
		auth_form_add(b, "grant_type", "refresh_token");
		auth_form_add(b, "refresh_token", cur->refresh_token);
		auth_form_add(b, "client_id", AUTH_QWEN_CLIENT_ID);
		break;
	case AUTH_CLAUDE: {
		struct jsonw w;
		*ret_kind = AUTH_BODY_JSON;
		jw_init(&w, b);
		jw_obj(&w);
		jw_kstr(&w, "client_id", AUTH_CLAUDE_CLIENT_ID);
		jw_kstr(&w, "grant_type", "refresh_token");
		jw_kstr(&w, "refresh_token", cur->refresh_token);
		jw_end(&w);
		return jw_error(&w);
	}
	default:
		return -ENOTSUP;
	}
	return b->err;
}

static int64_t backoff_s(int failures)
{
	int64_t s = AUTH_BACKOFF_MIN_S;

	for (int i = 1; i < failures && s < AUTH_BACKOFF_MAX_S; i++)
		s *= 2;
	return s < AUTH_BACKOFF_MAX_S ? s : AUTH_BACKOFF_MAX_S;
}

/* "token endpoint HTTP 400 invalid_grant: description" / "token endpoint
   unreachable: what", no secret.  The endpoint's own words are untrusted:
   made printable and cut short. */
static const char *failure_text(struct arena *a, const struct auth_token *t)
{
	const char *err, *desc;

	if (!t->status)
		return arena_printf(a, "token endpoint unreachable: %s", t->what ? t->what : "?");
	if (t->what && t->status >= 200 && t->status < 300)
		return arena_printf(a, "token endpoint HTTP %d: %s", t->status, t->what);
	err = t->error ? auth_printable(a, t->error, 64) : NULL;
	desc = t->error_description ? auth_printable(a, t->error_description, 160) : NULL;
	return arena_printf(a, "token endpoint HTTP %d%s%s%s%s", t->status, err ? " " : "",
			    err ? err : "", desc ? ": " : "", desc ? desc : "");
}

struct fresh {
	const struct config *cfg;
	struct arena *a;
	struct arena s; /* private, wiped */
	int64_t now;
	bool force;
};

/* One call to the token endpoint for cur (held under the lock) and the
   file updated accordingly.  0 (cur refreshed), -EACCES (disabled now),
   -EAGAIN (transient; cur records the backoff), other -errno. */
static int do_refresh(struct fresh *fr, struct auth_file *cur, const char **ret_why)
{
	struct auth_update u;
	struct auth_token t;
	struct buf body;
	enum auth_body bk;
	const char *proxy = cur->proxy_url;
	const char *why;
	int r, w;

	if (!proxy && fr->cfg && fr->cfg->proxy_url && *fr->cfg->proxy_url)
		proxy = fr->cfg->proxy_url;
	buf_init(&body, &fr->s, AUTH_FILE_MAX);
	r = request_body(cur, &body, &bk);
	if (r < 0)
		return r;
	r = auth_token_post(auth_token_url(cur->kind), proxy, bk, body.p, body.len, fr->a, &fr->s, &t);
	memset(&u, 0, sizeof(u));
	if (r == 0) {
		u.access_token = t.access_token;
		u.refresh_token = t.refresh_token; /* NULL: not rotated, keep */
		u.id_token = t.id_token;
		u.expiry = fr->now + (t.expires_in > 0 ? t.expires_in : 3600);
		u.last_refresh = fr->now;
		if (cur->refresh_failures || cur->refresh_retry_at || cur->refresh_error)
			u.refresh_state = AUTH_CLEAR;
		if (cur->kind == AUTH_CODEX && t.id_token)
			auth_codex_claims(t.id_token, fr->a, &u.email, &u.account_id, NULL);
		w = auth_save(cur, &u, fr->a, &fr->s);
		if (w < 0) {
			/* The new tokens work but could not be kept: serve this
			   request with them and say so loudly. */
			log_error("auth %s: refreshed, but writing %s failed: %s", cur->label, cur->name,
				  strerror(-w));
			cur->access_token = t.access_token;
			cur->expiry = u.expiry;
		}
		return 0;
	}
	why = failure_text(fr->a, &t);
	*ret_why = why;
	if (r == -EACCES) {
		u.disabled = AUTH_SET;
		u.disabled_reason = arena_printf(fr->a, "refresh refused: %s", why);
		u.refresh_state = AUTH_CLEAR;
		w = auth_save(cur, &u, fr->a, &fr->s);
		log_error("auth %s (%s) disabled: %s; log in again to re-enable it", cur->label,
			  cur->name, why);
		if (w < 0)
			cur->disabled = true;
		return -EACCES;
	}
	u.refresh_state = AUTH_SET;
	u.refresh_failures = cur->refresh_failures + 1;
	u.refresh_retry_at = fr->now + backoff_s(u.refresh_failures);
	u.refresh_error = why;
	w = auth_save(cur, &u, fr->a, &fr->s);
	log_info("auth %s: token refresh failed (%s); next attempt after %llds", cur->label, why,
		 (long long)backoff_s(u.refresh_failures));
	if (w < 0) {
		cur->refresh_retry_at = u.refresh_retry_at;
		cur->refresh_failures = u.refresh_failures;
	}
	return -EAGAIN;
}

static int fail(struct apierr *e, int r, const struct auth_file *cur, struct arena *a,
		const char *why)
{
	const char *label = cur && cur->label ? cur->label : "?";
	const char *msg;

	switch (r) {
	case -EACCES:
		msg = arena_printf(a, "credential %s is disabled: %s", label,
				   cur && cur->disabled_reason ? cur->disabled_reason : "disabled");
		return apierr_set(e, r, 401, "authentication_error", msg ? msg : "credential disabled");
	case -EKEYEXPIRED:
		msg = arena_printf(a, "the access token of %s expired and cannot be refreshed", label);
		return apierr_set(e, r, 401, "authentication_error", msg ? msg : "token expired");
	case -EAGAIN:
		msg = arena_printf(a, "token refresh for %s failed (%s); retrying later", label,
				   why ? why : cur && cur->refresh_error ? cur->refresh_error : "backing off");
		return apierr_set(e, r, 503, "api_error", msg ? msg : "token refresh failed");
	default:
		msg = arena_printf(a, "credential file %s unusable: %s",
				   cur && cur->name ? cur->name : "?", strerror(-r));
		return apierr_set(e, r, 503, "api_error", msg ? msg : "credential file unusable");
	}
}

/* Hand cur to the caller: non-secret fields as they are (in a), the access
   token copied into secrets, every other secret pointer cleared. */
static int deliver(struct auth_file *f, struct auth_file *cur, struct arena *secrets)
{
	const char *tok = arena_strdup(secrets, cur->access_token);

	if (!tok)
		return -ENOMEM;
	*f = *cur;
	f->access_token = tok;
	f->refresh_token = NULL;
	f->id_token = NULL;
	f->client_secret = NULL;
	f->json = NULL;
	f->json_len = 0;
	return 0;
}

/* Keep what we learnt about the file (disabled, backoff) without secrets. */
static void remember(struct auth_file *f, const struct auth_file *cur)
{
	*f = *cur;
	f->access_token = f->refresh_token = f->id_token = f->client_secret = NULL;
	f->json = NULL;
	f->json_len = 0;
}

int auth_ensure_fresh(const struct config *cfg, struct auth_file *f, bool force,
		      struct arena *a, struct arena *secrets, struct apierr *e)
{
	struct fresh fr;
	struct auth_file cur;
	const char *path = f->path, *used = NULL, *why = NULL;
	bool loaded = false;
	int r, lk = -1;

	memset(&fr, 0, sizeof(fr));
	memset(&cur, 0, sizeof(cur));
	if (!path || !*path)
		return fail(e, -EINVAL, f, a, NULL);
	fr.cfg = cfg;
	fr.a = a;
	fr.force = force;
	fr.now = (int64_t)time(NULL);
	arena_init_secret(&fr.s, REFRESH_SCRATCH_CAP);
	if (force && f->access_token)
		used = arena_strdup(&fr.s, f->access_token);

	if (!force) {
		/* 1. The fast path: no lock while nothing is due. */
		r = auth_load(&cur, path, a, &fr.s);
		if (r < 0)
			goto out;
		loaded = true;
		r = decide(&cur, fr.now, false, NULL);
		if (r != REFRESH)
			goto out;
	}
	/* 2. Due: lock, re-read, decide again. */
	lk = auth_lock(path, 0);
	if (lk < 0) {
		r = lk == -ETIMEDOUT ? -EAGAIN : lk;
		why = "another process holds the credential's lock";
		goto out;
	}
	fr.now = (int64_t)time(NULL);
	loaded = false;
	r = auth_load(&cur, path, a, &fr.s);
	if (r < 0)
		goto out;
	loaded = true;
	r = decide(&cur, fr.now, force, used);
	if (r != REFRESH)
		goto out;
	/* 3. One call; the file is written before anyone uses the result. */
	r = do_refresh(&fr, &cur, &why);
	if (r == -EAGAIN && !force && cur.access_token && cur.expiry > fr.now)
		r = USE; /* the old token still works: use it while backing off */
	else if (r == 0)
		r = USE;
out:
	auth_unlock(lk);
	if (r == USE)
		r = deliver(f, &cur, secrets);
	else if (loaded)
		remember(f, &cur);
	if (r < 0)
		fail(e, r, loaded ? &cur : f, a, why);
	arena_release(&fr.s);
	return r;
}
