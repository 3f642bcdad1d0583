/*
 * oauth.c - shared login plumbing: PKCE/state from OpenSSL RAND + SHA-256,
 * authorize URLs, the one-shot callback listener on 127.0.0.1 (a few browser
 * connections at once, each with its own deadline, heads capped at
 * OAUTH_CALLBACK_MAX) raced against a pasted line on stdin, token-endpoint
 * account-endpoint calls through the libcurl layer.
 * Refuses: non-GET callbacks, a state that does not match, bodies > 8 MiB.
 */
#include "auth/oauth.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/refresh.h"
#include "core/arena.h"
#include "core/conn.h"
#include "core/buf.h"
#include "core/http_req.h"
#include "core/parse.h"
#include "providers/upstream.h"

extern char **environ;

#define OAUTH_MAX_CONNS 8          /* browser connections served at once */
#define OAUTH_CONN_DEADLINE_MS 10000 /* one connection's head must arrive in this */
#define OAUTH_PASTE_MAX (64 * 1024)  /* one pasted line */

/* ---- Random values and base64url ---------------------------------------- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url of <p,n> (n <= 32) into out, NUL-terminated. */
static void b64url_small(const unsigned char *p, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = 0;
}

static int random_b64(char out[OAUTH_RANDOM_LEN])
{
	unsigned char r[32];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -EIO;
	b64url_small(r, sizeof(r), out);
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

void oauth_pkce_challenge(const char *verifier, size_t n, char out[OAUTH_RANDOM_LEN])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(verifier, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		out[0] = 0;
		return;
	}
	b64url_small(md, sizeof(md), out);
}

int oauth_pkce_new(struct oauth_pkce *p)
{
	int r = random_b64(p->verifier);

	if (r < 0)
		return r;
	oauth_pkce_challenge(p->verifier, strlen(p->verifier), p->challenge);
	return p->challenge[0] ? 0 : -EIO;
}

int oauth_random_state(char out[OAUTH_RANDOM_LEN])
{
	return random_b64(out);
}

/* ---- Form encoding ------------------------------------------------------ */

char *oauth_url(struct arena *a, const char *base, const char *const *kv)
{
	struct buf q, u;

	buf_init(&q, a, 64 * 1024);
	for (; kv[0]; kv += 2)
		if (kv[1])
			auth_form_add(&q, kv[0], kv[1]);
	buf_init(&u, a, 80 * 1024);
	buf_adds(&u, base);
	if (q.len) {
		buf_addc(&u, strchr(base, '?') ? '&' : '?');
		buf_add(&u, q.p, q.len);
	}
	return q.err || u.err ? NULL : u.p;
}

