#!/usr/bin/env python3
"""Time `git gto ... -r URL` over smart HTTP on 127.0.0.1 (lighttpd + git http-backend, as
in tests/servers.py) next to git baselines measured in the same run:

  cold show -r URL, ~50k tags, history with 100 MB of blobs   vs  git clone --bare URL
  cold show -r URL, ~50k tags, no big blobs                   vs  git clone --bare URL
  warm show -r URL, ~50k tags            vs  git ls-remote --tags URL + warm local show
  warm check-ref TAG -r URL              vs  git ls-remote URL refs/tags/TAG + warm local check-ref
  gto 1.10.1 show --repo URL, ~1k tags   (listed, for the README; --gto PATH)

Cold: the mirror (the clone) removed before each run. Registries are built with
../shared/bench/mkrepo.py. Medians of --runs runs.

  PATH="$PWD/.venv/bin:$PATH" python3 benchmarks/bench_remote.py --workdir /tmp/gto-remote-bench
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
MKREPO = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "mkrepo.py"))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(argv, cwd, env):
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"fatal: {' '.join(argv)} failed: {p.stderr}")
    return time.perf_counter() - t0


def median(fn, runs, before=None):
    times = []
    for _ in range(runs):
        if before:
            before()
        times.append(fn())
    return statistics.median(times)


def build(workdir, name, artifacts, versions, blobs_mb=0):
    """A bare registry `name.git` (mkrepo, packed refs), with `blobs_mb` of random blobs in
    its history when asked; returns (path, a sample tag, its artifact)."""
    bare = os.path.join(workdir, name + ".git")
    manifest = os.path.join(workdir, name + ".json")
    if os.path.isdir(bare) and os.path.exists(manifest):
        with open(manifest) as f:
            m = json.load(f)
        return bare, m["sample_tag"], m["sample_artifact"]
    work = os.path.join(workdir, name)
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run([sys.executable, MKREPO, work, "--artifacts", str(artifacts), "--versions", str(versions),
                    "--stages", "4", "--with-yaml", "--packed", "--manifest", manifest], check=True,
                   stdout=subprocess.DEVNULL)
    for i in range(blobs_mb // 10):
        with open(os.path.join(work, "model.bin"), "wb") as f:
            f.write(os.urandom(10 * 1024 * 1024))
        subprocess.run(["git", "add", "model.bin"], cwd=work, check=True)
        subprocess.run(["git", "commit", "-q", "-m", f"model {i}"], cwd=work, check=True)
    subprocess.run(["git", "clone", "-q", "--bare", work, bare], check=True)
    shutil.rmtree(work)
    with open(manifest) as f:
        m = json.load(f)
    return bare, m["sample_tag"], m["sample_artifact"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default=None, help="keep the built registries here")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--gto", default="/tmp/gto110/bin/gto", help="gto 1.10.1's executable")
    args = ap.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="gto-remote-bench-")
    os.makedirs(workdir, exist_ok=True)
    from servers import Servers

    log("building registries...")
    small, tag, artifact = build(workdir, "tags50k", 1045, 20)
    big, _, _ = build(workdir, "tags50k-blobs", 1045, 20, blobs_mb=100)
    tiny, _, _ = build(workdir, "tags1k", 42, 10)
    root = tempfile.mkdtemp(prefix="servers-", dir=workdir)
    servers = Servers(__import__("pathlib").Path(root))
    servers._lighttpd()
    scratch = os.path.join(workdir, "scratch")
    env = {**os.environ, "XDG_CACHE_HOME": os.path.join(scratch, "cache"), "GIT_TERMINAL_PROMPT": "0"}
    results = []
    try:
        urls = {}
        for name, path in (("small", small), ("big", big), ("tiny", tiny)):
            copy = os.path.join(workdir, f"served-{name}.git")
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(path, copy)
            urls[name] = servers.serve(__import__("pathlib").Path(copy), f"{name}.git")["http"]

        def fresh():
            shutil.rmtree(scratch, ignore_errors=True)
            os.makedirs(scratch)

        for label, url in (("cold show -r URL, 50k tags, 100 MB of blobs", urls["big"]),
                           ("cold show -r URL, 50k tags, no big blobs", urls["small"])):
            ours = median(lambda: run(["git", "gto", "show", "-r", url], scratch, env), args.runs, fresh)
            base = median(lambda: run(["git", "clone", "-q", "--bare", url, os.path.join(scratch, "c.git")],
                                      scratch, env), args.runs, fresh)
            results.append((label, ours, "git clone --bare", base))
            log(f"{label}: {ours:.2f}s vs {base:.2f}s")
        fresh()
        url = urls["small"]
        local = os.path.join(scratch, "local.git")
        run(["git", "clone", "-q", "--bare", url, local], scratch, env)
        for argv in (["show"], ["check-ref", tag]):
            run(["git", "gto", *argv], local, env)
            run(["git", "gto", *argv, "-r", url], scratch, env)
        ours = median(lambda: run(["git", "gto", "show", "-r", url], scratch, env), args.runs)
        base = median(lambda: run(["git", "ls-remote", "--tags", url], scratch, env)
                      + run(["git", "gto", "show"], local, env), args.runs)
        results.append(("warm show -r URL, 50k tags", ours, "ls-remote --tags + warm local show", base))
        ours = median(lambda: run(["git", "gto", "check-ref", tag, "-r", url], scratch, env), args.runs)
        base = median(lambda: run(["git", "ls-remote", url, f"refs/tags/{tag}"], scratch, env)
                      + run(["git", "gto", "check-ref", tag], local, env), args.runs)
        results.append(("warm check-ref TAG -r URL, 50k tags", ours, "ls-remote URL TAG + warm local check-ref",
                        base))
        if os.path.exists(args.gto):
            theirs = median(lambda: run([args.gto, "show", "--repo", urls["tiny"]], scratch, env), args.runs)
            ours = median(lambda: run(["git", "gto", "show", "-r", urls["tiny"]], scratch, env), args.runs, fresh)
            results.append(("gto 1.10.1 show --repo URL, 1k tags", theirs, "cold git gto show -r URL, 1k tags",
                            ours))
    finally:
        servers.stop()
    print("| measure | git-gto | baseline | baseline s | ratio |")
    print("|---|---|---|---|---|")
    for label, ours, base_label, base in results:
        print(f"| {label} | {ours:.2f} s | {base_label} | {base:.2f} s | {ours / base:.2f}x |")


if __name__ == "__main__":
    main()
