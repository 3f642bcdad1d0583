/*
 * test_oauth_providers.c - the OAuth providers' fix_body and prepare, no
 * network: gemini-cli envelope, countTokens body, URLs and headers (§2.1);
 * codex Originator / Chatgpt-Account-Id (§2.5); claude Bearer, oauth beta,
 * identity system block, tool renames recorded for the answer (§2.7).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/http_req.h"
#include "providers/provider.h"
#include "providers/upstream.h"
#include "tests/unit/check.h"
#include "translate/family.h"

static struct arena A;

static struct auth_file auth_gemini = { .path = "/x/gemini-a@b.c-p1.json", .name = "gemini-a@b.c-p1.json",
					.type = "gemini", .kind = AUTH_GEMINI, .label = "a@b.c",
					.access_token = "ya29.tok-gemini" };
static struct auth_file auth_codex = { .path = "/x/codex-a@b.c-pro.json", .name = "codex-a@b.c-pro.json",
				       .type = "codex", .kind = AUTH_CODEX, .label = "a@b.c",
				       .access_token = "tok-codex", .account_id = "acct-123" };
static struct auth_file auth_claude = { .path = "/x/claude-a@b.c.json", .name = "claude-a@b.c.json",
					.type = "claude", .kind = AUTH_CLAUDE, .label = "a@b.c",
					.access_token = "sk-ant-oat01-tok" };

static struct credential cred_gemini = { .id = "gemini-a@b.c-p1.json", .label = "a@b.c",
					 .prov = &provider_gemini_cli, .auth = &auth_gemini,
					 .project_id = "p1" };
static struct credential cred_codex = { .id = "codex-a@b.c-pro.json", .label = "a@b.c",
					.prov = &provider_codex_oauth, .auth = &auth_codex };
static struct credential cred_claude = { .id = "claude-a@b.c.json", .label = "a@b.c",
					 .prov = &provider_claude_oauth, .auth = &auth_claude };

static void pc_init(struct provider_call *pc, const struct credential *cr, const char *model,
		    enum ir_family from)
{
	memset(pc, 0, sizeof(*pc));
	pc->cred = cr;
	pc->model = model;
	pc->stream = true;
	pc->client_family = from;
}

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

static int prepare(const struct provider *p, const struct provider_call *pc,
		   struct upstream_req *u, int *ret_status)
{
	struct apierr e = { 0 };
	int r;

	memset(u, 0, sizeof(*u));
	r = p->prepare(pc, u, &A, &e);
	if (ret_status)
		*ret_status = r < 0 ? e.status : 0;
	return r;
}

/* A client request with up to two headers (name, value; NULL: none). */
static struct http_request *client_req(const char *n1, const char *v1, const char *n2,
				       const char *v2)
{
	struct http_request *rq = arena_zalloc(&A, sizeof(*rq));

	if (!rq)
		return NULL;
	rq->method = "POST";
	rq->target = rq->path = "/v1/x";
	rq->query = "";
	rq->content_length = -1;
	if (n1)
		rq->headers[rq->nheaders++] = (struct http_header){ n1, v1, strlen(n1), strlen(v1) };
	if (n2)
		rq->headers[rq->nheaders++] = (struct http_header){ n2, v2, strlen(n2), strlen(v2) };
	return rq;
}

/* ---- gemini-cli ------------------------------------------------------------ */

static void test_gcli_envelope(void)
{
	struct provider_call pc;

	pc_init(&pc, &cred_gemini, "gemini-2.5-pro(8192)", IR_FAM_OPENAI);
	/* Encoded by the hub: the bare model, our project appended. */
	CHECK_STR(fix(&provider_gemini_cli, &pc,
		      "{\"model\":\"gemini-2.5-pro(8192)\",\"request\":{\"contents\":[]}}", NULL),
		  "{\"model\":\"gemini-2.5-pro\",\"request\":{\"contents\":[]},\"project\":\"p1\"}");
	/* A Gemini CLI client's own project is replaced by the account's. */
	pc.client_family = IR_FAM_GEMINI_CLI;
	CHECK_STR(fix(&provider_gemini_cli, &pc,
		      "{\"model\": \"gemini-2.5-pro\", \"project\": \"theirs\", \"user_prompt_id\": \"u1\", "
		      "\"request\": {\"contents\": []}}",
		      NULL),
		  "{\"model\": \"gemini-2.5-pro\", \"project\": \"p1\", \"user_prompt_id\": \"u1\", "
		  "\"request\": {\"contents\": []}}");
	/* No project known (auto-discovery): the body's stays. */
	{
		struct credential cr = cred_gemini;

		cr.project_id = NULL;
		pc.cred = &cr;
		CHECK_STR(fix(&provider_gemini_cli, &pc,
			      "{\"project\":\"theirs\",\"request\":{}}", NULL),
			  "{\"project\":\"theirs\",\"request\":{},\"model\":\"gemini-2.5-pro\"}");
	}
}

