/*
 * gemini_cli.c - the Gemini CLI / Cloud Code Assist envelope around Gemini:
 * requests {model, project, user_prompt_id?, request:{<generateContent>}},
 * answers and stream chunks {response:{<GenerateContentResponse>}, traceId?}.
 * Everything inside is gemini.c / gemini_resp.c; this file only wraps and
 * unwraps.  Refuses a request whose `request` member is not an object.
 */
#include "translate/gemini.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"

static int parse(struct xlate_ctx *c, struct json *j, const char *s, size_t n, bool upstream,
		 struct apierr *e)
{
	int rc = json_parse(j, c->a, s, n);

	if (rc == 0)
		return 0;
	if (rc == -ENOMEM)
		return apierr_set(e, rc, 500, "api_error", "out of memory");
	if (upstream)
		return apierr_set(e, -EPROTO, 502, "api_error", "upstream answer is not valid JSON");
	if (rc == -E2BIG)
		return apierr_set(e, rc, 413, "request_too_large", "request JSON too large");
	return apierr_set(e, -EINVAL, 400, "invalid_request_error", "request body is not valid JSON");
}

static int cli_decode_request(struct xlate_ctx *c, const char *json, size_t n,
			      struct ir_request *ret, struct apierr *e)
{
	struct json j;
	int rc, inner;

	memset(ret, 0, sizeof(*ret));
	if ((rc = parse(c, &j, json, n, false, e)) < 0)
		return rc;
	if (json_kind(&j, 0) != JSON_OBJECT)
		return apierr_set(e, -EINVAL, 400, "invalid_request_error",
				  "request body must be a JSON object");
	inner = json_get(&j, 0, "request");
	if (inner >= 0 && json_kind(&j, inner) != JSON_OBJECT)
		return apierr_set(e, -EINVAL, 400, "invalid_request_error",
				  "`request` must be an object");
	/* Lenient: a bare generateContent body decodes too. */
	rc = gemini_decode_req(c, &j, inner >= 0 ? inner : 0, IR_FAM_GEMINI_CLI, ret, e);
	if (json_kind(&j, json_get(&j, 0, "model")) == JSON_STRING)
		ret->model = json_gets(&j, 0, "model", c->a);
	ret->raw.p = json;
	ret->raw.n = n;
	ret->family = IR_FAM_GEMINI_CLI;
	return rc;
}

static int cli_encode_request(struct xlate_ctx *c, const struct ir_request *r, struct buf *out,
			      struct apierr *e)
{
	struct jsonw w;
	const char *model = c->upstream_model ? c->upstream_model : r->model;
	int rc;

	jw_init(&w, out);
	jw_obj(&w);
	if (model)
		jw_kstr(&w, "model", model);
	if (c->project)
		jw_kstr(&w, "project", c->project);
	jw_key(&w, "request");
	rc = gemini_write_req(c, r, IR_FAM_GEMINI_CLI, &w, e);
	if (rc < 0)
		return rc;
	jw_end(&w);
	if (jw_error(&w))
		return apierr_set(e, jw_error(&w), jw_error(&w) == -E2BIG ? 413 : 500, NULL,
				  "request too large");
	return 0;
}

/* Same family: the envelope keeps every member but model (and project, when
   the credential has its own) replaced. */
static int cli_passthrough_request(struct xlate_ctx *c, const char *json, size_t n,
				   const char *model, bool stream, struct buf *out,
				   struct apierr *e)
{
	struct json j;
	struct jsonw w;
	bool seen_model = false, seen_project = false;
	int rc, k;

