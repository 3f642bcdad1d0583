/*
 * config.c - config.yaml into struct config, with libyaml's event parser.
 * Events become a node tree in the arena (depth <= CONFIG_MAX_DEPTH, nodes <=
 * CONFIG_MAX_NODES) that key tables then decode.  Refuses YAML aliases, wrong
 * types, out-of-range numbers, bad proxy URLs and codex keys without base-url;
 * unknown keys are only recorded.  Never logs; all memory from the arena.
 */
#include "core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/parse.h"

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 8317
#define DEFAULT_AUTH_DIR "~/.cli-proxy-api"
#define DEFAULT_PANEL_REPO "https://github.com/router-for-me/Cli-Proxy-API-Management-Center"
#define DEFAULT_PPROF_ADDR "127.0.0.1:8316"

/* ---- The YAML node tree. ------------------------------------------------ */

enum { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	int kind;
	int line, col;  /* 1-based */
	bool quoted;    /* scalar quoted, block or !!str: never null/bool/number */
	const char *s;  /* scalar text, NUL-terminated copy */
	size_t len;
	struct ynode **kid; /* map: key, value, key, value...; seq: elements */
	size_t n;           /* map: pairs; seq: elements */
	struct ynode *first, *last, *next; /* while building */
	size_t nkid;
};

struct unk {
	struct unk *next;
	const char *key;
	int line;
};

struct ctx {
	struct arena *a;
	struct config_error *err;
	int rc; /* first error */
	char path[160];
	size_t plen;
	struct unk *unk, **unk_tail;
	size_t nunk;
	size_t nodes;
};

/* Every list in struct config is laid out as { T *v; size_t n; }. */
struct genlist {
	void *v;
	size_t n;
};

_Static_assert(offsetof(struct openai_compat, nkeys) ==
		       offsetof(struct openai_compat, keys) + offsetof(struct genlist, n),
	       "openai_compat keys/nkeys must be laid out like a list");

/* What the document may hold besides struct config: legacy keys, migrated
   after decoding, and openai-compatibility entries with their old api-keys. */
struct oc_wrap {
	struct openai_compat o;
	struct strlist legacy_keys;
};

struct legacy_provider {
	const char *name, *type;
	struct strlist api_keys;
};

struct top {
	struct config cfg; /* first: field offsets below double as config's */
	struct {
		struct oc_wrap *v;
		size_t n;
	} openai_in;
	struct provider_key_list legacy_gemini;
	const char *amp_upstream_url, *amp_upstream_api_key;
	int amp_restrict; /* -1 unset */
	struct {
		struct amp_model_mapping *v;
		size_t n;
	} amp_model_mappings;
	struct {
		struct {
			struct legacy_provider *v;
			size_t n;
		} providers;
	} auth;
};

_Static_assert(offsetof(struct top, cfg) == 0, "cfg must come first");

#define AT(base, off, type) ((type *)(void *)((char *)(base) + (off)))
#define CAT(base, off, type) ((const type *)(const void *)((const char *)(base) + (off)))

/* ---- Errors and the key path. ------------------------------------------- */

static int failv(struct ctx *x, int rc, int line, int col, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
static int failv(struct ctx *x, int rc, int line, int col, const char *fmt, va_list ap)
{
	if (x->rc)
		return x->rc;
	x->rc = rc;
	x->err->line = line;
	x->err->column = col;
	snprintf(x->err->key, sizeof(x->err->key), "%s", x->path);
	vsnprintf(x->err->message, sizeof(x->err->message), fmt, ap);
	return rc;
}

static int fail(struct ctx *x, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct ctx *x, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = failv(x, -EINVAL, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	return rc;
}

static int fail_rc(struct ctx *x, int rc, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail_rc(struct ctx *x, int rc, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = failv(x, rc, line, col, fmt, ap);
	va_end(ap);
	return rc;
}

static int oom(struct ctx *x)
{
	return fail_rc(x, -ENOMEM, 0, 0, "out of memory");
}

static size_t path_key(struct ctx *x, const char *k)
{
	size_t old = x->plen;
	int r = snprintf(x->path + old, sizeof(x->path) - old, "%s%s", old ? "." : "", k);

	if (r > 0)
		x->plen = old + (size_t)r < sizeof(x->path) ? old + (size_t)r : sizeof(x->path) - 1;
	return old;
}

static size_t path_index(struct ctx *x, size_t i)
{
	size_t old = x->plen;
	int r = snprintf(x->path + old, sizeof(x->path) - old, "[%zu]", i);

	if (r > 0)
		x->plen = old + (size_t)r < sizeof(x->path) ? old + (size_t)r : sizeof(x->path) - 1;
	return old;
}

static void path_pop(struct ctx *x, size_t old)
{
	x->plen = old;
	x->path[old] = 0;
}

/* ---- libyaml events into the tree. -------------------------------------- */

static int yaml_fail(struct ctx *x, const yaml_parser_t *p, const char *src, size_t len)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	int line, col;

	if (p->error == YAML_MEMORY_ERROR)
		return oom(x);
	if (p->error == YAML_READER_ERROR) {
		size_t i, end = p->problem_offset < len ? p->problem_offset : len;
		line = 1;
		for (i = 0; i < end; i++)
			line += src[i] == '\n';
		return fail_rc(x, -EINVAL, line, 0, "YAML: %s", problem);
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	if (p->context)
		return fail_rc(x, -EINVAL, line, col, "YAML: %s %s", p->context, problem);
	return fail_rc(x, -EINVAL, line, col, "YAML: %s", problem);
}

static struct ynode *node_new(struct ctx *x, int kind, const yaml_mark_t *m)
{
	struct ynode *n;

	if (++x->nodes > CONFIG_MAX_NODES) {
		fail_rc(x, -E2BIG, (int)m->line + 1, (int)m->column + 1,
			"more than %d YAML nodes", CONFIG_MAX_NODES);
		return NULL;
	}
	n = arena_zalloc(x->a, sizeof(*n));
	if (!n) {
		oom(x);
		return NULL;
	}
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static void node_attach(struct ynode *parent, struct ynode *n)
{
	if (parent->last)
		parent->last->next = n;
	else
		parent->first = n;
	parent->last = n;
	parent->nkid++;
}

static int node_close(struct ctx *x, struct ynode *n)
{
	struct ynode *k;
	size_t i = 0;

	if (n->nkid) {
		n->kid = arena_alloc(x->a, n->nkid * sizeof(*n->kid));
		if (!n->kid)
			return oom(x);
	}
	for (k = n->first; k; k = k->next)
		n->kid[i++] = k;
	n->n = n->kind == YN_MAP ? n->nkid / 2 : n->nkid;
	return 0;
}

static int scalar_is_str_tag(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	return tag && strcmp(tag, YAML_STR_TAG) == 0;
}

/* Only the first document counts (as with the original's yaml.Unmarshal). */
static int tree_build(struct ctx *x, const char *src, size_t len, struct ynode **ret)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct ynode *stack[CONFIG_MAX_DEPTH];
	struct ynode *root = NULL, *n;
	int depth = 0, done = 0;

	*ret = NULL;
	if (!yaml_parser_initialize(&p))
		return oom(x);
	yaml_parser_set_input_string(&p, (const unsigned char *)src, len);
	while (!done && !x->rc) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_fail(x, &p, src, len);
			break;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_ALIAS_EVENT:
			fail_rc(x, -EINVAL, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
				"YAML aliases (*%s) are not supported", (const char *)ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(x, YN_SCALAR, &ev.start_mark);
			if (!n)
				break;
			n->len = ev.data.scalar.length;
			n->s = arena_strndup(x->a, (const char *)ev.data.scalar.value, n->len);
			if (!n->s) {
				oom(x);
				break;
			}
			n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
				    scalar_is_str_tag(&ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth == CONFIG_MAX_DEPTH) {
				fail_rc(x, -E2BIG, (int)ev.start_mark.line + 1,
					(int)ev.start_mark.column + 1,
					"YAML nested deeper than %d levels", CONFIG_MAX_DEPTH);
				break;
			}
			n = node_new(x, ev.type == YAML_MAPPING_START_EVENT ? YN_MAP : YN_SEQ,
				     &ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				node_close(x, stack[--depth]);
			break;
		default:
			break;
		}
		if (n) {
			if (depth > 0)
				node_attach(stack[depth - 1], n);
			else if (!root)
				root = n;
			if (n->kind != YN_SCALAR)
				stack[depth++] = n;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (x->rc)
		return x->rc;
	*ret = root;
	return 0;
}

/* ---- Scalars. ----------------------------------------------------------- */

static bool is_null(const struct ynode *n)
{
	if (!n)
		return true;
	if (n->kind != YN_SCALAR || n->quoted)
		return false;
	return n->len == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
	       strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Trimmed text of scalar n: a string without CR, LF or NUL. */
static int scalar_str(struct ctx *x, const struct ynode *n, const char **ret)
{
	size_t b = 0, e = n->len;

	while (b < e && is_space(n->s[b]))
		b++;
	while (e > b && is_space(n->s[e - 1]))
		e--;
	if (memchr(n->s + b, '\n', e - b) || memchr(n->s + b, '\r', e - b) ||
	    memchr(n->s + b, 0, e - b))
		return fail(x, n, "must not contain a line break or NUL byte");
	if (e == n->len) {
		*ret = n->s + b;
		return 0;
	}
	*ret = arena_strndup(x->a, n->s + b, e - b);
	return *ret ? 0 : oom(x);
}

/* Null leaves *ret alone (the default stays). */
static int get_str(struct ctx *x, const struct ynode *n, const char **ret)
{
	if (is_null(n))
		return 0;
	if (n->kind != YN_SCALAR)
		return fail(x, n, "expected a string");
	return scalar_str(x, n, ret);
}

static int get_bool(struct ctx *x, const struct ynode *n, bool *ret)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	if (is_null(n))
		return 0;
	if (n->kind == YN_SCALAR) {
		for (i = 0; i < 3; i++) {
			if (strn_caseeq(n->s, n->len, yes[i])) {
				*ret = true;
				return 0;
			}
			if (strn_caseeq(n->s, n->len, no[i])) {
				*ret = false;
				return 0;
			}
		}
	}
	return fail(x, n, "expected a boolean (true/false)");
}

static int get_int(struct ctx *x, const struct ynode *n, int64_t min, int64_t max, int *ret)
{
	const char *s;
	size_t len;
	int64_t v;
	int r;

	if (is_null(n))
		return 0;
	if (n->kind != YN_SCALAR)
		return fail(x, n, "expected an integer");
	s = n->s;
	len = n->len;
	while (len && is_space(*s))
		s++, len--;
	while (len && is_space(s[len - 1]))
		len--;
	if (len > 1 && s[0] == '+' && s[1] != '-')
		s++, len--;
	r = parse_i64(s, len, INT64_MIN, INT64_MAX, &v);
	if (r == -EINVAL)
		return fail(x, n, "expected an integer");
	if (r < 0 || v < min || v > max) {
		if (min == 0 && (r < 0 ? s[0] == '-' : v < 0))
			return fail(x, n, "must not be negative");
		return fail(x, n, "must be between %lld and %lld", (long long)min, (long long)max);
	}
	*ret = (int)v;
	return 0;
}

static int check_proxy(struct ctx *x, const struct ynode *n, const char *s)
{
	static const char *const schemes[] = { "socks5://", "socks5h://", "http://", "https://" };
	size_t i, len = strlen(s);

	if (!len || strcasecmp(s, "direct") == 0 || strcasecmp(s, "none") == 0)
		return 0;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strn_caseprefix(s, len, schemes[i]) && len > strlen(schemes[i]))
			return 0;
	return fail(x, n, "expected a proxy URL (socks5://, socks5h://, http://, https://) "
			  "or \"direct\"/\"none\"");
}

static int check_strategy(struct ctx *x, const struct ynode *n, const char **s)
{
	if (!**s || !strcasecmp(*s, "round-robin") || !strcasecmp(*s, "roundrobin") ||
	    !strcasecmp(*s, "rr")) {
		*s = "round-robin";
		return 0;
	}
	if (!strcasecmp(*s, "fill-first") || !strcasecmp(*s, "fillfirst") || !strcasecmp(*s, "ff")) {
		*s = "fill-first";
		return 0;
	}
	return fail(x, n, "expected round-robin or fill-first");
}

static const char *lower_dup(struct ctx *x, const char *s)
{
	size_t i, n = strlen(s);
	char *p = arena_alloc(x->a, n + 1);

	if (!p) {
		oom(x);
		return NULL;
	}
	for (i = 0; i <= n; i++)
		p[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	return p;
}

/* The original's normalizeModelPrefix: trimmed, '/' stripped at both ends,
   dropped when a '/' remains inside. */
static const char *norm_prefix(struct ctx *x, const char *p)
{
	size_t b = 0, e = strlen(p);
	char *r;

	while (b < e && p[b] == '/')
		b++;
	while (e > b && p[e - 1] == '/')
		e--;
	if (b == e || memchr(p + b, '/', e - b))
		return "";
	r = arena_strndup(x->a, p + b, e - b);
	if (!r)
		oom(x);
	return r ? r : "";
}

/* ---- A string set for de-duplication (open addressing, arena). ---------- */

struct strset {
	const char **slot;
	size_t mask;
};

static int strset_init(struct ctx *x, struct strset *s, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 2)
		cap <<= 1;
	s->slot = arena_zalloc(x->a, cap * sizeof(*s->slot));
	if (!s->slot)
		return oom(x);
	s->mask = cap - 1;
	return 0;
}

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* 1 when k was added, 0 when already present. */
static int strset_add(struct strset *s, const char *k, bool fold)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)k; *p; p++)
		h = (h ^ (unsigned)(fold ? lc(*p) : *p)) * 1099511628211ULL;
	for (i = (size_t)h & s->mask;; i = (i + 1) & s->mask) {
		if (!s->slot[i]) {
			s->slot[i] = k;
			return 1;
		}
		if (fold ? strcasecmp(s->slot[i], k) == 0 : strcmp(s->slot[i], k) == 0)
			return 0;
	}
}

static int strlist_dedupe(struct ctx *x, struct strlist *l, bool fold)
{
	struct strset s;
	size_t i, k = 0;

	if (l->n < 2)
		return 0;
	if (strset_init(x, &s, l->n))
		return x->rc;
	for (i = 0; i < l->n; i++)
		if (strset_add(&s, l->v[i], fold))
			l->v[k++] = l->v[i];
	l->n = k;
	return 0;
}

/* excluded-models: lower-cased, empty dropped, de-duplicated. */
static int excluded_normalize(struct ctx *x, struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!(l->v[i] = lower_dup(x, l->v[i])))
			return x->rc;
	return strlist_dedupe(x, l, false);
}

