"""git gto describe: print an artifact's annotation."""

from __future__ import annotations

import click

from git_gto.options import complete_artifacts, complete_refs, repo_option


@click.command("describe")
@repo_option
@click.argument("name", shell_complete=complete_artifacts)
@click.option("--rev", default=None, shell_complete=complete_refs,
              help="Read artifacts.yaml as committed at REV (default: the work tree).")
@click.option("--type", "show_type", is_flag=True, help="Print only the type.")
@click.option("--path", "show_path", is_flag=True, help="Print only the path.")
@click.option("--description", "show_description", is_flag=True, help="Print only the description.")
@click.option("--custom", "show_custom", is_flag=True, help="Print only the custom metadata.")
def command(repo, name, rev, show_type, show_path, show_description, show_custom):
    """Print the annotation of NAME (or NAME@VERSION, NAME@latest, NAME#STAGE) as JSON,
    leaving out fields at their defaults."""
    from git_gto.commands._reading import open_registry
    from git_gto import output, queries
    from git_gto.index import compact_annotation
    from git_gto.errors import UsageError

    fields = {"type": show_type, "path": show_path, "description": show_description, "custom": show_custom}
    if sum(fields.values()) > 1:
        raise UsageError("Can output one field only")
    field = next((f for f, on in fields.items() if on), None)
    with open_registry(repo, about=name) as ws:
        annotation = queries.describe(ws, name, rev)
    if annotation is None:
        return
    compact = compact_annotation(annotation)
    if field is None:
        output.print_json(compact)
    elif field in compact:
        output.print_lines([str(compact[field])])  # as gto 0.2 prints it, even for a mapping
