"""Reading the registry: `show`, `history`, `check-ref`, `stages`, in this process.

Each expectation comes from the behaviour reference (shared/spec/gto-1.10-behaviour.md,
§3.4-3.7, §4 and §5); the few places where git-gto deliberately differs from gto 1.10.1
say so.
"""

from __future__ import annotations

import json
import os
import re
from typing import Dict, List

import pytest

from conftest import ok, refused

NOTHING = "Nothing found in the current workspace\n"


# -- helpers ----------------------------------------------------------------------------------

def js(result):
    return json.loads(ok(result).stdout)


def lines(result) -> List[str]:
    return ok(result).stdout.splitlines()


def run_all(gto, *commands):
    for args in commands:
        ok(gto(*args))


def hand_tag(repo, name: str, when: int, ref: str = "HEAD", message: str = "by hand") -> None:
    """An annotated tag made with git at a chosen second."""
    os.environ["GIT_COMMITTER_DATE"] = f"@{when} +0000"
    repo.git("tag", "-a", name, "-m", message, ref)


def plain_table(text: str) -> List[Dict[str, str]]:
    """Rows of a `--plain` table, cut at the header's column starts (cells are left-aligned)."""
    header, *rows = text.splitlines()
    names = header.split()
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    assert len(starts) == len(names)
    out = []
    for row in rows:
        cells = [row[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        out.append(dict(zip(names, cells)))
    return out


def registry_stages(shown: dict, name: str) -> dict:
    return shown[name]["stage"]


def row_versions(rows: list) -> List[str]:
    return [r["version"] for r in rows]


def row_stages(rows: list) -> Dict[str, List[str]]:
    return {r["version"]: [s["stage"] for s in r["stages"]] for r in rows}


# -- latest ----------------------------------------------------------------------------------------

def test_latest_is_the_greatest_semver_not_the_most_recent(repo, gto):
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    c3 = repo.commit("three")
    c4 = repo.commit("four")
    run_all(gto, ["register", "m", c1, "--version", "v2.0.0"], ["register", "m", c2, "--version", "v1.0.0"])
    assert js(gto("show", "--json"))["m"]["version"] == "v2.0.0"
    assert gto("show", "m@latest", "--version").stdout == "v2.0.0\n"
    ok(gto("register", "m", c3, "--version", "v2.1.0-rc.1"))
    assert js(gto("show", "--json"))["m"]["version"] == "v2.1.0-rc.1", "a prerelease of a greater version"
    ok(gto("register", "m", c4, "--version", "v2.0.1+build.7"))
    assert js(gto("show", "--json"))["m"]["version"] == "v2.1.0-rc.1"
    assert lines(gto("show", "m", "--version")) == ["v2.1.0-rc.1", "v2.0.1+build.7", "v2.0.0", "v1.0.0"]
    ok(gto("deprecate", "m", "v2.1.0-rc.1"))
    assert js(gto("show", "--json"))["m"]["version"] == "v2.0.1+build.7", "deregistered versions are not latest"
    assert gto("show", "m@greatest", "--ref").stdout == "m@v2.0.1+build.7\n"
    # --ro and --sort do not change `latest`
    assert js(gto("show", "--json", "--ro", "--sort", "semver"))["m"]["version"] == "v2.0.1+build.7"


def test_prerelease_is_not_greater_than_its_release(repo, gto):
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    run_all(gto, ["register", "m", c1, "--version", "v1.0.0"], ["register", "m", c2, "--version", "v1.0.0-rc.1"])
    assert js(gto("show", "--json"))["m"]["version"] == "v1.0.0"


# -- stages: which version a stage shows ----------------------------------------------------------

@pytest.fixture
def three_in_prod(repo, gto):
    """v1, v2, v3 registered; prod assigned to v1, then v3, then v2."""
    for n in (1, 2, 3):
        commit = repo.commit(f"c{n}")
        ok(gto("register", "m", commit, "--version", f"v{n}.0.0"))
    for n in (1, 3, 2):
        ok(gto("assign", "m", "--version", f"v{n}.0.0", "--stage", "prod"))


def test_stage_shows_the_latest_assignment_by_default_or_the_greatest_with_sort_semver(three_in_prod, gto):
    assert registry_stages(js(gto("show", "--json")), "m") == {"prod": "v2.0.0"}
    assert registry_stages(js(gto("show", "--json", "--sort", "timestamp")), "m") == {"prod": "v2.0.0"}
    assert registry_stages(js(gto("show", "--json", "--sort", "semver")), "m") == {"prod": "v3.0.0"}
    assert gto("show", "m#prod", "--version").stdout == "v2.0.0\n"
    assert gto("show", "m#prod", "--version", "--sort", "semver").stdout == "v3.0.0\n"


def test_versions_per_stage(three_in_prod, gto):
    def prod(*args):
        return registry_stages(js(gto("show", "--json", *args)), "m")["prod"]

    assert prod("--vs", "1") == "v2.0.0"
    assert prod("--vs", "2") == "v2.0.0, v3.0.0"
    assert prod("--vs", "-1") == "v2.0.0, v3.0.0, v1.0.0"
    assert prod("--versions-per-stage", "-1", "--sort", "semver") == "v3.0.0, v2.0.0, v1.0.0"
    assert prod("--vs", "2", "--sort", "semver") == "v3.0.0, v2.0.0"
    table = plain_table(ok(gto("show", "--plain", "--vs", "2")).stdout)
    assert table == [{"name": "m", "latest": "v3.0.0", "#prod": "v2.0.0, v3.0.0"}]
    # the artifact view: a row's stages are those the stage columns would show
    assert row_stages(js(gto("show", "m", "--json"))) == {"v3.0.0": [], "v2.0.0": ["prod"], "v1.0.0": []}
    assert row_stages(js(gto("show", "m", "--json", "--vs", "-1"))) == {
        "v3.0.0": ["prod"], "v2.0.0": ["prod"], "v1.0.0": ["prod"]}
    assert lines(gto("show", "m#prod", "--version", "--vs", "-1")) == ["v3.0.0", "v2.0.0", "v1.0.0"]


@pytest.mark.parametrize("option", ["--vs", "--av"])
def test_limits_below_minus_one_are_refused(three_in_prod, gto, option):
    long = "--versions-per-stage" if option == "--vs" else "--assignments-per-version"
    refused(gto("show", option, "-2"), 2, f"error: '{long}' must be >= -1")
    refused(gto("show", "m", option, "-2"), 2, f"error: '{long}' must be >= -1")


def test_assignments_per_version_keeps_the_first_activated(repo, gto):
    """--av N keeps the N stages activated first on each version (spec §4.5 [verified]; the
    help says "last" in gto, the code and ours keep the oldest activations)."""
    repo.commit("one")
    run_all(gto, ["register", "m"], ["assign", "m", "--version", "v0.0.1", "--stage", "dev"],
            ["assign", "m", "--version", "v0.0.1", "--stage", "prod"])
    assert registry_stages(js(gto("show", "--json")), "m") == {"dev": "v0.0.1", "prod": "v0.0.1"}
    assert registry_stages(js(gto("show", "--json", "--av", "1")), "m") == {"dev": "v0.0.1", "prod": None}
    assert registry_stages(js(gto("show", "--json", "--av", "0")), "m") == {"dev": None, "prod": None}
    assert registry_stages(js(gto("show", "--json", "--av", "-1")), "m") == {"dev": "v0.0.1", "prod": "v0.0.1"}
    assert row_stages(js(gto("show", "m", "--json", "--av", "1"))) == {"v0.0.1": ["dev"]}
    assert row_stages(js(gto("show", "m", "--json", "--assignments-per-version", "0"))) == {"v0.0.1": []}
    # a new assignment of dev re-activates it: prod is now the first activated
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "dev", "--force"))
    assert registry_stages(js(gto("show", "--json", "--av", "1")), "m") == {"dev": None, "prod": "v0.0.1"}
    assert row_stages(js(gto("show", "m", "--json", "--av", "1"))) == {"v0.0.1": ["prod"]}


