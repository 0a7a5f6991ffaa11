# SPDX-License-Identifier: MIT
"""forge_standin.py - a small forge for the forge tests (issue 16): one
HTTP server on loopback (port 0), in a thread of the test, that plays
GitHub (Enterprise), Gitea/Forgejo and GitLab at once.

  git        bare repositories ROOT/OWNER/NAME.git served over git's dumb
             HTTP protocol (plain GETs of their files), so a runner can
             git clone http://127.0.0.1:PORT/OWNER/NAME.git; push() pushes
             a working repository there and runs git update-server-info
  statuses   the three forges' commit status APIs:
               GitHub  POST /api/v3/repos/OWNER/NAME/statuses/SHA
               Gitea   POST /api/v1/repos/OWNER/NAME/statuses/SHA
               GitLab  POST /api/v4/projects/OWNER%2FNAME/statuses/SHA
             every call recorded (method, path, Authorization, decoded
             JSON body, arrival time, the answer), answered 201 with the
             status as the forge echoes it; or 503 (any code) until a
             given time, or a code for the next calls; or each answer
             held back a while (delay)
  notify     POST /notify: a Slack-like incoming webhook, recorded
  hooks      webhooks built and sent to a dispatcher the way each forge
             sends them: body (forge_payloads), headers, signature

Nothing here comes from a forge's code: the payloads are our templates
after the forges' documentation (forge_payloads/__init__.py).
"""
import hashlib
import hmac
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

from forge_payloads import ZERO, Commit, PullRequest, Push, Repo
from forge_payloads import gitea as gitea_payloads
from forge_payloads import github as github_payloads
from forge_payloads import gitlab as gitlab_payloads
from harness import git
from harness_net import http as http_request

# The status APIs: (forge, pattern of the path without its query).
STATUS_ROUTES = (
    ("github", re.compile(r"^/api/v3/repos/([^/]+)/([^/]+)/statuses/"
                          r"([0-9a-fA-F]+)$")),
    ("gitea", re.compile(r"^/api/v1/repos/([^/]+)/([^/]+)/statuses/"
                         r"([0-9a-fA-F]+)$")),
    ("gitlab", re.compile(r"^/api/v4/projects/([^/]+)/statuses/"
                          r"([0-9a-fA-F]+)$")),
)
GIT_PATH = re.compile(r"^/([A-Za-z0-9][A-Za-z0-9._-]*)/"
                      r"([A-Za-z0-9][A-Za-z0-9._-]*\.git)/(.+)$")
# What each forge accepts as a status's state.
STATES = {
    "github": {"pending", "success", "failure", "error"},
    "gitea": {"pending", "success", "failure", "error", "warning"},
    "gitlab": {"pending", "running", "success", "failed", "canceled",
               "skipped"},
}
HOOK_PATHS = {"github": "/hooks/github", "gitea": "/hooks/gitea",
              "forgejo": "/hooks/gitea", "gitlab": "/hooks/gitlab"}


def hmac_hex(secret, body, digest=hashlib.sha256):
    """The hex HMAC of body (bytes) keyed with secret (str)."""
    return hmac.new(secret.encode(), body, digest).hexdigest()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args):
        super().__init__(*args)
        self.open_socks = set()
        self.socks_lock = threading.Lock()
        self.closing = False

    def process_request(self, request, client_address):
        with self.socks_lock:
            if self.closing:
                self.shutdown_request(request)
                return
            self.open_socks.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.socks_lock:
            self.open_socks.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # A client that went away before its answer (a dispatcher
        # stopped at the end of a test, or a connection ended by
        # close()) is no error of the forge's.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def close_all(self):
        """Stop taking connections and end the open ones (a client's
        keep-alive connection would otherwise still be served)."""
        with self.socks_lock:
            self.closing = True
            socks = list(self.open_socks)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "forge-standin/1"
    timeout = 30

    @property
    def forge(self):
        return self.server.standin

    def log_message(self, fmt, *args):
        self.forge.log(f"{self.address_string()} {fmt % args}")

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, code, body=b"", ctype="application/json; charset=utf-8",
              head_only=False):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def do_GET(self):
        self._get(head_only=False)

    def do_HEAD(self):
        self._get(head_only=True)

    def _get(self, head_only):
        path = urllib.parse.urlsplit(self.path).path
        m = GIT_PATH.match(path)
        data = self.forge.git_file(*m.groups()) if m else None
        if data is None:
            if not m:   # a git client asks for files that may be absent
                self.forge.note_other(self.command, self.path, None)
            self._send(404, {"message": "Not Found"}, head_only=head_only)
            return
        # info/refs as a dumb server serves it: no smart advertisement,
        # so git falls back to fetching files.
        ctype = "text/plain; charset=utf-8" if path.endswith(
            "/info/refs") else "application/octet-stream"
        self._send(200, data, ctype, head_only=head_only)

    def do_POST(self):
        raw = self._body()
        split = urllib.parse.urlsplit(self.path)
        if split.path == "/notify":
            code = self.forge.note_notify(self.headers, raw)
            self._send(code, "ok" if code == 200 else "no_service",
                       "text/plain; charset=utf-8")
            return
        for kind, pattern in STATUS_ROUTES:
            m = pattern.match(split.path)
            if m:
                code, answer = self.forge.note_status(
                    kind, m.groups(), self.command, self.path, self.headers,
                    raw)
                self._send(code, answer)
                return
        self.forge.note_other(self.command, self.path, raw)
        self._send(404, {"message": "Not Found"})

    def do_PUT(self):
        self._not_allowed()

    def do_DELETE(self):
        self._not_allowed()

    def do_PATCH(self):
        self._not_allowed()

    def _not_allowed(self):
        self._body()
        self.forge.note_other(self.command, self.path, None)
        self._send(405, {"message": "Method Not Allowed"})


