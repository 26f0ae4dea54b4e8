"""Completion: `git gto completion SHELL` prints the installed scripts, bash completes `git gto`
through git's own completion, and a TAB imports neither dulwich, yaml nor tabulate."""

from __future__ import annotations

import configparser
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from conftest import needs, ok

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "git_gto" / "completion"
FILES = {"bash": "git-gto", "zsh": "_git-gto", "fish": "git-gto.fish"}
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")


def git_completion() -> Optional[Path]:
    """git's bash completion script, where distributions and git's own build put it."""
    exec_path = subprocess.run(["git", "--exec-path"], stdout=subprocess.PIPE, text=True).stdout.strip()
    prefix = Path(exec_path).parent.parent if exec_path else Path("/usr")
    for path in [
        Path("/usr/share/bash-completion/completions/git"),
        prefix / "share/bash-completion/completions/git",
        prefix / "share/git-core/contrib/completion/git-completion.bash",
        Path("/usr/share/git/completion/git-completion.bash"),
        Path("/etc/bash_completion.d/git"),
    ]:
        if path.is_file():
            return path
    return None


GIT_COMPLETION = git_completion()
needs_git_completion = needs(GIT_COMPLETION is None, reason="git's bash completion is not installed")


@pytest.fixture
def registry(repo):
    """churn (v1.0.0, v1.1.0 in prod) and segment (v0.1.0 in dev); .gto allows dev, staging, prod."""
    repo.commit("add .gto", {".gto": "stages: [dev, staging, prod]\n"})
    repo.tag("churn@v1.0.0", "r")
    repo.tag("segment@v0.1.0", "r")
    repo.tag("segment#dev#1", "a")
    repo.commit("retrain")
    repo.tag("churn@v1.1.0", "r")
    repo.tag("churn#prod#1", "a")
    return repo


# -- the scripts -----------------------------------------------------------------------------

@pytest.mark.parametrize("shell", sorted(FILES))
def test_printed_script_is_the_installed_one(gto, shell):
    result = ok(gto("completion", shell))
    assert result.stdout == (SCRIPTS / FILES[shell]).read_text()


def test_setup_installs_the_scripts_and_pages():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    data_files = {key: value.strip() for key, value in config["options.data_files"].items()}
    assert data_files == {
        "share/man/man1": "man/man1/*.1",
        "share/bash-completion/completions": "git_gto/completion/git-gto",
        "share/zsh/site-functions": "git_gto/completion/_git-gto",
        "share/fish/vendor_completions.d": "git_gto/completion/git-gto.fish",
        "share/fish/vendor_conf.d": "git_gto/completion/conf.d/git-gto.fish",
    }


def test_zsh_script_is_a_compdef_for_git():
    lines = (SCRIPTS / "_git-gto").read_text().splitlines()
    assert lines[0] == "#compdef git-gto"
    assert lines[1].startswith("#description ")  # what zsh's _git shows next to `gto`


@pytest.mark.parametrize("shell, check", [
    ("bash", ["bash", "-n"]), ("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"]),
])
def test_script_parses(shell, check):
    assert shutil.which(check[0]), f"{shell} is not installed: `bash .ci/setup` installs it"
    result = subprocess.run([*check, str(SCRIPTS / FILES[shell])], stderr=subprocess.PIPE, text=True)
    assert (result.returncode, result.stderr) == (0, "")


# -- zsh and fish ------------------------------------------------------------------------------

def matches(lines: List[str], patterns: List[str]) -> bool:
    return len(lines) == len(patterns) and all(re.fullmatch(p, line) for p, line in zip(patterns, lines))


ZSH_SESSION = r'''
compadd() { print -rl -- ${(P)${@[-1]}} }    # what the script would add, one per line
_describe() { print -rl -- ${(P)3} }
fpath=("$GTO_COMPLETIONS" $fpath)
autoload -Uz _git-gto
words=("$@") CURRENT=$#
_git-gto
'''


