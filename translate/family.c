/*
 * family.c - the registry of wire families (a const table) and the
 * translation context helpers: ids, tool-name renames.  The references
 * are strong on purpose: a weak one would not pull a family's object out
 * of the static archive.  Random ids use getrandom(2).
 */
#include "translate/family.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"

extern const struct family family_openai;
extern const struct family family_responses;
extern const struct family family_claude;
extern const struct family family_gemini;
extern const struct family family_gemini_cli;

static const struct family *const family_table[] = {
	&family_openai, &family_responses, &family_claude, &family_gemini,
	&family_gemini_cli,
};

#define NTABLE (sizeof(family_table) / sizeof(family_table[0]))

size_t family_count(void)
{
	size_t i, n = 0;

	for (i = 0; i < NTABLE; i++)
		if (family_table[i])
			n++;
	return n;
}

const struct family *family_at(size_t k)
{
	size_t i;

	for (i = 0; i < NTABLE; i++) {
		if (!family_table[i])
			continue;
		if (k-- == 0)
			return family_table[i];
	}
	return NULL;
}

const struct family *family_by_name(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < NTABLE; i++)
		if (family_table[i] && strcmp(family_table[i]->name, name) == 0)
			return family_table[i];
	return NULL;
}

const struct family *family_by_id(enum ir_family id)
{
	size_t i;

	for (i = 0; i < NTABLE; i++)
		if (family_table[i] && family_table[i]->id == id)
			return family_table[i];
	return NULL;
}

void xlate_ctx_init(struct xlate_ctx *c, struct arena *a, bool deterministic, int64_t created)
{
	memset(c, 0, sizeof(*c));
	c->a = a;
	c->deterministic = deterministic;
	c->created = created;
}

static const char alnum[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const char *xlate_id(struct xlate_ctx *c, const char *prefix, size_t n)
{
	size_t plen = strlen(prefix), i;
	char *s = arena_alloc(c->a, plen + n + 1);

	if (!s)
		return NULL;
	memcpy(s, prefix, plen);
	if (c->deterministic) {
		uint64_t v = ++c->id_seq;
		for (i = n; i > 0; i--) {
			s[plen + i - 1] = (char)('0' + v % 10);
			v /= 10;
		}
	} else {
		unsigned char rnd[64];
		size_t got = 0;
		while (got < n) {
			ssize_t r = getrandom(rnd, sizeof(rnd), 0);
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				return NULL;
			}
			/* Keep bytes < 248 = 4 * 62: no modulo bias. */
			for (i = 0; i < (size_t)r && got < n; i++)
				if (rnd[i] < 248)
					s[plen + got++] = alnum[rnd[i] % 62];
		}
	}
	s[plen + n] = 0;
	return s;
}

int xlate_name_add(struct xlate_ctx *c, const char *orig, const char *sent)
{
	if (c->nnames == c->capnames) {
		size_t ncap = c->capnames ? c->capnames * 2 : 8;
		struct xlate_name *nn = arena_realloc(c->a, c->names,
						      c->capnames * sizeof(*nn),
						      ncap * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		c->names = nn;
		c->capnames = ncap;
	}
	c->names[c->nnames].orig = orig;
	c->names[c->nnames].sent = sent;
	c->nnames++;
	return 0;
}

const char *xlate_name_sent(const struct xlate_ctx *c, const char *orig)
{
	size_t i;

	if (!orig)
		return orig;
	for (i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i].orig, orig) == 0)
			return c->names[i].sent;
	return orig;
}

const char *xlate_name_orig(const struct xlate_ctx *c, const char *sent)
{
	size_t i;

	if (!sent)
		return sent;
	for (i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i].sent, sent) == 0)
			return c->names[i].orig;
	return sent;
}

int xlate_parse(struct xlate_ctx *c, struct json *j, const char *s, size_t n, bool upstream,
		struct apierr *e)
{
	int r = json_parse(j, c->a, s, n);

	if (r == 0)
		return 0;
	if (upstream)
		return apierr_set(e, r, 502, "api_error",
				  r == -ENOMEM ? "out of memory" : "upstream sent invalid JSON");
	if (r == -E2BIG)
		return apierr_set(e, r, 413, "request_too_large", "JSON body too large or too deep");
	if (r == -ENOMEM)
		return apierr_set(e, r, 500, "api_error", "out of memory");
	return apierr_set(e, r, 400, "invalid_request_error", "request body is not valid JSON");
}

struct edit {
	size_t off, len; /* bytes of the input replaced (len 0: insertion) */
	const char *key; /* insertion: key to write */
	int what;        /* 0 model, 1 stream */
};

static void put_value(struct buf *out, const struct edit *ed, const char *model, bool stream)
{
	if (ed->what == 0)
		json_escape(out, model, strlen(model));
	else
		buf_adds(out, stream ? "true" : "false");
}

int xlate_json_edit(struct xlate_ctx *c, const char *json, size_t n, const char *model,
		    const char *stream_key, bool stream, struct buf *out, struct apierr *e)
{
	struct json j;
	struct edit ed[2];
	size_t ned = 0, pos = 0, k, brace;
	int r, v;

	r = xlate_parse(c, &j, json, n, false, e);
	if (r < 0)
		return r;
	if (json_kind(&j, 0) != JSON_OBJECT)
		return apierr_set(e, -EINVAL, 400, "invalid_request_error",
				  "request body is not a JSON object");
	brace = (size_t)j.tok[0].start + 1;
	if (model) {
		v = json_get(&j, 0, "model");
		if (v >= 0) {
			size_t len;
			const char *t = json_text(&j, v, &len);
			ed[ned++] = (struct edit){ (size_t)(t - json), len, NULL, 0 };
		} else {
			ed[ned++] = (struct edit){ brace, 0, "model", 0 };
		}
	}
	if (stream_key) {
		v = json_get(&j, 0, stream_key);
		if (v >= 0) {
			size_t len;
			const char *t = json_text(&j, v, &len);
			ed[ned++] = (struct edit){ (size_t)(t - json), len, NULL, 1 };
		} else if (stream) {
			ed[ned++] = (struct edit){ brace, 0, stream_key, 1 };
		}
	}
	if (ned == 2 && ed[1].off < ed[0].off) {
		struct edit t = ed[0];
		ed[0] = ed[1];
		ed[1] = t;
	}
	for (k = 0; k < ned; k++) {
		buf_add(out, json + pos, ed[k].off - pos);
		if (ed[k].key) {
			json_escape(out, ed[k].key, strlen(ed[k].key));
			buf_addc(out, ':');
			put_value(out, &ed[k], model, stream);
			/* Insertions go right after '{': a comma unless empty. */
			if (json_size(&j, 0) > 0 || (k + 1 < ned && ed[k + 1].key))
				buf_addc(out, ',');
		} else {
			put_value(out, &ed[k], model, stream);
		}
		pos = ed[k].off + ed[k].len;
	}
	buf_add(out, json + pos, n - pos);
	if (out->err)
		return apierr_set(e, out->err, out->err == -E2BIG ? 413 : 500,
				  out->err == -E2BIG ? "request_too_large" : "api_error",
				  "request body too large");
	return 0;
}
