/*
 * test_rr.c - auth/rr.c: fair rotation, priority buckets, fill-first,
 * cooldown skip and -EAGAIN with the wait, backoff doubling and its reset,
 * the RR_MAX_COOLDOWN_S clamp (an 18-day hint), model-scoped vs
 * credential-wide entries, corrupt state files, disable-cooling, Retry-After
 * and body hints, and 30 forked processes sharing one cursor (exactly fair).
 * Each test works in its own directory under /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "providers/provider.h"
#include "tests/unit/check.h"

/* providers/registry.c may share the link line: weak stand-ins for the
   provider objects it references (the real ones win when linked). */
const struct provider provider_claude __attribute__((weak)) = { .name = "claude" };
const struct provider provider_gemini __attribute__((weak)) = { .name = "gemini" };
const struct provider provider_codex __attribute__((weak)) = { .name = "codex" };
const struct provider provider_openai_compat __attribute__((weak)) = { .name = "openai-compat" };

static struct arena A;
static char dir[64];
static struct config cfg;
static struct credential cr[4];
static struct target tg[4];

static void begin(void)
{
	static const char *const ids[] = { "cred-c", "cred-a", "cred-b", "cred-d" };
	size_t i;

	arena_init(&A, 64L * 1024 * 1024);
	memcpy(dir, "/tmp/test_rr.XXXXXX", sizeof("/tmp/test_rr.XXXXXX"));
	if (!mkdtemp(dir))
		abort();
	memset(&cfg, 0, sizeof(cfg));
	cfg.routing.strategy = "round-robin";
	cfg.auth_dir = dir;
	memset(cr, 0, sizeof(cr));
	for (i = 0; i < 4; i++) {
		cr[i].id = ids[i];
		cr[i].label = ids[i];
		tg[i].cred = &cr[i];
		tg[i].upstream_model = "m";
	}
}

static void end(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		CHECK(!"rm -rf failed");
	arena_release(&A);
}

static const char *state(void)
{
	const char *s = rr_state_dir(&cfg, &A);

	if (!s)
		abort();
	return s;
}

static void write_file(const char *sd, const char *name, const char *text)
{
	char *p = arena_printf(&A, "%s/%s", sd, name);

	CHECK_INT(fs_write_atomic(p, text, strlen(text)), 0);
}

static int report(const char *sd, const char *model, size_t i, int status, int64_t hint,
		  bool scoped)
{
	struct rr_outcome o = { status, hint, scoped };

	return rr_report(&cfg, sd, model, &tg[i], &o);
}

/* The entry for (id, model) (model NULL: credential-wide), or NULL. */
static const struct rr_cooldown *entry(const char *sd, const char *id, const char *model)
{
	struct rr_cooldown *v;
	size_t n, i;

	if (rr_cooldowns(sd, &A, &v, &n) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].cred_id, id) == 0 &&
		    (model ? v[i].model && strcmp(v[i].model, model) == 0 : !v[i].model))
			return &v[i];
	return NULL;
}

static void test_state_dir(void)
{
	struct stat st;
	const char *sd;
	char *sub;

	begin();
	chmod(dir, 0755);
	sd = rr_state_dir(&cfg, &A);
	CHECK(sd != NULL);
	if (sd) {
		CHECK_STR(sd, arena_printf(&A, "%s/.cliproxy", dir));
		CHECK_INT(stat(sd, &st), 0);
		CHECK_INT(st.st_mode & 0777, 0700);
	}
	CHECK_INT(stat(dir, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	/* auth-dir not there yet: created */
	sub = arena_printf(&A, "%s/auth/", dir);
	cfg.auth_dir = sub;
	sd = rr_state_dir(&cfg, &A);
	CHECK(sd != NULL);
	if (sd)
		CHECK_STR(sd, arena_printf(&A, "%s/auth/.cliproxy", dir));
	cfg.auth_dir = "";
	CHECK(rr_state_dir(&cfg, &A) == NULL);
	end();
}

static void test_fair_rotation(void)
{
	const char *sd;
	int count[3] = { 0, 0, 0 };
	size_t i, idx, prev = 99;
	int64_t w;
	int bad = 0;

	begin();
	sd = state();
	for (i = 0; i < 300; i++) {
		CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w), 0);
		if (idx < 3)
			count[idx]++;
		bad += idx == prev; /* never twice in a row */
		prev = idx;
	}
	CHECK_INT(count[0], 100);
	CHECK_INT(count[1], 100);
	CHECK_INT(count[2], 100);
	CHECK_INT(bad, 0);
	/* order is by credential id: cred-a (1), cred-b (2), cred-c (0) */
	rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w); /* cursor 300: a */
	CHECK_INT(idx, 1);
	rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w);
	CHECK_INT(idx, 2);
	rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w);
	CHECK_INT(idx, 0);
	/* another model has its own cursor; the "(...)" suffix shares it */
	rr_pick(&cfg, sd, "other", tg, 3, NULL, &idx, &w);
	CHECK_INT(idx, 1);
	rr_pick(&cfg, sd, "other(8192)", tg, 3, NULL, &idx, &w);
	CHECK_INT(idx, 2);
	end();
}

