# SPDX-License-Identifier: MIT
"""The command line: help, version, usage errors (exit 2, usage on stderr)
and clear failures for paths that cannot be used."""
import os
import socket
import subprocess

from harness import SsciTest, free_port, only_on

COMMANDS = ("dispatcher", "runner", "observer", "notify", "up", "hook")


@only_on("sqlite", why="uses no dispatcher's store: once is enough")
class TestCli(SsciTest):
    def usage_error(self, *args, mentions=()):
        """The command must print usage on stderr only and exit 2."""
        proc = self.ssci(*args)
        self.assertEqual(proc.returncode, 2, (args, proc.stderr))
        self.assertEqual(proc.stdout, "", args)
        self.assertIn("usage: ssci", proc.stderr, args)
        for word in mentions:
            self.assertIn(word, proc.stderr, args)
        return proc

    def fails_clearly(self, *args, mentions=()):
        """The command must exit non-zero at once with a message."""
        try:
            proc = self.ssci(*args, timeout=5)
        except subprocess.TimeoutExpired:
            self.fail(f"ssci {' '.join(args)} kept running instead of "
                      f"failing")
        self.assertNotEqual(proc.returncode, 0, args)
        for word in mentions:
            self.assertIn(word, proc.stderr, args)
        return proc

    def test_help(self):
        proc = self.ssci("--help")
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))
        self.assertTrue(proc.stdout.startswith("usage: ssci"), proc.stdout)
        for cmd in COMMANDS:
            self.assertIn(cmd, proc.stdout)

    def test_version(self):
        proc = self.ssci("--version")
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr),
                         (0, "ssci 0.1.0\n", ""))

    def test_command_help(self):
        for cmd in COMMANDS:
            proc = self.ssci(cmd, "--help")
            self.assertEqual((proc.returncode, proc.stderr), (0, ""), cmd)
            self.assertTrue(proc.stdout.startswith(f"usage: ssci {cmd}"),
                            proc.stdout)

    def test_no_command(self):
        self.usage_error()

    def test_unknown_command(self):
        self.usage_error("frobnicate", mentions=("frobnicate",))

    def test_bad_option(self):
        self.usage_error("--frobnicate")
        for cmd in COMMANDS:
            self.usage_error(cmd, "--frobnicate",
                             mentions=(f"usage: ssci {cmd}",))
        for cmd in COMMANDS[:4]:
            self.usage_error(cmd, "--frobnicate", mentions=("frobnicate",))

    def test_missing_arguments(self):
        self.usage_error("notify", mentions=("usage: ssci notify",))
        self.usage_error("observer", mentions=("usage: ssci observer",))
        self.usage_error("observer", "a", "b")
        self.usage_error("dispatcher", "--port")

    def test_bad_numbers(self):
        for value in ("notanumber", "70000", "-1", "12x", ""):
            self.usage_error("dispatcher", "--port", value,
                             mentions=("--port",))
        self.usage_error("observer", "--interval", "soon", ".",
                         mentions=("--interval",))
        self.usage_error("dispatcher", "--max-attempts", "many",
                         mentions=("--max-attempts",))

    def test_bad_dispatcher_address(self):
        self.fails_clearly("runner", "--dispatcher-server", "nocolon",
                           mentions=("nocolon",))

    def test_runner_missing_clone(self):
        self.fails_clearly("runner", "--dispatcher-server",
                           f"127.0.0.1:{free_port()}", "/does/not/exist",
                           mentions=("'/does/not/exist'",))

    def test_runner_clone_not_a_repository(self):
        folder = os.path.join(self.tmp, "plain-folder")
        os.mkdir(folder)
        self.fails_clearly("runner", "--dispatcher-server",
                           f"127.0.0.1:{free_port()}", folder,
                           mentions=(folder,))

    def test_observer_not_a_repository(self):
        proc = self.fails_clearly("observer", "/not/a/repo",
                                  mentions=("/not/a/repo",))
        self.assertIn("not a git repository", proc.stderr)
        folder = os.path.join(self.tmp, "plain-folder")
        os.mkdir(folder)
        proc = self.fails_clearly("observer", folder, mentions=(folder,))
        self.assertIn("not a git repository", proc.stderr)

    def test_dispatcher_port_in_use(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = str(busy.getsockname()[1])
            proc = self.fails_clearly(
                "dispatcher", "--host", "127.0.0.1", "--port", port,
                "--state-dir", os.path.join(self.tmp, "state"),
                "--results-dir", os.path.join(self.tmp, "results"),
                mentions=(port,))
        self.assertNotIn("listening on", proc.stdout)
