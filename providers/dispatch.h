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

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "translate/ir.h"

struct conn;
struct route_match;
struct target;

/* The body is c->req->body (already checked to be a JSON object). */
void dispatch_inference(struct conn *c, const struct route_match *m, enum ir_family from);

/* POST /v1/completions: the legacy body becomes an OpenAI chat body
   (translate/completions.h) and goes through the hub as a chat request;
   the chat answer and stream are rewritten into text_completion. */
void dispatch_completions(struct conn *c, const struct route_match *m);

/* Shared with count_tokens: the candidates serving model (404 in the
   client family's words when none), and the per-request budget: the state
   dir, the tried flags, how many credentials may be tried (request-retry,
   max-retry-credentials).  0 or -errno with e filled. */
int dispatch_candidates(struct conn *c, const char *model, enum ir_family from,
			struct target **ret, size_t *ret_n, struct apierr *e);
int dispatch_budget(struct conn *c, size_t n, const char **ret_state_dir, bool **ret_tried,
		    int *ret_max_attempts, struct apierr *e);

#endif
