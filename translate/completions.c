/*
 * completions.c - legacy /v1/completions <-> OpenAI Chat (completions.h):
 * the request becomes a chat body, chat.completion and chat chunks become
 * text_completion objects.  Refuses token-id prompts and mistyped fields
 * (400).  The stream side holds at most one unfinished event (ceiling set
 * at init) and rewrites each complete event as soon as it is in.
 */
#include "translate/completions.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"

/* ---- request -------------------------------------------------------------- */

enum field_kind { F_NUM, F_BOOL, F_STOP, F_OBJ, F_STR, F_LOGPROBS };

/* Copied in this order after model and messages. */
static const struct {
	const char *name;
	enum field_kind kind;
} fields[] = {
	{ "max_tokens", F_NUM },
	{ "temperature", F_NUM },
	{ "top_p", F_NUM },
	{ "frequency_penalty", F_NUM },
	{ "presence_penalty", F_NUM },
	{ "n", F_NUM },
	{ "stop", F_STOP },
	{ "stream", F_BOOL },
	{ "stream_options", F_OBJ },
	{ "logprobs", F_LOGPROBS },
	{ "top_logprobs", F_NUM },
	{ "echo", F_BOOL },
	{ "seed", F_NUM },
	{ "user", F_STR },
};

static int bad_field(struct arena *a, struct apierr *e, const char *name, const char *want)
{
	const char *msg = arena_printf(a, "%s must be %s", name, want);

	return apierr_set(e, -EINVAL, 400, "invalid_request_error",
			  msg ? msg : "a field has the wrong type");
}

static int out_err(struct buf *out, struct apierr *e)
{
	int r = out->err ? out->err : -ENOMEM;

	if (r == -E2BIG)
		return apierr_set(e, r, 413, "request_too_large", "request too large");
	return apierr_set(e, r, 500, "api_error", "out of memory");
}

/* The prompt as one text into t: string, or strings joined with "\n". */
static int prompt_text(struct arena *a, const struct json *j, int p, struct buf *t,
		       struct apierr *e)
{
	enum json_kind k = json_kind(j, p);
	size_t n;
	char *s;

	if (k == JSON_NONE || k == JSON_NULL)
		return 0;
	if (k == JSON_STRING) {
		s = json_str(j, p, a, &n);
		if (!s)
			return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
		buf_add(t, s, n);
		return 0;
	}
	if (k != JSON_ARRAY)
		return bad_field(a, e, "prompt", "a string or an array of strings");
	for (int el = json_first(j, p); el >= 0; el = json_after(j, el)) {
		enum json_kind ek = json_kind(j, el);

		if (ek == JSON_NUMBER || ek == JSON_ARRAY)
			return apierr_set(e, -EINVAL, 400, "invalid_request_error",
					  "prompt as token ids is not supported: send text");
		if (ek != JSON_STRING)
			return bad_field(a, e, "prompt", "a string or an array of strings");
		s = json_str(j, el, a, &n);
		if (!s)
			return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
		if (el != json_first(j, p))
			buf_addc(t, '\n');
		buf_add(t, s, n);
	}
	return 0;
}

static int copy_field(struct arena *a, const struct json *j, int v, const char *name,
		      enum field_kind kind, bool has_top, struct jsonw *w, struct apierr *e)
{
	enum json_kind k = json_kind(j, v);
	const char *t;
	size_t n;

