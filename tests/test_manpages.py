r"""Man pages and commands stay in step: a page for every command, in git's section order,
every option documented and no other, groff has nothing to say, and the pages read well in
an 80-column terminal.

Conventions of man/man1/*.1, which these tests keep (follow them for a new page):

- `.TH "GIT\-GTO\-<COMMAND>" "1" "<YYYY-MM-DD>" "git\-gto <version>" "Git GTO Manual"`, the
  version that of git_gto/__init__.py (bump every page's `.TH` with it) and the date that of
  the page's last change; `.nh` and `.ad l` after it, as git's pages have.
- SYNOPSIS is one `.nf` ... `.fi` block, wrapped by hand as git-tag(1) is: each form starts
  in column 0 with `\fBgit gto <command>\fR`, its continuation lines are indented with spaces
  to the column of its first option (`len("git gto <command> ")`), and no line is longer than
  71 characters, so that with man's 7-column indent it stays within the 78 columns man fills
  the text to at MANWIDTH=80.  Keep a bracketed group on one line; when a group does not fit,
  split the synopsis into two forms (git-gto-register(1)) rather than the group.
- Markup: the command, options and literal values (`bash`) bold, `\fB\-\-simple\fR`;
  placeholders in angle brackets and italic, `\fI<name>\fR`, everywhere on the page (italic
  is used for nothing else); brackets, `|`, parentheses, `=` and `...` roman.  Write `\-` for
  every hyphen of an option or a command name.
- Values: a long option takes its value with `=` (`[\fB\-\-simple\fR=\fI<when>\fR]`), a short
  one after a space (`[\fB\-r\fR \fI<repo>\fR]`), spelt the same in SYNOPSIS and in the
  option's `.TP` heading under OPTIONS; the values a placeholder may take are told in the
  option's text (`\fI<when>\fR is \fBauto\fR (the default), \fBtrue\fR or \fBfalse\fR.`).
- The rendered page (`MANWIDTH=80 man -l <page>`) has no line longer than 80 columns, and
  its SYNOPSIS has the words of the source, none broken across lines.
"""

from __future__ import annotations

import datetime
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import click
import pytest

from conftest import needs

from git_gto import __version__, cli

MAN = Path(__file__).resolve().parent.parent / "man"
OVERVIEW = MAN / "man1" / "git-gto.1"
ORDER = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "EXIT STATUS", "ENVIRONMENT", "FILES",
         "SEE ALSO"]
DOCUMENTED = [name for name, (_, section) in cli.COMMANDS.items() if section]
HIDDEN = [name for name, (_, section) in cli.COMMANDS.items() if not section]
OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")
# An option with the value it takes, if any: `-r <repo>`, `--simple=<when>`, `--force`.
OPTION_VALUE = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)(?:( |=)(<[^<>]*>))?")
WIDTH = 80  # the terminal
FILL = 78  # the columns man fills the text to at MANWIDTH=80: the synopsis keeps to them too
INDENT = 7  # man's indent of the text of a section
SOURCE = sorted(path for path in (MAN / "man1").glob("*.1") if not path.read_text().startswith(".so"))


def page(name: str) -> Path:
    return MAN / "man1" / f"git-gto-{name}.1"


def plain(roff: str) -> str:
    """Roff as text: font changes dropped, `\\-` read as `-`, special characters as a space."""
    text = re.sub(r"\\f(?:[A-Z]|\(..|\[\w*\])", "", roff)
    text = text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\").replace("\\~", " ")
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
    found = {
        opt
        for param in command.get_params(ctx)
        if isinstance(param, click.Option) and not param.hidden
        and not set(param.opts) & set(ctx.help_option_names)
        for opt in param.opts + param.secondary_opts
    }
    if isinstance(command, click.Group) and command is not cli.cli:  # `hook install`: one page
        for sub in command.commands.values():
            found |= options(sub)
    return found


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


def synopsis(path: Path) -> List[str]:
    """The roff lines of the SYNOPSIS section."""
    lines = path.read_text().splitlines()
    start = lines.index(".SH SYNOPSIS") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(".SH "))
    return lines[start:end]


def rendered(path: Path) -> List[str]:
    """The page as man prints it in an 80-column terminal, with a UTF-8 locale."""
    env = {**os.environ, "MANWIDTH": str(WIDTH), "MANPAGER": "cat", "PAGER": "cat", "LC_ALL": "C.UTF-8"}
    env.pop("MAN_KEEP_FORMATTING", None)
    result = subprocess.run(["man", "-l", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    assert (result.returncode, result.stderr) == (0, b""), result.stderr.decode()
    text = result.stdout.decode("utf-8")
    assert "\b" not in text, "man kept the formatting"
    return text.replace("\u2010", "-").replace("\u2212", "-").splitlines()


def rendered_synopsis(path: Path) -> List[str]:
    lines = rendered(path)
    start = lines.index("SYNOPSIS") + 1
    end = next(i for i in range(start, len(lines)) if lines[i] and not lines[i][0].isspace())
    return [line for line in lines[start:end] if line.strip()]


def headings(path: Path) -> List[str]:
    """The `.TP` headings of OPTIONS, as text."""
    lines = path.read_text().splitlines()
    start = lines.index(".SH OPTIONS")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(".SH "))
    return [plain(lines[i + 1]) for i in range(start, end) if lines[i] == ".TP"]


def values(text: str) -> List[Tuple[str, Optional[str]]]:
    """Each option with how it takes its value (`=<when>`, ` <repo>`), None for a flag."""
    return [(m.group(1), m.group(2) + m.group(3) if m.group(3) else None) for m in OPTION_VALUE.finditer(text)]


@pytest.mark.parametrize("path", SOURCE, ids=lambda p: p.name)
def test_th_has_the_version_and_a_date(path):
    th = path.read_text().splitlines()[0]
    assert th.startswith(".TH "), th
    args = shlex.split(plain(th[4:]))
    assert len(args) == 5, th
    title, section, date, source, manual = args
    assert (title, section, source, manual) == (path.stem.upper(), "1", f"git-gto {__version__}",
                                                "Git GTO Manual"), th
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date), f"{path.name}: .TH date {date!r} is not YYYY-MM-DD"
    datetime.date.fromisoformat(date)


