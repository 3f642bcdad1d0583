/*
 * gemini_req.c - IR -> Gemini generateContent request (also the `request`
 * of the Gemini CLI envelope).  Tool schemas are cleaned for Gemini
 * (schema.c, allow-list), function names sanitised and the renames
 * recorded, Gemini signatures kept and the skip sentinel written where
 * Gemini 3 needs one, thinking mapped to budgets (2.5) or levels (3).
 * Refuses nothing: what Gemini cannot take is dropped (Claude thinking).
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

static int get2(const struct json *j, int obj, const char *camel, const char *snake)
{
	int v = json_get(j, obj, camel);
	return v >= 0 ? v : json_get(j, obj, snake);
}

static bool gemini_fam(enum ir_family f)
{
	return f == IR_FAM_GEMINI || f == IR_FAM_GEMINI_CLI;
}

static int nomem(struct apierr *e)
{
	return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
}

/* ---- request encoding --------------------------------------------------- */

static bool name_char_ok(char ch, bool first)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_')
		return true;
	if (first)
		return false;
	return (ch >= '0' && ch <= '9') || ch == '.' || ch == ':' || ch == '-';
}

/*
 * The function name sent to Gemini: [A-Za-z_][A-Za-z0-9_.:-]{0,63}.  A name
 * that needs changing is recorded in the ctx so responses map it back.
 */
static const char *sent_name(struct xlate_ctx *c, const char *name)
{
	const char *s;
	char *out;
	size_t i, n, k = 0;

	if (!name || !*name)
		return "unnamed_function";
	s = xlate_name_sent(c, name);
	if (s != name)
		return s;
	n = strlen(name);
	for (i = 0; i < n && name_char_ok(name[i], i == 0); i++)
		;
	if (i == n && n <= 64)
		return name;
	out = arena_alloc(c->a, 65);
	if (!out)
		return NULL;
	if (!name_char_ok(name[0], true))
		out[k++] = '_';
	for (i = 0; i < n && k < 64; i++)
		out[k++] = name_char_ok(name[i], false) ? name[i] : '_';
	out[k] = 0;
	if (xlate_name_add(c, name, out) < 0)
		return NULL;
	return out;
}

struct reqenc {
	struct xlate_ctx *c;
	const struct ir_request *r;
	enum ir_family fam;
	struct jsonw *w;
	int err;
	/* A Gemini client's own body (for what the IR does not model). */
	struct json raw;
	int rawobj, rawgen;
};

static bool sig_ok(const struct reqenc *x, const struct ir_part *p)
{
	return p->signature.p && p->signature.n && ir_sig_ok(p->sig_family, x->fam);
}

static void w_str(struct jsonw *w, struct ir_str s)
{
	jw_str(w, s.p ? s.p : "", s.n);
}

static void w_kstr(struct jsonw *w, const char *key, struct ir_str s)
{
	jw_key(w, key);
	w_str(w, s);
}

static const char *guess_mime(const char *url, bool image)
{
	static const struct {
		const char *ext, *mime;
	} map[] = {
		{ ".png", "image/png" },   { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" },   { ".webp", "image/webp" }, { ".pdf", "application/pdf" },
		{ ".txt", "text/plain" },  { ".mp3", "audio/mpeg" }, { ".wav", "audio/wav" },
		{ ".mp4", "video/mp4" },
	};
	size_t i, n = strlen(url), q;

	for (q = 0; q < n && url[q] != '?' && url[q] != '#'; q++)
		;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t el = strlen(map[i].ext);
		if (q >= el && strn_caseeq(url + q - el, el, map[i].ext))
			return map[i].mime;
	}
	return image ? "image/jpeg" : "application/octet-stream";
}

/* Will this part produce a Gemini part? */
static bool part_emits(const struct reqenc *x, const struct ir_part *p)
{
	switch (p->kind) {
	case IR_PART_TEXT:
		return p->text.n || sig_ok(x, p);
	case IR_PART_THINKING:
		/* Thoughts go back only with a Gemini signature, or unsigned
		   when a Gemini client sent them (a thought summary). */
		return sig_ok(x, p) || (!p->signature.p && p->text.n && gemini_fam(x->r->family));
	case IR_PART_REDACTED_THINKING:
		return false;
	case IR_PART_IMAGE:
	case IR_PART_FILE:
		return p->data.p || p->url || (p->kind == IR_PART_FILE && p->text.p);
	case IR_PART_TOOL_CALL:
	case IR_PART_TOOL_RESULT:
		return true;
	}
	return false;
}

