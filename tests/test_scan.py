"""The tag scan against real git, and the tag cache under $GIT_DIR/gto/.

Registries are built with the tests' own builder (`registry_builder.py`, git fast-import),
then stored three ways: loose refs, packed refs, and after `git gc`. What `GitRepo` reads
must be what `git for-each-ref` reports, and what the commands print must not depend on
the cache being there, cold, warm, stale, corrupt or raced.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Dict

import pytest

from git_gto.git import objects as gitobjects
from git_gto.git.repo import GitRepo

from conftest import ok
from registry_builder import LAYOUTS, build_registry, set_layout

SIZE = dict(artifacts=8, versions=6, stages=3, nested_every=2, with_yaml=True)
TYPES = {"commit": gitobjects.OBJ_COMMIT, "tree": gitobjects.OBJ_TREE, "blob": gitobjects.OBJ_BLOB,
         "tag": gitobjects.OBJ_TAG}
ODD_TAGS = ["lw@v1.0.0", "lw#prod#7", "lwtree", "zone-east@v1.0.0", "zone-west@v2.0.0", "nt@v1.0.0",
            "nt#prod", "nested-plain", "treetag@v1.0.0", "blobtag@v1.0.0", "release-1.0", "copy@v1.0.0",
            "made@created"]


# -- building the repositories --------------------------------------------------------------------

def hermetic_env(home: Path, **extra: str) -> Dict[str, str]:
    """The environment for git while building (module fixtures run outside the autouse one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GTO_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1", TZ="UTC",
               GIT_AUTHOR_NAME="Builder", GIT_AUTHOR_EMAIL="builder@example.com",
               GIT_COMMITTER_NAME="Builder", GIT_COMMITTER_EMAIL="builder@example.com",
               GIT_AUTHOR_DATE="@1650000000 +0000", GIT_COMMITTER_DATE="@1650000000 +0000")
    env.update(extra)
    return env


