"""Crash safety (issue 8, point 4).

A build killed with SIGKILL at any moment leaves the previous site intact (byte
for byte) or the complete new one, and the next build succeeds and equals a
clean build. A full disk, or an output folder that cannot be written, gives a
clear error (no traceback) and leaves the previous site intact.

The site is a generated corpus (benchmarks/make_corpus.py) big enough that a
build takes seconds. Kills are aimed at phases by watching the file system
(the staging folder appears, the journal is committed, the old output is moved
aside), not only by the clock, so each phase is hit on every run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, paper, run_cli, write_site

N_PAPERS = 500  # ~2,000 files; a cold build takes seconds: kills land in reading, rendering and writing
LEFTOVERS = (".{}.staging", ".{}.previous", ".{}.journal", ".{}.journal.tmp")
BUILD_ID = ".site.build-id"  # beside the output: names the build the cache describes (writer.py)


def leftovers(folder: Path, output: str = "site") -> list[str]:
    """What a build left beside its output other than the output, its build id and the cache."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(f".{output}.") and p.name != f".{output}.build-id")


def snapshot(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def describe(now: dict[str, str], *expected: dict[str, str]) -> str:
    lines = []
    for i, want in enumerate(expected, 1):
        missing = sorted(set(want) - set(now))
        extra = sorted(set(now) - set(want))
        changed = sorted(k for k in set(want) & set(now) if want[k] != now[k])
        lines.append(f"vs site {i}: {len(missing)} missing {missing[:3]}, {len(extra)} extra {extra[:3]}, "
                     f"{len(changed)} changed {changed[:3]}")
    return "\n".join(lines)


def build_command(content: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "generator", "build", "--content", str(content), "--output", str(out), *extra]


def make_v2(content: Path) -> None:
    """The next version of the content: 30 entries edited, 5 removed, 5 added."""
    files = sorted((content / "papers").rglob("*.yaml"))
    for path in files[:30]:
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r'^title: "', 'title: "Revised: ', text, count=1, flags=re.M), encoding="utf-8")
    for path in files[-5:]:
        path.unlink()
    for i, path in enumerate(files[100:105]):
        text = re.sub(r"^arxiv: .*\n", "", path.read_text(encoding="utf-8"), flags=re.M)
        (path.parent / f"added-later-{i}.yaml").write_text(text.replace('title: "', 'title: "Added later: ', 1),
                                                          encoding="utf-8")


def fast_folder(tmp_path_factory) -> tuple[Path, bool]:
    """A folder in RAM (/dev/shm) when there is room: these tests copy and hash ~60 MB a case."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2 * 1024**3:
        return Path(tempfile.mkdtemp(prefix="paperfeed-crash-", dir=shm)), True
    return tmp_path_factory.mktemp("crash"), False


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """v1 built in a work folder (with its cache) and kept pristine beside it; v2's content;
    a clean build of v2, elsewhere, as the reference every recovered build must equal."""
    root, ours = fast_folder(tmp_path_factory)
    try:
        yield make_corpus(root)
    finally:
        if ours:
            shutil.rmtree(root, ignore_errors=True)


def make_corpus(root: Path) -> dict:
    work, pristine = root / "work", root / "pristine"
    made = subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), "--n", str(N_PAPERS),
                           "--seed", "3", "--out", str(work / "content"), "--search", "off", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    shutil.copytree(work / "content", root / "v2" / "content")
    make_v2(root / "v2" / "content")
    run_cli("build", "--content", str(work / "content"), "--output", str(work / "site"), check=True)
    run_cli("build", "--content", str(root / "v2" / "content"), "--output", str(root / "v2" / "site"), "--no-cache",
            check=True)
    pristine.mkdir()
    # hard links: the writer never changes a file in place (it writes new files and renames),
    # so the pristine copy stays v1 whatever the builds in the work folder do; snapshots check it
    subprocess.run(["cp", "-al", str(work / "site"), str(pristine / "site")], check=True)
    shutil.copytree(work / ".paperfeed-cache", pristine / ".paperfeed-cache")
    if (work / BUILD_ID).exists():  # the cache is trusted only beside the output it describes
        shutil.copy2(work / BUILD_ID, pristine / BUILD_ID)
    corpus = {"root": root, "work": work, "v1": snapshot(work / "site"), "v2": snapshot(root / "v2" / "site")}
    assert corpus["v1"] != corpus["v2"]
    return corpus


def reset(corpus) -> Path:
    """The work folder as v1's build left it (same paths, so the cache makes the next build
    incremental), with v2's content in it: a build there turns the site into v2."""
    root, work = corpus["root"], corpus["work"]
    for name in ("site", ".paperfeed-cache", "content", BUILD_ID, *(n.format("site") for n in LEFTOVERS)):
        if (work / name).is_dir():
            shutil.rmtree(work / name)
        elif (work / name).exists():
            (work / name).unlink()
    subprocess.run(["cp", "-al", str(root / "pristine" / "site"), str(work / "site")], check=True)
    shutil.copytree(root / "pristine" / ".paperfeed-cache", work / ".paperfeed-cache")
    if (root / "pristine" / BUILD_ID).exists():
        shutil.copy2(root / "pristine" / BUILD_ID, work / BUILD_ID)
    shutil.copytree(root / "v2" / "content", work / "content")
    assert snapshot(work / "site") == corpus["v1"], "the pristine copy of v1 was changed in place"
    return work


