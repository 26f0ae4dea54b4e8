"""The `git gto` command line through click: a lazy command table, git's help policy, click's
errors (exits.py words the others).

direct.py sends here every line it does not run itself. Only click is imported at start-up;
each command's module is imported when it runs.
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

import click

from git_gto import __version__
from git_gto.exits import INTERRUPTED, failure

# command -> (module, section); aliases map to the same module
COMMANDS = {
    "show": ("show", "Read the registry"),
    "history": ("history", "Read the registry"),
    "check-ref": ("check_ref", "Read the registry"),
    "at": ("at", "Read the registry"),
    "stages": ("stages", "Read the registry"),
    "describe": ("describe", "Read the registry"),
    "doctor": ("doctor", "Read the registry"),
    "verify": ("verify", "Read the registry"),
    "status": ("status", "Read the registry"),
    "register": ("register", "Change the registry"),
    "assign": ("assign", "Change the registry"),
    "deprecate": ("deprecate", "Change the registry"),
    "fetch": ("fetch", "Change the registry"),
    "annotate": ("annotate", "Annotate artifacts"),
    "remove": ("remove", "Annotate artifacts"),
    "hook": ("hook", "Set up"),
    "completion": ("completion", "Set up"),
    "parse-tag": ("parse_tag", None),
    "print-state": ("print_state", None),
}
ALIASES = {"promote": "assign"}
SECTIONS = ("Read the registry", "Change the registry", "Annotate artifacts", "Set up")
PAGED = {"show", "history", "at", "status"}  # long outputs: through the pager on a terminal
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def load_command(name: str) -> Optional[click.Command]:
    from importlib import import_module

    name = ALIASES.get(name, name)
    if name not in COMMANDS:
        return None
    return import_module(f"git_gto.commands.{COMMANDS[name][0]}").command


class GtoGroup(click.Group):
    """Commands are imported only when used; help lists them by section."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        return [n for n, (_, section) in COMMANDS.items() if section]

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        return load_command(name)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list:
        """Command names complete extensions on PATH (git-gto-NAME) too."""
        from click.shell_completion import CompletionItem

        found = super().shell_complete(ctx, incomplete)
        if not incomplete.startswith("-"):
            found += [CompletionItem(name, help=f"git-gto-{name}")
                      for name in external_commands() if name.startswith(incomplete)]
        return found

    def resolve_command(self, ctx: click.Context, args: List[str]):
        """An unknown command: as git does, name the most similar one."""
        name = args[0] if args else ""
        if args and load_command(name) is None and not name.startswith("-"):
            from difflib import get_close_matches

            known = [*self.list_commands(ctx), *ALIASES, *external_commands()]
            similar = get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; the most similar command is '{similar[0]}'" if similar else ""
            ctx.fail(f"'{name}' is not a git gto command{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for section in SECTIONS:
            rows = []
            for name, (_, where) in COMMANDS.items():
                if where == section:
                    cmd = load_command(name)
                    assert cmd is not None, name
                    label = name + (" (promote)" if name == "assign" else "")
                    rows.append((label, cmd.get_short_help_str(200)))
            with formatter.section(section):
                formatter.write_dl(rows)
        others = external_commands()
        if others:
            with formatter.section("Other commands on PATH"):
                formatter.write_dl([(name, f"git-gto-{name}") for name in others])
        formatter.write_paragraph()
        formatter.write_text("'git gto help <command>' opens a command's manual page. TAB completion from "
                             "a virtual environment needs one line in your shell's setup: see "
                             "'git gto completion -h'.")


def external_commands() -> List[str]:
    """`git-gto-NAME` programs on PATH that are not built in (extensions), by name."""
    from git_gto.extensions import external_commands as on_path

    return on_path({*COMMANDS, *ALIASES})


@click.group(cls=GtoGroup, context_settings=CONTEXT, invoke_without_command=False)
@click.version_option(__version__, "--version", prog_name="git-gto", message="%(prog)s version %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="Explain what is being done (on stderr).")
@click.option("--traceback", "--tb", "traceback", is_flag=True, hidden=True)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, traceback: bool) -> None:
    """Git-native artifact registry: versions and stages of models, datasets and
    other artifacts, kept in annotated Git tags.

    See `git help gto` for the tag formats, configuration and examples.
    """
    ctx.obj = {"verbose": verbose, "traceback": traceback}
    from git_gto.verbose import show

    show(verbose or os.environ.get("GTO_LOG_LEVEL", "").upper() == "DEBUG")


def _command_position(argv: List[str]) -> Optional[int]:
    """Index of the command word in argv (options of `git gto` itself come first)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return i
    return None


def _help_words(argv: List[str]) -> List[str]:
    """`git gto help [COMMAND]` is `git gto [COMMAND] --help`, as in git-lfs."""
    pos = _command_position(argv)
    if pos is not None and argv[pos] == "help":
        return [*argv[:pos], *argv[pos + 1:pos + 2], "--help"]
    return argv


def _manual_page(argv: List[str]) -> Optional[str]:
    """The man page `--help` should open, as git does for its own commands."""
    words = argv[: argv.index("--")] if "--" in argv else argv
    if "--help" not in words:
        return None
    pos = _command_position(words)
    if pos is None or pos > words.index("--help"):
        return "git-gto"
    name = ALIASES.get(words[pos], words[pos])
    return f"git-gto-{name}" if name in COMMANDS else None


def _open_manual(page: str) -> None:
    """exec `man PAGE` when the page is installed; return (to click's help) otherwise."""
    import shutil
    import subprocess

    man = shutil.which("man")
    if not man:
        return
    found = subprocess.run([man, "-w", page], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if found.returncode == 0:
        sys.stdout.flush()
        os.execv(man, [man, page])


def _external(argv: List[str]) -> None:
    """Run `git-gto-NAME` from PATH for a command that is not built in, as git does."""
    pos = _command_position(argv)
    if pos is None:
        return
    name = argv[pos]
    if name in COMMANDS or name in ALIASES:
        return
    import shutil

    program = shutil.which(f"git-gto-{name}")
    if program:
        os.execv(program, [program, *argv[pos + 1:]])


def main(argv: List[str]) -> None:
    """Run `git gto ARGV` through click and exit (direct.main sends here what it leaves)."""
    if "_GIT_GTO_COMPLETE" not in os.environ:
        argv = _help_words(argv)
        _external(argv)
        page = _manual_page(argv)
        if page:
            _open_manual(page)
    sys.exit(run(argv))


def run(argv: List[str]) -> int:
    """Run a command line in this process; return the exit status."""
    if "_GIT_GTO_COMPLETE" in os.environ:
        from git_gto.completion_protocol import register

        register()
    from git_gto.output import print_error

    try:
        from git_gto.output import paged

        pos = _command_position(argv)
        with paged(pos is not None and argv[pos] in PAGED):
            result = cli.main(args=argv, prog_name="git gto", complete_var="_GIT_GTO_COMPLETE",
                              standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help())  # `git gto` alone: the usage, on stdout (`git gto | less`)
        return e.exit_code
    except click.UsageError as e:
        where = e.ctx.command_path if e.ctx else _usage_path(argv)
        message = " ".join(e.format_message().split()).rstrip(".")
        print_error("error", f"{message} (see '{where} -h')")
        return e.exit_code
    except click.ClickException as e:
        print_error("error", e.format_message())
        return e.exit_code
    except click.exceptions.Abort:  # click's KeyboardInterrupt, the blank line already written
        print_error("fatal", "interrupted")
        return INTERRUPTED
    except (KeyboardInterrupt, Exception) as e:  # one line on stderr, never a traceback unless asked
        return failure(e, traceback=_traceback_asked(argv))


def _usage_path(argv: List[str]) -> str:
    """`git gto CMD`, for a usage error click names no command for (an option without its
    value)."""
    pos = _command_position(argv)
    command = load_command(argv[pos]) if pos is not None else None
    if pos is None or command is None:
        return "git gto"
    words = argv[pos:pos + 1]
    if isinstance(command, click.Group) and argv[pos + 1:pos + 2] and argv[pos + 1] in command.commands:
        words.append(argv[pos + 1])  # `git gto hook pre-receive`
    return " ".join(["git gto", *words])


def _traceback_asked(argv: List[str]) -> bool:
    """`git gto --traceback CMD`: a bug's traceback is wanted."""
    pos = _command_position(argv)
    return any(a in ("--traceback", "--tb") for a in argv[:pos])