void oauth_printable(char *out, size_t outsz, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (outsz == 0)
		return;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (o + 8 > outsz) {
			if (o + 4 <= outsz) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = 0;
}

bool oauth_streq_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* ---- Parsing what the browser or the user sends back -------------------- */

static void read_query(const char *query, struct arena *a, struct oauth_cb *ret)
{
	struct http_request *r = arena_zalloc(a, sizeof(*r));

	memset(ret, 0, sizeof(*ret));
	if (!r)
		return;
	r->query = query;
	ret->code = http_req_query(r, "code", a);
	ret->state = http_req_query(r, "state", a);
	ret->error = http_req_query(r, "error", a);
	ret->error_description = http_req_query(r, "error_description", a);
	if (ret->code && !*ret->code)
		ret->code = NULL;
	if (ret->state && !*ret->state)
		ret->state = NULL;
	if (ret->error && !*ret->error)
		ret->error = NULL;
}

int oauth_callback_parse(const char *p, size_t n, const char *path, struct arena *a,
			 struct oauth_cb *ret)
{
	struct http_req_parser *hp = arena_zalloc(a, sizeof(*hp));
	size_t used;
	int r;

	if (!hp)
		return -ENOMEM;
	if (n > OAUTH_CALLBACK_MAX)
		return -E2BIG;
	http_req_init(hp, a);
	/* A callback is a GET: a claimed body is refused at the head, never
	   reserved (fuzz: corpus/oauth_callback/repro-big-content-length). */
	http_req_set_body_max(hp, OAUTH_CALLBACK_MAX);
	r = http_req_push(hp, p, n, &used);
	if (r == -E2BIG)
		return -E2BIG;
	if (r < 0)
		return r == -ENOMEM ? -ENOMEM : -EBADMSG;
	if (r == HTTP_REQ_MORE)
		return n >= OAUTH_CALLBACK_MAX ? -E2BIG : -EAGAIN;
	if (strcmp(hp->req.path, path) != 0)
		return -ENOENT;
	if (strcmp(hp->req.method, "GET") != 0)
		return -EBADMSG;
	read_query(hp->req.query, a, ret);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int oauth_paste_parse(const char *s, size_t n, struct arena *a, struct oauth_cb *ret)
{
	const char *q;
	char *line, *hash;

	while (n > 0 && is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	memset(ret, 0, sizeof(*ret));
	if (n == 0)
		return -ENODATA;
	line = arena_strndup(a, s, n);
	if (!line)
		return -ENOMEM;
	if (strlen(line) != n)
		return -EINVAL; /* a NUL byte */
	q = strchr(line, '?');
	if (!q && (strncmp(line, "code=", 5) == 0 || strncmp(line, "error=", 6) == 0 ||
		   strncmp(line, "state=", 6) == 0))
		q = line - 1;
	if (q) {
		char *query = arena_strdup(a, q + 1);
		if (!query)
			return -ENOMEM;
		hash = strchr(query, '#');
		if (hash)
			*hash = 0;
		read_query(query, a, ret);
		return ret->code || ret->error ? 0 : -EINVAL;
	}
	if (strstr(line, "://"))
		return -EINVAL; /* an address without the answer in it */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] <= ' ' || line[i] == 0x7f)
			return -EINVAL;
	hash = strchr(line, '#');
	if (hash) {
		*hash = 0;
		ret->state = hash[1] ? hash + 1 : NULL;
	}
	ret->code = line[0] ? line : NULL;
	return ret->code ? 0 : -EINVAL;
}

/* ---- The callback listener ---------------------------------------------- */

int oauth_listen(int port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	if (port <= 0 || port > 65535)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 16) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

struct pending {
	int fd;
	int64_t deadline;
	char *in;
	size_t len;
};

static void html_escape(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '&': buf_adds(b, "&amp;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default:
			if ((unsigned char)*s >= ' ' && *s != 0x7f)
				buf_addc(b, *s);
		}
	}
}

