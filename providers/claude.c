/*
 * claude.c - Anthropic Messages upstream for claude-api-key credentials
 * (SPEC §2.7/§2.8): POST <base>/v1/messages?beta=true (count_tokens:
 * /v1/messages/count_tokens?beta=true).  The key goes as x-api-key to
 * Anthropic's own host and as a Bearer token anywhere else.  Every version,
 * beta list and user agent lives in the tables below (config
 * claude-header-defaults replaces them); fix_body edits only what the API
 * would refuse (no max_tokens, thinking with forced tools, > 4 cache
 * breakpoints, body betas[]) and keeps every other byte.
 */
#include "providers/provider.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/http_req.h"
#include "core/json.h"
#include "providers/bodyedit.h"
#include "providers/prepare.h"
#include "providers/upstream.h"

#if defined(__aarch64__)
#define CLAUDE_ARCH "arm64"
#else
#define CLAUDE_ARCH "x64"
#endif

/* What we claim to be: every version, beta list and agent string is here
   (config claude-header-defaults replaces the agent and X-Stainless-*).
   The oauth-2025-04-20 beta of SPEC §2.7 belongs to OAuth tokens and is
   left out for API keys.  A client's newer anthropic-version is not
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

#define CLAUDE_NHEADERS (sizeof(claude_headers) / sizeof(claude_headers[0]))

/* claude_headers with the claude-header-defaults values that are set. */
static void claude_table(const struct provider_call *pc, struct hdr_row *tab)
{
	memcpy(tab, claude_headers, sizeof(claude_headers));
	if (!pc->cfg)
		return;
	for (size_t i = 0; i < CLAUDE_NHEADERS; i++) {
		const char *v = NULL;

		if (strcmp(tab[i].name, "X-Stainless-Timeout") == 0)
			v = pc->cfg->claude_header_defaults.timeout;
		else if (strcmp(tab[i].name, "X-Stainless-Runtime-Version") == 0)
			v = pc->cfg->claude_header_defaults.runtime_version;
		else if (strcmp(tab[i].name, "X-Stainless-Package-Version") == 0)
			v = pc->cfg->claude_header_defaults.package_version;
		else if (strcmp(tab[i].name, "X-Stainless-Os") == 0)
			v = pc->cfg->claude_header_defaults.os;
		else if (strcmp(tab[i].name, "X-Stainless-Arch") == 0)
			v = pc->cfg->claude_header_defaults.arch;
		if (v && *v)
			tab[i].value = v;
	}
}

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

/* The client's list when a Claude client sent one, else the defaults;
   interleaved thinking always; the body's betas[]; 1M context on
   X-CPA-CLAUDE-1M. */
static const char *claude_betas(const struct provider_call *pc, struct arena *a)
{
	const char *b = prepare_client_header(pc, IR_FAM_CLAUDE, "anthropic-beta");

	if (!b)
		b = CLAUDE_BETAS;
	b = prepare_list_add(a, b, CLAUDE_BETA_ALWAYS);
	/* The body's betas[] (taken out by fix_body) join the list. */
	for (const char *p = pc->body_betas; b && p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *tok = arena_strndup(a, p, len);

		b = tok ? prepare_list_add(a, b, tok) : NULL;
		p = end ? end + 1 : p + len;
	}
	if (pc->client_req && http_req_header(pc->client_req, "x-cpa-claude-1m"))
		b = prepare_list_add(a, b, CLAUDE_BETA_1M);
	return b;
}

/* ---- Body fixes ---------------------------------------------------------- */

#define CLAUDE_MAX_BREAKPOINTS 4   /* cache_control blocks the API accepts */
#define CLAUDE_FALLBACK_MAX_TOKENS 1024

/* max_tokens for a request without one: the model's output ceiling, by
   name prefix (first match); other claude-*-4* models 64000, else 1024. */
static const struct {
	const char *prefix;
	int max;
} claude_max_tokens[] = {
	{ "claude-opus-4-6", 128000 },
	{ "claude-opus-4-5", 64000 },
	{ "claude-opus-4-1", 32000 },
	{ "claude-opus-4-2", 32000 }, /* claude-opus-4-20250514 */
	{ "claude-3-7", 64000 },
	{ "claude-3-5", 8192 },
	{ "claude-3", 4096 },
};

