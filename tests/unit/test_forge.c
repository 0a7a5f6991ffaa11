/* SPDX-License-Identifier: MIT */
/*
 * test_forge.c - forges as configured (--forge specs, secret files whose
 * mode is checked, allowed repositories, a repository URL matched to its
 * forge), webhook payloads of each forge read into what they ask us to
 * build (a push's commits oldest first whatever order the forge lists
 * them in, deletions and tags building nothing, pull request actions,
 * malformed payloads refused), the HMAC that signs them, and the mail
 * addresses notifications go to.
 */
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

#include "forge.h"
#include "statuses.h"
#include "tls.h"
#include "util.h"

#define A "1111111111111111111111111111111111111111"
#define B "2222222222222222222222222222222222222222"
#define C "3333333333333333333333333333333333333333"
#define Z "0000000000000000000000000000000000000000"

static int
parse(enum forge_kind kind, const char *event, const char *body,
    struct forge_event *ev, char *why)
{
	return forge_hook_parse(kind, event, body, strlen(body), ev, why, 200);
}

static void
test_spec(void **state)
{
	struct forge f;
	char *secret, *token, why[200];

	(void)state;
	assert_int_equal(forge_spec_parse("gh=github,https://github.com/,s,t",
	    &f, &secret, &token, why, sizeof why), 0);
	assert_string_equal(f.name, "gh");
	assert_int_equal(f.kind, FORGE_GITHUB);
	assert_string_equal(f.url, "https://github.com");
	assert_string_equal(f.api, "https://api.github.com");
	assert_string_equal(secret, "s");
	assert_string_equal(token, "t");
	free(f.name);
	free(f.url);
	free(f.api);
	free(secret);
	free(token);

	/* GitHub Enterprise, Forgejo and GitLab: their API paths. */
	assert_int_equal(forge_spec_parse("e=github,http://ghe.local,s", &f,
	    &secret, &token, why, sizeof why), 0);
	assert_string_equal(f.api, "http://ghe.local/api/v3");
	assert_null(token);
	free(f.name);
	free(f.url);
	free(f.api);
	free(secret);
	assert_int_equal(forge_spec_parse("fj=forgejo,https://code.x/git,s", &f,
	    &secret, &token, why, sizeof why), 0);
	assert_int_equal(f.kind, FORGE_GITEA);
	assert_string_equal(f.api, "https://code.x/git/api/v1");
	free(f.name);
	free(f.url);
	free(f.api);
	free(secret);
	assert_int_equal(forge_spec_parse("gl=gitlab,https://gitlab.com,s", &f,
	    &secret, &token, why, sizeof why), 0);
	assert_string_equal(f.api, "https://gitlab.com/api/v4");
	free(f.name);
	free(f.url);
	free(f.api);
	free(secret);

	/* Each mistake says what is wrong. */
	assert_int_equal(forge_spec_parse("github,https://x,s", &f, &secret,
	    &token, why, sizeof why), -1);
	assert_non_null(strstr(why, "NAME=KIND"));
	assert_int_equal(forge_spec_parse("x=bitbucket,https://x,s", &f,
	    &secret, &token, why, sizeof why), -1);
	assert_non_null(strstr(why, "bitbucket"));
	assert_int_equal(forge_spec_parse("x=gitea,ftp://x,s", &f, &secret,
	    &token, why, sizeof why), -1);
	assert_int_equal(forge_spec_parse("x=gitea,https://u:p@x,s", &f,
	    &secret, &token, why, sizeof why), -1);
	assert_int_equal(forge_spec_parse("x=gitea,https://x", &f, &secret,
	    &token, why, sizeof why), -1);
	assert_int_equal(forge_spec_parse("x y=gitea,https://x,s", &f,
	    &secret, &token, why, sizeof why), -1);
	assert_null(f.name);
}

