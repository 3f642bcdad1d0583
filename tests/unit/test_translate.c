/*
 * test_translate.c - golden-file runner for every translation pair, over
 * tests/data/translate/<from>-<to>/<case>/ (file names in that directory's
 * README).  One TAP line per case and stage; a missing want file is written
 * from what we got and the stage fails, so a human reviews it.  Stream
 * cases are also fed one byte at a time and in random splits (fixed seed)
 * and must give identical output; every IR passes the invariant checker;
 * each family's decode -> encode -> decode must be stable.  cwd: repo root.
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
#include "core/limits.h"
#include "core/parse.h"
#include "translate/family.h"
#include "translate/ir.h"
#include "translate/sse.h"
#include "tests/unit/check.h"

#define DATA_DIR "tests/data/translate"
#define GOT_DIR "/tmp/cliproxy-translate-got"
#define CREATED 1700000000
#define MAXOUT (256L * 1024 * 1024)

static struct arena arena;

/* ---- TAP ------------------------------------------------------------------ */

static void tap(int ok, const char *skip, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tap(int ok, const char *skip, const char *fmt, ...)
{
	va_list ap;

	check_ntests++;
	if (!ok)
		check_nfailed++;
	printf("%sok %d - ", ok ? "" : "not ", check_ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (skip)
		printf(" # SKIP %s", skip);
	printf("\n");
	fflush(stdout);
}

/* ---- files ---------------------------------------------------------------- */

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

static void mkdirs(const char *path)
{
	char *p = arena_strdup(&arena, path), *s;

	for (s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0777);
			*s = '/';
		}
	}
	mkdir(p, 0777);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* ---- canonical pretty JSON ------------------------------------------------ */

static void indent(struct buf *b, int d)
{
	while (d-- > 0)
		buf_adds(b, "  ");
}

static void pretty_at(struct buf *b, const struct json *j, int i, int d)
{
	enum json_kind k = json_kind(j, i);
	size_t n;
	const char *t;
	int c, first = 1;

	if (k == JSON_OBJECT || k == JSON_ARRAY) {
		if (json_size(j, i) == 0) {
			buf_adds(b, k == JSON_OBJECT ? "{}" : "[]");
			return;
		}
		buf_adds(b, k == JSON_OBJECT ? "{\n" : "[\n");
		for (c = json_first(j, i); c >= 0; c = json_after(j, c)) {
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
		buf_adds(b, k == JSON_OBJECT ? "}" : "]");
		return;
	}
	t = json_text(j, i, &n);
	buf_add(b, t, n);
}

/* Pretty form of a JSON document, or NULL if it is not JSON. */
static char *pretty(const char *s, size_t n, size_t *ret_n)
{
	struct json j;
	struct buf b;

	if (json_parse(&j, &arena, s, n) < 0)
		return NULL;
	buf_init(&b, &arena, MAXOUT);
	pretty_at(&b, &j, 0, 0);
	buf_addc(&b, '\n');
	*ret_n = b.len;
	return b.p;
}

/* Print where two texts first differ: the line, or a window of it. */
static void first_diff(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, line = 1, ls = 0, from;

	while (i < an && i < bn && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			ls = i + 1;
		}
		i++;
	}
	from = i - ls > 120 ? i - 120 : ls;
	{
		const char *ae = memchr(a + from, '\n', an - from), *be = memchr(b + from, '\n', bn - from);
		int al = (int)((ae ? ae : a + an) - (a + from)), bl = (int)((be ? be : b + bn) - (b + from));
		if (al > 300)
			al = 300;
		if (bl > 300)
			bl = 300;
		printf("#   first difference at line %zu, column %zu:\n#   want: %.*s\n#   got:  %.*s\n",
		       line, i - ls + 1, al, a + from, bl, b + from);
	}
}

/* Compare got with the want file (JSON: canonical pretty forms).  A
   missing want is written.  Returns 1 if equal. */
static int compare(const char *dir, const char *file, const char *got, size_t gn, bool json)
{
	char *path = arena_printf(&arena, "%s/%s", dir, file);
	size_t wn, pg = 0, pw = 0;
	char *want = slurp(path, &wn), *pgot = NULL, *pwant = NULL;

	if (json) {
		pgot = pretty(got, gn, &pg);
		if (!pgot) {
			printf("#   %s: output is not valid JSON: %.*s\n", path, (int)(gn > 500 ? 500 : gn), got);
			return 0;
		}
		got = pgot;
		gn = pg;
	}
	if (!want) {
		spit(path, got, gn);
		printf("#   %s was missing: written, review it\n", path);
		return 0;
	}
	if (json && (pwant = pretty(want, wn, &pw)) != NULL) {
		want = pwant;
		wn = pw;
	}
	if (wn == gn && memcmp(want, got, gn) == 0)
		return 1;
	{
		char *gdir = arena_printf(&arena, GOT_DIR "/%s", dir);
		char *gpath = arena_printf(&arena, "%s/%s", gdir, file);
		mkdirs(gdir);
		spit(gpath, got, gn);
		printf("#   %s differs: diff -u %s %s\n", path, path, gpath);
		first_diff(want, wn, got, gn);
	}
	return 0;
}

/* ---- cases ---------------------------------------------------------------- */

static const char *const family_names[] = { "gemini-cli", "openai", "responses", "claude", "gemini" };

struct tcase {
	const char *dir;  /* tests/data/translate/<pair>/<case> */
	const char *name; /* <pair>/<case> */
	const char *from_name, *to_name;
	const struct family *from, *to;
};

/* The got text for a failed op: the error as JSON (escaped properly). */
static const char *errjson(const struct apierr *e, int rc)
{
	struct buf b;
	struct jsonw w;

	buf_init(&b, &arena, 1 << 20);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "cliproxy_error");
	jw_obj(&w);
	jw_kint(&w, "errno", rc);
	jw_kint(&w, "status", e->status);
	jw_kstr(&w, "type", e->type);
	jw_kstr(&w, "message", e->message);
	jw_end(&w);
	jw_end(&w);
	return b.p;
}

