/*
 * test_completions.c - golden files for translate/completions.c over
 * tests/data/completions/<case>/ (see the README there): request, response
 * and stream conversions, one TAP line per case and stage.  Streams are
 * also fed one byte at a time and in random splits (fixed seed) and must
 * give the same bytes.  A missing want is written and the stage fails, so
 * a human reviews it.  cwd: repo root.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "translate/completions.h"
#include "translate/family.h"
#include "tests/unit/check.h"

#define DATA_DIR "tests/data/completions"
#define GOT_DIR "/tmp/cliproxy-completions-got"
#define MAXOUT (64L * 1024 * 1024)

static struct arena arena;

static void tap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	check_ntests++;
	if (!ok)
		check_nfailed++;
	printf("%sok %d - ", ok ? "" : "not ", check_ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static char *slurp(const char *path, size_t *ret_n)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[65536];
	size_t n;

	if (!f)
		return NULL;
	buf_init(&b, &arena, MAXOUT);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	if (b.err)
		return NULL;
	*ret_n = b.len;
	return b.len ? b.p : arena_strdup(&arena, "");
}

static int spit(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -errno;
	ok = fwrite(data, 1, n, f) == n;
	return (fclose(f) == 0 && ok) ? 0 : -EIO;
}

/* ---- canonical pretty JSON (key order kept) -------------------------------- */

static void indent(struct buf *b, int d)
{
	while (d-- > 0)
		buf_adds(b, "  ");
}

static void pretty_at(struct buf *b, const struct json *j, int i, int d)
{
	enum json_kind k = json_kind(j, i);
	const char *t;
	size_t n;
	int first = 1;

	if (k != JSON_OBJECT && k != JSON_ARRAY) {
		t = json_text(j, i, &n);
		buf_add(b, t, n);
		return;
	}
	if (json_size(j, i) == 0) {
		buf_adds(b, k == JSON_OBJECT ? "{}" : "[]");
		return;
	}
	buf_adds(b, k == JSON_OBJECT ? "{\n" : "[\n");
	for (int c = json_first(j, i); c >= 0; c = json_after(j, c)) {
		if (!first)
			buf_adds(b, ",\n");
		first = 0;
		indent(b, d + 1);
		if (k == JSON_OBJECT) {
			t = json_text(j, c, &n);
			buf_add(b, t, n);
			buf_adds(b, ": ");
			pretty_at(b, j, c + 1, d + 1);
		} else {
			pretty_at(b, j, c, d + 1);
		}
	}
	buf_addc(b, '\n');
	indent(b, d);
	buf_addc(b, k == JSON_OBJECT ? '}' : ']');
}

/* Pretty form of a JSON text, or NULL if it does not parse. */
static struct buf *pretty(const char *s, size_t n)
{
	struct json j;
	struct buf *b = arena_zalloc(&arena, sizeof(*b));

	if (!b || json_parse(&j, &arena, s, n) < 0)
		return NULL;
	buf_init(b, &arena, MAXOUT);
	pretty_at(b, &j, 0, 0);
	buf_addc(b, '\n');
	return b;
}

static struct buf *error_json(int r, const struct apierr *e)
{
	struct buf *b = arena_zalloc(&arena, sizeof(*b));
	struct jsonw w;

	buf_init(b, &arena, 4096);
	jw_init(&w, b);
	jw_obj(&w);
	jw_key(&w, "cliproxy_error");
	jw_obj(&w);
	jw_kint(&w, "errno", r);
	jw_kint(&w, "status", e->status);
	jw_kstr(&w, "type", e->type);
	jw_kstr(&w, "message", e->message);
	jw_end(&w);
	jw_end(&w);
	return pretty(b->p, b->len);
}

/* Compare got with <dir>/<want>; a missing want is written (and fails). */
static void compare(const char *cas, const char *stage, const char *dir, const char *want,
		    const char *got, size_t gotn)
{
	char *wp = arena_printf(&arena, "%s/%s", dir, want);
	size_t wn;
	char *w = slurp(wp, &wn);
	char *gp;

	if (!w) {
		spit(wp, got, gotn);
		tap(0, "%s %s: wrote %s, review it", cas, stage, wp);
		return;
	}
	if (wn == gotn && memcmp(w, got, wn) == 0) {
		tap(1, "%s %s", cas, stage);
		return;
	}
	mkdir(GOT_DIR, 0777);
	gp = arena_printf(&arena, GOT_DIR "/%s.%s", cas, want);
	spit(gp, got, gotn);
	tap(0, "%s %s: differs, diff -u %s %s", cas, stage, wp, gp);
}

/* ---- stages ------------------------------------------------------------------ */

static void stage_request(const char *cas, const char *dir)
{
	size_t n;
	char *in = slurp(arena_printf(&arena, "%s/request.in.json", dir), &n);
	struct apierr e = { 0 };
	struct buf out, *p;
	int r;

	if (!in)
		return;
	buf_init(&out, &arena, MAXOUT);
	r = completions_request(&arena, in, n, &out, &e);
	if (r < 0) {
		tap(r == -EINVAL || r == -E2BIG ? e.status >= 400 && e.message != NULL : 0,
		    "%s request refused with an apierr", cas);
		p = error_json(r, &e);
	} else {
		struct xlate_ctx x;
		struct ir_request req;
		struct apierr de = { 0 };
		int dr;

		p = pretty(out.p, out.len);
		tap(p != NULL, "%s request output is JSON", cas);
		/* The chat decoder takes it, or refuses it as a client error. */
		xlate_ctx_init(&x, &arena, true, 1700000000);
		dr = family_openai.decode_request(&x, out.p, out.len, &req, &de);
		tap(dr == 0 || (de.status == 400 && de.message), "%s chat decoder: %s", cas,
		    dr == 0 ? "accepted" : de.message);
		if (!p)
			return;
	}
	compare(cas, "request", dir, "request.want.json", p->p, p->len);
}

