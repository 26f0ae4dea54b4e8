"""The tagger and its date exactly as `git tag -a` builds them (git's ident.c and date.c
rules), and commits decoded with their own `encoding` header."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import ok, refused


def git_tagger(repo, env: dict) -> subprocess.CompletedProcess:
    """What `git tag -a` does in this environment: its tagger line, or its refusal."""
    import os

    result = subprocess.run(["git", "tag", "-a", "by-git", "-m", "x"], cwd=repo.path, capture_output=True,
                            text=True, env={**os.environ, **env})
    if result.returncode == 0:
        result.stdout = repo.git("cat-file", "tag", "by-git").split("\n")[3]
        repo.git("tag", "-d", "by-git")
    return result


def our_tagger(repo) -> str:
    return repo.git("cat-file", "tag", "m@v0.0.1").split("\n")[3]


SAME_BYTES = [
    {"GIT_COMMITTER_EMAIL": "<ci@example.net>"},  # git strips the brackets
    {"GIT_COMMITTER_NAME": "two\nlines"},  # a newline never splits the header
    {"GIT_COMMITTER_NAME": "a<b>c", "GIT_COMMITTER_EMAIL": "a<b>c"},
    {"GIT_COMMITTER_NAME": "  'Quoted, Name.'  ", "GIT_COMMITTER_EMAIL": " x@y; "},
    {"GIT_COMMITTER_EMAIL": ""},  # git writes `<>`
    {"GIT_COMMITTER_DATE": "1700000000 +9999"},  # an offset git ignores: the local zone
    {"GIT_COMMITTER_DATE": "@1700000000 -0000"},
    {"GIT_COMMITTER_DATE": "2024-02-29 12:00"},
    {"GIT_COMMITTER_DATE": "Mon, 3 Jun 2024 10:00:00 +0200"},
    {"GIT_COMMITTER_DATE": "2024.06.03 10:00"},
    {"GIT_COMMITTER_DATE": "06/03/2024 10:00 -0500"},
]


@pytest.mark.parametrize("env", SAME_BYTES, ids=lambda e: repr(e))
def test_tagger_bytes_as_git_tag_writes_them(repo, gto, monkeypatch, env):
    repo.commit("one")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    expected = git_tagger(repo, {})
    assert expected.returncode == 0, expected.stderr
    ok(gto("register", "m", tick=False))
    assert our_tagger(repo) == expected.stdout
    repo.git("fsck", "--no-progress")  # not --strict: `<>` is git's own (empty) email


REFUSED = [
    ({"GIT_COMMITTER_NAME": ""}, "empty ident name (for <test@example.com>) not allowed"),
    ({"GIT_COMMITTER_NAME": ".,;"}, "name consists only of disallowed characters: .,;"),
    ({"GIT_COMMITTER_DATE": "@99999999999999999999"}, "invalid date format: @99999999999999999999"),
    ({"GIT_COMMITTER_DATE": "2024-13-45"}, "invalid date format: 2024-13-45"),
    ({"GIT_COMMITTER_DATE": "not a date"}, "invalid date format: not a date"),
]


@pytest.mark.parametrize("env,reason", REFUSED, ids=lambda e: repr(e))
def test_tagger_git_refuses_is_refused_with_gits_reason(repo, gto, monkeypatch, env, reason):
    repo.commit("one")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    theirs = git_tagger(repo, {})
    assert theirs.returncode == 128 and f"fatal: {reason}" in theirs.stderr
    before = repo.tags()
    refused(gto("register", "m", tick=False), 1, reason, repo, before)


def test_tagger_date_git_writes_but_no_reader_can_show_is_refused(repo, gto, monkeypatch):
    """`@T +9999` is written by git as `+10039`, which gto cannot parse back: refused."""
    repo.commit("one")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1700000000 +9999")
    assert repo.git("var", "GIT_COMMITTER_IDENT").endswith(" 1700000000 +10039")  # what git tag writes
    before = repo.tags()
    refused(gto("register", "m", tick=False), 1, "the tagger date '1700000000 +10039'", repo, before)


def test_tagger_email_from_EMAIL_without_user_email(repo, gto, monkeypatch, tmp_path):
    repo.commit("one")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "empty"))
    (tmp_path / "empty").write_text("[user]\n\tname = No Mail\n")
    monkeypatch.setenv("EMAIL", "fallback@example.org")
    expected = git_tagger(repo, {})
    assert expected.stdout.startswith("tagger No Mail <fallback@example.org> ")
    ok(gto("register", "m", tick=False))
    assert our_tagger(repo) == expected.stdout


def test_tagger_committer_config_wins_over_user(repo, gto):
    repo.commit("one")
    repo.git("config", "committer.name", "Committer Name")
    repo.git("config", "committer.email", "committer@example.org")
    ok(gto("register", "m", tick=False))
    assert our_tagger(repo).startswith("tagger Committer Name <committer@example.org> ")


def test_tagger_use_config_only_refused_as_git(repo, gto, monkeypatch, tmp_path):
    repo.commit("one")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "cfg"))
    (tmp_path / "cfg").write_text("[user]\n\tuseConfigOnly = true\n")
    theirs = git_tagger(repo, {})
    assert "no email was given and auto-detection is disabled" in theirs.stderr
    before = repo.tags()
    line = refused(gto("register", "m", tick=False), 1, "no email was given and auto-detection is disabled",
                   repo, before)
    assert "git config --global user.email" in line


def test_commit_encoding_header_is_honoured(repo, gto):
    """A commit made with i18n.commitEncoding=ISO-8859-1: its message and author read in
    that encoding (git log shows them so), not as UTF-8 with replacement characters."""
    repo.commit("one")
    repo.git("config", "i18n.commitEncoding", "ISO-8859-1")
    message = "Modèle français"
    path = repo.path / "msg"
    path.write_bytes(message.encode("latin-1"))
    import os

    env = {**os.environ, "GIT_AUTHOR_NAME": "Zoë".encode("latin-1").decode("utf-8", "surrogateescape")}
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-F", str(path)], cwd=repo.path, check=True,
                   env=env)
    raw = subprocess.run(["git", "cat-file", "commit", "HEAD"], cwd=repo.path, capture_output=True).stdout
    assert b"\nencoding ISO-8859-1\n" in raw and "Zoë".encode("latin-1") in raw
    ok(gto("register", "m"))
    [event] = [e for e in json.loads(ok(gto("history", "m", "--json")).stdout)]
    shown = json.dumps(event, ensure_ascii=False)
    assert "\ufffd" not in shown
    from git_gto.git.repo import GitRepo

    info = GitRepo.discover(str(repo.path)).read_commit(repo.git("rev-parse", "HEAD"))
    assert info.message == message + "\n"
    assert info.author.name == "Zoë"
