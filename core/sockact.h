/*
 * sockact.h - finding the connection we were handed: systemd socket
 * activation (LISTEN_FDS=1, fd 3, Accept=yes) or inetd style / plain pipes
 * (fd 0 in, fd 1 out).  Also the process hygiene every entry point needs.
 */
#ifndef CLIPROXY_SOCKACT_H
#define CLIPROXY_SOCKACT_H

#include <stdbool.h>
#include <stddef.h>

struct conn;

/* Open /dev/null on closed fds 0-2 and ignore SIGPIPE.  0 or -errno. */
int proc_sanitize(void);
/* Find the connection fds.  0 or -errno (e.g. several LISTEN_FDS, or a
   listening socket instead of an accepted one). */
int sockact_fds(int *ret_in, int *ret_out);
/* Fill c->is_socket, c->peer, c->local_loopback and set TCP_NODELAY,
   O_NONBLOCK and O_CLOEXEC on the connection fds. */
void sockact_describe(struct conn *c);

struct sockaddr_storage;
/* True for 127.0.0.0/8, ::1, v4-mapped loopback and AF_UNIX. */
bool sockaddr_is_loopback(const struct sockaddr_storage *ss);
/* "1.2.3.4:80" / "[::1]:80" into out. */
void sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t n);

#endif