# -- --ro, -d, deprecation and revival ---------------------------------------------------------------

def test_registered_only_hides_stages_of_unregistered_versions(repo, gto):
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    run_all(gto, ["register", "m", c1, "--version", "v1.0.0"], ["assign", "m", "--version", "v1.0.0", "--stage", "dev"],
            ["assign", "m", c2, "--stage", "prod", "--skip-registration"])
    assert registry_stages(js(gto("show", "--json")), "m") == {"dev": "v1.0.0", "prod": c2}
    assert registry_stages(js(gto("show", "--json", "--ro")), "m") == {"dev": "v1.0.0", "prod": None}
    assert registry_stages(js(gto("show", "--json", "--registered-only")), "m") == {"dev": "v1.0.0", "prod": None}
    # the artifact view keeps the unregistered version's row, without its stages
    assert row_stages(js(gto("show", "m", "--json"))) == {"v1.0.0": ["dev"], c2: ["prod"]}
    assert row_stages(js(gto("show", "m", "--json", "--ro"))) == {"v1.0.0": ["dev"], c2: []}
    assert lines(gto("stages", "--used")) == ["dev", "prod"]


def test_deprecated_artifacts_and_deregistered_versions_need_d(repo, gto):
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    run_all(gto, ["register", "x", c1], ["assign", "x", "--version", "v0.0.1", "--stage", "prod"],
            ["deprecate", "x"],
            ["register", "y", c1], ["register", "y", c2], ["deprecate", "y", "v0.0.2"])
    shown = js(gto("show", "--json"))
    assert "x" not in shown
    assert shown["y"] == {"version": "v0.0.1", "stage": {"prod": None}, "registered": True, "active": True}
    shown = js(gto("show", "--json", "-d"))
    assert shown["x"] == {"version": "v0.0.1", "stage": {"prod": "v0.0.1"}, "registered": True, "active": False}
    assert shown["y"]["version"] == "v0.0.1"
    assert [r["name"] for r in plain_table(ok(gto("show", "--plain")).stdout)] == ["y"]
    assert [r["name"] for r in plain_table(ok(gto("show", "--plain", "--deprecated")).stdout)] == ["x", "y"]
    # the artifact view of a deprecated artifact is empty without -d
    assert js(gto("show", "x", "--json")) == []
    assert gto("show", "x").stderr == NOTHING
    assert gto("show", "x", "--version").stdout == ""
    assert row_versions(js(gto("show", "x", "-d", "--json"))) == ["v0.0.1"]
    # deregistered versions show only with -d
    assert row_versions(js(gto("show", "y", "--json"))) == ["v0.0.1"]
    rows = js(gto("show", "y", "-d", "--json"))
    assert [(r["version"], r["is_active"]) for r in rows] == [("v0.0.2", False), ("v0.0.1", True)]
    assert lines(gto("show", "y", "-d", "--version")) == ["v0.0.2", "v0.0.1"]
    # history, check-ref and stages ignore deprecation
    assert [e["ref"] for e in js(gto("history", "x", "--json"))] == ["x@deprecated", "x#prod#1", "x@v0.0.1"]
    assert gto("check-ref", "x#prod#1", "--event").stdout == "assignment\n"
    assert lines(gto("stages")) == ["prod"]


