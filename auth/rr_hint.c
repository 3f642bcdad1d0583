/*
 * rr_hint.c - how long an upstream asks us to wait: Retry-After values
 * (delta-seconds or IMF-fixdate) and the hints inside error bodies (Gemini
 * RetryInfo / quotaResetDelay, Codex resets_at / resets_in_seconds, "retry
 * in Ns" texts).  Refuses other date forms; results saturate at ten years
 * and are not clamped here (rr_report clamps to RR_MAX_COOLDOWN_S).
 */
#include "providers/provider.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/parse.h"

#define RR_HINT_SAT (10LL * 365 * 86400)  /* parsed hints saturate here */
#define RR_HINT_ARENA (64L * 1024 * 1024) /* scratch for one body */
#define RR_HINT_TEXT_MAX (64 * 1024)      /* free text scanned */
#define RR_HINT_BODY_MAX (1024 * 1024)    /* bigger bodies: text scan only */

/* ---- Retry hints -------------------------------------------------------- */

static int lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool is_alpha(int c)
{
	c = lc(c);
	return c >= 'a' && c <= 'z';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Length of unit word u at s (case-insensitive, not followed by a letter),
   or 0. */
static size_t unit_at(const char *s, size_t n, const char *u)
{
	size_t k = strlen(u);

	if (n < k || strn_caseprefix(s, n, u) == 0)
		return 0;
	if (n > k && is_alpha((unsigned char)s[k]))
		return 0;
	return k;
}

/* A duration at s: "37s", "3.5s", "1h2m3.5s", "500ms", "20 seconds".
   Seconds (fractional) with *used set to its length, or -1 when s does not
   start with one. */
static double parse_duration(const char *s, size_t n, size_t *used)
{
	static const struct {
		const char *u;
		double mult;
		bool word; /* may follow a space */
	} units[] = {
		{ "ms", 1e-3, false }, { "us", 1e-6, false }, { "\xc2\xb5s", 1e-6, false },
		{ "ns", 1e-9, false }, { "hours", 3600, true }, { "hour", 3600, true },
		{ "hrs", 3600, true }, { "hr", 3600, true }, { "h", 3600, false },
		{ "minutes", 60, true }, { "minute", 60, true }, { "mins", 60, true },
		{ "min", 60, true }, { "m", 60, false }, { "seconds", 1, true },
		{ "second", 1, true }, { "secs", 1, true }, { "sec", 1, true },
		{ "s", 1, false },
	};
	double total = 0;
	size_t i = 0, k;
	bool any = false;

	while (i < n && is_digit((unsigned char)s[i])) {
		double v = 0, scale = 0.1;
		size_t j = i, sp = 0;
		bool found = false;

		while (j < n && is_digit((unsigned char)s[j])) {
			if (v < 1e12)
				v = v * 10 + (s[j] - '0');
			j++;
		}
		if (j < n && s[j] == '.') {
			j++;
			while (j < n && is_digit((unsigned char)s[j])) {
				v += (s[j] - '0') * scale;
				scale /= 10;
				j++;
			}
		}
		if (j < n && s[j] == ' ')
			sp = 1;
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			size_t ul;

			if (sp && !units[k].word)
				continue;
			ul = unit_at(s + j + sp, n - j - sp, units[k].u);
			/* "1h2m": a one-letter unit may be followed by digits. */
			if (!ul)
				continue;
			total += v * units[k].mult;
			i = j + sp + ul;
			found = true;
			break;
		}
		if (!found)
			break;
		any = true;
	}
	*used = i;
	return any ? total : -1;
}

static int64_t ceil_s(double v)
{
	int64_t s;

	if (v < 0)
		return -1;
	if (v >= (double)RR_HINT_SAT)
		return RR_HINT_SAT;
	s = (int64_t)v;
	return (double)s < v ? s + 1 : s;
}

/* "after 37s", "retry in 3.5s", "try again in 20 seconds" in free text. */
static int64_t hint_from_text(const char *s, size_t n)
{
	static const char *const lead[] = { "after ", "retry in ", "again in ", "reset in ",
					    "resets in " };
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(lead) / sizeof(lead[0]); k++) {
			size_t ln = strlen(lead[k]), used;
			double d;

			if (i > 0 && is_alpha((unsigned char)s[i - 1]))
				continue;
			if (n - i < ln || !strn_caseprefix(s + i, n - i, lead[k]))
				continue;
			d = parse_duration(s + i + ln, n - i - ln, &used);
			if (d >= 0)
				return ceil_s(d);
		}
	}
	return -1;
}

static int64_t dur_member(const struct json *j, int obj, const char *name, struct arena *a)
{
	size_t n, used;
	char *s = json_str(j, json_get(j, obj, name), a, &n);
	double d;

	if (!s)
		return -1;
	/* The whole string is the duration: "3.5s", not "3.5s later". */
	d = parse_duration(s, n, &used);
	return d >= 0 && used == n ? ceil_s(d) : -1;
}

