/*
 * upstream.c - one HTTP request to an upstream with libcurl's multi
 * interface, so the wait can also watch the client socket: a client that
 * hangs up mid-stream ends the upstream transfer at once.  TLS peer and
 * host verification stay on; roots come from the hashed CAPATH.  Limits:
 * UPSTREAM_MAX_HEADERS response headers kept, connect and idle deadlines
 * from core/limits.h.
 */
#include "providers/upstream.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>


#include "core/arena.h"
#include "core/conn.h"
#include "core/limits.h"
#include "providers/curl_load.h"

int upstream_header(struct upstream_req *u, struct arena *a, const char *name, const char *value)
{
	size_t nl = strlen(name);
	char *h = arena_printf(a, "%s: %s", name, value ? value : "");

	if (!h)
		return -ENOMEM;
	for (int i = 0; i < u->nheaders; i++) {
		if (strncasecmp(u->headers[i], name, nl) == 0 && u->headers[i][nl] == ':') {
			u->headers[i] = h;
			return 0;
		}
	}
	if (u->nheaders >= UPSTREAM_MAX_HEADERS)
		return -E2BIG;
	u->headers[u->nheaders++] = h;
	return 0;
}

const char *upstream_resp_header(const struct upstream_resp *r, const char *name)
{
	size_t nl = strlen(name);

	for (int i = 0; i < r->nheaders; i++) {
		const char *h = r->headers[i];
		if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
			h += nl + 1;
			while (*h == ' ' || *h == '\t')
				h++;
			return h;
		}
	}
	return NULL;
}

struct xfer {
	const struct curl_api *C;
	struct arena *a;
	const struct upstream_cb *cb;
	struct upstream_resp resp;
	bool head_done;
	bool aborted;
	int cb_err;
	CURL *h;
};

static void deliver_head(struct xfer *x)
{
	const struct curl_api *C = x->C;
	long code = 0;

	if (x->head_done)
		return;
	x->head_done = true;
	C->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	x->resp.status = (int)code;
	if (x->cb->on_head && x->cb->on_head(x->cb->arg, &x->resp) < 0)
		x->aborted = true;
}

static size_t on_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nitems, len = n;
	char *h;

	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new status line (after a 100 Continue or a proxy CONNECT):
		   forget the headers of the previous one. */
		x->resp.nheaders = 0;
		return n;
	}
	if (len == 0 || !memchr(p, ':', len) || x->resp.nheaders >= UPSTREAM_MAX_HEADERS)
		return n;
	h = arena_strndup(x->a, p, len);
	if (!h)
		return 0;
	for (char *q = h; *q && *q != ':'; q++)
		*q = (char)tolower((unsigned char)*q);
	x->resp.headers[x->resp.nheaders++] = h;
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	const struct curl_api *C = x->C;
	size_t n = size * nmemb;
	long code = 0;

	C->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 100 && code < 200)
		return n;
	deliver_head(x);
	if (x->aborted)
		return CURL_WRITEFUNC_ERROR;
	if (x->cb->on_data) {
		int r = x->cb->on_data(x->cb->arg, p, n);
		if (r < 0) {
			x->cb_err = r;
			x->aborted = true;
			return CURL_WRITEFUNC_ERROR;
		}
	}
	return n;
}

static int map_curl_error(const struct curl_api *C, CURLcode rc, const char **what)
{
	*what = C->easy_strerror(rc);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_WRITE_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	default:
		return -EPROTO;
	}
}

/* Did the client hang up?  Readable with nothing to read = EOF.  Readable
   with data (a pipelined request) is not a hang-up: stop watching then. */
static int client_state(struct conn *c, bool *watch)
{
	char b;
	ssize_t n = recv(c->in_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n == 0)
		return -EPIPE;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return -EPIPE;
	if (n > 0)
		*watch = false;
	return 0;
}

