/*
 * config.h - CLIProxyAPI's config.yaml, read by every process.
 *
 * config_parse() turns one YAML document into a struct config: defaults
 * first (config_defaults), then every key of the document, then the legacy
 * keys of older releases migrated into their new places and lists cleaned the
 * way the original cleans them (trimmed, de-duplicated, empty entries
 * dropped).  Everything lives in the caller's arena; nothing is freed.
 *
 * Invariants after a successful parse:
 *   - every const char * field is non-NULL ("" when absent), except path;
 *   - strings are trimmed of ASCII white space and hold no CR, LF or NUL;
 *   - every proxy-url is "", "direct", "none" or starts with socks5://,
 *     socks5h://, http:// or https://;
 *   - routing.strategy is "round-robin" or "fill-first";
 *   - every codex-api-key entry has a base-url.
 *
 * Errors are negative errno values with a struct config_error filled in:
 * -EINVAL for a YAML syntax error, a value of the wrong type or a value out of
 * range (line/column 1-based, key the dotted path such as
 * "gemini-api-key[1].proxy-url"), -ENOMEM when the arena is exhausted, -E2BIG
 * for a document over CONFIG_MAX_DEPTH / CONFIG_MAX_NODES, and for
 * config_load the errno of open/read or -EFBIG over LIMIT_CONFIG_BYTES.
 * YAML aliases (*name) are refused (anchors alone are harmless and ignored):
 * no billion laughs.  Duplicate keys: the last one wins.  Unknown keys are
 * not errors; they are listed in unknown[] for the caller's debug log.
 */
#ifndef CLIPROXY_CONFIG_H
#define CLIPROXY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct arena;

/* Nesting depth and node count of one YAML document (past them: -E2BIG). */
#define CONFIG_MAX_DEPTH 64
#define CONFIG_MAX_NODES (256 * 1024)

struct strlist {
	const char **v;
	size_t n;
};

struct kv {
	const char *key, *value;
};

struct kvlist {
	struct kv *v;
	size_t n;
};

struct model_alias {
	const char *name;  /* upstream model */
	const char *alias; /* client-visible name ("" = same as name) */
	struct {
		struct strlist levels; /* openai-compatibility only */
	} thinking;
};

struct model_alias_list {
	struct model_alias *v;
	size_t n;
};

/* gemini-api-key, codex-api-key, claude-api-key, vertex-api-key entries. */
struct provider_key {
	const char *api_key, *base_url, *proxy_url, *prefix;
	int priority;
	struct kvlist headers;
	struct model_alias_list models;
	struct strlist excluded_models; /* lower-cased, de-duplicated */
	bool websockets;                 /* codex */
	struct {                         /* claude */
		const char *mode;        /* "" (= auto), auto, always, never */
		bool strict_mode;
		struct strlist sensitive_words;
		bool cache_user_id;
	} cloak;
	bool experimental_cch_signing; /* claude */
	int line;                      /* YAML line of the entry, for messages */
};

struct provider_key_list {
	struct provider_key *v;
	size_t n;
};

struct openai_compat_key {
	const char *api_key, *proxy_url;
	int line;
};

struct openai_compat {
	const char *name, *base_url, *prefix;
	int priority;
	struct kvlist headers;
	/* api-key-entries, with the deprecated api-keys list merged in as
	   entries without proxy; empty keys dropped, duplicates dropped. */
	struct openai_compat_key *keys;
	size_t nkeys;
	struct model_alias_list models;
	int line;
};

struct openai_compat_list {
	struct openai_compat *v;
	size_t n;
};

struct amp_upstream_key {
	const char *upstream_api_key;
	struct strlist api_keys; /* client keys mapped to it */
};

struct amp_model_mapping {
	const char *from, *to;
	bool regex;
};

struct oauth_alias {
	const char *name, *alias;
	bool fork;
};

/* One channel of oauth-model-alias (channel lower-cased). */
struct oauth_alias_channel {
	const char *channel;
	struct oauth_alias *v;
	size_t n;
};

/* One channel of oauth-excluded-models. */
struct oauth_excluded_channel {
	const char *channel;
	struct strlist models;
};

struct payload_model {
	const char *name, *protocol;
};

/* One params entry: a gjson/sjson path and the JSON text of its value
   (YAML scalars converted; for *-raw rules the string itself). */
struct payload_param {
	const char *path, *json;
};

struct payload_rule {
	struct {
		struct payload_model *v;
		size_t n;
	} models;
	struct {
		struct payload_param *v;
		size_t n;
	} params;
	int line;
};

struct payload_rule_list {
	struct payload_rule *v;
	size_t n;
};

struct payload_filter {
	struct {
		struct payload_model *v;
		size_t n;
	} models;
	struct strlist params; /* paths to delete */
	int line;
};

