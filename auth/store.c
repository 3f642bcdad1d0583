/*
 * store.c - reading credential files: parse any provider's JSON file into a
 * struct auth_file (unknown members ignored, never an error), load one file
 * (regular, <= AUTH_FILE_MAX, not group/world-writable), scan an auth-dir
 * (at most AUTH_DIR_MAX files, sorted by name).  Secrets go only to the
 * caller's secrets arena or to a wiped scratch arena.
 */
#include "auth/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/parse.h"

/* Scratch for one file read without a secrets arena (text + JSON tokens). */
#define AUTH_SCRATCH_CAP (4L * 1024 * 1024)

static const char *const kind_names[] = {
	[AUTH_UNKNOWN] = "unknown", [AUTH_GEMINI] = "gemini", [AUTH_CODEX] = "codex",
	[AUTH_CLAUDE] = "claude", [AUTH_QWEN] = "qwen", [AUTH_IFLOW] = "iflow",
	[AUTH_ANTIGRAVITY] = "antigravity", [AUTH_VERTEX] = "vertex", [AUTH_KIMI] = "kimi",
	[AUTH_KIRO] = "kiro",
};

#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

const char *auth_kind_name(enum auth_kind k)
{
	if ((size_t)k >= NKINDS)
		return "unknown";
	return kind_names[k];
}

enum auth_kind auth_kind_from_type(const char *type)
{
	size_t i;

	if (!type)
		return AUTH_UNKNOWN;
	for (i = 1; i < NKINDS; i++)
		if (strcmp(type, kind_names[i]) == 0)
			return (enum auth_kind)i;
	return AUTH_UNKNOWN;
}

/* ---- Parsing ------------------------------------------------------------ */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A string member without NUL bytes, non-empty, copied to a; else NULL. */
static const char *str_at(const struct json *j, int i, struct arena *a)
{
	size_t n;
	char *s;

	if (!a || json_kind(j, i) != JSON_STRING)
		return NULL;
	s = json_str(j, i, a, &n);
	if (!s || n == 0 || strlen(s) != n)
		return NULL;
	return s;
}

static const char *str_member(const struct json *j, int obj, const char *key, struct arena *a)
{
	return str_at(j, json_get(j, obj, key), a);
}

static bool bool_member(const struct json *j, int obj, const char *key)
{
	int i = json_get(j, obj, key);

	if (json_kind(j, i) == JSON_STRING)
		return json_streq(j, i, "true");
	return json_truthy(j, i);
}

/* An integer member: a number, or a string of digits. */
static int int_member(const struct json *j, int obj, const char *key, int64_t *ret)
{
	int i = json_get(j, obj, key);
	size_t n;
	const char *s;
	double dv;

	if (json_kind(j, i) == JSON_NUMBER) {
		if (json_int(j, i, ret) == 0)
			return 0;
		if (json_double(j, i, &dv) == 0 && dv > -9e15 && dv < 9e15) {
			*ret = (int64_t)dv;
			return 0;
		}
		return -EINVAL;
	}
	if (json_kind(j, i) == JSON_STRING) {
		s = json_raw(j, i, &n);
		return parse_i64(s, n, INT64_MIN / 2, INT64_MAX / 2, ret);
	}
	return -ENOENT;
}

/* A time member: RFC 3339 text, or a number of seconds (milliseconds when
   larger than 1e11).  0 (unknown) when absent, bad or before 1971. */
static int64_t time_at(const struct json *j, int i)
{
	int64_t t = 0;
	size_t n;
	const char *s;
	double dv;

	switch (json_kind(j, i)) {
	case JSON_STRING:
		s = json_raw(j, i, &n);
		if (auth_time_parse(s, n, &t) < 0) {
			/* a number in a string */
			if (parse_i64(s, n, 0, INT64_MAX / 2, &t) < 0)
				return 0;
			if (t > 100000000000LL)
				t /= 1000;
		}
		break;
	case JSON_NUMBER:
		if (json_int(j, i, &t) < 0) {
			if (json_double(j, i, &dv) < 0 || dv < 0 || dv > 9e15)
				return 0;
			t = (int64_t)dv;
		}
		if (t > 100000000000LL)
			t /= 1000;
		break;
	default:
		return 0;
	}
	return t > 31536000 ? t : 0;
}

/* The expiry members the original reads, in its order (SPEC §3.10). */
const char *const auth_expiry_keys[] = { "expired", "expire", "expires_at", "expiresAt",
					 "expiry", "expires", NULL };

static int64_t expiry_of(const struct json *j, int tok)
{
	int64_t t;
	size_t k;

	if (json_kind(j, tok) == JSON_OBJECT) {
		t = time_at(j, json_get(j, tok, "expiry"));
		if (t)
			return t;
	}
	for (k = 0; auth_expiry_keys[k]; k++) {
		t = time_at(j, json_get(j, 0, auth_expiry_keys[k]));
		if (t)
			return t;
	}
	return 0;
}

