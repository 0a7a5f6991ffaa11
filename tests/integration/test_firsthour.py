# SPDX-License-Identifier: MIT
"""A newcomer's first hour (issue 12): a pytest project without .ssci/test
is a red error with the hint, never a green pass; a pass of 0 tests is
marked "no tests" everywhere; clients talk to the dispatcher of the
repository they run in and say so; "ssci up" on a busy port stops with
the error; every command's help lists its options with their defaults;
the hook names ssci on PATH, says what to do without it, and never fails
a commit while the dispatcher is down."""
import json
import os
import re
import socket
import subprocess
import time

from harness import SSCI, git, http, http_json, parse_html
from up_util import UpTest

PYTEST_STYLE = '''def test_sum():
    assert 1 + 1 == 2
'''
ZERO_TESTS = "#!/bin/sh\necho 'collected 0 items'\necho '0 passed, 0 failed'\n"
OPTIONS = {
    "dispatcher": ("--host", "--port", "--http", "--http-host", "--state-dir",
                   "--results-dir", "--heartbeat", "--runner-timeout",
                   "--client-timeout", "--http-timeout", "--job-timeout",
                   "--max-attempts", "--max-log-bytes", "--token-file",
                   "--runner-token-file", "--http-auth", "--local-repos",
                   "--tls-cert", "--tls-key", "--max-connections",
                   "--max-http-connections", "--max-queued-per-repo",
                   "--http-rate"),
    "runner": ("--dispatcher-server", "--name", "--work-dir", "--test-cmd",
               "--job-timeout", "--jobs", "--sandbox", "--sandbox-net",
               "--job-memory", "--job-pids", "--token-file", "--tls-ca",
               "--tls"),
    "observer": ("--dispatcher-server", "--interval", "--branch",
                 "--all-branches", "--pending"),
    "notify": ("--dispatcher-server", "--repo", "--branch", "--rebuild",
               "--post-receive", "--flush"),
    "up": ("--runners", "--host", "--port", "--http", "--state-dir",
           "--results-dir", "--interval", "--branch", "--test-cmd",
           "--token-file"),
    "jobs": ("--dispatcher-server", "--json", "--repo", "--branch",
             "--state", "--limit", "--verbose"),
    "log": ("--dispatcher-server", "--follow", "--raw"),
}


