/*
 * gemini_cli.c - Cloud Code Assist upstream for Gemini CLI OAuth accounts
 * (SPEC §2.1): POST <base>/v1internal:<action>, ?alt=sse for streams, body
 * {model, project, request} with the account's project and the bare model
 * (countTokens: only request, no safetySettings); every other byte as
 * encoded.  The token goes only in the Authorization header, never a URL.
 */
#include "providers/provider.h"

#include <errno.h>
#include <string.h>

#include "auth/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "providers/bodyedit.h"
#include "providers/prepare.h"
#include "providers/upstream.h"

/* What we claim to be (SPEC §2.1): every version string is here. */
#define GCLI_API_VERSION "v1internal"
#define GCLI_VERSION "0.31.0"
#define GCLI_API_CLIENT "google-genai-sdk/1.41.0 gl-node/v22.19.0"

#if defined(__APPLE__)
#define GCLI_OS "darwin"
#elif defined(_WIN32)
#define GCLI_OS "win32"
#else
#define GCLI_OS "linux"
#endif
#if defined(__aarch64__)
#define GCLI_ARCH "arm64"
#elif defined(__i386__)
#define GCLI_ARCH "x86"
#else
#define GCLI_ARCH "x64"
#endif

/* SPEC §5.4 (gemini-cli). */
static const char *const gcli_catalogue[] = {
	"gemini-2.5-pro",
	"gemini-2.5-flash",
	"gemini-2.5-flash-lite",
	"gemini-3-pro-preview",
	"gemini-3.1-pro-preview",
	"gemini-3-flash-preview",
	"gemini-3.1-flash-lite-preview",
	NULL,
};

/* The bearer: the auth file's access token (auth_ensure_fresh() read it
   right before prepare), else a configured key. */
static const char *access_token(const struct credential *cr)
{
	if (cr->auth && cr->auth->access_token && *cr->auth->access_token)
		return cr->auth->access_token;
	return cr->api_key && *cr->api_key ? cr->api_key : NULL;
}

static bool is_action(const struct provider_call *pc, const char *name)
{
	return pc->action && strcmp(pc->action, name) == 0;
}

/* The model without a thinking suffix "(...)", restricted to the bytes a
   model name has (it also goes into the User-Agent header). */
static char *bare_model(struct arena *a, const char *m)
{
	size_t n = m ? strlen(m) : 0, o = 0;
	const char *paren;
	char *s;

	if (n > 0 && m[n - 1] == ')' && (paren = strrchr(m, '(')) && paren > m)
		n = (size_t)(paren - m);
	s = arena_alloc(a, n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)m[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '_' || ch == '-' || ch == '/' || ch == ':')
			s[o++] = (char)ch;
	}
	s[o] = '\0';
	return s;
}

/* "\"key\":<escaped value>" for bedit. */
static const char *member(struct arena *a, const char *key, const char *val)
{
	struct buf b;

	buf_init(&b, a, strlen(key) + strlen(val) * 6 + 16);
	buf_addc(&b, '"');
	buf_adds(&b, key);
	buf_adds(&b, "\":");
	json_escape(&b, val, strlen(val));
	return b.err ? NULL : b.p;
}

static const char *quoted(struct arena *a, const char *val)
{
	struct buf b;

	buf_init(&b, a, strlen(val) * 6 + 8);
	json_escape(&b, val, strlen(val));
	return b.err ? NULL : b.p;
}

/* Index of member key of obj (k-th), or -1. */
static int member_index(const struct json *j, int obj, const char *key)
{
	int k = 0;

	for (int i = json_first(j, obj); i >= 0; i = json_after(j, i), k++)
		if (json_streq(j, i, key))
			return k;
	return -1;
}

static int gcli_fix_body(struct provider_call *pc, const char *body, size_t n, struct buf *out,
			 struct arena *a, struct apierr *e)
{
	bool count = is_action(pc, "countTokens");
	const char *project = pc->cred->project_id, *add[2];
	bool has_model = false, has_project = false, *drop;
	char *model = bare_model(a, pc->model);
	const char *qmodel = model ? quoted(a, model) : NULL;
	const char *qproject = project && *project ? quoted(a, project) : NULL;
	size_t nadd = 0;
	struct json j;
	struct bedit ed;
	int k, key, r;

