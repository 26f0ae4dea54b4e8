"""Rendering: JSON, tables, lines, and messages (colour only on a terminal, NO_COLOR honoured)."""

from __future__ import annotations

import os
import re
import sys
from contextlib import contextmanager
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

NOTHING_FOUND = "Nothing found in the current workspace"
# control characters (tab aside) and undecodable bytes, which must not reach a terminal raw
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\udc80-\udcff]")


def _shown(char: str) -> str:
    code = ord(char)
    if code >= 0xDC80:
        return f"\\x{code - 0xDC00:02x}"  # a byte that is not UTF-8 (surrogateescape)
    if code >= 0x80:
        return f"M-^{chr(code - 0x40)}"
    return "^?" if code == 0x7F else f"^{chr(code + 0x40)}"


def visible(text: str) -> str:
    """`text` on one line, its control characters shown as git and `cat -v` show them (ESC
    as ^[, CR as ^M, LF as ^J) and bytes that are not UTF-8 as \\xNN."""
    return _UNSAFE.sub(lambda m: _shown(m.group()), text)


_COLOUR: Dict[bool, bool] = {}


def _colour(stream) -> bool:
    """Colour as git decides it: `color.gto`, else `color.ui`, from every config file
    (`always`, `never`, `auto`: on a terminal), asked of git itself the first time colour
    could be shown (`git config --get-colorbool`); never with NO_COLOR or TERM=dumb, nor on a
    closed stream."""
    if stream is None or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    tty = stream.isatty()
    if tty not in _COLOUR:
        from git_gto.git.run import git

        try:
            answer = git(None, "config", "--get-colorbool", "color.gto", "true" if tty else "false",
                         check=False).stdout.strip()
        except OSError:  # no git: its default, auto
            answer = "true" if tty else "false"
        _COLOUR[tty] = answer == "true"
    return _COLOUR[tty]


def show_emojis(setting: Optional[bool]) -> bool:
    """Emojis when asked (.gto `emojis`, GTO_EMOJIS), else only on a terminal."""
    return sys.stdout.isatty() if setting is None else setting


def print_json(data: Any) -> None:
    import json  # only for --json: not on every command's start-up

    _write(json.dumps(data, indent=4) + "\n")


def print_json_list(items: Iterable[Any]) -> None:
    """A JSON list written item by item (the same text as `print_json(list(items))`),
    so that a long history is never one huge string in memory."""
    import json

    first = True
    for item in items:
        _write("[\n" if first else ",\n")
        _write("\n".join("    " + line for line in json.dumps(item, indent=4).split("\n")))
        first = False
    _write("[]\n" if first else "\n]\n")


def print_lines(values: Iterable[Optional[str]]) -> None:
    """One value a line: exact when piped, with control characters made visible on a
    terminal (a value from artifacts.yaml must not retitle or clear the user's screen)."""
    terminal = to_terminal(sys.stdout)
    for value in values:
        text = "" if value is None else value
        _write((visible(text) if terminal else text) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], plain: bool) -> None:
    """A table, one row a line whatever its cells hold. An empty one: "Nothing found" on
    stderr, a message; on stdout for --plain, where gto's scripts expect it."""
    if not rows:
        if plain:
            _write(NOTHING_FOUND + "\n")
        else:
            message(NOTHING_FOUND)
        return
    headers = list(headers)
    simple = _simple(headers, rows)
    cells: Sequence[Sequence[Any]] = rows if simple else [
        [visible(c) if isinstance(c, str) else c for c in row] for row in rows]
    import shutil

    width = None if plain or not to_terminal(sys.stdout) else shutil.get_terminal_size().columns
    for narrower in _NARROWER:
        if width is None or _table_width(headers, cells) <= width:
            break
        headers, cells = narrower(headers, [list(row) for row in cells], width)
        simple = simple and _simple(headers, cells)
    if simple:
        _write(aligned(headers, cells, plain) + "\n")
        return
    from tabulate import tabulate

    _write(tabulate(cells, headers=headers, tablefmt="plain" if plain else "fancy_outline",
                    missingval="-", disable_numparse=True) + "\n")


_CONTROL = re.compile("[\x01-\x1f\x7f]")