static void write_media(struct reqenc *x, const struct ir_part *p, bool model_role)
{
	struct jsonw *w = x->w;

	if (!p->data.p && !p->url) {
		jw_obj(w);
		w_kstr(w, "text", p->text);
		jw_end(w);
		return;
	}
	jw_obj(w);
	if (p->data.p) {
		jw_key(w, "inlineData");
		jw_obj(w);
		jw_kstr(w, "mimeType", p->mime ? p->mime : "application/octet-stream");
		w_kstr(w, "data", p->data);
		jw_end(w);
	} else {
		jw_key(w, "fileData");
		jw_obj(w);
		jw_kstr(w, "mimeType", p->mime ? p->mime : guess_mime(p->url, p->kind == IR_PART_IMAGE));
		jw_kstr(w, "fileUri", p->url);
		jw_end(w);
	}
	if (model_role) {
		jw_key(w, "thoughtSignature");
		if (sig_ok(x, p))
			w_str(w, p->signature);
		else
			jw_cstr(w, GEMINI_SKIP_SIGNATURE);
	}
	jw_end(w);
}

/* functionResponse.response: the structured result when there is one, else
   {"output": text} ({"error": text} for failures). */
static void write_result_response(struct reqenc *x, const struct ir_part *p)
{
	struct jsonw *w = x->w;
	struct json j;
	size_t i;
	bool first = true;

	if (p->result_json.p && json_parse(&j, x->c->a, p->result_json.p, p->result_json.n) == 0) {
		if (json_kind(&j, 0) == JSON_OBJECT) {
			jw_raw(w, p->result_json.p, p->result_json.n);
			return;
		}
		jw_obj(w);
		jw_key(w, p->is_error ? "error" : "output");
		jw_raw(w, p->result_json.p, p->result_json.n);
		jw_end(w);
		return;
	}
	jw_obj(w);
	jw_key(w, p->is_error ? "error" : "output");
	{
		struct buf b;
		buf_init(&b, x->c->a, LIMIT_BODY_BYTES);
		for (i = 0; i < p->ncontent; i++) {
			const struct ir_part *q = &p->content[i];
			if (q->kind != IR_PART_TEXT && !(q->kind == IR_PART_FILE && q->text.p))
				continue;
			if (!first)
				buf_adds(&b, "\n");
			buf_add(&b, q->text.p ? q->text.p : "", q->text.n);
			first = false;
		}
		if (b.err && !x->err)
			x->err = b.err;
		jw_str(w, b.p, b.len);
	}
	jw_end(w);
}

static void write_part(struct reqenc *x, const struct ir_part *p, bool model_role,
		       bool *first_call)
{
	struct jsonw *w = x->w;
	const char *name;
	size_t i;

	switch (p->kind) {
	case IR_PART_TEXT:
		jw_obj(w);
		w_kstr(w, "text", p->text);
		if (sig_ok(x, p) && model_role)
			w_kstr(w, "thoughtSignature", p->signature);
		jw_end(w);
		return;
	case IR_PART_THINKING:
		jw_obj(w);
		w_kstr(w, "text", p->text);
		jw_kbool(w, "thought", true);
		if (sig_ok(x, p))
			w_kstr(w, "thoughtSignature", p->signature);
		jw_end(w);
		return;
	case IR_PART_IMAGE:
	case IR_PART_FILE:
		write_media(x, p, model_role);
		return;
	case IR_PART_TOOL_CALL:
		name = sent_name(x->c, p->name);
		if (!name) {
			x->err = -ENOMEM;
			return;
		}
		jw_obj(w);
		jw_key(w, "functionCall");
		jw_obj(w);
		jw_kstr(w, "id", p->call_id);
		jw_kstr(w, "name", name);
		jw_key(w, "args");
		if (p->custom) {
			jw_obj(w);
			w_kstr(w, "input", p->text);
			jw_end(w);
		} else {
			struct ir_str a = ir_args_object(x->c->a, p);
			jw_raw(w, a.p, a.n);
		}
		jw_end(w);
		if (sig_ok(x, p)) {
			w_kstr(w, "thoughtSignature", p->signature);
		} else if (*first_call) {
			/* Gemini 3 validates the first call of a turn (SPEC §4.3). */
			jw_kstr(w, "thoughtSignature", GEMINI_SKIP_SIGNATURE);
		}
		*first_call = false;
		jw_end(w);
		return;
	case IR_PART_TOOL_RESULT:
		name = p->name ? p->name : ir_call_name(x->r, p->call_id);
		name = sent_name(x->c, name ? name : p->call_id);
		if (!name) {
			x->err = -ENOMEM;
			return;
		}
		jw_obj(w);
		jw_key(w, "functionResponse");
		jw_obj(w);
		jw_kstr(w, "id", p->call_id);
		jw_kstr(w, "name", name);
		jw_key(w, "response");
		write_result_response(x, p);
		jw_end(w);
		jw_end(w);
		/* Images of the result follow as parts of the same turn. */
		for (i = 0; i < p->ncontent; i++) {
			const struct ir_part *q = &p->content[i];
			if ((q->kind == IR_PART_IMAGE || q->kind == IR_PART_FILE) &&
			    (q->data.p || q->url))
				write_media(x, q, false);
		}
		return;
	case IR_PART_REDACTED_THINKING:
		return;
	}
}

