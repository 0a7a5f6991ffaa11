/* SPDX-License-Identifier: MIT */
/*
 * client_tests.c - what "ssci tests" and "ssci quarantine" ask and how
 * they print the answer (client.h): a job's tests, failed first, and the
 * quarantined tests of a repository.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "proto.h"
#include "util.h"

static const char *
str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "-";
}

/*
 * The first line of a test's name or message, at most max bytes, for a
 * terminal: every control character (C0, DEL, C1) escaped as the logs
 * escape them, so that no output of a test acts on the terminal.
 */
static void
print_clean(const char *s, size_t max)
{
	size_t len = strcspn(s, "\n");
	char *line, *safe;

	if (len > max)
		len = max;
	line = xstrndup(s, len);
	safe = xmalloc(6 * len + 8);
	log_escape(line, safe, 6 * len + 8);
	fputs(safe, stdout);
	free(safe);
	free(line);
}

static void
print_test(json_t *t, int color)
{
	const char *status = str(t, "status");
	json_t *d = json_object_get(t, "duration_us"), *since;
	const char *code = strcmp(status, "passed") == 0 ? "32" :
	    strcmp(status, "skipped") == 0 ? "90" : "31";
	char time[32] = "-";
	long long ago;

	if (json_is_integer(d))
		snprintf(time, sizeof time, "%.3fs",
		    (double)json_integer_value(d) / 1e6);
	if (color)
		printf("\033[%sm%-8s\033[0m ", code, status);
	else
		printf("%-8s ", status);
	printf("%9s  ", time);
	print_clean(str(t, "name"), 200);
	if (json_is_true(json_object_get(t, "flaky")))
		printf("  flaky");
	if (json_is_true(json_object_get(t, "quarantined")))
		printf("  quarantined");
	since = json_object_get(t, "failing_since");
	ago = json_integer_value(json_object_get(since, "commits_ago"));
	if (since != NULL && ago == 0)
		printf("  new failure");
	else if (since != NULL)
		printf("  failing since %.7s (%s%lld commit%s ago)",
		    str(since, "commit"), json_is_true(json_object_get(since,
		    "at_least")) ? "at least " : "", ago, ago == 1 ? "" : "s");
	if (json_is_string(json_object_get(t, "message"))) {
		printf("\n                    ");
		print_clean(str(t, "message"), 160);
	}
	printf("\n");
}

void
client_print_tests(json_t *reply, const struct client_args *a, int color)
{
	json_t *detail = json_object_get(reply, "detail"), *t;
	json_t *counts = json_object_get(detail, "counts");
	size_t i;

	(void)a;
	printf("STATUS        TIME  TEST\n");
	json_array_foreach(json_object_get(detail, "tests"), i, t)
		print_test(t, color);
	printf("%lld tests: %lld passed, %lld failed, %lld skipped",
	    json_integer_value(json_object_get(counts, "total")),
	    json_integer_value(json_object_get(counts, "passed")),
	    json_integer_value(json_object_get(counts, "failed")),
	    json_integer_value(json_object_get(counts, "skipped")));
	if (json_integer_value(json_object_get(counts, "quarantined_failed")))
		printf(" (%lld failures quarantined)",
		    json_integer_value(json_object_get(counts,
		    "quarantined_failed")));
	if (json_is_true(json_object_get(detail, "flaky")))
		printf("; the job is flaky: it passed on a re-run");
	if (json_is_true(json_object_get(detail, "limited")))
		printf("; more than shown (--json, or the API, for all)");
	printf("\n");
}

char *
client_request_tests(const struct client_args *a, int64_t offset)
{
	long id = 0;

	(void)offset;
	parse_long(a->which, 1, 2147483647L, &id);
	return proto_encode_job_tests(id, 0, a->limit > 0 ? a->limit : 1000,
	    NULL);
}

int
client_check_quarantine(struct client_args *a)
{
	const char *action = a->words[0];

	if (strcmp(action, "list") == 0 && a->nwords <= 2)
		return 0;
	if ((strcmp(action, "add") == 0 || strcmp(action, "remove") == 0) &&
	    a->nwords == 3)
		return 0;
	fprintf(stderr, "ssci: expected 'quarantine add REPO TEST', "
	    "'quarantine remove REPO TEST' or 'quarantine list [REPO]'\n");
	return -1;
}

char *
client_request_quarantine(const struct client_args *a, int64_t offset)
{
	(void)offset;
	if (strcmp(a->words[0], "list") == 0)
		return proto_encode_quarantine(a->nwords > 1 ? a->words[1] :
		    NULL, NULL, 0, NULL);
	return proto_encode_quarantine(a->words[1], a->words[2],
	    strcmp(a->words[0], "remove") == 0, NULL);
}

void
client_print_quarantine(json_t *reply, const struct client_args *a,
    int color)
{
	json_t *t;
	size_t i;

	(void)color;
	if (strcmp(a->words[0], "add") == 0) {
		printf("test '%s' of %s quarantined: its failures no longer "
		    "fail a job\n", a->words[2], a->words[1]);
		return;
	}
	if (strcmp(a->words[0], "remove") == 0) {
		printf("test '%s' of %s is out of quarantine\n", a->words[2],
		    a->words[1]);
		return;
	}
	json_array_foreach(json_object_get(reply, "quarantined"), i, t) {
		print_clean(str(t, "repo"), 200);
		printf("  ");
		print_clean(str(t, "name"), 400);
		printf("  by ");
		print_clean(str(t, "by"), 100);
		printf("\n");
	}
}
