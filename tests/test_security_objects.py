"""One object must never take the registry down: malformed tag objects, damaged loose
objects, odd tag names and dates, and corrupted packs, all made for real with git."""

from __future__ import annotations

import os
import random
import re
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import refused

GOOD = "good"


def write_tag(repo, name: str, raw: bytes) -> str:
    """Store `raw` as a tag object (git hash-object --literally) and point refs/tags/NAME at
    it (git update-ref where git accepts the object, else the ref file itself)."""
    sha = subprocess.run(["git", "hash-object", "-t", "tag", "--literally", "-w", "--stdin"],
                         cwd=repo.path, input=raw, capture_output=True, check=True).stdout.decode().strip()
    if subprocess.run(["git", "update-ref", f"refs/tags/{name}", sha], cwd=repo.path,
                      capture_output=True).returncode != 0:
        ref = repo.path / ".git" / "refs" / "tags" / name
        ref.parent.mkdir(parents=True, exist_ok=True)
        ref.write_text(sha + "\n")
    return sha


def loose_path(repo, sha: str) -> Path:
    path = repo.path / ".git" / "objects" / sha[:2] / sha[2:]
    path.chmod(0o644)
    return path


def tag_bytes(commit: str, name: str, tagger: bytes = b"A <a@b> 1700000000 +0000",
              extra: bytes = b"", message: bytes = b"m\n", type_line: bytes = b"type commit\n") -> bytes:
    return (f"object {commit}\n".encode() + type_line + f"tag {name}\n".encode() + extra
            + b"tagger " + tagger + b"\n\n" + message)


@pytest.fixture
def registry(repo, gto):
    """A repository with a good artifact: one version, one stage."""
    repo.commit("first")
    assert gto("register", GOOD).exit_code == 0
    assert gto("assign", GOOD, "--version", "v0.0.1", "--stage", "prod").exit_code == 0
    return repo


def bad_tagger(repo, commit):
    write_tag(repo, "bad@v1.0.0", tag_bytes(commit, "bad@v1.0.0", b"A <a@b> notanumber +0000"))
    return "bad@v1.0.0", "the tag object has no tagger"


def no_angle(repo, commit):
    write_tag(repo, "bad@v1.0.0", tag_bytes(commit, "bad@v1.0.0", b"A a@b 1700000000 +0000"))
    return "bad@v1.0.0", "the tag object has no tagger"


def huge_date(repo, commit):
    write_tag(repo, "bad@v1.0.0", tag_bytes(commit, "bad@v1.0.0", b"A <a@b> 99999999999999 +0000"))
    return "bad@v1.0.0", "the tagger date (99999999999999, offset 0s) cannot be shown"


def huge_offset(repo, commit):
    write_tag(repo, "bad@v1.0.0", tag_bytes(commit, "bad@v1.0.0", b"A <a@b> 1700000000 +9959"))
    return "bad@v1.0.0", "the tagger date (1700000000, offset 359940s) cannot be shown"


def no_type(repo, commit):
    write_tag(repo, "bad@v1.0.0", tag_bytes(commit, "bad@v1.0.0", type_line=b""))
    return "bad@v1.0.0", "the tag object has no valid type"


def missing_target(repo, commit):
    write_tag(repo, "bad@v1.0.0", tag_bytes("1" * 40, "bad@v1.0.0"))
    return "bad@v1.0.0", f"points to {'1' * 40}, which is not a commit here"


def truncated(repo, commit):
    sha = write_tag(repo, "bad@v1.0.0", tag_bytes(commit, "bad@v1.0.0"))
    path = loose_path(repo, sha)
    path.write_bytes(path.read_bytes()[:-6])
    return "bad@v1.0.0", f"loose object {sha} is corrupt (truncated)"


def zero_bytes(repo, commit):
    sha = write_tag(repo, "bad@v1.0.0", tag_bytes(commit, "bad@v1.0.0"))
    loose_path(repo, sha).write_bytes(b"")
    return "bad@v1.0.0", f"loose object {sha} is corrupt (empty file)"


def wrong_size(repo, commit):
    sha = write_tag(repo, "bad@v1.0.0", tag_bytes(commit, "bad@v1.0.0"))
    raw = tag_bytes(commit, "bad@v1.0.0")
    loose_path(repo, sha).write_bytes(zlib.compress(b"tag %d\0" % (len(raw) + 1) + raw))
    return "bad@v1.0.0", f"loose object {sha} is corrupt (bad header)"


