# SPDX-License-Identifier: MIT
"""Jobs handed ahead (docs/PROTOCOL.md): a runner busy with short jobs is
handed the next one to start the moment its slot frees.  The job stays
queued until then, shows where it waits, and is cancelled, or handed out
again when its runner dies, without counting an attempt."""
import signal

from harness import SsciTest

# The test sleeps for as long as the file "sleep" says.
SLEEPING_TEST = '#!/bin/sh\nexec sleep "$(cat sleep)"\n'


class TestAhead(SsciTest):
    def setUp(self):
        super().setUp()
        self.repo = self.make_repo("repo")
        self.d = self.dispatcher()

    def push(self, seconds, what):
        return self.commit(self.repo, what, {".ssci/test": SLEEPING_TEST,
                                             "sleep": f"{seconds}\n",
                                             "what": what})

    def dispatch(self, commit):
        reply = self.d.query({"type": "dispatch", "repo": self.repo,
                              "commit": commit, "branch": "main"})
        self.assertEqual(reply["type"], "ok", reply)
        return reply["job"]

    def job(self, job_id):
        return next(j for j in self.d.jobs() if j["id"] == job_id)

    def runner_status(self, name):
        status = self.d.query({"type": "status"})
        return next(r for r in status["runners"] if r["name"] == name)

    def test_held_ahead_cancelled_and_given_back(self):
        r1 = self.runner(self.d, "r1")
        short = self.push(0.01, "short")
        self.dispatch(short)
        self.wait_results(self.d, [short])
        # r1's last job was short: with its slot busy, it takes one ahead.
        long_one = self.push(2, "long")
        long_job = self.dispatch(long_one)
        self.wait_for(lambda: self.job(long_job)["state"] == "running",
                      "the long job to start")
        first = self.push(0.01, "first ahead")
        first_job = self.dispatch(first)
        self.wait_for(lambda: self.runner_status("r1")["ahead"] ==
                      [first_job], "a job held ahead by r1")
        held = self.job(first_job)
        self.assertEqual(held["state"], "queued", held)
        queue = self.d.query({"type": "status"})["queue"]
        self.assertIn("handed ahead to runner 'r1'", queue[0]["waiting"])
        self.assertEqual(self.runner_status("r1")["busy"], 1)
        # Cancelled while held: it ends at once, the long job goes on.
        reply = self.d.query({"type": "cancel", "id": first_job})
        self.assertEqual(reply["type"], "ok", reply)
        self.wait_results(self.d, [first])
        self.assertIn("result: cancelled", self.d.result(first))
        self.assertEqual(self.job(long_job)["state"], "running")
        self.wait_for(lambda: self.runner_status("r1")["ahead"] == [],
                      "r1 to drop the cancelled job")
        # Another, held ahead; its runner dies with -9 before starting it.
        second = self.push(0.01, "second ahead")
        second_job = self.dispatch(second)
        self.wait_for(lambda: self.runner_status("r1")["ahead"] ==
                      [second_job], "a second job held ahead")
        r1.signal(signal.SIGKILL)
        self.wait_for(lambda: not any(
            r["name"] == "r1" for r in
            self.d.query({"type": "status"})["runners"]), "r1 to be lost")
        self.assertEqual(self.job(second_job)["state"], "queued")
        self.assertEqual(self.job(second_job)["attempt"], 0)
        self.runner(self.d, "r2")
        self.wait_results(self.d, [long_one, second])
        for commit in (long_one, second):
            text = "\n" + self.d.result(commit)
            self.assertEqual(text.count("\nresult: "), 1, text)
            self.assertIn("result: passed", self.d.result(commit))
        self.assertEqual(self.job(second_job)["attempt"], 1)
        self.assertEqual(self.job(second_job)["runner"], "r2")
        # The long job's first runner died with it: its second attempt.
        self.assertEqual(self.job(long_job)["attempt"], 2)

    def test_one_job_at_a_time_in_order(self):
        """Short jobs back to back: each starts after the one before it
        ended, on the runner's clock too (its duration)."""
        self.runner(self.d, "r1")
        commits = [self.push(0.01, f"c{i}") for i in range(8)]
        ids = [self.dispatch(c) for c in commits]
        self.wait_results(self.d, commits)
        jobs = [self.job(i) for i in ids]
        for before, after in zip(jobs, jobs[1:]):
            self.assertLessEqual(before["finished_ms"], after["started_ms"])
