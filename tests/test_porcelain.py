"""git's command-line habits: `git gto help CMD`, the most similar command for a typo,
the usage on stdout for `git gto` alone, and extensions on PATH listed in `-h`."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import needs

needs_man = needs(not shutil.which("man"), reason="man is not installed")


def git(*args, cwd, env=None):
    return subprocess.run(["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, **(env or {})})


@needs_man
@pytest.mark.parametrize("args, name_line", [
    (["help", "show"], "git-gto-show - show the registry"),
    (["help", "promote"], "git-gto-assign, git-gto-promote - put a version"),
    (["help"], "git-gto - artifact registry kept in annotated Git tags"),
])
def test_help_command_opens_the_page(repo, monkeypatch, args, name_line):
    monkeypatch.delenv("MANPATH", raising=False)
    result = git("gto", *args, cwd=repo.path, env={"MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "200"})
    assert result.returncode == 0, result.stderr
    assert name_line in result.stdout.replace("\u2010", "-").replace("\u2212", "-")


@pytest.mark.parametrize("typo, similar", [("shwo", "show"), ("regster", "register"), ("promot", "promote")])
def test_a_typo_names_the_most_similar_command(gto, typo, similar):
    result = gto(typo, "x")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: '{typo}' is not a git gto command; the most similar command is "
                             f"'{similar}' (see 'git gto -h')\n")


def test_an_unknown_command_with_nothing_similar(gto):
    result = gto("xyzzy")
    assert (result.exit_code, result.stderr) == (2, "error: 'xyzzy' is not a git gto command (see 'git gto -h')\n")


def test_git_gto_alone_prints_the_usage_on_stdout(repo):
    result = git("gto", cwd=repo.path)
    assert result.returncode == 2 and result.stderr == ""
    assert result.stdout.startswith("Usage: git gto [OPTIONS] COMMAND [ARGS]...")


def test_extensions_on_path_are_listed_and_suggested(repo, gto, tmp_path, monkeypatch):
    extension = tmp_path / "git-gto-lineage"
    extension.write_text("#!/bin/sh\necho lineage of \"$1\"\n")
    extension.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    listed = gto("-h").stdout
    assert "Other commands on PATH:\n  lineage  git-gto-lineage\n" in listed
    assert git("gto", "lineage", "m", cwd=repo.path).stdout == "lineage of m\n"
    assert "the most similar command is 'lineage'" in gto("linage").stderr
