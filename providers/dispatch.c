/*
 * dispatch.c - the request pipeline between the client family and the
 * upstream family.  The client's response head is sent only when the first
 * translated event is ready, so every failure before it can still be
 * retried on another credential and answered with a real status.  Bounded:
 * upstream error bodies (LIMIT_UPSTREAM_ERROR_BODY), non-stream bodies
 * (LIMIT_UPSTREAM_BODY), SSE lines (LIMIT_SSE_LINE).
 */
#include "providers/dispatch.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "auth/refresh.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/http_resp.h"
#include "core/limits.h"
#include "core/route.h"
#include "providers/passthrough.h"
#include "providers/payload.h"
#include "providers/provider.h"
#include "providers/upstream.h"
#include "translate/completions.h"
#include "translate/family.h"
#include "translate/sse.h"

struct call {
	struct conn *c;
	struct xlate_ctx *x;
	const struct family *from, *to;
	bool client_stream;   /* the client asked for a stream */
	bool upstream_stream; /* the upstream answers with a stream */
	int status;           /* upstream status */
	bool ok;              /* 2xx */
	struct buf body;      /* non-stream body, or the error body */
	struct sse_parser sp;
	void *dec, *enc;
	struct ir_acc acc;
	bool client_started;  /* the client's response head went out */
	bool any_event;       /* a payload event was decoded */
	int err;              /* first write/translate error */
	int64_t retry_after_s;
	bool raw;             /* same family both sides: forward upstream bytes */
	bool at_end;          /* events now come from decode_end, not a frame */
	struct completions_stream *legacy; /* /v1/completions: chat output rewritten */
	int64_t quiet_since_ms; /* last upstream byte or keep-alive (monotonic) */
	const char *pass_hdrs;  /* passthrough-headers: lines for the client */
};


static int start_client_stream(struct call *k)
{
	if (k->client_started)
		return 0;
	k->client_started = true;
	return http_stream_begin(k->c, 200, "text/event-stream", k->pass_hdrs);
}

/* One IR event from the upstream decoder. */
static int on_event(void *arg, const struct ir_event *ev)
{
	struct call *k = arg;
	struct buf out;
	int r;

	if (ev->kind != IR_EV_PING && ev->kind != IR_EV_ERROR)
		k->any_event = true;
	if (!k->client_stream) {
		/* An error event is kept in acc for finish_ok: not a failure here. */
		r = ir_acc_event(&k->acc, ev);
		return r == -EPROTO ? 0 : r;
	}
	if (ev->kind == IR_EV_ERROR && !k->client_started) {
		/* An error before anything reached the client: keep it for the
		   caller, who can still retry or answer with a status. */
		ir_acc_event(&k->acc, ev);
		return -EPROTO;
	}
	if (k->raw) {
		/* The upstream frame itself is forwarded by drain_events; only an
		   error synthesized at the end (a cut stream) needs writing. */
		if (ev->kind == IR_EV_ERROR && k->at_end) {
			struct apierr e = { ev->status ? ev->status : 502, ev->err_type,
					    ir_str_dup(&k->c->req_arena, ev->message) };
			buf_init(&out, &k->c->req_arena, 1 << 20);
			if (k->from->encode_error(k->x, &e, true, &out) == 0 && start_client_stream(k) == 0)
				return http_stream_write(k->c, out.p, out.len);
		}
		return 0;
	}
	buf_init(&out, &k->c->req_arena, LIMIT_SSE_LINE);
	r = k->from->encode_event(k->enc, k->x, ev, &out);
	if (r < 0)
		return r;
	if (k->legacy && out.len) {
		struct buf conv;
		buf_init(&conv, &k->c->req_arena, LIMIT_SSE_LINE);
		r = completions_stream_frame(k->legacy, out.p, out.len, &conv);
		if (r < 0)
			return r;
		out = conv;
	}
	if (out.len == 0)
		return 0;
	r = start_client_stream(k);
	if (r == 0)
		r = http_stream_write(k->c, out.p, out.len);
	return r;
}

