/*
 * test_config.c - config.yaml loading: defaults, the seed README example,
 * every key, wrong types and bad values (key and line of the error), legacy
 * migration, unknown keys, ~ expansion, the file search order, and that
 * config_print never shows a whole secret.  Runs with cwd = repo root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/limits.h"
#include "tests/unit/check.h"

#define DATA "tests/data/config/"

static struct arena A;

static int parse(struct config *c, const char *yaml, struct config_error *e)
{
	return config_parse(c, &A, yaml, strlen(yaml), "test.yaml", e);
}

static void begin(void)
{
	arena_init(&A, 512L * 1024 * 1024);
	setenv("HOME", "/home/tester", 1);
}

static void end(void)
{
	arena_release(&A);
}

static bool has_unknown(const struct config *c, const char *key, int line)
{
	size_t i;

	for (i = 0; i < c->nunknown; i++)
		if (strcmp(c->unknown[i].key, key) == 0 && c->unknown[i].line == line)
			return true;
	return false;
}

static void check_defaults(const struct config *c)
{
	CHECK_STR(c->host, "127.0.0.1");
	CHECK_INT(c->port, 8317);
	CHECK(!c->tls.enable);
	CHECK_STR(c->tls.cert, "");
	CHECK_STR(c->tls.key, "");
	CHECK(!c->remote_management.allow_remote);
	CHECK_STR(c->remote_management.secret_key, "");
	CHECK_STR(c->remote_management.panel_github_repository,
		  "https://github.com/router-for-me/Cli-Proxy-API-Management-Center");
	CHECK_STR(c->auth_dir_raw, "~/.cli-proxy-api");
	CHECK_INT(c->api_keys.n, 0);
	CHECK(!c->debug);
	CHECK(!c->pprof.enable);
	CHECK_STR(c->pprof.addr, "127.0.0.1:8316");
	CHECK(!c->logging_to_file);
	CHECK_INT(c->logs_max_total_size_mb, 0);
	CHECK_INT(c->error_logs_max_files, 10);
	CHECK(c->usage_statistics_enabled);
	CHECK_STR(c->proxy_url, "");
	CHECK_INT(c->request_retry, 0);
	CHECK_INT(c->max_retry_credentials, 0);
	CHECK_INT(c->max_retry_interval, 30);
	CHECK_INT(c->auth_auto_refresh_workers, 16);
	CHECK(c->quota_exceeded.switch_project);
	CHECK(c->quota_exceeded.switch_preview_model);
	CHECK(c->quota_exceeded.antigravity_credits);
	CHECK_STR(c->routing.strategy, "round-robin");
	CHECK(!c->ws_auth);
	CHECK(c->antigravity_signature_cache_enabled);
	CHECK(!c->antigravity_signature_bypass_strict);
	CHECK_STR(c->claude_header_defaults.user_agent, "");
	CHECK_STR(c->codex_header_defaults.beta_features, "");
	CHECK_STR(c->ampcode.upstream_url, "");
	CHECK_STR(c->ampcode.upstream_api_key, "");
	CHECK_INT(c->gemini_api_key.n + c->codex_api_key.n + c->claude_api_key.n +
			  c->vertex_api_key.n + c->openai_compatibility.n + c->kiro.n,
		  0);
	CHECK_INT(c->nunknown, 0);
}

static void test_defaults(void)
{
	struct config c;
	struct config_error e;

	begin();
	CHECK_INT(config_load(&c, &A, NULL, &e), 0);
	check_defaults(&c);
	CHECK(c.path == NULL);
	CHECK_STR(c.auth_dir, "/home/tester/.cli-proxy-api");
	config_defaults(&c);
	check_defaults(&c);
	end();
}

static void test_empty_documents(void)
{
	static const char *const ok[] = { "", "{}", "# only a comment\n", "~\n", "---\n",
					  "---\n...\n", "null", "\xef\xbb\xbfport: 8317\n",
					  "port: 8317\n---\nport: x\n" };
	struct config c;
	struct config_error e;
	size_t i;

	begin();
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = parse(&c, ok[i], &e);
		CHECK_INT(rc, 0);
		if (rc)
			printf("#   case %zu: %s\n", i, e.message);
		check_defaults(&c);
		CHECK_STR(c.path, "test.yaml");
	}
	CHECK_INT(config_parse(&c, &A, NULL, 0, NULL, &e), 0);
	CHECK(c.path == NULL);
	end();
}

static void test_readme_example(void)
{
	struct config c;
	struct config_error e;

	begin();
	CHECK_INT(config_load(&c, &A, DATA "readme-example.yaml", &e), 0);
	CHECK_STR(c.path, DATA "readme-example.yaml");
	CHECK_INT(c.port, 8317);
	CHECK_STR(c.host, "127.0.0.1");
	CHECK(!c.remote_management.allow_remote);
	CHECK_STR(c.remote_management.secret_key, "");
	CHECK(!c.remote_management.disable_control_panel);
	CHECK_STR(c.auth_dir_raw, "~/.cli-proxy-api");
	CHECK_STR(c.auth_dir, "/home/tester/.cli-proxy-api");
	CHECK_INT(c.api_keys.n, 2);
	CHECK_STR(c.api_keys.v[0], "your-api-key-1");
	CHECK_STR(c.api_keys.v[1], "your-api-key-2");
	CHECK(!c.debug);
	CHECK(c.logging_to_file);
	CHECK(c.usage_statistics_enabled);
	CHECK_STR(c.proxy_url, "");
	CHECK_INT(c.request_retry, 3);
	CHECK(c.quota_exceeded.switch_project);
	CHECK(c.quota_exceeded.switch_preview_model);
	CHECK_INT(c.gemini_api_key.n, 2);
	if (c.gemini_api_key.n == 2) {
		const struct provider_key *g = c.gemini_api_key.v;
		CHECK_STR(g[0].api_key, "AIzaSy...01");
		CHECK_STR(g[0].base_url, "https://generativelanguage.googleapis.com");
		CHECK_STR(g[0].proxy_url, "socks5://proxy.example.com:1080");
		CHECK_INT(g[0].headers.n, 1);
		CHECK_STR(g[0].headers.v[0].key, "X-Custom-Header");
		CHECK_STR(g[0].headers.v[0].value, "custom-value");
		CHECK_INT(g[0].line, 48);
		CHECK_STR(g[1].api_key, "AIzaSy...02");
		CHECK_STR(g[1].base_url, "");
		CHECK_STR(g[1].prefix, "");
		CHECK_STR(g[1].cloak.mode, ""); /* no NULL strings, even outside gemini's keys */
		CHECK_INT(g[1].headers.n, 0);
		CHECK_INT(g[1].line, 53);
	}
	CHECK_INT(c.codex_api_key.n, 1);
	if (c.codex_api_key.n == 1) {
		CHECK_STR(c.codex_api_key.v[0].api_key, "sk-atSM...");
		CHECK_STR(c.codex_api_key.v[0].base_url, "https://www.example.com");
		CHECK_STR(c.codex_api_key.v[0].proxy_url, "socks5://proxy.example.com:1080");
		CHECK_INT(c.codex_api_key.v[0].line, 57);
	}
	CHECK_INT(c.claude_api_key.n, 0);
	CHECK_INT(c.nunknown, 0);
	end();
}