/* One user turn of texts (mid-conversation system messages). */
static void write_texts(struct reqenc *x, struct ir_str *texts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		jw_obj(x->w);
		w_kstr(x->w, "text", texts[i]);
		jw_end(x->w);
	}
}

static bool has_result(const struct ir_message *m)
{
	size_t i;

	for (i = 0; i < m->nparts; i++)
		if (m->parts[i].kind == IR_PART_TOOL_RESULT)
			return true;
	return false;
}

static void write_contents(struct reqenc *x)
{
	const struct ir_request *r = x->r;
	struct jsonw *w = x->w;
	struct ir_str *pending;
	size_t npending = 0, i, k, written = 0;

	pending = arena_alloc(x->c->a, (r->nmessages + 1) * sizeof(*pending) * 4 + 1);
	if (!pending) {
		x->err = -ENOMEM;
		return;
	}
	jw_key(w, "contents");
	jw_arr(w);
	for (i = 0; i <= r->nmessages; i++) {
		const struct ir_message *m = i < r->nmessages ? &r->messages[i] : NULL;
		bool model = m && m->role == IR_ROLE_ASSISTANT, any = false, first_call = true;
		bool results;

		if (m && m->role == IR_ROLE_SYSTEM) {
			/* Gemini has no system turns: they become user text, joined
			   to the next user turn when there is one. */
			struct ir_str *grown;
			for (k = 0; k < m->nparts; k++) {
				if (m->parts[k].kind != IR_PART_TEXT || !m->parts[k].text.n)
					continue;
				if (npending >= (r->nmessages + 1) * 4) {
					grown = arena_realloc(x->c->a, pending, npending * sizeof(*pending),
							      npending * 2 * sizeof(*pending));
					if (!grown) {
						x->err = -ENOMEM;
						return;
					}
					pending = grown;
				}
				pending[npending++] = m->parts[k].text;
			}
			continue;
		}
		if (npending && (!m || model)) {
			jw_obj(w);
			jw_kstr(w, "role", "user");
			jw_key(w, "parts");
			jw_arr(w);
			write_texts(x, pending, npending);
			jw_end(w);
			jw_end(w);
			npending = 0;
			written++;
		}
		if (!m)
			break;
		for (k = 0; k < m->nparts; k++)
			any |= part_emits(x, &m->parts[k]);
		if (!any && !npending)
			continue;
		results = has_result(m);
		jw_obj(w);
		jw_kstr(w, "role", model ? "model" : "user");
		jw_key(w, "parts");
		jw_arr(w);
		if (npending && !results)
			write_texts(x, pending, npending);
		for (k = 0; k < m->nparts; k++)
			if (part_emits(x, &m->parts[k]))
				write_part(x, &m->parts[k], model, &first_call);
		if (npending && results)
			write_texts(x, pending, npending);
		npending = 0;
		jw_end(w);
		jw_end(w);
		written++;
	}
	if (!written) {
		/* Gemini needs at least one turn with a non-empty part. */
		jw_obj(w);
		jw_kstr(w, "role", "user");
		jw_key(w, "parts");
		jw_arr(w);
		jw_obj(w);
		jw_kstr(w, "text", " ");
		jw_end(w);
		jw_end(w);
		jw_end(w);
	}
	jw_end(w);
}