@pytest.mark.parametrize("path", SOURCE, ids=lambda p: p.name)
def test_synopsis_is_wrapped_by_hand_with_a_hanging_indent(path):
    lines = synopsis(path)
    assert lines[0] == ".nf" and lines[-1] == ".fi", f"{path.name}: SYNOPSIS is not one .nf/.fi block"
    body = lines[1:-1]
    assert body and not any(line.startswith(".") for line in body), f"{path.name}: a request in SYNOPSIS"
    indent = 0
    for line in body:
        text = plain(line)
        assert len(text) + INDENT <= FILL, f"{path.name}: {len(text)} columns > {FILL - INDENT}: {text}"
        form = re.match(r"\\fB(git gto(?: [a-z-]+)?)\\fR( |$)", line.replace("\\-", "-"))
        if form:
            indent = len(form.group(1)) + 1
        else:
            assert indent and text.startswith(" " * indent) and text[indent] != " ", \
                f"{path.name}: a continuation line is not indented under the first option: {text!r}"


@pytest.mark.parametrize("path", SOURCE, ids=lambda p: p.name)
def test_placeholders_are_italic_and_in_angle_brackets(path):
    roff = path.read_text()
    italic = re.findall(r"\\fI(.*?)\\f", roff)
    wrong = [run for run in italic if not re.fullmatch(r"<[\w-]+>", plain(run))]
    assert not wrong, f"{path.name}: italic is for <placeholders> only: {wrong}"
    for line in synopsis(path)[1:-1]:
        runs = re.split(r"(\\f[BIR])", line)
        font = "R"
        for run in runs:
            if re.fullmatch(r"\\f[BIR]", run):
                font = run[-1]
                continue
            text = plain(run)
            if font == "R":
                assert re.fullmatch(r"[\s\[\]|().=]*", text), \
                    f"{path.name}: {text!r} in SYNOPSIS is neither bold nor an italic <placeholder>"
            elif font == "B":
                assert "<" not in text, f"{path.name}: placeholder {text!r} in bold"


@pytest.mark.parametrize("path", SOURCE, ids=lambda p: p.name)
def test_synopsis_and_options_spell_values_alike(path):
    in_synopsis = values("\n".join(plain(line) for line in synopsis(path)[1:-1]))
    in_options = [pair for heading in headings(path) for pair in values(heading)]
    for option, value in in_synopsis + in_options:
        if value:
            sep = "=" if option.startswith("--") else " "
            assert value[0] == sep, f"{path.name}: write {option}{sep}{value[1:]}, not {option}{value}"
    documented = dict(in_options)
    for option, value in in_synopsis:
        if option in documented:
            assert value == documented[option], \
                f"{path.name}: SYNOPSIS has {option}{value or ''}, OPTIONS {option}{documented[option] or ''}"


@needs(not shutil.which("man") or not shutil.which("groff"), reason="man or groff is not installed")
@pytest.mark.parametrize("path", SOURCE, ids=lambda p: p.name)
def test_fits_an_80_column_terminal(path):
    lines = rendered(path)
    long = [line for line in lines if len(line) > WIDTH]
    assert not long, f"{path.name}: lines longer than {WIDTH} columns:\n" + "\n".join(long)
    wide = [line for line in rendered_synopsis(path) if len(line) > FILL]
    assert not wide, f"{path.name}: SYNOPSIS lines beyond column {FILL}:\n" + "\n".join(wide)


@needs(not shutil.which("man") or not shutil.which("groff"), reason="man or groff is not installed")
@pytest.mark.parametrize("path", SOURCE, ids=lambda p: p.name)
def test_no_word_of_the_synopsis_is_broken(path):
    source = " ".join(plain(line) for line in synopsis(path)[1:-1]).split()
    shown = " ".join(rendered_synopsis(path)).split()
    assert shown == source, f"{path.name}: the rendered SYNOPSIS breaks words:\n" + "\n".join(
        rendered_synopsis(path))
    tokens = OPTION.findall(" ".join(source)) + re.findall(r"<[^<>\s]+>", " ".join(source))
    for token in tokens:
        assert any(re.search(rf"(?<![\w<-]){re.escape(token)}(?![\w>-])", line)
                   for line in rendered_synopsis(path)), f"{path.name}: {token} is not whole on a line"
