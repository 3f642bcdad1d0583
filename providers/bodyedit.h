/*
 * bodyedit.h - byte-preserving edits of a parsed JSON document, for the
 * providers' fix_body: values replaced, object members dropped or added,
 * every other byte (key order, whitespace, unknown fields) copied as
 * received.  Edits are collected first and written once:
 *
 *     struct bedit ed;
 *     bedit_init(&ed, &j, a);
 *     bedit_set(&ed, json_get(&j, 0, "stream"), "true", 4);
 *     bedit_members(&ed, 0, drop, add, nadd);   (one call per object)
 *     r = bedit_write(&ed, out);
 *
 * Invariants: edits may not overlap (a value replaced inside a member that
 * is dropped is refused by bedit_write with -EINVAL); bedit_members is
 * called at most once per object.  Errors are sticky in ed->err.
 */
#ifndef CLIPROXY_BODYEDIT_H
#define CLIPROXY_BODYEDIT_H

#include <stdbool.h>
#include <stddef.h>

struct apierr;
struct arena;
struct buf;
struct json;

struct bedit_splice {
	size_t off, len;  /* bytes of the source replaced (len 0: insertion) */
	const char *text; /* what goes there */
	size_t tlen;
};

struct bedit {
	const struct json *j;
	struct arena *a;
	struct bedit_splice *v;
	size_t n, cap;
	int err; /* first -ENOMEM / -EINVAL */
};

void bedit_init(struct bedit *ed, const struct json *j, struct arena *a);
/* Replace value token i (any kind; strings with their quotes) by text,
   which must be valid JSON.  i < 0 is ignored. */
void bedit_set(struct bedit *ed, int i, const char *text, size_t n);
/* In object obj: drop the k-th member when drop[k] (drop may be NULL: none)
   and append add[0..nadd), each a ready member text "\"key\":value", after
   the last member kept.  Commas are taken care of. */
void bedit_members(struct bedit *ed, int obj, const bool *drop, const char *const *add,
		   size_t nadd);
/* Parse body for a fix_body: 0, or -EINVAL (not valid JSON or not an
   object: 400), -E2BIG (413), -ENOMEM (500) with e filled. */
int bedit_parse(struct json *j, struct arena *a, const char *body, size_t n, struct apierr *e);
/* bedit_write with the error turned into e (413 for -E2BIG, else 500). */
int bedit_finish(struct bedit *ed, struct buf *out, struct apierr *e);
/* True if any edit was recorded. */
bool bedit_changed(const struct bedit *ed);
/* Write the edited document to out.  0, or -EINVAL (overlapping edits),
   -ENOMEM, -E2BIG (out's ceiling). */
int bedit_write(struct bedit *ed, struct buf *out);

#endif
