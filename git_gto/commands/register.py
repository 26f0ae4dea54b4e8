"""git gto register: record a new version of an artifact."""

from __future__ import annotations

import click

from git_gto.options import (
    complete_refs, force_option, message_option, name_argument, push_options, repo_option,
    sign_option, simple_option,
)


@click.command("register")
@repo_option
@name_argument
@click.argument("ref", default="HEAD", shell_complete=complete_refs)
@click.option("--version", "--ver", "version", default=None, help="Version to register (vX.Y.Z); the next patch version otherwise.")
@message_option
@simple_option
@force_option
@click.option("--bump-major", is_flag=True, help="Register the next major version.")
@click.option("--bump-minor", is_flag=True, help="Register the next minor version.")
@click.option("--bump-patch", is_flag=True, help="Register the next patch version (the default).")
@push_options
@sign_option
def command(repo, name, ref, version, message, simple, force, bump_major, bump_minor, bump_patch, push, remote, sign):
    """Register a version of artifact NAME at REF (default HEAD) with a tag NAME@vX.Y.Z."""
    from git_gto import changes
    from git_gto.commands._writing import apply_and_report
    from git_gto.workspace import Workspace

    bumps = [p for p, on in (("major", bump_major), ("minor", bump_minor), ("patch", bump_patch)) if on]
    with Workspace(repo, write=True) as ws:
        apply_and_report(ws, lambda: changes.plan_register(
            ws, name, ref, version=version, message=message, simple=simple, force=force,
            bump=bumps[0] if bumps else None, bumps_given=len(bumps),
        ), push, remote, sign)
