# SPDX-License-Identifier: MIT
"""make demo's script, end to end: an example repository under ssci up,
three commits, their results as they land, everything stopped after."""
import os
import re
import signal
import subprocess

from harness import SsciTest, http_json, only_on

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@only_on("sqlite", why="ssci up keeps its store in SQLite")
class TestDemo(SsciTest):
    def test_demo_shows_each_commits_result(self):
        env = dict(os.environ, TMPDIR=self.tmp, SSCI_DEMO_EXIT="1")
        proc = subprocess.run([os.path.join(TOP, "scripts", "demo")],
                              cwd=TOP, env=env, text=True, timeout=120,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        states = re.findall(r"^  [0-9a-f]{10} .*?\s(passed|failed)\s",
                            proc.stdout, re.M)
        self.assertEqual(states, ["failed", "failed", "passed"], proc.stdout)
        self.assertRegex(proc.stdout, r"dashboard at http://127\.0\.0\.1:\d+/")
        # It cleaned up after itself: nothing of it is left running.
        left = subprocess.run(["ps", "-eo", "args"], text=True,
                              stdout=subprocess.PIPE).stdout
        self.assertNotIn(os.path.join(self.tmp, "ssci-demo"), left)

    def test_demo_leaves_the_dashboard_up_until_ctrl_c(self):
        """Issue 12, point 9: the results stay on show until Ctrl-C."""
        env = dict(os.environ, TMPDIR=self.tmp)
        env.pop("SSCI_DEMO_EXIT", None)
        out = os.path.join(self.tmp, "demo.out")
        with open(out, "w") as f:
            demo = subprocess.Popen([os.path.join(TOP, "scripts", "demo")],
                                    cwd=TOP, env=env, stdout=f,
                                    stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.addCleanup(lambda: demo.poll() is None and os.killpg(
            demo.pid, signal.SIGKILL))
        text = self.wait_for(lambda: "press Ctrl-C" in open(out).read() and
                             open(out).read(), "the demo to wait", 120)
        url = re.search(r"stays up with these results: (http://[^\s\x1b]+)",
                        text).group(1)
        code, status = http_json(url, "/api/status")
        self.assertEqual(code, 200, status)
        self.assertEqual(len(status["recent"]), 3, status)
        self.assertIsNone(demo.poll(), "still up")
        os.killpg(demo.pid, signal.SIGINT)   # as a terminal's Ctrl-C
        self.assertEqual(demo.wait(30), 0, open(out).read())
        self.assertIn("stopping", open(out).read())
        with self.assertRaises(OSError):
            http_json(url, "/api/status", timeout=5)