/* ---- Key tables. -------------------------------------------------------- */

enum { F_STR = 1, F_BOOL, F_INT, F_STRLIST, F_KVMAP, F_MAP, F_SEQ, F_FN };
enum {
	FL_PROXY = 1,    /* proxy URL syntax */
	FL_STRATEGY = 2, /* routing strategy */
	FL_LEGACY = 4,   /* migrated after decoding; not printed */
	FL_SECRET = 8,   /* printed masked */
};

struct field;
typedef int field_fn(struct ctx *x, const struct ynode *n, void *dst, const struct field *f);

struct schema {
	const struct field *f;
	size_t size;     /* element size when decoded as a list entry */
	long line_off;   /* offset of the element's int line, -1 for none */
	int (*check)(struct ctx *x, void *obj, const struct ynode *n);
};

struct field {
	const char *key;
	int type;
	int flags;
	size_t off; /* F_MAP: 0, its fields are offsets in the same object */
	const struct schema *sub;
	int64_t min, max;
	field_fn *fn;
};

static int decode_map(struct ctx *x, const struct schema *s, const struct ynode *m, void *base);

static void fill_empty(const struct schema *s, void *base)
{
	const struct field *f;

	for (f = s->f; f->key; f++) {
		if (f->type == F_STR && !*AT(base, f->off, const char *))
			*AT(base, f->off, const char *) = "";
		else if (f->type == F_MAP)
			fill_empty(f->sub, base);
	}
}

static int get_strlist(struct ctx *x, const struct ynode *n, struct strlist *ret)
{
	struct strlist l = { NULL, 0 };
	size_t i, old;

	if (is_null(n))
		return 0;
	if (n->kind != YN_SEQ)
		return fail(x, n, "expected a list of strings");
	if (n->n && !(l.v = arena_alloc(x->a, n->n * sizeof(*l.v))))
		return oom(x);
	for (i = 0; i < n->n; i++) {
		const char *s = "";
		old = path_index(x, i);
		if (n->kid[i]->kind != YN_SCALAR)
			fail(x, n->kid[i], "expected a string");
		else
			get_str(x, n->kid[i], &s);
		path_pop(x, old);
		if (x->rc)
			return x->rc;
		if (*s)
			l.v[l.n++] = s;
	}
	*ret = l;
	return 0;
}

