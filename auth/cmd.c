/*
 * cmd.c - `cliproxy auth list` / `accounts` and `cliproxy refresh`.  The
 * list shows type, label, file, expiry, cooldown and state of every
 * credential (config API keys masked, auth files without reading a token
 * into anything but a wiped arena); untrusted text is escaped.  refresh
 * goes through auth_ensure_fresh, so a timer run and a request never race.
 */
#include "auth/cmd.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "auth/refresh.h"
#include "auth/store.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/limits.h"
#include "providers/provider.h"

#define NCOLS 6

struct row {
	const char *col[NCOLS]; /* type, label, file, expires, cooldown, state */
};

struct table {
	struct row *v;
	size_t n, cap;
	struct arena *a;
};

static const char *esc(struct arena *a, const char *s)
{
	const char *p = auth_printable(a, s, 300);

	return p ? p : "?";
}

static int add_row(struct table *t, const char *type, const char *label, const char *file,
		   const char *expires, const char *cooldown, const char *state)
{
	struct row *r;

	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 32;
		r = arena_realloc(t->a, t->v, t->cap * sizeof(*r), nc * sizeof(*r));
		if (!r)
			return -ENOMEM;
		t->v = r;
		t->cap = nc;
	}
	r = &t->v[t->n++];
	r->col[0] = esc(t->a, type);
	r->col[1] = esc(t->a, label);
	r->col[2] = esc(t->a, file);
	r->col[3] = expires ? expires : "-";
	r->col[4] = cooldown ? cooldown : "-";
	r->col[5] = esc(t->a, state);
	return 0;
}

static void print_table(const struct table *t, FILE *out)
{
	static const char *const head[NCOLS] = { "TYPE", "LABEL", "FILE", "EXPIRES", "COOLDOWN",
						 "STATE" };
	size_t w[NCOLS];
	size_t i, k;

	for (k = 0; k < NCOLS; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < t->n; i++)
		for (k = 0; k < NCOLS; k++)
			if (strlen(t->v[i].col[k]) > w[k])
				w[k] = strlen(t->v[i].col[k]);
	for (k = 0; k < NCOLS; k++)
		fprintf(out, "%-*s%s", k + 1 < NCOLS ? (int)w[k] : 0, head[k], k + 1 < NCOLS ? "  " : "\n");
	for (i = 0; i < t->n; i++)
		for (k = 0; k < NCOLS; k++)
			fprintf(out, "%-*s%s", k + 1 < NCOLS ? (int)w[k] : 0, t->v[i].col[k],
				k + 1 < NCOLS ? "  " : "\n");
}

/* "until <time> (<model>, <reason>)" for the latest cooldown of id still
   running, "+N" when more entries run; NULL when none. */
static const char *cooldown_of(struct arena *a, const struct rr_cooldown *cd, size_t ncd,
			       const char *id, int64_t now)
{
	const struct rr_cooldown *best = NULL;
	int more = 0;

	for (size_t i = 0; i < ncd; i++) {
		if (strcmp(cd[i].cred_id, id) != 0 || cd[i].until <= now)
			continue;
		if (best)
			more++;
		if (!best || cd[i].until > best->until)
			best = &cd[i];
	}
	if (!best)
		return NULL;
	if (more)
		return arena_printf(a, "until %s (%s, %s) +%d", auth_time_format(a, best->until),
				    best->model ? esc(a, best->model) : "all models",
				    best->reason ? esc(a, best->reason) : "?", more);
	return arena_printf(a, "until %s (%s, %s)", auth_time_format(a, best->until),
			    best->model ? esc(a, best->model) : "all models",
			    best->reason ? esc(a, best->reason) : "?");
}

static const char *file_state(struct arena *a, const struct auth_file *f, int64_t now)
{
	if (f->err == -EPERM)
		return arena_printf(a, "refused: mode %04o is group/world-writable (chmod 600)", f->mode);
	if (f->err)
		return arena_printf(a, "unreadable: %s", strerror(-f->err));
	if (f->disabled)
		return arena_printf(a, "disabled: %s",
				    f->disabled_reason ? f->disabled_reason : "by the file");
	if (f->kind != AUTH_GEMINI && f->kind != AUTH_CODEX && f->kind != AUTH_CLAUDE)
		return "not served by cliproxy";
	if (f->refresh_retry_at > now)
		return arena_printf(a, "refresh failing: %s; next attempt %s",
				    f->refresh_error ? f->refresh_error : "?",
				    auth_time_format(a, f->refresh_retry_at));
	if (f->expiry && f->expiry <= now)
		return auth_can_refresh(f->kind) ? "expired: refreshed on next use"
						 : "expired";
	if (!auth_mode_private(f))
		return arena_printf(a, "ok (mode %04o: readable by others, chmod 600)", f->mode);
	return "ok";
}

