# SPDX-License-Identifier: MIT
"""Sharding (issue 18): a pytest suite of 40 tests, its durations known
from a first run, split over 4 real runners on loopback by those
durations; every test runs once, the merged result names them all, a
failure in a shard fails the job naming its test, and a runner killed
mid-shard costs only that shard's re-run."""
import os
import re
import signal

from harness import git
from tests_util import TestsTest

# Four slow tests that a split by count alone puts in one shard: sorted
# by id, they come at places 0, 4, 8 and 12, which a round of four
# shards gives to the first shard every time.
SLOW = {0, 4, 8, 12}
SLOW_S = 1.2


# Fails the test that comes first in shard 3's list: which one that is,
# the split decides when the pipeline starts.
FIRST_OF_SHARD_3 = """
def first_of_shard_3(name):
    if os.environ.get("SSCI_SHARD_INDEX") != "3":
        return
    with open(os.environ["SSCI_TESTS_FILE"]) as f:
        first = f.readline().strip()
    assert not first.endswith("::" + name), "BROKEN-" + name
"""


def suite(fail=False, sleepy=None, mark=None):
    """40 tests in tests/test_s.py: test_00 .. test_39; with fail, the
    first test of shard 3 fails; sleepy names one that sleeps long enough
    to be caught the first time it runs (mark, a file outside the tree,
    says it has)."""
    lines = ["import os", "import time", FIRST_OF_SHARD_3]
    for i in range(40):
        name = f"test_{i:02d}"
        wait = SLOW_S if i in SLOW else 0.02
        lines += [f"def {name}():", f"    time.sleep({wait})"]
        if fail:
            lines.append(f"    first_of_shard_3({name!r})")
        if name == sleepy:
            lines += [f"    if not os.path.exists({mark!r}):",
                      f"        open({mark!r}, 'w').close()",
                      "        time.sleep(60)"]
        lines.append("")
    return "\n".join(lines)


PLAN = """\
jobs:
  unit:
    run: python3 -m pytest -q -p no:cacheprovider -p no:warnings --junitxml=report.xml $SSCI_TESTS
    list: python3 -m pytest -q -p no:cacheprovider -p no:warnings --collect-only
    shards: 4
    reports: [report.xml]
"""


DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "docs", "PIPELINES.md")


def adapters(names):
    """The jobs names of docs/PIPELINES.md's adapters, as a .ssci.yml."""
    with open(DOCS) as f:
        text = f.read()
    block = text.split("### Adapters", 1)[1].split("```yaml\n", 1)[1]
    block = block.split("```", 1)[0]
    jobs, name = {}, None
    for line in block.split("\n")[1:]:
        if line.startswith("  ") and not line.startswith("   ") and \
                line.rstrip().endswith(":"):
            name = line.strip()[:-1]
            jobs[name] = [line]
        elif name and line.startswith("    "):
            jobs[name].append(line)
    return "jobs:\n" + "".join("\n".join(jobs[n]) + "\n" for n in names)


UNITTESTS = "import unittest\n\n\nclass TestU(unittest.TestCase):\n" + \
    "".join(f"    def test_{i}(self):\n        pass\n\n" for i in range(6))
C_TEST = '#include <stdio.h>\nint main(void) { puts("RAN %s"); return 0; }\n'
MAKEFILE = ("check:\n\t@for t in $(TESTS); do cc -o $$t $$t.c && ./$$t "
            "|| exit 1; done\n")


