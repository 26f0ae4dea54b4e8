"""Finding a repository the way git does: GIT_DIR and GIT_WORK_TREE, `.git` directories and
files, bare repositories, GIT_CEILING_DIRECTORIES, and git's `safe.directory` ownership
check."""

from __future__ import annotations

import os
import re
from typing import NamedTuple, Optional, Tuple

from git_gto.errors import NotARepository


class Location(NamedTuple):
    """Where a repository lives. `from_environment`: found through GIT_DIR or with
    GIT_WORK_TREE, so the git we run inherits the user's GIT_* variables (and runs in the
    user's directory); otherwise they are cleared for it."""

    controldir: str
    worktree: Optional[str]
    commondir: str
    from_environment: bool = False


def discover(path: Optional[str] = None) -> Location:
    """The repository at or above `path` (default: the current directory, or GIT_DIR)."""
    env_dir = os.environ.get("GIT_DIR")
    if path is None and env_dir:
        # like git, an explicit GIT_DIR is trusted: no ownership check
        controldir = os.path.abspath(env_dir)
        if not is_controldir(controldir):
            raise NotARepository(f"not a git repository: '{env_dir}'")
        worktree = os.environ.get("GIT_WORK_TREE")
        if worktree is None and not is_bare(controldir):
            worktree = os.getcwd()
        return _location(controldir, os.path.abspath(worktree) if worktree else None, True)
    start = os.path.abspath(path or os.getcwd())
    if not os.path.isdir(start):
        raise NotARepository(f"not a git repository: '{path}'")
    ceilings = [
        os.path.abspath(p) for p in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(":") if p
    ]
    # git applies GIT_WORK_TREE to the repository it discovers too (not to another one, -r)
    env_worktree = os.environ.get("GIT_WORK_TREE") if path is None else None
    across = os.environ.get("GIT_DISCOVERY_ACROSS_FILESYSTEM", "").lower() in ("1", "true", "yes", "on")
    device = os.stat(start).st_dev
    current = start
    while True:
        dotgit = os.path.join(current, ".git")
        found: Optional[Location] = None
        if os.path.isfile(dotgit):
            found = _discovered(_read_gitfile(dotgit), current, dotgit, env_worktree)
        elif os.path.isdir(dotgit) and is_controldir(dotgit):
            found = _discovered(dotgit, current, None, env_worktree)
        elif is_controldir(current) and is_bare(current):
            _ensure_implicit_bare_allowed(current)
            found = _discovered(current, None, None, env_worktree)
        if found is not None:
            return found
        parent = os.path.dirname(current)
        if parent == current or parent in ceilings:
            break
        if not across and os.stat(parent).st_dev != device:
            raise NotARepository(f"not a git repository (or any parent up to mount point {current})")
        current = parent
    raise NotARepository("not a git repository (or any of the parent directories): .git")


def _ensure_implicit_bare_allowed(path: str) -> None:
    """A bare repository found by walking up, not named by GIT_DIR: refused when git's
    `safe.bareRepository` is `explicit` (it blocks bare repositories embedded in a work
    tree); git's own verdict is asked for only when the setting says `explicit`."""
    from git_gto.git.run import git, git_reason

    setting = git(None, "config", "--get", "safe.bareRepository", cwd=path, check=False).stdout.strip()
    if setting.lower() != "explicit":
        return
    result = git(None, "rev-parse", "--git-dir", cwd=path, check=False)
    if result.returncode != 0:
        raise NotARepository(git_reason(result.stderr))


def _read_gitfile(gitfile: str) -> str:
    """The control directory a `.git` file names, refused in git's words when it names none."""
    try:
        with open(gitfile, "rb") as f:
            content = os.fsdecode(f.read())
    except OSError:
        raise NotARepository(f"error opening '{gitfile}'") from None
    if not content.startswith("gitdir: "):
        raise NotARepository(f"invalid gitfile format: {gitfile}")
    target = content[len("gitdir: "):].rstrip("\r\n")
    if not target:
        raise NotARepository(f"no path in gitfile: {gitfile}")
    if not os.path.isabs(target):
        target = os.path.dirname(gitfile) + "/" + target
    if not is_controldir(target):
        raise NotARepository(f"not a git repository: {target}")
    return os.path.realpath(target)


def _discovered(controldir: str, top: Optional[str], gitfile: Optional[str],
                env_worktree: Optional[str]) -> Location:
    """A repository found by walking up, once git's ownership check lets it be used."""
    ensure_valid_ownership(top or controldir, (gitfile, top, controldir))
    if env_worktree:
        return _location(controldir, os.path.abspath(env_worktree), True)
    return _location(controldir, top)


