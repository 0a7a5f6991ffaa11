# SPDX-License-Identifier: MIT
"""make demo's script, end to end: an example repository under ssci up,
three commits, their results as they land, everything stopped after."""
import os
import re
import subprocess

from harness import SsciTest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class TestDemo(SsciTest):
    def test_demo_shows_each_commits_result(self):
        env = dict(os.environ, TMPDIR=self.tmp)
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
