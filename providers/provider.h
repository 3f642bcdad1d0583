/*
 * provider.h - upstreams: one const struct provider per upstream kind
 * (claude-api-key, gemini-api-key, codex-api-key, openai-compatibility;
 * later the OAuth kinds), the credentials that use them, the model
 * registry that maps a client's model name to (credential, upstream model)
 * candidates, and the cross-process round-robin + cooldown state.
 *
 * Flow (providers/dispatch.c): registry_lookup(model) -> candidates;
 * rr_pick() chooses one not cooling down; prov->family encodes the body;
 * prov->fix_body() applies the upstream's body rules; prov->prepare() sets
 * URL and headers; upstream_perform() runs it; the
 * outcome goes to rr_report() (cooldowns, backoff levels).
 */
#ifndef CLIPROXY_PROVIDER_H
#define CLIPROXY_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "translate/ir.h"

struct arena;
struct auth_file;
struct buf;
struct upstream_req;
struct xlate_ctx;

struct provider;

/* One usable credential.  Secrets (api_key) live in the secrets arena and
   never reach a log or an error body: logs use label, state files use id. */
struct credential {
	const char *id;    /* stable and secret-free: "<provider>-<12 hex of sha256(key + base-url)>" */
	const char *label; /* for logs and `auth list`: "claude-api-key[1] sk-a…wxyz" */
	const struct provider *prov;
	const char *api_key;
	const char *base_url;  /* NULL: the provider's default (or its env override) */
	const char *proxy_url; /* NULL: the global proxy-url; "direct"/"none": no proxy */
	const struct kvlist *headers; /* extra headers, applied last */
	const struct model_alias_list *models; /* empty: the provider's catalogue */
	const struct strlist *excluded_models;
	const char *prefix;      /* "<prefix>/model" ids */
	bool prefix_only;        /* force-model-prefix: answers only "<prefix>/model" */
	const char *compat_name; /* openai-compatibility entry name */
	int priority;
	int index; /* position in its config list */

	/* Auth-dir (OAuth) credentials (auth/store.h); NULL/0 for API keys.
	   registry_build() loads the file without secrets; dispatch calls
	   auth_ensure_fresh(cfg, auth, force, ...) (auth/refresh.h) right
	   before prepare(), which then reads auth->access_token (Codex also
	   auth->account_id).  All credentials of one multi-project Gemini
	   file share one auth.  id is the file name ("#<project>" appended
	   per project), label the e-mail (" <project>" appended); api_key
	   is NULL.  Kinds map to providers in registry.c (auth_provider):
	   gemini -> provider_gemini_cli, codex -> provider_codex_oauth,
	   claude -> provider_claude_oauth. */
	struct auth_file *auth;
	const char *project_id; /* gemini-cli: this credential's project, NULL: none known */
	bool disable_cooling;   /* auth file "disable_cooling" */
};

/* One way to serve a client's model. */
struct target {
	const struct credential *cred;
	const char *upstream_model; /* the name sent upstream (alias resolved, prefix removed) */
};

/* The upstream request a provider prepares (see providers/upstream.h). */
struct provider_call {
	const struct credential *cred;
	const char *model;   /* upstream model name */
	bool stream;         /* ask the upstream for a stream */
	enum ir_family client_family;
	const struct http_request *client_req; /* for header passthrough (anthropic-beta, ...) */
	const char *action;  /* Gemini: "generateContent", "streamGenerateContent", "countTokens";
				Claude: "count_tokens"; Codex: "compact"; NULL: the normal call */
	const struct config *cfg; /* header defaults (claude-/codex-header-defaults); may be NULL */
	/* A stable, non-secret id of the client's API key (e.g. hex of its
	   SHA-256), NULL if none: Codex derives the prompt cache key of an
	   OpenAI-chat client from it. */
	const char *client_key_id;
	/* The request's translation context (NULL: none): a fix_body that
	   renames tools records each rename with xlate_name_add(), so the
	   answer's decoder maps the names back (Claude OAuth: bash -> Bash). */
	struct xlate_ctx *x;

	/* Set by fix_body for prepare (NULL: nothing). */
	const char *body_betas;       /* Claude: the body's betas[], comma-joined */
	const char *prompt_cache_key; /* Codex: the body's prompt_cache_key (Session_id) */
};

struct provider {
	const char *name;      /* "claude", "gemini", "codex", "openai-compat" (log + state names) */
	const char *config_key; /* "claude-api-key", ... */
	enum ir_family family; /* the upstream wire family */
	bool stream_only;      /* the upstream only streams (Codex): bridge non-stream clients */
	const char *default_base_url;
	const char *base_url_env; /* CLIPROXY_<X>_BASE_URL, overrides default_base_url */
	/* URL, method and headers of the call into u (body set by the caller).
	   0 or -errno with e filled. */
	int (*prepare)(const struct provider_call *pc, struct upstream_req *u, struct arena *a,
		       struct apierr *e);
	/* Optional (NULL: the body goes as encoded).  The upstream's own body
	   rules applied to the encoded or passed-through body (body, n), which
	   is written to out with every byte not concerned kept.  Runs before
	   prepare() and may record in pc what prepare needs (body_betas,
	   prompt_cache_key).  0 or -errno with e filled (400/413/500). */
	int (*fix_body)(struct provider_call *pc, const char *body, size_t n, struct buf *out,
			struct arena *a, struct apierr *e);
	/* The built-in model catalogue (NULL-terminated), used when a credential
	   lists no models. */
	const char *const *catalogue;
};