/* RFC 9110 token (header name) and field-value bytes. */
static bool http_token(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

static bool http_value(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

/* Headers: a mapping of strings; empty names or values dropped, the last
   duplicate wins. */
static int get_kvmap(struct ctx *x, const struct ynode *n, struct kvlist *ret)
{
	struct kvlist l = { NULL, 0 };
	struct strset set;
	size_t i, k, old;

	if (is_null(n))
		return 0;
	if (n->kind != YN_MAP)
		return fail(x, n, "expected a mapping of names to strings");
	if (n->n && !(l.v = arena_alloc(x->a, n->n * sizeof(*l.v))))
		return oom(x);
	for (i = 0; i < n->n; i++) {
		const struct ynode *kn = n->kid[2 * i], *vn = n->kid[2 * i + 1];
		const char *key = "", *val = "";
		if (kn->kind != YN_SCALAR)
			return fail(x, kn, "mapping keys must be strings");
		old = path_key(x, kn->s);
		if (scalar_str(x, kn, &key) == 0 && vn->kind != YN_SCALAR)
			fail(x, vn, "expected a string");
		else if (!x->rc && get_str(x, vn, &val) == 0) {
			if (!http_token(key))
				fail(x, kn, "not a valid HTTP header name");
			else if (!http_value(val))
				fail(x, vn, "not a valid HTTP header value");
		}
		path_pop(x, old);
		if (x->rc)
			return x->rc;
		if (*key && *val) {
			l.v[l.n].key = key;
			l.v[l.n++].value = val;
		}
	}
	if (strset_init(x, &set, l.n))
		return x->rc;
	/* Keep the last of equal keys, in document order. */
	for (i = l.n, k = l.n; i-- > 0;)
		if (strset_add(&set, l.v[i].key, false))
			l.v[--k] = l.v[i];
	if (k) {
		l.v += k;
		l.n -= k;
	}
	*ret = l;
	return 0;
}

static int decode_seq(struct ctx *x, const struct schema *s, const struct ynode *n, void *dst)
{
	struct genlist l = { NULL, 0 };
	size_t i, old;

	if (is_null(n))
		return 0;
	if (n->kind != YN_SEQ)
		return fail(x, n, "expected a list");
	if (n->n && !(l.v = arena_zalloc(x->a, n->n * s->size)))
		return oom(x);
	for (i = 0; i < n->n; i++) {
		const struct ynode *e = n->kid[i];
		void *obj = (char *)l.v + l.n * s->size;
		if (is_null(e))
			continue;
		old = path_index(x, i);
		if (e->kind != YN_MAP)
			fail(x, e, "expected a mapping");
		else if (decode_map(x, s, e, obj) == 0) {
			fill_empty(s, obj);
			if (s->line_off >= 0)
				*AT(obj, (size_t)s->line_off, int) = e->line;
			if (s->check)
				s->check(x, obj, e);
		}
		path_pop(x, old);
		if (x->rc)
			return x->rc;
		l.n++;
	}
	memcpy(dst, &l, sizeof(l));
	return 0;
}

static int decode_value(struct ctx *x, const struct field *f, const struct ynode *v, void *base)
{
	switch (f->type) {
	case F_STR: {
		const char **p = AT(base, f->off, const char *);
		if (get_str(x, v, p))
			return x->rc;
		if (is_null(v))
			return 0;
		if (f->flags & FL_PROXY)
			return check_proxy(x, v, *p);
		if (f->flags & FL_STRATEGY)
			return check_strategy(x, v, p);
		return 0;
	}
	case F_BOOL:
		return get_bool(x, v, AT(base, f->off, bool));
	case F_INT:
		return get_int(x, v, f->min, f->max, AT(base, f->off, int));
	case F_STRLIST:
		return get_strlist(x, v, AT(base, f->off, struct strlist));
	case F_KVMAP:
		return get_kvmap(x, v, AT(base, f->off, struct kvlist));
	case F_MAP:
		if (is_null(v))
			return 0;
		if (v->kind != YN_MAP)
			return fail(x, v, "expected a mapping");
		return decode_map(x, f->sub, v, base);
	case F_SEQ:
		return decode_seq(x, f->sub, v, AT(base, f->off, char));
	case F_FN:
		return f->fn(x, v, AT(base, f->off, char), f);
	}
	return 0;
}

static int add_unknown(struct ctx *x, const struct ynode *k)
{
	struct unk *u = arena_alloc(x->a, sizeof(*u));

	if (!u || !(u->key = arena_strndup(x->a, x->path, x->plen)))
		return oom(x);
	u->line = k->line;
	u->next = NULL;
	*x->unk_tail = u;
	x->unk_tail = &u->next;
	x->nunk++;
	return 0;
}

static int decode_map(struct ctx *x, const struct schema *s, const struct ynode *m, void *base)
{
	size_t i, old;

	for (i = 0; i < m->n; i++) {
		const struct ynode *k = m->kid[2 * i], *v = m->kid[2 * i + 1];
		const struct field *f = NULL, *g;
		if (k->kind != YN_SCALAR)
			return fail(x, k, "mapping keys must be strings");
		if (strlen(k->s) == k->len)
			for (g = s->f; g->key && !f; g++)
				if (strcmp(g->key, k->s) == 0)
					f = g;
		old = path_key(x, k->s);
		if (f)
			decode_value(x, f, v, base);
		else
			add_unknown(x, k);
		path_pop(x, old);
		if (x->rc)
			return x->rc;
	}
	return 0;
}

/* ---- Custom decoders. --------------------------------------------------- */

/* A mapping channel -> list; channel names lower-cased, last one wins. */
struct chan {
	const char *name;
	struct genlist l;
};

static int decode_channels(struct ctx *x, const struct ynode *n, const struct field *f,
			   bool strings, struct chan **ret, size_t *ret_n)
{
	struct chan *c = NULL;
	struct strset set;
	size_t i, k, nc = 0, old;

	*ret = NULL;
	*ret_n = 0;
	if (n->kind != YN_MAP)
		return fail(x, n, "expected a mapping of channel names to lists");
	if (n->n && !(c = arena_zalloc(x->a, n->n * sizeof(*c))))
		return oom(x);
	if (!n->n)
		return 0;
	for (i = 0; i < n->n; i++) {
		const struct ynode *kn = n->kid[2 * i], *vn = n->kid[2 * i + 1];
		const char *name = "";
		if (kn->kind != YN_SCALAR)
			return fail(x, kn, "mapping keys must be strings");
		memset(&c[nc].l, 0, sizeof(c[nc].l));
		old = path_key(x, kn->s);
		if (scalar_str(x, kn, &name) == 0 && (name = lower_dup(x, name))) {
			if (strings)
				get_strlist(x, vn, (struct strlist *)(void *)&c[nc].l);
			else
				decode_seq(x, f->sub, vn, &c[nc].l);
		}
		path_pop(x, old);
		if (x->rc)
			return x->rc;
		if (*name) {
			c[nc].name = name;
			nc++;
		}
	}
	if (strset_init(x, &set, nc))
		return x->rc;
	for (i = nc, k = nc; i-- > 0;)
		if (strset_add(&set, c[i].name, false))
			c[--k] = c[i];
	*ret = c + k;
	*ret_n = nc - k;
	return 0;
}

_Static_assert(sizeof(struct strlist) == sizeof(struct genlist) &&
		       offsetof(struct strlist, n) == offsetof(struct genlist, n),
	       "strlist must be laid out like a list");

static int fn_oauth_alias(struct ctx *x, const struct ynode *n, void *dst, const struct field *f)
{
	struct {
		struct oauth_alias_channel *v;
		size_t n;
	} *out = dst;
	struct chan *c;
	size_t nc, i, j, k;

	if (is_null(n))
		return 0;
	if (decode_channels(x, n, f, false, &c, &nc))
		return x->rc;
	out->v = nc ? arena_zalloc(x->a, nc * sizeof(*out->v)) : NULL;
	if (nc && !out->v)
		return oom(x);
	out->n = 0;
	for (i = 0; i < nc; i++) {
		struct oauth_alias *a = c[i].l.v;
		struct strset set;
		if (strset_init(x, &set, c[i].l.n))
			return x->rc;
		/* The original: both names needed, alias != name, aliases unique. */
		for (j = k = 0; j < c[i].l.n; j++)
			if (*a[j].name && *a[j].alias && strcasecmp(a[j].name, a[j].alias) &&
			    strset_add(&set, a[j].alias, true))
				a[k++] = a[j];
		if (!k)
			continue;
		out->v[out->n].channel = c[i].name;
		out->v[out->n].v = a;
		out->v[out->n].n = k;
		out->n++;
	}
	return 0;
}

static int fn_oauth_excluded(struct ctx *x, const struct ynode *n, void *dst, const struct field *f)
{
	struct {
		struct oauth_excluded_channel *v;
		size_t n;
	} *out = dst;
	struct chan *c;
	size_t nc, i;

	if (is_null(n))
		return 0;
	if (decode_channels(x, n, f, true, &c, &nc))
		return x->rc;
	out->v = nc ? arena_zalloc(x->a, nc * sizeof(*out->v)) : NULL;
	if (nc && !out->v)
		return oom(x);
	out->n = 0;
	for (i = 0; i < nc; i++) {
		struct strlist l;
		memcpy(&l, &c[i].l, sizeof(l));
		if (excluded_normalize(x, &l))
			return x->rc;
		if (!l.n)
			continue;
		out->v[out->n].channel = c[i].name;
		out->v[out->n].models = l;
		out->n++;
	}
	return 0;
}

static bool json_number(const char *s, size_t n)
{
	size_t i = 0;

#define DIGIT(j) ((j) < n && s[j] >= '0' && s[j] <= '9')
	if (i < n && s[i] == '-')
		i++;
	if (!DIGIT(i))
		return false;
	if (s[i] == '0')
		i++;
	else
		while (DIGIT(i))
			i++;
	if (i < n && s[i] == '.') {
		if (!DIGIT(++i))
			return false;
		while (DIGIT(i))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!DIGIT(i))
			return false;
		while (DIGIT(i))
			i++;
	}
#undef DIGIT
	return i == n;
}

static void json_quote(struct buf *b, const char *s, size_t n)
{
	size_t i, run = 0;

	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[8];
		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20) {
			snprintf(u, sizeof(u), "\\u%04x", c);
			esc = u;
		}
		if (!esc)
			continue;
		buf_add(b, s + run, i - run);
		buf_adds(b, esc);
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
	buf_addc(b, '"');
}

