/*
 * test_registry.c - providers/registry.c: credentials from the config (ids,
 * masked labels, skipped empty keys, keyless openai-compatibility), lookup
 * with aliases, "(...)" suffixes, prefixes and force-model-prefix, excluded
 * patterns, alias pools and order, /v1/models listing, base URL resolution.
 * The provider objects below are weak stand-ins: when the real provider
 * files are linked they win, and every check holds for either.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "core/arena.h"
#include "core/config.h"
#include "providers/provider.h"
#include "tests/unit/check.h"

static const char *const fake_claude_cat[] = { "claude-sonnet-4-5-20250929", "claude-opus-4-6",
					       NULL };
static const char *const fake_gemini_cat[] = { "gemini-2.5-pro", "gemini-2.5-flash", NULL };
static const char *const fake_codex_cat[] = { "gpt-5", "gpt-5-codex", NULL };

#define WEAK __attribute__((weak))
const struct provider provider_claude WEAK = { .name = "claude", .config_key = "claude-api-key",
					       .family = IR_FAM_CLAUDE,
					       .catalogue = fake_claude_cat };
const struct provider provider_gemini WEAK = { .name = "gemini", .config_key = "gemini-api-key",
					       .family = IR_FAM_GEMINI,
					       .catalogue = fake_gemini_cat };
const struct provider provider_codex WEAK = { .name = "codex", .config_key = "codex-api-key",
					      .family = IR_FAM_RESPONSES, .stream_only = true,
					      .catalogue = fake_codex_cat };
const struct provider provider_openai_compat WEAK = { .name = "openai-compat",
						      .config_key = "openai-compatibility",
						      .family = IR_FAM_OPENAI };

/* A provider only these tests use, with a catalogue they control. */
static const char *const test_cat[] = { "gemini-2.5-pro",   "gemini-2.5-flash",
					"gemini-2.5-flash-lite", "gemini-3-pro-preview",
					"gemini-1.5-pro-latest", "text-embedding-004",
					NULL };
static const struct provider test_prov = {
	.name = "test",
	.config_key = "test-api-key",
	.family = IR_FAM_GEMINI,
	.default_base_url = "https://default.example/",
	.base_url_env = "CLIPROXY_TEST_REGISTRY_BASE_URL",
	.catalogue = test_cat,
};

static struct arena A, S;

static void begin(void)
{
	arena_init(&A, 64L * 1024 * 1024);
	arena_init_secret(&S, 1024 * 1024);
}

static void end(void)
{
	arena_release(&A);
	arena_release(&S);
}

static struct provider_key pkey(const char *key, const char *base, const char *prefix)
{
	struct provider_key k;

	memset(&k, 0, sizeof(k));
	k.api_key = key;
	k.base_url = base ? base : "";
	k.proxy_url = "";
	k.prefix = prefix ? prefix : "";
	k.cloak.mode = "";
	return k;
}

static struct model_alias MA(const char *name, const char *alias)
{
	struct model_alias m;

	memset(&m, 0, sizeof(m));
	m.name = name;
	m.alias = alias;
	return m;
}

/* Storage for the test config (static: the registry points into it). */
static struct provider_key claude_keys[3], gemini_keys[1], codex_keys[1];
static struct model_alias claude0_models[1], codex0_models[1], or_models[4], local_models[1];
static struct openai_compat compat[2];
static struct openai_compat_key or_keys[2];

