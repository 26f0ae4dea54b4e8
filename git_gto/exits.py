"""How a command ends: its exit status, and why it failed in one line on stderr (a refusal
worded as the registry's, the machine's state as it is, a bug worded as a bug)."""

from __future__ import annotations

import errno
import os
import sys

# what the machine refuses (a read-only or full disk, no permission): told as it is, exit 1
ENVIRONMENT_ERRORS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO,
                      errno.EFBIG, errno.EMFILE, errno.ENFILE}
INTERRUPTED = 130
BROKEN_PIPE = 141  # what a shell reports for a command killed by SIGPIPE
INTERNAL_ERROR = 70  # an unexpected exception: a bug, never a refusal (sysexits' EX_SOFTWARE)


def interrupted() -> int:
    """A Ctrl-C: one line (after a blank one, which ends the terminal's `^C`), exit 130."""
    from git_gto.output import print_error

    if sys.stderr is not None:
        sys.stderr.write("\n")
    print_error("fatal", "interrupted")
    return INTERRUPTED


def failure(error: BaseException, traceback: bool = False) -> int:
    """Say why the command failed and return its exit status. With GTO_DEBUG set (or
    `traceback`, from `git gto --traceback`) the exception is raised again, for its traceback."""
    from git_gto.errors import OutputClosed
    from git_gto.output import print_error

    if isinstance(error, KeyboardInterrupt):
        return interrupted()
    if isinstance(error, (BrokenPipeError, OutputClosed)):
        if sys.stderr is not None:
            sys.stderr.close()  # nothing more to say: Python's own complaint at exit included
        return BROKEN_PIPE
    if traceback or os.environ.get("GTO_DEBUG", "").lower() in ("1", "true", "yes", "on"):
        raise error
    from git_gto.errors import GtoError

    if isinstance(error, GtoError):
        if error.said:
            from git_gto import output

            output.message("\n".join(error.said))
        print_error(error.prefix, error.message)
        return error.exit_code
    if isinstance(error, OSError) and error.errno in ENVIRONMENT_ERRORS:
        where = f" ({error.filename})" if error.filename else ""
        print_error("fatal", f"{error.strerror}{where}")  # the machine's state, not a bug
        return 1
    print_error("fatal", f"internal error: {type(error).__name__}: {error} "
                         "(a bug in git-gto; GTO_DEBUG=1 shows the traceback)")
    return INTERNAL_ERROR
