"""The one module that touches Git storage (through dulwich): find the repository,
scan tags fast, resolve revisions, read files at a commit, create and delete tags."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple

from git_gto.errors import GtoError, NotARepository, RefNotFound, TagExists

TAGS_PREFIX = "refs/tags/"
OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_TAG = 1, 2, 3, 4
TYPE_NAMES = {b"commit": OBJ_COMMIT, b"tree": OBJ_TREE, b"blob": OBJ_BLOB, b"tag": OBJ_TAG}


class Identity(NamedTuple):
    """A tagger or committer: name, email, epoch seconds and UTC offset in seconds."""

    name: str
    email: str
    time: int
    offset: int


class TagObject(NamedTuple):
    """What the registry needs of an annotated tag (a tuple: tens of thousands are made)."""

    ref: str  # the tag name (refs/tags/ stripped)
    sha: str  # the tag object
    target: str  # the object it points at, one level down
    target_type: int
    tagger: Optional[Identity]
    message: str  # stripped of surrounding white space


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    author: Identity
    committer: Identity
    message: str  # raw, trailing newline kept


@dataclass(frozen=True)
class NewTag:
    name: str
    target: str
    message: str


def _parse_identity(line: bytes) -> Optional[Identity]:
    """`Name <email> 1700000000 +0100` -> Identity (string operations: this runs per tag)."""
    lt = line.find(b"<")
    gt = line.find(b">", lt)
    if lt < 0 or gt < 0:
        return None
    when = line[gt + 1:].split()
    try:
        epoch = int(when[0]) if when else 0
    except ValueError:
        return None
    offset = 0
    if len(when) > 1 and len(when[1]) == 5 and when[1][1:].isdigit():
        tz = when[1]
        offset = (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60) * (-1 if tz[:1] == b"-" else 1)
    return Identity(
        line[:lt].rstrip().decode("utf-8", "replace"),
        line[lt + 1:gt].decode("utf-8", "replace"),
        epoch,
        offset,
    )


def _split_object(raw: bytes) -> Tuple[Dict[bytes, bytes], bytes]:
    """Headers (first occurrence of each) and body of a commit or tag object."""
    head, _, body = raw.partition(b"\n\n")
    headers: Dict[bytes, bytes] = {}
    for line in head.split(b"\n"):
        if line[:1] == b" ":  # continuation (gpgsig, mergetag)
            continue
        key, _, value = line.partition(b" ")
        headers.setdefault(key, value)
    return headers, body


_TAG_HEAD = re.compile(
    rb"object ([0-9a-f]{40})\ntype (\w+)\ntag [^\n]*\ntagger ([^<\n]*?) ?<([^>\n]*)> (\d+) ([+-])(\d\d)(\d\d)\n\n"
)


def parse_tag_object(ref: str, sha: str, raw: bytes) -> TagObject:
    """Parse a tag object's headers (object, type, tagger) and message: one regular
    expression for the usual layout, a line by line reading for anything else."""
    m = _TAG_HEAD.match(raw)
    if m:
        target, type_name, name, email, epoch, sign, hours, minutes = m.groups()
        offset = (int(hours) * 3600 + int(minutes) * 60) * (-1 if sign == b"-" else 1)
        return TagObject(
            ref, sha, target.decode("ascii"), TYPE_NAMES.get(type_name, 0),
            Identity(name.decode("utf-8", "replace"), email.decode("utf-8", "replace"), int(epoch), offset),
            raw[m.end():].decode("utf-8", "replace").strip(),
        )
    headers, body = _split_object(raw)
    tagger = _parse_identity(headers[b"tagger"]) if b"tagger" in headers else None
    return TagObject(ref, sha, headers.get(b"object", b"").decode("ascii"),
                     TYPE_NAMES.get(headers.get(b"type", b""), 0), tagger,
                     body.decode("utf-8", "replace").strip())


def parse_git_date(value: str) -> Tuple[int, int]:
    """Parse the date forms git accepts in GIT_COMMITTER_DATE -> (epoch, offset seconds)."""
    import datetime as dt
    from email.utils import parsedate_tz

    text = value.strip()
    m = re.fullmatch(r"@?(\d+)(?: ([+-]\d{4}))?", text)
    if m:
        return int(m.group(1)), _offset_of(m.group(2) or "+0000")
    m = re.fullmatch(
        r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.\d+)? ?(Z|[+-]\d\d:?\d\d)?", text
    )
    if m:
        tz = m.group(3) or None
        offset = 0 if tz in (None, "Z") else _offset_of(tz.replace(":", ""))
        if tz is None:
            offset = time.localtime().tm_gmtoff
        naive = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}")
        epoch = int(naive.replace(tzinfo=dt.timezone(dt.timedelta(seconds=offset))).timestamp())
        return epoch, offset
    parsed = parsedate_tz(text)
    if parsed:
        from email.utils import mktime_tz

        return int(mktime_tz(parsed)), parsed[9] or 0
    raise GtoError(f"invalid date format: {value}")


def _offset_of(tz: str) -> int:
    sign = -1 if tz[0] == "-" else 1
    return sign * (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60)


def _locate(pack, shas: Iterable[str]) -> List[Tuple[int, str]]:
    """(offset, sha) of the objects this pack has: a bisection in its version 2 `.idx`
    file (dulwich's lookup calls back into Python at every step)."""
    import mmap
    import struct

    path = os.fspath(pack.data.path)[:-5] + ".idx"
    found: List[Tuple[int, str]] = []
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as idx:
        if idx[:8] != b"\xfftOc\x00\x00\x00\x02":
            index = pack.index
            for sha in shas:
                try:
                    found.append((index.object_offset(sha.encode("ascii")), sha))
                except KeyError:
                    continue
            return found
        fanout = struct.unpack_from(">256I", idx, 8)
        count = fanout[255]
        names = 8 + 1024
        offsets = names + count * 24
        large = offsets + count * 4
        for sha in shas:
            key = bytes.fromhex(sha)
            lo = fanout[key[0] - 1] if key[0] else 0
            hi = fanout[key[0]]
            while lo < hi:
                mid = (lo + hi) // 2
                at = names + mid * 20
                name = idx[at:at + 20]
                if name < key:
                    lo = mid + 1
                elif name > key:
                    hi = mid
                else:
                    offset = struct.unpack_from(">I", idx, offsets + mid * 4)[0]
                    if offset & 0x80000000:
                        offset = struct.unpack_from(">Q", idx, large + (offset & 0x7FFFFFFF) * 8)[0]
                    found.append((offset, sha))
                    break
    return found


class GitRepo:
    """A repository found the way git finds it (GIT_DIR, GIT_WORK_TREE, .git files)."""

    def __init__(self, controldir: str, worktree: Optional[str]):
        self.controldir = controldir
        self.worktree = worktree
        self.commondir = controldir
        commondir_file = os.path.join(controldir, "commondir")
        if os.path.isfile(commondir_file):
            with open(commondir_file) as f:
                self.commondir = os.path.normpath(os.path.join(controldir, f.read().strip()))
        self._dulwich = None
        self._tags: Optional[List[TagObject]] = None
        self._refs: Optional[Dict[str, str]] = None
        self._packed: Optional[Dict[bytes, bytes]] = None
        self._loose_files: Optional[List[str]] = None
        self._loose_digest = b""
        self._packed_raw: Optional[bytes] = None

    # -- discovery -----------------------------------------------------------------------
    @classmethod
    def discover(cls, path: Optional[str] = None) -> "GitRepo":
        """Open the repository at or above `path` (default: the current directory)."""
        env_dir = os.environ.get("GIT_DIR")
        if path is None and env_dir:
            controldir = os.path.abspath(env_dir)
            if not _is_controldir(controldir):
                raise NotARepository(f"not a git repository: '{env_dir}'")
            worktree = os.environ.get("GIT_WORK_TREE")
            if worktree is None and not _is_bare(controldir):
                worktree = os.getcwd()
            return cls(controldir, os.path.abspath(worktree) if worktree else None)
        start = os.path.abspath(path or os.getcwd())
        if not os.path.isdir(start):
            raise NotARepository(f"not a git repository: '{path}'")
        ceilings = [
            os.path.abspath(p) for p in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(":") if p
        ]
        current = start
        while True:
            dotgit = os.path.join(current, ".git")
            if os.path.isdir(dotgit) and _is_controldir(dotgit):
                return cls(dotgit, current)
            if os.path.isfile(dotgit):
                with open(dotgit) as f:
                    content = f.read().strip()
                if content.startswith("gitdir:"):
                    target = os.path.join(current, content[len("gitdir:"):].strip())
                    return cls(os.path.normpath(target), current)
            if _is_controldir(current) and _is_bare(current):
                return cls(current, None)
            parent = os.path.dirname(current)
            if parent == current or parent in ceilings:
                break
            current = parent
        raise NotARepository("not a git repository (or any of the parent directories): .git")

    @property
    def dulwich(self):
        """The dulwich Repo, opened once per process."""
        if self._dulwich is None:
            from dulwich.repo import Repo

            kwargs = {"controldir": self.controldir}
            if self.worktree:
                kwargs["worktree"] = self.worktree
            self._dulwich = Repo(**kwargs)
        return self._dulwich

    def close(self) -> None:
        """Release dulwich's open pack files, if it was used."""
        if self._dulwich is not None:
            self._dulwich.close()
            self._dulwich = None

    # -- refs ------------------------------------------------------------------------------
    def _packed_refs(self) -> Dict[bytes, bytes]:
        """All refs of `packed-refs` (name -> sha), parsed once without per-line checks."""
        if self._packed is None:
            packed: Dict[bytes, bytes] = {}
            for line in self._packed_bytes().split(b"\n"):
                if len(line) > 41 and line[40:41] == b" ":
                    packed[line[41:]] = line[:40]
            self._packed = packed
        return self._packed

    def _packed_bytes(self) -> bytes:
        """packed-refs as read once (every view of the refs comes from the same read)."""
        if self._packed_raw is None:
            try:
                with open(os.path.join(self.commondir, "packed-refs"), "rb") as f:
                    self._packed_raw = f.read()
            except FileNotFoundError:
                self._packed_raw = b""
        return self._packed_raw

    def _loose_tag_files(self) -> List[str]:
        """Names of the loose tag ref files, without reading them; also makes the digest of
        their identities (inode, mtime, ctime, size: git rewrites a ref by renaming a new file
        over it, and any rewrite in place moves the ctime), combined order-independently so
        that nothing else needs keeping."""
        if self._loose_files is None:
            import hashlib

            names: List[str] = []
            digest = 0
            pending = [(os.path.join(self.commondir, "refs", "tags"), "")]
            while pending:
                directory, prefix = pending.pop()
                try:
                    entries = list(os.scandir(directory))
                except (FileNotFoundError, NotADirectoryError):
                    continue
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, f"{prefix}{entry.name}/"))
                    elif not entry.name.endswith(".lock"):
                        st = entry.stat(follow_symlinks=False)
                        name = prefix + entry.name
                        names.append(name)
                        identity = f"{name}\0{st.st_ino} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_size}"
                        digest ^= int.from_bytes(
                            hashlib.sha1(identity.encode("utf-8", "surrogateescape")).digest(), "big")
            self._loose_files = names
            self._loose_digest = digest.to_bytes(20, "big")
        return self._loose_files

    def _loose_tag_refs(self) -> Dict[str, str]:
        loose: Dict[str, str] = {}
        root = os.path.join(self.commondir, "refs", "tags")
        for name in self._loose_tag_files():
            try:
                with open(os.path.join(root, name), "rb") as f:
                    content = f.read(41)
            except OSError:
                continue
            if len(content) >= 40 and re.match(rb"[0-9a-f]{40}", content):
                loose[name] = content[:40].decode("ascii")
        return loose

    def tags_fingerprint(self) -> bytes:
        """Changes whenever any tag is added, moved or deleted (and, harmlessly, when other
        packed refs change): packed-refs as it is, plus each loose tag's name and file
        identity (git rewrites a ref by renaming a new file over it)."""
        import hashlib

        self._loose_tag_files()
        return hashlib.sha1(self._packed_bytes() + b"\0" + self._loose_digest).digest()

    def tag_refs(self) -> Dict[str, str]:
        """Tag name -> object id, from packed-refs and loose refs (loose ones win)."""
        if self._refs is None:
            refs: Dict[str, str] = {
                name[10:].decode("utf-8", "surrogateescape"): sha.decode("ascii")
                for name, sha in self._packed_refs().items()
                if name[:10] == b"refs/tags/"
            }
            refs.update(self._loose_tag_refs())
            self._refs = refs
        return self._refs

    def read_ref(self, name: str) -> Optional[str]:
        """Follow a ref (symbolic ones too) to an object id, without dulwich's full scans."""
        for _ in range(10):
            base = self.controldir if name == "HEAD" or "/" not in name else self.commondir
            try:
                with open(os.path.join(base, name), "rb") as f:
                    content = f.read().strip()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                sha = self._packed_refs().get(name.encode())
                return sha.decode("ascii") if sha else None
            if content.startswith(b"ref: "):
                name = content[5:].decode("utf-8", "surrogateescape")
                continue
            return content[:40].decode("ascii") if len(content) >= 40 else None
        return None

    def tag_names(self) -> List[str]:
        """All tag names, lightweight ones included (loose ref files are not read)."""
        if self._refs is not None:
            return list(self._refs)
        names = {
            name[10:].decode("utf-8", "surrogateescape")
            for name in self._packed_refs() if name[:10] == b"refs/tags/"
        }
        names.update(self._loose_tag_files())
        return list(names)

    def has_tag(self, name: str) -> bool:
        """Is there a tag of that name (from the refs, never from a cache)?"""
        if os.path.isfile(os.path.join(self.commondir, "refs", "tags", name)):
            return True
        return f"refs/tags/{name}".encode("utf-8", "surrogateescape") in self._packed_refs()

    # -- tag objects -----------------------------------------------------------------------
    def annotated_tags(self) -> List[TagObject]:
        """Every annotated tag, parsed (no cache); lightweight tags are left out."""
        if self._tags is None:
            objects = self.read_tag_objects(self.tag_refs().items())
            self._tags = [tag for tag in objects.values() if tag is not None]
        return self._tags

    def read_tag_objects(self, refs: Iterable[Tuple[str, str]]) -> Dict[str, Optional[TagObject]]:
        """Read the objects behind refs: tag name -> TagObject, or None for non-tags."""
        refs = list(refs)
        raw = self.raw_objects({sha for _, sha in refs})
        out: Dict[str, Optional[TagObject]] = {}
        for name, sha in refs:
            found = raw.get(sha)
            out[name] = parse_tag_object(name, sha, found[1]) if found and found[0] == OBJ_TAG else None
        return out

    def raw_objects(self, shas: Iterable[str]) -> Dict[str, Tuple[int, bytes]]:
        """(type, content) of objects, read straight from the packs in offset order, without
        re-hashing; deltified and loose objects go through dulwich. Missing ones are left out."""
        import mmap
        import zlib

        store = self.dulwich.object_store
        pending = set(shas)
        out: Dict[str, Tuple[int, bytes]] = {}
        for pack in list(store.packs):
            if not pending:
                break
            located = _locate(pack, pending)
            if not located:
                continue
            located.sort()
            with open(pack.data.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                for offset, sha in located:
                    byte = data[offset]
                    type_num, size, shift, pos = (byte >> 4) & 7, byte & 15, 4, offset + 1
                    while byte & 0x80:
                        byte = data[pos]
                        size |= (byte & 0x7F) << shift
                        shift += 7
                        pos += 1
                    if 1 <= type_num <= 4:
                        content = zlib.decompressobj().decompress(data[pos:pos + size + 1024], size)
                        if len(content) == size:
                            out[sha] = (type_num, content)
                            pending.discard(sha)
        for sha in list(pending):
            try:
                out[sha] = store.get_raw(sha.encode("ascii"))
            except KeyError:
                continue
        return out

    # -- revisions and commits -----------------------------------------------------------
    def head(self) -> Optional[str]:
        """The commit HEAD points at, or None in a repository without commits."""
        return self.read_ref("HEAD")

    def resolve(self, rev: str) -> str:
        """Resolve a revision to a commit sha, as git does: a sha or unique prefix, a ref
        (HEAD, branch, tag, remote branch), then any `~N`, `^N`, `^{commit}` suffixes."""
        m = re.fullmatch(r"([^~^@:]+)((?:~\d*|\^\d*|\^\{\w*\})*)", rev)
        sha = self._resolve_base(m.group(1)) if m else None
        if sha is None:
            return self._git_rev_parse(rev)
        sha = self._peel_to_commit(sha, rev)
        for op, num in re.findall(r"([~^])(\{\w*\}|\d*)", m.group(2)):
            if num.startswith("{"):
                if num not in ("{}", "{commit}"):
                    raise RefNotFound(f"'{rev}' does not name a commit")
                continue
            count = int(num) if num else 1
            if op == "~":
                for _ in range(count):
                    sha = self._parent(sha, 1, rev)
            elif count:
                sha = self._parent(sha, count, rev)
        return sha

    def _git_rev_parse(self, rev: str) -> str:
        """Revisions beyond the common forms (`@{-1}`, `HEAD@{1}`, `:/text`, `^{/re}`...): ask
        git, the authority on its revision syntax."""
        import subprocess

        env = dict(os.environ, GIT_DIR=self.controldir)
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", rev],
            cwd=self.worktree or self.controldir, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        if result.returncode != 0 or not result.stdout.strip():
            if rev in ("HEAD", "@") and self.head() is None:
                raise RefNotFound("the repository has no commits yet")
            raise RefNotFound(f"unknown revision '{rev}'")
        return self._peel_to_commit(result.stdout.strip(), rev)

    def _resolve_base(self, name: str) -> Optional[str]:
        store = self.dulwich.object_store
        if re.fullmatch(r"[0-9a-fA-F]{40}", name) and name.lower().encode() in store:
            return name.lower()
        for candidate in (name, f"refs/{name}", f"refs/tags/{name}", f"refs/heads/{name}",
                          f"refs/remotes/{name}", f"refs/remotes/{name}/HEAD"):
            if candidate != "HEAD" and "/" not in candidate and candidate.upper() != candidate:
                continue  # like git: only all-caps names (HEAD, FETCH_HEAD...) live at the top
            sha = self.read_ref(candidate)
            if sha is not None:
                return sha
        if re.fullmatch(r"[0-9a-fA-F]{4,39}", name):
            found = list(store.iter_prefix(name.lower().encode()))
            commits = [s for s in found if store.get_raw(s)[0] in (OBJ_COMMIT, OBJ_TAG)]
            if len(commits) == 1:
                sha = commits[0]
                return sha.decode("ascii") if isinstance(sha, bytes) else sha
            if len(commits) > 1:
                raise RefNotFound(f"short object ID {name} is ambiguous")
        return None

    def _peel_to_commit(self, sha: str, rev: str) -> str:
        try:
            return self.read_commit(sha).sha
        except (GtoError, KeyError):
            raise RefNotFound(f"'{rev}' does not name a commit") from None

    def _parent(self, sha: str, n: int, rev: str) -> str:
        raw = self.dulwich.object_store.get_raw(sha.encode("ascii"))[1]
        head, _, _ = raw.partition(b"\n\n")
        parents = [l[7:].decode("ascii") for l in head.split(b"\n") if l.startswith(b"parent ")]
        if len(parents) < n:
            raise RefNotFound(f"unknown revision '{rev}'")
        return parents[n - 1]

    def read_commit(self, sha: str) -> CommitInfo:
        type_num, raw = self.dulwich.object_store.get_raw(sha.encode("ascii"))
        while type_num == OBJ_TAG:
            sha = _split_object(raw)[0][b"object"].decode("ascii")
            type_num, raw = self.dulwich.object_store.get_raw(sha.encode("ascii"))
        if type_num != OBJ_COMMIT:
            raise GtoError(f"object {sha} is not a commit")
        headers, body = _split_object(raw)
        return CommitInfo(
            sha=sha,
            tree=headers[b"tree"].decode("ascii"),
            author=_parse_identity(headers[b"author"]),
            committer=_parse_identity(headers[b"committer"]),
            message=body.decode("utf-8", "replace"),
        )

    def read_file(self, commit_sha: str, path: str) -> Optional[bytes]:
        """The content of `path` in a commit, or None if it is not there."""
        from dulwich.object_store import tree_lookup_path

        store = self.dulwich.object_store
        tree = self.read_commit(commit_sha).tree
        try:
            mode, sha = tree_lookup_path(store.__getitem__, tree.encode("ascii"), path.encode())
        except KeyError:
            return None
        obj = store[sha]
        return obj.data if obj.type_name == b"blob" else None

    def path_exists(self, commit_sha: str, path: str) -> bool:
        from dulwich.object_store import tree_lookup_path

        tree = self.read_commit(commit_sha).tree
        try:
            tree_lookup_path(self.dulwich.object_store.__getitem__, tree.encode("ascii"), path.encode())
        except KeyError:
            return False
        return True

    def branches(self) -> Dict[str, str]:
        return {
            name.decode(): sha.decode()
            for name, sha in self.dulwich.refs.as_dict(b"refs/heads").items()
        }

    def first_parent_history(self, sha: str) -> List[str]:
        out = []
        seen = set()
        current: Optional[str] = sha
        while current and current not in seen:
            seen.add(current)
            out.append(current)
            raw = self.dulwich.object_store.get_raw(current.encode())[1]
            headers, _ = _split_object(raw)
            parent = headers.get(b"parent")
            current = parent.decode() if parent else None
        return out

    # -- writing tags ---------------------------------------------------------------------
    def tagger(self) -> Identity:
        """The tagger git would use: GIT_COMMITTER_* first, then user.name/user.email."""
        name = os.environ.get("GIT_COMMITTER_NAME")
        email = os.environ.get("GIT_COMMITTER_EMAIL")
        if name is None or email is None:
            config = self.dulwich.get_config_stack()
            if name is None:
                name = _config_value(config, b"user", b"name")
            if email is None:
                email = _config_value(config, b"user", b"email")
        if not name or email is None:
            raise GtoError(
                "Author identity unknown: set user.name and user.email "
                "(git config --global user.name 'Your Name')"
            )
        date = os.environ.get("GIT_COMMITTER_DATE")
        if date:
            epoch, offset = parse_git_date(date)
        else:
            epoch = int(time.time())
            offset = time.localtime(epoch).tm_gmtoff
        return Identity(name, email, epoch, offset)

    def create_tags(self, tags: List[NewTag]) -> None:
        """Create annotated tags, all or none: any existing name makes the whole call fail."""
        from dulwich.objects import Commit, Tag
        from dulwich.refs import check_ref_format

        for tag in tags:
            if not check_ref_format((TAGS_PREFIX + tag.name).encode()):
                raise GtoError(f"'{tag.name}' is not a valid Git tag name (see git check-ref-format)")
            if self.has_tag(tag.name):
                raise TagExists(f"tag '{tag.name}' already exists")
        identity = self.tagger()
        objects = []
        for tag in tags:
            obj = Tag()
            obj.name = tag.name.encode()
            obj.object = (Commit, tag.target.encode())
            obj.tagger = f"{identity.name} <{identity.email}>".encode()
            obj.tag_time = identity.time
            obj.tag_timezone = identity.offset
            obj.message = tag.message.encode() + b"\n"
            objects.append(obj)
        store = self.dulwich.object_store
        for obj in objects:
            _add_object(store, obj)
        created: List[str] = []
        try:
            for tag, obj in zip(tags, objects):
                if not self._add_tag_ref(tag.name, obj.id):
                    raise TagExists(f"tag '{tag.name}' already exists")
                created.append(tag.name)
        except BaseException:
            self.delete_tags(created)
            raise
        finally:
            self._forget_refs()

    def _add_tag_ref(self, name: str, sha: bytes) -> bool:
        """Create refs/tags/NAME if it does not exist, with git's lock-file protocol (dulwich's
        own check reads and validates every packed ref); False if it exists."""
        path = os.path.join(self.commondir, "refs", "tags", *name.split("/"))
        lock = path + ".lock"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            if os.path.exists(lock):
                raise TagExists(f"tag '{name}' already exists or is being written by another process") from None
            raise GtoError(f"cannot create tag '{name}': a tag named like one of its folders exists") from None
        except NotADirectoryError:
            raise GtoError(f"cannot create tag '{name}': a tag named like one of its folders exists") from None
        renamed = False
        try:
            with os.fdopen(fd, "wb") as f:
                packed = os.path.join(self.commondir, "packed-refs")
                text = b""
                if os.path.exists(packed):
                    with open(packed, "rb") as p:
                        text = p.read()
                ref = f"refs/tags/{name}".encode("utf-8", "surrogateescape")
                if os.path.isdir(path) or b" " + ref + b"/" in text:
                    raise GtoError(f"cannot create tag '{name}': other tags are named '{name}/...'")
                if b" " + ref + b"\n" in text + b"\n" or os.path.exists(path):
                    return False
                parts = name.split("/")
                for i in range(1, len(parts)):
                    prefix = "/".join(parts[:i])
                    if b" refs/tags/" + prefix.encode("utf-8", "surrogateescape") + b"\n" in text + b"\n":
                        raise GtoError(f"cannot create tag '{name}': a tag '{prefix}' exists")
                f.write(sha + b"\n")
            os.rename(lock, path)
            renamed = True
            return True
        finally:
            if not renamed:  # our lock only: once renamed, a lock of that name is another writer's
                os.unlink(lock)

    def delete_tags(self, names: Iterable[str]) -> None:
        """Delete tags, all or none: if one cannot be deleted, those already deleted are
        put back."""
        from dulwich.file import FileLocked

        names = list(names)
        shas = {name: self.tag_refs().get(name, "") for name in names}
        deleted: List[Tuple[str, str]] = []
        try:
            for name in names:
                try:
                    self.dulwich.refs.remove_if_equals((TAGS_PREFIX + name).encode(), None)
                except FileLocked:
                    raise GtoError(
                        f"tag '{name}' is being written by another process (a stale .lock file?); "
                        "nothing was deleted"
                    ) from None
                deleted.append((name, shas[name]))
        except BaseException:
            self._forget_refs()
            self.restore_tags(deleted)
            raise
        finally:
            self._forget_refs()

    def _forget_refs(self) -> None:
        self._refs = None
        self._tags = None
        self._packed = None
        self._loose_files = None
        self._packed_raw = None

    def restore_tags(self, tags: Iterable[Tuple[str, str]]) -> None:
        """Put deleted tags back (their objects are still in the object store)."""
        for name, sha in tags:
            if sha:
                self._add_tag_ref(name, sha.encode())
        self._forget_refs()


def _add_object(store, obj) -> None:
    """Store an object; when another process is writing the very same object (same id,
    same bytes), wait for it rather than fail."""
    from dulwich.file import FileLocked

    for _ in range(50):
        try:
            store.add_object(obj)
            return
        except FileLocked:
            if obj.id in store:
                return
            time.sleep(0.02)
    raise GtoError(f"object {obj.id.decode()} is locked by another process (a stale .lock file?)")


def _config_value(config, section: bytes, key: bytes) -> Optional[str]:
    try:
        value = config.get(section, key)
    except KeyError:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _is_controldir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "HEAD")) and (
        os.path.isdir(os.path.join(path, "objects")) or os.path.isfile(os.path.join(path, "commondir"))
    )


def _is_bare(path: str) -> bool:
    """A control directory with no work tree of its own (not a `.git` directory)."""
    if os.path.basename(os.path.normpath(path)) == ".git":
        return False
    config = os.path.join(path, "config")
    try:
        with open(config) as f:
            text = f.read()
    except OSError:
        return True
    m = re.search(r"^\s*bare\s*=\s*(\w+)", text, re.MULTILINE | re.IGNORECASE)
    return not m or m.group(1).lower() in ("true", "yes", "1", "on")
