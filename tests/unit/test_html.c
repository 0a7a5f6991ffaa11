/* SPDX-License-Identifier: MIT */
/*
 * test_html.c - the web pages: escaping of text and logs (ANSI codes and
 * control characters gone, truncated sequences too), the static assets,
 * and the pages drawn from a real store in a temporary folder: the badge,
 * the dashboard (a hostile commit subject shown escaped, never raw), a
 * job's page with its log, a branch's history, a pipeline's graph and
 * page, and the pipeline's state where a branch is summed up.
 */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_dir.h"
#include <event2/buffer.h>

#include "api.h"
#include "dispatcher.h"
#include "joblog.h"
#include "sched.h"
#include "html.h"
#include "html_int.h"
#include "store.h"
#include "util.h"

#define REPO "/srv/git/one.git"
#define C1 "1a2b3c4d5e111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"
#define C3 "3333333333333333333333333333333333333333"
#define XSS "<script>alert(1)</script>"

struct fixture {
	char dir[256];
	char state[300];
	char logs[320];
	struct dispatcher d;
};

/* Runners on the dashboard are the scheduler's; these hear nothing. */
static void
quiet_send_job(void *conn, const struct job *job, const struct plan_spec *spec,
    int attempt, int timeout_s)
{
	(void)conn;
	(void)job;
	(void)spec;
	(void)attempt;
	(void)timeout_s;
}

static void
quiet_send_cancel(void *conn, int64_t job)
{
	(void)conn;
	(void)job;
}

static void
quiet_answer(void *conn, const char *code, const char *message)
{
	(void)conn;
	(void)code;
	(void)message;
}

static const struct sched_runner_ops quiet_runner_ops = {
	quiet_send_job, quiet_send_cancel, quiet_answer, NULL,
};

static const struct sched_config sched_cfg = {
	.job_timeout_s = 1800, .max_attempts = 3, .local_repos = 1,
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	if (unit_dir_make(f->dir, sizeof f->dir, "html") == -1)
		return -1;
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	snprintf(f->logs, sizeof f->logs, "%s/logs", f->state);
	f->d.store = store_open(f->state);
	if (joblogs_init(&f->d.logs, f->state, 1 << 20) == -1)
		return -1;
	f->d.started_ms = now_ms();
	f->d.sched = sched_new(&sched_cfg, f->d.store, NULL, &f->d.logs,
	    &quiet_runner_ops, NULL, NULL);
	*state = f;
	return f->d.store == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sched_free(f->d.sched);
	store_close(f->d.store);
	joblogs_release(&f->d.logs);
	unit_dir_remove(f->dir);
	free(f);
	return 0;
}

/* What a buffer holds, as a string; the buffer is freed. */
static char *
take(struct evbuffer *b)
{
	size_t len = evbuffer_get_length(b);
	char *s = xmalloc(len + 1);

	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return s;
}

static struct evbuffer *
buffer(void)
{
	struct evbuffer *b = evbuffer_new();

	assert_non_null(b);
	return b;
}

static char *
escaped(const char *s)
{
	struct evbuffer *b = buffer();

	html_escape(b, s);
	return take(b);
}

static char *
escaped_log(const char *s, size_t len)
{
	struct evbuffer *b = buffer();

	html_escape_log(b, s, len);
	return take(b);
}

/* Assert that html_escape_log turns the string literal in into out. */
#define assert_log(in, out) do {					\
	char *got_ = escaped_log(in, sizeof(in) - 1);			\
	assert_string_equal(got_, out);					\
	free(got_);							\
} while (0)

/* html_log_whole of a string literal. */
#define WHOLE(s) html_log_whole(s, sizeof(s) - 1)

static int64_t
dispatch(struct fixture *f, const char *commit, const char *branch,
    const char *subject)
{
	struct job_request request = {
		.repo = REPO, .commit = commit, .branch = branch,
		.subject = subject,
		.author = subject != NULL ? "Ada <ada@example.org>" : NULL,
	};
	enum job_state state;
	int64_t id;
	int existing;

	assert_int_equal(store_dispatch(f->d.store, &request, &id, &state,
	    &existing), 0);
	return id;
}

