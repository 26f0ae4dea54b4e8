"""The one way git-gto runs the `git` program: in the repository's directory, with one
environment policy, and git's own words kept for the user."""

from __future__ import annotations

import os
import subprocess
from typing import Dict, Optional, Sequence

from git_gto.errors import GtoError
from git_gto.git.discover import Location
from git_gto.verbose import explain


# Variables that point git at a repository: inherited only when the user set them for the
# repository we act on (`git --git-dir=... gto`), cleared when we open another one.
REPOSITORY_VARIABLES = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX",
)


class GitFailed(GtoError):
    """`git` exited non-zero; `stderr` is what it said."""

    def __init__(self, message: str, stderr: str = "", returncode: int = 1):
        super().__init__(message)
        self.stderr = stderr
        self.returncode = returncode


def environment(location: Optional[Location]) -> Dict[str, str]:
    env = dict(os.environ)
    if location is None or not location.from_environment:
        for var in REPOSITORY_VARIABLES:
            env.pop(var, None)
    else:  # the user's GIT_DIR and GIT_WORK_TREE, made absolute: git runs in the work tree
        env["GIT_DIR"] = location.controldir
        if location.worktree:
            env["GIT_WORK_TREE"] = location.worktree
    return env


def git(location: Optional[Location], *args: str, check: bool = True, cwd: Optional[str] = None,
        input: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Run `git ARGS` for the repository at `location` (None: outside any repository),
    output captured as text, `input` on its stdin, `env` added to the environment. With
    `check`, a failure raises GitFailed quoting git."""
    process = start_git(location, *args, cwd=cwd, env=env, stdin=input is not None)
    result = finish(process, input)
    if check and result.returncode != 0:
        said = result.stderr if result.stderr.strip() else result.stdout
        raise GitFailed(f"git {args[0]} failed: {git_reason(said)}", result.stderr, result.returncode)
    return result


def start_git(location: Optional[Location], *args: str, cwd: Optional[str] = None,
              env: Optional[Dict[str, str]] = None, stdin: bool = False,
              unblock: Sequence[int] = ()) -> subprocess.Popen:
    """Start `git ARGS` as `git` runs it (output captured as text, stdin a pipe if asked) and
    return at once. `unblock`: the signals the caller blocks while git starts, so that none
    can leave git running unseen; git itself gets them unblocked."""
    if cwd is None and location is not None:
        cwd = location.worktree or location.controldir  # paths in ARGS are the repository's
    explain("git %s", " ".join(args))
    preexec = None
    if unblock:
        import signal

        def preexec() -> None:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, unblock)

    return subprocess.Popen(
        ["git", *args], cwd=cwd, env={**environment(location), **(env or {})},
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, errors="replace", preexec_fn=preexec,
    )


def finish(process: subprocess.Popen, input: Optional[str] = None) -> subprocess.CompletedProcess:
    """Wait for a started git (`input` on its stdin); an exception meanwhile (a signal) kills
    it first, so that no git outlives the command."""
    with process:
        try:
            stdout, stderr = process.communicate(input)
        except BaseException:
            process.kill()
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


_PREFIXES = ("fatal:", "error:", "warning:", "hint:", "remote:", "To ", "From ", "!")  # lines are stripped


def git_reason(stderr: str) -> str:
    """git's own reason: its `fatal:`/`error:` line with the lines that continue it (git
    words a refused connection over two: "unable to connect to HOST:", then "...errno=
    Connection refused"), else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for at, line in enumerate(lines):
        if line.startswith(("fatal: ", "error: ")):
            reason = line.split(": ", 1)[1]
            for more in lines[at + 1:]:
                if not reason.endswith(":") or more.startswith(_PREFIXES):
                    break
                reason = f"{reason} {more}"
            return reason
    return lines[-1] if lines else "no reason given"

