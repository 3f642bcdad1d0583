/*
 * login_gemini.c - Google OAuth for Gemini CLI (SPEC §3.3): authorize with
 * the callback on :8085/oauth2callback, form code exchange, userinfo e-mail,
 * project choice (--project ID, a list, ALL, or asked), loadCodeAssist ->
 * onboardUser polling -> Cloud AI Companion API enable, per project; then
 * gemini-<email>-<project>.json (or -all.json) as the original writes it.
 * Refuses project ids with characters that do not belong in a URL path.
 */
#include "auth/login.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "auth/oauth.h"
#include "auth/refresh.h"
#include "auth/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"

#define GEMINI_AUTH_URL "https://accounts.google.com/o/oauth2/auth"
#define GEMINI_AUTH_URL_ENV "CLIPROXY_GEMINI_AUTH_URL"
#define GEMINI_USERINFO_URL "https://www.googleapis.com/oauth2/v1/userinfo?alt=json"
#define GEMINI_USERINFO_URL_ENV "CLIPROXY_GEMINI_USERINFO_URL"
#define GEMINI_PROJECTS_URL "https://cloudresourcemanager.googleapis.com/v1/projects"
#define GEMINI_PROJECTS_URL_ENV "CLIPROXY_GEMINI_PROJECTS_URL"
#define GEMINI_CLI_BASE_URL "https://cloudcode-pa.googleapis.com"
#define GEMINI_CLI_BASE_URL_ENV "CLIPROXY_GEMINI_CLI_BASE_URL"
#define GEMINI_SERVICEUSAGE_URL "https://serviceusage.googleapis.com"
#define GEMINI_SERVICEUSAGE_URL_ENV "CLIPROXY_GEMINI_SERVICEUSAGE_URL"
#define GEMINI_PORT 8085
#define GEMINI_PATH "/oauth2callback"
#define GEMINI_TOKEN_URI "https://oauth2.googleapis.com/token" /* written into the file */
#define GEMINI_AI_SERVICE "cloudaicompanion.googleapis.com"
#define GEMINI_CLI_VERSION "0.31.0"
#define GEMINI_API_CLIENT "google-genai-sdk/1.41.0 gl-node/v22.19.0"
#define GEMINI_CLIENT_METADATA \
	"ideType=IDE_UNSPECIFIED,platform=PLATFORM_UNSPECIFIED,pluginType=GEMINI"

#define GEMINI_MAX_PROJECTS 64
#define GEMINI_MAX_PAGES 20
#define GEMINI_AUTO_POLL_S 2    /* onboarding without a project: every 2 s ... */
#define GEMINI_AUTO_BUDGET_S 30 /* ... for 30 s */
#define GEMINI_POLL_S 5         /* onboarding a project: every 5 s */

static const char *const gemini_scopes[] = {
	"https://www.googleapis.com/auth/cloud-platform",
	"https://www.googleapis.com/auth/userinfo.email",
	"https://www.googleapis.com/auth/userinfo.profile",
};

struct gem {
	struct login_ctx *x;
	const char *access_token;
	const char *user_agent;
};

static const char *base_url(struct login_ctx *x, const char *env, const char *dflt)
{
	const char *u = auth_env_url(env, dflt);
	size_t n = strlen(u);

	while (n > 0 && u[n - 1] == '/')
		n--;
	return arena_strndup(x->a, u, n);
}

/* Project ids go into URL paths: letters, digits, '-', '_', '.', ':'. */
static bool project_ok(const char *p)
{
	if (!p || !*p || strlen(p) > 128)
		return false;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.' || *p == ':'))
			return false;
	return true;
}

static int gcall(struct gem *g, const char *method, const char *url, const char *body,
		 bool cloudcode, struct oauth_http_resp *r)
{
	struct oauth_http h;

	memset(&h, 0, sizeof(h));
	h.method = method;
	h.url = url;
	h.body = body;
	h.body_len = body ? strlen(body) : 0;
	h.content_type = body ? "application/json" : NULL;
	h.bearer = g->access_token;
	h.proxy = g->x->proxy;
	if (cloudcode) {
		h.headers[h.nheaders++] = g->user_agent;
		h.headers[h.nheaders++] = "X-Goog-Api-Client: " GEMINI_API_CLIENT;
		h.headers[h.nheaders++] = "Client-Metadata: " GEMINI_CLIENT_METADATA;
	}
	if (oauth_http_call(g->x->secrets, &h, r) < 0)
		return -EIO;
	return r->status >= 200 && r->status <= 299 && r->json_ok ? 0 : -EPROTO;
}

