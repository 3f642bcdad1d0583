/*
 * test_http_req.c - core/http_req.c: requests that parse, every refusal with
 * its status, each cap at exactly the limit and one byte over, keep-alive and
 * Expect rules, lookups, and the split property: whole, byte by byte and in
 * random splits (fixed seed) give identical transcripts.  Also replays the
 * fixtures in tests/data/http against their .status files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/http_req.h"
#include "tests/unit/check.h"

static struct arena A;

/* Push all of <s,n> into an initialised parser, pushing again after HEAD;
   returns the last result (DONE, MORE or an error), *ret_used the bytes taken. */
static int feed(struct http_req_parser *p, const char *s, size_t n, size_t *ret_used)
{
	size_t off = 0, c;
	int r;

	for (;;) {
		r = http_req_push(p, s + off, n - off, &c);
		if (r < 0)
			return r;
		off += c;
		if (r != HTTP_REQ_HEAD)
			break;
	}
	*ret_used = off;
	return r;
}

static int parse_n(struct http_req_parser *p, const char *s, size_t n, int64_t body_max)
{
	size_t used;

	http_req_init(p, &A);
	if (body_max >= 0)
		http_req_set_body_max(p, body_max);
	return feed(p, s, n, &used);
}

static int parse(struct http_req_parser *p, const char *s) { return parse_n(p, s, strlen(s), -1); }

/* 0 for a complete request, its status for a refusal, -1 when incomplete. */
static int status_n(const char *s, size_t n, int64_t body_max)
{
	struct http_req_parser p;
	int r = parse_n(&p, s, n, body_max);

	if (r < 0)
		return p.status;
	return r == HTTP_REQ_DONE ? 0 : -1;
}

static int status_of(const char *s) { return status_n(s, strlen(s), -1); }
static int status_max(const char *s, int64_t max) { return status_n(s, strlen(s), max); }

/* n copies of c, NUL-terminated, in the arena. */
static char *rep(char c, size_t n)
{
	char *s = arena_alloc(&A, n + 1);

	memset(s, c, n);
	s[n] = 0;
	return s;
}

static char *cat3(const char *a, const char *b, const char *c)
{
	return arena_printf(&A, "%s%s%s", a, b, c);
}

/* ---- transcript: everything a caller can observe, for the split property. */

static uint64_t rng;

static size_t next_split(int mode, size_t avail)
{
	size_t k;

	if (mode == 0)
		return avail;
	if (mode == 1)
		return avail ? 1 : 0;
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	if (rng % 8 == 0)
		k = 0; /* empty pushes are legal anywhere */
	else if (rng % 8 == 1)
		k = (size_t)(rng >> 20) % 5000;
	else
		k = (size_t)(rng >> 20) % 23 + 1;
	return k < avail ? k : avail;
}

static void dump_head(struct buf *t, const struct http_request *r)
{
	int i;

	buf_addf(t, "H %s %s %s %s v%d ka%d ec%d cl%lld ch%d hb%zu n%d\n", r->method,
		 r->target, r->path, r->query, r->version, r->keep_alive, r->expect_continue,
		 (long long)r->content_length, r->chunked, r->head_bytes, r->nheaders);
	for (i = 0; i < r->nheaders; i++) {
		buf_add(t, r->headers[i].name, r->headers[i].name_len);
		buf_addc(t, ':');
		buf_add(t, r->headers[i].value, r->headers[i].value_len);
		buf_addc(t, '\n');
	}
}

/* Run a pipeline of requests through fresh parsers, splitting input by mode
   (0 whole, 1 byte by byte, 2 random), recording what the caller sees. */
static void transcript(const char *in, size_t n, int mode, int64_t body_max, struct buf *t)
{
	struct http_req_parser p;
	size_t off = 0, used, k;
	int r, nreq, heads;

	for (nreq = 0; nreq < 16 && off < n; nreq++) {
		http_req_init(&p, &A);
		if (body_max >= 0)
			http_req_set_body_max(&p, body_max);
		heads = 0;
		for (;;) {
			k = next_split(mode, n - off);
			r = http_req_push(&p, in + off, k, &used);
			if (r < 0) {
				buf_addf(t, "E %d %s\n", p.status, p.why);
				r = http_req_push(&p, in + off, n - off, &used);
				if (r >= 0 || p.status == 0)
					buf_adds(t, "BUG error not sticky\n");
				return;
			}
			if (used > k || (r == HTTP_REQ_MORE && used != k))
				buf_adds(t, "BUG consumed\n");
			off += used;
			if (r == HTTP_REQ_HEAD) {
				if (heads++)
					buf_adds(t, "BUG second HEAD\n");
				dump_head(t, &p.req);
				continue;
			}
			if (r == HTTP_REQ_DONE) {
				if (!heads)
					buf_adds(t, "BUG DONE without HEAD\n");
				buf_addf(t, "D %zu @%zu\n", p.req.body.len, off);
				buf_add(t, p.req.body.p, p.req.body.len);
				if (p.req.body.p[p.req.body.len] != 0)
					buf_adds(t, "BUG body not NUL-terminated\n");
				r = http_req_push(&p, in + off, n - off, &used);
				if (r != HTTP_REQ_DONE || used != 0)
					buf_adds(t, "BUG DONE not idempotent\n");
				break;
			}
			if (off == n) {
				buf_adds(t, "incomplete\n");
				return;
			}
		}
	}
}

