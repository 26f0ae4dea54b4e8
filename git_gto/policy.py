"""The promotion policy of `.gto` (its `policy:` key) and its rules, pure: a stage order,
the branches versions and stages may come from, and protected stages whose events must
be signed by listed keys. The facts a rule needs (is the commit on those branches, who
signed the tag) are gathered by `trust`; here they are judged."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

from git_gto import registry as R
from git_gto.errors import ConfigError
from git_gto.tags import is_name

DEFAULT_SIGNERS = ".gto-signers"
KEYS = ("stage_order", "branches", "protected_stages", "allowed_signers")
# rule names, as refusals say them
STAGE_ORDER, BRANCHES, PROTECTED = "stage_order", "branches", "protected_stages"


class Policy(NamedTuple):
    """`stage_order`: a stage needs the ones before it; `branches`: patterns of the branches
    whose commits may get versions and stages; `protected_stages`: stage -> principals of
    the allowed-signers file who may sign its events; `allowed_signers`: that file."""

    stage_order: Tuple[str, ...] = ()
    branches: Tuple[str, ...] = ()
    protected_stages: Dict[str, Tuple[str, ...]] = {}  # never changed: a new Policy is made
    allowed_signers: str = DEFAULT_SIGNERS


class Violation(Exception):
    """An event the policy refuses; `rule` names the key of `.gto` that refuses it."""

    def __init__(self, rule: str, message: str):
        super().__init__(f"policy {rule}: {message}")
        self.rule = rule
        self.message = f"policy {rule}: {message}"


def parse(value: Any, where: str) -> Policy:
    """The `policy:` mapping of `.gto`; a ConfigError names the file and key."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping of {', '.join(KEYS)}")
    out: Dict[str, Any] = {}
    for key, item in value.items():
        at = f"{where[:-1]}.{key}'" if where.endswith("'") else f"{where}.{key}"
        key = str(key).lower()
        if key not in KEYS:
            raise ConfigError(f"{at}: unknown key (known: {', '.join(KEYS)})")
        if key == "stage_order":
            out[key] = tuple(_names(item, at))
        elif key == "branches":
            if not isinstance(item, list) or not all(isinstance(b, str) and b and not b.startswith("-")
                                                     for b in item):
                raise ConfigError(f"{at}: expected a list of branch names or patterns, got {item!r}")
            out[key] = tuple(b.removeprefix("refs/heads/") for b in item)
        elif key == "protected_stages":
            if not isinstance(item, dict):
                raise ConfigError(f"{at}: expected a mapping of stage -> list of signers, got {item!r}")
            stages = {}
            for stage, who in item.items():
                _names([stage], at)
                if not isinstance(who, list) or not who or not all(isinstance(w, str) and w.strip() for w in who):
                    raise ConfigError(f"{at[:-1]}.{stage}': expected a list of principals of the "
                                      f"allowed-signers file, got {who!r}")
                stages[str(stage)] = tuple(w.strip() for w in who)
            out[key] = stages
        else:
            path = posixpath.normpath(item) if isinstance(item, str) and item else ""
            if not path or path.startswith(("/", "..")) or "\0" in path:
                raise ConfigError(f"{at}: expected a path inside the repository, got {item!r}")
            out[key] = path
    return Policy(**out)


def _names(value: Any, where: str) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and is_name(v) for v in value):
        raise ConfigError(f"{where}: expected a list of stage names, got {value!r}")
    return value


# -- the allowed-signers file ------------------------------------------------------------------

class Signers(NamedTuple):
    """An allowed-signers file (git's gpg.ssh.allowedSignersFile format); a line whose key
    type is `openpgp` (or `x509`) names an OpenPGP key (an X.509 certificate) by its
    fingerprint instead."""

    fingerprints: Dict[Tuple[str, str], Tuple[str, ...]]  # (format, fingerprint upper case) -> principals
    ssh_text: bytes  # the SSH lines, for ssh-keygen

    def principals(self, fmt: str, key: str, ssh_principals: Sequence[str]) -> Set[str]:
        """Who holds the key that made a good signature."""
        if fmt == "ssh":
            return set(ssh_principals)
        return set(self.fingerprints.get((fmt, key.upper()), ()))


_FINGERPRINT = re.compile(r"[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}")