static int on_head(void *arg, const struct upstream_resp *resp)
{
	struct call *k = arg;
	const char *ra;

	k->status = resp->status;
	k->ok = resp->status >= 200 && resp->status < 300;
	k->pass_hdrs = k->ok && k->c->cfg.passthrough_headers
			       ? passthrough_headers(&k->c->req_arena, resp) : NULL;
	ra = upstream_resp_header(resp, "retry-after");
	k->retry_after_s = ra ? rr_parse_retry_after(ra, (int64_t)time(NULL)) : -1;
	buf_init(&k->body, &k->c->req_arena,
		 k->ok ? (size_t)LIMIT_UPSTREAM_BODY : (size_t)LIMIT_UPSTREAM_ERROR_BODY);
	if (k->ok && k->upstream_stream)
		sse_init(&k->sp, &k->c->req_arena, LIMIT_SSE_LINE);
	return 0;
}

static int drain_events(struct call *k)
{
	struct sse_event ev;
	int r;

	while ((r = sse_next(&k->sp, &ev)) > 0) {
		r = k->to->decode_event(k->dec, k->x, &ev, on_event, k);
		if (r < 0)
			return r;
		if (k->raw && k->client_stream) {
			/* Same family: the upstream's frame as it came (fields we do
			   not model, ids, cache usage all intact). */
			struct buf out;
			buf_init(&out, &k->c->req_arena, LIMIT_SSE_LINE + 1024);
			r = sse_write(&out, ev.event_len ? ev.event : NULL, ev.data, ev.data_len);
			if (r == 0)
				r = start_client_stream(k);
			if (r == 0)
				r = http_stream_write(k->c, out.p, out.len);
			if (r < 0)
				return r;
		}
	}
	return r;
}

/* streaming.keepalive-seconds: an SSE comment to a client stream whose
   upstream has been silent that long (after the head went out: before it,
   a failure can still get a real status). */
static int on_tick(void *arg)
{
	struct call *k = arg;
	int64_t now = now_ms(), every = (int64_t)k->c->cfg.streaming.keepalive_seconds * 1000;

	if (every <= 0 || !k->client_stream || !k->client_started ||
	    now - k->quiet_since_ms < every - 50) /* ticks come about once a second */
		return 0;
	k->quiet_since_ms = now;
	if (http_stream_write(k->c, ": keep-alive\n\n", 14) < 0) {
		k->c->client_gone = true;
		return -EPIPE;
	}
	return 0;
}

static int on_data(void *arg, const char *p, size_t n)
{
	struct call *k = arg;
	int r;

	k->quiet_since_ms = now_ms();

	if (!k->ok || !k->upstream_stream) {
		if (buf_add(&k->body, p, n) < 0)
			return k->ok ? -E2BIG : 0; /* error bodies: keep the head of it */
		return 0;
	}
	r = sse_push(&k->sp, p, n);
	if (r == 0)
		r = drain_events(k);
	if (r < 0 && !k->err)
		k->err = r;
	return r;
}

/* Answer the client with an error: a status + body before the stream, the
   family's in-stream error frame after. */
static void answer_error(struct call *k, const struct apierr *e, const char *extra)
{
	struct buf out;

	buf_init(&out, &k->c->req_arena, 1 << 20);
	if (k->client_started) {
		if (k->from->encode_error(k->x, e, true, &out) == 0)
			http_stream_write(k->c, out.p, out.len);
		return;
	}
	if (k->from->encode_error(k->x, e, false, &out) < 0) {
		http_respond_error(k->c, k->c->family, e, extra);
		return;
	}
	http_respond(k->c, e->status, "application/json", extra, out.p, out.len);
}

static bool retryable(int status)
{
	return status == 0 || status == 401 || status == 402 || status == 403 || status == 408 ||
	       status == 429 || status >= 500;
}

/* Finish a successful upstream answer: flush the stream or translate the
   whole body.  0, or -EAGAIN (empty answer: try another credential) with e. */
