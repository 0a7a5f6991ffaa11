# SPDX-License-Identifier: MIT
"""Artifacts end to end (issue 14) with real runners: a build job's
50 MiB of random bytes reaches the job that needs it byte for byte, with
the runner's and the dispatcher's memory flat; links leading out of the
tree and paths with '..' are refused and said in the log; a job whose
artifacts pass --max-artifact-bytes ends as error; a failed job's
artifacts are kept too; the 50 MiB come back over HTTP byte for byte; a
dispatcher killed in the middle of an upload lists none of it, and the
runner sends the file again, whole, once it is back."""
import glob
import hashlib
import os
import signal

from harness import SANITIZED, SsciTest, http
from test_artifact_transfer import rss_kib

MIB = 1024 * 1024

BUILD_AND_USE = """\
jobs:
  build:
    run: |
      mkdir -p out/sub
      head -c 52428800 /dev/urandom > out/big.bin
      sha256sum out/big.bin | cut -d' ' -f1 > out/big.sha
      printf 'tool\\n' > out/sub/tool.txt
      chmod +x out/sub/tool.txt
      ln -s /etc/passwd passwd-link
      ln -s out/big.sha inside-link
    artifacts: {paths: ['out/', passwd-link, inside-link, 'missing-*'],
                expire_in: 7d}
  use:
    needs: [build]
    run: |
      set -e
      test "$(sha256sum out/big.bin | cut -d' ' -f1)" = "$(cat out/big.sha)"
      test -x out/sub/tool.txt
      echo USE-SAW-IT
"""