static int default_max_tokens(const char *model)
{
	if (!model)
		return CLAUDE_FALLBACK_MAX_TOKENS;
	for (size_t i = 0; i < sizeof(claude_max_tokens) / sizeof(claude_max_tokens[0]); i++)
		if (strncmp(model, claude_max_tokens[i].prefix, strlen(claude_max_tokens[i].prefix)) == 0)
			return claude_max_tokens[i].max;
	if (strncmp(model, "claude-", 7) == 0 && strstr(model, "-4"))
		return 64000;
	return CLAUDE_FALLBACK_MAX_TOKENS;
}

/* Index of member key among obj's members, or -1. */
static int member_index(const struct json *j, int obj, const char *key)
{
	int k = 0;

	for (int i = json_first(j, obj); i >= 0; i = json_after(j, i), k++)
		if (json_streq(j, i, key))
			return k;
	return -1;
}

/* Drop the one member key of obj. */
static int drop_member(struct bedit *ed, const struct json *j, int obj, const char *key,
		       struct arena *a)
{
	int k = member_index(j, obj, key);
	bool *drop;

	if (k < 0)
		return 0;
	drop = arena_zalloc(a, (size_t)json_size(j, obj));
	if (!drop)
		return -ENOMEM;
	drop[k] = true;
	bedit_members(ed, obj, drop, NULL, 0);
	return 0;
}

/* Blocks of arr (objects) that carry cache_control, in order. */
static size_t breakpoints(const struct json *j, int arr, int *out)
{
	size_t n = 0;

	if (json_kind(j, arr) != JSON_ARRAY)
		return 0;
	for (int b = json_first(j, arr); b >= 0; b = json_after(j, b))
		if (json_kind(j, b) == JSON_OBJECT && json_get(j, b, "cache_control") >= 0)
			out[n++] = b;
	return n;
}

/* Keep at most CLAUDE_MAX_BREAKPOINTS cache_control blocks.  The API reads
   them in the order tools, system, messages; the last tool and the last
   system block cache the most, so the extras go first from the earlier
   system blocks, then the earlier tools, then messages (oldest first),
   and only then the last system block and the last tool. */
