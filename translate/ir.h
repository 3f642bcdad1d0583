/*
 * ir.h - the canonical conversation every family decodes into and encodes
 * out of (DESIGN.md §2: one hub, N + M pieces).  One form only:
 *
 *   request   = system parts + messages (role + parts) + tools + settings
 *   response  = parts + stop reason + usage            (non-stream)
 *   events    = message_start, block_start, delta, block_stop, usage,
 *               message_stop | error                   (stream)
 *
 * Memory: everything hangs off the translation arena (struct xlate_ctx.a).
 * Strings point either into the decoded input document (which the caller
 * keeps alive as long as the arena) or into arena copies; nothing is freed.
 *
 * Two kinds of strings:
 *   - identifiers (model, ids, names, mime types, effort levels) are
 *     NUL-terminated `const char *`, NULL when absent;
 *   - content (text, base64 data, raw JSON, signatures) is a struct ir_str
 *     <p, n>: p == NULL means absent, p != NULL && n == 0 means present and
 *     empty.  Content is unescaped UTF-8 unless the field says "raw JSON",
 *     in which case it is a complete valid JSON value (e.g. json_text() of a
 *     parsed token), re-emitted with jw_raw().
 *
 * Canonical choices every decoder/encoder relies on (the invariant checker,
 * ir_check_*, enforces the structural ones):
 *  1. System text that sits in a family's dedicated slot (Claude `system`,
 *     Gemini `systemInstruction`, Responses `instructions`, and OpenAI
 *     leading system/developer messages before the first other message) is
 *     ir_request.system.  A system/developer message that appears anywhere
 *     else (Claude Code's role:"system" between turns, Responses developer
 *     items after the first user item) stays in messages[] with
 *     IR_ROLE_SYSTEM, in place; encoders of families without mid-
 *     conversation system turns turn it into system text or user text.
 *  2. Tool results are IR_PART_TOOL_RESULT parts of IR_ROLE_USER messages
 *     (the Claude/Gemini shape).  Decoders of families with separate tool
 *     messages (OpenAI role:"tool", Responses function_call_output items)
 *     gather consecutive results into one user message; encoders split them
 *     back out.  There is no "tool" role.
 *  3. Every tool call has a non-empty call_id and name.  Decoders of
 *     families without ids (Gemini) generate them with xlate_id(); a tool
 *     result's call_id names an earlier tool call of the same request (the
 *     checker verifies it) and carries the tool name when known.
 *  4. Tool call arguments are raw JSON text exactly as received (for
 *     OpenAI the unescaped `arguments` string, which may be invalid JSON or
 *     a non-object).  Encoders that need an object use ir_args_object().
 *  5. Signatures (Claude thinking signature, Gemini thoughtSignature,
 *     Responses reasoning encrypted_content) are opaque bytes tagged with
 *     the family that produced them (sig_family).  Encoders send a
 *     signature only to a family that accepts it: ir_sig_ok(); a Claude
 *     thinking block whose signature cannot go to Claude is dropped, never
 *     sent unsigned.  Nobody invents a signature (the Gemini
 *     "skip_thought_signature_validator" sentinel is an encoder's business
 *     and is never stored in the IR).
 *  6. Usage counts follow OpenAI's convention: input includes cached reads
 *     and cache creation; output includes reasoning tokens.  (Claude:
 *     input = input_tokens + cache_read + cache_creation; Gemini: output =
 *     candidatesTokenCount + thoughtsTokenCount.)
 *  7. Stream events are well nested: exactly one message_start first, then
 *     blocks with indices 0, 1, 2, ... one open at a time (block_start,
 *     deltas of the block's kind, block_stop), usage events anywhere after
 *     message_start, and message_stop last with every block closed.  An
 *     error event may come at any point and ends the stream.  Decoders of
 *     families without block boundaries (OpenAI chat, Gemini) synthesize
 *     them.
 */
#ifndef CLIPROXY_IR_H
#define CLIPROXY_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct arena;

