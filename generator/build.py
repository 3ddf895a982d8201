"""`build_site`: build a site, or find in one look that its output is current.

The stages themselves live in pipeline.py and are imported only when some
input changed, so a build with nothing to do returns before loading them.
Never prints.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from generator.cache import cache_path, read_stamp
from generator.jobs import CODE_DIGEST
from generator.theme import BUNDLED_THEMES
from generator.writer import WriteStats, check_output_folder, read_build_id


@dataclass
class BuildResult:
    papers: int
    pages: int  # HTML pages in the site
    files: int  # every file in the site
    feeds: int
    made: int  # files whose inputs changed, so they were made again
    stats: WriteStats
    seconds: float
    stages: list[tuple[str, float]] = field(default_factory=list)


Progress = Callable[[str, int, int], None]  # (stage, done, total): told as the build goes


def no_progress(stage: str, done: int, total: int) -> None:
    pass


class Stages:
    """Times each named stage, for `--verbose`, and tells `progress` when one ends."""

    def __init__(self, progress: Progress) -> None:
        self.times: list[tuple[str, float]] = []
        self.progress = progress
        self._last = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.times.append((name, now - self._last))
        self._last = now
        self.progress(name, 1, 1)


def build_site(content: Path, output: Path, today: date, *, use_cache: bool = True,
               jobs: int | None = None, progress: Progress = no_progress) -> BuildResult:
    """Build the site for `content` into `output`. Raises BuildFailed with every problem.

    `use_cache=False` ignores what earlier builds remembered (a cold build);
    `jobs` is the number of processes (default: every core); `progress` is
    told of each finished stage and of the pages as they are made.
    """
    started = time.perf_counter()
    stages = Stages(progress)
    check_output_folder(output, content)
    cache_file = cache_path(content)
    inputs, seen = input_stamp(content)
    stamp = inputs.hex()
    last = read_stamp(cache_file) if use_cache else {}
    if (last.get("stamp") == stamp and last.get("output") == str(output.resolve()) and output.is_dir()
            and last.get("build") == read_build_id(output)):
        # Not one input file changed since the output was written: it is already right.
        stages.done("check inputs")
        return BuildResult(last["papers"], last["pages"], last["files"], last["feeds"], 0,
                           WriteStats(0, last["files"], 0), time.perf_counter() - started, stages.times)
    stages.done("check inputs")
    from generator.pipeline import build_everything  # the heavy part: loaded only when needed

    stages.done("load the generator")

    with collector_paused():
        return build_everything(content, output, today, use_cache, jobs, progress, stages, stamp, seen, started)


@contextlib.contextmanager
def collector_paused():
    """A build makes millions of objects that live until it ends, and few reference cycles:
    the cyclic garbage collector's passes over them cost seconds (a third of a rebuild) and
    free next to nothing. Paused for the build only, so `serve` collects between builds."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class EntryStats:
    """The entry files' size, times and inode as `input_stamp` found them, by "<year>/<file>"
    under content/papers/, and the time it began looking: reading the content then need not ask
    again (a system call per entry, and as long as the stamp's own walk at 10,000 papers)."""

    stats: dict[str, tuple[int, int, int, int]]
    looked_at: int  # time.time_ns() before the first of them


def input_stamp(content: Path) -> tuple[bytes, EntryStats]:
    """Path, size, times and inode of every file a build reads: content, themes, templates, static.

    Taken before reading, so an edit made during a build makes the next
    build's stamp differ. Equal stamps mean the previous output is still right.
    """
    resolved = content.resolve()
    root = resolved.parent
    folders = {resolved, root / "themes", root / "templates", root / "static", BUNDLED_THEMES.resolve()}
    papers = os.path.join(resolved, "papers")
    looked_at, stats = time.time_ns(), {}
    h = hashlib.blake2b(CODE_DIGEST, digest_size=16)  # new code may make other output
    for folder in sorted(folders):
        for base, dirs, names in os.walk(folder):
            dirs.sort()
            year = os.path.basename(base) + os.sep if os.path.dirname(base) == papers else None
            for name in sorted(names):
                path = os.path.join(base, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                # ctime too: an edit that puts the old mtime back (rsync -a, touch -r) still changes it
                h.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}\n"
                         .encode("utf-8", "surrogateescape"))
                if year:
                    stats[year + name] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    return h.digest(), EntryStats(stats, looked_at)
