#!/usr/bin/env python3
"""Time one TAB: a completion request of `git gto`, as whole processes, against Python baselines.

In one registry (default /tmp/gto-bench/50k-packed, built by bench.py), alternating runs of:

  baselines   python -c pass
              warm cache read: a python process reading $GIT_DIR/gto/tags.cache and
              verifying it (BLAKE2 digest, marshal load, format), standard library only
  requests    a command name   (COMP_WORDS='git-gto sh', COMP_CWORD=1)
              an artifact name (COMP_WORDS='git-gto show ', COMP_CWORD=2: every artifact)
              a version        (COMP_WORDS='git-gto show NAME@v', COMP_CWORD=2)
              a stage          (COMP_WORDS='git-gto show NAME#', COMP_CWORD=2: reads .gto)

for each `--gto` checkout given (its bin/git-gto run by the same interpreter, so a checkout
of the code before a change is timed in the same run). Reports medians, the ratio to
`python -c pass`, and the target of issue 14: a request <= 2x python -c pass plus the cost
of a warm cache read (the cache-read process minus one python -c pass).

  git archive main | tar -x -C /tmp/gto-before     # the code before a change, to time beside it
  python3 benchmarks/bench_complete.py --repo /tmp/gto-compl-50k --python .venv/bin/python --gto . --gto /tmp/gto-before

Bytecode is cached (PYTHONDONTWRITEBYTECODE is dropped, and each case runs once untimed
first), as for an installed package: the checkouts get __pycache__ folders.
"""
import argparse
import os
import statistics
import subprocess
import sys

from bench_api import wall_time

CACHE_READ = """
import hashlib, marshal, os, sys
git_dir = sys.argv[1]
with open(os.path.join(git_dir, "gto", "tags.cache"), "rb") as f:
    data = f.read()
payload = data[20:]
assert hashlib.blake2b(payload, digest_size=20).digest() == data[:20], "digest"
assert isinstance(marshal.loads(payload)[0], int), "format"
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", default="/tmp/gto-bench/50k-packed")
    ap.add_argument("--python", default=sys.executable, help="the interpreter of every process")
    ap.add_argument("--gto", action="append", help="a checkout whose bin/git-gto is timed (repeatable)")
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    args.python = os.path.abspath(args.python) if os.sep in args.python else args.python  # the runs happen in --repo
    checkouts = [os.path.abspath(c) for c in (args.gto or [os.path.join(os.path.dirname(__file__), "..")])]
    git_dir = os.path.join(args.repo, ".git")
    env = dict(os.environ)
    for var in ("GIT_DIR", "PYTHONDONTWRITEBYTECODE"):  # bytecode cached, as in an installed package
        env.pop(var, None)
    first = subprocess.run([args.python, os.path.join(checkouts[0], "bin", "git-gto"), "show", "--plain"],
                           cwd=args.repo, env=env, stdout=subprocess.PIPE, check=True).stdout.decode()
    name = first.splitlines()[1].split()[0]  # makes the warm cache too
    requests = {"command name": ("git-gto sh", "1"), "artifact name": ("git-gto show ", "2"),
                "version": (f"git-gto show {name}@v", "2"), "stage": (f"git-gto show {name}#", "2")}
    cases = {"python -c pass": ([args.python, "-c", "pass"], env),
             "warm cache read": ([args.python, "-c", CACHE_READ, git_dir], env)}
    for checkout in checkouts:
        for label, (words, cword) in requests.items():
            cases[f"{label} [{checkout}]"] = (
                [args.python, os.path.join(checkout, "bin", "git-gto")],
                {**env, "_GIT_GTO_COMPLETE": "gto_complete", "COMP_WORDS": words, "COMP_CWORD": cword})
    answers = {key: wall_time(argv, args.repo, env=case_env)[1] for key, (argv, case_env) in cases.items()}  # warm-up
    times = {key: [] for key in cases}
    for _ in range(args.runs):  # alternate, so that the load of a shared machine hits all alike
        for key, (argv, case_env) in cases.items():
            elapsed, out = wall_time(argv, args.repo, env=case_env)
            times[key].append(elapsed)
            if out != answers[key]:
                sys.exit(f"'{key}' answered differently from one run to the next")
    for label in requests:
        outs = {answers[f"{label} [{c}]"] for c in checkouts}
        if len(outs) != 1:
            sys.exit(f"the checkouts answer '{label}' differently")
    py = statistics.median(times["python -c pass"])
    read = statistics.median(times["warm cache read"])
    target = 2 * py + (read - py)
    print(f"{args.repo}; {args.runs} runs each, interleaved; {os.cpu_count()} CPUs; interpreter {args.python}")
    print(f"{'':58} {'median':>8} {'x py':>6} {'x target':>9}")
    for key, values in times.items():
        med = statistics.median(values)
        print(f"{key:58} {med * 1000:7.1f}ms {med / py:6.2f} {med / target:9.2f}")
    print(f"target: 2 x python -c pass + (warm cache read - python -c pass) = {target * 1000:.1f} ms")


if __name__ == "__main__":
    main()
