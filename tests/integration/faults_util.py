# SPDX-License-Identifier: MIT
"""faults_util.py - what the fault tests (issue 3) share on top of
harness.py: repositories whose test is an executable .ssci/test shell
script, a "started" file each run of it appends "RUNNER_PID TEST_PID JOB"
to (its parent is the runner), a "release" file the test creates to let
waiting runs finish, a dispatcher restart on the same port and state
folder, and cleanup of every process a test's script left behind.

Every process a script starts carries SSCI_FAULTS_TMP=<the test's
folder> in its environment (the script re-executes itself with it), so
the processes of one test are found by reading /proc/*/environ.
"""
import os
import re
import signal
import subprocess
import time

from harness import SsciTest

MARK = "SSCI_FAULTS_TMP"
FAST = ("--heartbeat", "0.25", "--runner-timeout", "1")
# The waiting run: records itself, then waits (bounded) for the release.
WAIT_BODY = '''echo "$PPID $$ $SSCI_JOB" >> "$T/started"
n=0
while [ ! -e "$T/release" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done
echo "tested $SSCI_COMMIT"
echo "$PPID $$ $SSCI_JOB" >> "$T/finished"
'''


def pid_alive(pid):
    """Whether pid is a live process (a zombie counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class FaultTest(SsciTest):
    def setUp(self):
        super().setUp()
        self.addCleanup(self.kill_leftovers)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def mount(self, name, size):
        """A tmpfs of size at tmp/name (needs root), unmounted after the
        test once its processes have stopped."""
        path = self.path(name)
        os.makedirs(path)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}",
                        "tmpfs", path], check=True)

        def unmount():
            for p in self.procs:
                p.stop()
            subprocess.run(["umount", "-l", path])
        self.addCleanup(unmount)
        return path

    def fill(self, path, leave=0):
        """Write path/filler until the disk is full, or until less than
        leave bytes are free; its path."""
        filler = os.path.join(path, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (1 << 16, 512, 1):
                try:
                    while True:
                        st = os.statvfs(path)
                        if st.f_bavail * st.f_frsize < leave:
                            return filler
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)
        return filler

    def shrink(self, filler, leave):
        """Give back part of filler's room, so that about leave bytes are
        free: in one truncate, so the free space never passes leave on
        the way (an unlink and a new fill would show a full disk's
        watcher a free one in between)."""
        st = os.statvfs(os.path.dirname(filler))
        free = st.f_bavail * st.f_frsize
        size = os.path.getsize(filler)
        os.truncate(filler, max(0, size - max(0, leave - free)))

    def script(self, body):
        """The text of a .ssci/test: sh, $T the test's folder, body."""
        return ("#!/bin/sh\n"
                f'[ -n "${MARK}" ] || exec env {MARK}="{self.tmp}" "$0" "$@"\n'
                f'T="${MARK}"\nexport T\n{body}')

    def repo_with(self, body, name="repo"):
        """A repository whose last commit adds .ssci/test with body;
        returns (repo, that commit)."""
        repo = self.make_repo(name)
        return repo, self.commit(repo, "add .ssci/test",
                                 {".ssci/test": self.script(body)})

    def release(self):
        open(self.path("release"), "w").close()

    def runs(self, name="started"):
        """[(runner pid, test pid, job)] from the started/finished file."""
        try:
            with open(self.path(name)) as f:
                return [tuple(int(x) for x in line.split())
                        for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def wait_runs(self, count, name="started"):
        return self.wait_for(lambda: len(self.runs(name)) >= count and
                             self.runs(name), f"{count} runs {name}")

    def runner_of(self, pid):
        """The runner Proc whose pid is pid."""
        return next(p for p in self.procs if p.pid == pid)

    def notify_ok(self, d, repo, *commits):
        proc = self.notify(d, repo, *commits)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc

    def final_job(self, d, commit):
        """The one job of commit, once it is final (asserts one)."""
        def final():
            rows = [j for j in d.jobs() if j["commit"] == commit]
            return rows if rows and rows[0]["finished_ms"] else None
        rows = self.wait_for(final, f"the job of {commit[:12]} to end")
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def result_lines(self, d, commit):
        """The "result: " lines of commit's results file (waits for one)."""
        self.wait_results(d, [commit])
        return re.findall(r"^result: .*$", d.result(commit), re.M)

    def assert_result(self, d, commit, state, runner, attempt):
        """Exactly one result line, with this state, runner and attempt;
        and the job agrees."""
        lines = self.result_lines(d, commit)
        self.assertEqual(len(lines), 1, d.result(commit))
        self.assertRegex(lines[0], rf"^result: {state}( .*)? runner={runner} "
                         rf"attempt={attempt} job=\d+$")
        job = self.final_job(d, commit)
        self.assertEqual((job["state"], job["runner"], job["attempt"]),
                         (state, runner, attempt), job)
        return job

    def check_once_each(self, d, commits):
        """Every commit passed, with one job and one results file
        holding one result; no other results file.  The jobs."""
        self.wait_results(d, commits)
        jobs = self.wait_jobs(d, len(commits))
        self.assertEqual(sorted(j["commit"] for j in jobs),
                         sorted(commits), "one job per commit")
        self.assertEqual({j["state"] for j in jobs}, {"passed"},
                         [(j["commit"][:8], j["state"], j.get("reason"))
                          for j in jobs if j["state"] != "passed"])
        self.assertEqual(sorted(os.listdir(d.results_dir)), sorted(commits))
        for commit in commits:
            text = d.result(commit)
            self.assertEqual(len(re.findall(r"^result: ", text, re.M)), 1,
                             text)
            self.assertRegex(text, r"(^|\n)result: passed ")
        return jobs

    def wait_log(self, proc, text, what=None):
        """Wait until proc's stderr contains text; the time it took."""
        t0 = time.monotonic()
        self.wait_for(lambda: text in proc.stderr(),
                      what or f"{proc.name} to log '{text}'")
        return time.monotonic() - t0

    def wait_lost(self, d, runner):
        """Wait for d to log runner as lost; the reason it gives."""
        pattern = rf"runner '{runner.name}' \(\S+\) lost: (.*)"
        return self.wait_for(lambda: re.search(pattern, d.stderr()),
                             f"the dispatcher to declare {runner.name} lost"
                             ).group(1)

    def leftovers(self):
        """Live pids whose environment names this test's folder."""
        needle = f"\0{MARK}={self.tmp}\0".encode()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    env = b"\0" + f.read() + b"\0"
            except OSError:
                continue
            if needle in env and pid_alive(int(entry)):
                found.append(int(entry))
        return found

    def kill_leftovers(self):
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
