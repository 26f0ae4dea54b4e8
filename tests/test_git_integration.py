"""`git gto` as git runs it: through git, aliases, -C, --git-dir, subdirectories, linked
worktrees, bare repositories, third-party `git-gto-*` commands, the shims in bin/, exit
statuses and where output goes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ok, refused
from git_gto import __version__

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "bin"
ANSI = "\x1b["


def run(args, cwd, env=None):
    return subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def registered(repo, gto_e2e):
    """m@v0.0.1 and m#prod#1 on the first commit; a second commit on top."""
    c1 = repo.commit("one")
    ok(gto_e2e("assign", "m", "--stage", "prod"))
    repo.commit("two")
    return c1


def show_json(gto_e2e, *args, cwd=None, env=None):
    result = ok(gto_e2e("show", "--json", *args, cwd=cwd, env=env))
    assert result.stderr == ""
    return json.loads(result.stdout)


EXPECTED = {"m": {"version": "v0.0.1", "stage": {"prod": "v0.0.1"}, "registered": True, "active": True}}


def test_git_runs_git_gto(repo, gto_e2e):
    commit = repo.commit("one")
    result = ok(gto_e2e("register", "m"))
    assert result.stdout == ""
    assert "Created git tag 'm@v0.0.1' that registers version" in result.stderr
    assert repo.git("rev-parse", "m@v0.0.1^{commit}") == commit
    assert repo.git("cat-file", "-t", "m@v0.0.1") == "tag"
    repo.fsck()


def test_data_on_stdout_messages_on_stderr(repo, gto_e2e, registered):
    shown = ok(gto_e2e("show", "--json"))
    assert json.loads(shown.stdout)["m"]["version"] == "v0.0.1"
    assert shown.stderr == ""
    ref = ok(gto_e2e("show", "m#prod", "--ref"))
    assert (ref.stdout, ref.stderr) == ("m@v0.0.1\n", "")
    written = ok(gto_e2e("assign", "m", "--version", "v0.0.1", "--stage", "dev"))
    assert written.stdout == ""
    assert "Created git tag 'm#dev#2'" in written.stderr
    refused(gto_e2e("register", "bad name"), 1, "error: Invalid value 'bad name'")


def test_git_alias(repo, gto_e2e):
    commit = repo.commit("one")
    repo.git("config", "alias.reg", "gto register")
    result = run(["git", "reg", "m", "--version", "v1.0.0"], cwd=repo.path)
    ok(result)
    assert repo.tags() == ["m@v1.0.0"]
    assert repo.git("rev-parse", "m@v1.0.0^{commit}") == commit
    repo.git("config", "alias.where", "!git gto show --json")
    shown = ok(run(["git", "where"], cwd=repo.path))
    assert json.loads(shown.stdout)["m"]["version"] == "v1.0.0"


def test_git_dash_c(repo, gto_e2e, registered, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo.path / "sub" / "dir").mkdir(parents=True)
    for where in (repo.path, repo.path / "sub" / "dir"):
        result = ok(run(["git", "-C", str(where), "gto", "show", "--json"], cwd=elsewhere))
        assert json.loads(result.stdout) == EXPECTED, where
    relative = os.path.relpath(repo.path, elsewhere)
    ok(run(["git", "-C", relative, "gto", "assign", "m", "--version", "v0.0.1", "--stage", "dev"], cwd=elsewhere))
    assert "m#dev#2" in repo.tags()
    assert list(elsewhere.iterdir()) == []


