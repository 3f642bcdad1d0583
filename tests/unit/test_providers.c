/*
 * test_providers.c - the providers' body rules and header defaults:
 * providers/bodyedit.c (byte-preserving member drops, inserts, value
 * swaps), codex fix_body (SPEC §2.5: stream/store/instructions/include,
 * refused fields, developer roles, web_search, prompt cache key), claude
 * fix_body (SPEC §2.7: max_tokens, forced tools vs thinking, temperature,
 * betas[], four cache breakpoints) and claude-/codex-header-defaults.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "providers/bodyedit.h"
#include "providers/provider.h"
#include "providers/upstream.h"
#include "tests/unit/check.h"

static struct arena A;

static struct credential cred_codex = { .id = "codex-test", .label = "codex", .api_key = "sk-x",
					.base_url = "http://mock.invalid/v1" };
static struct credential cred_claude = { .id = "claude-test", .label = "claude",
					 .api_key = "sk-ant-x",
					 .base_url = "https://api.anthropic.com" };

static void pc_init(struct provider_call *pc, const struct credential *cr, const char *model,
		    enum ir_family from)
{
	memset(pc, 0, sizeof(*pc));
	pc->cred = cr;
	pc->model = model;
	pc->stream = true;
	pc->client_family = from;
}

/* Run fix_body on in; the output (NUL-terminated) or NULL with *ret_err. */
static const char *fix(const struct provider *p, struct provider_call *pc, const char *in,
		       int *ret_err)
{
	struct buf out;
	struct apierr e = { 0 };
	int r;

	buf_init(&out, &A, 1 << 20);
	r = p->fix_body(pc, in, strlen(in), &out, &A, &e);
	if (ret_err)
		*ret_err = r < 0 ? e.status : 0;
	return r < 0 ? NULL : out.p;
}

static const char *header(const struct upstream_req *u, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < u->nheaders; i++)
		if (strncasecmp(u->headers[i], name, n) == 0 && u->headers[i][n] == ':')
			return u->headers[i] + n + 2;
	return NULL;
}

/* ---- bodyedit ------------------------------------------------------------ */

static const char *edit_drop(const char *in, const bool *drop, const char *const *add,
			     size_t nadd)
{
	struct json j;
	struct bedit ed;
	struct buf out;

	if (json_parse(&j, &A, in, strlen(in)) < 0)
		return NULL;
	bedit_init(&ed, &j, &A);
	bedit_members(&ed, 0, drop, add, nadd);
	buf_init(&out, &A, 1 << 20);
	return bedit_write(&ed, &out) < 0 ? NULL : out.p;
}

static void test_bedit_members(void)
{
	static const bool first[] = { true, false, false }, mid[] = { false, true, false },
			  last[] = { false, false, true }, two_last[] = { false, true, true },
			  all[] = { true, true, true }, ends[] = { true, false, true };
	static const char *const add[] = { "\"x\":1", "\"y\":[2]" };
	const char *in = "{ \"a\": 1,\n  \"b\": {\"c\":2} , \"d\" :\"e\" }";

	CHECK_STR(edit_drop(in, first, NULL, 0), "{ \"b\": {\"c\":2} , \"d\" :\"e\" }");
	CHECK_STR(edit_drop(in, mid, NULL, 0), "{ \"a\": 1,\n  \"d\" :\"e\" }");
	CHECK_STR(edit_drop(in, last, NULL, 0), "{ \"a\": 1,\n  \"b\": {\"c\":2} }");
	CHECK_STR(edit_drop(in, two_last, NULL, 0), "{ \"a\": 1 }");
	CHECK_STR(edit_drop(in, all, NULL, 0), "{  }");
	CHECK_STR(edit_drop(in, ends, NULL, 0), "{ \"b\": {\"c\":2} }");
	CHECK_STR(edit_drop(in, NULL, add, 2), "{ \"a\": 1,\n  \"b\": {\"c\":2} , \"d\" :\"e\",\"x\":1,\"y\":[2] }");
	CHECK_STR(edit_drop(in, two_last, add, 1), "{ \"a\": 1,\"x\":1 }");
	CHECK_STR(edit_drop(in, all, add, 2), "{\"x\":1,\"y\":[2]  }");
	CHECK_STR(edit_drop("{}", NULL, add, 1), "{\"x\":1}");
	CHECK_STR(edit_drop("{\"a\":1}", NULL, NULL, 0), "{\"a\":1}");
}

