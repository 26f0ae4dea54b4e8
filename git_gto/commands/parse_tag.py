"""git gto parse-tag (hidden): how a tag name reads."""

from __future__ import annotations

import click


@click.command("parse-tag", hidden=True)
@click.argument("name")
@click.option("--key", default=None, help="Print one key of the result.")
def command(name, key):
    """Print what a tag name means, as JSON."""
    from git_gto import output, tags
    from git_gto.errors import GtoError

    parsed = tags.parse_tag(name)
    if parsed is None:
        raise GtoError(f"Cannot parse tag name '{name}'")
    data = parsed.as_dict()
    if key is None:
        output.print_json(data)
    elif key in data:
        output.print_json(data[key])
    else:
        raise GtoError(f"'{name}' has no {key!r}")