static int64_t num_member(const struct json *j, int obj, const char *name)
{
	double d;
	int i = json_get(j, obj, name);

	if (json_kind(j, i) != JSON_NUMBER || json_double(j, i, &d) < 0 || d != d)
		return -1;
	if (d < 0)
		return 0;
	return ceil_s(d);
}

int64_t rr_hint_from_body(const char *body, size_t n, int64_t now_unix)
{
	struct arena a;
	struct json j;
	int64_t r = -1;
	int root, err, det, d;
	char *msg;

	if (!body || !n)
		return -1;
	if (n > RR_HINT_BODY_MAX)
		return hint_from_text(body, RR_HINT_TEXT_MAX);
	arena_init(&a, RR_HINT_ARENA);
	if (json_parse(&j, &a, body, n) < 0) {
		r = hint_from_text(body, n < RR_HINT_TEXT_MAX ? n : RR_HINT_TEXT_MAX);
		goto out;
	}
	root = json_kind(&j, 0) == JSON_ARRAY ? json_at(&j, 0, 0) : 0;
	err = json_get(&j, root, "error");
	if (json_kind(&j, err) != JSON_OBJECT)
		err = root;
	det = json_get(&j, err, "details");
	for (d = json_first(&j, det); d >= 0 && r < 0; d = json_after(&j, d)) {
		char *type = json_gets(&j, d, "@type", &a);
		if (type && strstr(type, "RetryInfo"))
			r = dur_member(&j, d, "retryDelay", &a);
	}
	for (d = json_first(&j, det); d >= 0 && r < 0; d = json_after(&j, d))
		r = dur_member(&j, json_get(&j, d, "metadata"), "quotaResetDelay", &a);
	if (r < 0)
		r = num_member(&j, err, "resets_in_seconds");
	if (r < 0) {
		int64_t at;
		if (json_int(&j, json_get(&j, err, "resets_at"), &at) == 0 && at >= 0)
			r = at <= now_unix ? 0 : at - now_unix > RR_HINT_SAT ? RR_HINT_SAT
									  : at - now_unix;
	}
	if (r < 0) {
		size_t mn;
		msg = json_str(&j, json_get(&j, err, "message"), &a, &mn);
		if (msg)
			r = hint_from_text(msg, mn);
	}
out:
	arena_release(&a);
	return r;
}

/* ---- Retry-After -------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int two(const char *s, uint64_t max, uint64_t *v)
{
	return parse_u64(s, 2, max, v);
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" -> unix time, or -1. */
static int64_t imf_fixdate(const char *s, size_t n)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	uint64_t day, year, hh, mm, ss;
	size_t i;
	int mon = -1;

	if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' ||
	    memcmp(s + 26, "GMT", 3) != 0)
		return -1;
	for (i = 0; i < 7; i++)
		if (memcmp(s, days[i], 3) == 0)
			break;
	if (i == 7)
		return -1;
	for (i = 0; i < 12; i++)
		if (memcmp(s + 8, mons[i], 3) == 0)
			mon = (int)i;
	if (mon < 0 || two(s + 5, 31, &day) < 0 || day < 1 || (int)day > mdays[mon] ||
	    parse_u64(s + 12, 4, 9999, &year) < 0 || two(s + 17, 23, &hh) < 0 ||
	    two(s + 20, 59, &mm) < 0 || two(s + 23, 60, &ss) < 0)
		return -1;
	if (mon == 1 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return -1;
	return days_from_civil((int64_t)year, mon + 1, (int64_t)day) * 86400 +
	       (int64_t)(hh * 3600 + mm * 60 + ss);
}

int64_t rr_parse_retry_after(const char *value, int64_t now_unix)
{
	size_t b = 0, e;
	uint64_t v;
	int64_t t;
	int r;

	if (!value)
		return -1;
	e = strlen(value);
	while (b < e && (value[b] == ' ' || value[b] == '\t'))
		b++;
	while (e > b && (value[e - 1] == ' ' || value[e - 1] == '\t'))
		e--;
	if (b == e)
		return -1;
	if (is_digit((unsigned char)value[b])) {
		r = parse_u64(value + b, e - b, UINT64_MAX, &v);
		if (r == -ERANGE)
			return RR_HINT_SAT;
		if (r == 0)
			return v > (uint64_t)RR_HINT_SAT ? RR_HINT_SAT : (int64_t)v;
		return -1; /* digits then junk; a date starts with a day name */
	}
	t = imf_fixdate(value + b, e - b);
	if (t < 0)
		return -1;
	if (t <= now_unix)
		return 0;
	return t - now_unix > RR_HINT_SAT ? RR_HINT_SAT : t - now_unix;
}
