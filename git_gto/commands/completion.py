"""git gto completion: print the completion script of a shell."""

from __future__ import annotations

import click

FILES = {"bash": "git-gto", "zsh": "_git-gto", "fish": "git-gto.fish"}


@click.command("completion")
@click.argument("shell", type=click.Choice(sorted(FILES)), metavar="SHELL")
def command(shell):
    """Print the completion script for SHELL (bash, zsh or fish); the package installs
    them already, this is for unusual set-ups."""
    from importlib.resources import files

    click.echo(files("git_gto").joinpath("completion").joinpath(FILES[shell]).read_text(), nl=False)
