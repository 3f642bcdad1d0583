/*
 * fuzz-http_req.c - libFuzzer harness for core/http_req.c.  The input is a
 * stream of pipelined requests, parsed whole, split in two at a point taken
 * from the first byte, and (under 4 KiB) byte by byte; any difference in what
 * a caller sees aborts.  Each complete request is re-encoded (Content-Length
 * framing) and must parse back the same.  Body cap 1 MiB, arena 256 MiB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/http_req.h"
#include "core/parse.h"

#define FUZZ_BODY_MAX (1 << 20)
#define FUZZ_MAX_REQUESTS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-http_req: %s\n", what);
		abort();
	}
}

/* Bytes to offer next: mode 0 all, 1 one, 2 up to the cut then the rest. */
static size_t next_len(int mode, size_t off, size_t avail, size_t cut)
{
	if (mode == 0)
		return avail;
	if (mode == 1)
		return avail ? 1 : 0;
	if (off < cut && cut - off < avail)
		return cut - off;
	return avail;
}

static int is_framing(const struct http_header *h)
{
	return strn_caseeq(h->name, h->name_len, "content-length") ||
	       strn_caseeq(h->name, h->name_len, "transfer-encoding");
}

static void dump_head(struct buf *t, const struct http_request *r)
{
	int i;

	must(r->method && r->target && r->path && r->query, "NULL request string");
	buf_addf(t, "H %s %s %s %s v%d ka%d ec%d cl%lld ch%d hb%zu n%d\n", r->method,
		 r->target, r->path, r->query, r->version, r->keep_alive, r->expect_continue,
		 (long long)r->content_length, r->chunked, r->head_bytes, r->nheaders);
	for (i = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i];

		must(strlen(h->name) == h->name_len, "header name length");
		must(h->value[h->value_len] == 0, "header value not terminated");
		buf_add(t, h->name, h->name_len);
		buf_addc(t, ':');
		buf_add(t, h->value, h->value_len);
		buf_addc(t, '\n');
	}
}

/* Encode a parsed request again with Content-Length framing; parse that and
   compare what survives the trip.  Skipped when the encoding would itself
   break a cap (bare LF grown to CRLF, one more field). */
static void round_trip(struct arena *a, const struct http_request *r)
{
	struct http_req_parser q;
	struct buf e;
	size_t head, used;
	int i, j, n = 0, res;

	head = strlen(r->method) + strlen(r->target) + 12;
	for (i = 0; i < r->nheaders; i++)
		if (!is_framing(&r->headers[i])) {
			head += r->headers[i].name_len + r->headers[i].value_len + 4;
			n++;
		}
	head += 40;
	if (head > LIMIT_HEADER_BYTES || n + 1 > LIMIT_HEADER_COUNT ||
	    strlen(r->method) + strlen(r->target) + 10 > LIMIT_REQUEST_LINE)
		return;
	buf_init(&e, a, head + r->body.len + 1);
	buf_addf(&e, "%s %s HTTP/1.%d\r\n", r->method, r->target, r->version % 10);
	for (i = 0; i < r->nheaders; i++) {
		if (is_framing(&r->headers[i]))
			continue;
		buf_add(&e, r->headers[i].name, r->headers[i].name_len);
		buf_add(&e, ": ", 2);
		buf_add(&e, r->headers[i].value, r->headers[i].value_len);
		buf_add(&e, "\r\n", 2);
	}
	buf_addf(&e, "Content-Length: %zu\r\n\r\n", r->body.len);
	buf_add(&e, r->body.p, r->body.len);
	must(!e.err, "round trip: encode");

	http_req_init(&q, a);
	http_req_set_body_max(&q, FUZZ_BODY_MAX);
	res = http_req_push(&q, e.p, e.len, &used);
	must(res == HTTP_REQ_HEAD, "round trip: no HEAD");
	res = http_req_push(&q, e.p + used, e.len - used, &used);
	must(res == HTTP_REQ_DONE, "round trip: no DONE");
	must(strcmp(q.req.method, r->method) == 0 && strcmp(q.req.target, r->target) == 0 &&
		     strcmp(q.req.path, r->path) == 0 && strcmp(q.req.query, r->query) == 0 &&
		     q.req.version == r->version && q.req.expect_continue == r->expect_continue,
	     "round trip: request line");
	must(r->chunked || q.req.keep_alive == r->keep_alive, "round trip: keep-alive");
	must(q.req.body.len == r->body.len && memcmp(q.req.body.p, r->body.p, r->body.len) == 0,
	     "round trip: body");
	for (i = 0, j = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i], *g;

		if (is_framing(h))
			continue;
		must(j < q.req.nheaders, "round trip: header count");
		g = &q.req.headers[j++];
		must(g->name_len == h->name_len && memcmp(g->name, h->name, h->name_len) == 0 &&
			     g->value_len == h->value_len &&
			     memcmp(g->value, h->value, h->value_len) == 0,
		     "round trip: header");
	}
}

