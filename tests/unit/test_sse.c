/*
 * test_sse.c - the SSE reader and writer: field rules, line ends (incl. a CR
 * split from its LF across pushes), BOM, comments, EOF flush, the line cap
 * one byte over, and whole vs one-byte-at-a-time vs random-split parity.
 */
#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "translate/sse.h"
#include "tests/unit/check.h"

static struct arena arena;

/* Parse all of in (chunked by `step`, 0 = whole; step > 1000: random with
   that seed), render every event as "[event|data|id|retry]\n" into out.
   Returns the final sse_next error (0 if none). */
static int render(const char *in, size_t n, size_t step, size_t max_line, struct buf *out)
{
	struct sse_parser p;
	struct sse_event ev;
	size_t pos = 0;
	unsigned long long rnd = step;
	int r = 0;

	sse_init(&p, &arena, max_line);
	buf_init(out, &arena, 1 << 24);
	for (;;) {
		while ((r = sse_next(&p, &ev)) > 0)
			buf_addf(out, "[%.*s|%.*s|%.*s|%lld]\n", (int)ev.event_len, ev.event,
				 (int)ev.data_len, ev.data, (int)ev.id_len, ev.id, (long long)ev.retry);
		if (r < 0)
			return r;
		if (pos == n)
			break;
		{
			size_t k = n - pos;
			if (step > 1000) {
				rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
				k = (size_t)((rnd >> 33) % 9) + 1;
			} else if (step) {
				k = step;
			}
			if (k > n - pos)
				k = n - pos;
			if ((r = sse_push(&p, in + pos, k)) < 0)
				return r;
			pos += k;
		}
	}
	sse_finish(&p);
	while ((r = sse_next(&p, &ev)) > 0)
		buf_addf(out, "[%.*s|%.*s|%.*s|%lld]\n", (int)ev.event_len, ev.event,
			 (int)ev.data_len, ev.data, (int)ev.id_len, ev.id, (long long)ev.retry);
	return r;
}

/* Check the rendering of in, whole and in every chunking. */
static void expect(const char *in, const char *want)
{
	struct buf out;
	size_t steps[] = { 0, 1, 2, 3, 7, 1001, 1002, 1003 };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int r = render(in, strlen(in), steps[i], 1024, &out);
		CHECK_INT(r, 0);
		CHECK_STR(out.p, want);
		if (strcmp(out.p, want) != 0)
			printf("#   (step %zu)\n", steps[i]);
	}
}

static void test_basic(void)
{
	expect("event: message_start\ndata: {\"a\":1}\n\n", "[message_start|{\"a\":1}||-1]\n");
	expect("data: [DONE]\n\n", "[|[DONE]||-1]\n");
	/* no space after the colon; only one space dropped */
	expect("data:x\n\ndata:  y\n\n", "[|x||-1]\n[| y||-1]\n");
	/* two events */
	expect("event: a\ndata: 1\n\nevent: b\ndata: 2\n\n", "[a|1||-1]\n[b|2||-1]\n");
}

static void test_multiline_and_fields(void)
{
	expect("data: one\ndata: two\ndata:\n\n", "[|one\ntwo\n||-1]\n");
	expect(": comment\n:\nevent: x\n: another\ndata: d\n\n", "[x|d||-1]\n");
	expect("id: 7\nretry: 1500\ndata: d\n\n", "[|d|7|1500]\n");
	expect("retry: 15x\ndata: d\n\n", "[|d||-1]\n");
	expect("unknown: v\ndata: d\n\n", "[|d||-1]\n");
	/* a field name alone is a field with an empty value */
	expect("data\n\n", "[|||-1]\n");
	/* an event field alone dispatches, blank lines alone do not */
	expect("\n\n\nevent: ping\n\n\n", "[ping|||-1]\n");
	/* the event name does not carry over */
	expect("event: a\ndata: 1\n\ndata: 2\n\n", "[a|1||-1]\n[|2||-1]\n");
	/* id persists across events */
	expect("id: 1\ndata: a\n\ndata: b\n\n", "[|a|1|-1]\n[|b|1|-1]\n");
}

static void test_line_ends(void)
{
	expect("event: a\r\ndata: 1\r\n\r\n", "[a|1||-1]\n");
	expect("event: a\rdata: 1\r\r", "[a|1||-1]\n");
	expect("data: 1\r\n\ndata: 2\n\r\n", "[|1||-1]\n[|2||-1]\n");
	/* CR LF split over pushes is one line end (covered by step 1) */
	expect("data: x\r\n\r\ndata: y\r\r\n", "[|x||-1]\n[|y||-1]\n");
}