static void make_config(struct config *c, bool force_prefix)
{
	memset(c, 0, sizeof(*c));
	c->routing.strategy = "round-robin";
	c->force_model_prefix = force_prefix;

	claude_keys[0] = pkey("sk-ant-abcdefgh12345678", NULL, NULL);
	claude0_models[0] = MA("claude-sonnet-4-5-20250929", "sonnet");
	claude_keys[0].models.v = claude0_models;
	claude_keys[0].models.n = 1;
	claude_keys[1] = pkey("", NULL, NULL); /* skipped */
	claude_keys[2] = pkey("short", "https://proxy.example/", "team");
	c->claude_api_key.v = claude_keys;
	c->claude_api_key.n = 3;

	gemini_keys[0] = pkey("AIzaSyA-0123456789abcdef", NULL, NULL);
	c->gemini_api_key.v = gemini_keys;
	c->gemini_api_key.n = 1;

	codex_keys[0] = pkey("sk-codex-0123456789", "https://codex.example/v1/", NULL);
	codex0_models[0] = MA("gpt-5", "");
	codex_keys[0].models.v = codex0_models;
	codex_keys[0].models.n = 1;
	c->codex_api_key.v = codex_keys;
	c->codex_api_key.n = 1;

	memset(compat, 0, sizeof(compat));
	or_keys[0].api_key = "sk-or-1111111111111";
	or_keys[0].proxy_url = "";
	or_keys[1].api_key = "sk-or-2222222222222";
	or_keys[1].proxy_url = "socks5://127.0.0.1:1080";
	or_models[0] = MA("anthropic/claude-3.5", "or-claude");
	or_models[1] = MA("openai/gpt-4o", "");
	or_models[2] = MA("gemini-2.5-pro", "");
	or_models[3] = MA("openai/gpt-4o-mini", "or-claude"); /* an alias pool */
	compat[0].name = "openrouter";
	compat[0].base_url = "https://openrouter.ai/api/v1";
	compat[0].prefix = "";
	compat[0].keys = or_keys;
	compat[0].nkeys = 2;
	compat[0].models.v = or_models;
	compat[0].models.n = 4;
	compat[0].priority = 3;
	local_models[0] = MA("llama3", "");
	compat[1].name = "local";
	compat[1].base_url = "http://127.0.0.1:11434/v1";
	compat[1].prefix = "";
	compat[1].models.v = local_models;
	compat[1].models.n = 1;
	c->openai_compatibility.v = compat;
	c->openai_compatibility.n = 2;
}

static void expect_id(const char *id, const char *name, const char *key, const char *base)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char want[64], in[256];
	size_t i, n = strlen(name);

	snprintf(in, sizeof(in), "%s\n%s", key, base);
	SHA256((const unsigned char *)in, strlen(in), md);
	memcpy(want, name, n);
	want[n++] = '-';
	for (i = 0; i < 6; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%02x", md[i]);
	CHECK_STR(id, want);
}

static void test_build(void)
{
	struct registry r;
	struct config c;
	size_t i;

	begin();
	make_config(&c, false);
	CHECK_INT(registry_build(&r, &c, &A, &S), 0);
	CHECK_INT(r.ncreds, 7);
	if (r.ncreds != 7)
		goto out;
	/* claude[0], claude[2], gemini[0], codex[0], openrouter x2, local */
	CHECK_STR(r.creds[0].prov->name, "claude");
	CHECK_INT(r.creds[0].index, 0);
	CHECK_STR(r.creds[0].label, "claude-api-key[0] sk-a\xe2\x80\xa6" "5678");
	expect_id(r.creds[0].id, "claude", "sk-ant-abcdefgh12345678", "");
	CHECK_STR(r.creds[0].api_key, "sk-ant-abcdefgh12345678");
	CHECK(r.creds[0].api_key != claude_keys[0].api_key);
	CHECK(r.creds[0].base_url == NULL);
	CHECK(r.creds[0].prefix == NULL);
	CHECK(r.creds[0].compat_name == NULL);

	CHECK_INT(r.creds[1].index, 2);
	CHECK_STR(r.creds[1].label, "claude-api-key[2] ****");
	CHECK_STR(r.creds[1].prefix, "team");
	CHECK_STR(r.creds[1].base_url, "https://proxy.example/");
	expect_id(r.creds[1].id, "claude", "short", "https://proxy.example/");

	CHECK_STR(r.creds[2].prov->name, "gemini");
	CHECK_STR(r.creds[2].label, "gemini-api-key[0] AIza\xe2\x80\xa6" "cdef");
	CHECK_STR(r.creds[3].prov->name, "codex");
	expect_id(r.creds[3].id, "codex", "sk-codex-0123456789", "https://codex.example/v1/");

	CHECK_STR(r.creds[4].prov->name, "openai-compat");
	CHECK_STR(r.creds[4].compat_name, "openrouter");
	CHECK_STR(r.creds[4].label, "openai-compatibility[0] openrouter sk-o\xe2\x80\xa6" "1111");
	CHECK_INT(r.creds[4].priority, 3);
	CHECK(r.creds[4].proxy_url == NULL);
	CHECK_STR(r.creds[5].proxy_url, "socks5://127.0.0.1:1080");
	CHECK(strcmp(r.creds[4].id, r.creds[5].id) != 0);
	expect_id(r.creds[5].id, "openai-compat", "sk-or-2222222222222", "https://openrouter.ai/api/v1");

	CHECK_STR(r.creds[6].compat_name, "local");
	CHECK_STR(r.creds[6].api_key, "");
	CHECK_STR(r.creds[6].label, "openai-compatibility[1] local (no key)");

	/* No label or id carries a whole key. */
	for (i = 0; i < r.ncreds; i++) {
		if (strlen(r.creds[i].api_key) >= 8)
			CHECK(strstr(r.creds[i].label, r.creds[i].api_key) == NULL);
		CHECK(strstr(r.creds[i].id, "sk-") == NULL);
	}
out:
	end();
}

