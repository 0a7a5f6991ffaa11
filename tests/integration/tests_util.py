# SPDX-License-Identifier: MIT
"""What the per-test results' tests share (test_tests, test_flaky): a
pytest project writing JUnit XML where the runner looks for it, a commit
run to its result, and a job's records and pages read over HTTP."""
from harness import SsciTest, git, http, http_json, parse_html

# pytest's JUnit XML where the runner reads reports ($SSCI_REPORTS).
PYTEST_CMD = """\
#!/bin/sh
exec python3 -m pytest -q -p no:cacheprovider --junitxml="$SSCI_REPORTS/junit.xml" tests
"""


class TestsTest(SsciTest):
    def get(self, d, path):
        reply = http(d.http_url, path)
        self.assertEqual(reply.status, 200, path)
        return reply.body.decode()

    def get_json(self, d, path):
        status, value = http_json(d.http_url, path)
        self.assertEqual(status, 200, (path, value))
        return value

    def section(self, d, path, section_id):
        """The <section id=section_id> of page path, parsed."""
        return parse_html(self.get(d, path)).one("section", id=section_id)

    def pytest_repo(self, files):
        """A repository of pytest tests (files) whose .ssci/test writes
        JUnit XML; returns (path, its last commit)."""
        repo = self.make_repo()
        git(repo, "rm", "-q", "tests/test_example.py")
        return repo, self.commit(repo, "pytest", {".ssci/test": PYTEST_CMD,
                                                  **files})

    def run_commit(self, d, repo, commit):
        """Notify d of commit, wait for its results; its job."""
        proc = self.notify(d, repo, commit)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_results(d, [commit])
        return [j for j in d.jobs() if j["commit"] == commit][0]

    def log(self, d, job):
        return d.query({"type": "tail", "id": job["id"]})["data"]

    def records(self, d, job):
        """A job's tests from the API, by name."""
        return {t["name"]: t for t in
                self.get_json(d, f"/api/jobs/{job['id']}/tests")["tests"]}
