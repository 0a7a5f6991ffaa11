# SPDX-License-Identifier: MIT
"""Dispatcher loss (issue 3, docs/PROTOCOL.md): a dispatcher killed with
-9 while 2 jobs run and 20 wait, and restarted at once on the same port
and state folder, ends all 22 with exactly one result each while the
runners reconnect by themselves; commits made while the dispatcher is down
are all tested once it is back, the observer retrying meanwhile.  Both
restart on the port just freed by a kill, so neither waits for TIME_WAIT."""
import os

from faults_util import FAST, WAIT_BODY, FaultTest
from harness import git

QUEUED, RUNNING = 20, 2


class TestDispatcherFaults(FaultTest):
    def test_kill9_with_jobs_queued_and_running_loses_nothing(self):
        repo, first = self.repo_with(WAIT_BODY)
        commits = [first] + [self.commit(repo, f"commit {i}")
                             for i in range(QUEUED + RUNNING - 1)]
        d = self.dispatcher(args=FAST)
        runners = [self.runner(d, f"runner{i + 1}") for i in range(RUNNING)]
        self.notify_ok(d, repo, *commits)
        self.wait_runs(RUNNING)

        def states():
            jobs = d.jobs()
            return sorted(j["state"] for j in jobs) == \
                ["queued"] * QUEUED + ["running"] * RUNNING and jobs
        running = [j["commit"] for j in
                   self.wait_for(states, "2 jobs running and 20 queued")
                   if j["state"] == "running"]
        d.kill_group()
        # The two running tests end while there is no dispatcher: their
        # runners must deliver the results after reconnecting.
        self.release()
        self.wait_runs(RUNNING, "finished")
        d2 = self.restart_dispatcher(d, args=FAST)
        # What the store kept through the kill: the two running jobs, put
        # back in the queue as the dispatcher starts (the queued ones are
        # checked below: one job each, first attempt).
        self.wait_log(d2, "went back to the queue")
        self.assertIn(f"{RUNNING} jobs that were running went back to the "
                      "queue", d2.stderr())
        jobs = self.check_once_each(d2, commits)
        for job in jobs:
            if job["commit"] not in running:
                self.assertEqual(job["attempt"], 1, job)
        for r in runners:
            self.assertTrue(r.alive(), f"{r.name} kept running")
            self.assertIn("lost dispatcher", r.stderr())
        self.assertLessEqual({j["runner"] for j in jobs},
                             {r.name for r in runners})
        # Nothing lost includes the output of the two tests that ended
        # while the dispatcher was down.
        for commit in commits:
            self.assertIn(f"tested {commit}", d2.result(commit),
                          "the test's output is in its results file")

    def test_commits_while_dispatcher_down_are_tested_after(self):
        repo = self.make_repo("master")
        obs = self.clone(repo, "obs")
        d = self.dispatcher(args=FAST)
        runner = self.runner(d, "runner1")
        observer = self.observer(d, obs)
        tip = git(repo, "rev-parse", "HEAD")
        self.wait_results(d, [tip], "the first tip's result")
        d.kill_group()
        made = [self.commit(repo, f"while down {i}") for i in range(3)]
        self.wait_log(observer, "lost dispatcher")
        self.wait_log(observer, "retrying in")
        self.assertTrue(observer.alive(), observer.stderr())
        self.assertTrue(runner.alive(), runner.stderr())
        with open(os.path.join(obs, ".git", "ssci-observer")) as f:
            self.assertEqual(f.read().split(), ["main", tip],
                             "the mark stays while nobody acknowledges")
        d2 = self.restart_dispatcher(d, args=FAST)
        self.check_once_each(d2, [tip] + made)
        self.assertTrue(observer.alive() and runner.alive())