/* The wire families.  IR_FAM_NONE: unknown / not from any family. */
enum ir_family {
	IR_FAM_NONE = 0,
	IR_FAM_OPENAI,     /* OpenAI Chat Completions */
	IR_FAM_RESPONSES,  /* OpenAI Responses (Codex) */
	IR_FAM_CLAUDE,     /* Claude Messages */
	IR_FAM_GEMINI,     /* Gemini generateContent */
	IR_FAM_GEMINI_CLI, /* Cloud Code envelope around Gemini */
	IR_FAM_COUNT
};

struct ir_str {
	const char *p; /* NULL: absent */
	size_t n;
};

#define IR_STR_LIT(s) ((struct ir_str){ (s), sizeof(s) - 1 })
#define IR_STR_NONE ((struct ir_str){ NULL, 0 })

/* ir_str from a C string (NULL -> absent). */
static inline struct ir_str ir_str_c(const char *s)
{
	struct ir_str r = { s, 0 };
	if (s)
		while (s[r.n])
			r.n++;
	return r;
}
static inline bool ir_str_set(struct ir_str s) { return s.p != NULL; }

/* ---- Request ------------------------------------------------------------ */

enum ir_role {
	IR_ROLE_USER = 0,
	IR_ROLE_ASSISTANT,
	IR_ROLE_SYSTEM, /* a system/developer turn inside the conversation (rule 1) */
};

enum ir_part_kind {
	IR_PART_TEXT = 0,
	IR_PART_IMAGE,             /* mime + base64 data, or url */
	IR_PART_FILE,              /* document/file: mime + base64 data, or url, or plain text */
	IR_PART_TOOL_CALL,         /* assistant: call_id, name, args (or custom input) */
	IR_PART_TOOL_RESULT,       /* user: call_id, name?, content parts, is_error */
	IR_PART_THINKING,          /* assistant: text + signature */
	IR_PART_REDACTED_THINKING, /* assistant: opaque data (Claude), sig_family says whose */
};

struct ir_part {
	enum ir_part_kind kind;

	/* TEXT: the text.  THINKING: the thinking text (may be empty when only
	   a signature/encrypted content exists).  FILE: plain-text document
	   body when the source was text rather than bytes. */
	struct ir_str text;

	/* THINKING: its signature; any other kind: a Gemini thoughtSignature
	   attached to that part.  REDACTED_THINKING: the opaque `data`.  Always
	   tagged with the producing family (rule 5). */
	struct ir_str signature;
	enum ir_family sig_family;

	/* IMAGE / FILE.  Exactly one of data (base64 text, as received, no
	   data: prefix) or url (http(s) URL, or a provider file URI for Gemini
	   fileData) is set; decoders turn data: URLs into mime + data. */
	const char *mime;    /* e.g. "image/png"; may be NULL for url */
	struct ir_str data;  /* base64 */
	const char *url;
	const char *filename; /* FILE: OpenAI file.filename / Claude document title */
	const char *detail;   /* IMAGE: OpenAI image_url.detail */
	const char *file_id;  /* FILE/IMAGE: OpenAI file_id (same-family only) */

	/* TOOL_CALL / TOOL_RESULT */
	const char *call_id;
	const char *name;
	struct ir_str args;   /* TOOL_CALL: raw JSON text of the arguments (rule 4);
				 absent means {} */
	bool custom;          /* TOOL_CALL: a Responses custom tool call: input is
				 free text in `text`, args absent */

	/* TOOL_RESULT: the result as parts (TEXT and IMAGE only), in order;
	   result_json: a structured result (Gemini functionResponse.response,
	   raw JSON object) when the source had one; encoders of text families
	   render it as its JSON text when content is empty. */
	struct ir_part *content;
	size_t ncontent, capcontent;
	struct ir_str result_json;
	bool is_error;

	/* Claude cache_control of this block, raw JSON (Claude→Claude only). */
	struct ir_str cache_control;
};

struct ir_message {
	enum ir_role role;
	struct ir_part *parts;
	size_t nparts, capparts;
	const char *name; /* OpenAI message `name`, rarely used */
};

