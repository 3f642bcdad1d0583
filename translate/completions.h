/*
 * completions.h - the legacy OpenAI /v1/completions endpoint as a thin
 * shell around OpenAI Chat (SPEC §1.1): the request becomes a chat request
 * body that the hub treats like any other, and the chat answer the hub
 * writes for the client is rewritten into text_completion objects.
 *
 * Request (completions_request): `prompt` (a string, or an array of
 * strings joined with "\n"; absent, null, "" or [] -> "Complete this:")
 * becomes one user message; model, max_tokens, temperature, top_p,
 * frequency_penalty, presence_penalty, n, stop, stream, stream_options,
 * top_logprobs, echo, seed and user are copied as given (null: left out).
 * Legacy `logprobs: N` (an integer) becomes chat `logprobs: true` plus
 * `top_logprobs: N` unless top_logprobs is given; a boolean is copied.
 * Refused with 400: a body that is not a JSON object, token-id prompts
 * (arrays of integers), and fields of the wrong JSON type.  `suffix`,
 * `best_of` and `logit_bias` are ignored.  The chat side decides the rest
 * (e.g. n > 1 is its 400).
 *
 * Response (completions_response): chat.completion ->
 *   {"id","object":"text_completion","created","model",
 *    "choices":[{"text","index","logprobs":null,"finish_reason"}],"usage"}
 * with text = message.content ("" when null; tool calls and reasoning are
 * dropped: the legacy shape has no place for them).  A JSON object without
 * "choices" (an error body) is copied unchanged.
 *
 * Stream (completions_stream_*): bytes of the chat SSE stream the hub
 * writes, pushed in pieces of any size; every complete event is rewritten
 * at once (nothing is held back but an unfinished event):
 *   chat.completion.chunk -> data: {"id","object":"text_completion",
 *     "created","model","choices":[{"text","index","logprobs":null,
 *     "finish_reason"}]} (+ "usage" when the chunk had it); a chunk that
 *     carries no text, no finish_reason and no usage (the role-only first
 *     chunk, tool-call and reasoning deltas) is dropped;
 *   data: [DONE] -> data: [DONE];
 *   anything else (comments, keep-alives, {"error":...} frames, data that
 *   is not JSON) -> copied unchanged.
 * Events end at a blank line; lines may end in "\n" or "\r\n".  Output
 * events always end in "\n\n".  Bounded: an unfinished event longer than
 * the max given at init is -E2BIG.
 */
#ifndef CLIPROXY_COMPLETIONS_H
#define CLIPROXY_COMPLETIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct arena;

#define COMPLETIONS_DEFAULT_PROMPT "Complete this:"

/* Legacy request body <json, n> -> chat request body appended to out.
   0, or -EINVAL (e: 400) / -E2BIG (e: 413) / -ENOMEM (e: 500). */
int completions_request(struct arena *a, const char *json, size_t n, struct buf *out,
			struct apierr *e);

/* chat.completion body -> text_completion body appended to out.
   0, or -EPROTO (not a JSON object: e 502) / -E2BIG / -ENOMEM. */
int completions_response(struct arena *a, const char *json, size_t n, struct buf *out,
			 struct apierr *e);

struct completions_stream {
	struct arena *a;
	struct buf pending; /* bytes of the event not yet complete */
	size_t scanned;     /* pending[0..scanned) holds no event end */
	bool done;          /* data: [DONE] went out */
};

/* max: ceiling for one unfinished event (e.g. LIMIT_SSE_LINE). */
void completions_stream_init(struct completions_stream *st, struct arena *a, size_t max);

/* Push chat SSE bytes <frame, n>: zero or more complete text_completion
   events are appended to out.  0, or -E2BIG / -ENOMEM (from either
   buffer). */
int completions_stream_frame(struct completions_stream *st, const char *frame, size_t n,
			     struct buf *out);

#endif
