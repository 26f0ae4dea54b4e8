"""git gto hook: the server-side hook that judges pushed registry events, and its install.

No click at import: `direct` runs `pre_receive` and `update` without it (a server runs the
hook on every push); the click group is made when cli.py asks for `command`.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from git_gto.commands import made_on_use

POLICY_REF_HELP = "Read the policy at REF (default: gto.policyRef, else the default branch)."


def pre_receive(policy_ref: Optional[str]) -> int:
    """Read git's pre-receive input (OLD NEW REF lines) and refuse the push if a pushed tag
    breaks the registry's rules or its policy."""
    import sys

    updates = []
    for line in sys.stdin.read().splitlines():
        fields = line.split()
        if len(fields) == 3:
            updates.append((fields[0], fields[1], fields[2]))
    return _judge(updates, policy_ref)


def update(ref: str, old: str, new: str, policy_ref: Optional[str]) -> int:
    """git's update hook: refuse the ref REF (from OLD to NEW) if it breaks the rules."""
    return _judge([(old, new, ref)], policy_ref)


def _judge(updates: List[Tuple[str, str, str]], policy_ref: Optional[str]) -> int:
    import os

    from git_gto import output, trust
    from git_gto.git.repo import GitRepo

    repo = GitRepo.discover()
    try:
        judged = trust.judge_push(repo, updates, os.environ.get("GIT_OBJECT_DIRECTORY"), policy_ref)
    finally:
        repo.close()
    refused = [j for j in judged if not j.ok]
    for j in refused:
        output.message(f"git-gto: refusing {j.ref}: {j.problem}")
    return 1 if refused else 0


def install(kind: str, repo: str) -> None:
    """Install the hook in a repository (bare or not); an existing hook is kept and runs first."""
    from git_gto import output
    from git_gto.git.hooks import install as install_hook
    from git_gto.git.repo import GitRepo

    path, chained = install_hook(GitRepo.discover(None if repo == "." else repo), kind)
    output.message(f"Installed the git-gto {kind} hook in {path}"
                   + (f" (the hook that was there runs first, as {chained})" if chained else ""))


def _click_command():
    import click

    policy_option = click.option("--policy-ref", default=None, metavar="REF", help=POLICY_REF_HELP)

    @click.group("hook")
    def command():
        """Judge pushed registry events on the server (pre-receive, update), or install the hook."""

    @command.command("pre-receive", help=pre_receive.__doc__)
    @policy_option
    def pre_receive_command(**params):
        return pre_receive(**params)

    @command.command("update", help=update.__doc__)
    @click.argument("ref")
    @click.argument("old")
    @click.argument("new")
    @policy_option
    def update_command(**params):
        return update(**params)

    @command.command("install", help=install.__doc__)
    @click.option("--hook", "kind", type=click.Choice(["pre-receive", "update"]), default="pre-receive",
                  show_default=True, help="Which hook to install.")
    @click.option("-r", "--repo", default=".", show_default=True, metavar="PATH",
                  help="The repository (bare or not).")
    def install_command(**params):
        install(**params)

    return command


__getattr__ = made_on_use(_click_command, __name__)
