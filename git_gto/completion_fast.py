"""TAB without click: most completion requests answered from the commands as data.

A TAB starts a Python process; importing click costs more than the rest of the answer. The
shim (bin/git-gto) calls `complete()` first: it parses the request as click's completion
would (git_gto.completion_tree holds the commands, options and arguments as data) and
answers with the same values (git_gto.completion_values), so the answer is the one click's
path gives, byte for byte. A request it does not follow word for word (`--`, `--opt=value`,
clustered or unknown options, an unknown command, a group of commands, odd COMP_* values)
returns, and cli.main answers it through click. Only the standard library is imported here.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

    Item = Tuple[str, str, str]  # type, value, help
    Params = Tuple[Tuple[Any, ...], ...]  # a command's parameters in completion_tree

# the fields of a parameter in completion_tree
KIND, NAME, OPTS, SECONDARY, FLAG, MULTIPLE, NARGS, HIDDEN, HELP, VALUES = range(10)


def split_words(line: str) -> List[str]:
    """The words as a shell splits them; an unfinished quote does not fail."""
    if line.isprintable() and not any(c in line for c in "'\"\\"):
        return line.split()  # nothing shlex would treat differently (and no shlex to import)
    import shlex

    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def request(environ: Mapping[str, str]) -> Tuple[List[str], str]:
    """The complete words of a request (the command first) and the word being completed."""
    line = environ.get("COMP_WORDS", "")
    words = split_words(line)
    if line.endswith((" ", "\t")):
        words.append("")  # the cursor is after a space: a new, empty word
    cword = int(environ.get("COMP_CWORD", len(words) - 1))
    return words[1:cword], words[cword] if cword < len(words) else ""


def complete() -> None:
    """Answer the request of the environment and exit, if it can be answered here."""
    text = answer(os.environ)
    if text is not None:
        sys.stdout.write(text)
        sys.stdout.flush()
        sys.exit(0)


def answer(environ: Mapping[str, str]) -> Optional[str]:
    """The answer click's path would print, or None to let it answer."""
    if environ.get("_GIT_GTO_COMPLETE") != "gto_complete":
        return None
    cword = environ.get("COMP_CWORD", "")
    if not (cword.isascii() and cword.isdigit() and int(cword) > 0):
        return None  # what the scripts never send
    args, incomplete = request(environ)
    items = _complete(args, incomplete)
    if items is None:
        return None
    text = "\n".join(f"{t}\t{v}\t{h}" for t, v, h in items) + "\n"
    if "\x1b" in text or not _encodable(text):
        return None  # click.echo would strip or fail: its own path says what
    return text


def _encodable(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "utf-8", sys.stdout.errors or "strict")
        return True
    except (UnicodeError, LookupError):
        return False


def _complete(args: List[str], incomplete: str) -> Optional[List[Item]]:
    """click's _resolve_context and _resolve_incomplete, then the object's shell_complete."""
    from git_gto import completion_tree as T

    if "--" in args:
        return None
    params: Params = T.GROUP[1]
    group_opts = {opt: p for p in params for opt in (*p[OPTS], *p[SECONDARY])}
    given: Set[str] = set()
    at = 0
    while at < len(args) and args[at][:1] == "-":
        p = group_opts.get(args[at])
        if p is None or not p[FLAG]:
            return None  # a word click's parser takes apart, or "-" as a command
        given.add(p[NAME])
        at += 1
    group = at == len(args)
    values: Dict[str, object] = {}
    if not group:
        command = T.COMMANDS.get(args[at])
        if command is None or not command[0]:
            return None  # unknown (click says so on stderr), or a group of commands
        params = command[1]
        parsed = _parse(params, args[at + 1:])
        if parsed is None:
            return None
        given, values = parsed
    typed = args
    if incomplete == "=":
        incomplete = ""
    elif "=" in incomplete and incomplete[:1] == "-":  # --opt=value: the value completes
        name, _, incomplete = incomplete.partition("=")
        if name == "--":
            return None
        args = [*args, name]
    if incomplete[:1] == "-":
        return _option_names(params, given, incomplete)
    for p in params:
        if (p[KIND] == "option" and not p[FLAG] and args and args[-1][:1] == "-"
                and args[-1] in p[OPTS]):
            return _values(p, params, values, typed, incomplete)
    for p in params:
        if p[KIND] == "argument" and (p[NARGS] == -1 or p[NAME] not in given):
            return _values(p, params, values, typed, incomplete)
    if not group:
        return []  # nothing left to complete (options begin with "-", answered above)
    from git_gto.extensions import external_commands

    found = [("plain", name, text) for name, text in T.LISTED if name.startswith(incomplete)]
    return found + [("plain", name, f"git-gto-{name}") for name in external_commands(T.COMMANDS)
                    if name.startswith(incomplete)]


