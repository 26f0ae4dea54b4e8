"""The reads behind show, history, check-ref, stages, describe and doctor: registry objects
in, plain data out (rendering is `views` and `output`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from git_gto import registry as R
from git_gto import rules
from git_gto import tags as T
from git_gto.errors import GtoError, UsageError

if TYPE_CHECKING:
    from git_gto.changes import Created
    from git_gto.git.signing import Verdict
    from git_gto.index import Annotation
    from git_gto.workspace import Workspace


def check_ref(ws: "Workspace", ref: str) -> List[R.Event]:
    name = ref[len("refs/tags/"):] if ref.startswith("refs/tags/") else ref
    parsed = T.parse_tag(name)
    if parsed is None or parsed.name is None or not ws.repo.has_tag(name):
        return []
    events = [e for e in ws.artifact(parsed.name).events() if e.tag == name]
    if len(events) > 1:
        raise GtoError("Checking refs that created 1+ events is not supported")
    return events


EVENT_KINDS = (R.REGISTRATION, R.DEREGISTRATION, R.ASSIGNMENT, R.UNASSIGNMENT, R.DEPRECATION)


def history(ws: "Workspace", name: Optional[str] = None, ascending: bool = False,
            since: Optional[str] = None, until: Optional[str] = None,
            events: Sequence[str] = (), stage: Optional[str] = None,
            author: Optional[str] = None) -> List[R.Event]:
    """Every tag event, newest first (within a second, the higher priority first); NAME may
    be a shortcut (NAME@vX.Y.Z, NAME@latest, NAME#STAGE). The filters all apply: `since`
    and `until` (dates, see `dates.parse_date`; both ends included), `events` (kinds),
    `stage`, and `author` (a regular expression searched in "Name <email>", as git log's)."""
    import re

    from git_gto.dates import parse_date

    shortcut = T.parse_shortcut(name) if name else None  # as gto: an empty name is no name
    stages = {s for s in (stage, shortcut.stage if shortcut else None) if s is not None}
    for s in stages:
        rules.check_stage(ws.config, s)
    unknown = [k for k in events if k not in EVENT_KINDS]
    if unknown:
        raise UsageError(f"Unknown event '{unknown[0]}': use one of {', '.join(EVENT_KINDS)}")
    start = parse_date(since, "--since") if since is not None else None
    end = parse_date(until, "--until", end_of_day=True) if until is not None else None
    try:
        who = re.compile(author) if author is not None else None
    except re.error as e:
        raise UsageError(f"invalid --author pattern '{author}': {e}") from None
    reg = ws.registry
    if shortcut is not None and shortcut.name and shortcut.name not in reg.names:
        raise GtoError(f"Cannot find artifact '{shortcut.name}'")
    names = [n for n in reg.names if n == shortcut.name] if shortcut is not None and shortcut.name else reg.names
    found = []
    for n in names:
        artifact = _built(reg, n)
        version = shortcut.version if shortcut else None
        if shortcut is not None and shortcut.latest:
            latest = artifact.latest(registered_only=True)
            if latest is None:
                continue
            version = latest.name
        found += [
            e for e in artifact.events()
            if e.kind != R.COMMIT
            and (version is None or e.version == version)
            and all(e.stage == s for s in stages)
            and (not events or e.kind in events)
            and (start is None or e.time >= start) and (end is None or e.time <= end)
            and (who is None or who.search(f"{e.author} <{e.author_email}>"))
        ]
    if not found:
        for s in stages:
            _check_stage_known(ws, s)
    found.sort(key=lambda e: (e.time, e.priority))
    if not ascending:
        found.reverse()
    return found


def _check_stage_known(ws: "Workspace", stage: str) -> None:
    """A stage that .gto does not list and no tag names is a typo, not an empty answer."""
    if ws.config.stages is not None:
        return
    for tag in ws.repo.tag_names():
        parsed = T.parse_tag(tag)
        if parsed is not None and parsed.stage == stage:
            return
    raise GtoError(f"Unknown stage '{stage}': no tag of the registry assigns it")


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


class Summary(NamedTuple):
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


class ArtifactSummary(NamedTuple):
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
    artifact = ws.find_artifact(shortcut.name)
    rows = _version_rows(ws, artifact, registered_only, deprecated, assignments_per_version,
                         versions_per_stage, sort)
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


def _version_rows(ws: "Workspace", artifact: R.Artifact, registered_only: bool = False,
                  deprecated: bool = False, assignments_per_version: int = -1,
                  versions_per_stage: int = 1, sort: str = "timestamp") -> VersionRows:
    """`show NAME`'s rows: the versions shown, each with the stages it shows."""
    reg = ws.registry
    reg.enrich(artifact)
    in_stage = artifact.vstages(registered_only, assignments_per_version, versions_per_stage, sort)
    rows = []
    if reg.active(artifact) or deprecated:
        for version in artifact.get_versions(active_only=not deprecated,
                                             include_non_explicit=not registered_only,
                                             include_discovered=True):
            stages = [s for ss in in_stage.values() for s in ss if s.version == version.name]
            rows.append((version, stages))
    return rows


Row = List[Optional[str]]
# what a row of `show NAME` shows: its version's commit and name, and its stages, each as
# the stage and the commit of the version holding it (None: the row's own; another version
# of that name when a name is on two commits)
Shown = Tuple[str, str, List[Tuple[str, Optional[str]]]]


def versions_at(ws: "Workspace", rev: str = "HEAD") -> VersionRows:
    """The versions on the commit REV names, by artifact name, as `show NAME` shows
    them (with the stages they hold)."""
    return _versions_on(ws, *_at(ws, rev, contains=False))


def versions_containing(ws: "Workspace", rev: str) -> VersionRows:
    """The versions (and stage holders) whose commit contains REV: REV is that commit or
    one of its ancestors. One walk of the commit graph from every version's commit."""
    return _versions_on(ws, *_at(ws, rev, contains=True))


def at_table(ws: "Workspace", rev: str = "HEAD", contains: bool = False) -> List[Row]:
    """The table rows of `versions_at` (or `versions_containing`), from each artifact's
    cached `show NAME` rows: only the artifacts with a tag or annotation on the commits
    asked about are looked at, and none is built once its rows are cached."""
    commits, names = _at(ws, rev, contains)
    return [row for name in names for commit, row in version_table(ws, name) if commit in commits]


def version_table(ws: "Workspace", name: str) -> List[Tuple[str, Row]]:
    """`show NAME`'s default table (`views.version_rows`), each row with the commit of its
    version; computed once, then kept in the cache with the artifact's tags, for the
    annotations read (one set of rows an artifact: those of another HEAD replace them)."""
    return _rows(ws, name, shown=False)


def _rows(ws: "Workspace", name: str, shown: bool) -> list:
    """The artifact's cached table rows, or (`shown`) what each of them shows (`Shown`)."""
    from git_gto import views

    read = (ws.config.index, ws.loader.annotated_at(name))
    cached = ws.cache.rows(name, read, shown)
    if cached is None:
        artifact = _built(ws.registry, name)
        rows = _version_rows(ws, artifact)
        table = [(version.commit, row) for (version, _), row in zip(rows, views.version_rows(artifact, rows))]
        versions = [(version.commit, version.name,
                     [(s.stage, None if s.commit == version.commit else s.commit) for s in stages])
                    for version, stages in rows]
        if name not in ws.loader.partial:  # rows made while a commit could not be read: this time only
            ws.cache.put_rows(name, read, table, versions)
        cached = versions if shown else table
    return cached


def _at(ws: "Workspace", rev: str, contains: bool) -> Tuple[Set[str], List[str]]:
    """The commits asked about (REV's; with `contains`, the commits of the registry that
    contain it), and the artifacts with a tag or an annotation on one of them, by name."""
    from git_gto.ancestry import containing

    commit = ws.resolve(rev)
    by_name = _commits_by_artifact(ws)
    commits = containing(ws.repo, commit, set().union(*by_name.values())) if contains else {commit}
    return commits, sorted(name for name, on in by_name.items() if not on.isdisjoint(commits))


def _commits_by_artifact(ws: "Workspace") -> Dict[str, Set[str]]:
    """The commits each artifact's tags and annotations are on, without building it (the
    cache lists them with each artifact's tags)."""
    shards = ws.cache.shards
    out: Dict[str, Set[str]] = {}
    for name in ws.registry.names:
        shard = shards.get(name)
        commits = set(shard.on()) if shard is not None else set()
        commits.update(ws.loader.annotated_at(name))
        out[name] = commits
    return out


def _versions_on(ws: "Workspace", commits: Set[str], names: List[str]) -> VersionRows:
    """The rows of `version_table` on these commits, with their versions and stages: each
    artifact built with only the versions these rows show (a version's events and stages
    are those of its tags on its commit; which ones it shows, the cached rows say)."""
    found: VersionRows = []
    for name in names:
        shown: List[Shown] = [row for row in _rows(ws, name, shown=True) if row[0] in commits]
        if not shown:
            continue
        on = {c or commit for commit, _, stages in shown for c in (commit, *(c for _, c in stages))}
        artifact = ws.registry.enrich(ws.loader.build(name, on))
        versions = {(v.name, v.commit): v for v in artifact.versions}
        found += [(versions[version, commit], [versions[version, c or commit].stages[s] for s, c in stages])
                  for commit, version, stages in shown]
    return found


def latest_versions(ws: "Workspace", name: str, registered: bool = True) -> List[R.Version]:
    """The active versions of NAME, greatest first (only registered ones by default)."""
    artifact = ws.registry.enrich(ws.find_artifact(name))
    return artifact.get_versions(include_non_explicit=not registered)


def versions_in_stage(ws: "Workspace", name: str, stage: str, assignments_per_version: int = -1,
                      versions_per_stage: int = 1, registered_only: bool = False) -> Optional[List[R.VStage]]:
    """The versions STAGE shows for NAME, greatest first (SemVer order); None if none."""
    _check_limits(assignments_per_version, versions_per_stage)
    artifact = ws.registry.enrich(ws.find_artifact(name))
    return artifact.vstages(registered_only, assignments_per_version, versions_per_stage, "semver").get(stage)


def created_event(ws: "Workspace", created: "Created") -> R.Event:
    """The event a tag just written records (read back from the tag object)."""
    sha = ws.repo.tag_refs()[created.tag]
    tag = ws.repo.read_tag_objects([(created.tag, sha)])[created.tag]
    assert tag is not None and tag.tagger is not None, created.tag
    t = tag.tagger
    parsed = T.parse_tag(created.tag)
    return R.Event(created.kind, parsed.name if parsed else "", t.time, t.offset, t.name, t.email,
                   tag.message, created.target, tag=created.tag, version=created.version,
                   stage=parsed.stage if parsed else None)


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


def signatures(ws: "Workspace", tags: Iterable[Optional[str]]) -> Dict[str, "Verdict"]:
    """Tag name -> what its signature says (only for --verify: it runs gpg or ssh-keygen)."""
    from git_gto import trust

    wanted = [t for t in tags if t]
    refs = ws.repo.tag_ids(wanted)
    return trust.load(ws.repo).read_verdicts({t: refs[t] for t in wanted if t in refs})


def problems(ws: "Workspace") -> List[str]:
    """What `doctor` reports: tags left out of the registry, inconsistent versions, and
    commits whose artifacts.yaml cannot be used, and events on protected stages whose
    signature the policy does not accept."""
    from git_gto.trust import policy_problems

    reg = ws.registry
    found = list(reg.skipped) + reg.dangling()
    for artifact in reg.artifacts.values():
        reg.enrich(artifact)  # reads the artifacts.yaml of each version's commit
        found += rules.inconsistencies(artifact)
    return found + ws.loader.unusable_indexes + policy_problems(ws.repo)
