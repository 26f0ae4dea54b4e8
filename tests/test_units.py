"""Unit tests of the pure modules: rules, the registry model, config and the index. No git,
no files: registry objects are built from tag entries, config and index from their text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from git_gto import registry as R
from git_gto import rules
from git_gto import tags as T
from git_gto.config import Config, parse_config
from git_gto.errors import ConfigError, GtoError, UsageError
from git_gto.index import annotate, compact_annotation, parse_index, remove

C1, C2 = "1" * 40, "2" * 40


def artifact(*tags: tuple, name: str = "m") -> R.Artifact:
    """An artifact from (tag name, commit, time) triples, in gto's build order."""
    entries = []
    for tag, commit, time in tags:
        parsed = T.parse_tag(tag)
        entries.append((R.PASS_OF_ACTION[parsed.action], time, tag, parsed.action, parsed.version,
                        parsed.stage, commit, 0, "A", "a@example.com", f"message of {tag}"))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    return R.artifact_from_entries(name, entries)


class Times:
    """A registry.ArtifactLoader for one prebuilt artifact (commit times from a table)."""

    def __init__(self, built: R.Artifact, commit_times: dict):
        self.built, self.commit_times = built, commit_times

    def build(self, name: str) -> R.Artifact:
        return self.built

    def enrich(self, artifact: R.Artifact) -> None:
        pass

    def commit_time(self, sha: str) -> int:
        return self.commit_times[sha]


def refusal(call, message: str, kind=GtoError) -> None:
    with pytest.raises(kind) as raised:
        call()
    assert type(raised.value) is kind and message in raised.value.message, raised.value.message


# -- rules -----------------------------------------------------------------------------------

def test_a_commit_registered_and_active_refuses_a_second_registration():
    m = artifact(("m@v1.0.0", C1, 10))
    existing = rules.registered_at(m, C1)
    refusal(lambda: rules.check_commit_registration(existing, "m", None, force=False),
            "'m' is already registered in this commit with version 'v1.0.0'")
    rules.check_commit_registration(existing, "m", None, force=True)  # --force: the same version again
    refusal(lambda: rules.check_commit_registration(existing, "m", "v2.0.0", force=True),
            "For this REF you can only register v1.0.0")


def test_a_deregistered_commit_takes_its_version_again():
    m = artifact(("m@v1.0.0", C1, 10), ("m@v1.0.0!", C1, 20))
    rules.check_commit_registration(rules.registered_at(m, C1), "m", "v1.0.0", force=False)


def test_a_version_name_lives_on_one_commit():
    m = artifact(("m@v1.0.0", C1, 10))
    refusal(lambda: rules.check_version_name_free(m, "v1.0.0", None), "Version 'v1.0.0' already was registered.")
    refusal(lambda: rules.check_version_name_free(m, "1.0", None), "Supplied version '1.0' cannot be parsed")
    rules.check_version_name_free(m, "v1.0.0", rules.registered_at(m, C1))
    rules.check_version_name_free(m, "v1.0.1", None)


def test_hand_made_tags_with_two_versions_on_one_commit_refuse_writes():
    m = artifact(("m@v1.0.0", C1, 10), ("m@v2.0.0", C1, 11))
    refusal(lambda: rules.registered_at(m, C1), "several versions registered at this commit (v1.0.0, v2.0.0)")
    assert rules.inconsistencies(m) == [f"m: versions v1.0.0, v2.0.0 are all registered on commit {C1[:7]}"]


def test_one_version_on_two_commits_is_inconsistent():
    m = artifact(("m@v1.0.0", C1, 10), ("m@v1.0.0#2", C2, 11))
    refusal(lambda: rules.one_version(m, "v1.0.0", "missing"), "registered on several commits")
    assert rules.inconsistencies(m) == [f"m: version v1.0.0 is registered on several commits ({C1[:7]}, {C2[:7]})"]
    refusal(lambda: rules.one_version(m, "v9.0.0", "no v9"), "no v9")


def test_a_stage_held_needs_force_to_assign_again():
    m = artifact(("m@v1.0.0", C1, 10), ("m#prod#1", C1, 11))
    version = rules.registered_at(m, C1)
    refusal(lambda: rules.check_assignment(version, "v1.0.0", "prod", force=False),
            "Version 'v1.0.0' is already in stage 'prod'")
    rules.check_assignment(version, "v1.0.0", "prod", force=True)
    rules.check_assignment(version, "v1.0.0", "dev", force=False)
    rules.check_assignment(None, "v1.0.1", "prod", force=False)  # registered on the way


