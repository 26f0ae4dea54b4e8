"""Use cases: read the registry and change it. No click and no printing here."""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from git_gto import registry as R
from git_gto import tags as T
from git_gto.errors import GtoError, PushFailed, UsageError
from git_gto.gitrepo import NewTag
from git_gto.versions import bump as bump_version
from git_gto.workspace import Workspace

log = logging.getLogger("git_gto")


# -- validation ------------------------------------------------------------------------------

def check_fullname(name: str) -> None:
    if not T.is_fullname(name):
        raise GtoError(T.INVALID_NAME.format(name))


def check_version(version: str) -> None:
    if not T.is_version(version):
        raise GtoError(f"Version '{version}' is not valid. Example of valid version: 'v1.0.0'")


# -- changes -------------------------------------------------------------------------------

@dataclass
class Created:
    tag: str
    kind: str  # registration, assignment, ...
    version: Optional[str]
    target: str
    message: str


@dataclass
class Change:
    """What one command writes: tags to create, or tags to delete."""

    created: List[Created] = field(default_factory=list)
    deleted: List[Tuple[str, str]] = field(default_factory=list)  # (tag, object id)
    warnings: List[str] = field(default_factory=list)


def _simple(simple: str, default: bool) -> bool:
    return default if simple == "auto" else simple == "true"


def _tag_name(ws: Workspace, action: str, name: str, simple: bool, pending: List[Created],
              version: Optional[str] = None, stage: Optional[str] = None) -> str:
    counter = None
    if not simple:
        counter = T.next_counter(name, ws.repo.tag_names() + [c.tag for c in pending])
    return T.format_tag(action, name, version=version, stage=stage, counter=counter)


def _check_free(ws: Workspace, change: Change) -> None:
    for c in change.created:
        if ws.repo.has_tag(c.tag):
            raise GtoError(f"tag '{c.tag}' already exists")


def plan_register(ws: Workspace, name: str, ref: str = "HEAD", version: Optional[str] = None,
                  message: Optional[str] = None, simple: str = "auto", force: bool = False,
                  bump: Optional[str] = None, bumps_given: int = 0,
                  change: Optional[Change] = None) -> Change:
    """The registration tag for NAME at REF (gto's rules for picking the version)."""
    change = change or Change()
    check_fullname(name)
    if bumps_given + (1 if version else 0) > 1:
        raise UsageError("Need to specify either version or single bump argument")
    commit = ws.resolve(ref)
    artifact = ws.registry().artifact(name) or R.Artifact(name)
    at_commit = artifact.find_version(commit=commit)
    if len(at_commit) > 1:
        names = ", ".join(v.name for v in at_commit)
        raise GtoError(f"'{name}' has several versions registered at this commit ({names}); fix the tags first")
    existing = at_commit[0] if at_commit else None
    if existing is not None:
        if not force and existing.is_registered and existing.is_active:
            raise GtoError(f"'{name}' is already registered in this commit with version '{existing.name}'")
        if not version:
            version = existing.name
        elif version != existing.name:
            raise GtoError(f"For this REF you can only register {existing.name}")
    if version:
        if not T.is_version(version):
            raise GtoError(f"Supplied version '{version}' cannot be parsed (expected vX.Y.Z, e.g. v1.0.0)")
        same_name = artifact.find_version(name=version)
        if same_name and same_name != [existing]:
            raise GtoError(f"Version '{version}' already was registered.")
    else:
        last = artifact.latest(registered_only=True)
        if last is not None:
            version = bump_version(last.name, bump or "patch")
        elif bumps_given:
            raise GtoError("Can't apply bump, because this is the first version being registered")
        else:
            version = "v0.0.1"
    tag = _tag_name(ws, T.REGISTER, name, _simple(simple, True), change.created, version=version)
    change.created.append(Created(
        tag, R.REGISTRATION, version, commit,
        message or f"Registering artifact {name} version {version}",
    ))
    return change


