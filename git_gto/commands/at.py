"""git gto at: the versions on a commit, or (--contains) those whose commit contains it."""

from __future__ import annotations

import click

from git_gto.options import complete_refs, json_option, plain_option, repo_option


@click.command("at")
@repo_option
@click.argument("rev", default="HEAD", shell_complete=complete_refs)
@click.option("--contains", is_flag=True,
              help="Versions whose commit contains REV (REV or a descendant), not only those on REV.")
@json_option
@plain_option
def command(repo, rev, contains, as_json, plain):
    """Show the versions registered on REV (default HEAD) and the stages they hold; with
    --contains, every version and stage holder whose commit contains REV."""
    from git_gto.commands._reading import open_registry
    from git_gto import output, queries, views
    from git_gto.errors import UsageError

    if as_json and plain:
        raise UsageError("Only one output format allowed")
    with open_registry(repo) as ws:
        if as_json:
            found = queries.versions_containing(ws, rev) if contains else queries.versions_at(ws, rev)
            output.print_json_list(views.version_json(v, stages) for v, stages in found)
        else:
            output.print_table(views.VERSION_HEADERS, queries.at_table(ws, rev, contains), plain)
