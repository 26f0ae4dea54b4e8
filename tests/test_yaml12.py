"""`artifacts.yaml` and `.gto` read as gto reads them: YAML 1.2 scalars (ruamel.yaml), gto's
(pydantic's) coercions and refusals; and what `annotate` writes reads back the same.
gto's own behaviour on these files is recorded in tests/gto_recorded/yaml12_*.json."""

from __future__ import annotations

import json

import pytest

from conftest import ok, refused
from git_gto.errors import ConfigError
from git_gto.index import parse_index


def one(text: str) -> dict:
    return parse_index(text, "artifacts.yaml")


@pytest.mark.parametrize("text,field,value", [
    ("mm: {description: yes}", "description", "yes"),
    ("mm: {description: 1:30}", "description", "1:30"),
    ("mm: {labels: [on, off, y, n]}", "labels", ["on", "off", "y", "n"]),
    ("mm: {virtual: 0}", "virtual", False),
    ("mm: {virtual: 1}", "virtual", True),
    ("mm: {virtual: 'false'}", "virtual", False),
    ("mm: {virtual: 'yes'}", "virtual", True),
    ("mm: {virtual: Off}", "virtual", False),
    ("mm: {virtual: 1.0}", "virtual", True),
    ("mm: {virtual: TRUE}", "virtual", True),
    ("mm: {custom: 017}", "custom", 17),  # YAML 1.2: decimal
    ("mm: {custom: 0o17}", "custom", 15),
    ("mm: {custom: 1_000}", "custom", 1000),
    ("mm: {custom: 1e3}", "custom", 1000.0),
    ("mm: {custom: 2024-01-02}", "custom", "2024-01-02"),
    ("mm: {custom: 2024-01-02 10:00:00}", "custom", "2024-01-02T10:00:00"),
    ("mm: {custom: !!binary aGVsbG8=}", "custom", "aGVsbG8="),
    ("mm: {custom: !!set {x, y}}", "custom", ["x", "y"]),
    ("mm: {custom: {k: [yes, no, ~]}}", "custom", {"k": ["yes", "no", None]}),
    ("base: &b {type: model}\nmm: {<<: *b, path: p}", "type", "model"),
])
def test_yaml_1_2_scalars_and_gto_coercions(text, field, value):
    assert one(text)["mm"][field] == value


def test_yaml_1_1_words_are_names():
    index = one("on:\n  type: model\noff:\n  type: yes\n")
    assert list(index) == ["on", "off"] and index["off"]["type"] == "yes"


@pytest.mark.parametrize("text", [
    "mm: {virtual: 2}", "mm: {virtual: 0.5}", "mm: {virtual: null}", "mm: {virtual: ''}",
    "mm: {description: null}", "mm: {labels: null}", "mm: {description: 5}", "mm: {labels: [5]}",
    "mm: {labels: [1e3]}", "mm: {type: 5}", "mm:", "- mm", "1: {type: x}",
])
def test_what_gto_refuses_is_refused(text):
    with pytest.raises(ConfigError, match="doesn't conform to GTO format|invalid|Invalid"):
        one(text)


@pytest.mark.parametrize("text,problem", [
    ("mm: {type: x}\nmm: {type: y}", "found duplicate key 'mm'"),
    ("mm: {type: x, type: y}", "found duplicate key 'type'"),
    ("mm: {custom: " + "[" * 3000 + "]" * 3000 + "}", "nested too deeply"),
    ("mm:\n\ttype: x", "not valid YAML (line 2)"),
])
def test_bad_yaml_is_one_clear_error(text, problem):
    with pytest.raises(ConfigError) as e:
        one(text)
    assert problem in e.value.message and "\n" not in e.value.message


def test_committed_custom_values_json_cannot_hold_are_shown(repo, gto):
    repo.commit("ann", files={"artifacts.yaml":
                              "mm:\n  type: model\n  custom: {when: 2024-01-02, bin: !!binary aGVsbG8=, s: !!set {x}}\n"})
    ok(gto("register", "mm"))
    shown = json.loads(ok(gto("show", "mm", "--json")).stdout)
    assert shown[0]["enrichments"][0]["enrichments"][0]["artifact"]["custom"] == {
        "when": "2024-01-02", "bin": "aGVsbG8=", "s": ["x"]}
    described = json.loads(ok(gto("describe", "mm")).stdout)
    assert described["custom"]["when"] == "2024-01-02"


