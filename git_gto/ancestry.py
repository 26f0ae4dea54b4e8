"""Which commits contain a commit: one walk over the commit graph from all candidates at
once (each commit read once, in batches, straight from the object store)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, Set

from git_gto.git.objects import OBJ_COMMIT, parents

if TYPE_CHECKING:
    from git_gto.source import ObjectSource


def containing(repo: "ObjectSource", commit: str, candidates: Iterable[str]) -> Set[str]:
    """The candidates that have `commit` as an ancestor, or are `commit` (as `git tag
    --contains`). Walks down from every candidate together, never below `commit`, then
    climbs back up from `commit` through the children seen on the way."""
    wanted = set(candidates)
    children: Dict[str, List[str]] = {}
    seen = set(wanted)
    frontier = [c for c in wanted if c != commit]
    while frontier:
        raw = repo.raw_objects(frontier)
        step = []
        for sha in frontier:
            found = raw.get(sha)
            if found is None or found[0] != OBJ_COMMIT:
                continue  # a missing object (shallow clone) ends that line
            for parent in parents(found[1]):
                children.setdefault(parent, []).append(sha)
                if parent not in seen:
                    seen.add(parent)
                    if parent != commit:
                        step.append(parent)
        frontier = step
    if commit not in seen:
        return set()
    above = {commit}
    stack = [commit]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in above:
                above.add(child)
                stack.append(child)
    return above & wanted
