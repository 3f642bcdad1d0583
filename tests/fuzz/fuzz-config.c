/*
 * fuzz-config.c - libFuzzer harness for core/config.c.  Parses the input as
 * config.yaml in a fresh arena; when it loads, checks the invariants config.h
 * promises (no NULL strings, valid strategy, port and proxy URLs, codex
 * base-url), prints it with config_print and asserts a second parse prints
 * the same.  Any error must come with a message.  Arena released each time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ARENA (64L * 1024 * 1024)

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz-config: %s:%d: %s\n", __FILE__,     \
				__LINE__, #c);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

static void check_proxy(const char *p)
{
	ASSERT(p);
	ASSERT(!*p || !strcasecmp(p, "direct") || !strcasecmp(p, "none") ||
	       !strncasecmp(p, "socks5://", 9) || !strncasecmp(p, "socks5h://", 10) ||
	       !strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8));
	ASSERT(!strpbrk(p, "\r\n"));
}

static void check_keys(const struct provider_key_list *l, int codex)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const struct provider_key *k = &l->v[i];
		ASSERT(k->api_key && k->base_url && k->prefix && k->cloak.mode);
		check_proxy(k->proxy_url);
		ASSERT(!codex || *k->base_url);
		ASSERT(!strchr(k->prefix, '/'));
		ASSERT(k->line > 0);
		for (j = 0; j < k->headers.n; j++)
			ASSERT(*k->headers.v[j].key && *k->headers.v[j].value);
		for (j = 0; j < k->models.n; j++)
			ASSERT(*k->models.v[j].name && k->models.v[j].alias);
	}
}

static void check_config(const struct config *c)
{
	size_t i, j;

	ASSERT(c->host && c->tls.cert && c->tls.key && c->auth_dir && c->auth_dir_raw);
	ASSERT(c->remote_management.secret_key && *c->remote_management.panel_github_repository);
	ASSERT(*c->pprof.addr && c->claude_header_defaults.timeout);
	ASSERT(c->codex_header_defaults.beta_features && c->ampcode.upstream_url);
	ASSERT(c->port >= 1 && c->port <= 65535);
	ASSERT(c->request_retry >= 0 && c->max_retry_interval >= 0);
	ASSERT(!strcmp(c->routing.strategy, "round-robin") || !strcmp(c->routing.strategy, "fill-first"));
	check_proxy(c->proxy_url);
	check_keys(&c->gemini_api_key, 0);
	check_keys(&c->codex_api_key, 1);
	check_keys(&c->claude_api_key, 0);
	check_keys(&c->vertex_api_key, 0);
	for (i = 0; i < c->api_keys.n; i++)
		ASSERT(*c->api_keys.v[i]);
	for (i = 0; i < c->openai_compatibility.n; i++) {
		const struct openai_compat *o = &c->openai_compatibility.v[i];
		ASSERT(*o->base_url && o->name);
		for (j = 0; j < o->nkeys; j++) {
			ASSERT(*o->keys[j].api_key);
			check_proxy(o->keys[j].proxy_url);
		}
	}
	for (i = 0; i < c->kiro.n; i++)
		check_proxy(c->kiro.v[i].proxy_url);
	for (i = 0; i < c->oauth_model_alias.n; i++) {
		ASSERT(c->oauth_model_alias.v[i].n > 0);
		for (j = 0; j < c->oauth_model_alias.v[i].n; j++)
			ASSERT(strcasecmp(c->oauth_model_alias.v[i].v[j].name,
					  c->oauth_model_alias.v[i].v[j].alias));
	}
	for (i = 0; i < c->payload.default_.n; i++)
		for (j = 0; j < c->payload.default_.v[i].params.n; j++)
			ASSERT(*c->payload.default_.v[i].params.v[j].json);
	for (i = 0; i < c->nunknown; i++)
		ASSERT(c->unknown[i].key && c->unknown[i].line > 0);
}

static char *print(const struct config *c, size_t *ret_n)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, ret_n);

	ASSERT(f);
	config_print(c, f);
	ASSERT(fclose(f) == 0);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct config c, c2;
	struct config_error e;
	char *out, *out2;
	size_t n, n2;
	int rc;

	arena_init(&a, FUZZ_ARENA);
	rc = config_parse(&c, &a, (const char *)data, size, "fuzz.yaml", &e);
	if (rc) {
		ASSERT(rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
		ASSERT(e.message[0]);
		ASSERT(c.port == 8317 && c.path == NULL);
		arena_release(&a);
		return 0;
	}
	check_config(&c);
	out = print(&c, &n);
	ASSERT(config_parse(&c2, &a, (const char *)data, size, "fuzz.yaml", &e) == 0);
	out2 = print(&c2, &n2);
	ASSERT(n == n2 && memcmp(out, out2, n) == 0);
	ASSERT(c.nunknown == c2.nunknown);
	free(out);
	free(out2);
	arena_release(&a);
	return 0;
}
