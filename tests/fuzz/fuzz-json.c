/*
 * fuzz-json.c - libFuzzer harness for core/json.c and core/jsonw.c.  Parses
 * the input; if valid, reads every token, checks the token layout against
 * jsmn's, re-emits the document with jsonw and asserts the output parses to
 * the same token structure and values.  Also unescapes the input as a string
 * body and cross-checks that against parsing it between quotes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ARENA (64L * 1024 * 1024)

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz-json: %s:%d: %s\n", __FILE__,       \
				__LINE__, #c);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

static int emit_oom; /* json_str ran out of arena: output incomplete */

static void emit(struct jsonw *w, const struct json *j, int i, struct arena *a)
{
	const char *s;
	int64_t iv;
	double dv;
	size_t n;
	int k;

	switch (json_kind(j, i)) {
	case JSON_OBJECT:
		jw_obj(w);
		for (k = json_first(j, i); k >= 0; k = json_after(j, k)) {
			s = json_str(j, k, a, &n);
			if (!s) {
				emit_oom = 1;
				return;
			}
			jw_keyn(w, s, n);
			emit(w, j, k + 1, a);
		}
		jw_end(w);
		break;
	case JSON_ARRAY:
		jw_arr(w);
		for (k = json_first(j, i); k >= 0; k = json_after(j, k))
			emit(w, j, k, a);
		jw_end(w);
		break;
	case JSON_STRING:
		s = json_str(j, i, a, &n);
		if (s)
			jw_str(w, s, n);
		else
			emit_oom = 1;
		break;
	case JSON_NUMBER:
		if (json_int(j, i, &iv) == 0) {
			jw_int(w, iv);
		} else if (json_double(j, i, &dv) == 0) {
			jw_double(w, dv);
		} else {
			s = json_raw(j, i, &n);
			jw_raw(w, s, n);
		}
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		jw_bool(w, json_truthy(j, i));
		break;
	case JSON_NULL:
		jw_null(w);
		break;
	default:
		ASSERT(!"token of no kind");
	}
}

/* Read every token through every getter; cross-check the walkers. */
static void walk(const struct json *j, struct arena *a)
{
	int i, k, m;

	for (i = 0; i < j->ntok; i++) {
		enum json_kind kind = json_kind(j, i);
		size_t n;
		int64_t iv;
		double dv;
		bool b;

		ASSERT(kind != JSON_NONE);
		ASSERT(j->next[i] > i && j->next[i] <= j->ntok);
		ASSERT(json_raw(j, i, &n) != NULL && n <= j->len);
		ASSERT(json_text(j, i, &n) != NULL && n <= j->len);
		if (kind == JSON_STRING) {
			char *s = json_str(j, i, a, &n);
			if (s) {
				ASSERT(s[n] == 0);
				ASSERT(memchr(s, 0, n) != NULL || json_streq(j, i, s));
			}
		}
		if (kind == JSON_NUMBER) {
			/* strtod and the int64 -> double conversion round alike. */
			if (json_int(j, i, &iv) == 0)
				ASSERT(json_double(j, i, &dv) == 0 && dv == (double)iv);
			(void)json_double(j, i, &dv);
		}
		ASSERT((json_bool(j, i, &b) == 0) == (kind == JSON_TRUE || kind == JSON_FALSE));
		if (kind == JSON_OBJECT || kind == JSON_ARRAY) {
			int last = -1;
			m = 0;
			for (k = json_first(j, i); k >= 0; k = json_after(j, k)) {
				if (kind == JSON_OBJECT)
					ASSERT(json_kind(j, k) == JSON_STRING && json_after(j, k + 1) < 0);
				else if (m < 64) /* json_at is O(m) */
					ASSERT(json_at(j, i, m) == k);
				ASSERT(k > last);
				last = k;
				m++;
				ASSERT(m <= json_size(j, i));
			}
			ASSERT(m == json_size(j, i));
			ASSERT(j->next[i] == (m ? j->next[last] : i + 1));
		}
	}
}

/* Our tokens must match what jsmn (strict) makes of the same valid text.
   jsmn refuses a bare top-level primitive (it wants a delimiter after it). */