def test_a_newer_event_revives_a_deprecated_artifact(repo, gto):
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    run_all(gto, ["register", "x", c1], ["deprecate", "x"], ["register", "z", c1], ["deprecate", "z"])
    assert js(gto("show", "--json")) == {}
    ok(gto("register", "x", c2))
    ok(gto("assign", "z", "--version", "v0.0.1", "--stage", "prod"))
    shown = js(gto("show", "--json"))
    assert shown["x"]["version"] == "v0.0.2" and shown["x"]["active"] is True
    assert shown["z"]["active"] is True and shown["z"]["stage"] == {"prod": "v0.0.1"}
    assert row_versions(js(gto("show", "x", "--json"))) == ["v0.0.2", "v0.0.1"]


def test_a_later_commit_of_artifacts_yaml_revives_a_deprecated_artifact(repo, gto):
    """Commit (annotation) events count for the newest event of an artifact (spec §4.4)."""
    repo.commit("one")
    run_all(gto, ["register", "x"], ["deprecate", "x"], ["register", "w"], ["deprecate", "w"])
    assert [(n, a["active"]) for n, a in js(gto("show", "-d", "--json")).items()] == [("x", False), ("w", False)]
    head = repo.commit("annotate", {"artifacts.yaml": "x:\n  type: model\n"})
    shown = js(gto("show", "-d", "--json"))
    assert [(n, a["active"]) for n, a in shown.items()] == [("x", True), ("w", False)]
    assert shown["x"]["version"] == "v0.0.1"
    assert [(r["version"], r["is_active"]) for r in js(gto("show", "x", "--json"))] == [
        ("v0.0.1", True), (head, True)]


def test_deprecation_in_the_same_second_as_a_version_event_loses(repo, gto):
    repo.commit("one")
    when = repo.tick()
    second = int(when.split()[0][1:])
    hand_tag(repo, "t@deprecated", second)
    hand_tag(repo, "t@v1.0.0", second)
    hand_tag(repo, "u@v1.0.0", second - 10)
    hand_tag(repo, "u@deprecated", second - 5)
    shown = js(gto("show", "--json", "-d"))
    assert shown["t"]["active"] is True
    assert shown["u"]["active"] is False


def test_cancellations_in_the_same_second_win_and_tag_offsets_are_kept(repo, gto):
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    second = int(repo.tick().split()[0][1:])

    def tag(name, when, ref, tz="+0000"):
        os.environ["GIT_COMMITTER_DATE"] = f"@{when} {tz}"
        repo.git("tag", "-a", name, "-m", "by hand", ref)

    tag("k@v1.0.0", second, c1, "+0530")
    tag("k@v1.0.0!", second, c1, "+0530")  # the same second: deregistered
    tag("k#prod", second, c1, "-0200")
    tag("k#prod!", second, c1)  # the same second: unassigned
    tag("k#dev#3", second - 50, c2)  # before c2 is registered...
    tag("k@v2.0.0", second + 50, c2)  # ...still v2.0.0's stage
    rows = js(gto("show", "k", "-d", "--json"))
    assert [(r["version"], r["is_active"], row_stages([r])[r["version"]]) for r in rows] == [
        ("v2.0.0", True, ["dev"]), ("v1.0.0", False, [])]
    assert rows[1]["created_at"] == iso(second, 5, 30)
    assert js(gto("show", "--json")) == {
        "k": {"version": "v2.0.0", "stage": {"dev": "v2.0.0"}, "registered": True, "active": True}}
    history = js(gto("history", "k", "--json"))
    assert [(e["ref"], e["timestamp"], e["version"]) for e in history] == [
        ("k@v2.0.0", iso(second + 50), "v2.0.0"),
        ("k#prod!", iso(second), "v1.0.0"),
        ("k#prod", iso(second, -2), "v1.0.0"),
        ("k@v1.0.0!", iso(second, 5, 30), "v1.0.0"),
        ("k@v1.0.0", iso(second, 5, 30), "v1.0.0"),
        ("k#dev#3", iso(second - 50), "v2.0.0"),
    ]
    assert iso(second, 5, 30).endswith("+05:30") and iso(second, -2).endswith("-02:00")


def iso(when: int, hours: int = 0, minutes: int = 0) -> str:
    """The ISO 8601 time of an epoch second in a UTC offset (as the tag recorded it)."""
    import datetime as dt

    sign = -1 if hours < 0 else 1
    zone = dt.timezone(dt.timedelta(hours=hours, minutes=sign * minutes))
    return dt.datetime.fromtimestamp(when, zone).isoformat()


def test_registry_json_lists_artifacts_in_the_order_first_seen(repo, gto):
    """Deprecations first, then registrations, then assignments (each by time), then
    artifacts.yaml; tables sort by name."""
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    run_all(gto, ["register", "b", c1], ["register", "a", c1], ["deprecate", "c", "--force"],
            ["assign", "d", c2, "--stage", "dev", "--sr"], ["register", "a0", c2])
    repo.commit("annotate", {"artifacts.yaml": "e:\n  type: model\n"})
    assert list(js(gto("show", "-d", "--json"))) == ["c", "b", "a", "a0", "d", "e"]
    assert list(js(gto("show", "--json"))) == ["b", "a", "a0", "d", "e"]
    assert [r["name"] for r in plain_table(ok(gto("show", "--plain", "-d")).stdout)] == [
        "a", "a0", "b", "c", "d", "*e"]


