/*
 * login.c - the `login` command: flags (ours and the original's), the
 * shared browser step (listen first so a busy port fails before a URL is
 * shown, then URL, hints, optional browser, wait) and the save step.
 * Refuses: unknown providers, ports outside 1..65535, --project without
 * gemini, --device without codex.  Tokens stay in the wiped secrets arena.
 */
#include "auth/login.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/oauth.h"
#include "auth/store.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/parse.h"
#include "core/serve.h"

#define LOGIN_TIMEOUT_S 300 /* the browser has five minutes (as the original) */
#define LOGIN_SECRETS_MAX (64L * 1024 * 1024)

/* ---- Flags ------------------------------------------------------------------ */

/* "--name", "-name", "--name=v", "-name=v": 1 match (*val set to the text
   after '=' or NULL), 0 no match. */
static int flag_is(const char *arg, const char *name, const char **val)
{
	size_t n = strlen(name);

	*val = NULL;
	if (arg[0] != '-')
		return 0;
	arg += arg[1] == '-' ? 2 : 1;
	if (strncmp(arg, name, n) != 0)
		return 0;
	if (arg[n] == 0)
		return 1;
	if (arg[n] == '=') {
		*val = arg + n + 1;
		return 1;
	}
	return 0;
}

/* The value of a flag: after '=' or the next argument. */
static const char *flag_value(int argc, char **argv, int *i, const char *val)
{
	if (val)
		return val;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* Go's bool flags accept -flag=true / -flag=false. */
static int flag_bool(const char *val, bool *ret)
{
	if (!val || strcmp(val, "true") == 0 || strcmp(val, "1") == 0) {
		*ret = true;
		return 0;
	}
	if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0) {
		*ret = false;
		return 0;
	}
	return -EINVAL;
}

int login_set_provider(struct login_opts *o, const char *name)
{
	static const char *const known[] = { "gemini", "codex", "claude" };

	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		if (strcmp(name, known[k]) == 0) {
			if (o->provider && strcmp(o->provider, known[k]) != 0) {
				fprintf(stderr, "cliproxy: login: choose one provider (%s or %s)\n",
					o->provider, known[k]);
				return -EINVAL;
			}
			o->provider = known[k];
			o->any = true;
			return 0;
		}
	}
	fprintf(stderr, "cliproxy: login: unknown provider %s (gemini, codex or claude)\n", name);
	return -EINVAL;
}

int login_parse_flag(struct login_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *val, *v;
	bool b;

	if (flag_is(a, "no-browser", &val)) {
		if (flag_bool(val, &b) < 0)
			goto bad_bool;
		o->no_browser = b;
	} else if (flag_is(a, "device", &val)) {
		if (flag_bool(val, &b) < 0)
			goto bad_bool;
		o->device = b;
	} else if (flag_is(a, "callback-port", &val) || flag_is(a, "oauth-callback-port", &val)) {
		uint64_t port;
		v = flag_value(argc, argv, i, val);
		if (!v || parse_u64(v, strlen(v), 65535, &port) < 0 || port == 0) {
			fprintf(stderr, "cliproxy: %s needs a port number (1-65535)\n", a);
			return -EINVAL;
		}
		o->callback_port = (int)port;
	} else if (flag_is(a, "project", &val) || flag_is(a, "project_id", &val)) {
		v = flag_value(argc, argv, i, val);
		if (!v || !*v) {
			fprintf(stderr, "cliproxy: %s needs a project id, a comma list or ALL\n", a);
			return -EINVAL;
		}
		o->project = v;
	} else if (flag_is(a, "login", &val)) {
		if (flag_bool(val, &b) < 0)
			goto bad_bool;
		if (b && login_set_provider(o, "gemini") < 0)
			return -EINVAL;
	} else if (flag_is(a, "codex-login", &val) || flag_is(a, "codex-device-login", &val)) {
		if (flag_bool(val, &b) < 0)
			goto bad_bool;
		if (!b)
			return 1;
		if (login_set_provider(o, "codex") < 0)
			return -EINVAL;
		if (strstr(a, "device"))
			o->device = true;
	} else if (flag_is(a, "claude-login", &val)) {
		if (flag_bool(val, &b) < 0)
			goto bad_bool;
		if (b && login_set_provider(o, "claude") < 0)
			return -EINVAL;
	} else {
		return 0;
	}
	o->any = true;
	return 1;
bad_bool:
	fprintf(stderr, "cliproxy: %s: expected true or false\n", a);
	return -EINVAL;
}

/* ---- Messages --------------------------------------------------------------- */

