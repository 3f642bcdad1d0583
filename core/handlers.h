/*
 * handlers.h - what each route does once its request is complete and
 * authenticated.  Handlers write exactly one response through http_resp.
 */
#ifndef CLIPROXY_HANDLERS_H
#define CLIPROXY_HANDLERS_H

struct conn;
struct route_match;

void handle_request(struct conn *c, const struct route_match *m);

#endif