def git(path: Path, *args: str, env: Dict[str, str] | None = None, input: str | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=path, env=env, input=input, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def add_odd_tags(path: Path, home: Path) -> Dict[str, str]:
    """Tags a registry meets in the wild: lightweight ones, other time zones, untrimmed
    messages, a tag of a tag, tags of a tree and of a blob, non-GTO tags."""
    def tag(*args, date="@1700000000 +0000"):
        git(path, "-c", "advice.nestedTag=false", "tag", *args,
            env=hermetic_env(home, GIT_COMMITTER_DATE=date, GIT_COMMITTER_NAME="Zoë Tagger",
                             GIT_COMMITTER_EMAIL="zoe@example.com"))

    head = git(path, "rev-parse", "HEAD")
    older = git(path, "rev-parse", "HEAD~3")
    tree = git(path, "rev-parse", "HEAD^{tree}")
    blob = git(path, "hash-object", "-w", "--stdin", input="a blob\n", env=hermetic_env(home))
    tag("lw@v1.0.0", head)  # lightweight: not a version
    tag("lw#prod#7", head)
    tag("lwtree", tree)
    tag("-a", "--cleanup=verbatim", "-m", "  custom message  \nsecond line \n\n", "zone-east@v1.0.0", older,
        date="@1700000100 +0530")
    tag("-a", "-m", "west", "zone-west@v2.0.0", head, date="@1700000200 -0730")
    tag("-a", "-m", "Registering artifact nt version v1.0.0", "nt@v1.0.0", older, date="@1700000300 +0000")
    tag("-a", "-m", "a tag of a tag", "nt#prod", "nt@v1.0.0", date="@1700000400 +0000")
    tag("-a", "-m", "a non-GTO tag of a tag", "nested-plain", "nt@v1.0.0", date="@1700000500 +0000")
    tag("-a", "-m", "a tag of a tree", "treetag@v1.0.0", tree, date="@1700000600 +0000")
    tag("-a", "-m", "a tag of a blob", "blobtag@v1.0.0", blob, date="@1700000700 +0000")
    tag("-a", "-m", "not a GTO tag", "release-1.0", head, date="@1700000800 +0000")
    tag("-a", "-m", "gto never writes these", "made@created", head, date="@1700000900 +0000")
    # a second ref to an existing tag object (its header still says zone-west@v2.0.0)
    git(path, "update-ref", "refs/tags/copy@v1.0.0", git(path, "rev-parse", "refs/tags/zone-west@v2.0.0"),
        env=hermetic_env(home))
    return {"head": head, "older": older, "tree": tree, "blob": blob}


def build(dest: Path, layout: str, home: Path) -> Dict:
    env = hermetic_env(home)
    registry = build_registry(dest, **SIZE, env=env)
    info = add_odd_tags(dest, home)
    set_layout(dest, layout, env)
    if layout == "packed":
        assert not list((dest / ".git" / "refs" / "tags").rglob("*@*")), "all tags are packed"
    elif layout == "gc":
        assert (dest / ".git" / "packed-refs").exists()
    else:
        assert not (dest / ".git" / "packed-refs").exists() or "refs/tags/" not in (
            dest / ".git" / "packed-refs").read_text()
    info["expected"] = registry.expected
    return info


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """One repository per layout, built once per module; tests copy what they change."""
    home = tmp_path_factory.mktemp("builder-home")
    root = tmp_path_factory.mktemp("bench")
    return {layout: (root / layout, build(root / layout, layout, home)) for layout in LAYOUTS}


@pytest.fixture(params=LAYOUTS)
def bench(request, templates, tmp_path):
    """A private copy of the registry in one layout: (path, info)."""
    source, info = templates[request.param]
    dest = tmp_path / request.param
    shutil.copytree(source, dest, symlinks=True)
    return dest, info


def test_the_builder_is_deterministic(tmp_path):
    """Same arguments, same objects: the dates come from the plan, not from the clock."""
    refs = []
    for n in range(2):
        registry = build_registry(tmp_path / str(n), artifacts=3, versions=2, stages=2, with_yaml=True)
        refs.append(git(registry.path, "for-each-ref", "--format=%(objectname) %(refname)"))
    assert refs[0] == refs[1]
    assert len(refs[0].splitlines()) == len(registry.tags) + 1, "the tags and main"


def without_nested_tags(path: Path) -> Path:
    """Drop the tags of tags: tests of other things should not fail because of them
    (`test_registry_survives_nested_tree_and_blob_tags` covers them)."""
    git(path, "tag", "-d", "nt#prod", "nested-plain")
    return path


def fresh_copy(templates, tmp_path: Path, layout: str):
    """A private copy of a template registry (without its nested tags), and what the build says about it."""
    source, info = templates[layout]
    path = tmp_path / "repo"
    shutil.copytree(source, path, symlinks=True)
    return without_nested_tags(path), info


def run(path: Path, *args: str, env: Dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`git gto ARGS` in a subprocess, as a user runs it."""
    return subprocess.run(["git", "gto", *args], cwd=path, env={**os.environ, **(env or {})},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_json(path: Path, *args: str, env: Dict[str, str] | None = None):
    return json.loads(ok(run(path, *args, env=env)).stdout)


NO_CACHE = {"GTO_NO_CACHE": "1"}
READS = [("show", "-d", "--json"), ("history", "--json"), ("show", "nested/dir:model-0001", "-d", "--json")]


def all_reads(path: Path, env: Dict[str, str] | None = None):
    return {" ".join(args): read_json(path, *args, env=env) for args in READS}


# -- what git says -----------------------------------------------------------------------------------

FORMAT = ("%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(object)%00%(type)%00"
          "%(taggername)%00%(taggeremail:trim)%00%(taggerdate:raw)%00%(contents)%01")


def offset_seconds(tz: str) -> int:
    sign = -1 if tz[0] == "-" else 1
    return sign * (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60)


def git_tags(path: Path):
    """(all tag refs: name -> object id, annotated ones: name -> what we expect to read)."""
    out = subprocess.run(["git", "for-each-ref", "refs/tags", f"--format={FORMAT}"], cwd=path,
                         stdout=subprocess.PIPE, check=True).stdout.decode("utf-8")
    refs, annotated = {}, {}
    for record in out.split("\x01\n")[:-1]:
        name, objtype, sha, target, target_type, tagger, email, date, contents = record.split("\x00")
        refs[name] = sha
        if objtype != "tag":
            continue
        when, tz = date.split()
        annotated[name] = (sha, target, TYPES[target_type], tagger, email, int(when), offset_seconds(tz),
                           contents.strip())
    return refs, annotated


def scanned(path: Path):
    repo = GitRepo.discover(str(path))
    return repo.tag_refs(), {
        t.ref: (t.sha, t.target, t.target_type, t.tagger.name, t.tagger.email, t.tagger.time,
                t.tagger.offset, t.message)
        for t in repo.annotated_tags()
    }


# -- the scan ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("cache", ["cold", "warm", "off"])
def test_scan_matches_git_for_each_ref(bench, cache, monkeypatch):
    path, _ = bench
    if cache == "off":
        monkeypatch.setenv("GTO_NO_CACHE", "1")
    if cache == "warm":
        without_nested_tags(path)
        read_json(path, "show", "--json")  # whatever the commands cache, it is there now
        scanned(path)
    expected_refs, expected_annotated = git_tags(path)
    refs, annotated = scanned(path)
    assert len(expected_refs) > 80
    dropped = {"nt#prod", "nested-plain"} if cache == "warm" else set()
    assert set(ODD_TAGS) - dropped <= set(expected_refs)
    assert refs == expected_refs
    assert annotated == expected_annotated
    listed = [t.ref for t in GitRepo.discover(str(path)).annotated_tags()]
    assert len(listed) == len(set(listed)) == len(expected_annotated), "each annotated tag once"


def test_lightweight_tags_are_refs_but_not_annotated_tags(bench):
    path, info = bench
    refs, annotated = scanned(path)
    for name in ("lw@v1.0.0", "lw#prod#7", "lwtree"):
        assert name in refs
        assert name not in annotated
    assert refs["lw@v1.0.0"] == info["head"]
    assert refs["lwtree"] == info["tree"]
    assert "lw@v1.0.0" in GitRepo.discover(str(path)).tag_names()


def test_odd_tags_are_scanned_with_their_target_type(bench):
    path, info = bench
    refs, annotated = scanned(path)
    inner_sha = refs["nt@v1.0.0"]
    assert annotated["nt#prod"][1:3] == (inner_sha, gitobjects.OBJ_TAG)
    assert annotated["nested-plain"][1:3] == (inner_sha, gitobjects.OBJ_TAG)
    assert annotated["treetag@v1.0.0"][1:3] == (info["tree"], gitobjects.OBJ_TREE)
    assert annotated["blobtag@v1.0.0"][1:3] == (info["blob"], gitobjects.OBJ_BLOB)
    assert annotated["nt@v1.0.0"][1:3] == (info["older"], gitobjects.OBJ_COMMIT)
    east = annotated["zone-east@v1.0.0"]
    assert east[3:] == ("Zoë Tagger", "zoe@example.com", 1700000100, 5 * 3600 + 1800,
                        "custom message  \nsecond line")
    assert annotated["zone-west@v2.0.0"][6] == -(7 * 3600 + 1800)
    assert annotated["copy@v1.0.0"] == annotated["zone-west@v2.0.0"], "two refs, one tag object: both listed"


def test_one_artifacts_tags_are_what_git_lists_for_its_prefix(bench):
    """The tags of one artifact (read by name prefix: by bisection in packed-refs, sorted
    first when git did not sort it, then the loose refs) are git's for those patterns."""
    from git_gto.tags import tags_of

    path, _ = bench
    names = ["model-0002", "nested/dir:model-0001"]

    def listed():
        refs, _ = git_tags(path)
        return [{n: s for n, s in refs.items() if n.startswith((f"{p}@", f"{p}#"))}
                for p in ("model-0002", "nested/dir=model-0001")]
    expected = listed()
    assert all(len(e) > 5 for e in expected)
    assert [tags_of(GitRepo.discover(str(path)), name) for name in names] == expected
    packed = path / ".git" / "packed-refs"
    if packed.exists():  # the same refs, unsorted and without git's header
        lines = packed.read_text().splitlines()
        packed.write_text("\n".join(reversed([l for l in lines if not l.startswith(("#", "^"))])) + "\n")
        assert listed() == expected
        assert [tags_of(GitRepo.discover(str(path)), name) for name in names] == expected
    assert tags_of(GitRepo.discover(str(path)), "no-such") == {}


def test_ref_names_are_judged_as_git_check_ref_format(tmp_path):
    from git_gto.git.refs import valid_refname

    names = ["HEAD", "refs/heads/main", "main", "a/b-c_d/E9", "/a", "a/", "a//b", "@", "a@{b", "a..b",
             "a.lock", "a/.b", "a.", "a b", "a~b", "a:b", "a?b", "a*b", "a[b", "a\\b", "x-", "ä/ö",
             "refs/tags/m#prod#1", "refs/tags/m@v1.0.0", "a\x7fb", "a.lock/b", "."]
    for name in names:
        result = subprocess.run(["git", "check-ref-format", "--allow-onelevel", name], cwd=tmp_path)
        assert valid_refname(name) == (result.returncode == 0), name


def test_loose_ref_wins_over_packed_ref(templates, tmp_path):
    source, _ = templates["packed"]
    path = tmp_path / "repo"
    shutil.copytree(source, path, symlinks=True)
    refs, _ = git_tags(path)
    name, other = "model-0000@v0.1.0", "zone-west@v2.0.0"
    assert f"refs/tags/{name}" in (path / ".git" / "packed-refs").read_text()
    assert refs[name] != refs[other]
    (path / ".git" / "refs" / "tags" / name).write_text(refs[other] + "\n")
    expected_refs, expected_annotated = git_tags(path)
    assert expected_refs[name] == refs[other], "git itself prefers the loose ref"
    got_refs, got_annotated = scanned(path)
    assert got_refs == expected_refs
    assert got_annotated == expected_annotated
    assert got_annotated[name][1] == got_annotated[other][1]


def test_registry_reads_the_generated_state(bench):
    """`show -d --json` agrees with the state the builder planned, whatever the layout."""
    path, info = bench
    without_nested_tags(path)
    shown = read_json(path, "show", "-d", "--json")
    for name, want in info["expected"].items():
        assert name in shown, name
        got = shown[name]
        assert (got["version"], got["registered"], got["active"]) == (want["version"], want["registered"],
                                                                        want["active"]), name
        assert {s: v for s, v in got["stage"].items() if v} == want["stage"], name


def test_registry_survives_nested_tree_and_blob_tags(bench):
    path, info = bench
    shown = read_json(path, "show", "--json")
    assert "treetag" not in shown and "blobtag" not in shown, "tags of trees and blobs are no versions"
    assert "lw" not in shown, "lightweight tags are ignored"
    assert "made" not in shown, "an annotated @created tag is no event (and breaks nothing)"
    assert shown["nt"]["version"] == "v1.0.0"
    assert shown["nt"]["stage"]["prod"] == "v1.0.0", "a tag of a tag counts for the commit it peels to"
    assert shown["zone-east"]["version"] == "v1.0.0"
    event = read_json(path, "check-ref", "nt#prod", "--json")
    assert (event["event"], event["commit_hexsha"], event["version"]) == ("assignment", info["older"], "v1.0.0")
    assert read_json(path, "history", "nt", "--json")[0]["ref"] == "nt#prod"
    assert run(path, "check-ref", "treetag@v1.0.0").stdout == ""
    for args in (["show"], ["show", "nt"]):
        ok(run(path, *args))
    doctor = run(path, "doctor")
    assert doctor.returncode == 1, "doctor exits 1 when it finds problems"
    assert "Traceback" not in doctor.stderr
    assert "treetag@v1.0.0" in doctor.stdout + doctor.stderr
    assert "blobtag@v1.0.0" in doctor.stdout + doctor.stderr
    assert "made@created" in doctor.stdout + doctor.stderr
    assert run(path, "check-ref", "made@created").stdout == ""


# -- the cache ---------------------------------------------------------------------------------------

def cache_file(path: Path) -> Path:
    return path / ".git" / "gto" / "tags.cache"


def assert_cache_sound(path: Path, expected: dict) -> None:
    """The cache file is there, reads give what they give without it, and reading again
    leaves it as it is (a cache that is partial, stale or unreadable gets rewritten)."""
    assert cache_file(path).is_file()
    before = cache_file(path).read_bytes()
    assert all_reads(path) == expected
    assert cache_file(path).read_bytes() == before, "a warm cache is read, not rewritten"


def scanned_uncached(path: Path):
    old = os.environ.get("GTO_NO_CACHE")
    os.environ["GTO_NO_CACHE"] = "1"
    try:
        return scanned(path)
    finally:
        if old is None:
            del os.environ["GTO_NO_CACHE"]
        else:
            os.environ["GTO_NO_CACHE"] = old


def test_same_output_with_and_without_cache(bench):
    path, _ = bench
    without_nested_tags(path)
    assert not cache_file(path).exists()
    uncached = all_reads(path, NO_CACHE)
    assert not cache_file(path).exists(), "GTO_NO_CACHE=1 leaves no cache behind"
    cold = all_reads(path)
    assert cache_file(path).is_file()
    assert cold == uncached
    assert_cache_sound(path, uncached)


@pytest.mark.parametrize("layout", ["loose", "packed"])
def test_cache_follows_added_and_deleted_tags(templates, tmp_path, layout, gto_e2e):
    path, info = fresh_copy(templates, tmp_path, layout)
    before = all_reads(path)  # warm
    ok(gto_e2e("register", "model-0000", "HEAD~1", cwd=path))
    ok(gto_e2e("assign", "model-0000", "--version", "v0.1.0", "--stage", "canary", cwd=path))
    git(path, "tag", "-d", "model-0002@v0.1.0", "lw#prod#7")
    # the same name again, now another object
    git(path, "tag", "-f", "-a", "-m", "again", "zone-west@v2.0.0", info["older"])
    git(path, "tag", "-a", "-m", "hand-made", "hand@v3.0.0", "HEAD~2")
    after = all_reads(path, NO_CACHE)
    assert after != before
    assert all_reads(path) == after
    shown = read_json(path, "show", "--json")
    assert shown["hand"]["version"] == "v3.0.0"
    assert shown["model-0000"]["stage"]["canary"] == "v0.1.0"
    assert read_json(path, "check-ref", "zone-west@v2.0.0", "--json")["commit_hexsha"] == info["older"]
    assert run(path, "check-ref", "model-0002@v0.1.0").stdout == "", "a deleted tag is forgotten"
    registrations = [e["tag"] for r in read_json(path, "show", "model-0002", "-d", "--json") for e in r["registrations"]]
    assert "model-0002@v0.1.1" in registrations and "model-0002@v0.1.0" not in registrations
    assert scanned(path) == scanned_uncached(path)
    assert_cache_sound(path, after)


def test_cache_survives_gc(templates, tmp_path):
    path, _ = fresh_copy(templates, tmp_path, "loose")
    expected = all_reads(path, NO_CACHE)
    all_reads(path)  # warm, from loose refs and loose objects
    git(path, "gc", "--quiet", "--prune=now")
    assert (path / ".git" / "packed-refs").exists()
    assert all_reads(path) == expected
    assert scanned(path) == scanned_uncached(path)
    assert_cache_sound(path, expected)


def test_a_gc_during_a_cold_read_changes_nothing(repo, gto, monkeypatch):
    """git gc packs the loose objects (and removes them) while a read is under way: the
    objects it no longer finds loose are in a pack made since the packs were listed, and the
    read finds them there, as git does (it lists the packs again on a miss)."""
    from git_gto.git import packs

    repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "prod"))
    repo.git("repack", "-q", "-a", "-d")
    repo.git("prune-packed")
    repo.commit("two")
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "prod"))
    expected = ok(gto("show", "--json")).stdout
    assert "v0.0.2" in expected
    read_loose, gc_ran = packs.read_loose, []

    def gc_at_the_first_loose_read(directory, sha):
        if not gc_ran:  # the moment a concurrent `git gc` hurts most: after the listing
            gc_ran.append(sha)
            repo.git("repack", "-q", "-a", "-d")
            repo.git("prune-packed")
        return read_loose(directory, sha)

    monkeypatch.setattr(packs, "read_loose", gc_at_the_first_loose_read)
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    assert ok(gto("show", "--json", tick=False)).stdout == expected
    assert gc_ran and not list((repo.path / ".git" / "objects").glob("??/*"))  # all packed now
    assert ok(gto("show", "m", "--json", tick=False)).stdout == ok(gto("show", "m", "--json")).stdout