static void test_lookup_alias_suffix(void)
{
	struct registry r;
	struct config c;
	struct target *t;
	size_t n;

	begin();
	make_config(&c, false);
	CHECK_INT(registry_build(&r, &c, &A, &S), 0);

	CHECK_INT(registry_lookup(&r, "sonnet", &t, &n), 0);
	CHECK_INT(n, 1);
	CHECK(t[0].cred == &r.creds[0]);
	CHECK_STR(t[0].upstream_model, "claude-sonnet-4-5-20250929");

	/* thinking suffix: stripped for matching, kept upstream */
	CHECK_INT(registry_lookup(&r, "sonnet(16384)", &t, &n), 0);
	CHECK_INT(n, 1);
	CHECK_STR(t[0].upstream_model, "claude-sonnet-4-5-20250929(16384)");

	/* the aliased name is hidden on claude[0] but served by claude[2]
	   (no models: the catalogue), unprefixed while force is off */
	CHECK_INT(registry_lookup(&r, "claude-sonnet-4-5-20250929", &t, &n), 0);
	CHECK_INT(n, 1);
	CHECK(t[0].cred == &r.creds[1]);
	CHECK_STR(t[0].upstream_model, "claude-sonnet-4-5-20250929");

	/* codex with a models list serves only it */
	CHECK_INT(registry_lookup(&r, "gpt-5(high)", &t, &n), 0);
	CHECK_INT(n, 1);
	CHECK_STR(t[0].upstream_model, "gpt-5(high)");
	CHECK_INT(registry_lookup(&r, "gpt-5-codex", &t, &n), -ENOENT);

	/* a '/' in an upstream name is not a prefix */
	CHECK_INT(registry_lookup(&r, "openai/gpt-4o", &t, &n), 0);
	CHECK_INT(n, 2);
	CHECK(t[0].cred == &r.creds[4] && t[1].cred == &r.creds[5]);

	/* keyless compat entry */
	CHECK_INT(registry_lookup(&r, "llama3", &t, &n), 0);
	CHECK_INT(n, 1);
	CHECK(t[0].cred == &r.creds[6]);

	/* a suffix alone or a parenthesis inside is not a suffix */
	CHECK_INT(registry_lookup(&r, "(x)", &t, &n), -ENOENT);
	CHECK_INT(registry_lookup(&r, "", &t, &n), -ENOENT);
	CHECK_INT(registry_lookup(&r, "no-such-model", &t, &n), -ENOENT);
	CHECK_INT(registry_lookup(&r, "no-such-model(8192)", &t, &n), -ENOENT);
	CHECK_INT(registry_lookup(&r, "sonnet(1", &t, &n), -ENOENT);
	end();
}

