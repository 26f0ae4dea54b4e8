"""The pre-receive hook on real servers (tests/servers.py): pushes through smart HTTP
(lighttpd running git http-backend) and ssh (sshd) into a bare repository where `git gto
hook install` put the hook. The server runs the hook with its own environment: the hook
calls git-gto by the absolute path it had at install time, whose Python must have the
package (a virtual environment's git-gto has; a checkout's bin/git-gto needs `python3` with
it on the server's PATH, which the fixtures give: tests/servers.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import Repo, ok
from servers import served, servers  # noqa: F401 (fixtures)
from test_remote import bare_copy, served_path
from test_trust import commit_policy, gnupg, keys, refused_push, use_ssh  # noqa: F401 (fixtures and helpers)

SERVED = ("http", "ssh")


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def tags_of(bare: Path):
    return Repo(bare).tags()


def head_of(bare: Path) -> str:
    return git(bare, "rev-parse", "refs/heads/main").stdout.strip()


@pytest.fixture
def hosted(repo, gto, served, tmp_path):
    """(url by transport, the served bare repository): a clone of `repo` with one commit,
    the hook installed, `origin` of `repo` through the transport under test."""
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    ok(gto("hook", "install", "-r", str(bare)))
    urls = served(bare)
    return urls, served_path(urls)


def remote_lines(stderr: str):
    """What the hook said, as git shows it (without the padding of git's sideband)."""
    return [line.rstrip() for line in stderr.splitlines() if line.startswith("remote: ")]


@pytest.mark.parametrize("transport", SERVED)
def test_a_plain_git_push_is_judged_accepted_or_refused_whole(repo, gto, gnupg, hosted, transport):
    urls, bare = hosted
    repo.git("remote", "add", "origin", urls[transport])
    commit_policy(repo, gnupg)
    ok(gto("register", "m"))
    use_ssh(repo, gnupg, "alice")
    for stage in ("dev", "staging"):
        ok(gto("assign", "m", "--version", "v0.0.1", "--stage", stage))
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod", "--sign"))
    accepted = git(repo.path, "push", "--atomic", "origin", "main", "--tags")
    assert accepted.returncode == 0, accepted.stderr
    assert tags_of(bare) == repo.tags()
    assert head_of(bare) == repo.git("rev-parse", "main")
    before, main_before = tags_of(bare), head_of(bare)
    repo.commit("two")
    ok(gto("register", "m"))
    repo.tag("m#prod#5", "by hand, unsigned", "m@v0.0.1^{}")
    result = git(repo.path, "push", "--atomic", "origin", "main", "m@v0.0.2", "m#prod#5")
    refused_push(result, "remote: git-gto: refusing refs/tags/m#prod#5: policy protected_stages: events of stage "
                 "'prod' must be signed by alice@example.com: the tag is not signed", "pre-receive hook declined")
    # atomic: neither the branch nor the acceptable tag landed
    assert tags_of(bare) == before
    assert head_of(bare) == main_before
    assert git(bare, "fsck", "--no-progress").returncode == 0


@pytest.mark.parametrize("transport", SERVED)
def test_git_gto_push_refused_by_the_hook_says_the_rule_and_changes_nothing(repo, gto, gnupg, hosted,
                                                                            tmp_path, transport):
    """A user whose clone predates the policy: the local checks pass, the server's refuse."""
    urls, bare = hosted
    user = tmp_path / "user"
    cloned = git(tmp_path, "clone", "-q", urls[transport], str(user))
    assert cloned.returncode == 0, cloned.stderr
    repo.git("remote", "add", "origin", urls[transport])
    commit_policy(repo, gnupg)
    assert git(repo.path, "push", "origin", "main").returncode == 0
    ok(gto("register", "m", "--push", cwd=user))
    ok(gto("assign", "m", "--stage", "dev", "--push", cwd=user))
    before = tags_of(bare)
    assert before == ["m#dev#1", "m@v0.0.1"]
    result = gto("assign", "m", "--stage", "prod", "--push", cwd=user)
    assert result.exit_code == 1 and result.stdout == "", result
    assert remote_lines(result.stderr) == [
        "remote: git-gto: refusing refs/tags/m#prod#2: policy stage_order: 'prod' goes only to a version that "
        "holds or held 'staging' first"], result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: git push to 'origin' failed: m#prod#2 [remote rejected] (pre-receive hook declined); "
        "nothing was changed locally either."), result.stderr
    assert tags_of(bare) == before
    assert sorted(git(user, "tag").stdout.split()) == before
