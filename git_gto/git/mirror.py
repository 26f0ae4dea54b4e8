"""Mirrors of remote registries, `$XDG_CACHE_HOME/git-gto/<host>-<name>-<key>.git`: one bare
partial clone per remote URL, kept between commands and shared by them.

A mirror holds the remote's tags and branches, the tag objects and the commits (`--filter=
tree:0`: no tree, no blob). Trees and blobs are fetched only when a command reads a file at a
commit (`.gto`, `artifacts.yaml`), and only for those files. Before each command one `git
ls-remote --tags --heads` says whether the mirror is current; when it is not, one incremental
`git fetch` brings what changed. A command about one artifact fetches only its tags instead
(protocol v2's `ref-prefix`), in one `git fetch` that transfers nothing when they are current.

A lock file beside each mirror (`flock`) lets processes share it: exclusive while the mirror
changes or a write plans and pushes, shared while a read uses it."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import shutil
import stat
import tempfile
from typing import Dict, Iterable, List, Optional, Sequence

from git_gto.errors import GtoError
from git_gto.git.discover import discover, is_controldir
from git_gto.git.objects import Identity
from git_gto.git.refs import RefSnapshot, branches
from git_gto.git.repo import GitRepo
from git_gto.git.run import git, git_reason
from git_gto.verbose import explain


FILTER = "tree:0"  # tags and commits only; the registry needs nothing else
REFSPECS = ("+refs/tags/*:refs/tags/*", "+refs/heads/*:refs/heads/*")
SETTINGS = (  # the mirror's own configuration: no background work that outlives a command
    ("gc.autoDetach", "false"),
    ("core.logAllRefUpdates", "false"),
    ("fetch.writeCommitGraph", "false"),
    ("maintenance.auto", "false"),
)
LAZY = "gto-lazy"  # inside a mirror: where objects are fetched by id (see MirrorRepo._fetch_objects)
LAZY_CONFIG = """[core]
\trepositoryformatversion = 1
\tbare = true
[extensions]
\tpartialClone = origin
[gc]
\tauto = 0
[maintenance]
\tauto = false
[fetch]
\twriteCommitGraph = false
"""
_DEFAULT_PORTS = {"http": "80", "https": "443", "git": "9418", "ssh": "22"}
_URL = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)\Z", re.S)


def cache_root() -> str:
    """`$XDG_CACHE_HOME/git-gto`, else `~/.cache/git-gto`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "git-gto")


def normalise(url: str) -> str:
    """The URL a mirror is keyed by: scheme and host in lower case, no password, no
    default port, no trailing slash; a scp-like `host:path` without its trailing slash."""
    m = _URL.match(url.strip())
    if not m:
        return url.strip().rstrip("/")
    scheme, authority, path = m.group(1).lower(), m.group(2), m.group(3)
    userinfo, at, hostport = authority.rpartition("@")
    user = userinfo.split(":", 1)[0] + "@" if at and userinfo else ""
    host, port = hostport, ""
    port_match = re.search(r":(\d*)\Z", hostport)
    if port_match:
        host, port = hostport[: port_match.start()], port_match.group(1)
    if port == _DEFAULT_PORTS.get(scheme, ""):
        port = ""
    return f"{scheme}://{user}{host.lower()}{':' + port if port else ''}{path.rstrip('/')}"


def mirror_name(url: str) -> str:
    """`<host>-<last path part>-<16 hex digits of the normalised URL's SHA-256>`."""
    key = normalise(url)
    words = re.split(r"[/:@]+", re.sub(r"\A[a-z0-9+.-]+://", "", key))
    last = re.sub(r"\.git\Z", "", words[-1])
    readable = "-".join(w for w in (words[0] if len(words) > 1 else "", last) if w)
    readable = re.sub(r"[^A-Za-z0-9._-]", "_", readable).strip("._-")[:48] or "remote"
    return f"{readable}-{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}"