def test_duplicate_keys_leave_that_commit_out_and_doctor_names_it(repo, gto):
    """gto refuses every read; a committed file must not stop every reader here: the
    commit's annotations are left out and doctor names the file (README, Differences)."""
    repo.commit("ann", files={"artifacts.yaml": "mm:\n  type: model\nmm:\n  type: dataset\n"})
    assert ok(gto("show", "--json")).stdout.strip() == "{}"
    doctor = gto("doctor")
    assert doctor.exit_code == 1 and "found duplicate key 'mm'" in doctor.stdout


def test_config_stages_on_off_are_names(repo, gto):
    repo.commit("cfg", files={".gto": "stages: [on, off]\ntypes: [yes, no]\n"})
    ok(gto("register", "mm"))
    ok(gto("assign", "mm", "--stage", "on"))
    assert ok(gto("stages")).stdout == "on\noff\n"
    refused(gto("assign", "mm", "--stage", "prod"), 1, "'prod'")


def test_config_duplicate_keys_refused(repo, gto):
    repo.commit("cfg", files={".gto": "stages: [a]\nstages: [b]\n"})
    refused(gto("stages"), 1, "found duplicate key 'stages'")


TRICKY = ["yes", "on", "off", "1:30", "0o17", "1e3", "+.5", "2024-01-02", "null", "~", "0x1F", "017",
          "true", "1_000", "<<", ".inf", ".NaN", "0b101"]


def test_annotate_writes_what_reads_back_the_same(repo, gto):
    import yaml

    repo.commit("one")
    ok(gto("annotate", "mm", "--type", "model", "--description", "1e3", *[a for t in TRICKY if t[0].isalpha()
                                                                        for a in ("--label", t)]))
    ok(gto("annotate", "nn", "--description", "0o17"))
    text = (repo.path / "artifacts.yaml").read_text()
    for reader in (one, yaml.safe_load):  # YAML 1.2 (gto) and 1.1 (PyYAML's default) alike
        index = reader(text)
        assert index["mm"]["description"] == "1e3" and index["nn"]["description"] == "0o17"
    from git_gto import yaml12

    data = {"labels": TRICKY}
    assert yaml12.load(yaml12.dump(data)) == yaml.safe_load(yaml12.dump(data)) == data


def test_committed_index_parsed_once_per_commit(repo, gto, monkeypatch):
    """A large artifacts.yaml is parsed once per commit, then read from the cache; only the
    annotations a command uses are unpacked."""
    from git_gto import index, loader

    text = "".join(f"model-{i:05d}:\n  type: model\n  path: m/{i}\n" for i in range(5000))
    repo.commit("ann", files={"artifacts.yaml": text})
    ok(gto("register", "model-00001"))
    parsed = []
    monkeypatch.setattr(loader, "parse_index", lambda *a: parsed.append(a) or index.parse_index(*a))
    unpacked = []
    real = index.PackedIndex.__getitem__
    monkeypatch.setattr(index.PackedIndex, "__getitem__", lambda self, k: unpacked.append(k) or real(self, k))
    shown = json.loads(ok(gto("show", "model-00001", "--json")).stdout)
    assert shown[0]["enrichments"][0]["enrichments"][0]["artifact"]["path"] == "m/1"
    assert parsed == [] and set(unpacked) == {"model-00001"}
    assert len(json.loads(ok(gto("show", "--json")).stdout)) == 5000


def test_committed_index_refusal_is_cached_too(repo, gto, monkeypatch):
    from git_gto import loader

    repo.commit("ann", files={"artifacts.yaml": "mm: {virtual: 2}\n"})
    first = gto("doctor")
    assert first.exit_code == 1 and "doesn't conform to GTO format" in first.stdout
    monkeypatch.setattr(loader, "parse_index", None)  # not called again
    assert gto("doctor").stdout == first.stdout
