# SPDX-License-Identifier: MIT
"""A pipeline seen from outside (issue 13): GET /api/pipelines/ID with its
jobs, their needs and states; cancel and retry of a whole pipeline over
HTTP, with the dispatcher's token and refused without it; the
/pipelines/ID page and a job's page drawing the pipeline as a graph whose
boxes link to its jobs; the badge standing for the pipeline, not its
first job; and `ssci jobs` naming each job."""
import os

from harness import SsciTest, http, http_json, parse_html

TOKEN = "pipeline-pages-token-0123456789"

FINAL = ("passed", "failed", "error", "timeout", "cancelled", "skipped")


class TestPipelinePages(SsciTest):
    def setUp(self):
        super().setUp()
        self.tok = os.path.join(self.tmp, "token")
        with open(self.tok, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(self.tok, 0o600)
        self.d = self.dispatcher(http=True, args=("--token-file", self.tok))
        self.url = self.d.http_url
        self.runner(self.d, "r1", args=("--jobs", "2", "--token-file",
                                        self.tok))

    def dispatch(self, repo, commit, subject):
        status, body = http_json(self.url, "/api/dispatch", "POST",
                                 {"repo": repo, "commit": commit,
                                  "branch": "main", "subject": subject},
                                 token=TOKEN)
        self.assertEqual(status, 201, body)
        return body["job"]

    def pipeline(self, pid):
        status, body = http_json(self.url, f"/api/pipelines/{pid}")
        self.assertEqual(status, 200, body)
        return body

    def wait_over(self, pid):
        return self.wait_for(lambda: (lambda p: p if p["state"] in FINAL
                                      else None)(self.pipeline(pid)),
                             f"pipeline {pid} to be over")

    def post(self, path, token=TOKEN):
        return http_json(self.url, path, "POST", {}, token=token)

    def graph_links(self, page):
        svg = page.one("svg", "pipeline-graph")
        return ([a.attrs["href"] for a in svg.find_all("a")],
                len(list(svg.find_all("path", "edge"))), svg)

    def test_pipeline_api_pages_actions_and_cli(self):
        flag = os.path.join(self.tmp, "fixed")
        repo = self.make_repo()
        commit = self.commit(repo, "three jobs", {".ssci.yml": (
            "jobs:\n  build:\n    run: echo BUILD\n"
            "  unit:\n    needs: [build]\n    run: echo UNIT\n"
            "  lint:\n    needs: [build]\n    run: test -e " + flag + "\n")})
        pid = self.dispatch(repo, commit, "Three <jobs>")
        p = self.wait_over(pid)

        # The API: the pipeline, its jobs first to last, their needs.
        self.assertEqual((p["id"], p["state"], p["commit"], p["repo"],
                          p["branch"], p["subject"], p["planned"]),
                         (pid, "failed", commit, repo, "main",
                          "Three <jobs>", True))
        self.assertGreaterEqual(p["finished_ms"], p["created_ms"])
        jobs = {j["name"]: j for j in p["jobs"]}
        self.assertEqual([j["name"] for j in p["jobs"]],
                         ["build", "unit", "lint"])
        build, unit, lint = jobs["build"], jobs["unit"], jobs["lint"]
        self.assertEqual(build["id"], pid)
        self.assertEqual([(j["state"], j["needs"]) for j in p["jobs"]],
                         [("passed", []), ("passed", [pid]),
                          ("failed", [pid])])
        self.assertEqual({(j["pipeline"], j["pipeline_state"])
                          for j in p["jobs"]}, {(pid, "failed")})
        for path in (f"/api/pipelines/{unit['id']}", "/api/pipelines/abc",
                     "/api/pipelines/999999",
                     "/api/pipelines/999999/cancel"):
            status, err = (self.post(path) if path.endswith("cancel")
                           else http_json(self.url, path))
            self.assertEqual((status, err["error"]["code"]),
                             (404, "no_such_pipeline"), path)

        # Its page: the graph (a box linking to each job, two arrows)
        # and a table of the jobs.
        reply = http(self.url, f"/pipelines/{pid}")
        self.assertEqual(reply.status, 200)
        self.assertIn("script-src 'self'",
                      reply.headers["content-security-policy"])
        page = parse_html(reply.body)
        hrefs, arrows, svg = self.graph_links(page)
        self.assertEqual(sorted(hrefs), sorted(f"/jobs/{j['id']}"
                                               for j in p["jobs"]))
        self.assertEqual(arrows, 2)
        self.assertEqual([t.text() for t in svg.find_all("text", "name")],
                         ["build", "unit", "lint"])
        self.assertEqual(svg.one("a", "state-failed").attrs["href"],
                         f"/jobs/{lint['id']}")
        rows = page.one("table", "pipeline-jobs").find_all("tr", "job")
        self.assertEqual([(r.attrs["data-job"], r.one("td", "name").text())
                          for r in rows],
                         [(str(j["id"]), j["name"]) for j in p["jobs"]])
        self.assertIn("Three &lt;jobs&gt;", reply.text())
        self.assertEqual([e for e in page.find_all() if "style" in e.attrs],
                         [], "no inline style under the CSP")
        self.assertEqual(http(self.url, f"/pipelines/{unit['id']}").status,
                         404)
        # A job's page: the same graph, its own box outlined, a link.
        page = parse_html(http(self.url, f"/jobs/{unit['id']}").body)
        hrefs, arrows, svg = self.graph_links(page)
        self.assertEqual((len(hrefs), arrows), (3, 2))
        self.assertEqual(svg.one("a", "current").attrs["href"],
                         f"/jobs/{unit['id']}")
        self.assertEqual(page.one("dd", "pipeline").one("a").attrs["href"],
                         f"/pipelines/{pid}")
        # The badge is the pipeline's (failed), not its first job's.
        badge = parse_html(http(self.url, "/badge/1/main.svg").body)
        self.assertEqual(badge.one("svg").attrs["aria-label"],
                         "ssci: failing")

        # ssci jobs names each job; "-" for none.
        out = self.ssci("jobs", "--dispatcher-server", self.d.address,
                        "--token-file", self.tok)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = [r.split() for r in out.stdout.splitlines()]
        self.assertEqual(rows[0][:6], ["JOB", "STATE", "COMMIT", "BRANCH",
                                       "NAME", "PASSED"])
        self.assertEqual(sorted((r[0], r[4]) for r in rows[1:]),
                         sorted((str(j["id"]), j["name"])
                                for j in p["jobs"]))

        # Retry: refused without the token, then a new pipeline that
        # keeps what passed and runs the rest.
        status, err = self.post(f"/api/pipelines/{pid}/retry", token=None)
        self.assertEqual((status, err["error"]["code"]), (401, "bad_token"))
        self.assertEqual(len(self.d.jobs()), 3, "a refused retry queued")
        open(flag, "w").close()
        status, body = self.post(f"/api/pipelines/{pid}/retry")
        self.assertEqual((status, body["state"], body["retry_of"]),
                         (201, "queued", pid), body)
        again = self.wait_over(body["pipeline"])
        self.assertEqual(again["state"], "passed", again)
        kept = {j["name"]: j for j in again["jobs"]}
        self.assertEqual(sorted(kept), ["build", "lint", "unit"])
        self.assertEqual(kept["lint"]["state"], "passed")
        self.assertNotEqual(again["id"], pid)

        # Cancel: while the pipeline runs a retry is refused; without the
        # token so is a cancel; with it every job not over ends.
        slow = self.commit(repo, "slow", {".ssci.yml": (
            "jobs:\n  a:\n    run: sleep 30\n"
            "  b:\n    needs: [a]\n    run: echo B\n")})
        pid2 = self.dispatch(repo, slow, "Slow")
        self.wait_for(lambda: self.pipeline(pid2)["state"] == "running" and
                      len(self.pipeline(pid2)["jobs"]) == 2,
                      "the slow pipeline to run")
        status, err = self.post(f"/api/pipelines/{pid2}/retry")
        self.assertEqual((status, err["error"]["code"]), (409, "bad_state"))
        status, err = self.post(f"/api/pipelines/{pid2}/cancel", token=None)
        self.assertEqual((status, err["error"]["code"]), (401, "bad_token"))
        status, body = self.post(f"/api/pipelines/{pid2}/cancel")
        self.assertEqual((status, body["pipeline"]), (200, pid2), body)
        p2 = self.wait_over(pid2)
        self.assertEqual(p2["state"], "cancelled")
        self.assertEqual(p2["jobs"][0]["state"], "cancelled")
        self.assertIn(p2["jobs"][1]["state"], ("cancelled", "skipped"))
        status, err = self.post(f"/api/pipelines/{pid2}/cancel")
        self.assertEqual((status, err["error"]["code"]), (409, "bad_state"))
        # The dashboard's branch: its latest pipeline, cancelled.
        dash = parse_html(http(self.url, "/").body)
        row = dash.one("section", id="branches").one("tr", data_branch="main")
        self.assertIn("state-cancelled", row.classes)
