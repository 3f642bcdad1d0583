/*
 * conn.h - the per-process context: one accepted connection, its arenas,
 * deadlines, configuration and the request being served.  This is the only
 * mutable state of a `cliproxy serve` process (besides argv-derived arg_*).
 *
 * Invariants: in_fd/out_fd stay open until conn_close(); req_arena is
 * released between keep-alive requests, arena lives for the connection;
 * secrets live only in the secrets arena, wiped by conn_close().
 */
#ifndef CLIPROXY_CONN_H
#define CLIPROXY_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/err.h"
#include "core/http_req.h"

/* Which API family a request speaks: decides error shapes. */
enum api_family { FAM_OPENAI, FAM_CLAUDE, FAM_GEMINI, FAM_RESPONSES, FAM_PLAIN };

#define CONN_RBUF (64 * 1024)

struct conn {
	int in_fd, out_fd;
	bool is_socket;     /* in_fd is a socket (TCP_NODELAY, peer address) */
	bool local_loopback; /* we were reached on a loopback address (or a pipe) */
	char peer[64];      /* peer address for logs ("-" for pipes) */

	struct arena arena;     /* connection lifetime: config */
	struct arena req_arena; /* one request; released after each */
	struct arena secrets;   /* keys and tokens; wiped at close */

	const char *config_path; /* --config, or the default search result */
	bool config_explicit;    /* --config given: a missing file is an error */
	struct config cfg;
	int cfg_state; /* 0 not loaded, 1 loaded, <0 load failed */
	struct config_error cfg_err;

	/* input */
	char rbuf[CONN_RBUF];
	size_t rlen;
	bool eof;

	/* deadlines (ms, CLOCK_MONOTONIC) */
	int64_t deadline;
	int header_ms, body_ms, idle_ms;

	/* current request */
	struct http_request *req;
	enum api_family family;
	char rid[17];     /* random request id, hex */
	int64_t t_start;  /* ms, monotonic */
	int status;       /* status sent, for the log */
	uint64_t bytes_out; /* body bytes sent */
	bool head_sent;
	bool chunked_out;  /* response uses chunked framing */
	bool close_after;  /* send Connection: close and stop after this response */
	bool client_gone;  /* a write failed: the peer went away */
	const char *log_model, *log_provider, *log_cred; /* labels for the log line */
	char client_key_id[33]; /* hex of SHA-256 of the client's key (not secret), "" if none */
	int requests;      /* served on this connection */
};

int64_t now_ms(void);
void conn_init(struct conn *c, int in_fd, int out_fd);
/* Release everything: arenas (secrets wiped), fds.  Safe to call twice. */
void conn_close(struct conn *c);
/* Load the configuration once per connection (lazily).  0 or -errno with
   c->cfg_err filled. */
int conn_config(struct conn *c);
/* Remaining time to the current deadline, >= 0. */
int conn_remaining(const struct conn *c);

#endif
