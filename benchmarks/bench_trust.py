#!/usr/bin/env python3
"""Whole-process timings of the trust features next to git's own, on a mkrepo registry of
~50k tags (packed refs) with a policy committed on main (branches, a protected `prod`
signed with an SSH key made here), all in the same run:

  git gto hook pre-receive (one signed #prod assignment)  vs  git for-each-ref   (target <= 1x)
  git gto check-ref TAG --verify (SSH-signed tag)         vs  git verify-tag TAG (target <= 2x)

Warm: one untimed run of each first (the registry cache is filled). Prints medians,
ratios and PASS/FAIL, and the floor every `git gto` command pays before it reads anything:
`python3 -c 'import click'` (the python3 on PATH: put git-gto's first). Python 3.9+
standard library, git, ssh-keygen and `git-gto` on PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

from bench_api import MK_ARGS, MKREPO, timed

ZERO = "0" * 40
POLICY = "policy:\n  branches: [main]\n  protected_stages:\n    prod: [bench@example.com]\n"
IDENTITY = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def git(repo: str, *args: str, stdin: str = "") -> str:
    return subprocess.run(["git", "-C", repo, *args], check=True, input=stdin, text=True,
                          stdout=subprocess.PIPE, env={**os.environ, **IDENTITY}).stdout.strip()


def build(workdir: str) -> str:
    """The registry, with the policy and its allowed-signers file committed on main."""
    repo = os.path.join(workdir, "50k-packed-trust")
    stamp = repo + ".args"
    wanted = " ".join(MK_ARGS) + " trust-1"
    if os.path.isdir(os.path.join(repo, ".git")) and os.path.exists(stamp) and open(stamp).read() == wanted:
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(workdir, exist_ok=True)
    subprocess.run([sys.executable, MKREPO, repo, *MK_ARGS], check=True, stdout=subprocess.DEVNULL)
    git(repo, "config", "gc.auto", "0")
    key = os.path.join(repo, ".git", "bench-key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", key], check=True)
    with open(os.path.join(repo, ".gto"), "w") as f:
        f.write(POLICY)
    with open(os.path.join(repo, ".gto-signers"), "w") as f:
        f.write("bench@example.com " + open(key + ".pub").read())
    git(repo, "add", ".gto", ".gto-signers")
    git(repo, "commit", "-q", "-m", "policy")
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingKey", key)
    git(repo, "config", "gpg.ssh.allowedSignersFile", os.path.join(repo, ".gto-signers"))
    with open(stamp, "w") as f:
        f.write(wanted)
    return repo


def signed_assignment(repo: str, artifact: str) -> tuple:
    """(tag name, object id) of a new signed #prod assignment of the artifact's latest
    version: the object is written, its ref is not (the hook is asked about it)."""
    names = git(repo, "tag", "--list", f"{artifact}[@#]*").split()
    counter = 1 + max((int(m.group(1)) for n in names if (m := re.search(r"#(\d+)$", n))), default=0)
    versions = [n for n in names if re.fullmatch(rf"{re.escape(artifact)}@v[\d.]+", n)]
    name = f"{artifact}#prod#{counter}"
    git(repo, "tag", "-s", "-m", f"Assigning stage prod to artifact {artifact}", name, versions[-1] + "^{}")
    sha = git(repo, "rev-parse", name)
    git(repo, "update-ref", "-d", f"refs/tags/{name}")
    return name, sha


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", default="/tmp/gto-bench")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    repo = build(args.workdir)
    tags = len(git(repo, "tag").splitlines())
    name, sha = signed_assignment(repo, "model-0003")
    hook_input = f"{ZERO} {sha} refs/tags/{name}\n".encode()
    verified, _ = signed_assignment(repo, "model-0004")
    git(repo, "update-ref", f"refs/tags/{verified}", _)
    git_dir = os.path.join(repo, ".git")
    hook = ["env", f"GIT_DIR={git_dir}", "git", "gto", "hook", "pre-receive"]
    check = subprocess.run(hook, cwd=git_dir, input=hook_input, stderr=subprocess.PIPE)
    if check.returncode != 0:
        sys.exit(f"fatal: the hook refused the benchmark's push: {check.stderr.decode().strip()}")
    pairs = [
        (f"hook pre-receive ({name})", hook, hook_input, git_dir,
         "git for-each-ref", ["git", "for-each-ref"], 1.0),
        ("check-ref TAG --verify", ["git", "gto", "check-ref", verified, "--verify"], None, repo,
         "git verify-tag TAG", ["git", "verify-tag", verified], 2.0),
    ]
    print(f"{tags} tags, packed refs, policy on main, median of {args.runs} warm runs")
    print(f"{'measured':<36} {'s':>7}   {'baseline':<20} {'s':>7}   ratio  target")
    failed = False
    for label, argv, stdin, cwd, base_label, base_argv, target in pairs:
        ours, base = timed(argv, cwd, args.runs, stdin), timed(base_argv, repo, args.runs)
        ratio = ours / base
        verdict = "PASS" if ratio <= target else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{label:<36} {ours:7.3f}   {base_label:<20} {base:7.3f}   {ratio:5.2f}x  <= {target:g}x {verdict}")
    floor = timed(["python3", "-c", "import click"], repo, args.runs)
    print(f"{'floor: python3 -c import click':<36} {floor:7.3f}   {'(no target)':<20}")
    git(repo, "update-ref", "-d", f"refs/tags/{verified}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
