/*
 * openai_chat.c - OpenAI Chat Completions ("openai") <-> IR: requests,
 * chat.completion answers, chat.completion.chunk streams, error bodies.
 * Refuses (400) n > 1, unknown roles/part types, tool results for unknown
 * call ids, bad data URLs; upstream-bound file parts given only by URL.
 * Reads choice 0 only.  Other families' custom tools go upstream as function
 * tools taking {"input": string} and are unwrapped on the way back.
 */
#include "translate/family.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/limits.h"

#define ID_LEN 24
#define MAX_ERR_TEXT 2048

/* ---- Shared helpers ----------------------------------------------------- */

/* Member value, with JSON null read as absent. */
static int opt(const struct json *j, int obj, const char *key)
{
	int t = json_get(j, obj, key);
	return json_kind(j, t) == JSON_NULL ? -1 : t;
}

/* Unescaped string of token t: 0, -EINVAL (not a string), -ENOMEM. */
static int get_str(struct arena *a, const struct json *j, int t, struct ir_str *ret)
{
	size_t n;
	char *s;

	if (json_kind(j, t) != JSON_STRING)
		return -EINVAL;
	s = json_str(j, t, a, &n);
	if (!s)
		return -ENOMEM;
	ret->p = s;
	ret->n = n;
	return 0;
}

/* A string member as a C string, NULL when absent or not a string. */
static const char *get_cstr(struct arena *a, const struct json *j, int obj, const char *key)
{
	int t = json_get(j, obj, key);

	if (json_kind(j, t) != JSON_STRING)
		return NULL;
	return json_str(j, t, a, NULL);
}

static struct ir_str text_of(const struct json *j, int t)
{
	struct ir_str s;

	s.p = json_text(j, t, &s.n);
	return s;
}

static bool streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static bool is_custom_tool(const struct ir_request *r, const char *name)
{
	size_t i;

	if (!r || !name)
		return false;
	for (i = 0; i < r->ntools; i++)
		if (r->tools[i].kind == IR_TOOL_CUSTOM && streq(r->tools[i].name, name))
			return true;
	return false;
}

/* A custom tool's input from the {"input": "..."} wrapper we sent it in;
   the arguments themselves when they are not such an object. */
static struct ir_str unwrap_input(struct arena *a, struct ir_str args)
{
	struct json j;
	struct ir_str s;

	if (!args.p)
		return IR_STR_LIT("");
	if (json_parse(&j, a, args.p, args.n) == 0 &&
	    get_str(a, &j, json_get(&j, 0, "input"), &s) == 0)
		return s;
	return args;
}

/* Valid JSON text without insignificant whitespace (tool arguments from
   families that carry them as objects arrive pretty-printed); anything
   that is not valid JSON is returned as is. */
static struct ir_str compact_json(struct arena *a, struct ir_str s)
{
	struct json j;
	bool in = false, esc = false;
	size_t i, k = 0;
	char *o;

	if (!s.p)
		return s;
	for (i = 0; i < s.n; i++)
		if (s.p[i] == ' ' || s.p[i] == '\t' || s.p[i] == '\n' || s.p[i] == '\r')
			break;
	if (i == s.n || json_parse(&j, a, s.p, s.n) != 0)
		return s;
	if (!(o = arena_alloc(a, s.n + 1)))
		return s;
	for (i = 0; i < s.n; i++) {
		char ch = s.p[i];
		if (in) {
			o[k++] = ch;
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in = false;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		if (ch == '"')
			in = true;
		o[k++] = ch;
	}
	o[k] = 0;
	return (struct ir_str){ o, k };
}

static void dec_usage(const struct json *j, int u, struct ir_usage *ret)
{
	int64_t v;

#define GETU(tok, f)                                          \
	if (json_int(j, (tok), &v) == 0 && v >= 0) {          \
		ret->has_##f = true;                          \
		ret->f = v;                                   \
	}
	if (json_kind(j, u) != JSON_OBJECT)
		return;
	GETU(json_get(j, u, "input_tokens"), input)
	GETU(json_get(j, u, "output_tokens"), output)
	GETU(json_get(j, u, "prompt_tokens"), input)
	GETU(json_get(j, u, "completion_tokens"), output)
	GETU(json_get(j, u, "total_tokens"), total)
	GETU(json_get(j, u, "prompt_cache_hit_tokens"), cached)
	GETU(json_path(j, u, "prompt_tokens_details", "cached_tokens", NULL), cached)
	GETU(json_path(j, u, "completion_tokens_details", "reasoning_tokens", NULL), reasoning)
#undef GETU
}

static void merge_usage(struct ir_usage *u, const struct ir_usage *v)
{
#define M(f)                       \
	if (v->has_##f) {          \
		u->has_##f = true; \
		u->f = v->f;       \
	}
	M(input) M(output) M(cached) M(cache_creation) M(reasoning) M(total)
#undef M
}

static void enc_usage(struct jsonw *w, const struct ir_usage *u)
{
	jw_obj(w);
	jw_kint(w, "prompt_tokens", u->input);
	jw_kint(w, "completion_tokens", u->output);
	jw_kint(w, "total_tokens", u->has_total ? u->total : u->input + u->output);
	if (u->has_cached) {
		jw_key(w, "prompt_tokens_details");
		jw_obj(w);
		jw_kint(w, "cached_tokens", u->cached);
		jw_end(w);
	}
	if (u->has_reasoning) {
		jw_key(w, "completion_tokens_details");
		jw_obj(w);
		jw_kint(w, "reasoning_tokens", u->reasoning);
		jw_end(w);
	}
	jw_end(w);
}

static bool word_eq(const char *s, const char *lit) { return s && strcasecmp(s, lit) == 0; }

static enum ir_stop stop_from(const char *fr)
{
	if (word_eq(fr, "stop") || word_eq(fr, "end_turn"))
		return IR_STOP_END_TURN;
	if (word_eq(fr, "length") || word_eq(fr, "max_tokens"))
		return IR_STOP_MAX_TOKENS;
	if (word_eq(fr, "tool_calls") || word_eq(fr, "function_call") || word_eq(fr, "tool_use"))
		return IR_STOP_TOOL_USE;
	if (word_eq(fr, "content_filter") || word_eq(fr, "safety"))
		return IR_STOP_SAFETY;
	return IR_STOP_OTHER;
}

static const char *finish_of(enum ir_stop stop, const char *raw, bool any_tool)
{
	static const char *const words[] = { "stop", "length", "tool_calls", "content_filter",
					     "function_call" };
	size_t i;

	switch (stop) {
	case IR_STOP_MAX_TOKENS:
		return "length";
	case IR_STOP_TOOL_USE:
		return "tool_calls";
	case IR_STOP_SAFETY:
		return "content_filter";
	case IR_STOP_OTHER:
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (streq(raw, words[i]))
				return words[i];
		/* fall through */
	default:
		return any_tool ? "tool_calls" : "stop";
	}
}

/* HTTP status for an in-band error object: its numeric code, else by type. */
static int status_of_error(const struct json *j, int err)
{
	int64_t v;
	const char *p;
	size_t n;
	int t = json_get(j, err, "code");

	if (json_int(j, t, &v) == 0 && v >= 400 && v <= 599)
		return (int)v;
	t = json_get(j, err, "type");
	if (json_kind(j, t) == JSON_STRING) {
		p = json_raw(j, t, &n);
		if (n >= 10 && memcmp(p, "rate_limit", 10) == 0)
			return 429;
		if (json_streq(j, t, "invalid_request_error"))
			return 400;
		if (json_streq(j, t, "authentication_error"))
			return 401;
		if (json_streq(j, t, "permission_error") || json_streq(j, t, "insufficient_quota"))
			return 403;
		if (json_streq(j, t, "not_found_error"))
			return 404;
		if (json_streq(j, t, "overloaded_error"))
			return 529;
	}
	return 500;
}

/* Fill status/type/message from an {"error": {...}} object. */
static void read_error(struct arena *a, const struct json *j, int err, int *ret_status,
		       const char **ret_type, struct ir_str *ret_msg)
{
	struct ir_str m = IR_STR_NONE;

	*ret_status = status_of_error(j, err);
	*ret_type = get_cstr(a, j, err, "type");
	if (get_str(a, j, json_get(j, err, "message"), &m) != 0 || !m.n)
		m = IR_STR_LIT("upstream error");
	*ret_msg = m;
}

/* ---- Request decoding --------------------------------------------------- */

static int rq_err(struct xlate_ctx *c, struct apierr *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rq_err(struct xlate_ctx *c, struct apierr *e, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = arena_vprintf(c->a, fmt, ap);
	va_end(ap);
	return apierr_set(e, -EINVAL, 400, "invalid_request_error",
			  m ? m : "invalid request");
}

static int oom(struct apierr *e)
{
	return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
}

/* Where decoded content parts go. */
struct sink {
	struct ir_request *r;  /* system parts (TEXT only) */
	struct ir_message *m;  /* message parts */
	struct ir_part *res;   /* tool result content */
};

static struct ir_part *sink_add(struct arena *a, struct sink *s, enum ir_part_kind k)
{
	if (s->res)
		return ir_add_result_part(a, s->res, k);
	if (s->m)
		return ir_add_part(a, s->m, k);
	return ir_add_system(a, s->r);
}

enum { ALLOW_MEDIA = 1, ALLOW_REFUSAL = 2, SKIP_EMPTY = 4 };

static int add_text(struct xlate_ctx *c, struct sink *s, struct ir_str t, unsigned allow)
{
	struct ir_part *p;

	if ((allow & SKIP_EMPTY) && t.n == 0)
		return 0;
	p = sink_add(c->a, s, IR_PART_TEXT);
	if (!p)
		return -ENOMEM;
	p->text = t;
	return 0;
}

static int dec_image(struct xlate_ctx *c, const struct json *j, int item, struct sink *s,
		     const char *where, struct apierr *e)
{
	int iu = json_get(j, item, "image_url"), ut = iu;
	struct ir_str url;
	struct ir_part *p;

	if (json_kind(j, iu) == JSON_OBJECT)
		ut = json_get(j, iu, "url");
	if (get_str(c->a, j, ut, &url) != 0)
		return rq_err(c, e, "%s.image_url.url must be a string", where);
	p = sink_add(c->a, s, IR_PART_IMAGE);
	if (!p)
		return oom(e);
	if (json_kind(j, iu) == JSON_OBJECT)
		p->detail = get_cstr(c->a, j, iu, "detail");
	if (url.n >= 5 && strncasecmp(url.p, "data:", 5) == 0) {
		if (ir_data_url_parse(c->a, url.p, url.n, &p->mime, &p->data) != 0)
			return rq_err(c, e, "%s.image_url.url is not a base64 data URL", where);
		if (!p->mime)
			p->mime = "image/png";
	} else {
		p->url = url.p;
	}
	return 0;
}

static const char *mime_for_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n > 4 && strcasecmp(name + n - 4, ".pdf") == 0)
		return "application/pdf";
	if (n > 4 && strcasecmp(name + n - 4, ".txt") == 0)
		return "text/plain";
	return "application/octet-stream";
}

static int dec_file(struct xlate_ctx *c, const struct json *j, int item, struct sink *s,
		    const char *where, struct apierr *e)
{
	int f = json_get(j, item, "file");
	struct ir_str fd = IR_STR_NONE;
	struct ir_part *p;

	if (json_kind(j, f) != JSON_OBJECT)
		return rq_err(c, e, "%s.file must be an object", where);
	p = sink_add(c->a, s, IR_PART_FILE);
	if (!p)
		return oom(e);
	p->filename = get_cstr(c->a, j, f, "filename");
	if (get_str(c->a, j, opt(j, f, "file_data"), &fd) == 0) {
		if (fd.n >= 5 && strncasecmp(fd.p, "data:", 5) == 0) {
			if (ir_data_url_parse(c->a, fd.p, fd.n, &p->mime, &p->data) != 0)
				return rq_err(c, e, "%s.file.file_data is not a base64 data URL",
					      where);
			if (!p->mime)
				p->mime = mime_for_name(p->filename);
		} else {
			p->mime = mime_for_name(p->filename);
			p->data = fd;
		}
		return 0;
	}
	p->file_id = get_cstr(c->a, j, f, "file_id");
	if (!p->file_id)
		return rq_err(c, e, "%s.file needs file_data or file_id", where);
	return 0;
}