static void test_bedit_overlap(void)
{
	static const bool drop[] = { true };
	const char *in = "{\"a\":{\"b\":1}}";
	struct json j;
	struct bedit ed;
	struct buf out;

	CHECK_INT(json_parse(&j, &A, in, strlen(in)), 0);
	bedit_init(&ed, &j, &A);
	bedit_set(&ed, json_path(&j, 0, "a", "b", NULL), "2", 1);
	bedit_members(&ed, 0, drop, NULL, 0);
	buf_init(&out, &A, 1 << 20);
	CHECK_INT(bedit_write(&ed, &out), -EINVAL);
}

/* ---- codex ----------------------------------------------------------------- */

static void test_codex_encoded(void)
{
	struct provider_call pc;

	/* What the hub encodes for a chat client: sampling and user go. */
	pc_init(&pc, &cred_codex, "gpt-5", IR_FAM_OPENAI);
	CHECK_STR(fix(&provider_codex, &pc,
		      "{\"model\":\"gpt-5\",\"instructions\":\"\",\"input\":[],\"store\":false,"
		      "\"stream\":true,\"include\":[\"reasoning.encrypted_content\"],"
		      "\"max_output_tokens\":100,\"temperature\":0.5,\"top_p\":1,\"user\":\"u\"}",
		      NULL),
		  "{\"model\":\"gpt-5\",\"instructions\":\"\",\"input\":[],\"store\":false,"
		  "\"stream\":true,\"include\":[\"reasoning.encrypted_content\"]}");
	CHECK(pc.prompt_cache_key == NULL);
}

static void test_codex_passthrough(void)
{
	struct provider_call pc;
	const char *in =
		"{\n"
		"  \"model\": \"gpt-5\",\n"
		"  \"input\": [{\"role\": \"system\", \"content\": \"be brief\"},\n"
		"            {\"role\": \"user\", \"content\": \"hi\"}],\n"
		"  \"tools\": [{\"type\": \"web_search_preview_2025_03_11\"}, {\"type\": \"function\", \"name\": \"f\"}],\n"
		"  \"stream\": false,\n"
		"  \"store\": true,\n"
		"  \"include\": [\"file_search_call.results\"],\n"
		"  \"service_tier\": \"flex\",\n"
		"  \"previous_response_id\": \"resp_1\",\n"
		"  \"prompt_cache_key\": \"pk-1\",\n"
		"  \"metadata\": {\"k\": \"v\"}\n"
		"}";
	const char *want =
		"{\n"
		"  \"model\": \"gpt-5\",\n"
		"  \"input\": [{\"role\": \"developer\", \"content\": \"be brief\"},\n"
		"            {\"role\": \"user\", \"content\": \"hi\"}],\n"
		"  \"tools\": [{\"type\": \"web_search\"}, {\"type\": \"function\", \"name\": \"f\"}],\n"
		"  \"stream\": true,\n"
		"  \"store\": false,\n"
		"  \"include\": [\"file_search_call.results\",\"reasoning.encrypted_content\"],\n"
		"  \"prompt_cache_key\": \"pk-1\",\n"
		"  \"metadata\": {\"k\": \"v\"},\"instructions\":\"\"\n"
		"}";

	pc_init(&pc, &cred_codex, "gpt-5", IR_FAM_RESPONSES);
	CHECK_STR(fix(&provider_codex, &pc, in, NULL), want);
	CHECK_STR(pc.prompt_cache_key, "pk-1");
}

static void test_codex_small(void)
{
	struct provider_call pc;
	int err;

	pc_init(&pc, &cred_codex, "gpt-5", IR_FAM_RESPONSES);
	CHECK_STR(fix(&provider_codex, &pc, "{}", NULL),
		  "{\"stream\":true,\"store\":false,\"instructions\":\"\","
		  "\"include\":[\"reasoning.encrypted_content\"]}");
	CHECK_STR(fix(&provider_codex, &pc,
		      "{\"instructions\":null,\"service_tier\":\"priority\",\"stream\":true,"
		      "\"store\":false,\"include\":[]}",
		      NULL),
		  "{\"instructions\":\"\",\"service_tier\":\"priority\",\"stream\":true,"
		  "\"store\":false,\"include\":[\"reasoning.encrypted_content\"]}");
	/* Compact: no stream, instructions still required, nothing else. */
	pc.action = "compact";
	CHECK_STR(fix(&provider_codex, &pc, "{\"model\":\"m\",\"stream\":true,\"temperature\":1}", NULL),
		  "{\"model\":\"m\",\"temperature\":1,\"instructions\":\"\"}");
	pc.action = NULL;
	CHECK(fix(&provider_codex, &pc, "[1]", &err) == NULL);
	CHECK_INT(err, 400);
	CHECK(fix(&provider_codex, &pc, "{\"a\":", &err) == NULL);
	CHECK_INT(err, 400);
}

