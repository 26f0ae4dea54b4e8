"""`--push`, remote `-r URL` and `-r PATH`: against a local bare remote, with the real git.

Our rules (STYLE.md "Writing tags", spec §3.9): all tags of one command go in one atomic
`git push`; if the push fails, the local tags of that command are undone; `--push` without an
`origin` remote writes nothing.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Dict

import pytest

from conftest import ok, refused


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def remote_tags(repo) -> Dict[str, str]:
    """Tag name -> object id on origin, as `git ls-remote --tags origin` reports it."""
    out = repo.git("ls-remote", "--tags", "origin")
    tags = {}
    for line in out.splitlines():
        sha, ref = line.split("\t")
        if not ref.endswith("^{}"):
            tags[ref[len("refs/tags/"):]] = sha
    return tags


def local_tags(repo) -> Dict[str, str]:
    out = repo.git("for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/tags")
    return dict(line.split(" ") for line in out.splitlines())


REJECTED = ("error: git push to 'origin' failed ([rejected] m@v0.0.1 -> m@v0.0.1 (already exists)); nothing was"
            " changed locally either. Sync with `git fetch --tags origin` and try again.")
HOOK_REFUSED = "error: git push to 'origin' failed (error: failed to push some refs to '"
NO_ORIGIN = "error: cannot push: the repository has no remote 'origin' (nothing was written)"


def write_hook(repo, name: str, body: str) -> Path:
    hook = repo.path / ".git" / "hooks" / name
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\n" + body)
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return hook


@pytest.fixture
def remote(repo, tmp_path) -> Path:
    """A bare `origin` that already has the main branch."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    repo.commit("first")
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "origin", "main")
    return bare


def other_clone(remote: Path, tmp_path: Path) -> Path:
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], check=True)
    return other


# -- --push ----------------------------------------------------------------------------------


def test_register_push(repo, gto, remote):
    result = ok(gto("register", "m", "--push"))
    assert list(local_tags(repo)) == ["m@v0.0.1"]
    assert remote_tags(repo) == local_tags(repo)
    assert git("cat-file", "-t", "m@v0.0.1", cwd=remote) == "tag"
    assert "m@v0.0.1" in result.stderr
    assert "To push the changes upstream" not in result.stderr
    assert result.stdout == ""


def test_no_push_without_the_flag(repo, gto, remote):
    assert "    git push origin m@v0.0.1" in ok(gto("register", "m")).stderr.splitlines()
    assert "    git push origin 'm#prod#1'" in ok(gto("assign", "m", "--stage", "prod")).stderr.splitlines()
    assert remote_tags(repo) == {}


def test_assign_pushes_both_tags_in_one_push(repo, gto, remote, tmp_path):
    log = tmp_path / "pre-push.log"
    write_hook(repo, "pre-push", f'echo "--- $1" >> "{log}"\ncat >> "{log}"\nexit 0\n')
    repo.commit("second")
    ok(gto("assign", "m", "--stage", "prod", "--push"))
    assert sorted(remote_tags(repo)) == ["m#prod#1", "m@v0.0.1"]
    assert remote_tags(repo) == local_tags(repo)
    invocations = log.read_text().split("--- ")[1:]
    assert len(invocations) == 1, log.read_text()
    refs = sorted(line.split(" ")[0] for line in invocations[0].splitlines()[1:] if line)
    assert refs == ["refs/tags/m#prod#1", "refs/tags/m@v0.0.1"]


@pytest.mark.parametrize("command", [["assign", "m", "--stage", "prod", "--push"], ["register", "m", "--push"]])
def test_rejected_push_undoes_the_local_tags(repo, gto, remote, tmp_path, command):
    """Someone else pushed m@v0.0.1 first: the command's tags are undone locally."""
    other = other_clone(remote, tmp_path)
    git("commit", "-q", "--allow-empty", "-m", "theirs", cwd=other)
    git("tag", "-a", "m@v0.0.1", "-m", "Registering artifact m version v0.0.1", cwd=other)
    git("push", "-q", "origin", "main:theirs", "m@v0.0.1", cwd=other)
    theirs = remote_tags(repo)["m@v0.0.1"]
    ok(gto("register", "n"))  # an earlier local tag, not part of the failing command
    before = local_tags(repo)
    repo.commit("ours")
    refused(gto(*command), 1, REJECTED)
    assert local_tags(repo) == before
    # atomic: the stage tag did not reach the remote either
    assert remote_tags(repo) == {"m@v0.0.1": theirs}
    repo.fsck()


def test_pre_push_hook_rejection_leaves_nothing(repo, gto, remote):
    write_hook(repo, "pre-push", "echo 'no pushing today' >&2\nexit 1\n")
    repo.commit("second")
    refused(gto("assign", "m", "--stage", "prod", "--push"), 1, HOOK_REFUSED)
    assert local_tags(repo) == {}
    assert remote_tags(repo) == {}
    repo.fsck()


