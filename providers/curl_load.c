/*
 * curl_load.c - the libcurl function table: dlopen("libcurl.so.4") on first
 * use (default build), or the linked functions (CLIPROXY_CURL_STATIC).
 * OpenSSL is initialised first without reading openssl.cnf or loading error
 * strings: neither is needed to speak TLS, and both cost every process.
 */
#include "providers/curl_load.h"

#include <errno.h>
#include <stddef.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#ifndef CLIPROXY_CURL_STATIC
#include <dlfcn.h>
#endif

/* Filled once per process; the process is short-lived and single-threaded. */
static struct curl_api api;
static int api_state; /* 0 not tried, 1 ready, <0 failed */

#ifdef CLIPROXY_CURL_STATIC
static int load(void)
{
	api = (struct curl_api){
		curl_global_init, curl_easy_init, curl_easy_setopt, curl_easy_getinfo,
		curl_easy_strerror, curl_easy_cleanup, curl_multi_init, curl_multi_add_handle,
		curl_multi_remove_handle, curl_multi_perform, curl_multi_wait, curl_multi_info_read,
		curl_multi_cleanup, curl_slist_append, curl_slist_free_all,
	};
	return 0;
}
#else
static int load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	struct {
		const char *name;
		void **slot;
	} syms[] = {
		{ "curl_global_init", (void **)&api.global_init },
		{ "curl_easy_init", (void **)&api.easy_init },
		{ "curl_easy_setopt", (void **)&api.easy_setopt },
		{ "curl_easy_getinfo", (void **)&api.easy_getinfo },
		{ "curl_easy_strerror", (void **)&api.easy_strerror },
		{ "curl_easy_cleanup", (void **)&api.easy_cleanup },
		{ "curl_multi_init", (void **)&api.multi_init },
		{ "curl_multi_add_handle", (void **)&api.multi_add_handle },
		{ "curl_multi_remove_handle", (void **)&api.multi_remove_handle },
		{ "curl_multi_perform", (void **)&api.multi_perform },
		{ "curl_multi_wait", (void **)&api.multi_wait },
		{ "curl_multi_info_read", (void **)&api.multi_info_read },
		{ "curl_multi_cleanup", (void **)&api.multi_cleanup },
		{ "curl_slist_append", (void **)&api.slist_append },
		{ "curl_slist_free_all", (void **)&api.slist_free_all },
	};

	if (!h)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot)
			return -ENOSYS;
	}
	return 0;
}
#endif

int curl_api_get(const struct curl_api **ret)
{
	if (api_state == 0) {
		/* No openssl.cnf, no error strings: TLS works without both. */
		OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
					 OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS,
				 NULL);
		api_state = load();
		if (api_state == 0)
			api_state = api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 1 : -EPROTO;
	}
	if (api_state < 0)
		return api_state;
	*ret = &api;
	return 0;
}
