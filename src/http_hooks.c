/* SPDX-License-Identifier: MIT */
/*
 * http_hooks.c - POST /hooks/github, /hooks/gitea (Forgejo too) and
 * /hooks/gitlab: a forge's webhook checked and turned into queued jobs.
 *
 * The order of the checks is the order of trust: the body's size (413),
 * its signature by one of the configured forges of that kind (401; the
 * only thing that says which forge sent it), a delivery already taken
 * (200, nothing queued), the payload (400), the repository, which must
 * lie under that forge's URL and be allowed (403).  Each refusal is
 * logged once with the client's address; nothing is queued before all
 * have passed.  The delivery is remembered only once its commits are
 * queued, so a redelivery after a store error queues them then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "auth.h"
#include "dispatcher.h"
#include "forge.h"
#include "http.h"
#include "sched.h"
#include "store.h"
#include "tls.h"
#include "util.h"

/* A delivery id is remembered this long. */
#define HOOK_DELIVERY_KEEP_MS (24LL * 3600 * 1000)

static const char *
hook_header(struct http_ctx *h, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(h->req),
	    name);
}

/* The first of two headers given (Gitea's or Forgejo's name). */
static const char *
hook_header2(struct http_ctx *h, const char *a, const char *b)
{
	const char *v = hook_header(h, a);

	return v != NULL ? v : hook_header(h, b);
}

/*
 * The forge of kind whose secret signs body as the request says, or
 * NULL; *given says whether a signature came at all.
 */
static const struct forge *
hook_signer(struct http_ctx *h, enum forge_kind kind, const char *body,
    size_t len, int *given)
{
	const struct forges *f = &h->d->forges;
	const char *sig;
	char hex[65], lower[65];
	size_t n;

	if (kind == FORGE_GITHUB) {
		sig = hook_header(h, "X-Hub-Signature-256");
		if (sig != NULL && strncmp(sig, "sha256=", 7) == 0)
			sig += 7;
		else
			sig = NULL;
	} else if (kind == FORGE_GITEA)
		sig = hook_header2(h, "X-Gitea-Signature",
		    "X-Forgejo-Signature");
	else
		sig = hook_header(h, "X-Gitlab-Token");
	*given = sig != NULL && *sig != '\0';
	if (!*given)
		return NULL;
	/* An HMAC's hex digits, in either case: no MAC is made for less. */
	n = strlen(sig);
	if (kind != FORGE_GITLAB) {
		if (n != 64)
			return NULL;
		for (size_t j = 0; j <= n; j++)
			lower[j] = sig[j] >= 'A' && sig[j] <= 'F' ?
			    (char)(sig[j] - 'A' + 'a') : sig[j];
		sig = lower;
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct forge *g = &f->list[i];

		if (g->kind != kind)
			continue;
		if (kind == FORGE_GITLAB) {
			if (auth_equal(sig, g->secret))
				return g;
			continue;
		}
		tls_hmac_sha256_hex(g->secret, body, len, hex);
		if (auth_equal(sig, hex))
			return g;
	}
	return NULL;
}

static int
hook_kind_configured(const struct forges *f, enum forge_kind kind)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->list[i].kind == kind)
			return 1;
	}
	return 0;
}

/* A delivery id worth remembering: printable, not too long. */
static int
hook_delivery_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > FORGE_DELIVERY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)id[i] <= ' ' || (unsigned char)id[i] >= 0x7f)
			return 0;
	}
	return 1;
}

/* Queue ev's commits: a JSON list of what became of each, or NULL after answering. */
static json_t *
hook_queue(struct http_ctx *h, const struct forge *g,
    const struct forge_event *ev, size_t *fresh)
{
	struct dispatcher *d = h->d;
	json_t *queued = json_array();
	char why[400];

	if (sched_repo_refused(d->sched, ev->clone_url, why, sizeof why)) {
		log_warnx("refused a webhook from forge '%s' at %s: %s", g->name,
		    h->ip, why);
		http_error(h->req, 403, "bad_repo", "%s", why);
		json_decref(queued);
		return NULL;
	}
	for (size_t i = 0; i < ev->ncommits; i++) {
		const struct forge_commit *c = &ev->commits[i];
		struct job_request request = {
			.repo = ev->clone_url, .commit = c->id,
			.branch = ev->branch, .subject = c->subject,
			.author = c->author, .pr_title = ev->pr_title,
			.pr_url = ev->pr_url, .trigger = "webhook",
		};
		enum job_state state;
		int64_t id;
		int existing, rc;

		rc = sched_queue_job(d->sched, &request, &id, &state, &existing);
		if (rc == -3) {
			http_error(h->req, 503, "disk_full", "%s; deliver it "
			    "again later", sched_refusal(d->sched));
			json_decref(queued);
			return NULL;
		}
		if (rc != 0) {
			http_error(h->req, 503, rc == -2 ? "queue_full" :
			    "try_again", "unable to queue %s now; deliver it "
			    "again later", c->id);
			json_decref(queued);
			return NULL;
		}
		*fresh += !existing;
		json_array_append_new(queued, json_pack("{s:s, s:I, s:s, s:b}",
		    "commit", c->id, "job", (json_int_t)id, "state",
		    job_state_name(state), "existing", existing));
	}
	return queued;
}