static void test_bom_and_eof(void)
{
	expect("\xEF\xBB\xBF" "data: a\n\n", "[|a||-1]\n");
	/* only a leading BOM is skipped: later it makes an unknown field */
	expect("data: a\n\n\xEF\xBB\xBF" "data: b\n\n", "[|a||-1]\n");
	/* EOF flushes a final event without its blank line */
	expect("data: a\n\ndata: b\n", "[|a||-1]\n[|b||-1]\n");
	expect("data: a\n\ndata: b", "[|a||-1]\n[|b||-1]\n");
	expect("event: e\ndata: b\r", "[e|b||-1]\n");
	expect("", "");
	expect(": only a comment", "");
}

static void test_line_cap(void)
{
	struct buf out;
	char line[64];

	/* "data: " + 10 x = 16 bytes: cap 16 is fine, 15 is one over. */
	memcpy(line, "data: xxxxxxxxxx\n\n", 19);
	CHECK_INT(render(line, 18, 0, 16, &out), 0);
	CHECK_STR(out.p, "[|xxxxxxxxxx||-1]\n");
	CHECK_INT(render(line, 18, 0, 15, &out), -E2BIG);
	CHECK_INT(render(line, 18, 1, 15, &out), -E2BIG);
	/* an unterminated over-long line is caught before its end */
	CHECK_INT(render("data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 36, 1, 15, &out), -E2BIG);
	/* one event's data over the cap, in short lines */
	CHECK_INT(render("data: 12345\ndata: 12345\ndata: 12345\n\n", 38, 0, 16, &out), -E2BIG);
	CHECK_INT(render("data: 12345\ndata: 1234\n\n", 25, 0, 16, &out), 0);
}

/* A long line in small pushes: linear work (a quadratic reader would take
   minutes here), one event with all the bytes. */
static void test_long_line(void)
{
	struct sse_parser p;
	struct sse_event ev;
	size_t total = 16 * 1024 * 1024, pos = 0, chunk = 4096;
	char *blk = arena_alloc(&arena, chunk);
	int r, got = 0;

	memset(blk, 'A', chunk);
	sse_init(&p, &arena, total + 64);
	sse_push(&p, "data: ", 6);
	while (pos < total) {
		CHECK_INT(sse_push(&p, blk, chunk), 0);
		pos += chunk;
		CHECK_INT(sse_next(&p, &ev), 0);
	}
	sse_push(&p, "\n\n", 2);
	while ((r = sse_next(&p, &ev)) > 0) {
		got++;
		CHECK_INT(ev.data_len, total);
	}
	CHECK_INT(r, 0);
	CHECK_INT(got, 1);
}

static void test_sticky_error(void)
{
	struct sse_parser p;
	struct sse_event ev;

	sse_init(&p, &arena, 4);
	CHECK_INT(sse_push(&p, "data: toolong\n\n", 15), 0);
	CHECK_INT(sse_next(&p, &ev), -E2BIG);
	CHECK_INT(sse_next(&p, &ev), -E2BIG);
	CHECK_INT(sse_push(&p, "\n", 1), -E2BIG);
}

static void test_event_is(void)
{
	struct sse_parser p;
	struct sse_event ev;

	sse_init(&p, &arena, 100);
	sse_push(&p, "event: ping\ndata: {}\n\n", 22);
	CHECK_INT(sse_next(&p, &ev), 1);
	CHECK(sse_event_is(&ev, "ping"));
	CHECK(!sse_event_is(&ev, "pin"));
	CHECK(!sse_event_is(&ev, "pings"));
	CHECK_INT(sse_next(&p, &ev), 0);
}

static void test_writer(void)
{
	struct buf b;

	buf_init(&b, &arena, 1024);
	CHECK_INT(sse_write(&b, "message_stop", "{\"type\":\"message_stop\"}", 23), 0);
	CHECK_STR(b.p, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
	buf_reset(&b);
	sse_write(&b, NULL, "[DONE]", 6);
	CHECK_STR(b.p, "data: [DONE]\n\n");
	buf_reset(&b);
	sse_write(&b, NULL, "a\nb\r\nc\n", 7);
	CHECK_STR(b.p, "data: a\ndata: b\ndata: c\ndata: \n\n");
	buf_reset(&b);
	sse_write(&b, NULL, "", 0);
	CHECK_STR(b.p, "data: \n\n");
	/* what the writer writes, the reader reads back */
	{
		struct buf out;
		buf_reset(&b);
		sse_write(&b, "x", "a\nb\n", 4);
		CHECK_INT(render(b.p, b.len, 1, 100, &out), 0);
		CHECK_STR(out.p, "[x|a\nb\n||-1]\n");
	}
	/* ceiling */
	buf_init(&b, &arena, 8);
	CHECK_INT(sse_write(&b, NULL, "0123456789", 10), -E2BIG);
}

int main(void)
{
	arena_init(&arena, 1L << 30);
	RUN(test_basic);
	RUN(test_multiline_and_fields);
	RUN(test_line_ends);
	RUN(test_bom_and_eof);
	RUN(test_line_cap);
	RUN(test_long_line);
	RUN(test_sticky_error);
	RUN(test_event_is);
	RUN(test_writer);
	arena_release(&arena);
	return CHECK_DONE();
}
