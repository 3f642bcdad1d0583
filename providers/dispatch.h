/*
 * dispatch.h - one inference request through the hub: decode the client's
 * body, find the candidates for its model, pick a credential (shared
 * round-robin, cooldowns), encode for the upstream family, call it, and
 * translate the answer back as it arrives.  Retries and cooldowns happen
 * only before the first byte reached the client; after that a failure is
 * the client family's in-stream error.
 */
#ifndef CLIPROXY_DISPATCH_H
#define CLIPROXY_DISPATCH_H

#include "translate/ir.h"

struct conn;
struct route_match;

/* The body is c->req->body (already checked to be a JSON object). */
void dispatch_inference(struct conn *c, const struct route_match *m, enum ir_family from);

/* POST /v1/completions: the legacy body becomes an OpenAI chat body
   (translate/completions.h) and goes through the hub as a chat request;
   the chat answer and stream are rewritten into text_completion. */
void dispatch_completions(struct conn *c, const struct route_match *m);

#endif
