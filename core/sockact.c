/*
 * sockact.c - fd discovery and hygiene.  LISTEN_FDS=1 for our pid → fd 3
 * with Accept=yes; otherwise fd 0/1 (inetd hands us a socket there; tests
 * hand us pipes).  A listening socket (Accept=no units) is refused: this
 * program serves one accepted connection per process.  The protocol is
 * sd_listen_fds(3)'s, read here directly: linking libsystemd would cost every
 * process the loading of it and its five libraries (README, "Start-up cost").
 */
#include "core/sockact.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>


#include "core/conn.h"
#include "core/parse.h"

#define LISTEN_FDS_START 3

int proc_sanitize(void)
{
	struct sigaction sa;
	int fd;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);
			if (n < 0)
				return -errno;
			if (n != fd) {
				/* 0-2 fill up in order; anything else is odd */
				close(n);
				return -EBADF;
			}
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

/* sd_listen_fds(unset_environment=1): the number of fds passed to this
   pid, 0 if none (or for another pid), <0 on a malformed environment. */
static int listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	uint64_t p, n;
	int r = 0;

	if (!pid || !fds)
		goto out;
	if (parse_u64(pid, strlen(pid), INT32_MAX, &p) < 0 ||
	    parse_u64(fds, strlen(fds), 1024, &n) < 0) {
		r = -EINVAL;
		goto out;
	}
	if ((pid_t)p == getpid())
		r = (int)n;
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return r;
}

static bool is_listening_socket(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v;
}

int sockact_fds(int *ret_in, int *ret_out)
{
	int n = listen_fds();

	if (n < 0)
		return n;
	if (n > 1)
		return -E2BIG;
	if (n == 1) {
		int fd = LISTEN_FDS_START;
		if (is_listening_socket(fd))
			return -EISCONN; /* a listening socket: unit needs Accept=yes */
		*ret_in = *ret_out = fd;
		return 0;
	}
	*ret_in = STDIN_FILENO;
	*ret_out = STDOUT_FILENO;
	return 0;
}

bool sockaddr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return memcmp(in6->sin6_addr.s6_addr, v4mapped, 12) == 0 &&
		       in6->sin6_addr.s6_addr[12] == 127;
	}
	return ss->ss_family == AF_UNIX;
}

void sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, n, "%s:%u", host, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, n, "[%s]:%u", host, port);
	} else {
		snprintf(out, n, "unix");
	}
}

void sockact_describe(struct conn *c)
{
	struct stat st;
	struct sockaddr_storage local, peer;
	socklen_t ll = sizeof(local), pl = sizeof(peer);
	int one = 1;

	c->is_socket = fstat(c->in_fd, &st) == 0 && S_ISSOCK(st.st_mode);
	fcntl(c->in_fd, F_SETFD, FD_CLOEXEC);
	fcntl(c->out_fd, F_SETFD, FD_CLOEXEC);
	if (!c->is_socket) {
		/* A pipe comes from a process on this machine. */
		c->local_loopback = true;
		return;
	}
	fcntl(c->in_fd, F_SETFL, fcntl(c->in_fd, F_GETFL) | O_NONBLOCK);
	setsockopt(c->in_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&local, 0, sizeof(local));
	memset(&peer, 0, sizeof(peer));
	if (getsockname(c->in_fd, (struct sockaddr *)&local, &ll) == 0)
		c->local_loopback = sockaddr_is_loopback(&local);
	if (getpeername(c->in_fd, (struct sockaddr *)&peer, &pl) == 0)
		sockaddr_format(&peer, c->peer, sizeof(c->peer));
}