int auth_cmd_list(const struct config *cfg, FILE *out)
{
	struct arena a, secrets;
	struct registry reg;
	struct table t;
	struct auth_file *files = NULL;
	struct rr_cooldown *cd = NULL;
	size_t nfiles = 0, ncd = 0, i;
	int64_t now = (int64_t)time(NULL);
	int r, status = 0;

	arena_init(&a, LIMIT_ARENA_BYTES);
	arena_init_secret(&secrets, LIMIT_SECRET_BYTES);
	memset(&t, 0, sizeof(t));
	t.a = &a;
	if (cfg->auth_dir && *cfg->auth_dir) {
		const char *sd = arena_printf(&a, "%s/.cliproxy", cfg->auth_dir);
		if (sd)
			rr_cooldowns(sd, &a, &cd, &ncd);
	}
	/* Config API keys: the registry's credentials without a file. */
	r = registry_build(&reg, cfg, &a, &secrets);
	for (i = 0; r == 0 && i < reg.ncreds; i++) {
		const struct credential *cr = &reg.creds[i];
		if (cr->auth)
			continue;
		add_row(&t, cr->prov ? cr->prov->config_key : "?", cr->label, "(config)", NULL,
			cooldown_of(&a, cd, ncd, cr->id, now), "ok");
	}
	r = auth_scan(cfg->auth_dir, &a, &files, &nfiles);
	if (r < 0) {
		fprintf(out, "cliproxy: auth-dir %s: %s\n", cfg->auth_dir, strerror(-r));
		status = 100;
	}
	for (i = 0; i < nfiles; i++) {
		const struct auth_file *f = &files[i];
		const char *exp = f->expiry ? auth_time_format(&a, f->expiry) : NULL;
		const char *state = file_state(&a, f, now);
		const char *type = f->type ? f->type : "?";
		const char *label = f->label ? f->label : "-";

		if (f->kind == AUTH_GEMINI && f->nprojects > 1 && !f->err) {
			for (size_t k = 0; k < f->nprojects; k++) {
				const char *id = arena_printf(&a, "%s#%s", f->name, f->projects[k]);
				const char *lab = arena_printf(&a, "%s %s", label, f->projects[k]);
				add_row(&t, type, lab, f->name, exp, id ? cooldown_of(&a, cd, ncd, id, now) : NULL,
					state);
			}
			continue;
		}
		if (f->kind == AUTH_GEMINI && f->nprojects == 1 && !f->err)
			label = arena_printf(&a, "%s %s", label, f->projects[0]);
		add_row(&t, type, label, f->name, exp, cooldown_of(&a, cd, ncd, f->name, now), state);
	}
	print_table(&t, out);
	if (!t.n)
		fprintf(out, "(no credentials: add API keys to the config or run `cliproxy login`; auth-dir %s)\n",
			cfg->auth_dir && *cfg->auth_dir ? cfg->auth_dir : "(unset)");
	arena_release(&secrets);
	arena_release(&a);
	return status;
}

/* ---- refresh ------------------------------------------------------------ */

static bool named(const struct auth_file *f, char *const *names, int nnames, bool *used)
{
	if (!nnames)
		return true;
	for (int i = 0; i < nnames; i++) {
		const char *n = names[i], *slash = strrchr(n, '/');
		if (strcmp(n, f->name) == 0 || strcmp(n, f->path) == 0 ||
		    (slash && strcmp(slash + 1, f->name) == 0)) {
			used[i] = true;
			return true;
		}
	}
	return false;
}

int auth_cmd_refresh(const struct config *cfg, bool force, char *const *names, int nnames,
		     FILE *out)
{
	struct arena a, secrets;
	struct auth_file *files = NULL;
	size_t nfiles = 0, i;
	bool used[64] = { false };
	int64_t now = (int64_t)time(NULL);
	int r, status = 0;

	if (nnames > 64) {
		fprintf(out, "cliproxy: refresh: at most 64 files at once\n");
		return 100;
	}
	arena_init(&a, LIMIT_ARENA_BYTES);
	r = auth_scan(cfg->auth_dir, &a, &files, &nfiles);
	if (r < 0) {
		fprintf(out, "cliproxy: auth-dir %s: %s\n", cfg->auth_dir, strerror(-r));
		arena_release(&a);
		return 100;
	}
	for (i = 0; i < nfiles; i++) {
		struct auth_file *f = &files[i];
		struct apierr e = { 0 };
		int64_t old = f->expiry;

		if (!named(f, names, nnames, used))
			continue;
		if (f->err) {
			fprintf(out, "skipped   %s: %s\n", esc(&a, f->name), strerror(-f->err));
			continue;
		}
		if (f->disabled) {
			fprintf(out, "disabled  %s: %s\n", esc(&a, f->name),
				esc(&a, f->disabled_reason ? f->disabled_reason : "by the file"));
			continue;
		}
		if (!auth_can_refresh(f->kind)) {
			if (nnames)
				fprintf(out, "skipped   %s: type %s has no refresh\n", esc(&a, f->name),
					esc(&a, f->type));
			continue;
		}
		if (!force && !auth_refresh_due(f, now)) {
			fprintf(out, "fresh     %s (%s): valid until %s\n", esc(&a, f->name),
				esc(&a, f->label), f->expiry ? auth_time_format(&a, f->expiry) : "?");
			continue;
		}
		/* One wiped arena per credential: nothing piles up. */
		arena_init_secret(&secrets, LIMIT_SECRET_BYTES);
		r = auth_ensure_fresh(cfg, f, force, &a, &secrets, &e);
		arena_release(&secrets);
		if (r == 0 && f->expiry != old)
			fprintf(out, "refreshed %s (%s): valid until %s\n", esc(&a, f->name),
				esc(&a, f->label), f->expiry ? auth_time_format(&a, f->expiry) : "?");
		else if (r == 0)
			fprintf(out, "fresh     %s (%s): valid until %s%s\n", esc(&a, f->name),
				esc(&a, f->label), f->expiry ? auth_time_format(&a, f->expiry) : "?",
				f->refresh_retry_at > now ? " (refresh failing, old token kept)" : "");
		else {
			fprintf(out, "failed    %s (%s): %s\n", esc(&a, f->name), esc(&a, f->label),
				esc(&a, e.message ? e.message : strerror(-r)));
			status = 111;
		}
		if (r == 0 && f->refresh_retry_at > now)
			status = 111;
	}
	for (int k = 0; k < nnames; k++)
		if (!used[k]) {
			fprintf(out, "cliproxy: refresh: %s is not a credential file of %s\n",
				esc(&a, names[k]), cfg->auth_dir);
			status = 100;
		}
	arena_release(&a);
	return status;
}
