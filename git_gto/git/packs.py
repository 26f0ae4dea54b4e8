"""Objects read straight from pack files, in offset order, without re-hashing: a bisection
in the version 2 `.idx` and one zlib stream per object (dulwich's lookups call back into
Python at every step; this is the hot path of a cold registry read)."""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from typing import Dict, Iterable, List, Set, Tuple

IDX_V2 = b"\xfftOc\x00\x00\x00\x02"


def locate(pack, shas: Iterable[str]) -> List[Tuple[int, str]]:
    """(offset, sha) of the objects this pack (a dulwich Pack) has."""
    path = os.fspath(pack.data.path)[:-5] + ".idx"
    found: List[Tuple[int, str]] = []
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as idx:
        if idx[:8] != IDX_V2:
            index = pack.index
            for sha in shas:
                try:
                    found.append((index.object_offset(sha.encode("ascii")), sha))
                except KeyError:
                    continue
            return found
        fanout = struct.unpack_from(">256I", idx, 8)
        count = fanout[255]
        names = 8 + 1024
        offsets = names + count * 24
        large = offsets + count * 4
        for sha in shas:
            key = bytes.fromhex(sha)
            lo = fanout[key[0] - 1] if key[0] else 0
            hi = fanout[key[0]]
            while lo < hi:
                mid = (lo + hi) // 2
                at = names + mid * 20
                name = idx[at:at + 20]
                if name < key:
                    lo = mid + 1
                elif name > key:
                    hi = mid
                else:
                    offset = struct.unpack_from(">I", idx, offsets + mid * 4)[0]
                    if offset & 0x80000000:
                        offset = struct.unpack_from(">Q", idx, large + (offset & 0x7FFFFFFF) * 8)[0]
                    found.append((offset, sha))
                    break
    return found


def read_undeltified(pack, shas: Set[str], out: Dict[str, Tuple[int, bytes]]) -> None:
    """Add to `out` the objects of `shas` stored whole in this pack, and remove them from
    `shas`; deltified ones stay for the caller to read another way."""
    located = locate(pack, shas)
    if not located:
        return
    located.sort()
    with open(pack.data.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for offset, sha in located:
            byte = data[offset]
            type_num, size, shift, pos = (byte >> 4) & 7, byte & 15, 4, offset + 1
            while byte & 0x80:
                byte = data[pos]
                size |= (byte & 0x7F) << shift
                shift += 7
                pos += 1
            if 1 <= type_num <= 4:
                content = zlib.decompressobj().decompress(data[pos:pos + size + 1024], size)
                if len(content) == size:
                    out[sha] = (type_num, content)
                    shas.discard(sha)