static void test_tried(void)
{
	bool tried[3] = { false, true, false };
	const char *sd;
	size_t idx, i;
	int64_t w;

	begin();
	sd = state();
	for (i = 0; i < 10; i++) {
		CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, tried, &idx, &w), 0);
		CHECK(idx != 1);
	}
	tried[0] = tried[2] = true;
	CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, tried, &idx, &w), -ENOENT);
	CHECK_INT(rr_pick(&cfg, sd, "m", tg, 0, NULL, &idx, &w), -ENOENT);
	/* no state dir: still picks (first by id) */
	CHECK_INT(rr_pick(&cfg, NULL, "m", tg, 3, NULL, &idx, &w), 0);
	CHECK_INT(idx, 1);
	end();
}

static void test_priority(void)
{
	int count[3] = { 0, 0, 0 };
	const char *sd;
	size_t i, idx;
	int64_t w;

	begin();
	sd = state();
	cr[0].priority = 0;
	cr[1].priority = 5;
	cr[2].priority = 5;
	for (i = 0; i < 20; i++) {
		CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w), 0);
		if (idx < 3)
			count[idx]++;
	}
	CHECK_INT(count[0], 0);
	CHECK_INT(count[1], 10);
	CHECK_INT(count[2], 10);
	/* the high bucket cools down: the low one serves */
	CHECK_INT(report(sd, "m", 1, 503, -1, false), 0);
	CHECK_INT(report(sd, "m", 2, 429, 120, false), 0);
	for (i = 0; i < 5; i++) {
		CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w), 0);
		CHECK_INT(idx, 0);
	}
	/* negative priorities order too */
	cr[0].priority = -3;
	CHECK_INT(rr_pick(&cfg, sd, "m", tg, 1, NULL, &idx, &w), 0);
	CHECK_INT(idx, 0);
	end();
}

static void test_fill_first(void)
{
	const char *sd;
	size_t i, idx;
	int64_t w;

	begin();
	sd = state();
	cfg.routing.strategy = "fill-first";
	for (i = 0; i < 5; i++) {
		CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w), 0);
		CHECK_INT(idx, 1); /* cred-a */
	}
	CHECK_INT(report(sd, "m", 1, 500, -1, false), 0);
	for (i = 0; i < 5; i++) {
		CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w), 0);
		CHECK_INT(idx, 2); /* cred-b */
	}
	end();
}

