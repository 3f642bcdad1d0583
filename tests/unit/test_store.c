/*
 * test_store.c - auth/store.c, store_write.c, token.c, refresh.c (pure
 * parts) and providers/registry_auth.c: parsing every provider's file,
 * expiry formats, secrets kept out without a secrets arena, merges that keep
 * unknown members byte for byte, atomic 0600 writes in a 0700 dir, mode
 * refusal, scans, the original's file names, the lock, due rules, JWT
 * claims, form encoding, and auth-dir credentials in the registry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/refresh.h"
#include "auth/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "providers/provider.h"
#include "tests/unit/check.h"

static struct arena A, S;
static char dir[256];

static const char codex_json[] =
	"{\"id_token\":\"eyJ.x.y\",\"access_token\":\"at-OLD\",\"refresh_token\":\"rt-OLD\","
	"\"account_id\":\"acct-1\",\"last_refresh\":\"2025-01-01T00:00:00Z\","
	"\"email\":\"u@example.com\",\"type\":\"codex\",\"expired\":\"2025-01-02T03:04:05+01:00\","
	"\"zz_unknown\":{\"keep\":[1,2,{\"a\":\"\\u00e9\"}]},  \"priority\" : 3,"
	"\"headers\":{\"X-One\":\"1\",\"Bad\\r\":\"x\"},\"excluded_models\":[\"GPT-5*\"]}";

static const char gemini_json[] =
	"{\"token\":{\"access_token\":\"ya29.OLD\",\"refresh_token\":\"1//rt\",\"token_type\":\"Bearer\","
	"\"expiry\":\"2026-03-04T05:06:07.123456789-02:00\",\"token_uri\":\"https://oauth2.googleapis.com/token\","
	"\"client_id\":\"cid\",\"client_secret\":\"csec\",\"scopes\":[\"a\"]},"
	"\"project_id\":\" p1, p2,,p3 \",\"email\":\"g@example.com\",\"auto\":false,\"checked\":true,"
	"\"type\":\"gemini\"}";

static const char *path_of(const char *name)
{
	return arena_printf(&A, "%s/%s", dir, name);
}

static void put_file(const char *name, const char *text, mode_t mode)
{
	const char *p = path_of(name);
	FILE *f = fopen(p, "w");

	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static void test_times(void)
{
	int64_t t = 0;
	char *s;

	CHECK_INT(auth_time_parse("2025-01-02T03:04:05Z", 20, &t), 0);
	CHECK_INT(t, 1735787045);
	CHECK_INT(auth_time_parse("2025-01-02T04:04:05.999+01:00", 29, &t), 0);
	CHECK_INT(t, 1735787045);
	CHECK_INT(auth_time_parse("2025-01-02 03:04:05 -0000", 25, &t), 0);
	CHECK_INT(t, 1735787045);
	CHECK_INT(auth_time_parse("1999-12-31T23:59", 16, &t), 0);
	CHECK_INT(t, 946684740);
	CHECK_INT(auth_time_parse("2025-02-30T00:00:00Z", 20, &t), -EINVAL);
	CHECK_INT(auth_time_parse("2025-01-02T03:04:05Zjunk", 24, &t), -EINVAL);
	CHECK_INT(auth_time_parse("2025-01-02", 10, &t), -EINVAL);
	CHECK_INT(auth_time_parse("", 0, &t), -EINVAL);
	s = auth_time_format(&A, 1735787045);
	CHECK_STR(s, "2025-01-02T03:04:05Z");
}

static void test_parse_codex(void)
{
	struct auth_file f;

	CHECK_INT(auth_parse(&f, "/x/codex-u@example.com-plus.json", codex_json, strlen(codex_json), &A, &S), 0);
	CHECK_STR(f.name, "codex-u@example.com-plus.json");
	CHECK_STR(f.type, "codex");
	CHECK_INT(f.kind, AUTH_CODEX);
	CHECK_STR(f.label, "u@example.com");
	CHECK_INT(f.expiry, 1735783445);
	CHECK_INT(f.last_refresh, 1735689600);
	CHECK_STR(f.access_token, "at-OLD");
	CHECK_STR(f.refresh_token, "rt-OLD");
	CHECK_STR(f.id_token, "eyJ.x.y");
	CHECK_STR(f.account_id, "acct-1");
	CHECK_INT(f.priority, 3);
	CHECK_INT(f.request_retry, -1);
	CHECK_INT(f.headers.n, 1);
	CHECK_STR(f.headers.v[0].key, "X-One");
	CHECK_INT(f.excluded_models.n, 1);
	CHECK_STR(f.excluded_models.v[0], "gpt-5*");
	CHECK(f.json && f.json_len == strlen(codex_json));
	CHECK(!f.disabled);

	/* Without a secrets arena: no token, no text. */
	CHECK_INT(auth_parse(&f, "c.json", codex_json, strlen(codex_json), &A, NULL), 0);
	CHECK(!f.access_token && !f.refresh_token && !f.id_token && !f.json);
	CHECK_STR(f.label, "u@example.com");
	CHECK_INT(f.expiry, 1735783445);
}