static void test_codex_cache_key(void)
{
	struct provider_call pc;

	/* uuid.uuid5(uuid.NAMESPACE_OID, "cli-proxy-api:codex:prompt-cache:abc") */
	pc_init(&pc, &cred_codex, "gpt-5", IR_FAM_OPENAI);
	pc.client_key_id = "abc";
	CHECK_STR(fix(&provider_codex, &pc,
		      "{\"model\":\"gpt-5\",\"stream\":true,\"store\":false,\"instructions\":\"\","
		      "\"include\":[\"reasoning.encrypted_content\"]}",
		      NULL),
		  "{\"model\":\"gpt-5\",\"stream\":true,\"store\":false,\"instructions\":\"\","
		  "\"include\":[\"reasoning.encrypted_content\"],"
		  "\"prompt_cache_key\":\"c7eea573-2718-520c-bef3-cad1c7509cc6\"}");
	CHECK_STR(pc.prompt_cache_key, "c7eea573-2718-520c-bef3-cad1c7509cc6");
	/* Only for chat clients. */
	pc_init(&pc, &cred_codex, "gpt-5", IR_FAM_CLAUDE);
	pc.client_key_id = "abc";
	fix(&provider_codex, &pc, "{}", NULL);
	CHECK(pc.prompt_cache_key == NULL);
}

static void test_codex_headers(void)
{
	struct provider_call pc;
	struct upstream_req u;
	struct apierr e = { 0 };
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.codex_header_defaults.user_agent = "my-codex/1.0";
	pc_init(&pc, &cred_codex, "gpt-5", IR_FAM_OPENAI);
	pc.cfg = &cfg;
	pc.prompt_cache_key = "pk-9";
	memset(&u, 0, sizeof(u));
	CHECK_INT(provider_codex.prepare(&pc, &u, &A, &e), 0);
	CHECK_STR(header(&u, "User-Agent"), "my-codex/1.0");
	CHECK_STR(header(&u, "Session_id"), "pk-9");
	CHECK_STR(u.url, "http://mock.invalid/v1/responses");
	/* No config, no cache key: the built-in agent (a Mac's) and a fresh
	   session id. */
	pc.cfg = NULL;
	pc.prompt_cache_key = NULL;
	memset(&u, 0, sizeof(u));
	CHECK_INT(provider_codex.prepare(&pc, &u, &A, &e), 0);
	CHECK(header(&u, "User-Agent") && strstr(header(&u, "User-Agent"), "Mac OS"));
	CHECK(header(&u, "Session_id") && strlen(header(&u, "Session_id")) == 36);
}

/* ---- claude ---------------------------------------------------------------- */

static void test_claude_max_tokens(void)
{
	struct provider_call pc;

	pc_init(&pc, &cred_claude, "claude-sonnet-4-5-20250929", IR_FAM_CLAUDE);
	CHECK_STR(fix(&provider_claude, &pc, "{\"model\":\"x\",\"messages\":[]}", NULL),
		  "{\"model\":\"x\",\"messages\":[],\"max_tokens\":64000}");
	pc.model = "claude-3-5-haiku-20241022";
	CHECK_STR(fix(&provider_claude, &pc, "{\"messages\":[]}", NULL),
		  "{\"messages\":[],\"max_tokens\":8192}");
	pc.model = "claude-opus-4-1-20250805";
	CHECK_STR(fix(&provider_claude, &pc, "{}", NULL), "{\"max_tokens\":32000}");
	pc.model = "glm-4.6";
	CHECK_STR(fix(&provider_claude, &pc, "{}", NULL), "{\"max_tokens\":1024}");
	/* count_tokens takes no max_tokens. */
	pc.action = "count_tokens";
	CHECK_STR(fix(&provider_claude, &pc, "{}", NULL), "{}");
}

