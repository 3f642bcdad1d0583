/*
 * http_resp.h - writing responses to the client: status line and headers,
 * bodies with Content-Length, chunked bodies, Server-Sent Events (one write
 * per event, no buffering), and error bodies in the client family's shape.
 *
 * Every write honours DEADLINE_WRITE_MS; a peer that went away sets
 * c->client_gone and the functions return -EPIPE.  HEAD requests get the
 * head only.  Every response carries Access-Control-Allow-Origin: *.
 */
#ifndef CLIPROXY_HTTP_RESP_H
#define CLIPROXY_HTTP_RESP_H

#include <stddef.h>

#include "core/conn.h"

struct buf;

/* Write all of p, polling for writability until the write deadline. */
int conn_write(struct conn *c, const void *p, size_t n);

/* A complete response.  extra_headers: NULL or "Name: value\r\n..." lines. */
int http_respond(struct conn *c, int status, const char *content_type,
		 const char *extra_headers, const char *body, size_t n);
/* A JSON body (content type application/json). */
int http_respond_json(struct conn *c, int status, const struct buf *body);

/* Streaming: head with chunked framing (HTTP/1.1) or close-delimited (1.0). */
int http_stream_begin(struct conn *c, int status, const char *content_type,
		      const char *extra_headers);
/* One chunk (one SSE event): written and flushed at once. */
int http_stream_write(struct conn *c, const char *p, size_t n);
int http_stream_end(struct conn *c);

/* Render e as a body in family fam's error shape into b. */
void http_error_body(struct buf *b, enum api_family fam, const struct apierr *e);
/* A complete error response in the family's shape (Retry-After etc. via extra). */
int http_respond_error(struct conn *c, enum api_family fam, const struct apierr *e,
		       const char *extra_headers);

/* "100 Continue" interim response. */
int http_send_continue(struct conn *c);

#endif
