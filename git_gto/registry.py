"""The registry in memory: artifacts -> versions -> stages, built once from the tags.

The rules (which version is latest, what is active, how ties order) follow gto 1.10.1 so
that a repository reads the same with either tool; see the README for the few places where
we deliberately differ.
"""

from __future__ import annotations

from bisect import insort
from typing import Dict, Iterable, List, Optional, Protocol, Tuple

from git_gto import tags as T
from git_gto.errors import GtoError
from git_gto.git.objects import representable
from git_gto.versions import sort_versions

COMMIT, CREATION, DEPRECATION, REGISTRATION, DEREGISTRATION, ASSIGNMENT, UNASSIGNMENT = (
    "commit",
    "creation",
    "deprecation",
    "registration",
    "deregistration",
    "assignment",
    "unassignment",
)
PRIORITY = {
    COMMIT: 0,
    CREATION: 1,
    DEPRECATION: 2,
    REGISTRATION: 3,
    DEREGISTRATION: 4,
    ASSIGNMENT: 5,
    UNASSIGNMENT: 6,
}
ADDITION = {COMMIT, CREATION, REGISTRATION, ASSIGNMENT}
EVENT_OF_ACTION = {
    T.DEPRECATE: DEPRECATION,
    T.REGISTER: REGISTRATION,
    T.DEREGISTER: DEREGISTRATION,
    T.ASSIGN: ASSIGNMENT,
    T.UNASSIGN: UNASSIGNMENT,
}
PASS_OF_ACTION = {T.DEPRECATE: 0, T.REGISTER: 1, T.DEREGISTER: 1, T.ASSIGN: 2, T.UNASSIGN: 2}


class Event:
    """One thing that happened: a GTO tag, or a commit that annotates an artifact."""

    __slots__ = (
        "kind", "artifact", "time", "offset", "author", "author_email", "message",
        "commit", "tag", "version", "stage", "enrichments", "committer", "committer_email",
    )

    def __init__(self, kind: str, artifact: str, time: int, offset: int, author: str,
                 author_email: str, message: str, commit: str, tag: Optional[str] = None,
                 version: Optional[str] = None, stage: Optional[str] = None):
        self.kind = kind
        self.artifact = artifact
        self.time = time
        self.offset = offset
        self.author = author
        self.author_email = author_email
        self.message = message
        self.commit = commit
        self.tag = tag
        self.version = version
        self.stage = stage
        self.enrichments: list = []
        self.committer = ""
        self.committer_email = ""

    def __lt__(self, other: "Event") -> bool:
        return self.time < other.time

    @property
    def priority(self) -> int:
        return PRIORITY[self.kind]

    @property
    def addition(self) -> bool:
        return self.kind in ADDITION

    @property
    def ref(self) -> str:
        return self.tag if self.tag is not None else self.commit

    def sentence(self) -> str:
        """What `check-ref` says about the event."""
        return {
            COMMIT: 'Artifact "{a}" is annotated',
            CREATION: 'Artifact "{a}" was created',
            DEPRECATION: 'Artifact "{a}" was deprecated',
            REGISTRATION: 'Version "{v}" of artifact "{a}" was registered',
            DEREGISTRATION: 'Version "{v}" of artifact "{a}" was deregistered',
            ASSIGNMENT: 'Stage "{s}" was assigned to version "{v}" of artifact "{a}"',
            UNASSIGNMENT: 'Stage "{s}" was unassigned from version "{v}" of artifact "{a}"',
        }[self.kind].format(a=self.artifact, v=self.version, s=self.stage)


def newest_first(events: Iterable[Event]) -> List[Event]:
    """Sorted by time, newest first; among equal times the one listed last comes first."""
    ordered = sorted(events, key=_time)
    ordered.reverse()
    return ordered


def _time(e) -> int:
    return e.time


