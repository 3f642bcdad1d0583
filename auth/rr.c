/*
 * rr.c - round-robin cursors and cooldowns shared by every connection
 * process: rr.json and cooldown.json in <auth-dir>/.cliproxy, each changed
 * under the exclusive flock of its own .lock file, re-read after locking and
 * replaced atomically.  A state file that does not parse counts as empty (and
 * is rewritten).  No cooldown outlives RR_MAX_COOLDOWN_S, whatever a hint or
 * the file says; files are capped at RR_STATE_MAX bytes.
 */
#include "providers/provider.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/jsonw.h"

#define RR_STATE_MAX (1024 * 1024)        /* bytes of one state file */
#define RR_ARENA_CAP (64L * 1024 * 1024)  /* scratch for one call */
#define RR_MAX_CREDS 4096                 /* credentials kept in cooldown.json */
#define RR_MAX_MODELS 256                 /* model entries per credential */
#define RR_MAX_CURSORS 1024               /* cursors kept in rr.json */
#define RR_BACKOFF_MAX_S 1800             /* 429 without hint: 1 s doubling to this */
#define RR_MAX_LEVEL 30
#define RR_LEVEL_KEEP_S 3600              /* an expired entry keeps its level this long */

/* ---- Small helpers ------------------------------------------------------ */

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* Cursors and cooldowns are keyed by the model without its "(...)"
   thinking suffix: "gemini-2.5-pro(8192)" shares state with the plain id. */
static const char *model_key(struct arena *a, const char *model)
{
	size_t len = model ? strlen(model) : 0;
	const char *open;

	if (!model)
		return "";
	if (len >= 3 && model[len - 1] == ')') {
		open = memrchr(model, '(', len - 1);
		if (open && open != model)
			return arena_strndup(a, model, (size_t)(open - model));
	}
	return model;
}

static const char *path_in(struct arena *a, const char *dir, const char *name)
{
	return arena_printf(a, "%s/%s", dir, name);
}

/* The whole file parsed as a JSON object.  -ENOENT: no file (empty, fine);
   other errors set *dirty when a rewrite would repair the file. */
static int read_state(struct arena *a, const char *path, struct json *j, bool *dirty)
{
	char *p;
	size_t n;
	int r = fs_read_file(a, path, RR_STATE_MAX, &p, &n);

	if (r == -ENOENT)
		return r;
	if (r < 0) {
		if (r == -EFBIG || r == -EINVAL)
			*dirty = true;
		return r;
	}
	if (json_parse(j, a, p, n) < 0 || json_kind(j, 0) != JSON_OBJECT) {
		*dirty = true;
		return -EINVAL;
	}
	return 0;
}

/* ---- The cooldown table ------------------------------------------------- */

struct cd_ent {
	const char *model; /* NULL: credential-wide */
	int64_t until;
	const char *reason;
	int level;
};

struct cd_cred {
	const char *id;
	bool has_wide;
	struct cd_ent wide;
	struct cd_ent *m;
	size_t nm, capm;
};

struct cd_table {
	struct arena *a;
	struct cd_cred *v;
	size_t n, cap;
	bool dirty; /* the file is there but unreadable: rewrite it */
};

static bool keep_ent(const struct cd_ent *e, int64_t now)
{
	return e->until > now || (e->level > 0 && e->until > now - RR_LEVEL_KEEP_S);
}

static struct cd_cred *find_cred(struct cd_table *t, const char *id, bool create)
{
	struct cd_cred *c;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].id, id) == 0)
			return &t->v[i];
	if (!create)
		return NULL;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		c = arena_realloc(t->a, t->v, t->cap * sizeof(*c), ncap * sizeof(*c));
		if (!c)
			return NULL;
		t->v = c;
		t->cap = ncap;
	}
	c = &t->v[t->n];
	memset(c, 0, sizeof(*c));
	c->id = arena_strdup(t->a, id);
	if (!c->id)
		return NULL;
	t->n++;
	return c;
}

static struct cd_ent *find_model(struct cd_table *t, struct cd_cred *c, const char *model,
				 bool create)
{
	struct cd_ent *e;
	size_t i;

	for (i = 0; i < c->nm; i++)
		if (strcmp(c->m[i].model, model) == 0)
			return &c->m[i];
	if (!create)
		return NULL;
	if (c->nm == c->capm) {
		size_t ncap = c->capm ? c->capm * 2 : 4;
		e = arena_realloc(t->a, c->m, c->capm * sizeof(*e), ncap * sizeof(*e));
		if (!e)
			return NULL;
		c->m = e;
		c->capm = ncap;
	}
	e = &c->m[c->nm];
	memset(e, 0, sizeof(*e));
	e->model = arena_strdup(t->a, model);
	if (!e->model)
		return NULL;
	c->nm++;
	return e;
}

