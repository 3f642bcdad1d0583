/*
 * test_json.c - core/json.c and core/jsonw.c: valid documents of every kind,
 * one test per class of invalid input, the depth and token caps (at the cap
 * and one over), lookups and walks, unescaping, numbers, the writer's
 * escaping/nesting/errors/doubles, and parse -> write -> parse round trips.
 * Token layout is cross-checked against jsmn itself (linked via json.c).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "tests/unit/check.h"

static struct arena A;

static int parsen(struct json *j, const char *s, size_t n) { return json_parse(j, &A, s, n); }
static int parse(struct json *j, const char *s) { return parsen(j, s, strlen(s)); }

static int rc(const char *s)
{
	struct json j;
	return parse(&j, s);
}

static int rcn(const char *s, size_t n)
{
	struct json j;
	return parsen(&j, s, n);
}

/* Our tokens must be exactly what jsmn (strict) makes of a valid document. */
static int jsmn_agrees(const char *s)
{
	struct json j;
	jsmn_parser p;
	jsmntok_t *t;
	int r, i;

	if (parse(&j, s) < 0)
		return 0;
	t = arena_alloc(&A, sizeof(*t) * (size_t)j.ntok);
	jsmn_init(&p);
	r = jsmn_parse(&p, s, strlen(s), t, (unsigned)j.ntok);
	if (r != j.ntok)
		return 0;
	for (i = 0; i < r; i++)
		if (t[i].type != j.tok[i].type || t[i].start != j.tok[i].start ||
		    t[i].end != j.tok[i].end || t[i].size != j.tok[i].size)
			return 0;
	return 1;
}

/* ---- valid documents ---- */

static void test_valid_scalars(void)
{
	static const struct {
		const char *s;
		enum json_kind k;
	} c[] = {
		{ "0", JSON_NUMBER }, { "-0", JSON_NUMBER }, { "7", JSON_NUMBER },
		{ "-12", JSON_NUMBER }, { "1.5", JSON_NUMBER }, { "-0.5e10", JSON_NUMBER },
		{ "1E+2", JSON_NUMBER }, { "1e-2", JSON_NUMBER }, { "0.0e0", JSON_NUMBER },
		{ "true", JSON_TRUE }, { "false", JSON_FALSE }, { "null", JSON_NULL },
		{ "\"\"", JSON_STRING }, { "\"abc\"", JSON_STRING }, { " 1 ", JSON_NUMBER },
		{ "\n\t\r true\n", JSON_TRUE }, { "\"\\u0000\"", JSON_STRING },
	};
	struct json j;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		CHECK_INT(parse(&j, c[i].s), 0);
		CHECK_INT(j.ntok, 1);
		CHECK_INT(json_kind(&j, 0), c[i].k);
		CHECK_INT(json_size(&j, 0), 0);
		CHECK_INT(json_first(&j, 0), -1);
		CHECK_INT(json_after(&j, 0), -1);
	}
}

static void test_valid_containers(void)
{
	static const struct {
		const char *s;
		int ntok;
	} c[] = {
		{ "{}", 1 }, { "[]", 1 }, { " [ ] ", 1 }, { "[1,2,3]", 4 },
		{ "{\"a\":1}", 3 }, { "[[[]]]", 3 }, { "[{}]", 2 }, { "{\"\":\"\"}", 3 },
		{ "{\"a\":{\"b\":[1,{\"c\":null}]}}", 9 },
		{ " { \"a\" : [ true , false , null ] , \"b\" : \"x\" } ", 8 },
		{ "[\"a\",{\"k\":[]},-1.5e3,\"\\u00e9\"]", 7 },
		{ "{\"a\":1,\"a\":2}", 5 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct json j;
		CHECK_INT(parse(&j, c[i].s), 0);
		CHECK_INT(j.ntok, c[i].ntok);
		CHECK(jsmn_agrees(c[i].s));
	}
}

static void test_valid_realistic(void)
{
	const char *s =
		"{\n  \"model\": \"gpt-4o\",\n  \"stream\": true,\n  \"temperature\": 0.7,\n"
		"  \"messages\": [\n    {\"role\": \"system\", \"content\": \"Be brief.\"},\n"
		"    {\"role\": \"user\", \"content\": [\n"
		"      {\"type\": \"text\", \"text\": \"caf\\u00e9 \\ud83d\\ude00 \xe2\x82\xac\"},\n"
		"      {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,AAAA\"}}\n"
		"    ]}\n  ],\n  \"tools\": [], \"max_tokens\": 1024, \"stop\": null\n}\n";
	struct json j;
	int64_t mt = 0;
	double t = 0;

	CHECK_INT(parse(&j, s), 0);
	CHECK(jsmn_agrees(s));
	CHECK(json_streq(&j, json_get(&j, 0, "model"), "gpt-4o"));
	CHECK(json_truthy(&j, json_get(&j, 0, "stream")));
	CHECK_INT(json_double(&j, json_get(&j, 0, "temperature"), &t), 0);
	CHECK(t == 0.7);
	CHECK_INT(json_int(&j, json_get(&j, 0, "max_tokens"), &mt), 0);
	CHECK_INT(mt, 1024);
	CHECK_INT(json_kind(&j, json_get(&j, 0, "stop")), JSON_NULL);
	CHECK_INT(json_size(&j, json_get(&j, 0, "messages")), 2);
	CHECK_INT(json_size(&j, json_get(&j, 0, "tools")), 0);
}

/* ---- invalid documents, one class per test ---- */

static void check_all_einval(const char *const *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int r = rc(c[i]);
		if (r != -EINVAL)
			printf("#   input [%s] -> %d\n", c[i], r);
		CHECK_INT(r, -EINVAL);
	}
}
#define ALL_EINVAL(arr) check_all_einval(arr, sizeof(arr) / sizeof(arr[0]))

