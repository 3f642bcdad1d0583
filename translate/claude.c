/*
 * claude.c - Claude Messages <-> IR: requests, non-stream responses, SSE
 * events (message_start, content_block_*, message_delta, message_stop, ping,
 * error) and error bodies.  Refuses requests that break the IR invariants
 * (e.g. a tool_result for an unknown tool_use id: 400, as Claude does);
 * drops blocks it cannot express (server tools, images in answers) and
 * signatures Claude would reject.  Passthrough edits only model and stream.
 */
#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "translate/family.h"
#include "translate/ir.h"
#include "translate/sse.h"

#define CLAUDE_DEFAULT_MAX_TOKENS 32000
#define CLAUDE_MIN_BUDGET 1024
#define BILLING "x-anthropic-billing-header:"

/* ---- small JSON helpers -------------------------------------------------- */

static struct ir_str jstr(struct xlate_ctx *c, const struct json *j, int i)
{
	struct ir_str s = IR_STR_NONE;
	size_t n;
	char *p = json_str(j, i, c->a, &n);

	if (p) {
		s.p = p;
		s.n = n;
	}
	return s;
}

static const char *jcstr(struct xlate_ctx *c, const struct json *j, int i)
{
	return json_str(j, i, c->a, NULL);
}

static struct ir_str jtext(const struct json *j, int i)
{
	struct ir_str s = IR_STR_NONE;
	size_t n;
	const char *p = json_text(j, i, &n);

	if (p && i >= 0) {
		s.p = p;
		s.n = n;
	}
	return s;
}

static int bad_req(struct apierr *e, const char *msg)
{
	return apierr_set(e, -EINVAL, 400, "invalid_request_error", msg);
}

static int bad_up(struct apierr *e, const char *msg)
{
	return apierr_set(e, -EPROTO, 502, "api_error", msg);
}

static void jw_kir(struct jsonw *w, const char *key, struct ir_str s)
{
	jw_key(w, key);
	jw_str(w, s.p ? s.p : "", s.n);
}

/* A Responses custom (free-form) tool as a Claude tool: one string. */
#define CUSTOM_SCHEMA \
	"{\"type\":\"object\",\"properties\":{\"input\":{\"type\":\"string\"}},\"required\":[\"input\"]}"
#define EMPTY_SCHEMA "{\"type\":\"object\",\"properties\":{}}"

