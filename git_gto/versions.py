"""Version names: SemVer with a `v` prefix, ordering and bumping."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Iterable, List, Optional, TypeVar

from git_gto.tags import is_version

T = TypeVar("T")


@lru_cache(maxsize=None)
def semver_key(version: str) -> tuple:
    """A sort key with SemVer 2.0 precedence for a valid `vX.Y.Z[-pre][+build]` name:
    a release sorts after its prereleases, numeric identifiers before alphanumeric ones,
    build metadata is ignored. (Plain tuples: this runs for every version on every read.)"""
    core, _, pre = version[1:].partition("+")[0].partition("-")
    major, minor, patch = core.split(".")
    if not pre:
        return (int(major), int(minor), int(patch), 1, ())
    ids = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre.split("."))
    return (int(major), int(minor), int(patch), 0, ids)


def bump(version: str, part: str) -> str:
    """Bump `major`, `minor` or `patch`; prerelease and build metadata are dropped."""
    import semver

    parsed = semver.Version.parse(version[1:])
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