def plan_assign(ws: Workspace, name: str, stage: str, ref: Optional[str] = None,
                version: Optional[str] = None, message: Optional[str] = None,
                simple: str = "auto", force: bool = False,
                skip_registration: bool = False) -> Change:
    """Assign STAGE to a version: an existing one (`version`) or the one at REF, which is
    registered on the way unless `skip_registration`. Both tags or neither."""
    check_fullname(name)
    ws.config.check_stage(stage)
    new_name = version if ref is not None else None
    existing_name = version if ref is None else None
    if ref is None and version is None:
        ref = "HEAD"
    if version:
        check_version(version)
    if new_name and skip_registration:
        raise GtoError("You either need to supply version name or skip registration")
    change = Change()
    artifact = ws.registry().artifact(name) or R.Artifact(name)
    if existing_name:
        if not artifact.versions:
            raise GtoError(f"Cannot find artifact '{name}'")
        target = _one_version(artifact, existing_name, f"Version '{existing_name}' of '{name}' is not registered")
        commit, version_name = target.commit, target.name
    else:
        commit = ws.resolve(ref)
        at_commit = artifact.find_version(commit=commit)
        if len(at_commit) > 1:
            names = ", ".join(v.name for v in at_commit)
            raise GtoError(f"'{name}' has several versions registered at this commit ({names}); fix the tags first")
        if at_commit:
            target = at_commit[0]
            if new_name:
                raise GtoError(
                    f"Can't register '{new_name}', since '{target.name}' is registered already at this ref"
                )
            version_name = target.name
        elif skip_registration:
            hexsha = [v for v in artifact.find_version(commit=commit, discovered=True) if v.name == commit]
            target = hexsha[0] if hexsha else None
            version_name = commit
        else:
            plan_register(ws, name, commit, version=new_name, simple="true", change=change)
            target = None
            version_name = change.created[-1].version
    if not force and target is not None and any(s.stage == stage for s in target.active_vstages()):
        raise GtoError(
            f"Version '{version_name}' is already in stage '{stage}'. "
            "Use the '--force' flag to create a new Git tag nevertheless."
        )
    tag = _tag_name(ws, T.ASSIGN, name, _simple(simple, False), change.created, stage=stage)
    change.created.append(Created(
        tag, R.ASSIGNMENT, version_name, commit,
        message or f"Assigning stage {stage} to artifact {name} version {version_name}",
    ))
    return change


def _one_version(artifact: R.Artifact, name: str, missing: str) -> R.Version:
    """The registered version called `name`; an error if there is none, or several."""
    found = artifact.find_version(name=name)
    if not found:
        raise GtoError(missing)
    if len(found) > 1:
        where = ", ".join(v.commit[:7] for v in found)
        raise GtoError(f"version {name} of '{artifact.name}' is registered on several commits ({where}); "
                       "delete the wrong tag first")
    return found[0]


def _deletions(ws: Workspace, events: List[R.Event]) -> Change:
    change = Change()
    refs = ws.repo.tag_refs()
    for e in sorted(events, key=lambda e: e.time):
        if e.tag and e.tag not in [t for t, _ in change.deleted]:
            change.deleted.append((e.tag, refs.get(e.tag, "")))
    return change


def plan_unassign(ws: Workspace, name: str, version: str, stage: str, message: Optional[str] = None,
                  simple: str = "auto", force: bool = False, delete: bool = False) -> Change:
    check_fullname(name)
    ws.config.check_stage(stage)
    check_version(version)
    artifact = ws.find_artifact(name)
    target = _one_version(artifact, version, f"Version '{version}' of '{name}' is not registered")
    if not force and stage not in target.stages:
        raise GtoError(f"Stage '{stage}' is not assigned to a version '{target.name}'")
    if delete:
        vstage = target.stages.get(stage)
        return _deletions(ws, vstage.assignments + vstage.unassignments if vstage else [])
    change = Change()
    tag = _tag_name(ws, T.UNASSIGN, name, _simple(simple, False), [], stage=stage)
    change.created.append(Created(
        tag, R.UNASSIGNMENT, target.name, target.commit,
        message or f"Unassigning stage '{stage}' to artifact '{name}' version '{target.name}'",
    ))
    return change


