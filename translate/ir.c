/*
 * ir.c - the canonical conversation: arena array builders, small shared
 * helpers (data URLs, effort <-> budget, signature policy), stream <->
 * non-stream bridging, and the invariant checker the tests and fuzzers run
 * on every decoded request, response and event sequence.  No I/O, no
 * logging; all memory from the caller's arena.
 */
#include "translate/ir.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/limits.h"

/* ---- Builders ------------------------------------------------------------ */

/* Room for one more element of size sz in *arr (n used, *cap allocated). */
static void *grow(struct arena *a, void **arr, size_t *n, size_t *cap, size_t sz)
{
	char *p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		void *na = arena_realloc(a, *arr, *cap * sz, ncap * sz);
		if (!na)
			return NULL;
		*arr = na;
		*cap = ncap;
	}
	p = (char *)*arr + *n * sz;
	memset(p, 0, sz);
	(*n)++;
	return p;
}

#define GROW(a, arr, n, cap) grow((a), (void **)&(arr), &(n), &(cap), sizeof(*(arr)))

struct ir_message *ir_add_message(struct arena *a, struct ir_request *r, enum ir_role role)
{
	struct ir_message *m = GROW(a, r->messages, r->nmessages, r->capmessages);
	if (m)
		m->role = role;
	return m;
}

struct ir_message *ir_tail_message(struct arena *a, struct ir_request *r, enum ir_role role)
{
	if (r->nmessages && r->messages[r->nmessages - 1].role == role)
		return &r->messages[r->nmessages - 1];
	return ir_add_message(a, r, role);
}

struct ir_part *ir_add_part(struct arena *a, struct ir_message *m, enum ir_part_kind kind)
{
	struct ir_part *p = GROW(a, m->parts, m->nparts, m->capparts);
	if (p)
		p->kind = kind;
	return p;
}

struct ir_part *ir_add_system(struct arena *a, struct ir_request *r)
{
	struct ir_part *p = GROW(a, r->system, r->nsystem, r->capsystem);
	if (p)
		p->kind = IR_PART_TEXT;
	return p;
}

struct ir_tool *ir_add_tool(struct arena *a, struct ir_request *r, enum ir_tool_kind kind)
{
	struct ir_tool *t = GROW(a, r->tools, r->ntools, r->captools);
	if (t) {
		t->kind = kind;
		t->strict = -1;
	}
	return t;
}

int ir_add_stop(struct arena *a, struct ir_request *r, const char *s, size_t n)
{
	struct ir_str *p = GROW(a, r->gen.stop, r->gen.nstop, r->gen.capstop);
	if (!p)
		return -ENOMEM;
	p->p = s;
	p->n = n;
	return 0;
}

struct ir_part *ir_add_resp_part(struct arena *a, struct ir_response *r, enum ir_part_kind kind)
{
	struct ir_part *p = GROW(a, r->parts, r->nparts, r->capparts);
	if (p)
		p->kind = kind;
	return p;
}

struct ir_part *ir_add_result_part(struct arena *a, struct ir_part *res, enum ir_part_kind kind)
{
	struct ir_part *p = GROW(a, res->content, res->ncontent, res->capcontent);
	if (p)
		p->kind = kind;
	return p;
}

/* ---- Helpers ------------------------------------------------------------- */

bool ir_str_eq(struct ir_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.p && s.n == n && memcmp(s.p, lit, n) == 0;
}

char *ir_str_dup(struct arena *a, struct ir_str s)
{
	if (!s.p)
		return NULL;
	return arena_strndup(a, s.p, s.n);
}

struct ir_str ir_args_object(struct arena *a, const struct ir_part *call)
{
	struct json j;

	if (call->args.p && json_parse(&j, a, call->args.p, call->args.n) == 0 &&
	    json_kind(&j, 0) == JSON_OBJECT)
		return call->args;
	return IR_STR_LIT("{}");
}

bool ir_sig_ok(enum ir_family from, enum ir_family to)
{
	if (from == IR_FAM_NONE)
		return false;
	if (from == to)
		return true;
	return (from == IR_FAM_GEMINI || from == IR_FAM_GEMINI_CLI) &&
	       (to == IR_FAM_GEMINI || to == IR_FAM_GEMINI_CLI);
}

#define SIG_TAG "cliproxy:"

struct ir_str ir_sig_tag(struct arena *a, enum ir_family from, enum ir_family to,
			 struct ir_str sig)
{
	struct ir_str r = IR_STR_NONE;
	char *s;

	if (from == IR_FAM_NONE || from >= IR_FAM_COUNT || !sig.p)
		return r;
	if (ir_sig_ok(from, to))
		return sig;
	s = arena_printf(a, SIG_TAG "%s:%.*s", ir_family_name(from), (int)sig.n, sig.p);
	if (s)
		r = ir_str_c(s);
	return r;
}

void ir_sig_untag(struct ir_str s, enum ir_family deflt, enum ir_family *ret_fam,
		  struct ir_str *ret_sig)
{
	size_t tl = sizeof(SIG_TAG) - 1;
	int f;

