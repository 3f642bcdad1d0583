/*
 * openai_responses.c - the OpenAI Responses API (the Codex wire format) <->
 * IR: requests (input items, function/custom tools, reasoning items with
 * encrypted_content), response objects, SSE events in the order SPEC §4.8
 * gives (sequence_number from 0, consistent item ids and output indices) and
 * error bodies/frames (SPEC §1.3).  Refuses input items that are not objects,
 * unknown roles and tool calls without a name; drops item kinds it cannot
 * express elsewhere (hosted tool calls, item references).  Limits: core/json
 * caps and the output buf ceiling; tool names over 64 bytes are shortened.
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

#define ID_LEN 24
#define NAME_MAX_LEN 64
#define ERR_TEXT_MAX 2048 /* bytes of a non-JSON upstream error body kept */

/* ---- small helpers --------------------------------------------------------- */

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool prefixed(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

/* A JSON document being decoded plus a sticky -ENOMEM. */
struct jx {
	struct xlate_ctx *c;
	struct json j;
	int err;
};

static struct ir_str jx_str(struct jx *x, int t)
{
	struct ir_str s = IR_STR_NONE;
	size_t n;
	char *p;

	if (json_kind(&x->j, t) != JSON_STRING)
		return s;
	p = json_str(&x->j, t, x->c->a, &n);
	if (!p) {
		x->err = -ENOMEM;
		return s;
	}
	s.p = p;
	s.n = n;
	return s;
}

static const char *jx_cstr(struct jx *x, int t)
{
	return jx_str(x, t).p;
}

static const char *jx_gets(struct jx *x, int obj, const char *key)
{
	return jx_cstr(x, json_get(&x->j, obj, key));
}

/* Raw JSON text of token t (absent if t < 0); copied when the document does
   not outlive this call (stream events). */
static struct ir_str jx_raw(struct jx *x, int t, bool copy)
{
	struct ir_str s = IR_STR_NONE;
	size_t n;
	const char *p;

	if (t < 0 || json_kind(&x->j, t) == JSON_NONE)
		return s;
	p = json_text(&x->j, t, &n);
	if (copy) {
		p = arena_memdup(x->c->a, p, n);
		if (!p) {
			x->err = -ENOMEM;
			return s;
		}
	}
	s.p = p;
	s.n = n;
	return s;
}

static bool jx_int(struct jx *x, int t, int64_t *ret)
{
	return json_kind(&x->j, t) == JSON_NUMBER && json_int(&x->j, t, ret) == 0;
}

static void jw_irs(struct jsonw *w, struct ir_str s)
{
	jw_str(w, s.p ? s.p : "", s.n);
}

static void jw_kirs(struct jsonw *w, const char *key, struct ir_str s)
{
	jw_key(w, key);
	jw_irs(w, s);
}

static void jw_kraw(struct jsonw *w, const char *key, struct ir_str s)
{
	jw_key(w, key);
	jw_raw(w, s.p, s.n);
}

static int out_err(int err, bool request, struct apierr *e)
{
	if (err == -E2BIG)
		return apierr_set(e, err, request ? 413 : 502, request ? "request_too_large" : "api_error",
				  "body too large");
	return apierr_set(e, err ? err : -ENOMEM, 500, "api_error", "out of memory");
}

static int bad(struct apierr *e, const char *msg)
{
	return apierr_set(e, -EINVAL, 400, "invalid_request_error", msg);
}

/* The request's tool of this name (NULL if none). */
static const struct ir_tool *req_tool(const struct ir_request *r, const char *name)
{
	size_t i;

	if (!r || !name)
		return NULL;
	for (i = 0; i < r->ntools; i++)
		if (r->tools[i].kind != IR_TOOL_BUILTIN && streq(r->tools[i].name, name))
			return &r->tools[i];
	return NULL;
}

static bool custom_tool(const struct ir_request *r, const char *name)
{
	const struct ir_tool *t = req_tool(r, name);
	return t && t->kind == IR_TOOL_CUSTOM;
}

/* The input of a custom tool call that went through a family without free-
   form tools (as {"input": "..."}): the string, else the arguments as text. */
static struct ir_str unwrap_input(struct arena *a, struct ir_str args)
{
	struct json j;
	int v;
	size_t n;
	char *s;

	if (!args.p)
		return IR_STR_LIT("");
	if (json_parse(&j, a, args.p, args.n) || json_kind(&j, 0) != JSON_OBJECT)
		return args;
	v = json_get(&j, 0, "input");
	if (v < 0 && json_size(&j, 0) == 1)
		v = json_first(&j, 0) + 1;
	if (json_kind(&j, v) != JSON_STRING || !(s = json_str(&j, v, a, &n)))
		return args;
	return (struct ir_str){ s, n };
}

/* Error code words of SPEC §1.3 and back. */
static const char *code_for_status(int status)
{
	switch (status) {
	case 401:
		return "invalid_api_key";
	case 403:
		return "insufficient_quota";
	case 404:
		return "model_not_found";
	case 408:
		return "request_timeout";
	case 429:
		return "rate_limit_exceeded";
	}
	return status >= 500 ? "internal_server_error" : "invalid_request_error";
}

static int status_for_code(const char *code, int dflt)
{
	static const struct {
		const char *code;
		int status;
	} map[] = {
		{ "invalid_api_key", 401 },        { "authentication_error", 401 },
		{ "insufficient_quota", 403 },     { "permission_error", 403 },
		{ "model_not_found", 404 },        { "not_found_error", 404 },
		{ "request_timeout", 408 },        { "rate_limit_exceeded", 429 },
		{ "usage_limit_reached", 429 },    { "rate_limit_error", 429 },
		{ "context_length_exceeded", 400 }, { "invalid_request_error", 400 },
		{ "invalid_prompt", 400 },         { "server_error", 500 },
		{ "internal_server_error", 500 },  { "api_error", 500 },
		{ "server_is_overloaded", 503 },   { "overloaded_error", 529 },
	};
	size_t i;

	if (code)
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(code, map[i].code) == 0)
				return map[i].status;
	return dflt;
}

/* encrypted_content for a client: ours verbatim, a foreign one tagged so it
   comes back labelled (ir_sig_tag); redacted thinking data (Claude) as
   "redacted:<data>" inside the tag, which no signature starts with. */
#define REDACTED_PFX "redacted:"

static struct ir_str client_sig(struct arena *a, struct ir_str sig, enum ir_family fam,
				bool redacted)
{
	char *s;

	if (!sig.p || !sig.n)
		return IR_STR_NONE;
	if (redacted && fam != IR_FAM_RESPONSES) {
		s = arena_printf(a, REDACTED_PFX "%.*s", (int)sig.n, sig.p);
		if (!s)
			return IR_STR_NONE;
		sig = ir_str_c(s);
	}
	return ir_sig_tag(a, fam, IR_FAM_RESPONSES, sig);
}

/* The reverse: encrypted_content -> signature + family; 1 if it carries
   redacted thinking data. */
static int untag_sig(struct ir_str enc, struct ir_str *ret_sig, enum ir_family *ret_fam)
{
	size_t pl = sizeof(REDACTED_PFX) - 1;

	ir_sig_untag(enc, IR_FAM_RESPONSES, ret_fam, ret_sig);
	if (*ret_fam != IR_FAM_RESPONSES && ret_sig->p && ret_sig->n > pl &&
	    !memcmp(ret_sig->p, REDACTED_PFX, pl)) {
		ret_sig->p += pl;
		ret_sig->n -= pl;
		return 1;
	}
	return 0;
}

/* ---- request decoding -------------------------------------------------------- */

struct rq {
	struct jx x;
	struct ir_request *r;
	struct apierr *e;
	bool convo; /* an input item other than a leading system one was seen */
};

static const char *guess_mime(const char *filename)
{
	static const struct {
		const char *ext, *mime;
	} map[] = {
		{ ".pdf", "application/pdf" }, { ".txt", "text/plain" }, { ".md", "text/markdown" },
		{ ".png", "image/png" },       { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" },       { ".webp", "image/webp" }, { ".json", "application/json" },
		{ ".csv", "text/csv" },
	};
	size_t i, n, l;

	if (!filename)
		return "application/pdf";
	n = strlen(filename);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		l = strlen(map[i].ext);
		if (n > l && strncasecmp(filename + n - l, map[i].ext, l) == 0)
			return map[i].mime;
	}
	return "application/octet-stream";
}

/* image_url / file_data: a data URL becomes mime + data, anything else a url. */
static void media_src(struct jx *x, struct ir_part *p, struct ir_str u)
{
	int rc;

	if (!u.p || !u.n)
		return;
	rc = ir_data_url_parse(x->c->a, u.p, u.n, &p->mime, &p->data);
	if (rc == -ENOMEM)
		x->err = rc;
	if (rc < 0)
		p->url = u.p;
}

/* One content part (message content, function_call_output array) into *p:
   1 made, 0 skipped. */
static int dec_part(struct jx *x, int t, struct ir_part *p)
{
	const struct json *j = &x->j;
	const char *type;
	int u;

	memset(p, 0, sizeof(*p));
	if (json_kind(j, t) == JSON_STRING) {
		p->kind = IR_PART_TEXT;
		p->text = jx_str(x, t);
		return 1;
	}
	if (json_kind(j, t) != JSON_OBJECT)
		return 0;
	type = jx_gets(x, t, "type");
	if (!type)
		return 0;
	if (streq(type, "input_text") || streq(type, "output_text") || streq(type, "text") ||
	    streq(type, "summary_text") || streq(type, "reasoning_text") || streq(type, "refusal")) {
		p->kind = IR_PART_TEXT;
		p->text = jx_str(x, json_get(j, t, streq(type, "refusal") ? "refusal" : "text"));
		return p->text.p != NULL;
	}
	if (streq(type, "input_image")) {
		p->kind = IR_PART_IMAGE;
		u = json_get(j, t, "image_url");
		if (json_kind(j, u) == JSON_OBJECT)
			u = json_get(j, u, "url");
		media_src(x, p, jx_str(x, u));
		if (!p->data.p && !p->url)
			p->file_id = jx_gets(x, t, "file_id");
		p->detail = jx_gets(x, t, "detail");
		return p->data.p || p->url || p->file_id;
	}
	if (streq(type, "input_file")) {
		struct ir_str fd = jx_str(x, json_get(j, t, "file_data"));

		p->kind = IR_PART_FILE;
		p->filename = jx_gets(x, t, "filename");
		if (fd.p && fd.n) {
			if (ir_data_url_parse(x->c->a, fd.p, fd.n, &p->mime, &p->data) < 0) {
				p->mime = guess_mime(p->filename);
				p->data = fd;
			}
		} else if ((p->url = jx_gets(x, t, "file_url")) == NULL) {
			p->file_id = jx_gets(x, t, "file_id");
		}
		return p->data.p || p->url || p->file_id;
	}
	return 0;
}

/* Strings joined with sep (absent if none was present). */
struct joiner {
	struct buf b;
	bool any;
};

static void join_add(struct joiner *jn, struct ir_str s, const char *sep)
{
	if (!s.p)
		return;
	if (jn->any && jn->b.len && s.n)
		buf_adds(&jn->b, sep);
	buf_add(&jn->b, s.p, s.n);
	jn->any = true;
}

