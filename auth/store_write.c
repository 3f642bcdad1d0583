/*
 * store_write.c - writing credential files: an update is merged into the
 * original text member by member (untouched members copied byte for byte,
 * key order kept, new members appended), then the file is replaced through
 * fs_write_atomic, 0600 in a 0700 directory.  Everything that holds a token
 * lives in the secrets arena.  Refuses texts over AUTH_FILE_MAX.
 */
#include "auth/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/jsonw.h"

/* One member to set (json = the value's JSON text) or remove (json NULL). */
struct change {
	const char *key;
	const char *json;
	size_t len;
	bool done;
};

struct changes {
	struct change v[48];
	size_t n;
	struct arena *a; /* the secrets arena */
	int err;
};

static void put_raw(struct changes *c, const char *key, const char *json, size_t len)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0)
			break;
	if (i == c->n) {
		if (c->n == sizeof(c->v) / sizeof(c->v[0])) {
			c->err = -E2BIG;
			return;
		}
		c->n++;
	}
	c->v[i].key = key;
	c->v[i].json = json;
	c->v[i].len = json ? len : 0;
	c->v[i].done = false;
}

static void put_str(struct changes *c, const char *key, const char *s)
{
	struct buf b;

	buf_init(&b, c->a, AUTH_FILE_MAX);
	if (json_escape(&b, s, strlen(s)) < 0) {
		c->err = b.err ? b.err : -ENOMEM;
		return;
	}
	put_raw(c, key, b.p, b.len);
}

static void put_lit(struct changes *c, const char *key, const char *lit)
{
	put_raw(c, key, lit, strlen(lit));
}

static void put_int(struct changes *c, const char *key, int64_t v)
{
	char *s = arena_printf(c->a, "%lld", (long long)v);

	if (!s)
		c->err = -ENOMEM;
	else
		put_lit(c, key, s);
}

static void put_time(struct changes *c, const char *key, int64_t t)
{
	char *s = auth_time_format(c->a, t);

	if (!s)
		c->err = -ENOMEM;
	else
		put_str(c, key, s);
}

/* The members of object obj of j with c applied, as one object text in b. */
static int merge_object(struct buf *b, const struct json *j, int obj, struct changes *c)
{
	bool first = true;
	size_t i, kn, vn;
	const char *kt, *vt;
	int k;

	buf_addc(b, '{');
	for (k = obj >= 0 ? json_first(j, obj) : -1; k >= 0; k = json_after(j, k)) {
		struct change *ch = NULL;
		size_t ukn;
		char *uk = json_str(j, k, c->a, &ukn);

		if (!uk)
			return -ENOMEM;
		for (i = 0; i < c->n; i++)
			if (strlen(c->v[i].key) == ukn && memcmp(c->v[i].key, uk, ukn) == 0)
				ch = &c->v[i];
		if (ch && !ch->json) {
			ch->done = true;
			continue;
		}
		kt = json_text(j, k, &kn);
		if (ch) {
			vt = ch->json;
			vn = ch->len;
			ch->done = true;
		} else {
			vt = json_text(j, k + 1, &vn);
		}
		if (!first)
			buf_addc(b, ',');
		first = false;
		buf_add(b, kt, kn);
		buf_addc(b, ':');
		buf_add(b, vt, vn);
	}
	for (i = 0; i < c->n; i++) {
		if (c->v[i].done || !c->v[i].json)
			continue;
		if (!first)
			buf_addc(b, ',');
		first = false;
		json_escape(b, c->v[i].key, strlen(c->v[i].key));
		buf_addc(b, ':');
		buf_add(b, c->v[i].json, c->v[i].len);
	}
	buf_addc(b, '}');
	return b->err;
}

/* An expiry member already present in its own format: RFC 3339 text for a
   string, seconds or milliseconds (as before) for a number. */
static void put_expiry_like(struct changes *c, const struct json *j, int obj, const char *key,
			    int64_t t)
{
	int i = json_get(j, obj, key);
	int64_t old;

	if (i < 0)
		return;
	if (json_kind(j, i) == JSON_NUMBER)
		put_int(c, key, json_int(j, i, &old) == 0 && old > 100000000000LL ? t * 1000 : t);
	else
		put_time(c, key, t);
}