static char *file_path(const struct tcase *tc, const char *file)
{
	return arena_printf(&arena, "%s/%s", tc->dir, file);
}

/* The optional upstream.model file: the model name after alias resolution. */
static const char *upstream_model(const struct tcase *tc)
{
	size_t n;
	char *s = slurp(file_path(tc, "upstream.model"), &n);

	while (s && n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
	return s && n ? s : NULL;
}

/* A ctx for the response/stream stages: with the case's request decoded
   (client model, Responses echo fields) and encoded for the upstream (tool
   name maps), as the product does before the upstream answers. */
static void stage_ctx(const struct tcase *tc, struct xlate_ctx *c)
{
	size_t n;
	char *in = slurp(file_path(tc, "request.in.json"), &n);

	xlate_ctx_init(c, &arena, true, CREATED);
	c->upstream_model = upstream_model(tc);
	if (in && tc->from->decode_request) {
		struct ir_request *r = arena_zalloc(&arena, sizeof(*r));
		struct apierr e = { 0 };
		if (r && tc->from->decode_request(c, in, n, r, &e) == 0) {
			struct buf b;
			c->req = r;
			c->client_model = r->model;
			if (tc->from != tc->to && tc->to->encode_request) {
				buf_init(&b, &arena, MAXOUT);
				tc->to->encode_request(c, r, &b, &e);
			}
		}
	}
}

static void stage_request(const struct tcase *tc)
{
	struct xlate_ctx c;
	struct ir_request r;
	struct apierr e = { 0 };
	struct buf out;
	size_t n;
	char *in = slurp(file_path(tc, "request.in.json"), &n);
	const char *why = NULL;
	int rc, ok = 1;

	if (!in)
		return;
	xlate_ctx_init(&c, &arena, true, CREATED);
	c.upstream_model = upstream_model(tc);
	buf_init(&out, &arena, MAXOUT);
	rc = tc->from->decode_request(&c, in, n, &r, &e);
	if (rc == 0 && ir_check_request(&r, &why) < 0) {
		printf("#   decoded request breaks an invariant: %s\n", why);
		ok = 0;
	}
	if (rc == 0) {
		if (tc->from == tc->to)
			rc = tc->to->passthrough_request(&c, in, n, c.upstream_model, r.stream,
							 &out, &e);
		else
			rc = tc->to->encode_request(&c, &r, &out, &e);
	}
	if (rc < 0) {
		const char *s = errjson(&e, rc);
		ok &= compare(tc->dir, "request.want.json", s, strlen(s), true);
	} else {
		ok &= compare(tc->dir, "request.want.json", out.p, out.len, true);
	}
	tap(ok, NULL, "%s request", tc->name);
}

/* The case's roundtrip.normalises file (its text says why): the family's
   encoder legitimately drops or rewrites something of this input, so the
   round trip is checked from the second pass on. */
static bool normalises(const struct tcase *tc)
{
	return exists(file_path(tc, "roundtrip.normalises"));
}

/* decode -> encode -> decode of the inbound family gives the same IR. */
static void roundtrip_request(const struct tcase *tc)
{
	struct xlate_ctx c;
	struct ir_request r1, r2;
	struct apierr e = { 0 };
	struct buf enc, d1, d2;
	size_t n;
	char *in = slurp(file_path(tc, "request.in.json"), &n);
	int ok = 1;

	if (!in)
		return;
	xlate_ctx_init(&c, &arena, true, CREATED);
	if (tc->from->decode_request(&c, in, n, &r1, &e) < 0)
		return; /* a rejection case */
	buf_init(&enc, &arena, MAXOUT);
	buf_init(&d1, &arena, MAXOUT);
	buf_init(&d2, &arena, MAXOUT);
	if (tc->from->encode_request(&c, &r1, &enc, &e) < 0 ||
	    tc->from->decode_request(&c, enc.p, enc.len, &r2, &e) < 0) {
		printf("#   re-decoding our own encoding failed: %s\n", e.message ? e.message : "?");
		ok = 0;
	} else {
		ir_dump_request(&d1, &r1);
		ir_dump_request(&d2, &r2);
		if (normalises(tc)) {
			/* The first pass may drop what the family cannot carry
			   (e.g. foreign signatures): the second must not. */
			struct ir_request r3;
			struct buf enc2; /* r2 points into enc: keep it */
			buf_init(&enc2, &arena, MAXOUT);
			buf_reset(&d1);
			if (tc->from->encode_request(&c, &r2, &enc2, &e) < 0 ||
			    tc->from->decode_request(&c, enc2.p, enc2.len, &r3, &e) < 0) {
				printf("#   second round trip failed: %s\n", e.message ? e.message : "?");
				ok = 0;
			} else {
				ir_dump_request(&d1, &r3);
			}
		}
		if (ok && (d1.len != d2.len || memcmp(d1.p, d2.p, d1.len) != 0)) {
			printf("#   IR changed by %s encode/decode\n", tc->from_name);
			first_diff(d1.p, d1.len, d2.p, d2.len);
			ok = 0;
		}
	}
	tap(ok, NULL, "%s roundtrip %s request", tc->name, tc->from_name);
}

/* ---- stream plumbing ------------------------------------------------------ */

struct sink {
	struct xlate_ctx *c;
	const struct family *cl; /* client family (encoder), NULL: none */
	void *enc;
	struct buf *out;
	struct ir_checker chk;
	struct ir_acc *acc;
	struct buf *dump;
	int enc_err;
};

static int sink_emit(void *arg, const struct ir_event *ev)
{
	struct sink *s = arg;

	ir_check_event(&s->chk, ev); /* a violation is reported by ir_check_end */
	if (s->dump && ev->kind != IR_EV_USAGE) { /* usage: checked via message_stop */
		struct ir_event e = *ev;
		e.stop_raw = NULL; /* the upstream's own word: not carried */
		/* absent counts read back as 0 from families that always write them */
		e.usage.has_input = e.usage.has_output = e.usage.has_cached = true;
		e.usage.has_cache_creation = true;
		if (e.kind == IR_EV_MESSAGE_START) { /* generated when absent */
			e.id = NULL;
			e.model = NULL;
		}
		if (e.kind == IR_EV_ERROR) { /* status/type: lossy across families */
			e.status = 0;
			e.err_type = NULL;
		}
		ir_dump_event(s->dump, &e);
		buf_addc(s->dump, '\n');
	}
	if (s->acc)
		ir_acc_event(s->acc, ev);
	if (s->cl) {
		int rc = s->cl->encode_event(s->enc, s->c, ev, s->out);
		if (rc < 0 && !s->enc_err)
			s->enc_err = rc;
	}
	return 0;
}

static void sink_init(struct sink *s, struct xlate_ctx *c, const struct family *cl, struct buf *out)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->cl = cl;
	s->out = out;
	ir_checker_init(&s->chk);
	if (cl) {
		s->enc = arena_zalloc(&arena, cl->enc_size ? cl->enc_size : 1);
		cl->enc_init(s->enc, c);
	}
}