static void test_invalid_empty(void)
{
	static const char *const c[] = { "", " ", "\n\t\r ", "\f", "\v" };
	ALL_EINVAL(c);
	CHECK_INT(rcn("", 0), -EINVAL);
	CHECK_INT(rcn("\0", 1), -EINVAL);
}

static void test_invalid_literal(void)
{
	static const char *const c[] = {
		"tru", "truee", "True", "TRUE", "nul", "nulll", "fals", "t", "n",
		"undefined", "NaN", "Infinity", "-Infinity", "[tru]", "[nul,1]", "{\"a\":fals}",
		"[truefalse]", "nil", "'a'",
	};
	ALL_EINVAL(c);
}

static void test_invalid_number(void)
{
	static const char *const c[] = {
		"01", "-01", "00", "1.", "-", "+1", ".5", "1.e5", "1e", "1e+", "1E-",
		"0x10", "1.5.2", "--1", "- 1", "1e5.5", "[1.]", "[-]", "{\"a\":01}",
		"1ee5", "-.5", "1.5e", "0b1", "1_000", "[1e]",
	};
	ALL_EINVAL(c);
}

static void test_invalid_separators(void)
{
	static const char *const c[] = {
		"[1,]", "[,1]", "[1,,2]", "[1 2]", "[,]", "{,}", "{\"a\":1,}",
		"{\"a\":1 \"b\":2}", "{\"a\"::1}", "{\"a\" 1}", "{\"a\":}", ":", ",",
		"[1:2]", "{\"a\",\"b\"}", "[\"a\":1]", "{\"a\":1,,\"b\":2}",
	};
	ALL_EINVAL(c);
}

static void test_invalid_member_without_value(void)
{
	static const char *const c[] = { "{\"a\"}", "{\"a\":1,\"b\"}", "{\"a\" }" };
	ALL_EINVAL(c);
}

static void test_invalid_key_not_string(void)
{
	static const char *const c[] = {
		"{1:2}", "{true:1}", "{null:1}", "{{}:1}", "{[]:1}", "{a:1}", "{'a':1}",
		"{\"a\":1,2:3}",
	};
	ALL_EINVAL(c);
}

static void test_invalid_brackets(void)
{
	static const char *const c[] = {
		"[", "]", "{", "}", "[}", "{]", "[1}", "{\"a\":1]", "[1]]", "[[1]",
		"{\"a\":{}", "[{]}", "\"abc", "\"", "[\"a]",
	};
	ALL_EINVAL(c);
}

static void test_invalid_two_values(void)
{
	static const char *const c[] = {
		"1 2", "{} {}", "[][]", "\"a\"\"b\"", "1,2", "{}1", "true false", "null null",
		"[1] [2]", "\"a\" 1",
	};
	ALL_EINVAL(c);
}

static void test_invalid_trailing_garbage(void)
{
	static const char *const c[] = {
		"{}x", "[1] ,", "1 /* c */", "{}\x01", "[]]", "1;", "\"a\"\xff",
		"\xef\xbb\xbf{}", "{}\xef\xbb\xbf",
	};
	ALL_EINVAL(c);
	CHECK_INT(rcn("null\0", 5), -EINVAL);
	CHECK_INT(rcn("{}\0 ", 4), -EINVAL);
	CHECK_INT(rcn("1\0", 2), -EINVAL);
}

static void test_invalid_escape(void)
{
	static const char *const c[] = {
		"\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\\"", "\"\\U0041\"", "\"\\ \"",
		"\"\\'\"", "\"\\0\"", "\"\\a\"", "\"\\v\"", "\"\\u\"", "\"\\uD80\"",
		"{\"\\x\":1}", "\"\\\xc3\xa9\"",
	};
	ALL_EINVAL(c);
}

static void test_invalid_lone_surrogate(void)
{
	static const char *const c[] = {
		"\"\\ud800\"", "\"\\udc00\"", "\"\\udfff\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"",
		"\"\\udbff\\udbff\"", "\"\\ud800\\n\"", "\"\\udfff\\ud800\"", "\"a\\ud83d\"",
		"\"\\ud83d\\\"", "{\"\\ud800\":1}", "\"\\ud800\\u00\"",
	};
	ALL_EINVAL(c);
	CHECK_INT(rc("\"\\ud83d\\ude00\""), 0);
	CHECK_INT(rc("\"\\uD800\\uDC00\""), 0);
	CHECK_INT(rc("\"\\udbff\\udfff\""), 0);
}

static void test_invalid_utf8(void)
{
	static const char *const c[] = {
		"\"\x80\"", "\"\xbf\"", "\"\xc0\xaf\"", "\"\xc1\xbf\"",
		"\"\xe0\x80\xaf\"", "\"\xe0\x9f\xbf\"", "\"\xf0\x80\x80\xaf\"", "\"\xf0\x8f\xbf\xbf\"",
		"\"\xed\xa0\x80\"", "\"\xed\xbf\xbf\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"",
		"\"\xff\"", "\"\xfe\"", "\"\xe2\x82\"", "\"\xc3\"", "\"\xf0\x9f\x98\"",
		"\"\xc3\xc3\xa9\"", ("\"a\xe2\x82" "a\""), "[\xc3\xa9]",
	};
	ALL_EINVAL(c);
	CHECK_INT(rc("\"\xc3\xa9\""), 0);
	CHECK_INT(rc("\"\xe2\x82\xac\""), 0);
	CHECK_INT(rc("\"\xf0\x9f\x98\x80\""), 0);
	CHECK_INT(rc("\"\xf4\x8f\xbf\xbf\""), 0);
	CHECK_INT(rc("\"\xef\xbf\xbf\""), 0);
	CHECK_INT(rc("\"\xed\x9f\xbf\xee\x80\x80\""), 0); /* U+D7FF, U+E000 */
	CHECK_INT(rc("\"\x7f\""), 0);                      /* DEL is fine */
}