	if ((rc = parse(c, &j, json, n, false, e)) < 0)
		return rc;
	if (json_kind(&j, 0) != JSON_OBJECT)
		return apierr_set(e, -EINVAL, 400, "invalid_request_error",
				  "request body must be a JSON object");
	jw_init(&w, out);
	jw_obj(&w);
	for (k = json_first(&j, 0); k >= 0; k = json_after(&j, k)) {
		size_t kn, vn;
		const char *val = json_text(&j, k + 1, &vn);

		if (json_streq(&j, k, "model") && model) {
			jw_kstr(&w, "model", model);
			seen_model = true;
			continue;
		}
		if (json_streq(&j, k, "project") && c->project) {
			jw_kstr(&w, "project", c->project);
			seen_project = true;
			continue;
		}
		{
			char *u = json_str(&j, k, c->a, &kn);
			if (!u)
				return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
			jw_keyn(&w, u, kn);
		}
		jw_raw(&w, val, vn);
	}
	if (!seen_model && model)
		jw_kstr(&w, "model", model);
	if (!seen_project && c->project)
		jw_kstr(&w, "project", c->project);
	jw_end(&w);
	if (jw_error(&w))
		return apierr_set(e, jw_error(&w), jw_error(&w) == -E2BIG ? 413 : 500, NULL,
				  "request too large");
	return 0;
}

static int cli_decode_response(struct xlate_ctx *c, const char *json, size_t n,
			       struct ir_response *ret, struct apierr *e)
{
	struct json j;
	int rc, root = 0, inner;

	memset(ret, 0, sizeof(*ret));
	if ((rc = parse(c, &j, json, n, true, e)) < 0)
		return rc;
	if (json_kind(&j, root) == JSON_ARRAY)
		root = json_first(&j, root);
	inner = json_get(&j, root, "response");
	if (json_kind(&j, inner) == JSON_OBJECT)
		root = inner;
	return gemini_decode_resp(c, &j, root, IR_FAM_GEMINI_CLI, ret, e);
}

static int cli_encode_response(struct xlate_ctx *c, const struct ir_response *r,
			       struct buf *out, struct apierr *e)
{
	struct jsonw w;
	int rc;

	jw_init(&w, out);
	jw_obj(&w);
	jw_key(&w, "response");
	rc = gemini_write_resp(c, r, IR_FAM_GEMINI_CLI, &w);
	jw_end(&w);
	if (rc < 0 || jw_error(&w))
		return apierr_set(e, rc < 0 ? rc : jw_error(&w), 500, "api_error",
				  "cannot write response");
	return 0;
}

static int cli_dec_init(void *st, struct xlate_ctx *c)
{
	return gemini_dec_start(st, c, IR_FAM_GEMINI_CLI);
}

static int cli_decode_event(void *st, struct xlate_ctx *c, const struct sse_event *ev,
			    ir_emit_fn emit, void *arg)
{
	return gemini_dec_sse(st, c, ev, true, emit, arg);
}

static int cli_decode_end(void *st, struct xlate_ctx *c, ir_emit_fn emit, void *arg)
{
	return gemini_dec_finish(st, c, emit, arg);
}

static int cli_enc_init(void *st, struct xlate_ctx *c)
{
	return gemini_enc_start(st, c, IR_FAM_GEMINI_CLI, true);
}

static int cli_encode_event(void *st, struct xlate_ctx *c, const struct ir_event *ev,
			    struct buf *out)
{
	return gemini_enc_event(st, c, ev, out);
}

const struct family family_gemini_cli = {
	.name = "gemini-cli",
	.id = IR_FAM_GEMINI_CLI,
	.decode_request = cli_decode_request,
	.encode_request = cli_encode_request,
	.passthrough_request = cli_passthrough_request,
	.decode_response = cli_decode_response,
	.encode_response = cli_encode_response,
	.dec_size = sizeof(struct gemini_dec),
	.dec_init = cli_dec_init,
	.decode_event = cli_decode_event,
	.decode_end = cli_decode_end,
	.enc_size = sizeof(struct gemini_enc),
	.enc_init = cli_enc_init,
	.encode_event = cli_encode_event,
	.decode_error = gemini_decode_error,
	.encode_error = gemini_encode_error,
};
