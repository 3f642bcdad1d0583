/*
 * gemini.h - internal interface between gemini.c (the Gemini generateContent
 * family) and gemini_cli.c (the same bodies inside the Cloud Code envelope).
 * Not for other callers: everything else goes through struct family.
 *
 * `fam` is the wire family on the Gemini side (IR_FAM_GEMINI or
 * IR_FAM_GEMINI_CLI): decoders tag thoughtSignatures with it, encoders send
 * a signature only when ir_sig_ok(sig_family, fam).
 */
#ifndef CLIPROXY_GEMINI_H
#define CLIPROXY_GEMINI_H

#include <stdbool.h>

#include "translate/family.h"

struct json;
struct jsonw;

/* The sentinel Gemini accepts in place of a thoughtSignature it never gave
   us (SPEC §4.3); written by encoders only, never stored in the IR. */
#define GEMINI_SKIP_SIGNATURE "skip_thought_signature_validator"

/* The generateContent request object at token obj -> IR. */
int gemini_decode_req(struct xlate_ctx *c, const struct json *j, int obj, enum ir_family fam,
		      struct ir_request *r, struct apierr *e);
/* IR -> one generateContent request object written to w. */
int gemini_write_req(struct xlate_ctx *c, const struct ir_request *r, enum ir_family fam,
		     struct jsonw *w, struct apierr *e);

/* A GenerateContentResponse object -> IR (-EAGAIN/502 when it has no content). */
int gemini_decode_resp(struct xlate_ctx *c, const struct json *j, int obj, enum ir_family fam,
		       struct ir_response *r, struct apierr *e);
/* IR -> one GenerateContentResponse object written to w. */
int gemini_write_resp(struct xlate_ctx *c, const struct ir_response *r, enum ir_family fam,
		      struct jsonw *w);

/* Stream decoding state (both families; gemini_cli unwraps each chunk). */
struct gemini_dec {
	enum ir_family fam;
	bool started, finished, dead, any_call, any_content;
	int open;                 /* open block index, -1 none */
	enum ir_block_kind open_kind;
	int next;                 /* next block index */
	const char *id, *model;   /* arena copies */
	struct ir_usage usage;
	enum ir_stop stop;
	const char *stop_raw;
};
int gemini_dec_start(struct gemini_dec *d, struct xlate_ctx *c, enum ir_family fam);
/* One chunk (a GenerateContentResponse, or {"error":...}) at token obj. */
int gemini_dec_chunk(struct gemini_dec *d, struct xlate_ctx *c, const struct json *j, int obj,
		     ir_emit_fn emit, void *arg);
/* One SSE event: parse its data, unwrap {"response":...} when unwrap. */
int gemini_dec_sse(struct gemini_dec *d, struct xlate_ctx *c, const struct sse_event *ev,
		   bool unwrap, ir_emit_fn emit, void *arg);
int gemini_dec_finish(struct gemini_dec *d, struct xlate_ctx *c, ir_emit_fn emit, void *arg);

/* Stream encoding state. */
struct gemini_enc {
	enum ir_family fam;
	bool wrap;                /* gemini-cli: each chunk is {"response":{...}} */
	const char *id, *model;
	struct ir_usage usage;
	enum ir_block_kind open_kind;
	bool open;
	const char *call_id, *call_name;
	bool call_custom;
	struct buf args, sig;
	enum ir_family call_sig_family;
};
int gemini_enc_start(struct gemini_enc *s, struct xlate_ctx *c, enum ir_family fam, bool wrap);
int gemini_enc_event(struct gemini_enc *s, struct xlate_ctx *c, const struct ir_event *ev,
		     struct buf *out);

/* Errors: {"error":{"code","message","status"}} (also inside a JSON array,
   as Cloud Code sends them). */
int gemini_decode_error(struct xlate_ctx *c, int status, const char *body, size_t n,
			struct apierr *ret);
int gemini_encode_error(struct xlate_ctx *c, const struct apierr *err, bool in_stream,
			struct buf *out);

/* The JSON value at tok re-written without whitespace, in the arena
   (absent on -ENOMEM / -E2BIG). */
struct ir_str gemini_compact(struct arena *a, const struct json *j, int tok);

/* Gemini finishReason for an IR stop. */
const char *gemini_finish_reason(enum ir_stop stop, const char *raw);

#endif
