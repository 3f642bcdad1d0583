/*
 * fuzz-schema.c - libFuzzer harness for translate/schema.c.  The first byte
 * picks the target (0 Gemini Schema object, 1 Gemini JSON Schema, 2 plain
 * JSON Schema) and bit 2 the SCHEMA_PARAMS flag; the rest is the schema.
 * Output must be valid JSON; for the Gemini JSON target it must use
 * allow-listed keywords only and a second pass must change nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "translate/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz-schema: %s:%d: %s\n", __FILE__,     \
				__LINE__, #c);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

static bool allowed(const struct json *j, int s, int depth)
{
	static const char *const ok[] = { "type", "format", "title", "description", "enum",
					  "items", "minItems", "maxItems", "minimum", "maximum",
					  "anyOf", "properties", "required", "propertyOrdering", NULL };
	int k, i;

	if (json_kind(j, s) != JSON_OBJECT)
		return depth > 0; /* only the top must be an object */
	for (k = json_first(j, s); k >= 0; k = json_after(j, k)) {
		for (i = 0; ok[i] && !json_streq(j, k, ok[i]); i++)
			;
		if (!ok[i])
			return false;
		if (json_streq(j, k, "properties")) {
			int p;
			for (p = json_first(j, k + 1); p >= 0; p = json_after(j, p))
				if (!allowed(j, p + 1, depth + 1) || json_kind(j, p + 1) != JSON_OBJECT)
					return false;
		} else if (json_streq(j, k, "items")) {
			if (json_kind(j, k + 1) != JSON_OBJECT || !allowed(j, k + 1, depth + 1))
				return false;
		} else if (json_streq(j, k, "anyOf")) {
			int e;
			for (e = json_first(j, k + 1); e >= 0; e = json_after(j, e))
				if (json_kind(j, e) != JSON_OBJECT || !allowed(j, e, depth + 1))
					return false;
		}
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct json j;
	const char *out, *again;
	size_t n, n2;
	enum schema_target t;
	unsigned flags;
	int rc;

	if (size < 1)
		return 0;
	t = (enum schema_target)(data[0] % 3);
	flags = data[0] & 4 ? SCHEMA_PARAMS : 0;
	arena_init(&a, 512L * 1024 * 1024);
	rc = schema_rewrite(&a, (const char *)data + 1, size - 1, t, flags, &out, &n);
	if (rc < 0) {
		ASSERT(rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
		arena_release(&a);
		return 0;
	}
	ASSERT(strlen(out) == n);
	ASSERT(json_parse(&j, &a, out, n) == 0);
	if (t == SCHEMA_GEMINI_JSON) {
		ASSERT(json_kind(&j, 0) == JSON_OBJECT);
		ASSERT(allowed(&j, 0, 0));
		rc = schema_rewrite(&a, out, n, t, flags, &again, &n2);
		ASSERT(rc == 0);
		if (n2 != n || memcmp(again, out, n) != 0) {
			fprintf(stderr, "first:  %s\nsecond: %s\n", out, again);
			ASSERT(0);
		}
	}
	arena_release(&a);
	return 0;
}