static void test_invalid_control_char(void)
{
	static const char *const c[] = {
		"\"a\nb\"", "\"\t\"", "\"\r\"", "\"\x01\"", "\"\x1f\"", "{\"a\nb\":1}",
	};
	ALL_EINVAL(c);
	CHECK_INT(rcn("\"a\0b\"", 5), -EINVAL);
}

/* ---- caps ---- */

static char *nest(const char *open, const char *close, int depth, const char *mid)
{
	size_t lo = strlen(open), lc = strlen(close), lm = strlen(mid);
	char *s = arena_alloc(&A, (lo + lc) * (size_t)depth + lm + 1), *p = s;
	int i;

	for (i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, mid, lm);
	p += lm;
	for (i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = 0;
	return s;
}

static void test_depth_cap(void)
{
	struct json j;

	CHECK_INT(rc(nest("[", "]", LIMIT_JSON_DEPTH, "")), 0);
	CHECK_INT(rc(nest("[", "]", LIMIT_JSON_DEPTH + 1, "")), -E2BIG);
	CHECK_INT(rc(nest("{\"a\":", "}", LIMIT_JSON_DEPTH, "1")), 0);
	CHECK_INT(rc(nest("{\"a\":", "}", LIMIT_JSON_DEPTH + 1, "1")), -E2BIG);
	CHECK_INT(rc(nest("[{\"a\":", "}]", LIMIT_JSON_DEPTH / 2, "")), -EINVAL);
	CHECK_INT(rc(nest("[{\"a\":", "}]", LIMIT_JSON_DEPTH / 2, "0")), 0);
	CHECK_INT(rc(nest("[{\"a\":", "}]", LIMIT_JSON_DEPTH / 2, "[]")), -E2BIG);
	/* Depth of the deepest container must fit; scalars inside do not count. */
	CHECK_INT(parse(&j, nest("[", "]", LIMIT_JSON_DEPTH, "1,\"x\"")), 0);
	CHECK_INT(j.ntok, LIMIT_JSON_DEPTH + 2);
	CHECK_INT(json_after(&j, LIMIT_JSON_DEPTH), LIMIT_JSON_DEPTH + 1);
	CHECK_INT(json_after(&j, LIMIT_JSON_DEPTH - 1), -1);
}

static void test_token_cap(void)
{
	/* "[0,0,...,0]": the array plus n zeros is n + 1 tokens. */
	size_t n = LIMIT_JSON_TOKENS, len = 2 * n + 2, i;
	char *s = arena_alloc(&A, len + 1);
	struct json j;

	s[0] = '[';
	for (i = 0; i < n; i++) {
		s[1 + 2 * i] = '0';
		s[2 + 2 * i] = ',';
	}
	/* n - 1 zeros: exactly LIMIT_JSON_TOKENS tokens. */
	s[2 * (n - 1)] = ']';
	CHECK_INT(parsen(&j, s, 2 * (n - 1) + 1), 0);
	CHECK_INT(j.ntok, LIMIT_JSON_TOKENS);
	CHECK_INT(json_size(&j, 0), LIMIT_JSON_TOKENS - 1);
	/* n zeros: one over. */
	s[2 * (n - 1)] = ',';
	s[2 * n] = ']';
	CHECK_INT(parsen(&j, s, 2 * n + 1), -E2BIG);
}

static void test_arena_exhausted(void)
{
	struct arena small;
	struct json j;

	arena_init(&small, 64);
	CHECK_INT(json_parse(&j, &small, "[1,2,3]", 7), -ENOMEM);
	arena_release(&small);
}

/* ---- lookups ---- */

static void test_get(void)
{
	const char *s = "{\"a\":1,\"b\":{\"c\":[1,2]},\"a\":2,\"k\\u0065y\":\"v\",\"\":0,"
			"\"t\\n\":true}";
	struct json j;
	int64_t v;
	int b;

	CHECK_INT(parse(&j, s), 0);
	CHECK_INT(json_size(&j, 0), 6);
	CHECK_INT(json_int(&j, json_get(&j, 0, "a"), &v), 0);
	CHECK_INT(v, 1); /* first match */
	b = json_get(&j, 0, "b");
	CHECK_INT(json_kind(&j, b), JSON_OBJECT);
	CHECK_INT(json_kind(&j, json_get(&j, b, "c")), JSON_ARRAY);
	CHECK(json_streq(&j, json_get(&j, 0, "key"), "v")); /* escaped key */
	CHECK_INT(json_get(&j, 0, "k\\u0065y"), -1);
	CHECK_INT(json_kind(&j, json_get(&j, 0, "")), JSON_NUMBER);
	CHECK(json_truthy(&j, json_get(&j, 0, "t\n")));
	CHECK_INT(json_get(&j, 0, "c"), -1); /* not recursive */
	CHECK_INT(json_get(&j, 0, "missing"), -1);
	CHECK_INT(json_get(&j, 0, NULL), -1);
	CHECK_INT(json_get(&j, -1, "a"), -1);
	CHECK_INT(json_get(&j, 1, "a"), -1); /* a key, not an object */
	CHECK_INT(json_get(&j, 999, "a"), -1);
	CHECK_INT(json_get(&j, json_path(&j, 0, "b", "c", NULL), "a"), -1);
}

static void test_path(void)
{
	const char *s = "{\"a\":{\"b\":{\"c\":42}},\"x\":[{\"y\":1}]}";
	struct json j;
	int64_t v = 0;

	CHECK_INT(parse(&j, s), 0);
	CHECK_INT(json_int(&j, json_path(&j, 0, "a", "b", "c", NULL), &v), 0);
	CHECK_INT(v, 42);
	CHECK_INT(json_path(&j, 0, NULL), 0);
	CHECK_INT(json_path(&j, 0, "a", "z", "c", NULL), -1);
	CHECK_INT(json_path(&j, 0, "a", "b", "c", "d", NULL), -1);
	CHECK_INT(json_path(&j, -1, "a", NULL), -1);
	CHECK_INT(json_path(&j, 0, "x", "y", NULL), -1); /* arrays are not objects */
	CHECK_INT(json_kind(&j, json_path(&j, json_at(&j, json_get(&j, 0, "x"), 0), "y", NULL)),
		  JSON_NUMBER);
}

static void test_walk_object(void)
{
	const char *s = "{ \"a\" : [1, [2]] ,\n \"b\":{\"x\":{}}, \"c\" :\"s\",\"d\":null }";
	static const char *const keys[] = { "a", "b", "c", "d" };
	static const enum json_kind kinds[] = { JSON_ARRAY, JSON_OBJECT, JSON_STRING, JSON_NULL };
	struct json j;
	int k, n = 0;

	CHECK_INT(parse(&j, s), 0);
	CHECK_INT(json_size(&j, 0), 4);
	for (k = json_first(&j, 0); k >= 0; k = json_after(&j, k), n++) {
		if (n >= 4)
			break;
		CHECK(json_streq(&j, k, keys[n]));
		CHECK_INT(json_kind(&j, k + 1), kinds[n]);
		CHECK_INT(json_after(&j, k + 1), -1); /* a value has no sibling */
	}
	CHECK_INT(n, 4);
	k = json_get(&j, 0, "b");
	CHECK_INT(json_size(&j, k), 1);
	CHECK_INT(json_after(&j, json_first(&j, k)), -1);
	CHECK_INT(json_size(&j, json_get(&j, k, "x")), 0);
	CHECK_INT(json_first(&j, json_get(&j, k, "x")), -1);
	CHECK_INT(json_first(&j, -1), -1);
	CHECK_INT(json_after(&j, -1), -1);
	CHECK_INT(json_after(&j, 0), -1);
	CHECK_INT(json_after(&j, j.ntok), -1);
}

static void test_walk_array(void)
{
	const char *s = "[ 1 , {\"a\":[2,3]} ,[] , \"x\" ,\n\t[[4]] ,true]";
	static const enum json_kind kinds[] = { JSON_NUMBER, JSON_OBJECT, JSON_ARRAY,
						JSON_STRING, JSON_ARRAY, JSON_TRUE };
	struct json j;
	int e, n = 0, a;

	CHECK_INT(parse(&j, s), 0);
	CHECK_INT(json_size(&j, 0), 6);
	for (e = json_first(&j, 0); e >= 0; e = json_after(&j, e), n++) {
		if (n >= 6)
			break;
		CHECK_INT(json_kind(&j, e), kinds[n]);
		CHECK_INT(json_at(&j, 0, n), e);
	}
	CHECK_INT(n, 6);
	CHECK_INT(json_at(&j, 0, 6), -1);
	CHECK_INT(json_at(&j, 0, -1), -1);
	CHECK_INT(json_at(&j, -1, 0), -1);
	CHECK_INT(json_at(&j, json_at(&j, 0, 1), 0), -1); /* object */
	a = json_get(&j, json_at(&j, 0, 1), "a");
	CHECK_INT(json_size(&j, a), 2);
	CHECK_INT(json_after(&j, json_at(&j, a, 1)), -1);
	CHECK_INT(json_first(&j, json_at(&j, 0, 2)), -1);
	CHECK_INT(json_size(&j, json_at(&j, 0, 2)), 0);
	CHECK_INT(json_size(&j, json_at(&j, 0, 3)), 0); /* strings have no children */
	CHECK_INT(json_kind(&j, json_at(&j, json_at(&j, json_at(&j, 0, 4), 0), 0)), JSON_NUMBER);
	CHECK_INT(json_after(&j, json_at(&j, json_at(&j, 0, 4), 0)), -1);
}

static void test_raw_text(void)
{
	const char *s = "{\"k\":\"a\\nb\",\"n\":-1.5e3,\"o\":{ \"x\" : [ ] }}";
	const char *p;
	struct json j;
	size_t n;

	CHECK_INT(parse(&j, s), 0);
	p = json_raw(&j, json_get(&j, 0, "k"), &n);
	CHECK_MEM(p, n, "a\\nb");
	p = json_text(&j, json_get(&j, 0, "k"), &n);
	CHECK_MEM(p, n, "\"a\\nb\"");
	p = json_raw(&j, json_get(&j, 0, "n"), &n);
	CHECK_MEM(p, n, "-1.5e3");
	p = json_text(&j, json_get(&j, 0, "n"), &n);
	CHECK_MEM(p, n, "-1.5e3");
	p = json_raw(&j, json_get(&j, 0, "o"), &n);
	CHECK_MEM(p, n, "{ \"x\" : [ ] }");
	p = json_text(&j, 0, &n);
	CHECK_MEM(p, n, s);
	p = json_raw(&j, 1, &n);
	CHECK_MEM(p, n, "k");
	CHECK(json_raw(&j, -1, &n) == NULL);
	CHECK(json_text(&j, j.ntok, &n) == NULL);
}

/* ---- strings ---- */

static void test_unescape(void)
{
	static const struct {
		const char *in, *out;
		size_t outlen;
	} c[] = {
		{ "", "", 0 },
		{ "plain", "plain", 5 },
		{ "\\\"\\\\\\/\\b\\f\\n\\r\\t", "\"\\/\b\f\n\r\t", 8 },
		{ "\\u0041\\u0062", "Ab", 2 },
		{ "\\u00e9\\u00E9", "\xc3\xa9\xc3\xa9", 4 },
		{ "\\u07ff\\u0800", "\xdf\xbf\xe0\xa0\x80", 5 },
		{ "\\u20ac", "\xe2\x82\xac", 3 },
		{ "\\uffff", "\xef\xbf\xbf", 3 },
		{ "\\ud83d\\ude00", "\xf0\x9f\x98\x80", 4 },
		{ "\\ud800\\udc00", "\xf0\x90\x80\x80", 4 },
		{ "\\uDBFF\\uDFFF", "\xf4\x8f\xbf\xbf", 4 },
		{ "a\\u0000b", "a\0b", 3 },
		{ "\\u0000", "\0", 1 },
		{ "x\xc3\xa9y\\n", "x\xc3\xa9y\n", 5 },
		{ "\x7f", "\x7f", 1 },
	};
	static const char *const bad[] = {
		"\\", "a\\", "\\x", "\\u", "\\u123", "\\u12z4", "\"", "a\"b", "\\ud800",
		"\\udc00", "\\ud800\\ud800", "\\ud800\\u", "\x80", "\xc3", "\n", "\x1f",
		"\xed\xa0\x80", "\xc0\x80",
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		long r = json_unescape(c[i].in, strlen(c[i].in), out);
		CHECK_INT(r, (long)c[i].outlen);
		if (r == (long)c[i].outlen)
			CHECK(memcmp(out, c[i].out, c[i].outlen) == 0);
		CHECK(r <= (long)strlen(c[i].in));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(json_unescape(bad[i], strlen(bad[i]), out), -EINVAL);
	CHECK_INT(json_unescape("a\0b", 3, out), -EINVAL); /* raw NUL */
	/* Exactly n bytes of room is enough (no terminator is written). */
	{
		char *tight = arena_alloc(&A, 6);
		CHECK_INT(json_unescape("\\u0000", 6, tight), 1);
		CHECK_INT(json_unescape("abcdef", 6, tight), 6);
		CHECK(memcmp(tight, "abcdef", 6) == 0);
	}
}

static void test_str(void)
{
	const char *s = "{\"a\":\"x\\u0000y\",\"b\":\"\\ud83d\\ude00!\",\"n\":1,\"e\":\"\"}";
	struct json j;
	size_t n = 99;
	char *v;

	CHECK_INT(parse(&j, s), 0);
	v = json_str(&j, json_get(&j, 0, "a"), &A, &n);
	CHECK_INT(n, 3);
	CHECK(v && memcmp(v, "x\0y", 4) == 0);
	CHECK_STR(json_gets(&j, 0, "b", &A), "\xf0\x9f\x98\x80!");
	CHECK_STR(json_gets(&j, 0, "e", &A), "");
	CHECK(json_gets(&j, 0, "n", &A) == NULL);
	CHECK(json_gets(&j, 0, "zz", &A) == NULL);
	CHECK(json_str(&j, 0, &A, &n) == NULL);
	CHECK(json_str(&j, -1, &A, &n) == NULL);
	CHECK_STR(json_str(&j, 1, &A, NULL), "a"); /* keys are strings too */
	CHECK(!json_streq(&j, json_get(&j, 0, "a"), "x"));
	CHECK(json_streq(&j, json_get(&j, 0, "b"), "\xf0\x9f\x98\x80!"));
	CHECK(!json_streq(&j, json_get(&j, 0, "b"), "\xf0\x9f\x98\x80"));
	CHECK(!json_streq(&j, json_get(&j, 0, "b"), "\xf0\x9f\x98\x80!!"));
	CHECK(json_streq(&j, json_get(&j, 0, "e"), ""));
	CHECK(!json_streq(&j, json_get(&j, 0, "n"), "1"));
	CHECK(!json_streq(&j, json_get(&j, 0, "e"), NULL));
}

/* ---- numbers and literals ---- */

static void test_int(void)
{
	static const struct {
		const char *s;
		int r;
		int64_t v;
	} c[] = {
		{ "0", 0, 0 }, { "-0", 0, 0 }, { "42", 0, 42 }, { "-42", 0, -42 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", -EINVAL, 0 },
		{ "-9223372036854775809", -EINVAL, 0 },
		{ "99999999999999999999999", -EINVAL, 0 },
		{ "1.0", -EINVAL, 0 }, { "1e3", -EINVAL, 0 }, { "1E3", -EINVAL, 0 },
		{ "\"1\"", -EINVAL, 0 }, { "true", -EINVAL, 0 }, { "null", -EINVAL, 0 },
		{ "[1]", -EINVAL, 0 },
	};
	struct json j;
	size_t i;
	int64_t v;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v = 12345;
		CHECK_INT(parse(&j, c[i].s), 0);
		CHECK_INT(json_int(&j, 0, &v), c[i].r);
		CHECK_INT(v, c[i].r ? 12345 : c[i].v);
	}
	CHECK_INT(json_int(&j, -1, &v), -EINVAL);
}

static void test_double(void)
{
	static const struct {
		const char *s;
		int r;
		double v;
	} c[] = {
		{ "0", 0, 0.0 }, { "0.1", 0, 0.1 }, { "-2.5e-3", 0, -2.5e-3 },
		{ "1e308", 0, 1e308 }, { "1E2", 0, 100.0 }, { "12345678901234567890", 0, 12345678901234567890.0 },
		{ "1e999", -EINVAL, 0 }, { "-1e999", -EINVAL, 0 }, { "1e-400", 0, 0.0 },
		{ "\"1\"", -EINVAL, 0 }, { "false", -EINVAL, 0 },
	};
	struct json j;
	size_t i;
	double v;
	char *s;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v = 7;
		CHECK_INT(parse(&j, c[i].s), 0);
		CHECK_INT(json_double(&j, 0, &v), c[i].r);
		CHECK(v == (c[i].r ? 7 : c[i].v));
	}
	CHECK_INT(json_double(&j, -1, &v), -EINVAL);
	/* A 300-digit number inside a document reads from the source in place
	   (too long for the stack copy); alone at the very end it is refused. */
	s = arena_alloc(&A, 303);
	s[0] = '[';
	s[1] = '1';
	memset(s + 2, '0', 299);
	s[301] = ']';
	s[302] = 0;
	CHECK_INT(parse(&j, s), 0);
	CHECK_INT(json_double(&j, 1, &v), 0);
	CHECK(v == 1e299);
	s[301] = 0;
	CHECK_INT(parse(&j, s + 1), 0);
	CHECK_INT(json_double(&j, 0, &v), -EINVAL);
	CHECK_INT(parse(&j, "[1,2.5]"), 0);
	CHECK_INT(json_double(&j, 2, &v), 0);
	CHECK(v == 2.5);
}

static void test_bool_null(void)
{
	struct json j;
	bool b = false;

	CHECK_INT(parse(&j, "[true,false,null,0,\"true\"]"), 0);
	CHECK_INT(json_bool(&j, 1, &b), 0);
	CHECK(b);
	CHECK_INT(json_bool(&j, 2, &b), 0);
	CHECK(!b);
	CHECK_INT(json_bool(&j, 3, &b), -EINVAL);
	CHECK_INT(json_bool(&j, 4, &b), -EINVAL);
	CHECK_INT(json_bool(&j, 5, &b), -EINVAL);
	CHECK_INT(json_bool(&j, -1, &b), -EINVAL);
	CHECK(json_truthy(&j, 1));
	CHECK(!json_truthy(&j, 2));
	CHECK(!json_truthy(&j, 3));
	CHECK(!json_truthy(&j, 5));
	CHECK(!json_truthy(&j, -1));
	CHECK_INT(json_kind(&j, 3), JSON_NULL);
	CHECK_INT(json_kind(&j, 0), JSON_ARRAY);
	CHECK_INT(json_kind(&j, -1), JSON_NONE);
	CHECK_INT(json_kind(&j, 6), JSON_NONE);
	CHECK_INT(json_kind(NULL, 0), JSON_NONE);
}

/* ---- writer ---- */

#define WBEGIN(max)                                                                \
	struct buf b;                                                              \
	struct jsonw w;                                                            \
	buf_init(&b, &A, (max));                                                   \
	jw_init(&w, &b)

static void test_jw_basic(void)
{
	WBEGIN(4096);
	jw_obj(&w);
	jw_kstr(&w, "id", "x1");
	jw_kint(&w, "n", -7);
	jw_kbool(&w, "ok", true);
	jw_kbool(&w, "no", false);
	jw_key(&w, "nil");
	jw_null(&w);
	jw_kstr(&w, "s", NULL);
	jw_key(&w, "d");
	jw_double(&w, 0.5);
	jw_keyn(&w, "k\"ey!", 5);
	jw_cstr(&w, NULL);
	jw_key(&w, "big");
	jw_int(&w, INT64_MIN);
	jw_end(&w);
	CHECK_INT(jw_error(&w), 0);
	CHECK_STR(b.p, "{\"id\":\"x1\",\"n\":-7,\"ok\":true,\"no\":false,\"nil\":null,\"s\":null,"
		       "\"d\":0.5,\"k\\\"ey!\":null,\"big\":-9223372036854775808}");
}

static void test_jw_nesting(void)
{
	WBEGIN(4096);
	jw_arr(&w);
	jw_arr(&w);
	jw_end(&w);
	jw_obj(&w);
	jw_end(&w);
	jw_int(&w, 1);
	jw_obj(&w);
	jw_key(&w, "a");
	jw_arr(&w);
	jw_obj(&w);
	jw_key(&w, "b");
	jw_arr(&w);
	jw_int(&w, 2);
	jw_int(&w, 3);
	jw_end(&w);
	jw_end(&w);
	jw_str(&w, "x", 1);
	jw_end(&w);
	jw_key(&w, "c");
	jw_obj(&w);
	jw_end(&w);
	jw_end(&w);
	jw_raw(&w, "{\"r\": [1, 2]}", 13);
	jw_end(&w);
	CHECK_INT(jw_error(&w), 0);
	CHECK_INT(w.depth, 0);
	CHECK_STR(b.p, "[[],{},1,{\"a\":[{\"b\":[2,3]},\"x\"],\"c\":{}},{\"r\": [1, 2]}]");
	CHECK_INT(rc(b.p), 0);
}

static void test_jw_escape(void)
{
	static const char *const ctl[32] = {
		"\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006",
		"\\u0007", "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f",
		"\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016",
		"\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d",
		"\\u001e", "\\u001f",
	};
	static const struct {
		const char *in, *out;
	} c[] = {
		{ "", "\"\"" },
		{ "plain text", "\"plain text\"" },
		{ "\"", "\"\\\"\"" },
		{ "\\", "\"\\\\\"" },
		{ "/", "\"/\"" },
		{ "\x7f", "\"\x7f\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "\"a\\u2028b\\u2029c\"" },
		{ "\xe2\x80\xaa", "\"\xe2\x80\xaa\"" }, /* U+202A stays raw */
		{ "\x80", "\"\\ufffd\"" },
		{ "a\xff" "b", "\"a\\ufffdb\"" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
		{ "\xe2\x82" "x", "\"\\ufffdx\"" },
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "\xf0\x9f\x98", "\"\\ufffd\"" },
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "\xc3", "\"\\ufffd\"" },
	};
	char in[1];
	int i;
	size_t k;

	for (i = 0; i < 32; i++) {
		char want[16];
		struct buf b;
		buf_init(&b, &A, 64);
		in[0] = (char)i;
		CHECK_INT(json_escape(&b, in, 1), 0);
		snprintf(want, sizeof(want), "\"%s\"", ctl[i]);
		CHECK_STR(b.p, want);
		CHECK_INT(rc(b.p), 0);
	}
	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		WBEGIN(256);
		jw_str(&w, c[k].in, strlen(c[k].in));
		CHECK_INT(jw_error(&w), 0);
		CHECK_STR(b.p, c[k].out);
		CHECK_INT(rc(b.p), 0);
	}
	{
		WBEGIN(256);
		jw_str(&w, "a\0b", 3);
		CHECK_STR(b.p, "\"a\\u0000b\"");
	}
}

