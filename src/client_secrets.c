/* SPDX-License-Identifier: MIT */
/*
 * client_secrets.c - what "ssci secret set|list|rm" asks and how it
 * prints the answer (client.h).  A value is read from standard input or
 * --file, never from the command line (where ps and the shell's history
 * would show it), with one trailing newline taken off; on a terminal it
 * is asked for without echo.  Names, values and branch globs are checked
 * here as the dispatcher checks them (secrets.h), so a bad one is refused
 * (exit status 2) before anything is sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "proto.h"
#include "secrets.h"
#include "util.h"

#define SECRET_USAGE \
	"usage: ssci secret [OPTIONS] set REPO NAME\n" \
	"       ssci secret [OPTIONS] list REPO\n" \
	"       ssci secret [OPTIONS] rm REPO NAME\n"

static const char *
str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "-";
}

/* s escaped for a terminal, cut at most bytes. */
static void
print_clean(const char *s, size_t most)
{
	char safe[LOG_CUT_MAX * 6 + 8];

	log_escape_cut(s, strlen(s), most, safe, sizeof safe);
	fputs(safe, stdout);
}

/*
 * Read all of fd (what, for messages), at most SECRET_MAX_VALUE bytes
 * and a newline, into *out (malloc'd, NUL-terminated) and *len; on a
 * terminal, one line.  0, or -1 after saying why.
 */
static int
read_value(int fd, const char *what, int one_line, char **out, size_t *len)
{
	size_t max = SECRET_MAX_VALUE + 2, n = 0;
	char *buf = xmalloc(max + 1);
	ssize_t got;

	while (n < max + 1) {
		got = read(fd, buf + n, one_line ? 1 : max + 1 - n);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			fprintf(stderr, "ssci: unable to read the value from "
			    "%s: %s\n", what, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (one_line && buf[n - 1] == '\n')
			break;
		if (n > max)
			break;
	}
	if (n > max) {
		fprintf(stderr, "ssci: a secret's value may be at most %d "
		    "bytes; %s holds more\n", SECRET_MAX_VALUE, what);
		goto fail;
	}
	/* One newline, as echo and editors leave, is not the value's. */
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
fail:
	explicit_bzero(buf, max + 1);
	free(buf);
	return -1;
}

/* The value from a terminal, asked for without echo. */
static int
read_value_tty(const char *name, char **out, size_t *len)
{
	struct termios saved, quiet;
	int rc, echo_off;

	fprintf(stderr, "value of secret '%s' (not shown): ", name);
	fflush(stderr);
	echo_off = tcgetattr(STDIN_FILENO, &saved) == 0;
	if (echo_off) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	rc = read_value(STDIN_FILENO, "the terminal", 1, out, len);
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	fprintf(stderr, "\n");
	return rc;
}

/* set's value from --file or standard input, checked: 0, or -1. */
static int
check_value(struct client_args *a)
{
	char why[300], safe[300];
	int fd, rc;

	if (a->secret_file != NULL) {
		log_escape(a->secret_file, safe, sizeof safe);
		if ((fd = open(a->secret_file, O_RDONLY | O_CLOEXEC)) == -1) {
			fprintf(stderr, "ssci: unable to read '%s': %s\n", safe,
			    strerror(errno));
			return -1;
		}
		rc = read_value(fd, safe, 0, &a->secret, &a->secret_len);
		close(fd);
	} else if (isatty(STDIN_FILENO))
		rc = read_value_tty(a->words[2], &a->secret, &a->secret_len);
	else
		rc = read_value(STDIN_FILENO, "standard input", 0, &a->secret,
		    &a->secret_len);
	if (rc == -1)
		return -1;
	if (secret_value_check(a->secret, a->secret_len, why,
	    sizeof why) == -1) {
		fprintf(stderr, "ssci: %s\n", why);
		explicit_bzero(a->secret, a->secret_len);
		free(a->secret);
		a->secret = NULL;
		return -1;
	}
	return 0;
}

int
client_check_secret(struct client_args *a)
{
	const char *action = a->words[0];
	char why[300], safe[300];
	int set = strcmp(action, "set") == 0;

	if (!((set || strcmp(action, "rm") == 0) && a->nwords == 3) &&
	    !(strcmp(action, "list") == 0 && a->nwords == 2)) {
		fprintf(stderr, "ssci: expected 'secret set REPO NAME', "
		    "'secret list REPO' or 'secret rm REPO NAME'\n");
		return -1;
	}
	if (!set && (a->secret_file != NULL || a->secret_branches != NULL)) {
		fprintf(stderr, "ssci: --file and --branches go with 'secret "
		    "set'\n");
		return -1;
	}
	if (!repo_url_valid(a->words[1])) {
		log_escape(a->words[1], safe, sizeof safe);
		fprintf(stderr, "ssci: invalid repository '%s'\n", safe);
		return -1;
	}
	if (a->nwords == 3 && secret_name_check(a->words[2], why,
	    sizeof why) == -1) {
		fprintf(stderr, "ssci: %s\n", why);
		return -1;
	}
	if (set && secret_branches_normalize(a->secret_branches,
	    &a->secret_globs, why, sizeof why) == -1) {
		fprintf(stderr, "ssci: %s\n", why);
		return -1;
	}
	if (set && check_value(a) == -1) {
		/* A refusal ends the command before client.c frees them. */
		free(a->secret_globs);
		a->secret_globs = NULL;
		return -1;
	}
	return 0;
}

char *
client_request_secret(const struct client_args *a, int64_t offset)
{
	(void)offset;
	if (strcmp(a->words[0], "list") == 0)
		return proto_encode_secret_list(a->words[1], NULL);
	if (strcmp(a->words[0], "rm") == 0)
		return proto_encode_secret_rm(a->words[1], a->words[2], NULL);
	return proto_encode_secret_set(a->words[1], a->words[2], a->secret,
	    a->secret_len, a->secret_globs, NULL);
}

/* "2026-12-02 09:30" in local time, or "-". */
static void
print_time(json_t *ms, char *buf, size_t size)
{
	time_t t;
	struct tm tm;

	if (!json_is_integer(ms)) {
		snprintf(buf, size, "-");
		return;
	}
	t = (time_t)(json_integer_value(ms) / 1000);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, size, "-");
}

