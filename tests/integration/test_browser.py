# SPDX-License-Identifier: MIT
"""A real browser on the web pages: the system runs jobs that pass and
fail, one whose output and subject hold <script> payloads; headless
Chromium loads the dashboard and a job page (on 127.0.0.1 only), and the
rendered DOM, after the page's own scripts ran, must show the statuses,
test counts and log lines, and show the payloads as text without running
them.  Screenshots of both pages go to $SSCI_SCREENSHOTS (make screenshots
sets it to docs/screenshots/), else to the test's own folder."""
import os
import shlex
import unittest

from browser_util import CHROMIUM, Browser, WebTest, slow_script, touch
from harness import FAILING_TEST, parse_html

SHOTS = os.environ.get("SSCI_SCREENSHOTS")
ALERT = "<script>alert(1)</script>"
PWN = '<script>document.title="PWNED"</script>'
IMG = "<img src=x onerror=\"document.title='PWNED'\">"
EVIL_TEST = "#!/bin/sh\n" + "".join(
    f"echo {shlex.quote(line)}\n" for line in
    ("EVIL-LOG-LINE before", ALERT, PWN, IMG)) + (
    "printf '\\033[1;31mred words\\033[0m\\n'\n"
    "echo 'EVIL-LOG-LINE after'\n")


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK), f"no {CHROMIUM}")
class BrowserTest(WebTest):
    def assert_safe(self, root, raw):
        """Nothing of the payloads became markup or ran."""
        self.assertNotIn("PWNED", root.one("head").one("title").text())
        for s in root.find_all("script"):
            self.assertEqual((s.attrs.get("src"), s.text().strip()),
                             ("/static/app.js", ""))
        self.assertEqual(list(root.find_all("img")), [])
        self.assertEqual([k for n in root.find_all() for k in n.attrs
                          if k.startswith("on")], [], "no event handlers")
        # Bytes: no escape sequence of the log reached the page.
        self.assertNotIn("\x1b", raw)

    def test_dashboard_and_job_page(self):
        self.start_system()
        repo = self.make_repo()
        good = self.commit(repo, "good change")
        bad = self.commit(repo, "break it", {"tests/test_bad.py":
                                             FAILING_TEST})
        evil = self.commit(repo, "evil", {".ssci/test": EVIL_TEST})
        slow = self.commit(repo, "slow", {".ssci/test":
                                          slow_script(self.gate)})
        ids = {}
        for name, commit, branch, subject in (
                ("good", good, "main", "Make it faster"),
                ("bad", bad, "broken", "Break the sum"),
                ("evil", evil, "evil", f"Subject {PWN}")):
            ids[name] = self.dispatch(repo, commit, branch, subject=subject,
                                      author="Ann <ann@example.com>")[1]["job"]
            self.wait_state(ids[name], "passed", "failed", "error")
        # One job running and one waiting, for the dashboard's live parts.
        ids["slow"] = self.dispatch(repo, slow, "main",
                                    subject="A slow one")[1]["job"]
        self.addCleanup(touch, self.gate, "release", ids["slow"])
        self.wait_for(lambda: os.path.exists(
            f"{self.gate}/pid-{ids['slow']}"), "the slow test to start")
        ids["waiting"] = self.dispatch(repo, good, "main", rebuild=True,
                                       subject="Waiting")[1]["job"]

        browser = Browser(self.url)
        self.addCleanup(browser.close)
        # The dashboard's script has run once it opened the event stream.
        browser.open("/", ("/api/events", 1))
        raw = browser.dom()
        dom = parse_html(raw)
        self.assertEqual(dom.one("head").one("title").text(), "SuperSimpleCI")
        recent = dom.one("section", id="recent")
        want = {"good": ("passed", "2 run, 0 failed"),
                "bad": ("failed", "3 run, 1 failed"),
                "evil": ("passed", ""), "slow": ("running", "")}
        for name, (state, tests) in want.items():
            row = recent.one("tr", data_job=str(ids[name]))
            self.assertIn(f"state-{state}", row.attrs["class"])
            self.assertEqual(row.one("td", "status").text().strip(), state)
            self.assertEqual(row.one("td", "tests").text().strip(), tests)
        evil_row = recent.one("tr", data_job=str(ids["evil"]))
        self.assertEqual(evil_row.one("td", "subject").text(),
                         f"Subject {PWN}")
        running = dom.one("section", id="running")
        self.assertIsNotNone(running.one("tr", data_job=str(ids["slow"])))
        queued = dom.one("section", id="queue").one(
            "tr", data_job=str(ids["waiting"]))
        # r1's jobs were short: the next may be handed ahead to it.
        self.assertIn(queued.one("td", "waiting").text(), (
            "all runners busy",
            "handed ahead to runner 'r1', for its next free slot"))
        runner = dom.one("section", id="runners").one("tr", data_runner="r1")
        self.assertIn("busy", runner.text())
        self.assert_safe(dom, raw)
        browser.screenshot(os.path.join(SHOTS or self.tmp, "dashboard.png"))

        # A finished job's page: its script asks for the job, the rest of
        # the log, and the page again, then it is done.
        job = f"/jobs/{ids['evil']}"
        browser.open(job, (f"/api{job}", 1), (f"/api{job}/log", 1),
                     (job, 2))
        raw = browser.dom()
        dom = parse_html(raw)
        self.assertIn("passed", dom.one("head").one("title").text())
        self.assertEqual(dom.one(id="status").text(), "passed")
        self.assertEqual(dom.one("dd", "runner").text(), "r1")
        self.assertEqual(dom.one("p", "subject").text(), f"Subject {PWN}")
        log = dom.one("pre", id="log").text()
        for line in ("EVIL-LOG-LINE before", ALERT, PWN, IMG, "red words",
                     "EVIL-LOG-LINE after"):
            self.assertIn(line + "\n", log)
        self.assertEqual(log.count("EVIL-LOG-LINE"), 2, "shown once")
        self.assert_safe(dom, raw)
        browser.screenshot(os.path.join(SHOTS or self.tmp, "job.png"))

        job = f"/jobs/{ids['bad']}"
        browser.open(job, (f"/api{job}/log", 1), (job, 2))
        dom = parse_html(browser.dom())
        self.assertEqual(dom.one(id="status").text(), "failed")
        self.assertEqual(dom.one("dd", "tests").text(), "3 run, 1 failed")
        self.assertIn("FAILED (failures=1)", dom.one("pre", id="log").text())
        self.assertEqual((browser.dialogs, browser.blocked), ([], []))
        self.assertTrue(all(u.startswith(self.url + "/")
                            for u in browser.requests), browser.requests)
        touch(self.gate, "release", ids["slow"])
        self.wait_state(ids["waiting"], "passed", "failed")