enum ir_tool_kind {
	IR_TOOL_FUNCTION = 0, /* name, description, parameters (JSON Schema) */
	IR_TOOL_CUSTOM,       /* Responses free-form tool: name, description, format */
	IR_TOOL_BUILTIN,      /* provider built-in (web_search, google_search, ...):
				 type + raw, meaningful to raw_family (and mapped
				 by encoders that know an equivalent) */
};

struct ir_tool {
	enum ir_tool_kind kind;
	const char *name;
	struct ir_str description;
	struct ir_str parameters; /* raw JSON Schema object; absent: none */
	struct ir_str format;     /* CUSTOM: raw JSON of Responses `format` */
	int strict;               /* -1 unset, 0, 1 */
	const char *type;         /* BUILTIN: the type string, e.g. "web_search_20250305" */
	struct ir_str raw;        /* BUILTIN (and any tool): the whole original JSON */
	enum ir_family raw_family;
	struct ir_str cache_control; /* Claude, raw JSON */
};

enum ir_tool_choice_kind {
	IR_TC_UNSET = 0,
	IR_TC_AUTO,
	IR_TC_NONE,
	IR_TC_REQUIRED, /* Claude "any", Gemini ANY, OpenAI "required" */
	IR_TC_TOOL,     /* a specific tool: name */
};

struct ir_tool_choice {
	enum ir_tool_choice_kind kind;
	const char *name;
};

/* Generation settings; each value counts only if its has_ flag is set. */
struct ir_gen {
	bool has_max_tokens, has_temperature, has_top_p, has_top_k, has_seed;
	bool has_presence_penalty, has_frequency_penalty, has_n;
	int64_t max_tokens;
	double temperature;
	double top_p;
	int64_t top_k;
	int64_t seed;
	double presence_penalty;
	double frequency_penalty;
	int64_t n; /* candidates / choices */
	struct ir_str *stop; /* stop sequences, in order */
	size_t nstop, capstop;
};

enum ir_think_mode {
	IR_THINK_UNSET = 0,
	IR_THINK_DISABLED, /* Claude disabled, effort "none", budget 0 */
	IR_THINK_ENABLED,  /* on, with budget and/or effort */
	IR_THINK_ADAPTIVE, /* Claude adaptive/auto, Gemini budget -1, effort "auto" */
};

struct ir_reasoning {
	enum ir_think_mode mode;
	const char *effort;    /* as given: none|minimal|low|medium|high|xhigh|max|... */
	bool has_budget;
	int64_t budget;        /* tokens; -1 dynamic */
	int include_thoughts;  /* -1 unset, 0, 1 (Gemini includeThoughts) */
	const char *summary;   /* Responses reasoning.summary ("auto", "detailed") */
};

enum ir_format_kind {
	IR_FMT_UNSET = 0,
	IR_FMT_TEXT,
	IR_FMT_JSON_OBJECT,
	IR_FMT_JSON_SCHEMA,
};

struct ir_format {
	enum ir_format_kind kind;
	const char *name;         /* json_schema name */
	struct ir_str description;
	struct ir_str schema;     /* raw JSON Schema */
	int strict;               /* -1 unset */
	/* The client's own schema member as sent, as a raw JSON object (Gemini:
	   {"responseSchema":{...}}), re-sent as is to the same backend. */
	struct ir_str raw;
	enum ir_family raw_family;
};

struct ir_request {
	const char *model;
	bool stream;
	bool include_usage;         /* OpenAI stream_options.include_usage */

	struct ir_part *system;     /* TEXT parts (rule 1), in order */
	size_t nsystem, capsystem;

	struct ir_message *messages;
	size_t nmessages, capmessages;

	struct ir_tool *tools;
	size_t ntools, captools;
	struct ir_tool_choice tool_choice;
	int parallel_tool_calls; /* -1 unset, 0, 1 */

	struct ir_gen gen;
	struct ir_reasoning reasoning;
	struct ir_format format;

