"""Tag refs: read from `packed-refs` in one pass plus a walk of loose refs (loose ones win),
and created or deleted in one step under git's locks (`update_tags`)."""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

from git_gto.errors import GtoError, TagExists
from git_gto.files import UnsafeFile, read_regular

if TYPE_CHECKING:
    from git_gto.git.lock import WriteLock

TAGS_PREFIX = "refs/tags/"
# A loose ref is an object id and a newline; packed-refs of 50,000 tags is 5 MB, and 1 GiB
# (ten million refs) still bounds the memory a stray file can take.
LOOSE_REF_LIMIT = 4096
PACKED_REFS_LIMIT = 1024 * 1024 * 1024


_PACKED_TAG = re.compile(rb" refs/tags/([^\n]+)")  # a literal prefix: scanned at C speed


MANY_NAMES = 100  # tags looked up by name past which reading every tag once costs less


class RefSnapshot:
    """The refs as read once: every view (names, ids, fingerprint) comes from the same read.
    After a write the repository drops its snapshot whole and reads a new one."""

    def __init__(self, commondir: str):
        self.commondir = commondir
        self._packed_raw: Optional[bytes] = None
        self._packed: Optional[Dict[bytes, bytes]] = None
        self._loose_files: Optional[List[str]] = None
        self._loose_identities: List[str] = []
        self._fingerprint: Optional[bytes] = None
        self._tags: Optional[Dict[str, str]] = None
        self._under: Dict[str, Dict[str, str]] = {}  # tags_under's answers, by prefix
        self._searched: Optional["Packed"] = None

    def packed_bytes(self) -> bytes:
        if self._packed_raw is None:
            path = os.path.join(self.commondir, "packed-refs")
            try:
                self._packed_raw = read_regular(path, PACKED_REFS_LIMIT) or b""
            except UnsafeFile as e:  # the tags cannot be known: say so rather than guess
                raise GtoError(f"cannot read '{path}': {e.reason}") from None
        return self._packed_raw

    def packed(self) -> Dict[bytes, bytes]:
        """All refs of `packed-refs` (name -> sha), parsed once without per-line checks."""
        if self._packed is None:
            packed: Dict[bytes, bytes] = {}
            for line in self.packed_bytes().split(b"\n"):
                if len(line) > 41 and line[40:41] == b" ":
                    packed[line[41:]] = line[:40]
            self._packed = packed
        return self._packed

    def packed_ref(self, name: bytes) -> Optional[bytes]:
        """One ref of `packed-refs` (its id), found by bisection: no table of every ref."""
        if self._packed is not None:
            return self._packed.get(name)
        return self.searched().id_of(name)

    def searched(self) -> "Packed":
        """`packed-refs` for searching by bisection (sorted first if git did not sort it)."""
        if self._searched is None:
            self._searched = Packed(self.packed_bytes())
        return self._searched

    def packed_below(self, prefix: bytes) -> Dict[bytes, bytes]:
        """The refs of `packed-refs` whose names begin with `prefix` (name -> sha), found by
        bisection: no table of every ref."""
        if self._packed is not None:
            return {name: sha for name, sha in self._packed.items() if name.startswith(prefix)}
        return dict(self.searched().records_under(prefix))

    def loose_tag_files(self) -> List[str]:
        """Names of the loose tag ref files, without reading them; also notes their
        identities (inode, mtime, ctime, size: git rewrites a ref by renaming a new file
        over it, and any rewrite in place moves the ctime) for the fingerprint."""
        if self._loose_files is None:
            names: List[str] = []
            identities: List[str] = []
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
                        identities.append(f"{name}\0{st.st_ino} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_size}")
            self._loose_files = names
            self._loose_identities = identities
        return self._loose_files

    def fingerprint(self) -> bytes:
        """Changes whenever any tag is added, moved or deleted (and, harmlessly, when other
        packed refs change); the loose refs' identities combined order-independently."""
        if self._fingerprint is None:
            from git_gto.digests import sha1

            self.loose_tag_files()
            digest = 0
            for identity in self._loose_identities:
                digest ^= int.from_bytes(sha1(identity.encode("utf-8", "surrogateescape")).digest(), "big")
            self._fingerprint = sha1(self.packed_bytes() + b"\0" + digest.to_bytes(20, "big")).digest()
            self._loose_identities = []  # 50k loose refs: megabytes, not needed again
        return self._fingerprint

    def tags(self) -> Dict[str, str]:
        """Tag name -> object id (loose refs win over packed ones)."""
        if self._tags is None:
            refs: Dict[str, str] = {
                name[10:].decode("utf-8", "surrogateescape"): sha.decode("ascii")
                for name, sha in self.packed().items()
                if name[:10] == b"refs/tags/"
            }
            root = os.path.join(self.commondir, "refs", "tags")
            for name in self.loose_tag_files():
                sha = _loose_ref(os.path.join(root, name))
                if sha:
                    refs[name] = sha
            self._tags = refs
        return self._tags

    def tag_ids(self, names: Sequence[str]) -> Dict[str, str]:
        """The object ids of these tags (those that exist), as `tags` would give them, without
        a table of every tag: each loose ref file is read, and packed-refs searched by
        bisection; for many names not read yet (MANY_NAMES), one read of every tag, which
        then costs less."""
        if self._tags is not None:
            return {n: self._tags[n] for n in names if n in self._tags}
        out: Dict[str, str] = {}
        rest = []
        for name in names:  # those of a prefix already read are known, as is their absence
            under = next((found for prefix, found in self._under.items() if name.startswith(prefix)), None)
            if under is None:
                rest.append(name)
            elif name in under:
                out[name] = under[name]
        if len(rest) >= MANY_NAMES:
            every = self.tags()
            return {**out, **{n: every[n] for n in rest if n in every}}
        root = os.path.join(self.commondir, "refs", "tags")
        packed = self._packed
        text = None if packed is not None or not rest else self.searched()
        if text is not None:
            text.find_all([_ref(name) for name in rest])
        for name in rest:
            loose = _loose_ref(os.path.join(root, name))
            if loose:
                out[name] = loose
                continue
            ref = _ref(name)
            sha = packed.get(ref) if packed is not None else text.id_of(ref) if text is not None else None
            if sha is not None:
                out[name] = sha.decode("ascii")
        return out

    def tags_under(self, prefix: str) -> Dict[str, str]:
        """Tag name -> object id of the tags whose names begin with `prefix`, as `tags` would
        give them, without a table of every tag: their range of the sorted packed-refs, and
        the loose ref files of the prefix's folder."""
        if self._tags is not None:
            return {n: sha for n, sha in self._tags.items() if n.startswith(prefix)}
        if prefix in self._under:  # the snapshot is made again after a write
            return dict(self._under[prefix])
        out = {ref[10:].decode("utf-8", "surrogateescape"): sha.decode("ascii")
               for ref, sha in self.packed_below(_ref(prefix)).items()}
        folder, _, start = prefix.rpartition("/")
        root = os.path.join(self.commondir, "refs", "tags")
        try:
            entries = list(os.scandir(os.path.join(root, *folder.split("/")) if folder else root))
        except (FileNotFoundError, NotADirectoryError):
            entries = []
        pending = [(entry, f"{folder}/" if folder else "") for entry in entries if entry.name.startswith(start)]
        while pending:
            entry, parent = pending.pop()
            name = parent + entry.name
            if entry.is_dir(follow_symlinks=False):
                try:
                    pending += [(e, f"{name}/") for e in os.scandir(entry.path)]
                except (FileNotFoundError, NotADirectoryError):
                    pass
                continue
            if entry.name.endswith(".lock"):
                continue
            loose = _loose_ref(entry.path)
            if loose:
                out[name] = loose
        self._under[prefix] = out
        return dict(out)

    def tag_names(self) -> List[str]:
        """All tag names, lightweight ones included (loose ref files are not read)."""
        if self._tags is not None:
            return list(self._tags)
        names = {
            name[10:].decode("utf-8", "surrogateescape")
            for name in self.packed() if name[:10] == b"refs/tags/"
        }
        names.update(self.loose_tag_files())
        return list(names)

    def any_tag(self, wanted: Callable[[str], bool]) -> bool:
        for m in _PACKED_TAG.finditer(self.packed_bytes()):
            if wanted(m.group(1).decode("utf-8", "surrogateescape")):
                return True
        return any(wanted(name) for name in self.loose_tag_files())

    def tag_names_text(self) -> str:
        """Every tag name, one a line, from one scan of packed-refs and the loose ref names:
        for searching with regular expressions (TAB completion) without a loop per tag."""
        packed = b"\n".join(_PACKED_TAG.findall(self.packed_bytes())).decode("utf-8", "surrogateescape")
        return "\n".join([packed, *self.loose_tag_files()])

    def tag_name_parts(self, part: bytes) -> Set[str]:
        """The first group of the pattern `part`, matched at the start of every tag name that
        it matches: one scan of packed-refs at C speed, then the loose ref names."""
        pattern = re.compile(rb" refs/tags/" + part)
        loose = b"".join(b" refs/tags/" + n.encode("utf-8", "surrogateescape") + b"\n"
                         for n in self.loose_tag_files())
        return {p.decode("utf-8", "surrogateescape") for p in {*pattern.findall(self.packed_bytes()),
                                                               *pattern.findall(loose)}}

    def has_tag(self, name: str) -> bool:
        """Is there a tag of that name (the ref file itself, or packed-refs)?"""
        if os.path.isfile(os.path.join(self.commondir, "refs", "tags", name)):
            return True
        return self.packed_ref(_ref(name)) is not None


