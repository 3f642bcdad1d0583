/*
 * err.h - the one error record.  Functions return negative errno values; the
 * place that knows what went wrong fills a struct apierr with the HTTP status,
 * a machine type and a human message (static or arena string, never a
 * secret).  serve.c renders it in the client family's shape and logs it once.
 */
#ifndef CLIPROXY_ERR_H
#define CLIPROXY_ERR_H

struct apierr {
	int status;          /* HTTP status to answer */
	const char *type;    /* e.g. "invalid_request_error" (OpenAI/Claude type) */
	const char *message; /* human text */
};

/* Fill e and return -errno_val, for `return apierr_set(e, -EINVAL, 400, ...)`. */
int apierr_set(struct apierr *e, int errno_val, int status, const char *type,
	       const char *message);

/* The conventional type string for a status (OpenAI/Claude vocabulary). */
const char *apierr_type_for_status(int status);
/* Gemini's canonical status name for an HTTP status (e.g. 400 INVALID_ARGUMENT). */
const char *apierr_gemini_status(int status);
/* Standard reason phrase ("Bad Request"). */
const char *http_reason(int status);

#endif