/* Parse the whole pipeline, recording everything a caller can observe. */
static void transcript(struct arena *a, const uint8_t *in, size_t n, int mode, size_t cut,
		       struct buf *t)
{
	const char *s = (const char *)in;
	struct http_req_parser p;
	size_t off = 0, used, k;
	int r, nreq, heads;

	for (nreq = 0; nreq < FUZZ_MAX_REQUESTS && off < n; nreq++) {
		http_req_init(&p, a);
		http_req_set_body_max(&p, FUZZ_BODY_MAX);
		heads = 0;
		for (;;) {
			k = next_len(mode, off, n - off, cut);
			r = http_req_push(&p, s + off, k, &used);
			if (r < 0) {
				must(p.status >= 400 && p.status < 600 && p.why, "error without status");
				buf_addf(t, "E %d %s\n", p.status, p.why);
				must(http_req_push(&p, s + off, n - off, &used) == r, "error not sticky");
				return;
			}
			must(used <= k, "consumed more than given");
			must(r != HTTP_REQ_MORE || used == k, "MORE left bytes");
			off += used;
			if (r == HTTP_REQ_HEAD) {
				must(!heads++, "second HEAD");
				dump_head(t, &p.req);
				continue;
			}
			if (r == HTTP_REQ_DONE) {
				must(heads == 1, "DONE without HEAD");
				must(p.req.body.p[p.req.body.len] == 0, "body not terminated");
				must(p.req.body.len <= FUZZ_BODY_MAX, "body over cap");
				if (p.req.chunked)
					must(p.req.content_length == -1, "chunked with CL");
				else
					must(p.req.body.len == (p.req.content_length < 0 ? 0 :
						(uint64_t)p.req.content_length), "body length != CL");
				buf_addf(t, "D %zu @%zu\n", p.req.body.len, off);
				buf_add(t, p.req.body.p, p.req.body.len);
				must(http_req_push(&p, s + off, n - off, &used) == HTTP_REQ_DONE && used == 0,
				     "DONE not idempotent");
				if (mode == 0)
					round_trip(a, &p.req);
				break;
			}
			if (off == n) {
				buf_adds(t, "incomplete\n");
				return;
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct buf whole, t;
	size_t cut;

	arena_init(&a, (size_t)256 << 20);
	buf_init(&whole, &a, (size_t)64 << 20);
	transcript(&a, data, size, 0, 0, &whole);
	must(!whole.err, "transcript too big");

	cut = size ? (size_t)data[0] * 2654435761u % (size + 1) : 0;
	buf_init(&t, &a, (size_t)64 << 20);
	transcript(&a, data, size, 2, cut, &t);
	must(t.len == whole.len && memcmp(t.p, whole.p, t.len) == 0, "split differs from whole");

	if (size < 4096) {
		buf_init(&t, &a, (size_t)64 << 20);
		transcript(&a, data, size, 1, 0, &t);
		must(t.len == whole.len && memcmp(t.p, whole.p, t.len) == 0,
		     "byte by byte differs from whole");
	}
	arena_release(&a);
	return 0;
}
