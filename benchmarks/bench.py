#!/usr/bin/env python3
"""Time `git gto` as whole processes on synthetic registries, next to git and Python baselines.

Builds registries with ../shared/bench/mkrepo.py (about 1k, 10k and 50k tags, packed and
loose refs), then, in each one, times every command over --runs runs and reports the median,
its ratio to the baselines measured in the same run, and the peak RSS:

  baselines   python3 -c pass
              git for-each-ref refs/tags --format='%(refname) %(objectname) %(*objectname)
                  %(taggerdate:unix) %(contents:subject)'
              the same for-each-ref, read and split into fields by a python3 process
              ("for-each-ref + parse")
  repository  show, show --json, show NAME, show NAME#prod --ref, history NAME,
              check-ref TAG, register, assign -- each "cold" (the tool's cache
              $GIT_DIR/gto removed before every run) and "warm" (one untimed run first)
  start-up    --version, -h, a completion request

Python 3.11 standard library only.  Examples:

  python3 benchmarks/bench.py                                  # full run: 1k,10k,50k x packed,loose
  python3 benchmarks/bench.py --workdir /tmp/gto-bench         # keep and reuse the built repos
  python3 benchmarks/bench.py --gto /work/ref110/bin/gto --sizes 1k --runs 1
  python3 benchmarks/bench.py --markdown > results.md
"""
import argparse
import hashlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MKREPO = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "mkrepo.py"))

# size label -> (artifacts, versions per artifact); mkrepo makes ~2.4 tags per version
SIZES = {
    "1k": (42, 10),     # 1003 tags
    "10k": (210, 20),   # 9979 tags
    "50k": (1045, 20),  # 50058 tags
}
STAGES = 4
REFS_KINDS = ("packed", "loose")

FOR_EACH_REF = ["git", "for-each-ref", "refs/tags",
                "--format=%(refname) %(objectname) %(*objectname) %(taggerdate:unix) "
                "%(contents:subject)"]
PARSE_SCRIPT = (
    "import subprocess\n"
    f"out = subprocess.run({FOR_EACH_REF!r}, stdout=subprocess.PIPE, check=True).stdout\n"
    "rows = [line.split(' ', 4) for line in out.decode().splitlines()]\n"
    "by_name = {r[0][10:]: r for r in rows}\n"
)

NEW_ARTIFACT = "bench-new"
NEW_VERSION = "v999.0.0"
NEW_STAGE = "benchstage"

