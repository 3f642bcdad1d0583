/*
 * schema.c - JSON Schema rewriting for Gemini (allow-list) and back to plain
 * JSON Schema.  Gemini nodes are rebuilt from a view collected over the node,
 * its allOf branches and its $ref targets (the node's own keywords win);
 * unknown keywords are never copied.  Refuses nothing: a schema it cannot
 * express becomes a looser one.  Bounded by SCHEMA_MAX_DEPTH levels,
 * SCHEMA_MAX_REF_DEPTH $ref hops per path and SCHEMA_MAX_NODES nodes.
 */
#include "translate/schema.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/parse.h"

enum { T_NONE, T_STRING, T_NUMBER, T_INTEGER, T_BOOLEAN, T_ARRAY, T_OBJECT, T_NULL };

static const char *const type_lower[] = { NULL, "string", "number", "integer", "boolean",
					  "array", "object", "null" };
static const char *const type_upper[] = { NULL, "STRING", "NUMBER", "INTEGER", "BOOLEAN",
					  "ARRAY", "OBJECT", "NULL" };

#define MAXMERGE 8      /* properties/required/enum sources merged into one node */
#define MAXBRANCH 64    /* anyOf branches looked at */
#define MAXCOLLECT 16   /* allOf / $ref nesting while collecting one node */
#define MAXHINT_VALUE 120
#define MAXPATH (SCHEMA_MAX_REF_DEPTH * MAXMERGE)

struct sctx {
	const struct json *j;
	struct arena *a;
	struct jsonw *w;
	enum schema_target t;
	int root;
	long budget;
	int path[MAXPATH]; /* $ref targets expanded by the ancestors of this node */
	int npath;
};

struct view {
	int typetok;
	bool nullable;
	int desc, title, fmt, pattern;
	int props[MAXMERGE], nprops;
	int req[MAXMERGE], nreq;
	int items, prefix;
	int enm[MAXMERGE], nenm;
	bool enm_const[MAXMERGE];
	int anyof;
	int minimum, maximum, exmin, exmax, minlen, maxlen;
	int minitems, maxitems, minprops, maxprops, mult;
	int dflt, example, order;
	int unresolved; /* a $ref we could not (or would not: a cycle) follow */
	int followed[MAXMERGE], nfollowed; /* $ref targets expanded into this node */
	int refdepth;   /* deepest $ref expansion feeding this node */
};

static void view_init(struct view *v, int refdepth)
{
	memset(v, 0, sizeof(*v));
	v->typetok = v->desc = v->title = v->fmt = v->pattern = -1;
	v->items = v->prefix = v->anyof = -1;
	v->minimum = v->maximum = v->exmin = v->exmax = v->minlen = v->maxlen = -1;
	v->minitems = v->maxitems = v->minprops = v->maxprops = v->mult = -1;
	v->dflt = v->example = v->order = v->unresolved = -1;
	v->refdepth = refdepth;
}

static int type_code(const struct json *j, int tok)
{
	size_t n;
	const char *s;
	int t;

	if (json_kind(j, tok) != JSON_STRING)
		return T_NONE;
	s = json_raw(j, tok, &n);
	for (t = T_STRING; t <= T_NULL; t++)
		if (strn_caseeq(s, n, type_lower[t]))
			return t;
	return T_NONE;
}

static void set_if(int *field, int val)
{
	if (*field < 0)
		*field = val;
}

static void set_kind(const struct json *j, int *field, int val, enum json_kind k)
{
	if (*field < 0 && json_kind(j, val) == k)
		*field = val;
}

/* Follow a local JSON pointer ("#", "#/$defs/Name", "#/definitions/A/properties/b"). */
static int resolve_ref(struct sctx *c, int reftok)
{
	size_t n, i, seg;
	char *s = json_str(c->j, reftok, c->a, &n);
	int cur = c->root;

	if (!s || n == 0 || s[0] != '#')
		return -1;
	i = 1;
	while (i < n && cur >= 0) {
		char name[256];
		size_t k = 0;

		if (s[i] != '/')
			return -1;
		i++;
		for (seg = i; i < n && s[i] != '/'; i++) {
			char ch = s[i];
			if (ch == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
				ch = s[i + 1] == '0' ? '~' : '/';
				i++;
			}
			if (k + 1 >= sizeof(name))
				return -1;
			name[k++] = ch;
		}
		name[k] = 0;
		(void)seg;
		if (json_kind(c->j, cur) == JSON_OBJECT) {
			cur = json_get(c->j, cur, name);
		} else if (json_kind(c->j, cur) == JSON_ARRAY) {
			uint64_t idx;
			if (parse_u64(name, k, (uint64_t)INT32_MAX, &idx) < 0)
				return -1;
			cur = json_at(c->j, cur, (int)idx);
		} else {
			return -1;
		}
	}
	return cur;
}

/* Is a $ref target already expanded on the way to this node? */
static bool on_path(const struct sctx *c, const struct view *v, int target)
{
	int i;

	for (i = 0; i < c->npath; i++)
		if (c->path[i] == target)
			return true;
	for (i = 0; i < v->nfollowed; i++)
		if (v->followed[i] == target)
			return true;
	return false;
}

