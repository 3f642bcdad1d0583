/*
 * fuzz-gemini.c - libFuzzer harness for translate/gemini.c, gemini_resp.c
 * and gemini_cli.c.  The first byte picks the family (bit 2: 0 gemini, 1
 * gemini-cli) and the decoder (bits 0-1: request, response, SSE stream,
 * error body); the rest is its input.  Whatever decodes must pass the IR
 * invariant checker and encode; our own encoding must decode again, and a
 * second trip must be a fixed point.  Decoded requests are also encoded for
 * every other family.  With bit 3 set the input is another family's (bits
 * 4-5 pick it) and goes into the Gemini encoders instead: requests,
 * responses and streams must come out as Gemini that decodes again and
 * passes the checker.  Any violation aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/limits.h"
#include "translate/family.h"
#include "translate/ir.h"
#include "translate/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ARENA (256L * 1024 * 1024)
#define OUTMAX (16L * 1024 * 1024)

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz-gemini: %s:%d: %s\n", __FILE__,     \
				__LINE__, #c);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

static const struct family *fam;

static bool same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static void fuzz_request(struct arena *a, const char *in, size_t n)
{
	struct xlate_ctx c;
	struct ir_request r1, r2, r3;
	struct apierr e = { 0 };
	struct buf enc, enc2, d2, d3, pt;
	struct json j;
	const char *why = NULL;
	size_t i;

	xlate_ctx_init(&c, a, true, 1700000000);
	if (fam->decode_request(&c, in, n, &r1, &e) < 0) {
		ASSERT(e.status >= 400 && e.status <= 599 && e.message);
		return;
	}
	if (ir_check_request(&r1, &why) < 0) {
		fprintf(stderr, "fuzz-gemini: invariant: %s\n", why);
		ASSERT(0);
	}
	buf_init(&enc, a, OUTMAX);
	if (fam->encode_request(&c, &r1, &enc, &e) < 0) {
		ASSERT(enc.err == -E2BIG || enc.err == -ENOMEM);
		return;
	}
	ASSERT(json_parse(&j, a, enc.p, enc.len) == 0);
	ASSERT(fam->decode_request(&c, enc.p, enc.len, &r2, &e) == 0);
	ASSERT(ir_check_request(&r2, &why) == 0);
	buf_init(&enc2, a, OUTMAX);
	ASSERT(fam->encode_request(&c, &r2, &enc2, &e) == 0);
	ASSERT(fam->decode_request(&c, enc2.p, enc2.len, &r3, &e) == 0);
	buf_init(&d2, a, OUTMAX);
	buf_init(&d3, a, OUTMAX);
	ir_dump_request(&d2, &r2);
	ir_dump_request(&d3, &r3);
	if (!same(&d2, &d3)) {
		fprintf(stderr, "second:\n%.*s\nthird:\n%.*s\n", (int)d2.len, d2.p, (int)d3.len, d3.p);
		ASSERT(0);
	}
	/* passthrough keeps a valid body */
	buf_init(&pt, a, OUTMAX);
	ASSERT(fam->passthrough_request(&c, in, n, "gemini-x", false, &pt, &e) == 0);
	ASSERT(json_parse(&j, a, pt.p, pt.len) == 0);
	/* every other family takes the IR */
	for (i = 0; i < family_count(); i++) {
		const struct family *f = family_at(i);
		struct buf o;
		if (f == fam)
			continue;
		buf_init(&o, a, OUTMAX);
		if (f->encode_request(&c, &r1, &o, &e) == 0)
			ASSERT(json_parse(&j, a, o.p, o.len) == 0);
	}
}

static void fuzz_response(struct arena *a, const char *in, size_t n)
{
	struct xlate_ctx c;
	struct ir_response r1, r2, r3;
	struct apierr e = { 0 };
	struct buf enc, enc2, d2, d3;
	const char *why = NULL;
	size_t i;

	xlate_ctx_init(&c, a, true, 1700000000);
	if (fam->decode_response(&c, in, n, &r1, &e) < 0) {
		ASSERT(e.status >= 400 && e.status <= 599 && e.message);
		return;
	}
	ASSERT(ir_check_response(&r1, &why) == 0);
	buf_init(&enc, a, OUTMAX);
	ASSERT(fam->encode_response(&c, &r1, &enc, &e) == 0);
	ASSERT(fam->decode_response(&c, enc.p, enc.len, &r2, &e) == 0);
	buf_init(&enc2, a, OUTMAX);
	ASSERT(fam->encode_response(&c, &r2, &enc2, &e) == 0);
	ASSERT(fam->decode_response(&c, enc2.p, enc2.len, &r3, &e) == 0);
	buf_init(&d2, a, OUTMAX);
	buf_init(&d3, a, OUTMAX);
	ir_dump_response(&d2, &r2);
	ir_dump_response(&d3, &r3);
	ASSERT(same(&d2, &d3));
	for (i = 0; i < family_count(); i++) {
		const struct family *f = family_at(i);
		struct buf o;
		struct json j;
		buf_init(&o, a, OUTMAX);
		if (f->encode_response(&c, &r1, &o, &e) == 0)
			ASSERT(json_parse(&j, a, o.p, o.len) == 0);
	}
}