struct payload_filter_list {
	struct payload_filter *v;
	size_t n;
};

struct kiro_entry {
	const char *token_file, *access_token, *refresh_token, *profile_arn;
	const char *agent_task_type, *start_url, *region, *proxy_url;
	int line;
};

struct unknown_key {
	const char *key; /* dotted path, e.g. "gemini-api-key[0].bar" */
	int line;
};

struct config {
	const char *path; /* file loaded, NULL for built-in defaults */

	const char *host;
	int port;
	struct {
		bool enable;
		const char *cert, *key;
	} tls;
	struct {
		bool allow_remote;
		const char *secret_key;
		bool disable_control_panel;
		bool disable_auto_update_panel;
		const char *panel_github_repository;
	} remote_management;
	const char *auth_dir;     /* "~" expanded against $HOME */
	const char *auth_dir_raw; /* as written */
	struct strlist api_keys;
	bool debug;
	struct {
		bool enable;
		const char *addr;
	} pprof;
	bool commercial_mode;
	bool logging_to_file;
	int logs_max_total_size_mb;
	int error_logs_max_files;
	bool request_log;
	bool usage_statistics_enabled;
	const char *proxy_url;
	bool force_model_prefix;
	bool passthrough_headers;
	int request_retry;
	int max_retry_credentials;
	int max_retry_interval;
	bool disable_cooling;
	int auth_auto_refresh_workers;
	struct {
		bool switch_project, switch_preview_model, antigravity_credits;
	} quota_exceeded;
	struct {
		const char *strategy;
	} routing;
	bool ws_auth;
	bool enable_gemini_cli_endpoint;
	int nonstream_keepalive_interval;
	struct {
		int keepalive_seconds, bootstrap_retries;
	} streaming;
	bool antigravity_signature_cache_enabled;
	bool antigravity_signature_bypass_strict;
	bool incognito_browser;

	struct provider_key_list gemini_api_key;
	struct provider_key_list codex_api_key;
	struct provider_key_list claude_api_key;
	struct provider_key_list vertex_api_key;
	struct {
		const char *user_agent, *package_version, *runtime_version;
		const char *os, *arch, *timeout;
		bool stabilize_device_profile;
	} claude_header_defaults;
	struct {
		const char *user_agent, *beta_features;
	} codex_header_defaults;
	struct openai_compat_list openai_compatibility;
	struct {
		const char *upstream_url, *upstream_api_key;
		struct {
			struct amp_upstream_key *v;
			size_t n;
		} upstream_api_keys;
		bool restrict_management_to_localhost;
		struct {
			struct amp_model_mapping *v;
			size_t n;
		} model_mappings;
		bool force_model_mappings;
	} ampcode;
	struct {
		struct oauth_alias_channel *v;
		size_t n;
	} oauth_model_alias;
	struct {
		struct oauth_excluded_channel *v;
		size_t n;
	} oauth_excluded_models;
	struct {
		/* "default" is a C keyword: payload.default lives in default_. */
		struct payload_rule_list default_, default_raw, override, override_raw;
		struct payload_filter_list filter;
	} payload;
	struct {
		struct kiro_entry *v;
		size_t n;
	} kiro;

	struct unknown_key *unknown;
	size_t nunknown;
};

struct config_error {
	int line, column; /* 1-based; 0 when not tied to a place */
	char key[160];    /* dotted key path, "" when none */
	char message[256];
};

void config_defaults(struct config *c);
/* Defaults first, then the document <yaml,len>; name is recorded as c->path
   (may be NULL).  On error *c holds the defaults and err says why. */
int config_parse(struct config *c, struct arena *a, const char *yaml, size_t len,
		 const char *name, struct config_error *err);
/* Read path (at most LIMIT_CONFIG_BYTES) and parse it; path NULL: defaults. */
int config_load(struct config *c, struct arena *a, const char *path,
		struct config_error *err);
/* First existing of ./config.yaml, $XDG_CONFIG_HOME/cliproxy/config.yaml
   ($HOME/.config when unset or not absolute), /etc/cliproxy/config.yaml;
   NULL when none exists. */
const char *config_default_path(struct arena *a);
/* `cliproxy check` summary: "key: value" lines, lists as counts, provider
   entries with base-url and a masked key label; never a whole secret. */
void config_print(const struct config *c, FILE *f);

/* Every dotted key the parser knows, as written in YAML (list indices and
   map channels left out: "gemini-api-key.models.alias"), NULL-terminated. */
extern const char *const config_keys[];
/* Walk the parser's own key tables (for tests: config_keys must match). */
void config_schema_keys(void (*fn)(const char *key, void *arg), void *arg);

#endif
