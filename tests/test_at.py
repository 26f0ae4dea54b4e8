"""`git gto at REV [--contains]` and `api.versions_at`/`api.versions_containing`: the
versions on a commit, and the versions (and stage holders) whose commit contains it."""

from __future__ import annotations

import json

import pytest

from git_gto import api
from git_gto.errors import GtoError

from conftest import ok


@pytest.fixture
def line(repo):
    """main: c1 (churn v1.0.0, segment v0.1.0) - c2 (churn v1.1.0 in prod) - c3 (churn in
    dev, assigned without registration); side branch from c1: c4 (segment v0.2.0 in prod)."""
    shas = {"c1": repo.commit("c1")}
    repo.tag("churn@v1.0.0", "r")
    repo.tag("segment@v0.1.0", "r")
    shas["c2"] = repo.commit("c2")
    repo.tag("churn@v1.1.0", "r")
    repo.tag("churn#prod#1", "a")
    shas["c3"] = repo.commit("c3")
    repo.tag("churn#dev#2", "a")
    repo.git("checkout", "-q", "-b", "side", shas["c1"])
    shas["c4"] = repo.commit("c4")
    repo.tag("segment@v0.2.0", "r")
    repo.tag("segment#prod#1", "a")
    repo.git("checkout", "-q", "main")
    return shas


def rows(result):
    assert result.exit_code == 0, result.stderr
    return [line.split() for line in result.stdout.splitlines()[1:]]


def test_versions_on_a_commit_with_their_stages(line, gto):
    assert [r[:3] for r in rows(gto("at", line["c2"], "--plain"))] == [["churn", "v1.1.0", "prod"]]
    assert [r[:2] for r in rows(gto("at", "HEAD~2", "--plain"))] == [["churn", "v1.0.0"], ["segment", "v0.1.0"]]
    assert [r[:3] for r in rows(gto("at", "--plain"))] == [["churn", line["c3"][:7], "dev"]]


def test_a_tag_or_a_branch_names_its_commit(line, gto):
    assert [r[:2] for r in rows(gto("at", "side", "--plain"))] == [["segment", "v0.2.0"]]
    assert [r[:2] for r in rows(gto("at", "churn@v1.1.0", "--plain"))] == [["churn", "v1.1.0"]]


def test_json_is_shows_version_shape(line, gto):
    result = gto("at", line["c2"], "--json")
    data = json.loads(result.stdout)
    shown = json.loads(gto("show", "churn@v1.1.0", "--json").stdout)
    assert data == shown


def test_contains_lists_versions_on_descendants(line, gto):
    found = rows(gto("at", line["c1"], "--contains", "--plain"))
    assert [r[:2] for r in found] == [
        ["churn", "v1.1.0"], ["churn", "v1.0.0"], ["churn", line["c3"][:7]],
        ["segment", "v0.2.0"], ["segment", "v0.1.0"],
    ]
    # a fix made on c2 is in churn's prod, and not in segment's (which is on the side branch)
    found = rows(gto("at", line["c2"], "--contains", "--plain"))
    assert [r[:3] for r in found] == [["churn", "v1.1.0", "prod"], ["churn", line["c3"][:7], "dev"]]
    assert [r[:3] for r in rows(gto("at", line["c4"], "--contains", "--plain"))] == [["segment", "v0.2.0", "prod"]]


def test_nothing_found(line, repo, gto):
    repo.commit("c5")
    result = gto("at")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "Nothing found in the current workspace\n")
    assert json.loads(gto("at", "--contains", "--json").stdout) == []


def test_the_api_gives_the_cli_json(line, repo, gto):
    assert api.versions_at(str(repo.path), line["c2"]) == json.loads(gto("at", line["c2"], "--json").stdout)
    assert api.versions_containing(str(repo.path), line["c1"]) == json.loads(
        gto("at", line["c1"], "--contains", "--json").stdout)
    assert api.versions_at(str(repo.path), line["c2"])[0].version == "v1.1.0"


@pytest.mark.parametrize("args", [["at", "nosuch"], ["at", "nosuch", "--contains"]])
def test_unknown_revision_is_one_line(line, gto, args):
    result = gto(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "error: unknown revision 'nosuch'\n")


