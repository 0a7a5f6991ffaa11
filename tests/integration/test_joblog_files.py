# SPDX-License-Identifier: MIT
"""A job's log file is made by its first output, on either store: a job
that printed nothing leaves no file in the state folder and reads as an
empty log (on PostgreSQL after a look in the store), and one that printed
has its file, whole, and reads back the same."""
import os

from harness import SsciTest, git


class JobLogFilesTest(SsciTest):
    def setUp(self):
        super().setUp()
        self.repo = self.make_repo("repo")
        self.head = git(self.repo, "rev-parse", "HEAD")
        self.d = self.dispatcher()
        self.client = self.connect(self.d)
        self.runner = self.connect(self.d, "runner")
        self.assertEqual(self.runner.request(
            {"type": "register", "name": "raw", "slots": 1})["type"], "ok")

    def next_job(self):
        """The next job handed to the runner, pings answered."""
        while True:
            msg = self.runner.recv()
            self.assertIsNotNone(msg, "closed while waiting for a job")
            if msg["type"] == "ping":
                self.runner.send({"type": "pong"})
            elif msg["type"] == "job":
                return msg["id"]

    def run_job(self, commit, output=None):
        """Dispatch commit; the runner takes it, prints output if any, and
        passes it.  The job's id, once the dispatcher has it passed."""
        reply = self.client.request({"type": "dispatch", "repo": self.repo,
                                     "commit": commit, "branch": "main"})
        self.assertEqual(reply["type"], "ok", reply)
        job = self.next_job()
        self.assertEqual(job, reply["job"])
        self.runner.send({"type": "accepted", "id": job})
        if output is not None:
            self.runner.send({"type": "log", "id": job, "data": output})
        self.runner.send({"type": "result", "id": job, "status": "passed",
                          "exit_code": 0, "duration_ms": 1})
        self.wait_for(lambda: [j for j in self.d.jobs()
                               if j["id"] == job and j["state"] == "passed"],
                      f"job {job} passed")
        return job

    def log_file(self, job):
        return os.path.join(self.d.state_dir, "logs", f"{job}.log")

    def tail(self, job):
        reply = self.d.query({"type": "tail", "id": job})
        self.assertEqual(reply["type"], "ok", reply)
        return reply["data"]

    def test_a_silent_job_makes_no_file(self):
        job = self.run_job(self.head)
        self.assertFalse(os.path.exists(self.log_file(job)),
                         "a job that printed nothing made a log file")
        self.assertEqual(self.tail(job), "")
        # Read, it is still no file: an empty log is not written out.
        self.assertFalse(os.path.exists(self.log_file(job)))
        self.assertIsNotNone(self.d.result(self.head))

    def test_a_job_that_printed_has_its_file(self):
        job = self.run_job(self.head, "one line\nand another\n")
        with open(self.log_file(job)) as f:
            self.assertEqual(f.read(), "one line\nand another\n")
        self.assertEqual(self.tail(job), "one line\nand another\n")
