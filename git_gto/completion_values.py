"""Values offered on TAB: artifact names, versions, stages, refs and tags of the repository.

Imported only when a completion asks for repository values; failures complete nothing.
"""

from __future__ import annotations

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


@_safe
def artifact_words(repo: str, incomplete: str) -> List[str]:
    from git_gto import tags as T

    ws = _workspace(repo)
    names = set()
    for name in ws.repo.tag_names():
        parsed = T.parse_tag(name)
        if parsed:
            names.add(parsed.name)
    if "@" in incomplete or "#" in incomplete:
        base = incomplete.split("@")[0].split("#")[0]
        if base in names:
            words = [f"{base}@latest", f"{base}@greatest"]
            words += [f"{base}@{v}" for v in _versions(ws, base)]
            words += [f"{base}#{s}" for s in _stages(ws)]
            return [w for w in words if w.startswith(incomplete)]
    return sorted(n for n in names if n.startswith(incomplete))


def _versions(ws, name: Optional[str]) -> List[str]:
    """The versions of artifact `name`, greatest first; of every artifact when `name` is None
    (nothing names the artifact on the line)."""
    from git_gto import tags as T

    out = set()
    for tag in ws.repo.tag_names():
        parsed = T.parse_tag(tag)
        if parsed and parsed.version and name in (None, parsed.name):
            out.add(parsed.version)
    from git_gto.versions import sort_versions

    return sort_versions(out, name=lambda v: v)


def _stages(ws) -> List[str]:
    from git_gto import tags as T

    allowed = ws.config.stages or []
    used = set()
    for tag in ws.repo.tag_names():
        parsed = T.parse_tag(tag)
        if parsed and parsed.stage:
            used.add(parsed.stage)
    return list(allowed) + sorted(used - set(allowed))


@_safe
def version_words(repo: str, name: Optional[str], incomplete: str) -> List[str]:
    return [v for v in _versions(_workspace(repo), name) if v.startswith(incomplete)]


@_safe
def stage_words(repo: str, incomplete: str) -> List[str]:
    return [s for s in _stages(_workspace(repo)) if s.startswith(incomplete)]


@_safe
def tag_words(repo: str, incomplete: str) -> List[str]:
    from git_gto import tags as T

    return sorted(t for t in _workspace(repo).repo.tag_names() if T.parse_tag(t) and t.startswith(incomplete))


@_safe
def ref_words(repo: str, incomplete: str) -> List[str]:
    ws = _workspace(repo)
    words = ["HEAD", *ws.repo.branches(), *ws.repo.tag_names()]
    words = [w[len("refs/heads/"):] if w.startswith("refs/heads/") else w for w in words]
    return sorted(w for w in set(words) if w.startswith(incomplete))