def test_a_version_1_pack_index_and_alternates_read_the_same(repo, gto, tmp_path, monkeypatch):
    """Objects found through a version 1 `.idx` (no CRCs; git still writes one when asked)
    and through alternates (`git clone --shared`) read as through git's default layout."""
    repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "prod"))
    repo.commit("two")
    ok(gto("register", "m"))
    repo.git("repack", "-q", "-a", "-d")
    repo.git("prune-packed")
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    expected = ok(gto("show", "--json")).stdout
    history = ok(gto("history", "--json")).stdout
    shared = tmp_path / "shared"
    repo.git("clone", "-q", "--shared", "--no-checkout", str(repo.path), str(shared))
    assert not list((shared / ".git" / "objects" / "pack").glob("*.pack"))  # all through alternates
    repo.git("-C", str(shared), "fetch", "-q", "origin", "refs/tags/*:refs/tags/*")
    assert ok(gto("show", "--json", cwd=shared)).stdout == expected
    pack = next((repo.path / ".git" / "objects" / "pack").glob("*.pack"))
    index = pack.with_suffix(".idx")
    index.chmod(0o644)
    index.unlink()
    repo.git("index-pack", "--index-version=1", "-o", str(index), str(pack))
    assert index.read_bytes()[:4] != b"\xfftOc"  # version 1: no magic
    assert ok(gto("show", "--json")).stdout == expected
    assert ok(gto("history", "--json")).stdout == history


