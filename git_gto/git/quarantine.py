"""The objects of a push not accepted yet: git receives them into a quarantine directory
(GIT_OBJECT_DIRECTORY for the pre-receive and update hooks) and moves them into the
repository only once the hooks accept the push."""

from __future__ import annotations

import os
from typing import Any, Optional, Tuple


class Quarantine:
    """Read objects from the quarantine directory (loose or packed), None when missing."""

    def __init__(self, path: str):
        from dulwich.object_store import DiskObjectStore

        self._store: Any = DiskObjectStore(path)

    @classmethod
    def of(cls, path: Optional[str], objects: str) -> Optional["Quarantine"]:
        """The quarantine at `path`, unless it is the repository's own `objects`."""
        if not path or not os.path.isdir(path) or os.path.realpath(path) == os.path.realpath(objects):
            return None
        return cls(path)

    def get_raw(self, sha: str) -> Optional[Tuple[int, bytes]]:
        try:
            return self._store.get_raw(sha.encode("ascii"))
        except KeyError:
            return None
