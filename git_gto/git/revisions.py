"""Revisions resolved as git resolves them: the common forms in-process (a sha or unique
prefix, a ref, `~N`, `^N`, `^{commit}`), every other form by `git rev-parse`."""

from __future__ import annotations

import errno
import os
import re
from typing import TYPE_CHECKING, Optional

from git_gto.errors import GtoError, RefNotFound
from git_gto.git.objects import OBJ_COMMIT, OBJ_TAG, parents
from git_gto.git.refs import valid_refname
from git_gto.git.run import git

if TYPE_CHECKING:
    from git_gto.git.repo import GitRepo

_COMMON_FORM = re.compile(r"([^~^@:]+)((?:~\d*|\^\d*|\^\{\w*\})*)")


def resolve(repo: "GitRepo", rev: str) -> str:
    """The commit sha `rev` names."""
    try:
        return _resolve(repo, rev)
    except OSError as e:
        if e.errno == errno.ENAMETOOLONG:  # no ref file can have that name
            raise RefNotFound(f"unknown revision '{rev[:60]}...'") from None
        raise


def _resolve(repo: "GitRepo", rev: str) -> str:
    m = _COMMON_FORM.fullmatch(rev)
    sha = _resolve_base(repo, m.group(1)) if m else None
    if m is None or sha is None:
        return _rev_parse(repo, rev)
    sha = _peel_to_commit(repo, sha, rev)
    for op, num in re.findall(r"([~^])(\{\w*\}|\d*)", m.group(2)):
        if num.startswith("{"):
            if num not in ("{}", "{commit}"):
                raise RefNotFound(f"'{rev}' does not name a commit")
            continue
        count = int(num) if num else 1
        if op == "~":
            for _ in range(count):
                sha = _parent(repo, sha, 1, rev)
        elif count:
            sha = _parent(repo, sha, count, rev)
    return sha


def _rev_parse(repo: "GitRepo", rev: str) -> str:
    """Revisions beyond the common forms (`@{-1}`, `HEAD@{1}`, `:/text`, `^{/re}`...): ask
    git, the authority on its revision syntax."""
    result = git(repo.location, "rev-parse", "--verify", "--quiet", "--end-of-options", rev, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        if rev in ("HEAD", "@") and repo.head() is None:
            raise RefNotFound("the repository has no commits yet")
        raise RefNotFound(f"unknown revision '{rev}'")
    return _peel_to_commit(repo, result.stdout.strip(), rev)


def _resolve_base(repo: "GitRepo", name: str) -> Optional[str]:
    store = repo.dulwich.object_store
    if re.fullmatch(r"[0-9a-fA-F]{40}", name) and name.lower().encode() in store:
        return name.lower()
    if not valid_refname(name):
        return None  # not a ref name (a path, `..`, `//`, `.lock`...): git decides
    for candidate in (name, f"refs/{name}", f"refs/tags/{name}", f"refs/heads/{name}",
                      f"refs/remotes/{name}", f"refs/remotes/{name}/HEAD"):
        if not candidate.startswith("refs/") and not re.fullmatch(r"[A-Z_]+", candidate):
            # `main`, `foo/bar`: whether git reads such a file at the top of the control
            # directory depends on its version; if there is one, let git resolve the name
            if any(os.path.lexists(os.path.join(base, candidate))
                   for base in (repo.controldir, repo.commondir)):
                return None
            continue
        sha = repo.read_ref(candidate)
        if sha is not None:
            return sha
    if re.fullmatch(r"[0-9a-fA-F]{4,39}", name):
        found = list(store.iter_prefix(name.lower().encode()))
        commits = [s for s in found if store.get_raw(s)[0] in (OBJ_COMMIT, OBJ_TAG)]
        if len(commits) == 1:
            sha = commits[0]
            return sha.decode("ascii") if isinstance(sha, bytes) else sha
        if len(commits) > 1:
            raise RefNotFound(f"short object ID {name} is ambiguous")
    return None


def _peel_to_commit(repo: "GitRepo", sha: str, rev: str) -> str:
    try:
        return repo.read_commit(sha).sha
    except (GtoError, KeyError):
        raise RefNotFound(f"'{rev}' does not name a commit") from None


def _parent(repo: "GitRepo", sha: str, n: int, rev: str) -> str:
    found = parents(repo.dulwich.object_store.get_raw(sha.encode("ascii"))[1])
    if len(found) < n:
        raise RefNotFound(f"unknown revision '{rev}'")
    return found[n - 1]