static int dec_audio(struct xlate_ctx *c, const struct json *j, int item, struct sink *s,
		     const char *where, struct apierr *e)
{
	int a = json_get(j, item, "input_audio");
	const char *fmt = get_cstr(c->a, j, a, "format");
	struct ir_str data;
	struct ir_part *p;

	if (get_str(c->a, j, json_get(j, a, "data"), &data) != 0 || !fmt)
		return rq_err(c, e, "%s.input_audio needs data and format", where);
	p = sink_add(c->a, s, IR_PART_FILE);
	if (!p)
		return oom(e);
	p->mime = arena_printf(c->a, "audio/%s", fmt);
	p->data = data;
	return p->mime ? 0 : oom(e);
}

/* content: a string or an array of parts. */
static int dec_content(struct xlate_ctx *c, const struct json *j, int t, struct sink *s,
		       unsigned allow, const char *where, struct apierr *e)
{
	struct ir_str txt;
	int item, rc;
	size_t k = 0;

	if (json_kind(j, t) == JSON_STRING) {
		if (get_str(c->a, j, t, &txt) != 0)
			return oom(e);
		return add_text(c, s, txt, allow) ? oom(e) : 0;
	}
	if (json_kind(j, t) != JSON_ARRAY)
		return rq_err(c, e, "%s.content must be a string or an array of parts", where);
	for (item = json_first(j, t); item >= 0; item = json_after(j, item), k++) {
		int ty = json_get(j, item, "type");
		char *w = arena_printf(c->a, "%s.content[%zu]", where, k);

		if (!w)
			return oom(e);
		if (json_kind(j, item) != JSON_OBJECT || json_kind(j, ty) != JSON_STRING)
			return rq_err(c, e, "%s must be an object with a type", w);
		if (json_streq(j, ty, "text") || json_streq(j, ty, "input_text") ||
		    json_streq(j, ty, "output_text")) {
			if (get_str(c->a, j, json_get(j, item, "text"), &txt) != 0)
				return rq_err(c, e, "%s.text must be a string", w);
			rc = add_text(c, s, txt, allow);
		} else if (json_streq(j, ty, "refusal") && (allow & ALLOW_REFUSAL)) {
			if (get_str(c->a, j, json_get(j, item, "refusal"), &txt) != 0)
				return rq_err(c, e, "%s.refusal must be a string", w);
			rc = add_text(c, s, txt, allow);
		} else if (!(allow & ALLOW_MEDIA)) {
			char *tn = json_str(j, ty, c->a, NULL);
			return rq_err(c, e, "%s: part type \"%s\" is not allowed here", w,
				      tn ? tn : "?");
		} else if (json_streq(j, ty, "image_url")) {
			rc = dec_image(c, j, item, s, w, e);
		} else if (json_streq(j, ty, "file")) {
			rc = dec_file(c, j, item, s, w, e);
		} else if (json_streq(j, ty, "input_audio")) {
			rc = dec_audio(c, j, item, s, w, e);
		} else {
			char *tn = json_str(j, ty, c->a, NULL);
			return rq_err(c, e, "%s: unsupported part type \"%s\"", w,
				      tn ? tn : "?");
		}
		if (rc == -ENOMEM)
			return oom(e);
		if (rc)
			return rc;
	}
	return 0;
}

static int dec_tool_call(struct xlate_ctx *c, const struct json *j, int tc, struct ir_message *m,
			 const char *where, struct apierr *e)
{
	struct ir_part *p = ir_add_part(c->a, m, IR_PART_TOOL_CALL);
	int fn, at;
	struct ir_str s;

	if (!p)
		return oom(e);
	if (json_kind(j, tc) != JSON_OBJECT)
		return rq_err(c, e, "%s must be an object", where);
	p->call_id = get_cstr(c->a, j, tc, "id");
	if (!p->call_id || !*p->call_id)
		p->call_id = xlate_id(c, "call_", ID_LEN);
	if (!p->call_id)
		return oom(e);
	if (json_streq(j, json_get(j, tc, "type"), "custom")) {
		fn = json_get(j, tc, "custom");
		p->custom = true;
		p->name = get_cstr(c->a, j, fn, "name");
		if (get_str(c->a, j, opt(j, fn, "input"), &p->text) != 0)
			p->text = IR_STR_LIT("");
	} else {
		fn = json_get(j, tc, "function");
		p->name = get_cstr(c->a, j, fn, "name");
		at = opt(j, fn, "arguments");
		if (json_kind(j, at) == JSON_STRING) {
			if (get_str(c->a, j, at, &s) != 0)
				return oom(e);
			if (s.n && !ir_str_eq(s, "{}")) /* absent means {} (ir.h) */
				p->args = s;
		} else if (json_kind(j, at) == JSON_OBJECT) {
			p->args = text_of(j, at);
		} else if (at >= 0) {
			return rq_err(c, e, "%s.function.arguments must be a string", where);
		}
	}
	if (!p->name || !*p->name)
		return rq_err(c, e, "%s needs a function name", where);
	return 0;
}

static int dec_assistant(struct xlate_ctx *c, const struct json *j, int msg,
			 struct ir_request *r, const char *where, struct apierr *e)
{
	struct ir_message *m = ir_add_message(c->a, r, IR_ROLE_ASSISTANT);
	struct sink s = { 0 };
	struct ir_str txt;
	int t, tc, rc;
	size_t k = 0;

	if (!m)
		return oom(e);
	m->name = get_cstr(c->a, j, msg, "name");
	t = opt(j, msg, "reasoning_content");
	if (t < 0)
		t = opt(j, msg, "reasoning");
	if (json_kind(j, t) == JSON_STRING) {
		if (get_str(c->a, j, t, &txt) != 0)
			return oom(e);
		if (txt.n) {
			struct ir_part *p = ir_add_part(c->a, m, IR_PART_THINKING);
			if (!p)
				return oom(e);
			p->text = txt;
		}
	}
	s.m = m;
	t = opt(j, msg, "content");
	if (t >= 0 && (rc = dec_content(c, j, t, &s, ALLOW_REFUSAL | SKIP_EMPTY, where, e)))
		return rc;
	t = opt(j, msg, "tool_calls");
	if (t >= 0 && json_kind(j, t) != JSON_ARRAY)
		return rq_err(c, e, "%s.tool_calls must be an array", where);
	for (tc = json_first(j, t); tc >= 0; tc = json_after(j, tc), k++) {
		char *w = arena_printf(c->a, "%s.tool_calls[%zu]", where, k);
		if (!w)
			return oom(e);
		if ((rc = dec_tool_call(c, j, tc, m, w, e)))
			return rc;
	}
	/* Legacy function_call: a tool call with a made-up id. */
	t = opt(j, msg, "function_call");
	if (json_kind(j, t) == JSON_OBJECT) {
		struct ir_part *p = ir_add_part(c->a, m, IR_PART_TOOL_CALL);
		struct ir_str a;
		if (!p)
			return oom(e);
		p->call_id = xlate_id(c, "call_", ID_LEN);
		p->name = get_cstr(c->a, j, t, "name");
		if (!p->call_id)
			return oom(e);
		if (!p->name || !*p->name)
			return rq_err(c, e, "%s.function_call needs a name", where);
		if (get_str(c->a, j, opt(j, t, "arguments"), &a) == 0 && a.n)
			p->args = a;
	}
	return 0;
}

/* The most recent tool call with this name (legacy role "function"). */
static const char *last_call_named(const struct ir_request *r, const char *name)
{
	size_t i, k;

	for (i = r->nmessages; i-- > 0;)
		for (k = r->messages[i].nparts; k-- > 0;) {
			const struct ir_part *p = &r->messages[i].parts[k];
			if (p->kind == IR_PART_TOOL_CALL && streq(p->name, name))
				return p->call_id;
		}
	return NULL;
}

static int dec_tool_msg(struct xlate_ctx *c, const struct json *j, int msg, struct ir_request *r,
			bool legacy, bool merge, const char *where, struct apierr *e)
{
	struct ir_message *m;
	struct ir_part *p;
	struct sink s = { 0 };
	const char *id, *name;
	int t;

	if (legacy) {
		name = get_cstr(c->a, j, msg, "name");
		id = last_call_named(r, name);
		if (!id)
			return rq_err(c, e, "%s: no earlier function_call named \"%s\"", where,
				      name ? name : "");
	} else {
		id = get_cstr(c->a, j, msg, "tool_call_id");
		if (!id || !*id)
			return rq_err(c, e, "%s.tool_call_id is required", where);
		name = ir_call_name(r, id);
		if (!name)
			return rq_err(c, e,
				      "%s.tool_call_id \"%s\" does not match an earlier tool call",
				      where, id);
	}
	m = merge ? &r->messages[r->nmessages - 1] : ir_add_message(c->a, r, IR_ROLE_USER);
	if (!m || !(p = ir_add_part(c->a, m, IR_PART_TOOL_RESULT)))
		return oom(e);
	p->call_id = id;
	p->name = name;
	s.res = p;
	t = opt(j, msg, "content");
	if (t >= 0)
		return dec_content(c, j, t, &s, ALLOW_MEDIA, where, e);
	return 0;
}

static int dec_messages(struct xlate_ctx *c, const struct json *j, int msgs, struct ir_request *r,
			struct apierr *e)
{
	bool leading = true, prev_tool = false;
	int msg, rc, t;
	size_t i = 0;

	if (json_kind(j, msgs) != JSON_ARRAY)
		return rq_err(c, e, "messages must be an array");
	for (msg = json_first(j, msgs); msg >= 0; msg = json_after(j, msg), i++) {
		int role = json_get(j, msg, "role");
		char *w = arena_printf(c->a, "messages[%zu]", i);
		struct sink s = { 0 };
		bool tool = false;

		if (!w)
			return oom(e);
		if (json_kind(j, msg) != JSON_OBJECT || json_kind(j, role) != JSON_STRING)
			return rq_err(c, e, "%s must be an object with a role", w);
		t = opt(j, msg, "content");
		if (json_streq(j, role, "system") || json_streq(j, role, "developer")) {
			if (leading) {
				s.r = r;
			} else if (!(s.m = ir_add_message(c->a, r, IR_ROLE_SYSTEM))) {
				return oom(e);
			}
			if (t < 0)
				return rq_err(c, e, "%s.content is required", w);
			rc = dec_content(c, j, t, &s, 0, w, e);
		} else if (json_streq(j, role, "user")) {
			leading = false;
			if (!(s.m = ir_add_message(c->a, r, IR_ROLE_USER)))
				return oom(e);
			s.m->name = get_cstr(c->a, j, msg, "name");
			if (t < 0)
				return rq_err(c, e, "%s.content is required", w);
			rc = dec_content(c, j, t, &s, ALLOW_MEDIA, w, e);
		} else if (json_streq(j, role, "assistant")) {
			leading = false;
			rc = dec_assistant(c, j, msg, r, w, e);
		} else if (json_streq(j, role, "tool") || json_streq(j, role, "function")) {
			leading = false;
			tool = true;
			rc = dec_tool_msg(c, j, msg, r, json_streq(j, role, "function"), prev_tool,
					  w, e);
		} else {
			char *rn = json_str(j, role, c->a, NULL);
			return rq_err(c, e, "%s.role \"%s\" is not supported", w, rn ? rn : "?");
		}
		if (rc)
			return rc;
		prev_tool = tool;
	}
	return 0;
}

static int dec_tools(struct xlate_ctx *c, const struct json *j, int tools, bool legacy,
		     struct ir_request *r, struct apierr *e)
{
	int t;
	size_t k = 0;