/* ---- requests that parse */

static void test_get(void)
{
	const char *s = "GET /v1/models?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8317\r\nAccept: */*\r\n\r\n";
	struct http_req_parser p;
	size_t used;

	http_req_init(&p, &A);
	CHECK_INT(http_req_push(&p, s, strlen(s), &used), HTTP_REQ_HEAD);
	CHECK_INT(used, strlen(s));
	CHECK_STR(p.req.method, "GET");
	CHECK_STR(p.req.target, "/v1/models?x=1");
	CHECK_STR(p.req.path, "/v1/models");
	CHECK_STR(p.req.query, "x=1");
	CHECK_INT(p.req.version, 11);
	CHECK_INT(p.req.nheaders, 2);
	CHECK_STR(p.req.headers[0].name, "Host");
	CHECK_STR(p.req.headers[0].value, "127.0.0.1:8317");
	CHECK_INT(p.req.headers[1].value_len, 3);
	CHECK_INT(p.req.content_length, -1);
	CHECK(!p.req.chunked);
	CHECK(p.req.keep_alive);
	CHECK(!p.req.expect_continue);
	CHECK_INT(p.req.head_bytes, strlen(s));
	/* Empty body: the next push, even of nothing, is DONE; again and again. */
	CHECK_INT(http_req_push(&p, NULL, 0, &used), HTTP_REQ_DONE);
	CHECK_INT(used, 0);
	CHECK_INT(http_req_push(&p, "GET", 3, &used), HTTP_REQ_DONE);
	CHECK_INT(used, 0);
	CHECK_INT(p.req.body.len, 0);
	CHECK_STR(p.req.body.p, "");
}

static void test_empty_pushes(void)
{
	struct http_req_parser p;
	size_t used = 99;

	http_req_init(&p, &A);
	CHECK_INT(http_req_push(&p, NULL, 0, &used), HTTP_REQ_MORE);
	CHECK_INT(used, 0);
	CHECK_INT(http_req_push(&p, "GE", 2, &used), HTTP_REQ_MORE);
	CHECK_INT(used, 2);
	CHECK_INT(http_req_push(&p, NULL, 0, &used), HTTP_REQ_MORE);
	CHECK_INT(http_req_push(&p, "T / HTTP/1.0\n\n", 14, &used), HTTP_REQ_HEAD);
	CHECK_INT(used, 14);
	CHECK_INT(http_req_push(&p, NULL, 0, &used), HTTP_REQ_DONE);
	CHECK_STR(p.req.method, "GET");
	CHECK_INT(p.req.version, 10);
	CHECK(!p.req.keep_alive);
}

static void test_post_cl(void)
{
	const char *s = "POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\n"
			"Content-Length: 11\r\nContent-Type: application/json\r\n\r\n"
			"{\"a\":\"b\"}\r\nGET / HTTP/1.1\r\n";
	size_t head = strlen(s) - strlen("{\"a\":\"b\"}\r\nGET / HTTP/1.1\r\n");
	struct http_req_parser p;
	size_t used;

	http_req_init(&p, &A);
	CHECK_INT(http_req_push(&p, s, strlen(s), &used), HTTP_REQ_HEAD);
	CHECK_INT(used, head);
	CHECK_INT(p.req.content_length, 11);
	CHECK(p.req.body.cap >= 12); /* reserved up front */
	CHECK_INT(http_req_push(&p, s + used, 5, &used), HTTP_REQ_MORE);
	CHECK_INT(used, 5);
	CHECK_INT(http_req_push(&p, s + head + 5, strlen(s) - head - 5, &used), HTTP_REQ_DONE);
	CHECK_INT(used, 6);
	CHECK_MEM(p.req.body.p, p.req.body.len, "{\"a\":\"b\"}\r\n");
	CHECK_STR(http_req_header(&p.req, "content-type"), "application/json");

	CHECK_INT(parse(&p, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), HTTP_REQ_DONE);
	CHECK_INT(p.req.content_length, 0);
	CHECK_INT(p.req.body.len, 0);
	/* Identical duplicates are fine. */
	CHECK_INT(parse(&p, "POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc"),
		  HTTP_REQ_DONE);
	CHECK_MEM(p.req.body.p, p.req.body.len, "abc");
	/* An incomplete body stays MORE. */
	CHECK_INT(parse(&p, "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabc"), HTTP_REQ_MORE);
}

