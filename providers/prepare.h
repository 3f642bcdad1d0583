/*
 * prepare.h - helpers the providers' prepare() share (providers/prepare.c).
 *
 * A header table row says where a header's value comes from: a built-in
 * constant, or the client's own header of the same name when the client
 * speaks the upstream's family (so Claude Code's headers reach Anthropic as
 * it sent them).  The credential's `headers:` are applied after the table
 * and replace same-named headers (upstream_header() semantics).
 */
#ifndef CLIPROXY_PREPARE_H
#define CLIPROXY_PREPARE_H

#include <stdbool.h>

#include "providers/provider.h"

struct arena;
struct upstream_req;

struct hdr_row {
	const char *name;
	const char *value;  /* built-in value; NULL: only sent when the client's is */
	bool client_wins;   /* the client's value replaces it (when passing through) */
};

/* The client's header `name` when the client speaks `fam`, else NULL. */
const char *prepare_client_header(const struct provider_call *pc, enum ir_family fam,
				  const char *name);
/* Add every row of tab[0..n); with pass, rows marked client_wins take the
   client's value when it sent one.  0 or -E2BIG/-ENOMEM. */
int prepare_table(const struct provider_call *pc, bool pass, const struct hdr_row *tab, size_t n,
		  struct upstream_req *u, struct arena *a);
/* Apply the credential's own headers (last, replacing same-named ones). */
int prepare_cred_headers(const struct credential *cr, struct upstream_req *u, struct arena *a);
/* The base URL or a 500 in e: "no base-url configured for <provider>". */
/* Is tok one of the comma-separated items of list (case-insensitive,
   spaces ignored)?  For header lists such as anthropic-beta. */
bool prepare_list_has(const char *list, const char *tok);
/* list with tok appended unless already there ("" gives tok); NULL list
   (an earlier allocation failed) stays NULL. */
const char *prepare_list_add(struct arena *a, const char *list, const char *tok);
const char *prepare_base(const struct provider_call *pc, struct arena *a, struct apierr *e);

#endif