static int dec_message(struct rq *q, int it)
{
	struct jx *x = &q->x;
	const struct json *j = &x->j;
	const char *role = jx_gets(x, it, "role");
	enum ir_role ir_role;
	struct ir_message *m;
	struct ir_part tmp, *p;
	size_t before = q->r->nmessages;
	int c = json_get(j, it, "content"), k;

	if (streq(role, "user"))
		ir_role = IR_ROLE_USER;
	else if (streq(role, "assistant"))
		ir_role = IR_ROLE_ASSISTANT;
	else if (streq(role, "system") || streq(role, "developer"))
		ir_role = IR_ROLE_SYSTEM;
	else
		return bad(q->e, "input message role must be user, assistant, system or developer");

	if (ir_role == IR_ROLE_SYSTEM && !q->convo) {
		/* Leading system/developer items: the system prompt (rule 1). */
		if (json_kind(j, c) == JSON_STRING) {
			if (!(p = ir_add_system(x->c->a, q->r)))
				return -ENOMEM;
			p->text = jx_str(x, c);
		}
		for (k = json_kind(j, c) == JSON_ARRAY ? json_first(j, c) : -1; k >= 0;
		     k = json_after(j, k)) {
			if (dec_part(x, k, &tmp) != 1 || tmp.kind != IR_PART_TEXT)
				continue;
			if (!(p = ir_add_system(x->c->a, q->r)))
				return -ENOMEM;
			p->text = tmp.text;
		}
		return x->err;
	}
	q->convo = true;
	m = ir_role == IR_ROLE_ASSISTANT ? ir_tail_message(x->c->a, q->r, ir_role)
					 : ir_add_message(x->c->a, q->r, ir_role);
	if (!m)
		return -ENOMEM;
	if (json_kind(j, c) == JSON_STRING) {
		if (!(p = ir_add_part(x->c->a, m, IR_PART_TEXT)))
			return -ENOMEM;
		p->text = jx_str(x, c);
	}
	for (k = json_kind(j, c) == JSON_ARRAY ? json_first(j, c) : -1; k >= 0; k = json_after(j, k)) {
		if (dec_part(x, k, &tmp) != 1)
			continue;
		if (ir_role == IR_ROLE_SYSTEM && tmp.kind != IR_PART_TEXT)
			continue;
		if (!(p = ir_add_part(x->c->a, m, tmp.kind)))
			return -ENOMEM;
		*p = tmp;
	}
	/* A message item that produced nothing leaves no empty message. */
	if (q->r->nmessages > before && m->nparts == 0)
		q->r->nmessages--;
	return x->err;
}

static int dec_call(struct rq *q, int it, bool custom)
{
	struct jx *x = &q->x;
	struct ir_message *m;
	struct ir_part *p;
	const char *name = jx_gets(x, it, "name");
	const char *call_id = jx_gets(x, it, "call_id");

	if (!name || !*name)
		return bad(q->e, "input function_call item without a name");
	if (!call_id || !*call_id)
		call_id = xlate_id(x->c, "call_", ID_LEN);
	q->convo = true;
	if (!call_id || !(m = ir_tail_message(x->c->a, q->r, IR_ROLE_ASSISTANT)) ||
	    !(p = ir_add_part(x->c->a, m, IR_PART_TOOL_CALL)))
		return -ENOMEM;
	p->call_id = call_id;
	p->name = name;
	if (custom) {
		p->custom = true;
		p->text = jx_str(x, json_get(&x->j, it, "input"));
		if (!p->text.p)
			p->text = IR_STR_LIT("");
	} else {
		p->args = jx_str(x, json_get(&x->j, it, "arguments"));
	}
	return x->err;
}

static int dec_output(struct rq *q, int it)
{
	struct jx *x = &q->x;
	const struct json *j = &x->j;
	const char *call_id = jx_gets(x, it, "call_id");
	int out = json_get(j, it, "output"), k;
	struct ir_message *m = NULL;
	struct ir_part *p, *q2, tmp;

	if (!call_id || !*call_id)
		return bad(q->e, "input function_call_output item without a call_id");
	q->convo = true;
	if (q->r->nmessages) {
		struct ir_message *last = &q->r->messages[q->r->nmessages - 1];
		if (last->role == IR_ROLE_USER && last->nparts &&
		    last->parts[last->nparts - 1].kind == IR_PART_TOOL_RESULT)
			m = last;
	}
	if (!ir_call_name(q->r, call_id)) {
		/* The call is not in this request (previous_response_id): keep the
		   output as user text rather than an unmatched result. */
		if (!(m = ir_add_message(x->c->a, q->r, IR_ROLE_USER)) ||
		    !(p = ir_add_part(x->c->a, m, IR_PART_TEXT)))
			return -ENOMEM;
		p->text = json_kind(j, out) == JSON_STRING ? jx_str(x, out) : jx_raw(x, out, false);
		if (!p->text.p)
			p->text = IR_STR_LIT("");
		return x->err;
	}
	if (!m && !(m = ir_add_message(x->c->a, q->r, IR_ROLE_USER)))
		return -ENOMEM;
	if (!(p = ir_add_part(x->c->a, m, IR_PART_TOOL_RESULT)))
		return -ENOMEM;
	p->call_id = call_id;
	p->name = ir_call_name(q->r, call_id);
	if (json_kind(j, out) == JSON_STRING) {
		if (!(q2 = ir_add_result_part(x->c->a, p, IR_PART_TEXT)))
			return -ENOMEM;
		q2->text = jx_str(x, out);
	} else if (json_kind(j, out) == JSON_ARRAY) {
		for (k = json_first(j, out); k >= 0; k = json_after(j, k)) {
			if (dec_part(x, k, &tmp) != 1)
				continue;
			if (!(q2 = ir_add_result_part(x->c->a, p, tmp.kind)))
				return -ENOMEM;
			*q2 = tmp;
		}
	} else if (out >= 0 && json_kind(j, out) != JSON_NULL) {
		p->result_json = jx_raw(x, out, false);
	}
	return x->err;
}

static int dec_reasoning(struct rq *q, int it)
{
	struct jx *x = &q->x;
	const struct json *j = &x->j;
	struct joiner jn;
	struct ir_str enc, sig;
	enum ir_family fam;
	struct ir_message *m;
	struct ir_part *p;
	int k, arr, redacted;

	buf_init(&jn.b, x->c->a, LIMIT_BODY_BYTES);
	jn.any = false;
	arr = json_get(j, it, "summary");
	for (k = json_kind(j, arr) == JSON_ARRAY ? json_first(j, arr) : -1; k >= 0; k = json_after(j, k))
		join_add(&jn, jx_str(x, json_get(j, k, "text")), "\n\n");
	if (!jn.any) {
		arr = json_get(j, it, "content");
		for (k = json_kind(j, arr) == JSON_ARRAY ? json_first(j, arr) : -1; k >= 0;
		     k = json_after(j, k))
			join_add(&jn, jx_str(x, json_get(j, k, "text")), "\n\n");
	}
	if (jn.b.err)
		return jn.b.err;
	enc = jx_str(x, json_get(j, it, "encrypted_content"));
	if (enc.p && !enc.n)
		enc = IR_STR_NONE;
	if ((!jn.any || !jn.b.len) && !enc.p)
		return x->err; /* nothing to carry */
	q->convo = true;
	redacted = untag_sig(enc, &sig, &fam);
	if (!(m = ir_tail_message(x->c->a, q->r, IR_ROLE_ASSISTANT)) ||
	    !(p = ir_add_part(x->c->a, m,
			      redacted ? IR_PART_REDACTED_THINKING : IR_PART_THINKING)))
		return -ENOMEM;
	if (!redacted)
		p->text = (struct ir_str){ jn.b.p ? jn.b.p : "", jn.b.len };
	if (sig.p) {
		p->signature = sig;
		p->sig_family = fam;
	}
	return x->err;
}

static int dec_tools(struct rq *q, int arr)
{
	struct jx *x = &q->x;
	const struct json *j = &x->j;
	struct ir_tool *t;
	int k, fn, v;
	bool b;

	for (k = json_first(j, arr); k >= 0; k = json_after(j, k)) {
		const char *type;

		if (json_kind(j, k) != JSON_OBJECT)
			return bad(q->e, "tools entries must be objects");
		type = jx_gets(x, k, "type");
		if (streq(type, "function") || streq(type, "custom")) {
			bool custom = streq(type, "custom");
			fn = json_get(j, k, "function"); /* chat-style tool sent to /responses */
			if (json_kind(j, fn) != JSON_OBJECT)
				fn = k;
			if (!(t = ir_add_tool(x->c->a, q->r, custom ? IR_TOOL_CUSTOM : IR_TOOL_FUNCTION)))
				return -ENOMEM;
			t->name = jx_gets(x, fn, "name");
			if (!t->name || !*t->name)
				return bad(q->e, "tools entry without a name");
			t->description = jx_str(x, json_get(j, fn, "description"));
			v = json_get(j, fn, custom ? "format" : "parameters");
			if (json_kind(j, v) == JSON_OBJECT) {
				if (custom)
					t->format = jx_raw(x, v, false);
				else
					t->parameters = jx_raw(x, v, false);
			}
			if (json_bool(j, json_get(j, fn, "strict"), &b) == 0)
				t->strict = b;
		} else {
			if (!type)
				return bad(q->e, "tools entry without a type");
			if (!(t = ir_add_tool(x->c->a, q->r, IR_TOOL_BUILTIN)))
				return -ENOMEM;
			t->type = type;
			t->name = jx_gets(x, k, "name");
		}
		t->raw = jx_raw(x, k, false);
		t->raw_family = IR_FAM_RESPONSES;
	}
	return x->err;
}

static void dec_tool_choice(struct rq *q, int v)
{
	struct jx *x = &q->x;
	const struct json *j = &x->j;
	struct ir_tool_choice *tc = &q->r->tool_choice;
	const char *s;

	if (json_kind(j, v) == JSON_STRING) {
		s = jx_cstr(x, v);
		if (streq(s, "auto"))
			tc->kind = IR_TC_AUTO;
		else if (streq(s, "none"))
			tc->kind = IR_TC_NONE;
		else if (streq(s, "required"))
			tc->kind = IR_TC_REQUIRED;
		return;
	}
	if (json_kind(j, v) != JSON_OBJECT)
		return;
	s = jx_gets(x, v, "type");
	if (streq(s, "function") || streq(s, "custom")) {
		const char *name = jx_gets(x, v, "name");
		if (!name)
			name = jx_gets(x, json_get(j, v, "function"), "name");
		if (name && *name) {
			tc->kind = IR_TC_TOOL;
			tc->name = name;
		}
	} else if (streq(s, "allowed_tools")) {
		tc->kind = streq(jx_gets(x, v, "mode"), "required") ? IR_TC_REQUIRED : IR_TC_AUTO;
	}
}

static int dec_input(struct rq *q, int in)
{
	struct jx *x = &q->x;
	const struct json *j = &x->j;
	int k, rc = 0;

	if (json_kind(j, in) == JSON_STRING) {
		struct ir_message *m = ir_add_message(x->c->a, q->r, IR_ROLE_USER);
		struct ir_part *p = m ? ir_add_part(x->c->a, m, IR_PART_TEXT) : NULL;
		if (!p)
			return -ENOMEM;
		p->text = jx_str(x, in);
		return x->err;
	}
	if (in >= 0 && json_kind(j, in) != JSON_ARRAY && json_kind(j, in) != JSON_NULL)
		return bad(q->e, "input must be a string or an array of items");
	for (k = in >= 0 ? json_first(j, in) : -1; k >= 0 && rc == 0; k = json_after(j, k)) {
		const char *type;

		if (json_kind(j, k) != JSON_OBJECT)
			return bad(q->e, "input items must be objects");
		type = jx_gets(x, k, "type");
		if (!type || streq(type, "message"))
			rc = json_get(j, k, "role") >= 0 ? dec_message(q, k)
							 : bad(q->e, "input message item without a role");
		else if (streq(type, "function_call"))
			rc = dec_call(q, k, false);
		else if (streq(type, "custom_tool_call"))
			rc = dec_call(q, k, true);
		else if (streq(type, "function_call_output") || streq(type, "custom_tool_call_output"))
			rc = dec_output(q, k);
		else if (streq(type, "reasoning"))
			rc = dec_reasoning(q, k);
		/* item_reference, hosted tool calls, compaction...: nothing in the IR */
	}
	return rc ? rc : x->err;
}

static void dec_format(struct rq *q, int text)
{
	struct jx *x = &q->x;
	const struct json *j = &x->j;
	struct ir_format *f = &q->r->format;
	int fmt = json_get(j, text, "format"), v;
	const char *type = jx_gets(x, fmt, "type");
	bool b;

	if (streq(type, "text")) {
		f->kind = IR_FMT_TEXT;
	} else if (streq(type, "json_object")) {
		f->kind = IR_FMT_JSON_OBJECT;
	} else if (streq(type, "json_schema")) {
		v = json_get(j, fmt, "schema");
		if (json_kind(j, v) != JSON_OBJECT)
			return;
		f->kind = IR_FMT_JSON_SCHEMA;
		f->schema = jx_raw(x, v, false);
		f->name = jx_gets(x, fmt, "name");
		f->description = jx_str(x, json_get(j, fmt, "description"));
		if (json_bool(j, json_get(j, fmt, "strict"), &b) == 0)
			f->strict = b;
	}
}

static int resp_decode_request(struct xlate_ctx *c, const char *json, size_t n,
			       struct ir_request *ret, struct apierr *e)
{
	struct rq q;
	struct jx *x = &q.x;
	const struct json *j = &x->j;
	int rc, v;
	bool b;
	double d;

