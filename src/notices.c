/* SPDX-License-Identifier: MIT */
/*
 * notices.c - a branch that broke or was fixed, told to people: when a
 * pipeline on a branch is over, it is compared with the branch's
 * previous pipeline that ended (a cancelled one says nothing): "broken"
 * if it did not pass and that one passed (or there was none), "fixed" if
 * it passed and that one did not, and with --notify-all "failed" for
 * every other failure.  Each event goes into the outbox once per URL (a
 * JSON POST whose "text" Slack and Mattermost show) and once per mail
 * address (a message for sendmail -t, its headers cleaned).  A bisection's
 * runs and the pushes coalescing skipped are not the branch's state; a
 * bisection that names the first failing push is told as "culprit".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "idmap.h"
#include "outbox.h"
#include "statuses.h"
#include "store.h"
#include "util.h"

/* A mail's body lines are cut here (bytes, between characters). */
#define NOTICE_LINE_MAX 900
/* A mail's subject is cut here (bytes, between characters). */
#define NOTICE_SUBJECT_MAX 300

/* How far back the previous ended pipeline of a branch is looked for. */
#define NOTICE_LOOK_BACK 100

struct notices {
	struct store *store;
	struct outbox *outbox;
	char **urls;
	size_t nurls;
	char **mails;
	size_t nmails;
	int all;
	char *public_url;
	struct idmap told;	/* pipelines already judged */
};

int
notices_address_valid(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t n = strlen(a);

	if (at == NULL || at == a || at[1] == '\0' || n > 254 || *a == '-')
		return 0;
	for (const char *c = a; c < at; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr(".!#$%&'*+/=?^_`{|}~-",
		    *c) != NULL))
			return 0;
	}
	for (const char *c = at + 1; *c != '\0'; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'))
			return 0;
	}
	return 1;
}

/* The previous ended pipeline of the branch (not cancelled), if any. */
struct notice_previous {
	int found;
	enum job_state state;
	int64_t id;
	char commit[65];
};

static int
notice_previous_cb(const struct job *job, void *arg)
{
	struct notice_previous *p = arg;

	/* A bisection's runs and skipped pushes say nothing of the tip. */
	if (!job_state_final(job->pipeline_state) ||
	    job->pipeline_state == JOB_CANCELLED || job->bisection > 0 ||
	    job->superseded_by != NULL)
		return 0;
	p->found = 1;
	p->state = job->pipeline_state;
	p->id = job->pipeline;
	memcpy(p->commit, job->commit, sizeof p->commit);
	return -1;
}

/* Text for Slack (malloc'd): its three special characters escaped. */
static char *
notice_slack_escape(const char *in)
{
	char *out = xmalloc(5 * strlen(in) + 1);
	size_t o = 0;

	for (; *in != '\0'; in++) {
		const char *rep = *in == '&' ? "&amp;" : *in == '<' ? "&lt;" :
		    *in == '>' ? "&gt;" : NULL;

		if (rep != NULL) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else
			out[o++] = *in;
	}
	out[o] = '\0';
	return out;
}

/* RFC 2047's encoded words: at most 75 characters, so 45 bytes each. */
#define NOTICE_WORD_BYTES 45

/* len bytes of s as one encoded word (UTF-8, base64), at out. */
static size_t
notice_encoded_word(const char *s, size_t len, char *out)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 10;

	memcpy(out, "=?UTF-8?B?", 10);
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)(unsigned char)s[i] << 16;

		v |= i + 1 < len ? (unsigned)(unsigned char)s[i + 1] << 8 : 0;
		v |= i + 2 < len ? (unsigned char)s[i + 2] : 0;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	memcpy(out + o, "?=", 2);
	return o + 2;
}

/*
 * One header's text: control characters made spaces; with any byte past
 * ASCII, encoded words of whole UTF-8 characters, each on a line of its
 * own (folded), as mail wants.
 */
char *
notices_header_text(const char *s)
{
	size_t n = strlen(s), o = 0, chunk;
	char *out, *clean = xstrdup(s);
	int ascii = 1;

	for (char *c = clean; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
		if ((unsigned char)*c >= 0x80)
			ascii = 0;
	}
	if (ascii)
		return clean;
	/*
	 * Each byte may be a word of its own (bytes that are not UTF-8):
	 * 10 + 4 + 2 characters and a fold of 2.
	 */
	out = xmalloc(n * 18 + 1);
	for (size_t i = 0; i < n; i += chunk) {
		chunk = n - i < NOTICE_WORD_BYTES ? n - i : NOTICE_WORD_BYTES;
		while (i + chunk < n && chunk > 1 &&
		    ((unsigned char)clean[i + chunk] & 0xc0) == 0x80)
			chunk--;
		if (i > 0) {
			memcpy(out + o, "\n ", 2);
			o += 2;
		}
		o += notice_encoded_word(clean + i, chunk, out + o);
	}
	out[o] = '\0';
	free(clean);
	return out;
}

