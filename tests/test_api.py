"""`git_gto.api`: plain data with attribute access, the project's errors (never SystemExit,
never output), a cheap import, and the same layer as the CLI."""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
from pathlib import Path

import pytest

from git_gto import api
from git_gto.errors import GtoError, NotARepository, UsageError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def registry(repo):
    repo.commit("c1")
    repo.tag("churn@v1.0.0", "r")
    repo.tag("churn#prod#1", "a")
    return repo


def test_records_read_as_dicts_and_attributes(registry):
    latest = api.find_latest_version(str(registry.path), "churn")
    assert latest["version"] == latest.version == "v1.0.0"
    assert latest.stages[0].stage == "prod"
    assert json.loads(json.dumps(latest)) == latest
    with pytest.raises(AttributeError):
        latest.nothing


def test_results_match_the_cli_json(registry, gto):
    path = str(registry.path)
    assert api.show(path) == json.loads(gto("show", "--json").stdout)
    assert api.show(path, "churn") == json.loads(gto("show", "churn", "--json").stdout)
    assert api.history(path) == json.loads(gto("history", "--json").stdout)
    cli = json.loads(gto("check-ref", "churn#prod#1", "--json").stdout)
    event = api.check_ref(path, "churn#prod#1")[0]
    assert {k: v for k, v in event.items() if k not in ("priority", "addition")} == cli
    assert api.get_stages(path) == ["prod"]


def test_writes_return_the_event_and_print_nothing(registry, capfd):
    path = str(registry.path)
    registry.commit("c2")
    event = api.register(path, "churn", "HEAD", bump_minor=True, author="Eve", author_email="eve@example.com")
    assert (event.event, event.tag, event.version, event.author, event.author_email) == (
        "registration", "churn@v1.1.0", "v1.1.0", "Eve", "eve@example.com")
    assert registry.git("for-each-ref", "--format=%(taggername)", "refs/tags/churn@v1.1.0") == "Eve"
    assigned = api.assign(path, "churn", "dev", version="v1.1.0")
    assert (assigned.event, assigned.stage, assigned.tag) == ("assignment", "dev", "churn#dev#2")
    assert api.unassign(path, "churn", ref="HEAD", stage="dev").tag == "churn#dev!#3"
    assert api.deregister(path, "churn", version="v1.0.0", delete=True) is None
    assert capfd.readouterr() == ("", "")


def test_an_author_is_the_tagger_without_touching_the_callers_environment(tmp_path, monkeypatch):
    """`author=` reaches `git var` only: the caller's os.environ never holds it (not even
    while the call runs), and two threads writing as two authors each get their own."""
    import os
    import threading

    from conftest import Repo

    monkeypatch.setenv("GIT_COMMITTER_NAME", "Caller")  # what the caller's own git commands use
    repos = []
    for name in ("one", "two"):
        path = tmp_path / name
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
        repo = Repo(path)
        repo.commit("c1")
        repos.append(repo)
    before = dict(os.environ)
    seen, done = set(), threading.Event()

    def watch() -> None:  # what the caller's other threads see of the environment meanwhile
        while not done.is_set():
            seen.add((os.environ.get("GIT_COMMITTER_NAME"), os.environ.get("GIT_COMMITTER_EMAIL")))

    def write(repo: Repo, author: str) -> None:
        for i in range(4):
            api.register(str(repo.path), f"m{i}", "HEAD", author=author, author_email=f"{author.lower()}@example.com")

    watcher = threading.Thread(target=watch)
    writers = [threading.Thread(target=write, args=(repo, author)) for repo, author in zip(repos, ("Eve", "Bob"))]
    watcher.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    watcher.join()
    assert seen == {("Caller", None)}
    assert dict(os.environ) == before
    for repo, author in zip(repos, ("Eve", "Bob")):
        taggers = repo.git("for-each-ref", "--format=%(taggername) %(taggeremail)", "refs/tags").splitlines()
        assert taggers == [f"{author} <{author.lower()}@example.com>"] * 4


@pytest.mark.parametrize("call, error, message", [
    (lambda p: api.register(p, "churn", "HEAD"), GtoError, "is already registered in this commit"),
    (lambda p: api.assign(p, "churn", "dev"), UsageError, r"One and only one of \(version, ref\)"),
    (lambda p: api.find_latest_version(p, "nope"), GtoError, "Cannot find artifact 'nope'"),
    (lambda p: api.show(p, "churn", versions_per_stage=-2),
     UsageError, "'--versions-per-stage' must be >= -1"),
    (lambda p: api.versions_containing(p, "HEAD~9"), GtoError, "unknown revision 'HEAD~9'"),
    (lambda p: api.parse_tag("no tag"), GtoError, "Cannot parse tag name 'no tag'"),
])
def test_refusals_are_the_projects_errors(registry, capfd, call, error, message):
    with pytest.raises(error, match=message):
        call(str(registry.path))
    assert capfd.readouterr() == ("", "")


def test_outside_a_repository(tmp_path):
    with pytest.raises(NotARepository):
        api.show(str(tmp_path))


def test_a_url_is_cloned_and_changes_are_pushed(registry, tmp_path):
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(registry.path), str(bare)], check=True)
    url = bare.as_uri()
    assert api.show(url)["churn"]["version"] == "v1.0.0"
    assert api.assign(url, "churn", "dev", version="v1.0.0").tag == "churn#dev#2"
    tags = subprocess.run(["git", "tag"], cwd=bare, stdout=subprocess.PIPE, text=True).stdout.split()
    assert "churn#dev#2" in tags


def test_annotate_and_describe(registry):
    path = str(registry.path)
    entry = api.annotate(path, "churn", type="model", path="models/churn.pkl", labels=["a"])
    assert (entry.type, entry.path, entry.labels, entry.virtual) == ("model", "models/churn.pkl", ["a"], True)
    assert api.describe(path, "churn") == entry
    api.remove(path, "churn")
    assert api.describe(path, "churn") is None


def test_import_is_cheap_and_typed():
    probe = "import sys, git_gto.api; print(sorted(m for m in ('click', 'dulwich', 'yaml', 'tabulate') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    assert out.stdout.strip() == "[]"
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "py.typed" in cfg["options.package_data"]["git_gto"]
    assert (ROOT / "git_gto" / "py.typed").is_file()


def test_positional_arguments_mean_what_they_mean_in_gto_1_10(registry):
    """gto 1.10: show(repo, name, truncate_hexsha, registered_only, ...) and history(repo,
    artifact, ascending, table, truncate_hexsha); git-gto's own options are keyword-only."""
    repo = str(registry.path)
    assert api.show(repo, None, True) == api.show(repo, truncate_hexsha=True)
    assert api.history(repo, None, True) == api.history(repo, ascending=True)
    with pytest.raises(TypeError):
        api.show(repo, None, False, False, False, -1, 1, "timestamp", False, True)  # all_branches
