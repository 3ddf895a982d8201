"""Run independent pieces of a build on every core, in a fixed order.

Workers are forked, so they start with everything the parent has already
built (the index, the views, the Jinja environment) without pickling any
of it: only each piece's result travels back. Results come back in input
order, so the output is byte-identical to a single-process build. Where
fork is not available, or the work is small, it runs in this process.
`in_background` does one piece of work in a forked process while this one
goes on alone (the build cache's files, written while the pages are planned).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

PR_SET_PDEATHSIG = 1  # prctl(2)
MIN_PARALLEL = 400  # below this, starting workers costs more than it saves
_work: Callable[[int], object] | None = None  # set only while a pool runs; read by forked workers


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _die_with_parent(parent: int) -> None:
    """Workers write into the staging folder: one whose parent was killed must stop at once,
    not go on writing while the next build cleans that folder up (Linux; elsewhere a no-op)."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError, TypeError):
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _run_chunk(bounds: tuple[int, int]) -> list:
    start, stop = bounds
    assert _work is not None
    return [_work(i) for i in range(start, stop)]


def parallel_map(work: Callable[[int], T], count: int, jobs: int | None = None,
                 min_parallel: int = MIN_PARALLEL, max_chunk: int = 256,
                 meanwhile: Callable[[], None] | None = None) -> list[T]:
    """[work(0), work(1), …, work(count - 1)], computed by `jobs` processes (see parallel_imap)."""
    return list(parallel_imap(work, count, jobs, max_chunk, min_parallel, meanwhile))


def parallel_imap(work: Callable[[int], T], count: int, jobs: int | None = None,
                  max_chunk: int = 256, min_parallel: int = MIN_PARALLEL,
                  meanwhile: Callable[[], None] | None = None) -> Iterator[T]:
    """work(0), work(1), … in order, as they are ready: the caller can write each result
    away while the workers go on, so results never pile up in memory. Below `min_parallel`
    pieces it runs in this process. `meanwhile()` is this process's own work, done while the
    workers work (first, when there are none): Python code, as the pool's threads hand out
    the pieces and take the results only when it lets go of the interpreter's lock (every 5 ms)."""
    global _work
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 2 or count < min_parallel or "fork" not in multiprocessing.get_all_start_methods():
        if meanwhile:
            meanwhile()
        yield from (work(i) for i in range(count))
        return
    # A few chunks per worker evens out uneven pieces; a cap keeps each one's results small.
    chunk = max(1, min(max_chunk, -(-count // (jobs * 4))))
    _work = work
    try:
        with multiprocessing.get_context("fork").Pool(jobs, _die_with_parent, (os.getpid(),)) as pool:
            bounds = [(s, min(s + chunk, count)) for s in range(0, count, chunk)]
            parts = pool.imap(_run_chunk, bounds)
            if meanwhile:
                meanwhile()
            for part in parts:
                yield from part
    finally:
        _work = None


def in_background(work: Callable[[], None], jobs: int | None = None) -> Callable[[], bool]:
    """Start work() in a forked process and go on; the function returned waits for it and
    tells whether it succeeded. Without fork or a second core, work() runs here and now (an
    OSError it raises means it failed). The process sees this one's memory as it was when
    forked; worth it while this one works alone, on one core: not beside a pool."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        try:
            work()
        except OSError:
            return lambda: False
        return lambda: True
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: work, then leave without running the parent's exit handlers
        status = 1
        try:
            _die_with_parent(parent)
            work()
            status = 0
        finally:
            os._exit(status)
    outcome: list[bool] = []

    def succeeded() -> bool:
        if not outcome:
            _, status = os.waitpid(pid, 0)
            outcome.append(status == 0)
        return outcome[0]
    return succeeded
