"""git gto check-ref: what a tag did (for CI jobs triggered by pushed tags).

No click at import: `direct` runs `run` without it (CI runs check-ref on every tag); the
click command is made when cli.py asks for `command`.
"""

from __future__ import annotations

from git_gto.commands import made_on_use


def run(repo: str, ref: str, as_json: bool, show_name: bool, show_version: bool, show_event: bool,
        show_stage: bool, verify: bool) -> None:
    """Tell which registry event a tag (REF or refs/tags/REF) records.

    Prints nothing, successfully, when REF is not a GTO tag (with --verify: exit 1).
    """
    from git_gto.commands._reading import open_registry
    from git_gto import output, queries, views
    from git_gto.errors import GtoError, RefNotFound, UsageError

    if sum([as_json, show_name, show_version, show_event, show_stage]) > 1:
        raise UsageError("Only one output formatting flag is allowed")
    with open_registry(repo, about=ref) as ws:
        events = queries.check_ref(ws, ref)
        verdict = queries.signatures(ws, [events[0].tag]).get(events[0].tag or "") if events and verify else None
        if verify and not events:  # a gate (`check-ref TAG --verify && deploy`) never passes on nothing
            name = ref.removeprefix("refs/tags/")
            if not ws.repo.has_tag(name):
                raise RefNotFound(f"tag '{name}' not found")
            raise GtoError(f"tag '{name}' is not a registry event: nothing to verify")
    if not events:
        return
    event = events[0]
    if verdict is not None and not verdict.good:
        raise GtoError(f"tag '{event.tag}' does not verify: {verdict.reason}")
    if verdict is not None:
        output.message(f"Good {verdict.format} signature by {verdict.signer} ({verdict.key})")
    if as_json:
        data = views.check_ref_json(event)
        output.print_json(data if verdict is None else {**data, **views.signature_json(verdict)})
    elif show_name:
        output.print_lines([event.artifact])
    elif show_version:
        output.print_lines([event.version] if event.version else [])
    elif show_event:
        output.print_lines([event.kind])
    elif show_stage:
        output.print_lines([event.stage] if event.stage else [])
    else:
        output.print_success(event.sentence(), ws.config.emojis)


def _click_command():
    import click

    from git_gto.options import complete_tags, json_option, repo_option

    @click.command("check-ref", help=run.__doc__)
    @repo_option
    @click.argument("ref", shell_complete=complete_tags)
    @json_option
    @click.option("--name", "show_name", is_flag=True, help="Print only the artifact name.")
    @click.option("--version", "show_version", is_flag=True, help="Print only the version.")
    @click.option("--event", "show_event", is_flag=True, help="Print only the event kind.")
    @click.option("--stage", "show_stage", is_flag=True, help="Print only the stage.")
    @click.option("--verify", is_flag=True,
                  help="Also check the tag's signature; exit 1 when it is unsigned or does not verify.")
    def command(**params):
        return run(**params)

    return command


__getattr__ = made_on_use(_click_command, __name__)
