"""The Python API: gto's `gto.api` functions, same names and parameters, over the layer the
command line uses (`changes` and `publish` to write, `queries` to read, `views` for shapes).

`repo` is a path or a URL (cloned to a temporary directory; changes are pushed back), as
`-r` takes. Results are plain data in the shapes of the CLI's `--json` (dates as ISO 8601
strings); where gto returns objects, a `Record`: a dict whose keys also read as attributes
(`v["version"]` and `v.version`). Errors are `git_gto.errors.GtoError` and its subclasses;
nothing is printed, and nothing exits.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import (
    TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, Union,
)

from git_gto.errors import GtoError, UsageError

if TYPE_CHECKING:
    from git_gto import registry as R
    from git_gto.changes import Change
    from git_gto.queries import VersionRows
    from git_gto.workspace import Workspace

__all__ = [
    "Record", "annotate", "assign", "check_ref", "deprecate", "deregister", "describe",
    "find_latest_version", "find_versions_in_stage", "get_stages", "history", "parse_tag",
    "register", "remove", "show", "unassign", "versions_at", "versions_containing",
]

Repo = Union[str, "os.PathLike[str]"]


class Record(dict):
    """A dict whose keys read as attributes too: `event["tag"]` is `event.tag`."""

    __slots__ = ()

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _record(data: Any) -> Any:
    """Dicts as Records, all the way down."""
    if isinstance(data, dict):
        return Record((k, _record(v)) for k, v in data.items())
    if isinstance(data, list):
        return [_record(v) for v in data]
    return data


@contextmanager
def _open(repo: Repo, all_branches: bool = False, all_commits: bool = False, write: bool = False,
          worktree: bool = False, author: Optional[str] = None,
          author_email: Optional[str] = None) -> Iterator["Workspace"]:
    """The Workspace of one call; `author` and `author_email` name the tagger of the tags it
    writes (passed down to `git var`, never put in this process's environment)."""
    from git_gto.loader import scope_of
    from git_gto.workspace import Workspace

    with Workspace(os.fspath(repo), scope_of(all_branches, all_commits), write=write, worktree=worktree,
                   author=author, author_email=author_email) as ws:
        yield ws


# -- reading ----------------------------------------------------------------------------------

def show(repo: Repo, name: Optional[str] = None, truncate_hexsha: bool = False, registered_only: bool = False,
         deprecated: bool = False, assignments_per_version: int = -1, versions_per_stage: int = 1,
         sort: str = "timestamp", table: bool = False, *, all_branches: bool = False,
         all_commits: bool = False) -> Any:
    """`show --json`: the registry (name -> latest version and stages), or, for NAME (or a
    shortcut NAME@latest, NAME@vX.Y.Z, NAME#STAGE), the list of its versions. With
    `table=True`, gto's `(rows, "keys")`: the table's rows as dicts. `truncate_hexsha`
    shortens commit ids to 7 characters (of versions in the table only, as gto does)."""
    from git_gto import queries, views

    limits: Dict[str, Any] = dict(
        registered_only=registered_only, deprecated=deprecated,
        assignments_per_version=assignments_per_version, versions_per_stage=versions_per_stage,
        sort=str(getattr(sort, "value", sort)).lower(),  # gto's VersionSort or a string
    )
    with _open(repo, all_branches, all_commits) as ws:
        if name is None:
            stages, summaries = queries.show_registry(ws, **limits)
            if table:  # the CLI's table, as dicts (versions cut only with truncate_hexsha)
                headers = views.registry_headers(stages)
                cells = views.registry_rows(stages, summaries, _short if truncate_hexsha else (lambda v: v))
                return [dict(zip(headers, row)) for row in cells], "keys"
            data = views.registry_json(summaries)
            if truncate_hexsha:
                data = {n: _short_summary(d) for n, d in data.items()}
            return _record(data)
        artifact, rows = queries.show_versions(ws, name, **limits)
        versions = [views.version_json(v, stages) for v, stages in rows]
    if table:
        cut = _short if truncate_hexsha else (lambda value: value)
        label = artifact.name if artifact.is_registered else f"*{artifact.name}"
        return [{"artifact": label, "version": cut(v["version"]),
                 "stage": ", ".join(dict.fromkeys(s["stage"] for s in v["stages"])),
                 "created_at": v["created_at"], "ref": cut(v["ref"])} for v in versions], "keys"
    return _record(versions)


def history(repo: Repo, artifact: Optional[str] = None, ascending: bool = False, table: bool = False,
            truncate_hexsha: bool = False, *, all_branches: bool = False, all_commits: bool = False,
            since: Optional[str] = None, until: Optional[str] = None,
            event: Union[None, str, Sequence[str]] = None, stage: Optional[str] = None,
            author: Optional[str] = None) -> Any:
    """`history --json`, newest first: every registration, assignment, deprecation...
    `artifact` may be a shortcut (NAME@vX.Y.Z, NAME@latest, NAME#STAGE); `since`, `until`
    (dates: YYYY-MM-DD, ISO date-time, @EPOCH, 'yesterday', 'N days ago'), `event` (a kind or several),
    `stage` and `author` (a regular expression on "Name <email>") filter, as the CLI's
    options. With `table=True`, `(rows, "keys")`: the table's columns of each event."""
    from git_gto import queries, views

    kinds = (event,) if isinstance(event, str) else tuple(event or ())
    with _open(repo, all_branches, all_commits) as ws:
        found = queries.history(ws, artifact, ascending, since=since, until=until, events=kinds,
                                stage=stage, author=author)
    events = [views.history_json(e) for e in found]
    if truncate_hexsha:
        events = [_short_history(e) for e in events]
    if table:
        return [{k: e[k] for k in views.HISTORY_HEADERS} for e in events], "keys"
    return _record(events)


def check_ref(repo: Repo, ref: str) -> List[Record]:
    """The events a tag (NAME@vX.Y.Z, NAME#STAGE#N, refs/tags/...) records: [] for a tag
    that is not a registry event."""
    from git_gto import queries

    with _open(repo) as ws:
        return [_event(e) for e in queries.check_ref(ws, ref)]


def get_stages(repo: Repo, allowed: bool = False, used: bool = False) -> Optional[List[str]]:
    """The stages allowed by .gto if it lists them, else those in use (`stages`)."""
    from git_gto import queries

    with _open(repo) as ws:
        return queries.stages(ws, allowed=allowed, used=used)


def describe(repo: Repo, name: str, rev: Optional[str] = None) -> Optional[Record]:
    """NAME's annotation in artifacts.yaml (every field: type, path, virtual, labels,
    description, custom): in the work tree, at `rev`, or at a shortcut's version; None
    if it has none."""
    from git_gto import queries

    with _open(repo) as ws:
        annotation = queries.describe(ws, name, rev)
    return None if annotation is None else _record(dict(annotation))


def find_latest_version(repo: Repo, name: str, all: bool = False, registered: bool = True) -> Any:
    """The greatest active version of NAME (a Record as in `show NAME --json`), or None;
    `all=True`: every active version, greatest first. `registered=False` also counts
    commits that only have stages."""
    from git_gto import queries

    with _open(repo) as ws:
        versions = [_version(v) for v in queries.latest_versions(ws, name, registered)]
    if all:
        return versions
    return versions[0] if versions else None


def find_versions_in_stage(repo: Repo, name: str, stage: str, assignments_per_version: int = -1,
                           versions_per_stage: int = 1, registered_only: bool = False) -> Optional[List[Record]]:
    """The versions STAGE holds for NAME (greatest first, as gto's API sorts), as stage
    Records (version, stage, commit_hexsha, assignments...); None if the stage holds none."""
    from git_gto import queries, views

    with _open(repo) as ws:
        found = queries.versions_in_stage(ws, name, stage, assignments_per_version, versions_per_stage,
                                          registered_only)
        return None if found is None else [_record(views.vstage_json(s)) for s in found]


def versions_at(repo: Repo, rev: str = "HEAD") -> List[Record]:
    """`at REV --json`: the versions on the commit REV names, with the stages they hold."""
    from git_gto import queries

    with _open(repo) as ws:
        return _versions(queries.versions_at(ws, rev))


def versions_containing(repo: Repo, rev: str) -> List[Record]:
    """`at REV --contains --json`: the versions and stage holders whose commit is REV or
    has it as an ancestor."""
    from git_gto import queries

    with _open(repo) as ws:
        return _versions(queries.versions_containing(ws, rev))


def parse_tag(name: str) -> Dict[str, Any]:
    """What a tag name says: name, action, version or stage, counter (`parse-tag`)."""
    from git_gto import tags

    parsed = tags.parse_tag(name)
    if parsed is None:
        raise GtoError(f"Cannot parse tag name '{name}'")
    return parsed.as_dict()


# -- writing ----------------------------------------------------------------------------------

def register(repo: Repo, name: str, ref: str = "HEAD", version: Optional[str] = None,
             message: Optional[str] = None, simple: Optional[bool] = None, force: bool = False,
             bump_major: bool = False, bump_minor: bool = False, bump_patch: bool = False,
             push: bool = False, stdout: bool = False, author: Optional[str] = None,
             author_email: Optional[str] = None) -> Record:
    """Register a version of NAME at REF; returns the registration event. `author` and
    `author_email` set the tagger; `stdout` is accepted and ignored (nothing is printed)."""
    from git_gto import changes

    bumps = [b for b, on in (("major", bump_major), ("minor", bump_minor), ("patch", bump_patch)) if on]
    with _open(repo, write=True, author=author, author_email=author_email) as ws:
        return _apply(ws, lambda: changes.plan_register(
            ws, name, ref, version=version, message=message, simple=_simple(simple), force=force,
            bump=bumps[0] if bumps else None, bumps_given=len(bumps)), push)


def assign(repo: Repo, name: str, stage: str, version: Optional[str] = None, ref: Optional[str] = None,
           name_version: Optional[str] = None, message: Optional[str] = None,
           simple: Optional[bool] = False, force: bool = False, push: bool = False,
           skip_registration: bool = False, stdout: bool = False, author: Optional[str] = None,
           author_email: Optional[str] = None) -> Record:
    """Assign STAGE to `version` (registered), or to the commit `ref` (registered on the
    way as `name_version`, or the next patch, unless `skip_registration`); exactly one of
    `version` and `ref`. Returns the assignment event."""
    from git_gto import changes

    _one_of(version, ref)
    with _open(repo, write=True, author=author, author_email=author_email) as ws:
        return _apply(ws, lambda: changes.plan_assign(
            ws, name, stage, ref=ref, version=name_version if ref else version, message=message,
            simple=_simple(simple), force=force, skip_registration=skip_registration), push)


def unassign(repo: Repo, name: str, ref: Optional[str] = None, version: Optional[str] = None,
             stage: Optional[str] = None, message: Optional[str] = None, stdout: bool = False,
             simple: Optional[bool] = None, force: bool = False, delete: bool = False,
             push: bool = False, author: Optional[str] = None,
             author_email: Optional[str] = None) -> Optional[Record]:
    """Unassign STAGE from a version (given by `version` or by the commit `ref`); with
    `delete`, delete its stage tags instead and return None."""
    from git_gto import changes

    if stage is None:
        raise UsageError("unassign needs a stage")
    with _open(repo, write=True, author=author, author_email=author_email) as ws:
        return _apply(ws, lambda: changes.plan_unassign(
            ws, name, _version_name(ws, name, version, ref), stage, message=message,
            simple=_simple(simple), force=force, delete=delete), push)


def deregister(repo: Repo, name: str, ref: Optional[str] = None, version: Optional[str] = None,
               message: Optional[str] = None, stdout: bool = False, simple: Optional[bool] = None,
               force: bool = False, delete: bool = False, push: bool = False,
               author: Optional[str] = None, author_email: Optional[str] = None) -> Optional[Record]:
    """Deregister a version (given by `version` or by the commit `ref`); with `delete`,
    delete its tags instead and return None."""
    from git_gto import changes

    with _open(repo, write=True, author=author, author_email=author_email) as ws:
        return _apply(ws, lambda: changes.plan_deregister(
            ws, name, _version_name(ws, name, version, ref), message=message, simple=_simple(simple),
            force=force, delete=delete), push)


def deprecate(repo: Repo, name: str, ref: Optional[str] = None, message: Optional[str] = None,
              stdout: bool = False, simple: Optional[bool] = None, force: bool = False,
              delete: bool = False, push: bool = False, author: Optional[str] = None,
              author_email: Optional[str] = None) -> Optional[Record]:
    """Deprecate artifact NAME (tag NAME@deprecated, on `ref` if given); with `delete`,
    delete all its tags instead and return None."""
    from git_gto import changes

    with _open(repo, write=True, author=author, author_email=author_email) as ws:
        return _apply(ws, lambda: changes.plan_deprecate(
            ws, name, ref=ref, message=message, simple=_simple(simple), force=force, delete=delete),
            push)


def annotate(repo: Repo, name: str, type: Optional[str] = None, path: Optional[str] = None,
             must_exist: bool = False, allow_same_path: bool = False,
             labels: Optional[Sequence[str]] = None, description: Optional[str] = None,
             custom: Optional[str] = None, commit: bool = False, push: bool = False,
             branch: Optional[str] = None, stdout: bool = False) -> Record:
    """Add or update NAME's entry in artifacts.yaml (gto 0.2); returns the entry."""
    from git_gto import publish, queries

    with _open(repo, worktree=True) as ws:
        publish.annotate(ws, name, type, path, must_exist, allow_same_path, labels or (), description,
                         custom, commit, push, branch)
        annotation = queries.describe(ws, name)
    assert annotation is not None, name
    return _record(dict(annotation))


def remove(repo: Repo, name: str, commit: bool = False, push: bool = False, branch: Optional[str] = None,
           stdout: bool = False) -> None:
    """Remove NAME's entry from artifacts.yaml (gto 0.2)."""
    from git_gto import publish

    with _open(repo, worktree=True) as ws:
        publish.remove(ws, name, commit, push, branch)


# -- helpers ----------------------------------------------------------------------------------

def _simple(simple: Optional[bool]) -> str:
    return "auto" if simple is None else "true" if simple else "false"


def _one_of(version: Optional[str], ref: Optional[str]) -> None:
    if (version is None) == (ref is None):
        raise UsageError("One and only one of (version, ref) must be specified")


def _version_name(ws: "Workspace", name: str, version: Optional[str], ref: Optional[str]) -> str:
    """The version given by name, or the one registered at the commit `ref`."""
    from git_gto import rules

    _one_of(version, ref)
    if version is not None:
        return version
    assert ref is not None
    found = rules.registered_at(ws.find_artifact(name), ws.resolve(ref))
    if found is None:
        raise GtoError(f"No version of '{name}' is registered at '{ref}'")
    return found.name


def _apply(ws: "Workspace", plan: Callable[[], "Change"], push: bool) -> Any:
    """Plan and write the change as the CLI does; the event of its last new tag (None:
    deletions)."""
    from git_gto import publish, queries

    change, _ = publish.apply_planned(ws, plan, push)
    return _event(queries.created_event(ws, change.created[-1])) if change.created else None


def _event(e: "R.Event") -> Record:
    from git_gto import views

    return _record(views.event_json(e, with_kind=True))


def _version(v: "R.Version") -> Record:
    """A version as gto's Version.dict_state(): with its active stages, newest first."""
    from git_gto import views

    return _record(views.version_json(v, list(reversed(v.active_vstages()))))


def _versions(found: "VersionRows") -> List[Record]:
    from git_gto import views

    return [_record(views.version_json(v, stages)) for v, stages in found]


def _short(value: Optional[str]) -> Optional[str]:
    from git_gto.views import short

    return short(value)


def _short_summary(d: Dict[str, Any]) -> Dict[str, Any]:
    stage = {s: ", ".join(_short(v) or "" for v in versions.split(", ")) if versions else None
             for s, versions in d["stage"].items()}
    return {**d, "version": _short(d["version"]), "stage": stage}


def _short_history(e: Dict[str, Any]) -> Dict[str, Any]:
    return {**e, "version": _short(e["version"]), "commit": e["commit"][:7],
            "ref": e["ref"][:7] if e["ref"] == e["commit"] else e["ref"]}
