"""The one completion protocol the shell scripts of git_gto/completion/ speak.

A request: `_GIT_GTO_COMPLETE=gto_complete`, `COMP_WORDS` (the words of the command line up to
the cursor, the program first, joined by spaces) and `COMP_CWORD` (the index of the word
being completed). The answer: one line a candidate, `TYPE<TAB>VALUE<TAB>HELP`, TYPE being
`plain`, `dir` or `file`. The format is ours, so the scripts do not depend on what a given
click version prints for each shell; only click's documented ShellComplete API is used.

Most requests never get here: `completion_fast` answers them from `completion_tree`, the
commands as data, which `python -m git_gto.completion_protocol` writes from the click commands.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, List, Tuple

import click
from click.shell_completion import CompletionItem, ShellComplete, add_completion_class

from git_gto.completion_fast import request

TYPED: List[str] = []  # the complete words of the request, the command first


class GtoComplete(ShellComplete):
    name = "gto"
    source_template = ""  # the scripts are files of the package, not generated

    def get_completion_args(self) -> Tuple[List[str], str]:
        args, incomplete = request(os.environ)
        TYPED[:] = args
        return args, incomplete

    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.type}\t{item.value}\t{item.help or ''}"


def register() -> None:
    add_completion_class(GtoComplete)


# -- the commands as data, for completion_fast --------------------------------------------------

TREE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "completion_tree.py")
# the shell_complete functions of git_gto.options -> the values completion_fast offers
VALUES = {"complete_repo": "dir", "complete_artifacts": "artifacts", "complete_versions": "versions",
          "complete_stages": "stages", "complete_refs": "refs", "complete_tags": "tags"}


def _values(ctx: click.Context, param: click.Parameter) -> object:
    """How a parameter's value completes, as completion_fast names it ("click": ask click)."""
    custom = param._custom_shell_complete
    if custom is not None:
        return VALUES.get(getattr(custom, "__name__", ""), "click")
    kind = type(param.type)
    if isinstance(param.type, click.Choice):
        items = param.type.shell_complete(ctx, param, "")
        return ("choice", tuple(item.value for item in items), param.type.case_sensitive)
    if kind.shell_complete is click.ParamType.shell_complete:
        return "none"
    if isinstance(param.type, (click.Path, click.File)):
        return param.type.shell_complete(ctx, param, "")[0].type  # "file" or "dir"
    return "click"


def _plain(ctx: click.Context) -> bool:
    """Does completion_fast parse this command's line as click does? Options without a value
    or with one (no optional values, counts, several values or environment variables),
    arguments of one value or all the rest, options and arguments in any order."""
    command = ctx.command
    if not command.allow_interspersed_args and not isinstance(command, click.Group):
        return False
    if command.ignore_unknown_options or ctx.auto_envvar_prefix or ctx.default_map:
        return False
    for p in command.get_params(ctx):
        if p.envvar is not None or p.nargs not in ((1, -1) if isinstance(p, click.Argument) else (1,)):
            return False
        if isinstance(p, click.Option) and (p.count or p._flag_needs_value or p.prompt is not None):
            return False
    return True


def _command(ctx: click.Context) -> tuple:
    params = []
    for p in ctx.command.get_params(ctx):
        if isinstance(p, click.Option):
            params.append(("option", p.name, tuple(p.opts), tuple(p.secondary_opts), p.is_flag, p.multiple,
                           p.nargs, p.hidden, p.help, _values(ctx, p)))
        else:
            params.append(("argument", p.name, tuple(p.opts), tuple(p.secondary_opts), False, p.multiple,
                           p.nargs, False, None, _values(ctx, p)))
    # the top group, or a command; a group of commands (hook) is left to click
    fast = _plain(ctx) and (ctx.parent is None) == isinstance(ctx.command, click.Group)
    return (fast, tuple(params))


def tree_module() -> str:
    """The text of completion_tree.py for the commands of cli.py."""
    from git_gto.cli import ALIASES, COMMANDS, cli, load_command

    ctx = cli.make_context("git gto", [], resilient_parsing=True)
    listed = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        if command is not None and not command.hidden:
            listed.append((name, command.get_short_help_str()))
    commands = {}
    for name in COMMANDS:
        found = load_command(name)
        assert found is not None, name
        commands[name] = _command(found.make_context(name, [], parent=ctx, resilient_parsing=True))
    group = _command(ctx)
    shared = _shared_parameters([group, *commands.values()])
    lines = [
        '"""The commands as TAB completion sees them, for completion_fast (no click at start-up).',
        "",
        "Written by `python -m git_gto.completion_protocol` from the click commands of cli.py;",
        "tests/test_completion_fast.py fails when it differs from them. A command is",
        "(parsed as completion_fast parses it, its parameters); a parameter is (kind, name, opts,",
        "secondary opts, is a flag, multiple, nargs, hidden, help, how its values complete);",
        "one that several commands have is named once below.",
        '"""',
        "",
        *(f"{name} = {param!r}" for param, name in shared.items()),
        "",
        *_command_lines("GROUP = ", group, "", shared),
        "LISTED = (  # what `git gto <TAB>` lists, with the help shown next to each",
        *(f"    {item!r}," for item in listed),
        ")",
        "COMMANDS = {",
    ]
    for name, entry in commands.items():
        lines.extend(_command_lines(f"    {name!r}: ", entry, ",", shared))
    lines.append("}")
    lines.extend(f"COMMANDS[{alias!r}] = COMMANDS[{name!r}]  # an alias" for alias, name in ALIASES.items())
    return "\n".join(lines) + "\n"


def _shared_parameters(commands: List[tuple]) -> Dict[tuple, str]:
    """Parameter -> the name it is written under, for those of three commands or more."""
    from collections import Counter

    counts = Counter(param for _, params in commands for param in params)
    shared: Dict[tuple, str] = {}
    for param, count in counts.items():
        if count >= 3:
            base = name = param[1].strip("_").upper()
            number = 2
            while name in shared.values():  # one name, two different parameters
                name, number = f"{base}_{number}", number + 1
            shared[param] = name
    return shared


def _command_lines(head: str, command: tuple, end: str, shared: Dict[tuple, str]) -> List[str]:
    indent = " " * (len(head) - len(head.lstrip()))
    fast, params = command
    return [f"{head}({fast!r}, (", *(f"{indent}    {shared.get(param) or repr(param)}," for param in params),
            f"{indent})){end}"]


if __name__ == "__main__":
    with open(TREE_FILE, "w") as f:
        f.write(tree_module())
    sys.stderr.write(f"wrote {TREE_FILE}\n")
