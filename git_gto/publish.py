"""Applying a change: all its tags or none, locally and on the remote (one atomic
`git push`), undone locally when the push fails; and committing `artifacts.yaml`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Set, Tuple

from git_gto import index as I
from git_gto.errors import GtoError, PushFailed, UsageError
from git_gto.git.repo import NewTag
from git_gto.git.run import GitFailed, git, git_reason

if TYPE_CHECKING:
    from git_gto.changes import Change
    from git_gto.workspace import Workspace

ATTEMPTS = 3  # plans of one write to a remote registry (-r URL) whose remote keeps moving
_MOVED = ("already exists", "fetch first", "stale info", "non-fast-forward")


class RemoteMoved(PushFailed):
    """The push was refused because the remote has changed since it was read."""

    def __init__(self, message: str, said: List[str], reasons: List[str]):
        super().__init__(message, said)
        self.reasons = reasons


def pushes(ws: "Workspace", push: bool) -> bool:
    """A change is pushed when asked, and always for a remote (`-r URL`) registry."""
    return push or ws.remote_url is not None


def push_remote(ws: "Workspace", name: Optional[str] = None) -> Optional[str]:
    """The remote git would push to: `name` if given, else the current branch's
    `pushRemote`, `remote.pushDefault`, the branch's `remote`, then `origin`; None when that
    remote is not configured."""
    settings = ws.repo.git_config(r"^(branch|remote)\.")  # one `git config`, as git reads it
    if not name:
        branch = ws.repo.current_branch()
        candidates = [
            settings.get(f"branch.{branch}.pushremote") if branch else None,
            settings.get("remote.pushdefault"),
            settings.get(f"branch.{branch}.remote") if branch else None,
        ]
        name = next((c for c in candidates if c and c != "."), "origin")
    if name.startswith("-"):
        raise UsageError(f"--remote takes a remote's name, not '{name}'")
    return name if f"remote.{name}.url" in settings else None


def check_remote(ws: "Workspace", name: Optional[str] = None) -> str:
    """The remote to push to; refused before anything is written when there is none."""
    remote = push_remote(ws, name)
    if remote is None:
        wanted = f"remote '{name}'" if name else "remote to push to (see git remote -v)"
        raise GtoError(f"cannot push: the repository has no {wanted} (nothing was written)")
    return remote


def apply_planned(ws: "Workspace", plan: Callable[[], "Change"], push: bool,
                  remote_name: Optional[str] = None, sign: Optional[bool] = None) -> Tuple["Change", List[str]]:
    """Plan the change and apply it. For a remote registry (-r URL), a push refused because
    the remote moved (someone took the version or the counter) fetches the remote again and
    plans again, up to ATTEMPTS times, saying so; a plan that is now refused (the version is
    taken) is refused as such. Returns the change applied and what to tell the user."""
    notes: List[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        try:
            change = plan()
        except GtoError as e:
            if attempt > 1:  # one line: the refusal, and why it came only now
                e.message = f"{e.message} (planned again after '{ws.remote_url}' moved during the push)"
                e.args = (e.message,)
            raise
        try:
            return change, notes + apply(ws, change, push, remote_name, sign)
        except RemoteMoved as e:
            if ws.remote_url is None or attempt == ATTEMPTS:
                raise
            notes += e.said + [f"warning: '{ws.remote_url}' moved during the push ({'; '.join(e.reasons)}): "
                               f"fetched it, planning again (attempt {attempt + 1} of {ATTEMPTS})"]
            ws.refresh()
    raise AssertionError("unreachable")


def apply(ws: "Workspace", change: "Change", push: bool, remote_name: Optional[str] = None,
          sign: Optional[bool] = None) -> List[str]:
    """Write the change locally (its tags signed for `sign`, or as `tag.gpgSign` says when
    None), then push it in one atomic `git push`; undo the local part when the remote
    refused it. Validation (the policy included) happens before anything is written.
    Returns what git said while pushing (hooks, `remote:` lines), for the user."""
    from git_gto.changes import check_policy
    from git_gto.git.signing import git_config, signer

    push = pushes(ws, push)
    remote = check_remote(ws, remote_name) if push else None
    for c in change.created:
        if ws.repo.has_tag(c.tag):
            raise GtoError(f"tag '{c.tag}' already exists")
    tagger = ws.tagger() if change.created else None
    by = signer(git_config(ws.repo), tagger, sign) if tagger is not None else None
    check_policy(ws, change, by, tagger)
    if change.created:
        ws.repo.create_tags([NewTag(c.tag, c.target, c.message, c.not_before) for c in change.created], by, tagger)
    if change.deleted:
        ws.repo.delete_tags([t for t, _ in change.deleted])
    if remote is None:
        return []
    refspecs = [f"refs/tags/{c.tag}:refs/tags/{c.tag}" for c in change.created]
    refspecs += [f":refs/tags/{t}" for t, _ in change.deleted]
    atomic = ["--atomic"] if len(refspecs) > 1 else []  # one ref needs no transaction (nor the capability)
    result = git(ws.repo.location, "push", *atomic, "--quiet", "--porcelain", "--", remote, *refspecs,
                 check=False)
    said = [line.rstrip() for line in result.stderr.splitlines() if line.strip()]
    if result.returncode == 0:
        return said
    refused = _refusals(result.stdout)
    if not refused and not _never_connected(result.stderr):
        # no verdict from the remote: it may have applied the push before breaking off
        landed = _landed(ws, remote, change)
        if landed:
            return said + [f"git push did not finish ({git_reason(result.stderr)}), but '{remote}' has the "
                           "change: it went through"]
        if landed is None:
            ws.repo.restore_tags(change.deleted)  # deleting is what can lose data: undo it
            kept = "; the tags created are kept" if change.created else ""
            restored = "; the tags deleted are restored" if change.deleted else ""
            raise PushFailed(
                f"the outcome of the push to '{remote}' is unknown ({git_reason(result.stderr)}){kept}"
                f"{restored}: check with `git ls-remote {remote} {' '.join(_quoted(change))}`", said)
    ws.repo.delete_tags([c.tag for c in change.created])
    ws.repo.restore_tags(change.deleted)
    reasons = sorted(set(refused)) or [git_reason(result.stderr)]
    failed = f"git push to '{ws.remote_url or remote}' failed: {'; '.join(reasons)}; nothing was changed"
    # the remote moved after it listed its refs: its ref transaction found the tag there
    lost_race = "reference already exists" in result.stderr or "but expected" in result.stderr
    if not lost_race and not any(word in r for r in reasons for word in _MOVED):
        raise PushFailed(f"{failed} locally either.", said)
    if ws.remote_url:
        raise RemoteMoved(f"{failed}: the remote moved {ATTEMPTS} times while this was planned and pushed; "
                          "try again", said, reasons)
    raise RemoteMoved(f"{failed} locally either. The remote has moved: `git fetch --tags {remote}` and "
                      "try again.", said, reasons)


# what git says when the push never reached the remote, or stopped before sending it any
# ref (a capability it lacks: --atomic); nothing can have been applied
_NO_CONNECTION = ("Could not read from remote repository", "does not appear to be a git repository",
                  "unable to access", "Could not resolve host", "Connection refused",
                  "No such file or directory", "Permission denied (publickey",
                  "the receiving end does not support")


def _never_connected(stderr: str) -> bool:
    return any(words in stderr for words in _NO_CONNECTION)


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
    result = git(ws.repo.location, "push", "--quiet", "--", remote, "HEAD", check=False)
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