static void jsmn_compare(const struct json *j, const char *src, size_t size, struct arena *a)
{
	jsmn_parser p;
	jsmntok_t *t;
	int r, i;

	if (j->tok[0].type == JSMN_PRIMITIVE)
		return;
	t = arena_alloc(a, sizeof(*t) * (size_t)j->ntok);
	if (!t)
		return;
	jsmn_init(&p);
	r = jsmn_parse(&p, src, size, t, (unsigned)j->ntok);
	ASSERT(r == j->ntok);
	for (i = 0; i < r; i++) {
		ASSERT(t[i].type == j->tok[i].type);
		ASSERT(t[i].start == j->tok[i].start);
		ASSERT(t[i].end == j->tok[i].end);
		ASSERT(t[i].size == j->tok[i].size);
	}
}

static void same(const struct json *x, const struct json *y, struct arena *a)
{
	int i;

	ASSERT(x->ntok == y->ntok);
	for (i = 0; i < x->ntok; i++) {
		enum json_kind k = json_kind(x, i);
		size_t nx, ny;
		const char *sx, *sy;
		double dx, dy;
		int rx, ry;

		ASSERT(k == json_kind(y, i));
		ASSERT(json_size(x, i) == json_size(y, i));
		ASSERT(x->next[i] == y->next[i]);
		if (k == JSON_STRING) {
			sx = json_str(x, i, a, &nx);
			sy = json_str(y, i, a, &ny);
			if (sx && sy)
				ASSERT(nx == ny && memcmp(sx, sy, nx) == 0);
		}
		if (k == JSON_NUMBER) {
			rx = json_double(x, i, &dx);
			ry = json_double(y, i, &dy);
			if (rx == 0 && ry == 0)
				ASSERT(dx == dy);
		}
	}
}

static void unescape_check(const char *in, size_t size, struct arena *a)
{
	char *out = malloc(size ? size : 1), *q;
	struct json j;
	size_t n;
	long r;
	int pr;

	if (!out)
		return;
	r = json_unescape(in, size, out);
	ASSERT(r <= (long)size);
	/* "<input>" parses as a string iff the body unescapes. */
	q = arena_alloc(a, size + 2);
	if (q) {
		q[0] = '"';
		memcpy(q + 1, in, size);
		q[size + 1] = '"';
		pr = json_parse(&j, a, q, size + 2);
		if (pr != -ENOMEM) {
			ASSERT((pr == 0) == (r >= 0));
			if (pr == 0) {
				char *s = json_str(&j, 0, a, &n);
				ASSERT(j.ntok == 1);
				if (s)
					ASSERT(n == (size_t)r && memcmp(s, out, n) == 0);
			}
		}
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct arena a;
	struct json j, j2;
	struct jsonw w;
	struct buf b;
	int r;

	arena_init(&a, FUZZ_ARENA);
	r = json_parse(&j, &a, src, size);
	ASSERT(r == 0 || r == -EINVAL || r == -E2BIG || r == -ENOMEM);
	if (r == 0) {
		ASSERT(j.ntok >= 1 && j.next[0] == j.ntok);
		walk(&j, &a);
		jsmn_compare(&j, src, size, &a);
		buf_init(&b, &a, 16 * size + 4096);
		jw_init(&w, &b);
		emit_oom = 0;
		emit(&w, &j, 0, &a);
		if (!emit_oom && jw_error(&w) == 0) {
			ASSERT(w.depth == 0);
			r = json_parse(&j2, &a, b.p, b.len);
			if (r != -ENOMEM) {
				if (r != 0)
					fprintf(stderr, "fuzz-json: re-parse %d: %.*s\n", r,
						(int)(b.len > 200 ? 200 : b.len), b.p);
				ASSERT(r == 0);
				same(&j, &j2, &a);
			}
		} else {
			ASSERT(emit_oom || jw_error(&w) == -ENOMEM || jw_error(&w) == -E2BIG);
		}
	}
	unescape_check(src, size, &a);
	arena_release(&a);
	return 0;
}
