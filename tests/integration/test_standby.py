# SPDX-License-Identifier: MIT
"""Dispatchers sharing one PostgreSQL database: the one holding the
active lock listens and works, the others stand by, not listening; when
the active is killed the standby takes over by itself, runners and
observers move to it, every job ends with one result and its whole log,
and the old active, started again, stands by and changes nothing."""
import os
import signal
import time

import pg_util
from faults_util import FAST, FaultTest
from harness import free_port, only_on

RUNNER_TIMEOUT = 1.0  # FAST's --runner-timeout
# Each run says when it begins, waits for the release, says it ends.
BODY = '''echo "begin $SSCI_COMMIT"
echo "$PPID $$ $SSCI_JOB" >> "$T/started"
n=0
while [ ! -e "$T/release" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done
echo "end $SSCI_COMMIT"
'''


@only_on("postgresql", why="dispatchers share a PostgreSQL database")
class TestStandby(FaultTest):
    def two(self):
        """An active dispatcher and a standby on one database, each on a
        port of its own; and the address list naming both."""
        store = pg_util.store_args(os.path.join(self.tmp, "shared"),
                                   self.pg_databases)
        a = self.dispatcher("a", port=free_port(), args=(*FAST, *store))
        b = self.dispatcher("b", port=free_port(), args=(*FAST, *store),
                            wait=False)
        self.wait_log(b, "standing by: another dispatcher is active")
        self.assertNotIn("listening on", b.stdout())
        return a, b, store

    def commits(self, n):
        """A repository with n commits whose test is BODY."""
        repo, first = self.repo_with(BODY)
        commits = [first]
        for i in range(n - 1):
            commits.append(self.commit(repo, f"change {i}",
                                       {"change.txt": f"{i}\n"}))
        return repo, commits

    def test_kill_9_of_the_active_with_30_queued_and_2_running(self):
        a, b, store = self.two()
        both = f"{a.address},{b.address}"
        repo, commits = self.commits(32)
        runners = [self.start(name, "runner", "--dispatcher-server", both,
                              "--name", name, "--work-dir",
                              os.path.join(self.tmp, f"{name}-work"))
                   for name in ("runner1", "runner2")]
        for r in runners:
            self.wait_log(r, f"registered with {a.address} ")
        self.notify_ok(a.address, repo, *commits)
        self.wait_runs(2)
        states = sorted(j["state"] for j in a.jobs())
        self.assertEqual(states, ["queued"] * 30 + ["running"] * 2)
        watched = self.clone(repo, "watched")
        observer = self.start("observer", "observer", "--dispatcher-server",
                              both, "--interval", "0.2", watched)
        self.wait_log(observer, f"dispatcher {a.address}")

        killed = time.monotonic()
        a.signal(signal.SIGKILL)
        a.popen.wait()
        b.wait_listening(self)
        took = time.monotonic() - killed
        self.assertLessEqual(took, RUNNER_TIMEOUT + 2, b.stderr())
        for r in runners:
            self.wait_log(r, f"registered with {b.address} ")
        self.wait_log(observer, f"reconnected to dispatcher {b.address}")

        self.release()
        jobs = self.check_once_each(b, commits)
        self.assertEqual(len(jobs), 32)
        for commit in commits:
            text = b.result(commit)
            self.assertIn(f"begin {commit}\n", text)
            self.assertIn(f"end {commit}\n", text)
        # The two that ran through the takeover ran once: no run began
        # again for them, and each was adopted by its runner.
        self.assertEqual(len(self.runs()), 32, self.runs())

        # The observer reports to the new active.
        later = self.commit(repo, "after the takeover")
        self.wait_results(b, [later], "the observer's commit")
        self.assertIn(f"end {later}\n", b.result(later))

        # The old active comes back: it stands by and changes nothing.
        before = b.jobs()
        a2 = self.restart_dispatcher(a, args=(*FAST, *store), wait=False)
        self.wait_log(a2, "standing by: another dispatcher is active")
        time.sleep(1)
        self.assertNotIn("listening on", a2.stdout())
        self.assertEqual(b.jobs(), before)
        self.assertEqual(os.listdir(a.results_dir), [])
        self.assertTrue(all(r.alive() for r in runners))
