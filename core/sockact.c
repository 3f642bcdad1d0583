/*
 * sockact.c - fd discovery and hygiene.  sd_listen_fds() → fd 3 with
 * Accept=yes; otherwise fd 0/1 (inetd hands us a socket there; tests hand us
 * pipes).  A listening socket (Accept=no units) is refused: this program
 * serves one accepted connection per process.
 */
#include "core/sockact.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "core/conn.h"

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

int sockact_fds(int *ret_in, int *ret_out)
{
	int n = sd_listen_fds(1);

	if (n < 0)
		return n;
	if (n > 1)
		return -E2BIG;
	if (n == 1) {
		int fd = SD_LISTEN_FDS_START;
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0)
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