static void test_all_keys(void)
{
	struct config c;
	struct config_error e;
	size_t i;

	begin();
	CHECK_INT(config_load(&c, &A, DATA "all-keys.yaml", &e), 0);
	if (e.message[0])
		printf("#   %d:%d %s: %s\n", e.line, e.column, e.key, e.message);
	CHECK_INT(c.nunknown, 0);
	for (i = 0; i < c.nunknown; i++)
		printf("#   unknown %s line %d\n", c.unknown[i].key, c.unknown[i].line);
	CHECK_STR(c.host, "0.0.0.0");
	CHECK_INT(c.port, 8318);
	CHECK(c.tls.enable);
	CHECK_STR(c.tls.cert, "/etc/cliproxy/cert.pem");
	CHECK_STR(c.tls.key, "/etc/cliproxy/key.pem");
	CHECK(c.remote_management.allow_remote);
	CHECK_STR(c.remote_management.secret_key, "management-secret-0123456789");
	CHECK(c.remote_management.disable_control_panel);
	CHECK(c.remote_management.disable_auto_update_panel);
	CHECK_STR(c.remote_management.panel_github_repository, "https://github.com/example/panel");
	CHECK_STR(c.auth_dir, "/home/tester/auths");
	CHECK_INT(c.api_keys.n, 2);
	CHECK_STR(c.api_keys.v[0], "client-key-aaaaaaaaaaaa");
	CHECK_STR(c.api_keys.v[1], "client-key-bbbbbbbbbbbb");
	CHECK(c.debug);
	CHECK(c.pprof.enable);
	CHECK_STR(c.pprof.addr, "127.0.0.1:9999");
	CHECK(c.commercial_mode && c.logging_to_file && c.request_log);
	CHECK_INT(c.logs_max_total_size_mb, 100);
	CHECK_INT(c.error_logs_max_files, 5);
	CHECK(!c.usage_statistics_enabled);
	CHECK_STR(c.proxy_url, "socks5://user:hunter2@proxy.example.com:1080");
	CHECK(c.force_model_prefix && c.passthrough_headers && c.disable_cooling);
	CHECK_INT(c.request_retry, 3);
	CHECK_INT(c.max_retry_credentials, 2);
	CHECK_INT(c.max_retry_interval, 60);
	CHECK_INT(c.auth_auto_refresh_workers, 4);
	CHECK(!c.quota_exceeded.switch_project && !c.quota_exceeded.switch_preview_model &&
	      !c.quota_exceeded.antigravity_credits);
	CHECK_STR(c.routing.strategy, "fill-first");
	CHECK(c.ws_auth && c.enable_gemini_cli_endpoint && c.incognito_browser);
	CHECK_INT(c.nonstream_keepalive_interval, 15);
	CHECK_INT(c.streaming.keepalive_seconds, 20);
	CHECK_INT(c.streaming.bootstrap_retries, 2);
	CHECK(!c.antigravity_signature_cache_enabled);
	CHECK(c.antigravity_signature_bypass_strict);

	CHECK_INT(c.gemini_api_key.n, 1);
	if (c.gemini_api_key.n) {
		const struct provider_key *g = &c.gemini_api_key.v[0];
		CHECK_INT(g->priority, 5);
		CHECK_STR(g->prefix, "team-a");
		CHECK_STR(g->proxy_url, "http://proxy.example.com:3128");
		CHECK_INT(g->headers.n, 1); /* the empty one dropped */
		CHECK_INT(g->models.n, 1);
		CHECK_STR(g->models.v[0].name, "gemini-2.5-pro");
		CHECK_STR(g->models.v[0].alias, "g-pro");
		CHECK_INT(g->excluded_models.n, 1);
		CHECK_STR(g->excluded_models.v[0], "gemini-2.5-flash-*");
	}
	CHECK_INT(c.codex_api_key.n, 1);
	if (c.codex_api_key.n) {
		const struct provider_key *k = &c.codex_api_key.v[0];
		CHECK_INT(k->priority, -1);
		CHECK(k->websockets);
		CHECK_STR(k->proxy_url, "direct");
		CHECK_STR(k->headers.v[0].key, "X-Team");
		CHECK_STR(k->models.v[0].alias, "g5");
	}
	CHECK_INT(c.claude_api_key.n, 1);
	if (c.claude_api_key.n) {
		const struct provider_key *k = &c.claude_api_key.v[0];
		CHECK_STR(k->cloak.mode, "always");
		CHECK(k->cloak.strict_mode && k->cloak.cache_user_id && k->experimental_cch_signing);
		CHECK_INT(k->cloak.sensitive_words.n, 2);
		CHECK_STR(k->proxy_url, "none");
	}
	CHECK_INT(c.vertex_api_key.n, 1); /* the one without base-url dropped */
	if (c.vertex_api_key.n)
		CHECK_STR(c.vertex_api_key.v[0].proxy_url, "socks5h://proxy.example.com:1080");
	CHECK_STR(c.claude_header_defaults.user_agent, "claude-cli/2.1.0 (external, cli)");
	CHECK_STR(c.claude_header_defaults.package_version, "0.70.0");
	CHECK_STR(c.claude_header_defaults.runtime_version, "v24.3.0");
	CHECK_STR(c.claude_header_defaults.os, "Linux");
	CHECK_STR(c.claude_header_defaults.arch, "x64");
	CHECK_STR(c.claude_header_defaults.timeout, "600");
	CHECK(c.claude_header_defaults.stabilize_device_profile);
	CHECK_STR(c.codex_header_defaults.user_agent, "codex_cli_rs/0.50.0");
	CHECK_STR(c.codex_header_defaults.beta_features, "responses_websockets=2026-02-04");

	CHECK_INT(c.openai_compatibility.n, 1); /* no base-url: dropped */
	if (c.openai_compatibility.n) {
		const struct openai_compat *o = &c.openai_compatibility.v[0];
		CHECK_STR(o->name, "openrouter");
		CHECK_INT(o->priority, 1);
		CHECK_STR(o->prefix, "or");
		CHECK_STR(o->base_url, "https://openrouter.ai/api/v1");
		CHECK_INT(o->headers.n, 1);
		CHECK_INT(o->nkeys, 2);
		CHECK_STR(o->keys[0].api_key, "sk-or-v1-000000000000001");
		CHECK_STR(o->keys[0].proxy_url, "socks5://proxy.example.com:1080");
		CHECK_STR(o->keys[1].proxy_url, "");
		CHECK_INT(o->models.n, 1);
		CHECK_STR(o->models.v[0].alias, "kimi-k2");
		CHECK_INT(o->models.v[0].thinking.levels.n, 2);
		CHECK_INT(o->line, 114);
	}
	CHECK_STR(c.ampcode.upstream_url, "https://ampcode.com");
	CHECK_STR(c.ampcode.upstream_api_key, "amp-upstream-000000000001");
	CHECK_INT(c.ampcode.upstream_api_keys.n, 1);
	CHECK_INT(c.ampcode.upstream_api_keys.v[0].api_keys.n, 1);
	CHECK(c.ampcode.restrict_management_to_localhost && c.ampcode.force_model_mappings);
	CHECK_INT(c.ampcode.model_mappings.n, 2);
	CHECK(!c.ampcode.model_mappings.v[0].regex && c.ampcode.model_mappings.v[1].regex);
	CHECK_STR(c.ampcode.model_mappings.v[1].from, "^gpt-5.*$");

	/* oauth-model-alias: channel lower-cased, duplicate alias (any case) and
	   name == alias dropped, empty channel dropped. */
	CHECK_INT(c.oauth_model_alias.n, 1);
	if (c.oauth_model_alias.n) {
		CHECK_STR(c.oauth_model_alias.v[0].channel, "gemini-cli");
		CHECK_INT(c.oauth_model_alias.v[0].n, 1);
		CHECK_STR(c.oauth_model_alias.v[0].v[0].alias, "g25p");
		CHECK(c.oauth_model_alias.v[0].v[0].fork);
	}
	CHECK_INT(c.oauth_excluded_models.n, 1);
	if (c.oauth_excluded_models.n) {
		CHECK_STR(c.oauth_excluded_models.v[0].channel, "claude");
		CHECK_INT(c.oauth_excluded_models.v[0].models.n, 1);
		CHECK_STR(c.oauth_excluded_models.v[0].models.v[0], "claude-3-*");
	}
	CHECK_INT(c.kiro.n, 1);
	if (c.kiro.n) {
		CHECK_STR(c.kiro.v[0].region, "us-east-1");
		CHECK_STR(c.kiro.v[0].agent_task_type, "vibe");
		CHECK_STR(c.kiro.v[0].proxy_url, "https://proxy.example.com:8443");
	}
	end();
}