def test_unknown_revision_in_the_api(line, repo):
    with pytest.raises(GtoError, match="unknown revision 'nosuch'"):
        api.versions_at(str(repo.path), "nosuch")


def test_json_and_plain_together_is_a_usage_error(line, gto):
    result = gto("at", "--json", "--plain")
    assert (result.exit_code, result.stderr) == (2, "error: Only one output format allowed\n")


def test_through_git(line, gto_e2e):
    result = gto_e2e("at", "main~1", "--plain")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].split()[:3] == ["churn", "v1.1.0", "prod"]


def test_the_walk_matches_git_tag_contains(line, repo):
    """Every commit: the versions `--contains` finds are on the commits git says contain it."""
    from git_gto.ancestry import containing
    from git_gto.git.repo import GitRepo

    git_repo = GitRepo.discover(str(repo.path))
    candidates = set(line.values())
    for sha in line.values():
        expected = {c for c in candidates if _is_ancestor(repo, sha, c)}
        assert containing(git_repo, sha, candidates) == expected, sha


def _is_ancestor(repo, a: str, b: str) -> bool:
    import subprocess

    return subprocess.run(["git", "merge-base", "--is-ancestor", a, b], cwd=repo.path).returncode == 0


def test_cached_rows_follow_new_tags_and_a_new_head(line, repo, gto, monkeypatch):
    """The rows `at` keeps in the cache are those an uncached run prints, after a new tag,
    and after HEAD moves to a commit whose artifacts.yaml annotates other artifacts; an
    artifact keeps one set of rows."""
    from git_gto import cache as C

    def both(*args):
        cached = [gto("at", *args, *form).stdout for form in ((), ("--plain",))]
        monkeypatch.setenv("GTO_NO_CACHE", "1")
        try:
            return cached, [gto("at", *args, *form).stdout for form in ((), ("--plain",))]
        finally:
            monkeypatch.delenv("GTO_NO_CACHE")

    for step in ("warm", "tag", "annotated", "annotated again"):
        if step == "tag":
            repo.tag("churn@v1.2.0", "r", line["c3"])
        elif step.startswith("annotated"):
            listed = "churn: {type: model}\nnew: {}\n" if step == "annotated" else "segment: {}\n"
            repo.commit(step, {"artifacts.yaml": listed})
        for args in ((line["c1"], "--contains"), ("HEAD",), (line["c3"],)):
            cached, uncached = both(*args)
            assert cached == uncached, (step, args)
        if step.startswith("annotated"):  # the artifacts annotated at HEAD are at HEAD
            shown = {row.split()[0] for row in gto("at", "--plain").stdout.splitlines()[1:]}
            assert shown == ({"churn", "*new"} if step == "annotated" else {"segment"}), shown
    shards = C.RegistryCache(str(repo.path / ".git")).shards
    assert shards and all([k for k in s.summaries if k[0] == "rows"] == [C.ROWS] for s in shards.values())


def test_rows_made_while_a_commit_is_unreadable_are_not_kept(repo, gto):
    """A version whose commit cannot be read (a damaged object) is shown without its commit
    event this time; the rows made so are not cached, so the repaired repository shows it."""
    from git_gto import queries
    from git_gto.cache import ROWS
    from git_gto.workspace import Workspace

    first = repo.commit("one")
    ok(gto("register", "m"))
    second = repo.commit("two")
    ok(gto("register", "m"))
    loose = repo.path / ".git" / "objects" / second[:2] / second[2:]
    saved = loose.read_bytes()
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib")  # the commit is there, and unreadable
    with Workspace(str(repo.path)) as ws:
        assert [commit for commit, _ in queries.version_table(ws, "m")] == [second, first]
        assert "m" in ws.loader.partial
    with Workspace(str(repo.path)) as ws:
        assert ws.cache.summary("m", ROWS) is None  # nothing kept
    loose.write_bytes(saved)
    with Workspace(str(repo.path)) as ws:
        queries.version_table(ws, "m")
        assert "m" not in ws.loader.partial
    with Workspace(str(repo.path)) as ws:
        assert ws.cache.summary("m", ROWS) is not None
