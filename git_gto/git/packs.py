"""Objects read straight from the object store's files: pack files in offset order, without
re-hashing (a bisection in the version 2 `.idx` and one zlib stream per object: dulwich's
lookups call back into Python at every step; this is the hot path of a cold registry read),
and loose objects (inflated here: dulwich parses a loose object whole, and one malformed
object would fail every read). What git checks is checked: the zlib stream ends with its
checksum, the size is the header's, and a packed entry's CRC32 is the one in the `.idx`."""

from __future__ import annotations

import mmap
import os
import struct
import sys
import zlib
from array import array
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from git_gto.git.objects import TYPE_NAMES, is_object_id

IDX_V2 = b"\xfftOc\x00\x00\x00\x02"
BISECT_RATIO = 16  # having found 1/16 of a pack's objects: read its .idx tables whole
TABLES_KEPT = 8  # the .idx tables a process keeps (an API caller may read many repositories)
_LOOKED_UP: Dict[tuple, int] = {}  # (.idx path, inode, size, mtime) -> objects found in it
_TABLES: Dict[tuple, Tuple[Dict[bytes, int], "array[int]", "array[int]"]] = {}  # the same -> its tables
SLACK = 1024  # compressed bytes read past the inflated size (zlib's overhead is far less)


class CorruptObject(Exception):
    """An object whose stored bytes fail git's own checks (the message says which)."""


def pack_files(objects_dir: str) -> List[str]:
    """The packs of an object directory, as paths without `.pack` (those with an `.idx`),
    listed without dulwich: reading a few objects must not cost its import."""
    directory = os.path.join(objects_dir, "pack")
    try:
        names = set(os.listdir(directory))
    except OSError:
        return []
    return [os.path.join(directory, n[:-5]) for n in sorted(names)
            if n.endswith(".pack") and n[:-5] + ".idx" in names]


def read_objects(objects: str, shas: Iterable[str], through_dulwich: Callable[[str], Optional[Tuple[int, bytes]]],
                 alternates: Optional[Callable[[], List[str]]] = None,
                 unreadable: Optional[Dict[str, str]] = None) -> Dict[str, Tuple[int, bytes]]:
    """(type, content) of the objects of the object directory `objects`: from its packs in
    offset order, then loose ones (inflated here), then deltified ones (and, with
    `alternates`, the packed ones of the directories it lists) one by one `through_dulwich`.
    Missing ones are left out. A loose object that does not inflate whole is left out too,
    and `unreadable` says why (with None: CorruptObject). A packed object that fails its
    checks (and has no good copy elsewhere) is CorruptObject, naming it: a pack is git's
    verified store, so its damage is the disk's, and reading past it could show an older
    version as the one in a stage."""
    pending = {sha for sha in shas if is_object_id(sha)}
    out: Dict[str, Tuple[int, bytes]] = {}
    corrupt: Dict[str, str] = {}
    packed: Set[str] = set()  # in a pack of `objects` (deltified ones are left for dulwich)
    listed: Set[str] = set()

    def read_packs() -> None:
        """Read from the packs not read yet (git lists them again on a miss: a gc may have
        packed loose objects, or replaced a pack, since they were listed)."""
        for pack in pack_files(objects):
            if pending and pack not in listed:
                listed.add(pack)
                read_undeltified(pack, pending, out, corrupt, packed)

    read_packs()
    with_alternates = bool(pending) and os.path.exists(os.path.join(objects, "info", "alternates"))
    directories = [objects, *(alternates() if alternates is not None and with_alternates else [])]
    listed_again = False
    for sha in sorted(pending):
        if sha in out:  # found in a pack listed again
            continue
        try:
            found = next(filter(None, (read_loose(d, sha) for d in directories if d)), None)
        except CorruptObject as e:
            if unreadable is None:
                raise
            unreadable[sha] = str(e)
            continue
        if found is None and not listed_again and sha not in corrupt and sha not in packed:
            listed_again = True
            read_packs()
            found = out.get(sha)
        if found is None and sha not in corrupt and (with_alternates and alternates is not None or sha in packed):
            found = through_dulwich(sha)
        if found is not None:
            out[sha] = found
        elif sha in corrupt:
            raise CorruptObject(f"object {sha} is corrupt ({corrupt[sha]})")
    return out


def locate(pack: str, shas: Iterable[str]) -> Tuple[List[Tuple[int, str, Optional[int]]], bytes]:
    """(offset, sha, CRC32 of the packed entry or None) of the objects the pack `pack`
    (its path without `.pack`) has (a version 1 `.idx` has no CRCs), and the checksum of the
    `.pack` its `.idx` records, as git compares them when it opens a pack. A pack removed
    since it was listed (git gc, repack) has none; a damaged `.idx` is CorruptObject."""
    try:
        return _locate(pack, shas)
    except FileNotFoundError:
        return [], b""
    except (ValueError, IndexError, struct.error) as e:  # too short for its tables, or empty
        raise CorruptObject(f"pack index {os.path.basename(pack)}.idx is corrupt ({e})") from None


