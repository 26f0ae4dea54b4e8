"""Extensions: `git-gto-NAME` programs on PATH that are not built in, run as `git gto NAME`."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Collection, List


def external_commands(builtin: Collection[str]) -> List[str]:
    """The names of the `git-gto-NAME` programs on PATH, those in `builtin` left out."""
    found = set()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        try:
            names = os.listdir(directory or ".")
        except OSError:
            continue
        for program in names:
            name = program[len("git-gto-"):]
            if (program.startswith("git-gto-") and name not in builtin
                    and os.access(os.path.join(directory, program), os.X_OK)):
                found.add(name)
    return sorted(found)
