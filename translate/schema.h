/*
 * schema.h - JSON Schema rewriting between the families.
 *
 * Gemini accepts only a subset of JSON Schema in tool parameters and
 * response schemas and answers 400 for anything else, so schemas going to
 * Gemini are rebuilt from an ALLOW-list of keywords (never a deny-list):
 *
 *   SCHEMA_GEMINI       the Schema object (OpenAPI 3.0 subset) of
 *                       `parameters` / `responseSchema`: upper-case types,
 *                       nullable, enum of strings only.
 *   SCHEMA_GEMINI_JSON  the JSON Schema fields `parametersJsonSchema` /
 *                       `responseJsonSchema` (what Gemini CLI and the
 *                       @google/genai SDK send): lower-case types, a
 *                       smaller keyword set.  The encoders use this one.
 *   SCHEMA_STANDARD     the other way: a Gemini schema (upper-case types,
 *                       nullable) made plain JSON Schema for Claude/OpenAI;
 *                       every other keyword is kept.
 *
 * Gemini targets: $ref/$defs are inlined (bounded depth, cycles cut),
 * allOf merged, oneOf read as anyOf, anyOf of enums/consts merged into one
 * enum, a null branch or a "null" in a type array becomes nullability,
 * const becomes enum, enum values become strings (SCHEMA_GEMINI_JSON keeps
 * all-numeric enums of numeric types), `required` keeps only names that
 * are properties, exclusiveMinimum/Maximum on integers become
 * minimum/maximum, and constraints the target lacks (pattern, minLength,
 * unsupported formats, ...) become a hint in the description.  Nesting and
 * total work are bounded; beyond the bound a node keeps only its type.
 */
#ifndef CLIPROXY_SCHEMA_H
#define CLIPROXY_SCHEMA_H

#include <stddef.h>

struct arena;
struct json;
struct jsonw;

enum schema_target {
	SCHEMA_GEMINI,
	SCHEMA_GEMINI_JSON,
	SCHEMA_STANDARD,
};

/* Flags. */
#define SCHEMA_PARAMS 1u /* tool parameters: the top is always an object with properties */

/* Bounds of the Gemini targets. */
#define SCHEMA_MAX_DEPTH 24     /* nested schema levels kept */
#define SCHEMA_MAX_REF_DEPTH 8  /* $ref expansions along one path */
#define SCHEMA_MAX_NODES 20000  /* schema nodes visited per call */

/*
 * Write the rewritten schema at token tok of j (any JSON value; a missing
 * token (-1) counts as {}).  0, or a negative errno (-ENOMEM, -E2BIG) also
 * left sticky in w.
 */
int schema_write(struct jsonw *w, const struct json *j, int tok, enum schema_target t,
		 unsigned flags, struct arena *a);
/* The same from JSON text; -EINVAL if s is not JSON (nothing written). */
int schema_write_text(struct jsonw *w, const char *s, size_t n, enum schema_target t,
		      unsigned flags, struct arena *a);
/* The rewritten schema as NUL-terminated arena text. */
int schema_rewrite(struct arena *a, const char *s, size_t n, enum schema_target t,
		   unsigned flags, const char **ret, size_t *ret_len);

#endif
