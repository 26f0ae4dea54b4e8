"""One error hierarchy; each error knows its exit status."""

from __future__ import annotations

from typing import List, Optional


class OutputClosed(Exception):
    """Whoever read the output went away (`git gto ... | head -1`): the command ends as git's
    do, as if killed by SIGPIPE (141), saying nothing. Not an OSError, so that click does not
    turn it into its own exit status."""


class GtoError(Exception):
    """A registry error: bad name, tag exists, stage not allowed... (exit 1)."""

    exit_code = 1
    prefix = "error"

    def __init__(self, message: str, said: Optional[List[str]] = None):
        super().__init__(message)
        self.message = message
        self.said = said or []  # what git said first (hooks, the remote), passed on as it is


class NotARepository(GtoError):
    """Not inside a Git repository (exit 128, as git does)."""

    exit_code = 128
    prefix = "fatal"


class UsageError(GtoError):
    """Options that do not go together (exit 2, as click's usage errors)."""

    exit_code = 2


class ConfigError(GtoError):
    """A malformed `.gto`, `artifacts.yaml` or `GTO_*` variable."""


class RefNotFound(GtoError):
    """A revision git cannot resolve."""


class TagExists(GtoError):
    """A tag of that name is already there (locally or on the remote)."""


class PushFailed(GtoError):
    """`git push` refused or failed."""
