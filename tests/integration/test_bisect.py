# SPDX-License-Identifier: MIT
"""Coalescing with automatic bisection (issue 17, docs/QUEUE.md): 64
commits pushed at once to a coalescing branch where commit 37 breaks the
tests are tested newest first, and the dispatcher names commit 37 after
at most 1 + log2(64) = 7 jobs, also across a kill -9 in the middle."""
import math
import signal
import time

from harness import FAILING_TEST, PASSING_TEST, SsciTest, http

PUSHED = 64
BREAKS = 37
# Each test takes a moment, so that a kill lands mid-bisection.
SLOW = "import time\nimport unittest\n\ntime.sleep(0.3)"
GOOD = PASSING_TEST.replace("import unittest", SLOW)
BAD = FAILING_TEST.replace("import unittest", SLOW)


class TestBisect(SsciTest):
    def pushes(self, repo, n, tests):
        """n commits on repo, "change 1" to "change n"; the i-th sets the
        tests to tests[i] where tests has i.  Their ids, oldest first."""
        pushed = []
        for i in range(1, n + 1):
            files = {f"f{i}.txt": str(i)}
            if i in tests:
                files["tests/test_example.py"] = tests[i]
            pushed.append(self.commit(repo, f"change {i}", files))
        return pushed

    def history(self):
        """A repository whose first commit passes, then PUSHED commits of
        which the BREAKS-th (from 1) breaks the tests; (repo, base,
        pushed)."""
        repo = self.make_repo("r", tests=GOOD)
        base = self.commit(repo, "base")
        return repo, base, self.pushes(repo, PUSHED, {BREAKS: BAD})

    def dispatch(self, d, repo, commits):
        """Dispatch commits in order, with their subjects, as a hook
        would."""
        from harness import git
        with d.connect() as c:
            self.assertEqual(c.hello("client", d.token()), {"type": "ok"})
            for commit in commits:
                subject = git(repo, "log", "-1", "--format=%s", commit)
                reply = c.request({"type": "dispatch", "repo": repo,
                                   "commit": commit, "branch": "main",
                                   "subject": subject,
                                   "author": "A. U. Thor"})
                self.assertEqual(reply["type"], "ok", reply)

    def head(self, d):
        heads = d.query({"type": "status"})["heads"]
        return next(h for h in heads if h["branch"] == "main")

    def found(self, d):
        b = self.head(d)["bisection"]
        if b is not None and b["state"] != "running":
            return b
        return None

    def pushed_at_once(self, args=()):
        """The history tested up to base; the runner stopped, the push
        dispatched at once; (dispatcher, repo, base, pushed)."""
        repo, base, pushed = self.history()
        d = self.dispatcher(args=["--coalesce", "ma*", *args], http=True)
        runner = self.runner(d, "solo")
        self.dispatch(d, repo, [base])
        self.wait_jobs(d, 1)
        runner.stop()
        self.dispatch(d, repo, pushed)
        return d, repo, base, pushed

    def check(self, d, base, pushed, bisection):
        self.assertEqual(bisection["state"], "found", bisection)
        culprit = bisection["culprit"]
        self.assertEqual(culprit["commit"], pushed[BREAKS - 1], bisection)
        self.assertEqual(culprit["subject"], f"change {BREAKS}")
        self.assertEqual(culprit["author"], "A. U. Thor")
        jobs = [j for j in d.jobs() if j["commit"] != base]
        ran = [j for j in jobs if j["state"] != "skipped"]
        limit = 1 + math.ceil(math.log2(PUSHED))
        self.assertLessEqual(len(ran), limit, [(j["commit"][:7],
                             j["state"]) for j in ran])
        self.assertEqual(bisection["runs"], len(ran))
        # The newest was tested first; the others were superseded by it.
        skipped = [j for j in jobs if j["state"] == "skipped"]
        self.assertEqual(len(skipped), PUSHED - 1)
        self.assertEqual({j["superseded_by"] for j in skipped},
                         {pushed[-1]})
        first = min(ran, key=lambda j: j["id"])
        self.assertEqual(first["commit"], pushed[-1])
        self.assertIsNone(first["bisection"])
        # Every other run was the bisection's, each of a skipped commit.
        self.assertTrue(all(j["bisection"] == bisection["id"]
                            for j in ran if j is not first))
        # The branch's head is the push, failed; a bisection's runs of
        # older commits are not the branch's state.
        head = self.head(d)
        self.assertEqual(head["commit"], pushed[-1])
        self.assertEqual(head["pipeline_state"], "failed")

    def test_sixty_four_pushed_commits_bisected(self):
        d, repo, base, pushed = self.pushed_at_once()
        self.runner(d, "solo")
        bisection = self.wait_for(lambda: self.found(d), "the culprit")
        self.check(d, base, pushed, bisection)
        culprit = pushed[BREAKS - 1]
        status = self.ssci("status", "--dispatcher-server", d.address)
        self.assertIn(f"broken by {culprit[:12]} (change {BREAKS}, "
                      f"A. U. Thor), found in {bisection['runs']} runs",
                      status.stdout)
        page = http(d.http_url, "/").text()
        self.assertIn(f"broken by <a href=\"/jobs/"
                      f"{bisection['culprit']['pipeline']}\"><code>"
                      f"{culprit}</code></a> (change {BREAKS}, "
                      f"A. U. Thor), found in {bisection['runs']} runs",
                      page)
        # The job pages of the failed push and of the culprit say it too.
        for job in (bisection["bad"], bisection["culprit"]["pipeline"]):
            page = http(d.http_url, f"/jobs/{job}").text()
            self.assertIn('<section id="bisection"', page)
            self.assertIn(f"<code>{culprit}</code></a> (change {BREAKS}, "
                          "A. U. Thor)", page)

    def test_two_free_runners_bisect_in_thirds(self):
        repo, base, pushed = self.history()
        d = self.dispatcher(args=["--coalesce", "main", "--coalesce-wait",
                                  "1"])
        self.runner(d, "one")
        self.runner(d, "two")
        self.dispatch(d, repo, [base])
        self.wait_jobs(d, 1)
        self.dispatch(d, repo, pushed)
        bisection = self.wait_for(lambda: self.found(d), "the culprit")
        self.assertEqual(bisection["state"], "found", bisection)
        self.assertEqual(bisection["culprit"]["commit"], pushed[BREAKS - 1])
        runs = sorted((j for j in d.jobs() if j["bisection"] is not None),
                      key=lambda j: j["id"])
        # Thirds of 64 places, then of 22, then halves of 8 or fewer.
        self.assertLessEqual(len(runs), 8, runs)
        first_two = runs[:2]
        self.assertTrue(all(j["started_ms"] for j in first_two))
        self.assertLess(max(j["started_ms"] for j in first_two),
                        min(j["finished_ms"] for j in first_two),
                        "the first two runs ran side by side")

    def test_kill_9_mid_bisection_resumes(self):
        d, repo, base, pushed = self.pushed_at_once()
        self.runner(d, "solo")
        self.wait_for(lambda: sum(1 for j in d.jobs()
                                  if j["bisection"] is not None and
                                  j["finished_ms"]) >= 2,
                      "two bisection runs to end")
        self.assertIsNone(self.found(d), "over before the kill")
        d.signal(signal.SIGKILL)
        d.popen.wait()
        restarted_ms = time.time() * 1000
        d = self.restart_dispatcher(d, args=["--coalesce", "ma*"])
        bisection = self.wait_for(lambda: self.found(d), "the culprit")
        self.check(d, base, pushed, bisection)
        # The restarted dispatcher went on with the bisection itself.
        self.assertTrue(any(j["bisection"] is not None and
                            j["created_ms"] > restarted_ms
                            for j in d.jobs()), d.jobs())

    def test_bisected_once_the_push_before_passes(self):
        """The newest push fails on one runner while the push before it
        still runs on the other: the bisection starts once that one
        passes."""
        repo = self.make_repo("r")
        base = self.commit(repo, "base")
        slow = self.commit(repo, "slow", {"tests/test_example.py":
                                          GOOD.replace("0.3", "2")})
        pushed = self.pushes(repo, 8, {1: PASSING_TEST, 5: FAILING_TEST})
        d = self.dispatcher(args=["--coalesce", "main"])
        self.runner(d, "one")
        self.runner(d, "two")
        self.dispatch(d, repo, [base])
        self.wait_jobs(d, 1)
        self.dispatch(d, repo, [slow])
        self.wait_for(lambda: any(j["commit"] == slow and j["started_ms"]
                                  for j in d.jobs()), "the slow push")
        self.dispatch(d, repo, pushed)
        tip = self.wait_for(lambda: next(
            (j for j in d.jobs() if j["commit"] == pushed[-1] and
             j["finished_ms"]), None), "the newest push to fail")
        self.assertEqual(tip["state"], "failed")
        slow_job = next(j for j in d.jobs() if j["commit"] == slow)
        self.assertIsNone(slow_job["finished_ms"], "the slow push ended "
                          "before the newest: nothing to check")
        bisection = self.wait_for(lambda: self.found(d), "the culprit")
        self.assertEqual(bisection["state"], "found", bisection)
        self.assertEqual(bisection["culprit"]["commit"], pushed[4])

    def test_a_flaky_run_stops_the_bisection(self):
        """A run that passes only on its re-run (--retry-failed) is not
        trusted: the bisection stops, saying so, and blames no one."""
        import os
        mark = os.path.join(self.tmp, "flaky-mark")
        flaky = ("import os\nimport unittest\n\n\n"
                 "class TestFlaky(unittest.TestCase):\n"
                 "    def test_once(self):\n"
                 f"        if not os.path.exists({mark!r}):\n"
                 f"            open({mark!r}, 'w').close()\n"
                 "            self.fail('the first run fails')\n")
        repo = self.make_repo("r")
        base = self.commit(repo, "base")
        # 8 pushed: the bisection's first run is of the 4th, the flaky one.
        pushed = self.pushes(repo, 8, {4: flaky, 6: FAILING_TEST})
        d = self.dispatcher(args=["--coalesce", "main", "--retry-failed",
                                  "1"])
        runner = self.runner(d, "solo")
        self.dispatch(d, repo, [base])
        self.wait_jobs(d, 1)
        runner.stop()
        self.dispatch(d, repo, pushed)
        self.runner(d, "solo")
        bisection = self.wait_for(lambda: self.found(d), "the bisection")
        self.assertEqual(bisection["state"], "stopped", bisection)
        self.assertIsNone(bisection["culprit"])
        self.assertIn(f"{pushed[3][:12]} passed only on a re-run (flaky)",
                      bisection["note"])
        status = self.ssci("status", "--dispatcher-server", d.address)
        self.assertIn("bisection stopped: ", status.stdout)

    def test_a_burst_is_coalesced_before_an_idle_runner_takes_it(self):
        """--coalesce-wait: an idle runner does not take the first commits
        of a push before its newest has arrived."""
        repo, base, pushed = self.history()
        d = self.dispatcher(args=["--coalesce", "main", "--coalesce-wait",
                                  "1"])
        self.runner(d, "solo")
        self.dispatch(d, repo, pushed[:10])
        jobs = self.wait_for(lambda: (lambda js: js if any(
            j["finished_ms"] and j["state"] != "skipped" for j in js)
            else None)(d.jobs()), "the newest push to be tested")
        ran = [j for j in jobs if j["state"] != "skipped"]
        self.assertEqual([j["commit"] for j in ran], [pushed[9]], ran)
        self.assertEqual(len([j for j in jobs if j["superseded_by"] ==
                              pushed[9]]), 9)

    def test_without_coalescing_every_commit_is_tested(self):
        repo, base, pushed = self.history()
        d = self.dispatcher()
        self.dispatch(d, repo, [base, *pushed[:8]])
        self.runner(d, "solo")
        jobs = self.wait_jobs(d, 9)
        self.assertEqual([j["state"] for j in jobs], ["passed"] * 9)
        self.assertTrue(all(j["superseded_by"] is None for j in jobs))
        self.assertIsNone(self.head(d)["bisection"])
