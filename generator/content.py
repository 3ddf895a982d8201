"""Read a whole content folder: settings, tag vocabulary, every entry, cross-checks.

This is the "read → validate" half of the pipeline. It collects every problem
and reports them together; it never writes anything.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from generator.cache import BuildCache, digest
from generator.config import SiteConfig, load_site, load_tags
from generator.entries import check_across, entry_file_names, read_entry
from generator.errors import BuildFailed, Problem
from generator.models import PAPER_FIELDS, Content, Paper
from generator.parallel import parallel_imap

if TYPE_CHECKING:
    from generator.build import EntryStats


def _stat(path: str | Path) -> tuple[int, int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def _unchanged(known: tuple | None, info: tuple[int, int, int, int] | None) -> bytes | None:
    """The digest of an entry file not read again: when its size, times and inode are as
    the last build saw them, and it was already two seconds old then — a file changed
    within a timestamp's granularity of being read could keep its times (git's "racy"
    files), so those are always read."""
    if known is None or info is None or known[:4] != info:
        return None
    size, mtime, ctime, inode, looked_at, key = known
    return key if max(mtime, ctime) < looked_at - 2_000_000_000 else None


def _read_bytes(path: str | Path) -> bytes | None:
    """The file's bytes, in the system calls that takes (open, read to the end, close):
    Path.read_bytes adds an fstat and an ioctl: 17 µs a file against 11 here."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None  # read_entry reports why
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass
class Checked:
    """The outcome of reading a content folder; `problems` empty means all good."""

    site: SiteConfig | None
    content: Content
    problems: list[Problem] = field(default_factory=list)
    entries_checked: int = 0


def find_content_root(path: Path) -> Path | None:
    """The content folder holding `path`: the nearest folder, going up, with site.yaml."""
    path = path.resolve()
    for folder in (path, *path.parents):
        if (folder / "site.yaml").is_file():
            return folder
    return None


def read_content(content: Path, today: date, only: set[Path] | None = None,
                 cache: BuildCache | None = None, jobs: int | None = None,
                 seen: EntryStats | None = None) -> Checked:
    """Read and validate everything under `content`.

    `only` limits the reported problems to those files (as pre-commit passes
    them), while duplicates are still checked against the whole folder.
    With a `cache`, an entry whose bytes did not change since the last build
    is not parsed again; the others are parsed on every core. `seen`: the entry
    files' sizes, times and inodes as the build looked at them already.
    """
    site, problems = load_site(content)
    tags, tag_problems = load_tags(content)
    problems += tag_problems
    paths, layout_problems = entry_file_names(content)
    problems += layout_problems
    vocabulary_path = content / "tags.yaml"
    vocabulary = tags if vocabulary_path.is_file() else None
    cache = cache if cache is not None else BuildCache()
    vocabulary_digest = digest(vocabulary_path.read_bytes() if vocabulary else b"no vocabulary")
    if cache.vocabulary != vocabulary_digest:  # the tags an entry may use changed: check all again
        cache.entries.clear()
        cache.vocabulary = vocabulary_digest
    papers: list[Paper] = []
    keys, fresh = [], []
    looked_at, files = seen.looked_at if seen else time.time_ns(), {}
    stats = seen.stats if seen else {}
    for name in paths:
        # keyed by "<year>/<file>": the name's last two parts
        info = stats.get(name[name.rfind(os.sep, 0, name.rfind(os.sep)) + 1:]) or _stat(name)
        key = _unchanged(cache.files.get(name), info)
        cached = cache.entries.get(key) if key else None
        if cached is not None and cached.added <= today:
            papers.append(cached)
            keys.append(key)
        elif not cache.entries:  # none to find by content (a cold build): the worker reads the file
            key = None
            fresh.append((name, None, None))
        else:
            raw = _read_bytes(name)
            key = digest(raw if raw is not None else b"", name)
            cached = cache.entries.get(key) if raw is not None else None
            if cached is not None and cached.added <= today:
                papers.append(cached)
                keys.append(key)
            else:
                fresh.append((name, raw, key))
        if info is not None:
            files[name] = (*info, looked_at, key)

    def read(i: int) -> tuple[tuple | None, list[Problem], bytes]:
        name, raw, key = fresh[i]
        if key is None:
            raw = _read_bytes(name)
            key = digest(raw if raw is not None else b"", name)
        result = read_entry(Path(name), vocabulary, today, raw, key)
        # The paper travels back as its fields (in PAPER_FIELDS' order): made once, here, with its names shared.
        return (None if result.paper is None else result.paper.values()), result.problems, key

    # Taken as they come, so the names are shared while the workers go on.
    for (name, _, _), (values, found, key) in zip(fresh, parallel_imap(read, len(fresh), jobs)):
        problems += found
        if values:
            paper = _with_shared_names(values)
            papers.append(paper)
            cache.entries[key] = paper
        keys.append(key)
        known = files.get(name)
        if known and known[5] is None:  # read by the worker: its digest is known now
            files[name] = (*known[:5], key)
    cache.files = files
    live = set(keys)  # forget entries that no longer exist, so the cache does not grow forever
    for key in [k for k in cache.entries if k not in live]:
        del cache.entries[key]
    problems += check_across(papers)
    if only is not None:
        wanted = {p.resolve() for p in only}
        problems = [p for p in problems if Path(p.path).resolve() in wanted]
    papers.sort(key=lambda p: p.sort_key)
    checked_count = len(paths) if only is None else len([p for p in paths if Path(p).resolve() in wanted])
    return Checked(site, Content(tuple(papers), tags), problems, checked_count)


