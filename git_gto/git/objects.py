"""Git objects as the registry needs them: identities, tag objects and commits, parsed from
their raw bytes (header by header, without dulwich's full parse and re-hash)."""

from __future__ import annotations

import re
from typing import Callable, Dict, NamedTuple, Optional, Tuple

OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_TAG = 1, 2, 3, 4
TYPE_NAMES = {b"commit": OBJ_COMMIT, b"tree": OBJ_TREE, b"blob": OBJ_BLOB, b"tag": OBJ_TAG}


class Identity(NamedTuple):
    """A tagger or committer: name, email, epoch seconds and UTC offset in seconds."""

    name: str
    email: str
    time: int
    offset: int


class TagObject(NamedTuple):
    """What the registry needs of an annotated tag (a tuple: tens of thousands are made)."""

    ref: str  # the tag name (refs/tags/ stripped)
    sha: str  # the tag object
    target: str  # the object it points at, one level down
    target_type: int
    tagger: Optional[Identity]
    message: str  # stripped of surrounding white space
    problem: str = ""  # why the object cannot be used at all (unreadable), if it cannot


class CommitInfo(NamedTuple):
    sha: str
    tree: str
    author: Identity
    committer: Identity
    message: str  # raw, trailing newline kept


# epoch seconds of 0001-01-02 and 9999-12-30: a day inside datetime's range, for any offset
_FIRST, _LAST = -62135510400, 253402128000


def representable(time: int, offset: int) -> bool:
    """Can Python show this date (a year in 1..9999, an offset under a day)? Tags dated
    otherwise are skipped by the registry, as gto skips what it cannot parse."""
    return _FIRST <= time <= _LAST and -86400 < offset < 86400


def is_object_id(value: str) -> bool:
    """40 hex digits (in either case)?"""
    return _HEX_ID.fullmatch(value) is not None


def object_id(value: bytes) -> str:
    """A header's object id, "" unless it is 40 hex digits."""
    return value.decode("ascii") if _SHA.fullmatch(value) else ""


def parse_identity(line: bytes, encoding: str = "utf-8") -> Optional[Identity]:
    """`Name <email> 1700000000 +0100` -> Identity, None if it does not parse (string
    operations: this runs per tag)."""
    lt = line.find(b"<")
    gt = line.find(b">", lt)
    if lt < 0 or gt < 0:
        return None
    when = line[gt + 1:].split()
    try:
        epoch = int(when[0]) if when else 0
    except ValueError:
        return None
    offset = 0
    if len(when) > 1 and len(when[1]) == 5 and when[1][1:].isdigit():
        tz = when[1]
        offset = (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60) * (-1 if tz[:1] == b"-" else 1)
    return Identity(
        line[:lt].rstrip().decode(encoding, "replace"),
        line[lt + 1:gt].decode(encoding, "replace"),
        epoch,
        offset,
    )


def split_object(raw: bytes) -> Tuple[Dict[bytes, bytes], bytes]:
    """Headers (first occurrence of each) and body of a commit or tag object."""
    head, _, body = raw.partition(b"\n\n")
    headers: Dict[bytes, bytes] = {}
    for line in head.split(b"\n"):
        if line[:1] == b" ":  # continuation (gpgsig, mergetag)
            continue
        key, _, value = line.partition(b" ")
        headers.setdefault(key, value)
    return headers, body


# what begins a signature appended to a tag's message (git's gpg-interface.c)
SIGNATURE_STARTS = (b"-----BEGIN PGP SIGNATURE-----", b"-----BEGIN PGP MESSAGE-----",
                    b"-----BEGIN SSH SIGNATURE-----", b"-----BEGIN SIGNED MESSAGE-----")


def split_signature(raw: bytes) -> Tuple[bytes, bytes]:
    """(payload, signature) of a tag object; the signature is b"" when unsigned. As git,
    the signature begins at the last line that starts one."""
    at = -1
    pos = 0
    while pos < len(raw):
        if raw.startswith(SIGNATURE_STARTS, pos):
            at = pos
        newline = raw.find(b"\n", pos)
        if newline < 0:
            break
        pos = newline + 1
    if at < 0 or b"\n\n" not in raw[:at + 1]:  # a signature is in the message, after the headers
        return raw, b""
    return raw[:at], raw[at:]


def strip_signature(message: bytes) -> bytes:
    """A tag message without the signature git appends to it."""
    return split_signature(b"\n\n" + message)[0][2:]


