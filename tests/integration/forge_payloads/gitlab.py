# SPDX-License-Identifier: MIT
"""GitLab webhook bodies ("Push Hook", "Merge Request Hook") as a GitLab
at Repo.base sends them: layout after GitLab's "Webhook events" page;
the body goes out as compact JSON."""
import json

from . import now_iso


def project(repo):
    """The project object (also a merge request's source and target,
    which carry it without the id)."""
    return {
        "id": repo.id,
        "name": repo.name.replace("-", " ").title(),
        "description": "A widget that spins",
        "web_url": repo.html_url,
        "avatar_url": None,
        "git_ssh_url": repo.ssh_url,
        "git_http_url": repo.clone_url,
        "namespace": repo.owner.title(),
        "visibility_level": 20,
        "path_with_namespace": repo.full_name,
        "default_branch": "main",
        "ci_config_path": "",
        "homepage": repo.html_url,
        "url": repo.ssh_url,
        "ssh_url": repo.ssh_url,
        "http_url": repo.clone_url,
    }


def repository(repo):
    return {
        "name": repo.name.replace("-", " ").title(),
        "url": repo.ssh_url,
        "description": "A widget that spins",
        "homepage": repo.html_url,
        "git_http_url": repo.clone_url,
        "git_ssh_url": repo.ssh_url,
        "visibility_level": 20,
    }


def commit(repo, c):
    return {
        "id": c.id,
        "message": c.message if c.message.endswith("\n")
        else c.message + "\n",
        "title": c.title,
        "timestamp": c.timestamp,
        "url": f"{repo.html_url}/-/commit/{c.id}",
        "author": {"name": c.author_name, "email": c.author_email},
        "added": c.added,
        "modified": c.modified,
        "removed": c.removed,
    }


USER = {"id": 42, "name": "Lab Dev", "username": "lab-dev",
        "email": "lab-dev@example.org"}


def _avatar(repo):
    return f"{repo.base}/uploads/-/system/user/avatar/42/avatar.png"


def push(p):
    repo = p.repo
    return {
        "object_kind": "push",
        "event_name": "push",
        "before": p.before,
        "after": p.after,
        "ref": p.ref,
        "ref_protected": p.ref == "refs/heads/main",
        "checkout_sha": None if p.deleted else p.after,
        "message": None,
        "user_id": USER["id"],
        "user_name": USER["name"],
        "user_username": USER["username"],
        "user_email": USER["email"],
        "user_avatar": _avatar(repo),
        "project_id": repo.id,
        "project": project(repo),
        # GitLab lists at most the newest 20 commits, oldest first.
        "commits": [commit(repo, c) for c in p.commits[-20:]],
        "total_commits_count": len(p.commits),
        "push_options": {},
        "repository": repository(repo),
    }


def merge_request(pr, action):
    """A merge request event: action open, reopen, update, close,
    merge, approved ..."""
    repo = pr.repo
    url = f"{repo.html_url}/-/merge_requests/{pr.number}"
    closed = action in ("close", "merge")
    attrs = {
        "id": 9000 + pr.number,
        "iid": pr.number,
        "target_branch": pr.base_ref,
        "source_branch": pr.head_ref,
        "source_project_id": repo.id,
        "author_id": USER["id"],
        "assignee_ids": [],
        "assignee_id": None,
        "reviewer_ids": [],
        "title": pr.title,
        "created_at": "2024-05-15 15:20:33 UTC",
        "updated_at": now_iso().replace("T", " ").replace("Z", " UTC"),
        "last_edited_at": None,
        "last_edited_by_id": None,
        "milestone_id": None,
        "state_id": 2 if closed else 1,
        "state": {"close": "closed", "merge": "merged"}.get(action,
                                                              "opened"),
        "blocking_discussions_resolved": True,
        "work_in_progress": False,
        "draft": False,
        "first_contribution": False,
        "merge_status": "unchecked",
        "target_project_id": repo.id,
        "description": pr.body,
        "prepared_at": "2024-05-15 15:20:35 UTC",
        "total_time_spent": 0,
        "time_change": 0,
        "human_total_time_spent": None,
        "human_time_change": None,
        "human_time_estimate": None,
        "url": url,
        "source": {k: v for k, v in project(repo).items() if k != "id"},
        "target": {k: v for k, v in project(repo).items() if k != "id"},
        "last_commit": {k: v for k, v in commit(repo, pr.head).items()
                        if k in ("id", "message", "title", "timestamp",
                                 "url", "author")},
        "labels": [],
        "action": action,
        "detailed_merge_status": "mergeable",
    }
    if action == "update" and pr.before:
        attrs["oldrev"] = pr.before
    return {
        "object_kind": "merge_request",
        "event_type": "merge_request",
        "user": {**{k: USER[k] for k in ("id", "name", "username")},
                 "avatar_url": _avatar(repo), "email": USER["email"]},
        "project": project(repo),
        "object_attributes": attrs,
        "labels": [],
        "changes": {} if action != "update" else {
            "updated_at": {"previous": "2024-05-15 15:20:33 UTC",
                           "current": attrs["updated_at"]}},
        "repository": {"name": project(repo)["name"],
                       "url": repo.ssh_url,
                       "description": "A widget that spins",
                       "homepage": repo.html_url},
        "assignees": [],
        "reviewers": [],
    }


def encode(payload):
    return json.dumps(payload, separators=(",", ":"),
                      ensure_ascii=False).encode()
