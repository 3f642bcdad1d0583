/*
 * handlers.c - the route handlers.  Inference routes check that the body is
 * a JSON object (400 in the family's shape otherwise) before anything else.
 * Routes whose work arrives with later milestones answer 501 in the
 * caller's shape, saying so; management answers 404 while no management
 * secret is configured, as the original does.
 */
#include "core/handlers.h"

#include <crypt.h>
#include <errno.h>
#include <stdbool.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/conn.h"
#include "core/http_req.h"
#include "core/http_resp.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/route.h"
#include "providers/count_tokens.h"
#include "providers/dispatch.h"
#include "providers/listing.h"

static void respond_error(struct conn *c, int status, const char *type, const char *msg)
{
	struct apierr e = { status, type, msg };
	http_respond_error(c, c->family, &e, NULL);
}

static void handle_root(struct conn *c)
{
	static const char *const endpoints[] = {
		"POST /v1/chat/completions", "POST /v1/completions", "POST /v1/responses",
		"POST /v1/messages", "POST /v1/messages/count_tokens", "GET /v1/models",
		"GET /v1beta/models", "POST /v1beta/models/{model}:generateContent",
		"POST /v1beta/models/{model}:streamGenerateContent", NULL,
	};
	struct buf b;
	struct jsonw w;

	buf_init(&b, &c->req_arena, 4096);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "message", "CLI Proxy API Server");
	jw_key(&w, "endpoints");
	jw_arr(&w);
	for (int i = 0; endpoints[i]; i++)
		jw_cstr(&w, endpoints[i]);
	jw_end(&w);
	jw_end(&w);
	http_respond_json(c, 200, &b);
}

static void handle_options(struct conn *c)
{
	static const char cors[] =
		"Access-Control-Allow-Methods: GET, POST, PUT, PATCH, DELETE, OPTIONS\r\n"
		"Access-Control-Allow-Headers: *\r\n"
		"Access-Control-Max-Age: 86400\r\n";
	http_respond(c, 204, NULL, cors, NULL, 0);
}

/* Parse the body as a JSON object; on failure answer 400/413 and return <0. */
static int require_json_object(struct conn *c, struct json *j)
{
	const struct buf *body = &c->req->body;
	int r = json_parse(j, &c->req_arena, body->p, body->len);

	if (r == -E2BIG) {
		respond_error(c, 413, "request_too_large", "request body has too many JSON tokens");
		return r;
	}
	if (r < 0) {
		respond_error(c, 400, "invalid_request_error",
			      body->len ? "Invalid request: body is not valid JSON"
					: "Invalid request: empty body, a JSON object was expected");
		return r;
	}
	if (json_kind(j, 0) != JSON_OBJECT) {
		respond_error(c, 400, "invalid_request_error",
			      "Invalid request: body must be a JSON object");
		return -EINVAL;
	}
	return 0;
}

/* Management: a configured secret (plaintext or bcrypt hash) or the
   MANAGEMENT_PASSWORD environment variable.  Plain {"error": "..."} bodies. */
static void plain_error(struct conn *c, int status, const char *msg)
{
	struct buf b;
	struct jsonw w;

	buf_init(&b, &c->req_arena, 1024);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "error", msg);
	jw_end(&w);
	http_respond_json(c, status, &b);
}

static bool secret_matches(struct conn *c, const char *secret, const char *given)
{
	size_t n = strlen(secret), m = strlen(given);

	if (strncmp(secret, "$2a$", 4) == 0 || strncmp(secret, "$2b$", 4) == 0 ||
	    strncmp(secret, "$2y$", 4) == 0) {
		struct crypt_data *cd = arena_zalloc(&c->req_arena, sizeof(*cd));
		const char *h = cd ? crypt_r(given, secret, cd) : NULL;
		bool ok = h && strlen(h) == n && CRYPTO_memcmp(h, secret, n) == 0;
		if (cd)
			OPENSSL_cleanse(cd, sizeof(*cd));
		return ok;
	}
	return n == m && CRYPTO_memcmp(secret, given, n) == 0;
}