class VStage:
    """A stage on one version: its assignments and unassignments."""

    __slots__ = ("artifact", "version", "stage", "commit", "assignments", "unassignments")

    def __init__(self, artifact: str, version: str, stage: str, commit: str):
        self.artifact = artifact
        self.version = version
        self.stage = stage
        self.commit = commit
        self.assignments: List[Event] = []
        self.unassignments: List[Event] = []

    def events(self) -> List[Event]:
        return newest_first(self.assignments + self.unassignments)

    def newest(self) -> Event:
        """The newest event; an unassignment wins a tie (it is listed after assignments)."""
        if not self.unassignments:
            return self.assignments[-1]
        if not self.assignments or self.unassignments[-1].time >= self.assignments[-1].time:
            return self.unassignments[-1]
        return self.assignments[-1]

    @property
    def is_active(self) -> bool:
        return self.newest().kind == ASSIGNMENT

    @property
    def activated_at(self) -> Optional[Event]:
        newest = self.newest()
        return newest if newest.kind == ASSIGNMENT else None

    @property
    def authoring(self) -> Event:
        return self.assignments[-1] if self.assignments else self.events()[0]


class Version:
    """A version of an artifact: a SemVer name, or a commit sha when never registered."""

    __slots__ = ("artifact", "name", "commit", "registrations", "deregistrations",
                 "enrichments", "stages")

    def __init__(self, artifact: str, name: str, commit: str):
        self.artifact = artifact
        self.name = name
        self.commit = commit
        self.registrations: List[Event] = []
        self.deregistrations: List[Event] = []
        self.enrichments: List[Event] = []
        self.stages: Dict[str, VStage] = {}

    def add(self, event: Event) -> None:
        if event.kind == REGISTRATION:
            insort(self.registrations, event)
        elif event.kind == DEREGISTRATION:
            insort(self.deregistrations, event)
        elif event.kind == COMMIT:
            insort(self.enrichments, event)
        else:
            stage = event.stage or ""  # stage events always name their stage
            vstage = self.stages.get(stage)
            if vstage is None:
                vstage = self.stages[stage] = VStage(self.artifact, self.name, stage, self.commit)
            insort(vstage.assignments if event.kind == ASSIGNMENT else vstage.unassignments, event)

    def indirect_events(self) -> List[Event]:
        return newest_first(self.enrichments + [e for s in self.stages.values() for e in s.events()])

    def _all_events(self) -> List[Event]:
        return (self.registrations + self.deregistrations + self.enrichments
                + [e for s in self.stages.values() for e in s.events()])

    def events(self) -> List[Event]:
        return newest_first(self._all_events())

    @property
    def discovered(self) -> bool:
        """Never registered nor deregistered: known only from stages or annotations."""
        return not self.registrations and not self.deregistrations

    @property
    def is_registered(self) -> bool:
        return bool(self.registrations)

    @property
    def is_active(self) -> bool:
        """The newest direct event is a registration (a deregistration wins a tie);
        without direct events, any event at all."""
        if self.deregistrations:
            return bool(self.registrations) and self.registrations[-1].time > self.deregistrations[-1].time
        if self.registrations:
            return True
        return bool(self.enrichments or self.stages)

    @property
    def activated_at(self) -> Event:
        if self.registrations:
            return self.registrations[0]
        return sorted(self._all_events(), key=_time)[0]

    @property
    def authoring(self) -> Event:
        """The newest registration, else the newest other event: gives created_at and ref."""
        if self.registrations:
            return self.registrations[-1]
        return self.indirect_events()[0]

    def active_vstages(self) -> List[VStage]:
        """Active stages, oldest activation first."""
        active = [s for s in self.stages.values() if s.is_active]
        active.sort(key=lambda s: s.newest().time)  # active: the newest event is the activation
        return active


