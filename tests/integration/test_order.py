# SPDX-License-Identifier: MIT
"""Ten commits pushed at once are all tested, oldest first, not only the
last (issue 2); the observer's mark does not move while the dispatcher is
down, so commits made meanwhile all arrive once it is back."""
import os

from harness import SsciTest, free_port, git

PUSHED = 10


class TestOrder(SsciTest):
    def bare_master(self):
        """A bare master repository, a work clone to push from, an observer
        clone and a runner clone; returns (master, work, obs, run)."""
        seed = self.make_repo("seed")
        master = os.path.join(self.tmp, "master.git")
        git(self.tmp, "clone", "-q", "--bare", seed, master)
        return (master, self.clone(master, "work"), self.clone(master, "obs"),
                self.clone(master, "run"))

    def mark(self, obs):
        """The observer's state file, or ""."""
        try:
            with open(os.path.join(obs, ".git", "ssci-observer")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def jobs_for(self, d, commits):
        """The final jobs of these commits, in commit order (waits)."""
        def ready():
            jobs = {j["commit"]: j for j in d.jobs()}
            if all(c in jobs and jobs[c]["finished_ms"] for c in commits):
                return [jobs[c] for c in commits]
            return None
        return self.wait_for(ready, f"jobs for {len(commits)} commits")

    def check_in_order(self, d, made):
        commits = [c for c, _ in made]
        self.wait_results(d, commits)
        jobs = self.jobs_for(d, commits)
        for (commit, marker), job in zip(made, jobs):
            self.assertEqual(job["state"], "passed", job)
            self.assertEqual(job["attempt"], 1, job)
            self.assertIn(marker, d.result(commit))
        ids = [j["id"] for j in jobs]
        self.assertEqual(ids, sorted(ids), "queued in commit order")
        started = [j["started_ms"] for j in jobs]
        self.assertEqual(started, sorted(started), "started in commit order")
        for before, after in zip(jobs, jobs[1:]):
            self.assertLessEqual(before["finished_ms"], after["started_ms"],
                                 "one runner runs one job at a time")
        counts = {}
        for j in d.jobs():
            counts[j["commit"]] = counts.get(j["commit"], 0) + 1
        self.assertEqual([counts[c] for c in commits], [1] * len(commits),
                         "each commit queued once")

    def test_ten_pushed_commits_all_tested_oldest_first(self):
        master, work, obs, run = self.bare_master()
        d = self.dispatcher()
        self.runner(d, "solo", clone=run)
        self.observer(d, obs)
        tip = git(master, "rev-parse", "main")
        self.wait_for(lambda: tip in self.mark(obs), "the first tip reported")
        made = self.marker_commits(work, PUSHED)
        git(work, "push", "-q", "origin", "main")
        order = git(master, "rev-list", "--reverse", f"{tip}..main").split()
        self.assertEqual(order, [c for c, _ in made])
        self.check_in_order(d, made)
        self.assertEqual(len(d.jobs()), PUSHED + 1, d.jobs())
        self.assertEqual(self.mark(obs).split(), ["main", made[-1][0]])

    def test_mark_kept_while_dispatcher_restarts(self):
        master, work, obs, run = self.bare_master()
        port = free_port()
        d = self.dispatcher(port=port)
        observer = self.observer(d, obs)
        tip = git(master, "rev-parse", "main")
        self.wait_for(lambda: tip in self.mark(obs), "the first tip reported")
        self.assertEqual(d.stop(), 0, "dispatcher stops cleanly on SIGTERM")
        made = self.marker_commits(work, 3)
        git(work, "push", "-q", "origin", "main")
        self.wait_for(lambda: "lost dispatcher" in observer.stderr(),
                      "the observer to notice the dispatcher is gone")
        self.assertEqual(self.mark(obs).split(), ["main", tip])
        d2 = self.dispatcher("dispatcher", port=port)
        self.runner(d2, "solo", clone=run)
        self.check_in_order(d2, made)
        self.assertEqual(self.mark(obs).split(), ["main", made[-1][0]])

    def test_commits_made_before_dispatcher_first_starts_arrive(self):
        repo = self.make_repo("master")
        obs = self.clone(repo, "obs")
        address = f"127.0.0.1:{free_port()}"
        start_tip = git(repo, "rev-parse", "HEAD")
        observer = self.start("observer", "observer", "--dispatcher-server",
                              address, "--interval", "1", obs)
        self.wait_for(lambda: "watching" in observer.stderr() or
                      not observer.alive(), "the observer to start")
        self.assertTrue(observer.alive(), observer.stderr())
        # Commits made after the observer started are new to it: all of
        # them must be tested, not only the tip it first reaches the
        # dispatcher with.
        made = self.marker_commits(repo, 4)
        self.assertEqual(self.mark(obs), "", "nothing reported yet")
        d = self.dispatcher(port=int(address.rsplit(":", 1)[1]))
        self.runner(d, "solo", clone=self.clone(repo, "run"))
        # Oldest first: once the newest has a job, so must all the others.
        self.wait_for(lambda: made[-1][0] in [j["commit"] for j in
                                              d.jobs()], "the newest commit")
        queued = [j["commit"] for j in d.jobs()]
        missing = [c for c, _ in made if c not in queued]
        self.assertEqual(missing, [], "commits made while the dispatcher "
                         f"was not up yet were never reported\n{self.logs()}")
        self.check_in_order(d, made)
        self.assertEqual([j["commit"] for j in d.jobs()],
                         [start_tip] + [c for c, _ in made],
                         "the tip at start-up first, then every new commit")
