"""Building a Registry from a TagSource, through the cache: artifacts are grouped by their
tags, read again only when their tags changed, and built one at a time when first used."""

from __future__ import annotations

import marshal
import os
import re
import threading
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

from git_gto import registry as R
from git_gto import tags as T
from git_gto.cache import RegistryCache, Shard, fingerprint
from git_gto.errors import ConfigError, GtoError
from git_gto.git.objects import OBJ_COMMIT, OBJ_TAG, CommitInfo, Identity, TagObject
from git_gto.index import Annotation, PackedIndex, parse_index
from git_gto.source import TagSource
from git_gto.verbose import explain

PARALLEL_READ_MIN = 8000  # tags to read before a second process helps more than it costs
# one artifact's tags to read before loading the whole cache costs less (~25 ms at 50k tags)
CACHED_ARTIFACT_MIN = 1000
_TYPE_WORDS = {2: "tree", 3: "blob"}
_ARTIFACT_PART = re.compile(r"[^@#]+(?=[@#])")  # the artifact part of a tag name

# Which commits' artifacts.yaml annotate the registry (gto 0.2's -a and -A).
HEAD, BRANCHES, COMMITS = "head", "branches", "commits"


def scope_of(all_branches: bool = False, all_commits: bool = False) -> str:
    return COMMITS if all_commits else BRANCHES if all_branches else HEAD


