# SPDX-License-Identifier: MIT
"""Artifacts over the protocol port, the dispatcher's side: a runner
spoken over a raw socket uploads a job's files in artifact_data frames,
which are kept only when whole and checked (a bad checksum, a file cut
short, a job not held, a file past --max-artifact-bytes are refused and
never listed); `artifacts` lists them and `artifact_get` sends them back
byte for byte; a dispatcher killed in the middle of an upload lists
nothing of it and takes the upload again from the job's next runner; the
dispatcher's memory stays flat while 50 MiB go through."""
import hashlib
import json
import os
import signal
import time

from harness import SANITIZED, SsciTest, git, hello

FRAME = 256 * 1024
MIB = 1024 * 1024


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class ArtifactTransferTest(SsciTest):
    def setUp(self):
        super().setUp()
        self.repo = self.make_repo("repo")
        self.head = git(self.repo, "rev-parse", "HEAD")

    def start_dispatcher(self, args=()):
        self.d = self.dispatcher(args=args)
        self.client = self.connect(self.d)

    def raw_runner(self, name="py"):
        """A runner of our own on a raw socket, registered with 1 slot."""
        r = self.connect(self.d, "runner")
        self.assertEqual(r.request({"type": "register", "name": name,
                                    "slots": 1})["type"], "ok")
        return r

    def next_message(self, r, want):
        """The next message of type want on r, pings answered."""
        while True:
            msg = r.recv()
            self.assertIsNotNone(msg, f"closed while waiting for {want}")
            if msg["type"] == "ping":
                r.send({"type": "pong"})
                continue
            self.assertEqual(msg["type"], want, msg)
            return msg

    def take_job(self, r):
        job = self.next_message(r, "job")
        r.send({"type": "accepted", "id": job["id"]})
        return job

    def dispatch(self):
        reply = self.client.request({"type": "dispatch", "repo": self.repo,
                                     "commit": self.head, "branch": "main"})
        self.assertEqual(reply["type"], "ok", reply)
        return reply["job"]

    def upload(self, r, job, path, data, attempt=1, sha=None, cut=0):
        """Send data as the job's artifact path; the reply to its end."""
        r.send({"type": "artifact", "id": job, "attempt": attempt,
                "path": path, "size": len(data), "mode": 0o644})
        sent = 0
        body = data[:len(data) - cut]
        while sent < len(body):
            piece = body[sent:sent + FRAME]
            r.send_bytes(json.dumps({"type": "artifact_data", "id": job,
                                     "len": len(piece)}).encode() + b"\n"
                         + piece)
            sent += len(piece)
        r.send({"type": "artifact_end", "id": job,
                "sha256": sha or hashlib.sha256(data).hexdigest()})
        return self._reply(r)

    def _reply(self, r):
        """The next reply on r, pings answered."""
        while True:
            msg = r.recv()
            self.assertIsNotNone(msg, "closed with no reply")
            if msg["type"] == "ping":
                r.send({"type": "pong"})
                continue
            return msg

    def read_exact(self, c, n):
        while len(c.buf) < n:
            if not c._fill(30):
                raise AssertionError(f"closed with {len(c.buf)} of {n}")
        data, c.buf = c.buf[:n], c.buf[n:]
        return data

    def download(self, c, job, path):
        """artifact_get: (the ok, the bytes)."""
        reply = c.request({"type": "artifact_get", "id": job, "path": path})
        if reply["type"] != "ok":
            return reply, None
        got = bytearray()
        while len(got) < reply["size"]:
            frame = c.recv()
            if frame["type"] == "ping":
                continue
            self.assertEqual((frame["type"], frame["id"]),
                             ("artifact_data", job), frame)
            self.assertLessEqual(frame["len"], FRAME)
            got += self.read_exact(c, frame["len"])
        return reply, bytes(got)

    def listed(self, job):
        reply = self.client.request({"type": "artifacts", "id": job})
        self.assertEqual(reply["type"], "ok", reply)
        return {a["path"]: a for a in reply["artifacts"]}

    def test_upload_list_and_download(self):
        self.start_dispatcher()
        job = self.dispatch()
        r = self.raw_runner()
        self.assertEqual(self.take_job(r)["id"], job)
        small = b"#!/bin/sh\necho built\n"
        self.assertEqual(self.upload(r, job, "out/ssci", small)["type"], "ok")
        self.assertEqual(self.upload(r, job, "empty", b"")["type"], "ok")
        big = os.urandom(50 * MIB)
        before = rss_kib(self.d.pid)
        self.assertEqual(self.upload(r, job, "big.bin", big)["type"], "ok")
        grown_in = rss_kib(self.d.pid) - before
        arts = self.listed(job)
        self.assertEqual(sorted(arts), ["big.bin", "empty", "out/ssci"])
        self.assertEqual((arts["big.bin"]["size"], arts["big.bin"]["sha256"]),
                         (len(big), hashlib.sha256(big).hexdigest()))
        state = os.path.join(self.d.state_dir, "artifacts", str(job))
        with open(os.path.join(state, "out", "ssci"), "rb") as f:
            self.assertEqual(f.read(), small)
        before = rss_kib(self.d.pid)
        reply, got = self.download(self.client, job, "big.bin")
        grown_out = rss_kib(self.d.pid) - before
        self.assertEqual(hashlib.sha256(got).hexdigest(),
                         hashlib.sha256(big).hexdigest())
        self.assertEqual(reply["sha256"], hashlib.sha256(big).hexdigest())
        self.assertEqual(self.download(self.client, job, "empty")[1], b"")
        if not SANITIZED:
            self.assertLess(grown_in, 10 * 1024, "RSS while uploading")
            self.assertLess(grown_out, 10 * 1024, "RSS while sending")
        # The connection still speaks lines after the frames.
        self.assertEqual(self.client.request({"type": "status"})["type"],
                         "ok")
        missing = self.client.request({"type": "artifact_get", "id": job,
                                       "path": "nope"})
        self.assertEqual(missing["code"], "no_such_artifact")
        for bad in ("../x", "/etc/passwd", "a//b", "a/./b", ""):
            reply = self.client.request({"type": "artifact_get", "id": job,
                                         "path": bad})
            self.assertEqual(reply["code"], "bad_field", bad)

    def test_refused_uploads_are_never_listed(self):
        self.start_dispatcher(args=("--max-artifact-bytes", "1000"))
        job = self.dispatch()
        r = self.raw_runner()
        self.take_job(r)
        data = b"x" * 600
        bad = self.upload(r, job, "a", data, sha="0" * 64)
        self.assertEqual((bad["type"], bad["code"]), ("error", "refused"))
        self.assertIn("checksum", bad["message"])
        cut = self.upload(r, job, "b", data, cut=100)
        self.assertEqual(cut["code"], "refused")
        self.assertIn("500 of its 600 bytes", cut["message"])
        self.assertEqual(self.upload(r, job, "c", data)["type"], "ok")
        over = self.upload(r, job, "d", data)
        self.assertEqual(over["code"], "too_big")
        self.assertIn("--max-artifact-bytes", over["message"])
        other = self.upload(r, job + 1, "e", b"y")
        self.assertEqual(other["code"], "refused")
        self.assertIn("not held", other["message"])
        wrong = self.upload(r, job, "f", b"z", attempt=2)
        self.assertEqual(wrong["code"], "refused")
        self.assertEqual(sorted(self.listed(job)), ["c"])
        incoming = os.path.join(self.d.state_dir, "artifacts", ".incoming")
        self.assertEqual(os.listdir(incoming), [])

    def test_dispatcher_killed_mid_upload(self):
        self.start_dispatcher()
        job = self.dispatch()
        r = self.raw_runner()
        self.take_job(r)
        data = os.urandom(4 * MIB)
        r.send({"type": "artifact", "id": job, "attempt": 1,
                "path": "half.bin", "size": len(data), "mode": 0o644})
        piece = data[:FRAME]
        r.send_bytes(json.dumps({"type": "artifact_data", "id": job,
                                 "len": len(piece)}).encode() + b"\n" + piece)
        incoming = os.path.join(self.d.state_dir, "artifacts", ".incoming")
        self.wait_for(lambda: os.path.isdir(incoming) and
                      os.listdir(incoming), "the upload to begin")
        self.d.signal(signal.SIGKILL)
        self.d.popen.wait()
        r.close()
        self.d = self.restart_dispatcher(self.d)
        self.client = self.connect(self.d)
        self.assertEqual(os.listdir(incoming), [], "the half file is gone")
        self.assertEqual(self.listed(job), {})
        # The job went back to the queue: its next runner uploads it whole.
        r = self.raw_runner("py2")
        again = self.take_job(r)
        self.assertEqual(again["id"], job)
        self.assertEqual(self.upload(r, job, "half.bin", data,
                                     attempt=again["attempt"])["type"], "ok")
        self.assertEqual(self.listed(job)["half.bin"]["sha256"],
                         hashlib.sha256(data).hexdigest())

    def test_a_slow_upload_is_no_trickled_line(self):
        """Frames that keep coming, never at a line's end when a read
        ends, for longer than --client-timeout: the upload goes on."""
        self.start_dispatcher(args=("--client-timeout", "1"))
        job = self.dispatch()
        r = self.raw_runner()
        self.take_job(r)
        data = os.urandom(3 * FRAME)
        stream = b""
        for at in range(0, len(data), FRAME // 4):
            piece = data[at:at + FRAME // 4]
            stream += json.dumps({"type": "artifact_data", "id": job,
                                  "len": len(piece)}).encode() + b"\n" + piece
        r.send({"type": "artifact", "id": job, "attempt": 1, "path": "slow",
                "size": len(data), "mode": 0o644})
        # 2.5 s of pieces that end mid-frame, pings answered between.
        step = len(stream) // 25 + 1
        for at in range(0, len(stream), step):
            r.send_bytes(stream[at:at + step])
            time.sleep(0.1)
        r.send({"type": "artifact_end", "id": job,
                "sha256": hashlib.sha256(data).hexdigest()})
        self.assertEqual(self._reply(r)["type"], "ok")
        self.client = self.connect(self.d)  # the first one idled out
        self.assertEqual(sorted(self.listed(job)), ["slow"])
