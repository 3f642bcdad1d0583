/*
 * json.c - strict RFC 8259 reader into jsmn-layout tokens, two linear passes
 * (jsmn's own parser is quadratic in sibling count; it is linked only as the
 * tests' oracle).  Refuses all but exactly one JSON value: bad literals,
 * numbers, separators, escapes, lone surrogates, raw control bytes, invalid
 * UTF-8, trailing bytes.  Caps: LIMIT_JSON_TOKENS, LIMIT_JSON_DEPTH (-E2BIG).
 */
#define JSMN_STRICT
#include <jsmn.h>

#include "core/json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/parse.h"

/*
 * Length of the well-formed UTF-8 sequence at s (1-4), or minus the length
 * of its maximal ill-formed prefix (Unicode 3.9, U+FFFD substitution).
 */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int len, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return -1;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (k = 1; k < len; k++) {
		if ((size_t)k >= n || s[k] < lo || s[k] > hi)
			return -k;
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

static int hex4(const char *s, size_t n, size_t at, unsigned *ret)
{
	unsigned v = 0;
	size_t k;

	if (at + 4 > n)
		return -EINVAL;
	for (k = at; k < at + 4; k++) {
		unsigned char c = (unsigned char)s[k];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*ret = v;
	return 0;
}

static size_t utf8_put(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * One unit of a string body at s[*pos]: a run of plain bytes, one escape or
 * one UTF-8 sequence.  Writes its decoded bytes to out (if not NULL, room for
 * the consumed source length) and returns how many; -EINVAL if invalid.
 */
static long unesc_unit(const char *s, size_t n, size_t *pos, char *out)
{
	size_t p = *pos, q;
	unsigned char c = (unsigned char)s[p];
	unsigned cp, lo;
	int k;

	if (c == '\\') {
		if (p + 1 >= n)
			return -EINVAL;
		switch (s[p + 1]) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case '/': c = '/'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (hex4(s, n, p + 2, &cp) < 0)
				return -EINVAL;
			p += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -EINVAL;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p + 1 >= n || s[p] != '\\' || s[p + 1] != 'u' ||
				    hex4(s, n, p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -EINVAL;
				p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			*pos = p;
			if (out)
				return (long)utf8_put(out, cp);
			return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		default:
			return -EINVAL;
		}
		if (out)
			out[0] = (char)c;
		*pos = p + 2;
		return 1;
	}
	if (c >= 0x80) {
		k = utf8_seq((const unsigned char *)s + p, n - p);
		if (k < 0)
			return -EINVAL;
		if (out)
			memcpy(out, s + p, (size_t)k);
		*pos = p + (size_t)k;
		return k;
	}
	/* Plain ASCII run. */
	for (q = p; q < n; q++) {
		c = (unsigned char)s[q];
		if (c == '\\' || c >= 0x80)
			break;
		if (c < 0x20 || c == '"')
			return -EINVAL;
	}
	if (q == p)
		return -EINVAL;
	if (out)
		memcpy(out, s + p, q - p);
	*pos = q;
	return (long)(q - p);
}

long json_unescape(const char *s, size_t n, char *out)
{
	size_t pos = 0, o = 0;

	while (pos < n) {
		long r = unesc_unit(s, n, &pos, out ? out + o : NULL);
		if (r < 0)
			return r;
		o += (size_t)r;
	}
	return (long)o;
}

/* ---- tokenizer ---- */

enum want { W_VALUE, W_VALUE_OR_CLOSE, W_KEY, W_KEY_OR_CLOSE, W_COLON, W_SEP, W_END };

struct scan {
	const char *s;
	size_t n;
	jsmntok_t *tok; /* NULL: count only */
	int *next;
	int ntok;
	int depth;
	int open[LIMIT_JSON_DEPTH];       /* token index of each open container */
	unsigned char isobj[LIMIT_JSON_DEPTH];
};

static size_t skip_ws(const char *s, size_t n, size_t p)
{
	while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
		p++;
	return p;
}

static int new_tok(struct scan *sc, jsmntype_t type, size_t start, size_t end, bool iskey)
{
	int i = sc->ntok;

	if (i >= LIMIT_JSON_TOKENS)
		return -E2BIG;
	sc->ntok++;
	if (!sc->tok)
		return i;
	sc->tok[i].type = type;
	sc->tok[i].start = (int)start;
	sc->tok[i].end = (int)end;
	sc->tok[i].size = 0;
	sc->next[i] = i + 1;
	if (sc->depth == 0)
		return i;
	if (sc->isobj[sc->depth - 1] && !iskey)
		sc->tok[i - 1].size = 1; /* a member value hangs off its key */
	else
		sc->tok[sc->open[sc->depth - 1]].size++;
	return i;
}

/* A value finished at token v: its key (if any) now spans through it. */
static void value_done(struct scan *sc, int v)
{
	if (!sc->tok)
		return;
	sc->next[v] = sc->ntok;
	if (sc->depth > 0 && sc->isobj[sc->depth - 1])
		sc->next[v - 1] = sc->ntok;
}

static int scan_string(struct scan *sc, size_t p, size_t *ret_end)
{
	const char *s = sc->s;
	size_t q = p + 1;

	while (q < sc->n && s[q] != '"')
		q += s[q] == '\\' ? 2 : 1;
	if (q >= sc->n)
		return -EINVAL;
	/* Escapes and UTF-8 are checked on the counting pass only. */
	if (!sc->tok && json_unescape(s + p + 1, q - p - 1, NULL) < 0)
		return -EINVAL;
	*ret_end = q;
	return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static size_t scan_number(const char *s, size_t n, size_t p)
{
	size_t q = p;

	if (q < n && s[q] == '-')
		q++;
	if (q < n && s[q] == '0')
		q++;
	else if (q < n && s[q] >= '1' && s[q] <= '9')
		while (q < n && is_digit(s[q]))
			q++;
	else
		return 0;
	if (q < n && s[q] == '.') {
		if (++q >= n || !is_digit(s[q]))
			return 0;
		while (q < n && is_digit(s[q]))
			q++;
	}
	if (q < n && (s[q] == 'e' || s[q] == 'E')) {
		q++;
		if (q < n && (s[q] == '+' || s[q] == '-'))
			q++;
		if (q >= n || !is_digit(s[q]))
			return 0;
		while (q < n && is_digit(s[q]))
			q++;
	}
	return q;
}

static int scan_value(struct scan *sc, size_t *pos, enum want *state)
{
	const char *s = sc->s;
	size_t p = *pos, q;
	int i, r;

	switch (s[p]) {
	case '{':
	case '[':
		if (sc->depth >= LIMIT_JSON_DEPTH)
			return -E2BIG;
		i = new_tok(sc, s[p] == '{' ? JSMN_OBJECT : JSMN_ARRAY, p, p, false);
		if (i < 0)
			return i;
		sc->open[sc->depth] = i;
		sc->isobj[sc->depth] = s[p] == '{';
		sc->depth++;
		*state = s[p] == '{' ? W_KEY_OR_CLOSE : W_VALUE_OR_CLOSE;
		*pos = p + 1;
		return 0;
	case '"':
		r = scan_string(sc, p, &q);
		if (r < 0)
			return r;
		i = new_tok(sc, JSMN_STRING, p + 1, q, false);
		q++;
		break;
	case 't':
	case 'f':
	case 'n': {
		const char *lit = s[p] == 't' ? "true" : s[p] == 'f' ? "false" : "null";
		size_t l = strlen(lit);
		if (sc->n - p < l || memcmp(s + p, lit, l) != 0)
			return -EINVAL;
		q = p + l;
		i = new_tok(sc, JSMN_PRIMITIVE, p, q, false);
		break;
	}
	default:
		q = scan_number(s, sc->n, p);
		if (!q)
			return -EINVAL;
		i = new_tok(sc, JSMN_PRIMITIVE, p, q, false);
		break;
	}
	if (i < 0)
		return i;
	value_done(sc, i);
	*state = sc->depth ? W_SEP : W_END;
	*pos = q;
	return 0;
}

static int scan_close(struct scan *sc, size_t p, enum want *state)
{
	int i;

	if (!sc->depth || sc->isobj[sc->depth - 1] != (sc->s[p] == '}'))
		return -EINVAL;
	i = sc->open[--sc->depth];
	if (sc->tok)
		sc->tok[i].end = (int)(p + 1);
	value_done(sc, i);
	*state = sc->depth ? W_SEP : W_END;
	return 0;
}

static int scan_doc(struct scan *sc)
{
	const char *s = sc->s;
	enum want state = W_VALUE;
	size_t p = 0, q;
	int r;

	sc->ntok = 0;
	sc->depth = 0;
	for (;;) {
		p = skip_ws(s, sc->n, p);
		if (p >= sc->n)
			break;
		switch (state) {
		case W_VALUE_OR_CLOSE:
			if (s[p] == ']') {
				r = scan_close(sc, p++, &state);
				break;
			}
			/* fall through */
		case W_VALUE:
			r = scan_value(sc, &p, &state);
			break;
		case W_KEY_OR_CLOSE:
			if (s[p] == '}') {
				r = scan_close(sc, p++, &state);
				break;
			}
			/* fall through */
		case W_KEY:
			if (s[p] != '"')
				return -EINVAL;
			r = scan_string(sc, p, &q);
			if (r < 0)
				return r;
			r = new_tok(sc, JSMN_STRING, p + 1, q, true);
			p = q + 1;
			state = W_COLON;
			break;
		case W_COLON:
			r = s[p++] == ':' ? 0 : -EINVAL;
			state = W_VALUE;
			break;
		case W_SEP:
			if (s[p] == ',') {
				state = sc->isobj[sc->depth - 1] ? W_KEY : W_VALUE;
				p++;
				r = 0;
			} else if (s[p] == '}' || s[p] == ']') {
				r = scan_close(sc, p++, &state);
			} else {
				r = -EINVAL;
			}
			break;
		default: /* W_END: trailing garbage */
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	return state == W_END ? 0 : -EINVAL;
}

int json_parse(struct json *j, struct arena *a, const char *src, size_t len)
{
	struct scan sc;
	int r;

	memset(j, 0, sizeof(*j));
	if (len >= INT_MAX)
		return -E2BIG;
	sc.s = src;
	sc.n = len;
	sc.tok = NULL;
	sc.next = NULL;
	/* Pass one validates and counts, so the tokens are allocated once,
	   exactly sized; pass two fills them in. */
	r = scan_doc(&sc);
	if (r < 0)
		return r;
	sc.tok = arena_alloc(a, sizeof(*sc.tok) * (size_t)sc.ntok);
	sc.next = arena_alloc(a, sizeof(*sc.next) * (size_t)sc.ntok);
	if (!sc.tok || !sc.next)
		return -ENOMEM;
	r = scan_doc(&sc);
	if (r < 0)
		return r;
	j->src = src;
	j->len = len;
	j->tok = sc.tok;
	j->ntok = sc.ntok;
	j->next = sc.next;
	return 0;
}

/* ---- getters ---- */

static bool valid(const struct json *j, int i) { return j && i >= 0 && i < j->ntok; }

enum json_kind json_kind(const struct json *j, int i)
{
	if (!valid(j, i))
		return JSON_NONE;
	switch (j->tok[i].type) {
	case JSMN_OBJECT:
		return JSON_OBJECT;
	case JSMN_ARRAY:
		return JSON_ARRAY;
	case JSMN_STRING:
		return JSON_STRING;
	case JSMN_PRIMITIVE:
		switch (j->src[j->tok[i].start]) {
		case 't':
			return JSON_TRUE;
		case 'f':
			return JSON_FALSE;
		case 'n':
			return JSON_NULL;
		default:
			return JSON_NUMBER;
		}
	default:
		return JSON_NONE;
	}
}

int json_size(const struct json *j, int i)
{
	enum json_kind k = json_kind(j, i);

	return k == JSON_OBJECT || k == JSON_ARRAY ? j->tok[i].size : 0;
}

int json_first(const struct json *j, int i)
{
	return json_size(j, i) > 0 ? i + 1 : -1;
}

/* Byte offset just past the subtree of token i (a key spans its value). */
static size_t subtree_end(const struct json *j, int i)
{
	const jsmntok_t *t = &j->tok[i];

	if (t->type == JSMN_STRING && t->size == 1)
		t = &j->tok[i + 1];
	return (size_t)t->end + (t->type == JSMN_STRING);
}

int json_after(const struct json *j, int i)
{
	size_t p;

	if (!valid(j, i) || j->next[i] >= j->ntok)
		return -1;
	/* A member value is its key's only child. */
	if (i > 0 && j->tok[i - 1].type == JSMN_STRING && j->tok[i - 1].size == 1)
		return -1;
	/* A sibling follows iff a comma does; a closing bracket ends the parent.
	   Only whitespace lies between, so this is O(1) on any sane document. */
	p = skip_ws(j->src, j->len, subtree_end(j, i));
	if (p >= j->len || j->src[p] != ',')
		return -1;
	return j->next[i];
}

int json_at(const struct json *j, int arr, int k)
{
	int i, m;

	if (json_kind(j, arr) != JSON_ARRAY || k < 0 || k >= j->tok[arr].size)
		return -1;
	for (i = arr + 1, m = 0; m < k; m++)
		i = j->next[i];
	return i;
}

bool json_streq(const struct json *j, int i, const char *lit)
{
	const char *s;
	size_t n, pos = 0, l, o = 0;
	char tmp[4];

	if (json_kind(j, i) != JSON_STRING || !lit)
		return false;
	s = j->src + j->tok[i].start;
	n = (size_t)(j->tok[i].end - j->tok[i].start);
	l = strlen(lit);
	if (!memchr(s, '\\', n))
		return n == l && memcmp(s, lit, n) == 0;
	while (pos < n) {
		long r;
		if (s[pos] == '\\') {
			r = unesc_unit(s, n, &pos, tmp);
			if (r < 0 || (size_t)r > l - o || memcmp(tmp, lit + o, (size_t)r) != 0)
				return false;
		} else {
			size_t q = pos;
			while (q < n && s[q] != '\\')
				q++;
			r = (long)(q - pos);
			if ((size_t)r > l - o || memcmp(s + pos, lit + o, (size_t)r) != 0)
				return false;
			pos = q;
		}
		o += (size_t)r;
	}
	return o == l;
}

int json_get(const struct json *j, int obj, const char *key)
{
	int i, m;

	if (json_kind(j, obj) != JSON_OBJECT || !key)
		return -1;
	for (i = obj + 1, m = 0; m < j->tok[obj].size; m++, i = j->next[i])
		if (json_streq(j, i, key))
			return i + 1;
	return -1;
}

int json_path(const struct json *j, int i, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, i);
	while (i >= 0 && (key = va_arg(ap, const char *)) != NULL)
		i = json_get(j, i, key);
	va_end(ap);
	return i;
}

const char *json_raw(const struct json *j, int i, size_t *ret_len)
{
	if (!valid(j, i))
		return NULL;
	if (ret_len)
		*ret_len = (size_t)(j->tok[i].end - j->tok[i].start);
	return j->src + j->tok[i].start;
}

const char *json_text(const struct json *j, int i, size_t *ret_len)
{
	int q;

	if (!valid(j, i))
		return NULL;
	q = j->tok[i].type == JSMN_STRING;
	if (ret_len)
		*ret_len = (size_t)(j->tok[i].end - j->tok[i].start + 2 * q);
	return j->src + j->tok[i].start - q;
}

char *json_str(const struct json *j, int i, struct arena *a, size_t *ret_len)
{
	size_t n;
	const char *s;
	char *out;
	long r;

	if (json_kind(j, i) != JSON_STRING)
		return NULL;
	s = json_raw(j, i, &n);
	out = arena_alloc(a, n + 1);
	if (!out)
		return NULL;
	r = json_unescape(s, n, out);
	if (r < 0)
		return NULL;
	out[r] = 0;
	if (ret_len)
		*ret_len = (size_t)r;
	return out;
}

char *json_gets(const struct json *j, int obj, const char *key, struct arena *a)
{
	return json_str(j, json_get(j, obj, key), a, NULL);
}

int json_int(const struct json *j, int i, int64_t *ret)
{
	const char *s;
	size_t n;

	if (json_kind(j, i) != JSON_NUMBER)
		return -EINVAL;
	s = json_raw(j, i, &n);
	if (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n))
		return -EINVAL;
	if (parse_i64(s, n, INT64_MIN, INT64_MAX, ret) < 0)
		return -EINVAL;
	return 0;
}

int json_double(const struct json *j, int i, double *ret)
{
	char tmp[256], *end;
	const char *s;
	size_t n;
	double v;

	if (json_kind(j, i) != JSON_NUMBER)
		return -EINVAL;
	s = json_raw(j, i, &n);
	if (n < sizeof(tmp)) {
		memcpy(tmp, s, n);
		tmp[n] = 0;
		s = tmp;
	} else if ((size_t)j->tok[i].end >= j->len) {
		/* A huge number at the very end: strtod would run off the
		   buffer and there is no arena here to copy it into. */
		return -EINVAL;
	}
	/* Otherwise a delimiter (, ] } or whitespace) follows the number in
	   src, which stops strtod exactly at the token's end. */
	v = strtod(s, &end);
	if (end != s + n || isinf(v))
		return -EINVAL;
	*ret = v;
	return 0;
}

int json_bool(const struct json *j, int i, bool *ret)
{
	enum json_kind k = json_kind(j, i);

	if (k != JSON_TRUE && k != JSON_FALSE)
		return -EINVAL;
	*ret = k == JSON_TRUE;
	return 0;
}

bool json_truthy(const struct json *j, int i) { return json_kind(j, i) == JSON_TRUE; }