	if (k == JSON_NONE || k == JSON_NULL)
		return 0;
	switch (kind) {
	case F_NUM:
		if (k != JSON_NUMBER)
			return bad_field(a, e, name, "a number");
		break;
	case F_BOOL:
		if (k != JSON_TRUE && k != JSON_FALSE)
			return bad_field(a, e, name, "a boolean");
		break;
	case F_STOP:
		if (k == JSON_ARRAY) {
			for (int el = json_first(j, v); el >= 0; el = json_after(j, el))
				if (json_kind(j, el) != JSON_STRING)
					return bad_field(a, e, name, "a string or an array of strings");
		} else if (k != JSON_STRING) {
			return bad_field(a, e, name, "a string or an array of strings");
		}
		break;
	case F_OBJ:
		if (k != JSON_OBJECT)
			return bad_field(a, e, name, "an object");
		break;
	case F_STR:
		if (k != JSON_STRING)
			return bad_field(a, e, name, "a string");
		break;
	case F_LOGPROBS:
		if (k == JSON_TRUE || k == JSON_FALSE)
			break;
		if (k != JSON_NUMBER)
			return bad_field(a, e, name, "an integer or a boolean");
		/* Legacy logprobs: N = "the N most likely tokens". */
		jw_key(w, "logprobs");
		jw_bool(w, true);
		if (!has_top) {
			t = json_text(j, v, &n);
			jw_key(w, "top_logprobs");
			jw_raw(w, t, n);
		}
		return 0;
	}
	t = json_text(j, v, &n);
	jw_key(w, name);
	jw_raw(w, t, n);
	return 0;
}

int completions_request(struct arena *a, const char *json, size_t n, struct buf *out,
			struct apierr *e)
{
	struct json j;
	struct jsonw w;
	struct buf text;
	int r, model, top;
	bool has_top;

	r = json_parse(&j, a, json, n);
	if (r == -E2BIG)
		return apierr_set(e, r, 413, "request_too_large", "request JSON too large");
	if (r == -ENOMEM)
		return apierr_set(e, r, 500, "api_error", "out of memory");
	if (r < 0 || json_kind(&j, 0) != JSON_OBJECT)
		return apierr_set(e, -EINVAL, 400, "invalid_request_error",
				  "request body must be a JSON object");
	buf_init(&text, a, n + sizeof(COMPLETIONS_DEFAULT_PROMPT));
	r = prompt_text(a, &j, json_get(&j, 0, "prompt"), &text, e);
	if (r < 0)
		return r;
	if (text.err)
		return out_err(&text, e);
	if (text.len == 0)
		buf_adds(&text, COMPLETIONS_DEFAULT_PROMPT);
	model = json_get(&j, 0, "model");
	if (model >= 0 && json_kind(&j, model) != JSON_STRING && json_kind(&j, model) != JSON_NULL)
		return bad_field(a, e, "model", "a string");
	top = json_get(&j, 0, "top_logprobs");
	has_top = top >= 0 && json_kind(&j, top) != JSON_NULL;

	jw_init(&w, out);
	jw_obj(&w);
	if (json_kind(&j, model) == JSON_STRING) {
		size_t mn;
		const char *mt = json_text(&j, model, &mn);
		jw_key(&w, "model");
		jw_raw(&w, mt, mn);
	}
	jw_key(&w, "messages");
	jw_arr(&w);
	jw_obj(&w);
	jw_kstr(&w, "role", "user");
	jw_key(&w, "content");
	jw_str(&w, text.p, text.len);
	jw_end(&w);
	jw_end(&w);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		r = copy_field(a, &j, json_get(&j, 0, fields[i].name), fields[i].name,
			       fields[i].kind, has_top, &w, e);
		if (r < 0)
			return r;
	}
	jw_end(&w);
	if (jw_error(&w) < 0)
		return out_err(out, e);
	return 0;
}

/* ---- response ------------------------------------------------------------- */

/* Raw JSON text of token i when it has kind k, else dflt. */
static void raw_or(struct jsonw *w, const struct json *j, int i, enum json_kind k,
		   const char *dflt)
{
	size_t n;
	const char *t;

	if (json_kind(j, i) == k) {
		t = json_text(j, i, &n);
		jw_raw(w, t, n);
	} else {
		jw_raw(w, dflt, strlen(dflt));
	}
}

/* Writes "id", "object", "created", "model" of the object at 0. */
static void write_head(struct jsonw *w, const struct json *j)
{
	jw_key(w, "id");
	raw_or(w, j, json_get(j, 0, "id"), JSON_STRING, "\"\"");
	jw_kstr(w, "object", "text_completion");
	jw_key(w, "created");
	raw_or(w, j, json_get(j, 0, "created"), JSON_NUMBER, "0");
	jw_key(w, "model");
	raw_or(w, j, json_get(j, 0, "model"), JSON_STRING, "\"\"");
}

