# SPDX-License-Identifier: MIT
"""Pipelines (issue 13): a commit's .ssci.yml makes several jobs with
needs, a matrix, labels and allowed failures, spread over real runners on
loopback; failures skip what depends on them; a lost runner or dispatcher
loses nothing and repeats no finished job; a bad file is an error that
names its line."""
import os
import re
import signal
import socket
import threading

from harness import SsciTest, git


class PlanHolder:
    """A proxy between a runner and the dispatcher that holds back the
    runner's plan message until released: what the dispatcher does when
    a cancel crosses a plan."""

    def __init__(self, test, port):
        self.port_to = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        test.addCleanup(self.listener.close)
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.held = threading.Event()
        self.release = threading.Event()
        self.socks = []
        test.addCleanup(lambda: [s.close() for s in self.socks])
        threading.Thread(target=self.serve, daemon=True).start()

    def pump(self, src, dst, hold):
        buf = b""
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if hold and b'"type":"plan"' in line and \
                        not self.held.is_set():
                    self.held.set()
                    self.release.wait(30)
                dst.sendall(line + b"\n")

    def serve(self):
        runner, _ = self.listener.accept()
        disp = socket.create_connection(("127.0.0.1", self.port_to))
        self.socks += [runner, disp]
        threading.Thread(target=self.pump, args=(disp, runner, False),
                         daemon=True).start()
        self.pump(runner, disp, True)

EXAMPLE = """\
jobs:
  build:
    run: echo BUILD-RAN
  unit:
    needs: [build]
    run: [echo UNIT-RAN, 'test "$SSCI_JOB_NAME" = unit']
  integration:
    needs: [build]
    run: 'echo "INTEGRATION PY=$PY LANG=$LANG"; sleep 1.5'
    labels: [linux]
    matrix:
      PY: ["3.11", "3.12"]
    env: {LANG: C.UTF-8}
    timeout: 600
  lint:
    run: echo LINT-RAN; exit 3
    allow_failure: true
"""


