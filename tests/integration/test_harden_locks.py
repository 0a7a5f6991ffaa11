# SPDX-License-Identifier: MIT
"""One process per folder (issue 10, bugs 3 and 4, and the runner's
leftover tests): a second "ssci up", dispatcher or runner on the same state
or work dir is refused, naming the first; "ssci up" killed with -9 takes
its children with it and a new one starts cleanly, taking over from what
an earlier "up" left; a runner killed with -9 takes its test along, and one
started again on its work dir ends what that test left running."""
import os
import re
import signal
import subprocess
import time

from faults_util import WAIT_BODY, pid_alive
from harness import SSCI, git
from up_util import UpTest

# A test whose group outlives its leader: the child records itself.
WITH_CHILD = '''sleep 300 &
echo $! > "$T/child"
echo "$PPID $$ $SSCI_JOB" >> "$T/started"
while [ ! -e "$T/release" ]; do sleep 0.1; done
'''


class TestLocks(UpTest):
    def read_int(self, name):
        path = self.path(name)
        return self.wait_for(lambda: os.path.exists(path) and
                             open(path).read().strip() and
                             int(open(path).read()), f"{name} to be written")

    def test_second_up_refused_naming_the_first(self):
        repo = self.make_repo()
        u = self.up(repo, "--runners", "1")
        self.wait_ready(u, 1)
        second = self.ssci("up", "--port", "0", "--http", "off", repo)
        self.assertEqual(second.returncode, 1, second.stderr)
        self.assertIn(f"ssci up is already running on '{repo}' (pid "
                      f"{u.pid}, dispatcher at 127.0.0.1:{u.port})",
                      second.stderr)
        self.assertTrue(u.alive())

    def test_second_dispatcher_and_runner_refused(self):
        d = self.dispatcher()
        state = d.state_dir
        other = self.ssci("dispatcher", "--port", "0", "--http", "off",
                          "--state-dir", state)
        self.assertEqual(other.returncode, 1, other.stderr)
        self.assertIn(f"unable to use state dir '{state}': a dispatcher "
                      f"(pid {d.pid}, listening on 127.0.0.1:{d.port}) "
                      "uses it", other.stderr)
        repo = self.make_repo()
        self.notify_ok(d, repo, git(repo, "rev-parse", "HEAD"))
        first = self.runner(d, "runner1")
        self.wait_jobs(d, 1)
        work = os.path.join(self.tmp, "runner1-work")
        clash = self.ssci("runner", "--dispatcher-server", d.address,
                          "--name", "runner2", "--work-dir", work)
        self.assertEqual(clash.returncode, 1, clash.stderr)
        self.assertIn(f"unable to use '{work}': runner 'runner1' (pid "
                      f"{first.pid}) works there", clash.stderr)
        # With a clone: the clone is the runner's.
        clone = self.clone(repo, "clone")
        self.start("clone-runner1", "runner", "--dispatcher-server",
                   d.address, "--name", "c1", clone)
        self.wait_for(lambda: os.path.exists(os.path.join(
            clone, ".git", "ssci-runner", "runner.lock")), "the lock")
        self.wait_log(self.procs[-1], "registered with")
        clash = self.ssci("runner", "--dispatcher-server", d.address,
                          "--name", "c2", clone)
        self.assertEqual(clash.returncode, 1, clash.stderr)
        self.assertIn("runner 'c1'", clash.stderr)

    def test_up_killed_takes_its_children_and_restarts_cleanly(self):
        repo = self.make_repo()
        u = self.up(repo, "--runners", "2", "--interval", "1")
        self.wait_ready(u, 2)
        kids = list(u.children())
        self.assertEqual(len(kids), 4, kids)
        u.signal(signal.SIGKILL)
        u.popen.wait()
        self.wait_for(lambda: not any(pid_alive(p) for p in kids),
                      "the children of the killed up to end", timeout=20)
        u2 = self.up(repo, "--runners", "1", "--interval", "1", name="up-2")
        self.wait_ready(u2, 1)
        commit = self.commit(repo, "after the restart")
        self.assert_passed(u2, [commit])
        self.assertNotIn("Address already in use", u2.stderr())

    def test_up_takes_over_from_leftovers_not_from_strangers(self):
        repo = self.make_repo()
        state = os.path.join(repo, ".git", "ssci")
        # A dispatcher started by hand on up's state dir is not ours.
        stranger = self.dispatcher("stranger", args=("--state-dir", state))
        proc = self.ssci("up", "--port", "0", "--http", "off", repo)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn(f"a dispatcher not started by ssci up (pid "
                      f"{stranger.pid}, listening on 127.0.0.1:"
                      f"{stranger.port}) uses '{state}'", proc.stderr)
        stranger.stop()
        # One left by an "ssci up" that is gone is taken over.
        env = dict(os.environ, SSCI_UP_PID="999999")
        left = self.start("leftover", "dispatcher", "--port", "0", "--http",
                          "off", "--state-dir", state, env=env)
        self.wait_for(lambda: "listening on" in left.stdout(),
                      "the leftover to listen")
        u = self.up(repo, "--runners", "1")
        self.wait_ready(u, 1)
        self.assertIn(f"a dispatcher left by an earlier ssci up (pid "
                      f"{left.pid}) still runs", u.stderr())
        self.wait_for(lambda: not left.alive(), "the leftover to stop")
        self.assert_passed(u, [git(repo, "rev-parse", "HEAD")])

    def test_runner_killed_takes_its_test_and_restart_ends_the_rest(self):
        repo, commit = self.repo_with(WITH_CHILD)
        d = self.dispatcher(args=("--heartbeat", "1", "--runner-timeout",
                                  "2"))
        runner = self.runner(d, "runner1")
        self.notify_ok(d, repo, commit)
        _, test_pid, _ = self.wait_runs(1)[0]
        child = self.read_int("child")
        runner.signal(signal.SIGKILL)
        runner.popen.wait()
        self.wait_for(lambda: not pid_alive(test_pid),
                      "the test to die with its runner")
        self.assertTrue(pid_alive(child), "its child lives on")
        os.unlink(self.path("started"))
        again = self.runner(d, "runner1")
        self.wait_for(lambda: not pid_alive(child),
                      "the restarted runner to end the leftover")
        self.assertIn("left by an earlier runner's test", again.stderr())
        self.wait_runs(1)
        self.release()
        self.wait_jobs(d, 1)
        job = d.jobs()[0]
        self.assertEqual((job["state"], job["attempt"]), ("passed", 2), job)
