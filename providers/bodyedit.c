/*
 * bodyedit.c - byte-preserving JSON edits (see bodyedit.h): a list of
 * splices over the source, sorted and applied in one pass.  Refuses
 * overlapping edits rather than guessing.  No limits of its own: the
 * output buffer's ceiling bounds the result.
 */
#include "providers/bodyedit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

void bedit_init(struct bedit *ed, const struct json *j, struct arena *a)
{
	memset(ed, 0, sizeof(*ed));
	ed->j = j;
	ed->a = a;
}

static void add_splice(struct bedit *ed, size_t off, size_t len, const char *text, size_t tlen)
{
	if (ed->err)
		return;
	if (ed->n == ed->cap) {
		size_t ncap = ed->cap ? ed->cap * 2 : 16;
		void *p = arena_realloc(ed->a, ed->v, ed->cap * sizeof(*ed->v), ncap * sizeof(*ed->v));
		if (!p) {
			ed->err = -ENOMEM;
			return;
		}
		ed->v = p;
		ed->cap = ncap;
	}
	ed->v[ed->n++] = (struct bedit_splice){ off, len, text, tlen };
}

/* Offsets of token i's text in the source: [*ret_start, *ret_end). */
static void span(const struct bedit *ed, int i, size_t *ret_start, size_t *ret_end)
{
	size_t len;
	const char *t = json_text(ed->j, i, &len);

	*ret_start = (size_t)(t - ed->j->src);
	*ret_end = *ret_start + len;
}

void bedit_set(struct bedit *ed, int i, const char *text, size_t n)
{
	size_t s, e;

	if (i < 0 || ed->err)
		return;
	span(ed, i, &s, &e);
	add_splice(ed, s, e - s, text, n);
}

void bedit_members(struct bedit *ed, int obj, const bool *drop, const char *const *add,
		   size_t nadd)
{
	int m = json_size(ed->j, obj), k, last_kept = -1, *keys;
	size_t s, e, s2, e2;

	if (ed->err || json_kind(ed->j, obj) != JSON_OBJECT)
		return;
	keys = m ? arena_alloc(ed->a, (size_t)m * sizeof(*keys)) : NULL;
	if (m && !keys) {
		ed->err = -ENOMEM;
		return;
	}
	k = 0;
	for (int key = json_first(ed->j, obj); key >= 0 && k < m; key = json_after(ed->j, key))
		keys[k++] = key;
	for (k = 0; k < m; k++)
		if (!drop || !drop[k])
			last_kept = k;
	/* Drops before the last kept member take their key up to the next
	   key (the comma goes with them); the run after it goes from the end
	   of the last kept value, taking the comma before it. */
	for (k = 0; k < last_kept; k++) {
		if (!drop || !drop[k])
			continue;
		span(ed, keys[k], &s, &e);
		span(ed, keys[k + 1], &s2, &e2);
		add_splice(ed, s, s2 - s, "", 0);
	}
	if (m && last_kept < m - 1) {
		size_t from;

		span(ed, keys[m - 1] + 1, &s2, &e2);
		if (last_kept >= 0)
			span(ed, keys[last_kept] + 1, &s, &from); /* after the kept value */
		else
			span(ed, keys[0], &from, &e); /* everything dropped */
		add_splice(ed, from, e2 - from, "", 0);
	}
	if (nadd) {
		struct buf b;
		size_t at;

		buf_init(&b, ed->a, (size_t)-1 / 2);
		for (size_t i = 0; i < nadd; i++) {
			if (i || last_kept >= 0)
				buf_addc(&b, ',');
			buf_adds(&b, add[i]);
		}
		if (b.err) {
			ed->err = b.err;
			return;
		}
		if (last_kept >= 0) {
			span(ed, keys[last_kept] + 1, &s, &at);
		} else {
			span(ed, obj, &s, &e);
			at = s + 1;
		}
		add_splice(ed, at, 0, b.p, b.len);
	}
}

bool bedit_changed(const struct bedit *ed)
{
	return ed->n > 0;
}

static int cmp_splice(const void *pa, const void *pb)
{
	const struct bedit_splice *a = pa, *b = pb;

	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

int bedit_write(struct bedit *ed, struct buf *out)
{
	size_t pos = 0;

	if (ed->err)
		return ed->err;
	if (ed->n > 1)
		qsort(ed->v, ed->n, sizeof(*ed->v), cmp_splice);
	for (size_t i = 0; i < ed->n; i++) {
		const struct bedit_splice *sp = &ed->v[i];

		if (sp->off < pos)
			return -EINVAL; /* overlaps the previous edit */
		buf_add(out, ed->j->src + pos, sp->off - pos);
		buf_add(out, sp->text, sp->tlen);
		pos = sp->off + sp->len;
	}
	buf_add(out, ed->j->src + pos, ed->j->len - pos);
	return out->err;
}

int bedit_parse(struct json *j, struct arena *a, const char *body, size_t n, struct apierr *e)
{
	int r = json_parse(j, a, body, n);

	if (r == -E2BIG)
		return apierr_set(e, r, 413, "request_too_large", "JSON body too large or too deep");
	if (r == -ENOMEM)
		return apierr_set(e, r, 500, "api_error", "out of memory");
	if (r < 0 || json_kind(j, 0) != JSON_OBJECT)
		return apierr_set(e, -EINVAL, 400, "invalid_request_error",
				  "request body is not a JSON object");
	return 0;
}

int bedit_finish(struct bedit *ed, struct buf *out, struct apierr *e)
{
	int r = bedit_write(ed, out);

	if (r == -E2BIG)
		return apierr_set(e, r, 413, "request_too_large", "request body too large");
	if (r < 0)
		return apierr_set(e, r, 500, "api_error",
				  r == -ENOMEM ? "out of memory" : "cannot edit the request body");
	return 0;
}