/* build; "a<b" (a name plan.c would refuse) and lint need build. */
static const size_t needs_build[] = { 0 };
static const struct job_plan_entry three[] = {
	{ "build", "{\"run\":[\"make\"]}", NULL, 0, NULL, 0, 0, 0, 0, 0, 0 },
	{ "a<b", "{\"run\":[\"make unit\"]}", "linux", 0, needs_build, 1, 0, 0, 0, 0, 0 },
	{ "lint", "{\"run\":[\"make lint\"]}", NULL, 0, needs_build, 1, 0, 0, 0, 0, 0 },
};
static const struct job_plan three_plan = { "jobs: {}\n", three, 3, 0 };

/* A planned pipeline of three jobs; its id (its first job's). */
static int64_t
dispatch_plan(struct fixture *f, const char *commit, const char *branch)
{
	struct job_request request = {
		.repo = REPO, .commit = commit, .branch = branch,
		.subject = "Planned", .rebuild = 1, .plan = &three_plan,
	};
	enum job_state state;
	int64_t id;
	int existing;

	assert_int_equal(store_dispatch(f->d.store, &request, &id, &state,
	    &existing), 0);
	return id;
}

/* How many times needle is in s. */
static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void
finish(struct fixture *f, int64_t id, enum job_state state)
{
	assert_int_equal(store_job_start(f->d.store, id, "r1"), 0);
	assert_int_equal(store_job_finish(f->d.store, &(struct job_result){
	    .job = id, .state = state, .exit_code = state == JOB_PASSED ? 0 : 1,
	    .duration_ms = 1234, .tests = { 3, state == JOB_PASSED ? 0 : 1,
	    0 } }), 0);
}

static char *
dashboard(struct fixture *f)
{
	struct evbuffer *b = buffer();

	html_dashboard(&f->d, b);
	return take(b);
}

static char *
badge(struct fixture *f, const char *repo, const char *branch)
{
	struct evbuffer *b = buffer();

	html_badge(&f->d, repo, branch, b);
	return take(b);
}

static char *
job_page(struct fixture *f, int64_t id)
{
	struct evbuffer *b = buffer();
	struct job job;

	assert_int_equal(store_job_get(f->d.store, id, &job), 1);
	html_job(&f->d, &job, b);
	job_release(&job);
	return take(b);
}

