"""The one completion protocol the shell scripts of git_gto/completion/ speak.

A request: `_GIT_GTO_COMPLETE=gto_complete`, `COMP_WORDS` (the words of the command line up to
the cursor, the program first, joined by spaces) and `COMP_CWORD` (the index of the word
being completed). The answer: one line a candidate, `TYPE<TAB>VALUE<TAB>HELP`, TYPE being
`plain`, `dir` or `file`. The format is ours, so the scripts do not depend on what a given
click version prints for each shell; only click's documented ShellComplete API is used.
"""

from __future__ import annotations

import os
import shlex
from typing import List, Optional, Tuple

from click import Option
from click.shell_completion import CompletionItem, ShellComplete, add_completion_class


def split_words(line: str) -> List[str]:
    """The words as a shell splits them; an unfinished quote does not fail."""
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


TYPED: List[str] = []  # the complete words of the request, the command first


def typed_argument(params: list) -> Optional[str]:
    """The first argument typed after the command, skipping options and their values (the
    click parameters `params` say which options take one): what click cannot tell while an
    option's value is being completed."""
    takes_value = {opt for p in params if isinstance(p, Option) and not p.is_flag for opt in p.opts}
    words = iter(TYPED[1:])
    for word in words:
        if word in takes_value:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


class GtoComplete(ShellComplete):
    name = "gto"
    source_template = ""  # the scripts are files of the package, not generated

    def get_completion_args(self) -> Tuple[List[str], str]:
        words = split_words(os.environ.get("COMP_WORDS", ""))
        if os.environ.get("COMP_WORDS", "").endswith((" ", "\t")):
            words.append("")  # the cursor is after a space: a new, empty word
        cword = int(os.environ.get("COMP_CWORD", len(words) - 1))
        incomplete = words[cword] if cword < len(words) else ""
        TYPED[:] = words[1:cword]
        return words[1:cword], incomplete

    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.type}\t{item.value}\t{item.help or ''}"


def register() -> None:
    add_completion_class(GtoComplete)
