/*
 * store_util.c - the small pieces around credential files: RFC 3339 times
 * (parsed with offsets and fractions, written in UTC), the original's file
 * names (unsafe bytes replaced), printable copies of untrusted text, and
 * the per-credential lock on a side file in <dir>/.cliproxy (polled with
 * LOCK_NB up to a deadline, never on the credential's own inode).
 */
#include "auth/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/digest.h"
#include "core/fsutil.h"
#include "core/parse.h"

/* ---- Times -------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, size_t at, size_t k, uint64_t max, uint64_t *ret)
{
	if (at + k > n)
		return -EINVAL;
	return parse_u64(s + at, k, max, ret) < 0 ? -EINVAL : 0;
}

int auth_time_parse(const char *s, size_t n, int64_t *ret)
{
	uint64_t y, mo, d, h, mi, sec = 0, oh, om;
	size_t p;
	int64_t t, off = 0;
	static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (digits(s, n, 0, 4, 9999, &y) || n < 16 || s[4] != '-' ||
	    digits(s, n, 5, 2, 12, &mo) || s[7] != '-' || digits(s, n, 8, 2, 31, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s, n, 11, 2, 23, &h) ||
	    s[13] != ':' || digits(s, n, 14, 2, 59, &mi))
		return -EINVAL;
	if (mo == 0 || d == 0 || d > mdays[mo - 1])
		return -EINVAL;
	p = 16;
	if (p < n && s[p] == ':') {
		if (digits(s, n, p + 1, 2, 60, &sec))
			return -EINVAL;
		p += 3;
		if (p < n && (s[p] == '.' || s[p] == ',')) {
			p++;
			if (p >= n || s[p] < '0' || s[p] > '9')
				return -EINVAL;
			while (p < n && s[p] >= '0' && s[p] <= '9')
				p++;
		}
	}
	if (p < n && s[p] == ' ')
		p++;
	if (p < n && (s[p] == 'Z' || s[p] == 'z')) {
		p++;
	} else if (p < n && (s[p] == '+' || s[p] == '-')) {
		int sign = s[p] == '-' ? -1 : 1;
		if (digits(s, n, p + 1, 2, 23, &oh))
			return -EINVAL;
		p += 3;
		if (p < n && s[p] == ':')
			p++;
		if (digits(s, n, p, 2, 59, &om))
			return -EINVAL;
		p += 2;
		off = sign * (int64_t)(oh * 3600 + om * 60);
	}
	if (p != n)
		return -EINVAL;
	t = days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d) * 86400 +
	    (int64_t)(h * 3600 + mi * 60 + (sec > 59 ? 59 : sec)) - off;
	*ret = t;
	return 0;
}

char *auth_time_format(struct arena *a, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char out[40];

	if (!gmtime_r(&tt, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return NULL;
	snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return arena_strdup(a, out);
}

/* ---- Names -------------------------------------------------------------- */

static char *safe_part(struct arena *a, const char *s)
{
	char *d = arena_strdup(a, s ? s : "");

	for (char *p = d; p && *p; p++)
		if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	if (d && d[0] == '.')
		d[0] = '_';
	return d;
}

char *auth_file_name(struct arena *a, const struct auth_name *n)
{
	const char *email, *part;
	char h8[9];

	if (!n->email || !*n->email)
		return NULL;
	email = safe_part(a, n->email);
	if (!email)
		return NULL;
	switch (n->kind) {
	case AUTH_GEMINI:
		if (n->all_projects)
			return arena_printf(a, "gemini-%s-all.json", email);
		part = safe_part(a, n->project);
		if (!part)
			return NULL;
		return *part ? arena_printf(a, "gemini-%s-%s.json", email, part)
			     : arena_printf(a, "gemini-%s.json", email);
	case AUTH_CODEX:
		if (!n->plan || !*n->plan)
			return arena_printf(a, "codex-%s.json", email);
		part = safe_part(a, n->plan);
		if (!part)
			return NULL;
		if (strcmp(n->plan, "team") == 0 && n->account_id && *n->account_id) {
			digest_sha256_hex(n->account_id, strlen(n->account_id), 4, h8);
			return arena_printf(a, "codex-%s-%s-team.json", h8, email);
		}
		return arena_printf(a, "codex-%s-%s.json", email, part);
	default:
		return arena_printf(a, "%s-%s.json", auth_kind_name(n->kind), email);
	}
}

/* ---- Printable text ----------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t k, i;
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return k;
}

char *auth_printable(struct arena *a, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "-");
	size_t n = strlen((const char *)p), i = 0, o = 0;
	char *out = arena_alloc(a, (max < n ? max : n) + 4);

	if (!out)
		return NULL;
	while (i < n) {
		size_t k = utf8_len(p + i, n - i);
		if (o + (k ? k : 1) > max) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (k == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			out[o++] = '?';
		} else if (k == 0) {
			out[o++] = '?';
			k = 1;
		} else {
			memcpy(out + o, p + i, k);
			o += k;
		}
		i += k;
	}
	out[o] = 0;
	return out;
}

/* ---- Locks -------------------------------------------------------------- */

int auth_lock(const char *path, int wait_ms)
{
	char dir[4096], lock[4352];
	const char *slash = strrchr(path, '/');
	struct timespec ts;
	int fd, r, slept = 0, step = 2;

	if (wait_ms <= 0)
		wait_ms = AUTH_LOCK_WAIT_MS;
	if (slash) {
		if ((size_t)(slash - path) >= sizeof(dir) - 16)
			return -ENAMETOOLONG;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = 0;
		if (!dir[0])
			memcpy(dir, "/", 2);
	} else {
		memcpy(dir, ".", 2);
	}
	memcpy(dir + strlen(dir), "/.cliproxy", sizeof("/.cliproxy"));
	r = fs_ensure_private_dir(dir);
	if (r < 0)
		return r;
	if ((size_t)snprintf(lock, sizeof(lock), "%s/%s.lock", dir, slash ? slash + 1 : path) >=
	    sizeof(lock))
		return -ENAMETOOLONG;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			r = -errno;
			close(fd);
			return r;
		}
		if (slept >= wait_ms) {
			close(fd);
			return -ETIMEDOUT;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		nanosleep(&ts, NULL);
		slept += step;
		if (step < 25)
			step += step / 2 + 1;
	}
}

int auth_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
	return -1;
}
