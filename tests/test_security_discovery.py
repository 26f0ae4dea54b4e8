"""A shared registry must survive its hostile members: git-gto opens repositories, reads
revisions and passes values to git exactly as git does.

- safe.directory: a repository owned by another user is refused (reads too), as git refuses
  it, unless the protected configuration trusts it; a `pre-push` hook of that user never runs;
- discovery: `.git` files and directories are read by git's rules; GIT_WORK_TREE applies to a
  discovered repository;
- option injection: no `-r`, revision, name or `--branch` value is taken by git as an option;
- revisions: only well-formed ref names are looked up as files, as `git rev-parse --verify`.

Tests run as root (as CI does): `chown` gives a repository to uid 65534.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import List, Optional

import pytest

from git_gto.output import visible

FOREIGN = "65534:65534"


@pytest.fixture(autouse=True)
def as_root() -> None:
    """Giving a repository to another user needs root: fail, never skip (CI runs as root)."""
    assert os.geteuid() == 0, "these tests chown repositories: run them as root, as CI does"


def rev_parse(*args: str, cwd: Path, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "rev-parse", *args], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def one_line(stderr: str) -> str:
    """The single line a refusal prints (never an internal error)."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "internal error" not in stderr
    return lines[0]


def dubious(path: Path) -> str:
    p = os.path.realpath(path)
    return (f"fatal: detected dubious ownership in repository at '{p}' "
            f"(add it with: git config --global --add safe.directory {p})")


def trust(path: Path) -> None:
    subprocess.run(["git", "config", "--global", "--add", "safe.directory", os.path.realpath(path)],
                   check=True)


def chown(path: Path) -> None:
    subprocess.run(["chown", "-R", FOREIGN, str(path)], check=True)


def write_hook(repo, name: str, body: str) -> None:
    hook = repo.path / ".git" / "hooks" / name
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\n" + body)
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def tags_of(path: Path) -> List[str]:
    out = subprocess.run(["git", "-c", "safe.directory=*", "for-each-ref", "--format=%(refname:strip=2)",
                          "refs/tags"], cwd=path, stdout=subprocess.PIPE, text=True, check=True).stdout
    return out.split()


