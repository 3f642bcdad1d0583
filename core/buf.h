/*
 * buf.h - growable byte buffer living in an arena, with a ceiling fixed at
 * init.  Contents are always NUL-terminated (p[len] == 0) so they can be
 * handed to string functions; len excludes the NUL.  Every add returns 0 or
 * -E2BIG (ceiling) / -ENOMEM (arena exhausted); after an error the buffer
 * keeps its old contents and b->err remembers the first error, so a writer may
 * append many pieces and check once at the end.
 */
#ifndef CLIPROXY_BUF_H
#define CLIPROXY_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
	struct arena *a;
	int err; /* first error of any add, 0 if none */
};

void buf_init(struct buf *b, struct arena *a, size_t max);
int buf_reserve(struct buf *b, size_t extra); /* room for extra more bytes */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b); /* len = 0, keeps memory, clears err */
/* Drop the first n bytes (consumed input), moving the rest down. */
void buf_consume(struct buf *b, size_t n);

#endif