static void test_lookup_order_and_pool(void)
{
	struct registry r;
	struct config c;
	struct target *t;
	size_t n;

	begin();
	make_config(&c, false);
	CHECK_INT(registry_build(&r, &c, &A, &S), 0);

	/* by provider, then config order: gemini key first, then both openrouter keys */
	CHECK_INT(registry_lookup(&r, "gemini-2.5-pro", &t, &n), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK(t[0].cred == &r.creds[2]);
		CHECK(t[1].cred == &r.creds[4]);
		CHECK(t[2].cred == &r.creds[5]);
	}
	/* one alias, two upstream names: both, in order, per key */
	CHECK_INT(registry_lookup(&r, "or-claude", &t, &n), 0);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(t[0].upstream_model, "anthropic/claude-3.5");
		CHECK_STR(t[1].upstream_model, "openai/gpt-4o-mini");
		CHECK(t[0].cred == &r.creds[4] && t[1].cred == &r.creds[4]);
		CHECK(t[2].cred == &r.creds[5] && t[3].cred == &r.creds[5]);
	}
	/* an alias hides the upstream name on that credential */
	CHECK_INT(registry_lookup(&r, "anthropic/claude-3.5", &t, &n), -ENOENT);
	end();
}

static void test_lookup_prefix(void)
{
	struct registry r;
	struct config c;
	struct target *t;
	size_t n;

	begin();
	make_config(&c, false);
	CHECK_INT(registry_build(&r, &c, &A, &S), 0);
	CHECK(!r.creds[1].prefix_only);
	CHECK_INT(registry_lookup(&r, "team/claude-opus-4-6", &t, &n), 0);
	CHECK_INT(n, 1);
	CHECK(t[0].cred == &r.creds[1]);
	CHECK_STR(t[0].upstream_model, "claude-opus-4-6");
	CHECK_INT(registry_lookup(&r, "team/claude-opus-4-6(max)", &t, &n), 0);
	CHECK_STR(t[0].upstream_model, "claude-opus-4-6(max)");
	CHECK_INT(registry_lookup(&r, "claude-opus-4-6", &t, &n), 0);
	CHECK_INT(registry_lookup(&r, "other/claude-opus-4-6", &t, &n), -ENOENT);
	CHECK_INT(registry_lookup(&r, "team/sonnet", &t, &n), -ENOENT); /* claude[0] has no prefix */
	end();

	/* force-model-prefix: the prefixed credential answers only prefixed ids */
	begin();
	make_config(&c, true);
	CHECK_INT(registry_build(&r, &c, &A, &S), 0);
	CHECK(r.creds[1].prefix_only);
	CHECK(!r.creds[0].prefix_only); /* no prefix: unaffected */
	CHECK_INT(registry_lookup(&r, "claude-opus-4-6", &t, &n), -ENOENT);
	CHECK_INT(registry_lookup(&r, "team/claude-opus-4-6", &t, &n), 0);
	CHECK_INT(registry_lookup(&r, "sonnet", &t, &n), 0);
	end();
}

static void test_excluded(void)
{
	const char *pats[] = { "gemini-2.5-flash-lite", "gemini-3*", "*-latest", "*EMBEDDING*" };
	struct strlist ex = { pats, 4 };
	struct model_alias_list none = { NULL, 0 };
	struct credential cr[1];
	struct registry r;
	struct target *t;
	struct model_info *mi;
	size_t n, i;

	begin();
	memset(cr, 0, sizeof(cr));
	cr[0].id = "test-000000000000";
	cr[0].label = "test";
	cr[0].prov = &test_prov;
	cr[0].api_key = "k";
	cr[0].models = &none;
	cr[0].excluded_models = &ex;
	r.creds = cr;
	r.ncreds = 1;
	r.a = &A;
	CHECK_INT(registry_lookup(&r, "gemini-2.5-pro", &t, &n), 0);
	CHECK_INT(registry_lookup(&r, "gemini-2.5-flash", &t, &n), 0);       /* exact only */
	CHECK_INT(registry_lookup(&r, "gemini-2.5-flash-lite", &t, &n), -ENOENT); /* exact */
	CHECK_INT(registry_lookup(&r, "gemini-3-pro-preview", &t, &n), -ENOENT);  /* prefix* */
	CHECK_INT(registry_lookup(&r, "gemini-1.5-pro-latest", &t, &n), -ENOENT); /* *suffix */
	CHECK_INT(registry_lookup(&r, "text-embedding-004", &t, &n), -ENOENT);    /* *substr*, any case */
	CHECK_INT(registry_models(&r, &mi, &n), 0);
	CHECK_INT(n, 2);
	for (i = 0; i < n; i++)
		CHECK(strcmp(mi[i].id, "gemini-2.5-flash") == 0 || strcmp(mi[i].id, "gemini-2.5-pro") == 0);

	/* "*" alone excludes everything */
	pats[0] = "*";
	CHECK_INT(registry_lookup(&r, "gemini-2.5-pro", &t, &n), -ENOENT);
	end();
}

