/*
 * route.c - the route table and its matcher.  Order matters: the first
 * entry whose path matches decides; a path that matches some entry but
 * not its method is a 405 with Allow, never a 404.
 */
#include "core/route.h"

#include <errno.h>
#include <string.h>

#include "core/http_req.h"

static const struct route routes[] = {
	{ "/", 0, "GET HEAD", R_ROOT, FAM_OPENAI, AUTH_NONE, 0 },
	{ "/healthz", 0, "GET HEAD", R_HEALTHZ, FAM_OPENAI, AUTH_NONE, 0 },
	{ "/management.html", 0, "GET HEAD", R_MANAGEMENT_HTML, FAM_PLAIN, AUTH_NONE, 0 },
	{ "/v1/models", 0, "GET HEAD", R_MODELS, FAM_OPENAI, AUTH_CLIENT, 0 },
	{ "/v1/chat/completions", 0, "POST", R_CHAT, FAM_OPENAI, AUTH_CLIENT, 1 },
	{ "/v1/completions", 0, "POST", R_COMPLETIONS, FAM_OPENAI, AUTH_CLIENT, 1 },
	{ "/v1/responses", 0, "POST GET", R_RESPONSES, FAM_RESPONSES, AUTH_CLIENT, 1 },
	{ "/v1/responses/compact", 0, "POST", R_RESPONSES_COMPACT, FAM_RESPONSES, AUTH_CLIENT, 1 },
	{ "/v1/messages", 0, "POST", R_MESSAGES, FAM_CLAUDE, AUTH_CLIENT, 1 },
	{ "/v1/messages/count_tokens", 0, "POST", R_COUNT_TOKENS, FAM_CLAUDE, AUTH_CLIENT, 1 },
	{ "/v1beta/models", 0, "GET HEAD", R_GEMINI_MODELS, FAM_GEMINI, AUTH_CLIENT, 0 },
	/* /v1beta/models/{model} (GET) and /v1beta/models/{model}:{action} (POST) */
	{ "/v1beta/models/", 1, "GET HEAD POST", R_GEMINI_ACTION, FAM_GEMINI, AUTH_CLIENT, 1 },
	/* @google/genai 3.x uses /v1/models/{model}:{action}; GET /v1/models/{id}
	   is OpenAI's model retrieve. */
	{ "/v1/models/", 1, "GET HEAD POST", R_GEMINI_ACTION, FAM_OPENAI, AUTH_CLIENT, 1 },
	{ "/v1internal:", 1, "POST", R_V1INTERNAL, FAM_GEMINI, AUTH_LOCAL_ONLY, 1 },
	{ "/v0/management/", 1, "GET HEAD POST PUT PATCH DELETE", R_MANAGEMENT, FAM_PLAIN, AUTH_MANAGEMENT, 0 },
	{ "/anthropic/callback", 0, "GET", R_OAUTH_CALLBACK, FAM_PLAIN, AUTH_NONE, 0 },
	{ "/codex/callback", 0, "GET", R_OAUTH_CALLBACK, FAM_PLAIN, AUTH_NONE, 0 },
	{ "/google/callback", 0, "GET", R_OAUTH_CALLBACK, FAM_PLAIN, AUTH_NONE, 0 },
	{ "/iflow/callback", 0, "GET", R_OAUTH_CALLBACK, FAM_PLAIN, AUTH_NONE, 0 },
};

static int method_listed(const char *methods, const char *m)
{
	size_t n = strlen(m);
	const char *p = methods;

	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == n && memcmp(p, m, n) == 0)
			return 1;
		if (!sp)
			break;
		p = sp + 1;
	}
	return 0;
}

static int path_matches(const struct route *r, const char *path)
{
	size_t n = strlen(r->path);

	if (r->prefix)
		return strncmp(path, r->path, n) == 0 && path[n] != 0;
	return strcmp(path, r->path) == 0;
}

