# SPDX-License-Identifier: MIT
"""GitHub webhook bodies (push, pull_request, ping) as a GitHub
Enterprise Server at Repo.base sends them: web pages under the base, the
REST API under base/api/v3.  Layout after GitHub's documented payload
examples; the body goes out as compact JSON, as GitHub sends it."""
import json

from . import ZERO, now_epoch, now_iso

HOOK_ID = 431122907


def api(repo):
    return f"{repo.base}/api/v3"


def user(repo, login, uid, email=None):
    """A user (or organisation) as GitHub embeds it in an event."""
    a = api(repo)
    u = {
        "login": login,
        "id": uid,
        "node_id": f"MDQ6VXNlcj{uid}",
        "avatar_url": f"{repo.base}/avatars/u/{uid}?",
        "gravatar_id": "",
        "url": f"{a}/users/{login}",
        "html_url": f"{repo.base}/{login}",
        "followers_url": f"{a}/users/{login}/followers",
        "following_url": f"{a}/users/{login}/following{{/other_user}}",
        "gists_url": f"{a}/users/{login}/gists{{/gist_id}}",
        "starred_url": f"{a}/users/{login}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{a}/users/{login}/subscriptions",
        "organizations_url": f"{a}/users/{login}/orgs",
        "repos_url": f"{a}/users/{login}/repos",
        "events_url": f"{a}/users/{login}/events{{/privacy}}",
        "received_events_url": f"{a}/users/{login}/received_events",
        "type": "User",
        "user_view_type": "public",
        "site_admin": False,
    }
    if email is not None:
        # In a push event the owner also carries name and email, first.
        u = {"name": login, "email": email, **u}
    return u


def repository(repo, push_event=False):
    """The repository object; a push event gives its times as epoch
    seconds (created_at, pushed_at), other events as ISO strings."""
    a = f"{api(repo)}/repos/{repo.full_name}"
    created = now_epoch() - 86400 if push_event else "2024-05-15T15:19:25Z"
    pushed = now_epoch() if push_event else now_iso()
    owner = user(repo, repo.owner, 2000 + repo.id % 1000,
                 f"{repo.owner}@users.noreply.example" if push_event
                 else None)
    return {
        "id": repo.id,
        "node_id": f"R_kgDO{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "private": False,
        "owner": owner,
        "html_url": repo.html_url,
        "description": "A widget that spins",
        "fork": False,
        "url": repo.html_url if push_event else a,
        "forks_url": f"{a}/forks",
        "keys_url": f"{a}/keys{{/key_id}}",
        "collaborators_url": f"{a}/collaborators{{/collaborator}}",
        "teams_url": f"{a}/teams",
        "hooks_url": f"{a}/hooks",
        "issue_events_url": f"{a}/issues/events{{/number}}",
        "events_url": f"{a}/events",
        "assignees_url": f"{a}/assignees{{/user}}",
        "branches_url": f"{a}/branches{{/branch}}",
        "tags_url": f"{a}/tags",
        "blobs_url": f"{a}/git/blobs{{/sha}}",
        "git_tags_url": f"{a}/git/tags{{/sha}}",
        "git_refs_url": f"{a}/git/refs{{/sha}}",
        "trees_url": f"{a}/git/trees{{/sha}}",
        "statuses_url": f"{a}/statuses/{{sha}}",
        "languages_url": f"{a}/languages",
        "stargazers_url": f"{a}/stargazers",
        "contributors_url": f"{a}/contributors",
        "subscribers_url": f"{a}/subscribers",
        "subscription_url": f"{a}/subscription",
        "commits_url": f"{a}/commits{{/sha}}",
        "git_commits_url": f"{a}/git/commits{{/sha}}",
        "comments_url": f"{a}/comments{{/number}}",
        "issue_comment_url": f"{a}/issues/comments{{/number}}",
        "contents_url": f"{a}/contents/{{+path}}",
        "compare_url": f"{a}/compare/{{base}}...{{head}}",
        "merges_url": f"{a}/merges",
        "archive_url": f"{a}/{{archive_format}}{{/ref}}",
        "downloads_url": f"{a}/downloads",
        "issues_url": f"{a}/issues{{/number}}",
        "pulls_url": f"{a}/pulls{{/number}}",
        "milestones_url": f"{a}/milestones{{/number}}",
        "notifications_url":
            f"{a}/notifications{{?since,all,participating}}",
        "labels_url": f"{a}/labels{{/name}}",
        "releases_url": f"{a}/releases{{/id}}",
        "deployments_url": f"{a}/deployments",
        "created_at": created,
        "updated_at": now_iso(),
        "pushed_at": pushed,
        "git_url": f"git://{repo.host}/{repo.full_name}.git",
        "ssh_url": repo.ssh_url,
        "clone_url": repo.clone_url,
        "svn_url": repo.html_url,
        "homepage": None,
        "size": 42,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": "Python",
        "has_issues": True,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": True,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": 0,
        "mirror_url": None,
        "archived": False,
        "disabled": False,
        "open_issues_count": 1,
        "license": None,
        "allow_forking": True,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": [],
        "visibility": "public",
        "forks": 0,
        "open_issues": 1,
        "watchers": 0,
        "default_branch": "main",
        **({"stargazers": 0, "master_branch": "main"} if push_event
           else {}),
        "custom_properties": {},
    }


