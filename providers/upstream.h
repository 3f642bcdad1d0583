/*
 * upstream.h - the one libcurl layer every provider goes through.
 *
 * libcurl is initialised lazily (requests that never go upstream never pay
 * for it).  TLS verification is always on; certificates come from
 * CURLOPT_CAPATH=/etc/ssl/certs (hashed: only the needed root is read)
 * instead of parsing the whole bundle per process.  Response bodies are
 * handed to on_data as they arrive; the client connection is watched during
 * the transfer, and a client that goes away aborts the upstream at once.
 */
#ifndef CLIPROXY_UPSTREAM_H
#define CLIPROXY_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct conn;

#define UPSTREAM_MAX_HEADERS 64

struct upstream_req {
	const char *method; /* "POST" (default when body set) or "GET" */
	const char *url;
	const char *headers[UPSTREAM_MAX_HEADERS]; /* "Name: value" */
	int nheaders;
	const char *body;
	size_t body_len;
	const char *proxy; /* NULL: environment; "direct"/"none": no proxy */
	long timeout_ms;   /* whole transfer, 0: none (OAuth token calls set it) */
};

/* Add "Name: value" (arena copy); a later header of the same name replaces
   an earlier one (so config `headers:` override built-ins).  0 or -E2BIG. */
int upstream_header(struct upstream_req *u, struct arena *a, const char *name, const char *value);

struct upstream_resp {
	int status;
	const char *headers[UPSTREAM_MAX_HEADERS]; /* "name: value", lower-cased names */
	int nheaders;
};
/* Value of a response header (case-insensitive) or NULL. */
const char *upstream_resp_header(const struct upstream_resp *r, const char *name);

struct upstream_cb {
	void *arg;
	/* Status line and headers are in.  <0 aborts the transfer. */
	int (*on_head)(void *arg, const struct upstream_resp *r);
	/* Body bytes (decoded if the upstream compressed them).  <0 aborts. */
	int (*on_data)(void *arg, const char *p, size_t n);
	/* Optional (NULL: none): called at least once a second while the
	   transfer runs, whatever arrives.  <0 aborts the transfer with that
	   error (-EPIPE: the client went away). */
	int (*on_tick)(void *arg);
};

struct upstream_result {
	int status;         /* final HTTP status, 0 if none arrived */
	int err;            /* 0, or -errno: -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH,
			       -EPROTO (TLS/protocol), -ECANCELED (a callback aborted),
			       -EPIPE (the client went away) */
	const char *what;   /* short human text for err (no URL query, no secret) */
};

/* Run one request.  c: the client connection to watch (NULL: don't). */
int upstream_perform(struct conn *c, struct arena *a, const struct upstream_req *u,
		     const struct upstream_cb *cb, struct upstream_result *ret);

#endif
