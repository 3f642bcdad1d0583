/*
 * arena.h - per-process bump allocator.
 *
 * Memory comes in chunks (doubling, at least 64 KiB) up to a hard cap given
 * at init; nothing is freed one by one: arena_release() drops everything.
 * Allocation failure (cap reached or malloc failed) returns NULL; callers turn
 * that into -ENOMEM / -E2BIG.  Every pointer is aligned to 16 bytes.
 *
 * A test build (-DCLIPROXY_TEST) honours CLIPROXY_FAIL_ALLOC=n: the nth
 * allocation fails, for allocation torture.
 *
 * Secrets go in an arena created with arena_init_secret(): its chunks are
 * wiped with OPENSSL_cleanse-equivalent explicit_bzero on release.
 */
#ifndef CLIPROXY_ARENA_H
#define CLIPROXY_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* current chunk, linked to older ones */
	size_t used;              /* bytes handed out, all chunks */
	size_t reserved;          /* bytes malloc'ed, all chunks */
	size_t cap;               /* hard ceiling on reserved */
	int wipe;                 /* explicit_bzero chunks on release */
};

void arena_init(struct arena *a, size_t cap);
void arena_init_secret(struct arena *a, size_t cap);
void arena_release(struct arena *a);

void *arena_alloc(struct arena *a, size_t n);  /* uninitialised */
void *arena_zalloc(struct arena *a, size_t n); /* zeroed */
/* Grow the most recent allocation in place when possible, else copy. */
void *arena_realloc(struct arena *a, void *old, size_t oldn, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n); /* NUL-terminated */
char *arena_strdup(struct arena *a, const char *s);
void *arena_memdup(struct arena *a, const void *p, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
