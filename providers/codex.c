/*
 * codex.c - OpenAI Responses upstream for codex-api-key credentials
 * (SPEC §2.5/§2.6): POST <base-url>/responses, where the configured
 * base-url carries any "/v1" itself (config refuses entries without one).
 * The upstream only streams; non-stream clients are bridged by dispatch.
 * fix_body edits only the root members the backend cares about (stream,
 * store, instructions, include, refused fields, system roles, web search
 * tool types); every other byte of the body goes as it came.
 */
/* The low-level SHA-1 (deprecated in OpenSSL 3, but free of the provider
   start-up SHA1() costs a fresh process; see core/digest.h). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "providers/provider.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/sha.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/http_req.h"
#include "core/json.h"
#include "providers/bodyedit.h"
#include "providers/prepare.h"
#include "providers/upstream.h"

/* Config codex-header-defaults.user-agent replaces this. */
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
const char *const provider_codex_catalogue[] = {
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

/* Root fields the Codex backend refuses (SPEC §2.5); service_tier too,
   unless "priority". */
static const char *const codex_refused[] = {
	"previous_response_id", "prompt_cache_retention", "safety_identifier", "stream_options",
	"max_output_tokens",    "max_completion_tokens",  "temperature",       "top_p",
	"truncation",           "user",                   "context_management",
};

#define CODEX_INCLUDE "reasoning.encrypted_content"
#define CODEX_CACHE_PREFIX "cli-proxy-api:codex:prompt-cache:"

static bool refused(const struct json *j, int key)
{
	for (size_t i = 0; i < sizeof(codex_refused) / sizeof(codex_refused[0]); i++)
		if (json_streq(j, key, codex_refused[i]))
			return true;
	return false;
}

static const char *uuid_format(struct arena *a, const unsigned char *u)
{
	return arena_printf(a, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
			    u[12], u[13], u[14], u[15]);
}

/* RFC 4122 version 5 (SHA-1) UUID of name in the OID namespace, as Go's
   uuid.NewSHA1(uuid.NameSpaceOID, name). */
static const char *uuid_v5_oid(struct arena *a, const char *name)
{
	static const unsigned char ns_oid[16] = { 0x6b, 0xa7, 0xb8, 0x12, 0x9d, 0xad, 0x11, 0xd1,
						  0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
	unsigned char md[SHA_DIGEST_LENGTH];
	SHA_CTX c;

	SHA1_Init(&c);
	SHA1_Update(&c, ns_oid, sizeof(ns_oid));
	SHA1_Update(&c, name, strlen(name));
	SHA1_Final(md, &c);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	return uuid_format(a, md);
}

/* A random (version 4) UUID, NULL if the kernel has no randomness. */
static const char *uuid_v4(struct arena *a)
{
	unsigned char u[16];

	if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
		return NULL;
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	return uuid_format(a, u);
}

/* include[] with reasoning.encrypted_content added (v: the array). */
static const char *include_with(const struct json *j, int v, struct arena *a)
{
	size_t len;
	const char *t;

	for (int i = json_first(j, v); i >= 0; i = json_after(j, i))
		if (json_streq(j, i, CODEX_INCLUDE))
			return NULL; /* already there */
	if (json_kind(j, v) != JSON_ARRAY || json_size(j, v) == 0)
		return "[\"" CODEX_INCLUDE "\"]";
	t = json_text(j, v, &len);
	len--; /* drop the ']' */
	return arena_printf(a, "%.*s,\"" CODEX_INCLUDE "\"]", (int)len, t);
}

/* input[] items with role "system" become "developer"; builtin tools
   web_search_preview* become web_search. */
static void fix_items(struct bedit *ed, const struct json *j, int input, int tools)
{
	if (json_kind(j, input) == JSON_ARRAY)
		for (int it = json_first(j, input); it >= 0; it = json_after(j, it)) {
			int role = json_get(j, it, "role");
			if (json_streq(j, role, "system"))
				bedit_set(ed, role, "\"developer\"", 11);
		}
	if (json_kind(j, tools) == JSON_ARRAY)
		for (int t = json_first(j, tools); t >= 0; t = json_after(j, t)) {
			int ty = json_get(j, t, "type");
			size_t n;
			const char *s = json_kind(j, ty) == JSON_STRING ? json_raw(j, ty, &n) : NULL;
			if (s && n >= 18 && memcmp(s, "web_search_preview", 18) == 0)
				bedit_set(ed, ty, "\"web_search\"", 12);
		}
}

static int codex_fix_body(struct provider_call *pc, const char *body, size_t n, struct buf *out,
			  struct arena *a, struct apierr *e)
{
	bool compact = pc->action && strcmp(pc->action, "compact") == 0;
	bool has_stream = false, has_store = false, has_instr = false, has_include = false;
	const char *add[5];
	size_t nadd = 0;
	struct json j;
	struct bedit ed;
	bool *drop;
	int k, key, r;

	r = bedit_parse(&j, a, body, n, e);
	if (r < 0)
		return r;
	drop = arena_zalloc(a, (size_t)json_size(&j, 0) + 1);
	if (!drop)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	bedit_init(&ed, &j, a);
	for (k = 0, key = json_first(&j, 0); key >= 0; key = json_after(&j, key), k++) {
		int v = key + 1;

		if (json_streq(&j, key, "stream")) {
			has_stream = true;
			if (compact)
				drop[k] = true; /* /responses/compact does not stream */
			else if (json_kind(&j, v) != JSON_TRUE)
				bedit_set(&ed, v, "true", 4);
		} else if (json_streq(&j, key, "instructions")) {
			has_instr = true;
			if (json_kind(&j, v) == JSON_NULL)
				bedit_set(&ed, v, "\"\"", 2);
		} else if (compact) {
			continue; /* the rest is for /responses only */
		} else if (json_streq(&j, key, "store")) {
			has_store = true;
			if (json_kind(&j, v) != JSON_FALSE)
				bedit_set(&ed, v, "false", 5);
		} else if (json_streq(&j, key, "include")) {
			const char *t = include_with(&j, v, a);
			has_include = true;
			if (t)
				bedit_set(&ed, v, t, strlen(t));
		} else if (json_streq(&j, key, "service_tier")) {
			drop[k] = !json_streq(&j, v, "priority");
		} else if (json_streq(&j, key, "prompt_cache_key")) {
			char *s = json_str(&j, v, a, NULL);
			if (s && *s)
				pc->prompt_cache_key = s;
		} else if (refused(&j, key)) {
			drop[k] = true;
		}
	}
	if (!compact)
		fix_items(&ed, &j, json_get(&j, 0, "input"), json_get(&j, 0, "tools"));
	if (!has_stream && !compact)
		add[nadd++] = "\"stream\":true";
	if (!has_store && !compact)
		add[nadd++] = "\"store\":false";
	if (!has_instr)
		add[nadd++] = "\"instructions\":\"\"";
	if (!has_include && !compact)
		add[nadd++] = "\"include\":[\"" CODEX_INCLUDE "\"]";
	/* An OpenAI-chat client has no cache key of its own: one per client
	   key, as the original derives it. */
	if (!pc->prompt_cache_key && !compact && pc->client_family == IR_FAM_OPENAI &&
	    pc->client_key_id && *pc->client_key_id) {
		const char *name = arena_printf(a, CODEX_CACHE_PREFIX "%s", pc->client_key_id);
		const char *id = name ? uuid_v5_oid(a, name) : NULL;
		const char *m = id ? arena_printf(a, "\"prompt_cache_key\":\"%s\"", id) : NULL;
		if (!m)
			return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
		pc->prompt_cache_key = id;
		add[nadd++] = m;
	}
	bedit_members(&ed, 0, drop, add, nadd);
	return bedit_finish(&ed, out, e);
}

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
	   any Responses client's; else codex-header-defaults.user-agent. */
	ua = prepare_client_header(pc, IR_FAM_RESPONSES, "user-agent");
	if (!ua || strncmp(ua, "codex", 5) != 0) {
		ua = pc->cfg ? pc->cfg->codex_header_defaults.user_agent : NULL;
		if (!ua || !*ua)
			ua = CODEX_USER_AGENT;
	}
	if (r == 0)
		r = upstream_header(u, a, "User-Agent", ua);
	/* The client's session, else the prompt cache key, else (as Codex CLI
	   on a Mac does) a fresh one. */
	sid = prepare_client_header(pc, IR_FAM_RESPONSES, "session_id");
	if (!sid)
		sid = prepare_client_header(pc, IR_FAM_RESPONSES, "session-id");
	if (!sid)
		sid = pc->prompt_cache_key;
	if (!sid && strstr(ua, "Mac OS"))
		sid = uuid_v4(a);
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
	.fix_body = codex_fix_body,
	.catalogue = provider_codex_catalogue,
};
