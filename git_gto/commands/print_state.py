"""git gto print-state (hidden): the whole registry as JSON, for debugging."""

from __future__ import annotations

import click

from git_gto.options import repo_option


@click.command("print-state", hidden=True)
@repo_option
def command(repo):
    """Print the registry's internal state as JSON."""
    from git_gto import output, views
    from git_gto.workspace import Workspace

    with Workspace(repo) as ws:
        reg = ws.registry
        for artifact in reg.artifacts.values():
            reg.enrich(artifact)
        output.print_json(views.state_json(reg))
