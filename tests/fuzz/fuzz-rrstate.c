/*
 * fuzz-rrstate.c - libFuzzer harness for auth/rr.c's state files.  The input
 * (split at its first NUL: rr.json before, cooldown.json after; no NUL: both
 * get all of it) becomes the state, then rr_pick / rr_report / rr_cooldowns
 * run on it.  Asserts: no crash, picks in range, a positive wait, rewritten
 * files parse as JSON objects, no cooldown past RR_MAX_COOLDOWN_S.  The input
 * is also fed to rr_hint_from_body and rr_parse_retry_after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "providers/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz-rrstate: %s:%d: %s\n", __FILE__,    \
				__LINE__, #c);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

static char dir[128];
static char rr_path[160], cd_path[160];

static void cleanup(void)
{
	static const char *const names[] = { "rr.json", "cooldown.json", "rr.lock", "cooldown.lock" };
	char p[200];
	size_t i;

	if (!dir[0])
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* tmpfs when there is one: the product fsyncs every state write */
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(dir, sizeof(dir), "%s/fuzz-rrstate.XXXXXX", base);
	if (!mkdtemp(dir))
		abort();
	snprintf(rr_path, sizeof(rr_path), "%s/rr.json", dir);
	snprintf(cd_path, sizeof(cd_path), "%s/cooldown.json", dir);
	atexit(cleanup);
	return 0;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ASSERT(fd >= 0);
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		ASSERT(w > 0);
		p += w;
		n -= (size_t)w;
	}
	close(fd);
}

/* The file parses as a JSON object, or is still exactly what we wrote. */
static void check_file(const char *path, const uint8_t *orig, size_t orig_n)
{
	struct arena a;
	struct json j;
	char *p;
	size_t n;

	arena_init(&a, 64L * 1024 * 1024);
	if (fs_read_file(&a, path, 1024 * 1024, &p, &n) == 0) {
		int r = json_parse(&j, &a, p, n);
		bool ok = r == 0 && json_kind(&j, 0) == JSON_OBJECT;
		bool same = n == orig_n && (!n || memcmp(p, orig, n) == 0);
		if (!ok && !same)
			fprintf(stderr, "fuzz-rrstate: %s does not parse: %.*s\n", path,
				(int)(n > 200 ? 200 : n), p);
		ASSERT(ok || same);
	}
	arena_release(&a);
}

static void check_cooldowns(int64_t now)
{
	struct rr_cooldown *v;
	struct arena a;
	size_t n, i;

	arena_init(&a, 64L * 1024 * 1024);
	if (rr_cooldowns(dir, &a, &v, &n) == 0) {
		for (i = 0; i < n; i++) {
			ASSERT(v[i].cred_id && v[i].reason);
			ASSERT(v[i].until <= now + RR_MAX_COOLDOWN_S + 2);
			ASSERT(v[i].level >= 0);
		}
	}
	arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ids[] = { "claude-0123456789ab", "gemini-0123456789ab", "x" };
	static const struct {
		int status;
		int64_t hint;
		bool scoped;
	} outs[] = {
		{ 200, -1, false }, { 429, -1, true }, { 429, 1555200, false }, { 404, -1, false },
		{ 500, -1, false }, { 0, -1, true },   { 401, -1, false },      { 429, -1, false },
	};
	const uint8_t *nul = memchr(data, 0, size), *rr_in, *cd_in;
	size_t rr_n, cd_n;
	struct credential cr[3];
	struct target tg[3];
	struct config cfg;
	bool tried[3] = { false, false, false };
	char model[65], *text;
	size_t i, idx, mn;
	int64_t now, w, h;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	memset(cr, 0, sizeof(cr));
	for (i = 0; i < 3; i++) {
		cr[i].id = ids[i];
		cr[i].priority = size > i ? data[i] % 2 : 0;
		tg[i].cred = &cr[i];
		tg[i].upstream_model = "m";
	}
	/* The model: the input's first line, up to 64 bytes (any bytes). */
	for (mn = 0; mn < size && mn < 64 && data[mn] != '\n' && data[mn] != 0; mn++)
		model[mn] = (char)data[mn];
	model[mn] = 0;

	rr_in = data;
	rr_n = nul ? (size_t)(nul - data) : size;
	cd_in = nul ? nul + 1 : data;
	cd_n = nul ? size - rr_n - 1 : size;
	put(rr_path, rr_in, rr_n);
	put(cd_path, cd_in, cd_n);

	now = (int64_t)time(NULL);
	cfg.routing.strategy = size && (data[0] & 4) ? "fill-first" : "round-robin";
	check_cooldowns(now);
	r = rr_pick(&cfg, dir, model, tg, 3, tried, &idx, &w);
	ASSERT(r == 0 || r == -EAGAIN);
	if (r == 0)
		ASSERT(idx < 3);
	else
		ASSERT(w >= 1 && w <= RR_MAX_COOLDOWN_S + 1);
	check_file(rr_path, rr_in, rr_n);

	for (i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		struct rr_outcome o = { outs[i].status, outs[i].hint, outs[i].scoped };

		r = rr_report(&cfg, dir, i % 2 ? model : "m", &tg[i % 3], &o);
		ASSERT(r == 0);
		check_file(cd_path, cd_in, cd_n);
		r = rr_pick(&cfg, dir, model, tg, 3, tried, &idx, &w);
		ASSERT(r == 0 || r == -EAGAIN);
		if (r == 0) {
			ASSERT(idx < 3);
			tried[idx] = i == 3; /* once, to exercise tried[] */
		}
	}
	check_cooldowns(now);
	tried[0] = tried[1] = tried[2] = true;
	ASSERT(rr_pick(&cfg, dir, model, tg, 3, tried, &idx, &w) == -ENOENT);

	/* The same bytes as an upstream error body and a Retry-After value. */
	h = rr_hint_from_body((const char *)data, size, now);
	ASSERT(h >= -1);
	text = malloc(size + 1);
	ASSERT(text);
	memcpy(text, data, size);
	text[size] = 0;
	h = rr_parse_retry_after(text, now);
	ASSERT(h >= -1);
	free(text);
	return 0;
}
