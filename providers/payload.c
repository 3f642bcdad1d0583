/*
 * payload.c - payload rules (see payload.h).  Each set or delete parses the
 * current document, walks the path and makes one splice, so edits never
 * overlap and every other byte is kept.  Bounded: paths of at most
 * PATH_MAX_PARTS levels; the result by LIMIT_BODY_BYTES * 2 like the
 * encoded body; documents by json_parse's own caps.
 */
#include "providers/payload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/parse.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/log.h"

#define PATH_MAX_PARTS 32

struct path {
	const char *part[PATH_MAX_PARTS];
	int n;
};

/* Split a dot path; "\." (and "\\") escape.  -EINVAL for an empty path,
   an empty part or too many parts. */
static int path_split(struct arena *a, const char *s, struct path *p)
{
	size_t len = strlen(s);
	char *cur = arena_alloc(a, len + 1), *w = cur;

	if (!cur)
		return -ENOMEM;
	p->n = 0;
	if (!len)
		return -EINVAL;
	for (size_t i = 0;; i++) {
		if (i == len || s[i] == '.') {
			*w++ = '\0';
			if (!*cur || p->n == PATH_MAX_PARTS)
				return -EINVAL;
			p->part[p->n++] = cur;
			if (i == len)
				return 0;
			cur = w;
			continue;
		}
		if (s[i] == '\\' && i + 1 < len)
			i++;
		*w++ = s[i];
	}
}

static bool is_index(const char *s, long *ret)
{
	uint64_t v;

	if (strcmp(s, "-1") == 0) {
		*ret = -1;
		return true;
	}
	if (strlen(s) > 9 || parse_u64(s, strlen(s), 999999999, &v) < 0)
		return false;
	*ret = (long)v;
	return true;
}

static void add_json_string(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			buf_addf(b, "\\%c", ch);
		else if (ch < 0x20)
			buf_addf(b, "\\u%04x", ch);
		else
			buf_addc(b, (char)ch);
	}
	buf_addc(b, '"');
}

/* The value that path parts [from, n) create around value: objects, or
   arrays (null-padded up to the index) for numeric parts. */
static void add_nested(struct buf *b, const struct path *p, int from, const char *value)
{
	long idx;

	if (from == p->n) {
		buf_adds(b, value);
		return;
	}
	if (is_index(p->part[from], &idx)) {
		buf_addc(b, '[');
		for (long i = 0; i < idx; i++)
			buf_adds(b, "null,");
		add_nested(b, p, from + 1, value);
		buf_addc(b, ']');
		return;
	}
	buf_addc(b, '{');
	add_json_string(b, p->part[from]);
	buf_addc(b, ':');
	add_nested(b, p, from + 1, value);
	buf_addc(b, '}');
}

/* Where the walk stopped: node is the value at parts [0, at); at == n
   means found.  key: for an object parent, the key token of the value. */
struct walk {
	int node, at, key;
	int parent; /* container of node (-1 for the root) */
};

static void walk(const struct json *j, const struct path *p, struct walk *w)
{
	w->node = 0;
	w->parent = -1;
	w->key = -1;
	for (w->at = 0; w->at < p->n; w->at++) {
		const char *part = p->part[w->at];
		int next = -1, key = -1;
		long idx;

		if (json_kind(j, w->node) == JSON_OBJECT) {
			for (int k = json_first(j, w->node); k >= 0; k = json_after(j, k))
				if (json_streq(j, k, part)) {
					key = k;
					next = k + 1;
					break;
				}
		} else if (json_kind(j, w->node) == JSON_ARRAY && is_index(part, &idx) && idx >= 0) {
			next = json_at(j, w->node, (int)idx);
		}
		if (next < 0)
			return;
		w->parent = w->node;
		w->key = key;
		w->node = next;
	}
}

static size_t tok_start(const struct json *j, int i)
{
	size_t len;
	return (size_t)(json_text(j, i, &len) - j->src);
}

static size_t tok_end(const struct json *j, int i)
{
	size_t len;
	const char *t = json_text(j, i, &len);
	return (size_t)(t - j->src) + len;
}

/* Write doc with [off, off+len) replaced by text. */
static int splice(struct arena *a, const struct json *j, size_t off, size_t len, const char *text,
		  size_t tlen, const char **ret, size_t *ret_n)
{
	struct buf out;

	buf_init(&out, a, (size_t)LIMIT_BODY_BYTES * 2);
	buf_add(&out, j->src, off);
	buf_add(&out, text, tlen);
	buf_add(&out, j->src + off + len, j->len - off - len);
	if (out.err)
		return out.err;
	*ret = out.p;
	*ret_n = out.len;
	return 0;
}