static void test_chunked(void)
{
	const char *s = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
			"Transfer-Encoding: Chunked\r\n\r\n"
			"5;ext=1;name=\"quoted value\"\r\nhello\r\n"
			"6 ; x\r\n world\r\n"
			"a\r\n0123456789\r\n"
			"00000\r\nX-Trailer: t\r\nChecksum: abc\r\n\r\n"
			"NEXT";
	struct http_req_parser p;
	size_t used;

	http_req_init(&p, &A);
	CHECK_INT(feed(&p, s, strlen(s), &used), HTTP_REQ_DONE);
	CHECK_INT(used, strlen(s) - 4);
	CHECK(p.req.chunked);
	CHECK_INT(p.req.content_length, -1);
	CHECK_MEM(p.req.body.p, p.req.body.len, "hello world0123456789");
	CHECK(http_req_header(&p.req, "X-Trailer") == NULL); /* trailers dropped */

	/* Bare LF everywhere, uppercase hex, no trailers. */
	CHECK_INT(parse(&p, "POST / HTTP/1.1\nTransfer-Encoding: chunked\n\nA\n0123456789\n0\n\n"),
		  HTTP_REQ_DONE);
	CHECK_MEM(p.req.body.p, p.req.body.len, "0123456789");
	/* Only the last chunk. */
	CHECK_INT(parse(&p, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
		  HTTP_REQ_DONE);
	CHECK_INT(p.req.body.len, 0);
	/* Incomplete: missing the final empty line. */
	CHECK_INT(parse(&p, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"),
		  HTTP_REQ_MORE);
}

static void test_pipelined(void)
{
	const char *s = "\r\n\r\nPOST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
			"GET /b HTTP/1.1\r\nConnection: close\r\n\r\n"
			"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n"
			"GET /d HT";
	struct http_req_parser p;
	size_t off = 0, used;

	http_req_init(&p, &A);
	CHECK_INT(feed(&p, s, strlen(s), &used), HTTP_REQ_DONE);
	CHECK_STR(p.req.path, "/a");
	CHECK_MEM(p.req.body.p, p.req.body.len, "abc");
	CHECK_INT(p.req.head_bytes, 4 + 39);
	off += used;
	http_req_init(&p, &A);
	CHECK_INT(feed(&p, s + off, strlen(s) - off, &used), HTTP_REQ_DONE);
	CHECK_STR(p.req.path, "/b");
	CHECK(!p.req.keep_alive);
	off += used;
	http_req_init(&p, &A);
	CHECK_INT(feed(&p, s + off, strlen(s) - off, &used), HTTP_REQ_DONE);
	CHECK_STR(p.req.path, "/c");
	CHECK_MEM(p.req.body.p, p.req.body.len, "xyz");
	off += used;
	CHECK_STR(s + off, "GET /d HT");
	http_req_init(&p, &A);
	CHECK_INT(feed(&p, s + off, strlen(s) - off, &used), HTTP_REQ_MORE);
	CHECK_INT(used, 9);
}

static void test_targets(void)
{
	struct http_req_parser p;

	CHECK_INT(parse(&p, "OPTIONS * HTTP/1.1\r\n\r\n"), HTTP_REQ_DONE);
	CHECK_STR(p.req.path, "*");
	CHECK_STR(p.req.query, "");
	CHECK_INT(parse(&p, "GET http://127.0.0.1:8317/v1/models?a=b HTTP/1.1\r\n\r\n"),
		  HTTP_REQ_DONE);
	CHECK_STR(p.req.target, "http://127.0.0.1:8317/v1/models?a=b");
	CHECK_STR(p.req.path, "/v1/models");
	CHECK_STR(p.req.query, "a=b");
	CHECK_INT(parse(&p, "GET HTTPS://host HTTP/1.1\r\n\r\n"), HTTP_REQ_DONE);
	CHECK_STR(p.req.path, "/");
	CHECK_STR(p.req.query, "");
	CHECK_INT(parse(&p, "GET http://host?q HTTP/1.1\r\n\r\n"), HTTP_REQ_DONE);
	CHECK_STR(p.req.path, "/");
	CHECK_STR(p.req.query, "q");
	CHECK_INT(parse(&p, "GET /? HTTP/1.1\r\n\r\n"), HTTP_REQ_DONE);
	CHECK_STR(p.req.path, "/");
	CHECK_STR(p.req.query, "");
	CHECK_INT(parse(&p, "get /%7e~!$&'()*+,;=:@ HTTP/1.1\r\n\r\n"), HTTP_REQ_DONE);
	CHECK_STR(p.req.method, "get"); /* a token; routing decides */
	CHECK_STR(p.req.path, "/%7e~!$&'()*+,;=:@"); /* not decoded */
	/* Refused targets. */
	CHECK_INT(status_of("GET * HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(status_of("GET x HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(status_of("GET http:///x HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(status_of("GET ftp://h/x HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(status_of("CONNECT host:443 HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(status_of("GET /a#frag HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(status_of("GET /\x80 HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(status_of("GET /a\x7f HTTP/1.1\r\n\r\n"), 400);
}

/* ---- refusals */

static const struct {
	const char *in;
	int status;
} refusals[] = {
	/* request line */
	{ "GET / HTTP/1.1 \r\n\r\n", 400 },
	{ "GET  / HTTP/1.1\r\n\r\n", 400 },
	{ "GET /  HTTP/1.1\r\n\r\n", 400 },
	{ "GET\t/ HTTP/1.1\r\n\r\n", 400 },
	{ " GET / HTTP/1.1\r\n\r\n", 400 },
	{ "G(T / HTTP/1.1\r\n\r\n", 400 },
	{ "GET /\r\n\r\n", 400 },
	{ "GET / http/1.1\r\n\r\n", 400 },
	{ "GET / HTTP/1.10\r\n\r\n", 400 },
	{ "GET / HTTP/1\r\n\r\n", 400 },
	{ "GET / HTTP/2\r\n\r\n", 400 },
	{ "GET / HTTP/2.0\r\n\r\n", 505 },
	{ "GET / HTTP/1.2\r\n\r\n", 505 },
	{ "GET / HTTP/0.9\r\n\r\n", 505 },
	{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505 },
	{ "GET / HTTP/1.1\r\r\n\r\n", 400 },
	{ "\rGET / HTTP/1.1\r\n\r\n", 400 },
	/* header fields */
	{ "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n\tX: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n: empty-name\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nX(: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nX: a\x01" "b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", 400 },
	/* framing */
	{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\nhello", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nhello", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413 },
	{ "POST / HTTP/1.1\r\nContent-Length: 67108865\r\n\r\n", 413 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\nExpect: 100-continue, x\r\nContent-Length: 0\r\n\r\n", 417 },
	{ "POST / HTTP/1.0\r\nExpect: x\r\n\r\n", 417 },
	/* chunked body */
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x01\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\rX", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", 413 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4000001\r\n", 413 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : y\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n folded\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\rb\r\n\r\n", 400 },
};

static void test_refusals(void)
{
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		int st = status_of(refusals[i].in);

		if (st != refusals[i].status)
			printf("#   refusal %zu: \"%s\"\n", i, refusals[i].in);
		CHECK_INT(st, refusals[i].status);
	}
}

static void test_error_sticky(void)
{
	struct http_req_parser p;
	size_t used = 77;
	int r;

	http_req_init(&p, &A);
	r = http_req_push(&p, "GET / HTTP/3.0\r\n", 16, &used);
	CHECK(r < 0);
	CHECK_INT(used, 77); /* only set on success */
	CHECK_INT(p.status, 505);
	CHECK(p.why != NULL);
	CHECK_INT(http_req_push(&p, "\r\n", 2, &used), r);
	CHECK_INT(http_req_push(&p, NULL, 0, &used), r);
	CHECK_INT(p.status, 505);
}

/* ---- limits: exactly at the cap passes, one byte over fails */

static void test_limit_request_line(void)
{
	/* "GET " + target + " HTTP/1.1" */
	size_t tl = LIMIT_REQUEST_LINE - 4 - 9;
	char *ok = cat3("GET /", rep('a', tl - 1), " HTTP/1.1\r\n\r\n");
	char *over = cat3("GET /", rep('a', tl), " HTTP/1.1\r\n\r\n");

	CHECK_INT(strlen(ok), LIMIT_REQUEST_LINE + 4);
	CHECK_INT(status_of(ok), 0);
	CHECK_INT(status_of(over), 414);
	/* Too long is seen before the line ends. */
	CHECK_INT(status_n(over, LIMIT_REQUEST_LINE + 1, -1), 414);
	CHECK_INT(status_n(over, LIMIT_REQUEST_LINE, -1), -1);
	/* Bare LF: the same cap. */
	ok = cat3("GET /", rep('a', tl - 1), " HTTP/1.1\n\n");
	CHECK_INT(status_of(ok), 0);
}

static void test_limit_head_bytes(void)
{
	/* 16 + "X: " + pad + CRLF + CRLF */
	size_t pad = LIMIT_HEADER_BYTES - 16 - 3 - 2 - 2;
	char *ok = cat3("GET / HTTP/1.1\r\nX: ", rep('h', pad), "\r\n\r\n");
	char *over = cat3("GET / HTTP/1.1\r\nX: ", rep('h', pad + 1), "\r\n\r\n");
	char *lead = cat3("\r\nGET / HTTP/1.1\r\nX: ", rep('h', pad), "\r\n\r\n");
	struct http_req_parser p;

	CHECK_INT(strlen(ok), LIMIT_HEADER_BYTES);
	CHECK_INT(parse(&p, ok), HTTP_REQ_DONE);
	CHECK_INT(p.req.head_bytes, LIMIT_HEADER_BYTES);
	CHECK_INT(p.req.headers[0].value_len, pad);
	CHECK_INT(status_of(over), 431);
	/* The final LF is the byte too many. */
	CHECK_INT(status_n(over, strlen(over) - 1, -1), -1);
	/* Leading empty lines count. */
	CHECK_INT(status_of(lead), 431);
	/* Fewer fields than the count cap, but too many bytes. */
	{
		struct buf b;
		int i;

		buf_init(&b, &A, 2 * LIMIT_HEADER_BYTES);
		buf_adds(&b, "GET / HTTP/1.1\r\n");
		for (i = 0; i < LIMIT_HEADER_COUNT; i++)
			buf_addf(&b, "X-%d: %s\r\n", i, rep('v', LIMIT_HEADER_BYTES / LIMIT_HEADER_COUNT));
		buf_adds(&b, "\r\n");
		CHECK_INT(status_n(b.p, b.len, -1), 431);
	}
}

static void test_limit_header_count(void)
{
	char *s = arena_strdup(&A, "GET / HTTP/1.1\r\n");
	struct http_req_parser p;
	int i;

	for (i = 0; i < LIMIT_HEADER_COUNT; i++)
		s = cat3(s, arena_printf(&A, "X-%d: %d", i, i), "\r\n");
	CHECK_INT(parse(&p, cat3(s, "\r\n", "")), HTTP_REQ_DONE);
	CHECK_INT(p.req.nheaders, LIMIT_HEADER_COUNT);
	CHECK_STR(http_req_header(&p.req, "x-127"), "127");
	CHECK_INT(status_of(cat3(s, "X-Last: y\r\n\r\n", "")), 431);
}

static void test_limit_body(void)
{
	struct http_req_parser p;
	const char *chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	size_t used;

	CHECK_INT(parse_n(&p, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", 49, 10),
		  HTTP_REQ_DONE);
	CHECK_MEM(p.req.body.p, p.req.body.len, "0123456789");
	/* 413 right at head time: no body byte needed. */
	http_req_init(&p, &A);
	http_req_set_body_max(&p, 10);
	CHECK_INT(http_req_push(&p, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 39, &used),
		  -E2BIG);
	CHECK_INT(p.status, 413);
	/* Chunked: the total de-chunked body counts. */
	CHECK_INT(status_max(cat3(chunked, "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", ""), 10), 0);
	CHECK_INT(status_max(cat3(chunked, "5\r\n01234\r\n6\r\n", ""), 10), 413);
	CHECK_INT(status_max(cat3(chunked, "b\r\n", ""), 10), 413);
	CHECK_INT(status_max(cat3(chunked, "a\r\n0123456789\r\n1\r\n", ""), 10), 413);
	CHECK_INT(status_max(cat3(chunked, "a\r\n0123456789\r\n0\r\n\r\n", ""), 10), 0);
	/* Max 0: only empty bodies. */
	CHECK_INT(status_max("POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", 0), 413);
	CHECK_INT(status_max("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 0), 0);
	/* The setter never goes above LIMIT_BODY_BYTES. */
	http_req_init(&p, &A);
	http_req_set_body_max(&p, INT64_MAX);
	CHECK_INT(p.body_max, LIMIT_BODY_BYTES);
	CHECK_INT(status_of(arena_printf(&A, "POST / HTTP/1.1\r\nContent-Length: %ld\r\n\r\n",
					 LIMIT_BODY_BYTES + 1)), 413);
	CHECK_INT(status_of(arena_printf(&A, "POST / HTTP/1.1\r\nContent-Length: %ld\r\n\r\n",
					 LIMIT_BODY_BYTES)), -1);
}

static void test_limit_chunk_line(void)
{
	const char *h = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	char *ok = cat3(h, cat3("5;", rep('e', LIMIT_CHUNK_LINE - 2), "\r\nhello\r\n0\r\n\r\n"), "");
	char *over = cat3(h, cat3("5;", rep('e', LIMIT_CHUNK_LINE - 1), "\r\nhello\r\n0\r\n\r\n"), "");
	char *zeros = cat3(h, rep('0', LIMIT_CHUNK_LINE), "5\r\nhello\r\n0\r\n\r\n");
	struct http_req_parser p;

	CHECK_INT(parse(&p, ok), HTTP_REQ_DONE);
	CHECK_MEM(p.req.body.p, p.req.body.len, "hello");
	CHECK_INT(status_of(over), 400);
	CHECK_INT(status_of(zeros), 400);
	zeros = cat3(h, rep('0', LIMIT_CHUNK_LINE - 1), "5\r\nhello\r\n0\r\n\r\n");
	CHECK_INT(parse(&p, zeros), HTTP_REQ_DONE);
	CHECK_MEM(p.req.body.p, p.req.body.len, "hello");
}

/* ---- connection semantics */

static void test_keep_alive(void)
{
	static const struct {
		const char *in;
		int ka;
	} t[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: CLOSE\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: te,close , x\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n", 1 },
		{ "GET / HTTP/1.0\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1 },
		{ "GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", 1 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nConnection: x\r\n\r\n", 0 },
		{ "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "0\r\n\r\n", 0 },
	};
	struct http_req_parser p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_INT(parse(&p, t[i].in), HTTP_REQ_DONE);
		if (p.req.keep_alive != t[i].ka)
			printf("#   keep-alive case %zu\n", i);
		CHECK_INT(p.req.keep_alive, t[i].ka);
	}
}

static void test_expect(void)
{
	struct http_req_parser p;
	const char *s = "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi";
	size_t used;

	http_req_init(&p, &A);
	CHECK_INT(http_req_push(&p, s, strlen(s) - 2, &used), HTTP_REQ_HEAD);
	CHECK(p.req.expect_continue);
	CHECK_INT(http_req_push(&p, NULL, 0, &used), HTTP_REQ_MORE);
	CHECK_INT(http_req_push(&p, "hi", 2, &used), HTTP_REQ_DONE);
	CHECK_INT(parse(&p, "POST / HTTP/1.1\r\n\r\n"), HTTP_REQ_DONE);
	CHECK(!p.req.expect_continue);
	CHECK_INT(parse(&p, "POST / HTTP/1.1\r\nExpect:  100-continue \r\n\r\n"), HTTP_REQ_DONE);
	CHECK(p.req.expect_continue);
	/* RFC 9110 10.1.1: ignored on HTTP/1.0. */
	CHECK_INT(parse(&p, "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"), HTTP_REQ_DONE);
	CHECK(!p.req.expect_continue);
	CHECK_INT(status_of("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n"), 417);
	CHECK_INT(status_of("POST / HTTP/1.1\r\nExpect:\r\n\r\n"), 417);
}

static void test_header_lookup(void)
{
	struct http_req_parser p;

	CHECK_INT(parse(&p, "GET / HTTP/1.1\r\nX-Api-Key:\t sk-1 \t\r\nx-api-key: sk-2\r\n"
			    "Empty:\r\nUTF: caf\xc3\xa9\r\nAuthorization: Bearer a b\r\n\r\n"),
		  HTTP_REQ_DONE);
	CHECK_STR(http_req_header(&p.req, "x-api-key"), "sk-1");
	CHECK_STR(http_req_header(&p.req, "X-API-KEY"), "sk-1");
	CHECK_STR(http_req_header(&p.req, "empty"), "");
	CHECK_STR(http_req_header(&p.req, "utf"), "caf\xc3\xa9");
	CHECK_STR(http_req_header(&p.req, "authorization"), "Bearer a b");
	CHECK(http_req_header(&p.req, "x-api") == NULL);
	CHECK(http_req_header(&p.req, "x-api-keys") == NULL);
	CHECK_STR(p.req.headers[1].name, "x-api-key");
}

static void test_query(void)
{
	struct http_req_parser p;

	CHECK_INT(parse(&p, "GET /v1beta/models/x:streamGenerateContent?alt=sse&key=a%2Bb%20c+d"
			    "&empty=&flag&k%65y2=v&dup=1&dup=2&bad=%zz%4&nul=a%00b&pct=%41%e9 HTTP/1.1\r\n\r\n"),
		  HTTP_REQ_DONE);
	CHECK_STR(p.req.path, "/v1beta/models/x:streamGenerateContent");
	CHECK_STR(http_req_query(&p.req, "alt", &A), "sse");
	CHECK_STR(http_req_query(&p.req, "key", &A), "a+b c d");
	CHECK_STR(http_req_query(&p.req, "empty", &A), "");
	CHECK_STR(http_req_query(&p.req, "flag", &A), "");
	CHECK_STR(http_req_query(&p.req, "key2", &A), "v");
	CHECK_STR(http_req_query(&p.req, "dup", &A), "1");
	CHECK_STR(http_req_query(&p.req, "bad", &A), "%zz%4");
	CHECK_STR(http_req_query(&p.req, "nul", &A), "a%00b");
	CHECK_STR(http_req_query(&p.req, "pct", &A), "A\xe9");
	CHECK(http_req_query(&p.req, "al", &A) == NULL);
	CHECK(http_req_query(&p.req, "alts", &A) == NULL);
	CHECK(http_req_query(&p.req, "missing", &A) == NULL);
	CHECK_INT(parse(&p, "GET /v1/messages?beta=true HTTP/1.1\r\n\r\n"), HTTP_REQ_DONE);
	CHECK_STR(http_req_query(&p.req, "beta", &A), "true");
	CHECK_INT(parse(&p, "GET / HTTP/1.1\r\n\r\n"), HTTP_REQ_DONE);
	CHECK(http_req_query(&p.req, "beta", &A) == NULL);
	CHECK_INT(parse(&p, "GET /?&&a=1& HTTP/1.1\r\n\r\n"), HTTP_REQ_DONE);
	CHECK_STR(http_req_query(&p.req, "a", &A), "1");
	CHECK(http_req_query(&p.req, "", &A) == NULL);
}

/* ---- the split property */

static const char *const property_cases[] = {
	"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	"\r\n\nGET /a?b=c HTTP/1.0\nConnection: keep-alive\n\n",
	"POST /v1/messages?beta=true HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello"
	"POST /v1/messages HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
	"3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n"
	"HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n",
	"POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n1\na\n1\r\nb\n0\n\n\r\n",
	"OPTIONS * HTTP/1.1\r\n\r\nGET http://h:1/p?q=%41 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\n\r",
	"GET / HTTP/1.1\r\nHost: x\rb\r\n\r\n",
	"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
	"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
	"GET / HTTP/2.0\r\n\r\n",
	"GET / HTTX/1.1\r\n\r\n",
	"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
	"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
	"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
	"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
	"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffff\r\n",
	"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nbad trailer\r\n\r\n",
	"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort",
	"POST / HTTP/1.1\r\nExpect: nope\r\nContent-Length: 0\r\n\r\n",
	"GET / HTTP/1.1\r\r\n",
	"\r\r\n",
	"",
	"GET /\x01 HTTP/1.1\r\n\r\n",
	"GET / HTTP/1.1\r\nX: \x80\xff ok\r\n\r\nGET /2 HTTP/1.1\r\n\r\n",
};

static int same_transcripts(const char *in, size_t n, int64_t body_max)
{
	struct buf whole, t;
	int mode, seed, ok = 1;

	buf_init(&whole, &A, 64 << 20);
	transcript(in, n, 0, body_max, &whole);
	if (whole.err || memmem(whole.p, whole.len, "BUG", 3)) {
		printf("#   transcript: %.*s\n", (int)whole.len, whole.p);
		return 0;
	}
	for (mode = 1; mode <= 2; mode++) {
		for (seed = 1; seed <= (mode == 2 ? 8 : 1); seed++) {
			rng = 0x9e3779b97f4a7c15ULL * (uint64_t)seed;
			buf_init(&t, &A, 64 << 20);
			transcript(in, n, mode, body_max, &t);
			if (t.len != whole.len || memcmp(t.p, whole.p, t.len) != 0) {
				printf("#   mode %d seed %d differs:\n# whole: %.*s\n# split: %.*s\n",
				       mode, seed, (int)whole.len, whole.p, (int)t.len, t.p);
				ok = 0;
			}
		}
	}
	return ok;
}

static void test_split_property(void)
{
	size_t i, j;
	char *all = arena_strdup(&A, "");
	const char *h = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";

	for (i = 0; i < sizeof(property_cases) / sizeof(property_cases[0]); i++) {
		const char *s = property_cases[i];

		CHECK(same_transcripts(s, strlen(s), -1));
		CHECK(same_transcripts(s, strlen(s), 4));
		all = cat3(all, s, "");
	}
	/* Each refusal, also glued after a valid request. */
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const char *s = refusals[i].in;

		CHECK(same_transcripts(s, strlen(s), -1));
		s = cat3("GET /ok HTTP/1.1\r\n\r\n", s, "");
		CHECK(same_transcripts(s, strlen(s), -1));
	}
	/* Cap edges: the split must not move which cap trips first. */
	{
		size_t pad = LIMIT_HEADER_BYTES - 16 - 3 - 2 - 2;
		const char *edge[] = {
			cat3("GET / HTTP/1.1\r\nX: ", rep('h', pad), "\r\n\r\n"),
			cat3("GET / HTTP/1.1\r\nX: ", rep('h', pad + 1), "\r\n\r\n"),
			cat3("GET / HTTP/1.1\r\nX: ", rep('h', pad - 1), "\r\r\n\r\n"),
			cat3(rep('\n', LIMIT_HEADER_BYTES - 16), "GET /", rep('a', 20000)),
			cat3("GET /", rep('a', LIMIT_REQUEST_LINE - 14), " HTTP/1.1\r\n\r\n"),
			cat3("GET /", rep('a', LIMIT_REQUEST_LINE - 13), " HTTP/1.1\r\n\r\n"),
			cat3(h, rep('0', LIMIT_CHUNK_LINE - 1), "1\r\nx\r\n0\r\n\r\n"),
			cat3(h, rep('0', LIMIT_CHUNK_LINE), "1\r\nx\r\n0\r\n\r\n"),
		};

		for (j = 0; j < sizeof(edge) / sizeof(edge[0]); j++)
			CHECK(same_transcripts(edge[j], strlen(edge[j]), -1));
	}
	CHECK(same_transcripts(all, strlen(all), -1));
	CHECK(same_transcripts(all, strlen(all), 3));
}

/* Random garbage built from HTTP-ish pieces: whatever happens, it happens
   the same way in every split. */
static void test_split_random(void)
{
	static const char *const piece[] = {
		"GET ", "POST ", "/", "/v1/x?a=b", " HTTP/1.1", " HTTP/1.0", "\r\n", "\n", "\r",
		"Host: x", "Content-Length: 3", "Content-Length: 0", "Transfer-Encoding: chunked",
		"Connection: close", "Expect: 100-continue", ": ", " ", "\t", "abc", "0", "5",
		";e=1", "ffff", "\x01", "\x80",
	};
	uint64_t g = 42;
	int k, i, ok = 1;

	for (k = 0; k < 400; k++) {
		char *s = arena_strdup(&A, "");
		int np;

		g ^= g << 13;
		g ^= g >> 7;
		g ^= g << 17;
		np = (int)(g % 40);
		for (i = 0; i < np; i++) {
			g ^= g << 13;
			g ^= g >> 7;
			g ^= g << 17;
			s = cat3(s, piece[g % (sizeof(piece) / sizeof(piece[0]))], "");
		}
		if (!same_transcripts(s, strlen(s), 8))
			ok = 0;
	}
	CHECK(ok);
}

/* ---- tests/data/http fixtures */

static char *slurp(const char *path, size_t *ret_n)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[4096];
	size_t n;

	if (!f)
		return NULL;
	buf_init(&b, &A, 1 << 20);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	*ret_n = b.len;
	return b.err ? NULL : b.p;
}

static void test_fixtures(void)
{
	const char *dir = "tests/data/http";
	DIR *d = opendir(dir);
	struct dirent *e;
	int count = 0;

	if (!d) {
		/* Not run from the top of the tree: find it from this file. */
		dir = arena_printf(&A, "%.*s/../data/http",
				   (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
		d = opendir(dir);
	}
	CHECK(d != NULL);
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), n, sn;
		char *req, *st;
		int want = 0;

		if (len < 5 || strcmp(e->d_name + len - 4, ".req") != 0)
			continue;
		req = slurp(arena_printf(&A, "%s/%s", dir, e->d_name), &n);
		CHECK(req != NULL);
		if (!req)
			continue;
		/* Every .req splits alike; those with a .status are ours to judge
		   (the others, with a .want, are whole-server cases). */
		CHECK(same_transcripts(req, n, -1));
		st = slurp(arena_printf(&A, "%s/%.*s.status", dir, (int)len - 4, e->d_name), &sn);
		if (!st)
			continue;
		for (; *st >= '0' && *st <= '9'; st++)
			want = want * 10 + (*st - '0');
		if (status_n(req, n, -1) != want)
			printf("#   fixture %s\n", e->d_name);
		CHECK_INT(status_n(req, n, -1), want);
		count++;
	}
	closedir(d);
	CHECK(count >= 12);
}

int main(void)
{
	arena_init(&A, (size_t)2 << 30);
	RUN(test_get);
	RUN(test_empty_pushes);
	RUN(test_post_cl);
	RUN(test_chunked);
	RUN(test_pipelined);
	RUN(test_targets);
	RUN(test_refusals);
	RUN(test_error_sticky);
	RUN(test_limit_request_line);
	RUN(test_limit_head_bytes);
	RUN(test_limit_header_count);
	RUN(test_limit_body);
	RUN(test_limit_chunk_line);
	RUN(test_keep_alive);
	RUN(test_expect);
	RUN(test_header_lookup);
	RUN(test_query);
	RUN(test_split_property);
	RUN(test_split_random);
	RUN(test_fixtures);
	arena_release(&A);
	return CHECK_DONE();
}