/* YAML value as JSON text: quoted scalars are strings; plain scalars that are
   JSON numbers, true/false or null stay as they are; the rest are strings. */
static int to_json(struct ctx *x, struct buf *b, const struct ynode *n)
{
	size_t i;

	if (n->kind == YN_SCALAR) {
		if (is_null(n))
			buf_adds(b, "null");
		else if (!n->quoted && strn_caseeq(n->s, n->len, "true"))
			buf_adds(b, "true");
		else if (!n->quoted && strn_caseeq(n->s, n->len, "false"))
			buf_adds(b, "false");
		else if (!n->quoted && json_number(n->s, n->len))
			buf_add(b, n->s, n->len);
		else if (!n->quoted && n->len > 1 && n->s[0] == '+' && n->s[1] != '-' &&
			 json_number(n->s + 1, n->len - 1))
			buf_add(b, n->s + 1, n->len - 1);
		else
			json_quote(b, n->s, n->len);
		return 0;
	}
	buf_addc(b, n->kind == YN_MAP ? '{' : '[');
	for (i = 0; i < n->n; i++) {
		if (i)
			buf_addc(b, ',');
		if (n->kind == YN_SEQ) {
			to_json(x, b, n->kid[i]);
			continue;
		}
		if (n->kid[2 * i]->kind != YN_SCALAR)
			return fail(x, n->kid[2 * i], "mapping keys must be strings");
		json_quote(b, n->kid[2 * i]->s, n->kid[2 * i]->len);
		buf_addc(b, ':');
		if (to_json(x, b, n->kid[2 * i + 1]))
			return x->rc;
	}
	buf_addc(b, n->kind == YN_MAP ? '}' : ']');
	return x->rc;
}

static int params_decode(struct ctx *x, const struct ynode *n, void *dst, bool raw)
{
	struct {
		struct payload_param *v;
		size_t n;
	} *out = dst, l = { NULL, 0 };
	struct strset set;
	size_t i, k, old;

	if (is_null(n))
		return 0;
	if (n->kind != YN_MAP)
		return fail(x, n, "expected a mapping of JSON paths to values");
	if (n->n && !(l.v = arena_alloc(x->a, n->n * sizeof(*l.v))))
		return oom(x);
	for (i = 0; i < n->n; i++) {
		const struct ynode *kn = n->kid[2 * i], *vn = n->kid[2 * i + 1];
		const char *path = "";
		struct buf b;
		if (kn->kind != YN_SCALAR)
			return fail(x, kn, "mapping keys must be strings");
		old = path_key(x, kn->s);
		buf_init(&b, x->a, 8 * (size_t)LIMIT_CONFIG_BYTES);
		if (scalar_str(x, kn, &path) == 0) {
			if (raw && vn->kind == YN_SCALAR && !is_null(vn))
				buf_add(&b, vn->s, vn->len);
			else
				to_json(x, &b, vn);
			if (!x->rc && b.err)
				fail_rc(x, b.err, vn->line, vn->col, "value too large");
		}
		path_pop(x, old);
		if (x->rc)
			return x->rc;
		if (!*path)
			continue;
		l.v[l.n].path = path;
		l.v[l.n++].json = b.p;
	}
	if (strset_init(x, &set, l.n))
		return x->rc;
	for (i = l.n, k = l.n; i-- > 0;)
		if (strset_add(&set, l.v[i].path, false))
			l.v[--k] = l.v[i];
	out->v = l.v ? l.v + k : NULL;
	out->n = l.n - k;
	return 0;
}

static int fn_params(struct ctx *x, const struct ynode *n, void *dst, const struct field *f)
{
	return params_decode(x, n, dst, false);
}

static int fn_params_raw(struct ctx *x, const struct ynode *n, void *dst, const struct field *f)
{
	return params_decode(x, n, dst, true);
}

/* amp-restrict-management-to-localhost: a boolean whose absence matters. */
static int fn_tribool(struct ctx *x, const struct ynode *n, void *dst, const struct field *f)
{
	bool b = false;

	if (is_null(n))
		return 0;
	if (get_bool(x, n, &b))
		return x->rc;
	*(int *)dst = b;
	return 0;
}

/* generative-language-api-key: a list of bare Gemini keys. */
static int fn_legacy_gemini(struct ctx *x, const struct ynode *n, void *dst, const struct field *f)
{
	struct provider_key_list *out = dst;
	size_t i, old;

	if (is_null(n))
		return 0;
	if (n->kind != YN_SEQ)
		return fail(x, n, "expected a list of strings");
	out->n = 0;
	out->v = n->n ? arena_zalloc(x->a, n->n * sizeof(*out->v)) : NULL;
	if (n->n && !out->v)
		return oom(x);
	for (i = 0; i < n->n; i++) {
		const char *s = "";
		old = path_index(x, i);
		if (n->kid[i]->kind != YN_SCALAR)
			fail(x, n->kid[i], "expected a string");
		else
			get_str(x, n->kid[i], &s);
		path_pop(x, old);
		if (x->rc)
			return x->rc;
		if (!*s)
			continue;
		out->v[out->n].api_key = s;
		out->v[out->n++].line = n->kid[i]->line;
	}
	return 0;
}

/* ---- Checks run on each list entry once decoded. ------------------------ */

static int models_clean(struct model_alias_list *m)
{
	size_t i, k = 0;

	for (i = 0; i < m->n; i++)
		if (*m->v[i].name)
			m->v[k++] = m->v[i];
	m->n = k;
	return 0;
}

/* Fields of struct provider_key that only some providers' tables fill. */
static void provider_fill(struct provider_key *k)
{
	if (!k->cloak.mode)
		k->cloak.mode = "";
}

static int check_provider(struct ctx *x, void *obj, const struct ynode *n)
{
	struct provider_key *k = obj;

	provider_fill(k);
	k->prefix = norm_prefix(x, k->prefix);
	models_clean(&k->models);
	excluded_normalize(x, &k->excluded_models);
	return x->rc;
}

static int check_codex(struct ctx *x, void *obj, const struct ynode *n)
{
	struct provider_key *k = obj;
	size_t old;

	if (check_provider(x, obj, n))
		return x->rc;
	if (*k->base_url)
		return 0;
	old = path_key(x, "base-url");
	fail(x, n, "a codex-api-key entry needs a base-url");
	path_pop(x, old);
	return x->rc;
}

static int check_openai(struct ctx *x, void *obj, const struct ynode *n)
{
	struct oc_wrap *w = obj;
	struct openai_compat *o = &w->o;
	struct openai_compat_key *keys;
	struct strset set;
	size_t i, k = 0, total = o->nkeys + w->legacy_keys.n;

	o->prefix = norm_prefix(x, o->prefix);
	models_clean(&o->models);
	if (!total)
		return x->rc;
	/* api-key-entries first, then the deprecated api-keys; no duplicates. */
	keys = arena_zalloc(x->a, total * sizeof(*keys));
	if (!keys || strset_init(x, &set, total))
		return oom(x);
	for (i = 0; i < o->nkeys; i++)
		if (*o->keys[i].api_key && strset_add(&set, o->keys[i].api_key, false))
			keys[k++] = o->keys[i];
	for (i = 0; i < w->legacy_keys.n; i++) {
		if (!strset_add(&set, w->legacy_keys.v[i], false))
			continue;
		keys[k].api_key = w->legacy_keys.v[i];
		keys[k].proxy_url = "";
		keys[k++].line = o->line;
	}
	o->keys = keys;
	o->nkeys = k;
	return x->rc;
}

/* ---- The tables.  Keep config_keys[] below in step (test_config checks). */

#define O(st, m) offsetof(st, m)
#define C(m) offsetof(struct top, cfg.m)
#define T(m) offsetof(struct top, m)
#define FS(k_, o_, f_) { .key = (k_), .type = F_STR, .flags = (f_), .off = (o_) }
#define FB(k_, o_) { .key = (k_), .type = F_BOOL, .off = (o_) }
#define FI(k_, o_, lo_, hi_) { .key = (k_), .type = F_INT, .off = (o_), .min = (lo_), .max = (hi_) }
#define FL(k_, o_, f_) { .key = (k_), .type = F_STRLIST, .flags = (f_), .off = (o_) }
#define FH(k_, o_) { .key = (k_), .type = F_KVMAP, .off = (o_) }
#define FM(k_, s_, f_) { .key = (k_), .type = F_MAP, .flags = (f_), .sub = &(s_) }
#define FQ(k_, o_, s_, f_) { .key = (k_), .type = F_SEQ, .flags = (f_), .off = (o_), .sub = &(s_) }
#define FX(k_, o_, fn_, s_, f_) \
	{ .key = (k_), .type = F_FN, .flags = (f_), .off = (o_), .fn = (fn_), .sub = (s_) }
#define END { .key = NULL }
#define COUNT INT_MAX /* counts: 0 .. INT_MAX */

static const struct field model_fields[] = {
	FS("name", O(struct model_alias, name), 0),
	FS("alias", O(struct model_alias, alias), 0),
	END,
};
static const struct schema model_sch = { model_fields, sizeof(struct model_alias), -1, NULL };

