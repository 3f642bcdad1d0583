/*
 * http_req.c - HTTP/1.1 request parser: bytes are pushed in any split and the
 * outcome never depends on the split.  Refuses what RFC 9112 lets a server
 * refuse (bare CR, obs-fold, CL with TE, unknown codings, bad versions), with
 * the status in p->status.  Caps from core/limits.h; "head bytes" are every
 * byte before HEAD, leading empty lines and line ends included.
 */
#include "core/http_req.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/parse.h"

enum {
	S_REQLINE,    /* request line; leading empty lines skipped */
	S_HEADER,     /* header lines up to the empty one */
	S_BODY,       /* Content-Length body: chunk_left bytes to go */
	S_CHUNK_SIZE, /* chunk-size [; extensions] line */
	S_CHUNK_DATA, /* chunk_left bytes of chunk data */
	S_CHUNK_END,  /* the CRLF after chunk data */
	S_TRAILER,    /* trailer lines up to the empty one */
	S_DONE,
	S_ERROR,
};
#define ST_CR 0x100 /* or'ed into state: a CR was seen, the next byte must be LF */

static int status_errno(int status)
{
	switch (status) {
	case 413:
	case 414:
	case 431:
		return -E2BIG;
	case 500:
		return -ENOMEM;
	case 501:
		return -EOPNOTSUPP;
	case 505:
		return -EPROTONOSUPPORT;
	default:
		return -EBADMSG;
	}
}

static int fail(struct http_req_parser *p, int status, const char *why)
{
	p->state = S_ERROR;
	p->status = status;
	p->why = why;
	return status_errno(status);
}

static int is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

/* Control characters other than HTAB (and DEL) are refused in field values. */
static int is_bad_ctl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

void http_req_init(struct http_req_parser *p, struct arena *a)
{
	memset(p, 0, sizeof(*p));
	p->arena = a;
	p->state = S_REQLINE;
	p->body_max = LIMIT_BODY_BYTES;
	p->req.path = "";
	p->req.query = "";
	p->req.content_length = -1;
	buf_init(&p->req.body, a, 0);
	buf_init(&p->line, a, LIMIT_HEADER_BYTES);
}

void http_req_set_body_max(struct http_req_parser *p, int64_t max)
{
	if (max < 0)
		max = 0;
	if (max > LIMIT_BODY_BYTES)
		max = LIMIT_BODY_BYTES;
	p->body_max = max;
}

/*
 * Take bytes of one line into p->line (without its CR LF or LF).  Returns 1
 * when the line is complete, 0 when all n bytes were taken, < 0 on error;
 * *used = bytes taken.  p->head_bytes counts every byte against the state's
 * byte cap (431); the line length has its own cap (414 request line, 400
 * chunk-size line).  When one byte breaks both caps the byte cap wins, so
 * the result is the same whatever the split.
 */
static int take_line(struct http_req_parser *p, const char *d, size_t n, size_t *used)
{
	int st = p->state & ~ST_CR;
	size_t line_cap = SIZE_MAX, byte_cap = LIMIT_HEADER_BYTES;
	int line_status = 400;
	const char *line_why = "chunk-size line too long";
	size_t i = 0;

	if (st == S_REQLINE) {
		line_cap = LIMIT_REQUEST_LINE;
		line_status = 414;
		line_why = "request line too long";
	} else if (st == S_CHUNK_SIZE) {
		line_cap = LIMIT_CHUNK_LINE;
		byte_cap = SIZE_MAX;
	}
	while (i < n) {
		unsigned char c = (unsigned char)d[i];
		size_t j, run, room_b, room_l;

		if (c == '\r' || c == '\n' || (p->state & ST_CR)) {
			if (p->head_bytes >= byte_cap)
				return fail(p, 431, st == S_TRAILER ? "trailers too large" :
								      "request head too large");
			p->head_bytes++;
			i++;
			if (p->state & ST_CR) {
				p->state &= ~ST_CR;
				if (c != '\n')
					return fail(p, 400, "bare CR");
			} else if (c == '\r') {
				p->state |= ST_CR;
				continue;
			}
			*used = i;
			return 1;
		}
		for (j = i; j < n && d[j] != '\r' && d[j] != '\n'; j++)
			;
		run = j - i;
		room_b = byte_cap - p->head_bytes;
		room_l = line_cap - p->line.len;
		if (run > room_b || run > room_l) {
			if (room_b <= room_l)
				return fail(p, 431, st == S_TRAILER ? "trailers too large" :
								      "request head too large");
			return fail(p, line_status, line_why);
		}
		if (buf_add(&p->line, d + i, run) < 0)
			return fail(p, 500, "out of memory");
		p->head_bytes += run;
		i = j;
	}
	*used = i;
	return 0;
}

