"""Output jobs and their fingerprints: what lets a rebuild skip unchanged pages.

A `Job` is one output file: its path, the inputs it is made from, and a
function that makes its bytes. Its fingerprint hashes the inputs (with the
generator's code, the templates it uses and the settings), so if the
fingerprint equals the one recorded by the previous build, the file in the
output is still right and the job need not run.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

CODE_DIGEST = hashlib.blake2b(
    b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py"))), digest_size=16
).digest()  # any change to the generator's code makes every fingerprint new


@dataclass(frozen=True)
class Job:
    path: str
    inputs: Any  # what the output is made of: dataclasses, tuples, strings, dates, numbers
    make: Callable[[], bytes | str]
    salt: bytes = b""  # e.g. the digest of the templates this output uses


class Fingerprinter:
    """Hashes job inputs. Big values seen many times (a paper's view appears on
    its page, its day, its tags and many feeds) are hashed once per build."""

    def __init__(self, shared: bytes) -> None:
        self.shared = shared  # the settings and the code: part of every fingerprint
        self._memo: dict[int, bytes] = {}
        self._keep: list[Any] = []  # keeps memoised objects alive, so their ids stay theirs

    def of(self, job: Job) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        h.update(self.shared)
        h.update(job.salt)
        h.update(job.path.encode())
        self._feed(h, job.inputs)
        return h.digest()

    def _digest_of(self, value: Any) -> bytes:
        key = id(value)
        known = self._memo.get(key)
        if known is None:
            h = hashlib.blake2b(digest_size=16)
            self._feed_fields(h, value)
            known = self._memo[key] = h.digest()
            self._keep.append(value)
        return known

    def _feed(self, h, value: Any) -> None:
        if isinstance(value, str):  # includes Markup
            data = value.encode("utf-8", "surrogatepass")
            h.update(b"s%d:" % len(data))
            h.update(data)
        elif value is None or isinstance(value, (bool, int, float)):
            h.update(b"v" + repr(value).encode())
        elif isinstance(value, (date, datetime)):
            h.update(b"d" + value.isoformat().encode())
        elif isinstance(value, bytes):
            h.update(b"b%d:" % len(value))
            h.update(value)
        elif isinstance(value, (tuple, list)):
            h.update(b"(%d" % len(value))
            for item in value:
                self._feed(h, item)
        elif isinstance(value, dict):
            h.update(b"{%d" % len(value))
            for key in sorted(value):
                self._feed(h, key)
                self._feed(h, value[key])
        elif dataclasses.is_dataclass(value) and getattr(type(value), "__dataclass_params__").frozen:
            h.update(self._digest_of(value))
        else:  # refuse rather than silently ignore an input a fingerprint cannot see
            raise TypeError(f"cannot fingerprint {type(value).__name__}")

    def _feed_fields(self, h, value: Any) -> None:
        h.update(type(value).__qualname__.encode())
        for f in dataclasses.fields(value):
            self._feed(h, getattr(value, f.name))


__all__ = ["Job", "Fingerprinter", "CODE_DIGEST", "Markup"]
