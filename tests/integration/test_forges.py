# SPDX-License-Identifier: MIT
"""Forges (issue 16): webhooks in, commit statuses and notifications out,
against forge_standin.py, a forge on loopback that serves the test's
repositories over git's dumb HTTP, takes the three forges' status calls
and a Slack-like /notify, and sends webhooks as GitHub, Gitea/Forgejo and
GitLab do.

A signed push of three commits queues those three, oldest first, and
each gets pending, running and its verdict, with the token, context ssci
and a target_url that serves the job's page; a pull request builds its
head as pr/N with its title on the job page and in the API; every
refusal (signature wrong or missing, repository not allowed, a body too
big, JSON broken, a delivery seen before) queues nothing; statuses held
back by a forge answering 503 for a minute all arrive once and in order,
a dispatcher killed -9 meanwhile included; a branch that breaks and is
fixed notifies once each, by webhook and by mail; libcurl is loaded only
by a dispatcher that sends by HTTP, which without it does not start; and
the token shows in no log, page or API answer."""
import email.header
import email.parser
import http.client as http_client
import json
import os
import re
import secrets
import stat
import subprocess
import time
import urllib.parse

from faults_util import FAST
from forge_payloads import gitea as gitea_payloads
from forge_payloads import github as github_payloads
from forge_payloads import gitlab as gitlab_payloads
from forge_standin import ForgeStandin, git, hmac_hex
from harness import (DEADLINE, FAILING_TEST, FINAL_STATES, PASSING_TEST,
                     SSCI, EventStream, SsciTest, http, http_json, parse_html)

OWNER, NAME = "acme", "widget"
# What the forge's statuses say, by kind.
PASS = {"github": "success", "gitea": "success", "gitlab": "success"}
FAIL = {"github": "failure", "gitea": "failure", "gitlab": "failed"}
RUNNING = {"github": "pending", "gitea": "pending", "gitlab": "running"}
AUTH = {"github": "Bearer {}", "gitea": "token {}", "gitlab": "Bearer {}"}
# How long the forge answers 503 in the outage test.
OUTAGE = 60
PR_TITLE = 'Spin the widget <fast> & "safely"'
PIPELINE = """\
jobs:
  build:
    run: echo BUILD-RAN
  check:
    needs: [build]
    run: echo CHECK-RAN; exit 3
"""


def status_path(kind, sha, owner=OWNER, name=NAME):
    if kind == "github":
        return f"/api/v3/repos/{owner}/{name}/statuses/{sha}"
    if kind == "gitea":
        return f"/api/v1/repos/{owner}/{name}/statuses/{sha}"
    return f"/api/v4/projects/{owner}%2F{name}/statuses/{sha}"


