/* SPDX-License-Identifier: MIT */
/*
 * util.h - what every ssci command shares: allocation that never returns
 * NULL, clocks, validators and parsers (util.c), logging (log.c), UTF-8
 * (utf8.c) and small file helpers (files.c).
 */
#ifndef SSCI_UTIL_H
#define SSCI_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define SSCI_VERSION "0.1.0"

/* Allocation: abort with a message on out-of-memory, never return NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
/* Copies exactly n bytes of s (which must have them) and a NUL. */
char *xstrndup(const char *s, size_t n);
/* Free n strings of v, then v. */
void strv_free(char **v, size_t n);
int xasprintf(char **ret, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append what fmt says to *s (malloc'd, or NULL: none), which is replaced. */
void xappendf(char **s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Logging to stderr, one line each, prefixed with the program's role set by
 * log_init ("ssci: ...") or, for long-running processes, log_init_daemon,
 * which adds the time and a level and routes libevent's own messages here
 * ("2026-12-01T09:30:00.123Z dispatcher info: ...").  log_warn appends
 * strerror(errno).  fatal/fatalx exit(1) and are for start-up, out of
 * memory or broken invariants only, never for a peer's input.
 */
void log_init(const char *role, int verbose);
void log_init_daemon(const char *role, int verbose);
/*
 * Log to the file at path (appended; made 0640) instead of standard
 * error, which becomes that file: 0, or -1 after saying why.
 */
int log_to_file(const char *path);
/* Open the log file's path again (SIGHUP, after logrotate moved it). */
void log_reopen(void);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Milliseconds: wall clock since the epoch, and a monotonic clock. */
int64_t now_ms(void);
int64_t mono_ms(void);
/* The same in microseconds, for what takes less than a millisecond. */
int64_t mono_us(void);

/*
 * Commit ids: 40 (SHA-1) or 64 (SHA-256) hex digits.  commit_id_normalize
 * copies a valid id, lower-cased, into out (at least 65 bytes) and returns 0;
 * it returns -1 for anything else ("", "../../x", "--upload-pack=...").
 */
int commit_id_normalize(const char *in, char out[65]);

/*
 * A repository URL or path as accepted from a peer: 1..4096 bytes, no
 * control characters, and not starting with '-' (git would read an option).
 */
int repo_url_valid(const char *url);

/* A runner's name or label: a repo_url_valid string of at most 255 bytes. */
int name_valid(const char *name);

/*
 * What a repository URL asks git to do, as git reads it: REPO_URL_REMOTE
 * (http(s)://, ssh://, git://, host:path), REPO_URL_LOCAL (a path or
 * file://: only with a dispatcher told to allow them), or REPO_URL_REFUSED
 * (a remote helper, "ext::..." runs any command; or a scheme git would
 * hand to one).
 */
enum { REPO_URL_REMOTE, REPO_URL_LOCAL, REPO_URL_REFUSED };
int repo_url_kind(const char *url);

/*
 * A branch name as accepted from a peer: a conservative subset of git's
 * check-ref-format: 1..255 bytes, no control characters, no space, none of
 * ~^:?*[\, no "..", "@{", "//", no leading '-' or '/' and no trailing '/',
 * '.' or ".lock".
 */
int branch_name_valid(const char *name);

/*
 * Copy len bytes of possibly invalid UTF-8 into a new NUL-terminated string,
 * replacing each invalid byte and each NUL with U+FFFD, so that it can be
 * carried in a JSON string.  *outlen (if not NULL) gets the result's length.
 */
char *utf8_sanitize(const char *data, size_t len, size_t *outlen);

/*
 * in (NUL-terminated) made safe for one log line in out (size bytes, at
 * least 8): control characters (C0, DEL, C1) as \n, \t, \r, \xNN or
 * \u00NN, bytes that are not UTF-8 as \xNN; cut short if out is full.
 */
void log_escape(const char *in, char *out, size_t size);
/*
 * The first at most `most` (up to LOG_CUT_MAX) of len bytes at s, which
 * need not end in NUL, escaped as log_escape does into out (size bytes),
 * with "..." after them when cut: a word quoted in an error message.
 */
#define LOG_CUT_MAX 256
void log_escape_cut(const char *s, size_t len, size_t most, char *out,
    size_t size);

/* Whether len bytes are valid UTF-8 without NUL. */
int utf8_valid(const char *data, size_t len);
/* The length of the valid UTF-8 character at s (1..4), or 0 if invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t avail);
/*
 * How many of the first len bytes at s are ASCII other than NUL: what
 * utf8_valid and utf8_sanitize pass over unchanged, checked eight bytes at
 * a time.
 */
size_t utf8_ascii_len(const char *s, size_t len);
/*
 * How many of the first len bytes at s a JSON string carries as they are:
 * no byte below 0x20, no '"' or '\\' (nor, if ascii, any byte of
 * 0x80 or more, which needs a UTF-8 check).  Checked eight bytes at a time:
 * log output is mostly such runs.
 */
size_t json_plain_len(const char *s, size_t len, int ascii);

/* Write all len bytes, through EINTR and short writes: 0, or -1 (errno). */
int write_all(int fd, const void *data, size_t len);

/*
 * Write len bytes to path atomically: a temporary file in the same folder,
 * fsync, rename.  Returns 0, or -1 after logging the error.
 */
int write_file_atomic(const char *path, const void *data, size_t len);

/* fsync the folder holding path, so that a rename in it is durable. */
void sync_parent_dir(const char *path);

/*
 * A new file for path (relative, checked by the caller) under the folder
 * top, its folders made, no link followed on the way (a tree's commit may
 * have planted one): its descriptor, *tmp its temporary name in *dirfd's
 * folder, to be renamed to path's last part; or -1 (errno).
 */
int file_create_beneath(const char *top, const char *path, char **tmp,
    int *dirfd);

/* mkdir -p with mode 0755; returns 0 or -1 after logging. */
int mkdir_p(const char *path);
/* mkdir -p of the folder that holds path (none for a bare name). */
int mkdir_p_parent(const char *path);

/*
 * An artifact's path as the dispatcher keeps it (STATE/artifacts/JOB/PATH):
 * relative, 1..ARTIFACT_PATH_MAX bytes of UTF-8 without control
 * characters, its parts neither empty nor "." nor ".." (so no leading or
 * trailing '/' and no "//").
 */
#define ARTIFACT_PATH_MAX 1024
int artifact_path_valid(const char *path);

/*
 * Parse "HOST:PORT" or "[IPV6]:PORT" (port 0..65535); host is malloc'd,
 * without brackets.  -1 if malformed.
 */
int parse_host_port(const char *s, char **host, int *port);

/* Parse a size: a number with an optional K, M or G (powers of 1024). */
int parse_size(const char *s, long long *bytes);

/*
 * Parse seconds with up to three decimals ("2", "0.25") into milliseconds
 * within [min, max]; -1 if not.
 */
int parse_millis(const char *s, int64_t min, int64_t max, int64_t *out);

/* Parse a non-negative decimal integer within [min, max]; -1 if not. */
int parse_long(const char *s, long min, long max, long *out);

#endif