/* {"until":N,"reason":"...","level":k}; untils beyond the cap are pulled
   in, so a bad file cannot lock anything out for longer either. */
static bool get_ent(const struct json *j, int obj, struct arena *a, int64_t now, struct cd_ent *e)
{
	int64_t until, level = 0;
	const char *reason;

	if (json_kind(j, obj) != JSON_OBJECT || json_int(j, json_get(j, obj, "until"), &until) < 0)
		return false;
	if (json_int(j, json_get(j, obj, "level"), &level) < 0 || level < 0)
		level = 0;
	if (level > RR_MAX_LEVEL)
		level = RR_MAX_LEVEL;
	if (until > now + RR_MAX_COOLDOWN_S)
		until = now + RR_MAX_COOLDOWN_S;
	if (until < 0)
		until = 0;
	reason = json_gets(j, obj, "reason", a);
	e->model = NULL;
	e->until = until;
	e->level = (int)level;
	e->reason = reason ? reason : "unknown";
	return true;
}

/* Load cooldown.json into t (empty when missing or broken).  Duplicate ids
   and models: the first wins.  0 or -ENOMEM. */
static int cd_load(struct cd_table *t, struct arena *a, const char *dir, int64_t now)
{
	const char *path = path_in(a, dir, "cooldown.json");
	struct json j;
	int k, mk;

	memset(t, 0, sizeof(*t));
	t->a = a;
	if (!path)
		return -ENOMEM;
	if (read_state(a, path, &j, &t->dirty) < 0)
		return 0;
	for (k = json_first(&j, 0); k >= 0; k = json_after(&j, k)) {
		struct cd_cred *c;
		struct cd_ent e;
		char *id;
		int obj = k + 1, models;

		if (t->n >= RR_MAX_CREDS)
			break;
		id = json_str(&j, k, a, NULL);
		if (!id || !*id || json_kind(&j, obj) != JSON_OBJECT)
			continue;
		if (find_cred(t, id, false))
			continue;
		c = find_cred(t, id, true);
		if (!c)
			return -ENOMEM;
		if (get_ent(&j, obj, a, now, &e)) {
			c->has_wide = true;
			c->wide = e;
		}
		models = json_get(&j, obj, "models");
		if (json_kind(&j, models) != JSON_OBJECT)
			continue;
		for (mk = json_first(&j, models); mk >= 0; mk = json_after(&j, mk)) {
			struct cd_ent *me;
			char *model;

			if (c->nm >= RR_MAX_MODELS)
				break;
			model = json_str(&j, mk, a, NULL);
			if (!model || !get_ent(&j, mk + 1, a, now, &e))
				continue;
			if (find_model(t, c, model, false))
				continue;
			me = find_model(t, c, model, true);
			if (!me)
				return -ENOMEM;
			e.model = me->model;
			*me = e;
		}
	}
	return 0;
}

static void put_ent(struct jsonw *w, const struct cd_ent *e)
{
	jw_kint(w, "until", e->until);
	jw_kstr(w, "reason", e->reason ? e->reason : "unknown");
	jw_kint(w, "level", e->level);
}

/* The table as JSON, expired entries left out; only credential `only` when
   set (the fallback when everything would not fit). */
static int cd_render(const struct cd_table *t, struct buf *b, int64_t now, const char *only)
{
	struct jsonw w;
	size_t i, k;

	buf_reset(b);
	jw_init(&w, b);
	jw_obj(&w);
	for (i = 0; i < t->n; i++) {
		const struct cd_cred *c = &t->v[i];
		bool wide = c->has_wide && keep_ent(&c->wide, now);
		size_t nm = 0;

		if (only && strcmp(c->id, only) != 0)
			continue;
		for (k = 0; k < c->nm; k++)
			nm += keep_ent(&c->m[k], now);
		if (!wide && !nm)
			continue;
		jw_key(&w, c->id);
		jw_obj(&w);
		if (wide)
			put_ent(&w, &c->wide);
		if (nm) {
			jw_key(&w, "models");
			jw_obj(&w);
			for (k = 0; k < c->nm; k++) {
				if (!keep_ent(&c->m[k], now))
					continue;
				jw_key(&w, c->m[k].model);
				jw_obj(&w);
				put_ent(&w, &c->m[k]);
				jw_end(&w);
			}
			jw_end(&w);
		}
		jw_end(&w);
	}
	jw_end(&w);
	if (jw_error(&w) == 0)
		buf_addc(b, '\n');
	return jw_error(&w) ? jw_error(&w) : b->err;
}

