"""What the commands that change the registry share: applying a change and saying so."""

from __future__ import annotations

import shlex
from typing import Optional

from git_gto import output

WHAT = {
    "registration": "registers version",
    "assignment": "assigns stage to version '{version}'",
    "unassignment": "unassigns stage from version '{version}'",
    "deregistration": "deregisters version",
    "deprecation": "deprecates artifact",
}


def apply_and_report(ws, plan, push: bool, remote: Optional[str] = None,
                     sign: Optional[bool] = None) -> None:
    """Plan the change and write it (atomically, signed as asked, pushing if asked; planned
    again when a remote registry moved during the push), and tell the user what happened."""
    from git_gto import publish

    change, said = publish.apply_planned(ws, plan, push, remote, sign)
    if said:
        output.message("\n".join(said))  # git's words: a hook, the remote
    pushed = publish.pushes(ws, push)
    for created in change.created:
        output.message(f"Created git tag '{created.tag}' that " + WHAT[created.kind].format(version=created.version))
    for tag, _ in change.deleted:
        output.message(f"Deleted git tag '{tag}'")
    for warning in change.warnings:
        output.message(f"warning: {warning}")
    names = [c.tag for c in change.created]
    deleted = [t for t, _ in change.deleted]
    if pushed:
        where = ws.remote_url or publish.push_remote(ws, remote)
        if names:
            output.message(f"Pushed {', '.join(names)} to {where}")
        if deleted:
            output.message(f"Deleted {', '.join(deleted)} on {where}")
        return
    upstream = publish.push_remote(ws, remote) if names or deleted else None
    if upstream is None:
        return  # nothing changed, or no remote: nothing to push
    output.message("To push the changes upstream, run:")
    if names:
        output.message(f"    git push {upstream} {' '.join(shlex.quote(t) for t in names)}")
    if deleted:
        output.message(f"    git push --delete {upstream} {' '.join(shlex.quote(t) for t in deleted)}")
