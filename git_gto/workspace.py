"""One repository opened for one command: the repository (local, or the mirror of a URL in
the user's cache; a temporary clone for the commands that commit a file), its configuration,
and its registry, each read once and only when needed."""

from __future__ import annotations

import os
import signal
import threading
from typing import TYPE_CHECKING, Any, Dict, Optional

from git_gto.config import Config, config_at, config_from_worktree
from git_gto.errors import GtoError
from git_gto.git.repo import GitRepo
from git_gto.verbose import explain

if TYPE_CHECKING:
    from git_gto import registry as R
    from git_gto.git.mirror import Mirror
    from git_gto.cache import RegistryCache
    from git_gto.git.objects import Identity
    from git_gto.index import PackedIndex
    from git_gto.loader import RegistryLoader

FETCHED_MARK = os.path.join("gto", "fetched")  # `git gto fetch` ran: no more hints


class Workspace:
    """`repo` is a path (default: the current repository) or a URL; `scope` says whose
    artifacts.yaml annotates the registry (loader.HEAD, BRANCHES or COMMITS). For a URL:
    `artifact` names the one artifact a read needs (only its tags are brought up to date),
    `write` holds the mirror for the whole command, `worktree` makes a temporary clone with a
    work tree instead (to commit artifacts.yaml). `only`: the registry of a local repository
    is read for that artifact alone (a write that needs no other). `author` and
    `author_email` name the tagger of the tags written, in place of git's identity (the
    API's parameters)."""

    def __init__(self, repo: str = ".", scope: str = "head", artifact: Optional[str] = None,
                 write: bool = False, worktree: bool = False, only: Optional[str] = None,
                 author: Optional[str] = None, author_email: Optional[str] = None):
        self.remote_url: Optional[str] = None
        self.author = (author, author_email)
        self.scope = scope
        self.only = only
        self._tmp: Optional[str] = None
        self._mirror: Optional["Mirror"] = None
        self._signals: Dict[int, Any] = {}
        self._config: Optional[Config] = None
        self._loader: Optional["RegistryLoader"] = None
        if repo not in (".", "", None) and repo.startswith("-") and not os.path.exists(repo):
            # git would read it as an option; git clone takes it after `--`, but refuse it
            # before any git runs or any temporary directory is made
            raise GtoError(f"'{repo}' is not a repository path or URL: it begins with '-'")
        if repo in (".", "", None) or os.path.exists(repo) or not _looks_like_url(repo):
            self.repo = GitRepo.discover(None if repo in (".", "", None) else repo)
        else:
            self.remote_url = repo
            self.repo = self._clone(repo) if worktree else self._open_mirror(repo, artifact, write)
        explain("repository: %s", self.repo.worktree or self.repo.controldir)

    def _clone(self, url: str) -> GitRepo:
        import shutil  # noqa: F401 (loaded now: the clean-up after a signal must not import it)
        import tempfile  # only for a remote registry: not on every command's start-up

        from git_gto.git.run import finish, git_reason, start_git

        self._signals = _exit_on_signals()
        caught = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
        clone = None
        # no signal between mkdtemp and `try`, nor while git starts (it could not be stopped)
        signal.pthread_sigmask(signal.SIG_BLOCK, caught)
        try:
            try:
                self._tmp = tempfile.mkdtemp(prefix="git-gto-")
                explain("cloning %s into %s", url, self._tmp)
                clone = start_git(None, "clone", "--quiet", "--filter=blob:none", "--", url, self._tmp, unblock=caught)
            finally:  # a signal that came meanwhile is raised here: inside the `try` that cleans up
                signal.pthread_sigmask(signal.SIG_UNBLOCK, caught)
            result = finish(clone)  # a signal meanwhile stops git before the clone is removed
            if result.returncode != 0:
                raise GtoError(f"cannot clone '{url}': {git_reason(result.stderr)}")
            return GitRepo.discover(self._tmp)
        except BaseException:
            if clone is not None and clone.poll() is None:  # the signal came as git started
                clone.kill()
                clone.wait()
            self._remove_clone()
            raise

    def _open_mirror(self, url: str, artifact: Optional[str], write: bool) -> GitRepo:
        from git_gto.git.mirror import Mirror
        from git_gto.tags import name_to_tag

        self._mirror = Mirror(url)
        return self._mirror.open(None if artifact is None else name_to_tag(artifact), write)

    def refresh(self) -> None:
        """Fetch the remote's tags into the mirror again and forget what was read (a write
        whose push was refused because the remote moved plans again)."""
        assert self._mirror is not None
        if self._loader is not None:
            self._loader.save()
        self._loader = None
        self._config = None
        self.repo.close()
        self._mirror.fetch()
        self.repo = self._mirror.repo()

    def _remove_clone(self) -> None:
        """Remove the temporary clone (also when interrupted: SIGINT, SIGTERM, SIGHUP)."""
        for signum in self._signals:  # a second signal does not stop the removal half-way
            signal.signal(signum, signal.SIG_IGN)
        if self._tmp:
            import shutil  # loaded by _clone already

            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        for signum, handler in self._signals.items():
            signal.signal(signum, handler)
        self._signals = {}

    def close(self) -> None:
        try:
            if self._loader is not None:
                self._loader.save()
            self.repo.close()
            if self._mirror is not None:
                self._mirror.close()
        finally:
            self._remove_clone()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def reload(self) -> None:
        """Read the registry again when next asked (the tags may have moved)."""
        if self._loader is not None:
            self._loader.save()
            self._loader = None

    @property
    def config(self) -> Config:
        """`.gto` of the work tree; of HEAD in a bare repository."""
        if self._config is None:
            worktree = self.repo.worktree
            git_dir = self.repo.commondir
            self._config = (config_from_worktree(worktree, git_dir) if worktree
                            else config_at(self.repo, self.repo.head(), git_dir))
        return self._config

    @property
    def loader(self) -> "RegistryLoader":
        if self._loader is None:
            from git_gto.cache import RegistryCache, enabled
            from git_gto.loader import RegistryLoader

            cache = RegistryCache(self.repo.commondir, enabled())
            only = self.only if self.remote_url is None else None  # a mirror may lack the trees
            self._loader = RegistryLoader(self.repo, cache, self.config.index, self.scope, only)
        return self._loader

    @property
    def cache(self) -> "RegistryCache":
        return self.loader.cache

    @property
    def registry(self) -> "R.Registry":
        return self.loader.registry()

    def artifact(self, name: str) -> "R.Artifact":
        """One artifact as its own tags make it, without reading the registry's other tags
        (annotations left out: for what a tag of it records)."""
        if self._loader is not None:
            return self.loader.build_without(name, ())
        from git_gto.loader import RegistryLoader
        from git_gto.tags import tags_of

        refs = tags_of(self.repo, name)
        loader = RegistryLoader.for_artifact(self.repo, self.repo.commondir, self.config.index, refs, self.scope)
        return loader.artifact_of(name, refs)

    def index_at(self, commit: str) -> "PackedIndex":
        return self.loader.index_at(commit)

    def find_artifact(self, name: str) -> "R.Artifact":
        found = self.registry.artifact(name)
        if found is None:
            raise GtoError(f"Cannot find artifact '{name}'")
        return found

    def resolve(self, rev: str) -> str:
        return self.repo.resolve(rev)

    def tagger(self) -> "Identity":
        """Who writes this command's tags, now (git's identity, or the author given)."""
        return self.repo.tagger(*self.author)

    def fetch_remote(self) -> Optional[str]:
        """The remote `git fetch` would read: the current branch's, else `origin` (None when
        that remote is not configured)."""
        branch = self.repo.current_branch()
        settings = self.repo.git_config(r"^(branch|remote)\.")
        name = (settings.get(f"branch.{branch}.remote") if branch else None) or "origin"
        return name if name != "." and f"remote.{name}.url" in settings else None

    def fetch_hint(self) -> Optional[str]:
        """What to run when a local repository has no registry tags but probably should: it
        is shallow (a CI checkout), or has a remote; None once `git gto fetch` has run."""
        from git_gto.tags import parse_tag

        if self.remote_url is not None or self.repo.any_tag(lambda name: parse_tag(name) is not None):
            return None
        commondir = self.repo.commondir
        if os.path.exists(os.path.join(commondir, FETCHED_MARK)):
            return None
        remote = self.fetch_remote()
        command = "git gto fetch" + (f" {remote}" if remote and remote != "origin" else "")
        if os.path.exists(os.path.join(commondir, "shallow")):
            return f"this is a shallow clone without registry tags: run `{command}` to bring them"
        if remote:
            return f"no registry tags here; to read those of '{remote}', run `{command}`"
        return None


def _exit_on_signals() -> Dict[int, Any]:
    """Turn SIGTERM and SIGHUP into an exit that runs the clean-ups, as Python already does
    for SIGINT (KeyboardInterrupt); returns the handlers to put back. Only the main thread
    may set handlers: elsewhere (the API in a thread) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous: Dict[int, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) == signal.SIG_DFL:
            previous[signum] = signal.signal(signum, leave)
    return previous


def _looks_like_url(value: str) -> bool:
    """`scheme://...` or scp-like `host:path` (a colon before any slash), as git reads them."""
    if "://" in value:
        return True
    colon, slash = value.find(":"), value.find("/")
    return colon > 0 and (slash < 0 or colon < slash)
