/*
 * parse.c - numbers from untrusted text, strictly: digits only, no sign
 * unless asked, no whitespace, overflow is -ERANGE, never undefined.
 */
#include "core/parse.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -EINVAL;
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_hex_u64(const char *s, size_t n, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int d = hexval((unsigned char)s[i]);
		if (d < 0)
			return -EINVAL;
		if ((uint64_t)d > max || v > (max - (uint64_t)d) / 16)
			return -ERANGE;
		v = v * 16 + (uint64_t)d;
	}
	*ret = v;
	return 0;
}

int parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *ret)
{
	uint64_t u;
	int r;

	if (n > 0 && s[0] == '-') {
		r = parse_u64(s + 1, n - 1, (uint64_t)INT64_MAX + 1, &u);
		if (r < 0)
			return r;
		if (u == (uint64_t)INT64_MAX + 1) {
			if (min > INT64_MIN)
				return -ERANGE;
			*ret = INT64_MIN;
			return 0;
		}
		if (-(int64_t)u < min)
			return -ERANGE;
		*ret = -(int64_t)u;
		return 0;
	}
	r = parse_u64(s, n, max < 0 ? 0 : (uint64_t)max, &u);
	if (r < 0)
		return r;
	if ((int64_t)u < min)
		return -ERANGE;
	*ret = (int64_t)u;
	return 0;
}

int strn_caseeq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

int strn_caseprefix(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && strncasecmp(s, lit, l) == 0;
}