static void test_gcli_count_tokens(void)
{
	struct provider_call pc;

	pc_init(&pc, &cred_gemini, "gemini-2.5-flash", IR_FAM_GEMINI);
	pc.stream = false;
	pc.action = "countTokens";
	CHECK_STR(fix(&provider_gemini_cli, &pc,
		      "{\"model\":\"gemini-2.5-flash\",\"project\":\"p\",\"request\":{\"contents\":[],"
		      "\"safetySettings\":[{\"category\":\"x\"}],\"generationConfig\":{}}}",
		      NULL),
		  "{\"request\":{\"contents\":[],\"generationConfig\":{}}}");
}

static void test_gcli_prepare(void)
{
	struct provider_call pc;
	struct upstream_req u;
	int st;

	unsetenv("CLIPROXY_GEMINI_CLI_BASE_URL");
	pc_init(&pc, &cred_gemini, "gemini-2.5-pro(8192)", IR_FAM_OPENAI);
	pc.action = "streamGenerateContent";
	CHECK_INT(prepare(&provider_gemini_cli, &pc, &u, NULL), 0);
	CHECK_STR(u.url, "https://cloudcode-pa.googleapis.com/v1internal:streamGenerateContent?alt=sse");
	CHECK_STR(header(&u, "Authorization"), "Bearer ya29.tok-gemini");
	CHECK_STR(header(&u, "Accept"), "text/event-stream");
	CHECK_STR(header(&u, "Content-Type"), "application/json");
	CHECK(header(&u, "User-Agent") &&
	      strncmp(header(&u, "User-Agent"), "GeminiCLI/0.31.0/gemini-2.5-pro (", 33) == 0);
	CHECK_STR(header(&u, "X-Goog-Api-Client"), "google-genai-sdk/1.41.0 gl-node/v22.19.0");
	CHECK(header(&u, "x-goog-api-key") == NULL);
	CHECK(strstr(u.url, "tok") == NULL);

	setenv("CLIPROXY_GEMINI_CLI_BASE_URL", "http://127.0.0.1:9/cc/", 1);
	pc.action = "generateContent";
	CHECK_INT(prepare(&provider_gemini_cli, &pc, &u, NULL), 0);
	CHECK_STR(u.url, "http://127.0.0.1:9/cc/v1internal:generateContent");
	CHECK_STR(header(&u, "Accept"), "application/json");
	pc.action = "countTokens";
	CHECK_INT(prepare(&provider_gemini_cli, &pc, &u, NULL), 0);
	CHECK_STR(u.url, "http://127.0.0.1:9/cc/v1internal:countTokens");
	pc.action = "../x";
	CHECK(prepare(&provider_gemini_cli, &pc, &u, &st) < 0);
	CHECK_INT(st, 400);
	unsetenv("CLIPROXY_GEMINI_CLI_BASE_URL");

	/* No token (auth_ensure_fresh not called or failed): no request. */
	{
		struct auth_file f = auth_gemini;
		struct credential cr = cred_gemini;

		f.access_token = NULL;
		cr.auth = &f;
		pc.cred = &cr;
		pc.action = NULL;
		CHECK(prepare(&provider_gemini_cli, &pc, &u, &st) < 0);
		CHECK_INT(st, 503);
	}
}

/* ---- codex OAuth ------------------------------------------------------------ */

