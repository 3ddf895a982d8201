"""The persistent build cache (`.paperfeed-cache/` beside the content folder).

It remembers, between builds:
- validated entries, keyed by a hash of the file's bytes and path, and each
  entry file's size and times, so a file that did not change is not read again;
- rendered Markdown, math and BibTeX of each entry, for one site address;
- the words related papers are found by, for each entry;
- the related papers, for one exact set of entries, and how many entries have each
  word (brought up to date by the entries added and removed);
- the cards most listings show, by what each paper's view is made from;
- the templates, compiled, and the templates each one uses;
- for each output file, a fingerprint of everything that went into it,
  so an incremental build renders only the pages whose inputs changed (a
  paper's or a listing's page is fingerprinted while planning, so a rebuild
  need not even plan the pages whose inputs did not change: render.py);
- the digests of the entries papers.json was made from, in order, so a rebuild
  copies the records of unchanged entries from it.

The cache is a small main file and, for the big keyed tables (entries, markup,
cards), shards by key: a value never changes under its key (keys are digests of
what the value is made from), so a build writes only the shards whose keys
changed — one edited entry rewrites a few megabytes, not all of them. The words
table is one file of its own: read back from one file, each word is one string
shared by every paper that has it (from 32 shards, 32 strings: counting the words
of every paper, as related papers do on each rebuild, took twice as long). Each
file has a version header and a checksum; each shard names the context its
values hold in (the tag vocabulary, the site's address, the card template and settings). Anything
unexpected — another generator version, a truncated or corrupt file, a shard
from another context — is dropped: a stale cache is rebuilt, never trusted. Every
file is written atomically, and put in place only once the site was published
(in a cold build, the shards of entries, texts and words are written ahead, under
other names, by another process while the build plans its pages). A process that builds again
(`serve`) keeps the cache it saved in memory, and uses it while none of the files
changed on disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import __version__

FORMAT = 8
MAGIC = b"paperfeed-cache\n"
CACHE_DIR = ".paperfeed-cache"


DIGEST_SIZE = 16


def digest(*parts: bytes | str) -> bytes:
    h = hashlib.blake2b(digest_size=DIGEST_SIZE)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


def pickling_copy(text: str) -> str:
    """`text` to pickle in its place: for a str that is not ASCII, an equal str of its own.
    Pickling a str leaves a UTF-8 copy of it inside the str for as long as it lives (CPython
    caches it there), so saving the build cache would grow every such text the build holds by
    half; the copy pickled instead is dropped once it is written."""
    return text if text.isascii() else text[:1] + text[1:]  # new object (a 1-character str is not worth it)


@dataclass
class BuildCache:
    entries: dict[bytes, Any] = field(default_factory=dict)  # entry digest -> Paper
    files: dict[str, tuple] = field(default_factory=dict)  # entry path -> (size, times, inode, when seen, digest)
    markup: dict[bytes, Any] = field(default_factory=dict)  # entry digest -> TextPieces
    site_address: bytes = b""  # digest of the base_url the markup holds (BibTeX's url)
    words: dict[bytes, Any] = field(default_factory=dict)  # entry digest -> related.Words
    related: tuple[bytes, dict[str, tuple[str, ...]]] = (b"", {})  # (digest of all entries, slug -> slugs)
    word_counts: tuple[frozenset, dict[str, int]] = (frozenset(), {})  # (entries counted, word -> how many have it)
    # (card template + settings, shared cards: UTF-8, or a related-list card as render.CardPatch)
    cards: tuple[bytes, dict[tuple[bytes, int], bytes | tuple]] = (b"", {})
    outputs: dict[str, bytes] = field(default_factory=dict)  # output path -> fingerprint
    output_dir: str = ""  # the folder `outputs` describes
    build_id: str = ""  # ... as written by this build (see writer.read_build_id)
    vocabulary: bytes = b""  # digest of tags.yaml the entries were checked against
    papers_json: tuple[bytes, bytes] = (b"", b"")  # (settings, sitedata.record_digests) of the output's file
    compiled_templates: dict[str, bytes] = field(default_factory=dict)  # see theme.CompiledTemplates
    template_references: dict[bytes, frozenset] = field(default_factory=dict)  # template source -> names it uses
    # (table, shard) -> (context, keys) of each shard file as loaded or last written: not saved
    shard_keys: dict[tuple[str, int], tuple[bytes, frozenset]] = field(default_factory=dict)


SHARDS = {"entries": 32, "markup": 32, "cards": 32, "words": 1}  # files per table


def _tables(cache: BuildCache) -> dict[str, tuple[bytes, dict]]:
    """The keyed tables, kept apart from the main file: name -> (the context their values
    hold in, the table)."""
    return {"entries": (cache.vocabulary, cache.entries), "markup": (cache.site_address, cache.markup),
            "cards": (cache.cards[0], cache.cards[1]), "words": (b"", cache.words)}


def _shard_of(key: bytes | tuple, shards: int) -> int:
    return (key[0] if type(key) is bytes else key[0][0]) % shards  # keys are digests, or (digest, n)


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


def _read_checked(path: Path) -> Any:
    """The object pickled in `path`, or None when it is missing, from other code, or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = _header()
    if not data.startswith(header) or len(data) < len(header) + 4:
        return None
    checksum, payload = data[len(header):len(header) + 4], memoryview(data)[len(header) + 4:]
    if _checksum(payload) != checksum:
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # a cache is only a cache: any damage means start afresh
        return None


