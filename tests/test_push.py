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


REJECTED = ("error: git push to 'origin' failed: m@v0.0.1 [rejected] (already exists); nothing was changed "
            "locally either. The remote has moved: `git fetch --tags origin` and try again.")
HOOK_REFUSED = "error: git push to 'origin' failed: failed to push some refs to '"
NO_ORIGIN = "error: cannot push: the repository has no remote to push to (see git remote -v) (nothing was written)"


def refused_after_git(result, message: str, *git_said: str) -> None:
    """A refused push: git's own lines first (each of `git_said` among them), then our one
    line, which starts with `message`; exit 1, no internal error."""
    lines = result.stderr.splitlines()
    assert result.exit_code == 1 and lines, result.stderr
    assert lines[-1].startswith(message), result.stderr
    assert "internal error" not in result.stderr
    for said in git_said:
        assert any(said in line for line in lines[:-1]), (said, result.stderr)


def write_hook(repo, name: str, body: str) -> Path:
    return write_hook_at(repo.path / ".git", name, body)


def write_hook_at(git_dir: Path, name: str, body: str) -> Path:
    hook = git_dir / "hooks" / name
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
    refused_after_git(gto(*command), REJECTED, "failed to push some refs")
    assert local_tags(repo) == before
    # atomic: the stage tag did not reach the remote either
    assert remote_tags(repo) == {"m@v0.0.1": theirs}
    repo.fsck()


def test_pre_push_hook_rejection_leaves_nothing(repo, gto, remote):
    write_hook(repo, "pre-push", "echo 'no pushing today' >&2\nexit 1\n")
    repo.commit("second")
    refused_after_git(gto("assign", "m", "--stage", "prod", "--push"), HOOK_REFUSED, "no pushing today")
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
    refused_after_git(gto("deprecate", "m", "--delete", "--push"), HOOK_REFUSED)
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


# -- git's words, the remote git would choose ---------------------------------------------------

def test_a_server_hook_refusal_reaches_the_user_without_fetch_advice(repo, gto_e2e, remote):
    write_hook_at(remote, "pre-receive", "echo 'POLICY: prod needs a signed tag' >&2\nexit 1\n")
    repo.commit("second")
    result = gto_e2e("assign", "m", "--stage", "prod", "--push")
    refused_after_git(result, "error: git push to 'origin' failed: m#prod#1 [remote rejected] (pre-receive hook "
                      "declined); m@v0.0.1 [remote rejected] (pre-receive hook declined); nothing was changed "
                      "locally either.", "remote: POLICY: prod needs a signed tag")
    assert "git fetch" not in result.stderr
    assert local_tags(repo) == {} and remote_tags(repo) == {}


def test_a_server_message_on_success_is_passed_on(repo, gto, remote):
    write_hook_at(remote, "post-receive", "echo 'CI: pipeline 42 started'\n")
    repo.commit("second")
    result = ok(gto("register", "m", "--push"))
    assert "remote: CI: pipeline 42 started" in result.stderr
    assert result.stderr.rstrip().endswith("Pushed m@v0.0.1 to origin")


@pytest.mark.parametrize("setup, pushed_to", [
    (["remote.pushDefault", "upstream"], "upstream"),
    (["branch.main.remote", "upstream"], "upstream"),
    (["branch.main.pushRemote", "upstream"], "upstream"),
])
def test_the_remote_is_the_one_git_push_would_choose(repo, gto, tmp_path, setup, pushed_to):
    upstream = tmp_path / "upstream.git"
    git("init", "-q", "--bare", str(upstream), cwd=tmp_path)
    repo.commit("first")
    repo.git("remote", "add", "upstream", str(upstream))
    repo.git("config", *setup)
    result = ok(gto("register", "m", "--push"))
    assert f"Pushed m@v0.0.1 to {pushed_to}" in result.stderr
    assert git("tag", "-l", cwd=upstream) == "m@v0.0.1"
    hint = ok(gto("assign", "m", "--stage", "dev")).stderr
    assert "    git push upstream 'm#dev#1'" in hint.splitlines()


