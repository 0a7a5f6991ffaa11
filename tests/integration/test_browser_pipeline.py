# SPDX-License-Identifier: MIT
"""A pipeline in a real browser (issue 13): a commit's .ssci.yml makes a
build, unit tests needing it, a two-value matrix and a lint allowed to
fail; headless Chromium loads /pipelines/ID and a job's page, and the
rendered DOM holds the graph: a box per job, linked to its page and
coloured by its state, an arrow per need, the current job marked, and the
commit's subject (a <script> payload) as text.  A sharded job (issue 18)
is one box with its shards inside, each linked.  Screenshots go to
$SSCI_SCREENSHOTS (make screenshots) as pipeline.png and shards.png."""
import os
import unittest

from browser_util import CHROMIUM, Browser, WebTest
from harness import http_json, parse_html

SHOTS = os.environ.get("SSCI_SCREENSHOTS")
PWN = '<script>document.title="PWNED"</script>'
PLAN = """\
jobs:
  build:
    run: echo built
  unit:
    needs: [build]
    run: echo unit tests
  integration:
    needs: [build]
    run: echo "integration on $PY"
    matrix:
      PY: ["3.11", "3.12"]
  lint:
    run: [echo linting, 'exit 1']
    allow_failure: true
"""


SHARDED = """\
jobs:
  build:
    run: echo built
  unit:
    needs: [build]
    run: for t in $SSCI_TESTS; do echo "ran $t"; done
    list: printf 'test_%s\\n' alpha beta gamma delta epsilon zeta
    shards: 3
  deploy:
    needs: [unit]
    run: echo deployed
"""


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK), f"no {CHROMIUM}")
class BrowserPipelineTest(WebTest):
    def test_pipeline_graph_in_a_browser(self):
        self.start_system()
        repo = self.make_repo()
        commit = self.commit(repo, "pipeline", {".ssci.yml": PLAN})
        status, answer = self.dispatch(repo, commit, "main",
                                       subject=f"Pipeline {PWN}")
        self.assertEqual(status, 201, answer)
        pipeline = answer["job"]
        p = self.finished_pipeline(pipeline)
        self.assertEqual(p["state"], "passed")
        states = {j["name"]: j["state"] for j in p["jobs"]}
        self.assertEqual(states["lint"], "failed")

        browser = Browser(self.url)
        self.addCleanup(browser.close)
        browser.open(f"/pipelines/{pipeline}", ("/api/events", 1))
        raw = browser.dom()
        dom = parse_html(raw)
        self.assertNotIn("PWNED", dom.one("head").one("title").text())
        svg = dom.one("svg", "pipeline-graph")
        links = {a.attrs.get("href") for a in svg.find_all("a")}
        self.assertEqual(links, {f"/jobs/{j['id']}" for j in p["jobs"]})
        text = svg.text()
        for name in states:
            self.assertIn(name, text)
        self.assertEqual(len(list(svg.find_all("path", "edge"))), 3)
        self.assertIn(f"Pipeline {PWN}", dom.text())
        self.assertEqual(list(dom.find_all("img")), [])
        browser.screenshot(os.path.join(SHOTS or self.tmp, "pipeline.png"))

        lint = [j for j in p["jobs"] if j["name"] == "lint"][0]
        job = f"/jobs/{lint['id']}"
        browser.open(job, (f"/api{job}/log", 1))
        dom = parse_html(browser.dom())
        graph = dom.one("svg", "pipeline-graph")
        self.assertEqual(len(list(graph.find_all("a"))), 5)
        self.assertEqual(len(list(graph.find_all(cls="current"))), 1)
        self.assertIn("linting", dom.one("pre", id="log").text())
        self.assertEqual((browser.dialogs, browser.blocked), ([], []))

    def test_sharded_job_in_a_browser(self):
        self.start_system()
        self.runner(self.d, "r2")
        repo = self.make_repo()
        commit = self.commit(repo, "sharded", {".ssci.yml": SHARDED})
        status, answer = self.dispatch(repo, commit, "main",
                                       subject="Split the unit tests")
        self.assertEqual(status, 201, answer)
        pipeline = answer["job"]
        p = self.finished_pipeline(pipeline)
        self.assertEqual(p["state"], "passed", p)
        unit = [j for j in p["jobs"] if j["name"] == "unit"][0]
        shards = [j for j in p["jobs"] if j["shard_of"] == unit["id"]]
        self.assertEqual(len(shards), 3)

        browser = Browser(self.url)
        self.addCleanup(browser.close)
        browser.open(f"/pipelines/{pipeline}", ("/api/events", 1))
        dom = parse_html(browser.dom())
        svg = dom.one("svg", "pipeline-graph")
        box = svg.one("g", "sharded")
        self.assertEqual({a.attrs.get("href") for a in box.find_all(
            "a", "shard")}, {f"/jobs/{j['id']}" for j in shards})
        for k in (1, 2, 3):
            self.assertIn(f"{k}/3 ", box.text())
        # Three boxes: build, unit with its shards, deploy.
        self.assertEqual(len(list(svg.find_all("a", "node"))), 2)
        self.assertEqual(len(list(svg.find_all("path", "edge"))), 2)
        browser.screenshot(os.path.join(SHOTS or self.tmp, "shards.png"))

        browser.open(f"/jobs/{unit['id']}", ("/api/events", 1))
        dom = parse_html(browser.dom())
        rows = list(dom.one("table", "shards").find_all("tr", "job"))
        self.assertEqual(len(rows), 3)
        log = dom.one("pre", id="log").text()
        for name in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta"):
            self.assertEqual(log.count(f"ran test_{name}"), 1, log)
        self.assertEqual((browser.dialogs, browser.blocked), ([], []))

    def finished_pipeline(self, pipeline):
        """The API's pipeline object once it is over."""
        def over():
            code, p = self.http_pipeline(pipeline)
            return p if code == 200 and p["state"] not in (
                "queued", "running") else None
        return self.wait_for(over, "the pipeline to end")

    def http_pipeline(self, pipeline):
        return http_json(self.url, f"/api/pipelines/{pipeline}")
