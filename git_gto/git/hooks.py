"""Installing git-gto as a repository's pre-receive or update hook, chaining the hook that
was there (it keeps running first, with the same input)."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from typing import TYPE_CHECKING, Optional, Tuple

from git_gto.errors import GtoError

if TYPE_CHECKING:
    from git_gto.git.repo import GitRepo

MARKER = "# installed by git gto hook install"


def hooks_dir(repo: "GitRepo") -> str:
    """core.hooksPath (relative to the work tree, or to a bare repository), else GIT_DIR/hooks."""
    configured = repo.config_value("core", "hooksPath")
    if configured:
        return os.path.join(repo.worktree or repo.commondir, os.path.expanduser(configured))
    return os.path.join(repo.commondir, "hooks")


def program() -> str:
    """The git-gto the hook will run: this one, by its absolute path."""
    found = shutil.which("git-gto")
    if found:
        return os.path.abspath(found)
    return os.path.abspath(sys.argv[0]) if os.path.basename(sys.argv[0]).startswith("git-gto") else "git-gto"


def command() -> str:
    """What the hook runs: git-gto with the Python running now (its package is there), so
    the server's PATH does not decide (a git server runs hooks with a PATH of its own,
    sshd's or the web server's, where `python3` may lack the package)."""
    gto = program()
    if os.path.isabs(gto) and sys.executable:
        return f"{shlex.quote(sys.executable)} {shlex.quote(gto)}"
    return shlex.quote(gto)


def script(kind: str, chained: Optional[str]) -> str:
    gto = command()
    if kind == "update":
        first = f'"$(dirname "$0")"/{shlex.quote(chained)} "$@" || exit $?\n' if chained else ""
        return f'#!/bin/sh\n{MARKER}\n{first}exec {gto} hook update "$@"\n'
    if not chained:
        return f"#!/bin/sh\n{MARKER}\nexec {gto} hook pre-receive\n"
    return (f"#!/bin/sh\n{MARKER}: the hook that was here runs first, with the same input\n"
            'input=$(mktemp) || exit 1\ntrap \'rm -f "$input"\' EXIT\ncat >"$input"\n'
            f'"$(dirname "$0")"/{shlex.quote(chained)} "$@" <"$input" || exit $?\n'
            f'{gto} hook pre-receive <"$input"\n')


def install(repo: "GitRepo", kind: str) -> Tuple[str, Optional[str]]:
    """Write the hook; an existing one (not ours) is renamed KIND.git-gto-chained and run
    first. Returns (the hook's path, the chained hook's name or None)."""
    directory = hooks_dir(repo)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, kind)
    chained_name = f"{kind}.git-gto-chained"
    chained: Optional[str] = None
    if os.path.lexists(path):
        with open(path, "rb") as f:
            ours = MARKER.encode() in f.read(4096)
        if ours:
            chained = chained_name if os.path.exists(os.path.join(directory, chained_name)) else None
        else:
            if os.path.lexists(os.path.join(directory, chained_name)):
                raise GtoError(f"cannot install: {chained_name} already exists in {directory}")
            os.rename(path, os.path.join(directory, chained_name))
            chained = chained_name
    tmp = path + ".git-gto-tmp"
    with open(tmp, "w") as f:
        f.write(script(kind, chained))
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)
    return path, chained