def _loose_ref(path: str) -> Optional[str]:
    """The object id a loose ref file holds; None for a symbolic link, FIFO or other odd file."""
    try:
        content = read_regular(path, LOOSE_REF_LIMIT)
    except (UnsafeFile, OSError):
        return None
    if content and len(content) >= 40 and re.match(rb"[0-9a-f]{40}", content):
        return content[:40].decode("ascii")
    return None


# What `git check-ref-format --allow-onelevel` refuses: control characters, space, ~ ^ : ? *
# [ \, "..", "@{", an empty component ("//", a leading or trailing "/"), a component that
# begins with "." or ends with ".lock", a trailing "."; and "@" alone.
_BAD_REFNAME = r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|^/|/$|(^|/)\.|\.lock(/|$)|\.$"


_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/")


def valid_refname(name: str) -> bool:
    """Is `name` a well-formed ref name (git check-ref-format, one-level names allowed)?
    Names of letters, digits, -, _ and / (HEAD, refs/heads/main) are told without the
    regular expression (compiling it costs more than the rest of a small read)."""
    if _PLAIN.issuperset(name):
        return bool(name) and "//" not in name and name[0] != "/" and name[-1] != "/"
    return bool(name) and name != "@" and re.search(_BAD_REFNAME, name) is None  # compiled once, by re


