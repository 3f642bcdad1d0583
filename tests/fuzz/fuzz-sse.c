/*
 * fuzz-sse.c - libFuzzer harness for translate/sse.c.  The first two bytes
 * pick a line cap (small, to reach the cap paths) and a split seed; the rest
 * is an event stream, parsed whole and then in random chunks (and one byte
 * at a time for short inputs): the event lists and final errors must be
 * identical.  Every event's data is re-written with sse_write and must read
 * back as the same data.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "translate/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ARENA (64L * 1024 * 1024)

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz-sse: %s:%d: %s\n", __FILE__, __LINE__, \
				#c);                                               \
			abort();                                                   \
		}                                                                  \
	} while (0)

static void render(struct buf *out, const struct sse_event *ev)
{
	buf_addf(out, "%zu:", ev->event_len);
	buf_add(out, ev->event, ev->event_len);
	buf_addf(out, "|%zu:", ev->data_len);
	buf_add(out, ev->data, ev->data_len);
	buf_addf(out, "|%zu:", ev->id_len);
	buf_add(out, ev->id, ev->id_len);
	buf_addf(out, "|%lld\n", (long long)ev->retry);
}

/* Writer/reader agreement for one event's data. */
static void rewrite(struct arena *a, const struct sse_event *ev)
{
	struct buf b;
	struct sse_parser p;
	struct sse_event back;
	int r;

	if (memchr(ev->data, '\r', ev->data_len))
		return; /* CR in data cannot come from a parsed line: skip */
	buf_init(&b, a, 4 * ev->data_len + 64);
	ASSERT(sse_write(&b, "e", ev->data, ev->data_len) == 0);
	sse_init(&p, a, ev->data_len + 16);
	ASSERT(sse_push(&p, b.p, b.len) == 0);
	r = sse_next(&p, &back);
	ASSERT(r == 1);
	ASSERT(back.data_len == ev->data_len && memcmp(back.data, ev->data, ev->data_len) == 0);
	ASSERT(back.event_len == 1 && back.event[0] == 'e');
}

/* Parse in chunks; split 0 = whole, 1 = bytewise, else random seed. */
static int parse(struct arena *a, const uint8_t *in, size_t n, size_t cap, unsigned split,
		 struct buf *out, int check_rewrite)
{
	struct sse_parser p;
	struct sse_event ev;
	size_t pos = 0;
	uint32_t rnd = split;
	int r = 0;

	sse_init(&p, a, cap);
	buf_init(out, a, FUZZ_ARENA / 8);
	while (pos < n) {
		size_t k = n - pos;
		if (split == 1) {
			k = 1;
		} else if (split > 1) {
			rnd = rnd * 1103515245u + 12345u;
			k = (rnd >> 16) % 13 + 1;
			if (k > n - pos)
				k = n - pos;
		}
		r = sse_push(&p, in + pos, k);
		pos += k;
		if (r < 0)
			goto done;
		while ((r = sse_next(&p, &ev)) > 0) {
			render(out, &ev);
			if (check_rewrite)
				rewrite(a, &ev);
		}
		if (r < 0)
			goto done;
	}
	sse_finish(&p);
	while ((r = sse_next(&p, &ev)) > 0) {
		render(out, &ev);
		if (check_rewrite)
			rewrite(a, &ev);
	}
done:
	ASSERT(r == 0 || r == -E2BIG || r == -ENOMEM);
	buf_addf(out, "end %d\n", r);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct buf whole, other;
	size_t cap;
	unsigned seed;

	if (size < 2)
		return 0;
	cap = (size_t)data[0] * 4 + 1;
	seed = data[1] | 2u;
	data += 2;
	size -= 2;
	arena_init(&a, FUZZ_ARENA);
	parse(&a, data, size, cap, 0, &whole, 1);
	if (!whole.err) {
		parse(&a, data, size, cap, seed, &other, 0);
		ASSERT(!other.err);
		ASSERT(other.len == whole.len && memcmp(other.p, whole.p, whole.len) == 0);
		if (size <= 4096) {
			parse(&a, data, size, cap, 1, &other, 0);
			ASSERT(!other.err);
			ASSERT(other.len == whole.len && memcmp(other.p, whole.p, whole.len) == 0);
		}
	}
	arena_release(&a);
	return 0;
}