def bad_checksum(repo, commit):
    sha = write_tag(repo, "bad@v1.0.0", tag_bytes(commit, "bad@v1.0.0"))
    path = loose_path(repo, sha)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # the Adler-32 trailer
    path.write_bytes(bytes(data))
    return "bad@v1.0.0", f"loose object {sha} is corrupt (incorrect data check)"


def non_utf8_name(repo, commit):
    (repo.path / ".git" / "refs" / "tags").joinpath(os.fsdecode(b"x@\xe9")).write_text(commit + "\n")
    return "x@\\xe9", "the tag name is not UTF-8, ignored"


def non_utf8_annotated_name(repo, commit):
    sha = write_tag(repo, "tmp", tag_bytes(commit, "y@v1.0.0"))
    (repo.path / ".git" / "refs" / "tags" / "tmp").rename(
        repo.path / ".git" / "refs" / "tags" / os.fsdecode(b"y@v1.0.0\xff"))
    assert sha
    return "y@v1.0.0\\xff", "the tag name is not UTF-8, ignored"


BAD = [bad_tagger, no_angle, huge_date, huge_offset, no_type, missing_target, truncated,
       zero_bytes, wrong_size, bad_checksum, non_utf8_name, non_utf8_annotated_name]


@pytest.mark.parametrize("make", BAD, ids=[f.__name__ for f in BAD])
def test_a_bad_tag_is_skipped_and_reported(registry, gto, make):
    ref, reason = make(registry, registry.git("rev-parse", "HEAD"))
    show = gto("show")
    assert (show.exit_code, show.stderr) == (0, "")
    assert re.search(r"│ good +│ v0\.0\.1 +│ v0\.0\.1 +│", show.stdout)
    if make is not missing_target:  # read as a version (its commit is looked up by doctor only)
        assert "bad" not in show.stdout
    reads = [("show", GOOD), ("show", f"{GOOD}#prod", "--ref"), ("history", GOOD),
             ("check-ref", "good#prod#1", "--event"), ("stages",)]
    for args in reads:
        result = gto(*args)
        assert (result.exit_code, result.stderr) == (0, ""), (args, result)
    assert gto("show", f"{GOOD}#prod", "--ref").stdout == "good@v0.0.1\n"
    assert gto("check-ref", "good#prod#1", "--event").stdout == "assignment\n"
    assert gto("stages").stdout == "prod\n"
    doctor = gto("doctor")
    assert doctor.exit_code == 1
    assert f"problem: {ref}: {reason}\n" in doctor.stdout
    registry.commit("second")
    for args in [("register", GOOD), ("assign", GOOD, "--version", "v0.0.2", "--stage", "dev"),
                 ("deprecate", GOOD, "v0.0.2", "dev"), ("deprecate", GOOD)]:
        result = gto(*args)
        assert result.exit_code == 0 and result.stderr.startswith("Created git tag"), (args, result)
    assert gto("doctor").exit_code == 1, "still reported, also once the cache is written"


def test_non_utf8_name_through_git(registry, gto_e2e):
    commit = registry.git("rev-parse", "HEAD")
    (registry.path / ".git" / "refs" / "tags").joinpath(os.fsdecode(b"x@\xe9")).write_text(commit + "\n")
    doctor = gto_e2e("doctor")
    assert doctor.exit_code == 1 and "problem: x@\\xe9: the tag name is not UTF-8, ignored\n" in doctor.stdout
    assert gto_e2e("show", f"{GOOD}#prod", "--ref").stdout == "good@v0.0.1\n"
    assert gto_e2e("check-ref", "good@v0.0.1", "--event").stdout == "registration\n"


@pytest.mark.parametrize("extra, message, shown", [
    (b"", b"caf\xe9 \xff\n", "caf\ufffd \ufffd"),  # a message that is not UTF-8
    (b"x-note " + b"y" * 3_000_000 + b"\n", b"big header\n", "big header"),  # a huge header
])
def test_odd_but_usable_tags_are_read(registry, gto, extra, message, shown):
    commit = registry.git("rev-parse", "HEAD")
    write_tag(registry, "odd@v1.0.0", tag_bytes(commit, "odd@v1.0.0", extra=extra, message=message))
    result = gto("check-ref", "odd@v1.0.0", "--json")
    assert result.exit_code == 0 and f'"message": "{shown}"' in result.stdout.encode().decode("unicode_escape") \
        or shown in result.stdout, result
    assert gto("doctor").exit_code == 0