static int limit_breakpoints(struct bedit *ed, const struct json *j, struct arena *a)
{
	int sys = json_get(j, 0, "system"), tools = json_get(j, 0, "tools");
	int msgs = json_get(j, 0, "messages");
	size_t nsys, ntool, nmsg = 0, cap = 0, excess, total;
	int *vsys, *vtool, *vmsg;
	bool *gone;

	if (json_kind(j, msgs) == JSON_ARRAY)
		for (int m = json_first(j, msgs); m >= 0; m = json_after(j, m))
			cap += (size_t)json_size(j, json_get(j, m, "content"));
	vsys = arena_alloc(a, ((size_t)json_size(j, sys) + 1) * sizeof(int));
	vtool = arena_alloc(a, ((size_t)json_size(j, tools) + 1) * sizeof(int));
	vmsg = arena_alloc(a, (cap + 1) * sizeof(int));
	if (!vsys || !vtool || !vmsg)
		return -ENOMEM;
	nsys = breakpoints(j, sys, vsys);
	ntool = breakpoints(j, tools, vtool);
	if (json_kind(j, msgs) == JSON_ARRAY)
		for (int m = json_first(j, msgs); m >= 0; m = json_after(j, m))
			nmsg += breakpoints(j, json_get(j, m, "content"), vmsg + nmsg);
	total = nsys + ntool + nmsg;
	if (total <= CLAUDE_MAX_BREAKPOINTS)
		return 0;
	excess = total - CLAUDE_MAX_BREAKPOINTS;
	gone = arena_zalloc(a, total);
	if (!gone)
		return -ENOMEM;
	/* gone[] indexes: system, then tools, then messages. */
	for (size_t i = 0; excess && i + 1 < nsys; i++, excess--)
		gone[i] = true;
	for (size_t i = 0; excess && i + 1 < ntool; i++, excess--)
		gone[nsys + i] = true;
	for (size_t i = 0; excess && i < nmsg; i++, excess--)
		gone[nsys + ntool + i] = true;
	if (excess && nsys) {
		gone[nsys - 1] = true;
		excess--;
	}
	if (excess && ntool)
		gone[nsys + ntool - 1] = true;
	for (size_t i = 0; i < total; i++) {
		int b = i < nsys ? vsys[i] : i < nsys + ntool ? vtool[i - nsys] : vmsg[i - nsys - ntool];
		if (gone[i] && drop_member(ed, j, b, "cache_control", a) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The body's betas[] (strings) joined with ',', or NULL. */
static const char *body_betas(const struct json *j, int v, struct arena *a)
{
	struct buf b;

	if (json_kind(j, v) == JSON_STRING)
		return json_str(j, v, a, NULL);
	if (json_kind(j, v) != JSON_ARRAY)
		return NULL;
	buf_init(&b, a, 64 * 1024);
	for (int i = json_first(j, v); i >= 0; i = json_after(j, i)) {
		const char *t = json_str(j, i, a, NULL);
		if (!t || !*t)
			continue;
		if (b.len)
			buf_addc(&b, ',');
		buf_adds(&b, t);
	}
	return b.len && !b.err ? b.p : NULL;
}

static int claude_fix_body(struct provider_call *pc, const char *body, size_t n, struct buf *out,
			   struct arena *a, struct apierr *e)
{
	bool count = pc->action && strcmp(pc->action, "count_tokens") == 0;
	int tc_type, th_type, oc, k, key, r;
	bool forced, thinking, *drop;
	const char *add[1];
	size_t nadd = 0;
	struct json j;
	struct bedit ed;

	r = bedit_parse(&j, a, body, n, e);
	if (r < 0)
		return r;
	drop = arena_zalloc(a, (size_t)json_size(&j, 0) + 1);
	if (!drop)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	bedit_init(&ed, &j, a);
	tc_type = json_path(&j, 0, "tool_choice", "type", NULL);
	forced = json_streq(&j, tc_type, "any") || json_streq(&j, tc_type, "tool");
	th_type = json_path(&j, 0, "thinking", "type", NULL);
	thinking = json_streq(&j, th_type, "enabled") || json_streq(&j, th_type, "adaptive");
	oc = json_get(&j, 0, "output_config");
	for (k = 0, key = json_first(&j, 0); key >= 0; key = json_after(&j, key), k++) {
		int v = key + 1;
		double t;

		if (json_streq(&j, key, "betas")) {
			/* A header in the API, not a body field. */
			pc->body_betas = body_betas(&j, v, a);
			drop[k] = true;
		} else if (forced && json_streq(&j, key, "thinking")) {
			/* Thinking may not be enabled when tool use is forced. */
			drop[k] = true;
		} else if (forced && v == oc && json_get(&j, oc, "effort") >= 0) {
			if (json_size(&j, oc) == 1)
				drop[k] = true;
			else if (drop_member(&ed, &j, oc, "effort", a) < 0)
				return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
		} else if (!forced && thinking && json_streq(&j, key, "temperature") &&
			   !(json_double(&j, v, &t) == 0 && t == 1.0)) {
			/* Thinking takes temperature 1 only. */
			bedit_set(&ed, v, "1", 1);
		}
	}
	if (!count && json_get(&j, 0, "max_tokens") < 0) {
		add[nadd] = arena_printf(a, "\"max_tokens\":%d", default_max_tokens(pc->model));
		if (!add[nadd++])
			return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	}
	if (limit_breakpoints(&ed, &j, a) < 0)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	bedit_members(&ed, 0, drop, add, nadd);
	return bedit_finish(&ed, out, e);
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
	struct hdr_row tab[CLAUDE_NHEADERS];
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
	claude_table(pc, tab);
	r = prepare_table(pc, pass, tab, CLAUDE_NHEADERS, u, a);
	if (r == 0)
		r = upstream_header(u, a, "Anthropic-Beta", betas);
	if (!pass) {
		ua = pc->cfg ? pc->cfg->claude_header_defaults.user_agent : NULL;
		if (!ua || !*ua)
			ua = CLAUDE_USER_AGENT;
	}
	if (r == 0)
		r = upstream_header(u, a, "User-Agent", ua);
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
	.fix_body = claude_fix_body,
	.catalogue = claude_catalogue,
};
