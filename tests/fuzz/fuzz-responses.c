/*
 * fuzz-responses.c - libFuzzer harness for translate/openai_responses.c.
 * Every input goes through each decoder of the Responses family: request
 * (then encode, passthrough, re-decode), non-stream response (then encode
 * and re-decode), the event stream (SSE -> events -> encoder -> SSE ->
 * events again) and the error body.  Aborts when an IR breaks an invariant
 * (ir_check_*), when our own output is not valid JSON / does not decode, or
 * when an op fails with anything but the documented errors.
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
#define FUZZ_OUT (64L * 1024 * 1024)

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz-responses: %s:%d: %s\n", __FILE__,  \
				__LINE__, #c);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

static const struct family *fam;

static void ctx(struct xlate_ctx *c, struct arena *a)
{
	xlate_ctx_init(c, a, true, 1700000000);
}

static bool valid_json(struct arena *a, const struct buf *b)
{
	struct json j;
	int r = json_parse(&j, a, b->p, b->len);
	return r == 0 || r == -ENOMEM || r == -E2BIG;
}

static bool ok_err(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM || rc == -EPROTO ||
	       rc == -EAGAIN;
}

static void fuzz_request(struct arena *a, const char *in, size_t n, struct ir_request **ret)
{
	struct xlate_ctx c;
	struct ir_request r, r2;
	struct apierr e;
	struct buf out;
	const char *why = NULL;
	int rc;

	ctx(&c, a);
	memset(&e, 0, sizeof(e));
	rc = fam->decode_request(&c, in, n, &r, &e);
	ASSERT(ok_err(rc));
	if (rc < 0) {
		ASSERT(e.status >= 400 && e.message);
		return;
	}
	if (ir_check_request(&r, &why) < 0) {
		fprintf(stderr, "request invariant: %s\n", why);
		ASSERT(0);
	}
	buf_init(&out, a, FUZZ_OUT);
	rc = fam->encode_request(&c, &r, &out, &e);
	ASSERT(rc == 0 || rc == -ENOMEM || rc == -E2BIG);
	if (rc == 0) {
		ASSERT(valid_json(a, &out));
		rc = fam->decode_request(&c, out.p, out.len, &r2, &e);
		ASSERT(rc == 0 || rc == -ENOMEM || rc == -E2BIG);
		if (rc == 0 && ir_check_request(&r2, &why) < 0) {
			fprintf(stderr, "re-decoded request invariant: %s\n", why);
			ASSERT(0);
		}
	}
	buf_init(&out, a, FUZZ_OUT);
	rc = fam->passthrough_request(&c, in, n, "gpt-5.5", !r.stream, &out, &e);
	ASSERT(rc == 0 || rc == -ENOMEM || rc == -E2BIG);
	if (rc == 0)
		ASSERT(valid_json(a, &out));
	*ret = arena_memdup(a, &r, sizeof(r));
}

static void fuzz_response(struct arena *a, const char *in, size_t n, const struct ir_request *req)
{
	struct xlate_ctx c;
	struct ir_response r, r2;
	struct apierr e;
	struct buf out;
	const char *why = NULL;
	int rc;

	ctx(&c, a);
	c.req = req;
	memset(&e, 0, sizeof(e));
	rc = fam->decode_response(&c, in, n, &r, &e);
	ASSERT(ok_err(rc));
	if (rc < 0) {
		ASSERT(e.status >= 400 && e.status <= 599);
		return;
	}
	if (ir_check_response(&r, &why) < 0) {
		fprintf(stderr, "response invariant: %s\n", why);
		ASSERT(0);
	}
	buf_init(&out, a, FUZZ_OUT);
	rc = fam->encode_response(&c, &r, &out, &e);
	ASSERT(rc == 0 || rc == -ENOMEM || rc == -E2BIG);
	if (rc == 0) {
		ASSERT(valid_json(a, &out));
		rc = fam->decode_response(&c, out.p, out.len, &r2, &e);
		ASSERT(rc == 0 || rc == -ENOMEM || rc == -E2BIG);
		if (rc == 0 && ir_check_response(&r2, &why) < 0) {
			fprintf(stderr, "re-decoded response invariant: %s\n", why);
			ASSERT(0);
		}
	}
}

struct sink {
	struct xlate_ctx *c;
	void *enc;        /* encoder state, NULL: none */
	struct buf *out;
	struct ir_checker chk;
	struct ir_acc acc;
	int nev;
};

static int sink_emit(void *arg, const struct ir_event *ev)
{
	struct sink *s = arg;
	int rc;

	s->nev++;
	if (ir_check_event(&s->chk, ev) < 0) {
		fprintf(stderr, "event invariant: %s (event %s)\n", s->chk.why,
			ir_event_name(ev->kind));
		ASSERT(0);
	}
	ir_acc_event(&s->acc, ev);
	if (s->enc) {
		rc = fam->encode_event(s->enc, s->c, ev, s->out);
		ASSERT(rc == 0 || rc == -ENOMEM || rc == -E2BIG);
	}
	return 0;
}

