"""git gto annotate: describe an artifact in artifacts.yaml (type, path, labels...)."""

from __future__ import annotations

import click

from git_gto.options import complete_artifacts, index_commit_options, repo_option


@click.command("annotate")
@repo_option
@click.argument("name", shell_complete=complete_artifacts)
@click.option("--type", "type_", default=None, help="Artifact type, e.g. model or dataset.")
@click.option("--path", default=None, help="Where the artifact lives (a path in the repository, or a URL).")
@click.option("-e", "--must-exist", "--must_exist", "must_exist", is_flag=True,
              help="The path is committed to Git (the artifact is not virtual).")
@click.option("--allow-same-path", is_flag=True, help="Allow a path that another artifact uses.")
@click.option("--label", "labels", multiple=True, help="A label to add (repeatable).")
@click.option("-d", "--description", default=None, help="A description.")
@click.option("-c", "--custom", default=None, help="Custom metadata (a string).")
@index_commit_options
def command(repo, name, type_, path, must_exist, allow_same_path, labels, description, custom,
            commit, push, remote, branch):
    """Add or update the annotation of artifact NAME in artifacts.yaml (in the work tree;
    commit it to publish it)."""
    from git_gto import output, publish
    from git_gto.workspace import Workspace

    with Workspace(repo, worktree=True) as ws:
        publish.annotate(ws, name, type_, path, must_exist, allow_same_path, labels, description, custom,
                         commit, push, branch, remote)
        output.message(f"Updated `{ws.config.index}`")