class Artifact:
    """An artifact and everything that happened to it."""

    __slots__ = ("name", "versions", "deprecations", "creations", "enriched", "_by_commit", "_vstages")

    def __init__(self, name: str):
        self.name = name
        self.versions: List[Version] = []
        self.deprecations: List[Event] = []
        self.creations: List[Event] = []
        self.enriched = False
        self._by_commit: Dict[str, List[Version]] = {}
        self._vstages: Dict[tuple, Dict[str, List[VStage]]] = {}

    def add_version(self, name: str, commit: str) -> Version:
        version = Version(self.name, name, commit)
        self.versions.append(version)
        self._by_commit.setdefault(commit, []).append(version)
        return version

    def find_version(self, name: Optional[str] = None, commit: Optional[str] = None,
                     discovered: bool = False) -> List[Version]:
        """Versions matching a name and/or commit; discovered ones only if asked."""
        pool = self.versions if commit is None else self._by_commit.get(commit, ())
        return [
            v for v in pool
            if (name is None or v.name == name) and (discovered or not v.discovered)
        ]

    def version_at(self, commit: str) -> Version:
        """The version at `commit`: the registered one, else the one named by the commit
        (created if needed; gto would make a duplicate here, we never do)."""
        found = self.find_version(commit=commit)
        if found:
            return found[-1]
        for v in self._by_commit.get(commit, ()):
            if v.name == commit:
                return v
        return self.add_version(commit, commit)

    def events(self) -> List[Event]:
        return newest_first(
            self.creations + self.deprecations + [e for v in self.versions for e in v.events()]
        )

    @property
    def is_active(self) -> bool:
        """Has events, and the newest one is not a deprecation."""
        if not self.deprecations:
            return bool(self.creations) or any(v.registrations or v.deregistrations or v.enrichments
                                               or v.stages for v in self.versions)
        return self.events()[0].kind != DEPRECATION

    @property
    def is_registered(self) -> bool:
        """At least one GTO tag (not only annotations)."""
        return bool(self.deprecations or self.creations) or any(
            v.registrations or v.deregistrations or v.stages for v in self.versions
        )

    def get_versions(self, active_only: bool = True, include_non_explicit: bool = False,
                     include_discovered: bool = False, sort: str = "semver",
                     descending: bool = True) -> List[Version]:
        chosen = [
            v for v in self.versions
            if not active_only or (
                v.is_active and (
                    (v.is_registered and not v.discovered)
                    or (include_discovered and v.discovered)
                    or (include_non_explicit and not v.is_registered)
                )
            )
        ]
        if sort == "semver":
            return sort_versions(chosen, name=lambda v: v.name, descending=descending)
        ordered = sorted(chosen, key=lambda v: v.authoring.time)
        if descending:
            ordered.reverse()
        return ordered

    def latest(self, registered_only: bool = True) -> Optional[Version]:
        """The greatest active version by SemVer (never the most recent one)."""
        versions = self.get_versions(include_non_explicit=not registered_only)
        return versions[0] if versions else None

    def vstages(self, registered_only: bool = False, assignments_per_version: int = -1,
                versions_per_stage: int = 1, sort: str = "semver") -> Dict[str, List[VStage]]:
        """Stage -> the versions in it, most relevant first (see the README's rules)."""
        key = (registered_only, assignments_per_version, versions_per_stage, sort)
        if key in self._vstages:
            return self._vstages[key]
        versions = self.get_versions(include_non_explicit=not registered_only, sort=sort)
        chosen: List[VStage] = []
        for version in versions:
            active = version.active_vstages()
            if assignments_per_version > -1:
                active = active[:assignments_per_version]
            chosen.extend(active)
        if sort == "timestamp":
            chosen.sort(key=lambda s: s.authoring.time)
            chosen.reverse()
        stages: Dict[str, List[VStage]] = {}
        for vstage in chosen:
            in_stage = stages.setdefault(vstage.stage, [])
            if versions_per_stage > -1 and len(in_stage) >= versions_per_stage:
                continue
            if all(s.version != vstage.version for s in in_stage):
                in_stage.append(vstage)
        self._vstages[key] = stages
        return stages


# One tag as the registry needs it, in build order:
# (pass, tagger time, tag name, action, version, stage, commit, offset, tagger, email, message)
Entry = tuple


def tag_entries(tags: Iterable) -> Tuple[List[Entry], List[str], List[str]]:
    """The registry entries of annotated tags (gitrepo.TagObject aimed at commits), in gto's
    order: deprecations, then registrations, then stages; each by tagger time, then name.
    Also returns the GTO tags left out, with the reason, and the names that do not parse."""
    entries: List[Entry] = []
    skipped: List[str] = []
    malformed: List[str] = []
    for tag in tags:
        name = T.parse_tag(tag.ref)
        if name is None:
            malformed.append(tag.ref)
            continue
        if name.action == T.CREATE:
            skipped.append(f"{tag.ref}: '@created' tags are not registry events")
            continue
        t = tag.tagger
        if t is None:
            skipped.append(f"{tag.ref}: the tag object has no tagger")
            continue
        if not representable(t.time, t.offset):
            skipped.append(f"{tag.ref}: the tagger date ({t.time}, offset {t.offset}s) cannot be shown")
            continue
        action = name.action
        assert action is not None, tag.ref  # parse_tag gives every tag name its action
        entries.append((PASS_OF_ACTION[action], t.time, tag.ref, action, name.version,
                        name.stage, tag.target, t.offset, t.name, t.email, tag.message))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    return entries, skipped, malformed