# -- artifacts.yaml -------------------------------------------------------------------------------

def test_artifacts_only_in_committed_artifacts_yaml_are_unregistered(repo, gto):
    repo.commit("one")
    run_all(gto, ["register", "a"], ["register", "c"])
    head = repo.commit("annotate", {"artifacts.yaml": "b:\n  type: model\n  path: b.pkl\nc:\n  type: model\n"})
    (repo.path / "artifacts.yaml").write_text("b:\n  type: model\nc: {}\nz:\n  type: model\n")  # not committed
    (repo.path / "new.txt").write_text("x")
    shown = js(gto("show", "--json"))
    assert shown["b"] == {"version": None, "stage": {}, "registered": False, "active": True}
    assert "z" not in shown, "the working tree's artifacts.yaml does not count"
    assert shown["a"]["registered"] is True and shown["c"]["registered"] is True
    table = plain_table(ok(gto("show", "--plain")).stdout)
    assert [(r["name"], r["latest"]) for r in table] == [("a", "v0.0.1"), ("*b", "-"), ("c", "v0.0.1")]
    assert lines(gto("show", "--name")) == ["a", "*b", "c"]
    rows = js(gto("show", "b", "--json"))
    assert [(r["version"], r["commit_hexsha"], r["ref"], r["discovered"], r["registrations"])
            for r in rows] == [(head, head, head, True, [])]
    assert rows[0]["message"] == "annotate\n"
    assert plain_table(ok(gto("show", "b", "--plain")).stdout)[0]["artifact"] == "*b"
    assert js(gto("history", "b", "--json")) == [], "annotations are not history"
    refused(gto("show", "z"), 1, "error: Cannot find artifact 'z'")


def test_working_tree_artifacts_yaml_alone_is_ignored(repo, gto):
    repo.commit("one")
    (repo.path / "artifacts.yaml").write_text("b:\n  type: model\n")
    assert js(gto("show", "--json")) == {}
    assert gto("show").stderr == NOTHING


# -- shortcuts and column flags ------------------------------------------------------------------

@pytest.fixture
def three_versions(repo, gto):
    """m: v0.9.0, v1.0.0 (prod), v1.1.0 (dev); d/e:m v0.0.1."""
    commits = [repo.commit(f"c{n}") for n in range(3)]
    run_all(gto, ["register", "m", commits[0], "--version", "v0.9.0"],
            ["register", "m", commits[1], "--version", "v1.0.0"],
            ["register", "m", commits[2], "--version", "v1.1.0"],
            ["assign", "m", "--version", "v1.0.0", "--stage", "prod"],
            ["assign", "m", "--version", "v1.1.0", "--stage", "dev"],
            ["register", "d/e:m", commits[0]])
    return commits


def test_show_shortcuts(three_versions, gto):
    assert row_versions(js(gto("show", "m@latest", "--json"))) == ["v1.1.0"]
    assert gto("show", "m@latest", "--version").stdout == "v1.1.0\n"
    assert gto("show", "m@latest", "--ref").stdout == "m@v1.1.0\n"
    assert gto("show", "m@greatest", "--ref").stdout == "m@v1.1.0\n"
    assert row_versions(js(gto("show", "m@v0.9.0", "--json"))) == ["v0.9.0"]
    assert gto("show", "m@v0.9.0", "--ref").stdout == "m@v0.9.0\n"
    rows = js(gto("show", "m#prod", "--json"))
    assert row_stages(rows) == {"v1.0.0": ["prod"]}
    assert gto("show", "m#prod", "--version").stdout == "v1.0.0\n"
    assert gto("show", "m#prod", "--ref").stdout == "m@v1.0.0\n", "the version's tag, not the assignment's"
    assert gto("show", "m#dev", "--stage").stdout == "dev\n"
    assert [r["version"] for r in plain_table(ok(gto("show", "m#prod", "--plain")).stdout)] == ["v1.0.0"]
    # nothing selected: empty, successfully
    assert js(gto("show", "m#qa", "--json")) == []
    assert gto("show", "m#qa", "--version").stdout == ""
    assert js(gto("show", "m@v9.9.9", "--json")) == []
    assert ok(gto("show", "m@v9.9.9")).stderr == NOTHING
    # dirname artifacts: the user form only
    assert gto("show", "d/e:m@latest", "--ref").stdout == "d/e=m@v0.0.1\n"
    refused(gto("show", "d/e=m@latest"), 1, "error: Cannot find artifact 'd/e=m@latest'")
    # not a shortcut: a literal (unknown) name
    refused(gto("show", "m@v1.0", "--json"), 1, "error: Cannot find artifact 'm@v1.0'")


def test_show_name_with_column_flags(three_versions, gto):
    assert lines(gto("show", "m", "--ref")) == ["m@v1.1.0", "m@v1.0.0", "m@v0.9.0"]
    assert lines(gto("show", "m", "--version")) == ["v1.1.0", "v1.0.0", "v0.9.0"]
    assert lines(gto("show", "m", "--stage")) == ["dev", "prod", ""]
    assert lines(gto("show", "--name")) == ["d/e:m", "m"]
    refused(gto("show", "m", "--name"), 2, "error: Cannot apply --name")
    for flag in ("--version", "--stage", "--ref"):
        refused(gto("show", flag), 2, f"error: Cannot apply {flag}")


FORMATS = "error: Only one output format allowed"
FLAGS = "error: Only one output formatting flag is allowed"


