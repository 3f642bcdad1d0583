/*
 * listen.c - bind, accept, fork per connection, reap.  Caps like the socket
 * unit's MaxConnections= / MaxConnectionsPerSource= (over the cap a
 * connection is closed at once, as systemd does), REMOTE_ADDR/REMOTE_PORT
 * set for the child as systemd sets them.  Refuses a non-loopback address
 * while no real client key is configured.  SIGTERM/SIGINT: stop accepting,
 * give running connections DEADLINE_LISTEN_DRAIN_MS, then end them.
 */
#include "core/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/access.h"
#include "core/config.h"
#include "core/conn.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/serve.h"
#include "core/sockact.h"

struct child {
	pid_t pid;
	unsigned char src[16]; /* source address, v4 in the last 4 bytes */
};

struct listener {
	int lfd, sfd;
	struct child kids[LIMIT_LISTEN_CONNECTIONS];
	int nkids;
	sigset_t oldmask;
};

/* Split "[ADDR:]PORT" into host (NULL = all interfaces) and port text. */
static int split_addr(const char *s, char *host, size_t hn, char *port, size_t pn)
{
	const char *colon;
	uint64_t p;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		snprintf(host, hn, "%.*s", (int)(end - s - 1), s + 1);
		colon = end + 1;
	} else if ((colon = strrchr(s, ':'))) {
		snprintf(host, hn, "%.*s", (int)(colon - s), s);
	} else {
		host[0] = 0;
		colon = s - 1;
	}
	snprintf(port, pn, "%s", colon + 1);
	if (parse_u64(port, strlen(port), 65535, &p) < 0 || p == 0)
		return -EINVAL;
	return 0;
}

static int bind_listen(const char *host, const char *port, char *shown, size_t sn)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, r, one = 1, zero = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (!*host)
		hints.ai_family = AF_INET6; /* dual-stack any */
	r = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (r != 0 && !*host) {
		hints.ai_family = AF_INET;
		r = getaddrinfo(NULL, port, &hints, &res);
	}
	if (r != 0) {
		log_error("listen: cannot resolve %s: %s", *host ? host : "*", gai_strerror(r));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !*host)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 512) == 0) {
			struct sockaddr_storage ss;
			memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
			sockaddr_format(&ss, shown, sn);
			break;
		}
		r = errno;
		close(fd);
		fd = -1;
		errno = r;
	}
	if (fd < 0)
		log_error("listen: cannot listen on %s:%s: %s", *host ? host : "*", port, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

static void source_key(const struct sockaddr_storage *ss, unsigned char out[16])
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET)
		memcpy(out + 12, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, 16);
}

static void reap(struct listener *l)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int i = 0; i < l->nkids; i++) {
			if (l->kids[i].pid == pid) {
				l->kids[i] = l->kids[--l->nkids];
				break;
			}
		}
	}
}

static void spawn(struct listener *l, int cfd, const struct sockaddr_storage *ss,
		  const struct serve_opts *o)
{
	unsigned char src[16];
	int same = 0;
	pid_t pid;

	source_key(ss, src);
	for (int i = 0; i < l->nkids; i++)
		same += memcmp(l->kids[i].src, src, 16) == 0;
	if (l->nkids >= LIMIT_LISTEN_CONNECTIONS || same >= LIMIT_LISTEN_PER_SOURCE) {
		close(cfd); /* over the cap: refuse at once, as systemd does */
		return;
	}
	pid = fork();
	if (pid < 0) {
		close(cfd);
		return;
	}
	if (pid == 0) {
		char addr[80], host[64], *colon;
		close(l->lfd);
		close(l->sfd);
		sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		sockaddr_format(ss, addr, sizeof(addr));
		colon = strrchr(addr, ':');
		if (colon) {
			snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
			if (host[0] == '[') {
				memmove(host, host + 1, strlen(host));
				host[strlen(host) - 1] = 0;
			}
			setenv("REMOTE_ADDR", host, 1);
			setenv("REMOTE_PORT", colon + 1, 1);
		}
		_exit(serve_connection(cfd, cfd, o));
	}
	close(cfd);
	l->kids[l->nkids].pid = pid;
	memcpy(l->kids[l->nkids].src, src, 16);
	l->nkids++;
}

static void drain(struct listener *l)
{
	int64_t end = now_ms() + DEADLINE_LISTEN_DRAIN_MS;

	close(l->lfd);
	while (l->nkids > 0 && now_ms() < end) {
		struct pollfd pfd = { .fd = l->sfd, .events = POLLIN };
		struct signalfd_siginfo si;
		if (poll(&pfd, 1, (int)(end - now_ms())) > 0 &&
		    read(l->sfd, &si, sizeof(si)) < 0) {
			/* nothing: reap below */
		}
		reap(l);
	}
	for (int i = 0; i < l->nkids; i++)
		kill(l->kids[i].pid, SIGTERM);
	while (l->nkids > 0 && waitpid(-1, NULL, 0) > 0)
		reap(l);
}

int listen_main(const char *addr, const struct config *cfg, const struct serve_opts *o)
{
	static struct listener l; /* big child table: not on the stack */
	char host[256], port[16], shown[96];
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	sigset_t mask;

	if (addr) {
		if (split_addr(addr, host, sizeof(host), port, sizeof(port)) < 0) {
			log_error("listen: bad address '%s': want [ADDR:]PORT", addr);
			return EXIT_USAGE;
		}
	} else {
		snprintf(host, sizeof(host), "%s", cfg->host ? cfg->host : "");
		snprintf(port, sizeof(port), "%d", cfg->port);
	}
	l.lfd = bind_listen(host, port, shown, sizeof(shown));
	if (l.lfd < 0)
		return EXIT_USAGE;
	if (getsockname(l.lfd, (struct sockaddr *)&bound, &bl) == 0 && !sockaddr_is_loopback(&bound)) {
		bool sample = false;
		for (size_t i = 0; i < cfg->api_keys.n; i++)
			sample |= access_is_sample_key(cfg->api_keys.v[i]);
		if (!access_has_real_keys(cfg) || sample) {
			log_error("listen: refusing to serve %s, a non-loopback address, %s; set your own "
				  "api-keys in the config or listen on 127.0.0.1",
				  shown, sample ? "with the README's sample api-keys" : "without api-keys");
			close(l.lfd);
			return EXIT_USAGE;
		}
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, &l.oldmask);
	l.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l.sfd < 0) {
		log_error("listen: signalfd: %s", strerror(errno));
		return EXIT_ABORTED;
	}
	log_info("listening on %s (one process per connection)", shown);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = l.lfd, .events = POLLIN },
					 { .fd = l.sfd, .events = POLLIN } };
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents) {
			struct signalfd_siginfo si;
			bool stop = false;
			while (read(l.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				stop |= si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT;
			reap(&l);
			if (stop)
				break;
		}
		if (pfd[0].revents) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			int cfd = accept4(l.lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
			if (cfd >= 0)
				spawn(&l, cfd, &ss, o);
		}
	}
	log_info("stopping: waiting for %d connection(s)", l.nkids);
	drain(&l);
	return EXIT_DELIVERED;
}
