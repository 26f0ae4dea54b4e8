"""The differential acceptance scenarios of ../shared/acceptance: `git gto` must behave as
gto recorded, except where we differ on purpose (README, "Differences from gto")."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT.parent / "shared" / "acceptance" / "run.py"

# Scenarios whose recorded gto behaviour we deliberately do not copy.
BY_DESIGN = {
    "assign_skip_registration": "an unregistered commit is one version, not two",
    "push_without_origin": "--push without 'origin' fails before writing any tag",
}
SKIPPED_MARKERS = ["reference_bug", "not_in_reference", "reference_conflict", "reference_quirk"]


def test_acceptance_scenarios_pass_except_deliberate_differences():
    assert HARNESS.is_file(), f"the acceptance harness is expected at {HARNESS}"
    args = [sys.executable, str(HARNESS), "--impl", "git gto", "-j", "2"]
    for marker in SKIPPED_MARKERS:
        args += ["--skip-marker", marker]
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    passed = set(re.findall(r"^PASS (\S+)", result.stdout, re.MULTILINE))
    failed = set(re.findall(r"^FAIL (\S+)", result.stdout, re.MULTILINE))
    assert len(passed) >= 60, result.stdout[-3000:]
    unexpected = failed - set(BY_DESIGN)
    assert not unexpected, result.stdout
    assert failed == set(BY_DESIGN), f"a deliberate difference now matches gto: {set(BY_DESIGN) - failed}"