@pytest.fixture
def pushed(repo, gto, remote):
    """m@v0.0.1, m#prod#1, m#dev#2, n@v0.0.1 locally and on origin."""
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "prod"))
    ok(gto("assign", "m", "--stage", "dev"))
    ok(gto("register", "n"))
    repo.git("push", "-q", "origin", "--tags")
    assert remote_tags(repo) == local_tags(repo)
    return remote


def test_delete_push_deletes_on_the_remote(repo, gto, pushed):
    ok(gto("deprecate", "m", "v0.0.1", "prod", "--delete", "--push"))
    assert sorted(local_tags(repo)) == ["m#dev#2", "m@v0.0.1", "n@v0.0.1"]
    assert remote_tags(repo) == local_tags(repo)
    result = ok(gto("deprecate", "m", "--delete", "--push"))
    assert "To push the changes upstream" not in result.stderr
    assert sorted(local_tags(repo)) == ["n@v0.0.1"]
    assert remote_tags(repo) == local_tags(repo)


def test_failed_delete_push_restores_local_tags(repo, gto, pushed):
    write_hook(repo, "pre-push", "exit 1\n")
    before = local_tags(repo)
    refused(gto("deprecate", "m", "--delete", "--push"), 1, HOOK_REFUSED)
    assert local_tags(repo) == before
    assert remote_tags(repo) == before
    repo.fsck()


def test_push_without_origin_writes_nothing(repo, gto):
    repo.commit("first")
    repo.git("remote", "add", "upstream", str(repo.path.parent / "nowhere.git"))
    for command in (["register", "m", "--push"], ["assign", "m", "--stage", "prod", "--push"]):
        refused(gto(*command), 1, NO_ORIGIN, repo, [])
    ok(gto("register", "m"))
    refused(gto("deprecate", "m", "--delete", "--push"), 1, NO_ORIGIN, repo, ["m@v0.0.1"])


# -- -r URL and -r PATH ----------------------------------------------------------------------


def test_remote_url_clones_acts_and_pushes_back(repo, gto, remote, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    url = remote.as_uri()
    assert url.startswith("file:///")
    head = repo.git("rev-parse", "HEAD")
    result = ok(gto("register", "m", "-r", url, cwd=elsewhere))
    assert "To push the changes upstream" not in result.stderr
    tags = remote_tags(repo)
    assert list(tags) == ["m@v0.0.1"]
    assert git("rev-parse", "m@v0.0.1^{commit}", cwd=remote) == head
    assert git("cat-file", "-t", "m@v0.0.1", cwd=remote) == "tag"
    assert repo.tags() == []  # the local repository is not touched
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod", "-r", url, cwd=elsewhere))
    assert sorted(remote_tags(repo)) == ["m#prod#1", "m@v0.0.1"]
    ok(gto("deprecate", "m", "v0.0.1", "prod", "--delete", "-r", url, cwd=elsewhere))
    assert sorted(remote_tags(repo)) == ["m@v0.0.1"]
    git("fsck", "--strict", "--no-progress", cwd=remote)
    assert list(elsewhere.iterdir()) == []


def test_remote_url_leaves_no_temporary_clone(repo, gto_e2e, remote, tmp_path):
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"TMPDIR": str(scratch)}
    ok(gto_e2e("register", "m", "-r", remote.as_uri(), cwd=elsewhere, env=env))
    assert list(remote_tags(repo)) == ["m@v0.0.1"]
    shown = ok(gto_e2e("show", "m@latest", "--ref", "-r", remote.as_uri(), cwd=elsewhere, env=env))
    assert shown.stdout == "m@v0.0.1\n"
    refused(gto_e2e("register", "m", "-r", remote.as_uri(), cwd=elsewhere, env=env), 1, "error: 'm' is already registered in this commit with version 'v0.0.1'")
    assert list(scratch.iterdir()) == []


def test_remote_url_that_does_not_exist(repo, gto, tmp_path):
    url = (tmp_path / "missing.git").as_uri()
    refused(gto("register", "m", "-r", url, cwd=tmp_path), 1, f"error: cannot clone '{url}': ")


def test_repo_path_from_another_directory(repo, gto, remote, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo.path / "sub").mkdir()
    head = repo.git("rev-parse", "HEAD")
    ok(gto("register", "m", "-r", str(repo.path), cwd=elsewhere))
    ok(gto("assign", "m", "--stage", "prod", "-r", str(repo.path / "sub"), cwd=elsewhere))
    relative = os.path.relpath(repo.path, elsewhere)
    ok(gto("assign", "m", "--stage", "dev", "-r", relative, cwd=elsewhere))
    assert repo.tags() == ["m#dev#2", "m#prod#1", "m@v0.0.1"]
    assert repo.git("rev-parse", "m#dev#2^{commit}") == head
    assert remote_tags(repo) == {}  # a local path is not pushed without --push
    ok(gto("deprecate", "m", "v0.0.1", "dev", "--delete", "--push", "-r", str(repo.path), cwd=elsewhere))
    assert repo.tags() == ["m#prod#1", "m@v0.0.1"]
    repo.fsck()
