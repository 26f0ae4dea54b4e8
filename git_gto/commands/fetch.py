"""git gto fetch: bring a remote's registry tags into the repository (a CI checkout)."""

from __future__ import annotations

import click

from git_gto.options import repo_option


@click.command("fetch")
@repo_option
@click.argument("remote", required=False)
def command(repo, remote):
    """Fetch the registry tags of REMOTE (default: the remote git fetch reads, else origin)
    and the commits they point to; no blob, and in a shallow or partial clone no tree
    either. A local tag that differs from the remote's is kept."""
    from git_gto import output, sync
    from git_gto.workspace import Workspace

    with Workspace(repo) as ws:
        name, new, said, kept = sync.fetch(ws, remote)
    if said:
        output.message("\n".join(said))
    if new:
        output.message(f"Fetched {len(new)} registry tag(s) from {name}")
    else:
        output.message(f"No new registry tags on {name}")
    if kept:
        raise sync.differs_error(name, kept)
