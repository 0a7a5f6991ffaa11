# SPDX-License-Identifier: MIT
"""ssci up (issue 5): one command starts a dispatcher, runners and an
observer on a repository; with the hook installed a new commit is tested
at once; Ctrl-C leaves no process behind; a second "ssci up" resumes
where the first left off; a child that dies is restarted."""
import os
import re
import signal
import sys
import time

from faults_util import WAIT_BODY
from harness import git, only_on
from up_util import UpTest, all_pids, cmdline, proc_stat, same_process


@only_on("sqlite", why="ssci up keeps its store in SQLite")
class TestUp(UpTest):
    def test_hook_commit_tested_at_once(self):
        repo = self.make_repo()
        proc = self.ssci("hook", "install", repo)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        u = self.up(repo, "--runners", "2", "--interval", "30")
        self.wait_ready(u, 2)
        # The start-up tip, reported by the observer's first poll.
        self.assert_passed(u, [git(repo, "rev-parse", "HEAD")])
        t0 = time.time()
        commit = self.commit(repo, "tested by the hook")
        # The observer polls only every 30 s: a result before 20 s comes
        # from the post-commit hook's notify.
        self.wait_for(lambda: "\nresult: " in "\n" + (u.result(commit) or ""),
                      "the hooked commit's result", timeout=20)
        ms = (os.stat(os.path.join(u.results_dir, commit)).st_mtime - t0) \
            * 1000
        print(f"\nhook-to-result: {ms:.0f} ms", file=sys.stderr)
        self.assertLess(ms, 20000)
        self.assert_passed(u, [commit])
        self.assertNotIn(f"reported {commit}", u.stderr())

    def test_ctrl_c_leaves_no_process(self):
        repo, _ = self.repo_with(WAIT_BODY)
        u = self.up(repo, "--runners", "2", "--interval", "1")
        # The start-up tip's test is running (waiting for a release).
        runner_pid, test_pid, _ = self.wait_runs(1)[0]
        kids = u.children()
        self.assertEqual(len(kids), 4, kids)   # dispatcher, 2 runners, observer
        groups = {st[1] for st in map(proc_stat, kids) if st}
        self.assertEqual(len(groups), 4, "each child in its own group")
        mine = set(self.tmp_processes())
        tracked = {}
        for pid in all_pids():
            st = proc_stat(pid)
            if st and (st[1] in groups or pid in mine):
                tracked[pid] = st[2]
        self.assertIn(runner_pid, tracked)
        self.assertIn(test_pid, tracked)
        os.killpg(u.pid, signal.SIGINT)    # as a terminal's Ctrl-C does
        try:
            status = u.popen.wait(30)
        except Exception:
            self.fail_with_logs("ssci up did not exit after SIGINT")
        self.assertEqual(status, 0, u.stderr())
        left = sorted(set(p for p, start in tracked.items()
                          if same_process(p, start)) |
                      set(self.tmp_processes()))
        self.assertEqual(left, [], "processes left behind: " + "; ".join(
            f"{p} {cmdline(p)!r}" for p in left)
            + "\n" + self.logs())

    def test_restarted_up_resumes(self):
        repo = self.make_repo()
        u = self.up(repo, "--runners", "1", "--interval", "1")
        self.wait_ready(u, 1)
        self.assert_passed(u, [git(repo, "rev-parse", "HEAD")])
        first = self.commit(repo, "first")
        self.assert_passed(u, [first])
        before = u.jobs()
        self.assertEqual(u.stop(), 0, u.stderr())
        later = [self.commit(repo, "while down 1"),
                 self.commit(repo, "while down 2")]
        u2 = self.up(repo, "--runners", "1", "--interval", "1", name="up-2")
        self.assert_passed(u2, later)
        after = u2.jobs()
        keys = ("id", "commit", "branch", "state", "finished_ms")
        self.assertEqual([{k: j[k] for k in keys} for j in after
                          if j["id"] <= before[-1]["id"]],
                         [{k: j[k] for k in keys} for j in before])
        commits = [j["commit"] for j in after]
        self.assertEqual(len(commits), len(set(commits)), after)
        self.assertEqual(commits.count(first), 1, after)
        self.assertEqual(len(after), len(before) + 2, after)

    def test_dead_child_is_restarted(self):
        repo = self.make_repo()
        u = self.up(repo, "--runners", "2", "--interval", "1")
        self.wait_ready(u, 2)
        self.assert_passed(u, [git(repo, "rev-parse", "HEAD")])
        runners = u.runner_pids()
        self.assertEqual(len(runners), 2, u.children())
        def registered():
            return len(re.findall(r"Z dispatcher info: runner '[^']*' "
                                  r"registered",
                                  u.stderr(), re.M))
        before = registered()
        os.kill(runners[0], signal.SIGKILL)
        self.wait_log(u, "lost child: runner")
        self.wait_for(lambda: registered() > before,
                      "the restarted runner to register")
        now = u.runner_pids()
        self.assertEqual(len(now), 2, u.children())
        self.assertNotIn(runners[0], now)
        self.assertIn(runners[1], now)
        later = self.commit(repo, "after the restart")
        self.assert_passed(u, [later])

    def test_ten_branches_are_all_watched(self):
        # Each --branch is two words of the observer's command line: with
        # ten, the tenth must still reach it (up once kept a fixed array).
        repo = self.make_repo()
        branches = [f"b{i}" for i in range(1, 11)]
        for b in branches:
            git(repo, "branch", b)
        args = [a for b in branches for a in ("--branch", b)]
        u = self.up(repo, "--runners", "1", "--interval", "1", *args)
        self.wait_ready(u, 1)
        self.assert_passed(u, [git(repo, "rev-parse", "HEAD")])
        git(repo, "checkout", "-q", "b10")
        commit = self.commit(repo, "on the tenth branch")
        self.assert_passed(u, [commit])
        self.assertEqual([j["branch"] for j in self.jobs_of(u, commit)],
                         ["b10"])