def read_ref(controldir: str, commondir: str, snapshot: RefSnapshot, name: str) -> Optional[str]:
    """Follow a ref (symbolic ones too) to an object id, without dulwich's full scans. Only
    well-formed ref names are looked up, so no name reaches a file outside the refs."""
    for _ in range(10):
        if not valid_refname(name):
            return None
        base = controldir if name == "HEAD" or "/" not in name else commondir
        try:
            with open(os.path.join(base, name), "rb") as f:
                content = f.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            sha = snapshot.packed_ref(name.encode("utf-8", "surrogateescape"))
            return sha.decode("ascii") if sha else None
        if content.startswith(b"ref:"):
            name = content[4:].strip().decode("utf-8", "surrogateescape")
            continue
        m = re.match(rb"([0-9a-fA-F]{40})(\s|$)", content)
        return m.group(1).decode("ascii").lower() if m else None
    return None


def branches(controldir: str, commondir: str, snapshot: RefSnapshot) -> Dict[str, str]:
    """Branch name -> commit: the packed refs (found by bisection) and the loose ones, which win."""
    names = {n[11:].decode("utf-8", "surrogateescape") for n in snapshot.packed_below(b"refs/heads/")}
    root = os.path.join(commondir, "refs", "heads")
    for directory, _, files in os.walk(root):
        names.update(os.path.relpath(os.path.join(directory, f), root).replace(os.sep, "/")
                     for f in files if not f.endswith(".lock"))
    found = {name: read_ref(controldir, commondir, snapshot, f"refs/heads/{name}") for name in names}
    return {name: sha for name, sha in found.items() if sha}


