"""A local repository: the git layer's one entry point for the code above it. It is the
local tag source of the registry (refs, tag objects, commits, files at a commit) and the
place tags are written."""

from __future__ import annotations

import os
import stat
import struct
import zlib
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional, Set, TYPE_CHECKING, Tuple

from git_gto.errors import GtoError, TagExists
from git_gto.git import refs as R
from git_gto.git.discover import Location, discover
from git_gto.git.objects import (
    OBJ_BLOB, OBJ_TAG, OBJ_TREE, CommitInfo, Identity, TagObject, is_object_id, parse_tag_object, peeled_commit,
    split_object, tag_target, tree_entry,
)

if TYPE_CHECKING:
    from git_gto.git.signing import Signer

if TYPE_CHECKING:
    from git_gto.git.lock import WriteLock


class NewTag(NamedTuple):
    name: str
    target: str
    message: str
    not_before: Optional[int] = None  # the earliest tagger time (epoch seconds) it may have


class GitRepo:
    """A repository found the way git finds it; dulwich is opened once, when first needed."""

    def __init__(self, location: Location):
        self.location = location
        self._dulwich: Any = None  # dulwich.repo.Repo
        self._refs = R.RefSnapshot(location.commondir)
        self._write_lock: Optional["WriteLock"] = None
        self._settings: Optional[List[Tuple[str, str]]] = None  # git's configuration, once asked

    @classmethod
    def discover(cls, path: Optional[str] = None) -> "GitRepo":
        """Open the repository at or above `path` (default: the current directory)."""
        return cls(discover(path))

    @property
    def controldir(self) -> str:
        return self.location.controldir

    @property
    def worktree(self) -> Optional[str]:
        return self.location.worktree

    @property
    def commondir(self) -> str:
        return self.location.commondir

    @property
    def dulwich(self):
        """The dulwich Repo, opened once per process."""
        if self._dulwich is None:
            from dulwich.repo import Repo

            self._dulwich = Repo(controldir=self.controldir, worktree=self.worktree)
        return self._dulwich

    def close(self) -> None:
        """Release the writer lock, and dulwich's open pack files, if it was used."""
        self.release_write_lock()
        if self._dulwich is not None:
            self._dulwich.close()
            self._dulwich = None

    # -- refs ------------------------------------------------------------------------------
    def tags_fingerprint(self) -> bytes:
        return self._refs.fingerprint()

    def tag_refs(self) -> Dict[str, str]:
        return self._refs.tags()

    def tags_under(self, prefix: str) -> Dict[str, str]:
        """Tag name -> object id of the tags whose names begin with `prefix` (no others read)."""
        return self._refs.tags_under(prefix)

    def tag_ids(self, names: Iterable[str]) -> Dict[str, str]:
        """Tag name -> object id for these names (the ones that exist), read on their own."""
        return self._refs.tag_ids(list(names))

    def tag_names(self) -> List[str]:
        return self._refs.tag_names()

    def any_tag(self, wanted: Callable[[str], bool]) -> bool:
        """Is there a tag whose name is `wanted`? Stops at the first one (no list of all)."""
        return self._refs.any_tag(wanted)

    def tag_names_text(self) -> str:
        return self._refs.tag_names_text()

    def has_tag(self, name: str) -> bool:
        """Is there a tag of that name (from the refs, never from a cache)?"""
        return self._refs.has_tag(name)

    def read_ref(self, name: str) -> Optional[str]:
        return R.read_ref(self.controldir, self.commondir, self._refs, name)

    def current_branch(self) -> Optional[str]:
        """The branch HEAD is on (None when detached)."""
        try:
            with open(os.path.join(self.controldir, "HEAD"), "rb") as f:
                content = f.read().strip()
        except OSError:
            return None
        prefix = b"ref: refs/heads/"
        return content[len(prefix):].decode("utf-8", "surrogateescape") if content.startswith(prefix) else None

    def head(self) -> Optional[str]:
        """The commit HEAD points at, or None in a repository without commits."""
        return self.read_ref("HEAD")

    def branches(self) -> Dict[str, str]:
        """Branch name -> commit: the packed refs (parsed once) and the loose ones, which win."""
        return R.branches(self.controldir, self.commondir, self._refs)

    def git_config(self, pattern: str) -> Dict[str, str]:
        """The settings whose (lower-case) name matches the regular expression `pattern`, as
        git itself reads them (`-c`, includes, every file); the last wins. git is asked once
        (`git config --list`), and the answer kept for the other questions."""
        import re

        if self._settings is None:
            from git_gto.git.run import git

            listing = git(self.location, "config", "-z", "--list", check=False).stdout
            self._settings = [(key, value) for key, _, value in
                              (item.partition("\n") for item in listing.split("\0")) if key]
        wanted = re.compile(pattern)
        return {key: value for key, value in self._settings if wanted.search(key)}

    def remote_url(self, remote: str) -> Optional[str]:
        """The URL of a configured remote (as git reads its configuration), None if none."""
        return self.git_config(r"^remote\.").get(f"remote.{remote}.url")

    def config_value(self, section: str, key: str) -> Optional[str]:
        """A value from git's configuration files as dulwich reads them (None if unset)."""
        try:
            value = self.dulwich.get_config_stack().get(section.encode(), key.encode())
        except KeyError:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else value

    # -- objects ---------------------------------------------------------------------------
    def read_tag_objects(self, refs: Iterable[Tuple[str, str]]) -> Dict[str, Optional[TagObject]]:
        """Read the objects behind refs: tag name -> TagObject, or None for non-tags. A loose
        object that cannot be read gives a TagObject whose `problem` says why."""
        refs = list(refs)
        unreadable: Dict[str, str] = {}
        raw = self.raw_objects({sha for _, sha in refs}, unreadable)
        out: Dict[str, Optional[TagObject]] = {}
        for name, sha in refs:
            found = raw.get(sha)
            if sha in unreadable:
                out[name] = TagObject(name, sha, "", 0, None, "", unreadable[sha])
            else:
                out[name] = parse_tag_object(name, sha, found[1]) if found and found[0] == OBJ_TAG else None
        return out

    def annotated_tags(self) -> List[TagObject]:
        """Every annotated tag, parsed (no cache); lightweight tags are left out."""
        objects = self.read_tag_objects(self.tag_refs().items())
        return [tag for tag in objects.values() if tag is not None]

    def raw_objects(self, shas: Iterable[str],
                    unreadable: Optional[Dict[str, str]] = None) -> Dict[str, Tuple[int, bytes]]:
        """(type, content) of objects: from the packs in offset order, then loose ones
        (inflated here, never parsed by dulwich), deltified ones (and those of alternates'
        packs) through dulwich, which is imported only then. Missing
        ones are left out. A loose object that does not inflate whole is left out too, and
        `unreadable` says why (with None: the read fails). A packed object that fails its
        checks (and has no good copy elsewhere) fails the read, naming the object: a pack is
        git's verified store, so its damage is the disk's, and reading past it could show an
        older version as the one in a stage."""
        from git_gto.git.packs import CorruptObject, read_objects

        def alternates() -> List[str]:
            return [getattr(alt, "path", "") for alt in self.dulwich.object_store.alternates]

        try:
            return read_objects(os.path.join(self.commondir, "objects"), shas, self._dulwich_raw, alternates,
                                unreadable)
        except CorruptObject as e:
            raise GtoError(str(e)) from None

    def _dulwich_raw(self, sha: str) -> Optional[Tuple[int, bytes]]:
        """A deltified (or alternate's packed) object through dulwich; None if missing."""
        from dulwich.errors import ApplyDeltaError, ChecksumMismatch

        try:
            return self.dulwich.object_store.get_raw(sha.encode("ascii"))
        except KeyError:
            return None
        except (zlib.error, ValueError, AssertionError, struct.error, ApplyDeltaError, ChecksumMismatch) as e:
            reason = str(e) or type(e).__name__
        # raised here, not in the handler: dulwich's traceback holds views of its pack's mmap
        raise GtoError(f"object {sha} is corrupt ({reason})")

    def raw_object(self, sha: str) -> Tuple[int, bytes]:
        """(type, content) of one object; KeyError if it is missing."""
        found = self.raw_objects([sha]).get(sha)
        if found is None:
            raise KeyError(sha)
        return found

    def read_commit(self, sha: str) -> CommitInfo:
        """The commit `sha` names (peeling tags); KeyError if it is missing."""
        return peeled_commit(self.raw_object, sha)

    def resolve(self, rev: str) -> str:
        from git_gto.git.revisions import resolve

        return resolve(self, rev)

    def _lookup(self, commit_sha: str, path: str) -> Tuple[int, str]:
        """(mode, sha) of `path` in a commit's tree; KeyError if it is not there (a missing
        entry, or a part of the path that is a file, a link or a submodule, not a tree)."""
        mode, sha = stat.S_IFDIR, self.read_commit(commit_sha).tree
        for part in path.encode("utf-8", "surrogateescape").split(b"/"):
            found = self.raw_objects([sha]).get(sha) if stat.S_ISDIR(mode) else None
            entry = tree_entry(found[1], part) if found is not None and found[0] == OBJ_TREE else None
            if entry is None:
                raise KeyError(path)
            mode, sha = entry
        return mode, sha

    def read_file(self, commit_sha: str, path: str) -> Optional[bytes]:
        """The content of `path` in a commit, or None if it is not there as a regular file
        (a symbolic link or submodule entry is not the file)."""
        try:
            mode, sha = self._lookup(commit_sha, path)
        except KeyError:
            return None
        if not stat.S_ISREG(mode):
            return None
        found = self.raw_objects([sha]).get(sha)
        # missing: a partial clone without the blob (git would fetch it)
        return found[1] if found is not None and found[0] == OBJ_BLOB else None

    def path_exists(self, commit_sha: str, path: str) -> bool:
        try:
            self._lookup(commit_sha, path)
        except KeyError:
            return False
        return True

    def first_parent_history(self, sha: str) -> List[str]:
        """`sha` and its first parents, newest first, down to the root or to where a
        shallow clone's history is cut (`shallow`); a missing commit is an error."""
        try:
            with open(os.path.join(self.commondir, "shallow")) as f:
                shallow = set(f.read().split())
        except OSError:
            shallow = set()
        out = []
        seen = set()
        current: Optional[str] = sha
        while current and current not in seen:
            seen.add(current)
            out.append(current)
            if current in shallow:
                break
            try:
                raw = self.raw_object(current)[1]
            except KeyError:
                raise GtoError(f"commit {current} is missing (a partial clone, or a broken repository)") from None
            parent = split_object(raw)[0].get(b"parent")
            current = parent.decode() if parent else None
        return out

    # -- writing tags ---------------------------------------------------------------------
    def tagger(self, name: Optional[str] = None, email: Optional[str] = None) -> Identity:
        """The tagger `git tag -a` would write now (git's own identity and date rules), with
        `name` and `email` in place of git's when given."""
        from git_gto.git.identity import tagger

        return tagger(self.location, name, email)

    def create_tags(self, tags: List[NewTag], signer: Optional["Signer"] = None,
                    tagger: Optional[Identity] = None) -> None:
        """Create annotated tags (signed by `signer`, as `git tag -s`) by `tagger` (default:
        `self.tagger()`), all or none: any existing name makes the whole call fail."""
        from dulwich.objects import Tag

        from git_gto.git.signing import tag_object
        from dulwich.refs import Ref, check_ref_format

        for tag in tags:
            if not check_ref_format(Ref((R.TAGS_PREFIX + tag.name).encode())):
                raise GtoError(f"'{tag.name}' is not a valid Git tag name (see git check-ref-format)")
            if self.has_tag(tag.name):
                raise TagExists(f"tag '{tag.name}' already exists")
        identity = tagger or self.tagger()
        objects = []
        for tag in tags:
            when = identity._replace(time=max(identity.time, tag.not_before or identity.time))
            raw = tag_object(tag.name, tag.target, when, tag.message, signer)
            objects.append(Tag.from_raw_string(Tag.type_num, raw))
        store = self.dulwich.object_store
        with self.writing() as lock:
            written: List[str] = []
            try:
                for obj in objects:
                    written += _add_object(store, obj, lock)
                R.update_tags(self.commondir, lock,
                              [(t.name, o.id.decode("ascii"), t.target) for t, o in zip(tags, objects)],
                              [], self.peel)
            except BaseException:
                for path in written:  # nothing of a change that was not made stays behind
                    _unlink(path)
                raise
            finally:
                self._forget_refs()

    def delete_tags(self, names: Iterable[str]) -> None:
        """Delete tags, all or none, in one step."""
        with self.writing() as lock:
            try:
                R.update_tags(self.commondir, lock, [], list(names), self.peel)
            finally:
                self._forget_refs()

    def restore_tags(self, tags: Iterable[Tuple[str, str]]) -> None:
        """Put deleted tags back (their objects are still in the object store)."""
        wanted = [(name, sha, self.peel(sha)) for name, sha in tags if sha]
        if not wanted:
            return
        with self.writing() as lock:
            try:
                R.update_tags(self.commondir, lock, wanted, [], self.peel)
            finally:
                self._forget_refs()

    def peel(self, sha: str) -> Optional[str]:
        """The object a tag finally points at (None if it cannot be read)."""
        for _ in range(10):
            try:
                type_num, raw = self.raw_object(sha)
            except (KeyError, GtoError):
                return None
            if type_num != OBJ_TAG:
                return sha
            sha = tag_target(raw)
        return None

    # -- the writer lock -------------------------------------------------------------------
    def hold_write_lock(self) -> bool:
        """Take the repository's writer lock until `close` (True if newly taken): whatever is
        read after it is what the write will find. Refs read before are read again."""
        if self._write_lock is not None:
            return False
        from git_gto.git.lock import WriteLock

        self._write_lock = WriteLock.acquire(self.commondir)
        self._forget_refs()
        return True

    @contextmanager
    def writing(self) -> Iterator["WriteLock"]:
        """The writer lock for one write: the one held, or taken for the write only."""
        taken = self.hold_write_lock()
        assert self._write_lock is not None
        try:
            yield self._write_lock
        finally:
            if taken:
                self.release_write_lock()

    def release_write_lock(self) -> None:
        if self._write_lock is not None:
            lock, self._write_lock = self._write_lock, None
            lock.release()

    def _forget_refs(self) -> None:
        self._refs = R.RefSnapshot(self.commondir)


def _add_object(store, obj, lock: "WriteLock") -> List[str]:
    """Store an object as a loose object, the way git does: compressed into a temporary file
    of the object directory, then linked into place (an object already there is kept).
    Returns the path when it was written. A failure (a full disk) leaves nothing behind."""
    raw = obj.as_raw_string()
    sha = obj.id.decode("ascii")
    objects = store.path
    path = os.path.join(objects, sha[:2], sha[2:])
    if os.path.exists(path):
        return []
    data = zlib.compress(obj.type_name + b" %d\0" % len(raw) + raw)
    temp = os.path.join(objects, f"tmp_obj_gto_{os.getpid()}_{sha[:12]}")
    lock.track(temp)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            os.link(temp, path)
        except FileExistsError:
            return []  # the same object, written meanwhile by someone else
        return [path]
    except OSError as e:
        raise GtoError(f"cannot write object {sha} to '{objects}': {e.strerror} (nothing was changed)") from None
    finally:
        _unlink(temp)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
