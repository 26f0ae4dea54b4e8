"""git gto doctor: version, configuration, and a check of the registry's tags."""

from __future__ import annotations

import click

from git_gto.options import all_commits_option, repo_option


@click.command("doctor")
@repo_option
@all_commits_option
def command(repo, all_commits):
    """Print the version and configuration, and report tags the registry cannot use."""
    from git_gto import __version__, api, output
    from git_gto.config import environment_config

    env = environment_config()
    click.echo(f"git-gto version {__version__}")
    click.echo("---------------------------------")
    with api.Workspace(repo) as ws:
        config = ws.config
        click.echo(f"repository: {ws.repo.worktree or ws.repo.controldir}")
        click.echo(f"index: {config.index}")
        click.echo(f"stages: {config.stages}")
        click.echo(f"types: {config.types}")
        click.echo(f"emojis: {output.emojis()}")
        click.echo(f"environment: stages={env.stages} types={env.types} index={env.index}")
        click.echo("---------------------------------")
        reg = ws.registry(all_commits=all_commits)
        problems = list(reg.skipped)
        for artifact in reg.artifacts.values():
            commits = {}
            for v in artifact.versions:
                if v.is_registered:
                    commits.setdefault(v.commit, []).append(v.name)
            for commit, names in commits.items():
                if len(names) > 1:
                    problems.append(f"{artifact.name}: versions {', '.join(names)} are all registered on commit {commit[:7]}")
            seen = {}
            for v in artifact.versions:
                if not v.discovered:
                    seen.setdefault(v.name, []).append(v.commit[:7])
            for name, where in seen.items():
                if len(where) > 1:
                    problems.append(f"{artifact.name}: version {name} is registered on several commits ({', '.join(where)})")
    for problem in problems:
        click.echo(f"problem: {problem}")
    if problems:
        click.get_current_context().exit(1)
    click.echo(output.success("No issues found"))
