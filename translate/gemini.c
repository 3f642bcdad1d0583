/*
 * gemini.c - Gemini generateContent requests -> IR, and the family table
 * (encoding requests: gemini_req.c; responses, streams, errors:
 * gemini_resp.c).  Reads both the REST camelCase and the proto snake_case
 * spellings; generates call ids where Gemini has none and matches results
 * by id, else by name and order; schemas become plain JSON Schema.
 * Refuses bodies that are not objects and malformed parts (400).
 */
#include "translate/gemini.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/parse.h"
#include "translate/schema.h"

/* ---- small helpers ------------------------------------------------------ */

/* The member named camel or snake. */
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

static struct ir_str jraw(const struct json *j, int tok)
{
	struct ir_str s = IR_STR_NONE;
	if (tok >= 0)
		s.p = json_text(j, tok, &s.n);
	return s;
}

static int nomem(struct apierr *e)
{
	return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
}

static int bad(struct xlate_ctx *c, struct apierr *e, const char *msg)
{
	return apierr_set(e, -EINVAL, 400, "invalid_request_error", msg);
}

static bool is_sentinel(struct ir_str s)
{
	return ir_str_eq(s, GEMINI_SKIP_SIGNATURE);
}

/* A part's thoughtSignature, unless absent or the sentinel. */
static struct ir_str part_sig(struct xlate_ctx *c, const struct json *j, int part)
{
	struct ir_str s = jstr(c, j, get2(j, part, "thoughtSignature", "thought_signature"));
	if (is_sentinel(s) || (s.p && !s.n))
		return IR_STR_NONE;
	return s;
}

/* ---- request decoding --------------------------------------------------- */

struct callrec {
	const char *id, *name;
	bool matched;
};

struct reqdec {
	struct xlate_ctx *c;
	const struct json *j;
	enum ir_family fam;
	struct ir_request *r;
	struct apierr *e;
	struct callrec *calls;
	size_t ncalls, capcalls;
};

