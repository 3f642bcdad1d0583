/*
 * login_codex.c - ChatGPT OAuth for Codex (SPEC §3.4): PKCE S256 authorize
 * with the callback on :1455/auth/callback, or the device flow (user code,
 * polled every `interval` s for at most 15 min); then the form code exchange
 * and the id_token claims (e-mail, chatgpt_account_id, plan) that name the
 * file codex-<email>-<plan>.json.  Refuses an answer without an e-mail.
 */
#include "auth/login.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/oauth.h"
#include "auth/refresh.h"
#include "auth/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/parse.h"

#define CODEX_AUTH_URL "https://auth.openai.com/oauth/authorize"
#define CODEX_AUTH_URL_ENV "CLIPROXY_CODEX_AUTH_URL"
#define CODEX_PORT 1455
#define CODEX_PATH "/auth/callback"
#define CODEX_REDIRECT "http://localhost:1455/auth/callback"
#define CODEX_SCOPE "openid email profile offline_access"

#define CODEX_DEVICE_CODE_URL "https://auth.openai.com/api/accounts/deviceauth/usercode"
#define CODEX_DEVICE_CODE_URL_ENV "CLIPROXY_CODEX_DEVICE_CODE_URL"
#define CODEX_DEVICE_TOKEN_URL "https://auth.openai.com/api/accounts/deviceauth/token"
#define CODEX_DEVICE_TOKEN_URL_ENV "CLIPROXY_CODEX_DEVICE_TOKEN_URL"
#define CODEX_DEVICE_VERIFY_URL "https://auth.openai.com/codex/device"
#define CODEX_DEVICE_VERIFY_URL_ENV "CLIPROXY_CODEX_DEVICE_VERIFY_URL"
#define CODEX_DEVICE_REDIRECT "https://auth.openai.com/deviceauth/callback"
#define CODEX_DEVICE_TIMEOUT_S (15 * 60)
#define CODEX_DEVICE_INTERVAL_S 5

/* Exchange the code and write the file. */
static int exchange_and_save(struct login_ctx *x, const char *code, const char *verifier,
			     const char *redirect)
{
	struct auth_token t;
	struct auth_name nm;
	struct buf form, out;
	struct jsonw w;
	const char *email = NULL, *account = NULL, *plan = NULL, *now_s, *exp_s;
	time_t now;
	int r;

	buf_init(&form, x->secrets, 64 * 1024);
	auth_form_add(&form, "grant_type", "authorization_code");
	auth_form_add(&form, "client_id", AUTH_CODEX_CLIENT_ID);
	auth_form_add(&form, "code", code);
	auth_form_add(&form, "redirect_uri", redirect);
	auth_form_add(&form, "code_verifier", verifier);
	if (form.err)
		return login_fail(x, "out of memory");
	r = auth_token_post(auth_token_url(AUTH_CODEX), x->proxy, AUTH_BODY_FORM, form.p, form.len,
			    x->a, x->secrets, &t);
	if (r < 0)
		return login_fail(x, "the code exchange failed: %s; nothing written",
				  oauth_token_error(x->a, &t));
	if (!t.refresh_token || !t.id_token)
		return login_fail(x, "the token answer lacks a refresh token or id_token; nothing written");
	if (auth_codex_claims(t.id_token, x->a, &email, &account, &plan) < 0 || !email || !*email)
		return login_fail(x, "the id_token names no e-mail; nothing written");
	now = time(NULL);
	now_s = auth_time_format(x->a, (int64_t)now);
	exp_s = auth_time_format(x->a, (int64_t)now + (t.expires_in > 0 ? t.expires_in : 3600));
	/* The original's CodexTokenStorage, member for member. */
	buf_init(&out, x->secrets, AUTH_FILE_MAX);
	jw_init(&w, &out);
	jw_obj(&w);
	jw_kstr(&w, "id_token", t.id_token);
	jw_kstr(&w, "access_token", t.access_token);
	jw_kstr(&w, "refresh_token", t.refresh_token);
	jw_kstr(&w, "account_id", account ? account : "");
	jw_kstr(&w, "last_refresh", now_s);
	jw_kstr(&w, "email", email);
	jw_kstr(&w, "type", "codex");
	jw_kstr(&w, "expired", exp_s);
	jw_end(&w);
	buf_addc(&out, '\n');
	if (jw_error(&w) < 0 || out.err < 0)
		return login_fail(x, "the credential does not fit in %d bytes; nothing written",
				  AUTH_FILE_MAX);
	memset(&nm, 0, sizeof(nm));
	nm.kind = AUTH_CODEX;
	nm.email = email;
	nm.plan = plan;
	nm.account_id = account;
	if (plan)
		login_say(x, "ChatGPT plan: %s", login_safe(x, plan));
	return login_save(x, auth_file_name(x->a, &nm), out.p, out.len, email);
}

