/*
 * codex_oauth.c - the ChatGPT backend for Codex OAuth accounts (SPEC §2.5):
 * the Codex key provider's URL, body rules and headers (through its ops,
 * always streamed) with the access token as Bearer, plus Originator (a
 * Codex client's own wins) and Chatgpt-Account-Id.  usage_limit_reached
 * cooldowns come from rr_hint_from_body like every 429 hint.
 */
#include "providers/provider.h"

#include <errno.h>
#include <string.h>

#include "auth/store.h"
#include "core/arena.h"
#include "providers/prepare.h"
#include "providers/upstream.h"

#define CODEX_ORIGINATOR "codex-tui"

static int codex_oauth_fix_body(struct provider_call *pc, const char *body, size_t n,
				struct buf *out, struct arena *a, struct apierr *e)
{
	return provider_codex.fix_body(pc, body, n, out, a, e);
}

static int codex_oauth_prepare(const struct provider_call *pc, struct upstream_req *u,
			       struct arena *a, struct apierr *e)
{
	const struct auth_file *f = pc->cred->auth;
	const char *orig, *acct = f ? f->account_id : NULL;
	struct provider_call kpc = *pc;
	struct credential kcr = *pc->cred;
	int r;

	/* The token auth_ensure_fresh() just read stands in for the key: URL
	   (our base), body headers, agent, session and the Bearer come out
	   as for a key. */
	if (f && f->access_token && *f->access_token)
		kcr.api_key = f->access_token;
	if (!kcr.api_key || !*kcr.api_key)
		return apierr_set(e, -EACCES, 503, "api_error", "the credential has no access token");
	kpc.cred = &kcr;
	r = provider_codex.prepare(&kpc, u, a, e);
	if (r < 0)
		return r;
	orig = prepare_client_header(pc, IR_FAM_RESPONSES, "originator");
	r = upstream_header(u, a, "Originator", orig ? orig : CODEX_ORIGINATOR);
	if (r == 0 && acct && *acct)
		r = upstream_header(u, a, "Chatgpt-Account-Id", acct);
	/* The credential's own headers still win. */
	if (r == 0)
		r = prepare_cred_headers(pc->cred, u, a);
	if (r < 0)
		return apierr_set(e, r, 500, "api_error", "cannot build the upstream request headers");
	return 0;
}

const struct provider provider_codex_oauth = {
	.name = "codex-oauth",
	.config_key = "codex",
	.family = IR_FAM_RESPONSES,
	.stream_only = true,
	.default_base_url = "https://chatgpt.com/backend-api/codex",
	.base_url_env = "CLIPROXY_CODEX_BASE_URL",
	.prepare = codex_oauth_prepare,
	.fix_body = codex_oauth_fix_body,
	/* The plus/pro list whatever the plan: the plan is only in the
	   id_token, which the registry does not read (secrets last); a free
	   or team account gets the upstream's own refusal for
	   gpt-5.3-codex-spark. */
	.catalogue = provider_codex_catalogue,
};
