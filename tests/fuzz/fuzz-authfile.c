/*
 * fuzz-authfile.c - libFuzzer harness for auth/store.c's credential-file
 * parser and auth/store_write.c's merge.  The input is parsed as a file
 * with and without a secrets arena (both must agree on everything that is
 * not a secret); when it is a credential, a merge touching every kind of
 * member must produce a text that parses again with the update applied and
 * every untouched member kept.  Also fed to auth_time_parse and
 * auth_printable.  Asserts: no crash, the invariants of store.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/store.h"
#include "core/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz-authfile: %s:%d: %s\n", __FILE__,   \
				__LINE__, #c);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void invariants(const struct auth_file *f)
{
	ASSERT(f->path && f->name && f->type && *f->type && f->label && *f->label);
	ASSERT(f->kind == auth_kind_from_type(f->type));
	ASSERT(f->expiry >= 0 && f->last_refresh >= 0);
	for (size_t i = 0; i < f->nprojects; i++)
		ASSERT(f->projects[i] && *f->projects[i] && !strchr(f->projects[i], ','));
	for (size_t i = 0; i < f->headers.n; i++)
		ASSERT(f->headers.v[i].key && f->headers.v[i].value &&
		       !strpbrk(f->headers.v[i].value, "\r\n"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a, s;
	struct auth_file f, g, h;
	struct auth_update u;
	struct auth_member extra[] = { { "zz_new", "[1,{\"x\":null}]" }, { "note", NULL } };
	const char *text = (const char *)data;
	char *out;
	size_t n;
	int64_t t;
	int r, r2;

	arena_init(&a, 256L * 1024 * 1024);
	arena_init_secret(&s, 64L * 1024 * 1024);
	if (auth_time_parse(text, size, &t) == 0) {
		char *back = auth_time_format(&a, t);
		int64_t t2;
		if (back && t > -62135596800LL && t < 253402300800LL) {
			ASSERT(auth_time_parse(back, strlen(back), &t2) == 0);
			ASSERT(t2 == t);
		}
	}
	{
		char *z = arena_strndup(&a, text, size);
		char *p = z ? auth_printable(&a, z, 100) : NULL;
		if (p) {
			ASSERT(strlen(p) <= 103);
			for (const char *q = p; *q; q++)
				ASSERT((unsigned char)*q >= 0x20 && *q != 0x7f);
		}
	}

	r = auth_parse(&f, "/d/fuzz.json", text, size, &a, &s);
	r2 = auth_parse(&g, "/d/fuzz.json", text, size, &a, NULL);
	ASSERT(r == r2 || r == -ENOMEM || r2 == -ENOMEM);
	ASSERT(r <= 0);
	if (r == 0 && r2 == 0) {
		invariants(&f);
		ASSERT(!g.access_token && !g.refresh_token && !g.id_token && !g.json && !g.client_secret);
		ASSERT(same(f.type, g.type) && same(f.label, g.label) && f.expiry == g.expiry &&
		       f.disabled == g.disabled && f.nprojects == g.nprojects &&
		       same(f.account_id, g.account_id) && f.priority == g.priority);
		ASSERT(f.json && f.json_len == size);

		memset(&u, 0, sizeof(u));
		u.access_token = "at-\"fuzz\"\n";
		u.refresh_token = "rt-fuzz";
		u.id_token = "id.fuzz.x";
		u.expiry = 1735787045;
		u.last_refresh = 1735787000;
		u.email = "fuzz@example.com";
		u.account_id = "acct-fuzz";
		u.disabled = (size & 1) ? AUTH_SET : AUTH_CLEAR;
		u.disabled_reason = "fuzz";
		u.refresh_state = (size & 2) ? AUTH_SET : AUTH_CLEAR;
		u.refresh_retry_at = 1735787100;
		u.refresh_failures = 3;
		u.refresh_error = "HTTP 503";
		u.extra = extra;
		u.nextra = 2;
		r = auth_merge(&f, &u, &s, &out, &n);
		ASSERT(r == 0 || r == -E2BIG || r == -ENOMEM || r == -EINVAL);
		if (r == 0) {
			r = auth_parse(&h, "/d/fuzz.json", out, n, &a, &s);
			ASSERT(r == 0 || r == -E2BIG || r == -ENOMEM);
			if (r == 0) {
				invariants(&h);
				ASSERT(same(h.type, f.type));
				ASSERT(same(h.access_token, "at-\"fuzz\"\n"));
				ASSERT(same(h.refresh_token, "rt-fuzz"));
				ASSERT(h.expiry == 1735787045);
				ASSERT(same(h.email, "fuzz@example.com"));
				ASSERT(h.disabled == ((size & 1) != 0));
				ASSERT(h.refresh_failures == ((size & 2) ? 3 : 0));
				ASSERT(!h.note);
				ASSERT(h.priority == f.priority && h.nprojects == f.nprojects);
			}
		}
	}
	arena_release(&s);
	arena_release(&a);
	return 0;
}
