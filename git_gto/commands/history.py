"""git gto history: the journal of registry events."""

from __future__ import annotations

import click

from git_gto.options import read_options


@click.command("history")
@read_options
@click.option("--ascending", "--asc", is_flag=True, help="Oldest event first.")
def command(repo, name, all_branches, all_commits, as_json, plain, ascending):
    """Show the journal of registrations, assignments and deprecations, newest first."""
    from git_gto import output, queries, views
    from git_gto.errors import UsageError
    from git_gto.loader import scope_of
    from git_gto.workspace import Workspace

    if as_json and plain:
        raise UsageError("Only one output format allowed")
    with Workspace(repo, scope_of(all_branches, all_commits)) as ws:
        events = queries.history(ws, name, ascending)
        if as_json:
            output.print_json_list(views.history_json(e) for e in events)
        else:
            output.print_table(views.HISTORY_HEADERS, [views.history_row(e) for e in events], plain)
