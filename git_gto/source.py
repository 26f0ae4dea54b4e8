"""Where a registry's tags come from. The loader reads a TagSource, never a repository
directly: the local repository (`git.repo.GitRepo`) is one; a repository plus the refs
being pushed into it (objects still in quarantine, `PushedSource`) is another."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Protocol, Tuple

from git_gto.git.objects import OBJ_TAG, CommitInfo, TagObject, parse_tag_object, peeled_commit
from git_gto.git.quarantine import Quarantine

if TYPE_CHECKING:
    from git_gto.git.repo import GitRepo


class TagSource(Protocol):
    """The reads a registry is built from."""

    def tags_fingerprint(self) -> bytes:
        """Changes whenever any tag is added, moved or deleted."""

    def tag_refs(self) -> Dict[str, str]:
        """Tag name -> object id."""

    def tags_under(self, prefix: str) -> Dict[str, str]:
        """The tag refs whose names begin with `prefix`."""

    def read_tag_objects(self, refs: Iterable[Tuple[str, str]]) -> Dict[str, Optional[TagObject]]:
        """Tag name -> parsed tag object (None: not an annotated tag, or missing)."""

    def read_commit(self, sha: str) -> CommitInfo:
        """The commit (KeyError if missing)."""

    def read_file(self, commit_sha: str, path: str) -> Optional[bytes]:
        """A file as committed (None if absent)."""

    def head(self) -> Optional[str]:
        """The commit the registry's annotations are read at by default."""

    def branches(self) -> Dict[str, str]:
        """Branch name -> commit."""

    def first_parent_history(self, sha: str) -> List[str]:
        """`sha` and its first parents, newest first."""


class ObjectSource(Protocol):
    """Raw objects, for walking the commit graph (`ancestry`)."""

    def raw_objects(self, shas: Iterable[str]) -> Dict[str, Tuple[int, bytes]]:
        """Object id -> (type, content); missing ones left out."""


class PushedSource:
    """A repository as it would be after a push (what a pre-receive hook judges): its refs
    with the pushed updates applied, and objects read from the quarantine too (the
    directory git names in GIT_OBJECT_DIRECTORY while the push is not accepted yet)."""

    def __init__(self, repo: "GitRepo", updates: Dict[str, Optional[str]], quarantine: Optional[str]):
        self.repo = repo
        self.updates = updates  # full ref name -> new object id (None: deleted)
        self._quarantine = Quarantine.of(quarantine, os.path.join(repo.commondir, "objects"))

    def _updated(self, prefix: str, refs: Dict[str, str], names: str = "") -> Dict[str, str]:
        refs = dict(refs)
        for ref, sha in self.updates.items():
            if ref.startswith(prefix + names):
                name = ref[len(prefix):]
                if sha is None:
                    refs.pop(name, None)
                else:
                    refs[name] = sha
        return refs

    def tags_fingerprint(self) -> bytes:
        """Never a fingerprint of the repository's own refs: the cache keeps each artifact's
        entries by its tags, and those stay sound."""
        from git_gto.digests import sha1

        pushed = "\n".join(f"{r} {s}" for r, s in sorted(self.updates.items(), key=lambda i: i[0]))
        return b"pushed:" + sha1(self.repo.tags_fingerprint() + pushed.encode()).digest()

    def tag_refs(self) -> Dict[str, str]:
        return self._updated("refs/tags/", self.repo.tag_refs())

    def tags_under(self, prefix: str) -> Dict[str, str]:
        """The tags whose names begin with `prefix`, after the push (no others read)."""
        return self._updated("refs/tags/", self.repo.tags_under(prefix), prefix)

    def branches(self) -> Dict[str, str]:
        return self._updated("refs/heads/", self.repo.branches())

    def raw_objects(self, shas: Iterable[str]) -> Dict[str, Tuple[int, bytes]]:
        shas = list(shas)
        out = self.repo.raw_objects(shas)
        missing = [sha for sha in shas if sha not in out]
        if missing and self._quarantine is not None:
            out.update(self._quarantine.raw_objects(missing))
        return out

    def raw_object(self, sha: str) -> Tuple[int, bytes]:
        found = self.raw_objects([sha]).get(sha)
        if found is None:
            raise KeyError(sha)
        return found

    def read_tag_objects(self, refs: Iterable[Tuple[str, str]]) -> Dict[str, Optional[TagObject]]:
        refs = list(refs)
        out = self.repo.read_tag_objects(refs)
        missing = [(name, sha) for name, sha in refs if out.get(name) is None]
        if missing and self._quarantine is not None:
            raw = self.raw_objects(sha for _, sha in missing)
            for name, sha in missing:
                found = raw.get(sha)
                if found is not None and found[0] == OBJ_TAG:
                    out[name] = parse_tag_object(name, sha, found[1])
        return out

    def read_commit(self, sha: str) -> CommitInfo:
        return peeled_commit(self.raw_object, sha)

    def read_file(self, commit_sha: str, path: str) -> Optional[bytes]:
        return self.repo.read_file(commit_sha, path)

    def head(self) -> Optional[str]:
        return self.repo.head()

    def first_parent_history(self, sha: str) -> List[str]:
        return self.repo.first_parent_history(sha)