static int emit_fail(struct sink *s, const char *msg)
{
	struct ir_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_ERROR;
	ev.status = 502;
	ev.err_type = "api_error";
	ev.message = ir_str_c(msg);
	return sink_emit(s, &ev);
}

/* Feed SSE bytes to family up's decoder in chunks (split: 0 whole, 1 one
   byte at a time, else a random split seeded with split). */
static void feed_stream(const struct family *up, struct sink *s, const char *in, size_t n,
			unsigned split)
{
	struct sse_parser p;
	struct sse_event sev;
	void *dec = arena_zalloc(&arena, up->dec_size ? up->dec_size : 1);
	size_t pos = 0;
	unsigned long long rnd = split * 6364136223846793005ULL + 1442695040888963407ULL;
	int rc = 0, dead = 0;

	up->dec_init(dec, s->c);
	sse_init(&p, &arena, LIMIT_SSE_LINE);
	while (pos < n && !dead) {
		size_t k = n - pos;
		if (split == 1)
			k = 1;
		else if (split > 1) {
			rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
			k = (size_t)((rnd >> 33) % 64) + 1;
			if (k > n - pos)
				k = n - pos;
		}
		sse_push(&p, in + pos, k);
		pos += k;
		while ((rc = sse_next(&p, &sev)) > 0) {
			if (up->decode_event(dec, s->c, &sev, sink_emit, s) < 0) {
				emit_fail(s, "upstream sent an invalid event");
				dead = 1;
				break;
			}
		}
		if (rc < 0 && !dead) {
			emit_fail(s, "upstream event stream is malformed");
			dead = 1;
		}
	}
	if (dead)
		return;
	sse_finish(&p);
	while ((rc = sse_next(&p, &sev)) > 0) {
		if (up->decode_event(dec, s->c, &sev, sink_emit, s) < 0) {
			emit_fail(s, "upstream sent an invalid event");
			return;
		}
	}
	if (rc < 0) {
		emit_fail(s, "upstream event stream is malformed");
		return;
	}
	up->decode_end(dec, s->c, sink_emit, s);
}