/* Split "/v1beta/models/{model}[:{action}]" (the model has no '/'). */
static int gemini_split(const char *rest, struct route_match *m)
{
	const char *colon = strrchr(rest, ':');

	if (strchr(rest, '/'))
		return -ENOENT;
	if (colon) {
		m->model = rest;
		m->model_len = (size_t)(colon - rest);
		m->action = colon + 1;
		m->action_len = strlen(colon + 1);
	} else {
		m->model = rest;
		m->model_len = strlen(rest);
	}
	return m->model_len ? 0 : -ENOENT;
}

int route_find(const char *method, const char *path, struct route_match *ret,
	       const char **ret_allow)
{
	struct route_match m;
	size_t i;

	memset(&m, 0, sizeof(m));
	/* Provider-scoped aliases: /api/provider/{p}/v1/..., /api/provider/{p}/v1beta/...,
	   and /api/provider/{p}/models (OpenAI model list). */
	if (strncmp(path, "/api/provider/", 14) == 0) {
		const char *p = path + 14, *slash = strchr(p, '/');
		if (!slash || slash == p)
			return -ENOENT;
		m.provider = p;
		m.provider_len = (size_t)(slash - p);
		path = slash;
		if (strcmp(path, "/models") == 0 || strcmp(path, "/chat/completions") == 0 ||
		    strcmp(path, "/completions") == 0 || strcmp(path, "/responses") == 0) {
			/* the bare forms map onto /v1/... */
			static const char *const v1[] = { "/v1/models", "/v1/chat/completions",
							   "/v1/completions", "/v1/responses" };
			static const char *const bare[] = { "/models", "/chat/completions",
							    "/completions", "/responses" };
			for (i = 0; i < 4; i++)
				if (strcmp(path, bare[i]) == 0)
					path = v1[i];
		}
		if (strncmp(path, "/v1", 3) != 0)
			return -ENOENT;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (!path_matches(r, path))
			continue;
		if (r->id == R_GEMINI_ACTION) {
			if (gemini_split(path + strlen(r->path), &m) < 0)
				return -ENOENT;
			m.v1_models = r->family == FAM_OPENAI;
			m.family = m.action ? FAM_GEMINI : r->family;
			if (!m.action) {
				/* GET /v1beta/models/{model}: single model info */
				if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
					*ret_allow = "GET HEAD";
					return -EPERM;
				}
				m.route = r;
				*ret = m;
				return 0;
			}
			if (strcmp(method, "POST")) {
				*ret_allow = "POST";
				return -EPERM;
			}
		}
		if (r->id == R_V1INTERNAL) {
			m.action = path + strlen(r->path);
			m.action_len = strlen(m.action);
		}
		if (!method_listed(r->methods, method)) {
			*ret_allow = r->methods;
			return -EPERM;
		}
		m.route = r;
		if (r->id != R_GEMINI_ACTION)
			m.family = r->family;
		*ret = m;
		return 0;
	}
	return -ENOENT;
}

enum api_family route_family_guess(const char *path, const struct http_request *r)
{
	if (!path)
		return FAM_OPENAI;
	if (strncmp(path, "/api/provider/", 14) == 0) {
		const char *slash = strchr(path + 14, '/');
		if (slash)
			path = slash;
	}
	if (strncmp(path, "/v1/messages", 12) == 0)
		return FAM_CLAUDE;
	if (strncmp(path, "/v1beta", 7) == 0 || strncmp(path, "/v1internal", 11) == 0)
		return FAM_GEMINI;
	if (strncmp(path, "/v1/models/", 11) == 0 && strchr(path + 11, ':'))
		return FAM_GEMINI;
	if (strncmp(path, "/v1/responses", 13) == 0)
		return FAM_RESPONSES;
	if (r && http_req_header(r, "anthropic-version"))
		return FAM_CLAUDE;
	if (r && http_req_header(r, "x-goog-api-key"))
		return FAM_GEMINI;
	return FAM_OPENAI;
}