/* Gather the keywords of schema obj into v; keywords already set win. */
static void collect(struct sctx *c, int obj, struct view *v, int refdepth, int nest)
{
	const struct json *j = c->j;
	int k;

	if (json_kind(j, obj) != JSON_OBJECT || --c->budget < 0)
		return;
	for (k = json_first(j, obj); k >= 0; k = json_after(j, k)) {
		int val = k + 1;
		enum json_kind vk = json_kind(j, val);

		if (json_streq(j, k, "type")) {
			set_if(&v->typetok, val);
		} else if (json_streq(j, k, "nullable")) {
			if (json_truthy(j, val))
				v->nullable = true;
		} else if (json_streq(j, k, "description")) {
			set_kind(j, &v->desc, val, JSON_STRING);
		} else if (json_streq(j, k, "title")) {
			set_kind(j, &v->title, val, JSON_STRING);
		} else if (json_streq(j, k, "format")) {
			set_kind(j, &v->fmt, val, JSON_STRING);
		} else if (json_streq(j, k, "pattern")) {
			set_kind(j, &v->pattern, val, JSON_STRING);
		} else if (json_streq(j, k, "properties")) {
			if (vk == JSON_OBJECT && v->nprops < MAXMERGE)
				v->props[v->nprops++] = val;
		} else if (json_streq(j, k, "required")) {
			if (vk == JSON_ARRAY && v->nreq < MAXMERGE)
				v->req[v->nreq++] = val;
		} else if (json_streq(j, k, "items")) {
			if (vk == JSON_ARRAY)
				set_if(&v->prefix, json_first(j, val));
			else if (vk == JSON_OBJECT || vk == JSON_TRUE)
				set_if(&v->items, val);
		} else if (json_streq(j, k, "prefixItems")) {
			if (vk == JSON_ARRAY)
				set_if(&v->prefix, json_first(j, val));
		} else if (json_streq(j, k, "enum")) {
			if (vk == JSON_ARRAY && v->nenm < MAXMERGE) {
				v->enm_const[v->nenm] = false;
				v->enm[v->nenm++] = val;
			}
		} else if (json_streq(j, k, "const")) {
			if (v->nenm < MAXMERGE) {
				v->enm_const[v->nenm] = true;
				v->enm[v->nenm++] = val;
			}
		} else if (json_streq(j, k, "anyOf") || json_streq(j, k, "oneOf")) {
			set_kind(j, &v->anyof, val, JSON_ARRAY);
		} else if (json_streq(j, k, "minimum")) {
			set_kind(j, &v->minimum, val, JSON_NUMBER);
		} else if (json_streq(j, k, "maximum")) {
			set_kind(j, &v->maximum, val, JSON_NUMBER);
		} else if (json_streq(j, k, "exclusiveMinimum")) {
			set_kind(j, &v->exmin, val, JSON_NUMBER);
		} else if (json_streq(j, k, "exclusiveMaximum")) {
			set_kind(j, &v->exmax, val, JSON_NUMBER);
		} else if (json_streq(j, k, "minLength")) {
			set_kind(j, &v->minlen, val, JSON_NUMBER);
		} else if (json_streq(j, k, "maxLength")) {
			set_kind(j, &v->maxlen, val, JSON_NUMBER);
		} else if (json_streq(j, k, "minItems")) {
			set_kind(j, &v->minitems, val, JSON_NUMBER);
		} else if (json_streq(j, k, "maxItems")) {
			set_kind(j, &v->maxitems, val, JSON_NUMBER);
		} else if (json_streq(j, k, "minProperties")) {
			set_kind(j, &v->minprops, val, JSON_NUMBER);
		} else if (json_streq(j, k, "maxProperties")) {
			set_kind(j, &v->maxprops, val, JSON_NUMBER);
		} else if (json_streq(j, k, "multipleOf")) {
			set_kind(j, &v->mult, val, JSON_NUMBER);
		} else if (json_streq(j, k, "default")) {
			if (vk != JSON_NULL)
				set_if(&v->dflt, val);
		} else if (json_streq(j, k, "example")) {
			if (vk != JSON_NULL)
				set_if(&v->example, val);
		} else if (json_streq(j, k, "examples")) {
			if (vk == JSON_ARRAY && json_size(j, val) > 0)
				set_if(&v->example, json_first(j, val));
		} else if (json_streq(j, k, "propertyOrdering")) {
			set_kind(j, &v->order, val, JSON_ARRAY);
		}
		/* everything else ($schema, additionalProperties, ...) is dropped */
	}
	if (nest >= MAXCOLLECT)
		return;
	/* Second pass: what the node pulls in from elsewhere ranks below it. */
	for (k = json_first(j, obj); k >= 0; k = json_after(j, k)) {
		int val = k + 1;

		if (json_streq(j, k, "$ref") && json_kind(j, val) == JSON_STRING) {
			int target = resolve_ref(c, val);

			if (target >= 0 && json_kind(j, target) == JSON_OBJECT &&
			    refdepth < SCHEMA_MAX_REF_DEPTH && v->nfollowed < MAXMERGE &&
			    !on_path(c, v, target)) {
				v->followed[v->nfollowed++] = target;
				if (refdepth + 1 > v->refdepth)
					v->refdepth = refdepth + 1;
				collect(c, target, v, refdepth + 1, nest + 1);
			} else {
				/* unresolvable, too deep, or recursive: a stub that
				   keeps the target's type and names the reference */
				set_if(&v->unresolved, val);
				if (target >= 0)
					set_if(&v->typetok, json_get(j, target, "type"));
			}
		} else if (json_streq(j, k, "allOf") && json_kind(j, val) == JSON_ARRAY) {
			int b;
			for (b = json_first(j, val); b >= 0; b = json_after(j, b))
				collect(c, b, v, refdepth, nest + 1);
		}
	}
}