static void test_jw_double(void)
{
	static const struct {
		double v;
		const char *s;
	} c[] = {
		{ 1.0, "1" }, { 0.7, "0.7" }, { -0.0, "-0" }, { 0.0, "0" }, { 0.1, "0.1" },
		{ 0.1 + 0.2, "0.30000000000000004" }, { 1.5, "1.5" }, { -1e-7, "-1e-07" },
		{ 1e300, "1e+300" }, { 1e15, "1000000000000000" },
		{ 9007199254740992.0, "9007199254740992" }, { -9007199254740992.0, "-9007199254740992" },
		{ 18014398509481984.0, "18014398509481984" }, { 1e17 + 16, "1.0000000000000002e+17" },
		{ 123456.789, "123456.789" }, { 5e-324, "4.94065645841247e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" }, { 2.0 / 3.0, "0.6666666666666666" },
	};
	size_t k;

	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct json j;
		double back = -1;
		WBEGIN(256);
		jw_double(&w, c[k].v);
		CHECK_STR(b.p, c[k].s);
		CHECK_INT(parse(&j, b.p), 0);
		CHECK_INT(json_double(&j, 0, &back), 0);
		CHECK(back == c[k].v);
	}
	{
		WBEGIN(256);
		jw_arr(&w);
		jw_double(&w, NAN);
		jw_double(&w, INFINITY);
		jw_double(&w, -INFINITY);
		jw_end(&w);
		CHECK_INT(jw_error(&w), 0);
		CHECK_STR(b.p, "[null,null,null]");
	}
}

