# SPDX-License-Identifier: MIT
"""Chaos (issue 21): 300 commits run on 3 runners while, every few tenths
of a second, a runner or the dispatcher is killed with SIGKILL and started
again at once (a runner with the same name and work folder, the
dispatcher on the same port and state).  Every commit ends with exactly
one job, passed, and one results file holding one result line.  (Not
checked: that the test's output is whole.  A line the runner had written
to its connection just before the dispatcher's kill may be missing from
the log: README.md, "What happens when things fail".)

A runner killed during a git step leaves that git's index.lock in its
tree; the runner started again in the same folder removes it when its
checkout fails, and says so in the job's log (before, every later job on
that runner ended as error)."""
import glob
import os
import random
import signal
import time

from faults_util import FAST, FaultTest

COMMITS = 300
RUNNERS = 3
BODY = 'sleep 0.05\necho "tested $SSCI_COMMIT"\n'


class TestChaos(FaultTest):
    def start_runner(self, d, name, generation):
        p = self.start(f"{name}-{generation}", "runner",
                       "--dispatcher-server", d.address, "--name", name,
                       "--work-dir", self.path(f"{name}-work"))
        p.runner_name = name
        return p

    def finished(self, d):
        try:
            jobs = d.jobs()
        except (OSError, AssertionError):
            return None     # the dispatcher is down or starting
        if len(jobs) >= COMMITS and all(j["finished_ms"] for j in jobs):
            return jobs
        return None

    def test_300_commits_through_kill_9s(self):
        repo, first = self.repo_with(BODY)
        commits = [first] + [self.commit(repo, f"commit {i}")
                             for i in range(COMMITS - 1)]
        args = FAST + ("--max-attempts", "100")
        d = self.dispatcher(args=args)
        runners = {f"r{i}": self.start_runner(d, f"r{i}", 0)
                   for i in range(RUNNERS)}
        self.notify_ok(d, repo, *commits)
        rng = random.Random(int(os.environ.get("SSCI_CHAOS_SEED", "21")))
        kills = {"runner": 0, "dispatcher": 0}
        deadline = time.monotonic() + 240
        jobs = None
        while jobs is None:
            self.assertLess(time.monotonic(), deadline, f"{kills}")
            time.sleep(rng.uniform(0.1, 0.4))
            if self.finished(d):
                break
            # Every third kill is the dispatcher's; the runner is random.
            victim = ("dispatcher" if sum(kills.values()) % 3 == 2 else
                      rng.choice(list(runners)))
            if victim == "dispatcher":
                d.signal(signal.SIGKILL)
                d.popen.wait()
                d = self.restart_dispatcher(d, args=args)
                kills["dispatcher"] += 1
            else:
                old = runners[victim]
                old.signal(signal.SIGKILL)
                old.popen.wait()
                kills["runner"] += 1
                runners[victim] = self.start_runner(d, victim,
                                                    sum(kills.values()))
        jobs = self.wait_for(lambda: self.finished(d), "every job to end",
                             timeout=120)
        self.assertGreaterEqual(kills["runner"], 6, kills)
        self.assertGreaterEqual(kills["dispatcher"], 3, kills)
        jobs = self.check_once_each(d, commits)
        print(f"chaos: {kills['runner']} runner and {kills['dispatcher']} "
              f"dispatcher kill -9s; attempts up to "
              f"{max(j['attempt'] for j in jobs)}")

    def test_stale_index_lock_removed(self):
        repo, first = self.repo_with(BODY)
        d = self.dispatcher(args=FAST)
        r = self.start_runner(d, "r0", 0)
        self.wait_log(r, "registered with")
        self.notify_ok(d, repo, first)
        self.wait_results(d, [first])
        r.signal(signal.SIGKILL)
        r.popen.wait()
        # What a git killed with its runner leaves: its lock.
        [index] = glob.glob(self.path("r0-work") + "/**/index",
                            recursive=True, include_hidden=True)
        open(index + ".lock", "w").close()
        r = self.start_runner(d, "r0", 1)
        second = self.commit(repo, "second")
        self.notify_ok(d, repo, second)
        self.wait_results(d, [second])
        self.assertRegex(d.result(second), r"(^|\n)result: passed ")
        self.assertIn(f"ssci: removed '{index}.lock', left by a git that "
                      "ended with its runner", d.result(second))
        self.assertFalse(os.path.exists(index + ".lock"))
