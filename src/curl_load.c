/* SPDX-License-Identifier: MIT */
/*
 * curl_load.c - libcurl opened with dlopen once, when a dispatcher first
 * needs it, and its functions resolved into a table (curl_load.h).
 *
 * Every process of ssci would otherwise map libcurl and what it brings
 * (TLS, Kerberos, LDAP, ...) at start, though only the outbox of a
 * dispatcher with HTTP targets uses it.  The library is never closed:
 * what it and its own libraries (gnutls, p11-kit) registered for the
 * process's exit must not outlive their code, and valgrind can name only
 * the frames of a library still mapped.
 */
#include <dlfcn.h>
#include <string.h>

#include "curl_load.h"
#include "util.h"

/* The functions of struct curl_fns, each curl_NAME in libcurl. */
#define CURL_LOAD_FNS(X) \
	X(global_init) X(global_cleanup) X(easy_init) X(easy_setopt) \
	X(easy_getinfo) X(easy_cleanup) X(easy_strerror) X(slist_append) \
	X(slist_free_all) X(multi_init) X(multi_setopt) X(multi_add_handle) \
	X(multi_remove_handle) X(multi_socket_action) X(multi_assign) \
	X(multi_info_read) X(multi_cleanup)

/*
 * Each member's type checked against curl.h's prototype at compile time:
 * an incompatible pointer is an error under -Werror.  sizeof evaluates
 * nothing, so the object refers to no symbol of libcurl's.
 */
#define CURL_LOAD_CHECK(name) (void)sizeof(fns.name = &curl_##name);
#define CURL_LOAD_RESOLVE(name) \
	if (curl_load_fn(lib, "curl_" #name, &fns.name) == -1) \
		return NULL;

/* POSIX: dlsym's void * holds a function's address, and converts back. */
_Static_assert(sizeof(void (*)(void)) == sizeof(void *),
    "function pointers are not the size of void *");

/* name's address in lib into the function pointer at fn: 0 or -1 logged. */
static int
curl_load_fn(void *lib, const char *name, void *fn)
{
	const char *why;
	void *p;

	dlerror();
	if ((p = dlsym(lib, name)) == NULL) {
		why = dlerror();
		log_warnx("unable to load '%s': %s", CURL_LOAD_SONAME,
		    why != NULL ? why : "a function is NULL");
		return -1;
	}
	memcpy(fn, &p, sizeof p);
	return 0;
}

const struct curl_fns *
curl_load(void)
{
	static struct curl_fns fns;
	static int tried, loaded;
	const char *why;
	void *lib;

	if (tried)
		return loaded ? &fns : NULL;
	tried = 1;
	CURL_LOAD_FNS(CURL_LOAD_CHECK)
	if ((lib = dlopen(CURL_LOAD_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		log_warnx("unable to load '%s': %s", CURL_LOAD_SONAME,
		    why != NULL ? why : "no reason given");
		return NULL;
	}
	/* On a missing function lib stays open, unused: never closed. */
	CURL_LOAD_FNS(CURL_LOAD_RESOLVE)
	loaded = 1;
	return &fns;
}