static const struct field oc_thinking_fields[] = {
	FL("levels", O(struct model_alias, thinking.levels), 0),
	END,
};
static const struct schema oc_thinking_sch = { oc_thinking_fields, 0, -1, NULL };

static const struct field oc_model_fields[] = {
	FS("name", O(struct model_alias, name), 0),
	FS("alias", O(struct model_alias, alias), 0),
	FM("thinking", oc_thinking_sch, 0),
	END,
};
static const struct schema oc_model_sch = { oc_model_fields, sizeof(struct model_alias), -1, NULL };

#define PK(m) O(struct provider_key, m)
#define PROVIDER_FIELDS                                                             \
	FS("api-key", PK(api_key), FL_SECRET), FI("priority", PK(priority), INT_MIN, INT_MAX), \
	FS("prefix", PK(prefix), 0), FS("base-url", PK(base_url), 0),              \
	FS("proxy-url", PK(proxy_url), FL_PROXY), FH("headers", PK(headers)),       \
	FQ("models", PK(models), model_sch, 0), FL("excluded-models", PK(excluded_models), 0)

static const struct field gemini_fields[] = { PROVIDER_FIELDS, END };
static const struct schema gemini_sch = {
	gemini_fields, sizeof(struct provider_key), (long)PK(line), check_provider
};

static const struct field codex_fields[] = {
	PROVIDER_FIELDS,
	FB("websockets", PK(websockets)),
	END,
};
static const struct schema codex_sch = {
	codex_fields, sizeof(struct provider_key), (long)PK(line), check_codex
};

static const struct field cloak_fields[] = {
	FS("mode", PK(cloak.mode), 0),
	FB("strict-mode", PK(cloak.strict_mode)),
	FL("sensitive-words", PK(cloak.sensitive_words), 0),
	FB("cache-user-id", PK(cloak.cache_user_id)),
	END,
};
static const struct schema cloak_sch = { cloak_fields, 0, -1, NULL };

static const struct field claude_fields[] = {
	PROVIDER_FIELDS,
	FM("cloak", cloak_sch, 0),
	FB("experimental-cch-signing", PK(experimental_cch_signing)),
	END,
};
static const struct schema claude_sch = {
	claude_fields, sizeof(struct provider_key), (long)PK(line), check_provider
};

static const struct field oc_key_fields[] = {
	FS("api-key", O(struct openai_compat_key, api_key), FL_SECRET),
	FS("proxy-url", O(struct openai_compat_key, proxy_url), FL_PROXY),
	END,
};
static const struct schema oc_key_sch = {
	oc_key_fields, sizeof(struct openai_compat_key), (long)O(struct openai_compat_key, line), NULL
};

#define OC(m) O(struct oc_wrap, o.m)
static const struct field oc_fields[] = {
	FS("name", OC(name), 0),
	FI("priority", OC(priority), INT_MIN, INT_MAX),
	FS("prefix", OC(prefix), 0),
	FS("base-url", OC(base_url), 0),
	FH("headers", OC(headers)),
	FQ("api-key-entries", OC(keys), oc_key_sch, 0),
	FL("api-keys", O(struct oc_wrap, legacy_keys), FL_LEGACY),
	FQ("models", OC(models), oc_model_sch, 0),
	END,
};
static const struct schema oc_sch = {
	oc_fields, sizeof(struct oc_wrap), (long)OC(line), check_openai
};

static const struct field amp_key_fields[] = {
	FS("upstream-api-key", O(struct amp_upstream_key, upstream_api_key), FL_SECRET),
	FL("api-keys", O(struct amp_upstream_key, api_keys), 0),
	END,
};
static const struct schema amp_key_sch = {
	amp_key_fields, sizeof(struct amp_upstream_key), -1, NULL
};

static const struct field amp_map_fields[] = {
	FS("from", O(struct amp_model_mapping, from), 0),
	FS("to", O(struct amp_model_mapping, to), 0),
	FB("regex", O(struct amp_model_mapping, regex)),
	END,
};
static const struct schema amp_map_sch = {
	amp_map_fields, sizeof(struct amp_model_mapping), -1, NULL
};

static const struct field amp_fields[] = {
	FS("upstream-url", C(ampcode.upstream_url), 0),
	FS("upstream-api-key", C(ampcode.upstream_api_key), FL_SECRET),
	FQ("upstream-api-keys", C(ampcode.upstream_api_keys), amp_key_sch, 0),
	FB("restrict-management-to-localhost", C(ampcode.restrict_management_to_localhost)),
	FQ("model-mappings", C(ampcode.model_mappings), amp_map_sch, 0),
	FB("force-model-mappings", C(ampcode.force_model_mappings)),
	END,
};
static const struct schema amp_sch = { amp_fields, 0, -1, NULL };

static const struct field oauth_alias_fields[] = {
	FS("name", O(struct oauth_alias, name), 0),
	FS("alias", O(struct oauth_alias, alias), 0),
	FB("fork", O(struct oauth_alias, fork)),
	END,
};
static const struct schema oauth_alias_sch = {
	oauth_alias_fields, sizeof(struct oauth_alias), -1, NULL
};

static const struct field pmodel_fields[] = {
	FS("name", O(struct payload_model, name), 0),
	FS("protocol", O(struct payload_model, protocol), 0),
	END,
};
static const struct schema pmodel_sch = { pmodel_fields, sizeof(struct payload_model), -1, NULL };

static const struct field prule_fields[] = {
	FQ("models", O(struct payload_rule, models), pmodel_sch, 0),
	FX("params", O(struct payload_rule, params), fn_params, NULL, 0),
	END,
};
static const struct schema prule_sch = {
	prule_fields, sizeof(struct payload_rule), (long)O(struct payload_rule, line), NULL
};

static const struct field prule_raw_fields[] = {
	FQ("models", O(struct payload_rule, models), pmodel_sch, 0),
	FX("params", O(struct payload_rule, params), fn_params_raw, NULL, 0),
	END,
};
static const struct schema prule_raw_sch = {
	prule_raw_fields, sizeof(struct payload_rule), (long)O(struct payload_rule, line), NULL
};

static const struct field pfilter_fields[] = {
	FQ("models", O(struct payload_filter, models), pmodel_sch, 0),
	FL("params", O(struct payload_filter, params), 0),
	END,
};
static const struct schema pfilter_sch = {
	pfilter_fields, sizeof(struct payload_filter), (long)O(struct payload_filter, line), NULL
};

static const struct field payload_fields[] = {
	FQ("default", C(payload.default_), prule_sch, 0),
	FQ("default-raw", C(payload.default_raw), prule_raw_sch, 0),
	FQ("override", C(payload.override), prule_sch, 0),
	FQ("override-raw", C(payload.override_raw), prule_raw_sch, 0),
	FQ("filter", C(payload.filter), pfilter_sch, 0),
	END,
};
static const struct schema payload_sch = { payload_fields, 0, -1, NULL };

#define KE(m) O(struct kiro_entry, m)
static const struct field kiro_fields[] = {
	FS("token-file", KE(token_file), 0),
	FS("access-token", KE(access_token), FL_SECRET),
	FS("refresh-token", KE(refresh_token), FL_SECRET),
	FS("profile-arn", KE(profile_arn), 0),
	FS("agent-task-type", KE(agent_task_type), 0),
	FS("start-url", KE(start_url), 0),
	FS("region", KE(region), 0),
	FS("proxy-url", KE(proxy_url), FL_PROXY),
	END,
};
static const struct schema kiro_sch = {
	kiro_fields, sizeof(struct kiro_entry), (long)KE(line), NULL
};

static const struct field legacy_provider_fields[] = {
	FS("name", O(struct legacy_provider, name), 0),
	FS("type", O(struct legacy_provider, type), 0),
	FL("api-keys", O(struct legacy_provider, api_keys), 0),
	END,
};
static const struct schema legacy_provider_sch = {
	legacy_provider_fields, sizeof(struct legacy_provider), -1, NULL
};

static const struct field auth_fields[] = {
	FQ("providers", T(auth.providers), legacy_provider_sch, 0),
	END,
};
static const struct schema auth_sch = { auth_fields, 0, -1, NULL };

static const struct field tls_fields[] = {
	FB("enable", C(tls.enable)),
	FS("cert", C(tls.cert), 0),
	FS("key", C(tls.key), 0),
	END,
};
static const struct schema tls_sch = { tls_fields, 0, -1, NULL };

static const struct field rm_fields[] = {
	FB("allow-remote", C(remote_management.allow_remote)),
	FS("secret-key", C(remote_management.secret_key), FL_SECRET),
	FB("disable-control-panel", C(remote_management.disable_control_panel)),
	FB("disable-auto-update-panel", C(remote_management.disable_auto_update_panel)),
	FS("panel-github-repository", C(remote_management.panel_github_repository), 0),
	END,
};
static const struct schema rm_sch = { rm_fields, 0, -1, NULL };

static const struct field pprof_fields[] = {
	FB("enable", C(pprof.enable)),
	FS("addr", C(pprof.addr), 0),
	END,
};
static const struct schema pprof_sch = { pprof_fields, 0, -1, NULL };

static const struct field quota_fields[] = {
	FB("switch-project", C(quota_exceeded.switch_project)),
	FB("switch-preview-model", C(quota_exceeded.switch_preview_model)),
	FB("antigravity-credits", C(quota_exceeded.antigravity_credits)),
	END,
};
static const struct schema quota_sch = { quota_fields, 0, -1, NULL };

