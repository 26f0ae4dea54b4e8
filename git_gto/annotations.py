"""Editing `artifacts.yaml` in the work tree: annotate, remove, describe."""

from __future__ import annotations

import os
import subprocess
from pathlib import PurePosixPath
from typing import Any, Dict, List, Optional

from git_gto import tags as T
from git_gto.config import compact_annotation, default_annotation, parse_index
from git_gto.errors import GtoError, UsageError


def index_path(ws) -> str:
    if ws.repo.worktree is None:
        raise GtoError("annotations need a work tree: this repository is bare")
    return os.path.join(ws.repo.worktree, ws.config.index)


def read_worktree_index(ws) -> Dict[str, Dict[str, Any]]:
    path = index_path(ws)
    try:
        with open(path, "rb") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    return parse_index(text, ws.config.index)


def write_worktree_index(ws, index: Dict[str, Dict[str, Any]]) -> None:
    """Write the file with defaults left out, keys sorted, atomically."""
    import yaml

    data = {name: compact_annotation(a) for name, a in index.items()}
    path = index_path(ws)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.safe_dump(data, f, default_flow_style=False, sort_keys=True, allow_unicode=True)
    os.replace(tmp, path)


def _overlaps(a: str, b: str) -> bool:
    """Equal paths, or one inside the other (trailing slashes ignored)."""
    pa, pb = PurePosixPath(os.path.normpath(a)), PurePosixPath(os.path.normpath(b))
    return pa == pb or pa in pb.parents or pb in pa.parents


def annotate(ws, name: str, type_: Optional[str] = None, path: Optional[str] = None,
             must_exist: bool = False, allow_same_path: bool = False,
             labels: Optional[List[str]] = None, description: Optional[str] = None,
             custom: Optional[str] = None) -> Dict[str, Any]:
    """Add or update the entry of NAME; everything is checked before the file is written."""
    labels = list(labels or [])
    for value in [name, *labels]:
        if not T.is_name(value):
            raise GtoError(T.INVALID_NAME.format(value))
    if type_:
        ws.config.check_type(type_)
    if must_exist:
        if not path:
            raise UsageError("--must-exist needs --path")
        head = ws.repo.head()
        if head is None or not ws.repo.path_exists(head, path.strip("/")):
            raise GtoError(f"Nothing found in '{path}' for checked out commit (commit it first)")
    index = read_worktree_index(ws)
    if path and not allow_same_path:
        for other, annotation in index.items():
            if other != name and annotation["path"] and _overlaps(path, annotation["path"]):
                raise GtoError(
                    f"Path '{path}' overlaps the path '{annotation['path']}' of '{other}' "
                    "(use --allow-same-path to allow it)"
                )
    if name in index:
        entry = index[name]
        entry["type"] = type_ or entry["type"]
        entry["path"] = path or entry["path"]
        if must_exist:
            entry["virtual"] = False
        elif path:
            entry["virtual"] = True
        entry["labels"] = sorted(set(entry["labels"]).union(labels))
        entry["description"] = description or entry["description"]
        entry["custom"] = custom or entry["custom"]
    else:
        entry = default_annotation()
        entry.update(type=type_, path=path, virtual=not must_exist, labels=labels,
                     description=description or "", custom=custom)
        index[name] = entry
    write_worktree_index(ws, index)
    return entry


def remove(ws, name: str) -> None:
    index = read_worktree_index(ws)
    if name not in index:
        raise GtoError(f"Cannot find artifact '{name}' in {ws.config.index}")
    del index[name]
    write_worktree_index(ws, index)


def commit_message(name: str, type_: Optional[str] = None, path: Optional[str] = None,
                   removed: bool = False) -> str:
    if removed:
        return f"Remove annotation for artifact `{name}`"
    return (f"Annotate artifact `{name}`" + (f" of type `{type_}`" if type_ else "")
            + (f" with path `{path}`" if path else ""))


def commit_index(ws, message: str, push: bool) -> None:
    """Commit artifacts.yaml alone (other changes stay as they are) with the user's git."""
    cwd = ws.repo.worktree
    for args in (["add", "--", ws.config.index], ["commit", "--quiet", "-m", message, "--", ws.config.index]):
        result = subprocess.run(["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise GtoError(f"git {args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")
    if push or ws.remote_url:
        result = subprocess.run(["git", "push", "--quiet", "origin", "HEAD"], cwd=cwd,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise GtoError(f"git push failed: {result.stderr.strip()}")


def describe(ws, name: str, rev: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """The annotation of NAME: from the work tree, at --rev, or at a shortcut's version."""
    from git_gto import api

    shortcut = T.parse_shortcut(name)
    if shortcut.is_shortcut:
        if rev:
            raise UsageError("Either specify --rev or use a naming shortcut")
        _artifact, rows = api.show_versions(ws, name)
        if not rows:
            return None
        if len(rows) > 1:
            raise GtoError("Ambiguous naming shortcut: several versions match")
        return ws.index_at(rows[0][0].commit).get(shortcut.name)
    if rev is None and ws.repo.worktree is not None:
        return read_worktree_index(ws).get(name)
    commit = ws.resolve(rev or "HEAD")
    return ws.index_at(commit).get(name)
