# SPDX-License-Identifier: MIT
"""A full disk (issue 10, bugs 1 and 2): the state dir or the results dir
fills up while jobs run, then space comes back.  No job stays stuck, no
result is lost, every final job gets its results file, and a job's own
output cannot fill the disk so far that its result has no room.  Needs
root for the tmpfs mounts (CI runs as root)."""
import os
import re
import signal
import unittest

from faults_util import WAIT_BODY, FaultTest
from harness import only_on

FLOOD = 'head -c 40000000 /dev/zero | tr "\\0" "x" | fold -w 100\n'


@unittest.skipUnless(os.geteuid() == 0, "mounting a tmpfs needs root")
@only_on("sqlite", why="the store fills the state dir's disk only when it "
         "is a file there; PostgreSQL's disk is the server's")
class TestFullDisk(FaultTest):
    def one_result(self, d, commit, state="passed"):
        lines = self.result_lines(d, commit)
        self.assertEqual(len(lines), 1, d.result(commit))
        self.assertTrue(lines[0].startswith(f"result: {state} "), lines)

    def test_state_dir_full_then_space_back(self):
        state = self.mount("state", "32m")
        repo, first = self.repo_with(WAIT_BODY)
        second = self.commit(repo, "second")
        d = self.dispatcher(args=("--state-dir", os.path.join(state, "s")))
        runner = self.runner(d, "runner1")
        self.notify_ok(d, repo, first, second)
        self.wait_runs(1)
        filler = self.fill(state)
        self.release()
        # The result is refused for now, kept by the runner, sent again.
        self.wait_log(runner, "cannot take the result")
        self.assertEqual([j["state"] for j in d.jobs()],
                         ["running", "queued"])
        os.unlink(filler)
        self.wait_jobs(d, 2)
        self.assertEqual([j["state"] for j in d.jobs()],
                         ["passed", "passed"], d.jobs())
        self.one_result(d, first)
        self.one_result(d, second)

    def test_runner_lost_while_full_job_queued_again_later(self):
        state = self.mount("state", "32m")
        repo, commit = self.repo_with(WAIT_BODY)
        d = self.dispatcher(args=("--state-dir", os.path.join(state, "s"),
                                  "--heartbeat", "0.2", "--runner-timeout",
                                  "0.6"))
        first = self.runner(d, "runner1")
        self.notify_ok(d, repo, commit)
        self.wait_runs(1)
        filler = self.fill(state)
        first.signal(signal.SIGKILL)
        self.wait_lost(d, first)
        # The store could not take the job back: it is nobody's now.
        self.assertEqual(d.jobs()[0]["state"], "running")
        os.unlink(filler)
        self.release()
        self.runner(d, "runner2")
        self.wait_log(d, "back in the queue: no runner held it")
        self.wait_jobs(d, 1)
        self.assertEqual(d.jobs()[0]["state"], "passed", d.jobs())
        self.assertEqual(d.jobs()[0]["runner"], "runner2")
        self.one_result(d, commit)

    def test_own_output_cannot_starve_the_store(self):
        state = self.mount("state", "24m")
        repo, flood = self.repo_with(FLOOD)
        after = self.commit(repo, "after the flood")
        d = self.dispatcher(args=("--state-dir", os.path.join(state, "s"),
                                  "--max-log-bytes", "100000000"))
        self.runner(d, "runner1")
        self.notify_ok(d, repo, flood, after)
        self.wait_jobs(d, 2)
        self.assertEqual([j["state"] for j in d.jobs()],
                         ["passed", "passed"], d.jobs())
        self.one_result(d, flood)
        self.one_result(d, after)
        self.assertRegex(d.result(flood), r"\nssci: output dropped from "
                         r"here: the dispatcher's disk is nearly full")

    def test_results_dir_full_then_space_back_and_restart(self):
        results = self.mount("results", "4m")
        repo = self.make_repo()
        filler = self.fill(results)
        # --min-free 0: dispatches taken on a full disk, so that the
        # results file's wait is what is tried (test_retention tests
        # the refusal).
        d = self.dispatcher(args=("--results-dir", results,
                                  "--min-free", "0"))
        self.runner(d, "runner1")
        first = self.commit(repo, "first")
        self.notify_ok(d, repo, first)
        self.wait_jobs(d, 1)
        self.wait_log(d, "will be written when it can be")
        self.assertIsNone(d.result(first))
        os.unlink(filler)
        self.one_result(d, first)

        # Full again, and the dispatcher dies before it could write.
        filler = self.fill(results)
        second = self.commit(repo, "second")
        self.notify_ok(d, repo, second)
        self.wait_jobs(d, 2)
        self.wait_for(lambda: len(re.findall("will be written when it can",
                                             d.stderr())) >= 2,
                      "the second results file to wait")
        d.signal(signal.SIGKILL)
        d.popen.wait()
        os.unlink(filler)
        d2 = self.restart_dispatcher(d, args=("--results-dir", results,
                                              "--min-free", "0"))
        self.one_result(d2, second)
        self.one_result(d2, first)
