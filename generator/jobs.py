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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CODE_DIGEST = hashlib.blake2b(
    b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py"))), digest_size=16
).digest()  # any change to the generator's code makes every fingerprint new


FINGERPRINT_SIZE = 16


@dataclass(frozen=True)
class Job:
    path: str
    inputs: Any  # what the output is made of: dataclasses, tuples, strings, dates, numbers
    make: Callable[[], bytes | str | Iterable[bytes]]  # bytes, or in pieces (see Publication.stage)
    salt: bytes = b""  # e.g. the digest of the templates this output uses
    # The fingerprint itself, from a planner that hashed the inputs as it went (render.py keys a
    # page by its views' digests before it makes a Job, to plan none for a page that is current).
    fingerprint: bytes = b""


class Fingerprinter:
    """Hashes job inputs by pickling them (C speed, "fast" mode without a memo,
    so equal inputs give equal bytes whether or not they share objects).

    The big values that recur across thousands of outputs — a paper's view is
    on its page, its day, its tags, its authors' pages and many feeds — stand
    in by a digest of what they are made from (`stand_ins`: a function per
    class, looked up by the value's exact class: one dict lookup, where a
    function asking isinstance of each value was a quarter of the work),
    found in the inputs' tuples, lists and dicts. A tuple or list of values
    of one such class (a listing's views) is their digests joined: digests
    are of one length, so that is unambiguous. Any other object with a
    `__dict__` (the pages' dataclasses: PageMeta, Link, FeedInfo…) is hashed
    as its class's name and its fields' values, in order: pickle would look
    its class up by name for each one (half of a listing page's
    fingerprint). Everything else is pickled as it is.
    """

    def __init__(self, shared: bytes, stand_ins: dict[type, Callable[[Any], bytes]]) -> None:
        self.shared = shared  # the settings and the code: part of every fingerprint
        self.stand_ins = stand_ins  # class -> the digest of one of its values
        # One pickler and buffer for every job: making them was a third of the work.
        self._buffer = io.BytesIO()
        self._pickler = pickle.Pickler(self._buffer, protocol=5)
        self._pickler.fast = True  # no memo: object identity must not change the bytes
        self._class_names: dict[type, str] = {}

    def of(self, job: Job) -> bytes:
        """FINGERPRINT_SIZE bytes."""
        if job.fingerprint:
            return job.fingerprint
        h = hashlib.blake2b(self.shared, digest_size=FINGERPRINT_SIZE)
        h.update(job.salt)
        h.update(job.path.encode())
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._pickler.dump(self._substitute(job.inputs))
        with buffer.getbuffer() as pickled:
            h.update(pickled)
        return h.digest()

    def _substitute(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or value is None:  # most leaves: nothing to stand in for
            return value
        if kind is tuple or kind is list:
            if value:  # a listing's views, all of one class: their digests, joined at C speed
                first = type(value[0])
                stand_in = self.stand_ins.get(first)
                if stand_in is not None and all(type(item) is first for item in value):
                    return b"".join(map(stand_in, value))
            return tuple(map(self._substitute, value))
        if kind is dict:
            return tuple((key, self._substitute(item)) for key, item in sorted(value.items()))
        stand_in = self.stand_ins.get(kind)
        if stand_in is not None:
            return stand_in(value)
        fields = getattr(value, "__dict__", None)
        if fields is None:  # dates, bytes, floats, objects with slots: pickled as they are
            return value
        name = self._class_names.get(kind)
        if name is None:
            name = self._class_names[kind] = f"{kind.__module__}.{kind.__qualname__}"
        return name, tuple(map(self._substitute, fields.values()))
