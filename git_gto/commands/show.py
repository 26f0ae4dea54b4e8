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
def command(repo, name, all_branches, all_commits, as_json, plain, show_name, show_version,
            show_stage, show_ref, registered_only, deprecated, assignments_per_version,
            versions_per_stage, sort):
    """Show the registry, the versions of an artifact, or what a shortcut selects.

    NAME may be an artifact, NAME@latest (or @greatest), NAME@vX.Y.Z or NAME#STAGE.
    """
    from git_gto import api, output, views
    from git_gto.errors import UsageError

    columns = {"name": show_name, "version": show_version, "stage": show_stage, "ref": show_ref}
    if sum([as_json, plain, *columns.values()]) > 1:
        raise UsageError("Only one output format allowed")
    column = next((c for c, on in columns.items() if on), None)
    limits = dict(registered_only=registered_only, deprecated=deprecated,
                  assignments_per_version=assignments_per_version,
                  versions_per_stage=versions_per_stage, sort=sort)
    with api.Workspace(repo) as ws:
        ws.registry(all_branches=all_branches, all_commits=all_commits)
        if name is None:
            stages, rows = api.show_registry(ws, **limits)
            if as_json:
                output.print_json({
                    r.name: {
                        "version": r.latest,
                        "stage": {s: ", ".join(v) if v else None for s, v in r.stages.items()},
                        "registered": r.registered,
                        "active": r.active,
                    } for r in rows
                })
                return
            rows.sort(key=lambda r: r.name)
            table = [
                [r.name if r.registered else f"*{r.name}", r.latest]
                + [", ".join(views.short(v) for v in r.stages[s]) if r.stages[s] else None for s in stages]
                for r in rows
            ]
            if column == "name":
                output.print_lines(row[0] for row in table)
            elif column:
                if table:
                    raise UsageError(f"Cannot apply --{column}")
            else:
                output.print_table(["name", "latest"] + [f"#{s}" for s in stages], table, plain)
            return
        artifact, rows = api.show_versions(ws, name, **limits)
        if as_json:
            output.print_json([views.version_json(v, stages) for v, stages in rows])
            return
        table = []
        for version, stages in rows:
            if len(version.registrations) > 1:
                raise UsageError(
                    f"version {version.name} of '{artifact.name}' has several registration tags; "
                    "use --json to see them"
                )
            label = artifact.name if artifact.is_registered else f"*{artifact.name}"
            stage_names = list(dict.fromkeys(s.stage for s in stages))
            table.append([label, views.short(version.name), ", ".join(stage_names),
                          views.human_time(version.authoring), views.short(version.authoring.ref)])
        if column == "name":
            if table:
                raise UsageError("Cannot apply --name")
        elif column:
            index = {"version": 1, "stage": 2, "ref": 4}[column]
            output.print_lines(row[index] for row in table)
        else:
            output.print_table(views.VERSION_HEADERS, table, plain)