	if (!qmodel || (project && *project && !qproject))
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	r = bedit_parse(&j, a, body, n, e);
	if (r < 0)
		return r;
	drop = arena_zalloc(a, (size_t)json_size(&j, 0) + 1);
	if (!drop)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	bedit_init(&ed, &j, a);
	for (k = 0, key = json_first(&j, 0); key >= 0; key = json_after(&j, key), k++) {
		int v = key + 1;

		if (json_streq(&j, key, "model")) {
			has_model = true;
			if (count)
				drop[k] = true;
			else
				bedit_set(&ed, v, qmodel, strlen(qmodel));
		} else if (json_streq(&j, key, "project")) {
			has_project = true;
			if (count)
				drop[k] = true;
			else if (qproject)
				bedit_set(&ed, v, qproject, strlen(qproject));
		} else if (count && json_streq(&j, key, "request") &&
			   json_kind(&j, v) == JSON_OBJECT) {
			int si = member_index(&j, v, "safetySettings");
			bool *rd;

			if (si < 0)
				continue;
			rd = arena_zalloc(a, (size_t)json_size(&j, v));
			if (!rd)
				return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
			rd[si] = true;
			bedit_members(&ed, v, rd, NULL, 0);
		}
	}
	if (!count && !has_model && !(add[nadd++] = member(a, "model", model)))
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	if (!count && !has_project && qproject && !(add[nadd++] = member(a, "project", project)))
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	bedit_members(&ed, 0, drop, add, nadd);
	return bedit_finish(&ed, out, e);
}

static int gcli_prepare(const struct provider_call *pc, struct upstream_req *u, struct arena *a,
			struct apierr *e)
{
	const char *base = prepare_base(pc, a, e), *action = pc->action, *ua, *bearer;
	const char *token = access_token(pc->cred);
	char *model;
	bool sse;
	int r;

	if (!base)
		return -EINVAL;
	if (!token)
		return apierr_set(e, -EACCES, 503, "api_error", "the credential has no access token");
	if (!action)
		action = pc->stream ? "streamGenerateContent" : "generateContent";
	if (strcmp(action, "generateContent") != 0 && strcmp(action, "streamGenerateContent") != 0 &&
	    strcmp(action, "countTokens") != 0)
		return apierr_set(e, -EINVAL, 400, "invalid_request_error",
				  "unsupported Cloud Code method");
	sse = strcmp(action, "streamGenerateContent") == 0;
	model = bare_model(a, pc->model);
	u->method = "POST";
	u->url = arena_printf(a, "%s/" GCLI_API_VERSION ":%s%s", base, action, sse ? "?alt=sse" : "");
	ua = model ? arena_printf(a, "GeminiCLI/" GCLI_VERSION "/%s (" GCLI_OS "; " GCLI_ARCH ")",
				  model)
		   : NULL;
	bearer = arena_printf(a, "Bearer %s", token);
	if (!u->url || !ua || !bearer)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	r = upstream_header(u, a, "Content-Type", "application/json");
	if (r == 0)
		r = upstream_header(u, a, "Accept", sse ? "text/event-stream" : "application/json");
	if (r == 0)
		r = upstream_header(u, a, "User-Agent", ua);
	if (r == 0)
		r = upstream_header(u, a, "X-Goog-Api-Client", GCLI_API_CLIENT);
	if (r == 0)
		r = upstream_header(u, a, "Authorization", bearer);
	if (r == 0)
		r = prepare_cred_headers(pc->cred, u, a);
	if (r < 0)
		return apierr_set(e, r, 500, "api_error", "cannot build the upstream request headers");
	return 0;
}

const struct provider provider_gemini_cli = {
	.name = "gemini-cli",
	.config_key = "gemini-cli",
	.family = IR_FAM_GEMINI_CLI,
	.stream_only = false,
	.default_base_url = "https://cloudcode-pa.googleapis.com",
	.base_url_env = "CLIPROXY_GEMINI_CLI_BASE_URL",
	.prepare = gcli_prepare,
	.fix_body = gcli_fix_body,
	.catalogue = gcli_catalogue,
};