	if (json_kind(j, tools) != JSON_ARRAY)
		return rq_err(c, e, "%s must be an array", legacy ? "functions" : "tools");
	for (t = json_first(j, tools); t >= 0; t = json_after(j, t), k++) {
		int ty = json_get(j, t, "type"), fn;
		struct ir_tool *tl;

		if (json_kind(j, t) != JSON_OBJECT)
			return rq_err(c, e, "tools[%zu] must be an object", k);
		if (legacy || json_streq(j, ty, "function")) {
			fn = legacy ? t : json_get(j, t, "function");
			tl = ir_add_tool(c->a, r, IR_TOOL_FUNCTION);
		} else if (json_streq(j, ty, "custom")) {
			fn = json_get(j, t, "custom");
			tl = ir_add_tool(c->a, r, IR_TOOL_CUSTOM);
		} else {
			/* Anything else (web_search, google_search, ...): kept
			   whole for an upstream that knows it. */
			if (!(tl = ir_add_tool(c->a, r, IR_TOOL_BUILTIN)))
				return oom(e);
			tl->raw = text_of(j, t);
			tl->raw_family = IR_FAM_OPENAI;
			if (json_kind(j, ty) == JSON_STRING)
				tl->type = json_str(j, ty, c->a, NULL);
			else if (json_first(j, t) >= 0)
				tl->type = json_str(j, json_first(j, t), c->a, NULL);
			continue;
		}
		if (!tl)
			return oom(e);
		tl->raw = text_of(j, t);
		tl->raw_family = IR_FAM_OPENAI;
		if (json_kind(j, fn) != JSON_OBJECT)
			return rq_err(c, e, "tools[%zu] lacks its definition object", k);
		tl->name = get_cstr(c->a, j, fn, "name");
		if (!tl->name || !*tl->name)
			return rq_err(c, e, "tools[%zu] needs a name", k);
		if (json_kind(j, json_get(j, fn, "description")) == JSON_STRING &&
		    get_str(c->a, j, json_get(j, fn, "description"), &tl->description) != 0)
			return oom(e);
		if (tl->kind == IR_TOOL_CUSTOM) {
			if (opt(j, fn, "format") >= 0)
				tl->format = text_of(j, opt(j, fn, "format"));
			continue;
		}
		if (json_kind(j, json_get(j, fn, "parameters")) == JSON_OBJECT)
			tl->parameters = text_of(j, json_get(j, fn, "parameters"));
		if (json_kind(j, json_get(j, fn, "strict")) == JSON_TRUE)
			tl->strict = 1;
		else if (json_kind(j, json_get(j, fn, "strict")) == JSON_FALSE)
			tl->strict = 0;
	}
	return 0;
}

static int dec_tool_choice(struct xlate_ctx *c, const struct json *j, int t,
			   struct ir_request *r, struct apierr *e)
{
	struct ir_tool_choice *tc = &r->tool_choice;
	int ty = json_get(j, t, "type");

	if (json_kind(j, t) == JSON_STRING) {
		if (json_streq(j, t, "auto"))
			tc->kind = IR_TC_AUTO;
		else if (json_streq(j, t, "none"))
			tc->kind = IR_TC_NONE;
		else if (json_streq(j, t, "required") || json_streq(j, t, "any"))
			tc->kind = IR_TC_REQUIRED;
		else
			return rq_err(c, e,
				      "tool_choice must be auto, none, required or an object");
		return 0;
	}
	if (json_kind(j, t) != JSON_OBJECT)
		return rq_err(c, e, "tool_choice must be a string or an object");
	if (json_streq(j, ty, "allowed_tools")) {
		int mode = json_path(j, t, "allowed_tools", "mode", NULL);
		tc->kind = json_streq(j, mode, "required") ? IR_TC_REQUIRED : IR_TC_AUTO;
		return 0;
	}
	tc->kind = IR_TC_TOOL;
	if (json_streq(j, ty, "custom"))
		tc->name = get_cstr(c->a, j, json_get(j, t, "custom"), "name");
	else if (json_get(j, t, "function") >= 0)
		tc->name = get_cstr(c->a, j, json_get(j, t, "function"), "name");
	else /* legacy function_call: {"name": ...} */
		tc->name = get_cstr(c->a, j, t, "name");
	if (!tc->name || !*tc->name)
		return rq_err(c, e, "tool_choice names no function");
	return 0;
}

static int dec_number(struct xlate_ctx *c, const struct json *j, int root, const char *key,
		      bool *has, double *v, struct apierr *e)
{
	int t = opt(j, root, key);

	if (t < 0)
		return 0;
	if (json_double(j, t, v) != 0)
		return rq_err(c, e, "%s must be a number", key);
	*has = true;
	return 0;
}

static int dec_integer(struct xlate_ctx *c, const struct json *j, int root, const char *key,
		       bool *has, int64_t *v, struct apierr *e)
{
	int t = opt(j, root, key);
	double d;

	if (t < 0)
		return 0;
	if (json_int(j, t, v) != 0) {
		/* 8000.0 is an integer too. */
		if (json_double(j, t, &d) != 0 || d < -9e18 || d > 9e18 ||
		    d != (double)(int64_t)d)
			return rq_err(c, e, "%s must be an integer", key);
		*v = (int64_t)d;
	}
	*has = true;
	return 0;
}

static int dec_format(struct xlate_ctx *c, const struct json *j, int t, struct ir_request *r,
		      struct apierr *e)
{
	struct ir_format *f = &r->format;
	int ty = json_get(j, t, "type"), js;

	if (json_streq(j, ty, "text")) {
		f->kind = IR_FMT_TEXT;
	} else if (json_streq(j, ty, "json_object")) {
		f->kind = IR_FMT_JSON_OBJECT;
	} else if (json_streq(j, ty, "json_schema")) {
		f->kind = IR_FMT_JSON_SCHEMA;
		js = json_get(j, t, "json_schema");
		f->name = get_cstr(c->a, j, js, "name");
		if (json_kind(j, json_get(j, js, "description")) == JSON_STRING &&
		    get_str(c->a, j, json_get(j, js, "description"), &f->description))
			return oom(e);
		if (json_kind(j, json_get(j, js, "schema")) != JSON_OBJECT)
			return rq_err(c, e, "response_format.json_schema.schema must be an object");
		f->schema = text_of(j, json_get(j, js, "schema"));
		if (json_kind(j, json_get(j, js, "strict")) == JSON_TRUE)
			f->strict = 1;
		else if (json_kind(j, json_get(j, js, "strict")) == JSON_FALSE)
			f->strict = 0;
	} else {
		return rq_err(c, e,
			      "response_format.type must be text, json_object or json_schema");
	}
	return 0;
}

static int dec_reasoning(struct xlate_ctx *c, const struct json *j, int root,
			 struct ir_request *r, struct apierr *e)
{
	struct ir_reasoning *rs = &r->reasoning;
	int t = opt(j, root, "reasoning_effort");
	int64_t b;

	if (t < 0) /* OpenRouter style {"reasoning": {"effort": ...}} */
		t = opt(j, opt(j, root, "reasoning"), "effort");
	if (t >= 0) {
		if (!(rs->effort = json_str(j, t, c->a, NULL)))
			return rq_err(c, e, "reasoning_effort must be a string");
		if (strcasecmp(rs->effort, "none") == 0) {
			rs->mode = IR_THINK_DISABLED;
		} else if (strcasecmp(rs->effort, "auto") == 0) {
			rs->mode = IR_THINK_ADAPTIVE;
		} else {
			rs->mode = IR_THINK_ENABLED;
			if (ir_effort_to_budget(rs->effort, &b) == 0) {
				rs->has_budget = true;
				rs->budget = b;
			}
		}
	}
	/* Qwen / DashScope: enable_thinking, thinking_budget. */
	t = opt(j, root, "enable_thinking");
	if (json_kind(j, t) == JSON_FALSE && rs->mode == IR_THINK_UNSET)
		rs->mode = IR_THINK_DISABLED;
	else if (json_kind(j, t) == JSON_TRUE && rs->mode == IR_THINK_UNSET)
		rs->mode = IR_THINK_ENABLED;
	t = opt(j, root, "thinking_budget");
	if (t >= 0 && !rs->has_budget && json_int(j, t, &b) == 0) {
		rs->has_budget = true;
		rs->budget = b;
		if (rs->mode == IR_THINK_UNSET)
			rs->mode = b == 0 ? IR_THINK_DISABLED : IR_THINK_ENABLED;
	}
	return 0;
}

static int oa_decode_request(struct xlate_ctx *c, const char *json, size_t n,
			     struct ir_request *r, struct apierr *e)
{
	struct ir_gen *g = &r->gen;
	struct json jj, *j = &jj;
	int rc, t, s;
	bool b;

	memset(r, 0, sizeof(*r));
	r->family = IR_FAM_OPENAI;
	r->raw.p = json;
	r->raw.n = n;
	r->parallel_tool_calls = -1;
	r->reasoning.include_thoughts = -1;
	r->format.strict = -1;

	rc = json_parse(j, c->a, json, n);
	if (rc == -E2BIG)
		return apierr_set(e, rc, 413, "invalid_request_error",
				  "request JSON has too many tokens or is nested too deeply");
	if (rc == -ENOMEM)
		return oom(e);
	if (rc || json_kind(j, 0) != JSON_OBJECT)
		return rq_err(c, e, "request body must be a JSON object");

	t = opt(j, 0, "model");
	if (t >= 0 && !(r->model = json_str(j, t, c->a, NULL)))
		return rq_err(c, e, "model must be a string");
	t = json_get(j, 0, "messages");
	if (t < 0)
		return rq_err(c, e, "messages is required");
	if ((rc = dec_messages(c, j, t, r, e)))
		return rc;

	if ((t = opt(j, 0, "tools")) >= 0) {
		if ((rc = dec_tools(c, j, t, false, r, e)))
			return rc;
	} else if ((t = opt(j, 0, "functions")) >= 0) {
		if ((rc = dec_tools(c, j, t, true, r, e)))
			return rc;
	}
	if ((t = opt(j, 0, "tool_choice")) >= 0 || (t = opt(j, 0, "function_call")) >= 0)
		if ((rc = dec_tool_choice(c, j, t, r, e)))
			return rc;
	if ((t = opt(j, 0, "parallel_tool_calls")) >= 0) {
		if (json_bool(j, t, &b) != 0)
			return rq_err(c, e, "parallel_tool_calls must be a boolean");
		r->parallel_tool_calls = b;
	}

	if ((rc = dec_integer(c, j, 0, "max_completion_tokens", &g->has_max_tokens,
			      &g->max_tokens, e)))
		return rc;
	if (!g->has_max_tokens &&
	    (rc = dec_integer(c, j, 0, "max_tokens", &g->has_max_tokens, &g->max_tokens, e)))
		return rc;
	if ((rc = dec_number(c, j, 0, "temperature", &g->has_temperature, &g->temperature, e)) ||
	    (rc = dec_number(c, j, 0, "top_p", &g->has_top_p, &g->top_p, e)) ||
	    (rc = dec_integer(c, j, 0, "top_k", &g->has_top_k, &g->top_k, e)) ||
	    (rc = dec_integer(c, j, 0, "seed", &g->has_seed, &g->seed, e)) ||
	    (rc = dec_number(c, j, 0, "presence_penalty", &g->has_presence_penalty,
			     &g->presence_penalty, e)) ||
	    (rc = dec_number(c, j, 0, "frequency_penalty", &g->has_frequency_penalty,
			     &g->frequency_penalty, e)) ||
	    (rc = dec_integer(c, j, 0, "n", &g->has_n, &g->n, e)))
		return rc;
	if (g->has_n && g->n != 1)
		return rq_err(c, e, "n must be 1: only one choice is supported");
	t = opt(j, 0, "stop");
	if (json_kind(j, t) == JSON_STRING) {
		struct ir_str st;
		if (get_str(c->a, j, t, &st) || ir_add_stop(c->a, r, st.p, st.n))
			return oom(e);
	} else if (json_kind(j, t) == JSON_ARRAY) {
		for (s = json_first(j, t); s >= 0; s = json_after(j, s)) {
			struct ir_str st;
			if (get_str(c->a, j, s, &st) != 0)
				return rq_err(c, e, "stop must be a string or an array of strings");
			if (ir_add_stop(c->a, r, st.p, st.n))
				return oom(e);
		}
	} else if (t >= 0) {
		return rq_err(c, e, "stop must be a string or an array of strings");
	}
	if ((t = opt(j, 0, "response_format")) >= 0 && (rc = dec_format(c, j, t, r, e)))
		return rc;
	if ((rc = dec_reasoning(c, j, 0, r, e)))
		return rc;