	memset(&q, 0, sizeof(q));
	memset(ret, 0, sizeof(*ret));
	x->c = c;
	q.r = ret;
	q.e = e;
	ret->family = IR_FAM_RESPONSES;
	ret->raw = (struct ir_str){ json, n };
	ret->parallel_tool_calls = -1;
	ret->reasoning.include_thoughts = -1;
	ret->format.strict = -1;

	rc = xlate_parse(c, &x->j, json, n, false, e);
	if (rc < 0)
		return rc;
	if (json_kind(j, 0) != JSON_OBJECT)
		return bad(e, "request body is not a JSON object");

	ret->model = jx_gets(x, 0, "model");
	ret->stream = json_truthy(j, json_get(j, 0, "stream"));
	v = json_get(j, 0, "instructions");
	if (json_kind(j, v) == JSON_STRING) {
		struct ir_str s = jx_str(x, v);
		if (s.p && s.n) {
			struct ir_part *p = ir_add_system(c->a, ret);
			if (!p)
				return out_err(-ENOMEM, true, e);
			p->text = s;
		}
	}
	rc = dec_input(&q, json_get(j, 0, "input"));
	if (rc == 0 && json_kind(j, v = json_get(j, 0, "tools")) == JSON_ARRAY)
		rc = dec_tools(&q, v);
	if (rc < 0)
		return rc == -EINVAL ? rc : out_err(rc, true, e);

	dec_tool_choice(&q, json_get(j, 0, "tool_choice"));
	if (json_bool(j, json_get(j, 0, "parallel_tool_calls"), &b) == 0)
		ret->parallel_tool_calls = b;

	v = json_get(j, 0, "reasoning");
	if (json_kind(j, v) == JSON_OBJECT) {
		ret->reasoning.effort = jx_gets(x, v, "effort");
		ret->reasoning.summary = jx_gets(x, v, "summary");
		if (ret->reasoning.effort)
			ret->reasoning.mode = streq(ret->reasoning.effort, "none") ? IR_THINK_DISABLED
										: IR_THINK_ENABLED;
	}
	v = json_get(j, 0, "text");
	if (json_kind(j, v) == JSON_OBJECT)
		dec_format(&q, v);

	if (jx_int(x, json_get(j, 0, "max_output_tokens"), &ret->gen.max_tokens))
		ret->gen.has_max_tokens = true;
	if (json_double(j, json_get(j, 0, "temperature"), &d) == 0) {
		ret->gen.has_temperature = true;
		ret->gen.temperature = d;
	}
	if (json_double(j, json_get(j, 0, "top_p"), &d) == 0) {
		ret->gen.has_top_p = true;
		ret->gen.top_p = d;
	}
	v = json_get(j, 0, "metadata");
	if (json_kind(j, v) == JSON_OBJECT)
		ret->metadata = jx_raw(x, v, false);
	ret->user = jx_gets(x, 0, "user");
	if (!ret->user)
		ret->user = jx_gets(x, 0, "safety_identifier");
	if (x->err)
		return out_err(x->err, true, e);
	return 0;
}

/* Valid JSON text without the whitespace outside strings (an SSE data
   line must not break). */
static struct ir_str json_min(struct arena *a, const char *t, size_t n)
{
	char *o = arena_alloc(a, n ? n : 1);
	size_t i, k = 0;
	bool in = false, esc = false;

	if (!o)
		return IR_STR_NONE;
	for (i = 0; i < n; i++) {
		char ch = t[i];
		if (in) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in = false;
		} else if (ch == '"') {
			in = true;
		} else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			continue;
		}
		o[k++] = ch;
	}
	return (struct ir_str){ o, k };
}

static void jw_raw_min(struct jsonw *w, struct arena *a, const char *t, size_t n)
{
	struct ir_str m = json_min(a, t, n);

	if (!m.p) {
		if (!w->err)
			w->err = -ENOMEM;
		return;
	}
	jw_raw(w, m.p, m.n);
}

/* Tool call arguments as sent upstream: compact when they are JSON. */
static struct ir_str args_min(struct arena *a, struct ir_str args)
{
	struct json j;
	struct ir_str m;

	if (!args.p)
		return IR_STR_LIT("{}");
	if (json_parse(&j, a, args.p, args.n) < 0)
		return args;
	m = json_min(a, args.p, args.n);
	return m.p ? m : args;
}


/* ---- request encoding -------------------------------------------------------- */

/* Is name already used by a tool or a recorded rename? */
static bool name_taken(const struct xlate_ctx *c, const struct ir_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ntools; i++)
		if (streq(r->tools[i].name, name))
			return true;
	for (i = 0; i < c->nnames; i++)
		if (streq(c->names[i].sent, name))
			return true;
	return false;
}

/* Names over 64 bytes (the Responses limit): mcp__server__tool -> mcp__tool,
   else truncated; made unique with _N; recorded for the answer's way back. */
static int shorten(struct xlate_ctx *c, const struct ir_request *r, const char *name)
{
	const char *base = name, *p, *last = NULL;
	char *first, *cand;
	unsigned k;

	if (!name || strlen(name) <= NAME_MAX_LEN || xlate_name_sent(c, name) != name)
		return 0;
	if (prefixed(name, "mcp__")) {
		for (p = strstr(name + 5, "__"); p; p = strstr(p + 2, "__"))
			last = p;
		if (last && last[2])
			base = last + 2;
	}
	first = base == name ? arena_strndup(c->a, name, NAME_MAX_LEN)
			     : arena_printf(c->a, "mcp__%.*s", NAME_MAX_LEN - 5, base);
	cand = first;
	for (k = 1; cand && name_taken(c, r, cand) && k < 100000; k++) {
		char suf[16];
		int sl = 0;
		unsigned v = k;
		char digits[12];
		int nd = 0;
		while (v) {
			digits[nd++] = (char)('0' + v % 10);
			v /= 10;
		}
		suf[sl++] = '_';
		while (nd)
			suf[sl++] = digits[--nd];
		cand = arena_printf(c->a, "%.*s%.*s", NAME_MAX_LEN - sl, first, sl, suf);
	}
	if (!cand)
		return -ENOMEM;
	return xlate_name_add(c, name, cand);
}

struct renc {
	struct xlate_ctx *c;
	const struct ir_request *r;
	struct jsonw *w;
	const char *open_role; /* role of the message item open in w, NULL none */
};

static void item_close(struct renc *x)
{
	if (!x->open_role)
		return;
	jw_end(x->w); /* content */
	jw_end(x->w); /* item */
	x->open_role = NULL;
}

static void item_open(struct renc *x, const char *role)
{
	if (x->open_role && !strcmp(x->open_role, role))
		return;
	item_close(x);
	jw_obj(x->w);
	jw_kstr(x->w, "type", "message");
	jw_kstr(x->w, "role", role);
	jw_key(x->w, "content");
	jw_arr(x->w);
	x->open_role = role;
}

static void enc_text(struct jsonw *w, const char *type, struct ir_str text)
{
	jw_obj(w);
	jw_kstr(w, "type", type);
	jw_kirs(w, "text", text);
	jw_end(w);
}

/* An image or file content part (input side). */
static void enc_media(struct renc *x, const struct ir_part *p)
{
	struct jsonw *w = x->w;

	if (p->kind == IR_PART_FILE && p->text.p && !p->data.p && !p->url && !p->file_id) {
		enc_text(w, "input_text", p->text);
		return;
	}
	jw_obj(w);
	if (p->kind == IR_PART_IMAGE) {
		jw_kstr(w, "type", "input_image");
		if (p->data.p)
			jw_kstr(w, "image_url", ir_data_url(x->c->a, p->mime, p->data));
		else if (p->url)
			jw_kstr(w, "image_url", p->url);
		else
			jw_kstr(w, "file_id", p->file_id);
		if (p->detail)
			jw_kstr(w, "detail", p->detail);
	} else {
		jw_kstr(w, "type", "input_file");
		if (p->filename)
			jw_kstr(w, "filename", p->filename);
		if (p->data.p)
			jw_kstr(w, "file_data", ir_data_url(x->c->a, p->mime, p->data));
		else if (p->url)
			jw_kstr(w, "file_url", p->url);
		else
			jw_kstr(w, "file_id", p->file_id);
	}
	jw_end(w);
}

/* Was call_id a custom tool call (or a call of a custom tool)? */
static bool call_is_custom(const struct ir_request *r, const char *call_id)
{
	size_t i, k;

	for (i = 0; i < r->nmessages; i++)
		for (k = 0; k < r->messages[i].nparts; k++) {
			const struct ir_part *p = &r->messages[i].parts[k];
			if (p->kind == IR_PART_TOOL_CALL && streq(p->call_id, call_id))
				return p->custom || custom_tool(r, p->name);
		}
	return false;
}

static void enc_call(struct renc *x, const struct ir_part *p)
{
	struct jsonw *w = x->w;
	const char *name = xlate_name_sent(x->c, p->name);

	jw_obj(w);
	if (p->custom || custom_tool(x->r, p->name)) {
		jw_kstr(w, "type", "custom_tool_call");
		jw_kstr(w, "call_id", p->call_id);
		jw_kstr(w, "name", name);
		jw_kirs(w, "input", p->custom ? p->text : unwrap_input(x->c->a, p->args));
	} else {
		jw_kstr(w, "type", "function_call");
		jw_kstr(w, "call_id", p->call_id);
		jw_kstr(w, "name", name);
		jw_kirs(w, "arguments", args_min(x->c->a, p->args));
	}
	jw_end(w);
}

static void enc_result(struct renc *x, const struct ir_part *p)
{
	struct jsonw *w = x->w;
	size_t i;
	bool media = false; /* array form: several parts or non-text */

	for (i = 0; i < p->ncontent; i++)
		if (p->content[i].kind != IR_PART_TEXT || p->ncontent > 1)
			media = true;
	jw_obj(w);
	jw_kstr(w, "type", call_is_custom(x->r, p->call_id) ? "custom_tool_call_output"
							      : "function_call_output");
	jw_kstr(w, "call_id", p->call_id);
	jw_key(w, "output");
	if (media) {
		jw_arr(w);
		for (i = 0; i < p->ncontent; i++) {
			const struct ir_part *q = &p->content[i];
			if (q->kind == IR_PART_TEXT)
				enc_text(w, "input_text", q->text);
			else if (q->kind == IR_PART_IMAGE || q->kind == IR_PART_FILE)
				enc_media(x, q);
		}
		jw_end(w);
	} else if (p->ncontent == 1) {
		jw_irs(w, p->content[0].text);
	} else {
		jw_irs(w, p->result_json);
	}
	jw_end(w);
}

static void enc_reasoning_in(struct renc *x, const struct ir_part *p)
{
	struct jsonw *w = x->w;
	bool redacted = p->kind == IR_PART_REDACTED_THINKING;
	struct ir_str enc;

	/* An upstream takes back only its own encrypted_content; a foreign or
	   unsigned thinking would be rejected (store:false has no ids to
	   resolve).  A Responses client's own items re-encoded for Responses
	   (never sent: that path is passthrough) keep what the client sent. */
	if (x->r->family == IR_FAM_RESPONSES)
		enc = client_sig(x->c->a, p->signature, p->sig_family, redacted);
	else if (!redacted && p->signature.n && ir_sig_ok(p->sig_family, IR_FAM_RESPONSES))
		enc = p->signature;
	else
		return;
	jw_obj(w);
	jw_kstr(w, "type", "reasoning");
	jw_key(w, "summary");
	jw_arr(w);
	if (!redacted && p->text.n) {
		jw_obj(w);
		jw_kstr(w, "type", "summary_text");
		jw_kirs(w, "text", p->text);
		jw_end(w);
	}
	jw_end(w);
	if (enc.p)
		jw_kirs(w, "encrypted_content", enc);
	jw_end(w);
}

/* Claude Code's per-request billing line is not a prompt (SPEC §4.2). */
static bool billing_line(const struct ir_part *p)
{
	static const char h[] = "x-anthropic-billing-header:";
	return p->text.n >= sizeof(h) - 1 && !memcmp(p->text.p, h, sizeof(h) - 1);
}

