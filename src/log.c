/* SPDX-License-Identifier: MIT */
/*
 * log.c - one line per message to stderr.  Commands say "role: message";
 * the long-running processes (dispatcher, runner, observer, up) put the
 * time (UTC, to the millisecond) and a level in front, and take in
 * libevent's own warnings, so that one log tells what happened when.
 * Messages quote what peers and tests sent: their control characters are
 * escaped, so that a newline cannot forge a line of ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "util.h"

enum log_level { LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

static const char *const log_level_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARNING] = "warning",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

static const char *log_role = "ssci";
static int log_verbose;
static int log_stamped;
static const char *log_path;	/* --log-file, or NULL: standard error */

static void log_line(enum log_level level, const char *msg, int errnum);

/* libevent's messages, at the level it gives them. */
static void
log_from_libevent(int severity, const char *msg)
{
	enum log_level level = severity == EVENT_LOG_DEBUG ? LOG_DEBUG :
	    severity == EVENT_LOG_MSG ? LOG_INFO :
	    severity == EVENT_LOG_WARN ? LOG_WARNING : LOG_ERROR;
	char line[1024];

	if (level == LOG_DEBUG && !log_verbose)
		return;
	snprintf(line, sizeof line, "libevent: %s", msg);
	log_line(level, line, 0);
}

void
log_init(const char *role, int verbose)
{
	log_role = role;
	log_verbose = verbose;
	log_stamped = 0;
}

void
log_init_daemon(const char *role, int verbose)
{
	log_init(role, verbose);
	log_stamped = 1;
	event_set_log_callback(log_from_libevent);
}

/* path opened (appending) as our standard error: 0, or -1 after saying why. */
static int
log_open_path(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY, 0640);

	if (fd == -1 || dup2(fd, STDERR_FILENO) == -1) {
		log_warn("unable to open log file '%s'", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
log_to_file(const char *path)
{
	if (log_open_path(path) == -1)
		return -1;
	log_path = path;
	return 0;
}

void
log_reopen(void)
{
	/* After logrotate moved it: a new file; if that fails, the old one. */
	if (log_path != NULL && log_open_path(log_path) == 0)
		log_info("log file '%s' reopened", log_path);
}

/*
 * "2026-12-01T23:59:59.123Z role level: message[: strerror]" or "role: ...",
 * in one write: stderr is unbuffered, and processes sharing a log file
 * (ssci up) must not interleave parts of lines.
 */
static void
log_line(enum log_level level, const char *msg, int errnum)
{
	char safe[2048 * 4], stamp[40] = "", line[sizeof safe + 256];
	struct timespec ts;
	struct tm tm;
	int n;

	log_escape(msg, safe, sizeof safe);
	if (log_stamped) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof line, "%s.%03ldZ %s %s: %s%s%s\n",
		    stamp, ts.tv_nsec / 1000000, log_role,
		    log_level_names[level], safe, errnum ? ": " : "",
		    errnum ? strerror(errnum) : "");
	} else
		n = snprintf(line, sizeof line, "%s: %s%s%s\n", log_role, safe,
		    errnum ? ": " : "", errnum ? strerror(errnum) : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	fwrite(line, 1, (size_t)n, stderr);
	fflush(stderr);
}

static void
log_vline(enum log_level level, const char *fmt, va_list ap, int errnum)
{
	char msg[2048];

	vsnprintf(msg, sizeof msg, fmt, ap);
	log_line(level, msg, errnum);
}

void
log_warn(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_WARNING, fmt, ap, errnum);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_ERROR, fmt, ap, errnum);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_ERROR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void
log_escape_cut(const char *s, size_t len, size_t most, char *out,
    size_t size)
{
	char cut[LOG_CUT_MAX + 1];
	size_t n = len < most ? len : most;

	if (n > LOG_CUT_MAX)
		n = LOG_CUT_MAX;
	memcpy(cut, s, n);
	cut[n] = '\0';
	log_escape(cut, out, size - 3);
	if (n < len)
		strcat(out, "...");
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