	r->stream = json_truthy(j, json_get(j, 0, "stream"));
	r->include_usage = r->stream &&
			   json_truthy(j, json_path(j, 0, "stream_options", "include_usage", NULL));
	if ((t = opt(j, 0, "user")) >= 0 && !(r->user = json_str(j, t, c->a, NULL)))
		return rq_err(c, e, "user must be a string");
	if (json_kind(j, (t = opt(j, 0, "metadata"))) == JSON_OBJECT)
		r->metadata = text_of(j, t);
	return 0;
}

/* ---- Request encoding --------------------------------------------------- */

static int enc_fail(struct apierr *e, int rc)
{
	if (rc == -E2BIG)
		return apierr_set(e, rc, 413, "invalid_request_error", "request too large");
	return oom(e);
}

/* "content": a string for one text part, else an array of text parts. */
static void enc_text_content(struct jsonw *w, const struct ir_part *p, size_t n)
{
	size_t i, cnt = 0;
	const struct ir_part *one = NULL;

	for (i = 0; i < n; i++)
		if (p[i].kind == IR_PART_TEXT) {
			cnt++;
			one = &p[i];
		}
	if (cnt == 1) {
		jw_str(w, one->text.p, one->text.n);
		return;
	}
	if (cnt == 0) {
		jw_str(w, "", 0);
		return;
	}
	jw_arr(w);
	for (i = 0; i < n; i++) {
		if (p[i].kind != IR_PART_TEXT)
			continue;
		jw_obj(w);
		jw_kstr(w, "type", "text");
		jw_key(w, "text");
		jw_str(w, p[i].text.p, p[i].text.n);
		jw_end(w);
	}
	jw_end(w);
}

static const char *audio_format(const char *mime)
{
	const char *f = mime + 6; /* after "audio/" */

	if (strcasecmp(f, "mpeg") == 0 || strcasecmp(f, "mp3") == 0)
		return "mp3";
	if (strcasecmp(f, "wav") == 0 || strcasecmp(f, "x-wav") == 0 || strcasecmp(f, "wave") == 0)
		return "wav";
	return f;
}

/* One user content part (text, image, file) as an array element. */
static int enc_user_part(struct xlate_ctx *c, struct jsonw *w, const struct ir_part *p,
			 struct apierr *e)
{
	const char *url;

	switch (p->kind) {
	case IR_PART_TEXT:
		jw_obj(w);
		jw_kstr(w, "type", "text");
		jw_key(w, "text");
		jw_str(w, p->text.p, p->text.n);
		jw_end(w);
		return 0;
	case IR_PART_IMAGE:
		if (p->file_id) {
			jw_obj(w);
			jw_kstr(w, "type", "file");
			jw_key(w, "file");
			jw_obj(w);
			jw_kstr(w, "file_id", p->file_id);
			jw_end(w);
			jw_end(w);
			return 0;
		}
		url = p->url ? p->url : ir_data_url(c->a, p->mime ? p->mime : "image/png", p->data);
		if (!url)
			return oom(e);
		jw_obj(w);
		jw_kstr(w, "type", "image_url");
		jw_key(w, "image_url");
		jw_obj(w);
		jw_kstr(w, "url", url);
		if (p->detail)
			jw_kstr(w, "detail", p->detail);
		jw_end(w);
		jw_end(w);
		return 0;
	case IR_PART_FILE:
		if (p->text.p) {
			jw_obj(w);
			jw_kstr(w, "type", "text");
			jw_key(w, "text");
			jw_str(w, p->text.p, p->text.n);
			jw_end(w);
			return 0;
		}
		if (p->data.p && p->mime && strncasecmp(p->mime, "audio/", 6) == 0) {
			jw_obj(w);
			jw_kstr(w, "type", "input_audio");
			jw_key(w, "input_audio");
			jw_obj(w);
			jw_key(w, "data");
			jw_str(w, p->data.p, p->data.n);
			jw_kstr(w, "format", audio_format(p->mime));
			jw_end(w);
			jw_end(w);
			return 0;
		}
		if (p->data.p && p->mime && strncasecmp(p->mime, "image/", 6) == 0) {
			struct ir_part img = *p;
			img.kind = IR_PART_IMAGE;
			return enc_user_part(c, w, &img, e);
		}
		if (p->url) {
			if (p->mime && strncasecmp(p->mime, "image/", 6) == 0) {
				struct ir_part img = *p;
				img.kind = IR_PART_IMAGE;
				return enc_user_part(c, w, &img, e);
			}
			return apierr_set(e, -EINVAL, 400, "invalid_request_error",
					  "file parts given by URL cannot be sent to an OpenAI "
					  "chat upstream");
		}
		jw_obj(w);
		jw_kstr(w, "type", "file");
		jw_key(w, "file");
		jw_obj(w);
		if (p->file_id) {
			jw_kstr(w, "file_id", p->file_id);
		} else {
			url = ir_data_url(c->a, p->mime, p->data);
			if (!url)
				return oom(e);
			jw_kstr(w, "filename",
				p->filename ? p->filename
					    : (p->mime && strcmp(p->mime, "application/pdf") == 0)
						      ? "document.pdf"
						      : "file");
			jw_kstr(w, "file_data", url);
		}
		jw_end(w);
		jw_end(w);
		return 0;
	default:
		return 0;
	}
}

/* A user message's non-result parts plus the images of its tool results. */
static int enc_user(struct xlate_ctx *c, struct jsonw *w, const struct ir_message *m,
		    struct apierr *e)
{
	size_t i, k, ntext = 0, nother = 0;
	int rc;

	for (i = 0; i < m->nparts; i++) {
		const struct ir_part *p = &m->parts[i];
		if (p->kind == IR_PART_TEXT)
			ntext++;
		else if (p->kind == IR_PART_IMAGE || p->kind == IR_PART_FILE)
			nother++;
		else if (p->kind == IR_PART_TOOL_RESULT)
			for (k = 0; k < p->ncontent; k++)
				if (p->content[k].kind != IR_PART_TEXT)
					nother++;
	}
	if (ntext + nother == 0 && m->nparts)
		return 0; /* only tool results */
	jw_obj(w);
	jw_kstr(w, "role", "user");
	if (m->name)
		jw_kstr(w, "name", m->name);
	jw_key(w, "content");
	if (nother == 0) {
		enc_text_content(w, m->parts, m->nparts);
		jw_end(w);
		return 0;
	}
	jw_arr(w);
	for (i = 0; i < m->nparts; i++) {
		const struct ir_part *p = &m->parts[i];
		if (p->kind != IR_PART_TOOL_RESULT)
			continue;
		for (k = 0; k < p->ncontent; k++)
			if (p->content[k].kind != IR_PART_TEXT &&
			    (rc = enc_user_part(c, w, &p->content[k], e)))
				return rc;
	}
	for (i = 0; i < m->nparts; i++)
		if (m->parts[i].kind != IR_PART_TOOL_RESULT &&
		    (rc = enc_user_part(c, w, &m->parts[i], e)))
			return rc;
	jw_end(w);
	jw_end(w);
	return 0;
}

static void enc_tool_results(struct jsonw *w, const struct ir_message *m)
{
	size_t i;

	for (i = 0; i < m->nparts; i++) {
		const struct ir_part *p = &m->parts[i];
		if (p->kind != IR_PART_TOOL_RESULT)
			continue;
		jw_obj(w);
		jw_kstr(w, "role", "tool");
		jw_kstr(w, "tool_call_id", p->call_id);
		jw_key(w, "content");
		if (p->ncontent == 0 && p->result_json.p)
			jw_str(w, p->result_json.p, p->result_json.n);
		else
			enc_text_content(w, p->content, p->ncontent);
		jw_end(w);
	}
}

/* {"input": text}: a custom tool call's arguments as a function call. */
static struct ir_str wrap_input(struct arena *a, struct ir_str text)
{
	struct buf b;
	struct jsonw w;

	buf_init(&b, a, LIMIT_BODY_BYTES);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "input");
	jw_str(&w, text.p ? text.p : "", text.n);
	jw_end(&w);
	if (jw_error(&w))
		return IR_STR_NONE;
	return (struct ir_str){ b.p, b.len };
}

static int enc_assistant(struct xlate_ctx *c, struct jsonw *w, const struct ir_message *m,
			 bool native, struct apierr *e)
{
	size_t i, ntext = 0, nthink = 0, ncalls = 0;

	for (i = 0; i < m->nparts; i++) {
		switch (m->parts[i].kind) {
		case IR_PART_TEXT:
			ntext++;
			break;
		case IR_PART_THINKING:
			if (m->parts[i].text.n)
				nthink++;
			break;
		case IR_PART_TOOL_CALL:
			ncalls++;
			break;
		default:
			break;
		}
	}
	jw_obj(w);
	jw_kstr(w, "role", "assistant");
	if (m->name)
		jw_kstr(w, "name", m->name);
	jw_key(w, "content");
	if (ntext == 0 && ncalls) {
		jw_null(w);
	} else {
		/* Assistant text is joined: some upstreams take strings only. */
		struct buf b;
		buf_init(&b, c->a, LIMIT_BODY_BYTES);
		for (i = 0; i < m->nparts; i++)
			if (m->parts[i].kind == IR_PART_TEXT)
				buf_add(&b, m->parts[i].text.p, m->parts[i].text.n);
		if (b.err)
			return enc_fail(e, b.err);
		jw_str(w, b.p ? b.p : "", b.len);
	}
	if (nthink) {
		struct buf b;
		buf_init(&b, c->a, LIMIT_BODY_BYTES);
		for (i = 0; i < m->nparts; i++)
			if (m->parts[i].kind == IR_PART_THINKING)
				buf_add(&b, m->parts[i].text.p, m->parts[i].text.n);
		if (b.err)
			return enc_fail(e, b.err);
		jw_key(w, "reasoning_content");
		jw_str(w, b.p, b.len);
	}
	if (ncalls) {
		jw_key(w, "tool_calls");
		jw_arr(w);
		for (i = 0; i < m->nparts; i++) {
			const struct ir_part *p = &m->parts[i];
			struct ir_str args = p->args;
			if (p->kind != IR_PART_TOOL_CALL)
				continue;
			jw_obj(w);
			jw_kstr(w, "id", p->call_id);
			if (p->custom && native) {
				jw_kstr(w, "type", "custom");
				jw_key(w, "custom");
				jw_obj(w);
				jw_kstr(w, "name", p->name);
				jw_key(w, "input");
				jw_str(w, p->text.p ? p->text.p : "", p->text.n);
				jw_end(w);
				jw_end(w);
				continue;
			}
			if (p->custom && !(args = wrap_input(c->a, p->text)).p)
				return oom(e);
			args = compact_json(c->a, args);
			jw_kstr(w, "type", "function");
			jw_key(w, "function");
			jw_obj(w);
			jw_kstr(w, "name", p->name);
			jw_key(w, "arguments");
			if (args.p)
				jw_str(w, args.p, args.n);
			else
				jw_str(w, "{}", 2);
			jw_end(w);
			jw_end(w);
		}
		jw_end(w);
	}
	jw_end(w);
	return 0;
}

static void enc_system(struct jsonw *w, const struct ir_part *p, size_t n)
{
	jw_obj(w);
	jw_kstr(w, "role", "system");
	jw_key(w, "content");
	enc_text_content(w, p, n);
	jw_end(w);
}

static int enc_messages(struct xlate_ctx *c, struct jsonw *w, const struct ir_request *r,
			struct apierr *e)
{
	size_t i;
	int rc;

