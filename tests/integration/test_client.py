# SPDX-License-Identifier: MIT
"""The command-line client against a real dispatcher: ssci status, jobs,
log (by job and by commit, and -f on a running job), cancel and retry, as
tables and with --json, and its errors."""
import json
import os
import pty
import subprocess

from browser_util import WebTest, slow_script, touch
from harness import FAILING_TEST, SSCI, free_port, git


class ClientTest(WebTest):
    def setUp(self):
        super().setUp()
        self.start_system()
        self.repo = self.make_repo()
        self.good = git(self.repo, "rev-parse", "HEAD")
        self.bad = self.commit(self.repo, "bad", {"tests/test_bad.py":
                                                  FAILING_TEST})
        self.slow = self.commit(self.repo, "slow", {
            ".ssci/test": slow_script(self.gate)})

    def cli(self, *args, ok=True):
        """ssci CMD --dispatcher-server D ARGS; the CompletedProcess."""
        proc = self.ssci(args[0], "--dispatcher-server", self.d.address,
                         *args[1:])
        if ok:
            self.assertEqual(proc.returncode, 0, f"ssci {args}: "
                             f"{proc.stderr}\n{self.logs()}")
        return proc

    def cli_json(self, *args):
        return json.loads(self.cli(*args, "--json").stdout)

    def run_two(self):
        """A passing job on main and a failing one on 'broken'."""
        good = self.dispatch(self.repo, self.good, subject="good one")
        bad = self.dispatch(self.repo, self.bad, "broken", subject="bad one")
        ids = good[1]["job"], bad[1]["job"]
        for job in ids:
            self.wait_state(job, "passed", "failed")
        return ids

    def start_slow(self):
        job = self.dispatch(self.repo, self.slow, "main")[1]["job"]
        self.addCleanup(touch, self.gate, "release", job)
        self.wait_for(lambda: os.path.exists(f"{self.gate}/pid-{job}"),
                      f"job {job} to start")
        return job

    def test_status(self):
        good, bad = self.run_two()
        slow = self.start_slow()
        waiting = self.dispatch(self.repo, self.good, rebuild=True)[1]["job"]
        out = self.cli("status").stdout
        for head in ("RUNNERS (1)", "QUEUE (1)", "RUNNING (1)", "RECENT"):
            self.assertIn(head + "\n", out)
        self.assertRegex(out, r"(?m)^  r1 +busy +1/1 slots")
        # r1's jobs were short: the next may be handed ahead to it.
        self.assertRegex(out, rf"(?m)^ +1\. job {waiting} .*(all runners "
                         r"busy|handed ahead to runner 'r1')")
        self.assertRegex(out, rf"(?m)^  job {slow} +{self.slow[:10]} .* on r1")
        self.assertRegex(out, rf"(?m)^  {good} +passed +{self.good[:10]} +"
                         r"main +2/2 .* r1 +good one$")
        self.assertRegex(out, rf"(?m)^  {bad} +failed +{self.bad[:10]} +"
                         r"broken +2/3 ")
        self.assertNotIn("\x1b", out, "no colour when not on a terminal")
        st = self.cli_json("status")
        self.assertEqual([r["name"] for r in st["runners"]], ["r1"])
        self.assertEqual([q["id"] for q in st["queue"]], [waiting])
        self.assertEqual([j["id"] for j in st["running"]], [slow])
        self.assertEqual([j["id"] for j in st["recent"]],
                         [waiting, slow, bad, good])
        # On a terminal the states are coloured.
        self.assertRegex(on_terminal([SSCI, "status", "--dispatcher-server",
                                      self.d.address]),
                         r"\x1b\[\d+mpassed *\x1b\[0m")

    def test_jobs_filters(self):
        good, bad = self.run_two()
        other = self.make_repo("other")
        third = self.dispatch(other, git(other, "rev-parse", "HEAD"))[1]
        self.wait_state(third["job"], "passed")
        jobs = self.cli_json("jobs")["jobs"]
        self.assertEqual([j["id"] for j in jobs], [third["job"], bad, good])
        failed = self.cli_json("jobs", "--state", "failed")["jobs"]
        self.assertEqual([(j["id"], j["state"]) for j in failed],
                         [(bad, "failed")])
        rows = self.cli("jobs", "--state", "failed").stdout.splitlines()
        self.assertEqual(rows[0].split(), ["JOB", "STATE", "COMMIT", "BRANCH",
                                           "PASSED", "TIME", "RUNNER",
                                           "SUBJECT"])
        self.assertEqual([r.split()[:2] for r in rows[1:]],
                         [[str(bad), "failed"]])
        self.assertEqual([j["id"] for j in self.cli_json(
            "jobs", "--limit", "1")["jobs"]], [third["job"]])
        self.assertEqual([j["id"] for j in self.cli_json(
            "jobs", "--repo", self.repo, "--branch", "main")["jobs"]], [good])
        self.assertEqual([j["id"] for j in self.cli_json(
            "jobs", "--repo", other)["jobs"]], [third["job"]])
        self.assertEqual(self.cli_json("jobs", "--state", "cancelled"),
                         {"type": "ok", "jobs": []})
        proc = self.cli("jobs", "--state", "bogus", ok=False)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("bogus", proc.stderr)

    def test_log(self):
        good, bad = self.run_two()
        out = self.cli("log", str(bad)).stdout
        self.assertIn("FAILED (failures=1)", out)
        self.assertIn("Ran 3 tests", out)
        self.assertEqual(self.cli("log", self.bad[:10]).stdout, out)
        self.assertEqual(self.cli("log", self.bad).stdout, out)
        (reply,) = [json.loads(line) for line in
                    self.cli("log", str(good), "--json").stdout.splitlines()]
        self.assertEqual((reply["detail"]["id"], reply["detail"]["state"]),
                         (good, "passed"))
        self.assertIn("Ran 2 tests", reply["data"])
        self.assertEqual(reply["offset"], len(reply["data"].encode()))
        # -f on a finished job prints it and exits by its result.
        proc = self.cli("log", "-f", str(bad), ok=False)
        self.assertEqual((proc.returncode, proc.stdout), (1, out))
        self.assertEqual(self.cli("log", "-f", str(good)).returncode, 0)

    def test_log_by_a_prefix_of_decimal_digits(self):
        """A prefix such as 1450586 names a commit when no job has that
        number: 1 commit in 27 starts with 7 decimal digits."""
        tree = git(self.repo, "rev-parse", self.good + "^{tree}")
        for n in range(3000):
            sha = git(self.repo, "commit-tree", tree, "-p", self.good,
                      "-m", f"digits {n}")
            if sha[:7].isdigit():
                break
        else:
            self.fail("no commit with 7 leading decimal digits")
        git(self.repo, "update-ref", "refs/heads/digits", sha)
        job = self.dispatch(self.repo, sha, "digits")[1]["job"]
        self.wait_state(job, "passed")
        out = self.cli("log", str(job)).stdout
        self.assertIn("Ran 2 tests", out)
        self.assertEqual(self.cli("log", sha[:7]).stdout, out)
        self.assertEqual(self.cli("log", "-f", sha[:7]).stdout, out)
        proc = self.cli("log", "9" * 7, ok=False)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stderr, "ssci: no job 9999999 and no job for "
                         "commit 9999999\n")

    def test_log_follows_a_running_job(self):
        slow = self.start_slow()
        follow = self.start("follow", "log", "-f", "--dispatcher-server",
                            self.d.address, str(slow))
        self.wait_for(lambda: f"job {slow} started" in follow.stdout(),
                      "the log so far")
        self.assertNotIn("step line", follow.stdout())
        touch(self.gate, "step", slow)
        self.wait_for(lambda: "step line" in follow.stdout(),
                      "a line printed after following began")
        self.assertTrue(follow.alive(), "follows until the job ends")
        touch(self.gate, "release", slow)
        self.assertEqual(follow.popen.wait(30), 0, follow.stderr())
        out = follow.stdout()
        self.assertRegex(out, rf"(?s)^job {slow} started\n.*step line of "
                         rf"job {slow}\njob {slow} released\n")
        self.assertEqual(out.count("step line"), 1, "nothing twice")
        self.assertEqual(out, self.cli("log", str(slow)).stdout)

    def test_cancel_and_retry(self):
        slow = self.start_slow()
        queued = self.dispatch(self.repo, self.good)[1]["job"]
        proc = self.cli("retry", str(slow), ok=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("not over", proc.stderr)
        reply = self.cli_json("cancel", str(queued))
        self.assertEqual((reply["job"], reply["state"]), (queued, "cancelled"))
        out = self.cli("cancel", str(slow)).stdout
        self.assertEqual(out, f"job {slow}: running (its runner was told "
                         "to stop it)\n")
        self.wait_state(slow, "cancelled")
        again = self.cli_json("retry", str(slow))
        self.assertEqual(again["state"], "queued")
        touch(self.gate, "release", again["job"])
        self.assertEqual(self.wait_state(again["job"], "passed")["commit"],
                         self.slow)
        out = self.cli("retry", str(queued)).stdout
        self.assertRegex(out, rf"^job {queued} queued again as job (\d+)\n$")
        third = int(out.split()[-1])
        self.assertEqual(self.wait_state(third, "passed")["commit"],
                         self.good)
        # Issue 12: cancelling a finished job says so and fails.
        proc = self.cli("cancel", str(third), ok=False)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn(f"job {third} has already finished: passed",
                      proc.stderr)

    def test_errors(self):
        for args in (("log", "999999"), ("log", "abcdef1234"),
                     ("cancel", "999999"), ("retry", "999999"),
                     ("log", "999999", "--json")):
            with self.subTest(args=args):
                proc = self.cli(*args, ok=False)
                self.assertNotEqual(proc.returncode, 0)
                self.assertRegex(proc.stderr, r"^ssci: no job")
                self.assertEqual(proc.stdout, "")
        for args in (("log", "not-a-job"), ("cancel", "abc"), ("retry",),
                     ("log", "1", "2")):
            with self.subTest(args=args):
                self.assertEqual(self.cli(*args, ok=False).returncode, 2)
        nobody = f"127.0.0.1:{free_port()}"
        for cmd in (("status",), ("jobs", "--json"), ("log", "1"),
                    ("cancel", "1"), ("retry", "1")):
            with self.subTest(cmd=cmd, nobody=nobody):
                proc = self.ssci(cmd[0], "--dispatcher-server", nobody,
                                 *cmd[1:], timeout=20)
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn(nobody, proc.stderr)
                self.assertEqual(proc.stdout, "")


def on_terminal(argv):
    """Run argv with a pseudo-terminal as standard output; what it wrote."""
    main, sub = pty.openpty()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sub,
                                stderr=subprocess.PIPE)
        os.close(sub)
        out = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the program closed the terminal
                break
            if not chunk:
                break
            out += chunk
        proc.wait(30)
        proc.stderr.close()
        return out.decode("utf-8", "replace")
    finally:
        os.close(main)
