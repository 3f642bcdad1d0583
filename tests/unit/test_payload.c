/*
 * test_payload.c - payload rules: the byte-preserving path setter/deleter
 * and rule matching (models, protocols, gemini-cli root).
 */
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/err.h"
#include "providers/passthrough.h"
#include "providers/payload.h"
#include "providers/upstream.h"
#include "tests/unit/check.h"

static struct arena A;

static const char *set(const char *doc, const char *path, const char *v, bool missing)
{
	const char *out;
	size_t n;

	if (payload_set(&A, doc, strlen(doc), path, v, missing, &out, &n) < 0)
		return "ERR";
	return arena_strndup(&A, out, n);
}

static const char *del(const char *doc, const char *path)
{
	const char *out;
	size_t n;

	if (payload_delete(&A, doc, strlen(doc), path, &out, &n) < 0)
		return "ERR";
	return arena_strndup(&A, out, n);
}

static void test_set_existing(void)
{
	CHECK_STR(set("{ \"a\" : 1 ,\"b\":{\"c\":\"x\"} }", "b.c", "42", false),
		  "{ \"a\" : 1 ,\"b\":{\"c\":42} }");
	CHECK_STR(set("{\"a\":1}", "a", "2", true), "{\"a\":1}");
	CHECK_STR(set("{\"a\":[{\"b\":1},{\"b\":2}]}", "a.1.b", "true", false),
		  "{\"a\":[{\"b\":1},{\"b\":true}]}");
}

static void test_set_missing(void)
{
	CHECK_STR(set("{}", "a", "1", false), "{\"a\":1}");
	CHECK_STR(set("{ \"x\":1 }", "g.t.b", "{\"k\":[1]}", true),
		  "{ \"x\":1,\"g\":{\"t\":{\"b\":{\"k\":[1]}}} }");
	CHECK_STR(set("{\"a\":[1]}", "a.-1", "2", false), "{\"a\":[1,2]}");
	CHECK_STR(set("{\"a\":[]}", "a.0", "\"s\"", false), "{\"a\":[\"s\"]}");
	CHECK_STR(set("{\"a\":[1]}", "a.3", "4", false), "{\"a\":[1,null,null,4]}");
	CHECK_STR(set("{}", "a.1.b", "1", false), "{\"a\":[null,{\"b\":1}]}");
	CHECK_STR(set("{\"a\":\"s\"}", "a.b", "1", false), "{\"a\":{\"b\":1}}");
	CHECK_STR(set("{}", "a\\.b", "1", false), "{\"a.b\":1}");
	CHECK_STR(set("{}", "q\"", "1", false), "{\"q\\\"\":1}");
	/* Not settable or not JSON. */
	CHECK_STR(set("{\"a\":[1]}", "a.x", "1", false), "ERR");
	CHECK_STR(set("{}", "a", "nope", false), "ERR");
	CHECK_STR(set("{}", "a..b", "1", false), "ERR");
	CHECK_STR(set("[1", "a", "1", false), "ERR");
}

static void test_delete(void)
{
	CHECK_STR(del("{\"a\":1, \"b\":2, \"c\":3}", "a"), "{\"b\":2, \"c\":3}");
	CHECK_STR(del("{\"a\":1, \"b\":2, \"c\":3}", "b"), "{\"a\":1, \"c\":3}");
	CHECK_STR(del("{\"a\":1, \"b\":2, \"c\":3}", "c"), "{\"a\":1, \"b\":2}");
	CHECK_STR(del("{ \"a\":{\"x\":[1]} }", "a"), "{  }");
	CHECK_STR(del("{\"a\":[1,2,3]}", "a.1"), "{\"a\":[1,3]}");
	CHECK_STR(del("{\"a\":[1,2,3]}", "a.2"), "{\"a\":[1,2]}");
	CHECK_STR(del("{\"a\":[1]}", "a.0"), "{\"a\":[]}");
	CHECK_STR(del("{\"a\":1}", "z.y"), "{\"a\":1}");
	CHECK(payload_exists(&A, "{\"a\":{\"b\":null}}", 16, "a.b"));
	CHECK(!payload_exists(&A, "{\"a\":{\"b\":null}}", 16, "a.c"));
}