static void stage_response(const char *cas, const char *dir)
{
	size_t n;
	char *in = slurp(arena_printf(&arena, "%s/response.in.json", dir), &n);
	struct apierr e = { 0 };
	struct buf out, *p;
	int r;

	if (!in)
		return;
	buf_init(&out, &arena, MAXOUT);
	r = completions_response(&arena, in, n, &out, &e);
	if (r < 0) {
		p = error_json(r, &e);
	} else {
		p = pretty(out.p, out.len);
		tap(p != NULL, "%s response output is JSON", cas);
		if (!p)
			return;
	}
	compare(cas, "response", dir, "response.want.json", p->p, p->len);
}

/* Feed in with pieces of at most `step` bytes (0: random 1..64, seeded). */
static int run_stream(const char *in, size_t n, size_t step, unsigned *seed, struct buf *out)
{
	struct completions_stream st;
	size_t off = 0;
	int r = 0;

	completions_stream_init(&st, &arena, 1 << 20);
	buf_init(out, &arena, MAXOUT);
	while (off < n && r == 0) {
		size_t k = step;
		if (!k) {
			*seed = *seed * 1103515245u + 12345u;
			k = 1 + (*seed >> 16) % 64;
		}
		if (k > n - off)
			k = n - off;
		r = completions_stream_frame(&st, in + off, k, out);
		off += k;
	}
	if (r == 0)
		r = completions_stream_frame(&st, NULL, 0, out);
	return r;
}

static void stage_stream(const char *cas, const char *dir)
{
	size_t n;
	char *in = slurp(arena_printf(&arena, "%s/stream.in.sse", dir), &n);
	struct buf whole, split;
	unsigned seed = 42;
	int r;

	if (!in)
		return;
	r = run_stream(in, n, n ? n : 1, &seed, &whole);
	tap(r == 0, "%s stream converts (%d)", cas, r);
	compare(cas, "stream", dir, "stream.want.sse", whole.p ? whole.p : "", whole.len);
	r = run_stream(in, n, 1, &seed, &split);
	tap(r == 0 && split.len == whole.len && memcmp(split.p, whole.p, whole.len) == 0,
	    "%s stream byte by byte", cas);
	for (int i = 0; i < 3; i++) {
		r = run_stream(in, n, 0, &seed, &split);
		tap(r == 0 && split.len == whole.len && memcmp(split.p, whole.p, whole.len) == 0,
		    "%s stream random split %d", cas, i);
	}
}

/* ---- direct checks -------------------------------------------------------------- */

static void test_stream_cap(void)
{
	struct completions_stream st;
	struct buf out;
	char big[200];

	memset(big, 'x', sizeof(big));
	completions_stream_init(&st, &arena, 100);
	buf_init(&out, &arena, 1000);
	CHECK_INT(completions_stream_frame(&st, "data: [DONE]\n\n", 14, &out), 0);
	CHECK_MEM(out.p, out.len, "data: [DONE]\n\n");
	CHECK(st.done);
	/* an unfinished event over the ceiling */
	CHECK_INT(completions_stream_frame(&st, big, sizeof(big), &out), -E2BIG);
}

static void test_request_default_prompt(void)
{
	struct buf out;
	struct apierr e = { 0 };
	static const char in[] = "{\"model\":\"m\",\"prompt\":\"\"}";

	buf_init(&out, &arena, 1000);
	CHECK_INT(completions_request(&arena, in, sizeof(in) - 1, &out, &e), 0);
	CHECK_STR(out.p, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
			 "\"content\":\"Complete this:\"}]}");
}

static void test_request_too_big(void)
{
	struct buf out;
	struct apierr e = { 0 };
	static const char in[] = "{\"model\":\"m\",\"prompt\":\"hello there\"}";

	buf_init(&out, &arena, 20);
	CHECK_INT(completions_request(&arena, in, sizeof(in) - 1, &out, &e), -E2BIG);
	CHECK_INT(e.status, 413);
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t nnames = 0, cap = 0;

	arena_init(&arena, 1L << 30);
	RUN(test_stream_cap);
	RUN(test_request_default_prompt);
	RUN(test_request_too_big);
	d = opendir(DATA_DIR);
	if (!d) {
		tap(0, "cannot open " DATA_DIR " (run from the repo root)");
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "README") == 0)
			continue;
		if (argc > 1 && strcmp(argv[1], de->d_name) != 0)
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 32;
			names = arena_realloc(&arena, names, nnames * sizeof(*names),
					      cap * sizeof(*names));
		}
		names[nnames++] = arena_strdup(&arena, de->d_name);
	}
	closedir(d);
	/* stable order */
	for (size_t i = 1; i < nnames; i++)
		for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
			char *t = names[k];
			names[k] = names[k - 1];
			names[k - 1] = t;
		}
	for (size_t i = 0; i < nnames; i++) {
		char *dir = arena_printf(&arena, DATA_DIR "/%s", names[i]);
		stage_request(names[i], dir);
		stage_response(names[i], dir);
		stage_stream(names[i], dir);
	}
	arena_release(&arena);
	return CHECK_DONE();
}
