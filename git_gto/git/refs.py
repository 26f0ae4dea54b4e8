"""Tag refs: read from `packed-refs` in one pass plus a walk of loose refs (loose ones win),
and created or deleted with git's lock-file protocol."""

from __future__ import annotations

import hashlib
import os
import re
from typing import Dict, List, Optional

from git_gto.errors import GtoError, TagExists
from git_gto.files import UnsafeFile, read_regular

TAGS_PREFIX = "refs/tags/"
# A loose ref is an object id and a newline; packed-refs of 50,000 tags is 5 MB, and 1 GiB
# (ten million refs) still bounds the memory a stray file can take.
LOOSE_REF_LIMIT = 4096
PACKED_REFS_LIMIT = 1024 * 1024 * 1024


_PACKED_TAG = re.compile(rb" refs/tags/([^\n]+)")  # a literal prefix: scanned at C speed


class RefSnapshot:
    """The refs as read once: every view (names, ids, fingerprint) comes from the same read.
    After a write the repository drops its snapshot whole and reads a new one."""

    def __init__(self, commondir: str):
        self.commondir = commondir
        self._packed_raw: Optional[bytes] = None
        self._packed: Optional[Dict[bytes, bytes]] = None
        self._loose_files: Optional[List[str]] = None
        self._loose_digest = b""
        self._tags: Optional[Dict[str, str]] = None

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

    def loose_tag_files(self) -> List[str]:
        """Names of the loose tag ref files, without reading them; also makes the digest of
        their identities (inode, mtime, ctime, size: git rewrites a ref by renaming a new file
        over it, and any rewrite in place moves the ctime), combined order-independently."""
        if self._loose_files is None:
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

    def fingerprint(self) -> bytes:
        """Changes whenever any tag is added, moved or deleted (and, harmlessly, when other
        packed refs change)."""
        self.loose_tag_files()
        return hashlib.sha1(self.packed_bytes() + b"\0" + self._loose_digest).digest()

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
                try:  # a symbolic link, FIFO or other odd file is not a tag
                    content = read_regular(os.path.join(root, name), LOOSE_REF_LIMIT)
                except (UnsafeFile, OSError):
                    continue
                if content and len(content) >= 40 and re.match(rb"[0-9a-f]{40}", content):
                    refs[name] = content[:40].decode("ascii")
            self._tags = refs
        return self._tags

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

    def tag_names_text(self) -> str:
        """Every tag name, one a line, from one scan of packed-refs and the loose ref names:
        for searching with regular expressions (TAB completion) without a loop per tag."""
        packed = b"\n".join(_PACKED_TAG.findall(self.packed_bytes())).decode("utf-8", "surrogateescape")
        return "\n".join([packed, *self.loose_tag_files()])

    def has_tag(self, name: str) -> bool:
        """Is there a tag of that name (the ref file itself, or packed-refs)?"""
        if os.path.isfile(os.path.join(self.commondir, "refs", "tags", name)):
            return True
        return f"refs/tags/{name}".encode("utf-8", "surrogateescape") in self.packed()


# What `git check-ref-format --allow-onelevel` refuses: control characters, space, ~ ^ : ? *
# [ \, "..", "@{", an empty component ("//", a leading or trailing "/"), a component that
# begins with "." or ends with ".lock", a trailing "."; and "@" alone.
_BAD_REFNAME = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|^/|/$|(^|/)\.|\.lock(/|$)|\.$")


def valid_refname(name: str) -> bool:
    """Is `name` a well-formed ref name (git check-ref-format, one-level names allowed)?"""
    return bool(name) and name != "@" and _BAD_REFNAME.search(name) is None


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
            sha = snapshot.packed().get(name.encode("utf-8", "surrogateescape"))
            return sha.decode("ascii") if sha else None
        if content.startswith(b"ref:"):
            name = content[4:].strip().decode("utf-8", "surrogateescape")
            continue
        m = re.match(rb"([0-9a-fA-F]{40})(\s|$)", content)
        return m.group(1).decode("ascii").lower() if m else None
    return None


def add_tag_ref(commondir: str, name: str, sha: bytes) -> bool:
    """Create refs/tags/NAME if it does not exist, with git's lock-file protocol (dulwich's
    own check reads and validates every packed ref); False if it exists."""
    path = os.path.join(commondir, "refs", "tags", *name.split("/"))
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
            packed = os.path.join(commondir, "packed-refs")
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


def remove_tag_ref(refs, name: str) -> None:
    """Delete one tag ref through dulwich's ref container (it rewrites packed-refs under
    its lock)."""
    from dulwich.file import FileLocked

    try:
        refs.remove_if_equals((TAGS_PREFIX + name).encode(), None)
    except FileLocked:
        raise GtoError(
            f"tag '{name}' is being written by another process (a stale .lock file?); "
            "nothing was deleted"
        ) from None
