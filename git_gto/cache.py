"""The registry cache, `$GIT_DIR/gto/tags.cache`: what was parsed from tags, per artifact.

Tag objects never change, so an artifact whose tags (names and object ids) are the same as
last time has the same registry entries, and the same summaries. Each artifact's shard is
keyed by a fingerprint of its tags: a new, moved or deleted tag rebuilds that artifact only.
Commits are immutable too: their headers and `artifacts.yaml` are kept by object id.

The cache is never a source of truth for writes (refs are always read afresh), is rebuilt
silently when missing, corrupt or from another format, is replaced atomically (readers never
see half a file; of two writers the last one wins, and both wrote valid data), and a
read-only repository simply goes without it. `GTO_NO_CACHE=1` bypasses it.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from typing import Any, Dict, List, Optional, Tuple

FORMAT = 5
CACHE_FILE = os.path.join("gto", "tags.cache")


def enabled() -> bool:
    return os.environ.get("GTO_NO_CACHE", "").strip().lower() not in ("1", "true", "yes", "on")


def fingerprint(refs: Dict[str, str]) -> bytes:
    """Identifies a set of tags (names and object ids), order-independent."""
    return hashlib.sha1("\n".join(sorted(f"{r} {s}" for r, s in refs.items())).encode()).digest()


class Shard:
    """One artifact's part of the cache: its entries (marshalled until needed), the tags
    left out, and summaries computed from it."""

    __slots__ = ("fingerprint", "first", "blob", "skipped", "summaries")

    def __init__(self, fp: bytes, first: Optional[tuple], blob: bytes, skipped: List[str],
                 summaries: Dict[Any, Any]):
        self.fingerprint = fp
        self.first = first  # (pass, time, tag) of its first entry: where it goes in the registry
        self.blob = blob
        self.skipped = skipped
        self.summaries = summaries

    @classmethod
    def of(cls, fp: bytes, entries: list, skipped: List[str]) -> "Shard":
        return cls(fp, entries[0][:3] if entries else None, marshal.dumps(entries), skipped, {})

    @property
    def entries(self) -> list:
        """Unmarshalled on each use (fast), so that memory holds only what is in use."""
        return marshal.loads(self.blob)

    def dump(self) -> tuple:
        return (self.fingerprint, self.first, self.blob, self.skipped, self.summaries)


class RegistryCache:
    """Shards by artifact name, and commits by object id; saved only if something changed."""

    def __init__(self, git_dir: str, use: bool = True):
        self.path = os.path.join(git_dir, CACHE_FILE)
        self.use = use
        self.shards: Dict[str, Shard] = {}
        self.commits: Dict[Tuple[str, str], Any] = {}
        self.tags_fingerprint: Optional[bytes] = None  # of all tags when the shards were last checked
        self.dirty = False
        if use:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                fmt, everything, shards, commits = marshal.load(f)
            if fmt != FORMAT:
                return
            self.shards = {name: Shard(*data) for name, data in shards.items()}
            self.commits = commits
            self.tags_fingerprint = everything
        except (OSError, EOFError, ValueError, TypeError):
            self.shards, self.commits, self.tags_fingerprint = {}, {}, None

    def set_tags_fingerprint(self, fp: bytes) -> None:
        if fp != self.tags_fingerprint:
            self.tags_fingerprint = fp
            self.dirty = True

    def shard(self, artifact: str, fp: bytes) -> Optional[Shard]:
        found = self.shards.get(artifact)
        return found if found is not None and found.fingerprint == fp else None

    def put(self, artifact: str, shard: Shard) -> None:
        self.shards[artifact] = shard
        self.dirty = True

    def summary(self, artifact: str, key: tuple) -> Any:
        shard = self.shards.get(artifact)
        return None if shard is None else shard.summaries.get(key)

    def put_summary(self, artifact: str, key: tuple, value: Any) -> None:
        shard = self.shards.get(artifact)
        if shard is not None:
            shard.summaries[key] = value
            self.dirty = True

    def put_commit(self, key: Tuple[str, str], value: Any) -> None:
        self.commits[key] = value
        self.dirty = True

    def save(self, live: Optional[set] = None) -> None:
        """Write atomically if anything changed, dropping artifacts that are gone."""
        if not (self.use and self.dirty):
            return
        shards = {n: s.dump() for n, s in self.shards.items() if live is None or n in live}
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(self.path), prefix=".tags.")
            try:
                with os.fdopen(fd, "wb") as f:
                    marshal.dump((FORMAT, self.tags_fingerprint, shards, self.commits), f)
                    os.fchmod(f.fileno(), 0o666 & ~_umask())
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            pass
        self.dirty = False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