static void test_payload(void)
{
	struct config c;
	struct config_error e;
	const struct payload_rule *r;

	begin();
	CHECK_INT(config_load(&c, &A, DATA "all-keys.yaml", &e), 0);
	CHECK_INT(c.payload.default_.n, 1);
	if (c.payload.default_.n) {
		r = &c.payload.default_.v[0];
		CHECK_INT(r->models.n, 1);
		CHECK_STR(r->models.v[0].protocol, "gemini");
		CHECK_INT(r->params.n, 6);
		if (r->params.n == 6) {
			CHECK_STR(r->params.v[0].path, "generationConfig.thinkingConfig.thinkingBudget");
			CHECK_STR(r->params.v[0].json, "32768");
			CHECK_STR(r->params.v[1].json, "\"application/json\"");
			CHECK_STR(r->params.v[2].json, "true");
			CHECK_STR(r->params.v[3].json, "null");
			CHECK_STR(r->params.v[4].json, "\"123\"");
			CHECK_STR(r->params.v[5].json, "{\"k\":[1,\"two\",\"yes\"]}");
		}
	}
	CHECK_INT(c.payload.default_raw.n, 1);
	if (c.payload.default_raw.n)
		CHECK_STR(c.payload.default_raw.v[0].params.v[0].json, "{\"type\":\"json_schema\"}");
	CHECK_INT(c.payload.override.n, 1);
	if (c.payload.override.n)
		CHECK_STR(c.payload.override.v[0].params.v[0].json, "\"high\"");
	CHECK_INT(c.payload.override_raw.n, 1);
	CHECK_INT(c.payload.filter.n, 1);
	if (c.payload.filter.n) {
		CHECK_INT(c.payload.filter.v[0].params.n, 1);
		CHECK_STR(c.payload.filter.v[0].params.v[0], "generationConfig.responseJsonSchema");
	}

	/* Scalars into JSON text; duplicate paths: the last wins. */
	CHECK_INT(parse(&c,
			"payload:\n  override:\n    - params:\n"
			"        a: -1.5e3\n        b: 0x1F\n        c: 'x\"y\\\\z'\n"
			"        d: \"tab\\there\\u0001\"\n        e: True\n        f: ~\n"
			"        g: +7\n        h: [ ]\n        a: 2\n        i: 01\n",
			&e),
		  0);
	CHECK_INT(c.payload.override.n, 1);
	if (c.payload.override.n && c.payload.override.v[0].params.n == 9) {
		const struct payload_param *p = c.payload.override.v[0].params.v;
		CHECK_STR(p[0].path, "b");
		CHECK_STR(p[0].json, "\"0x1F\"");
		CHECK_STR(p[1].json, "\"x\\\"y\\\\\\\\z\"");
		CHECK_STR(p[2].json, "\"tab\\there\\u0001\"");
		CHECK_STR(p[3].json, "true");
		CHECK_STR(p[4].json, "null");
		CHECK_STR(p[5].json, "7");
		CHECK_STR(p[6].json, "[]");
		CHECK_STR(p[7].path, "a");
		CHECK_STR(p[7].json, "2");
		CHECK_STR(p[8].json, "\"01\"");
	} else {
		CHECK(0);
	}
	end();
}

struct bad {
	const char *yaml;
	int rc;
	const char *key;
	int line;
	const char *msg; /* substring */
};

