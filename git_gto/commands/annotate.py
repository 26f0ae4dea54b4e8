"""git gto annotate: describe an artifact in artifacts.yaml (type, path, labels...)."""

from __future__ import annotations

import click

from git_gto.options import complete_artifacts, repo_option


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
@click.option("--commit", is_flag=True, help="Commit artifacts.yaml (alone) afterwards.")
@click.option("--push", is_flag=True, help="Commit and push the commit to 'origin'.")
@click.option("-b", "--branch", default=None, help="Branch to commit to (with a remote --repo).")
def command(repo, name, type_, path, must_exist, allow_same_path, labels, description, custom,
            commit, push, branch):
    """Add or update the annotation of artifact NAME in artifacts.yaml (in the work tree;
    commit it to publish it)."""
    from git_gto import annotations, api, output

    with api.Workspace(repo) as ws:
        _checkout(ws, branch)
        _check_push(ws, push)
        annotations.annotate(ws, name, type_, path, must_exist, allow_same_path, list(labels),
                             description, custom)
        output.message(f"Updated `{ws.config.index}`")
        if commit or push or ws.remote_url:
            annotations.commit_index(ws, annotations.commit_message(name, type_, path), push)


def _check_push(ws, push: bool) -> None:
    """Refuse --push without an 'origin' before anything is written."""
    from git_gto import api
    from git_gto.errors import GtoError

    if (push or ws.remote_url) and not api.has_remote(ws):
        raise GtoError("cannot push: the repository has no remote 'origin' (nothing was written)")


def _checkout(ws, branch):
    if branch:
        import subprocess

        from git_gto.errors import UsageError

        if not ws.remote_url:
            raise UsageError("--branch works with a remote --repo only")
        subprocess.run(["git", "checkout", "--quiet", branch], cwd=ws.repo.worktree, check=True)
