/*
 * test_oauth.c - auth/oauth.c and the login flag parser: PKCE against RFC
 * 7636's vector, state, URL encoding, the callback-request and paste
 * parsers, the wait (a real listener and browser in a child process, a
 * pasted line through a pipe, wrong state, provider error, timeout), and
 * the original's flag spellings.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/login.h"
#include "auth/oauth.h"
#include "core/arena.h"
#include "tests/unit/check.h"

static struct arena A;

static void test_pkce_rfc7636(void)
{
	char ch[OAUTH_RANDOM_LEN];
	const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

	oauth_pkce_challenge(v, strlen(v), ch);
	CHECK_STR(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static bool b64url_only(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return false;
	return true;
}

static void test_pkce_random(void)
{
	struct oauth_pkce a, b;
	char ch[OAUTH_RANDOM_LEN], s1[OAUTH_RANDOM_LEN], s2[OAUTH_RANDOM_LEN];

	CHECK_INT(oauth_pkce_new(&a), 0);
	CHECK_INT(oauth_pkce_new(&b), 0);
	CHECK_INT(strlen(a.verifier), 43);
	CHECK_INT(strlen(a.challenge), 43);
	CHECK(b64url_only(a.verifier) && b64url_only(a.challenge));
	CHECK(strcmp(a.verifier, b.verifier) != 0);
	oauth_pkce_challenge(a.verifier, strlen(a.verifier), ch);
	CHECK_STR(ch, a.challenge);
	CHECK_INT(oauth_random_state(s1), 0);
	CHECK_INT(oauth_random_state(s2), 0);
	CHECK_INT(strlen(s1), 43);
	CHECK(strcmp(s1, s2) != 0);
}

static void test_url(void)
{
	const char *kv[] = { "a", "x y/z", "skip", NULL, "b", "~._-", NULL };
	const char *kv2[] = { "c", "1", NULL };

	CHECK_STR(oauth_url(&A, "https://h/p", kv), "https://h/p?a=x+y%2Fz&b=~._-");
	CHECK_STR(oauth_url(&A, "https://h/p?alt=json", kv2), "https://h/p?alt=json&c=1");
	CHECK(oauth_streq_ct("abc", "abc"));
	CHECK(!oauth_streq_ct("abc", "abd"));
	CHECK(!oauth_streq_ct("abc", "abcd"));
}

static void test_callback_parse(void)
{
	struct oauth_cb cb;
	const char *ok = "GET /auth/callback?code=c%2B1&state=s+t HTTP/1.1\r\nHost: localhost:1455\r\n\r\n";
	const char *err = "GET /cb?error=access_denied&error_description=no%20way&state=S HTTP/1.1\r\n\r\n";

	CHECK_INT(oauth_callback_parse(ok, strlen(ok), "/auth/callback", &A, &cb), 0);
	CHECK_STR(cb.code, "c+1");
	CHECK_STR(cb.state, "s t");
	CHECK(cb.error == NULL);
	for (size_t n = 0; n < strlen(ok); n++)
		if (oauth_callback_parse(ok, n, "/auth/callback", &A, &cb) != -EAGAIN)
			CHECK(!"a prefix of the head must ask for more");
	CHECK_INT(oauth_callback_parse(ok, strlen(ok), "/other", &A, &cb), -ENOENT);
	CHECK_INT(oauth_callback_parse(err, strlen(err), "/cb", &A, &cb), 0);
	CHECK_STR(cb.error, "access_denied");
	CHECK_STR(cb.error_description, "no way");
	CHECK(cb.code == NULL);
	CHECK_INT(oauth_callback_parse("POST /cb?code=x HTTP/1.1\r\n\r\n", 29, "/cb", &A, &cb), -EBADMSG);
	CHECK_INT(oauth_callback_parse("\x16\x03\x01\x02\x00\r\n\r\n", 9, "/cb", &A, &cb), -EBADMSG);
	/* Empty values count as absent. */
	CHECK_INT(oauth_callback_parse("GET /cb?code=&state= HTTP/1.1\r\n\r\n", 33, "/cb", &A, &cb), 0);
	CHECK(cb.code == NULL && cb.state == NULL);
}

