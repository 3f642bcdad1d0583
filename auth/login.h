/*
 * login.h - `cliproxy login gemini|codex|claude` and the original's flags
 * (-login, -project_id, -codex-login, -codex-device-login, -claude-login,
 * -no-browser, -oauth-callback-port), which map to the same code.
 *
 * A login runs in the foreground: it prints the authorize URL (and opens a
 * browser unless --no-browser), waits for the provider's redirect on
 * 127.0.0.1:<port> or for the redirect address / code pasted on stdin,
 * exchanges the code, asks the provider who the account is, and writes the
 * credential with the original's file name and fields (auth/store.h:
 * auth_file_name, auth_store_new: 0600 in a 0700 auth-dir, atomically).
 * Nothing is written unless every step succeeded.  Tokens never reach
 * stdout, stderr or a log; they live in a wiped arena.
 *
 * Exit status of login_main: 0 written, 1 the login failed (denied, wrong
 * state, timeout, port in use, provider error; a sentence on stderr says
 * which), 100 usage.
 */
#ifndef CLIPROXY_LOGIN_H
#define CLIPROXY_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/oauth.h"

struct arena;
struct config;

struct login_opts {
	const char *provider; /* "gemini", "codex", "claude"; NULL: none chosen yet */
	const char *project;  /* gemini: --project / -project_id: id, "a,b" or ALL */
	bool device;          /* codex: --device / -codex-device-login */
	bool no_browser;      /* --no-browser: print the URL, never open one */
	int callback_port;    /* --callback-port / -oauth-callback-port; 0: provider's */
	bool any;             /* some login flag was seen */
};

/* Is argv[*i] a login flag?  1: consumed (*i moved past its value), 0: not
   a login flag, -EINVAL: bad or missing value (message printed).  The
   original's -login / -codex-login / -codex-device-login / -claude-login
   choose the provider as `login <provider>` does.  One or two dashes;
   "--flag=value" for flags that take one. */
int login_parse_flag(struct login_opts *o, int argc, char **argv, int *i);
/* The operand after "login": gemini, codex or claude.  0 or -EINVAL. */
int login_set_provider(struct login_opts *o, const char *name);
/* Run the chosen login; returns the exit status (see above). */
int login_main(const struct config *cfg, const struct login_opts *o);

/* ---- For the flows (auth/login_*.c) ------------------------------------- */

struct login_ctx {
	const struct config *cfg;
	const struct login_opts *o;
	const char *name;       /* "gemini", "codex", "claude": for messages */
	struct arena *a;        /* plain strings */
	struct arena *secrets;  /* tokens and every endpoint answer; wiped */
	const char *proxy;      /* config proxy-url, NULL: environment */
	const char *auth_dir;
	bool interactive;       /* stdin is a terminal: prompts may be asked */
};

/* Listen on 127.0.0.1:port, print the URL and hints (paste, ssh -L), open
   a browser unless --no-browser, wait for the answer.  redirect_port is the
   port the provider sends the browser to (the ssh -L hint maps it onto
   port).  0 with ret->code set, else a failure already reported (< 0). */
int login_browser(struct login_ctx *x, const char *url, int port, int redirect_port,
		  const char *path, const char *state, const char *label,
		  struct oauth_cb *ret);
/* Write the credential text as <auth-dir>/<file> and say so.  0 or < 0
   (reported). */
int login_save(struct login_ctx *x, const char *file, const char *text, size_t len,
	       const char *email);
/* "cliproxy: login <name>: <message>" on stderr; returns -1. */
int login_fail(struct login_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A progress line on stdout. */
void login_say(struct login_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* oauth_printable(s) in the arena, for printing what a provider sent
   (e-mail, plan) to a terminal. */
const char *login_safe(struct login_ctx *x, const char *s);
/* Ask a question on a terminal; the answer (trimmed, arena) or NULL when
   stdin is not a terminal / closed: then the default applies. */
char *login_ask(struct login_ctx *x, const char *question);

int login_gemini(struct login_ctx *x);
int login_codex(struct login_ctx *x);
int login_claude(struct login_ctx *x);

#endif
