/*
 * sse.h - Server-Sent Events: an incremental reader and a writer.
 *
 * Reader (push/next, DESIGN.md §4.8):
 *     struct sse_parser p; struct sse_event ev;
 *     sse_init(&p, arena, LIMIT_SSE_LINE);
 *     sse_push(&p, bytes, n);              // any chunk boundary
 *     while ((r = sse_next(&p, &ev)) > 0) use(&ev);
 *     // r == 0: need more bytes; r < 0: error (stream is dead)
 *     sse_finish(&p);                      // upstream EOF
 *     while ((r = sse_next(&p, &ev)) > 0) use(&ev);   // flushes a final
 *                                          // event lacking its blank line
 * Rules (WHATWG "event stream interpretation"): lines end in LF, CRLF or
 * CR (a CR at the end of a push is resolved by the next byte); a leading
 * UTF-8 BOM is skipped; lines starting with ':' are comments; "field: value"
 * drops one space after the colon; a line without colon is a field with an
 * empty value; data lines are joined with "\n"; a blank line dispatches the
 * event if it had a data or event field; id (without NUL) and retry (digits)
 * are remembered; unknown fields are ignored.
 * Limits: one line longer than max_line bytes, or one event's data longer
 * than max_line bytes, is -E2BIG (SSE_ERR_LINE); no other error exists
 * besides -ENOMEM.  After an error every sse_next returns it again.
 * The event's pointers stay valid until the next sse_push/sse_next call.
 *
 * Writer: sse_write(b, "message_start", json, n) appends
 * "event: message_start\ndata: <json>\n\n" (event NULL: no event line; data
 * containing newlines becomes several data lines).
 */
#ifndef CLIPROXY_SSE_H
#define CLIPROXY_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct arena;

struct sse_event {
	const char *event; /* "" when the event had no event field (= "message") */
	size_t event_len;
	const char *data;  /* data lines joined by \n, NUL-terminated */
	size_t data_len;
	const char *id;    /* last event id seen so far ("" if none) */
	size_t id_len;
	int64_t retry;     /* last retry value, -1 if none */
};

struct sse_parser {
	struct buf in;     /* unconsumed input */
	size_t pos;        /* start of the current line in in (bytes before it are consumed) */
	size_t scanned;    /* bytes after pos known to hold no line end */
	struct buf data;   /* data of the event being built */
	struct buf event;  /* event name being built */
	struct buf id;     /* last id */
	struct buf outdata, outevent; /* the event handed out */
	int64_t retry;
	size_t max_line;
	bool have_data, have_event, skip_lf, bom_checked, finished;
	int err;
};

void sse_init(struct sse_parser *p, struct arena *a, size_t max_line);
/* Append input.  0, or the sticky error (-ENOMEM, -E2BIG). */
int sse_push(struct sse_parser *p, const void *data, size_t n);
/* Mark end of input: the last line and event are flushed by sse_next. */
void sse_finish(struct sse_parser *p);
/* 1 with *ev filled, 0 need more input (or finished and drained), <0 error. */
int sse_next(struct sse_parser *p, struct sse_event *ev);
/* True if the event name equals lit. */
bool sse_event_is(const struct sse_event *ev, const char *lit);

/* Append one event frame to b: optional "event: <name>\n", "data: <line>\n"
   for each line of data (at least one), then "\n".  0 or buf's error. */
int sse_write(struct buf *b, const char *event, const char *data, size_t n);

#endif