static void test_paste_parse(void)
{
	struct oauth_cb cb;
	const char *s;

	s = "  http://localhost:1455/auth/callback?code=abc&state=xyz  \r";
	CHECK_INT(oauth_paste_parse(s, strlen(s), &A, &cb), 0);
	CHECK_STR(cb.code, "abc");
	CHECK_STR(cb.state, "xyz");
	s = "code=abc&state=xyz#frag";
	CHECK_INT(oauth_paste_parse(s, strlen(s), &A, &cb), 0);
	CHECK_STR(cb.state, "xyz");
	s = "abc#xyz";
	CHECK_INT(oauth_paste_parse(s, strlen(s), &A, &cb), 0);
	CHECK_STR(cb.code, "abc");
	CHECK_STR(cb.state, "xyz");
	s = "4/0AbCd-ef";
	CHECK_INT(oauth_paste_parse(s, strlen(s), &A, &cb), 0);
	CHECK_STR(cb.code, "4/0AbCd-ef");
	CHECK(cb.state == NULL);
	s = "http://localhost:8085/oauth2callback?error=access_denied&state=q";
	CHECK_INT(oauth_paste_parse(s, strlen(s), &A, &cb), 0);
	CHECK_STR(cb.error, "access_denied");
	CHECK_INT(oauth_paste_parse(" \t ", 3, &A, &cb), -ENODATA);
	s = "http://localhost:1455/auth/callback";
	CHECK_INT(oauth_paste_parse(s, strlen(s), &A, &cb), -EINVAL);
	s = "two words";
	CHECK_INT(oauth_paste_parse(s, strlen(s), &A, &cb), -EINVAL);
	CHECK_INT(oauth_paste_parse("a\0b", 3, &A, &cb), -EINVAL);
	s = "http://x/cb?state=only";
	CHECK_INT(oauth_paste_parse(s, strlen(s), &A, &cb), -EINVAL);
}

/* A free loopback port (bound and released). */
static int free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* The browser: a child that sends each request on its own connection
   (a silent preconnect first) and exits. */