/* Target forms: origin "/p?q", "*" (OPTIONS only), absolute "http[s]://host/p?q"
   (path and query taken from the part after the authority). */
static int set_target(struct http_req_parser *p, const char *t, size_t n, int options)
{
	struct http_request *r = &p->req;
	const char *o = t, *q;
	size_t on = n, pn;

	if (memchr(t, '#', n))
		return fail(p, 400, "fragment in request target");
	if (t[0] == '/') {
		/* origin-form */
	} else if (n == 1 && t[0] == '*') {
		if (!options)
			return fail(p, 400, "'*' target is for OPTIONS only");
	} else if (strn_caseprefix(t, n, "http://") || strn_caseprefix(t, n, "https://")) {
		size_t k = t[4] == ':' ? 7 : 8, a;

		for (a = k; a < n && t[a] != '/' && t[a] != '?'; a++)
			;
		if (a == k)
			return fail(p, 400, "empty authority in request target");
		o = t + a;
		on = n - a;
	} else {
		return fail(p, 400, "bad request target");
	}
	r->target = arena_strndup(p->arena, t, n);
	q = memchr(o, '?', on);
	pn = q ? (size_t)(q - o) : on;
	r->path = pn ? arena_strndup(p->arena, o, pn) : "/";
	r->query = q ? arena_strndup(p->arena, q + 1, on - pn - 1) : "";
	if (!r->target || !r->path || !r->query)
		return fail(p, 500, "out of memory");
	return 0;
}

/* method SP target SP HTTP/x.y, nothing more, nothing less. */
static int on_request_line(struct http_req_parser *p, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	struct http_request *r = &p->req;
	size_t m = 0, t, tn = 0, vn;
	const char *v;
	int options;

	while (m < n && is_tchar(u[m]))
		m++;
	if (m == 0 || m == n || u[m] != ' ')
		return fail(p, 400, "bad method");
	t = m + 1;
	while (t + tn < n && u[t + tn] > 0x20 && u[t + tn] < 0x7f)
		tn++;
	if (tn == 0 || t + tn == n || u[t + tn] != ' ')
		return fail(p, 400, "bad request target");
	v = s + t + tn + 1;
	vn = n - (t + tn + 1);
	if (vn != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
	    v[6] != '.' || v[7] < '0' || v[7] > '9')
		return fail(p, 400, "bad HTTP version");
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return fail(p, 505, "HTTP version not supported");
	r->version = v[7] == '1' ? 11 : 10;
	options = m == 7 && memcmp(s, "OPTIONS", 7) == 0;
	r->method = arena_strndup(p->arena, s, m);
	if (!r->method)
		return fail(p, 500, "out of memory");
	return set_target(p, s + t, tn, options);
}

/* name ":" OWS value OWS; h == NULL only checks (trailers). */
static int on_field(struct http_req_parser *p, const char *s, size_t n, struct http_header *h)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = 0, a, b, i;

	if (is_ows(u[0]))
		return fail(p, 400, "obsolete line folding");
	while (k < n && is_tchar(u[k]))
		k++;
	if (k < n && is_ows(u[k]))
		return fail(p, 400, "whitespace before colon");
	if (k == 0 || k == n || u[k] != ':')
		return fail(p, 400, "bad header name");
	for (i = k + 1; i < n; i++)
		if (is_bad_ctl(u[i]))
			return fail(p, 400, "control character in header");
	if (!h)
		return 0;
	for (a = k + 1; a < n && is_ows(u[a]); a++)
		;
	for (b = n; b > a && is_ows(u[b - 1]); b--)
		;
	h->name = arena_strndup(p->arena, s, k);
	h->value = arena_strndup(p->arena, s + a, b - a);
	if (!h->name || !h->value)
		return fail(p, 500, "out of memory");
	h->name_len = k;
	h->value_len = b - a;
	return 0;
}

/* Connection is a comma list of tokens; we care about two. */
static void connection_tokens(const char *s, size_t n, int *close, int *keep)
{
	size_t i = 0, a, b;

	while (i < n) {
		while (i < n && (is_ows((unsigned char)s[i]) || s[i] == ','))
			i++;
		for (a = i; i < n && s[i] != ','; i++)
			;
		for (b = i; b > a && is_ows((unsigned char)s[b - 1]); b--)
			;
		if (strn_caseeq(s + a, b - a, "close"))
			*close = 1;
		else if (strn_caseeq(s + a, b - a, "keep-alive"))
			*keep = 1;
	}
}

