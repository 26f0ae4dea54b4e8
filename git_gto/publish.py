"""Applying a change: all its tags or none, locally and on the remote (one atomic
`git push`), undone locally when the push fails; and committing `artifacts.yaml`."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Set

from git_gto import index as I
from git_gto.errors import GtoError, PushFailed, UsageError
from git_gto.git.repo import NewTag
from git_gto.git.run import GitFailed, git, git_reason

if TYPE_CHECKING:
    from git_gto.changes import Change
    from git_gto.workspace import Workspace

log = logging.getLogger("git_gto")


def pushes(ws: "Workspace", push: bool) -> bool:
    """A change is pushed when asked, and always for a remote (`-r URL`) registry."""
    return push or ws.remote_url is not None


def push_remote(ws: "Workspace", name: Optional[str] = None) -> Optional[str]:
    """The remote git would push to: `name` if given, else the current branch's
    `pushRemote`, `remote.pushDefault`, the branch's `remote`, then `origin`; None when that
    remote is not configured."""
    repo = ws.repo
    if not name:
        branch = repo.current_branch()
        candidates = [
            repo.config_value("branch", "pushRemote", branch) if branch else None,
            repo.config_value("remote", "pushDefault"),
            repo.config_value("branch", "remote", branch) if branch else None,
        ]
        name = next((c for c in candidates if c and c != "."), "origin")
    return name if repo.remote_url(name) is not None else None


def check_remote(ws: "Workspace", name: Optional[str] = None) -> str:
    """The remote to push to; refused before anything is written when there is none."""
    remote = push_remote(ws, name)
    if remote is None:
        wanted = f"remote '{name}'" if name else "remote to push to (see git remote -v)"
        raise GtoError(f"cannot push: the repository has no {wanted} (nothing was written)")
    return remote


def apply(ws: "Workspace", change: "Change", push: bool, remote_name: Optional[str] = None) -> List[str]:
    """Write the change locally, then push it in one atomic `git push`; undo the local
    part when the remote refused it. Validation happens before anything is written.
    Returns what git said while pushing (hooks, `remote:` lines), for the user."""
    push = pushes(ws, push)
    remote = check_remote(ws, remote_name) if push else None
    for c in change.created:
        if ws.repo.has_tag(c.tag):
            raise GtoError(f"tag '{c.tag}' already exists")
    if change.created:
        ws.repo.create_tags([NewTag(c.tag, c.target, c.message, c.not_before) for c in change.created])
    if change.deleted:
        ws.repo.delete_tags([t for t, _ in change.deleted])
    if remote is None:
        return []
    refspecs = [f"refs/tags/{c.tag}:refs/tags/{c.tag}" for c in change.created]
    refspecs += [f":refs/tags/{t}" for t, _ in change.deleted]
    result = git(ws.repo.location, "push", "--atomic", "--quiet", "--porcelain", remote, *refspecs,
                 check=False)
    said = [line.rstrip() for line in result.stderr.splitlines() if line.strip()]
    if result.returncode == 0:
        return said
    refused = _refusals(result.stdout)
    if not refused:  # no verdict from the remote: it may have applied the push before breaking off
        landed = _landed(ws, remote, change)
        if landed:
            return said + [f"git push did not finish ({git_reason(result.stderr)}), but '{remote}' has the "
                           "change: it went through"]
        if landed is None:
            raise PushFailed(
                f"the outcome of the push to '{remote}' is unknown ({git_reason(result.stderr)}); the local "
                f"tags are kept: check with `git ls-remote {remote} {' '.join(_quoted(change))}`", said)
    ws.repo.delete_tags([c.tag for c in change.created])
    ws.repo.restore_tags(change.deleted)
    reasons = sorted(set(refused)) or [git_reason(result.stderr)]
    advice = ""
    if any("already exists" in r or "fetch first" in r or "stale info" in r for r in reasons):
        advice = f" The remote has moved: `git fetch --tags {remote}` and try again."
    raise PushFailed(f"git push to '{remote}' failed: {'; '.join(reasons)}; nothing was changed "
                     f"locally either.{advice}", said)


def _refusals(porcelain: str) -> List[str]:
    """`TAG [rejected] (why)` for each ref `git push --porcelain` says was refused; the
    refs an atomic push refused only because another one was refused are left out."""
    found = []
    for line in porcelain.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[0] == "!":
            found.append(f"{fields[1].rpartition(':')[2].removeprefix('refs/tags/')} {fields[2]}")
    causes = [r for r in found if "(atomic push failed)" not in r]
    return causes or found


def _quoted(change: "Change") -> List[str]:
    import shlex

    return [shlex.quote(f"refs/tags/{t}") for t in [c.tag for c in change.created] + [t for t, _ in change.deleted]]


def _landed(ws: "Workspace", remote: str, change: "Change") -> Optional[bool]:
    """Did a failed push reach the remote: True (all of it), False (none of it), None
    (unknown: the remote cannot be asked, or holds part of it)."""
    refs = [f"refs/tags/{c.tag}" for c in change.created] + [f"refs/tags/{t}" for t, _ in change.deleted]
    listed = git(ws.repo.location, "ls-remote", "--", remote, *refs, check=False)
    if listed.returncode != 0:
        return None
    there = {line.split("\t", 1)[1] for line in listed.stdout.splitlines() if "\t" in line}
    created = [f"refs/tags/{c.tag}" in there for c in change.created]
    deleted = [f"refs/tags/{t}" not in there for t, _ in change.deleted]
    applied = created + deleted
    if all(applied):
        return True
    if not any(applied):
        return False
    return None


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
                 push: bool, remote_name: Optional[str] = None) -> None:
    """Edit `artifacts.yaml` in the work tree; commit it (alone) when asked, and push the
    commit for --push or a remote registry. Checks what it can before writing."""
    push = pushes(ws, push)
    remote = check_remote(ws, remote_name) if push else None
    worktree, index_file = ws.repo.worktree, ws.config.index
    index = I.read_worktree_index(worktree, index_file)
    edit(index)
    before = _saved(worktree, index_file) if commit or remote else None
    I.write_worktree_index(worktree, index_file, index)
    if commit or remote:
        try:
            _commit_index(ws, message)
        except BaseException:
            _restore(worktree, index_file, before)
            raise
        if remote:
            _push_head(ws, remote)


def _saved(worktree: Optional[str], index_file: str) -> Optional[bytes]:
    """The file as it is before an edit that is to be committed (None: there is none)."""
    from git_gto.files import INDEX_LIMIT, read_regular

    return read_regular(index_file, INDEX_LIMIT, root=worktree or ".")


def _restore(worktree: Optional[str], index_file: str, before: Optional[bytes]) -> None:
    """Put the file back as it was when its commit could not be made."""
    from git_gto.files import write_regular

    if before is None:
        os.unlink(os.path.join(worktree or ".", index_file))
    else:
        write_regular(worktree or ".", index_file, before)


def _commit_index(ws: "Workspace", message: str) -> None:
    """Commit artifacts.yaml alone (other changes stay as they are) with the user's git;
    when git cannot, the index is left as it was and the error says the file was restored."""
    location, index_file = ws.repo.location, ws.config.index
    temporary = _git_temporary_files(ws)
    git_index = os.environ.get("GIT_INDEX_FILE") if location.from_environment else None
    git_index = git_index or os.path.join(ws.repo.controldir, "index")
    staged = _read_bytes(git_index)
    edit_message = os.path.join(ws.repo.controldir, "COMMIT_EDITMSG")
    last_message = _read_bytes(edit_message)
    blob = _loose_blob_path(ws, _read_bytes(os.path.join(ws.repo.worktree or ".", index_file)) or b"")
    new_blob = not os.path.exists(blob)
    try:
        git(location, "add", "--", index_file)
        git(location, "commit", "--quiet", "-m", message, "--", index_file)
    except GitFailed as e:
        # what the failed git left (a full disk): its temporary files, the file's new blob,
        # then the index as it was (in the room those made)
        for path in _git_temporary_files(ws) - temporary:
            os.unlink(path)
        if new_blob and os.path.exists(blob):
            os.unlink(blob)
        _put_back(git_index, staged)
        _put_back(edit_message, last_message)
        raise GtoError(f"{e.message}; '{index_file}' is left as it was") from None


def _loose_blob_path(ws: "Workspace", content: bytes) -> str:
    import hashlib

    sha = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
    return os.path.join(ws.repo.commondir, "objects", sha[:2], sha[2:])


def _read_bytes(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _put_back(path: str, content: Optional[bytes]) -> None:
    """Restore a file of git's (the index, COMMIT_EDITMSG) as it was, under git's own lock
    (left alone if git holds it)."""
    try:
        fd = os.open(path + ".lock", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content or b"")
        if content is None:
            os.unlink(path)
            os.unlink(path + ".lock")
        else:
            os.replace(path + ".lock", path)
    except OSError:
        os.unlink(path + ".lock")


def _git_temporary_files(ws: "Workspace") -> Set[str]:
    """git's temporary object files (`objects/tmp_obj_*`, `objects/xx/tmp_obj_*`)."""
    import glob

    objects = os.path.join(ws.repo.commondir, "objects")
    return set(glob.glob(os.path.join(glob.escape(objects), "tmp_obj_*"))
               + glob.glob(os.path.join(glob.escape(objects), "??", "tmp_obj_*")))


