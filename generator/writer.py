"""The only writer of the output folder.

A build opens one `Publication`, adds each file as soon as it is made (so a
100,000-paper site never sits in memory whole), and commits at the end.
Nothing a reader can see changes before the commit:

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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.errors import BuildFailed, Problem

PLACEHOLDERS = (".gitkeep",)  # the repository keeps output/ with only this in it
KEPT, UNCHANGED, WRITTEN = 0, 1, 2  # what staging one file did (Publication.stage)


class OutputCollision(Exception):
    pass


def safe_relative(path: str) -> str:
    """A normalised relative path that cannot leave the output folder."""
    # Plain string checks, without splitting the path: this runs for every file of every build.
    if (not path or path[0] == "/" or path[-1] == "/" or "//" in path or "\x00" in path or "\\" in path
            or path in (".", "..") or path.startswith(("./", "../")) or path.endswith(("/.", "/.."))
            or "/./" in path or "/../" in path):  # no empty, "." or ".." part
        raise OutputCollision(f"unsafe output path {path!r}")
    if len(path) > 63 and any(len(p) > 63 and len(p.encode()) > 255 for p in path.split("/")):
        raise OutputCollision(f"output path part too long: {path[:80]!r}…")  # 63 characters fit in 255 bytes
    return path


def _folded(path: str) -> str:
    """The path as a case-insensitive host (macOS, Windows) sees it: two paths folded alike
    would be one file there."""
    return path.lower() if path.isascii() else unicodedata.normalize("NFC", path).casefold()


def _all_safe(paths: list[str]) -> bool:
    """True when safe_relative accepts every path (False may also mean: ask it one by one)."""
    joined = "\x00".join(paths)  # a NUL is refused anyway
    if not paths or "\\" in joined or joined.count("\x00") != len(paths) - 1:
        return False
    parts = joined.replace("/", "\x00").split("\x00")
    if not {"", ".", ".."}.isdisjoint(parts):  # a leading, trailing or double slash makes an empty part
        return False
    # 63 characters fit in a file name's 255 bytes
    return max(map(len, parts)) <= 63 or all(len(part.encode()) <= 255 for part in parts if len(part) > 63)


@dataclass(frozen=True)
class WriteStats:
    written: int  # files whose bytes changed or are new
    unchanged: int  # files kept as they were
    removed: int  # files of the previous site that are gone


def _staging_names(output: Path) -> tuple[Path, Path]:
    return (output.parent / f".{output.name}.staging", output.parent / f".{output.name}.previous")


def _journal_path(output: Path) -> Path:
    return output.parent / f".{output.name}.journal"


# The build id beside the output names the build whose files it holds; the build cache
# records the same id. It is removed before a commit and written once the cache is
# saved, so a build killed in between leaves no id and the next build starts afresh
# instead of trusting a cache that describes another output.

def _build_id_path(output: Path) -> Path:
    return output.parent / f".{output.name}.build-id"


def read_build_id(output: Path) -> str:
    try:
        return _build_id_path(output).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def forget_build_id(output: Path) -> None:
    _build_id_path(output).unlink(missing_ok=True)


def write_build_id(output: Path, build_id: str) -> None:
    path = _build_id_path(output)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(build_id, encoding="utf-8")
    os.replace(tmp, path)


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
            _remove_emptied_folders(staging, plan["move"])
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
    protected = [content.resolve(), Path.home().resolve()]
    try:
        protected.append(Path.cwd().resolve())
    except OSError:  # the working folder was deleted: there is none to protect
        pass
    # Swapping in a new site replaces the output folder whole: it must neither hold the
    # content (or the working folder, or home) nor sit inside the content.
    if any(out == p or p.is_relative_to(out) for p in protected) or out.is_relative_to(content.resolve()):
        raise BuildFailed([Problem(str(output), message="refusing to build into this folder: "
                                   "it holds the content, the working folder or your home, or is inside the content",
                                   hint="pass an output folder of its own, like --output output")])
    if out.is_file():
        raise BuildFailed([Problem(str(output), message="the output path is a file, not a folder")])


def _cannot_write(output: Path, exc: OSError) -> BuildFailed:
    return BuildFailed([Problem(str(output), message=f"cannot write the site: {exc.strerror or exc}",
                                hint="the previous site was left as it was")])


class Publication:
    """One build's writes to `output`. Use as a context manager; call `commit()`.

    `previous_paths`, when given, is every file the previous build put in
    `output` (from the cache): then only what changed is written.
    """

    def __init__(self, output: Path, previous_paths: set[str] | None = None) -> None:
        self.output = output
        self.previous_paths = previous_paths
        self.staging, self._previous = _staging_names(output)
        self._claimed: dict[str, str] = {}  # case-folded path -> path
        self._changed: list[str] = []
        self.written = self.unchanged = 0
        self._made_dirs: set[str] = set()
        try:
            recover(output)
            output.parent.mkdir(parents=True, exist_ok=True)
            self.incremental = previous_paths is not None and output.is_dir()
            self._fresh = not output.exists()  # no earlier copy of any file to compare with
            self.staging.mkdir()
        except OSError as exc:
            raise _cannot_write(output, exc) from exc

    def __enter__(self) -> Publication:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:  # anything went wrong before commit: the output stays as it was
            shutil.rmtree(self.staging, ignore_errors=True)

    def _claim(self, path: str) -> str:
        try:
            path = safe_relative(path)
        except OutputCollision as exc:
            raise BuildFailed([Problem(str(self.output), message=str(exc))]) from exc
        folded = _folded(path)
        if folded in self._claimed:
            raise BuildFailed([Problem(str(self.output), message=(
                f"two outputs at one path: {self._claimed[folded]} and {path}"))])
        self._claimed[folded] = path
        return path

    def paths(self) -> set[str]:
        return set(self._claimed.values())

    def keep(self, path: str) -> None:
        """A file whose copy in the output is known to be current."""
        self.record(path, self.stage(self._claim(path), None))

    def add(self, path: str, data: bytes | str) -> None:
        self.record(path, self.stage(self._claim(path), data))

    # A build's workers stage files themselves, so page bytes never travel between processes:
    # the parent claims every path first (`claim_all`), each worker calls `stage`, and the
    # parent `record`s the outcome `stage` returned.

    def claim_all(self, paths: Iterable[str]) -> None:
        """Claim every path at once (a build's 30,000 and more): checked together at C speed,
        or, when any is in doubt, one at a time, which names the path and what is wrong."""
        paths = list(paths)
        if _all_safe(paths):
            ascii_only = all(map(str.isascii, paths))
            folded = "\x00".join(paths).lower().split("\x00") if ascii_only else map(_folded, paths)
            claimed = dict(zip(folded, paths))
            if len(claimed) == len(paths) and self._claimed.keys().isdisjoint(claimed):
                self._claimed.update(claimed)
                return
        for path in paths:
            self._claim(path)

    def stage(self, path: str, data: bytes | str | Iterable[bytes] | None) -> int:
        """Put one claimed file in the staging folder (or, with `data` None, keep the output's
        copy; `data` may come in pieces). Safe in a worker process: it changes nothing but
        files. Returns KEPT, UNCHANGED or WRITTEN for `record`."""
        if data is None and self.incremental:
            return KEPT  # the output's copy stays where it is (most files of a rebuild)
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif data is not None and not isinstance(data, bytes):
            return self._stage_pieces(path, data)
        old, target = os.path.join(self.output, path), os.path.join(self.staging, path)
        try:
            if self.incremental:
                if _same_bytes(old, data):
                    return UNCHANGED
                self._mkdir(os.path.dirname(target))  # only for a file that is written
            else:
                self._mkdir(os.path.dirname(target))
                if data is None or not self._fresh and _same_bytes(old, data):
                    os.link(old, target)  # same bytes: keep the old file, and its mtime
                    return KEPT if data is None else UNCHANGED
            _write_file(target, data)
            return WRITTEN
        except OSError as exc:
            raise _cannot_write(self.output, exc) from exc

    def _stage_pieces(self, path: str, pieces: Iterable[bytes]) -> int:
        """`stage` for a file made in pieces (papers.json holds every entry): each is written
        as it comes and compared with the output's copy on the way, so the file is never
        in memory whole."""
        old, target = os.path.join(self.output, path), os.path.join(self.staging, path)
        try:
            self._mkdir(os.path.dirname(target))
            with open(target, "wb") as handle, _Comparison(old) as comparison:
                for piece in pieces:
                    handle.write(piece)
                    comparison.go_on(piece)
                same = comparison.same()
            if not same:
                return WRITTEN
            os.unlink(target)  # the same bytes: the output's copy stays, and its mtime
            if not self.incremental:
                os.link(old, target)
            return UNCHANGED
        except OSError as exc:
            raise _cannot_write(self.output, exc) from exc

    def record(self, path: str, outcome: int) -> None:
        if outcome == WRITTEN:
            self.written += 1
            if self.incremental:
                self._changed.append(path)
        else:
            self.unchanged += 1

    def _mkdir(self, folder: str) -> None:
        if folder not in self._made_dirs:  # one set per process: a worker makes what it needs
            if os.path.dirname(folder) in self._made_dirs:
                try:  # one system call where makedirs makes two (it looks for the parent first)
                    os.mkdir(folder)
                except FileExistsError:  # made by another worker
                    pass
            else:
                os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)

    def commit(self) -> WriteStats:
        try:
            return self._commit_changes() if self.incremental else self._commit_full()
        except OSError as exc:
            shutil.rmtree(self.staging, ignore_errors=True)
            if self._previous.exists() and not self.output.exists():
                self._previous.rename(self.output)
            raise _cannot_write(self.output, exc) from exc

    def _commit_full(self) -> WriteStats:
        output, previous = self.output, self._previous
        for name in PLACEHOLDERS:
            if (output / name).is_file() and name not in self._claimed:
                shutil.copy2(output / name, self.staging / name)
        removed = _count_removed(output, self.paths()) if output.exists() else 0
        if output.exists():
            output.rename(previous)
        self.staging.rename(output)
        shutil.rmtree(previous, ignore_errors=True)
        return WriteStats(self.written, self.unchanged, removed)

    def _commit_changes(self) -> WriteStats:
        removed = sorted((self.previous_paths or set()) - self.paths())
        if not self._changed and not removed:
            shutil.rmtree(self.staging, ignore_errors=True)
            return WriteStats(0, self.unchanged, 0)
        journal = _journal_path(self.output)
        tmp = journal.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps({"move": self._changed, "delete": removed}), encoding="utf-8")
            os.replace(tmp, journal)  # the commit point: from here on the new site wins
        finally:
            tmp.unlink(missing_ok=True)
        recover(self.output)  # applies the journal just committed
        return WriteStats(self.written, self.unchanged, len(removed))


def _apply(move: list[str], delete: list[str], staging: Path, output: Path) -> None:
    """Move staged files into the output and delete stale ones; safe to run twice."""
    for path in move:
        path = safe_relative(path)
        source, target = os.path.join(staging, path), os.path.join(output, path)
        try:  # one system call for most files (a template edit moves one per paper)
            os.replace(source, target)
        except FileNotFoundError:
            if not os.path.exists(source):
                continue  # moved by an earlier run of this journal
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(source, target)
    for path in delete:
        target = output / safe_relative(path)
        target.unlink(missing_ok=True)
        for parent in target.parents:  # drop folders the deletion emptied
            if parent == output or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()


def _remove_emptied_folders(staging: Path, moved: list[str]) -> None:
    """Remove the staging folders the moved files leave empty, deepest first, one system call
    each: shutil.rmtree looks inside each folder first (0.4 s for the 10,000 folders of a
    template edit). A folder still holding something stays, for `recover` to remove whole."""
    folders: set[str] = set()
    for path in moved:
        folder = os.path.dirname(path)
        while folder and folder not in folders:
            folders.add(folder)
            folder = os.path.dirname(folder)
    for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True):
        try:
            os.rmdir(os.path.join(staging, folder))
        except OSError:
            pass
    try:
        os.rmdir(staging)
    except OSError:
        pass


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write_file(path: str, data: bytes) -> None:
    """open(path, "wb").write(data) in the three system calls it needs: open() adds an fstat
    and an isatty ioctl, 15 µs a file here, and a build writes hundreds of thousands."""
    fd = os.open(path, _NEW_FILE, 0o666)  # not inheritable, as open() makes it
    try:
        view = memoryview(data)
        while view:  # a regular file takes it whole, but a write may stop short
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


BLOCK = 1 << 20  # compared a block at a time: a file can be hundreds of megabytes


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with _Comparison(path) as comparison:
            comparison.go_on(data)
            return comparison.same()
    except OSError:
        return False


class _Comparison:
    """Whether the bytes given piece by piece are the file's, read a block at a time."""

    def __init__(self, path: str) -> None:
        try:
            self.handle = open(path, "rb")
            self.equal = True
        except OSError:
            self.handle, self.equal = None, False

    def __enter__(self) -> _Comparison:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.handle:
            self.handle.close()

    def go_on(self, piece: bytes) -> None:
        for start in range(0, len(piece), BLOCK):
            if not self.equal:
                return
            # bytes against bytes: one memcmp (against a memoryview, Python compares byte by
            # byte: 50 µs for a 12 KB page, every page of a rebuild)
            block = piece if len(piece) <= BLOCK else piece[start:start + BLOCK]
            self.equal = self.handle.read(len(block)) == block

    def same(self) -> bool:
        """The pieces so far are the whole file."""
        return self.equal and self.handle.read(1) == b""


def _count_removed(output: Path, kept: set[str]) -> int:
    """The files in `output` that are not among `kept` (relative paths, as the build names them)."""
    removed, root = 0, str(output)
    for folder, _, files in os.walk(root):
        # The folder's own path relative to the output, once: os.path.relpath per file was 0.5 s
        # of a build over an existing 10,000-paper site.
        relative = folder[len(root) + 1:].replace(os.sep, "/")
        prefix = relative + "/" if relative else ""
        for name in files:
            if prefix + name not in kept and name not in PLACEHOLDERS:
                removed += 1
    return removed