static int view_type(struct sctx *c, struct view *v)
{
	const struct json *j = c->j;
	int t = T_NONE;

	if (json_kind(j, v->typetok) == JSON_STRING) {
		t = type_code(j, v->typetok);
	} else if (json_kind(j, v->typetok) == JSON_ARRAY) {
		int e;
		for (e = json_first(j, v->typetok); e >= 0; e = json_after(j, e)) {
			int te = type_code(j, e);
			if (te == T_NULL)
				v->nullable = true;
			else if (te != T_NONE && t == T_NONE)
				t = te;
		}
	}
	if (t == T_NULL && v->nenm == 0 && v->nprops == 0) {
		/* {"type":"null"} alone: nothing to keep but nullability */
		v->nullable = true;
		return T_NULL;
	}
	return t;
}

/* A branch that is only {"type":"null"}. */
static bool is_null_branch(struct sctx *c, int b, int refdepth)
{
	struct view bv;

	if (json_kind(c->j, b) != JSON_OBJECT)
		return false;
	view_init(&bv, refdepth);
	collect(c, b, &bv, refdepth, 0);
	return view_type(c, &bv) == T_NULL && bv.nenm == 0 && bv.anyof < 0 && bv.nprops == 0 &&
	       bv.items < 0 && bv.prefix < 0;
}

/* A branch that constrains nothing we keep ({} or only dropped keywords). */
static bool is_any_branch(struct sctx *c, int b, int refdepth)
{
	struct view bv;

	if (json_kind(c->j, b) != JSON_OBJECT)
		return false;
	view_init(&bv, refdepth);
	collect(c, b, &bv, refdepth, 0);
	return view_type(c, &bv) == T_NONE && !bv.nenm && !bv.nprops && bv.items < 0 &&
	       bv.prefix < 0 && bv.anyof < 0;
}

/* A branch that is a plain enum/const of scalars (string or untyped). */
static bool is_enum_branch(struct sctx *c, int b, int refdepth, struct view *bv)
{
	int t;

	if (json_kind(c->j, b) != JSON_OBJECT)
		return false;
	view_init(bv, refdepth);
	collect(c, b, bv, refdepth, 0);
	t = view_type(c, bv);
	return bv->nenm > 0 && bv->anyof < 0 && bv->nprops == 0 && bv->items < 0 &&
	       bv->prefix < 0 && (t == T_NONE || t == T_STRING);
}

/*
 * Simplify anyOf: null branches become nullability, all-enum branches merge
 * into one enum, a single remaining branch is merged into the node.  Returns
 * true if v->anyof is still to be written as anyOf.
 */
static bool fold_anyof(struct sctx *c, struct view *v)
{
	const struct json *j = c->j;
	int round;

	for (round = 0; round < 4 && v->anyof >= 0; round++) {
		int b, nreal = 0, nenum = 0, last = -1, seen = 0;
		bool any = false;

		for (b = json_first(j, v->anyof); b >= 0 && seen < MAXBRANCH;
		     b = json_after(j, b), seen++) {
			struct view bv;
			if (json_kind(j, b) == JSON_TRUE || is_any_branch(c, b, v->refdepth))
				any = true;
			if (json_kind(j, b) != JSON_OBJECT)
				continue;
			if (is_null_branch(c, b, v->refdepth)) {
				v->nullable = true;
				continue;
			}
			nreal++;
			last = b;
			if (is_enum_branch(c, b, v->refdepth, &bv))
				nenum++;
		}
		if (any || nreal == 0) {
			v->anyof = -1; /* unconstrained */
			return false;
		}
		if (nreal > 1 && nenum == nreal && v->nenm == 0) {
			for (b = json_first(j, v->anyof), seen = 0; b >= 0 && seen < MAXBRANCH;
			     b = json_after(j, b), seen++) {
				struct view bv;
				int e;
				if (json_kind(j, b) != JSON_OBJECT || !is_enum_branch(c, b, v->refdepth, &bv))
					continue;
				for (e = 0; e < bv.nenm && v->nenm < MAXMERGE; e++) {
					v->enm_const[v->nenm] = bv.enm_const[e];
					v->enm[v->nenm++] = bv.enm[e];
				}
				set_if(&v->typetok, bv.typetok);
			}
			v->anyof = -1;
			return false;
		}
		if (nreal > 1)
			return true;
		v->anyof = -1;
		collect(c, last, v, v->refdepth, 0);
	}
	return v->anyof >= 0;
}