/*
 * The empty line: decide the body framing.  Order of refusals: differing
 * Content-Length (400), CL with TE (400), TE other than exactly one
 * "chunked" (501), CL syntax (400), CL over the body cap (413), an Expect
 * other than 100-continue (417).
 */
static int finish_head(struct http_req_parser *p)
{
	struct http_request *r = &p->req;
	const struct http_header *cl = NULL;
	int nte = 0, te_ok = 1, close = 0, keep = 0, cont = 0, expect_bad = 0, i, e;
	uint64_t len = 0;

	for (i = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i];

		if (strn_caseeq(h->name, h->name_len, "content-length")) {
			if (cl && (cl->value_len != h->value_len ||
				   memcmp(cl->value, h->value, h->value_len) != 0))
				return fail(p, 400, "conflicting Content-Length");
			cl = h;
		} else if (strn_caseeq(h->name, h->name_len, "transfer-encoding")) {
			nte++;
			if (!strn_caseeq(h->value, h->value_len, "chunked"))
				te_ok = 0;
		} else if (strn_caseeq(h->name, h->name_len, "connection")) {
			connection_tokens(h->value, h->value_len, &close, &keep);
		} else if (strn_caseeq(h->name, h->name_len, "expect")) {
			if (strn_caseeq(h->value, h->value_len, "100-continue"))
				cont = 1;
			else
				expect_bad = 1;
		}
	}
	if (cl && nte)
		return fail(p, 400, "Content-Length with Transfer-Encoding");
	if (nte && (nte > 1 || !te_ok))
		return fail(p, 501, "unsupported Transfer-Encoding");
	if (cl) {
		e = parse_u64(cl->value, cl->value_len, UINT64_MAX, &len);
		if (e == -ERANGE)
			return fail(p, 413, "body too large");
		if (e < 0)
			return fail(p, 400, "bad Content-Length");
		if (len > (uint64_t)p->body_max)
			return fail(p, 413, "body too large");
	}
	if (expect_bad)
		return fail(p, 417, "unsupported Expect");

	r->content_length = cl ? (int64_t)len : -1;
	r->chunked = nte > 0;
	r->keep_alive = r->version == 11 ? !close : keep && !close;
	if (r->chunked && r->version == 10)
		r->keep_alive = false; /* RFC 9112 6.1: framing is suspect, close after */
	r->expect_continue = cont && r->version == 11; /* RFC 9110 10.1.1 */
	r->head_bytes = p->head_bytes;
	buf_init(&r->body, p->arena, (size_t)p->body_max);
	if (len && buf_reserve(&r->body, (size_t)len) < 0)
		return fail(p, 500, "out of memory");
	p->chunk_left = len;
	p->head_bytes = 0;
	p->state = r->chunked ? S_CHUNK_SIZE : S_BODY;
	return HTTP_REQ_HEAD;
}

/* hex [BWS] [";" extensions]; the size may not push the body over its cap. */
static int on_chunk_size(struct http_req_parser *p, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = 0, i;
	uint64_t v;
	int e;

	while (k < n && is_hex(u[k]))
		k++;
	if (k == 0)
		return fail(p, 400, "bad chunk size");
	for (i = k; i < n && is_ows(u[i]); i++)
		;
	if (i < n && u[i] != ';')
		return fail(p, 400, "bad chunk size");
	for (; i < n; i++)
		if (is_bad_ctl(u[i]))
			return fail(p, 400, "control character in chunk extension");
	/* Cap checked here, not by parse_hex_u64(): its max must be >= 15. */
	e = parse_hex_u64(s, k, UINT64_MAX, &v);
	if (e == -ERANGE || v > (uint64_t)p->body_max - p->req.body.len)
		return fail(p, 413, "body too large");
	if (e < 0)
		return fail(p, 400, "bad chunk size");
	p->chunk_left = v;
	p->head_bytes = 0;
	p->state = v ? S_CHUNK_DATA : S_TRAILER;
	return 0;
}