static int finish_ok(struct call *k, struct apierr *e)
{
	struct ir_response resp;
	struct buf out;
	int r;

	if (k->upstream_stream) {
		sse_finish(&k->sp);
		r = drain_events(k);
		k->at_end = true;
		if (r == 0 || r == -EPROTO)
			r = k->to->decode_end(k->dec, k->x, on_event, k);
		if (!k->client_stream || !k->client_started) {
			if (k->acc.failed) {
				*e = (struct apierr){ k->acc.err.status ? k->acc.err.status : 502,
						      k->acc.err.err_type,
						      ir_str_dup(&k->c->req_arena, k->acc.err.message) };
				return -EAGAIN;
			}
		}
		if (k->client_stream)
			return k->client_started || k->any_event ? 0
				: apierr_set(e, -EAGAIN, 502, "api_error", "empty response from upstream");
		resp = k->acc.resp;
		if (!k->any_event || (resp.nparts == 0 && resp.stop != IR_STOP_MAX_TOKENS))
			return apierr_set(e, -EAGAIN, 502, "api_error", "empty response from upstream");
	} else {
		memset(&resp, 0, sizeof(resp));
		r = k->to->decode_response(k->x, k->body.p, k->body.len, &resp, e);
		if (r < 0)
			return -EAGAIN;
		if (k->client_stream) {
			k->raw = false; /* a synthesized stream: encode every event */
			return ir_response_events(&resp, on_event, k);
		}
		if (k->raw) {
			/* Same family: the upstream's answer byte for byte. */
			http_respond(k->c, 200, "application/json", k->pass_hdrs, k->body.p,
				     k->body.len);
			return 0;
		}
	}
	buf_init(&out, &k->c->req_arena, LIMIT_UPSTREAM_BODY);
	r = k->from->encode_response(k->x, &resp, &out, e);
	if (r < 0)
		return r;
	if (k->legacy) {
		struct buf conv;
		buf_init(&conv, &k->c->req_arena, LIMIT_UPSTREAM_BODY);
		r = completions_response(&k->c->req_arena, out.p, out.len, &conv, e);
		if (r < 0)
			return r;
		out = conv;
	}
	http_respond(k->c, 200, "application/json", k->pass_hdrs, out.p, out.len);
	return 0;
}

/* Encode the body for the upstream family. */
static int encode_body(struct call *k, const struct ir_request *req, const char *upstream_model,
		       struct buf *body, struct apierr *e)
{
	const struct buf *in = &k->c->req->body;

	buf_init(body, &k->c->req_arena, LIMIT_BODY_BYTES * 2);
	k->x->upstream_model = upstream_model;
	if (k->from == k->to)
		return k->to->passthrough_request(k->x, in->p, in->len, upstream_model,
						  k->upstream_stream, body, e);
	{
		struct ir_request r2 = *req;
		r2.stream = k->upstream_stream;
		r2.model = upstream_model;
		return k->to->encode_request(k->x, &r2, body, e);
	}
}

int dispatch_candidates(struct conn *c, const char *model, enum ir_family from,
			struct target **ret, size_t *ret_n, struct apierr *e)
{
	struct registry reg;
	char *msg;

	memset(&reg, 0, sizeof(reg));
	if (registry_build(&reg, &c->cfg, &c->req_arena, &c->secrets) == 0 &&
	    registry_lookup(&reg, model, ret, ret_n) == 0 && *ret_n > 0)
		return 0;
	msg = arena_printf(&c->req_arena,
			   "unknown model %s: no configured provider serves it (see GET /v1/models)",
			   model);
	*e = (struct apierr){ 404, "not_found_error", msg ? msg : "unknown model" };
	if (from == IR_FAM_OPENAI || from == IR_FAM_RESPONSES)
		e->type = "invalid_request_error";
	return -ENOENT;
}

int dispatch_budget(struct conn *c, size_t n, const char **ret_state_dir, bool **ret_tried,
		    int *ret_max_attempts, struct apierr *e)
{
	int max = 1 + (c->cfg.request_retry > 0 ? c->cfg.request_retry : 0);

	*ret_state_dir = rr_state_dir(&c->cfg, &c->req_arena);
	*ret_tried = arena_zalloc(&c->req_arena, n * sizeof(**ret_tried));
	if (!*ret_tried || !*ret_state_dir) {
		*e = (struct apierr){ 500, "api_error", "cannot prepare the auth-dir state" };
		return -ENOMEM;
	}
	if (c->cfg.max_retry_credentials > 0 && max > c->cfg.max_retry_credentials)
		max = c->cfg.max_retry_credentials;
	*ret_max_attempts = max;
	return 0;
}

