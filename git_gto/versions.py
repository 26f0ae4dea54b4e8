"""Version names: SemVer with a `v` prefix, ordering and bumping."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Iterable, List, Optional, TypeVar

from git_gto.tags import is_version

T = TypeVar("T")


@lru_cache(maxsize=None)
def semver_key(version: str):
    """A sort key with SemVer precedence (build metadata ignored) for a `vX.Y.Z` name."""
    import semver

    return semver.Version.parse(version[1:])


def bump(version: str, part: str) -> str:
    """Bump `major`, `minor` or `patch`; prerelease and build metadata are dropped."""
    parsed = semver_key(version)
    return "v" + str(getattr(parsed, f"bump_{part}")())


def sort_versions(items: Iterable[T], name: Callable[[T], str], descending: bool = True) -> List[T]:
    """SemVer names first in precedence order, then other names (commit SHAs) by string.

    Both groups are reversed when `descending`; ties keep their order before reversal.
    """
    items = list(items)
    valid = [i for i in items if is_version(name(i))]
    other = [i for i in items if not is_version(name(i))]
    valid.sort(key=lambda i: semver_key(name(i)))
    other.sort(key=name)
    if descending:
        valid.reverse()
        other.reverse()
    return valid + other


def greatest(names: Iterable[str]) -> Optional[str]:
    ordered = sort_versions(names, name=lambda n: n)
    return ordered[0] if ordered else None