/*
 * text (malloc'd) as a mail's body: lines of at most NOTICE_LINE_MAX
 * bytes, cut between characters, since mail takes no longer ones.
 */
static char *
notice_mail_body(const char *text)
{
	size_t n = strlen(text), o = 0, chunk;
	char *out = xmalloc(n + n / 64 + 2);

	for (size_t i = 0; i < n; i += chunk) {
		chunk = n - i < NOTICE_LINE_MAX ? n - i : NOTICE_LINE_MAX;
		while (i + chunk < n && chunk > 4 &&
		    ((unsigned char)text[i + chunk] & 0xc0) == 0x80)
			chunk--;
		memcpy(out + o, text + i, chunk);
		o += chunk;
		out[o++] = '\n';
	}
	out[o] = '\0';
	return out;
}

/*
 * Put a notice into the outbox: body (JSON) for each URL, and for each
 * mail address a message of text under subject (cleaned and cut here).
 */
static void
notice_deliver(struct notices *n, const char *key, const char *text,
    const char *json, const char *subject_raw)
{
	char *clean, *subject, *body, *mail;

	for (size_t i = 0; i < n->nurls; i++) {
		char *target;

		xasprintf(&target, "url:%s", n->urls[i]);
		outbox_put(n->outbox, target, key, n->urls[i], json);
		free(target);
	}
	clean = utf8_sanitize(subject_raw, strlen(subject_raw), NULL);
	/* A header line stays well under mail's 998 characters. */
	if (strlen(clean) > NOTICE_SUBJECT_MAX) {
		size_t cut = NOTICE_SUBJECT_MAX;

		while (cut > 0 && ((unsigned char)clean[cut] & 0xc0) == 0x80)
			cut--;
		clean[cut] = '\0';
	}
	subject = notices_header_text(clean);
	free(clean);
	body = notice_mail_body(text);
	for (size_t i = 0; i < n->nmails; i++) {
		xasprintf(&mail, "To: %s\nSubject: %s\nMIME-Version: 1.0\n"
		    "Content-Type: text/plain; charset=utf-8\n"
		    "Content-Transfer-Encoding: 8bit\n"
		    "Auto-Submitted: auto-generated\n\n%s", n->mails[i],
		    subject, body);
		outbox_put(n->outbox, "mail", key, n->mails[i], mail);
		free(mail);
	}
	free(body);
	free(subject);
}

static void
notice_send(struct notices *n, const char *event, const struct job *pipe,
    const struct notice_previous *prev)
{
	char *text, *slack, *url, *body, *subject, *key, *clean;
	const char *verb = strcmp(event, "broken") == 0 ? "is broken" :
	    strcmp(event, "fixed") == 0 ? "is fixed" : "still fails";
	json_t *obj;

	/* Nothing is cut: every part is whole UTF-8, and so is the text. */
	xasprintf(&url, "%s/jobs/%lld", n->public_url, (long long)pipe->id);
	xasprintf(&text, "%s of %s %s: %.12s", pipe->branch, pipe->repo, verb,
	    pipe->commit);
	if (pipe->subject != NULL)
		xappendf(&text, " \"%s\"", pipe->subject);
	if (pipe->author != NULL)
		xappendf(&text, " by %s", pipe->author);
	xappendf(&text, " %s. %s", job_state_name(pipe->pipeline_state),
	    url);
	clean = utf8_sanitize(text, strlen(text), NULL);
	free(text);
	text = clean;
	/* One key: a target's notifications arrive in the order told. */
	key = xstrdup("notice");
	slack = notice_slack_escape(text);
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o}",
	    "text", slack, "event", event, "repo", pipe->repo, "branch",
	    pipe->branch, "commit", pipe->commit, "pipeline",
	    (json_int_t)pipe->id, "state", job_state_name(pipe->pipeline_state),
	    "url", url, "previous", prev->found ? json_pack("{s:I, s:s, s:s}",
	    "pipeline", (json_int_t)prev->id, "state",
	    job_state_name(prev->state), "commit", prev->commit) : json_null(),
	    "job", api_job(pipe));
	free(slack);
	body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (body == NULL) {
		log_warnx("unable to make pipeline %lld's notification: its "
		    "texts are not UTF-8", (long long)pipe->id);
		free(text);
		free(key);
		free(url);
		return;
	}
	xasprintf(&subject, "[ssci] %s: %s of %s (%.7s)", event, pipe->branch,
	    pipe->repo, pipe->commit);
	notice_deliver(n, key, text, body, subject);
	free(subject);
	free(body);
	log_info("pipeline %lld: %s of %s %s", (long long)pipe->id,
	    pipe->branch, pipe->repo, verb);
	free(text);
	free(key);
	free(url);
}