static void
write_secret(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_load_and_match(void **state)
{
	char dir[] = "/tmp/ssci-forge-XXXXXX", secret[100], open_file[100];
	char spec[300], spec2[300];
	const char *specs[2], *repos[] = { "Owner/Repo", "group/sub/name" };
	const struct forge *g;
	struct forges f;
	char *path;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(secret, sizeof secret, "%s/secret", dir);
	snprintf(open_file, sizeof open_file, "%s/open", dir);
	write_secret(secret, "  s3cret \n", 0600);
	write_secret(open_file, "s3cret\n", 0644);
	snprintf(spec, sizeof spec, "gh=github,http://127.0.0.1:9/,%s,%s",
	    secret, secret);
	snprintf(spec2, sizeof spec2, "gl=gitlab,https://gitlab.example,%s",
	    secret);
	specs[0] = spec;
	specs[1] = spec2;
	assert_int_equal(forges_load(&f, specs, 2, repos, 2), 0);
	assert_string_equal(f.list[0].secret, "s3cret");
	assert_string_equal(f.list[0].token, "s3cret");
	assert_null(f.list[1].token);

	g = forges_match(&f, -1, "http://127.0.0.1:9/owner/repo.git", &path);
	assert_ptr_equal(g, &f.list[0]);
	assert_string_equal(path, "owner/repo");
	assert_true(forges_allowed(&f, path));
	free(path);
	g = forges_match(&f, FORGE_GITLAB,
	    "https://gitlab.example/group/sub/name", &path);
	assert_ptr_equal(g, &f.list[1]);
	assert_true(forges_allowed(&f, path));
	free(path);
	/* Another forge's kind, another host, a path out, a bare host. */
	assert_null(forges_match(&f, FORGE_GITEA,
	    "http://127.0.0.1:9/owner/repo.git", &path));
	assert_null(forges_match(&f, -1, "http://127.0.0.1:99/o/r.git", &path));
	assert_null(forges_match(&f, -1, "http://127.0.0.1:9/../r.git", &path));
	assert_null(forges_match(&f, -1, "http://127.0.0.1:9/r.git", &path));
	assert_false(forges_allowed(&f, "owner/other"));
	forges_release(&f);

	/* A forge under another's URL is the nearer match. */
	snprintf(spec, sizeof spec, "a=github,http://h,%s", secret);
	snprintf(spec2, sizeof spec2, "b=gitlab,http://h/gl,%s", secret);
	assert_int_equal(forges_load(&f, specs, 2, repos, 0), 0);
	g = forges_match(&f, -1, "http://h/gl/o/r.git", &path);
	assert_ptr_equal(g, &f.list[1]);
	assert_string_equal(path, "o/r");
	free(path);
	g = forges_match(&f, -1, "http://h/gl/r.git", &path);
	assert_ptr_equal(g, &f.list[0]);
	assert_string_equal(path, "gl/r");
	free(path);
	forges_release(&f);

	/* A secret others can read is refused, and so is a bad repository. */
	snprintf(spec, sizeof spec, "gh=github,http://x,%s", open_file);
	assert_int_equal(forges_load(&f, specs, 1, repos, 1), -1);
	assert_int_equal(forges_load(&f, NULL, 0, (const char *[]){ "x" }, 1),
	    -1);
	assert_int_equal(forges_load(&f, NULL, 0, (const char *[]){ "*" }, 1),
	    0);
	assert_true(forges_allowed(&f, "any/thing"));
	forges_release(&f);
	unlink(secret);
	unlink(open_file);
	rmdir(dir);
}

static void
test_github_push_oldest_first(void **state)
{
	struct forge_event ev;
	char why[200];

	(void)state;
	assert_int_equal(parse(FORGE_GITHUB, "push", "{\"ref\":"
	    "\"refs/heads/main\",\"after\":\"" C "\",\"commits\":["
	    "{\"id\":\"" A "\",\"message\":\"one\\nbody\","
	    "\"author\":{\"name\":\"Ann\"}},"
	    "{\"id\":\"" B "\",\"message\":\"two\\u0007\"},"
	    "{\"id\":\"" C "\",\"message\":\"three\"}],"
	    "\"repository\":{\"clone_url\":\"https://github.com/o/r.git\"}}",
	    &ev, why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_PUSH);
	assert_string_equal(ev.branch, "main");
	assert_string_equal(ev.clone_url, "https://github.com/o/r.git");
	assert_int_equal(ev.ncommits, 3);
	assert_string_equal(ev.commits[0].id, A);
	assert_string_equal(ev.commits[0].subject, "one");
	assert_string_equal(ev.commits[0].author, "Ann");
	assert_string_equal(ev.commits[1].subject, "two ");
	assert_string_equal(ev.commits[2].id, C);
	forge_event_release(&ev);

	/* A new branch at a known commit lists none: the tip is built. */
	assert_int_equal(parse(FORGE_GITHUB, "push", "{\"ref\":"
	    "\"refs/heads/new\",\"after\":\"" B "\",\"commits\":[],"
	    "\"head_commit\":{\"id\":\"" B "\",\"message\":\"two\"},"
	    "\"repository\":{\"clone_url\":\"https://github.com/o/r.git\"}}",
	    &ev, why), 0);
	assert_int_equal(ev.ncommits, 1);
	assert_string_equal(ev.commits[0].id, B);
	assert_string_equal(ev.commits[0].subject, "two");
	forge_event_release(&ev);
}

static void
test_gitea_and_gitlab_newest_first(void **state)
{
	static const char *const kinds[] = { "push", "Push Hook" };
	struct forge_event ev;
	char body[1000], why[200];

	(void)state;
	for (int k = 0; k < 2; k++) {
		snprintf(body, sizeof body, "{\"ref\":\"refs/heads/dev\","
		    "\"after\":\"%s\",\"checkout_sha\":\"%s\",\"commits\":["
		    "{\"id\":\"%s\"},{\"id\":\"%s\"},{\"id\":\"%s\"}],"
		    "\"repository\":{\"clone_url\":\"http://g/o/r.git\"},"
		    "\"project\":{\"git_http_url\":\"http://g/o/r.git\"}}",
		    C, C, C, B, A);
		assert_int_equal(parse(k == 0 ? FORGE_GITEA : FORGE_GITLAB,
		    kinds[k], body, &ev, why), 0);
		assert_int_equal(ev.ncommits, 3);
		assert_string_equal(ev.commits[0].id, A);
		assert_string_equal(ev.commits[1].id, B);
		assert_string_equal(ev.commits[2].id, C);
		forge_event_release(&ev);
	}
	/* An older GitLab's oldest-first list stays as it is. */
	snprintf(body, sizeof body, "{\"ref\":\"refs/heads/dev\",\"after\":"
	    "\"%s\",\"checkout_sha\":\"%s\",\"commits\":[{\"id\":\"%s\"},"
	    "{\"id\":\"%s\"}],\"project\":{\"git_http_url\":\"http://g/o/r\"}}",
	    B, B, A, B);
	assert_int_equal(parse(FORGE_GITLAB, "Push Hook", body, &ev, why), 0);
	assert_string_equal(ev.commits[0].id, A);
	assert_string_equal(ev.commits[1].id, B);
	forge_event_release(&ev);
}

static void
test_nothing_to_build(void **state)
{
	struct forge_event ev;
	char why[200];

	(void)state;
	/* A deleted branch, GitHub's way and GitLab's. */
	assert_int_equal(parse(FORGE_GITHUB, "push", "{\"ref\":\"refs/heads/x\","
	    "\"after\":\"" Z "\",\"deleted\":true,\"commits\":[],"
	    "\"repository\":{\"clone_url\":\"https://h/o/r.git\"}}", &ev,
	    why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_IGNORED);
	assert_non_null(strstr(ev.why, "deleted"));
	assert_int_equal(ev.ncommits, 0);
	forge_event_release(&ev);
	assert_int_equal(parse(FORGE_GITLAB, "Push Hook", "{\"ref\":"
	    "\"refs/heads/x\",\"after\":\"" Z "\",\"checkout_sha\":null,"
	    "\"commits\":[],\"project\":{\"git_http_url\":\"https://h/o/r\"}}",
	    &ev, why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_IGNORED);
	forge_event_release(&ev);
	/* A tag. */
	assert_int_equal(parse(FORGE_GITEA, "push", "{\"ref\":\"refs/tags/v1\","
	    "\"after\":\"" A "\",\"repository\":{\"clone_url\":\"https://h/o/r"
	    "\"}}", &ev, why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_IGNORED);
	assert_non_null(strstr(ev.why, "not a branch"));
	forge_event_release(&ev);
	/* Another event; a ping. */
	assert_int_equal(parse(FORGE_GITHUB, "issues", "{}", &ev, why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_IGNORED);
	assert_null(ev.clone_url);
	forge_event_release(&ev);
	/* One that names its repository has it checked like any other. */
	assert_int_equal(parse(FORGE_GITLAB, "Tag Push Hook", "{\"project\":"
	    "{\"git_http_url\":\"https://h/o/r.git\"}}", &ev, why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_IGNORED);
	assert_string_equal(ev.clone_url, "https://h/o/r.git");
	forge_event_release(&ev);
	assert_int_equal(parse(FORGE_GITHUB, "push", "", &ev, why), -1);
	assert_string_equal(why, "the body is empty");
	assert_int_equal(parse(FORGE_GITHUB, "ping", "{\"zen\":\"x\"}", &ev,
	    why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_PING);
	forge_event_release(&ev);
}

static void
test_pull_requests(void **state)
{
	struct forge_event ev;
	char body[1000], why[200];

	(void)state;
	for (int k = 0; k < 2; k++) {
		snprintf(body, sizeof body, "{\"action\":\"%s\",\"number\":7,"
		    "\"pull_request\":{\"title\":\"Fix <it>\",\"html_url\":"
		    "\"https://h/o/r/pull/7\",\"head\":{\"sha\":\"%s\"}},"
		    "\"repository\":{\"clone_url\":\"https://h/o/r.git\"}}",
		    k == 0 ? "synchronize" : "synchronized", B);
		assert_int_equal(parse(k == 0 ? FORGE_GITHUB : FORGE_GITEA,
		    "pull_request", body, &ev, why), 0);
		assert_int_equal(ev.kind, FORGE_EVENT_PULL);
		assert_string_equal(ev.branch, "pr/7");
		assert_string_equal(ev.pr_title, "Fix <it>");
		assert_string_equal(ev.pr_url, "https://h/o/r/pull/7");
		assert_int_equal(ev.ncommits, 1);
		assert_string_equal(ev.commits[0].id, B);
		forge_event_release(&ev);
	}
	assert_int_equal(parse(FORGE_GITHUB, "pull_request", "{\"action\":"
	    "\"closed\",\"number\":7,\"pull_request\":{},\"repository\":"
	    "{\"clone_url\":\"https://h/o/r.git\"}}", &ev, why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_IGNORED);
	forge_event_release(&ev);

	/* GitLab: an update builds only with new commits (oldrev). */
	snprintf(body, sizeof body, "{\"object_kind\":\"merge_request\","
	    "\"object_attributes\":{\"iid\":3,\"title\":\"T\",\"url\":"
	    "\"https://gl/o/r/-/merge_requests/3\",\"action\":\"update\","
	    "\"oldrev\":\"%s\",\"last_commit\":{\"id\":\"%s\",\"message\":"
	    "\"m\",\"author\":{\"name\":\"N\"}}},\"project\":{\"git_http_url\":"
	    "\"https://gl/o/r.git\"}}", A, B);
	assert_int_equal(parse(FORGE_GITLAB, "Merge Request Hook", body, &ev,
	    why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_PULL);
	assert_string_equal(ev.branch, "pr/3");
	assert_string_equal(ev.commits[0].id, B);
	assert_string_equal(ev.commits[0].author, "N");
	forge_event_release(&ev);
	assert_int_equal(parse(FORGE_GITLAB, "Merge Request Hook",
	    "{\"object_attributes\":{\"iid\":3,\"action\":\"update\"},"
	    "\"project\":{\"git_http_url\":\"https://gl/o/r.git\"}}", &ev,
	    why), 0);
	assert_int_equal(ev.kind, FORGE_EVENT_IGNORED);
	forge_event_release(&ev);
}

static void
test_malformed(void **state)
{
	static const char *const bodies[] = {
		"", "{", "[]", "{\"ref\":\"refs/heads/x\"}",
		"{\"ref\":1,\"after\":\"" A "\",\"repository\":{}}",
		"{\"ref\":\"refs/heads/x\",\"after\":\"zz\",\"repository\":"
		"{\"clone_url\":\"https://h/o/r\"}}",
		"{\"ref\":\"refs/heads/x..y\",\"after\":\"" A "\",\"repository\":"
		"{\"clone_url\":\"https://h/o/r\"}}",
		"{\"ref\":\"refs/heads/x\",\"after\":\"" A "\",\"commits\":[1],"
		"\"repository\":{\"clone_url\":\"https://h/o/r\"}}",
		"{\"ref\":\"refs/heads/x\",\"after\":\"" A "\",\"commits\":"
		"{\"id\":1},\"repository\":{\"clone_url\":\"https://h/o/r\"}}",
		"{\"a\":1,\"a\":2}",
	};
	struct forge_event ev;
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		why[0] = '\0';
		assert_int_equal(parse(FORGE_GITHUB, "push", bodies[i], &ev, why),
		    -1);
		assert_true(why[0] != '\0');
		assert_null(ev.commits);
	}
	assert_int_equal(parse(FORGE_GITHUB, "", "{}", &ev, why), -1);
	assert_int_equal(parse(FORGE_GITHUB, "pull_request", "{\"action\":"
	    "\"opened\",\"number\":0,\"pull_request\":{\"head\":{\"sha\":\"" A
	    "\"}},\"repository\":{\"clone_url\":\"https://h/o/r\"}}", &ev, why),
	    -1);
}

static void
test_hmac_and_addresses(void **state)
{
	char hex[65];

	(void)state;
	/* RFC 4231, test case 2. */
	tls_hmac_sha256_hex("Jefe", "what do ya want for nothing?", 28, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	tls_hmac_sha256_hex("k", NULL, 0, hex);
	assert_int_equal(strlen(hex), 64);

	{
		char *h = notices_header_text("[ssci] broken:\r\nBcc: x");

		assert_string_equal(h, "[ssci] broken:  Bcc: x");
		free(h);
		/* 30 two-byte characters: two words, whole characters each. */
		char text[61];


		for (int i = 0; i < 30; i++)
			memcpy(text + 2 * i, "\xc3\xa9", 2);
		text[60] = '\0';
		h = notices_header_text(text);
		assert_string_equal(h, "=?UTF-8?B?w6nDqcOpw6nDqcOpw6nDqcOpw6n"
		    "DqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6k=?=\n =?UTF-8?B?"
		    "w6nDqcOpw6nDqcOpw6nDqQ==?=");
		free(h);
	}
	assert_true(notices_address_valid("dev+ci@example.org"));
	assert_false(notices_address_valid("a@b\nBcc: x@y"));
	assert_false(notices_address_valid("Name <a@b>"));
	assert_false(notices_address_valid("@b"));
	assert_false(notices_address_valid("a@"));
	assert_false(notices_address_valid("-t@b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_load_and_match),
		cmocka_unit_test(test_github_push_oldest_first),
		cmocka_unit_test(test_gitea_and_gitlab_newest_first),
		cmocka_unit_test(test_nothing_to_build),
		cmocka_unit_test(test_pull_requests),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hmac_and_addresses),
	};

	log_init("test", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
