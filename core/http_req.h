/*
 * http_req.h - HTTP/1.1 request parser as a push/next state machine.
 *
 * The caller owns the input bytes: it calls http_req_push(p, data, n) with
 * whatever it has read (any split, even one byte at a time) and learns how
 * many bytes were consumed.  Unconsumed bytes belong to the next call (or,
 * after HTTP_REQ_DONE, to the next pipelined request).  Results:
 *   HTTP_REQ_MORE  need more bytes; always *ret_consumed == n.
 *   HTTP_REQ_HEAD  the head is complete (request line + headers parsed,
 *                  body framing decided); the caller may now check auth,
 *                  route, send "100 Continue"; then keeps pushing for the body.
 *                  Returned exactly once per request, even if the body is empty.
 *                  *ret_consumed counts up to the head's last LF; the push
 *                  stops there and the rest of data is NOT looked at.
 *   HTTP_REQ_DONE  the whole request (body de-chunked into p->req.body) is in.
 *                  *ret_consumed ends at the request's last byte; later bytes
 *                  are left alone (pipelining).  Further pushes return DONE
 *                  again with 0 consumed; http_req_init() starts the next.
 *   < 0            a protocol error: -errno, and p->status holds the HTTP
 *                  status to answer (400, 413, 414, 417, 431, 500, 501, 505)
 *                  and p->why a short static reason.  The connection must
 *                  close.  Sticky: later pushes return the same error.
 *                  *ret_consumed is set only on success (>= 0).
 * Protocol: after HEAD, push again with the bytes past *ret_consumed; that
 * push may have n == 0 (n == 0 is always legal, data may then be NULL), and
 * for an empty body (no CL/TE, or CL: 0) it returns DONE with 0 consumed.
 *   errno: -E2BIG 413/414/431, -EOPNOTSUPP 501, -EPROTONOSUPPORT 505,
 *   -ENOMEM 500 (arena exhausted), -EBADMSG 400/417.
 *
 * Limits (core/limits.h): request line LIMIT_REQUEST_LINE (414), head bytes
 * LIMIT_HEADER_BYTES and fields LIMIT_HEADER_COUNT (431), body
 * LIMIT_BODY_BYTES (413), chunk-size line LIMIT_CHUNK_LINE (400).
 * Refused (400): Content-Length together with Transfer-Encoding, several
 * Content-Length values that are not byte-identical (so "5, 5" is 400 too),
 * bare CR, obs-fold (continuation lines), whitespace before the colon,
 * control characters in fields, a request target not starting with '/'
 * (except "*" for OPTIONS, and absolute-form, below) or holding '#', a
 * missing CRLF after chunk data, a version that is not HTTP/d.d.
 * Refused otherwise: any Transfer-Encoding other than one header whose value
 * is exactly "chunked" (case-insensitive) is 501 ("gzip", "identity",
 * "chunked, chunked", two TE headers alike); HTTP/d.d other than 1.0/1.1 is
 * 505; an Expect other than "100-continue" is 417 (100-continue is ignored
 * on HTTP/1.0, RFC 9110 10.1.1).  Missing Host on HTTP/1.1 is tolerated
 * (clients behind systemd sockets sometimes omit it).
 * Accepted: bare LF line ends, leading empty lines before a request line
 * (their bytes count as head bytes), absolute-form "http[s]://host/p?q"
 * (target keeps it raw; path and query come from the part after the host,
 * path "/" when empty), chunk extensions and trailers (checked as fields,
 * then dropped; their bytes are capped at LIMIT_HEADER_BYTES, 431).
 * HTTP/1.0 with chunked: accepted but keep_alive is false.
 * Head bytes: every byte before HEAD, CR/LF and the final empty line
 * included; == LIMIT_HEADER_BYTES passes.  Request line and chunk-size line
 * lengths exclude their CRLF.  Content-Length over the body cap is 413 at
 * head time, instead of HEAD.
 */
#ifndef CLIPROXY_HTTP_REQ_H
#define CLIPROXY_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/limits.h"

struct arena;

struct http_header {
	const char *name; /* as sent (case kept), NUL-terminated, in the arena */
	const char *value; /* OWS trimmed, NUL-terminated */
	size_t name_len, value_len;
};

struct http_request {
	const char *method; /* "GET", ... (case-sensitive per RFC) */
	const char *target; /* raw request target "/v1/x?y=z" */
	const char *path;   /* target up to '?', not percent-decoded */
	const char *query;  /* after '?', or "" */
	int version;        /* 10 or 11 */
	struct http_header headers[LIMIT_HEADER_COUNT];
	int nheaders;
	int64_t content_length; /* -1 when absent */
	bool chunked;
	bool keep_alive;      /* from version + Connection header */
	bool expect_continue; /* "Expect: 100-continue" */
	struct buf body;      /* de-chunked body, NUL-terminated */
	size_t head_bytes;    /* bytes of request line + headers */
};

enum http_req_result { HTTP_REQ_MORE = 0, HTTP_REQ_HEAD = 1, HTTP_REQ_DONE = 2 };

struct http_req_parser {
	struct http_request req;
	struct arena *arena;
	int status;      /* on error: HTTP status to answer */
	const char *why; /* on error: short static reason */
	/* private state */
	int state;
	struct buf line; /* current line being assembled */
	size_t head_bytes;
	uint64_t chunk_left;
	int64_t body_max;
};

/* Prepare for one request; all strings are allocated in a. */
void http_req_init(struct http_req_parser *p, struct arena *a);
/* Override LIMIT_BODY_BYTES (never above it); for tests and config. */
void http_req_set_body_max(struct http_req_parser *p, int64_t max);
int http_req_push(struct http_req_parser *p, const char *data, size_t n, size_t *ret_consumed);

/* Header lookup, case-insensitive; first match or NULL. */
const char *http_req_header(const struct http_request *r, const char *name);
/* Query parameter value (percent-decoded into a), first match or NULL.
   Names are decoded before comparing; '+' is a space; malformed escapes and
   "%00" stay as sent; "name" without '=' gives "". */
char *http_req_query(const struct http_request *r, const char *name, struct arena *a);

#endif
