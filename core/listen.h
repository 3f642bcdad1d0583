/*
 * listen.h - `cliproxy listen [ADDR:]PORT`: the standalone server for
 * machines without systemd.  Accepts and forks one child per connection
 * that runs serve_connection(), the same code path as socket activation.
 */
#ifndef CLIPROXY_LISTEN_H
#define CLIPROXY_LISTEN_H

struct config;
struct serve_opts;

/* addr: "[ADDR:]PORT" or NULL for the config's host and port.  Returns an
   exit code when stopped (SIGTERM/SIGINT) or on a startup error. */
int listen_main(const char *addr, const struct config *cfg, const struct serve_opts *o);

#endif