static const char *user_agent(struct arena *a)
{
	struct utsname u;
	const char *arch = "x64";

	if (uname(&u) == 0 && (strcmp(u.machine, "aarch64") == 0 || strcmp(u.machine, "arm64") == 0))
		arch = "arm64";
	else if (uname(&u) == 0 && (strcmp(u.machine, "i686") == 0 || strcmp(u.machine, "i386") == 0))
		arch = "x86";
	return arena_printf(a, "User-Agent: GeminiCLI/%s (%s; %s)", GEMINI_CLI_VERSION,
#ifdef __APPLE__
			    "darwin",
#else
			    "linux",
#endif
			    arch);
}

/* ---- Projects --------------------------------------------------------------- */

struct projects {
	const char *v[GEMINI_MAX_PROJECTS];
	size_t n;
};

static void projects_add(struct projects *ps, const char *p)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i], p) == 0)
			return;
	if (ps->n < GEMINI_MAX_PROJECTS)
		ps->v[ps->n++] = p;
}

/* Every project the account can see (cloudresourcemanager v1, paged). */
static int list_projects(struct gem *g, struct projects *ret)
{
	struct login_ctx *x = g->x;
	const char *base = auth_env_url(GEMINI_PROJECTS_URL_ENV, GEMINI_PROJECTS_URL), *tok = NULL;
	struct oauth_http_resp r;

	ret->n = 0;
	for (int page = 0; page < GEMINI_MAX_PAGES; page++) {
		const char *kv[] = { "pageToken", tok, NULL };
		const char *url = oauth_url(x->a, base, kv);
		int ps;

		if (!url)
			return login_fail(x, "out of memory");
		if (gcall(g, "GET", url, NULL, false, &r) < 0)
			return login_fail(x, "listing the Google Cloud projects failed: %s",
					  oauth_http_error(x->a, &r));
		ps = json_get(&r.j, 0, "projects");
		for (int i = json_first(&r.j, ps); i >= 0; i = json_after(&r.j, i)) {
			const char *id = json_gets(&r.j, i, "projectId", x->a);
			if (project_ok(id))
				projects_add(ret, id);
		}
		tok = json_gets(&r.j, 0, "nextPageToken", x->a);
		if (!tok || !*tok)
			break;
	}
	return 0;
}

/* Split "a,b,c" (trimmed, empties dropped). */
static int split_projects(struct login_ctx *x, const char *list, struct projects *ret)
{
	const char *p = list;

	ret->n = 0;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *id;

		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 0) {
			id = arena_strndup(x->a, p, n);
			if (!id)
				return login_fail(x, "out of memory");
			if (!project_ok(id))
				return login_fail(x, "\"%s\" is not a Google Cloud project id", id);
			projects_add(ret, id);
		}
		p = e ? e + 1 : p + strlen(p);
	}
	return 0;
}

/* ---- Onboarding (loadCodeAssist / onboardUser) ------------------------------ */

static void metadata(struct jsonw *w)
{
	jw_key(w, "metadata");
	jw_obj(w);
	jw_kstr(w, "ideType", "IDE_UNSPECIFIED");
	jw_kstr(w, "platform", "PLATFORM_UNSPECIFIED");
	jw_kstr(w, "pluginType", "GEMINI");
	jw_end(w);
}

/* cloudaicompanionProject as a string or {"id": ...}. */
static const char *companion_project(const struct json *j, int obj, struct arena *a)
{
	int v = json_get(j, obj, "cloudaicompanionProject");

	if (json_kind(j, v) == JSON_STRING)
		return json_str(j, v, a, NULL);
	if (json_kind(j, v) == JSON_OBJECT)
		return json_gets(j, v, "id", a);
	return NULL;
}

static int onboard_poll(struct gem *g, const char *url, const char *tier, const char *project,
			int every_s, int budget_s, const char **ret_project)
{
	struct login_ctx *x = g->x;
	struct oauth_http_resp r;
	struct buf b;
	struct jsonw w;
	time_t end = time(NULL) + budget_s;

	buf_init(&b, x->a, 4096);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "tierId", tier);
	metadata(&w);
	if (project)
		jw_kstr(&w, "cloudaicompanionProject", project);
	jw_end(&w);
	for (;;) {
		if (gcall(g, "POST", url, b.p, true, &r) < 0)
			return login_fail(x, "onboardUser failed: %s", oauth_http_error(x->a, &r));
		if (json_truthy(&r.j, json_get(&r.j, 0, "done"))) {
			*ret_project = companion_project(&r.j, json_get(&r.j, 0, "response"), x->a);
			return 0;
		}
		if (time(NULL) + every_s > end)
			return project ? login_fail(x, "onboarding project %s did not finish within "
						       "%d s", project, budget_s)
				       : login_fail(x, "Google did not assign a project within %d s; "
						       "name one with --project ID", budget_s);
		login_say(x, "Onboarding in progress, checking again in %d s...", every_s);
		sleep((unsigned)every_s);
	}
}

