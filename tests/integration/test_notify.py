# SPDX-License-Identifier: MIT
"""ssci notify: report commits named on the command line (for a git hook).
No runner is started, so jobs stay queued and the table is easy to read."""
import os
import re

from harness import SsciTest, free_port, git

LINE = re.compile(r"^([0-9a-f]{40}) job (\d+) (\w+)$", re.M)


class TestNotify(SsciTest):
    def setUp(self):
        super().setUp()
        self.repo = self.make_repo("master")
        self.first = self.commit(self.repo, "one")
        self.second = self.commit(self.repo, "two")
        self.d = self.dispatcher()

    def notify_ok(self, *args, cwd=None):
        """notify that must succeed; its [(commit, job, state)]."""
        proc = self.notify(self.d, cwd or self.repo, *args)
        self.assertEqual(proc.returncode, 0,
                         f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        return [(c, int(j), s) for c, j, s in LINE.findall(proc.stdout)]

    def test_full_ids(self):
        got = self.notify_ok(self.first, self.second)
        self.assertEqual([(c, s) for c, _, s in got],
                         [(self.first, "queued"), (self.second, "queued")])
        jobs = self.d.jobs()
        self.assertEqual([(j["id"], j["commit"]) for j in jobs],
                         [(job, c) for c, job, _ in got])
        for j in jobs:
            self.assertEqual(j["repo"], self.repo)
            self.assertEqual(j["branch"], "main")
            self.assertEqual(j["state"], "queued")

    def test_revisions_are_resolved(self):
        got = self.notify_ok("HEAD~1", "HEAD")
        self.assertEqual([c for c, _, _ in got], [self.first, self.second])
        self.assertEqual([j["commit"] for j in self.d.jobs()],
                         [self.first, self.second])

    def test_short_id_and_subfolder(self):
        got = self.notify_ok(self.second[:10],
                             cwd=os.path.join(self.repo, "tests"))
        self.assertEqual([c for c, _, _ in got], [self.second])
        self.assertEqual(self.d.jobs()[0]["repo"], self.repo,
                         "the repository is named by its top folder")

    def test_branch_option(self):
        self.notify_ok("--branch", "release-1", self.second)
        self.assertEqual(self.d.jobs()[0]["branch"], "release-1")

    def test_duplicate_returns_existing_job(self):
        (c1, job1, _), = self.notify_ok(self.second)
        (c2, job2, _), = self.notify_ok("HEAD")
        self.assertEqual((c1, job1), (c2, job2))
        self.assertEqual(len(self.d.jobs()), 1, self.d.jobs())

    def test_rebuild_makes_a_new_job(self):
        (_, job1, _), = self.notify_ok(self.second)
        (_, job2, state), = self.notify_ok("--rebuild", self.second)
        self.assertNotEqual(job1, job2)
        self.assertEqual(state, "queued")
        jobs = self.d.jobs()
        self.assertEqual([j["id"] for j in jobs], sorted([job1, job2]))
        self.assertEqual({j["commit"] for j in jobs}, {self.second})

    def test_rebuild_of_finished_job_is_tested_again(self):
        self.runner(self.d, "r", clone=self.clone(self.repo, "run"))
        (_, job1, _), = self.notify_ok(self.second)
        self.wait_jobs(self.d, 1)
        (_, job2, _), = self.notify_ok(self.second)
        self.assertEqual(job2, job1, "a finished job is still the job")
        (_, job3, _), = self.notify_ok("--rebuild", self.second)
        self.assertNotEqual(job3, job1)
        jobs = self.wait_jobs(self.d, 2)
        self.assertEqual([j["state"] for j in jobs], ["passed", "passed"])
        self.wait_for(lambda: f" job={job3}" in self.d.result(self.second),
                      "the results file of the rebuild")
        self.assertRegex(self.d.result(self.second),
                         rf"\nresult: passed .*job={job3}\n?$")

    def test_dispatcher_unreachable(self):
        address = f"127.0.0.1:{free_port()}"
        proc = self.notify(address, self.repo, "HEAD")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn(address, proc.stderr)
        self.assertEqual(proc.stdout, "")

    def test_bad_revision_queues_nothing(self):
        for revs in (["no-such-rev"], ["HEAD", "no-such-rev"],
                     ["HEAD~99"], ["HEAD;touch pwned"]):
            proc = self.notify(self.d, self.repo, *revs)
            self.assertNotEqual(proc.returncode, 0, revs)
            self.assertNotEqual(proc.stderr, "", revs)
            self.assertEqual(self.d.jobs(), [], revs)
        self.assertFalse(os.path.exists(os.path.join(self.repo, "pwned")))
        self.assertEqual(git(self.repo, "status", "--porcelain"), "")

    def test_outside_a_repository(self):
        outside = os.path.join(self.tmp, "empty")
        os.mkdir(outside)
        proc = self.notify(self.d, outside, self.second)
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotEqual(proc.stderr, "")
        self.assertEqual(self.d.jobs(), [])
