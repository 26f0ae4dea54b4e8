"""Replay gto's recorded behaviour (tests/gto_recorded/, recorded by tests/record_gto.py from
gto 1.10.1 and 0.2.8) with `git gto`, and compare.

Rules, for each gto step:
- the exit code is equal;
- stdout is equal, exactly (tables, --plain, --json, single values alike), except for
  gto's *messages*: the lines of MESSAGE_LINES (what a write command says it did: the tags
  created or deleted, the `git push` to run, the push or commit it ran, the updated file). git-gto prints those on stderr (README, "Differences from gto":
  messages go to stderr), so they are taken out of the expected stdout and must appear,
  in the same order and word for word, among git-gto's stderr lines;
- stderr: when gto's was empty and it printed no message, git-gto's must be empty; when
  gto's was not empty (an error, a warning), git-gto's must not be empty either. Error
  wording is not compared (git-gto says `error: ...`, gto its own words);
- the tags the step added or removed are equal: name, type, target, tagger, date and
  message subject, and the tag object's id, so the tag bytes are identical.
A git step with "observe" and a "read" step compare stdout (a read step as YAML data:
gto and git-gto write YAML with different libraries).

The push hint ("To push the changes upstream, run:" and the `git push` lines) is expected
only in a repository with a remote: git-gto names the remote git would push to and says
nothing when there is none (README, "Differences from gto").

A step marked "differs": "reason" must NOT match under these rules: the mark records a
deliberate difference of the README (or an undocumented one, "undocumented: ...", for the
lead to decide), and the test fails when it no longer holds, so the mark cannot go stale.
"""

from __future__ import annotations

import difflib
import os
import re

import pytest
import yaml

import gto_scenarios as gs

MESSAGE_LINES = re.compile(
    r"Created git tag '[^']+' that .+"
    r"|Deleted git tag '[^']+'"
    r"|To push the changes upstream, run:"
    r"|    git push (--delete )?origin \S+"
    r"|Running `git push (--delete )?origin \S+`"
    r"|Successfully (pushed|deleted) git tag \S+ on remote\."
    r"|Updated `artifacts\.yaml`"
    r"|Running `git commit`"
)
PUSH_HINT = re.compile(r"To push the changes upstream, run:|    git push (--delete )?origin \S+")
WRITE_COMMANDS = {"register", "assign", "promote", "deprecate", "annotate", "remove"}

PATHS = gs.scenario_paths()


def split_messages(stdout: str):
    data, messages = [], []
    for line in stdout.splitlines(keepends=True):
        (messages if MESSAGE_LINES.fullmatch(line.rstrip("\n")) else data).append(line)
    return "".join(data), [m.rstrip("\n") for m in messages]


def in_order(needles, haystack) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


def diff(expected: str, actual: str) -> str:
    return "".join(difflib.unified_diff(
        expected.splitlines(True), actual.splitlines(True), "gto", "git-gto", n=1)).rstrip("\n")


def yaml_data(text):
    return None if text is None else yaml.safe_load(text)


def has_remote(scenario: dict) -> bool:
    """Does any step of the scenario give its repository a remote?"""
    return any("remote" in step.get("git", []) or "clone" in step.get("git", []) for step in scenario["steps"])


def problems(step: dict, seen: dict, remote: bool = True) -> list:
    """How `git gto`'s observation of a step departs from gto's recording."""
    found = []
    if "read" in step:
        if yaml_data(step["stdout"]) != yaml_data(seen["stdout"]):
            found.append(f"{step['read']} as YAML:\n" + diff(str(step["stdout"]), str(seen["stdout"])))
        return found
    if "git" in step:
        if step["stdout"] != seen["stdout"]:
            found.append("git stdout:\n" + diff(step["stdout"], seen["stdout"]))
        return found
    if seen["exit"] != step["exit"]:
        found.append(f"exit {seen['exit']}, gto exited {step['exit']}")
    data, messages = split_messages(step["stdout"])
    if not remote:
        messages = [m for m in messages if not PUSH_HINT.fullmatch(m)]
    if seen["stdout"] != data:
        found.append("stdout:\n" + diff(data, seen["stdout"]))
    stderr = seen["stderr"]
    if messages and not in_order(messages, stderr.splitlines()):
        found.append("gto's messages are not on stderr:\n" + diff("\n".join(messages) + "\n", stderr))
    if step["stderr_empty"] and not messages and stderr.strip():
        found.append(f"stderr not empty (gto's was): {stderr.strip()[:500]}")
    if not step["stderr_empty"] and not stderr.strip():
        found.append("stderr empty (gto's was not)")
    if seen.get("tags", []) != step.get("tags", []):
        found.append("tags:\n" + diff("\n".join(step.get("tags", [])) + "\n", "\n".join(seen.get("tags", [])) + "\n"))
    return found


def test_scenarios_are_recorded():
    assert 60 <= len(PATHS) <= 150
    for path in PATHS:
        scenario = gs.load(path)
        assert scenario.get("reference", "1.10") in ("1.10", "0.2"), path.name
        assert scenario["description"], path.name
        for step in scenario["steps"]:
            if "gto" in step:
                assert {"exit", "stdout", "stderr_empty"} <= set(step), f"{path.name}: not recorded: {step}"
                if step["gto"] and step["gto"][0] in WRITE_COMMANDS:  # they print messages only
                    assert split_messages(step["stdout"])[0] == "", f"{path.name}: {step}"
            if step.get("observe") or "read" in step:
                assert "stdout" in step, f"{path.name}: not recorded: {step}"
            if "differs" in step:
                assert step["differs"].strip(), path.name


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_git_gto_behaves_as_gto_recorded(path):
    scenario = gs.load(path)
    steps = scenario["steps"]
    observed = gs.run_scenario(
        {**scenario, "steps": [gs.definition(s) for s in steps]}, ["git", "gto"],
        os.environ["PATH"], os.environ.get("PYTHONPATH"),
    )
    report = []
    for index, (step, seen) in enumerate(zip(steps, observed)):
        if not ("gto" in step or step.get("observe") or "read" in step):
            continue
        what = f"step {index} {'gto ' + ' '.join(step['gto']) if 'gto' in step else step.get('git') or step}"
        found = problems(step, seen, has_remote(scenario))
        if "differs" in step and not found:
            report.append(f"{what}: marked as differing ({step['differs']}) but now matches gto: drop the mark")
        elif found and "differs" not in step:
            report.append(f"{what}:\n  " + "\n".join(found).replace("\n", "\n  "))
    assert not report, f"{path.stem}: {scenario['description']}\n" + "\n".join(report)
