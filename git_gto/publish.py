"""Applying a change: all its tags or none, locally and on the remote (one atomic
`git push`), undone locally when the push fails; and committing `artifacts.yaml`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Optional, Sequence

from git_gto import index as I
from git_gto.errors import GtoError, PushFailed, UsageError
from git_gto.git.repo import NewTag
from git_gto.git.run import git, git_reason

if TYPE_CHECKING:
    from git_gto.changes import Change
    from git_gto.workspace import Workspace

log = logging.getLogger("git_gto")
REMOTE = "origin"


def pushes(ws: "Workspace", push: bool) -> bool:
    """A change is pushed when asked, and always for a remote (`-r URL`) registry."""
    return push or ws.remote_url is not None


def check_remote(ws: "Workspace") -> None:
    """Refuse a push without a remote before anything is written."""
    if ws.repo.remote_url(REMOTE) is None:
        raise GtoError(f"cannot push: the repository has no remote '{REMOTE}' (nothing was written)")


def apply(ws: "Workspace", change: "Change", push: bool) -> None:
    """Write the change locally, then push it in one atomic `git push`; undo the local
    part if the push fails. Validation happens before anything is written."""
    push = pushes(ws, push)
    if push:
        check_remote(ws)
    for c in change.created:
        if ws.repo.has_tag(c.tag):
            raise GtoError(f"tag '{c.tag}' already exists")
    if change.created:
        ws.repo.create_tags([NewTag(c.tag, c.target, c.message) for c in change.created])
    if change.deleted:
        ws.repo.delete_tags([t for t, _ in change.deleted])
    if not push:
        return
    refspecs = [f"refs/tags/{c.tag}:refs/tags/{c.tag}" for c in change.created]
    refspecs += [f":refs/tags/{t}" for t, _ in change.deleted]
    result = git(ws.repo.location, "push", "--atomic", "--quiet", REMOTE, *refspecs, check=False)
    if result.returncode != 0:
        ws.repo.delete_tags([c.tag for c in change.created])
        ws.repo.restore_tags(change.deleted)
        raise PushFailed(
            f"git push to '{REMOTE}' failed{_push_reason(result.stderr)}; nothing was changed locally either. "
            f"Sync with `git fetch --tags {REMOTE}` and try again."
        )


def _push_reason(stderr: str) -> str:
    for line in stderr.splitlines():
        line = line.strip()
        if "[rejected]" in line or "already exists" in line:
            return f" ({' '.join(line.lstrip('! ').split())})"
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    return f" ({lines[-1]})" if lines else ""


def switch_branch(ws: "Workspace", branch: Optional[str]) -> None:
    """Check out the branch to annotate on, in the clone of a remote registry."""
    if not branch:
        return
    if not ws.remote_url:
        raise UsageError("--branch works with a remote --repo only")
    if branch.startswith("-"):
        raise UsageError(f"--branch takes a branch name, not '{branch}'")
    git(ws.repo.location, "checkout", "--quiet", branch, "--")


def update_index(ws: "Workspace", edit: Callable[[I.Index], object], message: str, commit: bool,
                 push: bool) -> None:
    """Edit `artifacts.yaml` in the work tree; commit it (alone) when asked, and push the
    commit for --push or a remote registry. Checks what it can before writing."""
    push = pushes(ws, push)
    if push:
        check_remote(ws)
    worktree, index_file = ws.repo.worktree, ws.config.index
    index = I.read_worktree_index(worktree, index_file)
    edit(index)
    I.write_worktree_index(worktree, index_file, index)
    if commit or push:
        _commit_index(ws, message, push)


def _commit_index(ws: "Workspace", message: str, push: bool) -> None:
    """Commit artifacts.yaml alone (other changes stay as they are) with the user's git."""
    location, index_file = ws.repo.location, ws.config.index
    git(location, "add", "--", index_file)
    git(location, "commit", "--quiet", "-m", message, "--", index_file)
    if push:
        result = git(location, "push", "--quiet", REMOTE, "HEAD", check=False)
        if result.returncode != 0:
            raise PushFailed(f"git push failed: {git_reason(result.stderr)}")


def annotate(ws: "Workspace", name: str, type_: Optional[str] = None, path: Optional[str] = None,
             must_exist: bool = False, allow_same_path: bool = False, labels: Sequence[str] = (),
             description: Optional[str] = None, custom: Optional[str] = None, commit: bool = False,
             push: bool = False, branch: Optional[str] = None) -> None:
    """`annotate`: check, then add or update NAME's entry in artifacts.yaml (committed and
    pushed when asked)."""
    from git_gto.changes import check_annotation

    switch_branch(ws, branch)
    check_annotation(ws, name, list(labels), type_, path if must_exist else None)
    update_index(ws, lambda entries: I.annotate(entries, name, type_, path, must_exist, allow_same_path,
                                                list(labels), description, custom),
                 I.commit_message(name, type_, path), commit, push)


def remove(ws: "Workspace", name: str, commit: bool = False, push: bool = False,
           branch: Optional[str] = None) -> None:
    """`remove`: drop NAME's entry from artifacts.yaml (committed and pushed when asked)."""
    switch_branch(ws, branch)
    update_index(ws, lambda entries: I.remove(entries, name, ws.config.index),
                 I.commit_message(name, removed=True), commit, push)