static void enc_message(struct renc *x, const struct ir_message *m)
{
	const char *role = m->role == IR_ROLE_USER ? "user"
			   : m->role == IR_ROLE_ASSISTANT ? "assistant" : "developer";
	size_t k;

	for (k = 0; k < m->nparts; k++) {
		const struct ir_part *p = &m->parts[k];

		switch (p->kind) {
		case IR_PART_TEXT:
			if (m->role == IR_ROLE_SYSTEM && billing_line(p))
				break;
			item_open(x, role);
			enc_text(x->w, m->role == IR_ROLE_ASSISTANT ? "output_text" : "input_text",
				 p->text);
			break;
		case IR_PART_IMAGE:
		case IR_PART_FILE:
			if (m->role == IR_ROLE_ASSISTANT)
				break; /* assistant input content is text only */
			item_open(x, role);
			enc_media(x, p);
			break;
		case IR_PART_TOOL_CALL:
			item_close(x);
			enc_call(x, p);
			break;
		case IR_PART_TOOL_RESULT:
			item_close(x);
			enc_result(x, p);
			break;
		case IR_PART_THINKING:
		case IR_PART_REDACTED_THINKING:
			item_close(x);
			enc_reasoning_in(x, p);
			break;
		}
	}
	item_close(x);
}

static void enc_tool(struct renc *x, const struct ir_tool *t)
{
	struct jsonw *w = x->w;

	if (t->kind == IR_TOOL_BUILTIN) {
		if (t->raw_family == IR_FAM_RESPONSES && t->raw.p) {
			jw_raw(w, t->raw.p, t->raw.n);
		} else if (t->type && (prefixed(t->type, "web_search") ||
				       streq(t->type, "google_search"))) {
			jw_obj(w);
			jw_kstr(w, "type", "web_search");
			jw_end(w);
		}
		return;
	}
	jw_obj(w);
	jw_kstr(w, "type", t->kind == IR_TOOL_CUSTOM ? "custom" : "function");
	jw_kstr(w, "name", xlate_name_sent(x->c, t->name));
	if (t->description.p)
		jw_kirs(w, "description", t->description);
	if (t->kind == IR_TOOL_CUSTOM) {
		if (t->format.p)
			jw_kraw(w, "format", t->format);
	} else {
		/* Responses defaults strict to true, which most schemas of other
		   families fail: say false unless the tool said otherwise. */
		if (t->parameters.p)
			jw_kraw(w, "parameters", t->parameters);
		else if (t->raw_family != IR_FAM_RESPONSES)
			jw_kraw(w, "parameters", IR_STR_LIT("{\"type\":\"object\",\"properties\":{}}"));
		if (t->strict >= 0 || t->raw_family != IR_FAM_RESPONSES)
			jw_kbool(w, "strict", t->strict == 1);
	}
	jw_end(w);
}

static bool tool_encodable(const struct ir_tool *t)
{
	if (t->kind != IR_TOOL_BUILTIN)
		return true;
	if (t->raw_family == IR_FAM_RESPONSES && t->raw.p)
		return true;
	return t->type && (prefixed(t->type, "web_search") || streq(t->type, "google_search"));
}

/* The reasoning effort word for a Responses upstream. */
static const char *enc_effort(const struct ir_reasoning *rs)
{
	const char *e = rs->effort;

	if (rs->mode == IR_THINK_DISABLED)
		return "none";
	if (!e && rs->has_budget)
		e = ir_budget_to_effort(rs->budget);
	if (streq(e, "auto"))
		return "medium";
	if (streq(e, "max"))
		return "xhigh";
	return e;
}

static int resp_encode_request(struct xlate_ctx *c, const struct ir_request *r, struct buf *out,
			       struct apierr *e)
{
	struct jsonw w;
	struct renc x = { c, r, &w, NULL };
	const struct ir_reasoning *rs = &r->reasoning;
	const char *effort = enc_effort(rs);
	size_t i, k, ntools = 0;
	int rc;

	for (i = 0; i < r->ntools; i++)
		if ((rc = shorten(c, r, r->tools[i].name)) < 0)
			return out_err(rc, true, e);
	for (i = 0; i < r->nmessages; i++)
		for (k = 0; k < r->messages[i].nparts; k++)
			if (r->messages[i].parts[k].kind == IR_PART_TOOL_CALL &&
			    (rc = shorten(c, r, r->messages[i].parts[k].name)) < 0)
				return out_err(rc, true, e);

	jw_init(&w, out);
	jw_obj(&w);
	jw_kstr(&w, "model", c->upstream_model ? c->upstream_model : r->model);
	/* Codex needs the key; the system prompt goes as a developer item,
	   as Codex CLI itself sends it. */
	jw_kstr(&w, "instructions", "");
	jw_key(&w, "input");
	jw_arr(&w);
	for (i = 0; i < r->nsystem; i++) {
		if (billing_line(&r->system[i]))
			continue;
		item_open(&x, "developer");
		enc_text(&w, "input_text", r->system[i].text);
	}
	item_close(&x);
	for (i = 0; i < r->nmessages; i++)
		enc_message(&x, &r->messages[i]);
	jw_end(&w);

	for (i = 0; i < r->ntools; i++)
		if (tool_encodable(&r->tools[i]))
			ntools++;
	if (ntools) {
		jw_key(&w, "tools");
		jw_arr(&w);
		for (i = 0; i < r->ntools; i++)
			enc_tool(&x, &r->tools[i]);
		jw_end(&w);
	}
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
		jw_key(&w, "tool_choice");
		jw_obj(&w);
		jw_kstr(&w, "type", custom_tool(r, r->tool_choice.name) ? "custom" : "function");
		jw_kstr(&w, "name", xlate_name_sent(c, r->tool_choice.name));
		jw_end(&w);
		break;
	case IR_TC_UNSET:
		break;
	}
	if (r->parallel_tool_calls >= 0)
		jw_kbool(&w, "parallel_tool_calls", r->parallel_tool_calls);
	if (effort || rs->summary ||
	    (r->family != IR_FAM_RESPONSES &&
	     (rs->mode == IR_THINK_ENABLED || rs->mode == IR_THINK_ADAPTIVE))) {
		jw_key(&w, "reasoning");
		jw_obj(&w);
		if (effort)
			jw_kstr(&w, "effort", effort);
		/* Ask for summaries (they become thinking) unless a Responses
		   client chose for itself. */
		if (rs->summary)
			jw_kstr(&w, "summary", rs->summary);
		else if (!streq(effort, "none") && r->family != IR_FAM_RESPONSES)
			jw_kstr(&w, "summary", "auto");
		jw_end(&w);
	}
	jw_kbool(&w, "store", false);
	jw_kbool(&w, "stream", r->stream);
	jw_key(&w, "include");
	jw_arr(&w);
	jw_cstr(&w, "reasoning.encrypted_content");
	jw_end(&w);
	if (r->format.kind != IR_FMT_UNSET) {
		jw_key(&w, "text");
		jw_obj(&w);
		jw_key(&w, "format");
		jw_obj(&w);
		if (r->format.kind == IR_FMT_JSON_SCHEMA) {
			jw_kstr(&w, "type", "json_schema");
			jw_kstr(&w, "name", r->format.name ? r->format.name : "response");
			if (r->format.description.p)
				jw_kirs(&w, "description", r->format.description);
			jw_kraw(&w, "schema", r->format.schema);
			if (r->format.strict >= 0)
				jw_kbool(&w, "strict", r->format.strict);
		} else {
			jw_kstr(&w, "type", r->format.kind == IR_FMT_JSON_OBJECT ? "json_object" : "text");
		}
		jw_end(&w);
		jw_end(&w);
	}
	if (r->gen.has_max_tokens)
		jw_kint(&w, "max_output_tokens", r->gen.max_tokens);
	if (r->gen.has_temperature) {
		jw_key(&w, "temperature");
		jw_double(&w, r->gen.temperature);
	}
	if (r->gen.has_top_p) {
		jw_key(&w, "top_p");
		jw_double(&w, r->gen.top_p);
	}
	/* Client identity fields mean the same only between OpenAI's APIs. */
	if (r->family == IR_FAM_RESPONSES || r->family == IR_FAM_OPENAI) {
		if (r->metadata.p)
			jw_kraw(&w, "metadata", r->metadata);
		if (r->user)
			jw_kstr(&w, "user", r->user);
	}
	jw_end(&w);
	if (jw_error(&w))
		return out_err(jw_error(&w), true, e);
	return 0;
}

static int resp_passthrough(struct xlate_ctx *c, const char *json, size_t n, const char *model,
			    bool stream, struct buf *out, struct apierr *e)
{
	return xlate_json_edit(c, json, n, model, "stream", stream, out, e);
}

/* ---- output items (client side) ------------------------------------------------ */

static void put_usage(struct jsonw *w, const struct ir_usage *u)
{
	jw_key(w, "usage");
	if (!u->has_input && !u->has_output && !u->has_total) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_kint(w, "input_tokens", u->input);
	jw_key(w, "input_tokens_details");
	jw_obj(w);
	jw_kint(w, "cached_tokens", u->has_cached ? u->cached : 0);
	jw_end(w);
	jw_kint(w, "output_tokens", u->output);
	jw_key(w, "output_tokens_details");
	jw_obj(w);
	jw_kint(w, "reasoning_tokens", u->has_reasoning ? u->reasoning : 0);
	jw_end(w);
	jw_kint(w, "total_tokens", u->has_total ? u->total : u->input + u->output);
	jw_end(w);
}

static void put_output_text(struct jsonw *w, struct ir_str text)
{
	jw_obj(w);
	jw_kstr(w, "type", "output_text");
	jw_key(w, "annotations");
	jw_arr(w);
	jw_end(w);
	jw_key(w, "logprobs");
	jw_arr(w);
	jw_end(w);
	jw_kirs(w, "text", text);
	jw_end(w);
}

static void put_msg_item(struct jsonw *w, const char *id, bool done, struct ir_str text)
{
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "type", "message");
	jw_kstr(w, "status", done ? "completed" : "in_progress");
	jw_key(w, "content");
	jw_arr(w);
	if (done)
		put_output_text(w, text);
	jw_end(w);
	jw_kstr(w, "role", "assistant");
	jw_end(w);
}

static void put_summary_part(struct jsonw *w, struct ir_str text)
{
	jw_obj(w);
	jw_kstr(w, "type", "summary_text");
	jw_kirs(w, "text", text);
	jw_end(w);
}

/* A reasoning item; enc: encrypted_content as the client gets it (absent:
   no key). */
static void put_reasoning_item(struct jsonw *w, const char *id, bool summary, struct ir_str text,
			       struct ir_str enc)
{
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "type", "reasoning");
	jw_key(w, "summary");
	jw_arr(w);
	if (summary)
		put_summary_part(w, text);
	jw_end(w);
	if (enc.p)
		jw_kirs(w, "encrypted_content", enc);
	jw_end(w);
}

static void put_call_item(struct jsonw *w, const char *id, bool done, const char *call_id,
			  const char *name, bool custom, struct ir_str body)
{
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "type", custom ? "custom_tool_call" : "function_call");
	jw_kstr(w, "status", done ? "completed" : "in_progress");
	if (custom) {
		jw_kstr(w, "call_id", call_id);
		jw_kstr(w, "name", name);
		jw_kirs(w, "input", body);
	} else {
		jw_kirs(w, "arguments", body);
		jw_kstr(w, "call_id", call_id);
		jw_kstr(w, "name", name);
	}
	jw_end(w);
}

/* ---- the response object ------------------------------------------------------ */

struct robj {
	const char *id;
	int64_t created;
	const char *status;
	const char *model;
	const char *incomplete; /* incomplete_details.reason */
	const char *err_code, *err_msg;
	struct ir_str output;   /* raw JSON array */
	const struct ir_usage *usage;
	bool full;              /* echo the request's fields */
};

/* The inbound Responses request, parsed for echoing (NULL if none). */
static const struct json *req_json(struct xlate_ctx *c, struct json *j)
{
	if (!c->req || c->req->family != IR_FAM_RESPONSES || !c->req->raw.p)
		return NULL;
	if (json_parse(j, c->a, c->req->raw.p, c->req->raw.n) || json_kind(j, 0) != JSON_OBJECT)
		return NULL;
	return j;
}

static void echo(struct jsonw *w, struct arena *a, const struct json *rq, const char *key,
		 const char *dflt)
{
	int v = rq ? json_get(rq, 0, key) : -1;
	size_t n;
	const char *t;

	if (v >= 0) {
		t = json_text(rq, v, &n);
		jw_key(w, key);
		jw_raw_min(w, a, t, n);
	} else if (dflt) {
		jw_key(w, key);
		jw_raw(w, dflt, strlen(dflt));
	}
}

