# SPDX-License-Identifier: MIT
"""Scheduled builds (--schedule 'REPO BRANCH CRON', docs/QUEUE.md): the
branch's tip rebuilt at each cron time with the trigger "schedule", once
per time; runs missed while the dispatcher was down made up once, not
once per missed time; a wrong schedule refused at start; a branch with
nothing to build yet said so, and built once it has something.

The dispatcher runs on a test clock (--test-schedule-clock EPOCH,SPEED),
so that minutes pass in seconds, or a restart can land ten minutes
later.  Times in the log are the clock's, in local time, as the test
computes them."""
import re
import time

from harness import SsciTest

# 2026-01-01T00:00:00Z: a minute's start in every zone of whole minutes.
MIDNIGHT = 1767225600


def minute(epoch):
    """A time as the dispatcher's log shows it (local, to the minute)."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


class TestSchedule(SsciTest):
    def start_dispatcher(self, repo, clock, extra=()):
        spec = f"{repo} main * * * * *"
        d = self.dispatcher(args=["--schedule", spec,
                                  "--test-schedule-clock", clock, *extra])
        return d, spec

    def scheduled(self, d, commit=None):
        """The jobs d queued for a schedule (of commit, if given)."""
        return [j for j in d.jobs() if j.get("trigger") == "schedule" and
                (commit is None or j["commit"] == commit)]

    def queued_lines(self, d, spec):
        """[(run's minute, job id)] of the "queued job" lines of spec."""
        pattern = re.compile(r"schedule '" + re.escape(spec) +
                             r"': its run of (\S+ \S+) queued job (\d+), ")
        return [(m, int(j)) for m, j in pattern.findall(d.stderr())]

    def test_every_minute_rebuilds_the_tip_once_a_minute(self):
        repo = self.make_repo("repo")
        tip = self.commit(repo, "the tip")
        started = time.monotonic()
        # A virtual minute a second, the first one two virtual seconds on.
        d, spec = self.start_dispatcher(repo, f"{MIDNIGHT - 2},60", extra=[
            "--branch-priority", "main=low"])
        self.runner(d, "solo")
        proc = self.notify(d, repo, tip)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        jobs = self.wait_for(lambda: len(self.scheduled(d)) >= 3 and
                             self.scheduled(d), "3 scheduled rebuilds")
        elapsed = time.monotonic() - started
        pushed = [j for j in d.jobs() if j.get("trigger") != "schedule"]
        self.assertEqual([(j["commit"], j["trigger"], j["priority"])
                          for j in pushed], [(tip, "hook", "low")],
                         self.logs())
        # Scheduled builds are "normal", whatever their branch's.
        for j in jobs:
            self.assertEqual((j["repo"], j["branch"], j["commit"],
                              j["priority"]),
                             (repo, "main", tip, "normal"), j)
            self.assertGreater(j["id"], pushed[0]["id"], j)
        # One run per minute, each a minute's start after the clock's.
        # (Runs go on meanwhile: the log is read between two looks.)
        before = {j["id"] for j in self.scheduled(d)}
        lines = self.queued_lines(d, spec)
        after = {j["id"] for j in self.scheduled(d)}
        self.assertLessEqual(before, {j for _, j in lines}, self.logs())
        self.assertLessEqual({j for _, j in lines}, after, self.logs())
        minutes = [m for m, _ in lines]
        self.assertEqual(len(minutes), len(set(minutes)), self.logs())
        valid = {minute(MIDNIGHT + 60 * k)
                 for k in range(int(elapsed) + 30)}
        self.assertLessEqual(set(minutes), valid, self.logs())
        self.assertEqual(minutes, sorted(minutes), self.logs())
        # No more runs than virtual minutes have passed.
        self.assertLessEqual(len(lines),
                             time.monotonic() - started + 1, self.logs())

    def test_missed_runs_made_up_once_after_a_restart(self):
        repo = self.make_repo("repo")
        tip = self.commit(repo, "the tip")
        # 00:00:58: the run of 00:01 comes two seconds on, with nothing
        # to build yet; it is recorded all the same.
        d, spec = self.start_dispatcher(repo, f"{MIDNIGHT + 58},1")
        self.wait_for(lambda: f"nothing to build yet for its run of "
                      f"{minute(MIDNIGHT + 60)}" in d.stderr(),
                      "the run of 00:01")
        self.assertEqual(d.stop(), 0, d.stderr())

        # 00:01:05: the run of 00:01 was recorded, so none is missed.
        d = self.restart_dispatcher(d, args=[
            "--schedule", spec, "--test-schedule-clock",
            f"{MIDNIGHT + 65},1"])
        self.wait_for(lambda: f"'{spec}': next run at "
                      f"{minute(MIDNIGHT + 120)}" in d.stderr(),
                      "the next run at 00:02")
        self.assertNotIn("missed", d.stderr())
        self.runner(d, "solo")
        proc = self.notify(d, repo, tip)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_jobs(d, 1, "the pushed commit")
        self.assertEqual(self.scheduled(d), [], self.logs())
        self.assertEqual(d.stop(), 0, d.stderr())

        # 00:11:30: nine runs (00:02 to 00:11) were missed; one is made.
        d = self.restart_dispatcher(d, args=[
            "--schedule", spec, "--test-schedule-clock",
            f"{MIDNIGHT + 690},1"])
        self.assertIn(f"'{spec}': missed its run of "
                      f"{minute(MIDNIGHT + 120)}", self.wait_for(
                          lambda: "missed" in d.stderr() and d.stderr(),
                          "the missed runs to be seen"))
        made = self.wait_for(lambda: self.scheduled(d, tip),
                             "the missed runs' rebuild")
        self.assertEqual(len(made), 1, made)
        self.assertIn(f"'{spec}': the run missed while the dispatcher was "
                      f"down queued job {made[0]['id']}", d.stderr())
        self.assertIn(f"'{spec}': next run at {minute(MIDNIGHT + 720)}",
                      d.stderr())
        # The next run is 30 s on: nothing more comes meanwhile.
        time.sleep(3)
        self.assertEqual(len(self.scheduled(d)), 1, self.logs())
        self.assertEqual(len(d.jobs()), 2, self.logs())

    def test_wrong_schedules_refused_at_start(self):
        repo = self.make_repo("repo")
        cases = [
            (["--schedule", f"{repo} main 61 * * * *"],
             "minute field '61': out of range 0-59"),
            (["--schedule", f"{repo} main * * * *"], "expected 5"),
            (["--schedule", f"{repo} main"], "not 'REPO BRANCH CRON'"),
            (["--schedule", f"{repo} bad..branch * * * * *"],
             "branch 'bad..branch': not a valid branch name"),
            (["--schedule", "ext::sh main * * * * *"],
             "repository 'ext::sh'"),
            (["--schedule", f"{repo} main 0 0 31 2 *"],
             "names no time in the next 5 years"),
            (["--schedule", f"{repo} main * * * * *",
              "--test-schedule-clock", "100,0"], "SPEED"),
            (["--schedule", f"{repo} main * * * * *",
              "--test-schedule-clock", "yesterday"], "EPOCH"),
        ]
        for args, why in cases:
            with self.subTest(args=args):
                proc = self.ssci("dispatcher", "--local-repos", "--port",
                                 "0", "--http", "off", "--state-dir",
                                 f"{self.tmp}/state", *args, timeout=20)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("invalid --", proc.stderr)
                self.assertIn(why, proc.stderr)
                self.assertNotIn("listening", proc.stdout)

    def test_nothing_to_build_yet_then_built(self):
        repo = self.make_repo("repo")
        d, spec = self.start_dispatcher(repo, f"{MIDNIGHT - 1},60",
                                        extra=["-v"])
        self.wait_for(lambda: f"'{spec}': nothing to build yet" in
                      d.stderr(), "the first run")
        # The next runs say it again only at debug level, and go on.
        self.wait_for(lambda: d.stderr().count("has no pipeline (again)")
                      >= 2, "two more runs")
        said = [line for line in d.stderr().splitlines()
                if "nothing to build yet" in line]
        self.assertEqual([" info: " in line for line in said],
                         [True] + [False] * (len(said) - 1), said)
        self.assertNotIn(" info: ", " ".join(said[1:]))
        self.assertTrue(d.alive(), d.stderr())
        self.assertEqual(d.jobs(), [])
        # Once the branch has a pipeline, the next run rebuilds it.
        tip = self.commit(repo, "now something")
        self.runner(d, "solo")
        proc = self.notify(d, repo, tip)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_for(lambda: self.scheduled(d, tip), "a scheduled rebuild")