/* SSE bytes through the decoder (split: chunk size, 0 whole). */
static void run_stream(struct arena *a, struct sink *s, const char *in, size_t n, size_t split)
{
	struct sse_parser p;
	struct sse_event sev;
	void *dec = arena_zalloc(a, fam->dec_size);
	size_t pos = 0;
	int rc = 0;

	ASSERT(dec);
	ASSERT(fam->dec_init(dec, s->c) == 0);
	sse_init(&p, a, LIMIT_SSE_LINE);
	while (pos < n) {
		size_t k = split && split < n - pos ? split : n - pos;
		if (sse_push(&p, in + pos, k) < 0)
			return;
		pos += k;
		while ((rc = sse_next(&p, &sev)) > 0) {
			rc = fam->decode_event(dec, s->c, &sev, sink_emit, s);
			ASSERT(rc == 0 || rc == -ENOMEM);
			if (rc < 0)
				return;
		}
		if (rc < 0)
			return;
	}
	sse_finish(&p);
	while ((rc = sse_next(&p, &sev)) > 0) {
		rc = fam->decode_event(dec, s->c, &sev, sink_emit, s);
		ASSERT(rc == 0 || rc == -ENOMEM);
		if (rc < 0)
			return;
	}
	if (rc < 0)
		return;
	rc = fam->decode_end(dec, s->c, sink_emit, s);
	ASSERT(rc == 0 || rc == -ENOMEM);
	if (rc == 0 && ir_check_end(&s->chk) < 0) {
		fprintf(stderr, "stream end invariant: %s\n", s->chk.why);
		ASSERT(0);
	}
}

static void sink_init(struct sink *s, struct arena *a, struct xlate_ctx *c, struct buf *out)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->out = out;
	ir_checker_init(&s->chk);
	ir_acc_init(&s->acc, a);
	if (out) {
		s->enc = arena_zalloc(a, fam->enc_size);
		ASSERT(s->enc);
		ASSERT(fam->enc_init(s->enc, c) == 0);
	}
}

static void fuzz_stream(struct arena *a, const char *in, size_t n, const struct ir_request *req)
{
	struct xlate_ctx c;
	struct sink s, s2;
	struct buf out, out2, agg;
	struct apierr e;
	int rc;

	ctx(&c, a);
	c.req = req;
	buf_init(&out, a, FUZZ_OUT);
	sink_init(&s, a, &c, &out);
	run_stream(a, &s, in, n, 0);

	/* A non-stream client of the same stream. */
	if (s.acc.stopped && !s.acc.failed) {
		buf_init(&agg, a, FUZZ_OUT);
		memset(&e, 0, sizeof(e));
		rc = fam->encode_response(&c, &s.acc.resp, &agg, &e);
		ASSERT(rc == 0 || rc == -ENOMEM || rc == -E2BIG);
		if (rc == 0)
			ASSERT(valid_json(a, &agg));
	}

	/* Our own SSE must decode again into a well-formed sequence. */
	if (out.err)
		return;
	ctx(&c, a);
	buf_init(&out2, a, FUZZ_OUT);
	sink_init(&s2, a, &c, NULL);
	run_stream(a, &s2, out.p, out.len, 0);
	/* ... and the same output, cut in small pieces. */
	if (n < 4096) {
		struct buf out3;
		struct sink s3;
		ctx(&c, a);
		c.req = req;
		buf_init(&out3, a, FUZZ_OUT);
		sink_init(&s3, a, &c, &out3);
		run_stream(a, &s3, in, n, 3);
		ASSERT(out3.err || (out3.len == out.len && !memcmp(out3.p, out.p, out.len)));
	}
	(void)out2;
}

static void fuzz_error(struct arena *a, const char *in, size_t n)
{
	struct xlate_ctx c;
	struct apierr e;
	struct buf out;
	int status = 400 + (n ? (unsigned char)in[0] % 200 : 0);

	ctx(&c, a);
	ASSERT(fam->decode_error(&c, status, in, n, &e) == 0);
	ASSERT(e.status == status && e.type && e.message);
	buf_init(&out, a, FUZZ_OUT);
	ASSERT(fam->encode_error(&c, &e, false, &out) == 0);
	ASSERT(valid_json(a, &out));
	buf_init(&out, a, FUZZ_OUT);
	ASSERT(fam->encode_error(&c, &e, true, &out) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct ir_request *req = NULL;
	struct arena a;

	fam = &family_responses;
	arena_init(&a, FUZZ_ARENA);
	fuzz_request(&a, in, size, &req);
	fuzz_response(&a, in, size, req);
	fuzz_stream(&a, in, size, req);
	fuzz_error(&a, in, size);
	arena_release(&a);
	return 0;
}
