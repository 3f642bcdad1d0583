/*
 * test_schema.c - JSON Schema rewriting (translate/schema.c): the Gemini
 * allow-list, coercions, $ref inlining with cycles and bounds, the way back
 * to plain JSON Schema, and every Claude Code tool schema of a real request
 * (tests/data/translate/claude-claude/capture-claude-code-1) coming out with
 * allow-listed keywords only and unchanged by a second pass.  cwd: repo root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "translate/schema.h"
#include "tests/unit/check.h"

static struct arena arena;

static const char *clean(const char *in, enum schema_target t, unsigned flags)
{
	const char *out;
	size_t n;
	int rc = schema_rewrite(&arena, in, strlen(in), t, flags, &out, &n);

	if (rc < 0)
		return arena_printf(&arena, "error %d", rc);
	return out;
}

#define GJ SCHEMA_GEMINI_JSON
#define GA SCHEMA_GEMINI
#define STD SCHEMA_STANDARD

static void test_drops_unknown_keywords(void)
{
	CHECK_STR(clean("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
			"\"$comment\":\"x\",\"type\":\"object\",\"additionalProperties\":false,"
			"\"properties\":{\"a\":{\"type\":\"string\",\"defer_loading\":true,"
			"\"x-extra\":1}},\"propertyNames\":{\"pattern\":\"^a\"}}", GJ, 0),
		  "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}");
	CHECK_STR(clean("{\"type\":\"array\",\"uniqueItems\":true,\"items\":{\"type\":\"integer\"},"
			"\"contains\":{\"const\":1}}", GJ, 0),
		  "{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}");
	/* a property called like a keyword is a name, not a keyword */
	CHECK_STR(clean("{\"type\":\"object\",\"properties\":{\"$schema\":{\"type\":\"string\"},"
			"\"additionalProperties\":{\"type\":\"boolean\"}}}", GJ, 0),
		  "{\"type\":\"object\",\"properties\":{\"$schema\":{\"type\":\"string\"},"
		  "\"additionalProperties\":{\"type\":\"boolean\"}}}");
}

static void test_types(void)
{
	CHECK_STR(clean("{\"type\":[\"string\",\"null\"]}", GA, 0),
		  "{\"type\":\"STRING\",\"nullable\":true}");
	CHECK_STR(clean("{\"type\":[\"string\",\"null\"]}", GJ, 0), "{\"type\":\"string\"}");
	CHECK_STR(clean("{\"type\":\"OBJECT\",\"properties\":{\"n\":{\"type\":\"INTEGER\"}}}", GJ, 0),
		  "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}");
	/* inferred from structure; unknown type names dropped */
	CHECK_STR(clean("{\"properties\":{\"x\":{\"items\":{\"type\":\"bogus\"}}}}", GJ, 0),
		  "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"array\",\"items\":{}}}}");
	CHECK_STR(clean("{\"properties\":{\"x\":{\"items\":{\"type\":\"bogus\"}}}}", GA, 0),
		  "{\"type\":\"OBJECT\",\"properties\":{\"x\":{\"type\":\"ARRAY\",\"items\":"
		  "{\"type\":\"STRING\"}}}}");
	/* the Gemini Schema object needs items on arrays */
	CHECK_STR(clean("{\"type\":\"array\"}", GA, 0),
		  "{\"type\":\"ARRAY\",\"items\":{\"type\":\"STRING\"}}");
	CHECK_STR(clean("{\"type\":\"array\"}", GJ, 0), "{\"type\":\"array\"}");
	/* keywords of other types are not carried */
	CHECK_STR(clean("{\"type\":\"string\",\"items\":{\"type\":\"string\"},\"minimum\":1}", GJ, 0),
		  "{\"type\":\"string\"}");
}

static void test_const_enum(void)
{
	CHECK_STR(clean("{\"const\":\"fast\"}", GJ, 0), "{\"type\":\"string\",\"enum\":[\"fast\"]}");
	CHECK_STR(clean("{\"type\":\"integer\",\"enum\":[1,2,3]}", GJ, 0),
		  "{\"type\":\"integer\",\"enum\":[1,2,3]}");
	CHECK_STR(clean("{\"type\":\"integer\",\"enum\":[1,2,3]}", GA, 0),
		  "{\"type\":\"STRING\",\"enum\":[\"1\",\"2\",\"3\"]}");
	CHECK_STR(clean("{\"enum\":[true,false,null,\"x\",{\"o\":1},\"x\"]}", GA, 0),
		  "{\"type\":\"STRING\",\"nullable\":true,\"enum\":[\"true\",\"false\",\"x\"]}");
	/* TaskUpdate.status of Claude Code: anyOf of enum and const */
	CHECK_STR(clean("{\"description\":\"New status\",\"anyOf\":[{\"type\":\"string\",\"enum\":"
			"[\"pending\",\"completed\"]},{\"type\":\"string\",\"const\":\"deleted\"}]}", GJ, 0),
		  "{\"type\":\"string\",\"description\":\"New status\",\"enum\":"
		  "[\"pending\",\"completed\",\"deleted\"]}");
}

