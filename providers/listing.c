/*
 * listing.c - model lists in the three client shapes, built from the
 * registry (config credentials), so a client sees exactly what it can use.
 * Claude clients are told apart by their user agent (claude-cli) or their
 * anthropic-version header, as the SDKs send it.
 */
#include "providers/listing.h"

#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/conn.h"
#include "core/http_resp.h"
#include "core/jsonw.h"
#include "providers/provider.h"

static int load(struct conn *c, struct model_info **ret, size_t *n)
{
	struct registry reg;

	memset(&reg, 0, sizeof(reg));
	if (registry_build(&reg, &c->cfg, &c->req_arena, &c->secrets) < 0 ||
	    registry_models(&reg, ret, n) < 0) {
		struct apierr e = { 500, "api_error", "cannot build the model list" };
		http_respond_error(c, c->family, &e, NULL);
		return -1;
	}
	return 0;
}

static bool claude_client(const struct conn *c)
{
	const char *ua = http_req_header(c->req, "user-agent");

	return (ua && strncmp(ua, "claude-cli", 10) == 0) ||
	       http_req_header(c->req, "anthropic-version") != NULL;
}

void listing_openai_or_claude(struct conn *c)
{
	struct model_info *m;
	size_t n;
	struct buf b;
	struct jsonw w;
	bool claude = claude_client(c);

	if (load(c, &m, &n) < 0)
		return;
	buf_init(&b, &c->req_arena, 4 << 20);
	jw_init(&w, &b);
	jw_obj(&w);
	if (!claude)
		jw_kstr(&w, "object", "list");
	jw_key(&w, "data");
	jw_arr(&w);
	for (size_t i = 0; i < n; i++) {
		jw_obj(&w);
		jw_kstr(&w, "id", m[i].id);
		jw_kstr(&w, "object", "model");
		if (claude) {
			char ts[32];
			time_t t = (time_t)m[i].created;
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
			jw_kstr(&w, "owned_by", m[i].owned_by);
			jw_kstr(&w, "created_at", ts);
			jw_kstr(&w, "type", "model");
			jw_kstr(&w, "display_name", m[i].id);
		} else {
			jw_kint(&w, "created", m[i].created);
			jw_kstr(&w, "owned_by", m[i].owned_by);
		}
		jw_end(&w);
	}
	jw_end(&w);
	if (claude) {
		jw_kbool(&w, "has_more", false);
		jw_kstr(&w, "first_id", n ? m[0].id : NULL);
		jw_kstr(&w, "last_id", n ? m[n - 1].id : NULL);
	}
	jw_end(&w);
	http_respond_json(c, 200, &b);
}

static void gemini_entry(struct jsonw *w, const struct model_info *m)
{
	char name[300];

	snprintf(name, sizeof(name), "models/%s", m->id);
	jw_obj(w);
	jw_kstr(w, "name", name);
	jw_kstr(w, "version", "001");
	jw_kstr(w, "displayName", m->id);
	jw_kstr(w, "description", m->id);
	jw_key(w, "supportedGenerationMethods");
	jw_arr(w);
	jw_cstr(w, "generateContent");
	jw_cstr(w, "streamGenerateContent");
	jw_cstr(w, "countTokens");
	jw_end(w);
	jw_end(w);
}

void listing_gemini(struct conn *c)
{
	struct model_info *m;
	size_t n;
	struct buf b;
	struct jsonw w;

	if (load(c, &m, &n) < 0)
		return;
	buf_init(&b, &c->req_arena, 4 << 20);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "models");
	jw_arr(&w);
	for (size_t i = 0; i < n; i++)
		gemini_entry(&w, &m[i]);
	jw_end(&w);
	jw_end(&w);
	http_respond_json(c, 200, &b);
}

void listing_gemini_model(struct conn *c, const char *model, size_t len)
{
	struct model_info *m;
	size_t n;
	struct buf b;
	struct jsonw w;

	if (len > 7 && memcmp(model, "models/", 7) == 0) {
		model += 7;
		len -= 7;
	}
	if (load(c, &m, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (strlen(m[i].id) != len || memcmp(m[i].id, model, len) != 0)
			continue;
		buf_init(&b, &c->req_arena, 4096);
		jw_init(&w, &b);
		gemini_entry(&w, &m[i]);
		http_respond_json(c, 200, &b);
		return;
	}
	{
		struct apierr e = { 404, "not_found_error", "model not found" };
		http_respond_error(c, c->family, &e, NULL);
	}
}

void listing_openai_model(struct conn *c, const char *model, size_t len)
{
	struct model_info *m;
	size_t n;
	struct buf b;
	struct jsonw w;

	if (load(c, &m, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (strlen(m[i].id) != len || memcmp(m[i].id, model, len) != 0)
			continue;
		buf_init(&b, &c->req_arena, 4096);
		jw_init(&w, &b);
		jw_obj(&w);
		jw_kstr(&w, "id", m[i].id);
		jw_kstr(&w, "object", "model");
		jw_kint(&w, "created", m[i].created);
		jw_kstr(&w, "owned_by", m[i].owned_by);
		jw_end(&w);
		http_respond_json(c, 200, &b);
		return;
	}
	{
		struct apierr e = { 404, "invalid_request_error", "model not found" };
		http_respond_error(c, c->family, &e, NULL);
	}
}
