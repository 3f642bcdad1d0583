/*
 * fuzz-openai.c - libFuzzer harness for translate/openai_chat.c.  The first
 * byte picks the decoder: 0 request, 1 response, 2 SSE stream, 3 error
 * body; the rest is its input.  Whatever decodes must pass the IR invariant
 * checker and encode without error; our own encodings must decode again to
 * the same IR (requests: a second trip is a fixed point; streams: the same
 * event sequence up to what chat chunks cannot carry); streams also go
 * through the bridging accumulator.  Any violation aborts.
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
			fprintf(stderr, "fuzz-openai: %s:%d: %s\n", __FILE__,     \
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
	struct buf enc, enc2, d1, d2, pt;
	struct json j;
	const char *why = NULL;

	xlate_ctx_init(&c, a, true, 1700000000);
	if (fam->decode_request(&c, in, n, &r1, &e) < 0) {
		ASSERT(e.status >= 400 && e.status <= 599 && e.message);
		return;
	}
	if (ir_check_request(&r1, &why) < 0) {
		fprintf(stderr, "fuzz-openai: request invariant: %s\n", why);
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
	/* the second trip is a fixed point */
	buf_init(&enc2, a, OUTMAX);
	ASSERT(fam->encode_request(&c, &r2, &enc2, &e) == 0);
	ASSERT(fam->decode_request(&c, enc2.p, enc2.len, &r3, &e) == 0);
	buf_init(&d1, a, OUTMAX);
	buf_init(&d2, a, OUTMAX);
	ir_dump_request(&d1, &r2);
	ir_dump_request(&d2, &r3);
	if (!same(&d1, &d2)) {
		fprintf(stderr, "second:\n%.*s\nthird:\n%.*s\n", (int)d1.len, d1.p, (int)d2.len,
			d2.p);
		ASSERT(0);
	}
	ASSERT(same(&enc, &enc2) || enc2.len <= enc.len);
	/* passthrough keeps a valid body */
	buf_init(&pt, a, OUTMAX);
	ASSERT(fam->passthrough_request(&c, in, n, "gpt-x", !r1.stream, &pt, &e) == 0);
	ASSERT(json_parse(&j, a, pt.p, pt.len) == 0);
}

static void fuzz_response(struct arena *a, const char *in, size_t n)
{
	struct xlate_ctx c;
	struct ir_response r1, r2;
	struct apierr e = { 0 };
	struct buf enc;
	const char *why = NULL;
	size_t i, k, calls1 = 0, calls2 = 0;

	xlate_ctx_init(&c, a, true, 1700000000);
	if (fam->decode_response(&c, in, n, &r1, &e) < 0) {
		ASSERT(e.status >= 400 && e.status <= 599 && e.message);
		return;
	}
	ASSERT(ir_check_response(&r1, &why) == 0);
	buf_init(&enc, a, OUTMAX);
	ASSERT(fam->encode_response(&c, &r1, &enc, &e) == 0);
	if (fam->decode_response(&c, enc.p, enc.len, &r2, &e) < 0) {
		/* only an answer without content may come back empty */
		ASSERT(e.status == 502 && r1.stop == IR_STOP_MAX_TOKENS);
		return;
	}
	ASSERT(r2.nparts <= r1.nparts);
	ASSERT(r2.stop == r1.stop || r1.stop == IR_STOP_OTHER);
	for (i = 0; i < r1.nparts; i++)
		calls1 += r1.parts[i].kind == IR_PART_TOOL_CALL;
	for (i = 0, k = 0; i < r2.nparts; i++) {
		const struct ir_part *p = &r2.parts[i];
		if (p->kind != IR_PART_TOOL_CALL)
			continue;
		calls2++;
		while (k < r1.nparts && r1.parts[k].kind != IR_PART_TOOL_CALL)
			k++;
		ASSERT(k < r1.nparts);
		ASSERT(strcmp(p->call_id, r1.parts[k].call_id) == 0);
		ASSERT(strcmp(p->name, r1.parts[k].name) == 0);
		k++;
	}
	ASSERT(calls1 == calls2);
}

struct sink {
	struct xlate_ctx *c;
	struct ir_checker chk;
	void *enc;
	struct buf *out;
	struct buf *dump;
	struct ir_acc acc;
	bool tool; /* a tool call block was seen */
};

static int sink_emit(void *arg, const struct ir_event *ev)
{
	struct sink *s = arg;

	if (ev->kind == IR_EV_BLOCK_START && ev->block == IR_BLOCK_TOOL_CALL)
		s->tool = true;
	if (ir_check_event(&s->chk, ev) < 0) {
		fprintf(stderr, "fuzz-openai: invariant: %s\n", s->chk.why);
		ASSERT(0);
	}
	/* usage: checked via message_stop; block_stop: implied by what
	   follows (chunks have no block boundaries, so a stop right before
	   an error cannot be told apart) */
	if (s->dump && ev->kind != IR_EV_USAGE && ev->kind != IR_EV_BLOCK_STOP) {
		struct ir_event e = *ev;
		/* What chat chunks do not carry, or carry in their own words. */
		e.stop_raw = NULL;
		if (e.stop == IR_STOP_OTHER || e.stop == IR_STOP_STOP_SEQUENCE ||
		    e.stop == IR_STOP_PAUSE || e.stop == IR_STOP_ERROR)
			e.stop = s->tool ? IR_STOP_TOOL_USE : IR_STOP_END_TURN;
		e.usage.has_input = e.usage.has_output = true;
		e.usage.has_total = false;
		e.usage.total = 0;
		if (e.kind == IR_EV_MESSAGE_START) {
			e.id = NULL;
			e.model = NULL;
			e.created = 0;
		}
		if (e.kind == IR_EV_ERROR) {
			e.status = 0;
			e.err_type = NULL;
		}
		ir_dump_event(s->dump, &e);
		buf_addc(s->dump, '\n');
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
	ASSERT(dec && fam->dec_init(dec, c) == 0);
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

static void fuzz_stream(struct arena *a, const char *in, size_t n)
{
	struct xlate_ctx c;
	struct sink s1, s2;
	struct buf enc, d1, d2;

	xlate_ctx_init(&c, a, true, 1700000000);
	buf_init(&enc, a, OUTMAX);
	buf_init(&d1, a, OUTMAX);
	buf_init(&d2, a, OUTMAX);
	memset(&s1, 0, sizeof(s1));
	s1.c = &c;
	s1.out = &enc;
	s1.dump = &d1;
	s1.enc = arena_zalloc(a, fam->enc_size);
	ASSERT(s1.enc && fam->enc_init(s1.enc, &c) == 0);
	run_stream(a, &c, in, n, &s1);
	if (enc.err)
		return;
	/* our own chunks decode to the same events */
	memset(&s2, 0, sizeof(s2));
	s2.c = &c;
	s2.dump = &d2;
	run_stream(a, &c, enc.p, enc.len, &s2);
	if (!same(&d1, &d2)) {
		fprintf(stderr, "first:\n%.*s\nsecond:\n%.*s\n", (int)d1.len, d1.p, (int)d2.len,
			d2.p);
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
	ASSERT(out.len > 8 && memcmp(out.p, "data: ", 6) == 0);
	ASSERT(json_parse(&j, a, out.p + 6, out.len - 8) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	const char *in = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (size < 1)
		return 0;
	fam = &family_openai;
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
