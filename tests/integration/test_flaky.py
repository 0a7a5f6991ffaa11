# SPDX-License-Identifier: MIT
"""Flaky tests and quarantine (issue 15): with --retry-failed a failed job
runs again on another runner, and a test that fails every other run makes
the job pass with a flaky mark and shows on /flaky, while a test that
always fails is never called flaky; a quarantined always-failing test no
longer fails its job but its failure is still shown; "failing since" names
the first failing commit across five commits."""
import os
import urllib.parse

from harness import http_json, parse_html
from tests_util import TestsTest

# Fails on odd runs, passes on even ones: a counter outside the tree.
EVERY_OTHER = """\
import os

COUNTER = %r

def test_steady():
    pass

def test_every_other_run():
    n = int(open(COUNTER).read()) if os.path.exists(COUNTER) else 0
    with open(COUNTER, "w") as f:
        f.write(str(n + 1))
    assert n %% 2 == 1, "run %%d fails" %% n
"""

ALWAYS = """\
def test_fine():
    pass

def test_always_broken():
    assert 1 == 2, "never works"
"""


class TestFlaky(TestsTest):
    def test_flaky_test_found_by_a_rerun_and_listed(self):
        counter = os.path.join(self.tmp, "counter")
        repo, flaky_commit = self.pytest_repo(
            {"tests/test_f.py": EVERY_OTHER % counter})
        d = self.dispatcher(http=True, args=("--retry-failed", "1"))
        self.runner(d, "r1")
        self.runner(d, "r2")
        job = self.run_commit(d, repo, flaky_commit)
        self.assertEqual(job["state"], "passed", job)
        self.assertTrue(job["flaky"])
        self.assertEqual(job["attempt"], 2)
        self.assertEqual(job["fail_retries"], 1)
        log = self.log(d, job)
        first = "r1" if job["runner"] == "r2" else "r2"
        self.assertIn(f"attempt 1 failed on runner '{first}'; running it "
                      "again", log)
        self.assertIn("run 0 fails", log)
        tests = self.records(d, job)
        self.assertEqual(tests["tests.test_f.test_every_other_run"]["status"],
                         "passed")
        self.assertTrue(tests["tests.test_f.test_every_other_run"]["flaky"])
        self.assertFalse(tests["tests.test_f.test_steady"]["flaky"])
        # The same test on another commit always failing is no flake.
        broken = self.commit(repo, "always broken",
                             {"tests/test_f.py": ALWAYS})
        job2 = self.run_commit(d, repo, broken)
        self.assertEqual(job2["state"], "failed")
        self.assertFalse(job2["flaky"])
        self.assertEqual(job2["attempt"], 2)
        self.assertFalse(any(t["flaky"] for t in
                             self.records(d, job2).values()))
        flaky = self.get_json(d, "/api/flaky")["tests"]
        self.assertEqual([t["name"] for t in flaky],
                         ["tests.test_f.test_every_other_run"])
        self.assertEqual(flaky[0]["last_flake"]["commit"], flaky_commit)
        self.assertEqual(flaky[0]["commits"][0]["commit"], flaky_commit)
        page = parse_html(self.get(d, "/flaky"))
        rows = list(page.one("table", cls="flaky").find_all(
            "tr", cls="flaky-test"))
        self.assertEqual(len(rows), 1)
        self.assertIn("test_every_other_run", rows[0].text())
        self.assertNotIn("test_always_broken", self.get(d, "/flaky"))
        # The job page says so too.
        self.assertIn("flaky", self.section(d, f"/jobs/{job['id']}",
                                            "tests").text())

    def test_quarantined_failure_does_not_fail_its_job(self):
        repo, commit = self.pytest_repo({"tests/test_q.py": ALWAYS})
        d = self.dispatcher(http=True)
        self.runner(d, "r1")
        job = self.run_commit(d, repo, commit)
        self.assertEqual(job["state"], "failed")
        out = self.ssci("quarantine", "--dispatcher-server", d.address,
                        "add", repo, "tests.test_q.test_always_broken")
        self.assertEqual(out.returncode, 0, out.stderr)
        out = self.ssci("quarantine", "--dispatcher-server", d.address,
                        "list", repo)
        self.assertIn("tests.test_q.test_always_broken", out.stdout)
        again = self.commit(repo, "again", {"README": "again\n"})
        job = self.run_commit(d, repo, again)
        self.assertEqual(job["state"], "passed", job)
        self.assertEqual(job["exit_code"], 1)
        tests = self.records(d, job)
        broken = tests["tests.test_q.test_always_broken"]
        self.assertEqual(broken["status"], "failed")
        self.assertTrue(broken["quarantined"])
        self.assertIn("never works", broken["message"])
        log = self.log(d, job)
        self.assertIn("only quarantined tests failed (1): the job passes",
                      log)
        section = self.section(d, f"/jobs/{job['id']}", "tests")
        self.assertIn("never works", section.text())
        self.assertIn("quarantined", section.text())
        # Let out (through the API, as the page's button does): it fails
        # its job again.
        status, reply = http_json(d.http_url, "/api/quarantine", "POST", {
            "repo": repo, "test": "tests.test_q.test_always_broken",
            "remove": True})
        self.assertEqual(status, 200, reply)
        self.assertFalse(reply["quarantined"])
        third = self.commit(repo, "third", {"README": "third\n"})
        self.assertEqual(self.run_commit(d, repo, third)["state"], "failed")

    def test_failing_since_names_the_first_failing_commit(self):
        repo, good = self.pytest_repo({"tests/test_s.py": ALWAYS.replace(
            "assert 1 == 2", "assert 2 == 2")})
        d = self.dispatcher(http=True)
        self.runner(d, "r1")
        self.assertEqual(self.run_commit(d, repo, good)["state"], "passed")
        first_bad = self.commit(repo, "break it", {"tests/test_s.py": ALWAYS})
        commits = [first_bad] + [self.commit(repo, f"more {i}",
                                             {"README": f"{i}\n"})
                                 for i in range(3)]
        for c in commits:
            self.assertEqual(self.run_commit(d, repo, c)["state"], "failed")
        last = [j for j in d.jobs() if j["commit"] == commits[-1]][0]
        broken = self.records(d, last)["tests.test_s.test_always_broken"]
        self.assertEqual(broken["failing_since"]["commit"], first_bad)
        self.assertEqual(broken["failing_since"]["commits_ago"], 3)
        first = [j for j in d.jobs() if j["commit"] == first_bad][0]
        self.assertEqual(self.records(d, first)[
            "tests.test_s.test_always_broken"]["failing_since"]
            ["commits_ago"], 0)
        section = self.section(d, f"/jobs/{last['id']}", "tests")
        self.assertIn(f"failing since {first_bad[:7]}, 3 commits ago",
                      " ".join(section.text().split()))
        # The test's own page: five runs as a strip, newest last.
        link = [a for a in section.find_all("a")
                if a.text() == "tests.test_s.test_always_broken"][0]
        page = self.get(d, link.attrs["href"])
        hist = self.get_json(
            d, "/api/tests?" + urllib.parse.urlencode(
                {"repo": repo, "branch": "main",
                 "name": "tests.test_s.test_always_broken"}))
        self.assertEqual([r["status"] for r in hist["history"]],
                         ["failed"] * 4 + ["passed"])
        self.assertEqual(hist["flips"], 1)
        self.assertIn("<svg", page)
        self.assertIn("Quarantine", page)

    def test_quarantine_forgives_only_whole_records(self):
        """A quarantined failure in TAP, then a clean exit 1: forgiven.
        The same failure, then a crash (or a plan the output does not
        meet): not, since the records are not all the job's tests."""
        tap = ("#!/bin/sh\necho 1..2\necho 'not ok 1 - net_timeout'\n"
               "echo 'ok 2 - adds'\n%s\n")
        repo = self.make_repo()
        first = self.commit(repo, "first", {".ssci/test": tap % "exit 1"})
        d = self.dispatcher(http=True)
        self.runner(d, "r1")
        self.assertEqual(self.run_commit(d, repo, first)["state"], "failed")
        out = self.ssci("quarantine", "--dispatcher-server", d.address,
                        "add", repo, "net_timeout")
        self.assertEqual(out.returncode, 0, out.stderr)
        clean = self.commit(repo, "clean", {"README": "clean\n"})
        self.assertEqual(self.run_commit(d, repo, clean)["state"], "passed")
        crash = self.commit(repo, "crash", {".ssci/test":
                                            tap % "kill -SEGV $$"})
        job = self.run_commit(d, repo, crash)
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["exit_code"], 139)
        self.assertNotIn("only quarantined", self.log(d, job))
        short = self.commit(repo, "short", {".ssci/test": (
            "#!/bin/sh\necho 1..3\necho 'not ok 1 - net_timeout'\n"
            "echo 'ok 2 - adds'\nexit 1\n")})
        job = self.run_commit(d, repo, short)
        self.assertEqual(job["state"], "failed")
        self.assertIn("ssci: test output: ", self.log(d, job))
