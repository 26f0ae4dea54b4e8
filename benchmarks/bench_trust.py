#!/usr/bin/env python3
"""Whole-process timings of the trust features next to git's own, on a mkrepo registry of
~50k tags (packed refs) with a policy committed on main (branches, a protected `prod`
signed with an SSH key made here), all in the same run:

  the pre-receive hook `git gto hook install` writes, run as git runs it on a push of one
  signed #prod assignment                                  vs  git for-each-ref   (target <= 1x)
  git gto check-ref TAG --verify (SSH-signed tag)         vs  git verify-tag TAG (target <= 2x)

Warm: one untimed run of each first (the registry cache is filled); each measure and its
baseline run alternately, so that a slow moment of the machine slows both. Prints medians,
ratios and PASS/FAIL, and the floor of check-ref --verify: python3 starting (the one on
PATH: put git-gto's first) and running only the two processes it runs, nothing imported. Python 3.9+ standard library, git, ssh-keygen and `git-gto` on PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

from bench_api import MK_ARGS, MKREPO, timed_pair

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


def verify_floor(repo: str, tag: str) -> list:
    """A Python program that only starts and runs the two processes check-ref --verify of an
    SSH-signed tag runs (`git config`, for git's settings as git reads them, and ssh-keygen
    -Y verify; git verify-tag runs ssh-keygen twice): what it costs before importing or
    reading anything."""
    raw = subprocess.run(["git", "-C", repo, "cat-file", "tag", tag], check=True, stdout=subprocess.PIPE).stdout
    cut = raw.index(b"-----BEGIN SSH SIGNATURE-----")
    files = {name: os.path.join(repo, ".git", f"bench-floor-{name}") for name in ("data", "sig")}
    for name, content in (("data", raw[:cut]), ("sig", raw[cut:])):
        with open(files[name], "wb") as f:
            f.write(content)
    signers = os.path.join(repo, ".gto-signers")
    runs = [["git", "config", "-z", "--list"],
            ["ssh-keygen", "-Y", "verify", "-n", "git", "-f", signers, "-I", "bench@example.com", "-s", files["sig"]]]
    program = ("import os\n"
               f"for argv in {runs!r}:\n"
               f"    io = [(os.POSIX_SPAWN_OPEN, 0, {files['data']!r}, os.O_RDONLY, 0),"
               " (os.POSIX_SPAWN_OPEN, 1, '/dev/null', os.O_WRONLY, 0)]\n"
               "    os.waitpid(os.posix_spawnp(argv[0], argv, os.environ, file_actions=io), 0)\n")
    return ["python3", "-c", program]


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
    installed = subprocess.run(["git", "gto", "hook", "install", "-r", repo], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    if installed.returncode != 0:
        sys.exit(f"fatal: git gto hook install failed: {installed.stderr.strip()}")
    hook = ["env", f"GIT_DIR={git_dir}", os.path.join(git_dir, "hooks", "pre-receive")]  # as git runs it
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
        ours, base = timed_pair((argv, cwd, stdin), (base_argv, repo, None), args.runs)
        ratio = ours / base
        verdict = "PASS" if ratio <= target else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{label:<36} {ours:7.3f}   {base_label:<20} {base:7.3f}   {ratio:5.2f}x  <= {target:g}x {verdict}")
    floor, base = timed_pair((verify_floor(repo, verified), repo, None), (["git", "verify-tag", verified], repo, None),
                             args.runs)
    ratio = floor / base
    print(f"{'floor: python3 + its 2 processes':<36} {floor:7.3f}   {'git verify-tag TAG':<20} {'':>7}   {ratio:5.2f}x")
    git(repo, "update-ref", "-d", f"refs/tags/{verified}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