/* A complete line is in p->line: act on it by state. */
static int on_line(struct http_req_parser *p)
{
	struct http_request *r = &p->req;
	const char *s = p->line.p;
	size_t n = p->line.len;
	int e;

	switch (p->state) {
	case S_REQLINE:
		if (n == 0)
			return 0; /* RFC 9112 2.2: ignore empty lines before a request */
		e = on_request_line(p, s, n);
		if (e < 0)
			return e;
		p->state = S_HEADER;
		return 0;
	case S_HEADER:
		if (n == 0)
			return finish_head(p);
		if (r->nheaders >= LIMIT_HEADER_COUNT)
			return fail(p, 431, "too many header fields");
		e = on_field(p, s, n, &r->headers[r->nheaders]);
		if (e < 0)
			return e;
		r->nheaders++;
		return 0;
	case S_CHUNK_SIZE:
		return on_chunk_size(p, s, n);
	case S_TRAILER:
		if (n == 0) {
			p->state = S_DONE;
			return 0;
		}
		return on_field(p, s, n, NULL); /* checked, then dropped */
	default:
		return fail(p, 500, "parser state");
	}
}

int http_req_push(struct http_req_parser *p, const char *data, size_t n, size_t *ret_consumed)
{
	size_t i = 0, used, take;
	int r;

	for (;;) {
		switch (p->state & ~ST_CR) {
		case S_ERROR:
			return status_errno(p->status);
		case S_DONE:
			*ret_consumed = i;
			return HTTP_REQ_DONE;
		case S_BODY:
		case S_CHUNK_DATA:
			if (p->chunk_left == 0) {
				p->state = p->state == S_BODY ? S_DONE : S_CHUNK_END;
				continue;
			}
			if (i == n)
				goto more;
			take = n - i;
			if (take > p->chunk_left)
				take = (size_t)p->chunk_left;
			if (buf_add(&p->req.body, data + i, take) < 0)
				return fail(p, 500, "out of memory");
			i += take;
			p->chunk_left -= take;
			continue;
		case S_CHUNK_END:
			if (i == n)
				goto more;
			if (p->state & ST_CR) {
				if (data[i] != '\n')
					return fail(p, 400, "missing CRLF after chunk data");
				p->state = S_CHUNK_SIZE;
			} else if (data[i] == '\r') {
				p->state |= ST_CR;
			} else if (data[i] == '\n') {
				p->state = S_CHUNK_SIZE;
			} else {
				return fail(p, 400, "missing CRLF after chunk data");
			}
			i++;
			continue;
		default:
			if (i == n)
				goto more;
			r = take_line(p, data + i, n - i, &used);
			if (r < 0)
				return r;
			i += used;
			if (r == 0)
				continue;
			r = on_line(p);
			buf_reset(&p->line);
			if (r < 0)
				return r;
			if (r == HTTP_REQ_HEAD) {
				*ret_consumed = i;
				return HTTP_REQ_HEAD;
			}
			continue;
		}
	}
more:
	*ret_consumed = i;
	return HTTP_REQ_MORE;
}

const char *http_req_header(const struct http_request *r, const char *name)
{
	int i;

	for (i = 0; i < r->nheaders; i++)
		if (strn_caseeq(r->headers[i].name, r->headers[i].name_len, name))
			return r->headers[i].value;
	return NULL;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* Next decoded byte of <*s,end>: '+' is a space, %XX a byte; "%00" and
   malformed escapes stay as they are. */
static unsigned char qdec(const char **s, const char *end)
{
	const unsigned char *u = (const unsigned char *)*s;

	if (u[0] == '+') {
		(*s)++;
		return ' ';
	}
	if (u[0] == '%' && end - *s >= 3 && is_hex(u[1]) && is_hex(u[2]) &&
	    (u[1] != '0' || u[2] != '0')) {
		*s += 3;
		return (unsigned char)(hexval(u[1]) * 16 + hexval(u[2]));
	}
	(*s)++;
	return u[0];
}

char *http_req_query(const struct http_request *r, const char *name, struct arena *a)
{
	const char *q = r->query, *end, *amp, *eq, *k;
	const unsigned char *want = (const unsigned char *)name;
	char *out;
	size_t o;

	if (!q)
		return NULL;
	end = q + strlen(q);
	for (; q < end; q = amp + 1) {
		amp = memchr(q, '&', (size_t)(end - q));
		if (!amp)
			amp = end;
		eq = memchr(q, '=', (size_t)(amp - q));
		if (!eq)
			eq = amp;
		if (eq == q)
			continue; /* empty name: "&&", "=x" */
		for (k = q, o = 0; k < eq && want[o] && qdec(&k, eq) == want[o]; o++)
			;
		if (k != eq || want[o])
			continue;
		k = eq < amp ? eq + 1 : amp;
		out = arena_alloc(a, (size_t)(amp - k) + 1);
		if (!out)
			return NULL;
		for (o = 0; k < amp; o++)
			out[o] = (char)qdec(&k, amp);
		out[o] = 0;
		return out;
	}
	return NULL;
}
