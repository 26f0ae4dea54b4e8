"""The tag-name grammar: parse, format and validate GTO tag names. Pure, no I/O."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, NamedTuple, Optional

NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9\-/_]*[a-zA-Z0-9])?"
DIRNAME = r"[a-zA-Z0-9\-_./]+"
SEMVER = (
    r"(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)"
    r"(?:-(?:(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)
VERSION = "v" + SEMVER

NAME_RE = re.compile(rf"\A{NAME}\Z")
FULLNAME_RE = re.compile(rf"\A(?:{DIRNAME}:)?{NAME}\Z")
VERSION_RE = re.compile(rf"\A{VERSION}\Z")
HEXSHA_RE = re.compile(r"\A[0-9a-fA-F]{40}\Z")
TAG_RE = re.compile(
    rf"\A(?P<artifact>(?:{DIRNAME}=)?{NAME})"
    rf"(?:(?:#(?P<stage>{NAME})|@(?P<version>{VERSION}))(?P<cancel>!?)"
    r"|@(?:(?P<deprecated>deprecated)|(?P<created>created)))"
    r"(?:#(?P<counter>[0-9]+))?\Z"
)
SHORTCUT_RE = re.compile(
    rf"\A(?P<artifact>(?:{DIRNAME}:)?{NAME})"
    rf"(?:#(?P<stage>{NAME})|@(?P<version>latest|greatest|{VERSION}))\Z"
)

REGISTER = "register"
DEREGISTER = "deregister"
ASSIGN = "assign"
UNASSIGN = "unassign"
DEPRECATE = "deprecate"
CREATE = "create"
ACTIONS = (REGISTER, DEREGISTER, ASSIGN, UNASSIGN, DEPRECATE)

INVALID_NAME = (
    "Invalid value '{}'. Only letters, numbers, '_', '-', '/' are allowed. "
    "Value must start and end with a letter or a number."
)


class TagName(NamedTuple):
    """What a GTO tag name says: which artifact, which action, on what."""

    name: str
    action: Optional[str]
    version: Optional[str] = None
    stage: Optional[str] = None
    counter: Optional[int] = None

    def as_dict(self) -> dict:
        """The `parse-tag` JSON shape: name, version or stage, action, counter."""
        out: dict = {"name": self.name}
        if self.version is not None:
            out["version"] = self.version
        if self.stage is not None:
            out["stage"] = self.stage
        if self.action != CREATE:
            out["action"] = self.action
        if self.counter is not None:
            out["counter"] = self.counter
        return out


def name_to_tag(name: str) -> str:
    """`path/to:model` -> `path/to=model`."""
    return name.replace(":", "=")


def tag_to_name(tag_part: str) -> str:
    """`path/to=model` -> `path/to:model`."""
    return tag_part.replace("=", ":")


def is_name(value: str) -> bool:
    return bool(NAME_RE.match(value))


def is_fullname(value: str) -> bool:
    return bool(FULLNAME_RE.match(value))


@lru_cache(maxsize=65536)
def is_version(value: str) -> bool:
    """`vX.Y.Z[-pre][+build]` (asked again and again while sorting: cached)."""
    return bool(VERSION_RE.match(value))


def is_hexsha(value: str) -> bool:
    return bool(HEXSHA_RE.match(value))


def parse_tag(tag: str) -> Optional[TagName]:
    """Parse a tag name; None when it is not a GTO tag."""
    m = TAG_RE.match(tag)
    if not m:
        return None
    name = tag_to_name(m["artifact"])
    counter = int(m["counter"]) if m["counter"] is not None else None
    cancel = m["cancel"] == "!"
    if m["version"]:
        action = DEREGISTER if cancel else REGISTER
        return TagName(name, action, version=m["version"], counter=counter)
    if m["stage"]:
        action = UNASSIGN if cancel else ASSIGN
        return TagName(name, action, stage=m["stage"], counter=counter)
    if m["deprecated"]:
        return TagName(name, DEPRECATE, counter=counter)
    return TagName(name, CREATE, counter=counter)


def format_tag(
    action: str,
    name: str,
    version: Optional[str] = None,
    stage: Optional[str] = None,
    counter: Optional[int] = None,
) -> str:
    """Build the tag name of an event; `counter` None gives the simple form."""
    base = name_to_tag(name)
    if action == REGISTER:
        tag = f"{base}@{version}"
    elif action == DEREGISTER:
        tag = f"{base}@{version}!"
    elif action == ASSIGN:
        tag = f"{base}#{stage}"
    elif action == UNASSIGN:
        tag = f"{base}#{stage}!"
    elif action == DEPRECATE:
        tag = f"{base}@deprecated"
    else:
        raise ValueError(f"unknown action {action!r}")
    return tag if counter is None else f"{tag}#{counter}"


def next_counter(name: str, tag_names: Iterable[str]) -> int:
    """1 + the highest counter among the artifact's tags (lightweight ones too)."""
    highest = 0
    prefix = name_to_tag(name)
    for tag in tag_names:
        if not tag.startswith(prefix):
            continue
        parsed = parse_tag(tag)
        if parsed and parsed.name == name and parsed.counter is not None:
            highest = max(highest, parsed.counter)
    return highest + 1


class Shortcut(NamedTuple):
    """`NAME@latest`, `NAME@greatest`, `NAME@vX.Y.Z` or `NAME#STAGE` (or a bare name)."""

    name: str
    version: Optional[str] = None
    stage: Optional[str] = None
    latest: bool = False

    @property
    def is_shortcut(self) -> bool:
        return bool(self.version or self.stage or self.latest)


def parse_shortcut(value: str) -> Shortcut:
    m = SHORTCUT_RE.match(value)
    if not m:
        return Shortcut(value)
    version = m["version"]
    if version in ("latest", "greatest"):
        return Shortcut(m["artifact"], latest=True)
    return Shortcut(m["artifact"], version=version, stage=m["stage"])
