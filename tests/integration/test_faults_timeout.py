# SPDX-License-Identifier: MIT
"""Runaway tests (issue 3, docs/PROTOCOL.md): a test that hangs is ended
by the job timeout as `timeout` with no process of it left, even a
grandchild that ignores SIGTERM; a test that exits while a grandchild keeps
its output pipe open, or that closes its output and runs on, is still
handled; output past --max-log-bytes is dropped with a note."""
import os

from faults_util import FaultTest

JOB_TIMEOUT = 2
GRACE = 5  # SIGTERM, then SIGKILL this long after
MAX_LOG = 100000
# Hangs; its child starts two grandchildren.  %s is put before the
# child's commands (a trap) and %s after it (a redirection).
HANG = '''echo "$PPID $$ $SSCI_JOB" >> "$T/started"
sh -c '%s sleep 1000 & echo $! > "$T/grandchild.tmp"
sleep 1000 & echo $! > "$T/quiet.tmp"
mv "$T/quiet.tmp" "$T/quiet"
mv "$T/grandchild.tmp" "$T/grandchild"; wait' %s &
echo $! > "$T/child"
sleep 1000
'''
# Exits at once; a grandchild in the background keeps stdout open.
EXIT_EARLY = '''( sleep 1000 & echo $! > "$T/grandchild" )
echo "parent exiting"
exit 0
'''
# Closes stdout and stderr, runs on until released, then exits 3.
CLOSE_OUTPUT = '''echo "before close"
exec >&- 2>&-
touch "$T/closed"
n=0
while [ ! -e "$T/release" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done
exit 3
'''
# About 1.3 MB of output, then a last line that must not be kept.
FLOOD = '''i=0
while [ $i -lt 20 ]; do head -c 65536 /dev/zero | tr '\\0' x; i=$((i+1)); done
echo
echo "end of flood"
exit 0
'''


class TestRunawayTests(FaultTest):
    def run_one(self, body, dispatcher_args=(), runner_args=()):
        """body as the .ssci/test of a commit, dispatched to one runner;
        returns (dispatcher, commit)."""
        repo, commit = self.repo_with(body)
        d = self.dispatcher(args=dispatcher_args)
        self.runner(d, "runner1", args=runner_args)
        self.notify_ok(d, repo, commit)
        return d, commit

    def read_pid(self, name):
        """The pid a script wrote to $T/name (waits for the whole line)."""
        def read():
            try:
                with open(self.path(name)) as f:
                    text = f.read()
            except FileNotFoundError:
                return None
            return text.endswith("\n") and int(text)
        return self.wait_for(read, f"the {name} pid")

    def assert_none_left(self, what):
        try:
            self.wait_for(lambda: not self.leftovers(), what,
                          timeout=GRACE + 5)
        except AssertionError as e:
            left = {pid: self.cmdline(pid) for pid in self.leftovers()}
            raise AssertionError(f"still running: {left}\n{e}") from None

    def cmdline(self, pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return f.read().replace(b"\0", b" ").decode().strip()
        except OSError:
            return "?"

    def test_hanging_test_times_out_leaving_no_process(self):
        self.check_hang(HANG % ("", ""))

    def test_term_ignoring_quiet_grandchildren_killed_after_grace(self):
        # Child and grandchildren ignore SIGTERM and do not hold the
        # output pipe: only the SIGKILL after the grace period ends them.
        self.check_hang(HANG % ('trap "" TERM;', ">/dev/null 2>&1"))

    def check_hang(self, body):
        d, commit = self.run_one(body, runner_args=(
            "--job-timeout", str(JOB_TIMEOUT)))
        test_pid = self.wait_runs(1)[0][1]
        pids = [test_pid] + [self.read_pid(name) for name in
                             ("child", "grandchild", "quiet")]
        self.assertLessEqual(set(pids), set(self.leftovers()),
                             "the test's processes are found while it runs")
        job = self.assert_result(d, commit, "timeout", "runner1", 1)
        self.assertGreaterEqual(job["finished_ms"] - job["started_ms"],
                                JOB_TIMEOUT * 1000 - 100, job)
        self.assert_none_left("no process of the timed-out test left")

    def test_exit_while_grandchild_holds_stdout(self):
        d, commit = self.run_one(EXIT_EARLY)
        grandchild = self.read_pid("grandchild")
        self.assert_result(d, commit, "passed", "runner1", 1)
        self.assertIn("parent exiting", d.result(commit))
        self.assert_none_left(f"the grandchild {grandchild} to be gone")

    def test_closed_output_test_still_waited_for(self):
        d, commit = self.run_one(CLOSE_OUTPUT)
        self.wait_for(lambda: os.path.exists(self.path("closed")),
                      "the test to close its output")
        self.assertEqual([j["state"] for j in d.jobs()], ["running"],
                         "a closed output is not the end of the test")
        self.release()
        self.assert_result(d, commit, "failed", "runner1", 1)
        self.assertEqual(self.final_job(d, commit)["exit_code"], 3)
        self.assertIn("before close", d.result(commit))

    def test_flood_is_cut_at_max_log_bytes(self):
        d, commit = self.run_one(FLOOD, dispatcher_args=(
            "--max-log-bytes", str(MAX_LOG)))
        self.assert_result(d, commit, "passed", "runner1", 1)
        text = d.result(commit)
        self.assertEqual(text.count(f"output past {MAX_LOG} bytes dropped"),
                         1, text[-500:])
        self.assertNotIn("end of flood", text)
        self.assertGreaterEqual(text.count("x"), MAX_LOG - 1000)
        self.assertLess(os.path.getsize(os.path.join(d.results_dir, commit)),
                        MAX_LOG + 1000)