@pytest.mark.parametrize("args, message", [
    (["show", "--json", "--plain"], FORMATS),
    (["show", "--json", "--name"], FORMATS),
    (["show", "--plain", "--name"], FORMATS),
    (["show", "m", "--ref", "--version"], FORMATS),
    (["show", "m", "--stage", "--json"], FORMATS),
    (["show", "m@latest", "--json", "--ref"], FORMATS),
    (["history", "--json", "--plain"], FORMATS),
    (["check-ref", "m@v1.0.0", "--json", "--event"], FLAGS),
    (["check-ref", "m@v1.0.0", "--name", "--stage"], FLAGS),
    (["check-ref", "m@v1.0.0", "--version", "--name"], FLAGS),
    (["stages", "--allowed", "--used"], "error: --allowed and --used cannot be used together"),
])
def test_conflicting_output_flags(three_versions, gto, args, message):
    refused(gto(*args), 2, message)


@pytest.mark.parametrize("args", [["show", "nope"], ["show", "nope", "--json"], ["show", "nope@latest"],
                                  ["show", "nope#prod", "--version"]])
def test_unknown_artifact(three_versions, gto, args):
    refused(gto(*args), 1, "error: Cannot find artifact 'nope'")


# -- history ------------------------------------------------------------------------------------

def test_history_newest_first_and_ascending(repo, gto):
    c1 = repo.commit("one")
    run_all(gto, ["register", "m", c1], ["assign", "m", "--stage", "prod", "--version", "v0.0.1"],
            ["register", "n", c1], ["deprecate", "n"], ["deprecate", "m", "v0.0.1", "prod"])
    events = js(gto("history", "--json"))
    assert [e["ref"] for e in events] == ["m#prod!#2", "n@deprecated", "n@v0.0.1", "m#prod#1", "m@v0.0.1"]
    assert [e["event"] for e in events] == ["unassignment", "deprecation", "registration", "assignment",
                                            "registration"]
    assert list(events[0]) == ["timestamp", "artifact", "event", "priority", "version", "stage", "commit",
                               "author", "author_email", "message", "ref"]
    assert (events[1]["version"], events[1]["stage"], events[1]["commit"]) == (None, None, c1)
    ascending = js(gto("history", "--json", "--ascending"))
    assert ascending == events[::-1]
    assert js(gto("history", "--asc", "--json")) == ascending
    assert [e["ref"] for e in js(gto("history", "m", "--json"))] == ["m#prod!#2", "m#prod#1", "m@v0.0.1"]
    table = plain_table(ok(gto("history", "--plain")).stdout)
    assert list(table[0]) == ["timestamp", "artifact", "event", "version", "stage", "commit", "ref"]
    assert table[1] == {"timestamp": "2024-01-01 00:05:00+00:00", "artifact": "n", "event": "deprecation",
                        "version": "-", "stage": "-", "commit": c1[:7], "ref": "n@deprecated"}


def test_history_in_the_same_second_goes_by_priority(repo, gto):
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    second = int(repo.tick().split()[0][1:])
    hand_tag(repo, "m@v0.9.0", second - 100, c1)
    # one second, tag names in the opposite order of the events' priorities
    hand_tag(repo, "m#zz#1", second, c2)  # assignment, 5
    hand_tag(repo, "m@v0.9.0!", second, c1)  # deregistration, 4
    hand_tag(repo, "m@v1.0.0", second, c2)  # registration, 3
    newest_first = ["m#zz#1", "m@v0.9.0!", "m@v1.0.0", "m@v0.9.0"]
    assert [e["ref"] for e in js(gto("history", "--json"))] == newest_first
    assert [e["ref"] for e in js(gto("history", "--json", "--ascending"))] == newest_first[::-1]
    assert [e["priority"] for e in js(gto("history", "--json"))] == [5, 4, 3, 3]


def test_history_of_an_unknown_artifact_is_refused_as_show_refuses_it(repo, gto):
    repo.commit("one")
    ok(gto("register", "m"))
    for args in (["history", "nope"], ["history", "nope", "--json"], ["history", "nope", "--plain"],
                 ["show", "nope"]):
        refused(gto(*args), 1, "error: Cannot find artifact 'nope'")
    assert js(gto("history", "", "--json")) == js(gto("history", "--json")), "an empty name is no name"
    assert js(gto("show", "", "--json")) == js(gto("show", "--json"))


def test_nothing_found_is_a_message_on_stderr_and_data_for_plain(repo, gto):
    repo.commit("one")
    result = ok(gto("show"))
    assert (result.stdout, result.stderr) == ("", NOTHING)
    result = ok(gto("history", "--plain"))
    assert (result.stdout, result.stderr) == (NOTHING, "")


# -- check-ref --------------------------------------------------------------------------------------

@pytest.fixture
def every_event(repo, gto):
    c1 = repo.commit("one")
    c2 = repo.commit("two")
    run_all(gto, ["register", "m", c1, "--version", "v1.0.0"],
            ["assign", "m", "--version", "v1.0.0", "--stage", "prod"],
            ["deprecate", "m", "v1.0.0", "prod"],
            ["register", "m", c2, "--version", "v2.0.0"],
            ["deprecate", "m", "v2.0.0"],
            ["register", "x", c1], ["deprecate", "x"])
    assert repo.tags() == ["m#prod!#2", "m#prod#1", "m@v1.0.0", "m@v2.0.0", "m@v2.0.0!", "x@deprecated",
                           "x@v0.0.1"]
    return c1, c2


