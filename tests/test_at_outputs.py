"""`git gto at` prints what it printed before its rows were cached: every commit of a
registry (annotations, stages, deregistrations, deprecations, a discovered version, an
artifact only annotated), with and without --contains, as a table, --plain and --json,
against `tests/at_recorded.json` (recorded by the code of a34c318, which built every row
from the artifact's tags; JSON documents as their SHA-256), with the cache empty, filled,
and bypassed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from registry_builder import build_registry

RECORDED = Path(__file__).with_name("at_recorded.json")
FORMS = {"table": (), "plain": ("--plain",), "json": ("--json",)}


@pytest.fixture
def registry(tmp_path, repo):
    """A registry of 8 artifacts (two nested, some deprecated, one only annotated) over 20
    commits, plus a stage assigned to a commit no version is registered on."""
    path = tmp_path / "reg"
    build_registry(path, artifacts=8, versions=5, stages=3, nested_every=4, with_yaml=True, layout="packed")
    repo.tick()
    repo.git("tag", "-a", "model-0001#stage-1#9", "-m", "by hand", "main~1", cwd=path)
    return path


def commits(path: Path, repo) -> list:
    return repo.git("rev-list", "main", cwd=path).split()


def outputs(path: Path, repo, gto) -> dict:
    found = {}
    for i, sha in enumerate(commits(path, repo)):
        for contains in (False, True):
            for form, args in FORMS.items():
                result = gto("at", sha, *(("--contains",) if contains else ()), *args, cwd=path)
                assert result.exit_code == 0, result.stderr
                text = hashlib.sha256(result.stdout.encode()).hexdigest() if form == "json" else result.stdout
                found[f"main~{i}{' --contains' if contains else ''} {form}"] = text
    return found


@pytest.mark.parametrize("cache", ["cold", "warm", "off"])
def test_outputs_are_the_recorded_ones(registry, repo, gto, monkeypatch, cache):
    if cache == "off":
        monkeypatch.setenv("GTO_NO_CACHE", "1")
    if cache == "warm":
        outputs(registry, repo, gto)
    assert outputs(registry, repo, gto) == json.loads(RECORDED.read_text())


def show_rows_on(path: Path, commit: str, contains: bool) -> list:
    """What `at` answers, from `show NAME --json` (the whole artifact built): each artifact's
    versions on the commit (or on the commits that contain it), by artifact name."""
    import subprocess

    from git_gto import api

    def contains_it(c: str) -> bool:
        return subprocess.run(["git", "merge-base", "--is-ancestor", commit, c], cwd=path).returncode == 0

    found = []
    for name in sorted(api.show(str(path), deprecated=True)):
        found += [v for v in api.show(str(path), name)
                  if v["commit_hexsha"] == commit or (contains and contains_it(v["commit_hexsha"]))]
    return found


def test_json_is_show_names_versions_on_those_commits(registry, repo, gto):
    for sha in commits(registry, repo):
        for contains in (False, True):
            result = gto("at", sha, "--json", *(("--contains",) if contains else ()), cwd=registry)
            assert json.loads(result.stdout) == show_rows_on(registry, sha, contains), (sha, contains)


def test_hand_made_versions_on_two_commits(ambiguous_versions, repo, gto):
    """n@v1.0.0 on c1 and on c2, a stage on each: at c1 shows what show n shows of c1."""
    c1, c2 = ambiguous_versions
    repo.tag("n#prod#3", "a", c2)
    repo.tag("n#dev#4", "a", c1)
    for commit in (c1, c2):
        for contains in (False, True):
            result = gto("at", commit, "--json", *(("--contains",) if contains else ()))
            assert json.loads(result.stdout) == show_rows_on(repo.path, commit, contains)
