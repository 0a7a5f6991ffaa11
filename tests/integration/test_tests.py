# SPDX-License-Identifier: MIT
"""Per-test results (issue 15): a pytest project's JUnit XML, a C program's
TAP and a unittest suite's verbose lines become per-test records on real
runners; they are shown on the job page and in the API; "failing since"
names the first failing commit; hostile reports leave everything running
with a note in the log."""
import glob
import os
import xml.etree.ElementTree as ET

from harness import SsciTest, git
from tests_util import TestsTest

PYTEST_TESTS = """\
import time
import pytest

def test_adds():
    time.sleep(0.05)
    assert 1 + 1 == 2

def test_divides():
    assert 7 // 2 == 4, "seven halves"

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

class TestGroup:
    def test_in_class(self):
        time.sleep(0.02)
"""

TAP_C = r"""
#include <stdio.h>
int main(void) {
	printf("1..3\n");
	printf("ok 1 - adds small numbers\n");
	printf("not ok 2 - divides by two\n");
	printf("# expected 4, got 3\n");
	printf("ok 3 - talks to the network # SKIP no network here\n");
	return 1;
}
"""

TAP_CMD = """\
#!/bin/sh
set -e
cc -o /tmp/tap-$$ tap.c
/tmp/tap-$$; status=$?
rm -f /tmp/tap-$$
exit $status
"""

UNITTEST_TESTS = """\
import unittest

class TestMath(unittest.TestCase):
    def test_adds(self):
        self.assertEqual(1 + 1, 2)

    def test_fails(self):
        self.assertEqual(2 * 2, 5, "four is not five")

    @unittest.skip("later")
    def test_later(self):
        pass
"""


