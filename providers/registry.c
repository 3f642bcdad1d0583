/*
 * registry.c - the model registry: credentials built from the config's
 * API-key lists, and client model name -> (credential, upstream model)
 * candidates in a stable order (provider, then config index).  Entries
 * with an empty key are skipped; an openai-compatibility entry without keys
 * is one keyless credential.  A whole key is copied only into the secrets
 * arena: ids are hashes, labels are masked.
 */
#include "providers/provider.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#include "core/arena.h"
#include "core/digest.h"

/* The provider objects (providers/<name>.c) are referenced strongly on
   purpose: a weak reference does not pull an object out of a static archive
   (libcliproxy.a) and the binary would link, silently, with no providers.
   Tests that link this file without them define weak stand-ins. */

/* Per provider: its config key, what /v1/models says owns it, and the
   fixed "created" stamp of its catalogue.  The order is the lookup order. */
struct prov_meta {
	const char *config_key;
	const char *owned_by; /* NULL: the openai-compatibility entry name */
	int64_t created;
};

static const struct prov_meta prov_meta[] = {
	{ "claude-api-key", "anthropic", 1759104000 },       /* 2025-09-29 */
	{ "gemini-api-key", "google", 1750118400 },          /* 2025-06-17 */
	{ "codex-api-key", "openai", 1754524800 },           /* 2025-08-07 */
	{ "openai-compatibility", NULL, 1735689600 },        /* 2025-01-01 */
	/* The auth-dir (OAuth) providers (registry_auth.c): same owners. */
	{ "gemini-cli", "google", 1750118400 },
	{ "codex", "openai", 1754524800 },
	{ "claude", "anthropic", 1759104000 },
};

#define NPROV (sizeof(prov_meta) / sizeof(prov_meta[0]))

static const struct provider *provider_at(size_t i)
{
	switch (i) {
	case 0:
		return &provider_claude;
	case 1:
		return &provider_gemini;
	case 2:
		return &provider_codex;
	case 3:
		return &provider_openai_compat;
	case 4:
		return &provider_gemini_cli;
	case 5:
		return &provider_codex_oauth;
	case 6:
		return &provider_claude_oauth;
	}
	return NULL;
}

static const struct prov_meta *meta_of(const struct provider *p)
{
	size_t i;

	for (i = 0; i < NPROV; i++)
		if (p && provider_at(i) == p)
			return &prov_meta[i];
	return NULL;
}

static bool is_compat(const struct credential *cr)
{
	return cr->compat_name != NULL;
}

/* ---- Building ----------------------------------------------------------- */

/* "<first 4>…<last 4>", "****" below 12 bytes; non-printable bytes as '?'. */
static char *mask_key(struct arena *a, const char *key)
{
	size_t n = strlen(key), i;
	char out[4 + 3 + 4 + 1], *p = out;

	if (n == 0)
		return arena_strdup(a, "(no key)");
	if (n < 12)
		return arena_strdup(a, "****");
	for (i = 0; i < 4; i++)
		*p++ = (key[i] > 0x20 && key[i] < 0x7f) ? key[i] : '?';
	memcpy(p, "\xe2\x80\xa6", 3);
	p += 3;
	for (i = n - 4; i < n; i++)
		*p++ = (key[i] > 0x20 && key[i] < 0x7f) ? key[i] : '?';
	*p = 0;
	return arena_strdup(a, out);
}

/* "<name>-" + 12 hex of sha256(key "\n" base_url); the concatenation lives
   in the secrets arena (it holds the key). */