@pytest.fixture
def workspace(corpus) -> Path:
    return reset(corpus)


def run_and_kill(command: list[str], trigger, timeout: float = 120) -> tuple[float, bool]:
    """Start `command` and SIGKILL its whole process group when `trigger(elapsed)` is true.
    Returns (seconds until the kill, whether it was killed before it finished)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        while proc.poll() is None:
            elapsed = time.perf_counter() - started
            if trigger(elapsed):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return elapsed, True
            if elapsed > timeout:
                raise AssertionError("the build never reached the kill point")
            time.sleep(0.002)
        return time.perf_counter() - started, False
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def after(path: Path, delay: float = 0.0):
    """A trigger: `delay` seconds after `path` first exists."""
    seen: list[float] = []

    def trigger(elapsed: float) -> bool:
        if not seen and path.exists():
            seen.append(elapsed)
        return bool(seen) and elapsed >= seen[0] + delay
    return trigger


def staged(folder: Path, files: int):
    """A trigger: once `folder` holds at least `files` files (counted every 20 ms)."""
    last = [0.0]

    def trigger(elapsed: float) -> bool:
        if elapsed - last[0] < 0.02:
            return False
        last[0] = elapsed
        count = 0
        for _, _, names in os.walk(folder):
            count += len(names)
            if count >= files:
                return True
        return False
    return trigger


def check_killed_then_recovered(work: Path, corpus, killed: bool, *, mixed_allowed: bool = False) -> str:
    """The state a kill left, then the next build: it must succeed and equal a clean build."""
    site = work / "site"
    now = snapshot(site)
    journal = work / ".site.journal"
    previous = work / ".site.previous"
    if now in (corpus["v1"], corpus["v2"]):
        state = "old site" if now == corpus["v1"] else "new site"
    elif not site.exists() and snapshot(previous) == corpus["v1"]:
        state = "old site moved aside, mid-swap"  # recover() puts it back
    elif mixed_allowed and journal.exists():
        state = "committed, half applied"  # the journal rolls it forward
    else:
        raise AssertionError(f"a kill left a partial site (killed={killed}):\n"
                             + describe(now, corpus["v1"], corpus["v2"]))
    result = run_cli("build", "--content", str(work / "content"), "--output", str(site))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    now = snapshot(site)
    assert now == corpus["v2"], "the build after a kill differs from a clean build:\n" + describe(now, corpus["v2"])
    assert leftovers(work) == []
    return state


# --- killed builds --------------------------------------------------------------------------

FULL_KILLS = {
    # a second in, or as rendering starts if reading is faster than that
    "while reading": lambda w, n: (lambda elapsed: elapsed >= 1.0 or (w / ".site.staging").exists()),
    "early in rendering": lambda w, n: staged(w / ".site.staging", n // 5),
    "late in rendering": lambda w, n: staged(w / ".site.staging", n * 4 // 5),
    "at the swap": lambda w, n: after(w / ".site.previous"),
}


@pytest.mark.parametrize("moment", FULL_KILLS)
def test_a_killed_full_build_leaves_a_whole_site_and_the_next_build_is_clean(workspace, corpus, moment):
    elapsed, killed = run_and_kill(build_command(workspace / "content", workspace / "site", "--no-cache"),
                                   FULL_KILLS[moment](workspace, len(corpus["v2"])))
    state = check_killed_then_recovered(workspace, corpus, killed)
    if moment != "at the swap":  # that window is microseconds: landing just after it is fine too
        assert killed and state == "old site", (moment, elapsed, state)


INCREMENTAL_KILLS = {
    "while staging changed files": lambda w: staged(w / ".site.staging", 50),
    "at the commit": lambda w: after(w / ".site.journal"),
}


@pytest.mark.parametrize("moment", INCREMENTAL_KILLS)
def test_a_killed_incremental_build_leaves_a_whole_site_and_the_next_build_is_clean(workspace, corpus, moment):
    elapsed, killed = run_and_kill(build_command(workspace / "content", workspace / "site"),
                                   INCREMENTAL_KILLS[moment](workspace))
    state = check_killed_then_recovered(workspace, corpus, killed, mixed_allowed=True)
    if moment == "while staging changed files":
        assert killed and state == "old site", (elapsed, state)


def test_kills_at_many_moments_never_leave_a_partial_site(workspace, corpus):
    """A sweep of plain delays over one incremental build and the recoveries that follow."""
    states = []
    for delay in (0.4, 0.9, 1.6):  # short enough that a fast incremental build is still caught
        elapsed, killed = run_and_kill(build_command(workspace / "content", workspace / "site"),
                                       lambda t, d=delay: t >= d)
        states.append((delay, killed, check_killed_then_recovered(workspace, corpus, killed, mixed_allowed=True)))
        reset(corpus)  # back to v1 for the next round
    assert any(killed for _, killed, _ in states), states


def test_a_killed_first_build_leaves_nothing_and_the_next_build_is_clean(corpus, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(corpus["root"] / "v2" / "content", content)
    out = tmp_path / "site"
    # aimed by files staged, not by the clock: a fast machine finishes a second after staging begins
    elapsed, killed = run_and_kill(build_command(content, out),
                                   staged(tmp_path / ".site.staging", len(corpus["v2"]) // 5))
    assert killed and not out.exists(), elapsed
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    assert snapshot(out) == corpus["v2"]
    assert leftovers(tmp_path) == []


def test_a_kill_while_the_search_index_is_made_leaves_a_whole_site(tmp_path):
    """Pagefind indexes the staged site before the commit: a kill while it runs leaves the old
    site and its index, never new pages with the old index or a half-made bundle."""
    if shutil.which("pagefind") is None and not _pagefind_available():
        pytest.skip("no Pagefind binary")
    content = write_site(tmp_path, {f"2025/paper-{i:03d}": paper(title=f"Paper {i}", abstract="Words. " * 200)
                                    for i in range(120)})
    out = tmp_path / "site"
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    old = snapshot(out)
    (content / "papers" / "2025" / "paper-000.yaml").write_text(
        "title: Changed\nadded: 2025-12-09\nabstract: Something new.\n", encoding="utf-8")
    indexing = tmp_path / ".site.staging" / ".pagefind-work" / "bundle"
    elapsed, killed = run_and_kill(build_command(content, out), after(indexing))
    assert killed, "the build finished before Pagefind started"
    now = snapshot(out)
    reference = tmp_path / "reference"
    run_cli("build", "--content", str(content), "--output", str(reference), "--no-cache", check=True)
    assert now in (old, snapshot(reference)), "a kill during indexing must leave the old site or the new one"
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    assert snapshot(out) == snapshot(reference)


def _pagefind_available() -> bool:
    try:
        from generator.search import pagefind_binary
        return Path(pagefind_binary()).exists()
    except Exception:
        return False


# --- a full disk, an unwritable folder -------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def small_site(root: Path, papers: int, words: int = 20) -> Path:
    return write_site(root, {f"2025/p-{i:03d}": paper(title=f"Paper number {i}", authors=[f"Author {i}"],
                                                      abstract=" ".join(["lorem ipsum"] * words))
                             for i in range(papers)}, site={"search": False})


def assert_clear_failure(result, *, says: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert says in result.stderr, result.stderr
    assert "nothing was published" in result.stderr, result.stderr


@pytest.mark.parametrize("cold", [False, True], ids=["incremental", "cold"])
def test_a_full_disk_gives_a_clear_error_and_keeps_the_previous_site(tmp_path, cold):
    content = small_site(tmp_path / "src", 5)
    with tmpfs(tmp_path / "disk", "1m") as disk:
        out = disk / "site"
        run_cli("build", "--content", str(content), "--output", str(out), check=True)
        before = snapshot(out)
        grown = small_site(tmp_path / "src", 150, words=400)  # several MB: it cannot fit
        assert grown == content
        result = run_cli("build", "--content", str(content), "--output", str(out), *(["--no-cache"] if cold else []))
        assert_clear_failure(result, says="No space left on device")
        assert snapshot(out) == before
        assert leftovers(disk) == [], "staging files were left on the full disk"


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_file_size_limit_gives_a_clear_error_and_keeps_the_previous_site(tmp_path):
    """The same, without root: RLIMIT_FSIZE makes the first big file fail to write."""
    content = small_site(tmp_path, 3)
    out = tmp_path / "site"
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    before = snapshot(out)
    small_site(tmp_path, 400, words=150)  # papers.json and the feeds grow past 64 KiB
    result = subprocess.run(build_command(content, out), cwd=REPO, capture_output=True, text=True,
                            preexec_fn=_limit_file_size, timeout=300)
    assert_clear_failure(result, says="cannot write the site")
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_a_read_only_output_folder_gives_a_clear_error_and_keeps_the_previous_site(tmp_path):
    content = small_site(tmp_path / "src", 4)
    with tmpfs(tmp_path / "disk", "8m") as disk:
        out = disk / "site"
        run_cli("build", "--content", str(content), "--output", str(out), check=True)
        before = snapshot(out)
        small_site(tmp_path / "src", 6)
        remounted = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True)
        assert remounted.returncode == 0, remounted.stderr
        for extra in ((), ("--no-cache",)):
            result = run_cli("build", "--content", str(content), "--output", str(out), *extra)
            assert_clear_failure(result, says="Read-only file system")
            assert snapshot(out) == before


def test_an_output_path_under_a_file_gives_a_clear_error(tmp_path):
    content = small_site(tmp_path, 2)
    (tmp_path / "a-file").write_text("not a folder\n")
    result = run_cli("build", "--content", str(content), "--output", str(tmp_path / "a-file" / "site"))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(tmp_path / "a-file" / "site") in result.stderr
    assert (tmp_path / "a-file").read_text() == "not a folder\n"


def test_a_cache_that_cannot_be_saved_does_not_fail_a_published_build(tmp_path):
    content = small_site(tmp_path, 40, words=150)
    probe = tmp_path / "probe"
    run_cli("build", "--content", str(content), "--output", str(probe), "--no-cache", check=True)
    biggest = max(p.stat().st_size for p in probe.rglob("*") if p.is_file())
    cache_size = sum(p.stat().st_size for p in (tmp_path / ".paperfeed-cache").rglob("*") if p.is_file())
    assert cache_size > biggest + 1024, "the test needs a cache bigger than any page"
    shutil.rmtree(tmp_path / ".paperfeed-cache")
    limit = biggest + 512

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = tmp_path / "site"
    result = subprocess.run(build_command(content, out), cwd=REPO, capture_output=True, text=True,
                            preexec_fn=limit_file_size, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr[-600:]
    assert result.returncode == 0, result.stderr[-600:]
    assert snapshot(out) == snapshot(probe)
    assert not list((tmp_path / ".paperfeed-cache").glob("*.tmp"))
    assert not list((tmp_path / ".paperfeed-cache").glob("*.ahead"))  # written by another process, then dropped


def test_workers_of_a_killed_build_stop_with_it():
    """Pool workers stage files themselves: when only the parent is killed (not its process
    group), they must stop too, not write on while the next build cleans the staging folder."""
    script = ("import time\nfrom generator.parallel import parallel_imap\n"
              "def work(i):\n    time.sleep(0.05)\n    return i\n"
              "for _ in parallel_imap(work, 5000, 2):\n    pass\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        workers: list[str] = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = _children(parent.pid)
        assert len(workers) == 2, "the pool never started"
        parent.kill()  # the parent alone, as an OOM killer or `kill -9 <pid>` would
        parent.wait(timeout=30)
        deadline = time.monotonic() + 5  # a worker's chunk of sleeps lasts longer than this
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_running(pid) for pid in workers), "workers outlived their parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            parent.kill()


def _children(parent: int) -> list[str]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(stat.parent.name)
    return found


def _running(pid: str) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_journal_applied_twice_or_into_new_folders_gives_the_same_site(tmp_path):
    """`recover` applies a committed journal, and a build killed while applying it leaves
    some files moved and some not: applying it again must finish the job, never fail."""
    from generator.writer import _apply

    staging, output = tmp_path / "staging", tmp_path / "out"
    moved = {"index.html": "new home", "authors/new-author/index.html": "a page in a new folder"}
    for path, text in moved.items():
        (staging / path).parent.mkdir(parents=True, exist_ok=True)
        (staging / path).write_text(text)
    (output / "papers" / "gone").mkdir(parents=True)
    (output / "index.html").write_text("old home")
    (output / "papers" / "gone" / "index.html").write_text("a removed page")
    journal = (list(moved), ["papers/gone/index.html"])
    _apply(*journal, staging, output)
    _apply(*journal, staging, output)  # as after a kill in the middle of the first
    found = {str(p.relative_to(output)): p.read_text() for p in output.rglob("*") if p.is_file()}
    assert found == moved
    assert not (output / "papers").exists()  # the folders the deletion emptied are gone too


@pytest.mark.parametrize("leftover", [None, "papers/a/stray.tmp", "stray.tmp", "empty/folder/"])
def test_recovering_a_journal_removes_the_staging_folder_whole(tmp_path, monkeypatch, leftover):
    """After the moves, the staging folder holds only the folders they emptied: removed one
    by one, deepest first, without looking inside each (shutil.rmtree does: 0.4 s for the
    10,000 folders of a template edit); anything else left in it is removed with it."""
    import json

    from generator import writer
    from generator.writer import recover

    whole = []
    rmtree = writer.shutil.rmtree
    monkeypatch.setattr(writer.shutil, "rmtree", lambda path, *a, **k: whole.append(path) or rmtree(path, *a, **k))

    output = tmp_path / "site"
    staging, journal = tmp_path / ".site.staging", tmp_path / ".site.journal"
    moved = ["index.html", "papers/a/index.html", "papers/a/paper.bib", "papers/b/index.html", "tags/x/page/2/index.html"]
    for path in moved:
        (staging / path).parent.mkdir(parents=True, exist_ok=True)
        (staging / path).write_text(path)
    if leftover and leftover.endswith("/"):  # a folder made, but nothing moved out of it
        (staging / leftover).mkdir(parents=True)
    elif leftover:
        (staging / leftover).write_text("not in the journal")
    output.mkdir()
    journal.write_text(json.dumps({"move": moved, "delete": []}), encoding="utf-8")
    recover(output)
    assert not staging.exists() and not journal.exists()
    assert {str(p.relative_to(output)) for p in output.rglob("*") if p.is_file()} == set(moved)
    assert bool(whole) == bool(leftover)  # removed whole only when something else was left


def test_a_full_build_counts_the_files_it_removes_in_every_folder(tmp_path):
    from generator.writer import _count_removed

    output = tmp_path / "site"
    for path in ["index.html", "gone.html", "papers/a/index.html", "papers/b/index.html", "papers/b/paper.bib",
                 "tags/x/page/2/index.html", ".gitkeep", "papers/.gitkeep"]:
        (output / path).parent.mkdir(parents=True, exist_ok=True)
        (output / path).write_text(path)
    kept = {"index.html", "papers/a/index.html", "papers/b/paper.bib", "tags/x/page/2/index.html", "new.html"}
    assert _count_removed(output, kept) == 2  # gone.html and papers/b/index.html; placeholders stay
    assert _count_removed(output, set()) == 6
