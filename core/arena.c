/*
 * arena.c - chunked bump allocator with a hard cap.  Chunks double in size
 * (64 KiB at first) and are never freed one by one; a request that needs a
 * big block (an inline image) gets a chunk of its own size.  Secret arenas
 * wipe their chunks before giving them back.
 */
#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_FIRST_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *prev;
	size_t size; /* usable bytes in data[] */
	size_t used;
	_Alignas(16) unsigned char data[];
};

#ifdef CLIPROXY_TEST_HOOKS
/* Allocation torture: CLIPROXY_FAIL_ALLOC=n fails the nth allocation of the
   process.  Test builds only; read once. */
static long fail_countdown = -2;
static int torture_fail(void)
{
	if (fail_countdown == -2) {
		const char *s = getenv("CLIPROXY_FAIL_ALLOC");
		fail_countdown = -1;
		if (s && *s) {
			char *end;
			long v = strtol(s, &end, 10); /* lint-ok: test hook, not untrusted input */
			if (*end == 0 && v > 0)
				fail_countdown = v;
		}
	}
	if (fail_countdown > 0 && --fail_countdown == 0)
		return 1;
	return 0;
}
#else
static int torture_fail(void) { return 0; }
#endif

static void arena_init_common(struct arena *a, size_t cap, int wipe)
{
	memset(a, 0, sizeof(*a));
	a->cap = cap;
	a->wipe = wipe;
}

void arena_init(struct arena *a, size_t cap) { arena_init_common(a, cap, 0); }
void arena_init_secret(struct arena *a, size_t cap) { arena_init_common(a, cap, 1); }

void arena_release(struct arena *a)
{
	struct arena_chunk *c, *prev;

	if (!a)
		return;
	for (c = a->head; c; c = prev) {
		prev = c->prev;
		if (a->wipe)
			explicit_bzero(c->data, c->size);
		free(c);
	}
	a->head = NULL;
	a->used = a->reserved = 0;
}

static size_t align_up(size_t n) { return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1); }

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need = align_up(n ? n : 1);
	void *p;

	if (need < n || torture_fail())
		return NULL;
	if (!c || c->size - c->used < need) {
		size_t size = c ? c->size * 2 : ARENA_FIRST_CHUNK;
		if (size < need)
			size = need;
		if (a->reserved + size > a->cap) {
			if (a->reserved + need > a->cap)
				return NULL;
			size = a->cap - a->reserved;
		}
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->prev = a->head;
		c->size = size;
		c->used = 0;
		a->head = c;
		a->reserved += size;
	}
	p = c->data + c->used;
	c->used += need;
	a->used += need;
	return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *arena_realloc(struct arena *a, void *old, size_t oldn, size_t n)
{
	struct arena_chunk *c = a->head;
	void *p;

	if (!old)
		return arena_alloc(a, n);
	if (n <= oldn)
		return old;
	/* The last allocation of the current chunk can grow in place. */
	if (c && (unsigned char *)old + align_up(oldn) == c->data + c->used) {
		size_t more = align_up(n) - align_up(oldn);
		if (align_up(n) >= n && c->size - c->used >= more && !torture_fail()) {
			c->used += more;
			a->used += more;
			return old;
		}
	}
	p = arena_alloc(a, n);
	if (p)
		memcpy(p, old, oldn);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(struct arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

void *arena_memdup(struct arena *a, const void *p, size_t n)
{
	void *q = arena_alloc(a, n);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}
