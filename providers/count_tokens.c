/*
 * count_tokens.c - token counting for Claude and Gemini clients
 * (count_tokens.h): the upstream's own count endpoint when it has one,
 * else a deterministic local estimate over the IR.  Refuses what the
 * client family's decoder refuses; an unknown model is 404.  Bounded:
 * upstream answers are kept up to LIMIT_UPSTREAM_ERROR_BODY.
 */
#include "providers/count_tokens.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/refresh.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/http_resp.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/route.h"
#include "providers/dispatch.h"
#include "providers/provider.h"
#include "providers/upstream.h"
#include "translate/family.h"

/* ---- the estimate ----------------------------------------------------------- */

/* Quarter tokens of <p, n> (see count_tokens.h). */
static int64_t quarters(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	int64_t q = 0;
	size_t i = 0;

	if (!p)
		return 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4 : 1;

		if (len > n - i)
			len = 1;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				len = 1;
		q += len == 1 ? 1 : len == 2 ? 2 : 4;
		i += len;
	}
	return q;
}

static int64_t qstr(struct ir_str s)
{
	return quarters(s.p, s.n);
}

static int64_t qcstr(const char *s)
{
	return s ? quarters(s, strlen(s)) : 0;
}

/* Quarter tokens of one part (fixed costs in whole tokens times 4). */
static int64_t part_quarters(const struct ir_part *p)
{
	int64_t q = 0;

	switch (p->kind) {
	case IR_PART_TEXT:
		return qstr(p->text);
	case IR_PART_IMAGE:
		return 4 * COUNT_IMAGE_TOKENS;
	case IR_PART_FILE:
		return ir_str_set(p->text) ? qstr(p->text) : 4 * COUNT_IMAGE_TOKENS;
	case IR_PART_TOOL_CALL:
		return 4 * 4 + qcstr(p->name) + (p->custom ? qstr(p->text) : qstr(p->args));
	case IR_PART_TOOL_RESULT:
		q = 4 * 4;
		for (size_t i = 0; i < p->ncontent; i++)
			q += part_quarters(&p->content[i]);
		if (p->ncontent == 0)
			q += qstr(p->result_json);
		return q;
	case IR_PART_THINKING:
	case IR_PART_REDACTED_THINKING:
		return 0;
	}
	return 0;
}

int64_t count_tokens_estimate(const struct ir_request *r)
{
	int64_t q = 4 * 3;

	if (r->nsystem)
		q += 4 * 4;
	for (size_t i = 0; i < r->nsystem; i++)
		q += part_quarters(&r->system[i]);
	for (size_t i = 0; i < r->nmessages; i++) {
		const struct ir_message *m = &r->messages[i];
		q += 4 * 4;
		for (size_t k = 0; k < m->nparts; k++)
			q += part_quarters(&m->parts[k]);
	}
	for (size_t i = 0; i < r->ntools; i++) {
		const struct ir_tool *t = &r->tools[i];
		q += 4 * 8 + qcstr(t->name) + qstr(t->description);
		if (t->kind == IR_TOOL_BUILTIN)
			q += qcstr(t->type);
		else
			q += qstr(t->parameters) + qstr(t->format);
	}
	q += qstr(r->format.schema);
	return (q + 3) / 4;
}

/* ---- answers ------------------------------------------------------------------ */

struct count_req {
	struct conn *c;
	struct xlate_ctx *x;
	const struct family *from;
	enum ir_family from_id;
};

static void answer_error(struct count_req *k, const struct apierr *e, const char *extra)
{
	struct buf out;

	buf_init(&out, &k->c->req_arena, 1 << 20);
	if (k->from && k->from->encode_error(k->x, e, false, &out) == 0) {
		http_respond(k->c, e->status, "application/json", extra, out.p, out.len);
		return;
	}
	http_respond_error(k->c, k->c->family, e, extra);
}