def get(url, **kw):
    """GET an absolute URL; its Reply."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return http(f"{parts.scheme}://{parts.netloc}", path, **kw)


def quote_path(s):
    return urllib.parse.quote(s, safe="")


class ForgeTest(SsciTest):
    def setUp(self):
        super().setUp()
        self.forge = ForgeStandin(os.path.join(self.tmp, "forge"),
                                  os.path.join(self.tmp, "forge.log"))
        self.addCleanup(self.forge.close)
        # (Cleanups run last first: the programs stop before the forge.)
        self.addCleanup(self.stop_programs)
        # Recognisable, and found nowhere by chance.
        self.token = "ssci-forge-token-" + secrets.token_hex(20)
        self.secret = "hook-secret-" + secrets.token_hex(16)
        self.clone_url = f"{self.forge.url}/{OWNER}/{NAME}.git"

    def stop_programs(self):
        for p in reversed(self.procs):
            try:
                p.stop()
            except OSError:
                pass

    # ---- set-up ----

    def private_file(self, name, text, mode=0o600):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        os.chmod(path, mode)
        return path

    def forge_args(self, kind, name=None, forge=None, secret=None,
                   token=True, repos=(f"{OWNER}/{NAME}",)):
        """--forge NAME=KIND,URL,SECRET_FILE[,TOKEN_FILE] and its
        --forge-repo options."""
        name = name or kind
        forge = forge or self.forge
        secret_file = self.private_file(f"{name}.secret",
                                        secret or self.secret)
        spec = f"{name}={kind},{forge.url},{secret_file}"
        if token:
            spec += "," + self.private_file(f"{name}.token", self.token)
        args = ["--forge", spec]
        for repo in repos:
            args += ["--forge-repo", repo]
        return args

    def start_dispatcher(self, kind="github", extra=(), path_first=None,
                         **kw):
        """A dispatcher with HTTP and one forge of kind (plus extra
        arguments); path_first: a folder put first on its PATH."""
        wrap = ()
        if path_first:
            wrap = ("env", f"PATH={path_first}{os.pathsep}"
                    f"{os.environ['PATH']}")
        return self.dispatcher(args=[*self.forge_args(kind, **kw), *extra],
                               http=True, wrap=wrap)

    def restart(self, d, args):
        """Start d again at once on its state folder, protocol port and
        HTTP port (so its public URL stays)."""
        port = urllib.parse.urlsplit(d.http_url).port
        return self.restart_dispatcher(
            d, [*args, "--http", f"127.0.0.1:{port}"], http=True)

    def work_repo(self, name="work"):
        """A working repository whose first commit is on the forge's
        main (pushed with no hook: it is never built)."""
        repo = self.make_repo(name)
        self.forge.push(repo, OWNER, NAME)
        return repo

    # ---- reading ----

    def calls_text(self, calls=None):
        calls = self.forge.status_calls() if calls is None else calls
        return "\n".join(
            f"  #{c['seq']} {c['forge']} {c['method']} {c['path']} "
            f"{c['context']} {c['state']} {c['description']!r} "
            f"-> {c['answer']}" for c in calls) or "  (no status calls)"

    def hook_ok(self, reply, commits, event="push"):
        """The answer to a hook that queues commits, in order: its
        [job ids]."""
        self.assertEqual(reply.status, 200, reply)
        answer = reply.json()
        self.assertEqual(answer.get("event"), event, answer)
        queued = answer.get("queued")
        self.assertEqual([q.get("commit") for q in queued], commits, answer)
        for q in queued:
            # (A runner may have taken it before the answer was made.)
            self.assertIn(q.get("state"), ("queued", "running"), answer)
            self.assertIs(q.get("existing"), False, answer)
            self.assertIsInstance(q.get("job"), int, answer)
        return [q["job"] for q in queued]

    def assert_nothing_queued(self, d, before, what):
        self.assertEqual([j["id"] for j in d.jobs()], before,
                         f"{what} queued a job")

    def wait_final(self, kind, sha, context="ssci", timeout=DEADLINE):
        """The accepted status calls of (sha, context) once the last is a
        final state."""
        finals = {PASS[kind], FAIL[kind], "error", "canceled"}

        def done():
            calls = self.forge.status_calls(sha, context, True)
            return calls if calls and calls[-1]["state"] in finals else None
        try:
            return self.wait_for(done, f"a final {context} status of "
                                 f"{sha[:12]}", timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}\nthe forge's status calls:\n"
                                 f"{self.calls_text()}") from None

    def check_statuses(self, d, kind, sha, job, passed):
        """sha's ssci statuses: pending, running, its verdict, each sent
        once, as kind's API takes them, pointing at job's page (the job
        page served, with the commit on it)."""
        calls = self.wait_final(kind, sha)
        states = [c["state"] for c in calls]
        verdict = PASS[kind] if passed else FAIL[kind]
        self.assertEqual(states, ["pending", RUNNING[kind], verdict],
                         f"statuses of {sha[:12]}:\n{self.calls_text()}")
        self.assertFalse((calls[0]["description"] or "").startswith(
            "running"), f"the queued status's description: {calls[0]}")
        if kind != "gitlab":
            self.assertTrue((calls[1]["description"] or "").startswith(
                "running"), f"the running status's description: {calls[1]}")
        target = f"{d.http_url}/jobs/{job}"
        for c in calls:
            self.assertEqual(c["method"], "POST")
            self.assertEqual(urllib.parse.urlsplit(c["path"]).path,
                             status_path(kind, sha))
            self.assertEqual(c["authorization"],
                             AUTH[kind].format(self.token))
            self.assertIsInstance(c["body"], dict, c["raw"])
            self.assertIn("name" if kind == "gitlab" else "context",
                          c["body"], c["body"])
            self.assertEqual(c["context"], "ssci", c["body"])
            self.assertEqual(c["target_url"], target, c["body"])
            self.assertIsInstance(c["description"], str, c["body"])
        page = get(target)
        self.assertEqual(page.status, 200, f"GET {target}")
        self.assertIn(sha, page.text(), f"GET {target}")
        return calls

    def wait_outbox_empty(self, d, timeout=DEADLINE):
        """Wait until d's outbox holds nothing (/metrics): every status
        and notification taken or dropped, so nothing more will come."""
        def empty():
            body = get(d.http_url + "/metrics").body.decode()
            m = re.search(r"^ssci_outbox_messages (\d+)$", body, re.M)
            return m is not None and m.group(1) == "0"
        self.wait_for(empty, "the outbox to be empty", timeout=timeout)

    def no_stray_calls(self):
        """Nothing but git GETs, status calls and /notify reached the
        forge (a status at a wrong path would show here)."""
        stray = [(o["method"], o["path"]) for o in self.forge.other]
        self.assertEqual(stray, [], "requests the forge does not serve")


class TestForgePush(ForgeTest):
    """A push hook of each forge: 3 commits queued oldest first, statuses
    pending, running, success; then a failing commit: failure."""

    def push_flow(self, kind):
        d = self.start_dispatcher(kind)
        repo = self.work_repo()
        commits = [self.commit(repo, f"change {i}") for i in range(3)]
        push = self.forge.push(repo, OWNER, NAME)
        self.assertEqual([c.id for c in push.commits], commits)
        ids = self.hook_ok(self.forge.send_push(d.http_url, kind, push,
                                                self.secret), commits)
        jobs = d.jobs()
        self.assertEqual([(j["id"], j["commit"], j["branch"], j["repo"])
                          for j in jobs],
                         [(i, c, "main", self.clone_url)
                          for i, c in zip(ids, commits)],
                         "exactly the pushed commits, oldest first")
        self.assertEqual(ids, sorted(ids))
        status, listed = http_json(d.http_url, "/api/jobs")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(j["commit"] for j in listed["jobs"]),
                         sorted(commits))
        self.runner(d, "r1")
        jobs = self.wait_jobs(d, 3)
        self.assertEqual([j["state"] for j in jobs], ["passed"] * 3, jobs)
        for job, commit in zip(ids, commits):
            self.check_statuses(d, kind, commit, job, passed=True)

        bad = self.commit(repo, "break the sum",
                          {"tests/test_example.py": FAILING_TEST})
        push = self.forge.push(repo, OWNER, NAME)
        (bad_job,) = self.hook_ok(self.forge.send_push(
            d.http_url, kind, push, self.secret), [bad])
        jobs = self.wait_jobs(d, 4)
        self.assertEqual(jobs[-1]["commit"], bad)
        self.assertEqual(jobs[-1]["state"], "failed", jobs[-1])
        self.check_statuses(d, kind, bad, bad_job, passed=False)
        # Once each: nothing more comes.
        self.wait_outbox_empty(d)
        for commit in commits + [bad]:
            self.assertEqual(len(self.forge.states(commit)), 3,
                             self.calls_text())
        self.assertEqual(len(self.forge.status_calls()), 12,
                         f"only ssci statuses, once each:\n"
                         f"{self.calls_text()}")
        self.no_stray_calls()

    def test_github_push(self):
        self.push_flow("github")

    def test_gitea_push(self):
        self.push_flow("gitea")

    def test_gitlab_push(self):
        self.push_flow("gitlab")

    def test_forgejo_headers(self):
        """A Forgejo sends X-Forgejo-* headers only: they are taken."""
        d = self.start_dispatcher("forgejo", name="fj")
        repo = self.work_repo()
        commit = self.commit(repo, "one")
        push = self.forge.push(repo, OWNER, NAME)
        (job,) = self.hook_ok(self.forge.send_push(
            d.http_url, "forgejo", push, self.secret), [commit])
        calls = self.wait_for(lambda: self.forge.status_calls(commit, "ssci",
                                                              True),
                              "the pending status")
        self.assertEqual(calls[0]["path"], status_path("gitea", commit))
        self.assertEqual(calls[0]["authorization"], f"token {self.token}")
        self.assertEqual(calls[0]["state"], "pending")
        self.assertEqual(calls[0]["target_url"], f"{d.http_url}/jobs/{job}")

    def test_forge_repo_lists(self):
        """No --forge-repo: no repository is built; '*': any one of the
        forge's."""
        d = self.start_dispatcher("github", name="none", repos=())
        repo = self.work_repo()
        self.commit(repo, "one")
        push = self.forge.push(repo, OWNER, NAME)
        reply = self.forge.send_push(d.http_url, "github", push,
                                     self.secret)
        self.assertEqual(reply.status, 403, reply)
        self.assertEqual(d.jobs(), [])
        d2 = self.dispatcher("any", http=True, args=self.forge_args(
            "github", name="any", repos=("*",)))
        other = self.make_repo("other")
        push2 = self.forge.push(other, "someone", "else")
        self.hook_ok(self.forge.send_push(d2.http_url, "github", push2,
                                          self.secret), [push2.after])
        self.hook_ok(self.forge.send_push(d2.http_url, "github", push,
                                          self.secret), [push.after])

    def test_two_forges_of_a_kind(self):
        """Two GitHubs: a hook is taken from the one whose secret signs
        it and whose URL holds the repository; its statuses go there."""
        other = ForgeStandin(os.path.join(self.tmp, "other"),
                             os.path.join(self.tmp, "other.log"))
        self.addCleanup(other.close)
        self.addCleanup(self.stop_programs)
        other_secret = "other-" + secrets.token_hex(8)
        d = self.start_dispatcher("github", name="a", extra=self.forge_args(
            "github", name="b", forge=other, secret=other_secret))
        repo = self.make_repo("work")
        other.push(repo, OWNER, NAME)
        commit = self.commit(repo, "for the other forge")
        push = other.push(repo, OWNER, NAME)
        reply = other.send_push(d.http_url, "github", push, self.secret)
        self.assertEqual(reply.status, 403, "signed by the first forge, "
                         f"a repository of the second: {reply}")
        self.assertEqual(d.jobs(), [])
        (job,) = self.hook_ok(other.send_push(d.http_url, "github", push,
                                              other_secret), [commit])
        self.assertEqual(d.jobs()[0]["repo"],
                         f"{other.url}/{OWNER}/{NAME}.git")
        calls = self.wait_for(lambda: other.status_calls(commit, "ssci",
                                                         True),
                              "the pending status at the second forge")
        self.assertEqual(calls[0]["target_url"], f"{d.http_url}/jobs/{job}")
        self.assertEqual(self.forge.status_calls(), [],
                         "the first forge got statuses of the second's")

    def test_tip_not_listed_is_queued_after_the_commits(self):
        """A push whose commits[] leaves out the tip (GitHub and GitLab
        cap the list): the listed commits, then the tip; GitLab's
        checkout_sha with no commits listed at all: the tip alone."""
        gl_secret = "lab-" + secrets.token_hex(8)
        d = self.start_dispatcher("github", extra=self.forge_args(
            "gitlab", secret=gl_secret, token=False))
        repo = self.work_repo()
        commits = [self.commit(repo, f"change {i}") for i in range(3)]
        push = self.forge.push(repo, OWNER, NAME)
        push.commits = push.commits[:2]
        self.hook_ok(self.forge.send_push(d.http_url, "github", push,
                                          self.secret), commits)
        self.assertEqual([j["commit"] for j in d.jobs()], commits)
        git(repo, "checkout", "-q", "-b", "other")
        tip = self.commit(repo, "on another branch")
        push = self.forge.push(repo, OWNER, NAME, "other")
        push.commits = []
        self.hook_ok(self.forge.send_push(d.http_url, "gitlab", push,
                                          gl_secret), [tip])
        self.assertEqual([(j["commit"], j["branch"]) for j in d.jobs()],
                         [(c, "main") for c in commits] + [(tip, "other")])

    def test_pipeline_jobs_get_contexts_of_their_own(self):
        """A commit with a .ssci.yml of two jobs: ssci for the pipeline,
        ssci/build and ssci/check for its jobs, each ending final, each
        pointing at its job."""
        d = self.start_dispatcher("github")
        self.runner(d, "r1")
        repo = self.work_repo()
        commit = self.commit(repo, "add a pipeline", {".ssci.yml": PIPELINE})
        push = self.forge.push(repo, OWNER, NAME)
        (pipeline,) = self.hook_ok(self.forge.send_push(
            d.http_url, "github", push, self.secret), [commit])
        jobs = self.wait_jobs(d, 2)
        by_name = {j["name"]: j for j in jobs}
        self.assertEqual(set(by_name), {"build", "check"}, jobs)
        self.assertEqual((by_name["build"]["state"],
                          by_name["check"]["state"]), ("passed", "failed"))
        ssci = self.wait_final("github", commit)
        self.assertEqual(ssci[-1]["state"], "failure", self.calls_text())
        self.assertEqual(ssci[-1]["target_url"],
                         f"{d.http_url}/jobs/{pipeline}")
        for name, verdict in (("build", "success"), ("check", "failure")):
            calls = self.wait_final("github", commit, f"ssci/{name}")
            self.assertEqual(calls[-1]["state"], verdict, self.calls_text())
            self.assertEqual([c["state"] for c in calls[:-1]],
                             ["pending"] * (len(calls) - 1),
                             self.calls_text())
            if name == "check":
                # (The first job ran before it was planned: it may have
                # had no pending of its own.)
                self.assertEqual(calls[0]["state"], "pending",
                                 self.calls_text())
            self.assertEqual(
                {c["target_url"] for c in calls},
                {f"{d.http_url}/jobs/{by_name[name]['id']}"})
        self.assertEqual({c["context"] for c in
                          self.forge.status_calls(commit)},
                         {"ssci", "ssci/build", "ssci/check"})