static void test_jw_errors(void)
{
	int i;

	{
		WBEGIN(256);
		jw_key(&w, "a"); /* key at top level */
		CHECK_INT(jw_error(&w), -EINVAL);
		jw_int(&w, 1); /* sticky: nothing more is written */
		CHECK_STR(b.p, "");
	}
	{
		WBEGIN(256);
		jw_obj(&w);
		jw_int(&w, 1); /* value where a key is due */
		CHECK_INT(jw_error(&w), -EINVAL);
	}
	{
		WBEGIN(256);
		jw_arr(&w);
		jw_key(&w, "a"); /* key in an array */
		CHECK_INT(jw_error(&w), -EINVAL);
	}
	{
		WBEGIN(256);
		jw_obj(&w);
		jw_key(&w, "a");
		jw_key(&w, "b"); /* two keys */
		CHECK_INT(jw_error(&w), -EINVAL);
	}
	{
		WBEGIN(256);
		jw_obj(&w);
		jw_key(&w, "a");
		jw_end(&w); /* key without value */
		CHECK_INT(jw_error(&w), -EINVAL);
	}
	{
		WBEGIN(256);
		jw_end(&w); /* nothing open */
		CHECK_INT(jw_error(&w), -EINVAL);
	}
	{
		WBEGIN(256);
		jw_int(&w, 1);
		jw_int(&w, 2); /* second top-level value */
		CHECK_INT(jw_error(&w), -EINVAL);
		CHECK_STR(b.p, "1");
	}
	{
		WBEGIN(256);
		jw_obj(&w);
		jw_key(&w, NULL);
		CHECK_INT(jw_error(&w), -EINVAL);
	}
	{
		WBEGIN(4096);
		for (i = 0; i < JSONW_MAX_DEPTH; i++)
			jw_arr(&w);
		CHECK_INT(jw_error(&w), 0);
		jw_arr(&w);
		CHECK_INT(jw_error(&w), -E2BIG);
	}
	{
		WBEGIN(4096);
		for (i = 0; i < JSONW_MAX_DEPTH; i++)
			jw_arr(&w);
		for (i = 0; i < JSONW_MAX_DEPTH; i++)
			jw_end(&w);
		CHECK_INT(jw_error(&w), 0);
		CHECK_INT(rc(b.p), 0);
	}
	{
		WBEGIN(8); /* buffer ceiling */
		jw_arr(&w);
		jw_str(&w, "abcdefghij", 10);
		jw_end(&w);
		CHECK_INT(jw_error(&w), -E2BIG);
	}
	{
		WBEGIN(9); /* exactly fits */
		jw_arr(&w);
		jw_str(&w, "abcde", 5);
		jw_end(&w);
		CHECK_INT(jw_error(&w), 0);
		CHECK_STR(b.p, "[\"abcde\"]");
	}
}