@pytest.fixture
def pushable(repo, tmp_path):
    """A repository with an `origin` and a pre-push hook that leaves a marker file."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    repo.commit("first")
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "origin", "main")
    marker = tmp_path / "hook-ran"
    write_hook(repo, "pre-push", f"touch '{marker}'\n")
    return bare, marker


# -- 1. safe.directory ----------------------------------------------------------------------

def test_foreign_repository_is_refused_for_reads(repo, gto, gto_e2e):
    repo.commit("first")
    (repo.path / "sub").mkdir()
    chown(repo.path)
    assert rev_parse("--git-dir", cwd=repo.path).returncode == 128  # git refuses it too
    for result in (gto_e2e("show"), gto_e2e("show", cwd=repo.path / "sub"), gto("show"),
                   gto("history")):
        assert result.exit_code == 128
        assert one_line(result.stderr) == dubious(repo.path)


def test_foreign_repository_push_runs_no_hook(repo, gto_e2e, pushable):
    bare, marker = pushable
    chown(repo.path)
    result = gto_e2e("register", "m", "--push")
    assert result.exit_code == 128
    assert one_line(result.stderr) == dubious(repo.path)
    assert not marker.exists()
    assert tags_of(repo.path) == [] and tags_of(bare) == []


def test_trusted_foreign_repository_works(repo, gto_e2e, pushable):
    bare, marker = pushable
    chown(repo.path)
    trust(repo.path)
    result = gto_e2e("register", "m", "--push")
    assert result.exit_code == 0, result.stderr
    assert marker.exists()
    assert tags_of(bare) == ["m@v0.0.1"]
    assert gto_e2e("show", "--plain").exit_code == 0


def test_foreign_repository_by_path(repo, gto_e2e, tmp_path):
    repo.commit("first")
    chown(repo.path)
    result = gto_e2e("show", "-r", str(repo.path), cwd=tmp_path)
    assert result.exit_code == 128
    assert one_line(result.stderr) == dubious(repo.path)
    trust(repo.path)
    assert gto_e2e("show", "-r", str(repo.path), cwd=tmp_path).exit_code == 0


def test_foreign_control_directory_alone_is_refused(repo, gto_e2e):
    repo.commit("first")
    chown(repo.path / ".git")
    result = gto_e2e("show")
    assert result.exit_code == 128
    assert one_line(result.stderr) == dubious(repo.path)


def test_foreign_bare_repository(repo, gto_e2e, tmp_path):
    repo.commit("first")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    chown(bare)
    for result in (gto_e2e("show", "-r", str(bare), cwd=tmp_path), gto_e2e("show", cwd=bare)):
        assert result.exit_code == 128
        assert one_line(result.stderr) == dubious(bare)


@pytest.mark.parametrize("env,works", [
    ({"SUDO_UID": "65534"}, True),  # root acting for the owner (sudo): git trusts it
    ({"SUDO_UID": "1234"}, False),
    ({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*"}, True),
])
def test_ownership_rules_are_gits(repo, gto_e2e, env, works):
    repo.commit("first")
    chown(repo.path)
    assert (rev_parse("--git-dir", cwd=repo.path, env=env).returncode == 0) is works
    result = gto_e2e("show", env=env)
    if works:
        assert result.exit_code == 0, result.stderr
    else:
        assert result.exit_code == 128
        assert one_line(result.stderr) == dubious(repo.path)


def test_safe_directory_star_in_global_config(repo, gto_e2e):
    repo.commit("first")
    chown(repo.path)
    subprocess.run(["git", "config", "--global", "--add", "safe.directory", "*"], check=True)
    assert gto_e2e("show").exit_code == 0


def test_explicit_git_dir_is_trusted_as_git_trusts_it(repo, gto_e2e):
    repo.commit("first")
    chown(repo.path)
    env = {"GIT_DIR": str(repo.path / ".git")}
    assert rev_parse("--git-dir", cwd=repo.path, env=env).returncode == 0
    assert gto_e2e("show", env=env).exit_code == 0


# -- 2. discovery ---------------------------------------------------------------------------

@pytest.mark.parametrize("content,expected", [
    ("gitdir: /nonexistent\n", "fatal: not a git repository: /nonexistent"),
    ("gitdir: ../notrepo\n", "fatal: not a git repository: {d}/../notrepo"),
    ("garbage\n", "fatal: invalid gitfile format: {d}/.git"),
    ("gitdir: \n", "fatal: no path in gitfile: {d}/.git"),
])
def test_git_file_naming_no_repository(repo, gto, tmp_path, content, expected):
    (tmp_path / "notrepo").mkdir()
    d = tmp_path / "work"
    d.mkdir()
    (d / ".git").write_text(content)
    expected = expected.format(d=d)
    said = rev_parse("--git-dir", cwd=d)
    assert said.returncode == 128 and said.stderr.splitlines()[0] == expected
    for args in (["show"], ["annotate", "m", "--type", "model"]):
        result = gto(*args, cwd=d)
        assert result.exit_code == 128
        assert one_line(result.stderr) == expected
    assert sorted(os.listdir(d)) == [".git"]  # annotate wrote nothing


@pytest.mark.parametrize("layout", ["empty", "bad HEAD", "no refs"])
def test_invalid_git_directory_is_passed_over_like_git(repo, gto, layout):
    repo.commit("first")
    gto("register", "m")
    dotgit = repo.path / "sub" / ".git"
    dotgit.mkdir(parents=True)
    if layout != "empty":
        (dotgit / "objects").mkdir()
        (dotgit / "HEAD").write_text("garbage\n" if layout == "bad HEAD" else "ref: refs/heads/main\n")
    if layout == "bad HEAD":
        (dotgit / "refs").mkdir()
    assert rev_parse("--show-toplevel", cwd=repo.path / "sub").stdout.strip() == str(repo.path)
    result = gto("show", "--plain", cwd=repo.path / "sub")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == gto("show", "--plain").stdout
    assert "m " in result.stdout


def test_git_work_tree_without_git_dir(repo, gto_e2e, tmp_path):
    repo.commit("first")
    wt = tmp_path / "wt"
    wt.mkdir()
    env = {"GIT_WORK_TREE": str(wt)}
    assert rev_parse("--show-toplevel", cwd=repo.path, env=env).stdout.strip() == str(wt)
    result = gto_e2e("annotate", "m", "--type", "model", env=env)
    assert result.exit_code == 0, result.stderr
    assert (wt / "artifacts.yaml").exists()
    assert not (repo.path / "artifacts.yaml").exists()


# -- 3. option injection --------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "--upload-pack=touch pwned",
    "--upload-pack=touch pwned;host:repo",
    "-u touch pwned host:repo",
])
def test_repo_value_beginning_with_dash(repo, gto_e2e, tmp_path, value):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = gto_e2e("show", "-r", value, cwd=tmp_path, env={"TMPDIR": str(tmp)})
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"error: '{value}' is not a repository path or URL: it begins with '-'"
    assert not (tmp_path / "pwned").exists()
    assert os.listdir(tmp) == []


@pytest.mark.parametrize("url,reason", [
    ("ext::sh -c touch% pwned", "transport 'ext' not allowed"),
    ("ssh://-oProxyCommand=touch pwned/x", "strange hostname '-oProxyCommand=touch pwned' blocked"),
])
def test_url_refused_by_git_policy(repo, gto_e2e, tmp_path, url, reason):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = gto_e2e("show", "-r", url, cwd=tmp_path, env={"TMPDIR": str(tmp)})
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"error: cannot clone '{url}': {reason}"
    assert not (tmp_path / "pwned").exists()
    assert not [n for n in os.listdir(tmp) if n.startswith("git-gto-")]


@pytest.mark.parametrize("rev", ["--all", "--git-dir", "--output=pwned", "-q"])
def test_revision_is_never_an_option(repo, gto, rev):
    repo.commit("first")
    assert rev_parse("--verify", "--quiet", "--end-of-options", rev, cwd=repo.path).returncode != 0
    result = gto("register", "m", "--", rev)
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"error: unknown revision '{rev}'"
    assert repo.tags() == [] and not (repo.path / "pwned").exists()


def test_name_is_never_a_push_option(repo, gto, pushable):
    bare, marker = pushable
    result = gto("register", "--push", "--", "--mirror")
    assert result.exit_code == 1
    assert one_line(result.stderr) == (
        "error: Invalid value '--mirror'. Only letters, numbers, '_', '-', '/' are allowed. "
        "Value must start and end with a letter or a number.")
    assert not marker.exists() and tags_of(bare) == [] and repo.tags() == []


def test_branch_is_never_a_checkout_option(repo, gto, pushable, tmp_path):
    bare, _marker = pushable
    before = subprocess.run(["git", "rev-parse", "main"], cwd=bare, stdout=subprocess.PIPE, text=True).stdout
    result = gto("annotate", "m", "--type", "model", "-r", f"file://{bare}", "--branch", "--orphan=evil",
                 cwd=tmp_path)
    assert result.exit_code == 2
    assert one_line(result.stderr) == "error: --branch takes a branch name, not '--orphan=evil'"
    after = subprocess.run(["git", "rev-parse", "main"], cwd=bare, stdout=subprocess.PIPE, text=True).stdout
    assert after == before


# -- 4. revisions ---------------------------------------------------------------------------

def _plant(repo, sha: str, tmp_path: Path) -> dict:
    """Files holding a sha where no ref may be read from, keyed by the revision naming them."""
    dotgit = repo.path / ".git"
    files = {
        str(tmp_path / "abs"): tmp_path / "abs",
        "../../fakeref": repo.path.parent / "fakeref",
        "refs/../x": dotgit / "x",
        "refs/../../outside": repo.path / "outside",
        "refs//heads/main": None,
        "refs/heads//main": None,
        "heads/c.lock": dotgit / "refs" / "heads" / "c.lock",
        "refs/heads/c.lock": dotgit / "refs" / "heads" / "c.lock",
        "refs/heads/.hidden": dotgit / "refs" / "heads" / ".hidden",
        "refs/heads/dot.": dotgit / "refs" / "heads" / "dot.",
        "heads/ma\tin": dotgit / "refs" / "heads" / "ma\tin",
        "heads/ma\x01in": dotgit / "refs" / "heads" / "ma\x01in",
        "refs/heads/main/": None,
        "/refs/heads/main": None,
    }
    for path in files.values():
        if path is not None:
            path.write_text(sha + "\n")
    return files


def test_a_file_is_not_a_revision(repo, gto, tmp_path):
    old = repo.commit("old")
    repo.commit("new")
    for rev in _plant(repo, old, tmp_path):
        said = rev_parse("--verify", "--quiet", "--end-of-options", rev, cwd=repo.path)
        assert said.returncode != 0, rev  # git does not read it
        result = gto("register", "m", rev)
        assert result.exit_code == 1, rev
        assert one_line(result.stderr) == visible(f"error: unknown revision '{rev}'")
        assert repo.tags() == []


def test_ordinary_revisions_still_resolve(repo, gto):
    first = repo.commit("first")
    repo.commit("second")
    repo.tag("rel", "a release", ref=first)
    repo.git("branch", "other", first)
    revs = ["main", "rel", "HEAD~1", first[:7], "refs/heads/main", "heads/other", "HEAD", "other^{commit}"]
    for i, rev in enumerate(revs):
        expected = repo.git("rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}")
        result = gto("register", f"m{i}", rev)
        assert result.exit_code == 0, (rev, result.stderr)
        assert repo.git("rev-parse", f"m{i}@v0.0.1^{{commit}}") == expected, rev


def test_an_embedded_bare_repository_is_refused_with_safe_bare_repository_explicit(repo, tmp_path):
    repo.commit("one")
    inner = repo.path / "inner.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(inner)], check=True)
    subprocess.run(["git", "config", "--global", "safe.bareRepository", "explicit"], check=True)
    git_says = subprocess.run(["git", "tag"], cwd=inner, capture_output=True, text=True)
    assert git_says.returncode == 128
    result = subprocess.run(["git-gto", "register", "m"], cwd=inner, capture_output=True, text=True)
    assert result.returncode == 128, result.stderr
    assert result.stderr == "fatal: cannot use bare repository '" + str(inner) + "' (safe.bareRepository is 'explicit')\n"
    assert subprocess.run(["git", "tag"], cwd=repo.path, capture_output=True, text=True).stdout == ""
    env = {**os.environ, "GIT_DIR": str(inner)}  # named explicitly: allowed, as by git
    assert subprocess.run(["git-gto", "show", "--json"], cwd=tmp_path, env=env, capture_output=True).returncode == 0


def test_discovery_stops_at_a_filesystem_boundary(repo):
    repo.commit("one")
    (repo.path / "mnt").mkdir()
    script = (f"mount -t tmpfs none {repo.path}/mnt && cd {repo.path}/mnt && git-gto show; echo rc=$?; "
              f"GIT_DISCOVERY_ACROSS_FILESYSTEM=1 git-gto show --json; echo rc=$?")
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert "rc=128" in result.stdout and "rc=0" in result.stdout, (result.stdout, result.stderr)
    assert f"fatal: not a git repository (or any parent up to mount point {repo.path}/mnt)" in result.stderr