def plan_deregister(ws: Workspace, name: str, version: str, message: Optional[str] = None,
                    simple: str = "auto", force: bool = False, delete: bool = False) -> Change:
    check_fullname(name)
    check_version(version)
    artifact = ws.registry().artifact(name) or R.Artifact(name)
    found = artifact.find_version(name=version)
    if found:
        found = [_one_version(artifact, version, "")]
    if not force:
        if not found:
            raise GtoError(f"Version '{version}' of '{name}' is not registered")
        if not found[-1].is_registered:
            raise GtoError(f"Version '{version}' of '{name}' (commit {found[-1].commit[:7]}) is not registered")
        if not found[-1].is_active:
            raise GtoError(f"Version '{version}' of '{name}' was deregistered already")
    if not found:
        raise GtoError("Can't deregister a version that has no git tags")
    target = found[-1]
    if delete:
        return _deletions(ws, target.events())
    change = Change()
    tag = _tag_name(ws, T.DEREGISTER, name, _simple(simple, True), [], version=version)
    change.created.append(Created(
        tag, R.DEREGISTRATION, version, target.commit,
        message or f"Deregistering artifact {name} version {version}",
    ))
    return change


def plan_deprecate(ws: Workspace, name: str, ref: Optional[str] = None, message: Optional[str] = None,
                   simple: str = "auto", force: bool = False, delete: bool = False) -> Change:
    check_fullname(name)
    reg = ws.registry()
    if force:
        if simple == "true":
            raise UsageError("Can't use 'force' with 'simple=True'")
        is_simple = False
    else:
        is_simple = _simple(simple, True)
        artifact = ws.find_artifact(name)
        if not reg.active(artifact):
            raise GtoError(f"Artifact '{name}' was deprecated already")
    artifact = reg.artifact(name)
    if delete:
        if artifact is None:
            raise GtoError(f"Cannot find artifact '{name}'")
        return _deletions(ws, artifact.events())
    if ref is not None:
        commit = ws.resolve(ref)
    elif artifact is not None and reg.enrich(artifact).events():
        commit = artifact.events()[0].commit
    else:
        commit = ws.resolve("HEAD")
    change = Change()
    if artifact is not None:
        _after_newest_event(ws, artifact, change)
    tag = _tag_name(ws, T.DEPRECATE, name, is_simple, [])
    change.created.append(Created(tag, R.DEPRECATION, None, commit,
                                  message or f"Deprecating artifact '{name}'"))
    return change


def _after_newest_event(ws: Workspace, artifact: R.Artifact, change: Change) -> None:
    """Events are ordered by the second, and a version event wins a tie: a deprecation in
    the same second as the artifact's newest event would not count. On the wall clock, wait
    for the next second; with a fixed GIT_COMMITTER_DATE, say so."""
    import time

    newest = max((e.time for v in artifact.versions for e in v.events()), default=None)
    if newest is None or newest < ws.repo.tagger().time:
        return
    if not os.environ.get("GIT_COMMITTER_DATE"):
        time.sleep(max(0.0, newest + 1 - time.time()))
    else:
        change.warnings.append(
            f"'{artifact.name}' changed in the same second (GIT_COMMITTER_DATE): "
            "this deprecation does not take effect"
        )


def has_remote(ws: Workspace, remote: str = "origin") -> bool:
    config = ws.repo.dulwich.get_config()
    try:
        config.get((b"remote", remote.encode()), b"url")
    except KeyError:
        return False
    return True


