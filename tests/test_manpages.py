"""Man pages and commands stay in step: a page for every command, in git's section order,
every option documented and no other, and groff has nothing to say."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Set

import click
import pytest

from conftest import needs

from git_gto import cli

MAN = Path(__file__).resolve().parent.parent / "man"
OVERVIEW = MAN / "man1" / "git-gto.1"
ORDER = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "EXIT STATUS", "ENVIRONMENT", "FILES",
         "SEE ALSO"]
DOCUMENTED = [name for name, (_, section) in cli.COMMANDS.items() if section]
HIDDEN = [name for name, (_, section) in cli.COMMANDS.items() if not section]
OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")


def page(name: str) -> Path:
    return MAN / "man1" / f"git-gto-{name}.1"


def plain(roff: str) -> str:
    """Roff as text: font changes dropped, `\\-` read as `-`, special characters as a space."""
    text = re.sub(r"\\f(?:[A-Z]|\(..|\[\w*\])", "", roff)
    text = text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    return re.sub(r"\\\(..|\\\[\w+\]", " ", text)


def sections(path: Path) -> Dict[str, str]:
    """Section title -> its text, in the order of the page."""
    out: Dict[str, str] = {}
    title = None
    for line in path.read_text().splitlines():
        heading = re.match(r'\.SH\s+"?([^"]*)"?\s*$', line)
        if heading:
            title = heading.group(1)
            out[title] = ""
        elif title is not None:
            out[title] += plain(re.sub(r"^\.\w+\s?", "", line)) + "\n"
    return out


def options(command: click.Command) -> Set[str]:
    """The option strings a user can type, hidden ones and the help option left out."""
    ctx = click.Context(command, info_name=command.name, **cli.CONTEXT)  # click caches the help option
    return {
        opt
        for param in command.get_params(ctx)
        if isinstance(param, click.Option) and not param.hidden
        and not set(param.opts) & set(ctx.help_option_names)
        for opt in param.opts + param.secondary_opts
    }


PAGES = [pytest.param(OVERVIEW, cli.cli, id="git-gto")] + [
    pytest.param(page(name), cli.load_command(name), id=name) for name in DOCUMENTED
]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_command_has_a_page(name):
    assert page(name).is_file(), f"man/man1/git-gto-{name}.1 is missing"
    first = sections(page(name))["NAME"].strip().splitlines()[0]
    assert re.match(rf"git-gto-{name}(, [\w-]+)* - \S", first), first


def test_no_page_without_a_command():
    known = set(cli.COMMANDS) | set(cli.ALIASES)
    for path in (MAN / "man1").iterdir():
        assert path.suffix == ".1", path
        if path != OVERVIEW:
            assert path.stem[len("git-gto-"):] in known, f"{path.name}: no such command"


def test_an_alias_page_points_to_its_command():
    for alias, name in cli.ALIASES.items():
        assert page(alias).read_text() == f".so man1/git-gto-{name}.1\n"


@pytest.mark.parametrize("path, command", PAGES)
def test_sections_in_git_order(path, command):
    titles = list(sections(path))
    if path == OVERVIEW:
        assert [t for t in titles if t in ORDER] == ORDER
    else:
        assert titles == ORDER


@pytest.mark.parametrize("path, command", PAGES)
def test_every_option_is_documented(path, command):
    documented = set(OPTION.findall(sections(path)["OPTIONS"]))
    missing = options(command) - documented
    assert not missing, f"{path.name}: OPTIONS does not mention {sorted(missing)}"


@pytest.mark.parametrize("path, command", PAGES)
def test_no_stale_option(path, command):
    documented = set(OPTION.findall(sections(path)["OPTIONS"]))
    stale = documented - options(command) - {"-h", "--help"}
    assert not stale, f"{path.name}: OPTIONS mentions {sorted(stale)}, which the command lacks"


@pytest.mark.parametrize("path, command", PAGES)
def test_see_also(path, command):
    see_also = sections(path)["SEE ALSO"]
    for ref in ["git-tag(1)", "git-push(1)"] + ([] if path == OVERVIEW else ["git-gto(1)"]):
        assert ref in see_also, f"{path.name}: SEE ALSO lacks {ref}"


def test_overview_lists_every_command():
    commands = sections(OVERVIEW)["COMMANDS"]
    for name in DOCUMENTED:
        assert f"git-gto-{name}(1)" in commands
    for name in HIDDEN:
        assert name in commands
    for alias in cli.ALIASES:
        assert alias in commands


def test_overview_tells_the_environment_and_files():
    text = plain(OVERVIEW.read_text())
    for word in ["GTO_STAGES", "GTO_TYPES", "GTO_INDEX", "GTO_EMOJIS", "GTO_NO_CACHE", "GTO_DEBUG",
                 "NO_COLOR", "GIT_DIR", ".gto", "artifacts.yaml", "$GIT_DIR/gto/"]:
        assert word in text


@needs(not shutil.which("groff"), reason="groff is not installed")
@pytest.mark.parametrize("path", sorted((MAN / "man1").glob("*.1")), ids=lambda p: p.name)
def test_groff_has_no_warning(path):
    result = subprocess.run(["groff", "-man", "-ww", "-z", str(path.relative_to(MAN))], cwd=MAN,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
