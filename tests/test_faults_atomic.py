"""All or nothing under `kill -9`, stale locks, racing writers and other machines' clocks.

Real `git gto` processes are killed with SIGKILL at random moments of multi-tag writes; the
repository must then hold all of the change or none of it, and the next identical command
must work (completing the change, or refusing it as already made), with nothing left behind.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

from conftest import ROOT, ok, refused
from git_gto.git.repo import GitRepo

LEFTOVERS = ("*.lock", "tmp_obj_*", "packed-refs.*.new", "write.lock.*")


def leftovers(repo) -> List[str]:
    """Lock and temporary files anywhere in the git directory."""
    git_dir = repo.path / ".git"
    return sorted(str(p.relative_to(git_dir)) for pattern in LEFTOVERS for p in git_dir.rglob(pattern))


def run(repo, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "gto", *args], cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60)


def kill_during(repo, args: List[str], delay: float) -> int:
    """Start `git gto ARGS`, SIGKILL it (git and the git-gto it runs: the process group)
    after `delay` seconds; its exit status (-9 if killed)."""
    proc = subprocess.Popen(["git", "gto", *args], cwd=repo.path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    status = proc.wait(timeout=30)
    while True:  # until no process of the group is left
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return status
        time.sleep(0.005)


def duration(repo, args: List[str], undo) -> float:
    """How long the command takes here (to aim the kills at its whole run)."""
    start = time.monotonic()
    ok(run(repo, *args))
    took = time.monotonic() - start
    undo()
    return took


def test_kill_9_during_a_delete_of_many_tags(repo):
    """`deprecate big --delete` of 81 tags, loose and packed: killed anywhere, all 81 tags
    are there or none, and the next command finishes the job."""
    repo.commit("one")
    for i in range(40):
        repo.git("tag", "-a", "-m", f"v{i}", f"big@v0.0.{i}")
        repo.git("tag", "-a", "-m", f"p{i}", f"big#prod#{i + 1}")
    repo.git("pack-refs", "--all")
    for i in range(40, 41):  # and some loose ones
        repo.git("tag", "-a", "-m", f"v{i}", f"big@v0.0.{i}")
    repo.git("tag", "other@v1.0.0")
    full = repo.tags()
    bundle = repo.path.parent / "big.bundle"
    args = ["deprecate", "big", "--delete"]

    def restore() -> None:
        repo.git("tag", "-d", *[t for t in repo.tags() if t.startswith("big")])
        repo.git("fetch", "-q", str(bundle), "refs/tags/*:refs/tags/*")

    repo.git("bundle", "create", "-q", str(bundle), "--tags")
    took = duration(repo, args, restore)
    assert repo.tags() == full
    rng = random.Random(13)
    outcomes = {"before": 0, "after": 0}
    deadline = time.monotonic() + 25
    rounds = 0
    while rounds < 30 and time.monotonic() < deadline:
        rounds += 1
        kill_during(repo, args, rng.uniform(0, took * 1.3))
        tags = repo.tags()
        assert tags in (full, ["other@v1.0.0"]), f"partial state after a kill: {len(tags)} tags"
        if tags == full:
            outcomes["before"] += 1
            ok(run(repo, *args))  # the same command again works, whatever was left
        else:
            outcomes["after"] += 1
            refused(run(repo, *args), 1, "Cannot find artifact 'big'")
        assert repo.tags() == ["other@v1.0.0"]
        assert leftovers(repo) == []
        repo.fsck()
        restore()
    assert outcomes["before"], outcomes  # some kills landed while it ran


def test_kill_9_during_an_assignment_that_registers(repo):
    """`assign m HEAD --stage prod` on a new commit writes two tags: killed anywhere, both or
    neither are there, and the same command again completes or refuses as already done."""
    repo.commit("zero")
    for i in range(30):  # a registry to read, so the write is not all of the run
        repo.git("tag", "-a", "-m", f"x{i}", f"x{i}@v0.0.1")
    repo.git("pack-refs", "--all")
    args = ["assign", "m", "HEAD", "--stage", "prod"]
    repo.commit("probe")
    took = duration(repo, args, lambda: repo.git("tag", "-d", "m@v0.0.1", "m#prod#1"))
    rng = random.Random(7)
    seen = {"none": 0, "both": 0}
    deadline = time.monotonic() + 25
    for i in range(30):
        if time.monotonic() > deadline:
            break
        repo.commit(f"c{i}")
        before = set(repo.tags())
        kill_during(repo, args, rng.uniform(0, took * 1.3))
        new = sorted(set(repo.tags()) - before)
        assert len(new) in (0, 2), f"partial state after a kill: {new}"
        seen["none" if not new else "both"] += 1
        result = run(repo, *args)
        if new:
            refused(result, 1, "already", )
        else:
            ok(result)
        assert len(set(repo.tags()) - before) == 2
        assert leftovers(repo) == []
    repo.fsck()
    assert seen["none"], seen  # some kills landed while it ran


def test_a_killed_writer_is_cleared_by_the_next(repo, gto):
    """A writer killed while holding the lock, a tag lock and a temporary file: the next
    command removes them (they are provably its: links to its lock file) and writes."""
    repo.commit("one")
    git_dir = repo.path / ".git"
    script = (
        "import os, sys\n"
        "from git_gto.git.lock import WriteLock\n"
        f"lock = WriteLock.acquire({str(git_dir)!r})\n"
        f"lock.link({str(git_dir / 'refs' / 'tags' / 'm@v0.0.1.lock')!r})\n"
        f"lock.link({str(git_dir / 'packed-refs.lock')!r})\n"
        f"temp = {str(git_dir / 'gto' / 'packed-refs.1.new')!r}\n"
        "lock.track(temp); open(temp, 'w').close()\n"
        "os.kill(os.getpid(), 9)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT)
    assert leftovers(repo) == ["gto/packed-refs.1.new", "gto/write.lock", "packed-refs.lock",
                               "refs/tags/m@v0.0.1.lock"]
    ok(gto("register", "m"))
    assert repo.tags() == ["m@v0.0.1"]
    assert leftovers(repo) == [] and not (git_dir / "gto" / "packed-refs.1.new").exists()
    repo.fsck()


def test_a_live_writer_is_waited_for_then_named(repo, gto, monkeypatch):
    from git_gto.git import lock as L

    repo.commit("one")
    held = L.WriteLock.acquire(str(repo.path / ".git"))
    try:
        monkeypatch.setattr(L, "WAIT_SECONDS", 0.3)
        path = repo.path / ".git" / "gto" / "write.lock"
        refused(gto("register", "m"), 1,
                f"error: another git gto (process {os.getpid()} on {os.uname().nodename}) holds '{path}' "
                "(waited 0.3 s); if no git gto is running there, remove that file (nothing was changed)", repo, [])
    finally:
        held.release()
    ok(gto("register", "m"))
    assert leftovers(repo) == []


def test_a_stale_lock_of_git_is_named_and_left_alone(repo, gto):
    """A `refs/tags/X.lock` that is not ours (git was killed while writing it) is not ours
    to remove: the refusal names it and says what to do."""
    repo.commit("one")
    lock = repo.path / ".git" / "refs" / "tags" / "m@v0.0.1.lock"
    lock.write_text("0" * 40 + "\n")
    refused(gto("register", "m"), 1,
            f"error: cannot lock tag 'm@v0.0.1': '{lock}' exists; another git process is writing it, or one "
            "was killed: if no git is running, remove that file (nothing was changed)", repo, [])
    assert lock.exists()
    lock.unlink()
    ok(gto("register", "m"))


def test_a_packed_refs_lock_of_git_is_named(repo, gto):
    repo.commit("one")
    lock = repo.path / ".git" / "packed-refs.lock"
    lock.write_text("")
    refused(gto("register", "m"), 1,
            f"error: cannot lock packed-refs: '{lock}' exists; another git process is writing it, or one "
            "was killed: if no git is running, remove that file (nothing was changed)", repo, [])
    assert lock.exists()


def test_what_is_written_reads_the_same_with_git(repo, gto):
    """Tags go into packed-refs, sorted and peeled as git writes it."""
    repo.commit("one")
    repo.git("tag", "zz-light")
    repo.git("pack-refs")
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "prod"))
    ok(gto("register", "a/b:c"))
    packed = (repo.path / ".git" / "packed-refs").read_text()
    repo.git("pack-refs")
    assert (repo.path / ".git" / "packed-refs").read_text() == packed
    show = repo.git("show-ref", "-d", "--tags")
    assert "refs/tags/m@v0.0.1^{}" in show and "refs/tags/m#prod#1^{}" in show
    repo.fsck()


# -- racing writers: the outcome of some sequential order ---------------------------------------

def start_together(repo, tmp_path: Path, commands: List[List[str]]) -> List[subprocess.CompletedProcess]:
    go = tmp_path / f"go-{time.monotonic_ns()}"
    procs = [subprocess.Popen(["sh", "-c", 'while [ ! -e "$GO" ]; do sleep 0.001; done; exec git gto "$@"',
                               "sh", *args], cwd=repo.path, env={**os.environ, "GO": str(go)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for args in commands]
    time.sleep(0.2)
    go.touch()
    results = []
    for p, args in zip(procs, commands):
        out, err = p.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(args, p.returncode, out, err))
    return results


def test_sixteen_registrations_of_one_commit_make_one_version(repo, tmp_path):
    commit = repo.commit("one")
    results = start_together(repo, tmp_path, [["register", "racey", "--version", f"v1.0.{i}", commit]
                                              for i in range(16)])
    winners = [r for r in results if r.returncode == 0]
    assert len(winners) == 1, [r.stderr for r in results]
    version = winners[0].args[3]
    for r in results:
        if r.returncode:
            refused(r, 1, f"'racey' is already registered in this commit with version '{version}'")
    assert repo.tags() == [f"racey@{version}"]
    assert leftovers(repo) == []


def test_racing_unassignments_are_as_if_one_after_another(repo, tmp_path, gto):
    """gto lets a stage be unassigned again (each time a new tag): racing unassignments give
    what they give one after another, one tag each with its own counter, none refused."""
    repo.commit("one")
    ok(gto("assign", "m", "--stage", "prod"))
    results = start_together(repo, tmp_path, [["deprecate", "m", "v0.0.1", "prod"]] * 5)
    for r in results:
        ok(r)
    assert sorted(t for t in repo.tags() if "#prod!" in t) == sorted(f"m#prod!#{n}" for n in range(2, 7))


def test_racing_assignments_never_share_a_counter(repo, tmp_path, gto):
    repo.commit("one")
    ok(gto("register", "m"))
    results = start_together(repo, tmp_path, [["assign", "m", "--version", "v0.0.1", "--stage", f"s{i}"]
                                              for i in range(8)])
    for r in results:
        ok(r)
    counters = [t.rsplit("#", 1)[1] for t in repo.tags() if "#" in t]
    assert sorted(counters, key=int) == [str(n) for n in range(1, 9)]


# -- deprecation and another machine's clock -------------------------------------------------

@pytest.mark.parametrize("ahead", [1, 3600])
def test_deprecation_never_waits_on_a_clock_that_is_ahead(repo, gto_e2e, ahead):
    """The newest event is dated ahead of this clock (another machine's): the deprecation
    is dated one second after it, at once, and takes effect."""
    repo.commit("one")
    future = int(time.time()) + ahead
    ok(gto_e2e("register", "m", env={"GIT_COMMITTER_DATE": f"@{future} +0000"}, tick=False))
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_COMMITTER_DATE", "GIT_AUTHOR_DATE")}
    start = time.monotonic()
    result = subprocess.run(["git", "gto", "deprecate", "m"], cwd=repo.path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=30)
    ok(result)
    assert time.monotonic() - start < 2
    tagger = repo.git("for-each-ref", "--format=%(taggerdate:raw)", "refs/tags/m@deprecated")
    assert tagger.split()[0] == str(future + 1)
    shown = subprocess.run(["git", "gto", "show", "--json"], cwd=repo.path, env=env, stdout=subprocess.PIPE,
                           text=True).stdout
    assert "m" not in json.loads(shown or "{}")


# -- delete in one transaction -------------------------------------------------------------

def test_deleting_many_tags_takes_about_what_git_tag_d_takes(repo, tmp_path):
    """One transaction: deleting 245 of 5,000 packed tags takes no more than about `git tag
    -d` of the same tags (a rewrite of packed-refs per tag took minutes at 47,000)."""
    repo.commit("one")
    names = [f"t{i:04d}@v0.0.1" for i in range(5000)]
    script = "".join(f"create refs/tags/{n} HEAD\n" for n in names)
    subprocess.run(["git", "update-ref", "--stdin"], input=script, text=True, cwd=repo.path, check=True)
    repo.git("pack-refs", "--all")
    packed = repo.path / ".git" / "packed-refs"
    saved = packed.read_bytes()
    doomed = names[::20][:245]
    start = time.monotonic()
    repo.git("tag", "-d", *doomed)
    git_took = time.monotonic() - start
    packed.write_bytes(saved)
    opened = GitRepo.discover(str(repo.path))
    start = time.monotonic()
    opened.delete_tags(doomed)
    took = time.monotonic() - start
    opened.close()
    assert len(repo.tags()) == 5000 - 245
    assert took <= 2 * git_took + 0.1, (took, git_took)
    repo.fsck()


def test_a_writer_killed_while_taking_the_lock_leaves_nothing_behind_for_long(repo, gto):
    """kill -9 between creating write.lock's temporary file and linking it into place
    leaves `write.lock.PID.tmp`: the next writer removes it when that process is gone (and
    leaves a live process's file alone)."""
    repo.commit("one")
    folder = repo.path / ".git" / "gto"
    folder.mkdir(exist_ok=True)
    dead = folder / "write.lock.4194304.tmp"  # past Linux's largest pid: no such process
    alive = folder / f"write.lock.{os.getppid()}.tmp"
    dead.write_text("killed")
    alive.write_text("still taking the lock")
    ok(gto("register", "m"))
    assert not dead.exists()
    assert alive.exists()