static void jw_rawc(struct jsonw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

static void jw_rawstr(struct jsonw *w, struct ir_str s)
{
	jw_raw(w, s.p, s.n);
}

/* ---- stop reasons, usage, error types ------------------------------------ */

static const struct {
	const char *name;
	enum ir_stop stop;
} stops[] = {
	{ "end_turn", IR_STOP_END_TURN },
	{ "max_tokens", IR_STOP_MAX_TOKENS },
	{ "tool_use", IR_STOP_TOOL_USE },
	{ "stop_sequence", IR_STOP_STOP_SEQUENCE },
	{ "pause_turn", IR_STOP_PAUSE },
	{ "refusal", IR_STOP_SAFETY },
	{ "model_context_window_exceeded", IR_STOP_MAX_TOKENS },
};

static enum ir_stop stop_from(const char *s)
{
	size_t i;

	if (!s)
		return IR_STOP_UNSET;
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		if (strcmp(s, stops[i].name) == 0)
			return stops[i].stop;
	return IR_STOP_OTHER;
}

static const char *stop_to(enum ir_stop s, const char *raw, bool any_tool)
{
	switch (s) {
	case IR_STOP_MAX_TOKENS:
		return "max_tokens";
	case IR_STOP_TOOL_USE:
		return "tool_use";
	case IR_STOP_STOP_SEQUENCE:
		return "stop_sequence";
	case IR_STOP_SAFETY:
		return "refusal";
	case IR_STOP_PAUSE:
		return "pause_turn";
	default:
		return any_tool ? "tool_use" : "end_turn";
	}
	(void)raw;
}

/* Claude's own usage numbers, merged as they arrive. */
struct cusage {
	bool has_in, has_out, has_cr, has_cc;
	int64_t in, out, cr, cc;
};

static void cusage_read(const struct json *j, int u, struct cusage *cu)
{
	int64_t v;

	if (json_int(j, json_get(j, u, "input_tokens"), &v) == 0) {
		cu->has_in = true;
		cu->in = v;
	}
	if (json_int(j, json_get(j, u, "output_tokens"), &v) == 0) {
		cu->has_out = true;
		cu->out = v;
	}
	if (json_int(j, json_get(j, u, "cache_read_input_tokens"), &v) == 0) {
		cu->has_cr = true;
		cu->cr = v;
	}
	if (json_int(j, json_get(j, u, "cache_creation_input_tokens"), &v) == 0) {
		cu->has_cc = true;
		cu->cc = v;
	}
}

/* Claude -> IR (rule 6: input includes cache reads and creation). */
static struct ir_usage cusage_ir(const struct cusage *cu)
{
	struct ir_usage u;

	memset(&u, 0, sizeof(u));
	if (cu->has_in || cu->has_cr || cu->has_cc) {
		u.has_input = true;
		u.input = cu->in + (cu->has_cr ? cu->cr : 0) + (cu->has_cc ? cu->cc : 0);
	}
	if (cu->has_out) {
		u.has_output = true;
		u.output = cu->out;
	}
	u.has_cached = cu->has_cr;
	u.cached = cu->cr;
	u.has_cache_creation = cu->has_cc;
	u.cache_creation = cu->cc;
	return u;
}

static void enc_usage(struct jsonw *w, const struct ir_usage *u)
{
	int64_t cr = u->has_cached ? u->cached : 0;
	int64_t cc = u->has_cache_creation ? u->cache_creation : 0;
	int64_t in = u->has_input ? u->input - cr - cc : 0;

	jw_obj(w);
	jw_kint(w, "input_tokens", in < 0 ? 0 : in);
	jw_kint(w, "cache_creation_input_tokens", cc);
	jw_kint(w, "cache_read_input_tokens", cr);
	jw_kint(w, "output_tokens", u->has_output ? u->output : 0);
	jw_end(w);
}

static const struct {
	const char *type;
	int status;
} err_types[] = {
	{ "invalid_request_error", 400 }, { "authentication_error", 401 },
	{ "billing_error", 402 },         { "permission_error", 403 },
	{ "not_found_error", 404 },       { "request_too_large", 413 },
	{ "rate_limit_error", 429 },      { "api_error", 500 },
	{ "timeout_error", 504 },         { "overloaded_error", 529 },
};

static int status_of_type(const char *type)
{
	size_t i;

	if (type)
		for (i = 0; i < sizeof(err_types) / sizeof(err_types[0]); i++)
			if (strcmp(type, err_types[i].type) == 0)
				return err_types[i].status;
	return 500;
}

static const char *claude_type(const char *type, int status)
{
	size_t i;

	if (type)
		for (i = 0; i < sizeof(err_types) / sizeof(err_types[0]); i++)
			if (strcmp(type, err_types[i].type) == 0)
				return err_types[i].type;
	return apierr_type_for_status(status);
}

/* ---- request decoding ---------------------------------------------------- */

static struct ir_part *newpart(struct arena *a, struct ir_message *m, struct ir_part *res,
			       enum ir_part_kind kind)
{
	return m ? ir_add_part(a, m, kind) : ir_add_result_part(a, res, kind);
}

/* image / document block -> part.  Unknown source types: -EINVAL. */
static int dec_media(struct xlate_ctx *c, const struct json *j, int b, struct ir_part *p)
{
	int src = json_get(j, b, "source");

	if (json_streq(j, json_get(j, src, "type"), "base64")) {
		p->mime = jcstr(c, j, json_get(j, src, "media_type"));
		p->data = jstr(c, j, json_get(j, src, "data"));
		if (!p->data.p)
			return -EINVAL;
	} else if (json_streq(j, json_get(j, src, "type"), "url")) {
		p->url = jcstr(c, j, json_get(j, src, "url"));
		if (!p->url)
			return -EINVAL;
	} else if (json_streq(j, json_get(j, src, "type"), "file")) {
		p->file_id = jcstr(c, j, json_get(j, src, "file_id"));
		if (!p->file_id)
			return -EINVAL;
	} else if (p->kind == IR_PART_FILE && json_streq(j, json_get(j, src, "type"), "text")) {
		p->mime = jcstr(c, j, json_get(j, src, "media_type"));
		p->text = jstr(c, j, json_get(j, src, "data"));
		if (!p->text.p)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (p->kind == IR_PART_FILE)
		p->filename = jcstr(c, j, json_get(j, b, "title"));
	p->cache_control = jtext(j, json_get(j, b, "cache_control"));
	return 0;
}

static int dec_thinking_sig(struct xlate_ctx *c, const struct json *j, int t, struct ir_part *p)
{
	struct ir_str s = jstr(c, j, t);

	if (!s.p || s.n == 0)
		return 0;
	ir_sig_untag(s, IR_FAM_CLAUDE, &p->sig_family, &p->signature);
	return 0;
}

static int dec_block(struct xlate_ctx *c, const struct json *j, int b, enum ir_role role,
		     struct ir_message *m, struct ir_part *res, struct apierr *e);

static int dec_tool_result(struct xlate_ctx *c, const struct json *j, int b,
			   struct ir_message *m, struct apierr *e)
{
	struct ir_part *p = ir_add_part(c->a, m, IR_PART_TOOL_RESULT);
	int ct, k, r;

	if (!p)
		return -ENOMEM;
	p->call_id = jcstr(c, j, json_get(j, b, "tool_use_id"));
	if (!p->call_id || !*p->call_id)
		return bad_req(e, "tool_result: tool_use_id required");
	p->is_error = json_truthy(j, json_get(j, b, "is_error"));
	p->cache_control = jtext(j, json_get(j, b, "cache_control"));
	ct = json_get(j, b, "content");
	if (json_kind(j, ct) == JSON_STRING) {
		struct ir_part *t = ir_add_result_part(c->a, p, IR_PART_TEXT);
		if (!t)
			return -ENOMEM;
		t->text = jstr(c, j, ct);
	} else if (json_kind(j, ct) == JSON_ARRAY) {
		for (k = json_first(j, ct); k >= 0; k = json_after(j, k)) {
			r = dec_block(c, j, k, IR_ROLE_USER, NULL, p, e);
			if (r < 0)
				return r;
		}
	} else if (ct >= 0 && json_kind(j, ct) != JSON_NULL) {
		return bad_req(e, "tool_result: content must be a string or an array");
	}
	return 0;
}

/* One content block into message m (or, m NULL, into tool result res). */
static int dec_block(struct xlate_ctx *c, const struct json *j, int b, enum ir_role role,
		     struct ir_message *m, struct ir_part *res, struct apierr *e)
{
	int ty = json_get(j, b, "type");
	struct ir_part *p;

	if (json_kind(j, b) != JSON_OBJECT)
		return bad_req(e, "content block must be an object");
	if (json_streq(j, ty, "text")) {
		p = newpart(c->a, m, res, IR_PART_TEXT);
		if (!p)
			return -ENOMEM;
		p->text = jstr(c, j, json_get(j, b, "text"));
		if (!p->text.p)
			return bad_req(e, "text block: text must be a string");
		p->cache_control = jtext(j, json_get(j, b, "cache_control"));
		return 0;
	}
	if (json_streq(j, ty, "image") || json_streq(j, ty, "document")) {
		p = newpart(c->a, m, res,
			    json_streq(j, ty, "image") ? IR_PART_IMAGE : IR_PART_FILE);
		if (!p)
			return -ENOMEM;
		if (role == IR_ROLE_SYSTEM)
			return bad_req(e, "system message: only text blocks");
		if (dec_media(c, j, b, p) < 0)
			return bad_req(e, "image/document block: unsupported source");
		return 0;
	}
	if (!m) /* tool_result content: text, image, document only */
		return bad_req(e, "tool_result content: only text, image and document blocks");
	if (json_streq(j, ty, "tool_use")) {
		int in = json_get(j, b, "input");
		if (role != IR_ROLE_ASSISTANT)
			return bad_req(e, "tool_use block outside an assistant message");
		p = ir_add_part(c->a, m, IR_PART_TOOL_CALL);
		if (!p)
			return -ENOMEM;
		p->call_id = jcstr(c, j, json_get(j, b, "id"));
		p->name = jcstr(c, j, json_get(j, b, "name"));
		if (!p->call_id || !*p->call_id || !p->name || !*p->name)
			return bad_req(e, "tool_use block: id and name required");
		if (in >= 0 && json_kind(j, in) != JSON_OBJECT)
			return bad_req(e, "tool_use block: input must be an object");
		p->args = in >= 0 ? jtext(j, in) : IR_STR_LIT("{}");
		p->cache_control = jtext(j, json_get(j, b, "cache_control"));
		return 0;
	}
	if (json_streq(j, ty, "tool_result")) {
		if (role != IR_ROLE_USER)
			return bad_req(e, "tool_result block outside a user message");
		return dec_tool_result(c, j, b, m, e);
	}
	if (json_streq(j, ty, "thinking")) {
		if (role != IR_ROLE_ASSISTANT)
			return bad_req(e, "thinking block outside an assistant message");
		p = ir_add_part(c->a, m, IR_PART_THINKING);
		if (!p)
			return -ENOMEM;
		p->text = jstr(c, j, json_get(j, b, "thinking"));
		if (!p->text.p)
			p->text = IR_STR_LIT("");
		return dec_thinking_sig(c, j, json_get(j, b, "signature"), p);
	}
	if (json_streq(j, ty, "redacted_thinking")) {
		struct ir_str d = jstr(c, j, json_get(j, b, "data"));
		if (role != IR_ROLE_ASSISTANT)
			return bad_req(e, "redacted_thinking block outside an assistant message");
		if (!d.p)
			return bad_req(e, "redacted_thinking block: data required");
		p = ir_add_part(c->a, m, IR_PART_REDACTED_THINKING);
		if (!p)
			return -ENOMEM;
		ir_sig_untag(d, IR_FAM_CLAUDE, &p->sig_family, &p->signature);
		return 0;
	}
	/* server_tool_use, web_search_tool_result, container_upload, ...:
	   meaningful only to Claude itself, which gets them by passthrough. */
	return 0;
}

static int dec_content(struct xlate_ctx *c, const struct json *j, int ct, struct ir_message *m,
		       struct apierr *e)
{
	int k, r;

	if (json_kind(j, ct) == JSON_STRING) {
		struct ir_part *p = ir_add_part(c->a, m, IR_PART_TEXT);
		if (!p)
			return -ENOMEM;
		p->text = jstr(c, j, ct);
		return 0;
	}
	if (json_kind(j, ct) != JSON_ARRAY)
		return bad_req(e, "messages: content must be a string or an array");
	for (k = json_first(j, ct); k >= 0; k = json_after(j, k)) {
		r = dec_block(c, j, k, m->role, m, NULL, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int dec_system(struct xlate_ctx *c, const struct json *j, int s, struct ir_request *r,
		      struct apierr *e)
{
	struct ir_part *p;
	int k;

	if (json_kind(j, s) == JSON_STRING) {
		p = ir_add_system(c->a, r);
		if (!p)
			return -ENOMEM;
		p->text = jstr(c, j, s);
		return 0;
	}
	if (json_kind(j, s) != JSON_ARRAY)
		return bad_req(e, "system must be a string or an array of text blocks");
	for (k = json_first(j, s); k >= 0; k = json_after(j, k)) {
		struct ir_str t;
		if (!json_streq(j, json_get(j, k, "type"), "text"))
			return bad_req(e, "system: only text blocks");
		t = jstr(c, j, json_get(j, k, "text"));
		/* Claude Code's billing line is client metadata, not prompt:
		   only Claude reads it, and Claude gets it by passthrough. */
		if (t.p && t.n >= sizeof(BILLING) - 1 && memcmp(t.p, BILLING, sizeof(BILLING) - 1) == 0)
			continue;
		p = ir_add_system(c->a, r);
		if (!p)
			return -ENOMEM;
		p->text = t;
		if (!p->text.p)
			return bad_req(e, "system: text must be a string");
		p->cache_control = jtext(j, json_get(j, k, "cache_control"));
	}
	return 0;
}

static int dec_tools(struct xlate_ctx *c, const struct json *j, int ts, struct ir_request *r,
		     struct apierr *e)
{
	int k;

	if (json_kind(j, ts) != JSON_ARRAY)
		return bad_req(e, "tools must be an array");
	for (k = json_first(j, ts); k >= 0; k = json_after(j, k)) {
		int ty = json_get(j, k, "type");
		bool builtin = ty >= 0 && !json_streq(j, ty, "custom");
		struct ir_tool *t = ir_add_tool(c->a, r, builtin ? IR_TOOL_BUILTIN : IR_TOOL_FUNCTION);
		int sc;

		if (!t)
			return -ENOMEM;
		if (json_kind(j, k) != JSON_OBJECT)
			return bad_req(e, "tools: each tool must be an object");
		t->name = jcstr(c, j, json_get(j, k, "name"));
		t->raw = jtext(j, k);
		t->raw_family = IR_FAM_CLAUDE;
		t->cache_control = jtext(j, json_get(j, k, "cache_control"));
		if (builtin) {
			t->type = jcstr(c, j, ty);
			if (!t->type)
				return bad_req(e, "tools: type must be a string");
			continue;
		}
		if (!t->name || !*t->name)
			return bad_req(e, "tools: name required");
		t->description = jstr(c, j, json_get(j, k, "description"));
		sc = json_get(j, k, "input_schema");
		if (sc >= 0 && json_kind(j, sc) != JSON_OBJECT)
			return bad_req(e, "tools: input_schema must be an object");
		t->parameters = jtext(j, sc);
		if (json_get(j, k, "strict") >= 0)
			t->strict = json_truthy(j, json_get(j, k, "strict"));
	}
	return 0;
}

static int dec_tool_choice(struct xlate_ctx *c, const struct json *j, int tc, struct ir_request *r,
			   struct apierr *e)
{
	int ty = json_get(j, tc, "type");

	if (json_streq(j, ty, "auto"))
		r->tool_choice.kind = IR_TC_AUTO;
	else if (json_streq(j, ty, "any"))
		r->tool_choice.kind = IR_TC_REQUIRED;
	else if (json_streq(j, ty, "none"))
		r->tool_choice.kind = IR_TC_NONE;
	else if (json_streq(j, ty, "tool")) {
		r->tool_choice.kind = IR_TC_TOOL;
		r->tool_choice.name = jcstr(c, j, json_get(j, tc, "name"));
		if (!r->tool_choice.name)
			return bad_req(e, "tool_choice: name required for type tool");
	} else {
		return bad_req(e, "tool_choice: unknown type");
	}
	if (json_get(j, tc, "disable_parallel_tool_use") >= 0)
		r->parallel_tool_calls = !json_truthy(j, json_get(j, tc, "disable_parallel_tool_use"));
	return 0;
}

static int dec_thinking(struct xlate_ctx *c, const struct json *j, int th, struct ir_request *r,
			struct apierr *e)
{
	int ty = json_get(j, th, "type");
	int64_t v;

	if (json_streq(j, ty, "enabled")) {
		r->reasoning.mode = IR_THINK_ENABLED;
		if (json_int(j, json_get(j, th, "budget_tokens"), &v) == 0) {
			r->reasoning.has_budget = true;
			r->reasoning.budget = v;
		}
	} else if (json_streq(j, ty, "disabled")) {
		r->reasoning.mode = IR_THINK_DISABLED;
	} else if (json_streq(j, ty, "adaptive") || json_streq(j, ty, "auto")) {
		r->reasoning.mode = IR_THINK_ADAPTIVE;
	} else {
		return bad_req(e, "thinking: unknown type");
	}
	return 0;
}

static int dec_format(struct xlate_ctx *c, const struct json *j, int f, struct ir_request *r)
{
	if (f < 0)
		return 0;
	if (json_streq(j, json_get(j, f, "type"), "json_schema")) {
		r->format.kind = IR_FMT_JSON_SCHEMA;
		r->format.schema = jtext(j, json_get(j, f, "schema"));
		if (!r->format.schema.p)
			r->format.kind = IR_FMT_UNSET;
	}
	return 0;
}

static int claude_decode_request(struct xlate_ctx *c, const char *body, size_t n,
				 struct ir_request *r, struct apierr *e)
{
	struct json j;
	int v, k, rc;
	int64_t iv;
	double dv;
	const char *why;

	memset(r, 0, sizeof(*r));
	r->parallel_tool_calls = -1;
	r->reasoning.include_thoughts = -1;
	r->format.strict = -1;
	r->family = IR_FAM_CLAUDE;
	r->raw.p = body;
	r->raw.n = n;
	rc = xlate_parse(c, &j, body, n, false, e);
	if (rc < 0)
		return rc;
	if (json_kind(&j, 0) != JSON_OBJECT)
		return bad_req(e, "request body must be a JSON object");

	r->model = jcstr(c, &j, json_get(&j, 0, "model"));
	if (!r->model)
		return bad_req(e, "model: required string");
	r->stream = json_truthy(&j, json_get(&j, 0, "stream"));

	v = json_get(&j, 0, "system");
	if (v >= 0 && (rc = dec_system(c, &j, v, r, e)) < 0)
		return rc;

	v = json_get(&j, 0, "messages");
	if (json_kind(&j, v) != JSON_ARRAY)
		return bad_req(e, "messages: required array");
	for (k = json_first(&j, v); k >= 0; k = json_after(&j, k)) {
		int role = json_get(&j, k, "role");
		enum ir_role ir;
		struct ir_message *m;

		if (json_streq(&j, role, "user"))
			ir = IR_ROLE_USER;
		else if (json_streq(&j, role, "assistant"))
			ir = IR_ROLE_ASSISTANT;
		else if (json_streq(&j, role, "system"))
			ir = IR_ROLE_SYSTEM;
		else
			return bad_req(e, "messages: role must be user, assistant or system");
		m = ir_add_message(c->a, r, ir);
		if (!m)
			return -ENOMEM;
		rc = dec_content(c, &j, json_get(&j, k, "content"), m, e);
		if (rc < 0)
			return rc;
	}

	v = json_get(&j, 0, "tools");
	if (v >= 0 && (rc = dec_tools(c, &j, v, r, e)) < 0)
		return rc;
	v = json_get(&j, 0, "tool_choice");
	if (v >= 0 && (rc = dec_tool_choice(c, &j, v, r, e)) < 0)
		return rc;

	if (json_int(&j, json_get(&j, 0, "max_tokens"), &iv) == 0) {
		r->gen.has_max_tokens = true;
		r->gen.max_tokens = iv;
	}
	if (json_double(&j, json_get(&j, 0, "temperature"), &dv) == 0) {
		r->gen.has_temperature = true;
		r->gen.temperature = dv;
	}
	if (json_double(&j, json_get(&j, 0, "top_p"), &dv) == 0) {
		r->gen.has_top_p = true;
		r->gen.top_p = dv;
	}
	if (json_int(&j, json_get(&j, 0, "top_k"), &iv) == 0) {
		r->gen.has_top_k = true;
		r->gen.top_k = iv;
	}
	v = json_get(&j, 0, "stop_sequences");
	for (k = json_first(&j, v); k >= 0; k = json_after(&j, k)) {
		struct ir_str s = jstr(c, &j, k);
		if (!s.p)
			return bad_req(e, "stop_sequences: strings only");
		if (ir_add_stop(c->a, r, s.p, s.n) < 0)
			return -ENOMEM;
	}

	v = json_get(&j, 0, "thinking");
	if (v >= 0 && (rc = dec_thinking(c, &j, v, r, e)) < 0)
		return rc;
	v = json_get(&j, 0, "output_config");
	r->reasoning.effort = jcstr(c, &j, json_get(&j, v, "effort"));
	if ((rc = dec_format(c, &j, json_get(&j, v, "format"), r)) < 0)
		return rc;
	if ((rc = dec_format(c, &j, json_get(&j, 0, "output_format"), r)) < 0)
		return rc;

	v = json_get(&j, 0, "metadata");
	if (json_kind(&j, v) == JSON_OBJECT) {
		r->metadata = jtext(&j, v);
		r->user = jcstr(c, &j, json_get(&j, v, "user_id"));
	}

	if (ir_check_request(r, &why) < 0)
		return bad_req(e, why);
	return 0;
}

/* Claude tool ids: [A-Za-z0-9_-]; other characters become '_'. */
static const char *tool_id(struct xlate_ctx *c, const char *id)
{
	size_t i, n;
	char *s;

	if (!id || !*id)
		return xlate_id(c, "toolu_", 24);
	n = strlen(id);
	for (i = 0; i < n; i++) {
		char ch = id[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			break;
	}
	if (i == n)
		return id;
	s = arena_strndup(c->a, id, n);
	if (!s)
		return id;
	for (; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			s[i] = '_';
	}
	return s;
}

/* ---- request encoding ---------------------------------------------------- */

static void enc_media(struct jsonw *w, const struct ir_part *p)
{
	jw_obj(w);
	jw_kstr(w, "type", p->kind == IR_PART_IMAGE ? "image" : "document");
	jw_key(w, "source");
	jw_obj(w);
	if (p->data.p) {
		jw_kstr(w, "type", "base64");
		jw_kstr(w, "media_type", p->mime ? p->mime :
				p->kind == IR_PART_IMAGE ? "image/png" : "application/pdf");
		jw_kir(w, "data", p->data);
	} else if (p->url) {
		jw_kstr(w, "type", "url");
		jw_kstr(w, "url", p->url);
	} else if (p->file_id) {
		jw_kstr(w, "type", "file");
		jw_kstr(w, "file_id", p->file_id);
	} else {
		jw_kstr(w, "type", "text");
		jw_kstr(w, "media_type", "text/plain");
		jw_kir(w, "data", p->text);
	}
	jw_end(w);
	if (p->kind == IR_PART_FILE && p->filename)
		jw_kstr(w, "title", p->filename);
	if (p->cache_control.p) {
		jw_key(w, "cache_control");
		jw_rawstr(w, p->cache_control);
	}
	jw_end(w);
}

static void enc_text_block(struct jsonw *w, struct ir_str text, struct ir_str cc)
{
	jw_obj(w);
	jw_kstr(w, "type", "text");
	jw_kir(w, "text", text);
	if (cc.p) {
		jw_key(w, "cache_control");
		jw_rawstr(w, cc);
	}
	jw_end(w);
}

/* A custom (free-form) tool call's input as a Claude tool_use input. */
static void enc_custom_input(struct jsonw *w, struct ir_str text)
{
	jw_obj(w);
	jw_kir(w, "input", text);
	jw_end(w);
}

/* Does part p produce a block in a Claude request? */
static bool req_block_ok(const struct ir_part *p)
{
	switch (p->kind) {
	case IR_PART_TEXT:
		return p->text.n > 0; /* Claude rejects empty text blocks */
	case IR_PART_THINKING:
		return p->signature.n > 0 && ir_sig_ok(p->sig_family, IR_FAM_CLAUDE);
	case IR_PART_REDACTED_THINKING:
		return p->signature.p && ir_sig_ok(p->sig_family, IR_FAM_CLAUDE);
	default:
		return true;
	}
}

static void enc_result(struct xlate_ctx *c, struct jsonw *w, const struct ir_part *p)
{
	size_t k;

	jw_obj(w);
	jw_kstr(w, "type", "tool_result");
	jw_kstr(w, "tool_use_id", tool_id(c, p->call_id));
	if (p->ncontent == 1 && p->content[0].kind == IR_PART_TEXT) {
		jw_kir(w, "content", p->content[0].text);
	} else if (p->ncontent) {
		jw_key(w, "content");
		jw_arr(w);
		for (k = 0; k < p->ncontent; k++) {
			const struct ir_part *q = &p->content[k];
			if (q->kind == IR_PART_TEXT) {
				if (q->text.n)
					enc_text_block(w, q->text, q->cache_control);
			} else {
				enc_media(w, q);
			}
		}
		jw_end(w);
	} else if (p->result_json.p) {
		jw_kir(w, "content", p->result_json);
	} else {
		jw_kstr(w, "content", "");
	}
	if (p->is_error)
		jw_kbool(w, "is_error", true);
	if (p->cache_control.p) {
		jw_key(w, "cache_control");
		jw_rawstr(w, p->cache_control);
	}
	jw_end(w);
}

static void enc_req_part(struct xlate_ctx *c, struct jsonw *w, const struct ir_part *p)
{
	switch (p->kind) {
	case IR_PART_TEXT:
		enc_text_block(w, p->text, p->cache_control);
		break;
	case IR_PART_IMAGE:
	case IR_PART_FILE:
		enc_media(w, p);
		break;
	case IR_PART_TOOL_CALL:
		jw_obj(w);
		jw_kstr(w, "type", "tool_use");
		jw_kstr(w, "id", tool_id(c, p->call_id));
		jw_kstr(w, "name", p->name);
		jw_key(w, "input");
		if (p->custom)
			enc_custom_input(w, p->text);
		else
			jw_rawstr(w, ir_args_object(c->a, p));
		if (p->cache_control.p) {
			jw_key(w, "cache_control");
			jw_rawstr(w, p->cache_control);
		}
		jw_end(w);
		break;
	case IR_PART_TOOL_RESULT:
		enc_result(c, w, p);
		break;
	case IR_PART_THINKING:
		jw_obj(w);
		jw_kstr(w, "type", "thinking");
		jw_kir(w, "thinking", p->text);
		jw_kir(w, "signature", p->signature);
		jw_end(w);
		break;
	case IR_PART_REDACTED_THINKING:
		jw_obj(w);
		jw_kstr(w, "type", "redacted_thinking");
		jw_kir(w, "data", p->signature);
		jw_end(w);
		break;
	}
}

/* One Claude turn from IR messages [from, to) of the same Claude role;
   tool results go first (Claude wants them right after the tool_use turn). */
static void enc_turn(struct xlate_ctx *c, struct jsonw *w, const struct ir_request *r,
		     size_t from, size_t to, enum ir_role role)
{
	size_t i, k, nblocks = 0;
	int pass;

	for (i = from; i < to; i++)
		for (k = 0; k < r->messages[i].nparts; k++)
			nblocks += req_block_ok(&r->messages[i].parts[k]);
	if (!nblocks)
		return;
	jw_obj(w);
	jw_kstr(w, "role", role == IR_ROLE_USER ? "user" :
			   role == IR_ROLE_SYSTEM ? "system" : "assistant");
	jw_key(w, "content");
	jw_arr(w);
	for (pass = 0; pass < 2; pass++)
		for (i = from; i < to; i++)
			for (k = 0; k < r->messages[i].nparts; k++) {
				const struct ir_part *p = &r->messages[i].parts[k];
				if ((p->kind == IR_PART_TOOL_RESULT) != (pass == 0))
					continue;
				if (req_block_ok(p))
					enc_req_part(c, w, p);
			}
	jw_end(w);
	jw_end(w);
}

static const char *claude_effort(const char *effort)
{
	if (!effort)
		return NULL;
	if (!strcmp(effort, "minimal") || !strcmp(effort, "low"))
		return "low";
	if (!strcmp(effort, "medium"))
		return "medium";
	if (!strcmp(effort, "high") || !strcmp(effort, "auto"))
		return "high";
	if (!strcmp(effort, "xhigh") || !strcmp(effort, "max"))
		return "max";
	return NULL;
}

/* With thinking on, Claude wants the assistant turn being continued (the
   last one, when it made tool calls) to start with a thinking block it
   signed; history from another family has none, so thinking stays off for
   that request rather than failing it. */
static bool thinking_blocked(const struct ir_request *r)
{
	size_t i = r->nmessages, k;
	bool tools = false;

	while (i-- > 0) {
		const struct ir_message *m = &r->messages[i];
		if (m->role != IR_ROLE_ASSISTANT)
			continue;
		for (k = 0; k < m->nparts; k++)
			tools |= m->parts[k].kind == IR_PART_TOOL_CALL;
		if (!tools)
			return false;
		for (k = 0; k < m->nparts; k++) {
			const struct ir_part *p = &m->parts[k];
			if (!req_block_ok(p))
				continue;
			return p->kind != IR_PART_THINKING && p->kind != IR_PART_REDACTED_THINKING;
		}
		return true;
	}
	return false;
}

/* What the thinking fields of a Claude request will say. */
struct think_plan {
	enum ir_think_mode mode; /* UNSET: no thinking field */
	int64_t budget;
	const char *effort;      /* output_config.effort, or NULL */
};

static struct think_plan plan_thinking(const struct ir_request *r, int64_t max_tokens)
{
	const struct ir_reasoning *rs = &r->reasoning;
	struct think_plan t = { rs->mode, 0, NULL };
	const char *effort = claude_effort(rs->effort);
	bool foreign = r->family != IR_FAM_CLAUDE;

	if (t.mode == IR_THINK_UNSET && rs->effort)
		t.mode = IR_THINK_ENABLED;
	if (t.mode == IR_THINK_ENABLED) {
		if (rs->has_budget)
			t.budget = rs->budget;
		else if (ir_effort_to_budget(rs->effort, &t.budget) < 0)
			t.budget = 8192;
		if (t.budget == 0)
			t.mode = IR_THINK_DISABLED;
		else if (t.budget < 0)
			t.mode = IR_THINK_ADAPTIVE;
	}
	if (t.mode == IR_THINK_ENABLED || t.mode == IR_THINK_ADAPTIVE) {
		/* Claude refuses thinking with forced tool use; and see
		   thinking_blocked().  A client of Claude's own family gets
		   what it asked for. */
		if (thinking_blocked(r) ||
		    (foreign && (r->tool_choice.kind == IR_TC_REQUIRED ||
				 r->tool_choice.kind == IR_TC_TOOL)))
			t.mode = IR_THINK_UNSET;
	}
	if (t.mode == IR_THINK_ENABLED) {
		/* budget_tokens must be below max_tokens (which counts the
		   thinking too): past it, think for half of max_tokens. */
		if (t.budget < CLAUDE_MIN_BUDGET)
			t.budget = CLAUDE_MIN_BUDGET;
		if (t.budget >= max_tokens)
			t.budget = max_tokens / 2;
		if (t.budget < CLAUDE_MIN_BUDGET)
			t.mode = IR_THINK_UNSET; /* no room to think */
		else if (!foreign)
			t.effort = rs->effort;
	} else if (t.mode == IR_THINK_ADAPTIVE) {
		t.effort = foreign ? effort : rs->effort;
	}
	return t;
}

static bool thinking_on(const struct think_plan *t)
{
	return t->mode == IR_THINK_ENABLED || t->mode == IR_THINK_ADAPTIVE;
}

static void enc_thinking(struct jsonw *w, const struct ir_request *r, const struct think_plan *t)
{
	if (t->mode != IR_THINK_UNSET) {
		jw_key(w, "thinking");
		jw_obj(w);
		jw_kstr(w, "type", t->mode == IR_THINK_ENABLED ? "enabled" :
				   t->mode == IR_THINK_ADAPTIVE ? "adaptive" : "disabled");
		if (t->mode == IR_THINK_ENABLED)
			jw_kint(w, "budget_tokens", t->budget);
		jw_end(w);
	}
	if (t->effort || r->format.kind == IR_FMT_JSON_SCHEMA) {
		jw_key(w, "output_config");
		jw_obj(w);
		if (t->effort)
			jw_kstr(w, "effort", t->effort);
		if (r->format.kind == IR_FMT_JSON_SCHEMA) {
			jw_key(w, "format");
			jw_obj(w);
			jw_kstr(w, "type", "json_schema");
			jw_key(w, "schema");
			jw_rawstr(w, r->format.schema);
			jw_end(w);
		}
		jw_end(w);
	}
}

static void enc_tool(struct jsonw *w, const struct ir_tool *t)
{
	if (t->kind == IR_TOOL_BUILTIN) {
		if (t->raw_family == IR_FAM_CLAUDE && t->raw.p) {
			jw_rawstr(w, t->raw);
		} else if (t->type && (!strcmp(t->type, "web_search") ||
				       !strcmp(t->type, "web_search_preview") ||
				       !strcmp(t->type, "google_search"))) {
			jw_obj(w);
			jw_kstr(w, "type", "web_search_20250305");
			jw_kstr(w, "name", "web_search");
			jw_end(w);
		}
		return;
	}
	jw_obj(w);
	jw_kstr(w, "name", t->name);
	if (t->description.p)
		jw_kir(w, "description", t->description);
	jw_key(w, "input_schema");
	if (t->kind == IR_TOOL_CUSTOM)
		jw_rawc(w, CUSTOM_SCHEMA);
	else if (t->parameters.p)
		jw_rawstr(w, t->parameters);
	else
		jw_rawc(w, EMPTY_SCHEMA);
	if (t->strict >= 0 && t->raw_family == IR_FAM_CLAUDE)
		jw_kbool(w, "strict", t->strict);
	if (t->cache_control.p) {
		jw_key(w, "cache_control");
		jw_rawstr(w, t->cache_control);
	}
	jw_end(w);
}

static bool builtin_encodable(const struct ir_tool *t)
{
	if (t->kind != IR_TOOL_BUILTIN)
		return true;
	if (t->raw_family == IR_FAM_CLAUDE && t->raw.p)
		return true;
	return t->type && (!strcmp(t->type, "web_search") || !strcmp(t->type, "web_search_preview") ||
			   !strcmp(t->type, "google_search"));
}

static int claude_encode_request(struct xlate_ctx *c, const struct ir_request *r, struct buf *out,
				 struct apierr *e)
{
	struct jsonw w;
	size_t i, k, lead = 0, ntools = 0;
	int64_t max_tokens = r->gen.has_max_tokens ? r->gen.max_tokens : CLAUDE_DEFAULT_MAX_TOKENS;
	bool sys_any = false, foreign = r->family != IR_FAM_CLAUDE;
	struct think_plan think = plan_thinking(r, max_tokens);

	for (i = 0; i < r->ntools; i++)
		ntools += builtin_encodable(&r->tools[i]);
	/* Leading system messages join the top-level system; later ones stay
	   system turns for a Claude client's request (it sent them, with the
	   mid-conversation-system beta), else become user text. */
	while (lead < r->nmessages && r->messages[lead].role == IR_ROLE_SYSTEM)
		lead++;
	if (r->family == IR_FAM_CLAUDE)
		lead = 0;

	jw_init(&w, out);
	jw_obj(&w);
	jw_kstr(&w, "model", c->upstream_model ? c->upstream_model : r->model);
	jw_kint(&w, "max_tokens", max_tokens);
	for (i = 0; i < r->nsystem; i++)
		sys_any |= r->system[i].text.n > 0;
	for (i = 0; i < lead; i++)
		for (k = 0; k < r->messages[i].nparts; k++)
			sys_any |= r->messages[i].parts[k].kind == IR_PART_TEXT &&
				   r->messages[i].parts[k].text.n > 0;
	if (sys_any) {
		jw_key(&w, "system");
		jw_arr(&w);
		for (i = 0; i < r->nsystem; i++)
			if (r->system[i].text.n)
				enc_text_block(&w, r->system[i].text, r->system[i].cache_control);
		for (i = 0; i < lead; i++)
			for (k = 0; k < r->messages[i].nparts; k++) {
				const struct ir_part *p = &r->messages[i].parts[k];
				if (p->kind == IR_PART_TEXT && p->text.n)
					enc_text_block(&w, p->text, p->cache_control);
			}
		jw_end(&w);
	}
	jw_key(&w, "messages");
	jw_arr(&w);
	for (i = lead; i < r->nmessages;) {
		enum ir_role role = r->messages[i].role;
		size_t end = i;
		if (role == IR_ROLE_SYSTEM && r->family != IR_FAM_CLAUDE)
			role = IR_ROLE_USER;
		while (end < r->nmessages) {
			enum ir_role x = r->messages[end].role;
			if (x == IR_ROLE_SYSTEM && r->family != IR_FAM_CLAUDE)
				x = IR_ROLE_USER;
			if (x != role)
				break;
			end++;
		}
		enc_turn(c, &w, r, i, end, role);
		i = end;
	}
	jw_end(&w);
	if (ntools) {
		jw_key(&w, "tools");
		jw_arr(&w);
		for (i = 0; i < r->ntools; i++)
			enc_tool(&w, &r->tools[i]);
		jw_end(&w);
	}
	if (r->tool_choice.kind != IR_TC_UNSET || (r->parallel_tool_calls >= 0 && ntools)) {
		enum ir_tool_choice_kind tk = r->tool_choice.kind;
		jw_key(&w, "tool_choice");
		jw_obj(&w);
		jw_kstr(&w, "type", tk == IR_TC_REQUIRED ? "any" : tk == IR_TC_NONE ? "none" :
				     tk == IR_TC_TOOL ? "tool" : "auto");
		if (tk == IR_TC_TOOL)
			jw_kstr(&w, "name", r->tool_choice.name);
		if (r->parallel_tool_calls >= 0)
			jw_kbool(&w, "disable_parallel_tool_use", !r->parallel_tool_calls);
		jw_end(&w);
	}
	/* Sampling: newer Claude models take temperature or top_p, not both;
	   with thinking only temperature 1, top_p >= 0.95 and no top_k.  A
	   Claude client gets what it asked for. */
	if (r->gen.has_temperature &&
	    (!foreign || !thinking_on(&think) || !(r->gen.temperature < 1.0 || r->gen.temperature > 1.0))) {
		jw_key(&w, "temperature");
		jw_double(&w, r->gen.temperature);
	}
	if (r->gen.has_top_p &&
	    (!foreign || (!r->gen.has_temperature &&
			  (!thinking_on(&think) || r->gen.top_p >= 0.95)))) {
		jw_key(&w, "top_p");
		jw_double(&w, r->gen.top_p);
	}
	if (r->gen.has_top_k && (!foreign || !thinking_on(&think)))
		jw_kint(&w, "top_k", r->gen.top_k);
	if (r->gen.nstop) {
		jw_key(&w, "stop_sequences");
		jw_arr(&w);
		for (i = 0; i < r->gen.nstop; i++)
			jw_str(&w, r->gen.stop[i].p, r->gen.stop[i].n);
		jw_end(&w);
	}
	enc_thinking(&w, r, &think);
	if (r->metadata.p && r->family == IR_FAM_CLAUDE) {
		jw_key(&w, "metadata");
		jw_rawstr(&w, r->metadata);
	} else if (r->user) {
		jw_key(&w, "metadata");
		jw_obj(&w);
		jw_kstr(&w, "user_id", r->user);
		jw_end(&w);
	}
	if (r->stream)
		jw_kbool(&w, "stream", true);
	jw_end(&w);
	if (jw_error(&w))
		return apierr_set(e, jw_error(&w), jw_error(&w) == -E2BIG ? 413 : 500, NULL,
				  "request too large for the upstream");
	return 0;
}

static int claude_passthrough_request(struct xlate_ctx *c, const char *json, size_t n,
				      const char *model, bool stream, struct buf *out,
				      struct apierr *e)
{
	return xlate_json_edit(c, json, n, model, "stream", stream, out, e);
}

/* ---- responses ----------------------------------------------------------- */

static int claude_decode_response(struct xlate_ctx *c, const char *body, size_t n,
				  struct ir_response *r, struct apierr *e)
{
	struct json j;
	struct cusage cu;
	int v, k, rc;
	size_t useful = 0;
	const char *why;

	memset(r, 0, sizeof(*r));
	memset(&cu, 0, sizeof(cu));
	r->family = IR_FAM_CLAUDE;
	rc = xlate_parse(c, &j, body, n, true, e);
	if (rc < 0)
		return rc;
	if (json_kind(&j, 0) != JSON_OBJECT)
		return bad_up(e, "upstream response is not a JSON object");
	if (json_streq(&j, json_get(&j, 0, "type"), "error")) {
		int er = json_get(&j, 0, "error");
		const char *ty = jcstr(c, &j, json_get(&j, er, "type"));
		const char *msg = jcstr(c, &j, json_get(&j, er, "message"));
		return apierr_set(e, -EPROTO, status_of_type(ty), claude_type(ty, 500),
				  msg ? msg : "upstream error");
	}
	r->id = jcstr(c, &j, json_get(&j, 0, "id"));
	r->model = jcstr(c, &j, json_get(&j, 0, "model"));
	v = json_get(&j, 0, "content");
	for (k = json_first(&j, v); k >= 0; k = json_after(&j, k)) {
		int ty = json_get(&j, k, "type");
		struct ir_part *p;

		if (json_streq(&j, ty, "text")) {
			p = ir_add_resp_part(c->a, r, IR_PART_TEXT);
			if (!p)
				return -ENOMEM;
			p->text = jstr(c, &j, json_get(&j, k, "text"));
			if (!p->text.p)
				return bad_up(e, "upstream text block without text");
		} else if (json_streq(&j, ty, "thinking")) {
			p = ir_add_resp_part(c->a, r, IR_PART_THINKING);
			if (!p)
				return -ENOMEM;
			p->text = jstr(c, &j, json_get(&j, k, "thinking"));
			if (!p->text.p)
				p->text = IR_STR_LIT("");
			p->signature = jstr(c, &j, json_get(&j, k, "signature"));
			if (p->signature.n == 0)
				p->signature = IR_STR_NONE;
			else
				p->sig_family = IR_FAM_CLAUDE;
		} else if (json_streq(&j, ty, "redacted_thinking")) {
			p = ir_add_resp_part(c->a, r, IR_PART_REDACTED_THINKING);
			if (!p)
				return -ENOMEM;
			p->signature = jstr(c, &j, json_get(&j, k, "data"));
			p->sig_family = IR_FAM_CLAUDE;
			if (!p->signature.p)
				return bad_up(e, "upstream redacted_thinking without data");
		} else if (json_streq(&j, ty, "tool_use")) {
			int in = json_get(&j, k, "input");
			p = ir_add_resp_part(c->a, r, IR_PART_TOOL_CALL);
			if (!p)
				return -ENOMEM;
			p->call_id = jcstr(c, &j, json_get(&j, k, "id"));
			/* A name the request renamed (Claude OAuth) goes back. */
			p->name = xlate_name_orig(c, jcstr(c, &j, json_get(&j, k, "name")));
			p->args = in >= 0 ? jtext(&j, in) : IR_STR_LIT("{}");
		} else {
			continue;
		}
		useful++;
	}
	r->stop_raw = jcstr(c, &j, json_get(&j, 0, "stop_reason"));
	r->stop = stop_from(r->stop_raw);
	r->stop_sequence = jstr(c, &j, json_get(&j, 0, "stop_sequence"));
	cusage_read(&j, json_get(&j, 0, "usage"), &cu);
	r->usage = cusage_ir(&cu);
	if (ir_check_response(r, &why) < 0)
		return bad_up(e, why);
	if (!useful && r->stop != IR_STOP_MAX_TOKENS)
		return apierr_set(e, -EAGAIN, 502, "api_error", "empty response from upstream");
	return 0;
}

static bool any_tool_call(const struct ir_response *r)
{
	size_t i;

	for (i = 0; i < r->nparts; i++)
		if (r->parts[i].kind == IR_PART_TOOL_CALL)
			return true;
	return false;
}

static const char *client_model(const struct xlate_ctx *c, const char *upstream)
{
	if (c->client_model)
		return c->client_model;
	return upstream ? upstream : "";
}

static int claude_encode_response(struct xlate_ctx *c, const struct ir_response *r,
				  struct buf *out, struct apierr *e)
{
	struct jsonw w;
	size_t i;

	jw_init(&w, out);
	jw_obj(&w);
	jw_kstr(&w, "id", r->id ? r->id : xlate_id(c, "msg_", 24));
	jw_kstr(&w, "type", "message");
	jw_kstr(&w, "role", "assistant");
	jw_kstr(&w, "model", client_model(c, r->model));
	jw_key(&w, "content");
	jw_arr(&w);
	for (i = 0; i < r->nparts; i++) {
		const struct ir_part *p = &r->parts[i];
		struct ir_str sig;

		switch (p->kind) {
		case IR_PART_TEXT:
			jw_obj(&w);
			jw_kstr(&w, "type", "text");
			jw_kir(&w, "text", p->text);
			jw_end(&w);
			break;
		case IR_PART_THINKING:
			jw_obj(&w);
			jw_kstr(&w, "type", "thinking");
			jw_kir(&w, "thinking", p->text);
			sig = ir_sig_tag(c->a, p->sig_family, IR_FAM_CLAUDE, p->signature);
			jw_kir(&w, "signature", sig);
			jw_end(&w);
			break;
		case IR_PART_REDACTED_THINKING:
			sig = ir_sig_tag(c->a, p->sig_family, IR_FAM_CLAUDE, p->signature);
			if (!sig.p)
				break;
			jw_obj(&w);
			jw_kstr(&w, "type", "redacted_thinking");
			jw_kir(&w, "data", sig);
			jw_end(&w);
			break;
		case IR_PART_TOOL_CALL:
			jw_obj(&w);
			jw_kstr(&w, "type", "tool_use");
			jw_kstr(&w, "id", tool_id(c, p->call_id));
			jw_kstr(&w, "name", p->name);
			jw_key(&w, "input");
			if (p->custom)
				enc_custom_input(&w, p->text);
			else
				jw_rawstr(&w, ir_args_object(c->a, p));
			jw_end(&w);
			break;
		default:
			break;
		}
	}
	jw_end(&w);
	jw_kstr(&w, "stop_reason", stop_to(r->stop, r->stop_raw, any_tool_call(r)));
	jw_key(&w, "stop_sequence");
	if (r->stop_sequence.p)
		jw_str(&w, r->stop_sequence.p, r->stop_sequence.n);
	else
		jw_null(&w);
	jw_key(&w, "usage");
	enc_usage(&w, &r->usage);
	jw_end(&w);
	if (jw_error(&w))
		return apierr_set(e, jw_error(&w), 500, "api_error", "response too large");
	return 0;
}

/* ---- stream decoding ----------------------------------------------------- */

struct cdec {
	bool started, stopped, failed;
	int up_index;  /* upstream index of the open block, -1 none */
	int out_index; /* next IR block index */
	bool open;     /* an IR block is open (else the upstream block is skipped) */
	enum ir_block_kind kind;
	struct cusage cu;
	enum ir_stop stop;
	const char *stop_raw;
	struct ir_str stop_seq;
};

static int cdec_init(void *st, struct xlate_ctx *c)
{
	struct cdec *d = st;

	memset(d, 0, sizeof(*d));
	d->up_index = -1;
	return 0;
}

static int emit_delta(struct cdec *d, enum ir_delta_kind dk, struct ir_str text,
		      ir_emit_fn emit, void *arg)
{
	struct ir_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_DELTA;
	ev.index = d->out_index - 1;
	ev.block = d->kind;
	ev.delta = dk;
	ev.text = text;
	if (dk == IR_DELTA_SIGNATURE)
		ev.sig_family = IR_FAM_CLAUDE;
	return emit(arg, &ev);
}

static int cdec_block_start(struct cdec *d, struct xlate_ctx *c, const struct json *j,
			    ir_emit_fn emit, void *arg)
{
	int cb = json_get(j, 0, "content_block"), ty = json_get(j, cb, "type");
	int64_t idx;
	struct ir_event ev;
	struct ir_str s;
	int rc;

	if (json_int(j, json_get(j, 0, "index"), &idx) < 0 || d->up_index >= 0 || !d->started)
		return -EPROTO;
	d->up_index = (int)idx;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_BLOCK_START;
	ev.index = d->out_index;
	if (json_streq(j, ty, "text")) {
		ev.block = IR_BLOCK_TEXT;
	} else if (json_streq(j, ty, "thinking")) {
		ev.block = IR_BLOCK_THINKING;
	} else if (json_streq(j, ty, "redacted_thinking")) {
		ev.block = IR_BLOCK_REDACTED_THINKING;
		ev.text = jstr(c, j, json_get(j, cb, "data"));
		ev.sig_family = IR_FAM_CLAUDE;
		if (!ev.text.p)
			return -EPROTO;
	} else if (json_streq(j, ty, "tool_use")) {
		ev.block = IR_BLOCK_TOOL_CALL;
		ev.call_id = jcstr(c, j, json_get(j, cb, "id"));
		ev.name = xlate_name_orig(c, jcstr(c, j, json_get(j, cb, "name")));
		if (!ev.call_id || !*ev.call_id || !ev.name || !*ev.name)
			return -EPROTO;
	} else {
		d->open = false; /* server tools etc.: skipped */
		return 0;
	}
	d->open = true;
	d->kind = ev.block;
	d->out_index++;
	if ((rc = emit(arg, &ev)) != 0)
		return rc;
	/* Content already present in the start block. */
	if (ev.block == IR_BLOCK_TEXT) {
		s = jstr(c, j, json_get(j, cb, "text"));
		if (s.n && (rc = emit_delta(d, IR_DELTA_TEXT, s, emit, arg)) != 0)
			return rc;
	} else if (ev.block == IR_BLOCK_THINKING) {
		s = jstr(c, j, json_get(j, cb, "thinking"));
		if (s.n && (rc = emit_delta(d, IR_DELTA_THINKING, s, emit, arg)) != 0)
			return rc;
		s = jstr(c, j, json_get(j, cb, "signature"));
		if (s.n && (rc = emit_delta(d, IR_DELTA_SIGNATURE, s, emit, arg)) != 0)
			return rc;
	} else if (ev.block == IR_BLOCK_TOOL_CALL) {
		int in = json_get(j, cb, "input");
		if (json_kind(j, in) == JSON_OBJECT && json_size(j, in) > 0 &&
		    (rc = emit_delta(d, IR_DELTA_TOOL_ARGS, jtext(j, in), emit, arg)) != 0)
			return rc;
	}
	return 0;
}

static int cdec_delta(struct cdec *d, struct xlate_ctx *c, const struct json *j, ir_emit_fn emit,
		      void *arg)
{
	int dl = json_get(j, 0, "delta"), ty = json_get(j, dl, "type");
	int64_t idx;
	struct ir_str s;

	if (json_int(j, json_get(j, 0, "index"), &idx) < 0 || idx != d->up_index)
		return -EPROTO;
	if (!d->open)
		return 0;
	if (json_streq(j, ty, "text_delta") && d->kind == IR_BLOCK_TEXT) {
		s = jstr(c, j, json_get(j, dl, "text"));
		return s.p ? emit_delta(d, IR_DELTA_TEXT, s, emit, arg) : -EPROTO;
	}
	if (json_streq(j, ty, "thinking_delta") && d->kind == IR_BLOCK_THINKING) {
		s = jstr(c, j, json_get(j, dl, "thinking"));
		return s.p ? emit_delta(d, IR_DELTA_THINKING, s, emit, arg) : -EPROTO;
	}
	if (json_streq(j, ty, "signature_delta") && d->kind == IR_BLOCK_THINKING) {
		s = jstr(c, j, json_get(j, dl, "signature"));
		return s.p ? emit_delta(d, IR_DELTA_SIGNATURE, s, emit, arg) : -EPROTO;
	}
	if (json_streq(j, ty, "input_json_delta") && d->kind == IR_BLOCK_TOOL_CALL) {
		s = jstr(c, j, json_get(j, dl, "partial_json"));
		if (!s.p)
			return -EPROTO;
		return s.n ? emit_delta(d, IR_DELTA_TOOL_ARGS, s, emit, arg) : 0;
	}
	return 0; /* citations_delta and friends */
}

static int cdec_error(struct xlate_ctx *c, const struct json *j, int er, ir_emit_fn emit,
		      void *arg)
{
	struct ir_event ev;
	const char *ty = jcstr(c, j, json_get(j, er, "type"));

	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_ERROR;
	ev.status = status_of_type(ty);
	ev.err_type = claude_type(ty, ev.status);
	ev.message = jstr(c, j, json_get(j, er, "message"));
	if (!ev.message.p)
		ev.message = IR_STR_LIT("upstream error");
	return emit(arg, &ev);
}

static int claude_decode_event(void *st, struct xlate_ctx *c, const struct sse_event *sev,
			       ir_emit_fn emit, void *arg)
{
	struct cdec *d = st;
	struct json j;
	struct ir_event ev;
	int ty;

	if (d->stopped || d->failed)
		return 0; /* nothing may follow message_stop / error */
	if (sev->data_len == 0 && sse_event_is(sev, "ping"))
		return 0;
	if (json_parse(&j, c->a, sev->data, sev->data_len) < 0 || json_kind(&j, 0) != JSON_OBJECT)
		return -EPROTO;
	ty = json_get(&j, 0, "type");
	memset(&ev, 0, sizeof(ev));
	if (json_streq(&j, ty, "message_start")) {
		int m = json_get(&j, 0, "message");
		if (d->started)
			return -EPROTO;
		d->started = true;
		ev.kind = IR_EV_MESSAGE_START;
		ev.id = jcstr(c, &j, json_get(&j, m, "id"));
		ev.model = jcstr(c, &j, json_get(&j, m, "model"));
		cusage_read(&j, json_get(&j, m, "usage"), &d->cu);
		ev.usage = cusage_ir(&d->cu);
		return emit(arg, &ev);
	}
	if (json_streq(&j, ty, "ping")) {
		ev.kind = IR_EV_PING;
		return emit(arg, &ev);
	}
	if (json_streq(&j, ty, "error")) {
		d->failed = true;
		return cdec_error(c, &j, json_get(&j, 0, "error"), emit, arg);
	}
	if (!d->started)
		return -EPROTO;
	if (json_streq(&j, ty, "content_block_start"))
		return cdec_block_start(d, c, &j, emit, arg);
	if (json_streq(&j, ty, "content_block_delta"))
		return cdec_delta(d, c, &j, emit, arg);
	if (json_streq(&j, ty, "content_block_stop")) {
		int64_t idx;
		if (json_int(&j, json_get(&j, 0, "index"), &idx) < 0 || idx != d->up_index)
			return -EPROTO;
		d->up_index = -1;
		if (!d->open)
			return 0;
		d->open = false;
		ev.kind = IR_EV_BLOCK_STOP;
		ev.index = d->out_index - 1;
		ev.block = d->kind;
		return emit(arg, &ev);
	}
	if (json_streq(&j, ty, "message_delta")) {
		int dl = json_get(&j, 0, "delta");
		const char *sr = jcstr(c, &j, json_get(&j, dl, "stop_reason"));
		if (sr) {
			d->stop_raw = sr;
			d->stop = stop_from(sr);
		}
		if (json_kind(&j, json_get(&j, dl, "stop_sequence")) == JSON_STRING)
			d->stop_seq = jstr(c, &j, json_get(&j, dl, "stop_sequence"));
		if (json_get(&j, 0, "usage") < 0)
			return 0;
		cusage_read(&j, json_get(&j, 0, "usage"), &d->cu);
		ev.kind = IR_EV_USAGE;
		ev.usage = cusage_ir(&d->cu);
		return emit(arg, &ev);
	}
	if (json_streq(&j, ty, "message_stop")) {
		if (d->up_index >= 0)
			return -EPROTO;
		d->stopped = true;
		ev.kind = IR_EV_MESSAGE_STOP;
		ev.stop = d->stop ? d->stop : IR_STOP_END_TURN;
		ev.stop_raw = d->stop_raw;
		ev.stop_sequence = d->stop_seq;
		ev.usage = cusage_ir(&d->cu);
		return emit(arg, &ev);
	}
	return 0; /* unknown event types are ignored */
}

static int claude_decode_end(void *st, struct xlate_ctx *c, ir_emit_fn emit, void *arg)
{
	struct cdec *d = st;
	struct ir_event ev;

	if (d->stopped || d->failed)
		return 0;
	d->failed = true;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_ERROR;
	ev.status = 502;
	ev.err_type = "api_error";
	ev.message = IR_STR_LIT("upstream stream ended early");
	return emit(arg, &ev);
}

/* ---- stream encoding ----------------------------------------------------- */

struct cenc {
	bool started, done;
	int next;     /* next client block index */
	int cur;      /* client index of the open block, -1: none or dropped */
	enum ir_block_kind kind;
	bool custom;
	bool any_tool;
	struct ir_usage usage;
};

static int cenc_init(void *st, struct xlate_ctx *c)
{
	struct cenc *s = st;

	memset(s, 0, sizeof(*s));
	s->cur = -1;
	return 0;
}

/* "event: <name>\ndata: " ... the JSON ... "\n\n" (jsonw never writes a
   raw newline, so one data line holds the whole object). */
static void frame_open(struct buf *out, const char *name)
{
	buf_adds(out, "event: ");
	buf_adds(out, name);
	buf_adds(out, "\ndata: ");
}

static void frame_close(struct buf *out)
{
	buf_adds(out, "\n\n");
}

static void enc_error_json(struct jsonw *w, const char *type, int status, struct ir_str msg)
{
	jw_obj(w);
	jw_kstr(w, "type", "error");
	jw_key(w, "error");
	jw_obj(w);
	jw_kstr(w, "type", claude_type(type, status));
	jw_kir(w, "message", msg);
	jw_end(w);
	jw_end(w);
}

static void enc_delta_frame(struct buf *out, int index, const char *dtype, const char *key,
			    struct ir_str text)
{
	struct jsonw w;

	frame_open(out, "content_block_delta");
	jw_init(&w, out);
	jw_obj(&w);
	jw_kstr(&w, "type", "content_block_delta");
	jw_kint(&w, "index", index);
	jw_key(&w, "delta");
	jw_obj(&w);
	jw_kstr(&w, "type", dtype);
	jw_kir(&w, key, text);
	jw_end(&w);
	jw_end(&w);
	frame_close(out);
}

static void usage_merge(struct ir_usage *u, const struct ir_usage *v)
{
#define M(f)                       \
	if (v->has_##f) {          \
		u->has_##f = true; \
		u->f = v->f;       \
	}
	M(input) M(output) M(cached) M(cache_creation) M(reasoning) M(total)
#undef M
}

static int claude_encode_event(void *st, struct xlate_ctx *c, const struct ir_event *ev,
			       struct buf *out)
{
	struct cenc *s = st;
	struct jsonw w;
	struct ir_str sig;

	if (s->done)
		return 0;
	jw_init(&w, out);
	switch (ev->kind) {
	case IR_EV_MESSAGE_START:
		s->started = true;
		usage_merge(&s->usage, &ev->usage);
		frame_open(out, "message_start");
		jw_obj(&w);
		jw_kstr(&w, "type", "message_start");
		jw_key(&w, "message");
		jw_obj(&w);
		jw_kstr(&w, "id", ev->id ? ev->id : xlate_id(c, "msg_", 24));
		jw_kstr(&w, "type", "message");
		jw_kstr(&w, "role", "assistant");
		jw_kstr(&w, "model", client_model(c, ev->model));
		jw_key(&w, "content");
		jw_arr(&w);
		jw_end(&w);
		jw_key(&w, "stop_reason");
		jw_null(&w);
		jw_key(&w, "stop_sequence");
		jw_null(&w);
		jw_key(&w, "usage");
		enc_usage(&w, &s->usage);
		jw_end(&w);
		jw_end(&w);
		frame_close(out);
		break;
	case IR_EV_BLOCK_START:
		s->cur = -1;
		if (ev->block == IR_BLOCK_IMAGE)
			break;
		if (ev->block == IR_BLOCK_REDACTED_THINKING) {
			sig = ir_sig_tag(c->a, ev->sig_family, IR_FAM_CLAUDE, ev->text);
			if (!sig.p)
				break;
		}
		s->cur = s->next++;
		s->kind = ev->block;
		s->custom = ev->custom;
		frame_open(out, "content_block_start");
		jw_obj(&w);
		jw_kstr(&w, "type", "content_block_start");
		jw_kint(&w, "index", s->cur);
		jw_key(&w, "content_block");
		jw_obj(&w);
		switch (ev->block) {
		case IR_BLOCK_TEXT:
			jw_kstr(&w, "type", "text");
			jw_kstr(&w, "text", "");
			break;
		case IR_BLOCK_THINKING:
			jw_kstr(&w, "type", "thinking");
			jw_kstr(&w, "thinking", "");
			jw_kstr(&w, "signature", "");
			break;
		case IR_BLOCK_REDACTED_THINKING:
			jw_kstr(&w, "type", "redacted_thinking");
			jw_kir(&w, "data", sig);
			break;
		case IR_BLOCK_TOOL_CALL:
			s->any_tool = true;
			jw_kstr(&w, "type", "tool_use");
			jw_kstr(&w, "id", tool_id(c, ev->call_id));
			jw_kstr(&w, "name", ev->name);
			jw_key(&w, "input");
			jw_obj(&w);
			jw_end(&w);
			break;
		default:
			break;
		}
		jw_end(&w);
		jw_end(&w);
		frame_close(out);
		if (ev->block == IR_BLOCK_TOOL_CALL && s->custom)
			enc_delta_frame(out, s->cur, "input_json_delta", "partial_json",
					IR_STR_LIT("{\"input\":\""));
		break;
	case IR_EV_DELTA:
		if (s->cur < 0 || !ev->text.p)
			break;
		if (ev->delta == IR_DELTA_TEXT && s->kind == IR_BLOCK_TEXT) {
			enc_delta_frame(out, s->cur, "text_delta", "text", ev->text);
		} else if (ev->delta == IR_DELTA_THINKING && s->kind == IR_BLOCK_THINKING) {
			enc_delta_frame(out, s->cur, "thinking_delta", "thinking", ev->text);
		} else if (ev->delta == IR_DELTA_SIGNATURE && s->kind == IR_BLOCK_THINKING) {
			sig = ir_sig_tag(c->a, ev->sig_family, IR_FAM_CLAUDE, ev->text);
			if (sig.p)
				enc_delta_frame(out, s->cur, "signature_delta", "signature", sig);
		} else if (ev->delta == IR_DELTA_TOOL_ARGS && s->kind == IR_BLOCK_TOOL_CALL) {
			if (s->custom) {
				/* Free text inside the {"input":"..."} string. */
				struct buf esc;
				buf_init(&esc, c->a, LIMIT_SSE_LINE);
				json_escape(&esc, ev->text.p, ev->text.n);
				if (esc.err)
					return esc.err;
				enc_delta_frame(out, s->cur, "input_json_delta", "partial_json",
						(struct ir_str){ esc.p + 1, esc.len - 2 });
			} else if (ev->text.n) {
				enc_delta_frame(out, s->cur, "input_json_delta", "partial_json",
						ev->text);
			}
		}
		break;
	case IR_EV_BLOCK_STOP:
		if (s->cur < 0)
			break;
		if (s->kind == IR_BLOCK_TOOL_CALL && s->custom)
			enc_delta_frame(out, s->cur, "input_json_delta", "partial_json",
					IR_STR_LIT("\"}"));
		frame_open(out, "content_block_stop");
		jw_obj(&w);
		jw_kstr(&w, "type", "content_block_stop");
		jw_kint(&w, "index", s->cur);
		jw_end(&w);
		frame_close(out);
		s->cur = -1;
		break;
	case IR_EV_USAGE:
		usage_merge(&s->usage, &ev->usage);
		break;
	case IR_EV_MESSAGE_STOP:
		usage_merge(&s->usage, &ev->usage);
		frame_open(out, "message_delta");
		jw_obj(&w);
		jw_kstr(&w, "type", "message_delta");
		jw_key(&w, "delta");
		jw_obj(&w);
		jw_kstr(&w, "stop_reason", stop_to(ev->stop, ev->stop_raw, s->any_tool));
		jw_key(&w, "stop_sequence");
		if (ev->stop_sequence.p)
			jw_str(&w, ev->stop_sequence.p, ev->stop_sequence.n);
		else
			jw_null(&w);
		jw_end(&w);
		jw_key(&w, "usage");
		enc_usage(&w, &s->usage);
		jw_end(&w);
		frame_close(out);
		if (jw_error(&w))
			return jw_error(&w);
		frame_open(out, "message_stop");
		jw_init(&w, out);
		jw_obj(&w);
		jw_kstr(&w, "type", "message_stop");
		jw_end(&w);
		frame_close(out);
		s->done = true;
		break;
	case IR_EV_ERROR:
		frame_open(out, "error");
		enc_error_json(&w, ev->err_type, ev->status,
			       ev->message.p ? ev->message : IR_STR_LIT("upstream error"));
		frame_close(out);
		s->done = true;
		break;
	case IR_EV_PING:
		frame_open(out, "ping");
		buf_adds(out, "{\"type\":\"ping\"}");
		frame_close(out);
		break;
	}
	if (jw_error(&w))
		return jw_error(&w);
	return out->err;
}

/* ---- errors -------------------------------------------------------------- */

/* Trim an upstream error body for use as a message. */
static const char *body_text(struct xlate_ctx *c, const char *body, size_t n)
{
	while (n && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' '))
		n--;
	if (n > 1024)
		n = 1024;
	return arena_strndup(c->a, body, n);
}

static int claude_decode_error(struct xlate_ctx *c, int status, const char *body, size_t n,
			       struct apierr *ret)
{
	struct json j;
	int er;
	const char *ty = NULL, *msg = NULL;

	if (body && n && json_parse(&j, c->a, body, n) == 0 && json_kind(&j, 0) == JSON_OBJECT) {
		er = json_get(&j, 0, "error");
		if (json_kind(&j, er) == JSON_OBJECT) {
			ty = jcstr(c, &j, json_get(&j, er, "type"));
			msg = jcstr(c, &j, json_get(&j, er, "message"));
		} else if (json_kind(&j, er) == JSON_STRING) {
			msg = jcstr(c, &j, er);
		}
		if (!msg)
			msg = jcstr(c, &j, json_get(&j, 0, "message"));
	}
	if (!msg && body && n)
		msg = body_text(c, body, n);
	if (!msg || !*msg)
		msg = http_reason(status);
	ret->status = status;
	ret->type = claude_type(ty, status);
	ret->message = msg;
	return 0;
}

static int claude_encode_error(struct xlate_ctx *c, const struct apierr *err, bool in_stream,
			       struct buf *out)
{
	struct jsonw w;

	if (in_stream)
		frame_open(out, "error");
	jw_init(&w, out);
	enc_error_json(&w, err->type, err->status, ir_str_c(err->message ? err->message : ""));
	if (in_stream)
		frame_close(out);
	if (jw_error(&w))
		return jw_error(&w);
	return out->err;
}

const struct family family_claude = {
	.name = "claude",
	.id = IR_FAM_CLAUDE,
	.decode_request = claude_decode_request,
	.encode_request = claude_encode_request,
	.passthrough_request = claude_passthrough_request,
	.decode_response = claude_decode_response,
	.encode_response = claude_encode_response,
	.dec_size = sizeof(struct cdec),
	.dec_init = cdec_init,
	.decode_event = claude_decode_event,
	.decode_end = claude_decode_end,
	.enc_size = sizeof(struct cenc),
	.enc_init = cenc_init,
	.encode_event = claude_encode_event,
	.decode_error = claude_decode_error,
	.encode_error = claude_encode_error,
};