	struct ir_str metadata;  /* raw JSON object (Claude metadata, OpenAI metadata) */
	struct ir_str safety;    /* Gemini safetySettings, raw JSON array (Gemini families only) */
	const char *user;        /* OpenAI `user`, Claude metadata.user_id */

	/* Where it came from: the whole inbound body and its family, for
	   encoders that echo request fields (Responses) and for diagnostics. */
	enum ir_family family;
	struct ir_str raw;
};

/* ---- Response (non-stream) ---------------------------------------------- */

enum ir_stop {
	IR_STOP_UNSET = 0,
	IR_STOP_END_TURN,      /* OpenAI stop, Gemini STOP, Claude end_turn */
	IR_STOP_MAX_TOKENS,    /* length, MAX_TOKENS, max_tokens */
	IR_STOP_TOOL_USE,      /* tool_calls, tool_use, (Gemini: any functionCall) */
	IR_STOP_STOP_SEQUENCE, /* Claude stop_sequence (OpenAI: stop) */
	IR_STOP_SAFETY,        /* content_filter, SAFETY, refusal, ... */
	IR_STOP_PAUSE,         /* Claude pause_turn */
	IR_STOP_ERROR,
	IR_STOP_OTHER,         /* anything else: see stop_raw */
};

struct ir_usage {
	bool has_input, has_output, has_cached, has_cache_creation;
	bool has_reasoning, has_total;
	int64_t input;          /* incl. cached + cache creation (rule 6) */
	int64_t output;         /* incl. reasoning */
	int64_t cached;         /* cache reads */
	int64_t cache_creation;
	int64_t reasoning;
	int64_t total;
};

struct ir_response {
	const char *id;
	const char *model;
	int64_t created; /* unix seconds, 0 unknown */
	struct ir_part *parts; /* TEXT, THINKING, REDACTED_THINKING, TOOL_CALL, IMAGE */
	size_t nparts, capparts;
	enum ir_stop stop;
	const char *stop_raw;       /* the upstream's own word, if any */
	struct ir_str stop_sequence; /* which stop sequence matched */
	struct ir_usage usage;
	enum ir_family family;      /* who decoded it */
};

/* ---- Stream events ------------------------------------------------------ */

enum ir_ev_kind {
	IR_EV_MESSAGE_START = 0, /* id, model, created, usage so far */
	IR_EV_BLOCK_START,       /* index, block (+ call_id, name for tool calls;
				    + text for REDACTED: the data) */
	IR_EV_DELTA,             /* index, delta, text */
	IR_EV_BLOCK_STOP,        /* index */
	IR_EV_USAGE,             /* usage update (each has_ field replaces) */
	IR_EV_MESSAGE_STOP,      /* stop, stop_raw, stop_sequence, final usage */
	IR_EV_ERROR,             /* status, err_type, message; ends the stream */
	IR_EV_PING,              /* keep-alive; encoders may write nothing */
};

enum ir_block_kind {
	IR_BLOCK_TEXT = 0,
	IR_BLOCK_THINKING,
	IR_BLOCK_TOOL_CALL,
	IR_BLOCK_REDACTED_THINKING,
	IR_BLOCK_IMAGE, /* a whole inline image (Gemini image models): mime + data
			   at block_start, no deltas */
};

enum ir_delta_kind {
	IR_DELTA_TEXT = 0,   /* TEXT block */
	IR_DELTA_THINKING,   /* THINKING block */
	IR_DELTA_SIGNATURE,  /* THINKING block (Claude, Responses), or any block
				for a Gemini thoughtSignature; sig_family set */
	IR_DELTA_TOOL_ARGS,  /* TOOL_CALL block: fragment of the arguments JSON;
				for custom tool calls: fragment of the input text */
};

struct ir_event {
	enum ir_ev_kind kind;

	int index;                /* block events */
	enum ir_block_kind block; /* BLOCK_START (and echoed on DELTA/STOP by decoders
				     that know it; the checker does not rely on it) */
	enum ir_delta_kind delta; /* DELTA */
	struct ir_str text;       /* DELTA payload; BLOCK_START REDACTED: data */
	enum ir_family sig_family; /* DELTA SIGNATURE, BLOCK_START REDACTED */

