/*
 * passthrough.c - filtered upstream response headers (see passthrough.h).
 * Bounded by UPSTREAM_MAX_HEADERS lines as collected by upstream.c.
 */
#include "providers/passthrough.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "providers/upstream.h"

static const char *const dropped[] = {
	/* hop-by-hop (RFC 9110 §7.6.1) */
	"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
	"te", "trailer", "transfer-encoding", "upgrade",
	"set-cookie", "content-length", "content-encoding",
	/* written by cliproxy itself */
	"content-type", "cache-control", "access-control-allow-origin",
};

static const char *const prefixes[] = {
	"x-litellm-", "helicone-", "x-portkey-", "cf-aig-", "x-kong-", "x-bt-",
};

/* Is name (of length n) a token of the Connection header's value? */
static bool named_in_connection(const char *conn, const char *name, size_t n)
{
	while (conn && *conn) {
		size_t len;

		conn += strspn(conn, " \t,");
		len = strcspn(conn, " \t,");
		if (len == n && strncasecmp(conn, name, n) == 0)
			return true;
		conn += len;
	}
	return false;
}

const char *passthrough_headers(struct arena *a, const struct upstream_resp *r)
{
	const char *conn = upstream_resp_header(r, "connection");
	struct buf b;

	buf_init(&b, a, 64 * 1024);
	for (int i = 0; i < r->nheaders; i++) {
		const char *h = r->headers[i], *colon = strchr(h, ':');
		size_t n = colon ? (size_t)(colon - h) : 0;
		bool keep = n > 0 && !strpbrk(h, "\r\n");

		for (size_t k = 0; keep && k < sizeof(dropped) / sizeof(*dropped); k++)
			if (strlen(dropped[k]) == n && strncasecmp(h, dropped[k], n) == 0)
				keep = false;
		for (size_t k = 0; keep && k < sizeof(prefixes) / sizeof(*prefixes); k++)
			if (strncasecmp(h, prefixes[k], strlen(prefixes[k])) == 0)
				keep = false;
		if (keep && named_in_connection(conn, h, n))
			keep = false;
		if (keep)
			buf_addf(&b, "%s\r\n", h);
	}
	return b.err || b.len == 0 ? NULL : arena_strndup(a, b.p, b.len);
}
