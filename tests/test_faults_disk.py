"""A full disk: each command either succeeds or says in one line what failed, and leaves the
repository exactly as it was (no lock, no temporary file, no half-written object, no
rewritten artifacts.yaml). The disk is a small tmpfs mounted by the test (as root)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from conftest import INTERNAL_ERROR

CACHE = os.path.join(".git", "gto", "tags.cache")  # derived data, rebuilt when it is missing


@pytest.fixture
def disk(tmp_path) -> Iterator[Path]:
    assert os.geteuid() == 0, "mounting a small tmpfs needs root (CI runs as root)"
    where = tmp_path / "disk"
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, stdout=subprocess.PIPE, text=True).stdout.strip()


def contents(repo: Path) -> Dict[str, str]:
    """Every file of the work tree and the git directory (the cache aside), by content."""
    found = {}
    for root, _, files in os.walk(repo):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, repo)
            if rel not in (CACHE, "filler", os.path.join(".git", "index")):
                with open(path, "rb") as f:
                    found[rel] = hashlib.sha1(f.read()).hexdigest()
    # git's index by what it says (git may rewrite its stat data without changing anything)
    found["index entries"] = git(repo, "ls-files", "--stage")
    return found


def fill(disk: Path, free: int) -> None:
    """Fill the disk, then free `free` bytes."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (65536, 512):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                pass
    finally:
        os.close(fd)
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - free))


def gto(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "gto", *args], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60)


def assert_clean_failure(result: subprocess.CompletedProcess, before: Dict[str, str], repo: Path) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and INTERNAL_ERROR not in result.stderr
    assert "No space left on device" in lines[0] or "nothing was changed" in lines[0] or "left as it was" in lines[0], \
        lines[0]
    after = contents(repo)
    new = set(after) - set(before)
    # git's own `git add` may have stored the new blob before its commit failed: a complete,
    # dangling object (git gc prunes it), not a change to the repository
    assert all(re.fullmatch(r"\.git/objects/[0-9a-f]{2}/[0-9a-f]{38}", n) for n in new), new
    assert {k: v for k, v in after.items() if k not in new} == before


COMMANDS: List[List[str]] = [
    ["register", "m"],
    ["assign", "n", "HEAD", "--stage", "prod"],
    ["deprecate", "old", "--delete"],
    ["annotate", "m", "--type", "model", "--commit"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_full_disk_changes_nothing(disk, args):
    repo = disk / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.txt").write_text("a")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-q", "-m", "one")
    for i in range(20):
        git(repo, "tag", "-a", "-m", f"old {i}", f"old@v0.0.{i}")
    git(repo, "pack-refs", "--all")
    git(repo, "tag", "-a", "-m", "loose", "old#prod#21")
    failures = 0
    for free in range(0, 24 * 1024 + 1, 2048):
        before = contents(repo)
        fill(disk, free)
        result = gto(repo, *args)
        if result.returncode == 0:
            break
        failures += 1
        assert_clean_failure(result, before, repo)
        fsck = subprocess.run(["git", "fsck", "--no-dangling"], cwd=repo, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        assert fsck.returncode == 0 and "error" not in fsck.stdout, fsck.stdout
    (disk / "filler").unlink()
    assert failures, "the disk was never full enough to fail"
    result = gto(repo, *args)  # with room again, the same command works (or was done)
    assert "Traceback" not in result.stderr and INTERNAL_ERROR not in result.stderr
    subprocess.run(["git", "fsck"], cwd=repo, check=True, stdout=subprocess.DEVNULL)
