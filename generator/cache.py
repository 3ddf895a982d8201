"""The persistent build cache (`.paperfeed-cache/` beside the content folder).

It remembers, between builds:
- validated entries, keyed by a hash of the file's bytes and path, and each
  entry file's size and times, so a file that did not change is not read again;
- rendered Markdown, math and BibTeX of each entry, and the words related
  papers are found by;
- the related papers, for one exact set of entries;
- the cards most listings show, by what each paper's view is made from;
- for each output file, a fingerprint of everything that went into it,
  so an incremental build renders only the pages whose inputs changed.

The cache is one pickle file with a version header and a checksum. Anything
unexpected — another generator version, a truncated or corrupt file — makes
it start empty: a stale cache is rebuilt, never trusted. It is written
atomically, and only after the site was published.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import __version__

FORMAT = 2
MAGIC = b"paperfeed-cache\n"
CACHE_DIR = ".paperfeed-cache"


def digest(*parts: bytes | str) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


@dataclass
class BuildCache:
    entries: dict[bytes, Any] = field(default_factory=dict)  # entry digest -> Paper
    files: dict[str, tuple] = field(default_factory=dict)  # entry path -> (size, times, inode, when seen, digest)
    markup: dict[bytes, Any] = field(default_factory=dict)  # entry + site address -> (TextPieces, words)
    related: tuple[bytes, dict[str, tuple[str, ...]]] = (b"", {})  # (digest of all entries, slug -> slugs)
    cards: tuple[bytes, dict[tuple[bytes, int], str]] = (b"", {})  # (card template + settings, shared cards)
    outputs: dict[str, bytes] = field(default_factory=dict)  # output path -> fingerprint
    output_dir: str = ""  # the folder `outputs` describes
    build_id: str = ""  # ... as written by this build (see writer.read_build_id)
    vocabulary: bytes = b""  # digest of tags.yaml the entries were checked against


def cache_path(content: Path) -> Path:
    return content.resolve().parent / CACHE_DIR / "build.pickle"


def _header() -> bytes:
    # The code's digest is part of the header: a cache written by other code is not trusted.
    from generator.jobs import CODE_DIGEST

    return MAGIC + f"{FORMAT} {__version__} {CODE_DIGEST.hex()}\n".encode()


class _ChecksummedWriter:
    """Writes through to a file, keeping the CRC-32 of what went through."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.crc = 0

    def write(self, data) -> int:
        self.crc = zlib.crc32(data, self.crc)
        return self.handle.write(data)


def _checksum(payload: bytes | memoryview) -> bytes:
    # CRC-32 finds a damaged or truncated file (no one forges a cache) at memory speed.
    return zlib.crc32(payload).to_bytes(4, "little")


def load_cache(path: Path) -> BuildCache:
    try:
        data = path.read_bytes()
    except OSError:
        return BuildCache()
    header = _header()
    if not data.startswith(header) or len(data) < len(header) + 4:
        return BuildCache()
    checksum, payload = data[len(header):len(header) + 4], memoryview(data)[len(header) + 4:]
    if _checksum(payload) != checksum:
        return BuildCache()
    try:
        cache = pickle.loads(payload)
    except Exception:  # a cache is only a cache: any damage means start afresh
        return BuildCache()
    return cache if isinstance(cache, BuildCache) else BuildCache()


def save_cache(path: Path, cache: BuildCache) -> bool:
    """Write the cache atomically; False when it cannot be written (a full disk, say).
    The site is published by then, and a missing cache only makes the next build cold."""
    tmp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            # Pickled straight into the file, the checksum filled in after: the payload (a
            # gigabyte at 100,000 papers) is never held in memory whole.
            handle.write(_header() + bytes(4))
            payload = _ChecksummedWriter(handle)
            pickle.dump(cache, payload, protocol=pickle.HIGHEST_PROTOCOL)
            handle.seek(len(_header()))
            handle.write(payload.crc.to_bytes(4, "little"))
        os.replace(tmp, path)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)  # an older cache would describe another output
        return False


def read_stamp(path: Path) -> dict:
    """The small record saved beside the cache: what the last build read and wrote.
    Read first, so a build with nothing to do never loads the big cache."""
    try:
        return json.loads(path.with_name("stamp.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_stamp(path: Path, record: dict) -> None:
    stamp = path.with_name("stamp.json")
    tmp = stamp.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
        os.replace(tmp, stamp)
    except OSError:
        tmp.unlink(missing_ok=True)  # without a stamp the next build just looks closer
