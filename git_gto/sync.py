"""The local registry and a remote's: bringing the remote's tags in (`git gto fetch`), and
what differs between the two (`git gto status`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from git_gto import tags as T
from git_gto.errors import GtoError, UsageError

if TYPE_CHECKING:
    from git_gto.workspace import Workspace

NOT_PUSHED, ONLY_REMOTE, DIFFERS = "not pushed", "only on the remote", "differs"
EVENTS = {T.REGISTER: "registration", T.DEREGISTER: "deregistration", T.ASSIGN: "assignment",
          T.UNASSIGN: "unassignment", T.DEPRECATE: "deprecation", T.CREATE: "creation"}


def remote_of(ws: "Workspace", remote: Optional[str]) -> str:
    """The remote named, else the one `git fetch` would read; refused when there is none."""
    if ws.remote_url is not None:
        raise UsageError("-r takes a local repository here: the remote is the REMOTE argument")
    if remote is not None and remote.startswith("-"):
        raise GtoError(f"'{remote}' is not a remote name or URL: it begins with '-'")
    name = remote or ws.fetch_remote()
    if name is None:
        raise GtoError("the repository has no remote to read (see git remote -v); name one: REMOTE")
    return name


def fetch(ws: "Workspace", remote: Optional[str]) -> Tuple[str, List[str], List[str], List[str]]:
    """Bring the remote's registry tags in: (remote, new tags, git's other words, tags kept
    because they differ from the remote's)."""
    from git_gto.git.remote import fetch_tags
    from git_gto.git.repo import GitRepo
    from git_gto.workspace import FETCHED_MARK

    name = remote_of(ws, remote)
    before = set(ws.repo.tag_names())
    said, kept = fetch_tags(ws.repo, name)
    new = sorted(n for n in set(GitRepo(ws.repo.location).tag_names()) - before if T.parse_tag(n))
    mark = os.path.join(ws.repo.commondir, FETCHED_MARK)
    try:
        os.makedirs(os.path.dirname(mark), exist_ok=True)
        with open(mark, "w"):
            pass
    except OSError:
        pass  # a read-only repository: the hint stays
    return name, new, said, kept


def status(ws: "Workspace", remote: Optional[str]) -> Tuple[str, List[Dict[str, Optional[str]]]]:
    """The registry tags that differ between the repository and the remote: events not
    pushed, events only on the remote, one tag name with two objects."""
    from git_gto.git.remote import remote_tags

    name = remote_of(ws, remote)
    theirs = {t: s for t, s in remote_tags(ws.repo, name).items() if T.parse_tag(t)}
    ours = {t: s for t, s in ws.repo.tag_refs().items() if T.parse_tag(t)}
    rows = []
    for tag in sorted(set(ours) | set(theirs)):
        local, there = ours.get(tag), theirs.get(tag)
        if local == there:
            continue
        parsed = T.parse_tag(tag)
        assert parsed is not None
        rows.append({
            "artifact": parsed.name, "event": EVENTS.get(parsed.action or "", parsed.action),
            "version": parsed.version, "stage": parsed.stage, "tag": tag,
            "status": NOT_PUSHED if there is None else ONLY_REMOTE if local is None else DIFFERS,
            "local": local, "remote": there,
        })
    return name, rows


def differs_error(name: str, kept: List[str]) -> GtoError:
    return GtoError(f"{len(kept)} tag(s) differ from those of '{name}' and were kept as they are "
                    f"(see `git gto status {name}`)", said=kept)
