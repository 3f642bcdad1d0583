/*
 * serve.c - one connection: read each request under its deadlines (idle,
 * head, body), route and authenticate at the end of the head (so bodies of
 * refused requests are never read), run the handler, log one line, and go
 * on while keep-alive holds.  The one place that logs request errors.
 */
#include "core/serve.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/access.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/handlers.h"
#include "core/http_req.h"
#include "core/http_resp.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/route.h"
#include "core/sockact.h"

enum { READ_EOF = 0, READ_TIMEOUT = -ETIMEDOUT };

/* Read more bytes into c->rbuf, waiting until c->deadline.  >0 bytes read,
   0 end of input, -ETIMEDOUT, -ENOBUFS (buffer full), other -errno. */
static int read_more(struct conn *c)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->in_fd, .events = POLLIN };
		int left = conn_remaining(c), pr;
		ssize_t n;

		if (c->rlen >= sizeof(c->rbuf))
			return -ENOBUFS;
		if (left == 0)
			return READ_TIMEOUT;
		pr = poll(&pfd, 1, left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return READ_TIMEOUT;
		n = read(c->in_fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
		if (n > 0) {
			c->rlen += (size_t)n;
			return (int)n;
		}
		if (n == 0) {
			c->eof = true;
			return READ_EOF;
		}
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		return -errno;
	}
}

static void new_request_id(struct conn *c)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[8];

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	for (int i = 0; i < 8; i++) {
		c->rid[2 * i] = hex[r[i] >> 4];
		c->rid[2 * i + 1] = hex[r[i] & 15];
	}
	c->rid[16] = 0;
}

/* After a response on a connection we will close: stop writing, then read
   and discard what the client still sends for a moment, so the kernel does
   not answer unread data with a RST that destroys our response. */
static void lingering_close(struct conn *c)
{
	char sink[16384];
	size_t total = 0;
	int64_t end = now_ms() + 1000;

	if (!c->is_socket || c->client_gone)
		return;
	shutdown(c->out_fd, SHUT_WR);
	while (total < (1u << 20)) {
		struct pollfd pfd = { .fd = c->in_fd, .events = POLLIN };
		int64_t left = end - now_ms();
		ssize_t n;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		n = read(c->in_fd, sink, sizeof(sink));
		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
			break;
		if (n > 0)
			total += (size_t)n;
	}
}

static void set_backstop(const struct conn *c)
{
	alarm((unsigned)(conn_remaining(c) / 1000 + 10));
}

/* Answer an error that ends the connection. */
static void fail_and_close(struct conn *c, int status, const char *message)
{
	struct apierr e = { status, NULL, message };

	c->close_after = true;
	if (!c->head_sent)
		http_respond_error(c, c->family, &e, NULL);
}

/* The head is in: route, authenticate, maybe 100-continue.  0 to go on and
   read the body, 1 if a response was already sent (close after it). */
static int on_head(struct conn *c, struct route_match *m)
{
	struct apierr e = { 0 };
	const char *allow = NULL;
	int r;

	c->family = route_family_guess(c->req->path, c->req);
	if (strcmp(c->req->method, "OPTIONS") == 0) {
		/* CORS preflight: answered before authentication, as the original. */
		return 0;
	}
	r = route_find(c->req->method, c->req->path, m, &allow);
	if (r == -ENOENT) {
		e = (struct apierr){ 404, "not_found_error", "Not Found" };
		if (c->family == FAM_OPENAI || c->family == FAM_RESPONSES)
			e.type = "invalid_request_error";
		goto refuse;
	}
	if (r == -EPERM) {
		struct buf h;
		buf_init(&h, &c->req_arena, 256);
		buf_adds(&h, "Allow: ");
		for (const char *p = allow; *p; p++)
			buf_adds(&h, *p == ' ' ? ", " : (char[2]){ *p, 0 });
		buf_adds(&h, "\r\n");
		e = (struct apierr){ 405, "invalid_request_error", "Method Not Allowed" };
		c->close_after = c->req->content_length > 0 || c->req->chunked;
		http_respond_error(c, c->family, &e, h.p);
		return 1;
	}
	c->family = m->family == FAM_PLAIN ? c->family : m->family;
	if (m->route->auth != AUTH_NONE) {
		if (conn_config(c) < 0) {
			log_error("rid=%s config %s: line %d: %s: %s", c->rid,
				  c->config_path ? c->config_path : "(defaults)", c->cfg_err.line,
				  c->cfg_err.key, c->cfg_err.message);
			e = (struct apierr){ 500, "api_error",
					     "cliproxy configuration error; run `cliproxy check`" };
			goto refuse;
		}
	}
	if (m->route->auth == AUTH_CLIENT && access_client(c, &e) < 0)
		goto refuse;
	if (c->req->expect_continue && (c->req->content_length > 0 || c->req->chunked))
		http_send_continue(c);
	return 0;
refuse:
	/* The body (if any) stays unread: answer and close. */
	c->close_after = c->req->content_length > 0 || c->req->chunked || c->close_after;
	http_respond_error(c, c->family, &e, NULL);
	return 1;
}

