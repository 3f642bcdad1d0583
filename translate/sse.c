/*
 * sse.c - incremental Server-Sent Events reader and frame writer.
 * Accepts any chunking, LF/CRLF/CR line ends, comments, multi-line data.
 * Refuses (-E2BIG) a line or one event's data over max_line bytes; never
 * reads past what was pushed.  Consumed input is dropped as lines complete,
 * so memory stays bounded by max_line plus one push.
 */
#include "translate/sse.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/parse.h"

void sse_init(struct sse_parser *p, struct arena *a, size_t max_line)
{
	memset(p, 0, sizeof(*p));
	/* Input holds at most one partial line plus one push; pushes are
	   bounded by the caller's read size, the partial line by max_line. */
	buf_init(&p->in, a, (size_t)-1 / 4);
	buf_init(&p->data, a, max_line + 1);
	buf_init(&p->event, a, max_line + 1);
	buf_init(&p->id, a, max_line + 1);
	buf_init(&p->outdata, a, max_line + 1);
	buf_init(&p->outevent, a, max_line + 1);
	p->retry = -1;
	p->max_line = max_line;
}

int sse_push(struct sse_parser *p, const void *data, size_t n)
{
	if (p->err)
		return p->err;
	/* Drop what was consumed once it is at least half the buffer, so a
	   long line arriving in small pushes is not moved again and again. */
	if (p->pos && p->pos >= p->in.len - p->pos) {
		buf_consume(&p->in, p->pos);
		p->pos = 0;
	}
	if (buf_add(&p->in, data, n) < 0)
		p->err = p->in.err;
	return p->err;
}

void sse_finish(struct sse_parser *p)
{
	p->finished = true;
}

bool sse_event_is(const struct sse_event *ev, const char *lit)
{
	size_t n = strlen(lit);
	return ev->event_len == n && memcmp(ev->event, lit, n) == 0;
}

static int fail(struct sse_parser *p, int err)
{
	if (!p->err)
		p->err = err;
	return p->err;
}

/* One complete line <s, n> (no terminator). Returns 1 if it dispatched an
   event into p->out*, 0 if not, <0 on error. */
static int sse_line(struct sse_parser *p, const char *s, size_t n)
{
	const char *colon, *val;
	size_t flen, vlen;

	if (n == 0) {
		int have = p->have_data || p->have_event;
		if (!have)
			return 0;
		buf_reset(&p->outdata);
		buf_reset(&p->outevent);
		if (buf_add(&p->outdata, p->data.p, p->data.len) < 0 ||
		    buf_add(&p->outevent, p->event.p, p->event.len) < 0)
			return fail(p, -ENOMEM);
		buf_reset(&p->data);
		buf_reset(&p->event);
		p->have_data = p->have_event = false;
		return 1;
	}
	if (s[0] == ':')
		return 0;
	colon = memchr(s, ':', n);
	if (colon) {
		flen = (size_t)(colon - s);
		val = colon + 1;
		vlen = n - flen - 1;
		if (vlen && *val == ' ') {
			val++;
			vlen--;
		}
	} else {
		flen = n;
		val = s + n;
		vlen = 0;
	}
	if (flen == 4 && memcmp(s, "data", 4) == 0) {
		if (p->have_data && buf_addc(&p->data, '\n') < 0)
			return fail(p, p->data.err);
		if (buf_add(&p->data, val, vlen) < 0)
			return fail(p, p->data.err);
		if (p->data.len > p->max_line)
			return fail(p, -E2BIG);
		p->have_data = true;
	} else if (flen == 5 && memcmp(s, "event", 5) == 0) {
		buf_reset(&p->event);
		if (buf_add(&p->event, val, vlen) < 0)
			return fail(p, p->event.err);
		p->have_event = true;
	} else if (flen == 2 && memcmp(s, "id", 2) == 0) {
		if (!memchr(val, 0, vlen)) {
			buf_reset(&p->id);
			if (buf_add(&p->id, val, vlen) < 0)
				return fail(p, p->id.err);
		}
	} else if (flen == 5 && memcmp(s, "retry", 5) == 0) {
		uint64_t v;
		if (parse_u64(val, vlen, INT64_MAX, &v) == 0)
			p->retry = (int64_t)v;
	}
	return 0;
}

static void fill(struct sse_parser *p, struct sse_event *ev)
{
	ev->event = p->outevent.p;
	ev->event_len = p->outevent.len;
	ev->data = p->outdata.p;
	ev->data_len = p->outdata.len;
	ev->id = p->id.p;
	ev->id_len = p->id.len;
	ev->retry = p->retry;
}

int sse_next(struct sse_parser *p, struct sse_event *ev)
{
	if (p->err)
		return p->err;
	for (;;) {
		const char *s = p->in.p + p->pos;
		size_t avail = p->in.len - p->pos, i;
		int r;

		if (!p->bom_checked) {
			if (avail < 3 && !p->finished &&
			    memcmp(s, "\xEF\xBB\xBF", avail) == 0)
				return 0;
			p->bom_checked = true;
			if (avail >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
				p->pos += 3;
				continue;
			}
		}
		if (p->skip_lf && avail) {
			p->skip_lf = false;
			if (s[0] == '\n') {
				p->pos++;
				continue;
			}
		}
		for (i = p->scanned; i < avail && s[i] != '\n' && s[i] != '\r'; i++)
			;
		p->scanned = i;
		if (i > p->max_line)
			return fail(p, -E2BIG);
		if (i == avail) {
			/* No terminator yet. */
			if (!p->finished)
				return 0;
			if (avail) {
				p->pos += avail;
				p->scanned = 0;
				r = sse_line(p, s, avail);
				if (r < 0)
					return r;
			}
			/* EOF: flush a final event lacking its blank line. */
			r = sse_line(p, "", 0);
			if (r <= 0)
				return r;
			fill(p, ev);
			return 1;
		}
		p->pos += i + 1;
		p->scanned = 0;
		if (s[i] == '\r')
			p->skip_lf = true;
		r = sse_line(p, s, i);
		if (r < 0)
			return r;
		if (r > 0) {
			fill(p, ev);
			return 1;
		}
	}
}

int sse_write(struct buf *b, const char *event, const char *data, size_t n)
{
	size_t i = 0;

	if (event) {
		buf_adds(b, "event: ");
		buf_adds(b, event);
		buf_addc(b, '\n');
	}
	for (;;) {
		size_t j = i;
		while (j < n && data[j] != '\n' && data[j] != '\r')
			j++;
		buf_add(b, "data: ", 6);
		buf_add(b, data + i, j - i);
		buf_addc(b, '\n');
		if (j >= n)
			break;
		if (data[j] == '\r' && j + 1 < n && data[j + 1] == '\n')
			j++;
		i = j + 1;
	}
	buf_addc(b, '\n');
	return b->err;
}
