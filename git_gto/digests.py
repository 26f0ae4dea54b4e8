"""The digests the caches are keyed and sealed with (SHA-1, BLAKE2b), taken from CPython's
own built-in modules when it has them: `hashlib` loads OpenSSL first, about 3 ms that every
command (and a server's hook on every push) would pay for two functions."""

from __future__ import annotations

try:
    from _blake2 import blake2b
    from _sha1 import sha1  # type: ignore[import-not-found]
except ImportError:  # a Python built without them
    from hashlib import blake2b, sha1

__all__ = ["blake2b", "sha1"]