def test_remote_option_and_a_clone_made_with_another_origin_name(repo, gto, remote, tmp_path):
    clone = tmp_path / "clone"
    git("clone", "-q", "--origin", "upstream", str(remote), str(clone), cwd=tmp_path)
    git("commit", "-q", "--allow-empty", "-m", "c", cwd=clone)
    assert ok(gto("register", "m", "--push", cwd=clone)).stderr.rstrip().endswith("Pushed m@v0.0.1 to upstream")
    refused(gto("register", "n", "--push", "--remote", "nosuch", cwd=clone), 1,
            "error: cannot push: the repository has no remote 'nosuch' (nothing was written)")
    assert ok(gto("register", "n", "--push", "--remote", "upstream", cwd=clone)).exit_code == 0
    assert sorted(git("tag", "-l", cwd=remote).split()) == ["m@v0.0.1", "n@v0.0.1"]


def test_no_push_hint_without_any_remote(repo, gto):
    repo.commit("first")
    result = ok(gto("register", "m"))
    assert result.stderr == "Created git tag 'm@v0.0.1' that registers version\n"


def test_a_push_applied_but_never_acknowledged_keeps_the_tags(repo, gto_e2e, remote):
    """receive-pack dies after updating the refs: the tags are on the remote, so they stay
    here too, and the user is told the push went through."""
    write_hook_at(remote, "post-receive", "kill -9 $PPID\n")
    repo.commit("second")
    result = gto_e2e("register", "m", "--push")
    assert result.exit_code == 0, result.stderr
    assert "but 'origin' has the change: it went through" in result.stderr
    assert list(local_tags(repo)) == ["m@v0.0.1"] and list(remote_tags(repo)) == ["m@v0.0.1"]


def test_a_push_whose_outcome_cannot_be_known_keeps_the_tags_and_says_so(repo, gto_e2e, remote, tmp_path):
    """The remote dies and cannot be asked afterwards: nothing is undone, the user is told."""
    moved = tmp_path / "moved.git"
    write_hook_at(remote, "pre-receive", f"mv '{remote}' '{moved}'; kill -9 $PPID\n")
    repo.commit("second")
    result = gto_e2e("register", "m", "--push")
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: the outcome of the push to 'origin' is unknown ("), result.stderr
    assert last.endswith("the tags created are kept: check with `git ls-remote origin refs/tags/m@v0.0.1`")
    assert list(local_tags(repo)) == ["m@v0.0.1"]


def test_a_delete_push_to_an_unreachable_remote_keeps_the_tags(repo, gto, pushed):
    before = local_tags(repo)
    repo.git("remote", "set-url", "origin", str(repo.path.parent / "gone.git"))
    result = gto("deprecate", "m", "--delete", "--push")
    refused_after_git(result, "error: git push to 'origin' failed: ")
    assert "nothing was changed locally either" in result.stderr.splitlines()[-1]
    assert local_tags(repo) == before


def test_git_c_and_included_config_choose_the_remote(repo, gto_e2e, tmp_path):
    upstream = tmp_path / "upstream.git"
    git("init", "-q", "--bare", str(upstream), cwd=tmp_path)
    repo.commit("first")
    repo.git("remote", "add", "origin", str(tmp_path / "not-this.git"))
    included = tmp_path / "team.cfg"
    included.write_text(f'[remote "upstream"]\n\turl = {upstream}\n')
    repo.git("config", "include.path", str(included))  # the remote is defined in an included file
    result = subprocess.run(["git", "-c", "remote.pushDefault=upstream", "gto", "register", "m", "--push"],
                            cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 0, result.stderr
    assert "Pushed m@v0.0.1 to upstream" in result.stderr
    assert git("tag", "-l", cwd=upstream) == "m@v0.0.1"


def test_a_remote_name_is_never_an_option(repo, gto, remote):
    repo.git("config", "remote.--dry-run.url", str(remote))
    repo.commit("second")
    refused(gto("register", "m", "--push", "--remote=--dry-run"), 2,
            "error: --remote takes a remote's name, not '--dry-run'", repo, [])


def test_annotate_commit_with_git_dir_from_a_subdirectory(repo, tmp_path):
    repo.commit("first")
    sub = repo.path / "sub"
    sub.mkdir()
    result = subprocess.run(["git", "--git-dir=../.git", "--work-tree=..", "gto", "annotate", "m", "--type", "model",
                             "--commit"], cwd=sub, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 0, result.stderr
    assert repo.git("log", "-1", "--format=%s") == "Annotate artifact `m` of type `model`"
    assert repo.git("status", "--porcelain") == "?? sub/" or repo.git("status", "--porcelain") == ""