def _parse(params: Params, words: List[str]) -> Optional[Tuple[Set[str], Dict[str, object]]]:
    """What click's parser makes of a command's words (resiliently): the parameters given on
    the line and their values. An option left without its value stops it, as in click."""
    opts = {opt: p for p in params if p[KIND] == "option" for opt in (*p[OPTS], *p[SECONDARY])}
    given: Set[str] = set()
    values: Dict[str, object] = {}
    positional: List[str] = []
    at = 0
    while at < len(words):
        word = words[at]
        at += 1
        if word[:1] != "-" or len(word) == 1:
            positional.append(word)
            continue
        p = opts.get(word)
        if p is None:
            return None  # --opt=value, -abc, or an option click refuses
        if not p[FLAG]:
            if at == len(words):
                return given, values  # "requires an argument": no argument gets a value
            values[p[NAME]] = (*values.get(p[NAME], ()), words[at]) if p[MULTIPLE] else words[at]  # type: ignore[misc]
            at += 1
        given.add(p[NAME])
    arguments = [p for p in params if p[KIND] == "argument"]
    for p, dealt in zip(arguments, _unpack(positional, [p[NARGS] for p in arguments])):
        if dealt is not None:
            given.add(p[NAME])
            values[p[NAME]] = dealt
    return given, values


def _unpack(words: List[str], nargs: List[int]) -> List[object]:
    """Positional words to arguments of one value or (nargs -1) all the rest, as click
    deals them: the arguments after the greedy one take the last words."""
    greedy = nargs.index(-1) if -1 in nargs else len(nargs)
    before, after = greedy, len(nargs) - greedy - 1
    head = [words[i] if i < len(words) else None for i in range(before)]
    if greedy == len(nargs):
        return list(head)
    rest = words[before:]
    tail_count = min(after, len(rest))
    tail: List[object] = [None] * (after - tail_count) + list(rest[len(rest) - tail_count:])
    return [*head, tuple(rest[:len(rest) - tail_count]), *tail]


def _option_names(params: Params, given: Set[str], incomplete: str) -> List[Item]:
    """click's Command.shell_complete: the options not given yet (or given many times)."""
    if not incomplete or incomplete[0].isalnum():
        return []
    return [("plain", opt, p[HELP] or "") for p in params
            if p[KIND] == "option" and not p[HIDDEN] and (p[MULTIPLE] or p[NAME] not in given)
            for opt in (*p[OPTS], *p[SECONDARY]) if opt.startswith(incomplete)]


def _values(p: Tuple[Any, ...], params: Params, values: Dict[str, object], args: List[str],
            incomplete: str) -> Optional[List[Item]]:
    """A parameter's shell_complete: git_gto.options' functions, or its type's."""
    how = p[VALUES]
    if how in ("dir", "file"):
        return [(how, incomplete, "")]
    if how == "none":
        return []
    if isinstance(how, tuple):  # ("choice", values, case_sensitive)
        _, choices, case_sensitive = how
        if case_sensitive:
            return [("plain", c, "") for c in choices if c.startswith(incomplete)]
        return [("plain", c, "") for c in choices if c.lower().startswith(incomplete.lower())]
    from git_gto import completion_values as V

    repo = values.get("repo") or "."
    if how == "artifacts":
        words = V.artifact_words(repo, incomplete)
    elif how == "versions":
        takes_value = {opt for q in params if q[KIND] == "option" and not q[FLAG]
                       for opt in q[OPTS]}
        words = V.version_words(repo, values.get("name") or V.typed_argument(args, takes_value), incomplete)
    elif how == "stages":
        words = V.stage_words(repo, incomplete)
    elif how == "refs":
        words = V.ref_words(repo, incomplete)
    elif how == "tags":
        words = V.tag_words(repo, incomplete)
    else:
        return None
    return [("plain", w, "") for w in words]