	jw_key(w, "messages");
	jw_arr(w);
	/* Claude Code's per-request billing header line is for Anthropic
	   only (and would defeat prompt caching elsewhere). */
	for (i = 0; i < r->nsystem; i++)
		if (r->family != IR_FAM_CLAUDE ||
		    !(r->system[i].text.n >= 27 &&
		      memcmp(r->system[i].text.p, "x-anthropic-billing-header:", 27) == 0))
			break;
	if (i < r->nsystem)
		enc_system(w, r->system + i, r->nsystem - i);
	for (i = 0; i < r->nmessages; i++) {
		const struct ir_message *m = &r->messages[i];
		switch (m->role) {
		case IR_ROLE_SYSTEM:
			enc_system(w, m->parts, m->nparts);
			break;
		case IR_ROLE_ASSISTANT:
			if ((rc = enc_assistant(c, w, m, r->family == IR_FAM_OPENAI, e)))
				return rc;
			break;
		default:
			enc_tool_results(w, m);
			if ((rc = enc_user(c, w, m, e)))
				return rc;
			break;
		}
	}
	jw_end(w);
	return 0;
}

/* The input schema of a custom tool sent as a function. */
static const char custom_params[] =
	"{\"type\":\"object\",\"properties\":{\"input\":{\"type\":\"string\","
	"\"description\":\"The raw input of this free-form tool.\"}},\"required\":[\"input\"]}";

static size_t enc_tools(struct jsonw *w, const struct ir_request *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->ntools; i++) {
		const struct ir_tool *t = &r->tools[i];

		if (t->kind == IR_TOOL_BUILTIN) {
			if (t->raw_family != IR_FAM_OPENAI || !t->raw.p)
				continue; /* no equivalent in chat completions */
			if (!n++) {
				jw_key(w, "tools");
				jw_arr(w);
			}
			jw_raw(w, t->raw.p, t->raw.n);
			continue;
		}
		if (!n++) {
			jw_key(w, "tools");
			jw_arr(w);
		}
		jw_obj(w);
		if (t->kind == IR_TOOL_CUSTOM && r->family == IR_FAM_OPENAI) {
			/* The client's own custom tool, back to its own family. */
			jw_kstr(w, "type", "custom");
			jw_key(w, "custom");
			jw_obj(w);
			jw_kstr(w, "name", t->name);
			if (t->description.p) {
				jw_key(w, "description");
				jw_str(w, t->description.p, t->description.n);
			}
			if (t->format.p) {
				jw_key(w, "format");
				jw_raw(w, t->format.p, t->format.n);
			}
			jw_end(w);
			jw_end(w);
			continue;
		}
		jw_kstr(w, "type", "function");
		jw_key(w, "function");
		jw_obj(w);
		jw_kstr(w, "name", t->name);
		if (t->description.p) {
			jw_key(w, "description");
			jw_str(w, t->description.p, t->description.n);
		}
		if (t->kind == IR_TOOL_CUSTOM) {
			jw_key(w, "parameters");
			jw_raw(w, custom_params, sizeof(custom_params) - 1);
		} else if (t->parameters.p) {
			jw_key(w, "parameters");
			jw_raw(w, t->parameters.p, t->parameters.n);
		}
		if (t->kind == IR_TOOL_FUNCTION && t->strict >= 0)
			jw_kbool(w, "strict", t->strict);
		jw_end(w);
		jw_end(w);
	}
	if (n)
		jw_end(w);
	return n;
}

/* reasoning_effort for the upstream, NULL: say nothing. */
static const char *effort_out(const struct ir_reasoning *rs)
{
	const char *ef = rs->effort;

	switch (rs->mode) {
	case IR_THINK_DISABLED:
		return ef ? ef : NULL;
	case IR_THINK_ENABLED:
		if (!ef && rs->has_budget && rs->budget > 0)
			ef = ir_budget_to_effort(rs->budget);
		break;
	case IR_THINK_ADAPTIVE:
		break;
	default:
		return ef;
	}
	if (!ef || strcasecmp(ef, "auto") == 0)
		return NULL;
	if (strcasecmp(ef, "max") == 0)
		return "xhigh";
	return ef;
}

static int oa_encode_request(struct xlate_ctx *c, const struct ir_request *r, struct buf *out,
			     struct apierr *e)
{
	const char *model = c->upstream_model ? c->upstream_model : r->model;
	const char *ef;
	struct jsonw w;
	size_t i, ntools;
	bool custom;
	int rc;

	jw_init(&w, out);
	jw_obj(&w);
	if (model)
		jw_kstr(&w, "model", model);
	if ((rc = enc_messages(c, &w, r, e)))
		return rc;
	ntools = enc_tools(&w, r);
	if (ntools) {
		switch (r->tool_choice.kind) {
		case IR_TC_AUTO:
			jw_kstr(&w, "tool_choice", "auto");
			break;
		case IR_TC_NONE:
			jw_kstr(&w, "tool_choice", "none");
			break;
		case IR_TC_REQUIRED:
			jw_kstr(&w, "tool_choice", "required");
			break;
		case IR_TC_TOOL:
			custom = r->family == IR_FAM_OPENAI &&
				 is_custom_tool(r, r->tool_choice.name);
			jw_key(&w, "tool_choice");
			jw_obj(&w);
			jw_kstr(&w, "type", custom ? "custom" : "function");
			jw_key(&w, custom ? "custom" : "function");
			jw_obj(&w);
			jw_kstr(&w, "name", r->tool_choice.name);
			jw_end(&w);
			jw_end(&w);
			break;
		default:
			break;
		}
		if (r->parallel_tool_calls >= 0)
			jw_kbool(&w, "parallel_tool_calls", r->parallel_tool_calls);
	}
	if (r->gen.has_max_tokens)
		jw_kint(&w, "max_tokens", r->gen.max_tokens);
	if (r->gen.has_temperature) {
		jw_key(&w, "temperature");
		jw_double(&w, r->gen.temperature);
	}
	if (r->gen.has_top_p) {
		jw_key(&w, "top_p");
		jw_double(&w, r->gen.top_p);
	}
	if (r->gen.has_top_k)
		jw_kint(&w, "top_k", r->gen.top_k);
	if (r->gen.has_seed)
		jw_kint(&w, "seed", r->gen.seed);
	if (r->gen.has_presence_penalty) {
		jw_key(&w, "presence_penalty");
		jw_double(&w, r->gen.presence_penalty);
	}
	if (r->gen.has_frequency_penalty) {
		jw_key(&w, "frequency_penalty");
		jw_double(&w, r->gen.frequency_penalty);
	}
	if (r->gen.has_n)
		jw_kint(&w, "n", r->gen.n);
	if (r->gen.nstop) {
		jw_key(&w, "stop");
		jw_arr(&w);
		for (i = 0; i < r->gen.nstop; i++)
			jw_str(&w, r->gen.stop[i].p, r->gen.stop[i].n);
		jw_end(&w);
	}
	if (r->format.kind != IR_FMT_UNSET) {
		jw_key(&w, "response_format");
		jw_obj(&w);
		if (r->format.kind == IR_FMT_TEXT) {
			jw_kstr(&w, "type", "text");
		} else if (r->format.kind == IR_FMT_JSON_OBJECT) {
			jw_kstr(&w, "type", "json_object");
		} else {
			jw_kstr(&w, "type", "json_schema");
			jw_key(&w, "json_schema");
			jw_obj(&w);
			jw_kstr(&w, "name", r->format.name ? r->format.name : "response");
			if (r->format.description.p) {
				jw_key(&w, "description");
				jw_str(&w, r->format.description.p, r->format.description.n);
			}
			jw_key(&w, "schema");
			jw_raw(&w, r->format.schema.p, r->format.schema.n);
			if (r->format.strict >= 0)
				jw_kbool(&w, "strict", r->format.strict);
			jw_end(&w);
		}
		jw_end(&w);
	}
	if ((ef = effort_out(&r->reasoning)))
		jw_kstr(&w, "reasoning_effort", ef);
	if (r->stream) {
		jw_kbool(&w, "stream", true);
		/* We count tokens: ask for the usage chunk, unless this is the
		   client's own family and it did not ask. */
		if (r->include_usage || r->family != IR_FAM_OPENAI) {
			jw_key(&w, "stream_options");
			jw_obj(&w);
			jw_kbool(&w, "include_usage", true);
			jw_end(&w);
		}
	}
	if (r->user)
		jw_kstr(&w, "user", r->user);
	if (r->metadata.p && r->family == IR_FAM_OPENAI) {
		jw_key(&w, "metadata");
		jw_raw(&w, r->metadata.p, r->metadata.n);
	}
	jw_end(&w);
	if ((rc = jw_error(&w)))
		return enc_fail(e, rc);
	return 0;
}

/* Same family: the body as sent, with model and stream set; a streaming
   request always asks for the usage chunk (we count tokens). */
static int oa_passthrough(struct xlate_ctx *c, const char *json, size_t n, const char *model,
			  bool stream, struct buf *out, struct apierr *e)
{
	struct json j;
	struct jsonw w;
	bool seen_model = false, seen_stream = false, seen_so = false;
	int k, v, rc;

	rc = json_parse(&j, c->a, json, n);
	if (rc == -E2BIG)
		return apierr_set(e, rc, 413, "invalid_request_error",
				  "request JSON has too many tokens or is nested too deeply");
	if (rc == -ENOMEM)
		return oom(e);
	if (rc || json_kind(&j, 0) != JSON_OBJECT)
		return rq_err(c, e, "request body must be a JSON object");
	jw_init(&w, out);
	jw_obj(&w);
	for (k = json_first(&j, 0); k >= 0; k = json_after(&j, k)) {
		size_t kn;
		char *key = json_str(&j, k, c->a, &kn);
		struct ir_str val = text_of(&j, k + 1);

		if (!key)
			return oom(e);
		if (strcmp(key, "model") == 0 && model) {
			if (seen_model)
				continue;
			seen_model = true;
			jw_kstr(&w, "model", model);
		} else if (strcmp(key, "stream") == 0) {
			if (seen_stream)
				continue;
			seen_stream = true;
			jw_kbool(&w, "stream", stream);
		} else if (strcmp(key, "stream_options") == 0) {
			if (!stream || seen_so)
				continue;
			seen_so = true;
			jw_key(&w, "stream_options");
			jw_obj(&w);
			if (json_kind(&j, k + 1) == JSON_OBJECT)
				for (v = json_first(&j, k + 1); v >= 0; v = json_after(&j, v)) {
					size_t vn;
					char *vk = json_str(&j, v, c->a, &vn);
					struct ir_str vv = text_of(&j, v + 1);
					if (!vk)
						return oom(e);
					if (strcmp(vk, "include_usage") == 0)
						continue;
					jw_keyn(&w, vk, vn);
					jw_raw(&w, vv.p, vv.n);
				}
			jw_kbool(&w, "include_usage", true);
			jw_end(&w);
		} else {
			jw_keyn(&w, key, kn);
			jw_raw(&w, val.p, val.n);
		}
	}
	if (!seen_model && model)
		jw_kstr(&w, "model", model);
	if (!seen_stream && stream)
		jw_kbool(&w, "stream", true);
	if (!seen_so && stream) {
		jw_key(&w, "stream_options");
		jw_obj(&w);
		jw_kbool(&w, "include_usage", true);
		jw_end(&w);
	}
	jw_end(&w);
	if ((rc = jw_error(&w)))
		return enc_fail(e, rc);
	return 0;
}

/* ---- Responses (non-stream) --------------------------------------------- */

static int up_err(struct apierr *e, int rc, const char *msg)
{
	return apierr_set(e, rc, 502, "api_error", msg);
}

static int dec_resp_call(struct xlate_ctx *c, const struct json *j, int tc,
			 struct ir_response *r)
{
	struct ir_part *p = ir_add_resp_part(c->a, r, IR_PART_TOOL_CALL);
	struct ir_str s;
	int fn, at;

