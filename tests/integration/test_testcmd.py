# SPDX-License-Identifier: MIT
"""Which test command a runner runs, what the test sees, how its exit
status is reported, and that every job starts from a clean tree."""
import os
import re

from harness import FAILING_TEST, SsciTest, git

SCRIPT = "#!/bin/sh\necho FROM-SSCI-TEST\n"
TEST_CMD = "echo FROM-TEST-CMD && echo sum=$((2 + 3))"


class TestTestCommand(SsciTest):
    def run_jobs(self, repo, commits, runner_args=()):
        """Test commits with one runner; returns ([job rows], [results])."""
        d = self.dispatcher()
        self.runner(d, "r", clone=self.clone(repo, "run"), args=runner_args)
        proc = self.notify(d, repo, *commits)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_results(d, commits)
        jobs = self.wait_jobs(d, len(commits))
        by_commit = {j["commit"]: j for j in jobs}
        return [by_commit[c] for c in commits], [d.result(c) for c in commits]

    def run_one(self, repo, commit, runner_args=()):
        (job,), (text,) = self.run_jobs(repo, [commit], runner_args)
        return job, text

    def test_ssci_test_wins_over_test_cmd_and_tests(self):
        repo = self.make_repo(tests=FAILING_TEST)
        c = self.commit(repo, "script", {".ssci/test": SCRIPT})
        job, text = self.run_one(repo, c, ("--test-cmd", TEST_CMD))
        self.assertIn("FROM-SSCI-TEST", text)
        self.assertNotIn("FROM-TEST-CMD", text)
        self.assertNotIn("Ran 1 test", text)
        self.assertEqual((job["state"], job["exit_code"]), ("passed", 0))

    def test_test_cmd_used_without_script(self):
        repo = self.make_repo(tests=FAILING_TEST)
        c = git(repo, "rev-parse", "HEAD")
        job, text = self.run_one(repo, c, ("--test-cmd", TEST_CMD))
        self.assertIn("FROM-TEST-CMD\nsum=5\n", text, "run by /bin/sh -c")
        self.assertNotIn("Ran 1 test", text)
        self.assertEqual(job["state"], "passed", text)

    def test_script_that_is_not_executable_is_an_error(self):
        """Issue 12: never the default's green pass in its stead."""
        repo = self.make_repo()
        os.makedirs(os.path.join(repo, ".ssci"))
        with open(os.path.join(repo, ".ssci", "test"), "w") as f:
            f.write(SCRIPT)
        os.chmod(os.path.join(repo, ".ssci", "test"), 0o644)
        git(repo, "add", ".ssci")
        c = self.commit(repo, "not executable")
        job, text = self.run_one(repo, c)
        self.assertNotIn("FROM-SSCI-TEST", text)
        self.assertNotIn("Ran 2 tests", text)
        self.assertRegex(text, r"(?m)^ssci: \.ssci/test is not executable: "
                         r"run 'chmod \+x \.ssci/test'")
        self.assertEqual(job["state"], "error")
        self.assertEqual(job["reason"], "'.ssci/test' is not executable")

    def test_no_test_command_is_an_error(self):
        repo = self.make_repo()
        git(repo, "rm", "-q", "-r", "tests")
        c = self.commit(repo, "no tests at all")
        job, text = self.run_one(repo, c)
        self.assertRegex(text, r"(?m)^ssci: no test command")
        self.assertRegex(text, r"\nresult: error( |\n|$)")
        self.assertEqual(job["state"], "error")
        self.assertEqual(job["attempt"], 1, "not retried")

    def test_environment(self):
        repo = self.make_repo()
        c = self.commit(repo, "env", {".ssci/test": "#!/bin/sh\nenv\n"})
        job, text = self.run_one(repo, c)
        env = dict(re.findall(r"(?m)^(CI|SSCI_\w+)=(.*)$", text))
        self.assertEqual(env.get("CI"), "true", text)
        self.assertEqual(env.get("SSCI_COMMIT"), c)
        self.assertEqual(env.get("SSCI_BRANCH"), "main")
        self.assertEqual(env.get("SSCI_JOB"), str(job["id"]))
        self.assertEqual(env.get("SSCI_REPO"), repo)

    def test_stdin_is_empty_and_cwd_is_the_tree(self):
        repo = self.make_repo()
        script = ("#!/bin/sh\nprintf 'stdin=[%s]\\n' \"$(cat)\"\n"
                  "cat marker.txt\n")
        c = self.commit(repo, "stdin", {".ssci/test": script,
                                        "marker.txt": "IN-THE-TREE\n"})
        job, text = self.run_one(repo, c)
        self.assertIn("stdin=[]", text)
        self.assertIn("IN-THE-TREE", text)
        self.assertEqual(job["state"], "passed", text)

    def test_exit_status_three_is_failed(self):
        repo = self.make_repo()
        c = self.commit(repo, "fail", {
            ".ssci/test": "#!/bin/sh\necho about to fail\nexit 3\n"})
        job, text = self.run_one(repo, c)
        self.assertEqual((job["state"], job["exit_code"]), ("failed", 3))
        self.assertIn("about to fail", text)
        self.assertRegex(text, r"\nresult: failed exit_code=3 ")

    def test_each_job_gets_a_clean_tree(self):
        repo = self.make_repo()
        check = ("#!/bin/sh\n"
                 "for f in junk.txt build/out.o debug.log; do\n"
                 "  if [ -e \"$f\" ]; then echo \"LEFTOVER $f\"; exit 1; fi\n"
                 "done\n"
                 "if grep -q changed tests/test_example.py; then\n"
                 "  echo LEFTOVER modified; exit 1; fi\n"
                 "if [ -e tracked.txt ]; then cat tracked.txt; fi\n"
                 "mkdir -p build && echo x > build/out.o\n"
                 "echo junk > junk.txt && echo log > debug.log\n"
                 "echo changed > tests/test_example.py\n")
        a = self.commit(repo, "a", {".ssci/test": check,
                                    ".gitignore": "*.log\n",
                                    "tracked.txt": "TRACKED-A\n"})
        git(repo, "rm", "-q", "tracked.txt")
        b = self.commit(repo, "b deletes tracked.txt")
        c = self.commit(repo, "c", {"other.txt": "c\n"})
        jobs, texts = self.run_jobs(repo, [a, b, c])
        self.assertEqual([j["state"] for j in jobs], ["passed"] * 3,
                         "\n".join(texts))
        self.assertIn("TRACKED-A", texts[0])
        for text in texts[1:]:
            self.assertNotIn("TRACKED-A", text)
            self.assertNotIn("LEFTOVER", text)
