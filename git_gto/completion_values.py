"""Values offered on TAB: artifact names, versions, stages, refs and tags of the repository.

Imported only when a completion asks for repository values; failures complete nothing.
"""

from __future__ import annotations

import re
from typing import List, Optional


def _workspace(repo: str):
    from git_gto.workspace import Workspace

    return Workspace(repo)


def _safe(fn):
    def wrapper(*args, **kwargs) -> List[str]:
        try:
            return fn(*args, **kwargs)
        except Exception:
            return []

    return wrapper


# in the text of all tag names, one a line (regular expressions instead of a parse per tag)
_ARTIFACT_PART = re.compile(r"^([^@#\n]+)[@#]", re.MULTILINE)
_ANY_VERSION = re.compile(r"^[^@#\n]+@(v[^\n#!]+)", re.MULTILINE)
_STAGE = re.compile(r"^[^@#\n]+#([^#!\n]+)", re.MULTILINE)


@_safe
def artifact_words(repo: str, incomplete: str) -> List[str]:
    from git_gto import tags as T

    ws = _workspace(repo)
    text = ws.repo.tag_names_text()
    names = {name for part in set(_ARTIFACT_PART.findall(text)) if T.is_fullname(name := T.tag_to_name(part))}
    if "@" in incomplete or "#" in incomplete:
        base = incomplete.split("@")[0].split("#")[0]
        if base in names:
            words = [f"{base}@latest", f"{base}@greatest"]
            words += [f"{base}@{v}" for v in _versions(text, base)]
            words += [f"{base}#{s}" for s in _stages(ws, text)]
            return [w for w in words if w.startswith(incomplete)]
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
    return [v for v in _versions(_workspace(repo).repo.tag_names_text(), name) if v.startswith(incomplete)]


@_safe
def stage_words(repo: str, incomplete: str) -> List[str]:
    ws = _workspace(repo)
    return [s for s in _stages(ws, ws.repo.tag_names_text()) if s.startswith(incomplete)]


@_safe
def tag_words(repo: str, incomplete: str) -> List[str]:
    from git_gto import tags as T

    names = _workspace(repo).repo.tag_names_text().split("\n")
    return sorted(t for t in names if t.startswith(incomplete) and T.parse_tag(t))


@_safe
def ref_words(repo: str, incomplete: str) -> List[str]:
    ws = _workspace(repo)
    words = ["HEAD", *ws.repo.branches(), *ws.repo.tag_names()]
    words = [w[len("refs/heads/"):] if w.startswith("refs/heads/") else w for w in words]
    return sorted(w for w in set(words) if w.startswith(incomplete))