class MirrorRepo(GitRepo):
    """A mirror opened as a repository: the registry's tag source for a remote. Files at a
    commit are fetched (trees, then the one blob) before they are read; the tagger is the
    user's, from the repository the command runs in if there is one."""

    def read_file(self, commit_sha: str, path: str) -> Optional[bytes]:
        self.prefetch_files([commit_sha], path)
        return super().read_file(commit_sha, path)

    def path_exists(self, commit_sha: str, path: str) -> bool:
        self.prefetch_files([commit_sha], path)
        return super().path_exists(commit_sha, path)

    def prefetch_files(self, commits: Iterable[str], path: str) -> None:
        """Bring the trees of these commits, then the blob of `path` in each, in two fetches
        at most (nothing when they are here)."""
        trees = {}
        for commit in dict.fromkeys(commits):
            try:
                trees[commit] = self.read_commit(commit).tree
            except (KeyError, GtoError):
                continue  # not a commit that is there: nothing to read in it
        commits = list(trees)
        self._fetch_objects([t for t in dict.fromkeys(trees.values()) if not self._has(t)])
        blobs = []
        for commit in commits:
            try:
                mode, sha = self._lookup(commit, path)
            except KeyError:
                continue
            if stat.S_ISREG(mode) and not self._has(sha):
                blobs.append(sha)
        self._fetch_objects(list(dict.fromkeys(blobs)))

    def _has(self, sha: str) -> bool:
        return sha.encode("ascii") in self.dulwich.object_store

    def _fetch_objects(self, shas: List[str]) -> None:
        """Fetch objects by id from the promisor remote, trees with their subtrees but no
        blob (what git's own lazy fetch asks for). The fetch runs in a git directory without
        refs that shares the mirror's objects: in the mirror itself, git would first read
        every tag object its refs name (0.3 s at 50k tags) to learn what is complete."""
        if not shas:
            return
        lazy = _lazy_dir(self.location.commondir)
        env = {"GIT_DIR": lazy, "GIT_OBJECT_DIRECTORY": os.path.join(self.location.commondir, "objects")}
        url = self.remote_url("origin") or ""
        for start in range(0, len(shas), 1000):
            part = shas[start:start + 1000]
            explain("fetching %d object(s) from the remote", len(part))
            result = git(None, "-c", f"remote.origin.url={url}", "-c", "remote.origin.promisor=true",
                         "-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "--no-tags",
                         "--no-write-fetch-head", "--filter=blob:none", "origin", *part,
                         cwd=lazy, env=env, check=False)
            if result.returncode != 0:
                raise GtoError(f"cannot fetch from '{url}': {git_reason(result.stderr)}")

    def tagger(self, name: Optional[str] = None, email: Optional[str] = None) -> Identity:
        from git_gto.git.identity import tagger

        try:
            here: Optional[GitRepo] = GitRepo.discover(None)
        except GtoError:
            here = None
        return tagger(here.location if here is not None else None, name, email)  # None: the global identity


def _lazy_dir(mirror: str) -> str:
    """`<mirror>/gto-lazy`, a git directory with no refs of its own (made once, atomically:
    readers sharing the mirror may race to make it), its objects given as the mirror's."""
    path = os.path.join(mirror, LAZY)
    if os.path.isdir(path) and not os.path.islink(path):
        return path
    tmp = tempfile.mkdtemp(prefix=".new-lazy-", dir=mirror)
    try:
        os.mkdir(os.path.join(tmp, "refs"))
        with open(os.path.join(tmp, "HEAD"), "w") as f:
            f.write("ref: refs/heads/none\n")
        with open(os.path.join(tmp, "config"), "w") as f:
            f.write(LAZY_CONFIG)
        try:
            os.rename(tmp, path)
        except OSError:
            if not os.path.isdir(path) or os.path.islink(path):
                raise GtoError(f"the mirror {mirror} is damaged: {path} is not a directory; remove the "
                               f"mirror (rm -rf '{mirror}') and try again") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