static const struct bad bad_cases[] = {
	{ "port: abc\n", -EINVAL, "port", 1, "expected an integer" },
	{ "# c\n\nport: 80.5\n", -EINVAL, "port", 3, "expected an integer" },
	{ "debug: maybe\n", -EINVAL, "debug", 1, "expected a boolean (true/false)" },
	{ "ws-auth: 1\n", -EINVAL, "ws-auth", 1, "expected a boolean" },
	{ "debug: [true]\n", -EINVAL, "debug", 1, "expected a boolean" },
	{ "api-keys: 5\n", -EINVAL, "api-keys", 1, "expected a list" },
	{ "api-keys: {a: b}\n", -EINVAL, "api-keys", 1, "expected a list" },
	{ "api-keys:\n  - ok\n  - [nested]\n", -EINVAL, "api-keys[1]", 3, "expected a string" },
	{ "host: [a]\n", -EINVAL, "host", 1, "expected a string" },
	{ "host: {a: b}\n", -EINVAL, "host", 1, "expected a string" },
	{ "tls: [1]\n", -EINVAL, "tls", 1, "expected a mapping" },
	{ "tls: yes\n", -EINVAL, "tls", 1, "expected a mapping" },
	{ "quota-exceeded: true\n", -EINVAL, "quota-exceeded", 1, "expected a mapping" },
	{ "tls:\n  enable: nope\n", -EINVAL, "tls.enable", 2, "expected a boolean" },
	{ "port: 0\n", -EINVAL, "port", 1, "must be between 1 and 65535" },
	{ "port: 65536\n", -EINVAL, "port", 1, "must be between 1 and 65535" },
	{ "port: -1\n", -EINVAL, "port", 1, "must be between 1 and 65535" },
	{ "port: 99999999999999999999999\n", -EINVAL, "port", 1, "must be between" },
	{ "request-retry: -1\n", -EINVAL, "request-retry", 1, "must not be negative" },
	{ "max-retry-credentials: -2\n", -EINVAL, "max-retry-credentials", 1, "negative" },
	{ "max-retry-interval: -5\n", -EINVAL, "max-retry-interval", 1, "negative" },
	{ "error-logs-max-files: -1\n", -EINVAL, "error-logs-max-files", 1, "negative" },
	{ "logs-max-total-size-mb: -1\n", -EINVAL, "logs-max-total-size-mb", 1, "negative" },
	{ "auth-auto-refresh-workers: -1\n", -EINVAL, "auth-auto-refresh-workers", 1, "negative" },
	{ "nonstream-keepalive-interval: -1\n", -EINVAL, "nonstream-keepalive-interval", 1, "negative" },
	{ "streaming:\n  keepalive-seconds: 1.5\n", -EINVAL, "streaming.keepalive-seconds", 2, "integer" },
	{ "streaming:\n  bootstrap-retries: -3\n", -EINVAL, "streaming.bootstrap-retries", 2, "negative" },
	{ "request-retry: 3000000000\n", -EINVAL, "request-retry", 1, "must be between 0 and 2147483647" },
	{ "routing:\n  strategy: random\n", -EINVAL, "routing.strategy", 2,
	  "expected round-robin or fill-first" },
	{ "codex-api-key:\n  - api-key: sk-1\n  - api-key: sk-2\n    proxy-url: direct\n", -EINVAL,
	  "codex-api-key[0].base-url", 2, "needs a base-url" },
	{ "codex-api-key:\n  - api-key: sk\n    base-url: \"  \"\n", -EINVAL, "codex-api-key[0].base-url",
	  2, "base-url" },
	{ "proxy-url: socks4://x\n", -EINVAL, "proxy-url", 1, "expected a proxy URL" },
	{ "proxy-url: http://\n", -EINVAL, "proxy-url", 1, "expected a proxy URL" },
	{ "proxy-url: proxy.example.com:8080\n", -EINVAL, "proxy-url", 1, "proxy URL" },
	{ "# c\nport: 8080\ngemini-api-key:\n  - api-key: k\n    proxy-url: ftp://x\n", -EINVAL,
	  "gemini-api-key[0].proxy-url", 5, "expected a proxy URL" },
	{ "openai-compatibility:\n  - base-url: https://x\n    api-key-entries:\n      - api-key: k\n"
	  "        proxy-url: bad\n",
	  -EINVAL, "openai-compatibility[0].api-key-entries[0].proxy-url", 5, "proxy URL" },
	{ "kiro:\n  - proxy-url: x\n", -EINVAL, "kiro[0].proxy-url", 2, "proxy URL" },
	{ "claude-api-key:\n  - proxy-url: tcp://x\n", -EINVAL, "claude-api-key[0].proxy-url", 2,
	  "proxy" },
	{ "vertex-api-key:\n  - proxy-url: x\n", -EINVAL, "vertex-api-key[0].proxy-url", 2, "proxy" },
	{ "gemini-api-key: {api-key: x}\n", -EINVAL, "gemini-api-key", 1, "expected a list" },
	{ "gemini-api-key:\n  - x\n", -EINVAL, "gemini-api-key[0]", 2, "expected a mapping" },
	{ "gemini-api-key:\n  - headers: [a]\n", -EINVAL, "gemini-api-key[0].headers", 2,
	  "expected a mapping of names to strings" },
	{ "gemini-api-key:\n  - headers:\n      X-A: {b: c}\n", -EINVAL, "gemini-api-key[0].headers.X-A",
	  3, "expected a string" },
	{ "gemini-api-key:\n  - headers:\n      X: \"a\\r\\nInjected: b\"\n", -EINVAL,
	  "gemini-api-key[0].headers.X", 3, "line break" },
	{ "api-keys:\n  - \"a\\0b\"\n", -EINVAL, "api-keys[0]", 2, "NUL" },
	{ "gemini-api-key:\n  - headers:\n      \"X Bad\": v\n", -EINVAL,
	  "gemini-api-key[0].headers.X Bad", 3, "not a valid HTTP header name" },
	{ "codex-api-key:\n  - headers: {\"X:\": v}\n", -EINVAL, "codex-api-key[0].headers.X:", 2,
	  "header name" },
	{ "openai-compatibility:\n  - headers:\n      X: \"a\\x1bb\"\n", -EINVAL,
	  "openai-compatibility[0].headers.X", 3, "not a valid HTTP header value" },
	{ "gemini-api-key:\n  - priority: high\n", -EINVAL, "gemini-api-key[0].priority", 2, "integer" },
	{ "gemini-api-key:\n  - models: {name: a}\n", -EINVAL, "gemini-api-key[0].models", 2, "list" },
	{ "claude-api-key:\n  - cloak: always\n", -EINVAL, "claude-api-key[0].cloak", 2, "mapping" },
	{ "claude-api-key:\n  - cloak:\n      strict-mode: 2\n", -EINVAL,
	  "claude-api-key[0].cloak.strict-mode", 3, "boolean" },
	{ "oauth-model-alias: [a]\n", -EINVAL, "oauth-model-alias", 1, "channel names" },
	{ "oauth-model-alias:\n  gemini-cli: {name: a}\n", -EINVAL, "oauth-model-alias.gemini-cli", 2,
	  "expected a list" },
	{ "oauth-model-alias:\n  gemini-cli:\n    - name: a\n      fork: sometimes\n", -EINVAL,
	  "oauth-model-alias.gemini-cli[0].fork", 4, "boolean" },
	{ "oauth-excluded-models:\n  claude: claude-3\n", -EINVAL, "oauth-excluded-models.claude", 2,
	  "list" },
	{ "payload:\n  default:\n    - params: [a]\n", -EINVAL, "payload.default[0].params", 3,
	  "expected a mapping of JSON paths" },
	{ "payload:\n  filter:\n    - params: {a: 1}\n", -EINVAL, "payload.filter[0].params", 3, "list" },
	{ "payload: []\n", -EINVAL, "payload", 1, "mapping" },
	{ "ampcode:\n  model-mappings:\n    - from: a\n      regex: x\n", -EINVAL,
	  "ampcode.model-mappings[0].regex", 4, "boolean" },
	{ "amp-restrict-management-to-localhost: 3\n", -EINVAL, "amp-restrict-management-to-localhost",
	  1, "boolean" },
	{ "generative-language-api-key: abc\n", -EINVAL, "generative-language-api-key", 1, "list" },
	{ "openai-compatibility:\n  - api-keys: k\n", -EINVAL, "openai-compatibility[0].api-keys", 2,
	  "list" },
	{ "auth:\n  providers: {a: b}\n", -EINVAL, "auth.providers", 2, "list" },
	{ "- a\n- b\n", -EINVAL, "", 1, "top level" },
	{ "just a string\n", -EINVAL, "", 1, "top level" },
	{ "? [a]\n: b\n", -EINVAL, "", 1, "mapping keys must be strings" },
	{ "a: &x 1\nb: *x\n", -EINVAL, "", 2, "aliases" },
	{ "base: &b {port: 1}\nother:\n  <<: *b\n", -EINVAL, "", 3, "aliases" },
};