/* Claude Code's billing line is for Anthropic only (as for Codex, SPEC §4.2). */
static bool keep_system(const struct ir_request *r, const struct ir_part *p)
{
	static const char billing[] = "x-anthropic-billing-header:";

	if (!p->text.n)
		return false;
	return !(r->family == IR_FAM_CLAUDE && p->text.n >= sizeof(billing) - 1 &&
		 memcmp(p->text.p, billing, sizeof(billing) - 1) == 0);
}

static void write_system(struct reqenc *x)
{
	const struct ir_request *r = x->r;
	struct jsonw *w = x->w;
	size_t i, n = 0;

	for (i = 0; i < r->nsystem; i++)
		n += keep_system(r, &r->system[i]);
	if (!n)
		return;
	jw_key(w, "systemInstruction");
	jw_obj(w);
	jw_kstr(w, "role", "user");
	jw_key(w, "parts");
	jw_arr(w);
	for (i = 0; i < r->nsystem; i++) {
		if (!keep_system(r, &r->system[i]))
			continue;
		jw_obj(w);
		w_kstr(w, "text", r->system[i].text);
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
}

/* The Gemini built-in for another family's built-in tool type, or NULL. */
static const char *builtin_for(const char *type)
{
	if (!type)
		return NULL;
	if (strncmp(type, "web_search", 10) == 0 || strcmp(type, "google_search") == 0 ||
	    strcmp(type, "googleSearch") == 0)
		return "googleSearch";
	if (strncmp(type, "code_execution", 14) == 0 || strcmp(type, "codeExecution") == 0)
		return "codeExecution";
	if (strcmp(type, "url_context") == 0 || strcmp(type, "urlContext") == 0)
		return "urlContext";
	return NULL;
}

/*
 * A built-in tool goes to Gemini when a Gemini client asked for it, or when
 * it maps to a Gemini built-in and there are no function declarations
 * (Gemini 2.x refuses search tools combined with function calling, and
 * Codex sends web_search with every request).
 */
static bool builtin_ok(const struct ir_tool *t, size_t nfn)
{
	if (t->kind != IR_TOOL_BUILTIN)
		return false;
	if (gemini_fam(t->raw_family) && t->raw.p)
		return true;
	return !nfn && builtin_for(t->type);
}

static void write_decl(struct reqenc *x, const struct ir_tool *t)
{
	struct jsonw *w = x->w;
	const char *name = sent_name(x->c, t->name);
	int rc;

	if (!name) {
		x->err = -ENOMEM;
		return;
	}
	if (gemini_fam(t->raw_family) && t->raw.p && t->kind == IR_TOOL_FUNCTION) {
		/* A Gemini client's own declaration: it is already Gemini's. */
		jw_raw(w, t->raw.p, t->raw.n);
		return;
	}
	jw_obj(w);
	jw_kstr(w, "name", name);
	if (t->description.p)
		w_kstr(w, "description", t->description);
	jw_key(w, "parametersJsonSchema");
	if (t->kind == IR_TOOL_CUSTOM) {
		/* A free-form tool: one string argument carries its input. */
		jw_obj(w);
		jw_kstr(w, "type", "object");
		jw_key(w, "properties");
		jw_obj(w);
		jw_key(w, "input");
		jw_obj(w);
		jw_kstr(w, "type", "string");
		jw_end(w);
		jw_end(w);
		jw_key(w, "required");
		jw_arr(w);
		jw_cstr(w, "input");
		jw_end(w);
		jw_end(w);
	} else if (t->parameters.p) {
		rc = schema_write_text(w, t->parameters.p, t->parameters.n, SCHEMA_GEMINI_JSON,
				       SCHEMA_PARAMS, x->c->a);
		if (rc == -EINVAL)
			schema_write(w, NULL, -1, SCHEMA_GEMINI_JSON, SCHEMA_PARAMS, x->c->a);
		else if (rc < 0 && !x->err)
			x->err = rc;
	} else {
		schema_write(w, NULL, -1, SCHEMA_GEMINI_JSON, SCHEMA_PARAMS, x->c->a);
	}
	jw_end(w);
}

static void write_tools(struct reqenc *x)
{
	const struct ir_request *r = x->r;
	struct jsonw *w = x->w;
	size_t i, nfn = 0, nbuiltin = 0;

	for (i = 0; i < r->ntools; i++)
		nfn += r->tools[i].kind != IR_TOOL_BUILTIN;
	for (i = 0; i < r->ntools; i++)
		nbuiltin += builtin_ok(&r->tools[i], nfn);
	if (!nfn && !nbuiltin)
		return;
	jw_key(w, "tools");
	jw_arr(w);
	if (nfn) {
		jw_obj(w);
		jw_key(w, "functionDeclarations");
		jw_arr(w);
		for (i = 0; i < r->ntools; i++)
			if (r->tools[i].kind != IR_TOOL_BUILTIN)
				write_decl(x, &r->tools[i]);
		jw_end(w);
		jw_end(w);
	}
	for (i = 0; i < r->ntools; i++) {
		const struct ir_tool *t = &r->tools[i];
		const char *b;
		if (!builtin_ok(t, nfn))
			continue;
		if (gemini_fam(t->raw_family) && t->raw.p) {
			jw_raw(w, t->raw.p, t->raw.n);
		} else if ((b = builtin_for(t->type))) {
			jw_obj(w);
			jw_key(w, b);
			jw_obj(w);
			jw_end(w);
			jw_end(w);
		}
	}
	jw_end(w);
}

static void write_tool_config(struct reqenc *x)
{
	const struct ir_tool_choice *ch = &x->r->tool_choice;
	struct jsonw *w = x->w;
	const char *mode, *name = NULL;

	switch (ch->kind) {
	case IR_TC_AUTO:
		mode = "AUTO";
		break;
	case IR_TC_NONE:
		mode = "NONE";
		break;
	case IR_TC_REQUIRED:
		mode = "ANY";
		break;
	case IR_TC_TOOL:
		mode = "ANY";
		name = sent_name(x->c, ch->name);
		if (!name) {
			x->err = -ENOMEM;
			return;
		}
		break;
	default:
		return;
	}
	jw_key(w, "toolConfig");
	jw_obj(w);
	jw_key(w, "functionCallingConfig");
	jw_obj(w);
	jw_kstr(w, "mode", mode);
	if (name) {
		jw_key(w, "allowedFunctionNames");
		jw_arr(w);
		jw_cstr(w, name);
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
}

static bool model_is_gemini3(const char *model)
{
	return model && strstr(model, "gemini-3") != NULL;
}

/* thinkingLevel for an effort: the client's own level for Gemini clients,
   else LOW or HIGH (the levels every Gemini 3 model takes). */
static const char *level_for(const struct reqenc *x, const char *effort)
{
	static const char *const gemini_levels[] = { "minimal", "low", "medium", "high" };
	size_t i;

	if (!effort)
		return NULL;
	if (gemini_fam(x->r->family))
		for (i = 0; i < 4; i++)
			if (strcmp(effort, gemini_levels[i]) == 0) {
				static const char *const up[] = { "MINIMAL", "LOW", "MEDIUM", "HIGH" };
				return up[i];
			}
	if (strcmp(effort, "none") == 0)
		return NULL;
	if (strcmp(effort, "minimal") == 0 || strcmp(effort, "low") == 0)
		return "LOW";
	return "HIGH";
}

/* Clamp a budget to what Gemini 2.5 models take (pro 128..32768, others
   0..24576, flash-lite at least 512 when on). */
static int64_t clamp_budget(const char *model, int64_t b)
{
	int64_t lo = 1, hi = 24576;

	if (b <= 0)
		return b;
	if (model && strstr(model, "pro")) {
		lo = 128;
		hi = 32768;
	} else if (model && strstr(model, "flash-lite")) {
		lo = 512;
	}
	return b < lo ? lo : b > hi ? hi : b;
}

static void write_thinking(struct reqenc *x, bool *open)
{
	const struct ir_reasoning *re = &x->r->reasoning;
	const char *model = x->c->upstream_model ? x->c->upstream_model : x->r->model;
	/* Unknown model: keep the form the request came with. */
	bool g3 = model ? model_is_gemini3(model) : !re->has_budget && re->effort;
	struct jsonw *w = x->w;
	const char *level = NULL;
	bool has_budget = false;
	int64_t budget = 0;
	int include = re->include_thoughts;

	switch (re->mode) {
	case IR_THINK_UNSET:
		break;
	case IR_THINK_DISABLED:
		if (!g3) {
			has_budget = true;
			budget = 0;
		}
		break;
	case IR_THINK_ADAPTIVE:
		if (g3) {
			level = level_for(x, re->effort);
		} else {
			has_budget = true;
			budget = -1;
		}
		if (include < 0)
			include = 1;
		break;
	case IR_THINK_ENABLED:
		if (g3) {
			level = level_for(x, re->effort ? re->effort
						: re->has_budget ? ir_budget_to_effort(re->budget)
								 : "high");
		} else if (re->has_budget) {
			has_budget = true;
			budget = re->budget;
		} else if (re->effort && ir_effort_to_budget(re->effort, &budget) == 0) {
			has_budget = true;
		} else {
			has_budget = true;
			budget = -1;
		}
		if (has_budget)
			budget = clamp_budget(model, budget);
		if (include < 0)
			include = 1;
		break;
	}
	if (!level && !has_budget && include < 0)
		return;
	if (!*open) {
		jw_key(w, "generationConfig");
		jw_obj(w);
		*open = true;
	}
	jw_key(w, "thinkingConfig");
	jw_obj(w);
	if (include >= 0)
		jw_kbool(w, "includeThoughts", include);
	if (has_budget)
		jw_kint(w, "thinkingBudget", budget);
	if (level)
		jw_kstr(w, "thinkingLevel", level);
	jw_end(w);
}

/* Write the members of a raw JSON object into the open object of w. */
static void raw_members(struct jsonw *w, struct ir_str obj)
{
	struct json j;
	int k;

	if (json_parse(&j, w->b->a, obj.p, obj.n) < 0 || json_kind(&j, 0) != JSON_OBJECT)
		return;
	for (k = json_first(&j, 0); k >= 0; k = json_after(&j, k)) {
		size_t n, vn;
		char *key = json_str(&j, k, w->b->a, &n);
		const char *v = json_text(&j, k + 1, &vn);
		if (!key) {
			w->err = w->err ? w->err : -ENOMEM;
			return;
		}
		jw_keyn(w, key, n);
		jw_raw(w, v, vn);
	}
}

/*
 * The members of a Gemini client's own body the IR does not model
 * (cachedContent, labels, session_id, generationConfig.responseModalities,
 * imageConfig, speechConfig, ...), so that Gemini <-> Gemini CLI loses
 * nothing: copied as sent after the members written from the IR.
 */
static bool modelled(const struct reqenc *x, const struct json *j, int k, bool gen)
{
	static const char *const top[] = {
		"contents", "systemInstruction", "system_instruction", "tools", "toolConfig",
		"tool_config", "safetySettings", "safety_settings", "generationConfig",
		"generation_config", NULL,
	};
	static const char *const cfg[] = {
		"temperature", "topP", "top_p", "topK", "top_k", "maxOutputTokens",
		"max_output_tokens", "candidateCount", "candidate_count", "seed",
		"presencePenalty", "presence_penalty", "frequencyPenalty", "frequency_penalty",
		"stopSequences", "stop_sequences", "thinkingConfig", "thinking_config", NULL,
	};
	static const char *const fmt[] = {
		"responseMimeType", "response_mime_type", "responseSchema", "response_schema",
		"responseJsonSchema", "response_json_schema", NULL,
	};
	const char *const *list = gen ? cfg : top;
	size_t i;

	for (i = 0; list[i]; i++)
		if (json_streq(j, k, list[i]))
			return true;
	if (gen && x->r->format.kind != IR_FMT_UNSET)
		for (i = 0; fmt[i]; i++)
			if (json_streq(j, k, fmt[i]))
				return true;
	return false;
}

static void gc_key(struct jsonw *w, bool *open, const char *key);

static void extra_members(struct reqenc *x, int obj, bool gen, bool *open)
{
	const struct json *j = &x->raw;
	int k;

	if (obj < 0 || json_kind(j, obj) != JSON_OBJECT)
		return;
	for (k = json_first(j, obj); k >= 0; k = json_after(j, k)) {
		size_t n, vn;
		char *key;
		const char *v;

		if (modelled(x, j, k, gen))
			continue;
		key = json_str(j, k, x->c->a, &n);
		if (!key) {
			x->err = -ENOMEM;
			return;
		}
		v = json_text(j, k + 1, &vn);
		if (gen)
			gc_key(x->w, open, key);
		else
			jw_key(x->w, key);
		jw_raw(x->w, v, vn);
	}
}

/* Find the Gemini client's body in r->raw (inside `request` for Gemini CLI). */
static void find_raw(struct reqenc *x)
{
	const struct ir_request *r = x->r;
	int root = 0, inner;

	x->rawobj = x->rawgen = -1;
	if (!gemini_fam(r->family) || !r->raw.p ||
	    json_parse(&x->raw, x->c->a, r->raw.p, r->raw.n) < 0 ||
	    json_kind(&x->raw, 0) != JSON_OBJECT)
		return;
	inner = json_get(&x->raw, 0, "request");
	if (r->family == IR_FAM_GEMINI_CLI && json_kind(&x->raw, inner) == JSON_OBJECT)
		root = inner;
	x->rawobj = root;
	x->rawgen = get2(&x->raw, root, "generationConfig", "generation_config");
}

static void gc_key(struct jsonw *w, bool *open, const char *key)
{
	if (!*open) {
		jw_key(w, "generationConfig");
		jw_obj(w);
		*open = true;
	}
	jw_key(w, key);
}

static void write_gen(struct reqenc *x)
{
	const struct ir_request *r = x->r;
	const struct ir_gen *g = &r->gen;
	struct jsonw *w = x->w;
	bool open = false;
	size_t i;

	if (g->has_temperature) {
		gc_key(w, &open, "temperature");
		jw_double(w, g->temperature);
	}
	if (g->has_top_p) {
		gc_key(w, &open, "topP");
		jw_double(w, g->top_p);
	}
	if (g->has_top_k) {
		gc_key(w, &open, "topK");
		jw_int(w, g->top_k);
	}
	if (g->has_max_tokens) {
		gc_key(w, &open, "maxOutputTokens");
		jw_int(w, g->max_tokens);
	}
	if (g->nstop) {
		gc_key(w, &open, "stopSequences");
		jw_arr(w);
		for (i = 0; i < g->nstop && i < 5; i++)
			w_str(w, g->stop[i]);
		jw_end(w);
	}
	if (g->has_presence_penalty) {
		gc_key(w, &open, "presencePenalty");
		jw_double(w, g->presence_penalty);
	}
	if (g->has_frequency_penalty) {
		gc_key(w, &open, "frequencyPenalty");
		jw_double(w, g->frequency_penalty);
	}
	if (g->has_seed) {
		gc_key(w, &open, "seed");
		jw_int(w, g->seed);
	}
	if (r->format.kind == IR_FMT_JSON_OBJECT || r->format.kind == IR_FMT_JSON_SCHEMA) {
		gc_key(w, &open, "responseMimeType");
		jw_cstr(w, "application/json");
	}
	if (r->format.kind == IR_FMT_JSON_SCHEMA && gemini_fam(r->format.raw_family) &&
	    r->format.raw.p && r->format.raw.n > 2) {
		/* a Gemini client's own schema member, without its braces */
		if (!open) {
			jw_key(w, "generationConfig");
			jw_obj(w);
			open = true;
		}
		raw_members(w, r->format.raw);
	} else if (r->format.kind == IR_FMT_JSON_SCHEMA && r->format.schema.p) {
		int rc;
		gc_key(w, &open, "responseJsonSchema");
		rc = schema_write_text(w, r->format.schema.p, r->format.schema.n,
				       SCHEMA_GEMINI_JSON, 0, x->c->a);
		if (rc == -EINVAL) {
			jw_obj(w);
			jw_end(w);
		} else if (rc < 0 && !x->err) {
			x->err = rc;
		}
	}
	write_thinking(x, &open);
	extra_members(x, x->rawgen, true, &open);
	if (open)
		jw_end(w);
}

int gemini_write_req(struct xlate_ctx *c, const struct ir_request *r, enum ir_family fam,
		     struct jsonw *w, struct apierr *e)
{
	struct reqenc x = { .c = c, .r = r, .fam = fam, .w = w };

	find_raw(&x);
	jw_obj(w);
	write_contents(&x);
	write_system(&x);
	write_tools(&x);
	write_tool_config(&x);
	if (r->safety.p && gemini_fam(r->family)) {
		jw_key(w, "safetySettings");
		jw_raw(w, r->safety.p, r->safety.n);
	}
	write_gen(&x);
	extra_members(&x, x.rawobj, false, NULL);
	jw_end(w);
	if (!x.err)
		x.err = jw_error(w);
	if (x.err == -E2BIG)
		return apierr_set(e, x.err, 413, "request_too_large", "request too large");
	if (x.err)
		return nomem(e);
	return 0;
}