static bool free_user(const char *project, const char *tier)
{
	return strncmp(project, "gen-lang-client-", 16) == 0 || strcasecmp(tier, "FREE") == 0 ||
	       strcasecmp(tier, "LEGACY") == 0;
}

/* Set up Code Assist for project (NULL: let Google pick one); the project
   id to use in *ret. */
static int setup_project(struct gem *g, const char *project, const char **ret)
{
	struct login_ctx *x = g->x;
	const char *base = base_url(x, GEMINI_CLI_BASE_URL_ENV, GEMINI_CLI_BASE_URL);
	const char *load = arena_printf(x->a, "%s/v1internal:loadCodeAssist", base);
	const char *onboard = arena_printf(x->a, "%s/v1internal:onboardUser", base);
	const char *tier = "legacy-tier", *got = NULL, *want = project;
	struct oauth_http_resp r;
	struct buf b;
	struct jsonw w;
	int tiers;

	buf_init(&b, x->a, 4096);
	jw_init(&w, &b);
	jw_obj(&w);
	metadata(&w);
	if (project)
		jw_kstr(&w, "cloudaicompanionProject", project);
	jw_end(&w);
	if (!load || !onboard || jw_error(&w) < 0)
		return login_fail(x, "out of memory");
	if (gcall(g, "POST", load, b.p, true, &r) < 0)
		return login_fail(x, "loadCodeAssist%s%s failed: %s", project ? " for " : "",
				  project ? project : "", oauth_http_error(x->a, &r));
	tiers = json_get(&r.j, 0, "allowedTiers");
	for (int t = json_first(&r.j, tiers); t >= 0; t = json_after(&r.j, t)) {
		const char *id = json_gets(&r.j, t, "id", x->a);
		if (json_truthy(&r.j, json_get(&r.j, t, "isDefault")) && id && *id) {
			tier = id;
			break;
		}
	}
	if (!want) {
		want = companion_project(&r.j, 0, x->a);
		if (!want || !*want) {
			login_say(x, "Asking Google to assign a project...");
			if (onboard_poll(g, onboard, tier, NULL, GEMINI_AUTO_POLL_S, GEMINI_AUTO_BUDGET_S,
					 &want) < 0)
				return -1;
			if (!want || !*want)
				return login_fail(x, "Google assigned no project; name one with --project ID");
		}
		if (!project_ok(want))
			return login_fail(x, "Google answered an unusable project id");
		login_say(x, "Project: %s", want);
	}
	if (onboard_poll(g, onboard, tier, want, GEMINI_POLL_S, oauth_timeout_s(300), &got) < 0)
		return -1;
	*ret = want;
	if (got && *got && project_ok(got) && strcasecmp(got, want) != 0) {
		if (!project) {
			*ret = got;
		} else if (free_user(want, tier)) {
			char *c;
			login_say(x, "Google answered with another project: requested %s, backend %s.\n"
				     "  [1] backend %s (recommended: preview models)\n  [2] requested %s",
				  want, got, got, want);
			c = login_ask(x, "Which one? [1] ");
			*ret = c && strcmp(c, "2") == 0 ? want : got;
		} else {
			login_say(x, "Google answered with project %s instead of %s; keeping %s.", got,
				  want, want);
		}
	}
	return 0;
}

/* The Cloud AI Companion API must be enabled on the project. */
static int ensure_api(struct gem *g, const char *project)
{
	struct login_ctx *x = g->x;
	const char *base = base_url(x, GEMINI_SERVICEUSAGE_URL_ENV, GEMINI_SERVICEUSAGE_URL);
	const char *url = arena_printf(x->a, "%s/v1/projects/%s/services/%s", base, project,
				       GEMINI_AI_SERVICE);
	struct oauth_http_resp r;
	const char *st;

	if (!url)
		return login_fail(x, "out of memory");
	if (gcall(g, "GET", url, NULL, false, &r) < 0)
		return login_fail(x, "checking the Cloud AI Companion API of %s failed: %s", project,
				  oauth_http_error(x->a, &r));
	st = json_gets(&r.j, 0, "state", x->a);
	if (st && strcmp(st, "ENABLED") == 0)
		return 0;
	login_say(x, "Enabling the Cloud AI Companion API on %s...", project);
	url = arena_printf(x->a, "%s:enable", url);
	if (!url)
		return login_fail(x, "out of memory");
	if (gcall(g, "POST", url, "{}", false, &r) < 0)
		return login_fail(x, "enabling the Cloud AI Companion API on %s failed: %s", project,
				  oauth_http_error(x->a, &r));
	return 0;
}