/* ---- round trip ---- */

static void emit(struct jsonw *w, const struct json *j, int i)
{
	size_t n;
	const char *s;
	int64_t iv;
	double dv;
	int k;

	switch (json_kind(j, i)) {
	case JSON_OBJECT:
		jw_obj(w);
		for (k = json_first(j, i); k >= 0; k = json_after(j, k)) {
			s = json_str(j, k, &A, &n);
			jw_keyn(w, s, n);
			emit(w, j, k + 1);
		}
		jw_end(w);
		break;
	case JSON_ARRAY:
		jw_arr(w);
		for (k = json_first(j, i); k >= 0; k = json_after(j, k))
			emit(w, j, k);
		jw_end(w);
		break;
	case JSON_STRING:
		s = json_str(j, i, &A, &n);
		jw_str(w, s, n);
		break;
	case JSON_NUMBER:
		if (json_int(j, i, &iv) == 0)
			jw_int(w, iv);
		else if (json_double(j, i, &dv) == 0)
			jw_double(w, dv);
		else if ((s = json_raw(j, i, &n)) != NULL)
			jw_raw(w, s, n);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		jw_bool(w, json_truthy(j, i));
		break;
	default:
		jw_null(w);
		break;
	}
}

static int same(const struct json *a, const struct json *b)
{
	int i;

	if (a->ntok != b->ntok)
		return 0;
	for (i = 0; i < a->ntok; i++) {
		size_t na, nb;
		const char *sa, *sb;
		double da, db;

		if (json_kind(a, i) != json_kind(b, i) || json_size(a, i) != json_size(b, i) ||
		    a->next[i] != b->next[i])
			return 0;
		if (json_kind(a, i) == JSON_STRING) {
			sa = json_str(a, i, &A, &na);
			sb = json_str(b, i, &A, &nb);
			if (!sa || !sb || na != nb || memcmp(sa, sb, na) != 0)
				return 0;
		}
		if (json_kind(a, i) == JSON_NUMBER) {
			int ra = json_double(a, i, &da), rb = json_double(b, i, &db);
			if (ra != rb || (ra == 0 && da != db))
				return 0;
			/* Out of double range: the text is passed through. */
			sa = json_raw(a, i, &na);
			sb = json_raw(b, i, &nb);
			if (ra != 0 && (na != nb || memcmp(sa, sb, na) != 0))
				return 0;
		}
	}
	return 1;
}

