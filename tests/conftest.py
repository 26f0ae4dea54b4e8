"""Hermetic Git for every test: a temporary HOME, no system config, fixed identity and dates.

Fixtures:
- `repo`: an empty repository (from pytest-git's `git_repo`) as a `Repo` helper;
- `ambiguous_versions`: `repo` with hand-made tags no version can be picked from;
- `gto`: run a `git gto` command line in this process (fast), stdout and stderr apart;
- `gto_e2e`: run the installed `git gto` through the real `git` in a subprocess.

Checks (plain functions: `from conftest import ok, refused`):
- `ok(result)`: the command succeeded, with no traceback and no internal error;
- `refused(result, code, message, ...)`: the command refused, as a refusal should.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "bin"
BASE_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z


@pytest.fixture(autouse=True)
def hermetic_git(tmp_path_factory, monkeypatch) -> None:
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n"
    )
    for var in list(os.environ):
        if var.startswith(("GIT_", "GTO_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_DATE", f"@{BASE_EPOCH} +0000")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{BASE_EPOCH} +0000")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("GTO_EMOJIS", "false")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # subprocesses run this checkout's code
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def _exit_code(result) -> int:
    """`Result` (the fixtures) or `subprocess.CompletedProcess`."""
    return result.exit_code if hasattr(result, "exit_code") else result.returncode


INTERNAL_ERROR = "internal error"  # how git_gto/exits.py words an unexpected exception


def ok(result):
    """Assert the command succeeded: exit 0, no traceback or internal error on stderr."""
    assert _exit_code(result) == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert INTERNAL_ERROR not in result.stderr, result.stderr
    return result


def refused(result, code: int, message: str, repo: Optional["Repo"] = None,
            before: Optional[Sequence[str]] = None) -> str:
    """Assert the command refused: exit status exactly `code`; stderr exactly one line (so
    no traceback), containing `message` (a plain substring, not a pattern) and not an
    internal error; nothing on stdout. With `repo` and `before` (its `repo.tags()` before
    the command), also that no tag changed and the repository is sound. Returns the line."""
    assert _exit_code(result) == code, (_exit_code(result), result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message and message in lines[0], (message, lines[0])
    assert INTERNAL_ERROR not in lines[0], lines[0]
    assert result.stdout == "", "a refusal prints nothing on stdout"
    assert (repo is None) == (before is None), "pass both repo and before, or neither"
    if repo is not None:
        assert repo.tags() == sorted(before), "a refused command changes no tag"
        repo.fsck()
    return lines[0]


class Repo:
    """A real repository in a temporary folder, driven with the real `git` binary."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.clock = BASE_EPOCH

    def tick(self, seconds: int = 60) -> str:
        """Advance the fixed clock used for commits and tags; returns the git date."""
        self.clock += seconds
        date = f"@{self.clock} +0000"
        os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = date
        return date

    def git(self, *args: str, check: bool = True, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["git", *args], cwd=cwd or self.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
        return result.stdout.strip()

    def commit(self, message: str = "change", files: dict | None = None) -> str:
        self.tick()
        for name, content in (files or {message.replace(" ", "_") + ".txt": message}).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            self.git("add", name)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, message: str | None = None, ref: str = "HEAD") -> None:
        """An annotated tag made by hand with git (or lightweight without a message)."""
        self.tick()
        if message is None:
            self.git("tag", name, ref)
        else:
            self.git("tag", "-a", name, "-m", message, ref)

    def tags(self) -> List[str]:
        return sorted(self.git("for-each-ref", "--format=%(refname:strip=2)", "refs/tags").split())

    def fsck(self) -> None:
        self.git("fsck", "--strict", "--no-progress")


@pytest.fixture
def repo(git_repo) -> Iterator[Repo]:
    path = Path(git_repo.workspace)
    subprocess.run(["git", "symbolic-ref", "HEAD", "refs/heads/main"], cwd=path, check=True)
    yield Repo(path)


@pytest.fixture
def ambiguous_versions(repo):
    """Tags made by hand that gto cannot make sense of: two versions of m on c1, and n's
    v1.0.0 on both c1 and c2. Returns (c1, c2)."""
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    for name, ref in (("m@v1.0.0", c1), ("m@v2.0.0", c1), ("n@v1.0.0", c1), ("n@v1.0.0#2", c2)):
        repo.tag(name, "by hand", ref)
    return c1, c2


@pytest.fixture
def gto(repo, monkeypatch):
    """Run `git gto ARGS` in-process from the repository (or `cwd`), as bin/git-gto does
    (the lines direct.py parses without click, any other through click)."""
    from git_gto.direct import run

    def invoke(*args: str, cwd: Path | None = None, tick: bool = True) -> Result:
        if tick:
            repo.tick()
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.chdir(cwd or repo.path)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(list(args))
        return Result(code, out.getvalue(), err.getvalue())

    return invoke


@pytest.fixture
def gto_e2e(repo):
    """Run `git gto ARGS` through git, as a user does (bin/ first on PATH)."""
    assert shutil.which("git-gto"), "bin/ must be on PATH"

    def invoke(*args: str, cwd: Path | None = None, env: dict | None = None, tick: bool = True) -> Result:
        if tick:
            repo.tick()
        result = subprocess.run(
            ["git", "gto", *args], cwd=cwd or repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env={**os.environ, **(env or {})},
        )
        return Result(result.returncode, result.stdout, result.stderr)

    return invoke


def needs(missing: bool, reason: str):
    """Mark a test that drives a system tool: it fails (never skips) when the tool is
    missing, saying how to get it."""
    import functools

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            assert not missing, f"{reason}: `bash .ci/setup` installs it"
            return fn(*args, **kwargs)

        return inner

    return wrap