class TestForgePullRequests(ForgeTest):
    def test_github_pull_request(self):
        d = self.start_dispatcher("github")
        repo = self.work_repo()
        git(repo, "checkout", "-q", "-b", "spin")
        head = self.commit(repo, "spin faster")
        self.forge.push(repo, OWNER, NAME, "spin")
        pr = self.forge.pull_request(OWNER, NAME, 7, PR_TITLE, "spin",
                                     "main", body="Faster, please.")
        pr_url = f"{self.forge.url}/{OWNER}/{NAME}/pull/7"
        (job,) = self.hook_ok(self.forge.send_pull(
            d.http_url, "github", pr, "opened", self.secret), [head],
            event="pull_request")
        (j,) = d.jobs()
        self.assertEqual((j["id"], j["commit"], j["branch"], j["repo"]),
                         (job, head, "pr/7", self.clone_url))
        status, obj = http_json(d.http_url, f"/api/jobs/{job}")
        self.assertEqual(status, 200)
        self.assertEqual(obj.get("pull_request"),
                         {"title": PR_TITLE, "url": pr_url}, obj)
        status, listed = http_json(d.http_url, "/api/jobs")
        self.assertEqual([x.get("pull_request") for x in listed["jobs"]],
                         [{"title": PR_TITLE, "url": pr_url}])
        self.runner(d, "r1")
        self.assertEqual(self.wait_jobs(d, 1)[0]["state"], "passed")
        self.check_statuses(d, "github", head, job, passed=True)
        page = http(d.http_url, f"/jobs/{job}")
        self.assertEqual(page.status, 200)
        tree = parse_html(page.body)
        self.assertIn(PR_TITLE, tree.text(), "the title on the job page")
        self.assertNotIn("<fast>", page.text(), "the title is escaped")
        self.assertIn(pr_url, page.text(), "the pull request's URL")

        # New commits on the branch: synchronize builds the new head.
        head2 = self.commit(repo, "spin even faster")
        self.forge.push(repo, OWNER, NAME, "spin")
        pr2 = self.forge.pull_request(OWNER, NAME, 7, PR_TITLE, "spin",
                                      "main", before=head)
        (job2,) = self.hook_ok(self.forge.send_pull(
            d.http_url, "github", pr2, "synchronize", self.secret), [head2],
            event="pull_request")
        jobs = self.wait_jobs(d, 2)
        self.assertEqual([(j["commit"], j["branch"]) for j in jobs],
                         [(head, "pr/7"), (head2, "pr/7")])
        self.check_statuses(d, "github", head2, job2, passed=True)
        # Closing it, or labelling it, builds nothing.
        for action in ("closed", "labeled", "edited"):
            reply = self.forge.send_pull(d.http_url, "github", pr2, action,
                                         self.secret)
            self.assertEqual(reply.status, 200, (action, reply))
            self.assertIn("ignored", reply.json(), (action, reply))
            self.assertEqual(len(d.jobs()), 2, action)
        self.no_stray_calls()

    def test_gitea_and_gitlab_pull_requests(self):
        """Gitea's and GitLab's pull (merge) requests queue their head as
        pr/N with title and URL; statuses go to the forge the hook came
        from, with the --public-url; closing builds nothing.  (No
        runner: the jobs stay queued.)"""
        lab = ForgeStandin(os.path.join(self.tmp, "lab"),
                           os.path.join(self.tmp, "lab.log"))
        self.addCleanup(lab.close)
        self.addCleanup(self.stop_programs)
        public = "https://ci.example.org"
        lab_secret = "lab-secret-" + secrets.token_hex(8)
        d = self.start_dispatcher("gitea", extra=[
            *self.forge_args("gitlab", name="lab", forge=lab,
                             secret=lab_secret),
            "--public-url", public])
        cases = []
        for forge, kind, number, secret, pr_path in (
                (self.forge, "gitea", 3, self.secret, "pulls/3"),
                (lab, "gitlab", 5, lab_secret, "-/merge_requests/5")):
            repo = self.make_repo(f"work-{kind}")
            forge.push(repo, OWNER, NAME)
            git(repo, "checkout", "-q", "-b", "topic")
            head = self.commit(repo, f"topic for {kind}")
            forge.push(repo, OWNER, NAME, "topic")
            pr = forge.pull_request(OWNER, NAME, number, PR_TITLE, "topic",
                                    "main")
            opened = "opened" if kind == "gitea" else "open"
            before = [j["id"] for j in d.jobs()]
            (job,) = self.hook_ok(forge.send_pull(
                d.http_url, kind, pr, opened, secret), [head],
                event="pull_request")
            (j,) = [j for j in d.jobs() if j["id"] not in before]
            url = f"{forge.url}/{OWNER}/{NAME}/{pr_path}"
            self.assertEqual((j["id"], j["commit"], j["branch"], j["repo"]),
                             (job, head, f"pr/{number}",
                              f"{forge.url}/{OWNER}/{NAME}.git"))
            status, obj = http_json(d.http_url, f"/api/jobs/{job}")
            self.assertEqual(obj.get("pull_request"),
                             {"title": PR_TITLE, "url": url}, obj)
            # A new head: synchronized (Gitea), update (GitLab).
            newer = self.commit(repo, f"more for {kind}")
            forge.push(repo, OWNER, NAME, "topic")
            pr2 = forge.pull_request(OWNER, NAME, number, PR_TITLE, "topic",
                                     "main", before=head)
            update = "synchronized" if kind == "gitea" else "update"
            (job2,) = self.hook_ok(forge.send_pull(
                d.http_url, kind, pr2, update, secret), [newer],
                event="pull_request")
            self.assertEqual([(j["commit"], j["branch"]) for j in d.jobs()
                              if j["id"] not in before],
                             [(head, f"pr/{number}"),
                              (newer, f"pr/{number}")])
            closed = "closed" if kind == "gitea" else "close"
            reply = forge.send_pull(d.http_url, kind, pr2, closed, secret)
            self.assertEqual(reply.status, 200, reply)
            self.assertIn("ignored", reply.json(), reply)
            cases.append((forge, kind, head, job))
        self.assertEqual(len(d.jobs()), 4)
        for forge, kind, head, job in cases:
            calls = self.wait_for(lambda: forge.status_calls(head, "ssci",
                                                             True),
                                  f"the pending status at {kind}")
            c = calls[0]
            self.assertEqual((c["forge"], c["state"], c["target_url"],
                              c["authorization"]),
                             (kind, "pending", f"{public}/jobs/{job}",
                              AUTH[kind].format(self.token)), c)
            self.assertEqual(urllib.parse.urlsplit(c["path"]).path,
                             status_path(kind, head))
        self.assertEqual(self.forge.status_calls(cases[1][2]), [],
                         "GitLab's commit got no status at the Gitea")
        self.assertEqual(lab.status_calls(cases[0][2]), [],
                         "Gitea's commit got no status at the GitLab")


