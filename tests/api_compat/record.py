"""Record what gto 1.10.1 returns for each script: `record.py /tmp/gto110/bin/python`.
Writes recorded.json next to this file (facts about gto's results; no gto code)."""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ("read_registry", "deploy", "release")
sys.path.insert(0, HERE)

from build import ENV, build  # noqa: E402


def run(python: str, script: str, source: str, paths: tuple = ()) -> object:
    """Run one script's source in a fresh copy of the registry (tags written at the wall
    clock, as gto writes them); its printed JSON. `paths` go on PYTHONPATH."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "repo")
        build(repo)
        path = os.path.join(tmp, f"{script}.py")
        with open(path, "w") as f:
            f.write(source)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GTO_"))}
        env.update(ENV, HOME=tmp, PYTHONPATH=os.pathsep.join([HERE, *paths]))
        result = subprocess.run([python, path, repo], cwd=repo, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{script} failed:\n{result.stderr}")
        return json.loads(result.stdout)


def source(script: str) -> str:
    with open(os.path.join(HERE, f"{script}.py")) as f:
        return f.read()


if __name__ == "__main__":
    recorded = {s: run(sys.argv[1], s, source(s)) for s in SCRIPTS}
    with open(os.path.join(HERE, "recorded.json"), "w") as f:
        json.dump(recorded, f, indent=1, sort_keys=True)
        f.write("\n")
