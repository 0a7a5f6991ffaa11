# SPDX-License-Identifier: MIT
"""Tokens and limits (issue 6): a runner, observer, notify or client
without the dispatcher's token, or with a wrong one, is refused and
changes nothing, while with the right one the system works end to end; a
client token cannot register a runner when runners have their own; HTTP
writes (and, with --http-auth, reads) need the bearer token; an address
that keeps sending wrong tokens is slowed down; and the connection, queue
and HTTP rate limits refuse what is over them without the dispatcher
ever crashing."""
import os
import re
import subprocess
import time

from harness import SSCI, git, hello, http, http_json
from security_util import RUNNER_TOKEN, TOKEN, WRONG, SecurityTest


def no_token_env():
    """The test's environment without SSCI_TOKEN."""
    return {k: v for k, v in os.environ.items() if k != "SSCI_TOKEN"}


def with_token_env(token):
    return dict(no_token_env(), SSCI_TOKEN=token)


class AuthTest(SecurityTest):
    def setUp(self):
        super().setUp()
        self.tok = self.token_file("token", TOKEN)
        self.bad = self.token_file("wrong-token", WRONG)

    def assert_untouched(self, d):
        """No job, no result, no runner: in the jobs the dispatcher lists,
        the results folder, the log and its status.  (A runner is
        recorded in the store when it registers, which the log says.)"""
        self.assertEqual(d.jobs(), [], "a refused peer queued a job")
        results = d.results_dir
        self.assertEqual(os.listdir(results) if os.path.isdir(results)
                         else [], [], "a refused peer wrote a result")
        self.assertEqual(self.registered_runners(d), [],
                         "a refused runner was registered")
        self.wait_not_slowed(d)
        st = self.assert_alive(d, "--token-file", self.tok)
        self.assertEqual((st["runners"], st["queued"], st["recent"]),
                         ([], 0, []), st)
        if d.http_url:
            status, body = http_json(d.http_url, "/api/runners")
            self.assertEqual((status, body["runners"]), (200, []), body)

    def refused_runner(self, d, name, expect, args=(), env=None):
        """A runner that must be refused: it exits without registering and
        says why."""
        self.wait_not_slowed(d)
        p = self.start_runner(d, name, args=args,
                              env=env if env is not None else no_token_env())
        self.wait_exit(p)
        self.assertNotIn("registered with", p.stderr())
        self.assertIn(f"refused us: {expect}", p.stderr())
        return p

    def test_without_or_with_wrong_token_refused_then_right_one_works(self):
        repo = self.make_repo("repo")
        obs = self.clone(repo, "clone-obs")
        run = self.clone(repo, "clone-run")
        d = self.dispatcher(args=["--token-file", self.tok], http=True)
        first = self.commit(repo, "first", {"first": "1"})
        git(obs, "pull", "-q")

        # Runners: no token, a wrong token file, a wrong SSCI_TOKEN.
        self.refused_runner(d, "r-none", "no token for role runner")
        self.refused_runner(d, "r-file", "wrong token for role runner",
                            args=["--token-file", self.bad])
        self.refused_runner(d, "r-env", "wrong token for role runner",
                            env=with_token_env(WRONG))
        self.assertRegex(d.stderr(), r"refused runner hello from "
                         r"127\.0\.0\.1:\d+: no token")
        self.assertRegex(d.stderr(), r"refused runner hello from "
                         r"127\.0\.0\.1:\d+: wrong token")

        # Observers: they would dispatch the clone's tip at once.
        for name, args, env, expect in (
                ("obs-none", [], no_token_env(), "no token"),
                ("obs-file", ["--token-file", self.bad], no_token_env(),
                 "wrong token"),
                ("obs-env", [], with_token_env(WRONG), "wrong token")):
            self.wait_not_slowed(d)
            p = self.start(name, "observer", "--dispatcher-server",
                           d.address, "--interval", "1", *args, obs,
                           env=env)
            self.wait_exit(p)
            self.assertIn(f"refused us: {expect} for role observer",
                          p.stderr())

        # notify and the client commands exit non-zero, saying why.
        for args, env, expect in (([], no_token_env(), "no token"),
                                  (["--token-file", self.bad],
                                   no_token_env(), "wrong token"),
                                  ([], with_token_env(WRONG),
                                   "wrong token")):
            self.wait_not_slowed(d)
            proc = self.run_env(["notify", "--dispatcher-server", d.address,
                                 *args, first], env, cwd=repo)
            self.assertNotEqual(proc.returncode, 0, proc.stderr)
            self.assertIn(f"refused us: {expect}", proc.stderr)
            for cmd in (["status"], ["jobs"], ["cancel", "1"],
                        ["retry", "1"], ["log", "1"]):
                self.wait_not_slowed(d)
                proc = self.run_env([cmd[0], "--dispatcher-server",
                                     d.address, *args, *cmd[1:]], env)
                self.assertNotEqual(proc.returncode, 0,
                                    (cmd, proc.stdout, proc.stderr))
                self.assertIn(f"refused us: {expect}", proc.stderr, cmd)

        # A raw peer: an error reply, then the connection is closed, and
        # what it sends after its refused hello is not looked at.
        for role in ("runner", "observer", "client"):
            for token in (None, WRONG, ""):
                self.wait_not_slowed(d)
                c = self.raw(d)
                reply = c.request(hello(role, token))
                self.assertEqual(reply, {
                    "type": "error", "code": "bad_token", "message":
                    f"{'no' if token is None else 'wrong'} token for role "
                    f"{role}"})
                try:
                    c.send({"type": "register", "name": "sneaky",
                            "slots": 1})
                    c.send({"type": "dispatch", "repo": repo,
                            "commit": first, "branch": "main"})
                except OSError:
                    pass
                self.assertTrue(c.closed(), f"{role} {token!r} not closed")
        self.wait_not_slowed(d)
        c = self.raw(d)
        self.assertEqual(c.request(hello("runner", WRONG)),
                         {"type": "error", "code": "bad_token",
                          "message": "wrong token for role runner"})
        self.wait_not_slowed(d)
        c = self.raw(d)
        self.assertEqual(c.request(hello("runner")),
                         {"type": "error", "code": "bad_token",
                          "message": "no token for role runner"})
        self.assert_untouched(d)

        # The right token, each way it can be given: the whole system.
        self.wait_not_slowed(d)
        r = self.start_runner(d, "good", clone=run,
                              args=["--token-file", self.tok],
                              env=no_token_env())
        self.assertIn("registered with", r.stderr(), self.logs())
        self.start("observer", "observer", "--dispatcher-server",
                   d.address, "--interval", "1", obs,
                   env=with_token_env(TOKEN))
        self.wait_results(d, [first])
        second = self.commit(repo, "second", {"second": "2"})
        self.wait_results(d, [second])
        for commit in (first, second):
            self.assertRegex(d.result(commit), r"\nresult: passed .*"
                             r"runner=good attempt=1 job=\d+\n?$")
        third = self.commit(repo, "third", {"third": "3"})
        proc = self.run_env(["notify", "--dispatcher-server", d.address,
                             "--token-file", self.tok, third],
                            no_token_env(), cwd=repo)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_results(d, [third])
        rc, st, err = self.status_json(d, "--token-file", self.tok)
        self.assertEqual(rc, 0, err)
        self.assertEqual([x["name"] for x in st["runners"]], ["good"])
        proc = self.run_env(["jobs", "--dispatcher-server", d.address],
                            with_token_env(TOKEN))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(j["commit"] for j in d.jobs()),
                         sorted([first, second, third]))
        self.assertTrue(all(j["state"] == "passed" for j in d.jobs()))
        self.assert_alive(d, "--token-file", self.tok)

    def run_env(self, args, env, cwd=None):
        """ssci with args in this environment; its CompletedProcess."""
        return subprocess.run([SSCI, *args], cwd=cwd or self.tmp, env=env,
                              text=True, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30)

    def test_refused_runner_and_observer_exit_non_zero(self):
        """A runner or observer the dispatcher refuses gives up; it must
        say so by its exit status too (as notify and the client do), or a
        service manager or script takes the refusal for a clean stop."""
        repo = self.make_repo("repo")
        obs = self.clone(repo, "clone-obs")
        d = self.dispatcher(args=["--token-file", self.tok])
        p = self.refused_runner(d, "r-wrong", "wrong token for role runner",
                                args=["--token-file", self.bad])
        self.wait_not_slowed(d)
        o = self.start("obs-wrong", "observer", "--dispatcher-server",
                       d.address, "--token-file", self.bad, obs,
                       env=no_token_env())
        self.wait_exit(o)
        self.assertIn("refused us: wrong token", o.stderr())
        self.assertEqual(d.jobs(), [])
        self.assertEqual((p.popen.returncode != 0, o.popen.returncode != 0),
                         (True, True), "exit status of a refused runner "
                         f"({p.popen.returncode}) and observer "
                         f"({o.popen.returncode}): expected non-zero")

    def test_token_file_others_can_read_is_refused(self):
        loose = self.token_file("loose-token", TOKEN)
        os.chmod(loose, 0o644)
        proc = self.ssci("dispatcher", "--port", "0", "--host", "127.0.0.1",
                         "--http", "off", "--state-dir", self.path("st"),
                         "--results-dir", self.path("res"), "--token-file",
                         loose)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("others can read it (chmod 600)", proc.stderr)
        self.assertNotIn("listening on", proc.stdout)
        d = self.dispatcher(args=["--token-file", self.tok])
        r = self.start_runner(d, "r-loose", args=["--token-file", loose])
        self.assertNotEqual(self.wait_exit(r), 0)
        self.assertIn("others can read it (chmod 600)", r.stderr())
        proc = self.ssci("status", "--dispatcher-server", d.address,
                         "--token-file", loose)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("others can read it", proc.stderr)
        self.assertEqual(self.registered_runners(d), [])

    def test_client_token_cannot_register_a_runner(self):
        repo = self.make_repo("repo")
        rtok = self.token_file("runner-token", RUNNER_TOKEN)
        d = self.dispatcher(args=["--token-file", self.tok,
                                  "--runner-token-file", rtok], http=True)
        # The client's token, presented as a runner's: refused.
        c = self.raw(d)
        self.assertEqual(c.request(hello("runner", TOKEN)),
                         {"type": "error", "code": "bad_token",
                          "message": "wrong token for role runner"})
        c.send({"type": "register", "name": "fake", "slots": 1})
        self.assertTrue(c.closed())
        self.assertRegex(d.stderr(), r"refused runner hello from "
                         r"127\.0\.0\.1:\d+: wrong token")
        # The runner's token is not a client's either.
        c = self.raw(d)
        self.assertEqual(c.request(hello("client", RUNNER_TOKEN)).get("code"),
                         "bad_token")
        self.assertTrue(c.closed())
        self.refused_runner(d, "r-client-token", "wrong token for role runner",
                            args=["--token-file", self.tok])
        self.refused_runner(d, "r-client-env", "wrong token for role runner",
                            env=with_token_env(TOKEN))
        self.wait_not_slowed(d)
        proc = self.run_env(["status", "--dispatcher-server", d.address,
                             "--token-file", rtok], no_token_env())
        self.assertNotEqual(proc.returncode, 0)
        self.assert_untouched(d)

        # The runner's token registers a runner, the client's dispatches.
        self.wait_not_slowed(d)
        r = self.start_runner(d, "good", args=["--token-file", rtok],
                              env=no_token_env())
        self.assertIn("registered with", r.stderr(), self.logs())
        commit = self.commit(repo, "test me", {"x": "1"})
        proc = self.run_env(["notify", "--dispatcher-server", d.address,
                             commit], with_token_env(TOKEN), cwd=repo)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_results(d, [commit])
        self.assertRegex(d.result(commit), r"\nresult: passed .*runner=good ")
        # A raw runner with its token may register (after the job ran).
        c = self.raw(d)
        self.assertEqual(c.request(hello("runner", RUNNER_TOKEN)),
                         {"type": "ok"})
        self.assertEqual(c.request({"type": "register", "name": "raw",
                                    "slots": 1}).get("type"), "ok")
        st = self.assert_alive(d, "--token-file", self.tok)
        self.assertEqual(sorted(x["name"] for x in st["runners"]),
                         ["good", "raw"])

    def test_http_writes_need_the_bearer_token(self):
        repo = self.make_repo("repo")
        head = git(repo, "rev-parse", "HEAD")
        d = self.dispatcher(args=["--token-file", self.tok], http=True)
        url = d.http_url
        body = {"repo": repo, "commit": head, "branch": "main"}
        for token in (None, WRONG):
            reply = http(url, "/api/dispatch", "POST", body, token=token)
            status, hdrs, err = reply.status, reply.headers, reply.json()
            self.assertEqual(status, 401, err)
            self.assertEqual(err["error"]["code"], "bad_token")
            self.assertEqual(hdrs.get("www-authenticate"), "Bearer")
        status, err = http_json(url, "/api/dispatch", "POST",
                                "repo=x&commit=" + head)
        self.assertEqual(status, 401, err)
        self.assertEqual(d.jobs(), [], "a refused POST queued a job")
        self.assertRegex(d.stderr(), r"refused HTTP POST /api/dispatch from "
                         r"127\.0\.0\.1: wrong token")
        # Reads stay open without --http-auth.
        for path in ("/api/status", "/api/jobs", "/api/runners"):
            status, _, data = http(url, path)
            self.assertEqual(status, 200, (path, data))
        status, _, data = http(url, "/")
        self.assertEqual(status, 200)
        # The right token (once three refusals stop slowing us): queued.
        self.wait_http_not_slowed(url)
        status, ok = http_json(url, "/api/dispatch", "POST", body,
                               token=TOKEN)
        self.assertEqual((status, ok["state"], ok["existing"]),
                         (201, "queued", False), ok)
        job = ok["job"]
        # Cancel and retry want it too and change nothing without it.
        for action in ("cancel", "retry"):
            for token in (None, WRONG):
                if token == WRONG:
                    self.wait_http_not_slowed(url)
                status, err = http_json(
                    url, f"/api/jobs/{job}/{action}", "POST", {}, token=token)
                self.assertEqual((status, err["error"]["code"]),
                                 (401, "bad_token"), (action, err))
        self.wait_http_not_slowed(url)
        (row,) = d.jobs()
        self.assertEqual(row["state"], "queued")
        status, ok = http_json(url, f"/api/jobs/{job}/cancel", "POST",
                               {}, token=TOKEN)
        self.assertEqual((status, ok["state"]), (200, "cancelled"), ok)
        self.assertEqual(len(d.jobs()), 1)
        self.assert_alive(d, "--token-file", self.tok)

    def wait_http_not_slowed(self, url):
        """Wait until a read with the right token is not slowed down (a
        read needs no token without --http-auth: use a POST that does
        nothing but is authorized)."""
        def ok():
            status, body = http_json(url, "/api/jobs/999999/cancel",
                                     "POST", {}, token=TOKEN)
            if status == 429 and body["error"]["code"] == "slow_down":
                return False
            self.assertEqual(status, 404, body)
            return True
        self.wait_for(ok, "HTTP to stop slowing us down")

    def test_http_auth_closes_reads(self):
        repo = self.make_repo("repo")
        head = git(repo, "rev-parse", "HEAD")
        d = self.dispatcher(args=["--token-file", self.tok, "--http-auth"],
                            http=True)
        url = d.http_url
        for path in ("/api/status", "/api/jobs", "/api/runners", "/",
                     "/metrics"):
            status, hdrs, data = http(url, path)
            self.assertEqual(status, 401, (path, data))
            self.assertEqual(hdrs.get("www-authenticate"), "Bearer")
            # Two refusals, then the right token (before a third refusal
            # could slow this address down).
            status, _, data = http(url, path, token=WRONG)
            self.assertEqual(status, 401, (path, data))
            status, _, data = http(url, path, token=TOKEN)
            self.assertEqual(status, 200, (path, data))
        status, st = http_json(url, "/api/status", token=TOKEN)
        self.assertEqual((status, st["runners"]), (200, []))
        status, ok = http_json(url, "/api/dispatch", "POST",
                               {"repo": repo, "commit": head}, token=TOKEN)
        self.assertEqual(status, 201, ok)
        status, err = http_json(url, f"/api/jobs/{ok['job']}")
        self.assertEqual((status, err["error"]["code"]), (401, "bad_token"))
        self.wait_not_slowed(d)
        self.assert_alive(d, "--token-file", self.tok)

    def test_repeated_failures_are_slowed_down(self):
        d = self.dispatcher(args=["--token-file", self.tok], http=True)
        # Three wrong tokens in a row, then at once the right one: not even
        # looked at.  (A try later than the 100 ms first delay is accepted;
        # then the round is done again.)
        slowed = None
        for _ in range(10):
            for i in range(3):
                reply = self.raw_hello(d, "runner", WRONG)
                self.assertEqual(reply.get("code"), "bad_token", (i, reply))
            t0 = time.monotonic()
            c = self.raw(d)
            reply = c.request(hello("runner", TOKEN))
            late = time.monotonic() - t0
            if reply.get("code") == "slow_down":
                self.assertTrue(c.closed(), "slowed connection not closed")
                slowed = reply
                break
            self.assertEqual(reply, {"type": "ok"})
            self.assertGreater(late, 0.09, "a quick right token after 3 "
                               "refusals was let in")
        self.assertIsNotNone(slowed, "never slowed down")
        self.assertEqual(slowed["type"], "error")
        self.assertRegex(slowed["message"], r"too many refused tokens from "
                         r"127\.0\.0\.1; try again in \d+ ms")
        self.assertLessEqual(int(re.search(r"in (\d+) ms",
                                           slowed["message"]).group(1)), 100)
        # HTTP shares the count: a POST with the right token is slowed too
        # while the wait lasts (it may have passed already: then 404).
        # Then after the wait the right token works, and the count is reset.
        self.wait_not_slowed(d, "runner")
        for i in range(3):
            self.assertEqual(self.raw_hello(d, "client", WRONG).get("code"),
                             "bad_token")
        status, body = http_json(d.http_url, "/api/jobs/1/cancel", "POST",
                                 {}, token=TOKEN)
        self.assertIn((status, body["error"]["code"]),
                      ((429, "slow_down"), (404, "no_such_job")), body)
        self.wait_not_slowed(d, "runner")
        for i in range(3):
            self.assertEqual(self.raw_hello(d, "observer", WRONG).get("code"),
                             "bad_token", "the count was not reset")
        # The delay doubles: more refusals (each after the last delay)
        # make the wait longer, up to 10 s.
        waits = []
        for _ in range(3):
            def refused_again():
                reply = self.raw_hello(d, "client", WRONG)
                return reply if reply["code"] == "bad_token" else None
            self.wait_for(refused_again, "a wrong token to be looked at")
            reply = self.raw_hello(d, "client", TOKEN)
            if reply.get("code") == "slow_down":
                waits.append(int(re.search(r"in (\d+) ms",
                                           reply["message"]).group(1)))
        self.assertTrue(waits and max(waits) > 100, waits)
        self.wait_not_slowed(d)
        self.assertIn("still waiting after refused tokens", d.stderr())
        self.assert_alive(d, "--token-file", self.tok)

    def test_runner_told_to_slow_down_tries_again(self):
        """slow_down says "try again in N ms": a runner that meets it (say,
        because someone else at its address guessed tokens just before it
        connected) must try again later, not quit for good; else anyone
        sharing its address can make runners leave."""
        d = self.dispatcher(args=["--token-file", self.tok])
        # Refusals spaced past each delay raise the wait to 1.6 s.
        for _ in range(7):
            self.wait_for(lambda: self.raw_hello(d, "client", WRONG)
                          ["code"] == "bad_token",
                          "a wrong token to be looked at")
        reply = self.raw_hello(d, "runner", TOKEN)
        self.assertEqual(reply.get("code"), "slow_down", reply)
        r = self.start_runner(d, "patient", args=["--token-file", self.tok],
                              wait=False)
        self.wait_for(lambda: "registered with" in r.stderr() or
                      not r.alive(), "the runner to register or quit")
        self.assertIn("registered with", r.stderr(),
                      f"a runner told to slow down quit (exit status "
                      f"{r.popen.returncode})\n{self.logs()}")
        self.assert_alive(d, "--token-file", self.tok)

    def test_max_connections(self):
        d = self.dispatcher(args=["--max-connections", "3"])
        first = [self.raw(d) for _ in range(3)]
        for c in first:
            self.assertEqual(c.request(hello()), {"type": "ok"})
        extra = self.raw(d)
        reply = extra.recv(timeout=10)
        self.assertEqual((reply or {}).get("code"), "too_many", reply)
        self.assertEqual(reply.get("type"), "error")
        self.assertTrue(extra.closed(), "the 4th connection stayed open")
        for c in first:
            reply = c.request({"type": "status"})
            self.assertEqual(reply.get("type"), "ok", reply)
        rc, _, err = self.status_json(d)
        self.assertNotEqual(rc, 0, "a 4th client got in")
        self.assertIn("the dispatcher has 3 connections already", err)
        first[0].close()
        self.assert_alive(d)
        self.wait_for(lambda: self.raw_hello(d) == {"type": "ok"},
                      "a place to free up")
        self.assertIn("too many connections", d.stderr())

    def test_max_queued_per_repo(self):
        repo = self.make_repo("repo")
        other = self.make_repo("other")
        commits = [self.commit(repo, f"c{i}", {f"f{i}": str(i)})
                   for i in range(4)]
        d = self.dispatcher(args=["--max-queued-per-repo", "2"], http=True)
        c = self.raw(d)
        self.assertEqual(c.request(hello()), {"type": "ok"})

        def dispatch(commit, r=repo):
            return c.request({"type": "dispatch", "repo": r,
                              "commit": commit, "branch": "main"})
        for commit in commits[:2]:
            self.assertEqual(dispatch(commit).get("state"), "queued")
        full = dispatch(commits[2])
        self.assertEqual((full.get("type"), full.get("code")),
                         ("error", "queue_full"), full)
        status, err = http_json(d.http_url, "/api/dispatch", "POST",
                                {"repo": repo, "commit": commits[3]})
        self.assertEqual((status, err["error"]["code"]),
                         (429, "queue_full"), err)
        proc = self.notify(d, repo, commits[3])
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertEqual(sorted(j["commit"] for j in d.jobs()),
                         sorted(commits[:2]))
        # Another repository has a queue of its own.
        head = git(other, "rev-parse", "HEAD")
        self.assertEqual(dispatch(head, other).get("state"), "queued")
        # The connection was not closed for it.
        self.assertEqual(c.request({"type": "status"}).get("type"), "ok")
        # A runner empties the queue: dispatches are taken again.
        self.runner(d, "r1")
        self.wait_jobs(d, 3)
        self.assertEqual(dispatch(commits[2]).get("state"), "queued")
        self.wait_jobs(d, 4)
        self.assert_alive(d)

    def test_repeat_dispatch_when_queue_is_full_returns_the_job(self):
        """A repeated dispatch of a commit that is already queued adds
        nothing to the queue, so a full queue must not refuse it: the
        answer is the existing job (as it is when the queue is not
        full)."""
        repo = self.make_repo("repo")
        commits = [self.commit(repo, f"c{i}", {f"f{i}": str(i)})
                   for i in range(2)]
        d = self.dispatcher(args=["--max-queued-per-repo", "2"])
        c = self.raw(d)
        self.assertEqual(c.request(hello()), {"type": "ok"})
        msgs = [{"type": "dispatch", "repo": repo, "commit": x,
                 "branch": "main"} for x in commits]
        jobs = [c.request(m)["job"] for m in msgs]
        again = c.request(msgs[0])
        self.assertEqual(again, {"type": "ok", "job": jobs[0],
                                 "state": "queued", "existing": True},
                         "a repeat of a queued commit was refused")

    def test_http_rate(self):
        d = self.dispatcher(args=["--http-rate", "5"], http=True)
        statuses, codes = [], set()
        for _ in range(30):
            status, hdrs, data = http(d.http_url, "/api/status")
            statuses.append(status)
            if status == 429:
                self.assertEqual(hdrs.get("retry-after"), "1")
                codes.add(re.search(rb'"code":"(\w+)"', data).group(1))
        self.assertIn(429, statuses, statuses)
        self.assertIn(200, statuses, statuses)
        self.assertEqual(set(statuses), {200, 429}, statuses)
        self.assertEqual(codes, {b"too_many_requests"})
        # The first ones (a burst of twice the rate) were served.
        self.assertEqual(statuses[:10], [200] * 10, statuses)
        self.wait_for(lambda: http(d.http_url, "/api/status").status
                      == 200, "HTTP to serve again")
        # The protocol port is not rate limited by it.
        self.assert_alive(d)
