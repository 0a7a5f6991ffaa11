# SPDX-License-Identifier: MIT
"""A licence teams can adopt (issue 12, point 4): LICENSE is the MIT
licence, and every source file says so in its first lines."""
import os
import subprocess
import unittest

from harness import only_on

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCES = (".c", ".h", ".py", ".css", ".js")
SCRIPTS = ("Makefile", ".ci/run", "bench/run", "scripts/demo",
           "scripts/deps", "tests/run", "scripts/deb", "debian/rules")


@only_on("sqlite", why="uses no dispatcher's store: once is enough")
class TestLicense(unittest.TestCase):
    def test_mit_licence_and_spdx_lines(self):
        with open(os.path.join(ROOT, "LICENSE")) as f:
            text = f.read()
        self.assertTrue(text.startswith("MIT License\n"), text[:40])
        self.assertIn("Permission is hereby granted, free of charge", text)
        files = subprocess.run(["git", "ls-files"], cwd=ROOT, text=True,
                               capture_output=True).stdout.split()
        if not files:
            self.skipTest("not a git checkout")
        missing = []
        for name in files:
            if not (name.endswith(SOURCES) or name in SCRIPTS) or \
                    name.startswith("tests/fuzz/corpus/"):
                continue
            with open(os.path.join(ROOT, name), errors="replace") as f:
                head = [f.readline() for _ in range(2)]
            if not any("SPDX-License-Identifier: MIT" in line
                       for line in head):
                missing.append(name)
        self.assertEqual(missing, [])
