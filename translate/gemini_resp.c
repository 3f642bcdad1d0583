/*
 * gemini_resp.c - Gemini GenerateContentResponse <-> IR: non-stream bodies,
 * stream chunks (decoded into IR events with synthesized block boundaries:
 * text, thought and functionCall parts each open their own block; a call
 * arrives whole in one chunk), and error bodies.  An upstream 200 without
 * any content is -EAGAIN/502 (a stream: an error event before any output).
 * Streams are written as `data: <json>\n\n` chunks, no terminator.
 */
#include "translate/gemini.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/limits.h"

static int get2(const struct json *j, int obj, const char *camel, const char *snake)
{
	int v = json_get(j, obj, camel);
	return v >= 0 ? v : json_get(j, obj, snake);
}

static struct ir_str jstr(struct xlate_ctx *c, const struct json *j, int tok)
{
	struct ir_str s = IR_STR_NONE;
	size_t n;
	char *p;

	if (json_kind(j, tok) != JSON_STRING)
		return s;
	p = json_str(j, tok, c->a, &n);
	if (p) {
		s.p = p;
		s.n = n;
	}
	return s;
}

static const char *jcstr(struct xlate_ctx *c, const struct json *j, int tok)
{
	return json_kind(j, tok) == JSON_STRING ? json_str(j, tok, c->a, NULL) : NULL;
}

static struct ir_str part_sig(struct xlate_ctx *c, const struct json *j, int part)
{
	struct ir_str s = jstr(c, j, get2(j, part, "thoughtSignature", "thought_signature"));
	if (ir_str_eq(s, GEMINI_SKIP_SIGNATURE) || (s.p && !s.n))
		return IR_STR_NONE;
	return s;
}

static void copy_compact(struct jsonw *w, struct arena *a, const struct json *j, int tok);

/* ---- shared vocabulary -------------------------------------------------- */

static const char *const safety_reasons[] = {
	"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
	"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", NULL,
};

