"""TAB without click (git_gto.completion_fast): the commands as data match the click commands,
the answers are click's path's, byte for byte, and a request imports neither click nor the
libraries behind the registry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from git_gto import completion_fast
from git_gto.completion_protocol import TREE_FILE, tree_module

ROOT = Path(__file__).resolve().parent.parent


def test_the_tree_is_the_click_commands():
    assert Path(TREE_FILE).read_text() == tree_module(), (
        "git_gto/completion_tree.py is out of date: run `python -m git_gto.completion_protocol`")


@pytest.fixture
def registry(repo):
    """Artifacts (one in a folder), versions, stages (.gto allows three), deprecations, a
    lightweight tag, branches, a loose and a packed tag."""
    repo.commit("add .gto", {".gto": "stages: [dev, staging, prod]\n"})
    repo.tag("churn@v1.0.0", "r")
    repo.tag("segment@v0.1.0", "r")
    repo.tag("segment#dev#1", "a")
    repo.tag("nested/model@v2.0.0-rc.1", "r")
    repo.tag("plain-tag")
    repo.git("pack-refs", "--all")
    repo.commit("retrain")
    repo.tag("churn@v1.1.0", "r")
    repo.tag("churn#prod#1", "a")
    repo.tag("segment@deprecated", "d")
    repo.git("branch", "feature/x")
    repo.git("branch", "release")
    return repo


def click_answer(monkeypatch, capsys, words: str, cword: str) -> str:
    """What cli.main prints for the request, through click (in this process)."""
    from git_gto.cli import run

    monkeypatch.setenv("_GIT_GTO_COMPLETE", "gto_complete")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", cword)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit:
        run([])
    assert exit.value.code == 0
    return capsys.readouterr().out


def fast_answer(words: str, cword: str) -> Optional[str]:
    return completion_fast.answer({**os.environ, "_GIT_GTO_COMPLETE": "gto_complete", "COMP_WORDS": words,
                                   "COMP_CWORD": cword})


def cases(*lines: str):
    """`words|` completes the last word; `words |` a new one."""
    return [(line, str(len(completion_fast.split_words(line)) - (0 if line.endswith(" ") else 1)))
            for line in lines]


ANSWERED = cases(
    "git-gto ", "git-gto s", "git-gto sh", "git-gto x", "gto re", "git-gto -", "git-gto --", "git-gto --v",
    "git-gto -v ", "git-gto -v sh", "git-gto --verbose -", "git-gto --tb -", "git-gto .", "git-gto --verbose=x",
    "git-gto show ", "git-gto show c", "git-gto show n", "git-gto show nested/", "git-gto show churn@",
    "git-gto show churn@v1.1", "git-gto show churn#", "git-gto show churn#p", "git-gto show segment@",
    "git-gto show nope@", "git-gto show -", "git-gto show --", "git-gto show --j", "git-gto show --json -",
    "git-gto show --json --", "git-gto show --sort ", "git-gto show --sort s", "git-gto show --sort=t",
    "git-gto show --sort=", "git-gto show -r ", "git-gto show --repo ", "git-gto show -r . ", "git-gto show -r . c",
    "git-gto show churn ", "git-gto show churn -", "git-gto show churn extra ", "git-gto show --av ",
    "git-gto show -h -", "git-gto show =",
    "git-gto history ", "git-gto history --event ", "git-gto history --event reg", "git-gto history --event x --event ",
    "git-gto history --event x -", "git-gto history --stage ", "git-gto history --stage p", "git-gto history --since ",
    "git-gto check-ref ", "git-gto check-ref churn", "git-gto check-ref churn#", "git-gto check-ref x",
    "git-gto at ", "git-gto at f", "git-gto at r", "git-gto at H", "git-gto at churn@", "git-gto at --contains ",
    "git-gto stages -", "git-gto stages ", "git-gto describe ", "git-gto describe churn --rev ",
    "git-gto describe --rev rel", "git-gto doctor -", "git-gto verify ", "git-gto verify churn@v1.0.0 ",
    "git-gto verify a b c", "git-gto verify --policy-ref ", "git-gto status ", "git-gto status origin -",
    "git-gto register ", "git-gto register new ", "git-gto register new f", "git-gto register new HEAD ",
    "git-gto register --version ", "git-gto register --bump-m", "git-gto register -s -", "git-gto register --no-sign -",
    "git-gto register --simple ", "git-gto register -m ", "git-gto register -m --", "git-gto register new --push --",
    "git-gto assign ", "git-gto assign churn ", "git-gto assign churn HEAD ", "git-gto assign churn --version ",
    "git-gto assign churn --version v1.0", "git-gto assign churn --version=v1.1", "git-gto assign --version ",
    "git-gto assign churn --stage ", "git-gto assign churn --stage p", "git-gto assign churn --stage=p",
    "git-gto assign -r . churn --stage prod --version v1", "git-gto assign -m x churn --version ",
    "git-gto assign -m --stage ", "git-gto assign churn -m --version ", "git-gto -v assign churn --version ",
    "git-gto promote churn --version ", "git-gto promote ",
    "git-gto deprecate ", "git-gto deprecate churn ", "git-gto deprecate churn v1.1.0 ", "git-gto deprecate churn v1 ",
    "git-gto deprecate segment ", "git-gto deprecate nested/model ", "git-gto deprecate churn --ref ",
    "git-gto deprecate churn v1.1.0 prod ", "git-gto deprecate -d -",
    "git-gto fetch ", "git-gto fetch -", "git-gto annotate ", "git-gto annotate churn --label x --label ",
    "git-gto annotate churn --label x -", "git-gto annotate -e -", "git-gto remove c", "git-gto remove -b ",
    "git-gto completion ", "git-gto completion b", "git-gto completion bash ", "git-gto parse-tag ",
    "git-gto parse-tag x --key ", "git-gto print-state -", "git-gto 'sh", "git-gto show \"c", "git-gto show 'churn@",
)
CLICKS = cases(  # left to click: its parser's corners, and what the scripts never send
    "git-gto -- ", "git-gto show -- ", "git-gto show --json=1 ", "git-gto show -aA ", "git-gto show -rx ",
    "git-gto show --nope ", "git-gto -x ", "git-gto - ", "git-gto hook ", "git-gto hook -", "git-gto nope ",
    "git-gto show --=x", "git-gto help ",
)


@pytest.mark.parametrize("line, cword", ANSWERED + CLICKS, ids=[line for line, _ in ANSWERED + CLICKS])
def test_the_answer_is_clicks(registry, monkeypatch, capsys, line, cword):
    monkeypatch.chdir(registry.path)
    fast = fast_answer(line, cword)
    if (line, cword) in ANSWERED:
        assert fast is not None, "answered by click's path"
        assert fast == click_answer(monkeypatch, capsys, line, cword)
    else:
        assert fast is None


def test_the_answer_outside_a_repository_is_clicks(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for line, cword in cases("git-gto show ", "git-gto at ", "git-gto assign x --stage ", "git-gto s"):
        assert fast_answer(line, cword) == click_answer(monkeypatch, capsys, line, cword)


def test_odd_requests_are_left_to_click(registry, monkeypatch):
    monkeypatch.chdir(registry.path)
    for env in ({"_GIT_GTO_COMPLETE": "gto_source"}, {"_GIT_GTO_COMPLETE": "bash_complete"},
                {"COMP_CWORD": "x"}, {"COMP_CWORD": "-1"}, {"COMP_CWORD": "0"}, {"COMP_CWORD": ""}):
        request = {"_GIT_GTO_COMPLETE": "gto_complete", "COMP_WORDS": "git-gto s", "COMP_CWORD": "1", **env}
        assert completion_fast.answer(request) is None, env


PROBE = """
import runpy, sys
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
except SystemExit:
    pass
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"click", "dulwich", "yaml", "semver", "tabulate"})
sys.stderr.write("LOADED=" + ",".join(loaded) + "\\n")
"""


def test_stages_after_name_hash_read_gto_once_through_the_yaml_cache(registry):
    """The first `NAME#<TAB>` parses .gto (and keeps it in $GIT_DIR/gto/yaml.cache); the
    next ones take it from there, without the YAML parser."""
    env = {**os.environ, "_GIT_GTO_COMPLETE": "gto_complete", "COMP_WORDS": "git-gto show churn#", "COMP_CWORD": "2"}
    loaded = []
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "bin" / "git-gto")], cwd=registry.path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert "churn#staging" in result.stdout, result.stderr
        loaded.append(result.stderr.splitlines()[-1])
    assert loaded == ["LOADED=yaml", "LOADED="]


@pytest.mark.parametrize("words, cword", [
    ("git-gto sh", "1"), ("git-gto show ", "2"), ("git-gto show churn@", "2"), ("git-gto at ", "2"),
    ("git-gto assign churn --version ", "4"), ("git-gto check-ref c", "2"),
])
def test_a_tab_imports_neither_click_nor_the_registry_libraries(registry, monkeypatch, words, cword):
    """(Stages offered after NAME@ or NAME# read .gto, which takes the YAML parser when the
    file says something: here there is none.)"""
    monkeypatch.chdir(registry.path)
    (registry.path / ".gto").unlink()
    env = {**os.environ, "_GIT_GTO_COMPLETE": "gto_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    result = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "bin" / "git-gto")], cwd=registry.path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.stderr.splitlines()[-1] == "LOADED=", result.stderr
    assert result.stdout == fast_answer(words, cword) and result.stdout.strip()