class TestFirstHour(UpTest):
    def pytest_project(self):
        """A small pytest project as a newcomer has it: tests/ with
        pytest-style tests, no .ssci/test."""
        path = os.path.join(self.tmp, "pyproj")
        os.makedirs(os.path.join(path, "tests"))
        git(path, "init", "-q", "-b", "main")
        with open(os.path.join(path, "tests", "test_sum.py"), "w") as f:
            f.write(PYTEST_STYLE)
        git(path, "add", ".")
        git(path, "commit", "-q", "-m", "pytest tests")
        return path

    def test_pytest_project_under_up_is_red_with_the_hint(self):
        repo = self.pytest_project()
        u = self.up(repo, "--runners", "1")
        head = git(repo, "rev-parse", "HEAD")
        self.wait_results(u, [head])
        text_ = u.result(head)
        self.assertRegex(text_, r"(?m)^ssci: no tests ran; add an executable "
                         r"\.ssci/test or --test-cmd$")
        self.assertIn("tests/ holds pytest-style tests (tests/test_sum.py)",
                      text_)
        self.assertRegex(text_, r"(?m)^result: error ")
        self.assertEqual(u.jobs()[0]["state"], "error")

    def test_zero_tests_pass_is_marked(self):
        repo, commit = self.repo_with(ZERO_TESTS)
        d = self.dispatcher(http=True)
        self.runner(d, "r1")
        self.notify_ok(d, repo, commit)
        self.wait_jobs(d, 1)
        job = http_json(d.http_url, "/api/jobs/1")[1]
        self.assertEqual((job["state"], job["tests"]["run"], job["no_tests"]),
                         ("passed", 0, True))
        out = self.ssci("jobs", "--dispatcher-server", d.address).stdout
        self.assertRegex(out, r"(?m)^  1 +passed +\S+ +main +no tests ")
        page = parse_html(http(d.http_url, "/jobs/1").body)
        self.assertEqual(page.one("span", "no-tests").classes,
                         {"tag", "no-tests"})
        self.assertEqual(page.one("span", "no-tests").text(), "no tests")
        dash = parse_html(http(d.http_url, "/").body)
        row = dash.one("section", id="recent").one("tr", data_job="1")
        self.assertEqual(row.one("span", "no-tests").text(), "no tests")

    def test_clients_talk_to_the_repositorys_dispatcher(self):
        repo = self.make_repo()
        other = self.dispatcher("other")
        u = self.up(repo, "--runners", "1")
        self.wait_ready(u, 1)
        self.assert_passed(u, [git(repo, "rev-parse", "HEAD")])
        env = dict(os.environ, SSCI_DISPATCHER=other.address)
        proc = subprocess.run([SSCI, "status"], cwd=repo, env=env, text=True,
                              capture_output=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"DISPATCHER 127.0.0.1:{u.port} (from "
                      ".git/ssci/dispatcher.addr)", proc.stdout)
        self.assertRegex(proc.stdout, r"passed")
        jobs = json.loads(subprocess.run(
            [SSCI, "jobs", "--json"], cwd=repo, env=env, text=True,
            capture_output=True, timeout=30).stdout)["jobs"]
        self.assertEqual(len(jobs), 1)
        # Outside a repository: $SSCI_DISPATCHER, said with -v.
        proc = subprocess.run([SSCI, "jobs", "-v"], cwd=self.tmp, env=env,
                              text=True, capture_output=True, timeout=30)
        self.assertIn(f"dispatcher {other.address} (from $SSCI_DISPATCHER)",
                      proc.stderr)

    def test_up_on_a_busy_port_stops_with_the_error(self):
        repo = self.make_repo()
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        self.addCleanup(busy.close)
        port = str(busy.getsockname()[1])
        t0 = time.monotonic()
        proc = self.ssci("up", "--port", port, "--http", "off", repo)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn("Address already in use", proc.stderr)
        self.assertIn("--port 0", proc.stderr)
        self.assertNotIn("restarting", proc.stderr)

    def test_help_lists_every_option_with_its_default(self):
        for cmd, options in OPTIONS.items():
            out = self.ssci(cmd, "--help").stdout
            listed = re.findall(r"(?m)^  (--[a-z-]+)", out)
            for opt in options:
                self.assertIn(opt, listed, (cmd, out))
        out = self.ssci("dispatcher", "--help").stdout
        self.assertRegex(out, r"--port PORT +port to listen on; 0 takes a "
                         r"free one \(default:\s+8888\)")
        self.assertRegex(out, r"--job-timeout SECONDS +a test running "
                         r"longer is killed")

    def test_hook_finds_ssci_on_path_and_never_fails_a_commit(self):
        repo = self.make_repo()
        bin_dir = os.path.join(self.tmp, "bin")
        os.makedirs(bin_dir)
        os.symlink(SSCI, os.path.join(bin_dir, "ssci"))
        path_env = dict(os.environ, PATH=bin_dir + ":" + os.environ["PATH"])
        proc = subprocess.run([SSCI, "hook", "install", repo], env=path_env,
                              text=True, capture_output=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        hook = os.path.join(repo, ".git", "hooks", "post-commit")
        self.assertIn("\nssci=ssci\n", open(hook).read())
        # No dispatcher: the commit is kept and git is content.
        with open(os.path.join(repo, "f"), "w") as f:
            f.write("x")
        git(repo, "add", "f")
        proc = subprocess.run(["git", "-c", "user.name=T", "-c",
                               "user.email=t@x", "commit", "-q", "-m", "down"],
                              cwd=repo, env=path_env, text=True,
                              capture_output=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("Connection refused", proc.stderr)
        self.assertIn("the next ssci notify, or the observer of ssci up, "
                      "reports it", proc.stderr)
        hook_run = subprocess.run([hook], cwd=repo, env=path_env, text=True,
                                  capture_output=True, timeout=30)
        self.assertEqual(hook_run.returncode, 0, hook_run.stderr)
        # Without ssci on PATH the hook says what to do, and still exits 0.
        bare = dict(os.environ, PATH="/usr/bin:/bin")
        hook_run = subprocess.run([hook], cwd=repo, env=bare, text=True,
                                  capture_output=True, timeout=30)
        self.assertEqual(hook_run.returncode, 0)
        self.assertIn("ssci hook: ssci not found: put ssci on PATH, or run "
                      "'ssci hook install' again", hook_run.stderr)