static int cd_save(const struct cd_table *t, struct arena *a, const char *dir, int64_t now,
		   const char *id)
{
	const char *path = path_in(a, dir, "cooldown.json");
	struct buf b;
	int r;

	if (!path)
		return -ENOMEM;
	buf_init(&b, a, RR_STATE_MAX);
	r = cd_render(t, &b, now, NULL);
	if (r == -E2BIG)
		r = cd_render(t, &b, now, id);
	if (r < 0)
		return r;
	return fs_write_atomic(path, b.p, b.len);
}

/* When candidate `id` is usable again for `model` (<= now: it is). */
static int64_t ready_at(struct cd_table *t, const char *id, const char *model)
{
	struct cd_cred *c = find_cred(t, id, false);
	struct cd_ent *e;
	int64_t r = 0;

	if (!c)
		return 0;
	if (c->has_wide)
		r = c->wide.until;
	e = find_model(t, c, model, false);
	if (e && e->until > r)
		r = e->until;
	return r;
}

/* ---- The round-robin cursor --------------------------------------------- */

struct cursor {
	const char *key;
	int64_t n;
};

/* Next cursor value for key, advanced in rr.json under rr.lock.  State
   errors degrade to a stale (or zero) cursor: never a failed pick. */
static int64_t cursor_next(struct arena *a, const char *dir, const char *key)
{
	const char *path = path_in(a, dir, "rr.json"), *lock = path_in(a, dir, "rr.lock");
	struct cursor *cur;
	size_t ncur = 0, i, at;
	struct json j;
	bool dirty = false;
	struct jsonw w;
	struct buf b;
	int64_t val = 0;
	int fd, k, obj;

	if (!path || !lock)
		return 0;
	cur = arena_alloc(a, (RR_MAX_CURSORS + 1) * sizeof(*cur));
	if (!cur)
		return 0;
	fd = fs_lock(lock, LOCK_EX);
	if (fd < 0)
		return 0;
	if (read_state(a, path, &j, &dirty) == 0) {
		obj = json_get(&j, 0, "cursors");
		for (k = json_first(&j, obj); k >= 0 && ncur < RR_MAX_CURSORS; k = json_after(&j, k)) {
			int64_t v;
			char *s;

			if (json_kind(&j, obj) != JSON_OBJECT)
				break;
			if (json_int(&j, k + 1, &v) < 0 || v < 0)
				continue;
			s = json_str(&j, k, a, NULL);
			if (!s)
				continue;
			for (i = 0; i < ncur; i++)
				if (strcmp(cur[i].key, s) == 0)
					break;
			if (i < ncur)
				continue;
			cur[ncur].key = s;
			cur[ncur++].n = v;
		}
	}
	for (at = 0; at < ncur; at++)
		if (strcmp(cur[at].key, key) == 0)
			break;
	if (at == ncur) {
		if (ncur == RR_MAX_CURSORS) { /* forget the oldest */
			memmove(cur, cur + 1, (ncur - 1) * sizeof(*cur));
			at = --ncur;
		}
		cur[at].key = key;
		cur[at].n = 0;
		ncur++;
	}
	val = cur[at].n;
	/* Wrap far from overflow; at 2^52 the skew is one pick in 2^52. */
	cur[at].n = val + 1 >= ((int64_t)1 << 52) ? 0 : val + 1;

	buf_init(&b, a, RR_STATE_MAX);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "cursors");
	jw_obj(&w);
	for (i = 0; i < ncur; i++)
		jw_kint(&w, cur[i].key, cur[i].n);
	jw_end(&w);
	jw_end(&w);
	buf_addc(&b, '\n');
	if (jw_error(&w) == 0 && b.err == 0)
		(void)fs_write_atomic(path, b.p, b.len);
	close(fd);
	return val;
}

/* ---- Selection ---------------------------------------------------------- */

struct slot {
	const char *id;
	size_t idx;
};

