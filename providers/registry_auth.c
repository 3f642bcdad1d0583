/*
 * registry_auth.c - auth-dir credentials joining the registry: every usable
 * credential file (loaded without secrets) becomes one credential of its
 * OAuth provider, a multi-project Gemini file one per project.  Disabled,
 * unreadable, group/world-writable files and types this build does not
 * serve are left out (`cliproxy auth list` shows them).  Config
 * oauth-excluded-models and oauth-model-alias apply per channel.
 */
#include "providers/provider.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "auth/store.h"
#include "core/arena.h"

/* The provider serving a kind, NULL: none in this build. */
static const struct provider *auth_provider(enum auth_kind k)
{
	switch (k) {
	case AUTH_GEMINI:
		return &provider_gemini_cli;
	case AUTH_CODEX:
		return &provider_codex_oauth;
	case AUTH_CLAUDE:
		return &provider_claude_oauth;
	default:
		return NULL;
	}
}

/* The channel name of oauth-excluded-models / oauth-model-alias. */
static const char *channel_of(enum auth_kind k)
{
	return k == AUTH_GEMINI ? "gemini-cli" : auth_kind_name(k);
}

/* The file's excluded models plus the channel's, or the file's alone. */
static const struct strlist *excluded_for(const struct config *cfg, const struct auth_file *f,
					  struct arena *a)
{
	const char *ch = channel_of(f->kind);
	struct strlist *l;

	for (size_t i = 0; i < cfg->oauth_excluded_models.n; i++) {
		const struct oauth_excluded_channel *c = &cfg->oauth_excluded_models.v[i];
		if (strcasecmp(c->channel, ch) != 0)
			continue;
		l = arena_zalloc(a, sizeof(*l));
		if (!l)
			return NULL;
		l->v = arena_alloc(a, (f->excluded_models.n + c->models.n + 1) * sizeof(char *));
		if (!l->v)
			return NULL;
		for (size_t k = 0; k < f->excluded_models.n; k++)
			l->v[l->n++] = f->excluded_models.v[k];
		for (size_t k = 0; k < c->models.n; k++)
			l->v[l->n++] = c->models.v[k];
		return l;
	}
	return &f->excluded_models;
}

/* The catalogue with the channel's aliases applied (a "fork" alias keeps
   the original name too); NULL when the channel has none. */
static const struct model_alias_list *models_for(const struct config *cfg, enum auth_kind k,
						 const struct provider *p, struct arena *a)
{
	const struct oauth_alias_channel *c = NULL;
	struct model_alias_list *ml;
	size_t n = 0, i, j;

	for (i = 0; i < cfg->oauth_model_alias.n; i++)
		if (strcasecmp(cfg->oauth_model_alias.v[i].channel, channel_of(k)) == 0)
			c = &cfg->oauth_model_alias.v[i];
	if (!c || !p->catalogue)
		return NULL;
	while (p->catalogue[n])
		n++;
	ml = arena_zalloc(a, sizeof(*ml));
	if (!ml || !(ml->v = arena_zalloc(a, (2 * n + 1) * sizeof(*ml->v))))
		return NULL;
	for (i = 0; i < n; i++) {
		bool aliased = false, keep = false;
		for (j = 0; j < c->n; j++) {
			if (strcasecmp(c->v[j].name, p->catalogue[i]) != 0)
				continue;
			ml->v[ml->n].name = p->catalogue[i];
			ml->v[ml->n].alias = c->v[j].alias;
			ml->n++;
			aliased = true;
			keep = c->v[j].fork;
			break;
		}
		if (!aliased || keep) {
			ml->v[ml->n].name = p->catalogue[i];
			ml->v[ml->n].alias = "";
			ml->n++;
		}
	}
	return ml;
}

/* project: the credential's project; tagged: several projects share f,
   so id and label name the project. */
static int add_one(struct registry *r, const struct config *cfg, struct auth_file *f,
		   const struct provider *p, int index, const char *project, bool tagged)
{
	struct credential *cr = &r->creds[r->ncreds];

	memset(cr, 0, sizeof(*cr));
	cr->prov = p;
	cr->auth = f;
	cr->project_id = project;
	cr->index = index;
	cr->priority = f->priority;
	cr->base_url = f->base_url;
	cr->proxy_url = f->proxy_url;
	cr->prefix = f->prefix && !strchr(f->prefix, '/') ? f->prefix : NULL;
	cr->prefix_only = cr->prefix && cfg->force_model_prefix;
	cr->headers = &f->headers;
	cr->disable_cooling = f->disable_cooling;
	cr->excluded_models = excluded_for(cfg, f, r->a);
	cr->models = models_for(cfg, f->kind, p, r->a);
	cr->id = tagged ? arena_printf(r->a, "%s#%s", f->name, project) : f->name;
	cr->label = tagged ? arena_printf(r->a, "%s %s", f->label, project) : f->label;
	if (!cr->id || !cr->label || !cr->excluded_models)
		return -ENOMEM;
	r->ncreds++;
	return 0;
}

int registry_add_auth(struct registry *r, const struct config *cfg)
{
	struct auth_file *v;
	struct credential *nc;
	size_t n, i, extra = 0;
	int ret;

	if (!cfg->auth_dir || !*cfg->auth_dir)
		return 0;
	ret = auth_scan(cfg->auth_dir, r->a, &v, &n);
	if (ret < 0)
		return ret == -ENOMEM ? ret : 0; /* an unreadable auth-dir serves nothing */
	for (i = 0; i < n; i++)
		if (!v[i].err && !v[i].disabled && auth_provider(v[i].kind))
			extra += v[i].kind == AUTH_GEMINI && v[i].nprojects > 1 ? v[i].nprojects : 1;
	if (!extra)
		return 0;
	nc = arena_zalloc(r->a, (r->ncreds + extra) * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	if (r->ncreds)
		memcpy(nc, r->creds, r->ncreds * sizeof(*nc));
	r->creds = nc;
	for (i = 0; i < n; i++) {
		struct auth_file *f = &v[i];
		const struct provider *p = auth_provider(f->kind);

		if (f->err || f->disabled || !p)
			continue;
		if (f->kind == AUTH_GEMINI && f->nprojects > 0) {
			/* One credential per project, all sharing f (and so one
			   refresh of the token). */
			for (size_t k = 0; k < f->nprojects; k++) {
				ret = add_one(r, cfg, f, p, (int)i, f->projects[k],
					      f->nprojects > 1);
				if (ret < 0)
					return ret;
			}
			continue;
		}
		ret = add_one(r, cfg, f, p, (int)i, NULL, false);
		if (ret < 0)
			return ret;
	}
	return 0;
}