static void test_cooldown_and_wait(void)
{
	const struct rr_cooldown *e;
	const char *sd;
	size_t i, idx;
	int64_t w = 0, now;

	begin();
	sd = state();
	now = (int64_t)time(NULL);
	CHECK_INT(report(sd, "m", 0, 500, -1, false), 0); /* 60 s */
	e = entry(sd, "cred-c", NULL);
	CHECK(e && e->until >= now + 60 && e->until <= now + 62);
	CHECK(e && strcmp(e->reason, "unavailable") == 0);
	for (i = 0; i < 10; i++) {
		CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w), 0);
		CHECK(idx != 0);
	}
	CHECK_INT(report(sd, "m", 1, 401, -1, false), 0); /* 30 min */
	CHECK_INT(report(sd, "m", 2, 403, -1, false), 0); /* 30 min */
	CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w), -EAGAIN);
	CHECK(w >= 58 && w <= 61); /* the earliest: cred-c's minute */
	e = entry(sd, "cred-a", NULL);
	CHECK(e && strcmp(e->reason, "unauthorized") == 0 && e->until >= now + 1800);
	e = entry(sd, "cred-b", NULL);
	CHECK(e && strcmp(e->reason, "payment_required") == 0);
	/* a tried candidate does not count toward the wait */
	{
		bool tried[3] = { true, false, false };
		CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, tried, &idx, &w), -EAGAIN);
		CHECK(w >= 1798 && w <= 1801);
	}
	/* statuses without a cooldown record nothing */
	CHECK_INT(report(sd, "m", 3, 400, -1, false), 0);
	CHECK_INT(report(sd, "m", 3, 422, -1, false), 0);
	CHECK(entry(sd, "cred-d", NULL) == NULL);
	CHECK_INT(rr_pick(&cfg, sd, "m", tg, 4, NULL, &idx, &w), 0);
	CHECK_INT(idx, 3);
	/* a short 500 does not shorten a running long cooldown */
	CHECK_INT(report(sd, "m", 1, 500, -1, false), 0);
	e = entry(sd, "cred-a", NULL);
	CHECK(e && strcmp(e->reason, "unauthorized") == 0 && e->until >= now + 1800);
	/* transport error */
	CHECK_INT(report(sd, "m", 3, 0, -1, false), 0);
	e = entry(sd, "cred-d", NULL);
	CHECK(e && e->until >= now + 60 && e->until <= now + 62);
	end();
}

static void test_backoff(void)
{
	const struct rr_cooldown *e;
	const char *sd;
	int64_t now;
	int k;

	begin();
	sd = state();
	now = (int64_t)time(NULL);
	for (k = 1; k <= 4; k++) {
		CHECK_INT(report(sd, "m", 0, 429, -1, true), 0);
		e = entry(sd, "cred-c", "m");
		CHECK(e != NULL);
		if (!e)
			break;
		CHECK_INT(e->level, k);
		CHECK_STR(e->reason, "rate_limited");
		/* 1, 2, 4, 8 s (time may tick during the test) */
		CHECK(e->until >= now + (1 << (k - 1)) && e->until <= now + (1 << (k - 1)) + 2);
	}
	CHECK(entry(sd, "cred-c", NULL) == NULL); /* model-scoped only */
	/* success resets level and cooldown */
	CHECK_INT(report(sd, "m", 0, 200, -1, false), 0);
	CHECK(entry(sd, "cred-c", "m") == NULL);
	CHECK_INT(report(sd, "m", 0, 429, -1, true), 0);
	e = entry(sd, "cred-c", "m");
	CHECK(e && e->level == 1 && e->until <= now + 3);
	end();

	/* the cap: 30 min, even after many 429s (level in the file) */
	begin();
	sd = state();
	now = (int64_t)time(NULL);
	write_file(sd, "cooldown.json",
		   "{\"cred-c\":{\"until\":1,\"reason\":\"rate_limited\",\"level\":25}}");
	CHECK_INT(report(sd, "m", 0, 429, -1, false), 0);
	e = entry(sd, "cred-c", NULL);
	CHECK(e && e->level == 26 && e->until >= now + 1800 && e->until <= now + 1802);
	/* an expired credential-wide level goes on success; the file stays valid */
	write_file(sd, "cooldown.json",
		   "{\"cred-c\":{\"until\":1,\"reason\":\"rate_limited\",\"level\":3}}");
	CHECK_INT(report(sd, "m", 0, 200, -1, false), 0);
	CHECK(entry(sd, "cred-c", NULL) == NULL);
	end();
}

static void test_clamp(void)
{
	const struct rr_cooldown *e;
	const char *sd;
	int64_t now, h;
	size_t idx;
	int64_t w;

	begin();
	sd = state();
	now = (int64_t)time(NULL);
	h = rr_parse_retry_after("1555200", now); /* 18 days */
	CHECK_INT(h, 1555200);
	CHECK_INT(report(sd, "m", 0, 429, h, false), 0);
	e = entry(sd, "cred-c", NULL);
	CHECK(e && e->until <= now + RR_MAX_COOLDOWN_S + 1 && e->until >= now + RR_MAX_COOLDOWN_S);
	CHECK(e && strcmp(e->reason, "quota_exceeded") == 0);
	CHECK_INT(rr_pick(&cfg, sd, "m", tg, 1, NULL, &idx, &w), -EAGAIN);
	CHECK(w <= RR_MAX_COOLDOWN_S && w >= RR_MAX_COOLDOWN_S - 2);
	/* 404 is 12 h in the table, clamped too; and model-scoped */
	CHECK_INT(report(sd, "m", 1, 404, -1, false), 0);
	e = entry(sd, "cred-a", "m");
	CHECK(e && e->until <= now + RR_MAX_COOLDOWN_S + 1 && strcmp(e->reason, "not_found") == 0);
	CHECK(entry(sd, "cred-a", NULL) == NULL);
	/* a state file written with an absurd until is pulled in on read */
	write_file(sd, "cooldown.json",
		   "{\"cred-b\":{\"until\":99999999999,\"reason\":\"x\",\"level\":0}}");
	CHECK_INT(rr_pick(&cfg, sd, "m", &tg[2], 1, NULL, &idx, &w), -EAGAIN);
	CHECK(w <= RR_MAX_COOLDOWN_S);
	end();
}