static const struct model_info *find_model(const struct model_info *v, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

static void test_models(void)
{
	const struct model_info *m;
	struct model_info *mi;
	struct registry r;
	struct target *t;
	struct config c;
	size_t n, i;

	begin();
	make_config(&c, false);
	CHECK_INT(registry_build(&r, &c, &A, &S), 0);
	CHECK_INT(registry_models(&r, &mi, &n), 0);
	CHECK(n > 8);
	for (i = 1; i < n; i++)
		CHECK(strcmp(mi[i - 1].id, mi[i].id) < 0); /* sorted, distinct */
	m = find_model(mi, n, "sonnet");
	CHECK(m && strcmp(m->owned_by, "anthropic") == 0 && m->created > 0);
	m = find_model(mi, n, "team/claude-opus-4-6");
	CHECK(m && strcmp(m->owned_by, "anthropic") == 0);
	CHECK(find_model(mi, n, "claude-opus-4-6") != NULL);
	m = find_model(mi, n, "gemini-2.5-pro"); /* gemini key first, then openrouter */
	CHECK(m && strcmp(m->owned_by, "google") == 0);
	m = find_model(mi, n, "gpt-5");
	CHECK(m && strcmp(m->owned_by, "openai") == 0);
	m = find_model(mi, n, "or-claude");
	CHECK(m && strcmp(m->owned_by, "openrouter") == 0);
	m = find_model(mi, n, "llama3");
	CHECK(m && strcmp(m->owned_by, "local") == 0);
	CHECK(find_model(mi, n, "anthropic/claude-3.5") == NULL);
	CHECK(find_model(mi, n, "gpt-5-codex") == NULL);
	end();

	begin();
	make_config(&c, true);
	CHECK_INT(registry_build(&r, &c, &A, &S), 0);
	CHECK_INT(registry_models(&r, &mi, &n), 0);
	CHECK(find_model(mi, n, "team/claude-opus-4-6") != NULL);
	CHECK(find_model(mi, n, "claude-opus-4-6") == NULL);
	end();

	/* empty registry */
	begin();
	memset(&c, 0, sizeof(c));
	CHECK_INT(registry_build(&r, &c, &A, &S), 0);
	CHECK_INT(r.ncreds, 0);
	CHECK_INT(registry_models(&r, &mi, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(registry_lookup(&r, "gpt-5", &t, &n), -ENOENT);
	end();
}

static void test_base_url(void)
{
	struct credential cr;

	begin();
	memset(&cr, 0, sizeof(cr));
	cr.prov = &test_prov;
	unsetenv("CLIPROXY_TEST_REGISTRY_BASE_URL");
	CHECK_STR(provider_base_url(&cr, &A), "https://default.example");
	setenv("CLIPROXY_TEST_REGISTRY_BASE_URL", "", 1);
	CHECK_STR(provider_base_url(&cr, &A), "https://default.example");
	setenv("CLIPROXY_TEST_REGISTRY_BASE_URL", "http://127.0.0.1:9/mock//", 1);
	CHECK_STR(provider_base_url(&cr, &A), "http://127.0.0.1:9/mock");
	cr.base_url = "https://mine.example/v1/";
	CHECK_STR(provider_base_url(&cr, &A), "https://mine.example/v1");
	unsetenv("CLIPROXY_TEST_REGISTRY_BASE_URL");
	end();
}

int main(void)
{
	RUN(test_build);
	RUN(test_lookup_alias_suffix);
	RUN(test_lookup_order_and_pool);
	RUN(test_lookup_prefix);
	RUN(test_excluded);
	RUN(test_models);
	RUN(test_base_url);
	return CHECK_DONE();
}