void
client_print_secret(json_t *reply, const struct client_args *a, int color)
{
	json_t *s;
	size_t i;
	char when[32];

	(void)color;
	if (strcmp(a->words[0], "set") == 0) {
		printf("secret '%s' of ", a->words[2]);
		print_clean(a->words[1], 200);
		if (a->secret_globs != NULL && a->secret_globs[0] != '\0') {
			printf(" set: given to branches ");
			print_clean(a->secret_globs, 200);
			printf("\n");
		} else
			printf(" set: given to every branch but pull "
			    "requests'\n");
		return;
	}
	if (strcmp(a->words[0], "rm") == 0) {
		printf("secret '%s' of ", a->words[2]);
		print_clean(a->words[1], 200);
		printf(" removed\n");
		return;
	}
	printf("%-24s %-30s %-16s %s\n", "NAME", "BRANCHES", "UPDATED", "BY");
	json_array_foreach(json_object_get(reply, "secrets"), i, s) {
		const char *globs = str(s, "branches");

		print_time(json_object_get(s, "updated_ms"), when, sizeof when);
		printf("%-24s ", str(s, "name"));
		if (globs[0] == '\0')
			printf("%-30s ", "(all but pull requests)");
		else {
			print_clean(globs, 200);
			printf("%*s", strlen(globs) < 30 ?
			    (int)(31 - strlen(globs)) : 1, "");
		}
		printf("%-16s ", when);
		print_clean(str(s, "updated_by"), 100);
		printf("\n");
	}
}

const char client_secret_usage[] = SECRET_USAGE
    "Keep a secret for a repository's jobs that ask for it (set reads its\n"
    "value from standard input or --file), list the names, or remove one.\n";
