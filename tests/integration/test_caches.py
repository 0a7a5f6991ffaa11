# SPDX-License-Identifier: MIT
"""Caches with a real runner (issue 14): a pip-style cache folder the
tree does not hold (git clean removes it between jobs) is restored on the
next run with the same key on the same runner, not with another key; a
failed job saves nothing; another branch falls back to the default
branch's cache, and its own saves never touch it; a runner killed while
it saves leaves the cache it had whole, and the job's next run restores
it."""
import glob
import os
import signal
import tarfile

from harness import SsciTest, git

PLAN = """\
jobs:
  deps:
    cache: {paths: [.pipcache], key: [requirements.txt]}
    run: |
      if [ -f .pipcache/pkg ]; then echo "HIT $(cat .pipcache/pkg)"; else echo MISS; fi
      mkdir -p .pipcache
      echo "$SSCI_BRANCH-$(cat requirements.txt)" > .pipcache/pkg
      if [ -f big ]; then head -c 400000000 /dev/zero > .pipcache/blob; fi
      test ! -f fail
"""


class CachesTest(SsciTest):
    def setUp(self):
        super().setUp()
        self.repo = self.make_repo("repo")
        self.d = self.dispatcher()
        self.runner(self.d, "r1")

    def run_commit(self, message, files, branch="main"):
        commit = self.commit(self.repo, message, files)
        self.notify(self.d, self.repo, commit, "--branch", branch)

        def done():
            jobs = [j for j in self.d.jobs() if j["commit"] == commit and
                    j["branch"] == branch]
            return jobs[0] if jobs and jobs[0]["state"] not in (
                "queued", "running") else None
        job = self.wait_for(done, f"{message}'s job")
        return job, self.d.query({"type": "tail", "id": job["id"]})["data"]

    def test_restored_by_key(self):
        _, log = self.run_commit("one", {".ssci.yml": PLAN,
                                         "requirements.txt": "a==1\n"})
        self.assertIn("\nMISS\n", log)
        self.assertRegex(log, r"ssci: no cache for key [0-9a-f]{8}")
        self.assertRegex(log, r"ssci: cache saved \(key [0-9a-f]{8}")
        job, log = self.run_commit("two", {"README": "x\n"})
        self.assertEqual(job["state"], "passed")
        self.assertIn("\nHIT main-a==1\n", log)
        self.assertRegex(log, r"ssci: cache restored \(key [0-9a-f]{8}")
        _, log = self.run_commit("three", {"requirements.txt": "a==2\n"})
        self.assertIn("\nMISS\n", log, "another key: no cache")
        # A failing job saves nothing: the next run still sees a==2's.
        job, log = self.run_commit("four", {"fail": "1\n"})
        self.assertEqual(job["state"], "failed")
        self.assertIn("\nHIT main-a==2\n", log)
        self.assertNotIn("cache saved", log)
        git(self.repo, "rm", "-q", "fail")
        git(self.repo, "commit", "-qm", "unfail")
        # A pull request reads main's and keeps its own apart.
        _, log = self.run_commit("pr", {"other": "1\n"}, branch="pr/3")
        self.assertIn("\nHIT main-a==2\n", log)
        self.assertIn("from branch main", log)
        _, log = self.run_commit("main again", {"other2": "1\n"})
        self.assertIn("\nHIT main-a==2\n", log, "pr/3 did not touch main's")

    def test_killed_while_saving(self):
        _, log = self.run_commit("one", {".ssci.yml": PLAN,
                                         "requirements.txt": "a==1\n"})
        self.assertIn("cache saved", log)
        (tar,) = glob.glob(os.path.join(self.tmp, "r1-work", "caches", "*",
                                        "*", "*.tar"))
        with tarfile.open(tar) as t:
            before = sorted(t.getnames())
        self.assertNotIn("blob", " ".join(before))
        commit = self.commit(self.repo, "big", {"big": "1\n"})
        self.notify(self.d, self.repo, commit, "--branch", "main")
        runner = next(p for p in self.procs if p.name == "r1")
        self.wait_for(lambda: glob.glob(tar + ".tmp.*"), "a save to begin",
                      timeout=60)
        runner.signal(signal.SIGKILL)
        runner.popen.wait()
        with tarfile.open(tar) as t:
            self.assertEqual(sorted(t.getnames()), before,
                             "the cache it had is whole")
        # Started again: the job runs once more, restoring that cache.
        self.runner(self.d, "r1")

        def done():
            jobs = [j for j in self.d.jobs() if j["commit"] == commit]
            return jobs[0] if jobs and jobs[0]["state"] == "passed" else None
        job = self.wait_for(done, "the job to run again", timeout=60)
        log = self.d.query({"type": "tail", "id": job["id"]})["data"]
        self.assertIn("\nHIT main-a==1\n", log)
        self.assertEqual(glob.glob(tar + ".tmp.*"), [], "what it left is gone")