CHECK_REF = {
    # tag: (event, version, stage, sentence)
    "m@v1.0.0": ("registration", "v1.0.0", None, 'Version "v1.0.0" of artifact "m" was registered'),
    "m@v2.0.0!": ("deregistration", "v2.0.0", None, 'Version "v2.0.0" of artifact "m" was deregistered'),
    "m#prod#1": ("assignment", "v1.0.0", "prod", 'Stage "prod" was assigned to version "v1.0.0" of artifact "m"'),
    "m#prod!#2": ("unassignment", "v1.0.0", "prod",
                  'Stage "prod" was unassigned from version "v1.0.0" of artifact "m"'),
    "x@deprecated": ("deprecation", None, None, 'Artifact "x" was deprecated'),
}


@pytest.mark.parametrize("prefix", ["", "refs/tags/"])
def test_check_ref_on_every_event_kind(every_event, gto, prefix):
    c1, c2 = every_event
    for tag, (event, version, stage, sentence) in CHECK_REF.items():
        artifact = tag.split("@")[0].split("#")[0]
        ref = prefix + tag
        assert ok(gto("check-ref", ref)).stdout.strip() == sentence
        assert gto("check-ref", ref, "--name").stdout == f"{artifact}\n"
        assert gto("check-ref", ref, "--event").stdout == f"{event}\n"
        assert gto("check-ref", ref, "--version").stdout == (f"{version}\n" if version else ""), tag
        assert gto("check-ref", ref, "--stage").stdout == (f"{stage}\n" if stage else ""), tag
        data = js(gto("check-ref", ref, "--json"))
        keys = ["artifact", "created_at", "author", "author_email", "message", "commit_hexsha", "tag"]
        keys += ["version"] if version else []
        keys += ["stage"] if stage else []
        assert list(data) == keys + ["event"], tag
        assert (data["event"], data["tag"], data.get("version"), data.get("stage")) == (event, tag, version, stage)
        assert data["commit_hexsha"] == (c2 if tag.startswith("m@v2") else c1)
        assert (data["author"], data["author_email"]) == ("Test User", "test@example.com")


def test_check_ref_on_what_is_not_a_gto_tag_prints_nothing(every_event, repo, gto):
    c1, _ = every_event
    repo.tag("lw@v1.0.0")  # lightweight
    repo.tag("release-1", "a release")
    for ref in ["HEAD", "main", "refs/heads/main", "m@v9.9.9", "lw@v1.0.0", "refs/tags/lw@v1.0.0", "release-1",
                "refs/tags/release-1", "nonsense", "m", "m@latest", c1, c1[:7], "refs/tags/m@v9.9.9"]:
        assert ok(gto("check-ref", ref)).stdout == "", ref
        assert ok(gto("check-ref", ref, "--json")).stdout == "", ref


# -- stages --------------------------------------------------------------------------------------------

def test_stages_in_use(repo, gto):
    repo.commit("one")
    assert lines(gto("stages")) == []
    assert js(gto("stages", "--json")) == []
    run_all(gto, ["register", "m"], ["assign", "m", "--version", "v0.0.1", "--stage", "staging"],
            ["assign", "m", "--version", "v0.0.1", "--stage", "prod"],
            ["assign", "m", "--version", "v0.0.1", "--stage", "dev"])
    assert lines(gto("stages")) == ["dev", "prod", "staging"]
    assert lines(gto("stages", "--used")) == ["dev", "prod", "staging"]
    assert js(gto("stages", "--json")) == ["dev", "prod", "staging"]
    assert lines(gto("stages", "--allowed")) == []
    assert ok(gto("stages", "--allowed", "--json")).stdout.strip() == "null"
    ok(gto("deprecate", "m", "v0.0.1", "staging"))
    assert lines(gto("stages", "--used")) == ["dev", "prod"], "a stage nobody is in any more is gone"


def test_stages_from_dot_gto(repo, gto):
    repo.commit("one")
    run_all(gto, ["register", "m"], ["assign", "m", "--version", "v0.0.1", "--stage", "staging"])
    (repo.path / ".gto").write_text("stages: [prod, dev, qa]\n")  # the working tree's file counts
    run_all(gto, ["assign", "m", "--version", "v0.0.1", "--stage", "prod"],
            ["assign", "m", "--version", "v0.0.1", "--stage", "dev"])
    assert lines(gto("stages")) == ["prod", "dev", "qa"]
    assert lines(gto("stages", "--allowed")) == ["prod", "dev", "qa"]
    assert js(gto("stages", "--allowed", "--json")) == ["prod", "dev", "qa"]
    assert lines(gto("stages", "--used")) == ["dev", "prod", "staging"]
    shown = js(gto("show", "--json"))
    assert list(shown["m"]["stage"]) == ["prod", "dev", "qa"], "config order; other stages are not columns"
    assert shown["m"]["stage"] == {"prod": "v0.0.1", "dev": "v0.0.1", "qa": None}
    header = ok(gto("show", "--plain")).stdout.splitlines()[0].split()
    assert header == ["name", "latest", "#prod", "#dev", "#qa"]
    before = repo.tags()
    refused(gto("assign", "m", "--version", "v0.0.1", "--stage", "staging", "--force"), 1,
            "error: Stage 'staging' is not allowed: allowed stages are ['prod', 'dev', 'qa'] (.gto)", repo, before)
    (repo.path / ".gto").write_text("stages: []\n")
    assert js(gto("stages", "--json")) == []
    assert js(gto("stages", "--allowed", "--json")) == []
    assert js(gto("stages", "--used", "--json")) == ["dev", "prod", "staging"]
    assert js(gto("show", "--json"))["m"]["stage"] == {}


