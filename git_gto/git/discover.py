"""Finding a repository the way git does: GIT_DIR and GIT_WORK_TREE, `.git` directories and
files, bare repositories, GIT_CEILING_DIRECTORIES."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional

from git_gto.errors import NotARepository


@dataclass(frozen=True)
class Location:
    """Where a repository lives. `from_environment`: found through GIT_DIR, so the git we
    run inherits the user's GIT_* variables; otherwise they are cleared for it."""

    controldir: str
    worktree: Optional[str]
    commondir: str
    from_environment: bool = False


def discover(path: Optional[str] = None) -> Location:
    """The repository at or above `path` (default: the current directory, or GIT_DIR)."""
    env_dir = os.environ.get("GIT_DIR")
    if path is None and env_dir:
        controldir = os.path.abspath(env_dir)
        if not is_controldir(controldir):
            raise NotARepository(f"not a git repository: '{env_dir}'")
        worktree = os.environ.get("GIT_WORK_TREE")
        if worktree is None and not is_bare(controldir):
            worktree = os.getcwd()
        return _location(controldir, os.path.abspath(worktree) if worktree else None, True)
    start = os.path.abspath(path or os.getcwd())
    if not os.path.isdir(start):
        raise NotARepository(f"not a git repository: '{path}'")
    ceilings = [
        os.path.abspath(p) for p in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(":") if p
    ]
    current = start
    while True:
        dotgit = os.path.join(current, ".git")
        if os.path.isdir(dotgit) and is_controldir(dotgit):
            return _location(dotgit, current)
        if os.path.isfile(dotgit):
            with open(dotgit) as f:
                content = f.read().strip()
            if content.startswith("gitdir:"):
                target = os.path.join(current, content[len("gitdir:"):].strip())
                return _location(os.path.normpath(target), current)
        if is_controldir(current) and is_bare(current):
            return _location(current, None)
        parent = os.path.dirname(current)
        if parent == current or parent in ceilings:
            break
        current = parent
    raise NotARepository("not a git repository (or any of the parent directories): .git")


def _location(controldir: str, worktree: Optional[str], from_environment: bool = False) -> Location:
    commondir = controldir
    commondir_file = os.path.join(controldir, "commondir")
    if os.path.isfile(commondir_file):
        with open(commondir_file) as f:
            commondir = os.path.normpath(os.path.join(controldir, f.read().strip()))
    return Location(controldir, worktree, commondir, from_environment)


def is_controldir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "HEAD")) and (
        os.path.isdir(os.path.join(path, "objects")) or os.path.isfile(os.path.join(path, "commondir"))
    )


def is_bare(path: str) -> bool:
    """A control directory with no work tree of its own (not a `.git` directory)."""
    if os.path.basename(os.path.normpath(path)) == ".git":
        return False
    config = os.path.join(path, "config")
    try:
        with open(config) as f:
            text = f.read()
    except OSError:
        return True
    m = re.search(r"^\s*bare\s*=\s*(\w+)", text, re.MULTILINE | re.IGNORECASE)
    return not m or m.group(1).lower() in ("true", "yes", "1", "on")
