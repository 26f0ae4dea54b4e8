"""Rendering: JSON, tables, lines, and messages (colour only on a terminal, NO_COLOR honoured)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Iterable, List, Optional, Sequence

import click

NOTHING_FOUND = "Nothing found in the current workspace"


def _colour(stream) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (non-empty), TERM is dumb, or
    `git -c color.ui=never` says so."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    parameters = os.environ.get("GIT_CONFIG_PARAMETERS", "").lower()
    if any(f"'color.ui'='{v}'" in parameters for v in ("never", "false", "off", "no")):
        return False
    return stream.isatty()


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=4))


def print_json_list(items: Iterable[Any]) -> None:
    """A JSON list written item by item (the same text as `print_json(list(items))`),
    so that a long history is never one huge string in memory."""
    first = True
    for item in items:
        click.echo("[\n" if first else ",\n", nl=False)
        click.echo("\n".join("    " + line for line in json.dumps(item, indent=4).split("\n")), nl=False)
        first = False
    click.echo("[]" if first else "\n]")


def print_lines(values: Iterable[Optional[str]]) -> None:
    for value in values:
        click.echo("" if value is None else value)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], plain: bool) -> None:
    if not rows:
        click.echo(NOTHING_FOUND)
        return
    from tabulate import tabulate

    click.echo(tabulate(
        rows, headers=list(headers), tablefmt="plain" if plain else "fancy_outline",
        missingval="-", disable_numparse=True,
    ))


def message(text: str) -> None:
    """A human message (what was done, what to run next): stderr, data stays on stdout."""
    click.echo(text, err=True)


def success(text: str, emojis: bool) -> str:
    mark = "✅  " if emojis else ""
    if _colour(sys.stdout):
        return click.style(mark + text, fg="green")
    return mark + text


def print_error(prefix: str, text: str) -> None:
    line = f"{prefix}: {text}"
    if _colour(sys.stderr):
        line = click.style(line, fg="red")
    click.echo(line, err=True)
