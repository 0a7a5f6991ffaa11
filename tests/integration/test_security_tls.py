# SPDX-License-Identifier: MIT
"""TLS (issue 6): a dispatcher with --tls-cert/--tls-key speaks TLS on its
protocol port and its HTTP side.  A runner given the CA that signed the
certificate registers and runs a job end to end; one given another CA (or
only the system's store) refuses the certificate and never registers; a
certificate for another host name is refused too; plain TCP gets no
answer; the client, observer and notify work over TLS; HTTPS serves the
API to a client that trusts the CA.

The certificates are made with the openssl command in the test's folder:
a CA, a server certificate for localhost and 127.0.0.1 signed by it, and an
unrelated second CA."""
import os
import ssl
from http.client import HTTPException

from harness import Client, git, hello, http, http_json, parse_html
from security_util import TOKEN, SecurityTest, make_ca, make_server_cert


class TlsTest(SecurityTest):
    def setUp(self):
        super().setUp()
        self.pki = self.path("pki")
        os.makedirs(self.pki)
        self.ca, ca_key = make_ca(self.pki, "ca")
        self.cert, self.key = make_server_cert(self.pki, self.ca, ca_key)
        self.other_ca, _ = make_ca(self.pki, "other-ca")
        # Signed by the right CA, but for a host name we do not connect to.
        self.elsewhere_cert, self.elsewhere_key = make_server_cert(
            self.pki, self.ca, ca_key, "elsewhere",
            san="DNS:ci.elsewhere.example")

    def tls_dispatcher(self, name="dispatcher", args=(), http=True,
                       cert=None, key=None):
        d = self.dispatcher(name, args=["--tls-cert", cert or self.cert,
                                        "--tls-key", key or self.key,
                                        *args], http=http)
        # What the harness asks d (its jobs), it asks over TLS too.
        d.ssl_context = self.context()
        if http:
            d.https_url = d.http_url.replace("http://", "https://", 1)
        return d

    def context(self, ca=None):
        return ssl.create_default_context(cafile=ca or self.ca)

    def runners_seen(self, d):
        """The runners the dispatcher lists, asked over HTTPS."""
        status, body = http_json(d.https_url, "/api/runners",
                                 ssl_context=self.context())
        self.assertEqual(status, 200, body)
        return [r["name"] for r in body["runners"]]

    def test_right_ca_works_wrong_ca_refused(self):
        repo = self.make_repo("repo")
        obs = self.clone(repo, "clone-obs")
        run = self.clone(repo, "clone-run")
        d = self.tls_dispatcher()

        # The wrong CA: the certificate is refused, the runner keeps
        # trying and never registers.
        bad = self.start_runner(d, "r-wrong-ca", clone=run,
                                args=["--tls-ca", self.other_ca], wait=False)
        self.wait_for(lambda: "certificate refused: " in bad.stderr(),
                      "the wrong-CA runner to refuse the certificate")
        self.assertTrue(bad.alive(), "it should keep retrying")
        # The system's store does not know our CA either.
        system = self.start_runner(d, "r-system", args=["--tls"], wait=False)
        self.wait_for(lambda: "certificate refused: " in system.stderr(),
                      "the system-store runner to refuse the certificate")
        self.assertEqual(self.runners_seen(d), [])
        for p in (bad, system):
            self.assertNotIn("registered with", p.stderr())
            p.stop()
        self.assertEqual(self.registered_runners(d), [])

        # The right CA, with the address as the harness gives it
        # (127.0.0.1, in the certificate's names) and as localhost.
        r = self.start_runner(d, "r-good", clone=run,
                              args=["--tls-ca", self.ca])
        self.assertIn("registered with", r.stderr(), self.logs())
        self.start("observer", "observer", "--dispatcher-server", d.address,
                   "--interval", "1", "--tls-ca", self.ca, obs)
        first = self.commit(repo, "over tls", {"tls": "1"})
        self.wait_results(d, [first])
        self.assertRegex(d.result(first), r"Ran 2 tests")
        self.assertRegex(d.result(first), r"\nresult: passed exit_code=0 "
                         r".*runner=r-good attempt=1 job=\d+\n?$")
        (job,) = [j for j in d.jobs() if j["commit"] == first]
        self.assertEqual((job["state"], job["runner"]), ("passed", "r-good"))
        second = self.commit(repo, "notified", {"n": "2"})
        proc = self.ssci("notify", "--dispatcher-server",
                         f"localhost:{d.port}", "--tls-ca", self.ca, second,
                         cwd=repo)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_results(d, [second])
        self.assertEqual(self.runners_seen(d), ["r-good"])

        # The client: the right CA works (by address and by name), a wrong
        # one or none does not.
        for address in (d.address, f"localhost:{d.port}"):
            proc = self.ssci("status", "--dispatcher-server", address,
                             "--tls-ca", self.ca)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("r-good", proc.stdout)
        rc, st, err = self.status_json(d, "--tls-ca", self.ca)
        self.assertEqual(rc, 0, err)
        self.assertEqual([x["name"] for x in st["runners"]], ["r-good"])
        proc = self.ssci("status", "--dispatcher-server", d.address,
                         "--tls-ca", self.other_ca)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("certificate refused", proc.stderr)
        proc = self.ssci("status", "--dispatcher-server", d.address,
                         timeout=15)
        self.assertNotEqual(proc.returncode, 0, "plain client on TLS port")
        self.assertTrue(d.alive())

    def test_plain_tcp_gets_no_ok(self):
        d = self.tls_dispatcher(http=False)
        c = self.connect(d, hello=False, timeout=10)
        try:
            c.send(hello("runner"))
            c.send({"type": "register", "name": "plain", "slots": 1})
        except OSError:
            pass
        data, _ = c.drain_bytes(timeout=10)
        self.assertNotIn(b'"ok"', data)
        self.assertNotIn(b'"type"', data, "a JSON answer to plain text")
        # Over TLS the same hello is answered.
        t = self.connect(d, hello=False, ssl_context=self.context())
        self.assertEqual(t.request(hello("runner")), {"type": "ok"})
        self.assertEqual(t.request({"type": "register", "name": "tls",
                                    "slots": 1}).get("type"), "ok")
        self.assertNotIn("'plain'", d.stderr())
        self.assertIn("runner 'tls' registered", d.stderr())
        # The Python client checks the name the same way: ok for localhost
        # and 127.0.0.1, refused for a CA it does not trust.
        with self.assertRaises(ssl.SSLCertVerificationError):
            Client(d.port, ssl_context=self.context(self.other_ca))
        u = Client(d.port, ssl_context=self.context(),
                   server_hostname="127.0.0.1")
        self.addCleanup(u.close)
        self.assertEqual(u.request(hello()), {"type": "ok"})
        self.assertTrue(d.alive())

    def test_certificate_for_another_host_is_refused(self):
        d = self.tls_dispatcher(cert=self.elsewhere_cert,
                                key=self.elsewhere_key, http=False)
        r = self.start_runner(d, "r-name", args=["--tls-ca", self.ca],
                              wait=False)
        self.wait_for(lambda: "certificate refused: " in r.stderr(),
                      "the runner to refuse a certificate for another host")
        self.assertNotIn("registered with", r.stderr())
        r.stop()
        proc = self.ssci("status", "--dispatcher-server",
                         f"localhost:{d.port}", "--tls-ca", self.ca)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("certificate refused", proc.stderr)
        self.assertEqual(self.registered_runners(d), [])

    def test_https(self):
        repo = self.make_repo("repo")
        head = git(repo, "rev-parse", "HEAD")
        tok = self.token_file("token", TOKEN)
        d = self.tls_dispatcher(args=["--token-file", tok])
        ctx = self.context()
        status, st = http_json(d.https_url, "/api/status", ssl_context=ctx)
        self.assertEqual(status, 200)
        self.assertEqual(st["runners"], [])
        status, _, page = http(d.https_url, "/", ssl_context=ctx)
        self.assertEqual(status, 200)
        self.assertEqual(parse_html(page).one("html").one("head").one(
            "title").text(), "SuperSimpleCI")
        # Writes over HTTPS still need the token.
        body = {"repo": repo, "commit": head, "branch": "main"}
        status, err = http_json(d.https_url, "/api/dispatch", "POST",
                                body, ssl_context=ctx)
        self.assertEqual((status, err["error"]["code"]), (401, "bad_token"))
        status, ok = http_json(d.https_url, "/api/dispatch", "POST", body,
                               token=TOKEN, ssl_context=ctx)
        self.assertEqual(status, 201, ok)
        # A client that does not trust the CA refuses the server.
        with self.assertRaises(ssl.SSLCertVerificationError):
            http(d.https_url, "/api/status",
                 ssl_context=self.context(self.other_ca))
        # Plain HTTP to the HTTPS port gets no answer.
        try:
            status = http(d.http_url, "/api/status", timeout=5).status
        except (OSError, HTTPException) as e:  # closed, reset
            status = type(e).__name__
        self.assertNotEqual(status, 200)
        # A runner with the token and the CA runs the job.
        r = self.start_runner(d, "r1", args=["--tls-ca", self.ca,
                                             "--token-file", tok])
        self.assertIn("registered with", r.stderr(), self.logs())
        self.wait_results(d, [head])
        self.assertRegex(d.result(head), r"\nresult: passed .*runner=r1 ")
        status, job = http_json(d.https_url, f"/api/jobs/{ok['job']}",
                                ssl_context=ctx)
        self.assertEqual((status, job["state"]), (200, "passed"))
        self.assertTrue(d.alive())