/* Answer one browser request and close it.  ok: the success page. */
static void answer(int fd, struct arena *a, int status, const char *title, const char *detail)
{
	struct buf body, all;
	struct timeval tv = { .tv_sec = 2 };
	size_t off = 0;

	buf_init(&body, a, 16 * 1024);
	buf_adds(&body, "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
			"<title>cliproxy login</title></head>\n"
			"<body style=\"font-family:sans-serif;margin:3em\">\n<h1>");
	html_escape(&body, title);
	buf_adds(&body, "</h1>\n<p>");
	html_escape(&body, detail);
	buf_adds(&body, "</p>\n<p>You can close this tab and return to the terminal.</p>\n"
			"</body></html>\n");
	buf_init(&all, a, 20 * 1024);
	buf_addf(&all, "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
		       "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
		 status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request", body.len);
	buf_add(&all, body.p, body.len);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (!all.err && off < all.len) {
		ssize_t w = send(fd, all.p + off, all.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	close(fd);
}

/* Judge an answer.  from_browser: a redirect must carry our state; a pasted
   bare code may come without one (there is nothing to forge it with). */
static int judge(const struct oauth_cb *cb, const char *state, bool from_browser, char *why,
		 size_t whysz)
{
	char e1[128], e2[256];
	bool bad_state;

	/* A state that is there must be ours; a browser redirect must carry
	   one, unless it only reports an error (some providers drop it then). */
	if (cb->state)
		bad_state = !state || !oauth_streq_ct(cb->state, state);
	else
		bad_state = from_browser && !cb->error;
	if (bad_state) {
		snprintf(why, whysz, "the answer's state does not match this login (a stale browser tab, "
				     "or a redirect this login did not start)");
		return -EPERM;
	}
	if (cb->error) {
		oauth_printable(e1, sizeof(e1), cb->error);
		if (cb->error_description)
			oauth_printable(e2, sizeof(e2), cb->error_description);
		snprintf(why, whysz, "the provider refused the login: %s%s%s%s", e1,
			 cb->error_description ? " (" : "", cb->error_description ? e2 : "",
			 cb->error_description ? ")" : "");
		return -EACCES;
	}
	if (!cb->code) {
		snprintf(why, whysz, "the answer holds no authorization code");
		return -ENODATA;
	}
	return 0;
}

static void drop(struct pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->len = 0;
}

int oauth_wait_code(const struct oauth_wait *w, struct arena *a, struct oauth_cb *ret,
		    char *why, size_t whysz)
{
	struct pending conns[OAUTH_MAX_CONNS];
	struct buf paste;
	int paste_fd = w->paste_fd, r;
	int64_t end = now_ms() + (int64_t)w->timeout_s * 1000;

	why[0] = 0;
	memset(ret, 0, sizeof(*ret));
	buf_init(&paste, a, OAUTH_PASTE_MAX);
	for (int i = 0; i < OAUTH_MAX_CONNS; i++) {
		conns[i].fd = -1;
		conns[i].len = 0;
		conns[i].in = NULL;
	}
	for (;;) {
		struct pollfd pf[OAUTH_MAX_CONNS + 2];
		int slot[OAUTH_MAX_CONNS + 2];
		int np = 0;
		int64_t now = now_ms(), wait = end - now;

		if (wait <= 0) {
			snprintf(why, whysz, "no answer within %d s", w->timeout_s);
			r = -ETIMEDOUT;
			goto out;
		}
		if (w->listen_fd >= 0) {
			pf[np] = (struct pollfd){ .fd = w->listen_fd, .events = POLLIN };
			slot[np++] = -1;
		}
		if (paste_fd >= 0) {
			pf[np] = (struct pollfd){ .fd = paste_fd, .events = POLLIN };
			slot[np++] = -2;
		}
		for (int i = 0; i < OAUTH_MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			if (conns[i].deadline <= now) {
				drop(&conns[i]);
				continue;
			}
			if (conns[i].deadline - now < wait)
				wait = conns[i].deadline - now;
			pf[np] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
			slot[np++] = i;
		}
		if (np == 0) {
			snprintf(why, whysz, "nothing left to wait on (no listener, input closed)");
			r = -ETIMEDOUT;
			goto out;
		}
		r = poll(pf, (nfds_t)np, wait > 60000 ? 60000 : (int)wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			snprintf(why, whysz, "poll: %s", strerror(-r));
			goto out;
		}
		for (int k = 0; k < np; k++) {
			if (!pf[k].revents)
				continue;
			if (slot[k] == -1) {
				int fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
				int i, oldest = 0;
				if (fd < 0)
					continue;
				for (i = 0; i < OAUTH_MAX_CONNS && conns[i].fd >= 0; i++)
					if (conns[i].deadline < conns[oldest].deadline)
						oldest = i;
				if (i == OAUTH_MAX_CONNS) {
					drop(&conns[oldest]);
					i = oldest;
				}
				if (!conns[i].in)
					conns[i].in = arena_alloc(a, OAUTH_CALLBACK_MAX);
				if (!conns[i].in) {
					close(fd);
					continue;
				}
				conns[i].fd = fd;
				conns[i].len = 0;
				conns[i].deadline = now_ms() + OAUTH_CONN_DEADLINE_MS;
			} else if (slot[k] == -2) {
				char tmp[4096];
				ssize_t got = read(paste_fd, tmp, sizeof(tmp));
				char *nl;
				if (got < 0 && (errno == EINTR || errno == EAGAIN))
					continue;
				if (got <= 0) {
					paste_fd = -1; /* EOF: keep waiting for the browser */
					if (paste.len == 0)
						continue;
					buf_addc(&paste, '\n');
				} else if (buf_add(&paste, tmp, (size_t)got) < 0) {
					buf_reset(&paste);
					fprintf(stderr, "cliproxy: pasted line too long, ignored\n");
					continue;
				}
				while ((nl = memchr(paste.p, '\n', paste.len)) != NULL) {
					size_t ll = (size_t)(nl - paste.p);
					int pr = oauth_paste_parse(paste.p, ll, a, ret);
					buf_consume(&paste, ll + 1);
					if (pr == -ENODATA)
						continue;
					if (pr < 0) {
						fprintf(stderr, "cliproxy: that is neither the redirect address nor "
								"a code; paste the whole address the browser "
								"ended at\n");
						continue;
					}
					r = judge(ret, w->state, false, why, whysz);
					goto out;
				}
			} else {
				struct pending *p = &conns[slot[k]];
				ssize_t got = recv(p->fd, p->in + p->len, OAUTH_CALLBACK_MAX - p->len, 0);
				int pr;
				if (got < 0 && errno == EINTR)
					continue;
				if (got <= 0) {
					drop(p);
					continue;
				}
				p->len += (size_t)got;
				pr = oauth_callback_parse(p->in, p->len, w->path, a, ret);
				if (pr == -EAGAIN)
					continue;
				if (pr == -ENOENT) {
					answer(p->fd, a, 404, "Not found",
					       "This is the cliproxy login callback; nothing else lives here.");
					p->fd = -1;
					continue;
				}
				if (pr < 0) {
					answer(p->fd, a, 400, "Bad request", "That request could not be read.");
					p->fd = -1;
					continue;
				}
				r = judge(ret, w->state, true, why, whysz);
				if (r == 0)
					answer(p->fd, a, 200, "Login complete",
					       "cliproxy received the authorization and is saving the "
					       "credential.");
				else
					answer(p->fd, a, 400, "Login failed", why);
				p->fd = -1;
				goto out;
			}
		}
	}
out:
	for (int i = 0; i < OAUTH_MAX_CONNS; i++)
		drop(&conns[i]);
	return r;
}

/* ---- HTTP calls ---------------------------------------------------------- */

struct collect {
	struct buf *b;
};

static int collect_data(void *arg, const char *p, size_t n)
{
	struct collect *c = arg;

	return buf_add(c->b, p, n) < 0 ? -E2BIG : 0;
}

int oauth_http_call(struct arena *a, const struct oauth_http *h, struct oauth_http_resp *ret)
{
	struct upstream_req u;
	struct upstream_result res;
	struct upstream_cb cb;
	struct collect c;
	struct buf body;
	int r;

	memset(ret, 0, sizeof(*ret));
	memset(&u, 0, sizeof(u));
	u.url = h->url;
	u.method = h->method ? h->method : h->body ? "POST" : "GET";
	u.body = h->body;
	u.body_len = h->body_len;
	u.proxy = h->proxy;
	if (h->content_type)
		upstream_header(&u, a, "Content-Type", h->content_type);
	upstream_header(&u, a, "Accept", "application/json");
	if (h->bearer) {
		char *v = arena_printf(a, "Bearer %s", h->bearer);
		if (!v)
			return -ENOMEM;
		upstream_header(&u, a, "Authorization", v);
	}
	for (int i = 0; i < h->nheaders && i < 8; i++) {
		const char *colon = strchr(h->headers[i], ':');
		char *name;
		if (!colon)
			continue;
		name = arena_strndup(a, h->headers[i], (size_t)(colon - h->headers[i]));
		if (!name)
			return -ENOMEM;
		colon++;
		while (*colon == ' ')
			colon++;
		upstream_header(&u, a, name, colon);
	}
	buf_init(&body, a, OAUTH_HTTP_MAX_BODY);
	c.b = &body;
	memset(&cb, 0, sizeof(cb));
	cb.arg = &c;
	cb.on_data = collect_data;
	r = upstream_perform(NULL, a, &u, &cb, &res);
	ret->status = res.status;
	if (r < 0) {
		ret->what = r == -E2BIG ? "answer too large" : res.what ? res.what : strerror(-r);
		return r;
	}
	ret->body = body.p ? body.p : arena_strdup(a, "");
	ret->len = body.len;
	if (ret->len && json_parse(&ret->j, a, ret->body, ret->len) == 0 &&
	    json_kind(&ret->j, 0) == JSON_OBJECT)
		ret->json_ok = true;
	return 0;
}

const char *oauth_http_error(struct arena *a, const struct oauth_http_resp *r)
{
	char e1[160] = "", e2[320] = "";
	const char *err = NULL, *desc = NULL;

	if (r->status == 0)
		return arena_printf(a, "no answer (%s)", r->what ? r->what : "transport error");
	if (r->json_ok) {
		int e = json_get(&r->j, 0, "error");
		if (json_kind(&r->j, e) == JSON_STRING) {
			err = json_str(&r->j, e, a, NULL);
			desc = json_gets(&r->j, 0, "error_description", a);
		} else if (json_kind(&r->j, e) == JSON_OBJECT) {
			err = json_gets(&r->j, e, "status", a);
			if (!err)
				err = json_gets(&r->j, e, "type", a);
			desc = json_gets(&r->j, e, "message", a);
		}
		if (!desc)
			desc = json_gets(&r->j, 0, "message", a);
	}
	if (err)
		oauth_printable(e1, sizeof(e1), err);
	if (desc)
		oauth_printable(e2, sizeof(e2), desc);
	return arena_printf(a, "HTTP %d%s%s%s%s", r->status, err ? ": " : "", e1,
			    desc ? (err ? " - " : ": ") : "", e2);
}

const char *oauth_token_error(struct arena *a, const struct auth_token *t)
{
	char e1[160] = "", e2[320] = "";

	if (t->status == 0)
		return arena_printf(a, "no answer (%s)", t->what ? t->what : "transport error");
	if (t->error)
		oauth_printable(e1, sizeof(e1), t->error);
	if (t->error_description)
		oauth_printable(e2, sizeof(e2), t->error_description);
	if (!t->error && !t->error_description && t->status >= 200 && t->status < 300)
		return arena_printf(a, "HTTP %d without an access token", t->status);
	return arena_printf(a, "HTTP %d%s%s%s%s", t->status, t->error ? ": " : "", e1,
			    t->error_description ? (t->error ? " - " : ": ") : "", e2);
}

int oauth_timeout_s(int dflt)
{
	const char *v = getenv("CLIPROXY_LOGIN_TIMEOUT");
	uint64_t n;

	if (v && *v && parse_u64(v, strlen(v), 86400, &n) == 0 && n > 0)
		return (int)n;
	return dflt;
}

int oauth_open_browser(const char *url)
{
	posix_spawn_file_actions_t fa;
	char *argv[3];
	pid_t pid;
	int r;
#ifdef __APPLE__
	argv[0] = (char *)"open";
#else
	const char *d = getenv("DISPLAY"), *wd = getenv("WAYLAND_DISPLAY");

	if ((!d || !*d) && (!wd || !*wd))
		return -ENOENT;
	argv[0] = (char *)"xdg-open";
#endif
	argv[1] = strdup(url);
	argv[2] = NULL;
	if (!argv[1])
		return -ENOMEM;
	if (posix_spawn_file_actions_init(&fa) != 0) {
		free(argv[1]);
		return -ENOMEM;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(argv[1]);
	if (r != 0)
		return -ENOENT;
	/* xdg-open returns at once after handing the URL on; reap it if so. */
	usleep(200 * 1000);
	if (waitpid(pid, &r, WNOHANG) == pid && (!WIFEXITED(r) || WEXITSTATUS(r) != 0))
		return -ENOENT;
	return 0;
}
