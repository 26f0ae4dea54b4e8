"""No file outside the repository is touched, and no file or cache takes the registry down:
the `index:` path stays in the work tree; files someone else may have placed (a clone's work
tree, `.git`) are read only if regular, never through a symbolic link, never blocking and
never without bound; the cache answers only when it is verified."""

from __future__ import annotations

import json
import marshal
import os
import resource
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from conftest import ok

CACHE = Path(".git") / "gto" / "tags.cache"
INSIDE = "expected a path inside the work tree (not in .git)"


def bare_remote(repo, tmp_path: Path) -> str:
    """Push the repository's main branch to a new bare repository; its file:// URL."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    repo.git("push", "-q", str(bare), "main")
    return f"file://{bare}"


def state(path: Path) -> object:
    """What is at `path` (None if nothing): to check a command left it alone."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def run_bounded(repo, *args: str, env: Dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`git gto ARGS` through git, killed if it does not finish (a FIFO used to hang it)."""
    return subprocess.run(["git", "gto", *args], cwd=repo.path, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=30,
                          env={**os.environ, **(env or {})})


# -- 1. `index:` is a path inside the work tree ------------------------------------------------

ESCAPES = ["../x.yaml", "a/../../x.yaml", "sub/../../x.yaml", "/ABS/x.yaml", ".git/config",
           ".GIT/x.yaml", "sub/.git/x.yaml", ".", ".."]


@pytest.mark.parametrize("index", ESCAPES + [""])
def test_index_outside_the_work_tree_is_refused(repo, gto, tmp_path, index):
    index = index.replace("/ABS", str(tmp_path / "victim"))
    repo.commit("config", {".gto": f"index: '{index}'\n"})
    config_before = (repo.path / ".git" / "config").read_bytes()
    outside = state(repo.path.parent / "x.yaml")
    result = gto("annotate", "foo", "-d", "x")
    why = "expected a file name" if index == "" else INSIDE
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: Wrong config file {repo.path / '.gto'}: 'index': {why}, got {index!r}\n"
    assert state(repo.path.parent / "x.yaml") == outside and not (tmp_path / "victim").exists()
    assert (repo.path / ".git" / "config").read_bytes() == config_before


@pytest.mark.parametrize("index", ESCAPES)
def test_gto_index_variable_outside_the_work_tree_is_refused(repo, gto, tmp_path, monkeypatch, index):
    index = index.replace("/ABS", str(tmp_path / "victim"))
    repo.commit("first")
    monkeypatch.setenv("GTO_INDEX", index)
    outside = state(repo.path.parent / "x.yaml")
    result = gto("annotate", "foo", "-d", "x")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: GTO_INDEX: {INSIDE}, got {index!r}\n"
    assert state(repo.path.parent / "x.yaml") == outside and not (tmp_path / "victim").exists()


