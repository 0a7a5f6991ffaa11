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
from faults_util import FAST
from harness import free_port, only_on
from standby_util import StandbyTest

RUNNER_TIMEOUT = 1.0  # FAST's --runner-timeout


@only_on("postgresql", why="dispatchers share a PostgreSQL database")
class TestStandby(StandbyTest):
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

    def test_kill_9_of_the_active_with_30_queued_and_2_running(self):
        a, b, store = self.two()
        both = f"{a.address},{b.address}"
        repo, commits, runners, observer = self.busy(a, both, 32)

        killed = time.monotonic()
        a.signal(signal.SIGKILL)
        a.popen.wait()
        b.wait_listening(self)
        took = time.monotonic() - killed
        self.assertLessEqual(took, RUNNER_TIMEOUT + 2, b.stderr())
        for r in runners:
            self.wait_log(r, f"registered with {b.address} ")
        self.wait_log(observer, f"reconnected to dispatcher {b.address}")

        self.check_whole(b, commits)

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
