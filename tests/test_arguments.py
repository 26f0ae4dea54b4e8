"""Odd arguments and repositories: every one a clear refusal (or gto's answer), never an
internal error. Non-UTF-8 arguments go through a real process (argv bytes)."""

from __future__ import annotations

import subprocess

import pytest

from conftest import ok, refused

LONG = "a" * 300
BAD = "m\udcff"  # the byte 0xff in an argument, as Python receives it


@pytest.mark.parametrize("args,code,message", [
    (("register", LONG), 1, "is too long: git stores a tag as a file"),
    (("register", f"m/{LONG}"), 1, "is too long"),
    (("register", "m", LONG), 1, "unknown revision"),
    (("at", LONG), 1, "unknown revision"),
    (("assign", "m", "--stage", "qa", LONG), 1, "unknown revision"),
    (("assign", "m", "--version", "", "--stage", "qa"), 2, "--version needs a value"),
])
def test_odd_arguments_are_refused(repo, gto, args, code, message):
    repo.commit("one")
    ok(gto("register", "m"))
    before = repo.tags()
    refused(gto(*args), code, message, repo, before)


@pytest.mark.parametrize("args,code,message", [
    (("register", BAD), 1, "Invalid value 'm\\xff'"),
    (("register", "n", "--version", "v1.0.0\udcff"), 1, "cannot be parsed"),
    (("register", "n", "HEAD\udcff"), 1, "unknown revision 'HEAD\\xff'"),
    (("register", "n", "-m", "msg\udcff"), 1, "The message is not valid UTF-8 text"),
    (("deprecate", "m", "-m", "msg\udcff"), 1, "The message is not valid UTF-8 text"),
    (("assign", "m", "--stage", "qa", "-m", "\udcff"), 1, "The message is not valid UTF-8 text"),
    (("annotate", "m", "--description", "d\udcff"), 1, "--description: the value is not valid UTF-8 text"),
    (("annotate", "m", "--path", "p\udcff"), 1, "--path: the value is not valid UTF-8 text"),
    (("show", BAD), 1, "Cannot find artifact 'm\\xff'"),
])
def test_non_utf8_arguments_are_refused(repo, gto_e2e, args, code, message):
    repo.commit("one")
    ok(gto_e2e("register", "m"))
    before = repo.tags()
    refused(gto_e2e(*args), code, message, repo, before)
    assert not (repo.path / "artifacts.yaml").exists()


@pytest.mark.parametrize("command", ["show", "history"])
def test_empty_name_is_no_name_as_gto(repo, gto, command):
    repo.commit("one")
    ok(gto("register", "m"))
    assert ok(gto(command, "", "--plain", tick=False)).stdout == ok(gto(command, "--plain", tick=False)).stdout


def test_non_utf8_config_is_refused(repo, gto):
    repo.commit("one")
    (repo.path / ".gto").write_bytes(b"stages: [\xff]\n")
    refused(gto("show"), 1, "not valid YAML: not UTF-8 text")


def test_index_naming_a_directory_and_a_gitlink_index(repo, gto):
    commit = repo.commit("one", files={"idx/file": "x"})
    (repo.path / ".gto").write_text("index: idx\n")
    ok(gto("register", "m"))
    ok(gto("show"))
    refused(gto("describe", "m"), 1, "cannot read 'idx': not a regular file")
    (repo.path / ".gto").unlink()
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{commit},artifacts.yaml")
    repo.git("commit", "-q", "-m", "a gitlink named artifacts.yaml")
    ok(gto("show", "-A"))
    assert ok(gto("describe", "m", "--rev", "HEAD")).stdout == ""


def test_tag_of_a_missing_commit(repo, gto):
    repo.commit("one")
    raw = (b"object 1234567890123456789012345678901234567890\ntype commit\ntag yy@v1.0.0\n"
           b"tagger A <a@b> 1700000000 +0000\n\nm\n")
    sha = subprocess.run(["git", "hash-object", "-t", "tag", "-w", "--stdin", "--literally"], input=raw,
                         cwd=repo.path, capture_output=True, check=True).stdout.decode().strip()
    repo.git("update-ref", "refs/tags/yy@v1.0.0", sha)
    for args in (("show",), ("show", "yy"), ("history", "yy"), ("describe", "yy"), ("at", "--contains", "HEAD")):
        ok(gto(*args))
    assert "which is not a commit here" in gto("doctor").stdout


def test_all_commits_in_a_shallow_clone(repo, gto, tmp_path):
    for i in range(3):
        repo.commit(f"c{i}")
    repo.commit("ann", files={"artifacts.yaml": "mm:\n  type: model\n"})
    ok(gto("register", "mm"))
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    subprocess.run(["git", "fetch", "-q", "--tags"], cwd=clone, check=True)
    result = ok(gto("show", "-A", "--plain", cwd=clone))
    assert "mm" in result.stdout


def test_sha256_repository_is_refused(tmp_path, gto_e2e):
    path = tmp_path / "sha256"
    subprocess.run(["git", "init", "-q", "--object-format=sha256", str(path)], check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "x"], cwd=path, check=True)
    refused(gto_e2e("show", cwd=path), 128, "the repository uses sha256 object names, which git-gto does not support")


def test_unknown_repository_extension_is_refused(repo, gto):
    repo.commit("one")
    repo.git("config", "core.repositoryformatversion", "1")
    repo.git("config", "extensions.frobnicate", "true")
    assert "unknown repository extension found" in repo.git("status", check=False) + subprocess.run(
        ["git", "status"], cwd=repo.path, capture_output=True, text=True).stderr
    refused(gto("show"), 128, "unknown repository extension found: frobnicate (not supported by git-gto)")
    repo.git("config", "-f", ".git/config", "--unset", "extensions.frobnicate")
    repo.git("config", "-f", ".git/config", "extensions.worktreeConfig", "true")
    ok(gto("show"))