static bool in_list(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; s && list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static enum ir_stop stop_from(const char *fr, bool any_call)
{
	if (!fr)
		return any_call ? IR_STOP_TOOL_USE : IR_STOP_UNSET;
	if (strcmp(fr, "STOP") == 0 || strcmp(fr, "FINISH_REASON_UNSPECIFIED") == 0)
		return any_call ? IR_STOP_TOOL_USE : IR_STOP_END_TURN;
	if (strcmp(fr, "MAX_TOKENS") == 0)
		return IR_STOP_MAX_TOKENS;
	if (in_list(fr, safety_reasons))
		return IR_STOP_SAFETY;
	if (strcmp(fr, "MALFORMED_FUNCTION_CALL") == 0 || strcmp(fr, "UNEXPECTED_TOOL_CALL") == 0)
		return IR_STOP_ERROR;
	return IR_STOP_OTHER;
}

const char *gemini_finish_reason(enum ir_stop stop, const char *raw)
{
	static const char *const gemini_words[] = {
		"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION",
		"MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "LANGUAGE", "OTHER",
		"TOO_MANY_TOOL_CALLS", NULL,
	};

	switch (stop) {
	case IR_STOP_MAX_TOKENS:
		return "MAX_TOKENS";
	case IR_STOP_SAFETY:
		return in_list(raw, gemini_words) ? raw : "SAFETY";
	case IR_STOP_ERROR:
	case IR_STOP_OTHER:
		return in_list(raw, gemini_words) ? raw : "OTHER";
	default:
		return "STOP";
	}
}

static void usage_from(const struct json *j, int um, struct ir_usage *u)
{
	int64_t prompt = 0, cand = 0, thoughts = 0, tool = 0, v;
	bool hp, hc, ht;

	if (json_kind(j, um) != JSON_OBJECT)
		return;
	hp = json_int(j, json_get(j, um, "promptTokenCount"), &prompt) == 0;
	hc = json_int(j, json_get(j, um, "candidatesTokenCount"), &cand) == 0;
	ht = json_int(j, json_get(j, um, "thoughtsTokenCount"), &thoughts) == 0;
	json_int(j, json_get(j, um, "toolUsePromptTokenCount"), &tool);
	if (hp) {
		u->has_input = true;
		u->input = prompt + tool;
	}
	if (hc || ht) {
		u->has_output = true;
		u->output = cand + thoughts;
	}
	if (ht) {
		u->has_reasoning = true;
		u->reasoning = thoughts;
	}
	if (json_int(j, json_get(j, um, "cachedContentTokenCount"), &v) == 0) {
		u->has_cached = true;
		u->cached = v;
	}
	if (json_int(j, json_get(j, um, "totalTokenCount"), &v) == 0) {
		u->has_total = true;
		u->total = v;
	}
}

static void write_usage(struct jsonw *w, const struct ir_usage *u)
{
	int64_t reasoning = u->has_reasoning ? u->reasoning : 0;
	int64_t out = u->has_output ? u->output : 0, in = u->has_input ? u->input : 0;

	jw_key(w, "usageMetadata");
	jw_obj(w);
	if (u->has_input)
		jw_kint(w, "promptTokenCount", in);
	if (u->has_output)
		jw_kint(w, "candidatesTokenCount", out - reasoning > 0 ? out - reasoning : 0);
	if (u->has_total || u->has_input || u->has_output)
		jw_kint(w, "totalTokenCount", u->has_total ? u->total : in + out);
	if (u->has_cached && u->cached > 0)
		jw_kint(w, "cachedContentTokenCount", u->cached);
	if (reasoning > 0)
		jw_kint(w, "thoughtsTokenCount", reasoning);
	jw_end(w);
}

/* Is a functionCall name one of the request's custom (free-form) tools? */
static bool custom_tool(const struct xlate_ctx *c, const char *name)
{
	size_t i;

	if (!c->req)
		return false;
	for (i = 0; i < c->req->ntools; i++)
		if (c->req->tools[i].kind == IR_TOOL_CUSTOM && c->req->tools[i].name &&
		    strcmp(c->req->tools[i].name, name) == 0)
			return true;
	return false;
}

/* Fill a TOOL_CALL part / event fields from a functionCall object. */
static int call_from(struct xlate_ctx *c, const struct json *j, int fc, const char **ret_id,
		     const char **ret_name, struct ir_str *ret_args, bool *ret_custom,
		     struct ir_str *ret_input)
{
	const char *name = jcstr(c, j, json_get(j, fc, "name"));
	const char *id = jcstr(c, j, json_get(j, fc, "id"));
	int args = json_get(j, fc, "args");

	if (!name || !*name)
		name = "unnamed_function";
	name = xlate_name_orig(c, name);
	if (!id || !*id)
		id = xlate_id(c, "call_", 24);
	if (!id)
		return -ENOMEM;
	*ret_id = id;
	*ret_name = name;
	*ret_args = IR_STR_NONE;
	*ret_custom = false;
	if (args >= 0 && json_kind(j, args) != JSON_NULL) {
		*ret_args = gemini_compact(c->a, j, args);
		if (!ret_args->p)
			return -ENOMEM;
	}
	if (custom_tool(c, name)) {
		int in = json_get(j, args, "input");
		*ret_custom = true;
		*ret_input = json_kind(j, in) == JSON_STRING ? jstr(c, j, in) : *ret_args;
		if (!ret_input->p)
			*ret_input = IR_STR_LIT("");
		*ret_args = IR_STR_NONE;
	}
	return 0;
}

/* ---- non-stream responses ----------------------------------------------- */

static int resp_error(struct xlate_ctx *c, const struct json *j, int err, struct apierr *e)
{
	int64_t code = 502;
	const char *msg = jcstr(c, j, json_get(j, err, "message"));

	if (json_int(j, json_get(j, err, "code"), &code) < 0 || code < 400 || code > 599)
		code = 502;
	return apierr_set(e, -EAGAIN, (int)code, NULL, msg ? msg : "upstream error");
}

int gemini_decode_resp(struct xlate_ctx *c, const struct json *j, int obj, enum ir_family fam,
		       struct ir_response *r, struct apierr *e)
{
	int cand, content, parts, part, err, fb;
	const char *finish = NULL, *block = NULL;
	bool any_call = false;

	r->family = fam;
	if (json_kind(j, obj) == JSON_ARRAY) /* alt=json stream answers: a list of chunks */
		obj = json_first(j, obj);
	if (json_kind(j, obj) != JSON_OBJECT)
		return apierr_set(e, -EAGAIN, 502, "api_error", "upstream answer is not an object");
	err = json_get(j, obj, "error");
	if (json_kind(j, err) == JSON_OBJECT)
		return resp_error(c, j, err, e);
	r->id = jcstr(c, j, json_get(j, obj, "responseId"));
	r->model = jcstr(c, j, json_get(j, obj, "modelVersion"));
	usage_from(j, get2(j, obj, "usageMetadata", "usage_metadata"), &r->usage);
	cand = json_at(j, json_get(j, obj, "candidates"), 0);
	content = json_get(j, cand, "content");
	parts = json_get(j, content, "parts");
	for (part = json_first(j, parts); part >= 0; part = json_after(j, part)) {
		int text = json_get(j, part, "text");
		int fc = get2(j, part, "functionCall", "function_call");
		int media = get2(j, part, "inlineData", "inline_data");
		struct ir_str sig = part_sig(c, j, part);
		struct ir_part *p = NULL;

		if (fc >= 0) {
			p = ir_add_resp_part(c->a, r, IR_PART_TOOL_CALL);
			if (!p || call_from(c, j, fc, &p->call_id, &p->name, &p->args, &p->custom,
					    &p->text) < 0)
				return -ENOMEM;
			any_call = true;
		} else if (json_kind(j, text) == JSON_STRING) {
			bool thought = json_truthy(j, json_get(j, part, "thought"));
			struct ir_str t = jstr(c, j, text);
			if (!t.p)
				return -ENOMEM;
			if (!t.n && !thought) {
				/* an empty part that only carries a signature */
				if (!sig.p)
					continue;
				if (r->nparts && !r->parts[r->nparts - 1].signature.p) {
					r->parts[r->nparts - 1].signature = sig;
					r->parts[r->nparts - 1].sig_family = fam;
					continue;
				}
			}
			p = ir_add_resp_part(c->a, r, thought ? IR_PART_THINKING : IR_PART_TEXT);
			if (!p)
				return -ENOMEM;
			p->text = t;
		} else if (media >= 0) {
			p = ir_add_resp_part(c->a, r, IR_PART_IMAGE);
			if (!p)
				return -ENOMEM;
			p->mime = jcstr(c, j, get2(j, media, "mimeType", "mime_type"));
			if (!p->mime)
				p->mime = "image/png";
			p->data = jstr(c, j, json_get(j, media, "data"));
			if (!p->data.p)
				p->data = IR_STR_LIT("");
		}
		if (p && sig.p) {
			p->signature = sig;
			p->sig_family = fam;
		}
	}
	finish = jcstr(c, j, get2(j, cand, "finishReason", "finish_reason"));
	fb = get2(j, obj, "promptFeedback", "prompt_feedback");
	block = jcstr(c, j, get2(j, fb, "blockReason", "block_reason"));
	r->stop = stop_from(finish, any_call);
	r->stop_raw = finish;
	if (!finish && block) {
		r->stop = IR_STOP_SAFETY;
		r->stop_raw = block;
	}
	if (!r->nparts && r->stop != IR_STOP_MAX_TOKENS && r->stop != IR_STOP_SAFETY)
		return apierr_set(e, -EAGAIN, 502, "api_error", "empty response from upstream");
	if (r->stop == IR_STOP_UNSET)
		r->stop = IR_STOP_END_TURN;
	return 0;
}

static void write_sig(struct jsonw *w, const struct ir_part *p, enum ir_family fam)
{
	if (p->signature.p && p->signature.n && ir_sig_ok(p->sig_family, fam)) {
		jw_key(w, "thoughtSignature");
		jw_str(w, p->signature.p, p->signature.n);
	}
}

static void copy_compact(struct jsonw *w, struct arena *a, const struct json *j, int tok)
{
	enum json_kind k = json_kind(j, tok);
	size_t n;
	const char *s;
	int e;

	if (k == JSON_OBJECT || k == JSON_ARRAY) {
		if (k == JSON_OBJECT)
			jw_obj(w);
		else
			jw_arr(w);
		for (e = json_first(j, tok); e >= 0; e = json_after(j, e)) {
			if (k == JSON_OBJECT) {
				char *key = json_str(j, e, a, &n);
				if (!key) {
					w->err = w->err ? w->err : -ENOMEM;
					return;
				}
				jw_keyn(w, key, n);
				copy_compact(w, a, j, e + 1);
			} else {
				copy_compact(w, a, j, e);
			}
		}
		jw_end(w);
		return;
	}
	s = json_text(j, tok, &n);
	jw_raw(w, s, n);
}

struct ir_str gemini_compact(struct arena *a, const struct json *j, int tok)
{
	struct ir_str r = IR_STR_NONE;
	struct buf b;
	struct jsonw w;

	if (tok < 0)
		return r;
	buf_init(&b, a, LIMIT_UPSTREAM_BODY);
	jw_init(&w, &b);
	copy_compact(&w, a, j, tok);
	if (jw_error(&w))
		return r;
	r.p = b.p;
	r.n = b.len;
	return r;
}

/* JSON text re-written without whitespace (one SSE data line); {} if it is
   not a JSON object. */
static void write_object_compact(struct jsonw *w, struct arena *a, struct ir_str s)
{
	struct json j;

	if (!s.p || json_parse(&j, a, s.p, s.n) < 0 || json_kind(&j, 0) != JSON_OBJECT) {
		jw_obj(w);
		jw_end(w);
		return;
	}
	copy_compact(w, a, &j, 0);
}

static void write_call(struct jsonw *w, struct xlate_ctx *c, const char *id, const char *name,
		       struct ir_str args, bool custom, struct ir_str input)
{
	jw_key(w, "functionCall");
	jw_obj(w);
	if (id)
		jw_kstr(w, "id", id);
	jw_kstr(w, "name", name);
	jw_key(w, "args");
	if (custom) {
		jw_obj(w);
		jw_key(w, "input");
		jw_str(w, input.p ? input.p : "", input.n);
		jw_end(w);
	} else {
		write_object_compact(w, c->a, args);
	}
	jw_end(w);
}

static const char *model_name(struct xlate_ctx *c, const char *m)
{
	return c->client_model ? c->client_model : m;
}

int gemini_write_resp(struct xlate_ctx *c, const struct ir_response *r, enum ir_family fam,
		      struct jsonw *w)
{
	size_t i;
	const char *model = model_name(c, r->model);

	jw_obj(w);
	jw_key(w, "candidates");
	jw_arr(w);
	jw_obj(w);
	jw_key(w, "content");
	jw_obj(w);
	jw_kstr(w, "role", "model");
	jw_key(w, "parts");
	jw_arr(w);
	for (i = 0; i < r->nparts; i++) {
		const struct ir_part *p = &r->parts[i];
		switch (p->kind) {
		case IR_PART_TEXT:
		case IR_PART_THINKING:
			jw_obj(w);
			jw_key(w, "text");
			jw_str(w, p->text.p ? p->text.p : "", p->text.n);
			if (p->kind == IR_PART_THINKING)
				jw_kbool(w, "thought", true);
			write_sig(w, p, fam);
			jw_end(w);
			break;
		case IR_PART_TOOL_CALL:
			jw_obj(w);
			write_call(w, c, p->call_id, p->name, p->args, p->custom, p->text);
			write_sig(w, p, fam);
			jw_end(w);
			break;
		case IR_PART_IMAGE:
			if (!p->data.p)
				break;
			jw_obj(w);
			jw_key(w, "inlineData");
			jw_obj(w);
			jw_kstr(w, "mimeType", p->mime ? p->mime : "image/png");
			jw_key(w, "data");
			jw_str(w, p->data.p, p->data.n);
			jw_end(w);
			jw_end(w);
			break;
		default:
			break;
		}
	}
	jw_end(w);
	jw_end(w);
	jw_kstr(w, "finishReason", gemini_finish_reason(r->stop, r->stop_raw));
	jw_kint(w, "index", 0);
	jw_end(w);
	jw_end(w);
	write_usage(w, &r->usage);
	if (model)
		jw_kstr(w, "modelVersion", model);
	if (r->id)
		jw_kstr(w, "responseId", r->id);
	jw_end(w);
	return jw_error(w);
}

/* ---- stream decoding ---------------------------------------------------- */

int gemini_dec_start(struct gemini_dec *d, struct xlate_ctx *c, enum ir_family fam)
{
	memset(d, 0, sizeof(*d));
	d->fam = fam;
	d->open = -1;
	return 0;
}

#define EMIT(ev)                                       \
	do {                                           \
		int emit_rc_ = emit(arg, (ev));        \
		if (emit_rc_)                          \
			return emit_rc_;               \
	} while (0)

static int ensure_started(struct gemini_dec *d, struct xlate_ctx *c, ir_emit_fn emit, void *arg)
{
	struct ir_event ev;

	if (d->started)
		return 0;
	d->started = true;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_MESSAGE_START;
	ev.id = d->id;
	ev.model = d->model;
	ev.created = c->created;
	ev.usage.has_input = d->usage.has_input;
	ev.usage.input = d->usage.input;
	ev.usage.has_cached = d->usage.has_cached;
	ev.usage.cached = d->usage.cached;
	EMIT(&ev);
	return 0;
}

static int close_block(struct gemini_dec *d, ir_emit_fn emit, void *arg)
{
	struct ir_event ev;

	if (d->open < 0)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_BLOCK_STOP;
	ev.index = d->open;
	ev.block = d->open_kind;
	d->open = -1;
	EMIT(&ev);
	return 0;
}

/* Open a block of this kind unless one is open already. */
static int open_block(struct gemini_dec *d, struct xlate_ctx *c, enum ir_block_kind k,
		      ir_emit_fn emit, void *arg)
{
	struct ir_event ev;
	int rc;

	if (d->open >= 0 && d->open_kind == k)
		return 0;
	if ((rc = ensure_started(d, c, emit, arg)) || (rc = close_block(d, emit, arg)))
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_BLOCK_START;
	ev.index = d->next;
	ev.block = k;
	d->open = d->next++;
	d->open_kind = k;
	EMIT(&ev);
	return 0;
}

static int delta(struct gemini_dec *d, enum ir_delta_kind k, struct ir_str text,
		 ir_emit_fn emit, void *arg)
{
	struct ir_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_DELTA;
	ev.index = d->open;
	ev.block = d->open_kind;
	ev.delta = k;
	ev.text = text;
	if (k == IR_DELTA_SIGNATURE)
		ev.sig_family = d->fam;
	EMIT(&ev);
	return 0;
}

static int error_event(struct gemini_dec *d, int status, const char *type, struct ir_str msg,
		       ir_emit_fn emit, void *arg)
{
	struct ir_event ev;

	d->dead = true;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_ERROR;
	ev.status = status >= 100 && status <= 599 ? status : 502;
	ev.err_type = type ? type : apierr_type_for_status(ev.status);
	ev.message = msg;
	EMIT(&ev);
	return 0;
}

static int dec_call(struct gemini_dec *d, struct xlate_ctx *c, const struct json *j, int part,
		    int fc, ir_emit_fn emit, void *arg)
{
	struct ir_event ev;
	struct ir_str args, input = IR_STR_NONE, sig = part_sig(c, j, part);
	int rc;

	if ((rc = ensure_started(d, c, emit, arg)) || (rc = close_block(d, emit, arg)))
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_BLOCK_START;
	ev.index = d->next;
	ev.block = IR_BLOCK_TOOL_CALL;
	if (call_from(c, j, fc, &ev.call_id, &ev.name, &args, &ev.custom, &input) < 0)
		return -ENOMEM;
	d->open = d->next++;
	d->open_kind = IR_BLOCK_TOOL_CALL;
	d->any_call = true;
	EMIT(&ev);
	if (ev.custom && input.n)
		rc = delta(d, IR_DELTA_TOOL_ARGS, input, emit, arg);
	else if (!ev.custom && args.p)
		rc = delta(d, IR_DELTA_TOOL_ARGS, args, emit, arg);
	if (rc)
		return rc;
	if (sig.p && (rc = delta(d, IR_DELTA_SIGNATURE, sig, emit, arg)))
		return rc;
	return close_block(d, emit, arg);
}

static int dec_image(struct gemini_dec *d, struct xlate_ctx *c, const struct json *j, int media,
		     ir_emit_fn emit, void *arg)
{
	struct ir_event ev;
	int rc;

	if ((rc = ensure_started(d, c, emit, arg)) || (rc = close_block(d, emit, arg)))
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_BLOCK_START;
	ev.index = d->next;
	ev.block = IR_BLOCK_IMAGE;
	ev.mime = jcstr(c, j, get2(j, media, "mimeType", "mime_type"));
	if (!ev.mime)
		ev.mime = "image/png";
	ev.data = jstr(c, j, json_get(j, media, "data"));
	if (!ev.data.p)
		ev.data = IR_STR_LIT("");
	d->open = d->next++;
	d->open_kind = IR_BLOCK_IMAGE;
	EMIT(&ev);
	return close_block(d, emit, arg);
}

static int dec_text(struct gemini_dec *d, struct xlate_ctx *c, const struct json *j, int part,
		    int text, ir_emit_fn emit, void *arg)
{
	bool thought = json_truthy(j, json_get(j, part, "thought"));
	struct ir_str t = jstr(c, j, text), sig = part_sig(c, j, part);
	enum ir_block_kind k = thought ? IR_BLOCK_THINKING : IR_BLOCK_TEXT;
	int rc;

	if (!t.p)
		return -ENOMEM;
	if (!t.n) {
		/* An empty part carrying only a signature: it belongs to the
		   open text/thinking block, or opens an empty text block. */
		if (!sig.p)
			return 0;
		if (d->open < 0 || (d->open_kind != IR_BLOCK_TEXT &&
				    d->open_kind != IR_BLOCK_THINKING)) {
			if ((rc = open_block(d, c, k, emit, arg)))
				return rc;
		}
		d->any_content = true;
		return delta(d, IR_DELTA_SIGNATURE, sig, emit, arg);
	}
	if ((rc = open_block(d, c, k, emit, arg)))
		return rc;
	d->any_content = true;
	if ((rc = delta(d, thought ? IR_DELTA_THINKING : IR_DELTA_TEXT, t, emit, arg)))
		return rc;
	if (sig.p)
		return delta(d, IR_DELTA_SIGNATURE, sig, emit, arg);
	return 0;
}

int gemini_dec_chunk(struct gemini_dec *d, struct xlate_ctx *c, const struct json *j, int obj,
		     ir_emit_fn emit, void *arg)
{
	int err, cand, parts, part, rc;
	const char *finish;

	if (d->dead)
		return 0;
	if (json_kind(j, obj) != JSON_OBJECT)
		return error_event(d, 502, "api_error", IR_STR_LIT("malformed upstream stream chunk"),
				   emit, arg);
	err = json_get(j, obj, "error");
	if (json_kind(j, err) == JSON_OBJECT) {
		int64_t code = 502;
		struct ir_str msg = jstr(c, j, json_get(j, err, "message"));
		json_int(j, json_get(j, err, "code"), &code);
		return error_event(d, (int)code, NULL, msg.p ? msg : IR_STR_LIT("upstream error"),
				   emit, arg);
	}
	if (!d->id) {
		d->id = jcstr(c, j, json_get(j, obj, "responseId"));
	}
	if (!d->model)
		d->model = jcstr(c, j, json_get(j, obj, "modelVersion"));
	usage_from(j, get2(j, obj, "usageMetadata", "usage_metadata"), &d->usage);
	cand = json_at(j, json_get(j, obj, "candidates"), 0);
	parts = json_get(j, json_get(j, cand, "content"), "parts");
	if (!d->finished) {
		for (part = json_first(j, parts); part >= 0; part = json_after(j, part)) {
			int text = json_get(j, part, "text");
			int fc = get2(j, part, "functionCall", "function_call");
			int media = get2(j, part, "inlineData", "inline_data");

			if (fc >= 0) {
				d->any_content = true;
				rc = dec_call(d, c, j, part, fc, emit, arg);
			} else if (json_kind(j, text) == JSON_STRING) {
				rc = dec_text(d, c, j, part, text, emit, arg);
			} else if (media >= 0) {
				d->any_content = true;
				rc = dec_image(d, c, j, media, emit, arg);
			} else {
				rc = 0;
			}
			if (rc)
				return rc;
		}
	}
	finish = jcstr(c, j, get2(j, cand, "finishReason", "finish_reason"));
	if (!finish) {
		int fb = get2(j, obj, "promptFeedback", "prompt_feedback");
		const char *block = jcstr(c, j, get2(j, fb, "blockReason", "block_reason"));
		if (block) {
			d->stop = IR_STOP_SAFETY;
			d->stop_raw = block;
			d->finished = true;
		}
	} else if (!d->finished) {
		d->finished = true;
		d->stop = stop_from(finish, d->any_call);
		d->stop_raw = finish;
	}
	if (d->finished)
		return close_block(d, emit, arg);
	return 0;
}

int gemini_dec_sse(struct gemini_dec *d, struct xlate_ctx *c, const struct sse_event *ev,
		   bool unwrap, ir_emit_fn emit, void *arg)
{
	struct json j;
	int rc, obj = 0;

	if (d->dead || !ev->data_len)
		return 0;
	if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0)
		return 0;
	rc = json_parse(&j, c->a, ev->data, ev->data_len);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		return error_event(d, 502, "api_error",
				   IR_STR_LIT("invalid JSON in upstream stream"), emit, arg);
	if (unwrap && json_kind(&j, obj) == JSON_OBJECT) {
		int inner = json_get(&j, obj, "response");
		if (json_kind(&j, inner) == JSON_OBJECT)
			obj = inner;
	}
	if (json_kind(&j, obj) == JSON_ARRAY) {
		int e;
		for (e = json_first(&j, obj); e >= 0; e = json_after(&j, e)) {
			int o = e;
			if (unwrap && json_kind(&j, json_get(&j, e, "response")) == JSON_OBJECT)
				o = json_get(&j, e, "response");
			if ((rc = gemini_dec_chunk(d, c, &j, o, emit, arg)))
				return rc;
		}
		return 0;
	}
	return gemini_dec_chunk(d, c, &j, obj, emit, arg);
}

