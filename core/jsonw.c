/*
 * jsonw.c - JSON writer into a bounded buf: commas, nesting and escaping are
 * automatic, so the output is valid JSON whatever bytes the strings hold.
 * Refuses (sticky w->err) a key outside an object, a value where a key is
 * due, a second top-level value (-EINVAL) and nesting past JSONW_MAX_DEPTH
 * (-E2BIG).  One document per jw_init; the buf's ceiling bounds the output.
 */
#include "core/jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* w->first[d] bits: nothing written yet at depth d / depth d is an object. */
#define JW_FIRST 1
#define JW_OBJ 2

void jw_init(struct jsonw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = JW_FIRST;
}

static void jw_fail(struct jsonw *w, int err)
{
	if (!w->err)
		w->err = err;
}

static void jw_put(struct jsonw *w, const char *s, size_t n)
{
	int r;

	if (w->err)
		return;
	r = buf_add(w->b, s, n);
	if (r < 0)
		jw_fail(w, r);
}

/* Before any value: separator, or refuse if a key is due. */
static int jw_pre_value(struct jsonw *w)
{
	unsigned char *f = &w->first[w->depth];

	if (w->err)
		return -1;
	if (w->depth == 0) {
		if (!(*f & JW_FIRST)) {
			jw_fail(w, -EINVAL);
			return -1;
		}
	} else if (*f & JW_OBJ) {
		if (!w->after_key) {
			jw_fail(w, -EINVAL);
			return -1;
		}
		w->after_key = 0;
	} else if (!(*f & JW_FIRST)) {
		jw_put(w, ",", 1);
	}
	*f &= (unsigned char)~JW_FIRST;
	return w->err ? -1 : 0;
}

static void jw_open(struct jsonw *w, bool obj)
{
	if (jw_pre_value(w) < 0)
		return;
	if (w->depth >= JSONW_MAX_DEPTH) {
		jw_fail(w, -E2BIG);
		return;
	}
	jw_put(w, obj ? "{" : "[", 1);
	w->depth++;
	w->first[w->depth] = (unsigned char)(JW_FIRST | (obj ? JW_OBJ : 0));
}

void jw_obj(struct jsonw *w) { jw_open(w, true); }
void jw_arr(struct jsonw *w) { jw_open(w, false); }

void jw_end(struct jsonw *w)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->after_key) {
		jw_fail(w, -EINVAL);
		return;
	}
	jw_put(w, (w->first[w->depth] & JW_OBJ) ? "}" : "]", 1);
	w->depth--;
}

void jw_keyn(struct jsonw *w, const char *key, size_t n)
{
	unsigned char *f = &w->first[w->depth];
	int r;

	if (w->err)
		return;
	if (w->depth == 0 || !(*f & JW_OBJ) || w->after_key || !key) {
		jw_fail(w, -EINVAL);
		return;
	}
	if (!(*f & JW_FIRST))
		jw_put(w, ",", 1);
	*f &= (unsigned char)~JW_FIRST;
	if (w->err)
		return;
	r = json_escape(w->b, key, n);
	if (r < 0) {
		jw_fail(w, r);
		return;
	}
	jw_put(w, ":", 1);
	w->after_key = 1;
}

void jw_key(struct jsonw *w, const char *key)
{
	if (!key) {
		jw_fail(w, -EINVAL);
		return;
	}
	jw_keyn(w, key, strlen(key));
}

void jw_str(struct jsonw *w, const char *s, size_t n)
{
	int r;

	if (jw_pre_value(w) < 0)
		return;
	r = json_escape(w->b, s ? s : "", s ? n : 0);
	if (r < 0)
		jw_fail(w, r);
}

void jw_cstr(struct jsonw *w, const char *s)
{
	if (!s)
		jw_null(w);
	else
		jw_str(w, s, strlen(s));
}

void jw_int(struct jsonw *w, int64_t v)
{
	char tmp[32];
	int n;

	if (jw_pre_value(w) < 0)
		return;
	n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	jw_put(w, tmp, (size_t)n);
}

void jw_double(struct jsonw *w, double v)
{
	char tmp[40];
	size_t k;
	int n = 0;

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	if (jw_pre_value(w) < 0)
		return;
	if (v >= -9007199254740992.0 && v <= 9007199254740992.0 && v == (double)(int64_t)v) {
		/* Integral within 2^53: plain digits, no exponent, no ".0". */
		n = snprintf(tmp, sizeof(tmp), "%.0f", v);
	} else {
		/* The shortest of 15, 16, 17 significant digits that reads back. */
		for (k = 15; k <= 17; k++) {
			n = snprintf(tmp, sizeof(tmp), "%.*g", (int)k, v);
			if (strtod(tmp, NULL) == v)
				break;
		}
	}
	jw_put(w, tmp, (size_t)n);
}

void jw_bool(struct jsonw *w, bool v)
{
	if (jw_pre_value(w) == 0)
		jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jsonw *w)
{
	if (jw_pre_value(w) == 0)
		jw_put(w, "null", 4);
}

void jw_raw(struct jsonw *w, const char *json, size_t n)
{
	if (jw_pre_value(w) == 0)
		jw_put(w, json, n);
}

void jw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_cstr(w, s);
}

void jw_kint(struct jsonw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void jw_kbool(struct jsonw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

int jw_error(const struct jsonw *w)
{
	if (w->err)
		return w->err;
	return w->b ? w->b->err : 0;
}

/* Same contract as json.c's: sequence length, or minus the maximal
   ill-formed prefix length (each such prefix becomes one U+FFFD). */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int len, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return -1;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (k = 1; k < len; k++) {
		if ((size_t)k >= n || s[k] < lo || s[k] > hi)
			return -k;
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

int json_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run;
	char esc[6];
	int r;

	if ((r = buf_addc(b, '"')) < 0)
		return r;
	while (i < n) {
		const char *rep = NULL;
		size_t replen = 2, adv = 1;
		int k;

		for (run = i; run < n; run++) {
			unsigned char c = u[run];
			if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
				break;
		}
		if (run > i) {
			if ((r = buf_add(b, s + i, run - i)) < 0)
				return r;
			i = run;
			continue;
		}
		switch (u[i]) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\b': rep = "\\b"; break;
		case '\f': rep = "\\f"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		default:
			if (u[i] < 0x20) {
				esc[0] = '\\';
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[u[i] >> 4];
				esc[5] = hex[u[i] & 15];
				rep = esc;
				replen = 6;
				break;
			}
			k = utf8_seq(u + i, n - i);
			if (k < 0) {
				rep = "\\ufffd";
				replen = 6;
				adv = (size_t)-k;
			} else if (k == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 &&
				   (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
				rep = u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
				replen = 6;
				adv = 3;
			} else {
				rep = s + i;
				replen = adv = (size_t)k;
			}
			break;
		}
		if ((r = buf_add(b, rep, replen)) < 0)
			return r;
		i += adv;
	}
	return buf_addc(b, '"');
}