static void stage_stream(const struct tcase *tc)
{
	size_t n;
	char *in = slurp(file_path(tc, "stream.in.sse"), &n);
	struct xlate_ctx c;
	struct sink s;
	struct buf whole, other;
	struct ir_acc acc;
	int ok = 1;
	unsigned split;

	if (!in)
		return;
	/* Whole, with the accumulator for the bridged non-stream answer. */
	stage_ctx(tc, &c);
	buf_init(&whole, &arena, MAXOUT);
	sink_init(&s, &c, tc->from, &whole);
	ir_acc_init(&acc, &arena);
	s.acc = &acc;
	feed_stream(tc->to, &s, in, n, 0);
	if (ir_check_end(&s.chk) < 0) {
		printf("#   event sequence breaks an invariant: %s\n", s.chk.why);
		ok = 0;
	}
	if (s.enc_err) {
		printf("#   encoder failed: %d\n", s.enc_err);
		ok = 0;
	}
	ok &= compare(tc->dir, "stream.want.sse", whole.p, whole.len, false);
	for (split = 1; split <= 4; split++) {
		stage_ctx(tc, &c);
		buf_init(&other, &arena, MAXOUT);
		sink_init(&s, &c, tc->from, &other);
		feed_stream(tc->to, &s, in, n, split);
		if (other.len != whole.len || memcmp(other.p, whole.p, whole.len) != 0) {
			printf("#   split %u gives a different output\n", split);
			first_diff(whole.p, whole.len, other.p, other.len);
			ok = 0;
		}
	}
	tap(ok, NULL, "%s stream", tc->name);

	/* Stream upstream, non-stream client. */
	{
		struct buf out;
		struct apierr e = { 0 };
		const char *got;
		int rc;

		stage_ctx(tc, &c);
		buf_init(&out, &arena, MAXOUT);
		if (acc.failed) {
			e.status = acc.err.status;
			e.type = acc.err.err_type;
			e.message = ir_str_dup(&arena, acc.err.message);
			rc = tc->from->encode_error(&c, &e, false, &out);
		} else {
			rc = tc->from->encode_response(&c, &acc.resp, &out, &e);
		}
		got = rc < 0 ? errjson(&e, rc) : out.p;
		tap(compare(tc->dir, "stream.aggregated.want.json", got, strlen(got), true), NULL,
		    "%s stream aggregated", tc->name);
	}
}