int login_fail(struct login_ctx *x, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "cliproxy: login %s: ", x->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

void login_say(struct login_ctx *x, const char *fmt, ...)
{
	va_list ap;

	(void)x;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

const char *login_safe(struct login_ctx *x, const char *s)
{
	size_t cap = (s ? strlen(s) : 0) * 4 + 8;
	char *o = arena_alloc(x->a, cap);

	if (!s || !o)
		return "?";
	oauth_printable(o, cap, s);
	return o;
}

char *login_ask(struct login_ctx *x, const char *question)
{
	char line[1024];
	size_t n;

	if (!x->interactive)
		return NULL;
	fputs(question, stdout);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return NULL;
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	return arena_strndup(x->a, line, n);
}

/* ---- The browser step --------------------------------------------------- */

static bool remote_session(void)
{
	const char *s = getenv("SSH_CONNECTION"), *c = getenv("SSH_CLIENT");

	return (s && *s) || (c && *c);
}

int login_browser(struct login_ctx *x, const char *url, int port, int redirect_port,
		  const char *path, const char *state, const char *label, struct oauth_cb *ret)
{
	struct oauth_wait w;
	char why[512];
	int fd, r;

	fd = oauth_listen(port);
	if (fd == -EADDRINUSE)
		return login_fail(x, "127.0.0.1:%d is already in use (another login still waiting?); "
				     "stop it, or listen elsewhere with --callback-port N and forward "
				     "port %d there; nothing written", port, redirect_port);
	if (fd < 0)
		return login_fail(x, "cannot listen on 127.0.0.1:%d: %s; nothing written", port,
				  strerror(-fd));
	login_say(x, "To log in to %s, open this address in a browser:\n\n%s\n", label, url);
	if (!x->o->no_browser && oauth_open_browser(url) == 0)
		login_say(x, "(A browser was opened for you.)");
	if (x->o->no_browser || remote_session())
		login_say(x, "If the browser runs on another machine, forward the callback first:\n"
			     "    ssh -L %d:127.0.0.1:%d <this host>\n"
			     "or, after logging in, paste the address the browser ends up at "
			     "(even an error page) here.",
			  redirect_port, port);
	else
		login_say(x, "Or paste the address the browser ends up at here.");
	login_say(x, "Waiting for the login (at most %d s)...", oauth_timeout_s(LOGIN_TIMEOUT_S));
	memset(&w, 0, sizeof(w));
	w.listen_fd = fd;
	w.path = path;
	w.state = state;
	w.paste_fd = STDIN_FILENO;
	w.timeout_s = oauth_timeout_s(LOGIN_TIMEOUT_S);
	r = oauth_wait_code(&w, x->secrets, ret, why, sizeof(why));
	close(fd);
	if (r < 0)
		return login_fail(x, "%s; nothing written", why);
	return 0;
}

/* ---- Saving ------------------------------------------------------------- */

int login_save(struct login_ctx *x, const char *file, const char *text, size_t len,
	       const char *email)
{
	const char *path = NULL;
	int r;

	if (!file)
		return login_fail(x, "no file name for this account (out of memory or no e-mail); "
				     "nothing written");
	r = auth_store_new(x->auth_dir, file, text, len, x->a, &path);
	if (r < 0)
		return login_fail(x, "cannot write %s/%s: %s", x->auth_dir, file, strerror(-r));
	login_say(x, "Logged in as %s; credential saved to %s", login_safe(x, email),
		  login_safe(x, path ? path : file));
	return 0;
}

/* ---- Entry -------------------------------------------------------------- */

int login_main(const struct config *cfg, const struct login_opts *o)
{
	struct arena a, secrets;
	struct login_ctx x;
	int r;

	if (!o->provider) {
		fprintf(stderr, "cliproxy: login: which provider? gemini, codex or claude\n");
		return EXIT_USAGE;
	}
	if (o->project && strcmp(o->provider, "gemini") != 0) {
		fprintf(stderr, "cliproxy: login %s: --project is for gemini\n", o->provider);
		return EXIT_USAGE;
	}
	if (o->device && strcmp(o->provider, "codex") != 0) {
		fprintf(stderr, "cliproxy: login %s: --device is for codex\n", o->provider);
		return EXIT_USAGE;
	}
	if (!cfg->auth_dir || !*cfg->auth_dir) {
		fprintf(stderr, "cliproxy: login %s: no auth-dir configured\n", o->provider);
		return EXIT_USAGE;
	}
	arena_init(&a, LIMIT_ARENA_BYTES);
	arena_init_secret(&secrets, LOGIN_SECRETS_MAX);
	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.o = o;
	x.name = o->provider;
	x.a = &a;
	x.secrets = &secrets;
	x.proxy = cfg->proxy_url && *cfg->proxy_url ? cfg->proxy_url : NULL;
	x.auth_dir = cfg->auth_dir;
	x.interactive = isatty(STDIN_FILENO) == 1;
	if (strcmp(o->provider, "gemini") == 0)
		r = login_gemini(&x);
	else if (strcmp(o->provider, "codex") == 0)
		r = login_codex(&x);
	else
		r = login_claude(&x);
	arena_release(&secrets);
	arena_release(&a);
	return r < 0 ? 1 : 0;
}
