#!/usr/bin/env python3
"""Record what the reference gto does in every scenario of tests/gto_recorded/.

Not run by CI: the recorded results are committed, and tests/test_gto_recorded.py replays
the scenarios with `git gto` and compares. Re-record after adding or changing a scenario.

The references live in throwaway venvs OUTSIDE the repository (the project never depends
on gto):

    python3 -m venv /tmp/gto110 && /tmp/gto110/bin/pip install gto==1.10.1
    python3 -m venv /tmp/gto028 && /tmp/gto028/bin/pip install gto==0.2.8 'pydantic<2' 'typer<0.8' 'click<8.2'

Then, from the checkout:

    python3 tests/record_gto.py                     # every scenario, each with its reference
    python3 tests/record_gto.py -k show_ -k history # only scenarios whose file name contains these
    python3 tests/record_gto.py --gto110 PATH/bin/gto --gto028 PATH/bin/gto
    python3 tests/record_gto.py --check             # run twice, fail if anything is not deterministic

A scenario with "reference": "0.2" is recorded with gto 0.2.8 (annotate, remove, describe,
show -a/-A, which gto 1.10.1 removed); every other one with gto 1.10.1. Each gto step gets
"exit", "stdout", "stderr_empty" and (when its tags changed) "tags"; the step definitions
and any "differs" marks are kept as they are. gto's stderr is printed with -v, never stored.

gto 1.10.1 writes tags through dulwich, which stamps the wall clock: the recorder puts a
sitecustomize.py on the reference's PYTHONPATH that freezes time.time() at the step's
instant (RECORD_GTO_FIXED_EPOCH), so tag dates equal GIT_COMMITTER_DATE as with git.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gto_scenarios as gs  # noqa: E402

CLOCK_SHIM = '''\
import os
_fixed = os.environ.get("RECORD_GTO_FIXED_EPOCH")
if _fixed:
    import time
    _now = int(_fixed)
    time.time = lambda: float(_now)
    time.time_ns = lambda: _now * 1_000_000_000
'''


def record(path: Path, tools: dict, shim: str, verbose: bool) -> tuple:
    scenario = gs.load(path)
    reference = scenario.get("reference", "1.10")
    tool = tools[reference]
    steps = [gs.definition(s) for s in scenario["steps"]]
    observed = gs.run_scenario({**scenario, "steps": steps}, [tool], os.environ["PATH"], shim)
    notes = []
    for i, (step, obs) in enumerate(zip(steps, observed)):
        stderr = obs.pop("stderr", "")
        if verbose and stderr.strip():
            notes.append(f"  step {i} {step.get('gto')}: stderr: {stderr.strip()[:300]}")
        if "Traceback" in stderr or "Unexpected error" in stderr:
            notes.append(f"  step {i} {step.get('gto')}: the reference crashed: {stderr.strip()[-200:]}")
        step.update(obs)
    return path, {**scenario, "steps": steps}, observed, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gto110", default="/tmp/gto110/bin/gto", help="gto 1.10.1 executable")
    parser.add_argument("--gto028", default="/tmp/gto028/bin/gto", help="gto 0.2.8 executable")
    parser.add_argument("-k", action="append", default=[], help="file-name substring (repeatable)")
    parser.add_argument("-j", type=int, default=2, help="scenarios in parallel")
    parser.add_argument("--check", action="store_true", help="record twice and compare, write nothing")
    parser.add_argument("-v", action="store_true", help="show the reference's stderr")
    args = parser.parse_args()
    tools = {"1.10": args.gto110, "0.2": args.gto028}
    for ref, tool in tools.items():
        if not os.access(tool, os.X_OK):
            parser.error(f"gto {ref} not found at {tool} (see the top of this file)")
    paths = [p for p in gs.scenario_paths() if not args.k or any(k in p.name for k in args.k)]
    with tempfile.TemporaryDirectory(prefix="record-gto-shim-") as shim:
        Path(shim, "sitecustomize.py").write_text(CLOCK_SHIM)
        with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
            results = list(pool.map(lambda p: record(p, tools, shim, args.v), paths))
            if args.check:
                again = list(pool.map(lambda p: record(p, tools, shim, False), paths))
    status = 0
    for i, (path, scenario, _, notes) in enumerate(results):
        if args.check:
            if again[i][1] != scenario:
                print(f"NOT DETERMINISTIC {path.name}")
                status = 1
            continue
        gs.dump(path, scenario)
        n = sum(1 for s in scenario["steps"] if "gto" in s)
        print(f"RECORDED {path.stem} ({n} gto steps, gto {scenario.get('reference', '1.10')})")
        for note in notes:
            print(note)
    print(f"{len(results)} scenarios" + (" checked" if args.check else " recorded"))
    return status


if __name__ == "__main__":
    sys.exit(main())
