/*
 * login_claude.c - Claude Code OAuth (SPEC §3.5): PKCE S256 authorize with
 * code=true, the callback on :54545/callback (or "code#state" pasted from
 * Anthropic's page), the JSON code exchange, the account e-mail from the
 * token answer, and claude-<email>.json as the original writes it.
 * Refuses an answer without account.email_address.
 */
#include "auth/login.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/oauth.h"
#include "auth/refresh.h"
#include "auth/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"

#define CLAUDE_AUTH_URL "https://claude.ai/oauth/authorize"
#define CLAUDE_AUTH_URL_ENV "CLIPROXY_CLAUDE_AUTH_URL"
#define CLAUDE_PORT 54545
#define CLAUDE_PATH "/callback"
#define CLAUDE_REDIRECT "http://localhost:54545/callback"
#define CLAUDE_SCOPE \
	"user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload"

int login_claude(struct login_ctx *x)
{
	struct oauth_pkce pk;
	struct oauth_cb cb;
	struct auth_token t;
	struct auth_name nm;
	struct json j;
	struct buf body, out;
	struct jsonw w;
	char state[OAUTH_RANDOM_LEN];
	const char *url, *email = NULL, *now_s, *exp_s;
	int port = x->o->callback_port ? x->o->callback_port : CLAUDE_PORT;
	time_t now;
	int r;

	if (oauth_pkce_new(&pk) < 0 || oauth_random_state(state) < 0)
		return login_fail(x, "no randomness available");
	{
		const char *kv[] = {
			"code", "true",
			"client_id", AUTH_CLAUDE_CLIENT_ID,
			"response_type", "code",
			"redirect_uri", CLAUDE_REDIRECT,
			"scope", CLAUDE_SCOPE,
			"code_challenge", pk.challenge,
			"code_challenge_method", "S256",
			"state", state,
			NULL,
		};
		url = oauth_url(x->a, auth_env_url(CLAUDE_AUTH_URL_ENV, CLAUDE_AUTH_URL), kv);
	}
	if (!url)
		return login_fail(x, "out of memory");
	if (login_browser(x, url, port, CLAUDE_PORT, CLAUDE_PATH, state, "Claude", &cb) < 0)
		return -1;

	buf_init(&body, x->secrets, 64 * 1024);
	jw_init(&w, &body);
	jw_obj(&w);
	jw_kstr(&w, "code", cb.code);
	jw_kstr(&w, "state", state);
	jw_kstr(&w, "grant_type", "authorization_code");
	jw_kstr(&w, "client_id", AUTH_CLAUDE_CLIENT_ID);
	jw_kstr(&w, "redirect_uri", CLAUDE_REDIRECT);
	jw_kstr(&w, "code_verifier", pk.verifier);
	jw_end(&w);
	if (jw_error(&w) < 0)
		return login_fail(x, "out of memory");
	r = auth_token_post(auth_token_url(AUTH_CLAUDE), x->proxy, AUTH_BODY_JSON, body.p, body.len,
			    x->a, x->secrets, &t);
	if (r < 0)
		return login_fail(x, "the code exchange failed: %s; nothing written",
				  oauth_token_error(x->a, &t));
	if (!t.refresh_token)
		return login_fail(x, "the token answer has no refresh token; nothing written");
	if (t.body && json_parse(&j, x->secrets, t.body, t.body_len) == 0)
		email = json_str(&j, json_path(&j, 0, "account", "email_address", NULL), x->a, NULL);
	if (!email || !*email)
		return login_fail(x, "the token answer names no account e-mail; nothing written");

	now = time(NULL);
	now_s = auth_time_format(x->a, (int64_t)now);
	exp_s = auth_time_format(x->a, (int64_t)now + (t.expires_in > 0 ? t.expires_in : 3600));
	/* The original's ClaudeTokenStorage, member for member ("id_token" is
	   always there, empty: Anthropic sends none). */
	buf_init(&out, x->secrets, AUTH_FILE_MAX);
	jw_init(&w, &out);
	jw_obj(&w);
	jw_kstr(&w, "id_token", t.id_token ? t.id_token : "");
	jw_kstr(&w, "access_token", t.access_token);
	jw_kstr(&w, "refresh_token", t.refresh_token);
	jw_kstr(&w, "last_refresh", now_s);
	jw_kstr(&w, "email", email);
	jw_kstr(&w, "type", "claude");
	jw_kstr(&w, "expired", exp_s);
	jw_end(&w);
	buf_addc(&out, '\n');
	if (jw_error(&w) < 0 || out.err < 0)
		return login_fail(x, "the credential does not fit in %d bytes; nothing written",
				  AUTH_FILE_MAX);
	memset(&nm, 0, sizeof(nm));
	nm.kind = AUTH_CLAUDE;
	nm.email = email;
	return login_save(x, auth_file_name(x->a, &nm), out.p, out.len, email);
}
