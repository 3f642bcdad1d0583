/*
 * fuzz-completions.c - libFuzzer harness for translate/completions.c.  The
 * first byte picks the converter: 0 request, 1 response, 2 stream; the rest
 * is its input.  A converted request must be JSON the OpenAI chat decoder
 * accepts or refuses with a 4xx; a converted response must be JSON; a
 * stream must give the same bytes fed whole, byte by byte and in splits
 * drawn from the input itself.  Any violation aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "translate/completions.h"
#include "translate/family.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ARENA (256L * 1024 * 1024)
#define OUTMAX (16L * 1024 * 1024)

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz-completions: %s:%d: %s\n", __FILE__, \
				__LINE__, #c);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

static void fuzz_request(struct arena *a, const char *in, size_t n)
{
	struct apierr e = { 0 }, de = { 0 };
	struct buf out;
	struct json j;
	struct xlate_ctx x;
	struct ir_request req;

	buf_init(&out, a, OUTMAX);
	if (completions_request(a, in, n, &out, &e) < 0) {
		ASSERT(e.status >= 400 && e.status <= 599 && e.message);
		return;
	}
	ASSERT(json_parse(&j, a, out.p, out.len) == 0);
	ASSERT(json_kind(&j, 0) == JSON_OBJECT);
	ASSERT(json_kind(&j, json_get(&j, 0, "messages")) == JSON_ARRAY);
	xlate_ctx_init(&x, a, true, 1700000000);
	if (family_openai.decode_request(&x, out.p, out.len, &req, &de) < 0)
		ASSERT(de.status >= 400 && de.status <= 499 && de.message);
}

static void fuzz_response(struct arena *a, const char *in, size_t n)
{
	struct apierr e = { 0 };
	struct buf out;
	struct json j;

	buf_init(&out, a, OUTMAX);
	if (completions_response(a, in, n, &out, &e) < 0) {
		ASSERT(e.status >= 500 && e.message);
		return;
	}
	ASSERT(json_parse(&j, a, out.p, out.len) == 0);
	ASSERT(json_kind(&j, 0) == JSON_OBJECT);
}

/* Split sizes: 0 whole, 1 byte by byte, else drawn from the input bytes. */
static int run(struct arena *a, const char *in, size_t n, int mode, struct buf *out)
{
	struct completions_stream st;
	size_t off = 0, i = 0;
	int r = 0;

	completions_stream_init(&st, a, OUTMAX);
	buf_init(out, a, OUTMAX);
	while (off < n && r == 0) {
		size_t k = mode == 0 ? n : mode == 1 ? 1 : 1 + (size_t)(unsigned char)in[i++ % n] % 97;
		if (k > n - off)
			k = n - off;
		r = completions_stream_frame(&st, in + off, k, out);
		off += k;
	}
	return r;
}

static void fuzz_stream(struct arena *a, const char *in, size_t n)
{
	struct buf whole, split;
	int r0, r;

	r0 = run(a, in, n, 0, &whole);
	ASSERT(r0 == 0 || r0 == -E2BIG || r0 == -ENOMEM);
	if (r0 < 0)
		return;
	for (int mode = 1; mode <= 2; mode++) {
		r = run(a, in, n, mode, &split);
		ASSERT(r == 0);
		ASSERT(split.len == whole.len && memcmp(split.p, whole.p, whole.len) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	const char *in = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (size < 1)
		return 0;
	arena_init(&a, FUZZ_ARENA);
	switch (data[0] % 3) {
	case 0:
		fuzz_request(&a, in, n);
		break;
	case 1:
		fuzz_response(&a, in, n);
		break;
	default:
		fuzz_stream(&a, in, n);
		break;
	}
	arena_release(&a);
	return 0;
}