static int cmp_slot(const void *x, const void *y)
{
	const struct slot *a = x, *b = y;
	int c = strcmp(a->id, b->id);

	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static const char *cand_id(const struct target *t)
{
	return t->cred && t->cred->id ? t->cred->id : "";
}

int rr_pick(const struct config *cfg, const char *state_dir, const char *model,
	    const struct target *cands, size_t n, const bool *tried, size_t *ret_index,
	    int64_t *ret_wait_s)
{
	bool cooling = !(cfg && cfg->disable_cooling);
	bool fill_first = cfg && cfg->routing.strategy &&
			  strcmp(cfg->routing.strategy, "fill-first") == 0;
	int64_t now = now_s(), earliest = INT64_MAX;
	size_t i, nav = 0, nb = 0, untried = 0, choice;
	struct cd_table t;
	struct slot *av;
	const char *key;
	struct arena a;
	int best = 0, r = 0;

	if (!n || !cands)
		return -ENOENT;
	arena_init(&a, RR_ARENA_CAP);
	key = model_key(&a, model);
	av = arena_alloc(&a, n * sizeof(*av));
	memset(&t, 0, sizeof(t));
	t.a = &a;
	if (!key || !av) {
		r = -ENOMEM;
		goto out;
	}
	if (state_dir && cooling) {
		r = cd_load(&t, &a, state_dir, now);
		if (r < 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		int64_t ready;

		if (tried && tried[i])
			continue;
		untried++;
		ready = ready_at(&t, cand_id(&cands[i]), key);
		if (ready > now) {
			if (ready < earliest)
				earliest = ready;
			continue;
		}
		av[nav].id = cand_id(&cands[i]);
		av[nav++].idx = i;
	}
	if (!untried) {
		r = -ENOENT;
		goto out;
	}
	if (!nav) {
		if (ret_wait_s)
			*ret_wait_s = earliest - now > 1 ? earliest - now : 1;
		r = -EAGAIN;
		goto out;
	}
	/* Only the highest priority bucket with an available candidate. */
	for (i = 0; i < nav; i++) {
		int p = cands[av[i].idx].cred ? cands[av[i].idx].cred->priority : 0;
		if (i == 0 || p > best)
			best = p;
	}
	for (i = 0; i < nav; i++) {
		int p = cands[av[i].idx].cred ? cands[av[i].idx].cred->priority : 0;
		if (p == best)
			av[nb++] = av[i];
	}
	qsort(av, nb, sizeof(*av), cmp_slot);
	choice = av[0].idx;
	if (!fill_first && nb > 1 && state_dir)
		choice = av[(size_t)((uint64_t)cursor_next(&a, state_dir, key) % nb)].idx;
	*ret_index = choice;
	r = 0;
out:
	arena_release(&a);
	return r;
}

/* ---- Outcomes ----------------------------------------------------------- */

int rr_report(const struct config *cfg, const char *state_dir, const char *model,
	      const struct target *cand, const struct rr_outcome *o)
{
	bool success, scoped, is429;
	int64_t now, secs = 0, until;
	const char *reason = NULL, *key, *lockp;
	struct cd_table t;
	struct cd_cred *c;
	struct cd_ent *e;
	struct arena a;
	int fd, r = 0;

	if (!state_dir || !cand || !cand->cred || !cand->cred->id || !o)
		return 0;
	if (cfg && cfg->disable_cooling)
		return 0;
	success = o->status >= 200 && o->status < 300;
	is429 = o->status == 429;
	scoped = o->model_scoped;
	switch (o->status) {
	case 401:
		secs = 30 * 60;
		reason = "unauthorized";
		break;
	case 402:
	case 403:
		secs = 30 * 60;
		reason = "payment_required";
		break;
	case 404:
		secs = 12 * 3600;
		reason = "not_found";
		scoped = true;
		break;
	case 0:
	case 408:
	case 500:
	case 502:
	case 503:
	case 504:
		secs = 60;
		reason = "unavailable";
		break;
	case 429:
		break;
	default:
		if (!success)
			return 0; /* recorded by the caller's log, no cooldown */
	}

	arena_init(&a, RR_ARENA_CAP);
	key = model_key(&a, model);
	lockp = path_in(&a, state_dir, "cooldown.lock");
	if (!key || !lockp) {
		arena_release(&a);
		return -ENOMEM;
	}
	fd = fs_lock(lockp, LOCK_EX);
	if (fd < 0) {
		arena_release(&a);
		return fd;
	}
	now = now_s();
	r = cd_load(&t, &a, state_dir, now);
	if (r < 0)
		goto out;

	if (success) {
		bool changed = false;

		c = find_cred(&t, cand->cred->id, false);
		if (c) {
			e = find_model(&t, c, key, false);
			if (e) {
				*e = c->m[--c->nm];
				changed = true;
			}
			/* An expired credential-wide entry only held a level. */
			if (c->has_wide && c->wide.until <= now) {
				c->has_wide = false;
				changed = true;
			}
		}
		if (changed || t.dirty)
			r = cd_save(&t, &a, state_dir, now, cand->cred->id);
		goto out;
	}

	c = find_cred(&t, cand->cred->id, true);
	if (!c) {
		r = -ENOMEM;
		goto out;
	}
	if (scoped) {
		e = find_model(&t, c, key, true);
		if (!e) {
			r = -ENOMEM;
			goto out;
		}
	} else {
		if (!c->has_wide) {
			memset(&c->wide, 0, sizeof(c->wide));
			c->has_wide = true;
		}
		e = &c->wide;
	}
	if (is429) {
		if (o->retry_after_s > 0) {
			secs = o->retry_after_s;
			reason = "quota_exceeded";
		} else {
			int lv = e->level > 11 ? 11 : e->level; /* 2^11 > 1800 */
			secs = (int64_t)1 << lv;
			if (secs > RR_BACKOFF_MAX_S)
				secs = RR_BACKOFF_MAX_S;
			reason = "rate_limited";
		}
		if (e->level < RR_MAX_LEVEL)
			e->level++;
	}
	if (secs > RR_MAX_COOLDOWN_S)
		secs = RR_MAX_COOLDOWN_S;
	if (secs < 1)
		secs = 1;
	until = now + secs;
	/* A longer cooldown already running stays (a quick 500 does not
	   shorten a quota cooldown). */
	if (e->until <= now || until > e->until) {
		e->until = until;
		e->reason = reason;
	}
	r = cd_save(&t, &a, state_dir, now, cand->cred->id);
out:
	close(fd);
	arena_release(&a);
	return r;
}

/* ---- State dir and listing ---------------------------------------------- */

const char *rr_state_dir(const struct config *cfg, struct arena *a)
{
	const char *auth = cfg ? cfg->auth_dir : NULL;
	size_t n = auth ? strlen(auth) : 0;
	char *base, *dir;

	while (n > 1 && auth[n - 1] == '/')
		n--;
	if (!n)
		return NULL;
	base = arena_strndup(a, auth, n);
	if (!base || fs_ensure_private_dir(base) < 0)
		return NULL;
	dir = arena_printf(a, "%s/.cliproxy", strcmp(base, "/") == 0 ? "" : base);
	if (!dir || fs_ensure_private_dir(dir) < 0)
		return NULL;
	return dir;
}

static int cmp_cooldown(const void *x, const void *y)
{
	const struct rr_cooldown *a = x, *b = y;
	int c = strcmp(a->cred_id, b->cred_id);

	if (c)
		return c;
	if (!a->model || !b->model)
		return a->model ? 1 : b->model ? -1 : 0;
	return strcmp(a->model, b->model);
}

static void to_cooldown(struct rr_cooldown *o, const char *id, const struct cd_ent *e)
{
	o->cred_id = id;
	o->model = e->model;
	o->until = e->until;
	o->reason = e->reason;
	o->level = e->level;
}

int rr_cooldowns(const char *state_dir, struct arena *a, struct rr_cooldown **ret,
		 size_t *ret_n)
{
	struct rr_cooldown *v;
	struct cd_table t;
	size_t i, k, n = 0, total = 0;
	int r;

	if (!state_dir) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	r = cd_load(&t, a, state_dir, now_s());
	if (r < 0)
		return r;
	for (i = 0; i < t.n; i++)
		total += t.v[i].has_wide + t.v[i].nm;
	v = arena_alloc(a, (total ? total : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < t.n; i++) {
		if (t.v[i].has_wide)
			to_cooldown(&v[n++], t.v[i].id, &t.v[i].wide);
		for (k = 0; k < t.v[i].nm; k++)
			to_cooldown(&v[n++], t.v[i].id, &t.v[i].m[k]);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_cooldown);
	*ret = v;
	*ret_n = n;
	return 0;
}
