/*
 * oauth.h - the pieces every `cliproxy login` flow shares: PKCE S256 and
 * state from OpenSSL's RAND, authorize URLs, the one-shot callback listener
 * with its paste fallback, the parsers for a callback request and a pasted
 * line, and JSON calls to the account endpoints (user info, projects, Cloud
 * Code onboarding, device flow).  Token exchange, form encoding, JWT claims,
 * file names, times and endpoint overrides come from auth/refresh.h and
 * auth/store.h (engineer A's), shared with the refresh path.
 *
 * Invariants: nothing here logs or prints a token; strings are arena
 * allocated (put token answers in a secret arena).  The listener binds
 * 127.0.0.1 only, answers each browser request with a small page and serves
 * exactly one callback: the first request on the callback path ends the
 * wait, whatever it says (a wrong state or a provider error is an answer,
 * not something to wait past).  Other paths get 404 and the wait goes on.
 */
#ifndef CLIPROXY_OAUTH_H
#define CLIPROXY_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"

struct arena;
struct buf;

/* ---- Random values ------------------------------------------------------ */

/* 32 random bytes, base64url without padding: 43 characters + NUL. */
#define OAUTH_RANDOM_LEN 44

struct oauth_pkce {
	char verifier[OAUTH_RANDOM_LEN];  /* RFC 7636 code_verifier */
	char challenge[OAUTH_RANDOM_LEN]; /* base64url(SHA-256(verifier)) */
};

/* Fresh verifier + S256 challenge.  0 or -EIO (no randomness). */
int oauth_pkce_new(struct oauth_pkce *p);
/* The S256 challenge of any verifier (for tests and the device flow). */
void oauth_pkce_challenge(const char *verifier, size_t n, char out[OAUTH_RANDOM_LEN]);
/* A fresh random state.  0 or -EIO. */
int oauth_random_state(char out[OAUTH_RANDOM_LEN]);

/* ---- Encoding ----------------------------------------------------------- */

/* base + '?' (or '&' when base has a query) + the form-encoded pairs of kv
   (NULL-terminated list of key, value; a NULL value skips the pair), encoded
   by auth_form_add (auth/refresh.h).  NULL on ENOMEM / E2BIG. */
char *oauth_url(struct arena *a, const char *base, const char *const *kv);

/* ---- The browser's answer ----------------------------------------------- */

/* What the authorize step sent back.  Any field may be NULL. */
struct oauth_cb {
	const char *code;
	const char *state;
	const char *error;             /* e.g. "access_denied" */
	const char *error_description;
};

/* Parse the head of one callback request in <p,n>.  0: a GET on `path`
   (query read into ret); -ENOENT: another path (favicon, probes);
   -EAGAIN: the head is not complete yet; -EBADMSG: not HTTP / not GET;
   -E2BIG: head over OAUTH_CALLBACK_MAX. */
#define OAUTH_CALLBACK_MAX (64 * 1024)
int oauth_callback_parse(const char *p, size_t n, const char *path, struct arena *a,
			 struct oauth_cb *ret);

/* Parse one pasted line: a full redirect URL ("http://localhost:1455/auth/
   callback?code=..&state=.."), a bare query ("code=..&state=.."), a code
   with its state after '#' (Claude's "code#state") or a bare code.
   Whitespace around it is ignored.  0, -ENODATA (empty line), -EINVAL
   (neither code nor error found). */
int oauth_paste_parse(const char *s, size_t n, struct arena *a, struct oauth_cb *ret);

/* Open 127.0.0.1:port for the callback (SO_REUSEADDR, CLOEXEC).  Returns
   the fd, or -EADDRINUSE / -EACCES / -errno. */
int oauth_listen(int port);

struct oauth_wait {
	int listen_fd;        /* from oauth_listen, or -1: paste only */
	const char *path;     /* callback path, e.g. "/auth/callback" */
	const char *state;    /* expected state (compared in constant time) */
	int paste_fd;         /* stdin for the paste fallback, -1: none */
	int timeout_s;        /* whole wait */
};

/* Wait for the browser's callback or a pasted line, whichever comes first.
   Answers the browser with a short page ("you can close this tab" or why it
   failed).  0: ret->code set and the state matched (a pasted bare code has
   no state to match); -EACCES: the provider reported ret->error (denied);
   -EPERM: state mismatch; -ENODATA: an answer without code; -ETIMEDOUT;
   -EINTR (SIGINT/SIGTERM); other -errno.  why gets a human sentence
   (untrusted text escaped) for every failure. */
int oauth_wait_code(const struct oauth_wait *w, struct arena *a, struct oauth_cb *ret,
		    char *why, size_t whysz);

/* Copy s into out for a terminal: printable ASCII (space included) kept,
   everything else and '\\' as \xNN; cut with "..." when out is full. */
void oauth_printable(char *out, size_t outsz, const char *s);

/* Constant-time string equality (both NUL-terminated; lengths may differ). */
bool oauth_streq_ct(const char *a, const char *b);

/* ---- HTTP calls to OAuth endpoints -------------------------------------- */

#define OAUTH_HTTP_MAX_BODY (8 * 1024 * 1024)

struct oauth_http {
	const char *method;       /* NULL: POST with a body, else GET */
	const char *url;
	const char *content_type; /* "application/json", "application/x-www-form-urlencoded" */
	const char *body;
	size_t body_len;
	const char *bearer;       /* Authorization: Bearer <bearer>, NULL: none */
	const char *headers[8];   /* extra "Name: value" */
	int nheaders;
	const char *proxy;        /* config proxy-url, NULL: environment */
};

struct oauth_http_resp {
	int status;          /* 0: no answer (see what) */
	char *body;          /* NUL-terminated */
	size_t len;
	struct json j;       /* parsed body when json_ok */
	bool json_ok;
	const char *what;    /* transport error text, or NULL */
};

/* Run one call; the answer body is kept in a (use a secret arena for token
   calls).  0 when an HTTP answer arrived (any status), -errno on transport
   failure (ret->what says why). */
int oauth_http_call(struct arena *a, const struct oauth_http *h, struct oauth_http_resp *ret);

/* A one-line, escaped description of a failed answer: the OAuth "error" /
   "error_description" (or Google's error.message), else the status. */
const char *oauth_http_error(struct arena *a, const struct oauth_http_resp *r);

/* The same for a token endpoint's answer (auth_token_post, auth/refresh.h). */
struct auth_token;
const char *oauth_token_error(struct arena *a, const struct auth_token *t);

/* ---- Odds and ends ------------------------------------------------------ */

/* Seconds for the whole callback wait: $CLIPROXY_LOGIN_TIMEOUT (1..86400)
   or dflt. */
int oauth_timeout_s(int dflt);

/* Try to open url in a browser (xdg-open / open), detached, output
   silenced.  0 when a launcher was started, -ENOENT when none / no display. */
int oauth_open_browser(const char *url);

#endif