static void test_roundtrip(void)
{
	static const char *const docs[] = {
		" { \"a\" : [ 1 , 2.5 , -3e2 , true , false , null ] , \"b\\u0000\" : { } ,\n"
		"   \"s\" : \"\\ud83d\\ude00 \\u2028 \\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u001f \xc3\xa9\" ,"
		"   \"n\" : [ [ [ ] ] , { \"x\" : { \"y\" : [ ] } } ] , \"\" : \"\" } ",
		"[1e400, 0.1, 1E-5, -0, 9223372036854775807, 9223372036854775808]",
		"\"\\u0000\"",
		"123",
		"[]",
	};
	static const char *const compact[] = {
		"{\"a\":[1,2.5,-300,true,false,null],\"b\\u0000\":{},"
		"\"s\":\"\xf0\x9f\x98\x80 \\u2028 \\\" \\\\ / \\b\\f\\n\\r\\t \\u001f \xc3\xa9\","
		"\"n\":[[[]],{\"x\":{\"y\":[]}}],\"\":\"\"}",
		"[1e400,0.1,1e-05,0,9223372036854775807,9.223372036854776e+18]",
		"\"\\u0000\"",
		"123",
		"[]",
	};
	size_t k;

	for (k = 0; k < sizeof(docs) / sizeof(docs[0]); k++) {
		struct json j1, j2, j3;
		struct buf b2;
		WBEGIN(4096);
		CHECK_INT(parse(&j1, docs[k]), 0);
		emit(&w, &j1, 0);
		CHECK_INT(jw_error(&w), 0);
		CHECK_STR(b.p, compact[k]);
		CHECK_INT(parse(&j2, b.p), 0);
		CHECK(same(&j1, &j2));
		/* Writing the re-parsed document again is a fixed point. */
		buf_init(&b2, &A, 4096);
		jw_init(&w, &b2);
		emit(&w, &j2, 0);
		CHECK_STR(b2.p, b.p);
		CHECK_INT(parse(&j3, b2.p), 0);
		CHECK(same(&j2, &j3));
	}
}

