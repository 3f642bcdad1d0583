/*
 * payload.h - the config's payload rules (payload.default / default-raw /
 * override / override-raw / filter) applied to the body that goes
 * upstream, after the provider's fix_body.  Edits are byte-preserving:
 * every byte not set or deleted is copied as received.
 *
 * Paths are gjson/sjson dot paths: "generationConfig.thinkingConfig.x",
 * array elements by index ("contents.0.role"), "\." for a dot inside a key;
 * when setting, "-1" (or the array's length) appends, and missing levels are
 * created (objects, or arrays for numeric keys).  For the gemini-cli family
 * the document root is "request": a path not starting with "request." is
 * applied under it.
 */
#ifndef CLIPROXY_PAYLOAD_H
#define CLIPROXY_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "translate/ir.h"

struct apierr;
struct arena;
struct config;

/* Set path to the JSON text value (which must be valid JSON).  When
   only_if_missing, an existing value is left alone.  *ret and *ret_n: the new
   document (arena), or doc itself when nothing changed.  0, or -EINVAL
   (doc or value not JSON, path not settable), -E2BIG, -ENOMEM. */
int payload_set(struct arena *a, const char *doc, size_t n, const char *path, const char *value,
		bool only_if_missing, const char **ret, size_t *ret_n);
/* Delete path (a member or an array element); absent paths are no change. */
int payload_delete(struct arena *a, const char *doc, size_t n, const char *path,
		   const char **ret, size_t *ret_n);
/* Does path resolve to a value? */
bool payload_exists(struct arena *a, const char *doc, size_t n, const char *path);

/* Does a rule's model pattern ('*' matches any run) match name? */
bool payload_model_match(const char *pattern, const char *name);

/* Apply every rule of cfg->payload that matches model (the upstream model)
   or client_model, and fam (the upstream family: protocol "openai",
   "claude", "gemini", "gemini-cli", and "codex" / "openai-response" /
   "responses" for Responses upstreams; an empty protocol is any).  *ret and
   *ret_n: the body to send (body itself when no rule applied).  A rule
   whose value is not JSON, or whose path cannot be set, is skipped (logged
   once).  0, or -E2BIG / -ENOMEM with e filled. */
int payload_apply(const struct config *cfg, const char *model, const char *client_model,
		  enum ir_family fam, struct arena *a, const char *body,
		  size_t n, const char **ret, size_t *ret_n, struct apierr *e);

#endif
