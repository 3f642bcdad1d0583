/*
 * fuzz-oauth_callback.c - libFuzzer harness for what a login reads from
 * outside: the browser's callback request (oauth_callback_parse, re-run on
 * the growing buffer as the listener does) and a pasted line.  Checks: only
 * documented results, every prefix asks for more or gives the final answer
 * (same fields), strings terminated, deterministic; over the cap: E2BIG.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/oauth.h"
#include "core/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-oauth_callback: %s\n", what);
		abort();
	}
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_str(const char *s)
{
	if (s)
		must(strlen(s) < (size_t)1 << 20, "string not terminated");
}

static void check_cb(const struct oauth_cb *cb)
{
	check_str(cb->code);
	check_str(cb->state);
	check_str(cb->error);
	check_str(cb->error_description);
	must(!cb->code || *cb->code, "empty code reported");
	must(!cb->state || *cb->state, "empty state reported");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct arena a;
	struct oauth_cb whole, part, again;
	int r, r2, rp;

	arena_init(&a, (size_t)256 << 20);

	/* The callback request, whole. */
	memset(&whole, 0, sizeof(whole));
	r = oauth_callback_parse(p, size, "/auth/callback", &a, &whole);
	must(r == 0 || r == -ENOENT || r == -EAGAIN || r == -EBADMSG || r == -E2BIG,
	     "unexpected callback result");
	must(size <= OAUTH_CALLBACK_MAX || r == -E2BIG, "over the cap but not E2BIG");
	if (r == 0)
		check_cb(&whole);
	r2 = oauth_callback_parse(p, size, "/auth/callback", &a, &again);
	must(r2 == r, "not deterministic");
	if (r == 0)
		must(same(whole.code, again.code) && same(whole.state, again.state) &&
			     same(whole.error, again.error),
		     "not deterministic (fields)");

	/* Prefixes, as the listener sees the bytes arrive: more, or the end. */
	if (size <= 4096) {
		for (size_t n = 0; n < size; n += 1 + n / 16) {
			memset(&part, 0, sizeof(part));
			rp = oauth_callback_parse(p, n, "/auth/callback", &a, &part);
			if (rp == -EAGAIN)
				continue;
			must(rp == r, "a prefix answers differently from the whole");
			if (rp == 0)
				must(same(part.code, whole.code) && same(part.state, whole.state) &&
					     same(part.error, whole.error),
				     "a prefix found other fields");
		}
	}

	/* The same bytes pasted as a line. */
	memset(&part, 0, sizeof(part));
	rp = oauth_paste_parse(p, size, &a, &part);
	must(rp == 0 || rp == -ENODATA || rp == -EINVAL, "unexpected paste result");
	if (rp == 0) {
		check_cb(&part);
		must(part.code || part.error, "paste accepted without code or error");
	}
	arena_release(&a);
	return 0;
}