static char *lower_dup(struct arena *a, const char *s)
{
	char *d = arena_strdup(a, s);

	for (char *p = d; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

static int parse_lists(struct auth_file *f, const struct json *j, struct arena *a)
{
	int h = json_get(j, 0, "headers"), ex, k;
	size_t n = 0;

	if (json_kind(j, h) == JSON_OBJECT && json_size(j, h) > 0) {
		f->headers.v = arena_zalloc(a, (size_t)json_size(j, h) * sizeof(*f->headers.v));
		if (!f->headers.v)
			return -ENOMEM;
		for (k = json_first(j, h); k >= 0; k = json_after(j, k)) {
			const char *name = str_at(j, k, a), *val = str_at(j, k + 1, a);
			if (!name || !val || strpbrk(name, "\r\n:") || strpbrk(val, "\r\n"))
				continue;
			f->headers.v[n].key = name;
			f->headers.v[n].value = val;
			n++;
		}
		f->headers.n = n;
	}
	ex = json_get(j, 0, "excluded_models");
	if (ex < 0)
		ex = json_get(j, 0, "excluded-models");
	n = 0;
	if (json_kind(j, ex) == JSON_ARRAY && json_size(j, ex) > 0) {
		f->excluded_models.v = arena_zalloc(a, (size_t)json_size(j, ex) * sizeof(char *));
		if (!f->excluded_models.v)
			return -ENOMEM;
		for (k = json_first(j, ex); k >= 0; k = json_after(j, k)) {
			const char *s = str_at(j, k, a);
			if (s && !(f->excluded_models.v[n++] = lower_dup(a, s)))
				return -ENOMEM;
		}
		f->excluded_models.n = n;
	}
	return 0;
}

/* Split project_id on ',' (trimmed, empty items dropped). */
static int split_projects(struct auth_file *f, struct arena *a)
{
	const char *s = f->project_id, *p, *e;
	const char **v;
	size_t cap = 1, n = 0;

	if (!s)
		return 0;
	for (p = s; *p; p++)
		cap += *p == ',';
	v = arena_zalloc(a, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (p = s;; p = e + 1) {
		const char *b = p;
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		const char *q = e;
		while (b < q && (*b == ' ' || *b == '\t'))
			b++;
		while (q > b && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		if (q > b && !(v[n++] = arena_strndup(a, b, (size_t)(q - b))))
			return -ENOMEM;
		if (!*e)
			break;
	}
	f->projects = v;
	f->nprojects = n;
	return 0;
}

int auth_parse(struct auth_file *f, const char *path, const char *text, size_t len,
	       struct arena *a, struct arena *secrets)
{
	struct arena scratch;
	struct json j;
	int tok, r;
	int64_t v;

	memset(f, 0, sizeof(*f));
	f->path = arena_strdup(a, path ? path : "");
	f->name = f->path ? base_name(f->path) : NULL;
	f->request_retry = -1;
	if (!f->path)
		return -ENOMEM;
	if (len > AUTH_FILE_MAX)
		return -E2BIG;
	/* The parse (token arrays, unescaped scratch) lives in a wiped arena of
	   its own: only what f keeps reaches a and secrets. */
	arena_init_secret(&scratch, AUTH_SCRATCH_CAP);
	r = json_parse(&j, &scratch, text, len);
	if (r < 0 || json_kind(&j, 0) != JSON_OBJECT) {
		r = r == -E2BIG || r == -ENOMEM ? r : -EINVAL;
		goto out;
	}
	f->type = str_member(&j, 0, "type", a);
	if (!f->type) {
		r = -ENOMSG;
		goto out;
	}
	r = -ENOMEM;
	f->kind = auth_kind_from_type(f->type);
	f->email = str_member(&j, 0, "email", a);
	f->label = f->email ? f->email : f->name;
	f->disabled = bool_member(&j, 0, "disabled");
	f->disabled_reason = str_member(&j, 0, "disabled_reason", a);
	tok = json_get(&j, 0, "token");
	f->expiry = expiry_of(&j, f->kind == AUTH_GEMINI ? tok : -1);
	f->last_refresh = time_at(&j, json_get(&j, 0, "last_refresh"));
	if (int_member(&j, 0, "refresh_interval_seconds", &v) == 0 && v > 0)
		f->refresh_interval = v;
	f->refresh_retry_at = time_at(&j, json_get(&j, 0, "refresh_retry_at"));
	if (int_member(&j, 0, "refresh_failures", &v) == 0 && v > 0 && v < 1000000)
		f->refresh_failures = (int)v;
	f->refresh_error = str_member(&j, 0, "refresh_error", a);

	if (secrets) {
		if (f->kind == AUTH_GEMINI && json_kind(&j, tok) == JSON_OBJECT) {
			f->access_token = str_member(&j, tok, "access_token", secrets);
			f->refresh_token = str_member(&j, tok, "refresh_token", secrets);
			f->client_secret = str_member(&j, tok, "client_secret", secrets);
		}
		if (!f->access_token)
			f->access_token = str_member(&j, 0, "access_token", secrets);
		if (!f->refresh_token)
			f->refresh_token = str_member(&j, 0, "refresh_token", secrets);
		f->id_token = str_member(&j, 0, "id_token", secrets);
		f->json = arena_strndup(secrets, text, len);
		f->json_len = len;
		if (!f->json)
			goto out;
	}
	if (f->kind == AUTH_GEMINI) {
		f->project_id = str_member(&j, 0, "project_id", a);
		f->gemini_auto = bool_member(&j, 0, "auto");
		f->gemini_checked = bool_member(&j, 0, "checked");
		if (json_kind(&j, tok) == JSON_OBJECT) {
			f->client_id = str_member(&j, tok, "client_id", a);
			f->token_uri = str_member(&j, tok, "token_uri", a);
		}
		if (split_projects(f, a) < 0)
			goto out;
	}
	f->account_id = str_member(&j, 0, "account_id", a);
	f->resource_url = str_member(&j, 0, "resource_url", a);
	f->proxy_url = str_member(&j, 0, "proxy_url", a);
	f->prefix = str_member(&j, 0, "prefix", a);
	f->base_url = str_member(&j, 0, "base_url", a);
	f->note = str_member(&j, 0, "note", a);
	if (int_member(&j, 0, "priority", &v) == 0 && v > -1000000 && v < 1000000)
		f->priority = (int)v;
	if (int_member(&j, 0, "request_retry", &v) == 0 && v >= 0 && v < 1000)
		f->request_retry = (int)v;
	f->disable_cooling = bool_member(&j, 0, "disable_cooling");
	f->websockets = bool_member(&j, 0, "websockets");
	f->tool_prefix_disabled = bool_member(&j, 0, "tool_prefix_disabled");
	if (parse_lists(f, &j, a) < 0)
		goto out;
	r = 0;
out:
	arena_release(&scratch);
	if (r < 0) {
		const char *p = f->path, *n = f->name;
		memset(f, 0, sizeof(*f));
		f->path = p;
		f->name = n;
		f->request_retry = -1;
	}
	return r;
}

/* ---- Loading ------------------------------------------------------------ */

int auth_load(struct auth_file *f, const char *path, struct arena *a, struct arena *secrets)
{
	struct arena scratch;
	struct stat st;
	char *text;
	size_t len = 0;
	unsigned mode;
	int fd, r;

	memset(f, 0, sizeof(*f));
	f->path = arena_strdup(a, path);
	if (!f->path)
		return -ENOMEM;
	f->name = base_name(f->path);
	f->request_retry = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	mode = (unsigned)st.st_mode & 07777;
	f->mode = mode;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if (mode & 022) {
		close(fd);
		return -EPERM;
	}
	if (st.st_size > AUTH_FILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	/* The text is a secret: read into a wiped scratch arena; auth_parse
	   copies what is kept. */
	arena_init_secret(&scratch, AUTH_SCRATCH_CAP);
	text = arena_alloc(&scratch, (size_t)st.st_size + 1);
	r = text ? 0 : -ENOMEM;
	while (r == 0) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else if (n == 0)
			break;
		else if ((len += (size_t)n) > (size_t)st.st_size)
			r = -EFBIG; /* grew while we read: a writer not using rename */
	}
	close(fd);
	if (r == 0) {
		r = auth_parse(f, path, text, len, a, secrets);
		f->mode = mode;
	}
	arena_release(&scratch);
	return r;
}

bool auth_mode_private(const struct auth_file *f)
{
	return (f->mode & 077) == 0;
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static bool json_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && len > 5 && strcasecmp(n + len - 5, ".json") == 0;
}

int auth_scan(const char *dir, struct arena *a, struct auth_file **ret, size_t *ret_n)
{
	DIR *d;
	struct dirent *de;
	const char **names = NULL;
	struct auth_file *v;
	size_t n = 0, cap = 0, k = 0, i;
	int r = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!dir || !*dir)
		return 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!json_name(de->d_name))
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
			continue;
		if (n == AUTH_DIR_MAX) {
			r = -E2BIG;
			break;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			const char **nv = arena_realloc(a, names, cap * sizeof(*names), nc * sizeof(*names));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			names = nv;
			cap = nc;
		}
		if (!(names[n++] = arena_strdup(a, de->d_name))) {
			r = -ENOMEM;
			break;
		}
	}
	closedir(d);
	if (r < 0 || n == 0)
		return r;
	qsort(names, n, sizeof(*names), cmp_names);
	v = arena_zalloc(a, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		char *path = arena_printf(a, "%s/%s", dir, names[i]);
		if (!path)
			return -ENOMEM;
		r = auth_load(&v[k], path, a, NULL);
		if (r == -ENOMSG || r == -EISDIR || r == -ENOENT)
			continue; /* not a credential, or gone meanwhile */
		if (r == -ENOMEM)
			return r;
		v[k].err = r;
		k++;
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

