"""Reading a file someone else may have placed (a cloned work tree, a `.git` directory):
only a regular file, never through a symbolic link, never blocking, never without bound."""

from __future__ import annotations

import errno
import os
import stat
from typing import List, Optional

# `.gto` holds a few settings: 64 KiB is far beyond any real one.
CONFIG_LIMIT = 64 * 1024
# artifacts.yaml grows with the registry (100,000 entries take 3.9 MB): 64 MiB leaves room
# for any real one, while a hostile file cannot take the memory.
INDEX_LIMIT = 64 * 1024 * 1024

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_DIR_FLAGS = _FLAGS | os.O_DIRECTORY


class UnsafeFile(Exception):
    """The file is there but is not read; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read_regular(path: str, limit: int, root: Optional[str] = None) -> Optional[bytes]:
    """The content of the regular file `path`, None if it is absent. With `root` (trusted),
    `path` is '/'-separated relative to it and no component of it may be a symbolic link;
    without, only the last component may not. Raises UnsafeFile for a symbolic link, a file
    that is not regular (FIFO, device, directory) or one larger than `limit` bytes."""
    parts: List[str] = path.split("/") if root is not None else [path]
    fd: Optional[int] = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC) if root is not None else None
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            try:
                child = os.open(part, _FLAGS if last else _DIR_FLAGS, dir_fd=fd)
            except OSError as e:
                if e.errno == errno.ENOENT:
                    return None
                shown = "/".join(parts[: i + 1]) if root is not None else None
                if e.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, fd):
                    raise UnsafeFile(f"'{shown}' is a symbolic link, not followed" if shown and not last
                                     else "a symbolic link, not followed") from None
                if e.errno == errno.ENOTDIR:
                    return None
                raise UnsafeFile(e.strerror or str(e)) from None
            if fd is not None:
                os.close(fd)
            fd = child
        assert fd is not None
        return _read_bounded(fd, limit)
    finally:
        if fd is not None:
            os.close(fd)


def _is_link(name: str, dir_fd: Optional[int]) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _read_bounded(fd: int, limit: int) -> bytes:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFile("not a regular file")
    if st.st_size > limit:
        raise UnsafeFile(f"larger than {limit} bytes")
    chunks: List[bytes] = []
    total = 0
    while total <= limit:  # the file may grow while it is read
        chunk = os.read(fd, min(limit + 1 - total, max(st.st_size - total, 0) + 65536))
        if not chunk:
            return b"".join(chunks)  # one chunk, as a rule: joined without a copy
        chunks.append(chunk)
        total += len(chunk)
    raise UnsafeFile(f"larger than {limit} bytes")


def write_regular(root: str, path: str, data: bytes) -> None:
    """Replace the file `path` ('/'-separated, relative to the trusted `root`) atomically
    with `data`: through no symbolic link, over nothing but a regular file, and leaving no
    temporary file behind if it fails (OSError, or UnsafeFile naming what is in the way)."""
    *dirs, name = path.split("/")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, part in enumerate(dirs):
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, fd):
                    raise UnsafeFile(f"'{'/'.join(dirs[: i + 1])}' is a symbolic link, not followed") from None
                raise
            os.close(fd)
            fd = child
        try:
            mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            mode = stat.S_IFREG
        if stat.S_ISLNK(mode):
            raise UnsafeFile("a symbolic link, not followed")
        if not stat.S_ISREG(mode):
            raise UnsafeFile("not a regular file")
        import secrets

        tmp = f".{name}.{secrets.token_hex(6)}.tmp"
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=fd)
        try:
            with os.fdopen(out, "wb") as f:
                f.write(data)
            os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            os.unlink(tmp, dir_fd=fd)
            raise
    finally:
        os.close(fd)