static void answer_count(struct count_req *k, int64_t n)
{
	struct buf b;
	struct jsonw w;

	buf_init(&b, &k->c->req_arena, 1024);
	jw_init(&w, &b);
	jw_obj(&w);
	if (k->from_id == IR_FAM_CLAUDE) {
		jw_kint(&w, "input_tokens", n);
	} else {
		jw_kint(&w, "totalTokens", n);
		jw_key(&w, "promptTokensDetails");
		jw_arr(&w);
		jw_obj(&w);
		jw_kstr(&w, "modality", "TEXT");
		jw_kint(&w, "tokenCount", n);
		jw_end(&w);
		jw_end(&w);
	}
	jw_end(&w);
	http_respond_json(k->c, 200, &b);
}

/* ---- upstream bodies ----------------------------------------------------------- */

/* Members of a Messages body the count_tokens endpoint takes. */
static const char *const claude_count_keys[] = {
	"model", "messages", "system", "tools", "tool_choice", "thinking", NULL,
};

static bool listed(const struct json *j, int key, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (json_streq(j, key, names[i]))
			return true;
	return false;
}

/* The members of the object <s, n> that are in keep (keep NULL: all but
   "model") into the open object of w.  0 or -errno. */
static int copy_members(struct arena *a, const char *s, size_t n, const char *const *keep,
			struct jsonw *w)
{
	struct json j;
	int r = json_parse(&j, a, s, n);

	if (r < 0)
		return r;
	if (json_kind(&j, 0) != JSON_OBJECT)
		return -EINVAL;
	for (int key = json_first(&j, 0); key >= 0; key = json_after(&j, key)) {
		size_t kn, vn;
		const char *ks, *vt;

		if (keep ? !listed(&j, key, keep) : json_streq(&j, key, "model"))
			continue;
		ks = json_str(&j, key, a, &kn);
		if (!ks)
			return -ENOMEM;
		vt = json_text(&j, key + 1, &vn);
		jw_keyn(w, ks, kn);
		jw_raw(w, vt, vn);
	}
	return 0;
}

static int body_error(int r, struct apierr *e)
{
	if (e->status)
		return r;
	if (r == -E2BIG)
		return apierr_set(e, r, 413, "request_too_large", "request too large");
	if (r == -ENOMEM)
		return apierr_set(e, r, 500, "api_error", "out of memory");
	return apierr_set(e, r, 400, "invalid_request_error", "cannot translate the request");
}

/* The hub's encoding of req for family `to`, as the upstream model. */
static int encode_for(struct count_req *k, const struct family *to, const struct ir_request *req,
		      const char *model, struct buf *out, struct apierr *e)
{
	struct ir_request r2 = *req;

	r2.stream = false;
	r2.model = model;
	k->x->upstream_model = model;
	return to->encode_request(k->x, &r2, out, e);
}

/* Claude count_tokens body into out. */
static int claude_body(struct count_req *k, const struct ir_request *req, const char *model,
		       struct buf *out, struct apierr *e)
{
	const struct buf *in = &k->c->req->body;
	struct buf tmp;
	struct jsonw w;
	int r;

	if (k->from_id == IR_FAM_CLAUDE)
		return k->from->passthrough_request(k->x, in->p, in->len, model, false, out, e);
	buf_init(&tmp, &k->c->req_arena, out->max);
	r = encode_for(k, &family_claude, req, model, &tmp, e);
	if (r < 0)
		return body_error(r, e);
	jw_init(&w, out);
	jw_obj(&w);
	r = copy_members(&k->c->req_arena, tmp.p, tmp.len, claude_count_keys, &w);
	jw_end(&w);
	if (r == 0)
		r = jw_error(&w);
	return r < 0 ? body_error(r, e) : 0;
}

/* Gemini :countTokens body into out: the generateContent request (the
   client's own when it speaks Gemini) inside generateContentRequest. */
