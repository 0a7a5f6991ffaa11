# SPDX-License-Identifier: MIT
"""The weaknesses an adversarial pass found (issue 10): forged log lines,
escape sequences on the terminal, forged result lines, DNS rebinding,
hooks, the observer's first report, commits lost while the dispatcher is
down, the runner's stray work dir, and repository URLs git would run a
helper for."""
import json
import os
import pty
import re
import select
import socket
import subprocess
import time

from harness import SSCI, git, http
from security_util import TOKEN, write_token
from up_util import UpTest

FORGER = '''#!/bin/sh
echo "result: passed exit_code=0 tests_run=99 job=1"
echo "ssci: the runner says all is well"
echo "honest line"
exit 3
'''
ESCAPES = ('#!/bin/sh\n'
           "printf 'before\\033]0;owned\\007\\033]52;c;ZXZpbA==\\007'\n"
           "printf '\\033[2J\\302\\2332J\\033[1;31mred\\033[0m after\\n'\n")


class TestHardening(UpTest):
    def read_tty(self, argv):
        """argv's output, written to a terminal."""
        master, slave = pty.openpty()
        proc = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, cwd=self.tmp)
        os.close(slave)
        out = b""
        while True:
            ready, _, _ = select.select([master], [], [], 10)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        proc.wait(10)
        os.close(master)
        return out

    def test_log_lines_from_outside_are_escaped(self):
        d = self.dispatcher(http=True, args=("--token-file", write_token(
            self.path("token"), TOKEN)))
        http(d.http_url, "/api/jobs/1/cancel%0adispatcher:%20forged", "POST")
        runner = self.connect(d, "runner", TOKEN)
        runner.request({"type": "register", "name": "r\u00e9"})
        runner.send({"type": "error", "code": "x",
                     "message": "boom\ndispatcher: job 9 passed\u009b2J"})
        self.wait_log(d, "answered with an error")
        # Every line is one of ours: a time, the role and a level first.
        lines = d.stderr().splitlines()
        self.assertEqual([line for line in lines if not re.match(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z dispatcher "
            r"(info|warning|debug|error): ", line)], [], lines)
        self.assertIn("cancel\\ndispatcher: forged", d.stderr())
        self.assertIn("boom\\ndispatcher: job 9 passed\\u009b2J", d.stderr())
        self.assertNotIn("\x1b", d.stderr())

    def test_log_on_a_terminal_shows_colours_only(self):
        repo, commit = self.repo_with(ESCAPES)
        d = self.dispatcher()
        self.runner(d, "runner1")
        self.notify_ok(d, repo, commit)
        self.wait_jobs(d, 1)
        job = str(d.jobs()[0]["id"])
        shown = self.read_tty([SSCI, "log", "--dispatcher-server",
                               d.address, job])
        self.assertIn(b"before\x1b[1;31mred\x1b[0m after", shown)
        for bad in (b"\x1b]", b"\x07", b"\x1b[2J", b"\xc2\x9b", b"owned"):
            self.assertNotIn(bad, shown)
        raw = self.read_tty([SSCI, "log", "--raw", "--dispatcher-server",
                             d.address, job])
        self.assertIn(b"\x1b]52;c;ZXZpbA==\x07", raw)

    def test_a_test_cannot_forge_result_or_ssci_lines(self):
        repo, commit = self.repo_with(FORGER)
        d = self.dispatcher()
        self.runner(d, "runner1")
        self.notify_ok(d, repo, commit)
        self.wait_jobs(d, 1)
        self.wait_results(d, [commit])
        text = d.result(commit)
        starts = re.findall(r"^(result:.*)$", text, re.M)
        self.assertEqual(len(starts), 1, text)
        self.assertTrue(starts[0].startswith("result: failed exit_code=3 "),
                        text)
        self.assertRegex(text, r"(?m)^> result: passed exit_code=0 "
                         r"tests_run=99")
        self.assertIn("\n> ssci: the runner says all is well\n", text)
        self.assertNotRegex(text, r"(?m)^ssci: the runner says")

    def test_writes_by_a_foreign_host_name_need_the_token(self):
        d = self.dispatcher(http=True)
        port = int(d.http_url.rsplit(":", 1)[1])

        def post(url, host):
            """POST a cancel to url as if from a page of host."""
            return http(url, "/api/jobs/1/cancel", "POST",
                        headers={"Host": host, "Origin": f"http://{host}"})
        refused = post(d.http_url, f"evil.example:{port}")
        self.assertEqual(refused.status, 403, refused)
        self.assertEqual(refused.json()["error"]["code"], "bad_host")
        for ours in (f"127.0.0.1:{port}", f"localhost:{port}",
                     f"[::1]:{port}"):
            self.assertEqual(post(d.http_url, ours).status, 404, ours)
        named = self.dispatcher("named", http=True, args=(
            "--http-host", "ci.example"))
        self.assertEqual(post(named.http_url, "ci.example").status, 404)
        # With a token, a foreign name may write if it carries it.
        tok = self.dispatcher("tok", http=True, args=(
            "--token-file", write_token(self.path("t"), TOKEN)))
        status, _, body = http(tok.http_url, "/api/jobs/1/cancel", "POST",
                               token=TOKEN)
        self.assertEqual(status, 404, body)

    def test_hook_recognised_exactly_and_where_git_runs_it(self):
        repo = self.make_repo()
        hooks = os.path.join(repo, ".git", "hooks")
        os.makedirs(hooks, exist_ok=True)
        mine = os.path.join(hooks, "post-commit")
        with open(mine, "w") as f:
            f.write('#!/bin/sh\n# Installed by "ssci hook install": it '
                    'reports new commits to\necho my own hook\n')
        proc = self.ssci("hook", "remove", repo)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("not installed by ssci", proc.stderr)
        self.assertTrue(os.path.exists(mine))
        os.unlink(mine)
        git(repo, "config", "core.hooksPath", "myhooks")
        proc = self.ssci("hook", "install", repo)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        installed = os.path.join(repo, "myhooks", "post-commit")
        self.assertTrue(os.access(installed, os.X_OK), proc.stdout)
        u = self.up(repo, "--runners", "1", "--interval", "600")
        self.wait_ready(u, 1)
        commit = self.commit(repo, "tested through core.hooksPath")
        self.assert_passed(u, [commit])
        proc = self.ssci("hook", "remove", repo)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertFalse(os.path.exists(installed))

    def test_observer_reports_the_tip_it_had_at_start(self):
        repo = self.make_repo()
        clone = self.clone(repo, "observer-clone")
        first = git(clone, "rev-parse", "HEAD")
        made_before = self.commit(repo, "made before the observer started")
        d = self.dispatcher()
        self.runner(d, "runner1")
        self.observer(d, clone)
        self.wait_jobs(d, 2)
        self.assertEqual([j["commit"] for j in d.jobs()],
                         [first, made_before])

    def test_commits_kept_while_dispatcher_down(self):
        repo = self.make_repo()
        port = socket.socket()
        port.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{port.getsockname()[1]}"
        port.close()
        lost = [self.commit(repo, f"while down {i}") for i in range(3)]
        for c in lost:
            proc = self.notify(address, repo, c)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("kept in", proc.stderr)
        pending = os.path.join(repo, ".git", "ssci", "pending")
        with open(pending) as f:
            self.assertEqual([line.split("\t")[0] for line in f], lost)
        d = self.dispatcher(port=int(address.split(":")[1]))
        self.runner(d, "runner1")
        proc = self.ssci("notify", "--dispatcher-server", d.address,
                         "--flush", cwd=repo)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertFalse(os.path.exists(pending))
        self.wait_jobs(d, 3)
        self.assertEqual([j["commit"] for j in d.jobs()], lost)

    def test_up_observer_delivers_what_the_hook_could_not(self):
        repo = self.make_repo()
        proc = self.ssci("hook", "install", repo)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # No up yet: the hook's notify finds no dispatcher.
        commit = self.commit(repo, "made while nothing ran")
        pending = os.path.join(repo, ".git", "ssci", "pending")
        self.assertTrue(os.path.exists(pending))
        u = self.up(repo, "--runners", "1", "--interval", "1")
        self.assert_passed(u, [commit])
        self.wait_for(lambda: not os.path.exists(pending),
                      "the pending list to empty")

    def test_runner_makes_no_work_dir_it_does_not_use(self):
        d = self.dispatcher()
        cwd = self.path("cwd")
        os.makedirs(cwd)
        refused = subprocess.run([SSCI, "runner", "--dispatcher-server",
                                  d.address, "--token-file", "/nonexistent"],
                                 cwd=cwd, capture_output=True, text=True,
                                 timeout=30)
        self.assertNotEqual(refused.returncode, 0)
        repo = self.make_repo()
        clone = self.clone(repo, "clone")
        p = subprocess.Popen([SSCI, "runner", "--dispatcher-server",
                              d.address, "--name", "c", clone], cwd=cwd,
                             stderr=subprocess.PIPE, text=True)
        self.notify_ok(d, repo, git(repo, "rev-parse", "HEAD"))
        self.wait_jobs(d, 1)
        p.terminate()
        p.wait(10)
        p.stderr.close()
        self.assertEqual(os.listdir(cwd), [])

    def test_helper_urls_refused_and_paths_only_when_allowed(self):
        d = self.dispatcher()
        client = self.connect(d, "observer")
        commit = "a" * 40
        for url in ("ext::sh -c touch% /tmp/pwned", "fd::3",
                    "foo://example.com/r"):
            reply = client.request({"type": "dispatch", "repo": url,
                                    "commit": commit})
            self.assertEqual(reply.get("code"), "bad_repo", (url, reply))
        for url in ("https://example.com/r.git", "git@example.com:r.git",
                    "/srv/repo", "file:///srv/repo"):
            reply = client.request({"type": "dispatch", "repo": url,
                                    "commit": commit})
            self.assertEqual(reply["type"], "ok", (url, reply))
        strict = self.dispatcher("strict", args=())
        # The harness allows paths: a dispatcher started bare does not.
        bare = self.start("bare", "dispatcher", "--port", "0", "--http",
                          "off", "--state-dir", self.path("bare-state"),
                          "--results-dir", self.path("bare-results"))
        m = self.wait_for(lambda: re.search(r"listening on \S+:(\d+)",
                                            bare.stdout()), "bare to listen")
        c2 = self.connect(int(m.group(1)), "observer")
        for url in ("/srv/repo", "file:///srv/repo"):
            reply = c2.request({"type": "dispatch", "repo": url,
                                "commit": commit})
            self.assertEqual(reply.get("code"), "bad_repo", reply)
            self.assertIn("--local-repos", reply["message"])
        reply = c2.request({"type": "dispatch", "repo": "https://e.x/r",
                            "commit": commit})
        self.assertEqual(reply["type"], "ok", reply)
        self.assertTrue(strict.alive())

    def test_idle_observer_reconnects_quietly(self):
        repo = self.make_repo()
        clone = self.clone(repo, "clone")
        d = self.dispatcher(args=("--client-timeout", "1"))
        self.runner(d, "runner1")
        obs = self.observer(d, clone, interval=5)
        self.wait_jobs(d, 1)
        time.sleep(3)
        self.assertIn("idle for too long", d.stderr())
        commit = self.commit(repo, "after some idle time")
        self.wait_jobs(d, 2)
        self.assertEqual(d.jobs()[1]["commit"], commit)
        self.assertNotIn("lost dispatcher", obs.stderr())
        self.assertNotIn("unexpected", obs.stderr())
        self.assertEqual(json.loads(json.dumps(obs.alive())), True)
