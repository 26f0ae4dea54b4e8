"""direct.py parses the hot command lines without click: its tables must say what the click
commands say, its parse must be click's for every line it takes, and it must take the lines
a server and CI run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from git_gto import direct
from git_gto.cli import CONTEXT, load_command

ROOT = Path(__file__).resolve().parent.parent


def click_command(words):
    command = load_command(words[0])
    for word in words[1:]:
        command = command.commands[word]
    return command


def click_parse(words, args):
    """click's parameters for the line, or None when click refuses it (or prints help)."""
    try:
        ctx = click_command(words).make_context(" ".join(words), list(args), **CONTEXT)
    except (click.exceptions.UsageError, click.exceptions.Exit):
        return None
    return ctx.params


@pytest.mark.parametrize("words", list(direct.COMMANDS), ids=" ".join)
def test_each_table_says_what_its_click_command_says(words):
    _, _, table = direct.COMMANDS[words]
    params = {p.name: p for p in click_command(words).params if p.name != "help"}
    assert [p[0] for p in table] == list(params)
    given = ["x" for p in table if p[3] is direct.REQUIRED]
    defaults = click_parse(words, given)
    for name, kind, strings, default in table:
        param = params[name]
        assert param.nargs == 1 and not param.multiple and param.envvar is None and param.callback is None, name
        if kind == direct.ARGUMENT:
            assert isinstance(param, click.Argument)
            assert param.required == (default is direct.REQUIRED), name
            assert defaults[name] == ("x" if param.required else default), name
            continue
        assert isinstance(param, click.Option) and defaults[name] == default, name
        if kind == direct.FLAG:
            assert param.is_flag
            on = {opt: True for opt in param.opts}
            off = {opt: False for opt in param.secondary_opts}
            assert strings == {**on, **off}, name
        else:
            assert not param.is_flag
            choices = strings[-1] if isinstance(strings[-1], tuple) else None
            opts = strings[:-1] if choices else strings
            assert tuple(param.opts) == opts and not param.secondary_opts, name
            assert (tuple(param.type.choices) if isinstance(param.type, click.Choice) else None) == choices, name


TAKEN = [
    ("hook", "pre-receive"),
    ("hook", "pre-receive", "--policy-ref", "refs/heads/main"),
    ("hook", "pre-receive", "--policy-ref=main"),
    ("hook", "update", "refs/tags/m@v1.0.0", "0" * 40, "1" * 40),
    ("check-ref", "m@v1.0.0"),
    ("check-ref", "refs/tags/m#prod#1", "--verify"),
    ("check-ref", "--json", "m@v1.0.0", "-r", "/srv/registry.git"),
    ("check-ref", "m@v1.0.0", "--name"),
    ("check-ref", "-r/srv/registry.git", "m@v1.0.0", "--version"),
    ("deprecate", "m", "--delete"),
    ("deprecate", "m", "-d", "--push", "--remote", "upstream"),
    ("deprecate", "m", "v1.0.0", "prod", "-m", "rolled back", "--no-sign"),
    ("deprecate", "m", "--ref", "HEAD~1", "--simple", "true", "-s", "--force"),
]


@pytest.mark.parametrize("argv", TAKEN, ids=" ".join)
def test_the_lines_servers_and_ci_run_are_taken_and_parsed_as_click_parses_them(argv):
    parsed = direct.parse(list(argv))
    assert parsed is not None, "a line direct.py should take"
    words, params = parsed
    assert params == click_parse(words, argv[len(words):])


LEFT_TO_CLICK = [
    ("check-ref", "-h"),
    ("check-ref", "--help"),
    ("check-ref",),  # missing REF: click words the error
    ("check-ref", "a", "b"),
    ("check-ref", "--", "-m@v1"),
    ("check-ref", "--json=yes", "m@v1.0.0"),
    ("check-ref", "m@v1.0.0", "--json", "--json"),
    ("check-ref", "m@v1.0.0", "--jsn"),
    ("check-ref", "m@v1.0.0", "-r"),
    ("check-ref", "m@v1.0.0", "-r", "--json"),
    ("deprecate", "m", "-ds"),  # grouped short flags
    ("deprecate", "m", "--simple", "maybe"),
    ("hook", "install"),
    ("hook",),
    ("-v", "check-ref", "m@v1.0.0"),
    ("--traceback", "hook", "pre-receive"),
    ("show",),
    ("help", "check-ref"),
]


