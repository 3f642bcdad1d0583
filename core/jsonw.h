/*
 * jsonw.h - writing JSON into a struct buf.
 *
 * The writer tracks nesting and inserts commas itself; keys and values are
 * emitted in call order (stable: tests compare bytes).  Strings are escaped
 * fully (", \, control characters as \n \t \uXXXX; invalid UTF-8 replaced by
 * U+FFFD; U+2028/2029 escaped).  Errors (buffer ceiling, depth) are sticky in
 * w->err / the buf's err; check once at the end with jw_error().
 *
 *     struct jsonw w; jw_init(&w, &b);
 *     jw_obj(&w); jw_key(&w, "id"); jw_str(&w, "x", 1); jw_end(&w);
 */
#ifndef CLIPROXY_JSONW_H
#define CLIPROXY_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define JSONW_MAX_DEPTH 512

struct jsonw {
	struct buf *b;
	int depth;
	int err;
	unsigned char first[JSONW_MAX_DEPTH + 1]; /* no element written yet at this depth */
	unsigned char after_key;                  /* a key was just written */
};

void jw_init(struct jsonw *w, struct buf *b);
void jw_obj(struct jsonw *w);  /* { */
void jw_arr(struct jsonw *w);  /* [ */
void jw_end(struct jsonw *w);  /* } or ], whichever is open */
void jw_key(struct jsonw *w, const char *key);
void jw_keyn(struct jsonw *w, const char *key, size_t n);
void jw_str(struct jsonw *w, const char *s, size_t n);
void jw_cstr(struct jsonw *w, const char *s); /* NULL writes null */
void jw_int(struct jsonw *w, int64_t v);
void jw_double(struct jsonw *w, double v); /* shortest round-trip form; non-finite -> null */
void jw_bool(struct jsonw *w, bool v);
void jw_null(struct jsonw *w);
/* Already-valid JSON text (e.g. json_text() of a parsed value), copied as is. */
void jw_raw(struct jsonw *w, const char *json, size_t n);
/* Key + value shorthands. */
void jw_kstr(struct jsonw *w, const char *key, const char *s); /* NULL s: null */
void jw_kint(struct jsonw *w, const char *key, int64_t v);
void jw_kbool(struct jsonw *w, const char *key, bool v);
int jw_error(const struct jsonw *w); /* 0 or the first negative errno */

/* Escape s into b as a JSON string with quotes (used by jw_str). */
int json_escape(struct buf *b, const char *s, size_t n);

#endif