class TestPipelines(SsciTest):
    def repo_with(self, plan, name="repo", files=None):
        """A repository whose last commit holds plan as .ssci.yml (and
        files); returns (path, commit)."""
        repo = self.make_repo(name)
        return repo, self.commit(repo, "pipeline",
                                 {".ssci.yml": plan, **(files or {})})

    def send(self, d, repo, commit):
        proc = self.notify(d, repo, commit)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def pipeline_jobs(self, d, commit, count):
        """The jobs of commit's latest pipeline once all count are over,
        by name."""
        def done():
            jobs = [j for j in d.jobs() if j["commit"] == commit]
            if not jobs:
                return None
            latest = max(j["pipeline"] for j in jobs)
            jobs = [j for j in jobs if j["pipeline"] == latest]
            if len(jobs) == count and d.result(commit) and \
                    all(j["pipeline_state"] not in ("queued", "running")
                        for j in jobs):
                return {j["name"]: j for j in jobs}
            return None
        return self.wait_for(done, f"{count} jobs of {commit[:8]}")

    def log(self, d, job):
        reply = d.query({"type": "tail", "id": job["id"]})
        return reply["data"]

    def last_line(self, d, commit):
        return d.result(commit).rstrip("\n").split("\n")[-1]

    def test_example_pipeline_on_three_runners(self):
        repo, commit = self.repo_with(EXAMPLE)
        d = self.dispatcher()
        for name in ("r1", "r2", "r3"):
            self.runner(d, name, args=("--label", "linux"))
        self.send(d, repo, "HEAD")
        jobs = self.pipeline_jobs(d, commit, 5)
        self.assertEqual(sorted(jobs), ["build", "integration[PY=3.11]",
                                        "integration[PY=3.12]", "lint",
                                        "unit"])
        build = jobs["build"]
        for name in ("unit", "integration[PY=3.11]",
                     "integration[PY=3.12]"):
            self.assertEqual(jobs[name]["state"], "passed", jobs[name])
            self.assertGreaterEqual(jobs[name]["started_ms"],
                                    build["finished_ms"], name)
        self.assertEqual(jobs["lint"]["state"], "failed")
        self.assertTrue(jobs["lint"]["allow_failure"])
        a, b = jobs["integration[PY=3.11]"], jobs["integration[PY=3.12]"]
        self.assertNotEqual(a["runner"], b["runner"])
        self.assertLess(a["started_ms"], b["finished_ms"], "at the same time")
        self.assertLess(b["started_ms"], a["finished_ms"], "at the same time")
        self.assertIn("INTEGRATION PY=3.11 LANG=C.UTF-8", self.log(d, a))
        self.assertIn("INTEGRATION PY=3.12 LANG=C.UTF-8", self.log(d, b))
        self.assertEqual({j["pipeline_state"] for j in jobs.values()},
                         {"passed"})
        text = d.result(commit)
        self.assertIn("=== build: passed", text)
        self.assertIn("BUILD-RAN", text)
        self.assertIn("UNIT-RAN", text)
        self.assertEqual(text.count("\nresult: "), 1)
        line = self.last_line(d, commit)
        self.assertRegex(line, r"^result: passed jobs=5 ")
        self.assertIn(" allowed_failures=lint", line)
        self.assertIn(f" pipeline={build['pipeline']}", line)

    def test_failed_build_skips_its_dependents(self):
        plan = EXAMPLE.replace("run: echo BUILD-RAN",
                               "run: [echo BUILD-RAN, 'exit 2']")
        repo, commit = self.repo_with(plan)
        d = self.dispatcher()
        self.runner(d, "r1", args=("--label", "linux"))
        self.runner(d, "r2")
        self.send(d, repo, "HEAD")
        jobs = self.pipeline_jobs(d, commit, 5)
        self.assertEqual(jobs["build"]["state"], "failed")
        self.assertEqual(jobs["build"]["exit_code"], 2)
        for name in ("unit", "integration[PY=3.11]",
                     "integration[PY=3.12]"):
            self.assertEqual(jobs[name]["state"], "skipped")
            self.assertEqual(jobs[name]["reason"],
                             "needs 'build', which failed")
            self.assertIsNone(jobs[name]["started_ms"])
        self.assertEqual(jobs["build"]["pipeline_state"], "failed")
        line = self.last_line(d, commit)
        self.assertRegex(line, r"^result: failed jobs=5 passed=0 "
                         r"failed_jobs=build skipped_jobs=unit,")

    def test_labelled_job_waits_for_a_runner_with_its_labels(self):
        plan = ("jobs:\n  cpu:\n    run: echo CPU\n"
                "  gpu:\n    run: echo GPU-RAN-HERE\n    labels: [gpu]\n")
        repo, commit = self.repo_with(plan)
        d = self.dispatcher()
        self.runner(d, "plain")
        self.send(d, repo, "HEAD")

        def waiting():
            for j in d.query({"type": "status"})["queue"]:
                if j.get("name") == "gpu":
                    return j
            return None
        job = self.wait_for(waiting, "the gpu job to wait")
        self.assertEqual(job["waiting"], "no runner with labels [gpu]")
        self.wait_for(lambda: any(j["name"] == "cpu" and
                                  j["state"] == "passed" for j in d.jobs()),
                      "the cpu job")
        self.assertEqual(waiting()["state"], "queued")
        self.runner(d, "gpu-runner", args=("--label", "gpu"))
        status = self.ssci("status", "--dispatcher-server", d.address)
        self.assertRegex(status.stdout, r"(?m)^  gpu-runner .* labels gpu$")
        self.assertRegex(status.stdout, r"(?m)^  plain .* ago$")
        jobs = self.pipeline_jobs(d, commit, 2)
        self.assertEqual(jobs["gpu"]["state"], "passed")
        self.assertEqual(jobs["gpu"]["runner"], "gpu-runner")
        self.assertEqual(jobs["gpu"]["attempt"], 1)
        self.assertEqual(jobs["cpu"]["runner"], "plain")

    def test_killed_runner_reruns_only_its_job(self):
        plan = ("jobs:\n  quick:\n    run: echo QUICK\n"
                "  slow:\n    needs: [quick]\n"
                "    run: 'echo SLOW-STARTED; sleep 2; echo SLOW-DONE'\n")
        repo, commit = self.repo_with(plan)
        d = self.dispatcher(args=("--runner-timeout", "2"))
        first = self.runner(d, "first")
        self.send(d, repo, "HEAD")
        self.wait_for(lambda: any(j["name"] == "slow" and
                                  j["state"] == "running"
                                  for j in d.jobs()), "slow to start")
        first.signal(signal.SIGKILL)
        first.kill_group()
        self.runner(d, "second")
        jobs = self.pipeline_jobs(d, commit, 2)
        self.assertEqual(jobs["quick"]["attempt"], 1)
        self.assertEqual(jobs["quick"]["runner"], "first")
        self.assertEqual(jobs["slow"]["attempt"], 2)
        self.assertEqual(jobs["slow"]["runner"], "second")
        self.assertEqual(jobs["slow"]["state"], "passed")
        self.assertRegex(self.last_line(d, commit), r"^result: passed jobs=2 ")

    def test_killed_dispatcher_loses_no_job_and_repeats_none(self):
        counter = os.path.join(self.tmp, "build-runs")
        plan = ("jobs:\n  build:\n    run: echo x >> " + counter + "\n"
                "  middle:\n    needs: [build]\n"
                "    run: 'sleep 1.5; echo MIDDLE'\n"
                "  last:\n    needs: [middle]\n    run: echo LAST\n")
        repo, commit = self.repo_with(plan)
        state = os.path.join(self.tmp, "state")
        results = os.path.join(self.tmp, "results")
        args = ("--state-dir", state, "--results-dir", results)
        d = self.dispatcher(args=args)
        self.runner(d, "r1")
        self.send(d, repo, "HEAD")
        self.wait_for(lambda: any(j["name"] == "middle" and
                                  j["state"] == "running"
                                  for j in d.jobs()), "middle to start")
        d.signal(signal.SIGKILL)
        d.stop()
        d2 = self.dispatcher("dispatcher2", port=d.port, args=args)
        jobs = self.pipeline_jobs(d2, commit, 3)
        self.assertEqual({j["state"] for j in jobs.values()}, {"passed"})
        self.assertEqual(jobs["build"]["attempt"], 1)
        with open(counter) as f:
            self.assertEqual(f.read(), "x\n", "build ran once")
        self.assertEqual(len([j for j in d2.jobs()
                              if j["commit"] == commit]), 3)
        self.assertRegex(self.last_line(d2, commit), r"^result: passed jobs=3 ")

    def test_bad_files_end_as_error_naming_the_line(self):
        bad = {
            "not yaml": ("jobs:\n  a:\n    run: [x\n", ".ssci.yml:4:1:"),
            "unknown key": ("jobs:\n  a:\n    run: x\n    runs: y\n",
                            ".ssci.yml:4:5:"),
            "needs no job": ("jobs:\n  a:\n    run: x\n    needs: [b]\n",
                             ".ssci.yml:4:13:"),
            "cycle": ("jobs:\n  a:\n    run: x\n    needs: [b]\n"
                      "  b:\n    run: x\n    needs: [a]\n", ".ssci.yml:"),
            "empty matrix": ("jobs:\n  a:\n    run: x\n    matrix: {}\n",
                             ".ssci.yml:4:13:"),
            "label not a word": ("jobs:\n  a:\n    run: x\n"
                                 "    labels: ['no way']\n",
                                 ".ssci.yml:4:14:"),
            "too many jobs": ("jobs:\n  a:\n    run: x\n    matrix:\n"
                              "      A: [" + ",".join(map(str, range(17))) +
                              "]\n      B: [" +
                              ",".join(map(str, range(16))) + "]\n",
                              ".ssci.yml:"),
        }
        repo = self.make_repo()
        commits = {}
        for what, (text, _) in bad.items():
            commits[what] = self.commit(repo, what, {".ssci.yml": text})
        d = self.dispatcher()
        self.runner(d, "r1")
        for what, commit in commits.items():
            self.send(d, repo, commit)
        for what, (text, where) in bad.items():
            commit = commits[what]
            jobs = self.pipeline_jobs(d, commit, 1)
            (job,) = jobs.values()
            self.assertEqual(job["state"], "error", what)
            self.assertEqual(job["pipeline_state"], "error", what)
            self.assertIn(where, job["reason"], what)
            self.assertIn(where, d.result(commit), what)
            self.assertRegex(self.last_line(d, commit), r"^result: error ")

    def test_retry_reruns_only_what_failed_and_cancel_stops_all(self):
        flag = os.path.join(self.tmp, "fixed")
        plan = ("jobs:\n  build:\n    run: echo BUILD\n"
                "  flaky:\n    needs: [build]\n    run: test -e " + flag +
                "\n  after:\n    needs: [flaky]\n    run: echo AFTER\n")
        repo, commit = self.repo_with(plan)
        d = self.dispatcher()
        self.runner(d, "r1")
        self.send(d, repo, "HEAD")
        jobs = self.pipeline_jobs(d, commit, 3)
        self.assertEqual(jobs["flaky"]["state"], "failed")
        self.assertEqual(jobs["after"]["state"], "skipped")
        old = jobs["build"]["pipeline"]
        open(flag, "w").close()
        reply = self.ssci("retry", "--dispatcher-server", d.address,
                          str(jobs["after"]["id"]))
        self.assertEqual(reply.returncode, 0, reply.stderr)

        def new_pipeline():
            js = [j for j in d.jobs() if j["commit"] == commit and
                  j["pipeline"] != old]
            if len(js) == 3 and all(j["pipeline_state"] == "passed"
                                    for j in js):
                return {j["name"]: j for j in js}
            return None
        again = self.wait_for(new_pipeline, "the retried pipeline")
        self.assertEqual(again["build"]["reason"],
                         f"passed in job {jobs['build']['id']}")
        self.assertEqual(again["build"]["started_ms"],
                         jobs["build"]["started_ms"], "not run again")
        self.assertIn("BUILD", self.log(d, again["build"]))
        self.assertEqual(again["flaky"]["state"], "passed")
        self.assertRegex(self.last_line(d, commit),
                         rf"replaces={old} pipeline=")

        # Cancel: every job of the pipeline not over stops.
        slow = ("jobs:\n  a:\n    run: sleep 30\n"
                "  b:\n    needs: [a]\n    run: echo B\n")
        commit2 = self.commit(repo, "slow", {".ssci.yml": slow})
        self.send(d, repo, "HEAD")
        running = self.wait_for(lambda: [j for j in d.jobs() if
                                         j["commit"] == commit2 and
                                         j["state"] == "running" and
                                         j["name"] == "a"], "a to run")
        reply = self.ssci("cancel", "--dispatcher-server", d.address,
                          str(running[0]["id"]))
        self.assertEqual(reply.returncode, 0, reply.stderr)
        jobs = self.pipeline_jobs(d, commit2, 2)
        self.assertEqual(jobs["a"]["state"], "cancelled")
        self.assertIn(jobs["b"]["state"], ("cancelled", "skipped"))
        self.assertEqual(jobs["a"]["pipeline_state"], "cancelled")

    def test_cancel_that_crosses_the_plan_stops_everything(self):
        plan = ("jobs:\n  a:\n    run: 'echo A-STARTED; sleep 5'\n"
                "  b:\n    run: echo B-STARTED\n")
        repo, commit = self.repo_with(plan)
        d = self.dispatcher()
        holder = PlanHolder(self, d.port)
        self.runner(holder, "r1")
        self.send(d, repo, "HEAD")
        self.wait_for(holder.held.is_set, "the plan to be held back")
        (job,) = d.jobs()
        reply = self.ssci("cancel", "--dispatcher-server", d.address,
                          str(job["id"]))
        self.assertEqual(reply.returncode, 0, reply.stderr)
        holder.release.set()
        self.wait_results(d, [commit])
        jobs = d.jobs()
        self.assertEqual([(j["state"], j["pipeline_state"]) for j in jobs],
                         [("cancelled", "cancelled")], jobs)
        self.assertNotIn("STARTED", d.result(commit))
        self.assertRegex(self.last_line(d, commit), r"^result: cancelled ")

    def test_longest_names_in_the_results_file(self):
        """A matrix makes long names: each is written whole, in its
        header and in the result line, whatever its length."""
        base = "n" * 64
        keys = "".join(f"      K{i}: [{'v' * 64}]\n" for i in range(8))
        plan = (f"jobs:\n  {base}:\n    run: exit 1\n    matrix:\n{keys}"
                "  ok:\n    run: 'true'\n")
        repo, commit = self.repo_with(plan)
        d = self.dispatcher()
        self.runner(d, "r1")
        self.send(d, repo, "HEAD")
        jobs = self.pipeline_jobs(d, commit, 2)
        (long_name,) = [n for n in jobs if n != "ok"]
        self.assertEqual(long_name, base + "[" + ",".join(
            f"K{i}={'v' * 64}" for i in range(8)) + "]")
        self.assertEqual(jobs[long_name]["state"], "failed")
        self.assertIn(f"\n=== {long_name}: failed (job ", "\n" +
                      d.result(commit))
        self.assertRegex(self.last_line(d, commit),
                         rf"^result: failed jobs=2 passed=1 "
                         rf"failed_jobs={re.escape(long_name)} ")

    def test_plain_repository_keeps_one_job(self):
        repo = self.make_repo()
        commit = git(repo, "rev-parse", "HEAD")
        d = self.dispatcher()
        self.runner(d, "r1")
        self.send(d, repo, "HEAD")
        self.wait_results(d, [commit])
        (job,) = [j for j in d.jobs() if j["commit"] == commit]
        self.assertIsNone(job["name"])
        self.assertEqual(job["pipeline"], job["id"])
        self.assertRegex(self.last_line(d, commit),
                         rf"^result: passed exit_code=0 .* job={job['id']}$")