static void put_response(struct jsonw *w, struct arena *a, const struct json *rq,
			 const struct robj *o)
{
	jw_obj(w);
	jw_kstr(w, "id", o->id);
	jw_kstr(w, "object", "response");
	jw_kint(w, "created_at", o->created);
	jw_kstr(w, "status", o->status);
	jw_kbool(w, "background", false);
	jw_key(w, "error");
	if (o->err_msg) {
		jw_obj(w);
		jw_kstr(w, "code", o->err_code);
		jw_kstr(w, "message", o->err_msg);
		jw_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "incomplete_details");
	if (o->incomplete) {
		jw_obj(w);
		jw_kstr(w, "reason", o->incomplete);
		jw_end(w);
	} else {
		jw_null(w);
	}
	if (o->full) {
		echo(w, a, rq, "instructions", "null");
		echo(w, a, rq, "max_output_tokens", "null");
		echo(w, a, rq, "max_tool_calls", NULL);
	}
	jw_kstr(w, "model", o->model);
	jw_key(w, "output");
	if (o->output.p)
		jw_raw(w, o->output.p, o->output.n);
	else
		jw_raw(w, "[]", 2);
	if (o->full) {
		echo(w, a, rq, "parallel_tool_calls", "true");
		echo(w, a, rq, "previous_response_id", "null");
		echo(w, a, rq, "prompt_cache_key", NULL);
		echo(w, a, rq, "reasoning", NULL);
		echo(w, a, rq, "safety_identifier", NULL);
		echo(w, a, rq, "service_tier", NULL);
		echo(w, a, rq, "store", NULL);
		echo(w, a, rq, "temperature", NULL);
		echo(w, a, rq, "text", NULL);
		echo(w, a, rq, "tool_choice", "\"auto\"");
		echo(w, a, rq, "tools", "[]");
		echo(w, a, rq, "top_logprobs", NULL);
		echo(w, a, rq, "top_p", NULL);
		echo(w, a, rq, "truncation", NULL);
	}
	if (o->usage)
		put_usage(w, o->usage);
	if (o->full) {
		echo(w, a, rq, "user", NULL);
		echo(w, a, rq, "metadata", "{}");
	}
	jw_end(w);
}

static const char *client_resp_id(struct xlate_ctx *c, const char *id)
{
	if (prefixed(id, "resp_"))
		return id;
	return xlate_id(c, "resp_", ID_LEN);
}

static const char *incomplete_reason(enum ir_stop stop)
{
	if (stop == IR_STOP_MAX_TOKENS)
		return "max_output_tokens";
	if (stop == IR_STOP_SAFETY)
		return "content_filter";
	return NULL;
}

/* ---- response encoding (non-stream) --------------------------------------------- */

static int put_resp_part(struct xlate_ctx *c, struct jsonw *w, const struct ir_part *p)
{
	const char *id;
	bool custom;

	switch (p->kind) {
	case IR_PART_TEXT:
		if (!(id = xlate_id(c, "msg_", ID_LEN)))
			return -ENOMEM;
		put_msg_item(w, id, true, p->text);
		break;
	case IR_PART_THINKING:
		if (!(id = xlate_id(c, "rs_", ID_LEN)))
			return -ENOMEM;
		put_reasoning_item(w, id, p->text.n > 0, p->text,
				   client_sig(c->a, p->signature, p->sig_family, false));
		break;
	case IR_PART_REDACTED_THINKING:
		if (!(id = xlate_id(c, "rs_", ID_LEN)))
			return -ENOMEM;
		put_reasoning_item(w, id, false, IR_STR_NONE,
				   client_sig(c->a, p->signature, p->sig_family, true));
		break;
	case IR_PART_TOOL_CALL:
		custom = p->custom || custom_tool(c->req, p->name);
		if (!(id = xlate_id(c, custom ? "ctc_" : "fc_", ID_LEN)))
			return -ENOMEM;
		put_call_item(w, id, true, p->call_id, p->name, custom,
			      p->custom ? p->text
			      : custom ? unwrap_input(c->a, p->args)
				       : (p->args.p ? p->args : IR_STR_LIT("{}")));
		break;
	default:
		break; /* images have no Responses output item here */
	}
	return 0;
}

static int resp_encode_response(struct xlate_ctx *c, const struct ir_response *r, struct buf *out,
				struct apierr *e)
{
	struct json rqj;
	const struct json *rq = req_json(c, &rqj);
	struct buf items;
	struct jsonw w;
	struct robj o;
	size_t i;
	int rc;

	buf_init(&items, c->a, out->max);
	jw_init(&w, &items);
	jw_arr(&w);
	for (i = 0; i < r->nparts; i++)
		if ((rc = put_resp_part(c, &w, &r->parts[i])) < 0)
			return out_err(rc, false, e);
	jw_end(&w);
	if (jw_error(&w))
		return out_err(jw_error(&w), false, e);

	memset(&o, 0, sizeof(o));
	o.id = client_resp_id(c, r->id);
	if (!o.id)
		return out_err(-ENOMEM, false, e);
	o.created = r->created ? r->created : c->created;
	o.incomplete = incomplete_reason(r->stop);
	o.status = o.incomplete ? "incomplete" : "completed";
	o.model = c->client_model ? c->client_model : r->model;
	o.output = (struct ir_str){ items.p, items.len };
	o.usage = &r->usage;
	o.full = true;
	jw_init(&w, out);
	put_response(&w, c->a, rq, &o);
	if (jw_error(&w))
		return out_err(jw_error(&w), false, e);
	return 0;
}

/* ---- response decoding (non-stream and stream items) ----------------------------- */

static void dec_usage(struct jx *x, int u, struct ir_usage *ret)
{
	const struct json *j = &x->j;

	if (json_kind(j, u) != JSON_OBJECT)
		return;
	ret->has_input = jx_int(x, json_get(j, u, "input_tokens"), &ret->input);
	ret->has_output = jx_int(x, json_get(j, u, "output_tokens"), &ret->output);
	ret->has_total = jx_int(x, json_get(j, u, "total_tokens"), &ret->total);
	ret->has_cached = jx_int(x, json_path(j, u, "input_tokens_details", "cached_tokens", NULL),
				 &ret->cached);
	ret->has_reasoning = jx_int(x, json_path(j, u, "output_tokens_details", "reasoning_tokens",
						 NULL),
				    &ret->reasoning);
}

/* Summary (or reasoning content) texts of a reasoning item, joined. */
static struct ir_str reasoning_text(struct jx *x, int item)
{
	const struct json *j = &x->j;
	struct joiner jn;
	int k, arr;

	buf_init(&jn.b, x->c->a, LIMIT_UPSTREAM_BODY);
	jn.any = false;
	arr = json_get(j, item, "summary");
	for (k = json_kind(j, arr) == JSON_ARRAY ? json_first(j, arr) : -1; k >= 0; k = json_after(j, k))
		join_add(&jn, jx_str(x, json_get(j, k, "text")), "\n\n");
	if (!jn.any) {
		arr = json_get(j, item, "content");
		for (k = json_kind(j, arr) == JSON_ARRAY ? json_first(j, arr) : -1; k >= 0;
		     k = json_after(j, k))
			join_add(&jn, jx_str(x, json_get(j, k, "text")), "\n\n");
	}
	if (jn.b.err)
		x->err = jn.b.err;
	return (struct ir_str){ jn.b.p ? jn.b.p : "", jn.b.len };
}

/* One output item -> response parts (message content, reasoning, calls). */
static int item_parts(struct jx *x, int item, struct ir_response *resp)
{
	const struct json *j = &x->j;
	const char *type = jx_gets(x, item, "type");
	struct ir_part *p;
	int k, c;

	if (streq(type, "message")) {
		c = json_get(j, item, "content");
		for (k = json_kind(j, c) == JSON_ARRAY ? json_first(j, c) : -1; k >= 0;
		     k = json_after(j, k)) {
			const char *pt = jx_gets(x, k, "type");
			struct ir_str t;
			if (streq(pt, "output_text") || streq(pt, "text"))
				t = jx_str(x, json_get(j, k, "text"));
			else if (streq(pt, "refusal"))
				t = jx_str(x, json_get(j, k, "refusal"));
			else
				continue;
			if (!t.p)
				continue;
			if (!(p = ir_add_resp_part(x->c->a, resp, IR_PART_TEXT)))
				return -ENOMEM;
			p->text = t;
		}
	} else if (streq(type, "reasoning")) {
		struct ir_str text = reasoning_text(x, item);
		struct ir_str enc = jx_str(x, json_get(j, item, "encrypted_content"));
		struct ir_str sig = IR_STR_NONE;
		enum ir_family fam = IR_FAM_NONE;
		int redacted = 0;

		if (!text.n && (!enc.p || !enc.n))
			return x->err;
		if (enc.p && enc.n)
			redacted = untag_sig(enc, &sig, &fam);
		if (!(p = ir_add_resp_part(x->c->a, resp, redacted ? IR_PART_REDACTED_THINKING
								    : IR_PART_THINKING)))
			return -ENOMEM;
		if (!redacted)
			p->text = text;
		p->signature = sig;
		p->sig_family = fam;
	} else if (streq(type, "function_call") || streq(type, "custom_tool_call")) {
		const char *name = jx_gets(x, item, "name");
		if (!name || !*name)
			return x->err;
		if (!(p = ir_add_resp_part(x->c->a, resp, IR_PART_TOOL_CALL)))
			return -ENOMEM;
		p->name = xlate_name_orig(x->c, name);
		p->call_id = jx_gets(x, item, "call_id");
		if (!p->call_id || !*p->call_id)
			p->call_id = xlate_id(x->c, "call_", ID_LEN);
		if (!p->call_id)
			return -ENOMEM;
		if (streq(type, "custom_tool_call")) {
			p->custom = true;
			p->text = jx_str(x, json_get(j, item, "input"));
			if (!p->text.p)
				p->text = IR_STR_LIT("");
		} else {
			p->args = jx_str(x, json_get(j, item, "arguments"));
		}
	}
	return x->err;
}

static bool has_tool_call(const struct ir_response *r)
{
	size_t i;

	for (i = 0; i < r->nparts; i++)
		if (r->parts[i].kind == IR_PART_TOOL_CALL)
			return true;
	return false;
}

/* Stop reason of a finished response object. */
static enum ir_stop resp_stop(struct jx *x, int resp, bool tool, const char **ret_raw)
{
	const char *status = jx_gets(x, resp, "status");
	const char *reason = jx_gets(x, json_get(&x->j, resp, "incomplete_details"), "reason");

	*ret_raw = status;
	if (streq(status, "incomplete") || reason) {
		*ret_raw = reason ? reason : status;
		if (streq(reason, "max_output_tokens"))
			return IR_STOP_MAX_TOKENS;
		if (streq(reason, "content_filter"))
			return IR_STOP_SAFETY;
		return IR_STOP_OTHER;
	}
	return tool ? IR_STOP_TOOL_USE : IR_STOP_END_TURN;
}

static int resp_decode_response(struct xlate_ctx *c, const char *json, size_t n,
				struct ir_response *ret, struct apierr *e)
{
	struct jx x;
	const struct json *j = &x.j;
	int resp = 0, out, k, rc;
	size_t i;
	bool content = false;

	memset(&x, 0, sizeof(x));
	memset(ret, 0, sizeof(*ret));
	x.c = c;
	ret->family = IR_FAM_RESPONSES;
	rc = xlate_parse(c, &x.j, json, n, true, e);
	if (rc < 0)
		return rc;
	if (json_kind(j, 0) != JSON_OBJECT)
		return apierr_set(e, -EPROTO, 502, "api_error", "upstream response is not a JSON object");
	/* A response.completed event body also works. */
	if (json_kind(j, json_get(j, 0, "response")) == JSON_OBJECT)
		resp = json_get(j, 0, "response");
	if (streq(jx_gets(&x, resp, "status"), "failed") ||
	    json_kind(j, json_get(j, resp, "error")) == JSON_OBJECT) {
		int eo = json_get(j, resp, "error");
		const char *code = jx_gets(&x, eo, "code");
		const char *msg = jx_gets(&x, eo, "message");
		int st = status_for_code(code, 500);
		return apierr_set(e, -EPROTO, st, code ? code : apierr_type_for_status(st),
				  msg ? msg : "upstream response failed");
	}
	ret->id = jx_gets(&x, resp, "id");
	ret->model = jx_gets(&x, resp, "model");
	jx_int(&x, json_get(j, resp, "created_at"), &ret->created);
	out = json_get(j, resp, "output");
	for (k = json_kind(j, out) == JSON_ARRAY ? json_first(j, out) : -1; k >= 0;
	     k = json_after(j, k))
		if ((rc = item_parts(&x, k, ret)) < 0)
			return out_err(rc, false, e);
	dec_usage(&x, json_get(j, resp, "usage"), &ret->usage);
	ret->stop = resp_stop(&x, resp, has_tool_call(ret), &ret->stop_raw);
	if (x.err)
		return out_err(x.err, false, e);
	for (i = 0; i < ret->nparts; i++)
		if (ret->parts[i].kind != IR_PART_TEXT || ret->parts[i].text.n)
			content = true;
	if (!content)
		return apierr_set(e, -EAGAIN, 502, "api_error", "empty response from upstream");
	return 0;
}