def test_unassigning_needs_the_stage_on_that_version():
    m = artifact(("m@v1.0.0", C1, 10), ("m#prod#1", C1, 11))
    version = rules.registered_at(m, C1)
    rules.check_unassignment(version, "prod", force=False)
    refusal(lambda: rules.check_unassignment(version, "dev", force=False), "Stage 'dev' is not assigned")


def test_deregistration_targets():
    m = artifact(("m@v1.0.0", C1, 10), ("m@v2.0.0", C2, 11), ("m@v2.0.0!", C2, 12))
    assert rules.deregistration_target(m, "v1.0.0", force=False).commit == C1
    refusal(lambda: rules.deregistration_target(m, "v2.0.0", force=False), "was deregistered already")
    assert rules.deregistration_target(m, "v2.0.0", force=True).commit == C2
    refusal(lambda: rules.deregistration_target(m, "v3.0.0", force=False), "Version 'v3.0.0' of 'm' is not registered")
    refusal(lambda: rules.deregistration_target(m, "v3.0.0", force=True), "has no git tags")


def test_deprecation_rules():
    m = artifact(("m@v1.0.0", C1, 10), ("m@deprecated", C1, 20))
    reg = R.Registry(["m"], Times(m, {C1: 5}), [])
    refusal(lambda: rules.check_deprecation(reg, m, "m", force=False, simple="auto"), "'m' was deprecated already")
    refusal(lambda: rules.check_deprecation(reg, None, "x", force=False, simple="auto"), "Cannot find artifact 'x'")
    refusal(lambda: rules.check_deprecation(reg, m, "m", force=True, simple="true"),
            "Can't use 'force' with 'simple=True'", UsageError)
    rules.check_deprecation(reg, m, "m", force=True, simple="auto")


def test_stage_and_type_rules_follow_the_config():
    config = Config(stages=["dev", "prod"], types=["model"])
    rules.check_stage(config, "dev")
    refusal(lambda: rules.check_stage(config, "qa"), "Stage 'qa' is not allowed: allowed stages are ['dev', 'prod']")
    refusal(lambda: rules.check_stage(Config(), "no good"), "Invalid value 'no good'")
    refusal(lambda: rules.check_type(config, "dataset"), "Type 'dataset' is not allowed")
    refusal(lambda: rules.check_annotation(Config(), "m", ["ok", "not ok"], None), "Invalid value 'not ok'")


# -- the registry model ----------------------------------------------------------------------

def test_latest_is_the_greatest_active_version():
    m = artifact(("m@v1.10.0", C1, 10), ("m@v1.9.0", C2, 20))
    assert m.latest().name == "v1.10.0"


def test_an_unassignment_wins_a_tie():
    m = artifact(("m@v1.0.0", C1, 10), ("m#prod#1", C1, 11), ("m#prod!#2", C1, 11))
    assert not m.find_version(name="v1.0.0")[0].stages["prod"].is_active


def test_a_deprecation_is_undone_by_a_newer_event_or_commit():
    m = artifact(("m@v1.0.0", C1, 10), ("m@deprecated", C1, 20))
    assert not R.Registry(["m"], Times(m, {C1: 5}), []).active(m)
    assert R.Registry(["m"], Times(m, {C1: 25}), []).active(m), "a newer commit of a version revives it"
    revived = artifact(("m@v1.0.0", C1, 10), ("m@deprecated", C1, 20), ("m#prod#1", C1, 30))
    assert R.Registry(["m"], Times(revived, {C1: 5}), []).active(revived)


def test_stage_tags_on_an_unregistered_commit_are_one_version():
    m = artifact(("m#dev#1", C1, 10), ("m#prod#2", C1, 11))
    assert [v.name for v in m.versions] == [C1]
    assert sorted(m.versions[0].stages) == ["dev", "prod"]


def test_kanban_view_keeps_the_first_stages_activated():
    m = artifact(("m@v1.0.0", C1, 10), ("m#dev#1", C1, 11), ("m#prod#2", C1, 12))
    assert list(m.vstages(assignments_per_version=1, versions_per_stage=-1)) == ["dev"]


def test_registry_builds_an_artifact_when_first_asked():
    m = artifact(("m@v1.0.0", C1, 10))
    reg = R.Registry(["m"], Times(m, {}), ["x: skipped"])
    assert reg.artifact("other") is None
    assert reg.artifact("m") is m and reg.skipped == ["x: skipped"]


# -- config ----------------------------------------------------------------------------------