static void test_codex_oauth(void)
{
	struct provider_call pc;
	struct upstream_req u;

	unsetenv("CLIPROXY_CODEX_BASE_URL");
	pc_init(&pc, &cred_codex, "gpt-5", IR_FAM_OPENAI);
	CHECK_STR(fix(&provider_codex_oauth, &pc, "{\"model\":\"gpt-5\",\"temperature\":1}", NULL),
		  "{\"model\":\"gpt-5\",\"stream\":true,\"store\":false,\"instructions\":\"\","
		  "\"include\":[\"reasoning.encrypted_content\"]}");
	CHECK_INT(prepare(&provider_codex_oauth, &pc, &u, NULL), 0);
	CHECK_STR(u.url, "https://chatgpt.com/backend-api/codex/responses");
	CHECK_STR(header(&u, "Authorization"), "Bearer tok-codex");
	CHECK_STR(header(&u, "Chatgpt-Account-Id"), "acct-123");
	CHECK_STR(header(&u, "Originator"), "codex-tui");
	CHECK_STR(header(&u, "Accept"), "text/event-stream");

	/* Codex CLI's own originator wins; the env override moves the base. */
	setenv("CLIPROXY_CODEX_BASE_URL", "http://127.0.0.1:9/backend-api/codex", 1);
	pc.client_family = IR_FAM_RESPONSES;
	pc.client_req = client_req("originator", "codex_exec", "user-agent", "codex_exec/0.1");
	CHECK(pc.client_req != NULL);
	CHECK_INT(prepare(&provider_codex_oauth, &pc, &u, NULL), 0);
	CHECK_STR(u.url, "http://127.0.0.1:9/backend-api/codex/responses");
	CHECK_STR(header(&u, "Originator"), "codex_exec");
	CHECK_STR(header(&u, "User-Agent"), "codex_exec/0.1");
	unsetenv("CLIPROXY_CODEX_BASE_URL");

	/* The credential's headers still win; no account id, no header. */
	{
		static struct kv kvs[] = { { "Originator", "mine" } };
		static struct kvlist hl = { kvs, 1 };
		struct auth_file f = auth_codex;
		struct credential cr = cred_codex;

		f.account_id = NULL;
		cr.auth = &f;
		cr.headers = &hl;
		pc.cred = &cr;
		CHECK_INT(prepare(&provider_codex_oauth, &pc, &u, NULL), 0);
		CHECK_STR(header(&u, "Originator"), "mine");
		CHECK(header(&u, "Chatgpt-Account-Id") == NULL);
	}
}

/* ---- claude OAuth ----------------------------------------------------------- */

#define IDENT "{\"type\":\"text\",\"text\":\"You are Claude Code, Anthropic's official CLI for Claude.\"}"

static void test_claude_oauth_prepare(void)
{
	struct provider_call pc;
	struct upstream_req u;

	unsetenv("CLIPROXY_CLAUDE_BASE_URL");
	pc_init(&pc, &cred_claude, "claude-sonnet-4-5-20250929", IR_FAM_OPENAI);
	CHECK_INT(prepare(&provider_claude_oauth, &pc, &u, NULL), 0);
	CHECK_STR(u.url, "https://api.anthropic.com/v1/messages?beta=true");
	CHECK_STR(header(&u, "Authorization"), "Bearer sk-ant-oat01-tok");
	CHECK(header(&u, "x-api-key") == NULL);
	CHECK(header(&u, "Anthropic-Dangerous-Direct-Browser-Access") == NULL);
	CHECK(header(&u, "Anthropic-Beta") && strstr(header(&u, "Anthropic-Beta"), "oauth-2025-04-20"));
	CHECK(header(&u, "Anthropic-Beta") &&
	      strstr(header(&u, "Anthropic-Beta"), "interleaved-thinking-2025-05-14"));
	CHECK_STR(header(&u, "Anthropic-Version"), "2023-06-01");

	/* Claude Code's own betas, plus the oauth one, once. */
	setenv("CLIPROXY_CLAUDE_BASE_URL", "http://127.0.0.1:9", 1);
	pc.client_family = IR_FAM_CLAUDE;
	pc.client_req = client_req("user-agent", "claude-cli/2.1.197 (external, cli)", "anthropic-beta",
				   "claude-code-20250219,oauth-2025-04-20");
	CHECK_INT(prepare(&provider_claude_oauth, &pc, &u, NULL), 0);
	CHECK_STR(u.url, "http://127.0.0.1:9/v1/messages?beta=true");
	CHECK_STR(header(&u, "Anthropic-Beta"),
		  "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14");
	CHECK_STR(header(&u, "User-Agent"), "claude-cli/2.1.197 (external, cli)");
	unsetenv("CLIPROXY_CLAUDE_BASE_URL");
}

static void test_claude_oauth_system(void)
{
	struct provider_call pc;

	pc_init(&pc, &cred_claude, "claude-sonnet-4-5-20250929", IR_FAM_OPENAI);
	/* No system: the identity; max_tokens from the key provider's rules. */
	CHECK_STR(fix(&provider_claude_oauth, &pc, "{\"messages\":[]}", NULL),
		  "{\"messages\":[],\"max_tokens\":64000,\"system\":[" IDENT "]}");
	CHECK_STR(fix(&provider_claude_oauth, &pc, "{\"max_tokens\":5,\"system\":\"Be brief.\"}", NULL),
		  "{\"max_tokens\":5,\"system\":[" IDENT ",{\"type\":\"text\",\"text\":\"Be brief.\"}]}");
	CHECK_STR(fix(&provider_claude_oauth, &pc,
		      "{\"max_tokens\":5,\"system\":[{\"type\":\"text\",\"text\":\"a\"}, {\"type\":\"text\",\"text\":\"b\"}]}",
		      NULL),
		  "{\"max_tokens\":5,\"system\":[" IDENT ",{\"type\":\"text\",\"text\":\"a\"}, "
		  "{\"type\":\"text\",\"text\":\"b\"}]}");
	CHECK_STR(fix(&provider_claude_oauth, &pc, "{\"max_tokens\":5,\"system\":[]}", NULL),
		  "{\"max_tokens\":5,\"system\":[" IDENT "]}");
	CHECK_STR(fix(&provider_claude_oauth, &pc, "{\"max_tokens\":5,\"system\":null}", NULL),
		  "{\"max_tokens\":5,\"system\":[" IDENT "]}");
	/* Already there: untouched. */
	CHECK_STR(fix(&provider_claude_oauth, &pc, "{\"max_tokens\":5,\"system\":[" IDENT "]}", NULL),
		  "{\"max_tokens\":5,\"system\":[" IDENT "]}");
	/* Claude Code itself: its system prompt goes as sent. */
	pc.client_family = IR_FAM_CLAUDE;
	pc.client_req = client_req("user-agent", "claude-cli/2.1.197 (external, sdk-cli)", NULL, NULL);
	CHECK_STR(fix(&provider_claude_oauth, &pc,
		      "{\"max_tokens\":5,\"system\":[{\"type\":\"text\",\"text\":\"x-anthropic-billing-header: cc\"}]}",
		      NULL),
		  "{\"max_tokens\":5,\"system\":[{\"type\":\"text\",\"text\":\"x-anthropic-billing-header: cc\"}]}");
}

static void test_claude_oauth_tools(void)
{
	struct provider_call pc;
	struct xlate_ctx x;

	xlate_ctx_init(&x, &A, true, 0);
	pc_init(&pc, &cred_claude, "claude-sonnet-4-5-20250929", IR_FAM_CLAUDE);
	pc.client_req = client_req("user-agent", "claude-cli/2.1.197 (external, cli)", NULL, NULL);
	pc.x = &x;
	CHECK_STR(fix(&provider_claude_oauth, &pc,
		      "{\"max_tokens\":5,\"tools\":[{\"name\":\"bash\"},{\"name\":\"read\"},"
		      "{\"name\":\"Grep\"},{\"name\":\"grep\"},{\"name\":\"mcp__x\"}],"
		      "\"tool_choice\":{\"type\":\"tool\",\"name\":\"read\"},"
		      "\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\","
		      "\"id\":\"t1\",\"name\":\"bash\",\"input\":{}}]}]}",
		      NULL),
		  "{\"max_tokens\":5,\"tools\":[{\"name\":\"Bash\"},{\"name\":\"Read\"},"
		  "{\"name\":\"Grep\"},{\"name\":\"grep\"},{\"name\":\"mcp__x\"}],"
		  "\"tool_choice\":{\"type\":\"tool\",\"name\":\"Read\"},"
		  "\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\","
		  "\"id\":\"t1\",\"name\":\"Bash\",\"input\":{}}]}]}");
	/* Recorded for the answer: Bash -> bash, Read -> read; not Grep. */
	CHECK_STR(xlate_name_orig(&x, "Bash"), "bash");
	CHECK_STR(xlate_name_orig(&x, "Read"), "read");
	CHECK_STR(xlate_name_orig(&x, "Grep"), "Grep");
	/* No renames: nothing recorded, body as it came. */
	xlate_ctx_init(&x, &A, true, 0);
	CHECK_STR(fix(&provider_claude_oauth, &pc,
		      "{\"max_tokens\":5,\"tools\":[{\"name\":\"Bash\"}]}", NULL),
		  "{\"max_tokens\":5,\"tools\":[{\"name\":\"Bash\"}]}");
	CHECK_INT(x.nnames, 0);
}

int main(void)
{
	arena_init(&A, 64L * 1024 * 1024);
	RUN(test_gcli_envelope);
	RUN(test_gcli_count_tokens);
	RUN(test_gcli_prepare);
	RUN(test_codex_oauth);
	RUN(test_claude_oauth_prepare);
	RUN(test_claude_oauth_system);
	RUN(test_claude_oauth_tools);
	arena_release(&A);
	return CHECK_DONE();
}