	if (!p)
		return -ENOMEM;
	p->call_id = get_cstr(c->a, j, tc, "id");
	if (!p->call_id || !*p->call_id)
		p->call_id = xlate_id(c, "call_", ID_LEN);
	if (json_streq(j, json_get(j, tc, "type"), "custom")) {
		fn = json_get(j, tc, "custom");
		p->custom = true;
		p->name = get_cstr(c->a, j, fn, "name");
		if (get_str(c->a, j, opt(j, fn, "input"), &p->text) != 0)
			p->text = IR_STR_LIT("");
	} else {
		fn = json_get(j, tc, "function");
		p->name = get_cstr(c->a, j, fn, "name");
		at = opt(j, fn, "arguments");
		if (json_kind(j, at) == JSON_STRING && get_str(c->a, j, at, &s) == 0 && s.n)
			p->args = s;
		else if (json_kind(j, at) == JSON_OBJECT)
			p->args = text_of(j, at);
		if (is_custom_tool(c->req, p->name)) {
			p->custom = true;
			p->text = unwrap_input(c->a, p->args);
			p->args = IR_STR_NONE;
		}
	}
	if (!p->call_id)
		return -ENOMEM;
	if (!p->name || !*p->name)
		return -EPROTO;
	return 0;
}

static int dec_resp_image(struct xlate_ctx *c, const struct json *j, int im,
			  struct ir_response *r)
{
	struct ir_str url;
	struct ir_part *p;
	int u = json_path(j, im, "image_url", "url", NULL);

	if (get_str(c->a, j, u, &url) != 0)
		return 0;
	p = ir_add_resp_part(c->a, r, IR_PART_IMAGE);
	if (!p)
		return -ENOMEM;
	if (ir_data_url_parse(c->a, url.p, url.n, &p->mime, &p->data) != 0) {
		p->url = url.p;
		p->mime = NULL;
	} else if (!p->mime) {
		p->mime = "image/png";
	}
	return 0;
}

static int oa_decode_response(struct xlate_ctx *c, const char *json, size_t n,
			      struct ir_response *r, struct apierr *e)
{
	struct json jj, *j = &jj;
	struct ir_str txt;
	const char *fr;
	int ch, msg, t, k, rc;
	bool any_tool = false, any = false;
	int64_t v;

	memset(r, 0, sizeof(*r));
	r->family = IR_FAM_OPENAI;
	rc = json_parse(j, c->a, json, n);
	if (rc == -ENOMEM)
		return oom(e);
	if (rc || json_kind(j, 0) != JSON_OBJECT)
		return up_err(e, -EPROTO, "upstream answer is not a JSON object");
	ch = json_at(j, json_get(j, 0, "choices"), 0);
	if (ch < 0 && json_kind(j, json_get(j, 0, "error")) == JSON_OBJECT) {
		int status;
		const char *type;
		read_error(c->a, j, json_get(j, 0, "error"), &status, &type, &txt);
		return apierr_set(e, -EPROTO, status, type, ir_str_dup(c->a, txt));
	}
	r->id = get_cstr(c->a, j, 0, "id");
	r->model = get_cstr(c->a, j, 0, "model");
	if (json_int(j, json_get(j, 0, "created"), &v) == 0)
		r->created = v;
	dec_usage(j, json_get(j, 0, "usage"), &r->usage);
	msg = json_get(j, ch, "message");

	t = opt(j, msg, "reasoning_content");
	if (t < 0)
		t = opt(j, msg, "reasoning");
	if (json_kind(j, t) == JSON_STRING && get_str(c->a, j, t, &txt) == 0 && txt.n) {
		struct ir_part *p = ir_add_resp_part(c->a, r, IR_PART_THINKING);
		if (!p)
			return oom(e);
		p->text = txt;
		any = true;
	}
	t = opt(j, msg, "content");
	if (json_kind(j, t) == JSON_STRING) {
		if (get_str(c->a, j, t, &txt) != 0)
			return oom(e);
		if (txt.n) {
			struct ir_part *p = ir_add_resp_part(c->a, r, IR_PART_TEXT);
			if (!p)
				return oom(e);
			p->text = txt;
			any = true;
		}
	} else if (json_kind(j, t) == JSON_ARRAY) {
		for (k = json_first(j, t); k >= 0; k = json_after(j, k)) {
			if (get_str(c->a, j, json_get(j, k, "text"), &txt) != 0 || !txt.n)
				continue;
			struct ir_part *p = ir_add_resp_part(c->a, r, IR_PART_TEXT);
			if (!p)
				return oom(e);
			p->text = txt;
			any = true;
		}
	}
	t = opt(j, msg, "refusal");
	if (json_kind(j, t) == JSON_STRING && get_str(c->a, j, t, &txt) == 0 && txt.n) {
		struct ir_part *p = ir_add_resp_part(c->a, r, IR_PART_TEXT);
		if (!p)
			return oom(e);
		p->text = txt;
		any = true;
	}
	t = opt(j, msg, "tool_calls");
	for (k = json_first(j, t); k >= 0; k = json_after(j, k)) {
		rc = dec_resp_call(c, j, k, r);
		if (rc == -ENOMEM)
			return oom(e);
		if (rc)
			return up_err(e, rc, "upstream tool call without a name");
		any = any_tool = true;
	}
	t = opt(j, msg, "images");
	for (k = json_first(j, t); k >= 0; k = json_after(j, k)) {
		if (dec_resp_image(c, j, k, r))
			return oom(e);
		any = true;
	}

	fr = get_cstr(c->a, j, ch, "finish_reason");
	if (fr) {
		r->stop = stop_from(fr);
		r->stop_raw = fr;
	}
	if (any_tool && (r->stop == IR_STOP_END_TURN || r->stop == IR_STOP_UNSET))
		r->stop = IR_STOP_TOOL_USE;
	else if (r->stop == IR_STOP_UNSET && any)
		r->stop = IR_STOP_END_TURN;
	if (!any && r->stop != IR_STOP_MAX_TOKENS)
		return apierr_set(e, -EAGAIN, 502, "api_error", "empty response from upstream");
	return 0;
}

static int oa_encode_response(struct xlate_ctx *c, const struct ir_response *r, struct buf *out,
			      struct apierr *e)
{
	struct jsonw w;
	struct buf text, think;
	size_t i, ncalls = 0, nimages = 0;
	const char *id = r->id;
	int rc;

	buf_init(&text, c->a, LIMIT_UPSTREAM_BODY);
	buf_init(&think, c->a, LIMIT_UPSTREAM_BODY);
	for (i = 0; i < r->nparts; i++) {
		const struct ir_part *p = &r->parts[i];
		if (p->kind == IR_PART_TEXT)
			buf_add(&text, p->text.p, p->text.n);
		else if (p->kind == IR_PART_THINKING && p->text.p)
			buf_add(&think, p->text.p, p->text.n);
		else if (p->kind == IR_PART_TOOL_CALL)
			ncalls++;
		else if (p->kind == IR_PART_IMAGE)
			nimages++;
	}
	if (text.err || think.err)
		return up_err(e, text.err ? text.err : think.err, "answer too large");
	if (!id && !(id = xlate_id(c, "chatcmpl-", ID_LEN)))
		return oom(e);

	jw_init(&w, out);
	jw_obj(&w);
	jw_kstr(&w, "id", id);
	jw_kstr(&w, "object", "chat.completion");
	jw_kint(&w, "created", r->created ? r->created : c->created);
	jw_kstr(&w, "model", c->client_model ? c->client_model : r->model ? r->model : "");
	jw_key(&w, "choices");
	jw_arr(&w);
	jw_obj(&w);
	jw_kint(&w, "index", 0);
	jw_key(&w, "message");
	jw_obj(&w);
	jw_kstr(&w, "role", "assistant");
	jw_key(&w, "content");
	if (text.len || !ncalls)
		jw_str(&w, text.p ? text.p : "", text.len);
	else
		jw_null(&w);
	if (think.len) {
		jw_key(&w, "reasoning_content");
		jw_str(&w, think.p, think.len);
	}
	if (ncalls) {
		jw_key(&w, "tool_calls");
		jw_arr(&w);
		for (i = 0; i < r->nparts; i++) {
			const struct ir_part *p = &r->parts[i];
			if (p->kind != IR_PART_TOOL_CALL)
				continue;
			jw_obj(&w);
			jw_kstr(&w, "id", p->call_id);
			if (p->custom) {
				jw_kstr(&w, "type", "custom");
				jw_key(&w, "custom");
				jw_obj(&w);
				jw_kstr(&w, "name", p->name);
				jw_key(&w, "input");
				jw_str(&w, p->text.p ? p->text.p : "", p->text.n);
			} else {
				jw_kstr(&w, "type", "function");
				jw_key(&w, "function");
				jw_obj(&w);
				jw_kstr(&w, "name", p->name);
				struct ir_str args = compact_json(c->a, p->args);
				jw_key(&w, "arguments");
				if (args.p)
					jw_str(&w, args.p, args.n);
				else
					jw_str(&w, "{}", 2);
			}
			jw_end(&w);
			jw_end(&w);
		}
		jw_end(&w);
	}
	if (nimages) {
		size_t k = 0;
		jw_key(&w, "images");
		jw_arr(&w);
		for (i = 0; i < r->nparts; i++) {
			const struct ir_part *p = &r->parts[i];
			const char *url;
			if (p->kind != IR_PART_IMAGE)
				continue;
			url = p->url ? p->url
				     : ir_data_url(c->a, p->mime ? p->mime : "image/png", p->data);
			if (!url)
				return oom(e);
			jw_obj(&w);
			jw_kstr(&w, "type", "image_url");
			jw_key(&w, "image_url");
			jw_obj(&w);
			jw_kstr(&w, "url", url);
			jw_end(&w);
			jw_kint(&w, "index", (int64_t)k++);
			jw_end(&w);
		}
		jw_end(&w);
	}
	jw_end(&w);
	jw_kstr(&w, "finish_reason", finish_of(r->stop, r->stop_raw, ncalls > 0));
	jw_end(&w);
	jw_end(&w);
	if (r->usage.has_input || r->usage.has_output) {
		jw_key(&w, "usage");
		enc_usage(&w, &r->usage);
	}
	jw_end(&w);
	if ((rc = jw_error(&w)))
		return up_err(e, rc, "answer too large");
	return 0;
}

/* ---- Stream decoding ---------------------------------------------------- */

struct oa_dec {
	bool started;  /* message_start emitted */
	bool ended;    /* message_stop or error emitted */
	bool finished; /* a finish_reason was seen */
	bool any_block, any_tool;
	const char *id, *model;
	int64_t created;
	int next;      /* next IR block index */
	int open;      /* open IR block, -1 none */
	enum ir_block_kind kind;
	long tool;     /* upstream index of the open (or pending) tool call, -1 */
	const char *tool_id;
	bool pending;  /* tool call seen without a name yet: args wait in pend */
	bool wrapped;  /* custom tool sent as a function: args wait in pend */
	struct buf pend;
	long *done;    /* upstream indices of tool calls already closed */
	size_t ndone, capdone;
	enum ir_stop stop;
	const char *stop_raw;
	struct ir_usage usage;
};

static int oa_dec_init(void *st, struct xlate_ctx *c)
{
	struct oa_dec *d = st;

	memset(d, 0, sizeof(*d));
	d->open = -1;
	d->tool = -1;
	buf_init(&d->pend, c->a, LIMIT_SSE_LINE);
	return 0;
}

struct emitter {
	ir_emit_fn fn;
	void *arg;
};

static int emit_error(struct oa_dec *d, struct emitter *em, int status, const char *type,
		      struct ir_str msg)
{
	struct ir_event ev = { .kind = IR_EV_ERROR };

	ev.status = status;
	ev.err_type = type ? type : apierr_type_for_status(status);
	ev.message = msg;
	d->ended = true;
	return em->fn(em->arg, &ev);
}

static int ensure_start(struct oa_dec *d, struct emitter *em)
{
	struct ir_event ev = { .kind = IR_EV_MESSAGE_START };

	if (d->started)
		return 0;
	d->started = true;
	ev.id = d->id;
	ev.model = d->model;
	ev.created = d->created;
	return em->fn(em->arg, &ev);
}