/* Seconds until the first of the candidates leaves its cooldown, or -1 if
   one of them is not cooling at all. */
static int64_t cooling_wait(struct conn *c, const char *state_dir, const char *model,
			    const struct target *cands, size_t n)
{
	struct rr_cooldown *cd;
	size_t ncd;
	int64_t now = (int64_t)time(NULL), best = -1;
	char base[256];
	const char *paren = strchr(model, '(');

	snprintf(base, sizeof(base), "%.*s", paren ? (int)(paren - model) : (int)strlen(model), model);
	if (rr_cooldowns(state_dir, &c->req_arena, &cd, &ncd) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int64_t until = 0;
		for (size_t j = 0; j < ncd; j++)
			if (strcmp(cd[j].cred_id, cands[i].cred->id) == 0 &&
			    (!cd[j].model || strcmp(cd[j].model, base) == 0) && cd[j].until > until)
				until = cd[j].until;
		if (until <= now)
			return -1;
		if (best < 0 || until - now < best)
			best = until - now;
	}
	return best;
}

/* Seconds until the first cooling candidate is usable again, or -1 if
   none is cooling. */
static int64_t earliest_ready(struct conn *c, const char *state_dir, const char *model,
			      const struct target *cands, size_t n)
{
	struct rr_cooldown *cd;
	size_t ncd;
	int64_t now = (int64_t)time(NULL), best = -1;
	char base[256];
	const char *paren = strchr(model, '(');

	snprintf(base, sizeof(base), "%.*s", paren ? (int)(paren - model) : (int)strlen(model), model);
	if (rr_cooldowns(state_dir, &c->req_arena, &cd, &ncd) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ncd; j++)
			if (strcmp(cd[j].cred_id, cands[i].cred->id) == 0 &&
			    (!cd[j].model || strcmp(cd[j].model, base) == 0) && cd[j].until > now &&
			    (best < 0 || cd[j].until - now < best))
				best = cd[j].until - now;
	return best;
}

/* Sleep secs before another round (max-retry-interval), watching the
   client: -EPIPE as soon as it hangs up. */
static int retry_pause(struct conn *c, int64_t secs)
{
	int64_t end = now_ms() + secs * 1000;
	bool watch = c->is_socket;

	for (;;) {
		int64_t left = end - now_ms();
		struct pollfd p = { watch ? c->in_fd : -1, POLLIN, 0 };

		if (left <= 0)
			return 0;
		if (poll(&p, 1, left > 1000 ? 1000 : (int)left) > 0 && watch) {
			char b;
			ssize_t n = recv(c->in_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
				c->client_gone = true;
				return -EPIPE;
			}
			if (n > 0)
				watch = false; /* a pipelined request, not a hang-up */
		}
	}
}

/* streaming.bootstrap-retries: a stream that failed before the client saw
   a byte is dispatched again from the start (a fresh credential selection),
   up to that many extra rounds. */
static bool bootstrap_round(const struct call *k, int *boots, bool *tried, size_t n,
			    int *attempts)
{
	if (!k->client_stream || k->client_started ||
	    *boots >= k->c->cfg.streaming.bootstrap_retries)
		return false;
	(*boots)++;
	memset(tried, 0, n * sizeof(*tried));
	*attempts = 0;
	return true;
}

static const char *gemini_action(const struct call *k)
{
	return k->upstream_stream ? "streamGenerateContent" : "generateContent";
}

