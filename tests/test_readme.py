"""The README's `console` examples, run in order against a fresh example registry, must
print what the README says (so the guide never drifts from the tool)."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PATH = "/tmp/gto-example"


def console_steps(text: str):
    """(command, expected output lines) for each `$ ` line of the console blocks."""
    steps = []
    for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line.rstrip())
    return steps


def test_readme_console_examples(tmp_path, monkeypatch):
    steps = console_steps((ROOT / "README.md").read_text())
    assert len(steps) >= 20
    example = str(tmp_path / "gto-example")
    monkeypatch.setenv("GTO_EMOJIS", "true")  # as on the terminal the README shows
    env = {**os.environ, "GIT_AUTHOR_DATE": "2022-09-10T12:00:00+0000",
           "GIT_COMMITTER_DATE": "2022-09-10T12:00:00+0000"}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env["PATH"]])
    cwd = str(tmp_path)
    for command, expected in steps:
        command = command.replace(EXAMPLE_PATH, example)
        if command.startswith("cd "):
            cwd = command[3:].strip()
            continue
        result = subprocess.run(["bash", "-c", command + " 2>&1"], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, text=True)
        actual = [line.rstrip().replace(example, EXAMPLE_PATH) for line in result.stdout.splitlines()]
        assert actual == expected, f"README example `{command}` printed:\n" + "\n".join(actual)