static int parse(struct arena *a, const char *doc, size_t n, struct json *j)
{
	int r = json_parse(j, a, doc, n);
	return r == -EINVAL ? -EINVAL : r;
}

bool payload_exists(struct arena *a, const char *doc, size_t n, const char *path)
{
	struct json j;
	struct path p;
	struct walk w;

	if (path_split(a, path, &p) < 0 || parse(a, doc, n, &j) < 0)
		return false;
	walk(&j, &p, &w);
	return w.at == p.n;
}

int payload_set(struct arena *a, const char *doc, size_t n, const char *path, const char *value,
		bool only_if_missing, const char **ret, size_t *ret_n)
{
	struct json j, jv;
	struct path p;
	struct walk w;
	struct buf t;
	enum json_kind kind;
	size_t at;
	int r;

	*ret = doc;
	*ret_n = n;
	if ((r = path_split(a, path, &p)) < 0 || (r = parse(a, doc, n, &j)) < 0 ||
	    (r = parse(a, value, strlen(value), &jv)) < 0)
		return r;
	walk(&j, &p, &w);
	buf_init(&t, a, (size_t)LIMIT_BODY_BYTES * 2);
	if (w.at == p.n) {
		if (only_if_missing)
			return 0;
		return splice(a, &j, tok_start(&j, w.node), tok_end(&j, w.node) - tok_start(&j, w.node),
			      value, strlen(value), ret, ret_n);
	}
	kind = json_kind(&j, w.node);
	if (kind == JSON_OBJECT) {
		int last = -1;

		for (int k = json_first(&j, w.node); k >= 0; k = json_after(&j, k))
			last = k;
		if (last >= 0)
			buf_addc(&t, ',');
		add_json_string(&t, p.part[w.at]);
		buf_addc(&t, ':');
		add_nested(&t, &p, w.at + 1, value);
		at = last >= 0 ? tok_end(&j, last + 1) : tok_start(&j, w.node) + 1;
	} else if (kind == JSON_ARRAY) {
		long idx;
		int size = json_size(&j, w.node);

		if (!is_index(p.part[w.at], &idx))
			return -EINVAL; /* a key on an array */
		if (idx < 0)
			idx = size;
		if (size)
			buf_addc(&t, ',');
		for (long i = size; i < idx; i++)
			buf_adds(&t, "null,");
		add_nested(&t, &p, w.at + 1, value);
		at = size ? tok_end(&j, json_at(&j, w.node, size - 1)) : tok_start(&j, w.node) + 1;
	} else {
		/* A scalar in the way: replaced by the levels the path needs. */
		if (w.parent < 0)
			return -EINVAL;
		add_nested(&t, &p, w.at, value);
		if (t.err)
			return t.err;
		return splice(a, &j, tok_start(&j, w.node), tok_end(&j, w.node) - tok_start(&j, w.node),
			      t.p, t.len, ret, ret_n);
	}
	if (t.err)
		return t.err;
	return splice(a, &j, at, 0, t.p, t.len, ret, ret_n);
}

int payload_delete(struct arena *a, const char *doc, size_t n, const char *path,
		   const char **ret, size_t *ret_n)
{
	struct json j;
	struct path p;
	struct walk w;
	int first, prev = -1, self, next;
	size_t s, e;
	int r;

	*ret = doc;
	*ret_n = n;
	if ((r = path_split(a, path, &p)) < 0 || (r = parse(a, doc, n, &j)) < 0)
		return r;
	walk(&j, &p, &w);
	if (w.at != p.n || w.parent < 0)
		return 0;
	/* The entry: key token for objects, the element for arrays. */
	self = w.key >= 0 ? w.key : w.node;
	first = json_first(&j, w.parent);
	for (int k = first; k >= 0 && k != self; k = json_after(&j, k))
		prev = k;
	next = json_after(&j, self);
	if (next >= 0) { /* up to the next entry: the comma goes along */
		s = tok_start(&j, self);
		e = tok_start(&j, next);
	} else if (prev >= 0) { /* the last one: from the end of the previous */
		s = tok_end(&j, w.key >= 0 ? prev + 1 : prev);
		e = tok_end(&j, w.node);
	} else {
		s = tok_start(&j, self);
		e = tok_end(&j, w.node);
	}
	return splice(a, &j, s, e - s, "", 0, ret, ret_n);
}