class RegistryLoader:
    """Reads one TagSource for one command; implements `registry.ArtifactLoader`."""

    def __init__(self, source: TagSource, cache: RegistryCache, index_file: str, scope: str = HEAD,
                 only: Optional[str] = None):
        self.source = source
        self.cache = cache
        self.index_file = index_file
        self.scope = scope
        self.only = only  # the one artifact a write needs: only its tags are read
        self._own: Dict[str, Shard] = {}  # the shards read for `only` (the cache is left alone)
        self.partial: Set[str] = set()  # artifacts built without a commit they name: not to cache
        self._registry: Optional[R.Registry] = None
        self._live: Optional[set] = None
        self._annotated: Dict[str, List[str]] = {}
        self._indexes: Dict[str, PackedIndex] = {}
        self._commits: Dict[str, CommitInfo] = {}
        self.unusable_indexes: List[str] = []  # artifacts.yaml of commits that do not parse
        self._odd_names: List[str] = []

    @classmethod
    def for_artifact(cls, source: TagSource, git_dir: str, index_file: str, known: Dict[str, str],
                     scope: str = HEAD) -> "RegistryLoader":
        """A loader for `artifact_of` one artifact whose tags the cache may have are `known`:
        through the registry cache only when they are many (reading the whole cache costs
        more than reading a few tags)."""
        from git_gto.cache import enabled

        return cls(source, RegistryCache(git_dir, enabled() and len(known) >= CACHED_ARTIFACT_MIN), index_file, scope)

    def save(self) -> None:
        """Keep what was read for the next command (artifacts that are gone are dropped)."""
        self.cache.save(self._live)

    # -- commits and annotations -----------------------------------------------------------
    def commit(self, sha: str) -> CommitInfo:
        """Commit headers (cached by object id: commits never change)."""
        info = self._commits.get(sha)
        if info is None:
            cached = self.cache.commits.get((sha, ""))
            if cached is None:
                c = self.source.read_commit(sha)
                cached = (c.sha, c.tree, tuple(c.author), tuple(c.committer), c.message)
                self.cache.put_commit((sha, ""), cached)
            peeled, tree, author, committer, message = cached
            info = self._commits[sha] = CommitInfo(peeled, tree, Identity(*author), Identity(*committer), message)
        return info

    def index_at(self, commit: str) -> PackedIndex:
        """The annotations of `artifacts.yaml` as committed in `commit` ({} if absent):
        parsed once per commit, then kept in the cache (marshalled, loaded when used), as is
        the refusal of a file that does not parse."""
        if commit not in self._indexes:
            key = (commit, self.index_file)
            cached = self.cache.commits.get(key)
            if not isinstance(cached, (bytes, str)):
                text = self.source.read_file(commit, self.index_file)
                try:
                    cached = PackedIndex.pack({} if text is None else parse_index(
                        text, f"{self.index_file} in commit {commit[:7]}"))
                except ConfigError as e:
                    cached = e.message
                self.cache.put_commit(key, cached)
            if isinstance(cached, str):  # one bad commit must not stop every reader: doctor names it
                self.unusable_indexes.append(f"{cached}; its annotations are left out")
                cached = PackedIndex.pack({})
            self._indexes[commit] = PackedIndex(cached)
        return self._indexes[commit]

    def annotated_at(self, name: str) -> Tuple[str, ...]:
        """The commits whose artifacts.yaml annotates `name` (in the scope read)."""
        self.registry()
        return tuple(self._annotated.get(name, ()))

    # -- the registry ----------------------------------------------------------------------
    def registry(self) -> R.Registry:
        """The registry: artifacts ordered as gto sees them; each built from its (cached)
        tags when first used, plus the annotations of the commits in scope."""
        if self._registry is not None:
            return self._registry
        if self.only is not None:
            return self._registry_of(self.only)
        everything = self.source.tags_fingerprint()
        if self.cache.use and self.cache.tags_fingerprint == everything:
            groups: Dict[str, Optional[Dict[str, str]]] = dict.fromkeys(self.cache.shards)
            explain("no tag changed since %s was written", self.cache.path)
        else:
            groups = dict(self._changed_artifacts())
            # odd names are looked at again every time (objects that could not be read too:
            # the cache keeps no fingerprint of all tags while it has transient artifacts)
            self.cache.set_tags_fingerprint(b"" if self._odd_names else everything)
        first: Dict[str, tuple] = {}
        skipped: List[str] = list(self._odd_names)
        for name in groups:
            shard = self.cache.shards[name]
            skipped += shard.skipped
            if shard.first is not None:
                first[name] = shard.first
        self._live = set(groups)
        names = sorted(first, key=first.__getitem__)
        annotated = self._annotated_commits()
        self._prefetch(annotated)
        for commit in annotated:
            for name in self.index_at(commit):
                self._annotated.setdefault(name, []).append(commit)
        names += [n for n in self._annotated if n not in first]
        self._registry = R.Registry(names, self, skipped)
        return self._registry

    def _registry_of(self, name: str) -> R.Registry:
        """The registry as far as one artifact goes: its tags alone are read (their objects,
        not the cache of every artifact), with the annotations of the commits in scope; the
        cache is read only for a commit's artifacts.yaml (parsed once per commit)."""
        refs = T.tags_of(self.source, name)
        group = self._grouped(refs).get(name, {})
        skipped: List[str] = list(self._odd_names)
        if group:
            shard, _ = self._read_shards([name], {name: group}, {name: fingerprint(group)})[name]
            self._own[name] = shard
            skipped += shard.skipped
        exists = getattr(self.source, "path_exists", None)
        for commit in self._annotated_commits():
            if exists is not None and not exists(commit, self.index_file):
                continue  # no artifacts.yaml there: nothing to parse, nor to look up in the cache
            if name in self.index_at(commit):
                self._annotated.setdefault(name, []).append(commit)
        known = name in self._own and self._own[name].first is not None or name in self._annotated
        self._registry = R.Registry([name] if known else [], self, skipped)
        return self._registry

    def _grouped(self, refs: Dict[str, str]) -> Dict[str, Dict[str, str]]:
        """The tags grouped by artifact (names that are not UTF-8 are noted and left out)."""
        groups: Dict[str, Dict[str, str]] = {}
        all_utf8 = _is_utf8("".join(refs))  # one check for all names; one a name only when one fails
        for ref, sha in refs.items():
            if not all_utf8 and not _is_utf8(ref):
                self._odd_names.append(f"{escaped(ref)}: the tag name is not UTF-8, ignored")
                continue
            m = _ARTIFACT_PART.match(ref)
            if m:
                groups.setdefault(T.tag_to_name(m.group()), {})[ref] = sha
        return groups

    def _changed_artifacts(self) -> Dict[str, Dict[str, str]]:
        """Group the tags by artifact; read again the artifacts whose tags changed."""
        groups = self._grouped(self.source.tag_refs())
        fingerprints = {name: fingerprint(group) for name, group in groups.items()}
        missing = [n for n in groups if self.cache.shard(n, fingerprints[n]) is None]
        for name, (shard, complete) in self._read_shards(missing, groups, fingerprints).items():
            self.cache.put(name, shard, keep=complete)
        explain("%d tags of %d possible artifacts; %d artifacts read from their tags",
                 sum(len(g) for g in groups.values()), len(groups), len(missing))
        return groups

    def _read_shards(self, names: List[str], groups: Dict[str, Dict[str, str]],
                     fingerprints: Dict[str, bytes]) -> Dict[str, Tuple[Shard, bool]]:
        """Read these artifacts' tags into shards, each with whether all its tag objects
        were there (only then may it be cached); a large read is shared with a forked
        second process (the tags are independent, and git itself uses one core here)."""

        def read(part: List[str]) -> Dict[str, Tuple[Shard, bool]]:
            shards = {}
            for batch in _batches(part, groups, 1024):
                objects = self.source.read_tag_objects(
                    (ref, sha) for name in batch for ref, sha in groups[name].items()
                )
                for name in batch:
                    tags = [objects[ref] for ref in groups[name]]
                    # an unreadable or missing object: not kept, so it is read again next time
                    complete = all((tag is not None and not tag.problem) or (tag is None and self._exists(sha))
                                   for tag, sha in zip(tags, groups[name].values()))
                    shards[name] = (Shard.of(fingerprints[name], *self._entries_of(tags)), complete)
            return shards

        total = sum(len(groups[n]) for n in names)
        if (total < PARALLEL_READ_MIN or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork")
                or threading.active_count() > 1):  # forking a threaded process (a service using the API) is unsafe
            return read(names)
        mine, theirs = names[: len(names) // 2], names[len(names) // 2:]
        receive, send = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper process: read its half, send the shards, leave at once
            status = 1
            try:
                os.close(receive)
                with os.fdopen(send, "wb") as out:
                    marshal.dump({n: (shard.dump(), complete) for n, (shard, complete) in read(theirs).items()}, out)
                status = 0
            finally:
                os._exit(status)
        os.close(send)
        try:
            shards = read(mine)
        finally:  # whatever happens here, the helper is heard out and waited for
            with os.fdopen(receive, "rb") as incoming:
                payload = incoming.read()
            _, status = os.waitpid(pid, 0)
        if status == 0 and payload:
            shards.update({n: (Shard(*data), complete) for n, (data, complete) in marshal.loads(payload).items()})
        else:
            shards.update(read(theirs))
        return shards

    def _entries_of(self, tags: List[Optional[TagObject]]) -> Tuple[list, List[str]]:
        """One artifact's registry entries; tags of tags count for their commit."""
        usable, skipped = [], []
        for tag in tags:
            if tag is None:
                continue
            if tag.problem:
                skipped.append(f"{tag.ref}: {tag.problem}")
            elif tag.target_type == OBJ_COMMIT:
                usable.append(tag)
            elif tag.target_type == OBJ_TAG and (commit := self._peel(tag.target)):
                usable.append(tag._replace(target=commit, target_type=OBJ_COMMIT))
            elif T.parse_tag(tag.ref) is not None:  # only registry tags are worth a word
                skipped.append(f"{tag.ref}: {_target_problem(tag)}")
        entries, odd, malformed = R.tag_entries(usable)
        # a name that looks meant for an artifact the registry knows is probably a typo
        typos = [f"{ref}: not a valid registry tag name, ignored" for ref in malformed] if entries else []
        return entries, skipped + odd + typos

    def _annotated_commits(self) -> List[str]:
        if self.scope == HEAD:
            head = self.source.head()
            return [head] if head else []
        heads = sorted(set(self.source.branches().values()))
        if self.scope == BRANCHES:
            return heads
        seen: Dict[str, None] = {}
        for head in heads:
            for sha in self.source.first_parent_history(head):
                seen.setdefault(sha)
        return list(seen)

    def _exists(self, sha: str) -> bool:
        """Is the object behind a ref that is not an annotated tag there (a commit, a tree)?"""
        try:
            self.source.read_commit(sha)
        except KeyError:
            return False
        except GtoError:
            pass  # there, but not a commit
        return True

    def _peel(self, sha: str) -> Optional[str]:
        try:
            return self.commit(sha).sha
        except (GtoError, KeyError):
            return None

    # -- registry.ArtifactLoader -----------------------------------------------------------
    def build(self, name: str, on: Optional[Set[str]] = None) -> R.Artifact:
        """`on`: only its versions on these commits (each version is built from the tags on
        its commit alone, so those are the versions a whole build would have there)."""
        shard = self._shard(name)
        entries = shard.entries if shard else []
        if on is not None:
            entries = [e for e in entries if R.entry_commit(e) in on]
        artifact = R.artifact_from_entries(name, entries)
        for commit in self._annotated.get(name, ()):
            if on is None or commit in on:
                self._add_commit_event(artifact, artifact.version_at(commit))
        return artifact

    def _shard(self, name: str) -> Optional[Shard]:
        """What was read of an artifact: for `only`, its own shard; otherwise the cache's."""
        return self._own.get(name) if self.only is not None else self.cache.shards.get(name)

    def build_without(self, name: str, tags: Iterable[str]) -> R.Artifact:
        """The artifact as if these tags of it did not exist (to judge one of its events
        against all the others)."""
        self.registry()
        shard = self._shard(name)
        left_out = set(tags)
        return R.artifact_from_entries(name, [e for e in (shard.entries if shard else ()) if e[2] not in left_out])

    def artifact_of(self, name: str, refs: Dict[str, str], known: Optional[Dict[str, str]] = None) -> R.Artifact:
        """The artifact as the tags `refs` of it make it, no other tag read. `known` (default:
        `refs`): its tags whose entries the cache may have (the repository's, when judging a
        push); the entries of `refs` among them come from there, the others are read.
        Nothing is saved."""
        known = refs if known is None else known
        shard = self.cache.shard(name, fingerprint(known)) if self.cache.use else None
        if shard is None:
            return R.artifact_from_entries(name, self._read_shards([name], {name: refs}, {name: b""})[name][0].entries)
        reused = {ref for ref, sha in refs.items() if known.get(ref) == sha}
        entries = [e for e in shard.entries if e[2] in reused]
        rest = {ref: sha for ref, sha in refs.items() if ref not in reused}
        explain("%s: %d tags from the cache, %d read", name, len(reused), len(rest))
        if rest:
            entries += self._read_shards([name], {name: rest}, {name: b""})[name][0].entries
            entries.sort(key=lambda e: (e[0], e[1], e[2]))  # the order of registry.tag_entries
        return R.artifact_from_entries(name, entries)

    def _prefetch(self, commits: List[str]) -> None:
        """Let a source that fetches files on demand (a remote's mirror) bring those of
        these commits in one go, rather than one commit at a time."""
        prefetch = getattr(self.source, "prefetch_files", None)
        wanted = [c for c in commits if (c, self.index_file) not in self.cache.commits]
        if prefetch is not None and wanted:
            prefetch(wanted, self.index_file)

    def enrich(self, artifact: R.Artifact) -> None:
        self._prefetch([version.commit for version in artifact.versions])
        for version in list(artifact.versions):
            try:
                self._add_commit_event(artifact, version)
            except (GtoError, KeyError):  # a version on a commit that is not there (or unreadable)
                self.partial.add(artifact.name)

    def commit_time(self, sha: str) -> int:
        return self.commit(sha).committer.time

    def _add_commit_event(self, artifact: R.Artifact, version: R.Version) -> None:
        """The event of the version's commit, with what its artifacts.yaml says of the artifact."""
        annotation: Optional[Annotation] = self.index_at(version.commit).get(artifact.name)
        R.add_commit_event(version, R.commit_event(artifact.name, version.name,
                                                   self.commit(version.commit), annotation))


def _target_problem(tag: TagObject) -> str:
    """Why a tag object aimed at something else than a commit is left out."""
    if not tag.target:
        return "the tag object names no object it points to"
    if not tag.target_type:
        return "the tag object has no valid type"
    return f"points to a {_TYPE_WORDS.get(tag.target_type, 'missing object')}, not a commit"


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escaped(name: str) -> str:
    """A name read from the file system as text, its bytes that are not UTF-8 as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _batches(names: List[str], groups: Dict[str, Dict[str, str]], size: int) -> Iterator[List[str]]:
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