static void test_model_match(void)
{
	CHECK(payload_model_match("gemini-*", "gemini-2.5-pro"));
	CHECK(payload_model_match("*pro*", "gemini-2.5-pro-preview"));
	CHECK(payload_model_match("*", "x"));
	CHECK(payload_model_match("gpt-5", "gpt-5"));
	CHECK(!payload_model_match("gpt-5", "gpt-5-codex"));
	CHECK(!payload_model_match("a*b", "acbd"));
	CHECK(payload_model_match("a*b*c", "aXbYbZc"));
}

static const char *apply(const struct config *c, const char *model, enum ir_family fam,
			 const char *body)
{
	const char *out;
	size_t n;
	struct apierr e = { 0 };

	if (payload_apply(c, model, "alias-x", fam, &A, body, strlen(body), &out, &n, &e) < 0)
		return "ERR";
	return arena_strndup(&A, out, n);
}

static void test_apply(void)
{
	static const char yaml[] =
		"payload:\n"
		"  default:\n"
		"    - models: [{name: \"gemini-*\", protocol: gemini}]\n"
		"      params: {\"generationConfig.thinkingConfig.thinkingBudget\": 32768}\n"
		"    - models: [{name: \"gemini-*\"}]\n"
		"      params: {\"generationConfig.thinkingConfig.thinkingBudget\": 1}\n"
		"  default-raw:\n"
		"    - models: [{name: \"alias-x\"}]\n"
		"      params: {\"tools\": '[{\"googleSearch\":{}}]', \"bad\": 'not json'}\n"
		"  override:\n"
		"    - models: [{name: \"gpt-*\", protocol: codex}]\n"
		"      params: {\"reasoning.effort\": \"high\"}\n"
		"  filter:\n"
		"    - models: [{name: \"*\", protocol: gemini-cli}]\n"
		"      params: [\"generationConfig.seed\"]\n";
	struct config c;
	struct config_error err;

	CHECK_INT(config_parse(&c, &A, yaml, strlen(yaml), "t.yaml", &err), 0);
	CHECK_STR(apply(&c, "gemini-2.5-pro", IR_FAM_GEMINI, "{\"contents\":[]}"),
		  "{\"contents\":[],\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":32768}},"
		  "\"tools\":[{\"googleSearch\":{}}]}");
	/* The client's value is kept by default rules. */
	CHECK_STR(apply(&c, "gemini-2.5-pro", IR_FAM_GEMINI,
			"{\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":5}},\"tools\":[]}"),
		  "{\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":5}},\"tools\":[]}");
	/* gemini-cli: under request., filter too. */
	CHECK_STR(apply(&c, "gemini-2.5-pro", IR_FAM_GEMINI_CLI,
			"{\"project\":\"p\",\"request\":{\"generationConfig\":{\"seed\":3},\"tools\":[]}}"),
		  "{\"project\":\"p\",\"request\":{\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":1}},\"tools\":[]}}");
	CHECK_STR(apply(&c, "gpt-5", IR_FAM_RESPONSES, "{\"reasoning\":{\"effort\":\"low\"},\"tools\":[1]}"),
		  "{\"reasoning\":{\"effort\":\"high\"},\"tools\":[1]}");
	CHECK_STR(apply(&c, "gpt-5", IR_FAM_OPENAI, "{\"tools\":[1]}"), "{\"tools\":[1]}");
}

static void test_passthrough_headers(void)
{
	struct upstream_resp r = { 200,
				   { "x-request-id: abc", "connection: keep-alive, x-hop",
				     "x-hop: 1", "set-cookie: s=1", "content-length: 9",
				     "content-encoding: gzip", "transfer-encoding: chunked",
				     "x-litellm-key: k", "Helicone-Id: h", "cf-aig-x: 1",
				     "content-type: application/json", "openai-processing-ms: 12",
				     "x-ratelimit-remaining-requests: 99" },
				   13 };
	struct upstream_resp none = { 200, { "set-cookie: a=b" }, 1 };

	CHECK_STR(passthrough_headers(&A, &r),
		  "x-request-id: abc\r\nopenai-processing-ms: 12\r\n"
		  "x-ratelimit-remaining-requests: 99\r\n");
	CHECK(passthrough_headers(&A, &none) == NULL);
}

int main(void)
{
	arena_init(&A, 1L << 28);
	RUN(test_set_existing);
	RUN(test_set_missing);
	RUN(test_delete);
	RUN(test_model_match);
	RUN(test_apply);
	RUN(test_passthrough_headers);
	return CHECK_DONE();
}