class Mirror:
    """The mirror of one URL, locked for one command (`close` releases it)."""

    def __init__(self, url: str):
        self.url = url
        self.root = cache_root()
        self.path = os.path.join(self.root, mirror_name(url) + ".git")
        self._lock: Optional[int] = None
        self._made_root = False

    def open(self, artifact: Optional[str] = None, write: bool = False) -> MirrorRepo:
        """The mirror, current with the remote (made on first use): for one artifact, its
        tags and the branches; otherwise everything. Held exclusively for a write."""
        self._take_lock(fcntl.LOCK_EX)
        try:
            if not os.path.lexists(self.path):
                self._clone()
            else:
                self._check()
                if artifact is not None:
                    self.fetch(artifact)
                elif not self._current():
                    self.fetch()
            if not write:
                self._take_lock(fcntl.LOCK_SH)
            return self.repo()
        except BaseException:
            self.close()
            raise

    def repo(self) -> MirrorRepo:
        return MirrorRepo(discover(self.path))

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    # -- keeping it current ------------------------------------------------------------------
    def fetch(self, artifact: Optional[str] = None) -> None:
        """One incremental fetch of the tags (or of one artifact's: `NAME@*`, `NAME#*`) and
        the branches; tags and branches gone from the remote go from the mirror too."""
        specs: Sequence[str] = REFSPECS
        if artifact is not None:
            specs = [f"+refs/tags/{artifact}{c}*:refs/tags/{artifact}{c}*" for c in "@#"] + [REFSPECS[1]]
        result = git(None, "fetch", "--quiet", "--prune", "--no-tags", "--no-write-fetch-head",
                     f"--filter={FILTER}", "origin", *specs, cwd=self.path, check=False)
        if result.returncode != 0:
            raise GtoError(f"cannot fetch from '{self.url}': {git_reason(result.stderr)}")

    def _current(self) -> bool:
        """Are the remote's tags and branches those of the mirror (one `git ls-remote`)?"""
        result = git(None, "ls-remote", "--refs", "--tags", "--heads", "origin", cwd=self.path, check=False)
        if result.returncode != 0:
            raise GtoError(f"cannot fetch from '{self.url}': {git_reason(result.stderr)}")
        listed = result.stdout  # --refs: without peeled lines
        snapshot = RefSnapshot(self.path)  # packed-refs read once for both comparisons
        if listed == self._packed_listing(snapshot):  # the common case, compared as text (50k refs: 0.15 s less)
            return True
        remote: Dict[str, str] = {}
        for line in listed.splitlines():
            sha, _, ref = line.partition("\t")
            remote[ref] = sha
        return remote == self._local_refs(snapshot)

    def _packed_listing(self, snapshot: RefSnapshot) -> Optional[str]:
        """The mirror's refs as `git ls-remote --tags --heads` lists them (without peeled
        lines) when they are all in `packed-refs` and are only branches and tags; None
        otherwise (then they are compared one by one)."""
        if snapshot.loose_tag_files() or any(files for _, _, files in os.walk(os.path.join(self.path, "refs", "heads"))):
            return None
        packed = snapshot.searched()  # sorted, as git lists them
        records = [line for line in packed.text[packed.start:].split(b"\n")
                   if line and not line.startswith(b"^")]  # without peeled lines
        listing = b"\n".join(records) + b"\n" if records else b""
        if listing.count(b" refs/heads/") + listing.count(b" refs/tags/") != len(records):
            return None  # a ref of another kind
        return listing.replace(b" ", b"\t").decode("utf-8", "surrogateescape")

    def _local_refs(self, snapshot: RefSnapshot) -> Dict[str, str]:
        """The mirror's tags and branches, ref name -> object id."""
        refs = {"refs/tags/" + name: sha for name, sha in snapshot.tags().items()}
        refs.update({"refs/heads/" + name: sha for name, sha in branches(self.path, self.path, snapshot).items()})
        return refs

    # -- making it, checking it ----------------------------------------------------------------
    def _clone(self) -> None:
        """`git clone --bare --filter=tree:0` into a new directory beside the mirrors, moved
        into place when complete (nothing is left behind when it fails; what a killed clone
        of this mirror left is removed first: it holds the mirror's lock, so no other is at work)."""
        prefix = f".new-{os.path.basename(self.path)}-"
        for name in os.listdir(self.root):
            if name.startswith(prefix):
                shutil.rmtree(os.path.join(self.root, name), ignore_errors=True)
        tmp = tempfile.mkdtemp(prefix=prefix, dir=self.root)
        try:
            explain("making the mirror of %s in %s", self.url, self.path)
            result = git(None, "clone", "--bare", "--quiet", f"--filter={FILTER}", "--template=", "--",
                         self.url, tmp, check=False)
            if result.returncode != 0:
                raise GtoError(f"cannot clone '{self.url}': {git_reason(result.stderr)}")
            for key, value in SETTINGS:
                git(None, "config", key, value, cwd=tmp)
            os.rename(tmp, self.path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            self._forget()
            raise

    def _forget(self) -> None:
        """After a failed first clone: no lock file, and no cache directory we made."""
        try:
            os.unlink(self.path + ".lock")
            if self._made_root:
                os.rmdir(self.root)
        except OSError:
            pass

    def _check(self) -> None:
        """A mirror that is not a bare repository of this URL is refused, not repaired."""
        problem = None
        if os.path.islink(self.path) or not is_controldir(self.path):
            problem = "not a Git repository"
        else:
            url = git(None, "config", "--get", "remote.origin.url", cwd=self.path, check=False)
            if url.returncode != 0 or normalise(url.stdout.strip()) != normalise(self.url):
                problem = f"it mirrors another URL ({git_reason(url.stderr) if url.returncode > 1 else url.stdout.strip() or 'none'})"
        if problem:
            raise GtoError(f"the mirror of '{self.url}' in {self.path} is damaged: {problem}; remove it "
                           f"(rm -rf '{self.path}') and try again")

    def _take_lock(self, how: int) -> None:
        if self._lock is None:
            self._made_root = not os.path.isdir(self.root)
            os.makedirs(self.root, mode=0o700, exist_ok=True)
            try:
                self._lock = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            except OSError as e:
                reason = "a symbolic link" if e.errno == errno.ELOOP else e.strerror
                raise GtoError(f"cannot lock the mirror of '{self.url}' ({self.path}.lock: {reason})") from None
        fcntl.flock(self._lock, how)
