# SPDX-License-Identifier: MIT
"""Runner loss (issue 3, docs/PROTOCOL.md): a runner killed with -9 or
frozen with SIGSTOP mid-test loses its job to another runner (or to one
that registers later) with the attempt raised; a frozen runner's late
result is refused; a job that kills its runner every time ends as error
after 3 attempts.  The test of each job is an .ssci/test that records
"runner pid, test pid, job" and waits for a release file."""
import os
import signal
import time

from faults_util import FAST, WAIT_BODY, FaultTest
from harness import git

HEARTBEAT, RUNNER_TIMEOUT = 0.25, 1
# Declared lost within the runner timeout, give or take a heartbeat.
LOST_WITHIN = RUNNER_TIMEOUT + HEARTBEAT + 1.5
KILL_MY_RUNNER = '''echo "$PPID $$ $SSCI_JOB" >> "$T/started"
kill -9 $PPID
'''


class TestRunnerFaults(FaultTest):
    def fleet(self, body, runners):
        """A dispatcher, runners runner1..N, and one commit whose
        .ssci/test is body, dispatched; returns (dispatcher, commit)."""
        repo, commit = self.repo_with(body)
        d = self.dispatcher(args=FAST)
        for i in range(runners):
            self.runner(d, f"runner{i + 1}")
        self.notify_ok(d, repo, commit)
        return d, commit

    def kill9(self, runner):
        runner.signal(signal.SIGKILL)
        runner.popen.wait()

    def test_killed_runner_job_done_by_another(self):
        d, commit = self.fleet(WAIT_BODY, 2)
        first = self.runner_of(self.wait_runs(1)[0][0])
        self.kill9(first)
        second = self.runner_of(self.wait_runs(2)[1][0])
        self.assertIsNot(second, first)
        self.release()
        self.assert_result(d, commit, "passed", second.name, 2)
        self.assertIn(f"tested {commit}", d.result(commit))
        self.assertEqual(len(d.jobs()), 1, d.jobs())

    def test_killed_only_runner_job_waits_for_next_runner(self):
        d, commit = self.fleet(WAIT_BODY, 1)
        only = self.runner_of(self.wait_runs(1)[0][0])
        self.kill9(only)
        self.wait_lost(d, only)
        job = self.wait_for(lambda: [j for j in d.jobs()
                                     if j["state"] == "queued"],
                            "the job to be queued again")[0]
        self.assertEqual(job["commit"], commit)
        late = self.runner(d, "latecomer")
        self.assertEqual(self.wait_runs(2)[1][0], late.pid)
        self.release()
        self.assert_result(d, commit, "passed", "latecomer", 2)
        self.assertEqual(len(d.jobs()), 1, d.jobs())

    def test_frozen_runner_lost_and_late_result_refused(self):
        d, commit = self.fleet(WAIT_BODY, 2)
        frozen = self.runner_of(self.wait_runs(1)[0][0])
        self.addCleanup(frozen.signal, signal.SIGCONT)
        t0 = time.monotonic()
        frozen.signal(signal.SIGSTOP)
        self.assertEqual(self.wait_lost(d, frozen), "no answer to heartbeats")
        self.assertLess(time.monotonic() - t0, LOST_WITHIN,
                        "declared lost within the runner timeout")
        other = self.runner_of(self.wait_runs(2)[1][0])
        self.assertIsNot(other, frozen)
        self.release()
        self.assert_result(d, commit, "passed", other.name, 2)
        # The frozen runner's test has finished too: it has a result to
        # send once it runs again, and that result must be refused.
        self.wait_for(lambda: any(r[0] == frozen.pid
                                  for r in self.runs("finished")),
                      "the frozen runner's test to finish")
        frozen.signal(signal.SIGCONT)
        self.wait_log(frozen, "refused")
        self.assertRegex(frozen.stderr(), r"result of job \d+ refused: ")
        self.assertTrue(frozen.alive(), frozen.stderr())
        self.assert_result(d, commit, "passed", other.name, 2)
        self.assertEqual(len(d.jobs()), 1, d.jobs())

    def test_job_killing_its_runner_gives_up_after_3_attempts(self):
        d, commit = self.fleet(KILL_MY_RUNNER, 4)
        job = self.final_job(d, commit)
        runs = self.runs()
        self.assertEqual(len(runs), 3, runs)
        self.assertEqual(len({pid for pid, _, _ in runs}), 3,
                         "each attempt on another runner")
        last = self.runner_of(runs[2][0])
        self.assert_result(d, commit, "error", last.name, 3)
        self.assertIn("ssci: gave up after 3 attempts; ", d.result(commit))
        self.assertIn("gave up after 3 attempts", job["reason"] or "")
        dead = [p for p in self.procs if p.pid in {r[0] for r in runs}]
        self.assertFalse(any(p.alive() for p in dead))
        spare = [p for p in self.procs if p.name.startswith("runner") and
                 p not in dead]
        self.assertEqual(len(spare), 1)
        self.assertTrue(spare[0].alive(), "the fourth runner got no 4th try")
        self.assertEqual(len(self.runs()), 3)

    def test_clone_left_unfinished_is_made_again(self):
        """A runner killed while it cloned leaves REPOS/<name>.tmp-<slot>
        behind; the next runner in that work dir clones again instead of
        failing every job of the repository."""
        repo = self.make_repo()
        d = self.dispatcher(args=FAST)
        first = self.runner(d, "runner1")
        self.notify_ok(d, repo, git(repo, "rev-parse", "HEAD"))
        self.wait_jobs(d, 1)
        repos = os.path.join(self.tmp, "runner1-work", "repos")
        (clone,) = os.listdir(repos)
        first.stop()
        # What the kill leaves: a clone under its temporary name only.
        os.rename(os.path.join(repos, clone),
                  os.path.join(repos, clone + ".tmp-0"))
        self.runner(d, "runner1")
        later = self.commit(repo, "after the kill")
        self.notify_ok(d, repo, later)
        job = self.final_job(d, later)
        self.wait_results(d, [later])
        self.assertEqual(job["state"], "passed", d.result(later))
        self.assertIn("a clone left unfinished", d.result(later))
        self.assertEqual(sorted(os.listdir(repos)), [clone])

    def test_a_commit_on_no_branch(self):
        """A commit that only a ref outside the branches holds (a pull
        request's head): the fetch of the branches does not bring it,
        the fetch by its id does, and it passes in a clone that had
        every commit before it."""
        repo = self.make_repo()
        d = self.dispatcher(args=FAST)
        self.runner(d, "runner1")
        first = git(repo, "rev-parse", "HEAD")
        self.notify_ok(d, repo, first)
        self.wait_results(d, [first])
        pull = self.commit(repo, "a pull request's head")
        git(repo, "update-ref", "refs/pull/1/head", pull)
        git(repo, "reset", "--quiet", "--hard", first)
        self.notify_ok(d, repo, pull)
        job = self.final_job(d, pull)
        self.assertEqual(job["state"], "passed", d.result(pull))

    def test_a_server_that_gives_no_commit_by_id(self):
        """A server that will not give a commit by its id (protocol v0,
        no uploadpack.allow*SHA1InWant): a commit that is no branch's
        tip comes with the fetch of its branches."""
        repo = self.make_repo()
        for key in ("allowAnySHA1InWant", "allowReachableSHA1InWant",
                    "allowTipSHA1InWant"):
            git(repo, "config", f"uploadpack.{key}", "false")
        d = self.dispatcher(args=FAST)
        env = dict(os.environ, GIT_CONFIG_COUNT="1",
                   GIT_CONFIG_KEY_0="protocol.version",
                   GIT_CONFIG_VALUE_0="0")
        runner = self.start("runner1", "runner", "--dispatcher-server",
                            d.address, "--name", "runner1", "--work-dir",
                            os.path.join(self.tmp, "runner1-work"), env=env)
        self.wait_for(lambda: "registered with" in runner.stderr(),
                      "the runner to register")
        first = git(repo, "rev-parse", "HEAD")
        self.notify_ok(d, repo, first)
        self.wait_results(d, [first])
        # Two commits; the older, no tip, is asked for.
        older = self.commit(repo, "not the tip")
        self.commit(repo, "the tip")
        self.notify_ok(d, repo, older)
        job = self.final_job(d, older)
        self.assertEqual(job["state"], "passed", d.result(older))

