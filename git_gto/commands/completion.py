"""git gto completion: print the completion script of a shell."""

from __future__ import annotations

import click

FILES = {"bash": "git-gto", "zsh": "_git-gto", "fish": "git-gto.fish"}


@click.command("completion")
@click.argument("shell", type=click.Choice(sorted(FILES)), metavar="SHELL")
def command(shell):
    """Print the completion script for SHELL (bash, zsh or fish).

    The package installs the scripts where system and --user installs are found; from a
    virtual environment (pipx too) no shell finds them until you add one line: bash
    `source <(git gto completion bash)` in ~/.bashrc; zsh `git gto completion zsh >
    ~/.zfunc/_git-gto` with `fpath+=~/.zfunc`; fish `git gto completion fish >
    ~/.config/fish/completions/git-gto.fish` (see the README for `git gto` in fish 3.6).
    """
    from importlib.resources import files

    click.echo(files("git_gto").joinpath("completion").joinpath(FILES[shell]).read_text(), nl=False)