def parse_signers(text: bytes, where: str) -> Signers:
    """Read an allowed-signers file; a malformed OpenPGP line is an error naming its line."""
    fingerprints: Dict[Tuple[str, str], Tuple[str, ...]] = {}
    ssh: List[bytes] = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.decode("utf-8", "replace").split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) >= 2 and words[1] in ("openpgp", "x509"):
            if len(words) < 3 or not _FINGERPRINT.fullmatch(words[2]):
                raise ConfigError(f"Wrong allowed-signers file '{where}' (line {number}): expected "
                                  f"'PRINCIPALS {words[1]} FINGERPRINT'")
            fingerprints[words[1], words[2].upper()] = tuple(words[0].split(","))
        elif len(words) < 3:
            raise ConfigError(f"Wrong allowed-signers file '{where}' (line {number}): expected "
                              "'PRINCIPALS [OPTIONS] KEYTYPE KEY' (see ssh-keygen(1), ALLOWED SIGNERS)")
        else:
            ssh.append(line)
    return Signers(fingerprints, b"\n".join(ssh) + b"\n" if ssh else b"")


# -- the rules ----------------------------------------------------------------------------------

def needs_branches(policy: Policy, kind: str) -> bool:
    return bool(policy.branches) and kind in (R.REGISTRATION, R.ASSIGNMENT)


def on_branches(policy: Policy, branches: Sequence[str]) -> List[str]:
    """The branches (names) whose commits may get versions and stages."""
    return [b for b in branches if any(fnmatch.fnmatchcase(b, p) for p in policy.branches)]


def check_branches(policy: Policy, kind: str, commit: str, reachable: bool) -> None:
    if needs_branches(policy, kind) and not reachable:
        what = "registered" if kind == R.REGISTRATION else "assigned a stage"
        raise Violation(BRANCHES, f"commit {commit[:7]} is on none of the branches {list(policy.branches)}, "
                                  f"so it cannot be {what}")


def check_stage_order(policy: Policy, artifact: R.Artifact, commit: str, stage: str,
                      until: Optional[int] = None) -> None:
    """A stage of `stage_order` goes only to a version that holds or held every stage
    before it (assigned at or before `until`, when given)."""
    if stage not in policy.stage_order:
        return
    before = policy.stage_order[:policy.stage_order.index(stage)]
    held = set()
    for version in artifact.find_version(commit=commit, discovered=True):
        for name, vstage in version.stages.items():
            if any(until is None or e.time <= until for e in vstage.assignments):
                held.add(name)
    missing = [s for s in before if s not in held]
    if missing:
        raise Violation(STAGE_ORDER, f"'{stage}' goes only to a version that holds or held "
                                     f"{', '.join(repr(s) for s in missing)} first")


def protects(policy: Policy, kind: str, stage: Optional[str]) -> bool:
    return kind in (R.ASSIGNMENT, R.UNASSIGNMENT) and stage in policy.protected_stages


def check_signed(policy: Policy, stage: str, good: bool, reason: str, signer: str,
                 principals: Set[str]) -> None:
    """An event of a protected stage is signed, the signature verifies, and its key belongs
    to a principal the stage lists."""
    allowed = policy.protected_stages[stage]
    if not good:
        raise Violation(PROTECTED, f"events of stage '{stage}' must be signed by {', '.join(allowed)}: {reason}")
    if not principals & set(allowed):
        raise Violation(PROTECTED, f"stage '{stage}' may be signed only by {', '.join(allowed)}, "
                                   f"not by {signer}")


def refuse_uncheckable(policy: Policy, stage: str, key: str, reason: str) -> None:
    """An event of a protected stage signed by a key the verifier's keyring lacks: it may be
    an allowed signer's, it cannot be told here."""
    by = f"the signature by key {key}" if key else "the signature"
    raise Violation(PROTECTED, f"stage '{stage}' may be signed only by {', '.join(policy.protected_stages[stage])}: "
                               f"{by} cannot be checked here ({reason})")


def check_deletion(policy: Policy, kind: str, stage: Optional[str], tag: str) -> None:
    if protects(policy, kind, stage):
        raise Violation(PROTECTED, f"the tags of protected stage '{stage}' are never deleted ({tag})")