static void test_scope(void)
{
	const char *sd;
	size_t idx;
	int64_t w;

	begin();
	sd = state();
	/* model-scoped: other models still served by the credential */
	CHECK_INT(report(sd, "x", 0, 429, 300, true), 0);
	CHECK_INT(rr_pick(&cfg, sd, "x", tg, 1, NULL, &idx, &w), -EAGAIN);
	CHECK(w >= 298 && w <= 300);
	CHECK_INT(rr_pick(&cfg, sd, "x(high)", tg, 1, NULL, &idx, &w), -EAGAIN);
	CHECK_INT(rr_pick(&cfg, sd, "y", tg, 1, NULL, &idx, &w), 0);
	CHECK_INT(idx, 0);
	/* credential-wide (quota exhausted): every model blocked */
	CHECK_INT(report(sd, "x", 1, 429, 600, false), 0);
	CHECK_INT(rr_pick(&cfg, sd, "y", &tg[1], 1, NULL, &idx, &w), -EAGAIN);
	CHECK(w >= 598 && w <= 600);
	CHECK_INT(rr_pick(&cfg, sd, "z", &tg[1], 1, NULL, &idx, &w), -EAGAIN);
	/* success on another model leaves the credential-wide cooldown */
	CHECK_INT(report(sd, "y", 1, 200, -1, false), 0);
	CHECK(entry(sd, "cred-a", NULL) != NULL);
	/* success on x clears only x for cred-c */
	CHECK_INT(report(sd, "x", 0, 200, -1, false), 0);
	CHECK_INT(rr_pick(&cfg, sd, "x", tg, 1, NULL, &idx, &w), 0);
	end();
}

static void test_disable_cooling(void)
{
	const char *sd;
	size_t idx;
	int64_t w;

	begin();
	sd = state();
	CHECK_INT(report(sd, "m", 0, 429, 300, false), 0);
	cfg.disable_cooling = true;
	/* nothing blocked, nothing recorded */
	CHECK_INT(rr_pick(&cfg, sd, "m", tg, 1, NULL, &idx, &w), 0);
	CHECK_INT(report(sd, "m", 1, 429, 300, false), 0);
	CHECK(entry(sd, "cred-a", NULL) == NULL);
	cfg.disable_cooling = false;
	CHECK_INT(rr_pick(&cfg, sd, "m", tg, 1, NULL, &idx, &w), -EAGAIN);
	end();
}

static bool file_parses(const char *sd, const char *name)
{
	char *p;
	size_t n;
	struct json j;

	if (fs_read_file(&A, arena_printf(&A, "%s/%s", sd, name), 1 << 20, &p, &n) < 0)
		return false;
	return json_parse(&j, &A, p, n) == 0 && json_kind(&j, 0) == JSON_OBJECT;
}