int gemini_dec_finish(struct gemini_dec *d, struct xlate_ctx *c, ir_emit_fn emit, void *arg)
{
	struct ir_event ev;
	int rc;

	if (d->dead)
		return 0;
	if (!d->finished)
		return error_event(d, 502, "api_error", IR_STR_LIT("upstream stream ended early"),
				   emit, arg);
	if (!d->any_content && d->stop != IR_STOP_MAX_TOKENS && d->stop != IR_STOP_SAFETY)
		return error_event(d, 502, "api_error", IR_STR_LIT("empty response from upstream"),
				   emit, arg);
	if ((rc = ensure_started(d, c, emit, arg)) || (rc = close_block(d, emit, arg)))
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_MESSAGE_STOP;
	ev.stop = d->stop == IR_STOP_UNSET ? IR_STOP_END_TURN : d->stop;
	ev.stop_raw = d->stop_raw;
	ev.usage = d->usage;
	d->dead = true;
	EMIT(&ev);
	return 0;
}

/* ---- stream encoding ---------------------------------------------------- */

int gemini_enc_start(struct gemini_enc *s, struct xlate_ctx *c, enum ir_family fam, bool wrap)
{
	memset(s, 0, sizeof(*s));
	s->fam = fam;
	s->wrap = wrap;
	buf_init(&s->args, c->a, LIMIT_UPSTREAM_BODY);
	buf_init(&s->sig, c->a, LIMIT_UPSTREAM_BODY);
	return 0;
}