/* ---- stream decoding ----------------------------------------------------------- */

struct rdec {
	bool started, stopped, saw_tool, any_block;
	int next;            /* next IR block index */
	int open;            /* open IR block index, -1 none */
	enum ir_block_kind kind;
	bool got;            /* the open block has content */
	int nsum;            /* thinking: summary parts seen */
	const char *item;    /* upstream item id of the open block */
	const char *cur;     /* upstream item id of the last block opened */
	int cur_blocks;      /* blocks opened for cur */
};

struct dctx {
	struct rdec *st;
	struct jx x;
	ir_emit_fn emit;
	void *arg;
};

static bool same_item(const char *a, const char *b)
{
	return !a || !b || strcmp(a, b) == 0;
}

static int d_emit(struct dctx *d, struct ir_event *ev)
{
	return d->emit(d->arg, ev);
}

static int d_start(struct dctx *d, int resp)
{
	struct ir_event ev;

	if (d->st->started)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_MESSAGE_START;
	ev.id = jx_gets(&d->x, resp, "id");
	ev.model = jx_gets(&d->x, resp, "model");
	jx_int(&d->x, json_get(&d->x.j, resp, "created_at"), &ev.created);
	if (d->x.err)
		return d->x.err;
	d->st->started = true;
	return d_emit(d, &ev);
}

static int d_close(struct dctx *d)
{
	struct ir_event ev;

	if (d->st->open < 0)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_BLOCK_STOP;
	ev.index = d->st->open;
	ev.block = d->st->kind;
	d->st->open = -1;
	return d_emit(d, &ev);
}

static int d_open(struct dctx *d, enum ir_block_kind kind, const char *item, const char *call_id,
		  const char *name, bool custom)
{
	struct rdec *st = d->st;
	struct ir_event ev;
	int rc;

	if ((rc = d_start(d, -1)) || (rc = d_close(d)))
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_BLOCK_START;
	ev.index = st->next++;
	ev.block = kind;
	ev.call_id = call_id;
	ev.name = name;
	ev.custom = custom;
	st->open = ev.index;
	st->kind = kind;
	st->got = false;
	st->nsum = 0;
	st->item = item;
	st->any_block = true;
	if (kind == IR_BLOCK_TOOL_CALL)
		st->saw_tool = true;
	if (item && streq(item, st->cur)) {
		st->cur_blocks++;
	} else {
		st->cur = item;
		st->cur_blocks = 1;
	}
	return d_emit(d, &ev);
}

static int d_open_redacted(struct dctx *d, const char *item, struct ir_str data,
			   enum ir_family fam)
{
	struct rdec *st = d->st;
	struct ir_event ev;
	int rc;

	if ((rc = d_start(d, -1)) || (rc = d_close(d)))
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_BLOCK_START;
	ev.index = st->next++;
	ev.block = IR_BLOCK_REDACTED_THINKING;
	ev.text = data;
	ev.sig_family = fam;
	st->open = ev.index;
	st->kind = ev.block;
	st->got = true;
	st->item = item;
	st->any_block = true;
	st->cur = item;
	st->cur_blocks = 1;
	return d_emit(d, &ev);
}

static int d_delta(struct dctx *d, enum ir_delta_kind dk, struct ir_str text, enum ir_family fam)
{
	struct ir_event ev;

	if (d->st->open < 0 || !text.p || !text.n)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_DELTA;
	ev.index = d->st->open;
	ev.block = d->st->kind;
	ev.delta = dk;
	ev.text = text;
	ev.sig_family = fam;
	if (dk != IR_DELTA_SIGNATURE)
		d->st->got = true;
	return d_emit(d, &ev);
}

static bool d_is_open(struct dctx *d, enum ir_block_kind kind, const char *item)
{
	return d->st->open >= 0 && d->st->kind == kind && same_item(d->st->item, item);
}

/* Make sure a block of kind is open for item (text and thinking only). */
static int d_ensure(struct dctx *d, enum ir_block_kind kind, const char *item)
{
	if (d_is_open(d, kind, item))
		return 0;
	return d_open(d, kind, item, NULL, NULL, false);
}

/* The call of a function_call / custom_tool_call item: block start, or 1 to
   skip an item without a name. */
static int d_open_call(struct dctx *d, int item, const char *iid)
{
	struct jx *x = &d->x;
	const char *type = jx_gets(x, item, "type");
	const char *name = jx_gets(x, item, "name");
	const char *call_id = jx_gets(x, item, "call_id");

	if (!name || !*name)
		return x->err ? x->err : 1;
	if (!call_id || !*call_id)
		call_id = xlate_id(x->c, "call_", ID_LEN);
	if (!call_id)
		return -ENOMEM;
	return d_open(d, IR_BLOCK_TOOL_CALL, iid, call_id, xlate_name_orig(x->c, name),
		      streq(type, "custom_tool_call"));
}

/* A whole item seen only in output_item.done or response.completed. */
static int d_whole_item(struct dctx *d, int item)
{
	struct jx *x = &d->x;
	struct ir_response tmp;
	size_t i;
	int rc;
	const char *iid = jx_gets(x, item, "id");

	memset(&tmp, 0, sizeof(tmp));
	if ((rc = item_parts(x, item, &tmp)) < 0)
		return rc;
	for (i = 0; i < tmp.nparts; i++) {
		const struct ir_part *p = &tmp.parts[i];
		switch (p->kind) {
		case IR_PART_TEXT:
			if ((rc = d_open(d, IR_BLOCK_TEXT, iid, NULL, NULL, false)) ||
			    (rc = d_delta(d, IR_DELTA_TEXT, p->text, IR_FAM_NONE)))
				return rc;
			break;
		case IR_PART_THINKING:
			if ((rc = d_open(d, IR_BLOCK_THINKING, iid, NULL, NULL, false)) ||
			    (rc = d_delta(d, IR_DELTA_THINKING, p->text, IR_FAM_NONE)) ||
			    (rc = d_delta(d, IR_DELTA_SIGNATURE, p->signature, p->sig_family)))
				return rc;
			break;
		case IR_PART_REDACTED_THINKING:
			if ((rc = d_open_redacted(d, iid, p->signature, p->sig_family)))
				return rc;
			break;
		case IR_PART_TOOL_CALL:
			if ((rc = d_open(d, IR_BLOCK_TOOL_CALL, iid, p->call_id, p->name, p->custom)) ||
			    (rc = d_delta(d, IR_DELTA_TOOL_ARGS, p->custom ? p->text : p->args,
					  IR_FAM_NONE)))
				return rc;
			break;
		default:
			continue;
		}
		if ((rc = d_close(d)))
			return rc;
	}
	return 0;
}

static int d_item_done(struct dctx *d, int item)
{
	struct jx *x = &d->x;
	struct rdec *st = d->st;
	const char *type = jx_gets(x, item, "type");
	const char *iid = jx_gets(x, item, "id");
	int rc;

	if (streq(type, "message")) {
		if (d_is_open(d, IR_BLOCK_TEXT, iid)) {
			if (!st->got && st->cur_blocks == 1) {
				struct ir_response tmp;
				size_t i;
				memset(&tmp, 0, sizeof(tmp));
				if ((rc = item_parts(x, item, &tmp)) < 0)
					return rc;
				for (i = 0; i < tmp.nparts; i++)
					if ((rc = d_delta(d, IR_DELTA_TEXT, tmp.parts[i].text,
							  IR_FAM_NONE)))
						return rc;
			}
			return d_close(d);
		}
		if (iid && streq(iid, st->cur) && st->cur_blocks > 0)
			return d_close(d);
		if ((rc = d_close(d)))
			return rc;
		return d_whole_item(d, item);
	}
	if (streq(type, "reasoning")) {
		if (d_is_open(d, IR_BLOCK_THINKING, iid)) {
			struct ir_str enc = jx_str(x, json_get(&x->j, item, "encrypted_content"));
			struct ir_str sig;
			enum ir_family fam;
			if (!st->got && (rc = d_delta(d, IR_DELTA_THINKING, reasoning_text(x, item),
						      IR_FAM_NONE)))
				return rc;
			/* (redacted data cannot turn an open thinking block around) */
			if (!untag_sig(enc, &sig, &fam) &&
			    (rc = d_delta(d, IR_DELTA_SIGNATURE, sig, fam)))
				return rc;
			return d_close(d);
		}
		if ((rc = d_close(d)))
			return rc;
		return d_whole_item(d, item);
	}
	if (streq(type, "function_call") || streq(type, "custom_tool_call")) {
		if (d_is_open(d, IR_BLOCK_TOOL_CALL, iid)) {
			bool custom = streq(type, "custom_tool_call");
			if (!st->got &&
			    (rc = d_delta(d, IR_DELTA_TOOL_ARGS,
					  jx_str(x, json_get(&x->j, item, custom ? "input" : "arguments")),
					  IR_FAM_NONE)))
				return rc;
			return d_close(d);
		}
		if ((rc = d_close(d)))
			return rc;
		return d_whole_item(d, item);
	}
	return 0;
}

static int d_error(struct dctx *d, int status, const char *type, const char *msg)
{
	struct ir_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_ERROR;
	ev.status = status >= 100 && status <= 599 ? status : 500;
	ev.err_type = type ? type : apierr_type_for_status(ev.status);
	ev.message = ir_str_c(msg ? msg : "upstream error");
	d->st->stopped = true;
	return d_emit(d, &ev);
}

