/*
 * count_tokens.h - POST /v1/messages/count_tokens (Claude clients, answer
 * {"input_tokens":N}) and POST /v1beta/models/{model}:countTokens, also
 * /v1/models/{model}:countTokens (Gemini clients, answer
 * {"totalTokens":N,"promptTokensDetails":[{"modality":"TEXT","tokenCount":N}]}).
 *
 * The body is decoded with the client's family (a Gemini body may wrap its
 * request in "generateContentRequest"), the model is routed like an
 * inference request (registry_lookup + rr_pick), and then:
 *   - Claude upstream: the Claude count_tokens endpoint gets the Claude
 *     body (a Claude client's own body with the model replaced, or the
 *     hub's encoding kept to model, messages, system, tools, tool_choice
 *     and thinking);
 *   - Gemini upstream: :countTokens gets
 *     {"generateContentRequest":{"model":"models/<m>", ...the request}};
 *   - Gemini CLI upstream: /v1internal:countTokens gets the Cloud Code
 *     envelope (the provider's fix_body strips it to what counting takes);
 *   - any other upstream (Codex/Responses, OpenAI-compatible chat) has no
 *     count endpoint: count_tokens_estimate().
 * Every upstream body goes through the provider's fix_body and prepare
 * with provider_call.action "count_tokens" (Claude) / "countTokens".
 * When the client and upstream families are the same, the upstream's
 * answer goes back as received.  A count endpoint that answers 404, 405
 * or 501 (an Anthropic-compatible base URL without count_tokens) is
 * replaced by the estimate.  Other upstream errors are retried on the
 * next credential like inference calls and end in the client's error
 * shape; an unknown model is 404.  Count calls leave the cooldown state
 * alone (a count endpoint's limits are not the model's).
 *
 * The estimate (deterministic, an approximation of real tokenizers):
 *   text is weighed in quarter tokens: 1 per ASCII byte, 2 per 2-byte
 *   UTF-8 character, 4 per 3- or 4-byte character (CJK, emoji: about one
 *   token each); the sum over everything counted, divided by 4 and
 *   rounded up, plus fixed overheads:
 *     3 per request, 4 for a system prompt, 4 per message,
 *     4 per tool call (+ its name and arguments text),
 *     4 per tool result (+ its text, or its JSON result),
 *     8 per tool definition (+ name, description, parameter schema text),
 *     COUNT_IMAGE_TOKENS per image and per file without text.
 *   Counted text: system, message text, plain-text files, tool calls,
 *   tool results, tool definitions, the response-format schema.
 *   Thinking blocks are not counted (providers drop earlier turns'
 *   thinking from the context).
 */
#ifndef CLIPROXY_COUNT_TOKENS_H
#define CLIPROXY_COUNT_TOKENS_H

#include <stdint.h>

#include "translate/ir.h"

struct conn;
struct route_match;

#define COUNT_IMAGE_TOKENS 1024

/* The handler; the body is c->req->body (already checked to be a JSON
   object).  from: IR_FAM_CLAUDE or IR_FAM_GEMINI (IR_FAM_GEMINI_CLI
   answers like Gemini). */
void count_tokens(struct conn *c, const struct route_match *m, enum ir_family from);

/* The local estimate of a request's input tokens (rule above). */
int64_t count_tokens_estimate(const struct ir_request *r);

#endif
