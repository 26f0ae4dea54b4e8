"""git gto assign (alias promote): put a version in a stage."""

from __future__ import annotations

import click

from git_gto.options import (
    complete_refs, complete_stages, complete_versions, force_option, message_option, name_argument,
    push_options, repo_option, sign_option, simple_option,
)


@click.command("assign")
@repo_option
@name_argument
@click.argument("ref", required=False, shell_complete=complete_refs)
@click.option("--version", default=None, shell_complete=complete_versions,
              help="With REF: the version to register there if it has none. Without REF: the registered version to assign.")
@click.option("--stage", required=True, shell_complete=complete_stages, help="The stage to assign.")
@message_option
@simple_option
@force_option
@push_options
@sign_option
@click.option("--sr", "--skip-registration", "skip_registration", is_flag=True,
              help="Do not register a version at REF; assign the commit itself.")
def command(repo, name, ref, version, stage, message, simple, force, push, remote, sign, skip_registration):
    """Assign STAGE to a version of NAME: the one at REF (default HEAD, registered on the
    way if needed) or the one given by --version. Tag: NAME#STAGE#N."""
    from git_gto import changes
    from git_gto.commands._writing import apply_and_report
    from git_gto.workspace import Workspace

    with Workspace(repo, write=True) as ws:
        apply_and_report(ws, lambda: changes.plan_assign(
            ws, name, stage, ref=ref, version=version, message=message, simple=simple,
            force=force, skip_registration=skip_registration,
        ), push, remote, sign)