@pytest.mark.parametrize("command", [("annotate", "foo", "-d", "x"), ("remove", "foo")])
def test_index_outside_through_a_remote_is_refused(repo, gto_e2e, tmp_path, command):
    victim = tmp_path / "victimdir" / "x.yaml"
    victim.parent.mkdir()
    victim.write_text("foo: {description: mine}\n")
    repo.commit("config", {".gto": f"index: {victim}\n", "artifacts.yaml": "foo: {}\n"})
    url = bare_remote(repo, tmp_path)
    result = gto_e2e(*command[:1], "-r", url, *command[1:], cwd=tmp_path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: Wrong config file /")
    assert result.stderr.endswith(f"/.gto: 'index': {INSIDE}, got '{victim}'\n")
    assert len(result.stderr.splitlines()) == 1
    assert victim.read_text() == "foo: {description: mine}\n"


@pytest.mark.parametrize("index", ["sub/meta.yaml", "sub/./meta.yaml", "sub/x/../meta.yaml"])
def test_index_in_a_subdirectory_still_works(repo, gto, index):
    repo.commit("config", {".gto": f"index: {index}\n", "sub/keep": ""})
    result = gto("annotate", "foo", "-d", "x")
    assert (result.exit_code, result.stderr) == (0, "Updated `sub/meta.yaml`\n")
    assert (repo.path / "sub" / "meta.yaml").read_text() == "foo:\n  description: x\n"


# -- 2. only regular files, inside the repository, bounded, never blocking -------------------


def test_symlinked_index_on_a_remote_is_not_read_nor_pushed(repo, gto_e2e, tmp_path):
    secret = tmp_path / "home" / "victim" / "secret.yaml"
    secret.parent.mkdir(parents=True)
    secret.write_text("token: {description: hunter2}\n")
    repo.commit("first")
    os.symlink(secret, repo.path / "artifacts.yaml")
    repo.git("add", "artifacts.yaml")
    repo.git("commit", "-q", "-m", "link")
    url = bare_remote(repo, tmp_path)
    before = subprocess.run(["git", "ls-remote", url], stdout=subprocess.PIPE, text=True).stdout
    result = gto_e2e("annotate", "-r", url, "foo", "-d", "x", cwd=tmp_path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: cannot read 'artifacts.yaml': a symbolic link, not followed\n"
    assert subprocess.run(["git", "ls-remote", url], stdout=subprocess.PIPE, text=True).stdout == before
    assert secret.read_text() == "token: {description: hunter2}\n"


ODD = ["symlink-outside", "symlink-inside", "dev-zero", "fifo", "directory"]


@pytest.mark.parametrize("name, kind", [(".gto", k) for k in ODD] + [("artifacts.yaml", k) for k in ODD]
                         + [("artifacts.yaml", "symlinked-folder")])
def test_odd_config_and_index_files_are_refused(repo, tmp_path, name, kind):
    repo.commit("first")
    path = repo.path / name
    outside = tmp_path / "outside.yaml"
    outside.write_text("{}\n")
    if kind == "symlink-outside":
        os.symlink(outside, path)
    elif kind == "symlink-inside":
        (repo.path / "real.yaml").write_text("{}\n")
        os.symlink("real.yaml", path)
    elif kind == "dev-zero":
        os.symlink("/dev/zero", path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    if kind == "symlinked-folder":  # the index through a folder that links outside
        (repo.path / ".gto").write_text("index: sub/outside.yaml\n")
        os.symlink(tmp_path, repo.path / "sub")
        shown, why = "sub/outside.yaml", "'sub' is a symbolic link, not followed"
    else:
        shown = name
        why = "not a regular file" if kind in ("fifo", "directory") else "a symbolic link, not followed"
    command = ("describe", "foo") if name != ".gto" else ("show",)
    result = run_bounded(repo, *command)
    assert (result.returncode, result.stdout) == (1, "")
    if name == ".gto":
        assert result.stderr == f"error: Wrong config file '{repo.path / '.gto'}': {why}\n"
    else:
        assert result.stderr == f"error: cannot read '{shown}': {why}\n"
    written = run_bounded(repo, "annotate", "foo", "-d", "x")
    assert (written.returncode, written.stderr) == (1, result.stderr)
    assert outside.read_text() == "{}\n"


@pytest.mark.parametrize("name, limit", [(".gto", 64 * 1024), ("artifacts.yaml", 64 * 1024 * 1024)])
def test_oversized_files_are_refused(repo, gto, name, limit):
    repo.commit("first")
    with open(repo.path / name, "wb") as f:
        f.write(b"#" * (limit + 1))
    result = gto("describe", "foo")
    assert (result.exit_code, result.stdout) == (1, "")
    shown = f"Wrong config file '{repo.path / '.gto'}'" if name == ".gto" else "cannot read 'artifacts.yaml'"
    assert result.stderr == f"error: {shown}: larger than {limit} bytes\n"


def test_artifacts_yaml_of_100000_entries_is_read(repo, gto):
    repo.commit("first")
    (repo.path / "artifacts.yaml").write_text("".join(f"model-{i:06d}: {{type: model}}\n" for i in range(100_000)))
    result = gto("describe", "model-099999", "--type")
    assert (result.exit_code, result.stdout) == (0, "model\n")


def test_odd_files_in_the_refs_are_refused_or_not_tags(repo, gto):
    repo.commit("first")
    assert gto("register", "foo").exit_code == 0
    expected = gto("show", "--plain").stdout
    tags = repo.path / ".git" / "refs" / "tags"
    os.mkfifo(tags / "foo@v9.9.9")
    os.symlink(tags / "foo@v0.0.1", tags / "foo@v8.8.8")
    os.symlink("/dev/zero", tags / "foo@v7.7.7")
    result = run_bounded(repo, "show", "--plain")
    assert (result.returncode, result.stdout, result.stderr) == (0, expected, "")
    for entry in ("foo@v9.9.9", "foo@v8.8.8", "foo@v7.7.7"):
        os.unlink(tags / entry)
    repo.git("pack-refs", "--all")
    packed = repo.path / ".git" / "packed-refs"
    packed.unlink()
    os.mkfifo(packed)
    result = run_bounded(repo, "show", "--plain")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: cannot read '{packed}': not a regular file\n"


def test_committed_symlink_or_submodule_is_not_the_file(repo, gto, tmp_path):
    """At a commit, only a regular blob is `.gto` or artifacts.yaml; a symbolic link or a
    gitlink entry is as if absent (history cannot be fixed, so reading goes on)."""
    first = repo.commit("first")
    assert gto("register", "foo").exit_code == 0
    os.symlink("/etc/passwd", repo.path / "artifacts.yaml")
    repo.git("add", "artifacts.yaml")
    missing = "1234567890123456789012345678901234567890"
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{missing},.gto")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{first},sub.yaml")
    repo.git("commit", "-q", "-m", "odd entries")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    result = gto("describe", "foo", "--rev", "HEAD")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    result = gto("show", "--plain", "-r", str(bare))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1].split() == ["foo", "v0.0.1"]
    (repo.path / "artifacts.yaml").unlink()
    (repo.path / ".gto").write_text("index: sub.yaml\n")
    result = gto("describe", "foo", "--rev", "HEAD")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_failed_write_leaves_no_temporary_file(repo, tmp_path):
    repo.commit("first", {"artifacts.yaml": "foo: {description: x}\n"})

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    result = subprocess.run(["git", "gto", "annotate", "bar", "-d", "y" * 300], cwd=repo.path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30,
                            preexec_fn=small_files, env={**os.environ, "GTO_NO_CACHE": "1"})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "error: cannot write 'artifacts.yaml': File too large\n"
    assert sorted(p.name for p in repo.path.iterdir()) == [".git", "artifacts.yaml"]
    assert (repo.path / "artifacts.yaml").read_text() == "foo: {description: x}\n"


# -- 3. the cache answers only when verified, and is rebuilt otherwise -----------------------

COMMANDS = [("show", "--json"), ("show", "churn#prod", "--ref"), ("show", "churn", "--plain"),
            ("history", "--plain"), ("show", "-d", "--plain")]


@pytest.fixture
def registry(repo, gto):
    """A small registry; its uncached output; a good cache of it."""
    repo.commit("first", {"artifacts.yaml": "churn: {type: model}\n"})
    for args in [("register", "churn"), ("assign", "churn", "--stage", "prod"), ("register", "segment"),
                 ("register", "churn", "--bump-minor"), ("assign", "churn", "--stage", "dev"),
                 ("deprecate", "segment")]:
        assert gto(*args).exit_code == 0, args
        repo.commit("next")
    return repo


def outputs(gto) -> List[Tuple[int, str, str]]:
    results = [gto(*command, tick=False) for command in COMMANDS]
    return [(r.exit_code, r.stdout, r.stderr) for r in results]


def uncached(gto, monkeypatch) -> List[Tuple[int, str, str]]:
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    try:
        return outputs(gto)
    finally:
        monkeypatch.delenv("GTO_NO_CACHE")


def assert_good_cache(repo) -> None:
    from git_gto import cache as C

    path = repo.path / CACHE
    assert path.is_file() and not path.is_symlink()
    payload = C.unseal(path.read_bytes())
    assert payload is not None and C._well_formed(marshal.loads(payload))


def corruptions(kind: str, good: bytes) -> List[bytes]:
    from git_gto import cache as C

    if kind == "flip":  # one byte flipped, at positions spread over the whole file
        positions = sorted(set(range(0, 48)) | set(range(0, len(good), max(1, len(good) // 150)))
                           | set(range(len(good) - 8, len(good))))
        return [good[:i] + bytes([good[i] ^ (1 << (i % 8))]) + good[i + 1:] for i in positions]
    if kind == "truncate":
        return [good[:n] for n in (0, 1, 19, 20, 21, len(good) // 2, len(good) - 1)]
    if kind == "format":
        loaded = marshal.loads(C.unseal(good) or b"")
        return [C.seal(marshal.dumps((fmt,) + loaded[1:])) for fmt in (0, C.FORMAT - 1, C.FORMAT + 1, "6")]
    if kind == "shape":
        _, everything, shards, commits = marshal.loads(C.unseal(good) or b"")
        name = sorted(shards)[0]
        shapes = [None, (), (C.FORMAT,), (C.FORMAT, everything, shards), [C.FORMAT, everything, shards, commits],
                  (C.FORMAT, "x", shards, commits), (C.FORMAT, everything, [], commits),
                  (C.FORMAT, everything, {name: shards[name][:4]}, commits),
                  (C.FORMAT, everything, {name: (None,) + shards[name][1:]}, commits),
                  (C.FORMAT, everything, {name: shards[name][:3] + ((),) + shards[name][4:]}, commits),
                  (C.FORMAT, everything, {name: shards[name][:4] + ([1],) + shards[name][5:]}, commits),
                  (C.FORMAT, everything, {1: shards[name]}, commits), (C.FORMAT, everything, shards, {"x": 1})]
        return [C.seal(marshal.dumps(shape)) for shape in shapes] + [marshal.dumps(shapes[-1])]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["flip", "truncate", "format", "shape"])
def test_corrupt_cache_gives_the_uncached_output_and_is_rebuilt(registry, gto, monkeypatch, kind):
    expected = uncached(gto, monkeypatch)
    assert outputs(gto) == expected
    path = registry.path / CACHE
    good = path.read_bytes()
    cases = corruptions(kind, good)
    assert cases
    wrong = []
    for i, bad in enumerate(cases):
        path.write_bytes(bad)
        if outputs(gto) != expected:
            wrong.append(i)
    assert wrong == [], f"{len(wrong)} of {len(cases)} corruptions changed the output"
    for bad in cases:  # the command after a corruption leaves a good cache
        path.write_bytes(bad)
        gto("show", tick=False)
        assert_good_cache(registry)


@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink-to-cache", "symlink-to-dev-zero", "dangling"])
def test_cache_that_is_not_a_regular_file_is_ignored_and_replaced(registry, gto, monkeypatch, tmp_path, kind):
    expected = uncached(gto, monkeypatch)
    path = registry.path / CACHE
    assert outputs(gto) == expected
    elsewhere = tmp_path / "elsewhere.cache"
    shutil.copy(path, elsewhere)
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "symlink-to-cache":
        os.symlink(elsewhere, path)
    elif kind == "symlink-to-dev-zero":
        os.symlink("/dev/zero", path)
    else:
        os.symlink(tmp_path / "nothing", path)
    result = run_bounded(registry, "show", "--json")
    assert (result.returncode, result.stdout, result.stderr) == expected[0]
    assert_good_cache(registry)
    assert outputs(gto) == expected
    assert elsewhere.read_bytes() == (tmp_path / "elsewhere.cache").read_bytes()


def test_tag_object_missing_then_back_is_read_again(repo, gto):
    repo.commit("first")
    assert gto("register", "foo").exit_code == 0
    assert gto("register", "bar").exit_code == 0
    expected = gto("show", "--plain").stdout
    sha = repo.git("rev-parse", "refs/tags/foo@v0.0.1")
    loose = repo.path / ".git" / "objects" / sha[:2] / sha[2:]
    aside = loose.with_name("aside")
    (repo.path / CACHE).unlink()
    loose.rename(aside)
    without = gto("show", "--plain")
    assert "foo" not in without.stdout and "bar" in without.stdout
    aside.rename(loose)
    assert gto("show", "--plain").stdout == expected
    assert gto("show", "--plain").stdout == expected


@pytest.mark.parametrize("what", ["symlink", "file", "submodule"])
def test_an_index_path_through_a_non_tree_at_a_commit_is_absent(repo, gto, tmp_path, what):
    """`index: sub/artifacts.yaml` where the committed `sub` is a link, a file or a
    submodule: at a commit there is no such file, and every read still works."""
    (repo.path / "real").mkdir()
    (repo.path / "real" / "artifacts.yaml").write_text("m:\n  type: model\n")
    if what == "symlink":
        os.symlink("real", repo.path / "sub")
    elif what == "file":
        (repo.path / "sub").write_text("not a folder\n")
    else:
        head = repo.commit("for the submodule entry")
        repo.git("update-index", "--add", "--cacheinfo", f"160000,{head},sub")
    (repo.path / ".gto").write_text("index: sub/artifacts.yaml\n")
    repo.git("add", "-A")
    repo.commit("index through sub")
    ok(gto("register", "m"))
    assert json.loads(ok(gto("show", "--json")).stdout)["m"]["version"] == "v0.0.1"
    assert ok(gto("history", "m", "--json")).stdout.count('"event"') == 1
    bare = tmp_path / "bare.git"
    repo.git("clone", "-q", "--bare", str(repo.path), str(bare))
    assert json.loads(ok(gto("show", "--json", cwd=bare)).stdout)["m"]["version"] == "v0.0.1"