def ensure_valid_ownership(top: str, paths: Tuple[Optional[str], ...]) -> None:
    """Refuse a repository owned by someone else, as git does (`safe.directory`).

    The common case costs a few lstat calls: every path (the `.git` file, the work tree,
    the control directory, as git checks them) is owned by the effective uid. Otherwise git
    itself decides: whether the repository is safe depends on root's SUDO_UID, on
    `safe.directory` in the protected configuration (system, global, `-c`, includes,
    GIT_CONFIG_GLOBAL...) and on rules that change with git's version (`*`, an empty value,
    `dir/*`, `.`), so asking the git the user runs is the only way to agree with it exactly.
    """
    uid = os.geteuid()
    try:
        if all(os.lstat(p).st_uid == uid for p in paths if p):
            return
    except OSError:
        pass  # git counts a path it cannot lstat as not owned
    from git_gto.git.run import git, git_reason

    result = git(None, "rev-parse", "--git-dir", cwd=top, check=False)
    if result.returncode == 0:
        return
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    if lines and "dubious ownership" in lines[0]:
        hint = next((line for line in lines if "safe.directory" in line), "")
        reason = lines[0].split(": ", 1)[1]
        raise NotARepository(f"{reason} (add it with: {hint})" if hint else reason)
    raise NotARepository(git_reason(result.stderr))


def _location(controldir: str, worktree: Optional[str], from_environment: bool = False) -> Location:
    commondir = _commondir(controldir)
    check_format(commondir)
    return Location(controldir, worktree, commondir, from_environment)


# the extensions of repository format 1 that change nothing git-gto reads
READABLE_EXTENSIONS = ("noop", "preciousobjects", "partialclone", "worktreeconfig")


def check_format(commondir: str) -> None:
    """Refuse, in one line, a repository whose format git-gto cannot read: a format
    version over 1, SHA-256 objects, reftable refs, or an extension it does not know
    (git ignores `extensions.*` in format 0, and so does this check)."""
    version, extensions = _format_of(os.path.join(commondir, "config"))
    if version > 1:
        raise NotARepository(f"unsupported repository format version {version} (git-gto reads 0 and 1)")
    if version < 1:
        return
    for key, value in extensions.items():
        if key == "objectformat" and value.lower() != "sha1":
            raise NotARepository(f"the repository uses {value} object names, which git-gto does not support "
                                 "(only sha1)")
        if key == "refstorage" and value.lower() != "files":
            raise NotARepository(f"the repository stores its refs as {value}, which git-gto does not support")
        if key not in READABLE_EXTENSIONS + ("objectformat", "refstorage"):
            raise NotARepository(f"unknown repository extension found: {key} (not supported by git-gto)")


def _format_of(config: str) -> Tuple[int, dict]:
    """core.repositoryformatversion and the extensions.* keys of a config file (git's
    syntax, read line by line: only these two sections matter)."""
    try:
        with open(config, "rb") as f:
            text = f.read(1024 * 1024).decode("utf-8", "replace")
    except OSError:
        return 0, {}
    section, version, extensions = "", 0, {}
    for line in text.splitlines():
        m = re.match(r'\s*\[\s*([\w.-]+)(\s+"[^"]*")?\s*\](.*)', line)
        if m:
            section = m.group(1).lower() + (" sub" if m.group(2) else "")
            line = m.group(3)
        m = re.match(r'\s*([A-Za-z][\w-]*)\s*(?:=\s*([^#;]*))?', line)
        if not m:
            continue
        key, value = m.group(1).lower(), (m.group(2) if m.group(2) is not None else "true").strip().strip('"')
        if section == "core" and key == "repositoryformatversion":
            version = int(value) if value.isdigit() else 0
        elif section == "extensions":
            extensions[key] = value
    return version, extensions


def _commondir(controldir: str) -> str:
    """The directory shared by all worktrees (`commondir` file), else the control directory."""
    try:
        with open(os.path.join(controldir, "commondir")) as f:
            return os.path.normpath(os.path.join(controldir, f.read().rstrip()))
    except (FileNotFoundError, NotADirectoryError):
        return controldir


def is_controldir(path: str) -> bool:
    """git's is_git_directory: a valid HEAD, and `objects` and `refs` in the common dir."""
    if not _valid_head(os.path.join(path, "HEAD")):
        return False
    common = _commondir(path)
    return all(os.access(os.path.join(common, d), os.X_OK) for d in ("objects", "refs"))


def _valid_head(path: str) -> bool:
    """git's validate_headref: a symlink into refs/, `ref: refs/...`, or an object id."""
    try:
        if os.path.islink(path):
            return os.readlink(path).startswith("refs/")
        with open(path, "rb") as f:
            content = f.read(255)
    except OSError:
        return False
    if content.startswith(b"ref:"):
        return content[4:].lstrip().startswith(b"refs/")
    return re.match(rb"[0-9a-fA-F]{40}", content) is not None


def is_bare(path: str) -> bool:
    """A control directory with no work tree of its own (not a `.git` directory)."""
    if os.path.basename(os.path.normpath(path)) == ".git":
        return False
    config = os.path.join(path, "config")
    try:
        with open(config) as f:
            text = f.read()
    except OSError:
        return True
    m = re.search(r"^\s*bare\s*=\s*(\w+)", text, re.MULTILINE | re.IGNORECASE)
    return not m or m.group(1).lower() in ("true", "yes", "1", "on")
