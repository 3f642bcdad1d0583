/*
 * curl_load.h - libcurl, loaded when the first upstream call needs it.
 *
 * A process that never goes upstream (HEAD /, model lists, 401s, bad
 * input) never maps libcurl and its ~30 dependent libraries: with Debian's
 * shared libcurl that loading is most of a fresh process's cost (README,
 * "Start-up cost").  The default build dlopen()s libcurl.so.4; the lean
 * build (-DCLIPROXY_CURL_STATIC, LINK=lean) links it and fills the same
 * table with the real functions.  Callers use only this table.
 */
#ifndef CLIPROXY_CURL_LOAD_H
#define CLIPROXY_CURL_LOAD_H

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

struct curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode rc);
	void (*easy_cleanup)(CURL *h);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_wait)(CURLM *m, struct curl_waitfd *extra, unsigned n, int timeout_ms,
				int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_cleanup)(CURLM *m);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* The table, loaded and globally initialised on first use.  0, or -ENOENT
   (libcurl.so.4 missing) / -ENOSYS (a symbol missing) / -EPROTO (init). */
int curl_api_get(const struct curl_api **ret);

#endif