static void test_unions(void)
{
	CHECK_STR(clean("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}", GA, 0),
		  "{\"type\":\"STRING\",\"nullable\":true}");
	CHECK_STR(clean("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", GJ, 0),
		  "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}");
	CHECK_STR(clean("{\"anyOf\":[{\"type\":\"string\"},{}]}", GJ, 0), "{}");
	CHECK_STR(clean("{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
			"\"required\":[\"a\"]},{\"properties\":{\"b\":{\"type\":\"boolean\"},"
			"\"a\":{\"type\":\"integer\"}},\"required\":[\"b\",\"a\"]}]}", GJ, 0),
		  "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},"
		  "\"b\":{\"type\":\"boolean\"}},\"required\":[\"a\",\"b\"]}");
}

static void test_numbers(void)
{
	/* Claude Code's Read tool: huge bounds kept exactly, exclusiveMinimum folded */
	CHECK_STR(clean("{\"type\":\"integer\",\"exclusiveMinimum\":0,\"maximum\":9007199254740991}",
			GJ, 0),
		  "{\"type\":\"integer\",\"minimum\":1,\"maximum\":9007199254740991}");
	CHECK_STR(clean("{\"type\":\"integer\",\"minimum\":-9007199254740991}", GA, 0),
		  "{\"type\":\"INTEGER\",\"minimum\":-9007199254740991}");
	CHECK_STR(clean("{\"type\":\"integer\",\"minimum\":5,\"exclusiveMinimum\":0}", GJ, 0),
		  "{\"type\":\"integer\",\"minimum\":5}");
	CHECK_STR(clean("{\"type\":\"integer\",\"exclusiveMaximum\":-9223372036854775808}", GJ, 0),
		  "{\"type\":\"integer\",\"description\":\"exclusiveMaximum: -9223372036854775808\"}");
	CHECK_STR(clean("{\"type\":\"number\",\"exclusiveMinimum\":0.5,\"maximum\":1e999}", GJ, 0),
		  "{\"type\":\"number\",\"description\":\"exclusiveMinimum: 0.5\"}");
	CHECK_STR(clean("{\"type\":\"array\",\"minItems\":-1,\"maxItems\":2.5,\"items\":{}}", GJ, 0),
		  "{\"type\":\"array\",\"items\":{}}");
}

static void test_hints(void)
{
	CHECK_STR(clean("{\"type\":\"string\",\"description\":\"Run id\",\"pattern\":\"^wf_\","
			"\"maxLength\":10,\"format\":\"uri\"}", GJ, 0),
		  "{\"type\":\"string\",\"description\":\"Run id (format: uri; pattern: ^wf_; "
		  "maxLength: 10)\"}");
	/* the Schema object takes those natively */
	CHECK_STR(clean("{\"type\":\"string\",\"pattern\":\"^wf_\",\"maxLength\":10,"
			"\"format\":\"date-time\"}", GA, 0),
		  "{\"type\":\"STRING\",\"format\":\"date-time\",\"maxLength\":10,\"pattern\":\"^wf_\"}");
	CHECK_STR(clean("{\"type\":\"integer\",\"format\":\"int64\",\"default\":3}", GJ, 0),
		  "{\"type\":\"integer\",\"description\":\"default: 3\",\"format\":\"int64\"}");
}

static void test_required(void)
{
	CHECK_STR(clean("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},"
			"\"b\":false},\"required\":[\"a\",\"b\",\"zz\",\"a\",7],"
			"\"propertyOrdering\":[\"zz\",\"a\"]}", GJ, 0),
		  "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
		  "\"required\":[\"a\"],\"propertyOrdering\":[\"a\"]}");
}

