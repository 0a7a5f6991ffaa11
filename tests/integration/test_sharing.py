# SPDX-License-Identifier: MIT
"""Several runners share the work: 20 commits with 3 runners are all
tested, each exactly once, each result under its own commit (issue 2)."""
import os
import re

from harness import SsciTest

COMMITS = 20
RUNNERS = 3


class TestSharing(SsciTest):
    def share(self, own_clones):
        repo = self.make_repo("master")
        d = self.dispatcher()
        for i in range(RUNNERS):
            name = f"runner{i + 1}"
            clone = self.clone(repo, f"{name}-clone") if own_clones else None
            self.runner(d, name, clone=clone)
        made = self.marker_commits(repo, COMMITS)
        commits = [c for c, _ in made]
        proc = self.notify(d, repo, *commits)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        printed = re.findall(r"^([0-9a-f]{40}) job (\d+) (\w+)$",
                             proc.stdout, re.M)
        self.assertEqual([c for c, _, _ in printed], commits, proc.stdout)
        self.wait_results(d, commits)
        jobs = self.wait_jobs(d, COMMITS)
        self.check_results(d, made)
        self.check_jobs(jobs, commits, repo)
        # Job ids printed by notify are the ones that ran.
        ids = {j["commit"]: j["id"] for j in jobs}
        for commit, job, _ in printed:
            self.assertEqual(ids[commit], int(job))

    def check_results(self, d, made):
        self.assertEqual(sorted(os.listdir(d.results_dir)),
                         sorted(c for c, _ in made),
                         "one results file per commit, nothing else")
        markers = [m for _, m in made]
        for commit, marker in made:
            text = d.result(commit)
            self.assertIn(marker, text, f"{commit} has its own output")
            others = [m for m in markers if m != marker and m in text]
            self.assertEqual(others, [], f"{commit} shows another's output")
            self.assertEqual(text.count(marker), 1, text)
            self.assertEqual(len(re.findall(r"^result: ", text, re.M)), 1,
                             text)
            last = text.rstrip("\n").split("\n")[-1]
            self.assertRegex(last, r"^result: passed exit_code=0 tests_run=3 "
                             r".*runner=runner[1-3] attempt=1 job=\d+$")

    def check_jobs(self, jobs, commits, repo):
        self.assertEqual(len(jobs), COMMITS, jobs)
        self.assertEqual(sorted(j["commit"] for j in jobs), sorted(commits),
                         "each commit has exactly one job")
        for j in jobs:
            self.assertEqual(j["state"], "passed", j)
            self.assertEqual(j["attempt"], 1, j)
            self.assertEqual(j["repo"], repo, j)
            self.assertEqual(j["exit_code"], 0, j)
        names = {j["runner"] for j in jobs}
        self.assertTrue(names <= {f"runner{i + 1}" for i in range(RUNNERS)},
                        names)
        self.assertGreater(len(names), 1, "more than one runner did work")

    def test_twenty_commits_three_runners_own_clones(self):
        self.share(own_clones=True)

    def test_twenty_commits_three_runners_work_dir_clones(self):
        self.share(own_clones=False)