static int d_finish(struct dctx *d, int resp)
{
	struct jx *x = &d->x;
	struct rdec *st = d->st;
	struct ir_event ev;
	int rc, k, out;

	if ((rc = d_start(d, resp)) || (rc = d_close(d)))
		return rc;
	/* The original's quirk: items only in response.completed.output. */
	if (!st->any_block) {
		out = json_get(&x->j, resp, "output");
		for (k = json_kind(&x->j, out) == JSON_ARRAY ? json_first(&x->j, out) : -1; k >= 0;
		     k = json_after(&x->j, k))
			if ((rc = d_whole_item(d, k)))
				return rc;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_MESSAGE_STOP;
	dec_usage(x, json_get(&x->j, resp, "usage"), &ev.usage);
	ev.stop = resp_stop(x, resp, st->saw_tool, &ev.stop_raw);
	if (x->err)
		return x->err;
	st->stopped = true;
	return d_emit(d, &ev);
}

static int resp_dec_init(void *state, struct xlate_ctx *c)
{
	struct rdec *st = state;

	memset(st, 0, sizeof(*st));
	st->open = -1;
	return 0;
}

static int resp_decode_event(void *state, struct xlate_ctx *c, const struct sse_event *sev,
			     ir_emit_fn emit, void *arg)
{
	struct dctx d;
	struct jx *x = &d.x;
	const struct json *j = &x->j;
	struct rdec *st = state;
	const char *type, *iid;
	int rc, v;

	if (st->stopped || !sev->data_len)
		return 0;
	memset(&d, 0, sizeof(d));
	d.st = st;
	d.emit = emit;
	d.arg = arg;
	x->c = c;
	rc = json_parse(&x->j, c->a, sev->data, sev->data_len);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0 || json_kind(j, 0) != JSON_OBJECT) {
		if (sev->data_len == 6 && !memcmp(sev->data, "[DONE]", 6))
			return 0;
		return d_error(&d, 502, "api_error", "invalid JSON in upstream stream");
	}
	type = jx_gets(x, 0, "type");
	if (!type && sev->event_len)
		type = arena_strndup(c->a, sev->event, sev->event_len);
	if (!type)
		return x->err;
	iid = jx_gets(x, 0, "item_id");

	if (streq(type, "response.created") || streq(type, "response.in_progress") ||
	    streq(type, "response.queued")) {
		rc = d_start(&d, json_get(j, 0, "response"));
	} else if (streq(type, "response.output_item.added")) {
		int item = json_get(j, 0, "item");
		const char *it = jx_gets(x, item, "type");
		const char *id = jx_gets(x, item, "id");
		/* Text and thinking blocks open with their first content (an
		   empty reasoning item makes no block); calls open here. */
		rc = d_close(&d);
		if (rc == 0 && (streq(it, "function_call") || streq(it, "custom_tool_call")))
			rc = d_open_call(&d, item, id);
		else if (rc == 0)
			rc = d_start(&d, -1);
		if (rc > 0)
			rc = 0; /* a call without a name: its events are ignored */
	} else if (streq(type, "response.content_part.added")) {
		const char *pt = jx_gets(x, json_get(j, 0, "part"), "type");
		if (streq(pt, "output_text") || streq(pt, "refusal"))
			rc = d_open(&d, IR_BLOCK_TEXT, iid, NULL, NULL, false);
		else
			rc = 0;
	} else if (streq(type, "response.output_text.delta") || streq(type, "response.refusal.delta")) {
		if (!(rc = d_ensure(&d, IR_BLOCK_TEXT, iid)))
			rc = d_delta(&d, IR_DELTA_TEXT, jx_str(x, json_get(j, 0, "delta")), IR_FAM_NONE);
	} else if (streq(type, "response.output_text.done") || streq(type, "response.refusal.done")) {
		v = json_get(j, 0, streq(type, "response.output_text.done") ? "text" : "refusal");
		if (!(rc = d_ensure(&d, IR_BLOCK_TEXT, iid)) && !st->got)
			rc = d_delta(&d, IR_DELTA_TEXT, jx_str(x, v), IR_FAM_NONE);
	} else if (streq(type, "response.content_part.done")) {
		int part = json_get(j, 0, "part");
		rc = 0;
		if (d_is_open(&d, IR_BLOCK_TEXT, iid)) {
			if (!st->got)
				rc = d_delta(&d, IR_DELTA_TEXT,
					     jx_str(x, json_get(j, part, streq(jx_gets(x, part, "type"),
										"refusal")
									     ? "refusal"
									     : "text")),
					     IR_FAM_NONE);
			if (!rc)
				rc = d_close(&d);
		}
	} else if (streq(type, "response.reasoning_summary_part.added")) {
		if (!(rc = d_ensure(&d, IR_BLOCK_THINKING, iid))) {
			if (st->nsum++ > 0 && st->got)
				rc = d_delta(&d, IR_DELTA_THINKING, IR_STR_LIT("\n\n"), IR_FAM_NONE);
		}
	} else if (streq(type, "response.reasoning_summary_text.delta") ||
		   streq(type, "response.reasoning_text.delta")) {
		if (!(rc = d_ensure(&d, IR_BLOCK_THINKING, iid)))
			rc = d_delta(&d, IR_DELTA_THINKING, jx_str(x, json_get(j, 0, "delta")),
				     IR_FAM_NONE);
	} else if (streq(type, "response.function_call_arguments.delta") ||
		   streq(type, "response.custom_tool_call_input.delta")) {
		rc = 0;
		if (d_is_open(&d, IR_BLOCK_TOOL_CALL, iid))
			rc = d_delta(&d, IR_DELTA_TOOL_ARGS, jx_str(x, json_get(j, 0, "delta")),
				     IR_FAM_NONE);
	} else if (streq(type, "response.function_call_arguments.done") ||
		   streq(type, "response.custom_tool_call_input.done")) {
		rc = 0;
		if (d_is_open(&d, IR_BLOCK_TOOL_CALL, iid) && !st->got)
			rc = d_delta(&d, IR_DELTA_TOOL_ARGS,
				     jx_str(x, json_get(j, 0, streq(type, "response.function_call_arguments.done")
								     ? "arguments"
								     : "input")),
				     IR_FAM_NONE);
	} else if (streq(type, "response.output_item.done")) {
		if (!(rc = d_start(&d, -1)))
			rc = d_item_done(&d, json_get(j, 0, "item"));
	} else if (streq(type, "response.completed") || streq(type, "response.done") ||
		   streq(type, "response.incomplete")) {
		rc = d_finish(&d, json_get(j, 0, "response"));
	} else if (streq(type, "response.failed")) {
		int eo = json_path(j, 0, "response", "error", NULL);
		const char *code = jx_gets(x, eo, "code");
		rc = d_error(&d, status_for_code(code, 500), NULL, jx_gets(x, eo, "message"));
	} else if (streq(type, "error")) {
		int eo = json_get(j, 0, "error");
		const char *code, *msg;
		if (json_kind(j, eo) != JSON_OBJECT)
			eo = 0;
		code = jx_gets(x, eo, "code");
		if (!code)
			code = jx_gets(x, eo, "type");
		msg = jx_gets(x, eo, "message");
		rc = d_error(&d, status_for_code(code, 500), NULL, msg);
	} else {
		rc = 0; /* web_search_call progress, annotations, ... */
	}
	if (rc)
		return rc;
	return x->err;
}

static int resp_decode_end(void *state, struct xlate_ctx *c, ir_emit_fn emit, void *arg)
{
	struct rdec *st = state;
	struct dctx d;

	if (st->stopped)
		return 0;
	memset(&d, 0, sizeof(d));
	d.st = st;
	d.emit = emit;
	d.arg = arg;
	d.x.c = c;
	return d_error(&d, 502, "api_error", "upstream stream ended early");
}

/* ---- stream encoding ----------------------------------------------------------- */

struct renc_state {
	struct json rqj;
	const struct json *rq;
	bool started, finished;
	int64_t seq;
	const char *id, *model;
	int64_t created;
	int nout;               /* output items so far = next output_index */
	/* the open item */
	bool open, skip, part_open, custom, wrap;
	enum ir_block_kind kind;
	int out;                /* its output_index */
	const char *item_id, *call_id, *name;
	enum ir_family sig_family;
	struct buf text, sig, items, scratch, item;
	struct jsonw w, iw;
	struct ir_usage usage;
};

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

static struct jsonw *ev_begin(struct renc_state *st, const char *type)
{
	buf_reset(&st->scratch);
	jw_init(&st->w, &st->scratch);
	jw_obj(&st->w);
	jw_kstr(&st->w, "type", type);
	jw_kint(&st->w, "sequence_number", st->seq++);
	return &st->w;
}

static int ev_end(struct renc_state *st, struct buf *out, const char *type)
{
	jw_end(&st->w);
	if (jw_error(&st->w))
		return jw_error(&st->w);
	return sse_write(out, type, st->scratch.p, st->scratch.len);
}

static void ev_item_ref(struct renc_state *st, struct jsonw *w)
{
	jw_kstr(w, "item_id", st->item_id);
	jw_kint(w, "output_index", st->out);
}

static int e_resp_event(struct xlate_ctx *c, struct renc_state *st, struct buf *out,
			const char *type, const char *status, bool final, const char *err_code,
			const char *err_msg, const char *incomplete)
{
	struct jsonw *w = ev_begin(st, type);
	struct robj o;

	memset(&o, 0, sizeof(o));
	o.id = st->id;
	o.created = st->created;
	o.status = status;
	o.model = st->model;
	o.incomplete = incomplete;
	o.err_code = err_code;
	o.err_msg = err_msg;
	o.full = final;
	if (final) {
		buf_addc(&st->items, ']');
		o.output = (struct ir_str){ st->items.p, st->items.len };
		o.usage = &st->usage;
	}
	jw_key(w, "response");
	put_response(w, c->a, st->rq, &o);
	return ev_end(st, out, type);
}

static int e_start(struct xlate_ctx *c, struct renc_state *st, const struct ir_event *ev,
		   struct buf *out)
{
	int rc;

	if (st->started)
		return 0;
	st->started = true;
	st->id = client_resp_id(c, ev ? ev->id : NULL);
	st->model = c->client_model ? c->client_model : ev ? ev->model : NULL;
	st->created = ev && ev->created ? ev->created : c->created;
	if (!st->id)
		return -ENOMEM;
	if (ev)
		usage_merge(&st->usage, &ev->usage);
	if ((rc = e_resp_event(c, st, out, "response.created", "in_progress", false, NULL, NULL,
			       NULL)))
		return rc;
	return e_resp_event(c, st, out, "response.in_progress", "in_progress", false, NULL, NULL,
			    NULL);
}

/* The open item as it stands (for output_item.done); also kept for the
   final response's output. */
static struct ir_str e_item_json(struct xlate_ctx *c, struct renc_state *st)
{
	struct jsonw *w = &st->iw;
	struct ir_str text = { st->text.p ? st->text.p : "", st->text.len };
	struct ir_str sig = { st->sig.p, st->sig.len };

	buf_reset(&st->item);
	jw_init(w, &st->item);
	switch (st->kind) {
	case IR_BLOCK_TEXT:
		put_msg_item(w, st->item_id, true, text);
		break;
	case IR_BLOCK_THINKING:
		put_reasoning_item(w, st->item_id, st->part_open, text,
				   client_sig(c->a, sig, st->sig_family, false));
		break;
	case IR_BLOCK_REDACTED_THINKING:
		put_reasoning_item(w, st->item_id, false, IR_STR_NONE,
				   client_sig(c->a, sig, st->sig_family, true));
		break;
	case IR_BLOCK_TOOL_CALL:
		put_call_item(w, st->item_id, true, st->call_id, st->name, st->custom,
			      st->wrap ? unwrap_input(c->a, text) : text);
		break;
	case IR_BLOCK_IMAGE:
		break;
	}
	return (struct ir_str){ st->item.p, st->item.len };
}

static int e_item_done(struct xlate_ctx *c, struct renc_state *st, struct buf *out)
{
	struct ir_str item = e_item_json(c, st);
	struct jsonw *w;

	if (jw_error(&st->iw))
		return jw_error(&st->iw);
	w = ev_begin(st, "response.output_item.done");
	jw_kint(w, "output_index", st->out);
	jw_kraw(w, "item", item);
	if (st->items.len > 1)
		buf_addc(&st->items, ',');
	buf_add(&st->items, item.p, item.n);
	if (st->items.err)
		return st->items.err;
	return ev_end(st, out, "response.output_item.done");
}

static int e_block_start(struct xlate_ctx *c, struct renc_state *st, const struct ir_event *ev,
			 struct buf *out)
{
	struct jsonw *w;
	const char *prefix;
	int rc;

	st->open = true;
	st->skip = false;
	st->part_open = false;
	st->kind = ev->block;
	st->custom = st->wrap = false;
	st->sig_family = IR_FAM_NONE;
	buf_reset(&st->text);
	buf_reset(&st->sig);
	switch (ev->block) {
	case IR_BLOCK_TEXT:
		prefix = "msg_";
		break;
	case IR_BLOCK_THINKING:
	case IR_BLOCK_REDACTED_THINKING:
		prefix = "rs_";
		break;
	case IR_BLOCK_TOOL_CALL:
		st->custom = ev->custom || custom_tool(c->req, ev->name);
		st->wrap = st->custom && !ev->custom;
		st->call_id = ev->call_id;
		st->name = ev->name;
		prefix = st->custom ? "ctc_" : "fc_";
		break;
	default:
		st->skip = true; /* inline images: no Responses output item */
		return 0;
	}
	if (!(st->item_id = xlate_id(c, prefix, ID_LEN)))
		return -ENOMEM;
	st->out = st->nout++;
	if (ev->block == IR_BLOCK_REDACTED_THINKING) {
		buf_add(&st->sig, ev->text.p ? ev->text.p : "", ev->text.n);
		st->sig_family = ev->sig_family;
	}

	w = ev_begin(st, "response.output_item.added");
	jw_kint(w, "output_index", st->out);
	jw_key(w, "item");
	switch (ev->block) {
	case IR_BLOCK_TEXT:
		put_msg_item(w, st->item_id, false, IR_STR_NONE);
		break;
	case IR_BLOCK_TOOL_CALL:
		put_call_item(w, st->item_id, false, st->call_id, st->name, st->custom,
			      IR_STR_LIT(""));
		break;
	default:
		put_reasoning_item(w, st->item_id, false, IR_STR_NONE, IR_STR_NONE);
		break;
	}
	if ((rc = ev_end(st, out, "response.output_item.added")))
		return rc;
	if (ev->block == IR_BLOCK_TEXT) {
		w = ev_begin(st, "response.content_part.added");
		ev_item_ref(st, w);
		jw_kint(w, "content_index", 0);
		jw_key(w, "part");
		put_output_text(w, IR_STR_LIT(""));
		return ev_end(st, out, "response.content_part.added");
	}
	return 0;
}