static int gemini_body(struct count_req *k, const struct ir_request *req, const char *inner,
		       size_t inner_n, const char *model, struct buf *out, struct apierr *e)
{
	struct buf tmp;
	struct jsonw w;
	const char *paren = strchr(model, '(');
	int r;

	if (k->from_id != IR_FAM_GEMINI) {
		buf_init(&tmp, &k->c->req_arena, out->max);
		r = encode_for(k, &family_gemini, req, model, &tmp, e);
		if (r < 0)
			return body_error(r, e);
		inner = tmp.p;
		inner_n = tmp.len;
	}
	jw_init(&w, out);
	jw_obj(&w);
	jw_key(&w, "generateContentRequest");
	jw_obj(&w);
	jw_key(&w, "model");
	{
		char *name = arena_printf(&k->c->req_arena, "models/%.*s",
					  paren ? (int)(paren - model) : (int)strlen(model), model);
		if (!name)
			return body_error(-ENOMEM, e);
		jw_cstr(&w, name);
	}
	r = copy_members(&k->c->req_arena, inner, inner_n, NULL, &w);
	jw_end(&w);
	jw_end(&w);
	if (r == 0)
		r = jw_error(&w);
	return r < 0 ? body_error(r, e) : 0;
}

/* Gemini CLI (Cloud Code) :countTokens body into out: the envelope as
   the hub writes it; the provider's fix_body keeps what the count takes. */
static int gemini_cli_body(struct count_req *k, const struct ir_request *req, const char *model,
			   struct buf *out, struct apierr *e)
{
	const struct buf *in = &k->c->req->body;
	int r;

	if (k->from_id == IR_FAM_GEMINI_CLI)
		return k->from->passthrough_request(k->x, in->p, in->len, model, false, out, e);
	r = encode_for(k, &family_gemini_cli, req, model, out, e);
	return r < 0 ? body_error(r, e) : 0;
}

/* A Gemini countTokens body may hold the request in generateContentRequest. */
static void gemini_unwrap(struct arena *a, const char **s, size_t *n)
{
	struct json j;
	int g;

	if (json_parse(&j, a, *s, *n) < 0)
		return;
	g = json_get(&j, 0, "generateContentRequest");
	if (json_kind(&j, g) == JSON_OBJECT && json_get(&j, 0, "contents") < 0)
		*s = json_text(&j, g, n);
}

/* ---- the upstream call ----------------------------------------------------------- */

struct count_call {
	struct conn *c;
	int status;
	int64_t retry_after_s;
	struct buf body;
};

static int on_head(void *arg, const struct upstream_resp *resp)
{
	struct count_call *cc = arg;
	const char *ra = upstream_resp_header(resp, "retry-after");

	cc->status = resp->status;
	cc->retry_after_s = ra ? rr_parse_retry_after(ra, (int64_t)time(NULL)) : -1;
	buf_init(&cc->body, &cc->c->req_arena, LIMIT_UPSTREAM_ERROR_BODY);
	return 0;
}

static int on_data(void *arg, const char *p, size_t n)
{
	struct count_call *cc = arg;

	buf_add(&cc->body, p, n); /* past the cap: keep the head of it */
	return 0;
}

/* The count in an upstream answer, or -1. */
static int64_t upstream_count(struct arena *a, enum ir_family fam, const struct buf *b)
{
	struct json j;
	int64_t n;
	int v;

	if (b->err || json_parse(&j, a, b->p, b->len) < 0 || json_kind(&j, 0) != JSON_OBJECT)
		return -1;
	v = json_get(&j, 0, fam == IR_FAM_CLAUDE ? "input_tokens" : "totalTokens");
	if (v < 0 && fam != IR_FAM_CLAUDE && json_get(&j, 0, "error") < 0)
		return 0; /* proto3 JSON leaves a zero count out */
	if (json_int(&j, v, &n) < 0 || n < 0)
		return -1;
	return n;
}

static bool has_endpoint(enum ir_family fam)
{
	return fam == IR_FAM_CLAUDE || fam == IR_FAM_GEMINI || fam == IR_FAM_GEMINI_CLI;
}

/* The upstream request for target t with body <b, n>: the provider's body
   rules, then its URL and headers (the same steps as dispatch.c). */