int
http_hook(struct http_ctx *h)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(h->req);
	size_t len = evbuffer_get_length(in);
	const struct forge *g, *match;
	size_t fresh = 0;
	struct forge_event ev;
	enum forge_kind kind;
	const char *body, *delivery, *event;
	char why[300], *path = NULL, esc[200];
	json_t *queued;
	int given, known;

	if (forge_kind_parse(h->parts[1], &kind) == -1 ||
	    !hook_kind_configured(&h->d->forges, kind))
		return 0;
	if (len > FORGE_HOOK_MAX_BODY) {
		log_warnx("refused a webhook from %s: its body of %zu bytes is "
		    "over %d MiB", h->ip, len, FORGE_HOOK_MAX_BODY >> 20);
		http_error(h->req, 413, "too_large", "a webhook's body is at "
		    "most %d MiB", FORGE_HOOK_MAX_BODY >> 20);
		return 1;
	}
	body = (const char *)evbuffer_pullup(in, -1);
	if ((g = hook_signer(h, kind, body, len, &given)) == NULL) {
		log_warnx("refused a %s webhook from %s: %s signature",
		    forge_kind_name(kind), h->ip, given ? "wrong" : "no");
		http_error(h->req, 401, "bad_signature", "%s",
		    given ? "the signature does not match the secret of any "
		    "forge of this kind" : "the request is not signed");
		return 1;
	}
	delivery = kind == FORGE_GITHUB ? hook_header(h, "X-GitHub-Delivery") :
	    kind == FORGE_GITEA ? hook_header2(h, "X-Gitea-Delivery",
	    "X-Forgejo-Delivery") : hook_header(h, "X-Gitlab-Event-UUID");
	if (delivery != NULL && !hook_delivery_valid(delivery))
		delivery = NULL;
	if (delivery != NULL) {
		known = store_delivery_known(h->d->store, g->name, delivery,
		    now_ms() - HOOK_DELIVERY_KEEP_MS);
		if (known == 1) {
			log_info("webhook delivery %s from forge '%s' was taken "
			    "already: nothing queued", delivery, g->name);
			http_json(h->req, 200, json_pack("{s:b, s:s}",
			    "duplicate", 1, "delivery", delivery));
			return 1;
		}
	}
	event = kind == FORGE_GITHUB ? hook_header(h, "X-GitHub-Event") :
	    kind == FORGE_GITEA ? hook_header2(h, "X-Gitea-Event",
	    "X-Forgejo-Event") : hook_header(h, "X-Gitlab-Event");
	if (forge_hook_parse(kind, event, body, len, &ev, why,
	    sizeof why) == -1) {
		log_escape(why, esc, sizeof esc);
		log_warnx("refused a webhook from forge '%s' at %s: %s", g->name,
		    h->ip, esc);
		http_error(h->req, 400, "bad_payload", "%s", why);
		return 1;
	}
	if (ev.kind == FORGE_EVENT_PING) {
		log_info("webhook ping from forge '%s' at %s", g->name, h->ip);
		http_json(h->req, 200, json_pack("{s:b, s:s}", "pong", 1,
		    "forge", g->name));
		forge_event_release(&ev);
		return 1;
	}
	if (ev.kind == FORGE_EVENT_IGNORED && ev.clone_url == NULL) {
		log_info("webhook from forge '%s': %s", g->name, ev.why);
		http_json(h->req, 200, json_pack("{s:s}", "ignored", ev.why));
		forge_event_release(&ev);
		return 1;
	}
	match = forge_match(g, ev.clone_url, &path) ? g : NULL;
	if (match == NULL || !forges_allowed(&h->d->forges, path)) {
		log_escape(ev.clone_url, esc, sizeof esc);
		log_warnx("refused a webhook from forge '%s' at %s: repository "
		    "'%s' is not %s", g->name, h->ip, esc, match == NULL ?
		    "under the forge's URL" : "allowed (--forge-repo)");
		http_error(h->req, 403, "repo_not_allowed", "this repository "
		    "is not built here");
		free(path);
		forge_event_release(&ev);
		return 1;
	}
	if (ev.kind == FORGE_EVENT_IGNORED) {
		log_info("webhook from forge '%s' for %s: %s", g->name, path,
		    ev.why);
		http_json(h->req, 200, json_pack("{s:s}", "ignored", ev.why));
	} else if ((queued = hook_queue(h, g, &ev, &fresh)) != NULL) {
		if (delivery != NULL && store_delivery_add(h->d->store, g->name,
		    delivery, now_ms(), now_ms() - HOOK_DELIVERY_KEEP_MS) == -1)
			log_warnx("unable to remember webhook delivery %s: a "
			    "redelivery would find its jobs queued", delivery);
		log_info("webhook %s from forge '%s': %zu commit%s of %s %s, "
		    "%zu newly queued", ev.kind == FORGE_EVENT_PUSH ? "push" :
		    "pull request", g->name, ev.ncommits, ev.ncommits == 1 ?
		    "" : "s", path, ev.branch, fresh);
		http_json(h->req, 200, json_pack("{s:s, s:s, s:s, s:o}",
		    "event", ev.kind == FORGE_EVENT_PUSH ? "push" :
		    "pull_request", "forge", g->name, "branch", ev.branch,
		    "queued", queued));
	}
	free(path);
	forge_event_release(&ev);
	return 1;
}