def _push_head(ws: "Workspace", remote: str) -> None:
    result = git(ws.repo.location, "push", "--quiet", remote, "HEAD", check=False)
    if result.returncode != 0:
        said = [line.rstrip() for line in result.stderr.splitlines() if line.strip()]
        raise PushFailed(f"git push to '{remote}' failed: {git_reason(result.stderr)}", said)


def annotate(ws: "Workspace", name: str, type_: Optional[str] = None, path: Optional[str] = None,
             must_exist: bool = False, allow_same_path: bool = False, labels: Sequence[str] = (),
             description: Optional[str] = None, custom: Optional[str] = None, commit: bool = False,
             push: bool = False, branch: Optional[str] = None, remote_name: Optional[str] = None) -> None:
    """`annotate`: check, then add or update NAME's entry in artifacts.yaml (committed and
    pushed when asked)."""
    from git_gto.changes import check_annotation

    switch_branch(ws, branch)
    check_annotation(ws, name, list(labels), type_, path if must_exist else None)
    update_index(ws, lambda entries: I.annotate(entries, name, type_, path, must_exist, allow_same_path,
                                                list(labels), description, custom),
                 I.commit_message(name, type_, path), commit, push, remote_name)


def remove(ws: "Workspace", name: str, commit: bool = False, push: bool = False,
           branch: Optional[str] = None, remote_name: Optional[str] = None) -> None:
    """`remove`: drop NAME's entry from artifacts.yaml (committed and pushed when asked)."""
    switch_branch(ws, branch)
    update_index(ws, lambda entries: I.remove(entries, name, ws.config.index),
                 I.commit_message(name, removed=True), commit, push, remote_name)
