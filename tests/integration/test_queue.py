# SPDX-License-Identifier: MIT
"""The queue's order (issue 17, docs/QUEUE.md): repositories take turns
(a lone commit waits for at most one job of a repository with a backlog),
the status says why each queued job waits, and a higher priority goes
first across the turns."""
from harness import PASSING_TEST, SsciTest

# A's tests take a while, so that its backlog is still there when B comes.
SLOW_TEST = PASSING_TEST.replace(
    "import unittest", "import time\nimport unittest\n\ntime.sleep(0.4)")


class QueueTest(SsciTest):
    def commits(self, repo, n, branch=None):
        """n new commits on repo (on branch if given), oldest first."""
        from harness import git
        if branch is not None:
            git(repo, "checkout", "-q", "-B", branch)
        return [self.commit(repo, f"{branch or 'main'} {i}")
                for i in range(n)]

    def dispatch(self, d, repo, commits, branch="main", **fields):
        """Dispatch commits in order on one connection; their job ids."""
        ids = []
        with d.connect() as c:
            self.assertEqual(c.hello("client", d.token()), {"type": "ok"})
            for commit in commits:
                reply = c.request({"type": "dispatch", "repo": repo,
                                   "commit": commit, "branch": branch,
                                   **fields})
                self.assertEqual(reply["type"], "ok", reply)
                ids.append(reply["job"])
        return ids

    def job(self, d, job_id):
        return next(j for j in d.jobs() if j["id"] == job_id)


class TestFairShare(QueueTest):
    def test_lone_commit_waits_for_one_job_of_a_backlog(self):
        a = self.make_repo("a", tests=SLOW_TEST)
        b = self.make_repo("b")
        a_commits = self.commits(a, 50)
        b_commit = self.commits(b, 1)[0]
        d = self.dispatcher()
        self.runner(d, "solo")
        a_ids = self.dispatch(d, a, a_commits)
        self.wait_for(lambda: self.job(d, a_ids[0])["started_ms"],
                      "A's first job to start")
        b_id = self.dispatch(d, b, [b_commit])[0]
        # While A's first job runs, B's is next, and A's next waits
        # behind it.
        queue = d.query({"type": "status"})["queue"]
        running = [j for j in d.jobs() if j["state"] == "running"]
        if [j["id"] for j in running] == [a_ids[0]]:
            self.assertEqual(queue[0]["id"], b_id, queue[:3])
            self.assertEqual(queue[0]["waiting"], "all runners busy")
            self.assertEqual(queue[1]["repo"], a)
            self.assertEqual(queue[1]["waiting"], f"behind 1 job of {b}")
            self.assertEqual(queue[2]["waiting"],
                             f"behind 1 job of {b}, 1 of {a}")
        b_job = self.wait_for(
            lambda: (lambda j: j if j["finished_ms"] else None)(
                self.job(d, b_id)), "B's job to end")
        self.assertEqual(b_job["state"], "passed", b_job)
        jobs = {j["id"]: j for j in d.jobs()}
        overtaken = [i for i in a_ids if jobs[i]["started_ms"] and
                     b_job["created_ms"] <= jobs[i]["started_ms"] <
                     b_job["started_ms"]]
        self.assertLessEqual(len(overtaken), 1, overtaken)

    def test_branches_of_a_repository_take_turns(self):
        a = self.make_repo("a")
        main = self.commits(a, 4)
        topic = self.commits(a, 2, branch="topic")
        d = self.dispatcher()
        main_ids = self.dispatch(d, a, main)
        topic_ids = self.dispatch(d, a, topic, branch="topic")
        queue = d.query({"type": "status"})["queue"]
        self.assertEqual([j["id"] for j in queue],
                         [main_ids[0], topic_ids[0], main_ids[1],
                          topic_ids[1], main_ids[2], main_ids[3]])
        self.assertEqual({j["waiting"] for j in queue},
                         {"no runner connected"})
        self.runner(d, "solo")
        jobs = self.wait_jobs(d, 6)
        started = sorted(jobs, key=lambda j: j["started_ms"])
        self.assertEqual([j["id"] for j in started][:4],
                         [main_ids[0], topic_ids[0], main_ids[1],
                          topic_ids[1]])


class TestPriority(QueueTest):
    def test_high_priority_overtakes(self):
        a = self.make_repo("a")
        normal = self.commits(a, 5)
        hot = self.commits(a, 1, branch="hot")
        pr = self.commits(a, 1, branch="pr/7")
        d = self.dispatcher(args=["--branch-priority", "hot=high"])
        pr_id = self.dispatch(d, a, pr, branch="pr/7")[0]
        normal_ids = self.dispatch(d, a, normal)
        hot_id = self.dispatch(d, a, hot, branch="hot")[0]
        # A dispatch that asks for it (notify --priority high).
        self.commits(a, 0, branch="main")
        urgent = self.commits(a, 1)
        urgent_id = self.dispatch(d, a, urgent, priority="high")[0]
        queue = d.query({"type": "status"})["queue"]
        self.assertEqual({queue[0]["id"], queue[1]["id"]},
                         {hot_id, urgent_id}, queue)
        self.assertEqual(queue[0]["priority"], "high")
        self.assertEqual(queue[1]["priority"], "high")
        # Pull requests wait for the branches they would merge into.
        self.assertEqual(queue[-1]["id"], pr_id, queue)
        self.assertEqual(queue[-1]["priority"], "low")
        self.runner(d, "solo")
        jobs = {j["id"]: j for j in self.wait_jobs(d, 8)}
        for high in (hot_id, urgent_id):
            self.assertLess(jobs[high]["started_ms"],
                            min(jobs[i]["started_ms"] for i in normal_ids))
        self.assertGreater(jobs[pr_id]["started_ms"],
                           max(jobs[i]["started_ms"] for i in normal_ids))

    def test_retry_is_high(self):
        a = self.make_repo("a")
        first = self.commits(a, 1)
        later = self.commits(a, 3)
        d = self.dispatcher()
        first_id = self.dispatch(d, a, first)[0]
        runner = self.runner(d, "solo")
        self.wait_jobs(d, 1)
        runner.stop()
        later_ids = self.dispatch(d, a, later)
        reply = d.query({"type": "retry", "id": first_id})
        self.assertEqual(reply["type"], "ok", reply)
        retry = next(j for j in d.jobs() if j["retry_of"] == first_id)
        self.assertEqual(retry["priority"], "high")
        self.assertEqual(retry["trigger"], f"retry of #{first_id}")
        self.runner(d, "solo")
        jobs = {j["id"]: j for j in self.wait_jobs(d, 5)}
        self.assertLess(jobs[retry["id"]]["started_ms"],
                        min(jobs[i]["started_ms"] for i in later_ids))