static void test_corrupt_state(void)
{
	static const char *const bad[] = {
		"", "{", "not json", "[1,2,3]", "{\"cursors\":[1]}", "{\"cursors\":{\"m\":-5}}",
		"{\"cursors\":{\"m\":\"x\"}}", "\xff\xfe", "{\"cred-c\":5}", "{\"cred-c\":{\"until\":\"x\"}}",
		"{\"cred-c\":{\"until\":1e99}}", "{\"cred-c\":{\"models\":[]}}",
		"{\"cred-c\":{\"until\":-9223372036854775808,\"level\":99999}}",
	};
	const struct rr_cooldown *e;
	const char *sd;
	size_t i, idx;
	int64_t w;

	begin();
	sd = state();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(sd, "rr.json", bad[i]);
		write_file(sd, "cooldown.json", bad[i]);
		CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w), 0);
		CHECK(idx < 3);
		CHECK(file_parses(sd, "rr.json"));
		CHECK_INT(report(sd, "m", 0, 200, -1, false), 0); /* rewrites */
		CHECK(file_parses(sd, "cooldown.json"));
		write_file(sd, "cooldown.json", bad[i]);
		CHECK_INT(report(sd, "m", 0, 503, -1, false), 0);
		CHECK(file_parses(sd, "cooldown.json"));
		e = entry(sd, "cred-c", NULL);
		CHECK(e && strcmp(e->reason, "unavailable") == 0);
	}
	/* a state file that is a directory: picks still work */
	unlink(arena_printf(&A, "%s/rr.json", sd));
	mkdir(arena_printf(&A, "%s/rr.json", sd), 0700);
	CHECK_INT(rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w), 0);
	end();
}

static void test_prune(void)
{
	const char *sd;
	char *p;
	size_t n;

	begin();
	sd = state();
	write_file(sd, "cooldown.json",
		   "{\"old\":{\"until\":5,\"reason\":\"unavailable\",\"level\":0},"
		   "\"old-level\":{\"until\":5,\"reason\":\"rate_limited\",\"level\":2},"
		   "\"dup\":{\"until\":5},\"dup\":{\"until\":6}}");
	CHECK_INT(report(sd, "m", 0, 500, -1, false), 0);
	CHECK_INT(fs_read_file(&A, arena_printf(&A, "%s/cooldown.json", sd), 1 << 20, &p, &n), 0);
	CHECK(strstr(p, "\"old\"") == NULL);
	CHECK(strstr(p, "old-level") == NULL); /* level kept at most an hour */
	CHECK(strstr(p, "cred-c") != NULL);
	end();
}

