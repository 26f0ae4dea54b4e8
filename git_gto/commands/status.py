"""git gto status: the registry events that differ between the repository and a remote."""

from __future__ import annotations

import click

from git_gto.options import json_option, plain_option, repo_option

HEADERS = ("artifact", "event", "version", "stage", "tag", "status")


@click.command("status")
@repo_option
@click.argument("remote", required=False)
@json_option
@plain_option
def command(repo, remote, as_json, plain):
    """Show the registry tags that differ from REMOTE's (default: the remote git fetch
    reads, else origin): events not pushed, events only on the remote, and tags of one name
    with different objects. One `git ls-remote`; nothing is fetched."""
    from git_gto import output, sync
    from git_gto.errors import UsageError
    from git_gto.workspace import Workspace

    if as_json and plain:
        raise UsageError("Only one output format allowed")
    with Workspace(repo) as ws:
        name, rows = sync.status(ws, remote)
    if as_json:
        output.print_json(rows)
    elif rows:
        output.print_table(HEADERS, [[r[h] for h in HEADERS] for r in rows], plain)
    else:
        output.message(f"The registry is the same as on {name}")
