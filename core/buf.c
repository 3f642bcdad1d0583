/*
 * buf.c - bounded growable buffer in an arena.  Growth doubles (the arena
 * grows the last allocation in place when it can); the ceiling fixed at
 * buf_init is never exceeded: -E2BIG instead.  Always NUL-terminated.
 */
#include "core/buf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"

void buf_init(struct buf *b, struct arena *a, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->a = a;
	b->max = max;
	b->p = (char *)"";
}

static int buf_fail(struct buf *b, int err)
{
	if (!b->err)
		b->err = err;
	return err;
}

int buf_reserve(struct buf *b, size_t extra)
{
	size_t want, ncap;
	char *np;

	if (extra > b->max || b->len > b->max - extra)
		return buf_fail(b, -E2BIG);
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	np = arena_realloc(b->a, b->cap ? b->p : NULL, b->cap, ncap);
	if (!np)
		return buf_fail(b, -ENOMEM);
	if (!b->cap)
		np[0] = 0;
	b->p = np;
	b->cap = ncap;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);
	if (r < 0)
		return r;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int buf_adds(struct buf *b, const char *s) { return buf_add(b, s, strlen(s)); }
int buf_addc(struct buf *b, char c) { return buf_add(b, &c, 1); }

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, r;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return buf_fail(b, -EINVAL);
	r = buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->cap)
		b->p[0] = 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = 0;
}