static void handle_management(struct conn *c)
{
	const char *secret = c->cfg.remote_management.secret_key;
	const char *envpw = getenv("MANAGEMENT_PASSWORD");
	const char *key = http_req_header(c->req, "x-management-key");
	bool has_secret = secret && *secret, has_env = envpw && *envpw;

	if (!has_secret && !has_env) {
		plain_error(c, 404, "Not Found");
		return;
	}
	if (!c->local_loopback && !c->cfg.remote_management.allow_remote && !has_env) {
		plain_error(c, 403, "remote management disabled");
		return;
	}
	if (!key) {
		const char *h = http_req_header(c->req, "authorization");
		if (h) {
			const char *sp = strchr(h, ' ');
			key = sp && (size_t)(sp - h) == 6 && strncasecmp(h, "bearer", 6) == 0 ? sp + 1 : h;
		}
	}
	if (!key || !*key) {
		plain_error(c, 401, "missing management key");
		return;
	}
	if (!((has_env && strlen(envpw) == strlen(key) &&
	       CRYPTO_memcmp(envpw, key, strlen(key)) == 0) ||
	      (has_secret && secret_matches(c, secret, key)))) {
		plain_error(c, 401, "invalid management key");
		return;
	}
	plain_error(c, 501, "the management API is not implemented in this version of cliproxy");
}

static void not_yet(struct conn *c, const char *what)
{
	char *msg = arena_printf(&c->req_arena,
				 "%s is not available yet in this version of cliproxy", what);
	respond_error(c, 501, "api_error", msg ? msg : "not implemented");
}

static const char *const gemini_actions[] = {
	"generateContent", "streamGenerateContent", "countTokens", NULL,
};

void handle_request(struct conn *c, const struct route_match *m)
{
	struct json j = { 0 };
	const struct route *r = m->route;

	if (strcmp(c->req->method, "OPTIONS") == 0) {
		handle_options(c);
		return;
	}
	switch (r->id) {
	case R_ROOT:
		handle_root(c);
		return;
	case R_HEALTHZ:
		http_respond(c, 200, "application/json", NULL, "{\"status\":\"ok\"}", 15);
		return;
	case R_MANAGEMENT_HTML:
		http_respond(c, 404, "text/plain; charset=utf-8", NULL, "404 page not found\n", 19);
		return;
	case R_MANAGEMENT:
		handle_management(c);
		return;
	case R_OAUTH_CALLBACK:
		http_respond(c, 501, "text/plain; charset=utf-8", NULL,
			     "logins through the web UI are not supported; use `cliproxy login`\n", 67);
		return;
	case R_V1INTERNAL:
		if (!c->cfg.enable_gemini_cli_endpoint || !c->local_loopback) {
			respond_error(c, 403, "permission_error",
				      "the /v1internal endpoint is disabled (enable-gemini-cli-endpoint)");
			return;
		}
		break;
	case R_GEMINI_ACTION:
		if (m->action) {
			int known = 0;
			for (int i = 0; gemini_actions[i]; i++)
				known |= strlen(gemini_actions[i]) == m->action_len &&
					 memcmp(gemini_actions[i], m->action, m->action_len) == 0;
			if (!known) {
				respond_error(c, 404, "not_found_error",
					      "unknown method: use generateContent, streamGenerateContent or countTokens");
				return;
			}
		}
		break;
	default:
		break;
	}
	if (strcmp(c->req->method, "POST") == 0 && r->json_body &&
	    require_json_object(c, &j) < 0)
		return;
	switch (r->id) {
	case R_MODELS:
		/* @google/genai 3.x lists models at /v1/models too. */
		if (http_req_header(c->req, "x-goog-api-key"))
			listing_gemini(c);
		else
			listing_openai_or_claude(c);
		return;
	case R_GEMINI_MODELS:
		listing_gemini(c);
		return;
	case R_GEMINI_ACTION:
		if (!m->action) {
			if (m->v1_models && !http_req_header(c->req, "x-goog-api-key"))
				listing_openai_model(c, m->model, m->model_len);
			else
				listing_gemini_model(c, m->model, m->model_len);
			return;
		}
		if (m->action_len == 11 && memcmp(m->action, "countTokens", 11) == 0) {
			count_tokens(c, m, IR_FAM_GEMINI);
			return;
		}
		dispatch_inference(c, m, IR_FAM_GEMINI);
		return;
	case R_V1INTERNAL:
		dispatch_inference(c, m, IR_FAM_GEMINI_CLI);
		return;
	case R_CHAT:
		dispatch_inference(c, m, IR_FAM_OPENAI);
		return;
	case R_MESSAGES:
		dispatch_inference(c, m, IR_FAM_CLAUDE);
		return;
	case R_RESPONSES:
		if (strcmp(c->req->method, "GET") == 0) {
			not_yet(c, "the Responses websocket transport");
			return;
		}
		dispatch_inference(c, m, IR_FAM_RESPONSES);
		return;
	case R_COMPLETIONS:
		dispatch_completions(c, m);
		return;
	case R_COUNT_TOKENS:
		count_tokens(c, m, IR_FAM_CLAUDE);
		return;
	case R_RESPONSES_COMPACT:
		not_yet(c, "/v1/responses/compact");
		return;
	default:
		break;
	}
	(void)j;
	not_yet(c, "this endpoint");
}