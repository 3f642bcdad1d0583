/*
 * claude_oauth.c - Claude Code OAuth accounts (sk-ant-oat…, SPEC §2.7): the
 * Claude key provider's request (through its ops) with the token as Bearer,
 * never x-api-key, the oauth-2025-04-20 beta, the Claude Code identity as
 * first system block for other clients, and OpenCode-style tool names
 * (bash) sent as Claude Code's (Bash) and recorded for the way back.
 */
#include "providers/provider.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "auth/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "providers/bodyedit.h"
#include "providers/prepare.h"
#include "providers/upstream.h"
#include "translate/family.h"

#define CLAUDE_OAUTH_BETA "oauth-2025-04-20"
#define CLAUDE_IDENTITY "You are Claude Code, Anthropic's official CLI for Claude."

/* SPEC §5.4 (claude); the same list as the API-key provider's. */
static const char *const claude_oauth_catalogue[] = {
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

/* OpenCode-style names -> Claude Code's (SPEC §2.7), and back. */
static const struct {
	const char *from, *to;
} claude_tool_names[] = {
	{ "bash", "Bash" },	    { "read", "Read" },
	{ "write", "Write" },	    { "edit", "Edit" },
	{ "glob", "Glob" },	    { "grep", "Grep" },
	{ "task", "Task" },	    { "webfetch", "WebFetch" },
	{ "todowrite", "TodoWrite" }, { "question", "Question" },
	{ "skill", "Skill" },	    { "ls", "LS" },
	{ "todoread", "TodoRead" }, { "notebookedit", "NotebookEdit" },
};

#define NTOOLNAMES (sizeof(claude_tool_names) / sizeof(claude_tool_names[0]))

/* The Claude Code name for a tool name token, or NULL. */
static const char *cc_name(const struct json *j, int name)
{
	for (size_t i = 0; i < NTOOLNAMES; i++)
		if (json_streq(j, name, claude_tool_names[i].from))
			return claude_tool_names[i].to;
	return NULL;
}

/* Does tools[] already define a tool called `name`? */
static bool tool_defined(const struct json *j, int tools, const char *name)
{
	for (int t = json_first(j, tools); t >= 0; t = json_after(j, t))
		if (json_streq(j, json_get(j, t, "name"), name))
			return true;
	return false;
}

/* Per table row: rename this request's tool (defined and not clashing). */
struct renames {
	bool on[NTOOLNAMES];
	bool any;
};

static const char *renamed(const struct renames *rn, const struct json *j, int name)
{
	for (size_t i = 0; i < NTOOLNAMES; i++)
		if (rn->on[i] && json_streq(j, name, claude_tool_names[i].from))
			return claude_tool_names[i].to;
	return NULL;
}

static void set_name(struct bedit *ed, const struct json *j, int name, const struct renames *rn)
{
	const char *to = renamed(rn, j, name);
	const char *q = to ? arena_printf(ed->a, "\"%s\"", to) : NULL;

	if (q)
		bedit_set(ed, name, q, strlen(q));
	else if (to && !ed->err)
		ed->err = -ENOMEM;
}

/* Tool definitions, tool_choice and tool_use blocks of the history. */
static int rename_tools(struct provider_call *pc, struct bedit *ed, const struct json *j)
{
	int tools = json_get(j, 0, "tools"), msgs = json_get(j, 0, "messages");
	struct renames rn;

	memset(&rn, 0, sizeof(rn));
	if (json_kind(j, tools) != JSON_ARRAY)
		return 0;
	for (int t = json_first(j, tools); t >= 0; t = json_after(j, t)) {
		int name = json_get(j, t, "name");
		const char *to = cc_name(j, name);

		if (!to || tool_defined(j, tools, to))
			continue;
		for (size_t i = 0; i < NTOOLNAMES; i++)
			if (claude_tool_names[i].to == to)
				rn.on[i] = rn.any = true;
	}
	if (!rn.any)
		return 0;
	for (size_t i = 0; i < NTOOLNAMES; i++)
		if (rn.on[i] && pc->x &&
		    xlate_name_add(pc->x, claude_tool_names[i].from, claude_tool_names[i].to) < 0)
			return -ENOMEM;
	for (int t = json_first(j, tools); t >= 0; t = json_after(j, t))
		set_name(ed, j, json_get(j, t, "name"), &rn);
	set_name(ed, j, json_path(j, 0, "tool_choice", "name", NULL), &rn);
	for (int m = json_first(j, msgs); m >= 0; m = json_after(j, m)) {
		int content = json_get(j, m, "content");

		if (json_kind(j, content) != JSON_ARRAY)
			continue;
		for (int b = json_first(j, content); b >= 0; b = json_after(j, b))
			if (json_streq(j, json_get(j, b, "type"), "tool_use"))
				set_name(ed, j, json_get(j, b, "name"), &rn);
	}
	return 0;
}

/* The identity block first in system (SPEC §2.7, the rule of every
   version): a string system becomes [identity, {text: string}], an array
   gets identity in front unless it is there already. */
static int ensure_identity(struct bedit *ed, const struct json *j, const char **ret_add)
{
	static const char block[] = "{\"type\":\"text\",\"text\":\"" CLAUDE_IDENTITY "\"}";
	int sys = json_get(j, 0, "system");
	const char *t;
	size_t n;

	*ret_add = NULL;
	if (sys < 0) {
		*ret_add = "\"system\":[{\"type\":\"text\",\"text\":\"" CLAUDE_IDENTITY "\"}]";
		return 0;
	}
	if (json_kind(j, sys) == JSON_NULL) {
		t = arena_printf(ed->a, "[%s]", block);
	} else if (json_kind(j, sys) == JSON_STRING) {
		if (json_streq(j, sys, CLAUDE_IDENTITY))
			return 0;
		t = json_text(j, sys, &n);
		t = arena_printf(ed->a, "[%s,{\"type\":\"text\",\"text\":%.*s}]", block, (int)n, t);
	} else if (json_kind(j, sys) == JSON_ARRAY) {
		int first = json_first(j, sys);

		if (json_streq(j, json_get(j, first, "text"), CLAUDE_IDENTITY))
			return 0;
		t = json_text(j, sys, &n);
		t = first < 0 ? arena_printf(ed->a, "[%s]", block)
			      : arena_printf(ed->a, "[%s,%.*s", block, (int)n - 1, t + 1);
	} else {
		return 0; /* not ours to judge: the API answers 400 */
	}
	if (!t)
		return -ENOMEM;
	bedit_set(ed, sys, t, strlen(t));
	return 0;
}

/* Is the client Claude Code itself (its system prompt is left alone)? */
static bool client_is_claude_code(const struct provider_call *pc)
{
	const char *ua = prepare_client_header(pc, IR_FAM_CLAUDE, "user-agent");

	return ua && strncmp(ua, "claude-cli", 10) == 0;
}

static int claude_oauth_fix_body(struct provider_call *pc, const char *body, size_t n,
				 struct buf *out, struct arena *a, struct apierr *e)
{
	struct buf mid;
	struct bedit ed;
	struct json j;
	const char *add = NULL;
	int r;

	/* The API-key rules first (max_tokens, forced tools, breakpoints, betas). */
	buf_init(&mid, a, out->max);
	r = provider_claude.fix_body(pc, body, n, &mid, a, e);
	if (r < 0)
		return r;
	r = bedit_parse(&j, a, mid.p, mid.len, e);
	if (r < 0)
		return r;
	bedit_init(&ed, &j, a);
	if (!client_is_claude_code(pc) && ensure_identity(&ed, &j, &add) < 0)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	if (rename_tools(pc, &ed, &j) < 0)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	if (add)
		bedit_members(&ed, 0, NULL, &add, 1);
	return bedit_finish(&ed, out, e);
}

/* Take every header called name out of u (the key provider's x-api-key). */
static void drop_header(struct upstream_req *u, const char *name)
{
	size_t nl = strlen(name);
	int k = 0;

	for (int i = 0; i < u->nheaders; i++)
		if (!(strncasecmp(u->headers[i], name, nl) == 0 && u->headers[i][nl] == ':'))
			u->headers[k++] = u->headers[i];
	u->nheaders = k;
}

/* The value of header name in u, or NULL. */
static const char *header_value(const struct upstream_req *u, const char *name)
{
	size_t nl = strlen(name);

	for (int i = 0; i < u->nheaders; i++)
		if (strncasecmp(u->headers[i], name, nl) == 0 && u->headers[i][nl] == ':')
			return u->headers[i] + nl + 1 + (u->headers[i][nl + 1] == ' ');
	return NULL;
}

static int claude_oauth_prepare(const struct provider_call *pc, struct upstream_req *u,
				struct arena *a, struct apierr *e)
{
	const struct auth_file *f = pc->cred->auth;
	struct provider_call kpc = *pc;
	struct credential kcr = *pc->cred;
	const char *betas, *bearer;
	int r;

	/* The token auth_ensure_fresh() just read stands in for the key. */
	if (f && f->access_token && *f->access_token)
		kcr.api_key = f->access_token;
	if (!kcr.api_key || !*kcr.api_key)
		return apierr_set(e, -EACCES, 503, "api_error", "the credential has no access token");
	kpc.cred = &kcr;
	r = provider_claude.prepare(&kpc, u, a, e);
	if (r < 0)
		return r;
	/* An OAuth token is a Bearer, on Anthropic's host too. */
	drop_header(u, "x-api-key");
	drop_header(u, "Anthropic-Dangerous-Direct-Browser-Access");
	bearer = arena_printf(a, "Bearer %s", kcr.api_key);
	betas = header_value(u, "Anthropic-Beta");
	betas = prepare_list_add(a, betas ? betas : "", CLAUDE_OAUTH_BETA);
	if (!bearer || !betas)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	r = upstream_header(u, a, "Authorization", bearer);
	if (r == 0)
		r = upstream_header(u, a, "Anthropic-Beta", betas);
	if (r == 0)
		r = prepare_cred_headers(pc->cred, u, a);
	if (r < 0)
		return apierr_set(e, r, 500, "api_error", "cannot build the upstream request headers");
	return 0;
}

const struct provider provider_claude_oauth = {
	.name = "claude-oauth",
	.config_key = "claude",
	.family = IR_FAM_CLAUDE,
	.stream_only = false,
	.default_base_url = "https://api.anthropic.com",
	.base_url_env = "CLIPROXY_CLAUDE_BASE_URL",
	.prepare = claude_oauth_prepare,
	.fix_body = claude_oauth_fix_body,
	.catalogue = claude_oauth_catalogue,
};