static char *cred_id(struct arena *a, struct arena *secrets, const char *name,
		     const char *key, const char *base_url)
{
	size_t kn = strlen(key), bn = strlen(base_url);
	char tail[13];
	char *tmp = arena_alloc(secrets, kn + 1 + bn + 1);

	if (!tmp)
		return NULL;
	memcpy(tmp, key, kn);
	tmp[kn] = '\n';
	memcpy(tmp + kn + 1, base_url, bn);
	digest_sha256_hex(tmp, kn + 1 + bn, 6, tail);
	return arena_printf(a, "%s-%s", name, tail);
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

struct build_entry {
	const struct provider *prov;
	const char *config_key;
	int index;
	const char *api_key, *base_url, *proxy_url, *prefix, *compat_name;
	const struct kvlist *headers;
	const struct model_alias_list *models;
	const struct strlist *excluded;
	int priority;
};

static int add_cred(struct registry *r, size_t cap, const struct config *cfg,
		    const struct build_entry *e, struct arena *secrets)
{
	struct credential *cr;
	const char *key = e->api_key ? e->api_key : "";
	char *mask;

	if (r->ncreds >= cap)
		return -ENOMEM;
	cr = &r->creds[r->ncreds];
	memset(cr, 0, sizeof(*cr));
	cr->prov = e->prov;
	cr->index = e->index;
	cr->priority = e->priority;
	cr->base_url = nonempty(e->base_url);
	cr->proxy_url = nonempty(e->proxy_url);
	cr->prefix = nonempty(e->prefix);
	cr->prefix_only = cr->prefix && cfg->force_model_prefix;
	cr->compat_name = e->compat_name;
	cr->headers = e->headers;
	cr->models = e->models;
	cr->excluded_models = e->excluded;
	cr->api_key = arena_strdup(secrets, key);
	cr->id = cred_id(r->a, secrets, e->prov->name, key, e->base_url ? e->base_url : "");
	mask = mask_key(r->a, key);
	if (!cr->api_key || !cr->id || !mask)
		return -ENOMEM;
	if (e->compat_name)
		cr->label = arena_printf(r->a, "%s[%d] %s %s", e->config_key, e->index,
					 e->compat_name, mask);
	else
		cr->label = arena_printf(r->a, "%s[%d] %s", e->config_key, e->index, mask);
	if (!cr->label)
		return -ENOMEM;
	r->ncreds++;
	return 0;
}

static const struct provider_key_list *key_list(const struct config *cfg, size_t i)
{
	switch (i) {
	case 0:
		return &cfg->claude_api_key;
	case 1:
		return &cfg->gemini_api_key;
	case 2:
		return &cfg->codex_api_key;
	}
	return NULL;
}

int registry_build(struct registry *r, const struct config *cfg, struct arena *a,
		   struct arena *secrets)
{
	const struct openai_compat_list *oc = &cfg->openai_compatibility;
	struct build_entry e;
	size_t cap = 0, i, k;
	int ret;

	memset(r, 0, sizeof(*r));
	r->a = a;
	for (i = 0; i < 3; i++)
		cap += key_list(cfg, i)->n;
	for (i = 0; i < oc->n; i++)
		cap += oc->v[i].nkeys ? oc->v[i].nkeys : 1;
	r->creds = arena_zalloc(a, (cap ? cap : 1) * sizeof(*r->creds));
	if (!r->creds)
		return -ENOMEM;

	for (i = 0; i < 3; i++) {
		const struct provider_key_list *l = key_list(cfg, i);
		const struct provider *p = provider_at(i);

		if (!p)
			continue;
		for (k = 0; k < l->n; k++) {
			const struct provider_key *pk = &l->v[k];

			if (!pk->api_key || !*pk->api_key)
				continue;
			memset(&e, 0, sizeof(e));
			e.prov = p;
			e.config_key = prov_meta[i].config_key;
			e.index = (int)k;
			e.api_key = pk->api_key;
			e.base_url = pk->base_url;
			e.proxy_url = pk->proxy_url;
			e.prefix = pk->prefix;
			e.headers = &pk->headers;
			e.models = &pk->models;
			e.excluded = &pk->excluded_models;
			e.priority = pk->priority;
			ret = add_cred(r, cap, cfg, &e, secrets);
			if (ret < 0)
				return ret;
		}
	}

	if (!provider_at(3))
		return registry_add_auth(r, cfg);
	for (i = 0; i < oc->n; i++) {
		const struct openai_compat *c = &oc->v[i];

		memset(&e, 0, sizeof(e));
		e.prov = provider_at(3);
		e.config_key = prov_meta[3].config_key;
		e.index = (int)i;
		e.base_url = c->base_url;
		e.prefix = c->prefix;
		e.compat_name = c->name ? c->name : "";
		e.headers = &c->headers;
		e.models = &c->models;
		e.priority = c->priority;
		/* An entry without keys (a local server) is one keyless credential. */
		if (!c->nkeys) {
			e.api_key = "";
			ret = add_cred(r, cap, cfg, &e, secrets);
			if (ret < 0)
				return ret;
			continue;
		}
		for (k = 0; k < c->nkeys; k++) {
			if (!c->keys[k].api_key || !*c->keys[k].api_key)
				continue;
			e.api_key = c->keys[k].api_key;
			e.proxy_url = c->keys[k].proxy_url;
			ret = add_cred(r, cap, cfg, &e, secrets);
			if (ret < 0)
				return ret;
		}
	}
	return registry_add_auth(r, cfg);
}

/* ---- Matching ----------------------------------------------------------- */

static int lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* '*' glob, ASCII case-insensitive: covers exact, prefix*, *suffix, *substr*.
   Iterative with one backtrack point, so linear-ish and no recursion. */
static bool glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat && lc((unsigned char)*pat) == lc((unsigned char)*s)) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == 0;
}