/* ---- The flow ----------------------------------------------------------- */

/* Which projects: --project, else the list (asked on a terminal).  *ret_auto:
   let Google pick one (no project known). */
static int choose_projects(struct gem *g, struct projects *ret, bool *ret_all, bool *ret_auto)
{
	struct login_ctx *x = g->x;
	const char *sel = x->o->project;
	struct projects listed;
	char *ans;

	*ret_all = false;
	*ret_auto = false;
	ret->n = 0;
	if (sel && strcasecmp(sel, "ALL") == 0) {
		if (list_projects(g, ret) < 0)
			return -1;
		if (ret->n == 0)
			return login_fail(x, "--project ALL: the account sees no Google Cloud project");
		*ret_all = true;
		return 0;
	}
	if (sel)
		return split_projects(x, sel, ret);
	if (list_projects(g, &listed) < 0)
		return -1;
	if (listed.n == 0) {
		login_say(x, "No Google Cloud project is visible: letting Google assign one.");
		*ret_auto = true;
		return 0;
	}
	login_say(x, "Google Cloud projects of this account:");
	for (size_t i = 0; i < listed.n; i++)
		login_say(x, "  [%zu] %s", i + 1, listed.v[i]);
	ans = login_ask(x, arena_printf(x->a, "Project id, comma list or ALL [%s]: ", listed.v[0]));
	if (!ans || !*ans) {
		ret->v[0] = listed.v[0];
		ret->n = 1;
		login_say(x, "Using project %s (choose another with --project ID or ALL).", ret->v[0]);
		return 0;
	}
	if (strcasecmp(ans, "ALL") == 0) {
		*ret = listed;
		*ret_all = true;
		return 0;
	}
	return split_projects(x, ans, ret);
}

static int write_file(struct gem *g, const struct auth_token *t, const char *email,
		      const struct projects *ps, bool all)
{
	struct login_ctx *x = g->x;
	struct auth_name nm;
	struct buf out, ids;
	struct jsonw w;
	time_t now = time(NULL);

	buf_init(&ids, x->a, 64 * 1024);
	for (size_t i = 0; i < ps->n; i++) {
		if (i)
			buf_addc(&ids, ',');
		buf_adds(&ids, ps->v[i]);
	}
	/* The original's GeminiTokenStorage: "token" is Go's oauth2.Token plus
	   the client and scopes, marshalled from a map (keys sorted). */
	buf_init(&out, x->secrets, AUTH_FILE_MAX);
	jw_init(&w, &out);
	jw_obj(&w);
	jw_key(&w, "token");
	jw_obj(&w);
	jw_kstr(&w, "access_token", t->access_token);
	jw_kstr(&w, "client_id", AUTH_GEMINI_CLIENT_ID);
	jw_kstr(&w, "client_secret", AUTH_GEMINI_CLIENT_SECRET);
	jw_kstr(&w, "expiry",
		auth_time_format(x->a, (int64_t)now + (t->expires_in > 0 ? t->expires_in : 3600)));
	jw_kstr(&w, "refresh_token", t->refresh_token);
	jw_key(&w, "scopes");
	jw_arr(&w);
	for (size_t i = 0; i < sizeof(gemini_scopes) / sizeof(gemini_scopes[0]); i++)
		jw_cstr(&w, gemini_scopes[i]);
	jw_end(&w);
	jw_kstr(&w, "token_type", t->token_type ? t->token_type : "Bearer");
	jw_kstr(&w, "token_uri", GEMINI_TOKEN_URI);
	jw_end(&w);
	jw_kstr(&w, "project_id", ids.p);
	jw_kstr(&w, "email", email);
	jw_kbool(&w, "auto", false);
	jw_kbool(&w, "checked", true);
	jw_kstr(&w, "type", "gemini");
	jw_end(&w);
	buf_addc(&out, '\n');
	if (ids.err || jw_error(&w) < 0 || out.err < 0)
		return login_fail(x, "the credential does not fit in %d bytes; nothing written",
				  AUTH_FILE_MAX);
	memset(&nm, 0, sizeof(nm));
	nm.kind = AUTH_GEMINI;
	nm.email = email;
	nm.project = ps->v[0];
	nm.all_projects = all || ps->n > 1;
	return login_save(x, auth_file_name(x->a, &nm), out.p, out.len, email);
}

