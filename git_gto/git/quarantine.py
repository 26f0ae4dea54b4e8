"""The objects of a push not accepted yet: git receives them into a quarantine directory
(GIT_OBJECT_DIRECTORY for the pre-receive and update hooks) and moves them into the
repository only once the hooks accept the push."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, Optional, Tuple

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

    def raw_objects(self, shas: Iterable[str]) -> Dict[str, Tuple[int, bytes]]:
        """(type, content) of the objects it holds, read as the repository's are (packs.read_objects)."""
        from git_gto.git.packs import CorruptObject, read_objects

        try:
            return read_objects(self.path, shas, self._deltified)
        except CorruptObject as e:
            raise GtoError(str(e)) from None

    def _deltified(self, sha: str) -> Optional[Tuple[int, bytes]]:
        if self._store is None:
            from dulwich.object_store import DiskObjectStore

            self._store = DiskObjectStore(self.path)
        try:
            return self._store.get_raw(sha.encode("ascii"))
        except KeyError:
            return None