static void test_parse_gemini(void)
{
	struct auth_file f;

	CHECK_INT(auth_parse(&f, "gemini-g@example.com-all.json", gemini_json, strlen(gemini_json), &A, &S), 0);
	CHECK_INT(f.kind, AUTH_GEMINI);
	CHECK_STR(f.access_token, "ya29.OLD");
	CHECK_STR(f.refresh_token, "1//rt");
	CHECK_STR(f.client_id, "cid");
	CHECK_STR(f.client_secret, "csec");
	CHECK_INT(f.expiry, 1772607967); /* 05:06:07-02:00 = 07:06:07Z */
	CHECK_INT(f.nprojects, 3);
	if (f.nprojects == 3) {
		CHECK_STR(f.projects[0], "p1");
		CHECK_STR(f.projects[1], "p2");
		CHECK_STR(f.projects[2], "p3");
	}
	CHECK(f.gemini_checked && !f.gemini_auto);
	CHECK_INT(auth_parse(&f, "g.json", gemini_json, strlen(gemini_json), &A, NULL), 0);
	CHECK(!f.client_secret && !f.access_token);
}

static void test_parse_odd(void)
{
	struct auth_file f;
	static const struct {
		const char *text;
		int want;
		int64_t expiry;
	} c[] = {
		{ "[]", -EINVAL, 0 },
		{ "{", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "{\"type\":\"\"}", -ENOMSG, 0 },
		{ "{\"type\":1}", -ENOMSG, 0 },
		{ "{\"email\":\"x\"}", -ENOMSG, 0 },
		{ "{\"type\":\"kiro\",\"expires_at\":\"2025-01-02T03:04:05Z\"}", 0, 1735787045 },
		{ "{\"type\":\"qwen\",\"expired\":1735787045000}", 0, 1735787045 },
		{ "{\"type\":\"qwen\",\"expiresAt\":1735787045}", 0, 1735787045 },
		{ "{\"type\":\"iflow\",\"expire\":\"1735787045\"}", 0, 1735787045 },
		{ "{\"type\":\"new-thing\",\"expired\":\"garbage\"}", 0, 0 },
		{ "{\"type\":\"gemini\",\"token\":{\"expiry\":\"0001-01-01T00:00:00Z\"}}", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int r = auth_parse(&f, "x.json", c[i].text, strlen(c[i].text), &A, &S);
		CHECK_INT(r, c[i].want);
		if (r == 0)
			CHECK_INT(f.expiry, c[i].expiry);
		CHECK_STR(f.name, "x.json");
	}
	CHECK_INT(auth_parse(&f, "x.json", "{\"type\":\"new-thing\"}", 20, &A, &S), 0);
	CHECK_INT(f.kind, AUTH_UNKNOWN);
	CHECK_STR(f.label, "x.json");
	CHECK_INT(auth_parse(&f, "x.json", "{\"type\":\"codex\",\"disabled\":true,\"disabled_reason\":\"r\"}", 54,
			     &A, &S), 0);
	CHECK(f.disabled);
	CHECK_STR(f.disabled_reason, "r");
}

static void test_merge(void)
{
	struct auth_file f, g;
	struct auth_update u;
	struct auth_member extra[] = { { "note", "\"hello\"" }, { "priority", NULL } };
	char *out;
	size_t n;

	CHECK_INT(auth_parse(&f, "c.json", codex_json, strlen(codex_json), &A, &S), 0);
	memset(&u, 0, sizeof(u));
	u.access_token = "at-NEW";
	u.refresh_token = "rt-\"NEW\"";
	u.expiry = 1735787045;
	u.last_refresh = 1735787045 - 10;
	u.extra = extra;
	u.nextra = 2;
	CHECK_INT(auth_merge(&f, &u, &S, &out, &n), 0);
	CHECK_STR(out,
		  "{\"id_token\":\"eyJ.x.y\",\"access_token\":\"at-NEW\",\"refresh_token\":\"rt-\\\"NEW\\\"\","
		  "\"account_id\":\"acct-1\",\"last_refresh\":\"2025-01-02T03:03:55Z\","
		  "\"email\":\"u@example.com\",\"type\":\"codex\",\"expired\":\"2025-01-02T03:04:05Z\","
		  "\"zz_unknown\":{\"keep\":[1,2,{\"a\":\"\\u00e9\"}]},"
		  "\"headers\":{\"X-One\":\"1\",\"Bad\\r\":\"x\"},\"excluded_models\":[\"GPT-5*\"],"
		  "\"note\":\"hello\"}\n");
	CHECK_INT(auth_parse(&g, "c.json", out, n, &A, &S), 0);
	CHECK_STR(g.refresh_token, "rt-\"NEW\"");

	/* Disable, then clear; backoff state set, then cleared. */
	memset(&u, 0, sizeof(u));
	u.disabled = AUTH_SET;
	u.disabled_reason = "refresh refused: invalid_grant";
	u.refresh_state = AUTH_SET;
	u.refresh_retry_at = 1735787045;
	u.refresh_failures = 2;
	u.refresh_error = "HTTP 503";
	CHECK_INT(auth_merge(&g, &u, &S, &out, &n), 0);
	CHECK_INT(auth_parse(&f, "c.json", out, n, &A, &S), 0);
	CHECK(f.disabled);
	CHECK_STR(f.disabled_reason, "refresh refused: invalid_grant");
	CHECK_INT(f.refresh_retry_at, 1735787045);
	CHECK_INT(f.refresh_failures, 2);
	CHECK_STR(f.refresh_error, "HTTP 503");
	memset(&u, 0, sizeof(u));
	u.disabled = AUTH_CLEAR;
	u.refresh_state = AUTH_CLEAR;
	CHECK_INT(auth_merge(&f, &u, &S, &out, &n), 0);
	CHECK(strstr(out, "\"disabled\":false") != NULL);
	CHECK(!strstr(out, "disabled_reason") && !strstr(out, "refresh_retry_at") &&
	      !strstr(out, "refresh_error") && !strstr(out, "refresh_failures"));

	/* Nothing to change: the same members, in order. */
	memset(&u, 0, sizeof(u));
	CHECK_INT(auth_parse(&f, "c.json", codex_json, strlen(codex_json), &A, &S), 0);
	CHECK_INT(auth_merge(&f, &u, &S, &out, &n), 0);
	CHECK_INT(auth_parse(&g, "c.json", out, n, &A, &S), 0);
	CHECK_INT(g.priority, 3);
	CHECK(strstr(out, "\"priority\":3") != NULL);

	/* A merge may not take the type away. */
	{
		struct auth_member kill[] = { { "type", NULL } };
		u.extra = kill;
		u.nextra = 1;
		CHECK_INT(auth_merge(&f, &u, &S, &out, &n), -EINVAL);
	}
}

static void test_merge_gemini(void)
{
	struct auth_file f, g;
	struct auth_update u;
	char *out;
	size_t n;

	CHECK_INT(auth_parse(&f, "g.json", gemini_json, strlen(gemini_json), &A, &S), 0);
	memset(&u, 0, sizeof(u));
	u.access_token = "ya29.NEW";
	u.expiry = 1735787045;
	u.last_refresh = 1735787000; /* gemini files get it only if present */
	CHECK_INT(auth_merge(&f, &u, &S, &out, &n), 0);
	CHECK_STR(out,
		  "{\"token\":{\"access_token\":\"ya29.NEW\",\"refresh_token\":\"1//rt\",\"token_type\":\"Bearer\","
		  "\"expiry\":\"2025-01-02T03:04:05Z\",\"token_uri\":\"https://oauth2.googleapis.com/token\","
		  "\"client_id\":\"cid\",\"client_secret\":\"csec\",\"scopes\":[\"a\"]},"
		  "\"project_id\":\" p1, p2,,p3 \",\"email\":\"g@example.com\",\"auto\":false,\"checked\":true,"
		  "\"type\":\"gemini\",\"access_token\":\"ya29.NEW\",\"expiry\":\"2025-01-02T03:04:05Z\"}\n");
	CHECK_INT(auth_parse(&g, "g.json", out, n, &A, &S), 0);
	CHECK_STR(g.access_token, "ya29.NEW");
	CHECK_STR(g.refresh_token, "1//rt");
	CHECK_INT(g.expiry, 1735787045);

	/* A flat-only file gets a token object too. */
	{
		const char *flat = "{\"type\":\"gemini\",\"access_token\":\"a\",\"refresh_token\":\"r\"}";
		CHECK_INT(auth_parse(&f, "g.json", flat, strlen(flat), &A, &S), 0);
	}
	CHECK_STR(f.access_token, "a");
	memset(&u, 0, sizeof(u));
	u.refresh_token = "r2";
	CHECK_INT(auth_merge(&f, &u, &S, &out, &n), 0);
	CHECK_STR(out, "{\"type\":\"gemini\",\"access_token\":\"a\",\"refresh_token\":\"r2\","
		       "\"token\":{\"refresh_token\":\"r2\"}}\n");
}

static void test_files(void)
{
	struct auth_file f, *v;
	struct auth_update u;
	struct stat st;
	size_t n;
	const char *p;
	int fd, fd2;

	put_file("codex-a.json", codex_json, 0600);
	put_file("loose.json", codex_json, 0644);
	put_file("open.json", codex_json, 0666);
	put_file("notype.json", "{\"email\":\"x\"}", 0600);
	put_file("broken.json", "{\"type\":", 0600);
	put_file(".hidden.json", codex_json, 0600);
	put_file("other.txt", codex_json, 0600);
	put_file("gemini-g.json", gemini_json, 0600);

	CHECK_INT(auth_load(&f, path_of("codex-a.json"), &A, &S), 0);
	CHECK_INT(f.mode, 0600);
	CHECK(auth_mode_private(&f));
	CHECK_INT(auth_load(&f, path_of("loose.json"), &A, NULL), 0);
	CHECK(!auth_mode_private(&f));
	CHECK_INT(auth_load(&f, path_of("open.json"), &A, NULL), -EPERM);
	CHECK_INT(auth_load(&f, path_of("missing.json"), &A, NULL), -ENOENT);

	CHECK_INT(auth_scan(dir, &A, &v, &n), 0);
	CHECK_INT(n, 5);
	if (n == 5) {
		CHECK_STR(v[0].name, "broken.json");
		CHECK_INT(v[0].err, -EINVAL);
		CHECK_STR(v[1].name, "codex-a.json");
		CHECK_INT(v[1].err, 0);
		CHECK(!v[1].access_token);
		CHECK_STR(v[2].name, "gemini-g.json");
		CHECK_STR(v[3].name, "loose.json");
		CHECK_INT(v[3].err, 0);
		CHECK_STR(v[4].name, "open.json");
		CHECK_INT(v[4].err, -EPERM);
	}
	CHECK_INT(auth_scan("/nonexistent-dir-xyz", &A, &v, &n), 0);
	CHECK_INT(n, 0);

	/* auth_save: 0600, merged, re-parsed into f. */
	CHECK_INT(auth_load(&f, path_of("loose.json"), &A, &S), 0);
	memset(&u, 0, sizeof(u));
	u.access_token = "at-SAVED";
	CHECK_INT(auth_save(&f, &u, &A, &S), 0);
	CHECK_STR(f.access_token, "at-SAVED");
	CHECK_INT(stat(path_of("loose.json"), &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(auth_load(&f, path_of("loose.json"), &A, &S), 0);
	CHECK_STR(f.access_token, "at-SAVED");
	CHECK_STR(f.refresh_token, "rt-OLD");

	/* auth_store_new: dir made 0700, file 0600; bad names refused. */
	p = path_of("sub");
	CHECK_INT(auth_store_new(p, "claude-x@y.json", "{\"type\":\"claude\"}", 17, &A, &p), 0);
	CHECK_STR(p, path_of("sub/claude-x@y.json"));
	CHECK_INT(stat(path_of("sub"), &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(auth_store_new(dir, "../evil.json", "{\"type\":\"claude\"}", 17, &A, NULL), -EINVAL);
	CHECK_INT(auth_store_new(dir, ".x.json", "{\"type\":\"claude\"}", 17, &A, NULL), -EINVAL);
	CHECK_INT(auth_store_new(dir, "x.json", "{\"email\":\"a\"}", 13, &A, NULL), -EINVAL);

	/* The lock: a second holder waits, then times out. */
	fd = auth_lock(path_of("codex-a.json"), 100);
	CHECK(fd >= 0);
	fd2 = auth_lock(path_of("codex-a.json"), 30);
	CHECK_INT(fd2, -ETIMEDOUT);
	auth_unlock(fd);
	fd2 = auth_lock(path_of("codex-a.json"), 30);
	CHECK(fd2 >= 0);
	auth_unlock(fd2);
	CHECK_INT(stat(path_of(".cliproxy/codex-a.json.lock"), &st), 0);
	CHECK_INT(stat(path_of(".cliproxy"), &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
}

static void test_names(void)
{
	struct auth_name n;

	memset(&n, 0, sizeof(n));
	n.kind = AUTH_GEMINI;
	n.email = "a@b.c";
	n.project = "proj-1";
	CHECK_STR(auth_file_name(&A, &n), "gemini-a@b.c-proj-1.json");
	n.all_projects = true;
	CHECK_STR(auth_file_name(&A, &n), "gemini-a@b.c-all.json");
	memset(&n, 0, sizeof(n));
	n.kind = AUTH_CODEX;
	n.email = "a@b.c";
	CHECK_STR(auth_file_name(&A, &n), "codex-a@b.c.json");
	n.plan = "plus";
	CHECK_STR(auth_file_name(&A, &n), "codex-a@b.c-plus.json");
	n.plan = "team";
	n.account_id = "acct";
	/* sha256("acct") = def0b17f... */
	CHECK_STR(auth_file_name(&A, &n), "codex-def0b17f-a@b.c-team.json");
	n.kind = AUTH_CLAUDE;
	n.email = "../x/y";
	CHECK_STR(auth_file_name(&A, &n), "claude-_._x_y.json");
	n.email = NULL;
	CHECK(auth_file_name(&A, &n) == NULL);
}

static void test_due(void)
{
	struct auth_file f;
	int64_t now = 1000000000;

	memset(&f, 0, sizeof(f));
	f.kind = AUTH_CLAUDE;
	CHECK(!auth_refresh_due(&f, now)); /* no expiry known */
	f.expiry = now + 4 * 3600 + 1;
	CHECK(!auth_refresh_due(&f, now));
	f.expiry = now + 4 * 3600;
	CHECK(auth_refresh_due(&f, now));
	f.disabled = true;
	CHECK(!auth_refresh_due(&f, now));
	f.disabled = false;
	f.kind = AUTH_CODEX;
	f.expiry = now + 6 * 86400;
	CHECK(!auth_refresh_due(&f, now));
	f.expiry = now + 4 * 86400;
	CHECK(auth_refresh_due(&f, now));
	/* A 1 h token just refreshed is not due under Codex's 5-day lead. */
	f.last_refresh = now - 60;
	f.expiry = now + 3540;
	CHECK(!auth_refresh_due(&f, now));
	f.last_refresh = now - 1900;
	f.expiry = now + 1700;
	CHECK(auth_refresh_due(&f, now));
	f.last_refresh = 0;
	f.kind = AUTH_GEMINI;
	f.expiry = now + 4 * 86400;
	CHECK(!auth_refresh_due(&f, now));
	f.refresh_interval = 600;
	f.last_refresh = now - 601;
	CHECK(auth_refresh_due(&f, now));
	f.kind = AUTH_VERTEX;
	CHECK(!auth_refresh_due(&f, now));
	CHECK_INT(auth_refresh_lead(AUTH_GEMINI), 300);
	CHECK(auth_token_url(AUTH_VERTEX) == NULL);
	setenv("CLIPROXY_CLAUDE_TOKEN_URL", "http://127.0.0.1:1/claude/token", 1);
	CHECK_STR(auth_token_url(AUTH_CLAUDE), "http://127.0.0.1:1/claude/token");
	unsetenv("CLIPROXY_CLAUDE_TOKEN_URL");
	CHECK_STR(auth_token_url(AUTH_CLAUDE), AUTH_CLAUDE_TOKEN_URL);
}

static void test_jwt_form(void)
{
	/* {"email":"e@x.y","https://api.openai.com/auth":{"chatgpt_account_id":"A1","chatgpt_plan_type":"pro"}} */
	const char *jwt = "eyJhbGciOiJub25lIn0."
			  "eyJlbWFpbCI6ImVAeC55IiwiaHR0cHM6Ly9hcGkub3BlbmFpLmNvbS9hdXRoIjp7ImNoYXRncHRfYWNjb3VudF9pZCI6IkExIiwiY2hhdGdwdF9wbGFuX3R5cGUiOiJwcm8ifX0."
			  "c2ln";
	const char *email = NULL, *acct = NULL, *plan = NULL;
	struct buf b;
	struct json j;

	CHECK_INT(auth_codex_claims(jwt, &A, &email, &acct, &plan), 0);
	CHECK_STR(email, "e@x.y");
	CHECK_STR(acct, "A1");
	CHECK_STR(plan, "pro");
	CHECK_INT(auth_codex_claims("nodots", &A, &email, NULL, NULL), -EINVAL);
	CHECK_INT(auth_jwt_payload("a.!!.c", &A, &j), -EINVAL);
	buf_init(&b, &A, 1024);
	auth_form_add(&b, "grant_type", "refresh_token");
	auth_form_add(&b, "scope", "openid profile email");
	auth_form_add(&b, "x", "a+b/c=d&é");
	CHECK_STR(b.p, "grant_type=refresh_token&scope=openid+profile+email&x=a%2Bb%2Fc%3Dd%26%C3%A9");
}

static void test_registry_auth(void)
{
	struct config cfg;
	struct registry r;
	char sub[300];
	size_t i, nauth = 0;
	bool seen_p2 = false;

	snprintf(sub, sizeof(sub), "%s/reg", dir);
	mkdir(sub, 0700);
	put_file("reg/codex-u@example.com-plus.json", codex_json, 0600);
	put_file("reg/gemini-g@example.com-all.json", gemini_json, 0600);
	put_file("reg/claude-off.json", "{\"type\":\"claude\",\"disabled\":true}", 0600);
	put_file("reg/claude-on.json", "{\"type\":\"claude\",\"email\":\"c@x.y\",\"prefix\":\"team\"}", 0600);
	put_file("reg/vertex.json", "{\"type\":\"vertex\"}", 0600);
	config_defaults(&cfg);
	cfg.auth_dir = arena_strdup(&A, sub);
	CHECK_INT(registry_build(&r, &cfg, &A, &S), 0);
	for (i = 0; i < r.ncreds; i++) {
		const struct credential *cr = &r.creds[i];
		if (!cr->auth)
			continue;
		nauth++;
		CHECK(cr->api_key == NULL);
		CHECK(cr->auth->access_token == NULL); /* loaded without secrets */
		if (cr->prov == &provider_gemini_cli) {
			CHECK(cr->project_id != NULL);
			if (cr->project_id && strcmp(cr->project_id, "p2") == 0) {
				seen_p2 = true;
				CHECK_STR(cr->id, "gemini-g@example.com-all.json#p2");
				CHECK_STR(cr->label, "g@example.com p2");
			}
		} else if (cr->prov == &provider_codex_oauth) {
			CHECK_STR(cr->id, "codex-u@example.com-plus.json");
			CHECK_STR(cr->label, "u@example.com");
			CHECK_INT(cr->priority, 3);
			CHECK(cr->excluded_models && cr->excluded_models->n == 1);
		} else {
			CHECK(cr->prov == &provider_claude_oauth);
			CHECK_STR(cr->id, "claude-on.json");
			CHECK_STR(cr->prefix, "team");
		}
	}
	CHECK_INT(nauth, 5); /* codex, 3 gemini projects, claude-on */
	CHECK(seen_p2);
}

int main(void)
{
	char tmpl[] = "/tmp/cliproxy-test-store-XXXXXX";

	arena_init(&A, 256L * 1024 * 1024);
	arena_init_secret(&S, 64L * 1024 * 1024);
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	RUN(test_times);
	RUN(test_parse_codex);
	RUN(test_parse_gemini);
	RUN(test_parse_odd);
	RUN(test_merge);
	RUN(test_merge_gemini);
	RUN(test_files);
	RUN(test_names);
	RUN(test_due);
	RUN(test_jwt_form);
	RUN(test_registry_auth);
	{
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	arena_release(&S);
	arena_release(&A);
	return CHECK_DONE();
}