static void test_refs(void)
{
	CHECK_STR(clean("{\"type\":\"object\",\"$defs\":{\"P\":{\"type\":\"object\",\"properties\":"
			"{\"x\":{\"type\":\"number\"}}}},\"properties\":{\"p\":{\"$ref\":\"#/$defs/P\","
			"\"description\":\"A point\"}}}", GJ, 0),
		  "{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"object\",\"description\":"
		  "\"A point\",\"properties\":{\"x\":{\"type\":\"number\"}}}}}");
	/* JSON pointer escapes and definitions */
	CHECK_STR(clean("{\"definitions\":{\"a/b\":{\"type\":\"boolean\"}},\"type\":\"object\","
			"\"properties\":{\"f\":{\"$ref\":\"#/definitions/a~1b\"}}}", GJ, 0),
		  "{\"type\":\"object\",\"properties\":{\"f\":{\"type\":\"boolean\"}}}");
	/* recursion: expanded once, then a typed stub naming the reference */
	CHECK_STR(clean("{\"$defs\":{\"T\":{\"type\":\"object\",\"properties\":{\"kids\":{\"type\":"
			"\"array\",\"items\":{\"$ref\":\"#/$defs/T\"}}}}},\"$ref\":\"#/$defs/T\"}", GJ, 0),
		  "{\"type\":\"object\",\"properties\":{\"kids\":{\"type\":\"array\",\"items\":"
		  "{\"type\":\"object\",\"description\":\"$ref: #/$defs/T\"}}}}");
	/* a reference to itself, and one that goes nowhere */
	CHECK_STR(clean("{\"$ref\":\"#\"}", GJ, 0), "{\"description\":\"$ref: #\"}");
	CHECK_STR(clean("{\"type\":\"object\",\"properties\":{\"r\":{\"$ref\":\"other.json#/x\"},"
			"\"s\":{\"$ref\":\"#/$defs/missing\"}}}", GA, 0),
		  "{\"type\":\"OBJECT\",\"properties\":{\"r\":{\"type\":\"STRING\",\"description\":"
		  "\"$ref: other.json#/x\"},\"s\":{\"type\":\"STRING\",\"description\":"
		  "\"$ref: #/$defs/missing\"}}}");
}

/* Exponential $ref fan-out stays bounded. */
static void test_ref_bomb(void)
{
	struct buf b;
	const char *out;
	int i;

	buf_init(&b, &arena, 1 << 20);
	buf_adds(&b, "{\"$defs\":{");
	for (i = 0; i < 30; i++)
		buf_addf(&b, "%s\"d%d\":{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/$defs/d%d\"},"
			 "\"b\":{\"$ref\":\"#/$defs/d%d\"},\"c\":{\"$ref\":\"#/$defs/d%d\"}}}",
			 i ? "," : "", i, i + 1, i + 1, i + 1);
	buf_adds(&b, ",\"d30\":{\"type\":\"string\"}},\"$ref\":\"#/$defs/d0\"}");
	out = clean(b.p, GJ, SCHEMA_PARAMS);
	CHECK(strncmp(out, "error", 5) != 0);
	CHECK(strlen(out) < 4 * 1024 * 1024);
}

/* Deep nesting is cut at SCHEMA_MAX_DEPTH and stays valid JSON. */
static void test_depth(void)
{
	struct buf b;
	struct json j;
	const char *out;
	int i;

	buf_init(&b, &arena, 1 << 20);
	for (i = 0; i < 200; i++)
		buf_adds(&b, "{\"type\":\"array\",\"items\":");
	buf_adds(&b, "{\"type\":\"string\"}");
	for (i = 0; i < 200; i++)
		buf_adds(&b, "}");
	out = clean(b.p, GJ, 0);
	CHECK(json_parse(&j, &arena, out, strlen(out)) == 0);
	CHECK(strlen(out) < 26 * (SCHEMA_MAX_DEPTH + 2));
	out = clean(b.p, STD, 0);
	CHECK(json_parse(&j, &arena, out, strlen(out)) == 0);
}

static void test_params(void)
{
	CHECK_STR(clean("{}", GJ, SCHEMA_PARAMS), "{\"type\":\"object\",\"properties\":{}}");
	CHECK_STR(clean("true", GJ, SCHEMA_PARAMS), "{\"type\":\"object\",\"properties\":{}}");
	CHECK_STR(clean("{\"type\":\"string\"}", GJ, SCHEMA_PARAMS),
		  "{\"type\":\"object\",\"properties\":{}}");
	CHECK_STR(clean("[1", GJ, SCHEMA_PARAMS), "error -22");
}

static void test_standard(void)
{
	CHECK_STR(clean("{\"type\":\"OBJECT\",\"properties\":{\"u\":{\"type\":\"STRING\","
			"\"nullable\":true,\"enum\":[\"a\"]},\"v\":{"
			"\"type\":\"ARRAY\",\"items\":{\"type\":\"NUMBER\"}}},"
			"\"propertyOrdering\":[\"u\",\"v\"],\"required\":[ \"u\" ],\"x-keep\":{ \"k\" : 1 }}",
			STD, 0),
		  "{\"type\":\"object\",\"properties\":{\"u\":{\"type\":[\"string\",\"null\"],"
		  "\"enum\":[\"a\",null]},\"v\":{\"type\":\"array\",\"items\":{\"type\":\"number\"}}},"
		  "\"required\":[\"u\"],\"x-keep\":{\"k\":1}}");
	CHECK_STR(clean("{\"anyOf\":[{\"type\":\"INTEGER\"}],\"$defs\":{\"D\":{\"type\":\"BOOLEAN\"}}}",
			STD, 0),
		  "{\"anyOf\":[{\"type\":\"integer\"}],\"$defs\":{\"D\":{\"type\":\"boolean\"}}}");
}