/* ---- description hints -------------------------------------------------- */

struct hints {
	struct buf b;
	int n;
};

static void hint_raw(struct sctx *c, struct hints *h, const char *name, int tok)
{
	size_t n;
	const char *s;

	if (tok < 0)
		return;
	if (json_kind(c->j, tok) == JSON_STRING) {
		char *u = json_str(c->j, tok, c->a, &n);
		if (!u)
			return;
		s = u;
	} else {
		s = json_text(c->j, tok, &n);
	}
	if (n > MAXHINT_VALUE)
		return;
	buf_adds(&h->b, h->n++ ? "; " : "");
	buf_adds(&h->b, name);
	buf_adds(&h->b, ": ");
	buf_add(&h->b, s, n);
}

/* ---- enum values -------------------------------------------------------- */

struct enumval {
	const char *s; /* JSON text (string with quotes, or number) */
	size_t n;
	bool quoted; /* s is already a JSON string */
};

static void enum_add(struct sctx *c, struct view *v, struct enumval *vals, int *nvals,
		     int maxvals, int tok)
{
	enum json_kind k = json_kind(c->j, tok);
	struct enumval e;
	int i;

	if (*nvals >= maxvals)
		return;
	switch (k) {
	case JSON_STRING:
		e.s = json_text(c->j, tok, &e.n);
		e.quoted = true;
		break;
	case JSON_NUMBER:
		e.s = json_text(c->j, tok, &e.n);
		e.quoted = false;
		break;
	case JSON_TRUE:
		e.s = "true", e.n = 4, e.quoted = false;
		break;
	case JSON_FALSE:
		e.s = "false", e.n = 5, e.quoted = false;
		break;
	case JSON_NULL:
		v->nullable = true;
		return;
	default:
		return;
	}
	for (i = 0; i < *nvals && *nvals <= 512; i++)
		if (vals[i].n == e.n && vals[i].quoted == e.quoted && !memcmp(vals[i].s, e.s, e.n))
			return;
	vals[(*nvals)++] = e;
}

/* ---- emitting a Gemini node --------------------------------------------- */

static void emit_node(struct sctx *c, int tok, int depth, int refdepth, unsigned flags);

static bool openapi(const struct sctx *c)
{
	return c->t == SCHEMA_GEMINI;
}

static void emit_type(struct sctx *c, int t)
{
	if (t == T_NONE)
		return;
	jw_key(c->w, "type");
	jw_cstr(c->w, openapi(c) ? type_upper[t] : type_lower[t]);
}

static bool format_ok(struct sctx *c, int t, int fmt)
{
	static const char *const str_api[] = { "enum", "date-time", NULL };
	static const char *const str_json[] = { "date-time", "date", "time", NULL };
	static const char *const num[] = { "float", "double", NULL };
	static const char *const integer[] = { "int32", "int64", NULL };
	const char *const *list;
	int i;

	switch (t) {
	case T_STRING:
		list = openapi(c) ? str_api : str_json;
		break;
	case T_NUMBER:
		list = num;
		break;
	case T_INTEGER:
		list = integer;
		break;
	default:
		return false;
	}
	for (i = 0; list[i]; i++)
		if (json_streq(c->j, fmt, list[i]))
			return true;
	return false;
}

static bool finite_number(const struct json *j, int tok)
{
	double d;
	return tok >= 0 && json_double(j, tok, &d) == 0 && isfinite(d);
}

static void emit_count(struct sctx *c, const char *key, int tok)
{
	int64_t v;

	if (tok >= 0 && json_int(c->j, tok, &v) == 0 && v >= 0) {
		jw_key(c->w, key);
		jw_int(c->w, v);
	}
}

/* Can an integer's exclusive bound become an inclusive one? */
static bool excl_foldable(const struct json *j, int tok, bool upper)
{
	int64_t e;

	return json_int(j, tok, &e) == 0 && (upper ? e > INT64_MIN : e < INT64_MAX);
}

/* minimum/maximum; an integer's exclusiveMinimum/Maximum folds into them. */
static void emit_bound(struct sctx *c, const char *key, int incl, int excl, bool upper)
{
	int64_t e;
	double di = 0;
	bool have_incl = finite_number(c->j, incl);

	if (have_incl)
		json_double(c->j, incl, &di);
	if (excl >= 0 && excl_foldable(c->j, excl, upper) && json_int(c->j, excl, &e) == 0) {
		int64_t bound = upper ? e - 1 : e + 1;
		if (!have_incl || (upper ? (double)bound < di : (double)bound > di)) {
			jw_key(c->w, key);
			jw_int(c->w, bound);
			return;
		}
	}
	if (have_incl) {
		size_t n;
		const char *s = json_text(c->j, incl, &n);
		jw_key(c->w, key);
		jw_raw(c->w, s, n);
	}
}