/* Chunk framing: open {"candidates":[{"content":{"role":"model","parts":[ */
static void chunk_open(struct gemini_enc *s, struct jsonw *w)
{
	jw_obj(w);
	if (s->wrap) {
		jw_key(w, "response");
		jw_obj(w);
	}
	jw_key(w, "candidates");
	jw_arr(w);
	jw_obj(w);
	jw_key(w, "content");
	jw_obj(w);
	jw_kstr(w, "role", "model");
	jw_key(w, "parts");
	jw_arr(w);
}

static int chunk_close(struct gemini_enc *s, struct xlate_ctx *c, struct jsonw *w,
		       const char *finish, struct buf *tmp, struct buf *out)
{
	jw_end(w); /* parts */
	jw_end(w); /* content */
	if (finish)
		jw_kstr(w, "finishReason", finish);
	jw_kint(w, "index", 0);
	jw_end(w); /* candidate */
	jw_end(w); /* candidates */
	if (finish) {
		write_usage(w, &s->usage);
	} else if (s->usage.has_input) {
		/* like Gemini: every chunk tells the prompt size */
		jw_key(w, "usageMetadata");
		jw_obj(w);
		jw_kint(w, "promptTokenCount", s->usage.input);
		jw_kint(w, "totalTokenCount", s->usage.input);
		jw_end(w);
	}
	if (s->model)
		jw_kstr(w, "modelVersion", s->model);
	if (s->id)
		jw_kstr(w, "responseId", s->id);
	if (s->wrap)
		jw_end(w);
	jw_end(w);
	if (jw_error(w))
		return jw_error(w);
	return sse_write(out, NULL, tmp->p, tmp->len);
}