static const struct field routing_fields[] = {
	FS("strategy", C(routing.strategy), FL_STRATEGY),
	END,
};
static const struct schema routing_sch = { routing_fields, 0, -1, NULL };

static const struct field streaming_fields[] = {
	FI("keepalive-seconds", C(streaming.keepalive_seconds), 0, COUNT),
	FI("bootstrap-retries", C(streaming.bootstrap_retries), 0, COUNT),
	END,
};
static const struct schema streaming_sch = { streaming_fields, 0, -1, NULL };

static const struct field chd_fields[] = {
	FS("user-agent", C(claude_header_defaults.user_agent), 0),
	FS("package-version", C(claude_header_defaults.package_version), 0),
	FS("runtime-version", C(claude_header_defaults.runtime_version), 0),
	FS("os", C(claude_header_defaults.os), 0),
	FS("arch", C(claude_header_defaults.arch), 0),
	FS("timeout", C(claude_header_defaults.timeout), 0),
	FB("stabilize-device-profile", C(claude_header_defaults.stabilize_device_profile)),
	END,
};
static const struct schema chd_sch = { chd_fields, 0, -1, NULL };

static const struct field xhd_fields[] = {
	FS("user-agent", C(codex_header_defaults.user_agent), 0),
	FS("beta-features", C(codex_header_defaults.beta_features), 0),
	END,
};
static const struct schema xhd_sch = { xhd_fields, 0, -1, NULL };

static const struct field top_fields[] = {
	FS("host", C(host), 0),
	FI("port", C(port), 1, 65535),
	FM("tls", tls_sch, 0),
	FM("remote-management", rm_sch, 0),
	FS("auth-dir", C(auth_dir_raw), 0),
	FL("api-keys", C(api_keys), 0),
	FB("debug", C(debug)),
	FM("pprof", pprof_sch, 0),
	FB("commercial-mode", C(commercial_mode)),
	FB("logging-to-file", C(logging_to_file)),
	FI("logs-max-total-size-mb", C(logs_max_total_size_mb), 0, COUNT),
	FI("error-logs-max-files", C(error_logs_max_files), 0, COUNT),
	FB("request-log", C(request_log)),
	FB("usage-statistics-enabled", C(usage_statistics_enabled)),
	FS("proxy-url", C(proxy_url), FL_PROXY),
	FB("force-model-prefix", C(force_model_prefix)),
	FB("passthrough-headers", C(passthrough_headers)),
	FI("request-retry", C(request_retry), 0, COUNT),
	FI("max-retry-credentials", C(max_retry_credentials), 0, COUNT),
	FI("max-retry-interval", C(max_retry_interval), 0, COUNT),
	FB("disable-cooling", C(disable_cooling)),
	FI("auth-auto-refresh-workers", C(auth_auto_refresh_workers), 0, COUNT),
	FM("quota-exceeded", quota_sch, 0),
	FM("routing", routing_sch, 0),
	FB("ws-auth", C(ws_auth)),
	FB("enable-gemini-cli-endpoint", C(enable_gemini_cli_endpoint)),
	FI("nonstream-keepalive-interval", C(nonstream_keepalive_interval), 0, COUNT),
	FM("streaming", streaming_sch, 0),
	FB("antigravity-signature-cache-enabled", C(antigravity_signature_cache_enabled)),
	FB("antigravity-signature-bypass-strict", C(antigravity_signature_bypass_strict)),
	FB("incognito-browser", C(incognito_browser)),
	FQ("gemini-api-key", C(gemini_api_key), gemini_sch, 0),
	FQ("codex-api-key", C(codex_api_key), codex_sch, 0),
	FQ("claude-api-key", C(claude_api_key), claude_sch, 0),
	FQ("vertex-api-key", C(vertex_api_key), gemini_sch, 0),
	FM("claude-header-defaults", chd_sch, 0),
	FM("codex-header-defaults", xhd_sch, 0),
	FQ("openai-compatibility", T(openai_in), oc_sch, 0),
	FM("ampcode", amp_sch, 0),
	FX("oauth-model-alias", C(oauth_model_alias), fn_oauth_alias, &oauth_alias_sch, 0),
	FX("oauth-excluded-models", C(oauth_excluded_models), fn_oauth_excluded, NULL, 0),
	FM("payload", payload_sch, 0),
	FQ("kiro", C(kiro), kiro_sch, 0),
	/* Legacy keys of older releases, migrated by post(). */
	FX("generative-language-api-key", T(legacy_gemini), fn_legacy_gemini, NULL, FL_LEGACY),
	FS("amp-upstream-url", T(amp_upstream_url), FL_LEGACY),
	FS("amp-upstream-api-key", T(amp_upstream_api_key), FL_LEGACY),
	FX("amp-restrict-management-to-localhost", T(amp_restrict), fn_tribool, NULL, FL_LEGACY),
	FQ("amp-model-mappings", T(amp_model_mappings), amp_map_sch, FL_LEGACY),
	FM("auth", auth_sch, FL_LEGACY),
	END,
};
static const struct schema top_sch = { top_fields, sizeof(struct top), -1, NULL };

const char *const config_keys[] = {
	"host", "port",
	"tls", "tls.enable", "tls.cert", "tls.key",
	"remote-management", "remote-management.allow-remote", "remote-management.secret-key",
	"remote-management.disable-control-panel", "remote-management.disable-auto-update-panel",
	"remote-management.panel-github-repository",
	"auth-dir", "api-keys", "debug",
	"pprof", "pprof.enable", "pprof.addr",
	"commercial-mode", "logging-to-file", "logs-max-total-size-mb", "error-logs-max-files",
	"request-log", "usage-statistics-enabled", "proxy-url", "force-model-prefix",
	"passthrough-headers", "request-retry", "max-retry-credentials", "max-retry-interval",
	"disable-cooling", "auth-auto-refresh-workers",
	"quota-exceeded", "quota-exceeded.switch-project", "quota-exceeded.switch-preview-model",
	"quota-exceeded.antigravity-credits",
	"routing", "routing.strategy",
	"ws-auth", "enable-gemini-cli-endpoint", "nonstream-keepalive-interval",
	"streaming", "streaming.keepalive-seconds", "streaming.bootstrap-retries",
	"antigravity-signature-cache-enabled", "antigravity-signature-bypass-strict",
	"incognito-browser",
#define PROVIDER_KEYS(p)                                                          \
	p, p ".api-key", p ".priority", p ".prefix", p ".base-url", p ".proxy-url", \
	p ".headers", p ".models", p ".models.name", p ".models.alias", p ".excluded-models"
	PROVIDER_KEYS("gemini-api-key"),
	PROVIDER_KEYS("codex-api-key"), "codex-api-key.websockets",
	PROVIDER_KEYS("claude-api-key"),
	"claude-api-key.cloak", "claude-api-key.cloak.mode", "claude-api-key.cloak.strict-mode",
	"claude-api-key.cloak.sensitive-words", "claude-api-key.cloak.cache-user-id",
	"claude-api-key.experimental-cch-signing",
	PROVIDER_KEYS("vertex-api-key"),
#undef PROVIDER_KEYS
	"claude-header-defaults", "claude-header-defaults.user-agent",
	"claude-header-defaults.package-version", "claude-header-defaults.runtime-version",
	"claude-header-defaults.os", "claude-header-defaults.arch", "claude-header-defaults.timeout",
	"claude-header-defaults.stabilize-device-profile",
	"codex-header-defaults", "codex-header-defaults.user-agent",
	"codex-header-defaults.beta-features",
	"openai-compatibility", "openai-compatibility.name", "openai-compatibility.priority",
	"openai-compatibility.prefix", "openai-compatibility.base-url", "openai-compatibility.headers",
	"openai-compatibility.api-key-entries", "openai-compatibility.api-key-entries.api-key",
	"openai-compatibility.api-key-entries.proxy-url", "openai-compatibility.api-keys",
	"openai-compatibility.models", "openai-compatibility.models.name",
	"openai-compatibility.models.alias", "openai-compatibility.models.thinking",
	"openai-compatibility.models.thinking.levels",
	"ampcode", "ampcode.upstream-url", "ampcode.upstream-api-key", "ampcode.upstream-api-keys",
	"ampcode.upstream-api-keys.upstream-api-key", "ampcode.upstream-api-keys.api-keys",
	"ampcode.restrict-management-to-localhost", "ampcode.model-mappings",
	"ampcode.model-mappings.from", "ampcode.model-mappings.to", "ampcode.model-mappings.regex",
	"ampcode.force-model-mappings",
	"oauth-model-alias", "oauth-model-alias.name", "oauth-model-alias.alias",
	"oauth-model-alias.fork",
	"oauth-excluded-models",
	"payload",
#define RULE_KEYS(p) p, p ".models", p ".models.name", p ".models.protocol", p ".params"
	RULE_KEYS("payload.default"), RULE_KEYS("payload.default-raw"),
	RULE_KEYS("payload.override"), RULE_KEYS("payload.override-raw"),
	RULE_KEYS("payload.filter"),
#undef RULE_KEYS
	"kiro", "kiro.token-file", "kiro.access-token", "kiro.refresh-token", "kiro.profile-arn",
	"kiro.agent-task-type", "kiro.start-url", "kiro.region", "kiro.proxy-url",
	"generative-language-api-key", "amp-upstream-url", "amp-upstream-api-key",
	"amp-restrict-management-to-localhost", "amp-model-mappings", "amp-model-mappings.from",
	"amp-model-mappings.to", "amp-model-mappings.regex",
	"auth", "auth.providers", "auth.providers.name", "auth.providers.type",
	"auth.providers.api-keys",
	NULL,
};