static void test_bad_values(void)
{
	struct config c;
	struct config_error e;
	size_t i;

	begin();
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *b = &bad_cases[i];
		int rc = parse(&c, b->yaml, &e);
		if (rc != b->rc || strcmp(e.key, b->key) != 0 || e.line != b->line ||
		    !strstr(e.message, b->msg)) {
			printf("#   case %zu: rc %d key \"%s\" line %d col %d: %s\n", i, rc, e.key,
			       e.line, e.column, e.message);
			CHECK(0);
		}
		CHECK(e.column > 0);
		check_defaults(&c); /* failure leaves the defaults */
	}
	end();
}

static void test_yaml_syntax(void)
{
	static const struct {
		const char *yaml;
		int line;
	} cases[] = {
		{ "a: [1, 2\n", 2 },
		{ "port: 8317\nhost: \"unterminated\n", 3 },
		{ "a:\n  b: 1\n c: 2\n", 3 },
		{ "a: b: c\n", 1 },
		{ "\t- tab\n", 1 },
		{ "ok: 1\nbad: \x01\n", 2 },
		{ "ok: 1\nbad: \xff\n", 2 },
	};
	struct config c;
	struct config_error e;
	size_t i;

	begin();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(&c, cases[i].yaml, &e);
		CHECK_INT(rc, -EINVAL);
		CHECK_INT(e.line, cases[i].line);
		CHECK(strncmp(e.message, "YAML: ", 6) == 0);
		if (e.line != cases[i].line)
			printf("#   case %zu: line %d: %s\n", i, e.line, e.message);
	}
	end();
}

static void test_limits(void)
{
	struct config c;
	struct config_error e;
	char *s;
	size_t i, n;

	begin();
	/* Nesting: CONFIG_MAX_DEPTH levels are fine, one more is not. */
	s = arena_alloc(&A, 4 * CONFIG_MAX_DEPTH + 64);
	n = 0;
	memcpy(s, "x: ", 3), n = 3;
	for (i = 1; i < CONFIG_MAX_DEPTH; i++)
		s[n++] = '[';
	for (i = 1; i < CONFIG_MAX_DEPTH; i++)
		s[n++] = ']';
	CHECK_INT(config_parse(&c, &A, s, n, NULL, &e), 0);
	CHECK(c.nunknown == 1);
	n = 3;
	for (i = 0; i < CONFIG_MAX_DEPTH; i++)
		s[n++] = '[';
	for (i = 0; i < CONFIG_MAX_DEPTH; i++)
		s[n++] = ']';
	CHECK_INT(config_parse(&c, &A, s, n, NULL, &e), -E2BIG);
	CHECK(strstr(e.message, "deeper") != NULL);

	/* Node count. */
	n = 2 * CONFIG_MAX_NODES + 16;
	s = arena_alloc(&A, n);
	memcpy(s, "x: [", 4);
	for (i = 4; i + 2 < n; i += 2)
		memcpy(s + i, "1,", 2);
	s[i - 1] = ']';
	CHECK_INT(config_parse(&c, &A, s, i, NULL, &e), -E2BIG);
	CHECK(strstr(e.message, "nodes") != NULL);
	end();
}

static void test_booleans_nulls(void)
{
	struct config c;
	struct config_error e;

	begin();
	CHECK_INT(parse(&c, "debug: YES\nws-auth: On\nrequest-log: TRUE\ncommercial-mode: 'true'\n"
			    "usage-statistics-enabled: No\nquota-exceeded:\n  switch-project: OFF\n"
			    "  switch-preview-model: False\n",
			&e),
		  0);
	CHECK(c.debug && c.ws_auth && c.request_log && c.commercial_mode);
	CHECK(!c.usage_statistics_enabled && !c.quota_exceeded.switch_project &&
	      !c.quota_exceeded.switch_preview_model);

	/* Null means default; an explicit "" is a value. */
	CHECK_INT(parse(&c, "port:\nhost: ~\napi-keys:\ntls: null\nrouting:\n  strategy: NULL\n"
			    "usage-statistics-enabled: ~\ngemini-api-key:\n  - ~\n  -\n"
			    "pprof:\n  addr: \"\"\n",
			&e),
		  0);
	check_defaults(&c);
	CHECK_INT(parse(&c, "host: \"\"\n", &e), 0);
	CHECK_STR(c.host, ""); /* all interfaces, as in the original */
	CHECK_INT(parse(&c, "host: \"~\"\nport: \"8080\"\nrequest-retry: +2\n", &e), 0);
	CHECK_STR(c.host, "~");
	CHECK_INT(c.port, 8080);
	CHECK_INT(c.request_retry, 2);
	end();
}

