/*
 * family.h - one wire family (OpenAI chat, Responses, Claude, Gemini, Gemini
 * CLI) = one const struct family of ops into and out of the IR (ir.h).
 * Each family file ends in `const struct family family_<name> = {...}`;
 * family.c lists them in families[] and finds one by name.
 *
 * Who calls what (from = the client's family, to = the upstream's):
 *   request:   from->decode_request -> IR -> to->encode_request
 *              (from == to: to->passthrough_request on the original bytes)
 *   response:  to->decode_response -> IR -> from->encode_response
 *   stream:    bytes -> sse_parser -> to->decode_event (emits IR events)
 *              -> from->encode_event (writes complete SSE frames)
 *              at upstream EOF: to->decode_end; encoders write as each event
 *              arrives, nothing buffers a whole stream.
 *   bridging:  stream upstream, non-stream client: ir_acc (ir.h) then
 *              from->encode_response; the reverse: ir_response_events().
 *   errors:    to->decode_error(status, body) -> struct apierr ->
 *              from->encode_error (in_stream: the family's mid-stream
 *              error frame, SPEC §1.3).
 *
 * Conventions for every op:
 *  - return 0 or a negative errno; on a request decode error fill the
 *    apierr (400 invalid_request_error with a message naming the field);
 *    -E2BIG from a buf is 413 on requests / 502 on upstream data;
 *  - decode_response: an upstream 200 with no content at all (no text, no
 *    tool call, no thinking) is -EAGAIN with apierr 502 "empty response from
 *    upstream", never an empty success;
 *  - nothing is logged; all memory comes from ctx->a;
 *  - output is deterministic given the ctx (ids from xlate_id(), times from
 *    ctx->created): golden tests compare bytes.
 */
#ifndef CLIPROXY_FAMILY_H
#define CLIPROXY_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "translate/ir.h"
#include "translate/sse.h"

struct arena;
struct buf;

/* Tool names renamed for a family with stricter names (Gemini): the
   encoder records orig -> sent, decoders of the answer map back. */
struct xlate_name {
	const char *orig;
	const char *sent;
};

struct xlate_ctx {
	struct arena *a;

	/* Model name written in client-facing responses/events (the name the
	   client asked for); NULL: echo the upstream's model. */
	const char *client_model;
	/* Model name for the upstream request (after alias resolution); NULL:
	   keep ir_request.model. */
	const char *upstream_model;

	int64_t created;    /* unix seconds for created/created_at fields */
	bool deterministic; /* ids from a counter (tests), else random */
	uint64_t id_seq;    /* the counter */

	/* The inbound request, decoded (NULL if not available): encoders of
	   responses echo its fields (Responses), decoders look up call names. */
	const struct ir_request *req;

	/* Gemini CLI envelope: the Cloud Code project (NULL: none). */
	const char *project;

	struct xlate_name *names;
	size_t nnames, capnames;
};

/* Set up a ctx: deterministic (tests) or random ids; created given. */
void xlate_ctx_init(struct xlate_ctx *c, struct arena *a, bool deterministic,
		    int64_t created);

/* A new id: prefix + n characters of [A-Za-z0-9] (random), or in
   deterministic mode prefix + the counter zero-padded to n digits
   ("toolu_" 24 -> "toolu_000000000000000000000001").  NULL on -ENOMEM. */
const char *xlate_id(struct xlate_ctx *c, const char *prefix, size_t n);

/* Record / look up tool name renames.  0 / -ENOMEM; lookups return the
   input when unknown. */
int xlate_name_add(struct xlate_ctx *c, const char *orig, const char *sent);
const char *xlate_name_sent(const struct xlate_ctx *c, const char *orig);
const char *xlate_name_orig(const struct xlate_ctx *c, const char *sent);

struct json;

/* Parse a JSON body for a decoder: 0, or -EINVAL / -E2BIG / -ENOMEM with e
   filled (status: 400 for a client request, 502 for upstream data: pass
   which one; -E2BIG on a request is 413). */
int xlate_parse(struct xlate_ctx *c, struct json *j, const char *s, size_t n,
		bool upstream, struct apierr *e);

/* The same-family body edit behind every passthrough_request: in the root
   object of json, the value of "model" becomes model (inserted first if
   absent; model NULL: untouched) and stream_key (NULL: none) becomes
   true/false (inserted first if absent and stream is true; left out if
   absent and false).  Every other byte is copied as received, so unknown
   fields, key order and whitespace survive.  0, or -EINVAL (not a JSON
   object: e 400) / -E2BIG / -ENOMEM. */