	/* MESSAGE_START */
	const char *id;
	const char *model;
	int64_t created;

	/* BLOCK_START TOOL_CALL */
	const char *call_id;
	const char *name;
	bool custom;

	/* BLOCK_START IMAGE */
	const char *mime;
	struct ir_str data;

	/* MESSAGE_START, USAGE, MESSAGE_STOP */
	struct ir_usage usage;

	/* MESSAGE_STOP */
	enum ir_stop stop;
	const char *stop_raw;
	struct ir_str stop_sequence;

	/* ERROR */
	int status;            /* HTTP-ish status (500 if unknown) */
	const char *err_type;  /* e.g. "overloaded_error", "api_error" */
	struct ir_str message;
};

/* A decoder hands each event to an emit callback; a non-zero return (a
   negative errno) stops the decoder, which returns it. */
typedef int (*ir_emit_fn)(void *arg, const struct ir_event *ev);

/* ---- Building (arena arrays; each returns a zeroed element or NULL on
   -ENOMEM) -------------------------------------------------------------- */

struct ir_message *ir_add_message(struct arena *a, struct ir_request *r, enum ir_role role);
struct ir_part *ir_add_part(struct arena *a, struct ir_message *m, enum ir_part_kind kind);
struct ir_part *ir_add_system(struct arena *a, struct ir_request *r); /* a TEXT part */
struct ir_tool *ir_add_tool(struct arena *a, struct ir_request *r, enum ir_tool_kind kind);
int ir_add_stop(struct arena *a, struct ir_request *r, const char *s, size_t n); /* 0/-ENOMEM */
struct ir_part *ir_add_resp_part(struct arena *a, struct ir_response *r, enum ir_part_kind kind);
struct ir_part *ir_add_result_part(struct arena *a, struct ir_part *result, enum ir_part_kind kind);

/* The last message if it has this role, else a new one (for merging). */
struct ir_message *ir_tail_message(struct arena *a, struct ir_request *r, enum ir_role role);

/* ---- Helpers ------------------------------------------------------------ */

bool ir_str_eq(struct ir_str s, const char *lit);
/* Arena copy as a C string (NULL for an absent s). */
char *ir_str_dup(struct arena *a, struct ir_str s);

/* The arguments of a tool call as a JSON object text: args when they parse
   as a JSON object, else "{}".  Never fails (parse errors give "{}"). */
struct ir_str ir_args_object(struct arena *a, const struct ir_part *call);

/* May a signature produced by `from` be sent to family `to`?  Same family,
   or Gemini <-> Gemini CLI (same backend). */
bool ir_sig_ok(enum ir_family from, enum ir_family to);

/* Carrying a foreign signature through a client family that has a slot
   for one (Claude thinking signature / redacted data, Responses
   encrypted_content): the client gets "cliproxy:<family>:<sig>" and hands
   it back verbatim in a later request, where the decoder untags it and so
   knows which family produced it (rule 5).  ir_sig_tag: the bytes to write
   for a signature of family `from` into client family `to` (sig unchanged
   when ir_sig_ok(from, to); absent if from is IR_FAM_NONE or on ENOMEM).
   ir_sig_untag: a tagged s gives its family and the inner bytes; an
   untagged one gives deflt and s. */
struct ir_str ir_sig_tag(struct arena *a, enum ir_family from, enum ir_family to,
			 struct ir_str sig);
void ir_sig_untag(struct ir_str s, enum ir_family deflt, enum ir_family *ret_fam,
		  struct ir_str *ret_sig);

/* "data:<mime>;base64,<data>" <-> mime + data.  Parse returns 0 or -EINVAL
   (not a base64 data URL); outputs point into s / the arena. */
int ir_data_url_parse(struct arena *a, const char *s, size_t n, const char **ret_mime,
		      struct ir_str *ret_data);
char *ir_data_url(struct arena *a, const char *mime, struct ir_str data);