static void walk_keys(const struct schema *s, char *key, size_t len, size_t cap,
		      void (*fn)(const char *key, void *arg), void *arg)
{
	const struct field *f;

	for (f = s->f; f->key; f++) {
		int r = snprintf(key + len, cap - len, "%s%s", len ? "." : "", f->key);
		if (r < 0 || (size_t)r >= cap - len)
			continue;
		fn(key, arg);
		if (f->sub)
			walk_keys(f->sub, key, len + (size_t)r, cap, fn, arg);
		key[len] = 0;
	}
}

void config_schema_keys(void (*fn)(const char *key, void *arg), void *arg)
{
	char key[256] = "";

	walk_keys(&top_sch, key, 0, sizeof(key), fn, arg);
}

/* ---- After decoding: legacy keys, list cleaning, defaults. -------------- */

static int expand_home(struct ctx *x, const char *raw, const char **ret)
{
	const char *home = getenv("HOME");
	size_t hl;

	*ret = raw;
	if (raw[0] != '~' || (raw[1] && raw[1] != '/') || !home || !*home)
		return 0;
	hl = strlen(home);
	while (hl > 1 && home[hl - 1] == '/')
		hl--;
	if (!raw[1]) {
		*ret = arena_strndup(x->a, home, hl);
	} else {
		*ret = arena_printf(x->a, "%.*s%s", (int)hl, home, hl == 1 && home[0] == '/' ? raw + 2 : raw + 1);
	}
	return *ret ? 0 : oom(x);
}

static void *list_append(struct ctx *x, struct genlist *l, size_t size, const void *more, size_t n)
{
	void *v;

	if (!n)
		return l->v;
	v = arena_alloc(x->a, (l->n + n) * size);
	if (!v) {
		oom(x);
		return NULL;
	}
	if (l->n)
		memcpy(v, l->v, l->n * size);
	memcpy((char *)v + l->n * size, more, n * size);
	l->v = v;
	l->n += n;
	return v;
}

/* gemini: legacy keys appended, empty keys dropped, duplicates dropped. */
static int clean_gemini(struct ctx *x, struct top *t)
{
	struct provider_key_list *l = &t->cfg.gemini_api_key;
	struct genlist g;
	struct strset set;
	size_t i, k = 0;

	for (i = 0; i < t->legacy_gemini.n; i++) {
		fill_empty(&gemini_sch, &t->legacy_gemini.v[i]);
		provider_fill(&t->legacy_gemini.v[i]);
	}
	memcpy(&g, l, sizeof(g));
	if (!list_append(x, &g, sizeof(*l->v), t->legacy_gemini.v, t->legacy_gemini.n) && x->rc)
		return x->rc;
	memcpy(l, &g, sizeof(g));
	if (strset_init(x, &set, l->n))
		return x->rc;
	for (i = 0; i < l->n; i++)
		if (*l->v[i].api_key && strset_add(&set, l->v[i].api_key, false))
			l->v[k++] = l->v[i];
	l->n = k;
	return 0;
}

/* vertex: entries need an api-key and a base-url; key|base-url unique. */
static int clean_vertex(struct ctx *x, struct provider_key_list *l)
{
	struct strset set;
	size_t i, k = 0;

	if (strset_init(x, &set, l->n))
		return x->rc;
	for (i = 0; i < l->n; i++) {
		const char *id;
		if (!*l->v[i].api_key || !*l->v[i].base_url)
			continue;
		id = arena_printf(x->a, "%s|%s", l->v[i].api_key, l->v[i].base_url);
		if (!id)
			return oom(x);
		if (strset_add(&set, id, false))
			l->v[k++] = l->v[i];
	}
	l->n = k;
	return 0;
}

static int post(struct ctx *x, struct top *t)
{
	struct config *c = &t->cfg;
	size_t i, k = 0;

	/* The original reads auth.providers' config-api-key keys only when
	   api-keys is empty; so do we. */
	for (i = 0; !c->api_keys.n && i < t->auth.providers.n; i++)
		if (t->auth.providers.v[i].type &&
		    strcmp(t->auth.providers.v[i].type, "config-api-key") == 0)
			c->api_keys = t->auth.providers.v[i].api_keys;
	if (strlist_dedupe(x, &c->api_keys, false) || clean_gemini(x, t) ||
	    clean_vertex(x, &c->vertex_api_key))
		return x->rc;

	/* openai-compatibility: entries without base-url are dropped. */
	if (t->openai_in.n) {
		c->openai_compatibility.v = arena_alloc(x->a, t->openai_in.n * sizeof(struct openai_compat));
		if (!c->openai_compatibility.v)
			return oom(x);
		for (i = 0; i < t->openai_in.n; i++)
			if (*t->openai_in.v[i].o.base_url)
				c->openai_compatibility.v[k++] = t->openai_in.v[i].o;
		c->openai_compatibility.n = k;
	}

	if (!*c->ampcode.upstream_url && t->amp_upstream_url)
		c->ampcode.upstream_url = t->amp_upstream_url;
	if (!*c->ampcode.upstream_api_key && t->amp_upstream_api_key)
		c->ampcode.upstream_api_key = t->amp_upstream_api_key;
	if (t->amp_restrict >= 0)
		c->ampcode.restrict_management_to_localhost = t->amp_restrict;
	if (!c->ampcode.model_mappings.n && t->amp_model_mappings.n) {
		c->ampcode.model_mappings.v = t->amp_model_mappings.v;
		c->ampcode.model_mappings.n = t->amp_model_mappings.n;
	}

	if (!*c->pprof.addr)
		c->pprof.addr = DEFAULT_PPROF_ADDR;
	if (!*c->remote_management.panel_github_repository)
		c->remote_management.panel_github_repository = DEFAULT_PANEL_REPO;
	return expand_home(x, c->auth_dir_raw, &c->auth_dir);
}

static int unknown_finish(struct ctx *x, struct config *c)
{
	struct unk *u;
	size_t i = 0;

	c->unknown = NULL;
	c->nunknown = 0;
	if (!x->nunk)
		return 0;
	c->unknown = arena_alloc(x->a, x->nunk * sizeof(*c->unknown));
	if (!c->unknown)
		return oom(x);
	for (u = x->unk; u; u = u->next) {
		c->unknown[i].key = u->key;
		c->unknown[i++].line = u->line;
	}
	c->nunknown = i;
	return 0;
}

/* ---- API. --------------------------------------------------------------- */

void config_defaults(struct config *c)
{
	const struct field *f;

	memset(c, 0, sizeof(*c));
	for (f = top_fields; f->key; f++) {
		if (f->off >= sizeof(struct config))
			continue;
		if (f->type == F_STR)
			*AT(c, f->off, const char *) = "";
		else if (f->type == F_MAP && !(f->flags & FL_LEGACY))
			fill_empty(f->sub, c);
	}
	c->host = DEFAULT_HOST;
	c->port = DEFAULT_PORT;
	c->auth_dir = c->auth_dir_raw = DEFAULT_AUTH_DIR;
	c->max_retry_interval = 30;
	c->quota_exceeded.switch_project = true;
	c->quota_exceeded.switch_preview_model = true;
	c->quota_exceeded.antigravity_credits = true;
	c->usage_statistics_enabled = true;
	c->error_logs_max_files = 10;
	c->auth_auto_refresh_workers = 16;
	c->routing.strategy = "round-robin";
	c->remote_management.panel_github_repository = DEFAULT_PANEL_REPO;
	c->pprof.addr = DEFAULT_PPROF_ADDR;
	c->antigravity_signature_cache_enabled = true;
}

int config_parse(struct config *c, struct arena *a, const char *yaml, size_t len,
		 const char *name, struct config_error *err)
{
	struct config_error dummy;
	struct top t;
	struct ctx x;
	struct ynode *root = NULL;
	int rc;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.err = err;
	x.unk_tail = &x.unk;
	memset(&t, 0, sizeof(t));
	config_defaults(&t.cfg);
	t.amp_restrict = -1;

	rc = tree_build(&x, yaml ? yaml : "", yaml ? len : 0, &root);
	if (!rc && root) {
		if (root->kind == YN_MAP)
			rc = decode_map(&x, &top_sch, root, &t);
		else if (!is_null(root))
			rc = fail(&x, root, "expected a mapping of keys at the top level");
	}
	if (!rc)
		rc = post(&x, &t);
	if (!rc && name && !(t.cfg.path = arena_strdup(a, name)))
		rc = oom(&x);
	if (!rc)
		rc = unknown_finish(&x, &t.cfg);
	if (rc) {
		config_defaults(c);
		return rc;
	}
	*c = t.cfg;
	return 0;
}