@needs(not shutil.which("zsh"), reason="zsh is not installed")
@pytest.mark.parametrize("words, expected", [
    (["gto", "show", ""], ["churn", "segment"]),  # as zsh's _git passes them: words[1] is `gto`
    (["git-gto", "reg"], ["register:Register .+"]),  # with its description
    (["gto", "assign", "churn", "--stage", "p"], ["prod"]),
])
def test_zsh_completes(registry, words, expected):
    result = subprocess.run(["zsh", "-f", "-c", ZSH_SESSION, "zsh", *words], cwd=registry.path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "GTO_COMPLETIONS": str(SCRIPTS)})
    assert result.stderr == ""
    assert matches(result.stdout.splitlines(), expected)


@needs(not shutil.which("fish"), reason="fish is not installed")
@pytest.mark.parametrize("line, expected", [
    ("git-gto show ", ["churn", "segment"]),
    ("git-gto reg", ["register\tRegister .+"]),  # with its description
    ("git-gto show churn#p", ["churn#prod"]),
])
def test_fish_completes(registry, line, expected):
    script = f"source {SCRIPTS / 'git-gto.fish'}; complete -C '{line}'"
    result = subprocess.run(["fish", "--no-config", "-c", script], cwd=registry.path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.stderr == ""
    assert matches(result.stdout.splitlines(), expected)


# -- bash, with git's completion ---------------------------------------------------------------

SESSION = r'''
if [ -n "$BASH_COMPLETION" ]; then
    source "$BASH_COMPLETION" && __load_completion git   # git-gto then loads on demand
else
    source "$GIT_COMPLETION" && source "$GTO_COMPLETION"
fi
COMP_LINE=$1 COMP_POINT=${#1}
shift
COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMPREPLY=()
func=$(complete -p "$1" | sed -E 's/.* -F ([^ ]+) .*/\1/')
"$func" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
if [ ${#COMPREPLY[@]} -gt 0 ]; then printf '%s\n' "${COMPREPLY[@]}"; fi
'''


def bash_words(line: str) -> List[str]:
    """COMP_WORDS as bash makes them: '=', ':' and '@' (in COMP_WORDBREAKS) are words too."""
    words = re.findall(r"[=:@]|[^\s=:@]+", line)
    return words + [""] if not line or line[-1].isspace() else words


def bash_complete(line: str, cwd: Path, env: Optional[Dict[str, str]] = None) -> List[str]:
    """COMPREPLY for `line` with the cursor at its end (each reply ends with a space)."""
    env = {**os.environ, "GIT_COMPLETION": str(GIT_COMPLETION), "GTO_COMPLETION": str(SCRIPTS / "git-gto"),
           "BASH_COMPLETION": "", **(env or {})}
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", SESSION, "bash", line, *bash_words(line)],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[:-1]


@needs_git_completion
@pytest.mark.parametrize("line, expected", [
    ("git gto reg", ["register "]),
    ("git gto show ", ["churn ", "segment "]),
    ("git gto show s", ["segment "]),
    ("git gto show churn@", ["@latest ", "@greatest ", "@v1.1.0 ", "@v1.0.0 "]),
    ("git gto show churn@v1.1", ["@v1.1.0 "]),
    ("git gto show churn#", ["churn#dev ", "churn#staging ", "churn#prod "]),
    ("git gto deprecate churn ", ["v1.1.0 ", "v1.0.0 "]),
    ("git gto assign churn --stage ", ["dev ", "staging ", "prod "]),
    ("git gto assign churn --stage=p", ["prod "]),
    ("git gto promote churn --version v1.0", ["v1.0.0 "]),
    ("git gto register --bump-m", ["--bump-major ", "--bump-minor "]),
    ("git gto check-ref churn#", ["churn#prod#1 "]),
    ("git gto completion ", ["bash ", "fish ", "zsh "]),
    ("git-gto show c", ["churn "]),
])
def test_bash_completes(registry, line, expected):
    assert bash_complete(line, registry.path) == expected


@needs_git_completion
def test_bash_lists_the_commands(registry):
    replies = bash_complete("git gto ", registry.path)
    assert {"show ", "register ", "assign ", "completion "} <= set(replies)
    assert "parse-tag " not in replies


@needs_git_completion
def test_bash_completes_in_the_repository_of_git_c(registry, tmp_path):
    assert bash_complete(f"git -C {registry.path} gto show ", tmp_path) == ["churn ", "segment "]


@needs_git_completion
def test_bash_completes_nothing_outside_a_repository(tmp_path):
    assert bash_complete("git gto show ", tmp_path) == []


@needs_git_completion
@needs(not BASH_COMPLETION.is_file(), reason="bash-completion is not installed")
def test_bash_completion_loads_the_script_on_demand(registry, tmp_path):
    """As after `pip install --user`: the script is found by its name, not sourced."""
    completions = tmp_path / "data" / "bash-completion" / "completions"
    completions.mkdir(parents=True)
    shutil.copy(SCRIPTS / "git-gto", completions / "git-gto")
    env = {"BASH_COMPLETION": str(BASH_COMPLETION), "XDG_DATA_HOME": str(tmp_path / "data")}
    assert bash_complete("git gto reg", registry.path, env) == ["register "]
    assert bash_complete("git gto show ", registry.path, env) == ["churn ", "segment "]


def type_in_bash(rcfile: Path, cwd: Path, keys: str, expected: str, timeout: float = 30) -> str:
    """Type `keys` at the prompt of an interactive bash on a terminal; what it shows after them,
    once `expected` is there (or after `timeout` seconds)."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.environ["TERM"] = "dumb"
        os.execvp("bash", ["bash", "--noprofile", "--rcfile", str(rcfile), "-i"])
    shown, start = b"", None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if start is None and b"READY> " in shown:
                os.write(fd, keys.encode())
                start = len(shown)
            elif start is not None and expected.encode() in shown[start:]:
                break
            if select.select([fd], [], [], 0.1)[0]:
                shown += os.read(fd, 4096)
    except OSError:  # bash is gone
        pass
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
    return shown[start or 0:].decode(errors="replace")


@needs_git_completion
@pytest.mark.parametrize("keys, expected", [
    ("git gto reg\t", "git gto register "),
    ("git gto show churn@l\t", "git gto show churn@latest "),
    ("git gto show -r .gi\t", "git gto show -r .git/"),  # directories
])
def test_tab_in_an_interactive_bash(registry, tmp_path, keys, expected):
    rcfile = tmp_path / "bashrc"
    rcfile.write_text(f"PS1='READY> '\nsource {GIT_COMPLETION}\nsource {SCRIPTS / 'git-gto'}\n"
                      "bind 'set bell-style none'\n")
    assert expected in type_in_bash(rcfile, registry.path, keys, expected)


# -- start-up cost ---------------------------------------------------------------------------

PROBE = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"dulwich", "yaml", "tabulate"})
sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
"""


def heavy_imports(cwd: Path, *args: str, env: Optional[Dict[str, str]] = None) -> List[str]:
    """Which of dulwich, yaml and tabulate `git-gto ARGS` imported."""
    result = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "bin" / "git-gto"), *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    line = result.stderr.splitlines()[-1]
    assert line.startswith("HEAVY="), result.stderr
    return [m for m in line[len("HEAVY="):].split(",") if m]


