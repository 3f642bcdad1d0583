/*
 * route.h - method + path → what serves it.  A const table of the original
 * server's routes (SPEC.md §1.1).  Paths are matched as sent (no percent
 * decoding; none of our routes need it); the provider-scoped aliases
 * /api/provider/{name}/... map onto the same entries.
 */
#ifndef CLIPROXY_ROUTE_H
#define CLIPROXY_ROUTE_H

#include <stddef.h>

#include "core/conn.h"

enum route_id {
	R_ROOT, R_HEALTHZ, R_MANAGEMENT_HTML,
	R_MODELS, R_CHAT, R_COMPLETIONS, R_RESPONSES, R_RESPONSES_WS, R_RESPONSES_COMPACT,
	R_MESSAGES, R_COUNT_TOKENS,
	R_GEMINI_MODELS, R_GEMINI_MODEL, R_GEMINI_ACTION,
	R_V1INTERNAL, R_MANAGEMENT, R_OAUTH_CALLBACK,
};

enum route_auth { AUTH_NONE, AUTH_CLIENT, AUTH_MANAGEMENT, AUTH_LOCAL_ONLY };

struct route {
	const char *path;   /* exact path, or prefix when prefix != 0 */
	int prefix;         /* 1: path is a prefix */
	const char *methods; /* space-separated, e.g. "GET HEAD" */
	enum route_id id;
	enum api_family family;
	enum route_auth auth;
	int json_body;      /* 1: POST body must be a JSON object */
};

struct route_match {
	const struct route *route;
	const char *provider; /* /api/provider/{provider}/..., else NULL */
	const char *model;    /* /v1beta/models/{model}:{action} */
	const char *action;   /* generateContent, ... or the /v1internal:{method} */
	enum api_family family; /* error shape: the route's, Gemini for {model}:{action} */
	int v1_models;          /* matched /v1/models/{...} (OpenAI retrieve or Gemini v1) */
	size_t model_len, action_len, provider_len;
};

/* 0 on a match; -ENOENT unknown path (404); -EPERM known path, wrong
   method (405, *ret_allow = the allowed methods, space-separated). */
int route_find(const char *method, const char *path, struct route_match *ret,
	       const char **ret_allow);
/* The family whose error shape a path should get, even when unknown. */
enum api_family route_family_guess(const char *path, const struct http_request *r);

#endif