static int count_prepare(struct conn *c, const struct target *t, enum ir_family from_id,
			 const char *b, size_t n, struct upstream_req *u, struct apierr *e)
{
	struct provider_call pc;
	enum ir_family fam = t->cred->prov->family;

	memset(&pc, 0, sizeof(pc));
	pc.cred = t->cred;
	pc.model = t->upstream_model;
	pc.stream = false;
	pc.client_family = from_id;
	pc.client_req = c->req;
	pc.action = fam == IR_FAM_CLAUDE ? "count_tokens" : "countTokens";
	pc.cfg = &c->cfg;
	pc.client_key_id = c->client_key_id[0] ? c->client_key_id : NULL;
	memset(u, 0, sizeof(*u));
	u->body = b;
	u->body_len = n;
	if (t->cred->prov->fix_body) {
		struct buf fixed;
		int r;

		buf_init(&fixed, &c->req_arena, LIMIT_BODY_BYTES * 2);
		r = t->cred->prov->fix_body(&pc, b, n, &fixed, &c->req_arena, e);
		if (r < 0)
			return r;
		u->body = fixed.p;
		u->body_len = fixed.len;
	}
	/* An OAuth account's token is read (and refreshed when due) right
	   before its use, as for inference (providers/dispatch.c). */
	if (t->cred->auth) {
		int r = auth_ensure_fresh(&c->cfg, t->cred->auth, false, &c->req_arena,
					  &c->secrets, e);
		if (r < 0)
			return r;
	}
	u->proxy = t->cred->proxy_url ? t->cred->proxy_url : c->cfg.proxy_url;
	return t->cred->prov->prepare(&pc, u, &c->req_arena, e);
}

static bool retryable(int status)
{
	return status == 0 || status == 401 || status == 402 || status == 403 || status == 408 ||
	       status == 429 || status >= 500;
}

