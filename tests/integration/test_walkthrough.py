# SPDX-License-Identifier: MIT
"""The seed's walkthrough with ssci: a master repository with Python
unittest tests, a clone for the observer and one for the runner, then
dispatcher, runner, observer; a new commit leads to test_results/<commit>
and to a job row in SQLite."""
import re

from harness import FAILING_TEST, SsciTest


class TestWalkthrough(SsciTest):
    def test_new_commit_is_tested(self):
        repo = self.make_repo("test_repo")
        obs = self.clone(repo, "test_repo_clone_obs")
        run = self.clone(repo, "test_repo_clone_runner")
        d = self.dispatcher()
        self.runner(d, "runner1", clone=run)
        self.observer(d, obs)
        first = self.commit(repo, "new file", {"new_file": ""})
        self.wait_results(d, [first])
        text = d.result(first)
        self.assertIn("Ran 2 tests", text)
        last = text.rstrip("\n").split("\n")[-1]
        self.assertRegex(last, r"^result: passed exit_code=0 tests_run=2 "
                         r"tests_failed=0 tests_skipped=0 duration_ms=\d+ "
                         r"runner=runner1 attempt=1 job=\d+$")
        jobs = [j for j in d.jobs() if j["commit"] == first]
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs[0]["state"], "passed")
        self.assertEqual(jobs[0]["repo"], repo)
        self.assertEqual(jobs[0]["branch"], "main")
        self.assertEqual(jobs[0]["runner"], "runner1")

    def test_failing_commit_is_reported_failed(self):
        repo = self.make_repo("test_repo")
        run = self.clone(repo, "clone_runner")
        obs = self.clone(repo, "clone_obs")
        d = self.dispatcher()
        self.runner(d, "r", clone=run)
        self.observer(d, obs)
        bad = self.commit(repo, "break it",
                          {"tests/test_broken.py": FAILING_TEST})
        self.wait_results(d, [bad])
        text = d.result(bad)
        self.assertIn("FAILED (failures=1)", text)
        self.assertRegex(text, r"\nresult: failed exit_code=1 tests_run=3 "
                         r"tests_failed=1 ")
        self.assertEqual(re.findall(r"^result: ", text, re.M), ["result: "])

    def test_output_without_last_newline_keeps_result_line_apart(self):
        repo = self.make_repo("test_repo")
        d = self.dispatcher()
        self.runner(d, "r", clone=self.clone(repo, "clone_runner"))
        commit = self.commit(repo, "no newline", {
            ".ssci/test": "#!/bin/sh\nprintf 'last words'\n"})
        self.notify(d, repo, commit)
        self.wait_results(d, [commit])
        self.assertRegex(d.result(commit), r"last words\nresult: passed ")
