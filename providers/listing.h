/*
 * listing.h - the model lists: GET /v1/models (OpenAI shape, or Claude's for
 * Claude clients), GET /v1beta/models and /v1beta/models/{model} (Gemini).
 * They list exactly what the configured credentials can serve.
 */
#ifndef CLIPROXY_LISTING_H
#define CLIPROXY_LISTING_H

#include <stddef.h>

struct conn;

void listing_openai_or_claude(struct conn *c);
void listing_gemini(struct conn *c);
/* GET /v1/models/{id}: OpenAI's model retrieve; 404 if nothing serves it. */
void listing_openai_model(struct conn *c, const char *model, size_t n);
/* One model; 404 in Gemini's shape if nothing serves it. */
void listing_gemini_model(struct conn *c, const char *model, size_t n);

#endif
