/*
 * parse.h - range-checked number parsing with a cursor and an end pointer.
 * strtol/atoi/sscanf are banned in the tree (make lint): use these.
 */
#ifndef CLIPROXY_PARSE_H
#define CLIPROXY_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Whole <s,n> must be decimal digits (no sign, no space), value <= max.
   0 or -EINVAL (syntax, empty) / -ERANGE (> max). */
int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *ret);
/* Hex digits only, value <= max. */
int parse_hex_u64(const char *s, size_t n, uint64_t max, uint64_t *ret);
/* Optional leading '-', then parse_u64 rules, within [min,max]. */
int parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *ret);
/* ASCII case-insensitive compare of <s,n> with the C string lit. */
int strn_caseeq(const char *s, size_t n, const char *lit);
/* Same, prefix test. */
int strn_caseprefix(const char *s, size_t n, const char *lit);

#endif