def test_config_keys_in_any_case_and_environment_on_top(monkeypatch):
    monkeypatch.delenv("GTO_STAGES", raising=False)
    monkeypatch.delenv("GTO_EMOJIS", raising=False)
    config = parse_config(b"STAGES: [dev]\nEmojis: false\nindex: meta.yaml\n", ".gto", None)
    assert (config.stages, config.emojis, config.index) == (["dev"], False, "meta.yaml")
    monkeypatch.setenv("GTO_STAGES", '["prod"]')
    assert parse_config(b"stages: [dev]\n", ".gto", None).stages == ["prod"]


@pytest.mark.parametrize("text, message", [
    (b"foo: 1\n", ".gto: 'foo': unknown key"),
    (b"debug: true\n", ".gto: 'debug': not supported by git-gto (use GTO_DEBUG=1 for tracebacks)"),
    (b"enrichments: []\n", ".gto: 'enrichments': not supported by git-gto"),
    (b"emojis: maybe\n", ".gto: 'emojis': expected true or false, got 'maybe'"),
    (b"stages: dev\n", ".gto: 'stages': expected a list of names, got 'dev'"),
    (b"- a\n", "'.gto': expected a mapping of settings"),
    (b"stages: [\n", "'.gto': not valid YAML"),
])
def test_config_refuses_what_it_cannot_honour(text, message, monkeypatch):
    monkeypatch.delenv("GTO_EMOJIS", raising=False)  # a variable would override the file's key
    refusal(lambda: parse_config(text, ".gto", None), message, ConfigError)


# -- the index -------------------------------------------------------------------------------

def test_index_fills_defaults_and_compacts_them_away():
    index = parse_index("m:\n  type: model\n", "artifacts.yaml")
    assert index["m"] == {"type": "model", "path": None, "virtual": True, "labels": [], "description": "",
                          "custom": None}
    assert compact_annotation(index["m"]) == {"type": "model"}


@pytest.mark.parametrize("text", ["- m\n", "m: 1\n", "m:\n  virtual: maybe\n", "m:\n  labels: x\n", ": ["])
def test_index_refuses_another_format(text):
    refusal(lambda: parse_index(text, "artifacts.yaml"), "artifacts.yaml doesn't conform to GTO format", ConfigError)


def test_annotate_merges_labels_keeps_fields_and_refuses_overlapping_paths():
    index = parse_index("a:\n  path: models/a\n  labels: [x]\n  description: first\n", "artifacts.yaml")
    entry = annotate(index, "a", labels=["y"])
    assert (entry["labels"], entry["description"], entry["path"]) == (["x", "y"], "first", "models/a")
    refusal(lambda: annotate(index, "b", path="models/a/sub"), "overlaps the path 'models/a' of 'a'")
    assert annotate(index, "b", path="models/a/sub", allow_same_path=True)["virtual"] is True
    refusal(lambda: annotate(index, "c", must_exist=True), "--must-exist needs --path", UsageError)
    remove(index, "b", "artifacts.yaml")
    refusal(lambda: remove(index, "b", "artifacts.yaml"), "Cannot find artifact 'b' in artifacts.yaml")


# -- tables ----------------------------------------------------------------------------------

_cell = st.one_of(st.none(), st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=12),
                  st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2026), max_size=4),
                  st.sampled_from(["", "-", "True", "1", "1.5", "v1.0.0", "a b", " x", "x ", "é", "\t", "…"]))


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from(["artifact", "version", "x", "stage", "created_at"]), min_size=n, max_size=n),
    st.lists(st.lists(_cell, min_size=n, max_size=n), min_size=1, max_size=6))), st.booleans())
def test_tables_drawn_without_tabulate_are_tabulates(table, plain):
    """The tables `output` draws itself (simple cells) are byte for byte tabulate's; other
    cells go to tabulate."""
    from tabulate import tabulate

    from git_gto import output

    headers, rows = table
    expected = tabulate(rows, headers=headers, tablefmt="plain" if plain else "fancy_outline",
                        missingval="-", disable_numparse=True)
    if output._simple(headers, rows):
        assert output.aligned(headers, rows, plain) == expected


def test_a_nul_in_a_cell_goes_to_tabulate_and_is_escaped(capsys):
    """A NUL inside a cell (a principal's name in a committed allowed-signers file) is not a
    simple cell: it is drawn the escaping way, never printed raw."""
    from git_gto import output

    assert not output._simple(["a"], [["x\x00y"]])
    assert output._simple(["a", "b"], [["x", None], ["y", "z"]])
    output.print_table(["a"], [["x\x00y"]], True)
    assert capsys.readouterr().out == "a\nx^@y\n"
