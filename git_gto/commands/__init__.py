"""One module a command: parse options, call `git_gto.api`, print the result.

The commands `direct` runs without click (check_ref, deprecate, hook) keep their bodies in
plain functions and make their click command only when cli.py asks for it (`made_on_use`).
"""

from __future__ import annotations

from typing import Any, Callable


def made_on_use(make: Callable[[], Any], module: str) -> Callable[[str], Any]:
    """A module's `__getattr__` that makes its `command` (by calling `make`) the first time
    it is asked for, and keeps it."""
    import sys

    def __getattr__(name: str) -> Any:
        if name != "command":
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        made = make()
        setattr(sys.modules[module], "command", made)
        return made

    return __getattr__
