# SPDX-License-Identifier: MIT
"""Several dispatcher addresses (--dispatcher-server A,B): runners,
observers, ssci notify and the client commands try them in turn and go
on with whichever answers; when the one they are connected to is lost,
they move to another on their own, with the same quick retries and
backoff as with one address."""
import os
import signal
import socket

from faults_util import FAST, FaultTest
from harness import git


def dead_address():
    """A loopback address where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


class TestSeveralDispatchers(FaultTest):
    def start_runner(self, servers, name="runner1"):
        p = self.start(name, "runner", "--dispatcher-server", servers,
                       "--name", name, "--work-dir",
                       os.path.join(self.tmp, f"{name}-work"))
        self.wait_for(lambda: "registered with" in p.stderr() or
                      not p.alive(), f"runner {name} to register")
        return p

    def test_the_one_that_answers(self):
        dead = dead_address()
        d = self.dispatcher(args=FAST)
        both = f"{dead},{d.address}"
        runner = self.start_runner(both)
        self.assertIn(f"registered with {d.address} ", runner.stderr())
        repo = self.make_repo()
        commit = git(repo, "rev-parse", "HEAD")
        self.notify_ok(both, repo, commit)
        self.assertEqual(self.final_job(d, commit)["state"], "passed")
        status = self.ssci("status", "--dispatcher-server", both)
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn("runner1", status.stdout)
        # None answers: one error, naming the whole list.
        none = f"{dead},{dead_address()}"
        proc = self.ssci("status", "--dispatcher-server", none)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"unable to connect to {none}: ", proc.stderr)

    def test_moving_to_the_other_when_one_is_lost(self):
        a = self.dispatcher("a", args=FAST)
        b = self.dispatcher("b", args=FAST)
        both = f"{a.address},{b.address}"
        repo = self.make_repo()
        watched = self.clone(repo, "watched")
        runner = self.start_runner(both)
        observer = self.start("observer", "observer", "--dispatcher-server",
                              both, "--interval", "0.2", watched)
        tip = git(repo, "rev-parse", "HEAD")
        self.wait_results(a, [tip], "the tip's result from the first")
        self.assertIn(f"registered with {a.address} ", runner.stderr())
        a.signal(signal.SIGKILL)
        a.popen.wait()
        self.wait_log(runner, f"registered with {b.address} ")
        self.wait_log(observer, f"reconnected to dispatcher {b.address}")
        later = self.commit(repo, "after the first was lost")
        self.assertEqual(self.final_job(b, later)["state"], "passed")
        self.wait_results(b, [later])
        self.assertTrue(runner.alive() and observer.alive())

    def test_malformed_lists_refused(self):
        good = dead_address()
        for bad in (f"{good},", f",{good}", f"{good},,{good}",
                    f"{good},localhost", f"{good},localhost:0"):
            proc = self.ssci("status", "--dispatcher-server", bad)
            self.assertEqual(proc.returncode, 1, bad)
            self.assertIn(f"unable to use dispatcher address '{bad}': "
                          "expected HOST:PORT, or several separated by "
                          "commas", proc.stderr)