static int add_call(struct reqdec *d, const char *id, const char *name)
{
	if (d->ncalls == d->capcalls) {
		size_t ncap = d->capcalls ? d->capcalls * 2 : 8;
		struct callrec *n = arena_realloc(d->c->a, d->calls, d->capcalls * sizeof(*n),
						  ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		d->calls = n;
		d->capcalls = ncap;
	}
	d->calls[d->ncalls].id = id;
	d->calls[d->ncalls].name = name;
	d->calls[d->ncalls].matched = false;
	d->ncalls++;
	return 0;
}

/* The call a functionResponse answers: by id, else the first unanswered
   call of that name, else (no name) the first unanswered call. */
static struct callrec *match_call(struct reqdec *d, const char *id, const char *name)
{
	size_t i;

	if (id && *id)
		for (i = 0; i < d->ncalls; i++)
			if (strcmp(d->calls[i].id, id) == 0)
				return &d->calls[i];
	for (i = 0; i < d->ncalls; i++)
		if (!d->calls[i].matched && name && *name && strcmp(d->calls[i].name, name) == 0)
			return &d->calls[i];
	if (!name || !*name)
		for (i = 0; i < d->ncalls; i++)
			if (!d->calls[i].matched)
				return &d->calls[i];
	return NULL;
}

static enum ir_part_kind media_kind(const char *mime)
{
	return mime && strncmp(mime, "image/", 6) == 0 ? IR_PART_IMAGE : IR_PART_FILE;
}

/* Text of a functionResponse.response that is just {"output": "..."}. */
static int result_text(struct reqdec *d, int resp, struct ir_part *p)
{
	const struct json *j = d->j;
	int k = json_first(j, resp);
	struct ir_part *t;

	if (json_kind(j, resp) != JSON_OBJECT || json_size(j, resp) != 1 ||
	    json_kind(j, k + 1) != JSON_STRING)
		return 0;
	if (!json_streq(j, k, "output") && !json_streq(j, k, "result") &&
	    !json_streq(j, k, "error"))
		return 0;
	t = ir_add_result_part(d->c->a, p, IR_PART_TEXT);
	if (!t)
		return -ENOMEM;
	t->text = jstr(d->c, j, k + 1);
	if (!t->text.p)
		return -ENOMEM;
	p->is_error = json_streq(j, k, "error");
	return 0;
}

static int decode_media(struct reqdec *d, int obj, bool file, struct ir_message *m,
			struct ir_part *into_result)
{
	const struct json *j = d->j;
	const char *mime = jcstr(d->c, j, get2(j, obj, "mimeType", "mime_type"));
	struct ir_part *p;

	if (file) {
		const char *uri = jcstr(d->c, j, get2(j, obj, "fileUri", "file_uri"));
		if (!uri || !*uri)
			return bad(d->c, d->e, "fileData.fileUri missing");
		p = into_result ? ir_add_result_part(d->c->a, into_result, media_kind(mime))
				: ir_add_part(d->c->a, m, media_kind(mime));
		if (!p)
			return nomem(d->e);
		p->mime = mime;
		p->url = uri;
		return 0;
	}
	p = into_result ? ir_add_result_part(d->c->a, into_result, media_kind(mime))
			: ir_add_part(d->c->a, m, media_kind(mime));
	if (!p)
		return nomem(d->e);
	p->mime = mime ? mime : "application/octet-stream";
	p->data = jstr(d->c, j, json_get(j, obj, "data"));
	if (!p->data.p)
		return bad(d->c, d->e, "inlineData.data missing");
	return 0;
}

static int decode_response_part(struct reqdec *d, int fr, struct ir_message *m)
{
	const struct json *j = d->j;
	const char *name = jcstr(d->c, j, json_get(j, fr, "name"));
	const char *id = jcstr(d->c, j, json_get(j, fr, "id"));
	int resp = json_get(j, fr, "response"), sub, r;
	struct callrec *call = match_call(d, id, name);
	struct ir_part *p;

	if (!call) {
		/* A result for a call this request never made: keep it as text. */
		struct buf b;
		struct ir_str raw = gemini_compact(d->c->a, j, fr);
		if (!raw.p)
			return nomem(d->e);
		buf_init(&b, d->c->a, LIMIT_BODY_BYTES);
		buf_adds(&b, "functionResponse: ");
		buf_add(&b, raw.p, raw.n);
		if (b.err)
			return nomem(d->e);
		p = ir_add_part(d->c->a, m, IR_PART_TEXT);
		if (!p)
			return nomem(d->e);
		p->text.p = b.p;
		p->text.n = b.len;
		return 0;
	}
	call->matched = true;
	p = ir_add_part(d->c->a, m, IR_PART_TOOL_RESULT);
	if (!p)
		return nomem(d->e);
	p->call_id = call->id;
	p->name = name && *name ? name : call->name;
	if (resp >= 0) {
		p->result_json = gemini_compact(d->c->a, j, resp);
		if (!p->result_json.p)
			return nomem(d->e);
		if (result_text(d, resp, p) < 0)
			return nomem(d->e);
	}
	/* Gemini 3 multimodal function responses: parts of inline data. */
	sub = json_get(j, fr, "parts");
	for (sub = json_first(j, sub); sub >= 0; sub = json_after(j, sub)) {
		int media = get2(j, sub, "inlineData", "inline_data");
		int fd = get2(j, sub, "fileData", "file_data");
		if (media >= 0 && (r = decode_media(d, media, false, m, p)) < 0)
			return r;
		if (fd >= 0 && (r = decode_media(d, fd, true, m, p)) < 0)
			return r;
	}
	return 0;
}

static int decode_call_part(struct reqdec *d, int fc, int part, struct ir_message *m)
{
	const struct json *j = d->j;
	const char *name = jcstr(d->c, j, json_get(j, fc, "name"));
	const char *id = jcstr(d->c, j, json_get(j, fc, "id"));
	int args = json_get(j, fc, "args");
	struct ir_part *p;

	if (!name || !*name)
		return bad(d->c, d->e, "functionCall.name missing");
	if (!id || !*id)
		id = xlate_id(d->c, "call_", 24);
	if (!id)
		return nomem(d->e);
	p = ir_add_part(d->c->a, m, IR_PART_TOOL_CALL);
	if (!p || add_call(d, id, name) < 0)
		return nomem(d->e);
	p->call_id = id;
	p->name = name;
	if (args >= 0 && json_kind(j, args) != JSON_NULL) {
		p->args = gemini_compact(d->c->a, j, args);
		if (!p->args.p)
			return nomem(d->e);
	}
	p->signature = part_sig(d->c, j, part);
	if (p->signature.p)
		p->sig_family = d->fam;
	return 0;
}

/* Executable code and its result (code execution tool) become text. */
static int decode_code_part(struct reqdec *d, int code, int result, struct ir_message *m)
{
	const struct json *j = d->j;
	struct ir_part *p = ir_add_part(d->c->a, m, IR_PART_TEXT);
	struct buf b;

	if (!p)
		return nomem(d->e);
	buf_init(&b, d->c->a, LIMIT_BODY_BYTES);
	if (code >= 0) {
		struct ir_str lang = jstr(d->c, j, json_get(j, code, "language"));
		struct ir_str src = jstr(d->c, j, json_get(j, code, "code"));
		buf_adds(&b, "```");
		if (lang.p && !strn_caseeq(lang.p, lang.n, "language_unspecified"))
			buf_add(&b, lang.p, lang.n);
		buf_adds(&b, "\n");
		if (src.p)
			buf_add(&b, src.p, src.n);
		buf_adds(&b, "\n```");
	} else {
		struct ir_str out = jstr(d->c, j, json_get(j, result, "output"));
		if (out.p)
			buf_add(&b, out.p, out.n);
	}
	if (b.err)
		return nomem(d->e);
	p->text.p = b.p;
	p->text.n = b.len;
	return 0;
}

/* The message for a part of role `want` within one content: the current one
   if it has that role, else a new one (a content mixing calls and results
   is split). */
static struct ir_message *msg_for(struct reqdec *d, struct ir_message **cur, enum ir_role want)
{
	if (*cur && (*cur)->role == want)
		return *cur;
	*cur = ir_add_message(d->c->a, d->r, want);
	return *cur;
}

static int decode_content(struct reqdec *d, int content)
{
	const struct json *j = d->j;
	int role_tok = json_get(j, content, "role"), parts, part, r;
	enum ir_role role = IR_ROLE_USER;
	struct ir_message *m = NULL;

	if (json_kind(j, content) != JSON_OBJECT)
		return bad(d->c, d->e, "contents[] entries must be objects");
	if (json_streq(j, role_tok, "model") || json_streq(j, role_tok, "assistant"))
		role = IR_ROLE_ASSISTANT;
	parts = json_get(j, content, "parts");
	if (parts >= 0 && json_kind(j, parts) != JSON_ARRAY)
		return bad(d->c, d->e, "contents[].parts must be an array");
	for (part = json_first(j, parts); part >= 0; part = json_after(j, part)) {
		int text = json_get(j, part, "text");
		int fc = get2(j, part, "functionCall", "function_call");
		int fr = get2(j, part, "functionResponse", "function_response");
		int media = get2(j, part, "inlineData", "inline_data");
		int fd = get2(j, part, "fileData", "file_data");
		int code = get2(j, part, "executableCode", "executable_code");
		int cres = get2(j, part, "codeExecutionResult", "code_execution_result");
		struct ir_part *p;

		if (json_kind(j, part) != JSON_OBJECT)
			return bad(d->c, d->e, "contents[].parts[] entries must be objects");
		if (fc >= 0) {
			if (!msg_for(d, &m, IR_ROLE_ASSISTANT))
				return nomem(d->e);
			if ((r = decode_call_part(d, fc, part, m)) < 0)
				return r;
		} else if (fr >= 0) {
			if (!msg_for(d, &m, IR_ROLE_USER))
				return nomem(d->e);
			if ((r = decode_response_part(d, fr, m)) < 0)
				return r;
		} else if (text >= 0) {
			bool thought = json_truthy(j, json_get(j, part, "thought")) &&
				       role == IR_ROLE_ASSISTANT;
			struct ir_str sig = part_sig(d->c, j, part);

			if (json_kind(j, text) != JSON_STRING)
				return bad(d->c, d->e, "parts[].text must be a string");
			if (!msg_for(d, &m, role))
				return nomem(d->e);
			p = ir_add_part(d->c->a, m, thought ? IR_PART_THINKING : IR_PART_TEXT);
			if (!p)
				return nomem(d->e);
			p->text = jstr(d->c, j, text);
			if (!p->text.p)
				return nomem(d->e);
			if (sig.p && role == IR_ROLE_ASSISTANT) {
				p->signature = sig;
				p->sig_family = d->fam;
			}
		} else if (media >= 0 || fd >= 0) {
			if (!msg_for(d, &m, role))
				return nomem(d->e);
			if ((r = decode_media(d, media >= 0 ? media : fd, media < 0, m, NULL)) < 0)
				return r;
			if (role == IR_ROLE_ASSISTANT) {
				p = &m->parts[m->nparts - 1];
				p->signature = part_sig(d->c, j, part);
				if (p->signature.p)
					p->sig_family = d->fam;
			}
		} else if (code >= 0 || cres >= 0) {
			if (!msg_for(d, &m, role))
				return nomem(d->e);
			if ((r = decode_code_part(d, code, cres, m)) < 0)
				return r;
		}
		/* anything else (videoMetadata alone, unknown part kinds) is skipped */
	}
	return 0;
}

static struct ir_str member_object(struct xlate_ctx *c, const struct json *j, int k,
				   const char *key);

static int decode_decl(struct reqdec *d, int decl)
{
	const struct json *j = d->j;
	struct ir_tool *t;
	int params = json_get(j, decl, "parametersJsonSchema");
	const char *sch;
	size_t n;

	if (params < 0)
		params = json_get(j, decl, "parameters_json_schema");
	if (params < 0)
		params = json_get(j, decl, "parameters");
	t = ir_add_tool(d->c->a, d->r, IR_TOOL_FUNCTION);
	if (!t)
		return nomem(d->e);
	t->name = jcstr(d->c, j, json_get(j, decl, "name"));
	if (!t->name || !*t->name)
		return bad(d->c, d->e, "functionDeclarations[].name missing");
	t->description = jstr(d->c, j, json_get(j, decl, "description"));
	if (params >= 0 && json_kind(j, params) == JSON_OBJECT) {
		struct ir_str raw = jraw(j, params);
		int r = schema_rewrite(d->c->a, raw.p, raw.n, SCHEMA_STANDARD, 0, &sch, &n);
		if (r < 0)
			return r == -ENOMEM ? nomem(d->e) : bad(d->c, d->e, "bad parameters schema");
		t->parameters.p = sch;
		t->parameters.n = n;
	}
	t->raw = jraw(j, decl);
	t->raw_family = d->fam;
	return 0;
}

static int decode_tools(struct reqdec *d, int tools)
{
	const struct json *j = d->j;
	int tool, k, r;

	if (tools < 0)
		return 0;
	if (json_kind(j, tools) != JSON_ARRAY)
		return bad(d->c, d->e, "tools must be an array");
	for (tool = json_first(j, tools); tool >= 0; tool = json_after(j, tool)) {
		if (json_kind(j, tool) != JSON_OBJECT)
			return bad(d->c, d->e, "tools[] entries must be objects");
		for (k = json_first(j, tool); k >= 0; k = json_after(j, k)) {
			struct ir_tool *t;

			if (json_streq(j, k, "functionDeclarations") ||
			    json_streq(j, k, "function_declarations")) {
				int decl;
				if (json_kind(j, k + 1) != JSON_ARRAY)
					return bad(d->c, d->e, "functionDeclarations must be an array");
				for (decl = json_first(j, k + 1); decl >= 0; decl = json_after(j, decl))
					if ((r = decode_decl(d, decl)) < 0)
						return r;
				continue;
			}
			/* A built-in tool (googleSearch, codeExecution, urlContext, ...). */
			t = ir_add_tool(d->c->a, d->r, IR_TOOL_BUILTIN);
			if (!t)
				return nomem(d->e);
			t->type = json_str(j, k, d->c->a, NULL);
			t->raw = member_object(d->c, j, k, NULL);
			if (!t->type || !t->raw.p)
				return nomem(d->e);
			t->raw_family = d->fam;
		}
	}
	return 0;
}

static int decode_tool_config(struct reqdec *d, int tc)
{
	const struct json *j = d->j;
	int fcc = get2(j, tc, "functionCallingConfig", "function_calling_config");
	int mode = json_get(j, fcc, "mode");
	int names = get2(j, fcc, "allowedFunctionNames", "allowed_function_names");
	struct ir_tool_choice *ch = &d->r->tool_choice;

	if (mode < 0)
		return 0;
	if (json_streq(j, mode, "NONE")) {
		ch->kind = IR_TC_NONE;
	} else if (json_streq(j, mode, "ANY")) {
		ch->kind = IR_TC_REQUIRED;
		if (json_kind(j, names) == JSON_ARRAY && json_size(j, names) == 1) {
			ch->kind = IR_TC_TOOL;
			ch->name = jcstr(d->c, j, json_first(j, names));
			if (!ch->name || !*ch->name)
				ch->kind = IR_TC_REQUIRED;
		}
	} else if (json_streq(j, mode, "AUTO") || json_streq(j, mode, "VALIDATED")) {
		ch->kind = IR_TC_AUTO;
	}
	return 0;
}

static bool num(const struct json *j, int tok, double *ret)
{
	return tok >= 0 && json_double(j, tok, ret) == 0;
}

static bool inum(const struct json *j, int tok, int64_t *ret)
{
	double d;

	if (tok < 0)
		return false;
	if (json_int(j, tok, ret) == 0)
		return true;
	if (json_double(j, tok, &d) == 0 && d >= -9e15 && d <= 9e15) {
		*ret = (int64_t)d;
		return true;
	}
	return false;
}

static char *lower_dup(struct arena *a, const char *s)
{
	char *r = arena_strdup(a, s);
	size_t i;

	for (i = 0; r && r[i]; i++)
		if (r[i] >= 'A' && r[i] <= 'Z')
			r[i] = (char)(r[i] - 'A' + 'a');
	return r;
}

/* {"<key>": <value>} for the object member whose key token is k (key:
   its name as written, or NULL for the one it has). */
static struct ir_str member_object(struct xlate_ctx *c, const struct json *j, int k,
				   const char *key)
{
	struct ir_str r = IR_STR_NONE, v;
	struct buf b;
	struct jsonw w;
	size_t n = key ? strlen(key) : 0;

	if (!key)
		key = json_str(j, k, c->a, &n);
	if (!key)
		return r;
	buf_init(&b, c->a, LIMIT_BODY_BYTES);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_keyn(&w, key, n);
	v = jraw(j, k + 1);
	jw_raw(&w, v.p, v.n);
	jw_end(&w);
	if (jw_error(&w))
		return r;
	r.p = b.p;
	r.n = b.len;
	return r;
}

static int decode_gen(struct reqdec *d, int gc)
{
	const struct json *j = d->j;
	struct ir_request *r = d->r;
	struct ir_gen *g = &r->gen;
	int stops, s, mime, schema, tc;
	bool openapi = false;

	if (gc < 0)
		return 0;
	if (json_kind(j, gc) != JSON_OBJECT)
		return bad(d->c, d->e, "generationConfig must be an object");
	g->has_temperature = num(j, json_get(j, gc, "temperature"), &g->temperature);
	g->has_top_p = num(j, get2(j, gc, "topP", "top_p"), &g->top_p);
	g->has_top_k = inum(j, get2(j, gc, "topK", "top_k"), &g->top_k);
	g->has_max_tokens = inum(j, get2(j, gc, "maxOutputTokens", "max_output_tokens"),
				 &g->max_tokens);
	g->has_n = inum(j, get2(j, gc, "candidateCount", "candidate_count"), &g->n);
	g->has_seed = inum(j, json_get(j, gc, "seed"), &g->seed);
	g->has_presence_penalty = num(j, get2(j, gc, "presencePenalty", "presence_penalty"),
				      &g->presence_penalty);
	g->has_frequency_penalty = num(j, get2(j, gc, "frequencyPenalty", "frequency_penalty"),
				       &g->frequency_penalty);
	stops = get2(j, gc, "stopSequences", "stop_sequences");
	for (s = json_first(j, stops); s >= 0; s = json_after(j, s)) {
		struct ir_str v = jstr(d->c, j, s);
		if (v.p && ir_add_stop(d->c->a, r, v.p, v.n) < 0)
			return nomem(d->e);
	}
	mime = get2(j, gc, "responseMimeType", "response_mime_type");
	schema = get2(j, gc, "responseJsonSchema", "response_json_schema");
	if (schema < 0) {
		schema = get2(j, gc, "responseSchema", "response_schema");
		openapi = true;
	}
	if (json_streq(j, mime, "application/json")) {
		r->format.kind = IR_FMT_JSON_OBJECT;
		if (json_kind(j, schema) == JSON_OBJECT) {
			struct ir_str raw = jraw(j, schema);
			const char *out;
			size_t n;
			int rc = schema_rewrite(d->c->a, raw.p, raw.n, SCHEMA_STANDARD, 0, &out, &n);
			if (rc < 0)
				return nomem(d->e);
			r->format.kind = IR_FMT_JSON_SCHEMA;
			r->format.schema.p = out;
			r->format.schema.n = n;
			r->format.raw = member_object(d->c, j, schema - 1, openapi ? "responseSchema"
									     : "responseJsonSchema");
			if (!r->format.raw.p)
				return nomem(d->e);
			r->format.raw_family = d->fam;
		}
	} else if (json_streq(j, mime, "text/plain")) {
		r->format.kind = IR_FMT_TEXT;
	}
	tc = get2(j, gc, "thinkingConfig", "thinking_config");
	if (tc >= 0) {
		struct ir_reasoning *re = &r->reasoning;
		int64_t budget;
		const char *level = jcstr(d->c, j, get2(j, tc, "thinkingLevel", "thinking_level"));
		int inc = get2(j, tc, "includeThoughts", "include_thoughts");

		if (inum(j, get2(j, tc, "thinkingBudget", "thinking_budget"), &budget)) {
			re->has_budget = true;
			re->budget = budget;
			re->mode = budget == 0 ? IR_THINK_DISABLED
				 : budget < 0 ? IR_THINK_ADAPTIVE : IR_THINK_ENABLED;
		}
		if (level && *level && !strn_caseeq(level, strlen(level), "THINKING_LEVEL_UNSPECIFIED")) {
			re->effort = lower_dup(d->c->a, level);
			if (!re->effort)
				return nomem(d->e);
			if (re->mode == IR_THINK_UNSET)
				re->mode = IR_THINK_ENABLED;
		}
		if (json_kind(j, inc) == JSON_TRUE || json_kind(j, inc) == JSON_FALSE)
			re->include_thoughts = json_truthy(j, inc);
	}
	return 0;
}

int gemini_decode_req(struct xlate_ctx *c, const struct json *j, int obj, enum ir_family fam,
		      struct ir_request *r, struct apierr *e)
{
	struct reqdec d = { .c = c, .j = j, .fam = fam, .r = r, .e = e };
	int sys, contents, content, part, rc, safety;

	if (json_kind(j, obj) != JSON_OBJECT)
		return bad(c, e, "request body must be a JSON object");
	r->family = fam;
	r->parallel_tool_calls = -1;
	r->reasoning.include_thoughts = -1;
	r->format.strict = -1;

	sys = get2(j, obj, "systemInstruction", "system_instruction");
	if (json_kind(j, sys) == JSON_STRING) {
		struct ir_part *p = ir_add_system(c->a, r);
		if (!p)
			return nomem(e);
		p->text = jstr(c, j, sys);
	} else if (json_kind(j, sys) == JSON_OBJECT) {
		int parts = json_get(j, sys, "parts");
		for (part = json_first(j, parts); part >= 0; part = json_after(j, part)) {
			int text = json_get(j, part, "text");
			struct ir_part *p;
			if (json_kind(j, text) != JSON_STRING)
				continue;
			p = ir_add_system(c->a, r);
			if (!p)
				return nomem(e);
			p->text = jstr(c, j, text);
			if (!p->text.p)
				return nomem(e);
		}
	}
	contents = json_get(j, obj, "contents");
	if (contents >= 0 && json_kind(j, contents) != JSON_ARRAY)
		return bad(c, e, "contents must be an array");
	for (content = json_first(j, contents); content >= 0; content = json_after(j, content))
		if ((rc = decode_content(&d, content)) < 0)
			return rc;
	if ((rc = decode_tools(&d, json_get(j, obj, "tools"))) < 0)
		return rc;
	if ((rc = decode_tool_config(&d, get2(j, obj, "toolConfig", "tool_config"))) < 0)
		return rc;
	if ((rc = decode_gen(&d, get2(j, obj, "generationConfig", "generation_config"))) < 0)
		return rc;
	safety = get2(j, obj, "safetySettings", "safety_settings");
	if (json_kind(j, safety) == JSON_ARRAY)
		r->safety = jraw(j, safety);
	return 0;
}

/* ---- the family ----------------------------------------------------------- */

static int g_decode_request(struct xlate_ctx *c, const char *json, size_t n,
			    struct ir_request *ret, struct apierr *e)
{
	struct json j;
	int rc = json_parse(&j, c->a, json, n);

	memset(ret, 0, sizeof(*ret));
	if (rc == -E2BIG)
		return apierr_set(e, rc, 413, "request_too_large", "request JSON too large");
	if (rc < 0)
		return rc == -ENOMEM ? nomem(e) : bad(c, e, "request body is not valid JSON");
	rc = gemini_decode_req(c, &j, 0, IR_FAM_GEMINI, ret, e);
	ret->raw.p = json;
	ret->raw.n = n;
	ret->family = IR_FAM_GEMINI;
	return rc;
}

static int g_encode_request(struct xlate_ctx *c, const struct ir_request *r, struct buf *out,
			    struct apierr *e)
{
	struct jsonw w;

	jw_init(&w, out);
	return gemini_write_req(c, r, IR_FAM_GEMINI, &w, e);
}

/* The model is in the URL and there is no stream flag: the body goes as is. */
static int g_passthrough_request(struct xlate_ctx *c, const char *json, size_t n,
				 const char *model, bool stream, struct buf *out,
				 struct apierr *e)
{
	if (buf_add(out, json, n) < 0)
		return apierr_set(e, out->err, out->err == -E2BIG ? 413 : 500, NULL,
				  "request too large");
	return 0;
}

static int g_decode_response(struct xlate_ctx *c, const char *json, size_t n,
			     struct ir_response *ret, struct apierr *e)
{
	struct json j;
	int rc = json_parse(&j, c->a, json, n);

	memset(ret, 0, sizeof(*ret));
	if (rc < 0)
		return apierr_set(e, rc == -ENOMEM ? -ENOMEM : -EPROTO, 502, "api_error",
				  "upstream answer is not valid JSON");
	return gemini_decode_resp(c, &j, 0, IR_FAM_GEMINI, ret, e);
}

static int g_encode_response(struct xlate_ctx *c, const struct ir_response *r, struct buf *out,
			     struct apierr *e)
{
	struct jsonw w;
	int rc;

	jw_init(&w, out);
	rc = gemini_write_resp(c, r, IR_FAM_GEMINI, &w);
	if (rc < 0)
		return apierr_set(e, rc, 500, "api_error", "cannot write response");
	return 0;
}

static int g_dec_init(void *st, struct xlate_ctx *c)
{
	return gemini_dec_start(st, c, IR_FAM_GEMINI);
}

static int g_decode_event(void *st, struct xlate_ctx *c, const struct sse_event *ev,
			  ir_emit_fn emit, void *arg)
{
	return gemini_dec_sse(st, c, ev, false, emit, arg);
}

static int g_decode_end(void *st, struct xlate_ctx *c, ir_emit_fn emit, void *arg)
{
	return gemini_dec_finish(st, c, emit, arg);
}

static int g_enc_init(void *st, struct xlate_ctx *c)
{
	return gemini_enc_start(st, c, IR_FAM_GEMINI, false);
}

static int g_encode_event(void *st, struct xlate_ctx *c, const struct ir_event *ev,
			  struct buf *out)
{
	return gemini_enc_event(st, c, ev, out);
}

const struct family family_gemini = {
	.name = "gemini",
	.id = IR_FAM_GEMINI,
	.decode_request = g_decode_request,
	.encode_request = g_encode_request,
	.passthrough_request = g_passthrough_request,
	.decode_response = g_decode_response,
	.encode_response = g_encode_response,
	.dec_size = sizeof(struct gemini_dec),
	.dec_init = g_dec_init,
	.decode_event = g_decode_event,
	.decode_end = g_decode_end,
	.enc_size = sizeof(struct gemini_enc),
	.enc_init = g_enc_init,
	.encode_event = g_encode_event,
	.decode_error = gemini_decode_error,
	.encode_error = gemini_encode_error,
};
