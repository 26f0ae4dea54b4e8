"""What the commands that read the registry share: opening it, and saying once when the
local registry is probably not the whole one (a CI checkout without the remote's tags)."""

from __future__ import annotations

import re
from typing import Optional

from git_gto import output

_ARTIFACT = re.compile(r"[^@#]+")


def open_registry(repo: str, scope: str = "head", about: Optional[str] = None):
    """The Workspace of a read; `about` (an artifact, a shortcut or a tag name) limits what
    a remote's mirror brings up to date to that artifact's tags."""
    from git_gto.tags import is_fullname
    from git_gto.workspace import Workspace

    m = _ARTIFACT.match(about or "")
    artifact = m.group() if m and is_fullname(m.group()) else None
    ws = Workspace(repo, scope, artifact=artifact)
    try:
        hint = ws.fetch_hint()
    except BaseException:
        ws.close()
        raise
    if hint:
        output.message(f"warning: {hint}")
    return ws
