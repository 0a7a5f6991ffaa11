# SPDX-License-Identifier: MIT
"""Secrets on the dispatcher (issue 14): "ssci secret set" reads a value
from standard input or --file (one trailing newline off), "secret list"
shows names, branches and who set them, never a value, "secret rm"
removes; bad names, short or long values and stray arguments are refused
by the client with exit status 2 and by the dispatcher (protocol and API)
with bad_field, neither quoting the value; /api/secrets needs the token
for every method; no answer, the dispatcher's log nor the store's file
holds a value in the clear; and "ssci backup"'s tar holds neither a value
nor secrets.key.  (A job receiving its secrets, masked in its log, is
test_secrets_jobs.py's.)"""
import base64
import os
import re
import subprocess
import tarfile
import uuid

from harness import SSCI, http, http_json, only_on
from security_util import TOKEN, SecurityTest

REPO = "https://git.example.com/team/app.git"


class SecretsTest(SecurityTest):
    def setUp(self):
        super().setUp()
        self.tok = self.token_file("token", TOKEN)
        self.d = self.dispatcher(args=["--token-file", self.tok], http=True)
        self.url = self.d.http_url
        # Every value a test uses, to look for where none may be.
        self.values = []

    def value(self, tag):
        v = f"sEcReT-{tag}-{uuid.uuid4().hex}"
        self.values.append(v)
        return v

    def secret(self, *args, stdin=None, token=True):
        """ssci secret ARGS against the dispatcher, stdin given as text."""
        argv = [SSCI, "secret", "--dispatcher-server", self.d.address]
        if token:
            argv += ["--token-file", self.tok]
        return subprocess.run(argv + list(args), cwd=self.tmp, text=True,
                              input=stdin if stdin is not None else "",
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=30)

    def ok(self, *args, stdin=None):
        proc = self.secret(*args, stdin=stdin)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc

    def refused(self, *args, stdin=None, status=2):
        proc = self.secret(*args, stdin=stdin)
        self.assertEqual(proc.returncode, status, (proc.stdout,
                                                   proc.stderr))
        return proc.stderr

    def assert_nowhere(self, *texts):
        """No value (nor its base64) in texts or the dispatcher's log."""
        texts = list(texts) + [self.d.stderr(), self.d.stdout()]
        for v in self.values:
            b64 = base64.b64encode(v.encode()).decode()
            for t in texts:
                self.assertNotIn(v, t)
                self.assertNotIn(b64, t)

    def listed(self):
        status, body = http_json(self.url, f"/api/secrets?repo={REPO}",
                                 token=TOKEN)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["repo"], REPO)
        return {s["name"]: s for s in body["secrets"]}

    def test_set_list_rm(self):
        token_value = self.value("pypi")
        proc = self.ok("set", REPO, "PYPI_TOKEN", stdin=token_value + "\n")
        self.assertEqual(proc.stdout, f"secret 'PYPI_TOKEN' of {REPO} set: "
                         "given to every branch but pull requests'\n")
        # From a file, two lines: one trailing newline comes off.
        key_value = self.value("key") + "\nsecond line"
        path = os.path.join(self.tmp, "deploy.key")
        with open(path, "w") as f:
            f.write(key_value + "\n\n")
        proc = self.ok("set", "--file", path, "--branches",
                       "main, release/*", REPO, "DEPLOY_KEY")
        self.assertEqual(proc.stdout, f"secret 'DEPLOY_KEY' of {REPO} set: "
                         "given to branches main release/*\n")

        proc = self.ok("list", REPO)
        lines = proc.stdout.splitlines()
        self.assertRegex(lines[0], r"^NAME\s+BRANCHES\s+UPDATED\s+BY$")
        self.assertRegex(lines[1], r"^DEPLOY_KEY\s+main release/\*\s+"
                         r"\d{4}-\d\d-\d\d \d\d:\d\d\s+a client at "
                         r"127\.0\.0\.1:\d+$")
        self.assertRegex(lines[2], r"^PYPI_TOKEN\s+\(all but pull "
                         r"requests\)\s+")
        self.assertEqual(len(lines), 3)
        as_json = self.ok("--json", "list", REPO).stdout
        self.assertIn('"name":"PYPI_TOKEN"', as_json)
        listed = self.listed()
        self.assertEqual(sorted(listed), ["DEPLOY_KEY", "PYPI_TOKEN"])
        self.assertEqual(listed["DEPLOY_KEY"]["branches"], "main release/*")
        self.assertEqual(listed["PYPI_TOKEN"]["branches"], "")
        self.assertEqual(sorted(listed["PYPI_TOKEN"]),
                         ["branches", "name", "updated_by", "updated_ms"])

        # The dispatcher logged who set what, by name only.
        log = self.d.stderr()
        self.assertRegex(log, r"secret 'PYPI_TOKEN' of " + re.escape(REPO) +
                         r" set by a client at 127\.0\.0\.1:\d+")
        self.assertRegex(log, r"secret 'DEPLOY_KEY' of " + re.escape(REPO) +
                         r" set by a client at 127\.0\.0\.1:\d+")
        answers = [proc.stdout, as_json, str(listed)]
        for path in ("/api/status", "/api/jobs", "/metrics", "/"):
            answers.append(http(self.url, path, token=TOKEN).body.decode())
        self.assert_nowhere(*answers)

        # Set again: replaced (its branches too), still one of that name.
        self.ok("set", REPO, "DEPLOY_KEY", stdin=self.value("key2"))
        self.assertEqual(self.listed()["DEPLOY_KEY"]["branches"], "")

        proc = self.ok("rm", REPO, "PYPI_TOKEN")
        self.assertEqual(proc.stdout, f"secret 'PYPI_TOKEN' of {REPO} "
                         "removed\n")
        self.assertEqual(sorted(self.listed()), ["DEPLOY_KEY"])
        err = self.refused("rm", REPO, "PYPI_TOKEN", status=1)
        self.assertEqual(err, f"ssci: no secret 'PYPI_TOKEN' of {REPO}\n")
        self.assertRegex(self.d.stderr(), r"secret 'PYPI_TOKEN' of " +
                         re.escape(REPO) + r" removed by a client at ")
        # Another repository has secrets of its own.
        self.assertEqual(self.ok("list", REPO + "x").stdout.splitlines()[1:],
                         [])
        self.assert_nowhere()

    def test_refused_by_the_client(self):
        good = self.value("good")
        for name, why in (
                ("lower", "secret 'lower' is not a name of capital letters"),
                ("1ABC", "secret '1ABC' is not a name of capital letters"),
                ("PATH", "secret 'PATH' is a name the runner, the system, "
                 "a shell or an interpreter relies on"),
                ("SSCI_TOKEN", "secret 'SSCI_TOKEN' is a name the runner"),
                ("LD_PRELOAD", "secret 'LD_PRELOAD' is a name the runner"),
                ("A" * 65, "has a name longer than 64 characters")):
            err = self.refused("set", REPO, name, stdin=good)
            self.assertIn(why, err)
            self.assertTrue(err.startswith("ssci: "), err)
        for value, why in (
                ("abc\n", "a secret's value must be at least 4 bytes"),
                ("", "a secret's value must be at least 4 bytes"),
                ("x" * 65537, "a secret's value may be at most 65536 "
                 "bytes"),
                ("ab\x00cd", "may not hold a NUL byte")):
            err = self.refused("set", REPO, "PYPI_TOKEN", stdin=value)
            self.assertIn(why, err)
            if len(value) > 4:
                self.assertNotIn(value, err)
        self.assertIn("at most 32 branch globs", self.refused(
            "set", "--branches", " ".join(f"b{i}" for i in range(33)),
            REPO, "PYPI_TOKEN", stdin=good))
        self.assertIn("expected 'secret set REPO NAME'",
                      self.refused("set", REPO, stdin=good))
        self.assertIn("expected 'secret set REPO NAME'",
                      self.refused("show", REPO, "X"))
        self.assertIn("--file and --branches go with 'secret set'",
                      self.refused("list", "--branches", "main", REPO))
        self.assertIn("invalid repository '-x'",
                      self.refused("list", "--", "-x"))
        self.assertIn("unable to read", self.refused(
            "set", "--file", os.path.join(self.tmp, "none"), REPO, "X_Y"))
        # Nothing reached the dispatcher.
        self.assertEqual(self.listed(), {})
        self.assert_nowhere()

    def test_refused_by_the_dispatcher(self):
        """A peer that skips the client's checks gets bad_field, its value
        never quoted; a client without the token is refused at hello."""
        short, good = "abc", self.value("raw")
        for msg, code in (
                ({"type": "secret_set", "repo": REPO, "name": "X_Y",
                  "value": short}, "bad_field"),
                ({"type": "secret_set", "repo": REPO, "name": "PATH",
                  "value": good}, "bad_field"),
                ({"type": "secret_set", "repo": REPO, "name": "X_Y",
                  "value": good, "branches": "main\tx\u0001"}, "bad_field"),
                ({"type": "secret_set", "repo": REPO, "name": "X_Y"},
                 "bad_field"),
                ({"type": "secret_rm", "repo": REPO, "name": "X_Y"},
                 "no_such_secret"),
                ({"type": "secret_list"}, "bad_field")):
            reply = self.d.query(msg)
            self.assertEqual((reply["type"], reply["code"]),
                             ("error", code), reply)
            self.assertNotIn(good, reply["message"])
        reply = self.d.query({"type": "secret_set", "repo": REPO,
                              "name": "X_Y", "value": "abcd"})
        self.assertEqual(reply, {"type": "ok"})
        reply = self.d.query({"type": "secret_list", "repo": REPO})
        self.assertEqual([s["name"] for s in reply["secrets"]], ["X_Y"])
        self.assertNotIn("abcd", str(reply))
        proc = self.secret("list", REPO, token=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("no token for role client", proc.stderr)
        self.assert_nowhere()

    def test_api_needs_the_token(self):
        v = self.value("api")
        q = f"/api/secrets?repo={REPO}&name=API_KEY"
        for method, body in (("GET", None), ("PUT", {"value": v}),
                             ("DELETE", None)):
            status, reply = http_json(self.url, q, method, body)
            self.assertEqual((status, reply["error"]["code"]),
                             (401, "bad_token"), (method, reply))
        self.assertRegex(self.d.stderr(), r"refused HTTP PUT /api/secrets "
                         r"from 127\.0\.0\.1: no token")
        self.wait_not_slowed(self.d)
        # However the path is spelled.
        status, reply = http_json(self.url, f"/api//secrets/?repo={REPO}")
        self.assertEqual((status, reply["error"]["code"]),
                         (401, "bad_token"), reply)
        # Three refusals slow this address down for a moment.
        self.wait_not_slowed(self.d)
        status, reply = http_json(self.url, q, "PUT", {"value": v},
                                  token="wrong-token")
        self.assertEqual((status, reply["error"]["code"]),
                         (401, "bad_token"), reply)
        self.assertEqual(self.listed(), {})
        # A browser page of another site is refused even with the token.
        status, reply = http_json(self.url, q, "PUT", {"value": v},
                                  token=TOKEN,
                                  headers={"Origin": "http://evil.example"})
        self.assertEqual((status, reply["error"]["code"]),
                         (403, "cross_origin"))

        status, reply = http_json(self.url, q, "PUT", {
            "value": v, "branches": "main pr/*"}, token=TOKEN)
        self.assertEqual((status, reply), (200, {
            "repo": REPO, "name": "API_KEY", "set": True}))
        self.assertEqual(self.listed()["API_KEY"]["branches"], "main pr/*")
        self.assertRegex(self.listed()["API_KEY"]["updated_by"],
                         r"^the web, from 127\.0\.0\.1$")
        self.assertRegex(self.d.stderr(), r"secret 'API_KEY' of " +
                         re.escape(REPO) + r" set by the web, from "
                         r"127\.0\.0\.1")
        # A form, with repo and name in the body.
        status, reply = http_json(
            self.url, "/api/secrets", "PUT",
            f"repo={REPO}&name=FORM_KEY&value={self.value('form')}",
            token=TOKEN, headers={
                "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, reply)
        # Refusals: a short value, a bad name, no name; never quoted.
        for query, body, why in (
                (q, {"value": "abc"}, "at least 4 bytes"),
                (f"/api/secrets?repo={REPO}&name=PATH", {"value": v},
                 "field 'name' has an invalid value 'PATH'"),
                (f"/api/secrets?repo={REPO}", {"value": v},
                 "missing field 'name'")):
            status, reply = http_json(self.url, query, "PUT", body,
                                      token=TOKEN)
            self.assertEqual((status, reply["error"]["code"]),
                             (400, "bad_field"), reply)
            self.assertIn(why, reply["error"]["message"])
        status, reply = http_json(self.url, q, "DELETE", token=TOKEN)
        self.assertEqual((status, reply), (200, {
            "repo": REPO, "name": "API_KEY", "removed": True}))
        status, reply = http_json(self.url, q, "DELETE", token=TOKEN)
        self.assertEqual((status, reply["error"]["code"]),
                         (404, "no_such_secret"))
        # The methods each path takes.
        status, reply = http_json(self.url, q, "POST", {"value": v},
                                  token=TOKEN)
        self.assertEqual((status, reply["error"]["message"]),
                         (405, "use GET or PUT or DELETE here"))
        status, reply = http_json(self.url, "/api/jobs", "PUT", {},
                                  token=TOKEN)
        self.assertEqual((status, reply["error"]["message"]),
                         (405, "use GET here"))
        self.assertEqual(sorted(self.listed()), ["FORM_KEY"])
        self.assert_nowhere()

    def state_bytes(self):
        """The store's files' bytes, as a copy of the state dir would
        hold them (secrets.key aside)."""
        data = b""
        for name in ("ssci.db", "ssci.db-wal"):
            path = os.path.join(self.d.state_dir, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data += f.read()
        return data

    @only_on("sqlite", why="reads ssci.db's bytes and backs it up")
    def test_sealed_at_rest_and_left_out_of_backups(self):
        values = [self.value(f"rest{i}") for i in range(3)]
        for i, v in enumerate(values):
            self.ok("set", REPO, f"TOKEN_{i}", stdin=v)
        key = os.path.join(self.d.state_dir, "secrets.key")
        st = os.stat(key)
        self.assertEqual((st.st_size, st.st_mode & 0o777), (32, 0o600))
        self.assertIn(b"TOKEN_0", self.state_bytes())
        for v in values:
            self.assertNotIn(v.encode(), self.state_bytes())

        backup = os.path.join(self.tmp, "ci.backup")
        proc = self.ssci("backup", "--state-dir", self.d.state_dir, backup)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with tarfile.open(backup) as tar:
            names = tar.getnames()
        self.assertIn("ssci.db", names)
        self.assertFalse([n for n in names if "secrets.key" in n], names)
        with open(backup, "rb") as f:
            data = f.read()
        with open(key, "rb") as f:
            self.assertNotIn(f.read(), data)
        for v in values:
            self.assertNotIn(v.encode(), data)

        # Stopped (its log checkpointed into the file), started again:
        # the file still holds none, and the secrets are all there.
        self.d.stop()
        for v in values:
            self.assertNotIn(v.encode(), self.state_bytes())
        self.d = self.restart_dispatcher(
            self.d, args=["--token-file", self.tok], http=True)
        self.url = self.d.http_url
        self.assertEqual(sorted(self.listed()),
                         ["TOKEN_0", "TOKEN_1", "TOKEN_2"])
        self.assert_nowhere()


if __name__ == "__main__":
    import unittest
    unittest.main()