bool payload_model_match(const char *pat, const char *name)
{
	const char *star = NULL, *resume = NULL;

	if (!pat || !name)
		return false;
	while (*name) {
		if (*pat == '*') {
			star = ++pat;
			resume = name;
		} else if (*pat == *name) {
			pat++;
			name++;
		} else if (star) {
			pat = star;
			name = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static bool protocol_match(const char *proto, enum ir_family fam)
{
	if (!proto || !*proto)
		return true;
	switch (fam) {
	case IR_FAM_OPENAI:
		return strcmp(proto, "openai") == 0;
	case IR_FAM_RESPONSES:
		return strcmp(proto, "codex") == 0 || strcmp(proto, "openai-response") == 0 ||
		       strcmp(proto, "responses") == 0;
	case IR_FAM_CLAUDE:
		return strcmp(proto, "claude") == 0;
	case IR_FAM_GEMINI:
		return strcmp(proto, "gemini") == 0;
	case IR_FAM_GEMINI_CLI:
		return strcmp(proto, "gemini-cli") == 0;
	default:
		return false;
	}
}

static bool models_match(const struct payload_model *v, size_t nv, const char *model,
			 const char *client_model, enum ir_family fam)
{
	for (size_t i = 0; i < nv; i++) {
		if (!protocol_match(v[i].protocol, fam))
			continue;
		if (payload_model_match(v[i].name, model) ||
		    (client_model && payload_model_match(v[i].name, client_model)))
			return true;
	}
	return false;
}

/* The path as applied: under "request." for gemini-cli. */
static const char *full_path(struct arena *a, const char *path, enum ir_family fam)
{
	if (fam != IR_FAM_GEMINI_CLI || strncmp(path, "request.", 8) == 0 ||
	    strcmp(path, "request") == 0)
		return path;
	return arena_printf(a, "request.%s", path);
}

static int apply_rules(const struct payload_rule_list *l, const char *kind, bool only_if_missing,
		       const char *model, const char *client_model, enum ir_family fam,
		       struct arena *a, const char **doc, size_t *n)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct payload_rule *rule = &l->v[i];

		if (!models_match(rule->models.v, rule->models.n, model, client_model, fam))
			continue;
		for (size_t k = 0; k < rule->params.n; k++) {
			const struct payload_param *pp = &rule->params.v[k];
			const char *path = pp->path ? full_path(a, pp->path, fam) : NULL;
			int r;

			if (!path || !pp->json)
				continue;
			r = payload_set(a, *doc, *n, path, pp->json, only_if_missing, doc, n);
			if (r == -ENOMEM || r == -E2BIG)
				return r;
			if (r < 0)
				log_error("payload.%s rule (line %d): cannot set %s: %s", kind,
					  rule->line, pp->path, r == -EINVAL ? "not valid JSON or path"
									   : "error");
		}
	}
	return 0;
}

int payload_apply(const struct config *cfg, const char *model, const char *client_model,
		  enum ir_family fam, struct arena *a, const char *body, size_t n,
		  const char **ret, size_t *ret_n, struct apierr *e)
{
	const char *doc = body;
	size_t len = n;
	int r = 0;

	*ret = body;
	*ret_n = n;
	if (!model)
		return 0;
	if (!(r = apply_rules(&cfg->payload.default_, "default", true, model, client_model, fam,
			      a, &doc, &len)))
		r = apply_rules(&cfg->payload.default_raw, "default-raw", true, model, client_model,
				fam, a, &doc, &len);
	if (!r)
		r = apply_rules(&cfg->payload.override, "override", false, model, client_model, fam,
				a, &doc, &len);
	if (!r)
		r = apply_rules(&cfg->payload.override_raw, "override-raw", false, model,
				client_model, fam, a, &doc, &len);
	for (size_t i = 0; !r && i < cfg->payload.filter.n; i++) {
		const struct payload_filter *f = &cfg->payload.filter.v[i];

		if (!models_match(f->models.v, f->models.n, model, client_model, fam))
			continue;
		for (size_t k = 0; !r && k < f->params.n; k++) {
			const char *path = full_path(a, f->params.v[k], fam);
			r = path ? payload_delete(a, doc, len, path, &doc, &len) : -ENOMEM;
			if (r == -EINVAL)
				r = 0; /* a bad path deletes nothing */
		}
	}
	if (r == -E2BIG)
		return apierr_set(e, r, 413, "request_too_large", "request body too large");
	if (r < 0)
		return apierr_set(e, r, 500, "api_error", "out of memory");
	*ret = doc;
	*ret_n = len;
	return 0;
}