class ForgeStandin:
    """The forge.  root: the folder of its bare repositories (made);
    log_path: where its access log goes (None: nowhere)."""

    def __init__(self, root, log_path=None):
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)
        self.log_path = log_path
        self.lock = threading.Lock()
        self.seq = 0
        self.calls = []         # every status call, whatever its answer
        self.notes = []         # POSTs to /notify
        self.other = []         # anything else that was not a git GET
        self.deliveries = []    # hooks sent: (kind, event, id, status)
        self.delay = 0.0
        self._fail_until = 0.0
        self._fail_code = 503
        self._fail_next = []
        self._notify_fail_until = 0.0
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.standin = self
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def close(self):
        """Stop serving: the listener and every open connection."""
        self.server.shutdown()
        self.server.server_close()
        self.server.close_all()
        self.thread.join(10)

    def log(self, line):
        if not self.log_path:
            return
        try:
            with self.lock, open(self.log_path, "a") as f:
                f.write(f"{time.strftime('%H:%M:%S')} {line}\n")
        except OSError:
            pass    # the test's folder is gone: it ended

    # ---- behaviour switches ----

    def fail_until(self, seconds, code=503):
        """Answer every status call with code for the next seconds."""
        with self.lock:
            self._fail_code = code
            self._fail_until = time.monotonic() + seconds

    def fail_next(self, *codes):
        """Answer the next status calls with these codes, one each."""
        with self.lock:
            self._fail_next += list(codes)

    def fail_notify_until(self, seconds):
        """Answer /notify with 503 for the next seconds."""
        with self.lock:
            self._notify_fail_until = time.monotonic() + seconds

    def set_delay(self, seconds):
        """Hold back every status answer this long (0.2: a slow forge)."""
        self.delay = seconds

    # ---- the server's side ----

    def _next_seq(self):
        self.seq += 1
        return self.seq

    def git_file(self, owner, name, rest):
        """The bytes of a file of a bare repository, or None."""
        if ".." in rest.split("/"):
            return None
        repo = os.path.join(self.root, owner, name)
        path = os.path.realpath(os.path.join(repo, rest))
        if not path.startswith(os.path.realpath(repo) + os.sep) or \
                not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def note_other(self, method, path, raw):
        with self.lock:
            self.other.append({"seq": self._next_seq(), "method": method,
                               "path": path, "raw": raw,
                               "t": time.monotonic()})

    def note_notify(self, headers, raw):
        t = time.monotonic()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self.lock:
            code = 503 if t < self._notify_fail_until else 200
            self.notes.append({"seq": self._next_seq(), "t": t,
                               "content_type": headers.get("Content-Type"),
                               "body": body, "raw": raw, "answer": code})
        return code

    def note_status(self, kind, groups, method, path, headers, raw):
        """Record a status call; (code, JSON answer)."""
        t = time.monotonic()
        if kind == "gitlab":
            project = urllib.parse.unquote(groups[0])
            owner, _, name = project.partition("/")
            sha = groups[1]
        else:
            owner, name, sha = groups
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        call = {
            "forge": kind, "method": method, "path": path,
            "owner": owner, "repo": name, "sha": sha,
            "authorization": headers.get("Authorization"),
            "content_type": headers.get("Content-Type"),
            "user_agent": headers.get("User-Agent"),
            "raw": raw, "body": body, "t": t,
            "state": body.get("state") if isinstance(body, dict) else None,
            "context": (body.get("name") if kind == "gitlab"
                        else body.get("context"))
            if isinstance(body, dict) else None,
            "description": body.get("description")
            if isinstance(body, dict) else None,
            "target_url": body.get("target_url")
            if isinstance(body, dict) else None,
        }
        with self.lock:
            call["seq"] = self._next_seq()
            if self._fail_next:
                code = self._fail_next.pop(0)
            elif t < self._fail_until:
                code = self._fail_code
            else:
                code = 201
            if code == 201 and (not isinstance(body, dict) or
                                call["state"] not in STATES[kind]):
                code = 400 if kind == "gitlab" else 422
            call["answer"] = code
            self.calls.append(call)
        if self.delay:
            time.sleep(self.delay)
        if code != 201:
            message = {503: "Service Unavailable",
                       422: "Validation Failed"}.get(code, f"error {code}")
            return code, {"message": message}
        return code, self._echo(kind, call)

    def _echo(self, kind, call):
        """The status as the forge answers a creation."""
        b, stamp = call["body"], time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                               time.gmtime())
        if kind == "github":
            return {"url": f"{self.url}{call['path']}", "id": call["seq"],
                    "node_id": f"SC_kwDO{call['seq']}",
                    "state": b.get("state"),
                    "description": b.get("description"),
                    "target_url": b.get("target_url"),
                    "context": b.get("context", "default"),
                    "created_at": stamp, "updated_at": stamp,
                    "creator": {"login": "ssci-bot", "id": 77,
                                "type": "User"}}
        if kind == "gitea":
            return {"id": call["seq"], "status": b.get("state"),
                    "target_url": b.get("target_url"),
                    "description": b.get("description"),
                    "url": f"{self.url}{call['path']}",
                    "context": b.get("context", "default"),
                    "creator": {"id": 77, "login": "ssci-bot"},
                    "created_at": stamp, "updated_at": stamp}
        return {"id": call["seq"], "sha": call["sha"], "ref": None,
                "status": b.get("state"), "name": b.get("name", "default"),
                "target_url": b.get("target_url"),
                "description": b.get("description"),
                "created_at": stamp, "started_at": None,
                "finished_at": None, "allow_failure": False,
                "coverage": None,
                "author": {"id": 77, "username": "ssci-bot"}}

    # ---- what a test reads ----

    def status_calls(self, sha=None, context=None, accepted=None):
        """The status calls so far, in arrival order; only those of sha,
        of context, and (accepted=True) answered 2xx or (False) not."""
        with self.lock:
            calls = list(self.calls)
        return [c for c in calls if
                (sha is None or c["sha"] == sha) and
                (context is None or c["context"] == context) and
                (accepted is None or
                 (200 <= c["answer"] < 300) == accepted)]

    def states(self, sha, context="ssci"):
        """The states of the accepted statuses of (sha, context), in
        order."""
        return [c["state"] for c in self.status_calls(sha, context, True)]

    def notifications(self, accepted=True):
        with self.lock:
            notes = list(self.notes)
        return [n for n in notes if accepted is None or
                (n["answer"] == 200) == accepted]

    # ---- repositories ----

    def repo(self, owner, name):
        """The Repo (for payloads) of OWNER/NAME on this forge."""
        return Repo(self.url, owner, name)

    def bare(self, owner, name):
        """The bare repository of OWNER/NAME (made if missing)."""
        path = os.path.join(self.root, owner, f"{name}.git")
        if not os.path.isdir(path):
            os.makedirs(path)
            git(path, "init", "-q", "--bare", "-b", "main")
            git(path, "update-server-info")
        return path

    def commit_info(self, owner, name, sha):
        """Commit sha of OWNER/NAME as a forge describes it."""
        bare = self.bare(owner, name)
        fields = git(bare, "show", "-s", "--format=%H%x00%T%x00%aI%x00"
                     "%an%x00%ae%x00%cn%x00%ce%x00%B", sha)
        cid, tree, stamp, an, ae, cn, ce, msg = fields.split("\0", 7)
        changes = {"A": [], "D": [], "M": []}
        out = git(bare, "diff-tree", "--root", "--no-commit-id", "-r",
                  "--name-status", "--no-renames", sha)
        for line in out.splitlines():
            status, _, path = line.partition("\t")
            changes.setdefault(status[:1], []).append(path)
        return Commit(cid, tree, msg.strip(), stamp, an, ae, cn, ce,
                      changes["A"], changes["D"], changes["M"])

    def push(self, work, owner, name, branch="main", src="HEAD",
             force=False):
        """Push src of the working repository work to OWNER/NAME's
        branch; the Push a hook describes (commits new to the branch,
        oldest first)."""
        bare = self.bare(owner, name)
        ref = f"refs/heads/{branch}"
        before = git(bare, "rev-parse", "-q", "--verify", ref,
                     check=False) or ZERO
        after = git(work, "rev-parse", f"{src}^{{commit}}")
        git(work, "push", "-q", *(["--force"] if force else []), bare,
            f"{after}:{ref}")
        git(bare, "update-server-info")
        if before == ZERO:
            # New to the repository: not on any of its other refs.
            others = [line.split()[0] for line in git(
                bare, "for-each-ref", "--format=%(objectname) %(refname)"
            ).splitlines() if line.split()[1] != ref]
            shas = git(bare, "rev-list", "--reverse", after, "--not",
                       *others).split()
            forced = False
        else:
            shas = git(bare, "rev-list", "--reverse",
                       f"{before}..{after}").split()
            forced = subprocess.run(
                ["git", "merge-base", "--is-ancestor", before, after],
                cwd=bare).returncode != 0
        return Push(self.repo(owner, name), ref, before, after,
                    [self.commit_info(owner, name, s) for s in shas],
                    forced)

    def push_ref(self, work, owner, name, src, ref):
        """Push src to any ref (refs/pull/7/head, a tag)."""
        bare = self.bare(owner, name)
        git(work, "push", "-q", "--force", bare, f"{src}:{ref}")
        git(bare, "update-server-info")
        return git(bare, "rev-parse", ref)

    def delete_branch(self, owner, name, branch):
        """Delete a branch; the Push that describes it."""
        bare = self.bare(owner, name)
        ref = f"refs/heads/{branch}"
        before = git(bare, "rev-parse", ref)
        git(bare, "update-ref", "-d", ref)
        git(bare, "update-server-info")
        return Push(self.repo(owner, name), ref, before, ZERO, [])

    def pull_request(self, owner, name, number, title, head_ref, base_ref,
                     body="", before=""):
        """A PullRequest of OWNER/NAME: head_ref into base_ref, both
        branches of the bare repository (the head also pushed as
        refs/pull/N/head, as forges keep it)."""
        bare = self.bare(owner, name)
        head = git(bare, "rev-parse", f"refs/heads/{head_ref}")
        git(bare, "update-ref", f"refs/pull/{number}/head", head)
        git(bare, "update-server-info")
        return PullRequest(self.repo(owner, name), number, title, head_ref,
                           self.commit_info(owner, name, head), base_ref,
                           git(bare, "rev-parse", f"refs/heads/{base_ref}"),
                           body, before)

    # ---- hooks ----

    @staticmethod
    def encode(kind, payload):
        """The body kind's forge would send for payload."""
        if kind == "github":
            return github_payloads.encode(payload)
        if kind in ("gitea", "forgejo"):
            return gitea_payloads.encode(payload)
        return gitlab_payloads.encode(payload)

    def hook_headers(self, kind, event, body, secret, delivery,
                     signature=None, payload=None):
        """The headers kind's forge sends with body.  secret None: no
        signature header at all; signature: that value in its place."""
        ctype = {"Content-Type": "application/json"}
        if kind == "github":
            h = {"Accept": "*/*", **ctype,
                 "User-Agent": "GitHub-Hookshot/5fb3c1a",
                 "X-GitHub-Delivery": delivery,
                 "X-GitHub-Event": event,
                 "X-GitHub-Hook-ID": str(github_payloads.HOOK_ID),
                 "X-GitHub-Hook-Installation-Target-ID": "186853002",
                 "X-GitHub-Hook-Installation-Target-Type": "repository",
                 "X-GitHub-Enterprise-Host": self.url.split("://")[1],
                 "X-GitHub-Enterprise-Version": "3.14.2"}
            if secret is not None:
                # A signature given in place of the right one replaces
                # both: no valid SHA-1 one stays behind.
                if signature is None:
                    h["X-Hub-Signature"] = "sha1=" + hmac_hex(
                        secret, body, hashlib.sha1)
                h["X-Hub-Signature-256"] = signature or \
                    "sha256=" + hmac_hex(secret, body)
            return h
        if kind in ("gitea", "forgejo"):
            etype = gitea_payloads.event_type(event, payload or {})
            sig = signature or (hmac_hex(secret, body)
                                if secret is not None else None)
            if kind == "forgejo":
                # Forgejo's own names only: what a receiver must also
                # take (X-Forgejo-*).
                h = {**ctype, "User-Agent": "Go-http-client/1.1",
                     "X-Forgejo-Delivery": delivery,
                     "X-Forgejo-Event": event,
                     "X-Forgejo-Event-Type": etype}
                if sig is not None:
                    h["X-Forgejo-Signature"] = sig
                return h
            h = {**ctype, "User-Agent": "Go-http-client/1.1",
                 "X-Gitea-Delivery": delivery, "X-Gitea-Event": event,
                 "X-Gitea-Event-Type": etype,
                 "X-Gogs-Delivery": delivery, "X-Gogs-Event": event,
                 "X-Gogs-Event-Type": etype,
                 "X-GitHub-Delivery": delivery, "X-GitHub-Event": event,
                 "X-GitHub-Event-Type": etype}
            if sig is not None:
                h["X-Gitea-Signature"] = sig
                h["X-Gogs-Signature"] = sig
                if signature is None:
                    h["X-Hub-Signature"] = "sha1=" + hmac_hex(
                        secret, body, hashlib.sha1)
                h["X-Hub-Signature-256"] = "sha256=" + sig
            return h
        h = {**ctype, "User-Agent": "GitLab/17.5.1",
             "Idempotency-Key": delivery,
             "X-Gitlab-Event": event,
             "X-Gitlab-Webhook-UUID": "3c5c0404-c866-44bc-a5f6-"
                                      f"{self.port:012d}",
             "X-Gitlab-Instance": self.url,
             "X-Gitlab-Event-UUID": delivery}
        if secret is not None:
            h["X-Gitlab-Token"] = signature or secret
        return h

    def deliver(self, target, kind, event, payload=None, secret=None,
                delivery=None, body=None, signature=None, headers=None,
                unsigned=False, timeout=60):
        """Send a hook to target (a dispatcher's http_url) as kind's
        forge does (github, gitea, forgejo, gitlab); its Reply.  body:
        bytes sent instead of payload's encoding; signature: a header
        value in place of the right one; unsigned: no signature header;
        headers: more, or replacements (None as a value drops one)."""
        if body is None:
            body = self.encode(kind, payload)
        delivery = delivery or str(uuid.uuid4())
        h = self.hook_headers(kind, event, body,
                              None if unsigned else secret, delivery,
                              signature, payload)
        for k, v in (headers or {}).items():
            if v is None:
                h.pop(k, None)
            else:
                h[k] = v
        reply = http_request(target, HOOK_PATHS[kind], "POST", body=body,
                     headers=h, timeout=timeout)
        with self.lock:
            self.deliveries.append((kind, event, delivery, reply.status))
        self.log(f"hook {kind} {event} {delivery} -> {reply.status} "
                 f"{reply.body[:200]!r}")
        return reply

    def send_push(self, target, kind, push, secret, **kw):
        """A push hook of Push push."""
        if kind == "github":
            return self.deliver(target, kind, "push",
                                github_payloads.push(push), secret, **kw)
        if kind in ("gitea", "forgejo"):
            return self.deliver(target, kind, "push",
                                gitea_payloads.push(push), secret, **kw)
        return self.deliver(target, kind, "Push Hook",
                            gitlab_payloads.push(push), secret, **kw)

    def send_pull(self, target, kind, pr, action, secret, **kw):
        """A pull (merge) request hook; action in the forge's words."""
        if kind == "github":
            return self.deliver(target, kind, "pull_request",
                                github_payloads.pull_request(pr, action),
                                secret, **kw)
        if kind in ("gitea", "forgejo"):
            return self.deliver(target, kind, "pull_request",
                                gitea_payloads.pull_request(pr, action),
                                secret, **kw)
        return self.deliver(target, kind, "Merge Request Hook",
                            gitlab_payloads.merge_request(pr, action),
                            secret, **kw)

    def send_ping(self, target, owner, name, secret, **kw):
        return self.deliver(target, "github", "ping",
                            github_payloads.ping(self.repo(owner, name)),
                            secret, **kw)