class TagLocked(GtoError):
    """One of git's locks on a tag (or on packed-refs) is held by someone else."""


def update_tags(commondir: str, lock: "WriteLock", create: Sequence[Tuple[str, str, Optional[str]]],
                delete: Sequence[str], peel: Callable[[str], Optional[str]]) -> None:
    """Create tags (name, object id, peeled commit id) that must not exist, and delete
    tags, in one step: with git's locks held on every tag and on `packed-refs`, the new
    `packed-refs` is renamed into place, which is the one moment the change happens. Loose
    refs being deleted are first copied into `packed-refs` (their values unchanged), so that
    removing them changes nothing either. Killed at any point, the tags are as before or as
    after; what is left is the lock, which the next writer clears."""
    tags_dir = os.path.join(commondir, "refs", "tags")
    names = [n for n, _, _ in create] + list(delete)
    if len(set(names)) != len(names):
        raise TagExists(f"tag '{next(n for n in names if names.count(n) > 1)}' is given twice")
    for name, _, _ in create:
        _check_folders(tags_dir, name)
    held: List[str] = []
    try:
        for name in names:
            _lock_path(lock, os.path.join(tags_dir, *name.split("/")) + ".lock", f"tag '{name}'", held)
        packed_path = os.path.join(commondir, "packed-refs")
        _lock_path(lock, packed_path + ".lock", "packed-refs", held, wait=1.0)
        packed = Packed(_read_packed(packed_path))
        packed.find_all([_ref(n) for n in names])
        for name, _, _ in create:
            ref = _ref(name)
            if packed.has(ref) or os.path.lexists(os.path.join(tags_dir, *name.split("/"))):
                raise TagExists(f"tag '{name}' already exists")
            _check_packed_clash(packed, name)
        gone = [n for n in delete if packed.has(_ref(n))]
        loose = {}
        for name in delete:
            path = os.path.join(tags_dir, *name.split("/"))
            try:
                content = read_regular(path, LOOSE_REF_LIMIT)
            except (UnsafeFile, OSError):
                content = None
            if content is not None:
                loose[name] = (path, content[:40].decode("ascii", "replace"))
        if loose:  # step 1: the loose values into packed-refs, then the loose files away
            packed = Packed(packed.edit({_ref(n): _record(n, sha, peel(sha)) for n, (_, sha) in loose.items()}))
            _write_packed(lock, commondir, packed.text)
            for path, _ in loose.values():
                os.unlink(path)
        if create or gone or loose:  # step 2: the change
            changes: Dict[bytes, Optional[bytes]] = {_ref(n): None for n in delete}
            changes.update({_ref(n): _record(n, sha, peeled) for n, sha, peeled in create})
            _write_packed(lock, commondir, packed.edit(changes))
    finally:
        for path in reversed(held):
            if lock.owns(path):
                os.unlink(path)
        for name in names:
            _prune_folders(tags_dir, name)