def _locate(pack: str, shas: Iterable[str]) -> Tuple[List[Tuple[int, str, Optional[int]]], bytes]:
    found: List[Tuple[int, str, Optional[int]]] = []
    with open(pack + ".idx", "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as idx:
        if len(idx) < 1064:
            raise ValueError("truncated")
        checksum = idx[-40:-20]  # the trailer: the .pack's checksum, then the .idx's own
        if idx[:8] != IDX_V2:  # version 1: the fan-out, then (offset, name) records
            fanout = struct.unpack_from(">256I", idx, 0)
            for sha in shas:
                at = _bisect(idx, fanout, bytes.fromhex(sha), 1024 + 4, 24)
                if at is not None:
                    found.append((struct.unpack_from(">I", idx, 1024 + at * 24)[0], sha, None))
            return found, checksum
        fanout = struct.unpack_from(">256I", idx, 8)
        count = fanout[255]
        names = 8 + 1024
        crcs = names + count * 20
        offsets = crcs + count * 4
        large = offsets + count * 4
        shas = list(shas)
        st = os.fstat(f.fileno())
        tables = (pack + ".idx", st.st_ino, st.st_size, st.st_mtime_ns)  # an .idx rewritten in place is read again
        if tables in _TABLES or _LOOKED_UP.get(tables, 0) * BISECT_RATIO >= count:
            return _locate_all(tables, idx, count, shas), checksum
        for sha in shas:
            at = _bisect(idx, fanout, bytes.fromhex(sha), names, 20)
            if at is not None:
                offset = struct.unpack_from(">I", idx, offsets + at * 4)[0]
                if offset & 0x80000000:
                    offset = struct.unpack_from(">Q", idx, large + (offset & 0x7FFFFFFF) * 8)[0]
                found.append((offset, sha, struct.unpack_from(">I", idx, crcs + at * 4)[0]))
        # objects found, not asked for: misses (a repository of loose tags) never build the tables
        _LOOKED_UP[tables] = _LOOKED_UP.get(tables, 0) + len(found)
    return found, checksum


def _bisect(idx: mmap.mmap, fanout: Tuple[int, ...], key: bytes, first: int, stride: int) -> Optional[int]:
    """The position of the object named `key` among the `.idx`'s sorted names (the first at
    `first`, one each `stride` bytes), found by bisection in its fan-out range; None if absent."""
    lo, hi = (fanout[key[0] - 1] if key[0] else 0), fanout[key[0]]
    while lo < hi:
        mid = (lo + hi) // 2
        at = first + mid * stride
        name = idx[at:at + 20]
        if name < key:
            lo = mid + 1
        elif name > key:
            hi = mid
        else:
            return mid
    return None


def _locate_all(key: tuple, idx: mmap.mmap, count: int,
                shas: Iterable[str]) -> List[Tuple[int, str, Optional[int]]]:
    """`locate` once many objects of a pack were asked for: its `.idx` tables read whole,
    once a process, then one dictionary lookup an object (a bisection costs some 17 steps
    in Python for each). Kept compact: binary names, the CRCs and offsets as arrays."""
    names = 8 + 1024
    if key not in _TABLES:
        for old in [k for k in _TABLES if k[0] == key[0]]:
            del _TABLES[old]  # a rewritten .idx replaces its tables
        while len(_TABLES) >= TABLES_KEPT:  # a long-lived process keeps a few, the newest
            del _TABLES[next(iter(_TABLES))]
        table = idx[names:names + count * 20]
        crcs, offsets = array("I"), array("I")
        crcs.frombytes(idx[names + count * 20:names + count * 24])
        offsets.frombytes(idx[names + count * 24:names + count * 28])
        if sys.byteorder == "little":  # the .idx is big-endian
            crcs.byteswap()
            offsets.byteswap()
        _TABLES[key] = (dict(zip([table[i:i + 20] for i in range(0, count * 20, 20)], range(count))),
                        crcs, offsets)
    position, crc_of, offset_of = _TABLES[key]
    large = names + count * 28
    found: List[Tuple[int, str, Optional[int]]] = []
    for sha in shas:
        i = position.get(bytes.fromhex(sha))
        if i is not None:
            offset = offset_of[i]
            if offset & 0x80000000:
                offset = struct.unpack_from(">Q", idx, large + (offset & 0x7FFFFFFF) * 8)[0]
            found.append((offset, sha, crc_of[i]))
    return found


def read_undeltified(pack: str, shas: Set[str], out: Dict[str, Tuple[int, bytes]],
                     corrupt: Dict[str, str], found: Set[str]) -> None:
    """Add to `out` the objects of `shas` stored whole in this pack, and remove them from
    `shas`; deltified ones stay for the caller to read another way. An entry that fails a
    check stays in `shas` too (another pack, or a loose copy, may have it whole), and
    `corrupt` says what failed. `found` gets every object the pack has (read or not)."""
    located, expected = locate(pack, shas)
    if not located:
        return
    located.sort()
    where = os.path.basename(pack) + ".pack"
    try:
        f = open(pack + ".pack", "rb")
    except FileNotFoundError:  # removed since it was listed: the caller looks again
        return
    with f:
        try:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty
            raise CorruptObject(f"pack {where} is empty") from None
        with data:
            if len(data) < 32 or data[-20:] != expected:
                raise CorruptObject(f"pack {where} does not match its index")
            found.update(sha for _, sha, _ in located)
            _read_entries(data, where, pack, located, shas, out, corrupt)


def _read_entries(data: mmap.mmap, where: str, pack: str, located: List[Tuple[int, str, Optional[int]]],
                  shas: Set[str], out: Dict[str, Tuple[int, bytes]], corrupt: Dict[str, str]) -> None:
    """read_undeltified's reading, in offset order, with each entry's checks."""
    length = len(data)
    for offset, sha, crc in located:
        if offset + 1 >= length:
            corrupt[sha] = f"offset {offset} is past the end of {where}"
            continue
        byte = data[offset]
        type_num, size, shift, pos = (byte >> 4) & 7, byte & 15, 4, offset + 1
        while byte & 0x80 and pos < length:
            byte = data[pos]
            size |= (byte & 0x7F) << shift
            shift += 7
            pos += 1
        if type_num in (6, 7):  # deltified: dulwich reads it, once its entry is checked
            if crc is not None and zlib.crc32(data[offset:_entry_end(pack, offset, length)]) != crc:
                corrupt[sha] = f"{where} at offset {offset}: CRC32 of the packed entry does not match the .idx"
            continue
        stream = zlib.decompressobj()
        chunk = data[pos:pos + size + SLACK]
        try:
            content = stream.decompress(chunk, size + 1)
        except zlib.error as e:
            corrupt[sha] = f"{where} at offset {offset}: {_zlib_words(e)}"
            continue
        if not stream.eof and not stream.unconsumed_tail and pos + size + SLACK < length:
            continue  # a stream longer than the slack: dulwich reads it
        end = pos + len(chunk) - len(stream.unused_data)
        if not 1 <= type_num <= 4:
            corrupt[sha] = f"{where} at offset {offset}: unknown object type {type_num}"
        elif not stream.eof or len(content) != size:
            corrupt[sha] = f"{where} at offset {offset}: inflated size is not {size}"
        elif crc is not None and zlib.crc32(data[offset:end]) != crc:
            corrupt[sha] = f"{where} at offset {offset}: CRC32 of the packed entry does not match the .idx"
        else:
            out[sha] = (type_num, content)
            shas.discard(sha)
            corrupt.pop(sha, None)


def _entry_end(pack: str, offset: int, size: int) -> int:
    """Where the packed entry at `offset` ends: at the next entry, or at the pack's trailer
    (`size` is the pack's size); read from the version 2 `.idx` (rarely: deltified tags)."""
    with open(pack + ".idx", "rb") as f:
        idx = f.read()
    count = struct.unpack_from(">I", idx, 8 + 255 * 4)[0]
    table = 8 + 1024 + count * 24
    large = table + count * 4
    following = [size - 20]
    for value in struct.unpack_from(f">{count}I", idx, table):
        if value & 0x80000000:
            value = struct.unpack_from(">Q", idx, large + (value & 0x7FFFFFFF) * 8)[0]
        if value > offset:
            following.append(value)
    return min(following)


def read_loose(objects_dir: str, sha: str) -> Optional[Tuple[int, bytes]]:
    """(type, content) of a loose object, None if there is no such file; CorruptObject if
    it does not inflate whole, or its header (`<type> <size>\\0`) is not what it holds."""
    try:
        with open(os.path.join(objects_dir, sha[:2], sha[2:]), "rb") as f:
            compressed = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not compressed:
        raise CorruptObject(f"loose object {sha} is corrupt (empty file)")
    stream = zlib.decompressobj()
    try:
        raw = stream.decompress(compressed)
    except zlib.error as e:
        raise CorruptObject(f"loose object {sha} is corrupt ({_zlib_words(e)})") from None
    if not stream.eof:
        raise CorruptObject(f"loose object {sha} is corrupt (truncated)")
    head, nul, content = raw.partition(b"\0")
    type_name, _, size = head.partition(b" ")
    type_num = TYPE_NAMES.get(type_name)
    if not nul or type_num is None or not size.isdigit() or int(size) != len(content):
        raise CorruptObject(f"loose object {sha} is corrupt (bad header)")
    return type_num, content


def _zlib_words(error: zlib.error) -> str:
    """zlib's reason, as git prints it ('incorrect data check', ...)."""
    text = str(error)
    return text.split(": ", 1)[1] if ": " in text else text