static int e_delta(struct xlate_ctx *c, struct renc_state *st, const struct ir_event *ev,
		   struct buf *out)
{
	struct jsonw *w;
	const char *type;
	int rc;

	if (ev->delta == IR_DELTA_SIGNATURE) {
		if (st->kind == IR_BLOCK_THINKING) {
			buf_add(&st->sig, ev->text.p ? ev->text.p : "", ev->text.n);
			st->sig_family = ev->sig_family;
		}
		return st->sig.err;
	}
	if (!ev->text.n)
		return 0;
	buf_add(&st->text, ev->text.p, ev->text.n);
	if (st->text.err)
		return st->text.err;
	switch (st->kind) {
	case IR_BLOCK_TEXT:
		w = ev_begin(st, "response.output_text.delta");
		ev_item_ref(st, w);
		jw_kint(w, "content_index", 0);
		jw_kirs(w, "delta", ev->text);
		jw_key(w, "logprobs");
		jw_arr(w);
		jw_end(w);
		return ev_end(st, out, "response.output_text.delta");
	case IR_BLOCK_THINKING:
		if (!st->part_open) {
			st->part_open = true;
			w = ev_begin(st, "response.reasoning_summary_part.added");
			ev_item_ref(st, w);
			jw_kint(w, "summary_index", 0);
			jw_key(w, "part");
			put_summary_part(w, IR_STR_LIT(""));
			if ((rc = ev_end(st, out, "response.reasoning_summary_part.added")))
				return rc;
		}
		w = ev_begin(st, "response.reasoning_summary_text.delta");
		ev_item_ref(st, w);
		jw_kint(w, "summary_index", 0);
		jw_kirs(w, "delta", ev->text);
		return ev_end(st, out, "response.reasoning_summary_text.delta");
	case IR_BLOCK_TOOL_CALL:
		if (st->wrap)
			return 0; /* unwrapped at block stop */
		type = st->custom ? "response.custom_tool_call_input.delta"
				  : "response.function_call_arguments.delta";
		w = ev_begin(st, type);
		ev_item_ref(st, w);
		jw_kirs(w, "delta", ev->text);
		return ev_end(st, out, type);
	default:
		return 0;
	}
}

static int e_block_stop(struct xlate_ctx *c, struct renc_state *st, struct buf *out)
{
	struct ir_str text = { st->text.p ? st->text.p : "", st->text.len };
	struct jsonw *w;
	const char *type;
	int rc;

	st->open = false;
	if (st->skip)
		return 0;
	switch (st->kind) {
	case IR_BLOCK_TEXT:
		w = ev_begin(st, "response.output_text.done");
		ev_item_ref(st, w);
		jw_kint(w, "content_index", 0);
		jw_kirs(w, "text", text);
		jw_key(w, "logprobs");
		jw_arr(w);
		jw_end(w);
		if ((rc = ev_end(st, out, "response.output_text.done")))
			return rc;
		w = ev_begin(st, "response.content_part.done");
		ev_item_ref(st, w);
		jw_kint(w, "content_index", 0);
		jw_key(w, "part");
		put_output_text(w, text);
		if ((rc = ev_end(st, out, "response.content_part.done")))
			return rc;
		break;
	case IR_BLOCK_THINKING:
		if (!st->part_open)
			break;
		w = ev_begin(st, "response.reasoning_summary_text.done");
		ev_item_ref(st, w);
		jw_kint(w, "summary_index", 0);
		jw_kirs(w, "text", text);
		if ((rc = ev_end(st, out, "response.reasoning_summary_text.done")))
			return rc;
		w = ev_begin(st, "response.reasoning_summary_part.done");
		ev_item_ref(st, w);
		jw_kint(w, "summary_index", 0);
		jw_key(w, "part");
		put_summary_part(w, text);
		if ((rc = ev_end(st, out, "response.reasoning_summary_part.done")))
			return rc;
		break;
	case IR_BLOCK_TOOL_CALL:
		if (st->custom) {
			struct ir_str input = st->wrap ? unwrap_input(c->a, text) : text;
			if (st->wrap && input.n) {
				w = ev_begin(st, "response.custom_tool_call_input.delta");
				ev_item_ref(st, w);
				jw_kirs(w, "delta", input);
				if ((rc = ev_end(st, out, "response.custom_tool_call_input.delta")))
					return rc;
			}
			type = "response.custom_tool_call_input.done";
			w = ev_begin(st, type);
			ev_item_ref(st, w);
			jw_kirs(w, "input", input);
		} else {
			type = "response.function_call_arguments.done";
			w = ev_begin(st, type);
			ev_item_ref(st, w);
			jw_kirs(w, "arguments", text);
		}
		if ((rc = ev_end(st, out, type)))
			return rc;
		break;
	default:
		break;
	}
	return e_item_done(c, st, out);
}

static int e_failed(struct xlate_ctx *c, struct renc_state *st, int status, const char *msg,
		    struct buf *out)
{
	const char *code = code_for_status(status);
	struct jsonw *w;
	int rc;

	/* `error` for SDKs, then response.failed, which is what Codex CLI reads. */
	w = ev_begin(st, "error");
	jw_kstr(w, "code", code);
	jw_kstr(w, "message", msg);
	jw_key(w, "param");
	jw_null(w);
	if ((rc = ev_end(st, out, "error")))
		return rc;
	if (!st->id && !(st->id = client_resp_id(c, NULL)))
		return -ENOMEM;
	if (!st->created)
		st->created = c->created;
	if (!st->model)
		st->model = c->client_model;
	return e_resp_event(c, st, out, "response.failed", "failed", true, code, msg, NULL);
}

static int resp_enc_init(void *state, struct xlate_ctx *c)
{
	struct renc_state *st = state;

	memset(st, 0, sizeof(*st));
	st->rq = req_json(c, &st->rqj);
	buf_init(&st->text, c->a, LIMIT_UPSTREAM_BODY);
	buf_init(&st->sig, c->a, LIMIT_UPSTREAM_BODY);
	buf_init(&st->items, c->a, LIMIT_UPSTREAM_BODY);
	buf_init(&st->scratch, c->a, LIMIT_UPSTREAM_BODY);
	buf_init(&st->item, c->a, LIMIT_UPSTREAM_BODY);
	return buf_addc(&st->items, '[');
}

static int resp_encode_event(void *state, struct xlate_ctx *c, const struct ir_event *ev,
			     struct buf *out)
{
	struct renc_state *st = state;
	const char *reason;
	int rc;

	if (st->finished)
		return 0;
	switch (ev->kind) {
	case IR_EV_MESSAGE_START:
		return e_start(c, st, ev, out);
	case IR_EV_BLOCK_START:
		if ((rc = e_start(c, st, NULL, out)))
			return rc;
		if (st->open && (rc = e_block_stop(c, st, out)))
			return rc;
		return e_block_start(c, st, ev, out);
	case IR_EV_DELTA:
		if (!st->open || st->skip)
			return 0;
		return e_delta(c, st, ev, out);
	case IR_EV_BLOCK_STOP:
		if (!st->open)
			return 0;
		return e_block_stop(c, st, out);
	case IR_EV_USAGE:
		usage_merge(&st->usage, &ev->usage);
		return 0;
	case IR_EV_MESSAGE_STOP:
		if ((rc = e_start(c, st, NULL, out)))
			return rc;
		if (st->open && (rc = e_block_stop(c, st, out)))
			return rc;
		usage_merge(&st->usage, &ev->usage);
		st->finished = true;
		reason = incomplete_reason(ev->stop);
		return e_resp_event(c, st, out, reason ? "response.incomplete" : "response.completed",
				    reason ? "incomplete" : "completed", true, NULL, NULL, reason);
	case IR_EV_ERROR: {
		const char *msg = ev->message.p ? ir_str_dup(c->a, ev->message) : NULL;
		st->finished = true;
		return e_failed(c, st, ev->status, msg ? msg : "upstream error", out);
	}
	case IR_EV_PING:
		return 0;
	}
	return 0;
}

/* ---- errors --------------------------------------------------------------------- */

static int resp_decode_error(struct xlate_ctx *c, int status, const char *body, size_t n,
			     struct apierr *ret)
{
	struct jx x;
	const struct json *j = &x.j;
	const char *type = NULL, *msg = NULL;
	int eo;

	memset(&x, 0, sizeof(x));
	x.c = c;
	memset(ret, 0, sizeof(*ret));
	ret->status = status;
	if (n && json_parse(&x.j, c->a, body, n) == 0 && json_kind(j, 0) == JSON_OBJECT) {
		eo = json_get(j, 0, "error");
		if (json_kind(j, eo) == JSON_OBJECT) {
			msg = jx_gets(&x, eo, "message");
			type = jx_gets(&x, eo, "type");
			if (!type)
				type = jx_gets(&x, eo, "code");
		} else if (json_kind(j, eo) == JSON_STRING) {
			msg = jx_cstr(&x, eo);
		}
		if (!msg)
			msg = jx_gets(&x, 0, "message");
		if (!msg)
			msg = jx_gets(&x, 0, "detail");
	}
	if (!msg && n) {
		/* Not our shape (an HTML error page...): its text, bounded, cut
		   on a UTF-8 character boundary. */
		if (n > ERR_TEXT_MAX) {
			n = ERR_TEXT_MAX;
			while (n && ((unsigned char)body[n] & 0xC0) == 0x80)
				n--;
		}
		while (n && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' '))
			n--;
		msg = arena_strndup(c->a, body, n);
	}
	if (!msg || !*msg)
		msg = http_reason(status);
	ret->type = type && *type ? type : apierr_type_for_status(status);
	ret->message = msg;
	return x.err;
}

static int resp_encode_error(struct xlate_ctx *c, const struct apierr *err, bool in_stream,
			     struct buf *out)
{
	struct buf tmp;
	struct jsonw w;
	const char *code = code_for_status(err->status);
	const char *msg = err->message ? err->message : http_reason(err->status);
	const char *id;
	int rc;

	if (!in_stream) {
		jw_init(&w, out);
		jw_obj(&w);
		jw_key(&w, "error");
		jw_obj(&w);
		jw_kstr(&w, "message", msg);
		jw_kstr(&w, "type", err->type ? err->type : apierr_type_for_status(err->status));
		if (strcmp(code, "invalid_request_error"))
			jw_kstr(&w, "code", code);
		jw_end(&w);
		jw_end(&w);
		return jw_error(&w);
	}
	buf_init(&tmp, c->a, LIMIT_UPSTREAM_BODY);
	jw_init(&w, &tmp);
	jw_obj(&w);
	jw_kstr(&w, "type", "error");
	jw_kstr(&w, "code", code);
	jw_kstr(&w, "message", msg);
	jw_kint(&w, "sequence_number", 0);
	jw_end(&w);
	if ((rc = jw_error(&w)) || (rc = sse_write(out, "error", tmp.p, tmp.len)))
		return rc;
	/* Codex CLI only reads response.failed. */
	if (!(id = xlate_id(c, "resp_", ID_LEN)))
		return -ENOMEM;
	buf_reset(&tmp);
	jw_init(&w, &tmp);
	jw_obj(&w);
	jw_kstr(&w, "type", "response.failed");
	jw_kint(&w, "sequence_number", 1);
	jw_key(&w, "response");
	{
		struct robj o;
		memset(&o, 0, sizeof(o));
		o.id = id;
		o.created = c->created;
		o.status = "failed";
		o.model = c->client_model;
		o.err_code = code;
		o.err_msg = msg;
		put_response(&w, c->a, NULL, &o);
	}
	jw_end(&w);
	if ((rc = jw_error(&w)))
		return rc;
	return sse_write(out, "response.failed", tmp.p, tmp.len);
}

const struct family family_responses = {
	.name = "responses",
	.id = IR_FAM_RESPONSES,
	.decode_request = resp_decode_request,
	.encode_request = resp_encode_request,
	.passthrough_request = resp_passthrough,
	.decode_response = resp_decode_response,
	.encode_response = resp_encode_response,
	.dec_size = sizeof(struct rdec),
	.dec_init = resp_dec_init,
	.decode_event = resp_decode_event,
	.decode_end = resp_decode_end,
	.enc_size = sizeof(struct renc_state),
	.enc_init = resp_enc_init,
	.encode_event = resp_encode_event,
	.decode_error = resp_decode_error,
	.encode_error = resp_encode_error,
};
