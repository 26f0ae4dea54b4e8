"""Plans: the tags that register, assign, unassign, deregister and deprecate would create
or delete. Nothing is written here: every refusal happens before `publish` writes a tag."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, List, Optional, Tuple

from git_gto import registry as R
from git_gto import rules
from git_gto import tags as T
from git_gto.errors import GtoError, UsageError
from git_gto.versions import bump as bump_version

if TYPE_CHECKING:
    from git_gto.git.objects import Identity
    from git_gto.git.signing import Signer
    from git_gto.workspace import Workspace


class Created:
    """A tag to create, refused at once if git would refuse its name or message;
    `not_before`: the earliest tagger time it may have (epoch seconds)."""

    def __init__(self, tag: str, kind: str, version: Optional[str], target: str, message: str,
                 not_before: Optional[int] = None) -> None:
        rules.check_new_tag(tag, message)
        self.tag, self.kind, self.version, self.target = tag, kind, version, target  # kind: registration, ...
        self.message, self.not_before = message, not_before


class Change:
    """What one command writes: tags to create, or tags to delete."""

    def __init__(self) -> None:
        self.created: List[Created] = []
        self.deleted: List[Tuple[str, str]] = []  # (tag, object id)
        self.warnings: List[str] = []


def _writing(ws: "Workspace") -> None:
    """Take the repository's writer lock before reading anything to plan with, so that the
    checks and the write are one step for racing writers (held until the workspace closes);
    what was read before it is read again."""
    if ws.repo.hold_write_lock():
        ws.reload()


def _simple(simple: str, default: bool) -> bool:
    return default if simple == "auto" else simple == "true"


def _tag_name(ws: "Workspace", action: str, name: str, simple: bool, pending: List[Created],
              version: Optional[str] = None, stage: Optional[str] = None) -> str:
    counter = None
    if not simple:
        counter = T.next_counter(name, ws.repo.tag_names() + [c.tag for c in pending])
    return T.format_tag(action, name, version=version, stage=stage, counter=counter)


def _artifact(ws: "Workspace", name: str) -> R.Artifact:
    return ws.registry.artifact(name) or R.Artifact(name)


def plan_register(ws: "Workspace", name: str, ref: str = "HEAD", version: Optional[str] = None,
                  message: Optional[str] = None, simple: str = "auto", force: bool = False,
                  bump: Optional[str] = None, bumps_given: int = 0,
                  change: Optional[Change] = None) -> Change:
    """The registration tag for NAME at REF (gto's rules for picking the version)."""
    change = change or Change()
    rules.check_fullname(name)
    _writing(ws)
    if bumps_given + (1 if version else 0) > 1:
        raise UsageError("Need to specify either version or single bump argument")
    commit = ws.resolve(ref)
    artifact = _artifact(ws, name)
    existing = rules.registered_at(artifact, commit)
    rules.check_commit_registration(existing, name, version, force)
    if version:
        rules.check_version_name_free(artifact, version, existing)
    elif existing is not None:
        version = existing.name
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


def plan_assign(ws: "Workspace", name: str, stage: str, ref: Optional[str] = None,
                version: Optional[str] = None, message: Optional[str] = None,
                simple: str = "auto", force: bool = False,
                skip_registration: bool = False) -> Change:
    """Assign STAGE to a version: an existing one (`version`) or the one at REF, which is
    registered on the way unless `skip_registration`. Both tags or neither."""
    rules.check_fullname(name)
    _writing(ws)
    rules.check_stage(ws.config, stage)
    if version == "":
        raise UsageError("--version needs a value (a version such as v1.0.0)")
    new_name = version if ref is not None else None
    existing_name = version if ref is None else None
    if ref is None and version is None:
        ref = "HEAD"
    if version:
        rules.check_version(version)
    if new_name and skip_registration:
        raise GtoError("You either need to supply version name or skip registration")
    change = Change()
    artifact = _artifact(ws, name)
    target: Optional[R.Version]
    if existing_name:
        if not artifact.versions:
            raise GtoError(f"Cannot find artifact '{name}'")
        target = rules.one_version(artifact, existing_name, f"Version '{existing_name}' of '{name}' is not registered")
        commit, version_name = target.commit, target.name
    else:
        commit = ws.resolve(ref if ref is not None else "HEAD")
        target = rules.registered_at(artifact, commit)
        if target is not None:
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
            version_name = change.created[-1].version or ""
    rules.check_assignment(target, version_name, stage, force)
    tag = _tag_name(ws, T.ASSIGN, name, _simple(simple, False), change.created, stage=stage)
    change.created.append(Created(
        tag, R.ASSIGNMENT, version_name, commit,
        message or f"Assigning stage {stage} to artifact {name} version {version_name}",
    ))
    return change


def _deletions(ws: "Workspace", events: List[R.Event]) -> Change:
    """The events' tags, oldest first, each with its object id (read for these tags only)."""
    change = Change()
    names = list(dict.fromkeys(e.tag for e in sorted(events, key=lambda e: e.time) if e.tag))
    refs = ws.repo.tag_ids(names)
    change.deleted = [(name, refs.get(name, "")) for name in names]
    return change


def plan_unassign(ws: "Workspace", name: str, version: str, stage: str, message: Optional[str] = None,
                  simple: str = "auto", force: bool = False, delete: bool = False) -> Change:
    rules.check_fullname(name)
    _writing(ws)
    rules.check_stage(ws.config, stage)
    rules.check_version(version)
    artifact = ws.find_artifact(name)
    target = rules.one_version(artifact, version, f"Version '{version}' of '{name}' is not registered")
    rules.check_unassignment(target, stage, force)
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


def plan_deregister(ws: "Workspace", name: str, version: str, message: Optional[str] = None,
                    simple: str = "auto", force: bool = False, delete: bool = False) -> Change:
    rules.check_fullname(name)
    _writing(ws)
    rules.check_version(version)
    target = rules.deregistration_target(_artifact(ws, name), version, force)
    if delete:
        return _deletions(ws, target.events())
    change = Change()
    tag = _tag_name(ws, T.DEREGISTER, name, _simple(simple, True), [], version=version)
    change.created.append(Created(
        tag, R.DEREGISTRATION, version, target.commit,
        message or f"Deregistering artifact {name} version {version}",
    ))
    return change


def plan_deprecate(ws: "Workspace", name: str, ref: Optional[str] = None, message: Optional[str] = None,
                   simple: str = "auto", force: bool = False, delete: bool = False) -> Change:
    rules.check_fullname(name)
    _writing(ws)
    reg = ws.registry
    artifact = reg.artifact(name)
    rules.check_deprecation(reg, artifact, name, force, simple)
    is_simple = False if force else _simple(simple, True)
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
    not_before = _after_newest_event(ws, artifact, change) if artifact is not None else None
    tag = _tag_name(ws, T.DEPRECATE, name, is_simple, [])
    change.created.append(Created(tag, R.DEPRECATION, None, commit,
                                  message or f"Deprecating artifact '{name}'", not_before))
    return change


def _after_newest_event(ws: "Workspace", artifact: R.Artifact, change: Change) -> Optional[int]:
    """Events are ordered by the second, and a version event wins a tie: a deprecation no
    newer than the artifact's newest event would not count. On the wall clock, it is dated
    one second after that event (never waiting: the event may come from a machine whose
    clock is ahead), saying so when that is ahead of this clock; with a fixed
    GIT_COMMITTER_DATE, it keeps that date and says it does not take effect."""
    newest = max((e.time for v in artifact.versions for e in v.events()), default=None)
    now = ws.tagger().time
    if newest is None or newest < now:
        return None
    if os.environ.get("GIT_COMMITTER_DATE"):
        change.warnings.append(
            f"'{artifact.name}' changed in the same second (GIT_COMMITTER_DATE): "
            "this deprecation does not take effect" if newest == now else
            f"'{artifact.name}' has an event dated after now: this deprecation does not take effect"
        )
        return None
    if newest > now:
        change.warnings.append(
            f"'{artifact.name}' has an event dated {newest - now} s after this machine's clock: "
            "the deprecation is dated one second after it, so that it takes effect"
        )
    return newest + 1


def check_policy(ws: "Workspace", change: Change, signer: Optional["Signer"],
                 tagger: Optional["Identity"] = None) -> None:
    """Refuse a change the policy committed on the policy ref forbids (see `trust`);
    `tagger` is who the new tags will be by."""
    from git_gto import trust

    trust.check_write(trust.load(ws.repo), ws.registry, [(c.tag, c.target, c.message) for c in change.created],
                      [t for t, _ in change.deleted], signer, tagger)


def check_annotation(ws: "Workspace", name: str, labels: List[str], type_: Optional[str],
                     committed_path: Optional[str]) -> None:
    """What annotate checks before editing artifacts.yaml; `committed_path` must be in HEAD."""
    rules.check_annotation(ws.config, name, labels, type_)
    if committed_path:
        head = ws.repo.head()
        if head is None or not ws.repo.path_exists(head, committed_path.strip("/")):
            raise GtoError(f"Nothing found in '{committed_path}' for checked out commit (commit it first)")
