# SPDX-License-Identifier: MIT
"""security_util.py - what the security tests (issue 6) share on top of
harness.py: token files (mode 600), certificates made with the openssl
command, and waiting out the dispatcher's slowing down of an address that
sent wrong tokens.  (The protocol Client and http() are harness's.)

Every connection goes to 127.0.0.1.
"""
import json
import os
import re
import socket
import subprocess

from harness import Client, SsciTest, hello

TOKEN = "s3cret-token-for-tests-0123456789"
RUNNER_TOKEN = "runner-only-token-9876543210"
WRONG = "wrong-token-guessed"


def write_token(path, token):
    """A token file readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    return path


def openssl(cwd, *args):
    proc = subprocess.run(["openssl", *args], cwd=cwd, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {proc.stderr}")
    return proc.stdout


def make_ca(folder, name):
    """A self-signed CA; (cert path, key path)."""
    key = os.path.join(folder, f"{name}.key")
    cert = os.path.join(folder, f"{name}.pem")
    openssl(folder, "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2",
            "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_server_cert(folder, ca_cert, ca_key, name="server",
                     san="DNS:localhost,IP:127.0.0.1"):
    """A server certificate signed by the CA for san; (cert, key)."""
    key = os.path.join(folder, f"{name}.key")
    csr = os.path.join(folder, f"{name}.csr")
    cert = os.path.join(folder, f"{name}.pem")
    ext = os.path.join(folder, f"{name}.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName={san}\n"
                "basicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature\n"
                "extendedKeyUsage=serverAuth\n")
    openssl(folder, "req", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    openssl(folder, "x509", "-req", "-in", csr, "-CA", ca_cert,
            "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
            "-days", "2", "-extfile", ext)
    os.chmod(key, 0o600)
    return cert, key


class SecurityTest(SsciTest):
    """SsciTest with token files and the helpers above.  SSCI_TOKEN is
    taken out of the environment the programs inherit, so that only what a
    test gives them counts."""

    def setUp(self):
        super().setUp()
        saved = os.environ.pop("SSCI_TOKEN", None)
        if saved is not None:
            self.addCleanup(os.environ.__setitem__, "SSCI_TOKEN", saved)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def token_file(self, name, token):
        return write_token(self.path(name), token)

    def start_runner(self, d, name, clone=None, args=(), env=None,
                     address=None, wait=True):
        """A runner like harness's, with an environment of its own; waits
        (if wait) until it registered or exited."""
        argv = ["runner", "--dispatcher-server", address or d.address,
                "--name", name, "--work-dir", self.path(f"{name}-work"),
                *args]
        if clone is not None:
            argv.append(clone)
        p = self.start(name, *argv, env=env)
        if wait:
            self.wait_for(lambda: "registered with" in p.stderr() or
                          not p.alive(), f"runner {name} to register")
        return p

    def wait_exit(self, proc, what=None):
        """Wait until proc has exited; its exit status."""
        self.wait_for(lambda: not proc.alive(),
                      what or f"{proc.name} to exit")
        return proc.popen.returncode

    def raw(self, d, ssl_context=None):
        """A protocol Client to d that has said nothing yet."""
        return self.connect(d, hello=False, ssl_context=ssl_context)

    def raw_hello(self, d, role="client", token=None, ssl_context=None):
        """The reply to one hello on a new connection (closed after)."""
        with Client(d.port, ssl_context=ssl_context) as c:
            return c.request(hello(role, token))

    def wait_not_slowed(self, d, role="client", token=TOKEN,
                        ssl_context=None):
        """Wait until a hello with the right token is accepted again (the
        dispatcher slows down an address after refused tokens; an accepted
        hello resets that)."""
        def accepted():
            reply = self.raw_hello(d, role, token, ssl_context)
            if reply == {"type": "ok"}:
                return True
            self.assertEqual(reply and reply.get("code"), "slow_down",
                             reply)
            return False
        self.wait_for(accepted, "the dispatcher to stop slowing us down")

    def status_json(self, d, *args):
        """ssci status --json against d (with args); (exit, parsed or
        None, stderr)."""
        proc = self.ssci("status", "--dispatcher-server", d.address,
                         "--json", *args)
        try:
            parsed = json.loads(proc.stdout) if proc.returncode == 0 \
                else None
        except ValueError:
            parsed = None
        return proc.returncode, parsed, proc.stderr

    def assert_alive(self, d, *status_args):
        """The dispatcher still runs and answers ssci status."""
        self.assertTrue(d.alive(), f"the dispatcher died\n{self.logs()}")
        rc, st, err = self.status_json(d, *status_args)
        self.assertEqual(rc, 0, f"ssci status failed: {err}\n{self.logs()}")
        return st

    def registered_runners(self, d):
        """Names of the runners the dispatcher's log shows registering."""
        return re.findall(r"runner '([^']+)' registered from ",
                          d.stderr())


def free_listener():
    """A listening socket on 127.0.0.1 (port 0) with a short accept
    timeout: a target for a test that tries the network."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.settimeout(0.05)
    return s


def accepted_any(sock):
    """Whether anyone connected to sock (accepting them all)."""
    got = False
    while True:
        try:
            conn, _ = sock.accept()
        except (TimeoutError, BlockingIOError, socket.timeout):
            return got
        got = True
        conn.close()