int xlate_json_edit(struct xlate_ctx *c, const char *json, size_t n, const char *model,
		    const char *stream_key, bool stream, struct buf *out, struct apierr *e);

struct family {
	const char *name; /* "openai", "responses", "claude", "gemini", "gemini-cli" */
	enum ir_family id;

	/* Requests.  decode: body -> *ret (zeroed by the callee; ret->raw and
	   ret->family set).  encode: IR -> upstream body (uses
	   ctx->upstream_model when set).  passthrough: same-family body edit:
	   the model value replaced (model may be NULL: unchanged; Gemini puts
	   the model in the URL and leaves the body alone) and the stream flag
	   set where the family has one in the body; every other byte as
	   received. */
	int (*decode_request)(struct xlate_ctx *c, const char *json, size_t n,
			      struct ir_request *ret, struct apierr *e);
	int (*encode_request)(struct xlate_ctx *c, const struct ir_request *r,
			      struct buf *out, struct apierr *e);
	int (*passthrough_request)(struct xlate_ctx *c, const char *json, size_t n,
				   const char *model, bool stream, struct buf *out,
				   struct apierr *e);

	/* Non-stream responses: upstream body -> IR; IR -> client body. */
	int (*decode_response)(struct xlate_ctx *c, const char *json, size_t n,
			       struct ir_response *ret, struct apierr *e);
	int (*encode_response)(struct xlate_ctx *c, const struct ir_response *r,
			       struct buf *out, struct apierr *e);

	/* Stream decoding: state of dec_size bytes (zeroed by the caller, then
	   dec_init).  decode_event takes one SSE event of the upstream stream
	   and emits zero or more IR events (rule 7 of ir.h: it synthesizes
	   message_start and block boundaries the family lacks).  decode_end at
	   upstream EOF closes what is open; if the stream ended without its
	   family's end marker it emits an error event (502, "upstream stream
	   ended early") rather than a normal stop. */
	size_t dec_size;
	int (*dec_init)(void *st, struct xlate_ctx *c);
	int (*decode_event)(void *st, struct xlate_ctx *c, const struct sse_event *ev,
			    ir_emit_fn emit, void *arg);
	int (*decode_end)(void *st, struct xlate_ctx *c, ir_emit_fn emit, void *arg);

	/* Stream encoding: state of enc_size bytes (zeroed, then enc_init).
	   encode_event appends zero or more complete SSE frames for one IR
	   event to out (Claude "event: x\ndata: {...}\n\n", OpenAI
	   "data: {...}\n\n" and "data: [DONE]\n\n" after message_stop, Responses
	   events with sequence_number, Gemini "data: {...}\n\n"); an ERROR
	   event writes the family's mid-stream error frame. */
	size_t enc_size;
	int (*enc_init)(void *st, struct xlate_ctx *c);
	int (*encode_event)(void *st, struct xlate_ctx *c, const struct ir_event *ev,
			    struct buf *out);

	/* Errors.  decode_error: an upstream error answer (status + body, any
	   shape, maybe not JSON) -> *ret with status (kept), type and message
	   from the body when the family's shape is recognised, else from the
	   status and the body text.  Never fails (-ENOMEM aside).
	   encode_error: the family's error body (in_stream: its mid-stream
	   frame, SSE-framed). */
	int (*decode_error)(struct xlate_ctx *c, int status, const char *body, size_t n,
			    struct apierr *ret);
	int (*encode_error)(struct xlate_ctx *c, const struct apierr *err, bool in_stream,
			    struct buf *out);
};

/* The families present in this build, in a fixed order (openai,
   responses, claude, gemini, gemini-cli; ones not linked in are skipped):
   family_at(i) for i < family_count(). */
size_t family_count(void);
const struct family *family_at(size_t i);

/* By wire name ("openai", "responses", "claude", "gemini", "gemini-cli");
   NULL if unknown or not built. */
const struct family *family_by_name(const char *name);
const struct family *family_by_id(enum ir_family id);

/* The family objects (defined in each family file). */
extern const struct family family_openai;
extern const struct family family_responses;
extern const struct family family_claude;
extern const struct family family_gemini;
extern const struct family family_gemini_cli;

#endif
