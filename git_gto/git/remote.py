"""A remote of a local repository, as `git gto fetch` and `git gto status` read it: its tags
(one `git ls-remote --tags`), and bringing them in (`git fetch`, without blobs where the
repository allows it)."""

from __future__ import annotations

import os
from typing import Dict, List, Tuple

from git_gto.errors import GtoError
from git_gto.git.repo import GitRepo
from git_gto.git.run import git, git_reason


def remote_tags(repo: GitRepo, remote: str) -> Dict[str, str]:
    """Tag name -> object id on `remote` (a remote's name or a URL)."""
    result = git(repo.location, "ls-remote", "--tags", "--", remote, check=False)
    if result.returncode != 0:
        raise GtoError(f"cannot read the tags of '{remote}': {git_reason(result.stderr)}")
    tags: Dict[str, str] = {}
    for line in result.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith("refs/tags/") and not ref.endswith("^{}"):
            tags[ref[len("refs/tags/"):]] = sha
    return tags


def is_shallow(repo: GitRepo) -> bool:
    return os.path.exists(os.path.join(repo.commondir, "shallow"))


def fetch_tags(repo: GitRepo, remote: str) -> Tuple[List[str], List[str]]:
    """Fetch the remote's tags and the commits they point to; a local tag that differs is
    kept (never overwritten). In a shallow or partial clone the fetch takes no tree and no
    blob (`--filter=tree:0`; git then treats the remote as a promisor). Returns git's
    words and the lines of the tags it refused to overwrite."""
    named = repo.remote_url(remote) is not None
    thin = named and (is_shallow(repo) or repo.config_value("extensions", "partialClone") is not None)
    args = ["fetch", "--no-tags"] + (["--filter=tree:0"] if thin else []) + ["--", remote, "refs/tags/*:refs/tags/*"]
    result = git(repo.location, *args, check=False)
    said = [line.rstrip() for line in result.stderr.splitlines() if line.strip()]
    kept = [line.strip() for line in said if line.lstrip().startswith("! [rejected]")]
    if result.returncode != 0 and not kept:
        raise GtoError(f"cannot fetch from '{remote}': {git_reason(result.stderr)}")
    return [line for line in said if line.strip() not in kept and not line.strip().startswith("* [new tag]")], kept
