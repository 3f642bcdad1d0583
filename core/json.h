/*
 * json.h - reading JSON with jsmn (built with JSMN_STRICT).
 *
 * json_parse() tokenizes a whole document into an arena-allocated token
 * array (grown as needed up to LIMIT_JSON_TOKENS) and then validates what
 * jsmn does not: primitives are exactly true/false/null or RFC 8259 numbers,
 * object keys are strings, nesting depth <= LIMIT_JSON_DEPTH, no trailing
 * garbage, string escapes well formed and string bytes valid UTF-8.  So a
 * document that parses is valid JSON.
 *
 * Tokens are addressed by index; 0 is the root.  -1 means "absent" and every
 * getter accepts it (returning the not-found answer), so lookups chain:
 *     int msgs = json_get(j, 0, "messages");
 *     for (int m = json_first(j, msgs); m >= 0; m = json_after(j, m)) ...
 * json_first/json_after walk the direct children of an array (values) or of
 * an object (keys: the member's value is key + 1).
 */
#ifndef CLIPROXY_JSON_H
#define CLIPROXY_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSMN_STRICT
#define JSMN_HEADER
#include <jsmn.h>

struct arena;

struct json {
	const char *src; /* the document, not copied */
	size_t len;
	jsmntok_t *tok;
	int ntok;
	int *next; /* index of the token after each token's subtree */
};

enum json_kind { JSON_NONE, JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_NUMBER, JSON_TRUE, JSON_FALSE, JSON_NULL };

/* 0, -EINVAL (not valid JSON, incl. empty input), -E2BIG (token or depth cap), -ENOMEM. */
int json_parse(struct json *j, struct arena *a, const char *src, size_t len);

enum json_kind json_kind(const struct json *j, int i);
/* Number of children: members of an object, elements of an array, else 0. */
int json_size(const struct json *j, int i);
/* Member value of object i whose key equals key (first match), else -1. */
int json_get(const struct json *j, int obj, const char *key);
/* Walk: the nested path of keys, NULL terminated: json_path(j, 0, "a", "b", NULL). */
int json_path(const struct json *j, int i, ...);
/* First child of an array/object (for objects: the first key), else -1. */
int json_first(const struct json *j, int i);
/* Next sibling within the same parent (for object keys: the next key), else -1. */
int json_after(const struct json *j, int i);
/* Element k of an array, else -1. */
int json_at(const struct json *j, int arr, int k);
/* The raw bytes of token i: strings without quotes and still escaped; whole
   subtree text for objects/arrays (braces included). */
const char *json_raw(const struct json *j, int i, size_t *ret_len);
/* The raw text of any value including quotes of strings (for re-emitting). */
const char *json_text(const struct json *j, int i, size_t *ret_len);

/* Unescaped string value (UTF-8, NUL-terminated, may contain NUL bytes from
   \u0000: use ret_len).  Returns NULL if i is not a string or on ENOMEM. */
char *json_str(const struct json *j, int i, struct arena *a, size_t *ret_len);
/* String member convenience: json_str(j, json_get(j, obj, key), ...). */
char *json_gets(const struct json *j, int obj, const char *key, struct arena *a);
/* True if token i is a string whose unescaped value equals lit. */
bool json_streq(const struct json *j, int i, const char *lit);
/* Numbers: 0 or -EINVAL (not a number / not integral / out of range). */
int json_int(const struct json *j, int i, int64_t *ret);
int json_double(const struct json *j, int i, double *ret);
/* Booleans: 0 or -EINVAL. */
int json_bool(const struct json *j, int i, bool *ret);
bool json_truthy(const struct json *j, int i); /* true iff the literal true */

/* Unescape a JSON string body (between the quotes) into out (room for n bytes
   always suffices).  Returns the output length, or -EINVAL for a bad escape,
   lone surrogate or invalid UTF-8. */
long json_unescape(const char *s, size_t n, char *out);

#endif
