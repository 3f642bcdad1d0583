/*
 * claude.c - Anthropic Messages upstream for claude-api-key credentials
 * (SPEC §2.7/§2.8): POST <base>/v1/messages?beta=true (count_tokens:
 * /v1/messages/count_tokens?beta=true).  The key goes as x-api-key to
 * Anthropic's own host and as a Bearer token anywhere else.  Every version,
 * beta list and user agent lives in the table below; the body is the hub's.
 */
#include "providers/provider.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/http_req.h"
#include "providers/prepare.h"
#include "providers/upstream.h"

#if defined(__aarch64__)
#define CLAUDE_ARCH "arm64"
#else
#define CLAUDE_ARCH "x64"
#endif

/* What we claim to be: every version, beta list and agent string is here
   (config claude-header-defaults overrides them once prepare() can see the
   config).  The oauth-2025-04-20 beta of SPEC §2.7 belongs to OAuth tokens
   and is left out for API keys.  A client's newer anthropic-version is not
   passed on: the hub's Claude codec speaks 2023-06-01. */
#define CLAUDE_OFFICIAL_BASE "https://api.anthropic.com"
#define CLAUDE_API_VERSION "2023-06-01"
#define CLAUDE_BETAS                                                          \
	"claude-code-20250219,interleaved-thinking-2025-05-14,"               \
	"context-management-2025-06-27,prompt-caching-scope-2026-01-05,"      \
	"structured-outputs-2025-12-15,fast-mode-2026-02-01,"                 \
	"redact-thinking-2026-02-12,token-efficient-tools-2026-03-28"
#define CLAUDE_BETA_ALWAYS "interleaved-thinking-2025-05-14"
#define CLAUDE_BETA_1M "context-1m-2025-08-07"
#define CLAUDE_USER_AGENT "claude-cli/2.1.63 (external, cli)"

/* Claude Code's own values win when it is the client (client_wins). */
static const struct hdr_row claude_headers[] = {
	{ "Content-Type", "application/json", false },
	{ "Anthropic-Version", CLAUDE_API_VERSION, false },
	{ "X-App", "cli", true },
	{ "X-Stainless-Retry-Count", "0", true },
	{ "X-Stainless-Runtime", "node", true },
	{ "X-Stainless-Lang", "js", true },
	{ "X-Stainless-Timeout", "600", true },
	{ "X-Stainless-Runtime-Version", "v24.3.0", true },
	{ "X-Stainless-Package-Version", "0.74.0", true },
	{ "X-Stainless-Os", "Linux", true },
	{ "X-Stainless-Arch", CLAUDE_ARCH, true },
	{ "X-Claude-Code-Session-Id", NULL, true },
};

static const char *const claude_catalogue[] = {
	"claude-haiku-4-5-20251001",
	"claude-sonnet-4-5-20250929",
	"claude-sonnet-4-6",
	"claude-opus-4-6",
	"claude-opus-4-5-20251101",
	"claude-opus-4-1-20250805",
	"claude-opus-4-20250514",
	"claude-sonnet-4-20250514",
	"claude-3-7-sonnet-20250219",
	"claude-3-5-haiku-20241022",
	NULL,
};

/* Is tok one of the comma-separated items of list (spaces ignored)? */
static bool has_token(const char *list, const char *tok)
{
	size_t tl = strlen(tok);
	const char *p = list;

	while (*p) {
		const char *s, *end;

		while (*p == ' ' || *p == ',')
			p++;
		s = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > s && end[-1] == ' ')
			end--;
		if ((size_t)(end - s) == tl && strncasecmp(s, tok, tl) == 0)
			return true;
	}
	return false;
}

static const char *add_token(struct arena *a, const char *list, const char *tok)
{
	if (!list || has_token(list, tok))
		return list;
	return *list ? arena_printf(a, "%s,%s", list, tok) : arena_strdup(a, tok);
}

/* The client's list when a Claude client sent one, else the defaults;
   interleaved thinking always; 1M context on X-CPA-CLAUDE-1M. */
static const char *claude_betas(const struct provider_call *pc, struct arena *a)
{
	const char *b = prepare_client_header(pc, IR_FAM_CLAUDE, "anthropic-beta");

	if (!b)
		b = CLAUDE_BETAS;
	b = add_token(a, b, CLAUDE_BETA_ALWAYS);
	if (pc->client_req && http_req_header(pc->client_req, "x-cpa-claude-1m"))
		b = add_token(a, b, CLAUDE_BETA_1M);
	return b;
}

static bool is_official(const char *base)
{
	size_t n = sizeof(CLAUDE_OFFICIAL_BASE) - 1;

	return strncasecmp(base, CLAUDE_OFFICIAL_BASE, n) == 0 &&
	       (base[n] == '\0' || base[n] == '/');
}

static int claude_prepare(const struct provider_call *pc, struct upstream_req *u, struct arena *a,
			  struct apierr *e)
{
	const char *base = prepare_base(pc, a, e), *ua, *betas;
	bool count = pc->action && strcmp(pc->action, "count_tokens") == 0;
	bool stream = pc->stream && !count;
	bool pass;
	int r;

	if (!base)
		return -EINVAL;
	u->method = "POST";
	u->url = arena_printf(a, "%s/v1/messages%s?beta=true", base, count ? "/count_tokens" : "");
	ua = prepare_client_header(pc, IR_FAM_CLAUDE, "user-agent");
	pass = ua && strncmp(ua, "claude-cli", 10) == 0;
	betas = claude_betas(pc, a);
	if (!u->url || !betas)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	r = prepare_table(pc, pass, claude_headers, sizeof(claude_headers) / sizeof(claude_headers[0]),
			  u, a);
	if (r == 0)
		r = upstream_header(u, a, "Anthropic-Beta", betas);
	if (r == 0)
		r = upstream_header(u, a, "User-Agent", pass ? ua : CLAUDE_USER_AGENT);
	if (r == 0)
		r = upstream_header(u, a, "Accept", stream ? "text/event-stream" : "application/json");
	if (r == 0 && is_official(base)) {
		r = upstream_header(u, a, "x-api-key", pc->cred->api_key);
		if (r == 0)
			r = upstream_header(u, a, "Anthropic-Dangerous-Direct-Browser-Access", "true");
	} else if (r == 0) {
		const char *bearer = arena_printf(a, "Bearer %s", pc->cred->api_key);
		r = bearer ? upstream_header(u, a, "Authorization", bearer) : -ENOMEM;
	}
	if (r == 0)
		r = prepare_cred_headers(pc->cred, u, a);
	if (r < 0)
		return apierr_set(e, r, 500, "api_error", "cannot build the upstream request headers");
	return 0;
}

const struct provider provider_claude = {
	.name = "claude",
	.config_key = "claude-api-key",
	.family = IR_FAM_CLAUDE,
	.stream_only = false,
	.default_base_url = CLAUDE_OFFICIAL_BASE,
	.base_url_env = "CLIPROXY_CLAUDE_API_BASE_URL",
	.prepare = claude_prepare,
	.catalogue = claude_catalogue,
};