def test_a_tag_dated_in_the_year_3000_can_be_deprecated(registry, gto):
    commit = registry.git("rev-parse", "HEAD")
    write_tag(registry, "future@v1.0.0", tag_bytes(commit, "future@v1.0.0", b"A <a@b> 32503680000 +0000"))
    assert "3000-01-01 00:00:00+00:00" in gto("show", "future").stdout
    result = gto("deprecate", "future")
    assert result.exit_code == 0
    assert "warning: 'future' has an event dated after now: this deprecation does not take effect" in result.stderr


# -- corrupted packs -----------------------------------------------------------------------
def packed_entry(repo, sha: str):
    """(pack path, offset, end) of an object's entry in the repository's one pack."""
    (pack,) = (repo.path / ".git" / "objects" / "pack").glob("*.pack")
    idx = pack.with_suffix(".idx")
    offsets = {}
    for line in subprocess.run(["git", "show-index"], stdin=idx.open("rb"), capture_output=True,
                               check=True).stdout.decode().splitlines():
        offset, name = line.split()[:2]
        offsets[name] = int(offset)
    start = offsets[sha]
    end = min([o for o in offsets.values() if o > start] + [pack.stat().st_size - 20])
    return pack, start, end


def test_no_bit_flip_in_a_packed_tag_reads_as_fine(registry, gto, monkeypatch):
    """A flip anywhere in the entry (header, zlib stream, Adler-32 trailer) either changes
    nothing or fails the command with one line naming the object; never a wrong answer."""
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    tag = "good#prod#1"
    sha = registry.git("rev-parse", f"refs/tags/{tag}")
    registry.git("repack", "-a", "-d", "-q")
    registry.git("prune-packed")
    pack, start, end = packed_entry(registry, sha)
    pack.chmod(0o644)
    original = pack.read_bytes()
    expected = gto("check-ref", tag, "--json")
    assert expected.exit_code == 0 and '"stage": "prod"' in expected.stdout
    bits = range(start * 8, end * 8)
    sample = set(random.Random(7).sample(bits, min(150, len(bits)))) | set(bits[-32:])  # + Adler-32
    failed = 0
    for bit in sorted(sample):
        data = bytearray(original)
        data[bit // 8] ^= 1 << (bit % 8)
        pack.write_bytes(bytes(data))
        result = gto("check-ref", tag, "--json", tick=False)
        if result.exit_code == 0:
            assert result.stdout == expected.stdout, f"bit {bit - start * 8} of the entry read as fine"
        else:
            failed += 1
            assert result.exit_code == 1, (bit, result)
            # the tag's object, or a tag object git stored as a delta of it
            assert re.fullmatch(r"error: object [0-9a-f]{40} is corrupt \([^\n]+\)\n", result.stderr), (bit, result)
    pack.write_bytes(original)
    assert failed > len(sample) // 2
    assert gto("check-ref", tag, "--json").stdout == expected.stdout


@pytest.mark.parametrize("damage, message", [
    ("pack-trailer", "does not match its index"),
    ("empty-pack", "is empty"),
    ("truncated-idx", ".idx is corrupt"),
    ("empty-idx", ".idx is corrupt"),
])
def test_a_pack_that_does_not_match_its_index_is_one_clear_error(registry, gto, monkeypatch, damage, message):
    """git refuses a pack whose checksum is not the one its .idx records, and an .idx too
    short for its tables: so do we, in one line naming the file (never an internal error)."""
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    registry.git("repack", "-a", "-d", "-q")
    registry.git("prune-packed")
    pack = next((registry.path / ".git" / "objects" / "pack").glob("*.pack"))
    target = pack.with_suffix(".idx") if damage.endswith("idx") else pack
    target.chmod(0o644)
    data = target.read_bytes()
    target.write_bytes({"pack-trailer": data[:-1] + bytes([data[-1] ^ 1]), "empty-pack": b"",
                        "truncated-idx": data[:600], "empty-idx": b""}[damage])
    line = refused(gto("check-ref", "good#prod#1", "--json", tick=False), 1, message)
    assert os.path.basename(pack)[:-5] in line