static int emit_delta(struct oa_dec *d, struct emitter *em, enum ir_delta_kind k,
		      struct ir_str text)
{
	struct ir_event ev = { .kind = IR_EV_DELTA };

	ev.index = d->open;
	ev.block = d->kind;
	ev.delta = k;
	ev.text = text;
	return em->fn(em->arg, &ev);
}

static int close_block(struct xlate_ctx *c, struct oa_dec *d, struct emitter *em)
{
	struct ir_event ev = { .kind = IR_EV_BLOCK_STOP };
	int rc;

	if (d->open < 0)
		return 0;
	if (d->wrapped) {
		struct ir_str in = unwrap_input(c->a, (struct ir_str){ d->pend.p, d->pend.len });
		if (in.n && (rc = emit_delta(d, em, IR_DELTA_TOOL_ARGS, in)))
			return rc;
		d->wrapped = false;
	}
	if (d->kind == IR_BLOCK_TOOL_CALL) {
		if (d->ndone == d->capdone) {
			size_t ncap = d->capdone ? d->capdone * 2 : 8;
			long *nd = arena_realloc(c->a, d->done, d->capdone * sizeof(long),
						 ncap * sizeof(long));
			if (!nd)
				return -ENOMEM;
			d->done = nd;
			d->capdone = ncap;
		}
		d->done[d->ndone++] = d->tool;
		d->tool = -1;
	}
	ev.index = d->open;
	ev.block = d->kind;
	d->open = -1;
	return em->fn(em->arg, &ev);
}

static int open_block(struct xlate_ctx *c, struct oa_dec *d, struct emitter *em,
		      struct ir_event *ev)
{
	int rc;

	if ((rc = ensure_start(d, em)) || (rc = close_block(c, d, em)))
		return rc;
	ev->kind = IR_EV_BLOCK_START;
	ev->index = d->next++;
	d->open = ev->index;
	d->kind = ev->block;
	d->any_block = true;
	return em->fn(em->arg, ev);
}

static struct ir_str nameless(void) { return IR_STR_LIT("upstream tool call without a name"); }

/* Reasoning or text: continue the open block of that kind or start one. */
static int dec_text(struct xlate_ctx *c, struct oa_dec *d, struct emitter *em,
		    enum ir_block_kind bk, struct ir_str text)
{
	int rc;

	if (!text.n)
		return 0;
	if (d->pending)
		return emit_error(d, em, 502, "api_error", nameless());
	if (d->open < 0 || d->kind != bk) {
		struct ir_event ev = { .block = bk };
		if ((rc = open_block(c, d, em, &ev)))
			return rc;
	}
	return emit_delta(d, em, bk == IR_BLOCK_TEXT ? IR_DELTA_TEXT : IR_DELTA_THINKING, text);
}

static int tool_args(struct oa_dec *d, struct emitter *em, struct ir_str frag)
{
	if (!frag.n)
		return 0;
	if (d->wrapped || d->pending)
		return buf_add(&d->pend, frag.p, frag.n);
	return emit_delta(d, em, IR_DELTA_TOOL_ARGS, frag);
}

static int start_tool(struct xlate_ctx *c, struct oa_dec *d, struct emitter *em, long index,
		      const char *id, const char *name, bool custom)
{
	struct ir_event ev = { .block = IR_BLOCK_TOOL_CALL };
	struct ir_str held = { d->pend.p, d->pend.len };
	bool had_pending = d->pending;
	int rc;

	if (!id || !*id)
		id = xlate_id(c, "call_", ID_LEN);
	if (!id)
		return -ENOMEM;
	ev.call_id = id;
	ev.name = name;
	ev.custom = custom || is_custom_tool(c->req, name);
	d->pending = false;
	if ((rc = open_block(c, d, em, &ev)))
		return rc;
	d->tool = index;
	d->tool_id = id;
	d->any_tool = true;
	d->wrapped = ev.custom && !custom;
	if (had_pending) {
		if (d->wrapped)
			return 0; /* already in pend */
		/* Emit before the reset: buf_reset writes a NUL at p[0]. */
		rc = held.n ? emit_delta(d, em, IR_DELTA_TOOL_ARGS, held) : 0;
		buf_reset(&d->pend);
		return rc;
	}
	buf_reset(&d->pend);
	return 0;
}

static bool tool_done(const struct oa_dec *d, long index)
{
	size_t i;

	for (i = 0; i < d->ndone; i++)
		if (d->done[i] == index)
			return true;
	return false;
}

static int dec_tool_frag(struct xlate_ctx *c, struct oa_dec *d, struct emitter *em,
			 const struct json *j, int tc, long pos)
{
	const char *id = get_cstr(c->a, j, tc, "id");
	bool custom = json_streq(j, json_get(j, tc, "type"), "custom");
	int fn = json_get(j, tc, custom ? "custom" : "function");
	const char *name = get_cstr(c->a, j, fn, "name");
	struct ir_str frag = IR_STR_NONE;
	int64_t v;
	long index;
	bool cur = d->pending || (d->open >= 0 && d->kind == IR_BLOCK_TOOL_CALL);
	int rc;

	if (name && !*name)
		name = NULL;
	if (id && !*id)
		id = NULL;
	if (get_str(c->a, j, opt(j, fn, custom ? "input" : "arguments"), &frag) == -ENOMEM)
		return -ENOMEM;
	if (json_int(j, json_get(j, tc, "index"), &v) == 0 && v >= 0 && v < (1L << 30))
		index = (long)v;
	else if (id && cur && !streq(id, d->tool_id))
		index = d->tool + 1 + pos; /* no index: a new id is a new call */
	else if (cur)
		index = d->tool;
	else
		index = (long)d->ndone + pos;

	if (cur && index == d->tool) {
		if (d->pending && name) {
			if ((rc = start_tool(c, d, em, index, d->tool_id ? d->tool_id : id, name,
					     custom)))
				return rc;
		}
		return tool_args(d, em, frag);
	}
	if (tool_done(d, index))
		return 0; /* a late fragment of a closed call: nowhere to put it */
	if (d->pending)
		return emit_error(d, em, 502, "api_error", nameless());
	if (!name) {
		/* Wait for the name; keep what comes meanwhile. */
		if ((rc = close_block(c, d, em)))
			return rc;
		d->pending = true;
		d->tool = index;
		d->tool_id = id;
		buf_reset(&d->pend);
		return tool_args(d, em, frag);
	}
	if ((rc = start_tool(c, d, em, index, id, name, custom)))
		return rc;
	return tool_args(d, em, frag);
}

static int dec_image_frag(struct xlate_ctx *c, struct oa_dec *d, struct emitter *em,
			  const struct json *j, int im)
{
	struct ir_event ev = { .block = IR_BLOCK_IMAGE };
	struct ir_str url;
	int rc;

	if (d->pending)
		return emit_error(d, em, 502, "api_error", nameless());
	if (get_str(c->a, j, json_path(j, im, "image_url", "url", NULL), &url) != 0 ||
	    ir_data_url_parse(c->a, url.p, url.n, &ev.mime, &ev.data) != 0)
		return 0; /* only inline images can travel as IR blocks */
	if (!ev.mime)
		ev.mime = "image/png";
	if ((rc = open_block(c, d, em, &ev)))
		return rc;
	return close_block(c, d, em);
}

static int finish(struct xlate_ctx *c, struct oa_dec *d, struct emitter *em)
{
	struct ir_event ev = { .kind = IR_EV_MESSAGE_STOP };
	int rc;

	if (d->pending)
		return emit_error(d, em, 502, "api_error", nameless());
	if ((rc = close_block(c, d, em)))
		return rc;
	if (!d->any_block && !(d->finished && d->stop == IR_STOP_MAX_TOKENS))
		return emit_error(d, em, 502, "api_error",
				  IR_STR_LIT("empty response from upstream"));
	if ((rc = ensure_start(d, em)))
		return rc;
	ev.stop = d->finished ? d->stop : IR_STOP_END_TURN;
	ev.stop_raw = d->stop_raw;
	if (d->any_tool && (ev.stop == IR_STOP_END_TURN || ev.stop == IR_STOP_UNSET))
		ev.stop = IR_STOP_TOOL_USE;
	ev.usage = d->usage;
	d->ended = true;
	return em->fn(em->arg, &ev);
}

static int dec_chunk(struct xlate_ctx *c, struct oa_dec *d, struct emitter *em,
		     const struct json *j)
{
	struct ir_str txt;
	const char *fr;
	int err = json_get(j, 0, "error"), ch, delta, t, k, rc;
	long pos = 0;
	int64_t v;

	if (json_kind(j, err) == JSON_OBJECT || json_kind(j, err) == JSON_STRING) {
		int status = 500;
		const char *type = NULL;
		if (json_kind(j, err) == JSON_OBJECT)
			read_error(c->a, j, err, &status, &type, &txt);
		else if (get_str(c->a, j, err, &txt) != 0)
			return -ENOMEM;
		if (!txt.n)
			txt = IR_STR_LIT("upstream error");
		return emit_error(d, em, status, type, txt);
	}
	if (!d->id)
		d->id = get_cstr(c->a, j, 0, "id");
	if (!d->model)
		d->model = get_cstr(c->a, j, 0, "model");
	if (!d->created && json_int(j, json_get(j, 0, "created"), &v) == 0)
		d->created = v;

	ch = json_at(j, json_get(j, 0, "choices"), 0);
	delta = json_get(j, ch, "delta");
	t = opt(j, delta, "reasoning_content");
	if (t < 0)
		t = opt(j, delta, "reasoning");
	if (get_str(c->a, j, t, &txt) == 0 && (rc = dec_text(c, d, em, IR_BLOCK_THINKING, txt)))
		return rc;
	if (d->ended)
		return 0;
	if (get_str(c->a, j, opt(j, delta, "content"), &txt) == 0 &&
	    (rc = dec_text(c, d, em, IR_BLOCK_TEXT, txt)))
		return rc;
	if (get_str(c->a, j, opt(j, delta, "refusal"), &txt) == 0 &&
	    (rc = dec_text(c, d, em, IR_BLOCK_TEXT, txt)))
		return rc;
	t = opt(j, delta, "tool_calls");
	for (k = json_first(j, t); k >= 0 && !d->ended; k = json_after(j, k), pos++)
		if (json_kind(j, k) == JSON_OBJECT && (rc = dec_tool_frag(c, d, em, j, k, pos)))
			return rc;
	t = opt(j, delta, "images");
	for (k = json_first(j, t); k >= 0 && !d->ended; k = json_after(j, k))
		if ((rc = dec_image_frag(c, d, em, j, k)))
			return rc;
	if (d->ended)
		return 0;
	fr = get_cstr(c->a, j, ch, "finish_reason");
	if (fr) {
		d->finished = true;
		d->stop = stop_from(fr);
		d->stop_raw = fr;
		if (d->pending)
			return emit_error(d, em, 502, "api_error", nameless());
	}
	if (json_kind(j, json_get(j, 0, "usage")) == JSON_OBJECT)
		dec_usage(j, json_get(j, 0, "usage"), &d->usage);
	return 0;
}

