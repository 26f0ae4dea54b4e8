"""git gto deprecate: deprecate an artifact, deregister a version, or unassign a stage.

No click at import: `direct` runs `run` without it; the click command is made when cli.py
asks for `command`.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from git_gto.commands import made_on_use


def run(repo: str, name: str, version: Optional[str], stage: Optional[str], ref: Optional[str],
        message: Optional[str], simple: str, force: bool, delete: bool, push: bool,
        remote: Optional[str], sign: Optional[bool]) -> None:
    """Deprecate an artifact, deregister a version, or unassign a stage.

    NAME: deprecate the artifact (NAME@deprecated). NAME VERSION: deregister the version
    (NAME@VERSION!). NAME VERSION STAGE: unassign the stage (NAME#STAGE!#N).
    """
    from git_gto import changes
    from git_gto.commands._writing import apply_and_report
    from git_gto.workspace import Workspace
    from git_gto.errors import UsageError

    common: Dict[str, Any] = dict(message=message, simple=simple, force=force, delete=delete)
    if ref is not None and version is not None:
        raise UsageError("--ref goes with NAME alone")
    with Workspace(repo, write=True, only=name if delete else None) as ws:  # --delete: that artifact alone
        def plan():
            if stage is not None and version is not None:  # a STAGE comes after a VERSION
                return changes.plan_unassign(ws, name, version, stage, **common)
            if version is not None:
                return changes.plan_deregister(ws, name, version, **common)
            return changes.plan_deprecate(ws, name, ref=ref, **common)

        apply_and_report(ws, plan, push, remote, sign)


def _click_command():
    import click

    from git_gto.options import (
        complete_refs, complete_stages, complete_versions, force_option, message_option,
        name_argument, push_options, repo_option, sign_option, simple_option,
    )

    @click.command("deprecate", help=run.__doc__)
    @repo_option
    @name_argument
    @click.argument("version", required=False, shell_complete=complete_versions)
    @click.argument("stage", required=False, shell_complete=complete_stages)
    @click.option("--ref", default=None, shell_complete=complete_refs,
                  help="Commit to put the deprecation tag on (NAME alone only).")
    @message_option
    @simple_option
    @force_option
    @click.option("-d", "--delete", is_flag=True, help="Delete the tags instead of adding one.")
    @push_options
    @sign_option
    def command(**params):
        return run(**params)

    return command


__getattr__ = made_on_use(_click_command, __name__)
