"""The only writer of the output folder.

Pages are collected in memory first; nothing touches the output folder
until every page rendered. Then one of two ways:

- A full build writes the whole site into a staging folder next to the
  output and swaps it in with two renames. Files whose bytes did not change
  are hard-linked from the previous output, so they keep their mtimes and
  rsync or a CDN sees no change.
- An incremental build (the cache knows what the output holds) stages only
  the changed files, then writes a journal — the commit point — and moves
  them in. A build killed before the journal leaves the previous site as it
  was; one killed after it is finished by the next build (`recover`).
"""

from __future__ import annotations

import json
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
        self.kept: set[str] = set()  # paths whose file in the output is already current
        self._folded: dict[str, str] = {}

    def keep(self, path: str) -> None:
        """Claim a path whose existing output file is known to be up to date."""
        self._claim(path)
        self.kept.add(path)

    def add(self, path: str, data: bytes | str) -> None:
        path = self._claim(path)
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data

    def _claim(self, path: str) -> str:
        path = safe_relative(path)
        # Case-insensitive hosts (macOS, Windows) would merge these two files into one.
        folded = unicodedata.normalize("NFC", path).casefold()
        if folded in self._folded:
            raise OutputCollision(f"two outputs at one path: {self._folded[folded]} and {path}")
        self._folded[folded] = path
        return path

    def paths(self) -> set[str]:
        return set(self.files) | self.kept

    def __len__(self) -> int:
        return len(self.files) + len(self.kept)


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


def _journal_path(output: Path) -> Path:
    return output.parent / f".{output.name}.journal"


def recover(output: Path) -> None:
    """Finish or undo what a killed build left half done.

    A committed journal is applied (roll forward); a staging folder without
    one is dropped; a swap killed between its two renames is undone.
    """
    staging, previous = _staging_names(output)
    journal = _journal_path(output)
    if journal.exists():
        try:
            plan = json.loads(journal.read_text(encoding="utf-8"))
            _apply(plan["move"], plan["delete"], staging, output)
        except (ValueError, KeyError, TypeError):
            pass  # a journal is renamed into place whole, so this means tampering: drop it
        journal.unlink()
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


def publish(site: SiteFiles, output: Path, previous_paths: set[str] | None = None) -> WriteStats:
    """Make `output` hold exactly `site`.

    `previous_paths`, when given, is every file the previous build put in
    `output` (from the cache): then only what changed is written.
    """
    recover(output)
    if previous_paths is not None and output.is_dir():
        return _publish_changes(site, output, previous_paths)
    if site.kept:
        raise ValueError("a full build cannot keep files it did not render")
    return _publish_full(site, output)


def _publish_full(site: SiteFiles, output: Path) -> WriteStats:
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


def _publish_changes(site: SiteFiles, output: Path, previous_paths: set[str]) -> WriteStats:
    staging, _ = _staging_names(output)
    changed = [path for path, data in site.files.items() if not _same_bytes(output / path, data)]
    removed = sorted(previous_paths - site.paths())
    if not changed and not removed:
        return WriteStats(0, len(site), 0)
    journal = _journal_path(output)
    try:
        for path in changed:
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(site.files[path])
        tmp = journal.with_suffix(".tmp")
        tmp.write_text(json.dumps({"move": changed, "delete": removed}), encoding="utf-8")
        os.replace(tmp, journal)  # the commit point: from here on the new site wins
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        journal.with_suffix(".tmp").unlink(missing_ok=True)
        raise BuildFailed([Problem(str(output), message=f"cannot write the site: {exc.strerror or exc}",
                                   hint="the previous site was left as it was")]) from exc
    recover(output)  # applies the journal just committed
    return WriteStats(len(changed), len(site) - len(changed), len(removed))


def _apply(move: list[str], delete: list[str], staging: Path, output: Path) -> None:
    """Move staged files into the output and delete stale ones; safe to run twice."""
    for path in move:
        path = safe_relative(path)
        source = staging / path
        if source.exists():
            (output / path).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, output / path)
    for path in delete:
        target = output / safe_relative(path)
        target.unlink(missing_ok=True)
        for parent in target.parents:  # drop folders the deletion emptied
            if parent == output or any(parent.iterdir()):
                break
            parent.rmdir()


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


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