static void test_retry_after(void)
{
	/* Sun, 06 Nov 1994 08:49:37 GMT == 784111777 */
	CHECK_INT(rr_parse_retry_after("120", 0), 120);
	CHECK_INT(rr_parse_retry_after(" 7 ", 0), 7);
	CHECK_INT(rr_parse_retry_after("0", 0), 0);
	CHECK_INT(rr_parse_retry_after("", 0), -1);
	CHECK_INT(rr_parse_retry_after("  ", 0), -1);
	CHECK_INT(rr_parse_retry_after(NULL, 0), -1);
	CHECK_INT(rr_parse_retry_after("-5", 0), -1);
	CHECK_INT(rr_parse_retry_after("5s", 0), -1);
	CHECK_INT(rr_parse_retry_after("1.5", 0), -1);
	CHECK(rr_parse_retry_after("99999999999999999999999", 0) > RR_MAX_COOLDOWN_S);
	CHECK_INT(rr_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 90), 90);
	CHECK_INT(rr_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 90), 0);
	CHECK_INT(rr_parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", -10), 10);
	CHECK_INT(rr_parse_retry_after("Wed, 29 Feb 2024 00:00:00 GMT", 1709164800 - 1), 1);
	CHECK_INT(rr_parse_retry_after("Thu, 29 Feb 2023 00:00:00 GMT", 0), -1);
	CHECK_INT(rr_parse_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", 0), -1);
	CHECK_INT(rr_parse_retry_after("Sun, 32 Nov 1994 08:49:37 GMT", 0), -1);
	CHECK_INT(rr_parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", 0), -1);
	CHECK_INT(rr_parse_retry_after("Sun, 06 Nov 1994 24:49:37 GMT", 0), -1);
	CHECK_INT(rr_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", 0), -1);
}

static int64_t hint(const char *body, int64_t now)
{
	return rr_hint_from_body(body, strlen(body), now);
}

static void test_body_hints(void)
{
	CHECK_INT(hint("{\"error\":{\"code\":429,\"details\":[{\"@type\":"
		       "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"37s\"}]}}", 0),
		  37);
	CHECK_INT(hint("{\"error\":{\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\","
		       "\"metadata\":{\"quotaResetDelay\":\"1h2m3.5s\"}},{\"@type\":"
		       "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"3.5s\"}]}}", 0),
		  4); /* RetryInfo first */
	CHECK_INT(hint("[{\"error\":{\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\","
		       "\"metadata\":{\"quotaResetDelay\":\"1h2m3.5s\"}}]}}]", 0),
		  3724);
	CHECK_INT(hint("{\"error\":{\"details\":[{\"metadata\":{\"quotaResetDelay\":\"373.8ms\"}}]}}", 0), 1);
	CHECK_INT(hint("{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota. "
		       "Please retry in 12.3s.\"}}", 0),
		  13);
	CHECK_INT(hint("{\"error\":{\"message\":\"Resource exhausted, retry after 30s\"}}", 0), 30);
	CHECK_INT(hint("{\"error\":{\"message\":\"Rate limit reached. Please try again in 20 seconds.\"}}", 0),
		  20);
	CHECK_INT(hint("{\"error\":{\"message\":\"limit in 2 regions after 2025\"}}", 0), -1);
	CHECK_INT(hint("{\"error\":{\"type\":\"usage_limit_reached\",\"resets_in_seconds\":1234}}", 0), 1234);
	CHECK_INT(hint("{\"error\":{\"type\":\"usage_limit_reached\",\"resets_at\":1700000300}}",
		       1700000000),
		  300);
	CHECK_INT(hint("{\"error\":{\"type\":\"usage_limit_reached\",\"resets_at\":1699999000}}",
		       1700000000),
		  0);
	CHECK_INT(hint("upstream says: retry after 5 minutes", 0), 300);
	CHECK_INT(hint("{\"error\":{\"message\":\"nothing here\"}}", 0), -1);
	CHECK_INT(hint("{\"error\":{\"details\":[{\"@type\":\"RetryInfo\",\"retryDelay\":\"soon\"}]}}", 0), -1);
	CHECK_INT(hint("{\"error\":{\"details\":[{\"@type\":\"RetryInfo\",\"retryDelay\":\"3s later\"}]}}", 0), -1);
	CHECK_INT(hint("{\"error\":\"x\"}", 0), -1);
	CHECK_INT(hint("", 0), -1);
	CHECK_INT(hint("garbage \xff\xfe", 0), -1);
	CHECK_INT(rr_hint_from_body(NULL, 0, 0), -1);
	/* an 18-day hint is reported as is; rr_report clamps it */
	CHECK_INT(hint("{\"error\":{\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
		       "\"retryDelay\":\"1555200s\"}]}}", 0),
		  1555200);
}

/* 30 processes x 10 picks over 3 candidates on one state dir. */
static void test_cross_process(void)
{
	enum { NPROC = 30, NPICK = 10 };
	int count[3] = { 0, 0, 0 }, fds[2], i, status, bad = 0;
	unsigned char buf[NPROC * NPICK];
	size_t got = 0;
	const char *sd;
	pid_t pids[NPROC];

	begin();
	sd = state();
	if (pipe(fds) < 0)
		abort();
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			abort();
		if (pids[i] == 0) {
			unsigned char mine[NPICK];
			size_t idx;
			int64_t w;
			int k;

			close(fds[0]);
			for (k = 0; k < NPICK; k++) {
				if (rr_pick(&cfg, sd, "m", tg, 3, NULL, &idx, &w) != 0)
					idx = 9;
				mine[k] = (unsigned char)idx;
			}
			/* < PIPE_BUF: one atomic write */
			_exit(write(fds[1], mine, sizeof(mine)) == (ssize_t)sizeof(mine) ? 0 : 1);
		}
	}
	close(fds[1]);
	while (got < sizeof(buf)) {
		ssize_t r = read(fds[0], buf + got, sizeof(buf) - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fds[0]);
	for (i = 0; i < NPROC; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(got, sizeof(buf));
	for (i = 0; i < (int)got; i++) {
		if (buf[i] < 3)
			count[buf[i]]++;
	}
	CHECK_INT(count[0], 100);
	CHECK_INT(count[1], 100);
	CHECK_INT(count[2], 100);
	end();
}

int main(void)
{
	RUN(test_state_dir);
	RUN(test_fair_rotation);
	RUN(test_tried);
	RUN(test_priority);
	RUN(test_fill_first);
	RUN(test_cooldown_and_wait);
	RUN(test_backoff);
	RUN(test_clamp);
	RUN(test_scope);
	RUN(test_disable_cooling);
	RUN(test_corrupt_state);
	RUN(test_prune);
	RUN(test_retry_after);
	RUN(test_body_hints);
	RUN(test_cross_process);
	return CHECK_DONE();
}