void count_tokens(struct conn *c, const struct route_match *m, enum ir_family from_id)
{
	struct xlate_ctx x;
	struct count_req k;
	struct ir_request req;
	struct target *cands = NULL;
	size_t ncands = 0, i;
	struct apierr e = { 0 };
	const char *inner = c->req->body.p, *state_dir;
	size_t inner_n = c->req->body.len;
	bool *tried;
	int attempts = 0, max_attempts, r;
	char retry_hdr[64] = "";

	xlate_ctx_init(&x, &c->req_arena, false, (int64_t)time(NULL));
	k.c = c;
	k.x = &x;
	k.from_id = from_id;
	k.from = family_by_id(from_id);
	if (!k.from) {
		e = (struct apierr){ 501, "api_error", "this API family is not built in" };
		answer_error(&k, &e, NULL);
		return;
	}
	if (from_id == IR_FAM_GEMINI)
		gemini_unwrap(&c->req_arena, &inner, &inner_n);
	memset(&req, 0, sizeof(req));
	if (k.from->decode_request(&x, inner, inner_n, &req, &e) < 0) {
		if (!e.status)
			e = (struct apierr){ 400, "invalid_request_error", "invalid request body" };
		answer_error(&k, &e, NULL);
		return;
	}
	if (m && m->route && m->route->id == R_GEMINI_ACTION && m->model)
		req.model = arena_strndup(&c->req_arena, m->model, m->model_len);
	if (!req.model || !*req.model) {
		e = (struct apierr){ 400, "invalid_request_error", "model is required" };
		answer_error(&k, &e, NULL);
		return;
	}
	x.client_model = req.model;
	x.req = &req;
	c->log_model = req.model;

	if (dispatch_candidates(c, req.model, from_id, &cands, &ncands, &e) < 0) {
		answer_error(&k, &e, NULL);
		return;
	}
	for (i = 0; i < ncands && !has_endpoint(cands[i].cred->prov->family); i++)
		;
	if (i == ncands) {
		/* Nobody serving it can count: no credential needed. */
		answer_count(&k, count_tokens_estimate(&req));
		return;
	}
	if (dispatch_budget(c, ncands, &state_dir, &tried, &max_attempts, &e) < 0) {
		answer_error(&k, &e, NULL);
		return;
	}

	for (;;) {
		size_t idx;
		int64_t wait_s = 0, n;
		const struct target *t;
		const struct family *to;
		enum ir_family fam;
		struct upstream_req u;
		struct upstream_result res;
		struct count_call cc;
		struct upstream_cb cb = { &cc, on_head, on_data, NULL };
		struct buf body;

		r = rr_pick(&c->cfg, state_dir, req.model, cands, ncands, tried, &idx, &wait_s);
		if (r == -EAGAIN && attempts == 0) {
			char *msg = arena_printf(&c->req_arena,
						 "All credentials for model %s are cooling down", req.model);
			e = (struct apierr){ 429, "rate_limit_error", msg ? msg : "cooling down" };
			snprintf(retry_hdr, sizeof(retry_hdr), "Retry-After: %lld\r\n", (long long)wait_s);
			answer_error(&k, &e, retry_hdr);
			return;
		}
		if (r < 0) {
			if (!e.status)
				e = (struct apierr){ 503, "api_error", "no credential available" };
			answer_error(&k, &e, retry_hdr[0] ? retry_hdr : NULL);
			return;
		}
		tried[idx] = true;
		attempts++;
		t = &cands[idx];
		fam = t->cred->prov->family;
		c->log_provider = t->cred->prov->name;
		c->log_cred = t->cred->label;
		if (!has_endpoint(fam)) {
			answer_count(&k, count_tokens_estimate(&req));
			return;
		}
		to = family_by_id(fam);
		e = (struct apierr){ 0 };
		buf_init(&body, &c->req_arena, LIMIT_BODY_BYTES * 2);
		if (fam == IR_FAM_CLAUDE)
			r = claude_body(&k, &req, t->upstream_model, &body, &e);
		else if (fam == IR_FAM_GEMINI)
			r = gemini_body(&k, &req, inner, inner_n, t->upstream_model, &body, &e);
		else
			r = gemini_cli_body(&k, &req, t->upstream_model, &body, &e);
		if (r < 0 || !to) {
			if (!e.status)
				e = (struct apierr){ 500, "api_error", "cannot translate the request" };
			answer_error(&k, &e, NULL);
			return;
		}
		if (count_prepare(c, t, from_id, body.p, body.len, &u, &e) < 0) {
			if (!e.status)
				e = (struct apierr){ 500, "api_error", "cannot prepare the upstream request" };
			answer_error(&k, &e, NULL);
			return;
		}
		memset(&cc, 0, sizeof(cc));
		cc.c = c;
		cc.retry_after_s = -1;
		r = upstream_perform(c, &c->req_arena, &u, &cb, &res);
		if (r == -EPIPE || c->client_gone)
			return; /* nobody to answer */
		if (r < 0 || cc.status == 0) {
			e = (struct apierr){ 502, "api_error",
					     arena_printf(&c->req_arena, "upstream unreachable: %s",
							  res.what ? res.what : "transport error") };
			if (attempts < max_attempts)
				continue;
			break;
		}
		if (cc.status >= 200 && cc.status < 300) {
			n = upstream_count(&c->req_arena, fam, &cc.body);
			if (n < 0) {
				e = (struct apierr){ 502, "api_error",
						     "the upstream's token count answer is unreadable" };
				break;
			}
			if (fam == k.from_id)
				http_respond(c, 200, "application/json", NULL, cc.body.p, cc.body.len);
			else
				answer_count(&k, n);
			return;
		}
		if (cc.status == 404 || cc.status == 405 || cc.status == 501) {
			/* no count endpoint behind this base URL */
			answer_count(&k, count_tokens_estimate(&req));
			return;
		}
		to->decode_error(&x, cc.status, cc.body.p, cc.body.len, &e);
		if (cc.status == 429 && cc.retry_after_s > 0)
			snprintf(retry_hdr, sizeof(retry_hdr), "Retry-After: %lld\r\n",
				 (long long)cc.retry_after_s);
		if (!retryable(cc.status) || attempts >= max_attempts)
			break;
	}
	answer_error(&k, &e, retry_hdr[0] ? retry_hdr : NULL);
}