int config_load(struct config *c, struct arena *a, const char *path, struct config_error *err)
{
	struct config_error dummy;
	struct stat st;
	char *p;
	size_t cap, n = 0;
	int fd, e;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!path) {
		struct ctx x = { .a = a, .err = err };
		config_defaults(c);
		return expand_home(&x, c->auth_dir_raw, &c->auth_dir);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		snprintf(err->message, sizeof(err->message), "%s: %s", path, strerror(e));
		config_defaults(c);
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		e = EISDIR;
		goto fail;
	}
	if (st.st_size > LIMIT_CONFIG_BYTES) {
		e = EFBIG;
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	if (cap < 4096)
		cap = 4096;
	if (!(p = arena_alloc(a, cap))) {
		e = ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t r;
		if (n == cap) {
			size_t ncap = cap * 2 > (size_t)LIMIT_CONFIG_BYTES + 1 ?
					      (size_t)LIMIT_CONFIG_BYTES + 1 : cap * 2;
			if (ncap <= cap) {
				e = EFBIG;
				goto fail;
			}
			if (!(p = arena_realloc(a, p, cap, ncap))) {
				e = ENOMEM;
				goto fail;
			}
			cap = ncap;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > LIMIT_CONFIG_BYTES) {
		snprintf(err->message, sizeof(err->message), "%s: larger than %d bytes", path,
			 LIMIT_CONFIG_BYTES);
		config_defaults(c);
		return -EFBIG;
	}
	return config_parse(c, a, p, n, path, err);
fail:
	close(fd);
	if (e == EFBIG)
		snprintf(err->message, sizeof(err->message), "%s: larger than %d bytes", path,
			 LIMIT_CONFIG_BYTES);
	else
		snprintf(err->message, sizeof(err->message), "%s: %s", path, strerror(e));
	config_defaults(c);
	return -e;
}

static const char *existing(const char *p)
{
	struct stat st;

	return p && stat(p, &st) == 0 && !S_ISDIR(st.st_mode) ? p : NULL;
}

const char *config_default_path(struct arena *a)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME"), *p = NULL;

	if (existing("config.yaml"))
		return arena_strdup(a, "config.yaml");
	if (xdg && xdg[0] == '/')
		p = arena_printf(a, "%s/cliproxy/config.yaml", xdg);
	else if (home && *home)
		p = arena_printf(a, "%s/.config/cliproxy/config.yaml", home);
	if (existing(p))
		return p;
	if (existing("/etc/cliproxy/config.yaml"))
		return arena_strdup(a, "/etc/cliproxy/config.yaml");
	return NULL;
}

/* ---- config_print: never a whole secret. -------------------------------- */

static void put_clean(FILE *f, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i], f);
}

static void put_str(FILE *f, const char *s)
{
	if (!s || !*s)
		fputs("\"\"", f);
	else
		put_clean(f, s, strlen(s));
}

/* first 4 + "…" + last 4, or "****" below 12 bytes. */
static void put_masked(FILE *f, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n) {
		fputs("(none)", f);
	} else if (n < 12) {
		fputs("****", f);
	} else {
		put_clean(f, s, 4);
		fputs("\xe2\x80\xa6", f);
		put_clean(f, s + n - 4, 4);
	}
}

/* A proxy URL with the password (or a bare user token) of its userinfo hidden. */
static void put_proxy(FILE *f, const char *s)
{
	const char *auth = s ? strstr(s, "://") : NULL, *at, *end, *colon;

	if (!auth) {
		put_str(f, s);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	at = memrchr(auth, '@', (size_t)(end - auth));
	if (!at) {
		put_str(f, s);
		return;
	}
	colon = memchr(auth, ':', (size_t)(at - auth));
	put_clean(f, s, (size_t)((colon ? colon + 1 : auth) - s));
	fputs("****", f);
	put_clean(f, at, strlen(at));
}

static void print_provider(FILE *f, const char *name, size_t i, const struct provider_key *k)
{
	fprintf(f, "%s[%zu]: api-key=", name, i);
	put_masked(f, k->api_key);
	fputs(" base-url=", f);
	if (*k->base_url)
		put_str(f, k->base_url);
	else
		fputs("(default)", f);
	if (*k->proxy_url) {
		fputs(" proxy-url=", f);
		put_proxy(f, k->proxy_url);
	}
	if (*k->prefix) {
		fputs(" prefix=", f);
		put_str(f, k->prefix);
	}
	if (k->priority)
		fprintf(f, " priority=%d", k->priority);
	if (k->models.n)
		fprintf(f, " models=%zu", k->models.n);
	if (k->excluded_models.n)
		fprintf(f, " excluded-models=%zu", k->excluded_models.n);
	if (k->headers.n)
		fprintf(f, " headers=%zu", k->headers.n);
	if (k->websockets)
		fputs(" websockets=true", f);
	fputc('\n', f);
}

static void print_list(const struct config *c, const char *key, size_t off, FILE *f)
{
	struct genlist g;
	size_t i, j;

	if (off == T(openai_in)) {
		const struct openai_compat_list *l = &c->openai_compatibility;
		fprintf(f, "%s: %zu\n", key, l->n);
		for (i = 0; i < l->n; i++) {
			const struct openai_compat *o = &l->v[i];
			fprintf(f, "%s[%zu]: name=", key, i);
			put_str(f, o->name);
			fputs(" base-url=", f);
			put_str(f, o->base_url);
			fprintf(f, " api-keys=%zu models=%zu", o->nkeys, o->models.n);
			if (*o->prefix) {
				fputs(" prefix=", f);
				put_str(f, o->prefix);
			}
			fputc('\n', f);
			for (j = 0; j < o->nkeys; j++) {
				fprintf(f, "%s[%zu].api-key-entries[%zu]: api-key=", key, i, j);
				put_masked(f, o->keys[j].api_key);
				if (*o->keys[j].proxy_url) {
					fputs(" proxy-url=", f);
					put_proxy(f, o->keys[j].proxy_url);
				}
				fputc('\n', f);
			}
		}
		return;
	}
	memcpy(&g, CAT(c, off, char), sizeof(g));
	fprintf(f, "%s: %zu\n", key, g.n);
	if (off == C(gemini_api_key) || off == C(codex_api_key) || off == C(claude_api_key) ||
	    off == C(vertex_api_key)) {
		const struct provider_key *k = g.v;
		for (i = 0; i < g.n; i++)
			print_provider(f, key, i, &k[i]);
	} else if (off == C(kiro)) {
		const struct kiro_entry *k = g.v;
		for (i = 0; i < g.n; i++) {
			fprintf(f, "%s[%zu]: token-file=", key, i);
			put_str(f, k[i].token_file);
			fputs(" access-token=", f);
			put_masked(f, k[i].access_token);
			fputs(" refresh-token=", f);
			put_masked(f, k[i].refresh_token);
			fputs(" region=", f);
			put_str(f, k[i].region);
			if (*k[i].proxy_url) {
				fputs(" proxy-url=", f);
				put_proxy(f, k[i].proxy_url);
			}
			fputc('\n', f);
		}
	} else if (off == C(ampcode.upstream_api_keys)) {
		const struct amp_upstream_key *k = g.v;
		for (i = 0; i < g.n; i++) {
			fprintf(f, "%s[%zu]: upstream-api-key=", key, i);
			put_masked(f, k[i].upstream_api_key);
			fprintf(f, " api-keys=%zu\n", k[i].api_keys.n);
		}
	}
}

static void print_fields(const struct config *c, const struct schema *s, const char *prefix,
			 FILE *f)
{
	const struct field *fl;
	char key[128];

	for (fl = s->f; fl->key; fl++) {
		if (fl->flags & FL_LEGACY)
			continue;
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", fl->key);
		switch (fl->type) {
		case F_STR: {
			const char *v;
			memcpy(&v, CAT(c, fl->off, char), sizeof(v));
			if (fl->off == C(auth_dir_raw))
				v = c->auth_dir;
			fprintf(f, "%s: ", key);
			if (fl->flags & FL_SECRET)
				put_masked(f, v);
			else if (fl->flags & FL_PROXY)
				put_proxy(f, v);
			else
				put_str(f, v);
			fputc('\n', f);
			break;
		}
		case F_BOOL:
			fprintf(f, "%s: %s\n", key, *CAT(c, fl->off, bool) ? "true" : "false");
			break;
		case F_INT:
			fprintf(f, "%s: %d\n", key, *CAT(c, fl->off, int));
			break;
		case F_STRLIST:
			fprintf(f, "%s: %zu\n", key, CAT(c, fl->off, struct strlist)->n);
			break;
		case F_KVMAP:
			fprintf(f, "%s: %zu\n", key, CAT(c, fl->off, struct kvlist)->n);
			break;
		case F_MAP:
			print_fields(c, fl->sub, key, f);
			break;
		case F_SEQ:
			print_list(c, key, fl->off, f);
			break;
		case F_FN: {
			struct genlist g;
			memcpy(&g, CAT(c, fl->off, char), sizeof(g));
			fprintf(f, "%s: %zu channel%s\n", key, g.n, g.n == 1 ? "" : "s");
			break;
		}
		}
	}
}

void config_print(const struct config *c, FILE *f)
{
	print_fields(c, &top_sch, "", f);
}
