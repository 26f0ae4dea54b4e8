"""Option bundles shared by several commands, and completion of values from the repository."""

from __future__ import annotations

import click


def _repo_of(ctx: click.Context) -> str:
    return (ctx.params.get("repo") if ctx else None) or "."


def complete_repo(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Directories (a URL is typed out)."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="dir")]


def complete_artifacts(ctx: click.Context, param, incomplete: str):
    """Artifact names from the repository's tags (and shortcuts after `@` or `#`)."""
    from git_gto.completion_values import artifact_words

    return artifact_words(_repo_of(ctx), incomplete)


def complete_versions(ctx: click.Context, param, incomplete: str):
    """The versions of the artifact named on the line."""
    from git_gto.completion_protocol import TYPED
    from git_gto.completion_values import typed_argument, version_words

    takes_value = {opt for p in ctx.command.params if isinstance(p, click.Option) and not p.is_flag for opt in p.opts}
    name = ctx.params.get("name") or typed_argument(TYPED, takes_value)
    return version_words(_repo_of(ctx), name, incomplete)


def complete_stages(ctx: click.Context, param, incomplete: str):
    from git_gto.completion_values import stage_words

    return stage_words(_repo_of(ctx), incomplete)


def complete_refs(ctx: click.Context, param, incomplete: str):
    from git_gto.completion_values import ref_words

    return ref_words(_repo_of(ctx), incomplete)


def complete_tags(ctx: click.Context, param, incomplete: str):
    from git_gto.completion_values import tag_words

    return tag_words(_repo_of(ctx), incomplete)


repo_option = click.option(
    "-r", "--repo", default=".", show_default=True, metavar="PATH|URL", shell_complete=complete_repo,
    help="Repository: a local path, or a URL (read through a cached mirror; changes are pushed to it).",
)
message_option = click.option("-m", "--message", default=None, help="Tag message (a default one otherwise).")
force_option = click.option("--force", is_flag=True, help="Create the tag even if a check says no.")
remote_option = click.option(
    "--remote", "remote", default=None, metavar="NAME",
    help="The remote --push pushes to (default: as git push chooses, else 'origin').",
)


def push_options(command):
    """--push and --remote."""
    command = remote_option(command)
    return click.option(
        "--push", is_flag=True, help="Push the tag(s) to the remote in one atomic `git push`.",
    )(command)
sign_option = click.option(
    "-s", "--sign/--no-sign", "sign", default=None,
    help="Sign the tag(s) as `git tag -s` does (gpg.format, user.signingKey); default: tag.gpgSign.",
)
simple_option = click.option(
    "--simple", type=click.Choice(["auto", "true", "false"]), default="auto", show_default=True,
    help="Tag form: 'true' without the #N counter, 'false' with it, 'auto' the usual one.",
)
name_argument = click.argument("name", shell_complete=complete_artifacts)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
plain_option = click.option("--plain", is_flag=True, help="Print a plain table for grep and awk.")
all_branches_option = click.option(
    "-a", "--all-branches", is_flag=True, help="Also read artifacts.yaml at the head of every branch.",
)
all_commits_option = click.option(
    "-A", "--all-commits", is_flag=True, help="Also read artifacts.yaml in every commit of every branch.",
)


def index_commit_options(command):
    """What `annotate` and `remove` share: --commit, --push and -b."""
    for option in reversed((
        click.option("--commit", is_flag=True, help="Commit artifacts.yaml (alone) afterwards."),
        click.option("--push", is_flag=True, help="Commit and push the commit to the remote."),
        remote_option,
        click.option("-b", "--branch", default=None, help="Branch to commit to (with a remote --repo)."),
    )):
        command = option(command)
    return command


def read_options(command):
    """What `show` and `history` share: -r, an optional NAME, -a/-A, --json and --plain."""
    for option in reversed((
        repo_option,
        click.argument("name", required=False, shell_complete=complete_artifacts),
        all_branches_option,
        all_commits_option,
        json_option,
        plain_option,
    )):
        command = option(command)
    return command