static bool excluded(const struct credential *cr, const char *name)
{
	const struct strlist *l = cr->excluded_models;
	size_t i;

	if (!l)
		return false;
	for (i = 0; i < l->n; i++)
		if (l->v[i] && glob_match(l->v[i], name))
			return true;
	return false;
}

static const char *visible_name(const struct model_alias *m)
{
	return m->alias && *m->alias ? m->alias : m->name;
}

/* Callback over every client-visible (unprefixed) name of cr with its
   upstream name; exclusions applied. */
typedef int (*name_fn)(void *arg, const struct credential *cr, const char *visible,
		       const char *upstream);

static int each_name(const struct credential *cr, name_fn fn, void *arg)
{
	const struct model_alias_list *ml = cr->models;
	size_t i;
	int ret;

	if (ml && ml->n) {
		for (i = 0; i < ml->n; i++) {
			const char *v = visible_name(&ml->v[i]);

			if (!ml->v[i].name || !*ml->v[i].name || excluded(cr, v))
				continue;
			ret = fn(arg, cr, v, ml->v[i].name);
			if (ret)
				return ret;
		}
		return 0;
	}
	if (is_compat(cr) || !cr->prov || !cr->prov->catalogue)
		return 0;
	for (i = 0; cr->prov->catalogue[i]; i++) {
		const char *v = cr->prov->catalogue[i];

		if (excluded(cr, v))
			continue;
		ret = fn(arg, cr, v, v);
		if (ret)
			return ret;
	}
	return 0;
}

struct lookup {
	struct arena *a;
	const char *want;   /* unprefixed name to match */
	const char *suffix; /* "(...)" or "" */
	struct target *v;
	size_t n, cap;
	size_t found; /* matches for the current credential */
};

static int lookup_fn(void *arg, const struct credential *cr, const char *visible,
		     const char *upstream)
{
	struct lookup *l = arg;
	struct target *t;

	if (strcmp(visible, l->want) != 0)
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		t = arena_realloc(l->a, l->v, l->cap * sizeof(*t), ncap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		l->v = t;
		l->cap = ncap;
	}
	t = &l->v[l->n];
	t->cred = cr;
	t->upstream_model = *l->suffix ? arena_printf(l->a, "%s%s", upstream, l->suffix) : upstream;
	if (!t->upstream_model)
		return -ENOMEM;
	l->n++;
	l->found++;
	return 0;
}

/* A trailing "(...)" with something before it: its offset, else len. */
static size_t suffix_at(const char *model, size_t len)
{
	const char *open;

	if (len < 3 || model[len - 1] != ')')
		return len;
	open = memrchr(model, '(', len - 1);
	if (!open || open == model)
		return len;
	return (size_t)(open - model);
}