struct sink {
	struct xlate_ctx *c;
	struct ir_checker chk;
	void *enc;
	struct buf *out;
	struct buf *dump;
	struct ir_acc acc;
};

static int sink_emit(void *arg, const struct ir_event *ev)
{
	struct sink *s = arg;

	if (ir_check_event(&s->chk, ev) < 0) {
		fprintf(stderr, "fuzz-gemini: invariant: %s\n", s->chk.why);
		ASSERT(0);
	}
	if (s->dump) {
		struct ir_event e = *ev;
		if (e.kind == IR_EV_ERROR) {
			e.status = 0;
			e.err_type = NULL;
		}
		ir_dump_event(s->dump, &e);
	}
	ir_acc_event(&s->acc, ev);
	if (s->enc)
		ASSERT(fam->encode_event(s->enc, s->c, ev, s->out) == 0 || s->out->err);
	return 0;
}

/* For foreign decoders: check, but only encode while the sequence is sound. */
static int sink_emit_lenient(void *arg, const struct ir_event *ev)
{
	struct sink *s = arg;

	if (ir_check_event(&s->chk, ev) < 0)
		return 0;
	if (s->enc)
		ASSERT(fam->encode_event(s->enc, s->c, ev, s->out) == 0 || s->out->err);
	return 0;
}

static void fail_event(struct sink *s)
{
	struct ir_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = IR_EV_ERROR;
	ev.status = 502;
	ev.message = IR_STR_LIT("bad upstream event");
	sink_emit(s, &ev);
}

static void run_stream(struct arena *a, struct xlate_ctx *c, const char *in, size_t n,
		       struct sink *s)
{
	struct sse_parser p;
	struct sse_event sev;
	void *dec = arena_zalloc(a, fam->dec_size);
	int r;

	ir_checker_init(&s->chk);
	ir_acc_init(&s->acc, a);
	fam->dec_init(dec, c);
	sse_init(&p, a, 1 << 20);
	sse_push(&p, in, n);
	sse_finish(&p);
	while ((r = sse_next(&p, &sev)) > 0) {
		if (fam->decode_event(dec, c, &sev, sink_emit, s) < 0) {
			fail_event(s);
			ASSERT(ir_check_end(&s->chk) == 0);
			return;
		}
	}
	if (r < 0) {
		fail_event(s);
		ASSERT(ir_check_end(&s->chk) == 0);
		return;
	}
	ASSERT(fam->decode_end(dec, c, sink_emit, s) == 0);
	ASSERT(ir_check_end(&s->chk) == 0);
}

static void stream_pass(struct arena *a, struct xlate_ctx *c, const char *in, size_t n,
			struct buf *enc, struct buf *dump, struct sink *s)
{
	buf_init(enc, a, OUTMAX);
	buf_init(dump, a, OUTMAX);
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->out = enc;
	s->dump = dump;
	s->enc = arena_zalloc(a, fam->enc_size);
	fam->enc_init(s->enc, c);
	run_stream(a, c, in, n, s);
}

/* The first pass may normalise (generated ids, merged usage); after it our
   encoding is a fixed point. */
static void fuzz_stream(struct arena *a, const char *in, size_t n)
{
	struct xlate_ctx c;
	struct sink s1, s2, s3;
	struct buf e1, e2, e3, d1, d2, d3;

	xlate_ctx_init(&c, a, true, 1700000000);
	stream_pass(a, &c, in, n, &e1, &d1, &s1);
	if (e1.err)
		return;
	stream_pass(a, &c, e1.p, e1.len, &e2, &d2, &s2);
	stream_pass(a, &c, e2.p, e2.len, &e3, &d3, &s3);
	if (!same(&d2, &d3) || !same(&e2, &e3)) {
		fprintf(stderr, "second:\n%.*s\nthird:\n%.*s\n", (int)d2.len, d2.p, (int)d3.len, d3.p);
		ASSERT(0);
	}
	if (s1.acc.stopped && !s1.acc.failed) {
		struct buf out;
		struct apierr e = { 0 };
		buf_init(&out, a, OUTMAX);
		ASSERT(fam->encode_response(&c, &s1.acc.resp, &out, &e) == 0);
	}
}

