"""The objects of a push not accepted yet: git receives them into a quarantine directory
(GIT_OBJECT_DIRECTORY for the pre-receive and update hooks) and moves them into the
repository only once the hooks accept the push."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Set, Tuple

from git_gto.errors import GtoError


class Quarantine:
    """Read objects from the quarantine directory (loose or packed), None when missing;
    dulwich is opened only for an object stored as a delta."""

    def __init__(self, path: str):
        self.path = path
        self._store: Any = None

    @classmethod
    def of(cls, path: Optional[str], objects: str) -> Optional["Quarantine"]:
        """The quarantine at `path`, unless it is the repository's own `objects`."""
        if not path or not os.path.isdir(path) or os.path.realpath(path) == os.path.realpath(objects):
            return None
        return cls(path)

    def get_raw(self, sha: str) -> Optional[Tuple[int, bytes]]:
        from git_gto.git.packs import CorruptObject, pack_files, read_loose, read_undeltified

        try:
            found = read_loose(self.path, sha)
        except CorruptObject as e:
            raise GtoError(str(e)) from None
        if found is not None:
            return found
        out: dict = {}
        corrupt: Dict[str, str] = {}
        packed: Set[str] = set()
        for pack in pack_files(self.path):
            try:
                read_undeltified(pack, {sha}, out, corrupt, packed)
            except CorruptObject as e:
                raise GtoError(str(e)) from None
            if sha in out:
                return out[sha]
        if sha in corrupt:  # as the repository's own store: a damaged entry is an error, named
            raise GtoError(f"object {sha} is corrupt ({corrupt[sha]})")
        if not packed:
            return None
        if self._store is None:
            from dulwich.object_store import DiskObjectStore

            self._store = DiskObjectStore(self.path)
        try:
            return self._store.get_raw(sha.encode("ascii"))
        except KeyError:
            return None