# key -> (label, kind); kind: repo (cold/warm), startup
COMMANDS = {
    "show": ("show", "repo"),
    "show-json": ("show --json", "repo"),
    "show-name": ("show NAME", "repo"),
    "show-stage-ref": ("show NAME#prod --ref", "repo"),
    "history": ("history NAME", "repo"),
    "check-ref": ("check-ref TAG", "repo"),
    "register": ("register", "repo"),
    "assign": ("assign", "repo"),
    "version": ("--version", "startup"),
    "help": ("-h", "startup"),
    "complete": ("completion", "startup"),
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- repositories

def file_sha(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def sample(manifest):
    """What the benchmark needs from mkrepo's manifest (which is large: drop the rest)."""
    name = manifest["sample_artifact"]
    return {"tags": manifest["tags"], "sample_artifact": name,
            "sample_tag": manifest["sample_tag"],
            "sample_version": manifest["expected_show"][name]["version"]}


def build_repo(args, workdir, size, refs):
    """Build (or reuse) one registry; return (repo dir, sample names)."""
    artifacts, versions = SIZES[size]
    key = f"{size}-{refs}"
    repo = os.path.join(workdir, key)
    manifest_path = os.path.join(workdir, key + ".manifest.json")
    meta_path = os.path.join(workdir, key + ".meta.json")
    mk_args = ["--artifacts", str(artifacts), "--versions", str(versions),
               "--stages", str(STAGES)] + (["--packed"] if refs == "packed" else [])
    meta = {"mkrepo_args": mk_args, "mkrepo_sha1": file_sha(args.mkrepo)}
    try:
        with open(meta_path) as f:
            old = json.load(f)
        with open(manifest_path) as f:
            manifest = json.load(f)
        if old.get("mkrepo_args") == mk_args and old.get("mkrepo_sha1") == meta["mkrepo_sha1"] \
                and os.path.isdir(os.path.join(repo, ".git")):
            log(f"{key}: reusing {repo} ({manifest['tags']} tags)")
            return repo, sample(manifest)
    except (OSError, ValueError, KeyError):
        pass
    shutil.rmtree(repo, ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, args.mkrepo, repo, *mk_args,
                           "--manifest", manifest_path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"fatal: mkrepo failed for {key}:\n{proc.stderr}")
    last = proc.stdout.strip().splitlines()[-1]
    with open(manifest_path) as f:
        manifest = json.load(f)
    if last != f"tags: {manifest['tags']}":
        sys.exit(f"fatal: unexpected mkrepo output for {key}: {last!r}")
    # keep loose refs loose: no auto gc/pack-refs behind our back
    subprocess.run(["git", "-C", repo, "config", "gc.auto", "0"], check=True)
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    log(f"{key}: built {repo}: {last} in {time.perf_counter() - t0:.1f}s")
    return repo, sample(manifest)


def created_tags(repo, manifest):
    """Tags our register/assign runs create (patterns for `git tag -l`)."""
    return [f"{NEW_ARTIFACT}@*", f"{manifest['sample_artifact']}#{NEW_STAGE}*"]


def delete_created_tags(repo, manifest):
    out = subprocess.run(["git", "-C", repo, "tag", "-l", *created_tags(repo, manifest)],
                         stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    if out:
        subprocess.run(["git", "-C", repo, "tag", "-d", *out], check=True,
                       stdout=subprocess.DEVNULL)


# ---------------------------------------------------------------------------- measuring

class Result:
    def __init__(self, size, tags, refs, label, kind, mode):
        self.size, self.tags, self.refs = size, tags, refs
        self.label, self.kind, self.mode = label, kind, mode
        self.times = []
        self.rss_kib = []
        self.errors = []   # (exit code, first stderr line)

    @property
    def median(self):
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def peak_mib(self):
        return max(self.rss_kib) / 1024 if self.rss_kib else float("nan")


TIME_BIN = "/usr/bin/time"   # GNU time: -f %M -o FILE
USE_TIME = False             # set in main() when TIME_BIN works


def time_bin_works():
    try:
        with tempfile.NamedTemporaryFile("r") as f:
            p = subprocess.run([TIME_BIN, "-f", "%M", "-o", f.name, "true"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return p.returncode == 0 and f.read().strip().isdigit()
    except OSError:
        return False


def run_once(argv, cwd, env, capture=False):
    """Run argv as one process; return (seconds, max RSS KiB, exit code, stdout, stderr).

    Peak RSS: a child forked (or vforked) by this script starts with this script's own peak
    RSS in its ru_maxrss (Linux carries it over exec), so the command runs under GNU time,
    a small C process whose wait4 sees only the command (and its reaped children, e.g. `git`
    -> `git-gto`).  Without GNU time, os.wait4 on the child: an upper bound.
    """
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out, \
            tempfile.NamedTemporaryFile("r") as rss:
        use_time = USE_TIME
        full = [TIME_BIN, "-f", "%M", "-o", rss.name, *argv] if use_time else argv
        t0 = time.perf_counter()
        p = subprocess.Popen(full, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=out if capture else subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        maxrss = ru.ru_maxrss
        if use_time:
            # "Command exited with non-zero status N" may come first
            last = (rss.read().strip().splitlines() or [""])[-1]
            maxrss = int(last) if last.isdigit() else 0
        err.seek(0)
        out.seek(0)
        return dt, maxrss, p.returncode, out.read(), err.read()


def measure(res, argv, cwd, env, runs, warmup, before=None, after=None):
    """Time argv `runs` times (after one untimed run when warmup) into res."""
    for i in range(runs + (1 if warmup else 0)):
        if before:
            before()
        dt, rss, rc, _, err = run_once(argv, cwd, env)
        if after:
            after()
        if rc != 0:
            line = err.decode(errors="replace").strip().splitlines()
            res.errors.append((rc, line[-1] if line else ""))
        if warmup and i == 0:
            continue
        res.times.append(dt)
        res.rss_kib.append(rss)


def bench_repo(args, size, refs, repo, manifest, results):
    tags = manifest["tags"]
    gitdir = os.path.join(repo, ".git")
    cache = os.path.join(gitdir, args.cache_path)
    env = dict(os.environ)
    name = manifest["sample_artifact"]
    tag = manifest["sample_tag"]
    latest = manifest["sample_version"]
    gto = args.gto_argv
    argvs = {
        "show": gto + ["show"],
        "show-json": gto + ["show", "--json"],
        "show-name": gto + ["show", name],
        "show-stage-ref": gto + ["show", f"{name}#prod", "--ref"],
        "history": gto + ["history", name],
        "check-ref": gto + ["check-ref", tag],
        "register": gto + ["register", NEW_ARTIFACT, "--version", NEW_VERSION],
        "assign": gto + ["assign", name, "--version", latest, "--stage", NEW_STAGE],
        "version": gto + ["--version"],
        "help": gto + ["-h"],
        "complete": args.complete_argv,
    }
    delete_created_tags(repo, manifest)

    def new(label, kind, mode):
        r = Result(size, tags, refs, label, kind, mode)
        results.append(r)
        return r

    py = [args.python, "-c", "pass"]
    base = {"py": new("python3 -c pass", "baseline", "-"),
            "fer": new("git for-each-ref", "baseline", "-"),
            "parse": new("for-each-ref + parse", "baseline", "-")}

    def baselines():
        measure(base["py"], py, repo, env, args.runs, warmup=True)
        measure(base["fer"], FOR_EACH_REF, repo, env, args.runs, warmup=True)
        measure(base["parse"], [args.python, "-c", PARSE_SCRIPT], repo, env, args.runs,
                warmup=True)

    def rm_cache():
        shutil.rmtree(cache, ignore_errors=True)

    def cleanup():
        delete_created_tags(repo, manifest)

    baselines()
    for key in args.commands:
        label, kind = COMMANDS[key]
        after = cleanup if key in ("register", "assign") else None
        if kind == "startup":
            r = new(label, kind, "-")
            env_c = dict(env, **args.complete_env) if key == "complete" else env
            if key == "complete":
                _, _, rc, out, _ = run_once(argvs[key], repo, env_c, capture=True)
                if rc != 0 or not out.strip():
                    r.errors.append((rc, "completion request printed nothing; "
                                         "see --complete-cmd/--complete-env"))
            measure(r, argvs[key], repo, env_c, args.runs, warmup=True)
            log(f"  {size} {refs:6} {label:22} {'-':4} {r.median:8.3f}s")
            continue
        for mode in args.modes:
            r = new(label, kind, mode)
            if mode == "cold":
                measure(r, argvs[key], repo, env, args.runs, warmup=False,
                        before=rm_cache, after=after)
            else:
                measure(r, argvs[key], repo, env, args.runs, warmup=True, after=after)
            log(f"  {size} {refs:6} {label:22} {mode:4} {r.median:8.3f}s")
    # baselines again at the end, pooled with the first ones, against drift
    baselines()
    log(f"  {size} {refs:6} baselines: python3 -c pass {base['py'].median:.3f}s, "
        f"for-each-ref {base['fer'].median:.3f}s, + parse {base['parse'].median:.3f}s")


# ---------------------------------------------------------------------------- reporting

def ratios(results):
    """Attach .x_fer / .x_parse / .x_py to each result, from its repo's baselines."""
    base = {}
    for r in results:
        if r.kind == "baseline":
            base[(r.size, r.refs, r.label)] = r.median
    for r in results:
        k = (r.size, r.refs)
        fer = base.get(k + ("git for-each-ref",))
        parse = base.get(k + ("for-each-ref + parse",))
        py = base.get(k + ("python3 -c pass",))
        r.x_fer = r.median / fer if fer and r.kind in ("repo", "baseline") else None
        r.x_parse = r.median / parse if parse and r.kind in ("repo", "baseline") else None
        r.x_py = r.median / py if py and r.kind in ("startup", "baseline") else None


def fmt_x(x):
    return "" if x is None else f"{x:.2f}"


def table_rows(results):
    head = ["size", "tags", "refs", "command", "mode", "median s", "x fer", "x fer+parse",
            "x py", "peak MiB", "note"]
    rows = []
    for r in results:
        note = ""
        if r.errors:
            rc, msg = r.errors[0]
            note = f"ERROR rc={rc} x{len(r.errors)}: {msg}"[:100]
        rows.append([r.size, str(r.tags), r.refs, r.label, r.mode, f"{r.median:.3f}",
                     fmt_x(r.x_fer), fmt_x(r.x_parse), fmt_x(r.x_py), f"{r.peak_mib:.1f}", note])
    return head, rows


def print_table(head, rows, markdown):
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---:" if h in ("tags", "median s", "x fer", "x fer+parse", "x py",
                                             "peak MiB") else "---" for h in head) + "|")
        for row in rows:
            print("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        return
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    right = {"tags", "median s", "x fer", "x fer+parse", "x py", "peak MiB"}

    def line(cells):
        return "  ".join(c.rjust(w) if h in right else c.ljust(w)
                         for c, w, h in zip(cells, widths, head)).rstrip()
    print(line(head))
    print(line(["-" * w for w in widths]))
    prev = None
    for row in rows:
        if prev is not None and row[:3] != prev:
            print()
        prev = row[:3]
        print(line(row))


def targets(results, markdown):
    """PASS/FAIL for the issue's targets, at 50k tags (or the largest size measured)."""
    sizes = [s for s in SIZES if any(r.size == s for r in results)]
    if not sizes:
        return
    at = "50k" if "50k" in sizes else sizes[-1]
    caveat = "" if at == "50k" else f" [measured at {at} only: indicative]"
    lines = []

    def find(label, mode, refs=None):
        return [r for r in results if r.size == at and r.label == label and r.mode == mode
                and (refs is None or r.refs == refs)]

    def verdict(ok, errors):
        if errors:
            return "FAIL (errors)"
        return "PASS" if ok else "FAIL"

    def check(desc, rs, attr, limit):
        rs = [r for r in rs if getattr(r, attr) is not None]
        if not rs:
            lines.append(f"{'n/a':13} {desc}: not measured")
            return
        worst = max(rs, key=lambda r: getattr(r, attr))
        val = getattr(worst, attr)
        where = f"{worst.size} {worst.refs}, " if len(rs) > 1 else ""
        lines.append(f"{verdict(val <= limit, any(r.errors for r in rs)):13} {desc}: "
                     f"{val:.2f}x (limit {limit}x; worst: {where}{worst.median:.3f}s){caveat}")

    check(f"show, {at} packed, cold <= 2x for-each-ref + parse",
          find("show", "cold", "packed"), "x_parse", 2)
    check(f"show, {at} packed, warm <= 1x for-each-ref",
          find("show", "warm", "packed"), "x_fer", 1)
    for label in ("show NAME", "check-ref TAG", "register"):
        check(f"{label}, {at}, warm <= 1x for-each-ref", find(label, "warm"), "x_fer", 1)
    # start-up does not depend on the repository: judge the median over all of them
    for label in ("--version", "-h", "completion"):
        rs = [r for r in results if r.label == label and r.x_py is not None]
        if not rs:
            lines.append(f"{'n/a':13} {label} <= 5x python3 -c pass: not measured")
            continue
        val = statistics.median(r.x_py for r in rs)
        worst = max(rs, key=lambda r: r.x_py)
        lines.append(f"{verdict(val <= 5, any(r.errors for r in rs)):13} {label} <= 5x "
                     f"python3 -c pass: {val:.2f}x (median over {len(rs)} repos; worst "
                     f"{worst.x_py:.2f}x in {worst.size} {worst.refs})")
    mem = [r for r in results if r.size == at and r.kind != "baseline" and r.rss_kib]
    if mem:
        worst = max(mem, key=lambda r: r.peak_mib)
        lines.append(f"{verdict(worst.peak_mib <= 100, False):13} peak RSS at {at} <= 100 MiB: "
                     f"{worst.peak_mib:.1f} MiB ({worst.refs}, {worst.label}"
                     f"{'' if worst.mode == '-' else ' ' + worst.mode})"
                     f"{caveat}")
    print()
    print("## Targets" if markdown else "targets")
    if markdown:
        print()
    for ln in lines:
        print(("- " if markdown else "  ") + ln)


# ---------------------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--gto", default="git gto",
                    help="command under test, split with shlex (default: %(default)r)")
    ap.add_argument("--mkrepo", default=DEFAULT_MKREPO, help="default: %(default)s")
    ap.add_argument("--workdir", help="where to build and cache the repositories (kept; "
                                      "reused by later runs). Default: a temporary directory")
    ap.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    ap.add_argument("--sizes", default=",".join(SIZES),
                    help=f"comma-separated, from {', '.join(SIZES)} (default: %(default)s)")
    ap.add_argument("--refs", default=",".join(REFS_KINDS),
                    help="comma-separated: packed, loose (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure (default: 5)")
    ap.add_argument("--modes", default="cold,warm",
                    help="for repository commands: cold, warm (default: %(default)s)")
    ap.add_argument("--commands", default=",".join(COMMANDS),
                    help="comma-separated subset of: " + ", ".join(COMMANDS))
    ap.add_argument("--cache-path", default="gto",
                    help="the tool's cache, relative to the git dir; removed before each "
                         "cold run (default: %(default)s)")
    ap.add_argument("--complete-cmd",
                    help="program for the completion request (default: git-gto for "
                         "'git gto', else the --gto command)")
    ap.add_argument("--complete-env",
                    help="environment for the completion request, shell words VAR=VALUE "
                         "(default: git-gto's own protocol: "
                         "_PROG_COMPLETE=gto_complete COMP_WORDS='prog sh' COMP_CWORD=1, "
                         "PROG from the program's file name)")
    ap.add_argument("--python", default=shutil.which("python3") or sys.executable,
                    help="interpreter for the python3 -c pass baseline (default: %(default)s)")
    ap.add_argument("--markdown", action="store_true", help="print the results as Markdown")
    args = ap.parse_args(argv)

    def split_list(value, allowed, what):
        items = [x.strip() for x in value.split(",") if x.strip()]
        bad = [x for x in items if x not in allowed]
        if bad or not items:
            ap.error(f"--{what}: unknown {', '.join(bad) or 'empty'}; choose from "
                     f"{', '.join(allowed)}")
        return items
    args.sizes = split_list(args.sizes, list(SIZES), "sizes")
    args.refs = split_list(args.refs, list(REFS_KINDS), "refs")
    args.modes = split_list(args.modes, ["cold", "warm"], "modes")
    args.commands = split_list(args.commands, list(COMMANDS), "commands")
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    args.gto_argv = shlex.split(args.gto)
    if not args.gto_argv:
        ap.error("--gto is empty")
    if args.complete_cmd:
        args.complete_argv = shlex.split(args.complete_cmd)
    elif args.gto_argv == ["git", "gto"]:
        args.complete_argv = ["git-gto"]
    else:
        args.complete_argv = list(args.gto_argv)
    prog = os.path.basename(args.complete_argv[-1])
    if args.complete_env is None:
        var = "_" + prog.upper().replace("-", "_").replace(".", "_") + "_COMPLETE"
        args.complete_env = f"{var}=gto_complete 'COMP_WORDS={prog} sh' COMP_CWORD=1"
    env = {}
    for word in shlex.split(args.complete_env):
        k, sep, v = word.partition("=")
        if not sep:
            ap.error(f"--complete-env: expected VAR=VALUE, got {word!r}")
        env[k] = v
    args.complete_env = env
    args.mkrepo = os.path.abspath(args.mkrepo)
    if not os.path.isfile(args.mkrepo):
        ap.error(f"mkrepo.py not found at {args.mkrepo} (use --mkrepo)")
    return args


def main(argv=None):
    global USE_TIME
    args = parse_args(argv)
    USE_TIME = time_bin_works()
    probe = subprocess.run(args.gto_argv + ["--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    if probe.returncode != 0:
        sys.exit(f"fatal: {args.gto!r} --version failed (exit {probe.returncode}):\n"
                 f"{probe.stdout.strip()}")
    tmp = None
    if args.workdir:
        workdir = os.path.abspath(args.workdir)
        os.makedirs(workdir, exist_ok=True)
    else:
        workdir = tmp = tempfile.mkdtemp(prefix="gto-bench-")
    git_version = subprocess.run(["git", "--version"], stdout=subprocess.PIPE,
                                 text=True).stdout.strip()
    comp_env = " ".join(f"{k}={shlex.quote(v)}" for k, v in args.complete_env.items())
    header = [f"command under test: {args.gto} ({probe.stdout.strip().splitlines()[-1]})",
              f"completion: {comp_env} {shlex.join(args.complete_argv)}",
              f"{git_version}; python3 -c pass: {args.python}; {os.cpu_count()} CPUs; "
              f"runs: {args.runs} (median); workdir: {workdir}",
              "peak RSS: " + (f"{TIME_BIN} -f %M" if USE_TIME else
                              "os.wait4 (no GNU time: an upper bound, includes this script's "
                              "own peak RSS)")]
    results = []
    t0 = time.perf_counter()
    try:
        for size in args.sizes:
            for refs in args.refs:
                repo, manifest = build_repo(args, workdir, size, refs)
                bench_repo(args, size, refs, repo, manifest, results)
    except KeyboardInterrupt:
        log("interrupted: reporting what was measured")
    finally:
        if tmp and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp:
            log(f"kept {tmp}")
    ratios(results)
    if args.markdown:
        for h in header:
            print(f"- {h}")
        print()
    else:
        for h in header:
            print(h)
        print()
    print_table(*table_rows(results), args.markdown)
    targets(results, args.markdown)
    log(f"total {time.perf_counter() - t0:.0f}s")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
