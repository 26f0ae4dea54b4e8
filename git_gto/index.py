"""`artifacts.yaml`, the annotations index: its format, reading it at a commit or in the
work tree, and editing it there (annotate, remove)."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List, Mapping, Optional

from git_gto import tags as T
from git_gto.errors import ConfigError, GtoError, UsageError
from git_gto.files import INDEX_LIMIT, UnsafeFile, read_regular, write_regular

Annotation = Dict[str, Any]
Index = Dict[str, Annotation]
ANNOTATION_FIELDS = ("type", "path", "virtual", "labels", "description", "custom")


def default_annotation() -> Annotation:
    return {"type": None, "path": None, "virtual": True, "labels": [], "description": "", "custom": None}


def compact_annotation(annotation: Annotation) -> Annotation:
    """The annotation without fields at their defaults (what `describe` prints)."""
    defaults = default_annotation()
    return {k: v for k, v in annotation.items() if v != defaults[k]}


BAD_FORMAT = ("{where} doesn't conform to GTO format (a mapping of artifact names to type, path, "
              "virtual, labels, description, custom)")
# the values pydantic's lax bool (gto's `virtual: bool`) takes besides true and false
_BOOL_WORDS = {"0": False, "off": False, "f": False, "false": False, "n": False, "no": False,
               "1": True, "on": True, "t": True, "true": True, "y": True, "yes": True}


def parse_index(text: bytes | str, where: str) -> Index:
    """Parse `artifacts.yaml` as gto does (YAML 1.2, gto's coercions and refusals): name ->
    annotation with every field (defaults filled in)."""
    from git_gto import yaml12

    bad = ConfigError(BAD_FORMAT.format(where=where))
    try:
        data = yaml12.load(text)
    except yaml12.YamlError as e:
        at = f" (line {e.line})" if e.line else ""
        raise ConfigError(f"{where} doesn't conform to GTO format: not valid YAML{at}: {e.problem}") from None
    if not isinstance(data, dict):
        raise bad
    out: Index = {}
    for name, entry in data.items():
        if not isinstance(name, str) or not T.is_name(name):
            raise ConfigError(f"{where}: " + T.INVALID_NAME.format(name))
        if not isinstance(entry, dict):
            raise bad
        annotation = default_annotation()
        for key in ANNOTATION_FIELDS:
            if key in entry:
                annotation[key] = entry[key]
        for key in ("type", "path"):
            if annotation[key] is not None and not isinstance(annotation[key], str):
                raise bad
        annotation["virtual"] = _as_bool(annotation["virtual"])
        if annotation["virtual"] is None:
            raise bad
        labels = annotation["labels"]
        if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
            raise bad
        if not isinstance(annotation["description"], str):
            raise bad
        out[name] = annotation
    return out


def _as_bool(value: Any) -> Optional[bool]:
    """gto's (pydantic's) bool: true/false, 0/1 (also 0.0/1.0), and the words of
    `_BOOL_WORDS` in any case; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _BOOL_WORDS.get(value.lower())
    return None


class PackedIndex(Mapping[str, Annotation]):
    """A parsed index as the cache keeps it: each annotation marshalled on its own, so a
    command unmarshals only the ones it uses (a 100,000-entry file costs its names)."""

    def __init__(self, blob: bytes):
        import marshal

        self._entries: Dict[str, bytes] = marshal.loads(blob)

    @staticmethod
    def pack(index: Index) -> bytes:
        import marshal

        return marshal.dumps({name: marshal.dumps(a) for name, a in index.items()})

    def __getitem__(self, name: str) -> Annotation:
        import marshal

        return marshal.loads(self._entries[name])  # a copy of its own each time

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def _worktree(worktree: Optional[str]) -> str:
    if worktree is None:
        raise GtoError("annotations need a work tree: this repository is bare")
    return worktree


def read_worktree_index(worktree: Optional[str], index_file: str) -> Index:
    """The work tree's file (a regular file, reached through no symbolic link), {} if absent."""
    try:
        text = read_regular(index_file, INDEX_LIMIT, root=_worktree(worktree))
    except UnsafeFile as e:
        raise ConfigError(f"cannot read '{index_file}': {e.reason}") from None
    except OSError as e:
        raise ConfigError(f"cannot read '{index_file}': {e.strerror}") from None
    return {} if text is None else parse_index(text, index_file)


def write_worktree_index(worktree: Optional[str], index_file: str, index: Index) -> None:
    """Write the file with defaults left out, keys sorted, atomically (never through a
    symbolic link)."""
    from git_gto import yaml12

    data = {name: compact_annotation(a) for name, a in index.items()}
    text = yaml12.dump(data)
    try:
        write_regular(_worktree(worktree), index_file, text.encode("utf-8"))
    except UnsafeFile as e:
        raise ConfigError(f"cannot write '{index_file}': {e.reason}") from None
    except OSError as e:
        raise GtoError(f"cannot write '{index_file}': {e.strerror}") from None


def _overlaps(a: str, b: str) -> bool:
    """Equal paths, or one inside the other (trailing slashes ignored)."""
    from pathlib import PurePosixPath

    pa, pb = PurePosixPath(os.path.normpath(a)), PurePosixPath(os.path.normpath(b))
    return pa == pb or pa in pb.parents or pb in pa.parents


def annotate(index: Index, name: str, type_: Optional[str] = None, path: Optional[str] = None,
             must_exist: bool = False, allow_same_path: bool = False,
             labels: Optional[List[str]] = None, description: Optional[str] = None,
             custom: Optional[str] = None) -> Annotation:
    """Add or update the entry of NAME in `index` (checked by the caller: names, type,
    and that a `must_exist` path is committed); refuses overlapping paths."""
    labels = list(labels or [])
    for option, value in (("--path", path), ("--description", description), ("--custom", custom)):
        try:
            (value or "").encode("utf-8")
        except UnicodeEncodeError:
            raise GtoError(f"{option}: the value is not valid UTF-8 text") from None
    if must_exist and not path:
        raise UsageError("--must-exist needs --path")
    if path and not allow_same_path:
        for other, annotation in index.items():
            if other != name and annotation["path"] and _overlaps(path, annotation["path"]):
                raise GtoError(
                    f"Path '{path}' overlaps the path '{annotation['path']}' of '{other}' "
                    "(use --allow-same-path to allow it)"
                )
    if name in index:
        entry = index[name]
        entry["type"] = type_ or entry["type"]
        entry["path"] = path or entry["path"]
        if must_exist:
            entry["virtual"] = False
        elif path:
            entry["virtual"] = True
        entry["labels"] = sorted(set(entry["labels"]).union(labels))
        entry["description"] = description or entry["description"]
        entry["custom"] = custom or entry["custom"]
    else:
        entry = default_annotation()
        entry.update(type=type_, path=path, virtual=not must_exist, labels=labels,
                     description=description or "", custom=custom)
        index[name] = entry
    return entry


def remove(index: Index, name: str, index_file: str) -> None:
    if name not in index:
        raise GtoError(f"Cannot find artifact '{name}' in {index_file}")
    del index[name]


def commit_message(name: str, type_: Optional[str] = None, path: Optional[str] = None,
                   removed: bool = False) -> str:
    if removed:
        return f"Remove annotation for artifact `{name}`"
    return (f"Annotate artifact `{name}`" + (f" of type `{type_}`" if type_ else "")
            + (f" with path `{path}`" if path else ""))
