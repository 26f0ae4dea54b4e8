"""What `-v` (or GTO_LOG_LEVEL=DEBUG) explains: `git-gto: ...` lines on stderr."""

from __future__ import annotations

_SHOWN = {"on": False}


def show(on: bool) -> None:
    """Explain what is being done from now on (or stop)."""
    _SHOWN["on"] = on


def explain(text: str, *args: object) -> None:
    """One `git-gto: ` line (`text % args`) when explaining, shown safely; nothing otherwise."""
    if not _SHOWN["on"]:
        return
    from git_gto.output import message, visible

    message(visible(f"git-gto: {text % args if args else text}"))  # one line, whatever it quotes