static void
write_log(struct fixture *f, int64_t id, const char *data, size_t len)
{
	char path[400];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%lld.log", f->logs, (long long)id);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void
test_escape(void **state)
{
	char *s;

	(void)state;
	s = escaped(XSS);
	assert_string_equal(s, "&lt;script&gt;alert(1)&lt;/script&gt;");
	free(s);
	s = escaped("a & \"b\" 'c'");
	assert_string_equal(s, "a &amp; &quot;b&quot; &#39;c&#39;");
	free(s);
	s = escaped("");
	assert_string_equal(s, "");
	free(s);
}

static void
test_escape_log(void **state)
{
	(void)state;
	/* Colours become classed spans; other sequences go (term.c). */
	assert_log("\x1b[31mred\x1b[0m", "<span class=\"fg-1\">red</span>");
	assert_log("\x1b[1;32mok\x1b[39;49m done", "<span class=\"fg-2 "
	    "sgr-b\">ok</span><span class=\"sgr-b\"> done</span>");
	assert_log("\x1b[38;5;12mhi\x1b[m.", "<span class=\"fg-12\">hi</span>.");
	assert_log("a\nb\tc\r\n", "a\nb\tc\n");
	assert_log("x\x01y\x07z\x7f\x08!", "x^Ayz^?^H!");
	assert_log("a\0b", "a^@b");
	assert_log(XSS "\n", "&lt;script&gt;alert(1)&lt;/script&gt;\n");
	assert_log("\x1b[1m<b>\x1b[0m", "<span class=\"sgr-b\">&lt;b&gt;"
	    "</span>");
	assert_log("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
	assert_log("c1\xc2\x9b" "2Jx", "c1x");
	/* Title, hyperlink (ST), character set, and a bare ESC. */
	assert_log("\x1b]0;title\x07" "after", "after");
	assert_log("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\.", "link.");
	assert_log("\x1b(Bplain\x1b" "7", "plain");
	assert_log("\x1b\x1b[2Kline", "line");
	/* An unterminated string ends at the line, not the log. */
	assert_log("\x1b]0;never ends\nnext", "\nnext");
	/* Truncated sequences and an ESC at the very end. */
	assert_log("x\x1b", "x");
	assert_log("x\x1b[", "x");
	assert_log("x\x1b[31", "x");
	assert_log("x\x1b]0;t", "x");
	assert_log("x\x1b(", "x");
	assert_log("a\x1b[31\nb", "a\nb");
	assert_log("", "");
}

static void
test_log_whole(void **state)
{
	(void)state;
	assert_int_equal(WHOLE("abc"), 3);
	assert_int_equal(WHOLE("abc\x1b[3"), 3);
	assert_int_equal(WHOLE("abc\x1b[31m"), 8);
	assert_int_equal(WHOLE("abc\x1b"), 3);
	assert_int_equal(WHOLE("x\x1b]0;t"), 1);
	assert_int_equal(WHOLE("x\x1b]0;t\x07"), 7);
	assert_int_equal(WHOLE("ab\xc3"), 2);
	assert_int_equal(WHOLE("ab\xe2\x82"), 2);
	assert_int_equal(WHOLE("ab\xe2\x82\xac"), 5);
	assert_int_equal(WHOLE("ab\xf0\x9f\x98"), 2);
	assert_int_equal(html_log_whole("", 0), 0);
}

static void
test_formats(void **state)
{
	char buf[HTML_FMT_SIZE];
	struct evbuffer *b = buffer();
	char *s;

	(void)state;
	html_fmt_duration(buf, sizeof buf, 850);
	assert_string_equal(buf, "850 ms");
	html_fmt_duration(buf, sizeof buf, 1234);
	assert_string_equal(buf, "1.2 s");
	html_fmt_duration(buf, sizeof buf, 65000);
	assert_string_equal(buf, "1 min 5 s");
	html_fmt_duration(buf, sizeof buf, -1);
	assert_string_equal(buf, "");
	html_fmt_age(buf, sizeof buf, 120000);
	assert_string_equal(buf, "2 min ago");
	html_fmt_tests(buf, sizeof buf, 3, 1, 0);
	assert_string_equal(buf, "3 run, 1 failed");
	html_fmt_tests(buf, sizeof buf, 5, 0, 2);
	assert_string_equal(buf, "5 run, 0 failed, 2 skipped");
	html_fmt_utc(buf, sizeof buf, 86400000);
	assert_string_equal(buf, "1970-01-02 00:00:00 UTC");
	html_history_href(b, "/srv/a b.git", "feat/x\"y");
	s = take(b);
	assert_string_equal(s, "/history/%2Fsrv%2Fa%20b.git/feat/x%22y");
	free(s);
}

static void
test_assets(void **state)
{
	const char *type, *data;
	size_t len = 0;

	(void)state;
	data = html_asset("style.css", &len, &type);
	assert_non_null(data);
	assert_int_equal(len, strlen(data));
	assert_true(len > 100);
	assert_string_equal(type, "text/css; charset=utf-8");
	data = html_asset("app.js", &len, &type);
	assert_non_null(data);
	assert_int_equal(len, strlen(data));
	assert_non_null(strstr(data, "EventSource"));
	assert_string_equal(type, "text/javascript; charset=utf-8");
	assert_null(html_asset("../x", &len, &type));
	assert_null(html_asset("../style.css", &len, &type));
	assert_null(html_asset("style.css/", &len, &type));
	assert_null(html_asset("", &len, &type));
	assert_null(html_asset("index.html", &len, &type));
}

static void
test_badge(void **state)
{
	struct fixture *f = *state;
	int64_t a, b;
	char *s;

	s = badge(f, REPO, "main");
	assert_non_null(strstr(s, ">unknown<"));
	assert_non_null(strstr(s, "<svg"));
	free(s);

	/* Queued and running jobs say nothing yet. */
	a = dispatch(f, C1, "main", "first");
	s = badge(f, REPO, "main");
	assert_non_null(strstr(s, ">unknown<"));
	free(s);
	finish(f, a, JOB_PASSED);
	b = dispatch(f, C2, "main", "second");
	assert_int_equal(store_job_start(f->d.store, b, "r1"), 0);
	s = badge(f, REPO, "main");
	assert_non_null(strstr(s, ">passing<"));
	assert_null(strstr(s, ">unknown<"));
	free(s);
	s = badge(f, "1", "main");
	assert_non_null(strstr(s, ">passing<"));
	free(s);
	/* The router decodes the path: the badge gets the URL itself. */
	s = badge(f, "/srv/git/one.git", "main");
	assert_non_null(strstr(s, ">passing<"));
	free(s);

	assert_int_equal(store_job_finish(f->d.store, &(struct job_result){
	    .job = b, .state = JOB_FAILED, .exit_code = 1,
	    .tests = { -1, -1, -1 } }), 0);
	s = badge(f, REPO, "main");
	assert_non_null(strstr(s, ">failing<"));
	free(s);
	s = badge(f, REPO, "other");
	assert_non_null(strstr(s, ">unknown<"));
	free(s);
}

static void
test_dashboard_empty(void **state)
{
	struct fixture *f = *state;
	char *s = dashboard(f);

	assert_non_null(strstr(s, "<main id=\"live\""));
	assert_non_null(strstr(s, "SuperSimpleCI"));
	assert_non_null(strstr(s, "No runner connected"));
	assert_non_null(strstr(s, "Queue empty"));
	assert_non_null(strstr(s, "/static/app.js"));
	free(s);
}

static void
test_dashboard_jobs(void **state)
{
	struct fixture *f = *state;
	char *s, row[64];
	int64_t a;

	a = dispatch(f, C1, "main", "Fix the parser");
	finish(f, a, JOB_PASSED);
	dispatch(f, C2, "main", "Waits");
	s = dashboard(f);
	assert_non_null(strstr(s, "1a2b3c4"));
	assert_non_null(strstr(s, "state-passed"));
	snprintf(row, sizeof row, "data-job=\"%lld\"", (long long)a);
	assert_non_null(strstr(s, row));
	assert_non_null(strstr(s, "<td class=\"tests\">3 run, 0 failed</td>"));
	assert_non_null(strstr(s, "Fix the parser"));
	assert_non_null(strstr(s, "Ada &lt;ada@example.org&gt;"));
	/* The queue, waiting for a runner; the branch with its history. */
	assert_non_null(strstr(s, "<td class=\"waiting\">no runner connected"));
	assert_non_null(strstr(s, "href=\"/history/%2Fsrv%2Fgit%2F"
	    "one.git/main\""));
	assert_non_null(strstr(s, "class=\"mark state-passed\""));
	free(s);
}

static void
test_dashboard_escapes(void **state)
{
	struct fixture *f = *state;
	char *s;

	finish(f, dispatch(f, C1, "main", XSS), JOB_FAILED);
	s = dashboard(f);
	assert_non_null(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_null(strstr(s, "<script>alert"));
	assert_null(strstr(s, "alert(1)</script>"));
	free(s);
}

static void
test_dashboard_runners(void **state)
{
	struct fixture *f = *state;
	struct peer p = { .last_heard_ms = mono_ms() };
	struct sched_runner *r;
	char *s, *labels[] = { "linux", "gpu" };

	dispatch(f, C1, "main", "Runs");
	r = sched_register(f->d.sched, &p, "r1", "127.0.0.1:1", 2, labels, 2);
	assert_non_null(r);
	sched_runner_ready(f->d.sched, r, NULL, NULL, 0);
	assert_int_equal(r->busy, 1);
	s = dashboard(f);
	assert_non_null(strstr(s, "<tr class=\"runner runner-busy\" "
	    "data-runner=\"r1\">"));
	assert_non_null(strstr(s, "<tr class=\"job state-running\" "
	    "data-job=\"1\">"));
	assert_non_null(strstr(s, "<td class=\"elapsed\">"));
	assert_null(strstr(s, "No runner connected"));
	assert_non_null(strstr(s, "<span class=\"tag label\">linux</span> "
	    "<span class=\"tag label\">gpu</span>"));
	free(s);
}

static void
test_job_page(void **state)
{
	struct fixture *f = *state;
	static const char log[] = "\x1b[1mbuild\x1b[0m\r\n" XSS "\nok\n";
	int64_t id;
	char *s, attr[64];

	id = dispatch(f, C1, "feat/x", XSS);
	finish(f, id, JOB_FAILED);
	write_log(f, id, log, sizeof log - 1);
	s = job_page(f, id);
	assert_non_null(strstr(s, "data-job=\"1\""));
	assert_non_null(strstr(s, "data-state=\"failed\""));
	snprintf(attr, sizeof attr, "data-offset=\"%zu\"", sizeof log - 1);
	assert_non_null(strstr(s, attr));
	assert_non_null(strstr(s, "<span id=\"status\" class=\"pill "
	    "state-failed\">failed</span>"));
	assert_non_null(strstr(s, "<pre id=\"log\" class=\"log\"><span "
	    "class=\"sgr-b\">build</span>\n&lt;script&gt;alert(1)&lt;/script&gt;"
	    "\nok\n</pre>"));
	assert_non_null(strstr(s, "<dd class=\"tests\">3 run, 1 failed</dd>"));
	assert_non_null(strstr(s, "<dd class=\"exit-code\">1</dd>"));
	assert_null(strstr(s, "<script>alert"));
	assert_null(strchr(s, 0x1b));
	assert_null(strstr(s, "earlier output not shown"));
	free(s);
}

static void
test_job_page_running(void **state)
{
	struct fixture *f = *state;
	static const char log[] = "step one\npartial \x1b[3";
	int64_t id;
	char *s;

	/* A queued job has no log yet. */
	id = dispatch(f, C1, "main", "Runs");
	s = job_page(f, id);
	assert_non_null(strstr(s, "data-state=\"queued\" data-offset=\"0\""));
	assert_non_null(strstr(s, "<pre id=\"log\" class=\"log\"></pre>"));
	free(s);

	/* The script is to fetch the cut escape code whole. */
	assert_int_equal(store_job_start(f->d.store, id, "r1"), 0);
	write_log(f, id, log, sizeof log - 1);
	s = job_page(f, id);
	assert_non_null(strstr(s, "data-state=\"running\" "
	    "data-offset=\"17\""));
	assert_non_null(strstr(s, "step one\npartial </pre>"));
	free(s);
}

static void
test_job_page_big_log(void **state)
{
	struct fixture *f = *state;
	size_t len = HTML_LOG_MAX + 100000, first;
	char *log = xmalloc(len), *s, attr[64];
	int64_t id;

	for (size_t i = 0; i < len; i++)
		log[i] = i % 50 == 49 ? '\n' : 'a' + (char)(i % 26);
	memcpy(log, "FIRST LINE", 10);
	id = dispatch(f, C1, "main", "Big");
	finish(f, id, JOB_PASSED);
	write_log(f, id, log, len);
	s = job_page(f, id);
	assert_non_null(strstr(s, "earlier output not shown"));
	assert_null(strstr(s, "FIRST LINE"));
	snprintf(attr, sizeof attr, "data-offset=\"%zu\"", len);
	assert_non_null(strstr(s, attr));
	assert_true(strlen(s) < HTML_LOG_MAX + 10000);
	/* The shown part starts after the first newline of the tail. */
	first = len - HTML_LOG_MAX;
	while (log[first] != '\n')
		first++;
	assert_non_null(strstr(s, "class=\"log\">"));
	assert_memory_equal(strstr(s, "class=\"log\">") + 12, log + first + 1,
	    100);
	free(s);
	free(log);
}

static void
test_history(void **state)
{
	struct fixture *f = *state;
	struct evbuffer *b = buffer();
	char *s;

	assert_int_equal(html_history(&f->d, REPO, "main", b), -1);
	finish(f, dispatch(f, C1, "main", "One"), JOB_PASSED);
	finish(f, dispatch(f, C2, "main", XSS), JOB_FAILED);
	dispatch(f, C3, "other", "Elsewhere");
	assert_int_equal(html_history(&f->d, REPO, "nope", b), -1);
	assert_int_equal(html_history(&f->d, REPO, "main", b), 0);
	assert_non_null(strstr(s = take(b), "data-repo=\"" REPO "\""));
	free(s);
	b = buffer();
	assert_int_equal(html_history(&f->d, "1", "main", b), 0);
	s = take(b);
	assert_non_null(strstr(s, "data-page=\"history\""));
	assert_non_null(strstr(s, "<svg class=\"strip large\""));
	assert_non_null(strstr(s, "<svg class=\"durations\""));
	assert_non_null(strstr(s, "<a href=\"/jobs/1\"><rect class=\"mark "
	    "state-passed\""));
	assert_non_null(strstr(s, "<rect class=\"mark state-failed\""));
	assert_non_null(strstr(s, ">1.2 s</text>"));
	assert_non_null(strstr(s, REPO));
	assert_null(strstr(s, "Elsewhere"));
	assert_null(strstr(s, "<script>alert"));
	/* Oldest on the left: job 1's mark comes before job 2's. */
	assert_true(strstr(s, "data-job=\"1\" x=") <
	    strstr(s, "data-job=\"2\" x="));
	free(s);
}

/* The x of the box of job id in a pipeline's graph. */
static int
box_x(const char *s, int64_t id)
{
	char needle[64];
	const char *at;

	snprintf(needle, sizeof needle, "href=\"/jobs/%lld\" data-job=",
	    (long long)id);
	at = strstr(s, needle);
	assert_non_null(at);
	at = strstr(at, "<rect x=\"");
	assert_non_null(at);
	return atoi(at + 9);
}

static char *
pipeline_page(struct fixture *f, int64_t id)
{
	struct evbuffer *b = buffer();

	if (html_pipeline(&f->d, id, b) == -1) {
		evbuffer_free(b);
		return NULL;
	}
	return take(b);
}

static void
test_pipeline_graph(void **state)
{
	struct fixture *f = *state;
	char *s, *graph, *end, needle[96];
	int64_t id, single;

	id = dispatch_plan(f, C1, "main");
	single = dispatch(f, C2, "main", "Alone");
	s = job_page(f, id + 1);
	assert_non_null(graph = strstr(s, "<svg class=\"pipeline-graph\""));
	assert_non_null(end = strstr(graph, "</svg>"));
	*end = '\0';
	/* Three boxes, each a link to its job; two arrows, from build. */
	assert_int_equal(count(graph, "<a class=\"node "), 3);
	for (int64_t j = id; j < id + 3; j++) {
		snprintf(needle, sizeof needle, "href=\"/jobs/%lld\"",
		    (long long)j);
		assert_int_equal(count(graph, needle), 1);
	}
	assert_int_equal(count(graph, "class=\"edge\""), 2);
	assert_int_equal(count(graph, "marker-end=\"url(#ssci-arrow)\""), 2);
	snprintf(needle, sizeof needle, "data-from=\"%lld\" data-to=\"%lld\"",
	    (long long)id, (long long)id + 1);
	assert_non_null(strstr(graph, needle));
	snprintf(needle, sizeof needle, "data-from=\"%lld\" data-to=\"%lld\"",
	    (long long)id, (long long)id + 2);
	assert_non_null(strstr(graph, needle));
	/* Columns by depth: build, then both that need it, one over other. */
	assert_true(box_x(graph, id) < box_x(graph, id + 1));
	assert_int_equal(box_x(graph, id + 1), box_x(graph, id + 2));
	/* This page's job is the one outlined; the colours are the states'. */
	snprintf(needle, sizeof needle, "<a class=\"node state-queued current\" "
	    "href=\"/jobs/%lld\"", (long long)id + 1);
	assert_non_null(strstr(graph, needle));
	assert_int_equal(count(graph, " current\""), 1);
	assert_int_equal(count(graph, "stroke-width=\"3\""), 1);
	assert_non_null(strstr(graph, "fill=\"#afb8c1\""));
	/* The name, escaped: in the box and its tooltip, never raw. */
	assert_int_equal(count(graph, ">a&lt;b<"), 1);
	assert_non_null(strstr(graph, "<title>a&lt;b (#"));
	*end = '<';
	assert_null(strstr(s, "a<b"));
	assert_non_null(strstr(s, "<span class=\"job-name\">a&lt;b</span>"));
	snprintf(needle, sizeof needle, "<a href=\"/pipelines/%lld\">",
	    (long long)id);
	assert_non_null(strstr(s, needle));
	assert_null(strstr(s, "style="));
	assert_non_null(strstr(s, "Waiting for the jobs it needs."));
	free(s);

	/* A pipeline of one job is that job: no graph, no link. */
	s = job_page(f, single);
	assert_null(strstr(s, "pipeline-graph"));
	assert_null(strstr(s, "/pipelines/"));
	free(s);

	/* The pipeline's page: the graph, nothing outlined, and a table. */
	assert_non_null(s = pipeline_page(f, id));
	assert_non_null(strstr(s, "data-page=\"pipeline\""));
	assert_int_equal(count(s, "<a class=\"node "), 3);
	assert_int_equal(count(s, " current\""), 0);
	assert_int_equal(count(s, "class=\"edge\""), 2);
	assert_int_equal(count(s, "<tr class=\"job state-queued\""), 3);
	assert_int_equal(count(s, "<td class=\"name\">a&lt;b</td>"), 1);
	assert_null(strstr(s, "a<b"));
	free(s);
	assert_null(pipeline_page(f, id + 1));
	assert_null(pipeline_page(f, 9999));
	assert_non_null(s = pipeline_page(f, single));
	free(s);
}

/* build, then unit, split in 2: entries 2 and 3 are its shards. */
static const size_t needs_first[] = { 0 };
static const struct job_plan_entry sharded[] = {
	{ "build", "{\"run\":[\"make\"]}", NULL, 0, NULL, 0, 0, 0, 0, 0, -1 },
	{ "unit", "{\"run\":[\"t\"]}", NULL, 0, needs_first, 1, 0, 2, 0, 0, -1 },
	{ "unit[1/2]", "{\"run\":[\"t\"]}", NULL, 0, needs_first, 1, 0, 0, 2,
	    1, 61000 },
	{ "unit[2/2]", "{\"run\":[\"t\"]}", NULL, 0, needs_first, 1, 0, 0, 2,
	    2, 59000 },
};
static const struct job_plan sharded_plan = { "jobs: {}\n", sharded, 4, 0 };

/* Every window of a sharded job's log, against the whole. */
static void
sharded_log_windows(struct fixture *f, int64_t id)
{
	static const size_t widths[] = { 1, 5, 17, 1000 };
	char *whole, *part;
	size_t len, plen;
	int64_t size, psize;
	struct job job;

	assert_int_equal(store_job_get(f->d.store, id, &job), 1);
	assert_int_equal(api_log_read(&f->d, &job, 0, 1 << 20, &whole, &len,
	    &size), 0);
	assert_int_equal((int64_t)len, size);
	/* A shard's log without a last newline gets one. */
	assert_non_null(strstr(whole, "SHARD-TWO-OUT\n"));
	for (size_t off = 0; off <= len + 1; off++)
		for (size_t w = 0; w < 4; w++) {
			assert_int_equal(api_log_read(&f->d, &job, (int64_t)off,
			    widths[w], &part, &plen, &psize), 0);
			assert_int_equal(psize, size);
			assert_int_equal(plen, off >= len ? 0 : len - off <
			    widths[w] ? len - off : widths[w]);
			assert_memory_equal(part, whole + (off < len ? off : len),
			    plen);
			free(part);
		}
	free(whole);
	job_release(&job);
}

/* A sharded job is one box with a line per shard; its page lists them. */
static void
test_sharded_job_shown(void **state)
{
	struct fixture *f = *state;
	struct job_request request = { .repo = REPO, .commit = C1,
	    .branch = "main", .rebuild = 1, .plan = &sharded_plan };
	enum job_state st;
	char *s, *graph, *end, needle[256];
	int64_t id;
	int existing;

	assert_int_equal(store_dispatch(f->d.store, &request, &id, &st,
	    &existing), 0);
	finish(f, id, JOB_PASSED);
	finish(f, id + 2, JOB_PASSED);
	write_log(f, id + 2, "SHARD-ONE-OUT\n", 14);
	write_log(f, id + 3, "SHARD-TWO-OUT", 13);
	assert_non_null(s = pipeline_page(f, id));
	assert_non_null(graph = strstr(s, "<svg class=\"pipeline-graph\""));
	assert_non_null(end = strstr(graph, "</svg>"));
	*end = '\0';
	/* Two boxes: build, and unit holding its shards; one arrow. */
	assert_int_equal(count(graph, "<a class=\"node "), 1);
	snprintf(needle, sizeof needle, "<g class=\"node sharded state-running\""
	    " data-job=\"%lld\"", (long long)id + 1);
	assert_int_equal(count(graph, needle), 1);
	assert_int_equal(count(graph, "class=\"edge\""), 1);
	snprintf(needle, sizeof needle, "<a class=\"shard state-passed\" "
	    "href=\"/jobs/%lld\"", (long long)id + 2);
	assert_int_equal(count(graph, needle), 1);
	snprintf(needle, sizeof needle, "<a class=\"shard state-queued\" "
	    "href=\"/jobs/%lld\"", (long long)id + 3);
	assert_int_equal(count(graph, needle), 1);
	assert_non_null(strstr(graph, ">1/2 1.2 s · est. 1 min 1 s</text>"));
	assert_non_null(strstr(graph, ">2/2 queued · est. 59 s</text>"));
	*end = '<';
	assert_int_equal(count(s, "<td class=\"name shard\">"), 2);
	assert_non_null(strstr(s, "2 shards</span>"));
	free(s);
	/* Its page: the shards' table and their logs under headers. */
	s = job_page(f, id + 1);
	assert_non_null(strstr(s, "data-page=\"sharded\""));
	assert_non_null(strstr(s, "<section id=\"shards\""));
	assert_int_equal(count(s, "<td class=\"expected\">"), 2);
	snprintf(needle, sizeof needle, "=== unit[1/2]: passed (job %lld) ===\n"
	    "SHARD-ONE-OUT\n=== unit[2/2]: queued (job %lld) ===\n"
	    "SHARD-TWO-OUT", (long long)id + 2, (long long)id + 3);
	assert_non_null(strstr(s, needle));
	free(s);
	/* Any window of the assembled log is that part of the whole. */
	sharded_log_windows(f, id + 1);
	/* A shard's page says whose shard it is. */
	s = job_page(f, id + 2);
	snprintf(needle, sizeof needle, "<dd class=\"shard\">1 of <a href="
	    "\"/jobs/%lld\">", (long long)id + 1);
	assert_non_null(strstr(s, needle));
	free(s);
}

static void
test_pipeline_state_shown(void **state)
{
	struct fixture *f = *state;
	int64_t id, other;
	char *s;

	id = dispatch_plan(f, C1, "main");
	finish(f, id, JOB_PASSED);
	/* Its first job passed, but the pipeline goes on: nothing yet. */
	s = badge(f, REPO, "main");
	assert_non_null(strstr(s, ">unknown<"));
	free(s);
	s = dashboard(f);
	assert_non_null(strstr(s, "<tr class=\"branch state-running\""));
	free(s);
	finish(f, id + 1, JOB_FAILED);
	finish(f, id + 2, JOB_PASSED);
	/* The newest job and the first passed; the pipeline failed. */
	s = badge(f, REPO, "main");
	assert_non_null(strstr(s, ">failing<"));
	free(s);
	s = dashboard(f);
	assert_non_null(strstr(s, "<tr class=\"branch state-failed\""));
	/* The branch's strip: one mark for the pipeline, its state's. */
	assert_int_equal(count(s, "class=\"mark "), 1);
	assert_non_null(strstr(s, "<rect class=\"mark state-failed\""));
	/* Recent jobs: each row names its job. */
	assert_non_null(strstr(s, "<span class=\"job-name\">build</span>"));
	assert_non_null(strstr(s, "<span class=\"job-name\">a&lt;b</span>"));
	assert_null(strstr(s, "a<b"));
	free(s);

	/* The history: one mark per pipeline over a table of every job. */
	{
		struct evbuffer *b = buffer();

		assert_int_equal(html_history(&f->d, REPO, "main", b), 0);
		s = take(b);
	}
	assert_int_equal(count(s, "<rect class=\"mark "), 1);
	assert_non_null(strstr(s, "<rect class=\"mark state-failed\""));
	assert_int_equal(count(s, "<tr class=\"job "), 3);
	assert_non_null(strstr(s, "<span class=\"pill state-failed\">"));
	assert_non_null(strstr(s, "<span class=\"job-name\">lint</span>"));
	free(s);

	/* A build that fails skips what needs it. */
	other = dispatch_plan(f, C2, "other");
	finish(f, other, JOB_FAILED);
	s = job_page(f, other + 1);
	assert_non_null(strstr(s, "<span id=\"status\" class=\"pill "
	    "state-skipped\">skipped</span>"));
	assert_non_null(strstr(s, "<a class=\"node state-skipped current\""));
	assert_non_null(strstr(s, "fill=\"#d0d7de\""));
	free(s);
	s = badge(f, REPO, "other");
	assert_non_null(strstr(s, ">failing<"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_log),
		cmocka_unit_test(test_log_whole),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_assets),
		cmocka_unit_test_setup_teardown(test_badge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dashboard_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dashboard_jobs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dashboard_escapes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dashboard_runners, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_job_page, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_job_page_running, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_job_page_big_log, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sharded_job_shown, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pipeline_graph, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pipeline_state_shown, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