def completion_request(words: str, cword: int) -> Dict[str, str]:
    return {"_GIT_GTO_COMPLETE": "gto_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}


@pytest.mark.parametrize("args, env", [
    (["--version"], None),
    (["-h"], None),
    (["register", "-h"], None),
    ([], completion_request("git-gto reg", 1)),
    ([], completion_request("git-gto show --", 2)),
], ids=["version", "h", "register-h", "command", "option"])
def test_light_paths_import_no_heavy_module(registry, args, env):
    assert heavy_imports(registry.path, *args, env=env) == []


def test_the_probe_sees_heavy_imports(registry):
    assert heavy_imports(registry.path, "show") != []


@needs_git_completion
@needs(not BASH_COMPLETION.is_file(), reason="bash-completion is not installed")
@pytest.mark.parametrize("keys, expected", [
    ("git gto show churn@v1.1\t", "git gto show churn@v1.1.0 "),
    ("git gto assign churn --stage=pr\t", "git gto assign churn --stage=prod "),
])
def test_tab_in_an_interactive_bash_with_bash_completion(registry, tmp_path, keys, expected):
    """With the bash-completion framework loaded, bash splits words differently: the
    artifact name before '@' must survive TAB there too."""
    rcfile = tmp_path / "bashrc"
    rcfile.write_text(f"PS1='READY> '\nsource {BASH_COMPLETION}\nsource {GIT_COMPLETION}\n"
                      f"source {SCRIPTS / 'git-gto'}\nbind 'set bell-style none'\n")
    assert expected in type_in_bash(rcfile, registry.path, keys, expected)


# -- the protocol, fish's `git gto`, aliases, no framework -------------------------------------

def test_the_protocol_is_ours_not_clicks(registry):
    """One `TYPE<TAB>VALUE<TAB>HELP` line a candidate, whatever click prints for a shell."""
    env = {**os.environ, **completion_request("git-gto show ", 2)}
    result = subprocess.run(["git-gto"], cwd=registry.path, env=env, stdout=subprocess.PIPE, text=True)
    assert result.stdout.splitlines() == ["plain\tchurn\t", "plain\tsegment\t"]
    env = {**os.environ, **completion_request("git-gto reg", 1)}
    result = subprocess.run(["git-gto"], cwd=registry.path, env=env, stdout=subprocess.PIPE, text=True)
    assert re.fullmatch(r"plain\tregister\tRegister .+", result.stdout.strip())


def test_an_option_value_completes_for_the_artifact_on_the_line(registry):
    registry.tag("other@v9.0.0", "r")
    assert bash_complete("git gto assign churn --version ", registry.path) == ["v1.1.0 ", "v1.0.0 "]
    assert bash_complete("git gto assign -r . churn --stage prod --version v1", registry.path) == [
        "v1.1.0 ", "v1.0.0 "]


@needs(not shutil.which("fish"), reason="fish is not installed")
@pytest.mark.parametrize("line, expected", [
    ("git gto sh", [r"show\tShow .+"]),
    ("git gto show ", ["churn", "segment"]),
    ("git gto assign churn --stage p", ["prod"]),
])
def test_fish_completes_git_gto_as_installed(registry, tmp_path, line, expected):
    """fish 3.6 with the files where the package installs them (its data dir on XDG_DATA_DIRS)."""
    data = tmp_path / "share" / "fish"
    (data / "vendor_completions.d").mkdir(parents=True)
    (data / "vendor_conf.d").mkdir()
    shutil.copy(SCRIPTS / "git-gto.fish", data / "vendor_completions.d")
    shutil.copy(SCRIPTS / "conf.d" / "git-gto.fish", data / "vendor_conf.d")
    env = {**os.environ, "XDG_DATA_DIRS": f"{tmp_path / 'share'}:/usr/share", "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(["fish", "-c", f"complete -C '{line}'"], cwd=registry.path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.stderr == ""
    assert matches(result.stdout.splitlines(), expected), result.stdout


@needs_git_completion
def test_bash_completes_a_git_alias_of_a_gto_command(registry):
    registry.git("config", "alias.prod", "gto assign --stage prod")
    assert bash_complete("git prod ", registry.path) == ["churn ", "segment "]
    assert bash_complete("git prod churn --version v1.0", registry.path) == ["v1.0.0 "]


def test_bash_without_a_framework_keeps_the_name_before_the_at(registry):
    """Only this script, no git completion, no bash-completion: `git-gto show churn@<TAB>`
    completes versions (bash would otherwise offer host names)."""
    env = {**os.environ, "GIT_COMPLETION": "/dev/null", "GTO_COMPLETION": str(SCRIPTS / "git-gto"),
           "BASH_COMPLETION": ""}
    line = "git-gto show churn@v1"
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", SESSION, "bash", line, *bash_words(line)],
                            cwd=registry.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert result.stdout.split("\n")[:-1] == ["@v1.1.0 ", "@v1.0.0 "], result.stderr


def test_extensions_on_path_complete_as_commands(registry, tmp_path):
    extension = tmp_path / "git-gto-lineage"
    extension.write_text("#!/bin/sh\n")
    extension.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", **completion_request("git-gto li", 1)}
    result = subprocess.run(["git-gto"], cwd=registry.path, env=env, stdout=subprocess.PIPE, text=True)
    assert result.stdout.splitlines() == ["plain\tlineage\tgit-gto-lineage"]
