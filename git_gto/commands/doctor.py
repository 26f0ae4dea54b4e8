"""git gto doctor: version, configuration, and a check of the registry's tags."""

from __future__ import annotations

import click

from git_gto.options import all_commits_option, repo_option


@click.command("doctor")
@repo_option
@all_commits_option
def command(repo, all_commits):
    """Print the version and configuration, and report tags the registry cannot use."""
    from git_gto import __version__, output, queries
    from git_gto.config import environment_config
    from git_gto.loader import scope_of
    from git_gto.workspace import Workspace

    env = environment_config()
    click.echo(f"git-gto version {__version__}")
    click.echo("---------------------------------")
    with Workspace(repo, scope_of(all_commits=all_commits)) as ws:
        config = ws.config
        click.echo(f"repository: {ws.repo.worktree or ws.repo.controldir}")
        click.echo(f"index: {config.index}")
        click.echo(f"stages: {config.stages}")
        click.echo(f"types: {config.types}")
        click.echo(f"emojis: {'auto' if config.emojis is None else config.emojis}")
        click.echo(f"environment: stages={env.stages} types={env.types} index={env.index}")
        click.echo("---------------------------------")
        problems = queries.problems(ws)
    for problem in problems:
        click.echo(f"problem: {problem}")
    if problems:
        click.get_current_context().exit(1)
    output.print_success("No issues found", config.emojis)
