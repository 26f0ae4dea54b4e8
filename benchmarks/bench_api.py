#!/usr/bin/env python3
"""Whole-process timings of `git gto at`, `at --contains` and the Python API next to git's
own answers, on a mkrepo registry of ~50k tags (packed refs), all in the same run:

  git gto at REV               vs  git tag --points-at REV     (target <= 1x)
  git gto at REV --contains    vs  git tag --contains REV      (target <= 1x)
  python -c 'api.show(repo)'   vs  git gto show --json         (target <= 1x)

Warm: one untimed run of each first (the registry cache is filled). Prints medians,
ratios and PASS/FAIL. Python 3.9+ standard library, git, and `git-gto` on PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
MKREPO = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "mkrepo.py"))
MK_ARGS = ["--artifacts", "1045", "--versions", "20", "--stages", "4", "--packed"]  # 50,058 tags


def build(workdir: str) -> str:
    repo = os.path.join(workdir, "50k-packed-api")
    stamp = os.path.join(workdir, "50k-packed-api.args")
    wanted = " ".join(MK_ARGS)
    if os.path.isdir(os.path.join(repo, ".git")) and os.path.exists(stamp) and open(stamp).read() == wanted:
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(workdir, exist_ok=True)
    subprocess.run([sys.executable, MKREPO, repo, *MK_ARGS], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["git", "-C", repo, "config", "gc.auto", "0"], check=True)
    with open(stamp, "w") as f:
        f.write(wanted)
    return repo


def wall_time(argv, cwd: str, stdin: Optional[bytes] = None, env: Optional[dict] = None) -> Tuple[float, bytes]:
    """(wall time, stdout) of one run of `argv` (fed `stdin`, in `env`); exits when it fails."""
    t0 = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, input=stdin, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        sys.exit(f"fatal: {' '.join(argv)} failed: {result.stderr.decode().strip()}")
    return elapsed, result.stdout


def timed_pair(first: tuple, second: tuple, runs: int) -> Tuple[float, float]:
    """Median wall times of two commands, each (argv, cwd, stdin), run alternately `runs`
    times after one untimed run each: a slow moment of the machine slows both alike."""
    times: Tuple[list, list] = ([], [])
    for i in range(runs + 1):
        for which, command in enumerate((first, second)):
            elapsed = wall_time(*command)[0]
            if i:
                times[which].append(elapsed)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", default="/tmp/gto-bench")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rev", default="HEAD~25", help="the commit asked about (default: %(default)s)")
    ap.add_argument("--python", default=sys.executable, help="the Python that has git_gto")
    args = ap.parse_args()
    if os.sep in args.python:  # the commands run in the repository: a relative path would miss
        args.python = os.path.abspath(args.python)
    repo = build(args.workdir)
    tags = len(subprocess.run(["git", "tag"], cwd=repo, stdout=subprocess.PIPE, check=True).stdout.splitlines())
    api_call = "import git_gto.api as api; api.show('.')"
    pairs = [
        ("at REV", ["git", "gto", "at", args.rev], "git tag --points-at REV", ["git", "tag", "--points-at", args.rev]),
        ("at REV --contains", ["git", "gto", "at", args.rev, "--contains"],
         "git tag --contains REV", ["git", "tag", "--contains", args.rev]),
        ("python -c api.show(repo)", [args.python, "-c", api_call],
         "git gto show --json", ["git", "gto", "show", "--json"]),
    ]
    print(f"{tags} tags, packed refs, REV={args.rev}, median of {args.runs} warm runs")
    print(f"{'measured':<28} {'s':>7}   {'baseline':<26} {'s':>7}   ratio  target")
    failed = False
    for name, argv, base_name, base_argv in pairs:
        ours, base = timed_pair((argv, repo, None), (base_argv, repo, None), args.runs)
        ratio = ours / base
        verdict = "PASS" if ratio <= 1.0 else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{name:<28} {ours:7.3f}   {base_name:<26} {base:7.3f}   {ratio:5.2f}x  <= 1x {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