static void emit_desc(struct sctx *c, struct view *v, struct hints *h)
{
	size_t n = 0;
	char *d = NULL;
	struct buf out;

	if (v->desc >= 0)
		d = json_str(c->j, v->desc, c->a, &n);
	if (!h->n) {
		if (d) {
			jw_key(c->w, "description");
			jw_str(c->w, d, n);
		}
		return;
	}
	buf_init(&out, c->a, LIMIT_BODY_BYTES);
	if (d && n) {
		buf_add(&out, d, n);
		buf_adds(&out, " (");
		buf_add(&out, h->b.p, h->b.len);
		buf_adds(&out, ")");
	} else {
		buf_add(&out, h->b.p, h->b.len);
	}
	if (out.err) {
		c->w->err = c->w->err ? c->w->err : out.err;
		return;
	}
	jw_key(c->w, "description");
	jw_str(c->w, out.p, out.len);
}

/* ---- property names: a small open-addressing set ---------------------- */

struct nameset {
	const char **s;
	size_t *n;
	size_t cap;
};

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static int nameset_init(struct nameset *ns, struct arena *a, size_t want)
{
	ns->cap = 16;
	while (ns->cap < want * 2)
		ns->cap *= 2;
	ns->s = arena_zalloc(a, ns->cap * sizeof(*ns->s));
	ns->n = arena_zalloc(a, ns->cap * sizeof(*ns->n));
	return ns->s && ns->n ? 0 : -ENOMEM;
}

/* Insert (if add) or look up; true if the name was already there. */
static bool nameset_has(struct nameset *ns, const char *s, size_t n, bool add)
{
	size_t i = (size_t)name_hash(s, n) & (ns->cap - 1);

	while (ns->s[i]) {
		if (ns->n[i] == n && !memcmp(ns->s[i], s, n))
			return true;
		i = (i + 1) & (ns->cap - 1);
	}
	if (add) {
		ns->s[i] = s;
		ns->n[i] = n;
	}
	return false;
}

/* Write the strings of lists (required / propertyOrdering) that name a property, once. */
static void emit_names(struct sctx *c, const char *key, const int *lists, int nlists,
		       struct nameset *props, size_t maxnames)
{
	const struct json *j = c->j;
	struct nameset seen;
	int i, e, n = 0;

	if (nameset_init(&seen, c->a, maxnames) < 0) {
		c->w->err = c->w->err ? c->w->err : -ENOMEM;
		return;
	}
	for (i = 0; i < nlists; i++) {
		for (e = json_first(j, lists[i]); e >= 0; e = json_after(j, e)) {
			size_t len;
			char *name = json_str(j, e, c->a, &len);

			if (!name || !nameset_has(props, name, len, false) ||
			    nameset_has(&seen, name, len, true))
				continue;
			if (!n++) {
				jw_key(c->w, key);
				jw_arr(c->w);
			}
			jw_str(c->w, name, len);
		}
	}
	if (n)
		jw_end(c->w);
}

struct enumset {
	struct enumval *vals;
	int n;
	bool numeric;
};

/* Collect the enum values; may force the type to string.  Returns the type. */
static int enum_compute(struct sctx *c, struct view *v, int t, struct enumset *es)
{
	int i, e, maxvals = 0;

	es->n = 0;
	es->numeric = true;
	for (i = 0; i < v->nenm; i++)
		maxvals += v->enm_const[i] ? 1 : json_size(c->j, v->enm[i]);
	if (maxvals <= 0)
		return t;
	es->vals = arena_alloc(c->a, (size_t)maxvals * sizeof(*es->vals));
	if (!es->vals) {
		c->w->err = c->w->err ? c->w->err : -ENOMEM;
		return t;
	}
	for (i = 0; i < v->nenm; i++) {
		if (v->enm_const[i]) {
			enum_add(c, v, es->vals, &es->n, maxvals, v->enm[i]);
			continue;
		}
		for (e = json_first(c->j, v->enm[i]); e >= 0; e = json_after(c->j, e))
			enum_add(c, v, es->vals, &es->n, maxvals, e);
	}
	if (!es->n)
		return t;
	for (i = 0; i < es->n; i++)
		if (es->vals[i].quoted || es->vals[i].s[0] == 't' || es->vals[i].s[0] == 'f')
			es->numeric = false;
	/* Only the JSON Schema fields take numeric enums, and only for numbers. */
	es->numeric = es->numeric && c->t == SCHEMA_GEMINI_JSON &&
		      (t == T_INTEGER || t == T_NUMBER);
	return es->numeric ? t : T_STRING;
}

static void emit_enum(struct sctx *c, const struct enumset *es)
{
	int i;

	if (!es->n)
		return;
	jw_key(c->w, "enum");
	jw_arr(c->w);
	for (i = 0; i < es->n; i++) {
		if (es->vals[i].quoted || es->numeric)
			jw_raw(c->w, es->vals[i].s, es->vals[i].n);
		else
			jw_str(c->w, es->vals[i].s, es->vals[i].n);
	}
	jw_end(c->w);
}

static void emit_minimal(struct sctx *c, int t)
{
	jw_obj(c->w);
	if (t == T_NONE && openapi(c))
		t = T_STRING;
	emit_type(c, t);
	jw_end(c->w);
}

