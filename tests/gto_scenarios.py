"""Run the recorded gto scenarios of tests/gto_recorded/ (shared by record_gto.py and
test_gto_recorded.py; standard library only).

A scenario file is a JSON object:

    {"description": "...", "reference": "1.10" | "0.2", "repo": "init" | "empty" | "none",
     "steps": [STEP, ...]}

run in a fresh temporary directory <TMP> (<TMP>/home is HOME, <TMP>/repo the working
directory). A STEP is one of:

    {"commit": "msg", "files": {"path": "content"}, "rm": ["path"]}  write, `git add -A`, commit
    {"write": {"path": "content"}}        write files in the work tree, no commit
    {"remove": ["path"]}                  delete work-tree files, no commit
    {"git": ["tag", "-a", ...]}           a git command that must succeed; with
                                          "observe": true its stdout is recorded too
    {"read": "artifacts.yaml"}            records the work-tree file's text ("stdout", null
                                          when missing); the test compares it as YAML data
    {"gto": ["show", "--json"], "cwd": "sub", "env": {"GTO_STAGES": "[...]", "X": null}}
                                          the tool under test, with the scenario's arguments
In arguments and "env" values, {tmp} stands for <TMP> and {epoch} for the step's instant;
git steps take "env" and "cwd" too.

What is recorded (by record_gto.py, from the reference) on each gto step:
    "exit": the exit code, "stdout": the exact stdout, "stderr_empty": true/false,
    "tags": the tags the step added ("+name ...") or removed ("-name") (only when any).
A git step with "observe": true records "stdout". A gto step may carry
"differs": "reason": a deliberate (README "Differences from gto") or an undocumented
difference; the test then asserts that the output does differ.

The clock is fixed: step k runs at BASE_EPOCH + 60 * (k + 1) seconds (GIT_AUTHOR_DATE and
GIT_COMMITTER_DATE, and, for the reference only, Python's time.time() through a small
sitecustomize written by the recorder, since gto 1.10.1 stamps tags with the wall clock).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
SCENARIO_DIR = HERE / "gto_recorded"
BASE_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z
STEP_SECONDS = 60
USER_NAME = "Recorded Tester"
USER_EMAIL = "recorded@example.com"
RECORDED_KEYS = ("exit", "stdout", "stderr_empty", "tags")
TAGS_FORMAT = (
    "%(refname:strip=2) %(objecttype) %(*objecttype) %(*objectname) %(objectname) "
    "| %(taggername) %(taggeremail) %(taggerdate:raw) | %(contents:subject)"
)

HOME_GITCONFIG = """\
[init]
\tdefaultBranch = main
[commit]
\tgpgSign = false
[tag]
\tgpgSign = false
[advice]
\tdetachedHead = false
[core]
\tautocrlf = false
"""


def scenario_paths() -> List[Path]:
    return sorted(SCENARIO_DIR.glob("*.json"))


def load(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def dump(path: Path, scenario: dict) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(scenario, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


def git_date(index: int) -> str:
    return f"{BASE_EPOCH + STEP_SECONDS * (index + 1)} +0000"


class Sandbox:
    """One scenario's temporary HOME and repository, and the environment for its steps."""

    def __init__(self, scenario: dict, tool: List[str], path_env: str, pythonpath: Optional[str]):
        self.tmp = Path(tempfile.mkdtemp(prefix="gto-recorded-"))
        self.home = self.tmp / "home"
        self.repo = self.tmp / "repo"
        self.home.mkdir()
        self.repo.mkdir()
        (self.home / ".gitconfig").write_text(HOME_GITCONFIG)
        self.tool = tool
        self.base_env = {
            "PATH": path_env,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CEILING_DIRECTORIES": str(self.tmp),
            "TZ": "UTC",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "COLUMNS": "200",
            "TERM": "dumb",
            "NO_COLOR": "1",
            "GTO_EMOJIS": "false",
            "PYTHONHASHSEED": "0",  # gto 0.2.8 orders some output by set iteration
        }
        if pythonpath:
            self.base_env["PYTHONPATH"] = pythonpath
        kind = scenario.get("repo", "init")
        if kind in ("init", "empty"):
            self._git(["init", "-q", "-b", "main"], 0)
            self._git(["config", "user.name", USER_NAME], 0)
            self._git(["config", "user.email", USER_EMAIL], 0)
        elif kind != "none":
            raise ValueError(f"unknown repo kind {kind!r}")
        if kind == "init":
            self._git(["commit", "-q", "--allow-empty", "-m", "initial"], 0)

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, index: int, extra: Optional[Dict[str, Optional[str]]] = None) -> Dict[str, str]:
        env = dict(self.base_env)
        date = git_date(index)
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        env["RECORD_GTO_FIXED_EPOCH"] = date.split()[0]
        for key, value in (extra or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = self.subst(value, index)
        return env

    def subst(self, text: str, index: int) -> str:
        return text.replace("{tmp}", str(self.tmp)).replace("{epoch}", git_date(index).split()[0])

    def _git(self, args: List[str], index: int, cwd: Optional[Path] = None, env=None) -> str:
        result = subprocess.run(
            ["git", *args], cwd=cwd or self.repo, env=self.env(index, env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"setup step `git {' '.join(args)}` failed: {result.stderr.strip()}")
        return result.stdout

    def tags(self) -> Dict[str, str]:
        if not (self.repo / ".git").exists():
            return {}
        out = self._git(["for-each-ref", f"--format={TAGS_FORMAT}", "refs/tags"], 0)
        return {line.split(" ", 1)[0]: line for line in out.splitlines()}

    def _write(self, files: Dict[str, str]) -> None:
        for name, content in files.items():
            target = self.repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)

    def run_step(self, step: dict, index: int) -> dict:
        """Run one step; return what is observed (the recorded keys), {} for plain setup."""
        if "commit" in step:
            self._write(step.get("files", {}))
            for name in step.get("rm", []):
                (self.repo / name).unlink()
            self._git(["add", "-A"], index)
            self._git(["commit", "-q", "--allow-empty", "-m", step["commit"]], index)
            return {}
        if "write" in step:
            self._write(step["write"])
            return {}
        if "remove" in step:
            for name in step["remove"]:
                (self.repo / name).unlink()
            return {}
        if "read" in step:
            target = self.repo / step["read"]
            return {"stdout": target.read_text() if target.exists() else None}
        if "git" in step:
            args = [self.subst(a, index) for a in step["git"]]
            out = self._git(args, index, cwd=self.repo / step.get("cwd", "."), env=step.get("env"))
            return {"stdout": out.replace(str(self.tmp), "<TMP>")} if step.get("observe") else {}
        if "gto" in step:
            before = self.tags()
            args = [self.subst(a, index) for a in step["gto"]]
            result = subprocess.run(
                [*self.tool, *args], cwd=self.repo / step.get("cwd", "."),
                env=self.env(index, step.get("env")),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
            )
            after = self.tags()
            changes = [f"+{after[n]}" for n in sorted(after) if before.get(n) != after[n]]
            changes += [f"-{n}" for n in sorted(before) if n not in after]
            observed = {
                "exit": result.returncode,
                "stdout": result.stdout.decode("utf-8", "replace").replace(str(self.tmp), "<TMP>"),
                "stderr_empty": not result.stderr.strip(),
                "stderr": result.stderr.decode("utf-8", "replace").replace(str(self.tmp), "<TMP>"),
            }
            if changes:
                observed["tags"] = changes
            return observed
        raise ValueError(f"unknown step {step!r}")


def run_scenario(scenario: dict, tool: List[str], path_env: str, pythonpath: Optional[str]) -> List[dict]:
    """Run every step; return one observation per step ({} for unobserved setup steps)."""
    box = Sandbox(scenario, tool, path_env, pythonpath)
    try:
        return [box.run_step(step, i) for i, step in enumerate(scenario["steps"])]
    finally:
        box.close()


def definition(step: dict) -> dict:
    """A step without its recorded results."""
    return {k: v for k, v in step.items() if k not in RECORDED_KEYS}