static pid_t browser(int port, const char *const *reqs)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	struct sockaddr_in sin;
	int idle;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	idle = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(idle, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		_exit(1);
	for (; *reqs; reqs++) {
		char buf[4096];
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			_exit(1);
		if (write(fd, *reqs, strlen(*reqs)) < 0)
			_exit(1);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	_exit(0);
}

static int wait_with(int port, const char *state, const char *const *reqs, struct oauth_cb *cb,
		     char *why, size_t whysz)
{
	struct oauth_wait w;
	int fd = oauth_listen(port), r, st;
	pid_t pid;

	CHECK(fd >= 0);
	memset(&w, 0, sizeof(w));
	w.listen_fd = fd;
	w.path = "/cb";
	w.state = state;
	w.paste_fd = -1;
	w.timeout_s = 10;
	pid = browser(port, reqs);
	r = oauth_wait_code(&w, &A, cb, why, whysz);
	close(fd);
	waitpid(pid, &st, 0);
	return r;
}

static void test_wait_listener(void)
{
	struct oauth_cb cb;
	char why[256];
	int port = free_port();
	const char *good[] = { "GET /favicon.ico HTTP/1.1\r\n\r\n",
			       "GET /cb?code=the-code&state=S1 HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL };
	const char *bad[] = { "GET /cb?code=c&state=S2 HTTP/1.1\r\n\r\n", NULL };
	const char *nostate[] = { "GET /cb?code=c HTTP/1.1\r\n\r\n", NULL };
	const char *denied[] = { "GET /cb?error=access_denied&state=S1 HTTP/1.1\r\n\r\n", NULL };
	const char *denied_nostate[] = { "GET /cb?error=access_denied HTTP/1.1\r\n\r\n", NULL };
	const char *denied_forged[] = { "GET /cb?error=access_denied&state=S9 HTTP/1.1\r\n\r\n", NULL };
	int fd;

	CHECK(port > 0);
	CHECK_INT(wait_with(port, "S1", good, &cb, why, sizeof(why)), 0);
	CHECK_STR(cb.code, "the-code");
	CHECK_INT(wait_with(port, "S1", bad, &cb, why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "state does not match") != NULL);
	CHECK_INT(wait_with(port, "S1", nostate, &cb, why, sizeof(why)), -EPERM);
	CHECK_INT(wait_with(port, "S1", denied, &cb, why, sizeof(why)), -EACCES);
	CHECK(strstr(why, "access_denied") != NULL);
	CHECK_INT(wait_with(port, "S1", denied_nostate, &cb, why, sizeof(why)), -EACCES);
	CHECK_INT(wait_with(port, "S1", denied_forged, &cb, why, sizeof(why)), -EPERM);
	/* A second listener on the same port: in use. */
	fd = oauth_listen(port);
	CHECK(fd >= 0);
	CHECK_INT(oauth_listen(port), -EADDRINUSE);
	close(fd);
	CHECK_INT(oauth_listen(0), -EINVAL);
}

static int wait_paste(const char *text, const char *state, int timeout, struct oauth_cb *cb,
		      char *why, size_t whysz)
{
	struct oauth_wait w;
	int p[2], r;

	if (pipe(p) < 0)
		return -errno;
	if (write(p[1], text, strlen(text)) < 0)
		return -errno;
	memset(&w, 0, sizeof(w));
	w.listen_fd = -1;
	w.path = "/cb";
	w.state = state;
	w.paste_fd = p[0];
	w.timeout_s = timeout;
	r = oauth_wait_code(&w, &A, cb, why, whysz);
	close(p[0]);
	close(p[1]);
	return r;
}

static void test_wait_paste(void)
{
	struct oauth_cb cb;
	char why[256];

	/* Blank lines and junk are skipped; the first usable line answers. */
	CHECK_INT(wait_paste("\n\nnot a code\nhttp://localhost:1455/auth/callback?code=K&state=S\n",
			     "S", 5, &cb, why, sizeof(why)), 0);
	CHECK_STR(cb.code, "K");
	CHECK_INT(wait_paste("K2#S\n", "S", 5, &cb, why, sizeof(why)), 0);
	CHECK_STR(cb.code, "K2");
	CHECK_INT(wait_paste("K3\n", "S", 5, &cb, why, sizeof(why)), 0);
	CHECK_INT(wait_paste("K4#other\n", "S", 5, &cb, why, sizeof(why)), -EPERM);
	CHECK_INT(wait_paste("error=access_denied&error_description=nope\n", "S", 5, &cb, why,
			     sizeof(why)), -EACCES);
	CHECK(strstr(why, "nope") != NULL);
	/* Nothing usable: the wait times out (the pipe stays open). */
	CHECK_INT(wait_paste("\n", "S", 1, &cb, why, sizeof(why)), -ETIMEDOUT);
	CHECK(strstr(why, "no answer within 1 s") != NULL);
}

static void test_flags(void)
{
	struct login_opts o;
	char *v1[] = { "x", "--no-browser", "-oauth-callback-port", "8080", "-project_id=ALL" };
	char *v2[] = { "x", "-codex-device-login", "--claude-login" };
	char *v3[] = { "x", "--callback-port=99999", "--callback-port" };
	char *v4[] = { "x", "--login=false", "-no-browser=maybe", "--serve" };
	int i;

	memset(&o, 0, sizeof(o));
	i = 1;
	CHECK_INT(login_parse_flag(&o, 5, v1, &i), 1);
	CHECK(o.no_browser);
	i = 2;
	CHECK_INT(login_parse_flag(&o, 5, v1, &i), 1);
	CHECK_INT(i, 3);
	CHECK_INT(o.callback_port, 8080);
	i = 4;
	CHECK_INT(login_parse_flag(&o, 5, v1, &i), 1);
	CHECK_STR(o.project, "ALL");
	CHECK(o.provider == NULL);

	memset(&o, 0, sizeof(o));
	i = 1;
	CHECK_INT(login_parse_flag(&o, 3, v2, &i), 1);
	CHECK_STR(o.provider, "codex");
	CHECK(o.device);
	i = 2;
	fprintf(stderr, "(an error line is expected next)\n");
	CHECK_INT(login_parse_flag(&o, 3, v2, &i), -EINVAL);

	memset(&o, 0, sizeof(o));
	i = 1;
	CHECK_INT(login_parse_flag(&o, 3, v3, &i), -EINVAL);
	i = 2;
	CHECK_INT(login_parse_flag(&o, 3, v3, &i), -EINVAL);

	memset(&o, 0, sizeof(o));
	i = 1;
	CHECK_INT(login_parse_flag(&o, 4, v4, &i), 1);
	CHECK(o.provider == NULL);
	i = 2;
	CHECK_INT(login_parse_flag(&o, 4, v4, &i), -EINVAL);
	i = 3;
	CHECK_INT(login_parse_flag(&o, 4, v4, &i), 0);

	memset(&o, 0, sizeof(o));
	CHECK_INT(login_set_provider(&o, "claude"), 0);
	CHECK_INT(login_set_provider(&o, "claude"), 0);
	CHECK_INT(login_set_provider(&o, "qwen"), -EINVAL);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	arena_init(&A, 256L << 20);
	RUN(test_pkce_rfc7636);
	RUN(test_pkce_random);
	RUN(test_url);
	RUN(test_callback_parse);
	RUN(test_paste_parse);
	RUN(test_wait_listener);
	RUN(test_wait_paste);
	RUN(test_flags);
	arena_release(&A);
	return CHECK_DONE();
}