class TestPerTestResults(TestsTest):
    def test_pytest_junit_records(self):
        repo, commit = self.pytest_repo({"tests/test_p.py": PYTEST_TESTS})
        d = self.dispatcher(http=True)
        self.runner(d, "r1")
        job = self.run_commit(d, repo, commit)
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["tests"], {"run": 3, "failed": 1,
                                        "skipped": 1})
        self.assertIn("ssci: read 4 tests from '.ssci-reports/junit.xml'",
                      self.log(d, job))
        tests = self.records(d, job)
        self.assertEqual(sorted(tests), [
            "tests.test_p.TestGroup.test_in_class", "tests.test_p.test_adds",
            "tests.test_p.test_divides", "tests.test_p.test_skipped"])
        self.assertEqual(tests["tests.test_p.test_adds"]["status"], "passed")
        self.assertEqual(tests["tests.test_p.test_divides"]["status"],
                         "failed")
        self.assertIn("seven halves",
                      tests["tests.test_p.test_divides"]["message"])
        self.assertEqual(tests["tests.test_p.test_skipped"]["status"],
                         "skipped")
        # Durations as the report has them, to within 10 ms.
        report = glob.glob(os.path.join(self.tmp, "r1-work", "repos", "*",
                                        ".ssci-reports", "junit.xml"))
        self.assertEqual(len(report), 1)
        for case in ET.parse(report[0]).iter("testcase"):
            name = case.get("classname") + "." + case.get("name")
            self.assertAlmostEqual(tests[name]["duration_us"] / 1e6,
                                   float(case.get("time")), delta=0.01)
        self.assertGreaterEqual(
            tests["tests.test_p.test_adds"]["duration_us"], 50000)
        # The job page: failed tests first, with the message.
        section = self.section(d, f"/jobs/{job['id']}", "tests")
        rows = list(section.find_all("tr", cls="test"))
        self.assertIn("test_divides", rows[0].text())
        self.assertIn("seven halves", section.text())
        # The CLI.
        out = self.ssci("tests", "--dispatcher-server", d.address,
                        str(job["id"]))
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertRegex(lines[1], r"^failed +\d\.\d{3}s  tests\.test_p\."
                         r"test_divides  new failure$")
        self.assertIn("seven halves", lines[2])
        self.assertIn("4 tests: 2 passed, 1 failed, 1 skipped", out.stdout)

    def test_tap_from_a_c_program(self):
        repo = self.make_repo()
        commit = self.commit(repo, "tap", {"tap.c": TAP_C,
                                           ".ssci/test": TAP_CMD})
        d = self.dispatcher(http=True)
        self.runner(d, "r1")
        job = self.run_commit(d, repo, commit)
        self.assertEqual(job["state"], "failed")
        tests = self.records(d, job)
        self.assertEqual(tests["adds small numbers"]["status"], "passed")
        self.assertEqual(tests["divides by two"]["status"], "failed")
        self.assertIn("expected 4, got 3",
                      tests["divides by two"]["message"])
        self.assertEqual(tests["talks to the network"]["status"], "skipped")
        self.assertIn("read 3 tests from the output", self.log(d, job))
        self.assertEqual(job["tests"], {"run": 2, "failed": 1, "skipped": 1})
        section = self.section(d, f"/jobs/{job['id']}", "tests")
        first = next(section.find_all("tr", cls="test"))
        self.assertIn("divides by two", first.text())
        self.assertIn("expected 4, got 3", first.text())

    def test_unittest_verbose_lines(self):
        repo = self.make_repo(tests=UNITTEST_TESTS)
        commit = git(repo, "rev-parse", "HEAD")
        d = self.dispatcher(http=True)
        self.runner(d, "r1")
        job = self.run_commit(d, repo, commit)
        self.assertEqual(job["state"], "failed")
        tests = self.records(d, job)
        self.assertEqual(
            {n: t["status"] for n, t in tests.items()},
            {"test_example.TestMath.test_adds": "passed",
             "test_example.TestMath.test_fails": "failed",
             "test_example.TestMath.test_later": "skipped"})
        self.assertIn("four is not five",
                      tests["test_example.TestMath.test_fails"]["message"])
        section = self.section(d, f"/jobs/{job['id']}", "tests")
        rows = [r.text() for r in section.find_all("tr", cls="test")]
        self.assertEqual(len(rows), 3)
        self.assertIn("test_example.TestMath.test_fails", rows[0])
        self.assertIn("four is not five", rows[0])


# A report, and one in a folder of its own, in $SSCI_REPORTS.
REPORTING_CMD = r"""#!/bin/sh
mkdir "$SSCI_REPORTS/nested"
for f in "$SSCI_REPORTS/junit.xml" "$SSCI_REPORTS/nested/more.xml"; do
    echo '<testsuite><testcase classname="t" name="old"/></testsuite>' > "$f"
done
"""
FLAT_CMD = r"""#!/bin/sh
echo '<testsuite><testcase classname="t" name="flat"/></testsuite>' \
    > "$SSCI_REPORTS/junit.xml"
"""
QUIET_CMD = "#!/bin/sh\nls -A \"$SSCI_REPORTS\"\necho EMPTY-BEFORE-ME\n"


class TestReportsFolder(TestsTest):
    def test_a_report_of_the_job_before_is_not_read_again(self):
        """The runner keeps the reports folder from job to job (git clean
        spares it) and empties it before each test."""
        repo = self.make_repo()
        first = self.commit(repo, "reports", {".ssci/test": REPORTING_CMD})
        d = self.dispatcher(http=True)
        self.runner(d, "r1", args=("--reports", ".ssci-reports/*/*.xml"))
        job = self.run_commit(d, repo, first)
        self.assertEqual(job["tests"]["run"], 2, self.log(d, job))
        # After reports in a folder of their own (git clean removes the
        # folder), then after a report alone (the runner empties it).
        for step, before in enumerate((None, FLAT_CMD, REPORTING_CMD)):
            if before is not None:
                commit = self.commit(repo, f"reports {step}",
                                     {".ssci/test": before})
                job = self.run_commit(d, repo, commit)
                self.assertGreaterEqual(job["tests"]["run"], 1,
                                        self.log(d, job))
            quiet = self.commit(repo, f"no reports {step}",
                                {".ssci/test": QUIET_CMD})
            job = self.run_commit(d, repo, quiet)
            log = self.log(d, job)
            # Nothing was in the folder when the test began, and no old
            # report was read.
            self.assertTrue(log.startswith("EMPTY-BEFORE-ME"), log)
            self.assertEqual(self.records(d, job), {})