def artifact_from_entries(name: str, entries: Iterable[Entry]) -> Artifact:
    """Replay one artifact's entries (already in build order) into its versions and stages."""
    artifact = Artifact(name)
    for _pass, time, ref, action, version_name, stage, commit, offset, author, email, message in entries:
        kind = EVENT_OF_ACTION[action]
        event = Event(kind, name, time, offset, author, email, message, commit, tag=ref)
        if kind == DEPRECATION:
            insort(artifact.deprecations, event)
        elif kind in (REGISTRATION, DEREGISTRATION):
            event.version = version_name
            found = artifact.find_version(name=version_name, commit=commit)
            version = found[0] if found else artifact.add_version(version_name, commit)
            version.add(event)
        else:
            event.stage = stage
            version = artifact.version_at(commit)
            event.version = version.name
            version.add(event)
    return artifact


class ArtifactLoader(Protocol):
    """What builds the artifacts of a registry (see `loader.RegistryLoader`)."""

    def build(self, name: str) -> Artifact:
        """The artifact from its tags (and the annotations of the commits read)."""

    def enrich(self, artifact: Artifact) -> None:
        """Add the annotation (commit) events of every version."""

    def commit_time(self, sha: str) -> int:
        """The committer time of a commit."""


class Registry:
    """All artifacts, in the order gto first sees them; each one is built from its tags
    only when first asked for. `skipped`: odd tags left out, with the reason."""

    def __init__(self, names: List[str], loader: ArtifactLoader, skipped: List[str]) -> None:
        self.names = names
        self.skipped = skipped
        self._known = set(names)
        self._loader = loader
        self._built: Dict[str, Artifact] = {}

    def artifact(self, name: str, keep: bool = True) -> Optional[Artifact]:
        """The artifact called `name` (None if unknown); `keep=False` for a one-off look
        that should not hold memory."""
        found = self._built.get(name)
        if found is None and name in self._known:
            found = self._loader.build(name)
            if keep:
                self._built[name] = found
        return found

    @property
    def artifacts(self) -> Dict[str, Artifact]:
        """Every artifact, built, in registry order."""
        return {name: artifact for name in self.names if (artifact := self.artifact(name))}

    def dangling(self) -> List[str]:
        """Tags whose commit is not in the repository (every commit is read: for doctor)."""
        found = []
        for artifact in self.artifacts.values():
            for event in artifact.events():
                try:
                    if event.tag is not None:
                        self._loader.commit_time(event.commit)
                except (KeyError, GtoError):
                    found.append(f"{event.tag}: points to {event.commit}, which is not a commit here")
        return found

    def enrich(self, artifact: Artifact) -> Artifact:
        """Add the annotation (commit) events of every version, once, when first needed."""
        if not artifact.enriched:
            artifact.enriched = True
            self._loader.enrich(artifact)
            artifact._vstages.clear()
        return artifact

    def active(self, artifact: Artifact) -> bool:
        """Not deprecated: no deprecation, or some version event (a commit of a version
        included) at least as new as the newest deprecation. Reads commit dates only when
        the tags alone do not decide."""
        if not artifact.deprecations or artifact.enriched:
            return artifact.is_active
        deprecated_at = artifact.deprecations[-1].time
        newest = max((e.time for v in artifact.versions for e in v.events()), default=None)
        if newest is not None and newest >= deprecated_at:
            return True
        return any(self._loader.commit_time(v.commit) >= deprecated_at for v in artifact.versions)


def commit_event(artifact: str, version: str, commit, annotation: Optional[dict]) -> Event:
    """The event of a commit (gitrepo.CommitInfo) for one version of an artifact."""
    a, c = commit.author, commit.committer
    event = Event(COMMIT, artifact, c.time, c.offset, a.name, a.email, commit.message, commit.sha,
                  version=version)
    event.committer = c.name
    event.committer_email = c.email
    event.enrichments = [{"source": "gto", "artifact": annotation}] if annotation is not None else []
    return event


def add_commit_event(version: Version, event: Event) -> None:
    """Add a commit event unless the version already has one for that commit."""
    if all(e.commit != event.commit for e in version.enrichments):
        version.add(event)


def entry_commit(entry: Entry) -> str:
    """The commit a registry entry is on."""
    return entry[6]