static void test_claude_passthrough_untouched(void)
{
	struct provider_call pc;
	const char *in = "{\"model\": \"claude-opus-4-6\", \"max_tokens\": 32000,\n"
			 " \"thinking\": {\"type\": \"adaptive\"}, \"temperature\": 1,\n"
			 " \"system\": [{\"type\": \"text\", \"text\": \"s\", \"cache_control\": {\"type\": \"ephemeral\"}}],\n"
			 " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";

	pc_init(&pc, &cred_claude, "claude-opus-4-6", IR_FAM_CLAUDE);
	CHECK_STR(fix(&provider_claude, &pc, in, NULL), in);
	CHECK(pc.body_betas == NULL);
}

static void test_claude_forced_tools(void)
{
	struct provider_call pc;

	pc_init(&pc, &cred_claude, "claude-sonnet-4-6", IR_FAM_OPENAI);
	CHECK_STR(fix(&provider_claude, &pc,
		      "{\"max_tokens\":10,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":5},"
		      "\"output_config\":{\"effort\":\"high\"},\"temperature\":0.3,"
		      "\"tool_choice\":{\"type\":\"any\"}}",
		      NULL),
		  "{\"max_tokens\":10,\"temperature\":0.3,\"tool_choice\":{\"type\":\"any\"}}");
	CHECK_STR(fix(&provider_claude, &pc,
		      "{\"max_tokens\":10,\"output_config\":{\"effort\":\"low\",\"format\":{}},"
		      "\"thinking\":{\"type\":\"adaptive\"},\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"}}",
		      NULL),
		  "{\"max_tokens\":10,\"output_config\":{\"format\":{}},"
		  "\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"}}");
	/* auto keeps thinking; temperature goes to 1. */
	CHECK_STR(fix(&provider_claude, &pc,
		      "{\"max_tokens\":10,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":5},"
		      "\"temperature\":0.3,\"tool_choice\":{\"type\":\"auto\"}}",
		      NULL),
		  "{\"max_tokens\":10,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":5},"
		  "\"temperature\":1,\"tool_choice\":{\"type\":\"auto\"}}");
	CHECK_STR(fix(&provider_claude, &pc,
		      "{\"max_tokens\":10,\"thinking\":{\"type\":\"disabled\"},\"temperature\":0.3}", NULL),
		  "{\"max_tokens\":10,\"thinking\":{\"type\":\"disabled\"},\"temperature\":0.3}");
}

static void test_claude_betas(void)
{
	struct provider_call pc;
	struct upstream_req u;
	struct apierr e = { 0 };
	const char *b;

	pc_init(&pc, &cred_claude, "claude-sonnet-4-6", IR_FAM_CLAUDE);
	CHECK_STR(fix(&provider_claude, &pc,
		      "{\"betas\":[\"context-1m-2025-08-07\",\"files-api-2025-04-14\"],\"max_tokens\":1}",
		      NULL),
		  "{\"max_tokens\":1}");
	CHECK_STR(pc.body_betas, "context-1m-2025-08-07,files-api-2025-04-14");
	memset(&u, 0, sizeof(u));
	CHECK_INT(provider_claude.prepare(&pc, &u, &A, &e), 0);
	b = header(&u, "Anthropic-Beta");
	CHECK(b && strstr(b, "interleaved-thinking-2025-05-14"));
	CHECK(b && strstr(b, ",context-1m-2025-08-07,files-api-2025-04-14"));
}

