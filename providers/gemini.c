/*
 * gemini.c - Gemini API ("AI Studio") upstream for gemini-api-key
 * credentials (SPEC §2.2): POST <base>/v1beta/models/<model>:<action>,
 * ?alt=sse for streamGenerateContent, key in x-goog-api-key (never ?key=,
 * so it stays out of URLs and logs).  The model in the path loses a thinking
 * suffix "(...)" and is percent-encoded outside [A-Za-z0-9._-].
 */
#include "providers/provider.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "providers/prepare.h"
#include "providers/upstream.h"

#define GEMINI_API_VERSION "v1beta"

static const struct hdr_row gemini_headers[] = {
	{ "Content-Type", "application/json", false },
};

static const char *const gemini_catalogue[] = {
	"gemini-2.5-pro",
	"gemini-2.5-flash",
	"gemini-2.5-flash-lite",
	"gemini-3-pro-preview",
	"gemini-3.1-pro-preview",
	"gemini-3.1-flash-image-preview",
	"gemini-3-flash-preview",
	"gemini-3.1-flash-lite-preview",
	"gemini-3-pro-image-preview",
	NULL,
};

/* The model as a path segment: no "(budget)" suffix, nothing that could
   leave the segment. */
static char *model_segment(struct arena *a, const char *m)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(m), o = 0;
	const char *paren;
	char *s;

	if (n > 0 && m[n - 1] == ')' && (paren = strrchr(m, '(')) && paren > m)
		n = (size_t)(paren - m);
	s = arena_alloc(a, n * 3 + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)m[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '_' || ch == '-') {
			s[o++] = (char)ch;
		} else {
			s[o++] = '%';
			s[o++] = hex[ch >> 4];
			s[o++] = hex[ch & 15];
		}
	}
	s[o] = '\0';
	return s;
}

static int gemini_prepare(const struct provider_call *pc, struct upstream_req *u, struct arena *a,
			  struct apierr *e)
{
	const char *base = prepare_base(pc, a, e), *action = pc->action;
	char *model;
	bool sse;
	int r;

	if (!base)
		return -EINVAL;
	if (!pc->model || !*pc->model)
		return apierr_set(e, -EINVAL, 400, "invalid_request_error", "model is required");
	if (!action)
		action = pc->stream ? "streamGenerateContent" : "generateContent";
	sse = strcmp(action, "streamGenerateContent") == 0;
	model = model_segment(a, pc->model);
	if (!model)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	u->method = "POST";
	u->url = arena_printf(a, "%s/" GEMINI_API_VERSION "/models/%s:%s%s", base, model, action,
			      sse ? "?alt=sse" : "");
	if (!u->url)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	r = prepare_table(pc, false, gemini_headers, sizeof(gemini_headers) / sizeof(gemini_headers[0]),
			  u, a);
	if (r == 0 && sse)
		r = upstream_header(u, a, "Accept", "text/event-stream");
	if (r == 0)
		r = upstream_header(u, a, "x-goog-api-key", pc->cred->api_key);
	if (r == 0)
		r = prepare_cred_headers(pc->cred, u, a);
	if (r < 0)
		return apierr_set(e, r, 500, "api_error", "cannot build the upstream request headers");
	return 0;
}

const struct provider provider_gemini = {
	.name = "gemini",
	.config_key = "gemini-api-key",
	.family = IR_FAM_GEMINI,
	.stream_only = false,
	.default_base_url = "https://generativelanguage.googleapis.com",
	.base_url_env = "CLIPROXY_GEMINI_API_BASE_URL",
	.prepare = gemini_prepare,
	.catalogue = gemini_catalogue,
};