def _lock_path(lock: "WriteLock", path: str, what: str, held: List[str], wait: float = 0.0) -> None:
    """Take git's lock file `path` (a link to our write lock); refused, naming the file,
    when someone else holds it. `wait` is for packed-refs, which git holds briefly."""
    deadline = time.monotonic() + wait
    while True:
        try:
            try:
                lock.link(path)
            except FileNotFoundError:  # its folder is not there yet (a tag named a/b)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                lock.link(path)
            held.append(path)
            return
        except FileExistsError:
            if os.path.isdir(os.path.dirname(path)) and os.path.lexists(path):
                if time.monotonic() < deadline:
                    time.sleep(0.01)
                    continue
                raise TagLocked(
                    f"cannot lock {what}: '{path}' exists; another git process is writing it, or one was "
                    "killed: if no git is running, remove that file (nothing was changed)") from None
            raise _folder_clash(what) from None
        except NotADirectoryError:
            raise _folder_clash(what) from None
        except OSError as e:
            raise GtoError(f"cannot lock {what}: '{path}': {e.strerror} (nothing was changed)") from None


def _folder_clash(what: str) -> GtoError:
    return GtoError(f"cannot create {what}: a tag named like one of its folders exists")


def _check_folders(tags_dir: str, name: str) -> None:
    path = os.path.join(tags_dir, *name.split("/"))
    if os.path.isdir(path):
        raise GtoError(f"cannot create tag '{name}': other tags are named '{name}/...'")


def _ref(name: str) -> bytes:
    return (TAGS_PREFIX + name).encode("utf-8", "surrogateescape")


def _check_packed_clash(packed: "Packed", name: str) -> None:
    """`refs/tags/a` and `refs/tags/a/b` cannot both exist."""
    parts = name.split("/")
    for i in range(1, len(parts)):
        prefix = "/".join(parts[:i])
        if packed.has(_ref(prefix)):
            raise GtoError(f"cannot create tag '{name}': a tag '{prefix}' exists")
    if packed.has_below(_ref(name) + b"/"):
        raise GtoError(f"cannot create tag '{name}': other tags are named '{name}/...'")


def _read_packed(path: str) -> bytes:
    try:
        return read_regular(path, PACKED_REFS_LIMIT) or b""
    except UnsafeFile as e:
        raise GtoError(f"cannot read '{path}': {e.reason} (nothing was changed)") from None


_HEADER = b"# pack-refs with: peeled fully-peeled sorted \n"