class TestForgeRefusals(ForgeTest):
    def test_refusals_queue_nothing(self):
        """Signature wrong or missing: 401; repository not allowed: 403;
        a body over 25 MiB: 413; broken JSON or missing fields, validly
        signed: 400; ping, tags, deleted branches, other events: 200
        ignored; a redelivery: 200 duplicate.  None queues a job."""
        gitea_secret = "gitea-" + secrets.token_hex(8)
        lab_secret = "lab-" + secrets.token_hex(8)
        d = self.start_dispatcher("github", extra=[
            *self.forge_args("gitea", secret=gitea_secret, token=False),
            *self.forge_args("gitlab", secret=lab_secret, token=False)])
        repo = self.work_repo()
        commit = self.commit(repo, "one")
        push = self.forge.push(repo, OWNER, NAME)
        payload = github_payloads.push(push)
        body = github_payloads.encode(payload)
        url = d.http_url

        def gh(what, status, body=body, **kw):
            event = kw.pop("event", "push")
            reply = self.forge.deliver(url, "github", event, payload,
                                       self.secret, body=body, **kw)
            self.assertEqual(reply.status, status, f"{what}: {reply}")
            self.assert_nothing_queued(d, [], what)
            return reply

        def signed(data):
            return {"signature": "sha256=" + hmac_hex(self.secret, data)}

        # The signature.
        gh("a signature made with another secret", 401,
           signature="sha256=" + hmac_hex("not-the-secret", body))
        gh("a signature of another body", 401, body=body[:-1] + b" }",
           signature="sha256=" + hmac_hex(self.secret, body))
        gh("no signature", 401, unsigned=True)
        gh("only the SHA-1 signature", 401,
           headers={"X-Hub-Signature-256": None})
        gh("a signature that is not hex", 401, signature="sha256=zz" +
           hmac_hex(self.secret, body)[2:])
        gh("the signature without its sha256= prefix", 401,
           signature=hmac_hex(self.secret, body))
        gh("an empty signature", 401, signature="sha256=")
        gh("Gitea's secret on the GitHub hook", 401,
           signature="sha256=" + hmac_hex(gitea_secret, body))
        for kind, secret in (("gitea", gitea_secret),
                             ("gitlab", lab_secret)):
            theirs = self.forge.encode(kind, (
                gitea_payloads.push if kind == "gitea"
                else gitlab_payloads.push)(push))
            for what, kw in (("a wrong signature", {"signature": "0" * 64}),
                             ("no signature", {"unsigned": True}),
                             ("GitHub's secret", {"signature": self.secret
                                                  if kind == "gitlab" else
                                                  hmac_hex(self.secret,
                                                           theirs)})):
                reply = self.forge.send_push(url, kind, push, secret, **kw)
                self.assertEqual(reply.status, 401,
                                 f"{kind}, {what}: {reply}")
                self.assert_nothing_queued(d, [], f"{kind}, {what}")

        # The repository.
        other_repo = self.make_repo("other")
        other = self.forge.push(other_repo, OWNER, "other")
        reply = self.forge.send_push(url, "github", other, self.secret)
        self.assertEqual(reply.status, 403, f"acme/other: {reply}")
        self.assert_nothing_queued(d, [], "a repository not listed")
        for clone in ("http://127.0.0.2:1/acme/widget.git",
                      f"{self.forge.url}0/acme/widget.git",
                      f"https://{self.forge.url[7:]}/acme/widget.git"):
            moved = json.loads(body)
            moved["repository"]["clone_url"] = clone
            data = github_payloads.encode(moved)
            gh(f"clone URL {clone}", 403, body=data, **signed(data))
        moved = json.loads(body)
        moved["repository"]["clone_url"] = \
            f"{self.forge.url}/acme/widget.git/../../evil/x.git"
        data = github_payloads.encode(moved)
        reply = self.forge.deliver(url, "github", "push", body=data,
                                   secret=self.secret, **signed(data))
        self.assertIn(reply.status, (400, 403), reply)
        self.assert_nothing_queued(d, [], "a clone URL with ..")

        # The body.
        big = json.loads(body)
        big["padding"] = "x" * (30 << 20)
        data = github_payloads.encode(big)
        gh("a 30 MiB body", 413, body=data, **signed(data))
        for what, data in (
                ("broken JSON", body[:len(body) // 2]),
                ("JSON that is not an object", b"[1, 2, 3]"),
                ("no repository", github_payloads.encode(
                    {k: v for k, v in payload.items()
                     if k != "repository"})),
                ("no commits nor after", github_payloads.encode(
                    {k: v for k, v in payload.items()
                     if k not in ("commits", "after", "head_commit")})),
                ("commits not a list", github_payloads.encode(
                    {**payload, "commits": "many"})),
                ("a commit id that is not one", github_payloads.encode(
                    {**payload, "after": "../../x", "head_commit": None,
                     "commits": [{**payload["commits"][0],
                                  "id": "../../x"}]})),
                ("a ref that is not a string", github_payloads.encode(
                    {**payload, "ref": 7})),
                ("an empty body", b"")):
            gh(what, 400, body=data, **signed(data))

        # Hooks that build nothing.
        reply = self.forge.send_ping(url, OWNER, NAME, self.secret)
        self.assertEqual(reply.status, 200, reply)
        self.assert_nothing_queued(d, [], "a ping")
        tag = json.loads(body)
        tag.update(ref="refs/tags/v1.0", base_ref="refs/heads/main")
        data = github_payloads.encode(tag)
        reply = gh("a tag", 200, body=data, **signed(data))
        self.assertIn("ignored", reply.json())
        git(repo, "branch", "doomed")
        self.forge.push(repo, OWNER, NAME, "doomed")
        gone = self.forge.delete_branch(OWNER, NAME, "doomed")
        reply = self.forge.send_push(url, "github", gone, self.secret)
        self.assertEqual(reply.status, 200, reply)
        self.assertIn("ignored", reply.json(), reply)
        self.assert_nothing_queued(d, [], "a deleted branch")

        # Webhook bodies up to 25 MiB are taken.
        fat = json.loads(body)
        fat["padding"] = "x" * (20 << 20)
        data = github_payloads.encode(fat)
        delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
        reply = self.forge.deliver(url, "github", "push", body=data,
                                   secret=self.secret, delivery=delivery,
                                   **signed(data))
        (job,) = self.hook_ok(reply, [commit])
        # The same delivery again: a duplicate, nothing more queued.
        reply = self.forge.deliver(url, "github", "push", body=data,
                                   secret=self.secret, delivery=delivery,
                                   **signed(data))
        self.assertEqual(reply.status, 200, reply)
        self.assertIs(reply.json().get("duplicate"), True, reply)
        self.assert_nothing_queued(d, [job], "a redelivery")
        # The same push in a new delivery: the commit's job, existing.
        reply = self.forge.send_push(url, "github", push, self.secret)
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual([(q["commit"], q["job"], q["existing"])
                          for q in reply.json()["queued"]],
                         [(commit, job, True)], reply)
        self.assert_nothing_queued(d, [job], "the same push again")
        # An event that builds nothing, validly signed.
        for event in ("issues", "star"):
            try:
                reply = self.forge.deliver(url, "github", event, body=body,
                                           secret=self.secret)
            except (OSError, http_client.HTTPException) as e:
                self.fail_with_logs(f"a signed {event} event: {e!r}; the "
                                    f"dispatcher's exit status: "
                                    f"{d.popen.poll()}")
            self.assertEqual(reply.status, 200, f"{event}: {reply}")
            self.assertIn("ignored", reply.json(), f"{event}: {reply}")
            self.assert_nothing_queued(d, [job], f"a {event} event")
        self.assertTrue(d.alive(), d.stderr())

    def test_readable_secret_or_token_file_is_refused(self):
        """A secret or token file others may read: the dispatcher does
        not start; nor with a forge of an unknown kind."""
        good = self.private_file("good", "s3cret")
        loose = self.private_file("loose", "s3cret", mode=0o644)
        group = self.private_file("group", "s3cret", mode=0o640)
        for what, spec in (
                ("a secret file others read",
                 f"gh=github,{self.forge.url},{loose},{good}"),
                ("a secret file the group reads",
                 f"gh=github,{self.forge.url},{group},{good}"),
                ("a token file others read",
                 f"gh=github,{self.forge.url},{good},{loose}"),
                ("an unknown kind",
                 f"bb=bitbucket,{self.forge.url},{good},{good}")):
            state = os.path.join(self.tmp, f"state-{len(what)}")
            try:
                proc = self.ssci("dispatcher", "--port", "0", "--host",
                                 "127.0.0.1", "--http", "off",
                                 "--state-dir", state, "--results-dir",
                                 state + "-results", "--forge", spec,
                                 "--forge-repo", "acme/widget", timeout=15)
            except subprocess.TimeoutExpired:
                self.fail(f"{what}: the dispatcher started")
            self.assertNotEqual(proc.returncode, 0, f"{what}: {proc}")
            self.assertNotIn("listening on", proc.stdout, what)
            self.assertNotEqual(proc.stderr.strip(), "", what)
        self.assertEqual(stat.S_IMODE(os.stat(good).st_mode), 0o600)

    def test_libcurl_only_where_it_sends(self):
        """With an unusable libcurl.so.4 first on the library path, a
        dispatcher with a forge's token or a --notify-url does not start
        and says why; one whose forge has no token and that only mails
        starts, and maps no libcurl."""
        fake = os.path.join(self.tmp, "fakelib")
        os.mkdir(fake)
        open(os.path.join(fake, "libcurl.so.4"), "w").close()
        env = dict(os.environ, LD_LIBRARY_PATH=fake)
        for what, args in (
                ("a forge with a token", self.forge_args("github")),
                ("a --notify-url", ["--notify-url", f"{self.forge.url}/n"])):
            state = os.path.join(self.tmp, f"state-{len(what)}")
            try:
                proc = subprocess.run(
                    [SSCI, "dispatcher", "--port", "0", "--host",
                     "127.0.0.1", "--http", "127.0.0.1:0", "--state-dir",
                     state, "--results-dir", state + "-results", *args],
                    env=env, text=True, stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    timeout=15)
            except subprocess.TimeoutExpired:
                self.fail(f"{what}: the dispatcher started")
            self.assertNotEqual(proc.returncode, 0, f"{what}: {proc}")
            self.assertNotIn("listening on", proc.stdout, what)
            self.assertIn("unable to load 'libcurl.so.4': ", proc.stderr,
                          what)
            self.assertIn("not starting", proc.stderr, what)
        d = self.dispatcher(http=True, wrap=("env", f"LD_LIBRARY_PATH={fake}"),
                            args=[*self.forge_args("github", token=False),
                                  "--notify-email", "ci@example.org"])
        with open(f"/proc/{d.pid}/maps") as f:
            self.assertNotIn("libcurl", f.read())
        self.assertTrue(d.alive(), d.stderr())


class TestForgeOutage(ForgeTest):
    def test_503_for_a_minute_then_every_status_once_in_order(self):
        """The forge answers 503 for OUTAGE seconds; meanwhile 5 commits
        are built and the dispatcher is killed -9 and restarted on its
        state.  Then the forge answers 201: every status arrives, once,
        in order per (commit, context), none before the forge is back,
        and the forge was not hammered meanwhile."""
        self.forge.fail_until(OUTAGE)
        outage_end = time.monotonic() + OUTAGE
        d = self.start_dispatcher("github", extra=FAST)
        forge_args = d.argv[d.argv.index("--forge"):]
        self.runner(d, "r1")
        repo = self.work_repo()
        first = [self.commit(repo, f"before the kill {i}") for i in range(3)]
        push = self.forge.push(repo, OWNER, NAME)
        ids = self.hook_ok(self.forge.send_push(d.http_url, "github", push,
                                                self.secret), first)
        self.wait_jobs(d, 3)
        self.wait_for(lambda: self.forge.status_calls(accepted=False),
                      "the dispatcher to try the forge")
        d.kill_group()
        d = self.restart(d, forge_args)
        self.assertEqual(d.http_url.rsplit(":", 1)[1],
                         d.argv[-1].rsplit(":", 1)[1])
        after = [self.commit(repo, "after the kill"),
                 self.commit(repo, "and broken",
                             {"tests/test_example.py": FAILING_TEST})]
        push = self.forge.push(repo, OWNER, NAME)
        ids += self.hook_ok(self.forge.send_push(d.http_url, "github",
                                                 push, self.secret), after)
        jobs = self.wait_jobs(d, 5)
        self.assertEqual([j["state"] for j in jobs],
                         ["passed"] * 4 + ["failed"], jobs)
        left = outage_end - time.monotonic()
        self.assertGreater(left, 5, "the builds took the whole outage: "
                           "make OUTAGE longer")
        self.assertEqual(self.forge.status_calls(accepted=True), [],
                         "a status accepted during the outage")
        # Back: the backoff is at most 30 s.
        for job, commit in zip(ids, first + after):
            self.wait_final("github", commit, timeout=left + 45)
        self.wait_outbox_empty(d)
        refused = self.forge.status_calls(accepted=False)
        accepted = self.forge.status_calls(accepted=True)
        report = self.calls_text()
        for job, commit, passed in zip(ids, first + after,
                                       [True] * 4 + [False]):
            calls = self.check_statuses(d, "github", commit, job, passed)
            for c in calls:
                self.assertGreaterEqual(c["t"], outage_end - 0.5, report)
        self.assertEqual(len(accepted), 15, f"5 x 3 statuses:\n{report}")
        self.assertEqual({c["answer"] for c in refused}, {503}, report)
        self.assertLess(len(refused), 40, "the forge was hammered during "
                        f"its outage (backoff 1 s doubling to 30 s):\n"
                        f"{report}")
        self.assertLess(min(c["t"] for c in accepted) - outage_end, 35,
                        f"the first status after the outage came late:\n"
                        f"{report}")
        self.no_stray_calls()


    def test_moved_forge_gets_no_message_meant_for_the_old_address(self):
        """Statuses kept for a forge whose --forge URL then changes (the
        same name) are dropped with a log line: the token goes to the
        forge's own API only, never to an address the store kept."""
        self.forge.fail_until(300)
        d = self.start_dispatcher("github")
        repo = self.work_repo()
        commit = self.commit(repo, "kept while the forge is down")
        push = self.forge.push(repo, OWNER, NAME)
        self.hook_ok(self.forge.send_push(d.http_url, "github", push,
                                          self.secret), [commit])
        self.wait_for(lambda: self.forge.status_calls(accepted=False),
                      "the dispatcher to try the forge")
        d.stop()
        tried = len(self.forge.status_calls())
        moved = ForgeStandin(os.path.join(self.tmp, "moved"))
        self.addCleanup(moved.close)
        d = self.restart(d, self.forge_args("github", forge=moved))
        self.wait_for(lambda: "is not the forge's API any more" in d.stderr(),
                      "the kept status to be dropped")
        self.wait_outbox_empty(d)
        self.assertEqual(moved.status_calls(), [],
                         "the moved forge got a message meant for the old")
        self.assertEqual(len(self.forge.status_calls()), tried,
                         "the old address was tried again with the token")
        self.assertNotIn(self.token, d.stderr())


class TestSlowForge(ForgeTest):
    def test_slow_forge_stalls_nothing(self):
        """A forge that takes a second to answer each status: hooks,
        pages and the API still answer at once, the runner's jobs end,
        and the statuses all arrive, in order."""
        self.forge.set_delay(1.0)
        d = self.start_dispatcher("github")
        self.runner(d, "r1")
        repo = self.work_repo()
        commits = [self.commit(repo, f"slow {i}") for i in range(3)]
        push = self.forge.push(repo, OWNER, NAME)
        ids = self.hook_ok(self.forge.send_push(d.http_url, "github", push,
                                                self.secret), commits)
        self.wait_for(lambda: self.forge.status_calls(), "a status call")
        more = self.commit(repo, "while the forge is slow")
        push = self.forge.push(repo, OWNER, NAME)
        t0 = time.monotonic()
        ids += self.hook_ok(self.forge.send_push(d.http_url, "github", push,
                                                 self.secret), [more])
        for path in ("/api/status", "/", f"/jobs/{ids[0]}"):
            self.assertEqual(http(d.http_url, path).status, 200, path)
        self.assertLess(time.monotonic() - t0, 0.9,
                        "a hook and 3 pages waited for the forge")
        jobs = self.wait_jobs(d, 4)
        self.assertEqual([j["state"] for j in jobs], ["passed"] * 4)
        for job, commit in zip(ids, commits + [more]):
            self.check_statuses(d, "github", commit, job, passed=True)


SENDMAIL = """#!/bin/sh
{{
  printf 'ARGV:'
  for a in "$@"; do printf ' [%s]' "$a"; done
  printf '\\n'
  cat
  printf '\\n--END-OF-MESSAGE--\\n'
}} >> '{mailbox}'
"""


class TestForgeNotify(ForgeTest):
    def sendmail(self):
        """A sendmail that appends what it is given to a mailbox; (its
        folder, the mailbox)."""
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        mailbox = os.path.join(self.tmp, "mailbox")
        path = os.path.join(bindir, "sendmail")
        with open(path, "w") as f:
            f.write(SENDMAIL.format(mailbox=mailbox))
        os.chmod(path, 0o755)
        return bindir, mailbox

    def mails(self, mailbox):
        """[(argv, message)] of the messages in the mailbox that the
        stand-in sendmail has finished writing (one may be half there)."""
        try:
            with open(mailbox) as f:
                text = f.read()
        except FileNotFoundError:
            return []
        found = []
        marker = "\n--END-OF-MESSAGE--\n"
        complete = text[:text.rfind(marker)] if marker in text else ""
        for chunk in complete.split(marker):
            if not chunk.strip():
                continue
            argv, _, message = chunk.partition("\n")
            found.append((argv, email.parser.Parser().parsestr(message)))
        return found

    def build_one(self, d, repo, message, tests, count):
        commit = self.commit(repo, message,
                             {"tests/test_example.py": tests,
                              f"step-{count}.txt": message})
        push = self.forge.push(repo, OWNER, NAME)
        (job,) = self.hook_ok(self.forge.send_push(
            d.http_url, "github", push, self.secret), [commit])
        self.wait_jobs(d, count)
        return commit, job

    def check_note(self, d, note, event, commit, job, state):
        self.assertTrue((note["content_type"] or "").startswith(
            "application/json"), note)
        b = note["body"]
        self.assertIsInstance(b, dict, note["raw"])
        self.assertEqual(
            (b.get("event"), b.get("repo"), b.get("branch"), b.get("commit"),
             b.get("pipeline"), b.get("state"), b.get("url")),
            (event, self.clone_url, "main", commit, job, state,
             f"{d.http_url}/jobs/{job}"), b)
        self.assertIsInstance(b.get("text"), str, b)
        self.assertNotEqual(b["text"].strip(), "", b)
        self.assertEqual((b["job"]["id"], b["job"]["commit"]), (job, commit),
                         b)

    def test_broken_and_fixed_notify_once_each(self):
        """Commits pass, fail, pass, one at a time: one "broken" and one
        "fixed", by webhook and by mail, nothing for the first pass."""
        bindir, mailbox = self.sendmail()
        d = self.start_dispatcher("github", path_first=bindir, extra=[
            "--notify-url", f"{self.forge.url}/notify",
            "--notify-email", "dev@example.org"])
        self.runner(d, "r1")
        repo = self.work_repo()
        self.build_one(d, repo, "still fine", PASSING_TEST, 1)
        bad, bad_job = self.build_one(d, repo, "break it", FAILING_TEST, 2)
        self.wait_for(self.forge.notifications, "the broken notification")
        good, good_job = self.build_one(d, repo, "fix it", PASSING_TEST, 3)
        self.wait_for(lambda: len(self.forge.notifications()) >= 2,
                      "the fixed notification")
        self.wait_for(lambda: len(self.mails(mailbox)) >= 2, "two mails")
        self.wait_outbox_empty(d)
        notes = self.forge.notifications()
        self.assertEqual([n["body"].get("event") for n in notes],
                         ["broken", "fixed"], notes)
        self.check_note(d, notes[0], "broken", bad, bad_job, "failed")
        self.check_note(d, notes[1], "fixed", good, good_job, "passed")
        mails = self.mails(mailbox)
        self.assertEqual(len(mails), 2, mails)
        for (argv, msg), event, commit, job in (
                (mails[0], "broken", bad, bad_job),
                (mails[1], "fixed", good, good_job)):
            self.assertIn("[-t]", argv.split(), argv)
            self.assertEqual(msg["To"], "dev@example.org", msg.as_string())
            subject = msg["Subject"] or ""
            self.assertRegex(subject, rf"^\[ssci\] {event}: main of \S*"
                             rf"{OWNER}/{NAME}\S* \({commit[:7]}\)$")
            body = msg.get_payload()
            self.assertIn(f"{d.http_url}/jobs/{job}", body, msg.as_string())

    def test_hostile_branch_and_subject_are_told_whole(self):
        """A branch of 200 '&' and a subject of 540 '&' and 180 'é' (text
        Slack escapes to over 4,000 bytes, which a fixed buffer cut, at
        times inside a character): the notification arrives whole,
        escaped for Slack, and the mail's subject is folded encoded
        words."""
        bindir, mailbox = self.sendmail()
        d = self.dispatcher(args=[
            "--local-repos", "--notify-url", f"{self.forge.url}/notify",
            "--notify-email", "dev@example.org"], http=True,
            wrap=("env", f"PATH={bindir}{os.pathsep}{os.environ['PATH']}"))
        self.runner(d, "r1")
        repo = self.make_repo("amp")
        branch = "&" * 200
        git(repo, "checkout", "-q", "-b", branch)
        subject = "&&&é" * 180
        commit = self.commit(repo, subject,
                             {"tests/test_example.py": FAILING_TEST})
        proc = self.notify(d, repo, commit)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_for(self.forge.notifications, "the broken notification")
        self.wait_for(lambda: self.mails(mailbox), "the mail")
        (note,) = self.forge.notifications()
        b = note["body"]
        self.assertEqual((b["event"], b["branch"], b["commit"]),
                         ("broken", branch, commit), b)
        self.assertIn("&amp;" * 200 + " of ", b["text"])
        self.assertIn('"' + "&amp;&amp;&amp;é" * 180 + '"', b["text"])
        ((argv, msg),) = self.mails(mailbox)
        decoded = str(email.header.make_header(email.header.decode_header(
            msg["Subject"])))
        self.assertTrue(decoded.startswith("[ssci] broken: " + branch),
                        decoded)
        for line in msg.as_string().split("\n"):
            self.assertLess(len(line), 998)
        self.assertNotIn("jansson", d.stderr())

    def test_notify_all_reports_every_failure(self):
        """With --notify-all: fail (no pipeline before: broken), fail
        again (failed), pass (fixed); the first while the receiver
        answers 503 for a while: each arrives once, in order."""
        d = self.start_dispatcher("github", extra=[
            "--notify-url", f"{self.forge.url}/notify", "--notify-all"])
        self.forge.fail_notify_until(4)
        self.runner(d, "r1")
        repo = self.work_repo()
        made = [self.build_one(d, repo, "broken from the start",
                               FAILING_TEST, 1)]
        self.wait_for(lambda: len(self.forge.notifications()) >= 1,
                      "the broken notification")
        made.append(self.build_one(d, repo, "still broken", FAILING_TEST, 2))
        self.wait_for(lambda: len(self.forge.notifications()) >= 2,
                      "the failed notification")
        made.append(self.build_one(d, repo, "fixed", PASSING_TEST, 3))
        self.wait_for(lambda: len(self.forge.notifications()) >= 3,
                      "the fixed notification")
        self.wait_outbox_empty(d)
        notes = self.forge.notifications()
        self.assertEqual(len(notes), 3, notes)
        refused = self.forge.notifications(accepted=False)
        self.assertNotEqual(refused, [], "the receiver refused some")
        self.assertEqual({n["raw"] for n in refused}, {notes[0]["raw"]},
                         "only the first was refused, and sent again")
        for note, event, state, (commit, job) in zip(
                notes, ("broken", "failed", "fixed"),
                ("failed", "failed", "passed"), made):
            self.check_note(d, note, event, commit, job, state)


class TestForgeSecrecy(ForgeTest):
    def test_token_in_no_log_page_or_api_answer(self):
        """The token goes to the forge, and nowhere else: not in the
        logs of a verbose dispatcher whose forge dropped a status (422)
        and refused one (503), nor in any page, API answer, event or
        results file."""
        d = self.start_dispatcher("github", extra=["--verbose"])
        events = EventStream(d.http_url)
        self.addCleanup(events.close)
        self.forge.fail_next(422, 503)
        runner = self.runner(d, "r1")
        repo = self.work_repo()
        good = self.commit(repo, "good")
        bad = self.commit(repo, "bad", {"tests/test_example.py":
                                        FAILING_TEST})
        push = self.forge.push(repo, OWNER, NAME)
        ids = self.hook_ok(self.forge.send_push(d.http_url, "github", push,
                                                self.secret), [good, bad])
        jobs = self.wait_jobs(d, 2)
        for commit in (good, bad):
            self.wait_final("github", commit)
        calls = self.forge.status_calls()
        self.assertEqual(calls[0]["answer"], 422, self.calls_text())
        self.assertEqual(calls[1]["answer"], 503, self.calls_text())
        self.assertIn(f"Bearer {self.token}",
                      {c["authorization"] for c in calls},
                      "the token went to the forge")
        dropped = calls[0]
        self.assertNotIn(dropped["raw"], [c["raw"] for c in calls[1:]
                                          if c["answer"] == 201],
                         f"the status answered 422 was sent again:\n"
                         f"{self.calls_text()}")
        self.assertIn(calls[1]["raw"], [c["raw"] for c in calls[2:]
                                        if c["answer"] == 201],
                      f"the status answered 503 was not sent again:\n"
                      f"{self.calls_text()}")
        self.wait_for(lambda: "422" in d.stderr() + d.stdout(),
                      "a log line for the dropped status")

        texts = {"dispatcher stdout": d.stdout(),
                 "dispatcher stderr": d.stderr(),
                 "runner stdout": runner.stdout(),
                 "runner stderr": runner.stderr()}
        repo_q = quote_path(self.clone_url)
        pages = ["/", "/flaky", "/metrics", "/login",
                 f"/history/{repo_q}/main", "/history/1/main",
                 f"/badge/{repo_q}/main.svg",
                 "/api/jobs", "/api/status", "/api/runners", "/api/queue",
                 "/api/flaky", f"/api/quarantine?repo={repo_q}",
                 f"/api/jobs?repo={repo_q}",
                 f"/api/tests?repo={repo_q}&branch=main"
                 "&name=tests.test_example.TestPass.test_one"]
        for j in jobs:
            pages += [f"/jobs/{j['id']}", f"/pipelines/{j['pipeline']}",
                      f"/commits/{j['commit']}", f"/api/jobs/{j['id']}",
                      f"/api/jobs/{j['id']}/log",
                      f"/api/jobs/{j['id']}/tests",
                      f"/api/pipelines/{j['pipeline']}"]
        for path in pages:
            reply = http(d.http_url, path)
            self.assertNotEqual(reply.status, 500, path)
            texts[f"GET {path} ({reply.status})"] = \
                reply.text() + json.dumps(reply.headers)
        self.assertGreater(len(events.events), 0, "events were read")
        texts["/api/events"] = json.dumps(events.events)
        for commit in (good, bad):
            texts[f"results file {commit}"] = d.result(commit) or ""
        for name, text in texts.items():
            for what, value in (("the token", self.token),
                                ("the token's secret part",
                                 self.token[len("ssci-forge-token-"):]),
                                ("the webhook secret", self.secret)):
                self.assertNotIn(value, text, f"{what} in {name}")
        self.assertEqual([j["id"] for j in jobs], ids)
        self.assertTrue(all(j["state"] in FINAL_STATES for j in jobs))
