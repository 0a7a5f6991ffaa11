# SPDX-License-Identifier: MIT
"""up_util.py - what the issue 5 tests (test_up.py, test_many.py) share on
top of faults_util.py: "ssci up" started as a Proc whose jobs and
results are asked for like a harness Dispatcher's, the process table read from
/proc (children, process groups, processes naming the test's folder), and
cleanup that stops every "ssci up" before killing what is left of the
test's processes, by PID.
"""
import os
import re
import signal
import socket

from faults_util import FaultTest, pid_alive
from harness import SSCI, Proc, Queryable


def proc_stat(pid):
    """(ppid, pgid, start time) of a live pid, or None (gone or zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[2]), int(fields[19])


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def all_pids():
    return [int(e) for e in os.listdir("/proc") if e.isdigit()]


def children(pid):
    """The live children of pid: {child pid: its cmdline}."""
    return {p: cmdline(p) for p in all_pids()
            if (proc_stat(p) or (None,))[0] == pid}


def same_process(pid, start):
    """Whether pid is still the live process that started at start."""
    st = proc_stat(pid)
    return st is not None and st[2] == start


def up_runner_name(i):
    return f"{socket.gethostname()[:24]}-up-{i}"


class Up(Queryable, Proc):
    """A running "ssci up REPO --port 0"; jobs() and result() as for a
    harness Dispatcher (state in REPO/.git/ssci)."""

    def __init__(self, test, repo, name, args):
        super().__init__(name, [SSCI, "up", "--port", "0", "--http",
                                "127.0.0.1:0", *args, repo],
                         test.tmp)
        test.procs.append(self)
        self.state_dir = os.path.join(repo, ".git", "ssci")
        self.port = int(test.wait_for(lambda: re.search(
            r"^listening on 127\.0\.0\.1:(\d+)$", self.stdout(), re.M),
            f"{name} to listen").group(1))
        self.results_dir = test.wait_for(lambda: re.search(
            r"^results in (.+)$", self.stdout(), re.M),
            f"{name} to say where results go").group(1)

    def children(self):
        return children(self.pid)

    def runner_pids(self):
        return sorted(p for p, cmd in self.children().items()
                      if " runner " in cmd)


class UpTest(FaultTest):
    def setUp(self):
        super().setUp()
        # Runs first (cleanups are last in, first out): stop every "ssci
        # up" (it stops its children), then kill what remains.
        self.addCleanup(self.stop_all)

    def stop_all(self):
        for p in reversed(self.procs):
            try:
                p.stop(timeout=15)
            except OSError:
                pass
        for pid in self.tmp_processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def tmp_processes(self):
        """Live pids that name the test's folder in their command line,
        or carry its marker in their environment (faults_util scripts)."""
        found = set(self.leftovers())
        for pid in all_pids():
            if pid != os.getpid() and self.tmp in cmdline(pid) and \
                    pid_alive(pid):
                found.add(pid)
        return sorted(found)

    def up(self, repo, *args, name="up"):
        return Up(self, repo, name, args)

    def wait_ready(self, u, runners):
        """Wait until runners runners registered and the observer
        watches (counted in u's stderr from now on)."""
        self.wait_for(lambda: u.stderr().count("runner info: registered "
                                               "with") >= runners and
                      "observer info: watching" in u.stderr(),
                      f"{u.name}'s {runners} runners and observer")

    def jobs_of(self, d, commit):
        return [j for j in d.jobs() if j["commit"] == commit]

    def assert_passed(self, d, commits):
        """Each commit has one job, passed, and a passed result."""
        self.wait_results(d, commits)
        for c in commits:
            rows = self.wait_for(lambda: [j for j in self.jobs_of(d, c)
                                          if j["finished_ms"]],
                                 f"the job of {c[:12]} to end")
            rows = self.jobs_of(d, c)
            self.assertEqual([j["state"] for j in rows], ["passed"],
                             f"{c}: {rows}\n{self.logs()}")
            self.assertRegex(d.result(c),
                             re.compile(r"^result: passed ", re.M))