static const char *dup_or_null(struct xlate_ctx *c, const char *s)
{
	return s ? arena_strdup(c->a, s) : NULL;
}

int gemini_enc_event(struct gemini_enc *s, struct xlate_ctx *c, const struct ir_event *ev,
		     struct buf *out)
{
	struct buf tmp;
	struct jsonw w;
	bool sig_ok;

	buf_init(&tmp, c->a, LIMIT_UPSTREAM_BODY);
	jw_init(&w, &tmp);
	switch (ev->kind) {
	case IR_EV_MESSAGE_START:
		s->id = dup_or_null(c, ev->id);
		s->model = dup_or_null(c, model_name(c, ev->model));
		if ((ev->id && !s->id) || (s->model == NULL && model_name(c, ev->model)))
			return -ENOMEM;
		s->usage = ev->usage;
		return 0;
	case IR_EV_BLOCK_START:
		s->open = true;
		s->open_kind = ev->block;
		if (ev->block == IR_BLOCK_TOOL_CALL) {
			s->call_id = dup_or_null(c, ev->call_id);
			s->call_name = dup_or_null(c, ev->name);
			s->call_custom = ev->custom;
			buf_reset(&s->args);
			buf_reset(&s->sig);
			return s->call_id && s->call_name ? 0 : -ENOMEM;
		}
		if (ev->block == IR_BLOCK_IMAGE) {
			chunk_open(s, &w);
			jw_obj(&w);
			jw_key(&w, "inlineData");
			jw_obj(&w);
			jw_kstr(&w, "mimeType", ev->mime ? ev->mime : "image/png");
			jw_key(&w, "data");
			jw_str(&w, ev->data.p ? ev->data.p : "", ev->data.n);
			jw_end(&w);
			jw_end(&w);
			return chunk_close(s, c, &w, NULL, &tmp, out);
		}
		return 0;
	case IR_EV_DELTA:
		sig_ok = ev->delta == IR_DELTA_SIGNATURE && ir_sig_ok(ev->sig_family, s->fam);
		if (s->open_kind == IR_BLOCK_TOOL_CALL) {
			if (ev->delta == IR_DELTA_TOOL_ARGS)
				return buf_add(&s->args, ev->text.p, ev->text.n);
			if (sig_ok) {
				s->call_sig_family = ev->sig_family;
				return buf_add(&s->sig, ev->text.p, ev->text.n);
			}
			return 0;
		}
		if (ev->delta == IR_DELTA_SIGNATURE && !sig_ok)
			return 0;
		if (ev->delta != IR_DELTA_SIGNATURE && !ev->text.n)
			return 0;
		if (s->open_kind != IR_BLOCK_TEXT && s->open_kind != IR_BLOCK_THINKING)
			return 0;
		chunk_open(s, &w);
		jw_obj(&w);
		jw_key(&w, "text");
		if (ev->delta == IR_DELTA_SIGNATURE)
			jw_str(&w, "", 0);
		else
			jw_str(&w, ev->text.p, ev->text.n);
		if (s->open_kind == IR_BLOCK_THINKING)
			jw_kbool(&w, "thought", true);
		if (ev->delta == IR_DELTA_SIGNATURE) {
			jw_key(&w, "thoughtSignature");
			jw_str(&w, ev->text.p, ev->text.n);
		}
		jw_end(&w);
		return chunk_close(s, c, &w, NULL, &tmp, out);
	case IR_EV_BLOCK_STOP:
		if (s->open && s->open_kind == IR_BLOCK_TOOL_CALL) {
			struct ir_str args = { s->args.p, s->args.len }, input = args;
			if (s->args.err || s->sig.err)
				return s->args.err ? s->args.err : s->sig.err;
			if (!s->args.len)
				args = IR_STR_NONE;
			chunk_open(s, &w);
			jw_obj(&w);
			write_call(&w, c, s->call_id, s->call_name, args, s->call_custom, input);
			if (s->sig.len) {
				jw_key(&w, "thoughtSignature");
				jw_str(&w, s->sig.p, s->sig.len);
			}
			jw_end(&w);
			s->open = false;
			return chunk_close(s, c, &w, NULL, &tmp, out);
		}
		s->open = false;
		return 0;
	case IR_EV_USAGE: {
		const struct ir_usage *u = &ev->usage;
#define M(f)                          \
	if (u->has_##f) {             \
		s->usage.has_##f = true; \
		s->usage.f = u->f;    \
	}
		M(input) M(output) M(cached) M(cache_creation) M(reasoning) M(total)
		return 0;
	}
	case IR_EV_MESSAGE_STOP: {
		const struct ir_usage *u = &ev->usage;
		M(input) M(output) M(cached) M(cache_creation) M(reasoning) M(total)
#undef M
		chunk_open(s, &w);
		jw_obj(&w);
		jw_kstr(&w, "text", "");
		jw_end(&w);
		return chunk_close(s, c, &w, gemini_finish_reason(ev->stop, ev->stop_raw), &tmp,
				   out);
	}
	case IR_EV_ERROR: {
		struct apierr e;
		char *msg = ev->message.p ? arena_strndup(c->a, ev->message.p, ev->message.n)
					  : NULL;
		e.status = ev->status;
		e.type = ev->err_type;
		e.message = msg ? msg : "upstream error";
		return gemini_encode_error(c, &e, true, out);
	}
	case IR_EV_PING:
		return 0;
	}
	return -EINVAL;
}

