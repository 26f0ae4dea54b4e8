"""Writing the registry: register, assign, deprecate, annotate, remove, describe.

Every created tag is checked with real git (`git cat-file`, `git rev-parse`, `git fsck
--strict`); every refusal must leave the tags exactly as they were. Expectations come from
the gto 1.10.1 behaviour spec (§1.3-1.4, §2.1, §3.1-3.3, §3.9) and its Appendix A.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from typing import Dict, Optional, Tuple

import pytest
import yaml

from conftest import ok, refused

# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def origin(repo):
    """A remote named origin (never contacted here), as in a clone of a team's registry: the
    commands then print the `git push` to run."""
    repo.git("remote", "add", "origin", "https://git.example.com/team/registry.git")


def cat_tag(repo, tag: str) -> Tuple[Dict[str, str], bytes]:
    """The headers and the exact message bytes of an annotated tag, as git stores them."""
    raw = subprocess.run(
        ["git", "cat-file", "tag", f"refs/tags/{tag}"], cwd=repo.path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, check=True,
    ).stdout
    head, _, body = raw.partition(b"\n\n")
    headers = {}
    for line in head.decode().split("\n"):
        key, _, value = line.partition(" ")
        headers.setdefault(key, value)
    return headers, body


def default_tagger(repo) -> str:
    return f"Test User <test@example.com> {repo.clock} +0000"


def assert_tag(repo, tag: str, commit: str, message: str, tagger: Optional[str] = None) -> None:
    """`tag` is an annotated tag on `commit`, with exactly `message` + newline, by `tagger`."""
    assert repo.git("cat-file", "-t", f"refs/tags/{tag}") == "tag"
    assert repo.git("rev-parse", f"refs/tags/{tag}^{{commit}}") == commit
    headers, body = cat_tag(repo, tag)
    assert headers["object"] == commit
    assert headers["type"] == "commit"
    assert headers["tag"] == tag
    assert headers["tagger"] == (tagger or default_tagger(repo))
    assert body == message.encode() + b"\n"
    repo.fsck()


def tag_sha(repo, tag: str) -> str:
    return repo.git("rev-parse", f"refs/tags/{tag}")


def hint(*tags: str, delete: bool = False) -> str:
    verb = "git push --delete origin" if delete else "git push origin"
    return f"    {verb} " + " ".join(shlex.quote(t) for t in tags)


# -- register --------------------------------------------------------------------------------


def test_register_first_version_is_v0_0_1(repo, gto):
    commit = repo.commit("model")
    result = ok(gto("register", "m"))
    assert repo.tags() == ["m@v0.0.1"]
    assert_tag(repo, "m@v0.0.1", commit, "Registering artifact m version v0.0.1")
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Created git tag 'm@v0.0.1' that registers version"
    assert lines[1:] == ["To push the changes upstream, run:", "    git push origin m@v0.0.1"]


def test_register_next_is_patch_bump(repo, gto):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v1.2.3"))
    commit = repo.commit("two")
    ok(gto("register", "m"))
    assert repo.tags() == ["m@v1.2.3", "m@v1.2.4"]
    assert_tag(repo, "m@v1.2.4", commit, "Registering artifact m version v1.2.4")


@pytest.mark.parametrize("flag,expected", [
    ("--bump-major", "v2.0.0"), ("--bump-minor", "v1.3.0"), ("--bump-patch", "v1.2.4"),
])
def test_register_bump_flags(repo, gto, flag, expected):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v1.2.3"))
    commit = repo.commit("two")
    ok(gto("register", "m", flag))
    assert repo.tags() == sorted(["m@v1.2.3", f"m@{expected}"])
    assert_tag(repo, f"m@{expected}", commit, f"Registering artifact m version {expected}")


def test_bump_drops_prerelease_and_build(repo, gto):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v10.20.30-rc.1+build.5"))
    repo.commit("two")
    ok(gto("register", "m"))
    assert "m@v10.20.31" in repo.tags()


def test_bump_starts_from_greatest_semver_not_newest(repo, gto):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v2.0.0"))
    repo.commit("two")
    ok(gto("register", "m", "--version", "v1.0.0"))
    repo.commit("three")
    ok(gto("register", "m"))
    assert repo.tags() == ["m@v1.0.0", "m@v2.0.0", "m@v2.0.1"]


def test_bump_ignores_deregistered_and_lightweight_versions(repo, gto):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    repo.commit("two")
    ok(gto("register", "m", "--version", "v2.0.0"))
    ok(gto("deprecate", "m", "v2.0.0"))
    repo.tag("m@v7.0.0", ref="HEAD~1")  # lightweight: not a version
    repo.commit("three")
    ok(gto("register", "m"))
    assert "m@v1.0.1" in repo.tags()


def test_lightweight_version_tag_is_not_a_version(repo, gto):
    repo.commit("one")
    repo.tag("lw@v1.0.0")
    commit = repo.commit("two")
    ok(gto("register", "lw"))
    assert_tag(repo, "lw@v0.0.1", commit, "Registering artifact lw version v0.0.1")


@pytest.mark.parametrize("option", ["--version", "--ver"])
@pytest.mark.parametrize("version", ["v1.0.0", "v1.0.0-alpha+001", "v3.4.5-pre.2+build.4", "v3.4.5-pre.2-build.4", "v0.0.0"])
def test_register_explicit_version(repo, gto, option, version):
    commit = repo.commit("one")
    result = ok(gto("register", "m", option, version))
    tag = f"m@{version}"
    assert repo.tags() == [tag]
    assert_tag(repo, tag, commit, f"Registering artifact m version {version}")
    assert f"Created git tag '{tag}' that registers version" in result.stderr
    assert hint(tag) in result.stderr.splitlines()


@pytest.mark.parametrize("ref_expr", ["HEAD~1", "HEAD^", "main~1", "feature", "refs/heads/feature", "SHORT", "FULL", "lightweight", "annotated"])
def test_register_resolves_refs_as_git_does(repo, gto, ref_expr):
    first = repo.commit("one")
    repo.git("branch", "feature")
    repo.tag("lightweight")
    repo.tag("annotated", message="a release")
    repo.commit("two")
    ref = {"SHORT": first[:7], "FULL": first}.get(ref_expr, ref_expr)
    ok(gto("register", "m", ref))
    assert repo.git("rev-parse", "m@v0.0.1^{commit}") == repo.git("rev-parse", f"{ref}^{{commit}}") == first
    assert_tag(repo, "m@v0.0.1", first, "Registering artifact m version v0.0.1")


@pytest.mark.parametrize("suffix", ["^{commit}", "^{}", "~0", "^0"])
def test_register_peeling_suffixes_stay_on_the_commit(repo, gto, suffix):
    """`HEAD^{commit}` is HEAD itself (git rev-parse), not its parent."""
    repo.commit("one")
    head = repo.commit("two")
    repo.tag("annotated", message="a release")
    for i, base in enumerate(["HEAD", "annotated"]):
        ref = base + suffix
        assert repo.git("rev-parse", f"{ref}^{{commit}}") == head
        ok(gto("register", f"m{i}", ref))
        assert_tag(repo, f"m{i}@v0.0.1", head, f"Registering artifact m{i} version v0.0.1")


def test_register_with_dirname(repo, gto):
    commit = repo.commit("one")
    result = ok(gto("register", "cls/dvc.live:models/nn"))
    tag = "cls/dvc.live=models/nn@v0.0.1"
    assert repo.tags() == [tag]
    assert_tag(repo, tag, commit, "Registering artifact cls/dvc.live:models/nn version v0.0.1")
    assert hint(tag) in result.stderr.splitlines()


def test_register_custom_message_verbatim(repo, gto):
    commit = repo.commit("one")
    message = "Release of the month\n\nTrained on: data/2024-01 (see #12)"
    ok(gto("register", "m", "-m", message))
    assert_tag(repo, "m@v0.0.1", commit, message)


def test_register_empty_message_means_default(repo, gto):
    commit = repo.commit("one")
    ok(gto("register", "m", "--message", ""))
    assert_tag(repo, "m@v0.0.1", commit, "Registering artifact m version v0.0.1")


def test_tagger_from_committer_environment(repo, gto, monkeypatch):
    commit = repo.commit("one")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Ada Lovelace")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "ada@example.org")
    ok(gto("register", "m", tick=False))
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1700000000 +0530")
    ok(gto("register", "n", tick=False))
    assert_tag(repo, "m@v0.0.1", commit, "Registering artifact m version v0.0.1",
               tagger=f"Ada Lovelace <ada@example.org> {repo.clock} +0000")
    assert_tag(repo, "n@v0.0.1", commit, "Registering artifact n version v0.0.1",
               tagger="Ada Lovelace <ada@example.org> 1700000000 +0530")


@pytest.mark.parametrize("date", [
    "@1700000000 -0700", "1700000000 +0100", "2005-04-07T22:13:13+02:00", "2005-04-07 22:13:13 -0130",
    "Thu, 07 Apr 2005 22:13:13 +0200",
])
def test_tagger_date_like_git(repo, gto, monkeypatch, date):
    """Same GIT_COMMITTER_* as `git tag -a`: the same tagger line."""
    commit = repo.commit("one")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Grace Hopper")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "grace@example.org")
    monkeypatch.setenv("GIT_COMMITTER_DATE", date)
    repo.git("tag", "-a", "by-git", "-m", "x")
    ok(gto("register", "m", tick=False))
    expected = cat_tag(repo, "by-git")[0]["tagger"]
    assert_tag(repo, "m@v0.0.1", commit, "Registering artifact m version v0.0.1", tagger=expected)


def test_tagger_name_from_env_email_from_config(repo, gto, monkeypatch):
    """Each of GIT_COMMITTER_NAME and _EMAIL overrides its own config key, as in git."""
    commit = repo.commit("one")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Only Name")
    repo.git("tag", "-a", "by-git", "-m", "x")
    ok(gto("register", "m", tick=False))
    expected = cat_tag(repo, "by-git")[0]["tagger"]
    assert expected.startswith("Only Name <test@example.com> ")
    assert_tag(repo, "m@v0.0.1", commit, "Registering artifact m version v0.0.1", tagger=expected)


def test_unicode_tagger_and_message(repo, gto, monkeypatch):
    commit = repo.commit("one")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Zoë Ñúñez 山田")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "zoe@exämple.org")
    repo.git("tag", "-a", "by-git", "-m", "x")
    message = "Modèle prêt ✓ — 模型"
    ok(gto("register", "m", "-m", message, tick=False))
    expected = cat_tag(repo, "by-git")[0]["tagger"]
    assert_tag(repo, "m@v0.0.1", commit, message, tagger=expected)


def test_tagger_offset_from_local_time_zone(repo, gto_e2e):
    """Without GIT_COMMITTER_DATE the tag time is now, in the local UTC offset (as git)."""
    repo.commit("one")
    env = {k: v for k, v in os.environ.items() if k != "GIT_COMMITTER_DATE"}
    env["TZ"] = "XYZ-5:30"
    subprocess.run(["git", "tag", "-a", "by-git", "-m", "x"], cwd=repo.path, env=env, check=True)
    ok(subprocess.run(["git", "gto", "register", "m"], cwd=repo.path, env=env, capture_output=True, text=True))
    ours = cat_tag(repo, "m@v0.0.1")[0]["tagger"]
    theirs = cat_tag(repo, "by-git")[0]["tagger"]
    assert theirs.endswith(" +0530")
    assert ours.rsplit(" ", 2)[0] == theirs.rsplit(" ", 2)[0] == "Test User <test@example.com>"
    assert ours.endswith(" +0530")
    repo.fsck()


def test_tagger_from_repository_config(repo, gto):
    commit = repo.commit("one")
    repo.git("config", "user.name", "Repo Local")
    repo.git("config", "user.email", "local@example.net")
    ok(gto("register", "m"))
    assert_tag(repo, "m@v0.0.1", commit, "Registering artifact m version v0.0.1",
               tagger=f"Repo Local <local@example.net> {repo.clock} +0000")


def test_register_refuses_existing_version(repo, gto):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    repo.commit("two")
    before = repo.tags()
    sha = tag_sha(repo, "m@v1.0.0")
    result = gto("register", "m", "--version", "v1.0.0")
    refused(result, 1, "Version 'v1.0.0' already was registered", repo, before)
    assert tag_sha(repo, "m@v1.0.0") == sha


def test_register_refuses_deregistered_version_name_elsewhere(repo, gto):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    ok(gto("deprecate", "m", "v1.0.0"))
    repo.commit("two")
    before = repo.tags()
    refused(gto("register", "m", "--version", "v1.0.0"), 1, "already was registered", repo, before)


def test_register_refuses_second_version_on_registered_commit(repo, gto):
    repo.commit("one")
    ok(gto("register", "m"))
    before = repo.tags()
    result = gto("register", "m", "--version", "v1.0.0")
    refused(result, 1, "'m' is already registered in this commit with version 'v0.0.1'", repo, before)
    refused(gto("register", "m"), 1, "already registered in this commit", repo, before)


def test_register_other_artifact_on_same_commit_is_fine(repo, gto):
    commit = repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("register", "n"))
    assert repo.tags() == ["m@v0.0.1", "n@v0.0.1"]
    assert_tag(repo, "n@v0.0.1", commit, "Registering artifact n version v0.0.1")


def test_force_on_registered_commit_only_allows_the_same_version(repo, gto):
    repo.commit("one")
    ok(gto("register", "m"))
    before = repo.tags()
    result = gto("register", "m", "--version", "v1.0.0", "--force")
    refused(result, 1, "For this REF you can only register v0.0.1", repo, before)


def test_force_simple_form_collides_with_existing_tag(repo, gto):
    repo.commit("one")
    ok(gto("register", "m"))
    before = repo.tags()
    refused(gto("register", "m", "--force"), 1, "tag 'm@v0.0.1' already exists", repo, before)


def test_force_with_counter_form_registers_again(repo, gto):
    commit = repo.commit("one")
    ok(gto("register", "m"))
    result = ok(gto("register", "m", "--force", "--simple", "false"))
    assert repo.tags() == ["m@v0.0.1", "m@v0.0.1#1"]
    assert_tag(repo, "m@v0.0.1#1", commit, "Registering artifact m version v0.0.1")
    assert hint("m@v0.0.1#1") in result.stderr.splitlines()
    assert "'m@v0.0.1#1'" in hint("m@v0.0.1#1")
    shown = ok(gto("show", "m", "--plain")).stdout.splitlines()
    assert len(shown) == 2 and shown[1].split()[:2] == ["m", "v0.0.1"], "one row, the newest tag"
    assert shown[1].split()[-1] == "m@v0.0.1#1"


def test_reregister_deregistered_commit_reuses_its_version(repo, gto):
    commit = repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    ok(gto("deprecate", "m", "v1.0.0"))
    before = repo.tags()
    # the same name again, simple form: the tag is there already
    refused(gto("register", "m"), 1, "tag 'm@v1.0.0' already exists", repo, before)
    # another name on that commit is refused
    refused(gto("register", "m", "--version", "v2.0.0"), 1, "you can only register v1.0.0", repo, before)
    ok(gto("register", "m", "--simple", "false"))
    assert repo.tags() == ["m@v1.0.0", "m@v1.0.0!", "m@v1.0.0#1"]
    assert_tag(repo, "m@v1.0.0#1", commit, "Registering artifact m version v1.0.0")


def test_register_simple_false_uses_artifact_counter(repo, gto):
    repo.commit("one")
    repo.tag("m#prod#3")  # lightweight tags count for the counter
    repo.tag("other#prod#9")
    commit = repo.commit("two")
    ok(gto("register", "m", "--simple", "false"))
    assert_tag(repo, "m@v0.0.1#4", commit, "Registering artifact m version v0.0.1")


def test_bump_without_versions_is_an_error(repo, gto):
    repo.commit("one")
    for flag in ("--bump-major", "--bump-minor", "--bump-patch"):
        result = gto("register", "m", flag)
        refused(result, 1, "Can't apply bump, because this is the first version being registered", repo, [])


@pytest.mark.parametrize("args", [
    ["--version", "v1.0.0", "--bump-minor"], ["--bump-major", "--bump-minor"],
    ["--bump-patch", "--bump-minor", "--bump-major"],
])
def test_version_and_bumps_exclusive(repo, gto, args):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v0.1.0"))
    repo.commit("two")
    before = repo.tags()
    refused(gto("register", "m", *args), 2, "Need to specify either version or single bump argument", repo, before)


def test_register_in_repository_without_commits(repo, gto):
    result = gto("register", "m")
    refused(result, 1, "error: the repository has no commits yet", repo, [])


# -- bad input, for every writing command ----------------------------------------------------

BAD_NAMES = ["bad name", "_m", "m-", "m/", "/m", "x:", ":x", "a:b:c", "model@1", "model#1", "m.1", "@ns/m"]


@pytest.fixture
def state(repo, gto):
    """m@v1.0.0 on c1 with prod; c2 is HEAD, unregistered. Returns (c1, c2)."""
    c1 = repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    ok(gto("assign", "m", "--version", "v1.0.0", "--stage", "prod"))
    c2 = repo.commit("two")
    return c1, c2


OTHER_COMMANDS = [
    ["register", "{}", "--version", "v9.0.0"], ["assign", "{}", "--stage", "prod"],
    ["assign", "{}", "--version", "v1.0.0", "--stage", "prod"], ["deprecate", "{}"],
    ["deprecate", "{}", "v1.0.0"], ["deprecate", "{}", "v1.0.0", "prod"], ["deprecate", "{}", "--force"],
]


@pytest.mark.parametrize("command,name", [(["register", "{}"], n) for n in BAD_NAMES] + [
    (c, n) for c in OTHER_COMMANDS for n in ("bad name", "x:", "model#1", "m-")
])
def test_invalid_names_refused(repo, gto, state, name, command):
    before = repo.tags()
    result = gto(*[a.format(name) for a in command])
    refused(result, 1, f"Invalid value '{name}'", repo, before)


@pytest.mark.parametrize("version", ["1.0.0", "V1.0.0", "v1", "v1.2", "v03.0.0", "v3.0.0-01", "latest", "v1.0.0 ", "vv1.0.0"])
def test_register_invalid_version(repo, gto, state, version):
    before = repo.tags()
    result = gto("register", "m", "--version", version)
    refused(result, 1, f"Supplied version '{version}' cannot be parsed", repo, before)


@pytest.mark.parametrize("command", [
    ["assign", "m", "--version", "{}", "--stage", "dev"],
    ["assign", "m", "HEAD", "--version", "{}", "--stage", "dev"],
    ["deprecate", "m", "{}"],
    ["deprecate", "m", "{}", "prod"],
])
@pytest.mark.parametrize("version", ["1.0.0", "v1", "V1.0.0"])
def test_other_commands_invalid_version(repo, gto, state, command, version):
    before = repo.tags()
    result = gto(*[a.format(version) for a in command])
    refused(result, 1, f"Version '{version}' is not valid", repo, before)


@pytest.mark.parametrize("stage", ["bad stage", "_prod", "prod-", "pro#d", "pro@d", "p!"])
@pytest.mark.parametrize("command", [
    ["assign", "m", "--stage", "{}"], ["assign", "m", "--version", "v1.0.0", "--stage", "{}"],
    ["deprecate", "m", "v1.0.0", "{}"],
])
def test_invalid_stage_refused(repo, gto, state, stage, command):
    before = repo.tags()
    result = gto(*[a.format(stage) for a in command])
    refused(result, 1, f"Invalid value '{stage}'", repo, before)


BAD_REFS = {
    "nope": "unknown revision 'nope'",
    "HEAD~5": "unknown revision 'HEAD~5'",
    "deadbeef": "unknown revision 'deadbeef'",
    "0" * 40: f"'{'0' * 40}' does not name a commit",
    "HEAD^{tree}": "'HEAD^{tree}' does not name a commit",
    "main..HEAD": "unknown revision 'main..HEAD'",
    "": "unknown revision ''",
}


@pytest.mark.parametrize("ref", list(BAD_REFS))
@pytest.mark.parametrize("command", [["register", "m"], ["assign", "m", "--stage", "dev"], ["deprecate", "m", "--ref"]])
def test_bad_refs_refused(repo, gto, state, ref, command):
    before = repo.tags()
    result = gto(*command, ref)
    refused(result, 1, f"error: {BAD_REFS[ref]}", repo, before)


def test_disallowed_stage_from_config(repo, gto, state):
    (repo.path / ".gto").write_text("stages: [dev, prod]\n")
    before = repo.tags()
    # on an unregistered commit: not even the registration tag may be written
    for command in (["assign", "m", "--stage", "qa"], ["assign", "m", "HEAD", "--version", "v2.0.0", "--stage", "qa"],
                    ["assign", "m", "--version", "v1.0.0", "--stage", "qa"], ["deprecate", "m", "v1.0.0", "qa"]):
        result = gto(*command)
        refused(result, 1, "Stage 'qa' is not allowed: allowed stages are ['dev', 'prod'] (.gto)", repo, before)
    ok(gto("assign", "m", "--stage", "dev"))
    assert set(repo.tags()) == set(before) | {"m#dev#2", "m@v1.0.1"}


def test_force_with_simple_true_refused(repo, gto, state):
    before = repo.tags()
    refused(gto("deprecate", "m", "--force", "--simple", "true"), 2, "Can't use 'force' with 'simple=True'", repo, before)
    refused(gto("deprecate", "zz", "--force", "--simple", "true"), 2, "Can't use 'force' with 'simple=True'", repo, before)


def test_assign_unregistered_version_refused(repo, gto, state):
    before = repo.tags()
    refused(gto("assign", "m", "--version", "v9.9.9", "--stage", "prod"), 1, "Version 'v9.9.9' of 'm' is not registered", repo, before)
    refused(gto("assign", "zz", "--version", "v1.0.0", "--stage", "prod"), 1, "Cannot find artifact 'zz'", repo, before)


def test_simple_option_values(repo, gto, state):
    before = repo.tags()
    refused(gto("register", "m", "--simple", "yes"), 2,
            "Invalid value for '--simple': 'yes' is not one of 'auto', 'true', 'false'", repo, before)


def test_invalid_ref_name_from_valid_artifact_name(repo, gto, state):
    """`a..b:m` passes the name grammar but is no valid ref name: refused, nothing written."""
    before = repo.tags()
    for name in ("a..b:m", "x.lock/y:m", "./x:m"):
        tag = name.replace(":", "=") + "@v0.0.1"
        refused(gto("register", name), 1, f"'{tag}' is not a valid Git tag name (see git check-ref-format)", repo, before)


def test_writes_on_ambiguous_hand_made_versions_are_refused(repo, gto, ambiguous_versions):
    """Reads cope with two versions on one commit, or one version on two commits (test_read);
    a write that would have to pick one refuses and says which tags to fix."""
    c1, c2 = ambiguous_versions
    before = repo.tags()
    two_versions = "error: 'm' has several versions registered at this commit (v1.0.0, v2.0.0); fix the tags first"
    refused(gto("register", "m", c1), 1, two_versions, repo, before)
    refused(gto("assign", "m", c1, "--stage", "prod"), 1, two_versions, repo, before)
    two_commits = (f"error: version v1.0.0 of 'n' is registered on several commits ({c1[:7]}, {c2[:7]}); "
                   "delete the wrong tag first")
    refused(gto("assign", "n", "--version", "v1.0.0", "--stage", "prod"), 1, two_commits, repo, before)
    refused(gto("deprecate", "n", "v1.0.0"), 1, two_commits, repo, before)


# -- assign ----------------------------------------------------------------------------------


def test_assign_existing_version(repo, gto):
    c1 = repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    repo.commit("two")
    result = ok(gto("assign", "m", "--version", "v1.0.0", "--stage", "prod"))
    assert repo.tags() == ["m#prod#1", "m@v1.0.0"]
    assert_tag(repo, "m#prod#1", c1, "Assigning stage prod to artifact m version v1.0.0")
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Created git tag 'm#prod#1' that assigns stage to version 'v1.0.0'",
        "To push the changes upstream, run:",
        "    git push origin 'm#prod#1'",
    ]


def test_assign_by_ref_registers_on_the_fly(repo, gto):
    c1 = repo.commit("one")
    repo.commit("two")
    result = ok(gto("assign", "m", "HEAD~1", "--stage", "prod", "-m", "ship it"))
    assert repo.tags() == ["m#prod#1", "m@v0.0.1"]
    # the custom message is for the stage tag only
    assert_tag(repo, "m@v0.0.1", c1, "Registering artifact m version v0.0.1")
    assert_tag(repo, "m#prod#1", c1, "ship it")
    err = result.stderr
    assert err.index("Created git tag 'm@v0.0.1' that registers version") < err.index(
        "Created git tag 'm#prod#1' that assigns stage to version 'v0.0.1'")
    assert "m@v0.0.1" in err and "'m#prod#1'" in err


def test_assign_head_default_with_new_version_name(repo, gto):
    commit = repo.commit("one")
    ok(gto("assign", "m", "HEAD", "--version", "v2.0.0", "--stage", "dev"))
    assert repo.tags() == ["m#dev#1", "m@v2.0.0"]
    assert_tag(repo, "m@v2.0.0", commit, "Registering artifact m version v2.0.0")
    assert_tag(repo, "m#dev#1", commit, "Assigning stage dev to artifact m version v2.0.0")


def test_assign_default_ref_is_head_and_bumps(repo, gto):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    commit = repo.commit("two")
    ok(gto("promote", "m", "--stage", "prod"))
    assert repo.tags() == ["m#prod#1", "m@v1.0.0", "m@v1.0.1"]
    assert_tag(repo, "m#prod#1", commit, "Assigning stage prod to artifact m version v1.0.1")


def test_assign_ref_on_registered_commit_with_new_name_refused(repo, gto):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    before = repo.tags()
    for version in ("v2.0.0", "v1.0.0"):
        result = gto("assign", "m", "HEAD", "--version", version, "--stage", "prod")
        refused(result, 1, f"Can't register '{version}', since 'v1.0.0' is registered already at this ref", repo, before)


def test_assign_new_version_that_exists_elsewhere_writes_nothing(repo, gto):
    repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    repo.commit("two")
    before = repo.tags()
    result = gto("assign", "m", "HEAD", "--version", "v1.0.0", "--stage", "prod")
    refused(result, 1, "already was registered", repo, before)


def test_assign_registered_commit_uses_its_version(repo, gto):
    commit = repo.commit("one")
    ok(gto("register", "m", "--version", "v1.0.0"))
    repo.commit("two")
    ok(gto("assign", "m", commit[:8], "--stage", "prod"))
    assert repo.tags() == ["m#prod#1", "m@v1.0.0"]
    assert_tag(repo, "m#prod#1", commit, "Assigning stage prod to artifact m version v1.0.0")


def test_counters_are_per_artifact_and_shared_across_actions(repo, gto):
    c1 = repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "prod"))
    ok(gto("assign", "m", "--stage", "dev"))
    ok(gto("register", "n"))
    ok(gto("assign", "n", "--stage", "prod"))
    assert {"m#prod#1", "m#dev#2", "n#prod#1"} <= set(repo.tags())
    repo.tag("m#staging#7")  # lightweight, still counted
    repo.tag("mm#prod#40")  # other artifacts are not
    repo.tag("d=m#prod#50")
    ok(gto("assign", "m", "--stage", "qa"))
    assert_tag(repo, "m#qa#8", c1, "Assigning stage qa to artifact m version v0.0.1")
    ok(gto("deprecate", "m", "v0.0.1", "prod"))
    assert_tag(repo, "m#prod!#9", c1, "Unassigning stage 'prod' to artifact 'm' version 'v0.0.1'")
    repo.commit("two")
    ok(gto("register", "m", "--simple", "false"))
    assert "m@v0.0.2#10" in repo.tags()
    ok(gto("deprecate", "m", "--force"))
    assert "m@deprecated#11" in repo.tags()
    ok(gto("assign", "d:m", "--stage", "prod"))
    assert "d=m#prod#51" in repo.tags() and "d=m@v0.0.1" in repo.tags()
    ok(gto("assign", "n", "--stage", "dev"))
    assert "n#dev#2" in repo.tags()
    repo.fsck()


def test_assign_simple_true_and_collision(repo, gto):
    commit = repo.commit("one")
    ok(gto("register", "m"))
    result = ok(gto("assign", "m", "--stage", "prod", "--simple", "true"))
    assert repo.tags() == ["m#prod", "m@v0.0.1"]
    assert_tag(repo, "m#prod", commit, "Assigning stage prod to artifact m version v0.0.1")
    assert hint("m#prod") in result.stderr.splitlines()
    before = repo.tags()
    sha = tag_sha(repo, "m#prod")
    refused(gto("assign", "m", "--stage", "prod", "--simple", "true", "--force"), 1, "tag 'm#prod' already exists", repo, before)
    assert tag_sha(repo, "m#prod") == sha


def test_assign_collision_on_unregistered_commit_writes_neither_tag(repo, gto):
    repo.commit("one")
    repo.tag("m#prod")  # lightweight, in the way of the simple form
    before = repo.tags()
    result = gto("assign", "m", "--stage", "prod", "--simple", "true")
    refused(result, 1, "tag 'm#prod' already exists", repo, before)


def test_assign_same_stage_needs_force(repo, gto):
    commit = repo.commit("one")
    ok(gto("assign", "m", "--stage", "prod"))
    before = repo.tags()
    result = gto("assign", "m", "--stage", "prod")
    refused(result, 1, "Version 'v0.0.1' is already in stage 'prod'. Use the '--force' flag to create a new Git tag nevertheless.", repo, before)
    ok(gto("assign", "m", "--stage", "prod", "--force"))
    assert repo.tags() == ["m#prod#1", "m#prod#2", "m@v0.0.1"]
    assert_tag(repo, "m#prod#2", commit, "Assigning stage prod to artifact m version v0.0.1")


def test_assign_again_after_unassign_needs_no_force(repo, gto):
    repo.commit("one")
    ok(gto("assign", "m", "--stage", "prod"))
    ok(gto("deprecate", "m", "v0.0.1", "prod"))
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod"))
    assert repo.tags() == ["m#prod!#2", "m#prod#1", "m#prod#3", "m@v0.0.1"]


def test_assign_skip_registration(repo, gto):
    commit = repo.commit("one")
    result = ok(gto("assign", "m", "--stage", "dev", "--sr"))
    assert repo.tags() == ["m#dev#1"]
    assert_tag(repo, "m#dev#1", commit, f"Assigning stage dev to artifact m version {commit}")
    assert f"Created git tag 'm#dev#1' that assigns stage to version '{commit}'" in result.stderr
    repo.commit("two")
    ok(gto("assign", "m", "HEAD~1", "--stage", "prod", "--skip-registration"))
    assert repo.tags() == ["m#dev#1", "m#prod#2"]


def test_skip_registration_with_new_version_refused(repo, gto):
    repo.commit("one")
    result = gto("assign", "m", "HEAD", "--version", "v1.0.0", "--stage", "dev", "--sr")
    refused(result, 1, "You either need to supply version name or skip registration", repo, [])


def test_promote_is_assign(repo, gto):
    commit = repo.commit("one")
    ok(gto("register", "m"))
    result = ok(gto("promote", "m", "--version", "v0.0.1", "--stage", "prod"))
    assert repo.tags() == ["m#prod#1", "m@v0.0.1"]
    assert_tag(repo, "m#prod#1", commit, "Assigning stage prod to artifact m version v0.0.1")
    assert "Created git tag 'm#prod#1' that assigns stage to version 'v0.0.1'" in result.stderr


def test_assign_deregistered_version_is_allowed(repo, gto):
    commit = repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("deprecate", "m", "v0.0.1"))
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod"))
    assert_tag(repo, "m#prod#1", commit, "Assigning stage prod to artifact m version v0.0.1")


# -- deprecate -------------------------------------------------------------------------------


@pytest.fixture
def history(repo, gto):
    """Six m tags, two n tags, a foreign annotated tag and a lightweight GTO-looking tag.

    c1: m@v0.0.1, m#prod#1, m#dev#2; c2: m@v0.0.2, m#prod#3; m#prod!#4 on v0.0.1;
    n@v0.0.1 and n#prod#1 on c1.
    """
    c1 = repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "prod"))
    ok(gto("assign", "m", "--stage", "dev"))
    ok(gto("register", "n"))
    ok(gto("assign", "n", "--stage", "prod"))
    repo.tag("release-1", message="not gto")
    repo.tag("m#old#0")
    c2 = repo.commit("two")
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "prod"))
    ok(gto("deprecate", "m", "v0.0.1", "prod"))
    assert set(repo.tags()) == {"m@v0.0.1", "m#prod#1", "m#dev#2", "n@v0.0.1", "n#prod#1", "release-1",
                                "m#old#0", "m@v0.0.2", "m#prod#3", "m#prod!#4"}
    return c1, c2


def test_unassign(repo, gto):
    commit = repo.commit("one")
    ok(gto("assign", "m", "--stage", "prod"))
    repo.commit("two")
    result = ok(gto("deprecate", "m", "v0.0.1", "prod"))
    assert repo.tags() == ["m#prod!#2", "m#prod#1", "m@v0.0.1"]
    assert_tag(repo, "m#prod!#2", commit, "Unassigning stage 'prod' to artifact 'm' version 'v0.0.1'")
    assert result.stderr.splitlines() == [
        "Created git tag 'm#prod!#2' that unassigns stage from version 'v0.0.1'",
        "To push the changes upstream, run:",
        "    git push origin 'm#prod!#2'",
    ]
    # an unassigned stage may be unassigned again: one more tag
    ok(gto("deprecate", "m", "v0.0.1", "prod", "--simple", "true", "-m", "gone"))
    assert_tag(repo, "m#prod!", commit, "gone")


def test_unassign_refusals(repo, gto):
    repo.commit("one")
    ok(gto("assign", "m", "--stage", "prod"))
    before = repo.tags()
    refused(gto("deprecate", "m", "v0.0.1", "dev"), 1, "Stage 'dev' is not assigned to a version 'v0.0.1'", repo, before)
    refused(gto("deprecate", "zz", "v0.0.1", "prod"), 1, "Cannot find artifact 'zz'", repo, before)
    refused(gto("deprecate", "m", "v0.0.9", "prod"), 1, "Version 'v0.0.9' of 'm' is not registered", repo, before)
    ok(gto("deprecate", "m", "v0.0.1", "dev", "--force"))
    assert "m#dev!#2" in repo.tags()


def test_deregister(repo, gto):
    commit = repo.commit("one")
    ok(gto("register", "m", "--version", "v1.2.3"))
    repo.commit("two")
    result = ok(gto("deprecate", "m", "v1.2.3"))
    assert repo.tags() == ["m@v1.2.3", "m@v1.2.3!"]
    assert_tag(repo, "m@v1.2.3!", commit, "Deregistering artifact m version v1.2.3")
    assert result.stderr.splitlines() == [
        "Created git tag 'm@v1.2.3!' that deregisters version",
        "To push the changes upstream, run:",
        "    git push origin 'm@v1.2.3!'",
    ]
    before = repo.tags()
    refused(gto("deprecate", "m", "v1.2.3"), 1, "Version 'v1.2.3' of 'm' was deregistered already", repo, before)
    refused(gto("deprecate", "m", "v1.2.3", "--force"), 1, "tag 'm@v1.2.3!' already exists", repo, before)
    ok(gto("deprecate", "m", "v1.2.3", "--force", "--simple", "false"))
    assert_tag(repo, "m@v1.2.3!#1", commit, "Deregistering artifact m version v1.2.3")


def test_deregister_refusals(repo, gto):
    repo.commit("one")
    ok(gto("register", "m"))
    before = repo.tags()
    refused(gto("deprecate", "m", "v9.0.0"), 1, "Version 'v9.0.0' of 'm' is not registered", repo, before)
    refused(gto("deprecate", "zz", "v0.0.1"), 1, "Version 'v0.0.1' of 'zz' is not registered", repo, before)
    refused(gto("deprecate", "m", "v9.0.0", "--force"), 1, "Can't deregister a version that has no git tags", repo, before)


def test_deprecate_artifact(repo, gto):
    repo.commit("one")
    ok(gto("register", "m"))
    c2 = repo.commit("two")
    ok(gto("assign", "m", "--stage", "prod"))  # registers v0.0.2 on c2: the newest event
    repo.commit("three")
    result = ok(gto("deprecate", "m"))
    assert "m@deprecated" in repo.tags()
    assert_tag(repo, "m@deprecated", c2, "Deprecating artifact 'm'")
    assert result.stderr.splitlines() == [
        "Created git tag 'm@deprecated' that deprecates artifact",
        "To push the changes upstream, run:",
        "    git push origin m@deprecated",
    ]
    before = repo.tags()
    refused(gto("deprecate", "m"), 1, "Artifact 'm' was deprecated already", repo, before)
    ok(gto("deprecate", "m", "--force", "-m", "really"))
    assert_tag(repo, "m@deprecated#2", c2, "really")


def test_deprecate_with_ref(repo, gto):
    c1 = repo.commit("one")
    ok(gto("register", "m"))
    repo.commit("two")
    ok(gto("deprecate", "m", "--ref", "HEAD"))
    assert_tag(repo, "m@deprecated", repo.git("rev-parse", "HEAD"), "Deprecating artifact 'm'")
    assert c1 != repo.git("rev-parse", "HEAD")


def test_deprecate_unknown_artifact(repo, gto):
    head = repo.commit("one")
    before = repo.tags()
    refused(gto("deprecate", "zz"), 1, "Cannot find artifact 'zz'", repo, before)
    refused(gto("deprecate", "zz", "--delete"), 1, "Cannot find artifact 'zz'", repo, before)
    ok(gto("deprecate", "zz", "--force"))
    assert repo.tags() == ["zz@deprecated#1"]
    assert_tag(repo, "zz@deprecated#1", head, "Deprecating artifact 'zz'")


def test_delete_unassign_deletes_that_stage_of_that_version(repo, gto, history):
    result = ok(gto("deprecate", "m", "v0.0.1", "prod", "--delete"))
    assert set(repo.tags()) == {"m@v0.0.1", "m#dev#2", "n@v0.0.1", "n#prod#1", "release-1", "m#old#0",
                                "m@v0.0.2", "m#prod#3"}
    assert result.stderr.splitlines() == [
        "Deleted git tag 'm#prod#1'",
        "Deleted git tag 'm#prod!#4'",
        "To push the changes upstream, run:",
        "    git push --delete origin 'm#prod#1' 'm#prod!#4'",
    ]
    repo.fsck()


def test_delete_deregister_deletes_the_versions_tags(repo, gto, history):
    result = ok(gto("deprecate", "m", "v0.0.1", "--delete"))
    assert set(repo.tags()) == {"n@v0.0.1", "n#prod#1", "release-1", "m#old#0", "m@v0.0.2", "m#prod#3"}
    deleted = ["m@v0.0.1", "m#prod#1", "m#dev#2", "m#prod!#4"]
    assert result.stderr.splitlines() == [f"Deleted git tag '{t}'" for t in deleted] + [
        "To push the changes upstream, run:", hint(*deleted, delete=True),
    ]
    assert hint(*deleted, delete=True) == "    git push --delete origin m@v0.0.1 'm#prod#1' 'm#dev#2' 'm#prod!#4'"
    repo.fsck()


def test_delete_artifact_deletes_all_its_tags(repo, gto, history):
    result = ok(gto("deprecate", "m", "--delete"))
    assert set(repo.tags()) == {"n@v0.0.1", "n#prod#1", "release-1", "m#old#0"}
    deleted = ["m@v0.0.1", "m#prod#1", "m#dev#2", "m@v0.0.2", "m#prod#3", "m#prod!#4"]
    assert result.stderr.splitlines() == [f"Deleted git tag '{t}'" for t in deleted] + [
        "To push the changes upstream, run:", hint(*deleted, delete=True),
    ]
    repo.fsck()


def test_delete_works_on_packed_refs(repo, gto, history):
    repo.git("pack-refs", "--all")
    ok(gto("deprecate", "m", "--delete"))
    assert set(repo.tags()) == {"n@v0.0.1", "n#prod#1", "release-1", "m#old#0"}
    assert repo.git("show-ref", "--tags", "m@v0.0.1", check=False) == ""
    repo.fsck()


def test_delete_reads_that_artifact_alone_as_the_whole_registry_would(repo, gto):
    """deprecate NAME --delete reads only NAME's tags (its range of packed-refs, its loose
    refs in their folder): a namespaced artifact with packed and loose tags, next to
    artifacts whose names begin the same, loses exactly its own tags; one that only
    artifacts.yaml names has no tag to delete; the cache others read is left whole."""
    repo.commit("one", files={"artifacts.yaml": "only-annotated:\n  type: model\n"})
    for name in ("path/to:model", "path/to:model2", "path/to:mode", "path:model"):
        ok(gto("register", name))
        ok(gto("assign", name, "--stage", "prod"))
    ok(gto("show"))  # a warm cache of every artifact
    repo.git("pack-refs", "--all")
    repo.commit("two")
    ok(gto("register", "path/to:model"))  # loose, in refs/tags/path/
    ok(gto("assign", "path/to:model", "--stage", "dev"))
    shown = ok(gto("show", "--json")).stdout
    result = ok(gto("deprecate", "path/to:model", "--delete"))
    assert [line for line in result.stderr.splitlines() if line.startswith("Deleted")] == [
        f"Deleted git tag '{t}'" for t in
        ("path/to=model@v0.0.1", "path/to=model#prod#1", "path/to=model@v0.0.2", "path/to=model#dev#2")]
    assert [t for t in repo.tags() if t.startswith("path/to=model@") or t.startswith("path/to=model#")] == []
    assert len(repo.tags()) == 6
    others = {k: v for k, v in json.loads(shown).items() if k != "path/to:model"}
    for row in others.values():
        del row["stage"]["dev"]  # the stage only path/to:model had
    assert json.loads(ok(gto("show", "--json")).stdout) == others
    assert "Deleted" not in ok(gto("deprecate", "only-annotated", "--delete")).stderr
    refused(gto("deprecate", "path/to", "--delete"), 1, "Cannot find artifact 'path/to'", repo, repo.tags())
    repo.fsck()


def test_a_change_that_changes_nothing_gives_no_push_hint(repo, gto):
    """With a remote, deleting the tags of an artifact that has none says nothing of pushing."""
    repo.commit("one", files={"artifacts.yaml": "only-annotated:\n  type: model\n"})
    assert repo.git("remote") == "origin"  # the fixture's repository has one
    result = ok(gto("deprecate", "only-annotated", "--delete"))
    assert "push" not in result.stderr and result.stdout == "", result.stderr
    assert "git push origin" in ok(gto("register", "only-annotated")).stderr


@pytest.mark.parametrize("args, message, hint_line", [
    (["m", "v0.0.1"], "Version 'v0.0.1' of 'm' was deregistered already", hint("m@v0.0.1", "m@v0.0.1!", delete=True)),
    (["m"], "Artifact 'm' was deprecated already", hint("m@v0.0.1", "m@deprecated", delete=True)),
])
def test_delete_of_what_was_cancelled_needs_force(repo, gto, args, message, hint_line):
    repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("deprecate", *args))
    before = repo.tags()
    refused(gto("deprecate", *args, "--delete"), 1, message, repo, before)
    result = ok(gto("deprecate", *args, "--delete", "--force"))
    assert repo.tags() == []
    assert hint_line in result.stderr.splitlines()


def test_delete_with_dirname_hint_is_quoted(repo, gto):
    repo.commit("one")
    ok(gto("assign", "cls/dvc.live:models/nn", "--stage", "prod"))
    result = ok(gto("deprecate", "cls/dvc.live:models/nn", "--delete"))
    assert repo.tags() == []
    assert "    git push --delete origin cls/dvc.live=models/nn@v0.0.1 'cls/dvc.live=models/nn#prod#1'" in result.stderr.splitlines()


def test_register_on_deprecated_artifact_revives_it(repo, gto):
    repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("deprecate", "m"))
    commit = repo.commit("two")
    ok(gto("register", "m"))
    assert_tag(repo, "m@v0.0.2", commit, "Registering artifact m version v0.0.2")
    shown = json.loads(ok(gto("show", "--json")).stdout)
    assert shown["m"]["active"] is True


def test_refused_existing_lightweight_packed_tag_untouched(repo, gto):
    repo.commit("one")
    other = repo.git("rev-parse", "HEAD")
    repo.tag("m@v0.0.1")  # lightweight: not a version, but its name is taken
    repo.git("pack-refs", "--all")
    repo.commit("two")
    before = repo.tags()
    refused(gto("register", "m"), 1, "tag 'm@v0.0.1' already exists", repo, before)
    assert repo.git("rev-parse", "refs/tags/m@v0.0.1") == other


# -- annotate / remove / describe ------------------------------------------------------------


def read_index(repo) -> dict:
    data = yaml.safe_load((repo.path / "artifacts.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_annotate_writes_artifacts_yaml_at_root(repo, gto):
    repo.commit("one", {"sub/dir/file.txt": "x"})
    result = ok(gto("annotate", "m", "--type", "model", "--path", "models/m.pkl", cwd=repo.path / "sub" / "dir"))
    assert not (repo.path / "sub" / "dir" / "artifacts.yaml").exists()
    assert read_index(repo) == {"m": {"type": "model", "path": "models/m.pkl"}}
    assert "Updated `artifacts.yaml`" in result.stderr
    assert result.stdout == ""
    assert repo.tags() == []


def test_annotate_keeps_other_entries(repo, gto):
    repo.commit("one")
    others = {
        "a": {"type": "dataset", "path": "data/a.csv", "labels": ["x", "y"], "description": "A set"},
        "b": {"custom": {"owner": "team", "n": 3}, "virtual": False, "path": "b.bin"},
    }
    (repo.path / "artifacts.yaml").write_text(yaml.safe_dump(others))
    ok(gto("annotate", "m", "--type", "model", "-d", "the model", "--label", "prod-ready"))
    data = read_index(repo)
    assert data["a"] == others["a"]
    assert data["b"] == others["b"]
    assert data["m"] == {"type": "model", "description": "the model", "labels": ["prod-ready"]}


def test_annotate_merges_labels_and_keeps_fields(repo, gto):
    repo.commit("one")
    ok(gto("annotate", "m", "--type", "model", "--path", "m.pkl", "--label", "x", "--label", "a"))
    ok(gto("annotate", "m", "--label", "b", "--label", "x", "-d", "desc"))
    assert read_index(repo) == {"m": {"type": "model", "path": "m.pkl", "labels": ["a", "b", "x"], "description": "desc"}}


def test_annotate_must_exist_needs_committed_path(repo, gto):
    repo.commit("one")
    (repo.path / "m.pkl").write_text("weights")  # in the work tree, not committed
    result = gto("annotate", "m", "--path", "m.pkl", "--must-exist")
    refused(result, 1, "Nothing found in 'm.pkl' for checked out commit (commit it first)", repo, [])
    assert not (repo.path / "artifacts.yaml").exists()
    refused(gto("annotate", "m", "--must-exist"), 2, "error: --must-exist needs --path")
    assert not (repo.path / "artifacts.yaml").exists()
    repo.commit("add model", {"m.pkl": "weights"})
    ok(gto("annotate", "m", "--path", "m.pkl", "-e"))
    assert read_index(repo) == {"m": {"path": "m.pkl", "virtual": False}}


@pytest.mark.parametrize("args, value", [
    (["bad name"], "bad name"), (["m", "--label", "bad label"], "bad label"), (["m:x"], "m:x"),
    (["m", "--type", "-x"], "-x"),
])
def test_annotate_bad_input_writes_nothing(repo, gto, args, value):
    repo.commit("one")
    refused(gto("annotate", *args), 1, f"error: Invalid value '{value}'. Only letters, numbers, '_', '-', '/' are allowed.")
    assert not (repo.path / "artifacts.yaml").exists()


def test_annotate_type_not_allowed_by_config(repo, gto):
    repo.commit("one")
    (repo.path / ".gto").write_text("types: [model, dataset]\n")
    refused(gto("annotate", "m", "--type", "notebook"), 1,
            "Type 'notebook' is not allowed: allowed types are ['model', 'dataset'] (.gto)")
    assert not (repo.path / "artifacts.yaml").exists()


def test_remove(repo, gto):
    repo.commit("one")
    ok(gto("annotate", "a", "--type", "dataset"))
    ok(gto("annotate", "m", "--type", "model", "--path", "m.pkl"))
    result = ok(gto("remove", "m"))
    assert "Updated `artifacts.yaml`" in result.stderr
    assert read_index(repo) == {"a": {"type": "dataset"}}
    before = (repo.path / "artifacts.yaml").read_bytes()
    refused(gto("remove", "m"), 1, "Cannot find artifact 'm' in artifacts.yaml")
    assert (repo.path / "artifacts.yaml").read_bytes() == before


@pytest.fixture
def described(repo, gto):
    """m annotated with path a.pkl at c1 (v1.0.0, prod) and b.pkl at c2 (v2.0.0)."""
    ok(gto("annotate", "m", "--type", "model", "--path", "a.pkl"))
    c1 = repo.commit("one", {"artifacts.yaml": (repo.path / "artifacts.yaml").read_text()})
    ok(gto("register", "m", "--version", "v1.0.0"))
    ok(gto("assign", "m", "--version", "v1.0.0", "--stage", "prod"))
    ok(gto("annotate", "m", "--path", "b.pkl", "-d", "second"))
    c2 = repo.commit("two", {"artifacts.yaml": (repo.path / "artifacts.yaml").read_text()})
    ok(gto("register", "m", "--version", "v2.0.0"))
    return c1, c2


def describe(gto, *args):
    result = ok(gto("describe", *args))
    return json.loads(result.stdout) if result.stdout else None


def test_describe_work_tree_and_rev(repo, gto, described):
    c1, c2 = described
    assert describe(gto, "m") == {"type": "model", "path": "b.pkl", "description": "second"}
    assert describe(gto, "m", "--rev", c1) == {"type": "model", "path": "a.pkl"}
    assert describe(gto, "m", "--rev", "HEAD~1") == {"type": "model", "path": "a.pkl"}
    ok(gto("annotate", "m", "--path", "c.pkl"))  # uncommitted
    assert describe(gto, "m")["path"] == "c.pkl"
    assert describe(gto, "m", "--rev", "HEAD")["path"] == "b.pkl"
    assert ok(gto("describe", "m", "--type")).stdout == "model\n"
    assert ok(gto("describe", "m", "--path", "--rev", c1)).stdout == "a.pkl\n"
    assert ok(gto("describe", "m", "--description", "--rev", c1)).stdout == ""


def test_describe_shortcuts(repo, gto, described):
    assert describe(gto, "m@v1.0.0") == {"type": "model", "path": "a.pkl"}
    assert describe(gto, "m@v2.0.0")["path"] == "b.pkl"
    assert describe(gto, "m@latest")["path"] == "b.pkl"
    assert describe(gto, "m#prod")["path"] == "a.pkl"
    assert ok(gto("describe", "m#dev")).stdout == ""
    refused(gto("describe", "m@v1.0.0", "--rev", "HEAD"), 2, "Either specify --rev or use a naming shortcut")


def test_describe_unknown_is_silent(repo, gto, described):
    assert ok(gto("describe", "zz")).stdout == ""
    assert ok(gto("describe", "zz", "--rev", "HEAD")).stdout == ""


def test_annotate_path_conflicts(repo, gto):
    repo.commit("one")
    ok(gto("annotate", "a", "--path", "models"))
    before = (repo.path / "artifacts.yaml").read_bytes()
    for path in ("models", "models/b.pkl", "models/"):
        refused(gto("annotate", "b", "--path", path), 1,
                f"Path '{path}' overlaps the path 'models' of 'a' (use --allow-same-path to allow it)")
        assert (repo.path / "artifacts.yaml").read_bytes() == before
    ok(gto("annotate", "c", "--path", "models-old"))  # a sibling, not inside
    ok(gto("annotate", "a", "--path", "models", "--type", "model"))  # its own path is no conflict
    ok(gto("annotate", "b", "--path", "models/b.pkl", "--allow-same-path"))
    assert read_index(repo)["b"] == {"path": "models/b.pkl"}


def test_annotate_commit_commits_only_the_index(repo, gto):
    repo.commit("one", {"code.py": "v1"})
    (repo.path / "code.py").write_text("v2, not ready")
    ok(gto("annotate", "m", "--type", "model", "--path", "m.pkl", "--commit"))
    assert repo.git("log", "-1", "--format=%s") == "Annotate artifact `m` of type `model` with path `m.pkl`"
    assert repo.git("show", "HEAD:artifacts.yaml") == (repo.path / "artifacts.yaml").read_text().strip()
    assert repo.git("show", "HEAD:code.py") == "v1"
    assert repo.git("status", "--porcelain") == "M code.py"
    ok(gto("remove", "m", "--commit"))
    assert repo.git("log", "-1", "--format=%s") == "Remove annotation for artifact `m`"
    assert repo.git("status", "--porcelain") == "M code.py"


def test_stage_rules_apply_from_a_subdirectory_and_environment(repo, gto, monkeypatch):
    repo.commit("one", {"sub/x.txt": "x"})
    (repo.path / ".gto").write_text("stages: [dev, prod]\n")
    result = gto("assign", "m", "--stage", "qa", cwd=repo.path / "sub")
    refused(result, 1, "Stage 'qa' is not allowed: allowed stages are ['dev', 'prod'] (.gto)", repo, [])
    (repo.path / ".gto").unlink()
    monkeypatch.setenv("GTO_STAGES", '["staging"]')
    refused(gto("assign", "m", "--stage", "prod"), 1, "Stage 'prod' is not allowed: allowed stages are ['staging']",
            repo, [])
    ok(gto("assign", "m", "--stage", "staging"))
    assert repo.tags() == ["m#staging#1", "m@v0.0.1"]


# -- refs git could not store together, locks, revision syntax ------------------------------------

@pytest.mark.parametrize("existing, new, why", [
    ("a", "a/b", "cannot create tag 'a/b@v0.0.1': a tag 'a' exists"),
    ("m@v0.0.1/old", "m", "cannot create tag 'm@v0.0.1': other tags are named 'm@v0.0.1/...'"),
])
def test_tag_names_that_clash_with_packed_tags_are_refused(repo, gto, tmp_path, existing, new, why):
    """`refs/tags/a` and `refs/tags/a/b@v0.0.1` cannot both exist (git cannot clone that)."""
    repo.commit("one")
    repo.git("tag", existing)
    repo.git("pack-refs", "--all")
    before = repo.tags()
    refused(gto("register", new), 1, why, repo, before)
    repo.git("clone", "-q", str(repo.path), str(tmp_path / "clone"))


def test_a_delete_that_hits_a_lock_deletes_nothing(repo, gto):
    repo.commit("one")
    ok(gto("register", "x"))
    repo.commit("two")
    ok(gto("register", "x"))
    ok(gto("deprecate", "x"))
    before = repo.tags()
    lock = repo.path / ".git" / "refs" / "tags" / "x@deprecated.lock"
    lock.write_text("")
    refused(gto("deprecate", "x", "--delete", "--force"), 1,
            f"cannot lock tag 'x@deprecated': '{lock}' exists; another git process is writing it, or one was "
            "killed: if no git is running, remove that file (nothing was changed)", repo, before)
    lock.unlink()
    repo.fsck()


@pytest.mark.parametrize("rev, back", [("@", 0), ("@~1", 1), (":/first", 1), ("main^{/first}", 1)])
def test_revisions_git_understands(repo, gto, rev, back):
    commits = [repo.commit("first"), repo.commit("second")]
    ok(gto("register", "m", rev))
    assert repo.git("rev-parse", "m@v0.0.1^{commit}") == commits[1 - back]


def test_a_deprecation_in_the_same_second_as_the_last_event(repo, gto, monkeypatch):
    """gto orders by second and a version event wins a tie: on the wall clock we wait for
    the next second so that the deprecation counts; with a fixed date we warn."""
    repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "prod"))
    result = ok(gto("deprecate", "m", tick=False))
    assert "warning: 'm' changed in the same second" in result.stderr
    assert json.loads(ok(gto("show", "--json")).stdout)["m"]["active"] is True  # as gto: no effect
    ok(gto("register", "n"))
    for var in ("GIT_COMMITTER_DATE", "GIT_AUTHOR_DATE"):
        monkeypatch.delenv(var)
    ok(gto("register", "w", "--version", "v1.0.0", tick=False))
    result = ok(gto("deprecate", "w", tick=False))
    assert "warning" not in result.stderr
    assert "w" not in json.loads(ok(gto("show", "--json", tick=False)).stdout)


def test_annotate_push_without_origin_writes_nothing(repo, gto):
    repo.commit("one")
    repo.git("remote", "remove", "origin")
    refused(gto("annotate", "m", "--type", "model", "--push"), 1,
            "cannot push: the repository has no remote to push to (see git remote -v) (nothing was written)")
    assert not (repo.path / "artifacts.yaml").exists()
    assert repo.git("rev-list", "--count", "HEAD") == "1"


@pytest.mark.parametrize("args, message", [
    (["show", "--bogus"], "error: No such option '--bogus' (see 'git gto show -h')"),
    (["assign", "m"], "error: Missing option '--stage' (see 'git gto assign -h')"),
    (["shwo"], "error: 'shwo' is not a git gto command; the most similar command is 'show' (see 'git gto -h')"),
    (["show", "--vs", "abc"], "error: Invalid value for '--vs' / '--versions-per-stage': 'abc' is not a valid integer"
                              " (see 'git gto show -h')"),
])
def test_usage_errors_are_one_line(repo, gto, args, message):
    repo.commit("one")
    refused(gto(*args), 2, message, repo, [])
