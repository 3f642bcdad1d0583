/*
 * http_resp.c - response framing on the connection's output fd.  Writes go
 * straight to the fd (no stdio), polled against DEADLINE_WRITE_MS, so a
 * client that stops reading cannot hold the process.  Error bodies follow
 * the family's own shape: OpenAI {"error":{message,type,code}}, Claude
 * {"type":"error","error":{type,message}}, Gemini {"error":{code,message,status}}.
 */
#include "core/http_resp.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/limits.h"

int conn_write(struct conn *c, const void *p, size_t n)
{
	const char *s = p;
	int64_t deadline = now_ms() + DEADLINE_WRITE_MS;

	if (c->client_gone)
		return -EPIPE;
	while (n > 0) {
		ssize_t w = write(c->out_fd, s, n);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = c->out_fd, .events = POLLOUT };
			int64_t left = deadline - now_ms();
			if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
				break; /* deadline: treat as gone */
			continue;
		}
		break;
	}
	if (n > 0) {
		c->client_gone = true;
		c->close_after = true;
		return -EPIPE;
	}
	return 0;
}

static int is_head(const struct conn *c)
{
	return c->req && c->req->method && strcmp(c->req->method, "HEAD") == 0;
}

/* Status line and the headers every response carries. */
static void head_common(struct conn *c, struct buf *h, int status)
{
	buf_addf(h, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	buf_adds(h, "Access-Control-Allow-Origin: *\r\n");
	if (c->close_after || !c->req || !c->req->keep_alive)
		buf_adds(h, "Connection: close\r\n");
	else if (c->req->version == 10)
		buf_adds(h, "Connection: keep-alive\r\n");
}

int http_respond(struct conn *c, int status, const char *content_type,
		 const char *extra_headers, const char *body, size_t n)
{
	struct buf h;
	int r;

	buf_init(&h, &c->req_arena, LIMIT_HEADER_BYTES);
	head_common(c, &h, status);
	if (content_type)
		buf_addf(&h, "Content-Type: %s\r\n", content_type);
	if (extra_headers)
		buf_adds(&h, extra_headers);
	if (status != 204 && status != 304)
		buf_addf(&h, "Content-Length: %zu\r\n", n);
	buf_adds(&h, "\r\n");
	if (h.err)
		return h.err;
	c->status = status;
	c->head_sent = true;
	if (!is_head(c) && status != 204 && n > 0) {
		/* One write for small answers: fewer packets, fewer syscalls. */
		if (buf_add(&h, body, n) == 0)
			body = NULL;
	}
	r = conn_write(c, h.p, h.len);
	if (r == 0 && body && !is_head(c) && status != 204)
		r = conn_write(c, body, n);
	if (r == 0)
		c->bytes_out += is_head(c) ? 0 : n;
	return r;
}

int http_respond_json(struct conn *c, int status, const struct buf *body)
{
	return http_respond(c, status, "application/json", NULL, body->p, body->len);
}

int http_stream_begin(struct conn *c, int status, const char *content_type,
		      const char *extra_headers)
{
	struct buf h;

	buf_init(&h, &c->req_arena, LIMIT_HEADER_BYTES);
	if (c->req && c->req->version == 10)
		c->close_after = true; /* 1.0 has no chunking: the close ends the body */
	head_common(c, &h, status);
	buf_addf(&h, "Content-Type: %s\r\n", content_type);
	buf_adds(&h, "Cache-Control: no-cache\r\n");
	if (extra_headers)
		buf_adds(&h, extra_headers);
	c->chunked_out = !(c->req && c->req->version == 10) && !is_head(c);
	if (c->chunked_out)
		buf_adds(&h, "Transfer-Encoding: chunked\r\n");
	buf_adds(&h, "\r\n");
	if (h.err)
		return h.err;
	c->status = status;
	c->head_sent = true;
	return conn_write(c, h.p, h.len);
}

int http_stream_write(struct conn *c, const char *p, size_t n)
{
	char hdr[24];
	int hl, r;

	if (n == 0 || is_head(c))
		return 0;
	if (!c->chunked_out) {
		r = conn_write(c, p, n);
	} else {
		struct buf b;
		hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
		buf_init(&b, &c->req_arena, n + 32);
		buf_add(&b, hdr, (size_t)hl);
		buf_add(&b, p, n);
		buf_add(&b, "\r\n", 2);
		if (b.err) {
			/* No room for a copy: three writes instead of one. */
			r = conn_write(c, hdr, (size_t)hl);
			if (r == 0)
				r = conn_write(c, p, n);
			if (r == 0)
				r = conn_write(c, "\r\n", 2);
		} else {
			r = conn_write(c, b.p, b.len);
		}
	}
	if (r == 0)
		c->bytes_out += n;
	return r;
}

int http_stream_end(struct conn *c)
{
	if (!c->chunked_out)
		return 0;
	c->chunked_out = false;
	return conn_write(c, "0\r\n\r\n", 5);
}

void http_error_body(struct buf *b, enum api_family fam, const struct apierr *e)
{
	struct jsonw w;
	const char *type = e->type ? e->type : apierr_type_for_status(e->status);
	const char *msg = e->message ? e->message : http_reason(e->status);

	jw_init(&w, b);
	jw_obj(&w);
	switch (fam) {
	case FAM_CLAUDE:
		jw_kstr(&w, "type", "error");
		jw_key(&w, "error");
		jw_obj(&w);
		jw_kstr(&w, "type", type);
		jw_kstr(&w, "message", msg);
		jw_end(&w);
		break;
	case FAM_GEMINI:
		jw_key(&w, "error");
		jw_obj(&w);
		jw_kint(&w, "code", e->status);
		jw_kstr(&w, "message", msg);
		jw_kstr(&w, "status", apierr_gemini_status(e->status));
		jw_end(&w);
		break;
	default:
		jw_key(&w, "error");
		jw_obj(&w);
		jw_kstr(&w, "message", msg);
		jw_kstr(&w, "type", type);
		jw_end(&w);
		break;
	}
	jw_end(&w);
}

int http_respond_error(struct conn *c, enum api_family fam, const struct apierr *e,
		       const char *extra_headers)
{
	struct buf b;

	buf_init(&b, &c->req_arena, 64 * 1024);
	http_error_body(&b, fam, e);
	return http_respond(c, e->status, "application/json", extra_headers, b.p, b.len);
}

int http_send_continue(struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	return conn_write(c, cont, sizeof(cont) - 1);
}
