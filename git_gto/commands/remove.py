"""git gto remove: drop an artifact's annotation from artifacts.yaml."""

from __future__ import annotations

import click

from git_gto.options import complete_artifacts, index_commit_options, repo_option


@click.command("remove")
@repo_option
@click.argument("name", shell_complete=complete_artifacts)
@index_commit_options
def command(repo, name, commit, push, remote, branch):
    """Remove the annotation of artifact NAME from artifacts.yaml (in the work tree)."""
    from git_gto import output, publish
    from git_gto.workspace import Workspace

    with Workspace(repo, worktree=True) as ws:
        publish.remove(ws, name, commit, push, branch, remote)
        output.message(f"Updated `{ws.config.index}`")
