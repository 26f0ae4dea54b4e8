"""A cache of parsed tag objects under `$GIT_DIR/gto/`.

Tag objects are immutable, so what was parsed for one object id stays true. The cache is
keyed by object id, never trusted for writes, rebuilt silently when missing, corrupt or
from another version, and replaced atomically. `GTO_NO_CACHE=1` bypasses it.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    from git_gto.gitrepo import GitRepo, TagObject

CACHE_FORMAT = 1
CACHE_FILE = os.path.join("gto", "tags.cache")

# object id -> (target, target_type, tagger name, email, time, offset, message) or None
Entry = Optional[Tuple[str, int, Optional[str], Optional[str], int, int, str]]


def enabled() -> bool:
    return os.environ.get("GTO_NO_CACHE", "").lower() not in ("1", "true", "yes", "on")


def _read(path: str) -> Dict[str, Entry]:
    try:
        with open(path, "rb") as f:
            fmt, entries = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if fmt != CACHE_FORMAT or not isinstance(entries, dict):
        return {}
    return entries


def _write(path: str, entries: Dict[str, Entry]) -> None:
    """Write atomically; a read-only repository simply goes without a cache."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tags.")
        try:
            with os.fdopen(fd, "wb") as f:
                marshal.dump((CACHE_FORMAT, entries), f)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def load_tags(repo: "GitRepo", refs: Dict[str, str]) -> List["TagObject"]:
    """The annotated tags among `refs`, read from the cache where possible."""
    from git_gto.gitrepo import Identity, TagObject

    use_cache = enabled()
    path = os.path.join(repo.commondir, CACHE_FILE)
    entries = _read(path) if use_cache else {}
    missing = [(name, sha) for name, sha in refs.items() if sha not in entries]
    if missing:
        for sha, tag in repo.read_tag_objects(missing).items():
            if tag is None:
                entries[sha] = None
            else:
                t = tag.tagger
                entries[sha] = (
                    tag.target,
                    tag.target_type,
                    t.name if t else None,
                    t.email if t else None,
                    t.time if t else 0,
                    t.offset if t else 0,
                    tag.message,
                )
    if use_cache and (missing or len(entries) > len(refs)):
        live = set(refs.values())
        _write(path, {sha: e for sha, e in entries.items() if sha in live})
    tags = []
    for name, sha in refs.items():
        e = entries[sha]
        if e is None:
            continue
        tagger = Identity(e[2], e[3], e[4], e[5]) if e[2] is not None else None
        tags.append(TagObject(name, sha, e[0], e[1], tagger, e[6]))
    return tags
