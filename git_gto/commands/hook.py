"""git gto hook: the server-side hook that judges pushed registry events, and its install."""

from __future__ import annotations

import click


@click.group("hook")
def command():
    """Judge pushed registry events on the server (pre-receive, update), or install the hook."""


@command.command("pre-receive")
@click.option("--policy-ref", default=None, metavar="REF", help="Read the policy at REF (default: gto.policyRef, else the default branch).")
def pre_receive(policy_ref):
    """Read git's pre-receive input (OLD NEW REF lines) and refuse the push if a pushed tag
    breaks the registry's rules or its policy."""
    import sys

    updates = []
    for line in sys.stdin.read().splitlines():
        fields = line.split()
        if len(fields) == 3:
            updates.append((fields[0], fields[1], fields[2]))
    return _judge(updates, policy_ref)


@command.command("update")
@click.argument("ref")
@click.argument("old")
@click.argument("new")
@click.option("--policy-ref", default=None, metavar="REF", help="Read the policy at REF (default: gto.policyRef, else the default branch).")
def update(ref, old, new, policy_ref):
    """git's update hook: refuse the ref REF (from OLD to NEW) if it breaks the rules."""
    return _judge([(old, new, ref)], policy_ref)


def _judge(updates, policy_ref) -> int:
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


@command.command("install")
@click.option("--hook", "kind", type=click.Choice(["pre-receive", "update"]), default="pre-receive",
              show_default=True, help="Which hook to install.")
@click.option("-r", "--repo", default=".", show_default=True, metavar="PATH", help="The repository (bare or not).")
def install(kind, repo):
    """Install the hook in a repository (bare or not); an existing hook is kept and runs first."""
    from git_gto import output
    from git_gto.git.hooks import install as install_hook
    from git_gto.git.repo import GitRepo

    path, chained = install_hook(GitRepo.discover(None if repo == "." else repo), kind)
    output.message(f"Installed the git-gto {kind} hook in {path}"
                   + (f" (the hook that was there runs first, as {chained})" if chained else ""))