int main(void)
{
	arena_init(&A, LIMIT_ARENA_BYTES);
	RUN(test_valid_scalars);
	RUN(test_valid_containers);
	RUN(test_valid_realistic);
	RUN(test_invalid_empty);
	RUN(test_invalid_literal);
	RUN(test_invalid_number);
	RUN(test_invalid_separators);
	RUN(test_invalid_member_without_value);
	RUN(test_invalid_key_not_string);
	RUN(test_invalid_brackets);
	RUN(test_invalid_two_values);
	RUN(test_invalid_trailing_garbage);
	RUN(test_invalid_escape);
	RUN(test_invalid_lone_surrogate);
	RUN(test_invalid_utf8);
	RUN(test_invalid_control_char);
	RUN(test_depth_cap);
	RUN(test_token_cap);
	RUN(test_arena_exhausted);
	RUN(test_get);
	RUN(test_path);
	RUN(test_walk_object);
	RUN(test_walk_array);
	RUN(test_raw_text);
	RUN(test_unescape);
	RUN(test_str);
	RUN(test_int);
	RUN(test_double);
	RUN(test_bool_null);
	RUN(test_jw_basic);
	RUN(test_jw_nesting);
	RUN(test_jw_escape);
	RUN(test_jw_double);
	RUN(test_jw_errors);
	RUN(test_roundtrip);
	arena_release(&A);
	return CHECK_DONE();
}