static int login_codex_browser(struct login_ctx *x)
{
	struct oauth_pkce pk;
	struct oauth_cb cb;
	char state[OAUTH_RANDOM_LEN];
	const char *url;
	int port = x->o->callback_port ? x->o->callback_port : CODEX_PORT;

	if (oauth_pkce_new(&pk) < 0 || oauth_random_state(state) < 0)
		return login_fail(x, "no randomness available");
	{
		const char *kv[] = {
			"client_id", AUTH_CODEX_CLIENT_ID,
			"response_type", "code",
			"redirect_uri", CODEX_REDIRECT,
			"scope", CODEX_SCOPE,
			"state", state,
			"code_challenge", pk.challenge,
			"code_challenge_method", "S256",
			"prompt", "login",
			"id_token_add_organizations", "true",
			"codex_cli_simplified_flow", "true",
			NULL,
		};
		url = oauth_url(x->a, auth_env_url(CODEX_AUTH_URL_ENV, CODEX_AUTH_URL), kv);
	}
	if (!url)
		return login_fail(x, "out of memory");
	if (login_browser(x, url, port, CODEX_PORT, CODEX_PATH, state, "ChatGPT (Codex)", &cb) < 0)
		return -1;
	return exchange_and_save(x, cb.code, pk.verifier, CODEX_REDIRECT);
}

/* A JSON POST of the device flow; the answer lands in the secrets arena. */
static int device_post(struct login_ctx *x, const char *url, const char *body,
		       struct oauth_http_resp *ret)
{
	struct oauth_http h;

	memset(&h, 0, sizeof(h));
	h.url = url;
	h.content_type = "application/json";
	h.body = body;
	h.body_len = strlen(body);
	h.proxy = x->proxy;
	return oauth_http_call(x->secrets, &h, ret);
}

static int64_t device_interval(const struct json *j)
{
	int i = json_get(j, 0, "interval");
	int64_t v = 0;
	uint64_t u;
	size_t n;
	const char *s;

	if (json_kind(j, i) == JSON_NUMBER && json_int(j, i, &v) == 0 && v > 0 && v <= 60)
		return v;
	if (json_kind(j, i) == JSON_STRING) {
		s = json_raw(j, i, &n);
		if (parse_u64(s, n, 60, &u) == 0 && u > 0)
			return (int64_t)u;
	}
	return CODEX_DEVICE_INTERVAL_S;
}

static int login_codex_device(struct login_ctx *x)
{
	struct oauth_http_resp r;
	struct buf body;
	struct jsonw w;
	const char *dev, *ucode, *verify, *code, *verifier;
	int64_t interval, end;
	int timeout_s = oauth_timeout_s(CODEX_DEVICE_TIMEOUT_S);

	buf_init(&body, x->a, 4096);
	jw_init(&w, &body);
	jw_obj(&w);
	jw_kstr(&w, "client_id", AUTH_CODEX_CLIENT_ID);
	jw_end(&w);
	if (device_post(x, auth_env_url(CODEX_DEVICE_CODE_URL_ENV, CODEX_DEVICE_CODE_URL), body.p,
			&r) < 0 || r.status < 200 || r.status > 299 || !r.json_ok)
		return login_fail(x, "the device code request failed: %s; nothing written",
				  oauth_http_error(x->a, &r));
	dev = json_gets(&r.j, 0, "device_auth_id", x->secrets);
	ucode = json_gets(&r.j, 0, "user_code", x->secrets);
	if (!ucode || !*ucode)
		ucode = json_gets(&r.j, 0, "usercode", x->secrets);
	if (!dev || !*dev || !ucode || !*ucode)
		return login_fail(x, "the device code answer lacks device_auth_id or user_code; "
				     "nothing written");
	interval = device_interval(&r.j);
	verify = auth_env_url(CODEX_DEVICE_VERIFY_URL_ENV, CODEX_DEVICE_VERIFY_URL);
	login_say(x, "To log in to ChatGPT (Codex), open\n\n%s\n\nand enter the code\n\n    %s\n",
		  verify, ucode);
	if (!x->o->no_browser && oauth_open_browser(verify) == 0)
		login_say(x, "(A browser was opened for you.)");
	login_say(x, "Waiting for the approval (at most %d s)...", timeout_s);

	buf_init(&body, x->secrets, 4096);
	jw_init(&w, &body);
	jw_obj(&w);
	jw_kstr(&w, "device_auth_id", dev);
	jw_kstr(&w, "user_code", ucode);
	jw_end(&w);
	end = (int64_t)time(NULL) + timeout_s;
	for (;;) {
		if ((int64_t)time(NULL) + interval > end)
			return login_fail(x, "the code was not approved within %d s; nothing written",
					  timeout_s);
		sleep((unsigned)interval);
		if (device_post(x, auth_env_url(CODEX_DEVICE_TOKEN_URL_ENV, CODEX_DEVICE_TOKEN_URL),
				body.p, &r) < 0)
			return login_fail(x, "polling the device authorization failed: %s; nothing "
					     "written", oauth_http_error(x->a, &r));
		if (r.status == 403 || r.status == 404)
			continue; /* not approved yet */
		if (r.status < 200 || r.status > 299 || !r.json_ok)
			return login_fail(x, "the device authorization failed: %s; nothing written",
					  oauth_http_error(x->a, &r));
		break;
	}
	code = json_gets(&r.j, 0, "authorization_code", x->secrets);
	verifier = json_gets(&r.j, 0, "code_verifier", x->secrets);
	if (!code || !*code || !verifier || !*verifier)
		return login_fail(x, "the device authorization answer lacks the code or verifier; "
				     "nothing written");
	return exchange_and_save(x, code, verifier, CODEX_DEVICE_REDIRECT);
}

int login_codex(struct login_ctx *x)
{
	return x->o->device ? login_codex_device(x) : login_codex_browser(x);
}