int upstream_perform(struct conn *c, struct arena *a, const struct upstream_req *u,
		     const struct upstream_cb *cb, struct upstream_result *ret)
{
	const struct curl_api *C;
	struct xfer x;
	struct curl_slist *hl = NULL;
	CURLM *m = NULL;
	CURLcode rc = CURLE_OK;
	bool watch = c && c->is_socket;
	int still = 1, r = 0;

	memset(ret, 0, sizeof(*ret));
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.cb = cb;
	if (curl_api_get(&C) < 0) {
		ret->err = -EPROTO;
		ret->what = "libcurl is not available (libcurl4 package)";
		return ret->err;
	}
	x.C = C;
	x.h = C->easy_init();
	m = C->multi_init();
	if (!x.h || !m) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < u->nheaders; i++) {
		struct curl_slist *n2 = C->slist_append(hl, u->headers[i]);
		if (!n2) {
			r = -ENOMEM;
			goto out;
		}
		hl = n2;
	}
	/* No "Expect: 100-continue" round trip for big bodies. */
	hl = C->slist_append(hl, "Expect:");
	C->easy_setopt(x.h, CURLOPT_URL, u->url);
	C->easy_setopt(x.h, CURLOPT_HTTPHEADER, hl);
	C->easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
	C->easy_setopt(x.h, CURLOPT_PROTOCOLS_STR, "http,https");
	C->easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 0L);
	/* Hashed CA directory: only the root a server needs is read. */
	C->easy_setopt(x.h, CURLOPT_CAINFO, NULL);
	C->easy_setopt(x.h, CURLOPT_CAPATH, "/etc/ssl/certs");
	C->easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 1L);
	C->easy_setopt(x.h, CURLOPT_SSL_VERIFYHOST, 2L);
	C->easy_setopt(x.h, CURLOPT_ACCEPT_ENCODING, "");
	C->easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT_MS, (long)DEADLINE_UPSTREAM_CONNECT_MS);
	/* An upstream silent this long (no byte at all) is dead. */
	C->easy_setopt(x.h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	C->easy_setopt(x.h, CURLOPT_LOW_SPEED_TIME, (long)(DEADLINE_UPSTREAM_IDLE_MS / 1000));
	C->easy_setopt(x.h, CURLOPT_HEADERFUNCTION, on_header);
	C->easy_setopt(x.h, CURLOPT_HEADERDATA, &x);
	C->easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_body);
	C->easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
	C->easy_setopt(x.h, CURLOPT_TCP_NODELAY, 1L);
	if (u->timeout_ms > 0) /* whole transfer (OAuth token calls) */
		C->easy_setopt(x.h, CURLOPT_TIMEOUT_MS, u->timeout_ms);
	if (u->proxy && *u->proxy) {
		if (strcmp(u->proxy, "direct") == 0 || strcmp(u->proxy, "none") == 0)
			C->easy_setopt(x.h, CURLOPT_PROXY, "");
		else
			C->easy_setopt(x.h, CURLOPT_PROXY, u->proxy);
	}
	if (u->body) {
		C->easy_setopt(x.h, CURLOPT_POST, 1L);
		C->easy_setopt(x.h, CURLOPT_POSTFIELDS, u->body);
		C->easy_setopt(x.h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u->body_len);
	}
	if (u->method && strcmp(u->method, "GET") == 0)
		C->easy_setopt(x.h, CURLOPT_HTTPGET, 1L);
	C->multi_add_handle(m, x.h);

	while (still) {
		struct curl_waitfd wfd = { .fd = watch ? c->in_fd : -1, .events = CURL_WAIT_POLLIN };
		CURLMsg *msg;
		int q;

		if (C->multi_perform(m, &still) != CURLM_OK) {
			r = -EPROTO;
			break;
		}
		while ((msg = C->multi_info_read(m, &q)))
			if (msg->msg == CURLMSG_DONE)
				rc = msg->data.result;
		if (!still)
			break;
		if (C->multi_wait(m, watch ? &wfd : NULL, watch ? 1 : 0, 1000, NULL) != CURLM_OK) {
			r = -EPROTO;
			break;
		}
		if (watch && (wfd.revents & CURL_WAIT_POLLIN) && client_state(c, &watch) < 0) {
			c->client_gone = true;
			r = -EPIPE;
			break;
		}
		if (cb->on_tick && (q = cb->on_tick(cb->arg)) < 0) {
			r = q;
			break;
		}
	}
	if (r == 0 && rc != CURLE_OK) {
		if (x.cb_err)
			r = x.cb_err;
		else
			r = map_curl_error(x.C, rc, &ret->what);
	}
	if (r == 0)
		deliver_head(&x); /* a body-less answer still has a head */
out:
	ret->status = x.resp.status;
	if (!ret->status && x.h) {
		long code = 0;
		C->easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &code);
		ret->status = (int)code;
	}
	ret->err = r;
	if (r == -EPIPE)
		ret->what = "client went away";
	else if (r == -ECANCELED && !ret->what)
		ret->what = "aborted";
	else if (r == -ENOMEM)
		ret->what = "out of memory";
	if (m && x.h)
		C->multi_remove_handle(m, x.h);
	if (x.h)
		C->easy_cleanup(x.h);
	if (m)
		C->multi_cleanup(m);
	C->slist_free_all(hl);
	return r;
}