def test_git_dir_from_elsewhere(repo, gto_e2e, registered, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for work_tree in ([], [f"--work-tree={repo.path}"]):
        result = ok(run(["git", f"--git-dir={repo.path / '.git'}", *work_tree, "gto", "show", "--json"], cwd=elsewhere))
        assert json.loads(result.stdout) == EXPECTED, work_tree
    result = ok(run(["git", "--git-dir", str(repo.path / ".git"), "gto", "history", "m", "--json"], cwd=elsewhere))
    assert {e["ref"] for e in json.loads(result.stdout)} >= {"m@v0.0.1", "m#prod#1"}
    result = ok(run(["git", f"--git-dir={repo.path / '.git'}", f"--work-tree={repo.path}", "gto", "register", "m"],
                    cwd=elsewhere))
    assert "m@v0.0.2" in repo.tags()
    assert repo.git("rev-parse", "m@v0.0.2^{commit}") == repo.git("rev-parse", "HEAD")


def test_from_a_subdirectory(repo, gto_e2e):
    commit = repo.commit("one", {"deep/er/file.txt": "x"})
    sub = repo.path / "deep" / "er"
    ok(gto_e2e("register", "m", cwd=sub))
    assert repo.git("rev-parse", "m@v0.0.1^{commit}") == commit
    assert show_json(gto_e2e, cwd=sub)["m"]["version"] == "v0.0.1"
    ok(gto_e2e("annotate", "m", "--type", "model", cwd=sub))
    assert (repo.path / "artifacts.yaml").exists()
    assert not (sub / "artifacts.yaml").exists()


def test_linked_worktree_reads_and_writes_shared_tags(repo, gto_e2e, registered, tmp_path):
    wt = tmp_path / "wt"
    repo.git("worktree", "add", "-q", "-b", "feature", str(wt))
    assert show_json(gto_e2e, cwd=wt) == EXPECTED  # tags made in the main worktree
    repo.tick()
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "in wt"], cwd=wt, check=True)
    wt_head = run(["git", "rev-parse", "HEAD"], cwd=wt).stdout.strip()
    result = ok(gto_e2e("assign", "m", "--stage", "dev", cwd=wt))
    assert "m@v0.0.2" in result.stderr
    # the tags are shared: the main worktree sees them, pointing at the worktree's commit
    assert set(repo.tags()) == {"m@v0.0.1", "m#prod#1", "m@v0.0.2", "m#dev#2"}
    assert repo.git("rev-parse", "m@v0.0.2^{commit}") == wt_head
    assert repo.git("cat-file", "-t", "m#dev#2") == "tag"
    assert show_json(gto_e2e)["m"]["stage"] == {"prod": "v0.0.1", "dev": "v0.0.2"}
    ok(gto_e2e("deprecate", "m", "v0.0.2", "--delete", cwd=wt))
    assert set(repo.tags()) == {"m@v0.0.1", "m#prod#1"}
    ok(gto_e2e("annotate", "m", "--type", "model", cwd=wt))
    assert (wt / "artifacts.yaml").exists() and not (repo.path / "artifacts.yaml").exists()
    repo.fsck()


def test_bare_repository_for_reading(repo, gto_e2e, registered, tmp_path):
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    assert show_json(gto_e2e, cwd=bare) == EXPECTED
    assert json.loads(ok(run(["git", "-C", str(bare), "gto", "show", "--json"], cwd=tmp_path)).stdout) == EXPECTED
    assert json.loads(ok(run(["git", f"--git-dir={bare}", "gto", "show", "--json"], cwd=tmp_path)).stdout) == EXPECTED
    assert show_json(gto_e2e, "-r", str(bare), cwd=tmp_path) == EXPECTED
    result = ok(gto_e2e("show", "m#prod", "--ref", cwd=bare))
    assert result.stdout == "m@v0.0.1\n"
    result = ok(gto_e2e("check-ref", "m#prod#1", "--json", cwd=bare))
    assert json.loads(result.stdout)
    result = ok(gto_e2e("history", "m", cwd=bare))
    assert "m#prod#1" in result.stdout