static void emit_empty_params(struct sctx *c)
{
	jw_obj(c->w);
	emit_type(c, T_OBJECT);
	jw_key(c->w, "properties");
	jw_obj(c->w);
	jw_end(c->w);
	jw_end(c->w);
}

static void emit_view(struct sctx *c, struct view *vp, bool anyof, int depth, unsigned flags);

static void emit_node(struct sctx *c, int tok, int depth, int refdepth, unsigned flags)
{
	const struct json *j = c->j;
	struct view v;
	bool anyof, params = flags & SCHEMA_PARAMS;
	int i, saved;

	if (json_kind(j, tok) != JSON_OBJECT || c->budget <= 0) {
		if (params)
			emit_empty_params(c);
		else
			emit_minimal(c, json_kind(j, tok) == JSON_OBJECT ? T_OBJECT : T_NONE);
		return;
	}
	view_init(&v, refdepth);
	collect(c, tok, &v, refdepth, 0);
	anyof = fold_anyof(c, &v);
	/* The $ref targets this node expanded are on the path of its children. */
	saved = c->npath;
	for (i = 0; i < v.nfollowed && c->npath < MAXPATH; i++)
		c->path[c->npath++] = v.followed[i];
	emit_view(c, &v, anyof, depth, flags);
	c->npath = saved;
}

static void emit_view(struct sctx *c, struct view *vp, bool anyof, int depth, unsigned flags)
{
	const struct json *j = c->j;
	struct view v = *vp;
	struct hints h;
	struct enumset es = { NULL, 0, false };
	struct nameset props = { NULL, NULL, 0 };
	bool params = flags & SCHEMA_PARAMS;
	size_t n;
	const char *s;
	int t, i;

	t = view_type(c, &v);
	if (t == T_NULL)
		t = T_NONE;
	if (t == T_NONE) {
		if (v.nprops)
			t = T_OBJECT;
		else if (v.items >= 0 || v.prefix >= 0)
			t = T_ARRAY;
		else if (v.nenm)
			t = T_STRING;
		else if (openapi(c) && !anyof)
			t = T_STRING;
	}
	if (params)
		t = T_OBJECT;
	if (v.nenm && t != T_OBJECT && t != T_ARRAY)
		t = enum_compute(c, &v, t, &es);
	if (depth >= SCHEMA_MAX_DEPTH || c->budget <= 0)
		anyof = false;

	buf_init(&h.b, c->a, LIMIT_BODY_BYTES);
	h.n = 0;
	if (v.unresolved >= 0)
		hint_raw(c, &h, "$ref", v.unresolved);
	if (v.fmt >= 0 && !format_ok(c, t, v.fmt) && !es.n)
		hint_raw(c, &h, "format", v.fmt);
	if (!openapi(c) && (t == T_STRING || t == T_NONE)) {
		hint_raw(c, &h, "pattern", v.pattern);
		hint_raw(c, &h, "minLength", v.minlen);
		hint_raw(c, &h, "maxLength", v.maxlen);
	}
	if (t == T_INTEGER || t == T_NUMBER || t == T_NONE) {
		hint_raw(c, &h, "multipleOf", v.mult);
		if (v.exmin >= 0 && (t != T_INTEGER || !excl_foldable(j, v.exmin, false)))
			hint_raw(c, &h, "exclusiveMinimum", v.exmin);
		if (v.exmax >= 0 && (t != T_INTEGER || !excl_foldable(j, v.exmax, true)))
			hint_raw(c, &h, "exclusiveMaximum", v.exmax);
	}
	if (!openapi(c) && !es.n)
		hint_raw(c, &h, "default", v.dflt);

	jw_obj(c->w);
	emit_type(c, t);
	if (v.nullable && openapi(c)) {
		jw_key(c->w, "nullable");
		jw_bool(c->w, true);
	}
	if (v.title >= 0) {
		char *u = json_str(j, v.title, c->a, &n);
		if (u) {
			jw_key(c->w, "title");
			jw_str(c->w, u, n);
		}
	}
	emit_desc(c, &v, &h);
	if (v.fmt >= 0 && format_ok(c, t, v.fmt) && !es.n) {
		s = json_text(j, v.fmt, &n);
		jw_key(c->w, "format");
		jw_raw(c->w, s, n);
	}
	emit_enum(c, &es);
	if (depth >= SCHEMA_MAX_DEPTH || c->budget <= 0) {
		if (params) {
			jw_key(c->w, "properties");
			jw_obj(c->w);
			jw_end(c->w);
		}
		jw_end(c->w);
		return;
	}
	if ((t == T_OBJECT || t == T_NONE) && (v.nprops || params)) {
		size_t maxnames = 0;
		for (i = 0; i < v.nprops; i++)
			maxnames += (size_t)json_size(j, v.props[i]);
		if (nameset_init(&props, c->a, maxnames) < 0) {
			c->w->err = c->w->err ? c->w->err : -ENOMEM;
			jw_end(c->w);
			return;
		}
		/*
		 * Only the first of several same-named properties (allOf merges,
		 * duplicate keys) is written: gather into a scratch set as we go.
		 */
		{
			struct nameset done;
			const struct json *jj = j;
			if (nameset_init(&done, c->a, maxnames) < 0) {
				c->w->err = c->w->err ? c->w->err : -ENOMEM;
				jw_end(c->w);
				return;
			}
			jw_key(c->w, "properties");
			jw_obj(c->w);
			for (i = 0; i < v.nprops; i++) {
				int k;
				for (k = json_first(jj, v.props[i]); k >= 0; k = json_after(jj, k)) {
					char *name;
					if (json_kind(jj, k + 1) == JSON_FALSE)
						continue;
					name = json_str(jj, k, c->a, &n);
					if (!name) {
						c->w->err = c->w->err ? c->w->err : -ENOMEM;
						break;
					}
					if (nameset_has(&done, name, n, true))
						continue;
					nameset_has(&props, name, n, true);
					jw_keyn(c->w, name, n);
					emit_node(c, k + 1, depth + 1, v.refdepth, 0);
				}
			}
			jw_end(c->w);
		}
		emit_names(c, "required", v.req, v.nreq, &props, maxnames);
		if (v.order >= 0)
			emit_names(c, "propertyOrdering", &v.order, 1, &props, maxnames);
	}
	if ((t == T_OBJECT || t == T_NONE) && openapi(c)) {
		emit_count(c, "minProperties", v.minprops);
		emit_count(c, "maxProperties", v.maxprops);
	}
	if (t == T_ARRAY || t == T_NONE) {
		int it = v.items >= 0 ? v.items : v.prefix;
		if (it >= 0) {
			jw_key(c->w, "items");
			emit_node(c, it, depth + 1, v.refdepth, 0);
		} else if (t == T_ARRAY && openapi(c)) {
			jw_key(c->w, "items");
			emit_minimal(c, T_STRING);
		}
		emit_count(c, "minItems", v.minitems);
		emit_count(c, "maxItems", v.maxitems);
	}
	if (t == T_NUMBER || t == T_INTEGER || t == T_NONE) {
		emit_bound(c, "minimum", v.minimum, t == T_INTEGER ? v.exmin : -1, false);
		emit_bound(c, "maximum", v.maximum, t == T_INTEGER ? v.exmax : -1, true);
	}
	if (openapi(c) && (t == T_STRING || t == T_NONE)) {
		emit_count(c, "minLength", v.minlen);
		emit_count(c, "maxLength", v.maxlen);
		if (v.pattern >= 0) {
			s = json_text(j, v.pattern, &n);
			jw_key(c->w, "pattern");
			jw_raw(c->w, s, n);
		}
	}
	if (openapi(c) && !es.n) {
		if (v.dflt >= 0) {
			s = json_text(j, v.dflt, &n);
			jw_key(c->w, "default");
			jw_raw(c->w, s, n);
		}
		if (v.example >= 0) {
			s = json_text(j, v.example, &n);
			jw_key(c->w, "example");
			jw_raw(c->w, s, n);
		}
	}
	if (anyof) {
		int b, seen = 0;
		jw_key(c->w, "anyOf");
		jw_arr(c->w);
		for (b = json_first(j, v.anyof); b >= 0 && seen < MAXBRANCH;
		     b = json_after(j, b), seen++) {
			if (json_kind(j, b) != JSON_OBJECT || is_null_branch(c, b, v.refdepth))
				continue;
			emit_node(c, b, depth + 1, v.refdepth, 0);
		}
		jw_end(c->w);
	}
	jw_end(c->w);
}