class Packed:
    """The text of `packed-refs`, sorted by ref name as git writes it (an unsorted one is
    sorted first), searched by bisection and edited by splicing: a change to a few refs of
    a large file costs a search per ref and one copy."""

    def __init__(self, text: bytes):
        if not text:
            text = _HEADER
        first = _first_line(text)
        if not first.startswith(b"# pack-refs with:") or b" sorted " not in first + b" ":
            text = _sorted(text)
        if not text.endswith(b"\n"):
            text += b"\n"
        self.text = text
        self.start = text.find(b"\n") + 1 if text.startswith(b"#") else 0
        self._found: Dict[bytes, Tuple[int, int, bool]] = {}

    def _record_start(self, lo: int, pos: int) -> int:
        """The start of the record holding offset `pos` (not before `lo`)."""
        text = self.text
        start = max(lo, text.rfind(b"\n", lo, pos) + 1)
        if text[start:start + 1] == b"^" and start > lo:
            start = max(lo, text.rfind(b"\n", lo, start - 1) + 1)
        return start

    def _record_end(self, start: int) -> Tuple[bytes, int]:
        text = self.text
        end = text.find(b"\n", start)
        name = text[start + 41:end]
        end += 1
        if text[end:end + 1] == b"^":
            end = text.find(b"\n", end) + 1
        return name, end

    def find(self, ref: bytes) -> Tuple[int, int, bool]:
        """(start, end, found): where the record of `ref` is, or would go (each ref searched
        once: the text never changes)."""
        found = self._found.get(ref)
        if found is None:
            found = self._found[ref] = self._search(ref, self.start)
        return found

    def find_all(self, refs: Sequence[bytes]) -> None:
        """Find many refs in one forward pass, in order, each searched from where the one
        before it is: neighbours (the tags of one artifact) cost a step each."""
        lo = self.start
        for ref in sorted(set(refs)):
            found = self._found.get(ref)
            if found is None:
                name, end = self._record_end(lo) if lo < len(self.text) else (None, lo)
                if name == ref:
                    found = (lo, end, True)
                elif name is None or name > ref:
                    found = (lo, lo, False)
                else:
                    found = self._search(ref, lo)
                self._found[ref] = found
            lo = found[1]

    def _search(self, ref: bytes, lo: int) -> Tuple[int, int, bool]:
        hi = len(self.text)
        while lo < hi:
            start = self._record_start(lo, (lo + hi) // 2)
            name, end = self._record_end(start)
            if name < ref:
                lo = end
            else:
                hi = start
        if lo < len(self.text):
            name, end = self._record_end(lo)
            if name == ref:
                return lo, end, True
        return lo, lo, False

    def has(self, ref: bytes) -> bool:
        return self.find(ref)[2]

    def records_under(self, prefix: bytes) -> Iterator[Tuple[bytes, bytes]]:
        """(ref, object id) of the refs whose names begin with `prefix`, in order."""
        at = self.find(prefix)[0]
        while at < len(self.text):
            name, end = self._record_end(at)
            if not name.startswith(prefix):
                return
            yield name, self.text[at:at + 40]
            at = end

    def id_of(self, ref: bytes) -> Optional[bytes]:
        """The object id `ref` has here (None: not packed)."""
        start, _, found = self.find(ref)
        return self.text[start:start + 40] if found else None

    def has_below(self, prefix: bytes) -> bool:
        start = self.find(prefix)[0]
        return start < len(self.text) and self._record_end(start)[0].startswith(prefix)

    def edit(self, changes: Dict[bytes, Optional[bytes]]) -> bytes:
        """The text with each ref's record replaced (None: removed; new ones inserted)."""
        spans = sorted((self.find(ref)[:2], ref, record) for ref, record in changes.items())
        text = memoryview(self.text)  # slices without copies: the text is copied once, by join
        out: List[Union[bytes, memoryview]] = []
        at = 0
        for (start, end), _, record in spans:
            out.append(text[at:start])
            if record:
                out.append(record)
            at = end
        out.append(text[at:])
        return b"".join(out)


def _first_line(text: bytes) -> bytes:
    """The first line (not by split: that would copy the whole text)."""
    end = text.find(b"\n")
    return text if end < 0 else text[:end]


def _sorted(text: bytes) -> bytes:
    """An unsorted packed-refs (old or hand-made), sorted, with git's header."""
    records: Dict[bytes, bytes] = {}
    last = None
    for line in text.split(b"\n"):
        if line[:1] == b"^" and last is not None:
            records[last] += line + b"\n"
        elif len(line) > 41 and line[40:41] == b" ":
            last = line[41:]
            records[last] = line + b"\n"
        else:
            last = None
    return _HEADER + b"".join(records[name] for name in sorted(records))


def _record(name: str, sha: str, peeled: Optional[str]) -> bytes:
    line = f"{sha} {TAGS_PREFIX}{name}\n".encode("utf-8", "surrogateescape")
    return line + (f"^{peeled}\n".encode() if peeled and peeled != sha else b"")


def _write_packed(lock: "WriteLock", commondir: str, text: bytes) -> None:
    """Replace packed-refs with `text` in one rename."""
    path = os.path.join(commondir, "packed-refs")
    temp = os.path.join(commondir, "gto", f"packed-refs.{os.getpid()}.new")
    lock.track(temp)
    try:
        with open(temp, "wb") as f:
            f.write(text)
        os.replace(temp, path)
    except OSError as e:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise GtoError(f"cannot write '{path}': {e.strerror} (nothing was changed)") from None


def _prune_folders(tags_dir: str, name: str) -> None:
    """Remove the folders of a deleted tag `a/b/c` that are now empty, as git does."""
    parts = name.split("/")[:-1]
    while parts:
        try:
            os.rmdir(os.path.join(tags_dir, *parts))
        except OSError:
            return
        parts.pop()