@pytest.mark.parametrize("argv", LEFT_TO_CLICK, ids=" ".join)
def test_other_lines_are_left_to_click(argv):
    assert direct.parse(list(argv)) is None


WORDS = ["m@v1.0.0", "m", "v1.0.0", "prod", "-", "", "x=y", "-x", "--", "--x", "-rpath", "--repo=",
         "--simple=auto", "--simple=no", "-m", "-mhello", "--policy-ref=", "true", "auto"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(direct.COMMANDS)), st.data())
def test_whatever_direct_takes_click_parses_the_same(words, data):
    _, _, table = direct.COMMANDS[words]
    options = [s for p in table if p[1] != direct.ARGUMENT for s in p[2] if isinstance(s, str)]
    args = data.draw(st.lists(st.sampled_from(options + WORDS), max_size=7))
    parsed = direct.parse([*words, *args])
    if parsed is not None:
        assert parsed == (words, click_parse(words, args)), args


@pytest.mark.parametrize("argv, code, said", [
    (["check-ref", "m@v1.0.0"], 0, ""),
    (["hook", "pre-receive"], 0, ""),
    (["deprecate", "nothing-here", "--delete"], 1, "error: Cannot find artifact 'nothing-here'\n"),
])
def test_the_hot_lines_never_import_click(repo, argv, code, said):
    repo.commit("one")
    program = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.argv = ['git-gto', *{argv!r}]\n"
               "from git_gto.direct import main\n"
               "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
               "print(code, 'click' in sys.modules, sorted(m for m in sys.modules if m.startswith('click'))[:3])")
    result = subprocess.run([sys.executable, "-c", program], cwd=repo.path, input="", text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert (result.stdout.splitlines()[-1], result.stderr) == (f"{code} False []", said)


def test_click_and_direct_give_the_same_answers(repo, gto):
    """The same lines in this process through both ways: exit status, stdout and stderr."""
    import contextlib
    import io

    from git_gto.cli import run as through_click

    repo.commit("one")
    assert gto("register", "m").exit_code == 0
    assert gto("assign", "m", "--stage", "prod").exit_code == 0
    lines = [
        ["check-ref", "m@v0.0.1"], ["check-ref", "m#prod#1", "--json"], ["check-ref", "m@v0.0.1", "--stage"],
        ["check-ref", "nope@v1.0.0", "--verify"], ["check-ref", "m#prod#1", "--verify"],
        ["check-ref", "m@v0.0.1", "--name", "--json"], ["deprecate", "nope", "--delete"],
        ["deprecate", "m", "v9.9.9", "prod"], ["deprecate", "m", "v0.0.1", "--ref", "HEAD"],
        ["hook", "update", "refs/tags/m@v0.0.1", "0" * 40, "0" * 40],
    ]
    for argv in lines:
        answers = []
        for run in (direct.run, through_click):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                answers.append((run(list(argv)), out.getvalue(), err.getvalue()))
        assert direct.parse(argv) is not None, argv
        assert answers[0] == answers[1], argv
        assert answers[0][0] != 70 and "internal error" not in answers[0][2], (argv, answers[0])


@pytest.mark.parametrize("argv, where", [(["check-ref", "m@v1.0.0", "-r"], "git gto check-ref"),
                                         (["deprecate", "m", "--simple"], "git gto deprecate"),
                                         (["show", "-r"], "git gto show"),
                                         (["hook", "pre-receive", "--policy-ref"], "git gto hook pre-receive")])
def test_an_option_without_its_value_points_at_the_commands_help(repo, gto, argv, where):
    result = gto(*argv)
    assert result.exit_code == 2
    assert result.stderr == f"error: Option '{argv[-1]}' requires an argument (see '{where} -h')\n"