_AUTHORS, _ORGANIZATION, _LINKS, _TAGS = map(PAPER_FIELDS.index, ("authors", "organization", "links", "tags"))


def _with_shared_names(fields: tuple) -> Paper:
    """The Paper of these fields (in PAPER_FIELDS' order) with one string per author name,
    organization, tag and link kind in the whole build (each reaches this process as a string
    of its own): they recur across thousands of papers, 50 MB at 100,000, and the build cache
    then holds and reads back each once a shard. Made one after the other here, the papers lie
    together in memory, and every later pass over them is faster for it (papers made by
    unpickling, their names then set in place, made a cold build at 10,000 papers 8% slower)."""
    values = list(fields)
    values[_AUTHORS] = tuple(map(sys.intern, values[_AUTHORS]))
    values[_TAGS] = tuple(map(sys.intern, values[_TAGS]))
    if values[_ORGANIZATION]:
        values[_ORGANIZATION] = sys.intern(values[_ORGANIZATION])
    values[_LINKS] = tuple((sys.intern(kind), url) for kind, url in values[_LINKS])
    return Paper(*values)


def load_valid_content(content: Path, today: date, cache: BuildCache | None = None,
                       jobs: int | None = None, seen: EntryStats | None = None) -> tuple[SiteConfig, Content]:
    """Everything, or BuildFailed with every problem."""
    checked = read_content(content, today, cache=cache, jobs=jobs, seen=seen)
    if checked.problems or checked.site is None:
        raise BuildFailed(checked.problems)
    return checked.site, checked.content


def validate_paths(paths: list[Path], today: date) -> Checked:
    """`paperfeed validate PATH...`: content folders, or entry files inside one."""
    if not paths:
        paths = [Path("content")]
    results = []
    folders = [p for p in paths if p.is_dir()]
    files = [p for p in paths if not p.is_dir()]
    for folder in folders:
        results.append(read_content(folder, today))
    by_root: dict[Path, set[Path]] = {}
    for file in files:
        root = find_content_root(file.parent)
        if root is None or not file.exists():
            missing = "no such file" if not file.exists() else "not inside a content folder (no site.yaml above it)"
            results.append(Checked(None, Content(()), [Problem(str(file), message=missing)]))
            continue
        by_root.setdefault(root, set()).add(file)
    for root, wanted in sorted(by_root.items()):
        results.append(read_content(root, today, only=wanted))
    problems = sorted({p for r in results for p in r.problems})
    papers = tuple(p for r in results for p in r.content.papers)
    return Checked(None, Content(papers), problems, sum(r.entries_checked for r in results))
