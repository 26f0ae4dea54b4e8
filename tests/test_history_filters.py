"""`history NAME@vX.Y.Z`, `history NAME#STAGE`, --since, --until, --event, --stage and
--author, in tables, JSON and `api.history`; bad input is one line with the usual status."""

from __future__ import annotations

import json

import pytest

from conftest import BASE_EPOCH
from git_gto import api
from git_gto.errors import GtoError, UsageError


@pytest.fixture
def journal(repo, monkeypatch):
    """churn v1.0.0 (dev, prod), v1.1.0 (dev, then dev unassigned); tags one minute apart
    from BASE_EPOCH+120; the prod assignment is tagged by Bob."""
    repo.commit("c1")
    repo.tag("churn@v1.0.0", "r")            # +120
    repo.tag("churn#dev#1", "a")             # +180
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Bob")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "bob@example.com")
    repo.tag("churn#prod#2", "a")            # +240
    monkeypatch.delenv("GIT_COMMITTER_NAME")
    monkeypatch.delenv("GIT_COMMITTER_EMAIL")
    repo.commit("c2")                        # +300
    repo.tag("churn@v1.1.0", "r")            # +360
    repo.tag("churn#dev#3", "a")             # +420
    repo.tag("churn#dev!#4", "u")            # +480
    repo.tag("segment@v0.1.0", "r")          # +540
    return repo


def refs(result):
    assert result.exit_code == 0, result.stderr
    return [e["ref"] for e in json.loads(result.stdout)]


def test_version_shortcut(journal, gto):
    assert refs(gto("history", "churn@v1.0.0", "--json")) == ["churn#prod#2", "churn#dev#1", "churn@v1.0.0"]
    assert refs(gto("history", "churn@latest", "--json")) == ["churn#dev!#4", "churn#dev#3", "churn@v1.1.0"]
    assert refs(gto("history", "churn@v9.0.0", "--json")) == []


def test_stage_shortcut_and_option(journal, gto):
    assert refs(gto("history", "churn#dev", "--json")) == ["churn#dev!#4", "churn#dev#3", "churn#dev#1"]
    assert refs(gto("history", "--stage", "prod", "--json")) == ["churn#prod#2"]
    assert refs(gto("history", "churn#dev", "--stage", "prod", "--json")) == []


def test_event_kinds(journal, gto):
    assert refs(gto("history", "--event", "registration", "--json")) == [
        "segment@v0.1.0", "churn@v1.1.0", "churn@v1.0.0"]
    assert refs(gto("history", "--event", "unassignment", "--event", "deprecation", "--json")) == ["churn#dev!#4"]


def test_since_and_until_include_both_ends(journal, gto):
    since = f"@{BASE_EPOCH + 240}"
    until = f"@{BASE_EPOCH + 420}"
    assert refs(gto("history", "--since", since, "--until", until, "--json")) == [
        "churn#dev#3", "churn@v1.1.0", "churn#prod#2"]
    assert refs(gto("history", "--since", "2024-01-01T00:08:00+00:00", "--json")) == [
        "segment@v0.1.0", "churn#dev!#4"]
    assert len(refs(gto("history", "--until", "2024-01-01", "--json"))) == 7  # the whole day
    assert refs(gto("history", "--until", "2023-12-31", "--json")) == []
    assert len(refs(gto("history", "--since", "100 years ago", "--json"))) == 7
    # git's words for a day ago and now (the journal is of 2024: nothing since yesterday)
    assert refs(gto("history", "--since", "yesterday", "--json")) == []
    assert len(refs(gto("history", "--until", "Yesterday", "--json"))) == 7
    assert len(refs(gto("history", "--until", "today", "--json"))) == 7


def test_author_is_a_pattern_on_name_and_email(journal, gto):
    assert refs(gto("history", "--author", "bob@", "--json")) == ["churn#prod#2"]
    assert refs(gto("history", "--author", "^Bob <", "--json")) == ["churn#prod#2"]
    assert len(refs(gto("history", "--author", "Test User", "--json"))) == 6


def test_filters_apply_to_tables(journal, gto):
    result = gto("history", "churn", "--event", "assignment", "--plain")
    assert [line.split()[-1] for line in result.stdout.splitlines()[1:]] == [
        "churn#dev#3", "churn#prod#2", "churn#dev#1"]


def test_the_api_takes_the_same_filters(journal, gto):
    path = str(journal.path)
    cli = json.loads(gto("history", "churn#dev", "--event", "assignment", "--json").stdout)
    assert api.history(path, "churn#dev", event="assignment") == cli
    assert api.history(path, stage="prod", author="Bob")[0].ref == "churn#prod#2"
    assert [e.ref for e in api.history(path, event=["registration"], since=f"@{BASE_EPOCH + 300}",
                                       ascending=True)] == ["churn@v1.1.0", "segment@v0.1.0"]


@pytest.mark.parametrize("args, code, message", [
    (["--since", "yesterdayish"], 2,
     "error: invalid date for --since: 'yesterdayish' (use YYYY-MM-DD, an ISO date-time, @EPOCH, 'yesterday' or "
     "'N days ago')"),
    (["--until", "2024-02-30"], 2, "error: invalid date for --until: '2024-02-30' (use YYYY-MM-DD, an ISO "
     "date-time, @EPOCH, 'yesterday' or 'N days ago')"),
    (["--event", "promotion"], 2,
     "error: Invalid value for '--event': 'promotion' is not one of 'registration', 'deregistration', "
     "'assignment', 'unassignment', 'deprecation' (see 'git gto history -h')"),
    (["--stage", "qa"], 1, "error: Unknown stage 'qa': no tag of the registry assigns it"),
    (["churn#qa"], 1, "error: Unknown stage 'qa': no tag of the registry assigns it"),
    (["--author", "("], 2, "error: invalid --author pattern '(': missing ), unterminated subpattern at position 0"),
])
def test_bad_input_is_one_line(journal, gto, args, code, message):
    result = gto("history", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", message + "\n")


def test_a_stage_not_allowed_by_gto_config(journal, gto):
    (journal.path / ".gto").write_text("stages: [dev, prod]\n")
    result = gto("history", "--stage", "staging")
    assert (result.exit_code, result.stderr) == (
        1, "error: Stage 'staging' is not allowed: allowed stages are ['dev', 'prod'] (.gto)\n")


def test_a_used_stage_with_no_event_left_is_empty_not_an_error(journal, gto):
    assert refs(gto("history", "--stage", "prod", "--until", "2023-12-31", "--json")) == []


def test_the_api_raises_the_same_errors(journal):
    path = str(journal.path)
    with pytest.raises(UsageError, match="invalid date for --since"):
        api.history(path, since="soon")
    with pytest.raises(UsageError, match="Unknown event 'promotion'"):
        api.history(path, event="promotion")
    with pytest.raises(GtoError, match="Unknown stage 'qa'"):
        api.history(path, stage="qa")
