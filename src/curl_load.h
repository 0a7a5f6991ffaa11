/* SPDX-License-Identifier: MIT */
/*
 * curl_load.h - libcurl loaded at run time (curl_load.c), for the
 * outbox's HTTP requests only.
 *
 * ssci is not linked with libcurl: it and the two dozen libraries it
 * brings (gnutls, krb5, ldap, ...) would cost every process a few
 * milliseconds to start and a few MiB, and only a dispatcher that sends
 * to a forge or a URL uses it.  That dispatcher calls curl_load at
 * start-up and, through the table it returns, every libcurl function it
 * uses.  <curl/curl.h> still gives the types and constants.
 */
#ifndef SSCI_CURL_LOAD_H
#define SSCI_CURL_LOAD_H

#include <curl/curl.h>

/* The library loaded, by its soname (libcurl's ABI since 7.16). */
#define CURL_LOAD_SONAME "libcurl.so.4"

/* The libcurl functions ssci uses, each with its prototype in curl.h. */
struct curl_fns {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list,
	    const char *data);
	void (*slist_free_all)(struct curl_slist *list);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
	CURLMcode (*multi_add_handle)(CURLM *multi, CURL *curl);
	CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *curl);
	CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t s,
	    int ev_bitmask, int *running_handles);
	CURLMcode (*multi_assign)(CURLM *multi, curl_socket_t s,
	    void *sockp);
	CURLMsg *(*multi_info_read)(CURLM *multi, int *msgs_in_queue);
	CURLMcode (*multi_cleanup)(CURLM *multi);
};

/*
 * libcurl's functions, loaded on the first call (dlopen of
 * CURL_LOAD_SONAME, every one of them resolved) and the same table on
 * every later one; or NULL, the reason logged on the first failure only
 * ("unable to load 'libcurl.so.4': ...").  The library stays loaded for
 * the life of the process.
 */
const struct curl_fns *curl_load(void);

#endif
