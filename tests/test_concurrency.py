"""Concurrent writers: a tag is never overwritten, a lost race is an ordinary refusal.

Processes are real `git gto` runs through git, released together from a start line; the
check-then-write window is also reproduced deterministically with two workspaces.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import List, Tuple

import pytest

from conftest import Result, ok, refused
from git_gto import changes, publish
from git_gto.workspace import Workspace
from git_gto.errors import GtoError, TagExists
from git_gto.git.repo import GitRepo, NewTag



def run_together(repo, tmp_path: Path, commands: List[List[str]]) -> List[Tuple[int, str, str]]:
    """Start every `git gto ...` command, release them at once, return (status, out, err)."""
    go = tmp_path / f"go-{time.monotonic_ns()}"
    procs = []
    for args in commands:
        script = 'while [ ! -e "$GO" ]; do :; done; exec git gto "$@"'
        procs.append(subprocess.Popen(
            ["sh", "-c", script, "sh", *args], cwd=repo.path, env={**os.environ, "GO": str(go)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    time.sleep(0.05)
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        results.append((p.returncode, out, err))
    return results


def assert_lost_race(status: int, out: str, err: str, *messages: str) -> None:
    """A lost race is an ordinary refusal, with one of the `messages` (which one depends on
    when the loser looked: before the winner wrote, or after)."""
    message = next((m for m in messages if m in err), messages[0])
    refused(Result(status, out, err), 1, message)


@pytest.mark.parametrize("writers", [2, 4])
def test_racing_registrations_of_one_version(repo, tmp_path, writers):
    commits = [repo.commit(f"c{i}") for i in range(writers)]
    repo.tick()
    for round_ in range(3):
        name = f"m{round_}"
        results = run_together(repo, tmp_path, [["register", name, "--version", "v1.0.0", c] for c in commits])
        winners = [i for i, (status, _, _) in enumerate(results) if status == 0]
        assert len(winners) == 1, results
        tag = f"{name}@v1.0.0"
        for i, (status, out, err) in enumerate(results):
            if i != winners[0]:
                assert_lost_race(status, out, err, f"error: tag '{tag}' already exists",
                                 "error: Version 'v1.0.0' already was registered")
        assert f"Created git tag '{tag}'" in results[winners[0]][2]
        assert [t for t in repo.tags() if t.startswith(name + "@")] == [tag]
        assert repo.git("cat-file", "-t", f"refs/tags/{tag}") == "tag"
        assert repo.git("rev-parse", f"{tag}^{{commit}}") == commits[winners[0]]
    repo.fsck()


def test_racing_automatic_versions_never_share_a_tag(repo, tmp_path):
    """Two `register m` on two commits: one may lose, or both win with two versions; no tag
    is ever written twice."""
    commits = [repo.commit("a"), repo.commit("b")]
    repo.tick()
    results = run_together(repo, tmp_path, [["register", "m", c] for c in commits])
    created = {}
    for (status, out, err), commit in zip(results, commits):
        if status == 0:
            tag = err.split("'")[1]
            assert tag not in created
            created[tag] = commit
        else:
            assert_lost_race(status, out, err, "error: tag 'm@v0.0.1' already exists")
    assert created
    assert sorted(repo.tags()) == sorted(created)
    for tag, commit in created.items():
        assert repo.git("rev-parse", f"{tag}^{{commit}}") == commit
    repo.fsck()


def test_racing_forced_assignments_keep_every_tag(repo, tmp_path, gto):
    commit = repo.commit("a")
    ok(gto("register", "m"))
    results = run_together(repo, tmp_path, [["assign", "m", "--stage", "prod", "--force"]] * 4)
    created = []
    for status, out, err in results:
        if status == 0:
            created.append(err.split("'")[1])
        else:
            assert_lost_race(status, out, err, *(f"error: tag 'm#prod#{n}' already exists" for n in range(1, 5)))
    assert len(created) == len(set(created)) >= 1
    assert sorted(repo.tags()) == sorted(created + ["m@v0.0.1"])
    for tag in created:
        assert repo.git("rev-parse", f"{tag}^{{commit}}") == commit
        assert repo.git("cat-file", "-t", f"refs/tags/{tag}") == "tag"
    repo.fsck()


def test_a_second_writer_plans_after_the_first_wrote(repo):
    """Planning takes the repository's writer lock: a second workspace planning while the
    first holds it waits, then plans from what the first wrote (an ordinary refusal)."""
    import threading

    c1 = repo.commit("a")
    c2 = repo.commit("b")
    repo.tick()
    first = Workspace(str(repo.path))
    change1 = changes.plan_register(first, "m", c1, version="v1.0.0")
    outcome: List[BaseException] = []

    def second_writer() -> None:
        with Workspace(str(repo.path)) as second:
            try:
                changes.plan_register(second, "m", c2, version="v1.0.0")
            except GtoError as e:
                outcome.append(e)

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()  # waiting for the lock
    publish.apply(first, change1, push=False)
    sha = repo.git("rev-parse", "refs/tags/m@v1.0.0")
    first.close()
    thread.join(10)
    assert [str(e) for e in outcome] == ["Version 'v1.0.0' already was registered."]
    assert repo.tags() == ["m@v1.0.0"]
    assert repo.git("rev-parse", "refs/tags/m@v1.0.0") == sha
    assert repo.git("rev-parse", "m@v1.0.0^{commit}") == c1
    repo.fsck()


def test_lost_race_on_a_two_tag_assignment(repo):
    """assign on an unregistered commit plans two tags; if another writer took the
    registration tag meanwhile, neither tag is written."""
    repo.commit("a")
    c2 = repo.commit("b")
    repo.tick()
    mine = Workspace(str(repo.path))
    change = changes.plan_assign(mine, "m", "prod")
    assert [c.tag for c in change.created] == ["m@v0.0.1", "m#prod#1"]
    repo.git("tag", "-a", "m@v0.0.1", "-m", "theirs", "HEAD~1")
    with pytest.raises(GtoError, match="already exists"):
        publish.apply(mine, change, push=False)
    assert repo.tags() == ["m@v0.0.1"]
    assert repo.git("rev-parse", "m@v0.0.1^{commit}") != c2


def hold_ref_lock(repo, tag: str) -> Path:
    """Another writer holds `refs/tags/TAG.lock`, as git does while it writes the ref."""
    lock = repo.path / ".git" / "refs" / "tags" / f"{tag}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    return lock


def assert_locked_out(repo, result, tag: str) -> None:
    """A registry refusal naming the tag, on one line, not an unexpected error; no tag."""
    lock = repo.path / ".git" / "refs" / "tags" / f"{tag}.lock"
    refused(result, 1, f"error: cannot lock tag '{tag}': '{lock}' exists; another git process is writing it, "
            "or one was killed: if no git is running, remove that file (nothing was changed)", repo, [])


def test_ref_locked_by_another_writer(repo, gto):
    """A ref being written by another process: refused, nothing written, the lock left alone."""
    repo.commit("a")
    lock = hold_ref_lock(repo, "m@v1.0.0")
    assert_locked_out(repo, gto("register", "m", "--version", "v1.0.0"), "m@v1.0.0")
    assert lock.exists()


def test_locked_second_tag_rolls_back_the_first(repo, gto):
    """assign on an unregistered commit writes two tags; when the stage tag's ref is locked by
    another writer, the registration tag must not stay behind."""
    repo.commit("a")
    hold_ref_lock(repo, "m#prod#1")
    assert_locked_out(repo, gto("assign", "m", "--stage", "prod"), "m#prod#1")
    repo.fsck()


def test_tag_object_locked_by_another_writer(repo, gto):
    """Two writers racing with identical tags (same name, commit, tagger, second and message)
    write the same loose object at once. A writer finding that object's lock taken must not
    crash with an unexpected error: it either completes or refuses in one line, writing no
    ref."""
    import hashlib

    commit = repo.commit("a")
    repo.tick()
    body = (f"object {commit}\ntype commit\ntag m@v1.0.0\n"
            f"tagger Test User <test@example.com> {repo.clock} +0000\n\n"
            "Registering artifact m version v1.0.0\n").encode()
    sha = hashlib.sha1(b"tag %d\0" % len(body) + body).hexdigest()
    lock = repo.path / ".git" / "objects" / sha[:2] / f"{sha[2:]}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    result = gto("register", "m", "--version", "v1.0.0", tick=False)
    if result.exit_code == 0:
        ok(result)
        assert repo.git("rev-parse", "refs/tags/m@v1.0.0") == sha
        repo.fsck()
    else:
        refused(result, 1, f"error: object {sha} is locked by another process (a stale .lock file?)", repo, [])


# -- GitRepo.create_tags: all or nothing -----------------------------------------------------


def new_tags(repo, *names: str) -> List[NewTag]:
    head = repo.git("rev-parse", "HEAD")
    return [NewTag(n, head, f"message of {n}") for n in names]


def test_create_tags_creates_all(repo):
    repo.commit("a")
    GitRepo.discover(str(repo.path)).create_tags(new_tags(repo, "a@v1.0.0", "a#prod#1"))
    assert repo.tags() == ["a#prod#1", "a@v1.0.0"]
    for t in repo.tags():
        assert repo.git("cat-file", "-t", f"refs/tags/{t}") == "tag"
    repo.fsck()


@pytest.mark.parametrize("existing", [0, 1])
@pytest.mark.parametrize("kind", ["annotated", "lightweight", "packed"])
def test_create_tags_none_if_one_exists(repo, existing, kind):
    repo.commit("a")
    names = ["a@v1.0.0", "a#prod#1"]
    repo.tag(names[existing], message=None if kind != "annotated" else "already here")
    if kind == "packed":
        repo.git("pack-refs", "--all")
    sha = repo.git("rev-parse", f"refs/tags/{names[existing]}")
    with pytest.raises(TagExists, match=f"tag '{names[existing]}' already exists"):
        GitRepo.discover(str(repo.path)).create_tags(new_tags(repo, *names))
    assert repo.tags() == [names[existing]]
    assert repo.git("rev-parse", f"refs/tags/{names[existing]}") == sha
    repo.fsck()


def test_create_tags_same_name_twice_creates_none(repo):
    repo.commit("a")
    with pytest.raises(TagExists):
        GitRepo.discover(str(repo.path)).create_tags(new_tags(repo, "a@v1.0.0", "a@v1.0.0"))
    assert repo.tags() == []


def test_create_tags_invalid_second_name_creates_none(repo):
    repo.commit("a")
    with pytest.raises(GtoError, match="not a valid Git tag name"):
        GitRepo.discover(str(repo.path)).create_tags(new_tags(repo, "a@v1.0.0", "a..b@v1.0.0"))
    assert repo.tags() == []
    repo.fsck()