static void test_strategy_proxy_ok(void)
{
	static const char *const rr[] = { "round-robin", "roundrobin", "RR", "Round-Robin", "\"\"" };
	static const char *const ff[] = { "fill-first", "fillfirst", "ff", "FF" };
	static const char *const proxies[] = { "socks5://h:1", "socks5h://u:p@h:1", "http://h",
					      "HTTPS://h:443", "direct", "NONE", "\"\"" };
	struct config c;
	struct config_error e;
	char doc[128];
	size_t i;

	begin();
	for (i = 0; i < sizeof(rr) / sizeof(rr[0]); i++) {
		snprintf(doc, sizeof(doc), "routing:\n  strategy: %s\n", rr[i]);
		CHECK_INT(parse(&c, doc, &e), 0);
		CHECK_STR(c.routing.strategy, "round-robin");
	}
	for (i = 0; i < sizeof(ff) / sizeof(ff[0]); i++) {
		snprintf(doc, sizeof(doc), "routing:\n  strategy: %s\n", ff[i]);
		CHECK_INT(parse(&c, doc, &e), 0);
		CHECK_STR(c.routing.strategy, "fill-first");
	}
	for (i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++) {
		snprintf(doc, sizeof(doc), "proxy-url: %s\n", proxies[i]);
		CHECK_INT(parse(&c, doc, &e), 0);
	}
	end();
}

static void test_duplicates(void)
{
	struct config c;
	struct config_error e;

	begin();
	CHECK_INT(parse(&c,
			"port: 1\nport: 2\ngemini-api-key:\n  - api-key: k1\n    headers:\n"
			"      A: one\n      B: b\n      A: two\n  - api-key: k1\n  - api-key: k2\n",
			&e),
		  0);
	CHECK_INT(c.port, 2);
	CHECK_INT(c.gemini_api_key.n, 2);
	if (c.gemini_api_key.n == 2) {
		const struct kvlist *h = &c.gemini_api_key.v[0].headers;
		CHECK_INT(h->n, 2);
		if (h->n == 2) {
			CHECK_STR(h->v[0].key, "B");
			CHECK_STR(h->v[1].key, "A");
			CHECK_STR(h->v[1].value, "two");
		}
		CHECK_STR(c.gemini_api_key.v[1].api_key, "k2");
	}
	CHECK_INT(parse(&c, "gemini-api-key:\n  - api-key: k\n    headers: {}\n"
			    "  - api-key: j\n    headers: {\"X-Tab\": \"a\\tb\", \"!#$%&'*+-.^_`|~\": 1}\n",
			&e),
		  0);
	CHECK_INT(c.gemini_api_key.v[0].headers.n, 0);
	CHECK_INT(c.gemini_api_key.v[1].headers.n, 2);
	/* A later list replaces an earlier one. */
	CHECK_INT(parse(&c, "api-keys: [a, b]\napi-keys: [c]\n", &e), 0);
	CHECK_INT(c.api_keys.n, 1);
	CHECK_STR(c.api_keys.v[0], "c");
	end();
}

static void test_api_keys(void)
{
	struct config c;
	struct config_error e;

	begin();
	CHECK_INT(parse(&c, "api-keys:\n  - \" k1 \"\n  - k2\n  - \"\"\n  - ~\n  - k1\n  - \"\\tk2\\n\"\n"
			    "  - 12345\n",
			&e),
		  0);
	CHECK_INT(c.api_keys.n, 3);
	if (c.api_keys.n == 3) {
		CHECK_STR(c.api_keys.v[0], "k1");
		CHECK_STR(c.api_keys.v[1], "k2");
		CHECK_STR(c.api_keys.v[2], "12345");
	}
	/* A block scalar's final newline is trimmed away, not refused. */
	CHECK_INT(parse(&c, "api-keys:\n  - |\n    block-key\n", &e), 0);
	CHECK_STR(c.api_keys.v[0], "block-key");
	end();
}

static void test_legacy(void)
{
	struct config c;
	struct config_error e;

	begin();
	CHECK_INT(config_load(&c, &A, DATA "legacy.yaml", &e), 0);
	CHECK_INT(c.nunknown, 0);
	CHECK_INT(c.gemini_api_key.n, 2);
	if (c.gemini_api_key.n == 2) {
		CHECK_STR(c.gemini_api_key.v[0].api_key, "AIzaSyGEMINIKEY000000001");
		CHECK_INT(c.gemini_api_key.v[0].line, 7);
		CHECK_STR(c.gemini_api_key.v[1].api_key, "AIzaSyLEGACY0000000000001");
		CHECK_STR(c.gemini_api_key.v[1].base_url, "");
		CHECK_STR(c.gemini_api_key.v[1].cloak.mode, "");
		CHECK_INT(c.gemini_api_key.v[1].line, 3);
	}
	CHECK_INT(c.openai_compatibility.n, 1);
	if (c.openai_compatibility.n) {
		const struct openai_compat *o = &c.openai_compatibility.v[0];
		CHECK_INT(o->nkeys, 2);
		if (o->nkeys == 2) {
			CHECK_STR(o->keys[0].api_key, "sk-old-0000000000000002");
			CHECK_STR(o->keys[0].proxy_url, "http://p.example.com:8080");
			CHECK_STR(o->keys[1].api_key, "sk-old-0000000000000001");
			CHECK_STR(o->keys[1].proxy_url, "");
		}
	}
	CHECK_STR(c.ampcode.upstream_url, "https://legacy-amp.example.com");
	CHECK_STR(c.ampcode.upstream_api_key, "amp-legacy-00000000001");
	CHECK(c.ampcode.restrict_management_to_localhost);
	CHECK_INT(c.ampcode.model_mappings.n, 1);
	CHECK_INT(c.api_keys.n, 2);
	if (c.api_keys.n == 2)
		CHECK_STR(c.api_keys.v[1], "legacy-client-key-2");

	/* The new keys win over the old ones; auth.providers only fills an
	   empty api-keys; an explicit false still overrides. */
	CHECK_INT(parse(&c,
			"amp-upstream-url: old\nampcode:\n  upstream-url: new\n  model-mappings:\n"
			"    - {from: x, to: y}\n  restrict-management-to-localhost: true\n"
			"amp-model-mappings: [{from: a, to: b}, {from: c, to: d}]\n"
			"amp-restrict-management-to-localhost: false\n"
			"api-keys: [k]\nauth:\n  providers:\n    - type: config-api-key\n"
			"      api-keys: [old]\n",
			&e),
		  0);
	CHECK_STR(c.ampcode.upstream_url, "new");
	CHECK_INT(c.ampcode.model_mappings.n, 1);
	CHECK(!c.ampcode.restrict_management_to_localhost);
	CHECK_INT(c.api_keys.n, 1);
	CHECK_STR(c.api_keys.v[0], "k");
	end();
}