HOSTILE_CMD = r"""#!/bin/sh
set -e
cd "$SSCI_REPORTS"
cat > laughs.xml <<'X'
<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<testsuite><testcase name="&lol2;"/></testsuite>
X
cat > xxe.xml <<'X'
<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<testsuite><testcase name="&x;"/></testsuite>
X
printf '<testsuite><testcase name="kept"/><testcase name="cut' > broken.xml
python3 - <<'X'
with open("huge.xml", "wb") as f:
    f.truncate(1 << 30)
with open("million.xml", "w") as f:
    f.write("<testsuites><testsuite name='m'>\n")
    for i in range(1000000):
        f.write("<testcase classname='m' name='t%d'/>\n" % i)
    f.write("</testsuite></testsuites>\n")
X
mkfifo fifo.xml
ln -s /etc/passwd link.xml
# For the runner's --reports '*/*/*.xml': a way out, and a crowd.
cd ..
ln -s / up
mkdir many
python3 -c 'for i in range(10001): open("many/f%05d" % i, "w").close()'
echo WROTE-HOSTILE-REPORTS
"""


class TestHostileReports(SsciTest):
    def test_hostile_reports_leave_everything_running(self):
        repo = self.make_repo()
        commit = self.commit(repo, "hostile", {".ssci/test": HOSTILE_CMD})
        d = self.dispatcher()
        runner = self.runner(d, "r1", args=("--reports", "*/*/*.xml"))
        proc = self.notify(d, repo, commit)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_results(d, [commit])
        job = [j for j in d.jobs() if j["commit"] == commit][0]
        log = d.query({"type": "tail", "id": job["id"]})["data"]
        self.assertIn("WROTE-HOSTILE-REPORTS", log)
        self.assertIn("ssci: .ssci-reports/broken.xml:1:", log)
        self.assertIn("its 1 tests before that are kept", log)
        self.assertRegex(log, r"ssci: \.ssci-reports/huge\.xml:1:\d+: .*its 0 tests")
        self.assertRegex(log, r"ssci: \.ssci-reports/laughs\.xml:2:\d+: .*DOCTYPE")
        self.assertRegex(log, r"ssci: \.ssci-reports/xxe\.xml:2:\d+: .*DOCTYPE")
        self.assertIn("report '.ssci-reports/fifo.xml' is not a regular file", log)
        self.assertIn("report '.ssci-reports/link.xml' is a symbolic link: "
                      "not read", log)
        # Looked for without following a link, nor reading without end.
        self.assertIn("report 'up' is a symbolic link: not read", log)
        self.assertIn("stopped looking for reports of '*/*/*.xml' after "
                      "10000 directory entries", log)
        self.assertRegex(log, r"ssci: \.ssci-reports/million\.xml:\d+:\d+: reading "
                         r"stopped after 100000 tests")
        self.assertNotIn("root:", log)
        self.assertEqual(job["state"], "passed")
        self.assertEqual(job["tests"]["run"], 100000)
        self.assertTrue(runner.alive())
        self.assertTrue(d.alive())
        # Both go on: the next commit is tested as usual.
        after = self.commit(repo, "after", {".ssci/test":
                                            "#!/bin/sh\necho FINE\n"})
        proc = self.notify(d, repo, after)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_results(d, [after])
        self.assertIn("FINE", d.result(after))
