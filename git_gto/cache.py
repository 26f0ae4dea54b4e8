"""The registry cache, `$GIT_DIR/gto/tags.cache`: what was parsed from tags, per artifact.

Tag objects never change, so an artifact whose tags (names and object ids) are the same as
last time has the same registry entries, and the same summaries. Each artifact's shard is
keyed by a fingerprint of its tags: a new, moved or deleted tag rebuilds that artifact only.
Each shard also lists the commits its tags are on, so that "what is on this commit" is
answered without unpacking every artifact's entries, and may keep the artifact's table rows
(marshalled until needed, like its entries: the whole file is unpacked by every command, so
what is in it stays a few objects an artifact). Commits are immutable too: their
headers and their `artifacts.yaml`, parsed (or why it does not parse), are kept by object id.

The file is a BLAKE2b digest of the payload, then the payload (marshal). A file that is not
a regular file, fails the digest or does not have the expected shape is ignored, and rebuilt:
the cache never answers unless it is verified. An artifact read while some of its tag
objects were missing is not kept (it is read again next time).

The cache is never a source of truth for writes (refs are always read afresh), is rebuilt
silently when missing, corrupt or from another format, is replaced atomically (readers never
see half a file; of two writers the last one wins, and both wrote valid data), and a
read-only repository simply goes without it. `GTO_NO_CACHE=1` bypasses it.
"""

from __future__ import annotations

import marshal
import os
import zlib
from typing import Any, Dict, List, Optional, Set, Tuple

from git_gto.files import UnsafeFile, read_regular

FORMAT = 9
CACHE_FILE = os.path.join("gto", "tags.cache")
DIGEST_SIZE = 20
# 50,000 tags make a cache of about 20 MB; past 1 GiB it is not ours, or not worth it.
CACHE_LIMIT = 1024 * 1024 * 1024
ROWS = ("rows",)  # the summary key of an artifact's table rows


def enabled() -> bool:
    return os.environ.get("GTO_NO_CACHE", "").strip().lower() not in ("1", "true", "yes", "on")


def seal(payload: bytes) -> bytes:
    """The file's content: the payload's digest, then the payload."""
    from git_gto.digests import blake2b

    return blake2b(payload, digest_size=DIGEST_SIZE).digest() + payload


def unseal(data: bytes) -> Optional[memoryview]:
    """The payload of a file written by `seal` (a view: not a copy of megabytes), None if
    the digest does not match."""
    from git_gto.digests import blake2b

    payload = memoryview(data)[DIGEST_SIZE:]
    if len(data) < DIGEST_SIZE or blake2b(payload, digest_size=DIGEST_SIZE).digest() != data[:DIGEST_SIZE]:
        return None
    return payload


def fingerprint(refs: Dict[str, str]) -> bytes:
    """Identifies a set of tags (names and object ids), order-independent."""
    from git_gto.digests import sha1

    return sha1("\n".join(sorted(f"{r} {s}" for r, s in refs.items())).encode()).digest()


class Shard:
    """One artifact's part of the cache: its entries (marshalled until needed), the commits
    they are on, the tags left out, and summaries computed from it."""

    __slots__ = ("fingerprint", "first", "blob", "commits", "skipped", "summaries")

    def __init__(self, fp: bytes, first: Optional[tuple], blob: bytes, commits: str,
                 skipped: List[str], summaries: Dict[Any, Any]):
        self.fingerprint = fp
        self.first = first  # (pass, time, tag) of its first entry: where it goes in the registry
        self.blob = blob
        self.commits = commits  # the commits of its entries, space-separated
        self.skipped = skipped
        self.summaries = summaries

    @classmethod
    def of(cls, fp: bytes, entries: list, skipped: List[str]) -> "Shard":
        from git_gto.registry import entry_commit

        commits = " ".join(dict.fromkeys(entry_commit(e) for e in entries))
        return cls(fp, entries[0][:3] if entries else None, marshal.dumps(entries), commits, skipped, {})

    @property
    def entries(self) -> list:
        """Unmarshalled on each use (fast), so that memory holds only what is in use."""
        return marshal.loads(self.blob)

    def on(self) -> List[str]:
        """The commits its entries are on."""
        return self.commits.split()

    def dump(self) -> tuple:
        return (self.fingerprint, self.first, self.blob, self.commits, self.skipped, self.summaries)


