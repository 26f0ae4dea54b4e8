#!/usr/bin/env python3
"""`git gto deprecate NAME --delete` of many tags in a large registry, against `git tag -d`
of the same tags, measured in the same run (issue 13, item 8: target <= 2x git tag -d).

Builds, with ../shared/bench/mkrepo.py, a registry of about 47,800 packed tags (950
artifacts x 20 versions, 4 stages) plus an artifact `big` with 245 tags, then times, each
from the same packed state (packed-refs put back between runs), medians of --runs:
  git tag -d TAGS                      the baseline
  git gto deprecate big --delete       the whole command (warm cache)
  GitRepo.delete_tags(TAGS)            the deletion alone, in-process

  PATH="$PWD/.venv/bin:$PATH" python3 benchmarks/bench_delete.py --workdir /tmp/gto-bench-delete
  ... --checkout /path/to/other/git-gto   # time another checkout's code the same way

With PYTHONDONTWRITEBYTECODE set, every run compiles git-gto's modules again (about 50 ms
here); an installed package has its bytecode, so run with it unset (`env -u ...`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from bench_api import wall_time

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MKREPO = ROOT.parent / "shared" / "bench" / "mkrepo.py"


def git(repo: Path, *args: str, **kw) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, stdout=subprocess.PIPE, text=True, **kw).stdout


def build(workdir: Path, big: int) -> Path:
    repo = workdir / "repo"
    if (repo / ".git" / "packed-refs.bench").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(MKREPO), str(repo), "--artifacts", "950", "--versions", "20",
                    "--stages", "4", "--packed"], check=True, stdout=subprocess.DEVNULL)
    env = {**os.environ, "GIT_COMMITTER_DATE": "@1700000000 +0000"}
    lines = []
    head = git(repo, "rev-parse", "HEAD").strip()
    for i in range(big):
        name = f"big@v0.{i // 100}.{i % 100}" if i % 2 == 0 else f"big#prod#{i + 1}"
        body = (f"object {head}\ntype commit\ntag {name}\ntagger Bench <b@example.com> {1700000000 + i} +0000\n\n"
                f"{name}\n")
        sha = subprocess.run(["git", "hash-object", "-t", "tag", "-w", "--stdin"], cwd=repo, input=body, text=True,
                             check=True, stdout=subprocess.PIPE, env=env).stdout.strip()
        lines.append(f"create refs/tags/{name} {sha}\n")
    git(repo, "update-ref", "--stdin", input="".join(lines))
    git(repo, "pack-refs", "--all")
    shutil.copy(repo / ".git" / "packed-refs", repo / ".git" / "packed-refs.bench")
    return repo


def reset(repo: Path) -> None:
    shutil.copy(repo / ".git" / "packed-refs.bench", repo / ".git" / "packed-refs")


def timed(repo: Path, argv, env=None) -> float:
    """Wall time of one run from the packed state."""
    reset(repo)
    return wall_time(argv, str(repo), env=env)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="/tmp/gto-bench-delete")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big", type=int, default=245)
    parser.add_argument("--checkout", default=str(ROOT), help="the git-gto checkout whose code is timed")
    args = parser.parse_args()
    repo = build(Path(args.workdir), args.big)
    tags = [line.split(" refs/tags/", 1)[1] for line in (repo / ".git" / "packed-refs.bench").read_text().splitlines()
            if " refs/tags/big" in line]
    total = sum(1 for line in (repo / ".git" / "packed-refs.bench").read_text().splitlines() if " refs/tags/" in line)
    checkout = Path(args.checkout)
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    gto = [sys.executable, str(checkout / "bin" / "git-gto"), "deprecate", "big", "--delete"]
    timed(repo, gto, env)  # warm the cache
    api = [sys.executable, "-c", "import sys; from git_gto.git.repo import GitRepo; "
           "r = GitRepo.discover('.'); r.delete_tags(sys.argv[1:]); r.close()", *tags]
    results = {"git tag -d": [], "git gto deprecate big --delete": [], "GitRepo.delete_tags": []}
    for _ in range(args.runs):
        results["git tag -d"].append(timed(repo, ["git", "tag", "-d", *tags]))
        results["git gto deprecate big --delete"].append(timed(repo, gto, env))
        results["GitRepo.delete_tags"].append(timed(repo, api, env))
    reset(repo)
    base = statistics.median(results["git tag -d"])
    print(f"{total} packed tags, deleting {len(tags)} (medians of {args.runs}; code of {checkout})")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:32} {median:8.3f} s  {median / base:5.2f}x git tag -d")
    python = statistics.median(timed(repo, [sys.executable, "-c", "pass"]) for _ in range(3))
    print(f"  {'python3 -c pass':32} {python:8.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