def test_third_party_command_on_path(repo, gto_e2e, tmp_path):
    tools = tmp_path / "tools"
    tools.mkdir()
    script = tools / "git-gto-hello"
    script.write_text('#!/bin/sh\nprintf "%s\\n" "hello from $(basename "$0")" "$@"\nexit 3\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = {"PATH": f"{os.environ['PATH']}{os.pathsep}{tools}"}
    result = gto_e2e("hello", "a", "b c", "--flag", env=env)
    assert result.exit_code == 3
    assert result.stdout == "hello from git-gto-hello\na\nb c\n--flag\n"


def test_unknown_command_exits_2(repo, gto_e2e):
    repo.commit("one")
    refused(gto_e2e("no-such-command"), 2, "error: 'no-such-command' is not a git gto command (see 'git gto -h')")


INTERNAL = ("fatal: internal error: RuntimeError: boom in history (a bug in git-gto; GTO_DEBUG=1 shows the "
            "traceback)\n")
BROKEN = """
import sys
from git_gto import direct, queries

def boom(*args, **kwargs):
    raise RuntimeError("boom in " + sys.argv[1])

setattr(queries, sys.argv[1].replace("-", "_"), boom)
direct.main()
"""


def boom(*args, **kwargs):
    raise RuntimeError("boom in history")


def test_an_unexpected_exception_is_one_line_and_exit_70(repo, gto, monkeypatch):
    """A bug is never mistaken for a refusal: its own status, one line, no traceback."""
    from git_gto import queries

    repo.commit("one")
    monkeypatch.setattr(queries, "history", boom)
    result = gto("history")
    assert (result.exit_code, result.stdout, result.stderr) == (70, "", INTERNAL)


@pytest.mark.parametrize("env, args", [({"GTO_DEBUG": "1"}, ["history"]), ({}, ["--traceback", "history"])])
def test_debugging_lets_the_exception_through(repo, gto, monkeypatch, env, args):
    from git_gto import queries

    repo.commit("one")
    monkeypatch.setattr(queries, "history", boom)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match="boom in history"):
        gto(*args)


@pytest.mark.parametrize("command", ["history", "check-ref"], ids=["click", "direct"])
@pytest.mark.parametrize("debug", ["", "1"])
def test_gto_debug_prints_the_traceback(repo, debug, command):
    """The same bug in a real process, through click (history) and direct.py (check-ref):
    one line without GTO_DEBUG, Python's traceback with it."""
    repo.commit("one")
    result = run([sys.executable, "-c", BROKEN, command, *(["m@v1.0.0"] if command == "check-ref" else [])],
                 cwd=repo.path, env={"GTO_DEBUG": debug} if debug else None)
    if not debug:
        assert (result.returncode, result.stdout, result.stderr) == (70, "", INTERNAL.replace("history", command))
        return
    assert result.returncode == 1, "Python's own status for an uncaught exception"
    assert result.stderr.startswith("Traceback (most recent call last):\n"), result.stderr
    assert result.stderr.endswith(f"RuntimeError: boom in {command}\n"), result.stderr
    assert "internal error" not in result.stderr


def test_version_and_short_help(repo, gto_e2e):
    version = ok(gto_e2e("--version"))
    assert __version__ in version.stdout
    helped = ok(gto_e2e("-h"))
    assert "Usage:" in helped.stdout and "register" in helped.stdout
    sub = ok(gto_e2e("register", "-h"))
    assert "Usage: git gto register" in sub.stdout


def test_outside_a_repository_exits_128(repo, gto_e2e, tmp_path):
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    env = {"GIT_CEILING_DIRECTORIES": str(tmp_path)}
    for args in (["show"], ["register", "m"], ["history", "--json"]):
        refused(gto_e2e(*args, cwd=nowhere, env=env), 128,
                "fatal: not a git repository (or any of the parent directories): .git")
    assert list(nowhere.iterdir()) == []


SHIMS = sorted(p.name for p in BIN.glob("git-gto-*"))