def apply(ws: Workspace, change: Change, push: bool) -> None:
    """Write the change locally, then push it in one atomic `git push`; undo the local
    part if the push fails. Validation happens before anything is written."""
    push = push or ws.remote_url is not None
    if push and not has_remote(ws):
        raise GtoError("cannot push: the repository has no remote 'origin' (nothing was written)")
    _check_free(ws, change)
    if change.created:
        ws.repo.create_tags([NewTag(c.tag, c.target, c.message) for c in change.created])
    if change.deleted:
        ws.repo.delete_tags([t for t, _ in change.deleted])
    if not push:
        return
    refspecs = [f"refs/tags/{c.tag}:refs/tags/{c.tag}" for c in change.created]
    refspecs += [f":refs/tags/{t}" for t, _ in change.deleted]
    log.info("git push --atomic origin %s", " ".join(refspecs))
    result = subprocess.run(
        ["git", "push", "--atomic", "--quiet", "origin", *refspecs],
        cwd=ws.repo.worktree or ws.repo.controldir,
        env=_git_env(ws), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        ws.repo.delete_tags([c.tag for c in change.created])
        ws.repo.restore_tags(change.deleted)
        reason = _push_reason(result.stderr)
        raise PushFailed(
            f"git push to 'origin' failed{reason}; nothing was changed locally either. "
            "Sync with `git fetch --tags origin` and try again."
        )


def _push_reason(stderr: str) -> str:
    for line in stderr.splitlines():
        line = line.strip()
        if "[rejected]" in line or "already exists" in line:
            return f" ({' '.join(line.lstrip('! ').split())})"
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    return f" ({lines[-1]})" if lines else ""


def _git_env(ws: Workspace) -> Dict[str, str]:
    env = dict(os.environ)
    env["GIT_DIR"] = ws.repo.controldir
    if ws.repo.worktree:
        env["GIT_WORK_TREE"] = ws.repo.worktree
    return env


# -- read side -------------------------------------------------------------------------------

def check_ref(ws: Workspace, ref: str) -> List[R.Event]:
    name = ref[len("refs/tags/"):] if ref.startswith("refs/tags/") else ref
    parsed = T.parse_tag(name)
    if parsed is None or not ws.repo.has_tag(name):
        return []
    artifact = ws.registry().artifact(parsed.name)
    if artifact is None:
        return []
    events = [e for e in artifact.events() if e.tag == name]
    if len(events) > 1:
        raise GtoError("Checking refs that created 1+ events is not supported")
    return events


def history(ws: Workspace, name: Optional[str] = None, ascending: bool = False) -> List[R.Event]:
    """Every tag event, newest first (within a second, the higher priority first)."""
    reg = ws.registry()
    names = reg.names if name is None else [n for n in reg.names if n == name]
    events = [
        e for n in names for e in reg.artifact(n, keep=False).events() if e.kind != R.COMMIT
    ]
    events.sort(key=lambda e: (e.time, e.priority))
    if not ascending:
        events.reverse()
    return events


def stages(ws: Workspace, allowed: bool = False, used: bool = False) -> Optional[List[str]]:
    if allowed and used:
        raise UsageError("--allowed and --used cannot be used together")
    if allowed:
        return ws.config.stages
    if used or ws.config.stages is None:
        return used_stages(ws)
    return ws.config.stages


def used_stages(ws: Workspace) -> List[str]:
    """Stages some version of some artifact (deprecated ones too) is in now."""
    names = set()
    for name in ws.registry().names:
        names.update(summary(ws, name).stages)
    return sorted(names)


@dataclass
class Summary:
    """What the registry view needs of one artifact (cached with the artifact's tags)."""

    latest: Optional[str]
    stages: Dict[str, List[str]]
    registered: bool
    active: bool


def summary(ws: Workspace, name: str, registered_only: bool = False, assignments_per_version: int = -1,
            versions_per_stage: int = 1, sort: str = "semver",
            built: Optional[Dict[str, R.Artifact]] = None) -> Summary:
    """The registry-view summary of one artifact, from the cache or computed; `built` lends
    an artifact already built by the caller (several summaries of one artifact)."""
    key = (registered_only, assignments_per_version, versions_per_stage, sort, ws.annotated_at(name))
    cached = ws.cache.summary(name, key)
    if cached is None:
        reg = ws.registry()
        artifact = built.get(name) if built is not None else None
        if artifact is None:
            artifact = reg.artifact(name, keep=False)
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


def show_registry(ws: Workspace, registered_only: bool = False, deprecated: bool = False,
                  assignments_per_version: int = -1, versions_per_stage: int = 1,
                  sort: str = "timestamp") -> Tuple[List[str], List[ArtifactSummary]]:
    """The stage columns and one summary per artifact, in the order artifacts were seen."""
    _check_limits(assignments_per_version, versions_per_stage)
    found = []
    used = set()
    for name in ws.registry().names:
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


def show_versions(ws: Workspace, name: str, ref: Optional[str] = None,
                  registered_only: bool = False, deprecated: bool = False,
                  assignments_per_version: int = -1, versions_per_stage: int = 1,
                  sort: str = "timestamp") -> Tuple[R.Artifact, List[Tuple[R.Version, List[R.VStage]]]]:
    """The versions of one artifact (greatest first) with the stages each one shows."""
    _check_limits(assignments_per_version, versions_per_stage)
    shortcut = T.parse_shortcut(name)
    if shortcut.is_shortcut and ref:
        raise UsageError("Cannot specify both a shortcut and --ref")
    reg = ws.registry()
    artifact = reg.artifact(shortcut.name)
    if artifact is None:
        raise GtoError(f"Cannot find artifact '{shortcut.name}'")
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