class TestArtifacts(SsciTest):
    def repo_with(self, plan):
        repo = self.make_repo("repo")
        return repo, self.commit(repo, "pipeline", {".ssci.yml": plan})

    def jobs_of(self, d, commit, count):
        def done():
            jobs = [j for j in d.jobs() if j["commit"] == commit]
            if len(jobs) == count and d.result(commit) and all(
                    j["state"] not in ("queued", "running") for j in jobs):
                return {j["name"]: j for j in jobs}
            return None
        return self.wait_for(done, f"{count} jobs of {commit[:8]}",
                             timeout=120)

    def log(self, d, job):
        return d.query({"type": "tail", "id": job["id"]})["data"]

    def artifacts(self, d, job):
        reply = d.query({"type": "artifacts", "id": job["id"]})
        self.assertEqual(reply["type"], "ok", reply)
        return {a["path"]: a for a in reply["artifacts"]}

    def test_build_artifacts_reach_the_job_that_needs_them(self):
        repo, commit = self.repo_with(BUILD_AND_USE)
        d = self.dispatcher(http=True)
        runner = self.runner(d, "r1")
        peak = {"d": 0, "r": 0}
        base = {"d": rss_kib(d.pid), "r": rss_kib(runner.pid)}
        self.notify(d, repo, "HEAD")

        def sample():
            peak["d"] = max(peak["d"], rss_kib(d.pid))
            peak["r"] = max(peak["r"], rss_kib(runner.pid))
            jobs = [j for j in d.jobs() if j["commit"] == commit]
            return len(jobs) == 2 and d.result(commit) and all(
                j["state"] not in ("queued", "running") for j in jobs)
        self.wait_for(sample, "the pipeline", timeout=120)
        jobs = self.jobs_of(d, commit, 2)
        build, use = jobs["build"], jobs["use"]
        self.assertEqual((build["state"], use["state"]),
                         ("passed", "passed"), self.log(d, use))
        self.assertIn("USE-SAW-IT", self.log(d, use))
        self.assertIn("fetched 4 artifacts of the jobs it needs",
                      self.log(d, use))
        arts = self.artifacts(d, build)
        self.assertEqual(sorted(arts), ["inside-link", "out/big.bin",
                                        "out/big.sha", "out/sub/tool.txt"])
        path = os.path.join(d.state_dir, "artifacts", str(build["id"]),
                            "out", "big.bin")
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(arts["out/big.bin"]["sha256"], digest)
        self.assertEqual(arts["out/big.bin"]["size"], 50 * MIB)
        self.assertEqual(arts["out/sub/tool.txt"]["mode"], 0o755)
        week = arts["out/big.bin"]["expires"] - build["finished_ms"] // 1000
        self.assertLess(abs(week - 7 * 86400), 120, "expire_in: 7d")
        blog = self.log(d, build)
        self.assertIn("artifact 'passwd-link' refused: a link leading out "
                      "of the tree", blog)
        self.assertIn("artifact 'missing-*': no such file", blog)
        self.assertNotIn("root:", blog)
        # The client lists them and saves them, checked, where it is told.
        out = self.ssci("artifacts", "--dispatcher-server", d.address,
                        str(build["id"]))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"(?m)^ +52428800  [0-9a-f]{12}  "
                         r"out/big\.bin$")
        dest = os.path.join(self.tmp, "saved")
        out = self.ssci("artifacts", "--dispatcher-server", d.address,
                        str(build["id"]), "-o", dest)
        self.assertEqual(out.returncode, 0, out.stderr)
        total = sum(a["size"] for a in arts.values())
        self.assertIn(f"saved 4 artifacts ({total} bytes) in {dest}",
                      out.stdout)
        with open(os.path.join(dest, "out", "big.bin"), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), digest)
        self.assertTrue(os.access(os.path.join(dest, "out", "sub",
                                               "tool.txt"), os.X_OK))
        self.assertEqual([n for n in os.listdir(os.path.join(dest, "out"))
                          if n.startswith(".ssci-fetch")], [])
        out = self.ssci("artifacts", "--dispatcher-server", d.address,
                        "999")
        self.assertEqual(out.returncode, 1)
        self.assertIn("no job 999", out.stderr)
        # And over HTTP, byte for byte, the dispatcher's memory flat.
        reply = http(d.http_url, f"/jobs/{build['id']}/artifacts/out/big.bin",
                     timeout=60)
        self.assertEqual(reply.status, 200)
        self.assertEqual(hashlib.sha256(reply.body).hexdigest(), digest)
        peak["d"] = max(peak["d"], rss_kib(d.pid))
        # 50 MiB went through both: neither held it in memory.
        if not SANITIZED:
            self.assertLess(peak["d"] - base["d"], 10 * 1024,
                            "dispatcher RSS")
            self.assertLess(peak["r"] - base["r"], 10 * 1024, "runner RSS")

    def test_dotdot_in_the_plan_is_refused(self):
        repo, commit = self.repo_with(
            "jobs:\n  a:\n    run: 'true'\n    artifacts: ['../x']\n")
        d = self.dispatcher()
        self.runner(d, "r1")
        self.notify(d, repo, "HEAD")
        (job,) = self.jobs_of(d, commit, 1).values()
        self.assertEqual(job["state"], "error")
        self.assertIn("'../x' in 'artifacts' of job 'a' is not a path or "
                      "glob in the tree", self.log(d, job))

    def test_over_the_cap_is_an_error_and_failures_keep_theirs(self):
        repo, commit = self.repo_with(
            "jobs:\n"
            "  big:\n    run: head -c 3000 /dev/zero > big\n"
            "    artifacts: big\n"
            "  failing:\n    run: 'echo report > report.txt; exit 1'\n"
            "    artifacts: report.txt\n")
        d = self.dispatcher(args=("--max-artifact-bytes", "2000"))
        self.runner(d, "r1")
        self.notify(d, repo, "HEAD")
        jobs = self.jobs_of(d, commit, 2)
        self.assertEqual(jobs["big"]["state"], "error")
        self.assertIn("more than --max-artifact-bytes (2000)",
                      self.log(d, jobs["big"]))
        self.assertEqual(self.artifacts(d, jobs["big"]), {})
        self.assertEqual(jobs["failing"]["state"], "failed")
        self.assertEqual(sorted(self.artifacts(d, jobs["failing"])),
                         ["report.txt"])

    def test_dispatcher_killed_during_an_upload(self):
        repo, commit = self.repo_with(
            "jobs:\n  big:\n"
            "    run: head -c 209715200 /dev/urandom > big.bin\n"
            "    artifacts: big.bin\n")
        d = self.dispatcher()
        self.runner(d, "r1")
        self.notify(d, repo, "HEAD")
        incoming = os.path.join(d.state_dir, "artifacts", ".incoming", "*")
        self.wait_for(lambda: glob.glob(incoming), "the upload to begin",
                      timeout=60)
        d.signal(signal.SIGKILL)
        d.popen.wait()
        self.assertNotEqual(glob.glob(incoming), [], "it was cut short")
        d = self.restart_dispatcher(d)
        self.wait_for(lambda: not glob.glob(incoming),
                      "what was coming to be removed")
        (job,) = self.jobs_of(d, commit, 1).values()
        self.assertEqual(job["state"], "passed", self.log(d, job))
        log = self.log(d, job)
        self.assertIn("the connection to the dispatcher was lost while "
                      "moving artifacts: going on once it is back", log)
        self.assertIn("artifact 'big.bin' kept (209715200 bytes)", log)
        arts = self.artifacts(d, job)
        self.assertEqual(list(arts), ["big.bin"])
        path = os.path.join(d.state_dir, "artifacts", str(job["id"]),
                            "big.bin")
        with open(path, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(),
                             arts["big.bin"]["sha256"])

    def test_dispatcher_killed_during_a_fetch(self):
        repo, commit = self.repo_with(
            "jobs:\n  build:\n"
            "    run: |\n"
            "      head -c 209715200 /dev/urandom > big.bin\n"
            "      sha256sum big.bin > big.sha\n"
            "    artifacts: [big.bin, big.sha]\n"
            "  use:\n    needs: [build]\n"
            "    run: sha256sum -c big.sha\n")
        d = self.dispatcher()
        self.runner(d, "r1")
        self.notify(d, repo, "HEAD")
        work = os.path.join(self.tmp, "r1-work")

        def partial():
            return [os.path.join(p, n) for p, _, ns in os.walk(work)
                    for n in ns if n.startswith(".ssci-fetch-")]
        self.wait_for(partial, "the fetch to begin", timeout=60)
        d.signal(signal.SIGKILL)
        d.popen.wait()
        d = self.restart_dispatcher(d)
        jobs = self.jobs_of(d, commit, 2)
        use = jobs["use"]
        self.assertEqual(use["state"], "passed", self.log(d, use))
        self.assertIn("big.bin: OK", self.log(d, use))
        self.assertIn("lost while moving artifacts: going on once it is "
                      "back", self.log(d, use))
        self.assertEqual(partial(), [], "no half file is left")

    def test_cancelled_while_fetching(self):
        plan = ("jobs:\n  build:\n"
                "    run: head -c 209715200 /dev/urandom > big.bin\n"
                "    artifacts: big.bin\n"
                "  use:\n    needs: [build]\n    run: test -s big.bin\n")
        repo, commit = self.repo_with(plan)
        d = self.dispatcher()
        self.runner(d, "r1")
        self.notify(d, repo, "HEAD")
        work = os.path.join(self.tmp, "r1-work")
        self.wait_for(lambda: [n for _, _, ns in os.walk(work) for n in ns
                               if n.startswith(".ssci-fetch-")],
                      "the fetch to begin", timeout=60)
        use = next(j for j in d.jobs() if j["name"] == "use")
        out = self.ssci("cancel", "--dispatcher-server", d.address,
                        str(use["id"]))
        self.assertEqual(out.returncode, 0, out.stderr)
        jobs = self.jobs_of(d, commit, 2)
        self.assertEqual(jobs["use"]["state"], "cancelled")
        # What was still coming of the file is dropped, and the next
        # pipeline's fetch is not refused for it.
        second = self.commit(repo, "again", {"n": "1\n"})
        self.notify(d, repo, "HEAD")
        jobs = self.jobs_of(d, second, 2)
        self.assertEqual((jobs["build"]["state"], jobs["use"]["state"]),
                         ("passed", "passed"), self.log(d, jobs["use"]))