static void test_unknown_keys(void)
{
	struct config c;
	struct config_error e;

	begin();
	CHECK_INT(parse(&c,
			"foo: 1\ngemini-api-key:\n  - api-key: k\n    bar: 2\nremote-management:\n"
			"  baz: {deep: [1]}\noauth-model-alias:\n  vertex:\n    - name: a\n"
			"      alias: b\n      zzz: 1\ncredential-concurrency: 4\nPort: 80\n",
			&e),
		  0);
	CHECK_INT(c.nunknown, 6);
	CHECK(has_unknown(&c, "foo", 1));
	CHECK(has_unknown(&c, "gemini-api-key[0].bar", 4));
	CHECK(has_unknown(&c, "remote-management.baz", 6));
	CHECK(has_unknown(&c, "oauth-model-alias.vertex[0].zzz", 11));
	CHECK(has_unknown(&c, "credential-concurrency", 12));
	CHECK(has_unknown(&c, "Port", 13));
	CHECK_INT(c.port, 8317); /* keys are case-sensitive, as in the original */
	end();
}

static void test_tilde(void)
{
	static const struct {
		const char *home, *raw, *want;
	} cases[] = {
		{ "/home/tester", "~", "/home/tester" },
		{ "/home/tester", "~/x/y", "/home/tester/x/y" },
		{ "/home/tester/", "~/x", "/home/tester/x" },
		{ "/", "~/x", "/x" },
		{ "/home/tester", "~other/x", "~other/x" },
		{ "/home/tester", "/var/lib/cliproxy", "/var/lib/cliproxy" },
		{ "/home/tester", "rel/dir", "rel/dir" },
		{ NULL, "~/x", "~/x" },
		{ "", "~/x", "~/x" },
	};
	struct config c;
	struct config_error e;
	char doc[128];
	size_t i;

	begin();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].home)
			setenv("HOME", cases[i].home, 1);
		else
			unsetenv("HOME");
		snprintf(doc, sizeof(doc), "auth-dir: \"%s\"\n", cases[i].raw);
		CHECK_INT(parse(&c, doc, &e), 0);
		CHECK_STR(c.auth_dir, cases[i].want);
		CHECK_STR(c.auth_dir_raw, cases[i].raw);
	}
	setenv("HOME", "/home/tester", 1);
	end();
}

static void test_print_masks_secrets(void)
{
	static const char *const secrets[] = {
		"sk-gemini-SECRET-0000000001", "mgmt-SECRET-0000000000001", "client-SECRET-000000001",
		"hunter2", "sk-codex-SECRET-000000001", "sk-oc-SECRET-00000000001",
		"amp-SECRET-0000000000001", "amp-SECRET-0000000000002", "kiro-access-SECRET-00001",
		"kiro-refresh-SECRET-0001", "shortkey", "sk-claude-SECRET-00000001",
		"Bearer header-SECRET-0001",
	};
	struct config c;
	struct config_error e;
	char *out = NULL;
	size_t outn = 0, i;
	FILE *f;

	begin();
	CHECK_INT(parse(&c,
			"api-keys: [client-SECRET-000000001]\n"
			"remote-management:\n  secret-key: mgmt-SECRET-0000000000001\n"
			"proxy-url: http://user:hunter2@proxy:3128\n"
			"gemini-api-key:\n  - api-key: sk-gemini-SECRET-0000000001\n"
			"    proxy-url: socks5://hunter2@proxy:1080/\n"
			"    headers: {Authorization: Bearer header-SECRET-0001}\n"
			"  - api-key: shortkey\n"
			"codex-api-key:\n  - api-key: sk-codex-SECRET-000000001\n    base-url: https://c\n"
			"claude-api-key:\n  - api-key: sk-claude-SECRET-00000001\n"
			"openai-compatibility:\n  - name: x\n    base-url: https://x\n"
			"    api-keys: [sk-oc-SECRET-00000000001]\n"
			"ampcode:\n  upstream-api-key: amp-SECRET-0000000000001\n  upstream-api-keys:\n"
			"    - upstream-api-key: amp-SECRET-0000000000002\n"
			"kiro:\n  - access-token: kiro-access-SECRET-00001\n"
			"    refresh-token: kiro-refresh-SECRET-0001\n",
			&e),
		  0);
	f = open_memstream(&out, &outn);
	CHECK(f != NULL);
	if (!f) {
		end();
		return;
	}
	config_print(&c, f);
	fclose(f);
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(out, secrets[i])) {
			printf("#   secret \"%s\" printed\n", secrets[i]);
			CHECK(0);
		}
	CHECK(strstr(out, "gemini-api-key[0]: api-key=sk-g\xe2\x80\xa6" "0001 ") != NULL);
	CHECK(strstr(out, "gemini-api-key[1]: api-key=**** ") != NULL);
	CHECK(strstr(out, "remote-management.secret-key: mgmt\xe2\x80\xa6" "0001\n") != NULL);
	CHECK(strstr(out, "proxy-url: http://user:****@proxy:3128\n") != NULL);
	CHECK(strstr(out, "proxy-url=socks5://****@proxy:1080/") != NULL);
	CHECK(strstr(out, "api-keys: 1\n") != NULL);
	CHECK(strstr(out, "port: 8317\n") != NULL);
	CHECK(strstr(out, "configuration OK") == NULL);
	CHECK(outn > 0 && out[outn - 1] == '\n');
	free(out);
	end();
}

struct keyset {
	char *v[512];
	size_t n;
};

static void collect(const char *key, void *arg)
{
	struct keyset *s = arg;

	if (s->n < 512)
		s->v[s->n++] = strdup(key);
}

static bool in_keys(const char *k)
{
	size_t i;

	for (i = 0; config_keys[i]; i++)
		if (strcmp(config_keys[i], k) == 0)
			return true;
	return false;
}

