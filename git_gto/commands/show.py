"""git gto show: the registry, one artifact, or a shortcut (NAME@latest, NAME#STAGE...)."""

from __future__ import annotations

import click

from git_gto.options import read_options


@click.command("show")
@read_options
@click.option("--name", "show_name", is_flag=True, help="Print only the artifact names.")
@click.option("--version", "show_version", is_flag=True, help="Print only the versions.")
@click.option("--stage", "show_stage", is_flag=True, help="Print only the stages.")
@click.option("--ref", "show_ref", is_flag=True, help="Print only the versions' tags (or commits).")
@click.option("--ro", "--registered-only", "registered_only", is_flag=True,
              help="Leave out versions that were never registered.")
@click.option("-d", "--deprecated", is_flag=True, help="Include deprecated artifacts and deregistered versions.")
@click.option("--av", "--assignments-per-version", "assignments_per_version", type=int, default=-1,
              show_default=True, help="Show the first N stages activated on each version; -1 for all.")
@click.option("--vs", "--versions-per-stage", "versions_per_stage", type=int, default=1, show_default=True,
              help="Show N versions in each stage; -1 for all (applied after --av).")
@click.option("--sort", type=click.Choice(["timestamp", "semver"]), default="timestamp", show_default=True,
              help="Which version a stage shows first: the latest assigned, or the greatest.")
@click.option("--verify", is_flag=True,
              help="With NAME: add who signed each event and whether it verifies.")
def command(repo, name, all_branches, all_commits, as_json, plain, show_name, show_version,
            show_stage, show_ref, registered_only, deprecated, assignments_per_version,
            versions_per_stage, sort, verify):
    """Show the registry, the versions of an artifact, or what a shortcut selects.

    NAME may be an artifact, NAME@latest (or @greatest), NAME@vX.Y.Z or NAME#STAGE.
    """
    from git_gto.commands._reading import open_registry
    from git_gto import output, queries, views
    from git_gto.errors import UsageError
    from git_gto.loader import scope_of

    columns = {"name": show_name, "version": show_version, "stage": show_stage, "ref": show_ref}
    if sum([as_json, plain, *columns.values()]) > 1:
        raise UsageError("Only one output format allowed")
    column = next((c for c, on in columns.items() if on), None)
    if verify and (not name or column):
        raise UsageError("--verify goes with NAME, and a table or --json")
    limits = dict(registered_only=registered_only, deprecated=deprecated,
                  assignments_per_version=assignments_per_version,
                  versions_per_stage=versions_per_stage, sort=sort)
    with open_registry(repo, scope_of(all_branches, all_commits), name) as ws:
        if not name:  # as gto: an empty name is no name
            stages, rows = queries.show_registry(ws, **limits)
            if as_json:
                output.print_json(views.registry_json(rows))
                return
            table = views.registry_rows(stages, rows)
            if column == "name":
                output.print_lines(row[0] for row in table)
            elif column:
                if table:
                    raise UsageError(f"Cannot apply --{column}")
            else:
                output.print_table(views.registry_headers(stages), table, plain)
            return
        artifact, versions = queries.show_versions(ws, name, **limits)
        verdicts = queries.signatures(ws, [e.tag for v, _ in versions for e in v.events()]) if verify else None
        if as_json:
            data = [views.version_json(v, stages) for v, stages in versions]
            output.print_json(data if verdicts is None else views.add_signatures(data, verdicts))
            return
        table = views.version_rows(artifact, versions)
        if verdicts is not None:
            output.print_table(views.VERSION_HEADERS + ["signature"], [
                row + [views.signature_cell(verdicts.get(row[4] or ""))] for row in table
            ], plain)
            return
        if column == "name":
            if table:
                raise UsageError("Cannot apply --name")
        elif column:
            index = {"version": 1, "stage": 2, "ref": 4}[column]
            output.print_lines(row[index] for row in table)
        else:
            output.print_table(views.VERSION_HEADERS, table, plain)
