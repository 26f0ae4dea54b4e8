"""git gto remove: drop an artifact's annotation from artifacts.yaml."""

from __future__ import annotations

import click

from git_gto.options import complete_artifacts, repo_option


@click.command("remove")
@repo_option
@click.argument("name", shell_complete=complete_artifacts)
@click.option("--commit", is_flag=True, help="Commit artifacts.yaml (alone) afterwards.")
@click.option("--push", is_flag=True, help="Commit and push the commit to 'origin'.")
@click.option("-b", "--branch", default=None, help="Branch to commit to (with a remote --repo).")
def command(repo, name, commit, push, branch):
    """Remove the annotation of artifact NAME from artifacts.yaml (in the work tree)."""
    from git_gto import annotations, api, output
    from git_gto.commands.annotate import _check_push, _checkout

    with api.Workspace(repo) as ws:
        _checkout(ws, branch)
        _check_push(ws, push)
        annotations.remove(ws, name)
        output.message(f"Updated `{ws.config.index}`")
        if commit or push or ws.remote_url:
            annotations.commit_index(ws, annotations.commit_message(name, removed=True), push)