/* The upstream family's event codec: decode -> encode -> decode is stable. */
static void roundtrip_stream(const struct tcase *tc)
{
	size_t n;
	char *in = slurp(file_path(tc, "stream.in.sse"), &n);
	struct xlate_ctx c;
	struct sink s1, s2;
	struct buf enc, d1, d2;
	int ok = 1;

	if (!in)
		return;
	xlate_ctx_init(&c, &arena, true, CREATED);
	buf_init(&enc, &arena, MAXOUT);
	buf_init(&d1, &arena, MAXOUT);
	buf_init(&d2, &arena, MAXOUT);
	sink_init(&s1, &c, tc->to, &enc);
	s1.dump = &d1;
	feed_stream(tc->to, &s1, in, n, 0);
	sink_init(&s2, &c, NULL, NULL);
	s2.dump = &d2;
	feed_stream(tc->to, &s2, enc.p, enc.len, 0);
	if (d1.len != d2.len || memcmp(d1.p, d2.p, d1.len) != 0) {
		printf("#   events changed by %s encode/decode\n", tc->to_name);
		first_diff(d1.p, d1.len, d2.p, d2.len);
		ok = 0;
	}
	tap(ok, NULL, "%s roundtrip %s stream", tc->name, tc->to_name);
}

static void stage_response(const struct tcase *tc)
{
	size_t n;
	char *in = slurp(file_path(tc, "response.in.json"), &n);
	struct xlate_ctx c;
	struct ir_response r;
	struct apierr e = { 0 };
	struct buf out;
	const char *why, *got;
	int rc, ok = 1;

	if (!in)
		return;
	stage_ctx(tc, &c);
	buf_init(&out, &arena, MAXOUT);
	rc = tc->to->decode_response(&c, in, n, &r, &e);
	if (rc == 0 && ir_check_response(&r, &why) < 0) {
		printf("#   decoded response breaks an invariant: %s\n", why);
		ok = 0;
	}
	if (rc == 0)
		rc = tc->from->encode_response(&c, &r, &out, &e);
	got = rc < 0 ? errjson(&e, rc) : out.p;
	ok &= compare(tc->dir, "response.want.json", got, strlen(got), true);
	tap(ok, NULL, "%s response", tc->name);

	/* Non-stream upstream, stream client. */
	if (tc->to->decode_response(&c, in, n, &r, &e) == 0) {
		struct sink s;
		stage_ctx(tc, &c);
		buf_init(&out, &arena, MAXOUT);
		sink_init(&s, &c, tc->from, &out);
		ir_response_events(&r, sink_emit, &s);
		ok = ir_check_end(&s.chk) == 0 && !s.enc_err;
		if (!ok)
			printf("#   synthesized stream: %s\n", s.chk.why ? s.chk.why : "encoder failed");
		ok &= compare(tc->dir, "response.streamed.want.sse", out.p, out.len, false);
		tap(ok, NULL, "%s response streamed", tc->name);
	}
}

static void roundtrip_response(const struct tcase *tc)
{
	size_t n;
	char *in = slurp(file_path(tc, "response.in.json"), &n);
	struct xlate_ctx c;
	struct ir_response r1, r2;
	struct apierr e = { 0 };
	struct buf enc, d1, d2;
	int ok = 1;

	if (!in)
		return;
	xlate_ctx_init(&c, &arena, true, CREATED);
	if (tc->to->decode_response(&c, in, n, &r1, &e) < 0)
		return;
	buf_init(&enc, &arena, MAXOUT);
	buf_init(&d1, &arena, MAXOUT);
	buf_init(&d2, &arena, MAXOUT);
	if (tc->to->encode_response(&c, &r1, &enc, &e) < 0 ||
	    tc->to->decode_response(&c, enc.p, enc.len, &r2, &e) < 0) {
		printf("#   re-decoding our own encoding failed: %s\n", e.message ? e.message : "?");
		ok = 0;
	} else {
		ir_dump_response(&d1, &r1);
		ir_dump_response(&d2, &r2);
		if (d1.len != d2.len || memcmp(d1.p, d2.p, d1.len) != 0) {
			printf("#   IR changed by %s encode/decode\n", tc->to_name);
			first_diff(d1.p, d1.len, d2.p, d2.len);
			ok = 0;
		}
	}
	tap(ok, NULL, "%s roundtrip %s response", tc->name, tc->to_name);
}

