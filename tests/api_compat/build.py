"""A deterministic registry for the API scripts, built with plain git: fixed identity, fixed
dates (one minute apart), TZ=UTC. `python build.py DIR` (also imported by the test)."""

from __future__ import annotations

import os
import subprocess
import sys

EPOCH = 1_700_000_000
ENV = {
    "GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "TZ": "UTC", "GTO_EMOJIS": "false",
}
STEPS = [
    ("commit", "models/churn.pkl", "churn 1"),
    ("tag", "churn@v1.0.0", "Registering artifact churn version v1.0.0"),
    ("tag", "churn#dev#1", "Assigning stage dev to artifact churn version v1.0.0"),
    ("tag", "segment@v0.1.0", "Registering artifact segment version v0.1.0"),
    ("commit", "artifacts.yaml", "churn:\n  type: model\n  path: models/churn.pkl\n  labels: [tabular]\n"),
    ("tag", "churn@v1.1.0", "Registering artifact churn version v1.1.0"),
    ("tag", "churn#prod#2", "Assigning stage prod to artifact churn version v1.1.0"),
    ("tag", "churn#dev#3", "Assigning stage dev to artifact churn version v1.1.0"),
    ("tag", "segment#staging#1", "Assigning stage staging to artifact segment version v0.1.0"),
    ("commit", "models/churn.pkl", "churn 2"),
    ("tag", "churn@v2.0.0-rc.1", "Registering artifact churn version v2.0.0-rc.1"),
    ("tag", "churn#staging#4", "Assigning stage staging to artifact churn version v2.0.0-rc.1"),
    ("tag", "churn#dev!#5", "Unassigning stage dev from artifact churn version v1.1.0"),
    ("tag", "old@v0.0.1", "Registering artifact old version v0.0.1"),
    ("tag", "old@deprecated", "Deprecating artifact old"),
    ("commit", "README", "more work\n"),
]


def build(path: str) -> None:
    clock = EPOCH

    def git(*args: str) -> None:
        date = f"@{clock} +0000"
        env = {**os.environ, **ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        subprocess.run(["git", *args], cwd=path, env=env, check=True, stdout=subprocess.DEVNULL)

    os.makedirs(path, exist_ok=True)
    git("init", "-q", "-b", "main")
    for kind, name, text in STEPS:
        clock += 60
        if kind == "commit":
            os.makedirs(os.path.dirname(os.path.join(path, name)) or path, exist_ok=True)
            with open(os.path.join(path, name), "w") as f:
                f.write(text)
            git("add", name)
            git("commit", "-q", "-m", f"update {name}")
        else:
            git("tag", "-a", name, "-m", text)


if __name__ == "__main__":
    build(sys.argv[1])