def commit(repo, c):
    """A commit as a push event lists it."""
    return {
        "id": c.id,
        "tree_id": c.tree,
        "distinct": True,
        "message": c.message,
        "timestamp": c.timestamp,
        "url": f"{repo.html_url}/commit/{c.id}",
        "author": {"name": c.author_name, "email": c.author_email,
                   "username": c.author_name.lower().replace(" ", "-")},
        "committer": {"name": c.committer_name, "email": c.committer_email,
                      "username": c.committer_name.lower().replace(" ",
                                                                   "-")},
        "added": c.added,
        "removed": c.removed,
        "modified": c.modified,
    }


def sender(repo):
    return user(repo, "octo-dev", 5170913)


def push(p):
    """A push event: Push p (commits oldest first, as GitHub lists
    them)."""
    repo = p.repo
    if p.created:
        compare = f"{repo.html_url}/commit/{p.after[:12]}"
    elif p.deleted:
        compare = f"{repo.html_url}/compare/{p.before[:12]}...000000000000"
    else:
        compare = (f"{repo.html_url}/compare/{p.before[:12]}..."
                   f"{p.after[:12]}")
    return {
        "ref": p.ref,
        "before": p.before,
        "after": p.after,
        "repository": repository(repo, push_event=True),
        "pusher": {"name": "octo-dev",
                   "email": "octo-dev@users.noreply.example"},
        "sender": sender(repo),
        "created": p.created,
        "deleted": p.deleted,
        "forced": p.forced,
        "base_ref": None,
        "compare": compare,
        "commits": [commit(repo, c) for c in p.commits],
        "head_commit": commit(repo, p.head) if p.head else None,
    }


def _branch(repo, ref, sha, who):
    return {"label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha,
            "user": who, "repo": repository(repo)}


def pull_request(pr, action):
    """A pull_request event (opened, reopened, synchronize, closed,
    edited, labeled ...) for PullRequest pr."""
    repo = pr.repo
    a = f"{api(repo)}/repos/{repo.full_name}"
    html = f"{repo.html_url}/pull/{pr.number}"
    author = sender(repo)
    closed = action == "closed"
    body = {
        "action": action,
        "number": pr.number,
        "pull_request": {
            "url": f"{a}/pulls/{pr.number}",
            "id": 1900000000 + pr.number,
            "node_id": f"PR_kwDO{pr.number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{a}/issues/{pr.number}",
            "number": pr.number,
            "state": "closed" if closed else "open",
            "locked": False,
            "title": pr.title,
            "user": author,
            "body": pr.body or None,
            "created_at": "2024-05-15T15:20:33Z",
            "updated_at": now_iso(),
            "closed_at": now_iso() if closed else None,
            "merged_at": None,
            "merge_commit_sha": None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": [],
            "milestone": None,
            "draft": False,
            "commits_url": f"{a}/pulls/{pr.number}/commits",
            "review_comments_url": f"{a}/pulls/{pr.number}/comments",
            "review_comment_url": f"{a}/pulls/comments{{/number}}",
            "comments_url": f"{a}/issues/{pr.number}/comments",
            "statuses_url": f"{a}/statuses/{pr.head.id}",
            "head": _branch(repo, pr.head_ref, pr.head.id, author),
            "base": _branch(repo, pr.base_ref, pr.base_sha,
                            user(repo, repo.owner, 2000 + repo.id % 1000)),
            "_links": {
                "self": {"href": f"{a}/pulls/{pr.number}"},
                "html": {"href": html},
                "issue": {"href": f"{a}/issues/{pr.number}"},
                "comments": {"href": f"{a}/issues/{pr.number}/comments"},
                "review_comments":
                    {"href": f"{a}/pulls/{pr.number}/comments"},
                "review_comment":
                    {"href": f"{a}/pulls/comments{{/number}}"},
                "commits": {"href": f"{a}/pulls/{pr.number}/commits"},
                "statuses": {"href": f"{a}/statuses/{pr.head.id}"},
            },
            "author_association": "MEMBER",
            "auto_merge": None,
            "active_lock_reason": None,
            "merged": False,
            "mergeable": None,
            "rebaseable": None,
            "mergeable_state": "unknown",
            "merged_by": None,
            "comments": 0,
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": 1,
            "additions": 3,
            "deletions": 0,
            "changed_files": 1,
        },
    }
    if action == "synchronize":
        body["before"] = pr.before or ZERO
        body["after"] = pr.head.id
    body["repository"] = repository(repo)
    body["sender"] = author
    return body


def ping(repo, hook_id=HOOK_ID, events=("push", "pull_request")):
    """The ping a new hook sends."""
    a = f"{api(repo)}/repos/{repo.full_name}/hooks/{hook_id}"
    return {
        "zen": "Keep it logically awesome.",
        "hook_id": hook_id,
        "hook": {
            "type": "Repository",
            "id": hook_id,
            "name": "web",
            "active": True,
            "events": list(events),
            "config": {"content_type": "json", "insecure_ssl": "0",
                       "url": "https://ci.example/hooks/github"},
            "updated_at": now_iso(),
            "created_at": now_iso(),
            "url": a,
            "test_url": f"{a}/test",
            "ping_url": f"{a}/pings",
            "deliveries_url": f"{a}/deliveries",
            "last_response": {"code": None, "status": "unused",
                              "message": None},
        },
        "repository": repository(repo),
        "sender": sender(repo),
    }


def encode(payload):
    """The body as GitHub sends it: compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"),
                      ensure_ascii=False).encode()