/* ---- errors -------------------------------------------------------------- */

int gemini_decode_error(struct xlate_ctx *c, int status, const char *body, size_t n,
			struct apierr *ret)
{
	struct json j;
	int root = 0, err;
	const char *msg = NULL;

	ret->status = status;
	ret->type = apierr_type_for_status(status);
	ret->message = NULL;
	if (body && n && json_parse(&j, c->a, body, n) == 0) {
		if (json_kind(&j, root) == JSON_ARRAY)
			root = json_first(&j, root);
		err = json_get(&j, root, "error");
		if (json_kind(&j, err) == JSON_OBJECT)
			msg = jcstr(c, &j, json_get(&j, err, "message"));
		else if (json_kind(&j, err) == JSON_STRING)
			msg = jcstr(c, &j, err);
	}
	if (!msg && body && n) {
		size_t k = n > 2000 ? 2000 : n;
		while (k && (body[k - 1] == '\n' || body[k - 1] == '\r' || body[k - 1] == ' '))
			k--;
		msg = arena_strndup(c->a, body, k);
		if (!msg)
			return -ENOMEM;
	}
	ret->message = msg && *msg ? msg : http_reason(status);
	return 0;
}

int gemini_encode_error(struct xlate_ctx *c, const struct apierr *err, bool in_stream,
			struct buf *out)
{
	struct buf tmp;
	struct jsonw w;
	int status = err->status >= 400 && err->status <= 599 ? err->status : 500;

	buf_init(&tmp, c->a, LIMIT_UPSTREAM_BODY);
	jw_init(&w, in_stream ? &tmp : out);
	jw_obj(&w);
	jw_key(&w, "error");
	jw_obj(&w);
	jw_kint(&w, "code", status);
	jw_kstr(&w, "message", err->message ? err->message : http_reason(status));
	jw_kstr(&w, "status", apierr_gemini_status(status));
	jw_end(&w);
	jw_end(&w);
	if (jw_error(&w))
		return jw_error(&w);
	if (in_stream)
		return sse_write(out, "error", tmp.p, tmp.len);
	return 0;
}
