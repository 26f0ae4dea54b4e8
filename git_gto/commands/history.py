"""git gto history: the journal of registry events, filtered."""

from __future__ import annotations

import click

from git_gto.options import complete_stages, read_options

EVENTS = ("registration", "deregistration", "assignment", "unassignment", "deprecation")


@click.command("history")
@read_options
@click.option("--ascending", "--asc", is_flag=True, help="Oldest event first.")
@click.option("--since", default=None, metavar="DATE", help="Only events at or after DATE.")
@click.option("--until", default=None, metavar="DATE", help="Only events at or before DATE.")
@click.option("--event", "events", multiple=True, type=click.Choice(EVENTS),
              help="Only events of this kind (repeatable).")
@click.option("--stage", default=None, shell_complete=complete_stages,
              help="Only assignments and unassignments of STAGE.")
@click.option("--author", default=None, metavar="PATTERN",
              help="Only events whose tagger (\"Name <email>\") matches the regular expression.")
@click.option("--verify", is_flag=True, help="Add who signed each event and whether it verifies.")
def command(repo, name, all_branches, all_commits, as_json, plain, ascending, since, until, events,
            stage, author, verify):
    """Show the journal of registrations, assignments and deprecations, newest first.

    NAME may be an artifact, NAME@vX.Y.Z, NAME@latest or NAME#STAGE.
    """
    from git_gto.commands._reading import open_registry
    from git_gto import output, queries, views
    from git_gto.errors import UsageError
    from git_gto.loader import scope_of

    if as_json and plain:
        raise UsageError("Only one output format allowed")
    with open_registry(repo, scope_of(all_branches, all_commits), name) as ws:
        found = queries.history(ws, name, ascending, since=since, until=until, events=events,
                                stage=stage, author=author)
        verdicts = queries.signatures(ws, [e.tag for e in found]) if verify else None
        if as_json:
            rows = (views.history_json(e) for e in found)
            output.print_json_list(rows if verdicts is None else (views.add_signatures(r, verdicts, "ref") for r in rows))
        elif verdicts is None:
            output.print_table(views.HISTORY_HEADERS, [views.history_row(e) for e in found], plain)
        else:
            output.print_table(views.HISTORY_HEADERS + ["signature"], [
                views.history_row(e) + [views.signature_cell(verdicts.get(e.tag or ""))] for e in found
            ], plain)
