# SPDX-License-Identifier: MIT
"""Many repositories, branches and slots (issue 5): one dispatcher keeps
the results of two repositories with two branches each apart, runners keep
a cached clone per repository, "runner --jobs 3" runs 3 jobs at once in
separate worktrees, a force-pushed branch has its new tip tested without
errors, and "observer --all-branches" tests a new branch from its tip."""
import os
import re

from harness import git
from up_util import UpTest

# Records its folder and start time, then waits (bounded) until three
# runs have started: it passes only if three runs overlap.
OVERLAP_BODY = '''echo "$PWD $(date +%s.%N)" >> "$T/shared"
n=0
while [ "$(wc -l < "$T/shared")" -lt 3 ] && [ $n -lt 200 ]; do
    sleep 0.1; n=$((n+1))
done
[ "$(wc -l < "$T/shared")" -ge 3 ]
'''


class TestMany(UpTest):
    def watch(self, d, repo, name, *args):
        """An observer of repo (through its own clone); waits until it has
        reported the start-up tip of each branch named in args."""
        o = self.observer(d, self.clone(repo, f"{name}-obs"),
                          name=f"observer-{name}", args=args)
        for branch in args[1::2] or ["main"]:
            self.wait_for(lambda: re.search(rf"(reported|known) \S+ on "
                                            rf"'{branch}': job", o.stderr()),
                          f"observer-{name} to report '{branch}'")
        return o

    def test_two_repositories_two_branches_each(self):
        d = self.dispatcher()
        repos = {}
        for name in ("alpha", "beta"):
            repos[name] = self.make_repo(name)
            git(repos[name], "branch", "feature")
            self.watch(d, repos[name], name, "--branch", "main",
                       "--branch", "feature")
        runners = [self.runner(d, f"runner{i}") for i in (1, 2)]
        made = {}   # commit: (repository, branch, marker)
        for name, repo in repos.items():
            for branch in ("main", "feature"):
                git(repo, "checkout", "-q", branch)
                for commit, marker in self.marker_commits(
                        repo, 2, f"{name}-{branch}"):
                    made[commit] = (repo, branch, marker)
        self.assert_passed(d, list(made))
        markers = {m for _, _, m in made.values()}
        for commit, (repo, branch, marker) in made.items():
            text = d.result(commit)
            self.assertEqual([m for m in markers if m in text], [marker],
                             f"{commit}: {text}")
            [job] = self.jobs_of(d, commit)
            self.assertEqual((job["repo"], job["branch"]), (repo, branch),
                             job)
        # One cached clone per repository a runner has tested.
        for r in runners:
            ran = {j["repo"] for j in d.jobs() if j["runner"] == r.name}
            cache = os.path.join(self.tmp, f"{r.name}-work", "repos")
            entries = sorted(os.listdir(cache)) if os.path.isdir(cache) \
                else []
            self.assertEqual(len(entries), len(ran), f"{r.name}: {entries}, "
                             f"tested {ran}")
            urls = {git(os.path.join(cache, e), "remote", "get-url",
                        "origin") for e in entries}
            self.assertEqual(urls, ran, f"{r.name}: {entries}")
        self.assertEqual({j["repo"] for j in d.jobs()}, set(repos.values()))

    def test_slots_add_their_worktrees_one_at_a_time(self):
        # git's "worktree add" reads every worktree of the clone, and one
        # half made by another add fails it: eight slots of each of two
        # runners that have no worktree yet all add theirs at once.
        repo = self.make_repo()
        self.commit(repo, "a quick test", {".ssci/test": "#!/bin/sh\n"})
        commits = [self.commit(repo, f"c{i}") for i in range(16)]
        d = self.dispatcher()
        runners = [self.runner(d, f"r{i}", args=("--jobs", "8"))
                   for i in range(2)]
        self.notify_ok(d, repo, *commits)
        self.assert_passed(d, commits)
        for job in d.jobs():
            self.assertEqual(job["attempt"], 1, job)
        self.assertEqual({j["runner"] for j in d.jobs()},
                         {r.name for r in runners})

    def test_runner_with_3_slots_runs_3_jobs_at_once(self):
        repo, first = self.repo_with(OVERLAP_BODY)
        commits = [first, self.commit(repo, "second"),
                   self.commit(repo, "third")]
        d = self.dispatcher()
        self.runner(d, "r3", args=("--jobs", "3"))
        self.notify_ok(d, repo, *commits)
        self.assert_passed(d, commits)
        with open(self.path("shared")) as f:
            cwds = [line.split()[0] for line in f if line.strip()]
        self.assertEqual(len(cwds), 3, cwds)
        self.assertEqual(len(set(cwds)), 3, cwds)
        trees = os.path.realpath(self.path("r3-work/trees"))
        for cwd in cwds:
            self.assertEqual(os.path.dirname(os.path.realpath(cwd)), trees,
                             cwds)
        jobs = [self.jobs_of(d, c)[0] for c in commits]
        self.assertLess(max(j["started_ms"] for j in jobs),
                        min(j["finished_ms"] for j in jobs), jobs)

    def test_force_push_new_tip_tested(self):
        bare = self.path("bare.git")
        git(self.tmp, "clone", "-q", "--bare", self.make_repo("origin"), bare)
        work = self.clone(bare, "work")
        d = self.dispatcher()
        self.runner(d, "r1")
        o = self.watch(d, bare, "bare", "--branch", "main")
        pushed = [self.commit(work, "one"), self.commit(work, "two")]
        git(work, "push", "-q", "origin", "main")
        self.assert_passed(d, pushed)
        with open(os.path.join(work, "amended"), "w") as f:
            f.write("rewritten\n")
        git(work, "add", "amended")
        git(work, "commit", "-q", "--amend", "-m", "two, rewritten")
        tip = git(work, "rev-parse", "HEAD")
        git(work, "push", "-q", "--force", "origin", "main")
        self.assert_passed(d, [tip])
        self.assertNotIn("failed", o.stderr())
        self.assertEqual([j for j in d.jobs() if j["state"] == "error"], [])

    def test_all_branches_new_branch_tested_from_its_tip(self):
        repo = self.make_repo()
        d = self.dispatcher()
        self.runner(d, "r1")
        o = self.watch(d, repo, "all", "--all-branches")
        # Both commits made before the branch exists, so that however soon
        # the observer polls, the branch's first tip is the second.
        git(repo, "checkout", "-q", "--detach")
        inner = self.commit(repo, "topic 1")
        tip = self.commit(repo, "topic 2")
        git(repo, "checkout", "-q", "-b", "topic")
        self.assert_passed(d, [tip])
        self.wait_log(o, "new branch 'topic'")
        later = self.commit(repo, "topic 3")
        self.assert_passed(d, [later])
        for commit in (tip, later):
            self.assertEqual(self.jobs_of(d, commit)[0]["branch"], "topic")
        self.assertEqual(self.jobs_of(d, inner), [])