static void stage_error(const struct tcase *tc)
{
	size_t n, sn;
	char *st = slurp(file_path(tc, "error.status"), &sn);
	char *in = slurp(file_path(tc, "error.in.json"), &n);
	struct xlate_ctx c;
	struct apierr e = { 0 };
	struct buf out, sse;
	uint64_t status = 0;
	int ok = 1;

	if (!in)
		in = slurp(file_path(tc, "error.in.txt"), &n);
	if (!st && !in)
		return;
	while (st && sn && (st[sn - 1] == '\n' || st[sn - 1] == ' '))
		sn--;
	if (!st || !in || parse_u64(st, sn, 599, &status) < 0 || status < 100) {
		printf("#   error case needs error.status (100-599) and error.in.json or error.in.txt\n");
		tap(0, NULL, "%s error", tc->name);
		return;
	}
	stage_ctx(tc, &c);
	buf_init(&out, &arena, MAXOUT);
	buf_init(&sse, &arena, MAXOUT);
	tc->to->decode_error(&c, (int)status, in, n, &e);
	if (e.status != (int)status) {
		printf("#   decode_error changed the status to %d\n", e.status);
		ok = 0;
	}
	tc->from->encode_error(&c, &e, false, &out);
	tc->from->encode_error(&c, &e, true, &sse);
	ok &= compare(tc->dir, "error.want.json", out.p, out.len, true);
	ok &= compare(tc->dir, "error.want.sse", sse.p, sse.len, false);
	tap(ok, NULL, "%s error", tc->name);
}

static void run_case(struct tcase *tc)
{
	const char *missing = !tc->from ? tc->from_name : !tc->to ? tc->to_name : NULL;

	if (missing) {
		tap(1, arena_printf(&arena, "family %s not built", missing), "%s", tc->name);
		return;
	}
	stage_request(tc);
	roundtrip_request(tc);
	stage_response(tc);
	roundtrip_response(tc);
	stage_stream(tc);
	roundtrip_stream(tc);
	stage_error(tc);
}

static int split_pair(const char *pair, const char **from, const char **to)
{
	size_t i, k;

	for (i = 0; i < 5; i++) {
		size_t l = strlen(family_names[i]);
		if (strncmp(pair, family_names[i], l) != 0 || pair[l] != '-')
			continue;
		for (k = 0; k < 5; k++)
			if (strcmp(pair + l + 1, family_names[k]) == 0) {
				*from = family_names[i];
				*to = family_names[k];
				return 0;
			}
	}
	return -1;
}

static int is_dir_entry(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	struct dirent **pairs, **cases;
	int np, nc, i, k;
	const char *only = argc > 1 ? argv[1] : NULL; /* optional "<pair>" or "<pair>/<case>" filter */

	check_failed_in_test = 0;
	arena_init(&arena, LIMIT_ARENA_BYTES);
	np = scandir(DATA_DIR, &pairs, is_dir_entry, alphasort);
	if (np < 0) {
		printf("not ok 1 - %s not found (run from the repo root)\n", DATA_DIR);
		return 1;
	}
	for (i = 0; i < np; i++) {
		const char *pdir = arena_printf(&arena, DATA_DIR "/%s", pairs[i]->d_name);
		const char *from, *to;
		struct stat st;

		if (stat(pdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(pairs[i]);
			continue;
		}
		if (split_pair(pairs[i]->d_name, &from, &to) < 0) {
			tap(0, NULL, "%s: not a <from>-<to> pair of known families", pairs[i]->d_name);
			free(pairs[i]);
			continue;
		}
		nc = scandir(pdir, &cases, is_dir_entry, alphasort);
		for (k = 0; k < nc; k++) {
			struct tcase tc;
			tc.dir = arena_printf(&arena, "%s/%s", pdir, cases[k]->d_name);
			tc.name = arena_printf(&arena, "%s/%s", pairs[i]->d_name, cases[k]->d_name);
			tc.from_name = from;
			tc.to_name = to;
			tc.from = family_by_name(from);
			tc.to = family_by_name(to);
			if (stat(tc.dir, &st) == 0 && S_ISDIR(st.st_mode) &&
			    (!only || strncmp(tc.name, only, strlen(only)) == 0))
				run_case(&tc);
			free(cases[k]);
		}
		if (nc >= 0)
			free(cases);
		free(pairs[i]);
	}
	free(pairs);
	if (!exists(DATA_DIR "/README"))
		tap(0, NULL, "tests/data/translate/README exists");
	printf("# %d tests, %d failed\n", check_ntests, check_nfailed);
	arena_release(&arena);
	return CHECK_DONE();
}
