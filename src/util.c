/* SPDX-License-Identifier: MIT */
/*
 * util.c - allocation that never fails, clocks, validators for the
 * identifiers peers send us (commit ids, repository URLs, branch names),
 * and parsers of numbers, sizes and addresses.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("out of memory formatting a string");
	return n;
}

void
xappendf(char **s, const char *fmt, ...)
{
	char *more, *joined;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) < 0)
		fatalx("out of memory formatting a string");
	va_end(ap);
	xasprintf(&joined, "%s%s", *s != NULL ? *s : "", more);
	free(more);
	free(*s);
	*s = joined;
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
commit_id_normalize(const char *in, char out[65])
{
	size_t len = strlen(in);

	if (len != 40 && len != 64)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)in[i]))
			return -1;
	}
	/* Only a valid id is copied: out is untouched on failure. */
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[len] = '\0';
	return 0;
}

/* Whether s holds a control character (bytes below 0x20 and 0x7f). */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

int
repo_url_valid(const char *url)
{
	size_t len = strlen(url);

	return len > 0 && len <= 4096 && url[0] != '-' && !has_control(url);
}

int
name_valid(const char *s)
{
	return strlen(s) <= 255 && repo_url_valid(s);
}

int
repo_url_kind(const char *url)
{
	static const char *const schemes[] = { "http://", "https://",
	    "ssh://", "git://", "git+ssh://", "ssh+git://" };
	size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	const char *colon = strchr(url, ':');
	const char *slash = strchr(url, '/');

	/* "<transport>::<address>": a remote helper, ext:: runs commands. */
	if (n > 0 && strncmp(url + n, "::", 2) == 0)
		return REPO_URL_REFUSED;
	if (strncmp(url, "file://", 7) == 0)
		return REPO_URL_LOCAL;
	if (strstr(url, "://") != NULL) {
		for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
			if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
				return REPO_URL_REMOTE;
		}
		return REPO_URL_REFUSED;	/* another helper's scheme */
	}
	/* "host:path" as scp writes it, when the colon comes first. */
	if (colon != NULL && (slash == NULL || colon < slash))
		return REPO_URL_REMOTE;
	return REPO_URL_LOCAL;
}

int
branch_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 255 || has_control(name))
		return 0;
	if (name[0] == '-' || name[0] == '/' || name[0] == '.' ||
	    name[len - 1] == '/' || name[len - 1] == '.')
		return 0;
	if (strpbrk(name, " ~^:?*[\\") != NULL)
		return 0;
	if (strstr(name, "..") != NULL || strstr(name, "@{") != NULL ||
	    strstr(name, "//") != NULL || strstr(name, "/.") != NULL)
		return 0;
	if ((len >= 5 && strcmp(name + len - 5, ".lock") == 0) ||
	    strstr(name, ".lock/") != NULL)
		return 0;
	if (strcmp(name, "@") == 0 || strcmp(name, "HEAD") == 0)
		return 0;
	return 1;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_millis(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int64_t whole = 0, frac = 0;
	const char *p = s;
	int digits = 0, scale = 100;

	while (*p >= '0' && *p <= '9') {
		if (whole > INT64_MAX / 10000)
			return -1;
		whole = whole * 10 + (*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (scale == 0)
				return -1;	/* finer than a millisecond */
			frac += (*p++ - '0') * scale;
			scale /= 10;
			digits++;
		}
	}
	if (digits == 0 || *p != '\0')
		return -1;
	*out = whole * 1000 + frac;
	return *out < min || *out > max ? -1 : 0;
}

int
parse_size(const char *s, long long *bytes)
{
	char *end;
	long long v, unit = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		unit = 1LL << 10;
		end++;
		break;
	case 'm': case 'M':
		unit = 1LL << 20;
		end++;
		break;
	case 'g': case 'G':
		unit = 1LL << 30;
		end++;
		break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > (1LL << 50) / unit)
		return -1;
	*bytes = v * unit;
	return 0;
}

int
parse_host_port(const char *s, char **host, int *port)
{
	const char *colon = strrchr(s, ':');
	const char *start = s, *end = colon;
	long p;

	if (colon == NULL || colon == s)
		return -1;
	if (parse_long(colon + 1, 0, 65535, &p) == -1)
		return -1;
	/* "[::1]:8888": an IPv6 address in brackets. */
	if (s[0] == '[') {
		if (colon[-1] != ']' || colon - s < 3)
			return -1;
		start = s + 1;
		end = colon - 1;
	} else if (memchr(s, ':', (size_t)(colon - s)) != NULL)
		return -1;	/* a bare IPv6 address needs brackets */
	*host = xstrndup(start, (size_t)(end - start));
	*port = (int)p;
	return 0;
}

