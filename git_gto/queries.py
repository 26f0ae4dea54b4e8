"""The reads behind show, history, check-ref, stages, describe and doctor: registry objects
in, plain data out (rendering is `views` and `output`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from git_gto import registry as R
from git_gto import rules
from git_gto import tags as T
from git_gto.errors import GtoError, UsageError

if TYPE_CHECKING:
    from git_gto.index import Annotation
    from git_gto.workspace import Workspace


def check_ref(ws: "Workspace", ref: str) -> List[R.Event]:
    name = ref[len("refs/tags/"):] if ref.startswith("refs/tags/") else ref
    parsed = T.parse_tag(name)
    if parsed is None or not ws.repo.has_tag(name):
        return []
    artifact = ws.registry.artifact(parsed.name)
    if artifact is None:
        return []
    events = [e for e in artifact.events() if e.tag == name]
    if len(events) > 1:
        raise GtoError("Checking refs that created 1+ events is not supported")
    return events


def history(ws: "Workspace", name: Optional[str] = None, ascending: bool = False) -> List[R.Event]:
    """Every tag event, newest first (within a second, the higher priority first)."""
    reg = ws.registry
    if name and name not in reg.names:
        raise GtoError(f"Cannot find artifact '{name}'")
    names = [n for n in reg.names if n == name] if name else reg.names
    events = [
        e for n in names for e in _built(reg, n).events() if e.kind != R.COMMIT
    ]
    events.sort(key=lambda e: (e.time, e.priority))
    if not ascending:
        events.reverse()
    return events


def _built(reg: R.Registry, name: str) -> R.Artifact:
    """A known artifact, built for a one-off look (not kept in memory)."""
    artifact = reg.artifact(name, keep=False)
    assert artifact is not None, name
    return artifact


def stages(ws: "Workspace", allowed: bool = False, used: bool = False) -> Optional[List[str]]:
    if allowed and used:
        raise UsageError("--allowed and --used cannot be used together")
    if allowed:
        return ws.config.stages
    if used or ws.config.stages is None:
        return used_stages(ws)
    return ws.config.stages


def used_stages(ws: "Workspace") -> List[str]:
    """Stages some version of some artifact (deprecated ones too) is in now."""
    names: set = set()
    for name in ws.registry.names:
        names.update(summary(ws, name).stages)
    return sorted(names)


@dataclass
class Summary:
    """What the registry view needs of one artifact (cached with the artifact's tags)."""

    latest: Optional[str]
    stages: Dict[str, List[str]]
    registered: bool
    active: bool


def summary(ws: "Workspace", name: str, registered_only: bool = False, assignments_per_version: int = -1,
            versions_per_stage: int = 1, sort: str = "semver",
            built: Optional[Dict[str, R.Artifact]] = None) -> Summary:
    """The registry-view summary of one artifact, from the cache or computed; `built` lends
    an artifact already built by the caller (several summaries of one artifact)."""
    key = (registered_only, assignments_per_version, versions_per_stage, sort, ws.loader.annotated_at(name))
    cached = ws.cache.summary(name, key)
    if cached is None:
        reg = ws.registry
        artifact = built.get(name) if built is not None else None
        if artifact is None:
            artifact = _built(reg, name)
            if built is not None:
                built[name] = artifact
        latest = artifact.latest(registered_only=True)
        in_stage = artifact.vstages(registered_only, assignments_per_version, versions_per_stage, sort)
        cached = (
            latest.name if latest else None,
            {stage: [v.version for v in vstages] for stage, vstages in in_stage.items()},
            artifact.is_registered,
            reg.active(artifact),
        )
        ws.cache.put_summary(name, key, cached)
    return Summary(*cached)


def _check_limits(assignments_per_version: int, versions_per_stage: int) -> None:
    if assignments_per_version < -1:
        raise UsageError("'--assignments-per-version' must be >= -1")
    if versions_per_stage < -1:
        raise UsageError("'--versions-per-stage' must be >= -1")


@dataclass
class ArtifactSummary:
    """One row of the registry view."""

    name: str
    latest: Optional[str]
    stages: Dict[str, Optional[List[str]]]
    registered: bool
    active: bool


def show_registry(ws: "Workspace", registered_only: bool = False, deprecated: bool = False,
                  assignments_per_version: int = -1, versions_per_stage: int = 1,
                  sort: str = "timestamp") -> Tuple[List[str], List[ArtifactSummary]]:
    """The stage columns and one summary per artifact, in the order artifacts were seen."""
    _check_limits(assignments_per_version, versions_per_stage)
    found = []
    used: set = set()
    for name in ws.registry.names:
        built: Dict[str, R.Artifact] = {}  # one build serves both summaries
        view = summary(ws, name, registered_only, assignments_per_version, versions_per_stage,
                       sort, built=built)
        if ws.config.stages is None:
            # the stages in use are those of the default view; a view that keeps every
            # stage of every version (no --ro, no --av) has the very same ones
            same = not registered_only and assignments_per_version == -1
            used.update((view if same else summary(ws, name, built=built)).stages)
        found.append((name, view))
    stage_names = list(ws.config.stages) if ws.config.stages is not None else sorted(used)
    rows = [
        ArtifactSummary(name, s.latest, {stage: s.stages.get(stage) or None for stage in stage_names},
                        s.registered, s.active)
        for name, s in found if s.active or deprecated
    ]
    return stage_names, rows


VersionRows = List[Tuple[R.Version, List[R.VStage]]]


def show_versions(ws: "Workspace", name: str, ref: Optional[str] = None,
                  registered_only: bool = False, deprecated: bool = False,
                  assignments_per_version: int = -1, versions_per_stage: int = 1,
                  sort: str = "timestamp") -> Tuple[R.Artifact, VersionRows]:
    """The versions of one artifact (greatest first) with the stages each one shows."""
    _check_limits(assignments_per_version, versions_per_stage)
    shortcut = T.parse_shortcut(name)
    if shortcut.is_shortcut and ref:
        raise UsageError("Cannot specify both a shortcut and --ref")
    reg = ws.registry
    artifact = ws.find_artifact(shortcut.name)
    reg.enrich(artifact)
    in_stage = artifact.vstages(registered_only, assignments_per_version, versions_per_stage, sort)
    rows = []
    if reg.active(artifact) or deprecated:
        for version in artifact.get_versions(active_only=not deprecated,
                                             include_non_explicit=not registered_only,
                                             include_discovered=True):
            stages = [s for ss in in_stage.values() for s in ss if s.version == version.name]
            rows.append((version, stages))
    if ref:
        commit = ws.resolve(ref)
        rows = [r for r in rows if r[0].commit == commit]
    elif shortcut.latest:
        rows = rows[:1]
    elif shortcut.version:
        rows = [r for r in rows if r[0].name == shortcut.version]
    elif shortcut.stage:
        rows = [r for r in rows for s in r[1] if s.stage == shortcut.stage]
    return artifact, rows


def describe(ws: "Workspace", name: str, rev: Optional[str] = None) -> Optional["Annotation"]:
    """The annotation of NAME: from the work tree, at --rev, or at a shortcut's version."""
    from git_gto.index import read_worktree_index

    shortcut = T.parse_shortcut(name)
    if shortcut.is_shortcut:
        if rev:
            raise UsageError("Either specify --rev or use a naming shortcut")
        _artifact, rows = show_versions(ws, name)
        if not rows:
            return None
        if len(rows) > 1:
            raise GtoError("Ambiguous naming shortcut: several versions match")
        return ws.index_at(rows[0][0].commit).get(shortcut.name)
    if rev is None and ws.repo.worktree is not None:
        return read_worktree_index(ws.repo.worktree, ws.config.index).get(name)
    commit = ws.resolve(rev or "HEAD")
    return ws.index_at(commit).get(name)


def problems(ws: "Workspace") -> List[str]:
    """What `doctor` reports: tags left out of the registry, and inconsistent versions."""
    reg = ws.registry
    found = list(reg.skipped) + reg.dangling()
    for artifact in reg.artifacts.values():
        found += rules.inconsistencies(artifact)
    return found