/* ---- SCHEMA_STANDARD ---------------------------------------------------- */

static void std_node(struct sctx *c, int tok, int depth);
static void std_copy_key(struct sctx *c, int k);

static bool std_is_schema_map(const struct json *j, int k)
{
	return json_streq(j, k, "properties") || json_streq(j, k, "$defs") ||
	       json_streq(j, k, "definitions") || json_streq(j, k, "patternProperties") ||
	       json_streq(j, k, "dependentSchemas");
}

static bool std_is_schema_list(const struct json *j, int k)
{
	return json_streq(j, k, "anyOf") || json_streq(j, k, "oneOf") ||
	       json_streq(j, k, "allOf") || json_streq(j, k, "prefixItems");
}

static bool std_is_schema_value(const struct json *j, int k)
{
	static const char *const keys[] = { "items", "additionalProperties", "not", "contains",
					    "propertyNames", "if", "then", "else",
					    "additionalItems", "unevaluatedItems",
					    "unevaluatedProperties", NULL };
	int i;

	for (i = 0; keys[i]; i++)
		if (json_streq(j, k, keys[i]))
			return true;
	return false;
}

static void std_type_name(struct sctx *c, int tok)
{
	int t = type_code(c->j, tok);
	size_t n;
	const char *s;

	if (t != T_NONE) {
		jw_cstr(c->w, type_lower[t]);
		return;
	}
	s = json_text(c->j, tok, &n);
	jw_raw(c->w, s, n);
}

