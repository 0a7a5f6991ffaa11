# SPDX-License-Identifier: MIT
"""forge_payloads - webhook bodies as GitHub (Enterprise), Gitea/Forgejo
and GitLab send them, for forge_standin.py: one module per forge, each a
set of functions that fill a template with a test's repository and
commits.

The templates follow the field layout the forges document (GitHub's
webhook payload examples, Gitea's webhook page and its Go structs,
GitLab's "Webhook events" page), written here from those descriptions:
every field a receiver could reasonably read is there, with values of
the same types, so that a dispatcher reading the wrong field, or choking
on a field it does not expect, shows.

What the templates take:

  Repo    the forge's base URL (http://127.0.0.1:PORT), OWNER and NAME,
          and a numeric id; its URLs derive from them as on the forge
  Commit  one commit as the forge would describe it (read from the bare
          repository by the stand-in): id, tree, message, timestamp,
          author and committer, the paths it added, removed, modified
"""
import dataclasses
import datetime
import zlib

ZERO = "0" * 40


@dataclasses.dataclass
class Repo:
    base: str       # http://127.0.0.1:PORT, no trailing slash
    owner: str
    name: str
    id: int = 0

    def __post_init__(self):
        if not self.id:
            self.id = 100000 + zlib.crc32(self.full_name.encode()) % 900000

    @property
    def full_name(self):
        return f"{self.owner}/{self.name}"

    @property
    def html_url(self):
        return f"{self.base}/{self.full_name}"

    @property
    def clone_url(self):
        return f"{self.base}/{self.full_name}.git"

    @property
    def host(self):
        return self.base.split("://", 1)[1].split("/", 1)[0]

    @property
    def ssh_url(self):
        return f"git@{self.host.split(':')[0]}:{self.full_name}.git"


@dataclasses.dataclass
class Commit:
    id: str
    tree: str
    message: str
    timestamp: str          # ISO 8601 with its offset, as git's %aI
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    added: list
    removed: list
    modified: list

    @property
    def title(self):
        return self.message.split("\n", 1)[0]


@dataclasses.dataclass
class Push:
    """One push to a branch: what a push hook describes."""
    repo: Repo
    ref: str                # refs/heads/main
    before: str             # 40 zeros for a new branch
    after: str              # 40 zeros for a deleted branch
    commits: list           # [Commit], oldest first
    forced: bool = False

    @property
    def created(self):
        return self.before == ZERO

    @property
    def deleted(self):
        return self.after == ZERO

    @property
    def head(self):
        return self.commits[-1] if self.commits else None


@dataclasses.dataclass
class PullRequest:
    """A pull (merge) request within one repository: head branch into
    base branch, its head commit and the base branch's tip."""
    repo: Repo
    number: int
    title: str
    head_ref: str
    head: Commit
    base_ref: str
    base_sha: str
    body: str = ""
    before: str = ""        # the head before a synchronize / update


def now_iso(offset=False):
    t = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return t.isoformat() if offset else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_epoch():
    return int(datetime.datetime.now(datetime.timezone.utc).timestamp())
