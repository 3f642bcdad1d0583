/*
 * openai_compat.c - OpenAI Chat Completions upstreams of the
 * openai-compatibility entries (SPEC §2.12): POST <base-url>/chat/completions
 * with the entry key as a Bearer token (no Authorization when the key is
 * empty).  No built-in models: the entry's models are the catalogue, and
 * there is no default base URL.
 */
#include "providers/provider.h"

#include <errno.h>
#include <string.h>

#include "core/arena.h"
#include "providers/prepare.h"
#include "providers/upstream.h"

#define OPENAI_COMPAT_USER_AGENT "cli-proxy-openai-compat"

static const struct hdr_row compat_headers[] = {
	{ "Content-Type", "application/json", false },
	{ "User-Agent", OPENAI_COMPAT_USER_AGENT, false },
};

static const struct hdr_row compat_stream_headers[] = {
	{ "Accept", "text/event-stream", false },
	{ "Cache-Control", "no-cache", false },
};

static int compat_prepare(const struct provider_call *pc, struct upstream_req *u, struct arena *a,
			  struct apierr *e)
{
	const char *base = prepare_base(pc, a, e);
	bool compact = pc->action && strcmp(pc->action, "compact") == 0;
	int r;

	if (!base)
		return -EINVAL;
	u->method = "POST";
	u->url = arena_printf(a, "%s/%s", base, compact ? "responses/compact" : "chat/completions");
	if (!u->url)
		return apierr_set(e, -ENOMEM, 500, "api_error", "out of memory");
	r = prepare_table(pc, false, compat_headers, sizeof(compat_headers) / sizeof(compat_headers[0]),
			  u, a);
	if (r == 0 && pc->stream)
		r = prepare_table(pc, false, compat_stream_headers,
				  sizeof(compat_stream_headers) / sizeof(compat_stream_headers[0]), u, a);
	if (r == 0 && pc->cred->api_key && *pc->cred->api_key) {
		const char *bearer = arena_printf(a, "Bearer %s", pc->cred->api_key);
		r = bearer ? upstream_header(u, a, "Authorization", bearer) : -ENOMEM;
	}
	if (r == 0)
		r = prepare_cred_headers(pc->cred, u, a);
	if (r < 0)
		return apierr_set(e, r, 500, "api_error", "cannot build the upstream request headers");
	return 0;
}

const struct provider provider_openai_compat = {
	.name = "openai-compat",
	.config_key = "openai-compatibility",
	.family = IR_FAM_OPENAI,
	.stream_only = false,
	.default_base_url = NULL,
	.base_url_env = NULL,
	.prepare = compat_prepare,
	.catalogue = NULL,
};