/* message.content: a string, or text parts concatenated. */
static void write_content(struct jsonw *w, struct arena *a, const struct json *j, int c)
{
	struct buf t;

	if (json_kind(j, c) == JSON_STRING) {
		raw_or(w, j, c, JSON_STRING, "\"\"");
		return;
	}
	if (json_kind(j, c) != JSON_ARRAY) {
		jw_str(w, "", 0);
		return;
	}
	buf_init(&t, a, j->len + 1);
	for (int p = json_first(j, c); p >= 0; p = json_after(j, p)) {
		size_t n;
		char *s = json_str(j, json_get(j, p, "text"), a, &n);
		if (s)
			buf_add(&t, s, n);
	}
	jw_str(w, t.len ? t.p : "", t.len);
}

/* One choice; text from msg_key ("message" or "delta"). */
static void write_choice(struct jsonw *w, struct arena *a, const struct json *j, int ch, int pos,
			 const char *msg_key)
{
	jw_obj(w);
	jw_key(w, "text");
	write_content(w, a, j, json_get(j, json_get(j, ch, msg_key), "content"));
	jw_key(w, "index");
	if (json_kind(j, json_get(j, ch, "index")) == JSON_NUMBER)
		raw_or(w, j, json_get(j, ch, "index"), JSON_NUMBER, "0");
	else
		jw_int(w, pos);
	jw_key(w, "logprobs");
	jw_null(w);
	jw_key(w, "finish_reason");
	raw_or(w, j, json_get(j, ch, "finish_reason"), JSON_STRING, "null");
	jw_end(w);
}

static void write_usage(struct jsonw *w, const struct json *j)
{
	int u = json_get(j, 0, "usage");
	enum json_kind k = json_kind(j, u);

	if (k != JSON_NONE && k != JSON_NULL) {
		jw_key(w, "usage");
		raw_or(w, j, u, k, "null");
	}
}

int completions_response(struct arena *a, const char *json, size_t n, struct buf *out,
			 struct apierr *e)
{
	struct json j;
	struct jsonw w;
	int r, choices, pos = 0;

	r = json_parse(&j, a, json, n);
	if (r == -ENOMEM)
		return apierr_set(e, r, 500, "api_error", "out of memory");
	if (r < 0 || json_kind(&j, 0) != JSON_OBJECT)
		return apierr_set(e, -EPROTO, 502, "api_error", "chat answer is not a JSON object");
	choices = json_get(&j, 0, "choices");
	if (json_kind(&j, choices) != JSON_ARRAY) {
		if (buf_add(out, json, n) < 0)
			return apierr_set(e, out->err, 502, "api_error", "response too large");
		return 0;
	}
	jw_init(&w, out);
	jw_obj(&w);
	write_head(&w, &j);
	jw_key(&w, "choices");
	jw_arr(&w);
	for (int ch = json_first(&j, choices); ch >= 0; ch = json_after(&j, ch), pos++)
		write_choice(&w, a, &j, ch, pos, "message");
	jw_end(&w);
	write_usage(&w, &j);
	jw_end(&w);
	if (jw_error(&w) < 0)
		return apierr_set(e, jw_error(&w), jw_error(&w) == -ENOMEM ? 500 : 502, "api_error",
				  "response too large");
	return 0;
}

/* ---- stream --------------------------------------------------------------- */

void completions_stream_init(struct completions_stream *st, struct arena *a, size_t max)
{
	memset(st, 0, sizeof(*st));
	st->a = a;
	buf_init(&st->pending, a, max);
}

/* Does the chunk carry anything a legacy client sees? */
static bool chunk_worth(const struct json *j, int choices)
{
	int u = json_get(j, 0, "usage");

	if (u >= 0 && json_kind(j, u) != JSON_NULL)
		return true;
	for (int ch = json_first(j, choices); ch >= 0; ch = json_after(j, ch)) {
		int c = json_get(j, json_get(j, ch, "delta"), "content");
		int f = json_get(j, ch, "finish_reason");
		size_t n = 0;

		if (json_kind(j, c) == JSON_STRING && json_raw(j, c, &n) && n > 0)
			return true;
		if (json_kind(j, c) == JSON_ARRAY && json_size(j, c) > 0)
			return true;
		if (json_kind(j, f) == JSON_STRING && json_raw(j, f, &n) && n > 0)
			return true;
	}
	return false;
}