/* Serve one request.  1: go on with the next, 0: close normally, <0 abort. */
static int serve_one(struct conn *c)
{
	struct http_req_parser p;
	struct route_match m;
	bool started = c->rlen > 0, head_done = false, done = false;
	int r;

	arena_release(&c->req_arena);
	/* Keys and tokens are read per request (registry, auth_ensure_fresh):
	   wiped between requests, so a long keep-alive never exhausts them. */
	arena_release(&c->secrets);
	c->req = NULL;
	c->status = 0;
	c->bytes_out = 0;
	c->head_sent = false;
	c->log_model = c->log_provider = c->log_cred = NULL;
	c->client_key_id[0] = 0;
	memset(&m, 0, sizeof(m));
	http_req_init(&p, &c->req_arena);
	c->deadline = now_ms() + (c->requests == 0 || started ? c->header_ms : c->idle_ms);
	set_backstop(c);

	while (!done) {
		size_t used = 0;

		if (c->rlen > 0 || head_done) {
			r = http_req_push(&p, c->rbuf, c->rlen, &used);
			if (used) {
				memmove(c->rbuf, c->rbuf + used, c->rlen - used);
				c->rlen -= used;
			}
			if (r == HTTP_REQ_HEAD) {
				c->req = &p.req;
				c->t_start = now_ms();
				new_request_id(c);
				head_done = true;
				if (on_head(c, &m)) {
					log_request(c);
					c->requests++;
					if (c->close_after)
						lingering_close(c);
					return c->close_after || !p.req.keep_alive ||
							       c->requests >= LIMIT_KEEPALIVE_REQUESTS
						       ? 0
						       : 1;
				}
				c->deadline = now_ms() + c->body_ms;
				set_backstop(c);
				continue;
			}
			if (r == HTTP_REQ_DONE) {
				done = true;
				break;
			}
			if (r < 0) {
				if (!c->req) {
					c->req = &p.req;
					c->t_start = now_ms();
					new_request_id(c);
					c->family = route_family_guess(p.req.path, NULL);
				}
				fail_and_close(c, p.status ? p.status : 400, p.why ? p.why : "Bad Request");
				log_request(c);
				lingering_close(c);
				return 0;
			}
			if (used == 0 && c->rlen > 0 && r == HTTP_REQ_MORE && head_done && c->rlen == sizeof(c->rbuf))
				return -EIO; /* parser stalled: cannot happen, but never spin */
		}
		r = read_more(c);
		if (r > 0) {
			if (!started) {
				started = true;
				c->deadline = now_ms() + c->header_ms;
			}
			continue;
		}
		if (r == READ_EOF) {
			if (!started)
				return 0; /* the client closed between requests */
			c->client_gone = true;
			return -ECONNRESET;
		}
		if (r == READ_TIMEOUT && started) {
			if (!c->req) {
				c->req = &p.req;
				c->t_start = now_ms();
				new_request_id(c);
			}
			fail_and_close(c, 408, head_done ? "timed out reading the request body"
							   : "timed out reading the request head");
			log_request(c);
			return 0;
		}
		if (r == READ_TIMEOUT)
			return 0; /* idle keep-alive connection: close quietly */
		c->client_gone = true;
		return r;
	}

	alarm(0); /* handlers bound their own waits */
	handle_request(c, &m);
	if (c->head_sent && c->chunked_out)
		http_stream_end(c);
	log_request(c);
	c->requests++;
	if (c->client_gone)
		return -EPIPE;
	if (c->close_after || !p.req.keep_alive || c->requests >= LIMIT_KEEPALIVE_REQUESTS) {
		if (c->close_after)
			lingering_close(c);
		return 0;
	}
	return 1;
}

int serve_connection(int in_fd, int out_fd, const struct serve_opts *o)
{
	struct conn *c;
	static struct conn conn_storage; /* big (read buffer): not on the stack */
	int r;

	c = &conn_storage;
	conn_init(c, in_fd, out_fd);
	c->config_path = o->config_path;
	c->config_explicit = o->config_explicit;
	sockact_describe(c);
	log_setup(NULL);
	do {
		r = serve_one(c);
	} while (r == 1);
	conn_close(c);
	return r < 0 ? EXIT_ABORTED : EXIT_DELIVERED;
}

int serve_main(const struct serve_opts *o)
{
	int in_fd, out_fd, r;

	r = proc_sanitize();
	if (r < 0)
		return EXIT_ABORTED;
	r = sockact_fds(&in_fd, &out_fd);
	if (r < 0) {
		log_error("serve: no usable connection on fd 3 or 0: %s%s", strerror(-r),
			  r == -EISCONN ? " (the socket unit needs Accept=yes)" : "");
		return EXIT_USAGE;
	}
	return serve_connection(in_fd, out_fd, o);
}