class TestShards(TestsTest):
    def setUp(self):
        super().setUp()
        self.repo = self.make_repo("suite")
        git(self.repo, "rm", "-q", "tests/test_example.py")
        self.d = self.dispatcher(http=True)
        self.runners = {n: self.runner(self.d, n)
                        for n in ("r1", "r2", "r3", "r4")}

    def push(self, message, **kw):
        return self.commit(self.repo, message, {".ssci.yml": PLAN,
                                                "tests/test_s.py": suite(**kw),
                                                "NOTE": message})

    def pipeline(self, commit):
        """The finished pipeline of commit from the API, jobs by name."""
        self.assertEqual(self.notify(self.d, self.repo, commit).returncode,
                         0)
        self.wait_results(self.d, [commit])
        job = [j for j in self.d.jobs() if j["commit"] == commit][0]
        p = self.get_json(self.d, f"/api/pipelines/{job['pipeline']}")
        return {j["name"]: j for j in p["jobs"]}

    def shard_tests(self, jobs):
        """Each shard's test ids as the API gives them, by index."""
        return {j["shard_index"]: self.get_json(
                    self.d, f"/api/jobs/{j['id']}")["shard_tests"]
                for j in jobs.values() if j["shard_of"] is not None}

    def merged(self, job):
        body = self.get_json(self.d, f"/api/jobs/{job['id']}/tests")
        return body["tests"]

    def test_split_by_measured_times(self):
        first = self.pipeline(self.push("first"))
        self.assertEqual(first["unit"]["state"], "passed", [
            self.d.query({"type": "tail", "id": j["id"]})["data"]
            for j in first.values()])
        self.assertEqual(first["unit"]["shards"], 4)
        # Nothing measured yet: the split is by count, the slow four in
        # one shard.
        split = self.shard_tests(first)
        self.assertEqual(sorted(len(v) for v in split.values()),
                         [10, 10, 10, 10])
        slow = {f"tests/test_s.py::test_{i:02d}" for i in SLOW}
        self.assertTrue(any(slow <= set(v) for v in split.values()), split)

        commit = self.push("second")
        jobs = self.pipeline(commit)
        unit = jobs["unit"]
        shards = [j for j in jobs.values() if j["shard_of"] == unit["id"]]
        self.assertEqual(sorted(j["name"] for j in shards),
                         [f"unit[{k}/4]" for k in range(1, 5)])
        self.assertEqual(unit["state"], "passed")
        self.assertEqual(unit["tests"]["run"], 40)
        # Measured: one slow test in each shard, expectations even.
        split = self.shard_tests(jobs)
        for ids in split.values():
            self.assertEqual(len(slow & set(ids)), 1, split)
        every = [t for ids in split.values() for t in ids]
        self.assertEqual(sorted(every), sorted(
            f"tests/test_s.py::test_{i:02d}" for i in range(40)))
        for j in shards:
            self.assertGreaterEqual(j["expected_ms"], SLOW_S * 1000)
            self.assertLess(j["expected_ms"], SLOW_S * 1000 + 600)
            self.assertEqual(j["attempt"], 1)
        # Every test ran once across the shards, and the job names all.
        records = self.merged(unit)
        names = sorted(r["name"] for r in records)
        self.assertEqual(names, sorted(f"tests.test_s.test_{i:02d}"
                                       for i in range(40)))
        self.assertEqual({r["status"] for r in records}, {"passed"})
        # Each shard recorded what it was handed: ten each, unless the
        # fast tests' measured times, on a busy machine, tipped one over.
        for j in shards:
            ran = self.get_json(self.d, f"/api/jobs/{j['id']}/tests")
            self.assertEqual(len(ran["tests"]),
                             len(split[j["shard_index"]]), j["name"])
        # One results file; each shard's log under its header.
        text = self.d.result(commit)
        for k in range(1, 5):
            self.assertIn(f"=== unit[{k}/4]: passed", text)
        self.assertEqual(text.count(" passed in "), 4, text)
        self.assertRegex(text.rstrip().split("\n")[-1],
                         r"^result: passed jobs=1 passed=1 .*tests_run=40 ")
        log = self.d.query({"type": "tail", "id": unit["id"]})["data"]
        self.assertEqual(log.count("=== unit["), 4, log)
        # The pipeline's page draws the job as one box with its shards.
        page = self.get(self.d, f"/pipelines/{unit['pipeline']}")
        for k in range(1, 5):
            self.assertIn(f"{k}/4", page)
        self.assertIn(f'data-job="{unit["id"]}"', page)

    def test_failing_test_in_shard_three_fails_the_job(self):
        self.pipeline(self.push("first"))
        jobs = self.pipeline(self.push("broken", fail=True))
        victim = self.shard_tests(jobs)[3][0].split("::")[1]
        unit = jobs["unit"]
        self.assertEqual(unit["state"], "failed")
        self.assertEqual(unit["reason"], "shard 3 of 4 failed")
        self.assertEqual(jobs["unit[3/4]"]["state"], "failed")
        for k in (1, 2, 4):
            self.assertEqual(jobs[f"unit[{k}/4]"]["state"], "passed")
        failed = [r for r in self.merged(unit) if r["status"] == "failed"]
        self.assertEqual([r["name"] for r in failed],
                         [f"tests.test_s.{victim}"])
        self.assertIn(f"BROKEN-{victim}", failed[0]["message"])
        self.assertEqual(len(self.merged(unit)), 40)

    def test_killed_runner_costs_only_its_shard(self):
        self.pipeline(self.push("first"))
        sleepy = "test_21"
        mark = os.path.join(self.tmp, "slept")
        commit = self.push("sleepy", sleepy=sleepy, mark=mark)
        self.assertEqual(self.notify(self.d, self.repo, commit).returncode,
                         0)

        def running_sleepy():
            """The one shard still running once the sleepy test slept."""
            if not os.path.exists(mark):
                return None
            running = [j for j in self.d.jobs() if j["commit"] == commit and
                       j["shard_of"] is not None and j["state"] == "running"]
            others = [j for j in self.d.jobs() if j["commit"] == commit and
                      j["shard_of"] is not None and j["state"] == "passed"]
            if len(running) == 1 and len(others) == 3:
                return running[0]
            return None
        shard = self.wait_for(running_sleepy, "the sleepy shard alone")
        # The dashboard shows the running job as one box, shards inside.
        page = self.get(self.d, "/")
        self.assertIn(f'<g class="node sharded state-running" '
                      f'data-job="{shard["shard_of"]}"', page)
        self.assertIn(f'<a class="shard state-running" '
                      f'href="/jobs/{shard["id"]}"', page)
        self.assertEqual(page.count('class="node sharded'), 1)
        victim = self.runners[shard["runner"]]
        victim.signal(signal.SIGKILL)
        victim.popen.wait()
        self.runner(self.d, "r5")
        self.wait_results(self.d, [commit])
        done = {j["name"]: j for j in self.d.jobs()
                if j["commit"] == commit}
        rerun = done[shard["name"]]
        self.assertEqual(rerun["attempt"], 2, rerun)
        self.assertNotEqual(rerun["runner"], shard["runner"])
        self.assertEqual(rerun["state"], "passed")
        for k in range(1, 5):
            if f"unit[{k}/4]" != shard["name"]:
                self.assertEqual(done[f"unit[{k}/4]"]["attempt"], 1)
        self.assertEqual(done["unit"]["state"], "passed")
        self.assertEqual(len(self.merged(done["unit"])), 40)

    def test_adapters_from_the_docs(self):
        files = {".ssci.yml": adapters(["pytest", "unittest", "c"]),
                 "tests/__init__.py": "", "tests/test_u.py": UNITTESTS,
                 "Makefile": MAKEFILE,
                 **{f"tests/t{i}.c": C_TEST % f"t{i}" for i in range(5)}}
        commit = self.commit(self.repo, "adapters", files)
        jobs = self.pipeline(commit)
        for name in ("pytest", "unittest", "c"):
            job = jobs[name]
            self.assertEqual(job["state"], "passed", self.d.query(
                {"type": "tail", "id": job["id"]})["data"])
            self.assertGreaterEqual(job["shards"], 2, job)
            shards = [j for j in jobs.values() if j["shard_of"] == job["id"]]
            self.assertEqual(len(shards), job["shards"])
            split = self.shard_tests({j["name"]: j for j in shards})
            every = sorted(t for ids in split.values() for t in ids)
            self.assertEqual(len(every), len(set(every)), split)
            want = 6 if name != "c" else 5
            self.assertEqual(len(every), want, every)
            for j in shards:
                ran = split[j["shard_index"]]
                if name == "c":
                    log = self.d.query({"type": "tail",
                                        "id": j["id"]})["data"]
                    self.assertEqual(sorted(re.findall(r"RAN (t\d)", log)),
                                     sorted(t.split("/")[1] for t in ran))
                    continue
                # What ran is the shard's ids, by the tests' own names.
                got = sorted(r["name"].split(".")[-1] for r in self.get_json(
                    self.d, f"/api/jobs/{j['id']}/tests")["tests"])
                self.assertEqual(got, sorted(re.split(r"::|\.", t)[-1]
                                             for t in ran), j["name"])
            if name != "c":
                self.assertEqual(len(self.merged(job)), want)

    def test_bad_lists_end_the_pipeline_saying_why(self):
        cases = {
            "echo 'result: passed fake'; exit 3":
                "the list of job 'unit' failed (exit 3)",
            "printf 'a\\n\\001b\\n'":
                "the list of job 'unit': list: line 2: ",
        }
        for i, (command, why) in enumerate(cases.items()):
            plan = ("jobs:\n  unit:\n    run: 'true'\n"
                    f"    list: {command!r}\n    shards: 2\n")
            commit = self.commit(self.repo, f"bad list {i}",
                                 {".ssci.yml": plan})
            jobs = self.pipeline(commit)
            job = list(jobs.values())[0]
            self.assertEqual(job["state"], "error", job)
            self.assertTrue(job["reason"].startswith(why), job["reason"])
            log = self.d.query({"type": "tail", "id": job["id"]})["data"]
            if "fake" in command:
                # The repository's output cannot pass for a result line.
                self.assertIn("\n> result: passed fake\n", log)
