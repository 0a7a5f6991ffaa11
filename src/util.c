/* SPDX-License-Identifier: MIT */
/*
 * util.c - allocation that never fails, logging, clocks, validators for the
 * identifiers peers send us, and small file helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const char *log_role = "ssci";
static int log_verbose;

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
log_init(const char *role, int verbose)
{
	log_role = role;
	log_verbose = verbose;
}

/*
 * One line to stderr: "role: message[: strerror]".  Messages quote what
 * peers and tests sent: their control characters are escaped, so that a
 * newline cannot forge a line of ours.
 */
static void
log_vline(const char *fmt, va_list ap, int errnum)
{
	char msg[2048], safe[sizeof msg * 4];

	vsnprintf(msg, sizeof msg, fmt, ap);
	log_escape(msg, safe, sizeof safe);
	if (errnum)
		fprintf(stderr, "%s: %s: %s\n", log_role, safe, strerror(errnum));
	else
		fprintf(stderr, "%s: %s\n", log_role, safe);
	fflush(stderr);
}

void
log_warn(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap, errnum);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline(fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap, errnum);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap, 0);
	va_end(ap);
	exit(1);
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

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t need;
	unsigned int cp;

	if (s[0] < 0x80)
		return s[0] == 0 ? 0 : 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (avail < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

void
log_escape(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, len = strlen(in), n;

	for (size_t i = 0; i < len && o + 7 < size; i += n) {
		n = utf8_seq_len(s + i, len - i);
		if (n == 1 && s[i] >= 0x20 && s[i] != 0x7f) {
			out[o++] = (char)s[i];
			continue;
		}
		if (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
			/* C1 controls, which terminals obey too. */
			o += (size_t)snprintf(out + o, size - o, "\\u%04x",
			    s[i + 1]);
			continue;
		}
		if (n > 1) {
			memcpy(out + o, s + i, n);
			o += n;
			continue;
		}
		n = 1;
		if (s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
			out[o++] = '\\';
			out[o++] = s[i] == '\n' ? 'n' : s[i] == '\t' ? 't' : 'r';
		} else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", s[i]);
	}
	out[o] = '\0';
}

int
utf8_valid(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;

	for (size_t i = 0, n; i < len; i += n) {
		if (s[i] != 0 && s[i] < 0x80) {
			n = 1;
			continue;
		}
		if ((n = utf8_seq_len(s + i, len - i)) == 0)
			return 0;
	}
	return 1;
}

char *
utf8_sanitize(const char *data, size_t len, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)data;
	char *out = xmalloc(len * 3 + 1);
	size_t o = 0, i = 0;

	while (i < len) {
		size_t n, run = i;

		/* Output is mostly ASCII: copy runs of it at once. */
		while (run < len && s[run] != 0 && s[run] < 0x80)
			run++;
		if (run > i) {
			memcpy(out + o, s + i, run - i);
			o += run - i;
			i = run;
			continue;
		}
		n = utf8_seq_len(s + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
}

void
sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") :
	    xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int
write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp;
	const char *p = data;
	int fd;

	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1) {
		log_warn("unable to create '%s'", tmp);
		free(tmp);
		return -1;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("unable to write '%s'", tmp);
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		log_warn("unable to sync '%s'", tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		log_warn("unable to write '%s'", tmp);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		log_warn("unable to rename '%s' to '%s'", tmp, path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	sync_parent_dir(path);
	return 0;
fail:
	close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int
mkdir_p(const char *path)
{
	char *copy;
	struct stat st;

	if (*path == '\0') {
		log_warnx("unable to create '': empty path");
		return -1;
	}
	copy = xstrdup(path);
	for (char *p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST) {
			log_warn("unable to create '%s'", copy);
			free(copy);
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warnx("unable to use '%s': not a directory", path);
		return -1;
	}
	return 0;
}

int
mkdir_p_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (slash == NULL || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	rc = mkdir_p(dir);
	free(dir);
	return rc;
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
