"""Values offered on TAB: artifact names, versions, stages, refs and tags of the repository.

Imported only when a completion asks for repository values; failures complete nothing. No
click and no Workspace for the current repository: the fast path of `completion_fast` and
click's path both answer with these functions.
"""

from __future__ import annotations

import re
from typing import Any, Collection, List, Optional, Sequence

from git_gto.git import refs as R
from git_gto.git.discover import Location, discover


class _Repository:
    """What completion reads of a repository: its refs, and `.gto` for the stages (as the
    Workspace reads it: the work tree's, or HEAD's in a bare repository)."""

    def __init__(self, location: Location, keep: Any = None):
        self.location = location
        self.refs = R.RefSnapshot(location.commondir)
        self._keep = keep  # the Workspace of a URL's mirror, open while completing

    def tag_names_text(self) -> str:
        return self.refs.tag_names_text()

    def branches(self) -> List[str]:
        return list(R.branches(self.location.controldir, self.location.commondir, self.refs))

    @property
    def config(self):
        from git_gto.config import config_at, config_from_worktree

        if self.location.worktree:
            return config_from_worktree(self.location.worktree, self.location.commondir)
        from git_gto.git.repo import GitRepo

        repo = GitRepo(self.location)
        return config_at(repo, repo.head(), self.location.commondir)


def _open(repo: str) -> _Repository:
    if repo in (".", "", None):  # the current repository, found as Workspace(".") finds it
        return _Repository(discover(None))
    from git_gto.workspace import Workspace

    ws = Workspace(repo)
    return _Repository(ws.repo.location, ws)


def typed_argument(typed: Sequence[str], takes_value: Collection[str]) -> Optional[str]:
    """The first argument typed after the command (`typed` are the complete words, the
    command first), skipping options and their values (`takes_value`: the options that take
    one): what the parsed line does not tell while an option's value is being completed."""
    words = iter(typed[1:])
    for word in words:
        if word in takes_value:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _safe(fn):
    def wrapper(*args, **kwargs) -> List[str]:
        try:
            return fn(*args, **kwargs)
        except Exception:
            return []

    return wrapper


# in the text of all tag names, one a line (regular expressions instead of a parse per tag)
_ARTIFACT_PART = rb"([^@#\n]+)[@#]"  # the artifact part of a tag name (found by refs.tag_name_parts)
_ANY_VERSION = re.compile(r"^[^@#\n]+@(v[^\n#!]+)", re.MULTILINE)
_STAGE = re.compile(r"^[^@#\n]+#([^#!\n]+)", re.MULTILINE)


@_safe
def artifact_words(repo: str, incomplete: str) -> List[str]:
    from git_gto import tags as T

    ws = _open(repo)
    if "@" in incomplete or "#" in incomplete:  # NAME@... or NAME#...: that artifact's tags alone
        base = incomplete.split("@")[0].split("#")[0]
        if not (T.is_fullname(base) and T.tag_to_name(T.name_to_tag(base)) == base):
            return []
        own = "\n".join(T.tags_of(ws.refs, base))
        if not own:
            return []
        if incomplete[len(base)] == "@":
            words = [f"{base}@latest", f"{base}@greatest", *(f"{base}@{v}" for v in _versions(own, base))]
        else:  # the stages of every artifact: all tag names
            words = [f"{base}#{s}" for s in _stages(ws, ws.tag_names_text())]
        return [w for w in words if w.startswith(incomplete)]
    names = {name for part in ws.refs.tag_name_parts(_ARTIFACT_PART) if T.is_fullname(name := T.tag_to_name(part))}
    return sorted(n for n in names if n.startswith(incomplete))


def _versions(text: str, name: Optional[str]) -> List[str]:
    """The versions of artifact `name`, greatest first; of every artifact when `name` is None
    (nothing names the artifact on the line)."""
    from git_gto import tags as T
    from git_gto.versions import sort_versions

    pattern = _ANY_VERSION
    if name is not None:
        pattern = re.compile(r"^" + re.escape(T.name_to_tag(name)) + r"@(v[^\n#!]+)", re.MULTILINE)
    return sort_versions({v for v in pattern.findall(text) if T.is_version(v)}, name=lambda v: v)


def _stages(ws, text: str) -> List[str]:
    from git_gto import tags as T

    allowed = ws.config.stages or []
    used = {s for s in set(_STAGE.findall(text)) if T.is_name(s)}
    return list(allowed) + sorted(used - set(allowed))


@_safe
def version_words(repo: str, name: Optional[str], incomplete: str) -> List[str]:
    return [v for v in _versions(_open(repo).tag_names_text(), name) if v.startswith(incomplete)]


@_safe
def stage_words(repo: str, incomplete: str) -> List[str]:
    ws = _open(repo)
    return [s for s in _stages(ws, ws.tag_names_text()) if s.startswith(incomplete)]


@_safe
def tag_words(repo: str, incomplete: str) -> List[str]:
    from git_gto import tags as T

    names = _open(repo).tag_names_text().split("\n")
    return sorted(t for t in names if t.startswith(incomplete) and T.parse_tag(t))


@_safe
def ref_words(repo: str, incomplete: str) -> List[str]:
    ws = _open(repo)
    words = ["HEAD", *ws.branches(), *ws.refs.tag_names()]
    words = [w[len("refs/heads/"):] if w.startswith("refs/heads/") else w for w in words]
    return sorted(w for w in set(words) if w.startswith(incomplete))