static int oa_decode_event(void *st, struct xlate_ctx *c, const struct sse_event *ev,
			   ir_emit_fn emit, void *arg)
{
	struct oa_dec *d = st;
	struct emitter em = { emit, arg };
	struct json j;
	const char *p = ev->data;
	size_t n = ev->data_len;
	int rc;

	if (d->ended)
		return 0;
	while (n && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n'))
		n--;
	if (!n)
		return 0;
	if (n == 6 && memcmp(p, "[DONE]", 6) == 0)
		return finish(c, d, &em);
	rc = json_parse(&j, c->a, p, n);
	if (rc == -ENOMEM)
		return rc;
	if (rc || json_kind(&j, 0) != JSON_OBJECT)
		return emit_error(d, &em, 502, "api_error",
				  IR_STR_LIT("invalid JSON in upstream stream"));
	return dec_chunk(c, d, &em, &j);
}

static int oa_decode_end(void *st, struct xlate_ctx *c, ir_emit_fn emit, void *arg)
{
	struct oa_dec *d = st;
	struct emitter em = { emit, arg };

	if (d->ended)
		return 0;
	if (d->finished) /* [DONE] missing: tolerated once the choice finished */
		return finish(c, d, &em);
	return emit_error(d, &em, 502, "api_error", IR_STR_LIT("upstream stream ended early"));
}

/* ---- Stream encoding ---------------------------------------------------- */

struct oa_enc {
	bool started, ended, include_usage, any_tool;
	const char *id, *model;
	int64_t created;
	int ntools;  /* tool calls so far: the next one's index */
	int tool;    /* index of the open tool call */
	bool custom; /* ... which is a custom tool call */
	int nimages;
	struct ir_usage usage;
};

static int oa_enc_init(void *st, struct xlate_ctx *c)
{
	struct oa_enc *s = st;

	memset(s, 0, sizeof(*s));
	/* The usage chunk goes to clients that asked for it, and when we do
	   not know what the client asked (it is a valid chunk either way). */
	s->include_usage = !c->req || c->req->include_usage;
	s->tool = -1;
	return 0;
}

/* data: {"id",...,"choices":[{"index":0,"delta":{  -- the caller writes
   the delta's members, then chunk_end. */
static void chunk_begin(struct jsonw *w, struct buf *out, const struct oa_enc *s)
{
	buf_adds(out, "data: ");
	jw_init(w, out);
	jw_obj(w);
	jw_kstr(w, "id", s->id);
	jw_kstr(w, "object", "chat.completion.chunk");
	jw_kint(w, "created", s->created);
	jw_kstr(w, "model", s->model);
}

static void choice_begin(struct jsonw *w)
{
	jw_key(w, "choices");
	jw_arr(w);
	jw_obj(w);
	jw_kint(w, "index", 0);
	jw_key(w, "delta");
	jw_obj(w);
}

static int chunk_end(struct jsonw *w, struct buf *out, const char *finish)
{
	jw_end(w); /* delta */
	jw_kstr(w, "finish_reason", finish);
	jw_end(w); /* choice */
	jw_end(w); /* choices */
	jw_end(w); /* chunk */
	buf_adds(out, "\n\n");
	return jw_error(w) ? jw_error(w) : out->err;
}

static int enc_start(struct xlate_ctx *c, struct oa_enc *s, const struct ir_event *ev,
		     struct buf *out)
{
	struct jsonw w;

	s->started = true;
	s->id = ev->id ? ev->id : xlate_id(c, "chatcmpl-", ID_LEN);
	if (!s->id)
		return -ENOMEM;
	s->model = c->client_model ? c->client_model : ev->model ? ev->model : "";
	s->created = ev->created ? ev->created : c->created;
	merge_usage(&s->usage, &ev->usage);
	chunk_begin(&w, out, s);
	choice_begin(&w);
	jw_kstr(&w, "role", "assistant");
	jw_kstr(&w, "content", "");
	return chunk_end(&w, out, NULL);
}

static int enc_tool_start(struct xlate_ctx *c, struct oa_enc *s, const struct ir_event *ev,
			  struct buf *out)
{
	struct jsonw w;

	s->tool = s->ntools++;
	s->custom = ev->custom;
	s->any_tool = true;
	chunk_begin(&w, out, s);
	choice_begin(&w);
	jw_key(&w, "tool_calls");
	jw_arr(&w);
	jw_obj(&w);
	jw_kint(&w, "index", s->tool);
	jw_kstr(&w, "id", ev->call_id);
	jw_kstr(&w, "type", ev->custom ? "custom" : "function");
	jw_key(&w, ev->custom ? "custom" : "function");
	jw_obj(&w);
	jw_kstr(&w, "name", ev->name);
	jw_kstr(&w, ev->custom ? "input" : "arguments", "");
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	return chunk_end(&w, out, NULL);
}

static int enc_image(struct xlate_ctx *c, struct oa_enc *s, const struct ir_event *ev,
		     struct buf *out)
{
	struct jsonw w;
	const char *url = ir_data_url(c->a, ev->mime ? ev->mime : "image/png", ev->data);

	if (!url)
		return -ENOMEM;
	chunk_begin(&w, out, s);
	choice_begin(&w);
	jw_key(&w, "images");
	jw_arr(&w);
	jw_obj(&w);
	jw_kstr(&w, "type", "image_url");
	jw_key(&w, "image_url");
	jw_obj(&w);
	jw_kstr(&w, "url", url);
	jw_end(&w);
	jw_kint(&w, "index", s->nimages++);
	jw_end(&w);
	jw_end(&w);
	return chunk_end(&w, out, NULL);
}

static int enc_delta(struct oa_enc *s, const struct ir_event *ev, struct buf *out)
{
	struct jsonw w;

	if (!ev->text.n || ev->delta == IR_DELTA_SIGNATURE)
		return 0;
	chunk_begin(&w, out, s);
	choice_begin(&w);
	switch (ev->delta) {
	case IR_DELTA_TEXT:
		jw_key(&w, "content");
		jw_str(&w, ev->text.p, ev->text.n);
		break;
	case IR_DELTA_THINKING:
		jw_key(&w, "reasoning_content");
		jw_str(&w, ev->text.p, ev->text.n);
		break;
	default:
		jw_key(&w, "tool_calls");
		jw_arr(&w);
		jw_obj(&w);
		jw_kint(&w, "index", s->tool < 0 ? 0 : s->tool);
		jw_key(&w, s->custom ? "custom" : "function");
		jw_obj(&w);
		jw_key(&w, s->custom ? "input" : "arguments");
		jw_str(&w, ev->text.p, ev->text.n);
		jw_end(&w);
		jw_end(&w);
		jw_end(&w);
		break;
	}
	return chunk_end(&w, out, NULL);
}

static int enc_stop(struct oa_enc *s, const struct ir_event *ev, struct buf *out)
{
	struct jsonw w;
	int rc;

	merge_usage(&s->usage, &ev->usage);
	chunk_begin(&w, out, s);
	choice_begin(&w);
	if ((rc = chunk_end(&w, out, finish_of(ev->stop, ev->stop_raw, s->any_tool))))
		return rc;
	if (s->include_usage) {
		chunk_begin(&w, out, s);
		jw_key(&w, "choices");
		jw_arr(&w);
		jw_end(&w);
		jw_key(&w, "usage");
		enc_usage(&w, &s->usage);
		jw_end(&w);
		buf_adds(out, "\n\n");
		if ((rc = jw_error(&w)))
			return rc;
	}
	buf_adds(out, "data: [DONE]\n\n");
	s->ended = true;
	return out->err;
}

static int oa_encode_error(struct xlate_ctx *c, const struct apierr *err, bool in_stream,
			   struct buf *out);

static int oa_encode_event(void *st, struct xlate_ctx *c, const struct ir_event *ev,
			   struct buf *out)
{
	struct oa_enc *s = st;
	struct ir_event start = { .kind = IR_EV_MESSAGE_START };
	int rc;

	if (s->ended)
		return 0;
	if (ev->kind == IR_EV_ERROR) {
		struct apierr err;
		s->ended = true;
		err.status = ev->status ? ev->status : 500;
		err.type = ev->err_type;
		err.message = ev->message.p ? ir_str_dup(c->a, ev->message) : NULL;
		if (ev->message.p && !err.message)
			return -ENOMEM;
		return oa_encode_error(c, &err, true, out);
	}
	if (ev->kind == IR_EV_PING)
		return 0;
	if (ev->kind == IR_EV_MESSAGE_START)
		return s->started ? 0 : enc_start(c, s, ev, out);
	if (!s->started && (rc = enc_start(c, s, &start, out)))
		return rc;
	switch (ev->kind) {
	case IR_EV_BLOCK_START:
		if (ev->block == IR_BLOCK_TOOL_CALL)
			return enc_tool_start(c, s, ev, out);
		if (ev->block == IR_BLOCK_IMAGE)
			return enc_image(c, s, ev, out);
		return 0;
	case IR_EV_DELTA:
		return enc_delta(s, ev, out);
	case IR_EV_BLOCK_STOP:
		s->tool = -1;
		s->custom = false;
		return 0;
	case IR_EV_USAGE:
		merge_usage(&s->usage, &ev->usage);
		return 0;
	case IR_EV_MESSAGE_STOP:
		return enc_stop(s, ev, out);
	default:
		return 0;
	}
}

/* ---- Errors ------------------------------------------------------------- */

static int oa_decode_error(struct xlate_ctx *c, int status, const char *body, size_t n,
			   struct apierr *ret)
{
	struct json j;
	struct ir_str msg = IR_STR_NONE;
	const char *type = NULL;
	int root = 0, err;

	if (status < 100 || status > 599)
		status = 502;
	if (n && json_parse(&j, c->a, body, n) == 0) {
		if (json_kind(&j, 0) == JSON_ARRAY)
			root = json_at(&j, 0, 0);
		err = json_get(&j, root, "error");
		if (json_kind(&j, err) == JSON_OBJECT) {
			get_str(c->a, &j, json_get(&j, err, "message"), &msg);
			type = get_cstr(c->a, &j, err, "type");
		} else if (json_kind(&j, err) == JSON_STRING) {
			get_str(c->a, &j, err, &msg);
		}
		if (!msg.p)
			get_str(c->a, &j, json_get(&j, root, "message"), &msg);
		if (!msg.p)
			get_str(c->a, &j, json_get(&j, root, "detail"), &msg);
	}
	if (!msg.p && n) {
		while (n && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' '))
			n--;
		msg.p = body;
		msg.n = n > MAX_ERR_TEXT ? MAX_ERR_TEXT : n;
	}
	ret->status = status;
	ret->type = type ? type : apierr_type_for_status(status);
	ret->message = msg.p && msg.n ? ir_str_dup(c->a, msg) : http_reason(status);
	if (!ret->message)
		return -ENOMEM;
	return 0;
}

static int oa_encode_error(struct xlate_ctx *c, const struct apierr *err, bool in_stream,
			   struct buf *out)
{
	struct jsonw w;
	const char *type = err->type, *code = NULL;
	int st = err->status;

	switch (st) {
	case 401:
		code = "invalid_api_key";
		break;
	case 403:
		code = "insufficient_quota";
		break;
	case 404:
		code = "model_not_found";
		break;
	case 429:
		code = "rate_limit_exceeded";
		break;
	default:
		if (st >= 500)
			code = "internal_server_error";
		break;
	}
	/* OpenAI's words for the generic types of the other families. */
	if (type && strcmp(type, "api_error") == 0)
		type = "server_error";
	else if (type && strcmp(type, "not_found_error") == 0)
		type = "invalid_request_error";
	if (!type) {
		if (st == 401)
			type = "authentication_error";
		else if (st == 403)
			type = "permission_error";
		else if (st == 429)
			type = "rate_limit_error";
		else if (st >= 500)
			type = "server_error";
		else
			type = "invalid_request_error";
	}
	if (in_stream)
		buf_adds(out, "data: ");
	jw_init(&w, out);
	jw_obj(&w);
	jw_key(&w, "error");
	jw_obj(&w);
	jw_kstr(&w, "message", err->message ? err->message : http_reason(st));
	jw_kstr(&w, "type", type);
	if (code)
		jw_kstr(&w, "code", code);
	jw_end(&w);
	jw_end(&w);
	if (in_stream)
		buf_adds(out, "\n\n");
	return jw_error(&w) ? jw_error(&w) : out->err;
}

const struct family family_openai = {
	.name = "openai",
	.id = IR_FAM_OPENAI,
	.decode_request = oa_decode_request,
	.encode_request = oa_encode_request,
	.passthrough_request = oa_passthrough,
	.decode_response = oa_decode_response,
	.encode_response = oa_encode_response,
	.dec_size = sizeof(struct oa_dec),
	.dec_init = oa_dec_init,
	.decode_event = oa_decode_event,
	.decode_end = oa_decode_end,
	.enc_size = sizeof(struct oa_enc),
	.enc_init = oa_enc_init,
	.encode_event = oa_encode_event,
	.decode_error = oa_decode_error,
	.encode_error = oa_encode_error,
};