_SHA = re.compile(rb"[0-9a-f]{40}")
_HEX_ID = re.compile(r"[0-9a-fA-F]{40}")
_TAG_HEAD = re.compile(
    rb"object ([0-9a-f]{40})\ntype (\w+)\ntag [^\n]*\ntagger ([^<\n]*?) ?<([^>\n]*)> (\d+) ([+-])(\d\d)(\d\d)\n\n"
)


def parse_tag_object(ref: str, sha: str, raw: bytes) -> TagObject:
    """Parse a tag object's headers (object, type, tagger) and message: one regular
    expression for the usual layout, a line by line reading for anything else."""
    m = _TAG_HEAD.match(raw)
    if m:
        target, type_name, name, email, epoch, sign, hours, minutes = m.groups()
        offset = (int(hours) * 3600 + int(minutes) * 60) * (-1 if sign == b"-" else 1)
        return TagObject(
            ref, sha, target.decode("ascii"), TYPE_NAMES.get(type_name, 0),
            Identity(name.decode("utf-8", "replace"), email.decode("utf-8", "replace"), int(epoch), offset),
            _message(raw[m.end():]),
        )
    headers, body = split_object(raw)
    tagger = parse_identity(headers[b"tagger"]) if b"tagger" in headers else None
    return TagObject(ref, sha, object_id(headers.get(b"object", b"")),
                     TYPE_NAMES.get(headers.get(b"type", b""), 0), tagger,
                     _message(body))


def _message(body: bytes) -> str:
    """A tag's message as text, without its signature (as gto shows it)."""
    if b"-----BEGIN " in body:
        body = strip_signature(body)
    return body.decode("utf-8", "replace").strip()


def text_encoding(header: Optional[bytes]) -> str:
    """The Python codec of a commit's `encoding` header (git's i18n.commitEncoding), UTF-8
    when there is none or Python does not know it (git then shows the bytes as they are)."""
    import codecs

    if not header:
        return "utf-8"
    try:
        return codecs.lookup(header.decode("ascii").strip()).name
    except (LookupError, UnicodeDecodeError):
        return "utf-8"


def parse_commit(sha: str, raw: bytes) -> CommitInfo:
    """A commit's headers and message (in the commit's `encoding`); KeyError if git itself
    would call it broken."""
    headers, body = split_object(raw)
    encoding = text_encoding(headers.get(b"encoding"))
    author = parse_identity(headers.get(b"author", b""), encoding)
    committer = parse_identity(headers.get(b"committer", b""), encoding)
    tree = object_id(headers.get(b"tree", b""))
    if author is None or committer is None or not tree:
        raise KeyError(sha)
    return CommitInfo(
        sha=sha,
        tree=tree,
        author=author,
        committer=committer,
        message=body.decode(encoding, "replace"),
    )


def peeled_commit(raw_object: Callable[[str], Tuple[int, bytes]], sha: str) -> CommitInfo:
    """The commit `sha` names, through any tags, read with `raw_object(sha) -> (type, raw)`
    (KeyError if an object is missing; GtoError if it ends at something else)."""
    from git_gto.errors import GtoError

    type_num, raw = raw_object(sha)
    while type_num == OBJ_TAG:
        sha = tag_target(raw)
        type_num, raw = raw_object(sha)
    if type_num != OBJ_COMMIT:
        raise GtoError(f"object {sha} is not a commit")
    return parse_commit(sha, raw)


def tag_target(raw: bytes) -> str:
    """The object a tag object points at."""
    return object_id(split_object(raw)[0].get(b"object", b""))


def parents(raw: bytes) -> list:
    """The parent ids of a commit object, in order."""
    head, _, _ = raw.partition(b"\n\n")
    return [l[7:].decode("ascii") for l in head.split(b"\n") if l.startswith(b"parent ")]


def tree_entry(raw: bytes, name: bytes) -> Optional[Tuple[int, str]]:
    """(mode, object id) of the entry `name` of a tree object, None if it has none."""
    pos, end = 0, len(raw)
    while pos < end:
        space = raw.find(b" ", pos)
        nul = raw.find(b"\0", space)
        if space < 0 or nul < 0 or nul + 21 > end:
            return None  # a truncated tree: nothing more to find in it
        if raw[space + 1:nul] == name:
            try:
                return int(raw[pos:space], 8), raw[nul + 1:nul + 21].hex()
            except ValueError:
                return None
        pos = nul + 21
    return None