/* SPEC §4.6 levels <-> budgets: none 0, auto -1, minimal 512, low 1024,
   medium 8192, high 24576, xhigh 32768, max 128000.  effort_to_budget
   returns 0 and sets *ret for a known level, -EINVAL otherwise.
   budget_to_effort: <=0 "none" (0) / "auto" (-1), <=512 minimal, <=1024 low,
   <=8192 medium, <=24576 high, else xhigh. */
int ir_effort_to_budget(const char *effort, int64_t *ret);
const char *ir_budget_to_effort(int64_t budget);

/* Custom (free-form) tools through function-only families: encoders that
   have no free-form tools send an IR_TOOL_CUSTOM tool as a function with
   one required string parameter "input" (and custom calls as args
   {"input": text}); the answer's calls then carry args {"input": "..."},
   which the Responses encoder turns back into custom calls when
   ir_find_tool(ctx->req, name) is IR_TOOL_CUSTOM: ir_custom_input() gives
   the text (0, or -EINVAL if args is not an object with a string input). */
const struct ir_tool *ir_find_tool(const struct ir_request *r, const char *name);
int ir_custom_input(struct arena *a, struct ir_str args, struct ir_str *ret_text);

/* The tool name of an earlier call id in the request (NULL if unknown). */
const char *ir_call_name(const struct ir_request *r, const char *call_id);

/* Names for diagnostics and tests. */
const char *ir_family_name(enum ir_family f);
const char *ir_stop_name(enum ir_stop s);
const char *ir_event_name(enum ir_ev_kind k);

/* ---- Bridging (stream <-> non-stream) ----------------------------------- */

/* Accumulate a well-formed event sequence into one response: text and
   thinking deltas concatenated per block, tool args joined, usage merged
   (each later has_ field replaces), stop from message_stop.  Usable as an
   ir_emit_fn: ir_acc_event(&acc, ev).  After an error event acc.err holds it
   (status/type/message) and ir_acc_event returns -EPROTO. */
struct ir_acc {
	struct arena *a;
	struct ir_response resp;
	int open;                /* index of the open block, -1 none */
	struct ir_part *cur;     /* its part (NULL for dropped kinds) */
	struct buf text, sig;    /* the open block's deltas */
	bool started, stopped, failed;
	struct ir_event err;
};
void ir_acc_init(struct ir_acc *acc, struct arena *a);
int ir_acc_event(void *acc, const struct ir_event *ev);

/* Explode a response into a well-formed event sequence (message_start,
   one block per part with its whole content as one delta, usage in
   message_stop).  Returns 0 or the first non-zero emit return. */
int ir_response_events(const struct ir_response *r, ir_emit_fn emit, void *arg);

/* ---- Dumps (tests, fuzzers, debugging) ---------------------------------- */

/* The IR as one line of JSON with every field that is set, in a fixed
   order; two IRs are equal iff their dumps are.  The request's raw body and
   family, and tools' raw JSON (except built-ins), are left out: they record
   where the IR came from, not what it says.  0 or the buf's error. */
int ir_dump_request(struct buf *b, const struct ir_request *r);
int ir_dump_response(struct buf *b, const struct ir_response *r);
int ir_dump_event(struct buf *b, const struct ir_event *ev);

/* ---- Invariant checker (tests, fuzzers) --------------------------------- */

/* 0, or -EINVAL with *why set to a static description of the first
   violation (why may be NULL). */
int ir_check_request(const struct ir_request *r, const char **why);
int ir_check_response(const struct ir_response *r, const char **why);

/* Event sequences: init, feed each event, then end (which requires a
   message_stop or an error to have been seen). */
struct ir_checker {
	int state;       /* internal: 0 before start, 1 in message, 2 done */
	int next_index;  /* index the next block_start must have */
	int open;        /* open block index, -1 none */
	enum ir_block_kind open_kind;
	bool open_custom;
	const char *why;
};
void ir_checker_init(struct ir_checker *c);
int ir_check_event(struct ir_checker *c, const struct ir_event *ev);
int ir_check_end(struct ir_checker *c);

#endif
