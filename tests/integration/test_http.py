# SPDX-License-Identifier: MIT
"""The dispatcher's HTTP side over real HTTP on loopback: dispatch through
the API, the event stream, tailing a running job's log, cancel, retry,
/metrics, the error answers, and the pages (escaping a test's output)."""
import collections
import os
import urllib.parse

from browser_util import WebTest, pid_alive, touch
from harness import FAILING_TEST, EventStream, http, http_json, parse_html

XSS = "<script>alert(1)</script>"


def quote_path(s):
    """s as one segment of a path (slashes too quoted)."""
    return urllib.parse.quote(s, safe="")


def metrics(base):
    """(status, content type, {sample: value}) of /metrics."""
    reply = http(base, "/metrics")
    samples = {}
    for line in reply.text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return reply.status, reply.headers.get("content-type", ""), samples


class HttpTest(WebTest):
    def test_dispatch_events_and_live_log(self):
        self.start_system(runner=False)
        events = EventStream(self.url)
        self.addCleanup(events.close)
        self.assertEqual(events.status, 200)
        self.assertTrue(events.content_type.startswith("text/event-stream"))
        self.runner(self.d, "r1")
        self.wait_for(lambda: events.find("runner", event="joined",
                                          name="r1"), "runner joined event")
        repo, commit = self.slow_repo()
        status, body = self.dispatch(repo, commit, subject="slow one",
                                     author="Ann")
        self.assertEqual(status, 201, body)
        self.assertEqual((body["state"], body["existing"]), ("queued", False))
        job = body["job"]
        status, dup = self.dispatch(repo, commit)
        self.assertEqual((status, dup["job"], dup["existing"]),
                         (200, job, True))
        status, dup = http_json(self.url, "/api/dispatch", "POST",
                          f"repo={quote_path(repo)}&commit={commit}&branch=main",
                          {"Content-Type":
                           "application/x-www-form-urlencoded"})
        self.assertEqual((status, dup["job"], dup["existing"]),
                         (200, job, True), "a form works too")
        self.wait_for(lambda: events.find("job", id=job, event="queued"),
                      "queued event")
        started = self.wait_for(lambda: events.find(
            "job", id=job, event="started"), "started event")[0]
        self.assertEqual((started["state"], started["runner"]),
                         ("running", "r1"))
        self.wait_for(lambda: f"job {job} started" in events.log_text(job),
                      "log event with the test's first line")
        # Tail the log while the test runs: offsets advance, text adds up.
        first = self.wait_for(lambda: (lambda r: r if "started" in r["data"]
                              else None)(http_json(self.url,
                              f"/api/jobs/{job}/log")[1]), "first log part")
        self.assertEqual((first["id"], first["offset"], first["state"]),
                         (job, 0, "running"))
        n = first["next_offset"]
        self.assertEqual(n, len(first["data"].encode()))
        self.assertGreaterEqual(first["size"], n)
        touch(self.gate, "step", job)
        more = self.wait_for(lambda: (lambda r: r if "step line" in r["data"]
                             else None)(http_json(self.url,
                             f"/api/jobs/{job}/log?offset={n}")[1]),
                             "the step line past the first offset")
        self.assertEqual(more["offset"], n)
        self.assertGreater(more["next_offset"], n)
        self.assertNotIn("started", more["data"])
        status, part = http_json(self.url, f"/api/jobs/{job}/log?offset=0&limit=5")
        self.assertEqual((status, part["next_offset"], len(part["data"])),
                         (200, 5, 5))
        # The stream is another connection: its event may come a bit later.
        self.wait_for(lambda: "step line" in events.log_text(job),
                      "the step line on the event stream")
        status, runners = http_json(self.url, "/api/runners")
        (r1,) = runners["runners"]
        self.assertEqual((r1["name"], r1["state"], r1["jobs"]),
                         ("r1", "busy", [job]))
        status, st = http_json(self.url, "/api/status")
        self.assertEqual([j["id"] for j in st["running"]], [job])
        self.assertGreater(st["uptime_ms"], 0)
        touch(self.gate, "release", job)
        done = self.wait_for(lambda: events.find("job", id=job,
                             event="finished"), "finished event")[0]
        self.assertEqual(done["state"], "passed")
        info = self.job(job)
        self.assertEqual((info["state"], info["exit_code"], info["subject"],
                          info["author"], info["branch"], info["commit"]),
                         ("passed", 0, "slow one", "Ann", "main", commit))
        self.assertEqual(info["tests"]["failed"], 0)
        status, whole = http_json(self.url, f"/api/jobs/{job}/log")
        self.assertRegex(whole["data"], r"(?s)started.*step line.*released")
        self.assertEqual(whole["state"], "passed")
        # A rebuild is a new job of the same commit.
        status, again = self.dispatch(repo, commit, rebuild=True)
        self.assertEqual((status, again["existing"]), (201, False))
        self.assertNotEqual(again["job"], job)
        touch(self.gate, "release", again["job"])
        self.wait_state(again["job"], "passed")
        self.assertEqual(events.errors, [])
        self.assertTrue(events.comments, "the stream's greeting or pings")

    def test_cancel_and_retry(self):
        self.start_system()
        repo, commit = self.slow_repo()
        job = self.dispatch(repo, commit)[1]["job"]
        self.wait_for(lambda: os.path.exists(f"{self.gate}/pid-{job}"),
                      "the test to start")
        with open(f"{self.gate}/pid-{job}") as f:
            pid = int(f.read())
        status, err = http_json(self.url, f"/api/jobs/{job}/retry", "POST")
        self.assertEqual((status, err["error"]["code"]), (409, "bad_state"))
        # A second job waits while the only runner is busy; cancel it.
        other = self.commit(repo, "another")
        queued = self.dispatch(repo, other)[1]["job"]
        status, queue = http_json(self.url, "/api/queue")
        (q,) = queue["queue"]
        self.assertEqual((q["id"], q["position"], q["waiting"]),
                         (queued, 1, "all runners busy"))
        m = metrics(self.url)[2]
        self.assertEqual((m['ssci_jobs{state="running"}'],
                          m["ssci_queue_length"], m["ssci_runners_busy"]),
                         (1, 1, 1))
        self.assertGreaterEqual(m["ssci_queue_oldest_age_seconds"], 0)
        status, body = http_json(self.url, f"/api/jobs/{queued}/cancel", "POST")
        self.assertEqual((status, body["job"], body["state"]),
                         (200, queued, "cancelled"))
        status, body = http_json(self.url, f"/api/jobs/{job}/cancel", "POST")
        self.assertEqual((status, body["job"]), (200, job))
        self.assertEqual(self.wait_state(job, "cancelled", "passed",
                                         "failed")["state"], "cancelled")
        self.wait_for(lambda: not pid_alive(pid), "the test process to end")
        status, body = http_json(self.url, f"/api/jobs/{job}/retry", "POST")
        self.assertEqual((status, body["state"], body["retry_of"]),
                         (201, "queued", job), body)
        new = body["job"]
        self.assertNotEqual(new, job)
        touch(self.gate, "release", new)
        info = self.wait_state(new, "passed", "failed", "error")
        self.assertEqual((info["state"], info["commit"]), ("passed", commit))
        states = {j["id"]: j["state"] for j in self.d.jobs()}
        self.assertEqual(states, {job: "cancelled", queued: "cancelled",
                                  new: "passed"})

    def test_metrics(self):
        self.start_system()
        repo = self.make_repo()
        good = self.commit(repo, "good")
        bad = self.commit(repo, "bad", {"tests/test_bad.py": FAILING_TEST})
        for c in (good, bad):
            self.dispatch(repo, c)
        self.wait_jobs(self.d, 2)
        status, ctype, m = metrics(self.url)
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/plain"), ctype)
        counts = collections.Counter(j["state"] for j in self.d.jobs())
        for state in ("queued", "running", "passed", "failed", "error",
                      "timeout", "cancelled"):
            self.assertEqual(m[f'ssci_jobs{{state="{state}"}}'],
                             counts[state], state)
        self.assertEqual(m["ssci_queue_length"], 0)
        self.assertEqual(m["ssci_queue_oldest_age_seconds"], 0)
        self.assertEqual((m["ssci_runners_connected"], m["ssci_runners_busy"],
                          m["ssci_runner_slots"]), (1, 0, 1))
        self.assertEqual(m["ssci_job_duration_seconds_count"], 2)
        self.assertEqual(m['ssci_job_duration_seconds_bucket{le="+Inf"}'], 2)
        buckets = [v for k, v in m.items() if k.startswith(
            "ssci_job_duration_seconds_bucket")]
        self.assertEqual(buckets, sorted(buckets), "cumulative")
        self.assertGreater(m["ssci_job_duration_seconds_sum"], 0)
        self.assertGreater(m["ssci_uptime_seconds"], 0)

    def test_errors_change_nothing(self):
        self.start_system(runner=False)
        repo = self.make_repo()
        commit = self.commit(repo, "one")
        job = self.dispatch(repo, commit)[1]["job"]
        before = self.d.jobs()
        json_type = {"Content-Type": "application/json"}
        cases = [
            ("POST", "/api/dispatch", "{not json", json_type, 400),
            ("POST", "/api/dispatch", "[1, 2]", json_type, 400),
            ("POST", "/api/dispatch", {"repo": repo}, None, 400),
            ("POST", "/api/dispatch", {"repo": repo, "commit": "../../x"},
             None, 400),
            ("POST", "/api/dispatch", {"repo": repo, "commit": commit,
                                       "branch": "a..b"}, None, 400),
            ("GET", "/api/jobs?limit=abc", None, None, 400),
            ("GET", "/api/jobs?limit=0", None, None, 400),
            ("GET", "/api/jobs?state=bogus", None, None, 400),
            ("GET", f"/api/jobs/{job}/log?offset=-1", None, None, 400),
            ("GET", "/api/jobs/999999", None, None, 404),
            ("GET", "/api/jobs/abc", None, None, 404),
            ("POST", "/api/jobs/999999/cancel", None, None, 404),
            ("POST", "/api/jobs/999999/retry", None, None, 404),
            ("GET", f"/api/jobs/{job}/nothing", None, None, 404),
            ("GET", "/api/nothing", None, None, 404),
            ("GET", "/api/dispatch", None, None, 405),
            ("POST", "/api/jobs", "{}", json_type, 405),
            ("POST", f"/api/jobs/{job}", "{}", json_type, 405),
            ("GET", f"/api/jobs/{job}/cancel", None, None, 405),
        ]
        for method, path, body, headers, want in cases:
            with self.subTest(method=method, path=path):
                status, err = http_json(self.url, path, method, body, headers)
                self.assertEqual(status, want, err)
                self.assertIsInstance(err["error"]["code"], str)
                self.assertTrue(err["error"]["message"])
                if want == 405:
                    # The route table says which method the path takes.
                    self.assertEqual(err["error"]["message"], "use %s here"
                                     % ("GET" if method == "POST" else "POST"))
        self.assertEqual(http(self.url, "/nothing/here").status, 404)
        self.assertEqual(http(self.url, "/", "POST", "x").status, 405)
        self.assertEqual(http(self.url, "/metrics", "POST", "x").status, 405)
        self.assertEqual(http(self.url, "/history/only-repo").status, 404)
        self.assertEqual(http(self.url, "/badge/r/main.png").status, 404)
        self.assertEqual(http(self.url, f"/jobs/{job}/more").status, 404)
        self.assertEqual(http(self.url, "/static/nothing.css").status, 404)
        # PUT and DELETE are /api/secrets' only (405 elsewhere); a method
        # the server has no use for anywhere, libevent answers 501.
        for method in ("DELETE", "PUT"):
            self.assertEqual(http(self.url, f"/api/jobs/{job}",
                                  method).status, 405, method)
        self.assertEqual(http(self.url, f"/api/jobs/{job}", "PATCH").status,
                         501)
        huge = b"{" + b" " * (70 * 1024 - 2) + b"}"
        self.assertEqual(http(self.url, "/api/dispatch", "POST", huge,
                              {"Content-Type": "application/json"}).status,
                         413)
        self.assertEqual(self.d.jobs(), before)
        self.assertEqual(len(http_json(self.url, "/api/jobs")[1]["jobs"]), 1)

    def test_pages_escape_and_badges(self):
        self.start_system()
        repo = self.make_repo()
        good = self.commit(repo, "all <b>good</b>")
        bad = self.commit(repo, "bad", {"tests/test_bad.py": FAILING_TEST})
        evil = self.commit(repo, "evil output", {".ssci/test":
                           f"#!/bin/sh\necho '{XSS}'\n"
                           "printf '\\033[31mRED\\033[0m\\n'\n"})
        ids = [self.dispatch(repo, good, subject="all <b>good</b>",
                             author="Eve <eve@x>")[1]["job"],
               self.dispatch(repo, evil, "evil")[1]["job"],
               self.dispatch(repo, bad, "broken")[1]["job"]]
        self.wait_jobs(self.d, 3)
        reply = http(self.url, "/")
        self.assertEqual(reply.status, 200)
        self.assertTrue(reply.headers["content-type"].startswith(
            "text/html"), reply.headers)
        dash = parse_html(reply.body)
        recent = dash.one("section", id="recent")
        rows = [recent.one("tr", data_job=str(job)) for job in ids]
        self.assertEqual([r.classes for r in rows],
                         [{"job", "state-passed"}, {"job", "state-passed"},
                          {"job", "state-failed"}])
        self.assertEqual([r.one("td", "tests").text() for r in rows],
                         ["2 run, 0 failed", "", "3 run, 1 failed"])
        # The subject and author are text, with no element made of them.
        for cls, shown in (("subject", "all <b>good</b>"),
                           ("author", "Eve <eve@x>")):
            cell = rows[0].one("td", cls)
            self.assertEqual((cell.text(), cell.elements()), (shown, []))
        self.assertEqual(list(dash.find_all("b")), [])
        # And in the bytes sent: escaped, never raw (a parser that
        # recovers from bad markup could hide the difference).
        self.assertIn("all &lt;b&gt;good&lt;/b&gt;", reply.text())
        self.assertIn("Eve &lt;eve@x&gt;", reply.text())
        self.assertNotIn("<b>good", reply.text())

        reply = http(self.url, f"/jobs/{ids[1]}")
        self.assertEqual(reply.status, 200)
        self.assertTrue(reply.headers["content-type"].startswith(
            "text/html"), reply.headers)
        page = parse_html(reply.body)
        self.assertEqual(page.one("dd", "commit").text(), evil)
        log = page.one("pre", id="log")
        self.assertEqual(log.text(), f"{XSS}\nRED\n")
        # The test's colour is a classed span, its <script> no element.
        self.assertEqual([(e.tag, e.classes, e.text())
                          for e in log.elements()],
                         [("span", {"fg-1"}, "RED")])
        self.assertEqual([e.attrs for e in page.find_all("script")],
                         [{"src": "/static/app.js", "defer": None}])
        # The bytes sent: the payload escaped, never raw; no escape codes.
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", reply.text())
        self.assertNotIn(XSS, reply.text())
        self.assertNotIn("\x1b", reply.text(), "ANSI codes stripped")
        reply = http(self.url, f"/commits/{evil}")
        self.assertEqual(reply.status, 200)
        by_commit = parse_html(reply.body)
        self.assertEqual(by_commit.one("dd", "commit").text(), evil)
        self.assertIn(XSS, by_commit.one("pre", id="log").text())
        self.assertEqual(by_commit.one("pre", id="log").one("span").text(),
                         "RED")
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", reply.text())
        self.assertNotIn(XSS, reply.text())
        self.assertEqual(http(self.url, "/jobs/999999").status, 404)
        # REPO as the repository's id, and as its URL, URL-encoded (the
        # form the dashboard's own links use).
        main = dash.one("section", id="branches").one("tr", data_branch="main")
        self.assertEqual(main.one("td", "branch").one("a").attrs["href"],
                         f"/history/{quote_path(repo)}/main")
        for ref in ("1", quote_path(repo)):
            with self.subTest(repo=ref):
                reply = http(self.url, f"/history/{ref}/main")
                self.assertEqual(reply.status, 200, f"/history/{ref}/main")
                charts = parse_html(reply.body).one("figure", "charts")
                mark = charts.one("svg", "strip").one("rect", "mark")
                self.assertEqual((mark.attrs["data-job"], mark.classes),
                                 (str(ids[0]), {"mark", "state-passed"}))
                self.assertIsNotNone(charts.one("svg", "durations"))
                for branch, word in (("main", "passing"),
                                     ("broken", "failing")):
                    reply = http(self.url, f"/badge/{ref}/{branch}.svg")
                    self.assertEqual(reply.status, 200)
                    self.assertTrue(reply.headers["content-type"].startswith(
                        "image/svg+xml"))
                    badge = parse_html(reply.body).one("svg")
                    self.assertEqual(badge.attrs["aria-label"],
                                     f"ssci: {word}")
                    self.assertEqual(badge.one("title").text(),
                                     f"ssci: {word}")
        for name, kind in (("style.css", "text/css"),
                           ("app.js", "javascript")):
            reply = http(self.url, f"/static/{name}")
            self.assertEqual(reply.status, 200)
            self.assertIn(kind, reply.headers["content-type"])