/* One event whose data is d: 1 = rewritten (or dropped), 0 = not ours. */
static int convert_data(struct completions_stream *st, const char *d, size_t n, struct buf *out)
{
	struct json j;
	struct jsonw w;
	int choices, pos = 0;

	if (n == 6 && memcmp(d, "[DONE]", 6) == 0) {
		st->done = true;
		buf_adds(out, "data: [DONE]\n\n");
		return out->err ? out->err : 1;
	}
	if (json_parse(&j, st->a, d, n) < 0 || json_kind(&j, 0) != JSON_OBJECT)
		return 0;
	choices = json_get(&j, 0, "choices");
	if (json_kind(&j, choices) != JSON_ARRAY)
		return 0;
	if (!chunk_worth(&j, choices))
		return 1;
	buf_adds(out, "data: ");
	jw_init(&w, out);
	jw_obj(&w);
	write_head(&w, &j);
	jw_key(&w, "choices");
	jw_arr(&w);
	for (int ch = json_first(&j, choices); ch >= 0; ch = json_after(&j, ch), pos++)
		write_choice(&w, st->a, &j, ch, pos, "delta");
	jw_end(&w);
	write_usage(&w, &j);
	jw_end(&w);
	buf_adds(out, "\n\n");
	if (jw_error(&w) < 0)
		return jw_error(&w);
	return out->err ? out->err : 1;
}

/* Length of the line at p (up to end) without its "\r\n" / "\n". */
static size_t line_len(const char *p, const char *nl)
{
	size_t n = (size_t)(nl - p);

	return n && p[n - 1] == '\r' ? n - 1 : n;
}

/* One complete event <ev, n> (lines, the blank line excluded); whole is
   the event with its terminator, copied when the event is not ours. */
static int convert_event(struct completions_stream *st, const char *ev, size_t n,
			 const char *whole, size_t whole_n, struct buf *out)
{
	const char *p = ev, *end = ev + n, *d = NULL;
	struct buf data;
	size_t dn = 0;
	int ndata = 0, r;

	if (n == 0)
		return 0; /* a stray blank line: no event */
	buf_init(&data, st->a, n + 1);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ln;

		if (!nl)
			nl = end;
		ln = line_len(p, nl);
		if (ln >= 5 && memcmp(p, "data:", 5) == 0) {
			const char *v = p + 5;
			size_t vn = ln - 5;
			if (vn && *v == ' ')
				v++, vn--;
			if (ndata == 1)
				buf_add(&data, d, dn);
			if (ndata >= 1) {
				buf_addc(&data, '\n');
				buf_add(&data, v, vn);
			} else {
				d = v;
				dn = vn;
			}
			ndata++;
		}
		p = nl + 1;
	}
	if (ndata > 1) {
		if (data.err)
			return data.err;
		d = data.p;
		dn = data.len;
	}
	r = ndata ? convert_data(st, d, dn, out) : 0;
	if (r < 0)
		return r;
	if (r == 0)
		buf_add(out, whole, whole_n);
	return out->err;
}

int completions_stream_frame(struct completions_stream *st, const char *frame, size_t n,
			     struct buf *out)
{
	struct buf *b = &st->pending;
	size_t start = 0, pos = st->scanned;
	int r = 0;

	if (n && buf_add(b, frame, n) < 0)
		return b->err;
	/* pos: the start of the first line not yet looked at. */
	while (pos < b->len) {
		const char *nl = memchr(b->p + pos, '\n', b->len - pos);

		if (!nl)
			break;
		if (line_len(b->p + pos, nl) == 0) {
			size_t next = (size_t)(nl - b->p) + 1;
			r = convert_event(st, b->p + start, pos - start, b->p + start, next - start,
					  out);
			if (r < 0)
				break;
			start = next;
		}
		pos = (size_t)(nl - b->p) + 1;
	}
	buf_consume(b, start);
	st->scanned = pos - start;
	return r;
}