	*ret_fam = deflt;
	*ret_sig = s;
	if (!s.p || s.n <= tl || memcmp(s.p, SIG_TAG, tl) != 0)
		return;
	for (f = IR_FAM_OPENAI; f < IR_FAM_COUNT; f++) {
		const char *name = ir_family_name((enum ir_family)f);
		size_t nl = strlen(name);
		if (s.n > tl + nl && memcmp(s.p + tl, name, nl) == 0 && s.p[tl + nl] == ':') {
			*ret_fam = (enum ir_family)f;
			ret_sig->p = s.p + tl + nl + 1;
			ret_sig->n = s.n - tl - nl - 1;
			return;
		}
	}
}

int ir_data_url_parse(struct arena *a, const char *s, size_t n, const char **ret_mime,
		      struct ir_str *ret_data)
{
	const char *comma, *semi;
	size_t hlen;

	if (n < 5 || strncasecmp(s, "data:", 5) != 0)
		return -EINVAL;
	comma = memchr(s, ',', n);
	if (!comma)
		return -EINVAL;
	hlen = (size_t)(comma - s);
	if (hlen < 12 || strncasecmp(comma - 7, ";base64", 7) != 0)
		return -EINVAL;
	semi = memchr(s + 5, ';', hlen - 5);
	if (ret_mime) {
		if (semi == s + 5) {
			*ret_mime = NULL;
		} else {
			char *m = arena_strndup(a, s + 5, (size_t)(semi - s - 5));
			if (!m)
				return -ENOMEM;
			*ret_mime = m;
		}
	}
	if (ret_data) {
		ret_data->p = comma + 1;
		ret_data->n = n - hlen - 1;
	}
	return 0;
}

char *ir_data_url(struct arena *a, const char *mime, struct ir_str data)
{
	return arena_printf(a, "data:%s;base64,%.*s", mime ? mime : "application/octet-stream",
			    (int)data.n, data.p ? data.p : "");
}

static const struct {
	const char *name;
	int64_t budget;
} levels[] = {
	{ "none", 0 },      { "auto", -1 },      { "minimal", 512 }, { "low", 1024 },
	{ "medium", 8192 }, { "high", 24576 },   { "xhigh", 32768 }, { "max", 128000 },
};

