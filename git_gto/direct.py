"""The command lines a server and CI run again and again, run without click.

A server runs `hook pre-receive` (or `hook update`) on every push, and a CI job `check-ref`
on every tag and `deprecate --delete` to clean up; importing click would be a third of each.
Their lines are parsed here by the part of click's grammar their options use: options
anywhere among the arguments, `--opt VALUE`, `--opt=VALUE`, `-o VALUE`, `-oVALUE`, lone
flags. Any other line (`-h`, `--`, grouped short flags, a repeated or unknown option, a
value that looks like an option, a wrong count of arguments, `git gto -v ...`) goes to
cli.py, so that click parses it and words its errors. tests/test_direct.py checks each
table below against its click command and compares the two parses, line by line.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

REQUIRED = object()  # the default of an argument that must be given
FLAG, VALUE, ARGUMENT = "flag", "value", "argument"
# a parameter: (name as the function takes it, kind, its option strings, default); a FLAG's
# strings map to the value each sets, a VALUE's may end in a tuple of the allowed values
Parameter = Tuple[str, str, Any, Any]
REPO: Parameter = ("repo", VALUE, ("-r", "--repo"), ".")
POLICY_REF: Parameter = ("policy_ref", VALUE, ("--policy-ref",), None)

# the words of a command -> (module, function, parameters): what cli.py's click commands say
COMMANDS: Dict[Tuple[str, ...], Tuple[str, str, Tuple[Parameter, ...]]] = {
    ("check-ref",): ("git_gto.commands.check_ref", "run", (
        REPO,
        ("ref", ARGUMENT, (), REQUIRED),
        ("as_json", FLAG, {"--json": True}, False),
        ("show_name", FLAG, {"--name": True}, False),
        ("show_version", FLAG, {"--version": True}, False),
        ("show_event", FLAG, {"--event": True}, False),
        ("show_stage", FLAG, {"--stage": True}, False),
        ("verify", FLAG, {"--verify": True}, False),
    )),
    ("deprecate",): ("git_gto.commands.deprecate", "run", (
        REPO,
        ("name", ARGUMENT, (), REQUIRED),
        ("version", ARGUMENT, (), None),
        ("stage", ARGUMENT, (), None),
        ("ref", VALUE, ("--ref",), None),
        ("message", VALUE, ("-m", "--message"), None),
        ("simple", VALUE, ("--simple", ("auto", "true", "false")), "auto"),
        ("force", FLAG, {"--force": True}, False),
        ("delete", FLAG, {"-d": True, "--delete": True}, False),
        ("push", FLAG, {"--push": True}, False),
        ("remote", VALUE, ("--remote",), None),
        ("sign", FLAG, {"-s": True, "--sign": True, "--no-sign": False}, None),
    )),
    ("hook", "pre-receive"): ("git_gto.commands.hook", "pre_receive", (POLICY_REF,)),
    ("hook", "update"): ("git_gto.commands.hook", "update", (
        ("ref", ARGUMENT, (), REQUIRED),
        ("old", ARGUMENT, (), REQUIRED),
        ("new", ARGUMENT, (), REQUIRED),
        POLICY_REF,
    )),
}


def parse(argv: List[str]) -> Optional[Tuple[Tuple[str, ...], Dict[str, Any]]]:
    """(the command's words, its parameters) as click would parse `argv`, or None when the
    line is not one parsed here."""
    for words, (_, _, params) in COMMANDS.items():
        if tuple(argv[:len(words)]) == words:
            found = _parameters(params, argv[len(words):])
            return None if found is None else (words, found)
    return None


def _parameters(params: Tuple[Parameter, ...], args: List[str]) -> Optional[Dict[str, Any]]:
    options = {opt: p for p in params if p[1] != ARGUMENT for opt in p[2] if isinstance(opt, str)}
    values = {p[0]: p[3] for p in params}
    given: set = set()
    positional: List[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg[:1] != "-" or arg == "-":
            positional.append(arg)
            continue
        if arg.startswith("--"):
            opt, equals, value = arg.partition("=")
            attached = value if equals else None
        else:
            opt, attached = arg[:2], arg[2:] or None  # -oVALUE
        param = options.get(opt)
        if param is None or param[0] in given:
            return None  # `--`, an unknown or repeated option: click's to say
        given.add(param[0])
        name, kind, strings, _ = param
        if kind == FLAG:
            if attached is not None:
                return None
            values[name] = strings[opt]
            continue
        if attached is None:
            if not rest or rest[0][:1] == "-":
                return None
            attached = rest.pop(0)
        choices = strings[-1] if isinstance(strings[-1], tuple) else None
        if choices is not None and attached not in choices:
            return None
        values[name] = attached
    arguments = [p for p in params if p[1] == ARGUMENT]
    if len(positional) > len(arguments) or any(p[3] is REQUIRED for p in arguments[len(positional):]):
        return None
    for (name, *_), value in zip(arguments, positional):
        values[name] = value
    return {name: (None if value is REQUIRED else value) for name, value in values.items()}


def command_line(argv: List[str]) -> List[str]:
    """The words after `git gto` (`git-gto-NAME ARGS` is `git gto NAME ARGS`)."""
    prog = os.path.basename(argv[0])
    if prog.startswith("git-gto-"):
        return [prog[len("git-gto-"):], *argv[1:]]
    return argv[1:]


def main() -> None:
    """Entry point of `git-gto` and of every `git-gto-<command>` shim."""
    argv = command_line(sys.argv)
    parsed = parse(argv) if "_GIT_GTO_COMPLETE" not in os.environ else None
    if parsed is None:
        from git_gto.cli import main as through_click

        through_click(argv)  # exits
    else:
        sys.exit(_run(*parsed))


def run(argv: List[str]) -> int:
    """Run a command line in this process, as `git gto` would; return the exit status."""
    parsed = parse(argv)
    if parsed is None:
        from git_gto.cli import run as through_click

        return through_click(argv)
    return _run(*parsed)


def _run(words: Tuple[str, ...], params: Dict[str, Any]) -> int:
    from git_gto.exits import failure

    try:
        from importlib import import_module

        from git_gto.verbose import show

        show(os.environ.get("GTO_LOG_LEVEL", "").upper() == "DEBUG")
        module, function, _ = COMMANDS[words]
        body: Callable[..., Any] = getattr(import_module(module), function)
        result = body(**params)
    except (KeyboardInterrupt, Exception) as e:  # one line on stderr, never a traceback unless asked
        return failure(e)
    return result if isinstance(result, int) else 0
