"""Where a registry's tags come from. The loader reads a TagSource, never a repository
directly: the local repository (`git.repo.GitRepo`) is one; a remote mirror, or a repository
plus the refs being pushed into it (objects still in quarantine), are others."""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Protocol, Tuple

from git_gto.git.objects import CommitInfo, TagObject


class TagSource(Protocol):
    """The reads a registry is built from."""

    def tags_fingerprint(self) -> bytes:
        """Changes whenever any tag is added, moved or deleted."""

    def tag_refs(self) -> Dict[str, str]:
        """Tag name -> object id."""

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