/* ---- The model registry (providers/registry.c) ---- */
struct registry {
	struct credential *creds;
	size_t ncreds;
	struct arena *a;
};

/* Build the credentials from the config (API-key entries; later auth files).
   Secrets are copied into the secrets arena.  0 or -ENOMEM. */
int registry_build(struct registry *r, const struct config *cfg, struct arena *a,
		   struct arena *secrets);
/* The auth-dir part of registry_build (providers/registry_auth.c): every
   usable credential file of cfg->auth_dir appended to r (loaded without
   secrets; one credential per project of a multi-project Gemini file).
   An unreadable auth-dir adds nothing.  0 or -ENOMEM. */
int registry_add_auth(struct registry *r, const struct config *cfg);
/* Every candidate for a client model name, in a stable order, with the
   upstream model resolved (thinking suffix "(...)" stripped for lookup and
   kept on the upstream name).  0 with n >= 1, or -ENOENT (unknown model). */
int registry_lookup(const struct registry *r, const char *model, struct target **ret, size_t *ret_n);

/* A model a client may ask for. */
struct model_info {
	const char *id;
	const char *owned_by; /* provider display name: "anthropic", "google", "openai", compat name */
	const struct provider *prov;
	int64_t created;
};
/* Every distinct client-visible model, sorted by id.  0 or -ENOMEM. */
int registry_models(const struct registry *r, struct model_info **ret, size_t *ret_n);

/* The providers of this build. */
extern const struct provider provider_claude;
extern const struct provider provider_gemini;
extern const struct provider provider_codex;
/* SPEC §5.4's plus/pro Codex list: API keys and ChatGPT accounts alike. */
extern const char *const provider_codex_catalogue[];
extern const struct provider provider_openai_compat;
/* The OAuth (auth-dir) providers: Cloud Code Assist, the ChatGPT backend,
   Claude with a Claude Code token (providers/gemini_cli.c, codex_oauth.c,
   claude_oauth.c). */
extern const struct provider provider_gemini_cli;
extern const struct provider provider_codex_oauth;
extern const struct provider provider_claude_oauth;

/* The base URL a call uses: cred->base_url, else $base_url_env, else the
   default; without a trailing '/'. */
const char *provider_base_url(const struct credential *cr, struct arena *a);

/* ---- Round-robin and cooldowns shared by all processes (auth/rr.c) ---- */

/* What happened to one upstream call, for rr_report. */
struct rr_outcome {
	int status;            /* HTTP status, 0 for a transport error */
	int64_t retry_after_s; /* hint from headers/body (already clamped), -1 none */
	bool model_scoped;     /* the cooldown applies to this model only */
};

/* Choose the next candidate for `model`: skips candidates listed in tried[]
   (n flags) and those cooling down (for this model or the whole credential),
   honours priority buckets and routing.strategy, advances the shared cursor
   under flock in <state_dir>.  *ret_index set on success (0).  When every
   untried candidate is cooling down: -EAGAIN with *ret_wait_s = seconds until
   the first becomes usable.  -ENOENT if all were tried. */
int rr_pick(const struct config *cfg, const char *state_dir, const char *model,
	    const struct target *cands, size_t n, const bool *tried, size_t *ret_index,
	    int64_t *ret_wait_s);
/* Record the outcome of a call with cand (success clears, failures cool down
   per SPEC §6.4, clamped to RR_MAX_COOLDOWN_S).  0 or -errno (state write). */
int rr_report(const struct config *cfg, const char *state_dir, const char *model,
	      const struct target *cand, const struct rr_outcome *o);
/* Where shared state lives: <auth-dir>/.cliproxy (created 0700). */
const char *rr_state_dir(const struct config *cfg, struct arena *a);

/* A Retry-After value (delta-seconds or HTTP-date) -> seconds, -1 if bad. */
int64_t rr_parse_retry_after(const char *value, int64_t now_unix);

#define RR_MAX_COOLDOWN_S (6 * 3600) /* no hint locks an account out for longer */

/* A retry hint in an upstream error body, in seconds (rounded up), or -1:
   Gemini error.details[] RetryInfo.retryDelay ("3.5s"), ErrorInfo
   metadata.quotaResetDelay ("1h2m3s"), Codex error.resets_in_seconds /
   error.resets_at (unix), else "retry in Ns" / "after Ns" in the message
   (or in a body that is not JSON).  Not clamped: rr_report clamps. */
int64_t rr_hint_from_body(const char *body, size_t n, int64_t now_unix);

/* One cooldown entry of the shared state, for `cliproxy auth list`. */
struct rr_cooldown {
	const char *cred_id;
	const char *model; /* NULL: the whole credential */
	int64_t until;     /* unix; <= now: expired, only the backoff level is kept */
	const char *reason; /* "rate_limited", "quota_exceeded", "unauthorized", ... */
	int level;          /* consecutive 429s without a hint */
};
/* Every entry of <state_dir>/cooldown.json, sorted by credential id then
   model (credential-wide first).  A missing or unreadable file is empty.
   0 or -ENOMEM. */
int rr_cooldowns(const char *state_dir, struct arena *a, struct rr_cooldown **ret,
		 size_t *ret_n);

#endif