int registry_lookup(const struct registry *r, const char *model, struct target **ret, size_t *ret_n)
{
	struct lookup l;
	size_t len, cut, i;
	char *base;
	int rc;

	if (!model || !*model)
		return -ENOENT;
	len = strlen(model);
	cut = suffix_at(model, len);
	base = arena_strndup(r->a, model, cut);
	if (!base)
		return -ENOMEM;
	memset(&l, 0, sizeof(l));
	l.a = r->a;
	l.suffix = model + cut;

	for (i = 0; i < r->ncreds; i++) {
		const struct credential *cr = &r->creds[i];
		size_t pn = cr->prefix ? strlen(cr->prefix) : 0;

		l.found = 0;
		if (pn && strncmp(base, cr->prefix, pn) == 0 && base[pn] == '/') {
			l.want = base + pn + 1;
			rc = each_name(cr, lookup_fn, &l);
			if (rc < 0)
				return rc;
		}
		if (l.found || cr->prefix_only)
			continue;
		l.want = base;
		rc = each_name(cr, lookup_fn, &l);
		if (rc < 0)
			return rc;
	}
	if (!l.n)
		return -ENOENT;
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}

/* ---- Listing ------------------------------------------------------------ */

struct listing {
	struct arena *a;
	struct model_info *v;
	size_t n, cap;
	int err;
};

static int list_add(struct listing *l, const struct credential *cr, const char *id)
{
	const struct prov_meta *m = meta_of(cr->prov);
	struct model_info *mi;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		mi = arena_realloc(l->a, l->v, l->cap * sizeof(*mi), ncap * sizeof(*mi));
		if (!mi)
			return -ENOMEM;
		l->v = mi;
		l->cap = ncap;
	}
	mi = &l->v[l->n++];
	mi->id = id;
	mi->prov = cr->prov;
	if (m && m->owned_by)
		mi->owned_by = m->owned_by;
	else if (is_compat(cr) && *cr->compat_name)
		mi->owned_by = cr->compat_name;
	else
		mi->owned_by = cr->prov ? cr->prov->name : "";
	mi->created = m ? m->created : 0;
	return 0;
}

static int list_fn(void *arg, const struct credential *cr, const char *visible,
		   const char *upstream)
{
	struct listing *l = arg;
	int rc;

	if (cr->prefix) {
		char *id = arena_printf(l->a, "%s/%s", cr->prefix, visible);
		if (!id)
			return -ENOMEM;
		rc = list_add(l, cr, id);
		if (rc < 0)
			return rc;
	}
	if (!cr->prefix_only)
		return list_add(l, cr, visible);
	return 0;
}

/* qsort is not stable: sort by id, then by position, so the first
   credential (in lookup order) names a shared id's owner. */
struct ranked {
	struct model_info m;
	size_t pos;
};

static int cmp_ranked(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;
	int c = strcmp(a->m.id, b->m.id);

	if (c)
		return c;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

int registry_models(const struct registry *r, struct model_info **ret, size_t *ret_n)
{
	struct listing l;
	struct ranked *rk;
	struct model_info *out;
	size_t i, k = 0;
	int rc;

	memset(&l, 0, sizeof(l));
	l.a = r->a;
	for (i = 0; i < r->ncreds; i++) {
		rc = each_name(&r->creds[i], list_fn, &l);
		if (rc < 0)
			return rc;
	}
	rk = arena_alloc(r->a, (l.n ? l.n : 1) * sizeof(*rk));
	out = arena_alloc(r->a, (l.n ? l.n : 1) * sizeof(*out));
	if (!rk || !out)
		return -ENOMEM;
	for (i = 0; i < l.n; i++) {
		rk[i].m = l.v[i];
		rk[i].pos = i;
	}
	if (l.n > 1)
		qsort(rk, l.n, sizeof(*rk), cmp_ranked);
	for (i = 0; i < l.n; i++)
		if (k == 0 || strcmp(out[k - 1].id, rk[i].m.id) != 0)
			out[k++] = rk[i].m;
	*ret = out;
	*ret_n = k;
	return 0;
}

/* ---- Base URL ----------------------------------------------------------- */

const char *provider_base_url(const struct credential *cr, struct arena *a)
{
	const char *u = cr->base_url;
	size_t n;

	if ((!u || !*u) && cr->prov && cr->prov->base_url_env) {
		const char *env = getenv(cr->prov->base_url_env);
		if (env && *env)
			u = env;
	}
	if ((!u || !*u) && cr->prov)
		u = cr->prov->default_base_url;
	if (!u)
		u = "";
	n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		n--;
	return arena_strndup(a, u, n);
}