static void fuzz_error(struct arena *a, const char *in, size_t n)
{
	struct xlate_ctx c;
	struct apierr e = { 0 };
	struct buf out;
	struct json j;
	int status = 400 + (n ? (unsigned char)in[0] % 200 : 0);

	xlate_ctx_init(&c, a, true, 1700000000);
	ASSERT(fam->decode_error(&c, status, in, n, &e) == 0);
	ASSERT(e.status == status && e.type && e.message);
	buf_init(&out, a, OUTMAX);
	ASSERT(fam->encode_error(&c, &e, false, &out) == 0);
	ASSERT(json_parse(&j, a, out.p, out.len) == 0);
	buf_reset(&out);
	ASSERT(fam->encode_error(&c, &e, true, &out) == 0);
}

/* Another family's request/response/stream into the Gemini encoders. */
static void fuzz_foreign(struct arena *a, const struct family *src, int kind, const char *in,
			 size_t n)
{
	struct xlate_ctx c;
	struct apierr e = { 0 };
	struct buf out;
	const char *why = NULL;

	xlate_ctx_init(&c, a, true, 1700000000);
	c.upstream_model = "gemini-2.5-pro";
	buf_init(&out, a, OUTMAX);
	if (kind == 0) {
		struct ir_request r, back;
		if (src->decode_request(&c, in, n, &r, &e) < 0)
			return;
		if (fam->encode_request(&c, &r, &out, &e) < 0) {
			ASSERT(out.err == -E2BIG || out.err == -ENOMEM);
			return;
		}
		ASSERT(fam->decode_request(&c, out.p, out.len, &back, &e) == 0);
		if (ir_check_request(&back, &why) < 0) {
			fprintf(stderr, "fuzz-gemini: invariant: %s\n%.*s\n", why, (int)out.len, out.p);
			ASSERT(0);
		}
	} else if (kind == 1) {
		struct ir_response r;
		struct json j;
		if (src->decode_response(&c, in, n, &r, &e) < 0)
			return;
		ASSERT(fam->encode_response(&c, &r, &out, &e) == 0);
		ASSERT(json_parse(&j, a, out.p, out.len) == 0);
	} else {
		struct sse_parser p;
		struct sse_event sev;
		struct sink s, back;
		struct buf e2, d2;
		void *dec = arena_zalloc(a, src->dec_size ? src->dec_size : 1);
		int r;

		memset(&s, 0, sizeof(s));
		s.c = &c;
		s.out = &out;
		s.enc = arena_zalloc(a, fam->enc_size);
		fam->enc_init(s.enc, &c);
		ir_checker_init(&s.chk);
		ir_acc_init(&s.acc, a);
		src->dec_init(dec, &c);
		sse_init(&p, a, 1 << 20);
		sse_push(&p, in, n);
		sse_finish(&p);
		/* the source's events may break rules of its own: not ours to judge */
		while ((r = sse_next(&p, &sev)) > 0)
			if (src->decode_event(dec, &c, &sev, sink_emit_lenient, &s) < 0)
				break;
		if (r == 0)
			src->decode_end(dec, &c, sink_emit_lenient, &s);
		if (out.err || s.chk.why)
			return;
		/* what we wrote is a Gemini stream that decodes cleanly */
		stream_pass(a, &c, out.p, out.len, &e2, &d2, &back);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	const char *in = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (size < 1)
		return 0;
	fam = data[0] & 4 ? &family_gemini_cli : &family_gemini;
	arena_init(&a, FUZZ_ARENA);
	if (data[0] & 8) {
		static const char *const names[] = { "claude", "openai", "responses", "gemini" };
		const struct family *src = family_by_name(names[(data[0] >> 4) & 3]);
		if (src && (data[0] & 3) != 3)
			fuzz_foreign(&a, src, data[0] & 3, in, n);
		arena_release(&a);
		return 0;
	}
	switch (data[0] & 3) {
	case 0:
		fuzz_request(&a, in, n);
		break;
	case 1:
		fuzz_response(&a, in, n);
		break;
	case 2:
		fuzz_stream(&a, in, n);
		break;
	default:
		fuzz_error(&a, in, n);
		break;
	}
	arena_release(&a);
	return 0;
}