def test_gto_stages_environment_variable(repo, gto, monkeypatch):
    repo.commit("one")
    monkeypatch.setenv("GTO_STAGES", '["a", "b"]')
    assert lines(gto("stages")) == ["a", "b"]
    assert js(gto("stages", "--allowed", "--json")) == ["a", "b"]
    (repo.path / ".gto").write_text("stages: [x]\n")
    assert lines(gto("stages")) == ["a", "b"], "the environment wins over .gto"
    refused(gto("assign", "m", "--stage", "x"), 1, "error: Stage 'x' is not allowed: allowed stages are ['a', 'b']",
            repo, [])
    ok(gto("assign", "m", "--stage", "b"))
    assert js(gto("show", "--json"))["m"]["stage"] == {"a": None, "b": "v0.0.1"}
    monkeypatch.setenv("GTO_STAGES", "not json")
    refused(gto("stages"), 1, "error: GTO_STAGES: expected a JSON list, got 'not json'")


@pytest.mark.parametrize("content", [
    "foo: bar\n",  # unknown key
    'stages: ["bad stage"]\n',  # not a name
    "stages: [unclosed\n",  # not YAML
    "stages: dev\n",  # not a list
    "- a\n",  # not a mapping
    "stages: [dev, _x]\n",
])
@pytest.mark.parametrize("command", [["show", "--json"], ["stages"], ["history"]])
def test_bad_dot_gto_is_one_line_naming_the_file(repo, gto, content, command):
    repo.commit("one")
    (repo.path / ".gto").write_text(content)
    line = refused(gto(*command), 1, "error: Wrong config file")
    assert str(repo.path / ".gto") in line


def test_dot_gto_keys_are_case_insensitive(repo, gto):
    repo.commit("one")
    (repo.path / ".gto").write_text("STAGES: [prod]\nIndex: artifacts.yaml\n")
    assert lines(gto("stages")) == ["prod"]


# -- where the repository is ----------------------------------------------------------------------------

NOT_A_REPOSITORY = "fatal: not a git repository (or any of the parent directories): .git"


@pytest.mark.parametrize("args", [["show"], ["show", "--json"], ["history"], ["stages"], ["check-ref", "m@v1.0.0"],
                                  ["show", "m"]])
def test_outside_a_repository(gto, tmp_path, monkeypatch, args):
    outside = tmp_path / "nowhere"
    outside.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    refused(gto(*args, cwd=outside), 128, NOT_A_REPOSITORY)


def test_repo_option_pointing_outside_a_repository(gto, tmp_path, monkeypatch):
    outside = tmp_path / "nowhere"
    outside.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    refused(gto("show", "-r", str(outside)), 128, NOT_A_REPOSITORY)


def test_empty_repository_reads_nothing(repo, gto):
    (repo.path / "artifacts.yaml").write_text("b:\n  type: model\n")
    (repo.path / ".gto").write_text("stages: [dev]\n")
    assert js(gto("show", "--json")) == {}
    assert gto("show").stderr == NOTHING
    assert gto("show", "--plain").stdout == NOTHING
    assert gto("show", "--name").stdout == ""
    assert js(gto("history", "--json")) == []
    assert ok(gto("history")).stderr == NOTHING
    assert lines(gto("stages", "--used")) == []
    assert lines(gto("stages")) == ["dev"]
    assert ok(gto("check-ref", "HEAD")).stdout == ""
    assert ok(gto("check-ref", "m@v1.0.0")).stdout == ""
    refused(gto("show", "m"), 1, "error: Cannot find artifact 'm'")


def test_from_a_subdirectory_and_with_repo_option(repo, gto, tmp_path):
    repo.commit("one", {"sub/dir/file.txt": "x", "artifacts.yaml": "u:\n  type: model\n"})
    (repo.path / ".gto").write_text("stages: [prod, dev]\n")
    run_all(gto, ["register", "m"], ["assign", "m", "--version", "v0.0.1", "--stage", "prod"])
    sub = repo.path / "sub" / "dir"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in (["show", "--json"], ["history", "--json"], ["show", "m", "--json"], ["stages", "--json"],
                 ["check-ref", "m#prod#1", "--json"]):
        expected = js(gto(*args))
        assert js(gto(*args, cwd=sub)) == expected, args
        assert js(gto(args[0], "-r", str(repo.path), *args[1:], cwd=elsewhere)) == expected, args
        assert js(gto(args[0], "--repo", str(sub), *args[1:], cwd=elsewhere)) == expected, args
    assert js(gto("stages", "--json", cwd=sub)) == ["prod", "dev"], ".gto is read at the top of the work tree"
    assert js(gto("show", "-r", "sub/dir", "--json")) == js(gto("show", "--json"))
    assert js(gto("show", "--json", cwd=sub))["u"]["registered"] is False


# -- tables -----------------------------------------------------------------------------------------

def test_plain_tables(three_versions, gto, repo):
    extra = repo.commit("unregistered")
    ok(gto("assign", "other", extra, "--stage", "dev", "--skip-registration"))
    table = plain_table(ok(gto("show", "--plain")).stdout)
    assert table == [
        {"name": "d/e:m", "latest": "v0.0.1", "#dev": "-", "#prod": "-"},
        {"name": "m", "latest": "v1.1.0", "#dev": "v1.1.0", "#prod": "v1.0.0"},
        {"name": "other", "latest": "-", "#dev": extra[:7], "#prod": "-"},
    ]
    rows = plain_table(ok(gto("show", "m", "--plain")).stdout)
    assert [list(r) for r in rows][0] == ["artifact", "version", "stage", "created_at", "ref"]
    assert [(r["artifact"], r["version"], r["stage"], r["ref"]) for r in rows] == [
        ("m", "v1.1.0", "dev", "m@v1.1.0"), ("m", "v1.0.0", "prod", "m@v1.0.0"), ("m", "v0.9.0", "", "m@v0.9.0")]
    assert all(re.fullmatch(r"2024-01-01 \d\d:\d\d:00\+00:00", r["created_at"]) for r in rows)
    rows = plain_table(ok(gto("show", "other", "--plain")).stdout)
    assert [(r["version"], r["stage"], r["ref"]) for r in rows] == [(extra[:7], "dev", "other#dev#1")]
    # the fancy table has the same cells, in a box
    fancy = ok(gto("show", "m")).stdout.splitlines()
    assert fancy[0].startswith("╒") and fancy[-1].startswith("╘") and fancy[2].startswith("╞")
    assert [c.strip() for c in fancy[3].strip("│").split("│")][:3] == ["m", "v1.1.0", "dev"]