void
notices_job(struct notices *n, int64_t id)
{
	struct notice_previous prev = { 0 };
	struct job job, pipe;
	struct job_filter filter = { 0 };
	const char *event = NULL;
	int told;

	if (store_job_get(n->store, id, &job) != 1)
		return;
	if (store_job_get(n->store, job.pipeline, &pipe) != 1) {
		job_release(&job);
		return;
	}
	job_release(&job);
	if (pipe.branch == NULL || !job_state_final(pipe.pipeline_state) ||
	    pipe.pipeline_state == JOB_CANCELLED || pipe.bisection > 0 ||
	    pipe.superseded_by != NULL ||
	    idmap_get(&n->told, pipe.id, &told)) {
		job_release(&pipe);
		return;
	}
	idmap_set(&n->told, pipe.id, 1);
	filter.repo = pipe.repo;
	filter.branch = pipe.branch;
	filter.before = pipe.id;
	filter.pipelines = 1;
	filter.limit = NOTICE_LOOK_BACK;
	store_list_jobs(n->store, &filter, notice_previous_cb, &prev);
	if (pipe.pipeline_state == JOB_PASSED) {
		if (prev.found && prev.state != JOB_PASSED)
			event = "fixed";
	} else if (!prev.found || prev.state == JOB_PASSED)
		event = "broken";
	else if (n->all)
		event = "failed";
	if (event != NULL)
		notice_send(n, event, &pipe, &prev);
	job_release(&pipe);
}

void
notices_bisection(struct notices *n, const struct bisection *b)
{
	char *text, *slack, *url, *body, *subject, *clean;
	json_t *obj;

	if (strcmp(b->state, "found") != 0)
		return;
	xasprintf(&url, "%s/jobs/%lld", n->public_url, (long long)b->culprit);
	xasprintf(&text, "%s of %s was broken by %.12s", b->branch, b->repo,
	    b->culprit_commit);
	if (b->culprit_subject != NULL)
		xappendf(&text, " \"%s\"", b->culprit_subject);
	if (b->culprit_author != NULL)
		xappendf(&text, " by %s", b->culprit_author);
	xappendf(&text, ", found in %d runs. %s", b->runs, url);
	clean = utf8_sanitize(text, strlen(text), NULL);
	free(text);
	text = clean;
	slack = notice_slack_escape(text);
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:s}", "text",
	    slack, "event", "culprit", "repo", b->repo, "branch", b->branch,
	    "commit", b->culprit_commit, "pipeline", (json_int_t)b->culprit,
	    "runs", b->runs, "url", url);
	free(slack);
	body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (body != NULL) {
		xasprintf(&subject, "[ssci] culprit: %s of %s broken by %.7s",
		    b->branch, b->repo, b->culprit_commit);
		notice_deliver(n, "notice", text, body, subject);
		free(subject);
		free(body);
	} else
		log_warnx("unable to make bisection %lld's notification: its "
		    "texts are not UTF-8", (long long)b->id);
	free(text);
	free(url);
}

struct notices *
notices_new(struct store *store, struct outbox *outbox,
    const char *const *urls, size_t nurls, const char *const *mails,
    size_t nmails, int all, const char *public_url)
{
	struct notices *n = xcalloc(1, sizeof *n);

	n->store = store;
	n->outbox = outbox;
	n->urls = xcalloc(nurls + 1, sizeof *n->urls);
	for (size_t i = 0; i < nurls; i++)
		n->urls[n->nurls++] = xstrdup(urls[i]);
	n->mails = xcalloc(nmails + 1, sizeof *n->mails);
	for (size_t i = 0; i < nmails; i++)
		n->mails[n->nmails++] = xstrdup(mails[i]);
	n->all = all;
	n->public_url = xstrdup(public_url);
	idmap_init(&n->told);
	return n;
}

void
notices_free(struct notices *n)
{
	if (n == NULL)
		return;
	strv_free(n->urls, n->nurls);
	strv_free(n->mails, n->nmails);
	free(n->public_url);
	idmap_release(&n->told);
	free(n);
}
