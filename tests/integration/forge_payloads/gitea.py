# SPDX-License-Identifier: MIT
"""Gitea (and Forgejo) webhook bodies (push, pull_request) as a Gitea at
Repo.base sends them: layout after Gitea's webhook documentation and its
API structs (PushPayload, PullRequestPayload, Repository, User,
PRBranchInfo); the body goes out as Go's json.MarshalIndent writes it,
two spaces, with <, > and & escaped."""
import json

from . import now_iso


def user(repo, login, uid):
    return {
        "id": uid,
        "login": login,
        "login_name": "",
        "source_id": 0,
        "full_name": login.replace("-", " ").title(),
        "email": f"{login}@noreply.{repo.host.split(':')[0]}",
        "avatar_url": f"{repo.base}/avatars/{uid:032x}",
        "html_url": f"{repo.base}/{login}",
        "language": "en-US",
        "is_admin": False,
        "last_login": "0001-01-01T00:00:00Z",
        "created": "2024-03-01T10:00:00Z",
        "restricted": False,
        "active": False,
        "prohibit_login": False,
        "location": "",
        "website": "",
        "description": "",
        "visibility": "public",
        "followers_count": 0,
        "following_count": 0,
        "starred_repos_count": 0,
        "username": login,
    }


def repository(repo):
    return {
        "id": repo.id,
        "owner": user(repo, repo.owner, 1 + repo.id % 997),
        "name": repo.name,
        "full_name": repo.full_name,
        "description": "A widget that spins",
        "empty": False,
        "private": False,
        "fork": False,
        "template": False,
        "parent": None,
        "mirror": False,
        "size": 42,
        "language": "",
        "languages_url":
            f"{repo.base}/api/v1/repos/{repo.full_name}/languages",
        "html_url": repo.html_url,
        "url": f"{repo.base}/api/v1/repos/{repo.full_name}",
        "link": "",
        "ssh_url": repo.ssh_url,
        "clone_url": repo.clone_url,
        "original_url": "",
        "website": "",
        "stars_count": 0,
        "forks_count": 0,
        "watchers_count": 1,
        "open_issues_count": 0,
        "open_pr_counter": 1,
        "release_counter": 0,
        "default_branch": "main",
        "archived": False,
        "created_at": "2024-03-01T10:05:00Z",
        "updated_at": now_iso(),
        "archived_at": "1970-01-01T00:00:00Z",
        "permissions": {"admin": True, "push": True, "pull": True},
        "has_issues": True,
        "internal_tracker": {"enable_time_tracker": True,
                             "allow_only_contributors_to_track_time": True,
                             "enable_issue_dependencies": True},
        "has_wiki": True,
        "has_pull_requests": True,
        "has_projects": True,
        "has_releases": True,
        "has_packages": True,
        "has_actions": True,
        "ignore_whitespace_conflicts": False,
        "allow_merge_commits": True,
        "allow_rebase": True,
        "allow_rebase_explicit": True,
        "allow_squash_merge": True,
        "allow_fast_forward_only_merge": True,
        "allow_rebase_update": True,
        "default_delete_branch_after_merge": False,
        "default_merge_style": "merge",
        "default_allow_maintainer_edit": False,
        "avatar_url": "",
        "internal": False,
        "mirror_interval": "",
        "object_format_name": "sha1",
        "mirror_updated": "0001-01-01T00:00:00Z",
        "repo_transfer": None,
        "topics": None,
        "licenses": None,
    }


def _person(name, email):
    return {"name": name, "email": email,
            "username": name.lower().replace(" ", "-")}


def commit(repo, c):
    return {
        "id": c.id,
        "message": c.message if c.message.endswith("\n")
        else c.message + "\n",
        "url": f"{repo.html_url}/commit/{c.id}",
        "author": _person(c.author_name, c.author_email),
        "committer": _person(c.committer_name, c.committer_email),
        "verification": None,
        "timestamp": c.timestamp,
        "added": c.added,
        "removed": c.removed,
        "modified": c.modified,
    }


def sender(repo):
    return user(repo, "tea-dev", 7)


def push(p):
    repo = p.repo
    return {
        "ref": p.ref,
        "before": p.before,
        "after": p.after,
        "compare_url": "" if p.created or p.deleted else
        f"{repo.html_url}/compare/{p.before}...{p.after}",
        "commits": [commit(repo, c) for c in p.commits],
        "total_commits": len(p.commits),
        "head_commit": commit(repo, p.head) if p.head else None,
        "repository": repository(repo),
        "pusher": sender(repo),
        "sender": sender(repo),
    }


def _branch(repo, ref, sha):
    return {"label": ref, "ref": ref, "sha": sha, "repo_id": repo.id,
            "repo": repository(repo)}


def pull_request(pr, action):
    """A pull_request event: action opened, reopened, synchronized,
    closed, edited ... (Gitea's own names)."""
    repo = pr.repo
    html = f"{repo.html_url}/pulls/{pr.number}"
    closed = action == "closed"
    return {
        "action": action,
        "number": pr.number,
        "pull_request": {
            "id": 4000 + pr.number,
            "url": html,
            "number": pr.number,
            "user": sender(repo),
            "title": pr.title,
            "body": pr.body,
            "labels": [],
            "milestone": None,
            "assignee": None,
            "assignees": None,
            "requested_reviewers": None,
            "requested_reviewers_teams": None,
            "state": "closed" if closed else "open",
            "draft": False,
            "is_locked": False,
            "comments": 0,
            "review_comments": 0,
            "additions": 3,
            "deletions": 0,
            "changed_files": 1,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "mergeable": True,
            "merged": False,
            "merged_at": None,
            "merge_commit_sha": None,
            "merged_by": None,
            "allow_maintainer_edit": False,
            "base": _branch(repo, pr.base_ref, pr.base_sha),
            "head": _branch(repo, pr.head_ref, pr.head.id),
            "merge_base": pr.base_sha,
            "due_date": None,
            "created_at": "2024-05-15T15:20:33Z",
            "updated_at": now_iso(),
            "closed_at": now_iso() if closed else None,
            "pin_order": 0,
        },
        "requested_reviewer": None,
        "repository": repository(repo),
        "sender": sender(repo),
        "commit_id": "",
        "review": None,
    }


def event_type(event, payload):
    """X-Gitea-Event-Type: the finer name of the event."""
    if event == "pull_request" and payload.get("action") == "synchronized":
        return "pull_request_sync"
    return event


def encode(payload):
    """The body as Gitea sends it (Go's MarshalIndent, HTML-escaped)."""
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(ch, esc)
    return text.encode()