def _simple(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bool:
    """Are all cells None or printable ASCII text without spaces around it, which tabulate
    shows as they are (no escapes, wide characters, numbers, or stripped spaces)?"""
    cells = [*headers, *(c for row in rows for c in row if c is not None)]
    try:
        text = "\x00".join(cells)
    except TypeError:  # a cell that is not text
        return False
    return (text.isascii() and _CONTROL.search(text) is None and text.count("\x00") == len(cells) - 1
            and "\x00 " not in text and " \x00" not in text
            and not text.startswith(" ") and not text.endswith(" "))


def aligned(headers: Sequence[str], cells: Sequence[Sequence[Optional[str]]], plain: bool) -> str:
    """What tabulate draws for `_simple` cells (tablefmt `plain` or `fancy_outline`,
    missingval "-"), drawn directly: tabulate's per-cell type inference costs seconds
    on tables of tens of thousands of rows."""
    rows = [["-" if c is None else c for c in row] if None in row else row for row in cells]
    widths = [max(len(h) + 2, max(map(len, column))) for h, column in zip(headers, zip(*rows))]
    if plain:
        line = "  ".join(f"{{:<{w}}}" for w in widths).format
        return "\n".join(line(*row).rstrip() for row in [headers, *rows])
    # drawn in ASCII with \x01 for the borders (no cell holds one), which are put in last
    line = ("\x01 " + " \x01 ".join(f"{{:<{w}}}" for w in widths) + " \x01").format

    def rule(left: str, middle: str, right: str) -> str:
        return left + middle.join("═" * (w + 2) for w in widths) + right

    body = "\n".join([line(*headers), rule("╞", "╪", "╡"), *(line(*row) for row in rows)])
    return "\n".join([rule("╒", "╤", "╕"), body.replace("\x01", "│"), rule("╘", "╧", "╛")])


def _column_widths(headers: List[str], cells: List[List[Any]]) -> List[int]:
    return [max([len(h)] + [len(str(row[i])) if row[i] is not None else 1 for row in cells])
            for i, h in enumerate(headers)]


def _table_width(headers: List[str], cells: Sequence[Sequence[Any]]) -> int:
    """The width of the table tabulate would draw, from the widest row of each column only
    (rendering every row once per narrowing step would be slow for a long history)."""
    from tabulate import tabulate

    sample = {max(range(len(cells)), key=lambda j: len(str(cells[j][i])) if cells[j][i] is not None else 1)
              for i in range(len(headers))}
    drawn = tabulate([cells[j] for j in sorted(sample)], headers=headers, tablefmt="fancy_outline",
                     missingval="-", disable_numparse=True)
    return max(len(line) for line in drawn.split("\n"))


def _shorter_times(headers: List[str], cells: List[List[Any]], width: int) -> Tuple[List[str], List[List[Any]]]:
    """Timestamps to the minute, without their UTC offset."""
    at = [i for i, h in enumerate(headers) if h in ("created_at", "timestamp")]
    return headers, [[c[:16] if i in at and isinstance(c, str) else c for i, c in enumerate(row)] for row in cells]


def _dropped(name: str, only_if_same: bool = False):
    """Leave out a column (only when every row has the same value in it, if asked)."""
    def narrower(headers: List[str], cells: List[List[Any]], width: int) -> Tuple[List[str], List[List[Any]]]:
        if name not in headers:
            return headers, cells
        i = headers.index(name)
        if only_if_same and len({row[i] for row in cells}) > 1:
            return headers, cells
        return headers[:i] + headers[i + 1:], [row[:i] + row[i + 1:] for row in cells]
    return narrower


def _dates_only(headers: List[str], cells: List[List[Any]], width: int) -> Tuple[List[str], List[List[Any]]]:
    """Timestamps to the day."""
    at = [i for i, h in enumerate(headers) if h in ("created_at", "timestamp")]
    return headers, [[c[:10] if i in at and isinstance(c, str) else c for i, c in enumerate(row)] for row in cells]


# what users copy, cut last: tags after everything else, names and versions before them
CUT_LAST = {"name": 1, "artifact": 1, "version": 1, "ref": 2, "tag": 2}


def _cut(headers: List[str], cells: List[List[Any]], width: int) -> Tuple[List[str], List[List[Any]]]:
    """The widest columns cut to fit, their cells ending in '…' (never below 8 characters);
    the names users copy (`CUT_LAST`) only when nothing else is left to cut."""
    for _ in range(4 * len(headers)):
        excess = _table_width(headers, cells) - width
        widths = _column_widths(headers, cells)
        cuttable = [i for i, h in enumerate(headers) if widths[i] > max(8, len(h) + 2)] or range(len(headers))
        tier = min(CUT_LAST.get(headers[i], 0) for i in cuttable)
        column = max((i for i in cuttable if CUT_LAST.get(headers[i], 0) == tier), key=widths.__getitem__)
        limit = max(8, widths[column] - excess, len(headers[column]) + 2)
        if excess <= 0 or limit >= widths[column]:
            break
        cells = [[c[:limit - 1] + "…" if i == column and isinstance(c, str) and len(c) > limit else c
                  for i, c in enumerate(row)] for row in cells]
    return headers, cells


# how a table is narrowed to the terminal, in this order (the README says so)
_NARROWER = (_shorter_times, _dropped("commit"), _dropped("artifact", only_if_same=True), _dates_only, _cut)
_PAGING: List[bool] = []  # output goes through a pager, to the terminal


def to_terminal(stream) -> bool:
    """Is `stream` the user's terminal (directly, or through the pager)?"""
    return bool(_PAGING) or stream.isatty()


@contextmanager
def paged(wanted: bool) -> Iterator[None]:
    """Send stdout through the pager git would use (GIT_PAGER, core.pager, PAGER, less with
    LESS=FRX), when it is a terminal and `pager.gto` does not say no; never when piped."""
    if not wanted or _PAGING or os.environ.get("GIT_PAGER_IN_USE") or not sys.stdout.isatty():
        yield
        return
    import io
    import subprocess

    from git_gto.git.run import git

    if git(None, "config", "--type=bool", "--get", "pager.gto", check=False).stdout.strip() == "false":
        yield
        return
    program = git(None, "var", "GIT_PAGER", check=False).stdout.strip() or "less"
    if program == "cat":
        yield
        return
    env = {**os.environ, "GIT_PAGER_IN_USE": "true"}
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    pager = subprocess.Popen(program, shell=True, stdin=subprocess.PIPE, env=env)
    terminal = sys.stdout
    assert pager.stdin is not None
    sys.stdout = io.TextIOWrapper(pager.stdin, encoding=terminal.encoding or "utf-8", errors="replace")
    _PAGING.append(True)
    try:
        yield
    finally:
        try:
            sys.stdout.close()
        except BrokenPipeError:
            pass
        sys.stdout = terminal
        _PAGING.clear()
        pager.wait()


def message(text: str) -> None:
    """A human message (what was done, what to run next): stderr, data stays on stdout;
    each of its lines shown safely."""
    _write("\n".join(visible(line) for line in text.split("\n")) + "\n", err=True)


def print_success(text: str, emojis: Optional[bool]) -> None:
    """A success sentence on stdout (green where git would colour)."""
    line = ("✅  " if show_emojis(emojis) else "") + visible(text)
    _write((_GREEN.format(line) if _colour(sys.stdout) else line) + "\n")


def print_error(prefix: str, text: str) -> None:
    """One line on stderr, whatever the message quotes."""
    line = visible(f"{prefix}: {text}")
    if _colour(sys.stderr):
        line = _RED.format(line)
    _write(line + "\n", err=True)


_GREEN, _RED = "\x1b[32m{}\x1b[0m", "\x1b[31m{}\x1b[0m"  # what click.style(fg=...) writes


def _write(text: str, err: bool = False) -> None:
    """Write to stdout (stderr with `err`) and flush, as click.echo did: nothing when the
    stream is closed; UTF-8 to a stream said to be ASCII (PYTHONIOENCODING=ascii, a
    misconfigured locale); bytes that were not UTF-8 given back as they came, a character the
    encoding lacks replaced, never a crash. A closed pipe raises OutputClosed."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    try:
        encoding = stream.encoding or "utf-8"
        if encoding.lower().replace("-", "") in ("ascii", "usascii", "646"):
            encoding = "utf-8"
        else:
            try:
                stream.write(text)
                stream.flush()
                return
            except UnicodeEncodeError:
                pass
        stream.flush()
        try:
            stream.buffer.write(text.encode(encoding, "surrogateescape"))
        except UnicodeEncodeError:
            stream.buffer.write(text.encode(encoding, "replace"))
        stream.flush()
    except OSError as e:
        if err:
            return  # what cannot be said on stderr (a full disk, a closed pipe): git goes on too
        if isinstance(e, BrokenPipeError):
            from git_gto.errors import OutputClosed

            raise OutputClosed() from None
        raise
