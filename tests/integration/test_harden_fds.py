# SPDX-License-Identifier: MIT
"""Descriptors (issue 10, bug 0): a test gets only 0, 1 and 2 from its
runner, never the runner's connection to the dispatcher; so a runner killed
with -9 is noticed by the dispatcher at once, even while processes of its
test still live."""
import os
import signal
import time

from faults_util import FaultTest, pid_alive

# Records its pid, then becomes a process that opens nothing of its own.
EXEC_SLEEP = '''echo $$ > "$T/pid"
exec sleep 30
'''
# A test whose group outlives its leader: the child records itself.
WITH_CHILD = '''sleep 30 &
echo $! > "$T/child"
echo "$PPID $$ $SSCI_JOB" >> "$T/started"
wait
'''


def fds(pid):
    return sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd"))


class TestDescriptors(FaultTest):
    def read_pid(self, name):
        def read():
            try:
                with open(self.path(name)) as f:
                    text = f.read().strip()
                return int(text) if text else None
            except FileNotFoundError:
                return None
        return self.wait_for(read, f"the test to write {name}")

    def test_test_has_only_stdin_stdout_stderr(self):
        repo, commit = self.repo_with(EXEC_SLEEP)
        d = self.dispatcher()
        self.runner(d, "runner1")
        self.notify_ok(d, repo, commit)
        pid = self.read_pid("pid")
        # Look once sleep sleeps: exec has happened, and so has sleep's
        # own start-up, which opens files of its own for a moment (such as
        # /etc/locale.alias) that are not the runner's.
        self.wait_for(lambda: open(f"/proc/{pid}/comm").read().strip() ==
                      "sleep" and "nanosleep" in
                      open(f"/proc/{pid}/wchan").read(),
                      "the test to exec sleep and sleep")
        self.assertEqual(fds(pid), [0, 1, 2],
                         [os.readlink(f"/proc/{pid}/fd/{fd}")
                          for fd in fds(pid)])

    def test_runner_kill9_noticed_at_once_while_test_lives(self):
        repo, commit = self.repo_with(WITH_CHILD)
        d = self.dispatcher(args=("--heartbeat", "1", "--runner-timeout",
                                  "5"))
        runner = self.runner(d, "runner1")
        self.notify_ok(d, repo, commit)
        self.wait_runs(1)
        child = self.read_pid("child")
        t0 = time.monotonic()
        runner.signal(signal.SIGKILL)
        reason = self.wait_lost(d, runner)
        took = time.monotonic() - t0
        self.assertTrue(pid_alive(child), "the test's child still runs")
        self.assertEqual(reason, "connection closed")
        self.assertLess(took, 0.5, "noticed at once, not by heartbeats")
