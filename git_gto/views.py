"""Registry objects as the JSON documents and table rows gto prints (same keys, same order)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from git_gto.registry import COMMIT, Artifact, Event, Version, VStage
from git_gto.tags import is_hexsha

if TYPE_CHECKING:
    from git_gto.git.signing import Verdict
    from git_gto.queries import ArtifactSummary, VersionRows

_ZONES: Dict[int, dt.timezone] = {}


def timestamp(time: int, offset: int) -> dt.datetime:
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES[offset] = dt.timezone(dt.timedelta(seconds=offset))
    return dt.datetime.fromtimestamp(time, zone)


def iso(event: Optional[Event]) -> Optional[str]:
    return timestamp(event.time, event.offset).isoformat() if event is not None else None


def human_time(event: Event) -> str:
    return str(timestamp(event.time, event.offset))


def short(value: Optional[str]) -> Optional[str]:
    """Commit shas are shown with 7 characters in tables."""
    return value[:7] if value is not None and is_hexsha(value) else value


def event_json(e: Event, with_kind: bool = False) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "priority": e.priority,
        "addition": e.addition,
        "artifact": e.artifact,
        "created_at": iso(e),
        "author": e.author,
        "author_email": e.author_email,
        "message": e.message,
        "commit_hexsha": e.commit,
    }
    if e.kind == COMMIT:
        out["version"] = e.version
        out["enrichments"] = e.enrichments
        out["committer"] = e.committer
        out["committer_email"] = e.committer_email
    else:
        out["tag"] = e.tag
        if e.version is not None:
            out["version"] = e.version
        if e.stage is not None:
            out["stage"] = e.stage
    if with_kind:
        out["event"] = e.kind
    return out


def check_ref_json(e: Event) -> Dict[str, Any]:
    out = event_json(e, with_kind=True)
    del out["priority"], out["addition"]
    return out


def _authored(authoring: Event, activated: Optional[Event], active: bool) -> Dict[str, Any]:
    return {
        "is_active": active,
        "activated_at": iso(activated),
        "created_at": iso(authoring),
        "author": authoring.author,
        "author_email": authoring.author_email,
        "message": authoring.message,
        "ref": authoring.ref,
    }


def _vstage_events(s: VStage, with_kind: bool) -> Dict[str, Any]:
    return {
        "artifact": s.artifact,
        "commit_hexsha": s.commit,
        "version": s.version,
        "stage": s.stage,
        "assignments": [event_json(e, with_kind) for e in s.assignments],
        "unassignments": [event_json(e, with_kind) for e in s.unassignments],
    }


def _version_events(v: Version) -> Dict[str, Any]:
    return {
        "artifact": v.artifact,
        "commit_hexsha": v.commit,
        "version": v.name,
        "enrichments": [event_json(e) for e in v.enrichments],
        "registrations": [event_json(e) for e in v.registrations],
        "deregistrations": [event_json(e) for e in v.deregistrations],
    }


def vstage_json(s: VStage) -> Dict[str, Any]:
    out = _vstage_events(s, with_kind=True)
    out.update(_authored(s.authoring, s.activated_at, s.is_active))
    return out


def version_json(v: Version, stages: List[VStage]) -> Dict[str, Any]:
    out = _version_events(v)
    out["stages"] = [vstage_json(s) for s in stages]
    out.update(_authored(v.authoring, v.activated_at, v.is_active))
    out["discovered"] = v.discovered
    return out


def history_json(e: Event) -> Dict[str, Any]:
    return {
        "timestamp": iso(e),
        "artifact": e.artifact,
        "event": e.kind,
        "priority": e.priority,
        "version": e.version,
        "stage": e.stage,
        "commit": e.commit,
        "author": e.author,
        "author_email": e.author_email,
        "message": e.message,
        "ref": e.ref,
    }


def history_row(e: Event) -> List[Optional[str]]:
    return [human_time(e), e.artifact, e.kind, short(e.version), e.stage, e.commit[:7], e.ref]


def signature_json(v: Optional["Verdict"]) -> Dict[str, Any]:
    """The fields --verify adds to an event: who signed it, and whether it verifies."""
    if v is None or not v.signed:
        return {"signer": None, "signing_key": None, "verified": False,
                "signature_problem": v.reason if v else "not a tag"}
    return {"signer": v.signer or None, "signing_key": v.key or None, "verified": v.good,
            "signature_problem": None if v.good else v.reason}


def signature_cell(v: Optional["Verdict"]) -> str:
    """The `signature` column of --verify."""
    if v is None or not v.signed:
        return "unsigned"
    return f"{'verified' if v.good else 'NOT verified'}: {v.signer or v.key or v.reason}"


def add_signatures(data: Any, verdicts: Dict[str, "Verdict"], key: str = "tag") -> Any:
    """Add signature_json's fields to every event (a dict naming a tag under `key`) in a
    JSON document, in place."""
    if isinstance(data, list):
        for item in data:
            add_signatures(item, verdicts, key)
    elif isinstance(data, dict):
        if isinstance(data.get(key), str) and data.get("event") != "commit":
            data.update(signature_json(verdicts.get(data[key])))
        for value in data.values():
            if isinstance(value, (list, dict)):
                add_signatures(value, verdicts, key)
    return data


HISTORY_HEADERS = ["timestamp", "artifact", "event", "version", "stage", "commit", "ref"]
VERSION_HEADERS = ["artifact", "version", "stage", "created_at", "ref"]


def state_json(registry) -> Dict[str, Any]:
    """The whole registry as `print-state` shows it (events without computed fields)."""
    return {"artifacts": {
        a.name: {
            "artifact": a.name,
            "versions": [
                {**_version_events(v),
                 "stages": {name: _vstage_events(s, with_kind=False) for name, s in v.stages.items()}}
                for v in a.versions
            ],
            "creations": [event_json(e) for e in a.creations],
            "deprecations": [event_json(e) for e in a.deprecations],
        }
        for a in registry.artifacts.values()
    }}


def registry_json(rows: List["ArtifactSummary"]) -> Dict[str, Any]:
    """`show --json`: each artifact's latest version and stages."""
    return {
        r.name: {
            "version": r.latest,
            "stage": {s: ", ".join(v) if v else None for s, v in r.stages.items()},
            "registered": r.registered,
            "active": r.active,
        } for r in rows
    }


def registry_rows(stages: List[str], rows: List["ArtifactSummary"],
                  cut: Callable[[Optional[str]], Optional[str]] = short) -> List[List[Optional[str]]]:
    """`show`'s table, by name: `*name` for an artifact only annotated; `cut` shortens the
    versions in stages (commit ids, by default)."""
    return [
        [r.name if r.registered else f"*{r.name}", r.latest]
        + [", ".join(cut(v) or "" for v in r.stages[s] or ()) or None for s in stages]
        for r in sorted(rows, key=lambda r: r.name)
    ]


def registry_headers(stages: List[str]) -> List[str]:
    return ["name", "latest"] + [f"#{s}" for s in stages]


def version_rows(artifact: Artifact, rows: "VersionRows") -> List[List[Optional[str]]]:
    """`show NAME`'s table: one row a version."""
    table = []
    for version, stages in rows:  # a version registered again (--force) is one row: its newest tag
        label = artifact.name if artifact.is_registered else f"*{artifact.name}"
        stage_names = list(dict.fromkeys(s.stage for s in stages))
        table.append([label, short(version.name), ", ".join(stage_names),
                      human_time(version.authoring), short(version.authoring.ref)])
    return table