def test_shims_are_identical_and_executable():
    assert SHIMS, "no bin/git-gto-<cmd> shims"
    main = (BIN / "git-gto").read_bytes()
    for name in SHIMS:
        path = BIN / name
        assert path.read_bytes() == main, name
        assert os.access(path, os.X_OK), name


@pytest.mark.parametrize("shim", SHIMS)
def test_each_shim_runs_its_command(repo, shim):
    repo.commit("one")
    command = shim[len("git-gto-"):]
    result = ok(run([shim, "-h"], cwd=repo.path))
    assert result.stdout.startswith(f"Usage: git gto {command}"), result.stdout


def test_shims_do_the_work(repo, registered):
    shown = ok(run(["git-gto-show", "--json"], cwd=repo.path))
    assert json.loads(shown.stdout) == EXPECTED
    ok(run(["git-gto-register", "m"], cwd=repo.path))
    ok(run(["git-gto-promote", "m", "--stage", "dev"], cwd=repo.path))
    assert {"m@v0.0.2", "m#dev#2"} <= set(repo.tags())
    checked = ok(run(["git-gto-check-ref", "m#dev#2", "--json"], cwd=repo.path))
    assert json.loads(checked.stdout)
    # and through git, `git gto-show` is the same program
    assert json.loads(ok(run(["git", "gto-show", "--json"], cwd=repo.path)).stdout)["m"]["version"] == "v0.0.2"


def test_no_colour_when_not_a_terminal(repo, registered):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR",)}
    env.update(TERM="xterm-256color", CLICOLOR="1", GTO_EMOJIS="true")
    results = [
        subprocess.run(["git", "gto", *args], cwd=repo.path, env=env, capture_output=True, text=True)
        for args in (["show"], ["show", "m"], ["history"], ["register", "bad name"],
                     ["assign", "m", "--version", "v0.0.1", "--stage", "dev"], ["check-ref", "m#prod#1"],
                     ["doctor"], ["no-such-command"])
    ]
    assert "v0.0.1" in ok(results[0]).stdout
    refused(results[3], 1, "error: Invalid value 'bad name'")
    for r in results:
        assert ANSI not in r.stdout and ANSI not in r.stderr, (r.args, r.stdout, r.stderr)


def test_every_command_has_a_shim_installed_by_setup():
    """Each visible command (and alias) has its bin/git-gto-<cmd>, listed in setup.cfg."""
    import configparser

    from git_gto.cli import ALIASES, COMMANDS

    commands = {name for name, (_, section) in COMMANDS.items() if section} | set(ALIASES)
    assert {f"git-gto-{name}" for name in commands} == set(SHIMS)
    config = configparser.ConfigParser()
    config.read(BIN.parent / "setup.cfg")
    scripts = set(config["options"]["scripts"].split())
    assert scripts == {"bin/git-gto"} | {f"bin/{shim}" for shim in SHIMS}


def test_a_checkout_runs_its_own_package(tmp_path):
    """bin/git-gto in a checkout imports the checkout's git_gto, not an installed one."""
    checkout = tmp_path / "checkout"
    shutil.copytree(BIN, checkout / "bin")
    shutil.copytree(ROOT / "git_gto", checkout / "git_gto", ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "git_gto" / "__init__.py").write_text('__version__ = "0.0.0+checkout"\n')
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([str(checkout / "bin" / "git-gto"), "--version"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "git-gto version 0.0.0+checkout\n", "")


def test_a_read_only_repository_is_told_as_it_is(repo, registered):
    """A read-only file system is the machine's state, not a bug: one line, exit 1."""
    script = (f"mount --bind {repo.path} {repo.path} && mount -o remount,bind,ro {repo.path} && "
              f"cd {repo.path} && git gto register m --version v9.0.0")
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: cannot lock the repository for writing: "), result.stderr
    assert result.stderr.endswith(": Read-only file system (nothing was changed)\n")
    assert len(result.stderr.splitlines()) == 1 and "internal error" not in result.stderr
    assert "m@v9.0.0" not in repo.tags()