static void test_claude_breakpoints(void)
{
	struct provider_call pc;
	const char *cc = "\"cache_control\":{\"type\":\"ephemeral\"}";
	char in[2048], want[2048];

	pc_init(&pc, &cred_claude, "claude-sonnet-4-6", IR_FAM_CLAUDE);
	/* 3 system + 2 tools + 1 message = 6: the two earlier system ones go. */
	snprintf(in, sizeof(in),
		 "{\"max_tokens\":1,\"system\":[{\"text\":\"a\",%s},{\"text\":\"b\",%s},{\"text\":\"c\",%s}],"
		 "\"tools\":[{\"name\":\"t1\",%s},{\"name\":\"t2\",%s}],"
		 "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"m\",%s}]}]}",
		 cc, cc, cc, cc, cc, cc);
	snprintf(want, sizeof(want),
		 "{\"max_tokens\":1,\"system\":[{\"text\":\"a\"},{\"text\":\"b\"},{\"text\":\"c\",%s}],"
		 "\"tools\":[{\"name\":\"t1\",%s},{\"name\":\"t2\",%s}],"
		 "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"m\",%s}]}]}",
		 cc, cc, cc, cc);
	CHECK_STR(fix(&provider_claude, &pc, in, NULL), want);
	/* 1 system + 1 tool + 5 message blocks: the 3 oldest message ones go. */
	snprintf(in, sizeof(in),
		 "{\"max_tokens\":1,\"system\":[{\"text\":\"a\",%s}],\"tools\":[{\"name\":\"t\",%s}],"
		 "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"1\",%s},{\"text\":\"2\",%s}]},"
		 "{\"role\":\"assistant\",\"content\":\"x\"},"
		 "{\"role\":\"user\",\"content\":[{%s,\"text\":\"3\"},{\"text\":\"4\",%s},{\"text\":\"5\",%s}]}]}",
		 cc, cc, cc, cc, cc, cc, cc);
	snprintf(want, sizeof(want),
		 "{\"max_tokens\":1,\"system\":[{\"text\":\"a\",%s}],\"tools\":[{\"name\":\"t\",%s}],"
		 "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"1\"},{\"text\":\"2\"}]},"
		 "{\"role\":\"assistant\",\"content\":\"x\"},"
		 "{\"role\":\"user\",\"content\":[{\"text\":\"3\"},{\"text\":\"4\",%s},{\"text\":\"5\",%s}]}]}",
		 cc, cc, cc, cc);
	CHECK_STR(fix(&provider_claude, &pc, in, NULL), want);
}

static void test_claude_header_defaults(void)
{
	struct provider_call pc;
	struct upstream_req u;
	struct apierr e = { 0 };
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.claude_header_defaults.user_agent = "claude-cli/9.9.9 (external, cli)";
	cfg.claude_header_defaults.package_version = "0.99.0";
	cfg.claude_header_defaults.runtime_version = "v30.0.0";
	cfg.claude_header_defaults.os = "MacOS";
	cfg.claude_header_defaults.arch = "arm64";
	cfg.claude_header_defaults.timeout = "900";
	pc_init(&pc, &cred_claude, "claude-sonnet-4-6", IR_FAM_OPENAI);
	pc.cfg = &cfg;
	memset(&u, 0, sizeof(u));
	CHECK_INT(provider_claude.prepare(&pc, &u, &A, &e), 0);
	CHECK_STR(header(&u, "User-Agent"), "claude-cli/9.9.9 (external, cli)");
	CHECK_STR(header(&u, "X-Stainless-Package-Version"), "0.99.0");
	CHECK_STR(header(&u, "X-Stainless-Runtime-Version"), "v30.0.0");
	CHECK_STR(header(&u, "X-Stainless-Os"), "MacOS");
	CHECK_STR(header(&u, "X-Stainless-Arch"), "arm64");
	CHECK_STR(header(&u, "X-Stainless-Timeout"), "900");
	CHECK_STR(header(&u, "x-api-key"), "sk-ant-x");
	/* Empty values leave the built-ins. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.claude_header_defaults.os = "";
	memset(&u, 0, sizeof(u));
	CHECK_INT(provider_claude.prepare(&pc, &u, &A, &e), 0);
	CHECK_STR(header(&u, "User-Agent"), "claude-cli/2.1.63 (external, cli)");
	CHECK_STR(header(&u, "X-Stainless-Timeout"), "600");
	CHECK_STR(header(&u, "X-Stainless-Os"), "Linux");
}

int main(void)
{
	arena_init(&A, 256L * 1024 * 1024);
	RUN(test_bedit_members);
	RUN(test_bedit_overlap);
	RUN(test_codex_encoded);
	RUN(test_codex_passthrough);
	RUN(test_codex_small);
	RUN(test_codex_cache_key);
	RUN(test_codex_headers);
	RUN(test_claude_max_tokens);
	RUN(test_claude_passthrough_untouched);
	RUN(test_claude_forced_tools);
	RUN(test_claude_betas);
	RUN(test_claude_breakpoints);
	RUN(test_claude_header_defaults);
	arena_release(&A);
	return CHECK_DONE();
}