static void std_copy_key(struct sctx *c, int k)
{
	size_t n;
	char *name = json_str(c->j, k, c->a, &n);

	if (!name) {
		c->w->err = c->w->err ? c->w->err : -ENOMEM;
		return;
	}
	jw_keyn(c->w, name, n);
}

/* Copy any value without its insignificant whitespace. */
static void copy_compact(struct sctx *c, int tok)
{
	const struct json *j = c->j;
	enum json_kind k = json_kind(j, tok);
	size_t n;
	const char *s;
	int e;

	if (k == JSON_OBJECT) {
		jw_obj(c->w);
		for (e = json_first(j, tok); e >= 0; e = json_after(j, e)) {
			std_copy_key(c, e);
			copy_compact(c, e + 1);
		}
		jw_end(c->w);
	} else if (k == JSON_ARRAY) {
		jw_arr(c->w);
		for (e = json_first(j, tok); e >= 0; e = json_after(j, e))
			copy_compact(c, e);
		jw_end(c->w);
	} else {
		s = json_text(j, tok, &n);
		jw_raw(c->w, s, n);
	}
}

static void std_node(struct sctx *c, int tok, int depth)
{
	const struct json *j = c->j;
	bool nullable;
	int k;

	if (json_kind(j, tok) != JSON_OBJECT || depth >= SCHEMA_MAX_DEPTH * 4 ||
	    --c->budget < 0) {
		copy_compact(c, tok);
		return;
	}
	nullable = json_truthy(j, json_get(j, tok, "nullable"));
	jw_obj(c->w);
	for (k = json_first(j, tok); k >= 0; k = json_after(j, k)) {
		int val = k + 1, e;

		if (json_streq(j, k, "nullable") || json_streq(j, k, "propertyOrdering"))
			continue;
		std_copy_key(c, k);
		if (json_streq(j, k, "type")) {
			if (json_kind(j, val) == JSON_STRING && nullable && type_code(j, val) != T_NULL) {
				jw_arr(c->w);
				std_type_name(c, val);
				jw_cstr(c->w, "null");
				jw_end(c->w);
			} else if (json_kind(j, val) == JSON_ARRAY) {
				jw_arr(c->w);
				for (e = json_first(j, val); e >= 0; e = json_after(j, e))
					std_type_name(c, e);
				jw_end(c->w);
			} else {
				std_type_name(c, val);
			}
		} else if (json_streq(j, k, "enum") && nullable && json_kind(j, val) == JSON_ARRAY) {
			bool has_null = false;
			jw_arr(c->w);
			for (e = json_first(j, val); e >= 0; e = json_after(j, e)) {
				copy_compact(c, e);
				has_null |= json_kind(j, e) == JSON_NULL;
			}
			if (!has_null)
				jw_null(c->w);
			jw_end(c->w);
		} else if (std_is_schema_map(j, k) && json_kind(j, val) == JSON_OBJECT) {
			int p;
			jw_obj(c->w);
			for (p = json_first(j, val); p >= 0; p = json_after(j, p)) {
				std_copy_key(c, p);
				std_node(c, p + 1, depth + 1);
			}
			jw_end(c->w);
		} else if (std_is_schema_list(j, k) && json_kind(j, val) == JSON_ARRAY) {
			jw_arr(c->w);
			for (e = json_first(j, val); e >= 0; e = json_after(j, e))
				std_node(c, e, depth + 1);
			jw_end(c->w);
		} else if (std_is_schema_value(j, k)) {
			std_node(c, val, depth + 1);
		} else {
			copy_compact(c, val);
		}
	}
	jw_end(c->w);
}

/* ---- API ---------------------------------------------------------------- */

int schema_write(struct jsonw *w, const struct json *j, int tok, enum schema_target t,
		 unsigned flags, struct arena *a)
{
	struct sctx c = { .j = j, .a = a, .w = w, .t = t, .root = tok, .budget = SCHEMA_MAX_NODES };

	if (t == SCHEMA_STANDARD) {
		if (tok < 0) {
			jw_obj(w);
			if (flags & SCHEMA_PARAMS) {
				jw_kstr(w, "type", "object");
				jw_key(w, "properties");
				jw_obj(w);
				jw_end(w);
			}
			jw_end(w);
		} else {
			std_node(&c, tok, 0);
		}
	} else {
		emit_node(&c, tok, 0, 0, flags);
	}
	return jw_error(w);
}

int schema_write_text(struct jsonw *w, const char *s, size_t n, enum schema_target t,
		      unsigned flags, struct arena *a)
{
	struct json j;
	int r = json_parse(&j, a, s, n);

	if (r < 0)
		return r;
	return schema_write(w, &j, 0, t, flags, a);
}

int schema_rewrite(struct arena *a, const char *s, size_t n, enum schema_target t,
		   unsigned flags, const char **ret, size_t *ret_len)
{
	struct buf b;
	struct jsonw w;
	int r;

	buf_init(&b, a, LIMIT_BODY_BYTES);
	jw_init(&w, &b);
	r = schema_write_text(&w, s, n, t, flags, a);
	if (r < 0)
		return r;
	if (b.err)
		return b.err;
	*ret = b.p;
	if (ret_len)
		*ret_len = b.len;
	return 0;
}