def _write_checked(path: Path, value: Any) -> None:
    tmp = path.with_suffix(".tmp")
    try:
        with open(tmp, "wb") as handle:
            # Pickled straight into the file, the checksum filled in after: the payload (a
            # gigabyte at 100,000 papers) is never held in memory whole.
            handle.write(_header() + bytes(4))
            payload = _ChecksummedWriter(handle)
            pickle.dump(value, payload, protocol=pickle.HIGHEST_PROTOCOL)
            handle.seek(len(_header()))
            handle.write(payload.crc.to_bytes(4, "little"))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _shard_path(path: Path, table: str, shard: int) -> Path:
    return path.with_name(f"{table}-{shard:02d}.pickle")


def _ahead_path(path: Path, name: tuple[str, int]) -> Path:
    return _shard_path(path, *name).with_suffix(".ahead")


# The cache this process saved last, with the signature of its files then: `serve` builds
# again and again in one process, and need not read back what it just wrote.
_warm: dict[str, tuple[tuple, BuildCache]] = {}


def _signature(path: Path) -> tuple:
    """Name, size, mtime and inode of every file of the cache: any write to one changes it."""
    try:
        with os.scandir(path.parent) as found:
            return tuple(sorted((e.name, (s := e.stat()).st_size, s.st_mtime_ns, s.st_ino)
                                for e in found if e.name.endswith(".pickle")))
    except OSError:
        return ()


def load_cache(path: Path) -> BuildCache:
    # Taken, not just read: a build that fails leaves this process nothing it could wrongly trust.
    warm = _warm.pop(str(path), None)
    if warm is not None and warm[0] == _signature(path):
        return warm[1]
    cache = _read_checked(path)
    if not isinstance(cache, BuildCache):
        return BuildCache()
    cache.shard_keys = {}
    for table, (context, values) in _tables(cache).items():
        for shard in range(SHARDS[table]):
            found = _read_checked(_shard_path(path, table, shard))
            # A shard from another context (or damaged, or missing) is dropped: what it held is made again.
            if (type(found) is tuple and len(found) == 2 and found[0] == context and type(found[1]) is dict
                    and all(_shard_of(key, SHARDS[table]) == shard for key in found[1])):
                values.update(found[1])
                cache.shard_keys[(table, shard)] = (context, frozenset(found[1]))
    return cache


Shards = dict[tuple[str, int], tuple[tuple, tuple]]  # (table, shard) -> (its keys, what it holds)
BIG_TABLES = ("entries", "markup", "words")  # final once the related papers are found; cards are made later


def changed_shards(cache: BuildCache, tables: tuple[str, ...] = tuple(SHARDS)) -> Shards:
    """The shards of `tables` whose keys changed since they were read or written: those to write."""
    changed: Shards = {}
    for table, (context, values) in _tables(cache).items():
        if table not in tables:
            continue
        shards: list[dict] = [{} for _ in range(SHARDS[table])]
        for key, value in values.items():
            shards[_shard_of(key, SHARDS[table])][key] = value
        for shard, held in enumerate(shards):
            keys = (context, frozenset(held))
            if cache.shard_keys.get((table, shard)) != keys:
                changed[(table, shard)] = (keys, (context, held))
    return changed


def write_shards_ahead(path: Path, cache: BuildCache) -> None:
    """Write the changed shards of BIG_TABLES beside the cache, under names no build reads;
    `save_cache(ahead=True)` puts them in place once the site is published. A build has another
    process do it while it plans its pages (pickling the entries and texts of 10,000 papers
    takes a third of a second), so those tables must not change after. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, (_, value) in changed_shards(cache, BIG_TABLES).items():
        _write_checked(_ahead_path(path, name), value)


def discard_shards(path: Path) -> None:
    """Remove whatever `write_shards_ahead` wrote, for a build that failed or could not write them
    all: no build reads them, so one that cannot be removed is left."""
    for ahead in path.parent.glob("*.ahead"):
        with contextlib.suppress(OSError):
            ahead.unlink(missing_ok=True)


def save_cache(path: Path, cache: BuildCache, ahead: bool = False) -> bool:
    """Write the cache atomically, each shard only if its keys changed; False when it cannot
    be written (a full disk, say). The site is published by then, and a missing cache only
    makes the next build cold. `ahead`: the changed shards of BIG_TABLES were written by
    `write_shards_ahead` (from these tables, unchanged since): they are put in place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for name, (keys, value) in changed_shards(cache).items():
            if ahead and name[0] in BIG_TABLES:
                os.replace(_ahead_path(path, name), _shard_path(path, *name))
            else:
                _write_checked(_shard_path(path, *name), value)
            cache.shard_keys[name] = keys
        # The main file holds everything else; the shards' tables travel empty in it.
        main = dataclasses.replace(cache, entries={}, markup={}, words={}, cards=(cache.cards[0], {}), shard_keys={})
        _write_checked(path, main)
        discard_shards(path)  # any left by a build killed before it saved (they can be the whole cache)
        _warm[str(path)] = (_signature(path), cache)
        return True
    except OSError:
        discard_shards(path)
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
