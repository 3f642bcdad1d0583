/*
 * err.c - filling the one error record, and the vocabularies it is rendered
 * with: reason phrases, OpenAI/Claude error types and Gemini status names.
 */
#include "core/err.h"

int apierr_set(struct apierr *e, int errno_val, int status, const char *type,
	       const char *message)
{
	if (e) {
		e->status = status;
		e->type = type ? type : apierr_type_for_status(status);
		e->message = message;
	}
	return errno_val;
}

const char *apierr_type_for_status(int status)
{
	switch (status) {
	case 401:
		return "authentication_error";
	case 403:
		return "permission_error";
	case 404:
		return "not_found_error";
	case 413:
		return "request_too_large";
	case 429:
		return "rate_limit_error";
	case 503:
	case 529:
		return "overloaded_error";
	default:
		return status >= 500 ? "api_error" : "invalid_request_error";
	}
}

const char *apierr_gemini_status(int status)
{
	switch (status) {
	case 400:
	case 411:
	case 413:
	case 414:
	case 431:
		return "INVALID_ARGUMENT";
	case 401:
		return "UNAUTHENTICATED";
	case 403:
		return "PERMISSION_DENIED";
	case 404:
		return "NOT_FOUND";
	case 405:
	case 501:
		return "UNIMPLEMENTED";
	case 408:
	case 504:
		return "DEADLINE_EXCEEDED";
	case 409:
		return "ABORTED";
	case 429:
		return "RESOURCE_EXHAUSTED";
	case 499:
		return "CANCELLED";
	case 503:
		return "UNAVAILABLE";
	default:
		return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
	}
}

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 529: return "Overloaded";
	default: return status >= 500 ? "Error" : "Status";
	}
}
