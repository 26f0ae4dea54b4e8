"""Build a GTO registry repository for the tests, fast and deterministic.

`build_registry(dest, artifacts=A, versions=V, stages=S)` writes, in one `git fast-import`
stream, a branch `main` of commits and the registry's annotated tags, as gto 1.10 names
and words them (no trailing newline in the message):

    NAME@vX.Y.Z          registration      "Registering artifact NAME version vX.Y.Z"
    NAME#STAGE#N         assignment        "Assigning stage STAGE to artifact NAME version vX.Y.Z"
    NAME#STAGE!#N        unassignment      "Unassigning stage 'STAGE' to artifact 'NAME' version 'vX.Y.Z'"
    NAME@vX.Y.Z![#N]     deregistration    "Deregistering artifact NAME version vX.Y.Z"
    NAME@deprecated[#N]  deprecation       "Deprecating artifact 'NAME'"

Everything follows from the arguments (no randomness, no wall clock): commit i is dated
BASE_TIME + i hours, and the tagger dates strictly increase in event order, so two builds
with the same arguments have the same object ids. The plan, per artifact `a` and version
`i` (rules chosen so that a small registry already has every kind of event):

- version i is registered on commit 2*i + a % 2 (never on the last three commits, so
  `HEAD`, `HEAD~1` and `HEAD~2` are free for a new registration);
- versions go v0.1.0, v0.1.1, ... with a minor bump every fifth and a major bump every
  twelfth version;
- each version is assigned (a + 2*i) % 4 of the stages (rotating which ones); some of those
  assignments are unassigned later, some versions are deregistered, every third artifact
  gets a late "rollback" assignment of its first version, and artifacts with a % 3 == 2 are
  deprecated last;
- deregistration and deprecation tags alternate between the simple form and the `#N` form;
  `N` is the artifact's counter (one more than its highest so far).

`nested_every=K` names every K-th artifact `nested/dir:model-XXXX` (tags
`nested/dir=model-XXXX@...`). `with_yaml=True` commits an `artifacts.yaml` that lists each
root-level artifact from the commit of its first version on (until the commit after its
deprecation: an artifact the committed file lists is not deprecated), plus a few artifacts
that are never registered (`unreg-XXXX`). `layout` stores the refs loose (as fast-import leaves
them), packed (`git pack-refs --all`) or after `git gc --prune=now`.

The returned `Registry` has the events and `expected`, the state `git gto show -d --json`
must report for each artifact (latest version, stages, registered, active).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

BASE_TIME = 1_600_000_000  # 2020-09-13T12:26:40Z
HOUR = 3600
STAGE_NAMES = ("dev", "staging", "prod", "qa", "canary", "test", "perf", "preprod")
TAGGERS = (("Ann Tagger", "ann@example.com"), ("Ben Tagger", "ben@example.com"), ("CI", "ci@example.com"))
AUTHOR = "Registry Builder <builder@example.com>"
LAYOUTS = ("loose", "packed", "gc")


@dataclass
class Event:
    kind: str  # register, assign, unassign, deregister, deprecate
    artifact: str
    commit: int  # index of the commit the tag points to
    version: Optional[str] = None
    stage: Optional[str] = None
    simple: bool = True  # deregister/deprecate: without the `#N` counter
    order: float = 0.0  # logical time, before the strictly increasing tagger dates
    tag: str = ""
    time: int = 0
    tagger: Tuple[str, str] = TAGGERS[0]

    @property
    def message(self) -> str:
        name, version, stage = self.artifact, self.version, self.stage
        return {
            "register": f"Registering artifact {name} version {version}",
            "assign": f"Assigning stage {stage} to artifact {name} version {version}",
            "unassign": f"Unassigning stage '{stage}' to artifact '{name}' version '{version}'",
            "deregister": f"Deregistering artifact {name} version {version}",
            "deprecate": f"Deprecating artifact '{name}'",
        }[self.kind]


@dataclass
class Registry:
    path: Path
    commits: int
    stages: List[str]
    artifacts: List[str]
    versions: Dict[str, List[Tuple[str, int]]]  # artifact -> [(version, commit index)]
    events: List[Event]
    unregistered: List[str] = field(default_factory=list)

    @property
    def tags(self) -> List[str]:
        return [e.tag for e in self.events]

    @property
    def expected(self) -> Dict[str, dict]:
        """Per artifact: what `show -d --json` says (stages only where one is held)."""
        return expected_state(self)


def stage_names(count: int) -> List[str]:
    assert count >= 1, "a registry needs at least one stage"
    return [*STAGE_NAMES[:count], *(f"stage{i}" for i in range(len(STAGE_NAMES), count))]


def artifact_names(count: int, nested_every: int = 0) -> List[str]:
    names = []
    for a in range(count):
        nested = nested_every and a % nested_every == nested_every - 1
        names.append(f"nested/dir:model-{a:04d}" if nested else f"model-{a:04d}")
    return names


def version_names(count: int) -> List[str]:
    major, minor, patch, out = 0, 1, 0, []
    for i in range(count):
        if i and i % 12 == 11:
            major, minor, patch = major + 1, 0, 0
        elif i and i % 5 == 4:
            minor, patch = minor + 1, 0
        elif i:
            patch += 1
        out.append(f"v{major}.{minor}.{patch}")
    return out


def plan(artifacts: int, versions: int, stages: int, nested_every: int = 0,
         commits: Optional[int] = None) -> Registry:
    """The events of the registry, in tag order, with their names and dates."""
    commits = max(commits or 0, 2 * versions + 3)
    stage_list = stage_names(stages)
    names = artifact_names(artifacts, nested_every)
    events: List[Event] = []
    all_versions: Dict[str, List[Tuple[str, int]]] = {}
    flip = 0
    for a, name in enumerate(names):
        placed = [(v, 2 * i + a % 2) for i, v in enumerate(version_names(versions))]
        all_versions[name] = placed
        last = 0.0
        for i, (version, commit) in enumerate(placed):
            t = float(commit)  # in hours
            events.append(Event("register", name, commit, version, order=t + 0.01))
            held = [stage_list[(a + i + k) % stages] for k in range(min((a + 2 * i) % 4, stages))]
            for k, stage in enumerate(held):
                events.append(Event("assign", name, commit, version, stage, order=t + 0.1 + 0.1 * k))
                if (a + 3 * i + k) % 7 == 0:
                    events.append(Event("unassign", name, commit, version, stage, order=t + 0.15 + 0.1 * k))
            last = t + 0.9
            if (a + i) % 7 == 3:
                events.append(Event("deregister", name, commit, version, simple=flip % 2 == 0, order=last))
                flip += 1
        if a % 3 == 1 and versions > 1:  # a rollback: the first version gets a stage back, last
            last = placed[-1][1] + 1.5
            events.append(Event("assign", name, placed[0][1], placed[0][0], stage_list[a % stages], order=last))
        if a % 3 == 2:
            events.append(Event("deprecate", name, placed[-1][1], simple=flip % 2 == 0, order=last + 0.5))
            flip += 1
    events.sort(key=lambda e: e.order)  # stable: an artifact's events keep their order
    counters: Dict[str, int] = {}
    previous = 0
    for n, e in enumerate(events):
        e.time = previous = max(BASE_TIME + int(e.order * HOUR), previous + 1)
        e.tagger = TAGGERS[n % len(TAGGERS)]
        base = {
            "register": f"@{e.version}",
            "assign": f"#{e.stage}",
            "unassign": f"#{e.stage}!",
            "deregister": f"@{e.version}!",
            "deprecate": "@deprecated",
        }[e.kind]
        e.tag = e.artifact.replace(":", "=") + base
        if e.kind in ("assign", "unassign") or not e.simple:
            counters[e.artifact] = counters.get(e.artifact, 0) + 1
            e.tag += f"#{counters[e.artifact]}"
    return Registry(Path(), commits, stage_list, names, all_versions, events)


def expected_state(registry: Registry) -> Dict[str, dict]:
    """gto's view: the greatest version that is not deregistered; each stage held by the
    version whose (still standing) assignment is the most recent; deprecated = inactive."""
    def semver(v: str) -> Tuple[int, ...]:
        return tuple(int(x) for x in v[1:].split("."))

    out: Dict[str, dict] = {}
    for name in registry.artifacts:
        mine = [e for e in registry.events if e.artifact == name]
        deregistered = {e.version for e in mine if e.kind == "deregister"}
        standing: Dict[Tuple[str, str], Optional[int]] = {}
        for e in mine:
            if e.kind in ("assign", "unassign"):
                standing[(e.version, e.stage)] = e.time if e.kind == "assign" else None
        stage: Dict[str, Tuple[int, str]] = {}
        for (version, name_of_stage), when in standing.items():
            if when is not None and version not in deregistered:
                if name_of_stage not in stage or when > stage[name_of_stage][0]:
                    stage[name_of_stage] = (when, version)
        active_versions = [v for v, _ in registry.versions[name] if v not in deregistered]
        out[name] = {
            "version": max(active_versions, key=semver) if active_versions else None,
            "stage": {s: v for s, (_, v) in sorted(stage.items())},
            "registered": True,
            "active": not any(e.kind == "deprecate" for e in mine),
        }
    for name in registry.unregistered:
        out[name] = {"version": None, "stage": {}, "registered": False, "active": True}
    return out


def annotations(names: List[str]) -> bytes:
    text = "".join(f"{n}:\n  type: model\n  path: models/{n}.pkl\n  description: test artifact {n}\n"
                   f"  labels:\n  - generated\n" for n in names)
    return text.encode()


def fast_import_stream(registry: Registry, with_yaml: bool) -> bytes:
    chunks: List[bytes] = []

    def data(payload: bytes) -> None:
        chunks.append(b"data %d\n%s\n" % (len(payload), payload))

    # an artifact is listed from the commit of its first version on, and no longer listed
    # from the first commit after its deprecation
    listed_from: Dict[int, List[str]] = {}
    dropped_from: Dict[int, List[str]] = {}
    for name in registry.artifacts:
        if ":" not in name:  # a monorepo name is not a key of the root artifacts.yaml
            listed_from.setdefault(registry.versions[name][0][1], []).append(name)
    for e in registry.events:
        if e.kind == "deprecate" and ":" not in e.artifact:
            dropped_from.setdefault((e.time - BASE_TIME) // HOUR + 1, []).append(e.artifact)
    assert max(dropped_from, default=0) < registry.commits, "a deprecation after the last commit"
    listed: List[str] = []
    for c in range(registry.commits):
        when = BASE_TIME + c * HOUR
        chunks.append(b"commit refs/heads/main\nmark :%d\n" % (c + 1))
        chunks.append(f"author {AUTHOR} {when} +0000\ncommitter {AUTHOR} {when} +0000\n".encode())
        data(f"commit {c}".encode())
        chunks.append(b"M 100644 inline data/file%d.txt\n" % (c % 5))
        data(b"content %d\n" % c)
        if with_yaml and (c == 0 or c in listed_from or c in dropped_from):
            listed += listed_from.get(c, [])
            listed = [n for n in listed if n not in dropped_from.get(c, [])]
            chunks.append(b"M 100644 inline artifacts.yaml\n")
            data(annotations(listed + registry.unregistered))
        chunks.append(b"\n")
    for e in registry.events:
        chunks.append(f"tag {e.tag}\nfrom :{e.commit + 1}\n".encode())
        chunks.append(f"tagger {e.tagger[0]} <{e.tagger[1]}> {e.time} +0000\n".encode())
        data(e.message.encode())
    chunks.append(b"done\n")
    return b"".join(chunks)


def set_layout(path: Path, layout: str, env: Optional[Mapping[str, str]] = None) -> None:
    """Store the refs as asked: leave them loose, pack them, or `git gc` the repository."""
    assert layout in LAYOUTS, layout
    if layout == "packed":
        _git(path, env, "pack-refs", "--all")
    elif layout == "gc":
        _git(path, env, "gc", "--quiet", "--prune=now")


def build_registry(dest: Path, *, artifacts: int, versions: int, stages: int, nested_every: int = 0,
                   with_yaml: bool = False, layout: str = "loose", commits: Optional[int] = None,
                   env: Optional[Mapping[str, str]] = None) -> Registry:
    """Create the repository at `dest` (which must not exist or be empty)."""
    dest = Path(dest)
    registry = plan(artifacts, versions, stages, nested_every, commits)
    registry.path = dest
    if with_yaml:
        registry.unregistered = [f"unreg-{i:04d}" for i in range(max(1, artifacts // 20))]
    _git(dest.parent, env, "init", "--quiet", "--initial-branch=main", str(dest))
    _git(dest, env, "fast-import", "--quiet", "--done", input=fast_import_stream(registry, with_yaml))
    _git(dest, env, "reset", "--quiet", "--hard", "main")
    set_layout(dest, layout, env)
    return registry


def _git(cwd: Path, env: Optional[Mapping[str, str]], *args: str, input: Optional[bytes] = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, env=None if env is None else dict(env), input=input,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert result.returncode == 0, f"git {' '.join(args[:2])}: {result.stderr.decode(errors='replace')}"
    return result.stdout.decode().strip()
