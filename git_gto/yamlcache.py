"""YAML documents parsed once, `$GIT_DIR/gto/yaml.cache`: each document's data kept by the
digest of its text. Every command reads `.gto` (and the hook the policy's), and importing
PyYAML costs more than the rest of a small read. A key is the digest of the text with the
parser's version (this format and git-gto's). Only data is kept (what `yaml12` gives:
mappings, lists, text, numbers), a text that does not parse never is, and the file is
sealed and replaced as the registry cache is (ignored when it does not verify)."""

from __future__ import annotations

import marshal
import os
from typing import Any, Dict, Optional

YAML_CACHE = os.path.join("gto", "yaml.cache")
KEEP = 16  # documents kept (the newest): a few `.gto` versions and policy refs
FORMAT = 1  # with the package's version, part of each key: another parser's data never serves


class Unreadable(Exception):
    """Not YAML gto reads: `line` (1-based) where it is known."""

    def __init__(self, problem: str, line: Optional[int] = None):
        super().__init__(problem)
        self.problem = problem
        self.line = line


def load(text: bytes, git_dir: Optional[str]) -> Any:
    """The data of a YAML document, from the cache of the repository at `git_dir` when it
    has it (None, or GTO_NO_CACHE=1: always parsed)."""
    from git_gto.cache import enabled, read_sealed, write_sealed

    if git_dir is None or not enabled():
        return _parse(text)
    from git_gto.digests import blake2b

    from git_gto import __version__

    key = blake2b(f"{FORMAT} {__version__}\n".encode() + text, digest_size=20).digest()
    path = os.path.join(git_dir, YAML_CACHE)
    kept = read_sealed(path)
    kept = kept if isinstance(kept, dict) and all(isinstance(k, bytes) for k in kept) else {}
    if key in kept:
        return kept[key]
    data = _parse(text)
    try:
        payload = marshal.dumps({**dict(list(kept.items())[1 - KEEP:]), key: data})  # the newest kept
    except ValueError:  # not plain data after all: parsed every time
        return data
    write_sealed(path, payload)
    return data


def _parse(text: bytes) -> Any:
    from git_gto import yaml12

    try:
        return yaml12.load(text)
    except yaml12.YamlError as e:
        raise Unreadable(e.problem, e.line) from None