int auth_merge(const struct auth_file *f, const struct auth_update *u, struct arena *secrets,
	       char **ret, size_t *ret_len)
{
	struct arena scratch;
	struct changes top, tok;
	struct json j;
	struct buf b, tb;
	bool gemini = f->kind == AUTH_GEMINI;
	int r, ti;
	size_t k;

	if (!f->json)
		return -EINVAL;
	arena_init_secret(&scratch, 4L * 1024 * 1024);
	memset(&top, 0, sizeof(top));
	memset(&tok, 0, sizeof(tok));
	top.a = tok.a = &scratch;
	r = json_parse(&j, &scratch, f->json, f->json_len);
	if (r < 0 || json_kind(&j, 0) != JSON_OBJECT) {
		r = r == -ENOMEM || r == -E2BIG ? r : -EINVAL;
		goto out;
	}
	ti = json_get(&j, 0, "token");

	if (u->access_token) {
		put_str(&top, "access_token", u->access_token);
		if (gemini)
			put_str(&tok, "access_token", u->access_token);
	}
	if (u->refresh_token) {
		put_str(&top, "refresh_token", u->refresh_token);
		if (gemini)
			put_str(&tok, "refresh_token", u->refresh_token);
	}
	if (u->id_token && !gemini)
		put_str(&top, "id_token", u->id_token);
	if (u->expiry > 0) {
		for (k = 0; auth_expiry_keys[k]; k++)
			put_expiry_like(&top, &j, 0, auth_expiry_keys[k], u->expiry);
		if (gemini) {
			put_time(&top, "expiry", u->expiry);
			put_time(&tok, "expiry", u->expiry);
		} else {
			put_time(&top, "expired", u->expiry);
		}
	}
	if (u->last_refresh > 0 && (!gemini || json_get(&j, 0, "last_refresh") >= 0))
		put_time(&top, "last_refresh", u->last_refresh);
	if (u->email)
		put_str(&top, "email", u->email);
	if (u->account_id)
		put_str(&top, "account_id", u->account_id);
	if (u->disabled == AUTH_SET) {
		put_lit(&top, "disabled", "true");
		put_str(&top, "disabled_reason", u->disabled_reason ? u->disabled_reason : "disabled");
	} else if (u->disabled == AUTH_CLEAR) {
		put_lit(&top, "disabled", "false");
		put_raw(&top, "disabled_reason", NULL, 0);
	}
	if (u->refresh_state == AUTH_SET) {
		put_time(&top, "refresh_retry_at", u->refresh_retry_at);
		put_int(&top, "refresh_failures", u->refresh_failures);
		put_str(&top, "refresh_error", u->refresh_error ? u->refresh_error : "");
	} else if (u->refresh_state == AUTH_CLEAR) {
		put_raw(&top, "refresh_retry_at", NULL, 0);
		put_raw(&top, "refresh_failures", NULL, 0);
		put_raw(&top, "refresh_error", NULL, 0);
	}
	if (gemini && tok.n) {
		buf_init(&tb, &scratch, AUTH_FILE_MAX);
		r = merge_object(&tb, &j, json_kind(&j, ti) == JSON_OBJECT ? ti : -1, &tok);
		if (r < 0 || tok.err < 0) {
			r = r < 0 ? r : tok.err;
			goto out;
		}
		put_raw(&top, "token", tb.p, tb.len);
	}
	for (k = 0; k < u->nextra; k++) {
		if (!u->extra[k].key)
			continue;
		put_raw(&top, u->extra[k].key, u->extra[k].json,
			u->extra[k].json ? strlen(u->extra[k].json) : 0);
	}
	if (top.err < 0) {
		r = top.err;
		goto out;
	}
	buf_init(&b, &scratch, AUTH_FILE_MAX);
	r = merge_object(&b, &j, 0, &top);
	if (r == 0)
		r = buf_addc(&b, '\n');
	if (r < 0)
		goto out;
	/* The result must still be a credential: parse it back. */
	{
		struct json chk;
		r = json_parse(&chk, &scratch, b.p, b.len);
		if (r < 0 || json_kind(&chk, 0) != JSON_OBJECT || json_kind(&chk, json_get(&chk, 0, "type")) != JSON_STRING) {
			r = -EINVAL;
			goto out;
		}
	}
	*ret = arena_strndup(secrets, b.p, b.len);
	*ret_len = b.len;
	r = *ret ? 0 : -ENOMEM;
out:
	arena_release(&scratch);
	return r;
}

static int dir_of(const char *path, char *out, size_t outsz)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		memcpy(out, ".", 2);
		return 0;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1;
	if (n >= outsz)
		return -ENAMETOOLONG;
	memcpy(out, path, n);
	out[n] = 0;
	return 0;
}

/* Temp files "<name>.tmp.*" of a writer killed between create and rename
   (fs_write_atomic's names).  Only called under the file's lock, so no
   live writer of ours owns one. */
static void sweep_temps(const char *dir, const char *name)
{
	size_t n = strlen(name);
	struct dirent *de;
	DIR *d = opendir(dir);
	int dfd;

	if (!d)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, name, n) == 0 && strncmp(de->d_name + n, ".tmp.", 5) == 0)
			unlinkat(dfd, de->d_name, 0);
	closedir(d);
}

int auth_write(const char *path, const char *text, size_t len)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int r;

	if (len > AUTH_FILE_MAX)
		return -E2BIG;
	r = dir_of(path, dir, sizeof(dir));
	if (r == 0)
		r = fs_ensure_private_dir(dir);
	if (r == 0) {
		sweep_temps(dir, slash ? slash + 1 : path);
		r = fs_write_atomic(path, text, len);
	}
	return r;
}

int auth_save(struct auth_file *f, const struct auth_update *u, struct arena *a,
	      struct arena *secrets)
{
	struct auth_file nf;
	char *text;
	size_t len;
	int r;

	r = auth_merge(f, u, secrets, &text, &len);
	if (r < 0)
		return r;
	r = auth_write(f->path, text, len);
	if (r < 0)
		return r;
	r = auth_parse(&nf, f->path, text, len, a, secrets);
	if (r < 0)
		return r;
	nf.mode = 0600;
	*f = nf;
	return 0;
}

int auth_store_new(const char *dir, const char *name, const char *text, size_t len,
		   struct arena *a, const char **ret_path)
{
	struct auth_file f;
	struct arena scratch;
	char *path;
	size_t n = name ? strlen(name) : 0;
	int r, fd;

	if (!dir || !*dir || n < 6 || strchr(name, '/') || name[0] == '.' ||
	    strcmp(name + n - 5, ".json") != 0)
		return -EINVAL;
	arena_init_secret(&scratch, 4L * 1024 * 1024);
	r = auth_parse(&f, name, text, len, &scratch, NULL);
	arena_release(&scratch);
	if (r < 0)
		return -EINVAL;
	path = arena_printf(a, "%s/%s", dir, name);
	if (!path)
		return -ENOMEM;
	r = fs_ensure_private_dir(dir);
	if (r < 0)
		return r;
	fd = auth_lock(path, 0);
	if (fd < 0)
		return fd;
	r = auth_write(path, text, len);
	auth_unlock(fd);
	if (r == 0 && ret_path)
		*ret_path = path;
	return r;
}
