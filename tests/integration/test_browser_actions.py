# SPDX-License-Identifier: MIT
"""A dashboard you can act from (issue 12, points 7 and 8), in headless
Chromium: with a token set, Cancel leads to the login, the login to a
session cookie, and then Cancel and Retry work from the dashboard and a
job's page, checked through the API; a cancelled job's log says who; a
retry links to the job it retries and its results file names the result
it replaces; log colours show as colours; the 404 page has the site's
style; the history chart is as wide as its card; and at a phone's width
(390 px) the page does not scroll sideways.  Screenshots of the phone's
dashboard go where test_browser's do."""
import os
import re
import unittest
import urllib.parse

from browser_util import CHROMIUM, Browser, WebTest, slow_script, touch
from harness import http, http_json, parse_html
from security_util import TOKEN, write_token
from test_browser import SHOTS

COLOURS = ("#!/bin/sh\nprintf 'plain \\033[1;31mred words\\033[0m "
           "\\033[32mgreen\\033[0m\\n'\n")


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK), "no Chromium")
class TestBrowserActions(WebTest):
    def setUp(self):
        super().setUp()
        self.d = self.dispatcher(http=True, args=(
            "--token-file", write_token(self.path("token"), TOKEN)))
        self.url = self.d.http_url
        self.runner(self.d, "r1", args=("--token-file", self.path("token")))

    def path(self, name):
        return os.path.join(self.tmp, name)

    def post(self, path, body=None):
        return http_json(self.url, path, "POST", body, token=TOKEN)

    def dispatch(self, repo, commit, branch="main", **more):
        return self.post("/api/dispatch", {"repo": repo, "commit": commit,
                                           "branch": branch, **more})

    def job(self, job_id):
        status, job = http_json(self.url, f"/api/jobs/{job_id}")
        self.assertEqual(status, 200, job)
        return job

    def go(self, browser, script, what):
        """Run script in the page and wait for the page it leads to."""
        browser.events.clear()
        browser.evaluate(script)
        browser.pump(lambda: any(m == "Page.loadEventFired"
                                 for m, _ in browser.events), what)

    def click(self, browser, selector):
        return f"document.querySelector({selector!r}).click()"

    def test_cancel_retry_login_and_pages(self):
        repo = self.make_repo()
        slow = self.commit(repo, "slow", {".ssci/test":
                                          slow_script(self.gate)})
        colours = self.commit(repo, "colours", {".ssci/test": COLOURS})
        running = self.dispatch(repo, slow, subject="Slow")[1]["job"]
        self.addCleanup(touch, self.gate, "release", running)
        self.wait_for(lambda: os.path.exists(f"{self.gate}/pid-{running}"),
                      "the slow test to start")
        queued = self.dispatch(repo, colours, subject="Waiting")[1]["job"]

        browser = Browser(self.url)
        self.addCleanup(browser.close)
        browser.open("/", ("/api/events", 1))
        row = f'section#queue tr[data-job="{queued}"]'
        cell = parse_html(browser.evaluate(
            f"document.querySelector({row!r}).outerHTML")).one("td", "id")
        self.assertEqual(cell.text(), f"#{queued}", "job numbers")
        # No session yet: the click leads to the login, and back.
        self.go(browser, self.click(browser, row + " button.act"),
                "the login page")
        self.assertTrue(browser.evaluate("location.pathname") == "/login")
        self.go(browser, "document.getElementById('token').value = "
                f"{TOKEN!r}; document.querySelector('form').submit()",
                "back from the login")
        self.assertEqual(browser.evaluate("location.pathname"), "/")
        self.assertNotIn(TOKEN, browser.evaluate("document.cookie"),
                         "the session cookie is HttpOnly")
        self.go(browser, self.click(browser, row + " button.act"),
                "the dashboard after Cancel")
        self.wait_for(lambda: self.job(queued)["state"] == "cancelled",
                      "the queued job to be cancelled")
        # Cancel the running job from its own page.
        browser.open(f"/jobs/{running}", (f"/api/jobs/{running}", 1))
        browser.evaluate(self.click(browser, "#job button.act.cancel"))
        # The page's requests go out only while the browser is read.
        browser.pump(lambda: browser.answered(
            f"/api/jobs/{running}/cancel") >= 1, "the cancel")
        info = self.wait_for(lambda: (lambda j: j if j["state"] ==
                                      "cancelled" else None)(
            self.job(running)), "the running job to be cancelled")
        self.assertEqual(info["reason"], "cancelled by the web, from "
                         "127.0.0.1")
        status, log = http_json(self.url, f"/api/jobs/{running}/log")
        self.assertTrue(log["data"].endswith("\nssci: cancelled by the web, "
                                             "from 127.0.0.1\n"), log)
        # Retry it from its page: the new job's page, linked back.
        browser.open(f"/jobs/{running}", (f"/api/jobs/{running}", 1))
        self.go(browser, self.click(browser, "#job button.act.retry"),
                "the retry's page")
        new = int(browser.evaluate("location.pathname").rsplit("/", 1)[1])
        self.assertNotEqual(new, running)
        self.assertEqual(self.job(new)["retry_of"], running)
        touch(self.gate, "release", new)
        self.wait_for(lambda: self.job(new)["state"] == "passed",
                      "the retry to pass")
        browser.open(f"/jobs/{new}", (f"/api/jobs/{new}", 1))
        self.assertEqual(browser.evaluate(
            "document.querySelector('dd.retry-of a').getAttribute('href')"),
            f"/jobs/{running}")
        result = open(os.path.join(self.d.results_dir, slow)).read()
        self.assertRegex(result, rf"\nresult: passed .*replaces={running} "
                         rf".*job={new}\n$")
        # The first job's own result and log stay reachable.
        self.assertEqual(self.job(running)["state"], "cancelled")
        self.assertEqual(http(self.url, f"/jobs/{running}").status, 200)

        # Colours of a log as colours (the queued job, retried through
        # the API with the token).
        colour_job = self.post(f"/api/jobs/{queued}/retry")[1]["job"]
        self.wait_for(lambda: self.job(colour_job)["state"] == "passed",
                      "the colour job")
        browser.open(f"/jobs/{colour_job}", (f"/api/jobs/{colour_job}", 1))
        red = browser.evaluate("getComputedStyle(document.querySelector("
                               "'#log .fg-1')).color")
        self.assertEqual(red, "rgb(255, 123, 114)")
        self.assertEqual(browser.evaluate(
            "document.querySelector('#log .fg-1').textContent"), "red words")
        self.assertNotIn("\x1b", browser.dom())

        # The 404 page in the site's style; the history chart card-wide.
        browser.open("/no/such/page")
        self.assertEqual(browser.evaluate("document.querySelector("
                                          "'#error .code').textContent"),
                         "404")
        self.assertTrue(browser.evaluate(
            "!!document.querySelector('header.top a.brand')"))
        browser.open("/history/" + urllib.parse.quote(repo, safe="") +
                     "/main")
        widths = browser.evaluate(
            "(() => { const f = document.querySelector('figure.charts');"
            " const s = f.querySelector('svg.durations');"
            " return [f.clientWidth, s.getBoundingClientRect().width]; })()")
        self.assertGreater(widths[0], 500)
        self.assertLessEqual(abs(widths[0] - widths[1]), 2, widths)

    def test_quarantine_button(self):
        """A test's page quarantines it, for a logged-in user (issue 15):
        the button leads to the login, then posts; the API says so, and
        the page offers to let it out."""
        repo = self.make_repo()
        commit = self.commit(repo, "junit", {".ssci/test": (
            "#!/bin/sh\nprintf '<testsuite><testcase classname=\"pkg\" "
            "name=\"flaps\"><failure message=\"no\"/></testcase>"
            "</testsuite>' > \"$SSCI_REPORTS/r.xml\"\nexit 1\n")})
        job = self.dispatch(repo, commit)[1]["job"]
        self.wait_for(lambda: self.job(job)["state"] == "failed", "the job")
        page = ("/tests/" + urllib.parse.quote(repo, safe="") +
                "/main/pkg.flaps")
        browser = Browser(self.url)
        self.addCleanup(browser.close)
        browser.open(page)
        button = "button.act.quarantine"
        self.assertEqual(browser.evaluate(
            f"document.querySelector({button!r}).textContent"), "Quarantine")
        self.go(browser, self.click(browser, button), "the login page")
        self.go(browser, "document.getElementById('token').value = "
                f"{TOKEN!r}; document.querySelector('form').submit()",
                "back from the login")
        self.assertEqual(urllib.parse.unquote(
            browser.evaluate("location.pathname")), urllib.parse.unquote(page))
        self.go(browser, self.click(browser, button), "the page again")
        status, listed = http_json(self.url, "/api/quarantine")
        self.assertEqual(status, 200)
        self.assertEqual([(t["repo"], t["name"]) for t in
                          listed["quarantined"]], [(repo, "pkg.flaps")])
        self.assertIn("127.0.0.1", listed["quarantined"][0]["by"])
        self.assertEqual(browser.evaluate(
            f"document.querySelector({button!r}).textContent"),
            "Let out of quarantine")

    def test_phone_width(self):
        repo = self.make_repo()
        for i in range(3):
            c = self.commit(repo, f"a commit with a rather long subject {i}")
            self.dispatch(repo, c, subject=f"A long subject line {i} " * 3,
                          author="Somebody With A Long Name")
        self.wait_for(lambda: (lambda jobs: len(jobs) == 3 and all(
            j["state"] == "passed" for j in jobs))(
                http_json(self.url, "/api/jobs")[1]["jobs"]), "three jobs")
        phone = Browser(self.url, width=390, height=844)
        self.addCleanup(phone.close)
        phone.open("/", ("/api/events", 1))
        width = phone.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, 390, "no sideways scroll of the page")
        cell = phone.evaluate("(() => { const r = document.querySelector("
                              "'#recent td.status').getBoundingClientRect();"
                              " return [r.left, r.right]; })()")
        self.assertGreaterEqual(cell[0], 0)
        self.assertLessEqual(cell[1], 390, "the status column is in view")
        phone.screenshot(os.path.join(SHOTS or self.tmp,
                                      "dashboard-phone.png"))
        self.assertTrue(re.match(r"^\d+$", str(width)))
