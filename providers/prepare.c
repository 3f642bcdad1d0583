/*
 * prepare.c - what every provider's prepare() shares: the base URL check,
 * header tables with client passthrough (only from a client of the
 * upstream's own family), and the credential's own headers applied last.
 * No limits of its own: upstream_header() caps the header count.
 */
#include "providers/prepare.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/http_req.h"
#include "providers/upstream.h"

const char *prepare_base(const struct provider_call *pc, struct arena *a, struct apierr *e)
{
	const char *b = provider_base_url(pc->cred, a);

	if (!b || !*b) {
		apierr_set(e, -EINVAL, 500, "api_error",
			   b ? "no base-url configured for this credential" : "out of memory");
		return NULL;
	}
	return b;
}

const char *prepare_client_header(const struct provider_call *pc, enum ir_family fam,
				  const char *name)
{
	const char *v;

	if (!pc->client_req || pc->client_family != fam)
		return NULL;
	v = http_req_header(pc->client_req, name);
	return v && *v ? v : NULL;
}

int prepare_table(const struct provider_call *pc, bool pass, const struct hdr_row *tab, size_t n,
		  struct upstream_req *u, struct arena *a)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = tab[i].value;
		int r;

		if (pass && tab[i].client_wins) {
			const char *cv = prepare_client_header(pc, pc->client_family, tab[i].name);
			if (cv)
				v = cv;
		}
		if (!v)
			continue;
		r = upstream_header(u, a, tab[i].name, v);
		if (r < 0)
			return r;
	}
	return 0;
}

int prepare_cred_headers(const struct credential *cr, struct upstream_req *u, struct arena *a)
{
	if (!cr->headers)
		return 0;
	for (size_t i = 0; i < cr->headers->n; i++) {
		const struct kv *h = &cr->headers->v[i];
		int r;

		if (!h->key || !*h->key)
			continue;
		r = upstream_header(u, a, h->key, h->value);
		if (r < 0)
			return r;
	}
	return 0;
}

bool prepare_list_has(const char *list, const char *tok)
{
	size_t tl = strlen(tok);
	const char *p = list;

	while (*p) {
		const char *s, *end;

		while (*p == ' ' || *p == ',')
			p++;
		s = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > s && end[-1] == ' ')
			end--;
		if ((size_t)(end - s) == tl && strncasecmp(s, tok, tl) == 0)
			return true;
	}
	return false;
}

const char *prepare_list_add(struct arena *a, const char *list, const char *tok)
{
	if (!list || prepare_list_has(list, tok))
		return list;
	return *list ? arena_printf(a, "%s,%s", list, tok) : arena_strdup(a, tok);
}
