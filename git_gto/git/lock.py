"""The repository's writer lock, `$GIT_DIR/gto/write.lock`: one git-gto writer at a time,
from reading the registry to writing its tags, so that racing commands give the outcome of
some sequential order.

The holder keeps an exclusive `flock` on the lock file (taken before the file appears), so
the kernel itself says when a holder is gone: killed, its lock is free to take. The file
says who holds it (pid, host) and lists, before they are made, the files its holder creates
under git's own locks (`refs/tags/X.lock`, `packed-refs.lock`: hard links to the lock file,
so provably its own) and its temporary files. The next writer finding the lock free
removes what a killed one left, then takes it. A lock still held is waited for, then named
with what to do."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from typing import Dict, List, Optional

from git_gto.errors import GtoError

WAIT_SECONDS = 30.0  # how long a writer waits for another, live, writer
_HEADER = "git-gto write lock"


def _read_owner(fd: int) -> Dict[str, str]:
    """The owner fields of a lock file and the files it lists ("files", one a line)."""
    data = os.pread(fd, 1 << 20, 0).decode("utf-8", "replace")
    owner: Dict[str, str] = {}
    files: List[str] = []
    for line in data.splitlines()[1:]:
        key, _, value = line.partition(" ")
        if key == "file":
            files.append(value)
        else:
            owner.setdefault(key, value)
    owner["files"] = "\n".join(files)
    return owner


class WriteLock:
    """Held by one process; `track` records a file before it is created, `link` takes one
    of git's locks as a link to this file."""

    def __init__(self, commondir: str, path: str, fd: int):
        self.commondir = commondir
        self.path = path
        self._fd = fd
        st = os.fstat(fd)
        self._identity = (st.st_dev, st.st_ino)

    @classmethod
    def acquire(cls, commondir: str, wait: Optional[float] = None) -> "WriteLock":
        directory = os.path.join(commondir, "gto")
        path = os.path.join(directory, "write.lock")
        text = f"{_HEADER}\npid {os.getpid()}\nhost {os.uname().nodename}\n"
        wait = WAIT_SECONDS if wait is None else wait
        deadline = time.monotonic() + wait
        while True:
            try:
                os.makedirs(directory, exist_ok=True)
                lock = cls(commondir, path, _create_locked(path, text.encode()))
                _remove_dead_temps(path)
                return lock
            except FileExistsError:
                pass
            except OSError as e:
                raise GtoError(f"cannot lock the repository for writing: '{path}': {e.strerror} "
                               "(nothing was changed)") from None
            owner = _clear_if_gone(commondir, path)
            if owner is None:
                continue  # it was free (or just released): try again at once
            if time.monotonic() >= deadline:
                raise GtoError(_held_message(path, owner, wait))
            time.sleep(0.005)

    def track(self, path: str) -> None:
        """Say, before creating it, that `path` will be this writer's (for its recovery)."""
        inside = path.startswith(self.commondir + os.sep)  # as always: a path made from commondir
        relative = path[len(self.commondir) + 1:] if inside else os.path.relpath(path, self.commondir)
        line = f"file {relative}\n".encode("utf-8", "surrogateescape")
        try:
            if os.write(self._fd, line) != len(line):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError as e:
            raise GtoError(f"cannot write '{self.path}': {e.strerror} (nothing was changed)") from None

    def link(self, lock_path: str) -> None:
        """Take git's lock `lock_path` (FileExistsError if someone holds it)."""
        self.track(lock_path)
        os.link(self.path, lock_path)

    def owns(self, path: str) -> bool:
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._identity

    def release(self) -> None:
        """Remove the git locks still linked to this file, then the file; the flock goes
        last, so that nobody takes a half-released lock for a killed one."""
        for name in _read_owner(self._fd)["files"].splitlines():
            path = os.path.join(self.commondir, name)
            if self.owns(path):
                _unlink(path)
        _unlink(self.path)
        os.close(self._fd)


def _create_locked(path: str, content: bytes) -> int:
    """Create `path` holding `content`, already flocked: written and locked beside it, then
    linked into place (FileExistsError if it exists). Returns a descriptor for appending."""
    temp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.write(fd, content) != len(content):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.link(temp, path)
    except BaseException:
        os.close(fd)
        raise
    finally:
        _unlink(temp)
    return fd


def _remove_dead_temps(path: str) -> None:
    """Remove the `PATH.PID.tmp` files of writers killed while they took the lock (before
    their temporary file was linked into place): neither flocked nor of a live process."""
    directory, base = os.path.split(path)
    for name in os.listdir(directory):
        pid = name[len(base) + 1:-len(".tmp")]
        if not (name.startswith(base + ".") and name.endswith(".tmp") and pid.isdigit()) or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # alive (or another user's): its file
        except ProcessLookupError:
            pass
        except OSError:
            continue
        try:
            fd = os.open(os.path.join(directory, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _unlink(os.path.join(directory, name))
        except OSError:
            pass  # flocked: someone's, whatever its name says
        finally:
            os.close(fd)


def _clear_if_gone(commondir: str, path: str) -> Optional[Dict[str, str]]:
    """When the lock's holder is gone (its flock is free), remove what it left and return
    None; else the holder's fields."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise GtoError(f"cannot read '{path}': {e.strerror} (nothing was changed)") from None
    try:
        owner = _read_owner(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return owner
        st = os.fstat(fd)
        try:
            now = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            return None  # released meanwhile
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            return None  # someone else cleared it and took the lock
        owner = _read_owner(fd)  # complete now: its writer is gone
        for name in owner["files"].splitlines():
            found = os.path.normpath(os.path.join(commondir, name))
            if not found.startswith(os.path.join(commondir, "")):
                continue
            try:
                other = os.stat(found, follow_symlinks=False)
            except OSError:
                continue
            ours = (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino)
            if ours or not found.endswith(".lock"):  # a git lock only if it is the link
                _unlink(found)
        _unlink(path)
        return None
    finally:
        os.close(fd)


def _held_message(path: str, owner: Dict[str, str], wait: float) -> str:
    who = f"process {owner.get('pid', '?')} on {owner.get('host', '?')}"
    return (f"another git gto ({who}) holds '{path}' (waited {wait:g} s); if no git gto is "
            "running there, remove that file (nothing was changed)")


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
