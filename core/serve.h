/*
 * serve.h - one connection, start to end: the `cliproxy serve` code path,
 * shared by systemd socket activation, inetd mode, pipes and `cliproxy
 * listen`'s forked children.
 */
#ifndef CLIPROXY_SERVE_H
#define CLIPROXY_SERVE_H

#include <stdbool.h>

/* Process exit codes (DESIGN.md §4.12). */
#define EXIT_DELIVERED 0  /* every response (even an error) was delivered */
#define EXIT_USAGE 100    /* usage or configuration error */
#define EXIT_ABORTED 111  /* connection dropped or temporary failure */

struct serve_opts {
	const char *config_path; /* NULL: default search */
	bool config_explicit;
};

/* Serve the connection on in_fd/out_fd until it ends; returns an exit code. */
int serve_connection(int in_fd, int out_fd, const struct serve_opts *o);
/* `cliproxy serve`: find the fds (sockact) and serve them. */
int serve_main(const struct serve_opts *o);

#endif
