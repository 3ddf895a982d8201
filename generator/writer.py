"""The only writer of the output folder.

Pages are collected in memory first. `publish` then writes them into a
staging folder next to the output and swaps it in only when everything was
written: a failed or killed build never leaves a half-written site. Files
whose bytes did not change are hard-linked from the previous output, so
they keep their mtimes and rsync or a CDN sees no change.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.errors import BuildFailed, Problem

PLACEHOLDERS = (".gitkeep",)  # the repository keeps output/ with only this in it


class OutputCollision(Exception):
    pass


class SiteFiles:
    """The built site in memory: relative path → bytes. Refuses two files at one path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self._folded: dict[str, str] = {}

    def add(self, path: str, data: bytes | str) -> None:
        path = safe_relative(path)
        # Case-insensitive hosts (macOS, Windows) would merge these two files into one.
        folded = unicodedata.normalize("NFC", path).casefold()
        if folded in self._folded:
            raise OutputCollision(f"two outputs at one path: {self._folded[folded]} and {path}")
        self._folded[folded] = path
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data

    def __len__(self) -> int:
        return len(self.files)


def safe_relative(path: str) -> str:
    """A normalised relative path that cannot leave the output folder."""
    if "\x00" in path or "\\" in path:
        raise OutputCollision(f"unsafe output path {path!r}")
    parts = PurePosixPath(path).parts
    if not parts or PurePosixPath(path).is_absolute() or any(p in ("..", ".", "") for p in parts):
        raise OutputCollision(f"unsafe output path {path!r}")
    if any(len(p.encode()) > 255 for p in parts):
        raise OutputCollision(f"output path part too long: {path[:80]!r}…")
    return "/".join(parts)


@dataclass(frozen=True)
class WriteStats:
    written: int  # files whose bytes changed or are new
    unchanged: int  # files kept as they were
    removed: int  # files of the previous site that are gone


def _staging_names(output: Path) -> tuple[Path, Path]:
    return (output.parent / f".{output.name}.staging", output.parent / f".{output.name}.previous")


def recover(output: Path) -> None:
    """Undo a swap that a killed build left half done, and drop a stale staging folder."""
    staging, previous = _staging_names(output)
    if previous.exists() and not output.exists():
        previous.rename(output)
    for leftover in (staging, previous):
        if leftover.exists():
            shutil.rmtree(leftover)


def check_output_folder(output: Path, content: Path) -> None:
    """Refuse an output folder whose replacement would destroy something else."""
    out = output.resolve()
    protected = [content.resolve(), Path.cwd().resolve(), Path.home().resolve()]
    if any(out == p or p.is_relative_to(out) for p in protected):
        raise BuildFailed([Problem(str(output), message="refusing to build into this folder: "
                                   "it holds the content, the working folder or your home",
                                   hint="pass an output folder of its own, like --output output")])
    if out.is_file():
        raise BuildFailed([Problem(str(output), message="the output path is a file, not a folder")])


def publish(site: SiteFiles, output: Path) -> WriteStats:
    recover(output)
    staging, previous = _staging_names(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    written = unchanged = 0
    try:
        staging.mkdir()
        made: set[str] = set()
        for relative, data in site.files.items():
            target = staging / relative
            parent = target.parent
            key = str(parent)
            if key not in made:
                parent.mkdir(parents=True, exist_ok=True)
                made.add(key)
            if _link_if_same(output / relative, target, data):
                unchanged += 1
            else:
                target.write_bytes(data)
                written += 1
        for name in PLACEHOLDERS:
            if (output / name).is_file() and name not in site.files:
                shutil.copy2(output / name, staging / name)
        removed = _count_removed(output, site) if output.exists() else 0
        if output.exists():
            output.rename(previous)
        staging.rename(output)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if previous.exists() and not output.exists():
            previous.rename(output)
        raise BuildFailed([Problem(str(output), message=f"cannot write the site: {exc.strerror or exc}",
                                   hint="the previous site was left as it was")]) from exc
    shutil.rmtree(previous, ignore_errors=True)
    return WriteStats(written, unchanged, removed)


def _link_if_same(old: Path, new: Path, data: bytes) -> bool:
    try:
        if old.stat().st_size != len(data) or old.read_bytes() != data:
            return False
        os.link(old, new)
        return True
    except OSError:
        return False


def _count_removed(output: Path, site: SiteFiles) -> int:
    removed = 0
    for folder, _, files in os.walk(output):
        for name in files:
            relative = os.path.relpath(os.path.join(folder, name), output).replace(os.sep, "/")
            if relative not in site.files and name not in PLACEHOLDERS:
                removed += 1
    return removed