/* Every allow-listed keyword of a Gemini JSON schema, recursively. */
static int walk_allowed(const struct json *j, int s, int depth)
{
	static const char *const ok[] = { "type", "format", "title", "description", "enum",
					  "items", "minItems", "maxItems", "minimum", "maximum",
					  "anyOf", "properties", "required", "propertyOrdering", NULL };
	int k, i, bad = 0;

	if (json_kind(j, s) != JSON_OBJECT || depth > 64)
		return 0;
	for (k = json_first(j, s); k >= 0; k = json_after(j, k)) {
		for (i = 0; ok[i] && !json_streq(j, k, ok[i]); i++)
			;
		if (!ok[i]) {
			size_t n;
			const char *name = json_raw(j, k, &n);
			printf("#   keyword %.*s not allowed\n", (int)n, name);
			bad++;
		}
		if (json_streq(j, k, "properties")) {
			int p;
			for (p = json_first(j, k + 1); p >= 0; p = json_after(j, p))
				bad += walk_allowed(j, p + 1, depth + 1);
		} else if (json_streq(j, k, "items")) {
			bad += walk_allowed(j, k + 1, depth + 1);
		} else if (json_streq(j, k, "anyOf")) {
			int e;
			for (e = json_first(j, k + 1); e >= 0; e = json_after(j, e))
				bad += walk_allowed(j, e, depth + 1);
		}
	}
	return bad;
}

static void test_claude_code_tools(void)
{
	const char *path = "tests/data/translate/claude-claude/capture-claude-code-1/request.in.json";
	FILE *f = fopen(path, "rb");
	struct buf b;
	struct json j;
	char tmp[65536];
	size_t n;
	int tools, t, count = 0;

	CHECK(f != NULL);
	if (!f)
		return;
	buf_init(&b, &arena, LIMIT_BODY_BYTES);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	CHECK(json_parse(&j, &arena, b.p, b.len) == 0);
	tools = json_get(&j, 0, "tools");
	for (t = json_first(&j, tools); t >= 0; t = json_after(&j, t)) {
		struct buf o;
		struct jsonw w;
		struct json cj;
		const char *again;
		size_t an;

		buf_init(&o, &arena, LIMIT_BODY_BYTES);
		jw_init(&w, &o);
		CHECK(schema_write(&w, &j, json_get(&j, t, "input_schema"), GJ, SCHEMA_PARAMS,
				   &arena) == 0);
		CHECK(json_parse(&cj, &arena, o.p, o.len) == 0);
		CHECK_INT(walk_allowed(&cj, 0, 0), 0);
		CHECK(json_streq(&cj, json_get(&cj, 0, "type"), "object"));
		/* a second pass changes nothing */
		CHECK(schema_rewrite(&arena, o.p, o.len, GJ, SCHEMA_PARAMS, &again, &an) == 0);
		CHECK(an == o.len && memcmp(again, o.p, an) == 0);
		count++;
	}
	CHECK(count >= 20);
	/* the huge bounds of Read survive exactly */
	CHECK(strstr(clean("{\"type\":\"object\",\"properties\":{\"offset\":{\"type\":\"integer\","
			   "\"minimum\":0,\"maximum\":9007199254740991}}}", GJ, SCHEMA_PARAMS),
		     "\"maximum\":9007199254740991") != NULL);
}

/* Out of memory anywhere gives an error, never a crash or a partial success. */
static void test_small_arena(void)
{
	struct arena small;
	const char *out;
	size_t n;
	int rc;

	const char *in = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\","
			 "\"pattern\":\"^x\",\"description\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}}";
	size_t cap;

	for (cap = 1024; cap <= 512 * 1024; cap *= 2) {
		arena_init(&small, cap);
		rc = schema_rewrite(&small, in, strlen(in), GJ, 0, &out, &n);
		if (!(rc == 0 || rc == -ENOMEM || rc == -E2BIG))
			printf("#   cap %zu: rc %d\n", cap, rc);
		CHECK(rc == 0 || rc == -ENOMEM || rc == -E2BIG);
		arena_release(&small);
	}
	CHECK_INT(rc, 0);
}

int main(void)
{
	arena_init(&arena, LIMIT_ARENA_BYTES);
	RUN(test_drops_unknown_keywords);
	RUN(test_types);
	RUN(test_const_enum);
	RUN(test_unions);
	RUN(test_numbers);
	RUN(test_hints);
	RUN(test_required);
	RUN(test_refs);
	RUN(test_ref_bomb);
	RUN(test_depth);
	RUN(test_params);
	RUN(test_standard);
	RUN(test_claude_code_tools);
	RUN(test_small_arena);
	arena_release(&arena);
	return CHECK_DONE();
}