static void dispatch_run(struct conn *c, const struct route_match *m, enum ir_family from_id,
			 bool legacy)
{
	struct xlate_ctx x;
	struct call k;
	struct ir_request req;
	struct target *cands = NULL;
	size_t ncands = 0;
	bool *tried;
	struct apierr e = { 0 };
	const char *state_dir;
	int attempts = 0, max_attempts, r;
	int rounds = 0;           /* max-retry-interval waits so far */
	int boots = 0;            /* bootstrap-retries rounds so far */
	int64_t last_hint = -1;   /* retry hint of the last 429 */
	char retry_hdr[64] = "";
	/* OAuth 401: the candidate refreshed once (-1: none yet) and the one
	   to try again at once (-1: pick as usual). */
	size_t refreshed = (size_t)-1, again = (size_t)-1;

	memset(&k, 0, sizeof(k));
	xlate_ctx_init(&x, &c->req_arena, false, (int64_t)time(NULL));
	k.c = c;
	k.x = &x;
	if (legacy) {
		k.legacy = arena_zalloc(&c->req_arena, sizeof(*k.legacy));
		if (!k.legacy) {
			struct apierr ne = { 500, "api_error", "out of memory" };
			http_respond_error(c, c->family, &ne, NULL);
			return;
		}
		completions_stream_init(k.legacy, &c->req_arena, LIMIT_SSE_LINE);
	}
	k.from = family_by_id(from_id);
	if (!k.from) {
		struct apierr ne = { 501, "api_error", "this API family is not built in" };
		http_respond_error(c, c->family, &ne, NULL);
		return;
	}
	memset(&req, 0, sizeof(req));
	r = k.from->decode_request(&x, c->req->body.p, c->req->body.len, &req, &e);
	if (r < 0) {
		if (!e.status)
			e = (struct apierr){ 400, "invalid_request_error", "invalid request body" };
		answer_error(&k, &e, NULL);
		return;
	}
	if (m->route->id == R_GEMINI_ACTION && m->model) {
		req.model = arena_strndup(&c->req_arena, m->model, m->model_len);
		req.stream = m->action_len == 21 && memcmp(m->action, "streamGenerateContent", 21) == 0;
	}
	if (m->route->id == R_V1INTERNAL && m->action)
		req.stream = m->action_len == 21 && memcmp(m->action, "streamGenerateContent", 21) == 0;
	k.client_stream = req.stream;
	x.client_model = req.model;
	x.req = &req;
	c->log_model = req.model;
	if (!req.model || !*req.model) {
		e = (struct apierr){ 400, "invalid_request_error", "model is required" };
		answer_error(&k, &e, NULL);
		return;
	}

	if (dispatch_candidates(c, req.model, from_id, &cands, &ncands, &e) < 0 ||
	    dispatch_budget(c, ncands, &state_dir, &tried, &max_attempts, &e) < 0) {
		answer_error(&k, &e, NULL);
		return;
	}

	for (;;) {
		size_t idx;
		int64_t wait_s = 0;
		const struct target *t;
		struct provider_call pc;
		struct upstream_req u;
		struct upstream_result res;
		struct upstream_cb cb = { &k, on_head, on_data, on_tick };
		struct buf body;
		struct rr_outcome o = { 0, -1, false };

		if (again != (size_t)-1) {
			idx = again; /* the same credential with its refreshed token */
			again = (size_t)-1;
			r = 0;
		} else {
			r = rr_pick(&c->cfg, state_dir, req.model, cands, ncands, tried, &idx,
				    &wait_s);
		}
		if (r < 0) {
			/* Nothing usable now: wait for the first credential to
			   come back when that is within max-retry-interval (SPEC
			   §6.3), up to request-retry rounds. */
			int64_t w = r == -EAGAIN ? wait_s
						 : earliest_ready(c, state_dir, req.model, cands, ncands);
			if (w <= 0 && e.status == 429 && last_hint > 0)
				w = last_hint;
			if (w > 0 && rounds < c->cfg.request_retry && c->cfg.max_retry_interval > 0 &&
			    w <= c->cfg.max_retry_interval) {
				rounds++;
				if (retry_pause(c, w) < 0)
					return; /* nobody to answer */
				memset(tried, 0, ncands * sizeof(*tried));
				attempts = 0;
				refreshed = (size_t)-1;
				last_hint = -1;
				continue;
			}
			if (r == -ENOENT && (!e.status || retryable(e.status)) &&
			    bootstrap_round(&k, &boots, tried, ncands, &attempts))
				continue;
		}
		if (r == -EAGAIN && attempts == 0 && !e.status) {
			char *msg = arena_printf(&c->req_arena,
						 "All credentials for model %s are cooling down", req.model);
			e = (struct apierr){ 429, "rate_limit_error", msg };
			snprintf(retry_hdr, sizeof(retry_hdr), "Retry-After: %lld\r\n", (long long)wait_s);
			answer_error(&k, &e, retry_hdr);
			return;
		}
		if (r < 0) {
			/* Everything tried (or cooling): answer the last upstream error,
			   with a Retry-After that says when a credential is usable again. */
			if (e.status == 429) {
				int64_t w = r == -EAGAIN ? wait_s
							 : cooling_wait(c, state_dir, req.model, cands, ncands);
				if (w > 0)
					snprintf(retry_hdr, sizeof(retry_hdr), "Retry-After: %lld\r\n",
						 (long long)w);
			}
			if (!e.status)
				e = (struct apierr){ 503, "api_error", "no credential available" };
			answer_error(&k, &e, retry_hdr[0] ? retry_hdr : NULL);
			return;
		}
		tried[idx] = true;
		attempts++;
		t = &cands[idx];
		c->log_provider = t->cred->prov->name;
		c->log_cred = t->cred->label;
		k.to = family_by_id(t->cred->prov->family);
		k.upstream_stream = k.client_stream || t->cred->prov->stream_only;
		k.status = 0;
		k.ok = false;
		k.any_event = false;
		k.err = 0;
		k.at_end = false;
		k.quiet_since_ms = now_ms();
		k.raw = k.from == k.to && !k.legacy; /* legacy: every frame is rewritten */
		ir_acc_init(&k.acc, &c->req_arena);
		k.dec = arena_zalloc(&c->req_arena, k.to->dec_size ? k.to->dec_size : 1);
		k.enc = arena_zalloc(&c->req_arena, k.from->enc_size ? k.from->enc_size : 1);
		if (!k.dec || !k.enc || k.to->dec_init(k.dec, &x) < 0 || k.from->enc_init(k.enc, &x) < 0) {
			e = (struct apierr){ 500, "api_error", "out of memory" };
			answer_error(&k, &e, NULL);
			return;
		}
		r = encode_body(&k, &req, t->upstream_model, &body, &e);
		if (r < 0) {
			if (!e.status)
				e = (struct apierr){ r == -E2BIG ? 413 : 400, NULL, "cannot translate the request" };
			answer_error(&k, &e, NULL);
			return;
		}
		memset(&pc, 0, sizeof(pc));
		pc.cred = t->cred;
		pc.model = t->upstream_model;
		pc.stream = k.upstream_stream;
		pc.client_family = from_id;
		pc.client_req = c->req;
		pc.action = k.to->id == IR_FAM_GEMINI || k.to->id == IR_FAM_GEMINI_CLI ? gemini_action(&k) : NULL;
		pc.cfg = &c->cfg;
		pc.client_key_id = c->client_key_id[0] ? c->client_key_id : NULL;
		pc.x = &x;
		memset(&u, 0, sizeof(u));
		u.body = body.p;
		u.body_len = body.len;
		if (t->cred->prov->fix_body) {
			struct buf fixed;
			size_t nnames = x.nnames;
			buf_init(&fixed, &c->req_arena, LIMIT_BODY_BYTES * 2);
			if (t->cred->prov->fix_body(&pc, body.p, body.len, &fixed, &c->req_arena, &e) < 0) {
				answer_error(&k, &e, NULL);
				return;
			}
			u.body = fixed.p;
			u.body_len = fixed.len;
			/* Tools renamed for the upstream (Claude OAuth) are mapped
			   back by the decoder: its bytes cannot go out as they are. */
			if (x.nnames != nnames)
				k.raw = false;
		}
		/* payload.* rules of the config, on the body as it goes out. */
		if (payload_apply(&c->cfg, t->upstream_model, req.model, k.to->id, &c->req_arena,
				  u.body, u.body_len, &u.body, &u.body_len, &e) < 0) {
			answer_error(&k, &e, NULL);
			return;
		}
		/* Touch secrets last: an OAuth token is read, and refreshed when
		   due (under the credential's lock), right before its use.  A
		   disabled or expired account cools down 30 min, one whose
		   refresh is backing off 1 min; the next candidate is tried. */
		if (t->cred->auth) {
			r = auth_ensure_fresh(&c->cfg, t->cred->auth, false, &c->req_arena,
					      &c->secrets, &e);
			if (r < 0) {
				o.status = r == -EACCES || r == -EKEYEXPIRED ? 401 : 503;
				rr_report(&c->cfg, state_dir, req.model, t, &o);
				continue;
			}
		}
		u.proxy = t->cred->proxy_url ? t->cred->proxy_url : c->cfg.proxy_url;
		if (t->cred->prov->prepare(&pc, &u, &c->req_arena, &e) < 0) {
			answer_error(&k, &e, NULL);
			return;
		}
		r = upstream_perform(c, &c->req_arena, &u, &cb, &res);
		if (r == -EPIPE || c->client_gone)
			return; /* nobody to answer */
		if (r < 0 && k.client_started) {
			/* Mid-stream failure: the decoder closes what is open and
			   emits the in-stream error. */
			if (k.upstream_stream) {
				k.at_end = true;
				k.to->decode_end(k.dec, &x, on_event, &k);
			}
			return;
		}
		if (r < 0 && !(r == -ECANCELED && k.ok)) {
			e = (struct apierr){ 502, "api_error",
					     arena_printf(&c->req_arena, "upstream unreachable: %s",
							  res.what ? res.what : "transport error") };
			o.status = 0;
			rr_report(&c->cfg, state_dir, req.model, t, &o);
			if (attempts < max_attempts ||
			    bootstrap_round(&k, &boots, tried, ncands, &attempts))
				continue;
			answer_error(&k, &e, NULL);
			return;
		}
		if (k.ok) {
			r = finish_ok(&k, &e);
			if (r == 0 || k.client_started) {
				o.status = k.status;
				rr_report(&c->cfg, state_dir, req.model, t, &o);
				return;
			}
			/* Empty or failed answer before the client saw anything. */
			o.status = e.status ? e.status : 502;
			rr_report(&c->cfg, state_dir, req.model, t, &o);
			if (attempts < max_attempts ||
			    bootstrap_round(&k, &boots, tried, ncands, &attempts))
				continue;
			answer_error(&k, &e, NULL);
			return;
		}
		/* A 401 on an OAuth token: one forced refresh (a token another
		   process rotated meanwhile is just taken) and one more try with
		   the same credential; a second 401 cools it down below. */
		if (k.status == 401 && t->cred->auth && refreshed != idx) {
			struct apierr re = { 0 };

			refreshed = idx;
			if (auth_ensure_fresh(&c->cfg, t->cred->auth, true, &c->req_arena,
					      &c->secrets, &re) == 0) {
				again = idx;
				continue;
			}
		}
		/* An upstream error status. */
		k.to->decode_error(&x, k.status, k.body.p, k.body.len, &e);
		o.status = k.status;
		o.retry_after_s = k.retry_after_s >= 0 ? k.retry_after_s
						      : rr_hint_from_body(k.body.p, k.body.len, (int64_t)time(NULL));
		o.model_scoped = k.status == 404;
		last_hint = k.status == 429 ? o.retry_after_s : -1;
		rr_report(&c->cfg, state_dir, req.model, t, &o);
		if (!retryable(k.status))
			break;
		if (k.status != 429 && k.status != 401 && attempts >= max_attempts &&
		    !bootstrap_round(&k, &boots, tried, ncands, &attempts))
			break;
	}
	answer_error(&k, &e, NULL);
}

void dispatch_inference(struct conn *c, const struct route_match *m, enum ir_family from_id)
{
	dispatch_run(c, m, from_id, false);
}

void dispatch_completions(struct conn *c, const struct route_match *m)
{
	struct buf chat;
	struct apierr e = { 0 };

	buf_init(&chat, &c->req_arena, LIMIT_BODY_BYTES + 4096);
	if (completions_request(&c->req_arena, c->req->body.p, c->req->body.len, &chat, &e) < 0) {
		http_respond_error(c, FAM_OPENAI, &e, NULL);
		return;
	}
	/* From here on it is a chat request: decoded, and passed through to
	   chat upstreams, from these bytes. */
	c->req->body = chat;
	dispatch_run(c, m, IR_FAM_OPENAI, true);
}