GARBAGE = {
    "empty": b"",
    "random": bytes(range(256)) * 8,
    "marshal-int": b"\xe9\x01\x00\x00\x00",  # marshal of the int 1
}


@pytest.mark.parametrize("garbage", sorted(GARBAGE) + ["truncated", "other-format"])
def test_corrupt_cache_is_rebuilt(templates, tmp_path, garbage):
    import marshal

    path, _ = fresh_copy(templates, tmp_path, "gc")
    expected = all_reads(path, NO_CACHE)
    read_json(path, "show", "--json")  # writes the cache
    valid = cache_file(path).read_bytes()
    content = {
        "truncated": valid[: len(valid) // 2],
        "other-format": marshal.dumps((999, {"x": None})),
    }.get(garbage) or GARBAGE[garbage]
    cache_file(path).write_bytes(content)
    assert all_reads(path) == expected
    assert cache_file(path).read_bytes() != content, "the cache was rewritten"
    assert_cache_sound(path, expected)


def test_two_commands_at_once_on_a_fresh_repository(templates, tmp_path):
    path, _ = fresh_copy(templates, tmp_path, "loose")
    expected = read_json(path, "show", "--json", env=NO_CACHE)
    for round_ in range(2):
        shutil.rmtree(path / ".git" / "gto", ignore_errors=True)
        procs = [subprocess.Popen(["git", "gto", "show", "--json"], cwd=path, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert json.loads(out) == expected, f"round {round_}"
        leftovers = [p.name for p in (path / ".git" / "gto").iterdir() if p.name not in ("tags.cache", "yaml.cache")]
        assert leftovers == [], "no temporary files are left behind"
        before = cache_file(path).read_bytes()
        assert read_json(path, "show", "--json") == expected
        assert cache_file(path).read_bytes() == before, "the cache left by the race is complete"
    expected_all = all_reads(path, NO_CACHE)
    assert all_reads(path) == expected_all
    assert_cache_sound(path, expected_all)


# -- odd repositories --------------------------------------------------------------------------------

def test_read_only_repository(templates, tmp_path):
    """Reading works when .git cannot be written. (As root chmod does not stop writes, so
    this also runs the case where the cache directory cannot be made: `gto` is a file.)"""
    path, _ = fresh_copy(templates, tmp_path, "packed")
    expected = read_json(path, "show", "--json", env=NO_CACHE)
    expected_history = read_json(path, "history", "--json", env=NO_CACHE)
    gitdir = path / ".git"
    modes = {p: p.stat().st_mode for p in [gitdir, *gitdir.rglob("*")] if not p.is_symlink()}
    try:
        for p, mode in modes.items():
            p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        assert read_json(path, "show", "--json") == expected
        assert read_json(path, "history", "--json") == expected_history
        assert read_json(path, "show", "--json") == expected
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    shutil.rmtree(gitdir / "gto", ignore_errors=True)
    (gitdir / "gto").write_text("not a directory\n")
    assert read_json(path, "show", "--json") == expected
    assert read_json(path, "history", "--json") == expected_history
    assert (gitdir / "gto").read_text() == "not a directory\n"


def test_bare_repository(templates, tmp_path):
    path, _ = fresh_copy(templates, tmp_path, "loose")
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(path), str(bare))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in (("show", "--json"), ("history", "--json"), ("show", "model-0000", "--json"),
                 ("show", "-d", "--json")):
        expected = read_json(path, *args)
        by_option = ok(run(elsewhere, args[0], "-r", str(bare), *args[1:]))
        assert json.loads(by_option.stdout) == expected, args
        by_git_dir = subprocess.run(["git", f"--git-dir={bare}", "gto", *args], cwd=elsewhere,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ok(by_git_dir)
        assert json.loads(by_git_dir.stdout) == expected, args
    inside = ok(run(bare, "show", "--json"))
    assert json.loads(inside.stdout) == read_json(path, "show", "--json")


def test_a_large_cold_read_is_shared_with_a_second_process(bench, monkeypatch):
    """Above PARALLEL_READ_MIN tags, half of the artifacts are read by a forked process:
    the registry must be exactly the one read in a single process."""
    import contextlib
    import io

    from git_gto import loader
    from git_gto.cli import run as run_in_process

    path, _ = bench
    without_nested_tags(path)
    expected = all_reads(path, NO_CACHE)
    forks = []
    real_fork = os.fork

    def counting_fork():
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(loader, "PARALLEL_READ_MIN", 1)
    monkeypatch.setattr(os, "fork", counting_fork)
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    monkeypatch.chdir(path)
    for args in READS:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert run_in_process(list(args)) == 0
        assert json.loads(out.getvalue()) == expected[" ".join(args)]
    assert len(forks) == len(READS)