int login_gemini(struct login_ctx *x)
{
	struct oauth_cb cb;
	struct auth_token t;
	struct oauth_http_resp r;
	struct projects want, done;
	struct buf form, scope;
	struct gem g;
	char state[OAUTH_RANDOM_LEN];
	const char *url, *redirect, *email;
	int port = x->o->callback_port ? x->o->callback_port : GEMINI_PORT;
	bool all, autopick;

	memset(&g, 0, sizeof(g));
	g.x = x;
	g.user_agent = user_agent(x->a);
	if (oauth_random_state(state) < 0)
		return login_fail(x, "no randomness available");
	/* Google accepts any loopback port: the redirect follows --callback-port. */
	redirect = arena_printf(x->a, "http://localhost:%d%s", port, GEMINI_PATH);
	buf_init(&scope, x->a, 4096);
	for (size_t i = 0; i < sizeof(gemini_scopes) / sizeof(gemini_scopes[0]); i++) {
		if (i)
			buf_addc(&scope, ' ');
		buf_adds(&scope, gemini_scopes[i]);
	}
	{
		const char *kv[] = {
			"access_type", "offline",
			"client_id", AUTH_GEMINI_CLIENT_ID,
			"prompt", "consent",
			"redirect_uri", redirect,
			"response_type", "code",
			"scope", scope.p,
			"state", state,
			NULL,
		};
		url = redirect && !scope.err ?
			      oauth_url(x->a, auth_env_url(GEMINI_AUTH_URL_ENV, GEMINI_AUTH_URL), kv) :
			      NULL;
	}
	if (!url || !g.user_agent)
		return login_fail(x, "out of memory");
	if (login_browser(x, url, port, port, GEMINI_PATH, state, "Google (Gemini CLI)", &cb) < 0)
		return -1;

	buf_init(&form, x->secrets, 64 * 1024);
	auth_form_add(&form, "code", cb.code);
	auth_form_add(&form, "grant_type", "authorization_code");
	auth_form_add(&form, "redirect_uri", redirect);
	auth_form_add(&form, "client_id", AUTH_GEMINI_CLIENT_ID);
	auth_form_add(&form, "client_secret", AUTH_GEMINI_CLIENT_SECRET);
	if (form.err)
		return login_fail(x, "out of memory");
	if (auth_token_post(auth_token_url(AUTH_GEMINI), x->proxy, AUTH_BODY_FORM, form.p, form.len,
			    x->a, x->secrets, &t) < 0)
		return login_fail(x, "the code exchange failed: %s; nothing written",
				  oauth_token_error(x->a, &t));
	if (!t.refresh_token)
		return login_fail(x, "Google sent no refresh token; nothing written");
	g.access_token = t.access_token;

	if (gcall(&g, "GET", auth_env_url(GEMINI_USERINFO_URL_ENV, GEMINI_USERINFO_URL), NULL, false,
		  &r) < 0)
		return login_fail(x, "asking Google who this is failed: %s; nothing written",
				  oauth_http_error(x->a, &r));
	email = json_gets(&r.j, 0, "email", x->a);
	if (!email || !*email)
		return login_fail(x, "Google's user info has no e-mail; nothing written");
	login_say(x, "Google account: %s", login_safe(x, email));

	if (choose_projects(&g, &want, &all, &autopick) < 0)
		return login_fail(x, "no project chosen; nothing written");
	done.n = 0;
	if (autopick) {
		const char *p = NULL;
		if (setup_project(&g, NULL, &p) < 0)
			return login_fail(x, "nothing written");
		projects_add(&done, p);
	}
	for (size_t i = 0; i < want.n; i++) {
		const char *p = NULL;
		login_say(x, "Setting up Gemini Code Assist on %s...", want.v[i]);
		if (setup_project(&g, want.v[i], &p) < 0)
			return login_fail(x, "nothing written");
		projects_add(&done, p);
	}
	for (size_t i = 0; i < done.n; i++)
		if (ensure_api(&g, done.v[i]) < 0)
			return login_fail(x, "nothing written");
	return write_file(&g, &t, email, &done, all);
}
