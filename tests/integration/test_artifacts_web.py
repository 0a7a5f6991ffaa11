# SPDX-License-Identifier: MIT
"""Artifacts on the dispatcher's web side (issue 14): a job's files as
STATE/artifacts/<job>/<path> with their store rows are listed on its page
(names escaped) and in its API answer, downloaded one by one (byte for
byte, a 50 MiB one with the dispatcher's memory flat; types that never
run on the site, attachment, nosniff, ETag) or as a tar of them all; a
path that could lead out is refused and a file without a row is never
served; expired artifacts go at the start's expiry pass, and retention
removes a pruned job's folder.

The upload side (a runner sending a job's files, the dispatcher receiving
them) is covered elsewhere (test_artifacts.py, test_artifact_transfer.py):
here the files are put where the receiver leaves them, with their rows
added to the store while the dispatcher is stopped."""
import hashlib
import io
import os
import sqlite3
import tarfile
import time
import urllib.parse
from http.client import HTTPConnection

from harness import (SANITIZED, SsciTest, http, http_json, only_on,
                     parse_html)

MIB = 1024 * 1024
DAY = 24 * 60 * 60

# path: (content, expected Content-Type); the big file is added apart.
FILES = {
    "reports/a<b>&\"q'.txt": (b"plain text\n", "text/plain; charset=utf-8"),
    "site/index.html": (b"<script>alert(1)</script>\n",
                        "text/plain; charset=utf-8"),
    "pic.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)"
                b"</script></svg>", "application/octet-stream"),
    "data.json": (b'{"a": 1}\n', "application/json"),
    "junit.xml": (b"<testsuite/>\n", "application/xml"),
    "build.log": (b"line\n", "text/plain; charset=utf-8"),
    "dist/ssci-1.0.tar.gz": (b"\x1f\x8b not really", "application/gzip"),
    "dist/ssci.zip": (b"PK", "application/zip"),
    "dist/ssci.tar": (b"tar", "application/x-tar"),
    "logo.png": (b"\x89PNG", "image/png"),
    "bin/ssci": (b"\x7fELF", "application/octet-stream"),
    "caf\u00e9 r\u00e9sum\u00e9.txt": ("d\u00e9j\u00e0".encode(),
                                       "text/plain; charset=utf-8"),
    "empty.txt": (b"", "text/plain; charset=utf-8"),
}


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def children(pid):
    """The commands of pid's children."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(stat[stat.index("(") + 1:stat.rindex(")")])
    return found


class TestArtifactsWeb(SsciTest):
    def run_jobs(self, d, repo, count):
        """count commits of repo dispatched to d and run by a runner; the
        jobs, oldest first."""
        for i in range(count):
            commit = self.commit(repo, f"change {i}")
            proc = self.notify(d, repo, commit)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.wait_jobs(d, i + 1)
        return self.wait_jobs(d, count)

    def keep(self, state, job, files, expires=None):
        """files ({path: bytes}) written as job's artifacts, with their
        rows, as the receiver leaves them."""
        db = sqlite3.connect(os.path.join(state, "ssci.db"))
        now = int(time.time())
        for path, data in files.items():
            full = os.path.join(state, "artifacts", str(job), path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
            db.execute("INSERT INTO artifacts (job_id, path, size, sha256, "
                       "mode, created_at, expires_at) VALUES (?, ?, ?, ?, "
                       "420, ?, ?)", (job, path, len(data),
                                      hashlib.sha256(data).hexdigest(), now,
                                      expires))
        db.commit()
        db.close()

    def rows(self, state, job):
        db = sqlite3.connect(f"file:{os.path.join(state, 'ssci.db')}"
                             "?mode=ro", uri=True)
        paths = [r[0] for r in db.execute(
            "SELECT path FROM artifacts WHERE job_id = ? ORDER BY path",
            (job,))]
        db.close()
        return paths

    def url(self, job, path):
        return f"/jobs/{job}/artifacts/" + urllib.parse.quote(path)

    @only_on("sqlite", why="writes artifact rows into ssci.db directly")
    def test_listing_downloads_and_tar(self):
        d = self.dispatcher(http=True)
        r = self.runner(d, "r1")
        job = self.run_jobs(d, self.make_repo(), 1)[0]["id"]
        r.stop()
        d.stop()
        big = os.urandom(50 * MIB)
        files = {path: data for path, (data, _) in FILES.items()}
        files["big.bin"] = big
        self.keep(d.state_dir, job, files)
        self.keep(d.state_dir, job, {"old/expired.txt": b"gone"},
                  expires=int(time.time()) - 60)
        # Where a file could be but no row says so: never served.
        with open(os.path.join(d.state_dir, "artifacts", str(job),
                               "unlisted.txt"), "w") as f:
            f.write("not an artifact")
        d = self.restart_dispatcher(d, http=True)
        base = d.http_url

        # The expiry pass at start takes the expired one, file and folder.
        gone = os.path.join(d.state_dir, "artifacts", str(job), "old")
        self.wait_for(lambda: not os.path.exists(gone),
                      "the expired artifact's file to go")
        self.assertNotIn("old/expired.txt", self.rows(d.state_dir, job))

        # The API: the single job's answer lists them, lists do not.
        status, one = http_json(base, f"/api/jobs/{job}")
        self.assertEqual(status, 200)
        listed = {a["path"]: a for a in one["artifacts"]}
        self.assertEqual(sorted(listed), sorted(files))
        self.assertEqual(listed["big.bin"]["size"], len(big))
        self.assertEqual(listed["big.bin"]["sha256"],
                         hashlib.sha256(big).hexdigest())
        self.assertEqual(listed["big.bin"]["url"],
                         f"{base}/jobs/{job}/artifacts/big.bin")
        self.assertTrue(listed["caf\u00e9 r\u00e9sum\u00e9.txt"]["url"]
                        .endswith("/caf%C3%A9%20r%C3%A9sum%C3%A9.txt"))
        status, many = http_json(base, "/api/jobs")
        self.assertNotIn("artifacts", many["jobs"][0])

        # The page lists each with its size, escaped, and the tar.
        page = http(base, f"/jobs/{job}")
        self.assertEqual(page.status, 200)
        text = page.text()
        self.assertIn("a&lt;b&gt;&amp;&quot;q&#39;.txt", text)
        self.assertNotIn("a<b>", text)
        section = parse_html(text).one("section", id="artifacts")
        links = {a.text(): a.attrs["href"]
                 for a in section.find_all("a")}
        self.assertEqual(links.pop("download them as a tar"),
                         f"/jobs/{job}/artifacts.tar")
        self.assertEqual(sorted(links), sorted(files))
        self.assertEqual(links["reports/a<b>&\"q'.txt"],
                         f"/jobs/{job}/artifacts/reports/"
                         "a%3Cb%3E%26%22q%27.txt")
        self.assertIn("50.0 MiB", section.text())

        # Each file as it was kept, as a download of a type that runs
        # nothing here.
        for path, (data, kind) in FILES.items():
            reply = http(base, links[path])
            self.assertEqual(reply.status, 200, path)
            self.assertEqual(reply.body, data, path)
            self.assertEqual(reply.headers["content-type"], kind, path)
            self.assertEqual(reply.headers["x-content-type-options"],
                             "nosniff")
            self.assertEqual(reply.headers["content-length"],
                             str(len(data)))
            self.assertEqual(reply.headers["etag"],
                             '"%s"' % hashlib.sha256(data).hexdigest())
            self.assertTrue(reply.headers["content-disposition"]
                            .startswith("attachment; filename=\""), path)
        disposition = http(base, links["reports/a<b>&\"q'.txt"]).headers[
            "content-disposition"]
        self.assertEqual(disposition, "attachment; filename=\"a<b>&_q'.txt\"; "
                         "filename*=UTF-8''a%3Cb%3E&%22q%27.txt")
        disposition = http(base, self.url(job, "caf\u00e9 r\u00e9sum\u00e9"
                                          ".txt")).headers[
            "content-disposition"]
        self.assertEqual(disposition, "attachment; filename=\"caf__ r__sum__"
                         ".txt\"; filename*=UTF-8''caf%C3%A9%20r%C3%A9sum"
                         "%C3%A9.txt")
        self.assertEqual(http(base, self.url(job, "bin/ssci")).headers[
            "content-disposition"], 'attachment; filename="ssci"')
        head = http(base, self.url(job, "data.json"), method="HEAD")
        self.assertEqual((head.status, head.body,
                          head.headers["content-length"]), (200, b"", "9"))
        etag = head.headers["etag"]
        self.assertEqual(http(base, self.url(job, "data.json"),
                              headers={"If-None-Match": etag}).status, 304)

        # The big one, byte for byte, the dispatcher's memory flat.
        self.download_big(d, job, big)

        # All of them as a tar.
        reply = http(base, f"/jobs/{job}/artifacts.tar", timeout=60)
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.headers["content-type"], "application/x-tar")
        self.assertEqual(reply.headers["content-disposition"],
                         f'attachment; filename="job-{job}-artifacts.tar"')
        with tarfile.open(fileobj=io.BytesIO(reply.body)) as tar:
            members = {m.name: m for m in tar.getmembers()}
            self.assertEqual(sorted(members), sorted(files))
            for path, data in files.items():
                self.assertEqual(hashlib.sha256(tar.extractfile(
                    members[path]).read()).digest(),
                    hashlib.sha256(data).digest(), path)

        # What is not there, and what could lead out.
        for path in (f"/jobs/{job}/artifacts/nope.txt",
                     f"/jobs/{job}/artifacts/unlisted.txt",
                     f"/jobs/{job}/artifacts/old/expired.txt",
                     f"/jobs/{job + 100}/artifacts/big.bin",
                     f"/jobs/{job + 100}/artifacts.tar",
                     f"/jobs/{job}/artifacts//etc/passwd",
                     f"/jobs/{job}/artifacts/reports"):
            self.assertEqual(http(base, path).status, 404, path)
        for path in (f"/jobs/{job}/artifacts/../../../ssci.db",
                     f"/jobs/{job}/artifacts/reports/../../../../ssci.db",
                     f"/jobs/{job}/artifacts/%2e%2e/%2e%2e/ssci.db",
                     f"/jobs/{job}/artifacts/..%2f..%2fssci.db",
                     f"/jobs/{job}/artifacts/%2Fetc%2Fpasswd",
                     f"/jobs/{job}/artifacts/./big.bin"):
            reply = http(base, path)
            self.assertIn(reply.status, (400, 404), path)
            self.assertNotIn(b"SQLite format", reply.body, path)
            self.assertNotIn(b"root:", reply.body, path)

        # Clients that go away mid-way: the dispatcher lets go of them,
        # the tar child too, and serves on.
        self.walk_away(d, self.url(job, "big.bin"))
        self.walk_away(d, f"/jobs/{job}/artifacts.tar")
        self.wait_for(lambda: "tar" not in children(d.pid),
                      "the tar child of a client that left to end")
        self.assertEqual(http(base, self.url(job, "data.json")).body,
                         b'{"a": 1}\n')
        self.assertEqual(d.stop(), 0)

    def download_big(self, d, job, big):
        """big.bin read a MiB at a time while the dispatcher's RSS is
        watched."""
        before = vm_rss_kib(d.pid)
        most = before
        host = urllib.parse.urlsplit(d.http_url)
        conn = HTTPConnection(host.hostname, host.port,
                                          timeout=30)
        conn.request("GET", self.url(job, "big.bin"))
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.getheader("Content-Length"), str(len(big)))
        digest, got = hashlib.sha256(), 0
        while True:
            chunk = resp.read(MIB)
            if not chunk:
                break
            digest.update(chunk)
            got += len(chunk)
            most = max(most, vm_rss_kib(d.pid))
        conn.close()
        self.assertEqual(got, len(big))
        self.assertEqual(digest.digest(), hashlib.sha256(big).digest())
        if not SANITIZED:
            self.assertLess(most - before, 10 * 1024,
                            f"the dispatcher's RSS grew from {before} KiB "
                            f"to {most} KiB during the download")

    def walk_away(self, d, path):
        """Start downloading path, take a little, and close."""
        host = urllib.parse.urlsplit(d.http_url)
        conn = HTTPConnection(host.hostname, host.port,
                                          timeout=30)
        conn.request("GET", path)
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(len(resp.read(MIB)), MIB)
        conn.close()

    @only_on("sqlite", why="writes artifact rows into ssci.db directly")
    def test_retention_removes_the_folder(self):
        d = self.dispatcher(http=True)
        r = self.runner(d, "r1")
        old, young = (j["id"] for j in self.run_jobs(d, self.make_repo(), 2))
        r.stop()
        d.stop()
        many = {f"out/{i // 100}/f{i}.txt": b"x" for i in range(1000)}
        self.keep(d.state_dir, old, many)
        self.keep(d.state_dir, young, {"bin/ssci": b"\x7fELF"})
        db = sqlite3.connect(os.path.join(d.state_dir, "ssci.db"))
        db.execute("UPDATE pipelines SET finished_ms = ? WHERE id = ?",
                   (int((time.time() - 3 * DAY) * 1000), old))
        db.commit()
        db.close()
        d = self.restart_dispatcher(d, args=("--keep-days", "1",
                                              "--keep-jobs", "1"), http=True)
        folder = os.path.join(d.state_dir, "artifacts", str(old))
        aside = os.path.join(d.state_dir, "artifacts", ".removed")
        self.wait_for(lambda: not os.path.exists(folder) and
                      os.listdir(aside) == [],
                      "the pruned job's artifacts to go")
        self.assertEqual(self.rows(d.state_dir, old), [])
        self.assertEqual(http(d.http_url, self.url(old, "out/0/f0.txt"))
                         .status, 404)
        # The job kept keeps its artifacts.
        self.assertEqual(self.rows(d.state_dir, young), ["bin/ssci"])
        self.assertEqual(http(d.http_url, self.url(young, "bin/ssci")).body,
                         b"\x7fELF")
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    import unittest
    unittest.main()