int ir_effort_to_budget(const char *effort, int64_t *ret)
{
	size_t i;

	if (!effort)
		return -EINVAL;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcasecmp(effort, levels[i].name) == 0) {
			*ret = levels[i].budget;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ir_budget_to_effort(int64_t budget)
{
	if (budget < 0)
		return "auto";
	if (budget == 0)
		return "none";
	if (budget <= 512)
		return "minimal";
	if (budget <= 1024)
		return "low";
	if (budget <= 8192)
		return "medium";
	if (budget <= 24576)
		return "high";
	return "xhigh";
}

const struct ir_tool *ir_find_tool(const struct ir_request *r, const char *name)
{
	size_t i;

	if (!r || !name)
		return NULL;
	for (i = 0; i < r->ntools; i++)
		if (r->tools[i].name && strcmp(r->tools[i].name, name) == 0)
			return &r->tools[i];
	return NULL;
}

int ir_custom_input(struct arena *a, struct ir_str args, struct ir_str *ret_text)
{
	struct json j;
	int v;
	size_t n;
	char *s;

	if (!args.p || json_parse(&j, a, args.p, args.n) < 0 || json_kind(&j, 0) != JSON_OBJECT)
		return -EINVAL;
	v = json_get(&j, 0, "input");
	s = json_str(&j, v, a, &n);
	if (!s)
		return -EINVAL;
	ret_text->p = s;
	ret_text->n = n;
	return 0;
}

const char *ir_call_name(const struct ir_request *r, const char *call_id)
{
	size_t i, k;

	if (!r || !call_id)
		return NULL;
	for (i = 0; i < r->nmessages; i++) {
		const struct ir_message *m = &r->messages[i];
		for (k = 0; k < m->nparts; k++)
			if (m->parts[k].kind == IR_PART_TOOL_CALL && m->parts[k].call_id &&
			    strcmp(m->parts[k].call_id, call_id) == 0)
				return m->parts[k].name;
	}
	return NULL;
}

const char *ir_family_name(enum ir_family f)
{
	static const char *const names[] = {
		[IR_FAM_NONE] = "none",     [IR_FAM_OPENAI] = "openai",
		[IR_FAM_RESPONSES] = "responses", [IR_FAM_CLAUDE] = "claude",
		[IR_FAM_GEMINI] = "gemini", [IR_FAM_GEMINI_CLI] = "gemini-cli",
	};
	return (unsigned)f < IR_FAM_COUNT ? names[f] : "?";
}

const char *ir_stop_name(enum ir_stop s)
{
	static const char *const names[] = {
		[IR_STOP_UNSET] = "unset",        [IR_STOP_END_TURN] = "end_turn",
		[IR_STOP_MAX_TOKENS] = "max_tokens", [IR_STOP_TOOL_USE] = "tool_use",
		[IR_STOP_STOP_SEQUENCE] = "stop_sequence", [IR_STOP_SAFETY] = "safety",
		[IR_STOP_PAUSE] = "pause",        [IR_STOP_ERROR] = "error",
		[IR_STOP_OTHER] = "other",
	};
	return (unsigned)s <= IR_STOP_OTHER ? names[s] : "?";
}

const char *ir_event_name(enum ir_ev_kind k)
{
	static const char *const names[] = {
		[IR_EV_MESSAGE_START] = "message_start", [IR_EV_BLOCK_START] = "block_start",
		[IR_EV_DELTA] = "delta",                 [IR_EV_BLOCK_STOP] = "block_stop",
		[IR_EV_USAGE] = "usage",                 [IR_EV_MESSAGE_STOP] = "message_stop",
		[IR_EV_ERROR] = "error",                 [IR_EV_PING] = "ping",
	};
	return (unsigned)k <= IR_EV_PING ? names[k] : "?";
}

/* ---- Bridging ------------------------------------------------------------ */

static void usage_merge(struct ir_usage *u, const struct ir_usage *v)
{
#define M(f)                          \
	if (v->has_##f) {             \
		u->has_##f = true;    \
		u->f = v->f;          \
	}
	M(input) M(output) M(cached) M(cache_creation) M(reasoning) M(total)
#undef M
}

void ir_acc_init(struct ir_acc *acc, struct arena *a)
{
	memset(acc, 0, sizeof(*acc));
	acc->a = a;
	acc->open = -1;
}

static struct ir_str take(struct buf *b)
{
	struct ir_str s = { b->p, b->len };
	return s;
}

int ir_acc_event(void *arg, const struct ir_event *ev)
{
	struct ir_acc *acc = arg;
	struct ir_response *r = &acc->resp;
	struct ir_part *p;

	if (acc->failed)
		return -EPROTO;
	switch (ev->kind) {
	case IR_EV_MESSAGE_START:
		acc->started = true;
		if (ev->id)
			r->id = ev->id;
		if (ev->model)
			r->model = ev->model;
		if (ev->created)
			r->created = ev->created;
		usage_merge(&r->usage, &ev->usage);
		return 0;
	case IR_EV_BLOCK_START: {
		static const enum ir_part_kind kinds[] = {
			[IR_BLOCK_TEXT] = IR_PART_TEXT,
			[IR_BLOCK_THINKING] = IR_PART_THINKING,
			[IR_BLOCK_TOOL_CALL] = IR_PART_TOOL_CALL,
			[IR_BLOCK_REDACTED_THINKING] = IR_PART_REDACTED_THINKING,
			[IR_BLOCK_IMAGE] = IR_PART_IMAGE,
		};
		if ((unsigned)ev->block > IR_BLOCK_IMAGE)
			return -EINVAL;
		p = ir_add_resp_part(acc->a, r, kinds[ev->block]);
		if (!p)
			return -ENOMEM;
		acc->open = ev->index;
		acc->cur = p;
		buf_init(&acc->text, acc->a, LIMIT_UPSTREAM_BODY);
		buf_init(&acc->sig, acc->a, LIMIT_UPSTREAM_BODY);
		switch (ev->block) {
		case IR_BLOCK_TOOL_CALL:
			p->call_id = ev->call_id;
			p->name = ev->name;
			p->custom = ev->custom;
			break;
		case IR_BLOCK_REDACTED_THINKING:
			p->signature = ev->text;
			p->sig_family = ev->sig_family;
			break;
		case IR_BLOCK_IMAGE:
			p->mime = ev->mime;
			p->data = ev->data;
			break;
		case IR_BLOCK_TEXT:
		case IR_BLOCK_THINKING:
			p->text = IR_STR_LIT("");
			break;
		}
		return 0;
	}
	case IR_EV_DELTA:
		if (!acc->cur)
			return 0;
		if (ev->delta == IR_DELTA_SIGNATURE) {
			acc->cur->sig_family = ev->sig_family;
			buf_add(&acc->sig, ev->text.p ? ev->text.p : "", ev->text.n);
			return acc->sig.err;
		}
		buf_add(&acc->text, ev->text.p ? ev->text.p : "", ev->text.n);
		return acc->text.err;
	case IR_EV_BLOCK_STOP:
		p = acc->cur;
		if (!p)
			return 0;
		if (p->kind == IR_PART_TOOL_CALL) {
			if (acc->text.len) {
				if (p->custom)
					p->text = take(&acc->text);
				else
					p->args = take(&acc->text);
			} else if (p->custom) {
				p->text = IR_STR_LIT("");
			}
		} else if (p->kind == IR_PART_TEXT || p->kind == IR_PART_THINKING) {
			p->text = take(&acc->text);
		}
		if (acc->sig.len)
			p->signature = take(&acc->sig);
		acc->cur = NULL;
		acc->open = -1;
		return 0;
	case IR_EV_USAGE:
		usage_merge(&r->usage, &ev->usage);
		return 0;
	case IR_EV_MESSAGE_STOP:
		acc->stopped = true;
		r->stop = ev->stop;
		if (ev->stop_raw)
			r->stop_raw = ev->stop_raw;
		if (ev->stop_sequence.p)
			r->stop_sequence = ev->stop_sequence;
		usage_merge(&r->usage, &ev->usage);
		return 0;
	case IR_EV_ERROR:
		acc->failed = true;
		acc->err = *ev;
		return -EPROTO;
	case IR_EV_PING:
		return 0;
	}
	return -EINVAL;
}

int ir_response_events(const struct ir_response *r, ir_emit_fn emit, void *arg)
{
	struct ir_event ev;
	size_t i;
	int idx = 0, rc;

#define EMIT()                               \
	do {                                 \
		if ((rc = emit(arg, &ev)) != 0) \
			return rc;           \
	} while (0)

	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_MESSAGE_START;
	ev.id = r->id;
	ev.model = r->model;
	ev.created = r->created;
	ev.usage.has_input = r->usage.has_input;
	ev.usage.input = r->usage.input;
	ev.usage.has_cached = r->usage.has_cached;
	ev.usage.cached = r->usage.cached;
	ev.usage.has_cache_creation = r->usage.has_cache_creation;
	ev.usage.cache_creation = r->usage.cache_creation;
	EMIT();
	for (i = 0; i < r->nparts; i++) {
		const struct ir_part *p = &r->parts[i];
		enum ir_block_kind bk;
		enum ir_delta_kind dk = IR_DELTA_TEXT;
		struct ir_str body = p->text;

		switch (p->kind) {
		case IR_PART_TEXT:
			bk = IR_BLOCK_TEXT;
			break;
		case IR_PART_THINKING:
			bk = IR_BLOCK_THINKING;
			dk = IR_DELTA_THINKING;
			break;
		case IR_PART_TOOL_CALL:
			bk = IR_BLOCK_TOOL_CALL;
			dk = IR_DELTA_TOOL_ARGS;
			if (!p->custom)
				body = p->args;
			break;
		case IR_PART_REDACTED_THINKING:
			bk = IR_BLOCK_REDACTED_THINKING;
			break;
		case IR_PART_IMAGE:
			bk = IR_BLOCK_IMAGE;
			break;
		default:
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.kind = IR_EV_BLOCK_START;
		ev.index = idx;
		ev.block = bk;
		ev.call_id = p->call_id;
		ev.name = p->name;
		ev.custom = p->custom;
		if (bk == IR_BLOCK_REDACTED_THINKING) {
			ev.text = p->signature;
			ev.sig_family = p->sig_family;
		}
		if (bk == IR_BLOCK_IMAGE) {
			ev.mime = p->mime;
			ev.data = p->data;
		}
		EMIT();
		if (bk != IR_BLOCK_REDACTED_THINKING && bk != IR_BLOCK_IMAGE) {
			if (body.p && body.n) {
				memset(&ev, 0, sizeof(ev));
				ev.kind = IR_EV_DELTA;
				ev.index = idx;
				ev.block = bk;
				ev.delta = dk;
				ev.text = body;
				EMIT();
			}
			if (p->signature.p && p->signature.n) {
				memset(&ev, 0, sizeof(ev));
				ev.kind = IR_EV_DELTA;
				ev.index = idx;
				ev.block = bk;
				ev.delta = IR_DELTA_SIGNATURE;
				ev.text = p->signature;
				ev.sig_family = p->sig_family;
				EMIT();
			}
		}
		memset(&ev, 0, sizeof(ev));
		ev.kind = IR_EV_BLOCK_STOP;
		ev.index = idx;
		ev.block = bk;
		EMIT();
		idx++;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_MESSAGE_STOP;
	ev.stop = r->stop;
	ev.stop_raw = r->stop_raw;
	ev.stop_sequence = r->stop_sequence;
	ev.usage = r->usage;
	EMIT();
	return 0;
#undef EMIT
}

/* ---- Invariant checker --------------------------------------------------- */

static int bad(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

static bool nonempty(const char *s) { return s && *s; }

static int check_media(const struct ir_part *p, const char **why)
{
	int n = (p->data.p != NULL) + (p->url != NULL);
	if (p->kind == IR_PART_FILE)
		n += (p->text.p != NULL) + (p->file_id != NULL);
	else
		n += (p->file_id != NULL);
	if (n != 1)
		return bad(why, "image/file part needs exactly one of data, url, text, file_id");
	return 0;
}

/* Is call_id among the tool calls of messages[0..upto)? */
static bool known_call(const struct ir_request *r, size_t upto, const char *id)
{
	size_t i, k;

	for (i = 0; i < upto; i++)
		for (k = 0; k < r->messages[i].nparts; k++) {
			const struct ir_part *p = &r->messages[i].parts[k];
			if (p->kind == IR_PART_TOOL_CALL && strcmp(p->call_id, id) == 0)
				return true;
		}
	return false;
}

int ir_check_request(const struct ir_request *r, const char **why)
{
	size_t i, k, c;

	for (i = 0; i < r->nsystem; i++)
		if (r->system[i].kind != IR_PART_TEXT || !r->system[i].text.p)
			return bad(why, "system part is not text");
	for (i = 0; i < r->nmessages; i++) {
		const struct ir_message *m = &r->messages[i];
		if (m->role > IR_ROLE_SYSTEM)
			return bad(why, "message role out of range");
		for (k = 0; k < m->nparts; k++) {
			const struct ir_part *p = &m->parts[k];
			switch (p->kind) {
			case IR_PART_TEXT:
				if (!p->text.p)
					return bad(why, "text part without text");
				break;
			case IR_PART_IMAGE:
			case IR_PART_FILE:
				if (m->role == IR_ROLE_SYSTEM)
					return bad(why, "media in a system message");
				if (check_media(p, why))
					return -EINVAL;
				break;
			case IR_PART_TOOL_CALL:
				if (m->role != IR_ROLE_ASSISTANT)
					return bad(why, "tool call outside an assistant message");
				if (!nonempty(p->call_id) || !nonempty(p->name))
					return bad(why, "tool call without id or name");
				if (p->custom ? !p->text.p : false)
					return bad(why, "custom tool call without input");
				break;
			case IR_PART_TOOL_RESULT:
				if (m->role != IR_ROLE_USER)
					return bad(why, "tool result outside a user message");
				if (!nonempty(p->call_id))
					return bad(why, "tool result without call id");
				if (!known_call(r, i, p->call_id))
					return bad(why, "tool result for an unknown call id");
				for (c = 0; c < p->ncontent; c++) {
					const struct ir_part *q = &p->content[c];
					if (q->kind == IR_PART_TEXT) {
						if (!q->text.p)
							return bad(why, "tool result text without text");
					} else if (q->kind == IR_PART_IMAGE || q->kind == IR_PART_FILE) {
						if (check_media(q, why))
							return -EINVAL;
					} else {
						return bad(why, "tool result content not text/image/file");
					}
				}
				break;
			case IR_PART_THINKING:
				if (m->role != IR_ROLE_ASSISTANT)
					return bad(why, "thinking outside an assistant message");
				if (!p->text.p && !p->signature.p)
					return bad(why, "thinking without text or signature");
				if (p->signature.p && p->sig_family == IR_FAM_NONE)
					return bad(why, "signature without its family");
				break;
			case IR_PART_REDACTED_THINKING:
				if (m->role != IR_ROLE_ASSISTANT)
					return bad(why, "redacted thinking outside an assistant message");
				if (!p->signature.p || p->sig_family == IR_FAM_NONE)
					return bad(why, "redacted thinking without data/family");
				break;
			default:
				return bad(why, "part kind out of range");
			}
		}
	}
	for (i = 0; i < r->ntools; i++) {
		const struct ir_tool *t = &r->tools[i];
		if (t->kind == IR_TOOL_BUILTIN) {
			if (!t->type && !t->raw.p)
				return bad(why, "builtin tool without type");
		} else if (!nonempty(t->name)) {
			return bad(why, "tool without name");
		}
	}
	if (r->tool_choice.kind == IR_TC_TOOL && !nonempty(r->tool_choice.name))
		return bad(why, "tool_choice tool without name");
	if (r->format.kind == IR_FMT_JSON_SCHEMA && !r->format.schema.p)
		return bad(why, "json_schema format without schema");
	return 0;
}

int ir_check_response(const struct ir_response *r, const char **why)
{
	size_t i;

	for (i = 0; i < r->nparts; i++) {
		const struct ir_part *p = &r->parts[i];
		switch (p->kind) {
		case IR_PART_TEXT:
			if (!p->text.p)
				return bad(why, "text part without text");
			break;
		case IR_PART_THINKING:
			if (p->signature.p && p->sig_family == IR_FAM_NONE)
				return bad(why, "signature without its family");
			break;
		case IR_PART_REDACTED_THINKING:
			if (!p->signature.p || p->sig_family == IR_FAM_NONE)
				return bad(why, "redacted thinking without data/family");
			break;
		case IR_PART_TOOL_CALL:
			if (!nonempty(p->call_id) || !nonempty(p->name))
				return bad(why, "tool call without id or name");
			break;
		case IR_PART_IMAGE:
			if (check_media(p, why))
				return -EINVAL;
			break;
		default:
			return bad(why, "response part kind not allowed");
		}
	}
	if ((unsigned)r->stop > IR_STOP_OTHER)
		return bad(why, "stop reason out of range");
	return 0;
}

void ir_checker_init(struct ir_checker *c)
{
	memset(c, 0, sizeof(*c));
	c->open = -1;
}

static int cbad(struct ir_checker *c, const char *msg)
{
	if (!c->why)
		c->why = msg;
	c->state = 3; /* poisoned */
	return -EINVAL;
}

int ir_check_event(struct ir_checker *c, const struct ir_event *ev)
{
	if (c->state == 3)
		return -EINVAL;
	if (c->state == 2)
		return cbad(c, "event after message_stop/error");
	switch (ev->kind) {
	case IR_EV_ERROR:
		if (ev->status < 100 || ev->status > 599)
			return cbad(c, "error event without an HTTP status");
		c->state = 2;
		return 0;
	case IR_EV_PING:
		return 0;
	case IR_EV_MESSAGE_START:
		if (c->state != 0)
			return cbad(c, "second message_start");
		c->state = 1;
		return 0;
	default:
		break;
	}
	if (c->state != 1)
		return cbad(c, "event before message_start");
	switch (ev->kind) {
	case IR_EV_BLOCK_START:
		if (c->open >= 0)
			return cbad(c, "block_start while a block is open");
		if (ev->index != c->next_index)
			return cbad(c, "block index not the next one");
		if ((unsigned)ev->block > IR_BLOCK_IMAGE)
			return cbad(c, "block kind out of range");
		if (ev->block == IR_BLOCK_TOOL_CALL && (!nonempty(ev->call_id) || !nonempty(ev->name)))
			return cbad(c, "tool call block without id or name");
		if (ev->block == IR_BLOCK_REDACTED_THINKING &&
		    (!ev->text.p || ev->sig_family == IR_FAM_NONE))
			return cbad(c, "redacted thinking block without data/family");
		if (ev->block == IR_BLOCK_IMAGE && !ev->data.p)
			return cbad(c, "image block without data");
		c->open = ev->index;
		c->open_kind = ev->block;
		c->open_custom = ev->custom;
		c->next_index++;
		return 0;
	case IR_EV_DELTA:
		if (c->open < 0 || ev->index != c->open)
			return cbad(c, "delta outside its open block");
		if (!ev->text.p)
			return cbad(c, "delta without payload");
		switch (ev->delta) {
		case IR_DELTA_TEXT:
			if (c->open_kind != IR_BLOCK_TEXT)
				return cbad(c, "text delta in a non-text block");
			break;
		case IR_DELTA_THINKING:
			if (c->open_kind != IR_BLOCK_THINKING)
				return cbad(c, "thinking delta in a non-thinking block");
			break;
		case IR_DELTA_SIGNATURE:
			if (c->open_kind == IR_BLOCK_REDACTED_THINKING ||
			    c->open_kind == IR_BLOCK_IMAGE)
				return cbad(c, "signature delta in a redacted/image block");
			if (ev->sig_family == IR_FAM_NONE)
				return cbad(c, "signature delta without its family");
			break;
		case IR_DELTA_TOOL_ARGS:
			if (c->open_kind != IR_BLOCK_TOOL_CALL)
				return cbad(c, "tool args delta in a non-tool block");
			break;
		default:
			return cbad(c, "delta kind out of range");
		}
		return 0;
	case IR_EV_BLOCK_STOP:
		if (c->open < 0 || ev->index != c->open)
			return cbad(c, "block_stop of a block that is not open");
		c->open = -1;
		return 0;
	case IR_EV_USAGE:
		return 0;
	case IR_EV_MESSAGE_STOP:
		if (c->open >= 0)
			return cbad(c, "message_stop with an open block");
		if ((unsigned)ev->stop > IR_STOP_OTHER)
			return cbad(c, "stop reason out of range");
		c->state = 2;
		return 0;
	default:
		return cbad(c, "event kind out of range");
	}
}

int ir_check_end(struct ir_checker *c)
{
	if (c->state == 3)
		return -EINVAL;
	if (c->state != 2)
		return cbad(c, "stream ended without message_stop or error");
	return 0;
}

/* ---- Dumps --------------------------------------------------------------- */

static void d_str(struct jsonw *w, const char *key, struct ir_str s)
{
	if (!s.p)
		return;
	jw_key(w, key);
	jw_str(w, s.p, s.n);
}

static void d_cstr(struct jsonw *w, const char *key, const char *s)
{
	if (s)
		jw_kstr(w, key, s);
}

static void d_raw(struct jsonw *w, const char *key, struct ir_str s)
{
	if (!s.p)
		return;
	/* Raw JSON is dumped as a string: the dump compares bytes. */
	jw_key(w, key);
	jw_str(w, s.p, s.n);
}

static void d_usage(struct jsonw *w, const struct ir_usage *u)
{
	jw_key(w, "usage");
	jw_obj(w);
#define U(f)                      \
	if (u->has_##f)           \
		jw_kint(w, #f, u->f);
	U(input) U(output) U(cached) U(cache_creation) U(reasoning) U(total)
#undef U
	jw_end(w);
}

static void d_part(struct jsonw *w, const struct ir_part *p)
{
	static const char *const kinds[] = { "text", "image", "file", "tool_call", "tool_result",
					     "thinking", "redacted_thinking" };
	size_t i;

	jw_obj(w);
	jw_kstr(w, "kind", (unsigned)p->kind <= IR_PART_REDACTED_THINKING ? kinds[p->kind] : "?");
	d_str(w, "text", p->text);
	d_str(w, "signature", p->signature);
	if (p->signature.p)
		jw_kstr(w, "sig_family", ir_family_name(p->sig_family));
	d_cstr(w, "mime", p->mime);
	d_str(w, "data", p->data);
	d_cstr(w, "url", p->url);
	d_cstr(w, "filename", p->filename);
	d_cstr(w, "detail", p->detail);
	d_cstr(w, "file_id", p->file_id);
	d_cstr(w, "call_id", p->call_id);
	d_cstr(w, "name", p->name);
	d_raw(w, "args", p->args);
	if (p->custom)
		jw_kbool(w, "custom", true);
	if (p->ncontent) {
		jw_key(w, "content");
		jw_arr(w);
		for (i = 0; i < p->ncontent; i++)
			d_part(w, &p->content[i]);
		jw_end(w);
	}
	d_raw(w, "result_json", p->result_json);
	if (p->is_error)
		jw_kbool(w, "is_error", true);
	d_raw(w, "cache_control", p->cache_control);
	jw_end(w);
}

static int d_done(struct jsonw *w, struct buf *b)
{
	return jw_error(w) ? jw_error(w) : b->err;
}

int ir_dump_request(struct buf *b, const struct ir_request *r)
{
	static const char *const roles[] = { "user", "assistant", "system" };
	static const char *const tkinds[] = { "function", "custom", "builtin" };
	static const char *const tcs[] = { "unset", "auto", "none", "required", "tool" };
	static const char *const modes[] = { "unset", "disabled", "enabled", "adaptive" };
	static const char *const fmts[] = { "unset", "text", "json_object", "json_schema" };
	struct jsonw w;
	size_t i, k;

	jw_init(&w, b);
	jw_obj(&w);
	d_cstr(&w, "model", r->model);
	jw_kbool(&w, "stream", r->stream);
	if (r->include_usage)
		jw_kbool(&w, "include_usage", true);
	jw_key(&w, "system");
	jw_arr(&w);
	for (i = 0; i < r->nsystem; i++)
		d_part(&w, &r->system[i]);
	jw_end(&w);
	jw_key(&w, "messages");
	jw_arr(&w);
	for (i = 0; i < r->nmessages; i++) {
		const struct ir_message *m = &r->messages[i];
		jw_obj(&w);
		jw_kstr(&w, "role", m->role <= IR_ROLE_SYSTEM ? roles[m->role] : "?");
		d_cstr(&w, "name", m->name);
		jw_key(&w, "parts");
		jw_arr(&w);
		for (k = 0; k < m->nparts; k++)
			d_part(&w, &m->parts[k]);
		jw_end(&w);
		jw_end(&w);
	}
	jw_end(&w);
	jw_key(&w, "tools");
	jw_arr(&w);
	for (i = 0; i < r->ntools; i++) {
		const struct ir_tool *t = &r->tools[i];
		jw_obj(&w);
		jw_kstr(&w, "kind", t->kind <= IR_TOOL_BUILTIN ? tkinds[t->kind] : "?");
		d_cstr(&w, "name", t->name);
		d_str(&w, "description", t->description);
		d_raw(&w, "parameters", t->parameters);
		d_raw(&w, "format", t->format);
		if (t->strict >= 0)
			jw_kint(&w, "strict", t->strict);
		d_cstr(&w, "type", t->type);
		if (t->kind == IR_TOOL_BUILTIN) {
			d_raw(&w, "raw", t->raw);
			jw_kstr(&w, "raw_family", ir_family_name(t->raw_family));
		}
		d_raw(&w, "cache_control", t->cache_control);
		jw_end(&w);
	}
	jw_end(&w);
	if (r->tool_choice.kind != IR_TC_UNSET) {
		jw_key(&w, "tool_choice");
		jw_obj(&w);
		jw_kstr(&w, "kind", r->tool_choice.kind <= IR_TC_TOOL ? tcs[r->tool_choice.kind] : "?");
		d_cstr(&w, "name", r->tool_choice.name);
		jw_end(&w);
	}
	if (r->parallel_tool_calls >= 0)
		jw_kint(&w, "parallel_tool_calls", r->parallel_tool_calls);
	jw_key(&w, "gen");
	jw_obj(&w);
#define GI(f)                                   \
	if (r->gen.has_##f)                     \
		jw_kint(&w, #f, r->gen.f);
#define GD(f)                                   \
	if (r->gen.has_##f) {                   \
		jw_key(&w, #f);                 \
		jw_double(&w, r->gen.f);        \
	}
	GI(max_tokens) GD(temperature) GD(top_p) GI(top_k) GI(seed)
	GD(presence_penalty) GD(frequency_penalty) GI(n)
#undef GI
#undef GD
	if (r->gen.nstop) {
		jw_key(&w, "stop");
		jw_arr(&w);
		for (i = 0; i < r->gen.nstop; i++)
			jw_str(&w, r->gen.stop[i].p, r->gen.stop[i].n);
		jw_end(&w);
	}
	jw_end(&w);
	jw_key(&w, "reasoning");
	jw_obj(&w);
	jw_kstr(&w, "mode", r->reasoning.mode <= IR_THINK_ADAPTIVE ? modes[r->reasoning.mode] : "?");
	d_cstr(&w, "effort", r->reasoning.effort);
	if (r->reasoning.has_budget)
		jw_kint(&w, "budget", r->reasoning.budget);
	if (r->reasoning.include_thoughts >= 0)
		jw_kint(&w, "include_thoughts", r->reasoning.include_thoughts);
	d_cstr(&w, "summary", r->reasoning.summary);
	jw_end(&w);
	if (r->format.kind != IR_FMT_UNSET) {
		jw_key(&w, "format");
		jw_obj(&w);
		jw_kstr(&w, "kind", r->format.kind <= IR_FMT_JSON_SCHEMA ? fmts[r->format.kind] : "?");
		d_cstr(&w, "name", r->format.name);
		d_str(&w, "description", r->format.description);
		d_raw(&w, "schema", r->format.schema);
		if (r->format.strict >= 0)
			jw_kint(&w, "strict", r->format.strict);
		jw_end(&w);
	}
	d_raw(&w, "metadata", r->metadata);
	d_cstr(&w, "user", r->user);
	jw_end(&w);
	return d_done(&w, b);
}

int ir_dump_response(struct buf *b, const struct ir_response *r)
{
	struct jsonw w;
	size_t i;

	jw_init(&w, b);
	jw_obj(&w);
	d_cstr(&w, "id", r->id);
	d_cstr(&w, "model", r->model);
	if (r->created)
		jw_kint(&w, "created", r->created);
	jw_key(&w, "parts");
	jw_arr(&w);
	for (i = 0; i < r->nparts; i++)
		d_part(&w, &r->parts[i]);
	jw_end(&w);
	jw_kstr(&w, "stop", ir_stop_name(r->stop));
	d_cstr(&w, "stop_raw", r->stop_raw);
	d_str(&w, "stop_sequence", r->stop_sequence);
	d_usage(&w, &r->usage);
	jw_end(&w);
	return d_done(&w, b);
}

int ir_dump_event(struct buf *b, const struct ir_event *ev)
{
	static const char *const blocks[] = { "text", "thinking", "tool_call", "redacted_thinking",
					      "image" };
	static const char *const deltas[] = { "text", "thinking", "signature", "tool_args" };
	struct jsonw w;

	jw_init(&w, b);
	jw_obj(&w);
	jw_kstr(&w, "ev", ir_event_name(ev->kind));
	switch (ev->kind) {
	case IR_EV_MESSAGE_START:
		d_cstr(&w, "id", ev->id);
		d_cstr(&w, "model", ev->model);
		if (ev->created)
			jw_kint(&w, "created", ev->created);
		d_usage(&w, &ev->usage);
		break;
	case IR_EV_BLOCK_START:
		jw_kint(&w, "index", ev->index);
		jw_kstr(&w, "block", (unsigned)ev->block <= IR_BLOCK_IMAGE ? blocks[ev->block] : "?");
		d_cstr(&w, "call_id", ev->call_id);
		d_cstr(&w, "name", ev->name);
		if (ev->custom)
			jw_kbool(&w, "custom", true);
		d_str(&w, "text", ev->text);
		if (ev->text.p && ev->block == IR_BLOCK_REDACTED_THINKING)
			jw_kstr(&w, "sig_family", ir_family_name(ev->sig_family));
		d_cstr(&w, "mime", ev->mime);
		d_str(&w, "data", ev->data);
		break;
	case IR_EV_DELTA:
		jw_kint(&w, "index", ev->index);
		jw_kstr(&w, "delta", (unsigned)ev->delta <= IR_DELTA_TOOL_ARGS ? deltas[ev->delta] : "?");
		d_str(&w, "text", ev->text);
		if (ev->delta == IR_DELTA_SIGNATURE)
			jw_kstr(&w, "sig_family", ir_family_name(ev->sig_family));
		break;
	case IR_EV_BLOCK_STOP:
		jw_kint(&w, "index", ev->index);
		break;
	case IR_EV_USAGE:
		d_usage(&w, &ev->usage);
		break;
	case IR_EV_MESSAGE_STOP:
		jw_kstr(&w, "stop", ir_stop_name(ev->stop));
		d_cstr(&w, "stop_raw", ev->stop_raw);
		d_str(&w, "stop_sequence", ev->stop_sequence);
		d_usage(&w, &ev->usage);
		break;
	case IR_EV_ERROR:
		jw_kint(&w, "status", ev->status);
		d_cstr(&w, "type", ev->err_type);
		d_str(&w, "message", ev->message);
		break;
	case IR_EV_PING:
		break;
	}
	jw_end(&w);
	return d_done(&w, b);
}
