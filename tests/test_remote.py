"""Remote registries without a clone (`-r URL`), `git gto fetch` and `git gto status`, against
real servers on 127.0.0.1 (tests/servers.py): git daemon, lighttpd + git http-backend, sshd,
and file://."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, List

import pytest

from conftest import ok, refused
from servers import TRANSPORTS, USER, PASSWORD, served, servers  # noqa: F401 (fixtures)


def git(*args: str, cwd: Path, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {result.stderr}")
    return result.stdout.strip()


def tags_of(bare: Path) -> Dict[str, str]:
    out = git("for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/tags", cwd=bare)
    return dict(line.split(" ") for line in out.splitlines())


def bare_copy(repo, tmp_path: Path, *config: str) -> Path:
    """A bare clone of `repo` (with `config` settings, `key=value`), to serve."""
    bare = tmp_path / "r.git"
    git("clone", "-q", "--bare", *(f"--config={c}" for c in config), str(repo.path), str(bare), cwd=tmp_path)
    return bare


def served_path(urls: Dict[str, str]) -> Path:
    """The repository the servers serve (what its file:// URL names)."""
    return Path(urls["file"][len("file://"):])


def mirrors(home: Path) -> List[Path]:
    root = home / ".cache" / "git-gto"
    return sorted(root.glob("*.git")) if root.exists() else []


@pytest.fixture
def example(tmp_path) -> Path:
    """The user guide's example registry (artifacts.yaml, .gto, tags), built with git."""
    where = tmp_path / "example"
    subprocess.run([sys.executable, "-m", "git_gto.example", str(where), "--force"], check=True,
                   stdout=subprocess.DEVNULL)
    return where


@pytest.fixture
def remote_example(example, served, tmp_path) -> Dict[str, str]:
    bare = tmp_path / "example.git"
    git("clone", "-q", "--bare", str(example), str(bare), cwd=tmp_path)
    return served(bare)


def home() -> Path:
    return Path(os.environ["HOME"])


READS = [
    ("show", "--json"),
    ("show", "churn", "--json"),
    ("show", "churn@latest", "--ref"),
    ("history", "--json"),
    ("history", "churn", "--json"),
    ("check-ref", "churn@v3.1.0", "--json"),
    ("check-ref", "churn#prod#2", "--json"),
    ("stages", "--json"),
    ("describe", "churn"),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reads_over_each_transport_equal_the_local_ones(repo, gto, example, remote_example, transport, tmp_path):
    url = remote_example[transport]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in READS:
        local = ok(gto(*args, cwd=example))
        cold = ok(gto(*args, "-r", url, cwd=elsewhere))
        assert cold.stdout == local.stdout, args
        assert ok(gto(*args, "-r", url, cwd=elsewhere)).stdout == local.stdout, args  # warm
    assert len(mirrors(home())) == 1
    assert list(elsewhere.iterdir()) == []


def test_history_with_all_branches_and_commits(repo, gto, example, remote_example, tmp_path):
    for flag in ("-a", "-A"):
        local = ok(gto("history", flag, "--json", cwd=example))
        assert ok(gto("history", flag, "--json", "-r", remote_example["http"], cwd=tmp_path)).stdout == local.stdout


def _big_history(tmp_path: Path, megabytes: int) -> Path:
    """A registry whose history holds `megabytes` of random blobs, and a few tags."""
    work = tmp_path / "big"
    git("init", "-q", str(work), cwd=tmp_path)
    for i in range(megabytes // 10):
        (work / "model.bin").write_bytes(os.urandom(10 * 1024 * 1024))
        (work / "artifacts.yaml").write_text(f"model:\n  type: model\n  description: take {i}\n")
        git("add", ".", cwd=work)
        git("commit", "-q", "-m", f"model {i}", cwd=work)
        git("tag", "-a", f"model@v0.0.{i + 1}", "-m", f"take {i}", cwd=work)
    git("tag", "-a", "model#prod#1", "-m", "to prod", cwd=work)
    bare = tmp_path / "big.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def test_fifty_megabytes_of_blobs_are_not_downloaded(repo, gto, served, tmp_path):
    bare = _big_history(tmp_path, 50)
    local = [ok(gto(*args, "-r", str(bare), cwd=tmp_path)).stdout
             for args in (("show", "--json"), ("show", "model", "--json"), ("history", "--json"))]
    url = served(bare)["http"]
    assert [ok(gto(*args, "-r", url, cwd=tmp_path)).stdout
            for args in (("show", "--json"), ("show", "model", "--json"), ("history", "--json"))] == local
    [mirror] = mirrors(home())
    assert _size(mirror) < 200 * 1024, _size(mirror)  # tags, commits, 5 trees, 5 small blobs
    blobs = git("cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)", cwd=mirror)
    assert all(int(size) < 1000 for kind, size in (line.split() for line in blobs.splitlines()) if kind == "blob")


def _trace(gto_e2e, args, cwd: Path, tmp_path: Path, name: str) -> str:
    trace = tmp_path / f"{name}.trace"
    ok(gto_e2e(*args, cwd=cwd, env={"GIT_TRACE_PACKET": str(trace)}))
    return trace.read_text() if trace.exists() else ""


@pytest.mark.parametrize("transport", ["http", "git"])
def test_a_new_tag_is_fetched_and_the_warm_path_fetches_nothing(repo, gto_e2e, served, tmp_path, transport):
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    urls = served(bare)
    url = urls[transport]
    ok(gto_e2e("register", "m", "-r", url, cwd=tmp_path))
    warm = _trace(gto_e2e, ("show", "--json", "-r", url), tmp_path, tmp_path, "warm")
    assert "ls-refs" in warm and "command=fetch" not in warm
    warm_one = _trace(gto_e2e, ("check-ref", "m@v0.0.1", "-r", url), tmp_path, tmp_path, "warm-one")
    assert "ref-prefix refs/tags/m@" in warm_one and "command=fetch" not in warm_one
    # someone else tags: the next read fetches it, incrementally, then nothing again
    other = tmp_path / "other"
    git("clone", "-q", urls["file"], str(other), cwd=tmp_path)
    git("tag", "-a", "m#prod#1", "-m", "prod", "m@v0.0.1", cwd=other)
    git("push", "-q", "origin", "m#prod#1", cwd=other)
    cold = _trace(gto_e2e, ("show", "--json", "-r", url), tmp_path, tmp_path, "after")
    assert "command=fetch" in cold and "have " in cold  # incremental: it says what it has
    assert json.loads(ok(gto_e2e("show", "--json", "-r", url, cwd=tmp_path)).stdout)["m"]["stage"] == {"prod": "v0.0.1"}
    again = _trace(gto_e2e, ("show", "-r", url), tmp_path, tmp_path, "again")
    assert "command=fetch" not in again


def test_writes_through_http_and_ssh_push_one_atomic_change(repo, gto, served, tmp_path):
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    urls = served(bare)
    served_bare = served_path(urls)
    result = ok(gto("assign", "m", "--stage", "prod", "-r", urls["http"], cwd=tmp_path))
    assert f"Pushed m@v0.0.1, m#prod#1 to {urls['http']}" in result.stderr
    ok(gto("assign", "m", "--stage", "dev", "-r", urls["ssh"], cwd=tmp_path))
    assert sorted(tags_of(served_bare)) == ["m#dev#2", "m#prod#1", "m@v0.0.1"]
    git("fsck", "--strict", "--no-progress", cwd=served_bare)


def test_the_tagger_is_the_users_identity_from_the_current_repository(repo, gto, served, tmp_path):
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    urls = served(bare)
    (home() / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")  # no identity globally
    repo.git("config", "user.name", "Local Person")
    repo.git("config", "user.email", "local@example.com")
    ok(gto("register", "m", "-r", urls["http"]))
    tag = git("cat-file", "-p", "m@v0.0.1", cwd=served_path(urls))
    assert "tagger Local Person <local@example.com>" in tag
    refused(gto("register", "n", "-r", urls["http"], cwd=tmp_path), 1, "error: unable to auto-detect email address")


# -- racing writers ------------------------------------------------------------------------


def _two_writers(repo, tmp_path, served):
    """A served registry with two commits; two users (two homes: two caches)."""
    repo.commit("first")
    repo.commit("second")
    bare = bare_copy(repo, tmp_path)
    urls = served(bare)
    users = []
    for who in ("alice", "bob"):
        h = tmp_path / who
        h.mkdir()
        (h / ".gitconfig").write_text(f"[user]\n\tname = {who}\n\temail = {who}@example.com\n")
        users.append({**os.environ, "HOME": str(h), "XDG_CONFIG_HOME": str(h / ".config")})
    return urls, served_path(urls), users


def _run(env, *args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "gto", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def test_a_push_refused_because_the_remote_moved_is_planned_again(repo, served, tmp_path):
    urls, server, (alice, bob) = _two_writers(repo, tmp_path, served)
    url = urls["http"]
    assert _run(bob, "show", "-r", url, cwd=tmp_path).returncode == 0  # bob's mirror exists
    [bob_mirror] = list((tmp_path / "bob" / ".cache" / "git-gto").glob("*.git"))
    # alice registers while bob is between his plan and his push (his mirror's pre-push hook)
    hook = bob_mirror / "hooks" / "pre-push"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\nrm -f '{hook}'\nHOME='{alice['HOME']}' git gto register m HEAD~1 -r '{url}' "
                    f">/dev/null 2>&1\n")
    hook.chmod(0o755)
    result = _run(bob, "register", "m", "-r", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # the server found the tag taken (its ref transaction failed, or git push saw it first)
    assert f"warning: '{url}' moved during the push (m@v0.0.1 [" in result.stderr
    assert "): fetched it, planning again (attempt 2 of 3)" in result.stderr
    assert f"Pushed m@v0.0.2 to {url}" in result.stderr
    tags = tags_of(server)
    assert sorted(tags) == ["m@v0.0.1", "m@v0.0.2"]
    taggers = {t: git("for-each-ref", "--format=%(taggername)", f"refs/tags/{t}", cwd=server) for t in tags}
    assert taggers == {"m@v0.0.1": "alice", "m@v0.0.2": "bob"}
    head = git("rev-parse", "HEAD", cwd=repo.path)
    assert git("rev-parse", "m@v0.0.2^{commit}", cwd=server) == head


def test_a_replanned_write_that_is_now_refused_is_one_clean_refusal(repo, served, tmp_path):
    urls, server, (alice, bob) = _two_writers(repo, tmp_path, served)
    url = urls["git"]
    assert _run(bob, "show", "-r", url, cwd=tmp_path).returncode == 0
    [bob_mirror] = list((tmp_path / "bob" / ".cache" / "git-gto").glob("*.git"))
    hook = bob_mirror / "hooks" / "pre-push"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\nrm -f '{hook}'\nHOME='{alice['HOME']}' git gto register m -r '{url}' >/dev/null 2>&1\n")
    hook.chmod(0o755)
    result = _run(bob, "register", "m", "-r", url, cwd=tmp_path)
    refused(result, 1, f"error: 'm' is already registered in this commit with version 'v0.0.1' (planned again "
                       f"after '{url}' moved during the push)")
    assert list(tags_of(server)) == ["m@v0.0.1"]
    assert git("for-each-ref", "--format=%(taggername)", "refs/tags/m@v0.0.1", cwd=server) == "alice"


def test_two_writers_at_once_end_with_distinct_versions_or_one_refusal(repo, served, tmp_path):
    urls, server, (alice, bob) = _two_writers(repo, tmp_path, served)
    url = urls["http"]
    results: Dict[str, subprocess.CompletedProcess] = {}

    def write(who, env, ref):
        results[who] = _run(env, "assign", "m", ref, "--stage", "prod", "-r", url, cwd=tmp_path)

    threads = [threading.Thread(target=write, args=("alice", alice, "HEAD~1")),
               threading.Thread(target=write, args=("bob", bob, "HEAD"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tags = sorted(tags_of(server))
    codes = sorted(r.returncode for r in results.values())
    assert "Traceback" not in "".join(r.stderr for r in results.values())
    if codes == [0, 0]:
        assert tags == ["m#prod#1", "m#prod#2", "m@v0.0.1", "m@v0.0.2"]
    else:
        assert codes == [0, 1] and len([r for r in results.values() if r.returncode]) == 1
        assert tags == ["m#prod#1", "m@v0.0.1"]
    git("fsck", "--strict", "--no-progress", cwd=server)


def test_a_policy_refusal_is_not_retried_and_reaches_the_user(repo, gto_e2e, served, tmp_path):
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    urls = served(bare)
    server = served_path(urls)
    hook = server / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'POLICY: tags need a ticket' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = gto_e2e("register", "m", "-r", urls["http"], cwd=tmp_path)
    assert result.exit_code == 1
    assert "remote: POLICY: tags need a ticket" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == (
        f"error: git push to '{urls['http']}' failed: m@v0.0.1 [remote rejected] (pre-receive hook declined); "
        "nothing was changed locally either.")
    assert "planning again" not in result.stderr
    assert tags_of(server) == {}


# -- refusals ------------------------------------------------------------------------------

def _no_leftovers(tmp: Path) -> None:
    assert list(tmp.iterdir()) == []
    assert mirrors(home()) == []
    assert not (home() / ".cache" / "git-gto").exists()


@pytest.mark.parametrize("command", [("show",), ("register", "m")])
def test_unreachable_host(repo, gto_e2e, servers, tmp_path, command):
    from servers import free_port

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    url = f"git://127.0.0.1:{free_port()}/nothing.git"
    result = gto_e2e(*command, "-r", url, cwd=tmp_path, env={"TMPDIR": str(tmp)})
    refused(result, 1, f"error: cannot clone '{url}': unable to connect to 127.0.0.1")
    _no_leftovers(tmp)


def test_refused_credentials(repo, gto_e2e, served, servers, tmp_path):
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    name = served(bare)["http"].rsplit("/", 1)[1]
    os.rename(servers.repos / name, servers.repos / "private" / name)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {"TMPDIR": str(tmp), "GIT_TERMINAL_PROMPT": "0"}
    url = f"http://nobody:wrong@127.0.0.1:{servers.http_port}/private/{name}"
    refused(gto_e2e("show", "-r", url, cwd=tmp_path, env=env), 1,
            f"error: cannot clone '{url}': Authentication failed for")
    _no_leftovers(tmp)
    good = f"http://{USER}:{PASSWORD}@127.0.0.1:{servers.http_port}/private/{name}"
    assert ok(gto_e2e("show", "-r", good, cwd=tmp_path, env=env)).exit_code == 0


@pytest.mark.parametrize("url,reason", [
    ("--upload-pack=touch pwned", "is not a repository path or URL: it begins with '-'"),
    ("ext::sh -c touch% pwned", "transport 'ext' not allowed"),
])
def test_hostile_urls_for_a_write(repo, gto_e2e, tmp_path, url, reason):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    refused(gto_e2e("register", "m", "-r", url, cwd=tmp_path, env={"TMPDIR": str(tmp)}), 1, reason)
    assert not (tmp_path / "pwned").exists()
    _no_leftovers(tmp)


@pytest.mark.parametrize("damage", ["head", "url", "file"])
def test_a_corrupted_mirror_is_refused_and_nothing_is_written(repo, gto, served, tmp_path, damage):
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    urls = served(bare)
    server = served_path(urls)
    ok(gto("show", "-r", urls["http"], cwd=tmp_path))
    [mirror] = mirrors(home())
    if damage == "head":
        (mirror / "HEAD").write_text("garbage\n")
    elif damage == "url":
        git("config", "remote.origin.url", "http://elsewhere.example/x.git", cwd=mirror)
    else:
        import shutil

        shutil.rmtree(mirror)
        mirror.write_text("not a repository")
    line = refused(gto("register", "m", "-r", urls["http"], cwd=tmp_path), 1,
                   f"error: the mirror of '{urls['http']}' in {mirror} is damaged: ")
    assert line.endswith(f"remove it (rm -rf '{mirror}') and try again")
    assert tags_of(server) == {}


def test_a_corrupt_pack_in_the_mirror_is_one_line(repo, gto, served, tmp_path):
    repo.commit("first")
    repo.tag("m@v0.0.1", "r")
    bare = bare_copy(repo, tmp_path)
    url = served(bare)["http"]
    ok(gto("show", "-r", url, cwd=tmp_path))
    [mirror] = mirrors(home())
    for pack in (mirror / "objects" / "pack").glob("*.pack"):
        data = bytearray(pack.read_bytes())
        data[20:60] = b"\0" * 40
        pack.chmod(0o644)
        pack.write_bytes(bytes(data))
    os.environ["GTO_NO_CACHE"] = "1"
    try:
        result = gto("show", "-r", url, cwd=tmp_path)
    finally:
        del os.environ["GTO_NO_CACHE"]
    refused(result, 1, "is corrupt")


# -- git gto fetch, git gto status ---------------------------------------------------------

def _ci_checkout(url: str, tmp_path: Path) -> Path:
    """What actions/checkout makes: one commit, no tags."""
    ci = tmp_path / "ci"
    git("init", "-q", str(ci), cwd=tmp_path)
    git("remote", "add", "origin", url, cwd=ci)
    git("fetch", "-q", "--no-tags", "--depth=1", "origin", "+refs/heads/main:refs/remotes/origin/main", cwd=ci)
    git("checkout", "-q", "-b", "main", "origin/main", cwd=ci)
    return ci


def test_fetch_in_a_one_commit_checkout(repo, gto, served, tmp_path):
    bare = _big_history(tmp_path, 20)
    local = ok(gto("show", "model", "--json", "-r", str(bare), cwd=tmp_path)).stdout
    url = served(bare)["http"]
    ci = _ci_checkout(url, tmp_path)
    blobs_before = git("cat-file", "--batch-all-objects", "--batch-check=%(objecttype)", cwd=ci).split().count("blob")
    hinted = ok(gto("show", cwd=ci))
    assert hinted.stderr.splitlines()[0] == \
        "warning: this is a shallow clone without registry tags: run `git gto fetch` to bring them"
    fetched = ok(gto("fetch", cwd=ci))
    assert "Fetched 3 registry tag(s) from origin" in fetched.stderr
    assert git("cat-file", "--batch-all-objects", "--batch-check=%(objecttype)", cwd=ci).split().count("blob") \
        == blobs_before
    shown = ok(gto("show", "model", "--json", cwd=ci))
    assert shown.stderr == ""
    # annotations of old commits are not fetched in a CI checkout: compare the events
    strip = lambda text: [{k: v for k, v in e.items() if k not in ("description",)} for e in json.loads(text)]  # noqa: E731
    assert [v["version"] for v in json.loads(shown.stdout)] == [v["version"] for v in json.loads(local)]
    assert strip(shown.stdout)[0]["stages"] == strip(local)[0]["stages"]
    assert ok(gto("fetch", cwd=ci)).stderr.strip().endswith("No new registry tags on origin")


def test_a_repository_with_a_remote_but_no_registry_tags_says_so_once(repo, gto, served, tmp_path):
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    url = served(bare)["file"]
    repo.git("remote", "add", "origin", url)
    result = ok(gto("show"))
    assert result.stderr.splitlines()[0] == "warning: no registry tags here; to read those of 'origin', run `git gto fetch`"
    ok(gto("fetch"))
    assert "warning" not in ok(gto("show")).stderr
    ok(gto("register", "m"))
    assert "warning" not in ok(gto("history")).stderr


def test_fetch_keeps_a_local_tag_that_differs(repo, gto, served, tmp_path):
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    url = served(bare)["file"]
    other = tmp_path / "other"
    git("clone", "-q", url, str(other), cwd=tmp_path)
    git("tag", "-a", "m@v0.0.1", "-m", "theirs", cwd=other)
    git("tag", "-a", "n@v0.0.1", "-m", "theirs", cwd=other)
    git("push", "-q", "origin", "--tags", cwd=other)
    repo.git("remote", "add", "origin", url)
    repo.tag("m@v0.0.1", "ours")
    ours = repo.git("rev-parse", "m@v0.0.1")
    result = gto("fetch")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "error: 1 tag(s) differ from those of 'origin' and were kept as they are " \
                                             "(see `git gto status origin`)"
    assert "! [rejected]" in result.stderr and "m@v0.0.1" in result.stderr
    assert result.stderr.count("[rejected]") == 1, result.stderr  # git's line once, not twice
    assert repo.git("rev-parse", "m@v0.0.1") == ours
    assert repo.tags() == ["m@v0.0.1", "n@v0.0.1"]


def test_status_shows_what_differs(repo, gto, served, tmp_path):
    repo.commit("first")
    bare = bare_copy(repo, tmp_path)
    url = served(bare)["git"]
    repo.git("remote", "add", "origin", url)
    ok(gto("register", "m", "--push"))
    assert ok(gto("status")).stderr == "The registry is the same as on origin\n"
    other = tmp_path / "other"
    git("clone", "-q", url, str(other), cwd=tmp_path)
    git("tag", "-a", "m#prod#1", "-m", "theirs", "m@v0.0.1", cwd=other)
    git("tag", "-a", "n@v0.0.1", "-m", "theirs", cwd=other)
    git("push", "-q", "origin", "--tags", cwd=other)
    repo.tag("m#prod#1", "ours", ref="m@v0.0.1")
    ok(gto("assign", "m", "--stage", "dev"))
    rows = json.loads(ok(gto("status", "--json")).stdout)
    assert [(r["tag"], r["event"], r["status"]) for r in rows] == [
        ("m#dev#2", "assignment", "not pushed"),
        ("m#prod#1", "assignment", "differs"),
        ("n@v0.0.1", "registration", "only on the remote"),
    ]
    assert rows[1]["local"] == repo.git("rev-parse", "m#prod#1") and rows[1]["remote"] != rows[1]["local"]
    table = ok(gto("status", "origin", "--plain")).stdout.splitlines()
    assert table[0].split() == ["artifact", "event", "version", "stage", "tag", "status"]
    assert table[3].split() == ["n", "registration", "v0.0.1", "-", "n@v0.0.1", "only", "on", "the", "remote"]
    refused(gto("status", "nosuch"), 1, "error: cannot read the tags of 'nosuch': ")
    refused(gto("status", "--", "--upload-pack=x"), 1, "error: '--upload-pack=x' is not a remote name or URL: it begins with '-'")



# -- a remote without --atomic ---------------------------------------------------------------

NO_ATOMIC = "the receiving end does not support --atomic push"


def _no_atomic_origin(repo, served, tmp_path, transport: str) -> Path:
    """`origin`, served over `transport`, a bare repository that refuses atomic pushes
    (receive.advertiseAtomic false: git's receive-pack does not offer the capability)."""
    repo.commit("first")
    bare = bare_copy(repo, tmp_path, "receive.advertiseAtomic=false")
    urls = served(bare)
    repo.git("remote", "add", "origin", urls[transport])
    return served_path(urls)


def _refused_by_git(result, message: str, git_said: str) -> None:
    """Exit 1; git's own lines first (`git_said` among them), then our one line, `message`."""
    lines = result.stderr.splitlines()
    assert result.exit_code == 1 and lines and lines[-1] == message, result.stderr
    assert f"fatal: {git_said}" in lines[:-1], result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_change_of_several_tags_is_refused_whole_by_a_remote_without_atomic_push(
        repo, gto, served, tmp_path, transport):
    """Several tags go in one atomic push or not at all: git's reason is the error, the
    local tags are as before (created ones removed, deleted ones back), the remote unchanged."""
    bare = _no_atomic_origin(repo, served, tmp_path, transport)
    failed = f"error: git push to 'origin' failed: {NO_ATOMIC}; nothing was changed locally either."
    result = gto("assign", "m", "--stage", "prod", "--push")  # registers too: two tags
    _refused_by_git(result, failed, NO_ATOMIC)
    assert tags_of(repo.path) == {} and tags_of(bare) == {}
    # the tags of an artifact, pushed one by one, then deleted together
    ok(gto("register", "m", "--push"))
    ok(gto("assign", "m", "--stage", "prod", "--push", "--version", "v0.0.1"))
    before = tags_of(repo.path)
    assert sorted(before) == ["m#prod#1", "m@v0.0.1"] and tags_of(bare) == before
    _refused_by_git(gto("deprecate", "m", "--delete", "--push"), failed, NO_ATOMIC)
    assert tags_of(repo.path) == before and tags_of(bare) == before
    repo.fsck()
    git("fsck", "--strict", "--no-progress", cwd=bare)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_change_of_one_tag_is_pushed_without_atomic(repo, gto, served, tmp_path, transport):
    """One ref needs no transaction: a single tag reaches a remote without --atomic."""
    bare = _no_atomic_origin(repo, served, tmp_path, transport)
    result = ok(gto("register", "m", "--push"))
    assert "Pushed m@v0.0.1 to origin" in result.stderr.splitlines()
    assert tags_of(bare) == tags_of(repo.path) == {"m@v0.0.1": tags_of(repo.path)["m@v0.0.1"]}
    result = ok(gto("deprecate", "m", "v0.0.1", "--delete", "--push"))
    assert "Deleted m@v0.0.1 on origin" in result.stderr.splitlines()
    assert tags_of(bare) == tags_of(repo.path) == {}


def test_a_remote_registry_without_atomic_push_refuses_a_change_of_several_tags(repo, gto, served, tmp_path):
    """-r URL: the same refusal, in one line after git's, and the mirror keeps no tag of it."""
    repo.commit("first")
    bare = bare_copy(repo, tmp_path, "receive.advertiseAtomic=false")
    urls = served(bare)
    result = gto("assign", "m", "--stage", "prod", "-r", urls["http"], cwd=tmp_path)
    _refused_by_git(result, f"error: git push to '{urls['http']}' failed: {NO_ATOMIC}; nothing was changed "
                            "locally either.", NO_ATOMIC)
    assert tags_of(served_path(urls)) == {}
    assert [tags_of(m) for m in mirrors(home())] == [{}]
    result = ok(gto("register", "m", "-r", urls["http"], cwd=tmp_path))
    assert f"Pushed m@v0.0.1 to {urls['http']}" in result.stderr.splitlines()


def test_a_refused_connection_keeps_gits_reason(gto, tmp_path):
    """git words a refused connection over two lines; both reach the user, in one."""
    import socket

    with socket.socket() as probe:  # a port on loopback that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = refused(gto("show", "-r", f"git://127.0.0.1:{port}/x.git", cwd=tmp_path), 1,
                   f"cannot clone 'git://127.0.0.1:{port}/x.git': unable to connect to 127.0.0.1:")
    assert line.rstrip().endswith("Connection refused"), line
