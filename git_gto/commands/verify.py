"""git gto verify: judge registry tags as the server-side hook would (for CI on hosts
without custom hooks)."""

from __future__ import annotations

import click

from git_gto.options import complete_tags, json_option


@click.command("verify")
@click.argument("tags", nargs=-1, shell_complete=complete_tags)
@click.option("--all", "all_tags", is_flag=True, help="Judge every tag that looks like a registry event.")
@click.option("--policy-ref", default=None, metavar="REF",
              help="Read the policy at REF (default: gto.policyRef, else the default branch).")
@json_option
@click.option("-r", "--repo", default=".", show_default=True, metavar="PATH", help="The repository.")
def command(tags, all_tags, policy_ref, as_json, repo):
    """Judge TAGs (or --all) by the registry's rules and the committed policy, as
    `git gto hook pre-receive` would judge them pushed now; exit 1 on a violation."""
    from git_gto import output, trust
    from git_gto.errors import GtoError, UsageError
    from git_gto.git.repo import GitRepo

    if bool(tags) == all_tags:
        raise UsageError("Name the tags to verify, or --all")
    opened = GitRepo.discover(None if repo == "." else repo)
    try:
        names = [t[len("refs/tags/"):] if t.startswith("refs/tags/") else t for t in tags] or None
        judged = trust.judge_existing(opened, names, policy_ref)
    finally:
        opened.close()
    bad = [j for j in judged if not j.ok]
    if as_json:
        output.print_json([{"tag": j.ref[len("refs/tags/"):], "ok": j.ok, "problem": j.problem or None}
                           for j in judged])
    else:
        for j in bad[:-1]:
            output.print_error("error", f"{j.ref[len('refs/tags/'):]}: {j.problem}")
    if bad and not as_json:
        raise GtoError(f"{bad[-1].ref[len('refs/tags/'):]}: {bad[-1].problem}")
    if bad:
        return 1
    if not as_json:
        output.message(f"{len(judged)} registry event(s) follow the rules")
    return 0
