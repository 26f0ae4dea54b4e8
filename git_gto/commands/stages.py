"""git gto stages: the stages allowed in .gto, or those in use."""

from __future__ import annotations

import click

from git_gto.options import json_option, repo_option


@click.command("stages")
@repo_option
@click.option("--allowed", is_flag=True, help="Only the stages allowed by .gto (nothing if unrestricted).")
@click.option("--used", is_flag=True, help="Only the stages some version is in now.")
@json_option
def command(repo, allowed, used, as_json):
    """List stages: those allowed by .gto if it restricts them, else those in use."""
    from git_gto.commands._reading import open_registry
    from git_gto import output, queries

    with open_registry(repo) as ws:
        names = queries.stages(ws, allowed=allowed, used=used)
    if as_json:
        output.print_json(names)
    else:
        output.print_lines(names or [])