def digits_only_commit(repo) -> str:
    """A commit whose 7-character short id is all digits (about 1 in 27 is)."""
    tree = repo.git("rev-parse", "HEAD^{tree}")
    for attempt in range(5000):
        sha = repo.git("commit-tree", tree, "-p", "HEAD", "-m", f"digits {attempt}")
        if sha[:7].isdigit():
            return sha
    raise AssertionError("no digit-only short id found")


def test_tables_truncate_only_commit_ids(repo, gto):
    """Deliberate difference: gto cuts every latest/stage cell to 7 characters
    (`v10.20.30-rc.1` -> `v10.20.`) and lets its table library turn digit-only short ids
    into numbers; we shorten commit ids only, and print them as they are."""
    repo.commit("one")
    digits = digits_only_commit(repo)
    run_all(gto, ["register", "m", "HEAD", "--version", "v10.20.30-rc.1"],
            ["assign", "m", "--version", "v10.20.30-rc.1", "--stage", "prod"],
            ["assign", "o", digits, "--stage", "dev", "--sr"])
    table = plain_table(ok(gto("show", "--plain")).stdout)
    assert table == [{"name": "m", "latest": "v10.20.30-rc.1", "#dev": "-", "#prod": "v10.20.30-rc.1"},
                     {"name": "o", "latest": "-", "#dev": digits[:7], "#prod": "-"}]
    assert [r["version"] for r in plain_table(ok(gto("show", "o", "--plain")).stdout)] == [digits[:7]]
    assert digits[:7] in ok(gto("show", "o")).stdout
    history = plain_table(ok(gto("history", "o", "--plain")).stdout)
    assert [(r["version"], r["commit"]) for r in history] == [(digits[:7], digits[:7])]
    assert gto("show", "o", "--version").stdout == f"{digits[:7]}\n"


def test_hand_made_ambiguous_versions_can_be_read(repo, gto, ambiguous_versions):
    """Deliberate difference: two versions on one commit, or one version on two commits,
    make gto fail every command; reads work here and `doctor` names the problem."""
    c1, c2 = ambiguous_versions
    shown = js(gto("show", "--json"))
    assert (shown["m"]["version"], shown["n"]["version"]) == ("v2.0.0", "v1.0.0")
    assert row_versions(js(gto("show", "m", "--json"))) == ["v2.0.0", "v1.0.0"]
    assert sorted(r["commit_hexsha"] for r in js(gto("show", "n", "--json"))) == sorted([c1, c2])
    assert len(js(gto("history", "--json"))) == 4
    assert gto("check-ref", "n@v1.0.0#2", "--version").stdout == "v1.0.0\n"
    for args in (["show"], ["show", "m"], ["show", "n"], ["history"], ["stages"]):
        ok(gto(*args))
    doctor = gto("doctor")
    assert doctor.exit_code == 1
    assert "v1.0.0, v2.0.0" in doctor.stdout and "n: version v1.0.0" in doctor.stdout


# -- --skip-registration: one row per commit (deliberate difference from gto 1.10.1) ---------------------

def test_skip_registration_version_appears_once(repo, gto):
    """gto 1.10.1 shows 2 (then 4, ...) rows for one unregistered commit (spec §4.2,
    "duplicate-version quirk"); git-gto shows one."""
    repo.commit("one")
    commit = repo.commit("two")
    run_all(gto, ["register", "m", "HEAD~1"], ["assign", "m", commit, "--stage", "dev", "--skip-registration"],
            ["assign", "m", commit, "--stage", "prod", "--sr"])
    rows = js(gto("show", "m", "--json"))
    assert row_versions(rows) == ["v0.0.1", commit]
    unregistered = rows[1]
    assert (unregistered["commit_hexsha"], unregistered["discovered"], unregistered["registrations"]) == (
        commit, True, [])
    assert sorted(s["stage"] for s in unregistered["stages"]) == ["dev", "prod"]
    assert unregistered["ref"] == "m#prod#2"
    assert [r["version"] for r in plain_table(ok(gto("show", "m", "--plain")).stdout)] == ["v0.0.1", commit[:7]]
    assert js(gto("show", "--json"))["m"]["stage"] == {"dev": commit, "prod": commit}
    assert [e["version"] for e in js(gto("history", "m", "--json"))] == [commit, commit, "v0.0.1"]


def test_doctor_reports_a_misspelt_tag_of_a_known_artifact(repo, gto):
    repo.commit("one")
    ok(gto("register", "churn"))
    repo.tag("release@2024", "unrelated, and no artifact 'release'")
    ok(gto("doctor"))
    repo.tag("churn@3.2.0", "meant as a version")
    result = gto("doctor")
    assert result.exit_code == 1
    assert "churn@3.2.0" in result.stdout and "release@2024" not in result.stdout
