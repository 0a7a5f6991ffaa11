# SPDX-License-Identifier: MIT
"""harness_net.py - the tests' only ways to talk to a dispatcher over the
network (harness.py imports them; tests take them from there):

  Client       one connection to the protocol port: JSON lines over TCP
               or TLS, raw bytes too, reads with a timeout
  hello()      the first message of a connection
  http()       one HTTP(S) request: status, headers and body (Reply), with
               a bearer token, cookies and headers of the caller's choice;
               Reply.json() and http_json() for the API's JSON
  EventStream  GET /api/events, read by a thread

Every connection goes to loopback unless a test names another host.
"""
from http import client as http_client
import json
import os
import socket
import ssl
import threading
import urllib.parse

# How long a test waits for anything (harness.py's wait_for too).
DEADLINE = float(os.environ.get("SSCI_TEST_DEADLINE", "60"))


def hello(role="client", token=None, version=1):
    """A hello message (with the token when one is given)."""
    msg = {"type": "hello", "role": role, "version": version}
    if token is not None:
        msg["token"] = token
    return msg


class Client:
    """One connection to a dispatcher's protocol port: JSON lines over TCP,
    or over TLS with ssl_context.  Lines are read from a buffer of its own,
    so a read that timed out can be tried again."""

    def __init__(self, port, host="127.0.0.1", ssl_context=None,
                 server_hostname="localhost", timeout=DEADLINE):
        self.timeout = timeout
        sock = socket.create_connection((host, port), timeout=timeout)
        if ssl_context is not None:
            try:
                sock = ssl_context.wrap_socket(
                    sock, server_hostname=server_hostname)
            except BaseException:
                sock.close()
                raise
        self.sock = sock
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, msg):
        """Send one line: msg as JSON, or bytes as they are; the newline
        is added."""
        line = msg if isinstance(msg, bytes) else json.dumps(msg).encode()
        self.sock.sendall(line + b"\n")

    def send_bytes(self, data):
        """Send exactly these bytes (a line cut short, a line too long)."""
        self.sock.sendall(data)

    def _fill(self, timeout):
        """Read what comes into the buffer; False at end of stream (EOF,
        reset, TLS close).  TimeoutError if nothing within timeout."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            chunk = b""
        finally:
            try:
                self.sock.settimeout(self.timeout)
            except OSError:
                pass
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_line(self, timeout=None):
        """The next line with its newline; at the end of the stream what
        is left of a line cut short, or b"" when nothing is.  TimeoutError
        when no whole line came within timeout (default: the client's)."""
        timeout = self.timeout if timeout is None else timeout
        while b"\n" not in self.buf and not self.eof:
            self._fill(timeout)
        if b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            return line + b"\n"
        line, self.buf = self.buf, b""
        return line

    def recv(self, timeout=None):
        """The next message; None if the connection ended, or (only with
        timeout given) if none came within timeout.  A line the other side
        cut short is an error."""
        try:
            line = self.read_line(timeout)
        except TimeoutError:
            if timeout is None:
                raise
            return None
        if not line:
            return None
        if not line.endswith(b"\n"):
            raise AssertionError(f"a line cut short by the close: {line!r}")
        return json.loads(line)

    def request(self, msg):
        """Send msg and return the reply (there must be one)."""
        self.send(msg)
        reply = self.recv()
        if reply is None:
            raise AssertionError(f"the connection closed with no reply to "
                                 f"{msg!r:.200}")
        return reply

    def hello(self, role="client", token=None):
        """Say hello; the reply."""
        return self.request(hello(role, token))

    def closed(self, timeout=5):
        """Whether the other side closes within timeout, sending nothing
        more (a line that comes instead is consumed)."""
        try:
            return self.read_line(timeout) == b""
        except TimeoutError:
            return False

    def drain_bytes(self, timeout=5):
        """Every byte until the other side closes, or until timeout passes
        with nothing new; (bytes, whether it closed)."""
        data, self.buf = self.buf, b""
        while not self.eof:
            try:
                self._fill(timeout)
            except TimeoutError:
                break
            data, self.buf = data + self.buf, b""
        return data, self.eof

    def drain(self, timeout=5):
        """The messages until the other side closes; None if it does not
        close within timeout of the last one."""
        data, closed = self.drain_bytes(timeout)
        if not closed:
            return None
        return [json.loads(line) for line in data.splitlines() if line]


class Reply:
    """An HTTP answer: status, headers ({name: value}, names lower-case),
    body (bytes)."""

    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def __iter__(self):
        """status, headers, body = http(...)"""
        return iter((self.status, self.headers, self.body))

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:300]!r}>"

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        """The body parsed; the answer must say it is JSON."""
        ctype = self.headers.get("content-type", "")
        if not ctype.startswith("application/json"):
            raise AssertionError(f"not JSON: {self.status} {ctype}: "
                                 f"{self.body[:300]!r}")
        return json.loads(self.body)


def _connection(base, timeout, ssl_context=None):
    """An http.client connection to base (http://HOST:PORT or https://)."""
    url = urllib.parse.urlsplit(base)
    if url.scheme == "https":
        return http_client.HTTPSConnection(url.hostname, url.port,
                                           timeout=timeout,
                                           context=ssl_context)
    return http_client.HTTPConnection(url.hostname, url.port,
                                      timeout=timeout)


def http(base, path, method="GET", body=None, headers=None, token=None,
         cookies=None, ssl_context=None, timeout=10):
    """One request to base (http://HOST:PORT or https://HOST:PORT, then
    with ssl_context) + path; its Reply.  body: a dict or list is sent as
    JSON, a str or bytes as it is; token: sent as Authorization: Bearer;
    cookies: {name: value}; headers: any more (Host among them).  A body
    the server stops reading (a 413) is no error: its answer is read."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn = _connection(base, timeout, ssl_context)
    try:
        try:
            conn.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it answered (and closed) before it read the whole body
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status,
                     {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def http_json(base, path, method="GET", body=None, headers=None, **kw):
    """(status, parsed JSON) of http(...); the answer must be JSON."""
    reply = http(base, path, method, body, headers, **kw)
    return reply.status, reply.json()


class EventStream:
    """GET /api/events read by a thread; self.events holds (type, data)
    with data parsed from JSON, self.comments the ': ...' lines."""

    def __init__(self, base):
        self.conn = _connection(base, 60)
        self.conn.request("GET", "/api/events")
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.content_type = self.resp.getheader("Content-Type", "")
        self.events, self.comments, self.errors = [], [], []
        self.closing = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        kind, data = None, []
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    return
                line = line.decode("utf-8").rstrip("\r\n")
                if line.startswith(":"):
                    with self.lock:
                        self.comments.append(line)
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
                elif line == "" and data:
                    with self.lock:
                        self.events.append((kind, json.loads("\n".join(
                            data))))
                    kind, data = None, []
        except (OSError, ValueError, http_client.HTTPException) as e:
            if self.closing:
                return
            with self.lock:
                self.errors.append(repr(e))

    def find(self, kind, **match):
        """Events of kind whose data has every key=value of match."""
        with self.lock:
            return [d for k, d in self.events if k == kind and
                    all(d.get(key) == v for key, v in match.items())]

    def log_text(self, job):
        return "".join(d.get("data", "") for d in self.find("log", id=job))

    def close(self):
        """Shut the socket (which ends the reader's read), then close."""
        self.closing = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(10)
        self.conn.close()
