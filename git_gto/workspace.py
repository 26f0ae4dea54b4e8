"""One repository opened for one command: its config, its registry (built from the tag
cache, one artifact at a time) and the annotations of its commits."""

from __future__ import annotations

import logging
import marshal
import os
import re
import shutil
import subprocess
import tempfile
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from git_gto import registry as R
from git_gto import tags as T
from git_gto.config import Config, parse_index, read_config
from git_gto.errors import ConfigError, GtoError
from git_gto.gitrepo import OBJ_COMMIT, OBJ_TAG, GitRepo, TagObject

if TYPE_CHECKING:
    from git_gto.cache import Shard


class Workspace:
    """One repository opened for one command: config, registry and annotations, each
    read once and only when needed."""

    def __init__(self, repo: str = "."):
        self.remote_url: Optional[str] = None
        self._tmp: Optional[str] = None
        self._config: Optional[Config] = None
        self._cache = None
        self._live: Optional[set] = None
        self._registry: Optional[R.Registry] = None
        self._indexes: Dict[str, Dict[str, Dict[str, Any]]] = {}
        self._commits: Dict[str, Any] = {}
        self.repo: Optional[GitRepo] = None
        if repo in (".", "", None) or os.path.exists(repo) or not _looks_like_url(repo):
            path = None if repo in (".", "", None) else repo
            self.repo = GitRepo.discover(path)
        else:
            self.remote_url = repo
            self._tmp = tempfile.mkdtemp(prefix="git-gto-")
            log.info("cloning %s into %s", repo, self._tmp)
            result = subprocess.run(
                ["git", "clone", "--quiet", repo, self._tmp],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )
            if result.returncode != 0:
                self.close()
                lines = result.stderr.strip().splitlines()
                reason = next((l for l in lines if l.startswith("fatal: ")), lines[-1] if lines else "")
                raise GtoError(f"cannot clone '{repo}': {reason.removeprefix('fatal: ')}")
            self.repo = GitRepo.discover(self._tmp)
        log.info("repository: %s", self.repo.worktree or self.repo.controldir)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.save(self._live)
        if self.repo is not None:
            self.repo.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = read_config(self.repo.worktree)
        return self._config

    @property
    def cache(self):
        if self._cache is None:
            from git_gto.cache import RegistryCache, enabled

            self._cache = RegistryCache(self.repo.commondir, enabled())
        return self._cache

    # -- commits and annotations -----------------------------------------------------------
    def commit(self, sha: str):
        """Commit headers (cached by object id: commits never change)."""
        from git_gto.gitrepo import CommitInfo, Identity

        info = self._commits.get(sha)
        if info is None:
            cached = self.cache.commits.get((sha, ""))
            if cached is None:
                c = self.repo.read_commit(sha)
                cached = (c.sha, c.tree, tuple(c.author), tuple(c.committer), c.message)
                self.cache.put_commit((sha, ""), cached)
            peeled, tree, author, committer, message = cached
            info = self._commits[sha] = CommitInfo(peeled, tree, Identity(*author), Identity(*committer), message)
        return info

    def index_at(self, commit: str) -> Dict[str, Dict[str, Any]]:
        """The annotations of `artifacts.yaml` as committed in `commit` ({} if absent)."""
        if commit not in self._indexes:
            key = (commit, self.config.index)
            if key in self.cache.commits:
                text = self.cache.commits[key]
            else:
                text = self.repo.read_file(commit, self.config.index)
                self.cache.put_commit(key, text)
            self._indexes[commit] = {} if text is None else parse_index(
                text, f"{self.config.index} in commit {commit[:7]}"
            )
        return self._indexes[commit]

    # -- the registry ----------------------------------------------------------------------
    def registry(self, all_branches: bool = False, all_commits: bool = False) -> R.Registry:
        """The registry: artifacts ordered as gto sees them; each built from its (cached)
        tags when first used, plus the annotations of HEAD (or of every branch)."""
        if self._registry is not None:
            return self._registry
        everything = self.repo.tags_fingerprint()
        if self.cache.use and self.cache.tags_fingerprint == everything:
            groups = dict.fromkeys(self.cache.shards)  # no tag changed since the cache was written
            log.info("no tag changed since %s was written", self.cache.path)
        else:
            groups = self._changed_artifacts()
            self.cache.set_tags_fingerprint(everything)
        first: Dict[str, tuple] = {}
        skipped: List[str] = []
        for name in groups:
            shard = self.cache.shards[name]
            skipped += shard.skipped
            if shard.first is not None:
                first[name] = shard.first
        self._live = set(groups)
        names = sorted(first, key=first.__getitem__)
        self._annotated: Dict[str, List[str]] = {}
        for commit in self._annotated_commits(all_branches, all_commits):
            for name in self.index_at(commit):
                self._annotated.setdefault(name, []).append(commit)
        names += [n for n in self._annotated if n not in first]
        reg = R.Registry(names, self._build_artifact)
        reg.skipped = skipped
        reg.enricher = self._enrich
        reg.commit_time = lambda sha: self.commit(sha).committer.time
        self._registry = reg
        return reg

    def _changed_artifacts(self) -> Dict[str, Dict[str, str]]:
        """Group the tags by artifact; read again the artifacts whose tags changed."""
        from git_gto.cache import fingerprint

        groups: Dict[str, Dict[str, str]] = {}
        for ref, sha in self.repo.tag_refs().items():
            m = _ARTIFACT_PART.match(ref)
            if m:
                groups.setdefault(T.tag_to_name(m.group()), {})[ref] = sha
        fingerprints = {name: fingerprint(group) for name, group in groups.items()}
        missing = [n for n in groups if self.cache.shard(n, fingerprints[n]) is None]
        for name, shard in self._read_shards(missing, groups, fingerprints).items():
            self.cache.put(name, shard)
        log.info("%d tags of %d possible artifacts; %d artifacts read from their tags",
                 sum(len(g) for g in groups.values()), len(groups), len(missing))
        return groups

    def _read_shards(self, names: List[str], groups: Dict[str, Dict[str, str]],
                     fingerprints: Dict[str, bytes]) -> Dict[str, "Shard"]:
        """Read these artifacts' tags into shards; a large read is shared with a forked
        second process (the tags are independent, and git itself uses one core here)."""
        from git_gto.cache import Shard

        def read(part: List[str]) -> Dict[str, Shard]:
            shards = {}
            for batch in _batches(part, groups, 1024):
                objects = self.repo.read_tag_objects(
                    (ref, sha) for name in batch for ref, sha in groups[name].items()
                )
                for name in batch:
                    tags = [objects[ref] for ref in groups[name]]
                    shards[name] = Shard.of(fingerprints[name], *self._entries_of(tags))
            return shards

        total = sum(len(groups[n]) for n in names)
        if total < PARALLEL_READ_MIN or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
            return read(names)
        mine, theirs = names[: len(names) // 2], names[len(names) // 2:]
        receive, send = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper process: read its half, send the shards, leave at once
            status = 1
            try:
                os.close(receive)
                with os.fdopen(send, "wb") as out:
                    marshal.dump({n: shard.dump() for n, shard in read(theirs).items()}, out)
                status = 0
            finally:
                os._exit(status)
        os.close(send)
        shards = read(mine)
        with os.fdopen(receive, "rb") as incoming:
            payload = incoming.read()
        _, status = os.waitpid(pid, 0)
        if status == 0 and payload:
            shards.update({n: Shard(*data) for n, data in marshal.loads(payload).items()})
        else:
            shards.update(read(theirs))
        return shards

    def annotated_at(self, name: str) -> tuple:
        """The commits whose artifacts.yaml annotates `name` (HEAD, or branches)."""
        self.registry()
        return tuple(self._annotated.get(name, ()))

    def _entries_of(self, tags: List[Optional[TagObject]]):
        """One artifact's registry entries; tags of tags count for their commit."""
        usable, skipped = [], []
        for tag in tags:
            if tag is None:
                continue
            if tag.target_type == OBJ_COMMIT:
                usable.append(tag)
            elif tag.target_type == OBJ_TAG and (commit := self._peel(tag.target)):
                usable.append(tag._replace(target=commit, target_type=OBJ_COMMIT))
            elif T.parse_tag(tag.ref) is not None:  # only registry tags are worth a word
                what = _TYPE_WORDS.get(tag.target_type, "missing object")
                skipped.append(f"{tag.ref}: points to a {what}, not a commit")
        entries, odd, malformed = R.tag_entries(usable)
        # a name that looks meant for an artifact the registry knows is probably a typo
        typos = [f"{ref}: not a valid registry tag name, ignored" for ref in malformed] if entries else []
        return entries, skipped + odd + typos

    def _build_artifact(self, name: str) -> R.Artifact:
        shard = self.cache.shards.get(name)
        artifact = R.artifact_from_entries(name, shard.entries if shard else ())
        for commit in self._annotated.get(name, ()):
            self._add_commit_event(artifact, artifact.version_at(commit))
        return artifact

    def _add_commit_event(self, artifact: R.Artifact, version: R.Version) -> None:
        """The event of the version's commit, with what its artifacts.yaml says of the artifact."""
        annotation = self.index_at(version.commit).get(artifact.name)
        R.add_commit_event(version, R.commit_event(artifact.name, version.name,
                                                   self.commit(version.commit), annotation))

    def _annotated_commits(self, all_branches: bool, all_commits: bool) -> List[str]:
        if not (all_branches or all_commits):
            head = self.repo.head()
            return [head] if head else []
        heads = sorted(set(self.repo.branches().values()))
        if not all_commits:
            return heads
        seen: Dict[str, None] = {}
        for head in heads:
            for sha in self.repo.first_parent_history(head):
                seen.setdefault(sha)
        return list(seen)

    def _peel(self, sha: str) -> Optional[str]:
        try:
            return self.commit(sha).sha
        except (GtoError, KeyError):
            return None

    def _enrich(self, artifact: R.Artifact) -> None:
        for version in list(artifact.versions):
            try:
                self._add_commit_event(artifact, version)
            except ConfigError:
                raise  # a broken artifacts.yaml is reported, as gto does
            except (GtoError, KeyError):
                continue  # a version on a commit that is not there

    def find_artifact(self, name: str) -> R.Artifact:
        found = self.registry().artifact(name)
        if found is None:
            raise GtoError(f"Cannot find artifact '{name}'")
        return found

    def resolve(self, rev: str) -> str:
        return self.repo.resolve(rev)


log = logging.getLogger("git_gto")
PARALLEL_READ_MIN = 8000  # tags to read before a second process helps more than it costs
_TYPE_WORDS = {2: "tree", 3: "blob"}
_ARTIFACT_PART = re.compile(r"[^@#]+(?=[@#])")  # the artifact part of a tag name


def _looks_like_url(value: str) -> bool:
    """`scheme://...` or scp-like `host:path` (a colon before any slash), as git reads them."""
    if "://" in value:
        return True
    colon, slash = value.find(":"), value.find("/")
    return colon > 0 and (slash < 0 or colon < slash)


def _batches(names: List[str], groups: Dict[str, Dict[str, str]], size: int):
    """Artifacts in batches of about `size` tags (to bound memory on a cold read)."""
    batch: List[str] = []
    count = 0
    for name in names:
        batch.append(name)
        count += len(groups[name])
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch
