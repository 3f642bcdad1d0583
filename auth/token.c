/*
 * token.c - talking to OAuth token endpoints: form encoding, the POST
 * (bounded by AUTH_TOKEN_TIMEOUT_MS and AUTH_TOKEN_BODY_MAX), the answer
 * parsed and classified as success, permanent refusal or transient failure;
 * JWT payloads and Codex id_token claims (decoded, never verified: they come
 * from the token endpoint over TLS).  Answers live in the secrets arena.
 */
#include "auth/refresh.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/parse.h"
#include "providers/upstream.h"

/* ---- Small encoders ----------------------------------------------------- */

int auth_form_add(struct buf *b, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *parts[2] = { key, value ? value : "" };

	if (b->len)
		buf_addc(b, '&');
	for (int k = 0; k < 2; k++) {
		if (k)
			buf_addc(b, '=');
		for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
				buf_addc(b, (char)*p);
			} else if (*p == ' ') {
				buf_addc(b, '+');
			} else {
				char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
				buf_add(b, e, 3);
			}
		}
	}
	return b->err;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

int auth_jwt_payload(const char *jwt, struct arena *a, struct json *ret)
{
	const char *p, *e;
	unsigned char *out;
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;

	if (!jwt)
		return -EINVAL;
	p = strchr(jwt, '.');
	if (!p)
		return -EINVAL;
	p++;
	e = strchr(p, '.');
	if (!e || e == p)
		return -EINVAL;
	out = arena_alloc(a, (size_t)(e - p) + 1);
	if (!out)
		return -ENOMEM;
	for (const char *q = p; q < e; q++) {
		int v = b64val((unsigned char)*q);
		if (*q == '=')
			break;
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	out[n] = 0;
	if (json_parse(ret, a, (const char *)out, n) < 0 || json_kind(ret, 0) != JSON_OBJECT)
		return -EINVAL;
	return 0;
}

static const char *claim_str(const struct json *j, int obj, const char *key, struct arena *a)
{
	size_t n;
	char *s = json_str(j, json_get(j, obj, key), a, &n);

	return s && n && strlen(s) == n ? s : NULL;
}

int auth_codex_claims(const char *id_token, struct arena *a, const char **ret_email,
		      const char **ret_account_id, const char **ret_plan)
{
	struct json j;
	int r = auth_jwt_payload(id_token, a, &j), oa;

	if (r < 0)
		return r;
	oa = json_get(&j, 0, "https://api.openai.com/auth");
	if (ret_email)
		*ret_email = claim_str(&j, 0, "email", a);
	if (ret_account_id)
		*ret_account_id = claim_str(&j, oa, "chatgpt_account_id", a);
	if (ret_plan)
		*ret_plan = claim_str(&j, oa, "chatgpt_plan_type", a);
	return 0;
}

/* ---- Token endpoint call ------------------------------------------------ */

struct tok_rx {
	struct buf body;
	int status;
};

static int tok_head(void *arg, const struct upstream_resp *r)
{
	((struct tok_rx *)arg)->status = r->status;
	return 0;
}

static int tok_data(void *arg, const char *p, size_t n)
{
	return buf_add(&((struct tok_rx *)arg)->body, p, n) < 0 ? -E2BIG : 0;
}

static bool permanent_error(const char *err)
{
	static const char *const codes[] = { "invalid_grant", "refresh_token_reused",
					     "refresh_token_expired", "refresh_token_invalidated",
					     "invalid_client", "unauthorized_client", "access_denied",
					     NULL };

	for (size_t i = 0; err && codes[i]; i++)
		if (strcmp(err, codes[i]) == 0)
			return true;
	return false;
}

int auth_token_post(const char *url, const char *proxy, enum auth_body kind, const char *body,
		    size_t len, struct arena *a, struct arena *secrets, struct auth_token *ret)
{
	struct upstream_req u;
	struct upstream_result res;
	struct tok_rx rx;
	struct upstream_cb cb = { &rx, tok_head, tok_data, NULL };
	struct json j;
	int r, ei;

	memset(ret, 0, sizeof(*ret));
	memset(&u, 0, sizeof(u));
	memset(&rx, 0, sizeof(rx));
	if (!url || !*url) {
		ret->what = "no token endpoint";
		return -EAGAIN;
	}
	buf_init(&rx.body, secrets, AUTH_TOKEN_BODY_MAX);
	u.method = "POST";
	u.url = url;
	u.body = body;
	u.body_len = len;
	u.proxy = proxy && *proxy ? proxy : NULL;
	u.timeout_ms = AUTH_TOKEN_TIMEOUT_MS;
	if (upstream_header(&u, a, "Content-Type",
			    kind == AUTH_BODY_JSON ? "application/json"
						   : "application/x-www-form-urlencoded") < 0 ||
	    upstream_header(&u, a, "Accept", "application/json") < 0)
		return -ENOMEM;
	r = upstream_perform(NULL, a, &u, &cb, &res);
	ret->status = rx.status ? rx.status : res.status;
	ret->body = rx.body.p ? rx.body.p : "";
	ret->body_len = rx.body.len;
	if (r < 0 || !ret->status) {
		ret->status = 0;
		ret->what = res.what ? res.what : "no answer";
		return -EAGAIN;
	}
	if (rx.body.len == 0 || json_parse(&j, secrets, rx.body.p, rx.body.len) < 0 ||
	    json_kind(&j, 0) != JSON_OBJECT) {
		ret->what = "answer is not a JSON object";
		return -EAGAIN;
	}
	ret->access_token = claim_str(&j, 0, "access_token", secrets);
	ret->refresh_token = claim_str(&j, 0, "refresh_token", secrets);
	ret->id_token = claim_str(&j, 0, "id_token", secrets);
	ret->token_type = claim_str(&j, 0, "token_type", a);
	ret->scope = claim_str(&j, 0, "scope", a);
	{
		int ie = json_get(&j, 0, "expires_in");
		int64_t v = 0;
		size_t n;
		const char *s;
		if (json_kind(&j, ie) == JSON_NUMBER && json_int(&j, ie, &v) == 0 && v > 0)
			ret->expires_in = v;
		else if (json_kind(&j, ie) == JSON_STRING && (s = json_raw(&j, ie, &n)) &&
			 parse_i64(s, n, 0, INT64_MAX / 2, &v) == 0 && v > 0)
			ret->expires_in = v;
	}
	ei = json_get(&j, 0, "error");
	if (json_kind(&j, ei) == JSON_STRING) {
		ret->error = claim_str(&j, 0, "error", a);
		ret->error_description = claim_str(&j, 0, "error_description", a);
	} else if (json_kind(&j, ei) == JSON_OBJECT) {
		ret->error = claim_str(&j, ei, "code", a);
		if (!ret->error)
			ret->error = claim_str(&j, ei, "type", a);
		ret->error_description = claim_str(&j, ei, "message", a);
	}
	if (ret->status >= 200 && ret->status < 300) {
		if (ret->access_token)
			return 0;
		ret->what = "answer without access_token";
		return -EAGAIN;
	}
	if ((ret->status == 400 || ret->status == 401 || ret->status == 403) &&
	    permanent_error(ret->error))
		return -EACCES;
	return -EAGAIN;
}