static void test_keys_tables_and_man(void)
{
	struct keyset s = { .n = 0 };
	size_t i, j, n;
	char *man = NULL, line[256];
	FILE *f;

	config_schema_keys(collect, &s);
	for (i = 0; i < s.n; i++)
		if (!in_keys(s.v[i])) {
			printf("#   parser key \"%s\" missing from config_keys\n", s.v[i]);
			CHECK(0);
		}
	for (n = 0; config_keys[n]; n++) {
		bool found = false;
		for (j = 0; j < s.n && !found; j++)
			found = strcmp(s.v[j], config_keys[n]) == 0;
		if (!found) {
			printf("#   config_keys \"%s\" unknown to the parser\n", config_keys[n]);
			CHECK(0);
		}
		for (j = 0; j < n; j++)
			CHECK(strcmp(config_keys[j], config_keys[n]) != 0);
	}
	CHECK_INT(n, s.n);
	for (i = 0; i < s.n; i++)
		free(s.v[i]);

	/* Every key has its own .It Cm entry in the manual. */
	f = fopen("man/cliproxy.yaml.5", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	{
		size_t cap = 0, len = 0;
		while (fgets(line, sizeof(line), f)) {
			size_t l = strlen(line);
			if (len + l + 1 > cap) {
				cap = (len + l + 1) * 2;
				man = realloc(man, cap);
			}
			memcpy(man + len, line, l + 1);
			len += l;
		}
	}
	fclose(f);
	for (i = 0; config_keys[i]; i++) {
		snprintf(line, sizeof(line), "\n.It Cm %s\n", config_keys[i]);
		if (!man || !strstr(man, line)) {
			printf("#   man/cliproxy.yaml.5 lacks \".It Cm %s\"\n", config_keys[i]);
			CHECK(0);
		}
	}
	free(man);
}

static char tmpdir[64];

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_default_path(void)
{
	char cwd[PATH_MAX], p[256], want[256];
	const char *etc = "/etc/cliproxy/config.yaml", *got;
	bool has_etc = access(etc, F_OK) == 0;

	begin();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cliproxy-cfg.XXXXXX");
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(mkdtemp(tmpdir) != NULL);
	CHECK(chdir(tmpdir) == 0);
	snprintf(p, sizeof(p), "%s/home", tmpdir);
	mkdir(p, 0700);
	setenv("HOME", p, 1);
	unsetenv("XDG_CONFIG_HOME");

	got = config_default_path(&A);
	if (has_etc)
		CHECK_STR(got, etc);
	else
		CHECK(got == NULL);

	mkdir("home/.config", 0700);
	mkdir("home/.config/cliproxy", 0700);
	put_file("home/.config/cliproxy/config.yaml", "port: 1\n");
	snprintf(want, sizeof(want), "%s/home/.config/cliproxy/config.yaml", tmpdir);
	CHECK_STR(config_default_path(&A), want);

	/* XDG_CONFIG_HOME replaces ~/.config; a relative one is ignored. */
	snprintf(p, sizeof(p), "%s/xdg", tmpdir);
	mkdir(p, 0700);
	setenv("XDG_CONFIG_HOME", p, 1);
	got = config_default_path(&A);
	if (has_etc)
		CHECK_STR(got, etc);
	else
		CHECK(got == NULL);
	mkdir("xdg/cliproxy", 0700);
	put_file("xdg/cliproxy/config.yaml", "port: 2\n");
	snprintf(want, sizeof(want), "%s/xdg/cliproxy/config.yaml", tmpdir);
	CHECK_STR(config_default_path(&A), want);
	setenv("XDG_CONFIG_HOME", "xdg", 1);
	snprintf(want, sizeof(want), "%s/home/.config/cliproxy/config.yaml", tmpdir);
	CHECK_STR(config_default_path(&A), want);

	/* ./config.yaml first; a directory of that name does not count. */
	mkdir("config.yaml", 0700);
	CHECK_STR(config_default_path(&A), want);
	rmdir("config.yaml");
	put_file("config.yaml", "port: 3\n");
	CHECK_STR(config_default_path(&A), "config.yaml");

	unlink("config.yaml");
	unlink("xdg/cliproxy/config.yaml");
	rmdir("xdg/cliproxy");
	rmdir("xdg");
	unlink("home/.config/cliproxy/config.yaml");
	rmdir("home/.config/cliproxy");
	rmdir("home/.config");
	rmdir("home");
	CHECK(chdir(cwd) == 0);
	rmdir(tmpdir);
	unsetenv("XDG_CONFIG_HOME");
	end();
}

static void test_load_errors(void)
{
	struct config c;
	struct config_error e;
	char path[64];
	size_t i;
	FILE *f;
	int fd;

	begin();
	CHECK_INT(config_load(&c, &A, "tests/data/config/does-not-exist.yaml", &e), -ENOENT);
	CHECK(strstr(e.message, "does-not-exist.yaml") != NULL);
	check_defaults(&c);
	CHECK_INT(config_load(&c, &A, "tests/data/config", &e), -EISDIR);

	/* LIMIT_CONFIG_BYTES is fine, one byte more is not. */
	snprintf(path, sizeof(path), "/tmp/cliproxy-big.XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0) {
		end();
		return;
	}
	f = fdopen(fd, "w");
	fputs("port: 1234\n#", f);
	for (i = 12; i < LIMIT_CONFIG_BYTES; i++)
		fputc('x', f);
	fflush(f);
	CHECK_INT(config_load(&c, &A, path, &e), 0);
	CHECK_INT(c.port, 1234);
	fputc('x', f);
	fclose(f);
	CHECK_INT(config_load(&c, &A, path, &e), -EFBIG);
	CHECK(strstr(e.message, "larger than") != NULL);
	unlink(path);

	/* An empty file is the defaults. */
	put_file(path, "");
	CHECK_INT(config_load(&c, &A, path, &e), 0);
	check_defaults(&c);
	CHECK_STR(c.path, path);
	unlink(path);
	end();
}

static void test_anchors_without_aliases(void)
{
	struct config c;
	struct config_error e;

	begin();
	CHECK_INT(parse(&c, "port: &p 9000\ntls: &t\n  enable: true\n", &e), 0);
	CHECK_INT(c.port, 9000);
	CHECK(c.tls.enable);
	CHECK_INT(parse(&c, "port: !!str 9001\nhost: !!str 10.0.0.1\n", &e), 0);
	CHECK_INT(c.port, 9001);
	end();
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_empty_documents);
	RUN(test_readme_example);
	RUN(test_all_keys);
	RUN(test_payload);
	RUN(test_bad_values);
	RUN(test_yaml_syntax);
	RUN(test_limits);
	RUN(test_booleans_nulls);
	RUN(test_strategy_proxy_ok);
	RUN(test_duplicates);
	RUN(test_api_keys);
	RUN(test_legacy);
	RUN(test_unknown_keys);
	RUN(test_tilde);
	RUN(test_print_masks_secrets);
	RUN(test_keys_tables_and_man);
	RUN(test_default_path);
	RUN(test_load_errors);
	RUN(test_anchors_without_aliases);
	return CHECK_DONE();
}