class RegistryCache:
    """Shards by artifact name, and commits by object id; read when first used, saved only
    if something changed."""

    def __init__(self, git_dir: str, use: bool = True):
        self.path = os.path.join(git_dir, CACHE_FILE)
        self.use = use
        self._shards: Dict[str, Shard] = {}
        self._commits: Dict[Tuple[str, str], Any] = {}
        self._tags_fingerprint: Optional[bytes] = None  # of all tags when the shards were last checked
        self.transient: Set[str] = set()  # artifacts read with tag objects missing: not saved
        self.dirty = False
        self._loaded = not use

    @property
    def shards(self) -> Dict[str, Shard]:
        self._load()
        return self._shards

    @property
    def commits(self) -> Dict[Tuple[str, str], Any]:
        self._load()
        return self._commits

    @property
    def tags_fingerprint(self) -> Optional[bytes]:
        self._load()
        return self._tags_fingerprint

    def _load(self) -> None:
        """Take the file's content if it is verified; otherwise start empty (and rebuild)."""
        if self._loaded:
            return
        self._loaded = True
        loaded = read_sealed(self.path)
        if _well_formed(loaded):
            _, self._tags_fingerprint, shards, self._commits = loaded
            self._shards = {name: Shard(*data) for name, data in shards.items()}
        else:
            self.dirty = True  # write a good one in place of what is missing or unusable

    def set_tags_fingerprint(self, fp: bytes) -> None:
        if fp != self.tags_fingerprint:
            self._tags_fingerprint = fp
            self.dirty = True

    def shard(self, artifact: str, fp: bytes) -> Optional[Shard]:
        found = self.shards.get(artifact)
        return found if found is not None and found.fingerprint == fp else None

    def put(self, artifact: str, shard: Shard, keep: bool = True) -> None:
        """Use the shard; `keep=False`: for this command only (not saved)."""
        self.shards[artifact] = shard
        if keep:
            self.transient.discard(artifact)
        else:
            self.transient.add(artifact)
        self.dirty = True

    def summary(self, artifact: str, key: tuple) -> Any:
        shard = self.shards.get(artifact)
        return None if shard is None else shard.summaries.get(key)

    def put_summary(self, artifact: str, key: tuple, value: Any) -> None:
        shard = self.shards.get(artifact)
        if shard is not None:
            shard.summaries[key] = value
            self.dirty = True

    def rows(self, artifact: str, read: tuple, shown: bool = False) -> Optional[list]:
        """The artifact's table rows kept for `read` (what was read besides its tags), or
        with `shown` the versions and stages they show (apart: a table needs only its rows).
        Compressed: every command reads the whole file, few of them these rows."""
        found = self.summary(artifact, ROWS)
        if found is None or found[0] != read:
            return None
        return marshal.loads(zlib.decompress(found[2 if shown else 1]))

    def put_rows(self, artifact: str, read: tuple, rows: list, shown: list) -> None:
        """Keep the artifact's table rows and what they show for `read`, in place of any
        kept for another."""
        packed = [zlib.compress(marshal.dumps(value), 1) for value in (rows, shown)]
        self.put_summary(artifact, ROWS, (read, *packed))

    def put_commit(self, key: Tuple[str, str], value: Any) -> None:
        self.commits[key] = value
        self.dirty = True

    def save(self, live: Optional[set] = None) -> None:
        """Write atomically if anything changed, dropping artifacts that are gone."""
        if not (self.use and self.dirty):
            return
        shards = {n: s.dump() for n, s in self.shards.items()
                  if (live is None or n in live) and n not in self.transient}
        # with an artifact left out, the next command must look at the tags again
        everything = None if self.transient else self.tags_fingerprint
        write_sealed(self.path, marshal.dumps((FORMAT, everything, shards, self.commits)))
        self.dirty = False


def read_sealed(path: str) -> Any:
    """The marshalled payload of a file `write_sealed` wrote; None when it is missing,
    not a regular file, or does not verify."""
    try:
        data = read_regular(path, CACHE_LIMIT)
        payload = unseal(data) if data is not None else None
        return marshal.loads(payload) if payload is not None else None
    except (UnsafeFile, OSError, EOFError, ValueError, TypeError):
        return None


def write_sealed(path: str, payload: bytes) -> None:
    """Replace the file with the sealed payload in one rename (nothing on a read-only disk)."""
    import tempfile  # only when the cache changes: not on every command's start-up

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(seal(payload))
                os.fchmod(f.fileno(), 0o666 & ~_umask())
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)  # an empty directory in the way (a full one stays)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def _well_formed(loaded: Any) -> bool:
    """Has the payload the shape this format writes (tuples, dicts and their types)?"""
    if not (isinstance(loaded, tuple) and len(loaded) == 4 and loaded[0] == FORMAT):
        return False
    _, everything, shards, commits = loaded
    if not (everything is None or isinstance(everything, bytes)) or not isinstance(commits, dict):
        return False
    if not isinstance(shards, dict):
        return False
    for name, data in shards.items():
        if not (isinstance(name, str) and isinstance(data, tuple) and len(data) == 6):
            return False
        fp, first, blob, on, skipped, summaries = data
        if not (isinstance(fp, bytes) and (first is None or isinstance(first, tuple))
                and isinstance(blob, bytes) and isinstance(on, str) and isinstance(skipped, list)
                and all(isinstance(s, str) for s in skipped) and isinstance(summaries, dict)):
            return False
    return all(isinstance(k, tuple) and len(k) == 2 for k in commits)


def _umask() -> int:
    """The process's umask, read without changing it (from /proc where there is one: setting
    it, even for a moment, would change the mode of files other threads create)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
