/*
 * codex.c - OpenAI Responses upstream for codex-api-key credentials
 * (SPEC §2.5/§2.6): POST <base-url>/responses, where the configured
 * base-url carries any "/v1" itself (config refuses entries without one).
 * The upstream only streams; non-stream clients are bridged by dispatch.
 * No Originator or account id for API keys; Codex CLI's own headers pass.
 */
#include "providers/provider.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/http_req.h"
#include "providers/prepare.h"
#include "providers/upstream.h"

/* Config codex-header-defaults.user-agent overrides this once prepare()
   can see the config. */
#define CODEX_USER_AGENT \
	"codex-tui/0.118.0 (Mac OS 26.3.1; arm64) iTerm.app/3.6.9 (codex-tui; 0.118.0)"

/* A Responses client's (Codex CLI's) own values win. */
static const struct hdr_row codex_headers[] = {
	{ "Content-Type", "application/json", false },
	{ "Accept", "text/event-stream", false },
	{ "Connection", "Keep-Alive", false },
	{ "Version", NULL, true },
	{ "X-Codex-Turn-Metadata", NULL, true },
	{ "X-Client-Request-Id", NULL, true },
	{ "X-Codex-Beta-Features", NULL, true },
};

/* The Pro plan list (SPEC §2.6: the default for API keys). */
static const char *const codex_catalogue[] = {
	"gpt-5",
	"gpt-5-codex",
	"gpt-5-codex-mini",
	"gpt-5.1",
	"gpt-5.1-codex",
	"gpt-5.1-codex-mini",
	"gpt-5.1-codex-max",
	"gpt-5.2",
	"gpt-5.2-codex",
	"gpt-5.3-codex",
	"gpt-5.4",
	"gpt-5.4-mini",
	"gpt-5.3-codex-spark",
	NULL,
};

static int codex_prepare(const struct provider_call *pc, struct upstream_req *u, struct arena *a,
			 struct apierr *e)
{
	const char *base = prepare_base(pc, a, e), *sid, *bearer, *ua;
	bool compact = pc->action && strcmp(pc->action, "compact") == 0;
	bool pass = pc->client_family == IR_FAM_RESPONSES;
	int r;

	if (!base)
		return -EINVAL;
	u->method = "POST";
	u->url = arena_printf(a, "%s/responses%s", base, compact ? "/compact" : "");
	bearer = arena_printf(a, "Bearer %s", pc->cred->api_key);
	if (!u->url || !bearer)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	r = prepare_table(pc, pass, codex_headers, sizeof(codex_headers) / sizeof(codex_headers[0]), u,
			  a);
	/* Codex CLI's own agent string (codex_exec/..., codex-tui/...), not
	   any Responses client's. */
	ua = prepare_client_header(pc, IR_FAM_RESPONSES, "user-agent");
	if (!ua || strncmp(ua, "codex", 5) != 0)
		ua = CODEX_USER_AGENT;
	if (r == 0)
		r = upstream_header(u, a, "User-Agent", ua);
	sid = prepare_client_header(pc, IR_FAM_RESPONSES, "session_id");
	if (!sid)
		sid = prepare_client_header(pc, IR_FAM_RESPONSES, "session-id");
	if (r == 0 && sid)
		r = upstream_header(u, a, "Session_id", sid);
	if (r == 0)
		r = upstream_header(u, a, "Authorization", bearer);
	if (r == 0)
		r = prepare_cred_headers(pc->cred, u, a);
	if (r < 0)
		return apierr_set(e, r, 500, "api_error", "cannot build the upstream request headers");
	return 0;
}

const struct provider provider_codex = {
	.name = "codex",
	.config_key = "codex-api-key",
	.family = IR_FAM_RESPONSES,
	.stream_only = true,
	.default_base_url = NULL,
	.base_url_env = NULL, /* base-url is mandatory in the config */
	.prepare = codex_prepare,
	.catalogue = codex_catalogue,
};
