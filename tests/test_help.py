"""Help as git gives it: `-h` prints the short usage, `--help` opens the man page, and
click's help stands in when the page is not installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import needs, ok

from git_gto.cli import _manual_page

ROOT = Path(__file__).resolve().parent.parent
needs_man = needs(not shutil.which("man"), reason="man is not installed")


def test_h_prints_the_usage_and_the_commands(gto):
    result = ok(gto("-h"))
    assert result.stdout.startswith("Usage: git gto [OPTIONS] COMMAND [ARGS]...")
    for section in ["Read the registry:", "Change the registry:", "Annotate artifacts:", "Set up:"]:
        assert section in result.stdout
    assert "assign (promote)" in result.stdout


def test_h_of_a_command_prints_its_usage(gto):
    result = ok(gto("register", "-h"))
    assert result.stdout.startswith("Usage: git gto register [OPTIONS] NAME [REF]")
    assert "--bump-major" in result.stdout


@pytest.mark.parametrize("argv, page", [
    (["--help"], "git-gto"),
    (["-v", "--help"], "git-gto"),
    (["register", "--help"], "git-gto-register"),
    (["register", "model", "--help"], "git-gto-register"),
    (["promote", "--help"], "git-gto-assign"),
    (["--help", "register"], "git-gto"),
    (["register", "-h"], None),
    (["register", "--", "--help"], None),
    (["show"], None),
])
def test_which_page_help_opens(argv, page):
    assert _manual_page(argv) == page


def man_text(output: str) -> str:
    """What man printed, with the hyphens of a UTF-8 locale made ASCII."""
    return output.replace("\u2010", "-").replace("\u2212", "-")


@needs_man
@pytest.mark.parametrize("args, name_line", [
    (["gto", "--help"], "git-gto - artifact registry kept in annotated Git tags"),
    (["gto", "register", "--help"], "git-gto-register - register a version of an artifact"),
    (["gto", "promote", "--help"], "git-gto-assign, git-gto-promote - put a version"),
    (["help", "gto"], "git-gto - artifact registry kept in annotated Git tags"),
])
def test_help_opens_the_man_page_from_the_checkout(repo, monkeypatch, args, name_line):
    monkeypatch.delenv("MANPATH", raising=False)  # man finds bin/../man from PATH
    result = subprocess.run(["git", *args], cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "200"})
    assert result.returncode == 0, result.stderr
    assert name_line in man_text(result.stdout)


@needs_man
def test_a_shim_opens_its_page(repo, monkeypatch):
    monkeypatch.delenv("MANPATH", raising=False)
    result = subprocess.run(["git-gto-show", "--help"], cwd=repo.path, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "200"})
    assert "git-gto-show - show the registry" in man_text(result.stdout)


@pytest.mark.parametrize("args", [["register", "--help"], ["parse-tag", "--help"]])
def test_help_falls_back_to_click_without_the_page(repo, gto_e2e, tmp_path, args):
    result = ok(gto_e2e(*args, env={"MANPATH": str(tmp_path), "MANPAGER": "cat"}))
    assert result.stdout.startswith(f"Usage: git gto {args[0]} [OPTIONS]")
