"""Output jobs and their fingerprints: what lets a rebuild skip unchanged pages.

A `Job` is one output file: its path, the inputs it is made from, and a
function that makes its bytes. Its fingerprint hashes the inputs (with the
generator's code, the templates it uses and the settings), so if the
fingerprint equals the one recorded by the previous build, the file in the
output is still right and the job need not run.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    """Hashes job inputs by pickling them (C speed), with one twist: the big
    values that recur across thousands of outputs (a paper's view is on its
    page, its day, its tags, many feeds) are hashed once and stand in by
    their digest. Pickling runs in "fast" mode (no memo), so equal inputs give
    equal bytes whether or not they share objects."""

    def __init__(self, shared: bytes, recurring: dict[type, Callable[[Any], bytes]] | None = None) -> None:
        self.shared = shared  # the settings and the code: part of every fingerprint
        self.recurring = recurring or {}  # type -> how to digest one of its values
        self._memo: dict[int, tuple[Any, bytes]] = {}

    def of(self, job: Job) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        h.update(self.shared)
        h.update(job.salt)
        h.update(job.path.encode())
        h.update(self._pickle(job.inputs, substitute=True))
        return h.digest()

    def _pickle(self, value: Any, substitute: bool) -> bytes:
        buffer = io.BytesIO()
        pickler = _Substituting(buffer, self) if substitute else _Plain(buffer)
        pickler.dump(value)
        return buffer.getvalue()

    def digest_of(self, value: Any) -> bytes:
        known = self._memo.get(id(value))
        if known is None or known[0] is not value:
            how = self.recurring.get(type(value))
            made = how(value) if how else hashlib.blake2b(self._pickle(value, False), digest_size=16).digest()
            known = (value, made)
            self._memo[id(value)] = known  # holding `value` keeps its id from being reused
        return known[1]


class _Plain(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO) -> None:
        super().__init__(buffer, protocol=5)
        self.fast = True  # no memo: object identity must not change the bytes


class _Substituting(_Plain):
    def __init__(self, buffer: io.BytesIO, fingerprinter: Fingerprinter) -> None:
        super().__init__(buffer)
        self.recurring = fingerprinter.recurring
        self.digest_of = fingerprinter.digest_of

    def persistent_id(self, obj: Any) -> bytes | None:
        return self.digest_of(obj) if type(obj) in self.recurring else None
